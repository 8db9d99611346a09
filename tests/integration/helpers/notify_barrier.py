"""Sends one sd_notify message and waits for the manager to have read it,
as systemd-notify (246+) does with sd_notify_barrier(3): a second datagram
BARRIER=1 carries the write end of a pipe, and the manager's closing it
(sexton closes every passed descriptor) ends the wait. Then exits.

usage: notify_barrier.py MESSAGE
"""
import array
import os
import select
import socket
import sys

addr = os.environ["NOTIFY_SOCKET"]
if addr.startswith("@"):
    addr = "\0" + addr[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(sys.argv[1].encode(), addr)
r, w = os.pipe()
s.sendmsg([b"BARRIER=1"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [w]))], 0, addr)
os.close(w)
p = select.poll()
p.register(r, select.POLLHUP)
sys.exit(0 if p.poll(5000) else 1)
