// Package analysis answers, from results files alone, "did concurrency
// become parallel speedup?": per workload, lock mode and machine, how time
// per op scales with GOMAXPROCS and with goroutines, whether that scaling
// is statistically real, how far it is from ideal, and which law explains
// it. It reads the standard Go benchmark format, so it works on anyone's
// results (parbench's or plain `go test -bench`), from any number of
// machines; it never imports the runner.
//
// The data flow:
//
//  1. Read results with benchfmt (Builder.Read, or Builder.ReadAs to
//     name the file's machine), through a results.LineReader: benchfmt
//     reads no line longer than 64 KiB, so a longer one arrives
//     shortened (a configuration line keeps its key and the start of
//     its value; a result line is skipped with a warning) and the rest
//     of the file, with its line numbers, reads on. A malformed line
//     arrives as a *benchfmt.SyntaxError and becomes a Warning with its
//     file:line; reading goes on. So does whatever else is skipped or
//     may be misread, each cause one Warning with its first file:line
//     and a count of the other lines (Warning.More): a result with no
//     time per op (sec/op; ns/op, which benchfmt converts; s/op, ms/op,
//     us/op and µs/op, which the Builder converts), a non-positive
//     iteration count, a time per op that is not positive or beyond an
//     hour (MaxSecPerOp), all of which drop the whole result; a NaN, an
//     infinity or a negative value in another unit, which drops that
//     value; a second time per op on one line. A point with a
//     results.NoteFailed note (and no later stop note, as a resumed run
//     writes when it completes the point) failed: its samples are left
//     out, and its group keeps it (Group.Failed) for the verdict.
//  2. Filter with benchproc (Options.Filter, benchstat's -filter syntax).
//  3. Parse each name with results.ParseName into workload, lock,
//     goroutines and GOMAXPROCS (a name without -N ran at GOMAXPROCS=1,
//     as go test writes it; a /gomaxprocs=N key, where a tool writes
//     one, is the level too), warning where a -N suffix looks like part
//     of the name (beyond 4x the CPUs, or also followed by a suffix of
//     its own). Group by workload, lock, other name keys, machine (the
//     cpu, host, ncpu, cpu-quota, goos and goarch file keys, the
//     ReadAs label, Options.NCPU; a file with no host and no ncpu line,
//     as go test writes, is a machine of its own: two machines are never
//     one curve), scaling and workload settings (results.SettingKeys).
//     Files of one group merge unless their samples at a point disagree
//     (Mann-Whitney p below alpha, medians MinEffect apart): then each
//     file is its own machine, with a warning. Each group takes its
//     workload's class (Group.Class) from the file's classes line
//     (results.LegacyClass for a file without one), and every rule that
//     depends on what a workload is goes by the class, never the name:
//     a group of unknown class (anyone's go test output) says so, and
//     the rules for one class are not applied to it.
//  4. Per point: the median time per op with benchmath's interval, then
//     two speedups, each the ratio of medians with a seeded bootstrap
//     interval and a Mann-Whitney U p-value (benchmath.AssumeNothing):
//     parallel S(p) = T(1 proc)/T(p procs) at the same goroutines, with
//     efficiency S/p and the Karp-Flatt serial fraction; and concurrency
//     C(G) = T(1 goroutine)/T(G goroutines) at the same GOMAXPROCS.
//     Each bootstrap has its own generator, seeded by its name, so the
//     groups are analysed in parallel (up to GOMAXPROCS) and the numbers
//     do not depend on it; a resample's median is found by counting the
//     draws per sample, in O(n), not by sorting the resample. Where the
//     two points were sampled in the same rounds (the round contract of a
//     parbench file: results' package comment), the bootstrap is paired:
//     it resamples rounds, each bringing both points' samples, so that a
//     drift that slows both points of a round (another program, the
//     clock, the heat) cancels in the ratio rather than counting twice as
//     spread; each point's samples of no shared round are resampled on
//     their own, so a resample keeps each point's sample count. The
//     estimate is the same ratio of medians either way: only its
//     interval uses the pairing (Ratio.Pairs counts the rounds). Whether
//     to pair is decided by how the samples were taken, never by which
//     interval is narrower (picking the narrower of two after seeing both
//     covers the truth less often than it says). Two samples share a
//     round when they come from the same run segment (the results after
//     a run's calibration note, or after a resumed note, up to the next
//     such note, change of configuration or file) and are the same count
//     within it: so the samples of two files given together pair within
//     each file, never across. go test output does not keep the contract
//     (it takes a benchmark's -count samples one after another, then the
//     next benchmark's) and pairs nothing, even appended to a run with
//     cat, whose keys it still carries; nor
//     does a file that lost a line that may have been a sample (its
//     later counts may be one behind). The retrograde and slowdown
//     ratios of step 6, and the saturation scan of step 5, pair the same
//     way; the fits' bootstraps resample each level on its own.
//  5. Fit, on the S(p) curve the verdict judges and only up to the CPUs
//     the file reports (or Options.NCPU; with neither, the count is
//     unknown, said in the machine line and a warning, and the curve is
//     cut at the last level significantly faster than every level below,
//     Group.Saturation), each Law of Options.Laws: by default (DefaultLaws)
//     Amdahl's law (strong scaling), Gustafson's law (weak scaling, on the
//     goroutines = GOMAXPROCS diagonal) and the Universal Scalability Law,
//     each a Fit in Group.Fits with bootstrap uncertainties and R².
//     Too few levels for a law is said, not fitted. A lack-of-fit F-test
//     against the replicates' own noise (LackOfFitAlpha) marks a law the
//     data reject as a poor fit, from which no ceiling or peak is read.
//  6. Judge: one verdict per group, naming the limiting factor the data
//     show (a lock wait share, the runtime's count of time blocked on
//     locks, memory bandwidth, oversubscription, waiting instead of
//     computing), a peak the curve falls from
//     (retrograde), a machine too busy to judge (inconclusive, from the
//     samples' other-runnable and steal-frac: too few CPUs left, or a
//     speedup that the CPU share won from other programs explains,
//     checked against the parallelism the run got), and flagging a speedup
//     beyond the procs or the file's CPUs. Every statement is a Claim
//     with a test: two passes over all groups, the first collecting
//     every claim's p-value (Holm-corrected within a scan of several
//     points), the second making the claims that pass after the
//     Benjamini-Hochberg correction across the whole report
//     (Options.FDR). The fits' lack-of-fit tests are a family of their
//     own, corrected the same way, and an Amdahl fit whose ceiling a
//     measured speedup really exceeds is poor too. For waiting work
//     (class io) a limit names the bound its throughput meets at each
//     goroutine level, G/latency or the CPUs, where the lower ends of
//     the intervals of C(G) and of the parallelism show it (bound.go);
//     a busy machine does not silence it, as the intervals carry the
//     load. A group of an open-loop file (its results.KeyRate setting,
//     `parbench run --rate`) is neither fitted nor judged: its clients
//     send at the rate whatever the procs, so its sec/op is 1/rate by
//     construction, and its verdict (open-loop) says so and tests no
//     claim; its latencies stay in its table.
//  7. Write: WriteText, WriteMarkdown, WriteCSV or WriteJSON. The summary
//     table gives each group's Verdict.Summary: the verdict, its speedup
//     and interval (Verdict.Head), and how many failed points, flags,
//     limits and further findings its section lists; the section gives
//     the verdict's Text, then each of Verdict.Lines on a line of its
//     own, each flag once. The Report
//     also carries each file read (Report.Files: its configuration,
//     header and result count) and, after AttachProfiles, the profiles
//     its configuration names, parsed once, so that every format, the
//     HTML page (package htmlreport) and the plots render from it
//     without reading a file again.
//
// Groups whose result names carry a server shape (the keys
// results.KeyServerWorkers and KeyServerThreads, a served workload's W
// worker processes of T threads) and differ in nothing else are one
// family, and each family of two shapes or more gets a served section
// after the groups (Report.Served, served.go): the shapes side by side at
// one point (throughput with its interval, p99, the lock's wait share,
// tx-lock-wait-share, service CPU and memory per worker), the best shape,
// the share f of a request's service time not spent computing and the
// thread law X(T) = X(1) x min(T, 1/(1-f)) beside the measured (where a
// lock serializes the service: a lock mode, or server-cmd), and what
// threads, workers and a two-lock convoy do, each said only where the
// intervals show it. Groups without the keys print as before.
//
// Groups whose result names carry a consistency design (the key
// results.KeyConsistency: a replicated workload, cluster/*) and whose
// lines carry the phases' availability (results.UnitAvail) are one
// family per workload, and each family gets a CAP section after the
// groups (Report.Replicated, replicated.go): the designs side by side,
// phase by phase (availability, by side while partitioned; latency;
// stale reads; lost acknowledged increments; convergence; porcupine's
// linearizability verdicts), and a line per design saying what it gave
// up in which phase, each word by a rule over counts, and the healthy
// phase's latency compared only where a bootstrap interval shows it.
//
// A calibration file (`parbench calibrate`: real CPython beside the
// simulated GIL; its key results.KeyCalibrate) adds no group: its figure
// lines become a Calibration, one table in Report.Calibrations, judged
// as calibrate.go says, and its other lines are left to benchstat.
//
// The verdict judges one point, chosen before looking at the results, so
// that many points do not mean many chances of a false "significant": the
// largest GOMAXPROCS within the machine's CPUs (or, when their count is
// unknown, up to Group.Saturation), at the smallest goroutine count at
// least as large (so every P can have work). A change counts only
// if the test is significant at Options.Thresholds.CompareAlpha, the
// bootstrap interval excludes 1x, and it is at least Options.MinEffect.
// The bootstrap is seeded (Options.Seed, and the point's name), so the
// same files give the same report byte for byte.
//
// # To add a fit law
//
// A law is one file and its test; the report, its text, Markdown and
// JSON formats, the HTML page and the plots iterate over Group.Fits and
// do not change. amdahl.go and usl.go are the examples to copy.
//
//  1. In the law's file, a type that implements Law: Key (its key under
//     "fits" in the JSON, and the seed of its bootstrap), Name, Title,
//     and fit. fit returns a fit of status FitNotApplicable (with
//     notApplicable) when the law is not for the group's scaling, and
//     otherwise calls fitInput.fitModel with the law's model (the
//     quantity fitted, its regressors and the throughput they give, linear
//     in non-negative coefficients), the fewest levels it needs, and the
//     parameters it reports as a function of the coefficients.
//  2. In the same file, the fit's type: it embeds FitInfo, holds the
//     parameters as Estimates, and implements Fit: Law; Speedup, the
//     fitted S(N) that the plots draw; Brief, the parameters for a
//     legend; summary and params, its line in the text report; and json,
//     its JSON object (jsonFitInfo, then its own keys). Optionally
//     PeakFit (a peak the plots mark), checker (a test after the report's
//     corrections, such as Amdahl's ceiling) and noter (lines after the
//     fits).
//  3. A test that fits it on a synthetic curve with Options.Laws set to
//     DefaultLaws() plus the law, and checks its parameters, its line
//     and its JSON.
//
// To fit it in every report, add it to DefaultLaws: each group's text
// then has one more line, "fits" one more key (an added key keeps the
// JSON version) and the fit figure one more curve.
//
// # To add a report format
//
// A format renders a *Report and reads nothing: every figure, verdict,
// claim, fit (Group.Fits), file configuration (Report.Files) and
// profile summary is on the Report. Write it as a method such as
// WriteMarkdown in format.go (or a file of its own, as WriteJSON in
// json.go), with a golden test beside the others (testdata, -update),
// and name it in the report command (package cli): the --format switch
// in cli/report.go and its usage text. A picture format is a package of its
// own that takes the Report, as plot and htmlreport do.
//
// # JSON schema (version 2)
//
// WriteJSON writes one object. Numbers that are undefined (a p-value for
// the baseline itself, a peak that does not exist) are null. An estimate is
// {"value", "lo", "hi", "se"}: the value, its confidence interval at
// "confidence" and its standard error (the bootstrap replicates' standard
// deviation; null for a median's order-statistic interval).
//
//	{
//	  "version": 2,
//	  "confidence": 0.95,
//	  "warnings": ["file:line: message", ...],
//	  "groups": [{
//	    "workload": "cpu/sha256", "lock": "none", "extra": "",
//	    "machine": {"cpu", "host", "goos", "goarch", "ncpu", "cpu_quota",
//	                "cpus": CPUs the process had (ncpu capped by quota; 0 unknown),
//	                "label": --machine's label, "file": the file when it is its
//	                own machine, "ncpu_given": ncpu came from --ncpu,
//	                "saturation": with no CPU count, the GOMAXPROCS level the
//	                curves were cut at (0: not inferred)},
//	    "scaling": "strong" | "weak" | "",
//	    "settings": "io-latency=1ms ...",
//	    "class": "cpu" | "memory" | "io" | "mixed" | "latency" | "webapp" |
//	             "unknown" (the workload's class, results.Class),
//	    "points": [{
//	      "procs": 2, "goroutines": 4 (0: no goroutines key), "n": 10,
//	      "sec_per_op": estimate (median),
//	      "speedup": null | {            // S(p), vs procs=1 at these goroutines
//	        "base": 1, "base_n": 10,
//	        "value", "lo", "hi", "se",   // the ratio of medians and its interval
//	        "efficiency": S/p,
//	        "karp_flatt": null | estimate,
//	        "p_value": Mann-Whitney U p (null at the baseline),
//	        "pairs": rounds the interval resampled as pairs (0: unpaired)},
//	      "concurrency": null | {...}    // C(G), vs goroutines=1 at these procs;
//	                                     // efficiency C/G, karp_flatt null
//	      "metrics": {"parallelism": median, "wait-share": median, ...}
//	    }],
//	    "fits": {                        // one key per law fitted (Law.Key), in order
//	      "amdahl":    {fit..., "serial_fraction": estimate},
//	      "gustafson": {fit..., "serial_fraction": estimate},
//	      "usl":       {fit..., "lambda", "sigma", "kappa", "peak_n",
//	                    "peak_throughput": estimates (lambda and the peak in ops/s),
//	                    "peak_where": "none" | "at-one" | "inside" | "beyond"}
//	    },
//	    "verdict": "the one line, notes, limits, flags and failed points included",
//	    "verdict_class": "parallel" | "concurrent-not-parallel" | "not-parallel" |
//	                     "slower" | "retrograde" | "inconclusive" |
//	                     "not-enough-samples" | "one-level" | "open-loop",
//	    "verdict_point": {"procs", "goroutines"},
//	    "limits": ["limited by ...", ...],
//	    "flags": ["... exceeds what 2 CPUs allow ...", ...],
//	    "notes": ["concurrency gain: ...", ...], // other claims made
//	    "failed": [{"procs", "goroutines", "reason", "file", "line",
//	                "dropped": samples left out}],  // failed points
//	    "claims": [{                     // every claim the verdict tested
//	      "kind": "parallel" | "slower" | "peak" | "concurrency" |
//	              "oversubscription-goroutines" | "oversubscription-procs" |
//	              "beyond",
//	      "text": "the claim in words" ("" for a family with no real effect),
//	      "p_value": its p-value (Holm-adjusted within a family),
//	      "p_adjusted": after the Benjamini-Hochberg control across all
//	                    the report's claims (= p_value when "fdr" is 0),
//	      "effect": true when its interval and the noise floor pass,
//	      "made": true when the whole bar passed and it is in the verdict}]
//	  }],
//	  "claims_tested": claims tested across all groups,
//	  "fdr": the false discovery rate they were controlled at (0: off),
//	  "served": [{                       // only with server shapes (served.go)
//	    "workload", "lock", "extra" (without the shape keys), "machine",
//	    "scaling", "settings",
//	    "point": {"procs", "goroutines"},  // where the shapes are compared
//	    "rate": the open loop's rate, "" for a closed loop,
//	    "shapes": [{"workers", "threads", "ops_per_sec": estimate,
//	                "law_ops_per_sec": null | the thread law's (W = 1),
//	                "metrics": {"p99-sec": median, ...}}],
//	    "best": null | {"workers", "threads"},
//	    "tied": [{"workers", "threads"}], // shapes not told from the highest
//	    "f": estimate (nulls when not measured),
//	    "f_cpu_sec_per_op", "f_sec_per_op": what f comes from (null: none),
//	    "findings": [{"kind": "best" | "threads" | "threads-cost" |
//	                          "workers" | "convoy", "text"}],
//	    "lines": ["best shape: ...", "f = ...", ...]}]
//	}
//
// where fit... is "status" ("ok", "poor-fit", "too-few-levels",
// "not-applicable", "failed"), "reason", "goroutines" (the curve fitted;
// 0 with goroutines = procs), "levels" (the GOMAXPROCS values fitted),
// "r2" (negative when the fit is worse than a flat line), "rms_rel_err"
// and "lack_of_fit": null | {"f", "df1", "df2", "p"}, the lack-of-fit
// F-test whose p below LackOfFitAlpha makes the status "poor-fit" (null
// without replicate samples to test against). A poor fit's parameters
// are the law's best try, not findings.
//
// The USL's throughput X(N) for N >= 1 peaks at N* = sqrt((1-sigma)/kappa)
// when that is at least 1. "peak_where" says where the point fit's peak
// lies: "at-one" when sigma >= 1 or N* <= 1 (every added proc costs
// throughput; "peak_n" is 1 and "peak_throughput" lambda), "inside" the
// levels fitted, "beyond" them (an extrapolation), or "none" when
// kappa = 0 and sigma < 1 ("peak_n" null, "peak_throughput" the
// asymptote lambda/sigma, null if sigma = 0); "" when the USL was not
// fitted. The bootstrap replicates follow the same rule, so "peak_n"'s
// interval is never below 1.
//
// Keys are only ever added within a version. Version 2 changed
// "peak_n" (1, not null, when the peak is at N = 1) and
// "peak_throughput" (lambda there, not lambda/sigma), and added
// "peak_where", "lack_of_fit" and the status "poor-fit", the machine's
// "label", "file", "ncpu_given" and "saturation", the verdict
// classes "retrograde" and "inconclusive", and "claims", "claims_tested"
// and "fdr"; later versions 2 added each group's "notes", "failed" and
// "class", and "calibrations" (only in the report of a calibration
// file, see below): per file, "file", "machine" and "rows", each row
// "python", "behaviour", "figure", "unit", the rounds of each side ("cpython",
// "parbench", "model"), "tolerance" and "diff" (fractions of CPython's
// median, null when not judged) and "match" ("match", "DIFFERS",
// "noisy", "n/a"); and "served" (only in a report of server shapes,
// above).
//
// Sources: G. M. Amdahl, AFIPS 1967; J. L. Gustafson, "Reevaluating
// Amdahl's law", CACM 31(5), 1988; N. J. Gunther, Guerrilla Capacity
// Planning, 2007; A. H. Karp and H. P. Flatt, CACM 33(5), 1990.
package analysis
