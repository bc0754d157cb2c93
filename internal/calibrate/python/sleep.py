# sleep: IO-bound threads. T threads share T * --seconds / --latency
# calls of time.sleep(--latency): about --seconds of wall time if the
# waits overlap, as they should (time.sleep releases the GIL), so the
# start of the threads weighs the same at every T, as in parbench's
# samples of one --benchtime.
from __future__ import print_function, division

import sys
import time

import pbcommon as pb


def main():
    a = pb.args(sys.argv, {"threads": "1,8,64", "seconds": "0.3", "latency": "0.001"})
    secs, lat = float(a["seconds"]), float(a["latency"])

    def target(n):
        for _ in pb.irange(n):
            time.sleep(lat)

    for t in pb.ints(a["threads"]):
        ops = max(t, int(t * secs / lat))
        wall = pb.run_threads(pb.split(ops, t), target)
        pb.result("sleep/threads=%d" % t, ops, [(wall / ops, "sec/op")])


if __name__ == "__main__":
    main()
