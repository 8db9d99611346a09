#!/usr/bin/python3
"""Signal latency, paired launch by launch, pooled over several runs.

    /usr/bin/python3 bench/pool.py bench/results.json bench/results-yield.json ... [--out FILE]

One run of run.py's signal rows has 40 launches per init; its paired
intervals resolve about 5 µs. Runs made with the same binaries can be
pooled: every launch is a block (all inits back to back, in a fresh
order), so the launches of several runs are blocks too. For each signal
row this prints the median over all pooled launches of each of ours minus
each peer (and minus any build added with --inits NAME=PATH, paired with
the build it is a version of), with a 95 % bootstrap interval. Writes
Markdown to stdout, or to FILE.
"""
import argparse
import json
import random
import statistics
import sys

ROWS = (("signal_free", "free"), ("signal_pinned", "everything on CPU 0"),
        ("signal_pinned_session", "on CPU 0, the init leading a session"),
        ("signal_pinned_cgroup", "on CPU 0, leading a session in a cpu cgroup"))
OURS = ("sexton", "sexton-static")
PEERS = ("tini", "tini-static", "dumb-init", "catatonit")


def interval(d, seed=1):
    rng = random.Random(seed)
    bs = sorted(statistics.median(rng.choices(d, k=len(d))) for _ in range(2000))
    return statistics.median(d), bs[50], bs[1949]


def pairs(runs, row, a, b):
    d = []
    for R in runs:
        G = R.get(row, {})
        if a in G and b in G:
            d += [x - y for x, y in zip(G[a]["per_launch_median"], G[b]["per_launch_median"])
                  if x is not None and y is not None]
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--out")
    a = ap.parse_args()
    runs = [json.load(open(f))["results"] for f in a.files]
    out = ["# Signal latency, paired by launch, pooled over runs (bench/pool.py)", "",
           "Runs: " + ", ".join(f"`{f}`" for f in a.files) + ". Median over the pooled "
           "launches of the difference of launch medians, µs, with a 95 % bootstrap "
           "interval; negative means ours was faster.", ""]
    for row, title in ROWS:
        out += [f"## {title}", "", "| | launches | " + " | ".join(PEERS) + " | its earlier build |",
                "|---|---:|" + "---:|" * (len(PEERS) + 1)]
        for o in OURS:
            cells, n = [], 0
            for p in PEERS:
                d = pairs(runs, row, o, p)
                n = max(n, len(d))
                cells.append("{:+.1f} ({:+.1f} to {:+.1f})".format(*interval(d)) if len(d) >= 4
                             else "—")
            mine = sorted({k for R in runs for k in R.get(row, {})
                           if k.rsplit("-", 1)[0] == o and k not in OURS})
            old = [f"{k}, {len(d)} launches: " + "{:+.1f} ({:+.1f} to {:+.1f})".format(*interval(d))
                   for k in mine for d in [pairs(runs, row, o, k)] if len(d) >= 4]
            out.append(f"| {o} | {n} | " + " | ".join(cells) + " | " + ("; ".join(old) or "—")
                       + " |")
        out.append("")
    text = "\n".join(out)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
