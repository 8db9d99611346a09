"""Container mode: when the main command does not stop after a forwarded
SIGTERM (docker stop), sexton says why at stop_timeout/2 — before the
runtime's SIGKILL ends sexton and, with it, any chance to explain."""
import re
import signal
import time

from conftest import PYTHON, children_of, proc_stat, wait_for
from test_diagnostics import Freezer

CONF = "[sexton]\nstop_timeout = 2\n"  # the report at 1 s


def start(run, tmp_path, script, conf_text=CONF):
    conf = tmp_path / "sexton.conf"
    conf.write_text(conf_text)
    err = tmp_path / "err"
    r = run(["-c", str(conf), "--", "/bin/sh", "-c", script], stderr=err.open("w"))
    assert r.proc.stdout.readline().strip() == b"ready"
    return r, err


def wait_report(err, pattern, timeout=5):
    return wait_for(lambda: re.search(pattern, err.read_text(), re.M), timeout=timeout,
                    what=f"{pattern!r} in sexton's stderr")


def end(r):
    """The main command will not stop: SIGKILL sexton (PID 1: the namespace goes)."""
    r.signal(signal.SIGKILL)
    r.wait()


def test_a_main_command_that_ignores_term_is_named(run, tmp_path):
    r, err = start(run, tmp_path, 'trap "" TERM; echo ready; exec sleep 1000')
    t0 = time.monotonic()
    r.signal(signal.SIGTERM)
    wait_report(err, r"^sexton: warning: main command 2 \(sleep\) still running 1 s after "
                     r"SIGTERM: S in \S+; it ignores SIGTERM$")
    assert 0.9 < time.monotonic() - t0 < 2.5
    end(r)


def test_a_handler_that_does_not_exit_is_named(run, tmp_path):
    r, err = start(run, tmp_path, f'exec {PYTHON} -c "import signal, time\n'
                   'signal.signal(signal.SIGTERM, lambda *a: None)\n'
                   'print(\'ready\', flush=True)\ntime.sleep(1000)"')
    r.signal(signal.SIGTERM)
    wait_report(err, r"^sexton: warning: main command 2 \(python3\) still running 1 s after "
                     r"SIGTERM: S in \S+; it handles SIGTERM and has not exited yet$")
    end(r)


def test_podman_stop_is_watched_as_term(run, tmp_path):
    r, err = start(run, tmp_path, 'trap "" TERM; echo ready; exec sleep 1000')
    r.signal(signal.SIGRTMIN + 3)
    wait_report(err, r"^sexton: warning: main command 2 \(sleep\) still running 1 s after "
                     r"SIGTERM: .*; it ignores SIGTERM$")
    end(r)


def test_a_prompt_stop_says_nothing(run, tmp_path):
    r, err = start(run, tmp_path, 'trap "sleep 0.5; exit 0" TERM; echo ready; '
                   'while :; do sleep 0.05; done')
    r.signal(signal.SIGTERM)
    assert r.wait() == 0
    time.sleep(1.2)  # past the report's time, had its timer outlived the main command
    assert "still running" not in err.read_text(), err.read_text()


def test_a_prompt_stop_after_an_idle_spell_says_nothing(run, tmp_path):
    """The timer was set on libev's clock of before the sleep: after
    idling longer than stop_timeout/2 (before nearly every docker stop) the
    report came at once, about a command that was stopping as asked."""
    r, err = start(run, tmp_path, 'trap "sleep 0.4; exit 0" TERM; echo ready; '
                   'while :; do sleep 0.05; done')
    time.sleep(1.5)  # sexton sleeps: longer than the report's 1 s
    r.signal(signal.SIGTERM)
    assert r.wait() == 0
    assert "still running" not in err.read_text(), err.read_text()


def test_other_signals_start_no_report(run, tmp_path):
    r, err = start(run, tmp_path, 'trap "" USR1; echo ready; exec sleep 1000')
    r.signal(signal.SIGUSR1)
    time.sleep(1.5)
    assert "still running" not in err.read_text()
    end(r)


def test_no_report_without_a_grace_period(run, tmp_path):
    """stop_timeout = 0: nothing to explain before a SIGKILL that comes at once."""
    r, err = start(run, tmp_path, 'trap "" TERM; echo ready; exec sleep 1000',
                   conf_text="[sexton]\nstop_timeout = 0\n")
    r.signal(signal.SIGTERM)
    time.sleep(1.0)
    assert "still running" not in err.read_text()
    end(r)


def test_a_main_command_in_d_is_named_with_its_frozen_cgroup(run, tmp_path):
    """The docker stop that hangs: the main command sleeps in the kernel
    (frozen here, as a D wait no signal ends). The report says so, that
    SIGTERM is pending, and the sampled doctor run names the frozen
    cgroup. Thawed, the command acts on its TERM at once."""
    freezer = Freezer()
    try:
        r, err = start(run, tmp_path, "echo ready; exec sleep 1000")
        freezer.freeze(main_child(r))
        r.signal(signal.SIGTERM)
        wait_report(err, r"^sexton: warning: main command 2 \(sleep\) still running 1 s after "
                         r"SIGTERM: D in \S+; it sleeps in the kernel, where no signal reaches "
                         r"it, not even SIGKILL, until that wait ends \(SIGTERM is pending\)$")
        # A default-action TERM makes the kernel queue SIGKILL to end the process.
        wait_report(err, r"^sexton: warning: doctor: stuck: pid 2 tid 2 \(sleep\): D in \S+ for "
                         r"at least \S+ s, SIGKILL pending, cgroup \S+ is frozen$")
        freezer.thaw()
        assert r.wait() == 128 + signal.SIGTERM
    finally:
        freezer.remove()


def main_child(r):
    [child] = children_of(r.sexton_pid)
    wait_for(lambda: proc_stat(child)[0] == "S", what="the main command to sleep")
    return child
