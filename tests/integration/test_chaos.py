"""An operator's bad afternoon, replayed: sexton as PID 1 while a seeded
random session reloads good and bad configurations (services added,
removed and changed, dependency chains, failing commands, orphan makers,
services that ignore SIGTERM), starts, stops and restarts them, kills
their processes, sends SIGHUP and SIGUSR1, and asks for everything else.

What must hold whatever the order: every request is answered in time
(none waits out a state that cannot come), a bad configuration is always
refused, sexton never exits until told to, and its shutdown is bounded
and clean (the sanitizer build reports nothing). This session found that
start and wait hung for 120 s on a service behind a failed dependency,
that restart started a stopped service without its dependencies, and
that reloads left changed failed services and autostart ones stopped."""
import json
import os
import pathlib
import random
import signal
import subprocess
import time

import pytest

from conftest import FIXTURES, SEXTON, wait_for

SEXTONCTL = os.environ.get("SEXTONCTL_BIN", str(pathlib.Path(SEXTON).parent / "sextonctl"))
SECONDS = 12
ANSWER_WITHIN = 15  # a start waits for its dependencies: ready_timeout 2 s at most each

SIMPLE = ["sleep 100", "sh -c 'sleep 0.$((RANDOM % 9 + 1)); exit 3'", "sh -c 'exit 0'",
          "sh -c 'echo hello; printf partial; exec sleep 100'", f"{FIXTURES}/orphans 20",
          "sh -c 'trap \"\" TERM; exec sleep 100'", "/nonexistent/binary",
          "sh -c 'yes | head -c 200000; exec sleep 100'"]
ONESHOT = ["sh -c 'sleep 0.2'", "sh -c 'exit 0'", "sh -c 'exit 4'", "/nonexistent/binary"]
BAD = ["[service:x]\ncommand =\n", "[nosuch]\n", "[service:y]\ncommand = true\ndepends = y\n",
       "[sexton]\nstop_timeout = -4\n", "[service:z]\ncommand = true\nbogus = 1\n"]


def configuration(rng, tmp_path, valid=True):
    names = [f"s{i}" for i in rng.sample(range(12), rng.randint(1, 8))]
    out = ["[sexton]", "stop_timeout = 0.5", "kill_timeout = 0.5",
           f"watch_interval = {rng.choice([0, 0, 0.3])}", ""]
    for i, name in enumerate(names):
        kind = rng.choice(["simple", "simple", "oneshot", "notify"])
        out.append(f"[service:{name}]\ntype = {kind}")
        if kind == "notify":
            out += ["ready_fd = 3", "ready_timeout = 2",
                    "command = sh -c 'sleep 0.1; echo >&3; exec sleep 100'"]
        else:
            out.append("command = " + rng.choice(SIMPLE if kind == "simple" else ONESHOT))
        out += [f"restart = {rng.choice(['always', 'on-failure', 'never'])}",
                f"restart_delay = {rng.choice([0.05, 0.1, 0.3])}", "restart_delay_max = 0.5",
                f"start_limit = {rng.choice(['5/2', '50/1', '3/10'])}",
                "output = " + rng.choice(["tagged", "null", "inherit", f"file:{tmp_path}/{name}.log"])]
        if rng.random() < 0.3:
            out += ["log_max_size = 10k", "log_keep = 2"]
        deps = [d for d in names[:i] if rng.random() < 0.3]
        if deps:
            out.append("depends = " + " ".join(deps))
        if rng.random() < 0.15:
            out.append("autostart = no")
        out.append("")
    if not valid:
        out.append(rng.choice(BAD + [f"[service:{names[0]}]\ncommand = true\n"]))
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("seed", [1, 2])
def test_a_random_operator_session(daemon, tmp_path, seed):
    rng = random.Random(seed)
    d = daemon(configuration(rng, tmp_path))
    sock = tmp_path / "default.sock"
    wait_for(sock.exists, what="control socket")

    def ctl(*args):
        t0 = time.monotonic()
        try:
            r = subprocess.run([SEXTONCTL, "-S", str(sock), *args], capture_output=True,
                               text=True, timeout=ANSWER_WITHIN + 5)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"no answer to {args}\n--- configuration:\n"
                                 f"{d.conf.read_text()}\n--- log:\n{d.log()}")
        assert time.monotonic() - t0 < ANSWER_WITHIN, (args, d.log())
        # 2 only for the name that is not there (or a log of an untagged one)
        assert r.returncode in (0, 1) or "no such service: nosuch" in r.stderr, \
            (args, r.returncode, r.stderr)
        return r

    done = {}
    end = time.monotonic() + SECONDS
    while time.monotonic() < end:
        assert d.proc.poll() is None, "sexton exited\n" + d.log()
        names = [s["name"] for s in json.loads(ctl("--json", "status").stdout)["services"]]
        name = rng.choice(names + ["nosuch"])
        what = rng.choice(["reload", "reload", "bad reload", "hup", "start", "stop", "restart",
                           "kill", "ps", "doctor", "metrics", "log", "signal", "check", "usr1",
                           "wait"])
        done[what] = done.get(what, 0) + 1
        if what == "reload":
            d.conf.write_text(configuration(rng, tmp_path))
            assert ctl("reload").returncode == 0
        elif what == "bad reload":
            d.conf.write_text(configuration(rng, tmp_path, valid=False))
            assert ctl("reload").returncode == 1
        elif what == "hup":
            d.reload(configuration(rng, tmp_path, valid=rng.random() < 0.7))
        elif what in ("start", "stop", "restart"):
            ctl(what, *(["--no-wait"] if rng.random() < 0.3 else []), name)
        elif what == "kill":
            ctl("signal", name, "KILL")
        elif what == "signal":
            ctl("signal", name, rng.choice(["HUP", "USR1", "TERM", "CONT"]))
        elif what == "log":
            ctl("log", name, "-n", str(rng.randint(1, 2000)))
        elif what == "wait":
            ctl("wait", name, "--timeout", "0.3")
        elif what == "usr1":
            d.signal(signal.SIGUSR1)
        else:
            ctl(what)
        time.sleep(rng.random() * 0.03)
    assert ctl("shutdown").returncode == 0
    # the services' stop_timeout and kill_timeout, the sweep's, and 1 s
    assert d.wait(10) in (0, 1), d.log()
    assert d.elapsed < SECONDS + 10
    assert sum(done.values()) > 50, done
