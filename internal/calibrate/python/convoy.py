# convoy: one IO thread's latency per op while --cpu CPU-bound threads
# spin beside it. An op (--mode) is a 64-byte round trip to an echo
# server on 127.0.0.1 ("socket"), a time.sleep(0) ("sleep0"), or the one
# then the other ("both", parbench's latency/convoy op). The echo server
# is a child process, so that it does not contend for this process's GIL,
# as parbench's echo server runs outside the simulated lock.
from __future__ import print_function, division

import atexit
import socket
import subprocess
import sys
import threading
import time

import pbcommon as pb

MSG = b"x" * 64


def serve():
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    print(ls.getsockname()[1])
    sys.stdout.flush()
    c, _ = ls.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        b = c.recv(4096)
        if not b:
            return
        c.sendall(b)


def recv_exactly(s, n):
    got = b""
    while len(got) < n:
        b = s.recv(n - len(got))
        if not b:
            raise IOError("echo server closed the connection")
        got += b
    return got


state = {"stop": False}


def spin():
    n = 0
    while not state["stop"]:
        n += 1


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve()
        return
    a = pb.args(sys.argv, {"mode": "both", "cpu": "0", "ops": "1000", "interval": ""})
    mode, ops = a["mode"], int(a["ops"])
    if mode not in ("both", "socket", "sleep0"):
        sys.stderr.write("convoy.py: --mode %r: want both, socket or sleep0\n" % mode)
        sys.exit(2)
    if a["interval"]:
        sys.setswitchinterval(float(a["interval"]))
    srv = s = None
    if mode != "sleep0":
        srv = subprocess.Popen([sys.executable, sys.argv[0], "serve"], stdout=subprocess.PIPE)
        # An error before the server sees EOF must not leave it behind
        # in accept() or recv().
        atexit.register(lambda: srv.poll() is None and srv.kill())
        port = int(srv.stdout.readline())
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    cpus = [threading.Thread(target=spin) for _ in pb.irange(int(a["cpu"]))]
    for t in cpus:
        t.daemon = True
        t.start()
    time.sleep(0.02)  # the CPU threads are running
    lat = []
    clock = pb.clock
    for i in pb.irange(ops + 20):  # 20 warm-up ops
        t0 = clock()
        if s is not None:
            s.sendall(MSG)
            if recv_exactly(s, len(MSG)) != MSG:
                raise IOError("echo mismatch")
        if mode != "socket":
            time.sleep(0)
        if i >= 20:
            lat.append(clock() - t0)
    state["stop"] = True
    for t in cpus:
        t.join()
    if s is not None:
        s.close()
        srv.wait()
    total = sum(lat)
    lat.sort()
    pb.result("convoy/mode=%s/cpu=%s" % (mode, a["cpu"]), ops, [
        (total / ops, "sec/op"),
        (pb.percentile(lat, 0.5), "p50-sec"),
        (pb.percentile(lat, 0.9), "p90-sec"),
        (pb.percentile(lat, 0.99), "p99-sec"),
        (lat[-1], "max-sec"),
    ])


if __name__ == "__main__":
    main()
