"""Real client drivers through pgsteer, used the way their users use them:
asyncpg (its connection pool, statement cache, COPY, cancel on timeout,
add_listener), psycopg 3 (psycopg_pool from threads, prepare_threshold,
pipeline mode, binary cursors, prepared-statement eviction, COPY, cancel,
notifies()) and node-postgres (pg.Pool, named statements, LISTEN, cancel;
tests/integration/node/drivers.js, installed from npm by the first test
that needs it).

Every driver runs against a pgsteer in front of the primary and both
replicas with default_pool_size = 8, in transaction and in session pooling.
The driver's own pool is bigger than pgsteer's under transaction pooling (20
connections) and fits in it under session pooling (6). Each iteration of the
pool scenario checks its own results (prepared statements, a transaction
that inserts a row and reads it back, a read after the commit, errors inside
a transaction followed by a rollback), and each test asserts that all of
them succeeded: a single wrong answer, error, lost notification or stuck
connection fails it. Nothing waits without a deadline: driver timeouts,
asyncio.wait_for, thread joins that give up when the iterations stop
progressing, subprocess timeouts.

PGSTEER_DRIVER_ITERATIONS (default 200) sets the iterations per driver and
pool mode; the scenario as reported had 1000.
"""
import asyncio
import collections
import contextlib
import io
import json
import os
import select
import shutil
import subprocess
import sys
import threading
import time
import traceback

import asyncpg  # python3-asyncpg, as psycopg_pool python3-psycopg-pool (contrib/check.sh)
import psycopg
import psycopg.errors
import pytest
from psycopg_pool import ConnectionPool, PoolTimeout

import helpers
from helpers import SUPERUSER, scalar, wait_for


ITERATIONS = int(os.environ.get("PGSTEER_DRIVER_ITERATIONS") or 200)
SERVER_POOL = 8                                      # pgsteer's default_pool_size here
DRIVER_POOL = {"transaction": 20, "session": 6}      # the driver's own pool size
STALL = 20          # s without a finished iteration after which a scenario counts as stuck
NOTIFY_COUNT = 1000
NOTIFY_DEADLINE = 30
NOTIFY_GRACE = 2.0  # s of writes with nothing new arriving after the sender is done
IDLE_NOTIFY = 3     # s for a notification to reach an idle listener
TABLE = "drv_rows"
NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")

# ----------------------------------------------------------------- fixtures


@pytest.fixture(params=["transaction", "session"])
def mode(request):
    return request.param


@pytest.fixture
def steer(pgsteer, cluster, mode):
    """pgsteer over the primary and both replicas, default_pool_size 8, in
    MODE; returned once a read has landed on a replica (the monitor has
    checked them), so reads really spread."""
    p = pgsteer(default_pool_size=SERVER_POOL, pool_mode=mode,
                extra={"routing": {"check_interval": "50ms"}})

    def read_on_replica():
        with p.connect() as c:
            return scalar(c, "SELECT pg_is_in_recovery()")
    wait_for(read_on_replica, 15, "a read routed to a replica")
    return p


@pytest.fixture
def table(cluster):
    """A fresh drv_rows on the primary, visible on both replicas before the
    test starts (a read routed to a replica must not miss the table)."""
    with cluster.connect() as c:
        c.execute("DROP TABLE IF EXISTS %s" % TABLE)
        c.execute("CREATE TABLE %s (id bigint PRIMARY KEY, who text NOT NULL, n int NOT NULL)"
                  % TABLE)
    for port in cluster.replica_ports:
        def replayed(port=port):
            with helpers.connect(port) as r:
                return scalar(r, "SELECT to_regclass(%s) IS NOT NULL", (TABLE,))
        wait_for(replayed, 15, "%s on the replica at %d" % (TABLE, port))
    yield TABLE
    with cluster.connect() as c:
        c.execute("DROP TABLE IF EXISTS %s" % TABLE)


def conninfo(p, **kw):
    kw.setdefault("connect_timeout", 10)
    return p.dsn(**kw)


def describe(e):
    """An exception as one line: class, SQLSTATE when there is one, message."""
    state = getattr(e, "sqlstate", None)
    msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return "%s%s: %s" % (type(e).__name__, " [%s]" % state if state else "", msg)


def verdict(name, n, ok, failures, extra=""):
    """Assert that all N iterations succeeded; otherwise say how many did,
    which errors came back how often, and the first few."""
    if len(ok) == n and not failures:
        return
    kinds = collections.Counter(f for _, f in failures)
    first = "; ".join("#%s %s" % (i, f) for i, f in sorted(failures, key=lambda x: x[0])[:5])
    raise AssertionError("%s: %d of %d iterations succeeded, %d failed%s\n  errors: %s\n  first: %s"
                         % (name, len(ok), n, len(failures), extra, dict(kinds), first))


def active_sleeps(cluster, marker):
    """Backends on any node still running the statement that carries MARKER."""
    n = 0
    for port in [cluster.port] + cluster.replica_ports:
        with helpers.connect(port) as c:
            n += scalar(c, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                           "AND query LIKE %s AND pid <> pg_backend_pid()", ("%" + marker + "%",))
    return n


def received_verdict(name, payloads, count=NOTIFY_COUNT):
    """All of 0..COUNT-1 arrived, each once."""
    got = collections.Counter(payloads)
    missing = [i for i in range(count) if got[str(i)] == 0]
    dups = sorted(p for p, k in got.items() if k > 1)
    assert not missing and not dups and len(payloads) == count, (
        "%s: %d of %d notifications received through pgsteer while writing; "
        "%d lost (first: %s), %d duplicated (first: %s)"
        % (name, count - len(missing), count, len(missing), missing[:10], len(dups), dups[:10]))


def bounded(fn, timeout, what):
    """Run FN() on a daemon thread and return what it returns (or raise
    what it raises); if it has not finished after TIMEOUT s, fail saying
    where it is stuck instead of hanging: psycopg's synchronous calls have
    no timeout of their own. A stuck thread ends when the fixture stops
    pgsteer and its socket closes."""
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # handed to the caller
            out["error"] = e
    t = threading.Thread(target=run, daemon=True, name=what)
    t.start()
    t.join(timeout)
    if t.is_alive():
        frame = sys._current_frames().get(t.ident)
        stack = traceback.format_stack(frame)[3:] if frame else ["?"]  # from fn() on
        raise AssertionError("%s: no answer within %ss, stuck at:\n%s"
                             % (what, timeout, "".join(stack[-8:])))
    if "error" in out:
        raise out["error"]
    return out.get("value")


class Settled:
    """When the listener of a load test stops writing: all NOTIFY_COUNT
    payloads are in; or the sender is done and nothing new has arrived for
    NOTIFY_GRACE s while the listener kept writing (what is missing then is
    lost); or NOTIFY_DEADLINE has passed."""

    def __init__(self, got):
        self.got = got
        self.deadline = time.monotonic() + NOTIFY_DEADLINE
        self.seen, self.since = -1, None

    def __call__(self, sender_done):
        now = time.monotonic()
        if len(self.got) >= NOTIFY_COUNT or now > self.deadline:
            return True
        if not sender_done:
            return False
        if len(self.got) != self.seen:
            self.seen, self.since = len(self.got), now
        return now - self.since > NOTIFY_GRACE


def run_threads(name, n_threads, n, one):
    """Run one(i) for i in 0..n-1 on N_THREADS threads; return (ok, failures,
    stuck threads). Gives up when no iteration has finished for STALL s (a
    stuck driver or proxy), so a lock-up fails the test instead of hanging."""
    todo = iter(range(n))
    lock = threading.Lock()
    ok, failures = [], []

    def worker():
        while True:
            with lock:
                i = next(todo, None)
            if i is None:
                return
            try:
                one(i)
                ok.append(i)
            except Exception as e:  # every failure is counted and reported
                failures.append((i, describe(e)))
                if isinstance(e, PoolTimeout):
                    return  # the pool is stuck: more tries would wait as long again

    threads = [threading.Thread(target=worker, daemon=True, name="%s-%d" % (name, k))
               for k in range(n_threads)]
    for t in threads:
        t.start()
    last, progress_at = -1, time.monotonic()
    while any(t.is_alive() for t in threads):
        done = len(ok) + len(failures)
        if done != last:
            last, progress_at = done, time.monotonic()
        elif time.monotonic() - progress_at > STALL:
            break
        for t in threads:
            t.join(0.05)
    return ok, failures, sum(t.is_alive() for t in threads)

# ----------------------------------------------------------------- asyncpg


def asyncpg_connect_args(p):
    return dict(host="127.0.0.1", port=p.port, user=SUPERUSER, database="postgres", timeout=10)


async def asyncpg_iteration(conn, i):
    """One use of a pooled connection: prepared statements, a transaction
    that writes and reads its row back, a read after the commit, two errors
    inside transactions, each rolled back."""
    assert await conn.fetchval("SELECT $1::int * 2 + $2::int", i, 1) == 2 * i + 1
    stmt = await conn.prepare("SELECT $1::bigint + 1 AS a, $2::text || 'x' AS b")
    assert [tuple(r) for r in await stmt.fetch(i, "p%d" % i)] == [(i + 1, "p%dx" % i)]
    async with conn.transaction():
        await conn.execute("INSERT INTO drv_rows (id, who, n) VALUES ($1, $2, $3)", i, "asyncpg", i)
        assert await conn.fetchval("SELECT n FROM drv_rows WHERE id = $1", i) == i
    # a read after the commit, on any node: read-your-writes
    assert await conn.fetchval("SELECT who FROM drv_rows WHERE id = $1", i) == "asyncpg"
    try:
        async with conn.transaction():
            await conn.execute("INSERT INTO drv_rows (id, who, n) VALUES ($1, $2, $3)", i, "dup", -1)
        raise AssertionError("a duplicate key was accepted")
    except asyncpg.UniqueViolationError:
        pass
    tr = conn.transaction()
    await tr.start()
    try:
        await conn.fetchval("SELECT 1 / $1::int", 0)
        raise AssertionError("1 / 0 did not fail")
    except asyncpg.DivisionByZeroError:
        pass
    await tr.rollback()
    assert await conn.fetchval("SELECT count(*) FROM drv_rows WHERE id = $1", i) == 1


async def asyncpg_pool_run(p, size, n):
    """n iterations over SIZE tasks sharing asyncpg.create_pool(min_size =
    max_size = SIZE). asyncpg resets every connection it takes back
    (SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL)."""
    pool = await asyncio.wait_for(asyncpg.create_pool(min_size=size, max_size=size,
                                                      **asyncpg_connect_args(p)), 30)
    todo = iter(range(n))
    ok, failures = [], []

    async def one(i):
        async with acquired(pool) as conn:
            await asyncpg_iteration(conn, i)

    async def worker():
        for i in todo:
            try:
                # acquire, the iteration and the release (with its reset query)
                await asyncio.wait_for(one(i), STALL)
                ok.append(i)
            except asyncio.TimeoutError:
                failures.append((i, "no answer within %ds" % STALL))
                return  # the pool is stuck: more tries would wait as long again
            except AssertionError as e:
                failures.append((i, describe(e)))
                if "got no answer" in str(e):
                    return
            except Exception as e:
                failures.append((i, describe(e)))

    try:
        await asyncio.gather(*(worker() for _ in range(size)))
    finally:
        if failures:
            pool.terminate()
        else:
            await asyncio.wait_for(pool.close(), 15)
    return ok, failures


def test_asyncpg_pool(steer, cluster, table, mode):
    """asyncpg's pool of 20 (6 in session mode) over pgsteer's 8 per node:
    all N iterations succeed. asyncpg's reset query on release
    (pg_advisory_unlock_all(), CLOSE ALL, UNLISTEN *, RESET ALL) holds no
    lock and listens to nothing, so it must not pin the connection: pinned,
    the 20 clients would hold all 8 primary connections and the pool would
    lock up."""
    size = DRIVER_POOL[mode]
    ok, failures = asyncio.run(asyncpg_pool_run(steer, size, ITERATIONS))
    verdict("asyncpg pool of %d, %s pooling" % (size, mode), ITERATIONS, ok, failures)
    with cluster.connect() as c:
        assert scalar(c, "SELECT count(*) FROM drv_rows WHERE who = 'asyncpg'") == ITERATIONS


async def step(what, awaitable, timeout=STALL):
    """Await one driver call; a call that gets no answer fails the test
    saying which one, instead of hanging it."""
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError:
        raise AssertionError("asyncpg: %s got no answer within %ss" % (what, timeout)) from None


@contextlib.asynccontextmanager
async def asyncpg_pool(p, size):
    """asyncpg.create_pool(min_size = max_size = SIZE) through pgsteer P;
    closed politely after success, terminated after a failure (a polite
    close would wait for stuck connections)."""
    pool = await step("create_pool(%d)" % size,
                      asyncpg.create_pool(min_size=size, max_size=size, **asyncpg_connect_args(p)), 30)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        raise
    await step("pool.close()", pool.close(), 15)


@contextlib.asynccontextmanager
async def acquired(pool):
    """pool.acquire() whose connection is terminated, not reset, after a
    failure: a reset would wait for a stuck statement and replace the
    failure's message with its own timeout."""
    conn = await step("pool.acquire()", pool.acquire(), 10)
    try:
        yield conn
    except BaseException:
        conn.terminate()
        await pool.release(conn)
        raise
    await step("pool.release() (its reset query)", pool.release(conn), 10)


@contextlib.asynccontextmanager
async def asyncpg_conn(port=None, p=None):
    args = asyncpg_connect_args(p) if p else dict(host="127.0.0.1", port=port, user=SUPERUSER,
                                                    database="postgres", timeout=10)
    conn = await step("connect", asyncpg.connect(**args), 30)
    try:
        yield conn
    except BaseException:
        conn.terminate()
        raise
    await step("close()", conn.close(), 10)


def test_asyncpg_copy(steer, cluster, table, mode):
    """copy_records_to_table (binary COPY FROM STDIN), copy_from_query with
    arguments and copy_from_table, on three pooled connections at once; a
    COPY that fails on a duplicate key inside a transaction rolls back and
    leaves the connection usable. copy_records_to_table first prepares
    `SELECT cols FROM table LIMIT 1` (Parse, Describe, Flush: no Sync) to
    learn the column types, a read that may run on a replica, then sends
    the COPY, a write, on the same connection."""
    rows_per = 500

    async def one(pool, k):
        async with acquired(pool) as conn:
            base = k * rows_per
            records = [(base + j, "copy%d" % k, j) for j in range(rows_per)]
            res = await step("copy_records_to_table (connection %d)" % k,
                             conn.copy_records_to_table(TABLE, records=records,
                                                        columns=["id", "who", "n"]), 10)
            assert res == "COPY %d" % rows_per, res
            buf = io.BytesIO()
            await step("copy_from_query with an argument",
                       conn.copy_from_query("SELECT id, who, n FROM drv_rows WHERE who = $1 ORDER BY id",
                                            "copy%d" % k, output=buf, format="csv"))
            assert buf.getvalue().decode().splitlines() == ["%d,%s,%d" % r for r in records]
            try:
                async with conn.transaction():
                    await step("copy_records_to_table of a duplicate key in a transaction",
                               conn.copy_records_to_table(
                                   TABLE, records=[(10**6 + base, "x", 0), (base, "x", 0)],
                                   columns=["id", "who", "n"]))
                raise AssertionError("COPY of a duplicate key was accepted")
            except asyncpg.UniqueViolationError:
                pass
            return await step("count after the failed COPY",
                              conn.fetchval("SELECT count(*) FROM drv_rows WHERE who = $1", "copy%d" % k))

    async def run():
        async with asyncpg_pool(steer, 3) as pool:
            counts = await asyncio.gather(*(one(pool, k) for k in range(3)))
            assert counts == [rows_per] * 3, counts
            async with acquired(pool) as conn:
                buf = io.BytesIO()
                await step("copy_from_table", conn.copy_from_table(TABLE, output=buf, columns=["id"]))
                assert sorted(int(x) for x in buf.getvalue().split()) == list(range(3 * rows_per))
    asyncio.run(run())
    with cluster.connect() as c:
        assert scalar(c, "SELECT count(*) FROM drv_rows") == 3 * rows_per


def test_asyncpg_prepare_then_write(steer, cluster, table, mode):
    """conn.prepare() of a read sends Parse, Describe and Flush, no Sync
    (asyncpg syncs with the statement's first Bind/Execute). When the next
    thing the application does is a write (here a plain INSERT, a simple
    Query), pgsteer must still run it: PostgreSQL runs a Query after an
    unsynced Parse/Describe. Five fresh connections, so the prepare lands on
    a replica (no write before it), where the INSERT cannot follow. The
    same for a write that starts with a Parse (fetchval() with arguments)
    and for the Bind of a write prepared earlier: each runs on the
    primary, not refused as if a read-only transaction were open."""
    async def run():
        for k in range(5):
            async with asyncpg_conn(p=steer) as conn:
                write = await step("prepare() of a write", conn.prepare(
                    "INSERT INTO drv_rows VALUES ($1, 'prepw', $2) RETURNING pg_is_in_recovery()"))
                assert await step("the prepared write", write.fetchval(100 + k, k)) is False
                # a fresh connection's reads need no write's LSN: the next prepare lands on a replica
                async with asyncpg_conn(p=steer) as conn2:
                    stmt = await step("prepare() of a read", conn2.prepare(
                        "SELECT n FROM drv_rows WHERE id = $1 /* %d */" % k))
                    await step("an INSERT right after prepare() (a Query behind an unsynced "
                               "Parse/Describe/Flush)",
                               conn2.execute("INSERT INTO drv_rows VALUES (%d, 'prep', %d)" % (k, k)), 10)
                    assert await step("the prepared read", stmt.fetchval(k)) == k
                async with asyncpg_conn(p=steer) as conn3:
                    await step("prepare() of a read", conn3.prepare("SELECT 1 /* a %d */" % k))
                    assert await step("a write's Parse right after prepare()", conn3.fetchval(
                        "INSERT INTO drv_rows VALUES ($1, 'prepx', $2) RETURNING pg_is_in_recovery()",
                        200 + k, k), 10) is False
                    write3 = await step("prepare() of a write", conn3.prepare(
                        "INSERT INTO drv_rows VALUES ($1, 'prepb', $2) RETURNING pg_is_in_recovery()"))
                    await step("prepare() of a read", conn3.prepare("SELECT 1 /* b %d */" % k))
                    assert await step("a prepared write's Bind right after prepare()",
                                      write3.fetchval(300 + k, k), 10) is False
    asyncio.run(run())
    with cluster.connect() as c:
        assert scalar(c, "SELECT count(*) FROM drv_rows WHERE who = 'prep'") == 5
        for who in ("prepw", "prepx", "prepb"):
            assert scalar(c, "SELECT count(*) FROM drv_rows WHERE who = %s", (who,)) == 5, who


def test_asyncpg_sql_execute_of_a_named_statement(steer, cluster, table, mode):
    """asyncpg's prepare(name=...) makes a protocol-level statement, which
    a client may then run with SQL EXECUTE in a simple Query (execute()). pgsteer's server connections know
    it by pgsteer's name: the EXECUTE runs under that name, on whichever
    connection the session gets (prepared there first when it lacks it)."""
    async def run():
        async with asyncpg_conn(p=steer) as conn, asyncpg_conn(p=steer) as other:
            stmt = await step("prepare(name=)", conn.prepare("SELECT 41 + 1", name="it_named"))
            assert await step("the statement", stmt.fetchval()) == 42
            for i in range(6):
                # the other client takes connections, so conn's next statement moves
                async with other.transaction():
                    await other.fetchval("SELECT 1")
                    assert await step("EXECUTE it_named", conn.execute("EXECUTE it_named")) == "SELECT 1"
                assert await step("EXECUTE with a comment", conn.execute(
                    "/* %d */ execute \"it_named\"" % i)) == "SELECT 1"
                # fetchval() names its own statement: a named Parse of the EXECUTE text
                async with other.transaction():
                    await other.fetchval("SELECT 1")
                    assert await step("fetchval('EXECUTE it_named')",
                                      conn.fetchval("EXECUTE it_named")) == 42
            # PostgreSQL's error names the client's statement, not pgsteer's
            with pytest.raises(asyncpg.exceptions.DuplicatePreparedStatementError,
                               match='prepared statement "it_named" already exists'):
                await conn.prepare("SELECT 41 + 1", name="it_named")
            assert await step("after the error", stmt.fetchval()) == 42
    asyncio.run(run())


def test_psycopg_sql_execute_of_a_protocol_statement(steer, cluster, mode):
    """The same with psycopg: SQL EXECUTE of the name psycopg gave a
    statement it prepared, as a simple Query, as an unnamed Parse (binary
    results) and as a named Parse (the EXECUTE text itself prepared), on
    whichever connection the session gets."""
    with steer.connect() as c, steer.connect() as other:
        c.prepare_threshold = 100       # its EXECUTE texts stay unnamed (prepare=True still names)
        assert c.execute("SELECT 41 + %s::int", [1], prepare=True).fetchone() == (42,)
        for _ in range(4):
            with other.transaction():
                other.execute("SELECT 1")       # holds a connection: c's next statement moves
                assert c.execute("EXECUTE _pg3_0(1)").fetchone() == (42,)
                # binary results: the extended protocol, an unnamed Parse (no $n: PostgreSQL
                # takes no parameters in EXECUTE's arguments)
                assert c.execute("EXECUTE _pg3_0(2)", binary=True).fetchone() == (43,)
            assert c.execute("execute _pg3_0 ( 3 )", binary=True).fetchone() == (44,)
            # prepared itself (as psycopg does once prepare_threshold is reached): a named Parse
            with other.transaction():
                other.execute("SELECT 1")
                assert c.execute("EXECUTE _pg3_0(4)", prepare=True).fetchone() == (45,)
            assert c.execute("EXECUTE _pg3_0(4)", prepare=True).fetchone() == (45,)


def test_asyncpg_cancel(steer, cluster, table, mode):
    """A statement timeout in asyncpg sends a CancelRequest (to pgsteer, with
    the key pgsteer gave): the statement stops on whichever node ran it, the
    call returns at the timeout, and the pooled connection answers the next
    statement at once. Twice: execute(timeout=) and asyncio.wait_for()."""
    async def run():
        async with asyncpg_pool(steer, 2) as pool:
            async with acquired(pool) as conn:
                for how in ("timeout=", "wait_for"):
                    marker = "drv_cancel_%s" % how.strip("=")
                    sql = "SELECT pg_sleep(10) /* %s */" % marker
                    t0 = time.monotonic()
                    try:
                        if how == "timeout=":
                            await conn.execute(sql, timeout=0.5)
                        else:
                            await asyncio.wait_for(conn.fetchval(sql), 0.5)
                        raise AssertionError("pg_sleep(10) was not interrupted")
                    except asyncio.TimeoutError:
                        pass
                    t1 = time.monotonic()
                    # the next statement waits for the cancelled one to end
                    assert await step("the statement after a cancel",
                                      conn.fetchval("SELECT $1::int", 42), 15) == 42
                    t2 = time.monotonic()
                    assert t1 - t0 < 2, "%s: the timeout took %.1fs" % (how, t1 - t0)
                    assert t2 - t1 < 3, ("%s: the statement after a cancelled pg_sleep(10) took "
                                         "%.1fs: the CancelRequest did not stop it" % (how, t2 - t1))
                    assert active_sleeps(cluster, marker) == 0
                async with conn.transaction():
                    await conn.execute("INSERT INTO drv_rows VALUES (1, 'after-cancel', 1)")
                assert await step("a read after the cancels", conn.fetchval(
                    "SELECT who FROM drv_rows WHERE id = 1")) == "after-cancel"
    asyncio.run(run())


def test_asyncpg_executemany_stops_at_a_failed_row_and_at_a_cancel(steer, cluster, table, mode):
    """asyncpg's executemany() streams one batch (Bind/Execute per row, one
    Sync at the end) and watches for an error while it writes. Through
    pgsteer, as direct: a row that fails stops the generator early, and a
    timeout in the middle (an UPDATE waiting for another session's row
    lock) cancels the batch, so none of its rows is written. asyncpg's own
    test_executemany_server_failure_during_writes and
    test_executemany_timeout_flow_control, with pgsteer's pool."""
    async def run():
        async with asyncpg_pool(steer, 2) as pool:
            async with acquired(pool) as conn:
                pos = 0

                def rows():  # 32 MB in all: more than the sockets and pgsteer hold
                    nonlocal pos
                    while pos < 1024:
                        pos += 1
                        yield (1, "dup", 0) if pos < 3 else (pos, "x" * 32768, pos)
                try:
                    await step("executemany with a duplicate second row", conn.executemany(
                        "INSERT INTO drv_rows VALUES ($1, $2, $3)", rows()))
                    raise AssertionError("the duplicate row was inserted")
                except asyncpg.UniqueViolationError:
                    pass
                assert pos < 1024, "executemany went on to the end after its second row failed"
                assert await conn.fetchval("SELECT count(*) FROM drv_rows") == 0

                await conn.executemany("INSERT INTO drv_rows VALUES ($1, 'r', 0)",
                                       [(x,) for x in range(1024)])
                async with acquired(pool) as locker:
                    tx = locker.transaction()
                    await tx.start()
                    await locker.execute("UPDATE drv_rows SET n = -1 WHERE id = 10")
                    try:
                        await conn.executemany("UPDATE drv_rows SET who = $1 WHERE id = $2",
                                               [("a" * 32768, x) for x in range(1024)], timeout=0.5)
                        raise AssertionError("executemany() behind a row lock did not time out")
                    except asyncio.TimeoutError:
                        pass

                    def batch_waits():
                        with cluster.connect() as c:
                            return scalar(c, "SELECT count(*) FROM pg_stat_activity WHERE "
                                          "wait_event_type = 'Lock' AND query LIKE 'UPDATE drv_rows SET who%%'")
                    # the lock is held until the cancel has landed (or never does)
                    await poll_async(lambda: batch_waits() == 0, 10,
                                     "the cancel to stop the batch waiting for the row lock")
                    await tx.rollback()
                assert await step("a read after the cancelled batch", conn.fetchval(
                    "SELECT count(*) FROM drv_rows WHERE who <> 'r' OR n <> 0")) == 0
    asyncio.run(run())


async def poll_async(cond, timeout, what):
    """helpers.wait_for for a coroutine: polls COND without blocking the
    loop. WHAT: text, or a callable giving it when the time is up."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1fs waiting for %s"
                                 % (timeout, what() if callable(what) else what))
        await asyncio.sleep(0.05)


def test_asyncpg_listen_notify(steer, mode):
    """conn.add_listener: notifications sent by other clients through pgsteer
    (NOTIFY and pg_notify(), with a pooled connection) reach an idle
    listener without it sending anything, in order; after remove_listener
    (UNLISTEN) no more arrive."""
    async def run():
        async with asyncpg_conn(p=steer) as listener, asyncpg_pool(steer, 2) as pool:
            got = []
            def cb(conn, pid, channel, payload):
                got.append((channel, payload))
            await step("add_listener", listener.add_listener("drv_chan", cb))
            async with acquired(pool) as conn:
                for k in range(5):
                    if k % 2:
                        await step("NOTIFY", conn.execute("NOTIFY drv_chan, 'm%d'" % k))
                    else:
                        await step("pg_notify", conn.execute("SELECT pg_notify('drv_chan', $1)",
                                                             "m%d" % k))
                await poll_async(lambda: len(got) >= 5, IDLE_NOTIFY,
                                 lambda: "5 notifications at an idle asyncpg listener (got %r)" % got)
                assert got == [("drv_chan", "m%d" % k) for k in range(5)]
                await step("remove_listener", listener.remove_listener("drv_chan", cb))
                await step("NOTIFY", conn.execute("NOTIFY drv_chan, 'after'"))
                assert await step("SELECT 1 on the listener", listener.fetchval("SELECT 1")) == 1
                assert got == [("drv_chan", "m%d" % k) for k in range(5)]
    asyncio.run(run())


def test_asyncpg_notify_under_write_load(steer, cluster, table, mode):
    """A listener through pgsteer keeps inserting (each a write, which
    pgsteer follows with its read-your-writes probe) while a direct
    connection to the primary sends 1000 pg_notify(); all 1000 reach the
    listener, each once. Then one more, sent while the listener is idle,
    reaches it without it sending anything."""
    async def run():
        async with asyncpg_conn(p=steer) as listener, asyncpg_conn(port=cluster.port) as direct:
            got = []
            await step("add_listener", listener.add_listener(
                "drv_load", lambda c, pid, ch, payload: got.append(payload)))

            async def send():
                for i in range(NOTIFY_COUNT):
                    await direct.execute("SELECT pg_notify('drv_load', $1)", str(i))
            sender = asyncio.ensure_future(send())
            settled, k = Settled(got), 0
            try:
                while not settled(sender.done()):
                    k += 1
                    await step("the listener's INSERT", listener.execute(
                        "INSERT INTO drv_rows (id, who, n) VALUES ($1, 'listener', $2)", k, k))
                await step("sending %d notifications" % NOTIFY_COUNT, sender, NOTIFY_DEADLINE)
            finally:
                sender.cancel()
            received_verdict("asyncpg, %s pooling, %d inserts" % (mode, k), got)
            await step("pg_notify", direct.execute("SELECT pg_notify('drv_load', 'idle')"))
            await poll_async(lambda: "idle" in got, IDLE_NOTIFY,
                             "a notification at the idle asyncpg listener")
    asyncio.run(run())

# ----------------------------------------------------------------- psycopg 3


def psycopg_iteration(conn, i, binary=False):
    """The asyncpg iteration with psycopg. psycopg prepares a statement on
    its fifth run on a connection (prepare_threshold) and forgets all of
    them at every rollback (sending DEALLOCATE ALL before the next
    statement), so the two errors with their rollbacks come in one
    iteration out of ten: in between, the statements are prepared and then
    bound by name on whatever server pgsteer picks."""
    with conn.cursor(binary=binary) as cur:
        assert cur.execute("SELECT %s::int * 2 + %s::int", (i, 1)).fetchone() == (2 * i + 1,)
        assert cur.execute("SELECT %s::bigint + 1, %s::text || 'x'",
                           (i, "p%d" % i)).fetchone() == (i + 1, "p%dx" % i)
        with conn.transaction():
            cur.execute("INSERT INTO drv_rows (id, who, n) VALUES (%s, %s, %s)", (i, "psycopg", i))
            assert cur.execute("SELECT n FROM drv_rows WHERE id = %s", (i,)).fetchone() == (i,)
        assert cur.execute("SELECT who FROM drv_rows WHERE id = %s", (i,)).fetchone() == ("psycopg",)
        if i % 10 == 9:
            try:
                with conn.transaction():
                    cur.execute("INSERT INTO drv_rows (id, who, n) VALUES (%s, %s, %s)",
                                (i, "dup", -1))
                raise AssertionError("a duplicate key was accepted")
            except psycopg.errors.UniqueViolation:
                pass
            cur.execute("BEGIN")
            try:
                cur.execute("SELECT 1 / %s::int", (0,))
                raise AssertionError("1 / 0 did not fail")
            except psycopg.errors.DivisionByZero:
                pass
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
            cur.execute("ROLLBACK")
        assert cur.execute("SELECT count(*) FROM drv_rows WHERE id = %s", (i,)).fetchone() == (1,)


def prepared_names(p):
    """The protocol-level statement names pgsteer holds for its clients
    (SHOW CLIENTS, column prepared), summed."""
    with helpers.connect(p.port, user="admin", dbname="pgsteer") as a:
        cur = a.execute("SHOW CLIENTS")
        col = [d.name for d in cur.description].index("prepared")
        return sum(int(r[col] or 0) for r in cur.fetchall())


def psycopg_pool_run(p, mode, name, n, one, **kwargs):
    """ConnectionPool of DRIVER_POOL[mode] connections used by as many
    threads for N iterations of ONE(conn, i); asserts that all succeeded.
    Returns the statement names pgsteer held for the pool's clients at the
    end (before the pool closes)."""
    size = DRIVER_POOL[mode]
    kwargs.setdefault("autocommit", True)
    pool = ConnectionPool(conninfo(p), min_size=size, max_size=size, kwargs=kwargs,
                          timeout=STALL, name=name)
    try:
        pool.wait(timeout=30)

        def use(i):
            with pool.connection(timeout=STALL) as conn:
                one(conn, i)
        ok, failures, stuck = run_threads(name, size, n, use)
        names = prepared_names(p) if not stuck else None
    finally:
        pool.close(timeout=5)
    extra = ", %d threads stuck for %ds" % (stuck, STALL) if stuck else ""
    verdict("psycopg_pool of %d (%s), %s pooling" % (size, name, mode), n, ok, failures, extra)
    return names


@pytest.mark.parametrize("variant", ["default", "prepare0-binary"])
def test_psycopg_pool(steer, cluster, table, mode, variant):
    """psycopg_pool.ConnectionPool of 20 (6 in session mode) used from as
    many threads: all N iterations succeed. 'default' keeps psycopg's
    prepare_threshold (statements prepared on their 5th run, named _pg3_N);
    'prepare0-binary' prepares everything at once and reads binary results.
    At the end pgsteer holds statement names for the clients (SHOW
    CLIENTS): statements were prepared and bound by name."""
    if variant == "default":
        names = psycopg_pool_run(steer, mode, variant, ITERATIONS, psycopg_iteration)
    else:
        names = psycopg_pool_run(steer, mode, variant, ITERATIONS,
                                 lambda conn, i: psycopg_iteration(conn, i, binary=True),
                                 prepare_threshold=0)
    assert names, ("pgsteer holds no prepared statement name for the pool's clients: "
                   "psycopg prepared nothing, the test did not test that")
    with cluster.connect() as c:
        assert scalar(c, "SELECT count(*) FROM drv_rows WHERE who = 'psycopg'") == ITERATIONS


def psycopg_pipeline_iteration(conn, i):
    """Pipeline mode: three inserts and two selects in one pipeline (one
    implicit transaction until the Sync), one explicit transaction inside a
    pipeline, then a pipeline whose second insert fails: psycopg raises, the
    whole batch is rolled back, and the connection carries on."""
    ids = [4 * i + k for k in range(4)]
    with conn.pipeline():
        ins = [conn.execute("INSERT INTO drv_rows (id, who, n) VALUES (%s, 'pipe', %s) RETURNING id",
                            (x, i)) for x in ids[:3]]
        cnt = conn.execute("SELECT count(*) FROM drv_rows WHERE id = ANY(%s)", (ids[:3],))
        echo = conn.execute("SELECT %s::int + 1", (i,))
        with conn.transaction():
            conn.execute("INSERT INTO drv_rows (id, who, n) VALUES (%s, 'pipe', %s)", (ids[3], i))
            inside = conn.execute("SELECT n FROM drv_rows WHERE id = %s", (ids[3],))
    assert [c.fetchone() for c in ins] == [(x,) for x in ids[:3]]
    assert cnt.fetchone() == (3,)
    assert echo.fetchone() == (i + 1,)
    assert inside.fetchone() == (i,)
    fresh = 10**6 + i
    try:
        with conn.pipeline():
            conn.execute("INSERT INTO drv_rows (id, who, n) VALUES (%s, 'pipe-x', 0)", (fresh,))
            conn.execute("INSERT INTO drv_rows (id, who, n) VALUES (%s, 'pipe-x', 0)", (ids[0],))
            conn.execute("SELECT 1")
        raise AssertionError("a duplicate key was accepted in a pipeline")
    except psycopg.errors.UniqueViolation:
        pass
    assert conn.execute("SELECT count(*) FROM drv_rows WHERE id = ANY(%s)",
                        ([fresh] + ids,)).fetchone() == (4,)


def test_psycopg_pipeline(steer, cluster, table, mode):
    """psycopg pipeline mode from pooled connections: every result is right,
    implicit and explicit transactions in a pipeline stay on one server, and
    an error in a pipeline aborts exactly its batch."""
    n = max(ITERATIONS // 4, 10)
    psycopg_pool_run(steer, mode, "pipeline", n, psycopg_pipeline_iteration)
    with cluster.connect() as c:
        assert scalar(c, "SELECT count(*) FROM drv_rows WHERE who = 'pipe'") == 4 * n
        assert scalar(c, "SELECT count(*) FROM drv_rows WHERE who = 'pipe-x'") == 0


def test_psycopg_prepared_statement_eviction(steer, mode):
    """psycopg keeps at most prepared_max statements per connection and
    evicts the oldest by sending `DEALLOCATE _pg3_N` (extended protocol,
    unnamed statement, no parameters); after a ROLLBACK it forgets them all
    and sends `DEALLOCATE ALL` the same way. With prepared_max = 2 and 12
    distinct statements run round after round, every statement must answer
    right: those DEALLOCATEs of names that pgsteer tracks must succeed as
    they do on PostgreSQL, not fail with 26000."""
    def body():
        with psycopg.connect(conninfo(steer), autocommit=True, prepare_threshold=0) as conn:
            conn.prepared_max = 2
            done, errors = 0, []
            for phase in range(2):
                for rnd in range(2):
                    for k in range(12):
                        try:
                            v = conn.execute("SELECT %%s::int + %d" % k, (rnd,)).fetchone()
                            assert v == (rnd + k,), v
                            done += 1
                        except psycopg.Error as e:
                            errors.append("phase %d, round %d, statement %d: %s"
                                          % (phase, rnd, k, describe(e)))
                try:
                    conn.execute("BEGIN")
                    conn.execute("ROLLBACK")  # psycopg: DEALLOCATE ALL before the next statement
                except psycopg.Error as e:
                    errors.append("phase %d, BEGIN/ROLLBACK: %s" % (phase, describe(e)))
            assert not errors and done == 48, (
                "%d of 48 statements answered with prepared_max = 2; %d errors, first: %s"
                % (done, len(errors), errors[:3]))

    bounded(body, 60, "psycopg with prepared_max = 2")


def test_psycopg_prepared_deallocate_all(steer, mode):
    """With prepare_threshold = 0 psycopg prepares every statement, even
    `DEALLOCATE ALL`: Parse "_pg3_N" "DEALLOCATE ALL" + Sync, then Bind
    "_pg3_N", Describe, Execute, Sync. PostgreSQL runs it (CommandComplete
    DEALLOCATE ALL: every statement dropped, that one included), and a
    statement never run before then prepares and runs. Through pgsteer the
    same. (psycopg still believes in its older names afterwards, which
    fails on PostgreSQL too, so they are not used again.)"""
    def body():
        with psycopg.connect(conninfo(steer), autocommit=True, prepare_threshold=0) as conn:
            assert conn.execute("SELECT %s::int", (1,)).fetchone() == (1,)
            assert conn.execute("SELECT %s::int + 1", (1,)).fetchone() == (2,)
            try:
                cur = conn.execute("DEALLOCATE ALL")
            except psycopg.Error as e:
                raise AssertionError("a prepared DEALLOCATE ALL failed: %s" % describe(e)) from None
            assert cur.statusmessage == "DEALLOCATE ALL", cur.statusmessage
            assert conn.execute("SELECT %s::int + 100", (1,)).fetchone() == (101,)

    bounded(body, 30, "psycopg's prepared DEALLOCATE ALL")


def test_psycopg_copy(steer, table, mode):
    """cursor.copy(): text COPY FROM STDIN by rows, binary COPY FROM STDIN
    with set_types, COPY TO STDOUT of a query right after (read-your-writes),
    and a COPY that fails on a duplicate key inside a transaction, after
    which the connection carries on."""
    def body():
        with psycopg.connect(conninfo(steer), autocommit=True) as conn, conn.cursor() as cur:
            with cur.copy("COPY drv_rows (id, who, n) FROM STDIN") as cp:
                for j in range(500):
                    cp.write_row((j, "copy-text", j))
            with cur.copy("COPY drv_rows (id, who, n) FROM STDIN (FORMAT BINARY)") as cp:
                cp.set_types(["int8", "text", "int4"])
                for j in range(500, 1000):
                    cp.write_row((j, "copy-bin", j))
            with cur.copy("COPY (SELECT id, who, n FROM drv_rows ORDER BY id) TO STDOUT") as cp:
                cp.set_types(["int8", "text", "int4"])
                rows = list(cp.rows())
            assert rows == [(j, "copy-text" if j < 500 else "copy-bin", j) for j in range(1000)]
            try:
                with conn.transaction():
                    with cur.copy("COPY drv_rows (id, who, n) FROM STDIN") as cp:
                        cp.write_row((5000, "x", 0))
                        cp.write_row((7, "x", 0))
                raise AssertionError("COPY of a duplicate key was accepted")
            except psycopg.errors.UniqueViolation:
                pass
            assert cur.execute("SELECT count(*), max(id) FROM drv_rows").fetchone() == (1000, 999)

    bounded(body, 60, "psycopg COPY")


def test_psycopg_cancel(steer, cluster, mode):
    """conn.cancel() from another thread while the connection runs
    pg_sleep(10): psycopg sends a CancelRequest to pgsteer, the statement
    raises QueryCanceled at once, the server stops sleeping, and the same
    connection answers the next statement."""
    def body():
        marker = "drv_cancel_psycopg"
        with psycopg.connect(conninfo(steer), autocommit=True) as conn:
            out = {}

            def sleeper():
                t0 = time.monotonic()
                try:
                    conn.execute("SELECT pg_sleep(10) /* %s */" % marker)
                    out["result"] = "completed"
                except Exception as e:
                    out["result"] = describe(e)
                    out["error"] = e
                out["elapsed"] = time.monotonic() - t0
            t = threading.Thread(target=sleeper, daemon=True)
            t.start()
            wait_for(lambda: active_sleeps(cluster, marker) == 1, 10, "pg_sleep running on a node")
            t_cancel = time.monotonic()
            conn.cancel()
            t.join(15)
            assert not t.is_alive(), "pg_sleep(10) still running 15s after conn.cancel()"
            assert isinstance(out.get("error"), psycopg.errors.QueryCanceled), out
            assert time.monotonic() - t_cancel < 3, "the cancel took %.1fs" % (time.monotonic() - t_cancel)
            wait_for(lambda: active_sleeps(cluster, marker) == 0, 5, "no pg_sleep left on the nodes")
            assert conn.execute("SELECT %s::int", (42,)).fetchone() == (42,)
            # inside a transaction too: the transaction is aborted, ROLLBACK ends it
            conn.execute("BEGIN")
            out.clear()

            def sleeper_tx():
                try:
                    conn.execute("SELECT pg_sleep(10) /* %s_tx */" % marker)
                    out["result"] = "completed"
                except Exception as e:
                    out["error"] = e
            t = threading.Thread(target=sleeper_tx, daemon=True)
            t.start()
            wait_for(lambda: active_sleeps(cluster, marker + "_tx") == 1, 10, "pg_sleep in a transaction")
            conn.cancel()
            t.join(15)
            assert isinstance(out.get("error"), psycopg.errors.QueryCanceled), out
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
            conn.execute("ROLLBACK")
            assert conn.execute("SELECT 1").fetchone() == (1,)

    bounded(body, 90, "psycopg cancel")


def notifies_now(conn):
    """Notifications that have reached CONN's socket, read without sending
    anything (select() + PQconsumeInput, as an event loop would)."""
    out = []
    r, _, _ = select.select([conn.fileno()], [], [], 0)
    if r:
        conn.pgconn.consume_input()
    while True:
        n = conn.pgconn.notifies()
        if n is None:
            return out
        out.append(n.extra.decode())


def test_psycopg_listen_notify(steer, mode):
    """A thread waits in conn.notifies() on an idle listener through
    pgsteer; NOTIFY and pg_notify() from another pgsteer client reach it in
    order, without the listener sending anything."""
    def body():
        listener = psycopg.connect(conninfo(steer), autocommit=True)
        t = None
        try:
            listener.execute("LISTEN drv_chan")
            got = []

            def listen():
                try:
                    for n in listener.notifies():
                        got.append((n.channel, n.payload))
                        if len(got) == 5:
                            return
                except psycopg.Error as e:  # the connection went away under it
                    got.append(("error", describe(e)))
            t = threading.Thread(target=listen, daemon=True)
            t.start()
            with psycopg.connect(conninfo(steer), autocommit=True) as sender:
                for k in range(5):
                    if k % 2:
                        sender.execute("NOTIFY drv_chan, 'm%d'" % k)
                    else:
                        sender.execute("SELECT pg_notify('drv_chan', %s)", ("m%d" % k,))
            t.join(IDLE_NOTIFY)
            assert got == [("drv_chan", "m%d" % k) for k in range(5)], (
                "notifications at an idle psycopg listener after %ds: %r" % (IDLE_NOTIFY, got))
            listener.close()
        finally:
            if not listener.closed and (t is None or not t.is_alive()):
                listener.close()  # else it is stuck in notifies(): pgsteer's stop ends it

    bounded(body, 60, "psycopg LISTEN")


def test_psycopg_notify_under_write_load(steer, cluster, table, mode):
    """The asyncpg load test with psycopg: the listener's inserts receive
    the notifications through add_notify_handler; all 1000 must arrive, and
    one more while the listener is idle (read with select() and
    PQconsumeInput, nothing sent)."""
    def body():
        got = []
        with psycopg.connect(conninfo(steer), autocommit=True) as listener, \
                cluster.connect() as direct:
            listener.add_notify_handler(lambda n: got.append(n.payload))
            listener.execute("LISTEN drv_load")
            send_error = []

            def send():
                try:
                    with cluster.connect() as d:
                        for i in range(NOTIFY_COUNT):
                            d.execute("SELECT pg_notify('drv_load', %s)", (str(i),))
                except Exception as e:
                    send_error.append(describe(e))
            sender = threading.Thread(target=send, daemon=True)
            sender.start()
            settled, k = Settled(got), 0
            while not settled(not sender.is_alive()):
                k += 1
                listener.execute("INSERT INTO drv_rows (id, who, n) VALUES (%s, 'listener', %s)", (k, k))
            sender.join(NOTIFY_DEADLINE)
            assert not send_error, send_error
            received_verdict("psycopg, %s pooling, %d inserts" % (mode, k), got)
            direct.execute("SELECT pg_notify('drv_load', 'idle')")
            idle = []
            wait_for(lambda: idle.extend(notifies_now(listener)) or "idle" in idle, IDLE_NOTIFY,
                     "a notification at the idle psycopg listener")

    bounded(body, NOTIFY_DEADLINE + 60, "psycopg listener under write load")

# ----------------------------------------------------------------- node-postgres


@pytest.fixture(scope="session")
def node_pg():
    """node and node-postgres: `npm ci` in tests/integration/node once, when
    its node_modules is missing (the npm registry must be reachable)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("node-postgres tests need node and npm (Debian: apt-get install nodejs npm; "
                    "contrib/check.sh installs them); found node=%s npm=%s" % (node, npm))
    if not os.path.isfile(os.path.join(NODE_DIR, "node_modules", "pg", "package.json")):
        lock = os.path.isfile(os.path.join(NODE_DIR, "package-lock.json"))
        cmd = [npm, "ci" if lock else "install", "--no-audit", "--no-fund"]
        r = subprocess.run(cmd, cwd=NODE_DIR, capture_output=True, text=True, timeout=300,
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            pytest.fail("`%s` in %s failed (exit %d):\n%s%s"
                        % (" ".join(cmd), NODE_DIR, r.returncode, r.stdout[-3000:], r.stderr[-3000:]))
    return node


def run_node(node, command, cfg, timeout):
    """node drivers.js COMMAND CFG-as-JSON -> its JSON summary (last stdout line)."""
    try:
        r = subprocess.run([node, os.path.join(NODE_DIR, "drivers.js"), command, json.dumps(cfg)],
                           cwd=NODE_DIR, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("node drivers.js %s still running after %ds; stderr:\n%s"
                             % (command, timeout, (e.stderr or b"")[-3000:]))
    lines = r.stdout.strip().splitlines()
    assert r.returncode == 0 and lines, "node drivers.js %s exit %d:\n%s%s" % (
        command, r.returncode, r.stdout[-3000:], r.stderr[-3000:])
    return json.loads(lines[-1])


def test_node_pg(node_pg, steer, cluster, table, mode):
    """node-postgres: new pg.Pool({max: 20}) (6 in session mode) used by as
    many async workers for N iterations (named prepared statements
    {name, text, values}, unnamed extended and simple queries, BEGIN /
    INSERT / read back / COMMIT, a read after the commit, errors in
    transactions with ROLLBACK); LISTEN on a pg.Client with
    client.on('notification'); Client.cancel() (a CancelRequest with the key
    pgsteer gave) and the statement_timeout connection option. The script
    reports what happened; the expectations are here."""
    size = DRIVER_POOL[mode]
    s = run_node(node_pg, "scenario", {
        "port": steer.port, "nodePorts": [cluster.port] + cluster.replica_ports,
        "poolSize": size, "iterations": ITERATIONS,
        "stallMs": STALL * 1000, "idleNotifyMs": IDLE_NOTIFY * 1000}, timeout=120 + ITERATIONS // 10)
    it = s["iterations"]
    verdict("node-postgres pg.Pool of %d, %s pooling" % (size, mode), ITERATIONS,
            it["ok"], [(f["i"], f["error"]) for f in it["failures"]],
            ", %d workers stuck" % it["stuck"] if it["stuck"] else "")
    with cluster.connect() as c:
        assert scalar(c, "SELECT count(*) FROM drv_rows WHERE who = 'node'") == ITERATIONS
    assert s["listen"] == {"received": ["m%d" % k for k in range(5)], "error": None}, s["listen"]
    c = s["cancel"]
    assert c["error"] is None and c["code"] == "57014", c
    assert c["elapsedMs"] < 3000, "Client.cancel() took %dms to end pg_sleep(10)" % c["elapsedMs"]
    assert c["after"] == 42, c
    t = s["statementTimeout"]
    assert t["error"] is None and t["code"] == "57014" and t["setting"] == "300ms", t
    assert t["elapsedMs"] < 3000, t
    assert t["after"] == 42, t
    assert active_sleeps(cluster, "drv_cancel_node") == 0


def test_node_pg_notify_under_write_load(node_pg, steer, cluster, table, mode):
    """The notification load test with node-postgres: a pg.Client through
    pgsteer LISTENs and inserts in a loop, a pg.Client on the primary sends
    1000 pg_notify(); all arrive, and one more while the listener is idle."""
    s = run_node(node_pg, "notify-load", {
        "port": steer.port, "primaryPort": cluster.port, "count": NOTIFY_COUNT,
        "deadlineMs": NOTIFY_DEADLINE * 1000, "graceMs": int(NOTIFY_GRACE * 1000),
        "idleNotifyMs": IDLE_NOTIFY * 1000}, timeout=NOTIFY_DEADLINE + 60)
    assert s["error"] is None, s["error"]
    received_verdict("node-postgres, %s pooling, %d inserts" % (mode, s["inserts"]), s["received"])
    assert s["idleReceived"], ("a notification sent while the node-postgres listener was idle "
                               "did not arrive within %ds" % IDLE_NOTIFY)


def test_asyncpg_statement_whose_columns_changed_on_a_fresh_server(pgsteer, cluster):
    """asyncpg prepares SELECT * (Parse, Describe: it decodes rows with the
    columns it was told). DDL through pgsteer then changes those columns,
    and the statement's next run lands on a server connection that never
    had it (here: every backend of the pool was terminated). PostgreSQL
    itself fails such a run with 0A000 "cached plan must not change result
    type", from RevalidateCachedQuery, and asyncpg prepares again on that
    error; a plain fresh Parse would hand asyncpg rows of the new shape to
    decode with the old one (wrong values, or 'insufficient data'). DDL
    that leaves the columns alone makes no error."""
    p = pgsteer(nodes=[cluster.port], default_pool_size=2, workers=1)
    with cluster.connect() as c:
        c.execute("DROP TABLE IF EXISTS drv_shape")
        c.execute("CREATE TABLE drv_shape (a int, b int)")
        c.execute("INSERT INTO drv_shape VALUES (1, 2)")

    def terminate_pool():
        """Terminate pgsteer's backends, then wait until pgsteer has dropped
        them: a statement sent to a backend still exiting would get its
        57P01, as it would directly."""
        with cluster.connect() as c:
            killed = {r[0] for r in c.execute(
                "WITH pool AS MATERIALIZED (SELECT pid FROM pg_stat_activity "
                "WHERE application_name = '' AND datname = 'postgres' AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend' AND usename = current_user "
                "AND client_port IS NOT NULL AND query NOT LIKE '%pg_terminate_backend%') "
                "SELECT pid FROM pool WHERE pg_terminate_backend(pid)")}
        wait_for(lambda: not killed & {r["backend_pid"] for r in helpers.admin_rows(p, "SHOW SERVERS")},
                 15, "pgsteer dropping the terminated server connections")

    async def run():
        async with asyncpg_conn(p=p) as conn, asyncpg_conn(p=p) as ddl:
            stmt_rows = await step("first run", conn.fetchrow("SELECT * FROM drv_shape"))
            assert tuple(stmt_rows) == (1, 2)
            # columns unchanged: the statement runs on a fresh server without an error
            await step("DDL keeping the columns", ddl.execute("CREATE INDEX ON drv_shape (a)"))
            terminate_pool()
            assert tuple(await step("same columns", conn.fetchrow("SELECT * FROM drv_shape"))) == (1, 2)
            # columns changed: type of b, then one more column
            await step("ALTER TYPE", ddl.execute("ALTER TABLE drv_shape ALTER COLUMN b TYPE text"))
            terminate_pool()
            assert tuple(await step("new type", conn.fetchrow("SELECT * FROM drv_shape"))) == (1, "2")
            await step("ADD COLUMN", ddl.execute("ALTER TABLE drv_shape ADD COLUMN c int DEFAULT 3"))
            terminate_pool()
            assert tuple(await step("new column", conn.fetchrow("SELECT * FROM drv_shape"))) == (1, "2", 3)
    try:
        asyncio.run(run())
    finally:
        with cluster.connect() as c:
            c.execute("DROP TABLE IF EXISTS drv_shape")
    log = p.log()
    assert log.count("has other columns since DDL") >= 2, log[-3000:]


@pytest.mark.parametrize("mode", ["transaction", "session"])
def test_asyncpg_notification_carries_the_notifiers_process_id(pgsteer, cluster, mode):
    """A notification names the backend that sent it; through pgsteer it
    names the process ID the notifying client was given (get_server_pid()),
    for NOTIFY and pg_notify(), from another connection and from the
    listener itself: applications compare it with their own to skip their
    own notifications. A notification from outside pgsteer keeps its PID."""
    p = pgsteer(pool_mode=mode)

    async def run():
        got = asyncio.Queue()
        async with asyncpg_conn(p=p) as con1, asyncpg_conn(p=p) as con2, \
                asyncpg_conn(port=cluster.port) as direct:
            await con1.add_listener("drv_ipc", lambda *args: got.put_nowait(args[1:]))
            assert con1.get_server_pid() != con2.get_server_pid()
            await con2.execute("NOTIFY drv_ipc, 'other'")
            assert await step("NOTIFY from another client", got.get()) == \
                (con2.get_server_pid(), "drv_ipc", "other")
            await con2.execute("SELECT pg_notify('drv_ipc', 'fn')")
            assert await step("pg_notify()", got.get()) == (con2.get_server_pid(), "drv_ipc", "fn")
            await con1.execute("NOTIFY drv_ipc, 'self'")
            assert await step("its own NOTIFY", got.get()) == (con1.get_server_pid(), "drv_ipc", "self")
            await direct.execute("NOTIFY drv_ipc, 'direct'")
            assert await step("NOTIFY from outside", got.get()) == \
                (direct.get_server_pid(), "drv_ipc", "direct")
    asyncio.run(run())
