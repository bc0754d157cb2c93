//go:build race

package gil

// raceEnabled says that the race detector is on: the stress test then
// runs shorter samples, each op being several times slower.
const raceEnabled = true
