#!/usr/bin/python3
"""doctor benchmark: `sextonctl doctor --all` against `ps -eLo` on many threads.

A full diagnostics scan of the whole system, `sextonctl --json doctor --all`
(no daemon: sextonctl scans /proc itself), against
`ps -eLo pid,tid,stat,wchan` over the same tasks: once on the system as it
is (baseline), once with a fixture process holding N extra threads
(build/fixtures/threads N, default N = 10 000). Each command is timed with
time.perf_counter around subprocess.run (stdout to /dev/null), 2 warm-up runs
each, then --runs alternating runs (ps, doctor, ps, doctor, ...); median and
p90 in ms, and how many times faster doctor is than ps.

Python standard library only; run with /usr/bin/python3 from anywhere.
See bench/README.md, section "doctor".
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402  (read, median, pct, cpu_model: as the other benchmarks)

read, median, pct, cpu_model = R.read, R.median, R.pct, R.cpu_model
ROOT = R.ROOT
FIXTURE = "build/fixtures/threads"
PS_CMD = ["ps", "-eLo", "pid,tid,stat,wchan"]
TARGET = 3.0          # the target: doctor --all at least 3x faster than ps
READY_TIMEOUT = 120   # s for the fixture to start its threads
RUN_TIMEOUT = 60      # s for one run of either command


def log(msg):
    print(f"[doctor-bench] {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


def status_field(pid, name):
    for line in (read(f"/proc/{pid}/status") or "").splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return None


def file_info(path):
    st = os.stat(path)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return {"path": os.path.abspath(path), "bytes": st.st_size,
            "mtime": datetime.datetime.fromtimestamp(st.st_mtime).astimezone()
            .isoformat(timespec="seconds"),
            "sha256": h.hexdigest()[:16]}


# ---------------------------------------------------------------- fixture

def check_limits(nthreads):
    """Fail before starting anything if the kernel cannot hold the threads."""
    tmax = int((read("/proc/sys/kernel/threads-max") or "0").strip() or 0)
    pmax = int((read("/proc/sys/kernel/pid_max") or "0").strip() or 0)
    # every thread takes a pid: count what is there already
    now = sum(1 for _ in os.scandir("/proc") if _.name.isdigit())
    now_threads = 0
    for e in os.scandir("/proc"):
        if e.name.isdigit():
            t = status_field(e.name, "Threads")
            now_threads += int(t) if t and t.isdigit() else 1
    need = now_threads + nthreads + 100  # + the commands measured, some slack
    if tmax < need:
        raise BenchError(f"/proc/sys/kernel/threads-max is {tmax}: too low for "
                         f"{nthreads} more threads ({now_threads} already exist); "
                         f"raise it (sysctl kernel.threads-max={need}) or use fewer threads")
    if pmax < need:
        raise BenchError(f"/proc/sys/kernel/pid_max is {pmax}: too low for "
                         f"{nthreads} more threads ({now_threads} already exist)")
    return {"threads_max": tmax, "pid_max": pmax, "tasks_before": now_threads,
            "processes_before": now}


class Fixture:
    """build/fixtures/threads N: one process with N threads (itself included)."""

    def __init__(self, path, nthreads):
        self.path, self.n, self.proc = path, nthreads, None

    def start(self):
        log(f"starting {self.path} {self.n}")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([self.path, str(self.n)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + READY_TIMEOUT
        while b"ready\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"fixture not ready after {READY_TIMEOUT} s")
            r, _, _ = select.select([fd], [], [], min(left, 1.0))
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:  # EOF: it died
                    self.proc.wait(timeout=10)
                    err = self.proc.stderr.read().decode(errors="replace").strip()
                    raise BenchError(f"fixture exited with status {self.proc.returncode} "
                                     f"before ready: {err or '(no message)'}")
                buf += chunk
        started = time.perf_counter() - t0
        threads = status_field(self.proc.pid, "Threads")
        if threads != str(self.n):
            raise BenchError(f"fixture pid {self.proc.pid}: /proc/PID/status says "
                             f"Threads: {threads}, expected {self.n}")
        log(f"fixture pid {self.proc.pid}: Threads: {threads} ({started:.2f} s to start)")
        return {"pid": self.proc.pid, "threads": int(threads), "start_s": started}

    def stop(self):
        """SIGKILL and reap; safe to call twice or before start."""
        # no second Ctrl-C or SIGTERM may leave the threads behind
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            p, self.proc = self.proc, None
            if p is not None:
                self._kill(p)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    @staticmethod
    def _kill(p):
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            log(f"fixture pid {p.pid} still there 60 s after SIGKILL")
        for f in (p.stdout, p.stderr):
            if f:
                f.close()
        log(f"fixture pid {p.pid} killed")


# ---------------------------------------------------------------- measurement

def run_ps(capture=False):
    r = subprocess.run(PS_CMD, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
    if r.returncode != 0:
        raise BenchError(f"{' '.join(PS_CMD)} exited {r.returncode}: "
                         f"{r.stderr.decode(errors='replace').strip()}")
    return r


def run_doctor(ctl, capture=False):
    r = subprocess.run([ctl, "--json", "doctor", "--all"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
    if r.returncode not in (0, 1):  # 1: there are findings, fine here
        raise BenchError(f"{ctl} --json doctor --all exited {r.returncode}: "
                         f"{r.stderr.decode(errors='replace').strip()}")
    return r


def dz_census(skip_pid=None):
    """The tasks in D or Z right now: the ones that make doctor --all sample
    again (5 scans 125 ms apart) instead of answering after one scan.
    Untimed, between runs; racy by nature (a zombie may come and go between
    this and the doctor run). The fixture's threads sleep in pause(): only
    its main thread is read."""
    out = []
    for e in os.scandir("/proc"):
        if not e.name.isdigit():
            continue
        if e.name == str(skip_pid):
            tids = [e.name]
        else:
            try:
                tids = os.listdir(f"/proc/{e.name}/task")
            except OSError:
                continue
        for t in tids:
            try:
                with open(f"/proc/{e.name}/task/{t}/stat", "rb") as f:
                    st = f.read()
            except OSError:
                continue
            r = st.rfind(b")")
            state = st[r + 2:r + 3].decode(errors="replace")
            if state in ("D", "Z"):
                comm = st[st.find(b"(") + 1:r].decode(errors="replace")
                out.append(f"{comm}:{state}")
    return out


def timed(fn):
    t0 = time.perf_counter()
    r = fn()
    return (time.perf_counter() - t0) * 1000.0, r.returncode


def task_counts(ctl):
    """Untimed runs: the tasks each tool saw (ps lines minus the header,
    doctor's limits.threads) and doctor's exit status and findings."""
    ps_lines = len(run_ps(capture=True).stdout.decode(errors="replace").splitlines()) - 1
    r = run_doctor(ctl, capture=True)
    try:
        doc = json.loads(r.stdout)
    except ValueError as e:
        raise BenchError(f"doctor --all printed no JSON ({e}): {r.stdout[:200]!r}")
    limits = doc.get("limits") or {}
    findings = doc.get("findings") or []
    kinds = {}
    for f in findings:
        k = f.get("kind") or f.get("type") or "?"
        kinds[k] = kinds.get(k, 0) + 1
    return {"ps_tasks": ps_lines, "doctor_threads": limits.get("threads"),
            "doctor_pids": limits.get("pids"), "doctor_exit": r.returncode,
            "doctor_findings": len(findings), "doctor_finding_kinds": kinds}


def measure(ctl, runs, warmup, fixture_pid=None):
    for _ in range(warmup):
        run_ps()
        run_doctor(ctl)
    case = {"ps_ms": [], "doctor_ms": [], "doctor_exits": [], "dz_before_doctor": []}
    for i in range(runs):
        ms, _ = timed(run_ps)
        case["ps_ms"].append(ms)
        case["dz_before_doctor"].append(dz_census(fixture_pid))
        ms, rc = timed(lambda: run_doctor(ctl))
        case["doctor_ms"].append(ms)
        case["doctor_exits"].append(rc)
    case["summary"] = summarize(case["ps_ms"], case["doctor_ms"])
    return case


def summarize(ps, doc):
    s = {"ps_median_ms": median(ps), "ps_p90_ms": pct(ps, 90),
         "doctor_median_ms": median(doc), "doctor_p90_ms": pct(doc, 90)}
    s["ratio"] = s["ps_median_ms"] / s["doctor_median_ms"] if s["doctor_median_ms"] else None
    return s


# ---------------------------------------------------------------- output

def markdown(res):
    m = res["machine"]
    fx = res["fixture"]
    shape = (f"one process of {fx['threads']:,} threads" if fx["processes"] == 1
             else f"{fx['processes']} processes")
    out = [f"{res['date']} · kernel {m['kernel']} · {m['cpu']} × {m['nproc']} CPUs · "
           f"load average at start {m['loadavg']}" + (" · **quick mode**" if res["quick"] else ""),
           "",
           f"`ps -eLo pid,tid,stat,wchan` against `sextonctl --json doctor --all`, "
           f"{res['runs']} alternating runs each after {res['warmup']} warm-ups; "
           f"ms, median (p90); fixture: {shape} (`{FIXTURE}`, 64 kB stacks).",
           "",
           "| case | threads | ps -eLo median (p90) | sextonctl doctor --all median (p90) | ratio |",
           "|---|---:|---:|---:|---:|"]
    for c in res["cases"]:
        s = c["summary"]
        n = c["counts"]
        seen = f"{n['ps_tasks']:,} / {n['doctor_threads']:,}" if n["doctor_threads"] is not None \
            else f"{n['ps_tasks']:,} / ?"
        out.append(f"| {c['name']} | {seen} | {s['ps_median_ms']:.1f} ({s['ps_p90_ms']:.1f}) | "
                   f"{s['doctor_median_ms']:.1f} ({s['doctor_p90_ms']:.1f}) | "
                   f"{s['ratio']:.2f}× |")
    loaded = res["cases"][-1]
    r = loaded["summary"]["ratio"]
    met = "met" if r >= TARGET else "**not met**"
    notes = []
    for c in res["cases"]:
        n = len(c["doctor_ms"])
        dz = sum(1 for x in c["dz_before_doctor"] if x)
        notes.append(f"{c['short']}: exit 1 (findings) in "
                     f"{c['doctor_exits'].count(1)}/{n} runs, a D or Z task on the machine "
                     f"just before {dz}/{n}")
    out += ["",
            "doctor --all scans 4 more times, 125 ms apart, when any task is in D or Z: "
            + "; ".join(notes) + ".",
            "",
            f"threads: tasks seen, `ps` lines / doctor's `limits.threads`. "
            f"Target (doctor --all ≥ {TARGET:g}× faster than ps with "
            f"{res['fixture']['threads']:,} threads): {met} ({r:.2f}×).", ""]
    return "\n".join(out)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="5 runs, 2000 threads (writes PREFIX-quick unless --out is given)")
    ap.add_argument("--runs", type=int, default=None, help="timed runs per command (default 15)")
    ap.add_argument("--threads", type=int, default=None, help="fixture threads (default 10000)")
    ap.add_argument("--out", default=None, help="write PREFIX.md and PREFIX.json "
                    "(default bench/results-doctor)")
    ap.add_argument("--sextonctl", default="build/sextonctl", help="default build/sextonctl")
    a = ap.parse_args()

    runs = a.runs or (5 if a.quick else 15)
    nthreads = a.threads or (2000 if a.quick else 10000)
    warmup = 2
    out = a.out or os.path.join(ROOT, "bench", "results-doctor" + ("-quick" if a.quick else ""))
    ctl = a.sextonctl
    if not os.path.isabs(ctl):  # relative: to the current directory, else to the repository
        ctl = os.path.abspath(ctl) if os.path.exists(ctl) else os.path.join(ROOT, ctl)
    fixture_path = os.path.join(ROOT, FIXTURE)
    if runs < 1 or nthreads < 1:
        ap.error("--runs and --threads must be at least 1")

    for path, target in ((ctl, "build/sextonctl"), (fixture_path, FIXTURE)):
        if not os.access(path, os.X_OK):
            sys.exit(f"doctor.py: {path} missing; build it: make {target}")
    h = subprocess.run([ctl, "doctor", "--help"], capture_output=True, text=True, timeout=10)
    if "--all" not in h.stdout + h.stderr:
        sys.exit(f"doctor.py: {ctl} has no `doctor --all`")

    def on_term(signum, frame):
        raise KeyboardInterrupt  # run the clean-up (finally) on the way out
    signal.signal(signal.SIGTERM, on_term)

    res = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
           "quick": a.quick, "runs": runs, "warmup": warmup, "target_ratio": TARGET,
           "order": "per run: ps, then doctor",
           "commands": {"ps": PS_CMD, "doctor": [ctl, "--json", "doctor", "--all"]},
           "machine": {"kernel": platform.release(), "cpu": cpu_model(),
                       "nproc": os.cpu_count(),
                       "loadavg": " ".join((read("/proc/loadavg") or "? ? ?").split()[:3]),
                       "uid": os.getuid()},
           "sextonctl": file_info(ctl),
           "fixture": {"path": fixture_path, "threads": nthreads, "processes": 1},
           "cases": []}
    fixture = Fixture(fixture_path, nthreads)
    try:
        res["limits"] = check_limits(nthreads)

        log(f"baseline (no fixture): {warmup} warm-ups + {runs} runs each")
        case = measure(ctl, runs, warmup)
        case.update(name="baseline (system as is)", short="baseline", fixture_threads=0, counts=task_counts(ctl))
        res["cases"].append(case)

        res["fixture"].update(fixture.start())
        log(f"{nthreads} threads: {warmup} warm-ups + {runs} runs each")
        case = measure(ctl, runs, warmup, res["fixture"]["pid"])
        counts = task_counts(ctl)
        if status_field(res["fixture"]["pid"], "Threads") != str(nthreads):
            raise BenchError("the fixture lost threads during the runs")
        case.update(name=f"+ {nthreads:,} threads", short=f"+ {nthreads:,}",
                    fixture_threads=nthreads, counts=counts)
        res["cases"].append(case)
        for who, seen in (("ps", counts["ps_tasks"]), ("doctor", counts["doctor_threads"])):
            if seen is None or seen < nthreads:
                log(f"WARNING: {who} saw {seen} tasks, fewer than the fixture's {nthreads}")
    except BenchError as e:
        sys.exit(f"doctor.py: {e}")
    except KeyboardInterrupt:
        sys.exit("doctor.py: interrupted")
    finally:
        fixture.stop()

    md = markdown(res)
    res["target_met"] = res["cases"][-1]["summary"]["ratio"] >= TARGET
    with open(out + ".json", "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    with open(out + ".md", "w") as f:
        f.write("# doctor --all benchmark" + (" (QUICK mode: indicative only)" if a.quick else "")
                + "\n\n" + md)
    log(f"wrote {out}.md and {out}.json")
    print(md, end="")


if __name__ == "__main__":
    main()
