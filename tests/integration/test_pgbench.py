"""pgbench through pgsteer in transaction pooling with default_pool_size 8:
pgbench -i, then select-only (-S) and TPC-B, each with -M simple,
-M extended and -M prepared, 32 clients on 2 threads; -M prepared also
with read/write splitting over the two replicas (named statements
following clients across primary and replica connections). No errors
allowed."""
import os
import re
import subprocess

import psycopg
import pytest

import helpers
from helpers import PG_BIN, SUPERUSER, scalar, wait_for

PGBENCH = os.path.join(PG_BIN, "pgbench")
DB = "pgbench_it"


def run_pgbench(port, *args, timeout=120):
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    cmd = [PGBENCH, "-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER, *args, DB]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    return r, r.stdout + r.stderr


@pytest.fixture(scope="module")
def bench_proxy(cluster, pgsteer_module):
    with cluster.connect() as c:
        c.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % DB)
        c.execute("CREATE DATABASE %s" % DB)
    # the proxy core under load: the primary is the only node (no read routing)
    p = pgsteer_module(nodes=[cluster.port], pool_mode="transaction", default_pool_size=8,
                       query_wait_timeout="60s", max_client_conn=200)
    r, out = run_pgbench(p.port, "-i", "-s", "1", "-q")
    assert r.returncode == 0, out
    assert "error" not in out.lower(), out
    yield p
    p.stop()
    with cluster.connect() as c:
        c.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % DB)


def test_pgbench_init_loaded(cluster, bench_proxy):
    with cluster.connect(dbname=DB) as c:
        assert c.execute("SELECT count(*) FROM pgbench_accounts").fetchone()[0] == 100000
        assert c.execute("SELECT count(*) FROM pgbench_branches").fetchone()[0] == 1


@pytest.mark.parametrize("workload", ["select-only", "tpcb"])
@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_pgbench_run(cluster, bench_proxy, workload, mode):
    check_pgbench(bench_proxy.port, workload, mode)


@pytest.mark.parametrize("workload", ["select-only", "tpcb"])
def test_pgbench_prepared_with_replicas(cluster, bench_proxy, pgsteer, workload):
    for port in cluster.replica_ports:
        # the reads go to the replicas: they must have replayed the load first
        def loaded():
            with helpers.connect(port, dbname=DB) as c:
                return scalar(c, "SELECT count(*) FROM pgbench_accounts") == 100000
        wait_for(loaded, 30, "pgbench tables replicated to %d" % port)
    p = pgsteer(pool_mode="transaction", default_pool_size=8, query_wait_timeout="60s",
                max_client_conn=200, extra={"routing": {"check_interval": "50ms"}})
    check_pgbench(p.port, workload, "prepared")
    with psycopg.connect(host="127.0.0.1", port=p.port, user="admin", dbname="pgsteer",
                         autocommit=True) as a:
        reads = {r[1]: r[4] for r in a.execute("SHOW STATS").fetchall() if r[0] == "node"}
    if workload == "select-only":
        # the prepared reads really ran on the replicas
        assert reads["main2"] > 0 and reads["main3"] > 0, reads


def check_pgbench(port, workload, mode):
    args = ["-M", mode, "-c", "32", "-j", "2", "-T", "3", "-n"]
    if workload == "select-only":
        args.append("-S")
    r, out = run_pgbench(port, *args)
    assert r.returncode == 0, out
    assert "error" not in out.lower(), out
    m = re.search(r"number of transactions actually processed: (\d+)", out)
    assert m and int(m.group(1)) > 0, out
    m = re.search(r"number of failed transactions: (\d+)", out)
    assert m is None or int(m.group(1)) == 0, out
