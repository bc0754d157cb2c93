package htmlreport_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parbench/parbench/analysis/plot"
)

// chromium returns the headless browser of the browser tests:
// $PARBENCH_CHROMIUM, else chromium (Debian's package, which .ci/run
// installs) or Chrome on $PATH.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PARBENCH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium: the browser test needs headless Chromium (apt-get install chromium, as .ci/run does, or set PARBENCH_CHROMIUM)")
	return ""
}

// browse runs headless Chromium on url with the extra arguments and
// returns its stdout and its log (stderr).
func browse(ctx context.Context, t *testing.T, bin, url string, extra ...string) (stdout, log string) {
	t.Helper()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}
	cmd := exec.CommandContext(ctx, bin, append(append(args, extra...), url)...)
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("chromium did not finish in time: %v\n%s", err, errb.String())
		}
		t.Fatalf("chromium %v: %v\n%s", extra, err, errb.String())
	}
	return out.String(), errb.String()
}

// consoleRE matches what Chromium logs for the page's console and
// script errors. The page has no script, so any console line is a
// fault: an error, or something that should not run at all.
var consoleRE = regexp.MustCompile(`(?m)^.*(:CONSOLE[:(]|Uncaught|Failed to load resource|net::ERR_).*$`)

// TestBrowser loads the page in headless Chromium from a file, dumps the
// DOM and takes a screenshot: the page must render (a non-blank image
// showing the lock modes' colours), hold the verdict table and every
// plot after parsing, and log no console errors.
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	html, rep, secs := page(t, inputs...)
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + file

	t.Run("console check works", func(t *testing.T) {
		// A page that logs and fails: the scan must see it, or a clean
		// log below proves nothing.
		bad := filepath.Join(dir, "bad.html")
		os.WriteFile(bad, []byte(`<!DOCTYPE html><p>x</p><script>console.error("parbench-canary"); nosuch();</script>`), 0o644)
		_, log := browse(ctx, t, bin, "file://"+bad, "--dump-dom")
		if got := consoleRE.FindAllString(log, -1); len(got) < 2 {
			t.Fatalf("the console scan found %q in a page with an error and an exception; log:\n%s", got, log)
		}
	})

	t.Run("dom", func(t *testing.T) {
		dom, log := browse(ctx, t, bin, url, "--dump-dom")
		checkStructure(t, dom, rep, secs)
		if lines := consoleRE.FindAllString(log, -1); len(lines) > 0 {
			t.Errorf("console errors:\n%s", strings.Join(lines, "\n"))
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(dir, "shot.png")
		_, log := browse(ctx, t, bin, url, "--screenshot="+shot, "--window-size=1280,2400", "--hide-scrollbars")
		if lines := consoleRE.FindAllString(log, -1); len(lines) > 0 {
			t.Errorf("console errors:\n%s", strings.Join(lines, "\n"))
		}
		f, err := os.Open(shot)
		if err != nil {
			t.Fatalf("no screenshot: %v\n%s", err, log)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() < 1000 || b.Dy() < 2000 {
			t.Errorf("screenshot %v, want 1280x2400", b)
		}
		checkRendered(t, img)
		if dst := os.Getenv("PARBENCH_SCREENSHOT"); dst != "" {
			data, _ := os.ReadFile(shot)
			os.WriteFile(dst, data, 0o644)
		}
	})
}

// checkRendered checks that img shows a page: enough ink, many colours
// (text antialiasing, plots), and the swatches and lines of the lock
// modes the report has.
func checkRendered(t *testing.T, img image.Image) {
	t.Helper()
	b := img.Bounds()
	ink, total := 0, 0
	colours := map[[3]uint8]int{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8)}
			colours[c]++
			total++
			if c[0] < 200 || c[1] < 200 || c[2] < 200 {
				ink++
			}
		}
	}
	if frac := float64(ink) / float64(total); frac < 0.02 {
		t.Errorf("only %.1f%% of the screenshot is not white: a blank page?", 100*frac)
	}
	if len(colours) < 50 {
		t.Errorf("%d colours in the screenshot: a blank page?", len(colours))
	}
	for _, lock := range []string{"none", "gil"} {
		c := plot.LockColor(lock)
		if colours[[3]uint8{c.R, c.G, c.B}] == 0 {
			t.Errorf("no pixel in lock=%s's colour: the swatches and plots did not render", lock)
		}
	}
}
