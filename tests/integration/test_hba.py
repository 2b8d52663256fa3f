"""hba_file: pgsteer's own pg_hba.conf, applied to its clients before
authentication. Refusals by address (raw sockets bound to other loopback
addresses, and ::1), by user and by database (the admin console's too), worded
exactly as the real PostgreSQL 15 words them; hostssl/hostnossl against
TLS and plain clients; local rules on the Unix socket; the rule's method
replacing auth_type per user (seen on the wire as the authentication
request pgsteer sends); FILE:LINE errors from --check-config and at start;
reload (a bad file keeps the running rules). Also two security checks of
doc/security.md: no password reaches pgsteer's log after failed and
successful md5/SCRAM logins, and /metrics and /status carry no secret from
the configuration."""
import hashlib
import os
import signal
import socket
import subprocess
import urllib.request

import psycopg
import pytest

import pgwire
from helpers import PGSTEER_BIN, free_port, login_roles, pgsteer_sections, primary_only, render_ini, \
    scalar, wait_for

pytestmark = pytest.mark.proxy_only


@pytest.fixture
def pgsteer(pgsteer, cluster):
    """This module tests the proxy core, not routing: the primary is the only node."""
    return primary_only(pgsteer, cluster)


# role -> password in pgsteer's auth_file (the server trusts them all)
ROLES = {
    "it_hba_trust": "trust-pw-0d1f",
    "it_hba_md5": "md5-pw-7c2e",
    "it_hba_scram": "scram-pw-93ab",
    "it_hba_tls": "tls-pw-51aa",
}


@pytest.fixture(scope="module")
def roles(cluster):
    yield from login_roles(cluster, ROLES)


@pytest.fixture
def userlist(tmp_path):
    path = tmp_path / "userlist.txt"
    path.write_text("".join('"%s" "%s"\n' % (u, p) for u, p in ROLES.items()))
    return str(path)


def write_hba(tmp_path, text, name="hba.conf"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def raw_login(port, user, dbname="postgres", source="127.0.0.1", password=None):
    """Log in from SOURCE (any 127.x address: the kernel lets us bind it).
    Returns the socket after ReadyForQuery; raises pgwire.ServerError."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    try:
        s.sendall(pgwire.startup_packet(user, dbname))
        while True:
            m = pgwire.read_message(s)
            if m is None:
                raise pgwire.ProtocolError("closed during login")
            t, p = m
            if t == b"E":
                raise pgwire.ServerError(pgwire.parse_fields(p))
            if t == b"R" and p[:4] != b"\0\0\0\0":
                raise pgwire.ProtocolError("auth request %r" % p[:4])
            if t == b"Z":
                return s
    except Exception:
        s.close()
        raise


def refused(port, user, dbname="postgres", source="127.0.0.1"):
    """The ErrorResponse fields of a login that must fail."""
    with pytest.raises(pgwire.ServerError) as ei:
        raw_login(port, user, dbname, source).close()
    return ei.value.fields


def auth_request(port, user, dbname="postgres"):
    """The authentication request pgsteer answers a startup with: 0 (ok),
    5 (md5) or 10 (SASL)."""
    s = pgwire.open_socket(port)
    try:
        s.sendall(pgwire.startup_packet(user, dbname))
        t, p = pgwire.read_message(s)
        if t == b"E":
            raise pgwire.ServerError(pgwire.parse_fields(p))
        assert t == b"R"
        return int.from_bytes(p[:4], "big")
    finally:
        s.close()




# ------------------------------------------------------------ refusals

def test_refusal_worded_as_postgresql_words_it(cluster, pgsteer, tmp_path):
    """The test cluster's own pg_hba.conf allows only 127.0.0.1/32; the same
    rule in hba_file must refuse a client from 127.0.0.3 with the very same
    message and SQLSTATE as the real server."""
    real = refused(cluster.port, "postgres", source="127.0.0.3")
    p = pgsteer(hba_file=write_hba(tmp_path, "host all all 127.0.0.1/32 trust\n"))
    ours = refused(p.port, "postgres", source="127.0.0.3")
    assert real["C"] == "28000" and real["S"] == "FATAL"
    assert real["M"] == ('no pg_hba.conf entry for host "127.0.0.3", user "postgres", '
                         'database "postgres", no encryption')
    assert (ours["S"], ours["C"], ours["M"]) == (real["S"], real["C"], real["M"])
    # and from the allowed address, in it goes
    s = raw_login(p.port, "postgres", source="127.0.0.1")
    rows, err = pgwire.simple_query(s, "SELECT inet_server_port()")
    s.close()
    assert err is None and rows == [[str(cluster.port)]]


def test_reject_by_address_user_and_database(cluster, pgsteer, roles, tmp_path):
    hba = write_hba(tmp_path, "\n".join([
        "# first match wins",
        "host all      all          127.0.0.2/32 reject",      # 2
        "host all      it_hba_tls   all          reject",      # 3: by user
        "host secretdb all          all          reject",      # 4: by database
        "host all      all          127.0.0.0/8  trust",       # 5
        ""]))
    p = pgsteer(hba_file=hba)
    f = refused(p.port, "it_hba_trust", source="127.0.0.2")
    assert f["C"] == "28000"
    assert f["M"] == ('pg_hba.conf rejects connection for host "127.0.0.2", user '
                      '"it_hba_trust", database "postgres", no encryption')
    f = refused(p.port, "it_hba_tls", source="127.0.0.1")
    assert f["C"] == "28000" and 'user "it_hba_tls"' in f["M"]
    f = refused(p.port, "it_hba_trust", dbname="secretdb")
    assert f["C"] == "28000" and 'database "secretdb"' in f["M"]
    # the log says which rule refused
    wait_for(lambda: "%s:3" % hba in p.log(), 5, "the refusing rule in the log")
    # everyone else passes, from another loopback address too
    for source in ("127.0.0.1", "127.0.0.5"):
        s = raw_login(p.port, "it_hba_trust", source=source)
        rows, err = pgwire.simple_query(s, "SELECT current_user")
        s.close()
        assert err is None and rows == [["it_hba_trust"]]


def test_ipv6_client_matched_by_ipv6_rule(cluster, pgsteer, tmp_path):
    hba = write_hba(tmp_path, "host all all ::1/128 reject\nhost all all 127.0.0.1/32 trust\n")
    p = pgsteer(hba_file=hba, listen_addr="127.0.0.1,::1")
    s = socket.create_connection(("::1", p.port), timeout=10)
    try:
        s.sendall(pgwire.startup_packet("postgres", "postgres"))
        kind, f = pgwire.error_or_close(s)
    finally:
        s.close()
    assert kind == "error" and f["C"] == "28000"
    assert f["M"] == ('pg_hba.conf rejects connection for host "::1", user "postgres", '
                      'database "postgres", no encryption')
    with p.connect() as c:
        assert scalar(c, "SELECT 1") == 1


def test_admin_console_matched_like_any_database(cluster, pgsteer, tmp_path):
    hba = write_hba(tmp_path, "host pgsteer all all reject\nhost all all all trust\n")
    p = pgsteer(hba_file=hba)
    f = refused(p.port, "admin", dbname="pgsteer")
    assert f["C"] == "28000" and f["M"].startswith("pg_hba.conf rejects connection")
    with p.connect() as c:
        assert scalar(c, "SELECT 1") == 1
    # without the reject rule, the admin console answers
    with open(hba, "w") as fh:
        fh.write("host all all all trust\n")
    reload_and_wait(p)
    s = raw_login(p.port, "admin", dbname="pgsteer")
    rows, err = pgwire.simple_query(s, "SHOW VERSION")
    s.close()
    assert err is None and rows


def test_hostssl_and_hostnossl(cluster, pgsteer, roles, certs, tmp_path):
    cert, key = certs
    hba = write_hba(tmp_path, "\n".join([
        "hostssl   all all 127.0.0.1/32 trust",    # TLS clients
        "hostnossl all it_hba_trust 127.0.0.1/32 trust",
        ""]))
    p = pgsteer(hba_file=hba, client_tls_cert_file=cert, client_tls_key_file=key,
                client_tls_sslmode="prefer")
    with p.connect(user="it_hba_tls", sslmode="require") as c:
        assert c.pgconn.ssl_in_use
        assert scalar(c, "SELECT current_user") == "it_hba_tls"
    # the same user without TLS: no rule
    with pytest.raises(psycopg.OperationalError) as ei:
        p.connect(user="it_hba_tls", sslmode="disable")
    assert ('no pg_hba.conf entry for host "127.0.0.1", user "it_hba_tls", '
            'database "postgres", no encryption') in str(ei.value)
    f = refused(p.port, "it_hba_tls")
    assert f["C"] == "28000"
    # it_hba_trust may come either way
    with p.connect(user="it_hba_trust", sslmode="disable") as c:
        assert not c.pgconn.ssl_in_use
    with p.connect(user="it_hba_trust", sslmode="require") as c:
        assert c.pgconn.ssl_in_use
    # a TLS client refused is told so: "SSL encryption"
    with open(hba, "w") as fh:
        fh.write("hostnossl all all 127.0.0.1/32 trust\n")
    reload_and_wait(p)
    with pytest.raises(psycopg.OperationalError) as ei:
        p.connect(user="it_hba_trust", sslmode="require")
    assert ('no pg_hba.conf entry for host "127.0.0.1", user "it_hba_trust", '
            'database "postgres", SSL encryption') in str(ei.value)


def test_local_rules_apply_to_the_unix_socket(cluster, pgsteer, tmp_path):
    sockdir = str(tmp_path)
    hba = write_hba(tmp_path, "local all all reject\nhost all all 127.0.0.1/32 trust\n")
    p = pgsteer(hba_file=hba, unix_socket_dir=sockdir)
    path = os.path.join(sockdir, ".s.PGSQL.%d" % p.port)
    wait_for(lambda: os.path.exists(path), 5, "unix socket file")
    with pytest.raises(psycopg.OperationalError) as ei:
        psycopg.connect(host=sockdir, port=p.port, user="postgres", dbname="postgres",
                        connect_timeout=10)
    assert ('pg_hba.conf rejects connection for host "[local]", user "postgres", '
            'database "postgres", no encryption') in str(ei.value)
    with p.connect() as c:
        assert scalar(c, "SELECT 1") == 1


# ---------------------------------------------------- method override

def test_rule_method_replaces_auth_type(cluster, pgsteer, roles, userlist, tmp_path):
    hba = write_hba(tmp_path, "\n".join([
        "host all it_hba_trust 127.0.0.1/32 trust",
        "host all it_hba_md5   127.0.0.1/32 md5",
        "host all it_hba_scram 127.0.0.1/32 scram-sha-256",
        "host all all          127.0.0.1/32 trust",
        ""]))
    for auth_type in ("trust", "scram-sha-256"):
        p = pgsteer(auth_type=auth_type, auth_file=userlist, hba_file=hba)
        assert auth_request(p.port, "it_hba_trust") == 0
        assert auth_request(p.port, "it_hba_md5") == 5
        assert auth_request(p.port, "it_hba_scram") == 10
        with p.connect(user="it_hba_trust") as c:
            assert scalar(c, "SELECT current_user") == "it_hba_trust"
        for role in ("it_hba_md5", "it_hba_scram"):
            with p.connect(user=role, password=ROLES[role]) as c:
                assert scalar(c, "SELECT current_user") == role
            with pytest.raises(pgwire.ServerError) as ei:
                pgwire.login(p.port, role, password="wrong")
            assert ei.value.sqlstate == "28P01"
        p.stop()


# ------------------------------------------------ errors, check, reload

def run(*args):
    return subprocess.run([PGSTEER_BIN, *args], capture_output=True, text=True, timeout=15,
                          stdin=subprocess.DEVNULL)


def config_file(cluster, tmp_path, **opts):
    path = tmp_path / "pgsteer.ini"
    path.write_text(render_ini(pgsteer_sections(cluster, free_port(), nodes=[cluster.port],
                                                **opts)))
    return str(path)


BAD_HBA = [
    ("host all all 127.0.0.1/32 trust\nhost all all all ldap\n", 2,
     'unsupported authentication method "ldap" (pgsteer supports trust, md5, '
     'scram-sha-256, cert and reject)'),
    ("# admins\nhost all +admins 127.0.0.1/32 trust\n", 2,
     'unsupported group name "+admins" (pgsteer does not know role membership): '
     'list the users'),
    ("host all all 127.0.0.1/40 trust\n", 1, 'invalid CIDR mask in address "127.0.0.1/40"'),
    ("\n\nhostssl all all all trust map=omicron\n", 3,
     'unsupported authentication option "map" (pgsteer takes clientcert and clientname)'),
    ("host all all all md5\n", 1, None),   # md5 without auth_file
]


@pytest.mark.parametrize("text,line,message", BAD_HBA,
                         ids=["method", "group", "cidr", "option", "needs-auth_file"])
@pytest.mark.parametrize("mode", ["check-config", "start"])
def test_bad_hba_file_is_file_line_error(cluster, tmp_path, text, line, message, mode):
    hba = write_hba(tmp_path, text)
    cfg = config_file(cluster, tmp_path, hba_file=hba)
    if message is None:
        message = "method md5 needs auth_file in %s (the user list with passwords)" % cfg
    r = run("--check-config", "-c", cfg) if mode == "check-config" else run("-c", cfg)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1] == "%s:%d: %s" % (hba, line, message)


def test_check_config_summarises_hba_file(cluster, tmp_path):
    hba = write_hba(tmp_path, "local all all trust\nhost all all 127.0.0.1/32 trust\n")
    r = run("--check-config", "-c", config_file(cluster, tmp_path, hba_file=hba))
    assert r.returncode == 0, r.stderr
    assert "hba:      %s, 2 rules" % hba in r.stdout
    r = run("--check-config", "-c", config_file(cluster, tmp_path,
                                                hba_file=str(tmp_path / "missing")))
    assert r.returncode == 1
    assert r.stderr.strip() == "%s: cannot open: No such file or directory" % (tmp_path / "missing")


def reload_and_wait(p):
    """SIGHUP, then wait until pgsteer has logged the outcome."""
    before = p.log().count("configuration reloaded") + p.log().count("reload failed")
    p.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: p.log().count("configuration reloaded") +
             p.log().count("reload failed") > before, 10, "the reload outcome in the log")


def test_reload_swaps_rules_and_a_bad_file_keeps_them(cluster, pgsteer, roles, tmp_path):
    hba = write_hba(tmp_path, "host all all 127.0.0.1/32 trust\n")
    p = pgsteer(hba_file=hba)
    held = p.connect(user="it_hba_md5")
    assert scalar(held, "SELECT 1") == 1
    with open(hba, "w") as fh:
        fh.write("host all it_hba_md5 all reject\nhost all all 127.0.0.1/32 trust\n")
    reload_and_wait(p)
    assert "configuration reloaded" in p.log()
    assert refused(p.port, "it_hba_md5")["C"] == "28000"
    with p.connect(user="it_hba_trust") as c:
        assert scalar(c, "SELECT 1") == 1
    # logged-in clients are not affected by new rules (as in PostgreSQL)
    assert scalar(held, "SELECT 2") == 2
    # a broken file: reload fails with FILE:LINE, the running rules stay
    with open(hba, "w") as fh:
        fh.write("host all all 127.0.0.1/32 trust\nhost all all all peer\n")
    reload_and_wait(p)
    wait_for(lambda: "reload failed, keeping the running configuration: %s:2: "
             'unsupported authentication method "peer"' % hba in p.log(), 5, "the reload error")
    assert p.running()
    assert refused(p.port, "it_hba_md5")["C"] == "28000"
    with p.connect(user="it_hba_trust") as c:
        assert scalar(c, "SELECT 1") == 1
    held.close()


# ------------------------------------------------------------ secrets

def test_passwords_never_logged(cluster, pgsteer, roles, userlist, tmp_path):
    """Failed and successful md5 and SCRAM logins at log_level = debug: no
    password, wrong or right, nor its md5 hash, appears in pgsteer's log."""
    hba = write_hba(tmp_path, "host all it_hba_md5 all md5\nhost all all all scram-sha-256\n")
    p = pgsteer(auth_type="trust", auth_file=userlist, hba_file=hba, log_level="debug")
    wrong = {"it_hba_md5": "Wr0ng-md5-pw-e41c", "it_hba_scram": "Wr0ng-scram-pw-88d0"}
    for role in ("it_hba_md5", "it_hba_scram"):
        with pytest.raises(pgwire.ServerError):
            pgwire.login(p.port, role, password=wrong[role])
        with p.connect(user=role, password=ROLES[role]) as c:
            assert scalar(c, "SELECT current_user") == role
    log = p.log()
    # the logins did happen and were logged
    assert log.count("password authentication failed") >= 2
    assert 'login it_hba_md5@postgres' in log and 'login it_hba_scram@postgres' in log
    secrets = list(ROLES.values()) + list(wrong.values())
    secrets += ["md5" + hashlib.md5((pw + u).encode()).hexdigest() for u, pw in ROLES.items()]
    leaked = [s for s in secrets if s in log]
    assert not leaked, "secrets in pgsteer's log: %r" % leaked


def test_metrics_and_status_carry_no_secrets(cluster, pgsteer, roles, userlist, tmp_path):
    port = free_port()
    token = "stats-token-6f3e9b"
    server_password = "server-pw-c0ffee"
    p = pgsteer(auth_type="md5", auth_file=userlist,
                extra={"stats": {"listen": "127.0.0.1:%d" % port, "token": token},
                       "cluster.main": {"server_password": server_password}})
    # some traffic, a failed login too, so the counters have samples
    with p.connect(user="it_hba_md5", password=ROLES["it_hba_md5"]) as c:
        assert scalar(c, "SELECT 1") == 1
    with pytest.raises(pgwire.ServerError):
        pgwire.login(p.port, "it_hba_md5", password="Wr0ng-pw-metrics")

    def get(path):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
        req.add_header("Authorization", "Bearer " + token)
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.read().decode()
    bodies = {path: get(path) for path in ("/metrics", "/status")}
    assert "pgsteer_auth_failures_total" in bodies["/metrics"]
    secrets = [token, server_password, "Wr0ng-pw-metrics"] + list(ROLES.values())
    secrets += ["md5" + hashlib.md5((pw + u).encode()).hexdigest() for u, pw in ROLES.items()]
    for path, body in bodies.items():
        leaked = [s for s in secrets if s in body]
        assert not leaked, "%s carries %r" % (path, leaked)
