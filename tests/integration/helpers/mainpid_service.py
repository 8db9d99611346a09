"""A `type = notify` service that names its main process (MAINPID=).

usage: mainpid_service.py MODE [PID]

  pid PID    sends READY=1 and MAINPID=PID, then sleeps
  oversize   sends one datagram of 4098 bytes whose cut at 4096 would read
             MAINPID=1, then READY=1 alone, then sleeps
  fork DIR   forks the daemon (same session) and a worker beside it, writes
             their pids to DIR/daemon and DIR/worker, sends MAINPID= of
             the daemon and READY=1, and exits; the worker sends STATUS=
             after 0.5 s; both then sleep, the worker ignoring SIGTERM
  setsid     forks a child that leaves the session (setsid), names it, sleeps
  quick      forks the daemon, sends MAINPID= and READY=1 and exits at once
"""
import os
import signal
import socket
import sys
import time

addr = os.environ["NOTIFY_SOCKET"]
if addr.startswith("@"):
    addr = "\0" + addr[1:]


def send(text):
    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(text.encode(), addr)


mode = sys.argv[1]
if mode == "pid":
    send(f"READY=1\nMAINPID={sys.argv[2]}")
elif mode == "oversize":
    tail = "MAINPID=100"
    send("X_PAD=" + "x" * (4098 - len(tail) - 7) + "\n" + tail)
    time.sleep(0.2)
    send("READY=1")
elif mode == "fork":
    out = sys.argv[2]
    daemon = os.fork()
    if daemon == 0:
        time.sleep(3600)
        os._exit(0)
    worker = os.fork()
    if worker == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(0.5)
        send("STATUS=hello from the worker")
        time.sleep(3600)
        os._exit(0)
    for name, pid in (("daemon", daemon), ("worker", worker)):
        with open(os.path.join(out, name), "w") as f:
            f.write(str(pid))
    send(f"MAINPID={daemon}\nREADY=1")
    time.sleep(0.2)
    os._exit(0)
elif mode == "quick":
    daemon = os.fork()
    if daemon == 0:
        time.sleep(3600)
        os._exit(0)
    send(f"MAINPID={daemon}\nREADY=1")
    os._exit(0)
elif mode == "setsid":
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.setsid()
        os.write(w, b"x")
        time.sleep(3600)
        os._exit(0)
    os.read(r, 1)  # named only once it has left
    send(f"READY=1\nMAINPID={child}")
time.sleep(3600)
