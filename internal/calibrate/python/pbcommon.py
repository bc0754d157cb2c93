# pbcommon: what parbench's calibration programs share. Standard library
# only, for CPython 2.7 and 3.x alike (no f-strings, no perf_counter on 2).
from __future__ import print_function, division

import multiprocessing
import sys
import threading
import time

clock = getattr(time, "perf_counter", time.time)

if sys.version_info[0] < 3:
    irange = xrange  # noqa: F821 (Python 2): range builds a list there
else:
    irange = range

NCPU = multiprocessing.cpu_count()


def version():
    """The interpreter's version, as the result names carry it."""
    return "%d.%d.%d" % tuple(sys.version_info[:3])


def result(name, n, pairs):
    """Print one result in the Go benchmark format:
    BenchmarkPython/name-NCPU  n  value unit  value unit ..."""
    vals = "  ".join("%.6g %s" % (v, u) for v, u in pairs)
    print("BenchmarkPython/%s-%d  %d  %s" % (name, NCPU, n, vals))
    sys.stdout.flush()


def work(n):
    """n units of pure-Python CPU work: the bytecode loop holds the GIL
    throughout, as parbench's CPU workloads hold the simulated one."""
    x = 0
    for i in irange(n):
        x += i
    return x


def units_for(seconds):
    """How many units of work take about seconds on one thread, measured
    here (growing the count as go test grows b.N)."""
    n = 1000
    while True:
        t0 = clock()
        work(n)
        dt = clock() - t0
        if dt >= 0.02:
            return max(1, int(n * seconds / dt))
        n *= 4


def run_threads(counts, target):
    """Start one thread per entry of counts, each calling target(count),
    release them together and return the wall time until the last ends."""
    go = threading.Event()

    def body(c):
        go.wait()
        target(c)

    ts = [threading.Thread(target=body, args=(c,)) for c in counts]
    for t in ts:
        t.daemon = True
        t.start()
    t0 = clock()
    go.set()
    for t in ts:
        t.join()
    return clock() - t0


def split(total, parts):
    """total split into parts shares that differ by at most one."""
    q, r = divmod(total, parts)
    return [q + (1 if i < r else 0) for i in irange(parts)]


def percentile(sorted_xs, q):
    """The q-quantile (0..1) of a sorted list, nearest rank."""
    if not sorted_xs:
        return float("nan")
    i = int(q * len(sorted_xs) + 0.5) - 1
    return sorted_xs[min(max(i, 0), len(sorted_xs) - 1)]


def ints(s):
    return [int(x) for x in s.split(",") if x]


def args(argv, defaults):
    """--key value pairs over defaults (a dict of strings)."""
    out = dict(defaults)
    i = 1
    while i < len(argv):
        k = argv[i]
        if not k.startswith("--") or i + 1 >= len(argv) or k[2:] not in out:
            sys.stderr.write("%s: bad argument %r (want %s)\n" % (
                argv[0], k, " ".join("--%s V" % d for d in sorted(out))))
            sys.exit(2)
        out[k[2:]] = argv[i + 1]
        i += 2
    return out
