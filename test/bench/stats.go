// Package bench measures the authorizer end to end on the e2e harness (test/e2e/harness):
// the real `bootstrap` under aws-lambda-rie (cold start, one instance's throughput, a fleet's
// propagation of a policy change) and straight under a minimal Lambda Runtime API. It
// returns figures and never asserts; cmd/riebench prints them for `make bench`.
package bench

import (
	"math"
	"sort"
	"time"
)

// Sorted is an ascending copy of v.
func Sorted(v []float64) []float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s
}

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of an ascending slice;
// 0 for an empty one.
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	if rank < 0 {
		rank = 0
	}
	if rank >= len(sorted) {
		rank = len(sorted) - 1
	}
	return sorted[rank]
}

// Median is the middle value (the mean of the two middle ones for an even count).
func Median(v []float64) float64 {
	s := Sorted(v)
	n := len(s)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return s[n/2]
	default:
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// Max is the largest value; 0 for none.
func Max(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return Sorted(v)[len(v)-1]
}

// Round2 rounds to two decimals, for printing.
func Round2(f float64) float64 { return math.Round(f*100) / 100 }

// Ms is a duration in milliseconds, with microsecond resolution.
func Ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// MiB is a KiB count in MiB.
func MiB(kib int) float64 { return float64(kib) / 1024 }
