"""Shared pieces of the tenancy suites (test_metadata.py, test_tenancy.py):
a second PostgreSQL server (a primary on its own, the "other" cluster), a
fresh metadata database per test, the [tenancy] config, and the metadata
schema as version 1 of this build wrote it (frozen: old schemas are what
the upgrade tests start from).
"""
import os
import shutil
import subprocess
import tempfile
import uuid

import helpers
from helpers import PG_BIN, as_postgres

# Version 1 of schema pgsteer, exactly as metadata.c step 1 creates it.
SCHEMA_V1 = """
CREATE SCHEMA pgsteer;
CREATE TABLE pgsteer.schema_version (version int PRIMARY KEY, description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE pgsteer.tenants (tenant_id text PRIMARY KEY, cluster text NOT NULL,
    generation bigint NOT NULL DEFAULT 1, state text NOT NULL DEFAULT 'active',
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE pgsteer.nodes (node text PRIMARY KEY, cluster text NOT NULL,
    availability text NOT NULL DEFAULT 'active', scheduling text NOT NULL DEFAULT 'active',
    updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE pgsteer.placement_log (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(),
    tenant_id text, action text NOT NULL, from_cluster text, to_cluster text, generation bigint);
INSERT INTO pgsteer.schema_version (version, description)
    VALUES (1, 'initial schema: tenants, nodes, placement_log, schema_version');
"""

CURRENT_VERSION = 4


class PgServer:
    """One PostgreSQL 15 primary in a temp dir on a free loopback port."""

    def __init__(self):
        self.base_dir = tempfile.mkdtemp(prefix="pgsteer-ten-")
        os.chmod(self.base_dir, 0o755)
        self.data = os.path.join(self.base_dir, "data")
        self.log = os.path.join(self.base_dir, "pg.log")
        self.port = helpers.free_port()

    def start(self, settings=None):
        """initdb and start; SETTINGS (dict name -> value) adds -c options,
        e.g. {"wal_level": "logical"} for a logical replication source."""
        if os.geteuid() == 0:
            shutil.chown(self.base_dir, "postgres", "postgres")
        r = as_postgres(os.path.join(PG_BIN, "initdb"), "-D", self.data, "-A", "trust",
                        "-U", "postgres", "--no-sync", "-E", "UTF8")
        assert r.returncode == 0, r.stdout + r.stderr
        opts = "-c port=%d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s " \
               "-c fsync=off -c max_connections=100 -c shared_buffers=16MB" % (
                   self.port, self.base_dir)
        for k, v in (settings or {}).items():
            opts += " -c %s=%s" % (k, v)
        r = as_postgres(os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l", self.log,
                        "-o", opts, "-w", "-t", "60", "start")
        assert r.returncode == 0, r.stdout + r.stderr
        return self

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            as_postgres(os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", "immediate",
                        "-w", "stop")
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def connect(self, **kw):
        return helpers.connect(self.port, **kw)


def fresh_database(cluster):
    """A new, empty database on the shared cluster's primary (replicated to its replicas)."""
    name = "md_" + uuid.uuid4().hex[:12]
    with cluster.connect() as c:
        c.execute("CREATE DATABASE " + name)
    return name


def md_connect(cluster, dbname):
    return helpers.connect(cluster.port, dbname=dbname)


def tenancy_extra(dbname, other=None, **tenancy):
    """[tenancy] on cluster main with metadata in DBNAME; OTHER (a PgServer) adds
    cluster "other" with that one node."""
    t = {"metadata_cluster": "main", "metadata_database": dbname}
    t.update(tenancy)
    extra = {"routing": {"check_interval": "50ms"}, "tenancy": t}
    if other is not None:
        extra["cluster.other"] = {}
        extra["node.other1"] = {"cluster": "other", "host": "127.0.0.1", "port": other.port}
    return extra


def write_config(cluster, tmp_path, name, extra, nodes=None, **opts):
    """A config file and a Pgsteer object for it (not started)."""
    port = helpers.free_port()
    sections = helpers.pgsteer_sections(cluster, port, nodes=nodes or [cluster.port],
                                        extra=extra, **opts)
    cfg = tmp_path / (name + ".ini")
    cfg.write_text(helpers.render_ini(sections))
    return helpers.Pgsteer(str(cfg), str(tmp_path / (name + ".log")), port)


def run_to_exit(p, timeout=30):
    """Run pgsteer P in the foreground until it exits by itself: (exit code, log)."""
    with open(p.log_path, "ab") as logf:
        r = subprocess.run([helpers.PGSTEER_BIN, "-c", p.config_path], stdin=subprocess.DEVNULL,
                           stdout=logf, stderr=subprocess.STDOUT, timeout=timeout)
    return r.returncode, p.log()


def admin(p):
    return helpers.connect(p.port, user="admin", dbname="pgsteer")


def serving(p):
    """P once it really serves: the port listens before startup is done, but
    a login is only answered after the schema is open and the placement loaded."""
    with admin(p) as a:
        a.execute("SHOW VERSION")
    return p


def tenants(conn):
    """SHOW TENANTS as {tenant: (cluster, generation, state)}."""
    return {r[0]: (r[1], r[2], r[3]) for r in conn.execute("SHOW TENANTS").fetchall()}


def dump(conn):
    """Everything in schema pgsteer, for 'nothing was touched' checks."""
    out = {}
    for (t,) in conn.execute("SELECT table_name FROM information_schema.tables "
                             "WHERE table_schema = 'pgsteer' ORDER BY 1").fetchall():
        out[t] = conn.execute("SELECT * FROM pgsteer.%s ORDER BY 1" % t).fetchall()
    out["columns"] = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'pgsteer' ORDER BY 1, 2").fetchall()
    out["constraints"] = conn.execute(
        "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE nspname = 'pgsteer' ORDER BY 1").fetchall()
    return out
