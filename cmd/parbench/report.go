package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/parbench/parbench/analysis"
)

const reportUsage = `usage: parbench report [--filter F] [--format text|md|csv|json] [--html OUT.html] [--png DIR] FILE...

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
	opt := analysis.DefaultOptions()
	opt.Filter = *filter
	b, err := analysis.NewBuilder(opt)
	if err != nil {
		return usagef("--filter: %v", err)
	}
	for _, name := range fs.Args() {
		if err := readFile(b, name); err != nil {
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
	if err := attachProfiles(rep, fs.Args(), stderr); err != nil { // profile.go
		return err
	}
	if *htmlOut != "" || *pngDir != "" {
		if err := writePictures(rep, fs.Args(), *htmlOut, *pngDir, stdout, stderr); err != nil { // pictures.go
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
	return writeReportProfiles(rep, fs.Args(), *format, stdout, stderr) // profile.go
}

func readFile(b *analysis.Builder, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return b.Read(f, name)
}

func joinArgs(xs []string) string {
	if len(xs) == 1 {
		return xs[0]
	}
	return fmt.Sprintf("%s (and %d more)", xs[0], len(xs)-1)
}
