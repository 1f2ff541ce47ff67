package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
)

// OPARuns are the runs of `opa bench --format json --count N`: N JSON objects one after
// the other, each Go benchmark result (T nanoseconds in total over N operations).
type OPARun struct {
	N         float64 `json:"N"`
	T         float64 `json:"T"`
	MemAllocs float64 `json:"MemAllocs"`
	MemBytes  float64 `json:"MemBytes"`
}

// OPASummary is the median of the runs, per operation.
type OPASummary struct {
	Runs        int
	NsPerOp     float64
	RunsNsPerOp []float64
	AllocsPerOp float64
	BytesPerOp  float64
}

// ParseOPABench reads the concatenated JSON objects `opa bench` prints.
func ParseOPABench(data []byte) (OPASummary, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var perOp, allocs, bytes_ []float64
	for {
		var r OPARun
		err := dec.Decode(&r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return OPASummary{}, fmt.Errorf("opa bench output: %w", err)
		}
		if r.N <= 0 {
			return OPASummary{}, errors.New("opa bench output: a run with N = 0")
		}
		perOp = append(perOp, r.T/r.N)
		allocs = append(allocs, r.MemAllocs/r.N)
		bytes_ = append(bytes_, r.MemBytes/r.N)
	}
	if len(perOp) == 0 {
		return OPASummary{}, errors.New("opa bench output: no runs")
	}
	return OPASummary{Runs: len(perOp), NsPerOp: Median(perOp), RunsNsPerOp: perOp,
		AllocsPerOp: Median(allocs), BytesPerOp: Median(bytes_)}, nil
}

var criterionTime = regexp.MustCompile(`(?m)^(\S+)\s+time:\s+\[\S+ \S+ (\S+) (\S+)`)

// CriterionEstimate is criterion's point estimate for bench (the middle of
// "time: [low unit estimate unit high unit]"), in nanoseconds.
func CriterionEstimate(text []byte, bench string) (float64, error) {
	for _, m := range criterionTime.FindAllSubmatch(text, -1) {
		if string(m[1]) != bench {
			continue
		}
		v, err := strconv.ParseFloat(string(m[2]), 64)
		if err != nil {
			return 0, fmt.Errorf("criterion %s: %q is not a number", bench, m[2])
		}
		scale, ok := map[string]float64{"ps": 1e-3, "ns": 1, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}[string(m[3])]
		if !ok {
			return 0, fmt.Errorf("criterion %s: unknown unit %q", bench, m[3])
		}
		return v * scale, nil
	}
	return 0, fmt.Errorf("criterion output has no time line for %s", bench)
}
