"""Guards an operator relies on, against real servers:

- SHOW NODES' last_check_ms counts from the last completed check of the
  node, so a quiet healthy cluster shows about check_interval, not the
  time since the monitor last published a change;
- a client that sends part of a statement and stops holds no memory for
  long: client_message_timeout closes it (08P01), and past
  client_buffer_limit the client holding the most is closed (53200); the
  other sessions go on;
- failed logins of one user from one address are limited (auth_failure_limit within
  auth_failure_window): past them, even a right password is refused at
  once (28000) until the window ends, and the refusals are counted;
- EXPLAIN ROUTE of a read names every replica a read may go to, with the
  weights, not the one a fixed pick happens to give.
"""
import socket
import struct
import time

import psycopg
import pytest

import helpers
import pgwire
from helpers import admin_rows, scalar, wait_for


def metrics_text(port):
    """The stats endpoint's /metrics body."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode("utf-8", "replace")


def test_last_check_ms_counts_from_the_last_check(pgsteer, cluster):
    p = pgsteer(extra={"routing": {"check_interval": "100ms"}})
    helpers.wait_reads_on_both_replicas(p, cluster)
    # a quiet cluster: nothing changes, so nothing is published for a while
    deadline = time.monotonic() + 2.5
    worst = 0
    while time.monotonic() < deadline:
        for r in admin_rows(p, "SHOW NODES"):
            assert r["last_check_ms"] is not None, r
            worst = max(worst, r["last_check_ms"])
        time.sleep(0.2)  # sampling period of the observation, not a synchronisation
    assert worst < 1000, "last_check_ms reached %d ms with check_interval 100ms" % worst


def partial_query(port, total, sent):
    """A logged-in raw client that sends SENT bytes of a Query of TOTAL bytes."""
    sock, _ = pgwire.login(port, "postgres")
    body = b"SELECT '" + b"x" * (total - 12) + b"'\0"
    msg = b"Q" + struct.pack("!I", len(body) + 4) + body
    sock.sendall(msg[:sent])
    return sock


def test_incomplete_message_times_out(pgsteer, cluster):
    p = pgsteer(nodes=[cluster.port], client_message_timeout="1s")
    sock = partial_query(p.port, 4 << 20, 300 << 10)
    t0 = time.monotonic()
    kind, fields = pgwire.error_or_close(sock, timeout=10)
    took = time.monotonic() - t0
    sock.close()
    assert kind == "error" and fields["C"] == "08P01", (kind, fields)
    assert "client_message_timeout" in fields["M"]
    assert took < 5, "closed after %.1fs" % took
    with p.connect() as c:  # everyone else goes on
        assert scalar(c, "SELECT 1") == 1


def test_incomplete_messages_over_the_budget(pgsteer, cluster):
    # the limit is per worker: one worker, so that the three clients share it
    p = pgsteer(nodes=[cluster.port], client_message_timeout="0", client_buffer_limit="1MB", workers=1)
    kib = 1 << 10
    # (whole statement, part sent): 300 + 400 + 600 kB held > 1 MB
    plan = [(450 * kib, 300 * kib), (450 * kib, 400 * kib), (2048 * kib, 600 * kib)]
    socks = [partial_query(p.port, total, sent) for total, sent in plan]
    try:
        # the one holding the most is closed once the three hold more than 1 MB
        kind, fields = pgwire.error_or_close(socks[2], timeout=10)
        assert kind == "error" and fields["C"] == "53200", (kind, fields)
        assert "client_buffer_limit" in fields["M"]
        # the others stay: finishing their statements (under the limit together) works
        for s, (total, sent) in zip(socks[:2], plan[:2]):
            body = b"SELECT '" + b"x" * (total - 12) + b"'\0"
            msg = b"Q" + struct.pack("!I", len(body) + 4) + body
            s.sendall(msg[sent:])
            while True:
                m = pgwire.read_message(s)
                assert m is not None and m[0] != b"E", m
                if m[0] == b"Z":
                    break
    finally:
        for s in socks:
            s.close()


@pytest.fixture
def guarded_role(cluster):
    with cluster.connect() as c:
        for role in ("it_guard", "it_guard2"):
            c.execute("DROP ROLE IF EXISTS %s" % role)
            c.execute("CREATE ROLE %s LOGIN" % role)
    yield "it_guard"
    with cluster.connect() as c:
        for role in ("it_guard", "it_guard2"):
            c.execute("DROP ROLE IF EXISTS %s" % role)


def test_failed_logins_are_limited_per_address_and_user(pgsteer, cluster, guarded_role, tmp_path):
    """Past auth_failure_limit failures of one user from one address, that
    user's logins from there are refused at once, even with the right
    password; another user from the same address (an application behind
    the same NAT) still logs in, and its good logins do not clear the
    first user's failures."""
    users = tmp_path / "users.txt"
    users.write_text('"it_guard" "right-password"\n"it_guard2" "other-password"\n')
    stats_port = helpers.free_port()
    p = pgsteer(nodes=[cluster.port], auth_type="scram-sha-256", auth_file=str(users),
                auth_failure_limit=3, auth_failure_window="60s",
                extra={"stats": {"listen": "127.0.0.1:%d" % stats_port}})

    def login(pw, user="it_guard"):
        try:
            s, _ = pgwire.login(p.port, user, password=pw)
            s.close()
            return None
        except pgwire.ServerError as e:
            return e
    assert login("right-password") is None
    for _ in range(3):
        e = login("wrong")
        assert e is not None and e.sqlstate == "28P01", e
        assert login("other-password", "it_guard2") is None
    e = login("right-password")
    assert e is not None and e.sqlstate == "28000", e
    assert 'too many failed logins of user "it_guard" from 127.0.0.1' in e.fields["M"], e.fields
    assert login("other-password", "it_guard2") is None
    text = metrics_text(stats_port)
    assert "\npgsteer_auth_throttled_total 1\n" in text
    assert "\npgsteer_auth_failures_total 3\n" in text

def test_explain_route_names_every_eligible_replica(pgsteer, cluster):
    p = pgsteer()
    helpers.wait_reads_on_both_replicas(p, cluster)
    with helpers.connect(p.port, user="admin", dbname="pgsteer") as a:
        cur = a.execute("EXPLAIN ROUTE 'SELECT 1'")
        names = [d.name for d in cur.description]
        r = dict(zip(names, cur.fetchone()))
    assert r["target"] == "replica"
    assert r["node"] == "main2, main3", r
    assert "one of the replicas by weight" in r["route_reason"], r
    assert "main2 (lag" in r["route_reason"] and "main3 (lag" in r["route_reason"], r


def test_last_log_line_says_why_it_exited(pgsteer, cluster):
    p = pgsteer(nodes=[cluster.port])
    assert p.stop() == 0
    last = p.log().strip().splitlines()[-1]
    assert "pgsteer exited (SIGTERM), exit code 0" in last, last


def test_admin_shutdown_is_named_in_the_last_log_line(pgsteer, cluster):
    p = pgsteer(nodes=[cluster.port])
    with helpers.connect(p.port, user="admin", dbname="pgsteer") as a:
        a.execute("SHUTDOWN")
    wait_for(lambda: not p.running(), 15, "pgsteer to exit after SHUTDOWN")
    last = p.log().strip().splitlines()[-1]
    assert "pgsteer exited (SHUTDOWN from the admin console), exit code 0" in last, last
