package webapp

import (
	"context"
	"database/sql"
	"net/http"
	"testing"
	"time"

	"github.com/parbench/parbench/bench/gil"
)

// TestHandlerPanic: a handler that panics, under the lock or inside a
// write transaction, leaves its thread back in the pool without the
// lock, and its transaction rolled back: the process serves on, with
// both threads (a thread left holding the GIL would stall the other's
// requests, and End waits for every thread), and the probe sees no
// thread used with the lock in the wrong state.
func TestHandlerPanic(t *testing.T) {
	testHookRoutes = func(s *server, mux *http.ServeMux) {
		mux.HandleFunc("POST /panic/cpu", func(http.ResponseWriter, *http.Request) {
			panic("a handler's bug")
		})
		mux.HandleFunc("POST /panic/tx", func(_ http.ResponseWriter, r *http.Request) {
			s.st.tx(r.Context(), func(ctx context.Context, c *sql.Conn) error {
				if err := s.st.execIO(ctx, c, `UPDATE docs SET counter = counter + 1000 WHERE id = 5`); err != nil {
					return err
				}
				panic("a handler's bug inside a transaction")
			})
		})
	}
	defer func() { testHookRoutes = nil }()
	in := startT(t, "webapp/update-pessimistic", config{})
	svc, base := localService(t, in, 2, 100*time.Microsecond)
	p := &probe{Lock: gil.NewGIL(gil.DefaultOptions().SwitchInterval)}
	if err := svc.Begin(p); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	for _, route := range []string{"/panic/cpu", "/panic/tx", "/panic/cpu", "/panic/tx"} {
		if resp, err := hc.Post(base+route, "application/json", nil); err == nil {
			resp.Body.Close()
			t.Fatalf("POST %s answered %s, want the connection closed by the panic", route, resp.Status)
		}
	}
	c := newClient(base, nopEnv{}, in.cfg, 1)
	c.hc.Timeout = 5 * time.Second
	c.maxAttempts = 1
	for i := range 4 {
		if err := c.incrPessimistic(5); err != nil {
			t.Fatalf("increment %d after the panics: %v", i, err)
		}
	}
	c.close()
	hc.CloseIdleConnections()
	d, err := in.st.get(t.Context(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if d.Counter != 4 {
		t.Errorf("document 5's counter is %d, want 4: the panicked transactions' updates rolled back", d.Counter)
	}
	ended := make(chan error, 1)
	go func() {
		_, err := svc.End(0)
		ended <- err
	}()
	select {
	case err := <-ended:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("End did not return: a thread never came back to the pool")
	}
	p.check(t)
}
