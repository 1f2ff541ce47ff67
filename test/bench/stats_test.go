package bench

import (
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct{ p, want float64 }{
		{50, 5}, {90, 9}, {99, 10}, {100, 10}, {1, 1}, {0, 1},
	} {
		if got := Percentile(s, c.p); got != c.want {
			t.Errorf("Percentile(1..10, %v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile(nil) = %v, want 0", got)
	}
	if got := Percentile([]float64{7}, 99); got != 7 {
		t.Errorf("Percentile([7], 99) = %v, want 7", got)
	}
}

func TestMedianAveragesTheMiddlePair(t *testing.T) {
	if got := Median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("Median(4 1 3 2) = %v, want 2.5", got)
	}
	if got := Median([]float64{9, 1, 5}); got != 5 {
		t.Errorf("Median(9 1 5) = %v, want 5", got)
	}
	if got := Median(nil); got != 0 {
		t.Errorf("Median(nil) = %v, want 0", got)
	}
}

func TestSortedLeavesItsInputAlone(t *testing.T) {
	in := []float64{3, 1, 2}
	out := Sorted(in)
	if in[0] != 3 || out[0] != 1 || out[2] != 3 {
		t.Errorf("Sorted(%v) = %v", in, out)
	}
}

func TestUnits(t *testing.T) {
	if got := Ms(1500 * time.Microsecond); got != 1.5 {
		t.Errorf("Ms(1.5ms) = %v", got)
	}
	if got := Round2(1.23456); got != 1.23 {
		t.Errorf("Round2 = %v", got)
	}
	if got := MiB(1536); got != 1.5 {
		t.Errorf("MiB(1536) = %v", got)
	}
	if got := Max([]float64{2, 9, 4}); got != 9 {
		t.Errorf("Max = %v", got)
	}
}
