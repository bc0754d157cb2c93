# cpu: CPU-bound threads against one. A fixed total of work is shared by
# T threads (strong scaling, as parbench's runner does); the result is
# the time per unit of work, so T threads against one is the speedup.
from __future__ import print_function, division

import sys

import pbcommon as pb


def main():
    a = pb.args(sys.argv, {"threads": "1,2,4", "seconds": "0.3"})
    total = pb.units_for(float(a["seconds"]))
    chunk = 1000  # units per call: a few tens of microseconds, like a parbench op
    calls = max(1, total // chunk)

    def target(n):
        for _ in pb.irange(n):
            pb.work(chunk)

    for t in pb.ints(a["threads"]):
        wall = pb.run_threads(pb.split(calls, t), target)
        pb.result("cpu/threads=%d" % t, calls * chunk,
                  [(wall / (calls * chunk), "sec/op")])


if __name__ == "__main__":
    main()
