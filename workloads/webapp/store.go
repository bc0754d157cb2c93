package webapp

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/parbench/parbench/internal/tempdir"
	"github.com/parbench/parbench/workloads"
	"modernc.org/sqlite"
)

// Sizes of the data set every instance starts with.
const (
	numDocs        = 4097  // doc 0 is the hot one; 1..4096 are one per client
	defaultBigRows = 20000 // rows the heavy report scans, ~200 bytes each
	hotDoc         = 0
)

// Errors of the store, which the service maps to HTTP statuses.
var (
	errNotFound = errors.New("no such document")
	errConflict = errors.New("version conflict")
	errBusy     = errors.New("database busy")
)

// doc is one document as the API shows it.
type doc struct {
	ID      int64 `json:"id"`
	Counter int64 `json:"counter"`
	Version int64 `json:"version"`
}

// store is the database behind the service: a pool of writers and a pool
// of readers. SQLite admits one writer at a time, so the in-process
// service's write pool has one connection and writers queue in
// database/sql rather than in SQLite's busy-sleep loop; its readers run
// beside the writer under WAL. A service process (attachStore) is a
// Python worker: each of its T threads has connections of its own, as
// CPython's sqlite3 gives a thread, so its writers meet in SQLite's
// lock and wait in SQLite's busy handler, which sleeps (1, 2, 5, 10 ...
// 100ms) until the lock is free or busy_timeout has passed. PostgreSQL
// locks rows, so both pools are one.
type store struct {
	pg      bool
	bigRows int64
	w, r    *sql.DB
	admin   *sql.DB // PostgreSQL: drops the schema at close
	dir     string  // SQLite: the temporary directory, removed at close
	schema  string  // PostgreSQL: this instance's schema, dropped at close
	busy    time.Duration
	latency time.Duration // added to each statement's round trip (roundTrip)
	// Where the data is, for a service process to attach to (see
	// attachStore): the SQLite file, or the PostgreSQL URL whose
	// search_path is the schema.
	file, pgURL string
}

// readers is the read pool's size: conns if set, else max.
func readers(conns, max int) int {
	if conns > 0 {
		return min(conns, max)
	}
	return max
}

func openStore(c config) (s *store, err error) {
	s = &store{busy: c.faults.Busy, bigRows: c.bigRows}
	if s.bigRows == 0 {
		s.bigRows = defaultBigRows
	}
	defer func() {
		if err != nil {
			s.close()
			s = nil
		}
	}()
	if c.dsn == "" {
		err = s.openSQLite(c.tempDir, readers(c.conns, sqliteReaders))
	} else {
		err = s.openPostgres(c.dsn, readers(c.conns, pgConns))
	}
	if err != nil {
		return s, err
	}
	return s, s.setup()
}

// attachStore opens the pools of a store that another process made
// (openStore, then setup): a service process's own connections to the
// same database. It owns neither the data nor the temporary directory
// or schema, so its close removes nothing. conns bounds each pool.
func attachStore(file, pgURL string, busy time.Duration, bigRows int64, conns int) (s *store, err error) {
	s = &store{busy: busy, bigRows: bigRows}
	if pgURL != "" {
		s.pg = true
		err = s.openPostgresPool(pgURL, readers(conns, pgConns))
	} else {
		err = s.openSQLiteFile(file, max(conns, 1), max(conns, 1))
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *store) openSQLite(tempDir string, nr int) error {
	dir, err := tempdir.Make(tempDir, "parbench-webapp")
	if err != nil {
		return fmt.Errorf("webapp: %w", err)
	}
	s.dir = dir
	return s.openSQLiteFile(filepath.Join(dir, "app.db"), 1, nr)
}

// openSQLiteFile opens a write pool of nw connections and a read pool
// of nr connections on the SQLite file.
func (s *store) openSQLiteFile(file string, nw, nr int) error {
	s.file = file
	// WAL lets readers run beside the writer; NORMAL sync is the usual
	// setting under WAL (durable at checkpoints, never corrupt); the busy
	// timeout makes a locked database wait before it fails.
	dsn := "file:" + file +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)"
	var err error
	if s.w, err = sql.Open("sqlite", dsn); err != nil {
		return fmt.Errorf("webapp: open sqlite: %w", err)
	}
	s.w.SetMaxOpenConns(nw)
	s.w.SetMaxIdleConns(nw)
	if s.r, err = sql.Open("sqlite", dsn+"&_pragma=query_only(1)"); err != nil {
		return fmt.Errorf("webapp: open sqlite: %w", err)
	}
	s.r.SetMaxOpenConns(nr)
	s.r.SetMaxIdleConns(nr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := warm(ctx, s.w, nw); err != nil {
		return fmt.Errorf("webapp: open sqlite: %w", err)
	}
	if err := warm(ctx, s.r, nr); err != nil {
		return fmt.Errorf("webapp: open sqlite: %w", err)
	}
	return nil
}

// sqliteReaders is the SQLite read pool's size: the service's connection
// limit for reads.
const sqliteReaders = 8

// dbError is a failure to use the database that Params.DB names, as the
// setting's error, so that a command names its flag.
func dbError(err error) error {
	return &workloads.ParamError{Param: workloads.ParamDB, Err: fmt.Errorf("PostgreSQL: %w", err)}
}

func (s *store) openPostgres(dsn string, n int) error {
	s.pg = true
	var err error
	if s.admin, err = sql.Open("pgx", dsn); err != nil {
		return dbError(err)
	}
	s.admin.SetMaxOpenConns(1)
	var b [6]byte
	rand.Read(b[:])
	schema := "parbench_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return dbError(onceEach(err))
	}
	s.schema = schema
	u, err := url.Parse(dsn)
	if err != nil {
		return dbError(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return s.openPostgresPool(u.String(), n)
}

// openPostgresPool opens the one pool, of n connections, at url.
func (s *store) openPostgresPool(url string, n int) error {
	s.pgURL = url
	var err error
	if s.w, err = sql.Open("pgx", url); err != nil {
		return dbError(err)
	}
	s.w.SetMaxOpenConns(n)
	s.w.SetMaxIdleConns(n)
	s.r = s.w
	// A connection (TCP, then SCRAM) takes longer than the busy limit
	// of --faults.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := warm(ctx, s.w, n); err != nil {
		return dbError(onceEach(err))
	}
	return nil
}

// onceEach is err with each of its lines once. pgx tries a connection
// once per address and TLS mode (sslmode=prefer: TLS, then plain), and
// its error lists every try: a refused connection to one address would
// print the same dial error twice.
func onceEach(err error) error {
	lines := strings.Split(err.Error(), "\n")
	seen := map[string]bool{}
	var kept []string
	for _, l := range lines {
		if !seen[l] {
			seen[l] = true
			kept = append(kept, l)
		}
	}
	if len(kept) == len(lines) {
		return err
	}
	if len(kept) == 2 { // the prefix and one reason: one line
		kept = []string{strings.TrimRight(kept[0], " ") + " " + strings.TrimSpace(kept[1])}
	}
	return &linesError{msg: strings.Join(kept, "\n"), err: err}
}

// linesError is an error said in other words: its message, and the
// error it wraps.
type linesError struct {
	msg string
	err error
}

func (e *linesError) Error() string { return e.msg }
func (e *linesError) Unwrap() error { return e.err }

// warm opens a pool's n connections now, so that no sample pays for
// opening one, and the process holds the same descriptors before and
// after each sample (the runner checks that nothing leaks).
func warm(ctx context.Context, db *sql.DB, n int) error {
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	return nil
}

// pgConns is the PostgreSQL pool's size: the service's connection limit.
const pgConns = 24

func (s *store) setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stmts := []string{
		`CREATE TABLE docs (id BIGINT PRIMARY KEY, counter BIGINT NOT NULL, version BIGINT NOT NULL, body TEXT NOT NULL)`,
		`CREATE TABLE idem (key TEXT PRIMARY KEY, doc BIGINT NOT NULL, counter BIGINT NOT NULL, version BIGINT NOT NULL)`,
		`CREATE TABLE big (id BIGINT PRIMARY KEY, data TEXT NOT NULL)`,
		`CREATE TABLE stats (id BIGINT PRIMARY KEY, total BIGINT NOT NULL, runs BIGINT NOT NULL)`,
		`INSERT INTO stats VALUES (1, 0, 0)`,
	}
	if s.pg {
		stmts = append(stmts,
			fmt.Sprintf(`INSERT INTO docs SELECT i, 0, 1, 'doc' FROM generate_series(0, %d) i`, numDocs-1),
			fmt.Sprintf(`INSERT INTO big SELECT i, repeat(md5(i::text), 6) FROM generate_series(1, %d) i`, s.bigRows),
			`ANALYZE`)
	} else {
		stmts = append(stmts,
			fmt.Sprintf(`WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM s WHERE i < %d)
				INSERT INTO docs SELECT i, 0, 1, 'doc' FROM s`, numDocs-1),
			fmt.Sprintf(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM s WHERE i < %d)
				INSERT INTO big SELECT i, hex(randomblob(96)) FROM s`, s.bigRows))
	}
	for _, q := range stmts {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("webapp: setup: %w", err)
		}
	}
	return nil
}

// close closes the pools and removes what openStore made.
func (s *store) close() error {
	var errs []error
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if s.admin != nil {
		if s.schema != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := s.admin.ExecContext(ctx, "DROP SCHEMA "+s.schema+" CASCADE")
			cancel()
			errs = append(errs, err)
		}
		errs = append(errs, s.admin.Close())
	}
	if s.dir != "" {
		errs = append(errs, os.RemoveAll(s.dir))
	}
	return errors.Join(errs...)
}

// q rewrites ? placeholders as $1, $2, ... for PostgreSQL.
func (s *store) q(query string) string {
	if !s.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// conn takes a connection from pool, waiting at most the busy limit: a
// service at its connection limit answers 503 rather than queueing
// without bound.
func (s *store) conn(ctx context.Context, pool *sql.DB) (*sql.Conn, error) {
	defer released(ctx)() // a thread waiting for a connection runs no Python
	if s.busy > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.busy)
		defer cancel()
	}
	c, err := pool.Conn(ctx)
	if err != nil {
		// A new connection's dial fails with its own timeout error
		// when the wait's deadline cuts it short.
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || pgconn.Timeout(err) ||
			(errors.As(err, &ne) && ne.Timeout()) {
			return nil, fmt.Errorf("%w: no connection free within %v", errBusy, s.busy)
		}
		return nil, err
	}
	return c, nil
}

// classify maps database errors that mean "try again" to errBusy.
func classify(err error) error {
	if err == nil || errors.Is(err, errBusy) || errors.Is(err, errNotFound) || errors.Is(err, errConflict) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return fmt.Errorf("%w: %v", errBusy, err)
		case 19: // SQLITE_CONSTRAINT: a concurrent retry stored the key first
			return fmt.Errorf("%w: %v", errBusy, err)
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "53300", "55P03", "40001", "40P01", "23505": // too many connections, lock, serialization, deadlock, unique
			return fmt.Errorf("%w: %v", errBusy, err)
		}
	}
	return err
}

// execIO runs one statement on c as blocking IO: a service thread
// releases its lock around it (released), as CPython's sqlite3 module
// releases the GIL around each sqlite3_step, busy waits included.
func (s *store) execIO(ctx context.Context, c *sql.Conn, query string, args ...any) error {
	defer released(ctx)()
	defer s.roundTrip()()
	_, err := c.ExecContext(ctx, query, args...)
	return err
}

// scanIO runs one query on c and scans its first row into dest, as
// blocking IO (see execIO).
func (s *store) scanIO(ctx context.Context, c *sql.Conn, query string, args []any, dest ...any) error {
	defer released(ctx)()
	defer s.roundTrip()()
	return c.QueryRowContext(ctx, query, args...).Scan(dest...)
}

// roundTrip adds the store's latency (Params.DBLatency) to a
// statement, as the network to a database on another host would: one
// sleep before the statement runs, for the way there and back. One, not
// a half each way: a short sleep oversleeps (on this project's 2-core
// VM, Go 1.26, medians of 200: time.Sleep(500µs) took 1.10ms and
// time.Sleep(1ms) 1.12ms), and two would pay that twice.
// Its caller has released the thread's lock. A statement inside a
// transaction holds the transaction's locks through it. Use: defer
// s.roundTrip()().
func (s *store) roundTrip() (back func()) {
	if s.latency > 0 {
		time.Sleep(s.latency)
	}
	return nop
}

// tx runs fn in a transaction that takes the write lock first: SQLite's
// BEGIN IMMEDIATE; in PostgreSQL, fn locks the rows it reads. fn runs
// its statements in the ctx it is given. It runs to the end even if the
// client gives up: a half-done request is worse. A panic in fn rolls
// the transaction back before it goes on up, so that the connection
// goes back to the pool without it. On a service thread, the
// transaction is timed for the tx-lock-wait share (txClock).
func (s *store) tx(ctx context.Context, fn func(ctx context.Context, c *sql.Conn) error) error {
	c, err := s.conn(ctx, s.w)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, tc, count := txClockFor(context.WithoutCancel(ctx))
	begin := "BEGIN IMMEDIATE"
	if s.pg {
		begin = "BEGIN"
	}
	if err := s.execIO(ctx, c, begin); err != nil {
		return classify(err)
	}
	if count != nil {
		defer count()
	}
	ended := false // COMMIT or ROLLBACK sent
	closing := func() {
		ended = true
		if tc != nil {
			tc.closing = true
		}
	}
	defer func() {
		if !ended { // fn panicked
			closing()
			s.rollback(ctx, c)
		}
	}()
	if err := fn(ctx, c); err != nil {
		closing()
		s.rollback(ctx, c)
		return classify(err)
	}
	closing()
	if err := s.execIO(ctx, c, "COMMIT"); err != nil {
		s.rollback(ctx, c)
		return classify(err)
	}
	return nil
}

// rollback ends a failed transaction; a connection that cannot roll back
// is discarded rather than returned to the pool mid-transaction.
func (s *store) rollback(ctx context.Context, c *sql.Conn) {
	if err := s.execIO(ctx, c, "ROLLBACK"); err != nil {
		c.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// replay returns the stored result of an idempotency key, if any.
func (s *store) replay(ctx context.Context, c *sql.Conn, key string) (doc, bool, error) {
	if key == "" {
		return doc{}, false, nil
	}
	var d doc
	err := s.scanIO(ctx, c, s.q(`SELECT doc, counter, version FROM idem WHERE key = ?`), []any{key},
		&d.ID, &d.Counter, &d.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return doc{}, false, nil
	}
	return d, err == nil, err
}

func (s *store) remember(ctx context.Context, c *sql.Conn, key string, d doc) error {
	if key == "" {
		return nil
	}
	return s.execIO(ctx, c, s.q(`INSERT INTO idem (key, doc, counter, version) VALUES (?, ?, ?, ?)`),
		key, d.ID, d.Counter, d.Version)
}

// get reads a document from the read pool.
func (s *store) get(ctx context.Context, id int64) (doc, error) {
	c, err := s.conn(ctx, s.r)
	if err != nil {
		return doc{}, err
	}
	defer c.Close()
	d := doc{ID: id}
	// The query runs to the end even if the client gives up: pgx closes
	// a connection whose query is cancelled, and a new one costs more
	// than finishing.
	err = s.scanIO(context.WithoutCancel(ctx), c, s.q(`SELECT counter, version FROM docs WHERE id = ?`), []any{id}, &d.Counter, &d.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return doc{}, errNotFound
	}
	return d, classify(err)
}

// increment adds one to a document's counter under a lock taken before
// the read: the pessimistic way. A replayed key returns the first result.
func (s *store) increment(ctx context.Context, id int64, key string) (d doc, err error) {
	lockRead := `SELECT counter, version FROM docs WHERE id = ?`
	if s.pg {
		lockRead += ` FOR UPDATE`
	}
	err = s.tx(ctx, func(ctx context.Context, c *sql.Conn) error {
		d = doc{ID: id}
		if err := s.scanIO(ctx, c, s.q(lockRead), []any{id}, &d.Counter, &d.Version); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return errNotFound
			}
			return err
		}
		if old, ok, err := s.replay(ctx, c, key); ok || err != nil {
			d = old
			return err
		}
		d.Counter++
		d.Version++
		if err := s.execIO(ctx, c, s.q(`UPDATE docs SET counter = ?, version = ? WHERE id = ?`), d.Counter, d.Version, id); err != nil {
			return err
		}
		return s.remember(ctx, c, key, d)
	})
	return d, err
}

// put sets a document's counter. With ifVersion >= 0 it is a
// compare-and-set on the version (optimistic); with ifVersion < 0 it
// overwrites whatever is there (naive), outside any transaction.
func (s *store) put(ctx context.Context, id, counter, ifVersion int64, key string) (d doc, err error) {
	d = doc{ID: id}
	if ifVersion < 0 && key == "" {
		c, err := s.conn(ctx, s.w)
		if err != nil {
			return d, err
		}
		defer c.Close()
		err = s.scanIO(context.WithoutCancel(ctx), c,
			s.q(`UPDATE docs SET counter = ?, version = version + 1 WHERE id = ? RETURNING counter, version`),
			[]any{counter, id}, &d.Counter, &d.Version)
		if errors.Is(err, sql.ErrNoRows) {
			return d, errNotFound
		}
		return d, classify(err)
	}
	err = s.tx(ctx, func(ctx context.Context, c *sql.Conn) error {
		if old, ok, err := s.replay(ctx, c, key); ok || err != nil {
			d = old
			return err
		}
		query := `UPDATE docs SET counter = ?, version = version + 1 WHERE id = ? AND version = ? RETURNING counter, version`
		args := []any{counter, id, ifVersion}
		if ifVersion < 0 {
			query = `UPDATE docs SET counter = ?, version = version + 1 WHERE id = ? RETURNING counter, version`
			args = args[:2]
		}
		err := s.scanIO(ctx, c, s.q(query), args, &d.Counter, &d.Version)
		if errors.Is(err, sql.ErrNoRows) {
			var cur int64
			err = s.scanIO(ctx, c, s.q(`SELECT version FROM docs WHERE id = ?`), []any{id}, &cur)
			if errors.Is(err, sql.ErrNoRows) {
				return errNotFound
			}
			if err == nil {
				d.Version = cur
				return errConflict
			}
		}
		if err != nil {
			return err
		}
		return s.remember(ctx, c, key, d)
	})
	return d, err
}

// report is the heavy neighbour: a write transaction that scans the big
// table and stores a total. On SQLite it holds the database's one write
// lock for the whole scan; on PostgreSQL it locks one row of stats.
func (s *store) report(ctx context.Context) (total int64, err error) {
	lock := `SELECT runs FROM stats WHERE id = 1`
	if s.pg {
		lock += ` FOR UPDATE`
	}
	err = s.tx(ctx, func(ctx context.Context, c *sql.Conn) error {
		var runs, n int64
		if err := s.scanIO(ctx, c, lock, nil, &runs); err != nil {
			return err
		}
		if err := s.scanIO(ctx, c, `SELECT sum(length(data)), count(*) FROM big`, nil, &total, &n); err != nil {
			return err
		}
		if n != s.bigRows {
			return fmt.Errorf("report scanned %d rows, want %d", n, s.bigRows)
		}
		return s.execIO(ctx, c, s.q(`UPDATE stats SET total = ?, runs = runs + 1 WHERE id = 1`), total)
	})
	return total, err
}

// sum is the sum of every counter, read straight from the database.
func (s *store) sum(ctx context.Context) (int64, error) {
	var n int64
	err := s.w.QueryRowContext(ctx, `SELECT sum(counter) FROM docs`).Scan(&n)
	return n, err
}

// forget drops the stored idempotency keys between samples.
func (s *store) forget(ctx context.Context) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM idem`)
	return err
}
