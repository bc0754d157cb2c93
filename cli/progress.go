package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/parbench/parbench/bench"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// plainEvery is how often a run not on a terminal prints a progress line.
const plainEvery = 10 * time.Second

// progress shows a run's bench.Progress: a live bar (mpb) on a terminal,
// a plain line every plainEvery otherwise (CI logs). A nil *progress
// shows nothing.
type progress struct {
	w    io.Writer
	mu   sync.Mutex
	last bench.Progress
	seen bool

	// terminal
	p   *mpb.Progress
	bar *mpb.Bar
	// plain
	printed time.Time
}

// newProgress shows progress on term (the terminal itself, so that mpb
// can size the bar) or, when tty is false, as plain lines on log.
func newProgress(term, log io.Writer, tty bool) *progress {
	pr := &progress{w: log, printed: time.Now()}
	if !tty {
		return pr
	}
	pr.p = mpb.New(mpb.WithOutput(term), mpb.WithAutoRefresh(), mpb.WithWidth(30), mpb.WithRefreshRate(200*time.Millisecond))
	pr.bar = pr.p.New(0, mpb.BarStyle(), // 0: the total grows and shrinks, completion is ours
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
			s := pr.state()
			return fmt.Sprintf("points %d/%d  samples %d/%d", s.PointsDone, s.Points, s.SamplesDone, s.Samples) + failedText(s, "  ")
		})),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			s := pr.state()
			return fmt.Sprintf(" %s elapsed, ~%s left  %s", s.Elapsed.Round(time.Second), s.Left.Round(time.Second), s.Point)
		})),
	)
	return pr
}

// writer is where other messages go while the run is on: above the
// bar on a terminal, the log otherwise.
func (pr *progress) writer() io.Writer {
	if pr.p != nil {
		return pr.p
	}
	return pr.w
}

func (pr *progress) state() bench.Progress {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.last
}

// update is the run's Config.Progress.
func (pr *progress) update(s bench.Progress) {
	pr.mu.Lock()
	pr.last, pr.seen = s, true
	pr.mu.Unlock()
	if pr.bar != nil {
		pr.bar.SetTotal(int64(max(s.Total, 1)), false)
		pr.bar.SetCurrent(int64(s.Done))
		return
	}
	if time.Since(pr.printed) >= plainEvery {
		pr.printed = time.Now()
		fmt.Fprintln(pr.w, plainLine(s))
	}
}

// plainLine is one progress line for a log.
func plainLine(s bench.Progress) string {
	return fmt.Sprintf("parbench: points %d/%d, samples %d/%d%s, %s elapsed, ~%s left, at %s",
		s.PointsDone, s.Points, s.SamplesDone, s.Samples, failedText(s, ", "),
		s.Elapsed.Round(time.Second), s.Left.Round(time.Second), s.Point)
}

// failedText is the failed count of a progress line, after sep: the
// points failed and the samples of the total they will not take, so
// that the total never falls without a word. It is empty while no point
// has failed.
func failedText(s bench.Progress, sep string) string {
	if s.Failed == 0 {
		return ""
	}
	noun := "point"
	if s.Failed > 1 {
		noun = "points"
	}
	return fmt.Sprintf("%sfailed %d %s (%d samples)", sep, s.Failed, noun, s.SamplesFailed)
}

// finish takes the bar down (complete, or aborted where the run was
// not), or prints the last plain line.
func (pr *progress) finish(complete bool) {
	if pr == nil {
		return
	}
	if pr.bar != nil {
		if complete {
			pr.bar.SetTotal(-1, true)
		} else {
			pr.bar.Abort(false)
		}
		pr.p.Wait()
		return
	}
	if s := pr.state(); pr.seen {
		fmt.Fprintln(pr.w, plainLine(s))
	}
}
