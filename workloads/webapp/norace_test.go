//go:build !race

package webapp

// raceEnabled says that the race detector is on (race_test.go).
const raceEnabled = false
