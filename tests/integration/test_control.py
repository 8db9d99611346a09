"""The control socket, spoken raw (PROTOCOL.md): commands, permissions,
and clients that misbehave. sexton must keep answering within 100 ms."""
import json
import os
import pathlib
import re
import socket
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import SEXTON, control_request, wait_for, write_script


def request(path, line, timeout=5):
    return control_request(path, line, timeout)


def one(path, line, **kw):
    docs = request(path, line, **kw)
    assert len(docs) == 1, docs
    return docs[0]


def timed_status(path):
    t0 = time.monotonic()
    doc = one(path, "status")
    return time.monotonic() - t0, doc


def base(sock, extra=""):
    return (f"[sexton]\nsocket = {sock}\nstop_timeout = 2\n{extra}\n"
            "[service:db]\ncommand = sleep 1000\n\n"
            "[service:web]\ncommand = sh -c 'while :; do echo line $$; sleep 0.1; done'\n"
            "depends = db\noutput = tagged\n")


@pytest.fixture
def ctl(daemon, tmp_path):
    sock = tmp_path / "s.sock"

    def start(extra="", conf=None):
        d = daemon(conf or base(sock, extra))
        wait_for(lambda: sock.exists(), what="control socket")
        d.sock = sock
        d.wait_log(r"service web: started")
        return d

    return start


def test_status_fields_and_types(ctl):
    d = ctl()
    doc = one(d.sock, "status")
    web = next(s for s in doc["services"] if s["name"] == "web")
    assert web["state"] == "running" and web["ready"] is True
    assert isinstance(web["pid"], int) and isinstance(web["restarts"], int)
    assert isinstance(web["uptime_s"], float) and web["last_exit"] is None
    assert isinstance(web["status_text"], str)
    assert one(d.sock, "status nope") == {"error": "no such service: nope", "code": 2}


def test_wait_and_log_take_exactly_one_service(ctl):
    d = ctl()
    for cmd in ("wait", "log"):
        assert one(d.sock, f"{cmd} db web") == {"error": f"{cmd}: exactly one service",
                                                "code": 2}
    assert one(d.sock, "wait nope") == {"error": "no such service: nope", "code": 2}


def test_stop_start_restart_wait_for_state(ctl):
    d = ctl()
    doc = one(d.sock, "stop db")  # web depends on db: it goes down first
    assert doc["services"][0]["state"] == "stopped"
    states = {s["name"]: s["state"] for s in one(d.sock, "status")["services"]}
    assert states == {"db": "stopped", "web": "stopped"}
    doc = one(d.sock, "start web")  # brings db up first
    assert doc["services"][0]["state"] == "running"
    old = doc["services"][0]["pid"]
    doc = one(d.sock, "restart web")
    assert doc["services"][0]["pid"] != old and doc["services"][0]["restarts"] >= 1
    doc = one(d.sock, "stop web --no-wait")
    assert "services" in doc


def test_failed_start_reports_code_1(ctl, tmp_path):
    sock = tmp_path / "s.sock"
    d = ctl(conf=base(sock) + "\n[service:ghost]\ncommand = /nonexistent\nautostart = no\n")
    doc = one(d.sock, "start ghost")
    assert doc["code"] == 1
    assert "ghost: failed: cannot exec /nonexistent: No such file or directory" in doc["error"]


def test_start_and_wait_fail_at_once_when_a_dependency_failed(ctl, tmp_path):
    """A service a failed dependency keeps stopped (directly or through
    another) will not come up: start and wait say so at once, instead of
    waiting out their time limit. A reload that mends the dependency
    brings them up; `start` of the mended chain reaches running."""
    sock = tmp_path / "s.sock"
    d = ctl(conf=base(sock) + "\n[service:ghost]\ncommand = /nonexistent\nrestart = never\n"
                              "\n[service:api]\ncommand = sleep 100\ndepends = ghost\n"
                              "\n[service:front]\ncommand = sleep 100\ndepends = api\n")
    d.wait_log(r"service front: not started: dependency api cannot start")
    for line, err in [("start api", "api: not started: dependency ghost failed"),
                      ("start front", "front: not started: dependency api cannot start"),
                      ("restart front", "front: not started: dependency api cannot start"),
                      ("wait api", "api: not started: dependency ghost failed")]:
        t0 = time.monotonic()
        assert one(d.sock, line, timeout=10).get("error") == err, line
        assert time.monotonic() - t0 < 2, line
    # each start tried the failed service at the bottom of the chain again
    assert len(re.findall(r"service ghost: cannot exec", d.log())) == 4
    states = {s["name"]: (s["state"], s["reason"]) for s in one(d.sock, "status")["services"]}
    assert states["front"] == ("stopped", "not started: dependency api cannot start")
    assert states["ghost"][0] == "failed"
    # a stopped service never started has been stopped since sexton began
    assert 0 <= one(d.sock, "status front")["services"][0]["uptime_s"] < 60
    d.conf.write_text(d.conf.read_text().replace("command = /nonexistent", "command = sleep 100"))
    assert one(d.sock, "reload").get("reloaded") is True
    d.wait_log(r"service front: started")
    doc = one(d.sock, "start front", timeout=10)
    assert doc["services"][0]["state"] == "running", doc


def test_one_start_tries_a_failed_dependency_once_whatever_the_paths_to_it(ctl, tmp_path):
    """front needs left and right, which both need ghost: `start front`
    reaches ghost by two paths and tries it once (as dinit and systemd
    start a unit once per transaction), not once per path; so does
    `start left right`, one request naming both. ghost fails
    before any process exists (its log file cannot be opened), so nothing
    else stops a second try in the same request."""
    sock = tmp_path / "s.sock"
    d = ctl(conf=base(sock) + "\n[service:ghost]\ncommand = sleep 100\nrestart = never\n"
                              f"output = file:{tmp_path}/no/such/dir/ghost.log\n"
                              "\n[service:left]\ncommand = sleep 100\ndepends = ghost\n"
                              "\n[service:right]\ncommand = sleep 100\ndepends = ghost\n"
                              "\n[service:front]\ncommand = sleep 100\ndepends = left right\n")
    d.wait_log(r"service front: not started: dependency (left|right) cannot start")
    tries = lambda: len(re.findall(r"service ghost: cannot open output file", d.log()))
    assert tries() == 1
    for n in (2, 3):
        assert "error" in one(d.sock, "start front", timeout=10)
        assert tries() == n
    assert "error" in one(d.sock, "start left right", timeout=10)
    assert tries() == 4


def test_a_dependency_that_ended_blocks_until_started_again(ctl, tmp_path):
    """A simple dependency that exited 0 with restart = never has ended:
    what still waits for it is blocked (wait fails at once), and `start`
    of the dependent runs the dependency again first (here, once the other
    dependency is ready, so that prep is up when app's turn comes)."""
    sock = tmp_path / "s.sock"
    d = ctl(conf=base(sock) +
            "\n[service:prep]\ncommand = true\nrestart = never\n"
            "\n[service:slow]\ntype = notify\nready_fd = 3\n"
            "command = sh -c 'sleep 0.5; echo >&3; exec sleep 100'\n"
            "\n[service:app]\ncommand = sleep 100\ndepends = prep slow\n")
    d.wait_log(r"service app: not started: dependency prep has ended")
    d.wait_log(r"service slow: ready")
    t0 = time.monotonic()
    assert one(d.sock, "wait app", timeout=10).get("error") == \
        "app: not started: dependency prep has ended"
    assert time.monotonic() - t0 < 2
    doc = one(d.sock, "start app", timeout=10)
    assert doc["services"][0]["state"] == "running", doc
    assert len(re.findall(r"service prep: started", d.log())) == 2


def test_signal_kills_service_and_check_reports_it(ctl):
    d = ctl()
    one(d.sock, "signal web KILL")
    d.wait_log(r"service web: killed by SIGKILL")
    chk = one(d.sock, "check")
    assert chk["ok"] is False and chk["problems"][0].startswith("web: backoff")


def test_signal_reload_check_metrics_ps(ctl, tmp_path):
    d = ctl()
    assert one(d.sock, "signal web CONT") == {"name": "web", "signal": "CONT"}
    assert one(d.sock, "signal web NOPE")["code"] == 2
    assert one(d.sock, "reload") == {"reloaded": True}
    assert one(d.sock, "check") == {"problems": [], "ok": True}
    text = one(d.sock, "metrics")["text"]
    assert re.search(r'^sexton_service_up\{service="db"\} 1$', text, re.M)
    assert "# TYPE sexton_orphans_reaped_total counter" in text
    procs = one(d.sock, "ps")["processes"]
    assert procs[0]["pid"] == 1 and procs[0]["comm"] == "sexton"
    svc = {p["service"] for p in procs if p["service"]}
    assert {"db", "web"} <= svc
    assert all(p["threads"] for p in procs)


def test_metrics_counts_the_processes_of_the_namespace(ctl, tmp_path):
    """sexton_pids: every process in sexton's PID namespace (sexton and
    four sleeps here), not /proc's other entries, not threads."""
    sock = tmp_path / "s.sock"
    conf = f"[sexton]\nsocket = {sock}\n" + "".join(
        f"[service:s{i}]\ncommand = sleep 1000\n" for i in range(3))
    d = ctl(conf=conf + "[service:web]\ncommand = sleep 1000\n")
    text = one(d.sock, "metrics")["text"]
    assert re.search(r"^sexton_pids 5$", text, re.M), text
    assert int(re.search(r"^sexton_threads (\d+)$", text, re.M).group(1)) >= 5


def test_bad_reload_reports_file_line_and_changes_nothing(ctl):
    d = ctl()
    before = one(d.sock, "status db")["services"][0]["pid"]
    d.conf.write_text(d.conf.read_text() + "\n[service:x]\nbogus = 1\n")
    doc = one(d.sock, "reload")
    assert doc["code"] == 1
    assert any(re.match(rf"{re.escape(str(d.conf))}:\d+: .*bogus", e) for e in doc["errors"])
    assert one(d.sock, "status db")["services"][0]["pid"] == before


def test_log_tail_and_follow(ctl):
    d = ctl()
    time.sleep(0.5)
    doc = one(d.sock, "log web -n 3")
    assert len(doc["lines"]) == 3 and all(l.startswith("line ") for l in doc["lines"])
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(d.sock))
    s.sendall(b"log web -n 0 -f\n")
    f = s.makefile("r")
    assert json.loads(f.readline())["lines"] == []
    got = [json.loads(f.readline())["line"] for _ in range(3)]
    assert all(g.startswith("line ") for g in got)
    s.close()
    assert one(d.sock, "log db")["code"] == 1  # not tagged


def test_wait_ready_and_timeout(ctl, tmp_path):
    sock = tmp_path / "s.sock"
    d = ctl(conf=base(sock) + "\n[service:slow]\ntype = notify\ncommand = sleep 1000\n"
            "ready_timeout = 0\n")
    assert one(d.sock, "wait db") == {"name": "db", "ready": True}
    t0 = time.monotonic()
    doc = one(d.sock, "wait slow --timeout 0.5")
    assert doc["code"] == 1 and "timeout" in doc["error"]
    assert 0.4 < time.monotonic() - t0 < 2


def test_shutdown_command(ctl):
    d = ctl()
    assert one(d.sock, "shutdown") == {"shutdown": True}
    assert d.wait(10) == 0
    assert not d.sock.exists(), "socket file left behind"


def test_system_commands_refused_outside_system_mode(ctl):
    d = ctl()
    for c in ("poweroff", "reboot", "halt"):
        assert one(d.sock, c)["code"] == 1


def test_stale_socket_replaced(daemon, tmp_path):
    sock = tmp_path / "s.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(sock))
    s.close()  # the file stays, nobody listens: what a killed sexton leaves
    d = daemon(base(sock))
    wait_for(lambda: _answers(sock), what="sexton on the stale path")
    d.stop()


def _answers(sock):
    try:
        return one(sock, "status")
    except OSError:
        return None


def test_second_sexton_refused(ctl, tmp_path):
    d = ctl()
    p = subprocess.run([SEXTON, "-c", str(d.conf)], capture_output=True, text=True, timeout=10)
    assert p.returncode == 1
    assert f"another sexton is running on {d.sock}" in p.stderr
    assert one(d.sock, "status")["services"]


def test_socket_mode_and_group(ctl):
    d = ctl(extra="socket_group = www-data\n")
    st = os.stat(d.sock)
    assert stat.S_IMODE(st.st_mode) == 0o660
    assert st.st_gid == 33


def test_unwritable_socket_dir_runs_without_socket(daemon, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    d = daemon(f"[sexton]\nsocket = /proc/sexton.sock\n[service:a]\ncommand = sleep 100\n")
    d.wait_log(r"service a: started")
    assert re.search(r"no control socket at /proc/sexton.sock: .*running without it", d.log())
    assert d.stop() == 0


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
CLIENT = ("import socket,sys;s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1]);"
          "s.sendall(sys.argv[2].encode()+b'\\n');print(s.makefile().read())")


def as_nobody(sock, line):
    p = subprocess.run(NOBODY + ["/usr/bin/python3", "-c", CLIENT, str(sock), line],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_permissions(daemon):
    shared = pathlib.Path(tempfile.mkdtemp(prefix="sexton-perm-", dir="/tmp"))
    shared.chmod(0o755)
    sock = shared / "s.sock"
    # World-connectable, no group: the kernel's credentials decide, not the mode.
    d = daemon(base(sock, "socket_mode = 0666\n"))
    wait_for(lambda: sock.exists())
    doc = as_nobody(sock, "status")
    assert doc["code"] == 2 and doc["error"].startswith("permission denied")
    assert as_nobody(sock, "stop db")["code"] == 2
    d.stop()
    # socket_group = nobody's group: read-only commands only.
    d = daemon(base(sock, "socket_group = 65534\n"))
    wait_for(lambda: sock.exists())
    assert "services" in as_nobody(sock, "status")
    doc = as_nobody(sock, "stop db")
    assert doc["code"] == 2 and "read-only" in doc["error"]
    assert one(sock, "status db")["services"][0]["state"] == "running"
    d.stop()


# ---- hostile clients --------------------------------------------------------------


def test_garbage_and_huge_requests(ctl):
    d = ctl()
    for payload in (b"\x00\x01\x02garbage\xff\n", b"status\tweb\n", b"\n", b"x" * 100 + b"\n"):
        s = socket.socket(socket.AF_UNIX)
        s.connect(str(d.sock))
        s.sendall(payload)
        reply = json.loads(s.makefile("rb").readline())
        assert reply["code"] == 2 and reply["error"].startswith("bad request")
        s.close()
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(d.sock))
    s.settimeout(10)
    try:
        s.sendall(b"status " + b"a" * (1 << 20))  # 1 MiB, no newline
    except (BrokenPipeError, ConnectionResetError):
        pass  # sexton hung up after 64 KiB: also fine
    try:
        reply = s.makefile("rb").readline()
        assert not reply or b"longer than" in reply
    except ConnectionResetError:
        pass
    s.close()
    dt, doc = timed_status(d.sock)
    assert dt < 0.1 and doc["services"]


def test_idle_connection_flood_does_not_lock_out(ctl):
    d = ctl()
    idle = []
    for _ in range(500):
        s = socket.socket(socket.AF_UNIX)
        s.connect(str(d.sock))
        idle.append(s)
    dt, doc = timed_status(d.sock)
    assert dt < 0.1, dt
    assert doc["services"]
    for s in idle:
        s.close()


def test_client_that_never_reads_a_large_answer(ctl, tmp_path):
    sock = tmp_path / "s.sock"
    noisy = write_script(tmp_path, "noisy", "i=0; while [ $i -lt 1200 ]; do "
                         "printf '%04000d\\n' $i; i=$((i+1)); done; sleep 1000")
    d = ctl(conf=base(sock) + f"\n[service:noisy]\ncommand = {noisy}\noutput = tagged\n")
    wait_for(lambda: len(one(d.sock, "log noisy -n 1000")["lines"]) == 1000, 10)
    stuck = socket.socket(socket.AF_UNIX)
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect(str(d.sock))
    stuck.sendall(b"log noisy -n 1000\n")  # ~4 MB answer, never read
    time.sleep(0.3)
    for _ in range(5):
        dt, doc = timed_status(d.sock)
        assert dt < 0.1, dt
    # dropped after the idle timeout instead of being buffered for ever
    stuck.settimeout(10)
    wait_for(lambda: _closed(stuck), 12, what="slow reader dropped")


def _closed(s):
    try:
        while True:
            if not s.recv(1 << 20):
                return True
    except socket.timeout:
        return False
    except OSError:
        return True


def test_client_killed_mid_request(ctl):
    d = ctl()
    code = ("import socket,sys,os;s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1]);"
            "s.sendall(b'stat');os.kill(os.getpid(),9)")
    for _ in range(20):
        subprocess.run(["/usr/bin/python3", "-c", code, str(d.sock)], timeout=10)
    dt, doc = timed_status(d.sock)
    assert dt < 0.1 and doc["services"]
    assert d.proc.poll() is None


def test_silent_client_dropped_after_idle_timeout(ctl):
    d = ctl()
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(d.sock))
    s.settimeout(10)
    t0 = time.monotonic()
    assert s.recv(100) == b""
    assert 4 < time.monotonic() - t0 < 8



def follower(sock, name="web"):
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(sock))
    s.sendall(f"log {name} -n 0 -f\n".encode())
    return s


def test_followers_get_each_line_once(ctl, tmp_path):
    """Each send to a follower moved it to the end of the client list, where
    the walk over the list met it again: a line went twice to a follower
    with any client behind it, and hundreds of times to two followers."""
    sock = tmp_path / "s.sock"
    d = ctl(conf=base(sock) + "\n[service:tick]\noutput = tagged\n"
            "command = sh -c 'i=0; while :; do i=$((i+1)); echo n$i; sleep 0.1; done'\n")
    a, b = follower(sock, "tick"), follower(sock, "tick")
    time.sleep(0.05)
    idle = socket.socket(socket.AF_UNIX)
    idle.connect(str(sock))  # behind both in the list
    time.sleep(1.2)
    for s in (a, b):
        s.setblocking(False)
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except BlockingIOError:
            pass
        s.close()
        lines = [json.loads(l)["line"] for l in data.decode().splitlines()[1:]]
        assert 5 <= len(lines) <= 20, (len(lines), lines[:20])  # one each 0.1 s
        assert len(set(lines)) == len(lines), lines[:20]
    idle.close()


def peer_closed_after(s, limit):
    """Seconds until the peer of S closed it (POLLRDHUP: no read, so no
    progress), or None after LIMIT."""
    import select
    p = select.poll()
    p.register(s, select.POLLRDHUP)
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if p.poll(100):
            return time.monotonic() - t0
    return None


def test_a_follower_that_reads_nothing_is_dropped(ctl, tmp_path):
    """Each queued line pushed the follower's deadline back: one that read
    nothing held up to 4 MiB of PID 1 for as long as its service printed."""
    sock = tmp_path / "s.sock"
    d = ctl(conf=base(sock) + "\n[service:loud]\noutput = tagged\n"
            "command = sh -c 'while :; do seq 1 500; sleep 0.05; done'\n")
    s = socket.socket(socket.AF_UNIX)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(str(sock))
    s.sendall(b"log loud -n 0 -f\n")
    took = peer_closed_after(s, 14)
    assert took is not None, "a follower that reads nothing was kept 14 s"
    assert 4.5 < took < 12, took  # the buffers fill at once, then 5 s without progress
    assert one(sock, "status loud")["services"][0]["state"] == "running"
    s.close()


def test_a_request_has_five_seconds_from_the_connection(ctl):
    """PROTOCOL.md: within 5 s of connecting. Each byte pushed it back, so
    one byte every 4 s held a slot and its buffer for days."""
    d = ctl()
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(d.sock))
    t0 = time.monotonic()
    for ch in b"status":
        s.sendall(bytes([ch]))
        took = peer_closed_after(s, 2)
        if took is not None:
            break
    gone = time.monotonic() - t0
    assert 4.5 < gone < 8, gone
    s.close()


def fd_limit_leaving_one_free(pid):
    fds = {int(f) for f in os.listdir(f"/proc/{pid}/fd")}
    for limit in range(3, max(fds) + 3):
        if limit - len([f for f in fds if f < limit]) == 1:
            return limit
    raise AssertionError(fds)


def test_one_free_descriptor_serves_clients_one_at_a_time(ctl):
    """With the table full, accept4 fails before it looks at the queue: the
    try after the one that took the last slot always failed, and sexton
    shed a client for nobody: the one it had just accepted."""
    d = ctl()
    pid = d.sexton_pid
    limit = fd_limit_leaving_one_free(pid)
    soft = next(l.split()[3] for l in open(f"/proc/{pid}/limits") if l.startswith("Max open files"))
    subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={limit}:"], check=True)
    try:
        for _ in range(3):
            doc = one(d.sock, "status")
            assert "services" in doc, doc
    finally:
        subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={soft}:"], check=True)
    assert "dropping the longest-idle client" not in d.log()


def test_a_client_that_half_closes_still_gets_its_answer(ctl, tmp_path):
    """`echo 'wait slow' | nc -U` shuts its sending side down after the
    line: its EOF read as leaving, and it got nothing. Hanging up both ways
    still is leaving."""
    sock = tmp_path / "s.sock"
    d = ctl(conf=base(sock) + "\n[service:slow]\ntype = notify\ncommand = sleep 1000\n"
            "ready_timeout = 0\n")
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(sock))
    s.sendall(b"wait slow --timeout 1.5\n")
    s.shutdown(socket.SHUT_WR)
    s.settimeout(5)
    t0 = time.monotonic()
    doc = json.loads(s.makefile().readline())
    assert doc == {"error": "timeout: slow not ready", "code": 1}, doc
    assert 1.3 < time.monotonic() - t0 < 3
    s.close()
    f = follower(sock)
    f.shutdown(socket.SHUT_WR)
    f.settimeout(3)
    r = f.makefile("r")
    assert json.loads(r.readline())["lines"] == []
    assert json.loads(r.readline())["line"].startswith("line ")  # web prints every 0.1 s
    f.close()
    time.sleep(0.3)
    assert one(sock, "status db")["services"][0]["state"] == "running"

def test_a_parked_client_outlives_a_flood_of_idle_connections(ctl, tmp_path):
    """A parked client (start, wait, log -f) is never touched, so it was
    always the longest idle, and the first dropped when 128 were
    connected: a flood of idle connections cancelled an operator's wait."""
    sock = tmp_path / "s.sock"
    ctl(conf=base(sock) + "\n[service:slow]\ntype = notify\ncommand = sleep 1000\n"
        "ready_timeout = 0\n")
    w = socket.socket(socket.AF_UNIX)
    w.connect(str(sock))
    w.sendall(b"wait slow --timeout 2\n")
    time.sleep(0.1)
    flood = []
    for _ in range(140):
        s = socket.socket(socket.AF_UNIX)
        s.connect(str(sock))
        flood.append(s)
    w.settimeout(5)
    line = w.makefile().readline()
    assert line, "the parked wait was dropped"
    assert json.loads(line) == {"error": "timeout: slow not ready", "code": 1}
    for s in flood:
        s.close()
    w.close()


def test_wait_takes_its_options_before_the_name(ctl):
    d = ctl()
    assert one(d.sock, "wait --timeout 2 db") == {"name": "db", "ready": True}


def test_a_follower_of_a_removed_service_is_told(ctl, tmp_path):
    """It waited for ever, on a pointer to the freed service."""
    sock = tmp_path / "s.sock"
    d = ctl()
    s = follower(sock)
    f = s.makefile("r")
    assert json.loads(f.readline())["lines"] == []
    d.reload(f"[sexton]\nsocket = {sock}\nstop_timeout = 2\n\n[service:db]\ncommand = sleep 1000\n")
    s.settimeout(8)
    docs = [json.loads(l) for l in f]  # to EOF
    assert docs and docs[-1] == {"error": "web: removed from the configuration", "code": 1}, docs
    assert one(sock, "status db")["services"][0]["state"] == "running"


def test_a_member_of_socket_group_with_many_groups_may_read(daemon):
    """SO_PEERGROUPS fails with ERANGE past the buffer (256): a peer with
    more supplementary groups lost its socket_group rights."""
    shared = pathlib.Path(tempfile.mkdtemp(prefix="sexton-groups-", dir="/tmp"))
    shared.chmod(0o755)
    sock = shared / "s.sock"
    d = daemon(base(sock, "socket_group = 4242\n"))
    wait_for(lambda: sock.exists())
    for n in (10, 300):
        groups = ",".join(str(g) for g in [4242] + list(range(5000, 5000 + n - 1)))
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", f"--groups={groups}",
                            "/usr/bin/python3", "-c", CLIENT, str(sock), "status"],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 0, p.stderr
        assert "services" in json.loads(p.stdout), (n, p.stdout)
    d.stop()

# ---- sextonctl against the real daemon -----------------------------------------------

SEXTONCTL = os.environ.get("SEXTONCTL_BIN", str(pathlib.Path(SEXTON).parent / "sextonctl"))


def sextonctl(sock, *args, user=None):
    argv = [SEXTONCTL, "-S", str(sock), *args]
    if user:
        argv = NOBODY + argv
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


def test_sextonctl_status_table_and_json(ctl):
    d = ctl()
    p = sextonctl(d.sock, "status")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATE", "PID", "UPTIME", "RESTARTS", "READY", "STATUS"]
    rows = {l.split()[0]: l.split() for l in lines[1:]}
    assert rows["db"][1] == "running" and rows["web"][5] == "yes"
    p = sextonctl(d.sock, "--json", "status")
    doc = json.loads(p.stdout)
    assert set(doc["services"][0]) >= {"name", "state", "pid", "ready", "restarts", "uptime_s",
                                       "last_exit", "status_text"}


def test_sextonctl_exit_codes(ctl, tmp_path):
    sock = tmp_path / "s.sock"
    d = ctl(conf=base(sock) + "\n[service:ghost]\ncommand = /nonexistent\nautostart = no\n")
    p = sextonctl(d.sock, "start", "ghost")
    assert p.returncode == 1 and "No such file or directory" in p.stderr
    p = sextonctl(d.sock, "check")
    assert p.returncode == 0, p.stdout + p.stderr
    p = sextonctl(d.sock, "stop", "db")
    assert p.returncode == 0
    p = sextonctl(d.sock, "check")
    assert p.returncode == 1 and "db: stopped" in p.stdout + p.stderr
    d.conf.write_text(d.conf.read_text() + "\n[service:x]\nbogus = 1\n")
    p = sextonctl(d.sock, "reload")
    assert p.returncode == 1 and re.search(rf"{re.escape(str(d.conf))}:\d+: .*bogus", p.stderr)
    p = sextonctl(tmp_path / "nothing-here.sock", "status")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
    p = sextonctl(d.sock, "status", "nope")
    assert p.returncode == 2


def test_sextonctl_permission_denied_exit_2(daemon):
    shared = pathlib.Path(tempfile.mkdtemp(prefix="sexton-perm-", dir="/tmp"))
    shared.chmod(0o755)
    sock = shared / "s.sock"
    d = daemon(base(sock, "socket_group = 65534\n"))
    wait_for(lambda: sock.exists())
    d.wait_log(r"service web: started")
    p = sextonctl(sock, "status", user="nobody")
    assert p.returncode == 0, p.stderr
    p = sextonctl(sock, "stop", "db", user="nobody")
    assert p.returncode == 2 and "permission denied" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_sextonctl_log_follow(ctl):
    d = ctl()
    p = subprocess.Popen([SEXTONCTL, "-S", str(d.sock), "log", "web", "-n", "0", "-f"],
                         stdout=subprocess.PIPE, text=True)
    try:
        first = [p.stdout.readline() for _ in range(3)]
        assert all(l.startswith("line ") for l in first), first
    finally:
        p.kill()
        p.wait()
    assert one(d.sock, "status")["services"]  # the daemon is fine after the follower left


def test_wrapper_not_pid1_makes_no_default_socket(run, tmp_path):
    """`sexton -- cmd` as a subreaper wrapper on a host shares /run with every
    other such wrapper: no default socket (each would probe and wake the
    first); -S still makes one."""
    def ident():
        try:
            st = os.stat("/run/sexton.sock")
            return (st.st_ino, st.st_mtime_ns)
        except FileNotFoundError:
            return None

    before = ident()  # a stale file from elsewhere may be there: leave it be
    r = run(["--", "sleep", "1"], pid1=False)
    time.sleep(0.3)
    assert ident() == before, "the wrapper created or replaced /run/sexton.sock"
    r.wait()
    sock = tmp_path / "w.sock"
    r = run(["-S", str(sock), "--", "sleep", "1"], pid1=False)
    wait_for(lambda: sock.exists(), what="socket on request")
    assert r.wait() == 0
    assert not sock.exists()


def test_status_rows_carry_the_same_values_as_objects(ctl):
    """status --rows (what sextonctl draws its table from) is the object
    form as arrays, in the order of "columns"."""
    d = ctl()
    objs = one(d.sock, "status")["services"]
    doc = one(d.sock, "status --rows")
    cols = doc["columns"]
    assert cols == ["name", "state", "pid", "ready", "restarts", "uptime_s", "last_code",
                    "last_signal", "status_text", "reason"]
    assert len(doc["rows"]) == len(objs) == 2
    for obj, row in zip(objs, doc["rows"]):
        r = dict(zip(cols, row))
        for k in ("name", "state", "pid", "ready", "restarts", "status_text", "reason"):
            assert r[k] == obj[k], k
        assert abs(r["uptime_s"] - obj["uptime_s"]) < 1
        last = obj["last_exit"] or {}
        assert r["last_code"] == last.get("code") and r["last_signal"] == last.get("signal")
    assert one(d.sock, "status web --rows")["rows"][0][0] == "web"
