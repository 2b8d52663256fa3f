"""Session state under transaction pooling (issue #5): a client's named
prepared statements, its session settings and the state that pins it must
follow it onto whichever server connection (primary or replica) runs its
next statement. Pools are tiny (1-2 connections per node) so that clients
keep changing backends; every check observes the backend that answered
(pg_backend_pid(), inet_server_port(), current_setting())."""
import struct
import threading
import time

import psycopg
import pytest

import pgwire
from helpers import SUPERUSER, scalar, wait_reads_on_both_replicas, wait_for

# ----------------------------------------------------------------- raw protocol


def cstr(s):
    return s.encode() + b"\0"


def parse_msg(name, sql, types=()):
    return pgwire.message(b"P", cstr(name) + cstr(sql) + struct.pack("!H", len(types)) +
                          b"".join(struct.pack("!I", t) for t in types))


def bind_msg(stmt, params=(), portal=""):
    body = cstr(portal) + cstr(stmt) + struct.pack("!H", 0) + struct.pack("!H", len(params))
    for p in params:
        if p is None:
            body += struct.pack("!i", -1)
        else:
            b = str(p).encode()
            body += struct.pack("!i", len(b)) + b
    return pgwire.message(b"B", body + struct.pack("!H", 0))


def execute_msg(portal=""):
    return pgwire.message(b"E", cstr(portal) + struct.pack("!I", 0))


def describe_msg(kind, name):
    return pgwire.message(b"D", kind + cstr(name))


def close_msg(kind, name):
    return pgwire.message(b"C", kind + cstr(name))


SYNC = pgwire.message(b"S")


def exchange(sock, *msgs):
    """Send MSGS (ending in Sync); return the replies up to ReadyForQuery as
    a list of (type char, payload), errors parsed to dicts."""
    sock.sendall(b"".join(msgs))
    out = []
    while True:
        m = pgwire.read_message(sock)
        assert m is not None, "connection closed; got %r" % out
        t, p = m
        if t == b"E":
            out.append(("E", pgwire.parse_fields(p)))
        elif t == b"D":
            out.append(("D", data_row(p)))
        else:
            out.append((t.decode(), p))
        if t == b"Z":
            return out


def data_row(p):
    n = struct.unpack("!H", p[:2])[0]
    off, row = 2, []
    for _ in range(n):
        ln = struct.unpack("!i", p[off:off + 4])[0]
        off += 4
        row.append(None if ln < 0 else p[off:off + ln].decode())
        off += max(ln, 0)
    return row


def send_in_pieces(sock, wire, cuts):
    """Send WIRE cut after each length in CUTS (the rest last), one read of
    pgsteer's each; return the replies up to ReadyForQuery."""
    for cut in tuple(cuts) + (len(wire),):
        piece, wire = wire[:cut], wire[cut:]
        sock.sendall(piece)
        time.sleep(0.05)  # let pgsteer read each piece on its own (provokes the split)
    return exchange(sock)


def kinds(replies):
    return "".join(t for t, _ in replies)


def errors(replies):
    return [p["C"] for t, p in replies if t == "E"]


def rows(replies):
    return [p for t, p in replies if t == "D"]


# ----------------------------------------------------------------- fixtures


@pytest.fixture
def steer(pgsteer, cluster):
    """Primary + 2 replicas, 2 server connections per node."""
    p = pgsteer(default_pool_size=2, extra={"routing": {"check_interval": "50ms"}})
    wait_reads_on_both_replicas(p, cluster)
    return p


@pytest.fixture
def table(cluster):
    with cluster.connect() as c:
        c.execute("DROP TABLE IF EXISTS ss_rows")
        c.execute("CREATE TABLE ss_rows (n int)")
    yield "ss_rows"
    with cluster.connect() as c:
        c.execute("DROP TABLE IF EXISTS ss_rows")


def admin_clients(p):
    with psycopg.connect(host="127.0.0.1", port=p.port, user="admin", dbname="pgsteer",
                         autocommit=True) as a:
        cur = a.execute("SHOW CLIENTS")
        names = [d.name for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


# ----------------------------------------------------------------- prepared statements


def test_raw_named_statements_across_server_connections(steer, cluster):
    sock, _ = pgwire.login(steer.port, SUPERUSER)
    try:
        r = exchange(sock, parse_msg("s1", "SELECT $1::int * 2, pg_backend_pid(), inet_server_port()"),
                     SYNC)
        assert kinds(r) == "1Z", r
        pids, ports = set(), set()
        for i in range(60):
            r = exchange(sock, bind_msg("s1", [i]), execute_msg(), SYNC)
            assert kinds(r) == "2DCZ", r
            (doubled, pid, port), = rows(r)
            assert int(doubled) == 2 * i
            pids.add(pid)
            ports.add(int(port))
        # reads spread over both replicas: the statement followed the client
        assert ports == {cluster.port + 1, cluster.port + 2}, ports
        assert len(pids) >= 2
        # Describe of the client's name works wherever it lands
        r = exchange(sock, describe_msg(b"S", "s1"), SYNC)
        assert kinds(r) == "tTZ", r
        # Close forgets the name: the same name can hold another statement
        r = exchange(sock, close_msg(b"S", "s1"), SYNC)
        assert kinds(r) == "3Z", r
        r = exchange(sock, bind_msg("s1", [5]), execute_msg(), SYNC)
        assert errors(r) == ["26000"], r
        r = exchange(sock, parse_msg("s1", "SELECT $1::int * 3"), bind_msg("s1", [5]), execute_msg(),
                     SYNC)
        assert kinds(r) == "12DCZ" and rows(r) == [["15"]], r
        # parsing a name twice is refused as PostgreSQL refuses it
        r = exchange(sock, parse_msg("s1", "SELECT 1"), SYNC)
        assert errors(r) == ["42P05"], r
        r = exchange(sock, bind_msg("s1", [7]), execute_msg(), SYNC)
        assert rows(r) == [["21"]], r
    finally:
        sock.close()


def test_failed_parse_and_errors_inside_a_pipeline(steer):
    sock, _ = pgwire.login(steer.port, SUPERUSER)
    try:
        # a Parse that fails leaves no name behind
        r = exchange(sock, parse_msg("bad", "SELEC 1"), SYNC)
        assert errors(r) == ["42601"], r
        r = exchange(sock, bind_msg("bad"), execute_msg(), SYNC)
        assert errors(r) == ["26000"], r
        # an error in the middle: what follows up to Sync is skipped, including a Parse
        r = exchange(sock, parse_msg("ok", "SELECT $1::int + 1"), bind_msg("ok", [1]), execute_msg(),
                     bind_msg("ok", ["not a number"]), execute_msg(),
                     parse_msg("after", "SELECT 2"), close_msg(b"S", "ok"), SYNC)
        assert kinds(r) == "12DCEZ", r
        assert rows(r) == [["2"]] and errors(r) == ["22P02"], r
        r = exchange(sock, bind_msg("after"), execute_msg(), SYNC)
        assert errors(r) == ["26000"], r
        # the skipped Close did not forget "ok"
        r = exchange(sock, bind_msg("ok", [41]), execute_msg(), SYNC)
        assert rows(r) == [["42"]], r
        # several statements in one pipeline, some already on the server
        r = exchange(sock, parse_msg("a", "SELECT 'a'"), parse_msg("b", "SELECT $1::int + 1"),
                     bind_msg("a"), execute_msg(), bind_msg("b", [1]), execute_msg(),
                     bind_msg("ok", [9]), execute_msg(), SYNC)
        assert kinds(r) == "112DC2DC2DCZ", r
        assert rows(r) == [["a"], ["2"], ["10"]], r
        # SQL DEALLOCATE of a protocol-level name, then DEALLOCATE ALL
        rws, err = pgwire.simple_query(sock, "DEALLOCATE a")
        assert err is None, err
        r = exchange(sock, bind_msg("a"), execute_msg(), SYNC)
        assert errors(r) == ["26000"], r
        rws, err = pgwire.simple_query(sock, "DEALLOCATE ALL")
        assert err is None, err
        for name in ("b", "ok"):
            r = exchange(sock, bind_msg(name, [1]), execute_msg(), SYNC)
            assert errors(r) == ["26000"], (name, r)
    finally:
        sock.close()


def test_prepared_write_keeps_its_binds_on_the_primary(steer, cluster, table):
    sock, _ = pgwire.login(steer.port, SUPERUSER)
    try:
        r = exchange(sock, parse_msg("w", "INSERT INTO ss_rows VALUES ($1) RETURNING inet_server_port()"),
                     parse_msg("r", "SELECT inet_server_port()"), SYNC)
        assert kinds(r) == "11Z", r
        for i in range(10):
            r = exchange(sock, bind_msg("w", [i]), execute_msg(), SYNC)
            assert rows(r) == [[str(cluster.port)]], r
        # after the writes, read-your-writes may keep reads on the primary for a moment;
        # eventually the read statement runs on a replica
        def on_replica():
            r = exchange(sock, bind_msg("r"), execute_msg(), SYNC)
            return int(rows(r)[0][0]) != cluster.port
        wait_for(on_replica, 10, "a prepared read on a replica")
    finally:
        sock.close()
    with cluster.connect() as c:
        assert scalar(c, "SELECT count(*) FROM ss_rows") == 10


def test_psycopg_prepared_statements_and_server_side_cursor(steer, cluster, table):
    conns = [steer.connect(prepare_threshold=0) for _ in range(5)]
    try:
        for i in range(30):
            for k, c in enumerate(conns):
                v = i * 10 + k
                assert c.execute("SELECT %s::int + 1", (v,)).fetchone()[0] == v + 1
                if i % 10 == 0:
                    c.execute("INSERT INTO ss_rows VALUES (%s)", (v,))
        with conns[0].transaction():
            with conns[0].cursor(name="ss_cursor") as cur:
                cur.execute("SELECT g FROM generate_series(1, 1000) g")
                assert sum(r[0] for r in cur.fetchmany(100)) == 5050
                assert len(cur.fetchall()) == 900
        # psycopg really prepared: the clients hold named statements
        prepared = [r["prepared"] for r in admin_clients(steer) if r["user"] == SUPERUSER]
        assert max(prepared) >= 2, prepared
    finally:
        for c in conns:
            c.close()
    with cluster.connect() as c:
        assert scalar(c, "SELECT count(*) FROM ss_rows") == 15


def test_max_prepared_statements_evicts_and_still_works(pgsteer, cluster):
    p = pgsteer(nodes=[cluster.port], default_pool_size=1, max_prepared_statements=3)
    with p.connect(prepare_threshold=0) as c:
        for i in range(5):
            for k in range(10):
                sql = "SELECT %%s::int + %d" % k
                assert c.execute(sql, (i,)).fetchone()[0] == i + k
        n = scalar(c, "SELECT count(*) FROM pg_prepared_statements")
        assert n <= 4, n  # at most the bound (+1 being parsed)


# ----------------------------------------------------------------- settings


def settings_worker(p, name, settings, n, failures, pids):
    try:
        with p.connect() as c:
            for k, v in settings.items():
                c.execute("SET %s = %s" % (k, v))
            for i in range(n):
                if i % 3 == 0:
                    with c.transaction():
                        got = c.execute("SELECT current_setting('search_path'), "
                                        "current_setting('TimeZone'), "
                                        "current_setting('application_name'), "
                                        "current_setting('myapp.user_id', true), "
                                        "pg_backend_pid()").fetchone()
                else:
                    got = c.execute("SELECT current_setting('search_path'), "
                                    "current_setting('TimeZone'), "
                                    "current_setting('application_name'), "
                                    "current_setting('myapp.user_id', true), "
                                    "pg_backend_pid()").fetchone()
                want = (settings.get("search_path", "\"$user\", public").replace("'", ""),
                        settings.get("TimeZone", "'UTC'").strip("'"),
                        settings.get("application_name", "''").strip("'"),
                        settings.get("myapp.user_id", "").strip("'") or None)
                # a custom setting reset to its default reads '' once a backend has seen it
                got = got[:3] + (got[3] or None, got[4])
                if got[:4] != want:
                    failures.append((name, i, got, want))
                pids.setdefault(name, set()).add(got[4])
            if settings.get("TimeZone"):
                assert c.info.parameter_status("TimeZone") == settings["TimeZone"].strip("'")
    except Exception as e:  # reported by the test
        failures.append((name, "exception", repr(e)))


def test_settings_follow_each_client_over_200_transactions(pgsteer, cluster):
    p = pgsteer(default_pool_size=2, extra={"routing": {"check_interval": "50ms"}})
    wait_reads_on_both_replicas(p, cluster)
    with cluster.connect() as c:
        tz = scalar(c, "SHOW TimeZone")
    clients = {
        "a": {"search_path": "'a_schema', public", "TimeZone": "'Asia/Tokyo'",
              "application_name": "'client_a'", "myapp.user_id": "'17'"},
        "b": {"search_path": "'b_schema'", "TimeZone": "'America/New_York'",
              "application_name": "'client_b'", "myapp.user_id": "'42'"},
        "plain": {"TimeZone": "'%s'" % tz},
    }
    failures, pids = [], {}
    threads = [threading.Thread(target=settings_worker, args=(p, n, s, 200, failures, pids))
               for n, s in clients.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert failures == [], failures[:5]
    # each client really moved between backends
    assert all(len(v) >= 2 for v in pids.values()), pids


def test_reset_and_parameter_status(steer):
    with steer.connect() as c:
        default_path = scalar(c, "SHOW search_path")
        c.execute("SET search_path = pg_catalog")
        c.execute("SET TimeZone = 'Europe/Paris'")
        assert c.info.parameter_status("TimeZone") == "Europe/Paris"
        for _ in range(10):
            assert scalar(c, "SHOW search_path") == "pg_catalog"
            assert scalar(c, "SHOW TimeZone") == "Europe/Paris"
        c.execute("RESET search_path")
        c.execute("RESET TimeZone")
        for _ in range(10):
            assert scalar(c, "SHOW search_path") == default_path
            assert scalar(c, "SHOW TimeZone") != "Europe/Paris"
        # a SET that fails changes nothing
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            c.execute("SET TimeZone = 'Not/AZone'")
        c.execute("SET statement_timeout = '5s'")
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            c.execute("SET statement_timeout = 'soon'")
        for _ in range(5):
            assert scalar(c, "SHOW search_path") == default_path
            assert scalar(c, "SHOW statement_timeout") == "5s"


def test_startup_settings_are_applied_and_checked(steer):
    with steer.connect(options="-c search_path=pg_catalog -c statement_timeout=1234 -c DateStyle=German",
                       application_name="startup_app") as c:
        assert c.info.parameter_status("application_name") == "startup_app"
        assert c.info.parameter_status("DateStyle") == "German, DMY"
        for _ in range(10):
            assert scalar(c, "SHOW search_path") == "pg_catalog"
            assert scalar(c, "SHOW statement_timeout") == "1234ms"
            assert scalar(c, "SHOW DateStyle") == "German, DMY"
            assert scalar(c, "SELECT current_setting('application_name')") == "startup_app"
    # a client without them gets the defaults on the same servers
    with steer.connect() as c:
        for _ in range(10):
            assert scalar(c, "SHOW statement_timeout") == "0"
            assert scalar(c, "SHOW DateStyle") == "ISO, MDY"
    # a bad startup value is refused as PostgreSQL refuses it
    with pytest.raises(psycopg.OperationalError) as e:
        steer.connect(options="-c DateStyle=nonsense")
    assert "DateStyle" in str(e.value)


def test_reset_returns_to_the_startup_value(steer):
    """RESET, SET ... TO DEFAULT, RESET ALL and DISCARD ALL return a setting
    to its value from the startup packet, as PostgreSQL does (asyncpg's pool
    ends every use with RESET ALL: its server_settings must survive it)."""
    with steer.connect(options="-c search_path=pg_catalog -c statement_timeout=1234") as c:
        c.prepare_threshold = None  # psycopg 3.1 keeps using its statements after DISCARD ALL
        c.execute("SET search_path = public")
        c.execute("SET statement_timeout = 5000")
        c.execute("RESET search_path")
        c.execute("SET statement_timeout TO DEFAULT")
        for _ in range(6):
            assert scalar(c, "SHOW search_path") == "pg_catalog"
            assert scalar(c, "SHOW statement_timeout") == "1234ms"
        for reset in ("SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;", "DISCARD ALL"):
            c.execute("SET search_path = public")
            c.execute("SET work_mem = '8MB'")
            c.execute(reset)
            for _ in range(6):
                assert scalar(c, "SHOW search_path") == "pg_catalog", reset
                assert scalar(c, "SHOW statement_timeout") == "1234ms", reset
                assert scalar(c, "SHOW work_mem") == "4MB", reset


def test_reset_custom_setting_stays_defined(pgsteer, cluster):
    """A custom setting that was set stays defined, empty, once reset: SHOW
    of it works on whichever backend runs it (on one that never had it,
    SHOW failed with 42704)."""
    p = pgsteer(nodes=[cluster.port], default_pool_size=2, workers=1)
    with p.connect() as a, p.connect() as b:
        for reset in ("RESET ps_custom.my_guc", "RESET ALL", "SET ps_custom.my_guc TO DEFAULT"):
            with b.transaction():
                b.execute("SELECT 1")
                a.execute("SET ps_custom.my_guc = 'x'")  # on the connection b does not hold
                a.execute(reset)
            with b.transaction():
                b.execute("SELECT 1")  # b holds that one now: a runs on the other
                assert scalar(a, "SHOW ps_custom.my_guc") == "", reset
            assert scalar(a, "SHOW ps_custom.my_guc") == "", reset


def test_set_in_a_rolled_back_transaction_is_undone(pgsteer, cluster):
    """A session SET inside a transaction block lasts only if the block
    commits, as in PostgreSQL: after a ROLLBACK (or a failed block) the
    client's session, wherever it runs next, and the next client of the
    same server connection, both have the old value."""
    p = pgsteer(nodes=[cluster.port], default_pool_size=2, workers=1)
    with p.connect() as a, p.connect() as b:
        def everywhere(c, want, what):
            other = b if c is a else a
            for _ in range(2):
                assert scalar(c, "SHOW work_mem") == want, what
            # the other client holds the connection C just used: C runs on the other one
            with other.transaction():
                other.execute("SELECT 1")
                for _ in range(2):
                    assert scalar(c, "SHOW work_mem") == want, what + " (the other connection)"
        a.execute("BEGIN")
        a.execute("SET work_mem = '1MB'")
        assert scalar(a, "SHOW work_mem") == "1MB"
        a.execute("ROLLBACK")
        everywhere(a, "4MB", "after ROLLBACK")
        everywhere(b, "4MB", "another client after ROLLBACK")
        a.execute("BEGIN")
        a.execute("SET work_mem = '2MB'")
        a.execute("COMMIT")
        everywhere(a, "2MB", "after COMMIT")
        everywhere(b, "4MB", "another client after COMMIT")
        a.execute("BEGIN")
        a.execute("SET work_mem = '3MB'")
        with pytest.raises(psycopg.errors.DivisionByZero):
            a.execute("SELECT 1/0")
        a.execute("ROLLBACK")
        everywhere(a, "2MB", "after a failed block")
        a.execute("BEGIN")
        a.execute("SET work_mem = '5MB'")
        a.execute("SAVEPOINT s")
        a.execute("SELECT 1")
        a.execute("ROLLBACK TO SAVEPOINT s")
        a.execute("COMMIT")
        everywhere(a, "5MB", "SET before a savepoint rolled back to")
        everywhere(b, "4MB", "another client at the end")


def test_set_after_a_savepoint_rolled_back_to_is_undone(pgsteer, cluster):
    """PostgreSQL undoes a SET made after a savepoint the block rolls back
    to, even when the block then commits; RELEASE keeps it for the block's
    end. The session, wherever it runs next, has what the backend has."""
    p = pgsteer(nodes=[cluster.port], default_pool_size=2, workers=1)
    with p.connect() as a, p.connect() as b:
        def everywhere(want, what):
            for _ in range(2):
                assert scalar(a, "SHOW work_mem") == want, what
            with b.transaction():
                b.execute("SELECT 1")  # b holds the connection a just used
                for _ in range(2):
                    assert scalar(a, "SHOW work_mem") == want, what + " (the other connection)"
        for script, want in (
                (["SET work_mem = '5MB'", "SAVEPOINT s", "SET work_mem = '6MB'",
                  "ROLLBACK TO SAVEPOINT s"], "5MB"),
                (["SAVEPOINT s", "SET work_mem = '7MB'", "RELEASE SAVEPOINT s"], "7MB"),
                (["SET work_mem = '8MB'", "SAVEPOINT Outer_SP", "SET work_mem = '9MB'",
                  "SAVEPOINT inner_sp", "SET work_mem = '10MB'", "RELEASE inner_sp",
                  "ROLLBACK TO outer_sp", "SET work_mem = '12MB'", "ROLLBACK TO outer_sp"], "8MB"),
                (["SAVEPOINT s", "SET work_mem = '11MB'", "SAVEPOINT s", "SET work_mem = '13MB'",
                  "ROLLBACK TO s"], "11MB"),
                (["SAVEPOINT s", "SET work_mem = '14MB'", "SELECT 1/0", "ROLLBACK TO s"], "11MB"),
                (["SET work_mem = '15MB'", "SAVEPOINT s", "SET work_mem = '16MB'",
                  "RELEASE s", "SAVEPOINT s", "ROLLBACK TO s"], "16MB")):
            a.execute("BEGIN")
            for sql in script:
                if "1/0" in sql:
                    with pytest.raises(psycopg.errors.DivisionByZero):
                        a.execute(sql)
                else:
                    a.execute(sql)
            assert scalar(a, "SHOW work_mem") == want, script
            a.execute("COMMIT")
            everywhere(want, " ; ".join(script))
        assert scalar(b, "SHOW work_mem") == "4MB"


def test_reset_of_reported_settings_returns_to_the_startup_value(steer):
    """The same for settings PostgreSQL reports (DateStyle, TimeZone): the
    session runs with the startup value again, and the client is told so
    (ParameterStatus) before its next statement's results."""
    with steer.connect(options="-c DateStyle=German -c TimeZone=Asia/Tokyo") as c:
        c.prepare_threshold = None
        for reset in ("RESET DateStyle; RESET TIME ZONE", "SET DateStyle TO DEFAULT; SET TIME ZONE LOCAL",
                      "RESET ALL", "DISCARD ALL"):
            c.execute("SET DateStyle = 'SQL, MDY'")
            c.execute("SET TimeZone = 'UTC'")
            assert c.info.parameter_status("DateStyle") == "SQL, MDY"
            c.execute(reset)
            for _ in range(4):
                assert scalar(c, "SELECT '2020-01-02'::date::text") == "02.01.2020", reset
                assert c.info.parameter_status("DateStyle") == "German, DMY", reset
                assert scalar(c, "SHOW TimeZone") == "Asia/Tokyo", reset
                assert c.info.parameter_status("TimeZone") == "Asia/Tokyo", reset


# ----------------------------------------------------------------- pinning


def test_temp_table_pins_the_session(pgsteer, cluster):
    p = pgsteer(nodes=[cluster.port], default_pool_size=2)
    with p.connect() as c, p.connect() as other:
        c.execute("CREATE TEMP TABLE tt (n int)")
        pid = scalar(c, "SELECT pg_backend_pid()")
        for i in range(20):
            c.execute("INSERT INTO tt VALUES (%s)", (i,))
            assert scalar(other, "SELECT to_regclass('pg_temp.tt') IS NULL")
            assert scalar(c, "SELECT pg_backend_pid()") == pid
        assert scalar(c, "SELECT sum(n) FROM tt") == 190
        pinned = [r for r in admin_clients(p) if r["pinned"]]
        assert len(pinned) == 1 and "temp" in pinned[0]["pinned"].lower(), pinned
        # DISCARD ALL lets it go
        c.execute("DISCARD ALL")
        assert [r for r in admin_clients(p) if r["pinned"]] == []


def test_pinned_server_is_reset_before_reuse(pgsteer, cluster):
    p = pgsteer(nodes=[cluster.port], default_pool_size=1, workers=1)  # the one server, reused
    with p.connect() as c:
        c.execute("CREATE TEMP TABLE tt2 (n int)")
        c.execute("SET work_mem = '7MB'")
        pid = scalar(c, "SELECT pg_backend_pid()")
    with p.connect() as c:
        assert scalar(c, "SELECT pg_backend_pid()") == pid  # the one server, reused
        assert scalar(c, "SELECT to_regclass('pg_temp.tt2') IS NULL")
        assert scalar(c, "SHOW work_mem") != "7MB"


@pytest.mark.parametrize("mode", ["transaction", "session"])
def test_pinned_server_is_reset_when_its_client_leaves_during_a_position_probe(pgsteer, cluster, mode):
    """With replicas, DDL makes pgsteer read the position of its commit
    (every session's reads wait for it), a pinned or session-pooled
    client's too. A client that quits right after its DDL leaves its
    server to that probe; when the probe was done, the server went back
    to the pool without the reset: the next client found the temporary
    table of the one before (PostgreSQL's regression suite met other
    tests' tables that way) and, in session mode, ran as the role the
    one before had set with SET SESSION AUTHORIZATION."""
    p = pgsteer(pool_mode=mode, default_pool_size=1, workers=1)  # the primary's one server, reused
    with cluster.connect() as c:
        c.execute("DROP ROLE IF EXISTS pin_probe_role")
        c.execute("CREATE ROLE pin_probe_role")
        c.execute("GRANT CREATE ON SCHEMA public TO pin_probe_role")
    try:
        for i in range(10):
            with p.connect() as c:
                c.execute("CREATE TEMP TABLE tt3 (n int)")
                if mode == "session":
                    c.execute("SET SESSION AUTHORIZATION pin_probe_role")
                c.execute("CREATE TABLE IF NOT EXISTS pin_probe_t (n int)")  # DDL, then Terminate
            with p.connect() as c:
                temp_gone, user = c.execute("/* pgsteer: primary */ SELECT to_regclass('pg_temp.tt3') IS NULL, "
                                            "current_user").fetchone()
                assert temp_gone, "client %d found the temporary table of the one before" % i
                assert user == SUPERUSER, "client %d runs as %s" % (i, user)
        # reset and kept, not caught by the pool's guard (which closes such a server)
        assert "without its reset" not in p.log()
    finally:
        with cluster.connect() as c:
            c.execute("DROP TABLE IF EXISTS pin_probe_t")
            c.execute("DROP OWNED BY pin_probe_role")
            c.execute("DROP ROLE pin_probe_role")


def test_listen_notify_under_transaction_pooling(steer):
    with steer.connect() as listener, steer.connect() as sender:
        listener.execute("LISTEN ss_chan")
        for i in range(5):
            sender.execute("SELECT 1")  # busy the pool a little
            sender.execute("NOTIFY ss_chan, 'msg%d'" % i)
        got = []
        listener.add_notify_handler(lambda n: got.append(n.payload))
        # notifications that arrive while the client is idle wait for its next statement
        wait_for(lambda: listener.execute("SELECT 1") and len(got) >= 5, 10, "5 notifications")
        assert got == ["msg%d" % i for i in range(5)]
        assert any(r["pinned"] for r in admin_clients(steer))


def test_advisory_lock_held_by_the_right_session(steer, cluster):
    with steer.connect() as a, steer.connect() as b, cluster.connect() as direct:
        a.execute("SELECT pg_advisory_lock(4242)")
        a_pid = scalar(a, "SELECT pg_backend_pid()")
        holder = scalar(direct, "SELECT pid FROM pg_locks WHERE locktype = 'advisory' "
                                "AND objid = 4242 AND granted")
        assert holder == a_pid
        for _ in range(5):
            assert scalar(b, "SELECT pg_try_advisory_lock(4242)") is False
            assert scalar(a, "SELECT pg_backend_pid()") == a_pid
        assert scalar(a, "SELECT pg_advisory_unlock(4242)") is True
        assert scalar(b, "SELECT pg_try_advisory_lock(4242)") is True
        assert scalar(b, "SELECT pg_advisory_unlock(4242)") is True


def test_sql_prepare_pins_and_works(steer):
    with steer.connect() as c:
        c.execute("PREPARE q(int) AS SELECT $1 * 10")
        for i in range(10):
            assert scalar(c, "EXECUTE q(%d)" % i) == i * 10
        pinned = [r["pinned"] for r in admin_clients(steer) if r["pinned"]]
        assert pinned == ["SQL PREPARE"], pinned


def test_parse_answered_while_every_server_is_busy(pgsteer, cluster):
    """pgbench -M prepared prepares synchronously, one thread for many
    connections: a Parse that waited for a server held by a transaction of
    the same thread would never be answered. With no server free, pgsteer
    answers a Parse+Sync itself and prepares the statement at its Bind."""
    # one worker: the holder must hold the only server the parser could get
    p = pgsteer(nodes=[cluster.port], default_pool_size=1, workers=1)
    with p.connect(autocommit=False) as holder:
        holder.execute("SELECT 1")  # holds the only server connection
        sock, _ = pgwire.login(p.port, SUPERUSER)
        try:
            sock.settimeout(5)
            r = exchange(sock, parse_msg("later", "SELECT $1::int * 7"), SYNC)
            assert kinds(r) == "1Z", r
            r = exchange(sock, parse_msg("later", "SELECT 1"), SYNC)
            assert errors(r) == ["42P05"], r
            holder.rollback()
            r = exchange(sock, bind_msg("later", [6]), execute_msg(), SYNC)
            assert rows(r) == [["42"]], r
        finally:
            sock.close()


def test_named_bind_split_across_reads(steer):
    """A Bind whose names arrive in pieces is still recognised and rewritten
    (pgsteer waits for the names instead of passing the piece through)."""
    sock, _ = pgwire.login(steer.port, SUPERUSER)
    try:
        r = exchange(sock, parse_msg("split_stmt", "SELECT $1::int + 100"), SYNC)
        assert kinds(r) == "1Z", r
        # a transaction keeps one server connection linked for the pieces
        r = exchange(sock, pgwire.message(b"Q", b"BEGIN\0"))
        out = send_in_pieces(sock, bind_msg("split_stmt", [1]) + execute_msg() + SYNC, (3, 8, 12))
        assert kinds(out) == "2DCZ" and rows(out) == [["101"]], out
    finally:
        sock.close()


def test_named_binds_in_one_batch_keep_their_order(steer):
    """The rewritten head of a named Bind goes out in one write with what
    follows it; anything that is not relayed as it is (another named Bind,
    a Describe of a statement, a Parse) sends it first. Whatever the mix,
    the server sees the messages in the client's order."""
    sock, _ = pgwire.login(steer.port, SUPERUSER)
    try:
        r = exchange(sock, parse_msg("ord_a", "SELECT $1::int + 1000"),
                     parse_msg("ord_b", "SELECT $1::text || '!'"), SYNC)
        assert kinds(r) == "11Z", r
        r = exchange(sock,
                     bind_msg("ord_a", [1]), describe_msg(b"P", ""), execute_msg(),
                     bind_msg("ord_b", ["x"]), describe_msg(b"S", "ord_b"), execute_msg(),
                     bind_msg("ord_a", [2], portal="p2"), execute_msg("p2"),
                     parse_msg("", "SELECT 7"), bind_msg(""), execute_msg(),
                     bind_msg("ord_a", [3]), SYNC)
        assert kinds(r) == "2TDC" + "2tTDC" + "2DC" + "12DC" + "2Z", r
        assert rows(r) == [["1001"], ["x!"], ["1002"], ["7"]], r
        # a DEALLOCATE pgsteer answers itself, right behind a named Bind
        sock.sendall(bind_msg("ord_a", [4]) + execute_msg() + SYNC +
                     pgwire.message(b"Q", b"DEALLOCATE ord_b\0"))
        r = exchange(sock)
        assert kinds(r) == "2DCZ" and rows(r) == [["1004"]], r
        r = exchange(sock)
        assert kinds(r) == "CZ", r
        r = exchange(sock, bind_msg("ord_b", ["y"]), execute_msg(), SYNC)
        assert errors(r) == ["26000"], r
    finally:
        sock.close()


def test_named_bind_parameters_arrive_after_its_names(steer):
    """A named Bind whose names are all there but whose parameters come in
    later reads: the rewritten head goes first, the parameters follow."""
    sock, _ = pgwire.login(steer.port, SUPERUSER)
    try:
        r = exchange(sock, parse_msg("late_params", "SELECT $1::int * 3"), SYNC)
        assert kinds(r) == "1Z", r
        r = exchange(sock, pgwire.message(b"Q", b"BEGIN\0"))
        names_end = 5 + len(cstr("")) + len(cstr("late_params"))
        out = send_in_pieces(sock, bind_msg("late_params", [14]) + execute_msg() + SYNC,
                             (names_end, 4))
        assert kinds(out) == "2DCZ" and rows(out) == [["42"]], out
        r = exchange(sock, pgwire.message(b"Q", b"COMMIT\0"))
        assert kinds(r)[-1] == "Z", r
    finally:
        sock.close()
