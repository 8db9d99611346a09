"""sextonctl on its own: usage errors, no daemon, and a fake daemon
(helpers/fake_sexton.py) that answers canned lines, so every exit code,
both output forms and the hostile answers are checked without sexton."""
import json
import os
import pathlib
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from conftest import HELPERS, ROOT, children_of, proc_stat

sys.path.insert(0, str(HELPERS))
from fake_sexton import FakeSexton, Reply  # noqa: E402

CTL = os.environ.get("SEXTONCTL_BIN", str(ROOT / "build" / "sextonctl"))

WEB = {"name": "web", "state": "running", "pid": 42, "ready": True, "restarts": 0,
       "uptime_s": 725.2, "last_exit": None, "status_text": "serving", "reason": ""}
LONG = {"name": "a-rather-long-service-name", "state": "failed", "pid": None, "ready": False,
        "restarts": 7, "uptime_s": 3, "last_exit": {"code": 1, "signal": None},
        "status_text": "", "reason": "exec: No such file or directory"}
STATUS = {"services": [WEB, LONG]}
# status --rows: what sextonctl asks for to draw the table (PROTOCOL.md)
ROWS = {"columns": ["name", "state", "pid", "ready", "restarts", "uptime_s", "last_code",
                    "last_signal", "status_text", "reason"],
        "rows": [["web", "running", 42, True, 0, 725.2, None, None, "serving", ""],
                 ["a-rather-long-service-name", "failed", None, False, 7, 3, 1, None, "",
                  "exec: No such file or directory"]]}


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("SEXTON_SOCKET", "SEXTONCTL_TIMEOUT", "NO_COLOR")}
    env.update(extra)
    return env


def ctl(*args, sock=None, env=None, timeout=20):
    argv = [CTL, *(["-S", str(sock)] if sock else []), *args]
    p = subprocess.run(argv, capture_output=True, timeout=timeout, env=env or clean_env())
    p.out = p.stdout.decode(errors="replace")
    p.err = p.stderr.decode(errors="replace")
    assert "Sanitizer" not in p.err and "runtime error:" not in p.err, p.err
    return p


def one_line(text):
    return len(text.splitlines()) == 1 and text.endswith("\n")


@pytest.fixture
def sockdir():
    # tmp_path can be longer than sun_path allows
    d = tempfile.mkdtemp(prefix="sxctl", dir="/tmp")
    yield pathlib.Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def fake(sockdir):
    servers = []

    def start(answers):
        s = FakeSexton(sockdir / "sexton.sock", answers).start()
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


def table_columns(line, header):
    """Start offsets of HEADER's words, used to cut LINE into cells."""
    starts = [header.index(w) for w in header.split()]
    ends = starts[1:] + [None]
    return [line[a:b].strip() for a, b in zip(starts, ends)]


# ---- without any daemon --------------------------------------------------------

def test_version_and_help():
    p = ctl("--version")
    assert p.returncode == 0 and p.out == "sextonctl 0.1.0\n"
    p = ctl("--help")
    assert p.returncode == 0 and p.err == ""
    for cmd in ("status", "start", "stop", "restart", "signal", "reload", "log", "ps",
                "doctor", "metrics", "check", "wait", "shutdown", "poweroff", "reboot", "halt"):
        assert f"\n  {cmd} " in p.out
        q = ctl(cmd, "--help")
        assert q.returncode == 0 and q.out.startswith(f"Usage: sextonctl [OPTIONS] {cmd}"), q


USAGE_ERRORS = [
    [],
    ["bogus"],
    ["--bogus", "status"],
    ["-S"],
    ["start"],
    ["stop", "--no-wait"],
    ["restart", "-x", "web"],
    ["signal", "web"],
    ["signal", "web", "NOPE"],
    ["signal", "web", "0"],
    ["signal", "web", "HUP", "extra"],
    ["log"],
    ["log", "web", "-n"],
    ["log", "web", "-n", "x"],
    ["log", "web", "-n", "-5"],
    ["log", "web", "db"],
    ["wait"],
    ["wait", "web", "--timeout", "soon"],
    ["wait", "web", "--timeout", "-1"],
    ["status", "-x"],
    ["status", "bad\x01name"],
    ["status", "two words"],
    ["status", "caf\xe9"],
    ["reload", "now"],
    ["ps", "x"],
    ["ps", "--all"],
    ["status", "--all"],
    ["doctor", "--bogus"],
    ["doctor", "--all", "x"],
    ["shutdown", "now"],
    ["status"] + ["svc%d" % i for i in range(70)],
]


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=lambda a: " ".join(a) or "nothing")
def test_usage_error_exits_2_with_one_line_and_no_request(args, fake):
    server = fake({"status": STATUS})
    p = subprocess.run([CTL, "-S", server.path, *[a.encode("latin-1") for a in args]],
                       capture_output=True, timeout=10, env=clean_env())
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 2, err
    assert one_line(err) and err.startswith("sextonctl: "), err
    assert p.stdout == b""
    assert server.requests == []


def test_bad_timeout_env_is_a_usage_error(fake):
    server = fake({"status": STATUS})
    p = ctl("status", sock=server.path, env=clean_env(SEXTONCTL_TIMEOUT="soon"))
    assert p.returncode == 2 and one_line(p.err) and "SEXTONCTL_TIMEOUT" in p.err
    assert server.requests == []


def test_no_daemon_exits_2(sockdir):
    path = sockdir / "none.sock"
    p = ctl("status", sock=path)
    assert p.returncode == 2 and p.out == ""
    assert p.err == (f"sextonctl: cannot connect to {path}: No such file or directory "
                     "(is sexton running?)\n")
    p = ctl("status", env=clean_env(SEXTON_SOCKET=str(path)))
    assert p.returncode == 2 and f"cannot connect to {path}:" in p.err


def test_dead_socket_file_exits_2(sockdir):
    import socket
    path = sockdir / "stale.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))  # bound, never listening: what a dead sexton leaves
    s.close()
    p = ctl("status", sock=path)
    assert p.returncode == 2 and one_line(p.err)
    assert "Connection refused (is sexton running?)" in p.err


def test_socket_path_too_long_exits_2():
    p = ctl("status", sock="/tmp/" + "x" * 200)
    assert p.returncode == 2 and one_line(p.err) and "too long" in p.err


def test_default_socket_path(sockdir):
    env = clean_env(XDG_RUNTIME_DIR=str(sockdir))
    p = ctl("status", env=env)
    assert p.returncode == 2
    if os.geteuid() == 0:
        if os.path.exists("/run/sexton.sock"):
            pytest.skip("a sexton is running on /run/sexton.sock")
        assert "cannot connect to /run/sexton.sock:" in p.err
    elif not os.path.exists("/run/sexton.sock"):
        assert f"cannot connect to {sockdir}/sexton.sock:" in p.err


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root")
def test_permission_denied_on_connect_exits_2(fake, sockdir):
    server = fake({"status": STATUS})
    os.chmod(server.path, 0o600)
    os.chmod(sockdir, 0o755)
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        CTL, "-S", server.path, "status"], capture_output=True, text=True,
                       timeout=10, env=clean_env())
    assert p.returncode == 2
    assert p.stderr == f"sextonctl: cannot connect to {server.path}: Permission denied\n"


# ---- against the fake daemon ---------------------------------------------------

@pytest.mark.parametrize("doc", [ROWS, STATUS], ids=["rows", "objects"])
def test_status_table(fake, doc):
    """The table from status --rows, and from the object form (which start,
    stop and restart answer with): the same."""
    server = fake({"status": doc})
    p = ctl("status", sock=server.path)
    assert p.returncode == 0, p.err
    assert p.err == ""
    assert server.requests == ["status --rows"]
    header, *rows = p.out.splitlines()
    assert header.split() == ["NAME", "STATE", "PID", "UPTIME", "RESTARTS", "READY", "STATUS"]
    assert table_columns(rows[0], header) == ["web", "running", "42", "12m5s", "0", "yes",
                                              "serving"]
    assert table_columns(rows[1], header) == ["a-rather-long-service-name", "failed", "-", "3s",
                                              "7", "no", "exec: No such file or directory"]
    assert "\033" not in p.out  # not a tty


def test_status_json_is_the_document_as_sent(fake):
    raw = '{"services":[{"name":"web","state":"running","pid":42,"ready":true,' \
          '"restarts":0,"uptime_s":1.5,"last_exit":null,"status_text":"a\\u001b\\"b",' \
          '"reason":""}],  "extra": [1, 2.50]}'
    server = fake({"status web": raw})
    p = ctl("--json", "status", "web", sock=server.path)
    assert p.returncode == 0, p.err
    assert p.out == raw + "\n"
    assert server.requests == ["status web"]
    p = ctl("status", "web", "--json", sock=server.path)  # also after the command
    assert p.out == raw + "\n"


def test_requests_are_words_joined_by_spaces(fake):
    server = fake({w: {"services": []} for w in ("start", "stop", "restart", "status")} |
                  {"signal": {"name": "web", "signal": "HUP"}, "wait": {"name": "web",
                   "ready": True}, "log": {"name": "web", "lines": []}})
    for args, want in [
        (["start", "web", "db"], "start web db"),
        (["stop", "--no-wait", "web"], "stop web --no-wait"),
        (["restart", "web", "--no-wait"], "restart web --no-wait"),
        (["signal", "web", "sighup"], "signal web HUP"),
        (["signal", "web", "9"], "signal web KILL"),
        (["signal", "web", "SIGRTMIN+2"], "signal web RTMIN+2"),
        (["status"], "status --rows"),
        (["status", "web", "db"], "status web db --rows"),
        (["--json", "status", "web"], "status web"),
        (["wait", "web"], "wait web"),
        (["wait", "web", "--timeout", "2.5"], "wait web --timeout 2.5"),
        (["wait", "--timeout=3", "web"], "wait web --timeout 3"),
        (["log", "web"], "log web"),
        (["log", "-n", "5", "web"], "log web -n 5"),
        (["log", "web", "-n", "5000"], "log web -n 1000"),
    ]:
        server.requests.clear()
        p = ctl(*args, sock=server.path)
        assert p.returncode == 0, (args, p.err)
        assert server.requests == [want]


def test_simple_confirmations(fake):
    server = fake({"signal": {"name": "web", "signal": "HUP"}, "reload": {"reloaded": True},
                   "wait": {"name": "web", "ready": True}, "shutdown": {"shutdown": True},
                   "metrics": {"text": "# TYPE sexton_up gauge\nsexton_up 1\n"},
                   "check": {"ok": True, "problems": []}})
    assert ctl("signal", "web", "HUP", sock=server.path).out == "sent HUP to web\n"
    assert ctl("reload", sock=server.path).out == "reloaded\n"
    assert ctl("wait", "web", sock=server.path).out == "web is ready\n"
    assert ctl("shutdown", sock=server.path).out == "shutting down\n"
    assert ctl("metrics", sock=server.path).out == "# TYPE sexton_up gauge\nsexton_up 1\n"
    p = ctl("check", sock=server.path)
    assert p.returncode == 0 and p.out == "ok\n"


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["table", "json"])
def test_error_codes(fake, json_flag):
    server = fake({
        "status": {"error": "no such service: nope", "code": 2},
        "start": {"error": "start failed: web", "code": 1, "services": [LONG]},
        "reboot": {"error": "not in system mode", "code": 1},
        "stop": {"error": "permission denied: uid 1000", "code": 2},
        "restart": {"error": "odd", "code": 7},
        "reload": {"error": "bad configuration", "code": 1,
                   "errors": ["/etc/sexton.conf:3: unknown key 'x'",
                              "/etc/sexton.conf:9: bad value"]},
    })
    p = ctl(*json_flag, "status", "nope", sock=server.path)
    assert p.returncode == 2
    assert p.err == "sextonctl: no such service: nope\n"
    p = ctl(*json_flag, "start", "web", sock=server.path)
    assert p.returncode == 1
    assert p.err == "sextonctl: start failed: web\n"
    if json_flag:
        assert json.loads(p.out)["code"] == 1
    else:
        assert "a-rather-long-service-name" in p.out  # where things stand
    p = ctl(*json_flag, "reboot", sock=server.path)
    assert p.returncode == 1 and "not in system mode" in p.err
    p = ctl(*json_flag, "stop", "web", sock=server.path)
    assert p.returncode == 2 and p.err == "sextonctl: permission denied: uid 1000\n"
    p = ctl(*json_flag, "restart", "web", sock=server.path)
    assert p.returncode == 2
    p = ctl(*json_flag, "reload", sock=server.path)
    assert p.returncode == 1
    assert "/etc/sexton.conf:3: unknown key 'x'\n" in p.err
    assert "/etc/sexton.conf:9: bad value\n" in p.err


@pytest.mark.parametrize("cmd,answer,says", [
    ("shutdown", {"shutdown": True}, "shutting down"),
    ("poweroff", {"poweroff": True}, "powering off"),
    ("reboot", {"reboot": True}, "rebooting"),
    ("halt", {"halt": True}, "halting"),
])
def test_the_commands_that_stop_everything_outlive_the_stop(fake, cmd, answer, says):
    """sexton stops every service in the turn that answers these, the
    client too when a service runs it: SIGTERM and SIGHUP arriving before
    the answer must not keep it from printing it."""
    go = threading.Event()
    server = fake({cmd: Reply([answer], before=go)})
    p = subprocess.Popen([CTL, "-S", server.path, cmd], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=clean_env())
    deadline = time.monotonic() + 10
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.requests == [cmd]
    p.send_signal(signal.SIGTERM)
    p.send_signal(signal.SIGHUP)
    time.sleep(0.2)
    go.set()
    out, err = p.communicate(timeout=10)
    assert (p.returncode, out.decode(), err.decode()) == (0, says + "\n", "")


def test_other_commands_die_of_sigterm_as_usual(fake):
    server = fake({"status": Reply(silent=True)})
    p = subprocess.Popen([CTL, "-S", server.path, "status"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=clean_env())
    deadline = time.monotonic() + 10
    while not server.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    p.send_signal(signal.SIGTERM)
    assert p.wait(10) == -signal.SIGTERM


def test_doctor_and_check_problems_exit_1(fake):
    finding = {"kind": "stuck", "pid": 43, "tid": 44, "comm": "dd", "state": "D",
               "wchan": "nfs_wait", "seconds": 12, "sigkill_pending": True}
    limits = {"pids": 10, "pid_max": 100, "threads": 20, "threads_max": 100}
    server = fake({"doctor": {"ok": False, "findings": [finding], "limits": limits},
                   "check": {"ok": False, "problems": ["web: failed (exit 1)"]}})
    p = ctl("doctor", sock=server.path)
    assert p.returncode == 1, p.err
    assert p.out == ("stuck: pid 43 tid 44 (dd)\n"
                     "  state D, wchan nfs_wait, seen for 12 s, SIGKILL pending\n"
                     "\n"
                     "limits: pids 10/100 (10.0%), threads 20/100 (20.0%)\n")
    assert ctl("--json", "doctor", sock=server.path).returncode == 1
    p = ctl("check", sock=server.path)
    assert p.returncode == 1 and p.out == "web: failed (exit 1)\n"
    assert ctl("--json", "check", sock=server.path).returncode == 1


def test_doctor_without_findings(fake):
    server = fake({"doctor": {"ok": True, "findings": [],
                              "limits": {"pids": 1, "pid_max": 10, "threads": 1,
                                         "threads_max": 10}}})
    p = ctl("doctor", sock=server.path)
    assert p.returncode == 0
    assert p.out == "no findings\nlimits: pids 1/10 (10.0%), threads 1/10 (10.0%)\n"


def test_doctor_findings_read_well(fake):
    findings = [
        {"kind": "stuck", "pid": 42, "comm": "dd", "tid": 44, "state": "D",
         "wchan": "nfs_wait", "sigkill_pending": False, "stack": ["nfs_wait", "vfs_read"],
         "holds": ["tcp 0.0.0.0:8080 LISTEN"], "seconds": 7384.0, "service": "backup",
         "advice": "the NFS server must answer", "frozen_cgroup": "/sys/fs/cgroup/x"},
        {"kind": "fake_zombie", "pid": 7, "comm": "agent", "state": "Z",
         "threads": [{"tid": 8, "state": "S", "wchan": "futex_wait_queue"}]},
        {"kind": "traced_zombie", "pid": 9, "comm": "x", "state": "Z", "tracer_pid": 10,
         "tracer_comm": "strace"},
        {"kind": "unreaped", "seconds": 40, "parent_pid": 12, "parent_comm": "lazy",
         "count": 3},
    ]
    server = fake({"doctor": {"ok": False, "findings": findings, "more": 2,
                              "limits": {"pids": 1, "pid_max": 10, "threads": 1,
                                         "threads_max": 10}}})
    p = ctl("doctor", sock=server.path)
    assert p.returncode == 1, p.err
    assert p.out == (
        "stuck: pid 42 tid 44 (dd), service backup\n"
        "  state D, wchan nfs_wait, seen for 7384 s (2h3m)\n"
        "  stack: nfs_wait < vfs_read\n"
        "  holds: tcp 0.0.0.0:8080 LISTEN\n"
        "  frozen_cgroup: /sys/fs/cgroup/x\n"
        "  advice: the NFS server must answer\n"
        "\n"
        "fake_zombie: pid 7 (agent)\n"
        "  state Z\n"
        "  thread 8: state S, wchan futex_wait_queue\n"
        "\n"
        "traced_zombie: pid 9 (x), tracer 10 (strace)\n"
        "  state Z\n"
        "\n"
        "unreaped: parent 12 (lazy) has 3 zombies, oldest seen 40 s\n"
        "\n"
        "(2 more findings not listed)\n"
        "\n"
        "limits: pids 1/10 (10.0%), threads 1/10 (10.0%)\n")


def test_ps_tree(fake):
    procs = [{"pid": 1, "ppid": 0, "state": "S", "comm": "sexton", "service": None,
              "wchan": "do_epoll_wait", "threads": []},
             {"pid": 42, "ppid": 1, "state": "S", "comm": "sh", "service": "web",
              "wchan": "do_wait", "threads": []},
             {"pid": 43, "ppid": 42, "state": "S", "comm": "java", "service": "web",
              "wchan": "futex_wait", "finding": "stuck",
              "threads": [{"tid": 43, "state": "S", "wchan": "futex_wait"},
                          {"tid": 44, "state": "D", "wchan": "nfs"}]}]
    server = fake({"ps": {"processes": procs}})
    p = ctl("ps", sock=server.path)
    assert p.returncode == 0, p.err
    header, *lines = p.out.splitlines()
    assert header.split() == ["PID", "STATE", "WCHAN", "SERVICE", "FINDING", "COMM"]
    assert table_columns(lines[0], header) == ["1", "S", "do_epoll_wait", "-", "", "sexton"]
    assert table_columns(lines[1], header) == ["42", "S", "do_wait", "web", "", "\\_ sh"]
    assert table_columns(lines[2], header) == ["43", "S", "futex_wait", "web", "stuck",
                                               "\\_ java"]
    assert table_columns(lines[3], header) == ["tid 43", "S", "futex_wait", "", "",
                                               "\\_ {java}"]
    assert table_columns(lines[4], header) == ["tid 44", "D", "nfs", "", "", "\\_ {java}"]
    assert lines[4].startswith("  tid 44 ") and lines[4].endswith("       \\_ {java}")
    assert len(lines) == 5


def zombie_children(ppid):
    return [pid for pid in children_of(ppid) if (proc_stat(pid) or ("",))[0] == "Z"]


@pytest.fixture
def lazy_parent():
    """A process that never waits for its child: an unreaped zombie."""
    code = "import os, time\nif os.fork() == 0:\n    os._exit(0)\ntime.sleep(120)\n"
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 10
        while not zombie_children(parent.pid):
            assert time.monotonic() < deadline, "no zombie"
            time.sleep(0.02)
        yield parent
    finally:
        parent.kill()
        parent.wait()


def test_doctor_all_scans_the_system_without_a_daemon(fake, lazy_parent):
    server = fake({"doctor": {"ok": True, "findings": []}})
    comm = pathlib.Path(f"/proc/{lazy_parent.pid}/comm").read_text().strip()
    p = ctl("--json", "doctor", "--all", sock=server.path)
    assert p.returncode == 1, p.err
    assert one_line(p.out) and p.err == ""
    doc = json.loads(p.out)
    assert doc["ok"] is False
    # cgroup_pids*: only where our pids cgroup (or an ancestor) has a pids.max
    assert {"pids", "pid_max", "threads", "threads_max"} <= set(doc["limits"]) <= {
        "pids", "pid_max", "threads", "threads_max", "cgroup_pids", "cgroup_pids_max"}
    mine = [f for f in doc["findings"]
            if f.get("kind") == "unreaped" and f.get("parent_pid") == lazy_parent.pid]
    assert len(mine) == 1, doc
    assert mine[0]["count"] == 1 and mine[0]["parent_comm"] == comm
    assert "advice" in mine[0]
    p = ctl("doctor", "--all", sock=server.path)
    assert p.returncode == 1, p.err
    assert "--all" in ctl("doctor", "--help").out
    assert f"unreaped: parent {lazy_parent.pid} ({comm}) has 1 zombie, oldest seen " in p.out
    assert "\nlimits: pids " in p.out
    assert server.requests == []  # the daemon was never asked


def test_doctor_all_needs_no_socket(sockdir):
    p = ctl("doctor", "--all", sock=sockdir / "none.sock")
    assert p.returncode in (0, 1), p.err
    assert "limits: pids " in p.out
    p = ctl("doctor", "--all", sock="/tmp/" + "x" * 200)  # -S is not even looked at
    assert p.returncode in (0, 1), p.err


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root")
def test_doctor_all_without_proc_exits_2():
    # an unreadable /proc, in a mount namespace of its own
    script = ('mount -t tmpfs -o mode=000 none /proc && exec setpriv --reuid=65534 '
              '--regid=65534 --clear-groups "$0" "$@"')

    def run(*args):
        return subprocess.run(["unshare", "--mount", "sh", "-c", script, CTL, *args],
                              capture_output=True, text=True, timeout=20, env=clean_env())

    if run("--version").returncode != 0:
        pytest.skip("this build cannot start without /proc (a sanitizer build)")
    p = run("doctor", "--all")
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert p.stdout == ""
    assert p.stderr == "sextonctl: doctor --all: cannot scan the processes: Permission denied\n"


def readline_within(pipe, timeout):
    """One line from PIPE (unbuffered reads: nothing is kept from us)."""
    line = b""
    deadline = time.monotonic() + timeout
    while not line.endswith(b"\n"):
        r, _, _ = select.select([pipe], [], [], max(0, deadline - time.monotonic()))
        if not r:
            raise AssertionError(f"no line within {timeout}s, got {line!r}")
        c = os.read(pipe.fileno(), 1)
        if not c:
            break
        line += c
    return line


def test_log_lines_and_follow_streams(fake):
    gate = threading.Event()
    server = fake({
        "log web -n 2": {"name": "web", "lines": ["old 1", "old 2"]},
        "log web -f": Reply([{"name": "web", "lines": ["old"]}, {"line": "new 1"},
                             {"line": "new 2"}, {"line": "new\u001b3"}], gate=gate,
                            delay=0.05),
    })
    p = ctl("log", "web", "-n", "2", sock=server.path)
    assert p.returncode == 0 and p.out == "old 1\nold 2\n"
    proc = subprocess.Popen([CTL, "-S", server.path, "log", "web", "-f"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env())
    try:
        # the first line arrives while the daemon still holds the rest
        assert readline_within(proc.stdout, 10) == b"old\n"
        gate.set()
        assert readline_within(proc.stdout, 10) == b"new 1\n"
        rest, err = proc.communicate(timeout=10)
    finally:
        gate.set()
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert rest == b"new 2\nnew?3\n"


def test_log_follow_json_prints_every_line(fake):
    lines = [{"name": "web", "lines": []}, {"line": "a"}, {"line": "b"}]
    server = fake({"log": Reply(lines)})
    p = ctl("--json", "log", "web", "-f", sock=server.path)
    assert p.returncode == 0
    assert [json.loads(l) for l in p.out.splitlines()] == lines


def test_log_follow_is_not_timed_out(fake):
    server = fake({"log": Reply([{"name": "web", "lines": []}, {"line": "late"}], delay=2)})
    p = ctl("log", "web", "-f", sock=server.path, env=clean_env(SEXTONCTL_TIMEOUT="1"))
    assert p.returncode == 0 and p.out == "late\n"


def test_log_follow_malformed_line_exits_2(fake):
    server = fake({"log": Reply([{"name": "web", "lines": []}, {"line": "ok"}, "garbage"],
                                hold=True)})
    p = ctl("log", "web", "-f", sock=server.path)
    assert p.returncode == 2 and p.out == "ok\n"
    assert one_line(p.err) and "malformed" in p.err


# (answer, also refused by --json, which checks only that it is a JSON object)
MALFORMED = [
    (b"", True),                              # closed without a word
    (b"not json\n", True),
    (b"[1,2]\n", True),
    (b'"string"\n', True),
    (b'{"services":5}\n', False),             # valid JSON, wrong shape
    (b'{"services":[1]}\n', False),
    (b'{"services":[{"name":"web"}]', True),  # cut short
    (b'{"a":"\xff"}\n', True),                # not UTF-8
    (b'{"a":1} {"b":2}\n', True),
    (b"\n", True),
]


@pytest.mark.parametrize("answer,json_too", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_answer_exits_2(fake, answer, json_too):
    server = fake({"status": answer})
    p = ctl("status", sock=server.path)
    assert p.returncode == 2, p.out
    assert one_line(p.err) and p.err.startswith("sextonctl: "), p.err
    assert p.out == ""
    if json_too:
        p = ctl("--json", "status", sock=server.path)
        assert p.returncode == 2 and one_line(p.err) and p.out == ""


def test_any_shape_never_crashes(fake):
    odd = {"services": [{}, {"name": 5, "state": None, "pid": "x", "uptime_s": [],
                             "ready": "yes", "restarts": {}, "last_exit": 3}],
           "processes": [{"pid": 1, "ppid": 1}, {"ppid": None}, {"pid": 2, "ppid": 3},
                         {"pid": 3, "ppid": 2}],
           "findings": [1, None, {"kind": {}}], "limits": [], "ok": True,
           "lines": [1, None, "x"], "text": "t", "problems": 5}
    server = fake({w: odd for w in ("status", "ps", "doctor", "log", "metrics", "check")})
    for args in (["status"], ["ps"], ["doctor"], ["log", "web"], ["metrics"], ["check"]):
        p = ctl(*args, sock=server.path)
        assert p.returncode == 0, (args, p.err)


def test_hostile_strings_reach_no_terminal(fake):
    evil = "x\u001b]0;pwned\u0007\u001b[2J\r\n\u009b31m"
    server = fake({"status": {"services": [dict(WEB, name=evil, status_text=evil)]},
                   "status web --rows": {"error": evil, "code": 2}})
    p = ctl("status", sock=server.path)
    assert p.returncode == 0
    assert not any(c in p.out for c in "\u001b\u0007\r\u009b")
    assert len(p.out.splitlines()) == 2
    p = ctl("status", "web", sock=server.path)
    assert p.returncode == 2 and one_line(p.err)
    assert not any(c in p.err for c in "\u001b\u0007\r\u009b")


def test_server_that_never_answers_times_out(fake):
    server = fake({"status": Reply(silent=True)})
    start = time.monotonic()
    p = ctl("status", sock=server.path, env=clean_env(SEXTONCTL_TIMEOUT="1"))
    took = time.monotonic() - start
    assert p.returncode == 2
    assert one_line(p.err) and "no answer from sexton" in p.err
    assert 0.9 < took < 5, took


def test_answer_without_close_is_enough(fake):
    server = fake({"status": Reply([STATUS], hold=True)})
    p = ctl("status", sock=server.path, env=clean_env(SEXTONCTL_TIMEOUT="5"), timeout=4)
    assert p.returncode == 0 and "web" in p.out


def test_one_mib_answer(fake):
    lines = ["line %06d " % i + "x" * 100 for i in range(10000)]  # ~1.1 MiB
    doc = {"name": "web", "lines": lines}
    raw = json.dumps(doc, separators=(",", ":"))
    assert len(raw) > 1024 * 1024
    server = fake({"log": raw})
    p = ctl("log", "web", sock=server.path)
    assert p.returncode == 0, p.err
    assert p.out == "".join(l + "\n" for l in lines)
    p = ctl("--json", "log", "web", sock=server.path)
    assert p.returncode == 0 and p.out == raw + "\n"


def run_on_tty(argv, env):
    """ARGV's stdout on a pseudo-terminal; returns (exit code, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    out = b""
    while True:
        r, _, _ = select.select([master], [], [], 10)
        if not r:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=10), out


def test_colour_only_on_a_tty_and_never_with_no_color(fake):
    server = fake({"status": STATUS})
    argv = [CTL, "-S", server.path, "status"]
    rc, out = run_on_tty(argv, clean_env(TERM="xterm"))
    assert rc == 0
    assert b"\033[32mrunning\033[0m" in out and b"\033[31mfailed\033[0m" in out
    rc, out = run_on_tty(argv, clean_env(TERM="xterm", NO_COLOR="1"))
    assert rc == 0 and b"running" in out and b"\033" not in out
    rc, out = run_on_tty(argv + ["--no-color"], clean_env(TERM="xterm"))
    assert rc == 0 and b"running" in out and b"\033" not in out
