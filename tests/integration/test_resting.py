"""Idle clients rest their buffers (client.c): a logged-in plain-socket
client with nothing in flight gives its bufferevent back right after its
login is written, and again after a second without a statement; its next
bytes get it new ones. Observed through pgsteer_clients_resting, and by
what the clients see: answers from the right server, session state kept,
FATAL errors (client_idle_timeout, shutdown) still delivered to resting
clients, and closed resting clients cleaned up.
"""
import re
import urllib.request

import pytest

import pgwire
from helpers import free_port, primary_only, scalar, wait_for


@pytest.fixture
def pgsteer(pgsteer, cluster):
    return primary_only(pgsteer, cluster)


def start(pgsteer, **opts):
    port = free_port()
    p = pgsteer(extra={"stats": {"listen": "127.0.0.1:%d" % port}}, **opts)
    p.stats_port = port
    return p


def gauge(p, name):
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % p.stats_port, timeout=5).read()
    return sum(float(v) for v in re.findall(r"^%s(?:\{[^}]*\})? (\S+)$" % name, body.decode(), re.M))


def resting(p):
    return int(gauge(p, "pgsteer_clients_resting"))


def clients(p):
    return int(gauge(p, "pgsteer_client_connections"))


def test_idle_clients_rest_and_wake(pgsteer, cluster):
    p = start(pgsteer)
    socks = [pgwire.login(p.port, "postgres")[0] for _ in range(20)]
    try:
        wait_for(lambda: resting(p) == 20, 10, "20 clients resting after login")
        for s in socks:   # the first bytes after a rest get new buffers
            rows, err = pgwire.simple_query(s, "SELECT inet_server_port(), pg_is_in_recovery()")
            assert err is None and rows == [[str(cluster.port), "f"]]
        wait_for(lambda: resting(p) == 20, 10, "resting again after a second idle")
        for s in socks[:10]:
            s.close()
        wait_for(lambda: clients(p) == 10, 10, "closed resting clients gone")
        assert resting(p) == 10
        for s in socks[10:]:
            rows, err = pgwire.simple_query(s, "SELECT 1")
            assert err is None and rows == [["1"]]
    finally:
        for s in socks:
            s.close()
    wait_for(lambda: clients(p) == 0 and resting(p) == 0, 10, "all gone, gauge back at 0")


def test_session_state_survives_rests(pgsteer, cluster):
    """Settings, named prepared statements and last_route are the client's,
    not its buffers'."""
    p = start(pgsteer)
    with p.connect(application_name="rest-app") as conn:
        conn.execute("SET search_path = pg_catalog, public")
        conn.execute("SET TimeZone = 'Asia/Tokyo'")
        for i in range(6):   # psycopg prepares from the fifth run on
            assert conn.execute("SELECT %s::int + 1", (i,)).fetchone()[0] == i + 1
        wait_for(lambda: resting(p) >= 1, 10, "the connection resting")
        assert scalar(conn, "SHOW TimeZone") == "Asia/Tokyo"
        assert scalar(conn, "SHOW search_path") == "pg_catalog, public"
        assert scalar(conn, "SHOW application_name") == "rest-app"
        assert scalar(conn, "SHOW pgsteer.last_route") == "primary:main1"
        for i in range(6):
            assert conn.execute("SELECT %s::int + 1", (i,)).fetchone()[0] == i + 1
        with p.connect(dbname="pgsteer", user="admin") as a:
            rows = a.execute("SHOW CLIENTS").fetchall()
            cols = [d.name for d in a.execute("SHOW CLIENTS").description]
        apps = [dict(zip(cols, r)).get("application_name") for r in rows]
        assert "rest-app" in apps


def test_resting_clients_still_get_their_fatal(pgsteer):
    """client_idle_timeout and shutdown write to clients that rest."""
    p = start(pgsteer, client_idle_timeout="2s")
    s, _ = pgwire.login(p.port, "postgres")
    try:
        wait_for(lambda: resting(p) == 1, 10, "the client resting")
        kind, fields = pgwire.error_or_close(s, timeout=15)
        assert kind == "error" and fields["C"] == "57P05", fields
    finally:
        s.close()

    p = start(pgsteer)
    socks = [pgwire.login(p.port, "postgres")[0] for _ in range(3)]
    try:
        wait_for(lambda: resting(p) == 3, 10, "three clients resting")
        p.proc.terminate()
        for s in socks:
            kind, fields = pgwire.error_or_close(s, timeout=15)
            assert kind == "error" and fields["C"] == "57P01", fields
        p.assert_clean_exit(p.proc.wait(15))
    finally:
        for s in socks:
            s.close()


def test_tls_and_admin_clients_do_not_rest(pgsteer, certs):
    cert, key = certs
    p = start(pgsteer, client_tls_cert_file=cert, client_tls_key_file=key)
    with p.connect(sslmode="require") as tls_conn, \
            p.connect(dbname="pgsteer", user="admin") as a:
        plain, _ = pgwire.login(p.port, "postgres")
        try:
            wait_for(lambda: resting(p) == 1, 10, "the plain client resting")
            assert clients(p) == 3
            assert scalar(tls_conn, "SELECT 1") == 1
            assert a.execute("SHOW VERSION").fetchone()
        finally:
            plain.close()
