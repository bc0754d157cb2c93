//go:build race

package webapp

// raceEnabled says that the race detector is on: the pure-Go SQLite
// and the HTTP stack then run several times slower, and the tests that
// weigh CPU under the lock against released time scale the released
// or the CPU side to keep the same balance.
const raceEnabled = true
