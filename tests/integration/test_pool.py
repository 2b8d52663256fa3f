"""Connection pooling through pgsteer: waiting for a server and timing out
(query_wait_timeout), 500 concurrent clients on a pool of 10, a closed
server counted until its backend exits, a server
connection killed mid-query (pg_terminate_backend) failing only its client,
session pooling keeping one backend, and transaction pooling sharing one
backend between two clients."""
import threading
import time
import uuid

import psycopg
import pytest

import helpers
import pgwire
from helpers import SUPERUSER, primary_only, scalar, wait_for


@pytest.fixture
def pgsteer(pgsteer, cluster):
    """This module tests the proxy core, not routing: the primary is the only node."""
    return primary_only(pgsteer, cluster)


def _active_pid(primary, marker):
    sql = ("SELECT pid FROM pg_stat_activity WHERE state = 'active' "
           "AND query LIKE %s AND pid <> pg_backend_pid()")
    return wait_for(lambda: primary.execute(sql, ("%" + marker + "%",)).fetchone(),
                    10, "query %r to be running" % marker)[0]


@pytest.mark.proxy_only
def test_pool_exhaustion_waits_then_times_out(cluster, pgsteer):
    # one worker: with several, each has a pool of its own (doc/workers.md)
    p = pgsteer(pool_mode="transaction", default_pool_size=2, query_wait_timeout="1s", workers=1)
    a, b, c = p.connect(), p.connect(), p.connect()
    raw, _ = pgwire.login(p.port, SUPERUSER)  # logged in while servers are free
    try:
        pids = set()
        for conn in (a, b):
            conn.execute("BEGIN")
            pids.add(scalar(conn, "SELECT pg_backend_pid()"))
        assert len(pids) == 2  # both servers of the pool are now held
        # on the wire: an ErrorResponse with a SQLSTATE after ~query_wait_timeout
        t0 = time.monotonic()
        rows, err = pgwire.simple_query(raw, "SELECT 1")
        elapsed = time.monotonic() - t0
        assert err is not None, "query ran although the pool was exhausted: %r" % rows
        assert 0.8 <= elapsed < 5, elapsed
        assert err.get("C"), "the timeout error must carry a SQLSTATE: %r" % err
        text = err.get("M", "").lower()
        assert "wait" in text or "timeout" in text or "timed out" in text, err
        # a psycopg client sees an error too
        t0 = time.monotonic()
        with pytest.raises(psycopg.Error) as ei:
            c.execute("SELECT 1")
        assert 0.8 <= time.monotonic() - t0 < 5
        text = str(ei.value).lower()
        assert "wait" in text or "timeout" in text or "timed out" in text, str(ei.value)
        # the two clients holding transactions are unaffected
        for conn in (a, b):
            assert scalar(conn, "SELECT inet_server_port()") == cluster.port
            conn.execute("COMMIT")
        # and with servers free again, a new client is served
        with p.connect() as d:
            assert scalar(d, "SELECT 1") == 1
    finally:
        raw.close()
        for conn in (a, b, c):
            conn.close()


POOL500_ROLE = "pool500"


def _limited_role(cluster, name, limit):
    """Generator for a fixture: LOGIN role NAME with CONNECTION LIMIT LIMIT
    exists while it is suspended; its sessions are ended and it is dropped
    after."""
    with cluster.connect() as c:
        c.execute("DROP ROLE IF EXISTS %s" % name)
        c.execute("CREATE ROLE %s LOGIN CONNECTION LIMIT %d" % (name, limit))
    yield name
    with cluster.connect() as c:
        c.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                  (name,))
        wait_for(lambda: scalar(c, "SELECT count(*) FROM pg_stat_activity WHERE usename = %s",
                                (name,)) == 0, 10, "the role's sessions gone")
        c.execute("DROP ROLE %s" % name)


@pytest.fixture
def pool500_role(cluster):
    """A role PostgreSQL lets hold at most 10 connections at once: the
    server itself refuses an 11th (53300), so a pool that grows past 10
    fails its clients instead of going unnoticed between two samples."""
    yield from _limited_role(cluster, POOL500_ROLE, 10)


@pytest.mark.proxy_only
def test_500_clients_on_pool_of_10(cluster, pgsteer, pool500_role):
    """500 clients at once through default_pool_size = 10: every one is
    served, and never by more than 10 server connections at once, whatever
    the workers (they share the size). The role's CONNECTION LIMIT 10 makes
    PostgreSQL refuse an 11th connection, which fails a client here."""
    n = 500
    p = pgsteer(pool_mode="transaction", default_pool_size=10, max_client_conn=n + 50,
                query_wait_timeout="60s")
    barrier = threading.Barrier(n, timeout=120)
    results, failures = [], []
    lock = threading.Lock()

    def client(i):
        try:
            with p.connect(connect_timeout=60, user=pool500_role) as conn:
                barrier.wait()  # all 500 are connected at the same time
                row = conn.execute("SELECT pg_backend_pid(), inet_server_port(), %s::int",
                                   (i,), prepare=False).fetchone()
                conn.execute("SELECT pg_sleep(0.01)")
                with lock:
                    results.append(row)
        except Exception as e:
            with lock:
                failures.append(repr(e))
            barrier.abort()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert not failures, "%d clients failed, first: %s" % (len(failures), failures[:3])
    assert len(results) == n
    assert sorted(r[2] for r in results) == list(range(n))
    assert {r[1] for r in results} == {cluster.port}
    assert "too many connections" not in p.log()
    if helpers.suite_workers() == 1:
        assert len({r[0] for r in results}) <= 10


LINGER_ROLE = "pool_linger"


@pytest.fixture
def linger_role(cluster):
    """A role PostgreSQL lets hold one connection at a time."""
    yield from _limited_role(cluster, LINGER_ROLE, 1)


@pytest.mark.proxy_only
def test_closed_server_counts_in_its_pool_until_its_backend_exits(cluster, pgsteer, primary,
                                                                  linger_role):
    """A client that leaves mid-statement costs its server connection, but
    the backend goes on with the statement and is one of PostgreSQL's
    connections until it exits. The pool counts it until then (SHOW POOLS
    sv_closing), so the next client waits for it instead of opening a
    connection PostgreSQL refuses: the role's CONNECTION LIMIT 1 answers
    a second backend with 53300 "too many connections for role"."""
    p = pgsteer(pool_mode="transaction", default_pool_size=1, query_wait_timeout="20s")
    sock, _ = pgwire.login(p.port, linger_role)
    sock.sendall(pgwire.message(b"Q", b"SELECT pg_sleep(1) /* linger */\0"))
    sleeper = _active_pid(primary, "pg_sleep(1) /* linger */")
    sock.close()  # mid-statement: pgsteer closes the server, the backend sleeps on

    def closing():
        rows = [r for r in helpers.admin_rows(p, "SHOW POOLS") if r["user"] == linger_role]
        return sum(r["sv_closing"] for r in rows) == 1 and rows
    rows = wait_for(closing, 10, "the closed server counted as closing")
    assert sum(r["sv_active"] + r["sv_idle"] + r["sv_login"] for r in rows) == 0, rows
    with p.connect(user=linger_role) as conn:  # waits for the sleeping backend to exit
        pid = scalar(conn, "SELECT pg_backend_pid()")
    assert pid != sleeper
    assert "too many connections" not in p.log()
    rows = [r for r in helpers.admin_rows(p, "SHOW POOLS") if r["user"] == linger_role]
    assert sum(r["sv_closing"] for r in rows) == 0, rows


def test_terminated_server_fails_only_its_client(cluster, pgsteer, primary):
    p = pgsteer(pool_mode="transaction", default_pool_size=4)
    victim, bystander = p.connect(), p.connect()
    try:
        assert scalar(bystander, "SELECT 1") == 1
        marker = "victim_" + uuid.uuid4().hex[:8]
        outcome = {}

        def run():
            try:
                victim.execute("SELECT pg_sleep(30) /* %s */" % marker)
                outcome["result"] = "finished"
            except Exception as e:
                outcome["result"] = e

        th = threading.Thread(target=run)
        th.start()
        pid = _active_pid(primary, marker)
        assert scalar(primary, "SELECT pg_terminate_backend(%s)", (pid,))
        th.join(15)
        assert not th.is_alive()
        assert isinstance(outcome["result"], psycopg.Error), outcome
        # the other client, and new clients, keep working (no dead server is reused)
        for _ in range(5):
            assert scalar(bystander, "SELECT inet_server_port()") == cluster.port
        for _ in range(5):
            with p.connect() as c:
                assert scalar(c, "SELECT pg_backend_pid()") != pid
        # the victim can reconnect
        with p.connect() as again:
            assert scalar(again, "SELECT inet_server_port()") == cluster.port
    finally:
        victim.close()
        bystander.close()


def test_session_mode_keeps_backend(cluster, pgsteer):
    p = pgsteer(pool_mode="session", default_pool_size=4)
    with p.connect() as a, p.connect() as b:
        pid_a = scalar(a, "SELECT pg_backend_pid()")
        pid_b = scalar(b, "SELECT pg_backend_pid()")
        assert pid_a != pid_b
        a.execute("SET application_name = 'sticky_session'")
        for i in range(5):
            a.execute("BEGIN")
            assert scalar(a, "SELECT pg_backend_pid()") == pid_a
            a.execute("COMMIT")
            b.execute("BEGIN")
            assert scalar(b, "SELECT pg_backend_pid()") == pid_b
            b.execute("COMMIT")
        assert scalar(a, "SHOW application_name") == "sticky_session"


def test_transaction_mode_pool_of_one_serves_two_clients(cluster, pgsteer, primary):
    # one worker: with several, each has a pool of its own (doc/workers.md)
    p = pgsteer(pool_mode="transaction", default_pool_size=1, query_wait_timeout="10s", workers=1)
    with p.connect() as a, p.connect() as b:
        pids = set()
        for i in range(10):
            for conn in (a, b):
                conn.execute("BEGIN")
                pids.add(scalar(conn, "SELECT pg_backend_pid()"))
                assert scalar(conn, "SELECT %s::int", (i,)) == i
                conn.execute("COMMIT")
        assert len(pids) == 1, "pool of 1 used %d backends" % len(pids)
        # while a holds the only server, b waits; it runs once a commits
        a.execute("BEGIN")
        scalar(a, "SELECT 1")
        done = threading.Event()

        def run_b():
            scalar(b, "SELECT 2")
            done.set()

        th = threading.Thread(target=run_b)
        th.start()
        assert not done.wait(0.5), "b ran while a held the only server"
        a.execute("COMMIT")
        assert done.wait(5)
        th.join(5)



def test_query_timeout_cancels_the_statement(pgsteer, cluster):
    """query_timeout: pgsteer cancels a statement that runs too long; the
    client gets 57014 and its connection keeps working."""
    p = pgsteer(nodes=[cluster.port], default_pool_size=1, query_timeout="1s")
    with p.connect() as c:
        t0 = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled):
            c.execute("SELECT pg_sleep(30)")
        assert time.monotonic() - t0 < 10
        assert c.execute("SELECT 1").fetchone()[0] == 1
