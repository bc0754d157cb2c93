# procs: multiprocessing, each process with its own GIL. A fixed total of
# CPU-bound work is split into chunks and handed to a Pool of P processes
# (started and warmed up before the clock starts, as parbench leaves
# start-up out of sec/op); P processes against one is the speedup.
from __future__ import print_function, division

import multiprocessing
import os
import sys
import time

import pbcommon as pb


def chunk(n):
    return pb.work(n)


def pid_after_nap(i):
    time.sleep(0.02)
    return os.getpid()


def warm_up(pool, p):
    # Every worker has started (under spawn or forkserver, imported this
    # module) once p naps, one a task, were taken by p distinct
    # processes at the same time: a worker still starting leaves its nap
    # to another.
    for _ in pb.irange(100):
        if len(set(pool.map(pid_after_nap, range(p), 1))) == p:
            return
    raise RuntimeError("procs.py: %d pool workers did not all start" % p)


def main():
    a = pb.args(sys.argv, {"procs": "1,2", "seconds": "0.3"})
    total = pb.units_for(float(a["seconds"]))
    ps = pb.ints(a["procs"])
    parts = 8 * max(ps)
    for p in ps:
        pool = multiprocessing.Pool(p)
        try:
            warm_up(pool, p)
            t0 = pb.clock()
            pool.map(chunk, pb.split(total, parts), 1)
            wall = pb.clock() - t0
        finally:
            pool.close()
            pool.join()
        pb.result("procs/processes=%d" % p, total, [(wall / total, "sec/op")])


if __name__ == "__main__":
    main()
