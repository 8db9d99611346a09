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
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (paired_diff, OURS, PEERS, version_of: as run.py pairs)

ROWS = (("signal_free", "free"), ("signal_pinned", "everything on CPU 0"),
        ("signal_pinned_session", "on CPU 0, the init leading a session"),
        ("signal_pinned_cgroup", "on CPU 0, leading a session in a cpu cgroup"))


def pooled(runs, row, a, b):
    """run.paired_diff over the launches of every run that has both A and
    B in ROW (median, low, high), and how many launches that pairs; the
    difference is None under 4 pairs."""
    xs, ys = [], []
    for R in runs:
        G = R.get(row, {})
        if a in G and b in G:
            n = min(len(G[a]["per_launch_median"]), len(G[b]["per_launch_median"]))
            xs += G[a]["per_launch_median"][:n]
            ys += G[b]["per_launch_median"][:n]
    n = sum(1 for x, y in zip(xs, ys) if x is not None and y is not None)
    return run.paired_diff(xs, ys, 1), n


def cell(r):
    return "{:+.1f} ({:+.1f} to {:+.1f})".format(*r) if r else "—"


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
        out += [f"## {title}", "",
                "| | launches | " + " | ".join(run.PEERS) + " | its earlier build |",
                "|---|---:|" + "---:|" * (len(run.PEERS) + 1)]
        for o in run.OURS:
            cells, n = [], 0
            for p in run.PEERS:
                r, k = pooled(runs, row, o, p)
                n = max(n, k)
                cells.append(cell(r))
            mine = sorted({k for R in runs for k in R.get(row, {})
                           if k not in run.OURS and run.version_of(k) == o})
            old = [f"{k}, {n_k} launches: {cell(r)}"
                   for k in mine for r, n_k in [pooled(runs, row, o, k)] if r]
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
