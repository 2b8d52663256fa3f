"""Tenant placement (DESIGN.md "Tenant placement", issue 7): sessions name
their tenant (startup options, SET pgsteer.tenant before the first
statement, database_pattern / user_pattern) and run on the tenant's
cluster; unknown tenants are refused (3D000) or sent to the default
cluster; placement changes made through one pgsteer reach another within
a second; TENANT MOVE pauses only the moving tenant, waits for its
transactions on every instance, switches, and never splits a transaction
across clusters; a move that times out is rolled back and says why; node
availability is kept in the metadata across restarts.

Two clusters: "main" (the shared cluster's primary, which also holds the
metadata) and "other" (a PostgreSQL server of this module).  Which cluster
answered is read from inet_server_port(), never from pgsteer.
"""
import threading
import time
import urllib.request

import psycopg
import pytest

import helpers
from helpers import scalar, wait_for
from tenancy_support import (PgServer, admin, fresh_database, md_connect, serving,
                             tenancy_extra, tenants)

pytestmark = pytest.mark.proxy_only

SERVER = {"server_user": "postgres", "server_database": "postgres"}


@pytest.fixture(scope="module")
def other():
    s = PgServer()
    try:
        s.start()
        yield s
    finally:
        s.stop()


@pytest.fixture
def mddb(cluster):
    return fresh_database(cluster)


@pytest.fixture
def two_clusters(cluster, other, pgsteer, mddb):
    """Factory: a pgsteer over clusters main and other, metadata in mddb."""
    def start(name, stats_port=None, pool_mode="transaction", **tenancy):
        extra = tenancy_extra(mddb, other, instance_name=name, **tenancy)
        extra["cluster.main"] = dict(SERVER)
        extra["cluster.other"].update(SERVER)
        if stats_port:
            extra["stats"] = {"listen": "127.0.0.1:%d" % stats_port}
        return serving(pgsteer(nodes=[cluster.port], extra=extra, pool_mode=pool_mode))
    return start


def port_of(conn):
    return scalar(conn, "SELECT inet_server_port()")


def test_sessions_run_on_their_tenants_cluster(two_clusters, cluster, other):
    p = two_clusters("solo", database_pattern=r"^(?<tenant>[a-z0-9_]+)_app$",
                     user_pattern=r"^[^.]+\.(?<tenant>[a-z0-9_]+)$")
    with admin(p) as a:
        a.execute("TENANT CREATE alpha ON main")
        a.execute("TENANT CREATE beta ON other")
        loc = a.execute("TENANT LOCATE beta").fetchone()
        assert loc[:4] == ("beta", "other", "other1", 1) and loc[4] == "active"
    # startup options
    with helpers.connect(p.port, options="-c pgsteer.tenant=beta") as c:
        assert port_of(c) == other.port
        assert scalar(c, "SHOW pgsteer.tenant") == "beta"
    with helpers.connect(p.port, options="-c pgsteer.tenant=alpha") as c:
        assert port_of(c) == cluster.port
    # database_pattern and user_pattern
    with helpers.connect(p.port, dbname="beta_app") as c:
        assert port_of(c) == other.port
    with helpers.connect(p.port, user="app.beta") as c:
        assert port_of(c) == other.port
    # SET pgsteer.tenant before the first statement; the session stays on that tenant
    with helpers.connect(p.port) as c:
        c.execute("SET pgsteer.tenant = 'beta'")
        assert port_of(c) == other.port
        c.execute("SET pgsteer.tenant = 'beta'")          # the same tenant: fine
        with pytest.raises(psycopg.errors.InvalidParameterValue,
                           match="cannot change after the session's first statement"):
            c.execute("SET pgsteer.tenant = 'alpha'")
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            c.execute("RESET pgsteer.tenant")
        assert port_of(c) == other.port                   # not silently switched
        c.execute("RESET pgsteer.*")                      # keeps the tenant
        assert scalar(c, "SHOW pgsteer.tenant") == "beta"
    # a transaction of a tenant session never leaves its cluster
    with helpers.connect(p.port, options="-c pgsteer.tenant=beta", autocommit=False) as c:
        assert port_of(c) == other.port
        assert port_of(c) == other.port
        c.commit()


def test_unknown_tenants_are_rejected_or_defaulted(two_clusters, cluster):
    p = two_clusters("strict")
    with pytest.raises(psycopg.OperationalError, match='unknown tenant "nope"') as ei:
        helpers.connect(p.port, options="-c pgsteer.tenant=nope")
    assert "3D000" in str(ei.value) or getattr(ei.value, "sqlstate", None) in (None, "3D000")
    with pytest.raises(psycopg.OperationalError, match="invalid tenant name"):
        helpers.connect(p.port, options="-c pgsteer.tenant=bad/name")
    with helpers.connect(p.port) as c:
        with pytest.raises(psycopg.errors.InvalidCatalogName, match='unknown tenant "nope"'):
            c.execute("SET pgsteer.tenant = 'nope'")
        assert port_of(c) == cluster.port                 # the session goes on
    with admin(p) as a:
        with pytest.raises(psycopg.errors.UndefinedObject, match='unknown tenant "nope"'):
            a.execute("TENANT LOCATE nope")
        with pytest.raises(psycopg.errors.UndefinedObject, match='cluster "nowhere"'):
            a.execute("TENANT CREATE t1 ON nowhere")
        with pytest.raises(psycopg.errors.SyntaxError):
            a.execute("TENANT MOVE t1")

    lenient = two_clusters("lenient", unknown_tenant="default")
    with helpers.connect(lenient.port, options="-c pgsteer.tenant=nope") as c:
        assert port_of(c) == cluster.port


def test_changes_reach_another_instance_within_a_second(two_clusters, other, cluster, mddb):
    a_ = two_clusters("inst_a")
    b_ = two_clusters("inst_b")

    def routed_on_b():
        with helpers.connect(b_.port, options="-c pgsteer.tenant=zeta") as c:
            return port_of(c) == other.port
    with admin(a_) as a:
        t0 = time.monotonic()
        a.execute("TENANT CREATE zeta ON other")
        wait_for(routed_on_b, 5, "tenant zeta routed through instance B")
        assert time.monotonic() - t0 < 1.0
        # without ON: the active cluster with fewest tenants (main has none)
        row = a.execute("TENANT CREATE eta").fetchone()
        assert row[:2] == ("eta", "main")
        with pytest.raises(psycopg.errors.DuplicateObject, match='tenant "eta" already exists'):
            a.execute("TENANT CREATE eta ON other")
        a.execute("TENANT DROP zeta")
    with admin(b_) as b:
        wait_for(lambda: "zeta" not in tenants(b), 1, "drop seen by instance B")
        assert tenants(b)["eta"] == ("main", 1, "active")
    with pytest.raises(psycopg.OperationalError, match='unknown tenant "zeta"'):
        helpers.connect(b_.port, options="-c pgsteer.tenant=zeta")
    with md_connect(cluster, mddb) as m:
        log = m.execute("SELECT tenant_id, action, from_cluster, to_cluster, instance "
                        "FROM pgsteer.placement_log ORDER BY id").fetchall()
    assert log == [("zeta", "create", None, "other", "inst_a"),
                   ("eta", "create", None, "main", "inst_a"),
                   ("zeta", "drop", "other", None, "inst_a")]


class Worker(threading.Thread):
    """A client of TENANT looping short transactions through pgsteer P; records
    (start, end, ports seen inside the transaction)."""

    def __init__(self, p, tenant, stop):
        super().__init__(daemon=True)
        self.p, self.tenant, self.stop = p, tenant, stop
        self.txns = []
        self.error = None

    def run(self):
        try:
            with helpers.connect(self.p.port, options="-c pgsteer.tenant=" + self.tenant,
                                 autocommit=False) as c:
                while not self.stop.is_set():
                    t0 = time.monotonic()
                    a = port_of(c)
                    c.execute("SELECT pg_sleep(0.005)")
                    b = port_of(c)
                    c.commit()
                    self.txns.append((t0, time.monotonic(), a, b))
        except Exception as e:  # reported by the test
            self.error = e


def test_move_pauses_only_the_tenant_and_never_splits_a_transaction(two_clusters, cluster,
                                                                    other, mddb):
    a_ = two_clusters("mover_a", move_timeout="10s")
    b_ = two_clusters("mover_b", move_timeout="10s")
    with admin(a_) as a:
        a.execute("TENANT CREATE acme ON main")
        a.execute("TENANT CREATE steady ON main")
    with admin(b_) as b:
        wait_for(lambda: set(tenants(b)) == {"acme", "steady"}, 2, "tenants on B")
    stop = threading.Event()
    workers = [Worker(a_ if i % 2 else b_, "acme", stop) for i in range(8)]
    steady = Worker(b_, "steady", stop)
    for w in workers + [steady]:
        w.start()
    wait_for(lambda: all(len(w.txns) >= 3 for w in workers), 10, "acme clients running")
    # one transaction of acme stays open a while: the move must wait for it
    long_txn = helpers.connect(b_.port, options="-c pgsteer.tenant=acme", autocommit=False)
    assert port_of(long_txn) == cluster.port
    done = {}

    def move():
        with admin(a_) as a:
            done["row"] = a.execute("TENANT MOVE acme TO other").fetchone()
            done["at"] = time.monotonic()
    mover = threading.Thread(target=move)
    mover.start()
    # while acme is held, the other tenant keeps running
    wait_for(lambda: "moving" in [t[2] for t in tenants_of(b_).values()], 2, "acme moving on B")
    n = len(steady.txns)
    wait_for(lambda: len(steady.txns) >= n + 5, 2, "tenant steady served during the move")
    assert mover.is_alive(), "the move did not wait for the open transaction"
    assert port_of(long_txn) == cluster.port       # still on its cluster
    committing_at = time.monotonic()
    long_txn.commit()
    long_txn.close()
    mover.join(10)
    assert done["row"] == ("acme", "other", 2, "main")
    assert done["at"] >= committing_at         # the move waited for that transaction
    after = time.monotonic()
    wait_for(lambda: all(any(t[0] > after for t in w.txns) for w in workers), 5,
             "acme clients running after the move")
    stop.set()
    for w in workers + [steady]:
        w.join(10)
        assert w.error is None, w.error
    for w in workers:
        for t0, t1, a, b in w.txns:
            assert a == b, "a transaction was split across clusters"
            if t0 > done["at"]:
                assert a == other.port, "a transaction after the move ran on the old cluster"
        assert w.txns[0][2] == cluster.port
    assert all(t[2] == cluster.port for t in steady.txns)
    # the longest wait of an acme client is the move, bounded by move_timeout
    assert max(t1 - t0 for w in workers for t0, t1, _, _ in w.txns) < 10
    with admin(b_) as b:
        assert tenants(b)["acme"] == ("other", 2, "active")
    with md_connect(cluster, mddb) as m:
        actions = [r[0] for r in m.execute("SELECT action FROM pgsteer.placement_log "
                                           "WHERE tenant_id = 'acme' ORDER BY id")]
    assert actions == ["create", "move-begin", "move"]


def test_a_cancel_answers_a_statement_held_while_its_tenant_moves(two_clusters, cluster, other):
    """A statement of a moving tenant waits in pgsteer and has not reached
    PostgreSQL: a CancelRequest answers it with 57014 at once, it never
    runs (on either cluster), and the session goes on after the move."""
    stats_port = helpers.free_port()
    p = two_clusters("canceller", move_timeout="20s", stats_port=stats_port)
    t = "held_%d" % stats_port
    for port in (cluster.port, other.port):
        with helpers.connect(port) as c:
            c.execute("CREATE TABLE %s (id int)" % t)
    with admin(p) as a:
        a.execute("TENANT CREATE hcan ON main")
    long_txn = helpers.connect(p.port, options="-c pgsteer.tenant=hcan", autocommit=False)
    client = helpers.connect(p.port, options="-c pgsteer.tenant=hcan")
    outcome = {}
    try:
        assert port_of(long_txn) == cluster.port  # a transaction the move waits for
        def move():
            with admin(p) as a:
                outcome["move"] = a.execute("TENANT MOVE hcan TO other").fetchone()
        mover = threading.Thread(target=move)
        mover.start()
        wait_for(lambda: tenants_of(p)["hcan"][2] == "moving", 5, "hcan moving")

        def holds():
            m = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % stats_port, timeout=5).read()
            return [int(line.split()[-1]) for line in m.decode().splitlines()
                    if line.startswith("pgsteer_tenant_holds_total")][0]
        held_before = holds()

        def run():
            try:
                client.execute("INSERT INTO %s VALUES (1)" % t)
                outcome["insert"] = "ran"
            except psycopg.Error as e:
                outcome["insert"] = e
        th = threading.Thread(target=run)
        th.start()
        wait_for(lambda: holds() > held_before, 5, "the INSERT to be held")
        client.cancel()
        th.join(5)
        assert not th.is_alive(), "the cancel did not answer the held statement"
        assert isinstance(outcome["insert"], psycopg.errors.QueryCanceled), outcome
        assert mover.is_alive(), "the move ended before the open transaction did"
        long_txn.commit()
        mover.join(20)
        assert tenants_of(p)["hcan"][:2] == ("other", 2)
        assert port_of(client) == other.port  # the session goes on, on the new cluster
        for port in (cluster.port, other.port):
            with helpers.connect(port) as c:
                assert scalar(c, "SELECT count(*) FROM %s" % t) == 0  # never ran
    finally:
        long_txn.close()
        client.close()
        for port in (cluster.port, other.port):
            with helpers.connect(port) as c:
                c.execute("DROP TABLE IF EXISTS %s" % t)


def tenants_of(p):
    with admin(p) as a:
        return tenants(a)


def test_a_move_that_times_out_is_rolled_back(two_clusters, cluster, mddb):
    stats_port = helpers.free_port()
    p = two_clusters("slowpoke", move_timeout="400ms", stats_port=stats_port)
    with admin(p) as a:
        a.execute("TENANT CREATE busy ON main")
    held = helpers.connect(p.port, options="-c pgsteer.tenant=busy", autocommit=False)
    assert port_of(held) == cluster.port           # a transaction left open
    with admin(p) as a:
        with pytest.raises(psycopg.errors.LockNotAvailable) as ei:
            a.execute("TENANT MOVE busy TO other")
        msg = str(ei.value)
        assert 'TENANT MOVE "busy" to other rolled back' in msg
        assert "move_timeout (400 ms)" in msg and "did not confirm: slowpoke" in msg
        assert "this instance still has transactions of the tenant open" in msg
        assert tenants(a)["busy"] == ("main", 2, "active")   # generations never go back
    assert port_of(held) == cluster.port
    held.commit()
    assert port_of(held) == cluster.port           # new transactions: the old cluster
    held.close()
    with md_connect(cluster, mddb) as m:
        rows = m.execute("SELECT action, reason FROM pgsteer.placement_log "
                         "WHERE tenant_id = 'busy' ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["create", "move-begin", "move-rollback"]
    assert "did not finish within move_timeout" in rows[2][1]
    metrics = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % stats_port, timeout=5).read()
    metrics = metrics.decode()
    assert 'pgsteer_tenant_moves_total{result="rolled_back"} 1\n' in metrics
    assert 'pgsteer_tenant_moves_total{result="moved"} 0\n' in metrics
    assert 'pgsteer_tenants{cluster="main"} 1\n' in metrics
    assert "pgsteer_metadata_up 1\n" in metrics


def test_node_availability_is_kept_across_restarts(two_clusters, pgsteer):
    def node(p, name):
        with admin(p) as a:
            cur = a.execute("SHOW NODES")
            cols = [d.name for d in cur.description]
            return {r[0]: dict(zip(cols, r)) for r in cur.fetchall()}[name]
    first = two_clusters("keeper")
    second = two_clusters("follower")
    with admin(first) as a:
        a.execute("SET NODE other1 AVAILABILITY offline")
    assert node(first, "other1")["availability"] == "offline"
    wait_for(lambda: node(second, "other1")["availability"] == "offline", 1,
             "availability applied by the other instance")
    first.assert_clean_exit(first.stop())
    second.assert_clean_exit(second.stop())
    again = two_clusters("restarted")
    # the metadata is read after the listener opens: poll, do not race it
    wait_for(lambda: node(again, "other1")["availability"] == "offline", 10,
             "availability read back from the metadata")
    with admin(again) as a:
        a.execute("DRAIN NODE other1")
    assert node(again, "other1")["scheduling"] == "draining"
    again.assert_clean_exit(again.stop())
    last = two_clusters("last")
    wait_for(lambda: node(last, "other1")["scheduling"] == "draining", 10,
             "drained state read back from the metadata")
    n = node(last, "other1")
    assert (n["availability"], n["scheduling"]) == ("offline", "draining")
    with admin(last) as a:
        a.execute("SET NODE other1 AVAILABILITY active")
    n = node(last, "other1")
    assert (n["availability"], n["scheduling"]) == ("active", "active")


def test_session_pooling_sessions_follow_a_move(two_clusters, cluster, other):
    p = two_clusters("sessions", pool_mode="session", move_timeout="5s")
    with admin(p) as a:
        a.execute("TENANT CREATE roamer ON main")
    with helpers.connect(p.port, options="-c pgsteer.tenant=roamer") as c:
        assert port_of(c) == cluster.port
        with admin(p) as a:
            assert a.execute("TENANT MOVE roamer TO other").fetchone()[1] == "other"
        assert port_of(c) == other.port        # the next transaction, on the new cluster
        with c.transaction():
            assert port_of(c) == other.port
            assert port_of(c) == other.port
