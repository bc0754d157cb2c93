package cli

// The official binary (cmd/parbench) blank-imports the webapp workloads;
// package cli does not, so that a custom binary pulls in SQLite and the
// PostgreSQL driver only if it imports them itself. The tests that run
// webapp/ workloads (their --db and --faults errors, exec=processes
// refusing them) get them here, in this test binary and its worker
// processes alike.
import _ "github.com/parbench/parbench/workloads/webapp"
