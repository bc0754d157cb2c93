package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/parbench/parbench/analysis"
	"github.com/parbench/parbench/analysis/htmlreport"
	"github.com/parbench/parbench/analysis/plot"
	"golang.org/x/perf/benchfmt"
)

// writePictures writes `parbench report --html OUT --png DIR`: the page
// and the PNGs, and prints the paths written.
func writePictures(rep *analysis.Report, files []string, htmlOut, pngDir string, stdout, stderr io.Writer) error {
	if htmlOut != "" {
		opt := htmlreport.DefaultOptions()
		cfgs := map[string][]benchfmt.Config{}
		for _, name := range files {
			src, err := readSource(name)
			if err != nil {
				return err
			}
			opt.Sources = append(opt.Sources, src)
			if cfgs[name], err = fileConfig(name); err != nil { // profile.go
				return err
			}
		}
		// The profile summaries, where the files name profiles, as
		// the text report words them.
		var prof bytes.Buffer
		warns, err := analysis.WriteProfiles(&prof, rep, cfgs, 5)
		for _, w := range warns {
			fmt.Fprintf(stderr, "parbench: warning: %v\n", w)
		}
		if err != nil {
			return err
		}
		opt.Profiles = strings.TrimSpace(prof.String())
		var buf bytes.Buffer
		if err := htmlreport.Write(&buf, rep, opt); err != nil {
			return fmt.Errorf("--html: %w", err)
		}
		if err := os.WriteFile(htmlOut, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("--html: %w", err)
		}
		fmt.Fprintf(stdout, "html: %s\n", htmlOut)
	}
	if pngDir != "" {
		secs, err := plot.Sections(rep, plot.DefaultOptions())
		if err != nil {
			return fmt.Errorf("--png: %w", err)
		}
		paths, err := plot.WriteFiles(pngDir, "png", secs)
		if err != nil {
			return fmt.Errorf("--png: %w", err)
		}
		for _, p := range paths {
			fmt.Fprintf(stdout, "png: %s\n", p)
		}
	}
	return nil
}

func readSource(name string) (htmlreport.Source, error) {
	f, err := os.Open(name)
	if err != nil {
		return htmlreport.Source{}, err
	}
	defer f.Close()
	return htmlreport.ReadSource(f, name)
}
