"""Supervisor mode: services from an INI file, their states, restarts,
credentials, dependencies and stop sequence, with sexton as PID 1."""
import os
import pathlib
import re
import shutil
import signal
import time

import pytest

from conftest import HELPERS, PYTHON, SEXTON, control_request, wait_for, write_script


def conf(*sections, head="[sexton]\nstop_timeout = 2\nkill_timeout = 1\n"):
    return head + "\n" + "\n\n".join(sections) + "\n"


def test_simple_service_runs_and_stops_cleanly(daemon):
    d = daemon(conf("[service:web]\ncommand = sleep 100"))
    d.wait_log(r"service web: started, pid \d+")
    assert d.stop() == 0
    assert d.elapsed < 5


def test_exit_zero_without_restart_is_stopped(daemon):
    d = daemon(conf("[service:once]\ncommand = true\nrestart = on-failure\n"
                    "[service:keep]\ncommand = sleep 100"))
    d.wait_log(r"service once: exited with code 0")
    time.sleep(0.3)
    assert len(re.findall(r"service once: started", d.log())) == 1
    assert d.stop() == 0


def test_backoff_doubles_then_start_limit_fails(daemon, tmp_path):
    stamps = tmp_path / "stamps"
    d = daemon(conf(f"[service:crash]\ncommand = sh -c 'date +%s.%N >> {stamps}; exit 3'\n"
                    "restart_delay = 0.2\nrestart_delay_max = 5\nstart_limit = 4/30"))
    d.wait_log(r"service crash: start limit hit \(4 starts in 30 s\)", timeout=10)
    t = [float(x) for x in stamps.read_text().split()]
    assert len(t) == 4
    gaps = [b - a for a, b in zip(t, t[1:])]
    # 0.2, 0.4, 0.8 s (+ spawn time)
    for gap, want in zip(gaps, [0.2, 0.4, 0.8]):
        assert want - 0.02 < gap < want + 0.15, gaps
    assert d.stop() == 0


def test_backoff_is_capped_at_restart_delay_max(daemon, tmp_path):
    stamps = tmp_path / "stamps"
    d = daemon(conf(f"[service:crash]\ncommand = sh -c 'date +%s.%N >> {stamps}; exit 1'\n"
                    "restart_delay = 0.1\nrestart_delay_max = 0.2\nstart_limit = 0/1"))
    wait_for(lambda: stamps.exists() and len(stamps.read_text().split()) >= 5, 5)
    t = [float(x) for x in stamps.read_text().split()]
    gaps = [b - a for a, b in zip(t, t[1:])]
    assert all(g < 0.35 for g in gaps[1:]), gaps
    d.stop()


def test_a_clean_exit_under_restart_always_keeps_the_first_delay(daemon, tmp_path):
    """restart_delay doubles per consecutive failure: an exit 0 is none. A
    job that always succeeded under restart = always waited 0.2, 0.4,
    0.8 s ... up to restart_delay_max."""
    stamps = tmp_path / "stamps"
    d = daemon(conf(f"[service:job]\ncommand = sh -c 'date +%s.%N >> {stamps}'\nrestart = always\n"
                    "restart_delay = 0.2\nrestart_delay_max = 5\nstart_limit = 0/1"))
    wait_for(lambda: stamps.exists() and len(stamps.read_text().split()) >= 4, 5)
    t = [float(x) for x in stamps.read_text().split()]
    gaps = [b - a for a, b in zip(t, t[1:])][:3]
    assert all(0.15 < g < 0.4 for g in gaps), gaps
    d.stop()


def test_start_limit_after_a_watchdog_failure_fails_at_once(daemon):
    """After an exit the start limit is checked before the backoff; after a
    watchdog (or ready_timeout) failure it was checked only once the delay
    was sat out."""
    d = daemon(conf("[service:wd]\ntype = notify\nwatchdog = 0.3\nrestart = always\n"
                    "restart_delay = 1\nstart_limit = 2/30\n"
                    f"command = {NOTIFY_SVC}"))
    d.wait_log(r"service wd: start limit hit \(2 starts in 30 s\)", timeout=8)
    log = d.log()
    assert log.count("service wd: restarting in") == 1, log
    assert log.count("service wd: watchdog timeout") == 2, log
    d.stop()


def test_exec_failure_is_failed_with_errno_and_no_loop(daemon):
    d = daemon(conf("[service:ghost]\ncommand = /nonexistent/bin --flag\nrestart = always\n"
                    "[service:keep]\ncommand = sleep 100"))
    d.wait_log(r"service ghost: cannot exec /nonexistent/bin: No such file or directory")
    time.sleep(1)
    assert len(re.findall("service ghost: cannot exec", d.log())) == 1
    assert d.stop() == 0


def test_a_missing_environment_file_or_output_directory_is_named(daemon, tmp_path):
    """Both read "cannot create the process for /bin/sleep" or "cannot set
    up file descriptors /bin/sleep": the command, not the file at fault."""
    sock = tmp_path / "default.sock"
    d = daemon(conf(f"[service:env]\ncommand = /bin/sleep 100\nenvironment_file = {tmp_path}/none.env",
                    f"[service:out]\ncommand = /bin/sleep 100\noutput = file:{tmp_path}/none/out.log"))
    d.wait_log(rf"service env: cannot read environment_file {tmp_path}/none.env: "
               "No such file or directory")
    d.wait_log(rf"service out: cannot open output file {tmp_path}/none/out.log: "
               "No such file or directory")
    status = control_request(sock, "status")[0]["services"]
    reasons = {s["name"]: (s["state"], s["reason"]) for s in status}
    assert reasons["env"][0] == "failed" and "environment_file" in reasons["env"][1]
    assert reasons["out"][0] == "failed" and "output file" in reasons["out"][1]
    assert d.stop() == 0

def test_chdir_failure_names_the_directory(daemon):
    d = daemon(conf("[service:x]\ncommand = true\ndirectory = /nonexistent-dir"))
    d.wait_log(r"service x: cannot change directory /nonexistent-dir: No such file or directory")
    d.stop()


def test_user_group_directory_umask_env_rlimit_applied(daemon, tmp_path):
    import tempfile
    shared = pathlib.Path(tempfile.mkdtemp(prefix="sexton-ids-", dir="/tmp"))
    shared.chmod(0o777)  # nobody must reach the script and the output file
    out = shared / "out"
    out.touch()
    os.chmod(out, 0o666)
    envf = tmp_path / "env"
    envf.write_text("FROM_FILE=file\nOVERRIDE=file\n")
    script = (f"grep -E '^(Uid|Gid|Groups):' /proc/self/status >> {out}; pwd >> {out}; "
              f"umask >> {out}; echo $GREETING $FROM_FILE $OVERRIDE >> {out}; ulimit -n >> {out}; "
              f"echo $HOME $USER $LOGNAME >> {out}")
    who = write_script(shared, "who", script)
    d = daemon(conf(f"[service:who]\ncommand = {who}\nuser = nobody\n"
                    "group = www-data\ndirectory = /tmp\numask = 027\n"
                    f"environment = GREETING=\"hello world\" OVERRIDE=conf\n"
                    f"environment_file = {envf}\nrlimit_nofile = 512\nrestart = never"))
    d.wait_log(r"service who: exited with code 0")
    lines = out.read_text().splitlines()
    assert lines[0].split()[1:] == ["65534"] * 4
    assert lines[1].split()[1:] == ["33"] * 4
    assert lines[2].split()[1:] == ["33"]
    assert lines[3:] == ["/tmp", "0027", "hello world file conf", "512",
                         "/nonexistent nobody nobody"]  # the user's, not root's
    d.stop()


NOTIFY_SVC = f"{PYTHON} {HELPERS}/notify_service.py"


def test_notify_ready_gates_dependents(daemon):
    d = daemon(conf(f"[service:db]\ntype = notify\ncommand = {NOTIFY_SVC} --delay 0.8 --status serving",
                    "[service:web]\ncommand = sleep 100\ndepends = db"))
    d.wait_log(r"service db: started")
    time.sleep(0.4)
    assert "service web: started" not in d.log(), "web started before db was ready"
    d.wait_log(r"service db: ready")
    d.wait_log(r"service web: started")
    log = d.log()
    assert log.index("service db: ready") < log.index("service web: started")
    assert d.stop() == 0


def test_notify_ready_timeout_fails(daemon):
    d = daemon(conf("[service:slow]\ntype = notify\ncommand = sleep 100\nready_timeout = 0.5\n"
                    "restart = never"))
    d.wait_log(r"service slow: not ready after 0.5 s: stopping it")
    time.sleep(1)
    assert len(re.findall(r"service slow: started", d.log())) == 1, "restart = never restarted"
    assert d.stop() == 0


def test_watchdog_miss_restarts_service(daemon):
    d = daemon(conf("[service:wd]\ntype = notify\nwatchdog = 1\nrestart_delay = 0.1\n"
                    f"command = {NOTIFY_SVC} --pings 10"))
    d.wait_log(r"service wd: ready")
    time.sleep(1.5)  # pinging every 0.2 s for 2 s: no timeout yet
    assert "watchdog timeout" not in d.log()
    d.wait_log(r"service wd: watchdog timeout \(no WATCHDOG=1 for 1 s\): restarting", timeout=4)
    d.wait_log(r"service wd: started", count=2, timeout=4)
    d.stop()


def test_watchdog_usec_is_set_for_a_watchdog_service(daemon, tmp_path):
    """sd_watchdog_enabled() pings only when WATCHDOG_USEC says so: a
    libsystemd service never pinged and was restarted."""
    env_wd, env_plain = tmp_path / "wd", tmp_path / "plain"
    d = daemon(conf(f"[service:wd]\ntype = notify\nwatchdog = 1.5\nready_timeout = 0\n"
                    f"command = sh -c 'echo \"u=$WATCHDOG_USEC p=$WATCHDOG_PID\" > {env_wd}; exec sleep 100'",
                    f"[service:plain]\ntype = notify\nready_timeout = 0\n"
                    f"command = sh -c 'echo \"u=$WATCHDOG_USEC\" > {env_plain}; exec sleep 100'"))
    wait_for(lambda: env_wd.exists() and env_plain.exists() and env_plain.read_text())
    assert env_wd.read_text().strip() == "u=1500000 p="
    assert env_plain.read_text().strip() == "u="
    d.stop()


def test_backoff_starts_over_after_a_long_run_ended_by_the_watchdog(daemon):
    """A run longer than restart_delay_max resets the backoff: it did only
    for an exit, not for a run the watchdog (or ready_timeout) ended."""
    d = daemon(conf("[service:wd]\ntype = notify\nwatchdog = 0.3\nrestart = always\n"
                    "restart_delay = 0.2\nrestart_delay_max = 0.4\nstart_limit = 0/1\n"
                    f"command = {NOTIFY_SVC} --pings 3"))
    delays = d.wait_log(r"service wd: restarting in ([\d.]+) s", count=3, timeout=8)
    assert delays[:3] == ["0.2", "0.2", "0.2"], (delays, d.log())
    d.stop()

def test_ready_fd_newline_protocol(daemon):
    d = daemon(conf("[service:s6style]\ntype = notify\nready_fd = 3\n"
                    "command = sh -c 'sleep 0.5; echo >&3; exec sleep 100'",
                    "[service:after]\ncommand = sleep 100\ndepends = s6style"))
    d.wait_log(r"service s6style: ready")
    d.wait_log(r"service after: started")
    assert d.log().index("s6style: ready") < d.log().index("service after: started")
    d.stop()


def test_oneshot_gates_and_failed_oneshot_blocks(daemon):
    d = daemon(conf("[service:migrate]\ntype = oneshot\ncommand = sh -c 'sleep 0.3'",
                    "[service:app]\ncommand = sleep 100\ndepends = migrate",
                    "[service:badinit]\ntype = oneshot\ncommand = sh -c 'exit 4'",
                    "[service:blocked]\ncommand = sleep 100\ndepends = badinit"))
    d.wait_log(r"service migrate: done")
    d.wait_log(r"service app: started")
    d.wait_log(r"service badinit: exited with code 4")
    d.wait_log(r"service blocked: not started: dependency badinit failed")
    time.sleep(0.3)
    assert "service blocked: started" not in d.log()
    d.stop()


def test_a_dependency_with_autostart_no_starts_for_its_dependent(daemon):
    """depends pulls the dependency in, as dinit's depends-on and systemd's
    Requires= do: `autostart = no` means only that it does not start by
    itself. One that nothing started stays stopped."""
    d = daemon(conf("[service:db]\ncommand = sleep 100\nautostart = no",
                    "[service:app]\ncommand = sleep 100\ndepends = db",
                    "[service:spare]\ncommand = sleep 100\nautostart = no"))
    d.wait_log(r"service app: started")
    assert d.log().index("service db: started") < d.log().index("service app: started")
    time.sleep(0.3)
    assert "service spare: started" not in d.log()
    assert d.stop() == 0


def test_dependency_start_and_reverse_stop_order(daemon, tmp_path):
    order = tmp_path / "order"

    def svc(name, deps=""):
        cmd = write_script(tmp_path, name, f"echo start {name} >> {order}\n"
                           f"trap 'echo stop {name} >> {order}; exit 0' TERM\n"
                           "while :; do sleep 0.05; done")
        return f"[service:{name}]\ncommand = {cmd}\n" + (f"depends = {deps}\n" if deps else "")

    d = daemon(conf(svc("web", "app"), svc("app", "db cache"), svc("db"), svc("cache")))
    d.wait_log(r"service web: started")
    time.sleep(0.3)
    assert d.stop() == 0
    # Start order from sexton's log: a simple service is up once spawned,
    # so the services' own writes may race; stops wait for each exit.
    started = re.findall(r"service (\w+): started", d.log())
    assert started.index("db") < started.index("app") > started.index("cache")
    assert started.index("app") < started.index("web")
    lines = order.read_text().splitlines()
    pos = {l: i for i, l in enumerate(lines)}
    assert pos["stop web"] < pos["stop app"] < pos["stop db"]
    assert pos["stop app"] < pos["stop cache"]


def test_stop_escalates_to_sigkill_and_exit_1(daemon):
    d = daemon(conf("[service:stubborn]\ncommand = sh -c 'trap \"\" TERM; while :; do sleep 0.1; done'\n"
                    "stop_timeout = 0.5"))
    d.wait_log(r"service stubborn: started")
    time.sleep(0.2)
    assert d.stop() == 1, d.log()
    assert "service stubborn: still running 0.5 s after stop signal: sending SIGKILL" in d.log()
    assert d.elapsed < 6


def test_stop_signal_is_used(daemon, tmp_path):
    got = tmp_path / "got"
    d = daemon(conf(f"[service:q]\ncommand = sh -c 'trap \"echo QUIT > {got}; exit 0\" QUIT; "
                    "while :; do sleep 0.05; done'\nstop_signal = QUIT"))
    d.wait_log(r"service q: started")
    time.sleep(0.2)
    assert d.stop() == 0
    assert got.read_text().strip() == "QUIT"


def test_tagged_output(daemon):
    d = daemon(conf("[service:web]\ncommand = sh -c 'echo hello; echo to stderr >&2; "
                    "printf partial; sleep 100'\noutput = tagged"))
    d.wait_out(r"^web \| hello$")
    d.wait_out(r"^web \| to stderr$")
    d.stop()
    assert re.search(r"^web \| partial$", d.out(), re.M), d.out()


def test_output_null_and_inherit(daemon):
    d = daemon(conf("[service:quiet]\ncommand = sh -c 'echo secret; sleep 100'\noutput = null",
                    "[service:loud]\ncommand = sh -c 'echo plain; sleep 100'\noutput = inherit"))
    d.wait_out(r"^plain$")
    time.sleep(0.2)
    d.stop()
    assert "secret" not in d.out()


def test_file_output_rotates(daemon, tmp_path):
    log = tmp_path / "svc.log"
    d = daemon(conf(f"[service:chatty]\ncommand = sh -c 'i=0; while [ $i -lt 400 ]; do "
                    f"echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; "
                    f"sleep 100'\noutput = file:{log}\nlog_max_size = 4K\nlog_keep = 2"))
    def last_line_written():
        try:  # between a rotation's rename and the new file, svc.log is briefly absent
            return "line-399-" in log.read_text()
        except FileNotFoundError:
            return False

    wait_for(last_line_written, 5)
    d.stop()
    rotated = sorted(p.name for p in tmp_path.glob("svc.log*"))
    assert rotated == ["svc.log", "svc.log.1", "svc.log.2"]
    for p in tmp_path.glob("svc.log*"):
        assert p.stat().st_size <= 4096 + 100
    tail = (tmp_path / "svc.log.2").read_text() + (tmp_path / "svc.log.1").read_text() + log.read_text()
    nums = [int(m) for m in re.findall(r"line-(\d+)-", tail)]
    assert nums == list(range(nums[0], 400)), "lines lost across rotation"


def test_flood_without_newlines_does_not_stall(daemon):
    d = daemon(conf("[service:flood]\ncommand = sh -c 'head -c 50000000 /dev/zero | tr \"\\\\0\" x; "
                    "sleep 100'\noutput = tagged",
                    "[service:tick]\ncommand = sh -c 'i=0; while :; do echo tick $i; i=$((i+1)); "
                    "sleep 0.1; done'\noutput = tagged"))
    d.wait_out(r"^tick \| tick 1$")
    t0 = time.monotonic()
    d.wait_out(r"^tick \| tick 25$", timeout=10)
    assert time.monotonic() - t0 < 4.5, "tagged output of tick stalled during the flood"
    d.stop()


def test_a_stderr_nobody_reads_does_not_stall_sexton(tmp_path):
    """Tagged output went through a non-blocking queue, but every log line
    was a blocking write to fd 2: with stdout and stderr a pipe nobody read
    (a stalled log collector), the first log line after the pipe filled
    stopped PID 1: no reaping, no restarts, no control socket."""
    import subprocess
    import threading
    from conftest import PID1

    sock = tmp_path / "s.sock"
    cfg = tmp_path / "sexton.conf"
    cfg.write_text(conf("[service:flood]\noutput = tagged\ncommand = yes aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                        "[service:crashy]\nrestart = always\nrestart_delay = 0.1\n"
                        "restart_delay_max = 0.1\nstart_limit = 0/1\ncommand = sleep 0.1"))
    p = subprocess.Popen([*PID1, SEXTON, "-S", str(sock), "-c", str(cfg)], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(sock.exists, what="control socket")
        time.sleep(1.5)  # the pipe is full within milliseconds; crashy logs 10 lines a second
        before = None
        for _ in range(4):
            t0 = time.monotonic()
            doc = control_request(sock, "status crashy", timeout=2)[0]["services"][0]
            assert time.monotonic() - t0 < 0.5
            assert before is None or doc["restarts"] > before, "crashy is not restarted"
            before = doc["restarts"]
            time.sleep(0.4)
        got = bytearray()
        reader = threading.Thread(target=lambda: [got.extend(c) for c in iter(lambda: p.stdout.read1(65536), b"")],
                                  daemon=True)
        reader.start()
        wait_for(lambda: re.search(rb"sexton: warning: \d+ log line\(s\) dropped: stderr was not read", got),
                 5, what="the drop note")
    finally:
        p.kill()
        p.wait()

def test_bad_config_at_start_is_fatal_and_spawns_nothing(tmp_path):
    import subprocess
    marker = tmp_path / "spawned"
    c = tmp_path / "bad.conf"
    c.write_text(f"[service:a]\ncommand = touch {marker}\n\n[service:b]\ncommand = x\nbogus = 1\n"
                 "[service:c]\ndepends = nowhere\ncommand = true\n")
    p = subprocess.run([SEXTON, "-c", str(c)], capture_output=True, text=True, timeout=10)
    assert p.returncode == 1
    assert f"{c}:6: " in p.stderr and "bogus" in p.stderr
    assert f"{c}:8: " in p.stderr and "nowhere" in p.stderr
    assert not marker.exists()


def test_check_config(tmp_path):
    import subprocess
    good = tmp_path / "good.conf"
    good.write_text("[service:a]\ncommand = true\n")
    p = subprocess.run([SEXTON, "--check-config", "-c", str(good)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    bad = tmp_path / "bad.conf"
    bad.write_text("[service:a]\ncommand = true\ndepends = b\n[service:b]\ncommand = true\n"
                   "depends = a\nrestart = sometimes\n")
    p = subprocess.run([SEXTON, "--check-config", "-c", str(bad)], capture_output=True, text=True)
    assert p.returncode == 1
    assert re.search(rf"{bad}:\d+: .*cycle.*a -> b -> a|{bad}:\d+: .*cycle.*b -> a -> b", p.stderr)
    assert f"{bad}:7: " in p.stderr


def test_critical_service_failure_exits_with_its_status(daemon):
    d = daemon(conf("[service:key]\ncommand = sh -c 'sleep 0.3; exit 7'\ncritical = yes\n"
                    "restart = never", "[service:other]\ncommand = sleep 100"))
    assert d.wait(10) == 7
    assert "critical service key" in d.log()


def test_critical_killed_by_signal_is_128_plus_n(daemon):
    d = daemon(conf("[service:key]\ncommand = sh -c 'sleep 0.3; kill -KILL $$'\ncritical = yes\n"
                    "restart = never"))
    assert d.wait(10) == 137


def test_side_services_stop_when_main_child_exits(daemon, tmp_path):
    flag = tmp_path / "stopped"
    d = daemon(conf(f"[service:side]\ncommand = sh -c 'trap \"echo yes > {flag}; exit 0\" TERM; "
                    "while :; do sleep 0.05; done'"), command=["sh", "-c", "sleep 0.8; exit 5"])
    assert d.wait(10) == 5
    assert flag.read_text().strip() == "yes"
    assert "service side: started" in d.log()


def test_critical_side_service_ends_container(daemon):
    d = daemon(conf("[service:side]\ncommand = sh -c 'sleep 0.3; exit 9'\ncritical = yes\n"
                    "restart = never"), command=["sleep", "100"])
    assert d.wait(10) == 9


def test_supervisor_mode_sigint_and_rtmin3_stop(daemon):
    d = daemon(conf("[service:a]\ncommand = sleep 100"))
    d.wait_log(r"service a: started")
    d.signal(signal.SIGRTMIN + 3)
    assert d.wait() == 0


def test_long_command_through_continuation_lines(daemon):
    """A value longer than inih's 199-character line works through indented
    continuation lines, joined with one space; nothing is truncated."""
    wl = [f"word{i:03d}" for i in range(60)]  # ~480 characters
    words = " ".join(wl)
    cont = "\n    ".join(" ".join(wl[i:i + 15]) for i in range(0, 60, 15))
    d = daemon(conf(f"[service:long]\ncommand = sh -c 'echo {cont}; sleep 100'\noutput = tagged"))
    d.wait_out(r"^long \| word000 .* word059$")
    joined = re.search(r"^long \| (.*)$", d.out(), re.M).group(1)
    assert joined.split() == words.split()
    d.stop()


def test_restart_delay_zero_restarts_at_once(daemon, tmp_path):
    """restart_delay = 0 means no delay, not "never" (it once left the
    service in backoff for ever)."""
    stamps = tmp_path / "stamps"
    d = daemon(conf(f"[service:fast]\ncommand = sh -c 'date +%s.%N >> {stamps}; exit 1'\n"
                    "restart_delay = 0\nrestart_delay_max = 0\nstart_limit = 5/60"))
    d.wait_log(r"service fast: start limit hit", timeout=5)
    t = [float(x) for x in stamps.read_text().split()]
    assert len(t) == 5
    assert t[-1] - t[0] < 1.0, t
    d.stop()


def test_instant_crash_loop_without_delay_or_limit_keeps_sexton_responsive(daemon, tmp_path):
    """restart_delay = 0 restarts a service straight from the reaping (at
    most once per loop turn, so that a program dying before the drain's
    next waitpid cannot keep sexton inside one drain). Whatever the timing,
    a service crashing as fast as it can must leave sexton answering."""
    d = daemon(conf("[service:spin]\ncommand = /bin/false\nrestart_delay = 0\n"
                    "restart_delay_max = 0\nstart_limit = 0/1\n"
                    "[service:keep]\ncommand = sleep 100"))
    d.wait_log(r"service spin: started", timeout=5)
    sock = tmp_path / "default.sock"
    for _ in range(5):
        t0 = time.monotonic()
        status = control_request(sock, "status", timeout=2)[0]
        assert time.monotonic() - t0 < 0.5
        time.sleep(0.1)
    spin = [s for s in status["services"] if s["name"] == "spin"][0]
    assert spin["restarts"] > 20, spin
    t0 = time.monotonic()
    d.stop()
    assert time.monotonic() - t0 < 4


MAINPID_SVC = f"{PYTHON} {HELPERS}/mainpid_service.py"


def stop_service(sock, name, timeout=8):
    """sextonctl stop NAME: the state it waited for."""
    return control_request(sock, f"stop {name}", timeout)[-1]["services"][0]["state"]


def service_doc(sock, name):
    status = control_request(sock, "status")[0]
    return next(s for s in status["services"] if s["name"] == name)


def alive(d, nspid):
    """Is NSPID (a pid as sexton's namespace sees it) a live process?"""
    ns = os.readlink(f"/proc/{d.sexton_pid}/ns/pid")
    for p in pathlib.Path("/proc").iterdir():
        try:
            if not p.name.isdigit() or os.readlink(p / "ns" / "pid") != ns:
                continue
            status = (p / "status").read_text()
        except OSError:
            continue
        nspids = next(l for l in status.splitlines() if l.startswith("NSpid:")).split()
        state = next(l for l in status.splitlines() if l.startswith("State:")).split()[1]
        if int(nspids[-1]) == nspid:
            return state != "Z"
    return False


def test_mainpid_of_pid1_or_of_another_service_is_refused(daemon, tmp_path):
    """A stop signals the main process's group: MAINPID=1 made it kill(-1),
    every process of the namespace, and a victim's pid made a stop of one
    service kill another."""
    sock = tmp_path / "default.sock"
    victim = "[service:victim]\ncommand = sleep 1000"
    d = daemon(conf(victim, f"[service:one]\ntype = notify\ncommand = {MAINPID_SVC} pid 1"))
    d.wait_log(r"service one: MAINPID=1 from pid \d+ ignored: not a process of the service")
    d.wait_log(r"service one: ready")
    vpid = d.started_pid("victim")
    d.reload(conf(victim, f"[service:one]\ntype = notify\ncommand = {MAINPID_SVC} pid 1",
                  f"[service:two]\ntype = notify\ncommand = {MAINPID_SVC} pid {vpid}"))
    d.wait_log(rf"service two: MAINPID={vpid} from pid \d+ ignored: a process of another service")
    d.wait_log(r"service two: ready")
    for name in ("one", "two"):
        assert service_doc(sock, name)["pid"] == d.started_pid(name)
        assert stop_service(sock, name) == "stopped"
    victim_doc = service_doc(sock, "victim")
    assert victim_doc["state"] == "running" and victim_doc["pid"] == vpid, d.log()
    assert alive(d, vpid)
    assert "victim: killed" not in d.log()
    assert d.stop() == 0


def test_an_oversize_notify_datagram_is_dropped_not_cut(daemon, tmp_path):
    """Cut at 4096 bytes, 'MAINPID=100' read as MAINPID=1."""
    sock = tmp_path / "default.sock"
    d = daemon(conf("[service:victim]\ncommand = sleep 1000",
                    f"[service:big]\ntype = notify\ncommand = {MAINPID_SVC} oversize"))
    d.wait_log(r"notify: datagram from pid \d+ over 4096 bytes: dropped")
    d.wait_log(r"service big: ready")
    assert "MAINPID=1 " not in d.log()
    assert service_doc(sock, "big")["pid"] == d.started_pid("big")
    assert stop_service(sock, "big") == "stopped"
    assert service_doc(sock, "victim")["state"] == "running", d.log()
    assert d.stop() == 0


def test_mainpid_in_the_session_is_followed_and_a_stop_reaches_the_whole_group(daemon, tmp_path):
    """A forking daemon: its first process names the daemon and exits.
    The worker beside it still speaks for the service, and a stop reaches
    it too (it was signalled through the daemon's pid only, and its
    datagrams ignored once the first process was reaped)."""
    sock = tmp_path / "default.sock"
    d = daemon(conf(f"[service:fd]\ntype = notify\nstop_timeout = 1\n"
                    f"command = {MAINPID_SVC} fork {tmp_path}"))
    d.wait_log(r"service fd: ready")
    dpid = int(wait_for(lambda: (tmp_path / "daemon").exists() and (tmp_path / "daemon").read_text()))
    wpid = int((tmp_path / "worker").read_text())
    wait_for(lambda: service_doc(sock, "fd")["status_text"] == "hello from the worker",
             what=lambda: d.log())
    doc = service_doc(sock, "fd")
    assert doc["pid"] == dpid and doc["state"] == "running"
    t0 = time.monotonic()
    assert stop_service(sock, "fd") == "stopped"
    took = time.monotonic() - t0
    assert not alive(d, dpid) and not alive(d, wpid), d.log()
    assert 0.9 < took < 4, took  # the worker ignores TERM: SIGKILL after stop_timeout
    assert "service fd: still running 1 s after stop signal: sending SIGKILL" in d.log()
    assert d.stop() == 1  # a stop needed SIGKILL


def test_mainpid_is_read_before_the_exit_of_its_sender(daemon, tmp_path):
    """The first process sends MAINPID= and READY=1 and exits at once: its
    exit was often reaped before its datagram was read, and the service
    ended ("exited with code 0") while the daemon ran on unsupervised."""
    sock = tmp_path / "default.sock"
    names = [f"q{i}" for i in range(8)]
    d = daemon(conf(*(f"[service:{n}]\ntype = notify\ncommand = {MAINPID_SVC} quick" for n in names)))
    for n in names:
        d.wait_log(rf"service {n}: ready")
    time.sleep(0.3)
    for n in names:
        doc = service_doc(sock, n)
        assert doc["state"] == "running" and doc["pid"] != d.started_pid(n), (doc, d.log())
    assert "exited with code 0" not in d.log()
    assert d.stop() == 0

def test_a_lingering_group_is_still_heard(daemon, tmp_path):
    """Its output pipe was closed with the main process: what the rest said
    as it stopped was lost, and the write killed it with SIGPIPE."""
    sock = tmp_path / "default.sock"
    pidfile = tmp_path / "child"
    body = (f"sh -c 'trap \"sleep 0.3; echo got TERM\" TERM; echo $$ > {pidfile}; "
            "while :; do sleep 0.1; done' &\nwait\n")
    script = write_script(tmp_path, "web", body)
    d = daemon(conf(f"[service:web]\ncommand = {script}\nstop_timeout = 1\noutput = tagged"))
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip())
    assert stop_service(sock, "web") == "stopped"
    assert re.search(r"^web \| got TERM$", d.out(), re.M), d.out()
    assert "service web: still running 1 s after stop signal: sending SIGKILL" in d.log()
    assert d.stop() == 1


BARRIER = f"{PYTHON} {HELPERS}/notify_barrier.py"


@pytest.mark.parametrize("tool", ["barrier", "systemd-notify"])
def test_a_notify_helper_of_a_shell_script_is_heard(daemon, tmp_path, tool):
    """A script's `systemd-notify --ready` is a child that the script reaps
    as soon as it exits: sexton could no longer tell whose it was. It waits
    for its barrier (systemd 246+), which sexton answers by closing the
    descriptor it passes, so it is alive while READY=1 is read."""
    if tool == "systemd-notify" and not shutil.which("systemd-notify"):
        pytest.skip("no systemd-notify here")
    send = (f"{BARRIER} 'READY=1\nSTATUS=up'" if tool == "barrier"
            else "systemd-notify --ready --status=up")
    script = write_script(tmp_path, "svc", f"sleep 0.2\n{send} || exit 9\nexec sleep 100\n")
    names = [f"s{i}" for i in range(6)]
    sock = tmp_path / "default.sock"
    d = daemon(conf(*(f"[service:{n}]\ntype = notify\nready_timeout = 5\ncommand = {script}"
                      for n in names)))
    for n in names:
        d.wait_log(rf"service {n}: ready", timeout=8)
    for n in names:
        doc = service_doc(sock, n)
        assert (doc["state"], doc["status_text"]) == ("running", "up"), doc
    assert d.stop() == 0

def test_mainpid_that_left_the_session_is_refused(daemon, tmp_path):
    sock = tmp_path / "default.sock"
    d = daemon(conf(f"[service:gone]\ntype = notify\ncommand = {MAINPID_SVC} setsid"))
    d.wait_log(r"service gone: MAINPID=\d+ from pid \d+ ignored: not in the service's session")
    assert service_doc(sock, "gone")["pid"] == d.started_pid("gone")
    d.stop()


def test_stop_waits_for_the_group_when_the_main_process_dies_first(daemon, tmp_path):
    """The SPEC's stop: the stop signal to the group, stop_timeout, then
    SIGKILL to the group. A main process that dies of the signal while a
    child ignores it used to end the stop at once, the child left running
    beside the next start."""
    sock = tmp_path / "default.sock"
    pidfile = tmp_path / "child"
    body = f"sh -c 'trap \"\" TERM; echo $$ > {pidfile}; while :; do sleep 0.1; done' &\nwait\n"
    script = write_script(tmp_path, "web", body)
    d = daemon(conf(f"[service:web]\ncommand = {script}\nstop_timeout = 1"))
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip())
    child = int(pidfile.read_text())
    t0 = time.monotonic()
    assert stop_service(sock, "web") == "stopped"
    took = time.monotonic() - t0
    assert not alive(d, child), d.log()
    assert 0.9 < took < 4, took
    assert re.search(r"service web: main process exited, its process group \d+ did not", d.log())
    assert "service web: still running 1 s after stop signal: sending SIGKILL" in d.log()
    assert service_doc(sock, "web")["state"] == "stopped"
    # and a group that ends by itself ends the stop then, not at stop_timeout
    pidfile.unlink()
    body = f"sh -c 'trap \"sleep 0.3; exit 0\" TERM; echo $$ > {pidfile}; while :; do sleep 0.1; done' &\nwait\n"
    write_script(tmp_path, "web", body)
    control_request(sock, "start web")
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip())
    t0 = time.monotonic()
    assert stop_service(sock, "web") == "stopped"
    took = time.monotonic() - t0
    assert 0.25 < took < 0.9, (took, d.log())
    assert d.stop() == 1  # the first stop needed SIGKILL
