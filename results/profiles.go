package results

import "path/filepath"

// The profiles of a run (parbench run --profile, parbench profile): a
// folder that the results file names in its KeyProfiles line, holding
// one file per kind. The runner (bench/prof) writes them and the
// analysis reads them by these names.
const (
	// ProfileCPU is the runtime's CPU profile, its samples labelled
	// with the point (the Label* keys).
	ProfileCPU = "cpu.pprof"
	// ProfileMutex and ProfileBlock are the runtime's mutex and block
	// profiles (the runtime labels neither).
	ProfileMutex = "mutex.pprof"
	ProfileBlock = "block.pprof"
	// ProfileGIL is the waits for the simulated lock, labelled.
	ProfileGIL = "gil.pprof"
	// ProfileTrace is the runtime/trace of one point.
	ProfileTrace = "trace.out"
)

// The pprof labels of each sample of the CPU and gil profiles: the
// point it belongs to, as `go tool pprof -tagfocus` and -tags name them.
const (
	LabelWorkload   = "workload"
	LabelLock       = "lock"
	LabelGoroutines = "goroutines"
	LabelProcs      = "gomaxprocs"
)

// The sample types (pprof's type and unit) the analysis reads.
const (
	// SampleCPU is the runtime CPU profile's time, in UnitNanoseconds.
	SampleCPU = "cpu"
	// SampleWaits is the gil profile's count of waits (unit "count"),
	// SampleWait its time waited, in UnitNanoseconds and its default.
	SampleWaits = "waits"
	SampleWait  = "gil-wait"

	UnitCount       = "count"
	UnitNanoseconds = "nanoseconds"
)

// ProfilesDir returns the profiles folder that the KeyProfiles value
// dir of the results file fileName names: dir itself if absolute, else
// relative to fileName's folder. "" for an empty dir.
func ProfilesDir(fileName, dir string) string {
	if dir == "" {
		return ""
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(filepath.Dir(fileName), dir)
	}
	return dir
}

// HistoriesDir returns the folder beside the results file at path where
// a run's workloads write what explains a sample (workloads.Params'
// HistoryDir): path + ".histories". The cluster workloads write there,
// for each workload and design, porcupine's picture of the first
// history that was not linearizable, <workload>-<design>.html, the
// workload's slash as a dash.
func HistoriesDir(path string) string { return path + ".histories" }
