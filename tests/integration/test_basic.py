"""Protocol coverage through pgsteer with real clients: simple and
multi-statement queries, extended protocol and pipelining, errors inside
transactions, COPY both ways, NOTICE and LISTEN/NOTIFY passthrough, cancel,
and psql (\\d, \\copy, errors in a transaction, Ctrl-C cancel).
Each test checks which real server answered (inet_server_port())."""
import os
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid

import psycopg
import pytest
from psycopg import errors

import helpers
import pgwire
from helpers import SUPERUSER, primary_only, scalar, wait_for


@pytest.fixture
def pgsteer(pgsteer, cluster):
    """This module tests the proxy core, not routing: the primary is the only node."""
    return primary_only(pgsteer, cluster)


PSQL = "/usr/bin/psql"


def table_name(prefix="t"):
    return "%s_%s" % (prefix, uuid.uuid4().hex[:10])


def test_simple_query_reaches_primary(cluster, proxy):
    with proxy.connect() as conn:
        # psycopg sends a query without parameters as a simple Query message
        cur = conn.cursor()
        cur.execute("SELECT inet_server_port(), pg_is_in_recovery()")
        assert cur.fetchone() == (cluster.port, False)


def test_multi_statement_simple_query(proxy):
    with proxy.connect() as conn:
        cur = conn.execute("SELECT 1; SELECT 2, 'two'; SELECT inet_server_port()")
        results = [cur.fetchall()]
        while cur.nextset():
            results.append(cur.fetchall())
        assert results[0] == [(1,)]
        assert results[1] == [(2, "two")]
        assert len(results) == 3


def test_extended_protocol_params(cluster, proxy):
    with proxy.connect() as conn:
        for i in range(20):  # more than psycopg's default prepare threshold
            row = conn.execute("SELECT %s::int + 1, %s::text, inet_server_port()",
                               (i, "x" * i), prepare=False).fetchone()
            assert row == (i + 1, "x" * i, cluster.port)
        # binary parameters and results
        cur = conn.cursor(binary=True)
        cur.execute("SELECT %b::bytea, %s::numeric", (b"\x00\x01\xff", 12.5), prepare=False)
        assert cur.fetchone() == (b"\x00\x01\xff", 12.5)


def test_pipeline_many_statements_before_sync(cluster, proxy, primary):
    t = table_name("pipe")
    primary.execute("CREATE TABLE %s (i int)" % t)
    try:
        with proxy.connect() as conn:
            with conn.pipeline() as p:
                curs = []
                for i in range(100):
                    conn.execute("INSERT INTO %s VALUES (%%s)" % t, (i,), prepare=False)
                    curs.append(conn.execute("SELECT %s::int * 2", (i,), prepare=False))
                p.sync()
                assert [c.fetchone()[0] for c in curs] == [i * 2 for i in range(100)]
            assert scalar(conn, "SELECT count(*) FROM %s" % t) == 100
            # an error mid-pipeline aborts the rest up to Sync; the connection survives
            with pytest.raises(errors.DivisionByZero):
                with conn.pipeline():
                    conn.execute("SELECT %s::int", (1,), prepare=False)
                    conn.execute("SELECT 1 / %s::int", (0,), prepare=False)
                    conn.execute("SELECT %s::int", (3,), prepare=False)
            assert scalar(conn, "SELECT inet_server_port()") == cluster.port
    finally:
        primary.execute("DROP TABLE %s" % t)


def test_error_in_transaction_then_rollback(cluster, proxy):
    with proxy.connect(autocommit=False) as conn:
        with pytest.raises(errors.DivisionByZero):
            conn.execute("SELECT 1 / 0")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        with pytest.raises(errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.rollback()
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        assert scalar(conn, "SELECT inet_server_port()") == cluster.port
        conn.commit()
    with proxy.connect() as conn:  # explicit BEGIN/ROLLBACK text, autocommit
        conn.execute("BEGIN")
        with pytest.raises(errors.UndefinedTable):
            conn.execute("SELECT * FROM no_such_table_here")
        conn.execute("ROLLBACK")
        assert scalar(conn, "SELECT 42") == 42


def test_copy_in_and_out(proxy, primary):
    t = table_name("copy")
    primary.execute("CREATE TABLE %s (id int, name text)" % t)
    try:
        with proxy.connect() as conn:
            cur = conn.cursor()
            with cur.copy("COPY %s (id, name) FROM STDIN" % t) as copy:
                for i in range(1000):
                    copy.write_row((i, "name %d" % i))
            assert scalar(conn, "SELECT count(*) FROM %s" % t) == 1000
            with cur.copy("COPY (SELECT id, name FROM %s ORDER BY id) TO STDOUT" % t) as copy:
                rows = list(copy.rows())
            assert len(rows) == 1000
            assert rows[7] == ("7", "name 7")
            # a failing COPY IN (bad data) leaves the connection usable
            with pytest.raises(errors.InvalidTextRepresentation):
                with cur.copy("COPY %s (id, name) FROM STDIN" % t) as copy:
                    copy.write(b"not-a-number\tx\n")
            assert scalar(conn, "SELECT count(*) FROM %s" % t) == 1000
    finally:
        primary.execute("DROP TABLE %s" % t)


def test_notice_passthrough(proxy):
    with proxy.connect() as conn:
        notices = []
        conn.add_notice_handler(lambda d: notices.append((d.severity_nonlocalized, d.message_primary)))
        conn.execute("DO $$ BEGIN RAISE NOTICE 'hello from %', 'plpgsql'; END $$")
        assert ("NOTICE", "hello from plpgsql") in notices


def test_listen_notify_session_mode(pgsteer):
    p = pgsteer(pool_mode="session")
    with p.connect() as listener, p.connect() as sender:
        got = []
        listener.add_notify_handler(lambda n: got.append((n.channel, n.payload)))
        listener.execute("LISTEN pgsteer_chan")
        sender.execute("NOTIFY pgsteer_chan, 'payload 1'")
        sender.execute("SELECT pg_notify('pgsteer_chan', 'payload 2')")
        # notifications arrive with the next round trip of the listener
        wait_for(lambda: listener.execute("SELECT 1") and len(got) >= 2, 10, "2 notifications")
        assert got == [("pgsteer_chan", "payload 1"), ("pgsteer_chan", "payload 2")]


def _wait_query_active(primary, marker):
    sql = ("SELECT pid FROM pg_stat_activity WHERE state = 'active' "
           "AND query LIKE %s AND pid <> pg_backend_pid()")
    return wait_for(lambda: primary.execute(sql, ("%" + marker + "%",)).fetchone(),
                    10, "query %r to be running" % marker)[0]


def test_cancel_long_query(proxy, primary):
    with proxy.connect() as conn, proxy.connect() as other:
        marker = "cancel_" + uuid.uuid4().hex[:8]
        outcome = {}

        def run():
            t0 = time.monotonic()
            try:
                conn.execute("SELECT pg_sleep(10) /* %s */" % marker)
                outcome["result"] = "finished"
            except Exception as e:
                outcome["result"] = e
            outcome["elapsed"] = time.monotonic() - t0

        th = threading.Thread(target=run)
        th.start()
        _wait_query_active(primary, marker)
        conn.cancel()
        th.join(15)
        assert not th.is_alive()
        assert isinstance(outcome["result"], errors.QueryCanceled), outcome
        assert outcome["result"].sqlstate == "57014"
        assert outcome["elapsed"] < 5
        assert scalar(conn, "SELECT 1") == 1  # the cancelled session still works
        assert scalar(other, "SELECT 2") == 2  # and the cancel hit nobody else


def _bind_execute(params, stmt=b""):
    """Bind (text parameters) and Execute of the unnamed portal, as bytes."""
    body = stmt + b"\0" + b"\0" + struct.pack("!HH", 0, len(params))
    for v in params:
        body += struct.pack("!I", len(v)) + v
    body += struct.pack("!H", 0)
    return pgwire.message(b"B", body) + pgwire.message(b"E", b"\0" + struct.pack("!I", 0))


def _read_until(sock, mtype, timeout):
    """Message types read until one of MTYPE arrives; (types, its fields)."""
    sock.settimeout(timeout)
    seen = []
    while True:
        try:
            m = pgwire.read_message(sock)
        except socket.timeout:
            raise AssertionError("no %r within %ss; got %r" % (mtype, timeout, seen))
        assert m is not None, "connection closed; got %r" % seen
        seen.append(m[0])
        if m[0] == mtype:
            return seen, pgwire.parse_fields(m[1]) if mtype == b"E" else m[1]


def test_a_write_batch_runs_before_its_sync(cluster, proxy, primary):
    """Extended-protocol messages run as they arrive, as without pgsteer: a
    batch whose first statement writes goes to the primary before its Sync,
    so a failed row's error (PostgreSQL sends it at once) reaches the client
    while it is still sending: asyncpg's executemany() stops there."""
    t = table_name("early")
    primary.execute("CREATE TABLE %s (id int PRIMARY KEY)" % t)
    sock, _ = pgwire.login(proxy.port, SUPERUSER)
    try:
        parse = pgwire.message(b"P", b"\0INSERT INTO " + t.encode() + b" VALUES ($1::int)\0" +
                               struct.pack("!H", 0))
        sock.sendall(parse + _bind_execute([b"1"]) + _bind_execute([b"1"]))  # no Sync
        seen, err = _read_until(sock, b"E", 10)
        assert err["C"] == "23505", err
        assert seen == [b"1", b"2", b"C", b"2", b"E"], seen
        sock.sendall(_bind_execute([b"2"]) + pgwire.message(b"S"))  # skipped after the error
        seen, status = _read_until(sock, b"Z", 10)
        assert seen == [b"Z"] and status == b"I", (seen, status)
        assert scalar(primary, "SELECT count(*) FROM %s" % t) == 0  # one implicit transaction
    finally:
        sock.close()
        primary.execute("DROP TABLE %s" % t)


def test_a_cancel_reaches_a_batch_before_its_sync(cluster, proxy, primary):
    """A statement sent without its Sync yet runs, and a CancelRequest
    stops it: an UPDATE waiting for a row lock, in a batch the client has
    not ended (a driver's timeout in the middle of executemany()). The
    whole batch is rolled back."""
    t = table_name("cbatch")
    marker = "cbatch_" + uuid.uuid4().hex[:8]
    primary.execute("CREATE TABLE %s (id int PRIMARY KEY, v int)" % t)
    primary.execute("INSERT INTO %s VALUES (1, 0), (2, 0)" % t)
    locker = cluster.connect(autocommit=False)
    sock, key = pgwire.login(proxy.port, SUPERUSER)
    try:
        locker.execute("UPDATE %s SET v = -1 WHERE id = 2" % t)
        parse = pgwire.message(b"P", ("\0UPDATE %s SET v = $1::int WHERE id = $2::int /* %s */\0"
                                      % (t, marker)).encode() + struct.pack("!H", 0))
        sock.sendall(parse + _bind_execute([b"5", b"1"]) + _bind_execute([b"5", b"2"]))
        wait_for(lambda: primary.execute(
            "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s "
            "AND pid <> pg_backend_pid()", ("%" + marker + "%",)).fetchone(),
            10, "the batch's UPDATE to wait for the row lock")
        pgwire.send_cancel(proxy.port, key)
        seen, err = _read_until(sock, b"E", 10)
        assert err["C"] == "57014", err
        sock.sendall(pgwire.message(b"S"))
        seen, status = _read_until(sock, b"Z", 10)
        assert status == b"I", (seen, status)
        locker.rollback()
        assert primary.execute("SELECT id, v FROM %s ORDER BY id" % t).fetchall() == [(1, 0), (2, 0)]
        rows, err = pgwire.simple_query(sock, "SELECT 1")  # the session goes on
        assert (rows, err) == ([["1"]], None)
    finally:
        sock.close()
        locker.close()
        primary.execute("DROP TABLE %s" % t)


def test_a_cancel_of_a_statement_queued_for_a_server(pgsteer, primary):
    """A statement queued for a server (the pool is full) has not reached
    PostgreSQL: a CancelRequest answers it with 57014 at once, it never
    runs, and the session goes on."""
    p = pgsteer(default_pool_size=1)
    t = table_name("cqueue")
    primary.execute("CREATE TABLE %s (id int)" % t)
    holder = p.connect(autocommit=False)
    sock, key = pgwire.login(p.port, SUPERUSER)
    try:
        holder.execute("INSERT INTO %s VALUES (1)" % t)  # holds the pool's only server
        sock.sendall(pgwire.message(b"Q", b"INSERT INTO " + t.encode() + b" VALUES (2)\0"))
        wait_for(lambda: sum(r["cl_waiting"] for r in helpers.admin_rows(p, "SHOW POOLS")) == 1,
                 10, "the INSERT to be queued for a server")
        pgwire.send_cancel(p.port, key)
        seen, err = _read_until(sock, b"E", 10)
        assert err["C"] == "57014", err
        assert "canceling statement due to user request" in err["M"], err
        seen, status = _read_until(sock, b"Z", 10)
        assert status == b"I"
        holder.commit()
        rows, err = pgwire.simple_query(sock, "SELECT id FROM %s ORDER BY id" % t)
        assert (rows, err) == ([["1"]], None)  # the cancelled INSERT never ran
    finally:
        sock.close()
        holder.close()
        primary.execute("DROP TABLE %s" % t)


def _psql(proxy, *args, input=None, timeout=60):
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    return subprocess.run([PSQL, "-X", proxy.dsn(), *args], input=input,
                          capture_output=True, text=True, timeout=timeout, env=env)


def test_psql_describe_and_copy(cluster, proxy, primary, tmp_path):
    t = table_name("psql")
    primary.execute("CREATE TABLE %s (id int PRIMARY KEY, v text)" % t)
    try:
        src = tmp_path / "in.tsv"
        src.write_text("".join("%d\tv%d\n" % (i, i) for i in range(50)))
        out = tmp_path / "out.tsv"
        r = _psql(proxy, "-v", "ON_ERROR_STOP=1",
                  "-c", r"\d",
                  "-c", r"\d %s" % t,
                  "-c", r"\copy %s from '%s'" % (t, src),
                  "-c", r"\copy (select * from %s order by id) to '%s'" % (t, out),
                  "-c", "SELECT inet_server_port()")
        assert r.returncode == 0, r.stderr
        assert t in r.stdout
        assert "COPY 50" in r.stdout
        assert str(cluster.port) in r.stdout
        assert out.read_text() == src.read_text()
    finally:
        primary.execute("DROP TABLE %s" % t)


def test_psql_script_with_error_in_transaction(proxy):
    script = "BEGIN;\nSELECT 1/0;\nSELECT 'after error';\nROLLBACK;\nSELECT 'still' || ' alive';\n"
    r = _psql(proxy, "-f", "-", input=script)
    assert r.returncode == 0, r.stderr
    assert "division by zero" in r.stderr
    assert "current transaction is aborted" in r.stderr
    assert "still alive" in r.stdout


def test_psql_ctrl_c_cancels(proxy, primary):
    marker = "psqlcancel_" + uuid.uuid4().hex[:8]
    p = subprocess.Popen([PSQL, "-X", proxy.dsn(), "-c", "SELECT pg_sleep(10) /* %s */" % marker],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_query_active(primary, marker)
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)  # what Ctrl-C does: psql sends a CancelRequest
        out, err = p.communicate(timeout=15)
        assert time.monotonic() - t0 < 5
        assert "canceling statement due to user request" in err
        assert p.returncode == 1
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_sizes_switching_between_small_and_large(cluster, proxy):
    """The relay reads small (one cached 1 KiB chunk) until a read fills
    its room, then large until a read comes back small; it writes with one
    send() when the bytes sit in one chunk, with writev() when they do not.
    Statements and results that alternate between a few bytes and a few
    megabytes, in both directions and both protocols, must arrive whole."""
    import hashlib
    with proxy.connect() as conn:
        for size in (1, 959, 960, 961, 5000, 16384, 16385, 3, 2_000_000, 10, 70_000, 2):
            text = "".join(chr(97 + (i * 7 + size) % 26) for i in range(min(size, 1000)))
            text = (text * (size // len(text) + 1))[:size]
            digest = hashlib.md5(text.encode()).hexdigest()
            # client to server: the text inside a simple Query
            row = conn.execute("SELECT md5('%s'), length('%s'), inet_server_port()"
                               % (text, text)).fetchone()
            assert row == (digest, size, cluster.port)
            # client to server inside Bind; server to client in a DataRow
            row = conn.execute("SELECT %s::text, md5(%s::text)", (text, text),
                               prepare=False).fetchone()
            assert row == (text, digest)
            # server to client: many rows of one reply
            rows = conn.execute("SELECT i, repeat(chr(97 + i %% 26), %s) FROM generate_series(1, 50) i",
                                (size // 50 + 1,)).fetchall()
            assert [r[0] for r in rows] == list(range(1, 51))
            assert all(r[1] == chr(97 + r[0] % 26) * (size // 50 + 1) for r in rows)
        # more than the sockets hold, so that sends come back short both ways
        big = "".join(chr(65 + i % 26) for i in range(1_000_000))
        row = conn.execute("SELECT md5(string_agg(%s::text, '' ORDER BY i)) FROM generate_series(1, 24) i",
                           (big,), prepare=False).fetchone()
        assert row == (hashlib.md5((big * 24).encode()).hexdigest(),)
        cur = conn.execute("SELECT i, %s::text || i FROM generate_series(1, 24) i", (big,), prepare=False)
        assert cur.fetchall() == [(i, big + str(i)) for i in range(1, 25)]
        t = "copy_sizes_%d" % os.getpid()
        conn.execute("CREATE TEMP TABLE %s (b text)" % t)
        with conn.cursor().copy("COPY %s FROM STDIN" % t) as copy:
            for i in range(24):
                copy.write_row((big + str(i),))
        assert conn.execute("SELECT md5(string_agg(b, '' ORDER BY b)) FROM %s" % t).fetchone() == \
            (hashlib.md5("".join(sorted(big + str(i) for i in range(24))).encode()).hexdigest(),)


def test_drop_database_right_after_session_clients_left(pgsteer, cluster):
    """Under session pooling a client that leaves has its server connection
    reset before it is idle; a DROP DATABASE sent meanwhile (asyncpg's
    teardown) must not fail with 55006 for it: a connection no client holds
    is closed when its reset is done, within PostgreSQL's wait. The reset
    is made slow here so that the DROP always meets it."""
    with cluster.connect() as d:
        d.execute('DROP DATABASE IF EXISTS "it_dropme_s" WITH (FORCE)')
        d.execute("CREATE DATABASE it_dropme_s")
    p = pgsteer(nodes=[cluster.port], pool_mode="session", default_pool_size=4,
                server_reset_query="SELECT pg_sleep(0.5)")
    try:
        conns = [p.connect(dbname="it_dropme_s") for _ in range(3)]
        for c in conns:
            assert scalar(c, "SELECT current_database()") == "it_dropme_s"
        with p.connect() as c:
            for x in conns:
                x.close()
            t0 = time.monotonic()
            c.execute("DROP DATABASE it_dropme_s")
            print("\nDROP DATABASE took %.2fs" % (time.monotonic() - t0))
    finally:
        with cluster.connect() as d:
            d.execute('DROP DATABASE IF EXISTS "it_dropme_s" WITH (FORCE)')


def test_drop_database_after_its_clients_left(pgsteer, cluster):
    """Test harnesses (Django's, asyncpg's) create a database, use it
    through the proxy, and drop it once their clients have gone. pgsteer's
    idle server connections to it must not be the sessions PostgreSQL
    refuses the DROP for (55006): they are closed first, on every worker.
    The same for CREATE DATABASE ... TEMPLATE of it and ALTER DATABASE ...
    RENAME."""
    with cluster.connect() as d:
        for db in ("it_dropme", "it_dropme2", "it_tmpl", "it_copy"):
            d.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % db)
        d.execute("CREATE DATABASE it_dropme")
        d.execute("CREATE DATABASE it_tmpl")
    p = pgsteer(nodes=[cluster.port], workers=2, default_pool_size=4)
    try:
        for db in ("it_dropme", "it_tmpl"):
            conns = [p.connect(dbname=db) for _ in range(6)]  # spread over both workers
            for c in conns:
                assert scalar(c, "SELECT current_database()") == db
            for c in conns:
                c.close()
        with p.connect() as c:
            c.execute("ALTER DATABASE it_dropme RENAME TO it_dropme2")
            c.execute("CREATE DATABASE it_copy TEMPLATE = it_tmpl")
            with p.connect(dbname="it_dropme2") as c2:
                assert scalar(c2, "SELECT 1") == 1
            c.execute("DROP DATABASE IF EXISTS it_dropme2")
            c.execute('DROP DATABASE "it_copy"')
            c.execute("/* done */ DROP DATABASE it_tmpl")
        assert "DATABASE needs" in p.log()
    finally:
        with cluster.connect() as d:
            for db in ("it_dropme", "it_dropme2", "it_tmpl", "it_copy"):
                d.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % db)


def _routed_session(pgsteer, cluster, primary, prefix):
    """A table (id int) named after PREFIX, and a raw session through a
    pgsteer over the primary and both replicas, reads seen on both (a
    write's position matters from then on): (table, socket)."""
    t = table_name(prefix)
    primary.execute("CREATE TABLE %s (id int)" % t)
    proxy = pgsteer(nodes=[cluster.port] + list(cluster.replica_ports))
    helpers.wait_reads_on_both_replicas(proxy, cluster)
    sock, _ = pgwire.login(proxy.port, SUPERUSER)
    return t, sock


def test_writes_sent_behind_a_running_write_get_their_own_answers(cluster, pgsteer, primary):
    """pgsteer asks for a write's position right behind it when it was the
    last thing the client sent. A client that goes on sending (a pipeline:
    here a second INSERT while the first still runs) gets its own answers
    in order, nothing of pgsteer's among them, and both writes run."""
    t, sock = _routed_session(pgsteer, cluster, primary, "pipe")
    try:
        sock.sendall(pgwire.message(b"Q", b"INSERT INTO %s SELECT 1 FROM pg_sleep(0.5)\0" % t.encode()))
        wait_for(lambda: primary.execute(
            "SELECT 1 FROM pg_stat_activity WHERE query LIKE %s AND state = 'active'",
            ("%%INSERT INTO %s SELECT 1%%" % t,)).fetchone(), 10, "the first INSERT to run")
        sock.sendall(pgwire.message(b"Q", b"INSERT INTO %s VALUES (2)\0" % t.encode()) +
                     pgwire.message(b"P", b"\0INSERT INTO " + t.encode() + b" VALUES ($1)\0\0\0") +
                     _bind_execute([b"3"]) + pgwire.message(b"S"))
        seen = []
        for _ in range(3):
            types, _ = _read_until(sock, b"Z", 10)
            seen.append(types)
        assert seen == [[b"C", b"Z"], [b"C", b"Z"], [b"1", b"2", b"C", b"Z"]], seen
        assert pgwire.simple_query(sock, "SELECT id FROM %s ORDER BY id" % t) == \
            ([["1"], ["2"], ["3"]], None)
    finally:
        sock.close()
        primary.execute("DROP TABLE %s" % t)


def test_copy_from_stdin_in_an_extended_batch_after_a_write(cluster, pgsteer, primary):
    """A COPY FROM STDIN sent as an extended batch with its Sync before the
    data (what libpq's PQexecParams sends): PostgreSQL ignores that Sync
    while it copies, so nothing may follow it to the server before the
    data (pgsteer's probe of a write's position must not), right after
    a write and alone."""
    t, sock = _routed_session(pgsteer, cluster, primary, "xcopy")
    try:
        for first in (True, False):
            if first:
                assert pgwire.simple_query(sock, "INSERT INTO %s VALUES (0)" % t)[1] is None
            sock.sendall(pgwire.message(b"P", b"\0COPY " + t.encode() + b" FROM STDIN\0\0\0") +
                         _bind_execute([]) + pgwire.message(b"S"))
            types, _ = _read_until(sock, b"G", 10)
            assert types == [b"1", b"2", b"G"], types
            # libpq ends it with a Sync of its own, the first one having been ignored
            sock.sendall(pgwire.message(b"d", b"1\n2\n") + pgwire.message(b"c") + pgwire.message(b"S"))
            types, _ = _read_until(sock, b"Z", 10)
            assert types == [b"C", b"Z"], types
        assert pgwire.simple_query(sock, "SELECT count(*) FROM %s" % t) == ([["5"]], None)
    finally:
        sock.close()
        primary.execute("DROP TABLE %s" % t)
