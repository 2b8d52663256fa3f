/*
 * Tenant data moves (datamove.h): the phases of TENANT MOVE ... WITH DATA
 * and TENANT CLEANUP's drop of the source copy.
 *
 * A move holds two libpq connections, to the source and the target
 * cluster's primary, each running one query at a time; every phase is a
 * chain of queries whose callbacks start the next.  The schema phase runs
 * pg_dump --schema-only into psql as two child processes joined by a pipe
 * (found on PATH; their standard error is kept for the message).  A tick
 * polls progress and enforces move_data_timeout.
 *
 * Names: the publication, the subscription and its slot are all
 * "pgsteer_move_<tenant>" (lower case, other characters as '_', with a
 * hash when the tenant id needed changing), so that leftovers are
 * recognisable and a second move of the same tenant finds them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "clock.h"
#include "common.h"
#include "datamove.h"
#include "log.h"
#include "monitor.h"
#include "pqwatch.h"
#include "world.h"

extern char **environ;

#define DMOVE_TICK_MS 20
#define DMOVE_PROGRESS_MS 200		/* copy and catch-up progress queries */
#define DMOVE_CUTOVER_POLL_MS 10	/* the target's applied position, inside the hold */
#define DMOVE_CATCHUP_BYTES (1024 * 1024)	/* close enough to hold the tenant's writes */
#define DMOVE_KEEP 16			/* finished moves SHOW MOVES remembers */
#define DMOVE_ACTIONS 8

struct dmove;
typedef void (*step_fn)(struct dmove *m, PGresult *res, const char *sqlstate, const char *err);

/* One libpq connection of a move: one query at a time. */
struct mconn {
	struct dmove *m;
	const char *role;		/* "source" / "target", for messages */
	PGconn *conn;
	struct pq_watch io;
	bool connecting, busy;
	char db[64];
	char *sql;			/* waiting for the connection */
	int nparams;
	char *params[3];
	step_fn done;
	PGresult *res, *err;
};

/* An undo or cleanup statement, run whatever the ones before it did. */
struct action {
	bool on_target;
	bool server_db;			/* on the cluster's server_database (DROP DATABASE) */
	char sql[1024];
	const char *what;
};

struct dmove {
	struct dmove *next;
	char tenant[64], source[64], target[64];
	int from, to;
	enum admin_data_kind kind;
	char name[64];
	char pub[64];			/* publication = subscription = slot name */
	char suboid[16];		/* the subscription's oid on the target: its table sync slots */
	enum dmove_phase phase;
	int64_t started_unix, started_ms, deadline_ms, next_poll_ms;
	int tables_copied, tables_total;
	int64_t bytes, lag_bytes;
	double lag_s;			/* the walsender's replay_lag (0: caught up or idle) */
	char last_error[600];
	char sqlstate[6];
	struct mconn src, dst;
	bool made_db, made_schema, made_pub, made_sub;
	pid_t dump_pid, load_pid;
	int err_fd;
	char errbuf[1024];
	size_t errlen;
	char cut_lsn[32];
	int64_t cut_deadline_ms;
	bool waiting_ready;		/* hooks->ready called: tenant.c holds */
	bool polling;			/* a progress query is in flight */
	const struct dmove_hooks *hooks;
	void *arg;
	void (*cut_done)(void *arg, bool ok, const char *why);
	void *cut_arg;
	void (*end_done)(void *arg, const char *warning);
	void *end_arg;
	bool ending;			/* cleanup or undo running */
	bool drop_job;			/* TENANT CLEANUP, not a move */
	void (*drop_done)(void *arg, const char *sqlstate, const char *error);
	void *drop_arg;
	struct action actions[DMOVE_ACTIONS];
	int n_actions, next_action;
	char warnings[400];
	enum dmove_phase end_phase;	/* DONE, FAILED or CANCELLED once the actions ran */
};

static struct {
	struct event_base *base;
	struct monitor *mon;
	const struct config *cfg;
	struct event *tick;
	struct dmove *moves;		/* newest first */
	void (*ended)(const char *tenant, const char *from, const char *to, enum dmove_phase phase,
		      const char *error);
	uint64_t n_done, n_failed, n_cancelled;
} D;

static void tick_cb(evutil_socket_t fd, short what, void *arg);
static void io_cb(evutil_socket_t fd, short what, void *arg);
static void fail(struct dmove *m, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void run_actions(struct dmove *m);
static void step_prereq_source(struct dmove *m, PGresult *res, const char *sqlstate, const char *err);

/* ---------------- Connections ---------------- */

static void mc_close(struct mconn *mc)
{
	pq_watch_clear(&mc->io);
	if (mc->res)
		PQclear(mc->res);
	if (mc->err)
		PQclear(mc->err);
	if (mc->conn)
		PQfinish(mc->conn);
	free(mc->sql);
	for (int i = 0; i < mc->nparams; i++)
		free(mc->params[i]);
	mc->res = mc->err = NULL;
	mc->conn = NULL;
	mc->sql = NULL;
	mc->nparams = 0;
	mc->connecting = mc->busy = false;
	mc->done = NULL;
}

/* The query ended (or could not run): hand its result to its step. */
static void mc_answer(struct mconn *mc, const char *sqlstate, const char *err)
{
	step_fn done = mc->done;
	PGresult *res = mc->res;
	char msg[400], state[6];

	snprintf(msg, sizeof(msg), "%s", err ? err : "");
	snprintf(state, sizeof(state), "%s", sqlstate ? sqlstate : "");
	if (!err && mc->err) {
		const char *s = PQresultErrorField(mc->err, PG_DIAG_SQLSTATE);
		const char *t = PQresultErrorField(mc->err, PG_DIAG_MESSAGE_PRIMARY);
		snprintf(state, sizeof(state), "%s", s ? s : "XX000");
		snprintf(msg, sizeof(msg), "%s", t ? t : "query failed");
	}
	mc->res = NULL;
	if (mc->err)
		PQclear(mc->err);
	mc->err = NULL;
	mc->busy = false;
	mc->done = NULL;
	if (done)
		done(mc->m, msg[0] ? NULL : res, msg[0] ? state : NULL, msg[0] ? msg : NULL);
	if (res)
		PQclear(res);
}

/* The connection failed: the query in flight (or waiting) fails with its message. */
static void mc_lost(struct mconn *mc, const char *why)
{
	char msg[400];
	step_fn done = mc->done;
	size_t n;

	snprintf(msg, sizeof(msg), "%s cluster %s: %s", mc->role,
		 mc == &mc->m->src ? mc->m->source : mc->m->target, why && *why ? why : "connection lost");
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	mc->done = NULL;
	mc_close(mc);
	if (done)
		done(mc->m, NULL, "08006", msg);
}

static bool mc_want(struct mconn *mc, short what)
{
	return pq_watch_set(&mc->io, D.base, mc->conn, what, mc->connecting, io_cb, mc);
}

static void mc_send(struct mconn *mc)
{
	int r;

	if (!PQsendQueryParams(mc->conn, mc->sql, mc->nparams, NULL, (const char *const *)mc->params,
			       NULL, NULL, 0)) {
		mc_lost(mc, PQerrorMessage(mc->conn));
		return;
	}
	free(mc->sql);
	mc->sql = NULL;
	for (int i = 0; i < mc->nparams; i++)
		free(mc->params[i]);
	mc->nparams = 0;
	mc->busy = true;
	r = PQflush(mc->conn);
	if (r < 0 || !mc_want(mc, r > 0 ? EV_READ | EV_WRITE : EV_READ))
		mc_lost(mc, PQerrorMessage(mc->conn));
}

static void mc_connect_poll(struct mconn *mc)
{
	switch (PQconnectPoll(mc->conn)) {
	case PGRES_POLLING_READING:
		if (!mc_want(mc, EV_READ))
			mc_lost(mc, PQerrorMessage(mc->conn));
		return;
	case PGRES_POLLING_WRITING:
		if (!mc_want(mc, EV_WRITE))
			mc_lost(mc, PQerrorMessage(mc->conn));
		return;
	case PGRES_POLLING_OK:
		mc->connecting = false;
		if (PQsetnonblocking(mc->conn, 1) != 0 || !mc_want(mc, EV_READ)) {
			mc_lost(mc, PQerrorMessage(mc->conn));
			return;
		}
		if (mc->sql)
			mc_send(mc);
		return;
	case PGRES_POLLING_FAILED:
	default:
		mc_lost(mc, PQerrorMessage(mc->conn));
		return;
	}
}

static void mc_readable(struct mconn *mc)
{
	PGresult *res;

	if (!PQconsumeInput(mc->conn)) {
		mc_lost(mc, PQerrorMessage(mc->conn));
		return;
	}
	if (!mc->busy) {
		if (PQstatus(mc->conn) == CONNECTION_BAD)
			mc_lost(mc, PQerrorMessage(mc->conn));
		return;
	}
	while (!PQisBusy(mc->conn)) {
		res = PQgetResult(mc->conn);
		if (!res) {
			mc_answer(mc, NULL, NULL);
			return;
		}
		if (PQresultStatus(res) == PGRES_FATAL_ERROR && !mc->err) {
			mc->err = res;
		} else {
			if (mc->res)
				PQclear(mc->res);
			mc->res = res;
		}
	}
}

static void io_cb_stopped(evutil_socket_t fd, short what, void *arg)
{
	struct mconn *mc = arg;

	UNUSED(fd);
	if (mc->connecting) {
		mc_connect_poll(mc);
		return;
	}
	if (what & EV_WRITE) {
		int r = PQflush(mc->conn);
		if (r < 0 || (r == 0 && !mc_want(mc, EV_READ))) {
			mc_lost(mc, PQerrorMessage(mc->conn));
			return;
		}
	}
	if (what & EV_READ)
		mc_readable(mc);
}

WORLD_STOPPED_CB(io_cb)

/* A NOTICE from a move's query ("created replication slot ..."): the log, not stderr. */
static void notice(void *arg, const char *message)
{
	struct mconn *mc = arg;
	size_t n = strlen(message);

	while (n && message[n - 1] == '\n')
		n--;
	log_debug("tenancy: move of tenant \"%s\", %s: %.*s", mc->m->tenant, mc->role, (int)n, message);
}

/* The user pgsteer's control connections use on CLUSTER (as the metadata and the monitor do). */
static const char *cluster_user(int cluster)
{
	const struct config_cluster *cl = &D.cfg->clusters[cluster];

	return cl->server_user && *cl->server_user ? cl->server_user : "postgres";
}

static const char *cluster_db(int cluster)
{
	const struct config_cluster *cl = &D.cfg->clusters[cluster];

	return cl->server_database && *cl->server_database ? cl->server_database : "postgres";
}

/* CLUSTER's primary node (config index), or -1. */
static int primary_of(int cluster)
{
	const struct cluster_snapshot *snap = monitor_snapshot_get(D.mon);
	int p = cluster < snap->n_clusters ? snap->primary[cluster] : -1;

	monitor_snapshot_put(snap);
	return p;
}

/* Open MC to database DB of CLUSTER's primary; the query waiting in MC goes once connected. */
static void mc_connect(struct mconn *mc, int cluster, const char *db)
{
	int node = primary_of(cluster);
	const struct config_cluster *cl = &D.cfg->clusters[cluster];
	char port[16];
	const char *keys[8], *vals[8];
	int n = 0;

	if (node < 0) {
		char why[200];
		snprintf(why, sizeof(why), "no primary known for cluster %s", cl->name);
		mc_lost(mc, why);
		return;
	}
	snprintf(port, sizeof(port), "%d", D.cfg->nodes[node].port);
	snprintf(mc->db, sizeof(mc->db), "%s", db);
	keys[n] = "host", vals[n++] = D.cfg->nodes[node].host;
	keys[n] = "port", vals[n++] = port;
	keys[n] = "user", vals[n++] = cluster_user(cluster);
	keys[n] = "dbname", vals[n++] = db;
	keys[n] = "application_name", vals[n++] = "pgsteer-move";
	if (cl->server_password && *cl->server_password)
		keys[n] = "password", vals[n++] = cl->server_password;
	keys[n] = NULL, vals[n] = NULL;
	mc->conn = PQconnectStartParams(keys, vals, 0);
	mc->connecting = true;
	if (mc->conn)
		PQsetNoticeProcessor(mc->conn, notice, mc);
	if (!mc->conn || PQstatus(mc->conn) == CONNECTION_BAD) {
		mc_lost(mc, mc->conn ? PQerrorMessage(mc->conn) : "out of memory");
		return;
	}
	mc_connect_poll(mc);
}

/*
 * Run SQL (with up to 3 text parameters) on MC, connecting to DB of
 * CLUSTER first if it is not open on it; DONE gets the result.
 */
static void mc_query(struct mconn *mc, int cluster, const char *db, step_fn done, const char *sql,
		     int nparams, ...)
{
	va_list ap;

	Assert(!mc->busy && !mc->sql && nparams <= 3);
	if (mc->conn && strcmp(mc->db, db) != 0)
		mc_close(mc);	/* open on another database (DROP DATABASE runs from the server's) */
	mc->done = done;
	mc->sql = strdup(sql);
	va_start(ap, nparams);
	for (int i = 0; i < nparams; i++) {
		const char *p = va_arg(ap, const char *);
		mc->params[i] = strdup(p ? p : "");
	}
	va_end(ap);
	mc->nparams = nparams;
	if (mc->conn)
		mc_send(mc);
	else
		mc_connect(mc, cluster, db);
}

/* ---------------- Names and SQL text ---------------- */

/* "name" with embedded quotes doubled. */
static void quote_ident(char *out, size_t len, const char *name)
{
	size_t n = 0;

	if (len < 3)
		return;
	out[n++] = '"';
	for (const char *p = name; *p && n + 3 < len; p++) {
		if (*p == '"')
			out[n++] = '"';
		out[n++] = *p;
	}
	out[n++] = '"';
	out[n] = '\0';
}

/* 'value' for a conninfo string or SQL literal: quotes and backslashes escaped. */
static size_t quote_value(char *out, size_t len, const char *v, bool backslash)
{
	size_t n = 0;

	if (len < 3)
		return 0;
	out[n++] = '\'';
	for (const char *p = v; *p && n + 4 < len; p++) {
		if (*p == '\'')
			out[n++] = '\'';
		else if (*p == '\\' && backslash)
			out[n++] = '\\';
		out[n++] = *p;
	}
	out[n++] = '\'';
	out[n] = '\0';
	return n;
}

/* pgsteer_move_<tenant>, usable as a replication slot name ([a-z0-9_], at most 63 bytes). */
static void object_name(char *out, size_t len, const char *tenant)
{
	char clean[41];
	size_t n = 0;
	bool changed = false;
	uint32_t h = 2166136261u;

	for (const char *p = tenant; *p; p++) {
		char ch = *p;
		h = (h ^ (unsigned char)ch) * 16777619u;
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a'), changed = true;
		else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
			ch = '_', changed = true;
		if (n + 1 < sizeof(clean))
			clean[n++] = ch;
		else
			changed = true;
	}
	clean[n] = '\0';
	if (changed)
		snprintf(out, len, "pgsteer_move_%s_%08x", clean, h);
	else
		snprintf(out, len, "pgsteer_move_%s", clean);
}

/* The database the tenant's data lives in on CLUSTER. */
static const char *data_db(const struct dmove *m, int cluster)
{
	return m->kind == ADMIN_DATA_DATABASE ? m->name : cluster_db(cluster);
}

/* The schema filter of the catalog queries: the tenant's schema, or "" for every user schema. */
static const char *schema_param(const struct dmove *m)
{
	return m->kind == ADMIN_DATA_SCHEMA ? m->name : "";
}

/* A libpq conninfo for CLUSTER's primary, database DB (no password: the environment has it). */
static bool conninfo(int cluster, const char *db, bool with_password, char *out, size_t len)
{
	int node = primary_of(cluster);
	const struct config_cluster *cl = &D.cfg->clusters[cluster];
	char h[300], u[200], d[200], pw[600];

	if (node < 0)
		return false;
	quote_value(h, sizeof(h), D.cfg->nodes[node].host, true);
	quote_value(u, sizeof(u), cluster_user(cluster), true);
	quote_value(d, sizeof(d), db, true);
	pw[0] = '\0';
	if (with_password && cl->server_password && *cl->server_password) {
		memcpy(pw, " password=", 10);
		quote_value(pw + 10, sizeof(pw) - 10, cl->server_password, true);
	}
	snprintf(out, len, "host=%s port=%d user=%s dbname=%s application_name=pgsteer-move%s", h,
		 D.cfg->nodes[node].port, u, d, pw);
	return true;
}

/* ---------------- The move's life ---------------- */

const char *dmove_phase_name(enum dmove_phase p)
{
	switch (p) {
	case DMOVE_PREREQUISITES: return "prerequisites";
	case DMOVE_SCHEMA: return "schema";
	case DMOVE_COPY: return "copy";
	case DMOVE_CATCHUP: return "catch-up";
	case DMOVE_CUTOVER: return "cutover";
	case DMOVE_CLEANUP: return "cleanup";
	case DMOVE_DONE: return "done";
	case DMOVE_FAILED: return "failed";
	case DMOVE_CANCELLED: return "cancelled";
	}
	return "?";
}

static void set_phase(struct dmove *m, enum dmove_phase p)
{
	if (m->phase == p)
		return;
	m->phase = p;
	log_info("tenancy: moving tenant \"%s\" with its data from %s to %s: phase %s (%lld ms)",
		 m->tenant, m->source, m->target, dmove_phase_name(p),
		 (long long)(now_ms() - m->started_ms));
}

static bool finished(const struct dmove *m)
{
	return m->phase == DMOVE_DONE || m->phase == DMOVE_FAILED || m->phase == DMOVE_CANCELLED;
}

static void kill_children(struct dmove *m)
{
	if (m->dump_pid > 0)
		kill(m->dump_pid, SIGTERM);
	if (m->load_pid > 0)
		kill(m->load_pid, SIGTERM);
}

static void add_action(struct dmove *m, bool on_target, bool server_db, const char *what,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add_action(struct dmove *m, bool on_target, bool server_db, const char *what,
		       const char *fmt, ...)
{
	va_list ap;
	struct action *a;

	if (m->n_actions >= DMOVE_ACTIONS)
		return;
	a = &m->actions[m->n_actions++];
	a->on_target = on_target;
	a->server_db = server_db;
	a->what = what;
	va_start(ap, fmt);
	vsnprintf(a->sql, sizeof(a->sql), fmt, ap);
	va_end(ap);
}

/* Queue what undoes the move so far (FAILED/CANCELLED) or ends a committed one (DONE). */
static void plan_end(struct dmove *m, bool committed)
{
	char pub[80], obj[80];

	quote_ident(pub, sizeof(pub), m->pub);
	quote_ident(obj, sizeof(obj), m->name);
	m->n_actions = m->next_action = 0;
	if (m->made_sub && !committed) {
		/* the source may be what failed: detach the slot so the drop needs no connection to it */
		add_action(m, true, false, "disable the subscription", "ALTER SUBSCRIPTION %s DISABLE", pub);
		add_action(m, true, false, "detach the subscription's slot",
			   "ALTER SUBSCRIPTION %s SET (slot_name = NONE)", pub);
	}
	if (m->made_sub)
		add_action(m, true, false, "drop the subscription", "DROP SUBSCRIPTION IF EXISTS %s", pub);
	if (!committed && m->made_schema && m->kind == ADMIN_DATA_SCHEMA)
		add_action(m, true, false, "drop the copied schema", "DROP SCHEMA IF EXISTS %s CASCADE", obj);
	if (!committed && m->made_db)
		add_action(m, true, true, "drop the copied database", "DROP DATABASE IF EXISTS %s WITH (FORCE)",
			   obj);
	if (m->made_pub)
		add_action(m, false, false, "drop the publication", "DROP PUBLICATION IF EXISTS %s", pub);
	if (m->made_sub)
		/* the subscription's slot and its table sync slots, left if the target could not drop them */
		add_action(m, false, false, "drop the replication slots",
			   "DO $pgsteer$DECLARE s text; BEGIN"
			   " FOR s IN SELECT slot_name FROM pg_catalog.pg_replication_slots"
			   " WHERE slot_name = '%s' OR slot_name LIKE 'pg\\_%s\\_sync\\_%%' LOOP"
			   " PERFORM pg_catalog.pg_terminate_backend(active_pid) FROM pg_catalog.pg_replication_slots"
			   " WHERE slot_name = s AND active_pid IS NOT NULL;"
			   " FOR i IN 1..50 LOOP EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots"
			   " WHERE slot_name = s AND active); PERFORM pg_catalog.pg_sleep(0.1); END LOOP;"
			   " PERFORM pg_catalog.pg_drop_replication_slot(s); END LOOP; END$pgsteer$",
			   m->pub, m->suboid[0] ? m->suboid : "none");
}

/* Every action ran: report and keep M for SHOW MOVES. */
static void actions_done(struct dmove *m)
{
	m->ending = false;
	if (m->err_fd >= 0)
		close(m->err_fd);
	m->err_fd = -1;
	mc_close(&m->src);
	mc_close(&m->dst);
	set_phase(m, m->end_phase);
	if (m->phase == DMOVE_DONE)
		D.n_done++;
	else if (m->phase == DMOVE_CANCELLED)
		D.n_cancelled++;
	else
		D.n_failed++;
	if (m->warnings[0])
		log_warning("tenancy: move of tenant \"%s\": %s", m->tenant, m->warnings);
	if (D.ended)
		D.ended(m->tenant, m->source, m->target, m->phase, m->last_error);
	if (m->end_done) {
		void (*cb)(void *, const char *) = m->end_done;
		m->end_done = NULL;
		cb(m->end_arg, m->warnings[0] ? m->warnings : NULL);
	} else if (m->hooks && m->phase != DMOVE_DONE) {
		m->hooks->failed(m->arg, m, m->sqlstate, m->last_error);
	}
}

static void action_answered(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	const struct action *a = &m->actions[m->next_action - 1];
	size_t n = strlen(m->warnings);

	UNUSED(res);
	if (err) {
		log_warning("tenancy: move of tenant \"%s\": could not %s on the %s: %s (SQLSTATE %s)",
			    m->tenant, a->what, a->on_target ? "target" : "source", err, sqlstate);
		snprintf(m->warnings + n, sizeof(m->warnings) - n, "%scould not %s on the %s (%s)",
			 n ? "; " : "", a->what, a->on_target ? "target" : "source", err);
	}
	run_actions(m);
}

static void run_actions(struct dmove *m)
{
	const struct action *a;
	int cluster;

	if (m->next_action >= m->n_actions) {
		actions_done(m);
		return;
	}
	a = &m->actions[m->next_action++];
	cluster = a->on_target ? m->to : m->from;
	mc_query(a->on_target ? &m->dst : &m->src, cluster,
		 a->server_db ? cluster_db(cluster) : data_db(m, cluster), action_answered, a->sql, 0);
}

/* End the move now with the undo actions; PHASE is FAILED or CANCELLED. */
static void undo(struct dmove *m, enum dmove_phase phase)
{
	if (m->ending)
		return;
	m->ending = true;
	kill_children(m);
	mc_close(&m->src);
	mc_close(&m->dst);
	m->end_phase = phase;
	plan_end(m, false);
	run_actions(m);
}

static void fail(struct dmove *m, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->last_error, sizeof(m->last_error), fmt, ap);
	va_end(ap);
	snprintf(m->sqlstate, sizeof(m->sqlstate), "%s", sqlstate);
	log_warning("tenancy: moving tenant \"%s\" with its data from %s to %s failed in phase %s: %s",
		    m->tenant, m->source, m->target, dmove_phase_name(m->phase), m->last_error);
	if (m->cut_done) {
		/* inside the hold: tenant.c rolls the placement back, then calls dmove_end() */
		void (*cb)(void *, bool, const char *) = m->cut_done;
		m->cut_done = NULL;
		cb(m->cut_arg, false, m->last_error);
		return;
	}
	if (m->waiting_ready)
		return;		/* tenant.c is beginning the hold: its dmove_end() undoes */
	undo(m, DMOVE_FAILED);
}

/* A step's query failed: the move fails with its message. */
static bool query_failed(struct dmove *m, const char *sqlstate, const char *err, const char *doing)
{
	if (!err)
		return false;
	fail(m, sqlstate && *sqlstate ? sqlstate : "XX000", "%s: %s", doing, err);
	return true;
}

/* ---------------- Phases ---------------- */

static void step_copy_started(struct dmove *m, PGresult *res, const char *sqlstate, const char *err);

static void start_copy(struct dmove *m)
{
	char pub[80], obj[80], sql[600];

	set_phase(m, DMOVE_COPY);
	quote_ident(pub, sizeof(pub), m->pub);
	quote_ident(obj, sizeof(obj), m->name);
	if (m->kind == ADMIN_DATA_SCHEMA)
		snprintf(sql, sizeof(sql), "CREATE PUBLICATION %s FOR TABLES IN SCHEMA %s", pub, obj);
	else
		snprintf(sql, sizeof(sql), "CREATE PUBLICATION %s FOR ALL TABLES", pub);
	m->made_pub = true;	/* IF EXISTS in the undo: safe if it was not made */
	mc_query(&m->src, m->from, data_db(m, m->from), step_copy_started, sql, 0);
}

static void step_suboid(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	if (query_failed(m, sqlstate, err, "reading the subscription on the target"))
		return;
	if (PQntuples(res) == 1)
		snprintf(m->suboid, sizeof(m->suboid), "%s", PQgetvalue(res, 0, 0));
	m->next_poll_ms = now_ms();
}

static void step_subscribed(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	UNUSED(res);
	if (query_failed(m, sqlstate, err, "CREATE SUBSCRIPTION on the target"))
		return;
	/* its table sync slots on the source are named after it: an undo may have to drop them there */
	mc_query(&m->dst, m->to, data_db(m, m->to), step_suboid,
		 "SELECT oid FROM pg_catalog.pg_subscription WHERE subname = $1", 1, m->pub);
}

static void step_copy_started(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	char pub[80], info[1200], lit[1400], sql[1800];

	UNUSED(res);
	if (query_failed(m, sqlstate, err, "CREATE PUBLICATION on the source"))
		return;
	if (!conninfo(m->from, data_db(m, m->from), true, info, sizeof(info))) {
		fail(m, "08006", "no primary known for cluster %s", m->source);
		return;
	}
	quote_ident(pub, sizeof(pub), m->pub);
	quote_value(lit, sizeof(lit), info, false);
	/* synchronous_commit on: the slot's confirmed position follows what was applied at once */
	snprintf(sql, sizeof(sql), "CREATE SUBSCRIPTION %s CONNECTION %s PUBLICATION %s"
		 " WITH (copy_data = true, synchronous_commit = 'on')", pub, lit, pub);
	m->made_sub = true;
	mc_query(&m->dst, m->to, data_db(m, m->to), step_subscribed, sql, 0);
}

/* Copy progress: tables ready of all, and their size on the target. */
static void step_copy_progress(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	m->polling = false;
	if (query_failed(m, sqlstate, err, "reading the subscription's progress on the target"))
		return;
	if (PQntuples(res) != 1)
		return;
	m->tables_copied = atoi(PQgetvalue(res, 0, 0));
	m->tables_total = atoi(PQgetvalue(res, 0, 1));
	m->bytes = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	if (m->tables_copied == m->tables_total)
		set_phase(m, DMOVE_CATCHUP);
}

static void step_lag(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	m->polling = false;
	if (query_failed(m, sqlstate, err, "reading the replication slot on the source"))
		return;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		return;		/* the slot has not confirmed anything yet */
	m->lag_bytes = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	if (m->lag_bytes < 0)
		m->lag_bytes = 0;
	m->lag_s = PQgetisnull(res, 0, 1) ? 0 : strtod(PQgetvalue(res, 0, 1), NULL);
	if (m->phase == DMOVE_CATCHUP && m->lag_bytes <= DMOVE_CATCHUP_BYTES && !m->waiting_ready) {
		m->waiting_ready = true;
		set_phase(m, DMOVE_CUTOVER);
		m->hooks->ready(m->arg, m);	/* tenant.c begins the hold */
	}
}

static const char lag_sql[] =
	"SELECT pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), confirmed_flush_lsn)::bigint,"
	" (SELECT extract(epoch FROM max(replay_lag)) FROM pg_catalog.pg_stat_replication"
	" WHERE application_name = $1)"
	" FROM pg_catalog.pg_replication_slots WHERE slot_name = $1";

static void poll_progress(struct dmove *m, int64_t now)
{
	static const char copy_sql[] =
		"SELECT count(*) FILTER (WHERE r.srsubstate = 'r'), count(*),"
		" coalesce(sum(pg_catalog.pg_total_relation_size(r.srrelid)), 0)"
		" FROM pg_catalog.pg_subscription_rel r JOIN pg_catalog.pg_subscription s ON s.oid = r.srsubid"
		" WHERE s.subname = $1";

	if (m->polling || now < m->next_poll_ms || m->src.busy || m->dst.busy || m->src.sql || m->dst.sql)
		return;
	m->next_poll_ms = now + DMOVE_PROGRESS_MS;
	m->polling = true;
	if (m->phase == DMOVE_COPY)
		mc_query(&m->dst, m->to, data_db(m, m->to), step_copy_progress, copy_sql, 1, m->pub);
	else
		mc_query(&m->src, m->from, data_db(m, m->from), step_lag, lag_sql, 1, m->pub);
}

/* pg_dump --schema-only | psql: spawn both, joined by a pipe, their stderr into one pipe. */
static bool spawn_schema_copy(struct dmove *m, char *why, size_t len)
{
	char src[1200], dst[1200], pattern[160], pw_src[600], pw_dst[600];
	const struct config_cluster *cs = &D.cfg->clusters[m->from], *ct = &D.cfg->clusters[m->to];
	int data[2] = { -1, -1 }, err[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	char *dump_argv[12], *load_argv[12];
	char **env_src = NULL, **env_dst = NULL;
	int n = 0, rc;
	size_t ne = 0;

	if (!conninfo(m->from, data_db(m, m->from), false, src, sizeof(src)) ||
	    !conninfo(m->to, data_db(m, m->to), false, dst, sizeof(dst))) {
		snprintf(why, len, "no primary known for cluster %s or %s", m->source, m->target);
		return false;
	}
	quote_ident(pattern, sizeof(pattern), m->name);
	dump_argv[n++] = "pg_dump";
	dump_argv[n++] = "--schema-only";
	dump_argv[n++] = "--no-owner";
	dump_argv[n++] = "--no-privileges";
	dump_argv[n++] = "--no-publications";
	dump_argv[n++] = "--no-subscriptions";
	if (m->kind == ADMIN_DATA_SCHEMA) {
		dump_argv[n++] = "--schema";
		dump_argv[n++] = pattern;
	}
	dump_argv[n++] = "-d";
	dump_argv[n++] = src;
	dump_argv[n] = NULL;
	n = 0;
	load_argv[n++] = "psql";
	load_argv[n++] = "-X";
	load_argv[n++] = "-q";
	load_argv[n++] = "-v";
	load_argv[n++] = "ON_ERROR_STOP=1";
	load_argv[n++] = "--single-transaction";
	load_argv[n++] = "-d";
	load_argv[n++] = dst;
	load_argv[n] = NULL;
	/* each gets its own cluster's password in its environment, never on its command line */
	while (environ[ne])
		ne++;
	env_src = calloc(ne + 2, sizeof(char *));
	env_dst = calloc(ne + 2, sizeof(char *));
	if (!env_src || !env_dst || pipe2(data, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		snprintf(why, len, "cannot start pg_dump: %s", strerror(errno));
		goto fail;
	}
	for (size_t i = 0, j = 0; i < ne; i++)
		if (strncmp(environ[i], "PGPASSWORD=", 11) != 0)
			env_src[j] = env_dst[j] = environ[i], j++;
	for (size_t i = 0; i < ne + 1; i++) {
		if (!env_src[i]) {
			snprintf(pw_src, sizeof(pw_src), "PGPASSWORD=%s", cs->server_password ? cs->server_password : "");
			snprintf(pw_dst, sizeof(pw_dst), "PGPASSWORD=%s", ct->server_password ? ct->server_password : "");
			if (cs->server_password && *cs->server_password)
				env_src[i] = pw_src;
			if (ct->server_password && *ct->server_password)
				env_dst[i] = pw_dst;
			break;
		}
	}
	/* the children get default signal handling (pgsteer ignores SIGPIPE) and no blocked signals */
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGHUP);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGQUIT);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, data[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	rc = posix_spawnp(&m->dump_pid, "pg_dump", &fa, &attr, dump_argv, env_src);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		posix_spawnattr_destroy(&attr);
		m->dump_pid = 0;
		snprintf(why, len, "cannot run pg_dump: %s", strerror(rc));
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, data[0], STDIN_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	rc = posix_spawnp(&m->load_pid, "psql", &fa, &attr, load_argv, env_dst);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		m->load_pid = 0;
		snprintf(why, len, "cannot run psql: %s", strerror(rc));
		goto fail;
	}
	close(data[0]);
	close(data[1]);
	close(err[1]);
	m->err_fd = err[0];
	fcntl(m->err_fd, F_SETFL, O_NONBLOCK);
	free(env_src);
	free(env_dst);
	return true;
fail:
	for (int i = 0; i < 2; i++) {
		if (data[i] >= 0)
			close(data[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	free(env_src);
	free(env_dst);
	return false;
}

/* Collect what the children said; reap them; when both are done, go on or fail. */
static void poll_children(struct dmove *m)
{
	int status;
	ssize_t r;

	while (m->err_fd >= 0 && (r = read(m->err_fd, m->errbuf + m->errlen,
					   sizeof(m->errbuf) - 1 - m->errlen)) > 0)
		m->errlen += (size_t)r;
	if (m->errlen == sizeof(m->errbuf) - 1 && m->err_fd >= 0) {
		char sink[512];
		while (read(m->err_fd, sink, sizeof(sink)) > 0)
			;
	}
	m->errbuf[m->errlen] = '\0';
	for (int i = 0; i < 2; i++) {
		pid_t *pid = i ? &m->load_pid : &m->dump_pid;
		if (*pid > 0 && waitpid(*pid, &status, WNOHANG) == *pid) {
			*pid = 0;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				size_t n = m->errlen;
				while (n && (m->errbuf[n - 1] == '\n' || m->errbuf[n - 1] == ' '))
					m->errbuf[--n] = '\0';
				kill_children(m);
				fail(m, "55000", "copying the schema with %s failed (%s %d)%s%s", i ? "psql" : "pg_dump",
				     WIFEXITED(status) ? "exit code" : "signal",
				     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
				     n ? ": " : "", m->errbuf);
				return;
			}
		}
	}
	if (m->dump_pid == 0 && m->load_pid == 0) {
		if (m->err_fd >= 0)
			close(m->err_fd);
		m->err_fd = -1;
		start_copy(m);
	}
}

static void start_schema(struct dmove *m)
{
	char why[300];

	set_phase(m, DMOVE_SCHEMA);
	m->made_schema = true;
	if (!spawn_schema_copy(m, why, sizeof(why)))
		fail(m, "58000", "%s", why);
}

static void step_db_created(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	UNUSED(res);
	if (query_failed(m, sqlstate, err, "CREATE DATABASE on the target"))
		return;
	m->made_db = true;
	start_schema(m);
}

static void step_prereq_target(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	if (query_failed(m, sqlstate, err, "checking the target"))
		return;
	if (PQntuples(res) != 1) {
		fail(m, "XX000", "checking the target: no answer");
		return;
	}
	if (atoi(PQgetvalue(res, 0, 0)) < 150000) {
		fail(m, "55000", "the target cluster %s runs PostgreSQL %s; data moves need 15 or later",
		     m->target, PQgetvalue(res, 0, 0));
		return;
	}
	if (m->kind == ADMIN_DATA_SCHEMA && atoi(PQgetvalue(res, 0, 1)) > 0) {
		fail(m, "55000", "schema \"%s\" already exists on the target cluster %s", m->name,
		     m->target);
		return;
	}
	if (m->kind == ADMIN_DATA_DATABASE && atoi(PQgetvalue(res, 0, 2)) > 0) {
		fail(m, "55000", "database \"%s\" already exists on the target cluster %s", m->name,
		     m->target);
		return;
	}
	if (atoi(PQgetvalue(res, 0, 3)) > 0) {
		fail(m, "55000", "subscription %s already exists on the target cluster %s "
		     "(left by an earlier move? DROP SUBSCRIPTION it)", m->pub, m->target);
		return;
	}
	if (m->kind == ADMIN_DATA_DATABASE) {
		char obj[80], sql[200];
		quote_ident(obj, sizeof(obj), m->name);
		snprintf(sql, sizeof(sql), "CREATE DATABASE %s", obj);
		mc_query(&m->dst, m->to, cluster_db(m->to), step_db_created, sql, 0);
		return;
	}
	start_schema(m);
}

static void step_prereq_tables(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	static const char target_sql[] =
		"SELECT current_setting('server_version_num')::int,"
		" (SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = $1),"
		" (SELECT count(*) FROM pg_catalog.pg_database WHERE datname = $2),"
		" (SELECT count(*) FROM pg_catalog.pg_subscription WHERE subname = $3)";

	if (query_failed(m, sqlstate, err, "checking the source's tables"))
		return;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		fail(m, "55000", "table(s) without a primary key or replica identity: %s "
		     "(their UPDATE and DELETE would not replicate; add a primary key or "
		     "ALTER TABLE ... REPLICA IDENTITY FULL)", PQgetvalue(res, 0, 0));
		return;
	}
	mc_query(&m->dst, m->to, cluster_db(m->to), step_prereq_target, target_sql, 3,
		 m->kind == ADMIN_DATA_SCHEMA ? m->name : "",
		 m->kind == ADMIN_DATA_DATABASE ? m->name : "", m->pub);
}

static void step_prereq_source(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	static const char tables_sql[] =
		"SELECT string_agg(c.oid::regclass::text, ', ' ORDER BY c.oid::regclass::text)"
		" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
		" WHERE c.relkind = 'r' AND (n.nspname = $1 OR ($1 = '' AND n.nspname <> 'information_schema'"
		" AND n.nspname !~ '^pg_'))"
		" AND (c.relreplident = 'n'"
		" OR (c.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
		" WHERE i.indrelid = c.oid AND i.indisprimary))"
		" OR (c.relreplident = 'i' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i"
		" WHERE i.indrelid = c.oid AND i.indisreplident)))";

	if (query_failed(m, sqlstate, err, "checking the source"))
		return;
	if (PQntuples(res) != 1) {
		fail(m, "XX000", "checking the source: no answer");
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "logical") != 0) {
		fail(m, "55000", "the source cluster %s has wal_level = %s; data moves use logical "
		     "replication and need wal_level = logical (a restart)", m->source,
		     PQgetvalue(res, 0, 0));
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
		fail(m, "55000", "role %s on the source cluster %s may not replicate "
		     "(ALTER ROLE ... REPLICATION, or a superuser)", cluster_user(m->from), m->source);
		return;
	}
	if (atoi(PQgetvalue(res, 0, 2)) < 150000) {
		fail(m, "55000", "the source cluster %s runs PostgreSQL %s; data moves need 15 or later",
		     m->source, PQgetvalue(res, 0, 2));
		return;
	}
	if (m->kind == ADMIN_DATA_SCHEMA && strcmp(PQgetvalue(res, 0, 3), "0") == 0) {
		fail(m, "3F000", "schema \"%s\" does not exist on the source cluster %s (database %s)",
		     m->name, m->source, data_db(m, m->from));
		return;
	}
	mc_query(&m->src, m->from, data_db(m, m->from), step_prereq_tables, tables_sql, 1,
		 schema_param(m));
}

/* ---------------- Cutover ---------------- */

static void step_sequences_set(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	void (*cb)(void *, bool, const char *) = m->cut_done;

	UNUSED(res);
	if (query_failed(m, sqlstate, err, "setting the sequences on the target"))
		return;
	m->cut_done = NULL;
	if (cb)
		cb(m->cut_arg, true, NULL);
}

static void step_sequences(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	char *sql;
	size_t cap, n;

	if (query_failed(m, sqlstate, err, "reading the sequences on the source"))
		return;
	if (PQntuples(res) == 0) {
		step_sequences_set(m, NULL, NULL, NULL);
		return;
	}
	cap = 128 + (size_t)PQntuples(res) * 300;
	sql = malloc(cap);
	if (!sql) {
		fail(m, "53200", "out of memory");
		return;
	}
	n = (size_t)snprintf(sql, cap, "SELECT pg_catalog.setval(q.s::regclass, q.v, true) FROM (VALUES ");
	for (int i = 0; i < PQntuples(res) && n < cap; i++) {
		char lit[280];
		quote_value(lit, sizeof(lit), PQgetvalue(res, i, 0), false);
		n += (size_t)snprintf(sql + n, cap - n, "%s(%s, %s::bigint)", i ? ", " : "", lit,
				      PQgetvalue(res, i, 1));
	}
	if (n < cap)
		snprintf(sql + n, cap - n, ") AS q(s, v)");
	mc_query(&m->dst, m->to, data_db(m, m->to), step_sequences_set, sql, 0);
	free(sql);
}

static void step_applied(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	static const char seq_sql[] =
		"SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_catalog.pg_sequences"
		" WHERE last_value IS NOT NULL AND (schemaname = $1 OR ($1 = ''"
		" AND schemaname <> 'information_schema' AND schemaname !~ '^pg_'))";

	m->polling = false;
	if (query_failed(m, sqlstate, err, "reading the replication slot on the source"))
		return;
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		m->lag_bytes = 0;
		m->lag_s = 0;
		mc_query(&m->src, m->from, data_db(m, m->from), step_sequences, seq_sql, 1, schema_param(m));
		return;
	}
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 1))
		m->lag_bytes = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	m->next_poll_ms = now_ms() + DMOVE_CUTOVER_POLL_MS;
}

static void step_cut_lsn(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	if (query_failed(m, sqlstate, err, "reading the source's WAL position"))
		return;
	snprintf(m->cut_lsn, sizeof(m->cut_lsn), "%s", PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
	log_info("tenancy: moving tenant \"%s\": every instance holds it; waiting for the target to "
		 "apply the source up to %s", m->tenant, m->cut_lsn);
	m->next_poll_ms = now_ms();
}

static void poll_cutover(struct dmove *m, int64_t now)
{
	static const char applied_sql[] =
		"SELECT confirmed_flush_lsn >= $2::pg_lsn,"
		" pg_catalog.pg_wal_lsn_diff($2::pg_lsn, confirmed_flush_lsn)::bigint"
		" FROM pg_catalog.pg_replication_slots WHERE slot_name = $1";

	if (!m->cut_done || !m->cut_lsn[0] || m->polling || now < m->next_poll_ms || m->src.busy ||
	    m->src.sql)
		return;
	if (now >= m->cut_deadline_ms) {
		fail(m, "55P03", "the target did not apply the source's writes up to %s within move_timeout "
		     "(%lld ms; %" PRId64 " bytes behind)", m->cut_lsn, (long long)D.cfg->move_timeout_ms,
		     m->lag_bytes);
		return;
	}
	m->polling = true;
	mc_query(&m->src, m->from, data_db(m, m->from), step_applied, applied_sql, 2, m->pub, m->cut_lsn);
}

/* ---------------- Tick ---------------- */

static void tick_cb_stopped(evutil_socket_t fd, short what, void *arg)
{
	int64_t now = now_ms();

	UNUSED(fd);
	UNUSED(what);
	UNUSED(arg);
	for (struct dmove *m = D.moves; m; m = m->next) {
		if (finished(m) || m->ending) {
			/* children killed by an undo: reap them */
			if (m->dump_pid > 0 && waitpid(m->dump_pid, NULL, WNOHANG) == m->dump_pid)
				m->dump_pid = 0;
			if (m->load_pid > 0 && waitpid(m->load_pid, NULL, WNOHANG) == m->load_pid)
				m->load_pid = 0;
			continue;
		}
		if (m->drop_job)
			continue;
		if (m->phase < DMOVE_CUTOVER && now >= m->deadline_ms) {
			fail(m, "55P03", "the copy did not catch up within move_data_timeout (%lld ms; phase %s)",
			     (long long)D.cfg->move_data_timeout_ms, dmove_phase_name(m->phase));
			continue;
		}
		switch (m->phase) {
		case DMOVE_SCHEMA:
			poll_children(m);
			break;
		case DMOVE_COPY:
		case DMOVE_CATCHUP:
			if (m->made_sub && !m->dst.sql && !m->dst.busy)
				poll_progress(m, now);
			break;
		case DMOVE_CUTOVER:
			poll_cutover(m, now);
			break;
		default:
			break;
		}
	}
}

WORLD_STOPPED_CB(tick_cb)

/* ---------------- Public functions ---------------- */

void dmove_init(struct event_base *base, const struct config *cfg, struct monitor *mon,
		void (*ended)(const char *tenant, const char *from, const char *to, enum dmove_phase phase,
			      const char *error))
{
	struct timeval tv = { 0, DMOVE_TICK_MS * 1000 };

	D.ended = ended;
	D.base = base;
	D.mon = mon;
	D.cfg = cfg;
	D.tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	if (D.tick)
		event_add(D.tick, &tv);
}

void dmove_reconfigure(const struct config *cfg)
{
	D.cfg = cfg;
}

void dmove_stop(void (*release)(void *arg))
{
	while (D.moves) {
		struct dmove *m = D.moves;
		D.moves = m->next;
		if (m->end_done && m->end_arg)
			release(m->end_arg);
		else if (!finished(m) && m->hooks && !m->waiting_ready && !m->cut_done && !m->ending)
			release(m->arg);
		if (!finished(m))
			log_warning("tenancy: pgsteer stops during the move of tenant \"%s\" (phase %s): "
				    "the tenant stays on %s; remove publication, subscription and slot %s "
				    "by hand if they are left", m->tenant, dmove_phase_name(m->phase), m->source,
				    m->pub);
		kill_children(m);
		if (m->err_fd >= 0)
			close(m->err_fd);
		mc_close(&m->src);
		mc_close(&m->dst);
		free(m);
	}
	if (D.tick)
		event_free(D.tick);
	D.tick = NULL;
}

/* Keep the last DMOVE_KEEP finished moves; drop older ones. */
static void prune(void)
{
	int kept = 0;

	for (struct dmove **pp = &D.moves; *pp;) {
		struct dmove *m = *pp;
		if (finished(m) && !m->end_done && ++kept > DMOVE_KEEP) {
			*pp = m->next;
			free(m);
			continue;
		}
		pp = &m->next;
	}
}

static struct dmove *new_move(const char *tenant, int from, int to, enum admin_data_kind kind,
			      const char *name)
{
	struct dmove *m;

	prune();
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	snprintf(m->tenant, sizeof(m->tenant), "%s", tenant);
	snprintf(m->source, sizeof(m->source), "%s", D.cfg->clusters[from].name);
	snprintf(m->target, sizeof(m->target), "%s", to >= 0 ? D.cfg->clusters[to].name : "");
	m->from = from;
	m->to = to;
	m->kind = kind;
	snprintf(m->name, sizeof(m->name), "%s", name);
	object_name(m->pub, sizeof(m->pub), tenant);
	m->started_unix = (int64_t)time(NULL);
	m->started_ms = now_ms();
	m->deadline_ms = m->started_ms + D.cfg->move_data_timeout_ms;
	m->err_fd = -1;
	m->src.m = m->dst.m = m;
	m->src.role = "source";
	m->dst.role = "target";
	m->next = D.moves;
	D.moves = m;
	return m;
}

struct dmove *dmove_start(const char *tenant, int from, int to, enum admin_data_kind kind,
			  const char *name, const struct dmove_hooks *hooks, void *arg,
			  char *sqlstate, char *msg, size_t len)
{
	static const char source_sql[] =
		"SELECT current_setting('wal_level'),"
		" (SELECT rolsuper OR rolreplication FROM pg_catalog.pg_roles WHERE rolname = current_user),"
		" current_setting('server_version_num')::int,"
		" (SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = $1)";
	struct dmove *m;

	if (dmove_running(tenant)) {
		snprintf(sqlstate, 6, "55000");
		snprintf(msg, len, "a data move of tenant \"%s\" is already running", tenant);
		return NULL;
	}
	m = new_move(tenant, from, to, kind, name);
	if (!m) {
		snprintf(sqlstate, 6, "53200");
		snprintf(msg, len, "out of memory");
		return NULL;
	}
	m->hooks = hooks;
	m->arg = arg;
	log_info("tenancy: moving tenant \"%s\" with its data (%s %s) from %s to %s: publication and "
		 "subscription %s", tenant, kind == ADMIN_DATA_SCHEMA ? "schema" : "database", name,
		 m->source, m->target, m->pub);
	mc_query(&m->src, from, data_db(m, from), step_prereq_source, source_sql, 1, schema_param(m));
	return m;
}

void dmove_cutover(struct dmove *m, void (*done)(void *arg, bool ok, const char *why), void *arg)
{
	m->cut_done = done;
	m->cut_arg = arg;
	m->waiting_ready = false;
	m->cut_deadline_ms = now_ms() + D.cfg->move_timeout_ms;
	m->cut_lsn[0] = '\0';
	if (m->ending || finished(m)) {
		m->cut_done = NULL;
		done(arg, false, m->last_error[0] ? m->last_error : "the move was cancelled");
		return;
	}
	mc_close(&m->src);	/* drops a progress query still in flight; the next query reconnects */
	m->polling = false;
	mc_query(&m->src, m->from, data_db(m, m->from), step_cut_lsn,
		 "SELECT pg_catalog.pg_current_wal_lsn()", 0);
}

void dmove_end(struct dmove *m, bool committed, const char *why,
	       void (*done)(void *arg, const char *warning), void *arg)
{
	m->end_done = done;
	m->end_arg = arg;
	m->cut_done = NULL;
	m->waiting_ready = false;
	if (!committed && why && !m->last_error[0])
		snprintf(m->last_error, sizeof(m->last_error), "%s", why);
	if (m->ending) {
		m->end_phase = committed ? DMOVE_DONE : m->end_phase;
		return;		/* an undo is already running; it reports when done */
	}
	if (finished(m)) {
		m->end_done = NULL;
		done(arg, NULL);
		return;
	}
	m->ending = true;
	kill_children(m);
	mc_close(&m->src);
	mc_close(&m->dst);
	m->polling = false;
	if (committed) {
		set_phase(m, DMOVE_CLEANUP);
		m->end_phase = DMOVE_DONE;
	} else {
		m->end_phase = m->phase == DMOVE_CANCELLED ? DMOVE_CANCELLED : DMOVE_FAILED;
	}
	plan_end(m, committed);
	run_actions(m);
}

void dmove_recover(const char *tenant, int from, int to)
{
	struct dmove *m = new_move(tenant, from, to, ADMIN_DATA_SCHEMA, "");

	if (!m)
		return;
	snprintf(m->last_error, sizeof(m->last_error), "pgsteer stopped during the move: its replication "
		 "objects were removed at the next start (a partial copy on %s, if any, was kept)", m->target);
	snprintf(m->sqlstate, sizeof(m->sqlstate), "57P01");
	log_warning("tenancy: a data move of tenant \"%s\" from %s to %s that this instance began did not "
		    "finish: dropping its subscription, publication and slots %s", tenant, m->source,
		    m->target, m->pub);
	m->phase = DMOVE_CLEANUP;
	m->made_pub = m->made_sub = true;	/* each drop is IF EXISTS */
	m->ending = true;
	m->end_phase = DMOVE_FAILED;
	plan_end(m, false);	/* made_schema, made_db false: never the target's data */
	run_actions(m);
}

bool dmove_running(const char *tenant)
{
	for (struct dmove *m = D.moves; m; m = m->next)
		if (!m->drop_job && !finished(m) && strcmp(m->tenant, tenant) == 0)
			return true;
	return false;
}

bool dmove_cancel(const char *tenant, char *sqlstate, char *why, size_t len)
{
	for (struct dmove *m = D.moves; m; m = m->next) {
		if (m->drop_job || finished(m) || strcmp(m->tenant, tenant) != 0)
			continue;
		if (m->phase >= DMOVE_CUTOVER || m->ending) {
			snprintf(sqlstate, 6, "55000");
			snprintf(why, len, "the move of tenant \"%s\" is in phase %s: too late to cancel", tenant,
				 dmove_phase_name(m->phase));
			return false;
		}
		snprintf(m->last_error, sizeof(m->last_error), "cancelled by TENANT MOVE %s CANCEL", tenant);
		snprintf(m->sqlstate, sizeof(m->sqlstate), "57014");
		log_info("tenancy: the move of tenant \"%s\" is cancelled in phase %s", tenant,
			 dmove_phase_name(m->phase));
		undo(m, DMOVE_CANCELLED);
		return true;
	}
	snprintf(sqlstate, 6, "55000");
	snprintf(why, len, "no data move of tenant \"%s\" runs on this instance", tenant);
	return false;
}

static void drop_copy_done(struct dmove *m, PGresult *res, const char *sqlstate, const char *err)
{
	void (*cb)(void *, const char *, const char *) = m->drop_done;

	UNUSED(res);
	m->drop_done = NULL;
	mc_close(&m->src);
	snprintf(m->last_error, sizeof(m->last_error), "%s", err ? err : "");
	m->phase = err ? DMOVE_FAILED : DMOVE_DONE;
	if (cb)
		cb(m->drop_arg, err ? sqlstate : NULL, err);
}

bool dmove_drop_copy(const char *tenant, int cluster, enum admin_data_kind kind, const char *name,
		     void (*done)(void *arg, const char *sqlstate, const char *error), void *arg,
		     char *msg, size_t len)
{
	struct dmove *m = new_move(tenant, cluster, -1, kind, name);
	char obj[80], sql[200];

	if (!m) {
		snprintf(msg, len, "out of memory");
		return false;
	}
	m->drop_job = true;
	m->drop_done = done;
	m->drop_arg = arg;
	m->phase = DMOVE_CLEANUP;
	quote_ident(obj, sizeof(obj), name);
	if (kind == ADMIN_DATA_SCHEMA)
		snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", obj);
	else
		snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", obj);
	log_info("tenancy: TENANT CLEANUP %s: %s on cluster %s", tenant, sql, m->source);
	mc_query(&m->src, cluster, cluster_db(cluster), drop_copy_done, sql, 0);
	return true;
}

void dmove_foreach(void (*cb)(void *arg, const struct dmove_info *info), void *arg)
{
	struct dmove *list[64];
	int n = 0;

	for (struct dmove *m = D.moves; m && n < (int)ARRAY_SIZE(list); m = m->next)
		if (!m->drop_job)
			list[n++] = m;
	while (n-- > 0) {
		struct dmove_info in;
		dmove_describe(list[n], &in);
		cb(arg, &in);
	}
}

void dmove_describe(const struct dmove *m, struct dmove_info *in)
{
	*in = (struct dmove_info){
		.tenant = m->tenant, .source = m->source, .target = m->target,
		.data_kind = m->kind == ADMIN_DATA_SCHEMA ? "schema" : "database",
		.data_name = m->name, .phase = m->phase, .started_unix = m->started_unix,
		.tables_copied = m->tables_copied, .tables_total = m->tables_total,
		.bytes = m->bytes, .lag_bytes = m->lag_bytes, .lag_s = m->lag_s,
		.last_error = m->last_error,
	};
}

void dmove_counts(uint64_t *done, uint64_t *failed, uint64_t *cancelled, int *running)
{
	*done = D.n_done;
	*failed = D.n_failed;
	*cancelled = D.n_cancelled;
	for (int p = 0; p <= DMOVE_CLEANUP; p++)
		running[p] = 0;
	for (struct dmove *m = D.moves; m; m = m->next)
		if (!m->drop_job && !finished(m) && m->phase <= DMOVE_CLEANUP)
			running[m->phase]++;
}
