"""The HTTP stats endpoint of the real daemon ([stats] listen): /health,
/metrics (Prometheus text format 0.0.4, checked line by line against the
exposition grammar and by promtool when installed), /ready, /status (JSON),
the bearer token, and that metric values move by exactly what a known
workload does (N routed SELECTs -> N reads to replicas). Last, /metrics is
scraped 20 times a second during a pgbench run and pgbench sees no error.
"""
import json
import math
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request

import psycopg
import pytest

import helpers
from helpers import PG_BIN, SUPERUSER, scalar, wait_for

pytestmark = pytest.mark.proxy_only

PROM_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Families DESIGN.md and issue 6 name, with their type.
REQUIRED = {
    "pgsteer_queries_total": "counter",
    "pgsteer_read_fallback_total": "counter",
    "pgsteer_query_duration_seconds": "histogram",
    "pgsteer_client_connections": "gauge",
    "pgsteer_server_connections": "gauge",
    "pgsteer_node_up": "gauge",
    "pgsteer_node_lag_seconds": "gauge",
    "pgsteer_node_lag_bytes": "gauge",
    "pgsteer_node_is_primary": "gauge",
    "pgsteer_node_available": "gauge",
    "pgsteer_clients_accepted_total": "counter",
    "pgsteer_clients_refused_total": "counter",
    "pgsteer_auth_failures_total": "counter",
    "pgsteer_protocol_errors_total": "counter",
    "pgsteer_bytes_total": "counter",
    "pgsteer_node_queries_total": "counter",
    "pgsteer_node_bytes_total": "counter",
    "pgsteer_up": "gauge",
    "pgsteer_start_time_seconds": "gauge",
    "pgsteer_info": "gauge",
}

# ---------------------------------------------------------------- helpers

def http_get(port, path, token=None, method="GET", timeout=5):
    """(status, headers, body text) of one request; HTTP errors are answers too."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method)
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE_RE = re.compile(r"^(%s)(?:\{((?:%s)(?:,%s)*,?)?\})? (\S+)(?: -?\d+)?$"
                       % (_NAME, _LABEL, _LABEL))
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
VALUE_RE = re.compile(r"^(?:NaN|[+-]Inf|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$")


def unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def parse_exposition(text):
    """Check TEXT against the text format 0.0.4 and return
    {family: {"type", "help", "samples": [(name, labels, value)]}}."""
    assert text.endswith("\n")
    families = {}
    current = None
    pending_help = {}
    for line in text.splitlines():
        assert line, "empty line in the exposition"
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert re.fullmatch(_NAME, name), line
            pending_help[name] = help_text
            continue
        if line.startswith("# TYPE "):
            name, _, typ = line[7:].partition(" ")
            assert typ in ("counter", "gauge", "histogram", "summary", "untyped"), line
            assert name not in families, "family %s declared twice" % name
            assert name in pending_help, "TYPE without HELP for %s" % name
            current = name
            families[name] = {"type": typ, "help": pending_help[name], "samples": []}
            continue
        assert not line.startswith("#"), line
        m = SAMPLE_RE.match(line)
        assert m, "not an exposition sample line: %r" % line
        name, labels_text, value = m.group(1), m.group(2) or "", m.group(3)
        assert VALUE_RE.match(value), "bad value in %r" % line
        labels = {k: unescape(v) for k, v in LABEL_RE.findall(labels_text)}
        assert current is not None, "sample before any TYPE: %r" % line
        fam = families[current]
        if fam["type"] == "histogram":
            assert name in (current + "_bucket", current + "_sum", current + "_count"), line
        else:
            assert name == current, "sample %s outside its family (%s)" % (name, current)
        fam["samples"].append((name, labels, float(value)))
    return families


def value(families, name, **labels):
    """The value of the one sample NAME{LABELS}."""
    fam = families.get(name) or families.get(re.sub(r"_(bucket|sum|count)$", "", name))
    assert fam, "no family for %s" % name
    got = [v for n, l, v in fam["samples"] if n == name and l == labels]
    assert len(got) == 1, "%s%r: %r" % (name, labels, got)
    return got[0]


def total(families, name, **labels):
    """Sum of NAME's samples whose labels include LABELS."""
    return sum(v for n, l, v in families[name]["samples"]
               if all(l.get(k) == x for k, x in labels.items()))


def scrape(port, token=None):
    status, headers, body = http_get(port, "/metrics", token)
    assert status == 200, body
    return parse_exposition(body)


# --------------------------------------------------------------- fixtures

class Stats:
    """A pgsteer with its stats endpoint on a free port."""

    def __init__(self, proxy, port, token=None):
        self.proxy, self.port, self.token = proxy, port, token

    def get(self, path, **kw):
        kw.setdefault("token", self.token)
        return http_get(self.port, path, **kw)

    def metrics(self):
        return scrape(self.port, self.token)


def start_with_stats(pgsteer, token=None, **opts):
    port = helpers.free_port()
    stats = {"listen": "127.0.0.1:%d" % port}
    if token is not None:
        stats["token"] = token
    extra = {"stats": stats, "routing": {"check_interval": "50ms", "max_lag": "5s"}}
    extra.update(opts.pop("extra", {}))
    p = pgsteer(extra=extra, **opts)
    return Stats(p, port, token)


def wait_ready(s, timeout=15):
    return wait_for(lambda: s.get("/ready")[0] == 200, timeout, "/ready answering 200")


def wait_replica_reads(s, timeout=15):
    def read_on_replica():
        with s.proxy.connect() as c:
            return scalar(c, "SELECT pg_is_in_recovery()")
    wait_for(read_on_replica, timeout, "a read routed to a replica")


@pytest.fixture
def stats(pgsteer):
    return start_with_stats(pgsteer)


# ------------------------------------------------------------------ tests

def test_health(stats):
    status, headers, body = stats.get("/health")
    assert status == 200
    assert body.strip() == "ok"


def test_metrics_exposition_format(stats):
    status, headers, body = stats.get("/metrics")
    assert status == 200
    assert headers["Content-Type"] == PROM_CONTENT_TYPE
    families = parse_exposition(body)
    for name, typ in REQUIRED.items():
        assert name in families, "missing family %s" % name
        assert families[name]["type"] == typ, name
        assert families[name]["help"], "empty HELP for %s" % name
    for name, fam in families.items():
        assert name.startswith("pgsteer_"), name
        if fam["type"] == "counter":
            assert name.endswith("_total"), name
    assert value(families, "pgsteer_up") == 1
    assert abs(value(families, "pgsteer_start_time_seconds") - time.time()) < 600
    info = families["pgsteer_info"]["samples"]
    assert len(info) == 1 and info[0][1]["version"]
    # every class x target combination is exported from the start (rate() needs the zeros)
    combos = {(l["class"], l["target"]) for _, l, _ in families["pgsteer_queries_total"]["samples"]}
    assert combos == {(c, t) for c in ("read", "ambiguous", "write", "transaction", "session", "control")
                      for t in ("primary", "replica", "local", "refused")}
    states = {l["state"] for _, l, _ in families["pgsteer_client_connections"]["samples"]}
    assert states == {"login", "idle", "waiting", "active"}
    nodes = {l["node"] for _, l, _ in families["pgsteer_node_up"]["samples"]}
    assert nodes == {"main1", "main2", "main3"}
    for fam in ("pgsteer_node_lag_seconds", "pgsteer_node_lag_bytes", "pgsteer_node_is_primary",
                "pgsteer_node_available", "pgsteer_node_queries_total"):
        assert {l["node"] for _, l, _ in families[fam]["samples"]} == nodes, fam
    srv = {(l["node"], l["state"]) for _, l, _ in families["pgsteer_server_connections"]["samples"]}
    assert srv == {(n, s) for n in nodes for s in ("idle", "active", "login", "closing")}


def test_histogram_buckets_cumulative(stats):
    with stats.proxy.connect() as c:
        for _ in range(20):
            c.execute("SELECT 1")
        c.execute("SELECT pg_sleep(0.03)")
    fams = stats.metrics()
    samples = fams["pgsteer_query_duration_seconds"]["samples"]
    buckets = [(l["le"], v) for n, l, v in samples if n.endswith("_bucket")]
    assert buckets[-1][0] == "+Inf"
    les = [float(le) for le, _ in buckets[:-1]]
    assert les == sorted(les) and len(set(les)) == len(les)
    assert les[0] == 0.00005 and les[-1] == 10
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), "buckets are not cumulative: %r" % buckets
    count = value(fams, "pgsteer_query_duration_seconds_count")
    assert counts[-1] == count >= 21
    assert value(fams, "pgsteer_query_duration_seconds_sum") >= 0.03
    # the pg_sleep(0.03) is above the 25 ms bound
    assert value(fams, "pgsteer_query_duration_seconds_bucket", le="0.025") < count


def test_promtool_check_metrics(stats):
    promtool = shutil.which("promtool")
    assert promtool, "promtool not installed (Debian package prometheus; contrib/check.sh installs it)"
    with stats.proxy.connect() as c:
        c.execute("SELECT 1")
    status, _, body = stats.get("/metrics")
    assert status == 200
    r = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr


def test_counters_move_with_a_known_workload(stats, cluster, primary):
    """N autocommit SELECTs -> exactly N reads routed to replicas; W inserts
    -> exactly W writes on the primary; connections, bytes and the
    histogram move too."""
    table = "st_%d" % os.getpid()
    primary.execute("DROP TABLE IF EXISTS %s" % table)
    primary.execute("CREATE TABLE %s (id int)" % table)
    try:
        wait_replica_reads(stats)
        before = stats.metrics()
        n_reads, n_writes = 25, 4
        # unprepared: a psycopg prepare is a routed Parse+Sync batch of its own
        with stats.proxy.connect(prepare_threshold=None) as c:
            for _ in range(n_reads):
                c.execute("SELECT 1")
        with stats.proxy.connect(prepare_threshold=None) as c:
            for i in range(n_writes):
                c.execute("INSERT INTO %s VALUES (%d)" % (table, i))
        after = stats.metrics()

        def delta(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        def delta_total(name, **labels):
            return total(after, name, **labels) - total(before, name, **labels)

        assert delta("pgsteer_queries_total", **{"class": "read", "target": "replica"}) == n_reads
        assert delta("pgsteer_queries_total", **{"class": "write", "target": "primary"}) == n_writes
        assert delta_total("pgsteer_queries_total") == n_reads + n_writes
        # per node: the reads landed on main2/main3, the writes on main1
        assert delta("pgsteer_node_queries_total", node="main1") == n_writes
        assert (delta("pgsteer_node_queries_total", node="main2") +
                delta("pgsteer_node_queries_total", node="main3")) == n_reads
        assert delta("pgsteer_clients_accepted_total") == 2
        assert delta("pgsteer_query_duration_seconds_count") >= n_reads + n_writes
        assert delta_total("pgsteer_read_fallback_total") == 0
        # monitor gauges: main1 is the primary, all up, replicas' lag known
        assert value(after, "pgsteer_node_is_primary", node="main1") == 1
        assert value(after, "pgsteer_node_is_primary", node="main2") == 0
        for node in ("main1", "main2", "main3"):
            assert value(after, "pgsteer_node_up", node=node) == 1
            assert value(after, "pgsteer_node_available", node=node) == 1
            lag = value(after, "pgsteer_node_lag_seconds", node=node)
            assert not math.isnan(lag) and 0 <= lag <= 5
        # server connections exist in some pool of the nodes used
        assert total(after, "pgsteer_server_connections", node="main1") >= 1
    finally:
        primary.execute("DROP TABLE IF EXISTS %s" % table)


def counted(s, name, before, expect):
    """Wait until NAME grew by EXPECT over BEFORE (the event is counted when
    pgsteer has processed it, a moment after the client saw it)."""
    def grown():
        m = s.metrics()
        return m if value(m, name) - value(before, name) >= expect else None
    after = wait_for(grown, 5, "%s to grow by %d" % (name, expect))
    assert value(after, name) - value(before, name) == expect
    return after


def test_bytes_counted_both_ways(stats):
    """Every byte relayed counts: a query's result (ReadyForQuery included)
    in client_out and the node's server_in, the query in client_in and
    server_out."""
    wait_ready(stats)
    before = stats.metrics()
    with stats.proxy.connect() as c:
        for _ in range(10):
            assert len(c.execute("/* pgsteer: primary */ SELECT repeat('x', 1000)").fetchone()[0]) == 1000
    after = stats.metrics()

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)
    assert delta("pgsteer_bytes_total", direction="client_in") >= 10 * 40
    assert delta("pgsteer_node_bytes_total", node="main1", direction="server_out") >= 10 * 40
    # ten rows of 1000 bytes came back from main1 and went out to the client
    assert delta("pgsteer_node_bytes_total", node="main1", direction="server_in") >= 10 * 1000
    assert delta("pgsteer_bytes_total", direction="client_out") >= 10 * 1000


def test_auth_failures_counted(pgsteer, cluster, tmp_path):
    userlist = tmp_path / "userlist.txt"
    userlist.write_text('"postgres" "secret"\n')
    s = start_with_stats(pgsteer, auth_type="md5", auth_file=str(userlist))
    before = s.metrics()
    with pytest.raises(Exception):
        helpers.connect(s.proxy.port, password="wrong")
    counted(s, "pgsteer_auth_failures_total", before, 1)


def test_refusals_and_protocol_errors_counted(pgsteer, cluster):
    import socket
    s = start_with_stats(pgsteer, max_client_conn=2)
    # the fixture's port probe may still count as a client for a moment
    first = wait_for(lambda: s.proxy.connect(), 5, "a first client")
    second = wait_for(lambda: s.proxy.connect(), 5, "a second client")
    before = s.metrics()
    try:
        with pytest.raises(Exception) as e:
            s.proxy.connect()
        assert "too many clients" in str(e.value)
    finally:
        first.close()
        second.close()
    counted(s, "pgsteer_clients_refused_total", before, 1)
    # a startup packet whose length is impossible is a protocol violation
    with socket.create_connection(("127.0.0.1", s.proxy.port), timeout=5) as sock:
        sock.sendall(b"\x00\x00\x00\x02")
        sock.recv(1000)
    counted(s, "pgsteer_protocol_errors_total", before, 1)


def test_client_connection_gauges(stats):
    conns = [stats.proxy.connect() for _ in range(3)]
    try:
        for c in conns:
            c.execute("SELECT 1")
        fams = wait_for(lambda: (lambda m: m if value(m, "pgsteer_client_connections",
                                                      state="idle") >= 3 else None)(stats.metrics()),
                        5, "3 idle clients")
        assert value(fams, "pgsteer_client_connections", state="active") == 0
    finally:
        for c in conns:
            c.close()
    wait_for(lambda: value(stats.metrics(), "pgsteer_client_connections", state="idle") == 0,
             5, "idle clients gone")


def test_ready_with_cluster_up(stats):
    wait_ready(stats)
    status, _, body = stats.get("/ready")
    assert status == 200 and body.strip() == "ready"
    assert value(stats.metrics(), "pgsteer_ready") == 1


def test_ready_503_without_primary(pgsteer, cluster):
    """Only the two replicas configured: no node is a primary."""
    s = start_with_stats(pgsteer, nodes=cluster.replica_ports)
    time.sleep(0.5)  # several monitor checks
    status, _, body = s.get("/ready")
    assert status == 503
    assert body.strip() == "cluster main: no primary"
    st = json.loads(s.get("/status")[2])
    assert st["ready"] is False and st["ready_reason"] == "cluster main: no primary"
    assert st["clusters"][0]["primary"] is None


def test_ready_503_when_primary_down(pgsteer, cluster):
    """A primary that refuses connections: not ready, with its name."""
    dead = helpers.free_port()
    s = start_with_stats(pgsteer, nodes=[dead])
    status, _, body = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(s.get("/ready")),
                               5, "/ready 503")
    assert body.strip() == "cluster main: no primary"
    st = json.loads(s.get("/status")[2])
    assert st["nodes"][0]["up"] is False and st["nodes"][0]["last_error"]
    # /health stays 200: the process is alive
    assert s.get("/health")[0] == 200


def test_status_json(stats):
    wait_ready(stats)
    with stats.proxy.connect() as c:
        c.execute("SELECT 1")
        status, headers, body = stats.get("/status")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    st = json.loads(body)
    assert st["version"]
    assert isinstance(st["uptime_s"], int) and st["uptime_s"] >= 0
    assert st["ready"] is True and st["ready_reason"] is None
    assert [n["name"] for n in st["nodes"]] == ["main1", "main2", "main3"]
    by_name = {n["name"]: n for n in st["nodes"]}
    assert by_name["main1"]["role"] == "primary" and by_name["main1"]["primary"] is True
    for n in st["nodes"]:
        assert set(n) >= {"name", "cluster", "role", "up", "available", "lag_s", "lag_bytes",
                          "wal_lsn"}
        assert n["cluster"] == "main" and n["up"] is True and n["available"] is True
        assert re.fullmatch(r"[0-9A-F]+/[0-9A-F]+", n["wal_lsn"])
    wait_for(lambda: all(n["lag_s"] is not None for n in json.loads(stats.get("/status")[2])["nodes"]),
             5, "lag known for every node")
    assert st["clusters"] == [{"name": "main", "primary": "main1", "primary_writable": True,
                               "split_brain": False}]
    assert set(st["clients"]) == {"login", "idle", "waiting", "active"}
    assert sum(st["clients"].values()) >= 1
    assert st["pools"], "no pool after a query"
    for p in st["pools"]:
        assert set(p) >= {"node", "user", "database", "idle", "active", "login", "waiting"}
    assert any(p["user"] == SUPERUSER and p["database"] == "postgres" for p in st["pools"])


def test_status_escapes_client_strings(stats):
    """A database name with quotes, a backslash and a newline stays valid JSON."""
    odd = 'we"ird\\db\nx'
    with pytest.raises(Exception):
        helpers.connect(stats.proxy.port, dbname=odd).close()
    status, _, body = stats.get("/status")
    assert status == 200
    json.loads(body)
    assert parse_exposition(stats.get("/metrics")[2])


def test_token_required(pgsteer):
    s = start_with_stats(pgsteer, token="s3cr3t-token")
    for path in ("/metrics", "/status", "/ready", "/nope"):
        status, headers, _ = s.get(path, token=None)
        assert status == 401, path
        assert headers["WWW-Authenticate"].startswith("Bearer")
        assert s.get(path, token="wrong")[0] == 401, path
        assert s.get(path, token="s3cr3t-token-and-more")[0] == 401, path
    assert s.get("/metrics")[0] == 200
    assert s.get("/status")[0] == 200
    # /health needs no token
    assert s.get("/health", token=None)[0] == 200


def test_unknown_path_and_method(stats):
    assert stats.get("/nope")[0] == 404
    assert stats.get("/metrics/x")[0] == 404
    status, headers, _ = stats.get("/metrics", method="POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    status, headers, body = stats.get("/metrics", method="HEAD")
    assert status == 200 and body == ""
    assert stats.get("/metrics?x=1")[0] == 200  # query strings are ignored


def test_stats_off_when_listen_empty(pgsteer):
    port = helpers.free_port()
    p = pgsteer()  # helpers' default: [stats] listen =
    assert not helpers.port_accepts(port)
    with p.connect() as c:
        assert scalar(c, "SELECT 1") == 1


def write_config(cluster, tmp_path, name="pgsteer.ini", **extra):
    """A config file for running the binary by hand (expected failures)."""
    path = tmp_path / name
    path.write_text(helpers.render_ini(helpers.pgsteer_sections(
        cluster, helpers.free_port(), extra=extra)))
    return str(path)


def test_listen_address_in_use_refuses_to_start(cluster, tmp_path):
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    port = sock.getsockname()[1]
    try:
        cfg = write_config(cluster, tmp_path, stats={"listen": "127.0.0.1:%d" % port})
        r = subprocess.run([helpers.PGSTEER_BIN, "-c", cfg], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "stats: cannot listen on 127.0.0.1:%d: Address already in use" % port in \
            r.stdout + r.stderr
    finally:
        sock.close()
def test_reload_moves_listen_and_changes_token(pgsteer, cluster):
    """SIGHUP with a new [stats] listen and token: the new address answers
    with the new token, the old one stops listening."""
    import signal
    s = start_with_stats(pgsteer, token="old-token")
    assert s.get("/metrics")[0] == 200
    # SIGHUP is handled once startup is over (signal handlers come last)
    wait_for(lambda: " started, pool_mode " in s.proxy.log(), 10, "pgsteer started")
    new_port = helpers.free_port()
    sections = helpers.pgsteer_sections(cluster, s.proxy.port, extra={
        "stats": {"listen": "127.0.0.1:%d" % new_port, "token": "new-token"},
        "routing": {"check_interval": "50ms", "max_lag": "5s"}})
    with open(s.proxy.config_path, "w") as f:
        f.write(helpers.render_ini(sections))
    s.proxy.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: helpers.port_accepts(new_port), 5, "stats on the new port")
    assert http_get(new_port, "/metrics", token="new-token")[0] == 200
    assert http_get(new_port, "/metrics", token="old-token")[0] == 401
    wait_for(lambda: not helpers.port_accepts(s.port), 5, "old stats port closed")
    # listen emptied: the endpoint goes away, the proxy stays
    sections["stats"] = {"listen": ""}
    with open(s.proxy.config_path, "w") as f:
        f.write(helpers.render_ini(sections))
    s.proxy.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: not helpers.port_accepts(new_port), 5, "stats endpoint stopped")
    with s.proxy.connect() as c:
        assert scalar(c, "SELECT 1") == 1


def test_https_with_client_tls_certificate(pgsteer, cluster, tmp_path):
    """[stats] tls = on serves the endpoint over TLS with the client-side
    certificate (client_tls_cert_file / client_tls_key_file)."""
    import ssl
    cert, key = tmp_path / "server.crt", tmp_path / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-subj", "/CN=localhost", "-days", "1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    os.chmod(key, 0o600)
    port = helpers.free_port()
    pgsteer(client_tls_cert_file=str(cert), client_tls_key_file=str(key),
            extra={"stats": {"listen": "127.0.0.1:%d" % port, "tls": "on"}})
    ctx = ssl.create_default_context(cafile=str(cert))
    ctx.check_hostname = False
    with urllib.request.urlopen("https://127.0.0.1:%d/health" % port, context=ctx, timeout=5) as r:
        assert r.status == 200 and r.read().decode().strip() == "ok"
    with urllib.request.urlopen("https://127.0.0.1:%d/metrics" % port, context=ctx, timeout=5) as r:
        assert r.status == 200 and parse_exposition(r.read().decode())
    # plain HTTP on the TLS port gets no answer, and TLS still works afterwards
    with pytest.raises(Exception):
        http_get(port, "/health", timeout=2)
    with urllib.request.urlopen("https://127.0.0.1:%d/health" % port, context=ctx, timeout=5) as r:
        assert r.status == 200


DOC = os.path.join(helpers.REPO, "doc", "metrics.md")


def test_every_exported_family_is_documented(stats):
    with open(DOC) as f:
        doc = f.read()
    for name in stats.metrics():
        assert "`%s`" % name in doc, "%s is not in doc/metrics.md" % name


CONTRIB = os.path.join(helpers.REPO, "contrib")


def test_alert_rules_pass_promtool():
    promtool = shutil.which("promtool")
    assert promtool, "promtool not installed (Debian package prometheus; contrib/check.sh installs it)"
    for args in (["check", "rules", "pgsteer-alerts.yml"], ["test", "rules", "pgsteer-alerts.test.yml"]):
        r = subprocess.run([promtool] + args, cwd=CONTRIB, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr


def test_alerts_and_dashboard_name_only_exported_metrics(stats):
    """Every pgsteer_* series the alert rules and the Grafana dashboard query
    is one a running pgsteer exports (histograms by their family)."""
    exported = stats.metrics()
    for name in ("pgsteer-alerts.yml", "grafana-dashboard.json"):
        with open(os.path.join(CONTRIB, name)) as f:
            used = set(re.findall(r"\bpgsteer_[a-z0-9_]+", f.read()))
        assert used, name
        missing = [m for m in sorted(used)
                   if m not in exported and re.sub(r"_(bucket|sum|count)$", "", m) not in exported]
        assert not missing, "%s queries metrics pgsteer does not export: %s" % (name, missing)


# ---------------------------------------------------- scraping under load

PGBENCH = os.path.join(PG_BIN, "pgbench")
BENCH_DB = "pgbench_stats_it"


def test_scrape_20_per_second_during_pgbench(pgsteer, cluster, primary):
    """pgbench -S through pgsteer while /metrics and /status are scraped 20
    times a second: no pgbench error, every scrape 200 and quick."""
    primary.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % BENCH_DB)
    primary.execute("CREATE DATABASE %s" % BENCH_DB)
    env = dict(os.environ, PGCONNECT_TIMEOUT="10")
    try:
        init = subprocess.run([PGBENCH, "-h", "127.0.0.1", "-p", str(cluster.port), "-U", SUPERUSER,
                               "-i", "-s", "1", "-q", BENCH_DB],
                              capture_output=True, text=True, timeout=120, env=env)
        assert init.returncode == 0, init.stdout + init.stderr
        def replica_has_tables(port):
            try:
                with cluster.connect(port, dbname=BENCH_DB) as r:
                    return scalar(r, "SELECT to_regclass('pgbench_accounts') IS NOT NULL "
                                     "AND (SELECT count(*) FROM pgbench_branches) = 1")
            except psycopg.OperationalError:
                return False  # the replica has not replayed CREATE DATABASE yet

        for port in cluster.replica_ports:  # reads go to replicas: they need the data
            wait_for(lambda: replica_has_tables(port), 30, "pgbench tables on replica %d" % port)
        s = start_with_stats(pgsteer, default_pool_size=8, max_client_conn=200,
                             query_wait_timeout="60s")
        wait_ready(s)
        before = s.metrics()

        stop = threading.Event()
        results = []

        def scraper():
            i = 0
            while not stop.is_set():
                t0 = time.monotonic()
                path = "/status" if i % 5 == 4 else "/metrics"
                try:
                    status, _, body = s.get(path)
                    ok = status == 200 and (path != "/metrics" or body.endswith("\n"))
                except Exception as e:  # a failed scrape is a result too
                    ok, body = False, repr(e)
                results.append((ok, time.monotonic() - t0, path, body[:200] if not ok else ""))
                i += 1
                time.sleep(max(0.0, 0.05 - (time.monotonic() - t0)))

        t = threading.Thread(target=scraper)
        t.start()
        try:
            r = subprocess.run([PGBENCH, "-h", "127.0.0.1", "-p", str(s.proxy.port), "-U", SUPERUSER,
                                "-S", "-M", "extended", "-c", "16", "-j", "2", "-T", "5", "-n",
                                BENCH_DB], capture_output=True, text=True, timeout=120, env=env)
        finally:
            stop.set()
            t.join(10)
        out = r.stdout + r.stderr
        assert r.returncode == 0, out
        assert "error" not in out.lower(), out
        m = re.search(r"number of transactions actually processed: (\d+)", out)
        assert m and int(m.group(1)) > 0, out
        processed = int(m.group(1))
        m = re.search(r"number of failed transactions: (\d+)", out)
        assert m is None or int(m.group(1)) == 0, out

        failed = [x for x in results if not x[0]]
        assert not failed, failed[:3]
        assert len(results) >= 60, "only %d scrapes in 5 s" % len(results)
        worst = max(x[1] for x in results)
        assert worst < 1.0, "slowest scrape took %.3fs" % worst

        after = s.metrics()
        reads = (value(after, "pgsteer_queries_total", **{"class": "read", "target": "replica"}) -
                 value(before, "pgsteer_queries_total", **{"class": "read", "target": "replica"}))
        assert reads >= processed  # each -S transaction is one routed SELECT
        print("pgbench: %d transactions; %d scrapes, slowest %.1f ms"
              % (processed, len(results), worst * 1000))
    finally:
        primary.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % BENCH_DB)
