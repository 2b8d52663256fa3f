"""Helpers for pgsteer's integration tests: free loopback ports, polling with
deadlines, the config generator (dict -> ini text), the pgsteer process
wrapper, and psycopg connection shortcuts. No fixtures here (see conftest.py).
"""
import atexit
import collections
import os
import random
import signal
import socket
import subprocess
import time

import psycopg

import pgwire

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PGCLUSTER = os.path.join(REPO, "contrib", "pgcluster.sh")
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
PGSTEER_BIN = os.environ.get("PGSTEER_BIN") or os.path.join(REPO, "build", "src", "pgsteer")
SUPERUSER = "postgres"


def port_is_free(port):
    """True if nothing listens on 127.0.0.1:port and we could bind it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def ephemeral_low():
    """The first port of the kernel's ephemeral range (outgoing connections
    take their local ports from it, at any moment)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_recent_ports = collections.deque(maxlen=256)


def free_port():
    """One free loopback port below the ephemeral range: a port the kernel
    chose with bind(0) is an ephemeral one, which any outgoing connection
    may take before the server that was to listen on it binds it."""
    high = ephemeral_low()
    for _ in range(200):
        port = random.randrange(10000, high)
        if port not in _recent_ports and port_is_free(port):
            _recent_ports.append(port)   # not handed out twice before its server binds it
            return port
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_port_range(count, low=10000, high=None, tries=200):
    """A base port such that base..base+count-1 are all free (below the
    ephemeral range, as free_port())."""
    high = min(high or ephemeral_low(), ephemeral_low())
    for _ in range(tries):
        base = random.randrange(low, high - count)
        if all(port_is_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no free range of %d loopback ports" % count)


def wait_for(cond, timeout, what, interval=0.05):
    """Poll cond() until it returns a true value; fail with 'what' after timeout s."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = cond()
            if v:
                return v
        except Exception as e:  # the condition may fail until it holds
            last_exc = e
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s%s" % (
        timeout, what, " (last error: %r)" % last_exc if last_exc else ""))


def port_accepts(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def render_ini(sections):
    """dict of section -> dict of key -> value  ->  ini text.

    Values: str/int as is, bool as on/off, None drops the key. Section and
    key order is kept, so a test can predict line numbers.
    """
    out = []
    for name, keys in sections.items():
        if out:
            out.append("")
        out.append("[%s]" % name)
        for k, v in (keys or {}).items():
            if v is None:
                continue
            if isinstance(v, bool):
                v = "on" if v else "off"
            out.append("%s = %s" % (k, v) if v != "" else "%s =" % k)
    return "\n".join(out) + "\n"


def suite_workers():
    """The worker threads of every pgsteer the suite starts unless a test
    says otherwise (PGSTEER_TEST_WORKERS, set by contrib/check.sh's second
    run; 1 when unset). Each worker has pools of its own, which share the
    pool size."""
    return int(os.environ.get("PGSTEER_TEST_WORKERS") or 1)


def pgsteer_sections(cluster, listen_port, nodes=None, extra=None, **opts):
    """The standard config: primary first (until the monitor lands pgsteer
    sends everything to the first node), then the two replicas."""
    main = {
        "listen_addr": "127.0.0.1",
        "listen_port": listen_port,
        "auth_type": "trust",
        "pool_mode": "transaction",
        "default_pool_size": 10,
        "max_client_conn": 1000,
        "admin_users": "admin",
        "shutdown_timeout": "3s",
    }
    if suite_workers() > 1:
        main["workers"] = suite_workers()
    main.update(opts)
    sections = {"pgsteer": main, "stats": {"listen": ""}, "cluster.main": {}}
    if nodes is None:
        nodes = [cluster.port, cluster.port + 1, cluster.port + 2]
    for i, port in enumerate(nodes, 1):
        sections["node.main%d" % i] = {"cluster": "main", "host": "127.0.0.1", "port": port}
    for name, keys in (extra or {}).items():
        sections.setdefault(name, {}).update(keys)
    return sections


def primary_only(factory, cluster):
    """Wrap a pgsteer factory so the primary is the only node: for tests of
    the proxy core (protocol, pooling, auth), where read routing to replicas
    would only blur what is measured. Routing has its own tests."""
    def start(**opts):
        opts.setdefault("nodes", [cluster.port])
        return factory(**opts)
    return start


def connect(port, user=SUPERUSER, dbname="postgres", host="127.0.0.1", autocommit=True, **kw):
    """A psycopg connection with psycopg's defaults: statements run five
    times are prepared (named), which transaction pooling must carry. The
    admin console (database "pgsteer") speaks the simple protocol only, as
    PgBouncer's does: no prepared statements there."""
    kw.setdefault("connect_timeout", 10)
    if dbname == "pgsteer":
        kw.setdefault("prepare_threshold", None)
    return psycopg.connect(host=host, port=port, user=user, dbname=dbname,
                           autocommit=autocommit, **kw)


def admin_rows(p, sql):
    """Rows of an admin console command on pgsteer P, as dicts by column."""
    with connect(p.port, user="admin", dbname="pgsteer") as a:
        cur = a.execute(sql)
        cols = [d.name for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]


def login_roles(cluster, names):
    """Generator for a fixture: LOGIN roles NAMES (quoted, so any name works)
    exist while it is suspended, and are dropped after."""
    with cluster.connect() as c:
        for name in names:
            c.execute('DROP ROLE IF EXISTS "%s"' % name)
            c.execute('CREATE ROLE "%s" LOGIN' % name)
    yield names
    with cluster.connect() as c:
        for name in names:
            c.execute('DROP ROLE IF EXISTS "%s"' % name)


def scalar(conn, sql, params=None):
    return conn.execute(sql, params).fetchone()[0]


class Pgsteer:
    """A pgsteer process started in the foreground with a generated config;
    stderr/stdout go to log_path."""

    def __init__(self, config_path, log_path, port, wrapper=()):
        self.config_path = config_path
        self.log_path = log_path
        self.port = port
        self.wrapper = list(wrapper)   # e.g. valgrind and its options (contrib/soak.py)
        self.proc = None

    # every running instance, so a failing test's report can show their logs
    live = []

    def start(self, timeout=15):
        if not os.access(PGSTEER_BIN, os.X_OK):
            raise AssertionError("pgsteer binary not found at %s (set PGSTEER_BIN)" % PGSTEER_BIN)
        logf = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(self.wrapper + [PGSTEER_BIN, "-c", self.config_path],
                                         stdin=subprocess.DEVNULL, stdout=logf,
                                         stderr=subprocess.STDOUT)
        finally:
            logf.close()
        Pgsteer.live.append(self)
        atexit.register(self.stop)  # even if the test session is interrupted
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("pgsteer exited with %s during startup:\n%s"
                                     % (self.proc.returncode, self.log()))
            if port_accepts(self.port):
                return self
            time.sleep(0.02)
        self.stop()
        raise AssertionError("pgsteer did not accept connections on %d within %ss:\n%s"
                             % (self.port, timeout, self.log()))

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL after the deadline. Returns the exit code."""
        p, self.proc = self.proc, None
        if self in Pgsteer.live:
            Pgsteer.live.remove(self)
        if p is None:
            return None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        return p.returncode

    def assert_clean_exit(self, rc):
        """A stopped pgsteer must have exited 0 (graceful SIGTERM) with no
        sanitizer or valgrind report in its log."""
        log = self.log()
        bad = [m for m in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                           "WARNING: ThreadSanitizer", "Invalid read of", "Invalid write of")
               if m in log]
        if rc not in (0, None) or bad:
            raise AssertionError("pgsteer did not exit cleanly (exit %s%s):\n%s" % (
                rc, ", found " + ", ".join(bad) if bad else "", log[-6000:]))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def dsn(self, user=SUPERUSER, dbname="postgres", **kw):
        parts = {"host": "127.0.0.1", "port": self.port, "user": user, "dbname": dbname}
        parts.update(kw)
        return " ".join("%s=%s" % (k, v) for k, v in parts.items())

    def connect(self, **kw):
        return connect(self.port, **kw)


def prepend_server_hba(cluster, lines, probe_role):
    """Put LINES (pg_hba.conf rules) before the primary's own rules and
    reload; poll until the server asks PROBE_ROLE (one of the lines' roles)
    for a password. Returns the original file for restore_server_hba()."""

    def applied():
        try:
            s, _ = pgwire.login(cluster.port, probe_role)
            s.close()
            return False
        except pgwire.ProtocolError:
            return True
    path = os.path.join(cluster.dir, "primary", "pg_hba.conf")
    with open(path) as f:
        original = f.read()
    with open(path, "w") as f:
        f.write("".join(lines) + original)
    with cluster.connect() as c:
        c.execute("SELECT pg_reload_conf()")
    wait_for(applied, 10, "pg_hba.conf reload")
    return original


def restore_server_hba(cluster, original):
    with open(os.path.join(cluster.dir, "primary", "pg_hba.conf"), "w") as f:
        f.write(original)
    with cluster.connect() as c:
        c.execute("SELECT pg_reload_conf()")


def as_postgres(*cmd):
    """Run a PostgreSQL tool as the postgres user (servers refuse root)."""
    if os.geteuid() == 0:
        cmd = ("runuser", "-u", "postgres", "--") + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def pg_ctl(cluster, node, *args):
    """pg_ctl on a node of a contrib/pgcluster.sh cluster (primary, replica1, replica2)."""
    r = as_postgres(os.path.join(PG_BIN, "pg_ctl"), "-D", os.path.join(cluster.dir, node), *args)
    assert r.returncode == 0, "pg_ctl %s %s: %s%s" % (node, args, r.stdout, r.stderr)


def node_running(cluster, node):
    return as_postgres(os.path.join(PG_BIN, "pg_ctl"), "-D",
                       os.path.join(cluster.dir, node), "status").returncode == 0


def start_node(cluster, node):
    """Start a stopped node the way contrib/pgcluster.sh does (its pgcluster.conf
    is still in place)."""
    if node_running(cluster, node):
        return
    pg_ctl(cluster, node, "-l", os.path.join(cluster.dir, node + ".log"), "-w", "-t", "90", "start")


def wait_reads_on_both_replicas(p, cluster, timeout=15):
    """Poll until a burst of reads through pgsteer P lands on both replicas:
    the monitor has checked them and the weighted pick uses both."""
    def both():
        with p.connect() as c:
            return {scalar(c, "SELECT inet_server_port()") for _ in range(20)} == \
                set(cluster.replica_ports)
    wait_for(both, timeout, "reads routed to both replicas")


class SlowLink:
    """A TCP relay to 127.0.0.1:TARGET in this process whose answers (the
    target's bytes) can be held back: set `delay` (seconds) and every chunk
    the target sends from then on reaches the other side that much after
    it came (two chunks that came together still go together). The
    requests go through at once. stop() closes everything."""

    def __init__(self, target):
        import threading
        self.target, self.delay, self.port = target, 0.0, free_port()
        self._threading = threading
        self._socks = []
        self._ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._ls.bind(("127.0.0.1", self.port))
        self._ls.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import queue
        while True:
            try:
                c, _ = self._ls.accept()
                t = socket.create_connection(("127.0.0.1", self.target), timeout=5)
            except OSError:
                return
            t.settimeout(None)
            self._socks += [c, t]
            q = queue.Queue()
            self._threading.Thread(target=self._pipe, args=(c, t, None), daemon=True).start()
            self._threading.Thread(target=self._pipe, args=(t, None, q), daemon=True).start()
            self._threading.Thread(target=self._later, args=(q, c, t), daemon=True).start()

    def _pipe(self, src, dst, q):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if q is None:
                    dst.sendall(data)
                else:
                    q.put((time.monotonic() + self.delay, data))
        except OSError:
            pass
        if q is not None:
            q.put((0, b""))
            return
        self._close(src, dst)

    def _later(self, q, dst, src):
        try:
            while True:
                when, data = q.get()
                if not data:
                    break
                wait = when - time.monotonic()  # read once: sleep() refuses a negative time
                if wait > 0:
                    time.sleep(wait)
                dst.sendall(data)
        except OSError:
            pass
        self._close(src, dst)

    @staticmethod
    def _close(*socks):
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        # shutdown() first: a thread blocked in accept() or recv() keeps a
        # socket that is only closed alive (its backend would linger)
        for s in [self._ls] + self._socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
