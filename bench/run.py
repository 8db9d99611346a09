#!/usr/bin/python3
"""sexton benchmark harness: sexton against tini, dumb-init, catatonit and a
reference reaper, each run as PID 1 of a fresh PID namespace.

    /usr/bin/python3 bench/run.py            # full run (~10 min), quiet machine
    /usr/bin/python3 bench/run.py --quick    # small N, few repetitions (< 1 min)
    /usr/bin/python3 bench/run.py --only storm,signal --inits sexton,tini

Needs root (unshare --pid). Progress goes to stderr; the tables go to
stdout and to bench/results.md (raw samples: bench/results.json). A quick
run writes bench/results-quick.{md,json} instead so that it never replaces
the numbers of a full run. See bench/README.md for what each metric means.
Standard library only.
"""

import argparse
import datetime
import json
import os
import platform
import random
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import cgroups  # cpu_cgroup, shared with the integration tests (run from bench/)
from cgroups import cpu_cgroup  # noqa: F401  (sigtrace.py uses run.cpu_cgroup)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(ROOT, "build")
BENCH_BIN = os.path.join(BUILD, "bench")
HELPERS = ("refreaper", "refreaper-libev", "sigchild", "sigping", "stormdriver")

REF = "refreaper"
# name: (binary, words before the command)
INITS = {
    "sexton": (os.path.join(BUILD, "sexton"), ["--"]),
    "sexton-static": (os.path.join(BUILD, "sexton-static"), ["--"]),
    "tini": ("/usr/bin/tini", ["--"]),
    "tini-static": ("/usr/bin/tini-static", ["--"]),
    "dumb-init": ("/usr/bin/dumb-init", ["--"]),
    "catatonit": ("/usr/bin/catatonit", ["--"]),
    REF: (os.path.join(BENCH_BIN, "refreaper"), ["--"]),
}
# Control rows: the floor changed in one respect, to show what that respect
# costs. refreaper-setsid puts its child in a session of its own, as sexton
# and dumb-init do: with the kernel's autogroup scheduling a new session is a
# new scheduling group, and that alone shows in the signal latency when
# everything shares one CPU. refreaper-signalfd then waits in a blocking
# read of a signalfd instead of sigwaitinfo, and refreaper-epoll in
# epoll_wait followed by a read of the signalfd (the one system call more
# per wake-up that any event loop over a signalfd makes). refreaper-libev is
# the floor built as sexton must be (bench/refreaper-libev.c: libev ev_io on
# a signalfd, child in its own session): what sexton costs beyond it is
# sexton's own. Each row changes one thing from the one before.
SESSION_REF = "refreaper-setsid"
SIGNALFD_REF = "refreaper-signalfd"
EPOLL_REF = "refreaper-epoll"
LIBEV_REF = "refreaper-libev"
CONTROLS = {SESSION_REF: (os.path.join(BENCH_BIN, "refreaper"), ["-s", "--"]),
            SIGNALFD_REF: (os.path.join(BENCH_BIN, "refreaper"), ["-s", "-w", "signalfd", "--"]),
            EPOLL_REF: (os.path.join(BENCH_BIN, "refreaper"), ["-s", "-w", "epoll", "--"]),
            LIBEV_REF: (os.path.join(BENCH_BIN, "refreaper-libev"), ["--"])}
CONTROL_METRICS = {SESSION_REF: ("signal",), SIGNALFD_REF: ("signal",), EPOLL_REF: ("signal",),
                   LIBEV_REF: ("storm", "signal")}
OURS = ("sexton", "sexton-static")
PEERS = ("tini", "tini-static", "dumb-init", "catatonit")
METRICS = ("storm", "drain", "overhead", "signal", "idle", "rss", "size", "supervisors")
# supervisors: sexton against runit, s6 and supervisord (bench/supervisors.py),
# run last, into its own bench/results-supervisors{,-quick}.{md,json}.

FULL = dict(storm_n=10000, storm_runs=9, wave_runs=45, wave_n=100, waves=100, drain_waves=20,
            overhead_reps=300,
            signal_samples=1200, signal_launches=40, idle_s=10.0, long_idle_s=120.0)
QUICK = dict(storm_n=1000, storm_runs=3, wave_runs=3, wave_n=100, waves=10, drain_waves=5,
             overhead_reps=10,
             signal_samples=20, signal_launches=2, idle_s=3.0, long_idle_s=15.0)

UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def now_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


# ---------------------------------------------------------------- /proc

def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def stat_fields(pid):
    """Fields of /proc/PID/stat after the comm, index 0 = state."""
    s = read(f"/proc/{pid}/stat")
    if s is None:
        return None
    return s[s.rindex(")") + 2:].split()


def children_of(ppid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            f = stat_fields(d)
            if f and int(f[1]) == ppid:
                out.append(int(d))
    return out


def wait_child_of(ppid, timeout=5.0, not_comm=None):
    """Host pid of the (single) child of ppid, waiting for it to appear (and,
    with not_comm, to have exec'd away from that comm)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in children_of(ppid):
            comm = (read(f"/proc/{pid}/comm") or "").strip()
            if not_comm is None or comm not in (not_comm, "setsid"):
                return pid
        time.sleep(0.005)
    return None


def status_fields(pid):
    out = {}
    s = read(f"/proc/{pid}/status")
    for line in (s or "").splitlines():
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def idle_counters(pid):
    """Context switches summed over the threads, CPU ticks, on-CPU ns."""
    sw = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        st = status_fields(f"{pid}/task/{tid}")
        sw += int(st.get("voluntary_ctxt_switches", 0)) + \
            int(st.get("nonvoluntary_ctxt_switches", 0))
    f = stat_fields(pid)
    if f is None:
        return None
    ticks = int(f[11]) + int(f[12])  # utime, stime
    sched = read(f"/proc/{pid}/schedstat")
    oncpu = int(sched.split()[0]) if sched else 0
    return {"switches": sw, "ticks": ticks, "oncpu_ns": oncpu}


def memory(pid):
    st = status_fields(pid)

    def kb(key):
        v = st.get(key)
        return int(v.split()[0]) if v else None
    return {"rss_kb": kb("VmRSS"), "rss_anon_kb": kb("RssAnon"), "rss_file_kb": kb("RssFile")}


# ---------------------------------------------------------------- processes

def ns_argv(init, cmd, pin=False, session=False, opts=(), cgroup=None):
    """SESSION: the init leads a session of its own, as in a container
    (runc's last init stage calls setsid(); util-linux setsid execs without
    forking here, since unshare's child leads no process group). CGROUP: a
    directory from cpu_cgroup(), which the whole namespace runs in. OPTS go
    before the init's own "--"."""
    argv = list(UNSHARE) + (["setsid"] if session else [])
    if init is not None:
        binary, pre = INITS[init] if init in INITS else CONTROLS[init]
        argv += [binary] + list(opts) + pre
    argv += cmd
    argv = (["taskset", "-c", "0"] if pin else []) + argv
    if cgroup:
        argv = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup] + argv
    return argv


def remove_cgroup(path, timeout=5.0):
    if not cgroups.remove_cgroup(path, timeout):
        log(f"warning: cannot remove {path}")


class NsProc:
    """An init as PID 1 of a new PID namespace, started in the background."""

    def __init__(self, init, cmd, pin=False, stdout=subprocess.DEVNULL,
                 stdin=subprocess.DEVNULL, session=False, opts=(), cgroup=None, env=None):
        self.init = init
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen(ns_argv(init, cmd, pin, session, opts, cgroup), stdin=stdin,
                                  stdout=stdout, stderr=self.err, env=env)
        self.buf = b""
        self.init_pid = None

    def find_init(self, timeout=5.0):
        # unshare forks; the child execs the init: wait for the exec.
        # (sh and taskset, when they run first, exec into unshare: same pid.)
        self.init_pid = wait_child_of(self.p.pid, timeout, not_comm="unshare")
        return self.init_pid

    def readline(self, timeout):
        fd = self.p.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode(errors="replace")

    def stderr_tail(self):
        try:
            self.err.seek(0)
            return self.err.read()[-400:].decode(errors="replace").strip()
        except OSError:
            return ""

    def stop(self, timeout=5.0):
        """SIGTERM to the init (forwarded to the child); SIGKILL to unshare
        (--kill-child then kills the init, and the namespace with it)."""
        if self.p.poll() is None and self.init_pid:
            try:
                os.kill(self.init_pid, signal.SIGCONT)
                os.kill(self.init_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                log(f"warning: unshare {self.p.pid} did not die")
        for f in (self.p.stdout, self.p.stdin):
            if f:
                try:
                    f.close()
                except OSError:
                    pass
        self.err.close()


def run_ns(init, cmd, timeout, pin=False):
    """Run to completion; returns (rc, stdout, stderr) or None on timeout.
    On timeout unshare is SIGKILLed and --kill-child takes the namespace."""
    try:
        r = subprocess.run(ns_argv(init, cmd, pin), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
        return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return None


# ---------------------------------------------------------------- statistics

def median(xs):
    return statistics.median(xs) if xs else None


def pct(xs, p):
    if not xs:
        return None
    s = sorted(xs)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def ordered(inits, rep):
    """A fresh order per repetition so that no init always runs first."""
    xs = list(inits)
    random.Random(rep).shuffle(xs)
    return xs


# ---------------------------------------------------------------- metrics

def bench_storm(inits, P, mode):
    """A single wave of storm_n orphans, storm_runs times, and waves x wave_n,
    wave_runs times: a run of waves costs a fraction of a second, and a
    5 % target needs more than 9 of them (their spread is +-10 % here)."""
    drv = os.path.join(BENCH_BIN, "stormdriver")
    res = {i: {"single_us": [], "waves_us": [], "errors": []} for i in inits}
    for rep in range(max(P["storm_runs"], P["wave_runs"])):
        log(f"storm: run {rep + 1}/{max(P['storm_runs'], P['wave_runs'])}")
        shapes = ([("single_us", P["storm_n"], 1)] if rep < P["storm_runs"] else []) + \
                 ([("waves_us", P["wave_n"], P["waves"])] if rep < P["wave_runs"] else [])
        for init in ordered(inits, rep):
            for key, n, waves in shapes:
                r = run_ns(init, [drv, str(n), str(waves), mode, "60"], timeout=180)
                if r is None:
                    res[init]["errors"].append(f"{key}: harness timeout")
                    log(f"  {init} {key}: timeout")
                    continue
                rc, out, err = r
                m = re.search(r"storm n=\d+ waves=\d+ us=([\d,]+)", out)
                if rc != 0 or not m:
                    msg = f"{key}: rc={rc} {out.strip()[-200:]} {err.strip()[-200:]}"
                    res[init]["errors"].append(msg)
                    log(f"  {init} {msg}")
                    continue
                us = [int(x) for x in m.group(1).split(",")]
                res[init][key].append(us if waves > 1 else us[0])
    return res


def bench_drain(inits, P, mode):
    """The reaper alone: N zombies already there when the init resumes."""
    res = {i: {"single_us": [], "waves_us": [], "errors": []} for i in inits}
    shapes = [("single_us", P["storm_n"], 1), ("waves_us", P["wave_n"], P["drain_waves"])]
    for rep in range(P["storm_runs"]):
        log(f"drain: run {rep + 1}/{P['storm_runs']}")
        for init in ordered(inits, 100 + rep):
            for key, n, waves in shapes:
                r = one_drain_run(init, n, waves, mode)
                if isinstance(r, str):
                    res[init]["errors"].append(f"{key}: {r}")
                    log(f"  {init} {key}: {r}")
                else:
                    res[init][key].append(r if waves > 1 else r[0])
    return res


def one_drain_run(init, n, waves, mode):
    drv = os.path.join(BENCH_BIN, "stormdriver")
    np_ = NsProc(init, [drv, str(n), str(waves), mode, "60", "drain"],
                 stdout=subprocess.PIPE, stdin=subprocess.PIPE)
    us = []
    try:
        for w in range(waves):
            line = np_.readline(60)
            if line != "stop":
                return f"wave {w}: expected 'stop', got {line!r} ({np_.stderr_tail()})"
            pid = np_.init_pid or np_.find_init()
            if pid is None:
                return "init pid not found"
            os.kill(pid, signal.SIGSTOP)
            deadline = time.monotonic() + 5
            while (stat_fields(pid) or ["?"])[0] not in "Tt":
                if time.monotonic() > deadline:
                    return "init did not stop"
                time.sleep(0.001)
            np_.p.stdin.write(b"go\n")
            np_.p.stdin.flush()
            line = np_.readline(60)
            if line != "cont":
                return f"wave {w}: expected 'cont', got {line!r}"
            t0 = now_ns()
            os.kill(pid, signal.SIGCONT)
            line = np_.readline(60)
            if not line or not line.startswith("done "):
                return f"wave {w}: expected 'done', got {line!r}"
            us.append((int(line.split()[1]) - t0) / 1e3)
        line = np_.readline(10)
        if not line or not line.startswith("drain "):
            return f"expected the final 'drain' line, got {line!r}"
        try:
            np_.p.wait(10)
        except subprocess.TimeoutExpired:
            return "init did not exit after the driver"
        return us
    except (OSError, ValueError) as e:
        return repr(e)
    finally:
        np_.stop()


def bench_overhead(inits, P):
    """Wall time of unshare ... INIT -- /bin/true, and without an init."""
    names = ["(none)"] + list(inits)
    res = {n: [] for n in names}
    by_rep = {n: [] for n in names}  # None for a failed run: index = repetition
    fails = {n: 0 for n in names}
    for n in names:  # one warm-up each (page cache, dynamic loader)
        run_ns(None if n == "(none)" else n, ["/bin/true"], timeout=10)
    for rep in range(P["overhead_reps"]):
        if rep % 10 == 0:
            log(f"overhead: repetition {rep + 1}/{P['overhead_reps']}")
        for n in ordered(names, rep):
            t0 = now_ns()
            r = run_ns(None if n == "(none)" else n, ["/bin/true"], timeout=10)
            t1 = now_ns()
            if r is None or r[0] != 0:
                fails[n] += 1
                by_rep[n].append(None)
                continue
            res[n].append((t1 - t0) / 1e3)
            by_rep[n].append((t1 - t0) / 1e3)
    return {"wall_us": res, "by_rep": by_rep, "failures": fails}


def bench_signal(inits, P, pin, session=False, cgroup=None):
    """kill(init, SIGUSR1) to the child's handler, in microseconds. The
    samples are split over several launches: free, where the scheduler
    puts the init and its child decides a whole launch. CGROUP: the
    namespace runs in that cpu cgroup (the sender stays outside, as docker
    kill does)."""
    child = os.path.join(BENCH_BIN, "sigchild")
    res = {i: {"us": [], "error": None, "per_launch_median": []} for i in inits}
    launches = P["signal_launches"]
    per = -(-P["signal_samples"] // launches)
    old_aff = os.sched_getaffinity(0)
    if pin:
        os.sched_setaffinity(0, {0})
    try:
        for k in range(launches):
            log(f"signal ({'pinned to CPU 0' if pin else 'free'}"
                f"{', init leads a session' if session else ''}"
                f"{', in a cpu cgroup' if cgroup else ''}): launch {k + 1}/{launches}")
            for init in ordered(inits, (17 if pin else 7) + k + (50 if session else 0)
                                + (30 if cgroup else 0)):
                r = one_signal_run(init, child, per, pin, session, cgroup=cgroup)
                res[init]["us"] += r["us"]
                # None for a failed launch, so that launch k of every init
                # stays at index k (paired_line pairs them).
                res[init]["per_launch_median"].append(median(r["us"]) if r["us"] else None)
                if r["error"]:
                    res[init]["error"] = r["error"]
                    log(f"  {init}: {r['error']}")
    finally:
        os.sched_setaffinity(0, old_aff)
    return res


def one_signal_run(init, child, samples, pin, session=False, warmup=5, cgroup=None):
    np_ = NsProc(init, [child], pin=pin, stdout=subprocess.PIPE, session=session, cgroup=cgroup)
    out = {"us": [], "error": None}
    try:
        line = np_.readline(5.0)
        if not line or not line.startswith("ready"):
            out["error"] = f"child not ready ({line!r}; {np_.stderr_tail()})"
            return out
        pid = np_.find_init()
        if pid is None:
            out["error"] = "init pid not found"
            return out
        # The loop runs in C (bench/sigping.c): see there for why.
        r = subprocess.run([os.path.join(BENCH_BIN, "sigping"), str(pid),
                            str(np_.p.stdout.fileno()), str(samples), str(warmup), str(pid)],
                           pass_fds=(np_.p.stdout.fileno(),), capture_output=True, text=True,
                           timeout=30 + samples * 0.05)
        lines = r.stdout.split()
        if r.returncode != 0 or len(lines) != samples:
            out["error"] = f"sigping: {r.stdout[-200:]!r} {r.stderr[-200:]!r} ({np_.stderr_tail()})"
            return out
        out["us"] = [int(x) / 1e3 for x in lines]
        return out
    except (OSError, ValueError) as e:
        out["error"] = repr(e)
        return out
    finally:
        np_.stop()


def start_idle(init, opts=()):
    """INIT -- sleep: returns (NsProc, init pid) once the sleep runs."""
    np_ = NsProc(init, ["/bin/sleep", "100000"], opts=opts)
    pid = np_.find_init()
    if pid is not None and wait_child_of(pid, 5.0, not_comm=os.path.basename(INITS[init][0])[:15]):
        return np_, pid
    log(f"warning: idle {init}: did not start ({np_.stderr_tail()})")
    np_.stop()
    return None, None


def bench_idle(inits, P):
    """All inits idle side by side (they do not interact): counters over
    idle_s seconds and memory at the end."""
    procs = {}
    for init in inits:
        np_, pid = start_idle(init)
        if np_:
            procs[init] = (np_, pid)
    time.sleep(1.0)  # let start-up settle before the first reading
    before = {i: idle_counters(pid) for i, (_, pid) in procs.items()}
    log(f"idle: {len(procs)} inits side by side for {P['idle_s']:.0f} s")
    time.sleep(P["idle_s"])
    res = {}
    for init, (np_, pid) in procs.items():
        after = idle_counters(pid)
        b = before[init]
        if after is None or b is None:
            res[init] = {"error": "process vanished"}
        else:
            res[init] = {
                "seconds": P["idle_s"],
                "switches": after["switches"] - b["switches"],
                "cpu_ms": (after["ticks"] - b["ticks"]) * 1000.0 / CLK_TCK,
                "oncpu_us": (after["oncpu_ns"] - b["oncpu_ns"]) / 1e3,
                "total_switches_since_start": after["switches"],
            }
            res[init].update(memory(pid))
        np_.stop()
    return res


def ldd_libs(path):
    try:
        r = subprocess.run(["ldd", path], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if "not a dynamic executable" in r.stdout + r.stderr or "statically linked" in r.stdout:
        return []
    libs = []
    for line in r.stdout.splitlines():
        words = line.split()
        if not words or words[0].startswith("linux-vdso") or "ld-linux" in words[0]:
            continue
        name = words[0]
        if name != "libc.so.6" and len(words) > 2 and words[1] == "=>":
            try:  # libc is everyone's; name the size of anything else
                name += f" ({os.stat(os.path.realpath(words[2])).st_size // 1024} kB)"
            except OSError:
                pass
        libs.append(name)
    return libs


def bench_size(inits):
    res = {}
    for init in inits:
        path = INITS[init][0]
        libs = ldd_libs(path)
        res[init] = {"path": path, "bytes": os.stat(path).st_size, "libs": libs}
        # sexton's `make` build keeps -g: its stripped size is the fair one.
        if init in OURS or init == REF:
            with tempfile.TemporaryDirectory() as d:
                out = os.path.join(d, "s")
                try:
                    subprocess.run(["strip", "-o", out, path], check=True, timeout=30,
                                   capture_output=True)
                    res[init]["stripped_bytes"] = os.stat(out).st_size
                except (OSError, subprocess.SubprocessError):
                    pass
    # A static floor: refreaper linked statically (not part of `make bench`).
    src = os.path.join(HERE, "refreaper.c")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "refreaper-static")
        try:
            subprocess.run(["gcc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-static", "-s",
                            "-o", out, src], check=True, timeout=60, capture_output=True)
            res["refreaper-static"] = {"path": "(gcc -O2 -static -s bench/refreaper.c)",
                                       "bytes": os.stat(out).st_size, "libs": []}
        except (OSError, subprocess.SubprocessError):
            log("warning: could not link a static refreaper (no libc.a?)")
    return res


def start_long_idle(inits, P):
    """sexton alone for long_idle_s, started first, read at the very end.
    Each gets a control socket of its own: the PID namespaces of the run
    share /run, and every sexton started later probes /run/sexton.sock
    once (a live one there is another sexton), which would wake the one
    that owns it."""
    out = {}
    for init in OURS:
        if init in inits:
            sock = os.path.join(tempfile.gettempdir(), f"bench-long-idle-{init}-{os.getpid()}.sock")
            np_, pid = start_idle(init, opts=["-S", sock])
            if np_:
                time.sleep(0.5)
                out[init] = (np_, pid, idle_counters(pid), time.monotonic())
    return out


def finish_long_idle(started, P):
    res = {}
    for init, (np_, pid, before, t0) in started.items():
        left = t0 + P["long_idle_s"] - time.monotonic()
        if left > 0:
            log(f"long idle: waiting {left:.0f} s more for {init}")
            time.sleep(left)
        after = idle_counters(pid)
        el = time.monotonic() - t0
        if after is None or before is None:
            res[init] = {"error": "process vanished"}
        else:
            res[init] = {"seconds": round(el, 1),
                         "switches": after["switches"] - before["switches"],
                         "cpu_ms": (after["ticks"] - before["ticks"]) * 1000.0 / CLK_TCK,
                         "oncpu_us": (after["oncpu_ns"] - before["oncpu_ns"]) / 1e3}
        np_.stop()
    return res


# ---------------------------------------------------------------- report

def fmt(x, nd=0):
    if isinstance(x, str):
        return x
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        return "—"  # None, or an empty list from `xs and ...`
    return f"{x:,.{nd}f}"


def ratio(x, ref):
    if x is None or ref is None:
        return "—"
    if ref == 0:
        return "both 0" if x == 0 else "∞"
    return f"{x / ref:.2f}×"


def best_peer_line(values, unit, nd=0, label="median"):
    """values: init -> number (lower is better)."""
    peers = {k: v for k, v in values.items() if k in PEERS and v is not None}
    if not peers:
        return "Best peer: none measured."
    bp = min(peers, key=peers.get)
    parts = [f"Best peer: **{bp}** ({fmt(peers[bp], nd)} {unit} {label})."]
    for o in OURS:
        if values.get(o) is not None:
            parts.append(f"{o} / {bp} = {ratio(values[o], peers[bp])}.")
    return " ".join(parts)


def controls_for(metric, inits):
    """The control rows measured with METRIC: only beside the floor."""
    return [c for c in CONTROLS if metric in CONTROL_METRICS[c] and REF in inits]


def control_note(values):
    """' Control: ...' for each control row in VALUES (init -> number)."""
    what = {SESSION_REF: "the floor with its child in its own session",
            SIGNALFD_REF: "and a blocking read of a signalfd for sigwaitinfo",
            EPOLL_REF: "and epoll_wait, then a read of the signalfd",
            LIBEV_REF: "the floor built as sexton must be: libev, signalfd, own session"}
    return "".join(f" Control: {c} ({what[c]}) / {REF} = {ratio(values[c], values[REF])}."
                   for c in CONTROLS if values.get(c) is not None and values.get(REF))


def table(header, rows, left=("init", "binary", "linkage")):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if h in left else "---:" for h in header) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(lines)


def bootstrap_ratio(xs, ys, rounds=2000):
    """95 % interval of median(xs) / median(ys), resampling each list."""
    if not xs or not ys:
        return None
    rng = random.Random(1)
    rs = sorted(median(rng.choices(xs, k=len(xs))) / median(rng.choices(ys, k=len(ys)))
                for _ in range(rounds))
    return rs[int(0.025 * rounds)], rs[int(0.975 * rounds) - 1]


def interval_line(values, samples, unit_label, over="the runs"):
    """For each of OURS: its ratio to the floor and to the best peer, with
    the 95 % bootstrap interval of each, so that a difference smaller than
    the noise reads as one."""
    peers = {k: v for k, v in values.items() if k in PEERS and v is not None}
    parts = []
    bp = min(peers, key=peers.get) if peers else None
    for o in OURS:
        for other in (REF, bp):
            if values.get(o) is None or values.get(other) is None:
                continue
            iv = bootstrap_ratio(samples[o], samples[other])
            parts.append(f"{o} / {other} = {ratio(values[o], values[other])} "
                         f"(95 % interval {iv[0]:.2f}–{iv[1]:.2f})")
    return (f"Ratios of the median {unit_label}, with a bootstrap interval over {over}: "
            + "; ".join(parts) + ".") if parts else ""


def paired_diff(xs, ys, seed):
    """Median of the paired differences xs[k] - ys[k] (blocks where either
    is None skipped) and its 95 % bootstrap interval; None under 4 pairs."""
    d = [a - b for a, b in zip(xs, ys) if a is not None and b is not None]
    if len(d) < 4:
        return None
    rng = random.Random(seed)
    bs = sorted(median(rng.choices(d, k=len(d))) for _ in range(2000))
    return median(d), bs[50], bs[1949]


def init_named(item):
    """NAME, or NAME=PATH: another build (e.g. another commit's), started
    like sexton and added to INITS. Returns NAME."""
    name, _, path = item.partition("=")
    if path:
        INITS[name] = (os.path.abspath(path), ["--"])
    return name


def version_of(name):
    """Which of OURS an added build is a version of (sexton-static-abc123:
    sexton-static), or None."""
    base = name.rsplit("-", 1)[0]
    return base if base in OURS else None


def paired_line(G):
    """Launch k of every init runs back to back (in a fresh random order per
    launch), so the launch is a block: the median over the launches of
    each pair's difference of launch medians, with a bootstrap interval,
    takes out what drifts between launches (placement, the VM's load).
    Each of ours is paired with the best peer (by median), the epoll and
    libev control rows, and any binary added with --inits NAME=PATH."""
    peers = {k: median(G[k]["us"]) for k in PEERS if k in G and G[k]["us"]}
    best = [min(peers, key=peers.get)] if peers else []
    extra = [k for k in G if k not in OURS and k not in PEERS and k != REF and k not in CONTROLS]
    parts = []
    for o in OURS:
        # An added build pairs with the one it is a version of
        # (sexton-static-abc123 with sexton-static), or, if none, with each.
        mine = [k for k in extra if version_of(k) in (o, None)]
        for c in best + [EPOLL_REF, LIBEV_REF] + mine:
            if o not in G or c not in G:
                continue
            r = paired_diff(G[o]["per_launch_median"], G[c]["per_launch_median"], 2)
            if r:
                parts.append(f"{o} − {c} = {r[0]:+.1f} µs (95 % interval {r[1]:+.1f} to {r[2]:+.1f})")
    return ("Paired by launch (median over the launches of the difference of launch "
            "medians): " + "; ".join(parts) + ".") if parts else ""


def overhead_paired_line(by_rep, overhead):
    """Each repetition runs every init once, in a fresh order: the median of
    the per-repetition differences to the best peer, with a bootstrap
    interval, takes out what drifts during the run."""
    peers = {k: v for k, v in overhead.items() if k in PEERS and v is not None}
    if not peers or not by_rep:
        return ""
    bp = min(peers, key=peers.get)
    parts = []
    for o in OURS:
        if o not in by_rep or bp not in by_rep:
            continue
        ms = lambda xs: [x / 1e3 if x is not None else None for x in xs]
        r = paired_diff(ms(by_rep[o]), ms(by_rep[bp]), 3)
        if r:
            parts.append(f"{o} − {bp} = {r[0]:+.3f} ms (95 % interval {r[1]:+.3f} to {r[2]:+.3f})")
    return ("Paired by repetition (median of the per-repetition differences of wall "
            "time to the best peer): " + "; ".join(parts) + ".") if parts else ""


def storm_tables(S, inits, P, nwaves, title, what, wave_runs=None):
    runs = P["storm_runs"]
    wave_runs = wave_runs or runs
    inits = list(inits) + [i for i in CONTROLS if i in S]
    out = [f"## {title} ({runs} runs)", "", what + " Single wave: median, min and max over "
           "the runs (the min/max spread shows how bimodal it is).", ""]
    med = {i: median(S[i]["single_us"]) for i in inits}
    ref = med.get(REF)
    rows = []
    for i in inits:
        xs = S[i]["single_us"]
        rows.append([i, fmt(med[i] and med[i] / 1e3, 1), fmt(xs and min(xs) / 1e3, 1),
                     fmt(xs and max(xs) / 1e3, 1), ratio(med[i], ref), f"{len(xs)}/{runs}"])
    out += [table(["init", "median ms", "min ms", "max ms", "× ref", "ok runs"], rows), "",
            best_peer_line({i: med[i] and med[i] / 1e3 for i in inits}, "ms", 1), ""]
    out += [f"### The same as {nwaves} waves of {P['wave_n']} ({wave_runs} runs)", "",
            "Per run: the sum of the wave times and the median wave; the table gives the "
            "median of each over the runs, and the quartiles of the sums.", ""]
    run_sums = {i: [sum(w) / 1e3 for w in S[i]["waves_us"]] for i in inits}
    sums = {i: median(run_sums[i]) for i in inits}
    pw = {i: median([median(w) for w in S[i]["waves_us"]]) for i in inits}
    rows = [[i, fmt(sums[i], 2), quartiles(run_sums[i]), fmt(pw[i], 0),
             ratio(sums[i], sums.get(REF)), ratio(pw[i], pw.get(REF)),
             f"{len(S[i]['waves_us'])}/{wave_runs}"] for i in inits]
    out += [table(["init", "sum ms", "sum quartiles ms", "median wave µs", "× ref (sum)",
                   "× ref (wave)", "ok runs"], rows), "",
            best_peer_line(sums, "ms", 2, "sum") + control_note(sums), "",
            interval_line(sums, run_sums, "sums"), ""]
    errs = [f"{i}: {e}" for i in inits for e in S[i]["errors"]]
    if errs:
        out += ["Errors: " + "; ".join(errs[:10]), ""]
    return out


def quartiles(xs):
    if len(xs) < 4:
        return "—"
    q = statistics.quantiles(xs, n=4)
    return f"{q[0]:,.1f}–{q[2]:,.1f}"


def report(meta, R, inits, P):
    out = [f"# sexton benchmark results{' (QUICK mode: indicative only)' if meta['quick'] else ''}",
           "",
           f"{meta['date']} · kernel {meta['kernel']} · {meta['cpu']} × {meta['ncpu']} CPUs · "
           f"load average at start {meta['loadavg']} · {meta['mode']}",
           "",
           f"sexton measured: {meta.get('sexton_build', 'unknown')}",
           "",
           f"Repetitions: {meta['reps']}",
           ""]
    ref_note = f"× ref = ratio to {REF} (bench/refreaper.c, the floor); lower is better everywhere."
    skipped = meta.get("skipped")
    if skipped:
        out += [f"Not measured (not installed / not built): {', '.join(skipped)}.", ""]

    if "storm" in R:
        out += storm_tables(
            R["storm"], inits, P, P["waves"],
            f"Reap storm: {P['storm_n']:,} orphans at once",
            "Time from the release of the orphans (all exit at once) until /proc lists none "
            "of them: their exits and the init's reaping, interleaved.", P["wave_runs"])
    if "drain" in R:
        out += storm_tables(
            R["drain"], inits, P, P["drain_waves"],
            f"Drain: {P['storm_n']:,} zombies already there",
            "The init is SIGSTOPped while the orphans exit; time from SIGCONT until /proc "
            "lists none of them: one wake-up and the reaping loop alone.")
    if "overhead" in R:
        O = R["overhead"]["wall_us"]
        none = median(O["(none)"])
        out += [f"## Start+exit overhead: `INIT -- /bin/true` ({P['overhead_reps']} runs each)", "",
                "Wall time of `unshare --pid --fork --mount-proc --kill-child INIT -- /bin/true` "
                f"minus the median without an init ({fmt(none and none / 1e3, 3)} ms).", ""]
        ov = {i: (median(O[i]) - none) if O.get(i) and none is not None else None for i in inits}
        rows = [[i, fmt(median(O[i]) / 1e3 if O.get(i) else None, 3),
                 fmt(ov[i] and ov[i] / 1e3, 3), ratio(ov[i], ov.get(REF)),
                 f"{len(O[i])}/{P['overhead_reps']}"] for i in inits]
        out += [table(["init", "median wall ms", "overhead ms", "× ref", "ok runs"], rows), "",
                best_peer_line({i: ov[i] and ov[i] / 1e3 for i in inits}, "ms", 3, "overhead"), ""]
        line = overhead_paired_line(R["overhead"].get("by_rep"), ov)
        if line:
            out += [line, ""]

    for key, title in (("signal_free", "free"), ("signal_pinned", "everything on CPU 0"),
                       ("signal_pinned_session",
                        "everything on CPU 0, the init leading a session as in a container"),
                       ("signal_pinned_cgroup",
                        "everything on CPU 0, the init leading a session in a cpu cgroup of its "
                        "own, as Docker runs a container")):
        if key not in R:
            continue
        G = R[key]
        out += [f"## Signal forwarding latency, {title} ({P['signal_samples']} signals each)", "",
                "From the harness's CLOCK_MONOTONIC just before `kill(init, SIGUSR1)` to the "
                f"child's handler reading it; {P['signal_launches']} launches of each init, "
                "signals 3–7 ms apart, 5 warm-up signals per launch not counted."
                + (" Each init is started under `setsid`, so it leads a session (and, with "
                   "autogroup scheduling, a scheduling group) of its own, as runc makes a "
                   "container's init; elsewhere it shares the harness's session."
                   if key == "signal_pinned_session" else "")
                + (" Each namespace also runs in a cpu cgroup of its own (the sender stays "
                   "outside, as `docker kill` does). Autogroup scheduling applies only to the "
                   "root cgroup, so here a new session is no scheduling group of its own."
                   if key == "signal_pinned_cgroup" else ""), ""]
        names = list(inits) + [i for i in CONTROLS if i in G]
        med = {i: median(G[i]["us"]) for i in names if i in G}
        rows = []
        for i in names:
            g = G.get(i, {"us": [], "error": "not run"})
            rows.append([i, fmt(median(g["us"]), 1), fmt(pct(g["us"], 90), 1),
                         ratio(med.get(i), med.get(REF)),
                         " ".join(fmt(x, 0) for x in g.get("per_launch_median", [])),
                         g["error"][:60] if g.get("error") else f"{len(g['us'])}"])
        out += [table(["init", "median µs", "p90 µs", "× ref", "median per launch µs",
                       "samples"], rows), "",
                best_peer_line(med, "µs", 1), ""]
        out[-2] += control_note(med)
        out += [interval_line(med, {i: G[i]["us"] for i in G}, "latencies", "the signals"), "",
                paired_line(G), ""]

    if "idle" in R:
        I = R["idle"]
        out += [f"## Idle: init with a sleeping child, over {P['idle_s']:.0f} s", "",
                "Context switches (voluntary + involuntary, /proc/PID/status), CPU time "
                "(utime+stime, /proc/PID/stat, 1/%d s ticks) and time on CPU "
                "(/proc/PID/schedstat)." % CLK_TCK, ""]
        rows = []
        for i in inits:
            d = I.get(i, {"error": "not run"})
            if "error" in d:
                rows.append([i, d["error"], "", ""])
            else:
                rows.append([i, d["switches"], fmt(d["cpu_ms"], 0), fmt(d["oncpu_us"], 1)])
        out += [table(["init", "switches", "CPU ms", "on-CPU µs"], rows), "",
                best_peer_line({i: I[i].get("switches") for i in inits if i in I},
                               "switches", 0, f"in {P['idle_s']:.0f} s"), ""]
        if R.get("long_idle"):
            for i, d in R["long_idle"].items():
                if "error" in d:
                    out += [f"{i} alone over {P['long_idle_s']:.0f} s: {d['error']}."]
                else:
                    out += [f"**{i} alone over {d['seconds']:.0f} s: {d['switches']} context "
                            f"switches, {fmt(d['cpu_ms'], 0)} ms CPU, {fmt(d['oncpu_us'], 1)} µs "
                            f"on CPU** (started before the other benchmarks, read after them)."]
            out += [""]

    if "rss" in R:
        I = R["rss"]
        out += ["## Idle memory of the init (sleeping child)", "",
                "VmRSS (/proc/PID/status) counts every resident page the init maps, the "
                "shared libc and libev pages of a dynamic binary included (they cost nothing "
                "extra when another process already uses them). RssAnon is the private "
                "part (heap, stack, data): the real cost of one more instance.", ""]
        rss = {i: I[i].get("rss_kb") for i in inits if i in I}
        anon = {i: I[i].get("rss_anon_kb") for i in inits if i in I}
        rows = [[i, fmt(rss.get(i)), fmt(anon.get(i)), fmt(I.get(i, {}).get("rss_file_kb")),
                 ratio(rss.get(i), rss.get(REF)), ratio(anon.get(i), anon.get(REF))]
                for i in inits]
        out += [table(["init", "VmRSS kB", "RssAnon kB", "RssFile kB", "× ref (RSS)",
                       "× ref (anon)"], rows), "",
                best_peer_line(rss, "kB", 0, "VmRSS"), "",
                best_peer_line(anon, "kB", 0, "RssAnon"), ""]

    if "size" in R:
        Z = R["size"]
        out += ["## Binary size", "",
                "`stat` size of the file run. Dynamic ones also need the shared libraries "
                "listed (not counted).", ""]
        names = list(inits) + (["refreaper-static"] if "refreaper-static" in Z else [])

        def lean(z):  # the peers ship stripped: compare like with like
            return z.get("stripped_bytes", z["bytes"]) if z else None
        rows = []
        for i in names:
            z = Z[i]
            static = z["libs"] == []
            link = "static" if static else \
                ("dynamic: " + ", ".join(z["libs"]) if z["libs"] else "?")
            ref = Z.get("refreaper-static" if static else REF)
            rows.append([i, fmt(z["bytes"]), fmt(z.get("stripped_bytes")), link,
                         ratio(lean(z), lean(ref))])
        out += [table(["binary", "bytes", "stripped", "linkage", "× ref"], rows), "",
                "× ref compares stripped sizes: dynamic binaries with refreaper, static ones "
                "with refreaper linked statically. `stripped` is given for the binaries built "
                "here (`make` keeps -g in build/sexton); the Debian ones are stripped already.",
                ""]
        stat_peers = {i: Z[i]["bytes"] for i in inits if i in PEERS and Z[i]["libs"] == []}
        if stat_peers and "sexton-static" in Z:
            bp = min(stat_peers, key=stat_peers.get)
            out += [f"Smallest static peer: **{bp}** ({fmt(stat_peers[bp])} bytes); sexton-static / "
                    f"{bp} = {ratio(Z['sexton-static']['bytes'], stat_peers[bp])}.", ""]
        dyn_peers = {i: Z[i]["bytes"] for i in inits if i in PEERS and Z[i]["libs"]}
        if dyn_peers and "sexton" in Z:
            bp = min(dyn_peers, key=dyn_peers.get)
            s = Z["sexton"].get("stripped_bytes", Z["sexton"]["bytes"])
            out += [f"Smallest dynamic peer: **{bp}** ({fmt(dyn_peers[bp])} bytes); sexton "
                    f"(stripped) / {bp} = {ratio(s, dyn_peers[bp])}.", ""]
    out += [ref_note, ""]
    return "\n".join(out)


# ---------------------------------------------------------------- main

def cpu_model():
    for line in (read("/proc/cpuinfo") or "").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def build_info():
    """Which sexton was measured: git HEAD (and whether the tree was dirty)
    and the binaries' modification times."""
    parts = []
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "src", "include"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        if head:
            parts.append(f"git {head}" + (" + uncommitted changes in src/include" if dirty else ""))
    except (OSError, subprocess.SubprocessError):
        pass
    for i in OURS:
        try:
            t = os.stat(INITS[i][0]).st_mtime
            parts.append(f"{os.path.basename(INITS[i][0])} built "
                         f"{datetime.datetime.fromtimestamp(t).strftime('%Y-%m-%d %H:%M')}")
        except OSError:
            pass
    return ", ".join(parts) or "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small N, few repetitions (< 1 min)")
    ap.add_argument("--only", help="metrics: " + ",".join(METRICS))
    ap.add_argument("--inits", help="inits: " + ",".join(INITS) +
                    "; NAME=PATH adds a binary started like sexton (e.g. another commit's build)")
    ap.add_argument("--storm-mode", choices=("clone", "fork"), default="clone",
                    help="how stormdriver makes orphans (fork: ~1 ms each here, slow)")
    ap.add_argument("--out", help="output prefix (default bench/results or bench/results-quick)")
    ap.add_argument("--sexton", help="sexton binary (default build/sexton)")
    a = ap.parse_args()
    if a.sexton:
        INITS["sexton"] = (os.path.abspath(a.sexton), ["--"])

    if os.geteuid() != 0:
        print("bench: must run as root (unshare --pid)", file=sys.stderr)
        return 1
    P = dict(QUICK if a.quick else FULL)
    metrics = METRICS
    if a.only:
        metrics = tuple(m.strip() for m in a.only.split(",") if m.strip())
        bad = [m for m in metrics if m not in METRICS]
        if bad:
            print(f"bench: unknown metric(s) {bad}; known: {','.join(METRICS)}", file=sys.stderr)
            return 2
    supervisors = "supervisors" in metrics
    metrics = tuple(m for m in metrics if m != "supervisors")
    if not metrics:
        return run_supervisors(a)
    wanted = list(INITS)
    if a.inits:
        wanted = [init_named(i.strip()) for i in a.inits.split(",") if i.strip()]
        bad = [i for i in wanted if i not in INITS]
        if bad:
            print(f"bench: unknown init(s) {bad}; known: {','.join(INITS)}", file=sys.stderr)
            return 2
        if REF not in wanted:
            wanted.append(REF)  # ratios need the floor

    r = subprocess.run(["make", "-s", "-C", ROOT] +
                       [os.path.join("build", "bench", h) for h in HELPERS],
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        log(f"warning: building the bench helpers failed:\n{r.stdout}{r.stderr}")
    missing_helpers = [h for h in HELPERS if not os.access(os.path.join(BENCH_BIN, h), os.X_OK)]
    if missing_helpers:
        print(f"bench: helpers missing: {missing_helpers}", file=sys.stderr)
        return 1
    inits, skipped = [], []
    for i in wanted:
        if os.access(INITS[i][0], os.X_OK):
            inits.append(i)
        else:
            log(f"warning: {i}: {INITS[i][0]} not found, skipped")
            skipped.append(i)
    for tool in ("unshare", "taskset"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            print(f"bench: {tool} (util-linux) is missing", file=sys.stderr)
            return 1

    reps = []
    if "storm" in metrics:
        reps.append(f"storm {P['storm_n']} orphans × {P['storm_runs']} runs and "
                    f"{P['waves']} waves of {P['wave_n']} × {P['wave_runs']} runs "
                    f"({a.storm_mode} orphans)")
    if "drain" in metrics:
        reps.append(f"drain {P['storm_n']} zombies × {P['storm_runs']} runs and "
                    f"{P['drain_waves']} waves of {P['wave_n']} × {P['storm_runs']} runs")
    if "overhead" in metrics:
        reps.append(f"start+exit {P['overhead_reps']} runs")
    if "signal" in metrics:
        reps.append(f"signal {P['signal_samples']} signals free + {P['signal_samples']} pinned, "
                    f"each over {P['signal_launches']} launches")
    if "idle" in metrics or "rss" in metrics:
        reps.append(f"idle {P['idle_s']:.0f} s once"
                    + (f", sexton alone {P['long_idle_s']:.0f} s" if "idle" in metrics else ""))
    meta = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "kernel": platform.release(), "cpu": cpu_model(), "ncpu": os.cpu_count(),
            "loadavg": " ".join((read("/proc/loadavg") or "? ? ?").split()[:3]),
            "quick": a.quick, "mode": "quick mode" if a.quick else "full mode",
            "reps": "; ".join(reps), "params": P, "inits": inits, "skipped": skipped,
            "metrics": list(metrics), "storm_mode": a.storm_mode}
    meta["sexton_build"] = build_info()
    log(f"inits: {', '.join(inits)}; metrics: {', '.join(metrics)}; {meta['mode']}")
    t_start = time.monotonic()

    R = {}
    long_idle = start_long_idle(inits, P) if "idle" in metrics else {}
    try:
        if "size" in metrics:
            R["size"] = bench_size(inits)
        if "storm" in metrics:
            R["storm"] = bench_storm(inits + controls_for("storm", inits), P, a.storm_mode)
        if "drain" in metrics:
            R["drain"] = bench_drain(inits, P, a.storm_mode)
        if "overhead" in metrics:
            R["overhead"] = bench_overhead(inits, P)
        if "signal" in metrics:
            sig_inits = inits + controls_for("signal", inits)
            R["signal_free"] = bench_signal(sig_inits, P, pin=False)
            R["signal_pinned"] = bench_signal(sig_inits, P, pin=True)
            R["signal_pinned_session"] = bench_signal(sig_inits, P, pin=True, session=True)
            cgroup = cpu_cgroup()
            if cgroup:
                try:
                    R["signal_pinned_cgroup"] = bench_signal(sig_inits, P, pin=True, session=True,
                                                             cgroup=cgroup)
                finally:
                    remove_cgroup(cgroup)
            else:
                log("warning: no cpu cgroup controller: no signal rows in a cgroup")
        if "idle" in metrics or "rss" in metrics:
            idle = bench_idle(inits, P)
            if "idle" in metrics:
                R["idle"] = idle
            if "rss" in metrics:
                R["rss"] = idle
    finally:
        if long_idle:
            R["long_idle"] = finish_long_idle(long_idle, P)
    meta["elapsed_s"] = round(time.monotonic() - t_start, 1)

    prefix = a.out or os.path.join(HERE, "results-quick" if a.quick else "results")
    with open(prefix + ".json", "w") as f:  # raw samples first: a report bug loses nothing
        json.dump({"meta": meta, "results": R}, f, indent=1, default=str)
    md = report(meta, R, inits, P)
    md += f"\nWhole run: {meta['elapsed_s']:.0f} s.\n"
    with open(prefix + ".md", "w") as f:
        f.write(md)
    print(md)
    log(f"done in {meta['elapsed_s']:.0f} s: {prefix}.md, {prefix}.json")
    return run_supervisors(a) if supervisors else 0


def run_supervisors(a):
    import supervisors  # bench/supervisors.py, next to this file
    return supervisors.main((["--quick"] if a.quick else []) +
                            (["--sexton", a.sexton] if a.sexton else []))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
