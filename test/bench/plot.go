package bench

import (
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
)

// ShareAt is the share (0..1) of the sorted times that are at most t: the share of the
// fleet enforcing t after publish start.
func ShareAt(sorted []float64, t float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	lo, hi := 0, len(sorted)
	for lo < hi {
		mid := (lo + hi) / 2
		if sorted[mid] <= t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return float64(lo) / float64(len(sorted))
}

// AxisMaxMs is the x axis' end: the largest of the values and the targets (1 s, 2 s),
// rounded up to a whole half second.
func AxisMaxMs(values ...[]float64) float64 {
	m := 2000.0
	for _, v := range values {
		if x := Max(v); x > m {
			m = x
		}
	}
	return math.Ceil(m/500) * 500
}

// TickMs is the spacing of the x axis' ticks: at most about ten labels.
func TickMs(xmax float64) float64 {
	for _, t := range []float64{500, 1000, 2000, 5000, 10000} {
		if xmax/t <= 10 {
			return t
		}
	}
	return 30000
}

// ConvergencePlot draws the fleet's convergence: per round (faint blue) and over all rounds
// (bold blue) the share of instances enforcing against the time since publish start; each
// round's `authz publish --wait` return (orange, vertical); the targets at 1 s and 2 s
// (grey, dashed). Tick labels: seconds on x, percent on y.
func ConvergencePlot(w io.Writer, perRound [][]float64, waits []float64) error {
	const W, H, left, right, top, bottom = 900, 520, 70, 24, 20, 50
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	fill(img, img.Bounds(), color.RGBA{255, 255, 255, 255})
	var all []float64
	for _, r := range perRound {
		all = append(all, r...)
	}
	xmax := AxisMaxMs(all, waits)
	pw, ph := float64(W-left-right), float64(H-top-bottom)
	px := func(ms float64) int { return left + int(math.Round(ms/xmax*pw)) }
	py := func(share float64) int { return top + int(math.Round((1-share)*ph)) }

	grid := color.RGBA{225, 225, 225, 255}
	ink := color.RGBA{40, 40, 40, 255}
	for s := 0.0; s <= 1.0001; s += 0.25 {
		hline(img, left, W-right, py(s), grid)
		text(img, left-8-textWidth(label(s*100, "%")), py(s)-5, label(s*100, "%"), ink)
	}
	for ms := 0.0; ms <= xmax+1; ms += TickMs(xmax) {
		vline(img, px(ms), top, H-bottom, grid)
		text(img, px(ms)-textWidth(label(ms/1000, "s"))/2, H-bottom+10, label(ms/1000, "s"), ink)
	}
	dashed := color.RGBA{150, 150, 150, 255}
	for _, target := range []float64{1000, 2000} {
		for y := top; y < H-bottom; y += 8 {
			vline(img, px(target), y, y+4, dashed)
		}
	}
	orange := color.RGBA{230, 120, 20, 255}
	for _, ms := range waits {
		vline(img, px(ms), top, H-bottom, orange)
		vline(img, px(ms)+1, top, H-bottom, orange)
	}
	faint := color.RGBA{150, 180, 230, 255}
	for _, r := range perRound {
		step(img, Sorted(r), px, py, xmax, faint, 1)
	}
	step(img, Sorted(all), px, py, xmax, color.RGBA{20, 60, 170, 255}, 3)
	hline(img, left, W-right, H-bottom, ink)
	vline(img, left, top, H-bottom, ink)
	return png.Encode(w, img)
}

// step draws the share curve of sorted times from 0 to xmax.
func step(img *image.RGBA, sorted []float64, px func(float64) int, py func(float64) int,
	xmax float64, c color.RGBA, thick int) {
	prevX, prevY := px(0), py(0)
	for i, t := range sorted {
		x, y := px(t), py(float64(i+1)/float64(len(sorted)))
		for d := 0; d < thick; d++ {
			hline(img, prevX, x, prevY+d, c)
			vline(img, x+d, y, prevY, c)
		}
		prevX, prevY = x, y
	}
	for d := 0; d < thick; d++ {
		hline(img, prevX, px(xmax), prevY+d, c)
	}
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) {
	if x0 > x1 {
		x0, x1 = x1, x0
	}
	for x := x0; x <= x1; x++ {
		img.SetRGBA(x, y, c)
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.RGBA) {
	if y0 > y1 {
		y0, y1 = y1, y0
	}
	for y := y0; y <= y1; y++ {
		img.SetRGBA(x, y, c)
	}
}

// label is v with at most one decimal and the unit: 0.5s, 1s, 25%.
func label(v float64, unit string) string {
	if v == math.Trunc(v) {
		return itoa(int(v)) + unit
	}
	tenths := int(math.Round(v * 10))
	return itoa(tenths/10) + "." + itoa(tenths%10) + unit
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

// A 3x5 font for the tick labels, drawn at twice the size.
var glyphs = map[rune][5]string{
	'0': {"###", "#.#", "#.#", "#.#", "###"},
	'1': {".#.", "##.", ".#.", ".#.", "###"},
	'2': {"###", "..#", "###", "#..", "###"},
	'3': {"###", "..#", "###", "..#", "###"},
	'4': {"#.#", "#.#", "###", "..#", "..#"},
	'5': {"###", "#..", "###", "..#", "###"},
	'6': {"###", "#..", "###", "#.#", "###"},
	'7': {"###", "..#", "..#", "..#", "..#"},
	'8': {"###", "#.#", "###", "#.#", "###"},
	'9': {"###", "#.#", "###", "..#", "###"},
	'.': {"...", "...", "...", "...", ".#."},
	's': {"...", "###", "##.", "..#", "###"},
	'%': {"#.#", "..#", ".#.", "#..", "#.#"},
}

const glyphScale = 2

func textWidth(s string) int { return len(s) * 4 * glyphScale }

func text(img *image.RGBA, x, y int, s string, c color.RGBA) {
	for _, r := range s {
		g := glyphs[r]
		for row, line := range g {
			for col, ch := range line {
				if ch == '#' {
					fill(img, image.Rect(x+col*glyphScale, y+row*glyphScale,
						x+(col+1)*glyphScale, y+(row+1)*glyphScale), c)
				}
			}
		}
		x += 4 * glyphScale
	}
}
