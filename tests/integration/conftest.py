"""Harness: run the real sexton binary, usually as PID 1 of a new PID
namespace (unshare --pid --fork --mount-proc), and look at it from outside."""
import json
import os
import re
import pathlib
import signal
import socket
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEXTON = os.environ.get("SEXTON_BIN", str(ROOT / "build" / "sexton"))
FIXTURES = pathlib.Path(os.environ.get("SEXTON_FIXTURES", str(ROOT / "build" / "fixtures")))
HELPERS = pathlib.Path(__file__).resolve().parent / "helpers"
PYTHON = "/usr/bin/python3"
UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]
# sexton as PID 1 the way a container has it, /run included: its own tmpfs,
# so that no test binds or probes the host's /run/sexton.sock (a sexton
# running on this machine would otherwise change what the tests see). The
# tmpfs is mounted in a mount namespace of its own before the PID namespace
# exists, so that sexton is still PID 1 and its main child PID 2.
PID1 = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
        'mount -t tmpfs -o mode=0755 sexton-test-run /run && exec "$@"', "sh", *UNSHARE]


def pid1_of(unshare_pid):
    """The host pid of the sexton that unshare's child became (after the exec)."""
    binary = os.path.realpath(SEXTON)

    def execed():
        for kid in children_of(unshare_pid):
            try:
                if os.readlink(f"/proc/{kid}/exe") == binary:
                    return kid
            except OSError:
                pass
        return None

    return wait_for(execed, what="sexton to start")


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


def control_request(path, line, timeout=5):
    """Send one request LINE on the control socket at PATH (PROTOCOL.md);
    the JSON documents of the answer, read until sexton closes."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(str(path))
    s.sendall(line.encode() + b"\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return [json.loads(l) for l in data.decode().splitlines()]


def wait_for(predicate, timeout=5.0, interval=0.01, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for "
                         f"{what() if callable(what) else what}")


class Run:
    """One sexton process (PID 1 of a namespace unless pid1=False)."""

    def __init__(self, args, pid1=True, **popen):
        argv = [SEXTON, *args]
        if pid1:
            argv = PID1 + argv
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
        return pid1_of(self.proc.pid)

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


class Daemon:
    """sexton running on a configuration, its stdout and stderr going to
    files so a test can wait for log lines while it runs."""

    def __init__(self, tmp_path, conf, args=(), command=(), pid1=True, wrap=PID1):
        self.dir = tmp_path
        self.conf = tmp_path / "sexton.conf"
        self.conf.write_text(conf)
        self.stdout_path = tmp_path / "stdout"
        self.stderr_path = tmp_path / "stderr"
        argv = [SEXTON, "-c", str(self.conf), *args]
        if "socket =" not in conf and "-S" not in args:
            # A private control socket: the default /run/sexton.sock is
            # shared with any other sexton on this machine.
            argv[1:1] = ["-S", str(tmp_path / "default.sock")]
        if command:
            argv += ["--", *command]
        if pid1:
            argv = list(wrap) + argv
        self.started = time.monotonic()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         env={**os.environ, "SEXTON_ETC_DIR": str(FIXTURE_ETC)})
        self.pid1 = pid1

    @property
    def sexton_pid(self):
        if not self.pid1:
            return self.proc.pid
        return pid1_of(self.proc.pid)

    def log(self):
        return self.stderr_path.read_text(errors="replace")

    def out(self):
        return self.stdout_path.read_text(errors="replace")

    def wait_log(self, pattern, timeout=5, count=1):
        """Wait until PATTERN (a regex) matches COUNT times in the log."""
        rx = re.compile(pattern, re.M)

        def found():
            hits = rx.findall(self.log())
            if len(hits) >= count:
                return hits
            if self.proc.poll() is not None and len(rx.findall(self.log())) < count:
                raise AssertionError(f"sexton exited ({self.proc.returncode}) before log "
                                     f"{pattern!r}\n--- log:\n{self.log()}")
            return None

        return wait_for(found, timeout,
                        what=lambda: f"log {pattern!r} x{count}\n--- log:\n{self.log()}")

    def wait_out(self, pattern, timeout=5):
        rx = re.compile(pattern, re.M)
        return wait_for(lambda: rx.search(self.out()), timeout, what=f"stdout {pattern!r}")

    def started_pid(self, name, nth=-1):
        pids = re.findall(rf"service {re.escape(name)}: started, pid (\d+)", self.log())
        return int(pids[nth]) if pids else None

    def signal(self, sig):
        os.kill(self.sexton_pid, sig)

    def reload(self, conf):
        self.conf.write_text(conf)
        self.signal(signal.SIGHUP)

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def wait(self, timeout=20):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("sexton did not exit\n--- log:\n" + self.log())
        self.elapsed = time.monotonic() - self.started
        log = self.log()
        assert "Sanitizer" not in log and "runtime error:" not in log, log
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def write_script(directory, name, body):
    """A shell script for a service command: configuration lines hold at
    most 199 characters and test paths are long."""
    path = directory / f"{name}.sh"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return path


FIXTURE_ETC = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "etc"


@pytest.fixture
def daemon(tmp_path):
    daemons = []

    def start(conf, **kw):
        d = Daemon(tmp_path, conf, **kw)
        daemons.append(d)
        return d

    yield start
    for d in daemons:
        d.kill()
