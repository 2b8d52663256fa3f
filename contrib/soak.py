#!/usr/bin/env python3
"""Soak test driver behind contrib/soak.sh (see there for usage).

Starts a throwaway primary + 2 replicas (contrib/pgcluster.sh), then:

1. load: pgsteer (the -O2 binary) under WORKERS threads that connect,
   query, disconnect in random patterns for SECONDS: short sessions of 1-5
   statements, abandoned transactions, queries cancelled with a
   CancelRequest, clients killed (TCP RST) in the middle of a query, clients
   gone without Terminate or half-way through their startup packet, idle
   holders. /proc/PID/fd and VmRSS are sampled twice a second. Checks: no fd
   leak (once the clients are gone and idle server connections have timed
   out, the fd count is back to what it was before the first client) and
   RSS flat after warm-up (the last third of the run ends less than
   RSS_GROWTH above the RSS at the end of warm-up, the first third).
2. valgrind: the same load, slower and shorter, with pgsteer under
   valgrind --leak-check=full; after SIGTERM the report must have no error
   and no definitely or indirectly lost block.

Prints the figures and exits 0 when every check held, 1 otherwise.
Owns its temp dir, cluster and pgsteer processes; stops all of them.
"""
import argparse
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import psycopg  # noqa: E402

import helpers  # noqa: E402
import pgwire  # noqa: E402

RSS_GROWTH = 0.20
FD_SETTLE_S = 30        # how long the fd count may take to come back


def proc_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def proc_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.unexpected = []

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def fail(self, what):
        with self.lock:
            self.unexpected.append(what)


def connect(port):
    return helpers.connect(port, connect_timeout=10)


# ------------------------------------------------------------ client patterns

def short_session(port, rnd, t):
    with connect(port) as c:
        for _ in range(rnd.randint(1, 5)):
            q = rnd.choice(["SELECT 1", "SELECT count(*) FROM soak",
                            "INSERT INTO soak (v) VALUES (%d)" % rnd.randint(0, 1000),
                            "SELECT pg_sleep(0.005)", "SELECT repeat('x', 20000)"])
            c.execute(q).fetchall() if q.startswith("SELECT") else c.execute(q)
    t.add("short sessions")


def abandoned_transaction(port, rnd, t):
    c = connect(port)
    c.autocommit = False
    c.execute("INSERT INTO soak (v) VALUES (-1)")
    c.close()          # never committed: the server must roll it back
    t.add("abandoned transactions")


def cancelled_query(port, rnd, t):
    with connect(port) as c:
        timer = threading.Timer(rnd.uniform(0.02, 0.08), c.cancel)
        timer.start()
        try:
            c.execute("SELECT pg_sleep(3)")
            t.add("cancels not honoured")
        except psycopg.errors.QueryCanceled:
            t.add("queries cancelled")
        finally:
            timer.cancel()
        assert helpers.scalar(c, "SELECT 7") == 7     # the session survives its cancel


def killed_mid_query(port, rnd, t):
    s, _ = pgwire.login(port, helpers.SUPERUSER)
    s.sendall(pgwire.message(b"Q", b"SELECT pg_sleep(0.3)\0"))
    time.sleep(rnd.uniform(0, 0.05))   # part of the pattern: die at a random point
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    t.add("clients killed mid-query")


def gone_without_terminate(port, rnd, t):
    if rnd.random() < 0.5:
        s, _ = pgwire.login(port, helpers.SUPERUSER)
    else:
        s = pgwire.open_socket(port)
        pkt = pgwire.startup_packet(helpers.SUPERUSER)
        s.sendall(pkt[:rnd.randint(1, len(pkt) - 1)])
    s.close()
    t.add("clients gone without Terminate")


def idle_holder(port, rnd, t):
    with connect(port) as c:
        c.execute("SELECT 1")
        time.sleep(rnd.uniform(0, 0.2))   # part of the pattern: an idle client
    t.add("idle holders")


PATTERNS = [(short_session, 50), (abandoned_transaction, 10), (cancelled_query, 10),
            (killed_mid_query, 10), (gone_without_terminate, 10), (idle_holder, 10)]


def run_load(port, seconds, workers, t, seed, clients=0, max_seconds=None):
    """WORKERS threads running random client patterns until SECONDS have
    passed and CLIENTS connections were made, or MAX_SECONDS have passed."""
    t0 = time.monotonic()
    max_seconds = max_seconds or seconds
    names = [p for p, _ in PATTERNS]
    weights = [w for _, w in PATTERNS]

    def done():
        elapsed = time.monotonic() - t0
        return elapsed >= max_seconds or (
            elapsed >= seconds and t.counts.get("connections", 0) >= clients)

    def worker(w):
        rnd = random.Random(seed * 1000 + w)
        while not done():
            fn = rnd.choices(names, weights)[0]
            try:
                fn(port, rnd, t)
            except Exception as e:
                t.fail("%s: %s: %s" % (fn.__name__, type(e).__name__, str(e).strip()[:160]))
            t.add("connections")

    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(workers)]
    for th in threads:
        th.start()
    return threads


# ------------------------------------------------------------ pgsteer

def write_config(workdir, cluster_port, listen_port, workers=1):
    sections = {
        "pgsteer": {"listen_addr": "127.0.0.1", "listen_port": listen_port,
                    "auth_type": "trust", "pool_mode": "transaction",
                    "default_pool_size": 20, "max_client_conn": 5000,
                    "admin_users": "admin", "shutdown_timeout": "3s",
                    "server_idle_timeout": "2s", "query_wait_timeout": "30s",
                    "workers": workers},
        "stats": {"listen": ""},
        "routing": {"check_interval": "100ms"},
        "cluster.main": {},
    }
    for i, port in enumerate([cluster_port, cluster_port + 1, cluster_port + 2], 1):
        sections["node.main%d" % i] = {"cluster": "main", "host": "127.0.0.1", "port": port}
    path = os.path.join(workdir, "pgsteer-%d.ini" % listen_port)
    with open(path, "w") as f:
        f.write(helpers.render_ini(sections))
    return path


def nodes_up(port):
    """True once SHOW NODES on the admin console has every node up."""
    try:
        with helpers.connect(port, user="admin", dbname="pgsteer", connect_timeout=3) as a:
            cur = a.execute("SHOW NODES")
            up = [d.name for d in cur.description].index("up")
            rows = cur.fetchall()
        return len(rows) == 3 and all(r[up] is True for r in rows)
    except psycopg.Error:
        return False


def wait_until(cond, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return cond()


# ------------------------------------------------------------ phases

def phase_load(args, workdir, cluster_port, problems):
    port = helpers.free_port()
    cfg = write_config(workdir, cluster_port, port)
    log = os.path.join(workdir, "pgsteer-load.log")
    steer = helpers.Pgsteer(cfg, log, port).start()
    proc = steer.proc
    t = Tally()
    samples = []
    try:
        # the monitor's connections are part of the baseline: wait for them
        if not wait_until(lambda: nodes_up(port), 30):
            problems.append("the monitor did not see all three nodes up")
        fd0, rss0 = proc_fds(proc.pid), proc_rss_kb(proc.pid)
        t0 = time.monotonic()
        threads = run_load(port, args.seconds, args.workers, t, args.seed,
                           clients=args.clients, max_seconds=args.max_seconds)
        while any(th.is_alive() for th in threads):
            samples.append((time.monotonic() - t0, proc_rss_kb(proc.pid), proc_fds(proc.pid)))
            time.sleep(0.5)    # the sampling period
        for th in threads:
            th.join()
        settled = wait_until(lambda: proc_fds(proc.pid) <= fd0, FD_SETTLE_S)
        fd_end = proc_fds(proc.pid)
    finally:
        rc = steer.stop(timeout=60)
    ran = samples[-1][0] if samples else 0.0
    warm = [s for s in samples if s[0] <= ran / 3.0]
    late = [s for s in samples if s[0] >= 2 * ran / 3.0]
    rss_warm = warm[-1][1] if warm else rss0
    rss_end = late[-1][1] if late else samples[-1][1]
    rss_late_max = max(s[1] for s in late) if late else rss_end
    fd_peak = max(s[2] for s in samples) if samples else fd0
    growth = (rss_late_max - rss_warm) / float(rss_warm)
    print("soak load: %.0fs, %d workers, %d connections (aim %d): %s" % (
        ran, args.workers, t.counts.get("connections", 0), args.clients,
        ", ".join("%s %d" % kv for kv in sorted(t.counts.items()) if kv[0] != "connections")))
    print("soak load: fds before %d, peak %d, after %d%s" % (
        fd0, fd_peak, fd_end, "" if settled else " (did not come back within %ds)" % FD_SETTLE_S))
    print("soak load: RSS start %d kB, after warm-up %d kB, end %d kB (max of the last third "
          "%d kB, %+.1f%% after warm-up)" % (rss0, rss_warm, rss_end, rss_late_max, 100 * growth))
    if not settled:
        problems.append("fd leak: %d fds before the load, %d after" % (fd0, fd_end))
    if growth >= RSS_GROWTH:
        problems.append("RSS grew %.1f%% after warm-up (bound %.0f%%)" % (100 * growth,
                                                                          100 * RSS_GROWTH))
    if rc != 0:
        problems.append("pgsteer exited with %s after the load (log %s)" % (rc, log))
    report_unexpected(t, problems)


def report_unexpected(t, problems):
    """Client errors are failures: every pattern is one a proxy must survive."""
    if t.unexpected:
        kinds = {}
        for u in t.unexpected:
            kinds.setdefault(re.sub(r"\d+", "N", u)[:120], u)
        problems.append("%d client operations failed: %s" % (
            len(t.unexpected), "; ".join(list(kinds.values())[:5])))


def phase_valgrind(args, workdir, cluster_port, problems):
    port = helpers.free_port()
    cfg = write_config(workdir, cluster_port, port, workers=args.valgrind_pgsteer_workers)
    log = os.path.join(workdir, "pgsteer-valgrind.log")
    vg = os.path.join(workdir, "valgrind.txt")
    valgrind = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect",
                "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
                "--log-file=" + vg]
    steer = helpers.Pgsteer(cfg, log, port, wrapper=valgrind).start(timeout=120)
    t = Tally()
    try:
        threads = run_load(port, args.valgrind_seconds, max(2, args.workers // 4), t,
                           args.seed + 1)
        for th in threads:
            th.join()
    finally:
        rc = steer.stop(timeout=120)
    with open(vg, errors="replace") as f:
        report = f.read()
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", report)
    lost = re.findall(r"(definitely|indirectly|possibly) lost: ([\d,]+) bytes", report)
    in_use = re.search(r"in use at exit: [\d,]+ bytes in [\d,]+ blocks", report)
    print("soak valgrind: %.0fs, workers = %d, %d connections (%s); exit %s; %s; %s; %s" % (
        args.valgrind_seconds, args.valgrind_pgsteer_workers, t.counts.get("connections", 0),
        ", ".join("%s %d" % kv for kv in sorted(t.counts.items()) if kv[0] != "connections"),
        rc, summary.group(0) if summary else "no ERROR SUMMARY",
        in_use.group(0) if in_use else "no heap summary (did pgsteer exit normally?)",
        ", ".join("%s lost %s bytes" % kv for kv in lost) or "no leak reported"))
    if rc != 0 or not summary or summary.group(1) != "0" or not in_use:
        tail = report[-4000:]
        problems.append("valgrind: exit %s, %s\n%s" % (
            rc, summary.group(0) if summary else "no summary", tail))
    report_unexpected(t, problems)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=1800)
    ap.add_argument("--workers", type=int, default=32)
    ap.add_argument("--valgrind-seconds", type=float, default=120)
    ap.add_argument("--valgrind-pgsteer-workers", type=int, default=1,
                    help="pgsteer's workers (threads) in the valgrind phase")
    ap.add_argument("--clients", type=int, default=2000,
                    help="connections to aim at: the load goes on past --seconds until "
                    "this many were made, up to --max-seconds (a slow machine: fewer)")
    ap.add_argument("--max-seconds", type=float, default=None)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--bin", default=os.environ.get("PGSTEER_BIN") or
                    os.path.join(REPO, "build", "src", "pgsteer"))
    args = ap.parse_args()
    if args.max_seconds is None:
        args.max_seconds = 2 * args.seconds
    # SIGTERM (timeout(1) in check.sh) unwinds like Ctrl-C: the finally
    # blocks below stop pgsteer and destroy the cluster
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit("soak: terminated"))
    helpers.PGSTEER_BIN = args.bin
    if not os.access(args.bin, os.X_OK):
        print("soak: no pgsteer binary at %s" % args.bin, file=sys.stderr)
        return 1
    workdir = tempfile.mkdtemp(prefix="pgsteer-soak-")
    os.chmod(workdir, 0o755)
    cluster_dir = os.path.join(workdir, "pg")
    problems = []
    try:
        t_start = time.monotonic()
        cluster_port = helpers.free_port_range(3)
        r = subprocess.run([helpers.PGCLUSTER, "start", cluster_dir, str(cluster_port)],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            print("soak: pgcluster.sh start failed:\n" + r.stdout + r.stderr, file=sys.stderr)
            return 1
        with helpers.connect(cluster_port) as c:
            c.execute("CREATE TABLE soak (id bigserial PRIMARY KEY, v int)")
            lsn = c.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
        # written around pgsteer, so not covered by read-your-writes: reads
        # may go to a replica at once, so the replicas must have the table first
        for port in (cluster_port + 1, cluster_port + 2):
            with helpers.connect(port) as r:
                if not wait_until(lambda: r.execute(
                        "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()[0], 60):
                    print("soak: replica on port %d did not replay the setup" % port, file=sys.stderr)
                    return 1
        t0 = time.monotonic()
        phase_load(args, workdir, cluster_port, problems)
        t1 = time.monotonic()
        if args.valgrind_seconds > 0:
            phase_valgrind(args, workdir, cluster_port, problems)
        print("soak: cluster start %.1fs, load phase %.1fs, valgrind phase %.1fs" % (
            t0 - t_start, t1 - t0, time.monotonic() - t1))
    finally:
        subprocess.run([helpers.PGCLUSTER, "destroy", cluster_dir], capture_output=True,
                       timeout=180)
        if not problems:
            shutil.rmtree(workdir, ignore_errors=True)
    for p in problems:
        print("soak: FAILED: " + p, file=sys.stderr)
    print("soak: %s" % ("ok" if not problems else "%d check(s) failed (logs in %s)"
                        % (len(problems), workdir)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
