# switch: who holds the GIL, and for how long. Two CPU-bound threads each
# loop on a shared "last runner" variable: a thread that finds another's
# mark there has just been given the GIL (a switch), stamps the time and
# writes its own. Tenure is the time between two switches.
# CPython 3: --interval sets sys.setswitchinterval (seconds);
# CPython 2: --check sets sys.setcheckinterval (bytecodes).
from __future__ import print_function, division

import sys
import threading
import time

import pbcommon as pb

state = {"last": -1, "stop": False}
stamps = []


def spin(me):
    st = state
    add = stamps.append
    clock = pb.clock
    n = 0
    while not st["stop"]:
        if st["last"] != me:
            add(clock())  # list.append is atomic under the GIL
            st["last"] = me
        n += 1


def main():
    a = pb.args(sys.argv, {"interval": "", "check": "", "seconds": "1"})
    if a["interval"]:
        sys.setswitchinterval(float(a["interval"]))
        name = "switch/interval=%gms" % (float(a["interval"]) * 1000)
    elif a["check"]:
        sys.setcheckinterval(int(a["check"]))
        name = "switch/check-interval=%d" % int(a["check"])
    else:
        sys.stderr.write("switch.py: want --interval SECONDS or --check N\n")
        sys.exit(2)
    ts = [threading.Thread(target=spin, args=(i,)) for i in (0, 1)]
    for t in ts:
        t.daemon = True
        t.start()
    time.sleep(float(a["seconds"]))
    state["stop"] = True
    for t in ts:
        t.join()
    s = stamps[1:]  # the first stamp is the start, not a switch
    if len(s) < 3:
        pb.result(name, max(1, len(s)), [(float(a["seconds"]), "sec/op"), (0, "switches/s")])
        return
    tenures = sorted(s[i + 1] - s[i] for i in pb.irange(len(s) - 1))
    span = s[-1] - s[0]
    pb.result(name, len(tenures), [
        (span / len(tenures), "sec/op"),
        (len(tenures) / span, "switches/s"),
        (pb.percentile(tenures, 0.5), "tenure-p50-sec"),
    ])


if __name__ == "__main__":
    main()
