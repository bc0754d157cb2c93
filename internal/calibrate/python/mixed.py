# mixed: ops of --op seconds, a share --fraction of them waiting in
# time.sleep and the rest CPU-bound work (a fixed amount, measured once
# on one thread); T threads share T * --per-thread ops, so that every
# thread has as many ops at every T. Under a GIL the speedup from T
# threads is at most min(T, 1/(1-f)): one thread computes while the
# others wait.
from __future__ import print_function, division

import sys
import time

import pbcommon as pb


def main():
    a = pb.args(sys.argv, {"threads": "1,2,4,8", "per-thread": "16", "fraction": "0.75", "op": "0.01"})
    per, f, op = int(a["per-thread"]), float(a["fraction"]), float(a["op"])
    units = pb.units_for((1 - f) * op)
    wait = f * op

    def target(n):
        for _ in pb.irange(n):
            pb.work(units)
            time.sleep(wait)

    for t in pb.ints(a["threads"]):
        ops = t * per
        wall = pb.run_threads(pb.split(ops, t), target)
        pb.result("mixed/threads=%d" % t, ops, [(wall / ops, "sec/op")])


if __name__ == "__main__":
    main()
