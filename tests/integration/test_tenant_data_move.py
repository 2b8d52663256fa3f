"""Tenant moves that carry the data (TENANT MOVE <t> TO <c> WITH DATA): the
tenant's schema (or database) is copied to the target cluster with
PostgreSQL logical replication, then placement switches in the coordinated
hold of TENANT MOVE.

Checked here, against real PostgreSQL servers (which cluster answered and
what is stored are read from PostgreSQL directly, never from pgsteer):

- under a write load of ~20 clients, a move WITH DATA loses no acknowledged
  write (inserts, updates of copied rows, sequence-generated ids), clients
  see no error, sequences continue on the target (setval from the source),
  sessions continue on the target, the replication objects
  (pgsteer_move_<tenant>: publication, slot, subscription) are gone and the
  source copy is kept; other tenants of the source are not disturbed. The
  pause of the moving tenant's statements during the cutover is printed
  ("pause: p99 X ms, max Y ms"), never asserted;
- the same with two pgsteer instances over the same metadata, and with
  the target's apply stalled at the cutover (the cutover must wait for it);
- while a data move runs, the tenant is served on the source and cannot be
  moved again or dropped (55000);
- TENANT MOVE <t> CANCEL during the copy: the mover gets 57014, the tenant
  stays (and is served) on the source, every object pgsteer created is gone;
- a copy that does not finish within move_data_timeout, a target that
  goes down during the copy, and a cutover hold that exceeds move_timeout
  (an open transaction): the move fails, the tenant stays on the source,
  pgsteer's objects are removed;
- prerequisites (55000, nothing created): a table without primary key or
  replica identity, a source without wal_level=logical, a target that
  already has the schema or database (which pgsteer must leave alone);
- a database-per-tenant move, WITH DATA SCHEMA on the move when TENANT
  CREATE did not say, and TENANT CLEANUP (drops the source copy once,
  55000 after that or when there is none);
- SHOW MOVES: phase, tables, last_error.

Clusters: "main" (the shared cluster, holds the metadata and is not
wal_level=logical), "src" and "dst" (PostgreSQL servers of this module with
wal_level=logical). Each test uses tenant and schema names of its own and
removes what it created.
"""
import os
import random
import threading
import time
import uuid

import psycopg
import pytest

import helpers
from helpers import PG_BIN, as_postgres, scalar, wait_for
from tenancy_support import PgServer, admin, fresh_database, serving, tenancy_extra

pytestmark = pytest.mark.proxy_only

SERVER = {"server_user": "postgres", "server_database": "postgres"}
LOGICAL = {"wal_level": "logical", "max_replication_slots": 10, "max_wal_senders": 10,
           "max_logical_replication_workers": 4, "max_worker_processes": 16}
MOVE_WAIT = 60          # client-side limit for a TENANT MOVE ... WITH DATA to answer


# ---------------------------------------------------------------- fixtures

def logical_server():
    s = PgServer()
    try:
        s.start(settings=LOGICAL)
    except Exception:
        s.stop()
        raise
    return s


@pytest.fixture(scope="module")
def src():
    s = logical_server()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def dst():
    s = logical_server()
    yield s
    s.stop()


@pytest.fixture
def mddb(cluster):
    return fresh_database(cluster)


class Scrub:
    """What a test created on the servers, removed at its end (after pgsteer
    stopped): schemas and databases, and any replication object named
    pgsteer_move_* a failing move may have left (so one failure does not
    cascade into the next test)."""

    def __init__(self, servers):
        self.servers = servers          # every server a test may touch
        self.schemas = []               # (server, schema)
        self.databases = []             # (server, database)

    def schema(self, server, name):
        self.schemas.append((server, name))

    def database(self, server, name):
        self.databases.append((server, name))

    def run(self):
        for s in self.servers:
            if not helpers.port_accepts(s.port):
                continue
            try:
                with s.connect() as c:
                    for (sub,) in c.execute("SELECT subname FROM pg_subscription").fetchall():
                        c.execute('ALTER SUBSCRIPTION "%s" DISABLE' % sub)
                        c.execute('ALTER SUBSCRIPTION "%s" SET (slot_name = NONE)' % sub)
                        c.execute('DROP SUBSCRIPTION "%s"' % sub)
                    for (db,) in c.execute("SELECT datname FROM pg_database "
                                           "WHERE datallowconn").fetchall():
                        with s.connect(dbname=db) as d:
                            for (pub,) in d.execute("SELECT pubname FROM pg_publication "
                                                    "WHERE pubname LIKE 'pgsteer_move_%'"):
                                d.execute('DROP PUBLICATION "%s"' % pub)
                    c.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                              "WHERE active_pid IS NOT NULL")
                    wait_for(lambda: not scalar(c, "SELECT count(*) FROM pg_replication_slots "
                                                   "WHERE active"), 10, "slots released")
                    c.execute("SELECT pg_drop_replication_slot(slot_name) "
                              "FROM pg_replication_slots")
            except Exception as e:      # best effort: report, go on
                print("scrub %d: %r" % (s.port, e))
        for s, name in self.schemas:
            if helpers.port_accepts(s.port):
                with s.connect() as c:
                    c.execute('DROP SCHEMA IF EXISTS "%s" CASCADE' % name)
        for s, name in self.databases:
            if helpers.port_accepts(s.port):
                with s.connect() as c:
                    c.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)


@pytest.fixture
def scrub(cluster, src, dst):
    s = Scrub([src, dst])
    yield s
    s.run()


@pytest.fixture
def steer(cluster, src, dst, scrub, pgsteer, mddb):
    """Factory: a serving pgsteer over clusters main, src and dst (plus MORE:
    {cluster name: PgServer}), metadata in mddb, move_timeout 5s."""
    def start(name, more=None, **tenancy):
        tenancy.setdefault("move_timeout", "5s")
        extra = tenancy_extra(mddb, instance_name=name, **tenancy)
        extra["cluster.main"] = dict(SERVER)
        for cname, server in [("src", src), ("dst", dst)] + sorted((more or {}).items()):
            extra["cluster." + cname] = dict(SERVER)
            extra["node.%s1" % cname] = {"cluster": cname, "host": "127.0.0.1",
                                          "port": server.port}
        return serving(pgsteer(nodes=[cluster.port], extra=extra))
    return start


# ---------------------------------------------------------------- data

def make_tenant_schema(server, scrub, schema, rows=100_000, orders=500, seq_at=5000,
                       dbname="postgres"):
    """The tenant's data on SERVER: SCHEMA.items (ROWS rows, v = 0, note
    'item <id>') and SCHEMA.orders (ORDERS rows, its sequence advanced to
    SEQ_AT, past the highest id, as rollbacks leave it)."""
    if dbname == "postgres":
        scrub.schema(server, schema)
    with server.connect(dbname=dbname) as c:
        c.execute('CREATE SCHEMA "%s"' % schema)
        c.execute("CREATE TABLE %s.items (id bigint PRIMARY KEY, v int NOT NULL, note text)"
                  % schema)
        c.execute("CREATE TABLE %s.orders (id bigserial PRIMARY KEY, item bigint, qty int)"
                  % schema)
        c.execute("INSERT INTO %s.items SELECT g, 0, 'item ' || g "
                  "FROM generate_series(1, %d) g" % (schema, rows))
        c.execute("INSERT INTO %s.orders (item, qty) SELECT g, 1 "
                  "FROM generate_series(1, %d) g" % (schema, orders))
        if seq_at:
            c.execute("SELECT setval('%s.orders_id_seq', %d)" % (schema, seq_at))


def make_slow_schema(server, scrub, schema, rows=4000):
    """A tenant whose initial copy takes ~8 s whatever the machine: an
    ENABLE ALWAYS row trigger (pg_dump carries it to the target, where the
    table sync's COPY fires it) sleeps 2 ms per row. Created after the
    rows, so loading them is fast."""
    scrub.schema(server, schema)
    with server.connect() as c:
        c.execute('CREATE SCHEMA "%s"' % schema)
        c.execute("CREATE TABLE %s.items (id bigint PRIMARY KEY, v int NOT NULL, note text)"
                  % schema)
        c.execute("INSERT INTO %s.items SELECT g, 0, 'item ' || g "
                  "FROM generate_series(1, %d) g" % (schema, rows))
        c.execute("CREATE FUNCTION %s.slow_copy() RETURNS trigger LANGUAGE plpgsql AS "
                  "$$BEGIN PERFORM pg_sleep(0.002); RETURN NEW; END$$" % schema)
        c.execute("CREATE TRIGGER slow_copy BEFORE INSERT ON %s.items "
                  "FOR EACH ROW EXECUTE FUNCTION %s.slow_copy()" % (schema, schema))
        c.execute("ALTER TABLE %s.items ENABLE ALWAYS TRIGGER slow_copy" % schema)


# ---------------------------------------------------------------- observing

def port_of(conn):
    return scalar(conn, "SELECT inet_server_port()")


def tenant_port(p, tenant):
    with helpers.connect(p.port, options="-c pgsteer.tenant=" + tenant) as c:
        return port_of(c)


def locate(p, tenant):
    """TENANT LOCATE as a dict by column."""
    return helpers.admin_rows(p, "TENANT LOCATE " + tenant)[0]


def show_moves(conn):
    cur = conn.execute("SHOW MOVES")
    cols = [d.name for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def move_of(p, tenant):
    """The latest SHOW MOVES row of TENANT on P (None if none)."""
    with admin(p) as a:
        rows = [r for r in show_moves(a) if r["tenant"] == tenant]
    return rows[-1] if rows else None


def replication_objects(src, dst, tenant, dbname="postgres"):
    """Every replication object on SRC and DST (publications of DBNAME on
    SRC; slots and subscriptions are cluster-wide): empty lists when a move
    of TENANT left nothing behind. Slots are listed whatever their name:
    the table sync's temporary slots are named pg_<oid>_sync_..."""
    name = "pgsteer_move_" + tenant
    with src.connect(dbname=dbname) as c:
        pubs = [r[0] for r in c.execute("SELECT pubname FROM pg_publication")]
        slots = [r[0] for r in c.execute("SELECT slot_name FROM pg_replication_slots")]
    with dst.connect() as c:
        subs = [r[0] for r in c.execute("SELECT subname FROM pg_subscription")]
    return {"publications on source": pubs, "slots on source": slots,
            "subscriptions on target": subs, "expected name": name}


def assert_no_replication_objects(src, dst, tenant, dbname="postgres"):
    objs = replication_objects(src, dst, tenant, dbname)
    left = {k: v for k, v in objs.items() if k != "expected name" and v}
    assert not left, "the move of %s left replication objects behind: %r" % (tenant, left)


def schema_exists(server, schema, dbname="postgres"):
    with server.connect(dbname=dbname) as c:
        return scalar(c, "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (schema,)) == 1


def database_exists(server, name):
    with server.connect() as c:
        return scalar(c, "SELECT count(*) FROM pg_database WHERE datname = %s", (name,)) == 1


def table_sync_running(server, tenant):
    """The target's table sync worker of the move's subscription is copying."""
    with server.connect() as c:
        return scalar(c, "SELECT count(*) FROM pg_stat_subscription "
                         "WHERE subname = %s AND relid IS NOT NULL",
                      ("pgsteer_move_" + tenant,)) > 0


class AdminCommand(threading.Thread):
    """One admin command on pgsteer P in a thread of its own: its first row
    (or its error), its command tag and when it answered."""

    def __init__(self, p, sql):
        super().__init__(daemon=True)
        self.p, self.sql = p, sql
        self.row = self.error = self.tag = None
        self.started = self.ended = None

    def run(self):
        try:
            with admin(self.p) as a:
                self.started = time.monotonic()
                cur = a.execute(self.sql)
                self.tag = cur.statusmessage
                self.row = cur.fetchone() if cur.description else None
        except Exception as e:  # checked by the test
            self.error = e
        finally:
            self.ended = time.monotonic()

    def wait(self, timeout=MOVE_WAIT):
        self.join(timeout)
        assert not self.is_alive(), "%r did not answer within %d s" % (self.sql, timeout)
        return self


class PhaseWatch(threading.Thread):
    """Polls SHOW MOVES on P every 20 ms from an admin session of its own;
    records each phase of TENANT's move as first seen: [(time, phase)]."""

    def __init__(self, p, tenant):
        super().__init__(daemon=True)
        self.p, self.tenant = p, tenant
        self.stop = threading.Event()
        self.phases = []
        self.error = None

    def run(self):
        try:
            with admin(self.p) as a:
                while not self.stop.is_set():
                    rows = [r for r in show_moves(a) if r["tenant"] == self.tenant]
                    if rows:
                        phase = rows[-1]["phase"]
                        if not self.phases or self.phases[-1][1] != phase:
                            self.phases.append((time.monotonic(), phase))
                    time.sleep(0.02)
        except Exception as e:
            self.error = e

    def first(self, phase):
        for t, ph in self.phases:
            if ph == phase:
                return t
        return None

    def seen(self, phase):
        return self.first(phase) is not None

    def timeline(self, t0):
        return ", ".join("%s +%d ms" % (ph, (t - t0) * 1000) for t, ph in self.phases)


class ApplyStall(threading.Thread):
    """Makes the target lag at the cutover, as a busy target would: once the
    move of TENANT reaches catch-up (seen by WATCH), holds a SHARE lock on
    the tenant's tables on TARGET (the subscription's apply worker waits
    for it) until the move is past catch-up plus HOLD seconds, at most
    LIMIT seconds. A move that flips without waiting for the target to
    apply everything would leave writes behind."""

    def __init__(self, watch, target, tables, hold=0.3, limit=3.0):
        super().__init__(daemon=True)
        self.watch, self.target, self.tables = watch, target, tables
        self.hold, self.limit = hold, limit
        self.stop = threading.Event()
        self.locked = self.released = None
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set() and not self.watch.seen("catch-up"):
                if any(ph in ("cutover", "cleanup", "done", "failed", "cancelled")
                       for _, ph in self.watch.phases):
                    return          # catch-up was too short to see: nothing to stall
                time.sleep(0.005)
            if self.stop.is_set():
                return
            with self.target.connect(autocommit=False) as c:
                c.execute("LOCK TABLE %s IN SHARE MODE" % ", ".join(self.tables))
                self.locked = time.monotonic()
                while (not self.stop.is_set() and self.watch.phases[-1][1] == "catch-up"
                       and time.monotonic() < self.locked + self.limit):
                    time.sleep(0.005)
                time.sleep(self.hold)   # a lag of this length at the cutover, not a sync
                c.rollback()
                self.released = time.monotonic()
        except Exception as e:
            self.error = e


# ---------------------------------------------------------------- load

class Writer(threading.Thread):
    """A client of TENANT (schema SCHEMA) through pgsteer P, autocommit:
    loops INSERT a new item of its own, UPDATE one of its own items (new or
    copied: ids IDX+1, IDX+1+STRIDE, ... of the initial rows), INSERT an
    order. Records what was acknowledged and every statement's
    (start, end); stops at the first error (recorded)."""

    STRIDE = 64     # >= number of writers of one tenant

    def __init__(self, p, tenant, schema, idx, stop, initial_rows):
        super().__init__(daemon=True)
        self.p, self.tenant, self.schema, self.idx, self.stop = p, tenant, schema, idx, stop
        self.initial_rows = initial_rows
        self.items = {}         # id -> last acknowledged v
        self.inserted_at = {}   # new id -> (start, end) of its INSERT
        self.orders = []        # acknowledged order ids
        self.anomalies = []     # (id, v acknowledged before, v the UPDATE returned, when)
        self.lat = []           # (start, end)
        self.error = None

    def timed(self, conn, sql, params):
        t0 = time.monotonic()
        cur = conn.execute(sql, params)
        row = cur.fetchone() if cur.description else None
        self.lat.append((t0, time.monotonic()))
        return row

    def run(self):
        s = self.schema
        base = (self.idx + 1) * 10_000_000
        n = 0
        copied = list(range(self.idx + 1, self.initial_rows + 1, self.STRIDE))
        rng = random.Random(self.idx)
        try:
            with helpers.connect(self.p.port, options="-c pgsteer.tenant=" + self.tenant) as c:
                while not self.stop.is_set():
                    n += 1
                    new_id = base + n
                    self.timed(c, "INSERT INTO %s.items (id, v) VALUES (%%s, 0)" % s, (new_id,))
                    self.items[new_id] = 0
                    self.inserted_at[new_id] = self.lat[-1]
                    # every other time its hot row (its first), else one of its
                    # new rows or one of the copied rows
                    if n % 2 == 0:
                        target = base + 1
                    elif n % 4 == 1:
                        target = base + rng.randint(1, n)
                    else:
                        target = rng.choice(copied)
                    row = self.timed(c, "UPDATE %s.items SET v = v + 1 WHERE id = %%s "
                                        "RETURNING v" % s, (target,))
                    if row is None:
                        raise LookupError("UPDATE found no row %d, acknowledged before (v %s): "
                                          "a lost write" % (target, self.items.get(target)))
                    (v,) = row
                    # only this client writes the row: each update sees the last one
                    if v != self.items.get(target, 0) + 1:
                        self.anomalies.append((target, self.items.get(target, 0), v,
                                               self.lat[-1]))
                    self.items[target] = v
                    (oid,) = self.timed(c, "INSERT INTO %s.orders (item, qty) VALUES (%%s, 1) "
                                           "RETURNING id" % s, (new_id,))
                    self.orders.append(oid)
        except Exception as e:  # reported by the test
            self.error = e


class Bystander(threading.Thread):
    """A client of another tenant (table SCHEMA.kv) through P: inserts and
    reads, records the ports that answered and the errors."""

    def __init__(self, p, tenant, schema, idx, stop):
        super().__init__(daemon=True)
        self.p, self.tenant, self.schema, self.idx, self.stop = p, tenant, schema, idx, stop
        self.ports = set()
        self.lat = []
        self.error = None

    def run(self):
        n = 0
        try:
            with helpers.connect(self.p.port, options="-c pgsteer.tenant=" + self.tenant) as c:
                while not self.stop.is_set():
                    n += 1
                    t0 = time.monotonic()
                    (port,) = c.execute("INSERT INTO %s.kv VALUES (%%s, %%s) "
                                        "RETURNING inet_server_port()" % self.schema,
                                        ((self.idx + 1) * 10_000_000 + n, n)).fetchone()
                    c.execute("SELECT count(*) FROM %s.kv" % self.schema).fetchone()
                    self.lat.append((t0, time.monotonic()))
                    self.ports.add(port)
        except Exception as e:
            self.error = e


def run_writers(writers):
    for w in writers:
        w.start()
    wait_for(lambda: all(len(w.lat) >= 6 or w.error for w in writers), 20,
             "every client running")


def stop_writers(stop, writers):
    stop.set()
    for w in writers:
        w.join(20)
        assert not w.is_alive(), "a client did not stop"


def assert_no_client_errors(writers):
    errors = ["%s #%d: %r" % (w.tenant, w.idx, w.error) for w in writers if w.error]
    assert not errors, "clients saw errors:\n" + "\n".join(errors)


def assert_no_lost_writes(server, schema, writers, initial_rows, initial_orders):
    """Every UPDATE of WRITERS saw the previous acknowledged one (v + 1 each
    time); every acknowledged row of WRITERS is on SERVER with its last
    acknowledged value; the copied rows nobody touched are intact."""
    anomalies = [a for w in writers for a in w.anomalies]
    assert not anomalies, "%d updates did not see the previous acknowledged value " \
                          "(id, acknowledged v, returned v, (start, end)): %r" % (
                              len(anomalies), anomalies[:10])
    acked = {}
    for w in writers:
        acked.update(w.items)
    orders = [o for w in writers for o in w.orders]
    inserted = sum(1 for w in writers for i in w.items if i > initial_rows)
    with server.connect() as c:
        have = dict(c.execute("SELECT id, v FROM %s.items WHERE id = ANY(%%s)" % schema,
                              (list(acked),)).fetchall())
        missing = sorted(set(acked) - set(have))
        assert not missing, "%d acknowledged items missing on the target, e.g. %r" % (
            len(missing), missing[:10])
        wrong = [(i, v, have[i]) for i, v in acked.items() if have[i] != v]
        assert not wrong, "%d items without their last acknowledged v (id, acked, found): " \
                          "%r" % (len(wrong), wrong[:10])
        total = scalar(c, "SELECT count(*) FROM %s.items" % schema)
        assert total >= initial_rows + inserted, (total, initial_rows, inserted)
        intact = c.execute("SELECT count(*), count(*) FILTER (WHERE note = 'item ' || id) "
                           "FROM %s.items WHERE id <= %d" % (schema, initial_rows)).fetchone()
        assert intact == (initial_rows, initial_rows), "copied rows: %r" % (intact,)
        untouched = [i for i in range(1, initial_rows + 1) if i not in acked]
        nonzero = scalar(c, "SELECT count(*) FROM %s.items WHERE id = ANY(%%s) AND v <> 0"
                         % schema, (untouched,))
        assert nonzero == 0, "%d rows nobody updated have v <> 0" % nonzero
        found = scalar(c, "SELECT count(*) FROM %s.orders WHERE id = ANY(%%s)" % schema,
                       (orders,))
        assert found == len(orders), "%d of %d acknowledged orders missing on the target" % (
            len(orders) - found, len(orders))
        assert len(set(orders)) == len(orders), "an order id was handed out twice"
        first = scalar(c, "SELECT count(*) FROM %s.orders WHERE id <= %d" % (
            schema, initial_orders))
        assert first == initial_orders
    return len(acked), inserted, len(orders)


def assert_nothing_after_the_move_on_source(server, schema, writers, move):
    """Inserts that started after TENANT MOVE answered ran on the target
    only (a statement sent to the old cluster after the flip would have been
    replicated to the target while the subscription still existed, so the
    target's content alone does not show it); inserts acknowledged before
    the move started are on the source."""
    after = [i for w in writers for i, (t0, _) in w.inserted_at.items() if t0 > move.ended]
    before = [i for w in writers for i, (_, t1) in w.inserted_at.items() if t1 < move.started]
    assert after and before
    with server.connect() as c:
        stray = scalar(c, "SELECT count(*) FROM %s.items WHERE id = ANY(%%s)" % schema, (after,))
        assert stray == 0, "%d inserts made after the move are on the source" % stray
        kept = scalar(c, "SELECT count(*) FROM %s.items WHERE id = ANY(%%s)" % schema, (before,))
        assert kept == len(before)


def pause_report(writers, start, end, label="pause"):
    """p99 and max latency (ms) of the statements in flight at any moment
    of [START, END]; printed, never asserted."""
    lat = sorted((t1 - t0) * 1000 for w in writers for t0, t1 in w.lat
                 if t0 <= end and t1 >= start)
    if not lat:
        line = "%s: no statement in the window" % label
    else:
        p99 = lat[min(len(lat) - 1, int(0.99 * (len(lat) - 1)))]
        line = "%s: p99 %.1f ms, max %.1f ms (%d statements in a %.0f ms window)" % (
            label, p99, lat[-1], len(lat), (end - start) * 1000)
    print("\n" + line)
    return line


def check_move_row(cmd, tenant, target, source):
    assert cmd.error is None, "TENANT MOVE %s failed: %r" % (tenant, cmd.error)
    row = cmd.row
    assert row is not None and row[0] == tenant and row[1] == target and row[3] == source, row
    assert int(row[2]) >= 2, "generation %r" % (row[2],)
    assert cmd.tag and cmd.tag.startswith("TENANT MOVE"), cmd.tag


# ---------------------------------------------------------------- tests

def test_move_with_data_under_write_load(steer, src, dst, scrub):
    initial_rows, initial_orders = 100_000, 500
    make_tenant_schema(src, scrub, "acme", rows=initial_rows, orders=initial_orders,
                       seq_at=5000)
    scrub.schema(dst, "acme")
    scrub.schema(src, "beta")
    with src.connect() as c:
        c.execute("CREATE SCHEMA beta")
        c.execute("CREATE TABLE beta.kv (id bigint PRIMARY KEY, v int)")
    p = steer("mover")
    with admin(p) as a:
        row = a.execute("TENANT CREATE acme ON src SCHEMA acme").fetchone()
        assert row[:2] == ("acme", "src")
        a.execute("TENANT CREATE beta ON src SCHEMA beta")
    assert tenant_port(p, "acme") == src.port

    stop = threading.Event()
    writers = [Writer(p, "acme", "acme", i, stop, initial_rows) for i in range(20)]
    others = [Bystander(p, "beta", "beta", i, stop) for i in range(2)]
    run_writers(writers + others)
    time.sleep(2)                                   # load before the move
    before = max(o for w in writers for o in w.orders)

    watch = PhaseWatch(p, "acme")
    watch.start()
    move = AdminCommand(p, "TENANT MOVE acme TO dst WITH DATA")
    move.start()
    move.wait()
    time.sleep(2)                                   # load after the move
    wait_for(lambda: all(w.error or any(t0 > move.ended for t0, _ in w.lat)
                         for w in writers + others), 10, "every client running after the move")
    stop_writers(stop, writers + others)
    watch.stop.set()
    watch.join(5)

    print("\nphases: " + watch.timeline(move.started))
    cut = watch.first("cutover")
    if cut is None:
        print("cutover phase not seen by the 20 ms poll; window = the whole command")
        cut = move.started
    pause_report(writers, cut, move.ended)
    pause_report(writers, move.started, move.ended, "acme during the whole move")
    pause_report(others, move.started, move.ended, "beta during the move")

    check_move_row(move, "acme", "dst", "src")
    assert_no_client_errors(writers + others)
    assert watch.error is None, watch.error
    m = move_of(p, "acme")
    assert m is not None, "SHOW MOVES has no row for acme"
    assert list(m) == ["tenant", "source", "target", "data", "phase", "started",
                       "tables_copied", "tables_total", "bytes", "lag_bytes", "lag_s", "last_error"], list(m)
    assert (m["source"], m["target"], m["phase"]) == ("src", "dst", "done"), m
    assert (m["tables_copied"], m["tables_total"]) == (2, 2), m
    assert not m["last_error"], m
    phases = [ph for _, ph in watch.phases]
    assert "failed" not in phases and "cancelled" not in phases, phases

    n_items, n_inserted, n_orders = assert_no_lost_writes(dst, "acme", writers, initial_rows,
                                                          initial_orders)
    print("verified on the target: %d items (%d new), %d orders" % (n_items, n_inserted,
                                                                      n_orders))
    # sessions of acme run on the target; sequences continue past the source's
    with src.connect() as c:
        src_seq = scalar(c, "SELECT last_value FROM acme.orders_id_seq")
    acked = max(o for w in writers for o in w.orders)
    assert acked > before                           # orders were inserted after the move too
    with helpers.connect(p.port, options="-c pgsteer.tenant=acme") as c:
        assert port_of(c) == dst.port
        (new,) = c.execute("INSERT INTO acme.orders (item, qty) VALUES (0, 0) "
                           "RETURNING id").fetchone()
    assert new > acked and new > src_seq and new > 5000, (new, acked, src_seq)
    assert locate(p, "acme")["cluster"] == "dst"
    # beta stayed on the source, undisturbed
    for b in others:
        assert b.ports == {src.port}, b.ports
    assert tenant_port(p, "beta") == src.port
    assert locate(p, "beta")["cluster"] == "src"
    # replication objects gone; the source copy kept
    assert_no_replication_objects(src, dst, "acme")
    assert schema_exists(src, "acme"), "the source copy was not kept"
    assert_nothing_after_the_move_on_source(src, "acme", writers, move)
    with src.connect() as c:
        assert scalar(c, "SELECT count(*) FROM acme.items WHERE id <= %d" % initial_rows) == \
            initial_rows


def test_move_waits_for_a_lagging_target(steer, src, dst, scrub):
    """The target's apply is stalled from catch-up until 300 ms into the
    cutover (a busy target): the cutover must wait until the target has
    applied everything the source acknowledged, or updates would not see
    the previous ones and writes would be lost with the subscription."""
    initial_rows, initial_orders = 20_000, 200
    make_tenant_schema(src, scrub, "laggy", rows=initial_rows, orders=initial_orders)
    scrub.schema(dst, "laggy")
    p = steer("patient")
    with admin(p) as a:
        a.execute("TENANT CREATE laggy ON src SCHEMA laggy")
    stop = threading.Event()
    writers = [Writer(p, "laggy", "laggy", i, stop, initial_rows) for i in range(10)]
    run_writers(writers)
    time.sleep(1)
    watch = PhaseWatch(p, "laggy")
    watch.start()
    stall = ApplyStall(watch, dst, ["laggy.items", "laggy.orders"])
    stall.start()
    move = AdminCommand(p, "TENANT MOVE laggy TO dst WITH DATA")
    move.start()
    move.wait()
    stall.stop.set()
    stall.join(10)
    wait_for(lambda: all(w.error or any(t0 > move.ended for t0, _ in w.lat) for w in writers),
             10, "every client running after the move")
    time.sleep(0.5)
    stop_writers(stop, writers)
    watch.stop.set()
    watch.join(5)
    print("\nphases: " + watch.timeline(move.started))
    if stall.locked:
        print("target's apply stalled from +%d ms to +%d ms" % (
            (stall.locked - move.started) * 1000, (stall.released - move.started) * 1000))
    else:
        print("target's apply not stalled (catch-up too short to see)")
    pause_report(writers, watch.first("cutover") or move.started, move.ended,
                 "pause with the target stalled")
    assert stall.error is None, stall.error
    check_move_row(move, "laggy", "dst", "src")
    assert_no_client_errors(writers)
    assert_no_lost_writes(dst, "laggy", writers, initial_rows, initial_orders)
    assert_nothing_after_the_move_on_source(src, "laggy", writers, move)
    assert_no_replication_objects(src, dst, "laggy")


def test_two_instances_move_together(steer, src, dst, scrub):
    initial_rows, initial_orders = 20_000, 200
    make_tenant_schema(src, scrub, "duo", rows=initial_rows, orders=initial_orders, seq_at=0)
    scrub.schema(dst, "duo")
    pa = steer("duo_a")
    pb = steer("duo_b")
    with admin(pa) as a:
        a.execute("TENANT CREATE duo ON src SCHEMA duo")
    wait_for(lambda: tenant_port(pb, "duo") == src.port, 5, "tenant duo known to instance B")
    stop = threading.Event()
    writers = [Writer(pa if i % 2 else pb, "duo", "duo", i, stop, initial_rows)
               for i in range(10)]
    run_writers(writers)
    time.sleep(1)
    watch = PhaseWatch(pa, "duo")
    watch.start()
    move = AdminCommand(pa, "TENANT MOVE duo TO dst WITH DATA")
    move.start()
    move.wait()
    time.sleep(1)
    wait_for(lambda: all(w.error or any(t0 > move.ended for t0, _ in w.lat) for w in writers),
             10, "every client running after the move")
    stop_writers(stop, writers)
    watch.stop.set()
    watch.join(5)
    print("\nphases: " + watch.timeline(move.started))
    cut = watch.first("cutover") or move.started
    pause_report([w for w in writers if w.p is pa], cut, move.ended, "pause via instance A")
    pause_report([w for w in writers if w.p is pb], cut, move.ended, "pause via instance B")

    check_move_row(move, "duo", "dst", "src")
    assert_no_client_errors(writers)
    assert_no_lost_writes(dst, "duo", writers, initial_rows, initial_orders)
    assert tenant_port(pa, "duo") == dst.port
    wait_for(lambda: tenant_port(pb, "duo") == dst.port, 2, "instance B sends duo to dst")
    assert locate(pb, "duo")["cluster"] == "dst"
    assert move_of(pa, "duo")["phase"] == "done"
    assert move_of(pb, "duo") is None, "SHOW MOVES lists only this instance's moves"
    assert_no_replication_objects(src, dst, "duo")
    assert schema_exists(src, "duo")
    assert_nothing_after_the_move_on_source(src, "duo", writers, move)


def test_cancel_before_cutover(steer, src, dst, scrub):
    make_slow_schema(src, scrub, "acme2")
    scrub.schema(dst, "acme2")
    p = steer("canceller")
    with admin(p) as a:
        a.execute("TENANT CREATE acme2 ON src SCHEMA acme2")
    move = AdminCommand(p, "TENANT MOVE acme2 TO dst WITH DATA")
    move.start()
    wait_for(lambda: (move_of(p, "acme2") or {}).get("phase") == "copy" or not move.is_alive(),
             20, "the move of acme2 in phase copy")
    wait_for(lambda: table_sync_running(dst, "acme2") or not move.is_alive(), 20,
             "the target's table sync copying acme2.items")
    assert move.is_alive(), "the move ended before it could be cancelled: %r %r" % (
        move.row, move.error)
    assert move_of(p, "acme2")["phase"] == "copy"
    # during the copy the tenant is served on the source
    with helpers.connect(p.port, options="-c pgsteer.tenant=acme2") as c:
        assert port_of(c) == src.port
        c.execute("UPDATE acme2.items SET v = v + 1 WHERE id = 2")
    with admin(p) as a:
        a.execute("TENANT MOVE acme2 CANCEL")
    move.wait(30)
    assert move.error is not None, "the cancelled move answered %r" % (move.row,)
    assert isinstance(move.error, psycopg.errors.QueryCanceled), repr(move.error)   # 57014
    m = move_of(p, "acme2")
    assert m["phase"] == "cancelled", m
    loc = locate(p, "acme2")
    assert (loc["cluster"], loc["state"]) == ("src", "active"), loc
    with helpers.connect(p.port, options="-c pgsteer.tenant=acme2") as c:
        assert port_of(c) == src.port
        assert scalar(c, "SELECT count(*) FROM acme2.items") == 4000
        assert scalar(c, "SELECT v FROM acme2.items WHERE id = 2") == 1
        c.execute("UPDATE acme2.items SET v = v + 1 WHERE id = 1")
    assert not schema_exists(dst, "acme2"), "the target schema pgsteer created was left"
    assert_no_replication_objects(src, dst, "acme2")
    with admin(p) as a:     # nothing to cancel any more
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
            a.execute("TENANT MOVE acme2 CANCEL")


def test_no_second_move_and_no_drop_during_a_data_move(steer, src, dst, scrub):
    """While its data is being copied, the tenant cannot be moved again
    (WITH DATA or not) nor dropped: 55000, as during a plain move."""
    make_slow_schema(src, scrub, "busy")
    scrub.schema(dst, "busy")
    p = steer("guard")
    with admin(p) as a:
        a.execute("TENANT CREATE busy ON src SCHEMA busy")
    move = AdminCommand(p, "TENANT MOVE busy TO dst WITH DATA")
    move.start()
    try:
        wait_for(lambda: (move_of(p, "busy") or {}).get("phase") == "copy" or not move.is_alive(),
                 20, "the move of busy in phase copy")
        assert move.is_alive(), (move.row, move.error)
        outcomes = {}
        with admin(p) as a:
            for cmd in ("TENANT MOVE busy TO dst WITH DATA", "TENANT MOVE busy TO dst",
                        "TENANT MOVE busy TO main", "TENANT DROP busy"):
                try:
                    a.execute(cmd)
                    outcomes[cmd] = "accepted"
                except psycopg.Error as e:
                    outcomes[cmd] = e.sqlstate
        assert all(v == "55000" for v in outcomes.values()), outcomes
        assert locate(p, "busy")["cluster"] == "src"
    finally:
        with admin(p) as a:
            try:
                a.execute("TENANT MOVE busy CANCEL")
            except psycopg.Error as e:
                print("cancel: %r" % e)
        move.wait(30)


def test_table_without_primary_key_is_refused(steer, src, dst, scrub):
    make_tenant_schema(src, scrub, "nopk", rows=100, orders=10)
    with src.connect() as c:
        c.execute("CREATE TABLE nopk.events_nopk (at timestamptz, what text)")
        c.execute("INSERT INTO nopk.events_nopk VALUES (now(), 'x')")
    scrub.schema(dst, "nopk")
    p = steer("picky")
    with admin(p) as a:
        a.execute("TENANT CREATE nopk ON src SCHEMA nopk")
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState) as ei:   # 55000
            a.execute("TENANT MOVE nopk TO dst WITH DATA")
        msg = str(ei.value)
        assert "events_nopk" in msg and "primary key" in msg, msg
        loc = a.execute("TENANT LOCATE nopk").fetchone()
        assert loc[1] == "src" and loc[4] == "active", loc
    m = move_of(p, "nopk")
    assert m is not None and m["phase"] == "failed" and "primary key" in (m["last_error"] or ""), m
    assert not schema_exists(dst, "nopk")
    assert_no_replication_objects(src, dst, "nopk")
    assert tenant_port(p, "nopk") == src.port


def test_source_without_logical_wal_level_is_refused(steer, cluster, dst, scrub):
    schema = "wl_" + uuid.uuid4().hex[:8]
    make_tenant_schema(cluster, scrub, schema, rows=100, orders=10)   # main: wal_level=replica
    scrub.schema(dst, schema)
    p = steer("walcheck")
    with admin(p) as a:
        a.execute("TENANT CREATE %s ON main SCHEMA %s" % (schema, schema))
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="wal_level"):
            a.execute("TENANT MOVE %s TO dst WITH DATA" % schema)
        assert a.execute("TENANT LOCATE " + schema).fetchone()[1] == "main"
    assert not schema_exists(dst, schema)
    with cluster.connect() as c:
        assert scalar(c, "SELECT count(*) FROM pg_publication "
                         "WHERE pubname LIKE 'pgsteer_move_%'") == 0
    assert tenant_port(p, schema) == cluster.port


def test_target_that_already_has_the_schema_is_refused_and_left_alone(steer, src, dst, scrub):
    make_tenant_schema(src, scrub, "dup", rows=100, orders=10)
    scrub.schema(dst, "dup")
    with dst.connect() as c:
        c.execute("CREATE SCHEMA dup")
        c.execute("CREATE TABLE dup.precious (id int PRIMARY KEY)")
        c.execute("INSERT INTO dup.precious VALUES (42)")
    p = steer("dupcheck")
    with admin(p) as a:
        a.execute("TENANT CREATE dup ON src SCHEMA dup")
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="already exists"):
            a.execute("TENANT MOVE dup TO dst WITH DATA")
        assert a.execute("TENANT LOCATE dup").fetchone()[1] == "src"
    with dst.connect() as c:    # not pgsteer's: untouched
        assert c.execute("SELECT id FROM dup.precious").fetchall() == [(42,)]
        assert scalar(c, "SELECT count(*) FROM pg_tables WHERE schemaname = 'dup'") == 1
    assert_no_replication_objects(src, dst, "dup")


def test_target_that_already_has_the_database_is_refused_and_left_alone(steer, src, dst,
                                                                        scrub):
    db = "tdb_" + uuid.uuid4().hex[:8]
    scrub.database(src, db)
    scrub.database(dst, db)
    for server in (src, dst):
        with server.connect() as c:
            c.execute("CREATE DATABASE " + db)
    with src.connect(dbname=db) as c:
        c.execute("CREATE TABLE items (id int PRIMARY KEY)")
    with dst.connect(dbname=db) as c:
        c.execute("CREATE TABLE precious (id int PRIMARY KEY)")
        c.execute("INSERT INTO precious VALUES (42)")
    p = steer("dbdupcheck")
    with admin(p) as a:
        a.execute("TENANT CREATE dbdup ON src DATABASE " + db)
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="already exists"):
            a.execute("TENANT MOVE dbdup TO dst WITH DATA")
        assert a.execute("TENANT LOCATE dbdup").fetchone()[1] == "src"
    with dst.connect(dbname=db) as c:   # not pgsteer's: untouched
        assert c.execute("SELECT id FROM precious").fetchall() == [(42,)]
        assert scalar(c, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 1
    assert_no_replication_objects(src, dst, "dbdup", dbname=db)


def test_copy_not_finished_within_move_data_timeout_rolls_back(steer, src, dst, scrub):
    make_slow_schema(src, scrub, "slow")
    scrub.schema(dst, "slow")
    p = steer("impatient", move_data_timeout="2s")
    with admin(p) as a:
        a.execute("TENANT CREATE slow ON src SCHEMA slow")
    watch = PhaseWatch(p, "slow")
    watch.start()
    move = AdminCommand(p, "TENANT MOVE slow TO dst WITH DATA")
    move.start()
    move.wait(40)
    watch.stop.set()
    watch.join(5)
    print("\nphases: %s; answered after %.1f s" % (watch.timeline(move.started),
                                                   move.ended - move.started))
    assert move.error is not None, "the move answered %r" % (move.row,)
    assert isinstance(move.error, psycopg.Error), repr(move.error)
    assert "move_data_timeout" in str(move.error), str(move.error)
    m = move_of(p, "slow")
    assert m["phase"] == "failed" and "move_data_timeout" in (m["last_error"] or ""), m
    loc = locate(p, "slow")
    assert (loc["cluster"], loc["state"]) == ("src", "active"), loc
    with helpers.connect(p.port, options="-c pgsteer.tenant=slow") as c:
        assert port_of(c) == src.port
        c.execute("UPDATE slow.items SET v = v + 1 WHERE id = 1")
    assert not schema_exists(dst, "slow")
    assert_no_replication_objects(src, dst, "slow")


def test_cutover_hold_timeout_rolls_back_and_removes_the_copy(steer, src, dst, scrub):
    """The data is copied, but a transaction of the tenant stays open past
    move_timeout: the cutover is rolled back (55P03, as a plain move), the
    tenant stays on the source with that transaction, and the target schema
    and replication objects are removed."""
    make_tenant_schema(src, scrub, "held", rows=2000, orders=10)
    scrub.schema(dst, "held")
    p = steer("holdout", move_timeout="1s")
    with admin(p) as a:
        a.execute("TENANT CREATE held ON src SCHEMA held")
    open_txn = helpers.connect(p.port, options="-c pgsteer.tenant=held", autocommit=False)
    try:
        assert port_of(open_txn) == src.port
        # a read only: a transaction with an xid would (rightly) stall the
        # creation of the replication slot, long before the cutover
        open_txn.execute("SELECT v FROM held.items WHERE id = 1")
        move = AdminCommand(p, "TENANT MOVE held TO dst WITH DATA")
        move.start()
        move.wait()
        assert move.error is not None, "the move answered %r" % (move.row,)
        assert isinstance(move.error, psycopg.errors.LockNotAvailable), repr(move.error)
        assert "move_timeout" in str(move.error), str(move.error)
        assert port_of(open_txn) == src.port        # the transaction goes on where it was
        open_txn.execute("UPDATE held.items SET v = v + 1 WHERE id = 1")
        open_txn.commit()
        assert port_of(open_txn) == src.port
        open_txn.commit()
    finally:
        open_txn.close()
    loc = locate(p, "held")
    assert (loc["cluster"], loc["state"]) == ("src", "active"), loc
    m = move_of(p, "held")
    assert m["phase"] == "failed" and m["last_error"], m
    with helpers.connect(p.port, options="-c pgsteer.tenant=held") as c:
        assert port_of(c) == src.port
        assert scalar(c, "SELECT v FROM held.items WHERE id = 1") == 1
    assert not schema_exists(dst, "held"), "the target schema pgsteer created was left"
    assert_no_replication_objects(src, dst, "held")


def test_move_names_the_schema_when_create_did_not(steer, src, dst, scrub):
    make_tenant_schema(src, scrub, "named", rows=500, orders=5, seq_at=0)
    scrub.schema(dst, "named")
    p = steer("namer")
    with admin(p) as a:
        a.execute("TENANT CREATE named ON src")
        with pytest.raises(psycopg.Error, match="nosuchschema"):   # not on the source
            a.execute("TENANT MOVE named TO dst WITH DATA SCHEMA nosuchschema")
        assert a.execute("TENANT LOCATE named").fetchone()[1] == "src"
    assert not schema_exists(dst, "nosuchschema")
    move = AdminCommand(p, "TENANT MOVE named TO dst WITH DATA SCHEMA named")
    move.start()
    move.wait()
    check_move_row(move, "named", "dst", "src")
    with helpers.connect(p.port, options="-c pgsteer.tenant=named") as c:
        assert port_of(c) == dst.port
        assert scalar(c, "SELECT count(*) FROM named.items") == 500
    with admin(p) as a:       # the move recorded where the data lives
        a.execute("TENANT CLEANUP named")
    assert not schema_exists(src, "named")
    assert_no_replication_objects(src, dst, "named")


@pytest.fixture
def dst3(scrub):
    """A target of the test's own, to stop in the middle of a copy."""
    s = logical_server()
    scrub.servers.append(s)
    yield s
    s.stop()


def test_target_going_down_mid_copy_fails_the_move(steer, src, dst, dst3, scrub):
    make_slow_schema(src, scrub, "fragile")
    p = steer("unlucky", more={"dst3": dst3}, move_data_timeout="10s")
    with admin(p) as a:
        a.execute("TENANT CREATE fragile ON src SCHEMA fragile")
    move = AdminCommand(p, "TENANT MOVE fragile TO dst3 WITH DATA")
    move.start()
    wait_for(lambda: table_sync_running(dst3, "fragile") or not move.is_alive(), 20,
             "the target's table sync copying fragile.items")
    assert move.is_alive(), "the move ended before the target went down: %r %r" % (
        move.row, move.error)
    r = as_postgres(os.path.join(PG_BIN, "pg_ctl"), "-D", dst3.data, "-m", "immediate",
                    "-w", "stop")
    assert r.returncode == 0, r.stdout + r.stderr
    move.wait(45)
    print("\nthe move answered %.1f s after it started: %r" % (move.ended - move.started,
                                                               move.error))
    assert move.error is not None, "the move answered %r" % (move.row,)
    loc = locate(p, "fragile")
    assert (loc["cluster"], loc["state"]) == ("src", "active"), loc
    assert move_of(p, "fragile")["phase"] == "failed"
    with helpers.connect(p.port, options="-c pgsteer.tenant=fragile") as c:
        assert port_of(c) == src.port
        assert scalar(c, "SELECT count(*) FROM fragile.items") == 4000
        c.execute("UPDATE fragile.items SET v = v + 1 WHERE id = 1")
    with src.connect() as c:    # the source side is pgsteer's to clean; the target is down
        assert scalar(c, "SELECT count(*) FROM pg_publication") == 0
        assert c.execute("SELECT slot_name FROM pg_replication_slots").fetchall() == []


def test_cleanup_drops_the_source_copy(steer, src, dst, scrub):
    make_tenant_schema(src, scrub, "tidy", rows=1000, orders=10)
    with src.connect() as c:    # no primary key, but replica identity full: movable
        c.execute("CREATE TABLE tidy.notes (k text, body text)")
        c.execute("ALTER TABLE tidy.notes REPLICA IDENTITY FULL")
        c.execute("INSERT INTO tidy.notes SELECT 'k' || g, 'b' FROM generate_series(1, 50) g")
    scrub.schema(dst, "tidy")
    p = steer("janitor")
    with admin(p) as a:
        a.execute("TENANT CREATE tidy ON src SCHEMA tidy")
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
            a.execute("TENANT CLEANUP tidy")        # no completed data move yet
    move = AdminCommand(p, "TENANT MOVE tidy TO dst WITH DATA")
    move.start()
    move.wait()
    check_move_row(move, "tidy", "dst", "src")
    assert schema_exists(src, "tidy")
    with admin(p) as a:
        cur = a.execute("TENANT CLEANUP tidy")
        assert cur.statusmessage.startswith("TENANT CLEANUP"), cur.statusmessage
    assert not schema_exists(src, "tidy"), "TENANT CLEANUP left the source schema"
    with helpers.connect(p.port, options="-c pgsteer.tenant=tidy") as c:
        assert port_of(c) == dst.port
        assert scalar(c, "SELECT count(*) FROM tidy.items") == 1000
        assert scalar(c, "SELECT count(*) FROM tidy.notes") == 50
    with admin(p) as a:
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
            a.execute("TENANT CLEANUP tidy")
    assert schema_exists(dst, "tidy")


def test_database_per_tenant_move_and_cleanup(steer, src, dst, scrub):
    db = "tdb_" + uuid.uuid4().hex[:8]
    scrub.database(src, db)
    scrub.database(dst, db)
    with src.connect() as c:
        c.execute("CREATE DATABASE " + db)
    with src.connect(dbname=db) as c:
        c.execute("CREATE TABLE items (id bigserial PRIMARY KEY, v int)")
        c.execute("INSERT INTO items (v) SELECT g FROM generate_series(1, 3000) g")
        c.execute("SELECT setval('items_id_seq', 7000)")
    p = steer("dbmover")
    with admin(p) as a:
        a.execute("TENANT CREATE dbt ON src DATABASE " + db)
    move = AdminCommand(p, "TENANT MOVE dbt TO dst WITH DATA")
    move.start()
    move.wait()
    check_move_row(move, "dbt", "dst", "src")
    m = move_of(p, "dbt")
    assert m["phase"] == "done" and (m["tables_copied"], m["tables_total"]) == (1, 1), m
    with dst.connect(dbname=db) as c:
        assert scalar(c, "SELECT count(*) FROM items") == 3000
        assert scalar(c, "SELECT sum(v) FROM items") == 3000 * 3001 // 2
        assert scalar(c, "SELECT nextval('items_id_seq')") > 7000
    with dst.connect() as c:
        assert scalar(c, "SELECT count(*) FROM pg_subscription") == 0
    assert_no_replication_objects(src, dst, "dbt", dbname=db)
    assert database_exists(src, db), "the source copy was not kept"
    with admin(p) as a:
        a.execute("TENANT CLEANUP dbt")
    assert not database_exists(src, db)
    assert database_exists(dst, db)
    with admin(p) as a:
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
            a.execute("TENANT CLEANUP dbt")


def test_a_move_cut_short_by_a_crash_is_cleaned_up_at_the_next_start(steer, src, dst, scrub):
    """pgsteer killed (SIGKILL) in the middle of the copy: the tenant stays
    on the source, and at its next start the same instance drops the
    subscription, the publication and the slots the move left (a slot left
    behind would hold the source's WAL forever); the partial copy on the
    target is kept (logged), and SHOW MOVES says what happened."""
    make_slow_schema(src, scrub, "phoenix")
    scrub.schema(dst, "phoenix")
    p = steer("phoenix")
    with admin(p) as a:
        a.execute("TENANT CREATE phoenix ON src SCHEMA phoenix")
    move = AdminCommand(p, "TENANT MOVE phoenix TO dst WITH DATA")
    move.start()
    wait_for(lambda: table_sync_running(dst, "phoenix") or not move.is_alive(), 20,
             "the target's table sync copying phoenix.items")
    assert move.is_alive(), (move.row, move.error)
    left = replication_objects(src, dst, "phoenix")
    assert left["subscriptions on target"] == ["pgsteer_move_phoenix"], left
    p.proc.kill()                       # no goodbye: nothing gets undone now
    p.proc.wait(10)
    move.wait(10)
    assert move.error is not None
    p.start()
    wait_for(lambda: not any(v for k, v in replication_objects(src, dst, "phoenix").items()
                             if k != "expected name"), 30,
             "the replication objects of the interrupted move dropped after the restart")
    loc = locate(p, "phoenix")
    assert (loc["cluster"], loc["state"]) == ("src", "active"), loc
    m = move_of(p, "phoenix")
    assert m["phase"] == "failed" and "stopped during the move" in m["last_error"], m
    with helpers.connect(p.port, options="-c pgsteer.tenant=phoenix") as c:
        assert port_of(c) == src.port
        assert scalar(c, "SELECT count(*) FROM phoenix.items") == 4000
    assert "did not finish: dropping its subscription" in p.log()
    # recorded as ended: a second start does not try again
    p.assert_clean_exit(p.stop())
    p.start()
    with admin(p) as a:
        assert [r for r in show_moves(a) if r["tenant"] == "phoenix"] == []
