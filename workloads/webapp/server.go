package webapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the API: a request over them is a bad request (4xx).
const (
	maxBody   = 1 << 10 // bytes of a request body
	maxKeyLen = 128     // bytes of an Idempotency-Key
)

// server is the HTTP JSON service:
//
//	GET  /docs/{id}            the document, with ETag "version"
//	PUT  /docs/{id}            {"counter": n}; with If-Match a compare-and-set (409 on conflict)
//	POST /docs/{id}/increment  add one under a lock taken before the read
//	POST /report               the heavy neighbour: scan the big table in a write transaction
//
// Writes take an Idempotency-Key: a retried key returns the first result
// and changes nothing. Errors are JSON {"error": ..., "kind": ...}.
type server struct {
	st   *store
	ln   net.Listener
	srv  *http.Server
	done chan struct{}

	conns atomic.Int64 // connections not yet closed

	// A service process's (served): the handler's CPU work per request,
	// in Spin units, and the sample's thread pool (nil outside a
	// sample). The in-process service has neither.
	units int
	pool  atomic.Pointer[threads]

	mu       sync.Mutex
	idle     *sync.Cond
	inflight int
	closed   bool
}

func startServer(st *store) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("webapp: listen: %w", err)
	}
	return serve(st, ln, false, 0), nil
}

// serve serves the API on ln. A served one (a service process's) runs
// each request on a thread of the sample's pool (pooled), with units
// of Spin per request.
func serve(st *store, ln net.Listener, served bool, units int) *server {
	s := &server{st: st, ln: ln, done: make(chan struct{}), units: units}
	s.idle = sync.NewCond(&s.mu)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /docs/{id}", s.handleGet)
	mux.HandleFunc("PUT /docs/{id}", s.handlePut)
	mux.HandleFunc("POST /docs/{id}/increment", s.handleIncrement)
	mux.HandleFunc("POST /report", s.handleReport)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not-found", "no such route: "+r.Method+" "+r.URL.Path)
	})
	if testHookRoutes != nil {
		testHookRoutes(s, mux)
	}
	var h http.Handler = mux
	if served {
		h = s.pooled(mux)
	}
	s.srv = &http.Server{
		Handler:           s.track(h),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          log.New(io.Discard, "", 0),
		ConnState: func(_ net.Conn, cs http.ConnState) {
			switch cs {
			case http.StateNew:
				s.conns.Add(1)
			case http.StateClosed, http.StateHijacked:
				s.conns.Add(-1)
			}
		},
	}
	go func() {
		defer close(s.done)
		s.srv.Serve(ln)
	}()
	return s
}

// testHookRoutes, if set, adds routes of a test to each server's mux.
var testHookRoutes func(s *server, mux *http.ServeMux)

// track counts the handlers running, so close and quiesce can wait for
// them: http.Server.Close does not.
func (s *server) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			writeError(w, http.StatusServiceUnavailable, "closed", "server closing")
			return
		}
		s.inflight++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.inflight--
			if s.inflight == 0 {
				s.idle.Broadcast()
			}
			s.mu.Unlock()
		}()
		h.ServeHTTP(w, r)
	})
}

func (s *server) addr() string { return s.ln.Addr().String() }

// waitIdle waits until no connection or handler is open, or ctx ends.
func (s *server) waitIdle(ctx context.Context) error {
	return quiesce(ctx, nil, s)
}

// busy reports connections or handlers still open.
func (s *server) busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inflight > 0 || s.conns.Load() > 0
}

// close stops the listener and every connection and waits for the
// handlers to end.
func (s *server) close() error {
	err := s.srv.Close()
	<-s.done
	s.mu.Lock()
	s.closed = true
	for s.inflight > 0 {
		s.idle.Wait()
	}
	s.mu.Unlock()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// apiError is the body of every error response.
type apiError struct {
	Error   string `json:"error"`
	Kind    string `json:"kind"`
	Version int64  `json:"version,omitempty"`
}

// writeJSON encodes v whole before it writes anything, and sets the
// Content-Length (as net/http would for a body this small), so that a
// service thread's flush writes the response at once (pooled).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v) // of the API's types, which always encode
	b = append(b, '\n')     // as json.Encoder ends a value
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

func writeError(w http.ResponseWriter, status int, kind, msg string) {
	writeJSON(w, status, apiError{Error: msg, Kind: kind})
}

func writeDoc(w http.ResponseWriter, d doc) {
	w.Header().Set("ETag", etag(d.Version))
	writeJSON(w, http.StatusOK, d)
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// writeStoreError maps a store error to its status.
func writeStoreError(w http.ResponseWriter, d doc, err error) {
	switch {
	case errors.Is(err, errNotFound):
		writeError(w, http.StatusNotFound, "not-found", err.Error())
	case errors.Is(err, errConflict):
		w.Header().Set("ETag", etag(d.Version))
		writeJSON(w, http.StatusConflict, apiError{Error: err.Error(), Kind: "conflict", Version: d.Version})
	case errors.Is(err, errBusy):
		writeError(w, http.StatusServiceUnavailable, "busy", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
	}
}

// docID parses the {id} of the path.
func docID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 0 {
		writeError(w, http.StatusNotFound, "not-found", fmt.Sprintf("no such document %q", r.PathValue("id")))
		return 0, false
	}
	return id, true
}

func idemKey(w http.ResponseWriter, r *http.Request) (string, bool) {
	k := r.Header.Get("Idempotency-Key")
	if len(k) > maxKeyLen {
		writeError(w, http.StatusBadRequest, "bad-request", fmt.Sprintf("Idempotency-Key longer than %d bytes", maxKeyLen))
		return "", false
	}
	return k, true
}

func (s *server) handleGet(w http.ResponseWriter, r *http.Request) {
	id, ok := docID(w, r)
	if !ok {
		return
	}
	d, err := s.st.get(r.Context(), id)
	if err != nil {
		writeStoreError(w, d, err)
		return
	}
	writeDoc(w, d)
}

// putBody is the body of PUT /docs/{id}.
type putBody struct {
	Counter *int64 `json:"counter"`
}

func (s *server) handlePut(w http.ResponseWriter, r *http.Request) {
	id, ok := docID(w, r)
	if !ok {
		return
	}
	key, ok := idemKey(w, r)
	if !ok {
		return
	}
	ifVersion := int64(-1)
	if m := r.Header.Get("If-Match"); m != "" {
		v, err := strconv.ParseInt(strings.Trim(m, `"`), 10, 64)
		if err != nil || v < 0 {
			writeError(w, http.StatusBadRequest, "bad-request", fmt.Sprintf("If-Match %q: want an ETag from GET, such as \"3\"", m))
			return
		}
		ifVersion = v
	}
	var body putBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(&body)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err == nil && body.Counter == nil {
		err = errors.New(`missing "counter"`)
	}
	if err != nil {
		if mb := new(http.MaxBytesError); errors.As(err, &mb) {
			writeError(w, http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("body over %d bytes", maxBody))
			return
		}
		writeError(w, http.StatusBadRequest, "bad-request", "body: "+err.Error())
		return
	}
	d, err := s.st.put(r.Context(), id, *body.Counter, ifVersion, key)
	if err != nil {
		writeStoreError(w, d, err)
		return
	}
	writeDoc(w, d)
}

func (s *server) handleIncrement(w http.ResponseWriter, r *http.Request) {
	id, ok := docID(w, r)
	if !ok {
		return
	}
	key, ok := idemKey(w, r)
	if !ok {
		return
	}
	d, err := s.st.increment(r.Context(), id, key)
	if err != nil {
		writeStoreError(w, d, err)
		return
	}
	writeDoc(w, d)
}

func (s *server) handleReport(w http.ResponseWriter, r *http.Request) {
	total, err := s.st.report(r.Context())
	if err != nil {
		writeStoreError(w, doc{}, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"total": total})
}

// quiesce waits until nothing is in flight anywhere in between clients
// and database: no proxy connection and no server connection or handler.
func quiesce(ctx context.Context, p *proxy, s *server) error {
	for {
		if (p == nil || p.open() == 0) && (s == nil || !s.busy()) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("webapp: requests still in flight after the sample: %w", ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}
