package bench

import (
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"

	"gateway/test/e2e/harness"
)

// FleetConfig is one fleet measurement: Instances authorizers (each the real bootstrap
// under its own aws-lambda-rie) reading Topic on Brokers; each round publishes Suspended
// or Active (alternating, suspend first) with `authz publish`.
type FleetConfig struct {
	Brokers, Topic    string
	Event             map[string]any // a request of the client the rounds suspend and reactivate
	Suspended, Active string         // policy documents
	Instances, Rounds int
	Poll              time.Duration // between two invocations of one instance while polling
	Gap               time.Duration // idle time between rounds
	Timeout           time.Duration // bound on one round
	StartupTimeout    time.Duration // bound on the start-up (every instance at the newest revision); 120 s when 0
	Progress          io.Writer     // one line per round
	// StatusTopic, when set, makes each round publish with `authz publish --wait` on it
	// (the instances report there: AUTHZ_STATUS_TOPIC), so the publish command's duration
	// is publish start -> every environment reported the new revision applied.
	StatusTopic string
	WaitTimeout time.Duration // --wait's bound
	// Inproc, when set, is the in-process fleet driver's binary (authorizer/examples/
	// fleet_envs.rs): all Instances environments run in that one process, each invoked over
	// HTTP, instead of one bootstrap under its own emulator each.
	Inproc string
}

// FleetResult is what Fleet measured.
type FleetResult struct {
	Mode                       string  `json:"mode"` // "emulator" (one bootstrap under aws-lambda-rie each) or "inproc"
	Instances                  int     `json:"instances"`
	Rounds                     int     `json:"rounds"`
	PollIntervalMs             int64   `json:"poll_interval_ms"`
	AllFlippedMsP50            float64 `json:"all_flipped_ms_p50"`
	AllFlippedMsP99            float64 `json:"all_flipped_ms_p99"`
	AllFlippedMsMax            float64 `json:"all_flipped_ms_max"`
	PerInstanceMsP50           float64 `json:"per_instance_ms_p50"`
	PerInstanceMsP99           float64 `json:"per_instance_ms_p99"`
	PublishCommandMsP50        float64 `json:"publish_command_ms_p50"`
	InvocationsWhilePolling    int     `json:"invocations_while_polling"`
	AllFlippedAfterRecordMsP50 float64 `json:"all_flipped_after_record_ms_p50"`
	AllFlippedAfterRecordMsP99 float64 `json:"all_flipped_after_record_ms_p99"`
	// With a status topic: publish start -> `authz publish --wait` returned.
	WaitReturnedMsP50 float64 `json:"wait_returned_ms_p50,omitempty"`
	WaitReturnedMsP99 float64 `json:"wait_returned_ms_p99,omitempty"`
	WaitTimeouts      int     `json:"wait_timeouts,omitempty"` // rounds whose --wait timed out (their figure is the bound)
	// Per round: each instance's time from publish start to its first decision as
	// published (the convergence curve), and the publish command's duration.
	PerRoundInstanceMs [][]float64 `json:"per_round_instance_ms"`
	PerRoundPublishMs  []float64   `json:"per_round_publish_ms"`
	// Established connections of the bootstrap processes per broker address, counted with
	// `ss` after start-up and after the last round.
	ConnectionsAfterStart map[string]int `json:"connections_after_start,omitempty"`
	ConnectionsAfterRuns  map[string]int `json:"connections_after_rounds,omitempty"`
}

// Wanted says whether a verdict is the one a phase waits for.
type Wanted func(harness.Verdict) bool

// NewestRecord is the record with the highest offset (nil for none): its broker timestamp
// is where "after the record's timestamp" is measured from.
func NewestRecord(records []harness.TailRecord) *harness.TailRecord {
	var newest *harness.TailRecord
	for i := range records {
		if newest == nil || records[i].Offset >= newest.Offset {
			newest = &records[i]
		}
	}
	return newest
}

// MaxRevision is the highest revision in the topic: the fleet is caught up when every
// instance decides at it.
func MaxRevision(records []harness.TailRecord) int64 {
	var max int64
	for _, r := range records {
		if r.Revision > max {
			max = r.Revision
		}
	}
	return max
}

// pollAll invokes every instance until it decides as wanted, for at most bound from t0.
// It returns, per instance, the time from t0 to its first wanted decision, the time of
// the last of those, and the number of invocations made.
func pollAll(fs []*harness.Function, event map[string]any, wanted Wanted, t0 time.Time,
	poll, bound time.Duration) ([]float64, time.Time, int, error) {
	times := make([]float64, len(fs))
	var lastFlip time.Time
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	calls := 0
	for i, f := range fs {
		wg.Add(1)
		go func(i int, f *harness.Function) {
			defer wg.Done()
			deadline := t0.Add(bound)
			for {
				v, _, err := invokeVerdict(f, event)
				now := time.Now()
				mu.Lock()
				calls++
				mu.Unlock()
				if err == nil && wanted(v) {
					mu.Lock()
					times[i] = Ms(now.Sub(t0))
					if now.After(lastFlip) {
						lastFlip = now
					}
					mu.Unlock()
					return
				}
				if now.After(deadline) {
					if err == nil {
						err = fmt.Errorf("still answers %+v", v)
					}
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("instance %d after %s: %w", i, bound, err)
					}
					mu.Unlock()
					return
				}
				time.Sleep(poll)
			}
		}(i, f)
	}
	wg.Wait()
	return times, lastFlip, calls, firstErr
}

// Fleet starts the instances, waits until every one decides at the topic's newest revision
// (so no round measures a first connection to the broker), then runs the rounds. A round's
// figure is the time from the start of `authz publish` until the last instance flipped,
// and from the broker's timestamp of the newest record until then (the scripts set the
// bench topic to LogAppendTime).
func Fleet(p harness.Paths, cfg FleetConfig) (FleetResult, error) {
	res := FleetResult{Mode: "emulator", Instances: cfg.Instances, Rounds: cfg.Rounds, PollIntervalMs: cfg.Poll.Milliseconds()}
	if cfg.Inproc != "" {
		res.Mode = "inproc"
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	records, err := p.Tail(cfg.Brokers, cfg.Topic)
	if err != nil {
		return res, err
	}
	ready := MaxRevision(records)
	startup := cfg.StartupTimeout
	if startup == 0 {
		startup = 120 * time.Second
	}
	fs := make([]*harness.Function, 0, cfg.Instances)
	process := "bootstrap"
	if cfg.Inproc != "" {
		d, err := StartInproc(cfg.Inproc, cfg.Instances, startup)
		if err != nil {
			return res, err
		}
		defer d.Stop()
		fs = d.Functions
		process = d.ProcessName()
	} else {
		defer func() {
			for _, f := range fs {
				f.Stop()
			}
		}()
		for i := 0; i < cfg.Instances; i++ {
			f, err := p.StartFunction(harness.FunctionConfig{Env: FunctionEnv()})
			if err != nil {
				return res, fmt.Errorf("instance %d: %w", i, err)
			}
			fs = append(fs, f)
		}
	}
	t0 := time.Now()
	startTimes, _, _, err := pollAll(fs, cfg.Event, func(v harness.Verdict) bool {
		return v.Allowed && v.Revision >= ready
	}, t0, cfg.Poll, startup)
	if err != nil {
		return res, fmt.Errorf("fleet start-up: %w", err)
	}
	fmt.Fprintf(progress, "fleet: %d instances allowing at policy revision >= %d after %.0f ms\n",
		len(fs), ready, Max(startTimes))
	res.ConnectionsAfterStart = BrokerConnections(cfg.Brokers, process)
	fmt.Fprintf(progress, "fleet: %s connections per broker after start-up: %v\n", process, res.ConnectionsAfterStart)

	var allFlip, pubDur, instFlip, fromRecord []float64
	for r := 0; r < cfg.Rounds; r++ {
		time.Sleep(cfg.Gap) // instances go idle, as between real requests
		suspend := r%2 == 0
		doc, what := cfg.Active, "reactivate"
		wanted := func(v harness.Verdict) bool { return v.Allowed }
		if suspend {
			doc, what = cfg.Suspended, "suspend"
			wanted = func(v harness.Verdict) bool { return !v.Allowed && v.Reason == "client_suspended" }
		}
		var pubErr error
		var pubElapsed time.Duration
		pubDone := make(chan struct{})
		t0 := time.Now()
		go func() {
			defer close(pubDone)
			if cfg.StatusTopic == "" {
				_, pubErr = p.Publish(cfg.Brokers, cfg.Topic, doc)
			} else {
				_, pubErr = p.AuthzCLI("publish", "--brokers", cfg.Brokers, "--topic", cfg.Topic,
					"--wait="+cfg.WaitTimeout.String(), "--status-topic", cfg.StatusTopic, doc)
			}
			pubElapsed = time.Since(t0)
		}()
		times, lastFlip, calls, err := pollAll(fs, cfg.Event, wanted, t0, cfg.Poll, cfg.Timeout)
		<-pubDone
		if pubErr != nil && cfg.StatusTopic != "" && strings.Contains(pubErr.Error(), "timed out after") {
			// --wait gave up: counted, its bound kept as the round's figure (a lower bound).
			res.WaitTimeouts++
			fmt.Fprintf(progress, "round %2d: authz publish --wait timed out: %v\n", r+1, pubErr)
			pubErr = nil
		}
		if pubErr != nil {
			return res, fmt.Errorf("round %d: publish: %w", r+1, pubErr)
		}
		if err != nil {
			return res, fmt.Errorf("round %d: %w", r+1, err)
		}
		records, err := p.Tail(cfg.Brokers, cfg.Topic)
		if err != nil {
			return res, fmt.Errorf("round %d: %w", r+1, err)
		}
		newest := NewestRecord(records)
		if newest == nil || newest.TimestampMs == 0 {
			return res, fmt.Errorf("round %d: no record timestamp in the topic", r+1)
		}
		fromRec := float64(lastFlip.UnixMicro()-newest.TimestampMs*1000) / 1000
		s := Sorted(times)
		allFlip = append(allFlip, Max(s))
		pubDur = append(pubDur, Ms(pubElapsed))
		instFlip = append(instFlip, times...)
		res.PerRoundInstanceMs = append(res.PerRoundInstanceMs, times)
		res.PerRoundPublishMs = append(res.PerRoundPublishMs, Round2(Ms(pubElapsed)))
		fromRecord = append(fromRecord, fromRec)
		res.InvocationsWhilePolling += calls
		fmt.Fprintf(progress, "round %2d %-10s all %d flipped %7.1f ms after publish start, %6.1f ms after the record's timestamp (first %6.1f; publish command%s took %6.1f ms; %d invocations)\n",
			r+1, what, len(fs), Max(s), fromRec, s[0], waitNote(cfg.StatusTopic), Ms(pubElapsed), calls)
	}
	res.ConnectionsAfterRuns = BrokerConnections(cfg.Brokers, process)
	fmt.Fprintf(progress, "fleet: %s connections per broker after the rounds: %v\n", process, res.ConnectionsAfterRuns)
	if cfg.Rounds == 0 {
		return res, nil
	}
	a, pd, f, fr := Sorted(allFlip), Sorted(pubDur), Sorted(instFlip), Sorted(fromRecord)
	res.AllFlippedMsP50 = Round2(Percentile(a, 50))
	res.AllFlippedMsP99 = Round2(Percentile(a, 99))
	res.AllFlippedMsMax = Round2(Max(a))
	res.PerInstanceMsP50 = Round2(Percentile(f, 50))
	res.PerInstanceMsP99 = Round2(Percentile(f, 99))
	res.PublishCommandMsP50 = Round2(Percentile(pd, 50))
	if cfg.StatusTopic != "" {
		res.WaitReturnedMsP50 = Round2(Percentile(pd, 50))
		res.WaitReturnedMsP99 = Round2(Percentile(pd, 99))
	}
	res.AllFlippedAfterRecordMsP50 = Round2(Percentile(fr, 50))
	res.AllFlippedAfterRecordMsP99 = Round2(Percentile(fr, 99))
	return res, nil
}

func waitNote(statusTopic string) string {
	if statusTopic == "" {
		return ""
	}
	return " --wait"
}

// BrokerConnections counts the established TCP connections of processes named process to
// each of the brokers (host:port, comma-separated), from `ss -tnpH state established`;
// nil when ss cannot be run.
func BrokerConnections(brokers, process string) map[string]int {
	out, err := exec.Command("ss", "-tnpH", "state", "established").Output()
	if err != nil {
		return nil
	}
	return CountConnections(string(out), strings.Split(brokers, ","), process)
}

// CountConnections counts, in `ss -tnpH state established` output, the lines of process
// whose peer is one of brokers (every broker is a key, zero when none).
func CountConnections(ssOutput string, brokers []string, process string) map[string]int {
	counts := make(map[string]int, len(brokers))
	for _, b := range brokers {
		counts[b] = 0
	}
	marker := "((\"" + process + "\","
	for _, line := range strings.Split(ssOutput, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 5 || !strings.Contains(line, marker) {
			continue
		}
		if _, ok := counts[fields[3]]; ok {
			counts[fields[3]]++
		}
	}
	return counts
}
