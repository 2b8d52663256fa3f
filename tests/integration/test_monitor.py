"""The monitor (src/monitor.c) against real PostgreSQL, through
tests/integration/monitor_probe, which runs the monitor alone on a pgsteer
config and prints every snapshot change (see monitor_probe.c):

- roles: the primary is the node not in recovery, the replicas are in
  recovery, lag 0 when caught up;
- lag: replay paused on one replica + writes on the primary -> lag_bytes and
  lag_s grow on that replica only; resumed -> back to 0;
- faults: a replica stopped with -m immediate is down at once (it refuses
  connections: no waiting for health_check_failures) and up again after a
  restart; a node that accepts TCP but never answers goes down after
  health_check_failures timeouts while the others keep being checked;
- reload (SIGHUP): unchanged nodes keep their server connection, a removed
  node disappears, an added one is monitored;
- the catalog read (issue 4 part 2) delivers user functions with provolatile.

Every test leaves the shared cluster as it found it (replay resumed,
replica running).
"""
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

import helpers
from helpers import REPO, PG_BIN, as_postgres, pg_ctl, scalar, start_node, wait_for

PROBE = os.environ.get("MONITOR_PROBE") or os.path.join(
    REPO, "build", "tests", "integration", "monitor_probe")

CHECK_MS = 100


def parse(line):
    """'gen=3 node=main2 up=1 ... error=text with spaces' -> dict."""
    head, sep, err = line.partition(" error=")
    d = dict(kv.split("=", 1) for kv in head.split() if "=" in kv)
    if sep:
        d["error"] = err
    return d


class Probe:
    """A running monitor_probe; a reader thread keeps the latest published
    state of every node and cluster, and when each line arrived."""

    def __init__(self, cfg_path, log_path, env=None):
        self.cfg_path = cfg_path
        self.log_path = log_path
        self.lock = threading.Lock()
        self.nodes = {}
        self.clusters = {}
        self.history = []          # (monotonic time, dict)
        self.catalog = []
        logf = open(log_path, "ab")
        try:
            self.proc = subprocess.Popen([PROBE, cfg_path], stdout=subprocess.PIPE,
                                         stderr=logf, stdin=subprocess.DEVNULL,
                                         env=dict(os.environ, **(env or {})))
        finally:
            logf.close()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            t = time.monotonic()
            with self.lock:
                if line.startswith("catalog "):
                    self.catalog.append(line)
                    continue
                d = parse(line)
                self.history.append((t, d))
                if "node" in d:
                    self.nodes[d["node"]] = d
                elif "cluster" in d:
                    self.clusters[d["cluster"]] = d

    def node(self, name):
        with self.lock:
            return dict(self.nodes.get(name, {}))

    def cluster(self, name="main"):
        with self.lock:
            return dict(self.clusters.get(name, {}))

    def first_time(self, pred, since=0.0):
        """Arrival time of the first published line after SINCE matching pred."""
        with self.lock:
            for t, d in self.history:
                if t >= since and pred(d):
                    return t
        return None

    def wait_published(self, name, what, since, timeout=10, **want):
        """Wait until a line published after SINCE (monotonic) showed node NAME
        in the wanted state, however briefly; returns that line."""
        def ok():
            assert self.proc.poll() is None, "monitor_probe exited:\n" + self.log()
            with self.lock:
                for t, d in self.history:
                    if t >= since and d.get("node") == name and \
                            all(d.get(k) == str(v) for k, v in want.items()):
                        return dict(d)
            return None
        return wait_for(ok, timeout, "%s: %s" % (name, what))

    def wait_node(self, name, what, timeout=10, **want):
        def ok():
            assert self.proc.poll() is None, "monitor_probe exited:\n" + self.log()
            d = self.node(name)
            return d if all(d.get(k) == str(v) for k, v in want.items()) else None
        return wait_for(ok, timeout, "%s: %s (last: %s)" % (name, what, self.node(name)))

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.reader.join(5)
        return self.proc.returncode


def write_config(cluster, path, nodes=None, routing=None):
    extra = {"routing": dict({"check_interval": "%dms" % CHECK_MS,
                              "health_check_timeout": "1s"}, **(routing or {}))}
    sections = helpers.pgsteer_sections(cluster, helpers.free_port(), nodes=nodes, extra=extra)
    path.write_text(helpers.render_ini(sections))
    return str(path)


def _probe_factory(cluster, tmp_path, started):
    # `make` builds it (noinst_PROGRAMS); missing means the build is broken
    assert os.access(PROBE, os.X_OK), "monitor_probe not built at %s (set MONITOR_PROBE)" % PROBE

    def start(nodes=None, routing=None, env=None):
        cfg = write_config(cluster, tmp_path / ("monitor%d.ini" % len(started)), nodes, routing)
        p = Probe(cfg, str(tmp_path / ("monitor%d.log" % len(started))), env)
        started.append(p)
        return p
    return start


def _stop_all(started):
    for p in started:
        rc = p.stop()
        assert rc == 0, "monitor_probe exit %s:\n%s" % (rc, p.log())


@pytest.fixture
def probe(cluster, tmp_path):
    """Factory: probe(nodes=None, routing=None, env=None) -> Probe on the
    shared cluster (stopped after the test, which checks its exit status)."""
    started = []
    yield _probe_factory(cluster, tmp_path, started)
    _stop_all(started)


def make_wal(primary, rows=2000):
    primary.execute("CREATE TABLE IF NOT EXISTS monitor_wal (id serial, pad text)")
    primary.execute("INSERT INTO monitor_wal (pad) SELECT repeat('x', 100) "
                    "FROM generate_series(1, %s)" % int(rows))


def lsn(text):
    hi, lo = text.split("/")
    return int(hi, 16) << 32 | int(lo, 16)


# ---------------------------------------------------------------- roles


def test_roles_detected(probe, primary):
    p = probe()
    p.wait_node("main1", "primary", up=1, role="primary", in_recovery=0)
    p.wait_node("main2", "replica", up=1, role="replica", in_recovery=1)
    p.wait_node("main3", "replica", up=1, role="replica", in_recovery=1)
    wait_for(lambda: p.cluster().get("primary") == "main1", 5, "cluster primary main1")
    assert p.cluster()["split_brain"] == "0"

    # the primary's published LSN follows pg_current_wal_lsn(); replicas catch up to 0 lag
    make_wal(primary, 100)
    target = lsn(scalar(primary, "SELECT pg_current_wal_lsn()::text"))
    wait_for(lambda: lsn(p.node("main1")["lsn"]) >= target, 5, "primary lsn published")
    for name in ("main2", "main3"):
        wait_for(lambda: (p.node(name)["lag_known"] == "1" and p.node(name)["lag_bytes"] == "0"
                          and float(p.node(name)["lag_s"]) == 0
                          and lsn(p.node(name)["lsn"]) >= target),
                 10, "%s caught up" % name)
    # every node on the primary's timeline (replicas: the received timeline)
    tli = int(scalar(primary, "SELECT timeline_id FROM pg_control_checkpoint()"))
    for name in ("main1", "main2", "main3"):
        wait_for(lambda: p.node(name)["tli"] == str(tli), 5, "%s on timeline %d" % (name, tli))
    log = p.log()
    assert "cluster main: primary is main1 (127.0.0.1:%d)" % primary.info.port in log


def test_monitor_connections_are_named(probe, cluster, primary):
    p = probe()
    p.wait_node("main1", "up", up=1)
    # one connection per node, application_name pgsteer-monitor, user postgres
    wait_for(lambda: scalar(primary, "SELECT count(*) FROM pg_stat_activity WHERE "
                                     "application_name = 'pgsteer-monitor' AND usename = 'postgres'") == 1,
             5, "one monitor connection on the primary")
    with cluster.connect(cluster.replica_ports[0]) as r:
        # the replica's check may connect a moment after the primary's
        wait_for(lambda: scalar(r, "SELECT count(*) FROM pg_stat_activity "
                                   "WHERE application_name = 'pgsteer-monitor'") == 1,
                 5, "one monitor connection on replica main2")


def test_availability_override_is_published(probe):
    p = probe()
    p.wait_node("main1", "up", up=1, avail="active")
    p.signal(signal.SIGUSR1)    # probe: set the first node offline
    p.wait_node("main1", "offline", avail="offline", up=1, role="primary")
    p.signal(signal.SIGUSR2)
    p.wait_node("main1", "active again", avail="active")


# ---------------------------------------------------------------- lag


def test_lag_grows_while_replay_is_paused_and_returns_to_zero(probe, cluster, primary):
    p = probe()
    p.wait_node("main2", "replica up", up=1, role="replica", lag_bytes=0)
    replica = cluster.connect(cluster.replica_ports[0])
    try:
        replica.execute("SELECT pg_wal_replay_pause()")
        wait_for(lambda: scalar(replica, "SELECT pg_get_wal_replay_pause_state()") == "paused",
                 10, "replay paused")
        make_wal(primary, 5000)
        behind = lsn(scalar(primary, "SELECT pg_current_wal_lsn()::text")) - \
            lsn(scalar(replica, "SELECT pg_last_wal_replay_lsn()::text"))
        assert behind > 0

        d = wait_for(lambda: (lambda d: d if int(d["lag_bytes"]) >= behind * 0.9 else None)(
            p.node("main2")), 10, "main2 lag_bytes >= %d" % behind)
        assert d["lag_known"] == "1" and d["up"] == "1"
        # seconds grow with the pause (the caught-up bound, not an hours-old xact)
        wait_for(lambda: float(p.node("main2")["lag_s"]) >= 0.5, 10, "main2 lag_s >= 0.5")
        assert float(p.node("main2")["lag_s"]) < 60
        # the other replica is unaffected
        wait_for(lambda: p.node("main3")["lag_bytes"] == "0" and float(p.node("main3")["lag_s"]) == 0,
                 10, "main3 caught up")
    finally:
        replica.execute("SELECT pg_wal_replay_resume()")
        replica.close()
    wait_for(lambda: p.node("main2")["lag_bytes"] == "0" and float(p.node("main2")["lag_s"]) == 0,
             10, "main2 lag back to 0 after resume")


# ---------------------------------------------------------------- faults


def test_stopped_replica_is_down_at_once_and_returns(probe, cluster):
    # health_check_failures is high: only "refused at once" can explain a fast down
    p = probe(routing={"health_check_failures": 10})
    p.wait_node("main2", "replica up", up=1, role="replica")
    data = os.path.join(cluster.dir, "replica1")
    try:
        t0 = time.monotonic()
        r = as_postgres(os.path.join(PG_BIN, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
        assert r.returncode == 0, r.stderr
        t_gone = time.monotonic()      # pg_ctl -w returned: the server is gone
        d = p.wait_node("main2", "down", timeout=5, up=0)
        t_down = p.first_time(lambda x: x.get("node") == "main2" and x.get("up") == "0", t0)
        # within 3 x check_interval of the server going away (usually a few ms:
        # the idle connection sees EOF, the reconnect is refused)
        took = t_down - t_gone
        assert took <= 3 * CHECK_MS / 1000.0, "down %.3fs after the stop" % took
        assert d["role"] == "replica"     # last known role kept while down
        assert d["error"], d
        assert "node main2 (127.0.0.1:%d): down: " % cluster.replica_ports[0] in p.log()
        # the others are untouched
        assert p.node("main1")["up"] == "1" and p.node("main3")["up"] == "1"
        assert p.cluster()["primary"] == "main1"
        # still down a few intervals later (backoff retries keep failing)
        time.sleep(0.5)
        assert p.node("main2")["up"] == "0"
    finally:
        start_node(cluster, "replica1")
    p.wait_node("main2", "up after restart", timeout=30, up=1, role="replica", failures=0)
    assert "node main2 (127.0.0.1:%d): up (in recovery" % cluster.replica_ports[0] in p.log()


def test_unanswering_node_goes_down_after_failures_and_loop_keeps_running(probe, cluster, primary):
    # A socket that accepts TCP (kernel backlog) but never answers the startup packet.
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    try:
        p = probe(nodes=[cluster.port, cluster.replica_ports[0], port],
                  routing={"health_check_timeout": "300ms", "health_check_failures": 2})
        p.wait_node("main1", "primary up", up=1, role="primary")
        t0 = time.monotonic()
        p.wait_node("main3", "silent node failing", timeout=10, failures=1)
        d = p.wait_node("main3", "silent node down", timeout=10, up=0, failures=2)
        assert "timed out" in d["error"], d
        assert time.monotonic() - t0 < 5
        # the event loop was never blocked: the primary's LSN keeps being published
        make_wal(primary, 100)
        target = lsn(scalar(primary, "SELECT pg_current_wal_lsn()::text"))
        wait_for(lambda: lsn(p.node("main1")["lsn"]) >= target, 3, "primary lsn published")
    finally:
        silent.close()


def test_hung_check_query_times_out_and_reconnects(probe, cluster):
    # Freeze the monitor's backend on replica2 (SIGSTOP): the next check hangs
    # on an open connection, so only the query deadline can end it.
    p = probe(routing={"health_check_timeout": "300ms", "health_check_failures": 1})
    p.wait_node("main3", "replica up", up=1, role="replica")
    with cluster.connect(cluster.replica_ports[1]) as r:
        # Freeze every monitor backend there: the probe's is one of them (it
        # reported the node up); a just-stopped instance's may still linger.
        pids = monitor_pids(r)
        assert pids
        t0 = time.monotonic()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            # the monitor reconnects at once, so "down" may last only a few ms:
            # look for it in what the probe published, not in its latest state
            d = p.wait_published("main3", "down on timeout", t0, timeout=5, up=0)
            assert "check timed out" in d["error"], d
            # a fresh connection (new backend) brings it back up
            p.wait_node("main3", "up again", timeout=5, up=1, failures=0)
            assert [x for x in monitor_pids(r) if x not in pids], "no new monitor connection"
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        # the dropped backends notice their closed sockets once they run again
        wait_for(lambda: not set(pids) & set(monitor_pids(r)), 10, "old monitor backends gone")


def test_refused_node_is_down_at_first_attempt(probe, cluster):
    closed = helpers.free_port()
    p = probe(nodes=[cluster.port, closed], routing={"health_check_failures": 10})
    d = p.wait_node("main2", "down", timeout=5, up=0, failures=1)
    assert "refused" in d["error"].lower(), d
    p.wait_node("main1", "primary", up=1, role="primary")


# ---------------------------------------------------------------- reload


def monitor_pids(conn):
    return sorted(r[0] for r in conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgsteer-monitor'"))


def test_reload_keeps_unchanged_nodes_connections(probe, cluster, primary, tmp_path):
    p = probe()
    for n in ("main1", "main2", "main3"):
        p.wait_node(n, "up", up=1)
    wait_for(lambda: len(monitor_pids(primary)) == 1, 5, "one monitor connection on the primary")
    before = monitor_pids(primary)

    # main3 removed, main2 unchanged, a new node main4 on a closed port
    sections = helpers.pgsteer_sections(cluster, helpers.free_port(),
                                        nodes=[cluster.port, cluster.replica_ports[0]],
                                        extra={"routing": {"check_interval": "%dms" % CHECK_MS}})
    closed = helpers.free_port()
    sections["node.main4"] = {"cluster": "main", "host": "127.0.0.1", "port": closed}
    with open(p.cfg_path, "w") as f:
        f.write(helpers.render_ini(sections))
    p.signal(signal.SIGHUP)

    p.wait_node("main4", "new node monitored (down)", up=0)
    assert "node main3 (127.0.0.1:%d): no longer monitored" % cluster.replica_ports[1] in p.log()
    assert p.cluster()["primary"] == "main1"
    assert monitor_pids(primary) == before, "the primary's monitor connection was replaced"
    with cluster.connect(cluster.replica_ports[1]) as r:
        wait_for(lambda: monitor_pids(r) == [], 5, "main3's monitor connection closed")


# ---------------------------------------------------------------- catalog


def test_catalog_read_delivers_user_functions(probe, primary):
    primary.execute("CREATE OR REPLACE FUNCTION public.monitor_probe_vol() RETURNS int "
                    "LANGUAGE sql VOLATILE AS 'SELECT 1'")
    primary.execute("CREATE OR REPLACE FUNCTION public.monitor_probe_imm(int) RETURNS int "
                    "LANGUAGE sql IMMUTABLE AS 'SELECT $1'")
    try:
        p = probe(routing={"catalog_refresh": "1s"}, env={"MONITOR_PROBE_CATALOG": "1"})

        def seen():
            with p.lock:
                return [c for c in p.catalog
                        if "public.monitor_probe_vol:v" in c and "public.monitor_probe_imm:i" in c]
        wait_for(seen, 10, "catalog rows with both functions")
        # refreshed periodically: a function created later shows up
        primary.execute("CREATE OR REPLACE FUNCTION public.monitor_probe_stable() RETURNS int "
                        "LANGUAGE sql STABLE AS 'SELECT 1'")
        wait_for(lambda: any("public.monitor_probe_stable:s" in c for c in p.catalog),
                 10, "refreshed catalog")
    finally:
        primary.execute("DROP FUNCTION IF EXISTS public.monitor_probe_vol(), "
                        "public.monitor_probe_imm(int), public.monitor_probe_stable()")


# ---------------------------------------------------------------- failover



@pytest.fixture
def own_probe(private_cluster, tmp_path):
    """probe() on the private cluster."""
    started = []
    yield _probe_factory(private_cluster, tmp_path, started)
    _stop_all(started)


def test_split_brain_then_failover(own_probe, private_cluster):
    c = private_cluster
    p = own_probe()
    p.wait_node("main1", "primary", up=1, role="primary")
    p.wait_node("main3", "replica", up=1, role="replica")

    # replica2 promoted while the primary runs: split brain, writes stay on main1
    pg_ctl(c, "replica2", "-w", "promote")
    p.wait_node("main3", "main3 not in recovery", up=1, in_recovery=0)
    wait_for(lambda: p.cluster().get("split_brain") == "1", 5, "split brain flagged")
    assert p.cluster()["primary"] == "main1"
    assert p.node("main1")["role"] == "primary" and p.node("main3")["role"] != "primary"
    # the alarm repeats (at most once a second) while it lasts
    wait_for(lambda: p.log().count("cluster main: split brain:") >= 2, 5, "repeated alarm")
    assert "writes stay on main1 (127.0.0.1:%d)" % c.port in p.log()
    time.sleep(3 * CHECK_MS / 1000.0)
    assert p.cluster()["primary"] == "main1", "split brain must not move the writes"

    # the old primary dies: main3, the only node not in recovery, takes over
    pg_ctl(c, "primary", "-m", "immediate", "-w", "stop")
    t0 = time.monotonic()
    p.wait_node("main1", "old primary down", up=0)
    wait_for(lambda: p.cluster().get("primary") == "main3", 5, "main3 becomes primary")
    took = p.first_time(lambda d: d.get("cluster") == "main" and d.get("primary") == "main3") - t0
    # down at once, then MONITOR_FAILOVER_CHECKS (3) checks of main3
    assert took <= 5 * CHECK_MS / 1000.0 + 0.3, "failover took %.3fs" % took
    assert p.cluster()["split_brain"] == "0"
    assert p.node("main3")["role"] == "primary"
    log = p.log()
    assert ("cluster main: primary changed from main1 (127.0.0.1:%d) to main3 (127.0.0.1:%d): "
            "main1 is down" % (c.port, c.port + 2)) in log
    assert "split brain cleared" in log
    # main3 switched to a new timeline; main2 still follows the dead main1's
    # timeline (no WAL receiver now): its LSNs do not compare, lag unknown
    assert int(p.node("main3")["tli"]) > int(p.node("main1")["tli"])
    wait_for(lambda: p.node("main2")["lag_known"] == "0", 5, "main2 lag unknown after failover")
    assert p.node("main2")["up"] == "1" and p.node("main2")["role"] == "replica"

    # the old primary comes back (still not in recovery: a real split brain again);
    # the writes stay with the new primary
    pg_ctl(c, "primary", "-l", os.path.join(c.dir, "primary.log"), "-w", "start")
    p.wait_node("main1", "old primary up again", timeout=20, up=1, in_recovery=0)
    wait_for(lambda: p.cluster().get("split_brain") == "1", 5, "split brain again")
    assert p.cluster()["primary"] == "main3"
    assert p.node("main1")["role"] == "unknown"
