#!/usr/bin/python3
"""sexton as a service supervisor against runit, s6 and supervisord: each
given N services of bench/pause.c, one supervisor at a time, as ordinary
processes (no PID namespace): start, restart, idle, status (sextonctl,
sv, s6-svstat, supervisorctl, timed by bench/timecmd.c) and stop.

    /usr/bin/python3 bench/supervisors.py            # full: N = 100 and 1000 (< 20 min)
    /usr/bin/python3 bench/supervisors.py --quick    # N = 20 and 100, few repetitions (~1.5 min)
    /usr/bin/python3 bench/supervisors.py --n 100 --supervisors sexton,runit

Also run by `bench/run.py` (metric `supervisors`, last). Progress on stderr;
tables on stdout and in bench/results-supervisors.md (raw samples:
bench/results-supervisors.json); --quick writes
bench/results-supervisors-quick.{md,json}. See bench/README.md, section
"Supervisors", for what is measured and the caveats. Standard library only.
"""

import argparse
import ctypes
import datetime
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402  (the helpers and the style of the init benchmark)

HERE, ROOT, BENCH_BIN = R.HERE, R.ROOT, R.BENCH_BIN
PAUSE_SRC = os.path.join(HERE, "pause.c")
PAUSE_BIN = os.path.join(BENCH_BIN, "pause")
PAUSE_COMM = "pause"
TIMECMD_SRC = os.path.join(HERE, "timecmd.c")
TIMECMD_BIN = os.path.join(BENCH_BIN, "timecmd")

SUPERVISORS = ("sexton", "runit", "s6", "supervisord")
OURS = ("sexton",)
PEERS = ("runit", "s6", "supervisord")
TOOLS = {"runit": ["/usr/bin/runsvdir", "/usr/bin/runsv"],
         "s6": ["/usr/bin/s6-svscan", "/usr/bin/s6-supervise", "/usr/bin/s6-svscanctl"],
         "supervisord": ["/usr/bin/supervisord"]}
# The status clients (the status metric is skipped for a supervisor without).
STATUS_TOOLS = {"runit": ["/usr/bin/sv"], "s6": ["/usr/bin/s6-svstat"],
                "supervisord": ["/usr/bin/supervisorctl"]}

# restart_timeout: seconds to wait for one replacement; restart_give_up:
# timeouts in a row before a row is abandoned. stop_timeout(n) = stop_base +
# stop_per * n seconds: supervisord stops its programs one at a time, about
# one per second (its poll timeout), and would take ~10 min for 1000, so it
# is measured once per N up to that limit and reported as "> limit".
# status_runs: timed runs of the full status (status_slow_runs when the
# warm-up run took more than status_slow_s: supervisorctl, the s6-svstat
# loop at N = 1000); status_one: single-service round trips.
FULL = dict(ns=[100, 1000], start_reps={100: 5, 1000: 3}, restart_samples=30, idle_s=10.0,
            settle_s=2.0, restart_timeout=5.0, restart_give_up=2, stop_base=20.0,
            stop_per=0.05, status_runs=10, status_slow_runs=5, status_slow_s=0.5,
            status_one=30, floor_runs=30)
QUICK = dict(ns=[20, 100], start_reps={20: 2, 100: 2}, restart_samples=3, idle_s=2.0,
             settle_s=0.3, restart_timeout=3.0, restart_give_up=1, stop_base=5.0,
             stop_per=0.03, status_runs=5, status_slow_runs=3, status_slow_s=0.5,
             status_one=10, floor_runs=10)

PR_SET_CHILD_SUBREAPER = 36

log, now_ns, read, median, pct, fmt, ratio, table = \
    R.log, R.now_ns, R.read, R.median, R.pct, R.fmt, R.ratio, R.table


def start_timeout(n):
    return 30.0 + 0.15 * n     # 180 s for 1000 (supervisord needs ~50 s here)


def stop_timeout(n, P):
    return P["stop_base"] + P["stop_per"] * n


# ---------------------------------------------------------------- /proc

def parse_stat(s):
    """(comm, ppid, state) from the text of /proc/PID/stat."""
    i = s.rindex(")")
    f = s[i + 2:].split(None, 2)
    return s[s.index("(") + 1:i], int(f[1]), f[0]


def stat_of(pid):
    s = read(f"/proc/{pid}/stat")
    return parse_stat(s) if s else None


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def full_scan():
    """pid -> (comm, ppid, state) for every process."""
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = stat_of(d)
            if st:
                out[int(d)] = st
    return out


def descendants(procs, root):
    kids = {}
    for pid, (_, ppid, _) in procs.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        for c in kids.get(p, ()):
            out.append(c)
            todo.append(c)
    return out


class ProcWatch:
    """An incremental view of /proc, cheap enough to poll every few ms with
    thousands of processes: each poll lists /proc, but reads the stat of a
    process only until it is settled for good: a `pause` (it exec'd; its
    service tag is read from its cmdline once), a helper of the supervisor
    (comm in `helpers`, parent the supervisor), or anything outside the
    supervisor's tree (a process never moves into another subtree). What is
    in between (a fork that has not exec'd yet, a run script's shell) is
    read again at every poll. A pid that leaves the listing is forgotten, so
    reuse (pid_max is 32768 here) is only missed if a pid is freed and
    handed out again between two polls."""

    def __init__(self, helpers=()):
        self.helpers = set(helpers)
        self.root = None
        self.final = {}     # pid -> (comm, ppid)
        self.tag = {}       # pid of a settled pause -> its first argument
        self.cur = {}       # unsettled pid -> (comm, ppid, state), this poll
        self.poll()         # everything there before the launch settles now

    def poll(self):
        live = {int(d) for d in os.listdir("/proc") if d.isdigit()}
        for pid in [p for p in self.final if p not in live]:
            del self.final[pid]
            self.tag.pop(pid, None)
        cur = {}
        for pid in live:
            if pid not in self.final:
                st = stat_of(pid)
                if st:
                    cur[pid] = st
        self.cur = cur
        memo = {}
        for pid, (comm, ppid, _) in cur.items():
            if comm == PAUSE_COMM:
                # execve sets the new comm before the new argv is in place:
                # a pause without its argument yet is read again next poll.
                args = cmdline(pid)
                if len(args) > 1 and args[1]:
                    self.tag[pid] = args[1].decode(errors="replace")
                    self.final[pid] = (comm, ppid)
            elif self.root is None or not self._in_tree(pid, memo):
                self.final[pid] = (comm, ppid)
            elif comm in self.helpers and ppid == self.root:
                self.final[pid] = (comm, ppid)
        return live

    def _ppid(self, pid):
        v = self.final.get(pid) or self.cur.get(pid)
        return v[1] if v else 0

    def _in_tree(self, pid, memo):
        path = []
        ok = False
        p = pid
        while p > 1:
            if p == self.root:
                ok = True
                break
            if p in memo:
                ok = memo[p]
                break
            path.append(p)
            p = self._ppid(p)
        for q in path:
            memo[q] = ok
        return ok

    def pauses_in_tree(self):
        memo = {}
        return [p for p, (comm, _) in self.final.items()
                if comm == PAUSE_COMM and self._in_tree(p, memo)]

    def pauses_tagged(self, prefix):
        return [p for p, t in self.tag.items() if t.startswith(prefix)]


# ---------------------------------------------------------------- processes

def set_subreaper(on):
    """Orphans of the supervision tree (e.g. runsv after runsvdir exits on
    SIGHUP, services after a SIGKILLed supervisor) come to us, not to PID 1:
    nothing can escape the clean-up."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_children(sup=None):
    """Reap every child of ours that has exited: the supervisor (its status
    goes to its Popen) and the orphans of its tree that fell to us."""
    while True:
        try:
            pid, st = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if sup is not None and sup.p is not None and pid == sup.p.pid \
                and sup.p.returncode is None:
            sup.p.returncode = os.waitstatus_to_exitcode(st)


class Supervisor:
    """One launch of one supervisor with n services, in its own temporary
    directory. Subclasses write the configuration and know how to stop."""
    name = "?"
    helpers = ()

    def __init__(self, n, tag, opts):
        self.n, self.tag, self.opts = n, tag, opts
        self.dir = tempfile.mkdtemp(prefix="sxb-")
        # The services run DIR/pause (a symlink): short config lines whatever
        # the repository's path, and the same comm everywhere.
        self.pause = os.path.join(self.dir, "pause")
        os.symlink(PAUSE_BIN, self.pause)
        self.p = None
        self.pid = None
        self.logf = None
        self.status_ok = self.name in getattr(opts, "status_sups", ())

    def svc_tag(self, i):
        return f"{self.tag}-{i}"

    def prepare(self):
        pass

    def argv(self):
        raise NotImplementedError

    def launch(self):
        self.logf = open(os.path.join(self.dir, "output.log"), "wb")
        self.p = subprocess.Popen(self.argv(), cwd=self.dir, stdin=subprocess.DEVNULL,
                                  stdout=self.logf, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        self.pid = self.p.pid

    def request_stop(self):
        os.kill(self.pid, signal.SIGTERM)

    # The status metric: the argv that shows every service, the one that
    # shows service i, and the check of an answer (None if it is right,
    # else what is wrong: a failed client must not count as a fast one).
    def status_all_argv(self):
        raise NotImplementedError

    def status_one_argv(self, i):
        raise NotImplementedError

    def status_lines(self, count):
        """The answer's lines for `count` services (a header is added by
        a client that prints one)."""
        return count

    def status_check(self, out, want):
        """out: the client's stdout; want: the service indices it must
        show, each as up. None if so, else the first problem."""
        names = self.status_names(out)
        if isinstance(names, str):
            return names
        exp = {f"s{i}" for i in want}
        if set(names) != exp or len(names) != len(exp):
            miss = sorted(exp - set(names))[:3]
            return f"{len(names)} services up in the answer, want {len(exp)}" + \
                (f" (missing {', '.join(miss)})" if miss else "")
        return None

    def status_names(self, out):
        raise NotImplementedError

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def output_tail(self, n=300):
        try:
            with open(os.path.join(self.dir, "output.log"), "rb") as f:
                return f.read()[-n:].decode(errors="replace").strip()
        except OSError:
            return ""

    def cleanup(self):
        """SIGKILL the whole tree (supervisor and helpers first, so that
        nothing restarts, then the services) and everything that fell to
        us; returns the pause processes of this launch still there."""
        me = os.getpid()
        for _ in range(20):
            procs = full_scan()
            mine = set(descendants(procs, me))
            if self.pid in procs:
                mine.add(self.pid)
            mine.discard(me)
            live = [p for p in mine if procs[p][2] != "Z"]
            if not live:
                break
            first = [p for p in live if procs[p][0] != PAUSE_COMM]
            for group in (first, [p for p in live if procs[p][0] == PAUSE_COMM]):
                for p in group:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            time.sleep(0.05)
            reap_children(self)
        else:
            log(f"warning: {self.name}: processes survived 20 rounds of SIGKILL")
        reap_children(self)
        mark = (self.tag + "-").encode()
        left = [p for p, (comm, _, st) in full_scan().items()
                if comm == PAUSE_COMM and st != "Z" and
                any(a.startswith(mark) for a in cmdline(p)[1:2])]
        if self.logf:
            self.logf.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return left


class Sexton(Supervisor):
    name = "sexton"

    def prepare(self):
        # The second half of the services restarts without delay: the
        # restart table has a row for the default (restart_delay = 1) and one
        # for restart_delay = opts.sexton_fast_delay. Nothing else differs.
        self.fast_from = self.n // 2
        lines = ["[sexton]", f"socket = {os.path.join(self.dir, 'sexton.sock')}", ""]
        for i in range(self.n):
            lines += [f"[service:s{i}]", f"command = {self.pause} {self.svc_tag(i)}"]
            if i >= self.fast_from:
                lines.append(f"restart_delay = {self.opts.sexton_fast_delay}")
            lines.append("")
        assert max(len(x) for x in lines) < 200, "sexton.conf: a line is too long for inih"
        self.conf = os.path.join(self.dir, "sexton.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines))

    def argv(self):
        return [self.opts.sexton, "-c", self.conf]

    def status_all_argv(self):
        return [self.opts.sextonctl, "-S", os.path.join(self.dir, "sexton.sock"), "status"]

    def status_one_argv(self, i):
        return self.status_all_argv() + [f"s{i}"]

    def status_lines(self, count):
        return count + 1  # NAME STATE PID UPTIME RESTARTS READY STATUS

    def status_names(self, out):
        lines = out.splitlines()
        if not lines or not lines[0].startswith("NAME"):
            return f"no table header: {out[:80]!r}"
        return [w[0] for w in (x.split() for x in lines[1:])
                if len(w) > 1 and w[1] == "running"]


class ServiceDirs(Supervisor):
    """runit and s6: a directory of service directories with run scripts."""

    def prepare(self):
        self.scan = os.path.join(self.dir, "service")
        os.mkdir(self.scan)
        for i in range(self.n):
            d = os.path.join(self.scan, f"s{i}")
            os.mkdir(d)
            run = os.path.join(d, "run")
            with open(run, "w") as f:
                f.write(f"#!/bin/sh\nexec {self.pause} {self.svc_tag(i)}\n")
            os.chmod(run, 0o755)

    def svc_dirs(self):
        # The order of the shell's DIR/* (the C locale's byte order here).
        return sorted(os.path.join(self.scan, f"s{i}") for i in range(self.n))


class Runit(ServiceDirs):
    name = "runit"
    helpers = ("runsv",)

    def prepare(self):
        super().prepare()
        # runsvdir skips a service directory modified in the current second
        # (and rescans only every 5 s): let the second pass, not counted.
        time.sleep(1.05)

    def argv(self):
        return ["/usr/bin/runsvdir", self.scan]

    def request_stop(self):
        # runsvdir(8): on HUP it sends TERM to each runsv and exits 111;
        # runsv(8): TERM = `x`, TERM+CONT to the service, exit once it is down.
        os.kill(self.pid, signal.SIGHUP)

    def status_all_argv(self):
        # `sv status DIR/*`: one sv with N arguments (expanded here, not by
        # a shell).
        return ["/usr/bin/sv", "status"] + self.svc_dirs()

    def status_one_argv(self, i):
        return ["/usr/bin/sv", "status", os.path.join(self.scan, f"s{i}")]

    def status_names(self, out):
        # run: /tmp/sxb-x/service/s0: (pid 123) 5s
        return [os.path.basename(x.split(":")[1].strip()) for x in out.splitlines()
                if x.startswith("run: ") and x.count(":") >= 2]


class S6(ServiceDirs):
    name = "s6"
    helpers = ("s6-supervise",)

    def argv(self):
        return ["/usr/bin/s6-svscan", "-c", str(max(500, 2 * self.n)), self.scan]

    def request_stop(self):
        # s6-svscanctl -t: SIGTERM to every s6-supervise (each brings its
        # service down and exits), then s6-svscan exits.
        subprocess.run(["/usr/bin/s6-svscanctl", "-t", self.scan], timeout=30,
                       stdin=subprocess.DEVNULL, capture_output=True)

    def status_all_argv(self):
        # s6 has no "status of everything": one s6-svstat per directory.
        return ["/bin/sh", "-c",
                f"for d in {self.scan}/*; do /usr/bin/s6-svstat $d; done"]

    def status_one_argv(self, i):
        return ["/usr/bin/s6-svstat", os.path.join(self.scan, f"s{i}")]

    def status_check(self, out, want):
        # s6-svstat does not print the name: one "up (pid P) S seconds"
        # line per directory, in the order of the loop (svc_dirs()).
        lines = out.splitlines()
        up = sum(1 for x in lines if x.startswith("up (pid "))
        if len(lines) != len(want) or up != len(want):
            return f"{up} of {len(lines)} lines up, want {len(want)}"
        return None


class Supervisord(Supervisor):
    name = "supervisord"

    def prepare(self):
        d = self.dir
        lines = ["[unix_http_server]", f"file = {d}/supervisor.sock", "",
                 "[rpcinterface:supervisor]",
                 "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
                 "", "[supervisord]", "nodaemon = true", f"logfile = {d}/supervisord.log",
                 f"pidfile = {d}/supervisord.pid", f"childlogdir = {d}",
                 f"minfds = {max(1024, 4 * self.n + 64)}", "",
                 # supervisorctl's default server is http://localhost:9001
                 "[supervisorctl]", f"serverurl = unix://{d}/supervisor.sock", ""]
        for i in range(self.n):
            lines += [f"[program:s{i}]", f"command = {self.pause} {self.svc_tag(i)}",
                      "startsecs = 0", "autorestart = true",
                      "stdout_logfile = NONE", "stderr_logfile = NONE", ""]
        self.conf = os.path.join(d, "supervisord.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines))

    def argv(self):
        return ["/usr/bin/supervisord", "-n", "-c", self.conf]

    def status_all_argv(self):
        return ["/usr/bin/supervisorctl", "-c", self.conf, "status"]

    def status_one_argv(self, i):
        return self.status_all_argv() + [f"s{i}"]

    def status_names(self, out):
        # s0                               RUNNING   pid 123, uptime 0:00:05
        return [w[0] for w in (x.split() for x in out.splitlines())
                if len(w) > 1 and w[1] == "RUNNING"]


CLASSES = {"sexton": Sexton, "runit": Runit, "s6": S6, "supervisord": Supervisord}


# ---------------------------------------------------------------- one launch

def wait_all_running(sup, watch, t0, timeout):
    """Seconds from launch until n pauses are in the tree, or an error."""
    deadline = t0 + timeout * 1e9
    while True:
        ts = now_ns()
        watch.poll()
        n = len(watch.pauses_in_tree())
        t1 = now_ns()
        if n >= sup.n:
            return (t1 - t0) / 1e9, n
        if not sup.alive():
            return f"{sup.name} exited (rc {sup.p.returncode}) with {n}/{sup.n} running: " \
                   f"{sup.output_tail()}", n
        if t1 > deadline:
            return f"timeout after {timeout:.0f} s with {n}/{sup.n} running", n
        # Never more than half a CPU on polling, and less and less of it
        # on a long start: the error stays within 1 %.
        time.sleep(max(0.005, (t1 - ts) / 1e9, (t1 - t0) / 1e11))


def tree_counters(pids):
    tot = {"switches": 0, "ticks": 0, "oncpu_ns": 0}
    seen = set()
    for p in pids:
        c = R.idle_counters(p)
        if c:
            seen.add(p)
            for k in tot:
                tot[k] += c[k]
    return tot, seen


def pss_kb(pid):
    for line in (read(f"/proc/{pid}/smaps_rollup") or "").splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return None


def measure_idle(sup, idle_s):
    procs = full_scan()
    tree = [sup.pid] + [p for p in descendants(procs, sup.pid)
                        if procs[p][0] != PAUSE_COMM and procs[p][2] != "Z"]
    before, seen0 = tree_counters(tree)
    time.sleep(idle_s)
    after, seen1 = tree_counters(seen0)
    procs2 = full_scan()
    tree2 = {sup.pid} | {p for p in descendants(procs2, sup.pid)
                         if procs2[p][0] != PAUSE_COMM and procs2[p][2] != "Z"}
    pss = [pss_kb(p) for p in tree2]
    pause_pss = [pss_kb(p) for p in descendants(procs2, sup.pid) if procs2[p][0] == PAUSE_COMM]
    return {"seconds": idle_s, "processes": len(seen0),
            "processes_changed": sorted(set(seen0) ^ tree2)[:20],
            "switches": after["switches"] - before["switches"],
            "cpu_ms": (after["ticks"] - before["ticks"]) * 1000.0 / R.CLK_TCK,
            "oncpu_ms": (after["oncpu_ns"] - before["oncpu_ns"]) / 1e6,
            "pss_kb": sum(x for x in pss if x), "pss_unreadable": sum(1 for x in pss if x is None),
            "pause_pss_kb": sum(x for x in pause_pss if x)}


def children_of_pid(pid):
    """The children of PID from /proc/PID/task/*/children (one small file
    per thread), or None when PID is gone."""
    kids = set()
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            kids.update(int(x) for x in (read(f"/proc/{pid}/task/{t}/children") or "").split())
    except OSError:
        return None
    return kids


class ExecEvents:
    """The kernel's process events connector (NETLINK_CONNECTOR, CN_IDX_PROC;
    root only): one message per exec, stamped by the kernel with
    CLOCK_MONOTONIC (ktime_get_ns) at the exec itself. A restart is timed
    from the harness's clock before kill() to that stamp, so neither the
    harness's polling nor its wake-up is in the sample."""

    NETLINK_CONNECTOR, CN_IDX_PROC, LISTEN, EXEC = 11, 1, 1, 2

    def __init__(self):
        import socket
        import struct
        self.struct = struct
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, self.NETLINK_CONNECTOR)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((os.getpid(), self.CN_IDX_PROC))
        op = struct.pack("=I", self.LISTEN)
        cn = struct.pack("=IIIIHH", self.CN_IDX_PROC, 1, 0, 0, len(op), 0) + op
        self.sock.send(struct.pack("=IHHII", 16 + len(cn), 3, 0, 0, os.getpid()) + cn)
        self.sock.setblocking(False)

    @classmethod
    def open(cls):
        try:
            return cls()
        except OSError as e:
            log(f"  proc connector unavailable ({e}): restarts are timed by polling")
            return None

    def execs(self, timeout):
        """[(pid, kernel ns)] of the execs received within TIMEOUT seconds."""
        import select
        if timeout > 0 and not select.select([self.sock], [], [], timeout)[0]:
            return []
        out = []
        while True:
            try:
                data = self.sock.recv(65536)
            except BlockingIOError:
                return out
            except OSError:  # ENOBUFS: events were dropped; go on with the rest
                continue
            off = 0
            while off + 16 <= len(data):
                ln = self.struct.unpack_from("=I", data, off)[0]
                if ln < 16:
                    break
                # nlmsghdr (16) + cn_msg (20) + proc_event: what, cpu, timestamp_ns, data
                what, _, ts = self.struct.unpack_from("=IIQ", data, off + 36)
                if what == self.EXEC:
                    out.append((self.struct.unpack_from("=I", data, off + 52)[0], ts))
                off += (ln + 3) & ~3

    def close(self):
        self.sock.close()


def is_replacement(pid, tag):
    st = stat_of(pid)
    if not st or st[0] != PAUSE_COMM:
        return False
    args = cmdline(pid)
    return len(args) > 1 and args[1].decode(errors="replace") == tag


def measure_restarts(sup, services, samples, P):
    """SIGKILL the pause of each service in turn (distinct services, that
    have been up since the start); ms until its replacement has exec'd.

    Every supervisor starts the replacement as a child of the process that
    was the victim's parent (sexton, runsv, s6-supervise, supervisord), so
    the poll reads only that parent's children list, not all of /proc:
    with 1000 services a /proc listing costs the harness ~1-2 ms per poll,
    which would sit in every sample."""
    events = ExecEvents.open() if P.get("restart_timing", "exec") == "exec" else None
    try:
        return restarts_timed(sup, services, samples, P, events)
    finally:
        if events:
            events.close()


def replacement_exec(events, tag, t0, limit_s):
    """The pid and kernel time of the first exec of the service TAG's pause
    after T0, or (None, None) after LIMIT_S seconds."""
    deadline = time.monotonic() + limit_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, None
        for pid, ts in events.execs(left):
            if ts >= t0 and is_replacement(pid, tag):
                return pid, ts


def restarts_timed(sup, services, samples, P, events):
    out = {"ms": [], "errors": [], "method": "exec event" if events else "poll"}
    watch = ProcWatch(sup.helpers)
    watch.root = sup.pid
    watch.poll()
    by_tag = {watch.tag[p]: p for p in watch.pauses_in_tree()}
    timeouts = 0
    for i in services[:samples]:
        t = sup.svc_tag(i)
        old = by_tag.get(t)
        st = stat_of(old) if old else None
        if st is None:
            out["errors"].append(f"service {i}: no pause process found")
            continue
        parent = st[1]
        before = children_of_pid(parent) or set()
        if events:
            events.execs(0)  # drop what came before
        t0 = now_ns()
        os.kill(old, signal.SIGKILL)
        found = None
        if events:
            found, t1 = replacement_exec(events, t, t0, P["restart_timeout"])
        while not events:
            kids = children_of_pid(parent)
            t1 = now_ns()
            for p in (kids or set()) - before - {old}:
                if is_replacement(p, t):
                    found = p
                    break
            if found or kids is None or (t1 - t0) / 1e9 > P["restart_timeout"] \
                    or not sup.alive():
                break
            el = (t1 - t0) / 1e9
            time.sleep(min(0.005, max(0.0002, el / 20)))
        if found:
            timeouts = 0
            out["ms"].append((t1 - t0) / 1e6)
            by_tag[t] = found
        else:
            timeouts += 1
            msg = f"service {i}: no replacement within {P['restart_timeout']:.0f} s" \
                if sup.alive() else f"{sup.name} exited"
            out["errors"].append(msg)
            log(f"  {sup.name}: {msg}")
            if timeouts >= P["restart_give_up"] or not sup.alive():
                out["errors"].append(f"gave up after {timeouts} timeout(s) in a row")
                break
        time.sleep(0.2)
    return out


def timecmd(argv, k, out, err, timeout):
    """Run argv k times under bench/timecmd.c: [(ms, exit code, lines)]
    and the stdout of the last run."""
    r = subprocess.run([TIMECMD_BIN, str(k), out, err] + argv, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"timecmd failed (rc {r.returncode}): {r.stderr.strip()[:200]}")
    runs = []
    for line in r.stdout.splitlines():
        ns, code, _, lines = (int(x) for x in line.split())
        runs.append((ns / 1e6, code, lines))
    with open(out, errors="replace") as f:
        return runs, f.read()


def exec_floor(k):
    """`/bin/true` under timecmd: what any status command costs at least
    here (vfork, exec, exit, wait)."""
    d = tempfile.mkdtemp(prefix="sxb-")
    try:
        runs, _ = timecmd(["/bin/true"], k, os.path.join(d, "out"), os.path.join(d, "err"), 60)
        return [ms for ms, code, _ in runs if code == 0]
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        log(f"warning: exec floor: {e}")
        return []
    finally:
        shutil.rmtree(d, ignore_errors=True)


def measure_status(sup, P, rng):
    """The status commands while all n services run: the full status
    (one warm-up, then status_runs, or status_slow_runs if the warm-up
    took more than status_slow_s) and status_one single-service round
    trips (random services, one warm-up). A run counts only if it exited
    0 and its answer shows the services it was asked for, each up."""
    out = {"all_ms": [], "one_ms": [], "errors": [], "all_warmup_ms": None,
           "all_argv": None, "one_argv": None}
    fo, fe = os.path.join(sup.dir, "status.out"), os.path.join(sup.dir, "status.err")
    n, to = sup.n, 60 + 0.1 * sup.n

    def bad(code, lines, nlines, text=None, want=None):
        if code != 0:
            try:
                with open(fe, errors="replace") as f:
                    tail = f.read()[-120:].strip()
            except OSError:
                tail = ""
            return f"exit {code}" + (f": {tail}" if tail else "")
        if lines != nlines:
            return f"{lines} lines, want {nlines}"
        return sup.status_check(text, want) if text is not None else None

    argv = sup.status_all_argv()

    def show(av):
        av = [x if " " not in x else f"'{x}'" for x in av]
        return " ".join(av).replace(sup.dir, "DIR")
    out["all_argv"] = show(argv[:4]) + (" ..." if len(argv) > 4 else "")
    runs, text = timecmd(argv, 1, fo, fe, to)
    ms, code, lines = runs[0]
    out["all_warmup_ms"] = ms
    e = bad(code, lines, sup.status_lines(n), text, range(n))
    k = P["status_slow_runs"] if ms / 1e3 > P["status_slow_s"] else P["status_runs"]
    out["all_planned"] = k
    if e:  # not worth timing; the single-service runs are still tried
        out["errors"].append(f"status (all), warm-up: {e}")
    else:
        runs, text = timecmd(argv, k, fo, fe, to * k)
        for j, (ms, code, lines) in enumerate(runs):
            e = bad(code, lines, sup.status_lines(n), text if j == k - 1 else None, range(n))
            if e:
                out["errors"].append(f"status (all), run {j + 1}: {e}")
            else:
                out["all_ms"].append(ms)
    out["one_argv"] = show(sup.status_one_argv(0)).replace("s0", "NAME")
    picks = [rng.randrange(n) for _ in range(P["status_one"] + 1)]
    for j, i in enumerate(picks):
        runs, text = timecmd(sup.status_one_argv(i), 1, fo, fe, 60)
        ms, code, lines = runs[0]
        e = bad(code, lines, sup.status_lines(1), text, [i])
        if e:
            out["errors"].append(f"status s{i}: {e}")
        elif j > 0:  # the first is the warm-up
            out["one_ms"].append(ms)
    out["one_planned"] = P["status_one"]
    return out


def measure_stop(sup, timeout):
    """Seconds from the stop request until no pause of this launch is left
    (exited and reaped: gone from /proc), and until the supervisor exited."""
    watch = ProcWatch(sup.helpers)
    watch.root = sup.pid
    watch.poll()
    before = len(watch.pauses_tagged(sup.tag + "-"))
    t0 = now_ns()
    try:
        sup.request_stop()
    except (OSError, subprocess.SubprocessError) as e:
        return {"error": f"stop request failed: {e!r}"}
    sup_exit = None
    deadline = t0 + timeout * 1e9
    while True:
        ts = now_ns()
        watch.poll()
        left = len(watch.pauses_tagged(sup.tag + "-"))
        t1 = now_ns()
        if sup_exit is None and not sup.alive():
            sup_exit = (t1 - t0) / 1e9
        if left == 0:
            break
        if t1 > deadline:
            return {"error": f"timeout after {timeout:.0f} s with {left}/{before} left",
                    "timeout": {"s": timeout, "stopped": before - left, "of": before},
                    "supervisor_exit_s": sup_exit}
        reap_children(sup)  # the supervisor, and what fell to us (runsv after runsvdir)
        time.sleep(max(0.005, (t1 - ts) / 1e9, (t1 - t0) / 1e11))
    stop_s = (t1 - t0) / 1e9
    # The supervisor itself should exit soon after (runsvdir did at once).
    while sup_exit is None and (now_ns() - t0) / 1e9 < timeout:
        reap_children(sup)
        if not sup.alive():
            sup_exit = (now_ns() - t0) / 1e9
            break
        time.sleep(0.005)
    return {"stop_s": stop_s, "stopped": before, "supervisor_exit_s": sup_exit,
            "supervisor_rc": sup.p.returncode}


def one_launch(name, n, tag, opts, P, extras, rng, stop=True):
    """Launch, time the start; with extras also idle and restarts; then
    time the stop. Always kills whatever is left."""
    res = {}
    sup = CLASSES[name](n, tag, opts)
    try:
        sup.prepare()
        watch = ProcWatch(sup.helpers)
        t0 = now_ns()
        sup.launch()
        watch.root = sup.pid
        r, count = wait_all_running(sup, watch, t0, start_timeout(n))
        if isinstance(r, str):
            res["start_error"] = r
            return res
        res["start_s"] = r
        if extras:
            time.sleep(P["settle_s"])
            res["idle"] = measure_idle(sup, P["idle_s"])
            if sup.status_ok:
                t = time.monotonic()
                try:
                    res["status"] = measure_status(sup, P, random.Random(n))
                except (OSError, ValueError, RuntimeError, subprocess.SubprocessError) as e:
                    res["status"] = {"all_ms": [], "one_ms": [], "errors": [repr(e)]}
                st = res["status"]
                log(f"  {name}: status of {n} {fmt(median(st['all_ms']), 1)} ms, "
                    f"one {fmt(median(st['one_ms']), 2)} ms "
                    f"({time.monotonic() - t:.0f} s)")
            k = P["restart_samples"]
            if name == "sexton":
                half = n // 2
                a = rng.sample(range(0, half), min(k, half))
                b = rng.sample(range(half, n), min(k, n - half))
                res["restart"] = measure_restarts(sup, a, k, P)
                res["restart_fast"] = measure_restarts(sup, b, k, P)
            else:
                res["restart"] = measure_restarts(sup, rng.sample(range(n), min(k, n)), k, P)
            time.sleep(P["settle_s"])
        if stop:
            res["stop"] = measure_stop(sup, stop_timeout(n, P))
        return res
    except (OSError, ValueError, RuntimeError, subprocess.SubprocessError) as e:
        res["error"] = repr(e)
        return res
    finally:
        left = sup.cleanup()
        if left:
            res["leftovers"] = left
            log(f"  warning: {name}: {len(left)} pause processes survived the clean-up: "
                f"{left[:10]}")


# ---------------------------------------------------------------- the run

def bench(sups, opts, P):
    res = {}
    counter = [0]
    base = f"sxb{os.getpid()}x"
    for n in P["ns"]:
        reps = P["start_reps"][n]
        res[n] = {s: {"start_s": [], "stop_s": [], "supervisor_exit_s": [], "errors": [],
                      "stop_timeouts": [],
                      "restart_ms": [], "restart_errors": [], "idle": None,
                      "status": None} for s in sups}
        for s in sups:
            if s == "sexton":
                res[n][s].update({"restart_fast_ms": [], "restart_fast_errors": []})
        res[n]["exec_floor_ms"] = exec_floor(P["floor_runs"]) if opts.status_sups else []
        dead, no_stop = set(), set()
        for rep in range(reps):
            log(f"N = {n}: repetition {rep + 1}/{reps}")
            for s in R.ordered(sups, 1000 * n + rep):
                if s in dead:
                    continue
                counter[0] += 1
                tag = f"{base}{counter[0]}"
                t = time.monotonic()
                r = one_launch(s, n, tag, opts, P, extras=(rep == 0),
                               rng=random.Random(n * 7919 + rep), stop=s not in no_stop)
                d = res[n][s]
                for key in ("start_error", "error"):
                    if key in r:
                        d["errors"].append(r[key])
                        log(f"  {s}: {r[key]}")
                if "start_error" in r and r["start_error"].startswith("timeout"):
                    dead.add(s)  # do not spend the time budget on it again
                if "start_s" in r:
                    d["start_s"].append(r["start_s"])
                st = r.get("stop", {})
                if "stop_s" in st:
                    d["stop_s"].append(st["stop_s"])
                if st.get("supervisor_exit_s") is not None:
                    d["supervisor_exit_s"].append(st["supervisor_exit_s"])
                if "error" in st:
                    d["errors"].append("stop: " + st["error"])
                    log(f"  {s}: stop: {st['error']}")
                if "timeout" in st:
                    d["stop_timeouts"].append(st["timeout"])
                    no_stop.add(s)  # once is enough: the next runs are killed instead
                if "idle" in r:
                    d["idle"] = r["idle"]
                if "status" in r:
                    d["status"] = r["status"]
                    for e in r["status"]["errors"]:
                        log(f"  {s}: {e}")
                for key in ("restart", "restart_fast"):
                    if key in r:
                        d[f"{key}_ms"] += r[key]["ms"]
                        d[f"{key}_errors"] += r[key]["errors"]
                        d.setdefault("restart_method", r[key]["method"])
                if r.get("leftovers"):
                    d["errors"].append(f"{len(r['leftovers'])} pause processes left after clean-up")
                log(f"  {s}: start {fmt(r.get('start_s'), 2)} s, stop "
                    f"{fmt(st.get('stop_s'), 2)} s ({time.monotonic() - t:.0f} s in all)")
    return res


# ---------------------------------------------------------------- report

def best_peer(values):
    peers = {k: v for k, v in values.items() if k in PEERS and v is not None}
    if not peers:
        return None, None
    bp = min(peers, key=peers.get)
    return bp, peers[bp]


def rows_with_ratio(values, sups):
    bp, bv = best_peer(values)
    return bp, bv, {s: (ratio(values.get(s), bv) if bp else "—") for s in sups}


def report(meta, res, sups, P, opts):
    out = [f"# Supervisor benchmark{' (QUICK mode: indicative only)' if meta['quick'] else ''}",
           "",
           f"{meta['date']} · kernel {meta['kernel']} · {meta['cpu']} × {meta['ncpu']} CPUs · "
           f"load average at start {meta['loadavg']} · {meta['mode']}",
           "",
           f"sexton measured: `{opts.sexton}` ({meta['sexton_build']})",
           "",
           f"Repetitions: {meta['reps']}",
           "",
           "Each supervisor runs N services of `bench/pause.c`, one supervisor at a time, "
           "as an ordinary process. Lower is better everywhere; `× best peer` is the ratio "
           "to the best of runit, s6 and supervisord (named under each table). "
           "See bench/README.md for how each number is taken.", ""]
    if meta.get("skipped"):
        out += [f"Not measured (not installed): {', '.join(meta['skipped'])}.", ""]
    for n in P["ns"]:
        D = res[n]
        out += [f"## N = {n}", ""]

        # start
        med = {s: median(D[s]["start_s"]) for s in sups}
        bp, bv, rat = rows_with_ratio(med, sups)
        reps = P["start_reps"][n]
        out += [f"### Start: launch until all {n} are running ({reps} runs)", ""]
        rows = [[s, fmt(med[s], 3), fmt(D[s]["start_s"] and min(D[s]["start_s"]), 3),
                 fmt(D[s]["start_s"] and max(D[s]["start_s"]), 3), rat[s],
                 f"{len(D[s]['start_s'])}/{reps}"] for s in sups]
        out += [table(["supervisor", "median s", "min s", "max s", "× best peer", "ok runs"],
                      rows, left=("supervisor",)), "", peer_line(bp, bv, "s", 3), ""]

        # restart
        k = P["restart_samples"]
        methods = sorted({D[s].get("restart_method", "poll") for s in sups})
        out += [f"### Restart: SIGKILL of one service until its replacement runs "
                f"({k} services)", "",
                "Timed " + (" and ".join(
                    "by the kernel's exec event (proc connector): from the harness's clock "
                    "before kill() to the kernel's stamp of the replacement's exec"
                    if m == "exec event" else "by polling the victim's parent's children "
                    "(one poll of bias)" for m in methods)) + ".", ""]
        series = []
        for s in sups:
            if s == "sexton":
                series.append(("sexton (restart_delay = 1, default)", D[s]["restart_ms"],
                               D[s]["restart_errors"]))
                series.append((f"sexton (restart_delay = {opts.sexton_fast_delay})",
                               D[s]["restart_fast_ms"], D[s]["restart_fast_errors"]))
            else:
                series.append((s, D[s]["restart_ms"], D[s]["restart_errors"]))
        meds = {s: median(D[s]["restart_ms"]) for s in sups}
        p90s = {s: pct(D[s]["restart_ms"], 90) for s in sups}
        bp, bv = best_peer(meds)
        bp9, bv9 = best_peer(p90s)
        rows = []
        for label, xs, errs in series:
            m, p = median(xs), pct(xs, 90)
            rows.append([label, fmt(m, 1), fmt(p, 1), ratio(m, bv) if bp else "—",
                         ratio(p, bv9) if bp9 else "—",
                         f"{len(xs)}/{k}" + (f"; {errs[-1][:60]}" if errs else "")])
        out += [table(["supervisor", "median ms", "p90 ms", "× best peer (median)",
                       "× best peer (p90)", "samples"], rows, left=("supervisor",)), "",
                peer_line(bp, bv, "ms", 1) + (f" Best p90: **{bp9}** ({fmt(bv9, 1)} ms)."
                                              if bp9 else ""), ""]

        # idle
        out += [f"### Idle: the supervision tree with {n} services running, over "
                f"{P['idle_s']:.0f} s", "",
                "The supervisor and its per-service helpers (runsv, s6-supervise), not the "
                "services. Switches: voluntary + involuntary context switches of every thread; "
                f"CPU: utime+stime (1/{R.CLK_TCK} s ticks); on-CPU: /proc/PID/schedstat; "
                "Pss: sum of /proc/PID/smaps_rollup, read at the end.", ""]
        I = {s: D[s]["idle"] for s in sups}
        sw = {s: I[s] and I[s]["switches"] for s in sups}
        pss = {s: I[s] and I[s]["pss_kb"] / 1024.0 for s in sups}
        oncpu = {s: I[s] and I[s]["oncpu_ms"] for s in sups}
        bsw, vsw = best_peer(sw)
        bps, vps = best_peer(pss)
        boc, voc = best_peer(oncpu)
        rows = []
        for s in sups:
            i = I[s]
            if not i:
                rows.append([s, "—", "—", "—", "—", "—", "—", "—", "not measured"])
                continue
            rows.append([s, i["processes"], i["switches"], ratio(i["switches"], vsw),
                         fmt(i["cpu_ms"], 0), fmt(i["oncpu_ms"], 2), ratio(i["oncpu_ms"], voc),
                         fmt(i["pss_kb"] / 1024.0, 1), ratio(i["pss_kb"] / 1024.0, vps)])
        out += [table(["supervisor", "processes", "switches", "× best peer", "CPU ms",
                       "on-CPU ms", "× best peer", "Pss MB", "× best peer"], rows,
                      left=("supervisor",)), "",
                " ".join(x for x in (peer_line(bsw, vsw, "switches", 0, "fewest switches"),
                                     peer_line(boc, voc, "ms", 2, "least on-CPU"),
                                     peer_line(bps, vps, "MB", 1, "smallest Pss"))), ""]
        pp = {s: I[s]["pause_pss_kb"] for s in sups if I[s]}
        if pp:
            out += ["For scale, the Pss of the services themselves (not counted above): " +
                    ", ".join(f"{s} {fmt(v / 1024.0, 1)} MB" for s, v in pp.items()) + ".", ""]

        out += status_tables(n, D, sups, P)

        # stop
        med = {s: median(D[s]["stop_s"]) for s in sups}
        ex = {s: median(D[s]["supervisor_exit_s"]) for s in sups}
        bp, bv, rat = rows_with_ratio(med, sups)
        out += [f"### Stop: stop request until none of the {n} is left ({reps} runs)", "",
                "sexton and supervisord: SIGTERM; s6: `s6-svscanctl -t`; runit: SIGHUP to "
                "runsvdir. Until every service process has exited and been reaped; the "
                "supervisor's own exit is given apart (runsvdir exits at once, before its "
                "runsv processes have stopped anything).", ""]
        rows = []
        for s in sups:
            to = D[s]["stop_timeouts"]
            m = fmt(med[s], 3)
            if to and med[s] is None:
                m = f"> {to[0]['s']:.0f} ({to[0]['stopped']}/{to[0]['of']} stopped by then)"
            okr = f"{len(D[s]['stop_s'])}/{reps}"
            if to:
                okr += "; timed out once, then killed instead"
            rows.append([s, m, fmt(D[s]["stop_s"] and max(D[s]["stop_s"]), 3), rat[s],
                         fmt(ex[s], 3), okr])
        out += [table(["supervisor", "median s", "max s", "× best peer",
                       "supervisor exited s (median)", "ok runs"], rows, left=("supervisor",)),
                "", peer_line(bp, bv, "s", 3), ""]
        errs = [f"{s}: {e}" for s in sups for e in D[s]["errors"]]
        if errs:
            out += ["Errors: " + "; ".join(errs[:12]), ""]
    return "\n".join(out)


def status_tables(n, D, sups, P):
    """The two status tables of one N: every service, one service."""
    S = {s: D[s].get("status") for s in sups}
    if not any(S.values()):
        return []
    out = [f"### Status: the status command with all {n} services running", "",
           "Measured once per N, in the launch that measures idle (after it, before the "
           "restarts). Wall time of one run of the command under `bench/timecmd.c` (vfork, "
           "exec, stdout drained from a pipe, wait); a run counts only if it exited 0 and "
           "its output shows every service asked for as up. Commands:", ""]
    for s in sups:
        if S[s] and S[s].get("all_argv"):
            out.append(f"- {s}: `{S[s]['all_argv']}`; one service: `{S[s]['one_argv']}`")
    fl = D.get("exec_floor_ms") or []
    out += ["", f"Floor: `/bin/true` under the same stopwatch, median {fmt(median(fl), 2)} ms "
            f"(p90 {fmt(pct(fl, 90), 2)} ms, {len(fl)} runs).", ""]

    def col(s, key):
        return (S[s] or {}).get(key) or []

    def ok_runs(xs, st, which):
        """'good/planned', and the first error of that table's runs: the
        one-service runs log theirs as 'status s...', the others not."""
        okr = f"{len(xs)}/{st.get(which + '_planned', '—')}"
        errs = [e for e in st["errors"] if e.startswith("status s") == (which == "one")]
        return okr + (f"; {errs[0][:70]}" if errs else "")
    med = {s: median(col(s, "all_ms")) for s in sups}
    bp, bv, rat = rows_with_ratio(med, sups)
    rows = []
    for s in sups:
        xs = col(s, "all_ms")
        st = S[s]
        if not st:
            rows.append([s, "—", "—", "—", "—", "not measured"])
            continue
        rows.append([s, fmt(med[s], 1), fmt(xs and min(xs), 1), fmt(xs and max(xs), 1),
                     rat[s], ok_runs(xs, st, "all")])
    out += [f"#### Every service: the status of all {n}", "",
            table(["supervisor", "median ms", "min ms", "max ms", "× best peer", "ok runs"],
                  rows, left=("supervisor",)), "", peer_line(bp, bv, "ms", 1)]
    if med.get("sexton") is not None and med.get("runit") is not None:
        r = med["sexton"] / med["runit"]
        out[-1] += f" sexton / runit = {r:.2f}×"
        out[-1] += (f" (target: ≤ 0.50×, {'met' if r <= 0.5 else 'not met'})." if n >= 1000 else
                    " (the target, ≤ 0.50×, is for N = 1000).")
    out.append("")

    meds = {s: median(col(s, "one_ms")) for s in sups}
    p90s = {s: pct(col(s, "one_ms"), 90) for s in sups}
    bp, bv = best_peer(meds)
    bp9, bv9 = best_peer(p90s)
    rows = []
    for s in sups:
        xs = col(s, "one_ms")
        st = S[s]
        if not st:
            rows.append([s, "—", "—", "—", "—", "not measured"])
            continue
        rows.append([s, fmt(meds[s], 2), fmt(p90s[s], 2), ratio(meds[s], bv) if bp else "—",
                     ratio(p90s[s], bv9) if bp9 else "—", ok_runs(xs, st, "one")])
    out += ["#### One service: the round trip of the status of one named service "
            "(a random one per run)", "",
            table(["supervisor", "median ms", "p90 ms", "× best peer (median)",
                   "× best peer (p90)", "samples"], rows, left=("supervisor",)), "",
            peer_line(bp, bv, "ms", 2) + (f" Best p90: **{bp9}** ({fmt(bv9, 2)} ms)."
                                          if bp9 else ""), ""]
    return out


def peer_line(bp, bv, unit, nd, label="median"):
    if bp is None:
        return "Best peer: none measured."
    return f"Best peer: **{bp}** ({fmt(bv, nd)} {unit}, {label})."


# ---------------------------------------------------------------- main

def ensure_helper(src, binary):
    r = subprocess.run(["make", "-s", "-C", ROOT, os.path.relpath(binary, ROOT)],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0 or not os.access(binary, os.X_OK):
        # The Makefile may be mid-change: the same flags, by hand.
        os.makedirs(BENCH_BIN, exist_ok=True)
        r2 = subprocess.run(["gcc", "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror",
                             "-O2", "-o", binary, src],
                            capture_output=True, text=True, timeout=120)
        if r2.returncode != 0:
            log(f"building {os.path.basename(binary)} failed:\n{r.stderr}{r2.stderr}")
            return False
    return True


def ensure_pause():
    return ensure_helper(PAUSE_SRC, PAUSE_BIN)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="N = 20 and 100, few repetitions")
    ap.add_argument("--n", help="comma-separated N (default 100,1000; quick 20,100)")
    ap.add_argument("--reps", type=int,
                    help="start/stop runs per N (default 5 for N < 1000, else 3)")
    ap.add_argument("--restarts", type=int, help="restart samples (default 30; quick 5)")
    ap.add_argument("--supervisors", help="among " + ",".join(SUPERVISORS))
    ap.add_argument("--sexton", default=os.path.join(R.BUILD, "sexton"),
                    help="sexton binary (default build/sexton)")
    ap.add_argument("--sextonctl",
                    help="sextonctl binary for the status metric (default: next to --sexton)")
    ap.add_argument("--no-status", action="store_true", help="skip the status metric")
    ap.add_argument("--sexton-fast-delay", default="0",
                    help="restart_delay of the second half of sexton's services (default 0)")
    ap.add_argument("--restart-timing", choices=("exec", "poll"), default="exec",
                    help="time restarts by the kernel's exec event (default; root) or by "
                         "polling the victim's parent, as before 2026-11-23")
    ap.add_argument("--out", help="output prefix (default bench/results-supervisors[-quick])")
    return ap.parse_args(argv)


def main(argv=None):
    a = parse_args(argv)
    P = dict(QUICK if a.quick else FULL)
    P["start_reps"] = dict(P["start_reps"])
    if a.n:
        P["ns"] = [int(x) for x in a.n.split(",") if x.strip()]
        for n in P["ns"]:
            P["start_reps"].setdefault(n, 5 if n < 1000 else 3)
    if a.reps:
        P["start_reps"] = {n: a.reps for n in P["ns"]}
    if a.restarts:
        P["restart_samples"] = a.restarts
    P["restart_timing"] = a.restart_timing
    wanted = list(SUPERVISORS)
    if a.supervisors:
        wanted = [s.strip() for s in a.supervisors.split(",") if s.strip()]
        bad = [s for s in wanted if s not in SUPERVISORS]
        if bad:
            print(f"supervisors: unknown {bad}; known: {','.join(SUPERVISORS)}", file=sys.stderr)
            return 2
    if not ensure_pause():
        return 1
    a.sexton = os.path.abspath(a.sexton)
    sups, skipped = [], []
    for s in wanted:
        need = [a.sexton] if s == "sexton" else TOOLS[s]
        if all(os.access(x, os.X_OK) for x in need):
            sups.append(s)
        else:
            log(f"warning: {s}: {' or '.join(x for x in need if not os.access(x, os.X_OK))} "
                "not found, skipped")
            skipped.append(s)
    if not sups:
        return 1
    a.sextonctl = os.path.abspath(a.sextonctl or
                                  os.path.join(os.path.dirname(a.sexton), "sextonctl"))
    a.status_sups = []
    if not a.no_status:
        if not ensure_helper(TIMECMD_SRC, TIMECMD_BIN):
            log("warning: no bench/timecmd: the status metric is skipped")
        else:
            for s in sups:
                need = [a.sextonctl] if s == "sexton" else STATUS_TOOLS[s]
                if all(os.access(x, os.X_OK) for x in need):
                    a.status_sups.append(s)
                else:
                    log(f"warning: {s}: {' or '.join(x for x in need if not os.access(x, os.X_OK))}"
                        " not found, no status metric")

    def on_term(signum, frame):
        raise KeyboardInterrupt  # run the clean-ups (finally) on the way out
    old_term = signal.signal(signal.SIGTERM, on_term)
    if not set_subreaper(True):
        log("warning: could not become a child subreaper; orphans go to PID 1")

    reps = ["start and stop: " + ", ".join(f"N = {n}: {P['start_reps'][n]} runs"
                                             for n in P["ns"]),
            f"restart {P['restart_samples']} services (sexton: twice, one per restart_delay)",
            f"idle {P['idle_s']:.0f} s once per N, {P['settle_s']:.1f} s after the start"]
    if a.status_sups:
        reps.append(f"status once per N: every service {P['status_runs']} runs "
                    f"({P['status_slow_runs']} if the warm-up took > {P['status_slow_s']} s), "
                    f"one service {P['status_one']} runs, each after one warm-up")
    meta = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "kernel": platform.release(), "cpu": R.cpu_model(), "ncpu": os.cpu_count(),
            "loadavg": " ".join((read("/proc/loadavg") or "? ? ?").split()[:3]),
            "quick": a.quick, "mode": "quick mode" if a.quick else "full mode",
            "reps": "; ".join(reps), "params": P, "supervisors": sups, "skipped": skipped,
            "sexton": a.sexton, "sexton_fast_delay": a.sexton_fast_delay,
            "sextonctl": a.sextonctl, "status_supervisors": a.status_sups,
            "sexton_build": R.build_info()}
    log(f"supervisors: {', '.join(sups)}; N = {P['ns']}; {meta['mode']}")
    t_start = time.monotonic()
    try:
        res = bench(sups, a, P)
    finally:
        set_subreaper(False)
        signal.signal(signal.SIGTERM, old_term)
    meta["elapsed_s"] = round(time.monotonic() - t_start, 1)

    prefix = a.out or os.path.join(HERE, "results-supervisors-quick" if a.quick
                                   else "results-supervisors")
    with open(prefix + ".json", "w") as f:
        json.dump({"meta": meta, "results": {str(n): v for n, v in res.items()}}, f,
                  indent=1, default=str)
    md = report(meta, res, sups, P, a)
    md += f"\nWhole run: {meta['elapsed_s']:.0f} s.\n"
    with open(prefix + ".md", "w") as f:
        f.write(md)
    print(md)
    log(f"done in {meta['elapsed_s']:.0f} s: {prefix}.md, {prefix}.json")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
