"""Reaping: every adopted process is waited for, as PID 1 and as subreaper."""
import os
import pathlib
import re
import subprocess
import textwrap

import pytest

from conftest import FIXTURES, PID1, PYTHON, SEXTON

# Runs inside the namespace as the main child: starts the storm, then
# watches /proc until no zombie is left (or gives up and reports them).
STORM = textwrap.dedent("""
    import os, subprocess, sys, time
    subprocess.run([sys.argv[1], sys.argv[2]], check=True)
    deadline = time.monotonic() + 20
    while True:
        zombies = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    t = open(f"/proc/{d}/stat").read()
                except OSError:
                    continue
                if t[t.rindex(")") + 2] == "Z":
                    zombies.append(d)
        alive = [d for d in os.listdir("/proc") if d.isdigit() and d not in ("1", str(os.getpid()))]
        if not zombies and not alive:
            print("clean")
            sys.exit(0)
        if time.monotonic() > deadline:
            print("zombies", len(zombies), "alive", len(alive))
            sys.exit(1)
        time.sleep(0.02)
""")


def test_orphan_storm_leaves_no_zombie(run):
    r = run(["--", PYTHON, "-c", STORM, str(FIXTURES / "orphans"), "2000"])
    assert r.wait(timeout=60) == 0, r.out + r.err
    assert r.out.startswith("clean")


def test_orphans_reaped_while_main_child_runs(run):
    """Zombies must not pile up while the main child is alive: reaping is
    not deferred to shutdown."""
    script = textwrap.dedent("""
        import os, subprocess, sys, time
        for _ in range(5):
            subprocess.run([sys.argv[1], "200"], check=True)
            time.sleep(0.2)
        time.sleep(0.5)
        z = 0
        for d in os.listdir("/proc"):
            if d.isdigit():
                t = open(f"/proc/{d}/stat").read()
                z += t[t.rindex(")") + 2] == "Z"
        print(z)
    """)
    r = run(["--", PYTHON, "-c", script, str(FIXTURES / "orphans")])
    assert r.wait(timeout=60) == 0
    assert r.out.strip() == "0"


# PID 1 of the namespace before it execs sexton: a child of its own has
# ended (a zombie, its SIGCHLD dropped, or pending if blocked) by then.
EXEC_WITH_A_ZOMBIE = textwrap.dedent("""
    import os, signal, sys, time
    if sys.argv[1] == "blocked":
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD])
    if os.fork() == 0:
        os._exit(0)
    time.sleep(0.3)
    os.execv(sys.argv[2], sys.argv[2:])
""")

# The main child: how many zombies /proc shows after a while, before it
# exits (its own exit would wake any drain).
COUNT_ZOMBIES = textwrap.dedent("""
    import os, time
    time.sleep(0.5)
    z = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                t = open(f"/proc/{d}/stat").read()
            except OSError:
                continue
            z += t[t.rindex(")") + 2] == "Z"
    print(z)
""")


@pytest.mark.parametrize("sigchld", ["unblocked", "blocked"])
def test_a_zombie_from_before_the_exec_is_reaped_at_start(sigchld):
    """An entrypoint wrapper that execs sexton can leave a child that has
    ended already: no SIGCHLD will come for it (dropped at SIG_DFL, or
    discarded when sexton sets SIG_DFL), so sexton drains once at start."""
    r = subprocess.run([*PID1, PYTHON, "-c", EXEC_WITH_A_ZOMBIE, sigchld, SEXTON, "--", PYTHON,
                        "-c", COUNT_ZOMBIES], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "0", r.stderr


def test_subreaper_adopts_and_reaps_grandchildren(run):
    """Not PID 1: sexton registers as child subreaper, so a grandchild whose
    parent died is reparented to sexton (not to the host's init) and reaped."""
    script = textwrap.dedent("""
        import os, sys, time
        r, w = os.pipe()
        if os.fork() == 0:          # intermediate: forks the grandchild, exits
            pid = os.fork()
            if pid == 0:
                time.sleep(0.5)
                os._exit(0)
            os.write(w, b"%d" % pid)
            os._exit(0)
        gc = int(os.read(r, 32))
        time.sleep(0.2)
        t = open(f"/proc/{gc}/stat").read()
        ppid = int(t[t.rindex(")") + 2:].split()[1])
        time.sleep(1.0)
        print(gc, ppid, os.path.exists(f"/proc/{gc}"))
    """)
    r = run(["--", PYTHON, "-c", script], pid1=False)
    assert r.wait() == 0, r.err
    gc, ppid, exists = r.out.split()
    assert int(ppid) == r.proc.pid, "grandchild was not reparented to sexton"
    assert exists == "False", "grandchild left as a zombie"


def test_subreaper_shutdown_spares_unrelated_processes(run):
    """As a subreaper sexton must stop only its own descendants, never
    kill(-1) the host."""
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        r = run(["--", "sh", "-c", "sleep 30 & exit 0"], pid1=False)
        assert r.wait() == 0
        assert r.elapsed < 5
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_subreaper_with_nothing_left_reads_no_proc(tmp_path):
    """`sexton -- cmd` as a subreaper on a host: when cmd leaves nothing
    behind, shutdown has no descendant to look for and must not read the
    host's /proc to find out (a few files per host process, milliseconds
    on a busy host). Only sexton itself is traced (no -f): /bin/true's own
    loader opens files too."""
    trace = tmp_path / "strace.out"
    r = subprocess.run(["strace", "-qq", "-e", "trace=open,openat,openat2", "-o", str(trace),
                        SEXTON, "--", "/bin/true"], capture_output=True, text=True, timeout=30,
                       env={**os.environ,  # LeakSanitizer cannot work under a tracer
                            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"})
    assert r.returncode == 0, r.stderr
    opened = re.findall(r'open\w*\([^"]*"([^"]*)"', trace.read_text())
    assert opened, "strace saw no open at all: the trace is not sexton's"
    # The scan opens the directory itself; an ASan build's runtime reads
    # /proc/self/maps, which is not the host.
    assert "/proc" not in opened, opened


def test_leftover_processes_get_term_then_exit(run):
    """Main child exits; a background process that handles TERM is stopped
    and sexton exits promptly with the main child's code."""
    r = run(["--", "sh", "-c", "sleep 100 & exit 3"])
    assert r.wait() == 3
    assert r.elapsed < 3


def test_leftover_ignoring_term_is_killed_after_stop_timeout(run):
    """A process that ignores TERM gets KILL after the default stop_timeout
    (10 s); shutdown never hangs."""
    script = "import signal, time, os\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n" \
             "open('/dev/stdout','w').write('x\\n')\ntime.sleep(100)"
    r = run(["--", "sh", "-c", f"{PYTHON} -c \"$0\" & sleep 0.5; exit 0", script])
    assert r.wait(timeout=30) == 0
    assert 9.5 < r.elapsed < 12, r.elapsed
    assert "sent SIGKILL" in r.err


def test_stopped_leftover_is_continued_and_terminated(run, tmp_path):
    """A stopped process that handles TERM can only act on it once
    continued: sexton sends CONT with the TERM. (A default-action TERM would
    kill even a stopped process, so the leftover must trap it.)"""
    flag = tmp_path / "handled"
    leftover = f"trap 'echo yes > {flag}; exit 0' TERM; while :; do sleep 0.05; done"
    r = run(["--", "sh", "-c", f'sh -c "$0" & sleep 0.3; kill -STOP $!; exit 0', leftover])
    assert r.wait(timeout=30) == 0
    assert r.elapsed < 3, "the stopped leftover waited for SIGKILL: no SIGCONT"
    assert flag.read_text().strip() == "yes"


# The main child: a trickle of orphan exits over a long child list, then
# sexton's own counters from the control socket.
TRICKLE = textwrap.dedent("""
    import json, socket, subprocess, sys
    subprocess.run([sys.argv[1], "8000", "2000", "100"], check=True)
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[2])
    s.sendall(b"metrics\\n")
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    for line in json.loads(data)["text"].splitlines():
        if line.startswith(("sexton_orphans_reaped_total ", "sexton_reap_passes_total ")):
            print(line)
""")


def test_drains_are_paced_when_the_child_list_is_long(run, tmp_path):
    """waitpid(-1) walks every child on every call. With 8000 orphans alive
    and one exiting every 100 µs, a reaper that drains on every SIGCHLD
    walks 8000 children 2000 times, back to back on one CPU. sexton waits a
    multiple of the last walk's cost between drains (reap_pace): far fewer
    drains than exits, and still every orphan reaped."""
    sock = tmp_path / "s.sock"
    r = run(["-S", str(sock), "--", PYTHON, "-c", TRICKLE, str(FIXTURES / "trickle"), str(sock)])
    assert r.wait(timeout=120) == 0, r.out + r.err
    counters = dict(line.split() for line in r.out.splitlines())
    reaped = int(counters["sexton_orphans_reaped_total"])
    passes = int(counters["sexton_reap_passes_total"])
    assert reaped >= 8000
    assert passes <= reaped // 5, (passes, reaped)


def test_warn_reaped_logs_every_orphan(run):
    """-w, as tini's: a warning with the pid and the status for each orphan
    reaped (here a grandchild that outlives its shell and exits 7)."""
    r = run(["-w", "--", "sh", "-c", "(sleep 0.2; exit 7) & exec sleep 0.6"])
    assert r.wait() == 0
    assert re.search(r"^sexton: warning: reaped orphan \d+: exited with code 7$", r.err, re.M), r.err
    r = run(["--", "sh", "-c", "(sleep 0.2; exit 7) & exec sleep 0.6"])
    assert r.wait() == 0
    assert "reaped orphan" not in r.err


def nsenter(r, *argv):
    """Run ARGV in sexton's PID and mount namespaces, as docker exec does:
    its parent (nsenter) is outside, so inside its ppid is 0."""
    return subprocess.Popen(["nsenter", "-t", str(r.sexton_pid), "-p", "-m", "--", *argv],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)


def test_a_process_entered_from_outside_is_seen_and_ends_with_the_container(run, tmp_path):
    """A process that entered with nsenter (docker exec) has no parent in the
    namespace: ps and doctor left it out, and at the end sexton exited at
    once without it, so that one stuck in the kernel would have held the
    exit (the kernel waits for every task of the namespace) with no word.
    Now it is listed, and at the end gets SIGKILL from sexton, whose exit
    waits for it to be gone (the stuck report after kill_timeout)."""
    import json
    sock = tmp_path / "s.sock"
    r = run(["-S", str(sock), "--", "sh", "-c", "echo ready; read x; exit 3"],
            stdin=subprocess.PIPE)
    assert r.proc.stdout.readline().strip() == b"ready"
    outsider = nsenter(r, "sh", "-c", "trap '' TERM; echo in; exec sleep 100")
    try:
        assert outsider.stdout.readline().strip() == b"in"
        c = subprocess.run([os.environ.get("SEXTONCTL_BIN", str(pathlib.Path(SEXTON).parent / "sextonctl")),
                            "-S", str(sock), "--json", "ps"], capture_output=True, text=True, timeout=10)
        comms = [p["comm"] for p in json.loads(c.stdout)["processes"]]
        assert "sleep" in comms, c.stdout
        r.proc.stdin.write(b"go\n")
        r.proc.stdin.flush()
        assert r.wait(timeout=10) == 3
        assert r.elapsed < 5
        assert "entered from outside (nsenter, docker exec) are still running: SIGKILL" in r.err, r.err
        assert outsider.wait(timeout=5) != 0  # killed (nsenter reports the signal)
    finally:
        outsider.kill()
