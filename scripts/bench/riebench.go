// riebench: end-to-end measurements of the real `bootstrap` under the AWS Lambda Runtime
// Interface Emulator (aws-lambda-rie). Standard library only; built by the scripts next to
// it (`go build -o riebench riebench.go`).
//
//	riebench cold  -rie RIE -bootstrap BOOTSTRAP -event EVENT.json [-runs 15] [-port 29150]
//	    spawn RIE (which starts bootstrap on the first invoke) -> first decision returned
//	    through RIE's invoke endpoint; peak RSS of bootstrap and of RIE.
//	riebench load  -rie RIE -bootstrap BOOTSTRAP -event EVENT.json [-n 2000] [-c 1] [-warmup 100]
//	    a bounded load loop (keep-alive) against one warm instance started here: invocations/s, p50/p99.
//	riebench fleet -rie RIE -bootstrap BOOTSTRAP -instances 50 -port 29200 -event EVENT.json \
//	    -publish 'AUTHZ PUBLISH ARGS' -suspended SUSPENDED.json -active ACTIVE.json [-rounds 20]
//	    50 RIE+bootstrap pairs on one broker; each round publishes a policy change (suspend,
//	    then reactivate, alternating) and polls every instance until it decides accordingly;
//	    the round's time is from the start of `authz publish` until the last instance flips.
//
// The bootstrap's configuration (AUTHZ_*) comes from this process's environment, which RIE
// passes on. Every process started here is in its own process group and is killed on exit.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const invokePath = "/2015-03-31/functions/function/invocations"

type response struct {
	IsAuthorized bool `json:"isAuthorized"`
	Context      struct {
		Reason         string `json:"reason"`
		Stale          bool   `json:"stale"`
		PolicyRevision any    `json:"policyRevision"`
	} `json:"context"`
}

var (
	childrenMu sync.Mutex
	children   []*exec.Cmd
)

func startRIE(rie, bootstrap string, port int) (*exec.Cmd, error) {
	cmd := exec.Command(rie, "--log-level", "error",
		"--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", port+1), bootstrap)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_FUNCTION_TIMEOUT=30")
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	childrenMu.Lock()
	children = append(children, cmd)
	childrenMu.Unlock()
	return cmd, nil
}

// stop kills RIE and the bootstrap it started (same process group).
func stop(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
}

func stopAll() {
	childrenMu.Lock()
	defer childrenMu.Unlock()
	for _, c := range children {
		stop(c)
	}
	children = nil
}

func invoke(client *http.Client, url string, body []byte) (response, time.Duration, error) {
	var r response
	start := time.Now()
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return r, 0, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return r, elapsed, err
	}
	if resp.StatusCode != 200 {
		return r, elapsed, fmt.Errorf("HTTP %d: %s", resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, elapsed, fmt.Errorf("not a simple response: %s", data)
	}
	return r, elapsed, nil
}

func newClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute,
		DialContext: (&net.Dialer{Timeout: time.Second}).DialContext,
	}}
}

func procStatus(pid int, field string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.Atoi(f[1])
				return n
			}
		}
	}
	return 0
}

func childPids(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		data, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(data)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	// nearest rank
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	if rank < 0 {
		rank = 0
	}
	if rank >= len(sorted) {
		rank = len(sorted) - 1
	}
	return sorted[rank]
}

func sortedCopy(v []float64) []float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s
}

func round2(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

func emit(v any) {
	out, _ := json.Marshal(v)
	fmt.Println(string(out))
}

func die(format string, args ...any) {
	stopAll()
	fmt.Fprintf(os.Stderr, "riebench: "+format+"\n", args...)
	os.Exit(1)
}

// ---- cold ----

func cold(args []string) {
	fs := flag.NewFlagSet("cold", flag.ExitOnError)
	rie := fs.String("rie", "", "aws-lambda-rie")
	bootstrap := fs.String("bootstrap", "", "bootstrap binary")
	eventFile := fs.String("event", "", "event JSON")
	runs := fs.Int("runs", 15, "runs")
	port := fs.Int("port", 29150, "invoke port (runtime API on port+1)")
	_ = fs.Parse(args)
	event, err := os.ReadFile(*eventFile)
	if err != nil {
		die("%v", err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d%s", *port, invokePath)
	var total, listen, bootRSS, rieRSS []float64
	var first response
	for i := 0; i < *runs; i++ {
		client := newClient(1)
		start := time.Now()
		cmd, err := startRIE(*rie, *bootstrap, *port)
		if err != nil {
			die("start RIE: %v", err)
		}
		// RIE listening: the first TCP connect that succeeds (polled every 200 µs, bounded).
		deadline := start.Add(10 * time.Second)
		var listenAt time.Time
		for {
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", *port), time.Second)
			if err == nil {
				c.Close()
				listenAt = time.Now()
				break
			}
			if time.Now().After(deadline) {
				die("RIE did not listen on %d", *port)
			}
			time.Sleep(200 * time.Microsecond)
		}
		r, _, err := invoke(client, url, event)
		if err != nil {
			die("first invoke: %v", err)
		}
		done := time.Now()
		if i == 0 {
			first = r
		}
		total = append(total, float64(done.Sub(start).Microseconds())/1000)
		listen = append(listen, float64(listenAt.Sub(start).Microseconds())/1000)
		rieRSS = append(rieRSS, float64(procStatus(cmd.Process.Pid, "VmHWM"))/1024)
		b := 0
		for _, c := range childPids(cmd.Process.Pid) {
			b += procStatus(c, "VmHWM")
		}
		bootRSS = append(bootRSS, float64(b)/1024)
		client.CloseIdleConnections()
		stop(cmd)
		childrenMu.Lock()
		children = nil
		childrenMu.Unlock()
	}
	t, l, br, rr := sortedCopy(total), sortedCopy(listen), sortedCopy(bootRSS), sortedCopy(rieRSS)
	emit(map[string]any{
		"runs":                         *runs,
		"first_decision_ms_median":     round2(percentile(t, 50)),
		"first_decision_ms_min":        round2(t[0]),
		"first_decision_ms_max":        round2(t[len(t)-1]),
		"rie_listening_ms_median":      round2(percentile(l, 50)),
		"after_listening_ms_median":    round2(percentile(t, 50) - percentile(l, 50)),
		"bootstrap_peak_rss_mb_max":    round2(br[len(br)-1]),
		"bootstrap_peak_rss_mb_median": round2(percentile(br, 50)),
		"rie_peak_rss_mb_max":          round2(rr[len(rr)-1]),
		"decision":                     map[string]any{"isAuthorized": first.IsAuthorized, "reason": first.Context.Reason},
	})
}

// ---- load ----

func load(args []string) {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	rie := fs.String("rie", "", "aws-lambda-rie (started here, on -port)")
	bootstrap := fs.String("bootstrap", "", "bootstrap binary")
	port := fs.Int("port", 29150, "invoke port (runtime API on port+1)")
	eventFile := fs.String("event", "", "event JSON")
	n := fs.Int("n", 2000, "requests")
	conc := fs.Int("c", 1, "concurrency")
	warmup := fs.Int("warmup", 100, "requests before measuring")
	_ = fs.Parse(args)
	event, err := os.ReadFile(*eventFile)
	if err != nil {
		die("%v", err)
	}
	client := newClient(*conc)
	if _, err := startRIE(*rie, *bootstrap, *port); err != nil {
		die("start RIE: %v", err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d%s", *port, invokePath)
	// RIE listening: bounded polling of the port.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", *port), time.Second); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			die("RIE did not listen on %d", *port)
		}
	}
	for i := 0; i < *warmup; i++ {
		if _, _, err := invoke(client, url, event); err != nil {
			die("warm-up: %v", err)
		}
	}
	lat := make([]float64, *n)
	reasons := map[string]int{}
	var mu sync.Mutex
	next := make(chan int, *n)
	for i := 0; i < *n; i++ {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	var firstErr error
	start := time.Now()
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, d, err := invoke(client, url, event)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat[i] = float64(d.Microseconds()) / 1000
				reasons[r.Context.Reason]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		die("load: %v", firstErr)
	}
	s := sortedCopy(lat)
	emit(map[string]any{
		"requests": *n, "concurrency": *conc,
		"invocations_per_s": round2(float64(*n) / elapsed.Seconds()),
		"p50_ms":            round2(percentile(s, 50)),
		"p90_ms":            round2(percentile(s, 90)),
		"p99_ms":            round2(percentile(s, 99)),
		"max_ms":            round2(s[len(s)-1]),
		"reasons":           reasons,
	})
}

// ---- fleet ----

func fleet(args []string) {
	fs := flag.NewFlagSet("fleet", flag.ExitOnError)
	rie := fs.String("rie", "", "aws-lambda-rie")
	bootstrap := fs.String("bootstrap", "", "bootstrap binary")
	instances := fs.Int("instances", 50, "authorizer instances (one RIE each)")
	port := fs.Int("port", 29200, "first invoke port; instance i uses port+2i and port+2i+1")
	eventFile := fs.String("event", "", "event JSON whose client the rounds suspend and reactivate")
	publish := fs.String("publish", "", "the authz publish command without the policy file (space-separated)")
	suspended := fs.String("suspended", "", "policy document with the client suspended")
	active := fs.String("active", "", "policy document with the client active")
	rounds := fs.Int("rounds", 20, "rounds (alternating suspend / reactivate)")
	poll := fs.Duration("poll", 20*time.Millisecond, "interval between two invocations of one instance while polling")
	gap := fs.Duration("gap", time.Second, "idle time between rounds (instances go idle as between real requests)")
	timeout := fs.Duration("timeout", 30*time.Second, "bound on one round")
	tail := fs.String("tail", "", "authz tail command (space-separated, without --from-beginning --no-follow): after each round, "+
		"the newest record's timestamp gives the time from the record's production to the last flip")
	readyRevision := fs.Float64("ready-revision", 0, "before round 1, wait until every instance decides at this policy revision or above "+
		"(the revision of the topic's events: the stream has caught up, not just the baked policy)")
	_ = fs.Parse(args)
	event, err := os.ReadFile(*eventFile)
	if err != nil {
		die("%v", err)
	}
	urls := make([]string, *instances)
	for i := range urls {
		p := *port + 2*i
		urls[i] = fmt.Sprintf("http://127.0.0.1:%d%s", p, invokePath)
		if _, err := startRIE(*rie, *bootstrap, p); err != nil {
			die("start RIE %d: %v", i, err)
		}
	}
	client := newClient(*instances * 2)

	// wantDeny=false: allowed; true: denied because the client is suspended.
	startingUp := true
	matches := func(r response, wantDeny bool) bool {
		if startingUp {
			rev, _ := r.Context.PolicyRevision.(float64)
			return r.IsAuthorized && rev >= *readyRevision
		}
		if wantDeny {
			return !r.IsAuthorized && r.Context.Reason == "client_suspended"
		}
		return r.IsAuthorized
	}
	var lastFlip time.Time
	// newestRecordMs: the producer timestamp (ms since the epoch) of the topic's newest record.
	newestRecordMs := func() (int64, error) {
		a := strings.Fields(*tail)
		out, err := exec.Command(a[0], append(a[1:], "--from-beginning", "--no-follow")...).Output()
		if err != nil {
			return 0, fmt.Errorf("tail: %v", err)
		}
		var newest struct {
			Offset      int64 `json:"offset"`
			TimestampMs int64 `json:"timestamp_ms"`
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var rec struct {
				Offset      int64 `json:"offset"`
				TimestampMs int64 `json:"timestamp_ms"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Offset >= newest.Offset {
				newest = rec
			}
		}
		if newest.TimestampMs == 0 {
			return 0, fmt.Errorf("tail: no record timestamp in %q", out)
		}
		return newest.TimestampMs, nil
	}
	// pollAll invokes every instance until it decides as wanted; returns, per instance, the
	// time from t0 to the first matching decision, and the number of invocations made.
	pollAll := func(t0 time.Time, wantDeny bool, bound time.Duration) ([]float64, int, error) {
		times := make([]float64, len(urls))
		lastFlip = time.Time{}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		calls := 0
		for i, u := range urls {
			wg.Add(1)
			go func(i int, u string) {
				defer wg.Done()
				deadline := t0.Add(bound)
				for {
					r, _, err := invoke(client, u, event)
					now := time.Now()
					mu.Lock()
					calls++
					mu.Unlock()
					if err == nil && matches(r, wantDeny) {
						times[i] = float64(now.Sub(t0).Microseconds()) / 1000
						mu.Lock()
						if now.After(lastFlip) {
							lastFlip = now
						}
						mu.Unlock()
						return
					}
					if now.After(deadline) {
						mu.Lock()
						if firstErr == nil {
							if err == nil {
								err = fmt.Errorf("instance %d still answers %+v", i, r)
							}
							firstErr = fmt.Errorf("instance %d after %s: %w", i, bound, err)
						}
						mu.Unlock()
						return
					}
					time.Sleep(*poll)
				}
			}(i, u)
		}
		wg.Wait()
		return times, calls, firstErr
	}

	// Start-up: every instance initialised (first invoke), caught up and allowing.
	t0 := time.Now()
	startTimes, _, err := pollAll(t0, false, 120*time.Second)
	if err != nil {
		die("fleet start-up: %v", err)
	}
	startingUp = false
	fmt.Fprintf(os.Stderr, "fleet: %d instances allowing at policy revision >= %g after %.0f ms\n", len(urls), *readyRevision, sortedCopy(startTimes)[len(urls)-1])

	pubArgs := strings.Fields(*publish)
	var allFlip, pubDur, instFlip, fromRecord []float64
	var totalCalls int
	for r := 0; r < *rounds; r++ {
		time.Sleep(*gap)
		wantDeny := r%2 == 0
		doc := *active
		if wantDeny {
			doc = *suspended
		}
		var pubErr error
		var pubElapsed time.Duration
		pubDone := make(chan struct{})
		t0 := time.Now()
		go func() {
			defer close(pubDone)
			cmd := exec.Command(pubArgs[0], append(pubArgs[1:], doc)...)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = io.Discard, &stderr
			pubErr = cmd.Run()
			pubElapsed = time.Since(t0)
			if pubErr != nil {
				pubErr = fmt.Errorf("%v: %s", pubErr, stderr.String())
			}
		}()
		times, calls, err := pollAll(t0, wantDeny, *timeout)
		<-pubDone
		if pubErr != nil {
			die("round %d: publish: %v", r, pubErr)
		}
		if err != nil {
			die("round %d: %v", r, err)
		}
		s := sortedCopy(times)
		fromRec := ""
		if *tail != "" {
			ts, err := newestRecordMs()
			if err != nil {
				die("round %d: %v", r, err)
			}
			d := float64(lastFlip.UnixMicro()-ts*1000) / 1000
			fromRecord = append(fromRecord, d)
			fromRec = fmt.Sprintf(", %6.1f ms after the record's timestamp", d)
		}
		allFlip = append(allFlip, s[len(s)-1])
		pubDur = append(pubDur, float64(pubElapsed.Microseconds())/1000)
		instFlip = append(instFlip, times...)
		totalCalls += calls
		what := "reactivate"
		if wantDeny {
			what = "suspend"
		}
		fmt.Fprintf(os.Stderr, "round %2d %-10s all %d flipped %7.1f ms after publish start%s (first %6.1f; publish command took %6.1f ms; %d invocations)\n",
			r+1, what, len(urls), s[len(s)-1], fromRec, s[0], pubElapsed.Seconds()*1000, calls)
	}
	a, p, f := sortedCopy(allFlip), sortedCopy(pubDur), sortedCopy(instFlip)
	summary := map[string]any{
		"instances": len(urls), "rounds": *rounds, "poll_interval_ms": poll.Milliseconds(),
		"all_flipped_ms_p50":        round2(percentile(a, 50)),
		"all_flipped_ms_p99":        round2(percentile(a, 99)),
		"all_flipped_ms_max":        round2(a[len(a)-1]),
		"per_instance_ms_p50":       round2(percentile(f, 50)),
		"per_instance_ms_p99":       round2(percentile(f, 99)),
		"publish_command_ms_p50":    round2(percentile(p, 50)),
		"invocations_while_polling": totalCalls,
	}
	if len(fromRecord) > 0 {
		fr := sortedCopy(fromRecord)
		summary["all_flipped_after_record_ms_p50"] = round2(percentile(fr, 50))
		summary["all_flipped_after_record_ms_p99"] = round2(percentile(fr, 99))
	}
	emit(summary)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: riebench cold|load|fleet ...")
		os.Exit(2)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		stopAll()
		os.Exit(130)
	}()
	defer stopAll()
	switch os.Args[1] {
	case "cold":
		cold(os.Args[2:])
	case "load":
		load(os.Args[2:])
	case "fleet":
		fleet(os.Args[2:])
	default:
		die("unknown command %q", os.Args[1])
	}
	stopAll()
}
