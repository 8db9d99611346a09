#!/usr/bin/python3
"""An init's own user-space time around each forwarded signal, A/B.

    /usr/bin/python3 bench/usertime.py [--inits sexton,refreaper-libev,NAME=PATH]
                                       [--rounds 7] [--signals 400] [--out FILE]

The signal-latency benchmark (run.py) sees a few microseconds of
difference only over many launches, because the kernel's part and the
launch-to-launch spread are larger than the init's own. This tool takes the
init's user-space part alone: build/bench/usertime.so (bench/usertime.c),
preloaded into the init, times from epoll_wait's return to the kill(2)
that forwards SIGUSR1 ("pre") and from that kill's return to the next
epoll_wait ("post"). Everything runs on CPU 0 as in run.py's pinned table
(bench/sigping.c sends, bench/sigchild.c receives), the inits take turns
launch by launch in a fresh random order each round, and the report pairs
each init with the first one round by round. NAME=PATH adds a binary by
path (e.g. a build of another commit) that is started like sexton.
Dynamic binaries that sleep in epoll_wait only: sexton and
refreaper-libev. Writes bench/results-usertime.md.
"""
import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the harness: inits, NsProc, helper binaries)

SHIM = os.path.join(run.BENCH_BIN, "usertime.so")


def launch(init, signals):
    """Per-launch medians (µs) of pre, post and pre + post, and the
    end-to-end median latency, for one launch of INIT."""
    out = tempfile.NamedTemporaryFile(prefix="usertime.", delete=False).name
    np_ = run.NsProc(init, [os.path.join(run.BENCH_BIN, "sigchild")], pin=True,
                     stdout=subprocess.PIPE,
                     env={**os.environ, "LD_PRELOAD": SHIM, "USERTIME_OUT": out})
    try:
        line, ipid = np_.readline(5.0), np_.find_init()
        if not line or not line.startswith("ready") or ipid is None:
            raise RuntimeError(f"{init} did not start ({np_.stderr_tail()})")
        old = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {0})
        try:
            fd = np_.p.stdout.fileno()
            ping = subprocess.run([os.path.join(run.BENCH_BIN, "sigping"), str(ipid), str(fd),
                                   str(signals), "5", "1"], pass_fds=(fd,),
                                  stdout=subprocess.PIPE, text=True, timeout=30 + signals * 0.05)
        finally:
            os.sched_setaffinity(0, old)
        latency = statistics.median(int(x) for x in ping.stdout.split()) / 1000
    finally:
        np_.stop()
    with open(out) as f:
        pairs = [tuple(int(v) / 1000 for v in l.split()) for l in f if l.strip()]
    os.unlink(out)
    if not pairs:
        raise RuntimeError(f"{init}: no sample (not a dynamic epoll_wait sleeper?)")
    return {"pre": statistics.median(p for p, _ in pairs),
            "post": statistics.median(q for _, q in pairs),
            "sum": statistics.median(p + q for p, q in pairs),
            "latency": latency, "samples": len(pairs)}


def report(names, results, signals):
    keys = ("pre", "post", "sum", "latency")
    out = ["# An init's user-space time around each forwarded signal (bench/usertime.py)", "",
           f"{len(results[names[0]])} launches of each init, taking turns in a fresh random "
           f"order each round; {signals} SIGUSR1 per launch, everything on CPU 0. pre: epoll_wait's return to the forwarding kill(2); "
           "post: the kill's return to the next epoll_wait; latency: kill(init) to the child's "
           "handler, end to end. Medians over the launches of the per-launch medians, in µs.", "",
           "| init | pre | post | pre + post | latency | samples |", "|---|---:|---:|---:|---:|---:|"]
    for n in names:
        rows = results[n]
        meds = [statistics.median(r[k] for r in rows) for k in keys]
        out.append(f"| {n} | " + " | ".join(f"{m:.2f}" for m in meds)
                   + f" | {sum(r['samples'] for r in rows)} |")
    out += ["", f"Paired with {names[0]}, round by round (median of the differences, and how "
            "many rounds had the same sign):", ""]
    for n in names[1:]:
        parts = []
        for k in keys:
            d = [b[k] - a[k] for a, b in zip(results[names[0]], results[n])]
            med = statistics.median(d)
            same = sum(1 for x in d if (x < 0) == (med < 0))
            parts.append(f"{k} {med:+.2f} ({same}/{len(d)})")
        out.append(f"- {n} − {names[0]}: " + "; ".join(parts))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--inits", default="sexton,refreaper-libev")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--signals", type=int, default=400)
    ap.add_argument("--out", default=os.path.join(run.HERE, "results-usertime.md"))
    a = ap.parse_args()
    if not os.path.exists(SHIM):
        sys.exit(f"usertime: {SHIM} is missing (make {SHIM})")
    names = []
    for item in a.inits.split(","):
        name = run.init_named(item)
        if name not in run.INITS and name not in run.CONTROLS:
            sys.exit(f"usertime: unknown init {name}")
        names.append(name)
    results = {n: [] for n in names}
    order = random.Random(1)  # a fresh order each round, as run.py: no init always goes first
    for r in range(a.rounds):
        for n in order.sample(names, len(names)):
            run.log(f"usertime: round {r + 1}/{a.rounds}: {n}")
            results[n].append(launch(n, a.signals))
    text = report(names, results, a.signals)
    with open(a.out, "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
