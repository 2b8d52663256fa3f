"""Routing under faults (issue 4, "Done means": fault tests and "never a
write on a replica"), against real servers:

- never a write on a replica: 8 threads run a mixed read/write workload
  through pgsteer for a few seconds, with writes hidden in CTEs, in a
  volatile plpgsql function, in multi-statement strings, behind comments,
  in EXPLAIN ANALYZE, DO and COPY FROM STDIN, pipelined right behind a read
  (psycopg pipeline), over the extended protocol, under a replica hint, and
  half of the sessions with pgsteer.use_replicas_for_reads = on. Every
  write must succeed, every acknowledged row must be on the primary, and no
  replica log may have gained a "cannot execute ... read-only transaction"
  error during the run;
- a replica stopped with pg_ctl stop -m immediate during a 16-client
  pgbench -S run through pgsteer: the run goes on (only statements in flight
  on that replica may fail), SHOW NODES on the admin console has it down
  within 3 x check_interval (+ slack), and up again after a restart
  (restarted the way contrib/pgcluster.sh starts it);
- failover on a PRIVATE cluster (contrib/pgcluster.sh in a temp dir, destroyed
  at the end): replica1 promoted and the old primary stopped -> writes
  through pgsteer land on the new primary (inet_server_port(),
  pg_is_in_recovery() = false) within a bounded time, and no write is ever
  answered by a server in recovery meanwhile.

The shared cluster is left as found: the stopped replica is restarted in a
finally block, the scratch objects and the pgbench database are dropped.
"""
import os
import random
import re
import subprocess
import threading
import time

import psycopg
import pytest

import helpers
from helpers import PG_BIN, SUPERUSER, pg_ctl, scalar, start_node, wait_for

pytestmark = pytest.mark.proxy_only

CHECK_MS = 100
PGBENCH = os.path.join(PG_BIN, "pgbench")
BENCH_DB = "rtf_bench"
TABLE = "rtf_rows"


def admin_nodes(p):
    with helpers.connect(p.port, user="admin", dbname="pgsteer", connect_timeout=3) as a:
        cur = a.execute("SHOW NODES")
        names = [d.name for d in cur.description]
        return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}


def once(p, sql, row=False):
    """Run SQL on a fresh connection through pgsteer: first value (or row)."""
    with p.connect(connect_timeout=3) as conn:
        got = conn.execute(sql).fetchone()
    return got if row else got[0]


def log_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def log_since(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


# ================================================= never a write on a replica

@pytest.fixture
def rows_table(cluster):
    with cluster.connect() as c:
        c.execute("DROP TABLE IF EXISTS %s" % TABLE)
        c.execute("CREATE TABLE %s (id bigint PRIMARY KEY, how text)" % TABLE)
        c.execute("CREATE OR REPLACE FUNCTION rtf_put(bigint, text) RETURNS bigint "
                  "LANGUAGE plpgsql VOLATILE AS $$BEGIN INSERT INTO %s VALUES ($1, $2); "
                  "RETURN $1; END$$" % TABLE)
    for port in cluster.replica_ports:
        with cluster.connect(port) as r:
            wait_for(lambda: scalar(r, "SELECT to_regclass(%s) IS NOT NULL AND "
                                       "to_regprocedure('rtf_put(bigint,text)') IS NOT NULL",
                                    (TABLE,)), 15, "scratch objects on %d" % port)
    yield TABLE
    with cluster.connect() as c:
        c.execute("DROP TABLE IF EXISTS %s" % TABLE)
        c.execute("DROP FUNCTION IF EXISTS rtf_put(bigint, text)")


def write_ops(t):
    """(name, fn(conn, id) -> ids written). Each hides a write somewhere."""
    def simple(sql):
        def op(c, i):
            c.execute(sql % {"t": t, "i": i})
            return [i]
        return op

    def extended(c, i):
        c.execute("INSERT INTO " + t + " VALUES (%s, %s)", (i, "extended"))
        return [i]

    def pipelined(c, i):
        with c.pipeline():
            c.execute("SELECT count(*) FROM " + t + " WHERE id < %s", (i,))
            c.execute("INSERT INTO " + t + " VALUES (%s, 'pipelined')", (i,))
            c.execute("SELECT pg_is_in_recovery()")
        return [i]

    def copy_in(c, i):
        with c.cursor().copy("COPY %s (id, how) FROM STDIN" % t) as cp:
            cp.write_row((i, "copy"))
        return [i]

    def cte_returning(c, i):
        got = c.execute("WITH x AS (INSERT INTO %s VALUES (%d, 'cte') RETURNING id) "
                        "SELECT id FROM x" % (t, i)).fetchall()
        assert got == [(i,)], got
        return [i]

    return [
        ("plain", simple("INSERT INTO %(t)s VALUES (%(i)d, 'plain')")),
        ("cte", cte_returning),
        ("cte-after-a-read-cte", simple("WITH r AS (SELECT 1 AS a), x AS (INSERT INTO %(t)s "
                                        "SELECT %(i)d, 'cte2' FROM r RETURNING id) SELECT * FROM x")),
        ("function", simple("SELECT rtf_put(%(i)d, 'function')")),
        ("function-in-subquery", simple("SELECT * FROM (SELECT rtf_put(%(i)d, 'subq')) s")),
        ("multi-statement", simple("SELECT 1; INSERT INTO %(t)s VALUES (%(i)d, 'multi')")),
        ("multi-statement-read-last", simple("INSERT INTO %(t)s VALUES (%(i)d, 'multi2'); "
                                             "SELECT count(*) FROM %(t)s")),
        ("comment-first", simple("/* app: x */ insert into %(t)s values (%(i)d, 'comment')")),
        ("line-comment-first", simple("-- app\ninsert into %(t)s values (%(i)d, 'line')")),
        ("replica-hint", simple("/* pgsteer: replica */ INSERT INTO %(t)s VALUES (%(i)d, 'hint')")),
        ("explain-analyze", simple("EXPLAIN ANALYZE INSERT INTO %(t)s VALUES (%(i)d, 'explain')")),
        ("do-block", simple("DO $$BEGIN INSERT INTO %(t)s VALUES (%(i)d, 'do'); END$$")),
        ("extended", extended),
        ("pipelined-after-read", pipelined),
        ("copy-from-stdin", copy_in),
    ]


def test_no_write_ever_reaches_a_replica(pgsteer, cluster, rows_table, primary):
    p = pgsteer(default_pool_size=20,
                extra={"routing": {"check_interval": "50ms", "max_lag": "5s"}})
    wait_for(lambda: once(p, "SELECT pg_is_in_recovery()"), 15, "a read on a replica")
    logs = [os.path.join(cluster.dir, n + ".log") for n in ("replica1", "replica2")]
    sizes = {path: log_size(path) for path in logs}
    ops = write_ops(rows_table)
    acked, errors, reads_on = {}, [], {"replica": 0, "primary": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + 4

    def worker(w):
        rnd = random.Random(w)
        n = 0
        try:
            with p.connect() as c:
                if w % 2:
                    c.execute("SET pgsteer.use_replicas_for_reads = on")
                while time.monotonic() < deadline:
                    name, op = ops[n % len(ops)] if n < len(ops) else rnd.choice(ops)
                    key = (w + 1) * 1_000_000 + n
                    n += 1
                    try:
                        for i in op(c, key):
                            with lock:
                                acked[i] = name
                    except Exception as e:   # a failed write is a failure too
                        with lock:
                            errors.append("%s (id %d): %r" % (name, key, e))
                    rec = scalar(c, "SELECT pg_is_in_recovery() FROM (SELECT count(*) FROM %s) s"
                                 % rows_table)
                    with lock:
                        reads_on["replica" if rec else "primary"] += 1
        except Exception as e:
            with lock:
                errors.append("worker %d: %r" % (w, e))

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors, "%d failed statements, e.g. %s" % (len(errors), errors[:5])
    assert len(acked) > 100, len(acked)
    assert reads_on["replica"] > 0, reads_on   # the replicas did take part
    # every acknowledged row is on the primary, exactly once
    on_primary = {r[0] for r in primary.execute(
        "SELECT id FROM %s WHERE id = ANY(%%s)" % rows_table, (list(acked),))}
    missing = sorted(set(acked) - on_primary)
    assert not missing, "acknowledged but not on the primary: %s" % [
        (i, acked[i]) for i in missing[:10]]
    # and no replica refused (= was sent) a write during the run
    for path in logs:
        new = log_since(path, sizes[path])
        bad = [line for line in new.splitlines()
               if "cannot execute" in line or "read-only transaction" in line]
        assert not bad, "%s:\n%s" % (path, "\n".join(bad[:10]))
    print("\nno-write-on-replica: %d rows written (%s kinds), reads %s" % (
        len(acked), len(set(acked.values())), reads_on))


# ================================================= replica stopped under pgbench

def run_pgbench_bg(port, *args):
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    cmd = [PGBENCH, "-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER, *args, BENCH_DB]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)


@pytest.fixture
def bench_db(cluster):
    with cluster.connect() as c:
        c.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % BENCH_DB)
        c.execute("CREATE DATABASE %s" % BENCH_DB)
    r = subprocess.run([PGBENCH, "-h", "127.0.0.1", "-p", str(cluster.port), "-U", SUPERUSER,
                        "-i", "-s", "1", "-q", BENCH_DB], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    for port in cluster.replica_ports:
        def loaded():
            with helpers.connect(port, dbname=BENCH_DB) as c:
                return scalar(c, "SELECT count(*) FROM pgbench_accounts") == 100000
        wait_for(loaded, 30, "pgbench tables replicated to %d" % port)
    yield BENCH_DB
    with cluster.connect() as c:
        c.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % BENCH_DB)


def test_replica_stopped_during_pgbench(pgsteer, cluster, bench_db):
    p = pgsteer(default_pool_size=20, max_client_conn=100, query_wait_timeout="30s",
                extra={"routing": {"check_interval": "%dms" % CHECK_MS,
                                   "health_check_timeout": "1s"}})
    wait_for(lambda: all(n["up"] and n["role"] in ("primary", "replica")
                         for n in admin_nodes(p).values()), 15, "all nodes up")
    victim, victim_node = "replica1", "main2"        # node.main2 = port + 1 = replica1
    t_start = time.monotonic()
    bench = run_pgbench_bg(p.port, "-n", "-S", "-c", "16", "-j", "2", "-T", "8", "-P", "1")
    try:
        # the run is under way and main2 serves part of it
        base = admin_nodes(p)[victim_node]["reads"]
        wait_for(lambda: (admin_nodes(p)[victim_node]["reads"] > base + 500
                          and time.monotonic() - t_start >= 2), 15,
                 "2 s of pgbench, with reads on %s" % victim_node)
        t_stop_offset = time.monotonic() - t_start
        pg_ctl(cluster, victim, "-m", "immediate", "-w", "stop")
        t_gone = time.monotonic()

        down = wait_for(lambda: (lambda n: n if n["up"] is False else None)(
            admin_nodes(p)[victim_node]), 5, "%s down in SHOW NODES" % victim_node, interval=0.01)
        took = time.monotonic() - t_gone
        assert took <= 3 * CHECK_MS / 1000.0 + 0.2, "marked down %.3fs after the stop" % took
        assert down["last_error"], down
        nodes = admin_nodes(p)
        assert nodes["main1"]["up"] and nodes["main3"]["up"], nodes
    except BaseException:
        bench.kill()
        bench.communicate()
        raise
    finally:
        start_node(cluster, victim)
    wait_for(lambda: admin_nodes(p)[victim_node]["up"] is True, 30, "%s up after restart"
             % victim_node)
    out, err = bench.communicate(timeout=60)
    text = out + err

    processed = int(re.search(r"number of transactions actually processed: (\d+)", text).group(1))
    aborted = re.findall(r"client \d+ (?:script \d+ )?aborted[^\n]*", text)
    # the run went on after the stop: progress reports with tps > 0 after it
    progress = [(float(a), float(b)) for a, b in
                re.findall(r"progress: ([\d.]+) s, ([\d.]+) tps", text)]
    after = [tps for sec, tps in progress if sec >= t_stop_offset + 2]
    assert after and min(after) > 0, "no progress after the stop at %.1fs:\n%s" % (
        t_stop_offset, text[-3000:])
    if bench.returncode != 0:
        # only statements in flight on the stopped replica may have failed
        assert bench.returncode == 2 and aborted, text[-3000:]
        allowed = ("main2", "127.0.0.1:%d" % cluster.replica_ports[0], "server closed the connection",
                   "terminating connection", "connection to server", "server connection")
        strange = [a for a in aborted if not any(s in a for s in allowed)]
        assert not strange, "%d of 16 clients aborted, %d for other reasons than the loss of " \
            "a statement in flight on main2 (%d transactions processed):\n%s" % (
                len(aborted), len(strange), processed, "\n".join(strange))
        assert len(aborted) < 16, "every client failed:\n" + "\n".join(aborted)
    assert processed > 1000, text[-3000:]
    print("\npgbench: exit %d, %d transactions, %d of 16 clients aborted, down after %.0f ms"
          % (bench.returncode, processed, len(aborted), 1000 * took))


# ================================================= failover (private cluster)

def test_writes_follow_a_promoted_replica(private_cluster, pgsteer):
    c = private_cluster
    new_port = c.port + 1                                  # replica1 = node main2
    with c.connect() as d:
        d.execute("CREATE TABLE fo (id serial PRIMARY KEY, port int)")
    with c.connect(new_port) as r:     # or the promoted replica would not have it
        wait_for(lambda: scalar(r, "SELECT to_regclass('fo') IS NOT NULL"), 15,
                 "table fo on replica1")
    p = pgsteer(nodes=[c.port, c.port + 1, c.port + 2], log_level="debug",
                extra={"routing": {"check_interval": "%dms" % CHECK_MS,
                                   "health_check_timeout": "1s"}})
    insert = "INSERT INTO fo (port) VALUES (inet_server_port()) RETURNING inet_server_port(), " \
             "pg_is_in_recovery()"
    wait_for(lambda: once(p, insert, row=True) == (c.port, False), 15,
             "writes on the original primary")

    pg_ctl(c, "replica1", "-w", "promote")
    pg_ctl(c, "primary", "-m", "immediate", "-w", "stop")
    t0 = time.monotonic()
    seen, errors = [], []

    def written_on_new_primary():
        try:
            with p.connect(connect_timeout=3) as conn:
                got = conn.execute(insert).fetchone()
        except psycopg.Error as e:
            errors.append((e.sqlstate, str(e).strip()))
            return False
        seen.append(got)
        return got == (new_port, False)
    try:
        wait_for(written_on_new_primary, 10, "writes on the promoted replica (%d)" % new_port,
                 interval=0.05)
    except AssertionError as e:
        raise AssertionError("%s; answers: %s; errors: %s" % (e, seen[-5:], errors[-5:]))
    took = time.monotonic() - t0
    # never a write answered by (or refused by) a server in recovery on the way
    assert all(rec is False for _, rec in seen), seen
    assert not [e for e in errors if e[0] == "25006"], errors
    with c.connect(new_port) as d:
        assert scalar(d, "SELECT pg_is_in_recovery()") is False
        assert scalar(d, "SELECT count(*) FROM fo WHERE port = %d" % new_port) >= 1
    print("\nfailover: writes on the new primary %.2fs after the old one stopped "
          "(errors meanwhile: %s)" % (took, sorted({str(e[0]) for e in errors})))  # None: failed at connect
