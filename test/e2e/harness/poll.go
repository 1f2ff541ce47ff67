package harness

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// PollResult is how a Poll ended.
type PollResult struct {
	Took time.Duration // from the first invocation to the one that satisfied done
	At   time.Time     // when the satisfying response arrived
	N    int           // invocations, the satisfying one included
	Last Verdict
}

// Poll invokes the function every interval until done accepts a verdict, for at most
// limit. Every verdict before that goes through each (nil: anything goes); an error
// from it ends the poll. Waiting is by polling, never by a blind sleep.
func Poll(f *Function, event map[string]any, interval, limit time.Duration,
	done func(Verdict) bool, each func(Verdict) error) (PollResult, error) {
	start := time.Now()
	deadline := start.Add(limit)
	arn := EventArn(event)
	for n := 1; ; n++ {
		inv, err := f.Invoke(event)
		if err != nil {
			return PollResult{Took: time.Since(start), N: n}, err
		}
		v, err := ReadVerdict(inv.Body, arn)
		if err != nil {
			return PollResult{Took: time.Since(start), N: n}, err
		}
		now := time.Now()
		if done(v) {
			return PollResult{Took: now.Sub(start), At: now, N: n, Last: v}, nil
		}
		if each != nil {
			if err := each(v); err != nil {
				return PollResult{Took: now.Sub(start), N: n, Last: v}, err
			}
		}
		if now.After(deadline) {
			return PollResult{Took: now.Sub(start), N: n, Last: v},
				fmt.Errorf("not reached within %s (%d invocations); last verdict %+v", limit, n, v)
		}
		time.Sleep(interval)
	}
}

// TailRecord is one record of the policy topic as `authz tail` prints it.
type TailRecord struct {
	Partition   int     `json:"partition"`
	Offset      int64   `json:"offset"`
	TimestampMs int64   `json:"timestamp_ms"`
	Key         string  `json:"key"`
	Op          string  `json:"op"`
	Revision    int64   `json:"revision"`
	Valid       bool    `json:"valid"`
	Reason      *string `json:"reason"`
}

// Tail reads the whole policy topic (`authz tail --from-beginning --no-follow`).
func (p Paths) Tail(brokers, topic string) ([]TailRecord, error) {
	out, err := p.AuthzCLI("tail", "--brokers", brokers, "--topic", topic, "--from-beginning", "--no-follow")
	if err != nil {
		return nil, err
	}
	var records []TailRecord
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var r TailRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("authz tail: %v: %s", err, line)
		}
		records = append(records, r)
	}
	return records, nil
}

// LatestRecord is the last record of key in the topic.
func (p Paths) LatestRecord(brokers, topic, key string) (TailRecord, error) {
	records, err := p.Tail(brokers, topic)
	if err != nil {
		return TailRecord{}, err
	}
	for i := len(records) - 1; i >= 0; i-- {
		if records[i].Key == key {
			return records[i], nil
		}
	}
	return TailRecord{}, fmt.Errorf("no record with key %s in %s", key, topic)
}
