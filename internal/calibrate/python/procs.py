# procs: multiprocessing, each process with its own GIL. A fixed total of
# CPU-bound work is split into chunks and handed to a Pool of P processes
# (started and warmed up before the clock starts, as parbench leaves
# start-up out of sec/op); P processes against one is the speedup.
from __future__ import print_function, division

import multiprocessing
import sys

import pbcommon as pb


def chunk(n):
    return pb.work(n)


def noop(i):
    return i


def main():
    a = pb.args(sys.argv, {"procs": "1,2", "seconds": "0.3"})
    total = pb.units_for(float(a["seconds"]))
    ps = pb.ints(a["procs"])
    parts = 8 * max(ps)
    for p in ps:
        pool = multiprocessing.Pool(p)
        try:
            pool.map(noop, range(4 * p))  # started and warmed up
            t0 = pb.clock()
            pool.map(chunk, pb.split(total, parts), 1)
            wall = pb.clock() - t0
        finally:
            pool.close()
            pool.join()
        pb.result("procs/processes=%d" % p, total, [(wall / total, "sec/op")])


if __name__ == "__main__":
    main()
