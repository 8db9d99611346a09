"""SIGHUP reload applies the difference; a bad file changes nothing."""
import re
import time

HEAD = "[sexton]\nstop_timeout = 2\n\n"
KEEP = "[service:keep]\ncommand = sleep 100\n\n"
CHANGE = "[service:change]\ncommand = sleep {n}\n\n"
GONE = "[service:gone]\ncommand = sleep 102\n\n"
NEW = "[service:new]\ncommand = sleep 103\n\n"


def test_reload_adds_removes_restarts_changed_keeps_unchanged(daemon):
    d = daemon(HEAD + KEEP + CHANGE.format(n=200) + GONE)
    for name in ("keep", "change", "gone"):
        d.wait_log(rf"service {name}: started")
    keep_pid, change_pid = d.started_pid("keep"), d.started_pid("change")
    d.reload(HEAD + KEEP + CHANGE.format(n=201) + NEW)
    d.wait_log(r"service new: started")
    d.wait_log(r"service gone: removed")
    d.wait_log(r"service change: started", count=2)
    assert d.started_pid("keep") == keep_pid
    assert len(re.findall(r"service keep: started", d.log())) == 1
    assert d.started_pid("change") != change_pid
    assert d.stop() == 0


def test_bad_reload_changes_nothing(daemon):
    d = daemon(HEAD + KEEP + GONE)
    d.wait_log(r"service gone: started")
    before = d.log()
    d.reload(HEAD + KEEP + "[service:broken]\ncommand = x\nnonsense = 1\n" + NEW)
    d.wait_log(r"reload: 1 error\(s\): configuration unchanged")
    assert re.search(r"reload: .*sexton\.conf:\d+: .*nonsense", d.log())
    time.sleep(0.3)
    after = d.log()[len(before):]
    assert "started" not in after and "stopping" not in after and "removed" not in after
    assert d.stop() == 0
    # both original services were still there to be stopped
    assert len(re.findall(r"service (keep|gone): started", d.log())) == 2


def test_reload_restarts_a_changed_failed_service_and_what_waited_for_it(daemon):
    """A failed service whose entry a reload changed starts again with it,
    its start limit forgiven, and the services its failure kept stopped
    follow; a failed one the reload did not change stays failed."""
    bad = "[service:db]\ncommand = /nonexistent/db\nrestart = never\n\n"
    other = "[service:other]\ncommand = /nonexistent/other\nrestart = never\n\n"
    app = "[service:app]\ncommand = sleep 100\ndepends = db\n\n"
    d = daemon(HEAD + bad + other + app)
    d.wait_log(r"service app: not started: dependency db failed")
    d.reload(HEAD + bad.replace("/nonexistent/db", "sleep 101") + other + app)
    d.wait_log(r"service db: started")
    d.wait_log(r"service app: started")
    time.sleep(0.3)
    assert len(re.findall(r"service other: cannot exec", d.log())) == 1
    assert d.stop() == 0


def test_reload_that_turns_autostart_on_starts_the_service(daemon):
    """autostart = no -> yes starts the service, as if it were new; a
    stopped service whose command changed stays stopped (the change is
    for its next start), and one turned to autostart = no keeps running."""
    off = "[service:off]\ncommand = sleep 100\nautostart = no\n\n"
    idle = "[service:idle]\ncommand = sleep 100\nautostart = no\n\n"
    d = daemon(HEAD + KEEP + off + idle)
    d.wait_log(r"service keep: started")
    keep_pid = d.started_pid("keep")
    d.reload(HEAD + KEEP.replace("\n\n", "\nautostart = no\n\n") +
             off.replace("autostart = no\n", "") + idle.replace("sleep 100", "sleep 101"))
    d.wait_log(r"service off: autostart now: starting")
    d.wait_log(r"service off: started")
    d.wait_log(r"service idle: configuration changed: for its next start")
    time.sleep(0.3)
    assert "service idle: started" not in d.log()
    assert d.started_pid("keep") == keep_pid
    assert len(re.findall(r"service keep: started", d.log())) == 1
    assert d.stop() == 0


def ctl_request(d, line, timeout=8):
    from conftest import control_request
    return control_request(d.dir / "default.sock", line, timeout)


def states(d):
    return {s["name"]: (s["state"], s["pid"]) for s in ctl_request(d, "status")[0]["services"]}


def test_a_reload_does_not_undo_an_operators_stop(daemon):
    """A service the operator is stopping (its stop signal handler is
    slow) whose configuration changed was restarted by the reload."""
    slow = "[service:slow]\ncommand = sh -c 'trap \"sleep 1; exit 0\" TERM; while :; do sleep {n}; done'\n\n"
    d = daemon(HEAD + KEEP + slow.format(n=0.1))
    d.wait_log(r"service slow: started")
    ctl_request(d, "stop slow --no-wait")
    d.reload(HEAD + KEEP + slow.format(n=0.2))
    d.wait_log(r"service slow: configuration changed: for its next start")
    from conftest import wait_for
    wait_for(lambda: states(d)["slow"][0] != "stopping", 5, what=lambda: d.log())
    time.sleep(0.5)
    assert states(d)["slow"] == ("stopped", None), d.log()
    assert len(re.findall(r"service slow: started", d.log())) == 1
    assert d.stop() == 0


def test_reload_is_refused_while_sexton_shuts_down(daemon):
    """SIGHUP was ignored then, sextonctl reload was not: a changed
    dependency restarted while its dependent was still stopping."""
    web = ("[service:web]\ndepends = db\n"
           "command = sh -c 'trap \"sleep 1.5; exit 0\" TERM; while :; do sleep 0.1; done'\n\n")
    db = "[service:db]\ncommand = sleep {n}\n\n"
    d = daemon(HEAD + db.format(n=100) + web)
    d.wait_log(r"service web: started")
    import signal
    d.signal(signal.SIGTERM)
    time.sleep(0.3)
    d.conf.write_text(HEAD + db.format(n=101) + web)
    doc = ctl_request(d, "reload")[0]
    assert doc == {"error": "sexton is shutting down: nothing reloaded", "code": 1}, doc
    assert d.wait() == 0
    assert len(re.findall(r"service db: started", d.log())) == 1


def test_reload_retries_a_fixed_dependency_its_dependent_waits_for(daemon):
    """A failed autostart = no oneshot that a reload fixes ran again only if
    it was autostart itself: its dependent stayed blocked by the old
    failure."""
    a = "[service:a]\ncommand = sleep 1000\ndepends = b\n\n"
    b = "[service:b]\ntype = oneshot\nautostart = no\ncommand = {cmd}\n\n"
    d = daemon(HEAD + a + b.format(cmd="sh -c 'exit 3'"))
    d.wait_log(r"service b: exited with code 3")
    d.reload(HEAD + a + b.format(cmd="true"))
    d.wait_log(r"service b: done")
    d.wait_log(r"service a: started")
    assert states(d)["a"][0] == "running"
    assert d.stop() == 0


def test_reload_applies_log_rotation_to_the_running_file(daemon, tmp_path):
    """log_max_size and log_keep change in place (no restart), and applied
    only at the next start: the file grew past the new size."""
    log = tmp_path / "w.log"
    w = ("[service:w]\noutput = file:{log}\n{rot}\n"
         "command = sh -c 'while :; do echo 0123456789012345678901234567890123456789; sleep 0.02; done'\n")
    d = daemon(HEAD + w.format(log=log, rot="log_max_size = 1M"))
    d.wait_log(r"service w: started")
    pid = d.started_pid("w")
    d.reload(HEAD + w.format(log=log, rot="log_max_size = 400\nlog_keep = 1"))
    d.wait_log(r"reload: ")
    time.sleep(1)
    assert (tmp_path / "w.log.1").exists(), d.log()
    assert log.stat().st_size <= 400
    assert d.started_pid("w") == pid  # in place
    assert d.stop() == 0


def test_a_reload_that_changes_the_socket_says_it_waits_for_the_next_start(daemon):
    d = daemon(HEAD + KEEP)
    d.wait_log(r"service keep: started")
    d.reload("[sexton]\nstop_timeout = 2\nsocket_mode = 0660\n\n" + KEEP)
    d.wait_log(r"reload: socket, socket_mode and socket_group take effect at sexton's next start")
    assert d.stop() == 0


def test_a_dependency_removed_with_its_dependent_stops_after_it(daemon):
    """Removed services had no dependency edges: both got their stop signal
    at once, the dependency while its dependent was still stopping."""
    web = ("[service:web]\ndepends = db\noutput = tagged\n"
           "command = sh -c 'trap \"sleep 0.8; echo web down; exit 0\" TERM; while :; do sleep 0.1; done'\n\n")
    db = ("[service:db]\noutput = tagged\n"
          "command = sh -c 'trap \"echo db got TERM; exit 0\" TERM; while :; do sleep 0.1; done'\n\n")
    d = daemon(HEAD + KEEP + db + web)
    d.wait_log(r"service web: started")
    d.reload(HEAD + KEEP)
    d.wait_log(r"service db: removed$", timeout=6)
    out = d.out()
    assert "web | web down" in out and "db | db got TERM" in out, out
    assert out.index("web | web down") < out.index("db | db got TERM"), out
    assert d.stop() == 0


def test_a_service_removed_and_added_again_does_not_run_beside_its_old_copy(daemon, tmp_path):
    slow = ("[service:slow]\n"
            "command = sh -c 'trap \"sleep 1; exit 0\" TERM; while :; do sleep 0.1; done'\n\n")
    d = daemon(HEAD + KEEP + slow)
    d.wait_log(r"service slow: started")
    d.reload(HEAD + KEEP)
    d.wait_log(r"service slow: removed from the configuration: stopping")
    d.reload(HEAD + KEEP + slow)
    d.wait_log(r"service slow: started", count=2, timeout=5)
    log = d.log()
    assert log.index("service slow: removed\n") < log.rindex("service slow: started"), log
    assert d.stop() == 0
