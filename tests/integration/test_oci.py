"""sexton under a real OCI runtime: runc, the one Docker and containerd use.

Each test writes an OCI bundle and starts it with `runc run`, as `docker
run` does: sexton is /sbin/sexton, the ENTRYPOINT, with runc's own default
capabilities (AUDIT_WRITE, KILL and NET_BIND_SERVICE only: fewer than
Docker grants), no new privileges, a read-only root, and the host's /usr
bound read-only so that the main command has a shell and Python. `runc
kill` is `docker stop` / `docker kill` / `podman stop`; `runc exec` is
`docker exec`. The sexton under test is the one of the suite's pass
(dynamic, ASan, static): all three run from the same bundle.
"""
import json
import os
import re
import pathlib
import shutil
import subprocess
import threading
import time

import pytest

from conftest import FIXTURES, PYTHON, SEXTON, proc_stat, wait_for
from test_reaping import STORM

SEXTONCTL = os.environ.get("SEXTONCTL_BIN", str(pathlib.Path(SEXTON).parent / "sextonctl"))
RUNC = shutil.which("runc")
DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]


def bind(source, destination, *options):
    return {"destination": destination, "type": "bind", "source": str(source),
            "options": ["rbind", "ro", *options]}


class Container:
    """One OCI bundle in a directory of its own, run in the foreground."""

    count = 0

    def __init__(self, tmp_path, args, user=(0, 0), caps=DEFAULT_CAPS, env=(), run_tmpfs=True,
                 config=None, pids_limit=None):
        Container.count += 1
        self.id = f"sexton-test-{os.getpid()}-{Container.count}"
        self.state = tmp_path / "runc-state"
        self.bundle = tmp_path / f"bundle-{Container.count}"
        root = self.bundle / "rootfs"
        for d in ("usr", "sbin", "proc", "dev", "sys", "run", "tmp", "fixtures"):
            (root / d).mkdir(parents=True)
        # runc gives a tmpfs the mode of the directory it covers.
        (root / "tmp").chmod(0o1777)
        for name in ("bin", "lib", "lib64"):  # Debian 12 is merged-/usr
            (root / name).symlink_to(f"usr/{name}")
        for name in ("sexton", "sextonctl"):
            (root / "sbin" / name).touch()  # a file bind needs a file to cover
        mounts = [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            # As Docker has it: on cgroup v1 runc binds each hierarchy at the
            # container's own cgroup, read-only.
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "nodev"]},
            bind("/usr", "/usr"),
            bind(SEXTON, "/sbin/sexton"),
            bind(SEXTONCTL, "/sbin/sextonctl"),
            bind(FIXTURES, "/fixtures"),
        ]
        if config is not None:  # /etc/sexton/sexton.conf, as an image would carry it
            (self.bundle / "sexton.conf").write_text(config)
            (root / "etc" / "sexton").mkdir(parents=True)
            (root / "etc" / "sexton" / "sexton.conf").touch()
            mounts.append(bind(self.bundle / "sexton.conf", "/etc/sexton/sexton.conf"))
        if run_tmpfs:  # what Docker and Podman give a container: a private /run
            mounts.append({"destination": "/run", "type": "tmpfs", "source": "tmpfs",
                           "options": ["nosuid", "nodev", "mode=755"]})
        caps = list(caps)
        config = {
            "ociVersion": "1.0.2",
            "process": {
                "terminal": False, "user": {"uid": user[0], "gid": user[1]},
                "args": ["/sbin/sexton", *args], "cwd": "/",
                "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", *env],
                "capabilities": {k: caps for k in
                                 ("bounding", "effective", "permitted", "ambient")},
                "noNewPrivileges": True,
            },
            "root": {"path": "rootfs", "readonly": True},
            "hostname": "sexton-test",
            "mounts": mounts,
            "linux": {
                "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount")],
                "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list"],
                "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"],
            },
        }
        if pids_limit is not None:  # docker run --pids-limit
            config["linux"]["resources"] = {"pids": {"limit": pids_limit}}
        (self.bundle / "config.json").write_text(json.dumps(config, indent=1))
        self.proc = None

    def runc(self, *argv, **kw):
        return subprocess.run([RUNC, "--root", str(self.state), *argv], capture_output=True,
                              text=True, timeout=kw.pop("timeout", 10), **kw)

    def start(self):
        self.started = time.monotonic()
        self.proc = subprocess.Popen([RUNC, "--root", str(self.state), "run", "--bundle",
                                      str(self.bundle), self.id],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        return self

    def readline(self, timeout=10):
        """The main command's next line of output (it says "ready")."""
        deadline = time.monotonic() + timeout
        line = b""
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            c = self.proc.stdout.read(1)
            if not c:
                break
            line += c
        return line.decode(errors="replace").strip()

    def follow_stderr(self):
        """Collect stderr line by line in the background (self.err_lines)."""
        self.err_lines = []

        def pump():
            for line in self.proc.stderr:
                self.err_lines.append(line.decode(errors="replace").rstrip("\n"))
        self.pump = threading.Thread(target=pump, daemon=True)
        self.pump.start()

    def host_pids(self):
        r = self.runc("ps", "--format", "json", self.id)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def kill(self, sig):
        r = self.runc("kill", self.id, str(sig))
        assert r.returncode == 0, r.stderr

    def wait(self, timeout=20):
        out, err = self.proc.communicate(timeout=timeout)
        self.out, self.err = out.decode(errors="replace"), err.decode(errors="replace")
        self.elapsed = time.monotonic() - self.started
        assert "Sanitizer" not in self.err, self.err
        assert "runtime error:" not in self.err, self.err
        return self.proc.returncode

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.runc("kill", self.id, "KILL")
            try:
                self.proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate()
        self.runc("delete", "--force", self.id)


@pytest.fixture(scope="module")
def runc_works(tmp_path_factory):
    """`make check` installs runc. The probe runs /bin/true, not sexton, so
    that a broken sexton fails the tests instead of skipping them."""
    assert RUNC, "runc is not installed (make check installs it: scripts/ensure-deps test)"
    assert os.path.exists(SEXTON) and os.path.exists(SEXTONCTL), (SEXTON, SEXTONCTL)
    c = Container(tmp_path_factory.mktemp("probe"), [])
    config = json.loads((c.bundle / "config.json").read_text())
    config["process"]["args"] = ["/bin/true"]
    (c.bundle / "config.json").write_text(json.dumps(config))
    r = c.runc("run", "--bundle", str(c.bundle), c.id, stdin=subprocess.DEVNULL)
    c.runc("delete", "--force", c.id)
    if r.returncode != 0:
        pytest.skip(f"runc cannot run a container on this machine: {r.stderr.strip()[-300:]}")


@pytest.fixture
def container(tmp_path, runc_works):
    made = []

    def make(args, **kw):
        c = Container(tmp_path, args, **kw)
        made.append(c)
        return c.start()

    yield make
    for c in made:
        c.cleanup()


# A main command that reports SIGTERM, as a well-behaved server does.
TRAPS_TERM = ["--", "/bin/sh", "-c",
              'trap "echo got TERM; exit 0" TERM; echo ready; while :; do sleep 0.05; done']


def test_container_exits_with_the_main_commands_status(container):
    assert container(["--", "/bin/sh", "-c", "exit 7"]).wait() == 7
    c = container(["--", "/bin/sh", "-c", "kill -USR1 $$"])
    assert c.wait() == 128 + 10, c.err


def test_docker_stop_reaches_the_main_command(container):
    """`docker stop` is SIGTERM to the container's PID 1: sexton forwards it
    and the container exits with the command's own status, at once."""
    c = container(TRAPS_TERM)
    assert c.readline() == "ready"
    c.kill("TERM")
    assert c.wait() == 0, c.err
    assert "got TERM" in c.out
    assert c.elapsed < 5


def test_docker_stop_of_a_command_without_handler_gives_143(container):
    """What `docker stop` reports for a program that dies of SIGTERM."""
    c = container(["--", "/bin/sh", "-c", "echo ready; exec sleep 1000"])
    assert c.readline() == "ready"
    c.kill("TERM")
    assert c.wait() == 128 + 15, c.err


def test_podman_stop_signal_is_an_orderly_stop(container):
    """podman stops an image whose entrypoint is /sbin/init with
    SIGRTMIN+3 (37): the main command receives SIGTERM."""
    c = container(TRAPS_TERM)
    assert c.readline() == "ready"
    c.kill(37)
    assert c.wait() == 0, c.err
    assert "got TERM" in c.out


def test_orphans_are_reaped_inside_the_container(container):
    """500 orphans reparented to the container's PID 1 leave no zombie and
    nothing alive (the watcher of test_reaping's storm)."""
    c = container(["--", PYTHON, "-c", STORM, "/fixtures/orphans", "500"])
    assert c.wait(timeout=60) == 0, c.out + c.err
    assert c.out.startswith("clean"), c.out


def test_read_only_root_without_run_starts_with_one_warning(container):
    """FROM scratch with --read-only: no /run to put the control socket in.
    The container must still start, say so once, and keep its exit status."""
    c = container(["--", "/bin/sh", "-c", "exit 5"], run_tmpfs=False)
    assert c.wait() == 5
    lines = [l for l in c.err.splitlines() if l.startswith("sexton:")]
    assert len(lines) == 1 and "no control socket" in lines[0], c.err


def test_unprivileged_user_without_capabilities(container):
    """`docker run --user 65534 --cap-drop ALL`: sexton runs as nobody with
    no capability at all; its socket goes to $XDG_RUNTIME_DIR, and its own
    sextonctl, run as the main command, is answered."""
    c = container(["--", "/sbin/sextonctl", "--json", "status"], user=(65534, 65534), caps=[],
                  env=["XDG_RUNTIME_DIR=/tmp"])
    assert c.wait() == 0, c.err
    assert json.loads(c.out) == {"services": []}, c.out


def test_docker_exec_sextonctl_sees_the_main_command(container):
    """`docker exec CONTAINER sextonctl ps` joins the container's namespaces
    and talks to PID 1 over /run/sexton.sock."""
    c = container(["--", "/bin/sh", "-c", "echo ready; exec sleep 1000"])
    assert c.readline() == "ready"
    r = c.runc("exec", c.id, "/sbin/sextonctl", "--json", "ps")
    assert r.returncode == 0, r.stderr
    procs = json.loads(r.stdout)
    rows = procs["processes"] if isinstance(procs, dict) else procs
    assert any(p.get("comm") == "sleep" for p in rows), r.stdout
    c.kill("TERM")
    assert c.wait() == 128 + 15


def test_the_containers_pids_limit_is_watched(container):
    """`docker run --pids-limit 40`: forks fail at 40 tasks, whatever
    kernel.pid_max says. With 37 tasks (sexton, sh, 34 sleeps, sextonctl)
    doctor names that limit, and metrics export it."""
    c = container(["--", "/bin/sh", "-c", "for i in $(seq 34); do sleep 100 & done; "
                   "/sbin/sextonctl --json doctor; /sbin/sextonctl metrics; exit 0"],
                  pids_limit=40)
    assert c.wait() == 0, c.err
    doc = json.loads(c.out.splitlines()[0])
    assert doc["limits"]["cgroup_pids_max"] == 40, doc["limits"]
    assert 36 <= doc["limits"]["cgroup_pids"] <= 40, doc["limits"]
    [f] = [f for f in doc["findings"] if f["kind"] == "limits"]
    assert "pids.max" in f["advice"]
    assert re.search(r"^sexton_cgroup_pids_max 40$", c.out, re.M), c.out


def test_without_a_pids_limit_there_is_no_cgroup_limit(container):
    c = container(["--", "/sbin/sextonctl", "--json", "doctor"])
    assert c.wait() == 0, c.err
    limits = json.loads(c.out)["limits"]
    assert "cgroup_pids_max" not in limits, limits


def test_docker_stop_says_why_a_process_will_not_die(container, tmp_path):
    """The case `docker stop` leaves unexplained: a leftover process that
    cannot die (frozen by the cgroup-v1 freezer, in a cgroup below the
    container's: D, and SIGKILL waits). The main command stops at once;
    sexton TERMs and KILLs what is left and, before it exits (as PID 1 its
    exit then waits for the kernel to end every task of the container),
    writes on stderr, the container's log, which process is stuck and that
    its cgroup is frozen, under the path the container sees (its cgroup
    mounts hold only its own subtree), within stop_timeout + kill_timeout
    + 1 s. Thawed, the container exits with the command's status."""
    v1 = pathlib.Path("/sys/fs/cgroup/freezer")
    if not (v1 / "cgroup.procs").exists():
        pytest.skip("no cgroup-v1 freezer: a v2-frozen task is killable, not stuck")
    c = container(["--", "/bin/sh", "-c", 'trap "exit 0" TERM; sleep 100000 & echo ready; '
                   'while :; do sleep 0.05; done'],
                  config="[sexton]\nstop_timeout = 1\nkill_timeout = 1\n")
    c.follow_stderr()
    assert c.readline() == "ready"
    [leftover] = [p for p in c.host_pids()
                  if (pathlib.Path(f"/proc/{p}/cmdline").read_bytes() == b"sleep\x00100000\x00")]
    line = next(l for l in pathlib.Path(f"/proc/{leftover}/cgroup").read_text().splitlines()
                if l.split(":")[1] == "freezer")
    frozen = v1 / line.split(":", 2)[2].lstrip("/") / "stuck"  # below the container's cgroup
    frozen.mkdir()
    try:
        (frozen / "cgroup.procs").write_text(str(leftover))
        (frozen / "freezer.state").write_text("FROZEN")
        wait_for(lambda: proc_stat(leftover)[0] == "D", what="the frozen task to show D")
        t0 = time.monotonic()
        c.kill("TERM")
        wait_for(lambda: any("exiting without them" in l for l in c.err_lines), timeout=10,
                 what="the stuck report")
        assert time.monotonic() - t0 < 1 + 1 + 1 + 1
        log = "\n".join(c.err_lines)
        assert re.search(r"^sexton: stuck: pid \d+ tid \d+ \(sleep\): D in \S+ for at least 1 s, "
                         r"SIGKILL pending, cgroup /sys/fs/cgroup/freezer/stuck is frozen$",
                         log, re.M), log
        assert re.search(r"^sexton:   advice: its cgroup is frozen: thaw it", log, re.M), log
        assert c.proc.poll() is None, "the container outlived its frozen task"
    finally:
        (frozen / "freezer.state").write_text("THAWED")
    assert c.wait() == 0, "\n".join(c.err_lines)
    try:  # runc removes the container's cgroup with what is below it
        wait_for(lambda: not (frozen / "cgroup.procs").read_text().strip(), what="it to empty")
        frozen.rmdir()
    except FileNotFoundError:
        pass


def test_docker_stop_of_a_main_command_in_d_is_explained_before_the_sigkill(container):
    """The docker stop that hangs on the main command itself: it sleeps in
    D (frozen here). Half-way through stop_timeout sexton says so in the
    container's log, while the runtime is still waiting to SIGKILL it."""
    v1 = pathlib.Path("/sys/fs/cgroup/freezer")
    if not (v1 / "cgroup.procs").exists():
        pytest.skip("no cgroup-v1 freezer: a v2-frozen task is killable, not stuck")
    c = container(["--", "/bin/sh", "-c", "echo ready; exec sleep 1000"],
                  config="[sexton]\nstop_timeout = 2\n")
    c.follow_stderr()
    assert c.readline() == "ready"
    [main] = [p for p in c.host_pids() if pathlib.Path(f"/proc/{p}/comm").read_text() == "sleep\n"]
    line = next(l for l in pathlib.Path(f"/proc/{main}/cgroup").read_text().splitlines()
                if l.split(":")[1] == "freezer")
    frozen = v1 / line.split(":", 2)[2].lstrip("/") / "stuck"
    frozen.mkdir()
    try:
        (frozen / "cgroup.procs").write_text(str(main))
        (frozen / "freezer.state").write_text("FROZEN")
        wait_for(lambda: proc_stat(main)[0] == "D", what="the frozen task to show D")
        c.kill("TERM")
        wait_for(lambda: any("cgroup /sys/fs/cgroup/freezer/stuck is frozen" in l
                             for l in c.err_lines), timeout=5, what="the report")
        log = "\n".join(c.err_lines)
        assert re.search(r"^sexton: warning: main command \d+ \(sleep\) still running 1 s after "
                         r"SIGTERM: D in \S+; it sleeps in the kernel", log, re.M), log
    finally:
        (frozen / "freezer.state").write_text("THAWED")
    assert c.wait() == 128 + 15
