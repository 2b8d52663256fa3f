"""The SQL admin console (DESIGN.md "Admin console", issue 6 part 1): a
client logging in to database "pgsteer" as one of admin_users talks to
pgsteer itself. Every SHOW command answers with its documented columns
(doc/admin.md), EXPLAIN ROUTE agrees with where statements really go,
RELOAD/PAUSE/RESUME/SET NODE/DRAIN NODE/SHUTDOWN act on the running
daemon, and permissions hold (stats_users read, others are refused).
What the commands claim is checked on the servers that answered
(inet_server_port()), never on pgsteer's word alone.
"""
import os
import subprocess
import threading
import time

import psycopg
import pytest

import helpers
import pgwire
from helpers import scalar, wait_for

pytestmark = pytest.mark.proxy_only

ROUTING = {"routing": {"check_interval": "50ms", "max_lag": "5s"}}

# The documented columns of every SHOW command (doc/admin.md).
COLUMNS = {
    "HELP": ["command", "description"],
    "CLUSTERS": ["cluster", "databases", "pool_size", "nodes", "primary", "primary_writable",
                 "replicas_eligible", "split_brain", "paused"],
    "NODES": ["node", "cluster", "host", "port", "role", "up", "availability", "scheduling",
              "lag_s", "lag_bytes", "wal_lsn", "weight", "server_active", "server_idle",
              "queries", "reads", "last_check_ms", "last_error"],
    "POOLS": ["database", "user", "cluster", "node", "cl_active", "cl_waiting", "sv_active",
              "sv_idle", "sv_login", "sv_closing", "pool_size", "paused", "last_login_error", "worker"],
    "CLIENTS": ["id", "user", "database", "state", "addr", "tls", "application_name",
                "tx_status", "server", "node", "last_route", "state_s", "admin", "pinned",
                "prepared", "worker"],
    "SERVERS": ["id", "node", "cluster", "user", "database", "state", "backend_pid", "tls",
                "client", "tx_status", "age_s", "state_s", "worker"],
    "STATS": ["scope", "name", "target", "queries", "reads", "bytes_to_server",
              "bytes_from_server", "completed", "query_time_us", "avg_query_us"],
    "CONFIG": ["section", "key", "value"],
    "TENANTS": ["tenant", "cluster", "generation", "state"],
    "MOVES": ["tenant", "source", "target", "data", "phase", "started", "tables_copied",
              "tables_total", "bytes", "lag_bytes", "lag_s", "last_error"],
    "VERSION": ["version"],
}


def admin(p, user="admin"):
    return helpers.connect(p.port, user=user, dbname="pgsteer")


def show(conn, what):
    """(column names, rows as dicts) of SHOW WHAT."""
    cur = conn.execute("SHOW " + what)
    names = [d.name for d in cur.description]
    return names, [dict(zip(names, r)) for r in cur.fetchall()]


def nodes(conn):
    return {r["node"]: r for r in show(conn, "NODES")[1]}


def roles_known(conn):
    """SHOW NODES once the monitor has checked every node: primary + 2 replicas, up."""
    ns = nodes(conn)
    ok = (ns["main1"]["role"] == "primary" and ns["main2"]["role"] == "replica"
          and ns["main3"]["role"] == "replica" and all(n["up"] for n in ns.values())
          and all(n["lag_s"] is not None for n in ns.values()))
    return ns if ok else None


@pytest.fixture
def steer(pgsteer):
    """pgsteer over primary + 2 replicas; returns once SHOW NODES knows the roles
    and a read really lands on a replica."""
    p = pgsteer(extra=ROUTING)
    with admin(p) as a:
        wait_for(lambda: roles_known(a), 15, "SHOW NODES with roles detected")

    def read_on_replica():
        with p.connect() as c:
            return scalar(c, "SELECT pg_is_in_recovery()")
    wait_for(read_on_replica, 15, "a read routed to a replica")
    return p


def read_ports(p, n=20):
    with p.connect() as c:
        return {scalar(c, "SELECT inet_server_port()") for _ in range(n)}


def test_every_show_command_has_its_columns(steer, cluster):
    with admin(steer) as a:
        for what, cols in COLUMNS.items():
            names, rows = show(a, what)
            assert names == cols, what
            assert a.execute("SHOW " + what).statusmessage == "SHOW"
        assert len(show(a, "HELP")[1]) >= 17
        assert [r["command"] for r in show(a, "HELP")[1]][0] == "SHOW HELP"
        clusters = show(a, "CLUSTERS")[1]
        assert len(clusters) == 1 and clusters[0]["cluster"] == "main"
        assert clusters[0]["primary"] == "main1" and clusters[0]["primary_writable"] is True
        assert clusters[0]["nodes"] == 3 and clusters[0]["replicas_eligible"] == 2
        assert show(a, "TENANTS")[1] == []
        assert show(a, "VERSION")[1][0]["version"].startswith("pgsteer ")
        me = [r for r in show(a, "CLIENTS")[1] if r["admin"]]
        assert me and me[0]["user"] == "admin" and me[0]["database"] == "pgsteer"
        cfg = {(r["section"], r["key"]): r["value"] for r in show(a, "CONFIG")[1]}
        assert cfg[("pgsteer", "admin_users")] == "admin"
        assert cfg[("pgsteer", "default_pool_size")] == "10"
        assert cfg[("routing", "check_interval")] == "50ms"
        assert cfg[("node.main2", "port")] == str(cluster.port + 1)
        assert cfg[("stats", "token")] in ("", None)
        # a client holding a server shows up in POOLS, SERVERS and CLIENTS, linked both ways
        with steer.connect(autocommit=False) as c:
            port = scalar(c, "SELECT inet_server_port()")  # BEGIN ... holds the server
            pools = show(a, "POOLS")[1]
            assert sum(r["sv_active"] for r in pools) >= 1
            servers = [r for r in show(a, "SERVERS")[1] if r["client"] is not None]
            clients = {r["id"]: r for r in show(a, "CLIENTS")[1]}
            assert len(servers) == 1
            s = servers[0]
            assert s["state"] == "active" and s["backend_pid"] > 0 and s["database"] == "postgres"
            assert clients[s["client"]]["server"] == s["id"]
            assert clients[s["client"]]["tx_status"] == "in_transaction"
            assert nodes(a)[s["node"]]["port"] == port
            c.rollback()
        stats = show(a, "STATS")[1]
        assert {r["scope"] for r in stats} >= {"node", "class", "read_fallback", "total"}
        assert {r["name"] for r in stats if r["scope"] == "node"} == {"main1", "main2", "main3"}


def test_show_nodes_roles_lag_and_reads(steer, cluster):
    with admin(steer) as a:
        ns = nodes(a)
        assert ns["main1"]["port"] == cluster.port
        assert ns["main1"]["role"] == "primary" and ns["main1"]["lag_s"] == 0
        for name in ("main2", "main3"):
            assert ns[name]["role"] == "replica"
            assert ns[name]["availability"] == "active" and ns[name]["scheduling"] == "active"
            assert ns[name]["lag_s"] < 5 and ns[name]["lag_bytes"] >= 0
            assert "/" in ns[name]["wal_lsn"]
            assert ns[name]["last_error"] is None
        before = {n: r["reads"] for n, r in ns.items()}
        ports = read_ports(steer, 20)
        after = nodes(a)
        # the reads counted per node are the reads the replicas served
        served = sum(after[n]["reads"] - before[n] for n in ("main2", "main3"))
        by_port = {r["port"]: n for n, r in after.items()}
        assert ports <= set(cluster.replica_ports)
        if any(after[n]["reads"] != before[n] for n in after):  # stats.c counts reads
            assert served >= 20, (before, {n: after[n]["reads"] for n in after})
            for port in ports:
                assert after[by_port[port]]["reads"] > before[by_port[port]]


def test_explain_route(steer):
    with admin(steer) as a:
        cur = a.execute("EXPLAIN ROUTE 'INSERT INTO t VALUES (1)'")
        names = [d.name for d in cur.description]
        assert names == ["cluster", "class", "class_reason", "target", "node", "route_reason",
                         "read_fallback"]
        r = dict(zip(names, cur.fetchone()))
        assert (r["cluster"], r["class"], r["target"], r["node"]) == ("main", "write", "primary", "main1")
        assert r["class_reason"] and r["route_reason"]
        r = dict(zip(names, a.execute("explain route 'SELECT ''a;b'' FROM t' ON main;").fetchone()))
        assert (r["class"], r["target"]) == ("read", "replica")
        # every replica a read may use (a weighted pick each time): one or both
        assert r["node"] in ("main2", "main3", "main2, main3")
        r = dict(zip(names, a.execute("EXPLAIN ROUTE $$SELECT nextval('s')$$").fetchone()))
        assert (r["class"], r["target"]) == ("write", "primary")
        with pytest.raises(psycopg.errors.UndefinedObject):
            a.execute("EXPLAIN ROUTE 'SELECT 1' ON nosuch")


def test_unknown_command_and_syntax_errors(steer):
    with admin(steer) as a:
        with pytest.raises(psycopg.errors.SyntaxError) as e:
            a.execute("FROBNICATE")
        assert e.value.diag.message_hint == "SHOW HELP lists the commands"
        with pytest.raises(psycopg.errors.SyntaxError):
            a.execute("SHOW NOTHING")
        with pytest.raises(psycopg.errors.SyntaxError):
            a.execute("SET NODE main2 AVAILABILITY sometimes")
        # what psql's \d sends: told that the console is not SQL, and what it takes
        with pytest.raises(psycopg.errors.FeatureNotSupported) as e:
            a.execute("SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "
                      "LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace")
        assert "not SQL" in str(e.value) and "SHOW HELP" in e.value.diag.message_hint
        # the session is still fine; several commands in one Query answer in order
        with a.cursor() as cur:
            cur.execute("SHOW VERSION; SHOW TENANTS")
            assert cur.fetchone()[0].startswith("pgsteer")
            assert cur.nextset() and cur.description[0].name == "tenant"


def test_extended_protocol_refused_session_survives(steer):
    with admin(steer) as a:
        # a query with parameters goes Parse/Bind/Describe/Execute/Sync
        with pytest.raises(psycopg.errors.FeatureNotSupported) as e:
            a.execute("SHOW NODES WHERE x = %s", (1,))
        assert "simple query protocol only" in str(e.value)
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            a.execute("EXPLAIN ROUTE %s", ("SELECT 1",))
        assert a.execute("SHOW VERSION").fetchone()[0].startswith("pgsteer")


def test_non_admin_is_refused(pgsteer):
    p = pgsteer()
    with pytest.raises(pgwire.ServerError) as e:
        pgwire.login(p.port, "bob", dbname="pgsteer")
    assert e.value.sqlstate == "42501"
    with pytest.raises(psycopg.OperationalError, match="not allowed on the pgsteer admin console"):
        admin(p, user="postgres")


def test_stats_user_reads_but_cannot_change(pgsteer):
    p = pgsteer(stats_users="watcher")
    with admin(p, user="watcher") as w:
        assert show(w, "NODES")[0] == COLUMNS["NODES"]
        assert w.execute("EXPLAIN ROUTE 'SELECT 1'").fetchone()[1] == "read"
        for cmd in ("RELOAD", "PAUSE", "RESUME", "SHUTDOWN", "DRAIN NODE main2",
                    "SET NODE main2 AVAILABILITY offline"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                w.execute(cmd)
    assert p.running()


def test_reload_applies_a_new_file_and_refuses_a_broken_one(pgsteer):
    p = pgsteer(workers=1)  # SHOW POOLS' pool_size is per worker (test_workers.py has its own)
    with admin(p) as a:
        text = open(p.config_path).read()
        assert "default_pool_size = 10" in text
        with open(p.config_path, "w") as f:
            f.write(text.replace("default_pool_size = 10", "default_pool_size = 7"))
        a.execute("RELOAD")
        cfg = {(r["section"], r["key"]): r["value"] for r in show(a, "CONFIG")[1]}
        assert cfg[("pgsteer", "default_pool_size")] == "7"
        # a pool created now has the new size
        with p.connect() as c:
            assert scalar(c, "SELECT 1") == 1
        assert all(r["pool_size"] == 7 for r in show(a, "POOLS")[1])
        with open(p.config_path, "w") as f:
            f.write(text.replace("default_pool_size = 10", "default_pool_size = lots"))
        with pytest.raises(psycopg.Error) as e:
            a.execute("RELOAD")
        assert e.value.sqlstate == "F0000"
        # the error itself says what is wrong, FILE:LINE: message
        assert "reload failed: %s:" % p.config_path in str(e.value)
        assert "default_pool_size" in str(e.value), str(e.value)
        cfg = {(r["section"], r["key"]): r["value"] for r in show(a, "CONFIG")[1]}
        assert cfg[("pgsteer", "default_pool_size")] == "7"
    with p.connect() as c:
        assert scalar(c, "SELECT 1") == 1
    # and the process still exits cleanly (under ASan: nothing used after the reload freed it)
    assert p.stop() == 0, p.log()[-3000:]


def test_pause_waits_for_the_running_transaction_then_resume(steer, cluster):
    # every pool exists before PAUSE (see the next test for pools born later)
    seen = set()
    wait_for(lambda: seen.update(read_ports(steer, 10)) or seen == set(cluster.replica_ports),
             10, "reads on both replicas")
    tx = steer.connect(autocommit=False)
    tx.execute("SELECT 1")  # BEGIN: holds a server
    done = threading.Event()
    errors = []

    def do_pause():
        try:
            with admin(steer) as a:
                a.execute("PAUSE")
        except Exception as e:  # reported by the main thread
            errors.append(e)
        done.set()

    with admin(steer) as a:
        t = threading.Thread(target=do_pause)
        t.start()
        assert not done.wait(1.0), "PAUSE returned while a transaction was running"
        assert all(r["paused"] for r in show(a, "POOLS")[1])
        assert show(a, "CLUSTERS")[1][0]["paused"] is True
        tx.commit()
        assert done.wait(10), "PAUSE did not return after the COMMIT"
        t.join()
        assert not errors, errors

        # paused: a new transaction waits ...
        got = []

        def query():
            with steer.connect() as c:
                got.append(scalar(c, "SELECT 42"))
        q = threading.Thread(target=query)
        q.start()
        time.sleep(1.0)
        assert got == [], "a query ran while paused: %r" % (show(a, "POOLS")[1],)
        wait_for(lambda: sum(r["cl_waiting"] for r in show(a, "POOLS")[1]) >= 1, 5,
                 "the client queued in SHOW POOLS")
        # ... until RESUME
        a.execute("RESUME")
        q.join(10)
        assert got == [42]
        assert not any(r["paused"] for r in show(a, "POOLS")[1])
    tx.close()


def test_set_node_availability_moves_reads(steer, cluster):
    main2, main3 = cluster.replica_ports
    with admin(steer) as a:
        a.execute("SET NODE main2 AVAILABILITY offline")
        assert nodes(a)["main2"]["availability"] == "offline"
        assert a.execute("EXPLAIN ROUTE 'SELECT 1'").fetchone()[4] == "main3"
        assert read_ports(steer, 30) == {main3}
        a.execute("SET NODE main2 AVAILABILITY active")
        assert nodes(a)["main2"]["availability"] == "active"
        wait_for(lambda: main2 in read_ports(steer, 20), 10, "reads back on main2")
        with pytest.raises(psycopg.errors.UndefinedObject):
            a.execute("SET NODE nosuch AVAILABILITY offline")


def test_drain_node(steer, cluster):
    main2, main3 = cluster.replica_ports
    with admin(steer) as a:
        a.execute("DRAIN NODE main3")
        n = nodes(a)["main3"]
        assert (n["availability"], n["scheduling"]) == ("offline", "draining")
        assert read_ports(steer, 30) == {main2}
        a.execute("SET NODE main3 AVAILABILITY active")
        n = nodes(a)["main3"]
        assert (n["availability"], n["scheduling"]) == ("active", "active")


def test_psql_prints_show_nodes(steer):
    r = subprocess.run(["/usr/bin/psql", "-X", "-h", "127.0.0.1", "-p", str(steer.port),
                        "-U", "admin", "pgsteer", "-c", "SHOW NODES"],
                       capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, PGCONNECT_TIMEOUT="10"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split("|")[0].strip() == "node"
    assert "main1" in r.stdout and "primary" in r.stdout and "(3 rows)" in r.stdout


def test_shutdown_lets_the_transaction_finish(pgsteer):
    p = pgsteer(shutdown_timeout="20s")
    tx = p.connect(autocommit=False)
    tx.execute("SELECT 1")
    with admin(p) as a:
        a.execute("SHUTDOWN")
    time.sleep(0.5)
    assert p.running(), "exited before the open transaction finished"
    assert not helpers.port_accepts(p.port), "still accepting after SHUTDOWN"
    tx.commit()
    tx.close()
    wait_for(lambda: not p.running(), 10, "pgsteer to exit after the last transaction")


def test_pause_holds_pools_created_while_paused(steer, cluster):
    """A pool that did not exist at PAUSE (here: another user's) is paused as well."""
    with admin(steer) as a:
        got = []

        def query():
            with steer.connect(user="admin_it_other", dbname="postgres") as c:
                got.append(scalar(c, "SELECT 7"))
        with helpers.connect(cluster.port) as p:
            p.execute("DO $$BEGIN CREATE ROLE admin_it_other LOGIN; "
                      "EXCEPTION WHEN duplicate_object THEN NULL; END$$")
        for port in cluster.replica_ports:
            with helpers.connect(port) as r:
                wait_for(lambda: scalar(r, "SELECT count(*) FROM pg_roles WHERE rolname = 'admin_it_other'"),
                         10, "role replicated to %d" % port)
        a.execute("PAUSE main")
        q = threading.Thread(target=query)
        q.start()
        time.sleep(1.0)
        try:
            assert got == [], "a new pool served a query while paused: %r" % (show(a, "POOLS")[1],)
        finally:
            a.execute("RESUME main")
            q.join(10)
        assert got == [7]


def test_wire_level_query_splitting_and_bad_messages(pgsteer):
    """Raw protocol: a Query with several commands stops at the first error;
    extended messages are refused up to Sync; a stray message type is fatal."""
    p = pgsteer()
    sock, _ = pgwire.login(p.port, "admin", dbname="pgsteer")
    try:
        rows, err = pgwire.simple_query(sock, "SHOW VERSION; FROBNICATE; SHOW TENANTS")
        assert rows and rows[0][0].startswith("pgsteer") and len(rows) == 1
        assert err["C"] == "42601" and err["H"] == "SHOW HELP lists the commands"
        rows, err = pgwire.simple_query(sock, "  -- nothing\n; ")
        assert rows == [] and err is None
        # Parse + Bind + Execute + Sync: one error, then ReadyForQuery
        sock.sendall(pgwire.message(b"P", b"\0SHOW VERSION\0\0\0")
                     + pgwire.message(b"B", b"\0\0\0\0\0\0\0\0")
                     + pgwire.message(b"E", b"\0\0\0\0\0")
                     + pgwire.message(b"S"))
        seen = []
        while True:
            t, payload = pgwire.read_message(sock)
            seen.append(t)
            if t == b"E":
                assert pgwire.parse_fields(payload)["C"] == "0A000"
            if t == b"Z":
                break
        assert seen == [b"E", b"Z"]
        rows, err = pgwire.simple_query(sock, "SHOW VERSION")
        assert err is None and rows[0][0].startswith("pgsteer")
        sock.sendall(pgwire.message(b"p", b"password\0"))
        kind, fields = pgwire.error_or_close(sock)
        assert kind == "error" and fields["C"] == "08P01" and fields["S"] == "FATAL"
    finally:
        sock.close()


def test_pause_resume_under_load(steer):
    """8 clients loop over short transactions and reads; PAUSE returns, holds
    them all (nothing completes while paused), RESUME lets them go on, and no
    client sees an error."""
    stop = threading.Event()
    done = [0] * 8
    errors = []

    def worker(i):
        try:
            with steer.connect() as c:
                while not stop.is_set():
                    if i % 2:
                        with c.transaction():
                            c.execute("SELECT pg_sleep(0.01)")
                            c.execute("SELECT 1")
                    else:
                        c.execute("SELECT 1")
                    done[i] += 1
        except Exception as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    try:
        # every pool the workers use exists before PAUSE
        wait_for(lambda: all(n >= 20 for n in done), 15, "the workers running")
        with admin(steer) as a:
            a.execute("PAUSE")
            assert sum(r["sv_active"] for r in show(a, "POOLS")[1]) == 0
            time.sleep(0.3)
            frozen = sum(done)
            time.sleep(0.7)
            assert sum(done) == frozen, "queries completed while paused"
            a.execute("RESUME")
            wait_for(lambda: sum(done) > frozen + 50, 10, "progress after RESUME")
    finally:
        stop.set()
        for t in threads:
            t.join(15)
    assert not errors, errors
