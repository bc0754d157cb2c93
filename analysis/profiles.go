package analysis

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/pprof/profile"
	"github.com/parbench/parbench/results"
)

// Profiles: what the profiles of a run (parbench run --profile) say about
// each group. The results file names its profiles folder in the file
// configuration key results.KeyProfiles, relative to the file's own
// folder; the folder holds results.ProfileCPU and results.ProfileGIL
// (and the mutex, block and trace files), whose samples carry the pprof
// labels results.LabelWorkload, LabelLock, LabelGoroutines and
// LabelProcs. ReadProfiles parses them with github.com/google/pprof;
// Summary slices them by labels into the share of goroutine time spent
// waiting for the lock, the CPU by class (scheduler, GC, lock,
// workload) and the top cost centres. Report.AttachProfiles reads each
// file's folder once, for every format.

// Profiles are the parsed profiles of one folder. A kind that was not
// written is nil.
type Profiles struct {
	Dir        string
	CPU, Waits *profile.Profile // cpu.pprof, gil.pprof
	Mutex      *profile.Profile // mutex.pprof (no labels: the runtime has none there)
}

// ReadProfiles parses the profiles in dir. A missing file is a nil
// profile; a file that does not parse is an error naming it.
func ReadProfiles(dir string) (*Profiles, error) {
	p := &Profiles{Dir: dir}
	for _, f := range []struct {
		name string
		dst  **profile.Profile
	}{{results.ProfileCPU, &p.CPU}, {results.ProfileGIL, &p.Waits}, {results.ProfileMutex, &p.Mutex}} {
		prof, err := ParseProfileFile(filepath.Join(dir, f.name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		*f.dst = prof
	}
	if p.CPU == nil && p.Waits == nil && p.Mutex == nil {
		return nil, fmt.Errorf("profiles folder %s: no %s, %s or %s: %w", dir, results.ProfileCPU, results.ProfileGIL, results.ProfileMutex, fs.ErrNotExist)
	}
	return p, nil
}

// ParseProfileFile parses and validates one pprof file.
func ParseProfileFile(path string) (*profile.Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := p.CheckValid(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Share is one cost centre: a name, its value (nanoseconds) and its
// share of the total it belongs to.
type Share struct {
	Name  string
	Value int64
	Share float64
}

// CPU classes of Summary.Classes.
const (
	ClassScheduler = "scheduler" // runtime.schedule, findRunnable, park, ready...
	ClassGC        = "gc"        // mark workers, assists, sweeping, scavenging
	ClassLock      = "lock"      // the simulated lock's own code (bench/gil)
	ClassWorkload  = "workload"  // the workload's code, not under the above
	ClassOther     = "other"     // runner, runtime misc, syscalls
)

// ProfileSummary is what the profiles say about one slice of a run.
type ProfileSummary struct {
	// CPU is the CPU time sampled (nanoseconds), Wait the time waited
	// for the simulated lock (the gil profile).
	CPU, Wait int64
	// WaitShare is Wait / (Wait + CPU): of the time the goroutines were
	// running or waiting for the lock, the share they waited. NaN-free:
	// 0 when both are 0. Blocking in IO counts in neither.
	WaitShare float64
	// Classes is the CPU by class, largest first.
	Classes []Share
	// Top are the functions with the most CPU (flat), largest first.
	Top []Share
	// WaitSites are the call sites (the first frame outside the lock)
	// that waited longest for the lock, largest first.
	WaitSites []Share
}

// Summary returns what p says about the samples carrying every label in
// match (pprof labels such as {results.LabelWorkload: "cpu/sha256",
// results.LabelLock: "gil"}; nil matches all), with at most top entries
// per list.
func (p *Profiles) Summary(match map[string]string, top int) ProfileSummary {
	var s ProfileSummary
	if p.CPU != nil {
		i := sampleIndex(p.CPU, results.SampleCPU, results.UnitNanoseconds)
		flat := map[string]int64{}
		class := map[string]int64{}
		for _, smp := range p.CPU.Sample {
			if i < 0 || !labelsMatch(smp, match) {
				continue
			}
			v := smp.Value[i]
			s.CPU += v
			if fn := leafFunc(smp); fn != "" {
				flat[fn] += v
			}
			class[classify(smp)] += v
		}
		s.Top = topShares(flat, s.CPU, top)
		s.Classes = topShares(class, s.CPU, 0)
	}
	if p.Waits != nil {
		i := sampleIndex(p.Waits, results.SampleWait, results.UnitNanoseconds)
		sites := map[string]int64{}
		for _, smp := range p.Waits.Sample {
			if i < 0 || !labelsMatch(smp, match) {
				continue
			}
			v := smp.Value[i]
			s.Wait += v
			sites[waitSite(smp)] += v
		}
		s.WaitSites = topShares(sites, s.Wait, top)
	}
	if s.Wait+s.CPU > 0 {
		s.WaitShare = float64(s.Wait) / float64(s.Wait+s.CPU)
	}
	return s
}

// sampleIndex returns the index of the sample type, or -1.
func sampleIndex(p *profile.Profile, typ, unit string) int {
	for i, st := range p.SampleType {
		if st.Type == typ && st.Unit == unit {
			return i
		}
	}
	return -1
}

func labelsMatch(s *profile.Sample, match map[string]string) bool {
	for k, v := range match {
		vs := s.Label[k]
		if len(vs) == 0 || vs[0] != v {
			return false
		}
	}
	return true
}

// frames calls f on each function of s's stack, leaf first, inlined
// frames included, until f returns false.
func frames(s *profile.Sample, f func(name string) bool) {
	for _, loc := range s.Location {
		for _, ln := range loc.Line {
			if ln.Function != nil && !f(ln.Function.Name) {
				return
			}
		}
	}
}

func leafFunc(s *profile.Sample) string {
	name := ""
	frames(s, func(n string) bool { name = n; return false })
	return name
}

const (
	gilPkg      = "github.com/parbench/parbench/bench/gil."
	workloadPkg = "github.com/parbench/parbench/workloads"
)

var (
	gcFuncs = []string{"runtime.gcBgMarkWorker", "runtime.gcAssistAlloc", "runtime.gcDrain",
		"runtime.bgsweep", "runtime.bgscavenge", "runtime.markroot", "runtime.gcMarkDone",
		"runtime.gcMarkTermination", "runtime.sweepone", "runtime.(*sweepLocked).sweep"}
	schedFuncs = []string{"runtime.schedule", "runtime.findRunnable", "runtime.park_m",
		"runtime.mcall", "runtime.goschedImpl", "runtime.gopreempt_m", "runtime.ready",
		"runtime.goready", "runtime.wakep", "runtime.startm", "runtime.stopm", "runtime.runqsteal",
		"runtime.stealWork", "runtime.exitsyscall", "runtime.entersyscallblock", "runtime.sysmon"}
)

// classify puts a CPU sample in one class by its stack: GC and the
// scheduler win over what they interrupted, then the lock, then the
// workload.
func classify(s *profile.Sample) string {
	var gc, sched, lock, work bool
	frames(s, func(n string) bool {
		switch {
		case hasAny(n, gcFuncs):
			gc = true
		case hasAny(n, schedFuncs):
			sched = true
		case strings.HasPrefix(n, gilPkg):
			lock = true
		case strings.HasPrefix(n, workloadPkg):
			work = true
		}
		return true
	})
	switch {
	case gc:
		return ClassGC
	case sched:
		return ClassScheduler
	case lock:
		return ClassLock
	case work:
		return ClassWorkload
	}
	return ClassOther
}

func hasAny(name string, set []string) bool {
	for _, s := range set {
		if name == s {
			return true
		}
	}
	return false
}

// waitSite is the first frame of a wait's stack outside the lock's
// package, the code that asked for the lock, with the lock method it
// called: "workloads.(*sha256Worker).Op (Check)", or the runner's
// goroutine start "(Start)".
func waitSite(s *profile.Sample) string {
	site, via := "?", ""
	frames(s, func(n string) bool {
		if strings.HasPrefix(n, gilPkg) {
			via = n[strings.LastIndex(n, ".")+1:]
			return true
		}
		site = n
		return false
	})
	if via != "" {
		site += " (" + via + ")"
	}
	return site
}

func topShares(m map[string]int64, total int64, n int) []Share {
	out := make([]Share, 0, len(m))
	for k, v := range m {
		sh := 0.0
		if total > 0 {
			sh = float64(v) / float64(total)
		}
		out = append(out, Share{Name: k, Value: v, Share: sh})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Value != out[j].Value {
			return out[i].Value > out[j].Value
		}
		return out[i].Name < out[j].Name
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

// Cause returns a short clause for a verdict, with numbers from the
// profile: "profile: 62% of goroutine time waiting for the lock at
// workloads.(*sha).Op; CPU: 71% workload, 18% scheduler", or "" when
// the profile has nothing on the slice.
func (s ProfileSummary) Cause() string {
	var parts []string
	if s.Wait > 0 {
		site := ""
		if len(s.WaitSites) > 0 {
			site = " at " + shortFunc(s.WaitSites[0].Name)
		}
		parts = append(parts, fmt.Sprintf("%.0f%% of goroutine time waiting for the lock%s", 100*s.WaitShare, site))
	}
	if s.CPU > 0 && len(s.Classes) > 0 {
		var cs []string
		for _, c := range s.Classes {
			if c.Share >= 0.01 {
				cs = append(cs, fmt.Sprintf("%.0f%% %s", 100*c.Share, c.Name))
			}
		}
		parts = append(parts, "CPU: "+strings.Join(cs, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return "profile: " + strings.Join(parts, "; ")
}

// shortFunc drops the module path from a function name.
func shortFunc(name string) string {
	if i := strings.LastIndex(name, "/"); i >= 0 {
		return name[i+1:]
	}
	return name
}

// WriteProfileSummary writes s as a few indented lines: the lock wait,
// the CPU classes, the top functions and the top wait sites.
func WriteProfileSummary(w io.Writer, s ProfileSummary, indent string) error {
	var b strings.Builder
	switch {
	case s.Wait > 0:
		fmt.Fprintf(&b, "%slock wait %.0f%% of running+waiting time (%s waited, %s CPU sampled)\n",
			indent, 100*s.WaitShare, fmtNanos(s.Wait), fmtNanos(s.CPU))
	case s.CPU > 0:
		fmt.Fprintf(&b, "%s%s CPU sampled, no lock wait recorded\n", indent, fmtNanos(s.CPU))
	}
	if len(s.Classes) > 0 {
		var cs []string
		for _, c := range s.Classes {
			cs = append(cs, fmt.Sprintf("%s %.1f%%", c.Name, 100*c.Share))
		}
		fmt.Fprintf(&b, "%sCPU by class: %s\n", indent, strings.Join(cs, ", "))
	}
	if len(s.Top) > 0 {
		fmt.Fprintf(&b, "%stop functions by CPU (flat):\n", indent)
		for _, t := range s.Top {
			fmt.Fprintf(&b, "%s  %5.1f%%  %8s  %s\n", indent, 100*t.Share, fmtNanos(t.Value), t.Name)
		}
	}
	if len(s.WaitSites) > 0 {
		fmt.Fprintf(&b, "%stop lock-wait sites:\n", indent)
		for _, t := range s.WaitSites {
			fmt.Fprintf(&b, "%s  %5.1f%%  %8s  %s\n", indent, 100*t.Share, fmtNanos(t.Value), t.Name)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtNanos(ns int64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.2fs", float64(ns)/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.1fms", float64(ns)/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1fµs", float64(ns)/1e3)
	}
	return fmt.Sprintf("%dns", ns)
}

// AttachProfiles reads the profiles folder that each results file of r
// names (File.ProfilesDir) and adds to the verdict of each group it
// covers the profile's own account of it (see ProfileSummary.Cause), so
// that "concurrent, not parallel" names its cause with a number from
// the profile in every format. Folders that cannot be read come back as
// warnings.
func (r *Report) AttachProfiles() (warnings []error) {
	warnings = r.readProfiles()
	all := r.allProfiles()
	for _, g := range r.Groups {
		for _, p := range all {
			if c := p.Summary(groupMatch(g), 1).Cause(); c != "" {
				g.Verdict.Limits = append(g.Verdict.Limits, c)
			}
		}
	}
	return warnings
}

// readProfiles parses the profiles folder of each file that names one,
// once however often it is called and however many files name the
// folder, and keeps it on the file (File.Profiles). It returns a
// warning for each file whose folder could not be read.
func (r *Report) readProfiles() (warnings []error) {
	byDir := map[string]*File{}
	for _, f := range r.sortedFiles() {
		if !f.profilesRead {
			dir := f.ProfilesDir()
			if prev := byDir[dir]; prev != nil {
				f.Profiles, f.profilesErr = prev.Profiles, prev.profilesErr
			} else if dir != "" {
				f.Profiles, f.profilesErr = ReadProfiles(dir)
			}
			f.profilesRead = true
		}
		byDir[f.ProfilesDir()] = f
		if f.profilesErr != nil {
			warnings = append(warnings, fmt.Errorf("%s: %w", f.Name, f.profilesErr))
		}
	}
	return warnings
}

// sortedFiles returns r's files in file name order, each name once.
func (r *Report) sortedFiles() []*File {
	seen := map[string]bool{}
	var fs []*File
	for _, f := range r.Files {
		if !seen[f.Name] {
			seen[f.Name] = true
			fs = append(fs, f)
		}
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
	return fs
}

// allProfiles returns the profiles AttachProfiles read, in file name
// order, each file's once.
func (r *Report) allProfiles() []*Profiles {
	var all []*Profiles
	for _, f := range r.sortedFiles() {
		if f.Profiles != nil {
			all = append(all, f.Profiles)
		}
	}
	return all
}

// groupMatch is the pprof labels that select a group's samples.
func groupMatch(g *Group) map[string]string {
	match := map[string]string{results.LabelWorkload: g.Workload}
	if g.Lock != "" {
		match[results.LabelLock] = g.Lock
	}
	return match
}

// WriteProfiles writes, for each group of r whose results file names a
// profiles folder, the profile summary of its workload and lock, with
// at most top entries per list. It reads each folder only if
// AttachProfiles has not (and leaves the warnings to it). Groups from
// files without profiles are skipped, and so is the whole section when
// no file has any.
func WriteProfiles(w io.Writer, r *Report, top int) error {
	r.readProfiles()
	all := r.allProfiles()
	if len(all) == 0 {
		return nil
	}
	if _, err := fmt.Fprintf(w, "\nProfiles\n"); err != nil {
		return err
	}
	for _, g := range r.Groups {
		for _, p := range all {
			s := p.Summary(groupMatch(g), top)
			if s.CPU == 0 && s.Wait == 0 {
				continue
			}
			fmt.Fprintf(w, "\n%s  (%s)\n", g.Label(), p.Dir)
			if c := s.Cause(); c != "" {
				fmt.Fprintf(w, "  %s\n", c)
			}
			if err := WriteProfileSummary(w, s, "  "); err != nil {
				return err
			}
		}
	}
	return nil
}
