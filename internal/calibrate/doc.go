// Package calibrate checks parbench's simulated GIL against the real
// one: it runs small Python programs on the CPython interpreters it
// finds and the matching parbench points beside them, and puts the two
// in one table (`parbench calibrate`, `make calibrate`).
//
// The data flow:
//
//  1. Find the interpreters (Find): those named (--python, PYTHON=), or
//     the first CPython 3 and the first CPython 2.7 among python3,
//     python2.7, python2, python, the other pythonX.Y on PATH and
//     pyenv's installed versions. An interpreter counts only if running
//     it works (Probe): a pyenv shim of an unselected version does not.
//     Each is simulated by the lock mode of its GIL: gil for CPython 3,
//     gil-old for CPython 2 (Interpreter.Lock).
//  2. For each round, interpreter and behaviour (Behaviours: CPU-bound
//     threads, the switch interval's tenure and switch rate, the convoy,
//     IO-bound sleeps, mixed CPU and IO, processes, a web service), run
//     the behaviour's Python program (python/*.py, embedded and written
//     to a temporary folder; standard library only, CPython 2.7 and
//     3.x) and its parbench points, in-process through bench.Run with
//     one sample each; CPython first in odd rounds, parbench first in
//     even ones. The web service's CPython side is a service, not a
//     program (python/webservice.py, CPython 3 only): parbench's own
//     clients drive it through bench.Run as an external service
//     command (ServiceConfig.Command), W copies at a time, as they
//     drive parbench's simulated service on the other side.
//  3. Read both sides' lines (each program prints Go benchmark lines)
//     into the round's figures: speedups, tenures, switch rates,
//     latencies, and what a simple model predicts where there is one.
//  4. Write everything to one results file (package results says how a
//     calibration file is laid out): CPython's lines, parbench's lines
//     and one line per figure, side and round.
//  5. Judge each figure (analysis.NewCalibration): parbench's median
//     against CPython's, within CPython's own spread over its rounds,
//     or a floor. `parbench report FILE` prints the same table again.
package calibrate
