"""Faults under load (issue 9, item 1), against a private primary + 2
replicas of this module (contrib/pgcluster.sh, destroyed at the end; the
primary runs with synchronous_commit = on so that "acknowledged" means
"in the WAL", which is what the proxy can promise). In every test a writer
inserts numbered rows through pgsteer (autocommit INSERTs and two-row
explicit transactions, reconnecting after any error) and two readers run
SELECT inet_server_port() through pgsteer, while one fault happens:

- a replica killed with pg_ctl stop -m immediate, then restarted;
- a replica whose WAL replay is paused (pg_wal_replay_pause) for longer than
  max_lag, then resumed;
- a replica stalled with SIGSTOP (the kernel still accepts TCP, nobody
  answers), then continued;
- the primary restarted (pg_ctl restart -m fast) with a write in flight;
- the network between pgsteer and one replica cut: pgsteer reaches that
  replica through a veth pair into a network namespace of the test's own
  (relays on both sides), and the namespace's end of the link goes down;
- and, not a fault of a node but of cancellation under transaction
  pooling: a client's cancel must never cancel another client's statement.

Each test checks: reads leave the faulty replica within a bound derived
from the configured timeouts and come back after the repair; no client
operation takes longer than HANG_BOUND (the timeouts plus slack); and no
write lost: every row whose COMMIT was acknowledged is on the primary
(found ⊇ acknowledged, printed). The failover case lives in
test_faults_routing.py. Durations are printed, bounds are generous; these
are hang checks, not performance checks.

PGSTEER_FAULT_PAUSE (seconds the replay stays paused, default 3; the long
form of issue 9 uses 30).
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import psycopg
import pytest

import helpers
from helpers import pg_ctl, scalar, start_node, wait_for
from conftest import Cluster

pytestmark = pytest.mark.proxy_only

CHECK_MS = 100
HEALTH_TIMEOUT_MS = 500
HEALTH_FAILURES = 2
MAX_LAG_S = 1
QUERY_TIMEOUT_S = 2
CONNECT_TIMEOUT_S = 1
QUERY_WAIT_S = 3
# a client operation taking longer than this hangs: every timeout that may
# apply to it in a row, plus generous slack for a loaded CI machine
HANG_BOUND = QUERY_TIMEOUT_S + CONNECT_TIMEOUT_S + QUERY_WAIT_S + 3
# reads must have left a faulty replica this long after the fault
DETECT_BOUND = (HEALTH_TIMEOUT_MS * HEALTH_FAILURES + 3 * CHECK_MS) / 1000.0 + QUERY_TIMEOUT_S + 3
PAUSE_S = float(os.environ.get("PGSTEER_FAULT_PAUSE", "3"))
TABLE = "fault_rows"

SUMMARY = {"faults": [], "acked": 0, "found": 0}


@pytest.fixture(scope="module")
def fcluster():
    """This module's own primary + 2 replicas (faults would hurt the shared one)."""
    base_dir = tempfile.mkdtemp(prefix="pgsteer-faults-")
    os.chmod(base_dir, 0o755)
    c = Cluster(base_dir, helpers.free_port_range(3))
    try:
        c.start()
        with c.connect() as d:
            d.execute("ALTER SYSTEM SET synchronous_commit = on")
            d.execute("SELECT pg_reload_conf()")
            d.execute("CREATE TABLE %s (id bigint PRIMARY KEY, how text)" % TABLE)
            d.execute("CREATE TABLE fault_probe (id serial PRIMARY KEY)")
        for port in c.replica_ports:
            with c.connect(port) as r:
                wait_for(lambda: scalar(r, "SELECT to_regclass(%s) IS NOT NULL", (TABLE,)),
                         15, "table %s on %d" % (TABLE, port))
        yield c
    finally:
        c.destroy()
        print("\nfaults survived: %d (%s); rows acknowledged %d, found on the primary %d"
              % (len(SUMMARY["faults"]), ", ".join(SUMMARY["faults"]),
                 SUMMARY["acked"], SUMMARY["found"]))


def start_proxy(pgsteer, c, nodes=None, node_extra=None):
    extra = {"routing": {"check_interval": "%dms" % CHECK_MS,
                         "health_check_timeout": "%dms" % HEALTH_TIMEOUT_MS,
                         "health_check_failures": HEALTH_FAILURES,
                         "max_lag": MAX_LAG_S}}
    extra.update(node_extra or {})
    return pgsteer(nodes=nodes or [c.port, c.port + 1, c.port + 2], default_pool_size=10,
                   query_timeout="%ds" % QUERY_TIMEOUT_S,
                   server_connect_timeout="%ds" % CONNECT_TIMEOUT_S,
                   query_wait_timeout="%ds" % QUERY_WAIT_S, server_login_retry="200ms",
                   extra=extra)


def admin_nodes(p):
    with helpers.connect(p.port, user="admin", dbname="pgsteer", connect_timeout=3) as a:
        cur = a.execute("SHOW NODES")
        names = [d.name for d in cur.description]
        return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}


def bounded(fn, seconds, what):
    """fn() in a thread; fails the test if it has not returned after SECONDS
    (a probe stuck on a stalled server must not hang the whole run)."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as e:
            box["error"] = e
    th = threading.Thread(target=run, daemon=True)
    th.start()
    th.join(seconds)
    if th.is_alive():
        raise AssertionError("%s hangs (more than %ss)" % (what, seconds))
    if "error" in box:
        raise box["error"]
    return box["value"]


def read_ports(p, n=20):
    """The servers that answered a burst of N reads on one connection."""
    def burst():
        with p.connect(connect_timeout=3) as conn:
            return [scalar(conn, "SELECT inet_server_port()") for _ in range(n)]
    return bounded(burst, HANG_BOUND, "a burst of reads through pgsteer")


class Load:
    """One writer and READERS readers through pgsteer, in threads, timing
    every operation; stop() joins them and reports any that hang."""

    def __init__(self, p, first_id, readers=2):
        self.p = p
        self.next_id = first_id
        self.acked = set()
        self.ops = []           # (kind, start, seconds, ok, detail)
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.busy = {}          # thread name -> (what, start) while in an operation
        self.threads = [threading.Thread(target=self._writer, name="writer", daemon=True)]
        self.threads += [threading.Thread(target=self._reader, name="reader%d" % i, daemon=True)
                         for i in range(readers)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        wait_for(lambda: len(self.acked) >= 5, 15, "the writer's first rows")
        return self

    def __exit__(self, *exc):
        self.stop()

    def _timed(self, kind, fn):
        name = threading.current_thread().name
        t0 = time.monotonic()
        self.busy[name] = (kind, t0)
        try:
            detail = fn()
            ok = True
        except Exception as e:
            detail = "%s: %s" % (type(e).__name__, str(e).strip().splitlines()[0] if str(e).strip() else "")
            ok = False
        finally:
            self.busy.pop(name, None)
        with self.lock:
            self.ops.append((kind, t0, time.monotonic() - t0, ok, detail))
        return ok, detail

    def _connect(self):
        return self.p.connect(connect_timeout=CONNECT_TIMEOUT_S + 2)

    def _writer(self):
        conn = None
        n = 0
        while not self.stop_ev.is_set():
            if conn is None:
                ok, conn = self._timed("connect", self._connect)
                if not ok:
                    conn = None
                    time.sleep(0.05)   # back off before reconnecting, not a synchronisation
                    continue
            n += 1
            with self.lock:
                ids = [self.next_id] if n % 2 else [self.next_id, self.next_id + 1]
                self.next_id += len(ids)

            def write():
                if len(ids) == 1:
                    conn.execute("INSERT INTO %s VALUES (%%s, 'autocommit')" % TABLE, ids)
                else:
                    with conn.transaction():
                        for i in ids:
                            conn.execute("INSERT INTO %s VALUES (%%s, 'txn')" % TABLE, (i,))
                return ids
            ok, _ = self._timed("write", write)
            if ok:
                with self.lock:
                    self.acked.update(ids)
            else:
                conn.close()
                conn = None

    def _reader(self):
        conn = None
        while not self.stop_ev.is_set():
            if conn is None:
                ok, conn = self._timed("connect", self._connect)
                if not ok:
                    conn = None
                    time.sleep(0.05)
                    continue
            ok, _ = self._timed("read", lambda: scalar(conn, "SELECT inet_server_port()"))
            if not ok:
                conn.close()
                conn = None

    def assert_no_hang(self):
        """No operation under way has been running longer than HANG_BOUND."""
        now = time.monotonic()
        hung = ["%s in %s for %.1fs" % (name, what, now - t0)
                for name, (what, t0) in list(self.busy.items()) if now - t0 > HANG_BOUND]
        assert not hung, "client operations hang past %ds: %s" % (HANG_BOUND, hung)

    def hold(self, since):
        """Keep a fault in place until HANG_BOUND + 1 s after SINCE (the fault's
        duration, so that a client stuck on the faulty node shows as hung),
        then check that nobody hangs."""
        while time.monotonic() < since + HANG_BOUND + 1:
            self.assert_no_hang()
            time.sleep(0.2)
        self.assert_no_hang()

    def stop(self):
        self.stop_ev.set()
        deadline = time.monotonic() + HANG_BOUND + 5
        for t in self.threads:
            t.join(max(0.1, deadline - time.monotonic()))
        hung = ["%s in %s for %.1fs" % (name, what, time.monotonic() - t0)
                for name, (what, t0) in list(self.busy.items())]
        assert not hung, "client operations hang: %s" % hung

    def slowest(self):
        with self.lock:
            return max(self.ops, key=lambda o: o[2]) if self.ops else None

    def failures(self, since=0.0):
        with self.lock:
            return [o for o in self.ops if not o[3] and o[1] >= since]

    def check(self, c, fault):
        """No operation hung; every acknowledged row is on the primary."""
        slow = self.slowest()
        with c.connect() as d:
            found = {r[0] for r in d.execute("SELECT id FROM %s WHERE id = ANY(%%s)" % TABLE,
                                              (sorted(self.acked),))}
        missing = sorted(self.acked - found)
        errors = self.failures()
        kinds = sorted({o[4][:90] for o in errors})
        print("\n%s: %d operations, %d failed, slowest %s %.2fs; rows acknowledged %d, "
              "found %d; errors: %s" % (fault, len(self.ops), len(errors), slow[0], slow[2],
                                        len(self.acked), len(found & self.acked), kinds[:6]))
        assert not missing, "%d acknowledged rows not on the primary: %s" % (
            len(missing), missing[:20])
        assert slow[2] <= HANG_BOUND, "a %s took %.1fs (bound %ds): %s" % (
            slow[0], slow[2], HANG_BOUND, slow[4])
        SUMMARY["faults"].append(fault)
        SUMMARY["acked"] += len(self.acked)
        SUMMARY["found"] += len(found & self.acked)


def wait_reads_avoid(p, port, bound, what):
    """Poll until a burst of reads avoids PORT; returns the seconds it took."""
    t0 = time.monotonic()
    wait_for(lambda: port not in read_ports(p), bound, "reads leaving %s" % what)
    return time.monotonic() - t0


def wait_reads_return(p, port, what, bound=30):
    t0 = time.monotonic()
    wait_for(lambda: port in read_ports(p), bound, "reads back on %s" % what)
    return time.monotonic() - t0


def writes_ok(p):
    """A write through pgsteer succeeds, on a server not in recovery."""
    def write():
        with p.connect(connect_timeout=3) as conn:
            return scalar(conn, "INSERT INTO fault_probe DEFAULT VALUES "
                                "RETURNING NOT pg_is_in_recovery()")
    return bounded(write, HANG_BOUND, "a write through pgsteer")


def node_pids(c, node):
    """The postmaster of NODE and all its children."""
    with open(os.path.join(c.dir, node, "postmaster.pid")) as f:
        pm = int(f.readline())
    out = subprocess.run(["pgrep", "-P", str(pm)], capture_output=True, text=True).stdout
    return [pm] + [int(x) for x in out.split()]


# ================================================================== tests

def test_replica_killed_and_restarted(fcluster, pgsteer):
    c = fcluster
    p = start_proxy(pgsteer, c)
    helpers.wait_reads_on_both_replicas(p, c)
    victim, port = "replica2", c.port + 2
    with Load(p, 1_000_000) as load:
        try:
            pg_ctl(c, victim, "-m", "immediate", "-w", "stop")
            left = wait_reads_avoid(p, port, DETECT_BOUND, victim)
        finally:
            start_node(c, victim)
        back = wait_reads_return(p, port, victim)
        wait_for(lambda: len(load.acked) > 20, 10, "writes going on")
    print("\nkill -m immediate: reads left after %.2fs, back %.2fs after the restart"
          % (left, back))
    load.check(c, "replica killed")


def test_replica_replay_paused(fcluster, pgsteer):
    c = fcluster
    p = start_proxy(pgsteer, c)
    helpers.wait_reads_on_both_replicas(p, c)
    victim, port = "replica1", c.port + 1
    with Load(p, 2_000_000) as load, c.connect(port) as r:
        try:
            r.execute("SELECT pg_wal_replay_pause()")
            t0 = time.monotonic()
            left = wait_reads_avoid(p, port, MAX_LAG_S + DETECT_BOUND, "paused " + victim)
            # stays away as long as the replay is paused
            while time.monotonic() - t0 < PAUSE_S:
                assert port not in read_ports(p, 10), "a read on the paused replica"
            lag = admin_nodes(p)["main2"]
        finally:
            r.execute("SELECT pg_wal_replay_resume()")
        back = wait_reads_return(p, port, victim)
    print("\nreplay paused %.0fs: reads left after %.2fs, back %.2fs after resume; "
          "lag seen %s s" % (PAUSE_S, left, back, lag["lag_s"]))
    load.check(c, "replay paused")


def test_replica_stalled_with_sigstop(fcluster, pgsteer):
    c = fcluster
    p = start_proxy(pgsteer, c)
    helpers.wait_reads_on_both_replicas(p, c)
    victim, port = "replica1", c.port + 1
    with Load(p, 3_000_000) as load:
        pids = node_pids(c, victim)     # now: the load's server connections too
        try:
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            t_stop = time.monotonic()
            left = wait_reads_avoid(p, port, DETECT_BOUND, "stalled " + victim)
            load.hold(t_stop)
            stalled_for = time.monotonic() - t_stop
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        back = wait_reads_return(p, port, victim)
    print("\nSIGSTOP: reads left after %.2fs (stalled %.1fs), back %.2fs after SIGCONT"
          % (left, stalled_for, back))
    load.check(c, "replica stalled (SIGSTOP)")


def test_frozen_replica_leaves_at_its_first_unanswered_check(fcluster, pgsteer):
    """A replica frozen with SIGSTOP gets no new reads once one check has
    gone unanswered for health_check_timeout (500 ms here), not only when
    max_lag (60 s here) runs out or it is marked down (20 failures here),
    and a read in flight there is sent elsewhere."""
    c = fcluster
    p = pgsteer(nodes=[c.port, c.port + 1, c.port + 2], default_pool_size=10,
                extra={"routing": {"check_interval": "%dms" % CHECK_MS,
                                   "health_check_timeout": "500ms",
                                   "health_check_failures": 20, "max_lag": "60s"}})
    helpers.wait_reads_on_both_replicas(p, c)
    victim, port = "replica1", c.port + 1
    with p.connect() as conn:
        pids = node_pids(c, victim)
        try:
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            t_stop = time.monotonic()
            # one read on each replica at least: some land on the frozen one
            ports = [bounded(lambda: scalar(conn, "SELECT inet_server_port()"), 5, "a read")
                     for _ in range(6)]
            slowest = time.monotonic() - t_stop
            left = wait_reads_avoid(p, port, 3, "frozen " + victim)
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
    back = wait_reads_return(p, port, victim)
    print("\nfrozen replica, health_check_timeout 500ms, max_lag 60s: reads in flight answered "
          "within %.2fs, new reads avoid it after %.2fs more, back %.2fs after SIGCONT"
          % (slowest, left, back))
    assert port not in ports, ports
    assert slowest < 3, "reads in flight waited %.2fs" % slowest


def test_frozen_primary_fails_statements_in_flight(fcluster, pgsteer):
    """A primary frozen with SIGSTOP (a hung host: the kernel still holds
    the TCP connections, nobody answers). Once the monitor has found it
    down and silent: a statement sent there fails with a connection error
    (class 08) instead of hanging until the node comes back; a statement
    waiting for a connection there is routed again (a write: refused with
    57P03); an autocommit client stays connected and writes again after the
    thaw, a client in a transaction loses it with its connection; reads go
    on on the replicas."""
    c = fcluster
    p = pgsteer(nodes=[c.port, c.port + 1, c.port + 2], default_pool_size=2, workers=1,
                extra={"routing": {"check_interval": "%dms" % CHECK_MS,
                                   "health_check_timeout": "%dms" % HEALTH_TIMEOUT_MS,
                                   "health_check_failures": HEALTH_FAILURES}})
    wait_for(lambda: writes_ok(p), 15, "writes through pgsteer")
    conns = [p.connect() for _ in range(4)]
    in_tx, auto, waiter, reader = conns

    def primary_pool():
        with helpers.connect(p.port, user="admin", dbname="pgsteer", connect_timeout=3) as a:
            cur = a.execute("SHOW POOLS")
            names = [d.name for d in cur.description]
            rows = [dict(zip(names, r)) for r in cur.fetchall()]
        return [r for r in rows if r["node"] == "main1" and r["database"] == "postgres"][0]
    try:
        # both of the pool's connections exist, and the transaction holds one
        auto.execute("BEGIN")
        auto.execute("INSERT INTO fault_probe DEFAULT VALUES")
        in_tx.execute("BEGIN")
        in_tx.execute("INSERT INTO fault_probe DEFAULT VALUES")
        auto.execute("COMMIT")
        wait_for(lambda: primary_pool()["sv_idle"] == 1, 5, "one idle primary connection")
        pids = node_pids(c, "primary")      # with those two backends
        results = {}

        def write(name, conn):
            t0 = time.monotonic()
            try:
                conn.execute("INSERT INTO fault_probe DEFAULT VALUES")
                results[name] = ("ok", time.monotonic() - t0)
            except psycopg.Error as e:
                results[name] = (e.sqlstate or "", time.monotonic() - t0, str(e).strip())
        threads = []
        try:
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            for name, conn, cond in (
                    ("transaction", in_tx, lambda: True),
                    ("sent", auto, lambda: primary_pool()["sv_idle"] == 0),
                    ("waiting", waiter, lambda: primary_pool()["cl_waiting"] == 1)):
                threads.append(threading.Thread(target=write, args=(name, conn), daemon=True))
                threads[-1].start()
                wait_for(cond, 5, "the %s write under way" % name, interval=0.02)
            # detection: HEALTH_FAILURES unanswered checks, then the janitor
            bound = (CHECK_MS + HEALTH_TIMEOUT_MS) * (HEALTH_FAILURES + 1) / 1000.0 + 3
            for t in threads:
                t.join(bound)
            hung = [t for t in threads if t.is_alive()]
            read_port = bounded(lambda: scalar(reader, "SELECT inet_server_port()"), 5,
                                "a read with the primary frozen")
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        for t in threads:
            t.join(10)
        print("\nfrozen primary: %s; a read meanwhile on port %s" % (results, read_port))
        assert not hung, "statements on the frozen primary hang past %.1fs: %s" % (bound, results)
        assert results["sent"][0].startswith("08"), results
        assert results["waiting"][0] == "57P03", results
        # its FATAL, then the connection closed (psycopg keeps no SQLSTATE then)
        assert results["transaction"][0] in ("", "08006"), results
        assert in_tx.closed or in_tx.broken
        assert read_port != c.port
        assert "is down and silent" in p.log()
        wait_for(lambda: writes_ok(p), 15, "writes after the thaw")
        for conn in (auto, waiter):     # the same connections
            assert scalar(conn, "INSERT INTO fault_probe DEFAULT VALUES "
                                "RETURNING NOT pg_is_in_recovery()") is True
    finally:
        for x in conns:
            x.close()


def test_primary_restarted(fcluster, pgsteer):
    c = fcluster
    p = start_proxy(pgsteer, c)
    wait_for(lambda: writes_ok(p), 15, "writes through pgsteer")
    inflight = {}

    def slow_write():
        t0 = time.monotonic()
        try:
            with p.connect(connect_timeout=3) as conn:
                conn.execute("INSERT INTO %s SELECT -1, 'slow' FROM pg_sleep(30)" % TABLE)
            inflight["result"] = "committed"
        except psycopg.Error as e:
            inflight["result"] = "%s %s: %s" % (type(e).__name__, e.sqlstate,
                                                str(e).strip().splitlines()[0])
        inflight["seconds"] = time.monotonic() - t0

    with Load(p, 4_000_000) as load:
        th = threading.Thread(target=slow_write, daemon=True)
        th.start()
        with c.connect() as d:
            wait_for(lambda: scalar(d, "SELECT count(*) FROM pg_stat_activity WHERE query "
                                       "LIKE 'INSERT INTO %s SELECT -1%%'" % TABLE), 10,
                     "the slow write running on the primary")
        t_restart = time.monotonic()
        pg_ctl(c, "primary", "-m", "fast", "-w", "-t", "60", "-l",
               os.path.join(c.dir, "primary.log"), "restart")
        th.join(HANG_BOUND)
        assert not th.is_alive(), "the in-flight write hangs after the primary restart"
        wait_for(lambda: writes_ok(p), 20, "writes through pgsteer after the restart")
        back = time.monotonic() - t_restart
        # the monitor reconnected by itself: the primary is up in SHOW NODES
        wait_for(lambda: admin_nodes(p)["main1"]["up"] is True, 10, "main1 up again")
        n_acked = len(load.acked)
        wait_for(lambda: len(load.acked) > n_acked + 10, 10, "the writer writing again")
    print("\nprimary restart: in-flight write -> %s (after %.2fs); writes back %.2fs after "
          "the restart began" % (inflight["result"], inflight["seconds"], back))
    assert inflight["result"] != "committed", inflight
    assert inflight["result"].split(":", 1)[1].strip(), "an error without a message"
    load.check(c, "primary restarted")


# ---------------------------------------------------------- network cut

class NetCut:
    """pgsteer -> 10.77.N.2:PORT (a relay in namespace NS) -> 10.77.N.1:PORT2 (a
    relay in the root namespace) -> 127.0.0.1:TARGET. cut() takes the
    namespace's end of the veth pair down: packets vanish silently."""

    def __init__(self, target_port):
        tag = "%d" % (os.getpid() % 100000)
        self.ns = "pgsf%s" % tag
        self.veth_root, self.veth_ns = "pgsf%sa" % tag, "pgsf%sb" % tag
        octet = 1 + os.getpid() % 250
        self.root_ip, self.ns_ip = "10.77.%d.1" % octet, "10.77.%d.2" % octet
        self.target = target_port
        self.port = helpers.free_port()
        self.relays = []

    def ip(self, *args, ns=False):
        cmd = (["ip", "netns", "exec", self.ns] if ns else []) + ["ip", *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        assert r.returncode == 0, "%s: %s" % (" ".join(cmd), r.stderr)

    def _relay(self, prefix, lhost, lport, thost, tport):
        relay = os.path.join(os.path.dirname(__file__), "tcprelay.py")
        proc = subprocess.Popen(prefix + [sys.executable, relay, lhost, str(lport), thost,
                                          str(tport)], stdout=subprocess.PIPE, text=True)
        self.relays.append(proc)
        assert proc.stdout.readline().strip() == "ready", "relay did not start"

    def __enter__(self):
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.veth_root], capture_output=True)
        try:
            self.ip("netns", "add", self.ns)
            self.ip("link", "add", self.veth_root, "type", "veth", "peer", "name", self.veth_ns)
            self.ip("link", "set", self.veth_ns, "netns", self.ns)
            self.ip("addr", "add", self.root_ip + "/30", "dev", self.veth_root)
            self.ip("link", "set", self.veth_root, "up")
            self.ip("addr", "add", self.ns_ip + "/30", "dev", self.veth_ns, ns=True)
            self.ip("link", "set", self.veth_ns, "up", ns=True)
            self.ip("link", "set", "lo", "up", ns=True)
            root_port = helpers.free_port()
            self._relay([], self.root_ip, root_port, "127.0.0.1", self.target)
            self._relay(["ip", "netns", "exec", self.ns], self.ns_ip, self.port,
                        self.root_ip, root_port)
        except BaseException:
            self.__exit__()
            raise
        return self

    def cut(self):
        self.ip("link", "set", self.veth_ns, "down", ns=True)

    def restore(self):
        self.ip("link", "set", self.veth_ns, "up", ns=True)

    def __exit__(self, *exc):
        for proc in self.relays:
            proc.kill()
            proc.wait(5)
            proc.stdout.close()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.veth_root], capture_output=True)


def test_network_cut_to_a_replica(fcluster, pgsteer):
    c = fcluster
    port = c.port + 2                         # replica2, reached through the namespace
    with NetCut(port) as net:
        p = start_proxy(pgsteer, c, nodes=[c.port, c.port + 1, net.port],
                        node_extra={"node.main3": {"host": net.ns_ip}})
        helpers.wait_reads_on_both_replicas(p, c)
        with Load(p, 5_000_000) as load:
            try:
                net.cut()
                t_cut = time.monotonic()
                left = wait_reads_avoid(p, port, DETECT_BOUND, "cut-off replica2")
                n_acked = len(load.acked)
                wait_for(lambda: len(load.acked) > n_acked + 10, 10, "writes during the cut")
                load.hold(t_cut)
            finally:
                net.restore()
            back = wait_reads_return(p, port, "replica2 after the cut")
        print("\nnetwork cut: reads left after %.2fs, back %.2fs after the link came up"
              % (left, back))
        load.check(c, "network cut")


# ---------------------------------------------------------- a cancel hits only its client

def test_cancel_never_hits_another_client(fcluster, pgsteer):
    """Client A cancels its own long query, over and over, while client B
    runs short queries on the same (single) server connection. PostgreSQL
    signals a cancelled backend twice (the process, then its process
    group); the second SIGINT can leave a cancel pending that fires on the
    next statement if that statement is already waiting in the socket, so
    a proxy must not hand the server to another client the moment the
    cancelled query's ReadyForQuery arrives (PgBouncer keeps a server with
    a cancel in flight out of the pool): B must never see 57014."""
    c = fcluster
    # one worker: A and B must share the one server connection
    p = pgsteer(nodes=[c.port], default_pool_size=1, query_wait_timeout="20s", workers=1)
    stop = threading.Event()
    b_errors, b_done = [], [0]

    def client_b():
        with p.connect() as conn:
            while not stop.is_set():
                try:
                    assert scalar(conn, "SELECT 1 FROM pg_sleep(0.001)") == 1
                    b_done[0] += 1
                except psycopg.Error as e:
                    b_errors.append("%s %s" % (e.sqlstate, str(e).strip().splitlines()[0]))
    th = threading.Thread(target=client_b, daemon=True)
    th.start()
    cancelled = 0
    try:
        with p.connect() as a:
            t0 = time.monotonic()
            while time.monotonic() - t0 < 8:     # the test's length, not a synchronisation
                timer = threading.Timer(0.02, a.cancel)
                timer.start()
                try:
                    a.execute("SELECT pg_sleep(1)")
                except psycopg.errors.QueryCanceled:
                    cancelled += 1
                finally:
                    timer.cancel()
                    timer.join()
                if len(b_errors) >= 3:
                    break
    finally:
        stop.set()
        th.join(HANG_BOUND)
    print("\ncancels: A cancelled %d queries; B ran %d, %d of them cancelled: %s"
          % (cancelled, b_done[0], len(b_errors), b_errors[:3]))
    assert cancelled > 0
    assert not b_errors, "another client's cancel hit B's statements: %s" % b_errors[:3]
