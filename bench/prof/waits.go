package prof

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/google/pprof/profile"
	"github.com/parbench/parbench/bench/gil"
	"github.com/parbench/parbench/results"
)

// maxDepth is the deepest stack a wait keeps; deeper frames are cut.
const maxDepth = 32

// WaitProfile collects the waits for the simulated lock of a run, by
// stack and point: the gil profile. Record with the recorder of a point
// (Point); write with WriteFile or read with Profile.
type WaitProfile struct {
	mu        sync.Mutex
	start     time.Time
	waits     map[waitKey]waitValue
	total     time.Duration
	accounted time.Duration
}

type waitKey struct {
	stk [maxDepth]uintptr
	n   int
	l   Labels
}

type waitValue struct {
	count int64
	ns    time.Duration
}

// NewWaitProfile returns an empty WaitProfile.
func NewWaitProfile() *WaitProfile {
	return &WaitProfile{start: time.Now(), waits: map[waitKey]waitValue{}}
}

// Point returns the recorder of the waits of one sample at l.
func (w *WaitProfile) Point(l Labels) gil.WaitRecorder { return &pointWaits{w: w, l: l} }

type pointWaits struct {
	w *WaitProfile
	l Labels
}

// RecordWait is called by the lock on the goroutine that waited: its
// stack, above gil's accounting, is where it asked for the lock.
func (p *pointWaits) RecordWait(d time.Duration) {
	k := waitKey{l: p.l}
	k.n = runtime.Callers(2+gil.RecorderSkip, k.stk[:])
	w := p.w
	w.mu.Lock()
	v := w.waits[k]
	v.count++
	v.ns += d
	w.waits[k] = v
	w.total += d
	w.mu.Unlock()
}

// Total returns the time waited in all, as recorded.
func (w *WaitProfile) Total() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.total
}

// Accounted adds the locks' own accounting of a sample's waits.
func (w *WaitProfile) Accounted(d time.Duration) {
	w.mu.Lock()
	w.accounted += d
	w.mu.Unlock()
}

// AccountedTotal returns the sum of what Accounted was given.
func (w *WaitProfile) AccountedTotal() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.accounted
}

// Profile returns the waits as a pprof profile: per stack and labels,
// the count of waits and the nanoseconds waited (the default sample
// type), with the stack symbolized from this process.
func (w *WaitProfile) Profile() *profile.Profile {
	w.mu.Lock()
	defer w.mu.Unlock()
	exe, _ := os.Executable()
	m := &profile.Mapping{ID: 1, File: exe, HasFunctions: true, HasFilenames: true, HasLineNumbers: true}
	p := &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: results.SampleWaits, Unit: results.UnitCount},
			{Type: results.SampleWait, Unit: results.UnitNanoseconds},
		},
		DefaultSampleType: results.SampleWait,
		PeriodType:        &profile.ValueType{Type: results.SampleWait, Unit: results.UnitNanoseconds},
		Period:            1,
		TimeNanos:         w.start.UnixNano(),
		DurationNanos:     time.Since(w.start).Nanoseconds(),
		Mapping:           []*profile.Mapping{m},
		Comments: []string{
			"parbench: time goroutines waited for the simulated lock (--lock gil, gil-old, mutex)",
			fmt.Sprintf("parbench: recorded %d ns; the locks' own accounting (wait-share's numerator) %d ns",
				w.total.Nanoseconds(), w.accounted.Nanoseconds()),
		},
	}
	locs := map[uintptr]*profile.Location{}
	funcs := map[[2]string]*profile.Function{}
	location := func(pc uintptr) *profile.Location {
		if l, ok := locs[pc]; ok {
			return l
		}
		l := &profile.Location{ID: uint64(len(p.Location) + 1), Mapping: m, Address: uint64(pc)}
		frames := runtime.CallersFrames([]uintptr{pc})
		for {
			fr, more := frames.Next()
			key := [2]string{fr.Function, fr.File}
			fn := funcs[key]
			if fn == nil {
				fn = &profile.Function{ID: uint64(len(p.Function) + 1), Name: fr.Function, SystemName: fr.Function, Filename: fr.File}
				funcs[key] = fn
				p.Function = append(p.Function, fn)
			}
			l.Line = append(l.Line, profile.Line{Function: fn, Line: int64(fr.Line)})
			if !more {
				break
			}
		}
		locs[pc] = l
		p.Location = append(p.Location, l)
		return l
	}
	keys := make([]waitKey, 0, len(w.waits))
	for k := range w.waits {
		keys = append(keys, k)
	}
	// Deterministic order: most time first.
	sort.Slice(keys, func(i, j int) bool { return w.waits[keys[i]].ns > w.waits[keys[j]].ns })
	for _, k := range keys {
		v := w.waits[k]
		s := &profile.Sample{
			Value: []int64{v.count, v.ns.Nanoseconds()},
			Label: map[string][]string{
				results.LabelWorkload:   {k.l.Workload},
				results.LabelLock:       {k.l.Lock},
				results.LabelGoroutines: {strconv.Itoa(k.l.Goroutines)},
				results.LabelProcs:      {strconv.Itoa(k.l.Procs)},
			},
		}
		for _, pc := range k.stk[:k.n] {
			s.Location = append(s.Location, location(pc))
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

// WriteFile writes the gil profile, gzipped protobuf, to path.
func (w *WaitProfile) WriteFile(path string) error {
	p := w.Profile()
	if err := p.CheckValid(); err != nil {
		return fmt.Errorf("gil profile: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("gil profile: %w", err)
	}
	if err := p.Write(f); err != nil {
		f.Close()
		return fmt.Errorf("gil profile %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("gil profile %s: %w", path, err)
	}
	return nil
}
