package webapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/parbench/parbench/workloads"
)

// Backoff between attempts: full jitter over base*2^k, capped.
const (
	backoffBase = 500 * time.Microsecond
	backoffCap  = 20 * time.Millisecond
)

// counts are a client's tallies; the instance adds them up per sample.
type counts struct {
	acked     int64 // increments the service acknowledged
	retries   int64 // requests sent again, for any reason
	conflicts int64 // 409s
	busy      int64 // 503s
	resets    int64 // connection reset
	drops     int64 // connection closed with no response
	timeouts  int64 // attempt over the client's timeout
	otherErrs int64 // any other transport error
	bad       int64 // bad requests sent on purpose (each got its 4xx)
}

func (c *counts) add(o counts) {
	c.acked += o.acked
	c.retries += o.retries
	c.conflicts += o.conflicts
	c.busy += o.busy
	c.resets += o.resets
	c.drops += o.drops
	c.timeouts += o.timeouts
	c.otherErrs += o.otherErrs
	c.bad += o.bad
}

// client is one user of the service with its own connection. Every
// round trip and every backoff sleep is blocking IO for the Env.
type client struct {
	base        string
	tr          *http.Transport
	hc          *http.Client
	env         workloads.Env
	rng         *rand.Rand
	bad         float64
	maxAttempts int
	keyPrefix   string
	noIdem      bool
	think       time.Duration
	seq         int64
	n           counts
}

func newClient(base string, env workloads.Env, c config, uid int64) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        1,
		MaxIdleConnsPerHost: 1,
		MaxConnsPerHost:     1,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	timeout := c.faults.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	maxAttempts := c.maxAttempts
	if maxAttempts == 0 {
		maxAttempts = 10000
	}
	return &client{
		base:        base,
		tr:          tr,
		hc:          &http.Client{Transport: tr, Timeout: timeout},
		env:         env,
		rng:         rand.New(rand.NewPCG(c.faults.Seed, uint64(uid))),
		bad:         c.faults.Bad,
		maxAttempts: maxAttempts,
		keyPrefix:   strconv.FormatInt(uid, 36) + "-",
		noIdem:      c.noIdem,
		think:       c.think,
	}
}

func (c *client) close() { c.tr.CloseIdleConnections() }

// newKey is the idempotency key of one logical write, kept across its
// retries.
func (c *client) newKey() string {
	if c.noIdem {
		return ""
	}
	c.seq++
	return c.keyPrefix + strconv.FormatInt(c.seq, 36)
}

// sleep backs off before attempt k (k >= 1) as blocking IO.
func (c *client) sleep(k int) {
	d := backoffBase << min(k-1, 10)
	d = min(d, backoffCap)
	d = time.Duration(c.rng.Int64N(int64(d)) + 1)
	c.env.BeginIO()
	time.Sleep(d)
	c.env.EndIO()
}

func (c *client) pause(d time.Duration) {
	if d <= 0 {
		return
	}
	c.env.BeginIO()
	time.Sleep(d)
	c.env.EndIO()
}

// response is what one request finally got.
type response struct {
	status int
	etag   string
	body   []byte
}

// request is one attempt's parts; body is resent on a retry.
type request struct {
	method, path string
	body         []byte
	header       map[string]string
}

// roundTrip sends one attempt, as blocking IO.
func (c *client) roundTrip(rq request) (response, error) {
	var body io.Reader
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
	}
	req, err := http.NewRequest(rq.method, c.base+rq.path, body)
	if err != nil {
		return response{}, err
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	if rq.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.env.BeginIO()
	defer c.env.EndIO()
	resp, err := c.hc.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return response{}, err
	}
	return response{status: resp.StatusCode, etag: resp.Header.Get("ETag"), body: b}, nil
}

// call sends rq until it gets an answer that is not a transport error
// or a 503, backing off between attempts. It counts every retry, and
// each failure by kind.
func (c *client) call(rq request) (response, error) {
	for attempt := 1; ; attempt++ {
		resp, err := c.roundTrip(rq)
		if err == nil && resp.status != http.StatusServiceUnavailable {
			return resp, nil
		}
		if err != nil {
			c.countErr(err)
		} else {
			c.n.busy++
		}
		if attempt >= c.maxAttempts {
			if err == nil {
				err = fmt.Errorf("status %d: %s", resp.status, bytes.TrimSpace(resp.body))
			}
			return resp, fmt.Errorf("%s %s: gave up after %d attempts: %w", rq.method, rq.path, attempt, err)
		}
		c.n.retries++
		c.sleep(attempt)
	}
}

func (c *client) countErr(err error) {
	switch errKind(err) {
	case "timeout":
		c.n.timeouts++
	case "reset":
		c.n.resets++
	case "drop":
		c.n.drops++
	default:
		c.n.otherErrs++
	}
}

// errKind names what the client saw of a transport failure.
func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		strings.Contains(err.Error(), "server closed"), strings.Contains(err.Error(), "connection closed"):
		return "drop"
	}
	return "other"
}

// want checks a final response's status.
func want(rq request, resp response, status int) error {
	if resp.status != status {
		return fmt.Errorf("%s %s: status %d, want %d: %s", rq.method, rq.path, resp.status, status, bytes.TrimSpace(resp.body))
	}
	return nil
}

func decodeDoc(resp response) (doc, error) {
	var d doc
	if err := json.Unmarshal(resp.body, &d); err != nil {
		return d, fmt.Errorf("decoding document: %w", err)
	}
	return d, nil
}

func docPath(id int64) string { return "/docs/" + strconv.FormatInt(id, 10) }

// get reads a document and its ETag.
func (c *client) get(id int64) (doc, string, error) {
	rq := request{method: http.MethodGet, path: docPath(id)}
	resp, err := c.call(rq)
	if err == nil {
		err = want(rq, resp, http.StatusOK)
	}
	if err != nil {
		return doc{}, "", err
	}
	d, err := decodeDoc(resp)
	if err == nil && d.ID != id {
		err = fmt.Errorf("GET %s: got document %d", rq.path, d.ID)
	}
	return d, resp.etag, err
}

// incrNaive reads, adds one and writes the result back: two requests,
// no transaction, no version check.
func (c *client) incrNaive(id int64) error {
	d, _, err := c.get(id)
	if err != nil {
		return err
	}
	c.pause(c.think)
	rq := request{method: http.MethodPut, path: docPath(id), body: counterBody(d.Counter + 1)}
	resp, err := c.call(rq)
	if err == nil {
		err = want(rq, resp, http.StatusOK)
	}
	if err != nil {
		return err
	}
	c.n.acked++
	return nil
}

// incrPessimistic asks the service to add one under its lock.
func (c *client) incrPessimistic(id int64) error {
	rq := request{method: http.MethodPost, path: docPath(id) + "/increment"}
	if key := c.newKey(); key != "" {
		rq.header = map[string]string{"Idempotency-Key": key}
	}
	resp, err := c.call(rq)
	if err == nil {
		err = want(rq, resp, http.StatusOK)
	}
	if err != nil {
		return err
	}
	c.n.acked++
	return nil
}

// incrOptimistic reads the document and its ETag, adds one, and writes
// back If-Match the ETag; on 409 it reads again.
func (c *client) incrOptimistic(id int64) error {
	key := c.newKey()
	for k := 1; ; k++ {
		d, tag, err := c.get(id)
		if err != nil {
			return err
		}
		c.pause(c.think)
		rq := request{method: http.MethodPut, path: docPath(id), body: counterBody(d.Counter + 1),
			header: map[string]string{"If-Match": tag}}
		if key != "" {
			rq.header["Idempotency-Key"] = key
		}
		resp, err := c.call(rq)
		if err != nil {
			return err
		}
		switch resp.status {
		case http.StatusOK:
			c.n.acked++
			return nil
		case http.StatusConflict:
			c.n.conflicts++
			if k >= c.maxAttempts {
				return fmt.Errorf("PUT %s: %d conflicts in a row", rq.path, k)
			}
			c.n.retries++
			c.sleep(k)
		default:
			return want(rq, resp, http.StatusOK)
		}
	}
}

// read fetches a document.
func (c *client) read(id int64) error {
	_, _, err := c.get(id)
	return err
}

// report runs the heavy report.
func (c *client) report() error {
	rq := request{method: http.MethodPost, path: "/report"}
	resp, err := c.call(rq)
	if err == nil {
		err = want(rq, resp, http.StatusOK)
	}
	return err
}

func counterBody(n int64) []byte {
	return []byte(`{"counter":` + strconv.FormatInt(n, 10) + `}`)
}

// badRequests are the requests a careless or hostile client sends; each
// must get a 4xx with a JSON error and change nothing.
var badRequests = []struct {
	name   string
	req    request
	status int
}{
	{"malformed JSON", request{method: http.MethodPut, path: docPath(hotDoc), body: []byte(`{"counter": 1`)}, http.StatusBadRequest},
	{"wrong type", request{method: http.MethodPut, path: docPath(hotDoc), body: []byte(`{"counter": "one"}`)}, http.StatusBadRequest},
	{"unknown field", request{method: http.MethodPut, path: docPath(hotDoc), body: []byte(`{"counter": 1, "admin": true}`)}, http.StatusBadRequest},
	{"oversized body", request{method: http.MethodPut, path: docPath(hotDoc),
		body: []byte(`{"counter": 1, "note": "` + strings.Repeat("x", 2*maxBody) + `"}`)}, http.StatusRequestEntityTooLarge},
	{"bad If-Match", request{method: http.MethodPut, path: docPath(hotDoc), body: counterBody(1),
		header: map[string]string{"If-Match": "yesterday"}}, http.StatusBadRequest},
	{"unknown document", request{method: http.MethodPut, path: docPath(numDocs + 7), body: counterBody(1)}, http.StatusNotFound},
	{"unknown document increment", request{method: http.MethodPost, path: docPath(numDocs+7) + "/increment"}, http.StatusNotFound},
	{"unknown route", request{method: http.MethodDelete, path: docPath(hotDoc)}, http.StatusNotFound},
}

// maybeBad sends a bad request with the configured chance.
func (c *client) maybeBad() error {
	if c.bad == 0 || c.rng.Float64() >= c.bad {
		return nil
	}
	b := badRequests[c.rng.IntN(len(badRequests))]
	resp, err := c.call(b.req)
	if err != nil {
		return err
	}
	if err := checkBad(b.req, resp, b.status); err != nil {
		return fmt.Errorf("bad request %q: %w", b.name, err)
	}
	c.n.bad++
	return nil
}

// checkBad checks a bad request's answer: the status and a JSON error.
func checkBad(rq request, resp response, status int) error {
	if err := want(rq, resp, status); err != nil {
		return err
	}
	var e apiError
	if err := json.Unmarshal(resp.body, &e); err != nil || e.Error == "" {
		return fmt.Errorf("%s %s: body %q is not a JSON error", rq.method, rq.path, resp.body)
	}
	return nil
}
