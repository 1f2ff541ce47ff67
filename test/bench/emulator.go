package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"gateway/test/e2e/harness"
)

// FunctionEnv is the function configuration a measurement runs with: the AUTHZ_* variables
// of this process's environment (the scripts set them), and the Lambda timeout.
func FunctionEnv() map[string]string {
	env := map[string]string{"AWS_LAMBDA_FUNCTION_TIMEOUT": "30"}
	for _, kv := range os.Environ() {
		if name, value, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(name, "AUTHZ_") {
			env[name] = value
		}
	}
	return env
}

// ReadEvent reads an authorizer event from a JSON file.
func ReadEvent(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var event map[string]any
	if err := json.Unmarshal(data, &event); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object: %w", path, err)
	}
	return event, nil
}

// invokeVerdict invokes f once and reads the decision back.
func invokeVerdict(f *harness.Function, event map[string]any) (harness.Verdict, harness.Invocation, error) {
	inv, err := f.Invoke(event)
	if err != nil {
		return harness.Verdict{}, inv, err
	}
	v, err := harness.ReadVerdict(inv.Body, harness.EventArn(event))
	return v, inv, err
}

// Decision is the first decision of a run, printed beside the figures so a figure is never
// that of a request that failed.
type Decision struct {
	IsAuthorized bool   `json:"isAuthorized"`
	Reason       string `json:"reason"`
}

// ColdResult is what Cold measured.
type ColdResult struct {
	Runs                     int      `json:"runs"`
	FirstDecisionMsMedian    float64  `json:"first_decision_ms_median"`
	FirstDecisionMsMin       float64  `json:"first_decision_ms_min"`
	FirstDecisionMsMax       float64  `json:"first_decision_ms_max"`
	RIEListeningMsMedian     float64  `json:"rie_listening_ms_median"`
	AfterListeningMsMedian   float64  `json:"after_listening_ms_median"`
	BootstrapPeakRSSMBMax    float64  `json:"bootstrap_peak_rss_mb_max"`
	BootstrapPeakRSSMBMedian float64  `json:"bootstrap_peak_rss_mb_median"`
	RIEPeakRSSMBMax          float64  `json:"rie_peak_rss_mb_max"`
	Decision                 Decision `json:"decision"`
}

// Cold starts a fresh emulator runs times: spawn of aws-lambda-rie -> first decision
// returned by its invoke endpoint (the emulator starts the bootstrap on that first invoke),
// with the peak RSS of the bootstrap and of the emulator.
func Cold(p harness.Paths, event map[string]any, runs int) (ColdResult, error) {
	var total, listen, bootRSS, rieRSS []float64
	res := ColdResult{Runs: runs}
	for i := 0; i < runs; i++ {
		f, err := p.StartFunction(harness.FunctionConfig{Env: FunctionEnv(), ReadyPoll: 200 * time.Microsecond})
		if err != nil {
			return res, err
		}
		v, _, err := invokeVerdict(f, event)
		done := time.Now()
		if err != nil {
			f.Stop()
			return res, fmt.Errorf("run %d: first invoke: %w\n%s", i+1, err, f.Logs())
		}
		if i == 0 {
			res.Decision = Decision{v.Allowed, v.Reason}
		}
		total = append(total, Ms(done.Sub(f.Started)))
		listen = append(listen, Ms(f.Listening.Sub(f.Started)))
		b, err := f.PeakRSSKiB()
		if err != nil {
			f.Stop()
			return res, fmt.Errorf("run %d: bootstrap peak RSS: %w", i+1, err)
		}
		r, err := f.EmulatorPeakRSSKiB()
		if err != nil {
			f.Stop()
			return res, fmt.Errorf("run %d: emulator peak RSS: %w", i+1, err)
		}
		bootRSS, rieRSS = append(bootRSS, MiB(b)), append(rieRSS, MiB(r))
		f.Stop()
	}
	t, l, br := Sorted(total), Sorted(listen), Sorted(bootRSS)
	res.FirstDecisionMsMedian = Round2(Percentile(t, 50))
	res.FirstDecisionMsMin = Round2(t[0])
	res.FirstDecisionMsMax = Round2(Max(t))
	res.RIEListeningMsMedian = Round2(Percentile(l, 50))
	res.AfterListeningMsMedian = Round2(Percentile(t, 50) - Percentile(l, 50))
	res.BootstrapPeakRSSMBMax = Round2(Max(br))
	res.BootstrapPeakRSSMBMedian = Round2(Percentile(br, 50))
	res.RIEPeakRSSMBMax = Round2(Max(rieRSS))
	return res, nil
}

// LoadResult is what Load measured.
type LoadResult struct {
	Requests        int            `json:"requests"`
	Concurrency     int            `json:"concurrency"`
	InvocationsPerS float64        `json:"invocations_per_s"`
	P50Ms           float64        `json:"p50_ms"`
	P90Ms           float64        `json:"p90_ms"`
	P99Ms           float64        `json:"p99_ms"`
	MaxMs           float64        `json:"max_ms"`
	Reasons         map[string]int `json:"reasons"`
}

// Load sends n requests (after warmup) at concurrency conc to one warm instance, over
// keep-alive connections: invocations/s and the latency percentiles of the invoke calls.
func Load(p harness.Paths, event map[string]any, n, conc, warmup int) (LoadResult, error) {
	res := LoadResult{Requests: n, Concurrency: conc, Reasons: map[string]int{}}
	if n <= 0 || conc <= 0 {
		return res, fmt.Errorf("load: -n and -c must be positive (got %d, %d)", n, conc)
	}
	f, err := p.StartFunction(harness.FunctionConfig{Env: FunctionEnv()})
	if err != nil {
		return res, err
	}
	defer f.Stop()
	for i := 0; i < warmup; i++ {
		if _, _, err := invokeVerdict(f, event); err != nil {
			return res, fmt.Errorf("warm-up: %w", err)
		}
	}
	lat := make([]float64, n)
	next := make(chan int, n)
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var firstErr error
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				v, inv, err := invokeVerdict(f, event)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat[i] = Ms(inv.Latency)
				res.Reasons[v.Reason]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return res, fmt.Errorf("load: %w", firstErr)
	}
	s := Sorted(lat)
	res.InvocationsPerS = Round2(float64(n) / elapsed.Seconds())
	res.P50Ms = Round2(Percentile(s, 50))
	res.P90Ms = Round2(Percentile(s, 90))
	res.P99Ms = Round2(Percentile(s, 99))
	res.MaxMs = Round2(Max(s))
	return res, nil
}
