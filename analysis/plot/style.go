package plot

import (
	"hash/fnv"
	"image/color"
	"math"
	"strconv"
	"strings"
	"time"

	gonum "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// lockColors are the lock modes' colours, from the Okabe-Ito palette
// (distinguishable with the common colour-vision deficiencies).
var lockColors = map[string]color.RGBA{
	"":        {0x00, 0x72, 0xB2, 0xff}, // no lock key: plain go test output, as none
	"none":    {0x00, 0x72, 0xB2, 0xff}, // blue
	"gil":     {0xD5, 0x5E, 0x00, 0xff}, // vermillion
	"gil-old": {0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	"mutex":   {0x00, 0x9E, 0x73, 0xff}, // bluish green
}

// otherColors are for lock modes not in lockColors, chosen by a hash of
// the name so that a mode keeps its colour from report to report.
var otherColors = []color.RGBA{
	{0xE6, 0x9F, 0x00, 0xff}, // orange
	{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	{0x7F, 0x3C, 0x8D, 0xff}, // purple
	{0x8C, 0x61, 0x3C, 0xff}, // brown
}

// LockColor returns the colour of a lock mode in every figure.
func LockColor(lock string) color.RGBA {
	if c, ok := lockColors[lock]; ok {
		return c
	}
	h := fnv.New32a()
	h.Write([]byte(lock))
	return otherColors[h.Sum32()%uint32(len(otherColors))]
}

// LockLabel names a lock mode in a legend.
func LockLabel(lock string) string {
	if lock == "" {
		return "no lock key"
	}
	return lock
}

var (
	idealColor = color.RGBA{0x88, 0x88, 0x88, 0xff}
	cpuColor   = color.RGBA{0x44, 0x44, 0x44, 0xff}
	fitColor   = color.RGBA{0x22, 0x22, 0x22, 0xff}
	// Dash patterns: ideal lines long dashes, "without" series and
	// GOMAXPROCS=1 short dashes, fits their own.
	idealDash  = []vg.Length{vg.Points(6), vg.Points(3)}
	altDash    = []vg.Length{vg.Points(3), vg.Points(2)}
	cpuDash    = []vg.Length{vg.Points(1), vg.Points(2)}
	amdahlDash = []vg.Length{vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}
	uslDash    = []vg.Length{vg.Points(2), vg.Points(1.5)}
)

// siTicks labels a linear axis's ticks with SI prefixes: 20k, 1.5M.
type siTicks struct{}

func (siTicks) Ticks(lo, hi float64) []gonum.Tick {
	ts := gonum.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = si(ts[i].Value)
		}
	}
	return ts
}

// logTicks marks a log axis (linear over log10 of the values) at 1, 2 and 5 times powers of ten (only
// powers of ten over a wide range), always labelling at least two
// ticks, which gonum's LogTicks does not over a narrow range.
type logTicks struct {
	// format writes a label; si when nil.
	format func(float64) string
}

func (t logTicks) Ticks(min, max float64) []gonum.Tick {
	lo, hi := math.Pow(10, min), math.Pow(10, max)
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) {
		return nil
	}
	format := t.format
	if format == nil {
		format = si
	}
	wide := math.Log10(hi/lo) > 3
	var ts []gonum.Tick
	labelled := 0
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for m := 1; m < 10; m++ {
			v := float64(m) * math.Pow(10, e)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			tk := gonum.Tick{Value: math.Log10(v)}
			if m == 1 || !wide && (m == 2 || m == 5) {
				tk.Label = format(v)
				labelled++
			}
			ts = append(ts, tk)
		}
	}
	if labelled < 2 { // under a factor of 2 or so: label the ends
		ts = append(ts, gonum.Tick{Value: min, Label: format(lo)}, gonum.Tick{Value: max, Label: format(hi)})
	}
	return ts
}

// si formats x with an SI prefix and three significant digits.
func si(x float64) string {
	prefixes := []struct {
		scale float64
		p     string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}}
	a := math.Abs(x)
	for _, p := range prefixes {
		if a >= p.scale {
			return trimFloat(x/p.scale) + p.p
		}
	}
	return trimFloat(x)
}

func trimFloat(x float64) string { return strconv.FormatFloat(x, 'g', 3, 64) }

// seconds formats a time in seconds as a duration: 50µs, 1.5ms.
func seconds(x float64) string {
	d := time.Duration(x * float64(time.Second))
	switch {
	case d >= time.Second:
		return trimFloat(d.Seconds()) + "s"
	case d >= time.Millisecond:
		return trimFloat(x*1e3) + "ms"
	case d >= time.Microsecond:
		return trimFloat(x*1e6) + "µs"
	}
	return trimFloat(x*1e9) + "ns"
}

// slug makes a file-name-safe stem: lower case, [a-z0-9-] only.
func slug(parts ...string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.Join(parts, "-")) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
