package main

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/parbench/parbench/results"
)

// TestMakefileCompareIgnore checks that `make compare` ignores exactly
// the keys package results says describe how a run was made
// (results.CompareIgnoredKeys), so that a key added to the format cannot
// split benchstat's tables, nor one removed linger in the Makefile.
func TestMakefileCompareIgnore(t *testing.T) {
	f, err := os.Open("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "COMPARE_IGNORE ?="); ok {
			got = strings.Split(strings.TrimSpace(v), ",")
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if got == nil {
		t.Fatal("the Makefile has no COMPARE_IGNORE ?= line")
	}
	want := results.CompareIgnoredKeys()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Makefile COMPARE_IGNORE = %v\nresults.CompareIgnoredKeys() = %v", got, want)
	}
}
