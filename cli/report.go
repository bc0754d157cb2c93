package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/parbench/parbench/analysis"
)

const reportUsage = `usage: parbench report [--filter F] [--format text|md|csv|json] [--fdr Q] [--ncpu N] [--machine LABEL]... [--html OUT.html] [--png DIR] FILE...

Report reads results files (parbench's, or any 'go test -bench' output)
and answers, per workload, lock mode and machine: did concurrency become
parallel speedup? For each point it prints the median time per op, the
parallel speedup S(p) = T(1 proc)/T(p procs) at the same goroutines, the
concurrency speedup C(G) = T(1 goroutine)/T(G goroutines) at the same
GOMAXPROCS, each with a bootstrap 95% interval and a Mann-Whitney p-value,
then fits Amdahl's law (or Gustafson's, for --scaling weak runs) and the
Universal Scalability Law, and ends each group with a one-line verdict.

A fit needs levels: Amdahl 3 GOMAXPROCS values, the USL 4 (measure 6 or
more, 1 included). A 2-CPU machine gives only 1 and 2; the report says so
rather than fit two points. Use --count 10 so each comparison has the
samples to be significant.

Examples:

	parbench report results/vm-20260101T000000Z.txt
	parbench report --filter '/lock:none' --format md a.txt b.txt
	parbench report --filter '.name:CPU /goroutines:4' --format json x.txt | jq '.groups[].verdict'
	parbench report --html report.html --png plots/ results/vm-20260101T000000Z.txt

Machines. Results from two machines are never one curve. A parbench file
names its machine (host, ncpu, cpu lines); 'go test' output names only
the CPU model, so each go test file is its own machine unless labelled.
--machine LABEL names the machine of the files: given once, it labels
every file; given once per file, the labels pair with the files in
order. Files with the same label (and the same header lines) share
curves; different labels keep them apart. Even so, files whose samples
at one point disagree (Mann-Whitney p < 0.05 and medians 3% or more
apart) are reported as two machines, one per file, with a warning.

CPU count. The fits and the verdict stop at the machine's CPU count:
beyond it the hardware is saturated and no law applies. 'go test'
output does not say it; give it with --ncpu N (it also overrides a
file's ncpu and cpu-quota lines). Without it, the report says the count
is unknown and cuts each curve at the last GOMAXPROCS level that was
significantly faster than every level below it.

	go test -bench . -cpu 1,2,4,8,16 -count 10 > m8.txt
	parbench report --ncpu 8 m8.txt
	parbench report --machine laptop --machine server a.txt b.txt

Claims. Every statement of a verdict (parallel, slower, a peak, a
concurrency gain, oversubscription, a speedup beyond the procs or the
CPUs) is a claim with a test: p below the bar, a 95% interval that
excludes no effect, and an effect of at least 3%. A file of many groups
is many chances of a false alarm, so the report holds the false
discovery rate of all its claims at --fdr (Benjamini-Hochberg, 0.05 by
default); --fdr 0 tests each claim on its own at p < 0.05. The first
line says how many claims were tested and which rule held.

--html writes one self-contained page (verdicts, plots as inline SVG,
tables, fits; no network, no JavaScript) and --png a PNG per plot; with
either, the text report is written only if --format is given.

Flags:
`

// cmdReport is `parbench report`.
func cmdReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	filter := fs.String("filter", "", "keep only results matching this benchproc `query` (benchstat's -filter syntax), e.g. '/lock:none'")
	format := fs.String("format", "text", "output `format`: text, md, csv or json")
	htmlOut := fs.String("html", "", "also write the report as one self-contained HTML `file` with plots")
	pngDir := fs.String("png", "", "also write every plot as a PNG into `directory` (created if needed)")
	fdr := fs.Float64("fdr", analysis.DefaultOptions().FDR, "false discovery `rate` held across all the verdicts' claims (Benjamini-Hochberg); 0 tests each claim on its own at p < 0.05")
	ncpu := fs.Int("ncpu", 0, "the machine's CPU `count` for every file (go test output has none; overrides a file's ncpu and cpu-quota)")
	var labels labelList
	fs.Var(&labels, "machine", "the machine's `label`: once for every file, or once per file in order (repeatable)")
	fs.Usage = func() {
		fmt.Fprint(stderr, reportUsage)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("report: no results files (usage: parbench report [--filter F] [--format text|md|csv|json] FILE...)")
	}
	var write func(*analysis.Report, io.Writer) error
	switch *format {
	case "text":
		write = (*analysis.Report).WriteText
	case "md", "markdown":
		write = (*analysis.Report).WriteMarkdown
	case "csv":
		write = (*analysis.Report).WriteCSV
	case "json":
		write = (*analysis.Report).WriteJSON
	default:
		return usagef("--format %q: want text, md, csv or json", *format)
	}
	ncpuSet := false
	fs.Visit(func(f *flag.Flag) { ncpuSet = ncpuSet || f.Name == "ncpu" })
	if ncpuSet && (*ncpu < 1 || *ncpu > 1<<20) {
		return usagef("--ncpu %d: want the machine's CPU count, a whole number from 1 to %d", *ncpu, 1<<20)
	}
	if n := len(labels); n > 1 && n != fs.NArg() {
		return usagef("--machine given %d times for %d files: give it once (a label for every file) or once per file, in order", n, fs.NArg())
	}
	if !(*fdr >= 0 && *fdr < 1) {
		return usagef("--fdr %g: want a false discovery rate from 0 (off) to below 1, such as 0.05", *fdr)
	}
	opt := analysis.DefaultOptions()
	opt.Filter = *filter
	opt.FDR = *fdr
	opt.NCPU = *ncpu
	b, err := analysis.NewBuilder(opt)
	if err != nil {
		return usagef("--filter: %v", err)
	}
	for i, name := range fs.Args() {
		label := ""
		switch len(labels) {
		case 0:
		case 1:
			label = labels[0]
		default:
			label = labels[i]
		}
		if err := readFile(b, name, label); err != nil {
			return err
		}
	}
	rep, err := b.Report()
	if err != nil {
		// Warnings first: a file of malformed lines is why it is empty.
		for _, w := range rep.Warnings {
			fmt.Fprintf(stderr, "parbench: warning: %v\n", w)
		}
		if errors.Is(err, analysis.ErrNoResults) && *filter != "" {
			return fmt.Errorf("%s: %w, after --filter %q", joinArgs(fs.Args()), err, *filter)
		}
		return fmt.Errorf("%s: %w", joinArgs(fs.Args()), err)
	}
	// Every format renders from rep: each file was read once, above,
	// and each profiles folder is parsed once, here.
	for _, w := range rep.AttachProfiles() {
		fmt.Fprintf(stderr, "parbench: warning: %v\n", w)
	}
	if *htmlOut != "" || *pngDir != "" {
		if err := writePictures(rep, *htmlOut, *pngDir, stdout); err != nil { // pictures.go
			return err
		}
		formatSet := false
		fs.Visit(func(f *flag.Flag) { formatSet = formatSet || f.Name == "format" })
		if !formatSet {
			return nil
		}
	}
	if err := write(rep, stdout); err != nil {
		return err
	}
	if *format != "text" {
		return nil
	}
	// The text report ends with what the profiles say, for each group
	// whose results file names a profiles folder (parbench run
	// --profile): the lock-wait share and the top cost centres.
	return analysis.WriteProfiles(stdout, rep, reportProfileTop)
}

// reportProfileTop is how many functions and wait sites the report's
// profile summaries list.
const reportProfileTop = 5

// readFile reads one results file into b: the only time `report` opens
// it (b keeps its configuration, Report.Files).
func readFile(b *analysis.Builder, name, label string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return b.ReadAs(f, name, label)
}

// labelList is the repeatable --machine flag.
type labelList []string

func (l *labelList) String() string { return strings.Join(*l, ",") }

func (l *labelList) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("empty label (want a name for the machine, e.g. --machine laptop)")
	}
	*l = append(*l, s)
	return nil
}

func joinArgs(xs []string) string {
	if len(xs) == 1 {
		return xs[0]
	}
	return fmt.Sprintf("%s (and %d more)", xs[0], len(xs)-1)
}
