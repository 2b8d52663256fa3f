"""Read/write routing through pgsteer, observed on the servers: the port of
the server that answered (inet_server_port()) and pg_is_in_recovery().
The rules under test are DESIGN.md "Routing rules": writes on the primary,
reads on replicas whose lag was checked, read-your-writes by LSN, BEGIN
READ ONLY on a replica, fallback_ambiguous and its 25006 refusal, comment
hints, and the SQL controls answered by pgsteer itself.
"""
import os
import select
import signal
import threading

import psycopg
import pytest

import helpers
import pgwire
from helpers import scalar, wait_for

pytestmark = pytest.mark.proxy_only

WHO = "SELECT inet_server_port(), pg_is_in_recovery()"


@pytest.fixture
def routed(pgsteer, cluster):
    """pgsteer over the primary and both replicas, waiting until the monitor
    has seen a replica eligible (a read lands on one)."""
    p = pgsteer(extra={"routing": {"check_interval": "50ms", "max_lag": "5s"}})

    def read_on_replica():
        with p.connect() as c:
            return scalar(c, "SELECT pg_is_in_recovery()")
    wait_for(read_on_replica, 15, "a read routed to a replica")
    return p


@pytest.fixture
def table(primary, cluster):
    name = "rt_%d" % os.getpid()
    primary.execute("DROP TABLE IF EXISTS %s" % name)
    primary.execute("CREATE TABLE %s (id int primary key, v text)" % name)
    # the replicas must have the table before the tests read it there
    for port in cluster.replica_ports:
        with cluster.connect(port) as r:
            wait_for(lambda: scalar(r, "SELECT to_regclass(%s) IS NOT NULL", (name,)), 10,
                     "table replicated to %d" % port)
    yield name
    primary.execute("DROP TABLE IF EXISTS %s" % name)


def test_reads_go_to_replicas_writes_to_primary(routed, cluster, table):
    with routed.connect() as c:
        ports = {scalar(c, "SELECT inet_server_port()") for _ in range(20)}
        assert ports <= set(cluster.replica_ports), ports
        assert scalar(c, "SHOW pgsteer.last_route").startswith("replica:")
        c.execute("INSERT INTO %s VALUES (1, 'a')" % table)
        assert scalar(c, "SHOW pgsteer.last_route").startswith("primary:")
        # a data-modifying CTE that returns rows is a write too
        port, rec = c.execute("WITH x AS (INSERT INTO %s VALUES (2, 'b') RETURNING id) "
                              "SELECT inet_server_port(), pg_is_in_recovery() FROM x" % table).fetchone()
        assert port == cluster.port and rec is False


def test_node_local_statistics_come_from_the_primary(routed, cluster):
    """pg_stat_replication, pg_stat_activity, pg_replication_slots ...
    describe the node that answers: through pgsteer, the primary's, every
    time (a replica's pg_stat_replication is empty); a replica hint still
    reaches a replica."""
    with routed.connect() as c:
        for _ in range(10):
            n, port = c.execute("SELECT count(*), inet_server_port() FROM pg_stat_replication").fetchone()
            assert (n, port) == (2, cluster.port)
            assert scalar(c, "SELECT inet_server_port() FROM pg_catalog.pg_stat_activity LIMIT 1") == cluster.port
            assert scalar(c, "SELECT inet_server_port() WHERE (SELECT count(*) FROM pg_stat_user_tables "
                             "WHERE relname NOT IN (SELECT slot_name FROM pg_replication_slots)) >= 0"
                          ) == cluster.port
        assert scalar(c, "SHOW pgsteer.last_route").startswith("primary:")
        assert scalar(c, "/* pgsteer: replica */ SELECT inet_server_port() FROM pg_stat_wal_receiver") \
            in cluster.replica_ports
    with helpers.connect(routed.port, user="admin", dbname="pgsteer") as a:
        cur = a.execute("EXPLAIN ROUTE 'SELECT * FROM pg_stat_replication'")
        r = dict(zip([d.name for d in cur.description], cur.fetchone()))
    assert r["target"] == "primary" and "node-local statistics" in r["route_reason"], r


def test_reads_of_an_unlogged_table_go_to_the_primary(pgsteer, cluster, primary):
    """An unlogged table's rows are the primary's only: a hot standby refuses
    to read it (0A000). pgsteer learns the primary's unlogged tables with
    its catalog (catalog_refresh) and sends the reads that name one to the
    primary; a logged table's reads still go to replicas."""
    name = "ul_%d" % os.getpid()
    primary.execute("DROP TABLE IF EXISTS %s, %s_logged" % (name, name))
    primary.execute("CREATE UNLOGGED TABLE %s (id int primary key, v text)" % name)
    primary.execute("CREATE TABLE %s_logged (id int)" % name)
    primary.execute("INSERT INTO %s VALUES (1, 'a'), (2, 'b')" % name)
    for port in cluster.replica_ports:
        with cluster.connect(port) as r:
            wait_for(lambda: scalar(r, "SELECT to_regclass(%s) IS NOT NULL", (name + "_logged",)), 10,
                     "tables replicated to %d" % port)
    try:
        p = pgsteer(extra={"routing": {"check_interval": "50ms", "max_lag": "5s",
                                       "catalog_refresh": "500ms"}})
        with helpers.connect(p.port, user="admin", dbname="pgsteer") as a:
            wait_for(lambda: "unlogged" in dict(zip(
                [d.name for d in a.execute("EXPLAIN ROUTE 'SELECT * FROM %s'" % name).description],
                a.execute("EXPLAIN ROUTE 'SELECT * FROM %s'" % name).fetchone()))["route_reason"],
                15, "pgsteer to know the unlogged table")
        with p.connect() as c:
            wait_for(lambda: scalar(c, "SELECT pg_is_in_recovery() FROM %s_logged RIGHT JOIN "
                                       "(SELECT 1) one ON true" % name), 15, "a read on a replica")
            for sql in ("SELECT count(*), inet_server_port() FROM %s" % name,
                        "SELECT count(*), inet_server_port() FROM public.%s WHERE id > 0" % name,
                        "WITH x AS (SELECT v FROM %s) SELECT count(*), inet_server_port() FROM x" % name):
                for _ in range(5):
                    assert c.execute(sql).fetchone() == (2, cluster.port), sql
                    assert c.execute(sql + " /* prepared */", prepare=True).fetchone() == \
                        (2, cluster.port), sql
            ports = {scalar(c, "SELECT inet_server_port() FROM %s_logged RIGHT JOIN (SELECT 1) one ON true"
                            % name) for _ in range(10)}
            assert ports <= set(cluster.replica_ports), ports
    finally:
        primary.execute("DROP TABLE IF EXISTS %s, %s_logged" % (name, name))


def test_serializable_default_reads_go_to_the_primary(routed, cluster):
    """A session whose default_transaction_isolation is serializable (from
    its startup options, or SET) cannot run a statement on a hot standby
    (0A000 "cannot use serializable mode in a hot standby"): its reads and
    read-only transactions go to the primary."""
    with routed.connect(options="-c default_transaction_isolation=serializable") as c:
        for _ in range(10):
            assert scalar(c, "SELECT inet_server_port()") == cluster.port
    with routed.connect() as c:
        c.execute("SET default_transaction_isolation = 'serializable'")
        for _ in range(10):
            assert scalar(c, "SELECT inet_server_port()") == cluster.port
        c.execute("BEGIN READ ONLY")
        assert scalar(c, "SELECT inet_server_port()") == cluster.port
        c.execute("COMMIT")
        c.execute("RESET default_transaction_isolation")
        ports = {scalar(c, "SELECT inet_server_port()") for _ in range(10)}
        assert ports <= set(cluster.replica_ports), ports


def test_read_your_writes_by_lsn(routed, cluster, table):
    """Right after a write the same session reads its row, every time."""
    with routed.connect() as c:
        for i in range(50):
            c.execute("INSERT INTO %s VALUES (%d, 'x')" % (table, 100 + i))
            assert scalar(c, "SELECT count(*) FROM %s WHERE id = %d" % (table, 100 + i)) == 1


def test_sticky_session_returns_to_replicas_after_replay(routed, cluster, table):
    with routed.connect() as c:
        c.execute("INSERT INTO %s VALUES (500, 'y')" % table)
        # once the replicas have replayed the write, reads go back to them
        wait_for(lambda: scalar(c, "SELECT pg_is_in_recovery()"), 10, "reads back on a replica")


def test_select_for_update_and_volatile_functions_go_to_primary(routed, cluster, table):
    with routed.connect() as c:
        c.execute("INSERT INTO %s VALUES (7, 'z')" % table)
        assert c.execute("SELECT inet_server_port() FROM %s WHERE id = 7 FOR UPDATE" % table
                         ).fetchone()[0] == cluster.port
        c.execute("CREATE SEQUENCE IF NOT EXISTS rt_seq")
        # nextval writes: it would fail on a replica, so it must reach the primary
        assert c.execute("SELECT nextval('rt_seq'), inet_server_port()").fetchone()[1] == cluster.port


def test_controls_use_primary_and_show(routed, cluster):
    with routed.connect() as c:
        assert scalar(c, "SHOW pgsteer.use_primary") == "off"
        c.execute("SET pgsteer.use_primary = on")
        assert scalar(c, "SHOW pgsteer.use_primary") == "on"
        assert scalar(c, "SELECT inet_server_port()") == cluster.port
        assert scalar(c, "SHOW pgsteer.last_route").startswith("primary:")
        c.execute("RESET pgsteer.use_primary")
        wait_for(lambda: scalar(c, "SELECT pg_is_in_recovery()"), 5, "read on a replica after RESET")
        with pytest.raises(psycopg.errors.UndefinedObject):
            c.execute("SET pgsteer.no_such_thing = 1")
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            c.execute("SET pgsteer.use_primary = maybe")


def test_controls_over_extended_protocol(routed, cluster):
    """psycopg with parameters uses Parse/Bind/Execute: controls still answered locally."""
    with routed.connect() as c:
        c.execute("SET pgsteer.use_primary = on", prepare=False)
        cur = c.execute("SELECT inet_server_port() WHERE %s", (True,))
        assert cur.fetchone()[0] == cluster.port
        c.execute("SET pgsteer.use_primary = off")


def test_comment_hints(routed, cluster):
    with routed.connect() as c:
        assert scalar(c, "/* pgsteer: primary */ SELECT inet_server_port()") == cluster.port
        # an unknown function is ambiguous: primary, unless the hint allows a replica
        c.execute("CREATE OR REPLACE FUNCTION rt_f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
        wait_for(lambda: scalar(c, "/* pgsteer: replica */ SELECT rt_f(), pg_is_in_recovery()"
                                ) is not None, 10, "function replicated")
        assert c.execute("SELECT rt_f(), inet_server_port()").fetchone()[1] == cluster.port
        ports = {c.execute("/* pgsteer: replica */ SELECT rt_f(), inet_server_port()").fetchone()[1]
                 for _ in range(5)}
        assert ports <= set(cluster.replica_ports), ports


def test_begin_read_only_runs_on_a_replica(routed, cluster):
    with routed.connect() as c:
        c.execute("BEGIN READ ONLY")
        assert scalar(c, "SELECT pg_is_in_recovery()") is True
        port = scalar(c, "SELECT inet_server_port()")
        assert scalar(c, "SELECT inet_server_port()") == port  # the whole transaction, one server
        c.execute("COMMIT")
        c.execute("BEGIN")
        assert scalar(c, "SELECT inet_server_port()") == cluster.port
        c.execute("COMMIT")


def test_fallback_ambiguous_transaction_refuses_writes_with_25006(routed, cluster, table, primary):
    with routed.connect() as c:
        c.execute("SET pgsteer.fallback_ambiguous = on")
        c.execute("BEGIN")
        assert scalar(c, "SELECT pg_is_in_recovery()") is True
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction) as ei:
            c.execute("INSERT INTO %s VALUES (900, 'no')" % table)
        assert "replica" in str(ei.value)
        c.execute("ROLLBACK")
    assert scalar(primary, "SELECT count(*) FROM %s WHERE id = 900" % table) == 0


def test_pipelined_write_after_read_goes_to_primary(routed, cluster, table, primary):
    """A write sent right behind a read (no wait in between) must not reach the replica."""
    with routed.connect() as c:
        with c.pipeline():
            r1 = c.execute("SELECT pg_is_in_recovery()")
            c.execute("INSERT INTO %s VALUES (901, 'p')" % table)
            r3 = c.execute("SELECT count(*) FROM %s WHERE id = 901" % table)
        r1.fetchone()
        assert r3.fetchone()[0] == 1
    assert scalar(primary, "SELECT count(*) FROM %s WHERE id = 901" % table) == 1


def test_no_write_reaches_a_replica_under_concurrency(routed, cluster, table, primary):
    """Many sessions mixing writes and reads: every acknowledged row is on the primary,
    and every read-after-write saw its row."""
    errors = []

    def worker(k):
        try:
            with routed.connect() as c:
                for i in range(30):
                    key = 10000 + k * 100 + i
                    c.execute("INSERT INTO %s VALUES (%d, 'c')" % (table, key))
                    if scalar(c, "SELECT count(*) FROM %s WHERE id = %d" % (table, key)) != 1:
                        errors.append("row %d not visible to its writer" % key)
        except Exception as e:  # collected and asserted below
            errors.append(repr(e))
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:5]
    assert scalar(primary, "SELECT count(*) FROM %s WHERE id >= 10000" % table) == 8 * 30


def test_sticky_key_shares_read_your_writes_across_connections(routed, cluster, table):
    """Two connections with the same pgsteer.sticky_key: a write through one is
    visible to an immediate read through the other."""
    with routed.connect() as writer, routed.connect() as reader:
        writer.execute("SET pgsteer.sticky_key = 'user-42'")
        reader.execute("SET pgsteer.sticky_key = 'user-42'")
        assert scalar(reader, "SHOW pgsteer.sticky_key") == "user-42"
        for i in range(30):
            writer.execute("INSERT INTO %s VALUES (%d, 'k')" % (table, 2000 + i))
            assert scalar(reader, "SELECT count(*) FROM %s WHERE id = %d" % (table, 2000 + i)) == 1


@pytest.fixture
def routed_session(pgsteer, cluster):
    p = pgsteer(pool_mode="session", extra={"routing": {"check_interval": "50ms"}})
    def read_on_replica():
        with p.connect() as c:
            return scalar(c, "SELECT pg_is_in_recovery()")
    wait_for(read_on_replica, 15, "a read routed to a replica in session mode")
    return p


def test_session_mode_routes_with_one_primary_and_one_replica(routed_session, cluster, table):
    with routed_session.connect() as c:
        primary_pids, replica_pids = set(), set()
        for i in range(10):
            c.execute("INSERT INTO %s VALUES (%d, 's')" % (table, 3000 + i))
            primary_pids.add(scalar(c, "/* pgsteer: primary */ SELECT pg_backend_pid()"))
        wait_for(lambda: scalar(c, "SELECT pg_is_in_recovery()"), 10, "reads back on a replica")
        for _ in range(10):
            pid, rec = c.execute("SELECT pg_backend_pid(), pg_is_in_recovery()").fetchone()
            if rec:
                replica_pids.add(pid)
        # the session holds at most one primary and one replica connection
        assert len(primary_pids) == 1, primary_pids
        assert len(replica_pids) == 1, replica_pids


def test_session_mode_listen_pins_to_primary(routed_session, cluster, primary):
    with routed_session.connect() as c:
        c.execute("LISTEN rt_chan")
        for _ in range(5):
            assert scalar(c, "SELECT inet_server_port()") == cluster.port
        got = []
        c.add_notify_handler(lambda n: got.append(n.payload))
        primary.execute("NOTIFY rt_chan, 'hello'")
        # psycopg delivers notifications when it next reads from the socket
        wait_for(lambda: c.execute("SELECT 1") and got, 5, "the notification")
        assert got == ["hello"]


def test_reload_reclassifies_a_repeated_parse(routed, cluster):
    """An extended-protocol Parse's classification is cached by its text; a
    reload that changes the patterns must route the same text anew."""
    sql = "SELECT inet_server_port(), pg_is_in_recovery(), %s::int /* cache_probe */"
    with routed.connect() as c:
        for i in range(10):  # the same Parse text each time (values in Bind)
            port, rec, _ = c.execute(sql, (i,), prepare=False).fetchone()
            assert rec is True and port in cluster.replica_ports
        text = open(routed.config_path).read()
        assert "check_interval = 50ms" in text
        open(routed.config_path, "w").write(
            text.replace("check_interval = 50ms", "check_interval = 50ms\nprimary_patterns = cache_probe", 1))
        routed.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "configuration reloaded" in routed.log(), 10, "reload log line")
        for i in range(10):
            port, rec, _ = c.execute(sql, (i,), prepare=False).fetchone()
            assert (port, rec) == (cluster.port, False)


def test_a_client_that_leaves_a_replica_queue_leaves_no_count_behind(pgsteer, cluster, primary):
    """A read queued for a busy replica's pool, then cancelled: the replica's
    queue forgets it and the primary's count is untouched. (The
    count was once taken off the client's primary pool instead: SHOW POOLS
    showed a ghost waiter on the replica and -1 on the primary; the replica
    then opened connections for nobody, up to one at shutdown that valgrind
    found leaked, and the primary opened none for its next waiting client.)"""
    p = pgsteer(default_pool_size=1, workers=1,
                extra={"routing": {"check_interval": "50ms", "max_lag": "5s"}})
    wait_for(lambda: all(r["up"] for r in helpers.admin_rows(p, "SHOW NODES")), 15,
             "every node up")

    def waiting():
        return [r for r in helpers.admin_rows(p, "SHOW POOLS") if r["cl_waiting"]]

    def queued():  # behind a busy connection, not one logging in for the client
        return [r for r in waiting() if r["sv_active"] and not r["sv_login"]]
    socks = []
    try:
        # read-only transactions until one queues: each holds a replica's only connection
        for _ in range(len(cluster.replica_ports) + 1):
            sock, key = pgwire.login(p.port, helpers.SUPERUSER)
            socks.append(sock)
            sock.sendall(pgwire.message(b"Q", b"BEGIN READ ONLY; SELECT pg_is_in_recovery()\0"))
            wait_for(lambda: queued() or select.select([sock], [], [], 0)[0], 10,
                     "a server or a place in a queue")
            if queued():
                break
            rows, err = pgwire.read_result(sock)
            assert (rows, err) == ([["t"]], None)
        rows = queued()
        assert [r["cl_waiting"] for r in rows] == [1] and len(waiting()) == 1, rows
        assert rows[0]["node"] != "main1", rows  # a replica's queue (main1 is the primary)
        pgwire.send_cancel(p.port, key)
        rows, err = pgwire.read_result(sock)
        assert err["C"] == "57014", err
        assert waiting() == []
        for holder in socks[:-1]:
            pgwire.simple_query(holder, "COMMIT")
        assert pgwire.simple_query(sock, "SELECT 1") == ([["1"]], None)  # the session goes on
    finally:
        for sock in socks:
            sock.close()
    rc = p.stop()
    p.assert_clean_exit(rc)
