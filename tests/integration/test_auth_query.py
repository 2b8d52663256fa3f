"""auth_user / auth_query (as PgBouncer's): clients whose user is not in
auth_file are authenticated with the secret pgsteer looks up on the
primary as auth_user, and pgsteer logs in to PostgreSQL for them with that
secret (md5 hash) or by SCRAM passthrough (the ClientKey of the client's
own proof).

The server's pg_hba.conf demands md5 or scram-sha-256 for these roles, so a
session only works if pgsteer really authenticated to PostgreSQL as the
user; `SELECT current_user` shows who answered. No test sleeps: conditions
are polled."""
import os
import signal
import subprocess
import sys
import time

import pytest

import pgwire
from helpers import (free_port, pg_ctl, port_accepts, prepend_server_hba, primary_only,
                     restore_server_hba, scalar, wait_for)


@pytest.fixture
def pgsteer(pgsteer, cluster):
    """Auth is proxy core: the primary is the only node."""
    return primary_only(pgsteer, cluster)


AUTH_USER, AUTH_PW = "aq_auth", "aq-auth-secret-1"
FN_USER, FN_PW = "aq_fn_auth", "aq-fn-secret-2"
# role -> (password, password_encryption, server pg_hba method, extra role options)
ROLES = {
    AUTH_USER: (AUTH_PW, "scram-sha-256", "scram-sha-256", "SUPERUSER"),
    FN_USER: (FN_PW, "scram-sha-256", "scram-sha-256", ""),
    "aq_md5": ("aq-md5-pw-3", "md5", "md5", ""),
    "aq_scram": ("aq-scram-pw-4", "scram-sha-256", "scram-sha-256", ""),
    "aq_expired": ("aq-expired-pw-5", "scram-sha-256", "scram-sha-256",
                   "VALID UNTIL '2001-01-01'"),
    "aq_filewins": ("aq-db-pw-6", "scram-sha-256", "trust", ""),
}
FILE_PW = "aq-file-pw-7"      # aq_filewins's password in auth_file (not the database's)
HBA_MARK = "# pgsteer integration test_auth_query"
LOOKUP_FN = """
CREATE OR REPLACE FUNCTION public.aq_user_lookup(in i_username text, out uname text, out phash text)
RETURNS record AS $$
BEGIN
    SELECT rolname, CASE WHEN rolvaliduntil < now() THEN NULL ELSE rolpassword END
    FROM pg_catalog.pg_authid WHERE rolname = i_username AND rolcanlogin
    INTO uname, phash;
    RETURN;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
"""
FN_QUERY = "SELECT uname, phash FROM public.aq_user_lookup($1)"
SLOW_QUERY = ("SELECT rolname, rolpassword FROM pg_authid, pg_sleep(%s) "
              "WHERE rolname = $1 AND rolcanlogin")


@pytest.fixture(scope="module")
def roles(cluster):
    """The roles (none but aq_filewins in any auth_file), the lookup
    function for the non-superuser auth_user, and server pg_hba lines
    demanding passwords; undone at module end."""
    with cluster.connect() as c:
        for role, (pw, enc, _, opts) in ROLES.items():
            c.execute("DROP ROLE IF EXISTS %s" % role)
            c.execute("SET password_encryption = '%s'" % enc)
            c.execute("CREATE ROLE %s LOGIN PASSWORD '%s' %s" % (role, pw, opts))
        c.execute(LOOKUP_FN)
        c.execute("REVOKE ALL ON FUNCTION public.aq_user_lookup(text) FROM PUBLIC")
        c.execute("GRANT EXECUTE ON FUNCTION public.aq_user_lookup(text) TO %s" % FN_USER)
        secrets = {r: scalar(c, "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (r,))
                   for r in ROLES}
    original = prepend_server_hba(
        cluster, ["host all %s 127.0.0.1/32 %s %s\n" % (r, m, HBA_MARK)
                  for r, (_, _, m, _) in ROLES.items() if m != "trust"], "aq_scram")
    yield secrets
    restore_server_hba(cluster, original)
    with cluster.connect() as c:
        c.execute("DROP FUNCTION IF EXISTS public.aq_user_lookup(text)")
        for role in ROLES:
            c.execute("DROP ROLE IF EXISTS %s" % role)


def userlist(tmp_path, entries, name="userlist.txt"):
    path = tmp_path / name
    path.write_text("".join('"%s" "%s"\n' % (u, p) for u, p in entries.items()))
    return str(path)


def start(pgsteer, tmp_path, auth_type="scram-sha-256", entries=None, **opts):
    """pgsteer with auth_user = aq_auth (its password in auth_file, as PgBouncer)."""
    if entries is None:
        entries = {AUTH_USER: AUTH_PW, "aq_filewins": FILE_PW}
    opts.setdefault("log_level", "debug")
    return pgsteer(auth_type=auth_type, auth_file=userlist(tmp_path, entries),
                   auth_user=AUTH_USER, **opts)


def login_error(port, user, password, dbname="postgres"):
    """Log in on the raw protocol; the ErrorResponse it must end with."""
    with pytest.raises(pgwire.ServerError) as ei:
        s, _ = pgwire.login(port, user, dbname=dbname, password=password)
        s.close()
    assert ei.value.fields.get("S") == "FATAL"
    return ei.value


def assert_no_secrets(p, secrets):
    log = p.log()
    for role, (pw, _, _, _) in ROLES.items():
        assert pw not in log, "password of %s in the pgsteer log" % role
    for role, secret in secrets.items():
        assert secret not in log, "secret of %s in the pgsteer log" % role
        # nor the parts of a SCRAM secret (salt, StoredKey, ServerKey)
        if secret.startswith("SCRAM-SHA-256$"):
            for part in secret.split("$", 1)[1].replace("$", ":").split(":")[1:]:
                assert part not in log, "part of the SCRAM secret of %s in the log" % role
    assert FILE_PW not in log


def current_user(p, user, password, **kw):
    with p.connect(user=user, password=password, **kw) as conn:
        return conn.execute("SELECT current_user, inet_server_port()").fetchone()


def test_md5_secret(cluster, pgsteer, roles, tmp_path):
    """An md5 role: md5 client auth against the fetched hash, md5 server login with it."""
    p = start(pgsteer, tmp_path, auth_type="md5")
    pw = ROLES["aq_md5"][0]
    assert current_user(p, "aq_md5", pw) == ("aq_md5", cluster.port)
    assert login_error(p.port, "aq_md5", pw + "-wrong").sqlstate == "28P01"
    # an unknown user looks exactly like a wrong password
    e = login_error(p.port, "aq_nobody", "whatever")
    assert e.sqlstate == "28P01"
    assert e.fields["M"] == 'password authentication failed for user "aq_nobody"'
    # md5 client auth cannot check against a SCRAM secret (as with auth_file)
    assert login_error(p.port, "aq_scram", ROLES["aq_scram"][0]).sqlstate == "28P01"
    # a second login reuses the lookup connection (one per node and database)
    assert current_user(p, "aq_md5", pw)[0] == "aq_md5"
    with cluster.connect() as c:
        assert scalar(c, "SELECT count(*) FROM pg_stat_activity WHERE usename = %s "
                      "AND application_name = 'pgsteer-auth_query'", (AUTH_USER,)) == 1
    assert_no_secrets(p, roles)


def test_scram_passthrough_with_a_secret_in_auth_file(cluster, pgsteer, roles, tmp_path):
    """auth_file holds the role's SCRAM secret (as pg_authid has it), no
    auth_query: a client's SCRAM proof gives pgsteer the keys for the
    server's scram-sha-256 login (passthrough), again for servers that
    retire, also after a reload (SIGHUP) that keeps the secret, and a
    wrong password still fails."""
    p = pgsteer(auth_type="scram-sha-256", default_pool_size=2, server_lifetime="20ms",
                auth_file=userlist(tmp_path, {"aq_scram": roles["aq_scram"]}))
    pw = ROLES["aq_scram"][0]
    pids = set()

    def churn(conn, n):
        deadline = time.monotonic() + 20
        while len(pids) < n and time.monotonic() < deadline:
            with conn.transaction():
                row = conn.execute("SELECT current_user, pg_backend_pid()").fetchone()
            assert row[0] == "aq_scram"
            pids.add(row[1])
        assert len(pids) >= n, "servers did not churn: %s" % pids
    with p.connect(user="aq_scram", password=pw) as conn:
        churn(conn, 3)
        p.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "configuration reloaded" in p.log(), 10, "the reload")
        churn(conn, 6)  # new server logins, and no client has proved the secret since
    assert "allows only passthrough" not in p.log()
    assert login_error(p.port, "aq_scram", pw + "x").sqlstate == "28P01"
    assert_no_secrets(p, roles)


def test_scram_passthrough_with_pool_churn(cluster, pgsteer, roles, tmp_path):
    """A SCRAM role: the client's proof gives pgsteer the keys for the
    server's scram-sha-256 login; servers that retire (server_lifetime)
    log in again with them, many times."""
    p = start(pgsteer, tmp_path, default_pool_size=2, server_lifetime="20ms")
    pw = ROLES["aq_scram"][0]
    pids = set()
    conns = [p.connect(user="aq_scram", password=pw) for _ in range(3)]
    try:
        deadline = time.monotonic() + 20
        i = 0
        while (len(pids) < 5 or i < 60) and time.monotonic() < deadline:
            conn = conns[i % 3]
            with conn.transaction():
                row = conn.execute("SELECT current_user, pg_backend_pid(), "
                                   "(SELECT count(*) FROM pg_class)").fetchone()
            assert row[0] == "aq_scram"
            pids.add(row[1])
            i += 1
    finally:
        for c in conns:
            c.close()
    assert len(pids) >= 5, "servers did not churn: %s" % pids
    assert "allows only passthrough" not in p.log()
    assert login_error(p.port, "aq_scram", pw + "x").sqlstate == "28P01"
    # an unknown user gets the mock SCRAM exchange and the same failure
    e = login_error(p.port, "aq_nobody", "whatever")
    assert e.sqlstate == "28P01"
    assert_no_secrets(p, roles)


def test_expired_role_refused(pgsteer, roles, tmp_path):
    p = start(pgsteer, tmp_path)
    e = login_error(p.port, "aq_expired", ROLES["aq_expired"][0])
    assert e.sqlstate == "28P01"
    assert_no_secrets(p, roles)


def test_auth_file_wins(pgsteer, roles, tmp_path):
    """A user in auth_file is never looked up: its auth_file password counts."""
    p = start(pgsteer, tmp_path)
    assert current_user(p, "aq_filewins", FILE_PW)[0] == "aq_filewins"
    assert login_error(p.port, "aq_filewins", ROLES["aq_filewins"][0]).sqlstate == "28P01"
    assert "auth_query" not in "\n".join(
        l for l in p.log().splitlines() if "aq_filewins" in l)


def test_hba_file_method(pgsteer, roles, tmp_path):
    """The method an hba_file rule picks uses auth_query as auth_type does."""
    hba = tmp_path / "hba.conf"
    hba.write_text("host all aq_md5 127.0.0.1/32 md5\n"
                   "host all all 127.0.0.1/32 scram-sha-256\n")
    p = start(pgsteer, tmp_path, auth_type="trust", hba_file=str(hba))
    assert current_user(p, "aq_md5", ROLES["aq_md5"][0])[0] == "aq_md5"
    assert current_user(p, "aq_scram", ROLES["aq_scram"][0])[0] == "aq_scram"
    assert login_error(p.port, "aq_md5", "nope").sqlstate == "28P01"
    assert login_error(p.port, "aq_scram", "nope").sqlstate == "28P01"
    assert_no_secrets(p, roles)


def test_security_definer_function(cluster, pgsteer, roles, tmp_path):
    """A non-superuser auth_user with PgBouncer's recommended SECURITY
    DEFINER lookup function, in another database (auth_dbname)."""
    with cluster.connect() as c:
        assert not scalar(c, "SELECT rolsuper FROM pg_roles WHERE rolname = %s", (FN_USER,))
    p = pgsteer(auth_type="scram-sha-256", auth_file=userlist(tmp_path, {FN_USER: FN_PW}),
                auth_user=FN_USER, auth_query=FN_QUERY, auth_dbname="postgres",
                log_level="debug")
    assert current_user(p, "aq_scram", ROLES["aq_scram"][0])[0] == "aq_scram"
    assert current_user(p, "aq_scram", ROLES["aq_scram"][0], dbname="template1") == \
        ("aq_scram", cluster.port)
    # an md5 hash cannot check a SCRAM exchange (as with auth_file)
    assert login_error(p.port, "aq_md5", ROLES["aq_md5"][0]).sqlstate == "28P01"
    with cluster.connect() as c:   # one lookup connection, in auth_dbname
        assert c.execute("SELECT datname FROM pg_stat_activity WHERE usename = %s",
                         (FN_USER,)).fetchall() == [("postgres",)]
    assert login_error(p.port, "aq_expired", ROLES["aq_expired"][0]).sqlstate == "28P01"
    assert login_error(p.port, "aq_nobody", "x").sqlstate == "28P01"
    assert_no_secrets(p, roles)


def test_query_error_fails_only_that_login(pgsteer, roles, tmp_path):
    """auth_query that cannot run: a clear FATAL 08006 for that login; users
    in auth_file are unaffected."""
    p = start(pgsteer, tmp_path, auth_query="SELECT rolname, rolpassword FROM no_such_table "
              "WHERE rolname = $1")
    with p.connect(user="aq_filewins", password=FILE_PW) as other:
        e = login_error(p.port, "aq_scram", ROLES["aq_scram"][0])
        assert e.sqlstate == "08006"
        assert e.fields["M"].startswith("auth_query failed:")
        assert "no_such_table" in e.fields["M"]
        assert scalar(other, "SELECT current_user") == "aq_filewins"
    log = p.log()
    assert "auth_query failed" in log and "node main1" in log
    assert_no_secrets(p, roles)


def test_wrong_auth_user_password(pgsteer, roles, tmp_path):
    p = start(pgsteer, tmp_path, entries={AUTH_USER: "not-the-password", "aq_filewins": FILE_PW})
    with p.connect(user="aq_filewins", password=FILE_PW) as other:
        e = login_error(p.port, "aq_md5", ROLES["aq_md5"][0])
        assert e.sqlstate == "08006"
        assert "auth_query failed" in e.fields["M"]
        assert "password authentication failed" in e.fields["M"]
        assert scalar(other, "SELECT 1") == 1
    assert "not-the-password" not in p.log()
    assert_no_secrets(p, roles)


def test_disconnect_mid_lookup_and_timeout(cluster, pgsteer, roles, tmp_path):
    """A client leaving while its lookup runs changes nothing for others;
    a lookup slower than server_connect_timeout fails that login with 08006,
    and the next lookup (on a fresh connection) works."""
    p = start(pgsteer, tmp_path, auth_query=SLOW_QUERY % "0.5", server_connect_timeout="5s")
    for _ in range(5):
        s = pgwire.open_socket(p.port)
        s.sendall(pgwire.startup_packet("aq_scram"))
        s.close()   # gone before the lookup answers
    wait_for(lambda: "closed: client closed connection" in p.log(), 10, "clients gone")
    # the lookups finish for nobody; a real login still works meanwhile and after
    assert current_user(p, "aq_scram", ROLES["aq_scram"][0])[0] == "aq_scram"
    assert current_user(p, "aq_filewins", FILE_PW)[0] == "aq_filewins"

    q = start(pgsteer, tmp_path, auth_query=SLOW_QUERY % "3",
              server_connect_timeout="500ms")
    e = login_error(q.port, "aq_scram", ROLES["aq_scram"][0])
    assert e.sqlstate == "08006"
    assert "auth_query failed" in e.fields["M"] and "500 ms" in e.fields["M"]
    assert_no_secrets(p, roles)
    assert_no_secrets(q, roles)


@pytest.fixture
def relay(cluster):
    """A TCP relay to the primary that the test can cut and restore."""
    port = free_port()
    script = os.path.join(os.path.dirname(__file__), "tcprelay.py")
    state = {"proc": None}

    def up():
        state["proc"] = subprocess.Popen([sys.executable, script, "127.0.0.1", str(port),
                                          "127.0.0.1", str(cluster.port)],
                                         stdout=subprocess.PIPE, text=True)
        assert state["proc"].stdout.readline().strip() == "ready"

    def down():
        state["proc"].kill()
        state["proc"].wait(10)
        state["proc"].stdout.close()
        state["proc"] = None
        wait_for(lambda: not port_accepts(port), 10, "relay down")

    up()
    yield port, up, down
    if state["proc"]:
        down()


def test_primary_unreachable_then_back(cluster, pgsteer, roles, tmp_path, relay):
    port, up, down = relay
    p = start(pgsteer, tmp_path, nodes=[port], server_login_retry="100ms")
    pw = ROLES["aq_scram"][0]
    assert current_user(p, "aq_scram", pw)[0] == "aq_scram"
    down()
    def lookup_fails():
        try:
            s, _ = pgwire.login(p.port, "aq_scram", password=pw)
            s.close()
            return None
        except pgwire.ServerError as e:
            return e
    e = wait_for(lookup_fails, 15, "a login failing while the primary is cut off")
    assert e.sqlstate == "08006", e.fields
    assert e.fields["M"].startswith("auth_query failed: node main1")
    up()
    wait_for(lambda: lookup_fails() is None, 20, "a login succeeding once the primary is back")
    # statements follow once the monitor has seen the primary up again (57P03 until then)
    wait_for(lambda: current_user(p, "aq_scram", pw)[0] == "aq_scram", 10,
             "a statement on the primary once the monitor sees it up")
    assert_no_secrets(p, roles)


def test_min_pool_size_before_any_scram_proof(pgsteer, roles, tmp_path):
    """min_pool_size wants a server for a SCRAM role before any client proved
    SCRAM: that server login fails with a clear message, no crash; the
    client's own login then works by passthrough."""
    p = start(pgsteer, tmp_path, min_pool_size=2, server_login_retry="100ms")
    pw = ROLES["aq_scram"][0]
    # a wrong password creates the pool, and no proof gives it keys
    assert login_error(p.port, "aq_scram", pw + "-wrong").sqlstate == "28P01"
    wait_for(lambda: "allows only passthrough, which needs a client to have logged in with "
             "SCRAM first" in p.log(), 10, "min_pool_size login refused for lack of keys")
    for _ in range(3):
        assert current_user(p, "aq_scram", pw)[0] == "aq_scram"
    assert_no_secrets(p, roles)


def test_reload_turns_auth_query_off(pgsteer, roles, tmp_path):
    p = start(pgsteer, tmp_path, auth_type="md5")
    assert current_user(p, "aq_md5", ROLES["aq_md5"][0])[0] == "aq_md5"
    text = open(p.config_path).read()
    assert "auth_user = aq_auth" in text
    with open(p.config_path, "w") as f:
        f.write(text.replace("auth_user = aq_auth\n", ""))
    os.kill(p.proc.pid, 1)
    wait_for(lambda: "configuration reloaded" in p.log(), 10, "reload")
    assert login_error(p.port, "aq_md5", ROLES["aq_md5"][0]).sqlstate == "28P01"
    with open(p.config_path, "w") as f:
        f.write(text)
    os.kill(p.proc.pid, 1)
    wait_for(lambda: p.log().count("configuration reloaded") >= 2, 10, "second reload")
    assert current_user(p, "aq_md5", ROLES["aq_md5"][0])[0] == "aq_md5"
    assert_no_secrets(p, roles)


def test_lookups_follow_a_promoted_replica(private_cluster, pgsteer, tmp_path):
    """When the primary moves, lookups go to the new one (the old
    connection is retired); the secret there is the replicated one."""
    c = private_cluster
    new_port = c.port + 1                                  # replica1 = node main2
    with c.connect() as d:
        d.execute("SET password_encryption = 'scram-sha-256'")
        d.execute("CREATE ROLE %s LOGIN SUPERUSER PASSWORD '%s'" % (AUTH_USER, AUTH_PW))
        d.execute("CREATE ROLE aq_scram LOGIN PASSWORD '%s'" % ROLES["aq_scram"][0])
    with c.connect(new_port) as r:
        wait_for(lambda: scalar(r, "SELECT count(*) FROM pg_roles WHERE rolname = 'aq_scram'"),
                 15, "the role on replica1")
    p = start(pgsteer, tmp_path, nodes=[c.port, c.port + 1, c.port + 2],
              extra={"routing": {"check_interval": "50ms", "health_check_timeout": "1s"}})
    pw = ROLES["aq_scram"][0]

    def on_primary(**kw):
        with p.connect(user="aq_scram", password=pw, **kw) as conn:
            return conn.execute("/* pgsteer: primary */ SELECT current_user, "
                                "inet_server_port()").fetchone()
    assert on_primary() == ("aq_scram", c.port)

    pg_ctl(c, "replica1", "-w", "promote")
    pg_ctl(c, "primary", "-m", "immediate", "-w", "stop")

    def login_on_new_primary():
        try:
            return on_primary(connect_timeout=3) == ("aq_scram", new_port)
        except Exception:
            return False
    wait_for(login_on_new_primary, 20, "a login through the promoted replica")
    with c.connect(new_port) as d:
        assert scalar(d, "SELECT count(*) FROM pg_stat_activity WHERE usename = %s "
                      "AND application_name = 'pgsteer-auth_query'", (AUTH_USER,)) == 1
    assert login_error(p.port, "aq_scram", pw + "x").sqlstate == "28P01"
