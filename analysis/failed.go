package analysis

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/parbench/parbench/results"
)

// FailedPoint is a point whose sample failed in the run that wrote the
// file (a results.NoteFailed note: an error, a panic, a hang, a leak)
// and that no later stop note shows completed (as a resumed run does).
// A point cut short is no measurement: its samples before the failure
// are left out of the analysis, and the group's verdict names it.
type FailedPoint struct {
	Procs, Goroutines int
	// Reason is the note's text after the point's name: the error.
	Reason string
	// File and Line are where the note is.
	File string
	Line int
	// Dropped is the number of the point's samples left out.
	Dropped int
}

// maxReason is the most of a failure's reason a verdict quotes; the note
// in the file (File:Line) has all of it.
const maxReason = 120

// String describes the failure in one line: the point, the reason (cut
// short if long), where the note is, and the samples left out.
func (f FailedPoint) String() string {
	reason := f.Reason
	if len(reason) > maxReason {
		reason = utf8Cut(reason, maxReason) + " ..."
	}
	if reason == "" {
		reason = "no reason given"
	}
	s := fmt.Sprintf("%s: %s (%s:%d)", fmtAt(f.Procs, f.Goroutines), reason, f.File, f.Line)
	if f.Dropped > 0 {
		s += fmt.Sprintf("; its %d sample%s before the failure left out", f.Dropped, plural(f.Dropped))
	}
	return s
}

// utf8Cut returns s cut to at most n bytes, on a rune boundary.
func utf8Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// fmtAt names a point: "4 procs, 2 goroutines", or "4 procs" for a
// name without a goroutines key (go test output), whose goroutine
// count is unknown.
func fmtAt(procs, goroutines int) string {
	s := fmt.Sprintf("%d proc%s", procs, plural(procs))
	if goroutines > 0 {
		s += fmt.Sprintf(", %d goroutine%s", goroutines, plural(goroutines))
	}
	return s
}

// readFailures takes a file's failed notes: each failed point's samples
// leave its group (the file's groups of its workload, lock and keys),
// and the group keeps the failure for its verdict. A failure with no
// group left to show it is a warning.
func (b *Builder) readFailures(file string, notes []results.Note) {
	failed := map[string]results.Note{}
	var order []string
	for _, n := range notes {
		switch n.Key {
		case results.NoteFailed:
			if _, ok := failed[n.Point()]; !ok {
				order = append(order, n.Point())
			}
			failed[n.Point()] = n
		case results.NoteStop:
			delete(failed, n.Point()) // completed after all (a resumed run)
		}
	}
	for _, name := range order {
		n, ok := failed[name]
		if !ok {
			continue
		}
		reason := strings.TrimSpace(strings.TrimPrefix(n.Value, name))
		orphan := func(why string) {
			b.orphans = append(b.orphans, &Warning{File: file, Line: n.Line,
				Msg: fmt.Sprintf("%s failed: %s; %s", name, reason, why)})
		}
		pt, err := results.ParseName(name)
		if err != nil {
			orphan(fmt.Sprintf("its name does not parse (%v), so no group shows it", err))
			continue
		}
		np := readProcs(pt)
		extra := np.extra
		pt.Procs = np.procs
		lv := level{pt.Procs, pt.Goroutines}
		var keys []groupKey
		for k := range b.samples {
			if k.file == file && k.workload == pt.Workload && k.lock == pt.Lock && k.extra == strings.Join(extra, "/") {
				keys = append(keys, k)
			}
		}
		sort.Slice(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
		if len(keys) == 0 {
			orphan("no point of its group has a sample in the file, so no group shows it")
			continue
		}
		for _, k := range keys {
			fp := FailedPoint{Procs: pt.Procs, Goroutines: pt.Goroutines, Reason: reason, File: file, Line: n.Line}
			if c := b.samples[k][lv]; c != nil {
				fp.Dropped = len(c.secs)
				b.results -= len(c.secs)
				delete(b.samples[k], lv)
			}
			if len(b.samples[k]) == 0 {
				delete(b.samples, k)
				delete(b.classes, k)
				orphan(fmt.Sprintf("it was its group's only point, so no group shows it; its %d sample%s before the failure left out", fp.Dropped, plural(fp.Dropped)))
				continue
			}
			b.failures[k] = append(b.failures[k], fp)
		}
	}
}
