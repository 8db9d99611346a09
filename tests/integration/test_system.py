"""System mode ([system], no COMMAND, PID 1): hostname and mounts at boot,
busybox init's and systemd's signals, sextonctl reboot/poweroff/halt, and
the end: services stopped, file systems unmounted, reboot(2).

sexton runs as PID 1 of its own PID, mount and UTS namespaces. There the
kernel turns reboot(2) into the end of the namespace: its parent sees its
init killed by SIGHUP for a reboot and by SIGINT for a halt or a poweroff
(reboot_pid_ns), which is what these tests assert. Nothing here can reach
the machine: no sexton runs with a [system] section outside a namespace."""
import os
import pathlib
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import SEXTON, UNSHARE, children_of, proc_stat, wait_for, write_script

SEXTONCTL = os.environ.get("SEXTONCTL_BIN", str(pathlib.Path(SEXTON).parent / "sextonctl"))
RUN_TMPFS = ['sh', '-c', 'mount -t tmpfs -o mode=0755 sexton-test-run /run && exec "$@"', 'sh']
# As conftest's PID1, with a UTS namespace of its own for the hostname.
SYSTEM_PID1 = ["unshare", "--mount", "--propagation", "private", "--uts", *RUN_TMPFS, *UNSHARE]
REBOOTED = -signal.SIGHUP
HALTED = -signal.SIGINT  # halt and poweroff alike


def system_conf(extra="", system="", services=""):
    return ("[sexton]\nstop_timeout = 2\nkill_timeout = 1\n" + extra +
            "\n[system]\n" + system + "\n" + services)


def sleeper(name="web"):
    return f"[service:{name}]\ncommand = sleep 100\n"


def start(daemon, conf, **kw):
    d = daemon(conf, wrap=SYSTEM_PID1, **kw)
    d.wait_log(r"system mode: ")
    return d


def test_boot_sets_the_hostname_and_mounts(daemon, tmp_path):
    mnt, opt, seen = tmp_path / "mnt", tmp_path / "opt", tmp_path / "seen"
    probe = write_script(tmp_path, "probe",
                         f"{{ hostname; grep -c ' {mnt} ' /proc/self/mountinfo\n"
                         f"grep ' {opt} ' /proc/self/mountinfo; }} > {seen}.tmp\n"
                         f"mv {seen}.tmp {seen}\nexec sleep 100")
    host = socket.gethostname()
    d = start(daemon, system_conf(
        system=f"hostname = sexton-board\nmounts = proc:/proc:proc tmpfs:{mnt}:tmpfs\n"
               f"  tmpfs:{opt}/:tmpfs:ro,nosuid,mode=0700,size=1m",
        services=f"[service:probe]\ncommand = {probe}\n"), args=["-v"])
    wait_for(seen.exists, what="the probe's findings")
    host_name, count, line = seen.read_text().splitlines()
    assert (host_name, count) == ("sexton-board", "1")
    # mount -o's words: the flags as flags, the rest for tmpfs
    fields = line.split()
    assert fields[5].split(",")[:2] == ["ro", "nosuid"], line
    assert {"size=1024k", "mode=700"} <= set(fields[-1].split(",")), line
    # /proc was mounted already (unshare --mount-proc): left alone
    assert "system mode: 2 file system(s) mounted, 1 already, 0 failed; hostname sexton-board" \
        in d.log()
    assert mnt.is_dir()  # created for the mount
    assert socket.gethostname() == host
    d.signal(signal.SIGTERM)
    assert d.wait(10) == REBOOTED, d.log()
    log = d.log()
    assert f"system: unmounted {mnt}" in log  # its own mounts, and only those
    assert f"system: unmounted {opt}" in log
    assert "system: 2 file system(s) unmounted, 0 made read-only: reboot" in log


def test_services_get_a_path_when_the_kernel_gave_none(daemon, tmp_path):
    seen = tmp_path / "path"
    # printenv, not a shell: dash makes up the same default PATH for itself
    d = daemon(system_conf(services=f"[service:p]\ncommand = /usr/bin/printenv PATH\n"
                                    f"type = oneshot\noutput = file:{seen}\n"),
               wrap=["env", "-u", "PATH", *SYSTEM_PID1])
    wait_for(lambda: seen.exists() and seen.read_text(), what="the service's PATH")
    assert seen.read_text().strip() == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    d.signal(signal.SIGUSR2)
    assert d.wait(10) == HALTED


@pytest.mark.parametrize("sig,action,death", [
    (signal.SIGTERM, "reboot", REBOOTED),
    (signal.SIGUSR1, "halt", HALTED),
    (signal.SIGUSR2, "poweroff", HALTED),
    (signal.SIGRTMIN + 3, "halt", HALTED),
    (signal.SIGRTMIN + 4, "poweroff", HALTED),
    (signal.SIGRTMIN + 5, "reboot", REBOOTED),
], ids=["TERM", "USR1", "USR2", "RTMIN+3", "RTMIN+4", "RTMIN+5"])
def test_signals_stop_everything_then_the_action(daemon, tmp_path, sig, action, death):
    d = start(daemon, system_conf(services=sleeper()))
    d.wait_log(r"service web: started")
    d.signal(sig)
    assert d.wait(10) == death, d.log()
    assert re.search(rf"SIG\S+: stopping everything, then {action}\n", d.log())
    assert f"0 made read-only: {action}" in d.log()


@pytest.mark.parametrize("cad,death", [("reboot", REBOOTED), ("poweroff", HALTED)])
def test_ctrl_alt_del_is_sigint_and_does_what_it_says(daemon, cad, death):
    d = start(daemon, system_conf(system=f"ctrl_alt_del = {cad}", services=sleeper()))
    d.signal(signal.SIGINT)
    assert d.wait(10) == death, d.log()
    assert f"SIGINT: stopping everything, then {cad}" in d.log()


def test_ctrl_alt_del_ignore_keeps_running(daemon):
    d = start(daemon, system_conf(system="ctrl_alt_del = ignore", services=sleeper()))
    d.signal(signal.SIGINT)
    d.wait_log(r"SIGINT \(ctrl-alt-del\) ignored: ctrl_alt_del = ignore")
    time.sleep(0.3)
    assert d.proc.poll() is None
    d.signal(signal.SIGTERM)
    assert d.wait(10) == REBOOTED


def ctl(d, *args):
    return subprocess.run([SEXTONCTL, "-S", str(d.dir / "default.sock"), *args],
                          capture_output=True, text=True, timeout=10)


@pytest.mark.parametrize("cmd,says,death", [
    ("reboot", "rebooting", REBOOTED),
    ("poweroff", "powering off", HALTED),
    ("halt", "halting", HALTED),
    ("shutdown", "shutting down", HALTED),  # PID 1 of a machine powers off
])
def test_sextonctl_stops_the_services_in_order_then_the_action(daemon, tmp_path, cmd, says,
                                                               death):
    order = tmp_path / "order"

    def svc(name, deps=""):
        body = write_script(tmp_path, name, f"trap 'echo {name} >> {order}; exit 0' TERM\n"
                            "while :; do sleep 0.05; done")
        return f"[service:{name}]\ncommand = {body}\n" + (f"depends = {deps}\n" if deps else "")

    d = start(daemon, system_conf(services=svc("app", "db") + svc("db")))
    d.wait_log(r"service app: started")
    time.sleep(0.2)
    r = ctl(d, cmd)
    assert (r.returncode, r.stdout.strip()) == (0, says), r.stderr
    assert d.wait(10) == death, d.log()
    assert order.read_text().split() == ["app", "db"]  # reverse dependency order, then the end
    assert d.elapsed < 8


def test_critical_service_gone_reboots(daemon):
    d = start(daemon, system_conf(services="[service:key]\ncommand = sh -c 'sleep 0.3; exit 7'\n"
                                           "critical = yes\nrestart = never\n"))
    assert d.wait(10) == REBOOTED, d.log()
    assert "critical service key is gone (failed): rebooting" in d.log()


def test_a_failed_mount_is_logged_and_boot_goes_on(daemon, tmp_path):
    """A mount below one that failed is not tried: it would land in the
    directory the failed one was to cover, on the file system below. One
    whose path only starts with the same letters is mounted."""
    x = tmp_path / "x"
    seen = tmp_path / "seen"
    probe = write_script(tmp_path, "probe",
                         f"grep -c -e ' {x}/y ' -e ' {x}y ' /proc/self/mountinfo > {seen}.tmp\n"
                         f"mv {seen}.tmp {seen}\nexec sleep 100")
    d = start(daemon, system_conf(
        system=f"mounts = none:{x}:nosuchfs\n  tmpfs:{x}/y:tmpfs\n  tmpfs:{x}y:tmpfs",
        services=f"[service:probe]\ncommand = {probe}\n"))
    wait_for(seen.exists, what="the probe's findings")
    log = d.log()
    assert re.search(rf"warning: system: cannot mount none \(nosuchfs\) on {x}: "
                     r"No such device", log)
    assert f"warning: system: not mounting {x}/y: it goes under {x}, which did not mount\n" in log
    assert f"not mounting {x}y" not in log
    assert "1 file system(s) mounted, 0 already, 2 failed" in log
    assert seen.read_text() == "1\n"  # {x}y only
    assert not (x / "y").exists()  # not even its directory made on the file system below
    d.signal(signal.SIGUSR2)
    assert d.wait(10) == HALTED


def test_with_a_command_system_is_ignored(daemon, tmp_path):
    d = daemon(system_conf(system=f"mounts = tmpfs:{tmp_path}/mnt:tmpfs"),
               command=["sh", "-c", "exit 5"], wrap=SYSTEM_PID1)
    assert d.wait(10) == 5  # container mode: the command's status, no reboot
    assert "[system] ignored: a COMMAND runs sexton in container mode" in d.log()
    assert "system mode" not in d.log()


def test_not_pid1_system_is_ignored(daemon, tmp_path):
    # PID 1 of the namespace is a shell; sexton is its child. (In namespaces
    # all the same, so that a broken check could not reach the machine.)
    wrap = ["unshare", "--mount", "--propagation", "private", "--uts", *UNSHARE,
            "sh", "-c", '"$@"; echo "rc=$?"', "sh"]
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    d = daemon(system_conf(system=f"hostname = not-me\nmounts = tmpfs:{mnt}:tmpfs",
                           services=sleeper()), wrap=wrap)
    d.wait_log(r"service web: started")
    assert re.search(r"\[system\] ignored: sexton is not PID 1 \(pid \d+\); running as a "
                     r"supervisor", d.log())
    assert "system mode" not in d.log()
    r = ctl(d, "reboot")
    assert r.returncode == 1 and "only in system mode" in r.stderr
    r = ctl(d, "shutdown")
    assert r.returncode == 0
    assert d.wait(10) == 0
    assert "rc=0" in d.out()  # a supervisor's clean exit, not a reboot


def test_a_task_that_cannot_die_is_reported_and_the_end_goes_on(daemon, tmp_path):
    """A service frozen (cgroup-v1 freezer: D, SIGKILL has no effect) with its
    working directory on sexton's own tmpfs: the stuck report within the
    shutdown bound, that mount left busy with a warning, and reboot(2) all
    the same; the namespace ends once the task can die."""
    from test_diagnostics import Freezer, host_pid

    mnt = tmp_path / "mnt"
    d = start(daemon, system_conf(system=f"mounts = tmpfs:{mnt}:tmpfs",
                                  services=f"[service:frozen]\ncommand = sleep 100000\n"
                                           f"directory = {mnt}\nstop_timeout = 1\n"))
    freezer = Freezer()
    try:
        d.wait_log(r"service frozen: started")
        freezer.freeze(host_pid(d, "frozen"))
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        # services' 1 s + the sweep's 2 s + kill_timeout 1 s + 1 s
        d.wait_log(r"system: 0 file system\(s\) unmounted, 0 made read-only: reboot", timeout=10)
        assert time.monotonic() - t0 < 1 + 2 + 1 + 1
        log = d.log()
        assert re.search(r"^sexton: stuck: pid \d+ tid \d+ \(sleep\) of service frozen: D in ",
                         log, re.M), log
        # EBUSY: glibc's words, then musl's (the static build)
        assert re.search(rf"warning: system: cannot unmount {mnt}: (Device or resource|Resource) "
                         "busy", log), log
        time.sleep(0.3)
        assert d.proc.poll() is None  # the frozen task holds the namespace
        freezer.thaw()
        assert d.wait(10) == REBOOTED, d.log()
    finally:
        freezer.remove()


@pytest.mark.parametrize("how,status", [("poweroff", 0), ("reboot", 1)])
def test_without_cap_sys_boot_sexton_exits_instead(daemon, how, status):
    """A container's init usually lacks CAP_SYS_BOOT (Docker, podman and
    runc drop it): reboot(2) fails, and sexton exits, 0 after a poweroff,
    1 after a reboot, so that a restart-on-failure policy restarts it."""
    no_boot = ["setpriv", "--bounding-set", "-sys_boot"]
    wrap = ["unshare", "--mount", "--propagation", "private", "--uts", *RUN_TMPFS, *no_boot,
            *UNSHARE]
    d = daemon(system_conf(services=sleeper()), wrap=wrap)
    d.wait_log(r"service web: started")
    r = ctl(d, how)
    assert r.returncode == 0, r.stderr
    assert d.wait(10) == status, d.log()
    assert f"sexton: system: cannot {how}: Operation not permitted; exiting instead" in d.log()


def stalling_fs(tmp_path, stopped):
    """A stallfs mount in the namespace sexton boots in; STOPPED: its server
    is stopped before sexton starts, so that any path walk through it waits
    in the kernel. (dir, server pid file, wrap)"""
    from conftest import FIXTURES

    if not os.path.exists("/dev/fuse"):
        pytest.skip("no /dev/fuse: no file system here can be made to stop answering")
    stalled, pidfile = tmp_path / "stalled", tmp_path / "stallfs.pid"
    stalled.mkdir()
    stallfs = f"{FIXTURES / 'stallfs'} {stalled} {pidfile}"
    if stopped:
        stallfs += (f" && while [ ! -s {pidfile} ]; do sleep 0.01; done && "
                    f"kill -STOP $(cat {pidfile})")
    wrap = ["unshare", "--mount", "--propagation", "private", "--uts", "sh", "-c",
            f'mount -t tmpfs -o mode=0755 sexton-test-run /run && {stallfs} && exec "$@"', "sh",
            *UNSHARE]
    return stalled, pidfile, wrap


def assert_blocked_report(d, doing, seconds):
    """sexton's report of a helper stuck on stallfs: what it was DOING,
    where it waits (FUSE waiting for its server) and its kernel stack."""
    m = re.search(rf"^sexton: system: still {doing} after {seconds} s: the helper "
                  r"\(pid \d+\) is [SD] in (\S+): a file system that does not answer",
                  d.log(), re.M)
    assert m, d.log()
    assert m.group(1) == "request_wait_answer"
    assert "stack: request_wait_answer < " in d.log()


def mount_probe(tmp_path, point):
    """A service that writes how often POINT is a mount point, as sexton's
    services see it, to a file whose path it returns with the service."""
    seen = tmp_path / "seen"
    probe = write_script(tmp_path, "probe", f"grep -c ' {point} ' /proc/self/mountinfo > "
                         f"{seen}.tmp\nmv {seen}.tmp {seen}\nexec sleep 100")
    return seen, f"[service:probe]\ncommand = {probe}\n"


def test_an_unmount_that_never_returns_is_explained_and_the_end_goes_on(daemon, tmp_path):
    """A file system that stops answering (a FUSE server stopped, as an NFS
    server gone away) under a mount of sexton's: unmounting it waits in the
    kernel for ever. The helper that unmounts gets kill_timeout; then
    sexton says what it was doing and where it waits, and reboots anyway."""
    stalled, pidfile, wrap = stalling_fs(tmp_path, stopped=False)
    d = daemon(system_conf(system=f"mounts = tmpfs:{stalled}/sub:tmpfs", services=sleeper())
               .replace("kill_timeout = 1", "kill_timeout = 1.5"), wrap=wrap)
    server = None
    try:
        d.wait_log(r"system mode: 1 file system\(s\) mounted, 0 already, 0 failed")
        d.wait_log(r"service web: started")
        server = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(),
                              what="stallfs's pid"))
        os.kill(server, signal.SIGSTOP)
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        assert d.wait(10) == REBOOTED, d.log()
        assert time.monotonic() - t0 < 1.5 + 1.5, d.log()  # kill_timeout, and no hang
        assert_blocked_report(d, f"unmounting {stalled}/sub", 1.5)
    finally:
        if server:
            os.kill(server, signal.SIGKILL)


@pytest.mark.parametrize("server", ["killed", "continued"])
def test_a_mount_that_does_not_return_is_explained_and_boot_goes_on(daemon, tmp_path, server):
    """A mount under a file system that stopped answering (a FUSE server
    stopped, as an NFS server gone away) waits in the kernel for ever. It
    gets mount_timeout; then sexton says where it waits, mounts the next
    one, opens its socket and starts the services. Should the mount end
    later (the server continued), it counts: unmounted at the end. A mount
    that goes under the one given up on is not tried: its path walk would
    wait there too, for another mount_timeout."""
    stalled, pidfile, wrap = stalling_fs(tmp_path, stopped=True)
    ok = tmp_path / "ok"
    seen, probe = mount_probe(tmp_path, ok)
    server_pid = None
    t0 = time.monotonic()
    d = daemon(system_conf(system=f"mounts = tmpfs:{stalled}/sub:tmpfs tmpfs:{ok}:tmpfs\n"
                                  f"  tmpfs:{stalled}/sub/inner:tmpfs\nmount_timeout = 1",
                           services=probe), wrap=wrap)
    try:
        server_pid = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(),
                                  what="stallfs's pid"))
        d.wait_log(r"system mode: 1 file system\(s\) mounted, 0 already, 2 failed", timeout=10)
        assert time.monotonic() - t0 < 1 + 2.5, d.log()  # mount_timeout, and no hang
        assert_blocked_report(d, f"mounting {stalled}/sub", 1)
        assert d.log().count("system: still mounting") == 1, d.log()  # not the inner one
        assert (f"system: not mounting {stalled}/sub/inner: it goes under {stalled}/sub, "
                "which did not mount in time") in d.log()
        wait_for(seen.exists, what="the probe's findings")
        assert seen.read_text().strip() == "1", d.log()  # the next mount was made
        r = ctl(d, "status")
        assert r.returncode == 0, r.stderr  # the control socket answers
        if server == "killed":
            os.kill(server_pid, signal.SIGKILL)  # the kernel fails the mount's wait
            unmounted = 1
        else:
            os.kill(server_pid, signal.SIGCONT)
            d.wait_log(rf"system: {stalled}/sub mounted after all \(past mount_timeout\); it "
                       r"will be unmounted at the end")
            unmounted = 2
        d.signal(signal.SIGTERM)
        assert d.wait(10) == REBOOTED, d.log()
        assert f"system: {unmounted} file system(s) unmounted, 0 made read-only: reboot" \
            in d.log()
    finally:
        if server_pid:
            os.kill(server_pid, signal.SIGKILL)


def test_a_mount_helper_given_up_on_that_ends_during_boot_is_reaped(daemon, tmp_path):
    """The helper given up on for the first mount ends (its server killed)
    while the second one still waits, before sexton reads signals from its
    signalfd. Its SIGCHLD must not be lost: it is reaped, not left a
    zombie under PID 1."""
    stalled, pidfile, wrap = stalling_fs(tmp_path, stopped=True)
    d = daemon(system_conf(system=f"mounts = tmpfs:{stalled}/a:tmpfs\n  tmpfs:{stalled}/b:tmpfs\n"
                                  "mount_timeout = 2", services=sleeper()), wrap=wrap)
    server_pid = None
    try:
        server_pid = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(),
                                  what="stallfs's pid"))
        d.wait_log(rf"system: still mounting {stalled}/a after 2 s", timeout=10)
        os.kill(server_pid, signal.SIGKILL)  # both mounts fail now; the first helper exits
        d.wait_log(r"system mode: 0 file system\(s\) mounted, 0 already, 2 failed", timeout=10)
        d.wait_log(r"service web: started")
        pid1 = d.sexton_pid

        def comm(pid):
            try:
                return pathlib.Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                return None

        def helpers():
            return [(kid, proc_stat(kid)) for kid in children_of(pid1)
                    if comm(kid) == "sexton-mount"]

        wait_for(lambda: not helpers(), timeout=3, what=lambda: f"no mount helper left: "
                 f"{helpers()}\n--- log:\n{d.log()}")
    finally:
        if server_pid:
            try:
                os.kill(server_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_what_boot_cannot_do_is_a_warning_and_boot_goes_on(daemon, tmp_path):
    """Without CAP_SYS_ADMIN neither the hostname nor a mount can be set:
    two warnings, a summary that claims neither, and the services run."""
    no_admin = ["setpriv", "--bounding-set", "-sys_admin"]
    d = daemon(system_conf(system=f"hostname = not-set\nmounts = tmpfs:{tmp_path}/m:tmpfs",
                           services=sleeper()),
               wrap=[*SYSTEM_PID1, *no_admin])
    d.wait_log(r"service web: started")
    log = d.log()
    assert "warning: system: cannot set the hostname to not-set: Operation not permitted" in log
    assert re.search(rf"warning: system: cannot mount tmpfs \(tmpfs\) on {tmp_path}/m: ", log)
    assert "system mode: 0 file system(s) mounted, 0 already, 1 failed\n" in log
    d.signal(signal.SIGUSR2)
    assert d.wait(10) == HALTED


@pytest.mark.parametrize("cmd,says,death", [("poweroff", "powering off", HALTED),
                                            ("reboot", "rebooting", REBOOTED)])
def test_the_service_that_asks_for_the_end_still_says_so(daemon, tmp_path, cmd, says, death):
    """A oneshot running `sextonctl poweroff` is stopped with everything
    else, in the turn that answers it: its answer must still reach the log
    (sextonctl outlives the stop's SIGTERM for these commands)."""
    d = start(daemon, system_conf(services=(
        "[service:off]\ntype = oneshot\noutput = tagged\n"
        f"command = /bin/sh -c 'sleep 0.3; exec {SEXTONCTL} -S {tmp_path}/default.sock {cmd}'\n")))
    assert d.wait(10) == death, d.log()
    assert re.search(rf"^off\s*\| {says}$", d.out(), re.M), d.out()
