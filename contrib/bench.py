#!/usr/bin/env python3
r"""bench.sh: pgsteer side by side with direct PostgreSQL, PgBouncer and
Pgpool-II, in one run (issue #8's benchmark).

  contrib/bench.sh [--write-doc[=FILE]] [--causal-only]

Starts a throwaway primary + 2 streaming replicas (contrib/pgcluster.sh) on
free loopback ports, loads pgbench -i -s $BENCH_SCALE, then for each script,
protocol mode and client count runs pgbench against every target:
  direct     the primary itself
  null-relay tests/bench/null_relay.c in front of the primary: a server
             connection per client and one recv() and one send() per
             readiness event, nothing else; not a proxy anyone would run,
             but the CPU floor under any proxy relaying over these sockets
  pgbouncer  Debian's PgBouncer, transaction pooling, pool size $BENCH_POOL_SIZE
  pgpool     Debian's Pgpool-II, streaming-replication mode, load balancing
             over primary + 2 replicas, connection cache on, one process
             per client ($BENCH_PGPOOL_CHILDREN children)
  pgsteer-primary  this tree's pgsteer in front of the primary only:
             the like-for-like comparison with PgBouncer
  pgsteer    the same with both replicas: reads routed to them
  pgsteer-w2 pgsteer-primary with workers = 2 (two event-loop threads;
             not in the default list: on 2 cores PostgreSQL and pgbench
             already use both, see doc/workers.md)
and records TPS, average and p99 latency (from pgbench's per-transaction
log) and the proxy's CPU time per transaction (utime+stime from /proc of
the proxy process and all its descendants, reaped children included,
before and after the run). Then it holds $BENCH_IDLE_CLIENTS logged-in idle
clients on each pooler (tests/bench/idle_clients.py) and reports its RSS
per client, runs the same measurements with TLS clients against
$BENCH_TLS_TARGETS (pgbench -S -M simple with sslmode=require, over
long-lived sessions and with -C, one handshake and login per transaction;
these proxies get a self-signed certificate made by openssl for the run and
client_tls_sslmode = prefer, every other pgbench run uses sslmode=disable,
proxy to PostgreSQL stays plain), and runs the classifier microbenchmark
(bench_classify, ns/statement).

Causal reads (issue #22), with BENCH_CAUSAL=1 after everything else, or
alone with --causal-only (nothing else is run, no pgbench -i; about 3
minutes): a pgbench script whose every transaction (autocommit, no BEGIN)
inserts a row with a random id, reads it back with
SELECT 1/count(*) ... WHERE id = :id (a stale read divides by zero: the
client aborts and the run fails) and reads a preloaded row, over
$BENCH_CAUSAL_MODES x $BENCH_CAUSAL_CLIENTS against
  direct              the primary
  pgsteer-causal-off  primary + 2 replicas, causal_read_timeout = 0: reads
                      after a write go to the primary until the monitor
                      sees a replica past it
  pgsteer-causal      the same with causal_read_timeout = $BENCH_CAUSAL_TIMEOUT
These two have the admin console (admin_users = admin) and /metrics on.
Per run: TPS, average and p99 latency, the share of reads served by the
replicas (SHOW NODES reads per node before and after the run), stale reads
(clients aborted by the division by zero; each client stops at its first),
causal waits caught up / timed out and their mean wait (/metrics), and the
p99 added over direct and over pgsteer-causal-off. The primary runs with
synchronous_commit = on for these runs only (pgcluster.sh's off holds
commits back from the replicas for up to wal_writer_delay). CSV in
$BENCH_OUT/causal-STAMP.csv; --causal-only --write-doc replaces just the
section "Causal reads (issue #22)" of the doc, and a full --write-doc run
without BENCH_CAUSAL=1 carries that section over unchanged.

Prints Markdown tables (with ratios to PgBouncer and to direct, the added
p99 over direct and the goals of issues #26 and #8 next to the measured values); writes
raw numbers as CSV under $BENCH_OUT; with --write-doc also writes
doc/performance.md (or FILE) with the machine, versions and commands.
Reports numbers only: it never passes or fails on timings. A mode a target
cannot do (PgBouncer 1.18 under transaction pooling has no -M prepared) is
run anyway and shown as "unsupported" with its error, never as a
measurement. Exit status is non-zero when anything else could not be
measured (missing binary, failed pgbench, idle clients refused), so a
partial run is never mistaken for a complete one.

The default matrix (2 scripts x 3 modes x 2 client counts x 5 targets = 60
runs of warm-up + DURATION, and 2 loads x 3 targets = 6 TLS runs) takes
about 17 minutes on 2 cores, plus the build of pgsteer when PGSTEER_BIN is
not given. For a smoke test:
  DURATION=2 BENCH_WARMUP=0 BENCH_CLIENTS=4 BENCH_MODES=simple \
  BENCH_SCRIPTS=select-only BENCH_IDLE_CLIENTS=200 BENCH_TLS_CLIENTS=4 contrib/bench.sh

Environment (defaults in brackets):
  DURATION         seconds per measured run [10]
  BENCH_WARMUP     unmeasured seconds before each run, to fill pools [2]
  BENCH_CLIENTS    client counts, space-separated [16 64]
  BENCH_JOBS       pgbench threads (-j) [2]
  BENCH_MODES      pgbench -M modes [simple extended prepared]
  BENCH_SCRIPTS    select-only (-S) and/or tpcb-like [select-only tpcb-like]
  BENCH_TARGETS    [direct null-relay pgbouncer pgpool pgsteer-primary pgsteer];
                   pgsteer-w2 on request
  BENCH_ROUNDS     repeat the whole matrix, targets interleaved; the
                   table shows means (a shared machine is noisy) [1]
  BENCH_SCALE      pgbench -i scale [10]
  BENCH_POOL_SIZE  server pool size for PgBouncer and pgsteer [20]
  BENCH_PGPOOL_CHILDREN  Pgpool-II num_init_children [largest BENCH_CLIENTS]
  BENCH_PG_MAX_CONNECTIONS  max_connections of the three PostgreSQL nodes,
                   room for every target's server connections at once [300]
  BENCH_IDLE_CLIENTS  idle logged-in clients per pooler; 0 = no idle test [10000]
  BENCH_IDLE_TARGETS  poolers given the idle test [pgbouncer pgsteer-primary pgsteer]
  BENCH_TLS_TARGETS   poolers given the TLS-client runs, started even when
                   not in BENCH_TARGETS; empty: no TLS runs
                   [pgbouncer pgsteer-primary pgsteer-w2]
  BENCH_TLS_CLIENTS   client counts of the TLS runs [16]
  BENCH_TLS_LOADS  steady (long-lived TLS sessions) and/or connect (-C: a
                   TLS handshake and login per transaction) [steady connect]
  BENCH_NULL_RELAY_BIN  tests/bench/null_relay binary for the null-relay
                   target [built next to pgsteer; with PGSTEER_BIN,
                   ../tests/bench/null_relay beside it]
  BENCH_CLASSIFY_BIN  bench_classify binary [built next to pgsteer; with
                   PGSTEER_BIN, ../tests/bench/bench_classify beside it];
                   "none" skips the classifier benchmark
  BENCH_OUT        results directory [./bench-results]
  PGSTEER_BIN      use this pgsteer binary instead of building one
  BENCH_BUILD_DIR  where to build pgsteer [build-bench in the source tree]
  PG_BIN           PostgreSQL binaries [/usr/lib/postgresql/15/bin]
  BENCH_KEEP=1     keep the temporary directory (cluster data, generated configs)
  BENCH_CAUSAL=1   also run the causal-read workload (--causal-only: only it) [0]
  BENCH_CAUSAL_CLIENTS  client counts of the causal runs [8 32]
  BENCH_CAUSAL_MODES    pgbench -M modes of the causal runs [simple extended]
  BENCH_CAUSAL_TIMEOUT  causal_read_timeout of pgsteer-causal [5ms]
  BENCH_CAUSAL_ROWS     rows preloaded for the second read [100000]
"""
import glob
import os
import pwd
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import types
import urllib.request
from dataclasses import dataclass

SRCDIR = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CAUSAL_TARGETS = ["direct", "pgsteer-causal-off", "pgsteer-causal"]
PGSTEER_TARGETS = ["pgsteer", "pgsteer-primary", "pgsteer-w2", "pgsteer-causal-off", "pgsteer-causal"]
POOLERS = "pgbouncer pgsteer-primary pgsteer pgsteer-w2"
CAUSAL_HEADING = "## Causal reads (issue #22)"
CLK_TCK = os.sysconf("SC_CLK_TCK")
LIST_SETTINGS = {"BENCH_CLIENTS", "BENCH_MODES", "BENCH_SCRIPTS", "BENCH_TARGETS", "BENCH_IDLE_TARGETS",
                 "BENCH_TLS_TARGETS", "BENCH_TLS_CLIENTS", "BENCH_TLS_LOADS", "BENCH_CAUSAL_CLIENTS",
                 "BENCH_CAUSAL_MODES"}
CAUSAL_SETTINGS = ["BENCH_CAUSAL_CLIENTS", "BENCH_CAUSAL_MODES", "BENCH_CAUSAL_TIMEOUT", "BENCH_CAUSAL_ROWS"]
USAGE = "usage: %s [--write-doc[=FILE]] [--causal-only]"

# ${NAME:-default}; BENCH_TLS_TARGETS is ${NAME-default}: set but empty means no TLS runs
DEFAULTS = {
    "DURATION": "10", "BENCH_WARMUP": "2", "BENCH_CLIENTS": "16 64", "BENCH_JOBS": "2",
    "BENCH_MODES": "simple extended prepared", "BENCH_SCRIPTS": "select-only tpcb-like",
    "BENCH_TARGETS": "direct null-relay pgbouncer pgpool pgsteer-primary pgsteer",
    "BENCH_ROUNDS": "1", "BENCH_SCALE": "10", "BENCH_POOL_SIZE": "20", "BENCH_PGPOOL_CHILDREN": "",
    "BENCH_PG_MAX_CONNECTIONS": "300", "BENCH_IDLE_CLIENTS": "10000",
    "BENCH_IDLE_TARGETS": "pgbouncer pgsteer-primary pgsteer",
    "BENCH_TLS_TARGETS": "pgbouncer pgsteer-primary pgsteer-w2", "BENCH_TLS_CLIENTS": "16",
    "BENCH_TLS_LOADS": "steady connect", "BENCH_CLASSIFY_BIN": "", "BENCH_NULL_RELAY_BIN": "",
    "BENCH_OUT": "./bench-results", "BENCH_BUILD_DIR": os.path.join(SRCDIR, "build-bench"),
    "BENCH_CAUSAL": "0", "BENCH_CAUSAL_CLIENTS": "8 32", "BENCH_CAUSAL_MODES": "simple extended",
    "BENCH_CAUSAL_TIMEOUT": "5ms", "BENCH_CAUSAL_ROWS": "100000", "PGSTEER_BIN": "",
    "PGCLUSTER": os.path.join(SRCDIR, "contrib", "pgcluster.sh"),
    "PG_BIN": "/usr/lib/postgresql/15/bin", "BENCH_KEEP": "0",
}


def read_settings():
    s = types.SimpleNamespace(**{k: os.environ.get(k) or v for k, v in DEFAULTS.items()})
    s.BENCH_TLS_TARGETS = os.environ.get("BENCH_TLS_TARGETS", DEFAULTS["BENCH_TLS_TARGETS"])
    if not s.BENCH_PGPOOL_CHILDREN:    # the largest client count
        s.BENCH_PGPOOL_CHILDREN = max(s.BENCH_CLIENTS.split() or [""], key=lambda c: to_int(c, 0))
    os.environ["PG_BIN"] = s.PG_BIN    # pgcluster.sh's too
    return s


def assignments(s, names):
    """NAME=value ... of the settings NAMES, lists quoted, as a command line sets them."""
    return " ".join(('%s="%s"' if name in LIST_SETTINGS else "%s=%s") % (name, getattr(s, name)) for name in names)


def to_int(text, default=None):
    """TEXT as a shell test(1) integer, else DEFAULT."""
    return int(text) if re.fullmatch(r"\s*[-+]?\d+\s*", str(text)) else default


def to_num(text):
    """awk's number of a field: its leading number, else 0."""
    m = re.match(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text)
    return float(m.group(0)) if m else 0.0


def say(*msg):
    print("bench: " + " ".join(str(m) for m in msg), file=sys.stderr, flush=True)


def die(msg):
    say("error: " + msg)
    raise SystemExit(1)


def loud(*lines):
    stars = "bench: ********************************************************"
    print("\n" + stars + "".join("\nbench: *** " + line for line in lines) + "\n" + stars + "\n",
          file=sys.stderr, flush=True)


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def write_file(path, text, mode="w"):
    with open(path, mode, encoding="utf-8") as f:
        f.write(text)


def run_logged(cmd, log, mode="wb", **kwargs):
    """CMD with its output in LOG; True when it succeeds."""
    with open(log, mode) as out:
        return subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, **kwargs).returncode == 0


def file_lines(path):
    """The lines of PATH as awk reads them."""
    text = read_text(path)
    return text[:-1].split("\n") if text.endswith("\n") else text.split("\n") if text else []


def tail(path, n):
    for line in file_lines(path)[-n:]:
        print(line, file=sys.stderr)


def output(cmd, stderr=subprocess.DEVNULL, env=None):
    """stdout of CMD as $(CMD) gives it: trailing newlines stripped."""
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=stderr, env=env,
                              encoding="utf-8", errors="replace").stdout.rstrip("\n")
    except OSError:
        return ""


def first_line(text):
    return text.split("\n", 1)[0]


def port_in_use(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


def free_ports(count):
    """A free block of COUNT consecutive ports, starting at a random point in
    20000-29999 so that concurrent runs (and test suites) rarely collide."""
    for _ in range(200):
        p = random.randrange(20000, 30000)
        if not any(port_in_use(p + i) for i in range(count)):
            return p
    die("no block of %d free ports found" % count)


def chown_postgres(path):
    """chown -R postgres: PATH"""
    pw = pwd.getpwnam("postgres")
    for root, dirs, files in os.walk(path):
        for name in [root] + [os.path.join(root, n) for n in dirs + files]:
            os.chown(name, pw.pw_uid, pw.pw_gid)


def spawn(cmd, log):
    """setsid CMD >LOG 2>&1 </dev/null &"""
    with open(log, "wb") as f:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                start_new_session=True)


def tree_cpu_ticks(root):
    """CPU time of a process and all its descendants, in clock ticks: utime+stime
    of every live process in the tree plus cutime+cstime, the time of children
    already reaped, so that a Pgpool-II child that exits during a run still
    counts. None when ROOT is gone. The command name in field 2 may contain
    spaces and ')': the fields start after its last ") "."""
    ticks, children = {}, {}
    for path in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(path, "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(") ") + 2:].split()
        pid = int(stat.split(" ", 1)[0])
        ticks[pid] = sum(int(x) for x in fields[11:15])
        children.setdefault(int(fields[1]), []).append(pid)
    if root not in ticks:
        return None
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += ticks[pid]
        todo.extend(children.get(pid, ()))
    return total


def latency_stats(txdir):
    """(AVG_MS, P99_MS) of the transaction latencies (µs, third field) in
    pgbench's per-transaction logs under TXDIR (one file per pgbench thread),
    or None; p99 is the smallest latency that 99 % of the transactions do not
    exceed. Failed transactions ("failed" in that field) are left out."""
    lat = []
    for path in glob.glob(os.path.join(txdir, "tx.*")):
        for line in file_lines(path):
            fields = line.split()
            if len(fields) >= 3 and fields[2].isascii() and fields[2].isdigit():
                lat.append(int(fields[2]))
    if not lat:
        return None
    lat.sort()
    n = len(lat)
    return "%.3f" % (sum(lat) / n / 1000), "%.3f" % (lat[(n * 99 + 99) // 100 - 1] / 1000)


def first_error(log):
    """The first error pgbench printed, fit for one CSV field and a table cell:
    the server's ERROR/FATAL if there is one (pgbench's threads may interleave
    their "pgbench: error:" prefixes), else pgbench's own first complaint."""
    text = read_text(log)
    m = re.search(r"(ERROR|FATAL): .*", text)
    line = m.group(0) if m else ""
    if not line:
        line = next((re.sub(r"^pgbench: error: ", "", l) for l in text.split("\n")
                     if re.search(r"error|fatal|abort", l, re.I)), "")
    line = re.sub(r" +", " ", re.sub(r"[,|]", ";", line))
    return line.encode()[:200].decode(errors="ignore")


def is_unsupported(target, mode, error):
    """A failure that is a known limitation of the tool, not a broken run:
    PgBouncer before 1.21 (and later ones without max_prepared_statements)
    does not carry named prepared statements under transaction pooling, so a
    client's statement is missing on the next server, or another client's
    statement of the same name is already there. (With few clients it may
    happen to work for a whole run: then it is measured like any other.)"""
    return target == "pgbouncer" and mode == "prepared" and bool(
        re.search(r"prepared statement.*(does not exist|already exists)", error))


def pgbench_log_numbers(log, tps_endings):
    """tps, transactions and failed transactions from a pgbench log ("" if absent)."""
    text = read_text(log)

    def find(pattern):
        m = re.search(pattern, text, re.M)
        return m.group(1) if m else ""
    return (find(r"^tps = ([0-9.]*) \((?:%s)\)$" % tps_endings),
            find(r"^number of transactions actually processed: ([0-9]*)"),
            find(r"^number of failed transactions: ([0-9]*)"))


# ---------------------------------------------------------------- results

@dataclass
class Target:
    name: str
    port: int = 0
    pid: int = 0            # the proxy's (0: direct, nothing to measure)
    proc: subprocess.Popen = None    # when it is a child of this script
    stats_port: int = 0     # /metrics, the causal targets
    skip: str = ""          # why it is not measured
    stop: object = None     # Bench.stop_*, once there is something to stop

    def alive(self):
        if self.proc is not None:
            return self.proc.poll() is None
        try:
            os.kill(self.pid, 0)
            return True
        except OSError:
            return False

    def cpu_ticks(self):
        return tree_cpu_ticks(self.pid) if self.alive() else None


@dataclass
class RunResult:
    """One pgbench run: a row of bench-STAMP.csv (tls-STAMP.csv: SCRIPT is the load)."""
    target: str
    script: str
    mode: str
    clients: str
    round: int
    tps: str = ""
    lat: str = ""
    p99: str = ""
    txs: str = ""
    failed: str = ""
    cpu_us: str = ""
    status: str = "ok"
    error: str = ""


@dataclass
class CausalResult:
    """One run of the causal workload: a row of causal-STAMP.csv."""
    target: str
    mode: str
    clients: str
    round: int
    crt: str = ""           # causal_read_timeout
    tps: str = ""
    lat: str = ""
    p99: str = ""
    txs: str = ""
    stale: int = 0
    failed: str = ""
    reads: str = ""
    rreads: str = ""
    share: str = ""
    cu: str = ""
    to: str = ""
    wait_us: str = ""
    cpu_us: str = ""
    status: str = "ok"
    error: str = ""


@dataclass
class IdleResult:
    target: str
    clients: int
    before: str = ""
    idle: str = ""
    per: str = ""
    secs: str = ""
    status: str = "ok"
    error: str = ""


@dataclass
class Mean(RunResult):
    """Means over the rounds that succeeded of one target/script/mode/clients."""
    ok: int = 0
    runs: int = 0


@dataclass
class CausalMean(CausalResult):
    """Means over the rounds that succeeded; stale reads summed over all rounds."""
    ok: int = 0
    runs: int = 0


def mean(values, fmt):
    values = [to_num(v) for v in values if v != ""]
    return fmt % (sum(values) / len(values)) if values else ""


def grouped(results, key):
    groups = {}
    for r in results:
        groups.setdefault(key(r), []).append(r)
    return groups.items()


def last_failure(runs):
    bad = [r for r in runs if r.status != "ok"]
    return (bad[-1].status, bad[-1].error) if bad else ("ok", "")


def means(results):
    """In run order, one per target/script (load)/mode/clients."""
    out = []
    for (target, script, mode, clients), runs in grouped(results, lambda r: (r.target, r.script, r.mode, r.clients)):
        ok = [r for r in runs if r.status == "ok"]
        status, error = last_failure(runs)
        out.append(Mean(target, script, mode, clients, 0, mean([r.tps for r in ok], "%.0f"),
                        mean([r.lat for r in ok], "%.3f"), mean([r.p99 for r in ok], "%.3f"),
                        cpu_us=mean([r.cpu_us for r in ok], "%.1f"), status=status, error=error,
                        ok=len(ok), runs=len(runs)))
    return out


def causal_means(results):
    """In run order, one per target/mode/clients."""
    out = []
    for (target, mode, clients), runs in grouped(results, lambda r: (r.target, r.mode, r.clients)):
        ok = [r for r in runs if r.status == "ok"]
        waits = [r for r in ok if r.cu != ""]
        status, error = last_failure(runs)
        out.append(CausalMean(
            target, mode, clients, 0, runs[0].crt, mean([r.tps for r in ok], "%.0f"),
            mean([r.lat for r in ok], "%.3f"), mean([r.p99 for r in ok], "%.3f"),
            stale=sum(r.stale for r in runs), share=mean([r.share for r in ok], "%.1f"),
            cu=mean([r.cu for r in waits], "%.0f"), to=mean([r.to or "0" for r in waits], "%.0f"),
            wait_us=mean([r.wait_us for r in ok], "%.0f"), cpu_us=mean([r.cpu_us for r in ok], "%.1f"),
            status=status, error=error, ok=len(ok), runs=len(runs)))
    return out


# ---------------------------------------------------------------- tables

def dash(x):
    return "—" if x == "" else x


def ratio(a, b):
    return "—" if a == "" or b == "" or to_num(b) == 0 else "%.2f" % (to_num(a) / to_num(b))


def added(a, b):
    return "—" if a == "" or b == "" else "%+.3f" % (to_num(a) - to_num(b))


def runs_note(m):
    note = "%d/%d" % (m.ok, m.runs)
    if m.status != "ok":
        note += " **%s**" % m.status + (": " + m.error if m.error else "")
    return note


def table_row(*cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def report_matrix(ms):
    """One table per script, a row per mode/clients/target with the ratios to
    direct and to PgBouncer and the p99 added over direct."""
    by = {(m.script, m.mode, m.clients, m.target): m for m in ms}
    lines, last = [], None
    for m in ms:
        if m.script != last:
            if last is not None:
                lines.append("")
            last = m.script
            lines += ["### %s" % ("select-only (`pgbench -S`)" if m.script == "select-only"
                                  else "%s (`pgbench -b %s`)" % (m.script, m.script)), "",
                      "| mode | clients | target | TPS | TPS ÷ direct | TPS ÷ PgBouncer | avg latency (ms) | p99 latency (ms) | p99 added over direct (ms) | proxy CPU (µs/tx) | CPU ÷ PgBouncer | runs ok |",
                      "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        direct = by.get((m.script, m.mode, m.clients, "direct"))
        bouncer = by.get((m.script, m.mode, m.clients, "pgbouncer"))
        lines.append(table_row(
            m.mode, m.clients, m.target, dash(m.tps), ratio(m.tps, direct.tps if direct else ""),
            ratio(m.tps, bouncer.tps if bouncer else ""), dash(m.lat), dash(m.p99),
            "—" if m.target == "direct" else added(m.p99, direct.p99 if direct else ""),
            dash(m.cpu_us), ratio(m.cpu_us, bouncer.cpu_us if bouncer else ""), runs_note(m)))
    return lines


CHART_COLOURS = ["#7f7f7f", "#bcbd22", "#1f77b4", "#9467bd", "#d62728", "#ff7f0e", "#2ca02c", "#8c564b"]


def svg_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg_chart(ms):
    """The matrix as a picture (SVG, no dependencies): for every script, mode
    and client count, one bar per target, TPS on top and proxy CPU per
    transaction below. None when nothing was measured."""
    cells, targets = [], []
    for m in ms:
        cell = (m.script, m.mode, m.clients)
        if cell not in cells:
            cells.append(cell)
        if m.target not in targets:
            targets.append(m.target)
    by = {(m.script, m.mode, m.clients, m.target): m for m in ms}
    if not cells:
        return None
    bar, gap, left, panel_h, top = 14, 18, 70, 180, 60
    group_w = bar * len(targets) + gap
    width = max(left + group_w * len(cells) + 20, 640)
    per_row = max(1, (width - left) // 140)
    height = top + 2 * (panel_h + 70) + 20 * ((len(targets) + per_row - 1) // per_row) + 10
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="10" y="20" font-size="14">TPS and proxy CPU per transaction, by target '
           '(contrib/bench.sh)</text>']
    for panel, (field, label) in enumerate((("tps", "TPS"), ("cpu_us", "proxy CPU (µs/tx)"))):
        y0 = top + panel * (panel_h + 70)
        values = [to_num(getattr(m, field)) for m in ms if getattr(m, field) != ""]
        peak = max(values) if values else 1
        peak = peak if peak > 0 else 1
        out.append('<text x="10" y="%d" font-weight="bold">%s</text>' % (y0 - 14, svg_escape(label)))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>'
                   % (left, y0 + panel_h, width - 10, y0 + panel_h))
        for tick in range(0, 5):
            v = peak * tick / 4
            y = y0 + panel_h - panel_h * tick / 4
            out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (left - 4, y + 4, "%.0f" % v))
            out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#dddddd"/>' % (left, y, width - 10, y))
        for ci, (script, mode, clients) in enumerate(cells):
            x0 = left + ci * group_w + gap / 2
            for ti, target in enumerate(targets):
                m = by.get((script, mode, clients, target))
                if not m or getattr(m, field) == "":
                    continue
                h = panel_h * to_num(getattr(m, field)) / peak
                out.append('<rect x="%.1f" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s %s %s c%s: '
                           '%s</title></rect>' % (x0 + ti * bar, y0 + panel_h - h, bar - 2, h,
                                                  CHART_COLOURS[ti % len(CHART_COLOURS)], svg_escape(target),
                                                  svg_escape(script), mode, clients, getattr(m, field)))
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                       % (x0 + bar * len(targets) / 2, y0 + panel_h + 14, svg_escape("%s %s" % (mode, clients))))
            if len({c[0] for c in cells}) > 1:
                out.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#555555">%s</text>'
                           % (x0 + bar * len(targets) / 2, y0 + panel_h + 28, svg_escape(script)))
    ly = top + 2 * (panel_h + 70) - 20
    for ti, target in enumerate(targets):
        x, y = left + (ti % per_row) * 140, ly + (ti // per_row) * 20
        out.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>' % (x, y, CHART_COLOURS[ti % len(CHART_COLOURS)]))
        out.append('<text x="%d" y="%d">%s</text>' % (x + 16, y + 10, svg_escape(target)))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def report_tls(ms):
    """The TLS runs, a row per load/clients/target with the ratios to
    PgBouncer and, for pgsteer-w2, to pgsteer-primary."""
    if not ms:
        return []
    by = {(m.script, m.clients, m.target): m for m in ms}
    lines = ["", "### TLS clients", "",
             "`pgbench -S -M simple` with `sslmode=require` to the proxy; proxy to PostgreSQL is plain. **steady**: each client",
             "keeps one TLS session for the whole run; **connect** (`-C`): a TLS handshake and a login for every transaction (its TPS",
             "includes connecting, its latencies do not). Ratios compare with PgBouncer, and pgsteer-w2 with pgsteer-primary, at the same load and client count.",
             "",
             "| load | clients | target | TPS | TPS ÷ PgBouncer | avg latency (ms) | p99 latency (ms) | proxy CPU (µs/tx) | CPU ÷ PgBouncer | TPS ÷ pgsteer-primary | p99 ÷ pgsteer-primary | CPU ÷ pgsteer-primary | runs ok |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    empty = Mean("", "", "", "", 0)
    for m in ms:
        bouncer = by.get((m.script, m.clients, "pgbouncer"), empty)
        primary = by.get((m.script, m.clients, "pgsteer-primary"), empty)
        w2 = m.target == "pgsteer-w2"
        lines.append(table_row(
            m.script, m.clients, m.target, dash(m.tps), ratio(m.tps, bouncer.tps), dash(m.lat),
            dash(m.p99), dash(m.cpu_us), ratio(m.cpu_us, bouncer.cpu_us),
            ratio(m.tps, primary.tps) if w2 else "—", ratio(m.p99, primary.p99) if w2 else "—",
            ratio(m.cpu_us, primary.cpu_us) if w2 else "—", runs_note(m)))
    return lines


def report_idle(rows):
    if not rows:
        return []
    lines = ["", "### Idle clients", "",
             "| proxy | idle logged-in clients | RSS before (KiB) | RSS with them (KiB) | RSS per client (KiB) | logins/s | status |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        rate = ("%.0f" % (r.clients / to_num(r.secs)) if r.secs != "" and to_num(r.secs) > 0
                and r.status == "ok" else "—")
        lines.append(table_row(r.target, r.clients, dash(r.before), dash(r.idle), dash(r.per), rate,
                               r.status + (": " + r.error if r.error else "")))
    return lines


def report_classifier(rows):
    if not rows:
        return []
    lines = ["", "### Classifier", "", "| statements | count | median (ns/statement) | p99 (ns/statement) |",
             "|---|---:|---:|---:|"]
    for sn, sm, sp, an, am, ap, tp, mc in rows:
        lines += [table_row("under 200 bytes", sn, sm, sp), table_row("all in the corpus", an, am, ap), "",
                  "Throughput %s million statements/s on one core; %s malloc calls in the steady state." % (tp, mc)]
    return lines


def quotient(a, b):
    return None if a == "" or b == "" or to_num(b) == 0 else to_num(a) / to_num(b)


def show(x, fmt):
    return "—" if x is None else fmt % x


def at_least(x, goal):
    return "not measured" if x is None else "yes" if x >= goal else "no"


def at_most(x, goal):
    return "not measured" if x is None else "yes" if x <= goal else "no"


def p99_added_per_round(results, k, target):
    """p99 added over direct, round by round, of TARGET at K (script, mode, clients)."""
    by = {(r.script, r.mode, r.clients, r.target, r.round): r for r in results if r.status == "ok"}
    out = []
    for (script, mode, clients, t, rnd), r in sorted(by.items()):
        d = by.get((script, mode, clients, "direct", rnd))
        if (script, mode, clients) == k and t == target and d and r.p99 != "" and d.p99 != "":
            out.append(to_num(r.p99) - to_num(d.p99))
    return out


def report_goals(ms, idle_rows, results):
    """Issue #26's goals, and issue #8's that still stand, next to what this
    run measured. Informative only: nothing fails on timings."""
    by = {(m.script, m.mode, m.clients, m.target): m for m in ms}
    clients = list(dict.fromkeys(m.clients for m in ms))
    scripts = list(dict.fromkeys(m.script for m in ms))
    rows, rows8 = [], []

    def row(what, goal, value, met, into=rows):
        into.append(table_row(what, goal, value, met))
    for c in clients:
        for mode in ("simple", "extended"):
            k = ("select-only", mode, c)
            bouncer, relay = by.get(k + ("pgbouncer",)), by.get(k + ("null-relay",))
            what = ", -S -M %s, %s clients" % (mode, c)
            for target in ("pgsteer-primary", "pgsteer"):
                m = by.get(k + (target,))
                if not m:
                    continue
                if bouncer:
                    x = quotient(m.cpu_us, bouncer.cpu_us)
                    row("CPU/tx %s ÷ PgBouncer%s" % (target, what), "≤ 1.00", show(x, "%.3f"), at_most(x, 1.00))
                if relay:
                    x = quotient(m.cpu_us, relay.cpu_us)
                    row("CPU/tx %s ÷ null-relay%s" % (target, what), "≤ 1.20", show(x, "%.3f"), at_most(x, 1.20))
                if target == "pgsteer-primary" and bouncer:
                    x = quotient(m.tps, bouncer.tps)
                    row("TPS %s ÷ PgBouncer%s" % (target, what), "≥ 1.00", show(x, "%.3f"), at_least(x, 1.00))
                ours, theirs = p99_added_per_round(results, k, target), p99_added_per_round(results, k, "pgbouncer")
                if ours and theirs:
                    a, b = sum(ours) / len(ours), sum(theirs) / len(theirs)
                    def spread(v):
                        return "" if len(v) == 1 else " (%+.3f to %+.3f)" % (min(v), max(v))
                    row("p99 added over direct, %s%s%s" % (target, what, "" if len(ours) == 1 else
                                                          ", mean of %d rounds (spread)" % len(ours)),
                        "≤ PgBouncer's %+.3f ms%s" % (b, spread(theirs)),
                        "%+.3f ms%s" % (a, spread(ours)), "yes" if a <= b else "no")
            w2, primary = by.get(k + ("pgsteer-w2",)), by.get(k + ("pgsteer-primary",))
            if w2 and primary:
                row("pgsteer-w2 (shared pool size) ÷ pgsteer-primary%s" % what, "the cost, reported",
                    "TPS %s, CPU/tx %s" % (show(quotient(w2.tps, primary.tps), "%.3f"),
                                           show(quotient(w2.cpu_us, primary.cpu_us), "%.3f")), "—")
    for s in scripts:
        for c in clients:
            prepared, extended = by.get((s, "prepared", c, "pgsteer-primary")), by.get((s, "extended", c, "pgbouncer"))
            if not prepared or not extended:
                continue
            x = quotient(prepared.tps, extended.tps)
            row("TPS pgsteer-primary -M prepared ÷ PgBouncer -M extended, %s, %s clients" % (s, c),
                "≥ 1.10", show(x, "%.3f"), at_least(x, 1.10), rows8)
    for r in idle_rows:
        if r.target.startswith("pgsteer"):
            x = None if r.per == "" else to_num(r.per)
            row("RSS per idle logged-in client, %s, %d clients" % (r.target, r.clients), "≤ 1 KiB",
                show(x, "%.2f KiB"), at_most(x, 1.0), rows8)
    out = []
    if rows:
        out += ["", "### Goals of issue #26 (reported, never asserted)", "",
                "CPU and TPS from the means over the rounds; p99 added over direct per round (pgbench's "
                "99th percentile minus direct's in the same round), its mean and its spread.", "",
                "| goal (issue #26) | target | measured | met |", "|---|---|---:|---|"] + rows
    if rows8:
        out += ["", "### Goals of issue #8 that still stand (reported, never asserted)", "",
                "(Its CPU goal, 0.75 × PgBouncer's, was withdrawn by issue #26: below the null relay's floor.)", "",
                "| goal (issue #8) | target | measured | met |", "|---|---|---:|---|"] + rows8
    return out


def report_causal(cms):
    """The causal runs, then issue #22's goals next to what was measured."""
    if not cms:
        return []
    lines = ["", "### Causal reads (issue #22)", "",
             "Each transaction (autocommit): `INSERT` a row with a random id, read it back with `SELECT 1/count(*) … WHERE id = :id`",
             "(a stale read divides by zero and aborts its client), read a preloaded row. **reads on replicas**: share of the",
             "read statements routed to a replica (SHOW NODES `reads` per node, before and after the run); **stale reads**:",
             "clients aborted by the division by zero (each stops at its first); **causal waits**: pgsteer's checks on a replica",
             "not yet seen at the session's write (`pgsteer_causal_waits_total`, per run), the mean from `pgsteer_causal_wait_seconds`.",
             "**p99 added** is this target's p99 minus direct's, and minus pgsteer-causal-off's, at the same mode and client count.",
             "",
             "| mode | clients | target | causal_read_timeout | TPS | avg latency (ms) | p99 latency (ms) | p99 added over direct (ms) | p99 added over causal off (ms) | reads on replicas | stale reads | causal waits caught up | causal waits timed out | mean causal wait (µs) | proxy CPU (µs/tx) | runs ok |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    p99 = {(m.mode, m.clients, m.target): m.p99 for m in cms}
    for m in cms:
        lines.append(table_row(
            m.mode, m.clients, m.target, dash(m.crt), dash(m.tps), dash(m.lat), dash(m.p99),
            "—" if m.target == "direct" else added(m.p99, p99.get((m.mode, m.clients, "direct"), "")),
            added(m.p99, p99.get((m.mode, m.clients, "pgsteer-causal-off"), ""))
            if m.target == "pgsteer-causal" else "—",
            "—" if m.share == "" else m.share + " %", m.stale, dash(m.cu), dash(m.to), dash(m.wait_us),
            dash(m.cpu_us), runs_note(m)))
    lines += ["", "| goal (issue #22) | target | measured | met |", "|---|---|---:|---|"]
    for (mode, clients), group in grouped(cms, lambda m: (m.mode, m.clients)):
        by = {m.target: m for m in group}
        k = "%s, %s clients" % (mode, clients)
        if "pgsteer-causal" not in by:
            continue
        share = by["pgsteer-causal"].share
        x = None if share == "" else to_num(share)
        lines.append(table_row("reads on replicas, pgsteer-causal, -M " + k, "≥ 90 %", show(x, "%.1f %%"),
                               "not measured" if x is None else "yes" if x >= 90
                               else "no, %.1f points short" % (90 - x)))
        stale = sum(m.stale for m in group)
        lines.append(table_row("stale reads, all targets, -M " + k, "0", stale, "yes" if stale == 0 else "**no**"))
        a, b = by["pgsteer-causal"].p99, by["pgsteer-causal-off"].p99 if "pgsteer-causal-off" in by else ""
        x = None if a == "" or b == "" else to_num(a) - to_num(b)
        lines.append(table_row("p99 added over pgsteer-causal-off, -M " + k, "≤ 1 ms", show(x, "%+.3f ms"),
                               "not measured" if x is None else "yes" if x <= 1
                               else "no, %.3f ms over" % (x - 1)))
    return lines


def config_block(title, path):
    """A generated configuration file, for the doc."""
    if not os.path.isfile(path):
        return ""
    return "<details><summary>%s</summary>\n\n```ini\n%s```\n\n</details>\n\n" % (title, read_text(path))


# ---------------------------------------------------------------- the benchmark

class Bench:
    def __init__(self, argv):
        self.t_start = time.monotonic()
        s = self.s = read_settings()
        # Every setting, as a command line that reruns this benchmark (the doc prints it).
        self.bench_command = assignments(s, [
            "DURATION", "BENCH_WARMUP", "BENCH_CLIENTS", "BENCH_JOBS", "BENCH_MODES", "BENCH_SCRIPTS", "BENCH_TARGETS",
            "BENCH_ROUNDS", "BENCH_SCALE", "BENCH_POOL_SIZE", "BENCH_PGPOOL_CHILDREN", "BENCH_PG_MAX_CONNECTIONS",
            "BENCH_IDLE_CLIENTS", "BENCH_IDLE_TARGETS", "BENCH_TLS_TARGETS", "BENCH_TLS_CLIENTS",
            "BENCH_TLS_LOADS"]) + " contrib/bench.sh"
        causal_settings = assignments(s, CAUSAL_SETTINGS)
        # The causal runs, as a command line (their section of the doc prints it).
        self.causal_command = assignments(s, ["DURATION", "BENCH_WARMUP", "BENCH_JOBS", "BENCH_ROUNDS",
                                              "BENCH_POOL_SIZE", "BENCH_PG_MAX_CONNECTIONS"] + CAUSAL_SETTINGS
                                          ) + " contrib/bench.sh --causal-only"
        self.write_doc = self.causal_only = False
        self.doc_file = os.path.join(SRCDIR, "doc", "performance.md")
        for arg in argv:
            if arg == "--write-doc":
                self.write_doc = True
            elif arg.startswith("--write-doc=") and arg != "--write-doc=":
                self.write_doc = True
                self.doc_file = os.path.realpath(arg[len("--write-doc="):])
            elif arg == "--causal-only":
                self.causal_only = True
                s.BENCH_CAUSAL = "1"
            elif arg in ("-h", "--help"):
                print(__doc__, end="")
                raise SystemExit(0)
            else:
                # (the documented command: contrib/bench.sh, a wrapper of this file)
                print(USAGE % os.path.join(os.path.dirname(sys.argv[0]), "bench.sh"), file=sys.stderr)
                raise SystemExit(2)
        if s.BENCH_CAUSAL == "1" and not self.causal_only:
            self.bench_command = "BENCH_CAUSAL=1 %s %s" % (causal_settings, self.bench_command)
        if self.causal_only:    # nothing but the causal workload
            s.BENCH_TARGETS = s.BENCH_TLS_TARGETS = ""
            s.BENCH_IDLE_CLIENTS, s.BENCH_CLASSIFY_BIN = "0", "none"
        self.packages = ["build-essential", "autoconf", "automake", "pkg-config", "libevent-dev",
                         "libssl-dev", "libinih-dev", "libpcre2-dev", "libpq-dev", "postgresql-15",
                         "postgresql-client-15", "pgbouncer", "pgpool2", "python3", "openssl"]
        if self.causal_only:    # no PgBouncer, Pgpool-II or TLS runs
            self.packages = [p for p in self.packages if p not in ("pgbouncer", "pgpool2", "openssl")]
        self.stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self.loadavg_start = " ".join(read_text("/proc/loadavg").split()[:3])
        # The source tree as it is when the run (and the build) starts: commits
        # that land while it runs are not in the binary measured.
        self.src_describe = output(["git", "-C", SRCDIR, "describe", "--always", "--dirty", "--tags"]) or "unknown"
        self.pgsteer_bin = s.PGSTEER_BIN
        self.pgsteer_bin_given = s.PGSTEER_BIN
        self.pgsteer_build = ""
        self.work = self.logdir = ""
        self.targets = {}
        self.tls_cert = self.tls_key = ""
        self.tls_info = {}
        self.pg_ssl = ""
        self.classify_cmd = ""
        self.problems = []
        self.results, self.tls_results, self.causal_results = [], [], []
        self.idle_results, self.classify_results = [], []

    # ------------------------------------------------------------ helpers

    def words(self, name):
        return getattr(self.s, name).split()

    def elapsed(self):
        secs = int(time.monotonic() - self.t_start)
        return "%d min %d s" % (secs // 60, secs % 60)

    def pg(self, program):
        return os.path.join(self.s.PG_BIN, program)

    def psql_at(self, port, sql, check=True, quiet=False):
        r = subprocess.run([self.pg("psql"), "-X", "-q", "-A", "-t", "-h", "127.0.0.1", "-p", str(port),
                            "-U", "postgres", "-d", "postgres", "-c", sql], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL if quiet else None, encoding="utf-8", errors="replace")
        if check and r.returncode != 0:
            die("psql on port %s failed: %s" % (port, sql))
        return r.stdout.rstrip("\n")

    def pgcluster(self, *args):
        if subprocess.run([self.s.PGCLUSTER] + [str(a) for a in args]).returncode != 0:
            die("%s %s failed" % (self.s.PGCLUSTER, args[0]))

    def append_csv(self, path, *fields):
        write_file(path, ",".join(str(x) for x in fields) + "\n", "a")

    def is_started(self, name):
        return name in self.start_targets

    def bench_bin(self, name, given):
        """A tests/bench program: GIVEN (its BENCH_*_BIN) if set, else the one
        built beside PGSTEER_BIN in its build tree."""
        if given:
            return given
        if self.pgsteer_bin:
            return os.path.join(os.path.dirname(self.pgsteer_bin), "../tests/bench", name)
        return ""

    def wait_port(self, target, name):
        for _ in range(100):
            if port_in_use(target.port):
                return True
            if not target.alive():
                return False
            time.sleep(0.1)
        say("%s (pid %d) does not accept connections on port %d after 10 s" % (name, target.pid, target.port))
        return False

    # ------------------------------------------------------------ setup

    def install_missing_packages(self):
        missing = [p for p in self.packages if "install ok installed" not in output(
            ["dpkg-query", "-W", "-f=${Status}", p])]
        if not missing:
            return
        say("installing " + " ".join(missing))
        if subprocess.run(["apt-get", "update", "-q"]).returncode != 0 or subprocess.run(
                ["apt-get", "install", "-y", "-q", "--no-install-recommends"] + missing,
                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive")).returncode != 0:
            die("could not install " + " ".join(missing))

    def build_pgsteer(self):
        """Optimised out-of-tree build (configure's default CFLAGS are -g -O2),
        kept apart from build/ so that a debug or sanitizer build there is never
        measured. Sets pgsteer_bin, or leaves it empty when the build fails."""
        if self.pgsteer_bin:
            say("using PGSTEER_BIN=%s (not building)" % self.pgsteer_bin)
            self.pgsteer_build = "binary given by PGSTEER_BIN"
            return
        build = self.s.BENCH_BUILD_DIR
        log = os.path.join(self.logdir, "build.log")
        say("building pgsteer (-O2) in %s (log: %s)" % (build, log))
        ok = True
        write_file(log, "")
        if not os.path.isfile(os.path.join(build, "Makefile")):
            ok = ((os.access(SRCDIR + "/configure", os.X_OK)
                   or run_logged(["autoreconf", "-fi"], log, "ab", cwd=SRCDIR))
                  and os.makedirs(build, exist_ok=True) is None
                  and run_logged([SRCDIR + "/configure", "CFLAGS=-g -O2"], log, "ab", cwd=build))
        if ok and run_logged(["make", "-C", build, "-j2"], log, "ab"):
            self.pgsteer_bin = os.path.join(build, "src", "pgsteer")
            self.pgsteer_build = "built with -O2 by bench.sh"
        else:
            tail(log, 15)
            self.pgsteer_bin = ""

    def start_cluster(self):
        self.pg_port = free_ports(3)
        say("starting primary + 2 replicas on ports %d-%d" % (self.pg_port, self.pg_port + 2))
        self.pgcluster("start", self.work + "/cluster", self.pg_port)
        self.raise_max_connections()
        if not self.causal_only:    # the causal workload has a table of its own
            say("pgbench -i -s %s on the primary" % self.s.BENCH_SCALE)
            log = os.path.join(self.logdir, "pgbench-init.log")
            if not run_logged([self.pg("pgbench"), "-i", "-q", "-s", self.s.BENCH_SCALE, "-h", "127.0.0.1",
                               "-p", str(self.pg_port), "-U", "postgres", "postgres"], log):
                sys.stderr.write(read_text(log))
                die("pgbench -i failed")
        # The replicas should hold the data too before anything is measured.
        self.wait_replicas()

    def wait_replicas(self):
        lsn = self.psql_at(self.pg_port, "SELECT pg_current_wal_insert_lsn()")
        for _ in range(300):
            if self.psql_at(self.pg_port, "SELECT count(*) FROM pg_stat_replication\n"
                            "                WHERE replay_lsn >= '%s'::pg_lsn" % lsn, check=False) == "2":
                return
            time.sleep(0.2)
        say("warning: replicas have not replayed %s after 60 s" % lsn)

    def raise_max_connections(self):
        """pgcluster.sh allows 200 connections per node; every target keeps its
        server connections while the others run (PgBouncer and pgsteer a pool
        each, Pgpool-II one per child on every node), so make room. ALTER SYSTEM
        (postgresql.auto.conf) is read after pgcluster.sh's include, and a standby
        needs at least its primary's max_connections: set all three, restart all."""
        wanted = self.s.BENCH_PG_MAX_CONNECTIONS
        if to_int(wanted, 0) <= 200:
            return
        for port in range(self.pg_port, self.pg_port + 3):
            self.psql_at(port, "ALTER SYSTEM SET max_connections = %s" % wanted)
        self.pgcluster("stop", self.work + "/cluster")
        self.pgcluster("start", self.work + "/cluster", self.pg_port)
        if self.psql_at(self.pg_port + 2, "SHOW max_connections", check=False) != wanted:
            die("max_connections = %s did not take effect" % wanted)

    def max_client_conn(self):
        """Client connections a pooler must accept: pgbench's plus the idle test's."""
        return max(int(self.s.BENCH_IDLE_CLIENTS) + 200, 1000)

    def make_tls_cert(self):
        """A self-signed server certificate for the TLS runs, made for this run
        (RSA 2048). pgbench's sslmode=require encrypts without verifying it.
        Without it the proxies get no TLS settings and every TLS run fails,
        which is reported."""
        d = os.path.join(self.work, "tls")
        os.makedirs(d, exist_ok=True)
        log = os.path.join(self.logdir, "openssl.log")
        if not run_logged(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                           "/CN=127.0.0.1", "-keyout", d + "/server.key", "-out", d + "/server.crt"], log):
            sys.stderr.write(read_text(log))
            self.problems.append("openssl could not make the TLS certificate (log: %s)" % log)
            return
        os.chmod(d + "/server.key", 0o600)
        chown_postgres(d)    # PgBouncer reads them as postgres
        self.tls_cert, self.tls_key = d + "/server.crt", d + "/server.key"

    def tls_settings(self, name):
        """Client TLS settings for a proxy in BENCH_TLS_TARGETS. Offered, not
        required: the plain runs use the same process with sslmode=disable, and
        a TLS run's sslmode=require fails on a proxy that does not do TLS."""
        if name not in self.words("BENCH_TLS_TARGETS") or not self.tls_cert:
            return ""
        return ("client_tls_sslmode = prefer\nclient_tls_cert_file = %s\nclient_tls_key_file = %s"
                % (self.tls_cert, self.tls_key))

    # ------------------------------------------------------------ targets

    def start_direct(self, t):
        t.port = self.pg_port

    def start_null_relay(self, t):
        """A connection to the primary per client, bytes moved with one recv()
        and one send(), nothing else (tests/bench/null_relay.c): the CPU any
        proxy pays for relaying over these sockets."""
        binary = self.bench_bin("null_relay", self.s.BENCH_NULL_RELAY_BIN)
        if not binary or not os.access(binary, os.X_OK):
            t.skip = "no null_relay binary (%s; set BENCH_NULL_RELAY_BIN)" % (binary or "none")
            return
        t.port = free_ports(1)
        log = os.path.join(self.work, "null-relay.log")
        t.proc = spawn([binary, str(t.port), str(self.pg_port)], log)
        t.pid, t.stop = t.proc.pid, self.stop_process
        if not self.wait_port(t, "null-relay"):
            t.skip = "null_relay did not come up (log: %s)" % log
            return
        say("null-relay on port %d (pid %d)" % (t.port, t.pid))

    def start_pgbouncer(self, t):
        """PgBouncer refuses to run as root: its files belong to postgres."""
        if not shutil.which("pgbouncer"):
            t.skip = "pgbouncer is not installed"
            return
        d = os.path.join(self.work, "pgbouncer")
        port = free_ports(1)
        os.makedirs(d, exist_ok=True)
        write_file(d + "/userlist.txt", '"postgres" ""\n')
        tls = self.tls_settings("pgbouncer")
        write_file(d + "/pgbouncer.ini", (
            "[databases]\n* = host=127.0.0.1 port=%d\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\n"
            "listen_port = %d\nunix_socket_dir =\nauth_type = trust\nauth_file = %s/userlist.txt\n"
            "pool_mode = transaction\ndefault_pool_size = %s\nmax_client_conn = %d\n"
            "logfile = %s/pgbouncer.log\npidfile = %s/pgbouncer.pid%s\n"
            % (self.pg_port, port, d, self.s.BENCH_POOL_SIZE, self.max_client_conn(), d, d, "\n" + tls if tls else "")))
        chown_postgres(d)
        # runuser's PAM session puts the soft open-file limit back to 1024:
        # raise it again for the idle-clients test (PgBouncer does not).
        out_path = os.path.join(self.work, "pgbouncer.out")
        if not run_logged(["runuser", "-u", "postgres", "--", "sh", "-c",
                           'ulimit -Sn "$(ulimit -Hn)" && exec pgbouncer -d "$1"', "sh", d + "/pgbouncer.ini"],
                          out_path):
            sys.stderr.write(read_text(out_path))
            t.skip = "pgbouncer failed to start (log: %s/pgbouncer.log)" % self.logdir
            return
        for _ in range(50):
            if os.path.getsize(d + "/pgbouncer.pid") if os.path.exists(d + "/pgbouncer.pid") else 0:
                break
            time.sleep(0.1)
        t.pid, t.port = to_int(read_text(d + "/pgbouncer.pid").strip(), 0), port
        t.stop = self.stop_pgbouncer if t.pid else None
        if not t.pid or not self.wait_port(t, "pgbouncer"):
            t.skip = "pgbouncer did not come up (log: %s/pgbouncer.log)" % self.logdir
            return
        version = (first_line(output(["pgbouncer", "--version"])).split() + ["", ""])[1]
        say("pgbouncer %s on port %d (pid %d)" % (version, port, t.pid))

    def start_pgpool(self, t):
        """Pgpool-II as its Debian package is used for load balancing: streaming-
        replication mode over primary + 2 replicas (equal weights, session-level
        balancing), connection cache on, one preforked child per client. Health
        and streaming-replication checks run as postgres (trust); nodes are marked
        DISALLOW_TO_FAILOVER and failover_on_backend_error is off, so a slow check
        under load never detaches a node in the middle of a measurement. It runs
        in the foreground (-n) in its own session, so that its process group is
        exactly pgpool and its children."""
        if not shutil.which("pgpool"):
            t.skip = "pgpool is not installed (Debian package pgpool2)"
            return
        d = os.path.join(self.work, "pgpool")
        port = free_ports(2)
        os.makedirs(d, exist_ok=True)
        for name in ("pcp.conf", "pool_hba.conf"):
            open(os.path.join(d, name), "w").close()
        conf = """# written by contrib/bench.sh: load balancing over primary + 2 replicas
backend_clustering_mode = 'streaming_replication'
listen_addresses = '127.0.0.1'
port = {port}
socket_dir = '{d}'
pcp_listen_addresses = ''
pcp_port = {pcp}
pcp_socket_dir = '{d}'
wd_ipc_socket_dir = '{d}'
use_watchdog = off
pid_file_name = '{d}/pgpool.pid'
logdir = '{d}'
log_destination = 'stderr'
log_min_messages = warning
enable_pool_hba = off
pool_passwd = ''
num_init_children = {children}
reserved_connections = 0
max_pool = 1
connection_cache = on
child_life_time = 0
child_max_connections = 0
connection_life_time = 0
client_idle_limit = 0
load_balance_mode = on
statement_level_load_balance = off
memory_cache_enabled = off
sr_check_period = 10
sr_check_user = 'postgres'
sr_check_password = ''
sr_check_database = 'postgres'
health_check_period = 10
health_check_timeout = 10
health_check_user = 'postgres'
health_check_password = ''
health_check_database = 'postgres'
health_check_max_retries = 3
failover_on_backend_error = off
failover_command = ''
search_primary_node_timeout = 10
""".format(port=port, d=d, pcp=port + 1, children=self.s.BENCH_PGPOOL_CHILDREN)
        for i in range(3):
            conf += ("backend_hostname%d = '127.0.0.1'\nbackend_port%d = %d\nbackend_weight%d = 1\n"
                     "backend_flag%d = 'DISALLOW_TO_FAILOVER'\n" % (i, i, self.pg_port + i, i, i))
        write_file(d + "/pgpool.conf", conf)
        t.proc = spawn(["pgpool", "-n", "-D", "-f", d + "/pgpool.conf", "-F", d + "/pcp.conf", "-a",
                        d + "/pool_hba.conf"], d + "/pgpool.log")
        t.pid, t.port, t.stop = t.proc.pid, port, self.stop_pgpool
        if not self.wait_port(t, "pgpool"):
            tail(d + "/pgpool.log", 15)
            t.skip = "pgpool did not come up (log: %s/pgpool.log)" % self.logdir
            return
        # Usable once it has found the primary and sees all three nodes up.
        for _ in range(100):
            rows = [r.split("|") for r in self.psql_at(port, "SHOW pool_nodes", check=False, quiet=True).split("\n")]
            up = [r for r in rows if len(r) > 3 and r[3] == "up"]
            up = "%d/%d" % (len(up), sum(1 for r in up if len(r) > 6 and r[6] == "primary"))
            if up == "3/1":
                break
            time.sleep(0.2)
        if up != "3/1":
            t.skip = ("pgpool does not see 3 nodes up with one primary (up/primary: %s; log: %s/pgpool.log)"
                      % (up, self.logdir))
            return
        version = " ".join((l.split() + [""] * 3)[2] for l in output(["pgpool", "--version"],
                                                                    stderr=subprocess.STDOUT).split("\n"))
        say("pgpool %s on port %d (pid %d, %s children, 3 nodes up)"
            % (version, port, t.pid, self.s.BENCH_PGPOOL_CHILDREN))

    def start_pgsteer(self, t, nodes, workers=1, causal=None):
        """NODES is "primary" (main1 only) or "all"; with CAUSAL (a
        causal_read_timeout), the admin console (user admin) and /metrics on the
        next port, for the causal runs."""
        name = t.name
        if not self.pgsteer_bin or not os.access(self.pgsteer_bin, os.X_OK):
            t.skip = "no pgsteer binary (%s)" % (self.pgsteer_bin or
                                                 "build failed, see %s/build.log" % self.logdir)
            return
        stats_listen, routing = "                     ; off: PgBouncer has no HTTP endpoint either", ""
        if causal is not None:
            port = free_ports(2)
            extra = "admin_users = admin              ; SHOW NODES: reads per node"
            stats_listen = " 127.0.0.1:%d      ; /metrics: causal waits" % (port + 1)
            routing = "[routing]\ncausal_read_timeout = %s\n" % causal
        else:
            port = free_ports(1)
            extra = self.tls_settings(name)
        d = os.path.join(self.work, name)
        os.makedirs(d, exist_ok=True)
        ini = ("; written by contrib/bench.sh: same pooling as the PgBouncer target\n[pgsteer]\n"
               "listen_addr = 127.0.0.1\nlisten_port = %d\nauth_type = trust\npool_mode = transaction\n"
               "default_pool_size = %s\nmax_client_conn = %d\nworkers = %d\n"
               % (port, self.s.BENCH_POOL_SIZE, self.max_client_conn(), workers))
        ini += (extra + "\n" if extra else "") + ("\n" + routing if routing else "")
        ini += ("\n[stats]\nlisten =%s\n\n[cluster.main]\n\n[node.main1]\ncluster = main\nhost = 127.0.0.1\n"
                "port = %d\n\n" % (stats_listen, self.pg_port))
        if nodes == "all":
            for i in (2, 3):
                ini += "\n[node.main%d]\ncluster = main\nhost = 127.0.0.1\nport = %d\n" % (i, self.pg_port + i - 1)
        config = d + "/pgsteer.ini"
        write_file(config, ini)
        check = subprocess.run([self.pgsteer_bin, "--check-config", "-c", config], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, encoding="utf-8", errors="replace")
        if check.returncode != 0:
            print(check.stdout.rstrip("\n"), file=sys.stderr)
            t.skip = "pgsteer --check-config rejected " + config
            return
        # A session of its own, as PgBouncer's -d and Pgpool-II get: with the
        # kernel's autogroup scheduling, a proxy left in this script's session
        # shares one CPU group with pgbench and is preempted far more often.
        t.proc = spawn([self.pgsteer_bin, "-c", config], "%s/%s.log" % (d, name))
        t.pid, t.port, t.stop = t.proc.pid, port, self.stop_process
        if not self.wait_port(t, name):
            tail("%s/%s.log" % (d, name), 15)
            t.skip = "pgsteer did not come up (log: %s/%s.log)" % (self.logdir, name)
            return
        if causal is not None:
            t.stats_port = port + 1
        version = first_line(output([self.pgsteer_bin, "-V"], stderr=subprocess.STDOUT))
        say("%s: %s on port %d (pid %d, nodes: %s%s)" % (
            name, version, port, t.pid, nodes,
            ", causal_read_timeout = %s, /metrics on %d" % (causal, port + 1) if causal else ""))

    def start_target(self, name):
        t = self.targets[name] = Target(name)
        starts = {
            "direct": lambda: self.start_direct(t),
            "null-relay": lambda: self.start_null_relay(t),
            "pgbouncer": lambda: self.start_pgbouncer(t),
            "pgpool": lambda: self.start_pgpool(t),
            "pgsteer": lambda: self.start_pgsteer(t, "all"),
            "pgsteer-primary": lambda: self.start_pgsteer(t, "primary"),
            "pgsteer-w2": lambda: self.start_pgsteer(t, "primary", 2),
            "pgsteer-causal-off": lambda: self.start_pgsteer(t, "all", 1, "0"),
            "pgsteer-causal": lambda: self.start_pgsteer(t, "all", 1, self.s.BENCH_CAUSAL_TIMEOUT),
        }
        if name not in starts:
            die("unknown target %s (BENCH_TARGETS: direct null-relay pgbouncer pgpool pgsteer-primary pgsteer "
                "pgsteer-w2 pgsteer-causal-off pgsteer-causal)" % name)
        starts[name]()
        if t.skip:
            loud("SKIPPING %s: %s" % (name, t.skip), "its rows are missing from the results")
            self.problems.append("%s skipped: %s" % (name, t.skip))

    def stop_process(self, t):
        """pgsteer and null_relay: SIGTERM, and wait for it."""
        if t.proc.poll() is None:
            t.proc.terminate()
        t.proc.wait()

    def stop_pgbouncer(self, t):
        """PgBouncer daemonized: SIGTERM to the pid in its pidfile."""
        try:
            os.kill(t.pid, signal.SIGTERM)
        except OSError:
            pass

    def stop_pgpool(self, t):
        """Fast shutdown (SIGINT), then whatever is left of its process group."""
        t.proc.send_signal(signal.SIGINT)
        try:
            t.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(t.pid, signal.SIGKILL)
        except OSError:
            pass
        t.proc.wait()

    def cleanup(self):
        """Stop every server and proxy this run started; keep their logs and configs."""
        for t in reversed(list(self.targets.values())):
            if t.stop:
                t.stop(t)
        if not self.work:
            return
        copies = [(self.work + "/pgbouncer/pgbouncer.log", "pgbouncer.log"),
                  (self.work + "/pgbouncer/pgbouncer.ini", "pgbouncer.ini"),
                  (self.work + "/pgpool/pgpool.log", "pgpool.log"),
                  (self.work + "/pgpool/pgpool.conf", "pgpool.conf")]
        for name in PGSTEER_TARGETS:
            copies += [("%s/%s/%s.log" % (self.work, name, name), name + ".log"),
                       ("%s/%s/pgsteer.ini" % (self.work, name), name + ".ini")]
        for src, dst in copies:
            if os.path.isfile(src):
                shutil.copy(src, os.path.join(self.logdir, dst))
        if os.path.isdir(self.work + "/cluster"):
            subprocess.run([self.s.PGCLUSTER, "destroy", self.work + "/cluster"])
        if self.s.BENCH_KEEP == "1":
            say("kept " + self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    # ------------------------------------------------------------ measuring

    def pgbench(self, args, seconds, log, sslmode, txdir=None):
        """One pgbench run, its output in LOG; with TXDIR, per-transaction logs there."""
        cmd = [self.pg("pgbench")] + args + ["-T", str(seconds)]
        if txdir:
            cmd += ["--log", "--log-prefix=%s/tx" % txdir]
        return run_logged(cmd + ["postgres"], log, env=dict(os.environ, PGSSLMODE=sslmode))

    def measured_run(self, r, t, args, log, txdir, sslmode, tps_endings, probe=None):
        """A warm-up, then the measured pgbench run R against target T: TPS and
        transactions from its output, latencies from its per-transaction logs,
        the proxy's CPU time per transaction. PROBE() is read just before and
        after the run (after: unless the proxy died); returns both readings."""
        if to_int(self.s.BENCH_WARMUP, 0) > 0:
            self.pgbench(args, self.s.BENCH_WARMUP, log + ".warmup", sslmode)
        os.makedirs(txdir, exist_ok=True)
        before = probe() if probe else None
        t0 = t.cpu_ticks() if t.pid else 0
        if not self.pgbench(args, self.s.DURATION, log, sslmode, txdir):
            r.status = "failed"
        t1 = t.cpu_ticks() if t.pid else 0
        if t1 is None:
            r.status = "proxy-died"
        after = probe() if probe and r.status != "proxy-died" else None
        r.tps, r.txs, r.failed = pgbench_log_numbers(log, tps_endings)
        if isinstance(r, CausalResult):
            # A stale read aborts its client, and pgbench prints the server's error.
            r.stale = sum(1 for line in file_lines(log) if "division by zero" in line)
            if r.stale > 0:
                r.status, r.error = "stale", "%d client(s) aborted by a stale read (division by zero)" % r.stale
        if r.status == "ok" and (not r.tps or not r.txs):
            r.status = "failed"
        if r.status == "ok":
            stats = latency_stats(txdir)
            if stats:
                r.lat, r.p99 = stats
            else:
                r.status, r.error = "failed", "no per-transaction log"
        if r.status == "ok" and t.pid and int(r.txs) > 0:
            r.cpu_us = "%.1f" % ((t1 - t0) / CLK_TCK * 1e6 / int(r.txs))
        shutil.rmtree(txdir, ignore_errors=True)
        return before, after

    def run_failed(self, r, log, what, numbers):
        """A run that could not be measured: its NUMBERS (partial numbers of a
        failed run are never reported as a measurement) cleared, its error, and a
        problem unless it is a known limitation of the target."""
        for name in numbers:
            setattr(r, name, "")
        r.error = r.error or first_error(log) or "pgbench failed without an error message"
        if r.status == "failed" and is_unsupported(r.target, r.mode, r.error):
            r.status = "unsupported"
        else:
            self.problems.append("%s: %s: %s (log: %s)" % (what, r.status, r.error, log))
            tail(log, 5)

    def run_one(self, target, script, mode, clients, rnd, load=""):
        """One measured pgbench run; appends a CSV row and prints a status line.
        With LOAD (steady or connect) a TLS run, sslmode=require and -C for
        connect, its row in the TLS CSV with LOAD where the script would be;
        without, sslmode=disable."""
        s, t = self.s, self.targets[target]
        what, csv, sslmode = ("tls-" + load, self.tls_csv, "require") if load else (script, self.csv, "disable")
        name = "%s-%s-%s-c%s-r%d" % (target, what, mode, clients, rnd)
        log = "%s/pgbench-%s.log" % (self.logdir, name)
        args = ["-n", "-M", mode, "-c", clients, "-j", s.BENCH_JOBS, "-h", "127.0.0.1", "-p", str(t.port),
                "-U", "postgres"]
        if script not in ("select-only", "tpcb-like"):
            die("unknown script %s (BENCH_SCRIPTS: select-only tpcb-like)" % script)
        args += (["-S"] if script == "select-only" else ["-b", "tpcb-like"]) + (["-C"] if load == "connect" else [])
        r = RunResult(target, load or script, mode, clients, rnd)
        # (with -C, pgbench's TPS includes the time spent connecting)
        self.measured_run(r, t, args, log, "%s/txlog/%s" % (self.work, name), sslmode,
                          "without initial connection time|including reconnection times")
        if r.status != "ok":
            self.run_failed(r, log, "%s %s%s -M %s -c %s round %d" % (
                target, "TLS %s " % load if load else "", script, mode, clients, rnd), ["tps", "lat", "p99", "cpu_us"])
        (self.tls_results if load else self.results).append(r)
        self.append_csv(csv, self.stamp, target, r.script, mode, clients, s.BENCH_JOBS, s.DURATION,
                        s.BENCH_POOL_SIZE, r.tps, r.lat, r.p99, r.txs, r.failed or 0, r.cpu_us, r.status, rnd,
                        r.error)
        say("r%s %-15s %-11s %-8s c=%-3s tps=%-9s avg=%-6s p99=%-6s ms cpu=%-5s us/tx %s" % (
            rnd, target, what, mode, clients, r.tps or "-", r.lat or "-", r.p99 or "-", r.cpu_us or "-",
            r.status + (" (%s)" % r.error if r.error else "")))

    def idle_one(self, target):
        """BENCH_IDLE_CLIENTS logged-in idle clients on one pooler: its RSS
        before and with them; appends a row to the idle CSV."""
        t, n = self.targets[target], int(self.s.BENCH_IDLE_CLIENTS)
        log = "%s/idle-%s.log" % (self.logdir, target)
        r = IdleResult(target, n)
        limit = next((l.split()[3] for l in file_lines("/proc/%d/limits" % t.pid)
                      if l.startswith("Max open files")), "")
        if limit != "unlimited" and to_int(limit, 0) < n + int(self.s.BENCH_POOL_SIZE) * 3 + 20:
            r.status, r.error = "failed", "%s's open file limit is %s; %d clients need more" % (target, limit, n)
        else:
            with open(log, "wb") as err:
                p = subprocess.run([sys.executable, SRCDIR + "/tests/bench/idle_clients.py", "--port", str(t.port),
                                    "--pid", str(t.pid), "--count", str(n)], stdout=subprocess.PIPE, stderr=err,
                                   encoding="utf-8", errors="replace")
            if p.returncode != 0:
                r.status = "failed"
            values = {}
            for line in p.stdout.split("\n"):
                key, sep, value = line.partition("=")
                if sep and key not in values:
                    values[key] = value
            r.before, r.idle = values.get("rss_before_kib", ""), values.get("rss_idle_kib", "")
            r.secs = values.get("open_seconds", "")
            r.error = re.sub(r"[,|]", ";", values.get("error", ""))
            if not t.alive():
                r.status = "proxy-died"
        if r.status == "ok" and r.before and r.idle:
            r.per = "%.2f" % ((to_num(r.idle) - to_num(r.before)) / n)
        else:
            if r.status == "ok":
                r.status = "failed"
            r.error = r.error or "idle_clients.py failed (log: %s)" % log
            r.before = r.idle = r.per = ""
            self.problems.append("idle test on %s: %s: %s" % (target, r.status, r.error))
        self.idle_results.append(r)
        self.append_csv(self.idle_csv, self.stamp, target, n, r.before, r.idle, r.per, r.secs, r.status, r.error)
        say("idle %s: %d clients, RSS %s -> %s KiB, %s KiB/client, opened in %s s %s%s" % (
            target, n, r.before or "-", r.idle or "-", r.per or "-", r.secs or "-", r.status,
            " (%s)" % r.error if r.error else ""))

    def tls_probe(self, target):
        """What a TLS client of TARGET negotiates, "PROTOCOL CIPHER" (psql's
        \\conninfo with sslmode=require), for the doc."""
        out = output([self.pg("psql"), "-X", "-h", "127.0.0.1", "-p", str(self.targets[target].port),
                      "-U", "postgres", "-d", "postgres", "-c", "\\conninfo"], stderr=subprocess.STDOUT,
                     env=dict(os.environ, PGSSLMODE="require"))
        m = re.search(r"^SSL connection \(protocol: ([^,\n]*), cipher: ([^,)\n]*)", out, re.M)
        if m:
            self.tls_info[target] = "%s %s" % m.groups()
            say("TLS to %s: %s" % (target, self.tls_info[target]))
        else:
            self.problems.append("psql with sslmode=require to %s: %s" % (target, first_line(out)))

    def run_classifier(self):
        """Classifier microbenchmark over the unit-test corpus (one thread,
        nothing else running): ns/statement median and p99; output kept for
        the doc."""
        binary = self.bench_bin("bench_classify", self.s.BENCH_CLASSIFY_BIN)
        if not binary or not os.access(binary, os.X_OK):
            self.problems.append("classifier not measured: no bench_classify binary (%s; set BENCH_CLASSIFY_BIN)"
                                 % (binary or "none"))
            return
        binary, corpus = os.path.realpath(binary), SRCDIR + "/tests/unit/classify_corpus.txt"
        self.classify_cmd = "%s %s" % (binary, corpus)
        p = subprocess.run([binary, corpus], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           encoding="utf-8", errors="replace")
        out, rc = p.stdout.rstrip("\n"), p.returncode if p.returncode >= 0 else 128 - p.returncode
        write_file(self.logdir + "/bench_classify.txt", out + "\n")
        lines = out.split("\n")
        # exit status 1 means malloc in the steady state: reported, still measured
        if rc > 1 or not any(line.startswith("all statements") for line in lines):
            self.problems.append("bench_classify failed (status %d; output: %s/bench_classify.txt)" % (rc, self.logdir))
            return
        v = {}
        for line in lines:
            f = line.split() + [""] * 6    # (awk's fields past the last are empty)
            for prefix, count_field in (("statements < 200 bytes", 4), ("all statements", 2)):
                if line.startswith(prefix):    # "n=COUNT ... median NS ... p99 NS"
                    v[prefix[0] + "n"] = re.sub(r"^n=", "", f[count_field])
                    v.update((prefix[0] + w[0], f[i + 1]) for i, w in enumerate(f) if w in ("median", "p99"))
            if line.startswith("throughput"):
                v["tp"] = f[1]
            if line.startswith("malloc calls in steady state"):
                v["mc"] = f[5]
        row = [v.get(k, "") for k in ("sn", "sm", "sp", "an", "am", "ap", "tp", "mc")]
        self.classify_results.append(row)
        self.append_csv(self.classify_csv, self.stamp, *row)
        say("classifier: " + ";".join(re.sub(r" +", " ", l) for l in lines if re.match(r"(statements|all)", l)))

    # ------------------------------------------------------------ causal reads

    def causal_setup(self):
        """The causal workload's table, its pgbench script, and synchronous_commit
        = on on the primary: with pgcluster.sh's off a commit reaches the
        replicas only when the WAL writer flushes it (wal_writer_delay, 200 ms),
        far beyond any causal wait. ALTER SYSTEM + reload reaches pooled
        sessions too."""
        rows = self.s.BENCH_CAUSAL_ROWS
        for sql in ("CREATE TABLE bench_causal (id bigint PRIMARY KEY, v int NOT NULL)",
                    "INSERT INTO bench_causal SELECT g, 0 FROM generate_series(1, %s) g" % rows,
                    "VACUUM ANALYZE bench_causal", "ALTER SYSTEM SET synchronous_commit = on",
                    "SELECT pg_reload_conf()"):
            self.psql_at(self.pg_port, sql)
        self.wait_replicas()
        for _ in range(50):
            if self.psql_at(self.pg_port, "SHOW synchronous_commit", check=False) == "on":
                break
            time.sleep(0.1)
        if self.psql_at(self.pg_port, "SHOW synchronous_commit", check=False) != "on":
            die("synchronous_commit = on did not take effect on the primary")
        # A random id out of 2^63: a repeat (which would end the run with a
        # unique violation, not a stale read) is a 1 in 10^7 event for the
        # inserts of a whole run.
        self.causal_sql = self.work + "/causal.sql"
        write_file(self.causal_sql, "\\set id random(1000000000, 9000000000000000000)\n\\set other random(1, %s)\n"
                   "INSERT INTO bench_causal (id, v) VALUES (:id, :client_id);\n"
                   "SELECT 1/count(*) FROM bench_causal WHERE id = :id;\n"
                   "SELECT v FROM bench_causal WHERE id = :other;\n" % rows)
        shutil.copy(self.causal_sql, self.logdir + "/causal.sql")
        say("causal workload: bench_causal with %s rows, synchronous_commit = on on the primary" % rows)

    def causal_teardown(self):
        """Back to pgcluster.sh's synchronous_commit = off, for whatever runs later."""
        self.psql_at(self.pg_port, "ALTER SYSTEM RESET synchronous_commit", check=False)
        self.psql_at(self.pg_port, "SELECT pg_reload_conf()", check=False)

    def causal_node_reads(self, port):
        """(READS, REPLICA_READS) summed over the nodes of a pgsteer target's SHOW
        NODES (replica: role replica), or None when the console does not answer."""
        out = output([self.pg("psql"), "-X", "-q", "-A", "-F", "|", "-P", "footer=off", "-h", "127.0.0.1",
                      "-p", str(port), "-U", "admin", "-d", "pgsteer", "-c", "SHOW NODES"])
        lines = out.split("\n") if out else []
        if len(lines) < 2:
            return None
        col = {name: i for i, name in enumerate(lines[0].split("|"))}
        if "reads" not in col:
            return None
        reads = replica = 0
        for line in lines[1:]:
            f = line.split("|")
            n = int(to_num(f[col["reads"]])) if col["reads"] < len(f) else 0
            reads += n
            if "role" in col and col["role"] < len(f) and f[col["role"]] == "replica":
                replica += n
        return reads, replica

    def causal_metrics(self, port):
        """(CAUGHT_UP, TIMEOUT, WAIT_SUM_S, WAIT_COUNT) from a pgsteer target's
        /metrics, or None."""
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as resp:
                text = resp.read().decode(errors="replace")
        except (OSError, ValueError):
            return None
        cu = to = total = count = 0.0
        seen = False
        for line in text.split("\n"):
            last = to_num(line.split()[-1]) if line.split() else 0.0
            if re.match(r'pgsteer_causal_waits_total\{.*result="caught_up"', line):
                cu, seen = cu + last, True
            elif re.match(r'pgsteer_causal_waits_total\{.*result="timeout"', line):
                to += last
            elif line.startswith("pgsteer_causal_wait_seconds_sum"):
                total += last
            elif line.startswith("pgsteer_causal_wait_seconds_count"):
                count += last
        return (int(cu), int(to), float("%.9f" % total), int(count)) if seen else None

    def run_causal(self, target, mode, clients, rnd):
        """One measured run of the causal workload; appends a row to the causal CSV."""
        s, t = self.s, self.targets[target]
        name = "%s-causal-%s-c%s-r%d" % (target, mode, clients, rnd)
        log = "%s/pgbench-%s.log" % (self.logdir, name)
        args = ["-n", "-M", mode, "-c", clients, "-j", s.BENCH_JOBS, "-h", "127.0.0.1", "-p", str(t.port),
                "-U", "postgres", "-f", self.causal_sql]
        r = CausalResult(target, mode, clients, rnd,
                         crt={"pgsteer-causal-off": "0", "pgsteer-causal": s.BENCH_CAUSAL_TIMEOUT}.get(target, ""))
        probe = (lambda: (self.causal_node_reads(t.port), self.causal_metrics(t.stats_port))) if t.stats_port else None
        before, after = self.measured_run(r, t, args, log, "%s/txlog/%s" % (self.work, name), "disable",
                                          "without initial connection time", probe)
        if r.status == "ok" and t.stats_port:
            if before and after and None not in before + after:
                (n0, m0), (n1, m1) = before, after
                reads, rreads, waits = n1[0] - n0[0], n1[1] - n0[1], m1[3] - m0[3]
                r.reads, r.rreads = "%d" % reads, "%d" % rreads
                r.share = "%.1f" % (100 * rreads / reads) if reads > 0 else ""
                r.cu, r.to = "%d" % (m1[0] - m0[0]), "%d" % (m1[1] - m0[1])
                r.wait_us = "%.0f" % ((m1[2] - m0[2]) / waits * 1e6) if waits > 0 else ""
            else:
                r.status = "failed"
                r.error = "SHOW NODES or /metrics did not answer (ports %d and %d)" % (t.port, t.stats_port)
        if r.status != "ok":
            self.run_failed(r, log, "%s causal -M %s -c %s round %d" % (target, mode, clients, rnd),
                            ["tps", "lat", "p99", "cpu_us", "reads", "rreads", "share", "cu", "to", "wait_us"])
        self.causal_results.append(r)
        self.append_csv(self.causal_csv, self.stamp, target, mode, clients, s.BENCH_JOBS, s.DURATION,
                        s.BENCH_POOL_SIZE, r.crt, r.tps, r.lat, r.p99, r.txs, r.stale, r.failed or 0, r.reads,
                        r.rreads, r.share, r.cu, r.to, r.wait_us, r.cpu_us, r.status, rnd, r.error)
        say("r%s %-18s causal %-8s c=%-3s tps=%-8s avg=%-6s p99=%-6s ms replica reads=%-5s%% stale=%s "
            "waits=%s/%s mean=%sus %s" % (
                rnd, target, mode, clients, r.tps or "-", r.lat or "-", r.p99 or "-", r.share or "-", r.stale,
                r.cu or "-", r.to or "-", r.wait_us or "-", r.status + (" (%s)" % r.error if r.error else "")))

    # ------------------------------------------------------------ reporting

    def report(self, with_causal=True):
        causal = report_causal(causal_means(self.causal_results))
        if self.causal_only:
            return causal[1:] if causal and causal[0] == "" else causal
        ms = means(self.results)
        return (report_matrix(ms) + report_tls(means(self.tls_results)) + report_idle(self.idle_results)
                + report_classifier(self.classify_results) + (causal if with_causal else [])
                + report_goals(ms, self.idle_results, self.results))

    def machine(self):
        """The machine: CPU model, CPUs."""
        model = next((re.sub(r"^Model name: *", "", l) for l in output(["lscpu"]).split("\n")
                      if l.startswith("Model name:")), "")
        return model, len(os.sched_getaffinity(0))

    def versions(self):
        """What --version prints, first line, of PostgreSQL, PgBouncer, Pgpool-II and pgsteer."""
        def version(cmd, stderr=subprocess.STDOUT):
            return first_line(output(cmd, stderr=stderr))
        return (output([self.pg("postgres"), "--version"]), version(["pgbouncer", "--version"], subprocess.DEVNULL),
                version(["pgpool", "--version"]), self.pgsteer_bin and version([self.pgsteer_bin, "-V"]))

    def write_file_atomically(self, path, text):
        fd, tmp = tempfile.mkstemp(prefix=".performance.md.", dir=os.path.dirname(path))
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)

    def write_performance_doc(self):
        """doc/performance.md (or FILE) with the machine, versions, commands and tables."""
        s, doc, now = self.s, self.doc_file, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        (model, cpus), (postgres, pgbouncer, pgpool, pgsteer) = self.machine(), self.versions()
        mem = next((int(l.split()[1]) for l in file_lines("/proc/meminfo") if l.startswith("MemTotal")), 0)
        autogroup = "on" if read_text("/proc/sys/kernel/sched_autogroup_enabled").strip() == "1" else "off"
        loads = self.words("BENCH_TLS_LOADS")
        tls_args = ("-S {,-C}" if "steady" in loads else "-S -C") if "connect" in loads else "-S"
        tls_info = ", ".join("%s %s" % (t, self.tls_info.get(t) or "(not measured)")
                             for t in self.words("BENCH_TLS_TARGETS"))
        pgbench = "PGSSLMODE=disable pgbench -n -M {%s} -c {%s} -j %s -h 127.0.0.1 -p PORT -U postgres {%s}" % (
            s.BENCH_MODES.replace(" ", ","), s.BENCH_CLIENTS.replace(" ", ","), s.BENCH_JOBS,
            ",".join("-S" if x == "select-only" else "-b " + x for x in self.words("BENCH_SCRIPTS")))
        tls_pgbench = "PGSSLMODE=require pgbench -n -M simple -c {%s} -j %s -h 127.0.0.1 -p PORT -U postgres %s" % (
            s.BENCH_TLS_CLIENTS.replace(" ", ","), s.BENCH_JOBS, tls_args)

        def line_if(condition, text):
            return text + "\n" if condition else ""
        tls_line = line_if(s.BENCH_TLS_TARGETS, (
            "- TLS clients (%s): a self-signed RSA 2048 certificate made for the run; these proxies have "
            "client_tls_sslmode = prefer with it, pgbench uses sslmode=require in the TLS runs and sslmode=disable in "
            "all others (so a proxy without TLS fails the TLS runs); proxy to PostgreSQL is plain (PostgreSQL ssl = "
            "%s). Negotiated (psql \\conninfo): %s. With -C, pgbench's TPS includes connecting and its "
            "per-transaction latencies do not") % (s.BENCH_TLS_TARGETS, self.pg_ssl or "unknown", tls_info))
        text = f"""# pgsteer performance

Written by `contrib/bench.sh --write-doc` on {now} after a run of {self.elapsed()}. Rerun it to refresh.
Numbers are measurements on one machine, not guarantees; tests never assert timings.

## Setup

- Machine: {model}, {cpus} CPUs, {mem / 1048576:.1f} GiB RAM
- Load average when the run started: {self.loadavg_start} (other work on the machine skews results)
- OS: Debian {read_text("/etc/debian_version").rstrip()}, Linux {os.uname().release}
- PostgreSQL: {postgres}, primary + 2 streaming replicas (contrib/pgcluster.sh: fsync off, shared_buffers 16MB; max_connections {s.BENCH_PG_MAX_CONNECTIONS}), all on loopback
{line_if(self.is_started("pgbouncer"), f"- PgBouncer: {pgbouncer}, pool_mode=transaction, default_pool_size={s.BENCH_POOL_SIZE}")}\
{line_if("pgpool" in self.words("BENCH_TARGETS"), f"- Pgpool-II: {pgpool}, streaming_replication mode, load_balance_mode=on over primary + 2 replicas (weights 1:1:1), connection_cache=on, num_init_children={s.BENCH_PGPOOL_CHILDREN}, max_pool=1")}\
{line_if(pgsteer, f"- pgsteer: {pgsteer}, source tree at git {self.src_describe} when the run started, pool_mode=transaction, default_pool_size={s.BENCH_POOL_SIZE}, {self.pgsteer_build}")}\
- Scheduling: every server in a session of its own (PostgreSQL and PgBouncer daemonize, Pgpool-II and pgsteer start under setsid), pgbench in the script's; kernel autogroup scheduling is {autogroup}, under which each session is one CPU group
- Targets: **direct** = the primary; **pgbouncer** and **pgsteer-primary** = the primary only (like for like); **pgpool** and **pgsteer** = primary + 2 replicas, reads balanced/routed to the replicas
{line_if(self.is_started("null-relay"), "- **null-relay** = tests/bench/null_relay.c in front of the primary: a server connection per client, bytes moved with one `recv()` and one `send()` per readiness event and nothing else (no parsing, pooling or routing). Not a product: its CPU per transaction is the floor under any proxy relaying over the same loopback TCP sockets")}\
{line_if(self.is_started("pgsteer-w2"), "- **pgsteer-w2** = pgsteer-primary with `workers = 2` (two event-loop threads whose pools share the pool size: [workers.md](workers.md))")}\
- Load: pgbench -i -s {s.BENCH_SCALE}; each run after a {s.BENCH_WARMUP} s unmeasured warm-up, pgbench on the same host; rounds: {s.BENCH_ROUNDS} (targets interleaved; the tables show means)
- TPS: pgbench's, without connection time. Latency: average and 99th percentile of every transaction in pgbench's per-transaction log (`--log`, written for every target alike)
- Proxy CPU: utime+stime (from /proc) of the proxy process and all its descendants (for Pgpool-II: the parent, all children, reaped ones included) during the run, divided by the transactions processed; direct has no proxy
{tls_line}\
- Idle clients: tests/bench/idle_clients.py logs {s.BENCH_IDLE_CLIENTS} clients in (trust auth, raw protocol), holds them idle, and reads the proxy's VmRSS before and with them; per client = difference ÷ clients
- Where the CPU goes (perf, strace, callgrind) and why some of issue #8's goals are out of reach on this design: [profiling.md](profiling.md), written by hand

## Commands

```sh
# the whole benchmark (as root; installs missing Debian packages):
{self.given_bin()}{self.bench_command} --write-doc
# what it runs, PORT being each target's:
pgbench -i -q -s {s.BENCH_SCALE} -h 127.0.0.1 -p PORT -U postgres postgres
{pgbench} -T {s.BENCH_WARMUP} postgres   # warm-up
{pgbench} -T {s.DURATION} --log --log-prefix=DIR/tx postgres
tests/bench/idle_clients.py --port PORT --pid PROXY_PID --count {s.BENCH_IDLE_CLIENTS}
{line_if(s.BENCH_TLS_TARGETS, f'''# TLS clients (-C: the connect load):
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout server.key -out server.crt
{tls_pgbench} -T {s.BENCH_WARMUP} postgres   # warm-up
{tls_pgbench} -T {s.DURATION} --log --log-prefix=DIR/tx postgres''')}\
{line_if(self.classify_cmd, self.classify_cmd.replace(SRCDIR + "/", ""))}\
```

## Results

How to read them: **TPS ÷ PgBouncer** and **CPU ÷ PgBouncer** compare with PgBouncer on the same script, mode and
client count; **p99 added over direct** is the target's p99 minus direct PostgreSQL's. Proxy CPU counts the proxy
only (PostgreSQL and pgbench share the same {cpus} CPUs, so a proxy that needs less CPU leaves more to them).
A mode a proxy cannot do is shown as **unsupported** with its error, never as a number. TPC-B at scale
{s.BENCH_SCALE} has {s.BENCH_SCALE} branch rows: with more clients than that, its transactions mostly wait on each other's row locks.

"""
        chart = svg_chart(means(self.results))
        if chart:
            svg = os.path.splitext(doc)[0] + ".svg"
            self.write_file_atomically(svg, chart)
            text += "![TPS and proxy CPU per target, script, mode and client count](%s)\n\n" % os.path.basename(svg)
        # (the doc gives the causal runs a section of their own)
        text += "".join(line + "\n" for line in self.report(with_causal=False))
        text += "\n## Generated configurations\n\nPorts are picked at random for each run.\n\n"
        for title, path in (("pgbouncer.ini", "pgbouncer/pgbouncer.ini"), ("pgpool.conf", "pgpool/pgpool.conf"),
                            ("pgsteer.ini (pgsteer-primary)", "pgsteer-primary/pgsteer.ini"),
                            ("pgsteer.ini (pgsteer, with replicas)", "pgsteer/pgsteer.ini"),
                            ("pgsteer.ini (pgsteer-w2)", "pgsteer-w2/pgsteer.ini")):
            text += config_block(title, os.path.join(self.work, path))
        # The causal runs of this run, or the section of an earlier one.
        if s.BENCH_CAUSAL == "1":
            text += self.causal_doc_section()
        else:
            on = False
            for line in file_lines(doc):
                on = line == CAUSAL_HEADING if line.startswith("## ") else on
                text += line + "\n" if on else ""
        self.write_file_atomically(doc, text)
        say("wrote " + doc)

    def given_bin(self):
        return "PGSTEER_BIN=%s " % self.pgsteer_bin_given if self.pgsteer_bin_given else ""

    def causal_doc_section(self):
        """The doc's section of the causal runs ("## Causal reads (issue #22)")."""
        s, now = self.s, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        (model, cpus), (postgres, _, _, pgsteer) = self.machine(), self.versions()
        pgbench = ("PGSSLMODE=disable pgbench -n -M {%s} -c {%s} -j %s -h 127.0.0.1 -p PORT -U postgres "
                   "-f causal.sql") % (s.BENCH_CAUSAL_MODES.replace(" ", ","),
                                       s.BENCH_CAUSAL_CLIENTS.replace(" ", ","), s.BENCH_JOBS)
        results = report_causal(causal_means(self.causal_results))
        results[1:2] = ["### Results"] if len(results) > 1 else []
        return f"""{CAUSAL_HEADING}

Written by `contrib/bench.sh{" --causal-only" if self.causal_only else ""} --write-doc` on {now}. Rerun it to refresh.

### Setup

- Machine: {model}, {cpus} CPUs; load average when the run started: {self.loadavg_start}
- PostgreSQL: {postgres}, primary + 2 streaming replicas (contrib/pgcluster.sh: fsync off), all on loopback; the primary runs with `synchronous_commit = on` (ALTER SYSTEM + reload) for the causal runs only: pgcluster.sh's `off` lets a commit reach the replicas only when the WAL writer flushes it (up to `wal_writer_delay`, 200 ms later)
{f"- pgsteer: {pgsteer}, source tree at git {self.src_describe} when the run started, {self.pgsteer_build}; pool_mode=transaction, default_pool_size={s.BENCH_POOL_SIZE}, read_your_writes = lsn (the default), check_interval 100ms (the default)" + chr(10) if pgsteer else ""}\
- Targets: **direct** = the primary; **pgsteer-causal-off** = pgsteer over primary + 2 replicas with `causal_read_timeout = 0` (reads after a write go to the primary until the monitor sees a replica past it, as before causal reads); **pgsteer-causal** = the same with `causal_read_timeout = {s.BENCH_CAUSAL_TIMEOUT}`
- Load: `bench_causal (id bigint PRIMARY KEY, v int)` with {s.BENCH_CAUSAL_ROWS} rows; pgbench -j {s.BENCH_JOBS}, each run after a {s.BENCH_WARMUP} s unmeasured warm-up, {s.DURATION} s measured; rounds: {s.BENCH_ROUNDS}. The script (`-f`):

```
{read_text(self.causal_sql)}```

### Commands

```sh
{self.given_bin()}{self.causal_command} --write-doc
# what it runs, PORT being each target's:
psql -h 127.0.0.1 -p PRIMARY -U postgres -c 'ALTER SYSTEM SET synchronous_commit = on' -c 'SELECT pg_reload_conf()'
{pgbench} -T {s.BENCH_WARMUP} postgres   # warm-up
{pgbench} -T {s.DURATION} --log --log-prefix=DIR/tx postgres
psql -h 127.0.0.1 -p PORT -U admin pgsteer -c 'SHOW NODES'   # before and after each run: reads per node
curl http://127.0.0.1:STATS_PORT/metrics                       # before and after: pgsteer_causal_wait*
```
""" + "".join(line + "\n" for line in results + [""]) + config_block(
            "pgsteer.ini (pgsteer-causal)", self.work + "/pgsteer-causal/pgsteer.ini")

    def write_causal_doc(self):
        """--causal-only --write-doc: the causal section of the doc replaced (or
        appended), the rest of it left as it is."""
        doc, section = self.doc_file, self.causal_doc_section()
        if os.path.isfile(doc):
            text, on, done, last = "", False, False, ""
            for line in file_lines(doc):
                if line.startswith("## "):
                    on = line == CAUSAL_HEADING
                    if on and not done:
                        text, done = text + section, True
                if not on:
                    text, last = text + line + "\n", line
            if not done:
                text += ("\n" if last != "" else "") + section
        else:
            text = section
        self.write_file_atomically(doc, text)
        say("wrote the causal section of " + doc)

    # ------------------------------------------------------------ main

    def check_settings(self):
        s = self.s
        if os.getuid() != 0:
            die("run as root (installs packages, runs PostgreSQL and PgBouncer as postgres)")
        if to_int(s.DURATION, 0) <= 0:
            die("DURATION must be a positive number of seconds")
        if to_int(s.BENCH_IDLE_CLIENTS, -1) < 0:
            die("BENCH_IDLE_CLIENTS must be a number of clients (0: no idle test)")
        if to_int(s.BENCH_PGPOOL_CHILDREN, 0) <= 0:
            die("BENCH_PGPOOL_CHILDREN must be a positive number")
        for target in self.words("BENCH_TLS_TARGETS"):
            if target not in POOLERS.split():
                die("BENCH_TLS_TARGETS: %s is not a proxy given TLS clients (pgbouncer pgsteer-primary pgsteer "
                    "pgsteer-w2)" % target)
        for load in self.words("BENCH_TLS_LOADS"):
            if load not in ("steady", "connect"):
                die("BENCH_TLS_LOADS: unknown load %s (steady connect)" % load)
        if s.BENCH_CAUSAL not in ("0", "1"):
            die("BENCH_CAUSAL must be 0 or 1")
        if s.BENCH_CAUSAL == "1":
            for mode in self.words("BENCH_CAUSAL_MODES"):
                if mode not in ("simple", "extended", "prepared"):
                    die("BENCH_CAUSAL_MODES: unknown mode %s (simple extended prepared)" % mode)
            for clients in self.words("BENCH_CAUSAL_CLIENTS"):
                if to_int(clients, 0) <= 0:
                    die("BENCH_CAUSAL_CLIENTS: %s is not a number of clients" % clients)
            if to_int(s.BENCH_CAUSAL_ROWS, 0) <= 0:
                die("BENCH_CAUSAL_ROWS must be a positive number")

    def raise_fd_limit(self):
        """The idle test holds BENCH_IDLE_CLIENTS sockets in its client and in
        each pooler (all started from here, so they inherit this limit)."""
        need = int(self.s.BENCH_IDLE_CLIENTS) + 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard < need:
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (soft, need))
            except (ValueError, OSError):
                say("warning: cannot raise the open file limit to %d" % need)
        try:
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass

    def run(self):
        s = self.s
        self.check_settings()
        self.start_targets = self.words("BENCH_TARGETS")
        self.start_targets += [t for t in self.words("BENCH_TLS_TARGETS") if t not in self.words("BENCH_TARGETS")]
        if s.BENCH_CAUSAL == "1":
            self.start_targets += [t for t in CAUSAL_TARGETS if t not in self.start_targets]
        self.install_missing_packages()
        if not os.access(s.PGCLUSTER, os.X_OK):
            die("%s not found" % s.PGCLUSTER)
        say("load average %s on %d CPUs (anything else running skews the numbers)"
            % (self.loadavg_start, len(os.sched_getaffinity(0))))
        self.raise_fd_limit()
        out = os.path.realpath(s.BENCH_OUT)
        self.logdir = "%s/logs-%s" % (out, self.stamp)    # pgbench output, build log, proxy logs and configs
        os.makedirs(self.logdir, exist_ok=True)

        def interrupted(signum, frame):
            raise SystemExit(130)
        signal.signal(signal.SIGINT, interrupted)
        signal.signal(signal.SIGTERM, interrupted)
        try:
            self.work = tempfile.mkdtemp(prefix="pgsteer-bench.", dir="/tmp")
            os.chmod(self.work, 0o755)    # the postgres user keeps the cluster and PgBouncer below it
            return self.measure(out)
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            self.cleanup()

    def measure(self, out):
        """Everything from the build to the doc; the exit status."""
        s = self.s
        self.csv = "%s/bench-%s.csv" % (out, self.stamp)
        self.idle_csv = "%s/idle-%s.csv" % (out, self.stamp)
        self.classify_csv = "%s/classify-%s.csv" % (out, self.stamp)
        self.tls_csv = "%s/tls-%s.csv" % (out, self.stamp)
        self.causal_csv = ""
        if not self.causal_only:
            run_columns = ("mode,clients,jobs,duration_s,pool_size,tps,latency_avg_ms,latency_p99_ms,transactions,"
                           "failed_transactions,proxy_cpu_us_per_tx,status,round,error")
            for path, header in (
                    (self.csv, "stamp,target,script," + run_columns),
                    (self.tls_csv, "stamp,target,load," + run_columns),
                    (self.idle_csv, "stamp,target,clients,rss_before_kib,rss_idle_kib,rss_per_client_kib,"
                                    "open_seconds,status,error"),
                    (self.classify_csv, "stamp,short_statements,short_median_ns,short_p99_ns,all_statements,"
                                        "all_median_ns,all_p99_ns,million_statements_per_s,steady_state_mallocs")):
                write_file(path, header + "\n")
        if s.BENCH_CAUSAL == "1":
            self.causal_csv = "%s/causal-%s.csv" % (out, self.stamp)
            write_file(self.causal_csv, "stamp,target,mode,clients,jobs,duration_s,pool_size,causal_read_timeout,tps,"
                       "latency_avg_ms,latency_p99_ms,transactions,stale_reads,failed_transactions,reads,replica_reads,"
                       "replica_read_share_pct,causal_caught_up,causal_timeout,causal_wait_mean_us,"
                       "proxy_cpu_us_per_tx,status,round,error\n")

        if any(self.is_started(t) for t in PGSTEER_TARGETS + ["null-relay"]):
            self.build_pgsteer()
        self.start_cluster()
        if s.BENCH_TLS_TARGETS:
            self.make_tls_cert()
            self.pg_ssl = self.psql_at(self.pg_port, "SHOW ssl")
        for name in self.start_targets:
            self.start_target(name)
        self.run_all()
        return self.finish(out)

    def run_all(self):
        """The matrix, the idle test, the TLS runs, the causal runs, the classifier."""
        s = self.s

        def measured(names):
            return [n for n in names if not self.targets[n].skip]
        rounds = range(1, (to_int(s.BENCH_ROUNDS) or 0) + 1)
        for rnd in rounds:
            for script in self.words("BENCH_SCRIPTS"):
                for mode in self.words("BENCH_MODES"):
                    for clients in self.words("BENCH_CLIENTS"):
                        for target in measured(self.words("BENCH_TARGETS")):
                            self.run_one(target, script, mode, clients, rnd)
        if int(s.BENCH_IDLE_CLIENTS) > 0:
            for target in self.words("BENCH_IDLE_TARGETS"):
                if target not in self.words("BENCH_TARGETS"):
                    continue
                if target not in POOLERS.split():
                    die("BENCH_IDLE_TARGETS: %s is not a pooler given the idle test (pgbouncer pgsteer-primary "
                        "pgsteer pgsteer-w2)" % target)
                if not self.targets[target].skip:
                    self.idle_one(target)
        # TLS clients, after the idle test: its RSS is measured before any TLS
        # session has come and gone.
        if s.BENCH_TLS_TARGETS:
            for target in measured(self.words("BENCH_TLS_TARGETS")):
                self.tls_probe(target)
            for rnd in rounds:
                for load in self.words("BENCH_TLS_LOADS"):
                    for clients in self.words("BENCH_TLS_CLIENTS"):
                        for target in measured(self.words("BENCH_TLS_TARGETS")):
                            self.run_one(target, "select-only", "simple", clients, rnd, load)
        # Causal reads last: they turn synchronous_commit on for their runs.
        if s.BENCH_CAUSAL == "1":
            self.causal_setup()
            for rnd in rounds:
                for mode in self.words("BENCH_CAUSAL_MODES"):
                    for clients in self.words("BENCH_CAUSAL_CLIENTS"):
                        for target in measured(CAUSAL_TARGETS):
                            self.run_causal(target, mode, clients, rnd)
            self.causal_teardown()
        if s.BENCH_CLASSIFY_BIN != "none":
            self.run_classifier()

    def finish(self, out):
        """The tables, and the doc from a complete run; the exit status."""
        table = "%s/bench-%s.md" % (out, self.stamp)
        text = "".join(line + "\n" for line in self.report())
        sys.stdout.write(text)
        sys.stdout.flush()
        write_file(table, text)
        if self.causal_only:
            say("raw numbers: %s; tables: %s; logs: %s" % (self.causal_csv, table, self.logdir))
        else:
            say("raw numbers: %s %s %s %s%s; tables: %s; logs: %s" % (
                self.csv, self.tls_csv, self.idle_csv, self.classify_csv,
                " " + self.causal_csv if self.causal_csv else "", table, self.logdir))
        say("finished in " + self.elapsed())
        if self.problems:
            loud("INCOMPLETE RUN: not everything was measured", *self.problems)
            if self.write_doc:
                say("not writing %s from an incomplete run" % self.doc_file)
            return 3
        if self.write_doc:
            if self.causal_only:
                self.write_causal_doc()
            else:
                self.write_performance_doc()
        return 0


def main():
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding="utf-8", errors="replace")
    bench = Bench(sys.argv[1:])
    return bench.run()


if __name__ == "__main__":
    sys.exit(main())
