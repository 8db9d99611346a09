"""Main-child stand-in that records every signal it receives.

usage: recorder.py OUTFILE [--group-child]

Writes "READY pid pgid sid" then one line per signal ("USR1", and
"child USR1" from the --group-child helper, which shares our process
group). Exits 0 on SIGTERM, after recording it.
"""
import os
import signal
import sys
import time

out = sys.argv[1]
tag = "child " if "--is-child" in sys.argv else ""


def record(line):
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, (line + "\n").encode())
    os.close(fd)


def name_of(sig):
    if signal.SIGRTMIN < sig <= signal.SIGRTMAX:
        return "RTMIN+%d" % (sig - signal.SIGRTMIN)
    return signal.Signals(sig).name.removeprefix("SIG")


def handler(sig, frame):
    record(tag + name_of(sig))
    if sig == signal.SIGTERM:
        os._exit(0)


for s in signal.valid_signals():
    if s in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD):
        continue
    try:
        signal.signal(s, handler)
    except (OSError, ValueError):
        pass

if "--group-child" in sys.argv:
    # Same process group as us, not a child the main child would wait for.
    os.spawnv(os.P_NOWAIT, sys.executable, [sys.executable, __file__, out, "--is-child"])
if not tag:
    record("READY %d %d %d" % (os.getpid(), os.getpgrp(), os.getsid(0)))
else:
    record("child READY")
while True:
    time.sleep(3600)
