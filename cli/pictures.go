package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/parbench/parbench/analysis"
	"github.com/parbench/parbench/analysis/htmlreport"
	"github.com/parbench/parbench/analysis/plot"
)

// writePictures writes `parbench report --html OUT --png DIR`: the page
// and the PNGs, and prints the paths written. Both render from rep
// alone: the files' configuration and profiles came with it.
func writePictures(rep *analysis.Report, htmlOut, pngDir string, stdout io.Writer) error {
	if htmlOut != "" {
		opt := htmlreport.DefaultOptions()
		opt.Sources = htmlreport.Sources(rep)
		// The profile summaries, where the files name profiles, as
		// the text report words them.
		var prof bytes.Buffer
		if err := analysis.WriteProfiles(&prof, rep, reportProfileTop); err != nil {
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
