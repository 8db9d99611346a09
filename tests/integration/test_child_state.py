"""The main child starts with a clean signal state, its own session, and
the terminal's foreground when there is one."""
import os
import pty
import signal
import subprocess

from conftest import PYTHON, SEXTON


def status_fields(text):
    return dict(l.split(":\t", 1) for l in text.splitlines() if ":\t" in l)


def ignore_reserved_signals():
    """What GNU make does to its children: signals 32 and 33 (glibc's
    reserved ones, which its sigaction() refuses) left at SIG_IGN."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    ksa = (ctypes.c_ulong * 4)(1, 0, 0, 0)  # handler SIG_IGN, flags, restorer, mask
    for sig in (32, 33):
        assert libc.syscall(13, sig, ctypes.byref(ksa), None, 8) == 0  # rt_sigaction


def dirty_parent():
    # What a careless caller hands sexton: ignored and blocked signals.
    ignore_reserved_signals()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM})


def test_child_signal_mask_and_dispositions_are_clean(run):
    r = run(["--", "cat", "/proc/self/status"], preexec_fn=dirty_parent)
    assert r.wait() == 0
    st = status_fields(r.out)
    assert st["SigBlk"].strip() == "0000000000000000"
    assert st["SigIgn"].strip() == "0000000000000000"


def test_child_has_its_own_session(run):
    r = run(["--", PYTHON, "-c", "import os; print(os.getpid(), os.getpgrp(), os.getsid(0))"])
    assert r.wait() == 0
    assert r.out.split() == ["2", "2", "2"]


PROBE = "import os; print('P', os.getpid(), os.getpgrp(), os.getsid(0), os.tcgetpgrp(0))"


def run_on_pty(argv, session_leader):
    """Run ARGV with a pty as stdin/stdout/stderr and controlling terminal."""
    master, slave = pty.openpty()

    def setup():
        if session_leader:
            os.setsid()
            import fcntl, termios
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, preexec_fn=setup,
                         start_new_session=False)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    rc = p.wait(timeout=10)
    os.close(master)
    line = next(l for l in out.decode().splitlines() if l.startswith("P "))
    return rc, [int(x) for x in line.split()[1:]]


def test_session_leader_with_tty_hands_terminal_to_child():
    """A runtime's `-t`: sexton is session leader with a terminal; the child
    gets its own session with the terminal and is in its foreground."""
    rc, (pid, pgid, sid, fg) = run_on_pty([SEXTON, "--", PYTHON, "-c", PROBE], True)
    assert rc == 0
    assert pid == pgid == sid, "child must lead its own session"
    assert fg == pgid, "child must be the terminal's foreground group"


def test_started_from_a_shell_child_is_foreground_group():
    """From an interactive shell (sexton not session leader), the child gets
    its own process group in the foreground of the same terminal."""
    wrapper = ["sh", "-c", '"$@"; exit $?', "sh", SEXTON, "--", PYTHON, "-c", PROBE]
    rc, (pid, pgid, sid, fg) = run_on_pty(wrapper, True)
    assert rc == 0
    assert pid == pgid and sid != pid
    assert fg == pgid
