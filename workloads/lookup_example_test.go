package workloads_test

import (
	"errors"
	"fmt"

	"github.com/parbench/parbench/workloads"
)

// Lookup takes what --workloads takes: a family, an exact name or
// "all". A name that matches nothing is an error that lists the valid
// ones.
func ExampleLookup() {
	ws, _ := workloads.Lookup("cpu")
	for _, w := range ws {
		fmt.Println(w.Name(), workloads.ClassOf(w))
	}
	_, err := workloads.Lookup("gpu")
	fmt.Println(errors.Is(err, workloads.ErrUnknown))
	// Output:
	// cpu/alloc cpu
	// cpu/mandelbrot cpu
	// cpu/sha256 cpu
	// cpu/stream memory
	// true
}
