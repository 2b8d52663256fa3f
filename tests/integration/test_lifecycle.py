"""Process and pool lifecycle through pgsteer, against real PostgreSQL:
SIGHUP reload (a good file applies, a bad one is refused and the running
config stays), max_client_conn, the unix socket listener, timeouts that
end a client (idle in transaction) or a server (server_idle_timeout), and
the session-mode reset query.
"""
import os
import signal
import socket
import struct
import time

import psycopg
import pytest

from helpers import primary_only, scalar, wait_for

pytestmark = pytest.mark.proxy_only


@pytest.fixture
def pgsteer(pgsteer, cluster):
    """The proxy core under test: the primary is the only node."""
    return primary_only(pgsteer, cluster)


def _backends(primary, app=None):
    """Client backends on the primary (excluding our own connection)."""
    return scalar(primary, "SELECT count(*) FROM pg_stat_activity "
                           "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() "
                           "AND datname = 'postgres' AND application_name <> 'pgsteer-monitor'")


def test_sighup_reload_applies_a_good_file(pgsteer, cluster):
    p = pgsteer(default_pool_size=1)
    with p.connect() as c:
        assert scalar(c, "SELECT 1") == 1
    # now allow more servers and add a client-side limit we can observe
    text = open(p.config_path).read().replace("default_pool_size = 1", "default_pool_size = 3")
    text = text.replace("max_client_conn = 1000", "max_client_conn = 2")
    open(p.config_path, "w").write(text)
    p.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "configuration reloaded" in p.log(), 10, "reload log line")
    held = [p.connect(), p.connect()]
    try:
        with pytest.raises(psycopg.OperationalError) as ei:
            p.connect()
        assert "too many clients" in str(ei.value)
    finally:
        for c in held:
            c.close()


def test_sighup_reload_keeps_running_config_on_bad_file(pgsteer):
    p = pgsteer()
    good = open(p.config_path).read()
    open(p.config_path, "w").write(good + "\n[pgsteer_typo]\nfoo = 1\n")
    p.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload failed" in p.log(), 10, "reload failure log line")
    log = p.log()
    # the reason names the file and the line
    assert "%s:%d:" % (p.config_path, len(good.splitlines()) + 2) in log, log
    assert p.running()
    with p.connect() as c:
        assert scalar(c, "SELECT 42") == 42


def test_max_client_conn_refuses_with_53300(pgsteer):
    p = pgsteer(max_client_conn=3)
    held = [p.connect() for _ in range(3)]
    try:
        with pytest.raises(psycopg.OperationalError) as ei:
            p.connect()
        assert "too many clients" in str(ei.value)
        # the refused client does not disturb the others
        assert all(scalar(c, "SELECT 1") == 1 for c in held)
    finally:
        for c in held:
            c.close()
    # once they leave, a new client gets in
    wait_for(lambda: p.connect().close() is None, 5, "a slot after the clients left")


def test_unix_socket_listener(pgsteer, tmp_path):
    sockdir = str(tmp_path)
    p = pgsteer(unix_socket_dir=sockdir)
    path = os.path.join(sockdir, ".s.PGSQL.%d" % p.port)
    wait_for(lambda: os.path.exists(path), 5, "unix socket file")
    with psycopg.connect(host=sockdir, port=p.port, user="postgres", dbname="postgres",
                         autocommit=True) as c:
        assert scalar(c, "SELECT inet_server_port()") is not None
    p.stop()
    assert not os.path.exists(path), "socket file left behind after shutdown"


def test_idle_in_transaction_timeout_ends_only_that_client(pgsteer):
    p = pgsteer(idle_transaction_timeout="500ms")
    idle = p.connect(autocommit=False)
    busy = p.connect()
    scalar(idle, "SELECT 1")  # opens a transaction and leaves it idle
    time.sleep(0.1)
    # keep the other client busy for longer than the timeout: it is not idle
    assert scalar(busy, "SELECT count(*) FROM pg_sleep(1)") == 1

    def ended():
        try:
            idle.execute("SELECT 1")
            return None
        except psycopg.OperationalError as e:
            return e
    err = wait_for(ended, 5, "the idle client to be ended", interval=0.2)
    assert "idle-in-transaction timeout" in str(err), str(err)
    assert scalar(busy, "SELECT 2") == 2
    idle.close()
    busy.close()


def _idle_timeout_closed(primary):
    return _backends(primary) == 0


def test_server_idle_timeout_closes_unused_servers(pgsteer, primary):
    wait_for(lambda: _backends(primary) == 0, 10, "no leftover backends from earlier tests")
    p = pgsteer(server_idle_timeout="300ms", default_pool_size=2)
    with p.connect() as c:
        assert scalar(c, "SELECT 1") == 1
        assert _backends(primary) >= 1
    wait_for(lambda: _backends(primary) == 0, 5, "the idle server connection to be closed")


def test_session_mode_resets_server_state_between_clients(pgsteer, cluster):
    # one worker: the second client must get the same (only) server connection
    p = pgsteer(pool_mode="session", default_pool_size=1, nodes=[cluster.port], workers=1)
    with p.connect() as c:
        pid = scalar(c, "SELECT pg_backend_pid()")
        c.execute("SET work_mem = '7MB'")
        assert scalar(c, "SHOW work_mem") == "7MB"
    with p.connect() as c:
        # the same backend (pool of one) but DISCARD ALL ran in between
        assert scalar(c, "SELECT pg_backend_pid()") == pid
        assert scalar(c, "SHOW work_mem") != "7MB"


def test_client_leaving_mid_transaction_does_not_leak_it(pgsteer, primary):
    p = pgsteer(default_pool_size=1)
    c = p.connect(autocommit=False)
    t = "lc_leak_%d" % os.getpid()
    c.execute("CREATE TABLE %s (a int)" % t)
    c.close()  # psycopg sends Terminate; the transaction must be rolled back
    with p.connect() as c2:
        assert scalar(c2, "SELECT count(*) FROM pg_class WHERE relname = %s", (t,)) == 0
        assert scalar(c2, "SELECT 1") == 1


def test_startup_with_minor_protocol_version_gets_negotiation(proxy):
    """Protocol 3.1 startup: pgsteer answers NegotiateProtocolVersion, as PostgreSQL does."""
    s = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    body = struct.pack("!I", (3 << 16) | 1) + b"user\0postgres\0database\0postgres\0_pq_.x\0y\0\0"
    s.sendall(struct.pack("!I", len(body) + 4) + body)
    t = s.recv(1)
    assert t == b"v"
    ln = struct.unpack("!I", s.recv(4))[0]
    payload = b""
    while len(payload) < ln - 4:
        payload += s.recv(ln - 4 - len(payload))
    minor, n = struct.unpack("!II", payload[:8])
    assert minor == 0 and n == 1 and payload[8:] == b"_pq_.x\0"
    s.close()


def test_periodic_stats_summary_line(pgsteer):
    p = pgsteer(stats_period="1s")
    with p.connect() as c:
        for _ in range(5):
            scalar(c, "SELECT 1")
    import re

    def routed_to_primary():
        counts = [int(m.group(1)) for m in re.finditer(r" stats: \d+ s: (\d+) to primary", p.log())]
        return counts and sum(counts) == 5
    # the summaries of successive periods add up to exactly the 5 statements
    wait_for(routed_to_primary, 5, "stats summaries counting 5 statements")
    assert "server connections" in p.log()
