"""The metadata schema (DESIGN.md "Tenant placement", issue 7 part 1), tested
the way a careful migrator is: a fresh database gets the current schema; a
current one is opened without running a step; an old one (version 1 with
data, set up here) is upgraded step by step and keeps its data; a newer one
is refused with "incompatible metadata schema version N (this build
supports M)" and left untouched; a step that fails rolls back, says which
step and what PostgreSQL said, and pgsteer exits non-zero; two instances
starting together migrate once and both run.  Plus: after losing its
metadata connection an instance reloads everything on reconnect.
"""
import threading

import pytest

import helpers
from helpers import scalar, wait_for
from tenancy_support import (CURRENT_VERSION, SCHEMA_V1, admin, dump, fresh_database,
                             md_connect, run_to_exit, serving, tenancy_extra, tenants, write_config)

pytestmark = pytest.mark.proxy_only


def versions(conn):
    return [r[0] for r in conn.execute(
        "SELECT version FROM pgsteer.schema_version ORDER BY version").fetchall()]


@pytest.fixture
def mddb(cluster):
    return fresh_database(cluster)


def test_fresh_database_gets_the_current_schema(cluster, pgsteer, mddb):
    p = serving(pgsteer(nodes=[cluster.port], extra=tenancy_extra(mddb)))
    with md_connect(cluster, mddb) as m:
        assert versions(m) == list(range(1, CURRENT_VERSION + 1))
        tables = {r[0] for r in m.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'pgsteer'")}
        assert tables == {"schema_version", "tenants", "nodes", "placement_log"}
        # the constraints keep it consistent
        with pytest.raises(Exception, match="tenants_state_check"):
            m.execute("INSERT INTO pgsteer.tenants (tenant_id, cluster, state) "
                      "VALUES ('x', 'main', 'lost')")
    assert "schema pgsteer created at version %d" % CURRENT_VERSION in p.log()


def test_reopening_the_current_schema_runs_no_step(cluster, pgsteer, mddb, tmp_path):
    first = serving(pgsteer(nodes=[cluster.port], extra=tenancy_extra(mddb)))
    with md_connect(cluster, mddb) as m:
        before = dump(m)
    first.assert_clean_exit(first.stop())
    second = write_config(cluster, tmp_path, "second", tenancy_extra(mddb))
    second.start()
    try:
        with admin(second) as a:
            assert tenants(a) == {}
    finally:
        second.assert_clean_exit(second.stop())
    log = second.log()
    assert "at version %d, nothing to upgrade" % CURRENT_VERSION in log
    assert "step" not in log.replace("metadata: schema pgsteer at version", "")
    with md_connect(cluster, mddb) as m:
        assert dump(m) == before       # applied_at included: not one row rewritten


def test_version_1_with_data_is_upgraded_step_by_step(cluster, pgsteer, mddb):
    with md_connect(cluster, mddb) as m:
        m.execute(SCHEMA_V1)
        m.execute("INSERT INTO pgsteer.tenants (tenant_id, cluster, generation) "
                  "VALUES ('old_acme', 'main', 7)")
        m.execute("INSERT INTO pgsteer.nodes (node, cluster, availability) "
                  "VALUES ('main1', 'main', 'active')")
        m.execute("INSERT INTO pgsteer.placement_log (tenant_id, action, to_cluster, generation) "
                  "VALUES ('old_acme', 'create', 'main', 7)")
        created = scalar(m, "SELECT created_at FROM pgsteer.tenants")
    p = serving(pgsteer(nodes=[cluster.port], extra=tenancy_extra(mddb)))
    log = p.log()
    # each step in order, once
    assert log.index("schema step 2 applied") < log.index("schema step 3 applied")
    assert "step 1 applied" not in log
    assert "upgraded from version 1 to %d" % CURRENT_VERSION in log
    with md_connect(cluster, mddb) as m:
        assert versions(m) == list(range(1, CURRENT_VERSION + 1))
        assert m.execute("SELECT tenant_id, cluster, generation, state, moving_to, created_at "
                         "FROM pgsteer.tenants").fetchall() == \
            [("old_acme", "main", 7, "active", None, created)]
        assert scalar(m, "SELECT count(*) FROM pgsteer.placement_log") == 1
        assert scalar(m, "SELECT count(*) FROM pgsteer.nodes") == 1
    # the upgraded placement is live: the old tenant is routed
    with admin(p) as a:
        assert tenants(a) == {"old_acme": ("main", 7, "active")}
    with helpers.connect(p.port, options="-c pgsteer.tenant=old_acme") as c:
        assert scalar(c, "SELECT inet_server_port()") == cluster.port


def test_a_newer_schema_is_refused_and_left_untouched(cluster, mddb, tmp_path):
    with md_connect(cluster, mddb) as m:
        m.execute(SCHEMA_V1)
        m.execute("INSERT INTO pgsteer.tenants (tenant_id, cluster) VALUES ('t1', 'main')")
        m.execute("INSERT INTO pgsteer.schema_version (version, description) "
                  "VALUES (99, 'from the future')")
        before = dump(m)
    p = write_config(cluster, tmp_path, "newer", tenancy_extra(mddb))
    rc, log = run_to_exit(p)
    assert rc != 0
    assert "incompatible metadata schema version 99 (this build supports %d)" \
        % CURRENT_VERSION in log
    with md_connect(cluster, mddb) as m:
        assert dump(m) == before


def test_a_failing_step_rolls_back_and_names_the_step(cluster, mddb, tmp_path):
    with md_connect(cluster, mddb) as m:
        m.execute(SCHEMA_V1)
        # a state step 2's constraint does not allow: the upgrade must fail there
        m.execute("INSERT INTO pgsteer.tenants (tenant_id, cluster, state) "
                  "VALUES ('broken', 'main', 'lost')")
        before = dump(m)
    p = write_config(cluster, tmp_path, "failing", tenancy_extra(mddb))
    rc, log = run_to_exit(p)
    assert rc != 0
    line = next(l for l in log.splitlines() if "upgrade step 2" in l)
    assert "(state constraints; placement_log records instance, node and reason) failed" in line
    assert 'check constraint "tenants_state_check"' in line and "SQLSTATE 23514" in line
    assert "rolled back, the schema stays at version 1" in line
    with md_connect(cluster, mddb) as m:
        assert dump(m) == before      # no column, no constraint, no version row added


def test_two_instances_starting_together_migrate_once(cluster, mddb, tmp_path):
    ps = [write_config(cluster, tmp_path, "twin%d" % i, tenancy_extra(mddb, instance_name="twin%d" % i))
          for i in range(2)]
    errors = []

    def start(p):
        try:
            p.start()
        except Exception as e:  # reported below
            errors.append(e)
    threads = [threading.Thread(target=start, args=(p,)) for p in ps]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        for p in ps:
            with admin(p) as a:
                assert tenants(a) == {}
        logs = [p.log() for p in ps]
        created = [l for l in logs if "schema pgsteer created at version" in l]
        opened = [l for l in logs if "nothing to upgrade" in l]
        assert len(created) == 1 and len(opened) == 1, logs
        with md_connect(cluster, mddb) as m:
            assert versions(m) == list(range(1, CURRENT_VERSION + 1))
    finally:
        for p in ps:
            p.assert_clean_exit(p.stop())


def test_reload_after_the_metadata_connection_is_lost(cluster, pgsteer, mddb):
    p = pgsteer(nodes=[cluster.port], extra=tenancy_extra(mddb, instance_name="victim"))
    with admin(p) as a:
        a.execute("TENANT CREATE before_loss ON main")
        assert "before_loss" in tenants(a)
    with md_connect(cluster, mddb) as m:
        # a change nobody announces, then the connection dies: the reconnect must reload
        m.execute("INSERT INTO pgsteer.tenants (tenant_id, cluster) VALUES ('silent', 'main')")
        killed = scalar(m, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           "WHERE application_name = 'pgsteer-metadata victim'")
        assert killed == 1
    with admin(p) as a:
        wait_for(lambda: "silent" in tenants(a), 10, "tenant 'silent' loaded after reconnect")
    assert "connection to node main1 (cluster main) lost" in p.log()
    with helpers.connect(p.port, options="-c pgsteer.tenant=silent") as c:
        assert scalar(c, "SELECT inet_server_port()") == cluster.port


def test_the_metadata_connection_follows_a_promoted_primary(private_cluster, pgsteer):
    c = private_cluster
    new_port = c.port + 1                                  # replica1 = node main2
    p = serving(pgsteer(nodes=[c.port, c.port + 1, c.port + 2],
                        extra={"routing": {"check_interval": "50ms", "health_check_timeout": "1s"},
                               "tenancy": {"metadata_cluster": "main"}}))
    with admin(p) as a:
        a.execute("TENANT CREATE before_failover ON main")
    with c.connect(new_port) as r:       # the promoted replica must have it
        wait_for(lambda: scalar(r, "SELECT count(*) FROM pgsteer.tenants") == 1, 15,
                 "placement replicated to replica1")
    helpers.pg_ctl(c, "replica1", "-w", "promote")
    helpers.pg_ctl(c, "primary", "-m", "immediate", "-w", "stop")

    def create_after():
        with admin(p) as a:
            a.execute("TENANT CREATE after_failover ON main")
        return True
    wait_for(create_after, 20, "TENANT CREATE on the promoted primary")
    assert "metadata: ready on node main2 (cluster main)" in p.log()
    with c.connect(new_port) as d:
        assert {r[0] for r in d.execute("SELECT tenant_id FROM pgsteer.tenants")} == \
            {"before_failover", "after_failover"}
    with admin(p) as a:
        assert set(tenants(a)) == {"before_failover", "after_failover"}
    with helpers.connect(p.port, options="-c pgsteer.tenant=after_failover") as s:
        assert scalar(s, "SELECT inet_server_port()") == new_port
