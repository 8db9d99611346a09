"""Container mode: sexton exits with the main child's status."""
import os

import pytest


def test_exit_code_passes_through(run):
    r = run(["--", "sh", "-c", "exit 7"])
    assert r.wait() == 7


def test_killed_by_signal_is_128_plus_n(run):
    r = run(["--", "sh", "-c", "kill -KILL $$"])
    assert r.wait() == 137
    r = run(["--", "sh", "-c", "kill -SEGV $$"])
    assert r.wait() == 139


def test_remap_exit_code_to_zero(run):
    assert run(["-e", "3", "--", "sh", "-c", "exit 3"]).wait() == 0
    assert run(["-e", "3", "-e", "143", "--", "sh", "-c", "kill -TERM $$"]).wait() == 0
    assert run(["-e", "3", "--", "sh", "-c", "exit 4"]).wait() == 4


def test_command_without_double_dash(run):
    assert run(["sh", "-c", "exit 5"]).wait() == 5


def test_exec_not_found_is_127_with_message(run):
    r = run(["--", "/nonexistent/prog", "arg"])
    assert r.wait() == 127
    assert "sexton: cannot run '/nonexistent/prog': No such file or directory" in r.err


def test_exec_not_found_in_path_is_127(run):
    r = run(["--", "no-such-program-anywhere"])
    assert r.wait() == 127
    assert "cannot run 'no-such-program-anywhere': No such file or directory" in r.err


def test_exec_not_executable_is_126(run, tmp_path):
    f = tmp_path / "script"
    f.write_text("#!/bin/sh\nexit 0\n")
    f.chmod(0o644)
    r = run(["--", str(f)])
    assert r.wait() == 126
    assert f"cannot run '{f}': Permission denied" in r.err


def test_path_lookup_finds_program(run):
    r = run(["--", "true"])
    assert r.wait() == 0
    assert r.err == ""


def test_main_child_is_pid_2_and_sexton_pid_1(run):
    r = run(["--", "sh", "-c", 'echo "$$ $PPID"'])
    assert r.wait() == 0
    assert r.out.split() == ["2", "1"]


@pytest.mark.parametrize("args,code", [(["--bogus"], 2), (["-e", "x", "--", "true"], 2),
                                       (["-r", "NOPE:TERM", "--", "true"], 2), ([], 2)])
def test_usage_errors_exit_2(run, args, code):
    r = run(args, pid1=False)
    assert r.wait() == code
    assert r.err.startswith("sexton: ")
    assert len(r.err.strip().splitlines()) == 1


def test_help_and_version(run):
    r = run(["--help"], pid1=False)
    assert r.wait() == 0 and "Usage: sexton" in r.out
    r = run(["--version"], pid1=False)
    assert r.wait() == 0 and r.out.startswith("sexton ")


def test_runs_as_unprivileged_user(run):
    """No root needed: as `nobody`, not PID 1, sexton is a subreaper and
    passes the exit code through. Such a wrapper makes no control socket
    unless asked, so it says nothing about lacking XDG_RUNTIME_DIR."""
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    r = run(["--", "sh", "-c", "id -u; exit 3"], pid1=False, env=env,
            preexec_fn=lambda: (os.setgroups([]), os.setgid(65534), os.setuid(65534)))
    assert r.wait() == 3
    assert r.out.strip() == "65534"
    assert r.err == ""
