package analysis

// These export the tables and lines that WriteText and WriteMarkdown
// print, for renderers outside this package (package htmlreport), so
// that every format says the same thing in the same words.

// PointTable returns g's table of points, the header row first: the
// same cells as the text and Markdown reports, intervals at confidence.
func (g *Group) PointTable(confidence float64) [][]string {
	t := pointTable(g, confidence)
	return append([][]string{t.head}, t.rows...)
}

// FitLines describes g's fits in words, one line per law, each
// parameter with its interval at confidence (or why it was not fitted).
func (g *Group) FitLines(confidence float64) []string { return fitLines(g, confidence) }

// Table returns the served section's table of shapes, the header row
// first: the same cells as the text and Markdown reports.
func (s *Served) Table(confidence float64) [][]string {
	t := servedTable(s, confidence)
	return append([][]string{t.head}, t.rows...)
}
