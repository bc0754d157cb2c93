package workloads_test

import (
	"fmt"
	"strings"

	"github.com/parbench/parbench/results"
	"github.com/parbench/parbench/workloads"
)

// wordCount is a workload as a third party writes one, in a package of
// its own: it counts the words of a fixed text. A binary that imports
// the package and calls cli.Main measures it like a built-in workload
// (examples/mapbench in the repository is a complete module doing so).
type wordCount struct{}

// Register from init, under a family of your own, so that any binary
// importing the package has the workload, worker processes included.
func init() { workloads.Register(wordCount{}) }

func (wordCount) Name() string    { return "example/wordcount" }
func (wordCount) Summary() string { return "count the words of a fixed text: CPU only, nothing shared" }

// Class says what bounds the ops (workloads.Classed): the report then
// applies the rules of CPU-bound work to it.
func (wordCount) Class() results.Class { return results.ClassCPU }

// Params says it reads no knob of workloads.Params (workloads.ParamUser).
func (wordCount) Params() []string { return nil }

// Start makes what every worker shares: here, the text and the count
// each op must find.
func (wordCount) Start(workloads.Params) (workloads.Instance, error) {
	text := strings.Repeat("the quick brown fox jumps ", 40)
	return &wordInstance{text: text, want: 200}, nil
}

type wordInstance struct {
	text string
	want int
}

func (in *wordInstance) NewWorker(env workloads.Env) (workloads.Worker, error) {
	return &wordWorker{in: in, env: env}, nil
}

func (in *wordInstance) Close() error { return nil }

type wordWorker struct {
	in  *wordInstance
	env workloads.Env
}

// wordTicks is the ticks one op stands for: its ~2µs of CPU work over
// workloads.TickTime, measured once.
const wordTicks = 170

// Op counts the words once, marks its CPU work with the ticks it stands
// for (a simulated GIL may hand over there), and checks the count, so
// that a wrong fast answer is an error.
func (w *wordWorker) Op() error {
	n := len(strings.Fields(w.in.text))
	w.env.Check(wordTicks)
	if n != w.in.want {
		return fmt.Errorf("example/wordcount: %d words, want %d", n, w.in.want)
	}
	return nil
}

func (w *wordWorker) Close() error { return nil }

// A third party's workload, found by its family as `parbench run
// --workloads example` finds it, and run for a few ops as a test of it
// would, with no lock (NopEnv).
func Example() {
	ws, err := workloads.Lookup("example")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range ws {
		fmt.Printf("%s (class %s): %s\n", w.Name(), workloads.ClassOf(w), w.Summary())
		in, err := w.Start(workloads.DefaultParams())
		if err != nil {
			fmt.Println(err)
			return
		}
		wk, err := in.NewWorker(workloads.NopEnv{})
		if err != nil {
			fmt.Println(err)
			return
		}
		for range 3 {
			if err := wk.Op(); err != nil {
				fmt.Println(err)
			}
		}
		fmt.Println("3 ops, each checked:", wk.Close(), in.Close())
	}
	// Output:
	// example/wordcount (class cpu): count the words of a fixed text: CPU only, nothing shared
	// 3 ops, each checked: <nil> <nil>
}
