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
    # self-signed, so it is its own CA; it names the address and one host name
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:pgsteer-test.invalid",
                    "-keyout", key, "-out", cert],
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
    yield cert
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


def test_server_tls_verify_full_checks_the_chain_and_the_address(primary_with_ssl, pgsteer):
    p = pgsteer(server_tls_sslmode="verify-full", server_tls_ca_file=primary_with_ssl)
    assert _served_with_ssl(p) is True


def test_server_tls_verify_ca_refuses_an_unknown_ca(primary_with_ssl, pgsteer, tmp_path):
    import psycopg
    other_key, other = str(tmp_path / "other.key"), str(tmp_path / "other.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=other-ca", "-keyout", other_key, "-out", other],
                   check=True, capture_output=True)
    p = pgsteer(server_tls_sslmode="verify-ca", server_tls_ca_file=other, query_wait_timeout="3s")
    with pytest.raises(psycopg.OperationalError):
        with p.connect() as c:
            c.execute("SELECT 1")
    wait_for(lambda: "certificate verify failed" in p.log(), 10, "the reason in the log")


def test_server_tls_verify_full_refuses_another_host_name(primary_with_ssl, pgsteer, cluster):
    """localhost reaches the same server, but its certificate does not name
    localhost: verify-ca accepts it, verify-full does not."""
    import psycopg
    node = {"node.main1": {"host": "localhost"}}
    p = pgsteer(server_tls_sslmode="verify-ca", server_tls_ca_file=primary_with_ssl, extra=node)
    assert _served_with_ssl(p) is True
    p = pgsteer(server_tls_sslmode="verify-full", server_tls_ca_file=primary_with_ssl,
                query_wait_timeout="3s", extra=node)
    with pytest.raises(psycopg.OperationalError):
        with p.connect() as c:
            c.execute("SELECT 1")
    wait_for(lambda: "certificate verify failed" in p.log(), 10, "the reason in the log")


def test_verify_modes_need_a_ca_file(pgsteer, tmp_path):
    """verify-ca without server_tls_ca_file is a config error, and so is a
    client-side verify mode without pgsteer's own certificate (and CA)."""
    import helpers
    for key, value, needle in (("server_tls_sslmode", "verify-full", "needs server_tls_ca_file"),
                               ("client_tls_sslmode", "verify-ca", "needs client_tls_cert_file")):
        ini = tmp_path / ("%s.ini" % key)
        ini.write_text(helpers.render_ini({"pgsteer": {key: value},
                                           "cluster.main": {},
                                           "node.main1": {"cluster": "main", "host": "127.0.0.1",
                                                          "port": 5432}}))
        r = subprocess.run([helpers.PGSTEER_BIN, "--check-config", "-c", str(ini)],
                           capture_output=True, text=True)
        assert r.returncode != 0 and needle in r.stderr and ":2:" in r.stderr, r.stderr


CB_ROLE, CB_PASSWORD = "it_cb_scram", "cb-scram-secret"
CB_HBA_MARK = "# pgsteer integration test_server_tls channel binding"


@pytest.fixture
def scram_role_over_ssl(primary_with_ssl, cluster):
    """A role the server lets in over TLS with SCRAM only."""
    import pgwire
    hba_path = os.path.join(cluster.dir, "primary", "pg_hba.conf")
    with cluster.connect(sslmode="disable") as c:
        c.execute("DROP ROLE IF EXISTS %s" % CB_ROLE)
        c.execute("SET password_encryption = 'scram-sha-256'")
        c.execute("CREATE ROLE %s LOGIN PASSWORD '%s'" % (CB_ROLE, CB_PASSWORD))
        with open(hba_path) as f:
            original = f.read()
        with open(hba_path, "w") as f:
            f.write("hostssl all %s 127.0.0.1/32 scram-sha-256 %s\n"
                    "host all %s 127.0.0.1/32 reject %s\n%s"
                    % (CB_ROLE, CB_HBA_MARK, CB_ROLE, CB_HBA_MARK, original))
        c.execute("SELECT pg_reload_conf()")

    def plaintext_refused():
        try:
            pgwire.login(cluster.port, CB_ROLE).close()
            return False
        except pgwire.ServerError:
            return True
        except pgwire.ProtocolError:
            return False
    wait_for(plaintext_refused, 10, "pg_hba.conf reload")
    yield CB_ROLE
    with open(hba_path, "w") as f:
        f.write(original)
    with cluster.connect(sslmode="disable") as c:
        c.execute("SELECT pg_reload_conf()")
        c.execute("DROP ROLE IF EXISTS %s" % CB_ROLE)


def test_scram_to_the_server_binds_to_its_certificate(scram_role_over_ssl, pgsteer, tmp_path):
    """PostgreSQL offers SCRAM-SHA-256-PLUS over TLS; pgsteer binds its
    login to the server's certificate (tls-server-end-point), and the server
    accepts the binding (it checks it: a wrong hash is refused there)."""
    userlist = tmp_path / "userlist.txt"
    userlist.write_text('"%s" "%s"\n' % (CB_ROLE, CB_PASSWORD))
    p = pgsteer(server_tls_sslmode="require", auth_file=str(userlist), log_level="debug")
    for _ in range(3):
        with p.connect(user=CB_ROLE) as c:
            assert c.execute("SELECT current_user, ssl FROM pg_stat_ssl "
                             "WHERE pid = pg_backend_pid()").fetchone() == (CB_ROLE, True)
    assert 'SCRAM login as "%s" with channel binding (tls-server-end-point)' % CB_ROLE in p.log()


def test_scram_passthrough_binds_to_its_certificate(scram_role_over_ssl, pgsteer):
    """A user found by auth_query (not in any auth_file): pgsteer logs in to
    the server by SCRAM passthrough, bound to the server's certificate."""
    p = pgsteer(server_tls_sslmode="require", auth_type="scram-sha-256", auth_user="postgres",
                log_level="debug")
    for _ in range(3):
        with p.connect(user=CB_ROLE, password=CB_PASSWORD) as c:
            assert c.execute("SELECT current_user, ssl FROM pg_stat_ssl "
                             "WHERE pid = pg_backend_pid()").fetchone() == (CB_ROLE, True)
    assert 'SCRAM login as "%s" with channel binding (tls-server-end-point)' % CB_ROLE in p.log()
    assert CB_PASSWORD not in p.log()
