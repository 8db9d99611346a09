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
