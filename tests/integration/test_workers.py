"""Worker threads (workers = N, doc/workers.md): every worker is a whole
data plane on the same port (SO_REUSEPORT), and what spans them works as
with one: routing, the admin console, the counters, cancel requests,
PAUSE/RESUME, RELOAD and a graceful shutdown. The rest of the suite runs
a second time with workers = 2 (contrib/check.sh); these tests check what
only several workers have. The kernel picks a worker per connection, so
each test opens enough connections to reach both (24 connections all on
one of two workers: one chance in 8 million).
"""
import os
import re
import signal
import socket
import threading

import psycopg
import pytest

import helpers
from helpers import scalar, wait_for

pytestmark = pytest.mark.proxy_only

N_CLIENTS = 24
ROUTING = {"routing": {"check_interval": "50ms"}}


def admin(p):
    return helpers.connect(p.port, user="admin", dbname="pgsteer")


def show(conn, what):
    cur = conn.execute("SHOW " + what)
    names = [d.name for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def open_clients(p, n=N_CLIENTS, **kw):
    return [p.connect(**kw) for _ in range(n)]


def close_all(conns):
    for c in conns:
        c.close()


def local_addr(conn):
    """"ip:port" of CONN's end of its socket: how SHOW CLIENTS names it."""
    with socket.socket(fileno=os.dup(conn.pgconn.socket)) as s:
        host, port = s.getsockname()[:2]
    return "%s:%d" % (host, port)


def clients_by_worker(p, conns):
    """CONNS grouped by the worker that accepted each: {0: [...], 1: [...]}."""
    with admin(p) as a:
        worker_of = {r["addr"]: r["worker"] for r in show(a, "CLIENTS") if not r["admin"]}
    by_worker = {0: [], 1: []}
    for c in conns:
        by_worker[worker_of[local_addr(c)]].append(c)
    return by_worker


def busy_and_other(by_worker):
    """(the worker with more clients, the other): which worker accepts a
    client is the kernel's choice, so a test needing several clients on
    one worker and some on the other takes the busier one."""
    busy = 0 if len(by_worker[0]) >= len(by_worker[1]) else 1
    return busy, 1 - busy


def pool_of(p, db, worker):
    """SHOW POOLS rows of database DB on WORKER."""
    with admin(p) as a:
        return [r for r in show(a, "POOLS") if r["database"] == db and r["worker"] == worker]


def workers_of_clients(p):
    with admin(p) as a:
        return {r["worker"] for r in show(a, "CLIENTS") if not r["admin"]}


def test_clients_spread_over_both_workers_and_are_routed(pgsteer, cluster):
    p = pgsteer(workers=2, extra=ROUTING)
    helpers.wait_reads_on_both_replicas(p, cluster)
    conns = open_clients(p)
    try:
        assert workers_of_clients(p) == {0, 1}
        for c in conns:
            # reads on a replica, writes on the primary, from either worker
            assert scalar(c, "SELECT pg_is_in_recovery()") is True
            assert scalar(c, "/* pgsteer: primary */ SELECT inet_server_port()") == cluster.port
        with admin(p) as a:
            pools = show(a, "POOLS")
            assert {r["worker"] for r in pools} == {0, 1}, pools
            # each worker's pool shows the configured default_pool_size, which they share
            assert {r["pool_size"] for r in pools} == {10}, pools
            servers = show(a, "SERVERS")
            assert {r["worker"] for r in servers} == {0, 1}, servers
    finally:
        close_all(conns)


def test_cancel_reaches_a_client_on_the_other_worker(pgsteer, cluster):
    p = pgsteer(workers=2, nodes=[cluster.port], default_pool_size=N_CLIENTS * 2)
    conns = open_clients(p)
    errors = [None] * len(conns)

    def sleep(i):
        try:
            conns[i].execute("SELECT pg_sleep(60)")
        except psycopg.Error as e:
            errors[i] = e

    threads = [threading.Thread(target=sleep, args=(i,)) for i in range(len(conns))]
    try:
        for t in threads:
            t.start()
        with admin(p) as a:
            wait_for(lambda: sum(1 for r in show(a, "CLIENTS") if r["state"] == "active")
                     == len(conns), 10, "every client running pg_sleep")
        for c in conns:
            c.cancel()  # a connection of its own: the kernel picks its worker
        for t in threads:
            t.join(20)
        assert all(isinstance(e, psycopg.errors.QueryCanceled) for e in errors), errors
        for c in conns:
            assert scalar(c, "SELECT 1") == 1
        moves = re.findall(r"\(worker (\d); request taken by worker (\d)\): cancel forwarded", p.log())
        assert len(moves) == len(conns), moves
        assert any(a != b for a, b in moves), "no cancel crossed workers: %r" % moves
    finally:
        close_all(conns)


def test_counters_are_the_sum_of_every_worker(pgsteer, cluster):
    p = pgsteer(workers=2, nodes=[cluster.port])
    conns = open_clients(p)
    try:
        assert workers_of_clients(p) == {0, 1}
        for c in conns:
            for _ in range(5):
                assert scalar(c, "SELECT 1") == 1
        with admin(p) as a:
            rows = show(a, "STATS")
        total = [r for r in rows if r["scope"] == "total"][0]
        reads = [r for r in rows if r["scope"] == "class" and r["name"] == "read"
                 and r["target"] == "primary"][0]
        assert reads["queries"] == len(conns) * 5, reads
        assert total["queries"] == len(conns) * 5, total
    finally:
        close_all(conns)


def test_pause_and_resume_reach_every_worker(pgsteer, cluster):
    p = pgsteer(workers=2, nodes=[cluster.port], query_wait_timeout="30s")
    conns = open_clients(p)
    done = []
    try:
        assert workers_of_clients(p) == {0, 1}
        with admin(p) as a:
            a.execute("PAUSE")
            threads = [threading.Thread(target=lambda c=c: done.append(scalar(c, "SELECT 1")))
                       for c in conns]
            for t in threads:
                t.start()
            # every client queues, on both workers, and none runs
            wait_for(lambda: sum(r["cl_waiting"] for r in show(a, "POOLS")) == len(conns), 10,
                     "every client waiting")
            waiting = {r["worker"] for r in show(a, "POOLS") if r["cl_waiting"]}
            assert waiting == {0, 1} and done == [], (waiting, done)
            a.execute("RESUME")
            for t in threads:
                t.join(10)
        assert done == [1] * len(conns)
    finally:
        close_all(conns)


def test_reload_reaches_every_worker(pgsteer, cluster):
    p = pgsteer(workers=2, nodes=[cluster.port])
    text = open(p.config_path).read()
    with open(p.config_path, "w") as f:
        f.write(text.replace("default_pool_size = 10", "default_pool_size = 6"))
    with admin(p) as a:
        a.execute("RELOAD")
        conns = open_clients(p)
        try:
            for c in conns:
                assert scalar(c, "SELECT 1") == 1
            pools = show(a, "POOLS")
            assert {r["worker"] for r in pools} == {0, 1}, pools
            assert {r["pool_size"] for r in pools} == {6}, pools
        finally:
            close_all(conns)


def test_graceful_shutdown_lets_transactions_on_every_worker_finish(pgsteer, cluster, primary):
    p = pgsteer(workers=2, nodes=[cluster.port], default_pool_size=N_CLIENTS, shutdown_timeout="20s")
    primary.execute("CREATE TABLE IF NOT EXISTS wk_shutdown (n int)")
    primary.execute("TRUNCATE wk_shutdown")
    conns = open_clients(p, autocommit=False)
    try:
        assert workers_of_clients(p) == {0, 1}
        for i, c in enumerate(conns):
            c.execute("INSERT INTO wk_shutdown VALUES (%s)", (i,))
        p.proc.send_signal(signal.SIGTERM)
        wait_for(lambda: "SIGTERM" in p.log(), 5, "the SIGTERM log line")
        for c in conns:
            c.commit()  # open transactions finish on both workers
        assert scalar(primary, "SELECT count(*) FROM wk_shutdown") == len(conns)
        assert p.proc.wait(20) == 0
        assert not helpers.port_accepts(p.port)
    finally:
        close_all(conns)
        primary.execute("DROP TABLE IF EXISTS wk_shutdown")


def test_pool_size_is_the_total_over_every_worker(pgsteer, cluster):
    """default_pool_size bounds the server connections per node, user and
    database of the whole instance, not of each worker (issue #26): 12
    clients spread over 2 workers, each holding a server for a transaction,
    never make more than 3 connections to the database, and every one of
    them is served (a worker whose clients wait gets a connection another
    worker has idle)."""
    from tenancy_support import fresh_database
    db = fresh_database(cluster)
    p = pgsteer(workers=2, nodes=[cluster.port], default_pool_size=3)
    peak = [0]
    stop = threading.Event()
    errors = []

    def watch():
        with cluster.connect() as c:
            while not stop.is_set():
                # client backends only: an autovacuum worker visiting the new database counts
                # there too (a long run, such as check.sh's, gets one now and then)
                n = scalar(c, "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                           "AND backend_type = 'client backend'", (db,))
                peak[0] = max(peak[0], n)
                stop.wait(0.01)

    def work(conn):
        try:
            for _ in range(3):
                with conn.transaction():
                    conn.execute("SELECT pg_sleep(0.05)")
        except Exception as e:  # checked below
            errors.append(e)

    conns = open_clients(p, 12, dbname=db, autocommit=True)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        assert workers_of_clients(p) == {0, 1}
        threads = [threading.Thread(target=work, args=(c,)) for c in conns]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads), "clients still waiting for a server"
        assert not errors, errors
        assert 1 <= peak[0] <= 3, "%d server connections to %s with default_pool_size = 3" % (peak[0], db)
        with admin(p) as a:
            pools = [r for r in show(a, "POOLS") if r["database"] == db]
            assert sum(r["sv_active"] + r["sv_idle"] + r["sv_login"] for r in pools) <= 3, pools
    finally:
        stop.set()
        watcher.join(5)
        close_all(conns)


def test_a_worker_whose_clients_wait_is_not_starved_by_a_busy_one(pgsteer, cluster):
    """The pool size is shared, and a worker holding more than its share
    gives a connection back when another worker's client waits, even while
    its own clients keep every connection busy: with default_pool_size = 2,
    clients of worker 0 running transactions back to back without pause
    must not keep a client of worker 1 waiting until they stop."""
    from tenancy_support import fresh_database
    db = fresh_database(cluster)
    p = pgsteer(workers=2, nodes=[cluster.port], default_pool_size=2, query_wait_timeout="60s")
    conns = open_clients(p, 16, dbname=db, autocommit=True)
    try:
        by_worker = clients_by_worker(p, conns)
        bw, ww = busy_and_other(by_worker)
        busy, waiting = by_worker[bw], by_worker[ww]
        assert len(busy) >= 3 and waiting, {w: len(v) for w, v in by_worker.items()}
        stop = threading.Event()
        errors = []

        def hammer(conn):
            try:
                while not stop.is_set():
                    with conn.transaction():
                        conn.execute("SELECT pg_sleep(0.05)")
            except Exception as e:  # checked below
                errors.append(e)

        threads = [threading.Thread(target=hammer, args=(c,), daemon=True) for c in busy]
        for t in threads:
            t.start()
        # the busy worker has more clients than connections and takes the other's idle one (from the logins)
        wait_for(lambda: sum(r["sv_active"] + r["sv_idle"] + r["sv_login"] for r in pool_of(p, db, ww)) == 0
                 and sum(r["cl_waiting"] for r in pool_of(p, db, bw)) > 0, 10,
                 "the busy worker holding both connections, its clients waiting for them")
        done = threading.Event()

        def one():
            try:
                with waiting[0].transaction():
                    waiting[0].execute("SELECT 1")
                done.set()
            except Exception as e:  # checked below
                errors.append(e)

        t = threading.Thread(target=one, daemon=True)
        t.start()
        served = done.wait(30)
        stop.set()
        for th in threads + [t]:
            th.join(30)
        assert served, "the other worker's client waited while the busy one kept both connections"
        assert not errors, errors
    finally:
        close_all(conns)


def test_a_prepare_is_answered_while_every_worker_pool_is_full(pgsteer, cluster):
    """pgbench -M prepared's pattern: a driver blocks on a Parse+Sync of
    one connection (libpq's PQprepare) while its other connections hold
    the server connections in open transactions. With the pool size shared
    by the workers, the Parse of a client whose worker holds no connection
    must be answered at once, as when its own pool is full, not wait for a
    server that only those blocked transactions could give back (the
    stall bench.sh found: every client hit query_wait_timeout)."""
    from tenancy_support import fresh_database
    db = fresh_database(cluster)
    p = pgsteer(workers=2, nodes=[cluster.port], default_pool_size=2, query_wait_timeout="60s")
    conns = open_clients(p, 16, dbname=db, autocommit=True)
    try:
        by_worker = clients_by_worker(p, conns)
        bw, ow = busy_and_other(by_worker)
        holders, other = by_worker[bw][:2], by_worker[ow]
        assert len(holders) == 2 and other, {w: len(v) for w, v in by_worker.items()}
        for c in holders:
            c.execute("BEGIN")
            c.execute("SELECT 1")

        wait_for(lambda: sum(r["sv_active"] + r["sv_idle"] + r["sv_login"] for r in pool_of(p, db, ow)) == 0
                 and sum(r["sv_active"] for r in pool_of(p, db, bw)) == 2, 10,
                 "the busy worker holding both connections in transactions")
        result = {}

        def prepare():
            result["res"] = other[0].pgconn.prepare(b"s1", b"SELECT $1::int + 1")
        t = threading.Thread(target=prepare, daemon=True)
        t.start()
        t.join(10)
        assert not t.is_alive(), "the Parse waited for a server while every connection was held"
        assert result["res"].status == psycopg.pq.ExecStatus.COMMAND_OK, result["res"].error_message
        for c in holders:
            c.execute("COMMIT")
        res = other[0].pgconn.exec_prepared(b"s1", [b"41"])
        assert res.status == psycopg.pq.ExecStatus.TUPLES_OK, res.error_message
        assert res.get_value(0, 0) == b"42"
    finally:
        close_all(conns)


def test_a_worker_whose_pool_never_connected_logs_clients_in_while_the_node_is_down(
        pgsteer, private_cluster):
    """A login is answered with the server's parameters (ParameterStatus),
    which a pool learns from its first connection. A worker whose pool of
    the node, user and database never had one takes them from another
    worker's pool of the same key: with the primary down, every client
    still logs in, whichever worker the kernel gives it, and each
    statement is refused with 57P03 on a connection that stays open."""
    c = private_cluster
    p = pgsteer(nodes=[c.port], workers=2, default_pool_size=4, server_connect_timeout="2s",
                extra={"routing": {"check_interval": "50ms"}})
    with p.connect() as first:
        assert scalar(first, "SELECT inet_server_port()") == c.port  # one worker's pool learns
    helpers.pg_ctl(c, "primary", "-m", "fast", "-w", "stop")
    with admin(p) as a:
        wait_for(lambda: not [r for r in show(a, "NODES") if r["node"] == "main1"][0]["up"],
                 15, "main1 down")
    conns = open_clients(p)  # without the fix, those on the other worker get a FATAL here
    try:
        assert workers_of_clients(p) == {0, 1}
        for conn in conns:
            with pytest.raises(psycopg.Error) as ei:
                conn.execute("SELECT 1")
            assert ei.value.sqlstate == "57P03", str(ei.value)
            assert not conn.closed and not conn.broken, "the refusal closed the connection"
    finally:
        close_all(conns)
