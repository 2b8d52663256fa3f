#!/usr/bin/env python3
"""Idle-client memory probe for contrib/bench.sh (not a test).

Opens COUNT client connections to a PostgreSQL-protocol proxy, completes the
startup handshake of each one (trust authentication: StartupMessage, then
AuthenticationOk ... ReadyForQuery), keeps them all open and idle, and reports
the proxy's resident memory before and with them, so that bench.sh can divide
the difference by COUNT. Raw non-blocking sockets in one thread: a driver
library per connection would cost more than the proxy being measured.

    idle_clients.py --port PORT --pid PROXY_PID --count N [--host 127.0.0.1]

Prints key=value lines on stdout (rss_before_kib, rss_idle_kib, opened,
alive, open_seconds) and exits 0 when every connection logged in and was
still open when the memory was read; otherwise exits 1 with the first
error on stderr and in an error= line.
"""
import argparse
import errno
import os
import resource
import selectors
import socket
import struct
import sys
import time

PROTOCOL_3_0 = 196608
TERMINATE = b"X\x00\x00\x00\x04"


def rss_kib(pid):
    """VmRSS of PID in KiB (anonymous + file + shared pages resident now)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def startup_packet(user, database):
    body = struct.pack("!I", PROTOCOL_3_0)
    for key, value in (("user", user), ("database", database),
                       ("application_name", "bench-idle")):
        body += key.encode() + b"\0" + value.encode() + b"\0"
    body += b"\0"
    return struct.pack("!I", len(body) + 4) + body


def error_text(payload):
    """The severity and message fields of an ErrorResponse body."""
    fields = {}
    for part in payload.split(b"\0"):
        if part:
            fields[part[:1]] = part[1:].decode(errors="replace")
    return f"{fields.get(b'S', 'ERROR')}: {fields.get(b'M', '?')} (SQLSTATE {fields.get(b'C', '?')})"


class Conn:
    """One client connection on its way to ReadyForQuery."""
    __slots__ = ("sock", "buf", "sent")

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.sent = False


def parse(conn):
    """Consume whole messages; return 'ready', None (need more) or an error."""
    while len(conn.buf) >= 5:
        kind = conn.buf[:1]
        (length,) = struct.unpack("!I", conn.buf[1:5])
        if len(conn.buf) < 1 + length:
            return None
        payload = conn.buf[5:1 + length]
        conn.buf = conn.buf[1 + length:]
        if kind == b"E":
            return error_text(payload)
        if kind == b"R":
            (code,) = struct.unpack("!I", payload[:4])
            if code != 0:
                return f"server asked for authentication method {code}; bench.sh expects trust"
        elif kind == b"Z":
            return "ready"
        # ParameterStatus, BackendKeyData, NoticeResponse: nothing to do
    return None


def open_all(args, startup):
    """Log COUNT clients in, at most args.inflight handshakes at a time."""
    sel = selectors.DefaultSelector()
    ready, pending, started = [], 0, 0
    deadline = time.monotonic() + args.timeout
    error = None

    def start_one():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex((args.host, args.port))
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            raise OSError(rc, f"connect: {os.strerror(rc)}")
        sel.register(s, selectors.EVENT_WRITE, Conn(s))

    while len(ready) < args.count and error is None:
        while pending < args.inflight and started < args.count:
            start_one()
            started += 1
            pending += 1
        if time.monotonic() > deadline:
            error = f"timeout after {args.timeout}s with {len(ready)} of {args.count} logged in"
            break
        for key, _ in sel.select(timeout=1.0):
            conn = key.data
            s = conn.sock
            if not conn.sent:
                rc = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if rc:
                    error = f"connect: {os.strerror(rc)}"
                    break
                s.sendall(startup)      # tiny: fits any empty socket buffer
                conn.sent = True
                sel.modify(s, selectors.EVENT_READ, conn)
                continue
            try:
                data = s.recv(65536)
            except OSError as e:
                error = f"recv: {e}"
                break
            if not data:
                error = "proxy closed the connection during login"
                break
            conn.buf += data
            outcome = parse(conn)
            if outcome is None:
                continue
            if outcome != "ready":
                error = outcome
                break
            sel.unregister(s)
            ready.append(s)
            pending -= 1
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    sel.close()
    return ready, error


def count_alive(socks):
    """Connections the proxy has neither closed nor written to while idle."""
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    readable = len(sel.select(timeout=0))
    sel.close()
    return len(socks) - readable


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True, help="proxy process whose RSS is read")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--user", default="postgres")
    p.add_argument("--database", default="postgres")
    p.add_argument("--inflight", type=int, default=64, help="handshakes in progress at once (below the listen backlog)")
    p.add_argument("--settle", type=float, default=2.0, help="seconds idle before RSS is read")
    p.add_argument("--timeout", type=float, default=300.0)
    args = p.parse_args()

    need = args.count + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            print(f"error=open file limit {hard} is below {need}; raise ulimit -n (hard)")
            print(f"idle_clients: open file limit {hard} < {need}", file=sys.stderr)
            return 1
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))

    time.sleep(args.settle)
    before = rss_kib(args.pid)
    t0 = time.monotonic()
    socks, error = open_all(args, startup_packet(args.user, args.database))
    open_seconds = time.monotonic() - t0
    time.sleep(args.settle)
    idle = rss_kib(args.pid)
    alive = count_alive(socks)
    print(f"rss_before_kib={before}")
    print(f"rss_idle_kib={idle}")
    print(f"opened={len(socks)}")
    print(f"alive={alive}")
    print(f"open_seconds={open_seconds:.2f}")
    if error is None and alive < args.count:
        error = f"{args.count - alive} of {args.count} idle connections were closed by the proxy"
    for s in socks:
        try:
            s.send(TERMINATE)
        except OSError:
            pass
        s.close()
    if error:
        print("error=" + error.replace("\n", " "))
        print(f"idle_clients: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
