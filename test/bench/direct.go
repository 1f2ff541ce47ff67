package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"gateway/test/e2e/harness"
)

// RuntimeAPI is the smallest Lambda Runtime API a bootstrap can start against: the first
// `invocation/next` hands out one event, later ones wait until the server closes, and the
// first response or error ends the invocation. It records when each step happened, so a
// measurement holds the binary's own init and first decision and nothing of an emulator.
type RuntimeAPI struct {
	Event []byte

	mu       sync.Mutex
	handed   bool
	Ready    time.Time       // the first GET .../invocation/next
	Answered time.Time       // the POST .../response
	Response json.RawMessage // its body
	Error    string          // the body of a POST .../error, if one came
	done     chan struct{}
	closed   chan struct{}
	once     sync.Once
}

// NewRuntimeAPI serves one invocation of event.
func NewRuntimeAPI(event []byte) *RuntimeAPI {
	return &RuntimeAPI{Event: event, done: make(chan struct{}), closed: make(chan struct{})}
}

// Done is closed when the invocation ended (response or error).
func (a *RuntimeAPI) Done() <-chan struct{} { return a.done }

// Close releases the requests still waiting for a next invocation.
func (a *RuntimeAPI) Close() {
	select {
	case <-a.closed:
	default:
		close(a.closed)
	}
}

func (a *RuntimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const prefix = "/2018-06-01/runtime/invocation/"
	switch {
	case r.Method == http.MethodGet && r.URL.Path == prefix+"next":
		a.mu.Lock()
		first := !a.handed
		if first {
			a.handed, a.Ready = true, time.Now()
		}
		a.mu.Unlock()
		if !first {
			// The next invocation never comes; the process is killed.
			select {
			case <-a.closed:
			case <-r.Context().Done():
			}
			return
		}
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", "bench-1")
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:authorizer")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(a.Event)
	case r.Method == http.MethodPost && r.URL.Path == prefix+"bench-1/response":
		body, _ := io.ReadAll(io.LimitReader(r.Body, 6<<20))
		a.mu.Lock()
		a.Answered, a.Response = time.Now(), body
		a.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		a.once.Do(func() { close(a.done) })
	case r.Method == http.MethodPost:
		// invocation/bench-1/error or init/error
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		a.mu.Lock()
		a.Error = string(body)
		a.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		a.once.Do(func() { close(a.done) })
	default:
		http.NotFound(w, r)
	}
}

// DirectResult is what Direct measured.
type DirectResult struct {
	Runs                  int     `json:"runs"`
	ReadyMsMedian         float64 `json:"ready_ms_median"`
	FirstDecisionMsMedian float64 `json:"first_decision_ms_median"`
	FirstDecisionMsMax    float64 `json:"first_decision_ms_max"`
	PeakRSSMBMax          float64 `json:"peak_rss_mb_max"`
	Decision              string  `json:"decision"`
}

// directRun is one spawn of the bootstrap against a fresh RuntimeAPI.
func directRun(bootstrap, policy, apiID string, event []byte) (ready, answered time.Duration, rssKiB int, resp json.RawMessage, err error) {
	api := NewRuntimeAPI(event)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, 0, nil, err
	}
	srv := &http.Server{Handler: api}
	go func() { _ = srv.Serve(l) }()
	defer func() {
		api.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	cmd := exec.Command(bootstrap)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_LAMBDA_RUNTIME_API=" + l.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME=authorizer",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_LOG_STREAM_NAME=bench",
		"AWS_LAMBDA_LOG_GROUP_NAME=bench",
		"AUTHZ_POLICY_FILE=" + policy,
		"AUTHZ_API_ID=" + apiID,
		"AUTHZ_LOG_LEVEL=error",
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, nil, err
	}
	select {
	case <-api.Done():
	case <-time.After(30 * time.Second):
	}
	rssKiB, _ = harness.ProcessPeakRSSKiB(cmd.Process.Pid)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	api.mu.Lock()
	defer api.mu.Unlock()
	if api.Answered.IsZero() {
		msg := api.Error
		if msg == "" {
			msg = "no response within 30 s"
		}
		return 0, 0, 0, nil, fmt.Errorf("bootstrap did not answer: %s", msg)
	}
	return api.Ready.Sub(start), api.Answered.Sub(start), rssKiB, api.Response, nil
}

// Direct spawns the bootstrap runs times against a minimal Runtime API served here: process
// spawn -> ready (its first GET .../invocation/next) -> first decision returned (its POST
// .../response), with the peak RSS at that point.
func Direct(bootstrap, policy, apiID string, event []byte, runs int) (DirectResult, error) {
	res := DirectResult{Runs: runs}
	var ready, answered, rss []float64
	for i := 0; i < runs; i++ {
		r, a, kib, resp, err := directRun(bootstrap, policy, apiID, event)
		if err != nil {
			return res, fmt.Errorf("run %d: %w", i+1, err)
		}
		if i == 0 {
			var out struct {
				Context struct {
					Reason string `json:"reason"`
				} `json:"context"`
			}
			if err := json.Unmarshal(resp, &out); err != nil {
				return res, fmt.Errorf("run 1: response is not a simple response: %s", resp)
			}
			res.Decision = out.Context.Reason
		}
		ready, answered, rss = append(ready, Ms(r)), append(answered, Ms(a)), append(rss, MiB(kib))
	}
	res.ReadyMsMedian = Round2(Median(ready))
	res.FirstDecisionMsMedian = Round2(Median(answered))
	res.FirstDecisionMsMax = Round2(Max(answered))
	res.PeakRSSMBMax = math1(Max(rss))
	return res, nil
}

func math1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
