"""TLS between pgsteer and PostgreSQL (server_tls_sslmode), observed on the
server: pg_stat_ssl of the backend that served the query through pgsteer.
SSL is switched on on the shared primary for this module and off again
afterwards.
"""
import os
import shutil
import subprocess

import pytest

from helpers import primary_only, scalar, wait_for

pytestmark = pytest.mark.proxy_only


@pytest.fixture
def pgsteer(pgsteer, cluster):
    """The proxy core under test: the primary is the only node."""
    return primary_only(pgsteer, cluster)


@pytest.fixture(scope="module")
def primary_with_ssl(cluster, tmp_path_factory):
    d = tmp_path_factory.mktemp("srvtls")
    cert, key = str(d / "server.crt"), str(d / "server.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    datadir = os.path.join(cluster.dir, "primary")
    if not os.path.isdir(datadir):  # layout of pgcluster.sh: find the primary's data dir
        datadir = scalar(cluster.connect(), "SHOW data_directory")
    dst_cert, dst_key = os.path.join(datadir, "pgsteer_test.crt"), os.path.join(datadir, "pgsteer_test.key")
    shutil.copy(cert, dst_cert)
    shutil.copy(key, dst_key)
    for f in (dst_cert, dst_key):
        shutil.chown(f, "postgres", "postgres") if os.geteuid() == 0 else None
        os.chmod(f, 0o600)
    with cluster.connect() as c:
        c.execute("ALTER SYSTEM SET ssl_cert_file = 'pgsteer_test.crt'")
        c.execute("ALTER SYSTEM SET ssl_key_file = 'pgsteer_test.key'")
        c.execute("ALTER SYSTEM SET ssl = on")
        c.execute("SELECT pg_reload_conf()")
    wait_for(lambda: scalar(cluster.connect(sslmode="disable"), "SHOW ssl") == "on", 10, "ssl = on")
    yield cluster
    with cluster.connect(sslmode="disable") as c:
        c.execute("ALTER SYSTEM RESET ssl")
        c.execute("ALTER SYSTEM RESET ssl_cert_file")
        c.execute("ALTER SYSTEM RESET ssl_key_file")
        c.execute("SELECT pg_reload_conf()")
    wait_for(lambda: scalar(cluster.connect(sslmode="disable"), "SHOW ssl") == "off", 10, "ssl = off")


def _served_with_ssl(p):
    with p.connect() as c:
        return scalar(c, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")


def test_server_tls_require_encrypts_server_connections(primary_with_ssl, pgsteer):
    p = pgsteer(server_tls_sslmode="require")
    assert _served_with_ssl(p) is True


def test_server_tls_disable_stays_plain(primary_with_ssl, pgsteer):
    p = pgsteer(server_tls_sslmode="disable")
    assert _served_with_ssl(p) is False


def test_server_tls_require_refuses_a_server_without_tls(cluster, pgsteer):
    """Replica 1 has no TLS: with require, the client gets a clear error, not plain text."""
    import psycopg
    p = pgsteer(nodes=[cluster.replica_ports[0]], server_tls_sslmode="require",
                query_wait_timeout="3s")
    with pytest.raises(psycopg.OperationalError) as ei:
        p.connect()
    assert "does not support TLS" in str(ei.value), str(ei.value)
