# webservice: the real CPython web service that parbench's served webapp
# simulates (issue 18), for `parbench run --server-cmd` and the
# calibration's "webservice" behaviour. CPython 3.6 or later, standard
# library only; it does not run on CPython 2.7 (no selectors or
# concurrent.futures there), and calibrate runs it on CPython 3 alone.
#
# The shape is a pre-fork worker of gunicorn's gthread kind: one process
# of T threads (parbench starts W copies of it, each with its own GIL and
# its own database connections), where a thread handles one REQUEST at a
# time, not one connection:
#
#   - the main thread's loop (selectors) accepts connections and watches
#     the idle keep-alive ones; a connection that turns readable leaves
#     the selector and goes to a concurrent.futures.ThreadPoolExecutor(T);
#   - the task reads and parses ONE HTTP/1.1 request (request line,
#     headers, Content-Length body), builds a WSGI environ, calls the
#     WSGI app (app(environ, start_response)), writes the response and
#     hands the connection back to the main loop (or closes it);
#   - the app: a pure-Python CPU loop of PARBENCH_HANDLER_CPU seconds a
#     request (the business logic), routing, json, and sqlite3 with one
#     connection per thread; each statement first sleeps
#     PARBENCH_DB_LATENCY (a remote database's round trip: time.sleep
#     releases the GIL, as a socket read would).
#
# The GIL is held for the bytecode (HTTP parsing, WSGI, routing, json,
# the CPU loop) and released by socket calls, time.sleep and sqlite3's
# calls into SQLite (sqlite3_step: a busy wait included).
#
# The protocol (parbench's external service), by environment:
#   PARBENCH_LISTEN=127.0.0.1:PORT with PARBENCH_REUSEPORT=1: open an own
#       listening socket with SO_REUSEPORT (Linux); or PARBENCH_LISTEN_FD=N:
#       accept on the inherited listening socket N (3);
#   PARBENCH_SQLITE=/path/app.db: the database parbench made (its schema
#       and data; WAL). PARBENCH_POSTGRES is refused: the standard library
#       has no PostgreSQL driver;
#   PARBENCH_THREADS=T, PARBENCH_HANDLER_CPU=seconds,
#   PARBENCH_DB_LATENCY=seconds, PARBENCH_BUSY=seconds (0: 10s), the
#   longest a statement waits for SQLite's lock before 503,
#   PARBENCH_INDEX=i (this copy's number, for messages).
# It prints "ready" on stdout once it accepts, serves until its stdin
# closes, then exits. Errors go to stderr (parbench keeps their tail).
#
# The API is webapp's service's (workloads/webapp/server.go, store.go):
#   GET  /docs/{id}            the document, with ETag "version"
#   PUT  /docs/{id}            {"counter": n}; with If-Match a compare-and-set
#   POST /docs/{id}/increment  add one in a transaction that locks first
#   POST /report               scan the big table in a write transaction
# with an Idempotency-Key on writes, the same SQL, and JSON errors
# {"error": ..., "kind": ...} with the same statuses.
import collections
import concurrent.futures
import io
import json
import os
import re
import selectors
import socket
import sqlite3
import sys
import threading
import time

MAX_BODY = 1 << 10  # bytes of a request body (server.go's maxBody)
MAX_KEY = 128  # bytes of an Idempotency-Key
MAX_HEAD = 16 << 10  # bytes of a request line and headers
READ_TIMEOUT = 10.0  # seconds a started request may take to arrive


def env_float(name, default):
    v = os.environ.get(name, "")
    try:
        return float(v) if v else default
    except ValueError:
        die("%s=%r: want a number of seconds" % (name, v))


def die(msg):
    sys.stderr.write("webservice %s: %s\n" % (os.environ.get("PARBENCH_INDEX", "?"), msg))
    sys.stderr.flush()
    os._exit(2)


# --- the handler's CPU work ------------------------------------------------


def work(n):
    """n units of pure-Python CPU work: the bytecode loop holds the GIL
    throughout (switching every switch interval, as any Python code)."""
    x = 0
    for i in range(n):
        x += i
    return x


def units_for(seconds):
    """How many units of work cost `seconds` of CPU on one thread.

    Measured with time.thread_time, this thread's CPU time, not the wall
    clock: the W copies start together and calibrate at once, beside
    parbench, on few cores, and a wall clock would count the time this
    thread waited for a core as work (and give too few units). The count
    grows until one run takes at least 20ms of CPU; the best of three
    runs at that count is kept (a run slowed by a cache or frequency dip
    costs more CPU, never less)."""
    if seconds <= 0:
        return 0
    n = 1000
    while True:
        t0 = time.thread_time()
        work(n)
        dt = time.thread_time() - t0
        if dt >= 0.02:
            break
        n *= 4
    for _ in range(2):
        t0 = time.thread_time()
        work(n)
        dt = min(dt, time.thread_time() - t0)
    return max(1, int(n * seconds / dt))


# --- the database ------------------------------------------------------------


class NotFound(Exception):
    pass


class Conflict(Exception):
    def __init__(self, version):
        Exception.__init__(self, "version conflict")
        self.version = version


class Busy(Exception):
    pass


class Store(object):
    """webapp's store.go on sqlite3: one connection per thread
    (threading.local), in autocommit mode (isolation_level=None) with
    explicit BEGIN IMMEDIATE for the transactions, so that the SQL is
    store.go's statement for statement."""

    def __init__(self, path, latency, busy):
        self.path = path
        self.latency = latency
        # store.go's busy_timeout is 10s; --faults' busy limit, when
        # set, bounds the wait as store.go's connection wait does.
        self.timeout = busy if busy > 0 else 10.0
        self.local = threading.local()

    def conn(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            # store.go's pragmas: WAL is the file's already (persistent);
            # synchronous is each connection's.
            c.execute("PRAGMA synchronous=NORMAL")
            self.local.c = c
        return c

    def q(self, c, sql, args=()):
        """One statement's round trip: the database's latency (a sleep,
        the GIL released), then the statement; its rows, all of them
        (a RETURNING statement is done only when its rows are read)."""
        if self.latency > 0:
            time.sleep(self.latency)
        return c.execute(sql, args).fetchall()

    def tx(self, fn):
        c = self.conn()
        try:
            self.q(c, "BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise classify(e)
        try:
            out = fn(c)
        except Exception as e:
            self.rollback(c)
            raise classify(e)
        try:
            self.q(c, "COMMIT")
        except sqlite3.Error as e:
            self.rollback(c)
            raise classify(e)
        return out

    def rollback(self, c):
        try:
            self.q(c, "ROLLBACK")
        except sqlite3.Error:
            # A connection that cannot roll back is dropped, as store.go
            # discards it; the thread opens a new one.
            try:
                c.close()
            finally:
                self.local.c = None

    def replay(self, c, key):
        if not key:
            return None
        rows = self.q(c, "SELECT doc, counter, version FROM idem WHERE key = ?", (key,))
        return tuple(rows[0]) if rows else None

    def remember(self, c, key, d):
        if key:
            self.q(c, "INSERT INTO idem (key, doc, counter, version) VALUES (?, ?, ?, ?)", (key,) + d)

    def get(self, id):
        try:
            rows = self.q(self.conn(), "SELECT counter, version FROM docs WHERE id = ?", (id,))
        except sqlite3.Error as e:
            raise classify(e)
        if not rows:
            raise NotFound("no such document")
        return (id, rows[0][0], rows[0][1])

    def increment(self, id, key):
        def fn(c):
            rows = self.q(c, "SELECT counter, version FROM docs WHERE id = ?", (id,))
            if not rows:
                raise NotFound("no such document")
            old = self.replay(c, key)
            if old is not None:
                return old
            d = (id, rows[0][0] + 1, rows[0][1] + 1)
            self.q(c, "UPDATE docs SET counter = ?, version = ? WHERE id = ?", (d[1], d[2], id))
            self.remember(c, key, d)
            return d

        return self.tx(fn)

    def put(self, id, counter, if_version, key):
        if if_version < 0 and not key:
            try:
                rows = self.q(self.conn(),
                              "UPDATE docs SET counter = ?, version = version + 1 WHERE id = ? RETURNING counter, version",
                              (counter, id))
            except sqlite3.Error as e:
                raise classify(e)
            if not rows:
                raise NotFound("no such document")
            return (id, rows[0][0], rows[0][1])

        def fn(c):
            old = self.replay(c, key)
            if old is not None:
                return old
            if if_version >= 0:
                rows = self.q(c, "UPDATE docs SET counter = ?, version = version + 1 WHERE id = ? AND version = ? "
                                 "RETURNING counter, version", (counter, id, if_version))
            else:
                rows = self.q(c, "UPDATE docs SET counter = ?, version = version + 1 WHERE id = ? "
                                 "RETURNING counter, version", (counter, id))
            if not rows:
                cur = self.q(c, "SELECT version FROM docs WHERE id = ?", (id,))
                if not cur:
                    raise NotFound("no such document")
                raise Conflict(cur[0][0])
            d = (id, rows[0][0], rows[0][1])
            self.remember(c, key, d)
            return d

        return self.tx(fn)

    def report(self):
        def fn(c):
            self.q(c, "SELECT runs FROM stats WHERE id = 1")
            total, _ = self.q(c, "SELECT sum(length(data)), count(*) FROM big")[0]
            self.q(c, "UPDATE stats SET total = ?, runs = runs + 1 WHERE id = 1", (total,))
            return total

        return self.tx(fn)


def classify(e):
    """store.go's classify: what means "try again" is Busy (503)."""
    if isinstance(e, (NotFound, Conflict, Busy)):
        return e
    if isinstance(e, sqlite3.IntegrityError):
        return Busy("database busy: %s" % e)  # a concurrent retry stored the key first
    if isinstance(e, sqlite3.OperationalError) and ("locked" in str(e) or "busy" in str(e)):
        return Busy("database busy: %s" % e)
    return e


# --- the WSGI app ------------------------------------------------------------

STATUS = {200: "200 OK", 400: "400 Bad Request", 404: "404 Not Found", 409: "409 Conflict",
          413: "413 Request Entity Too Large", 500: "500 Internal Server Error", 503: "503 Service Unavailable"}

DOC_RE = re.compile(r"^/docs/([^/]+)$")
INCR_RE = re.compile(r"^/docs/([^/]+)/increment$")
ID_RE = re.compile(r"^\+?[0-9]+$")  # strconv.ParseInt's, >= 0


class App(object):
    def __init__(self, store, units):
        self.store = store
        self.units = units

    def __call__(self, environ, start_response):
        # The business logic first, as webapp's pooled handler spins
        # before its mux.
        if self.units and work(self.units) < 0:
            raise AssertionError("work")
        status, headers, body = self.route(environ)
        start_response(STATUS[status], headers)
        return [body]

    def route(self, environ):
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        m = DOC_RE.match(path)
        if m and method in ("GET", "HEAD"):
            return self.doc_op(m.group(1), lambda id: self.store.get(id))
        if m and method == "PUT":
            return self.put(environ, m.group(1))
        m = INCR_RE.match(path)
        if m and method == "POST":
            key, err = idem_key(environ)
            if err:
                return err
            return self.doc_op(m.group(1), lambda id: self.store.increment(id, key))
        if path == "/report" and method == "POST":
            try:
                total = self.store.report()
            except Exception as e:
                return store_error(e)
            return json_response(200, {"total": total})
        return error(404, "not-found", "no such route: %s %s" % (method, path))

    def doc_op(self, raw, fn):
        id = doc_id(raw)
        if id is None:
            return error(404, "not-found", "no such document %s" % go_quote(raw))
        try:
            d = fn(id)
        except Exception as e:
            return store_error(e)
        return doc_response(d)

    def put(self, environ, raw):
        id = doc_id(raw)
        if id is None:
            return error(404, "not-found", "no such document %s" % go_quote(raw))
        key, err = idem_key(environ)
        if err:
            return err
        if_version = -1
        m = environ.get("HTTP_IF_MATCH", "")
        if m:
            v = m.strip('"')
            if not ID_RE.match(v):
                return error(400, "bad-request", 'If-Match %s: want an ETag from GET, such as "3"' % go_quote(m))
            if_version = int(v)
        n = int(environ.get("CONTENT_LENGTH") or 0)
        if n > MAX_BODY:
            return error(413, "too-large", "body over %d bytes" % MAX_BODY)
        try:
            body = json.loads(environ["wsgi.input"].read(n).decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError("want a JSON object")
            extra = [k for k in body if k != "counter"]
            if extra:
                raise ValueError('json: unknown field "%s"' % extra[0])
            counter = body.get("counter")
            if counter is None:
                raise ValueError('missing "counter"')
            if isinstance(counter, bool) or not isinstance(counter, int) or not -(1 << 63) <= counter < (1 << 63):
                raise ValueError("counter: want an integer")
        except ValueError as e:  # json's errors are ValueErrors, UnicodeDecodeError too
            return error(400, "bad-request", "body: %s" % e)
        try:
            d = self.store.put(id, counter, if_version, key)
        except Exception as e:
            return store_error(e)
        return doc_response(d)


def doc_id(raw):
    if not ID_RE.match(raw):
        return None
    id = int(raw)
    return id if id < (1 << 63) else None


def go_quote(s):
    return json.dumps(s)  # close enough to Go's %q for a message


def idem_key(environ):
    k = environ.get("HTTP_IDEMPOTENCY_KEY", "")
    if len(k.encode("latin-1", "replace")) > MAX_KEY:
        return k, error(400, "bad-request", "Idempotency-Key longer than %d bytes" % MAX_KEY)
    return k, None


def encode(v):
    # encoding/json's compact form and json.Encoder's newline.
    return (json.dumps(v, separators=(",", ":")) + "\n").encode("utf-8")


def json_response(status, v, extra=()):
    b = encode(v)
    return status, [("Content-Type", "application/json"), ("Content-Length", str(len(b)))] + list(extra), b


def error(status, kind, msg, version=0, extra=()):
    v = collections.OrderedDict([("error", msg), ("kind", kind)])
    if version:
        v["version"] = version
    return json_response(status, v, extra)


def doc_response(d):
    return json_response(200, collections.OrderedDict([("id", d[0]), ("counter", d[1]), ("version", d[2])]),
                         [("ETag", '"%d"' % d[2])])


def store_error(e):
    if isinstance(e, NotFound):
        return error(404, "not-found", str(e))
    if isinstance(e, Conflict):
        return error(409, "conflict", str(e), e.version, [("ETag", '"%d"' % e.version)])
    if isinstance(e, Busy):
        return error(503, "busy", str(e))
    return error(500, "internal", "%s: %s" % (type(e).__name__, e))


# --- HTTP/1.1 on a gthread-style worker ----------------------------------------


class Conn(object):
    """A client connection and the bytes read past its last request."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""


class BadRequest(Exception):
    pass


def read_request(conn):
    """Read one request from conn: (method, target, version, headers,
    body), or None at a clean end of the connection."""
    buf = conn.buf
    while True:
        i = buf.find(b"\r\n\r\n")
        if i >= 0:
            break
        if len(buf) > MAX_HEAD:
            raise BadRequest("request head over %d bytes" % MAX_HEAD)
        chunk = conn.sock.recv(65536)
        if not chunk:
            if buf:
                raise BadRequest("connection closed mid-request")
            return None
        buf += chunk
    head, buf = buf[:i].decode("latin-1"), buf[i + 4:]
    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest("bad request line %r" % lines[0])
    headers = {}
    for line in lines[1:]:
        k, sep, v = line.partition(":")
        if not sep:
            raise BadRequest("bad header line %r" % line)
        headers[k.strip().upper().replace("-", "_")] = v.strip()
    if "chunked" in headers.get("TRANSFER_ENCODING", "").lower():
        raise BadRequest("chunked request bodies are not supported")
    try:
        n = int(headers.get("CONTENT_LENGTH", "0") or "0")
    except ValueError:
        raise BadRequest("bad Content-Length")
    # A body over the limit is still read whole (the client sends it
    # before it reads the 413), unless it is absurd.
    if n < 0 or n > 1 << 20:
        raise BadRequest("Content-Length %d" % n)
    while len(buf) < n:
        chunk = conn.sock.recv(65536)
        if not chunk:
            raise BadRequest("connection closed mid-body")
        buf += chunk
    body, conn.buf = buf[:n], buf[n:]
    return parts[0], parts[1], parts[2], headers, body


class Server(object):
    def __init__(self, listener, app, threads):
        self.listener = listener
        self.app = app
        self.pool = concurrent.futures.ThreadPoolExecutor(threads)
        self.sel = selectors.DefaultSelector()
        self.back = collections.deque()  # connections handed back by the tasks
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        self.stop = False
        host, port = listener.getsockname()[:2]
        self.server_name, self.server_port = str(host), str(port)

    def wake(self):
        try:
            os.write(self.wake_w, b"x")
        except OSError:
            pass

    def loop(self):
        self.listener.setblocking(False)
        self.sel.register(self.listener, selectors.EVENT_READ, "accept")
        self.sel.register(self.wake_r, selectors.EVENT_READ, "wake")
        while not self.stop:
            for key, _ in self.sel.select():
                if key.data == "accept":
                    self.accept()
                elif key.data == "wake":
                    try:
                        os.read(self.wake_r, 4096)
                    except BlockingIOError:
                        pass
                else:
                    # A readable keep-alive connection: its next request
                    # goes to the pool, out of the selector meanwhile.
                    self.sel.unregister(key.fileobj)
                    self.pool.submit(self.handle, key.data)
            while self.back:
                c = self.back.popleft()
                self.sel.register(c.sock, selectors.EVENT_READ, c)

    def accept(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                sys.stderr.write("webservice: accept: %s\n" % e)
                return
            sock.setblocking(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # As gthread does, a new connection goes straight to the
            # pool: its first request is on its way.
            self.pool.submit(self.handle, Conn(sock))

    def handle(self, conn):
        """One task: one request of conn, then conn goes back to the
        main loop (or is closed)."""
        keep = False
        try:
            conn.sock.settimeout(READ_TIMEOUT)
            keep = self.serve_one(conn)
        except (OSError, BadRequest) as e:
            if isinstance(e, BadRequest):
                try:
                    conn.sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass
        except Exception as e:  # a bug: say it, keep serving
            sys.stderr.write("webservice: %s: %s\n" % (type(e).__name__, e))
        if not keep:
            conn.sock.close()
            return
        if conn.buf:
            self.pool.submit(self.handle, conn)  # a pipelined request is here already
            return
        self.back.append(conn)
        self.wake()

    def serve_one(self, conn):
        req = read_request(conn)
        if req is None:
            return False
        method, target, version, headers, body = req
        path, _, query = target.partition("?")
        environ = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": query,
            "SERVER_NAME": self.server_name, "SERVER_PORT": self.server_port, "SERVER_PROTOCOL": version,
            "CONTENT_TYPE": headers.pop("CONTENT_TYPE", ""), "CONTENT_LENGTH": headers.pop("CONTENT_LENGTH", ""),
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
        }
        for k, v in headers.items():
            environ["HTTP_" + k] = v
        started = []

        def start_response(status, hdrs, exc_info=None):
            started[:] = [status, hdrs]

        out = self.app(environ, start_response)
        data = b"".join(out)
        if hasattr(out, "close"):
            out.close()
        status, hdrs = started
        keep = version == "HTTP/1.1" and environ.get("HTTP_CONNECTION", "").lower() != "close"
        head = ["HTTP/1.1 " + status]
        head += ["%s: %s" % kv for kv in hdrs]
        if not keep:
            head.append("Connection: close")
        payload = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if method != "HEAD":
            payload += data
        conn.sock.sendall(payload)  # the GIL released while it writes
        return keep


def listener_from_env():
    fd = os.environ.get("PARBENCH_LISTEN_FD", "")
    if fd:
        s = socket.socket(fileno=int(fd))
        return s
    addr = os.environ.get("PARBENCH_LISTEN", "")
    if not addr:
        die("neither PARBENCH_LISTEN nor PARBENCH_LISTEN_FD is set")
    host, _, port = addr.rpartition(":")
    s = socket.socket(socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if os.environ.get("PARBENCH_REUSEPORT") == "1":
        if not hasattr(socket, "SO_REUSEPORT"):
            die("PARBENCH_REUSEPORT=1, but this system has no SO_REUSEPORT")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind((host.strip("[]"), int(port)))
    s.listen(1024)
    return s


def watch_stdin(server):
    """Exit when stdin closes: parbench's end of the service."""
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    server.stop = True
    server.wake()


def main():
    if sys.version_info < (3, 6):
        die("CPython 3.6 or later is needed (this is %d.%d)" % sys.version_info[:2])
    if os.environ.get("PARBENCH_POSTGRES"):
        die("PARBENCH_POSTGRES: the standard library has no PostgreSQL driver; this service runs on SQLite alone")
    path = os.environ.get("PARBENCH_SQLITE", "")
    if not path or not os.path.exists(path):
        die("PARBENCH_SQLITE=%r: want the database file parbench made" % path)
    try:
        threads = int(os.environ.get("PARBENCH_THREADS", "1"))
    except ValueError:
        threads = 0
    if threads < 1:
        die("PARBENCH_THREADS=%r: want 1 or more" % os.environ.get("PARBENCH_THREADS"))
    store = Store(path, env_float("PARBENCH_DB_LATENCY", 0.0), env_float("PARBENCH_BUSY", 0.0))
    app = App(store, units_for(env_float("PARBENCH_HANDLER_CPU", 0.0)))
    server = Server(listener_from_env(), app, threads)
    # Every thread of the pool starts and opens its connection now, so
    # that no sample pays for it: T tasks that wait for each other run
    # on T threads.
    barrier = threading.Barrier(threads)

    def warm():
        barrier.wait()
        store.conn().execute("SELECT count(*) FROM docs").fetchall()

    for f in [server.pool.submit(warm) for _ in range(threads)]:
        f.result()
    t = threading.Thread(target=watch_stdin, args=(server,))
    t.daemon = True
    t.start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    server.loop()
    # Requests still in flight end with the process: parbench closes
    # stdin after its last sample.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
