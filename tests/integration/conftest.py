"""Harness: run the real sexton binary, usually as PID 1 of a new PID
namespace (unshare --pid --fork --mount-proc), and look at it from outside."""
import os
import pathlib
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEXTON = os.environ.get("SEXTON_BIN", str(ROOT / "build" / "sexton"))
FIXTURES = pathlib.Path(os.environ.get("SEXTON_FIXTURES", str(ROOT / "build" / "fixtures")))
HELPERS = pathlib.Path(__file__).resolve().parent / "helpers"
PYTHON = "/usr/bin/python3"
UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]


def proc_stat(pid):
    """(state, ppid, pgrp, session) of PID from /proc/PID/stat, or None."""
    try:
        text = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[2]), int(fields[3])


def children_of(ppid):
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(d)
            if st and st[1] == ppid:
                kids.append(int(d))
    return kids


def proc_status(pid):
    out = {}
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def wait_for(predicate, timeout=5.0, interval=0.01, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Run:
    """One sexton process (PID 1 of a namespace unless pid1=False)."""

    def __init__(self, args, pid1=True, **popen):
        argv = [SEXTON, *args]
        if pid1:
            argv = UNSHARE + argv
        popen.setdefault("stdout", subprocess.PIPE)
        popen.setdefault("stderr", subprocess.PIPE)
        self.pid1 = pid1
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, **popen)
        self.out = self.err = None

    @property
    def sexton_pid(self):
        """sexton's pid as seen from the host."""
        if not self.pid1:
            return self.proc.pid
        kids = wait_for(lambda: children_of(self.proc.pid), what="sexton to start")
        return kids[0]

    def signal(self, sig):
        os.kill(self.sexton_pid, sig)

    def wait(self, timeout=15):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise
        self.out = out.decode(errors="replace") if out is not None else ""
        self.err = err.decode(errors="replace") if err is not None else ""
        self.elapsed = time.monotonic() - self.started
        assert "Sanitizer" not in self.err, self.err
        assert "runtime error:" not in self.err, self.err
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def run():
    runs = []

    def start(args, **kw):
        r = Run(args, **kw)
        runs.append(r)
        return r

    yield start
    for r in runs:
        r.kill()


class Recorder:
    """Reads what helpers/recorder.py wrote."""

    def __init__(self, path):
        self.path = path

    def lines(self):
        try:
            return self.path.read_text().splitlines()
        except FileNotFoundError:
            return []

    def ready(self, timeout=5):
        line = wait_for(lambda: next((l for l in self.lines() if l.startswith("READY")), None),
                        timeout, what="recorder READY")
        _, pid, pgid, sid = line.split()
        return int(pid), int(pgid), int(sid)

    def wait_line(self, line, timeout=5):
        return wait_for(lambda: line in self.lines(), timeout, what=f"recorder line {line!r}")


@pytest.fixture
def recorder(tmp_path):
    rec = Recorder(tmp_path / "signals")
    rec.argv = [PYTHON, str(HELPERS / "recorder.py"), str(rec.path)]
    return rec
