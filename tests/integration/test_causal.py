"""Causal reads (doc/routing.md, "Causal reads"): a session that wrote may
read from a replica that has not yet been seen at its write's position,
once that replica has shown, on the same server connection, that it
replayed it (within causal_read_timeout); otherwise the read goes to the
primary. Never a stale read.

The sessions here SET synchronous_commit = on (the test cluster runs with
it off, which leaves WAL unflushed, and so unreplicated, for up to
wal_writer_delay): with it, a streaming replica on this machine replays a
commit within about a millisecond.
"""
import contextlib
import os
import re
import signal
import subprocess
import threading
import time

import psycopg
import pytest
from psycopg_pool import ConnectionPool

import helpers
import pgwire
from helpers import scalar, wait_for

TABLE = "causal_rows"


def table_on_replicas(cluster, table):
    """Poll until TABLE exists on every replica."""
    for port in cluster.replica_ports:
        with cluster.connect(port) as r:
            wait_for(lambda: scalar(r, "SELECT to_regclass(%s) IS NOT NULL", (table,)), 15,
                     "table %s on the replica on %d" % (table, port))


@pytest.fixture
def causal_table(cluster):
    with cluster.connect() as c:
        c.execute("DROP TABLE IF EXISTS %s" % TABLE)
        c.execute("CREATE TABLE %s (id bigint PRIMARY KEY, v text)" % TABLE)
    table_on_replicas(cluster, TABLE)
    yield TABLE
    with cluster.connect() as c:
        c.execute("DROP TABLE IF EXISTS %s" % TABLE)


@contextlib.contextmanager
def paused_replay(pgsteer, cluster, **routing):
    """pgsteer with causal reads (20 ms, max_lag far away; ROUTING adds
    [routing] keys), reads checked on both replicas, then both replicas'
    replay paused until the end."""
    p = pgsteer(extra={"routing": dict({"causal_read_timeout": "20ms", "max_lag": "60s"}, **routing)})
    helpers.wait_reads_on_both_replicas(p, cluster)
    replicas = [cluster.connect(port) for port in cluster.replica_ports]
    try:
        for r in replicas:
            r.execute("SELECT pg_wal_replay_pause()")
        yield p
    finally:
        for r in replicas:
            r.execute("SELECT pg_wal_replay_resume()")
            r.close()


def session(p, **kw):
    c = p.connect(**kw)
    c.execute("SET synchronous_commit = on")
    return c


def write_then_read(c, ident):
    """Insert IDENT, read it back: (rows seen, the port that answered the read)."""
    c.execute("INSERT INTO %s VALUES (%%s, 'x')" % TABLE, [ident])
    return c.execute("SELECT count(*), inet_server_port() FROM %s WHERE id = %%s" % TABLE,
                     [ident]).fetchone()


@pytest.mark.parametrize("prepare", [False, True], ids=["simple", "prepared"])
def test_reads_after_writes_go_to_replicas_never_stale(pgsteer, cluster, causal_table, prepare):
    p = pgsteer(extra={"routing": {"causal_read_timeout": "50ms"}})
    helpers.wait_reads_on_both_replicas(p, cluster)
    results, errors = [], []

    def worker(base):
        try:
            with session(p) as c:
                c.prepare_threshold = 0 if prepare else None
                for i in range(150):
                    results.append(write_then_read(c, base + i))
        except Exception as e:
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(k * 100000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    stale = [r for r in results if r[0] != 1]
    on_replicas = sum(1 for r in results if r[1] in cluster.replica_ports)
    share = on_replicas / len(results)
    print("\ncausal (%s): %d reads right after their writes, %.0f%% on replicas, %d stale"
          % ("prepared" if prepare else "simple", len(results), 100 * share, len(stale)))
    assert not stale, "stale reads: %s" % stale[:5]
    assert share >= 0.5, "only %.0f%% of the reads on replicas" % (100 * share)


def test_paused_replay_sends_the_read_to_the_primary(pgsteer, cluster, causal_table):
    """Both replicas stop replaying: a read right after a write waits at most
    causal_read_timeout on a replica, then runs on the primary and sees the
    row (a test that fails if the wait is skipped: the replica would answer
    0 rows)."""
    with paused_replay(pgsteer, cluster) as p, session(p) as c:
        for i in range(20):
            seen, port = write_then_read(c, 900000 + i)
            assert seen == 1, "a stale read from %d" % port
            assert port == cluster.port, "read from %d while replay is paused" % port
        assert "primary" in scalar(c, "SHOW pgsteer.last_route")
    assert "causal read: replay not there" in p.log()


def replica_pids(cluster, node):
    """The postmaster of NODE (replica1, replica2) and all its children."""
    with open(os.path.join(cluster.dir, node, "postmaster.pid")) as f:
        pm = int(f.readline())
    out = subprocess.run(["pgrep", "-P", str(pm)], capture_output=True, text=True).stdout
    return [pm] + [int(x) for x in out.split()]


def test_frozen_replicas_send_the_read_to_the_primary(pgsteer, cluster, causal_table):
    """Both replicas frozen (SIGSTOP: the kernel still accepts the bytes,
    nobody answers) while the monitor still vouches for them (long health
    timeout, large max_lag): a read right after a write must not wait for
    the monitor to notice. Its causal check goes unanswered, and about
    100 ms past causal_read_timeout the read runs on the primary and sees
    the row. Before, it waited for the monitor (here 30 s)."""
    p = pgsteer(extra={"routing": {"causal_read_timeout": "20ms", "max_lag": "60s",
                                   "health_check_timeout": "30s"}})
    helpers.wait_reads_on_both_replicas(p, cluster)
    results, errors, took = [], [], []
    with session(p) as c:
        pids = replica_pids(cluster, "replica1") + replica_pids(cluster, "replica2")

        def run():
            try:
                for i in range(5):
                    t0 = time.monotonic()
                    results.append(write_then_read(c, 700000 + i))
                    took.append(time.monotonic() - t0)
            except Exception as e:
                errors.append(e)
        try:
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            t = threading.Thread(target=run)
            t.start()
            t.join(10)
            hung = t.is_alive()
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        t.join(60)
    assert not hung, "reads after writes still waiting on frozen replicas after 10 s"
    assert not errors, errors
    print("\nfrozen replicas: write + read took %s s" % ", ".join("%.3f" % x for x in took))
    assert all(r == (1, cluster.port) for r in results), results
    # the check on a pooled connection went unanswered, or (a worker with no
    # idle connection there) no new connection logged in: either way it gave up
    log = p.log()
    assert ("did not answer a causal check" in log or
            "for a causal read: the read goes elsewhere" in log), log[-2000:]


def test_last_route_shows_the_wait(pgsteer, cluster, causal_table):
    p = pgsteer(extra={"routing": {"causal_read_timeout": "200ms"}})
    helpers.wait_reads_on_both_replicas(p, cluster)
    route = None
    with session(p) as c:
        for i in range(30):
            seen, port = write_then_read(c, 800000 + i)
            assert seen == 1
            route = scalar(c, "SHOW pgsteer.last_route")
            if port in cluster.replica_ports and "causal" in route:
                assert route.startswith("replica:main") and "waited" in route, route
                return
    pytest.fail("no read after a write waited on a replica in 30 tries (last route %r)" % route)


@contextlib.contextmanager
def statement_log(cluster, nodes=("replica1", "replica2")):
    """Until the end, NODES (of primary, replica1, replica2) log every
    statement with its backend and virtual transaction id; yields a
    function that returns the (pid, vxid, message) of the lines logged
    since, on any of them."""
    ports = {"primary": cluster.port, "replica1": cluster.replica_ports[0],
             "replica2": cluster.replica_ports[1]}
    starts = {n: len(cluster.log(n)) for n in nodes}
    servers = [cluster.connect(ports[n]) for n in nodes]
    try:
        for r in servers:
            r.execute("ALTER SYSTEM SET log_line_prefix = '%m [%p] vxid=%v '")
            r.execute("ALTER SYSTEM SET log_statement = 'all'")
            r.execute("SELECT pg_reload_conf()")
        for n in nodes:
            with cluster.connect(ports[n]) as r:
                wait_for(lambda: scalar(r, "SHOW log_statement") == "all", 15,
                         "log_statement = all on %s" % n)

        def lines():
            out = []
            for n in nodes:
                for line in cluster.log(n)[starts[n]:].splitlines():
                    m = re.search(r"\[(\d+)\] vxid=(\S+) LOG:  (.*)", line)
                    if m:
                        out.append((m.group(1), m.group(2), m.group(3)))
            return out
        yield lines
    finally:
        for r in servers:
            r.execute("ALTER SYSTEM RESET log_line_prefix")
            r.execute("ALTER SYSTEM RESET log_statement")
            r.execute("SELECT pg_reload_conf()")
            r.close()


def check_and_read_transactions(lines, marker):
    """The vxids of the causal check logged last before the read tagged
    MARKER on the same replica backend, and of that read; None if none."""
    check = None
    for pid, vxid, msg in lines:
        if "pg_last_wal_replay_lsn()" in msg and "execute" in msg:
            check = (pid, vxid)
        elif marker in msg and msg.startswith(("execute", "statement")):
            if check and check[0] == pid:
                return check[1], vxid
            return None
    return None


def causal_reads(c, base, client_cursor=False, extra=""):
    """Write then read, 30 times: [(marker, answering port, route)] of the
    reads, each tagged with a marker comment (and EXTRA in its WHERE)."""
    waited = []
    cur = psycopg.ClientCursor(c) if client_cursor else c.cursor()
    for i in range(30):
        marker = "merge%d" % (base + i)
        c.execute("INSERT INTO %s VALUES (%%s, 'x')" % TABLE, [base + i])
        seen, port = cur.execute("SELECT count(*), inet_server_port() FROM %s WHERE id = %%s%s /* %s */"
                                 % (TABLE, extra, marker), [base + i]).fetchone()
        assert seen == 1, "a stale read from %d" % port
        route = scalar(c, "SHOW pgsteer.last_route")
        waited.append((marker, port, route))
    return waited


def test_a_causal_check_shares_the_transaction_of_its_read(pgsteer, cluster, causal_table):
    """A read sent right behind its causal check shares the check's Sync:
    the replica runs both in one transaction (one command cycle less). An
    extended-protocol read does as it is; a Query (the simple protocol)
    goes as an extended batch when it is one statement that returns rows
    and holds no parameter symbol; another Query (here one with a "$" in
    it) keeps a check that is a transaction of its own. Observed in the
    replicas' own statement log (%v, the virtual transaction id)."""
    p = pgsteer(extra={"routing": {"causal_read_timeout": "200ms"}})
    helpers.wait_reads_on_both_replicas(p, cluster)
    with statement_log(cluster) as lines, session(p) as c:
        extended = [w for w in causal_reads(c, 500000) if "waited" in w[2]]
        simple = [w for w in causal_reads(c, 510000, client_cursor=True) if "waited" in w[2]]
        dollar = [w for w in causal_reads(c, 515000, client_cursor=True, extra=" AND '$1' <> ''")
                  if "waited" in w[2]]
        assert extended and simple and dollar, "no read waited on a replica (%d, %d, %d)" % (
            len(extended), len(simple), len(dollar))
        logged = wait_for(lambda: (lambda ls: ls if all(
            check_and_read_transactions(ls, m) for m, _, _ in extended + simple + dollar) else None)(
                lines()), 15, "the replicas' log of the checks and reads")
        for kind, reads, shared in (("extended", extended, True), ("simple", simple, True),
                                    ("simple with $", dollar, False)):
            for marker, port, route in reads:
                check, read = check_and_read_transactions(logged, marker)
                assert (check == read) == shared, "%s read %s: check in %s, read in %s" % (
                    kind, marker, check, read)


def test_a_query_sent_as_a_batch_answers_as_a_query(pgsteer, cluster, causal_table):
    """What a Query sent behind a shared check gets is what a Query gets:
    its rows and their description, an error (and the session goes on),
    SHOW, EXPLAIN; never a ParseComplete or BindComplete its driver would
    not expect. Each kind is tried until one ran behind a check that
    waited on a replica."""
    p = pgsteer(extra={"routing": {"causal_read_timeout": "200ms"}})
    helpers.wait_reads_on_both_replicas(p, cluster)
    kinds = {
        "rows": ("SELECT id, v FROM %s WHERE id = {id}" % TABLE,
                 lambda cur, ident: cur.fetchall() == [(ident, "x")] and
                 [d.name for d in cur.description] == ["id", "v"]),
        "show": ("SHOW transaction_isolation", lambda cur, ident: cur.fetchone() == ("read committed",)),
        "explain": ("EXPLAIN SELECT v FROM %s WHERE id = {id}" % TABLE,
                    lambda cur, ident: "Scan" in "".join(r[0] for r in cur.fetchall())),
        "error": ("SELECT 1 / (count(*) - count(*)) FROM %s WHERE id = {id}" % TABLE, None),
    }
    with session(p) as c:
        cur = psycopg.ClientCursor(c)
        ident = 540000
        for kind, (sql, ok) in kinds.items():
            for _ in range(30):
                ident += 1
                c.execute("INSERT INTO %s VALUES (%%s, 'x')" % TABLE, [ident])
                if ok is None:
                    with pytest.raises(psycopg.errors.DivisionByZero):
                        cur.execute(sql.format(id=ident))
                else:
                    cur.execute(sql.format(id=ident))
                    assert ok(cur, ident), "%s: %r" % (kind, sql)
                route = scalar(c, "SHOW pgsteer.last_route")
                if "waited" in route:
                    break
            else:
                pytest.fail("%s: no read waited on a replica in 30 tries (last route %r)" % (kind, route))
            assert scalar(c, "SELECT count(*) FROM %s WHERE id = %%s" % TABLE, [ident]) == 1


def test_a_causal_check_takes_its_own_transaction_above_read_committed(pgsteer, cluster, causal_table,
                                                                       rr_user):
    """At repeatable read a transaction's snapshot is its first statement's:
    a read sharing the check's transaction would see the data as of
    before the check read the replay position, which may be stale. A
    role whose default_transaction_isolation pgsteer cannot see (ALTER
    ROLE ... SET) makes the shared check say its transaction is not read
    committed: that read goes to the primary, and the session's later
    checks take a transaction of their own. No replica-answered read ever shared its check's
    transaction."""
    p = pgsteer(extra={"routing": {"causal_read_timeout": "200ms"}})
    helpers.wait_reads_on_both_replicas(p, cluster)
    with statement_log(cluster) as lines, session(p, user=rr_user) as c:
        assert scalar(c, "SHOW transaction_isolation") == "repeatable read"
        reads = causal_reads(c, 520000)
        on_replicas = [w for w in reads if w[1] in cluster.replica_ports and "waited" in w[2]]
        assert on_replicas, "no read waited on a replica: %s" % reads[:3]
        logged = wait_for(lambda: (lambda ls: ls if all(
            check_and_read_transactions(ls, m) for m, _, _ in on_replicas) else None)(lines()),
            15, "the replicas' log of the checks and reads")
        for marker, port, route in on_replicas:
            check, read = check_and_read_transactions(logged, marker)
            assert check != read, "read %s answered by %d shared its check's transaction %s" % (
                marker, port, check)


@pytest.fixture
def rr_user(cluster, causal_table):
    """A login role at repeatable read by its own default (ALTER ROLE ... SET)."""
    with cluster.connect() as c:
        c.execute("DROP ROLE IF EXISTS causal_rr")
        c.execute("CREATE ROLE causal_rr LOGIN")
        c.execute("ALTER ROLE causal_rr SET default_transaction_isolation = 'repeatable read'")
        c.execute("GRANT SELECT, INSERT ON %s TO causal_rr" % causal_table)
    for port in cluster.replica_ports:
        with cluster.connect(port) as r:
            wait_for(lambda: scalar(r, "SELECT has_table_privilege('causal_rr', %s, 'SELECT')",
                                    (causal_table,)), 15, "the grant on a replica")
    yield "causal_rr"
    with cluster.connect() as c:
        c.execute("DROP OWNED BY causal_rr")
        c.execute("DROP ROLE causal_rr")


def test_asynchronous_commit_takes_no_causal_wait(pgsteer, cluster, causal_table):
    """A write committed with synchronous_commit = off (the test cluster's
    setting) reaches the replicas only when the WAL writer flushes it, up
    to wal_writer_delay later: waiting on a replica for it would only use
    up causal_read_timeout. Its reads go to the primary at once (or to a
    replica the monitor has seen past it), never stale and never waiting."""
    p = pgsteer(extra={"routing": {"causal_read_timeout": "2s"}})
    helpers.wait_reads_on_both_replicas(p, cluster)
    with p.connect() as c:
        assert scalar(c, "SHOW synchronous_commit") == "off"
        for i in range(10):
            seen, port = write_then_read(c, 700000 + i)
            assert seen == 1, "a stale read from %d" % port
            route = scalar(c, "SHOW pgsteer.last_route")
            assert "causal" not in route, route
    assert "causal read" not in p.log()


def test_set_local_asynchronous_commit_takes_no_causal_wait(pgsteer, cluster, causal_table):
    """The same for a transaction that turns synchronous_commit off for
    itself only (SET LOCAL): the LSN probe after it reads the session's
    setting, back to on by then, so pgsteer must remember the SET LOCAL."""
    p = pgsteer(extra={"routing": {"causal_read_timeout": "2s"}})
    helpers.wait_reads_on_both_replicas(p, cluster)
    with p.connect() as c:
        c.execute("SET synchronous_commit = on")
        for i in range(10):
            with c.transaction():
                c.execute("SET LOCAL synchronous_commit = 'off'")
                c.execute("INSERT INTO %s VALUES (%%s, 'x')" % TABLE, [710000 + i])
            seen, port = c.execute("SELECT count(*), inet_server_port() FROM %s WHERE id = %%s" % TABLE,
                                   [710000 + i]).fetchone()
            assert seen == 1, "a stale read from %d" % port
            route = scalar(c, "SHOW pgsteer.last_route")
            assert "causal" not in route, route
        # the session's own setting is on again: its next write's reads may wait on a replica
        assert scalar(c, "SHOW synchronous_commit") == "on"
    assert "causal read" not in p.log()


def test_causal_off_keeps_reads_after_writes_on_the_primary(pgsteer, cluster, causal_table):
    """causal_read_timeout = 0 is the old behaviour: until the monitor sees a
    replica past the session's write, its reads go to the primary."""
    p = pgsteer(extra={"routing": {"causal_read_timeout": "0", "check_interval": "2s"}})
    helpers.wait_reads_on_both_replicas(p, cluster, timeout=30)
    with session(p) as c:
        ports = [write_then_read(c, 600000 + i)[1] for i in range(20)]
    assert ports.count(cluster.port) >= 15, ports


@pytest.mark.parametrize("pool_mode", ["transaction", "session"])
def test_ddl_is_seen_by_every_session(pgsteer, cluster, pool_mode):
    """DDL committed through pgsteer on one connection: another
    connection's reads that use the new table or column never run on a
    replica that has not replayed it (42P01 / 42703 there). The replicas'
    replay is paused, so a read that skipped the wait fails every time;
    the reads go to the primary instead, and back to the replicas once
    they have replayed the DDL."""
    p = pgsteer(pool_mode=pool_mode, log_level="debug",
                extra={"routing": {"causal_read_timeout": "20ms", "max_lag": "60s"}})
    replicas = [cluster.connect(port) for port in cluster.replica_ports]
    writer, reader = p.connect(), p.connect()
    writer.execute("DROP SCHEMA IF EXISTS ddl_barrier CASCADE")
    try:
        writer.execute("CREATE SCHEMA ddl_barrier")
        for r in replicas:
            wait_for(lambda: scalar(r, "SELECT to_regnamespace('ddl_barrier') IS NOT NULL"), 15,
                     "the schema on the replica")
        wait_for(lambda: scalar(reader, "SELECT inet_server_port()") in cluster.replica_ports,
                 15, "reads on a replica")
        for r in replicas:
            r.execute("SELECT pg_wal_replay_pause()")
        for i in range(5):
            writer.execute("CREATE TABLE ddl_barrier.t%d (id int)" % i)
            assert scalar(reader, "SELECT inet_server_port() FROM (SELECT count(*) "
                                  "FROM ddl_barrier.t%d) x" % i) == cluster.port
            writer.execute("ALTER TABLE ddl_barrier.t%d ADD COLUMN c int" % i)
            assert scalar(reader, "SELECT inet_server_port() FROM (SELECT count(c) "
                                  "FROM ddl_barrier.t%d) x" % i) == cluster.port
    finally:
        for r in replicas:
            r.execute("SELECT pg_wal_replay_resume()")
    try:
        # replayed: reads of the new column come back to the replicas
        wait_for(lambda: scalar(reader, "SELECT inet_server_port() FROM (SELECT count(c) "
                                        "FROM ddl_barrier.t4) x") in cluster.replica_ports,
                 15, "reads back on the replicas")
    finally:
        writer.execute("DROP SCHEMA ddl_barrier CASCADE")
        for x in [writer, reader] + replicas:
            x.close()
    log = p.log()
    assert "reads of every session wait for it" in log
    assert "DDL committed: until a replica replays" in log


@pytest.mark.parametrize("protocol", ["simple", "extended"])
def test_a_long_read_dropped_on_a_replica_is_not_waited_for_nor_run_after_a_cancel(
        pgsteer, cluster, causal_table, protocol):
    """A read after a write goes to a replica right behind its causal
    check; the check fails (replay paused) while the statement, a long one,
    runs there. The client does not wait for that run to end before the
    primary runs it (it is cancelled on the replica), and a cancel the
    client sends meanwhile cancels the statement: it fails with 57014
    instead of running again on the primary. The check answers at once
    even when it shares the statement's transaction (an extended batch, or
    a Query sent as one)."""
    def sql(text, value):
        return (text % value, None) if protocol == "simple" else (text % "%s", [value])
    with paused_replay(pgsteer, cluster) as p, session(p) as c:
        c.execute("INSERT INTO %s VALUES (1, 'x')" % TABLE)
        t0 = time.monotonic()
        port = scalar(c, *sql("SELECT inet_server_port() FROM pg_sleep(%s)", 1.5))
        took = time.monotonic() - t0
        assert port == cluster.port
        # it ran once on the primary, after at most the stall bound on the replica
        assert took < 2.6, "the read took %.2fs: it waited for its dropped run" % took

        c.execute("INSERT INTO %s VALUES (2, 'x')" % TABLE)
        timer = threading.Timer(0.05, c.cancel)
        t0 = time.monotonic()
        timer.start()
        with pytest.raises(psycopg.errors.QueryCanceled):
            c.execute(*sql("SELECT pg_sleep(%s)", 3))
        took = time.monotonic() - t0
        timer.join()
        assert took < 1.5, "the cancelled read took %.2fs" % took
        assert scalar(c, "SELECT count(*) FROM %s" % TABLE) == 2     # usable
    log = p.log()
    print("\nlong dropped read: %.2fs; log has the stall: %s" % (took, "still runs after" in log))


OTHER_USER = "causal_other"


@pytest.fixture
def other_user(cluster, causal_table):
    """A second login role that may read the table, on the replicas too."""
    with cluster.connect() as c:
        c.execute("DROP ROLE IF EXISTS %s" % OTHER_USER)
        c.execute("CREATE ROLE %s LOGIN" % OTHER_USER)
        c.execute("GRANT SELECT ON %s TO %s" % (causal_table, OTHER_USER))
    for port in cluster.replica_ports:
        with cluster.connect(port) as r:
            wait_for(lambda: scalar(r, "SELECT has_table_privilege(%s, %s, 'SELECT')",
                                    (OTHER_USER, causal_table)), 15, "the grant on a replica")
    yield OTHER_USER
    with cluster.connect() as c:
        c.execute("DROP OWNED BY %s" % OTHER_USER)
        c.execute("DROP ROLE %s" % OTHER_USER)


@pytest.mark.parametrize("scope", ["session", "user"])
def test_read_your_writes_scope_user_covers_a_connection_pool(pgsteer, cluster, causal_table,
                                                              other_user, scope):
    """read_your_writes_scope = user: psycopg_pool hands its connections out
    in turn, so a write and the read after it run on two connections; the
    read sees the write although both replicas' replay is paused. Another
    user's reads do not wait for it. With the default (session), the same
    read is answered by a paused replica and misses the row: what the
    setting is for."""
    extra = {"read_your_writes_scope": scope} if scope == "user" else {}
    with paused_replay(pgsteer, cluster, **extra) as p:
        with ConnectionPool(p.dsn(), min_size=4, max_size=4, open=True,
                            kwargs={"autocommit": True}) as pool:
            pool.wait()
            for i in range(5):
                ident = 7000 + i
                with pool.connection() as c:
                    c.execute("SET synchronous_commit = on")
                    c.execute("INSERT INTO %s VALUES (%%s, 'x')" % TABLE, [ident])
                    writer = c.info.backend_pid
                with pool.connection() as c:
                    assert c.info.backend_pid != writer, "the pool gave the same connection back"
                    seen, port = c.execute("SELECT count(*), inet_server_port() FROM %s WHERE id = %%s"
                                           % TABLE, [ident]).fetchone()
                if scope == "user":
                    assert (seen, port) == (1, cluster.port), "write %d not seen by the pool" % i
                else:
                    assert seen == 0 and port in cluster.replica_ports, \
                        "session scope: the read should have gone to a paused replica"
        # another user shares nothing: its reads stay on the (paused) replicas
        with p.connect(user=other_user) as o:
            ports = {scalar(o, "SELECT inet_server_port() FROM (SELECT count(*) FROM %s) n" % TABLE)
                     for _ in range(10)}
            assert ports <= set(cluster.replica_ports), ports


def test_grant_and_revoke_are_seen_by_every_session(pgsteer, cluster, causal_table, other_user):
    """GRANT and REVOKE change what other sessions may do: like DDL, every
    session's reads wait for their position. Replay paused: the other
    user's read right after the GRANT is not refused by a replica that
    lacks it, and the read right after the REVOKE is not allowed by one
    that still has it."""
    table = "causal_grants"
    with cluster.connect() as c:
        c.execute("DROP TABLE IF EXISTS %s" % table)
        c.execute("CREATE TABLE %s (id int)" % table)
    table_on_replicas(cluster, table)
    try:
        with paused_replay(pgsteer, cluster) as p, p.connect() as owner, \
                p.connect(user=other_user) as other:
            for i in range(3):
                owner.execute("GRANT SELECT ON %s TO %s" % (table, other_user))
                assert scalar(other, "SELECT inet_server_port() FROM (SELECT count(*) FROM %s) n"
                              % table) == cluster.port
                owner.execute("REVOKE SELECT ON %s FROM %s" % (table, other_user))
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    other.execute("SELECT count(*) FROM %s" % table)
    finally:
        with cluster.connect() as c:
            c.execute("DROP TABLE IF EXISTS %s" % table)


@contextlib.contextmanager
def primary_behind_slow_link(pgsteer, cluster, causal_read_timeout):
    """pgsteer whose primary sits behind a helpers.SlowLink (yields the link
    and pgsteer), reads checked on both replicas; the link goes at the end."""
    link = helpers.SlowLink(cluster.port)
    try:
        p = pgsteer(nodes=[link.port] + list(cluster.replica_ports),
                    extra={"routing": {"causal_read_timeout": causal_read_timeout, "max_lag": "60s",
                                       "health_check_timeout": "60s"}})
        helpers.wait_reads_on_both_replicas(p, cluster)
        yield link, p
    finally:
        link.delay = 0
        link.stop()


def test_a_cancel_answers_a_read_waiting_for_its_write_position(pgsteer, cluster, causal_table):
    """A read right behind a write waits for the write's position (pgsteer
    asks the primary, one round trip). It has reached no server yet: a
    cancel then answers it with 57014 at once, it never runs, and the
    session goes on. (The cancel was once ignored, and the read ran once
    the position came.) The primary sits behind a link whose answers the
    test slows down to 3 s, so that the wait is long enough to cancel."""
    with primary_behind_slow_link(pgsteer, cluster, "20ms") as (link, p):
        sock, key = pgwire.login(p.port, helpers.SUPERUSER)
        try:
            assert pgwire.simple_query(sock, "SET synchronous_commit = on") == ([], None)
            link.delay = 3.0
            # the INSERTs' answer comes 3 s later; the read sent at once then waits
            # 3 s more for the position (asked for as the answer passed: two
            # statements in one Query get no probe right behind them)
            rows, err = pgwire.simple_query(sock, "INSERT INTO %s VALUES (1, 'x'); "
                                            "INSERT INTO %s VALUES (2, 'y')" % (TABLE, TABLE))
            assert err is None
            sock.sendall(pgwire.message(b"Q", b"SELECT count(*) FROM %s\0" % TABLE.encode()))

            def read_waits():
                return [r for r in helpers.admin_rows(p, "SHOW CLIENTS")
                        if r["state"] == "waiting" and not r["server"] and not r["admin"]]
            wait_for(read_waits, 2, "the read to wait for the write's position")
            t0 = time.monotonic()
            pgwire.send_cancel(p.port, key)
            rows, err = pgwire.read_result(sock)
            took = time.monotonic() - t0
            assert err and err["C"] == "57014", (rows, err)
            assert took < 2, "the cancel took %.2f s: it waited for the position" % took
            link.delay = 0
            rows, err = pgwire.simple_query(sock, "SELECT count(*) FROM %s" % TABLE)
            assert (rows, err) == ([["2"]], None)  # the session goes on, and sees its writes
        finally:
            sock.close()


def test_a_write_s_position_is_asked_for_behind_it(pgsteer, cluster, causal_table):
    """pgsteer asks for a write's position on its primary connection right
    behind the write, before the write's answer: the backend answers both
    at once, and a read sent as soon as the write's answer is in waits for
    no further round trip to the primary. The primary sits behind a link
    that holds its answers for a second: the read after the write (on a
    replica after a causal check) takes well under that, or about a second
    when the check finds the write not replayed yet and the primary answers.
    (pgsteer once asked only when the write's answer came: another second.) Simple
    Query, extended protocol (psycopg with parameters) and a transaction's
    COMMIT alike."""
    with primary_behind_slow_link(pgsteer, cluster, "1s") as (link, p):
        with p.connect() as c:
            c.execute("SET synchronous_commit = on")
            link.delay = 1.0
            for i in range(6):
                if i % 3 == 0:
                    c.execute("INSERT INTO %s VALUES (%s, 'x')" % (TABLE, 900 + i))
                elif i % 3 == 1:
                    c.execute("INSERT INTO %s VALUES (%%s, 'x')" % TABLE, (900 + i,))
                else:
                    with c.transaction():  # BEGIN, INSERT, COMMIT: asked for behind the COMMIT
                        c.execute("INSERT INTO %s VALUES (%s, 'x')" % (TABLE, 900 + i))
                t0 = time.monotonic()
                n = scalar(c, "SELECT count(*) FROM %s WHERE id = %s" % (TABLE, 900 + i))
                took = time.monotonic() - t0
                assert n == 1, "a stale read"
                # on a replica, or on the primary when the replica's check found the
                # write not replayed yet (a check sent with the read does not wait):
                # then the primary's answer comes over the slow link too
                route = scalar(c, "SHOW pgsteer.last_route")
                limit = 0.5 if route.startswith("replica:") else 1.5
                assert took < limit, "the read after write %d took %.2f s (%s)" % (i, took, route)


def test_a_write_that_ends_a_wal_page_is_reachable(pgsteer, cluster):
    """A write whose WAL record ends exactly at the end of a WAL page: the
    primary's insert position is then past the next page's header, where
    no record ends until more WAL comes, and on a quiet cluster none does.
    pgsteer takes the page's start (the record's end) as the session's
    position: its reads go back to a replica once one has replayed the
    write. (With the insert position they stayed on the primary until
    some other WAL came.) The write is a WAL message of a size that the
    test works out to end the page; it retries when other WAL got in."""
    p = pgsteer(extra={"routing": {"check_interval": "50ms", "max_lag": "60s"}})
    helpers.wait_reads_on_both_replicas(p, cluster)
    with cluster.connect() as direct, p.connect() as c:
        bs = int(scalar(direct, "SHOW wal_block_size"))

        def insert_lsn():
            return int(scalar(direct, "SELECT pg_current_wal_insert_lsn() - '0/0'"))

        def emit(conn, n):
            conn.execute("SELECT pg_logical_emit_message(false, 'pgsteer', repeat('x', %d))" % n)

        def record_size(n):
            before = insert_lsn()
            emit(direct, n)
            return insert_lsn() - before
        for attempt in range(30):
            # the record's fixed part B: the payload N at which the size steps up by 8 has B + N = size
            sizes = [record_size(n) for n in range(400, 410)]
            step = next(i for i in range(9) if sizes[i + 1] > sizes[i])
            base = sizes[step] - (400 + step)
            start = insert_lsn()
            n = bs - start % bs - base
            if not 300 <= n <= bs - 600 or max(sizes) - min(sizes) != 8:
                emit(direct, 1000)  # too near the page's end, or another record got in: on
                continue
            emit(c, n)  # through pgsteer: a write, whose position it asks for
            if insert_lsn() - (start - start % bs + bs) in (24, 40):
                break  # the record ended the page: the next one starts with its header
        else:
            pytest.fail("no write ended a WAL page in 30 tries")
        wait_for(lambda: scalar(c, "SELECT pg_is_in_recovery()"), 5,
                 "a read of the session on a replica")
