"""Certificates and channel binding, against a real PostgreSQL behind pgsteer:

- client certificates as a login: auth_type = cert, hba_file's cert method,
  clientcert=verify-ca|verify-full and clientname=DN on password rules,
  client_tls_sslmode = verify-ca|verify-full; refusals are FATAL 28000 in
  PostgreSQL's words, and a certificate from another CA never gets in;
- SCRAM-SHA-256-PLUS (tls-server-end-point) offered to TLS clients: libpq
  with channel_binding=require logs in, and a raw client shows that a
  wrong binding, a downgrade ("y" while PLUS was offered) and PLUS without
  TLS are refused.

The other direction, pgsteer binding its SCRAM login to PostgreSQL's
certificate, is in test_server_tls.py (it needs ssl = on on the server).
"""
import hashlib
import os
import socket
import ssl
import struct
import subprocess

import psycopg
import pytest

import pgwire
from helpers import login_roles, primary_only, scalar, wait_for

pytestmark = pytest.mark.proxy_only

PASSWORDS = {"it_scram_ca": "scram-ca-secret", "it_md5_full": "md5-full-secret",
             "postgres": "postgres-secret"}
DN_USER = "CN=it_dn,O=pgsteer"          # RFC 2253 form of /O=pgsteer/CN=it_dn
ROLES = ["it_cert_user", DN_USER, "it_scram_ca", "it_md5_full"]


@pytest.fixture
def pgsteer(pgsteer, cluster):
    return primary_only(pgsteer, cluster)


@pytest.fixture(scope="module")
def roles(cluster):
    """Login roles; the server trusts pgsteer's connections (pgsteer checks the clients)."""
    yield from login_roles(cluster, ROLES)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA, pgsteer's certificate from it, client certificates from it
    (one per name), and a client certificate from a foreign CA."""
    d = tmp_path_factory.mktemp("pki")

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    def ca(name):
        key, crt = str(d / (name + ".key")), str(d / (name + ".crt"))
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=" + name,
            "-keyout", key, "-out", crt)
        return key, crt

    def signed(stem, subject, ca_key, ca_crt):
        key, csr, crt = (str(d / (stem + ext)) for ext in (".key", ".csr", ".crt"))
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", key, "-out", csr)
        run("x509", "-req", "-sha256", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
            "-CAcreateserial", "-days", "1", "-out", crt)
        os.chmod(key, 0o600)
        return crt, key

    ca_key, ca_crt = ca("test-ca")
    other_key, other_crt = ca("other-ca")
    out = {"ca": ca_crt, "server": signed("server", "/CN=localhost", ca_key, ca_crt)}
    for name in ("postgres", "it_cert_user", "it_md5_full"):
        out[name] = signed("client-" + name, "/CN=" + name, ca_key, ca_crt)
    out["dn"] = signed("client-dn", "/O=pgsteer/CN=it_dn", ca_key, ca_crt)
    out["foreign"] = signed("foreign-postgres", "/CN=postgres", other_key, other_crt)
    return out


def tls_opts(pki, **extra):
    crt, key = pki["server"]
    opts = dict(client_tls_cert_file=crt, client_tls_key_file=key, client_tls_ca_file=pki["ca"],
                client_tls_sslmode="prefer")
    opts.update(extra)
    return opts


def userlist(tmp_path):
    path = tmp_path / "userlist.txt"
    path.write_text("".join('"%s" "%s"\n' % kv for kv in PASSWORDS.items()))
    return str(path)


def client_context(pki, cert=None):
    """A Python TLS context that presents CERT (a name in PKI) and checks nothing."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(*pki[cert])
    return ctx


def refused(port, user, pki, cert=None, password=None, tls=True):
    """The FATAL error fields of a raw login that must fail."""
    with pytest.raises(pgwire.ServerError) as ei:
        s, _ = pgwire.login(port, user, password=password,
                            tls=client_context(pki, cert) if tls else None)
        s.close()
    assert ei.value.fields.get("S") == "FATAL"
    return ei.value


def who(p, user, pki, cert=None, **kw):
    """current_user of a psycopg login through pgsteer with CERT."""
    if cert:
        kw.update(sslcert=pki[cert][0], sslkey=pki[cert][1])
    with p.connect(user=user, sslmode="require", **kw) as conn:
        assert conn.pgconn.ssl_in_use
        return scalar(conn, "SELECT current_user")


# ---------------------------------------------------------------- certificates

def test_auth_type_cert(pgsteer, roles, pki):
    """auth_type = cert: the certificate is the login; its CN must be the user."""
    p = pgsteer(**tls_opts(pki, auth_type="cert"))
    assert who(p, "postgres", pki, "postgres") == "postgres"
    assert who(p, "it_cert_user", pki, "it_cert_user") == "it_cert_user"
    e = refused(p.port, "it_cert_user", pki, cert="postgres")
    assert (e.sqlstate, e.fields["M"]) == \
        ("28000", 'certificate authentication failed for user "it_cert_user"')
    e = refused(p.port, "postgres", pki, cert=None)
    assert (e.sqlstate, e.fields["M"]) == ("28000", "connection requires a valid client certificate")
    e = refused(p.port, "postgres", pki, tls=False)
    assert e.sqlstate == "28000" and "requires SSL" in e.fields["M"]
    # a certificate from another CA fails the handshake itself
    with pytest.raises(psycopg.OperationalError):
        who(p, "postgres", pki, "foreign")
    assert "CN \"postgres\" does not match user \"it_cert_user\"" in p.log()


def test_hba_cert_and_clientcert(pgsteer, roles, pki, tmp_path):
    """hba_file: cert (CN and DN), clientcert=verify-ca on SCRAM and
    verify-full on md5: the certificate check comes first, then the password."""
    hba = tmp_path / "hba.conf"
    hba.write_text("hostssl all it_cert_user 127.0.0.1/32 cert\n"
                   'hostssl all "%s" 127.0.0.1/32 cert clientname=DN\n'
                   "hostssl all it_scram_ca 127.0.0.1/32 scram-sha-256 clientcert=verify-ca\n"
                   "hostssl all it_md5_full 127.0.0.1/32 md5 clientcert=verify-full\n"
                   "host all postgres 127.0.0.1/32 trust\n" % DN_USER)
    # auth_type = cert is replaced by each rule's method, as any auth_type is
    p = pgsteer(**tls_opts(pki, hba_file=str(hba), auth_file=userlist(tmp_path), auth_type="cert"))

    assert who(p, "it_cert_user", pki, "it_cert_user") == "it_cert_user"
    assert refused(p.port, "it_cert_user", pki, cert="postgres").sqlstate == "28000"
    assert refused(p.port, "it_cert_user", pki).fields["M"] == \
        "connection requires a valid client certificate"

    assert who(p, DN_USER, pki, "dn") == DN_USER
    assert refused(p.port, DN_USER, pki, cert="it_cert_user").sqlstate == "28000"

    # verify-ca: any certificate from the CA, and the password
    pw = PASSWORDS["it_scram_ca"]
    assert who(p, "it_scram_ca", pki, "postgres", password=pw) == "it_scram_ca"
    assert refused(p.port, "it_scram_ca", pki, password=pw).sqlstate == "28000"
    assert refused(p.port, "it_scram_ca", pki, cert="postgres", password=pw + "x").sqlstate == "28P01"

    # verify-full: the certificate must name the user, and the password
    pw = PASSWORDS["it_md5_full"]
    assert who(p, "it_md5_full", pki, "it_md5_full", password=pw) == "it_md5_full"
    e = refused(p.port, "it_md5_full", pki, cert="postgres", password=pw)
    assert (e.sqlstate, e.fields["M"]) == \
        ("28000", 'certificate authentication failed for user "it_md5_full"')
    assert refused(p.port, "it_md5_full", pki, cert="it_md5_full", password=pw + "x").sqlstate == "28P01"

    # the trust rule still lets postgres in without a certificate
    assert who(p, "postgres", pki) == "postgres"


@pytest.mark.parametrize("mode", ["verify-ca", "verify-full"])
def test_client_tls_sslmode_verify(pgsteer, roles, pki, mode):
    """client_tls_sslmode verify-ca: a certificate from the CA is required;
    verify-full: and its CN is the user. Plaintext is refused as with require."""
    p = pgsteer(**tls_opts(pki, client_tls_sslmode=mode))
    assert who(p, "postgres", pki, "postgres") == "postgres"
    assert refused(p.port, "postgres", pki).fields["M"] == \
        "connection requires a valid client certificate"
    assert refused(p.port, "postgres", pki, tls=False).sqlstate == "28000"
    if mode == "verify-ca":
        assert who(p, "postgres", pki, "it_cert_user") == "postgres"
    else:
        assert refused(p.port, "postgres", pki, cert="it_cert_user").sqlstate == "28000"


def test_cert_config_needs_a_ca(pgsteer, pki, tmp_path):
    """auth_type = cert, or an hba cert rule, without client_tls_ca_file stops
    startup with FILE:LINE."""
    from helpers import PGSTEER_BIN, render_ini, pgsteer_sections
    crt, key = pki["server"]
    hba = tmp_path / "hba.conf"
    hba.write_text("host all all 127.0.0.1/32 trust\nhostssl all all all cert\n")
    for opts, want in (
            (dict(auth_type="cert"), "auth_type = cert needs client TLS"),
            (dict(hba_file=str(hba), client_tls_sslmode="prefer", client_tls_cert_file=crt,
                  client_tls_key_file=key), "%s:2: method cert needs client TLS" % hba)):
        ini = tmp_path / "bad.ini"
        ini.write_text(render_ini(pgsteer_sections(None, 6432, nodes=[5432], **opts)))
        r = subprocess.run([PGSTEER_BIN, "--check-config", "-c", str(ini)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode != 0
        assert want in r.stderr + r.stdout


# ------------------------------------------------------------ channel binding

@pytest.fixture
def scram_tls(pgsteer, roles, pki, tmp_path):
    return pgsteer(**tls_opts(pki, client_tls_ca_file=None, auth_type="scram-sha-256",
                              auth_file=userlist(tmp_path)))


def test_libpq_channel_binding_required(scram_tls):
    """libpq with channel_binding=require checks the server signature over
    the binding: pgsteer's certificate hash must be what libpq computes."""
    pw = PASSWORDS["postgres"]
    with scram_tls.connect(user="postgres", password=pw, sslmode="require",
                           channel_binding="require") as conn:
        assert conn.pgconn.ssl_in_use
        assert scalar(conn, "SELECT current_user") == "postgres"
    # plaintext: there is nothing to bind to and PLUS is not offered
    with pytest.raises(psycopg.OperationalError) as ei:
        scram_tls.connect(user="postgres", password=pw, sslmode="disable",
                          channel_binding="require")
    assert "channel binding" in str(ei.value)
    # channel_binding=disable over TLS (gs2 "n") still works
    with scram_tls.connect(user="postgres", password=pw, sslmode="require",
                           channel_binding="disable") as conn:
        assert scalar(conn, "SELECT 1") == 1


def test_raw_channel_binding(scram_tls, pki):
    """The server side's checks, with a client that can lie."""
    port, pw = scram_tls.port, PASSWORDS["postgres"]
    plus = {"mech": "SCRAM-SHA-256-PLUS", "gs2": "p=tls-server-end-point,,"}
    # the right binding
    s, _ = pgwire.login(port, "postgres", password=pw, tls=True,
                        scram=dict(plus, cbind=pgwire.tls_server_end_point))
    rows, err = pgwire.simple_query(s, "SELECT current_user")
    s.close()
    assert err is None and rows == [["postgres"]]
    # bound to another certificate (what a relay would present): refused
    with pytest.raises(pgwire.ServerError) as ei:
        pgwire.login(port, "postgres", password=pw, tls=True,
                     scram=dict(plus, cbind=lambda ts: b"\0" * 32))
    assert (ei.value.sqlstate, ei.value.fields["M"]) == \
        ("08P01", "SCRAM channel binding check failed")
    # a downgrade: "y" (the client thinks we cannot bind) while PLUS was offered
    with pytest.raises(pgwire.ServerError) as ei:
        pgwire.login(port, "postgres", password=pw, tls=True, scram={"gs2": "y,,"})
    assert ei.value.sqlstate == "08P01"
    assert "channel binding negotiation error" in ei.value.fields["M"]
    # PLUS without TLS was not offered
    with pytest.raises(pgwire.ServerError) as ei:
        pgwire.login(port, "postgres", password=pw,
                     scram=dict(plus, cbind=b"\0" * 32, force=True))
    assert ei.value.sqlstate == "08P01"
    # without TLS, "y" is what a binding-capable client says: accepted
    s, _ = pgwire.login(port, "postgres", password=pw, scram={"gs2": "y,,"})
    s.close()
    # an unknown user with a correct-looking binding: the same 28P01 as a wrong password
    with pytest.raises(pgwire.ServerError) as ei:
        pgwire.login(port, "it_nobody", password=pw, tls=True,
                     scram=dict(plus, cbind=pgwire.tls_server_end_point))
    assert ei.value.sqlstate == "28P01"


# ---------------------------------------------------------------- relaying over TLS


def tls_login_tiny_window(port):
    """A raw TLS login whose socket has a 4 KiB receive buffer, so that
    pgsteer's writes to it are refused as soon as the client stops reading."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(60)
    raw.connect(("127.0.0.1", port))
    s = pgwire.start_tls(raw)
    s.sendall(pgwire.startup_packet("postgres"))
    while True:
        m = pgwire.read_message(s)
        assert m is not None and m[0] != b"E", m
        if m[0] == b"Z":
            return s


def test_tls_client_sizes_and_a_stalled_reader(pgsteer, pki):
    """pgsteer writes a reply to a TLS client with SSL_write() straight from
    the relay when nothing is queued for it, else through the output
    buffer. Statements and results from one byte to megabytes arrive whole
    over TLS; a client that stops reading a 20 MB result makes the socket
    refuse records (SSL_ERROR_WANT_WRITE), which pgsteer must retry in
    order, while another TLS client is served."""
    p = pgsteer(**tls_opts(pki))
    with p.connect(sslmode="require") as conn:
        assert conn.pgconn.ssl_in_use
        for size in (1, 959, 5000, 16383, 16384, 16385, 70_000, 2_000_000, 3):
            text = "".join(chr(97 + (i * 7 + size) % 26) for i in range(size))
            row = conn.execute("SELECT md5(%s::text), %s::text", (text, text),
                               prepare=False).fetchone()
            assert row == (hashlib.md5(text.encode()).hexdigest(), text)
        rows = conn.execute("SELECT i, repeat(chr(97 + i % 26), 100) FROM generate_series(1, 20000) i"
                            ).fetchall()
        assert rows == [(i, chr(97 + i % 26) * 100) for i in range(1, 20001)]

    s = tls_login_tiny_window(p.port)
    try:
        s.sendall(pgwire.message(b"Q", b"SELECT i, repeat(md5(i::text), 64) "
                                       b"FROM generate_series(1, 10000) i\0"))
        with p.connect(sslmode="require") as other:   # while that reply waits
            assert scalar(other, "SELECT 2") == 2
        n = 0
        while True:
            m = pgwire.read_message(s)
            assert m is not None, "closed after %d rows" % n
            t, body = m
            assert t != b"E", pgwire.parse_fields(body)
            if t == b"D":
                n += 1
                (l1,) = struct.unpack("!i", body[2:6])
                i = int(body[6:6 + l1])
                value = body[10 + l1:]
                assert (i, value) == (n, hashlib.md5(str(n).encode()).hexdigest().encode() * 64)
            elif t == b"Z":
                break
        assert n == 10000
        rows, err = pgwire.simple_query(s, "SELECT 'after'")
        assert (rows, err) == ([["after"]], None)
    finally:
        s.close()


def read_until_ready(sock):
    """The rows (first column) of replies up to the next ReadyForQuery."""
    rows = []
    while True:
        m = pgwire.read_message(sock)
        assert m is not None, "closed"
        t, body = m
        assert t != b"E", pgwire.parse_fields(body)
        if t == b"D":
            (ln,) = struct.unpack("!i", body[2:6])
            rows.append(body[6:6 + ln].decode())
        elif t == b"Z":
            return rows


def test_tls_client_records_split_and_pipelined(pgsteer, pki):
    """pgsteer reads TLS clients itself with read-ahead, so one read() can
    bring several records, and a message can be spread over records. 100
    pipelined Queries cut into records of 1 to 97 bytes (coalesced by the
    client's Nagle) come back in order, first while the client has the
    server, then while it must wait for the only server of its pool (its
    reading stops and starts again, with records already read ahead)."""
    p = pgsteer(**tls_opts(pki), default_pool_size=1, workers=1)
    queries = b"".join(pgwire.message(b"Q", b"SELECT %d\0" % i) for i in range(100))
    sizes = [1, 7, 3, 50, 97, 2, 13]

    def send_in_records(sock):
        off, k = 0, 0
        while off < len(queries):
            n = sizes[k % len(sizes)]
            sock.sendall(queries[off:off + n])   # one TLS record each
            off, k = off + n, k + 1

    def expect_all(sock):
        for i in range(100):
            assert read_until_ready(sock) == [str(i)]

    s, _ = pgwire.login(p.port, "postgres", tls=client_context(pki))
    try:
        send_in_records(s)
        expect_all(s)
        with p.connect(sslmode="require", autocommit=False) as holder:
            holder.execute("SELECT 1")          # holds the pool's only server
            send_in_records(s)

            def waiting():
                with psycopg.connect(host="127.0.0.1", port=p.port, user="admin",
                                     dbname="pgsteer", autocommit=True) as a:
                    cur = a.execute("SHOW CLIENTS")
                    col = [d.name for d in cur.description].index("state")
                    return "waiting" in [r[col] for r in cur.fetchall()]
            wait_for(waiting, 10, "the pipelining client waiting for the server")
            holder.commit()
        expect_all(s)
        assert pgwire.simple_query(s, "SELECT 'after'") == ([["after"]], None)
    finally:
        s.close()


@pytest.mark.parametrize("how", ["close_notify_only", "close_notify_and_fin", "fin_only", "reset"])
def test_tls_client_goes_away_mid_transaction(pgsteer, pki, how):
    """A TLS client that leaves inside a transaction, by a TLS close_notify
    alone (its TCP connection still open), close_notify and FIN, a FIN
    without close_notify, or a reset: pgsteer sees it go, rolls the
    transaction back and hands the pool's only server to the next client."""
    p = pgsteer(**tls_opts(pki), default_pool_size=1, workers=1, query_wait_timeout="30s")
    s, _ = pgwire.login(p.port, "postgres", tls=client_context(pki))
    try:
        assert pgwire.simple_query(s, "BEGIN")[1] is None
        assert pgwire.simple_query(s, "CREATE TEMP TABLE gone_tx (n int)")[1] is None
        if how.startswith("close_notify"):
            try:
                s.unwrap()    # sends close_notify, then waits for pgsteer's answer or close
            except (ssl.SSLError, OSError):
                pass
            if how == "close_notify_and_fin":
                s.close()
        elif how == "fin_only":
            s.shutdown(socket.SHUT_RDWR)    # an SSLSocket's shutdown sends no close_notify
            s.close()
        else:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        with p.connect(sslmode="require") as next_client:   # waits for the one server
            assert scalar(next_client, "SELECT to_regclass('pg_temp.gone_tx') IS NULL") is True
    finally:
        s.close()


class TlsBytes:
    """A TLS client whose records are made in memory (ssl.MemoryBIO) and
    sent when the test says: several records in one send() reach pgsteer
    in one read()."""

    def __init__(self, port, ctx):
        self.raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.raw.sendall(struct.pack("!II", 8, pgwire.SSL_REQUEST))
        assert self.raw.recv(1) == b"S"
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_hostname="localhost")
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.feed()
        self.flush()
        self.write(pgwire.startup_packet("postgres"))
        self.flush()
        while self.message()[0] != b"Z":
            pass

    def write(self, data):
        """Make records of DATA; they go out with the next flush()."""
        self.obj.write(data)

    def close_notify(self):
        try:
            self.obj.unwrap()
        except ssl.SSLWantReadError:
            pass          # it waits for pgsteer's close_notify; ours is made

    def flush(self):
        data = self.out.read()
        if data:
            self.raw.sendall(data)

    def feed(self):
        data = self.raw.recv(65536)
        if not data:
            raise EOFError
        self.inc.write(data)

    def read_exact(self, n):
        buf = b""
        while len(buf) < n:
            try:
                buf += self.obj.read(n - len(buf))
            except ssl.SSLWantReadError:
                self.feed()
        return buf

    def message(self):
        head = self.read_exact(5)
        (ln,) = struct.unpack("!I", head[1:])
        return head[:1], self.read_exact(ln - 4)


def test_tls_client_query_then_close_notify_while_waiting(pgsteer, pki):
    """A TLS client sends a Query and a close_notify in one send() while the
    pool's only server is taken, and keeps its TCP connection open. pgsteer
    reads both records at once: the Query waits with the client's reading
    stopped, and once it has run, pgsteer acts on the close_notify it has
    already read (nothing more will make the socket readable) and lets the
    client go."""
    p = pgsteer(**tls_opts(pki), default_pool_size=1, workers=1, query_wait_timeout="30s")

    def clients():
        with psycopg.connect(host="127.0.0.1", port=p.port, user="admin", dbname="pgsteer",
                             autocommit=True) as a:
            cur = a.execute("SHOW CLIENTS")
            names = [d.name for d in cur.description]
            rows = [dict(zip(names, r)) for r in cur.fetchall()]
            return [r for r in rows if not r["admin"]]

    with p.connect(sslmode="require", autocommit=False) as holder:
        holder.execute("SELECT 1")              # holds the pool's only server
        c = TlsBytes(p.port, client_context(pki))
        try:
            c.write(pgwire.message(b"Q", b"SELECT 1\0"))
            c.close_notify()
            c.flush()                           # both records in one send()
            wait_for(lambda: "waiting" in [r["state"] for r in clients()], 10,
                     "the Query waiting for the server")
            holder.commit()
            wait_for(lambda: len(clients()) == 1, 10, "the client that sent close_notify to go")
        finally:
            c.raw.close()


def test_tls_no_session_tickets(pgsteer, pki):
    """As PostgreSQL, pgsteer offers no TLS session resumption: no TLS 1.3
    tickets after the handshake (libpq never resumes, and each ticket costs
    the proxy work per connection), and a TLS 1.2 client gets none either."""
    p = pgsteer(**tls_opts(pki))
    for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
        ctx = client_context(pki)
        ctx.minimum_version = ctx.maximum_version = version
        s, _ = pgwire.login(p.port, "postgres", tls=ctx)
        try:
            assert s.version() == {ssl.TLSVersion.TLSv1_3: "TLSv1.3",
                                   ssl.TLSVersion.TLSv1_2: "TLSv1.2"}[version]
            # the welcome came after any ticket, and so does this answer
            assert pgwire.simple_query(s, "SELECT 1") == ([["1"]], None)
            assert not s.session.has_ticket, version
        finally:
            s.close()
