package plot

// Barred returns the labels of f's series drawn with error bars.
func Barred(f *Figure) []string { return f.barred }
