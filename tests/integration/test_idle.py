"""Idle means idle: sexton makes no wake-ups with nothing to do."""
import os
import signal
import time

from conftest import proc_status, wait_for, children_of


def switches(pid):
    st = proc_status(pid)
    return int(st["voluntary_ctxt_switches"]), int(st["nonvoluntary_ctxt_switches"])


def test_zero_context_switches_while_idle(run):
    r = run(["--", "sleep", "1000"])
    pid = r.sexton_pid
    wait_for(lambda: children_of(pid), what="main child")
    time.sleep(0.5)  # let start-up settle
    before = switches(pid)
    time.sleep(5)
    after = switches(pid)
    assert after == before, f"sexton woke up while idle: {before} -> {after}"


def test_idle_epoll_wait_blocks_for_days_not_a_minute(run):
    """Without care libev caps each epoll_wait at 59.743 s (a wake-up per
    minute). sexton's far-future ev_periodic lifts the cap to ~17 days.
    strace shows the timeout sexton passes when it goes back to sleep."""
    import re
    import subprocess
    r = run(["--", "sleep", "1000"])
    pid = r.sexton_pid
    wait_for(lambda: children_of(pid), what="main child")
    time.sleep(0.3)
    # Wake it with a SIGCHLD (nothing to reap, nothing forwarded) while strace
    # watches: libev then calls epoll_wait again with the timeout it computes
    # (musl's epoll_wait is the epoll_pwait system call).
    st = subprocess.Popen(["strace", "-e", "trace=epoll_wait,epoll_pwait", "-p", str(pid)],
                          stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    os.kill(pid, signal.SIGCHLD)
    time.sleep(0.5)
    st.send_signal(signal.SIGINT)
    _, err = st.communicate(timeout=5)
    timeouts = [int(m) for m in re.findall(r"epoll_p?wait\(\d+, \[.*?\], \d+, (-?\d+)[,)]", err)]
    assert timeouts, err
    assert min(t for t in timeouts) > 24 * 3600 * 1000, timeouts
