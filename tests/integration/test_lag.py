"""Replica lag and read-your-writes through pgsteer, against the shared
primary + 2 streaming replicas (issue 4, "Done means": lag tests and the
read-your-writes test):

- replay paused on one replica (pg_wal_replay_pause()) + WAL written on the
  primary past [routing] max_lag_bytes = 64kB: that replica gets no reads,
  the other one gets them all; replay resumed -> it gets reads again;
- both replicas paused and behind: reads go to the primary and the admin
  console's SHOW STATS counts them as read fallbacks (reason lag);
- read-your-writes under slowed replay: 1,000 times a write followed at
  once by a read of the same row, while a background thread pauses and
  resumes replay on the two replicas in turn (50 ms each). The read never
  misses the write. A second read of the row after a short think time
  ("after catch-up") shows that stickiness ends: the share of those reads
  answered by replicas is printed and must be > 0.

Replay is always resumed in a finally block (the cluster is shared).
"""
import threading
import time

import pytest

import helpers
from helpers import scalar, wait_for

pytestmark = pytest.mark.proxy_only

TABLE = "lag_scratch"
RYW_USER = "lag_ryw"      # a role with synchronous_commit = on (see test_read_your_writes...)


@pytest.fixture(scope="module")
def lagp(pgsteer_module, cluster):
    with cluster.connect() as c:
        c.execute("DROP TABLE IF EXISTS %s" % TABLE)
        c.execute("CREATE TABLE %s (id int PRIMARY KEY, pad text)" % TABLE)
        c.execute("DROP ROLE IF EXISTS %s" % RYW_USER)
        c.execute("CREATE ROLE %s LOGIN SUPERUSER" % RYW_USER)
        c.execute("ALTER ROLE %s SET synchronous_commit = on" % RYW_USER)
    for port in cluster.replica_ports:
        with cluster.connect(port) as r:
            wait_for(lambda: scalar(r, "SELECT to_regclass(%s) IS NOT NULL AND EXISTS "
                                       "(SELECT FROM pg_roles WHERE rolname = %s)",
                                    (TABLE, RYW_USER)), 15, "scratch objects on %d" % port)
    p = pgsteer_module(log_level="debug", default_pool_size=20,
                       extra={"routing": {"check_interval": "20ms", "max_lag": "1s",
                                          "max_lag_bytes": "64kB"}})
    helpers.wait_reads_on_both_replicas(p, cluster)
    yield p
    with cluster.connect() as c:
        c.execute("DROP TABLE IF EXISTS %s" % TABLE)
        c.execute("DROP ROLE IF EXISTS %s" % RYW_USER)


class Replay:
    """Pause/resume WAL replay on the replicas; resume_all() in finally."""

    def __init__(self, cluster):
        self.conns = {port: cluster.connect(port) for port in cluster.replica_ports}

    def pause(self, port, wait=True):
        c = self.conns[port]
        c.execute("SELECT pg_wal_replay_pause()")
        if wait:
            wait_for(lambda: scalar(c, "SELECT pg_get_wal_replay_pause_state()") == "paused",
                     10, "replay paused on %d" % port)

    def resume(self, port):
        self.conns[port].execute("SELECT pg_wal_replay_resume()")

    def resume_all(self):
        for port, c in self.conns.items():
            try:
                c.execute("SELECT pg_wal_replay_resume()")
            finally:
                c.close()


def make_wal(primary, kb=512):
    """Write about KB kilobytes of WAL on the primary (well past 64kB)."""
    primary.execute("INSERT INTO %s SELECT g, repeat('x', 200) FROM generate_series("
                    "(SELECT coalesce(max(id), 0) + 1 FROM %s), "
                    "(SELECT coalesce(max(id), 0) FROM %s) + %d) g"
                    % (TABLE, TABLE, TABLE, kb * 4))


def read_ports(p, n):
    with p.connect() as c:
        return [scalar(c, "SELECT inet_server_port()") for _ in range(n)]


def fallbacks(p):
    """read_fallback rows of SHOW STATS: {reason: queries}."""
    with helpers.connect(p.port, user="admin", dbname="pgsteer") as a:
        cur = a.execute("SHOW STATS")
        names = [d.name for d in cur.description]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
    return {r["name"]: int(r["queries"]) for r in rows if r["scope"] == "read_fallback"}


def test_lagging_replica_gets_no_reads_and_comes_back(lagp, cluster, primary):
    lagging, other = cluster.replica_ports
    replay = Replay(cluster)
    try:
        replay.pause(lagging)
        make_wal(primary)
        # the monitor sees the lag: 30 reads in a row all land on the other replica
        wait_for(lambda: set(read_ports(lagp, 30)) == {other}, 10,
                 "30 consecutive reads on %d only" % other)
        with helpers.connect(lagp.port, user="admin", dbname="pgsteer") as a:
            cur = a.execute("SHOW NODES")
            names = [d.name for d in cur.description]
            node = {r[0]: dict(zip(names, r)) for r in cur.fetchall()}["main2"]
        assert node["port"] == lagging and node["up"] is True, node
        assert node["lag_bytes"] > 64 * 1024, node
        # and it stays so while replay is paused and WAL keeps coming (the
        # other replica may briefly lag past 64kB too: those reads fall back
        # to the primary, which is fine; the paused one must get none)
        make_wal(primary, 128)
        ports = read_ports(lagp, 60)
        assert lagging not in ports, "reads went to %d while it lagged: %s" % (lagging, ports)
    finally:
        replay.resume_all()
    # caught up again: it gets reads again
    wait_for(lambda: lagging in read_ports(lagp, 20), 15, "reads on %d again after resume" % lagging)


def test_both_replicas_lagging_reads_fall_back_to_primary(lagp, cluster, primary):
    replay = Replay(cluster)
    try:
        before = fallbacks(lagp)
        for port in cluster.replica_ports:
            replay.pause(port)
        make_wal(primary)
        wait_for(lambda: set(read_ports(lagp, 30)) == {cluster.port}, 10,
                 "30 consecutive reads on the primary")
        # and they are counted as fallbacks, reason lag (a fresh session: not sticky)
        n = 20
        mid = fallbacks(lagp)
        assert set(read_ports(lagp, n)) == {cluster.port}
        after = fallbacks(lagp)
        assert after.get("lag", 0) - mid.get("lag", 0) >= n, (mid, after)
        assert after.get("lag", 0) > before.get("lag", 0)
    finally:
        replay.resume_all()
    wait_for(lambda: set(read_ports(lagp, 20)) <= set(cluster.replica_ports), 15,
             "reads back on the replicas after resume")


def test_read_your_writes_under_slowed_replay(lagp, cluster):
    """1,000 write+read pairs (4 sessions x 250) while replay on the two
    replicas is paused and resumed in turn: no read ever misses its write.

    The sessions log in as a role with synchronous_commit = on, so a write
    is streamed at once and a replica that is not paused replays it within
    milliseconds (with the cluster's synchronous_commit = off it would take
    up to wal_writer_delay, 200 ms); the "after catch-up" read comes 25 ms
    after the immediate one.
    """
    stop = threading.Event()
    errors, misses = [], []
    immediate, later = [], []     # ports that answered
    replay = Replay(cluster)

    def toggler():
        ports = cluster.replica_ports
        i = 0
        try:
            while not stop.is_set():
                port = ports[i % 2]
                replay.pause(port, wait=False)
                time.sleep(0.05)            # load shaping, not synchronisation
                replay.resume(port)
                time.sleep(0.05)
                i += 1
        except Exception as e:   # reported below
            errors.append("toggler: %r" % e)

    def worker(w):
        try:
            with helpers.connect(lagp.port, user=RYW_USER) as c:
                for i in range(250):
                    key = 5_000_000 + w * 1000 + i
                    c.execute("INSERT INTO %s VALUES (%d, 'ryw')" % (TABLE, key))
                    n, port = c.execute("SELECT count(*), inet_server_port() FROM %s WHERE id = %d"
                                        % (TABLE, key)).fetchone()
                    immediate.append(port)
                    if n != 1:
                        misses.append((key, port, "immediate"))
                    time.sleep(0.025)       # think time: lets a replica catch up
                    n, port = c.execute("SELECT count(*), inet_server_port() FROM %s WHERE id = %d"
                                        % (TABLE, key)).fetchone()
                    later.append(port)
                    if n != 1:
                        misses.append((key, port, "later"))
        except Exception as e:   # reported below
            errors.append("worker %d: %r" % (w, e))

    t = threading.Thread(target=toggler)
    t.start()
    workers = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    try:
        for w in workers:
            w.start()
        for w in workers:
            w.join(120)
    finally:
        stop.set()
        t.join(10)
        replay.resume_all()
    assert not errors, errors[:5]
    assert len(immediate) == 1000 and len(later) == 1000
    assert not misses, "reads missed their own write: %s" % misses[:10]
    replicas = set(cluster.replica_ports)
    share_now = sum(p in replicas for p in immediate) / len(immediate)
    share_later = sum(p in replicas for p in later) / len(later)
    print("\nread-your-writes: %d write+read pairs, 0 misses; reads answered by replicas: "
          "immediately after the write %.1f%%, 25 ms later %.1f%%"
          % (len(immediate), 100 * share_now, 100 * share_later))
    assert share_later > 0, "no read after catch-up went to a replica"
