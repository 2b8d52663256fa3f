"""Client authentication through pgsteer: trust, md5 and scram-sha-256
against an auth_file in userlist.txt format (plain passwords and a SCRAM
secret), right and wrong passwords (FATAL 28P01), server-side md5/SCRAM
authentication with the password from the auth_file, and client TLS with a
self-signed certificate generated here."""
import os
import socket
import ssl
import struct
import subprocess

import psycopg
import pytest

import pgwire
from helpers import prepend_server_hba, primary_only, restore_server_hba, scalar


@pytest.fixture
def pgsteer(pgsteer, cluster):
    """This module tests the proxy core, not routing: the primary is the only node."""
    return primary_only(pgsteer, cluster)


# role -> (password, how the *server* authenticates it over TCP)
ROLES = {
    "it_trust": (None, "trust"),
    "it_md5": ("md5-secret", "trust"),
    "it_scram": ("scram-secret", "trust"),
    "it_srv_md5": ("srv-md5-secret", "md5"),
    "it_srv_scram": ("srv-scram-secret", "scram-sha-256"),
}
HBA_MARK = "# pgsteer integration test_auth"


@pytest.fixture(scope="module")
def roles(cluster):
    """Create the roles; make the server demand md5/SCRAM for the it_srv_*
    roles (other roles keep trust). Undone at module end."""
    with cluster.connect() as c:
        for role, (pw, method) in ROLES.items():
            c.execute("DROP ROLE IF EXISTS %s" % role)
            c.execute("SET password_encryption = '%s'"
                      % ("md5" if method == "md5" else "scram-sha-256"))
            if pw is None:
                c.execute("CREATE ROLE %s LOGIN" % role)
            else:
                c.execute("CREATE ROLE %s LOGIN PASSWORD '%s'" % (role, pw))
    original = prepend_server_hba(
        cluster, ["host all %s 127.0.0.1/32 %s %s\n" % (r, m, HBA_MARK)
                  for r, (pw, m) in ROLES.items() if m != "trust"], "it_srv_scram")
    yield ROLES
    restore_server_hba(cluster, original)


def write_userlist(path, entries):
    path.write_text("".join('"%s" "%s"\n' % (u, p) for u, p in entries.items()))
    return str(path)


def plain_userlist(tmp_path):
    return write_userlist(tmp_path / "userlist.txt",
                          {r: pw for r, (pw, _) in ROLES.items() if pw is not None})


def test_trust(cluster, pgsteer, roles):
    p = pgsteer(auth_type="trust")
    with p.connect(user="it_trust") as conn:
        assert conn.execute("SELECT current_user, inet_server_port()").fetchone() == \
            ("it_trust", cluster.port)


def auth_cases():
    for method in ("md5", "scram-sha-256"):
        for server in ("trust", "password"):
            role = {("md5", "trust"): "it_md5", ("scram-sha-256", "trust"): "it_scram",
                    ("md5", "password"): "it_srv_md5",
                    ("scram-sha-256", "password"): "it_srv_scram"}[(method, server)]
            marks = [pytest.mark.proxy_only] if server == "trust" else []
            yield pytest.param(method, role, marks=marks, id="%s-server_%s" % (method, server))


@pytest.mark.parametrize("method,role", list(auth_cases()))
def test_password_auth(cluster, pgsteer, roles, tmp_path, method, role):
    password = ROLES[role][0]
    p = pgsteer(auth_type=method, auth_file=plain_userlist(tmp_path))
    # right password
    with p.connect(user=role, password=password) as conn:
        assert conn.execute("SELECT current_user, inet_server_port()").fetchone() == \
            (role, cluster.port)
    # wrong password: psycopg sees a failed connection...
    with pytest.raises(psycopg.OperationalError) as ei:
        p.connect(user=role, password=password + "-wrong")
    assert "authentication failed" in str(ei.value)
    # ...and on the wire it is FATAL 28P01
    with pytest.raises(pgwire.ServerError) as ei:
        pgwire.login(p.port, role, password=password + "-wrong")
    assert ei.value.sqlstate == "28P01"
    assert ei.value.fields.get("S") == "FATAL"
    # the right password still works through the raw client too
    s, key = pgwire.login(p.port, role, password=password)
    try:
        rows, err = pgwire.simple_query(s, "SELECT current_user")
        assert err is None and rows == [[role]]
    finally:
        s.close()


@pytest.mark.proxy_only
def test_unknown_user_fails_with_28P01(pgsteer, roles, tmp_path):
    p = pgsteer(auth_type="scram-sha-256", auth_file=plain_userlist(tmp_path))
    with pytest.raises(pgwire.ServerError) as ei:
        pgwire.login(p.port, "it_not_in_userlist", password="whatever")
    assert ei.value.sqlstate == "28P01"


@pytest.mark.proxy_only
def test_scram_secret_in_auth_file(cluster, pgsteer, roles, tmp_path):
    """userlist.txt may hold the SCRAM secret instead of the password."""
    with cluster.connect() as c:
        secret = scalar(c, "SELECT rolpassword FROM pg_authid WHERE rolname = 'it_scram'")
    assert secret.startswith("SCRAM-SHA-256$")
    path = write_userlist(tmp_path / "userlist-scram.txt", {"it_scram": secret})
    p = pgsteer(auth_type="scram-sha-256", auth_file=path)
    with p.connect(user="it_scram", password="scram-secret") as conn:
        assert scalar(conn, "SELECT current_user") == "it_scram"
    with pytest.raises(pgwire.ServerError) as ei:
        pgwire.login(p.port, "it_scram", password="nope")
    assert ei.value.sqlstate == "28P01"




@pytest.mark.proxy_only
def test_client_tls(cluster, pgsteer, certs):
    cert, key = certs
    p = pgsteer(client_tls_cert_file=cert, client_tls_key_file=key, client_tls_sslmode="prefer")
    with p.connect(sslmode="require") as conn:
        assert conn.pgconn.ssl_in_use
        assert scalar(conn, "SELECT inet_server_port()") == cluster.port
        # a bigger result crosses several TLS records
        assert scalar(conn, "SELECT length(string_agg(md5(i::text), '')) FROM generate_series(1, 20000) i") == 640000
    with p.connect(sslmode="disable") as conn:
        assert not conn.pgconn.ssl_in_use
        assert scalar(conn, "SELECT 1") == 1


@pytest.mark.proxy_only
def test_client_tls_required_refuses_plaintext(pgsteer, certs):
    cert, key = certs
    p = pgsteer(client_tls_cert_file=cert, client_tls_key_file=key, client_tls_sslmode="require")
    with p.connect(sslmode="require") as conn:
        assert conn.pgconn.ssl_in_use
    with pytest.raises(psycopg.OperationalError):
        p.connect(sslmode="disable")


@pytest.mark.proxy_only
def test_tls_garbage_after_sslrequest(pgsteer, certs):
    cert, key = certs
    p = pgsteer(client_tls_cert_file=cert, client_tls_key_file=key, client_tls_sslmode="prefer")
    with p.connect() as good:
        s = pgwire.open_socket(p.port, timeout=10)
        try:
            s.sendall(struct.pack("!II", 8, pgwire.SSL_REQUEST))
            assert pgwire.recv_exact(s, 1) == b"S"
            s.sendall(os.urandom(300))  # not a TLS ClientHello
            s.settimeout(10)
            try:
                while s.recv(4096):
                    pass  # a TLS alert may come first; then the close
            except (ConnectionResetError, socket.timeout) as e:
                assert not isinstance(e, socket.timeout), "connection left open"
        finally:
            s.close()
        # a real TLS handshake on a raw socket still works afterwards
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = pgwire.open_socket(p.port, timeout=10)
        s.sendall(struct.pack("!II", 8, pgwire.SSL_REQUEST))
        assert pgwire.recv_exact(s, 1) == b"S"
        with ctx.wrap_socket(s, server_hostname="localhost") as ts:
            assert ts.version().startswith("TLS")
        assert scalar(good, "SELECT 1") == 1


def test_client_certificates_are_verified_when_a_ca_is_set(pgsteer, tmp_path):
    """client_tls_ca_file: a client certificate from that CA is accepted, one
    from another CA fails the handshake, no certificate is fine."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    def ca(name):
        key, crt = str(tmp_path / (name + ".key")), str(tmp_path / (name + ".crt"))
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=" + name,
            "-keyout", key, "-out", crt)
        return key, crt

    def signed(name, ca_key, ca_crt):
        stem = name + "-by-" + os.path.basename(ca_crt)[:-4]
        key, csr, crt = (str(tmp_path / (stem + ext)) for ext in (".key", ".csr", ".crt"))
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", key,
            "-out", csr)
        run("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
            "-days", "1", "-out", crt)
        os.chmod(key, 0o600)
        return key, crt

    ca_key, ca_crt = ca("test-ca")
    other_key, other_crt = ca("other-ca")
    srv_key, srv_crt = signed("127.0.0.1", ca_key, ca_crt)
    good_key, good_crt = signed("postgres", ca_key, ca_crt)
    bad_key, bad_crt = signed("postgres", other_key, other_crt)
    p = pgsteer(client_tls_cert_file=srv_crt, client_tls_key_file=srv_key,
                client_tls_ca_file=ca_crt, client_tls_sslmode="require")
    with p.connect(sslmode="require", sslcert=good_crt, sslkey=good_key) as conn:
        assert conn.execute("SELECT 1").fetchone()[0] == 1
    with p.connect(sslmode="require") as conn:
        assert conn.execute("SELECT 1").fetchone()[0] == 1
    with pytest.raises(psycopg.OperationalError):
        p.connect(sslmode="require", sslcert=bad_crt, sslkey=bad_key)
