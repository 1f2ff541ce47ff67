package bench

import (
	"bytes"
	"image/png"
	"testing"
)

func TestShareAt(t *testing.T) {
	s := []float64{100, 200, 200, 400}
	for _, c := range []struct{ t, want float64 }{{50, 0}, {100, 0.25}, {199, 0.25}, {200, 0.75}, {1000, 1}} {
		if got := ShareAt(s, c.t); got != c.want {
			t.Errorf("ShareAt(%v) = %v, want %v", c.t, got, c.want)
		}
	}
	if ShareAt(nil, 5) != 0 {
		t.Error("ShareAt(nil) is not 0")
	}
}

func TestAxisMaxMs(t *testing.T) {
	if got := AxisMaxMs([]float64{300}, []float64{900}); got != 2000 {
		t.Errorf("AxisMaxMs below the targets = %v, want 2000", got)
	}
	if got := AxisMaxMs([]float64{2100}, []float64{2600}); got != 3000 {
		t.Errorf("AxisMaxMs = %v, want 3000", got)
	}
}

func TestLabel(t *testing.T) {
	for _, c := range []struct {
		v    float64
		unit string
		want string
	}{{0, "s", "0s"}, {0.5, "s", "0.5s"}, {2.5, "s", "2.5s"}, {100, "%", "100%"}} {
		if got := label(c.v, c.unit); got != c.want {
			t.Errorf("label(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestConvergencePlotIsAPNG(t *testing.T) {
	var buf bytes.Buffer
	if err := ConvergencePlot(&buf, [][]float64{{100, 300}, {150, 250}}, []float64{800, 900}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 900 || b.Dy() != 520 {
		t.Errorf("size %v", b)
	}
}

func TestTickMs(t *testing.T) {
	for _, c := range []struct{ xmax, want float64 }{{2000, 500}, {5000, 500}, {9000, 1000}, {18500, 2000}, {60000, 10000}} {
		if got := TickMs(c.xmax); got != c.want {
			t.Errorf("TickMs(%v) = %v, want %v", c.xmax, got, c.want)
		}
	}
}
