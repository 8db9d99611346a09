"""A `type = notify` service: speaks sd_notify on $NOTIFY_SOCKET.

usage: notify_service.py [--delay S] [--pings N] [--status TEXT] [--from-child]

Sleeps DELAY, sends READY=1 (and STATUS=), then WATCHDOG=1 N times every
0.2 s, then sleeps. --from-child sends from a forked child (same session),
as a daemon's worker would.
"""
import argparse
import os
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("--delay", type=float, default=0)
ap.add_argument("--pings", type=int, default=0)
ap.add_argument("--status", default="")
ap.add_argument("--from-child", action="store_true")
args = ap.parse_args()

addr = os.environ["NOTIFY_SOCKET"]
if addr.startswith("@"):
    addr = "\0" + addr[1:]
time.sleep(args.delay)
if args.from_child and os.fork() != 0:
    time.sleep(3600)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
msg = "READY=1" + (f"\nSTATUS={args.status}" if args.status else "")
s.sendto(msg.encode(), addr)
for _ in range(args.pings):
    s.sendto(b"WATCHDOG=1", addr)
    time.sleep(0.2)
time.sleep(3600)
