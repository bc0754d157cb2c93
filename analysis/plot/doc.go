// Package plot draws a parbench report (package analysis) as pictures,
// SVG or PNG, with gonum.org/v1/plot. It reads only the report, never
// the runner, so it draws anyone's results.
//
// The data flow:
//
//  1. Sections cuts a Report into sections: the groups of one workload
//     on one machine with the same settings, which differ only in lock
//     mode, so that one plot compares the lock modes. latency/convoy's
//     groups are one section per machine whatever their settings,
//     because its plot runs across them (switch interval, CPU
//     goroutines).
//  2. Per section, Figures:
//     - speedup vs GOMAXPROCS, one line per lock mode at the goroutine
//     count the verdict judges, with the intervals of the report as
//     error bars, the ideal S = p and the machine's CPUs marked;
//     - throughput vs goroutines (log x), one line per lock mode at the
//     most GOMAXPROCS within the CPUs (solid) and at 1 (dashed), with
//     the ideal G x X(1) for IO-bound workloads;
//     - per group with a fit: the points fitted, the Amdahl (or
//     Gustafson) and USL curves, and the USL's predicted peak;
//     - for latency/convoy: IO latency percentiles vs switch interval,
//     with and without CPU goroutines, both axes log.
//     - per served family (analysis.Report.Served, a Section of its
//     own after the others, with Served set): throughput against
//     threads per worker T (log x), one line per worker count W with
//     the intervals of the report as error bars, the thread law
//     X(1) x min(T, 1/(1-f)) dashed at W = 1 where the section has f
//     and the law (a lock serializes the service; Served.Ceiling),
//     and the best shape ringed where the section names one; at the
//     point the section judges (procs, goroutines), named in the title.
//     - per CAP family (analysis.Report.Replicated, a Section of its own
//     after the served ones, with Replicated set): the consistency
//     designs side by side as bars, one colour per design
//     (DesignColor), with each bar's median written over it and the
//     samples' range as whiskers: availability per phase (healthy,
//     partitioned, the partitioned phase's cut-off side and the rest,
//     healed), and stale reads per phase (the sample's total where the
//     results do not split them), the legend saying in how many
//     samples porcupine found each design linearizable.
//     What cannot be drawn (one level only, no such data) becomes a
//     Section note, never an empty or broken plot.
//  3. Write: Figure.SVG, Figure.PNG, or WriteFiles for a directory.
//
// A lock mode has one colour in every figure (LockColor). No coordinate
// is ever NaN or infinite: points without a finite value are left out,
// and on a log axis so are values that are not positive.
package plot
