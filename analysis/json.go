package analysis

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/parbench/parbench/results"
)

// JSONVersion is the version of the JSON schema WriteJSON writes (the
// "version" key). Adding keys keeps it; renaming or removing one, or
// changing a meaning, increments it.
const JSONVersion = 2

// The JSON schema, kept apart from the Go types so that either can grow
// without breaking the other. See the package documentation.
type (
	jsonReport struct {
		Version    int         `json:"version"`
		Confidence float64     `json:"confidence"`
		Groups     []jsonGroup `json:"groups"`
		Warnings   []string    `json:"warnings"`
		Claims     int         `json:"claims_tested"`
		FDR        float64     `json:"fdr"`
		// Calibrations: only in the report of a calibration file.
		Calibrations []jsonCalibration `json:"calibrations,omitempty"`
		// Served: only in a report of server shapes (served.go).
		Served []jsonServed `json:"served,omitempty"`
		// Replicated: only in a report of replicated designs
		// (replicated.go).
		Replicated []jsonReplicated `json:"replicated,omitempty"`
	}
	jsonReplicated struct {
		jsonWhere
		Designs []jsonDesign `json:"designs"`
		Lines   []string     `json:"lines"`
	}
	// jsonDesign is a design's figures: medians over its samples, each
	// a span {median, min, max, sum, n}; null where no sample had it.
	jsonDesign struct {
		Name         string               `json:"name"`
		Point        jsonLevel            `json:"point"`
		Samples      int                  `json:"samples"`
		Avail        map[string]*jsonSpan `json:"avail"`
		StaleIn      map[string]*jsonSpan `json:"stale_reads_by_phase"`
		P50          map[string]*jsonSpan `json:"p50_sec"`
		P99          map[string]*jsonSpan `json:"p99_sec"`
		Minority     *jsonSpan            `json:"avail_minority"`
		Majority     *jsonSpan            `json:"avail_majority"`
		StaleReads   *jsonSpan            `json:"stale_reads"`
		LostAcked    *jsonSpan            `json:"lost_acked"`
		UnknownOps   *jsonSpan            `json:"unknown_ops"`
		ConvergeSec  *jsonSpan            `json:"converge_sec"`
		ElectionSec  *jsonSpan            `json:"election_sec,omitempty"`
		Checked      int                  `json:"checked"`
		Linearizable int                  `json:"linearizable"`
	}
	jsonSpan struct {
		Median float64 `json:"median"`
		Min    float64 `json:"min"`
		Max    float64 `json:"max"`
		Sum    float64 `json:"sum"`
		N      int     `json:"n"`
	}
	// jsonWhere names a group or a family: what it ran and where. Its
	// keys come first in the object that embeds it.
	jsonWhere struct {
		Workload string      `json:"workload"`
		Lock     string      `json:"lock"`
		Extra    string      `json:"extra"`
		Machine  jsonMachine `json:"machine"`
		Scaling  string      `json:"scaling"`
		Settings string      `json:"settings"`
	}
	jsonServed struct {
		jsonWhere
		Point    jsonLevel      `json:"point"`
		Rate     string         `json:"rate"`
		Shapes   []jsonShape    `json:"shapes"`
		Best     *jsonShapeRef  `json:"best"`
		Tied     []jsonShapeRef `json:"tied"`
		F        jsonEst        `json:"f"`
		FCPU     *float64       `json:"f_cpu_sec_per_op"`
		FSecs    *float64       `json:"f_sec_per_op"`
		Findings []jsonFinding  `json:"findings"`
		Lines    []string       `json:"lines"`
	}
	jsonShapeRef struct {
		Workers int `json:"workers"`
		Threads int `json:"threads"`
	}
	jsonShape struct {
		Workers    int                `json:"workers"`
		Threads    int                `json:"threads"`
		Throughput jsonEst            `json:"ops_per_sec"`
		Law        *float64           `json:"law_ops_per_sec"`
		Metrics    map[string]float64 `json:"metrics"`
	}
	jsonFinding struct {
		Kind string `json:"kind"`
		Text string `json:"text"`
	}
	jsonCalibration struct {
		File    string           `json:"file"`
		Machine string           `json:"machine"`
		Rows    []jsonCalibrated `json:"rows"`
	}
	jsonCalibrated struct {
		Python    string    `json:"python"`
		Behaviour string    `json:"behaviour"`
		Figure    string    `json:"figure"`
		Unit      string    `json:"unit"`
		CPython   []float64 `json:"cpython"`
		Parbench  []float64 `json:"parbench"`
		Model     []float64 `json:"model"`
		Tolerance *float64  `json:"tolerance"`
		Diff      *float64  `json:"diff"`
		Match     string    `json:"match"`
	}
	jsonClaim struct {
		Kind      string   `json:"kind"`
		Text      string   `json:"text"`
		P         *float64 `json:"p_value"`
		PAdjusted *float64 `json:"p_adjusted"`
		Effect    bool     `json:"effect"`
		Made      bool     `json:"made"`
	}
	jsonGroup struct {
		jsonWhere
		Class        string       `json:"class"`
		Points       []jsonPoint  `json:"points"`
		Fits         jsonFits     `json:"fits"`
		Verdict      string       `json:"verdict"`
		VerdictClass string       `json:"verdict_class"`
		VerdictAt    jsonLevel    `json:"verdict_point"`
		Limits       []string     `json:"limits"`
		Flags        []string     `json:"flags"`
		Notes        []string     `json:"notes"`
		Failed       []jsonFailed `json:"failed"`
		Claims       []jsonClaim  `json:"claims"`
	}
	jsonFailed struct {
		Procs      int    `json:"procs"`
		Goroutines int    `json:"goroutines"`
		Reason     string `json:"reason"`
		File       string `json:"file"`
		Line       int    `json:"line"`
		Dropped    int    `json:"dropped"`
	}
	jsonMachine struct {
		CPU    string `json:"cpu"`
		Host   string `json:"host"`
		GOOS   string `json:"goos"`
		GOARCH string `json:"goarch"`
		NCPU   int    `json:"ncpu"`
		Quota  string `json:"cpu_quota"`
		CPUs   int    `json:"cpus"`
		// Label and File tell machines apart that the header cannot;
		// NCPUGiven: ncpu came from --ncpu; Saturation: with no CPU
		// count, the level the curves were cut at (0: not inferred).
		Label      string `json:"label"`
		File       string `json:"file"`
		NCPUGiven  bool   `json:"ncpu_given"`
		Saturation int    `json:"saturation"`
	}
	jsonLevel struct {
		Procs      int `json:"procs"`
		Goroutines int `json:"goroutines"`
	}
	jsonEst struct {
		Value *float64 `json:"value"`
		Lo    *float64 `json:"lo"`
		Hi    *float64 `json:"hi"`
		SE    *float64 `json:"se"`
	}
	jsonPoint struct {
		Procs       int                `json:"procs"`
		Goroutines  int                `json:"goroutines"`
		N           int                `json:"n"`
		SecPerOp    jsonEst            `json:"sec_per_op"`
		Speedup     *jsonRatio         `json:"speedup"`
		Concurrency *jsonRatio         `json:"concurrency"`
		Metrics     map[string]float64 `json:"metrics"`
	}
	jsonRatio struct {
		Base       int      `json:"base"`
		BaseN      int      `json:"base_n"`
		Value      *float64 `json:"value"`
		Lo         *float64 `json:"lo"`
		Hi         *float64 `json:"hi"`
		SE         *float64 `json:"se"`
		Efficiency *float64 `json:"efficiency"`
		KarpFlatt  *jsonEst `json:"karp_flatt"`
		PValue     *float64 `json:"p_value"`
		// Pairs: the rounds the interval resampled as pairs (Ratio.Pairs).
		Pairs int `json:"pairs"`
	}
	jsonFitInfo struct {
		Status     string   `json:"status"`
		Reason     string   `json:"reason"`
		Goroutines int      `json:"goroutines"`
		Levels     []int    `json:"levels"`
		R2         *float64 `json:"r2"`
		RMSRelErr  *float64 `json:"rms_rel_err"`
		LackOfFit  *jsonLOF `json:"lack_of_fit"`
	}
	jsonLOF struct {
		F   *float64 `json:"f"`
		DF1 int      `json:"df1"`
		DF2 int      `json:"df2"`
		P   *float64 `json:"p"`
	}
)

// jsonFits is the "fits" object: each fit's json() under its law's
// Key, in the order of the fits.
type jsonFits Fits

// MarshalJSON writes the keys in the fits' order, which a Go map would
// sort.
func (fs jsonFits) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, f := range fs {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(f.Law().Key())
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.json())
		if err != nil {
			return nil, fmt.Errorf("fit of %s: %w", f.Law().Name(), err)
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

// num returns x, or nil (JSON null) when x is NaN or infinite.
func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func est(e Estimate) jsonEst { return jsonEst{num(e.Value), num(e.Lo), num(e.Hi), num(e.SE)} }

func info(f FitInfo) jsonFitInfo {
	lv := f.Levels
	if lv == nil {
		lv = []int{}
	}
	j := jsonFitInfo{Status: f.Status, Reason: f.Reason, Goroutines: f.Goroutines, Levels: lv, R2: num(f.R2), RMSRelErr: num(f.RMSRelErr)}
	if !math.IsNaN(f.LackOfFitP) {
		j.LackOfFit = &jsonLOF{num(f.LackOfFitF), f.DF1, f.DF2, num(f.LackOfFitP)}
	}
	return j
}

func ratioJSON(r *Ratio) *jsonRatio {
	if r == nil {
		return nil
	}
	j := &jsonRatio{Base: r.Base, BaseN: r.BaseN, Value: num(r.Speedup.Value), Lo: num(r.Speedup.Lo), Hi: num(r.Speedup.Hi),
		SE: num(r.Speedup.SE), Efficiency: num(r.Efficiency), PValue: num(r.P), Pairs: r.Pairs}
	if !math.IsNaN(r.KarpFlatt.Value) {
		kf := est(r.KarpFlatt)
		j.KarpFlatt = &kf
	}
	return j
}

func strs(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// floats returns xs, or an empty list for none (never null).
func floats(xs []float64) []float64 {
	if xs == nil {
		return []float64{}
	}
	return xs
}

// WriteJSON writes the report in the schema of JSONVersion, indented.
func (r *Report) WriteJSON(w io.Writer) error {
	out := jsonReport{Version: JSONVersion, Confidence: r.Confidence, Groups: []jsonGroup{}, Warnings: []string{},
		Claims: r.Claims, FDR: r.FDR}
	for _, e := range r.Warnings {
		out.Warnings = append(out.Warnings, e.Error())
	}
	for _, g := range r.Groups {
		jg := jsonGroup{
			jsonWhere: where(g.Workload, g.Lock, g.Extra, g.Machine, g.Saturation, g.Scaling, g.Settings),
			Class:     g.Class.String(), Points: []jsonPoint{},
			Verdict: g.Verdict.String(), VerdictClass: g.Verdict.Class,
			VerdictAt: jsonLevel{g.Verdict.Procs, g.Verdict.Goroutines},
			Limits:    strs(g.Verdict.Limits), Flags: strs(g.Verdict.Flags),
			Notes: strs(g.Verdict.Notes), Failed: []jsonFailed{},
			Claims: []jsonClaim{},
		}
		for _, f := range g.Failed {
			jg.Failed = append(jg.Failed, jsonFailed(f))
		}
		for _, c := range g.Verdict.Claims {
			jg.Claims = append(jg.Claims, jsonClaim{c.Kind, c.Text, num(c.P), num(c.PAdjusted), c.Effect, c.Made})
		}
		for _, p := range g.Points {
			metrics := map[string]float64{}
			keys := make([]string, 0, len(p.Metrics))
			for k := range p.Metrics {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if v := p.Metrics[k]; !math.IsNaN(v) && !math.IsInf(v, 0) {
					metrics[k] = v
				}
			}
			jg.Points = append(jg.Points, jsonPoint{
				Procs: p.Procs, Goroutines: p.Goroutines, N: p.N, SecPerOp: est(p.SecPerOp),
				Speedup: ratioJSON(p.Parallel), Concurrency: ratioJSON(p.Concurrent), Metrics: metrics,
			})
		}
		jg.Fits = jsonFits(g.Fits)
		out.Groups = append(out.Groups, jg)
	}
	for _, c := range r.Calibrations {
		jc := jsonCalibration{File: c.File, Machine: c.Machine, Rows: []jsonCalibrated{}}
		for _, row := range c.Rows {
			jc.Rows = append(jc.Rows, jsonCalibrated{row.Python, row.Behaviour, row.Figure, row.Unit,
				floats(row.CPython), floats(row.Parbench), floats(row.Model), num(row.Tolerance), num(row.Diff), row.Match.String()})
		}
		out.Calibrations = append(out.Calibrations, jc)
	}
	for _, sv := range r.Served {
		out.Served = append(out.Served, servedJSON(sv))
	}
	for _, rp := range r.Replicated {
		out.Replicated = append(out.Replicated, replicatedJSON(rp))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// servedJSON is a served section's "served" object.
func servedJSON(sv *Served) jsonServed {
	j := jsonServed{jsonWhere: where(sv.Workload, sv.Lock, sv.Extra, sv.Machine, 0, sv.Scaling, sv.Settings),
		Point: jsonLevel{sv.Procs, sv.Goroutines}, Rate: sv.Rate,
		Shapes: []jsonShape{}, Tied: []jsonShapeRef{}, F: est(sv.F), FCPU: num(sv.CPU), FSecs: num(sv.SecPerOp),
		Findings: []jsonFinding{}, Lines: strs(sv.Lines)}
	for _, sh := range sv.Shapes {
		metrics := map[string]float64{}
		for k, v := range sh.Point.Metrics {
			if fin(v) {
				metrics[k] = v
			}
		}
		j.Shapes = append(j.Shapes, jsonShape{sh.Workers, sh.Threads, est(sh.Throughput), num(sh.Law), metrics})
	}
	if sv.Best != nil {
		j.Best = &jsonShapeRef{sv.Best.Workers, sv.Best.Threads}
	}
	for _, sh := range sv.Tied {
		j.Tied = append(j.Tied, jsonShapeRef{sh.Workers, sh.Threads})
	}
	for _, f := range sv.Findings {
		j.Findings = append(j.Findings, jsonFinding(f))
	}
	return j
}

// where is the jsonWhere of a group or family; saturation is the
// group's (Group.Saturation), 0 for a family.
func where(workload, lock, extra string, m Machine, saturation int, scaling, settings string) jsonWhere {
	return jsonWhere{workload, lock, extra,
		jsonMachine{m.CPU, m.Host, m.GOOS, m.GOARCH, m.NCPU, m.Quota, m.CPUs(), m.Label, m.File, m.NCPUGiven, saturation},
		scaling, settings}
}

// replicatedJSON is a CAP section's "replicated" object.
func replicatedJSON(r *Replicated) jsonReplicated {
	j := jsonReplicated{jsonWhere: where(r.Workload, r.Lock, r.Extra, r.Machine, 0, r.Scaling, r.Settings),
		Designs: []jsonDesign{}, Lines: strs(r.Lines)}
	span := func(s Span) *jsonSpan {
		if s.N == 0 {
			return nil
		}
		return &jsonSpan{s.Median, s.Min, s.Max, s.Sum, s.N}
	}
	byPhase := func(ss []Span) map[string]*jsonSpan {
		m := map[string]*jsonSpan{}
		for i, ph := range results.Phases {
			m[ph] = span(ss[i])
		}
		return m
	}
	// The election only where a leader crashed (--faults crash).
	electionSpan := func(s Span) *jsonSpan {
		if s.N == 0 {
			return nil
		}
		return span(s)
	}
	for _, d := range r.Designs {
		j.Designs = append(j.Designs, jsonDesign{Name: d.Name, Point: jsonLevel{d.Point.Procs, d.Point.Goroutines}, Samples: d.Samples,
			Avail: byPhase(d.Avail), StaleIn: byPhase(d.StaleIn), P50: byPhase(d.P50), P99: byPhase(d.P99),
			Minority: span(d.Minority), Majority: span(d.Majority), StaleReads: span(d.StaleReads), LostAcked: span(d.LostAcked),
			UnknownOps: span(d.UnknownOps), ConvergeSec: span(d.Converge), ElectionSec: electionSpan(d.Election), Checked: d.Checked, Linearizable: d.Linearizable})
	}
	return j
}
