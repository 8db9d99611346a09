#!/usr/bin/python3
"""Where a forwarded signal's time goes, init by init, read off the kernel.

    /usr/bin/python3 bench/sigtrace.py [--inits sexton,tini,...] [--signals 200] [--cgroup]

The signal-latency benchmark (run.py) measures from kill(init, SIGUSR1) to
the child's handler. This tool runs the same pair (bench/sigping.c sending,
bench/sigchild.c receiving) with everything pinned to CPU 0 and the
kernel's tracer (tracefs: sched_switch, sched_waking, raw_syscalls,
signal_generate/deliver) recording CPU 0, and splits every forwarded
signal into phases (with --cgroup, the init leads a session in a cpu
cgroup of its own, as in run.py's last signal table):

  kill → init woken    the sender's kill(2) until the scheduler wakes the init
  woken → init runs    the sender blocks in read(2); the init is switched in
  runs → kill(child)   the init's own work before it forwards
  kill → init off CPU  what the init does after forwarding, until it blocks
                       (or, yielding, is switched out while still runnable)
  off CPU → handler    the child is switched in and its handler starts

and lists the system calls the init makes per forwarded signal, from its
wake-up to its next sleep. Tracing adds about a microsecond per event, so
the totals are larger than run.py's; the phases are for comparison between
inits, not absolute. Writes bench/results-sigtrace.md. Needs root and
tracefs at /sys/kernel/tracing; it uses the whole tracer, so nothing else
may trace meanwhile, and nothing else should run (as for run.py).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the harness: inits, NsProc, helper binaries)

TRACEFS = "/sys/kernel/tracing"
EVENTS = ("sched/sched_switch", "sched/sched_waking", "raw_syscalls/sys_enter",
          "raw_syscalls/sys_exit", "signal/signal_generate", "signal/signal_deliver")
# x86_64 numbers of the calls an init makes on this path (others print as NR n).
SYSCALLS = {0: "read", 1: "write", 7: "poll", 13: "rt_sigaction", 14: "rt_sigprocmask",
            24: "sched_yield", 61: "wait4", 62: "kill", 128: "rt_sigtimedwait", 232: "epoll_wait",
            247: "waitid", 281: "epoll_pwait", 441: "epoll_pwait2"}
KILL = 62
PHASES = ("kill → init woken", "woken → init runs", "runs → kill(child)",
          "kill → init off CPU", "off CPU → handler", "total")
LINE = re.compile(r"\s*(.+?)-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+): (\w+): (.*)")


def tracefs(name, value):
    with open(os.path.join(TRACEFS, name), "w") as f:
        f.write(value)


def trace_on():
    tracefs("tracing_on", "0")
    tracefs("trace", "")
    tracefs("tracing_cpumask", "1")
    tracefs("buffer_size_kb", "16384")
    tracefs("current_tracer", "nop")
    for e in EVENTS:
        tracefs(f"events/{e}/enable", "1")


def trace_off():
    tracefs("tracing_on", "0")
    for e in EVENTS:
        tracefs(f"events/{e}/enable", "0")
    tracefs("tracing_cpumask", format((1 << os.cpu_count()) - 1, "x"))


def parse(text):
    events = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            events.append((int(m.group(2)), float(m.group(3)) * 1e6, m.group(4), m.group(5)))
    return events


def syscall_name(args):
    nr = int(args.split()[1])
    return SYSCALLS.get(nr, f"NR {nr}")


def forwards(events, sender, init, child):
    """One dict of phase times (µs) and the init's system calls per signal."""
    out, i = [], 0
    while i < len(events):
        pid, t, kind, args = events[i]
        i += 1
        if not (pid == sender and kind == "sys_enter" and args.startswith(f"NR {KILL} ")):
            continue
        marks, calls, j = {"kill": t}, [], i
        while j < len(events):
            p2, t2, k2, a2 = events[j]
            j += 1
            if "woken" not in marks and k2 == "sched_waking" and f"pid={init} " in a2:
                marks["woken"] = t2
            elif "woken" in marks and "runs" not in marks and k2 == "sched_switch" \
                    and f"next_pid={init} " in a2:
                marks["runs"] = t2
            elif "runs" in marks and p2 == init and k2 == "sys_enter":
                calls.append(syscall_name(a2))
                if a2.startswith(f"NR {KILL} ") and "forward" not in marks:
                    marks["forward"] = t2
            elif "forward" in marks and "sleeps" not in marks and k2 == "sched_switch" \
                    and f"prev_pid={init} " in a2:
                marks["sleeps"] = t2
            elif k2 == "signal_deliver" and p2 == child:
                marks["handler"] = t2
                break
        i = j
        if len(marks) == 6 and marks["sleeps"] <= marks["handler"]:
            out.append({"phases": (marks["woken"] - marks["kill"], marks["runs"] - marks["woken"],
                                   marks["forward"] - marks["runs"],
                                   marks["sleeps"] - marks["forward"],
                                   marks["handler"] - marks["sleeps"],
                                   marks["handler"] - marks["kill"]),
                        "calls": " → ".join(calls)})
    return out


def trace_one(init, signals, cgroup=None):
    np_ = run.NsProc(init, [os.path.join(run.BENCH_BIN, "sigchild")], pin=True,
                     stdout=subprocess.PIPE, session=bool(cgroup), cgroup=cgroup)
    try:
        line = np_.readline(5.0)
        ipid = np_.find_init()
        if not line or not line.startswith("ready") or ipid is None:
            return {"error": f"did not start ({np_.stderr_tail()})"}
        child = run.children_of(ipid)[0]
        old = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {0})
        trace_on()
        try:
            fd = np_.p.stdout.fileno()
            ping = subprocess.Popen([os.path.join(run.BENCH_BIN, "sigping"), str(ipid), str(fd),
                                     str(signals), "5", "1"], pass_fds=(fd,),
                                    stdout=subprocess.PIPE, text=True)
            tracefs("tracing_on", "1")
            ping.communicate(timeout=30 + signals * 0.05)
            tracefs("tracing_on", "0")
            with open(os.path.join(TRACEFS, "trace")) as f:
                text = f.read()
        finally:
            trace_off()
            os.sched_setaffinity(0, old)
        rows = forwards(parse(text), ping.pid, ipid, child)
        return {"rows": rows} if rows else {"error": "no complete forward in the trace"}
    finally:
        np_.stop()


def report(results, signals, cgroup):
    out = ["# Signal forwarding, phase by phase (bench/sigtrace.py)", "",
           f"{signals} SIGUSR1 per init, everything on CPU 0, the kernel's tracer on"
           + (", the init leading a session in a cpu cgroup of its own. " if cgroup else ". ") +
           "Medians in µs; tracing inflates every phase, so compare rows, not absolutes.", "",
           "| init | " + " | ".join(PHASES) + " | forwards |",
           "|---|" + "---:|" * (len(PHASES) + 1)]
    for init, r in results.items():
        if "error" in r:
            out.append(f"| {init} | {r['error']} |")
            continue
        meds = [statistics.median(row["phases"][k] for row in r["rows"]) for k in range(len(PHASES))]
        out.append(f"| {init} | " + " | ".join(f"{m:.1f}" for m in meds) + f" | {len(r['rows'])} |")
    out += ["", "System calls of the init per forwarded signal, from its wake-up to its next "
            "sleep (the most common sequence, and how often it was the one):", ""]
    for init, r in results.items():
        if "error" in r:
            continue
        seqs = [row["calls"] for row in r["rows"]]
        top = max(set(seqs), key=seqs.count)
        out.append(f"- {init}: `{top}` ({100 * seqs.count(top) // len(seqs)} %)")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--inits", default="sexton,sexton-static,tini,tini-static,dumb-init,catatonit,"
                    "refreaper,refreaper-epoll,refreaper-libev")
    ap.add_argument("--signals", type=int, default=200)
    ap.add_argument("--cgroup", action="store_true", help="the init in a cpu cgroup, leading a session")
    ap.add_argument("--out", help="default bench/results-sigtrace[-cgroup].md")
    a = ap.parse_args()
    out = a.out or os.path.join(run.HERE, f"results-sigtrace{'-cgroup' if a.cgroup else ''}.md")
    if os.geteuid() == 0 and not os.path.isdir(os.path.join(TRACEFS, "events")):
        # A fresh machine may not have it mounted yet.
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], capture_output=True)
    if os.geteuid() != 0 or not os.path.isdir(os.path.join(TRACEFS, "events")):
        sys.exit("sigtrace: needs root and tracefs at " + TRACEFS)
    cgroup = run.cpu_cgroup() if a.cgroup else None
    if a.cgroup and not cgroup:
        sys.exit("sigtrace: no cpu cgroup controller")
    results = {}
    try:
        for init in a.inits.split(","):
            if init not in run.INITS and init not in run.CONTROLS:
                sys.exit(f"sigtrace: unknown init {init}")
            run.log(f"sigtrace: {init}")
            results[init] = trace_one(init, a.signals, cgroup)
    finally:
        if cgroup:
            run.remove_cgroup(cgroup)
    text = report(results, a.signals, cgroup)
    with open(out, "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
