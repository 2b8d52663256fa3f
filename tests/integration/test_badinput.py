"""Bad input on raw sockets: truncated and oversized startup packets,
random bytes, unsupported protocol versions, SSLRequest/GSSENCRequest
without TLS, unknown message types and oversized messages after login, and
clients that stall half-way. Each bad client gets an ErrorResponse (08P01
where the protocol allows) or a closed connection, and a well-behaved
psycopg client keeps working during and after."""
import contextlib
import random
import socket
import struct
import threading
import time

import pytest

import pgwire
from helpers import SUPERUSER, primary_only, scalar, wait_for


@pytest.fixture
def pgsteer(pgsteer, cluster):
    """This module tests the proxy core, not routing: the primary is the only node."""
    return primary_only(pgsteer, cluster)


LOGIN_TIMEOUT = 3  # seconds; client_login_timeout of the proxy under test


@pytest.fixture
def bad_proxy(pgsteer, cluster):
    p = pgsteer(client_login_timeout="%ds" % LOGIN_TIMEOUT)
    yield p


@contextlib.contextmanager
def healthy_client(proxy):
    """A psycopg client querying in a loop the whole time; fails the test if
    any of its queries fails, during or right after the block."""
    conn = proxy.connect()
    stop = threading.Event()
    state = {"ok": 0, "errors": []}

    def loop():
        while not stop.is_set():
            try:
                assert scalar(conn, "SELECT 1") == 1
                state["ok"] += 1
            except Exception as e:
                state["errors"].append(repr(e))
                return
            time.sleep(0.01)

    th = threading.Thread(target=loop)
    th.start()
    try:
        wait_for(lambda: state["ok"] or state["errors"], 10, "the healthy client's first query")
        yield
    finally:
        stop.set()
        th.join(10)
    try:
        assert not state["errors"], state["errors"]
        assert state["ok"] > 0
        assert scalar(conn, "SELECT inet_server_port()") is not None
        with proxy.connect() as fresh:  # new clients are accepted afterwards
            assert scalar(fresh, "SELECT 2") == 2
    finally:
        conn.close()


def expect_error_or_close(sock, timeout=5, sqlstate="08P01"):
    kind, fields = pgwire.error_or_close(sock, timeout)
    if kind == "error":
        assert fields.get("C") == sqlstate, fields
        assert fields.get("S") in ("FATAL", "ERROR"), fields
    return kind, fields


def test_truncated_startup_packet(bad_proxy):
    with healthy_client(bad_proxy):
        for cut in (3, 8, 20):
            pkt = pgwire.startup_packet(SUPERUSER)
            s = pgwire.open_socket(bad_proxy.port)
            try:
                s.sendall(pkt[:cut])
                s.shutdown(socket.SHUT_WR)
                expect_error_or_close(s)
            finally:
                s.close()


@pytest.mark.parametrize("length", [0, 4, 7, 2 ** 31 - 1, 0xFFFFFFFF])
def test_bad_startup_length(bad_proxy, length):
    with healthy_client(bad_proxy):
        s = pgwire.open_socket(bad_proxy.port)
        try:
            s.sendall(struct.pack("!II", length, pgwire.PROTOCOL_3_0) + b"user\0x\0")
            t0 = time.monotonic()
            # judged on the length alone: no waiting for 2 GiB, nor for the login timeout
            expect_error_or_close(s, timeout=LOGIN_TIMEOUT + 5)
            assert time.monotonic() - t0 < LOGIN_TIMEOUT - 0.5
        finally:
            s.close()


def test_random_bytes_instead_of_startup(bad_proxy):
    rnd = random.Random(20261123)
    with healthy_client(bad_proxy):
        for _ in range(10):
            s = pgwire.open_socket(bad_proxy.port)
            try:
                s.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 300))))
                s.shutdown(socket.SHUT_WR)
                expect_error_or_close(s, timeout=LOGIN_TIMEOUT + 5)
            except (BrokenPipeError, ConnectionResetError):
                pass  # closed on us while we were still sending: also fine
            finally:
                s.close()


@pytest.mark.parametrize("version", [4 << 16, (1234 << 16) | 1, 0])
def test_unsupported_protocol_version(bad_proxy, version):
    with healthy_client(bad_proxy):
        s = pgwire.open_socket(bad_proxy.port)
        try:
            s.sendall(pgwire.startup_packet(SUPERUSER, version=version))
            kind, fields = pgwire.error_or_close(s, 5)
            assert kind == "error", "expected an ErrorResponse for version %#x" % version
            assert fields.get("C") in ("0A000", "08P01"), fields
            assert fields.get("S") == "FATAL", fields
            assert pgwire.read_message(s) is None  # then the connection is closed
        finally:
            s.close()


@pytest.mark.parametrize("code", [pgwire.SSL_REQUEST, pgwire.GSSENC_REQUEST])
def test_ssl_and_gssenc_request_refused_then_startup_works(bad_proxy, code):
    s = pgwire.open_socket(bad_proxy.port)
    try:
        s.sendall(struct.pack("!II", 8, code))
        assert pgwire.recv_exact(s, 1) == b"N"
        # the client may go on in plaintext on the same connection
        s.sendall(pgwire.startup_packet(SUPERUSER))
        while True:
            m = pgwire.read_message(s)
            assert m is not None and m[0] != b"E", m
            if m[0] == b"Z":
                break
        rows, err = pgwire.simple_query(s, "SELECT 40 + 2")
        assert err is None and rows == [["42"]]
    finally:
        s.close()


def test_unknown_message_type_after_login(bad_proxy):
    with healthy_client(bad_proxy):
        for mtype in (b"y", b"\x01", b"\xff"):
            s, _ = pgwire.login(bad_proxy.port, SUPERUSER)
            try:
                s.sendall(pgwire.message(mtype, b"hello"))
                kind, fields = pgwire.error_or_close(s, 5)
                assert kind == "error", "no ErrorResponse for message type %r" % mtype
                assert fields.get("C") == "08P01", fields
                assert pgwire.read_message(s) is None  # and closed
            finally:
                s.close()


def test_oversized_message_after_login(bad_proxy):
    with healthy_client(bad_proxy):
        s, _ = pgwire.login(bad_proxy.port, SUPERUSER)
        try:
            s.sendall(b"Q" + struct.pack("!I", 2 ** 31 - 1) + b"SELECT ")
            kind, fields = pgwire.error_or_close(s, 5)
            assert kind == "error", "no ErrorResponse for a 2 GiB message"
            assert fields.get("C") == "08P01", fields
        finally:
            s.close()


@pytest.mark.proxy_only
def test_max_packet_size(pgsteer):
    p = pgsteer(max_packet_size="1MB")
    with healthy_client(p):
        with p.connect() as conn:  # below the limit: fine
            assert scalar(conn, "SELECT length(%s::text)", ("x" * 500000,)) == 500000
        s, _ = pgwire.login(p.port, SUPERUSER)
        try:
            s.sendall(b"Q" + struct.pack("!I", 2 * 1024 * 1024 + 4) + b"SELECT '")
            kind, fields = pgwire.error_or_close(s, 5)
            assert kind == "error", "no ErrorResponse for a message over max_packet_size"
            assert fields.get("C") == "08P01", fields
        finally:
            s.close()


def test_half_startup_then_stall(bad_proxy):
    """Rejecting the partial packet at once or at the login timeout are both
    fine; waiting forever is not."""
    with healthy_client(bad_proxy):
        pkt = pgwire.startup_packet(SUPERUSER)
        s = pgwire.open_socket(bad_proxy.port)
        try:
            s.sendall(pkt[:len(pkt) // 2])  # and then nothing: the socket stays open
            t0 = time.monotonic()
            expect_error_or_close(s, timeout=LOGIN_TIMEOUT + 8)
            assert time.monotonic() - t0 <= LOGIN_TIMEOUT + 5
        finally:
            s.close()


def test_silent_client_hits_login_timeout(bad_proxy):
    with healthy_client(bad_proxy):
        s = pgwire.open_socket(bad_proxy.port)
        try:
            t0 = time.monotonic()  # connected, and never says a word
            expect_error_or_close(s, timeout=LOGIN_TIMEOUT + 8)
            elapsed = time.monotonic() - t0
            assert LOGIN_TIMEOUT - 0.5 <= elapsed <= LOGIN_TIMEOUT + 5, elapsed
        finally:
            s.close()


def test_half_message_after_login_does_not_block_others(bad_proxy):
    stalled = []
    try:
        with healthy_client(bad_proxy):
            for _ in range(3):
                s, _ = pgwire.login(bad_proxy.port, SUPERUSER)
                s.sendall(b"Q" + struct.pack("!I", 100) + b"SELECT 1")  # 4 + 8 of 100 bytes
                stalled.append(s)
            # while those stall, many other clients come and go
            for _ in range(20):
                with bad_proxy.connect() as c:
                    assert scalar(c, "SELECT 3") == 3
    finally:
        for s in stalled:
            s.close()


def test_terminate_and_abrupt_close(bad_proxy):
    with healthy_client(bad_proxy):
        for _ in range(10):
            s, _ = pgwire.login(bad_proxy.port, SUPERUSER)
            s.sendall(pgwire.message(b"X"))  # Terminate
            assert pgwire.read_message(s) is None
            s.close()
            s, _ = pgwire.login(bad_proxy.port, SUPERUSER)
            s.sendall(pgwire.message(b"Q", b"SELECT pg_sleep(0.2)\0"))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()  # RST in the middle of a query
