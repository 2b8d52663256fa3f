"""Protocol-level session state that drivers rely on, through transaction
and session pooling (doc/session-state.md):

- a multi-statement Query is judged statement by statement: asyncpg's
  reset query on every pool release must not pin (it locked the pool up);
- notifications from a server that belongs to a client are never dropped,
  whatever pgsteer does on that connection (its read-your-writes probe),
  and reach an idle listener at once;
- DEALLOCATE of a protocol-level name over the extended protocol (psycopg
  evicting past prepared_max, or with binary=True) is answered by pgsteer;
- the unnamed statement lives until the client's next unnamed Parse or
  Query, wherever its Bind lands, and never leaks to another client;
- a shared server-side statement whose plan went stale (DDL) is prepared
  afresh on every server connection after the first error says so.

Each test fails on the main branch before these fixes.
"""
import os
import signal
import struct
import threading
import time

import psycopg
import pytest
from psycopg import pq

import helpers
import pgwire
from helpers import admin_rows, scalar, wait_for

ASYNCPG_RESET = "SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;"


def pinned_clients(p):
    """SHOW CLIENTS rows of pinned clients (the column holds the reason)."""
    return [r for r in admin_rows(p, "SHOW CLIENTS") if r["pinned"]]


def run_with_deadline(fn, seconds):
    """Run FN in a thread; its result, or an AssertionError if it did not
    finish in time (a client queued behind pinned servers waits forever)."""
    box = {}

    def target():
        try:
            box["value"] = fn()
        except Exception as e:  # reported below
            box["error"] = e
    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "still waiting after %ss (a server held by idle clients?)" % seconds
    if "error" in box:
        raise box["error"]
    return box.get("value")


# ---------------------------------------------------------------- multi-statement


def test_asyncpg_reset_query_leaves_no_pin(pgsteer, cluster):
    """Eight clients send asyncpg's release query and stay idle on a pool of
    8: none is pinned, and a ninth client's INSERT runs at once."""
    p = pgsteer(default_pool_size=8, nodes=[cluster.port])
    with p.connect() as c:
        c.execute("CREATE TABLE IF NOT EXISTS ps_reset (id int)")
    idle = [p.connect() for _ in range(8)]
    try:
        for c in idle:
            c.execute(ASYNCPG_RESET)
        assert pinned_clients(p) == []

        def insert():
            with p.connect() as c:
                c.execute("INSERT INTO ps_reset VALUES (1)")
                return True
        assert run_with_deadline(insert, 10)
    finally:
        for c in idle:
            c.close()


def test_multi_statement_settings_are_carried_not_pinned(pgsteer, cluster):
    """SET and RESET ALL inside a multi-statement Query are tracked one by
    one: the client keeps its setting on other server connections, and a
    later RESET ALL in a string takes it away, with no pin either time."""
    p = pgsteer(default_pool_size=4, nodes=[cluster.port])
    with p.connect() as c, p.connect() as other:
        c.execute("SELECT 1; SET application_name = 'ps_multi'; SET search_path = pg_catalog, public")
        assert pinned_clients(p) == []
        # another client takes the server c used; c's next statement gets another one
        other.execute("BEGIN")
        other.execute("SELECT 1")
        assert scalar(c, "SHOW search_path") == "pg_catalog, public"
        assert scalar(c, "SHOW application_name") == "ps_multi"
        other.execute("COMMIT")
        c.execute(ASYNCPG_RESET)
        assert scalar(c, "SHOW search_path") == '"$user", public'
        assert pinned_clients(p) == []


def test_session_change_before_commit_in_one_string_pins(pgsteer, cluster):
    """A SET followed by COMMIT in the same string could outlive a later
    failure of that string: pgsteer pins instead of guessing."""
    p = pgsteer(nodes=[cluster.port])
    with p.connect() as c:
        c.execute("BEGIN")
        c.execute("SET search_path = public; COMMIT; SELECT 1")
        assert len(pinned_clients(p)) == 1


def test_set_local_in_one_string_with_commit_does_not_pin(pgsteer, cluster):
    """A SET LOCAL leaves nothing to carry: with a COMMIT in the same
    string it does not pin (a session SET there still does)."""
    p = pgsteer(nodes=[cluster.port])
    with p.connect() as c:
        c.execute("BEGIN; SET LOCAL statement_timeout = '5s'; SELECT 1; COMMIT")
        assert pinned_clients(p) == []
        c.execute("BEGIN; SET statement_timeout = '5s'; COMMIT")
        pinned = pinned_clients(p)
        assert len(pinned) == 1 and "commit" in pinned[0]["pinned"].lower(), pinned


@pytest.fixture
def write_role(cluster):
    with cluster.connect() as d:
        d.execute("DROP TABLE IF EXISTS ps_role_rows")
        d.execute("CREATE TABLE ps_role_rows (n int)")
        d.execute("DROP ROLE IF EXISTS ps_role")
        d.execute("CREATE ROLE ps_role")
    yield "ps_role"
    with cluster.connect() as d:
        d.execute("DROP TABLE IF EXISTS ps_role_rows")
        d.execute("DROP ROLE IF EXISTS ps_role")


def test_set_role_right_after_a_write_keeps_its_connection(pgsteer, cluster, write_role):
    """SET ROLE pins the session to the connection it ran on. Right after
    a write that connection may not be the write's, which is still fetching
    the write's position: when that answer came, the write's connection was
    taken as the session's, and the statements after SET ROLE ran as the
    superuser."""
    p = pgsteer(default_pool_size=4, workers=1, extra={"routing": {"check_interval": "50ms"}})
    helpers.wait_reads_on_both_replicas(p, cluster)
    wrong = []
    for i in range(12):
        with p.connect() as c:
            c.execute("INSERT INTO ps_role_rows VALUES (%s)" % i)
            c.execute("SET ROLE ps_role")
            for _ in range(3):
                user = scalar(c, "SELECT current_user")
                if user != write_role:
                    wrong.append((i, user))
    for i in range(3):
        with p.connect() as c:
            # one string: the write, the pin and a wait, then the next statement
            c.execute("INSERT INTO ps_role_rows VALUES (%s); SET SESSION AUTHORIZATION ps_role; "
                      "SELECT pg_sleep(0.1)" % i)
            user = scalar(c, "SELECT current_user")
            if user != write_role:
                wrong.append(("one string", i, user))
    assert wrong == [], "statements after SET ROLE ran as another user: %r" % wrong


def test_statement_after_a_write_runs_on_the_write_backend(pgsteer, cluster):
    """Right after a write, its connection fetches the write's position;
    the session's next statement on the primary waits for it and runs on
    the same backend, so currval() after nextval() works as it does with
    no replicas (another connection said 55000, or gave another session's
    value)."""
    with cluster.connect() as d:
        d.execute("DROP SEQUENCE IF EXISTS ps_seq")
        d.execute("CREATE SEQUENCE ps_seq")
    p = pgsteer(default_pool_size=4, workers=1, extra={"routing": {"check_interval": "50ms"}})
    helpers.wait_reads_on_both_replicas(p, cluster)
    try:
        with p.connect() as c:
            for _ in range(20):
                n, pid = c.execute("SELECT nextval('ps_seq'), pg_backend_pid()").fetchone()
                # freeze that backend, most often before it answers the position query
                os.kill(pid, signal.SIGSTOP)
                thaw = threading.Timer(0.3, os.kill, (pid, signal.SIGCONT))
                thaw.start()
                try:
                    got = c.execute("SELECT currval('ps_seq'), pg_backend_pid()").fetchone()
                finally:
                    thaw.cancel()
                    os.kill(pid, signal.SIGCONT)
                assert got == (n, pid)
    finally:
        with cluster.connect() as d:
            d.execute("DROP SEQUENCE IF EXISTS ps_seq")


def test_do_block_setting_stays_with_its_session(pgsteer, cluster):
    """A session SET inside a DO block stays in the backend that ran it:
    the session keeps that backend (pinned), nobody else gets it until it
    is reset, and the setting is gone for the next client after that."""
    p = pgsteer(nodes=[cluster.port], default_pool_size=2, workers=1)
    with p.connect() as a, p.connect() as b:
        a.execute("DO $$BEGIN SET enable_bitmapscan = off; END$$")
        assert scalar(a, "SHOW enable_bitmapscan") == "off"
        for _ in range(6):
            assert scalar(b, "SHOW enable_bitmapscan") == "on"
            assert scalar(a, "SHOW enable_bitmapscan") == "off"
        assert "DO block" in pinned_clients(p)[0]["pinned"]
    with p.connect() as c:
        for _ in range(4):
            with c.transaction():
                assert scalar(c, "SHOW enable_bitmapscan") == "on"


def test_copy_data_after_a_failed_copy_is_ignored(pgsteer, cluster):
    """COPY ... FROM STDIN that fails before taking data: the client may
    still send CopyData and CopyDone, which PostgreSQL ignores outside a
    COPY. The next statement is answered (it waited behind them forever)."""
    with cluster.connect() as d:
        d.execute("CREATE TABLE IF NOT EXISTS ps_copy_fail (a text)")
    p = pgsteer()
    for port in (cluster.port, p.port):
        sock, _ = pgwire.login(port, helpers.SUPERUSER)
        try:
            rows, err = pgwire.simple_query(sock, "COPY ps_copy_fail FROM STDIN CSV FREEZE")
            assert err is not None and err["C"] == "55000", err
            sock.sendall(pgwire.message(b"d", b"x\n") + pgwire.message(b"d", b"y\n") + pgwire.message(b"c"))
            rows, err = pgwire.simple_query(sock, "SELECT 'after'")
            assert err is None and rows == [["after"]], (port, rows, err)
            sock.sendall(pgwire.message(b"f", b"gave up\0"))
            rows, err = pgwire.simple_query(sock, "SELECT 'again'")
            assert err is None and rows == [["again"]], (port, rows, err)
        finally:
            sock.close()


# ---------------------------------------------------------------- notifications


def _listen_while_writing(p, cluster, count=1000, timeout=30):
    """A listener through P LISTENs and INSERTs in a loop while a direct
    connection sends COUNT notifications; returns the payloads received."""
    got = []
    listener = p.connect()
    listener.add_notify_handler(lambda n: got.append(n.payload))
    listener.execute("CREATE TABLE IF NOT EXISTS ps_notify_load (id int)")
    listener.execute("LISTEN ps_channel")
    done = threading.Event()

    def send():
        with cluster.connect() as d:
            for i in range(count):
                d.execute("SELECT pg_notify('ps_channel', %s)", [str(i)])
        done.set()
    t = threading.Thread(target=send, daemon=True)
    t.start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (done.is_set() and len(set(got)) >= count):
        listener.execute("INSERT INTO ps_notify_load VALUES (1)")
    t.join(5)
    return listener, got


def _read_idle(listener, got):
    """Take the notifications that arrived on LISTENER's socket, sending
    nothing (as an idle application waiting on its socket does)."""
    import select
    select.select([listener.fileno()], [], [], 0.05)
    listener.pgconn.consume_input()
    while True:
        n = listener.pgconn.notifies()
        if n is None:
            return got
        got.append(n.extra.decode())


@pytest.mark.parametrize("pool_mode", ["transaction", "session"])
def test_notifications_under_writes_all_arrive(pgsteer, cluster, pool_mode):
    """1000 notifications sent while the listener keeps writing (each write
    followed by pgsteer's hidden WAL-position probe): every one arrives,
    and one sent while the listener is idle arrives without a statement."""
    p = pgsteer(pool_mode=pool_mode)
    listener, got = _listen_while_writing(p, cluster)
    try:
        missing = sorted(set(str(i) for i in range(1000)) - set(got), key=int)
        assert not missing, "%d of 1000 notifications lost (first: %s)" % (len(missing), missing[:10])
        assert len(got) == 1000, "duplicates: %d received" % len(got)
        with cluster.connect() as d:
            d.execute("SELECT pg_notify('ps_channel', 'idle')")
        wait_for(lambda: "idle" in _read_idle(listener, got), 5,
                 "the notification to the idle listener")
    finally:
        listener.close()


def test_notification_behind_probe_reply_reaches_idle_listener(pgsteer, cluster):
    """Notifications sent right as the listener's write commits (they come in
    the same reads as the probe's answer) reach it while it is idle."""
    p = pgsteer()
    got = []
    with p.connect() as listener, cluster.connect() as d:
        listener.add_notify_handler(lambda n: got.append(n.payload))
        listener.execute("CREATE TABLE IF NOT EXISTS ps_notify_burst (id int)")
        listener.execute("LISTEN ps_burst")
        sent = 0
        for round_ in range(20):
            # a burst in flight while the listener's INSERT and probe run
            t = threading.Thread(target=lambda r=round_: [d.execute(
                "SELECT pg_notify('ps_burst', %s)", ["%d-%d" % (r, i)]) for i in range(20)])
            t.start()
            listener.execute("INSERT INTO ps_notify_burst VALUES (1)")
            t.join()
            sent += 20
        expected = {"%d-%d" % (r, i) for r in range(20) for i in range(20)}
        wait_for(lambda: expected <= set(_read_idle(listener, got)), 10,
                 "all %d notifications, the listener idle" % sent)


# ---------------------------------------------------------------- DEALLOCATE


def _conn_no_auto_prepare(p):
    c = p.connect()
    c.prepare_threshold = None
    return c


@pytest.mark.parametrize("pool_mode", ["transaction", "session"])
def test_deallocate_over_extended_protocol(pgsteer, cluster, pool_mode):
    """DEALLOCATE of a protocol-level name sent with Parse/Bind/Execute
    (unnamed, and itself prepared) is answered by pgsteer: the name is gone
    as in PostgreSQL (26000 afterwards), others stay."""
    p = pgsteer(pool_mode=pool_mode, nodes=[cluster.port])
    with _conn_no_auto_prepare(p) as c:
        pg = c.pgconn
        for name in (b"s1", b"s2", b"s3"):
            assert pg.prepare(name, b"SELECT $1::int + 1").status == pq.ExecStatus.COMMAND_OK
        # unnamed statement, binary results (psycopg binary=True)
        c.execute("DEALLOCATE s1", binary=True)
        # the DEALLOCATE itself prepared (psycopg prepare=True)
        c.execute("DEALLOCATE s2", prepare=True)
        for name in (b"s1", b"s2"):
            r = pg.exec_prepared(name, [b"1"])
            assert r.status == pq.ExecStatus.FATAL_ERROR
            assert r.error_field(pq.DiagnosticField.SQLSTATE) == b"26000"
        r = pg.exec_prepared(b"s3", [b"1"])
        assert r.status == pq.ExecStatus.TUPLES_OK and r.get_value(0, 0) == b"2"
        # the same name can be prepared again
        assert pg.prepare(b"s1", b"SELECT 10").status == pq.ExecStatus.COMMAND_OK
        assert pg.exec_prepared(b"s1", []).get_value(0, 0) == b"10"


def test_deallocate_skipped_after_error_in_pipeline(pgsteer, cluster):
    """After an error in a pipeline everything up to Sync is skipped,
    including a DEALLOCATE pgsteer answers: the name stays."""
    p = pgsteer(nodes=[cluster.port])
    with _conn_no_auto_prepare(p) as c:
        pg = c.pgconn
        assert pg.prepare(b"keep", b"SELECT 7").status == pq.ExecStatus.COMMAND_OK
        with pytest.raises(psycopg.errors.DivisionByZero):
            with c.pipeline():
                c.execute("SELECT 1/0", prepare=False)
                c.execute("DEALLOCATE keep", prepare=False)
        assert pg.exec_prepared(b"keep", []).get_value(0, 0) == b"7"


@pytest.mark.parametrize("pool_mode", ["transaction", "session"])
def test_psycopg_prepared_max_eviction(pgsteer, cluster, pool_mode):
    """psycopg past prepared_max deallocates its oldest statements with
    DEALLOCATE over the extended protocol: every statement keeps working."""
    p = pgsteer(pool_mode=pool_mode)
    with p.connect() as c:
        c.prepare_threshold = 0
        c.prepared_max = 2
        for round_ in range(3):
            for i in range(8):
                assert c.execute("SELECT %s::int + " + str(i), [round_]).fetchone()[0] == round_ + i
            for i in range(8):
                assert c.execute("SELECT %s::int * " + str(i), [round_], binary=True).fetchone()[0] == round_ * i


def test_deallocate_all_and_discard_all_extended(pgsteer, cluster):
    """DEALLOCATE ALL and DISCARD ALL over the extended protocol drop every
    name of the client (26000 afterwards), and preparing again works."""
    p = pgsteer(nodes=[cluster.port])
    with _conn_no_auto_prepare(p) as c:
        pg = c.pgconn
        for stmt in ("DEALLOCATE ALL", "DISCARD ALL"):
            assert pg.prepare(b"x", b"SELECT 1").status == pq.ExecStatus.COMMAND_OK
            c.execute(stmt, binary=True)
            r = pg.exec_prepared(b"x", [])
            assert r.error_field(pq.DiagnosticField.SQLSTATE) == b"26000", stmt
            assert pg.prepare(b"x", b"SELECT 2").status == pq.ExecStatus.COMMAND_OK
            assert pg.exec_prepared(b"x", []).get_value(0, 0) == b"2"
            pg.exec_(b"DEALLOCATE x")


# ---------------------------------------------------------------- the unnamed statement


@pytest.mark.parametrize("pool_mode", ["transaction", "session"])
def test_unnamed_statement_survives_to_a_later_sync(pgsteer, cluster, pool_mode):
    """PQprepare(conn, "") then PQexecPrepared(conn, "") in a later Sync: the
    statement is there wherever the Bind lands (replicas too), until the
    next unnamed Parse; Describe of it works."""
    p = pgsteer(pool_mode=pool_mode, default_pool_size=2)
    if pool_mode == "transaction":
        helpers.wait_reads_on_both_replicas(p, cluster)
    else:   # a session keeps its replica: a new one until reads leave the primary
        def on_replica():
            with p.connect() as c:
                return scalar(c, "SELECT inet_server_port()") in cluster.replica_ports
        wait_for(on_replica, 15, "reads routed to a replica")
    with p.connect() as a, p.connect() as other:
        pa = a.pgconn
        assert pa.prepare(b"", b"SELECT 'A:' || $1::text").status == pq.ExecStatus.COMMAND_OK
        for i in range(20):
            # keep the other connections busy in between, so servers change hands
            other.execute("SELECT %s::int", [i], prepare=False)
            r = pa.exec_prepared(b"", [str(i).encode()])
            assert r.status == pq.ExecStatus.TUPLES_OK, r.error_message
            assert r.get_value(0, 0) == ("A:%d" % i).encode()
        d = pa.describe_prepared(b"")
        assert d.status == pq.ExecStatus.COMMAND_OK and d.nparams == 1
        assert pa.prepare(b"", b"SELECT 'B:' || $1::text").status == pq.ExecStatus.COMMAND_OK
        assert pa.exec_prepared(b"", [b"x"]).get_value(0, 0) == b"B:x"


def test_unnamed_statement_never_leaks_between_clients(pgsteer, cluster):
    """Client A prepares the unnamed statement; client B, which never
    parsed one, binds "": B gets 26000, never A's row."""
    p = pgsteer(default_pool_size=1, nodes=[cluster.port])
    with p.connect() as a, p.connect() as b:
        assert a.pgconn.prepare(b"", b"SELECT 'secret of A'").status == pq.ExecStatus.COMMAND_OK
        assert a.pgconn.exec_prepared(b"", []).get_value(0, 0) == b"secret of A"
        r = b.pgconn.exec_prepared(b"", [])
        assert r.status == pq.ExecStatus.FATAL_ERROR, "B ran: %r" % (r.get_value(0, 0),)
        assert r.error_field(pq.DiagnosticField.SQLSTATE) == b"26000"
        # A's statement is still A's
        assert a.pgconn.exec_prepared(b"", []).get_value(0, 0) == b"secret of A"


def test_query_drops_the_unnamed_statement(pgsteer, cluster):
    """A simple Query drops the unnamed statement, as PostgreSQL does."""
    p = pgsteer(nodes=[cluster.port])
    with p.connect() as a:
        pg = a.pgconn
        assert pg.prepare(b"", b"SELECT 1").status == pq.ExecStatus.COMMAND_OK
        pg.exec_(b"SELECT 2")
        r = pg.exec_prepared(b"", [])
        assert r.error_field(pq.DiagnosticField.SQLSTATE) == b"26000"


# ---------------------------------------------------------------- stale plans


def test_stale_shared_statement_is_prepared_afresh(pgsteer, cluster):
    """Client 1 prepares SELECT $1::e; the type is dropped and made again.
    The first use after that may fail (the server says the plan is stale),
    and from then on every client, the first one included, gets a freshly
    prepared statement (one server connection: all share it; one worker,
    as with several the connection may close and open again as it passes
    from one worker's clients to another's)."""
    p = pgsteer(default_pool_size=1, nodes=[cluster.port], workers=1)
    with cluster.connect() as d:
        d.execute("DROP TYPE IF EXISTS ps_e CASCADE")
        d.execute("CREATE TYPE ps_e AS ENUM ('a', 'b')")
    clients = []
    try:
        for _ in range(3):
            c = p.connect()
            c.prepare_threshold = 0
            clients.append(c)
        assert clients[0].execute("SELECT %s::ps_e::text", ["a"]).fetchone()[0] == "a"
        with cluster.connect() as d:
            d.execute("DROP TYPE ps_e")
            d.execute("CREATE TYPE ps_e AS ENUM ('a', 'b', 'c')")
        errors = 0
        for c in clients[1:] + clients[:1]:
            for _ in range(2):
                try:
                    assert c.execute("SELECT %s::ps_e::text", ["c"]).fetchone()[0] == "c"
                except psycopg.errors.InternalError_:
                    errors += 1
        assert errors <= 1, "%d stale-plan errors: the statement was not prepared afresh" % errors
        assert "stale plan" in p.log()
    finally:
        for c in clients:
            c.close()
        with cluster.connect() as d:
            d.execute("DROP TYPE IF EXISTS ps_e CASCADE")


def test_prepared_statements_are_shared_only_under_one_search_path(pgsteer, cluster):
    """Schema per tenant: one text names another table under each
    search_path. Sharing one server statement between the two made every
    execution after the first fail (0A000), since PostgreSQL parses a
    prepared statement again when the path changes."""
    with cluster.connect() as d:
        d.execute("DROP SCHEMA IF EXISTS ps_ta CASCADE")
        d.execute("DROP SCHEMA IF EXISTS ps_tb CASCADE")
        d.execute("CREATE SCHEMA ps_ta; CREATE TABLE ps_ta.items (id int); INSERT INTO ps_ta.items VALUES (1)")
        d.execute("CREATE SCHEMA ps_tb; CREATE TABLE ps_tb.items (id int, name text); "
                  "INSERT INTO ps_tb.items VALUES (2, 'two')")
    p = pgsteer(default_pool_size=1, nodes=[cluster.port], workers=1)
    try:
        with p.connect() as x, p.connect() as y:
            x.execute("SET search_path = ps_ta")
            y.execute("SET search_path = ps_tb")
            for _ in range(4):
                assert x.execute("SELECT * FROM items", prepare=True).fetchall() == [(1,)]
                assert y.execute("SELECT * FROM items", prepare=True).fetchall() == [(2, "two")]
    finally:
        with cluster.connect() as d:
            d.execute("DROP SCHEMA IF EXISTS ps_ta CASCADE")
            d.execute("DROP SCHEMA IF EXISTS ps_tb CASCADE")


def test_ddl_through_pgsteer_gives_later_parses_fresh_statements(pgsteer, cluster):
    """A statement parsed before DDL (a type created in a transaction that
    rolled back, a table that gained a column) is not given to a Parse that
    comes after the DDL: directly, that Parse would not fail either."""
    with cluster.connect() as d:
        d.execute("DROP TYPE IF EXISTS ps_mood CASCADE")
        d.execute("DROP TABLE IF EXISTS ps_wide")
        d.execute("CREATE TABLE ps_wide (a int); INSERT INTO ps_wide VALUES (1)")
    p = pgsteer(default_pool_size=1, nodes=[cluster.port], workers=1)
    try:
        with p.connect() as a:
            with a.transaction():
                a.execute("CREATE TYPE ps_mood AS ENUM ('ok')")
                assert a.execute("SELECT %s::ps_mood::text", ["ok"], prepare=True).fetchone() == ("ok",)
                raise psycopg.Rollback()  # the type is gone; the statement stays on the server
            assert a.execute("SELECT * FROM ps_wide", prepare=True).fetchall() == [(1,)]
            with p.connect() as b:
                b.execute("CREATE TYPE ps_mood AS ENUM ('ok')")
                assert b.execute("SELECT %s::ps_mood::text", ["ok"], prepare=True).fetchone() == ("ok",)
                b.execute("ALTER TABLE ps_wide ADD COLUMN b int DEFAULT 2")
            with p.connect() as c:
                assert c.execute("SELECT * FROM ps_wide", prepare=True).fetchall() == [(1, 2)]
    finally:
        with cluster.connect() as d:
            d.execute("DROP TYPE IF EXISTS ps_mood CASCADE")
            d.execute("DROP TABLE IF EXISTS ps_wide")


def test_ddl_run_as_a_prepared_statement_gives_fresh_statements(pgsteer, cluster):
    """psycopg with prepare_threshold = 0 prepares its DDL too: the DDL is
    then a Bind of a named statement, and must retire the shared ones as
    well. psycopg's own test_change_type and test_change_type_savepoint, in
    that order: a client leaves a statement casting to a type its rolled
    back transaction made; another makes the type again (and rolls back to
    a savepoint, three times) and runs the same INSERT."""
    p = pgsteer(default_pool_size=1, nodes=[cluster.port], workers=1)
    with cluster.connect() as d:
        d.execute("DROP TABLE IF EXISTS ps_preptable")
        d.execute("DROP TYPE IF EXISTS ps_prepenum")
    insert = "INSERT INTO ps_preptable (bar) VALUES (%(e)s::ps_prepenum[])"
    # a client leaves in a transaction: its statement casts to a type that is rolled back
    first = p.connect(autocommit=False)
    first.prepare_threshold = 0
    first.execute("CREATE TYPE ps_prepenum AS ENUM ('foo', 'bar', 'baz')")
    first.execute("CREATE TABLE ps_preptable (id integer, bar ps_prepenum[])")
    first.execute(insert, {"e": ["foo"]})
    first.close()
    with p.connect(autocommit=False) as conn:
        conn.prepare_threshold = 0
        with conn.transaction():
            for _ in range(3):
                with pytest.raises(ZeroDivisionError):
                    with conn.transaction():
                        conn.execute("CREATE TYPE ps_prepenum AS ENUM ('foo', 'bar', 'baz')")
                        conn.execute("CREATE TABLE ps_preptable (id integer, bar ps_prepenum[])")
                        conn.execute(insert, {"e": ["foo"]})
                        raise ZeroDivisionError()


@pytest.mark.parametrize("pool_mode", ["transaction", "session"])
def test_result_type_change_each_client_prepares_again(pgsteer, cluster, pool_mode):
    """A table gains a column under statements four clients prepared (one
    server connection in transaction mode: all share one statement). As on
    PostgreSQL, each of them gets 0A000 'cached plan must not change result
    type' at most once, its driver prepares again and gets the new columns,
    never a Bind that no longer fits (08P01) nor the error forever; a client
    that prepares after the first error gets none."""
    p = pgsteer(pool_mode=pool_mode, default_pool_size=1 if pool_mode == "transaction" else 6,
                nodes=[cluster.port])
    with cluster.connect() as d:
        d.execute("DROP TABLE IF EXISTS ps_shape")
        d.execute("CREATE TABLE ps_shape (a int)")
        d.execute("INSERT INTO ps_shape VALUES (1)")
    sql = "SELECT * FROM ps_shape WHERE a = %s"
    clients = []
    try:
        for _ in range(4):
            c = p.connect()
            c.prepare_threshold = 0
            assert c.execute(sql, [1], binary=True).fetchone() == (1,)
            clients.append(c)
        with cluster.connect() as d:
            d.execute("ALTER TABLE ps_shape ADD COLUMN b int DEFAULT 7")
        for c in clients:
            errors = 0
            for _ in range(3):
                try:
                    with c.transaction():
                        row = c.execute(sql, [1], binary=True).fetchone()
                except psycopg.errors.FeatureNotSupported:
                    errors += 1
                    continue
                assert row == (1, 7)
            assert errors <= 1, "0A000 %d times: the client could not prepare again" % errors
        with p.connect() as late:
            late.prepare_threshold = 0
            assert late.execute(sql, [1], binary=True).fetchone() == (1, 7)
    finally:
        for c in clients:
            c.close()
        with cluster.connect() as d:
            d.execute("DROP TABLE IF EXISTS ps_shape")


class JdbcLike:
    """A raw protocol client that prepares as pgJDBC and pgx do: a named
    statement, described once, then Binds that give one result format per
    column it was told of; on 0A000 it closes the name and prepares again."""

    def __init__(self, port, sql):
        self.sock, _ = pgwire.login(port, "postgres")
        self.sql = sql.encode()
        self.columns = None

    def _until_ready(self):
        msgs = []
        while True:
            m = pgwire.read_message(self.sock)
            assert m is not None, "connection closed"
            msgs.append(m)
            if m[0] == b"Z":
                return msgs

    def prepare(self):
        m = pgwire.message
        self.sock.sendall(m(b"P", b"s1\0" + self.sql + b"\0" + struct.pack("!H", 0)) +
                          m(b"D", b"Ss1\0") + m(b"S"))
        for t, p in self._until_ready():
            assert t != b"E", pgwire.parse_fields(p)
            if t == b"T":
                self.columns = struct.unpack("!H", p[:2])[0]

    def close(self):
        m = pgwire.message
        self.sock.sendall(m(b"C", b"Ss1\0") + m(b"S"))
        self._until_ready()

    def run(self, value):
        """('row', n columns) or ('error', sqlstate)."""
        m = pgwire.message
        v = str(value).encode()
        bind = (b"\0s1\0" + struct.pack("!H", 0) + struct.pack("!H", 1) +
                struct.pack("!i", len(v)) + v + struct.pack("!H", self.columns) +
                struct.pack("!%dH" % self.columns, *([0] * self.columns)))
        self.sock.sendall(m(b"B", bind) + m(b"E", b"\0" + struct.pack("!i", 0)) + m(b"S"))
        out = None
        for t, p in self._until_ready():
            if t == b"E":
                out = ("error", pgwire.parse_fields(p).get("C"))
            elif t == b"D" and out is None:
                out = ("row", struct.unpack("!H", p[:2])[0])
        return out


@pytest.mark.parametrize("pool_mode", ["transaction", "session"])
def test_result_type_change_with_per_column_formats(pgsteer, cluster, pool_mode):
    """Clients that bind with one result format per described column (pgJDBC,
    pgx): after ALTER TABLE ... ADD COLUMN each gets 0A000 once, as from
    PostgreSQL, and after closing and preparing again gets the new columns:
    never 08P01 (a silently re-prepared statement with more columns than
    its Bind names), never 0A000 again from a shared stale statement."""
    p = pgsteer(pool_mode=pool_mode, default_pool_size=2 if pool_mode == "transaction" else 6,
                nodes=[cluster.port])
    with cluster.connect() as d:
        d.execute("DROP TABLE IF EXISTS ps_cols")
        d.execute("CREATE TABLE ps_cols (a int)")
        d.execute("INSERT INTO ps_cols VALUES (1)")
    clients = [JdbcLike(p.port, "SELECT * FROM ps_cols WHERE a = $1") for _ in range(4)]
    try:
        for c in clients:
            c.prepare()
            assert c.run(1) == ("row", 1)
        with cluster.connect() as d:
            d.execute("ALTER TABLE ps_cols ADD COLUMN b int DEFAULT 7")
        for i, c in enumerate(clients):
            got = c.run(1)
            assert got in (("error", "0A000"), ("row", 2)), "client %d: %r" % (i, got)
            if got[0] == "error":
                c.close()
                c.prepare()
            assert c.run(1) == ("row", 2), "client %d after preparing again" % i
            assert c.run(1) == ("row", 2)
    finally:
        for c in clients:
            c.sock.close()
        with cluster.connect() as d:
            d.execute("DROP TABLE IF EXISTS ps_cols")


def test_search_path_with_pg_temp_keeps_reads_on_the_primary(pgsteer, cluster):
    """After SET search_path TO pg_temp, current_schema() must create the
    temporary schema, which a standby refuses (25006): the session is pinned
    to its primary connection, as with a temporary table."""
    p = pgsteer()
    helpers.wait_reads_on_both_replicas(p, cluster)
    with p.connect() as c:
        c.execute("SET search_path TO pg_temp")
        for _ in range(10):
            assert scalar(c, "SELECT current_schema()").startswith("pg_temp")
            assert scalar(c, "SELECT inet_server_port()") == cluster.port
        assert any("pg_temp" in r["pinned"] for r in pinned_clients(p))


# ------------------------------------------- a backend that goes away by itself

def _messages_until_ready_or_close(sock):
    """(type, payload) of every message up to ReadyForQuery or the close."""
    got = []
    while True:
        m = pgwire.read_message(sock)
        if m is None:
            return got, True
        got.append(m)
        if m[0] == b"Z":
            return got, False


@pytest.mark.parametrize("pool_mode", ["transaction", "session"])
def test_terminated_backend_gives_one_error(pgsteer, cluster, pool_mode):
    """A statement whose backend is terminated under it: the client gets
    PostgreSQL's one ErrorResponse (57P01), not pgsteer's own 08006 after it
    (a driver hands a second error to its next statement). Under session
    pooling it stays FATAL and the connection ends, as directly; under
    transaction pooling it is an ERROR and the connection goes on."""
    p = pgsteer(nodes=[cluster.port], pool_mode=pool_mode, default_pool_size=2)
    sock, _ = pgwire.login(p.port, helpers.SUPERUSER)
    try:
        sock.sendall(pgwire.message(b"Q", b"SELECT pg_terminate_backend(pg_backend_pid())\0"))
        got, closed = _messages_until_ready_or_close(sock)
        errors = [pgwire.parse_fields(m[1]) for m in got if m[0] == b"E"]
        assert len(errors) == 1, errors
        assert errors[0]["C"] == "57P01", errors
        if pool_mode == "session":
            assert errors[0]["S"] == "FATAL" and closed, (errors, closed)
        else:
            assert errors[0]["S"] == "ERROR" and errors[0].get("V") == "ERROR" and not closed
            rows, err = pgwire.simple_query(sock, "SELECT 1")
            assert err is None and rows == [["1"]]
    finally:
        sock.close()


@pytest.mark.parametrize("how", ["session", "pinned"])
def test_idle_session_loses_its_terminated_backend(pgsteer, cluster, how):
    """An idle client whose session lives on its backend (session pooling,
    or a session pinned by a temporary table) hears when that backend is
    terminated, with PostgreSQL's error, and its connection ends, as
    directly: its next statement must not run on a fresh backend without
    its temporary table, settings or LISTENs."""
    p = pgsteer(nodes=[cluster.port], default_pool_size=2,
                pool_mode="session" if how == "session" else "transaction")
    c = p.connect()
    try:
        if how == "pinned":
            c.execute("CREATE TEMP TABLE it_lost (a int)")
        pid = scalar(c, "SELECT pg_backend_pid()")
        with cluster.connect() as d:
            assert scalar(d, "SELECT pg_terminate_backend(%s)", (pid,)) is True
        wait_for(lambda: "its session's server" in p.log(), 10, "pgsteer noticing the terminated backend")
        with pytest.raises(psycopg.OperationalError) as e:
            c.execute("SELECT 1")
        assert "administrator command" in str(e.value) or "closed" in str(e.value), e.value
    finally:
        c.close()


def test_statement_after_a_cancel_is_not_cancelled(pgsteer, cluster):
    """PostgreSQL signals a cancelled backend twice; a client of PostgreSQL
    waits for the cancel connection to close before it goes on. pgsteer
    answers the client's CancelRequest at once, so a client that keeps its
    backend (session pooling) must not have its next statement sent before
    PostgreSQL has taken the cancel. Made certain here by stopping the
    primary's postmaster, which takes cancel connections, while the cancel
    is in flight: the next statement waits for it, and is not cancelled."""
    p = pgsteer(nodes=[cluster.port], pool_mode="session", default_pool_size=2)
    with open(os.path.join(cluster.dir, "primary", "postmaster.pid")) as f:
        postmaster = int(f.readline())
    c = p.connect(autocommit=True)
    try:
        scalar(c, "SELECT 1")
        first = {}

        def sleep_a_little():
            try:
                first["v"] = scalar(c, "SELECT pg_sleep(0.6)::text")
            except Exception as e:
                first["e"] = e
        t = threading.Thread(target=sleep_a_little)
        t.start()
        time.sleep(0.2)
        os.kill(postmaster, signal.SIGSTOP)
        try:
            c.cancel()          # reaches pgsteer; its cancel waits in the stopped postmaster's backlog
            t.join(10)
            assert "v" in first, first     # not cancelled: the cancel did not land yet
            timer = threading.Timer(0.5, os.kill, (postmaster, signal.SIGCONT))
            timer.start()
            t0 = time.monotonic()
            assert scalar(c, "SELECT pg_sleep(1)::text") == ""
            assert time.monotonic() - t0 >= 1.4, "the statement did not wait for the cancel"
        finally:
            os.kill(postmaster, signal.SIGCONT)
    finally:
        c.close()
