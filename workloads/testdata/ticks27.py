# The tick time of CPython 2.7 (see TickTime in ../workload.go): small
# pure-Python kernels, each the Python equivalent of a parbench CPU
# workload's work, timed (best of 7) while _Py_Ticker (Python/ceval.c),
# read through ctypes, counts their ticks exactly. Run it with CPython
# 2.7 on an otherwise idle machine, next to
#
#   go test -run '^$' -bench Ticks ./workloads
#
# and divide each workload's ns/check by its kernel's ns/tick to get its
# ticks per check: cpu/sha256 by sharound, cpu/mandelbrot by mandel,
# cpu/stream by triad, cpu/alloc by tree; Spin (mixed, latency/convoy)
# stands for any Python CPU work and uses the median.
import ctypes, sys, time
T = ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_Ticker")
M32 = 0xffffffff

def countdown(n):
    while n > 0:
        n -= 1

def loop(n):
    x = 0
    for i in xrange(n):
        x = x + i
    return x

def xorshift(n):
    # Spin's xorshift chain, masked to 64 bits
    x = 88172645463325252
    m = (1 << 64) - 1
    for i in xrange(n):
        x ^= (x << 13) & m
        x ^= x >> 7
        x ^= (x << 17) & m
    return x

def sharound(n):
    # one SHA-256 round per iteration, on 32-bit ints
    a, b, c, d, e, f, g, h = 1, 2, 3, 4, 5, 6, 7, 8
    k = 0x428a2f98
    for i in xrange(n):
        s1 = ((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7))
        ch = (e & f) ^ (~e & g)
        t1 = (h + s1 + ch + k + i) & M32
        s0 = ((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10))
        mj = (a & b) ^ (a & c) ^ (b & c)
        t2 = (s0 + mj) & M32
        h, g, f, e, d, c, b, a = g, f, e, (d + t1) & M32, c, b, a, (t1 + t2) & M32
    return a

def triad(n):
    # STREAM's a = b + s*c, 4096 elements per iteration
    a = [0.0] * 4096
    b = [float(i % 1000) for i in xrange(4096)]
    c = [1.0] * 4096
    for k in xrange(n):
        for i in xrange(4096):
            a[i] = b[i] + 3.0 * c[i]
    return a[-1]

class Node(object):
    __slots__ = ("left", "right")
    def __init__(self, left, right):
        self.left = left
        self.right = right

def bottom_up(d):
    if d <= 0:
        return Node(None, None)
    return Node(bottom_up(d - 1), bottom_up(d - 1))

def count(t):
    if t.left is None:
        return 1
    return 1 + count(t.left) + count(t.right)

def tree(n):
    # cpu/alloc's half tree: build 255 nodes and walk them
    s = 0
    for k in xrange(n):
        s += count(bottom_up(7))
    return s

def mandel(n):
    inside = 0
    for k in xrange(n):
        cr, ci = -0.5, 0.1
        zr = zi = 0.0
        i = 0
        while i < 64 and zr*zr + zi*zi <= 4:
            zr, zi = zr*zr - zi*zi + cr, 2*zr*zi + ci
            i += 1
        if i == 64:
            inside += 1
    return inside

res = []
for f, n in ((countdown, 10**6), (loop, 10**6), (xorshift, 2*10**5), (sharound, 10**5), (triad, 100), (tree, 2000), (mandel, 5000)):
    sys.setcheckinterval(1 << 30)
    best = None
    for r in range(7):
        f(10)
        t0 = T.value
        s = time.time()
        f(n)
        el = time.time() - s
        ticks = t0 - T.value
        if best is None or el < best[0]:
            best = (el, ticks)
    el, ticks = best
    res.append(el*1e9/ticks)
    print "%-9s n=%d ticks=%d ticks/iter=%.2f ns/iter=%.1f ns/tick=%.1f" % (f.__name__, n, ticks, float(ticks)/n, el*1e9/n, el*1e9/ticks)
res.sort()
print "median ns/tick %.1f" % res[len(res)//2]
