package bench

import (
	"math"
	"testing"
)

func TestParseOPABenchTakesTheMedianPerOperation(t *testing.T) {
	out := []byte(`{"N": 1000, "T": 50000000, "MemAllocs": 200000, "MemBytes": 4096000}
{"N": 2000, "T": 80000000, "MemAllocs": 400000, "MemBytes": 8192000}
{"N": 1000, "T": 60000000, "MemAllocs": 200000, "MemBytes": 4096000}`)
	s, err := ParseOPABench(out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Runs != 3 || s.NsPerOp != 50000 || s.AllocsPerOp != 200 || s.BytesPerOp != 4096 {
		t.Errorf("got %+v", s)
	}
	if len(s.RunsNsPerOp) != 3 || s.RunsNsPerOp[1] != 40000 {
		t.Errorf("runs %v", s.RunsNsPerOp)
	}
}

func TestParseOPABenchRefusesWhatIsNotAResult(t *testing.T) {
	for name, out := range map[string]string{
		"empty":   "",
		"garbage": "opa: error",
		"no ops":  `{"N": 0, "T": 5}`,
	} {
		if _, err := ParseOPABench([]byte(out)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestCriterionEstimateReadsTheMiddleFigureInItsUnit(t *testing.T) {
	text := []byte(`decision/ES256           time:   [80.100 µs 81.250 µs 82.000 µs]
decision/RS256           time:   [27.000 µs 27.500 µs 28.100 µs]
                        change: [-1.0% +0.2% +1.1%] (p = 0.70 > 0.05)
policy_load/large        time:   [1.2000 ms 1.2500 ms 1.3000 ms]
`)
	for bench, want := range map[string]float64{"decision/RS256": 27500, "decision/ES256": 81250, "policy_load/large": 1.25e6} {
		got, err := CriterionEstimate(text, bench)
		if err != nil || math.Abs(got-want) > 1e-6 {
			t.Errorf("%s: got %v, %v; want %v", bench, got, err, want)
		}
	}
	if _, err := CriterionEstimate(text, "decision/EdDSA"); err == nil {
		t.Error("a missing benchmark gave no error")
	}
}
