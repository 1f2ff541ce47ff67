// riebench: the end-to-end measurements of `make bench`, on the e2e harness. Each command
// prints one JSON line of figures (progress on stderr); nothing is asserted.
//
//	riebench cold   -event EVENT.json [-runs 15]
//	    spawn of aws-lambda-rie -> first decision through its invoke endpoint (the emulator
//	    starts bootstrap on that first invoke); peak RSS of bootstrap and of the emulator.
//	riebench load   -event EVENT.json [-n 2000] [-c 1] [-warmup 100]
//	    one warm instance, keep-alive: invocations/s, p50/p90/p99.
//	riebench fleet  -brokers B -topic T -event EVENT.json -suspended S.json -active A.json \
//	                [-instances 50] [-rounds 20] [-poll 20ms] [-gap 1s] [-timeout 30s] \
//	                [-status-topic S -wait-timeout 20s] [-inproc FLEET_ENVS]
//	    the instances on the brokers; each round publishes a change (suspend, then reactivate,
//	    alternating) and polls every instance until it decides accordingly. With -inproc the
//	    instances are environments of one in-process driver instead of one emulator each.
//	riebench plot   -result FLEET.json -out PNG
//	    the fleet's convergence (share enforcing against time since publish start) as a PNG.
//	riebench direct -policy P.json -api-id ID -event EVENT.json [-runs 15]
//	    bootstrap alone against a minimal Runtime API served here: spawn -> ready -> first decision.
//	riebench opa    -opa OPA_BENCH.json -criterion CRITERION.txt
//	    `opa bench` beside criterion's decision/RS256: both per-operation figures and the ratio.
//
// The binaries are found as the e2e tests find them (CARGO_TARGET_DIR, TOOLS_BIN); the
// function's configuration is the AUTHZ_* variables of this process's environment.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"gateway/test/bench"
	"gateway/test/e2e/harness"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: riebench cold|load|fleet|plot|direct|opa [flags]")
		os.Exit(2)
	}
	out, err := run(os.Args[1], os.Args[2:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "riebench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	if s, ok := out.(string); ok {
		fmt.Println(s)
		return
	}
	line, err := json.Marshal(out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "riebench: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(string(line))
}

func run(cmd string, args []string) (any, error) {
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	eventFile := fs.String("event", "", "authorizer event (JSON)")
	switch cmd {
	case "cold":
		runs := fs.Int("runs", 15, "fresh emulators to start")
		_ = fs.Parse(args)
		p, event, err := setup(*eventFile)
		if err != nil {
			return nil, err
		}
		return bench.Cold(p, event, *runs)
	case "load":
		n := fs.Int("n", 2000, "requests measured")
		conc := fs.Int("c", 1, "concurrency")
		warmup := fs.Int("warmup", 100, "requests before measuring")
		_ = fs.Parse(args)
		p, event, err := setup(*eventFile)
		if err != nil {
			return nil, err
		}
		return bench.Load(p, event, *n, *conc, *warmup)
	case "fleet":
		cfg := bench.FleetConfig{Progress: os.Stderr}
		fs.StringVar(&cfg.Brokers, "brokers", "", "bootstrap brokers")
		fs.StringVar(&cfg.Topic, "topic", "", "the policy topic the instances read (AUTHZ_KAFKA_TOPIC)")
		fs.StringVar(&cfg.Suspended, "suspended", "", "policy document with the event's client suspended")
		fs.StringVar(&cfg.Active, "active", "", "policy document with the event's client active")
		fs.IntVar(&cfg.Instances, "instances", 50, "authorizer instances (one emulator each)")
		fs.IntVar(&cfg.Rounds, "rounds", 20, "rounds (alternating suspend / reactivate)")
		fs.DurationVar(&cfg.Poll, "poll", 20*time.Millisecond, "interval between two invocations of one instance while polling")
		fs.DurationVar(&cfg.Gap, "gap", time.Second, "idle time between rounds")
		fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "bound on one round")
		fs.DurationVar(&cfg.StartupTimeout, "startup-timeout", 120*time.Second, "bound on the start-up (every instance at the topic's newest revision)")
		fs.StringVar(&cfg.StatusTopic, "status-topic", "", "publish with `authz publish --wait` on this status topic (the instances' AUTHZ_STATUS_TOPIC)")
		fs.DurationVar(&cfg.WaitTimeout, "wait-timeout", 20*time.Second, "authz publish --wait's bound")
		fs.StringVar(&cfg.Inproc, "inproc", "", "run the instances as environments of this in-process driver (authorizer/examples/fleet_envs.rs) instead of one emulator each")
		_ = fs.Parse(args)
		if cfg.Brokers == "" || cfg.Topic == "" || cfg.Suspended == "" || cfg.Active == "" {
			return nil, fmt.Errorf("-brokers, -topic, -suspended and -active are required")
		}
		p, event, err := setup(*eventFile)
		if err != nil {
			return nil, err
		}
		cfg.Event = event
		return bench.Fleet(p, cfg)
	case "plot":
		result := fs.String("result", "", "riebench fleet's JSON output")
		outFile := fs.String("out", "", "the PNG to write")
		_ = fs.Parse(args)
		if *result == "" || *outFile == "" {
			return nil, fmt.Errorf("-result and -out are required")
		}
		data, err := os.ReadFile(*result)
		if err != nil {
			return nil, err
		}
		var r bench.FleetResult
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", *result, err)
		}
		if len(r.PerRoundInstanceMs) == 0 {
			return nil, fmt.Errorf("%s: no per-round instance times", *result)
		}
		var waits []float64
		if r.WaitReturnedMsP50 > 0 {
			waits = r.PerRoundPublishMs
		}
		f, err := os.Create(*outFile)
		if err != nil {
			return nil, err
		}
		if err := bench.ConvergencePlot(f, r.PerRoundInstanceMs, waits); err != nil {
			_ = f.Close()
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		return fmt.Sprintf("wrote %s: %d rounds of %d instances", *outFile, len(r.PerRoundInstanceMs), r.Instances), nil
	case "direct":
		policy := fs.String("policy", "", "baked policy (AUTHZ_POLICY_FILE)")
		apiID := fs.String("api-id", "", "AUTHZ_API_ID")
		runs := fs.Int("runs", 15, "spawns")
		_ = fs.Parse(args)
		p, err := harness.Locate()
		if err != nil {
			return nil, err
		}
		event, err := os.ReadFile(*eventFile)
		if err != nil {
			return nil, err
		}
		return bench.Direct(p.Bootstrap, *policy, *apiID, event, *runs)
	case "opa":
		opaFile := fs.String("opa", "", "output of opa bench --format json")
		criterionFile := fs.String("criterion", "", "output of cargo bench -- decision/RS256")
		_ = fs.Parse(args)
		return opaSummary(*opaFile, *criterionFile)
	}
	return nil, fmt.Errorf("unknown command (cold, load, fleet, direct, opa)")
}

func setup(eventFile string) (harness.Paths, map[string]any, error) {
	if eventFile == "" {
		return harness.Paths{}, nil, fmt.Errorf("-event is required")
	}
	p, err := harness.Locate()
	if err != nil {
		return p, nil, err
	}
	event, err := bench.ReadEvent(eventFile)
	return p, event, err
}

func opaSummary(opaFile, criterionFile string) (string, error) {
	data, err := os.ReadFile(opaFile)
	if err != nil {
		return "", err
	}
	opa, err := bench.ParseOPABench(data)
	if err != nil {
		return "", err
	}
	text, err := os.ReadFile(criterionFile)
	if err != nil {
		return "", err
	}
	ours, err := bench.CriterionEstimate(text, "decision/RS256")
	if err != nil {
		return "", err
	}
	runs := make([]string, len(opa.RunsNsPerOp))
	for i, ns := range opa.RunsNsPerOp {
		runs[i] = fmt.Sprintf("%.1f", ns/1000)
	}
	return fmt.Sprintf("opa: median %.1f µs/op over %d runs (runs: %s), %.0f allocs/op, %.1f KiB/op\n"+
		"opa / ours: %.1f µs / %.1f µs = %.1fx",
		opa.NsPerOp/1000, opa.Runs, strings.Join(runs, ", "), opa.AllocsPerOp, opa.BytesPerOp/1024,
		opa.NsPerOp/1000, ours/1000, opa.NsPerOp/ours), nil
}
