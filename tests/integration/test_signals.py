"""Container mode: signals sexton receives reach the main child."""
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import FIXTURES, PYTHON, ROOT, SEXTON, UNSHARE, wait_for

sys.path.insert(0, str(ROOT / "bench"))
import cgroups  # noqa: E402  (the benchmark's cpu cgroup, shared)

FORWARDED = ["HUP", "INT", "QUIT", "USR1", "USR2", "WINCH", "CONT", "TSTP", "TTIN", "TTOU",
             "ALRM", "PWR", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "IO", "STKFLT", "PIPE"]
FAULTS = ["SEGV", "BUS", "ILL", "FPE", "TRAP", "ABRT", "SYS"]  # never blocked, never forwarded


def start(run, recorder, *opts, extra=()):
    r = run([*opts, "--", *recorder.argv, *extra])
    recorder.ready()
    return r


@pytest.mark.parametrize("name", FORWARDED)
def test_signal_is_forwarded(run, recorder, name):
    r = start(run, recorder)
    r.signal(getattr(signal, "SIG" + name))
    recorder.wait_line(name)
    r.signal(signal.SIGTERM)
    assert r.wait() == 0
    assert recorder.lines()[-1] == "TERM"


# Execs argv[2:] with SIG<argv[1]> blocked and pending, as a runtime or an
# entrypoint wrapper that blocked it would.
EXEC_WITH_PENDING = """
import os, signal, sys
sig = getattr(signal, "SIG" + sys.argv[1])
signal.pthread_sigmask(signal.SIG_BLOCK, {sig})
os.kill(os.getpid(), sig)
assert sig in signal.sigpending()
os.execv(sys.argv[2], sys.argv[2:])
"""


@pytest.mark.parametrize("name", ["WINCH", "CONT", "URG", "USR1"])
def test_a_signal_pending_at_exec_is_forwarded(name):
    """Whose default is to ignore it (WINCH, CONT, URG), a pending signal is
    discarded by a reset to SIG_DFL (POSIX): sexton resets only what is not
    SIG_DFL already. Rewritten to TERM here, it ends the child at once:
    143 from sexton, instead of the child's sleep running out (0)."""
    start = time.monotonic()
    r = subprocess.run([*UNSHARE, PYTHON, "-c", EXEC_WITH_PENDING, name, SEXTON,
                        "-r", f"{name}:TERM", "--", "sleep", "20"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 128 + signal.SIGTERM, r.stderr
    assert time.monotonic() - start < 10


def test_fault_signals_from_outside_are_ignored_by_pid1(run, recorder):
    """sexton leaves the fault signals unblocked, so that a crash of its
    own is not hidden; as PID 1 with their default action the kernel
    ignores them when they are sent: sexton lives on and forwards nothing."""
    r = start(run, recorder)
    for name in FAULTS:
        r.signal(getattr(signal, "SIG" + name))
    r.signal(signal.SIGUSR1)
    recorder.wait_line("USR1")
    assert not set(FAULTS) & set(recorder.lines())
    r.signal(signal.SIGTERM)
    assert r.wait() == 0


@pytest.mark.parametrize("sig,name", [(34, "RTMIN"), (39, "RTMIN+5"), (64, "RTMIN+30")])
def test_realtime_signal_is_forwarded(run, recorder, sig, name):
    """Numbered as Linux tools do (kill -l: SIGRTMIN is 34), whatever the C
    library sexton was built with: musl keeps 34 for itself."""
    r = start(run, recorder)
    r.signal(sig)
    recorder.wait_line(name)
    r.signal(signal.SIGTERM)
    assert r.wait() == 0


def test_stopped_traced_and_continued_from_outside(run, recorder):
    """A tracer attaching and leaving (strace -p, gdb -p) and SIGSTOP and
    SIGCONT from the host: an attach makes the loop's epoll_wait return
    EINTR, which sexton must survive (libev aborts on any other errno
    there), and it goes on forwarding. CONT reaches the child too (it is
    in the forwarded set)."""
    r = start(run, recorder)
    pid = r.sexton_pid
    for _ in range(2):
        subprocess.run(["timeout", "-s", "INT", "0.3", "strace", "-q", "-o", "/dev/null",
                        "-p", str(pid)], check=False)
        r.signal(signal.SIGSTOP)
        time.sleep(0.05)
        r.signal(signal.SIGCONT)
    r.signal(signal.SIGUSR1)
    recorder.wait_line("USR1")
    recorder.wait_line("CONT")
    r.signal(signal.SIGTERM)
    assert r.wait() == 0, r.err
    assert "epoll_wait" not in r.err


def test_rtmin_plus_3_is_an_orderly_stop(run, recorder):
    """podman stops a /sbin/init image with SIGRTMIN+3 (37): the child sees TERM."""
    r = start(run, recorder)
    r.signal(37)
    assert r.wait() == 0
    assert recorder.lines()[-1] == "TERM"


def test_rtmin_plus_3_can_be_rewritten(run, recorder):
    """-r RTMIN+3:USR1 applies to RTMIN+3 itself, before its stop meaning."""
    r = start(run, recorder, "-r", "RTMIN+3:USR1")
    r.signal(37)
    recorder.wait_line("USR1")
    r.signal(signal.SIGTERM)
    assert r.wait() == 0


def test_rtmin_plus_3_to_itself_is_forwarded_as_itself(run, recorder):
    """An identity rule names RTMIN+3 too: it was told from no rule by the
    rewritten value, and TERM went on."""
    r = start(run, recorder, "-r", "RTMIN+3:RTMIN+3")
    r.signal(37)
    recorder.wait_line("RTMIN+3")
    r.signal(signal.SIGTERM)
    assert r.wait() == 0


def test_rtmin_plus_3_without_a_rule_is_term_and_takes_terms_rule(run, recorder):
    r = start(run, recorder, "-r", "TERM:INT")
    r.signal(37)
    recorder.wait_line("INT")


def test_pgroup_reaches_the_whole_group(run, recorder):
    r = start(run, recorder, "-g", extra=["--group-child"])
    recorder.wait_line("child READY")
    r.signal(signal.SIGUSR1)
    recorder.wait_line("USR1")
    recorder.wait_line("child USR1")


def test_tini_kill_process_group_is_pgroup(run, recorder):
    """An image that set TINI_KILL_PROCESS_GROUP for tini keeps its meaning."""
    r = run(["--", *recorder.argv, "--group-child"],
            env={**os.environ, "TINI_KILL_PROCESS_GROUP": "1"})
    recorder.ready()
    recorder.wait_line("child READY")
    r.signal(signal.SIGUSR1)
    recorder.wait_line("USR1")
    recorder.wait_line("child USR1")


def test_without_pgroup_only_the_child_is_signalled(run, recorder):
    r = start(run, recorder, extra=["--group-child"])
    recorder.wait_line("child READY")
    r.signal(signal.SIGUSR1)
    recorder.wait_line("USR1")
    time.sleep(0.3)
    assert "child USR1" not in recorder.lines()


def test_rewrite_signal(run, recorder):
    r = start(run, recorder, "-r", "USR1:USR2", "-r", "SIGTERM:QUIT")
    r.signal(signal.SIGUSR1)
    recorder.wait_line("USR2")
    assert "USR1" not in recorder.lines()
    r.signal(signal.SIGTERM)
    recorder.wait_line("QUIT")
    assert "TERM" not in recorder.lines()


def test_rewrite_to_zero_drops(run, recorder):
    r = start(run, recorder, "-r", "HUP:0", "-r", "15:0")
    r.signal(signal.SIGHUP)
    r.signal(signal.SIGTERM)
    r.signal(signal.SIGUSR2)
    recorder.wait_line("USR2")
    time.sleep(0.2)
    lines = recorder.lines()
    assert "HUP" not in lines and "TERM" not in lines


def test_pdeathsig_fires_when_parent_dies(tmp_path, recorder):
    """-p USR1: when sexton's parent exits, the kernel sends USR1 to sexton,
    which forwards it like any other signal."""
    from conftest import SEXTON
    import subprocess
    wrapper = subprocess.Popen(["sh", "-c", f'"$0" -p USR1 -- "$@" & sleep 0.5', SEXTON,
                                *recorder.argv])
    try:
        recorder.ready()
        assert wrapper.wait(timeout=5) == 0
        recorder.wait_line("USR1")
    finally:
        pid, _, _ = recorder.ready()
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def cpu_cgroup():
    """A cpu cgroup of the test's own, as Docker and Kubernetes make one for
    every container (bench/cgroups.py, which the benchmark's cgroup rows
    use too); skipped where there is no cpu controller."""
    path = cgroups.cpu_cgroup("sexton-test")
    if path is None:
        pytest.skip("no cpu cgroup controller to use")
    yield path
    assert cgroups.remove_cgroup(path), f"{path} still busy"


def test_receiver_runs_before_sexton_sleeps_again(run, tmp_path, cpu_cgroup):
    """Init and main child on one CPU in one cpu cgroup, as in a container:
    sexton yields right after forwarding, so the child's handler runs while
    sexton is still runnable (R), instead of waiting until sexton has gone
    round its loop and back to sleep (S). Without the yield every signal
    here found PID 1 asleep (checked against the build before it)."""
    states = tmp_path / "states"

    def enter():  # the whole namespace on CPU 0, in the cgroup
        with open(os.path.join(cpu_cgroup, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
        os.sched_setaffinity(0, {0})

    r = run(["--", str(FIXTURES / "pid1state"), str(states)], preexec_fn=enter)
    lines = lambda: states.read_text().split() if states.exists() else []
    wait_for(lambda: lines()[:1] == ["ready"], what="pid1state ready")
    for k in range(1, 31):
        time.sleep(0.005)  # sexton back in epoll_wait
        r.signal(signal.SIGUSR1)
        wait_for(lambda: len(lines()) > k, what=f"state {k}")
    got = lines()[1:]
    r.signal(signal.SIGTERM)
    assert r.wait() == 0
    assert got.count("R") >= 20, got
