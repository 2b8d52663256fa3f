"""Worker threads (workers = N, doc/workers.md): every worker is a whole
data plane on the same port (SO_REUSEPORT), and what spans them works as
with one: routing, the admin console, the counters, cancel requests,
PAUSE/RESUME, RELOAD and a graceful shutdown. The rest of the suite runs
a second time with workers = 2 (contrib/check.sh); these tests check what
only several workers have. The kernel picks a worker per connection, so
each test opens enough connections to reach both (24 connections all on
one of two workers: one chance in 8 million).
"""
import re
import signal
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
            # each worker's pools have the whole default_pool_size
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
