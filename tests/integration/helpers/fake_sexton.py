"""A stand-in for sexton's control socket, for testing sextonctl alone.

usage: fake_sexton.py SOCKET SCRIPT.json

Listens on SOCKET and answers each request (one line, PROTOCOL.md) with
the canned answer for its full text or, failing that, for its first word.
An answer is
  - a dict: sent as one compact JSON line;
  - a str: sent as is, plus a newline (to send malformed lines);
  - bytes: sent as is;
  - a list of those: sent in order;
  - a Reply, for delays, a gate, silence or a connection held open.
Unknown commands get {"error":"unknown command","code":2}. Every request
is recorded in .requests (and, run as a script, appended to SOCKET.log).

Tests use the FakeSexton class in-process; the script form is for trying
sextonctl by hand.
"""
import json
import os
import socket
import sys
import threading


class Reply:
    def __init__(self, lines=(), delay=0.0, gate=None, silent=False, hold=False, before=None):
        self.lines = list(lines)
        self.delay = delay    # seconds between lines
        self.gate = gate      # threading.Event: wait for it after the first line
        self.before = before  # threading.Event: wait for it before the first line
        self.silent = silent  # read the request, never answer
        self.hold = hold      # after the lines, keep the connection until the client goes


def encode(item):
    if isinstance(item, bytes):
        return item
    if isinstance(item, str):
        return item.encode() + b"\n"
    return json.dumps(item, separators=(",", ":")).encode() + b"\n"


class FakeSexton:
    def __init__(self, path, answers, log=None):
        self.path = str(path)
        self.answers = answers
        self.log = log
        self.requests = []
        self.stopping = threading.Event()
        self.sock = None

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(64)
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def stop(self):
        self.stopping.set()
        try:
            self.sock.close()
        except OSError:
            pass
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def _serve(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _read_request(self, conn):
        data = b""
        conn.settimeout(5)
        while b"\n" not in data and len(data) < 70000:
            try:
                chunk = conn.recv(4096)
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        return data.split(b"\n", 1)[0].decode(errors="replace")

    def _answer_for(self, request):
        if request in self.answers:
            return self.answers[request]
        word = request.split(" ", 1)[0]
        return self.answers.get(word, {"error": "unknown command", "code": 2})

    def _wait_for_close(self, conn):
        conn.settimeout(0.1)
        while not self.stopping.is_set():
            try:
                if not conn.recv(4096):
                    return
            except socket.timeout:
                continue
            except OSError:
                return

    def _handle(self, conn):
        with conn:
            request = self._read_request(conn)
            if request is None:
                return
            self.requests.append(request)
            if self.log:
                with open(self.log, "a") as f:
                    f.write(request + "\n")
            reply = self._answer_for(request)
            if not isinstance(reply, Reply):
                reply = Reply(reply if isinstance(reply, list) else [reply])
            if reply.silent:
                self._wait_for_close(conn)
                return
            try:
                self._send(conn, reply)
            except OSError:
                return
            if reply.hold:
                self._wait_for_close(conn)

    def _send(self, conn, reply):
        conn.settimeout(30)
        if reply.before is not None:
            reply.before.wait(30)
        for i, item in enumerate(reply.lines):
            if i == 1 and reply.gate is not None:
                reply.gate.wait(30)
            elif i and reply.delay:
                self.stopping.wait(reply.delay)
            conn.sendall(encode(item))


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: fake_sexton.py SOCKET SCRIPT.json")
    with open(sys.argv[2]) as f:
        answers = json.load(f)
    server = FakeSexton(sys.argv[1], answers, log=sys.argv[1] + ".log").start()
    print("READY", flush=True)
    try:
        server.stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
