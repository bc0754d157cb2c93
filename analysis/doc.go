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
//  1. Read results with benchfmt (Builder.Read). A malformed line arrives
//     as a *benchfmt.SyntaxError and becomes a Warning with its file:line;
//     reading goes on.
//  2. Filter with benchproc (Options.Filter, benchstat's -filter syntax).
//  3. Parse each name with results.ParseName into workload, lock,
//     goroutines and GOMAXPROCS (a name without -N ran at GOMAXPROCS=1,
//     as go test writes it), and group by workload, lock, other name
//     keys, machine (the cpu, host, ncpu, cpu-quota, goos and goarch file
//     keys: two machines are never one curve), scaling and workload
//     settings.
//  4. Per point: the median time per op with benchmath's interval, then
//     two speedups, each the ratio of medians with a seeded bootstrap
//     interval and a Mann-Whitney U p-value (benchmath.AssumeNothing):
//     parallel S(p) = T(1 proc)/T(p procs) at the same goroutines, with
//     efficiency S/p and the Karp-Flatt serial fraction; and concurrency
//     C(G) = T(1 goroutine)/T(G goroutines) at the same GOMAXPROCS.
//  5. Fit, on the S(p) curve the verdict judges and only up to the CPUs
//     the file reports: Amdahl's law (strong scaling), Gustafson's law
//     (weak scaling, on the goroutines = GOMAXPROCS diagonal) and the
//     Universal Scalability Law, each with bootstrap uncertainties and R².
//     Too few levels for a law is said, not fitted.
//  6. Judge: one verdict per group, naming the limiting factor the data
//     show (a lock wait share, memory bandwidth, oversubscription,
//     waiting instead of computing) and flagging a speedup beyond the
//     file's CPUs.
//  7. Write: WriteText, WriteMarkdown, WriteCSV or WriteJSON.
//
// The verdict judges one point, chosen before looking at the results, so
// that many points do not mean many chances of a false "significant": the
// largest GOMAXPROCS within the machine's CPUs, at the smallest goroutine
// count at least as large (so every P can have work). A change counts only
// if the test is significant at Options.Thresholds.CompareAlpha, the
// bootstrap interval excludes 1x, and it is at least Options.MinEffect.
// The bootstrap is seeded (Options.Seed, and the point's name), so the
// same files give the same report byte for byte.
//
// # JSON schema (version 1)
//
// WriteJSON writes one object. Numbers that are undefined (a p-value for
// the baseline itself, a peak with no retrograde) are null. An estimate is
// {"value", "lo", "hi", "se"}: the value, its confidence interval at
// "confidence" and its standard error (the bootstrap replicates' standard
// deviation; null for a median's order-statistic interval).
//
//	{
//	  "version": 1,
//	  "confidence": 0.95,
//	  "warnings": ["file:line: message", ...],
//	  "groups": [{
//	    "workload": "cpu/sha256", "lock": "none", "extra": "",
//	    "machine": {"cpu", "host", "goos", "goarch", "ncpu", "cpu_quota",
//	                "cpus": CPUs the process had (ncpu capped by quota; 0 unknown)},
//	    "scaling": "strong" | "weak" | "",
//	    "settings": "io-latency=1ms ...",
//	    "points": [{
//	      "procs": 2, "goroutines": 4 (0: no goroutines key), "n": 10,
//	      "sec_per_op": estimate (median),
//	      "speedup": null | {            // S(p), vs procs=1 at these goroutines
//	        "base": 1, "base_n": 10,
//	        "value", "lo", "hi", "se",   // the ratio of medians and its interval
//	        "efficiency": S/p,
//	        "karp_flatt": null | estimate,
//	        "p_value": Mann-Whitney U p (null at the baseline)},
//	      "concurrency": null | {...}    // C(G), vs goroutines=1 at these procs;
//	                                     // efficiency C/G, karp_flatt null
//	      "metrics": {"parallelism": median, "wait-share": median, ...}
//	    }],
//	    "fits": {
//	      "amdahl":    {fit..., "serial_fraction": estimate},
//	      "gustafson": {fit..., "serial_fraction": estimate},
//	      "usl":       {fit..., "lambda", "sigma", "kappa", "peak_n",
//	                    "peak_throughput": estimates (lambda and the peak in ops/s)}
//	    },
//	    "verdict": "the one line, limits and flags included",
//	    "verdict_class": "parallel" | "concurrent-not-parallel" | "not-parallel" |
//	                     "slower" | "not-enough-samples" | "one-level",
//	    "verdict_point": {"procs", "goroutines"},
//	    "limits": ["limited by ...", ...],
//	    "flags": ["... exceeds what 2 CPUs allow ...", ...]
//	  }]
//	}
//
// where fit... is "status" ("ok", "too-few-levels", "not-applicable",
// "failed"), "reason", "goroutines" (the curve fitted; 0 with
// goroutines = procs), "levels" (the GOMAXPROCS values fitted), "r2" and
// "rms_rel_err". Keys are only ever added within a version.
//
// Sources: G. M. Amdahl, AFIPS 1967; J. L. Gustafson, "Reevaluating
// Amdahl's law", CACM 31(5), 1988; N. J. Gunther, Guerrilla Capacity
// Planning, 2007; A. H. Karp and H. P. Flatt, CACM 33(5), 1990.
package analysis
