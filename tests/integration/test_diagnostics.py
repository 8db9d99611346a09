"""Diagnostics (SPEC "Diagnostics", "Shutdown" step 3): real fixtures that
refuse to die, under the real sexton as PID 1 of a PID namespace.

The fixtures (tests/fixtures/*.c): fakezombie (main thread gone, another
lives; with "vfork" that thread waits in D), vforkwait (a process in D
that SIGKILL still ends), traced (a zombie held by a tracer that never
waits), unreaped (a living parent that never waits). A task in a frozen
cgroup-v1 freezer is the unkillable one: it shows D and survives SIGKILL
until thawed. Teardown always thaws."""
import json
import os
import pathlib
import re
import signal
import subprocess
import time
import uuid

import pytest

from conftest import FIXTURES, PYTHON, control_request, proc_stat, wait_for, write_script

SEXTONCTL = os.environ.get("SEXTONCTL_BIN",
                           str(pathlib.Path(__file__).resolve().parents[2] / "build" / "sextonctl"))


def request(path, line, timeout=10):
    docs = control_request(path, line, timeout)
    assert len(docs) == 1, docs
    return docs[0]


def conf(sock, services, extra=""):
    text = f"[sexton]\nsocket = {sock}\nstop_timeout = 1\nkill_timeout = 1\n{extra}\n"
    for name, command in services.items():
        text += f"[service:{name}]\ncommand = {command}\n\n"
    return text


@pytest.fixture
def sexton(daemon, tmp_path):
    """Start sexton with SERVICES ({name: command}); returns it with .sock
    and .pid(name) (the service's pid as sexton sees it, in the namespace)
    and .host_pid(name)."""
    sock = tmp_path / "s.sock"

    def start(services, extra=""):
        d = daemon(conf(sock, services, extra))
        wait_for(lambda: sock.exists(), what="control socket")
        for name in services:
            d.wait_log(rf"service {re.escape(name)}: started")
        d.sock = sock
        return d

    return start


def host_pid(d, name):
    """The host pid of service NAME of daemon D (sexton sees namespace pids)."""
    ns_pid = d.started_pid(name)

    def find():
        for p in os.listdir("/proc"):
            if p.isdigit() and _in_namespace_of(int(p), d.sexton_pid) and _ns_pid(p) == ns_pid:
                return int(p)
        return None

    return wait_for(find, what=f"service {name}")


def findings(doc, kind):
    return [f for f in doc["findings"] if f["kind"] == kind]


def doctor_until(d, *kinds):
    """The first doctor answer that has a finding of every one of KINDS
    (a fixture needs a moment to get into its state)."""
    return wait_for(lambda: (lambda doc: doc if all(findings(doc, k) for k in kinds) else None)(
        request(d.sock, "doctor")), what=f"doctor to find {kinds}")


class Freezer:
    """A cgroup-v1 freezer cgroup this test freezes. Its tasks show D
    (TASK_FROZEN) and survive SIGKILL until thawed: truly unkillable.
    cgroup v2's cgroup.freeze is no substitute: measured on this kernel
    (6.18), a v2-frozen task shows S (wchan get_signal) and SIGKILL ends
    it, so without the v1 freezer these tests are skipped."""

    def __init__(self):
        v1 = pathlib.Path("/sys/fs/cgroup/freezer")
        if not (v1 / "cgroup.procs").exists():
            pytest.skip("no cgroup-v1 freezer: a v2-frozen task is killable, not stuck")
        self.dir = v1 / f"sexton-test-{uuid.uuid4().hex[:8]}"
        self.dir.mkdir()

    def freeze(self, host_pid):
        (self.dir / "cgroup.procs").write_text(str(host_pid))
        (self.dir / "freezer.state").write_text("FROZEN")
        wait_for(lambda: proc_stat(host_pid) and proc_stat(host_pid)[0] == "D",
                 what="the frozen task to show D")

    def thaw(self):
        (self.dir / "freezer.state").write_text("THAWED")

    def remove(self):
        try:
            self.thaw()
        except OSError:
            pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.dir.rmdir()
                return
            except OSError:  # tasks still leaving
                time.sleep(0.05)


@pytest.fixture
def freezer(daemon):
    # Depends on `daemon` so that it is torn down first: a frozen task
    # keeps the PID namespace (and so sexton's exit) alive.
    f = Freezer()
    yield f
    f.remove()


# ---- findings, one kind at a time ------------------------------------------------


def test_no_findings_on_a_healthy_tree(sexton):
    d = sexton({"db": "sleep 1000",
                "web": "sh -c 'while :; do sleep 0.05; done'",
                "kids": "sh -c 'while :; do sleep 0.01 & wait; done'"})
    time.sleep(0.5)
    for _ in range(3):
        doc = request(d.sock, "doctor")
        assert doc["ok"] is True, doc
        assert doc["findings"] == []
        assert doc["limits"]["pids"] > 0 and doc["limits"]["pid_max"] > 0
        assert doc["limits"]["threads"] > 0 and doc["limits"]["threads_max"] > 0
    ps = request(d.sock, "ps")
    assert not [p for p in ps["processes"] if "finding" in p]
    assert request(d.sock, "check")["ok"] is True


def test_limits_count_every_thread_as_a_pid(sexton):
    """pid_max counts threads: the doctor counted processes, so a thread
    leak that made fork fail (EAGAIN) read as a few pids in use."""
    d = sexton({"many": f"{FIXTURES}/threads 60"})
    wait_for(lambda: request(d.sock, "doctor")["limits"]["pids"] >= 61, 5,
             what=lambda: request(d.sock, "doctor")["limits"])
    doc = request(d.sock, "doctor")
    assert doc["limits"]["pids"] < 80, doc["limits"]  # sexton, the service and its threads

def test_fake_zombie(sexton):
    d = sexton({"agent": f"{FIXTURES}/fakezombie"})
    pid = d.started_pid("agent")
    doc = doctor_until(d, "fake_zombie")
    [f] = findings(doc, "fake_zombie")
    assert f["pid"] == pid and f["comm"] == "fakezombie" and f["state"] == "Z"
    assert f["service"] == "agent"
    assert len(f["threads"]) == 1
    [t] = f["threads"]
    assert t["tid"] != pid and t["state"] == "S" and t["wchan"]
    assert "advice" in f
    assert doc["ok"] is False
    # ps shows the leader Z with its live thread, marked
    [p] = [p for p in request(d.sock, "ps")["processes"] if p["pid"] == pid]
    assert p["state"] == "Z" and p["finding"] == "fake_zombie"
    assert {th["tid"] for th in p["threads"]} == {pid, t["tid"]}


def test_fake_zombie_with_a_thread_in_d(sexton):
    """The RDMA-agent case: the leader is Z and the thread that is left
    sleeps in the kernel."""
    d = sexton({"agent": f"{FIXTURES}/fakezombie vfork"})
    pid = d.started_pid("agent")
    d.wait_out("ready")
    doctor_until(d, "fake_zombie", "stuck")
    t0 = time.monotonic()
    doc = request(d.sock, "doctor")
    assert time.monotonic() - t0 < 2
    [fz] = findings(doc, "fake_zombie")
    [t] = fz["threads"]
    assert t["state"] == "D" and ("clone" in t["wchan"] or "fork" in t["wchan"])
    [st] = findings(doc, "stuck")
    assert st["pid"] == pid and st["tid"] == t["tid"] and st["state"] == "D"
    assert st["wchan"] == t["wchan"] and st["service"] == "agent"
    assert st["sigkill_pending"] is False
    assert st["stack"] and any("fork" in fr or "clone" in fr for fr in st["stack"])
    assert "vfork" in st["advice"]


def test_stuck_in_d_is_sampled_and_killable_d_is_not_after_kill(sexton):
    d = sexton({"vf": f"{FIXTURES}/vforkwait"})
    pid = d.started_pid("vf")
    wait_for(lambda: [p for p in request(d.sock, "ps")["processes"]
                      if p["pid"] == pid and p["state"] == "D"], what="vforkwait in D")
    doc = request(d.sock, "doctor")
    [st] = findings(doc, "stuck")
    assert st["pid"] == st["tid"] == pid and st["comm"] == "vforkwait"
    assert st["seconds"] >= 0.4  # sampled over about 0.5 s
    # check fails on it
    chk = request(d.sock, "check")
    assert chk["ok"] is False
    assert any(p.startswith(f"stuck: pid {pid} ") for p in chk["problems"]), chk
    # history: the next doctor call sees it for longer
    time.sleep(0.3)
    assert findings(request(d.sock, "doctor"), "stuck")[0]["seconds"] > st["seconds"]


def test_traced_zombie(sexton):
    d = sexton({"tr": f"{FIXTURES}/traced"})
    target, tracer = map(int, d.wait_out(r"^(\d+) (\d+)$").groups())
    doc = doctor_until(d, "traced_zombie")
    [f] = findings(doc, "traced_zombie")
    assert f["pid"] == target and f["state"] == "Z" and f["comm"] == "traced"
    assert f["tracer_pid"] == tracer and f["tracer_comm"] == "traced"
    assert f["service"] == "tr"
    assert not findings(doc, "unreaped")  # the parent waits; the tracer holds it
    [p] = [p for p in request(d.sock, "ps")["processes"] if p["pid"] == target]
    assert p["finding"] == "traced_zombie"


def test_unreaped(sexton):
    d = sexton({"lazy": f"{FIXTURES}/unreaped 3"})
    pid = d.started_pid("lazy")
    d.wait_out("ready")
    doc = wait_for(lambda: (lambda doc: doc if findings(doc, "unreaped") and
                            findings(doc, "unreaped")[0]["count"] == 3 else None)(
        request(d.sock, "doctor")), what="3 unreaped")
    [f] = findings(doc, "unreaped")
    assert f["parent_pid"] == pid and f["parent_comm"] == "unreaped"
    assert f["count"] == 3 and f["seconds"] >= 0 and f["service"] == "lazy"
    assert "pid" not in f
    zombies = [p for p in request(d.sock, "ps")["processes"] if p.get("finding") == "unreaped"]
    assert len(zombies) == 3 and all(z["ppid"] == pid and z["state"] == "Z" for z in zombies)
    # the operator's fix: end the parent; PID 1 adopts and reaps them
    d.reload(conf(d.sock, {}))
    d.wait_log(r"service lazy: stopped|reload")
    wait_for(lambda: request(d.sock, "doctor")["ok"], what="the zombies to be reaped")


def test_ps_marks_a_zombie_once_an_earlier_scan_saw_it(sexton):
    """A child is a zombie for the instant between its exit and its
    parent's wait (a shell's `cmd & wait` loop): the first ps that sees a
    zombie shows it Z without a finding; the next one, once it has lasted,
    marks it. No doctor and no background scan run here, so the first
    sighting is ps's own."""
    d = sexton({"lazy": f"{FIXTURES}/unreaped 2"})
    pid = d.started_pid("lazy")
    d.wait_out("ready")

    def zombies():
        time.sleep(0.25)  # past ps's 0.2 s reuse of its last answer: a fresh scan
        ps = request(d.sock, "ps")["processes"]
        return [p for p in ps if p["ppid"] == pid and p["state"] == "Z"] or None

    first = wait_for(zombies, what="the zombies in ps")
    assert len(first) == 2 and not [z for z in first if "finding" in z], first
    again = zombies()
    assert len(again) == 2 and all(z.get("finding") == "unreaped" for z in again), again


def test_frozen_task_is_stuck_with_sigkill_pending_and_what_it_holds(sexton, freezer, tmp_path):
    server = write_script(tmp_path, "server", f"""exec {PYTHON} -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(100000)'""")
    d = sexton({"frozen": str(server)})
    port = int(d.wait_out(r"^(\d+)$").group(1))
    host = host_pid(d, "frozen")
    freezer.freeze(host)
    t0 = time.monotonic()
    doc = request(d.sock, "doctor")
    assert time.monotonic() - t0 < 2, "doctor must answer while a task is stuck"
    [st] = findings(doc, "stuck")
    assert st["service"] == "frozen" and st["state"] == "D"
    assert st["sigkill_pending"] is False
    assert st["frozen_cgroup"] == str(freezer.dir)
    assert "thaw" in st["advice"]
    assert f"tcp 127.0.0.1:{port} LISTEN" in st["holds"]
    os.kill(host, signal.SIGKILL)
    time.sleep(0.2)
    assert proc_stat(host)[0] == "D"  # SIGKILL cannot end it
    [st] = findings(request(d.sock, "doctor"), "stuck")
    assert st["sigkill_pending"] is True


# ---- shutdown ------------------------------------------------------------------------


def test_shutdown_reports_the_unkillable_and_ends_within_the_bound(sexton, freezer, tmp_path):
    """stop_timeout 1 (service) + stop_timeout 1 (sweep) + kill_timeout 1
    + 1 s: the report is written and sexton exits within 4 s, though the
    frozen task survives SIGKILL."""
    d = sexton({"frozen": "sleep 100000", "fine": "sleep 100000"})
    ns_pid = d.started_pid("frozen")
    freezer.freeze(host_pid(d, "frozen"))
    t0 = time.monotonic()
    d.signal(signal.SIGTERM)
    d.wait_log(r"exiting without them", timeout=10)
    elapsed = time.monotonic() - t0
    assert elapsed < 1 + 1 + 1 + 1, elapsed
    log = d.log()
    m = re.search(rf"^sexton: stuck: pid {ns_pid} tid {ns_pid} \(sleep\) of service frozen: "
                  r"D in \S+ for at least 1 s, SIGKILL pending, cgroup \S+ is frozen$", log, re.M)
    assert m, log
    assert re.search(r"^sexton:   stack: \S+", log, re.M), log
    assert re.search(r"^sexton:   advice: its cgroup is frozen", log, re.M), log
    assert "service fine" not in log.split("stuck:")[1]  # only what is stuck
    # the namespace ends only when the frozen task can die
    time.sleep(0.3)
    assert d.proc.poll() is None
    freezer.thaw()
    assert d.wait(timeout=10) == 1  # supervisor mode: something was stuck


def _ns_pid(pid):
    """PID's pid inside its own (innermost) PID namespace."""
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    except OSError:
        pass
    return None


def _in_namespace_of(pid, sexton_host_pid):
    try:
        return (os.readlink(f"/proc/{pid}/ns/pid") ==
                os.readlink(f"/proc/{sexton_host_pid}/ns/pid"))
    except OSError:
        return False


def test_a_stopped_service_that_survives_sigkill_is_reported(sexton, freezer):
    d = sexton({"frozen": "sleep 100000"})
    ns_pid = d.started_pid("frozen")
    freezer.freeze(host_pid(d, "frozen"))
    request(d.sock, "stop frozen --no-wait")
    d.wait_log(rf"^sexton: stuck: pid {ns_pid} tid {ns_pid} \(sleep\) of service frozen", 6)
    assert re.search(r"SIGKILL pending", d.log())
    assert request(d.sock, "status")  # still answering


# ---- SIGUSR1, background scans -----------------------------------------------------------


def test_sigusr1_writes_the_report_to_the_log(sexton):
    d = sexton({"lazy": f"{FIXTURES}/unreaped 2", "agent": f"{FIXTURES}/fakezombie"})
    d.wait_out("ready")
    lazy = d.started_pid("lazy")
    time.sleep(0.2)
    d.signal(signal.SIGUSR1)
    d.wait_log(rf"^sexton: warning: doctor: unreaped: parent {lazy} \(unreaped\) of service "
               r"lazy has 2 zombies")
    d.wait_log(rf"^sexton: warning: doctor: fake_zombie: pid {d.started_pid('agent')} "
               r"\(fakezombie\) of service agent$")
    d.wait_log(r"^sexton: warning: doctor:   advice: the parent never calls wait\(\)")


def test_sigusr1_with_nothing_to_report(sexton):
    d = sexton({"db": "sleep 1000"})
    d.signal(signal.SIGUSR1)
    d.wait_log(r"doctor: no findings")


def test_background_scans_report_a_hung_task_once(sexton):
    d = sexton({"vf": f"{FIXTURES}/vforkwait"},
               extra="watch_interval = 0.2\nhung_threshold = 0.6")
    pid = d.started_pid("vf")
    d.wait_log(rf"^sexton: warning: watch: stuck: pid {pid} tid {pid} \(vforkwait\) of service "
               r"vf: D in \S+ for at least \d+ s", timeout=5)
    time.sleep(1.0)  # five more scans
    assert len(re.findall(r"watch: stuck:", d.log())) == 1
    # background history: ps marks it stuck now that it passed hung_threshold
    [p] = [p for p in request(d.sock, "ps")["processes"] if p["pid"] == pid]
    assert p["finding"] == "stuck"


def test_background_scans_are_off_by_default(sexton):
    d = sexton({"vf": f"{FIXTURES}/vforkwait"}, extra="hung_threshold = 0.1")
    time.sleep(1.0)
    assert "watch:" not in d.log()


# ---- the daemon never touches what can hang it ----------------------------------------------


def test_the_daemon_never_opens_cmdline_environ_or_maps(sexton, tmp_path):
    d = sexton({"agent": f"{FIXTURES}/fakezombie vfork", "lazy": f"{FIXTURES}/unreaped 2",
                "vf": f"{FIXTURES}/vforkwait", "tr": f"{FIXTURES}/traced"})
    trace = tmp_path / "strace.out"
    st = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=open,openat,openat2",
                           "-o", str(trace), "-p", str(d.sexton_pid)],
                          stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: trace.exists(), what="strace to attach")
        time.sleep(0.3)
        assert findings(request(d.sock, "doctor"), "stuck")
        request(d.sock, "ps")
        request(d.sock, "check")
        d.signal(signal.SIGUSR1)
        d.wait_log(r"doctor: fake_zombie")
    finally:
        st.send_signal(signal.SIGINT)
        st.wait(timeout=10)
    opened = trace.read_text()
    assert re.search(r'open(at)?\(.*"(\d+/)?stat"', opened), opened[:2000]  # it did scan
    bad = re.findall(r'"[^"]*/(cmdline|environ|maps|smaps|smaps_rollup|mem)"', opened)
    assert not bad, bad


# ---- sextonctl doctor --all: no daemon --------------------------------------------------------


def test_doctor_all_finds_a_fixture_started_outside_sexton():
    fz = subprocess.Popen([f"{FIXTURES}/fakezombie"], stdout=subprocess.PIPE)
    try:
        assert fz.stdout.readline() == b"ready\n"
        time.sleep(0.1)
        p = subprocess.run([SEXTONCTL, "--json", "doctor", "--all"], capture_output=True,
                           text=True, timeout=20, env={**os.environ, "SEXTON_SOCKET": "/nonexistent"})
        assert p.returncode == 1, p.stderr
        doc = json.loads(p.stdout)
        mine = [f for f in doc["findings"] if f.get("pid") == fz.pid]
        assert [f["kind"] for f in mine] == ["fake_zombie"], doc
        assert mine[0]["threads"][0]["state"] == "S"
        assert "service" not in mine[0]
        human = subprocess.run([SEXTONCTL, "doctor", "--all"], capture_output=True, text=True,
                               timeout=20)
        assert human.returncode == 1
        assert re.search(rf"fake_zombie: pid {fz.pid} \(fakezombie\)", human.stdout), human.stdout
    finally:
        fz.kill()
        fz.wait()


def proc_scans_during(d, tmp_path, action):
    """How many times sexton opened /proc (a full scan) while ACTION ran,
    and how long ACTION took (strace attached to sexton)."""
    trace = tmp_path / "strace.out"
    st = subprocess.Popen(["strace", "-qq", "-e", "trace=open,openat", "-o", str(trace),
                           "-p", str(d.sexton_pid)], stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: trace.exists(), what="strace to attach")
        time.sleep(0.3)
        t0 = time.monotonic()
        action()
        elapsed = time.monotonic() - t0
    finally:
        st.send_signal(signal.SIGINT)
        st.wait(timeout=10)
    # glibc's opendir is openat(AT_FDCWD, ...), musl's (the static build) open(...).
    return len(re.findall(r'open(?:at\(AT_FDCWD, |\()"/proc", ', trace.read_text())), elapsed


def test_doctor_spam_does_not_rescan_proc_each_time(sexton, tmp_path):
    """A client asking for doctor in a tight loop gets the last report
    (younger than 0.2 s) instead of a fresh /proc scan per request: it
    cannot keep PID 1 busy scanning."""
    d = sexton({"db": "sleep 1000"})

    def spam():
        for _ in range(50):
            assert request(d.sock, "doctor")["ok"] is True

    scans, elapsed = proc_scans_during(d, tmp_path, spam)
    assert 1 <= scans <= elapsed / 0.2 + 2, (scans, elapsed)


def test_ps_spam_does_not_rescan_proc_each_time(sexton, tmp_path):
    d = sexton({"db": "sleep 1000"})

    def spam():
        for _ in range(50):
            assert [p for p in request(d.sock, "ps")["processes"] if p["service"] == "db"]

    scans, elapsed = proc_scans_during(d, tmp_path, spam)
    assert 1 <= scans <= elapsed / 0.2 + 2, (scans, elapsed)


def test_container_mode_reports_the_unkillable_and_exits_with_the_main_status(
        daemon, freezer, tmp_path):
    """The `docker stop` case: the main command is gone, a leftover cannot
    die. sexton says why before it exits, within stop_timeout +
    kill_timeout + 1 s, with the main command's status."""
    script = write_script(tmp_path, "main", "sleep 100000 &\necho $! > " +
                          str(tmp_path / "bg") + "\nexec sleep 100000")
    d = daemon("[sexton]\nstop_timeout = 1\nkill_timeout = 1\n", command=[str(script)])
    bg = tmp_path / "bg"
    wait_for(lambda: bg.exists() and bg.read_text().strip(), what="the leftover")
    ns_pid = int(bg.read_text())

    def find():
        for p in os.listdir("/proc"):
            if p.isdigit() and _in_namespace_of(int(p), d.sexton_pid) and _ns_pid(p) == ns_pid:
                return int(p)
        return None

    freezer.freeze(wait_for(find, what="the leftover's host pid"))
    main_host = [int(p) for p in os.listdir("/proc") if p.isdigit()
                 and _in_namespace_of(int(p), d.sexton_pid) and _ns_pid(p) == 2]
    t0 = time.monotonic()
    os.kill(main_host[0], signal.SIGUSR1)  # the main command ends (not handled: dies)
    d.wait_log(r"exiting without them", timeout=10)
    assert time.monotonic() - t0 < 1 + 1 + 1, d.log()
    assert re.search(rf"^sexton: stuck: pid {ns_pid} tid {ns_pid} \(sleep\): D in \S+ "
                     r"for at least 1 s, SIGKILL pending", d.log(), re.M), d.log()
    freezer.thaw()
    assert d.wait(timeout=10) == 128 + signal.SIGUSR1
