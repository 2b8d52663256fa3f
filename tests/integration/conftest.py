"""Fixtures for pgsteer's integration tests.

- cluster (session): a real primary + 2 streaming replicas, started once by
  contrib/pgcluster.sh in a temp dir on free loopback ports, destroyed at the
  end even on failure (finalizer + atexit).
- pgsteer (function): a factory; pgsteer(**opts) writes a config (primary
  first) and starts `pgsteer -c FILE` in the foreground, waits for its port,
  stops it with SIGTERM/SIGKILL afterwards. Its log is attached to the
  report of a failing test.
- primary: a direct autocommit superuser connection to the primary.
"""
import atexit
import os
import shutil
import signal
import subprocess
import tempfile

import pytest

import helpers
from helpers import PGCLUSTER


class Cluster:
    def __init__(self, base_dir, port):
        self.base_dir = base_dir
        self.dir = os.path.join(base_dir, "pg")
        self.port = port
        self.replica_ports = [port + 1, port + 2]
        self._destroyed = False

    def start(self):
        r = subprocess.run([PGCLUSTER, "start", self.dir, str(self.port)],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError("pgcluster.sh start failed (%d):\n%s%s"
                               % (r.returncode, r.stdout, r.stderr))

    def destroy(self):
        if self._destroyed:
            return
        self._destroyed = True
        subprocess.run([PGCLUSTER, "destroy", self.dir], capture_output=True, timeout=180)
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def connect(self, port=None, **kw):
        return helpers.connect(port or self.port, **kw)

    def log(self, node="primary"):
        try:
            with open(os.path.join(self.dir, node + ".log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""


@pytest.fixture(scope="session")
def cluster(request):
    last_err = None
    for _ in range(3):  # a port may be taken between the check and the bind
        base_dir = tempfile.mkdtemp(prefix="pgsteer-it-")
        os.chmod(base_dir, 0o755)  # the postgres user must reach DIR inside it
        c = Cluster(base_dir, helpers.free_port_range(3))
        atexit.register(c.destroy)
        try:
            c.start()
            break
        except Exception as e:
            last_err = e
            c.destroy()
    else:
        raise last_err
    request.addfinalizer(c.destroy)
    return c


@pytest.fixture
def private_cluster(request):
    """A primary + 2 replicas of the test's own, for tests that promote, stop
    or kill nodes; destroyed at the end."""
    base_dir = tempfile.mkdtemp(prefix="pgsteer-priv-")
    os.chmod(base_dir, 0o755)
    c = Cluster(base_dir, helpers.free_port_range(3))
    request.addfinalizer(c.destroy)
    c.start()
    return c


@pytest.fixture
def primary(cluster):
    conn = cluster.connect()
    yield conn
    conn.close()


def _factory(cluster, workdir, started):
    def start(nodes=None, extra=None, **opts):
        n = len(started)
        port = helpers.free_port()
        sections = helpers.pgsteer_sections(cluster, port, nodes=nodes, extra=extra, **opts)
        cfg = workdir / ("pgsteer%d.ini" % n)
        cfg.write_text(helpers.render_ini(sections))
        log = str(workdir / ("pgsteer%d.log" % n))
        p = helpers.Pgsteer(str(cfg), log, port)
        started.append(p)
        return p.start()
    return start


def _stop_all(started):
    """Stop every instance; each must exit cleanly (no crash, leak or sanitizer
    report), which is how the ASan/UBSan run of this suite catches memory bugs."""
    problems = []
    for p in started:
        try:
            p.assert_clean_exit(p.stop())
        except AssertionError as e:
            problems.append(str(e))
    assert not problems, "\n\n".join(problems)


@pytest.fixture
def pgsteer(cluster, tmp_path):
    """Factory: pgsteer(nodes=None, extra=None, **pgsteer_section_keys) -> Pgsteer,
    stopped after the test."""
    started = []
    yield _factory(cluster, tmp_path, started)
    _stop_all(started)


@pytest.fixture(scope="module")
def pgsteer_module(cluster, tmp_path_factory):
    """The same factory, for instances shared by a module's tests."""
    started = []
    yield _factory(cluster, tmp_path_factory.mktemp("pgsteer"), started)
    _stop_all(started)


@pytest.fixture
def proxy(pgsteer):
    """A pgsteer with the default config (transaction pooling, trust)."""
    return pgsteer()


def pytest_configure(config):
    # SIGTERM (e.g. from `timeout`) ends the run like Ctrl-C, so fixture
    # finalizers and atexit handlers still stop the clusters and pgsteer.
    def on_term(signum, frame):
        raise KeyboardInterrupt("SIGTERM")
    signal.signal(signal.SIGTERM, on_term)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for i, p in enumerate(helpers.Pgsteer.live):
            text = p.log()
            if len(text) > 20000:
                text = "...\n" + text[-20000:]
            rep.sections.append(("pgsteer log #%d (%s)" % (i, p.log_path), text))



@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """A self-signed server certificate and key for pgsteer's client side TLS."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "server.crt", d / "server.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-subj", "/CN=localhost", "-days", "1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    os.chmod(key, 0o600)
    return str(cert), str(key)
