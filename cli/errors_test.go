package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/parbench/parbench/bench"
)

// TestFieldFlags checks the table from Config fields to flags: each
// flag is one of run's.
func TestFieldFlags(t *testing.T) {
	fs, _ := newRunFlags(new(bytes.Buffer))
	for field, fl := range fieldFlags {
		if fs.Lookup(strings.TrimPrefix(fl, "--")) == nil {
			t.Errorf("%s: %s is not a flag of run", field, fl)
		}
	}
}

func TestCLIError(t *testing.T) {
	exist := fmt.Errorf("r.txt: %w", os.ErrExist)
	for _, tc := range []struct {
		name  string
		err   error
		given map[string]bool
		want  string
		usage bool
	}{
		{"field", &bench.FieldError{Field: "Count", Value: "3", Err: errors.New("{TargetCI} needs at least 6 samples a point")}, nil,
			"--count 3: --target-ci needs at least 6 samples a point", true},
		{"resume setting, flag given", &bench.ResumeError{Path: "r.txt", Key: "locks", File: "gil", Run: "none", Err: errors.New("locks differ")},
			map[string]bool{"lock": true}, "--resume r.txt: --lock none differs from the file's gil (a resumed sweep keeps its settings: drop --lock, or start a new run)", true},
		{"resume setting, from the file", &bench.ResumeError{Path: "r.txt", Key: "locks", File: "gil", Run: "none", Err: errors.New("locks differ")},
			nil, "--resume r.txt: locks differ", true},
		{"resume line", &bench.ResumeError{Path: "r.txt", Line: 7, Err: errors.New("X has more samples than {Count} 3")}, nil,
			"--resume: r.txt:7: X has more samples than --count 3", true},
		{"create, exists", &bench.FileError{Op: bench.OpCreate, Path: "r.txt", Err: exist}, nil,
			"--out r.txt: file exists (results are never overwritten: choose a new name, continue it with --resume, or replace it with --force)", true},
		{"write", &bench.FileError{Op: bench.OpWrite, Path: "r.txt", Err: errors.New("disk full")}, nil, "--out r.txt: disk full", false},
		{"joined write", errors.Join(bench.ErrInterrupted, &bench.FileError{Op: bench.OpWrite, Path: "r.txt", Err: errors.New("disk full")}), nil,
			"interrupted\n--out r.txt: disk full", false},
		{"other", bench.ErrInterrupted, nil, "interrupted", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := cliError(tc.err, tc.given)
			if err.Error() != tc.want || errors.As(err, new(usageError)) != tc.usage {
				t.Errorf("cliError = %q (usage %v), want %q (usage %v)", err, errors.As(err, new(usageError)), tc.want, tc.usage)
			}
		})
	}
}
