/*
 * Admin console: the sessions of clients logged in to the virtual database
 * "pgsteer".  It reads their Query messages, runs the admin commands that
 * admin_parse.c recognises and answers with ordinary result sets, so psql
 * and drivers show them as tables.  It owns the per-session admin state
 * (c->admin_state), the PAUSE wait and the DRAIN flags; it must not change
 * the data plane's lists itself: it only reads them, and acts through the
 * functions the pool, monitor and server modules export.
 *
 * Design.  Commands run to completion inside admin_input(), except PAUSE,
 * which waits until the paused clusters have no busy server: the session
 * then keeps the rest of its Query and polls with a 50 ms timer; input
 * that arrives meanwhile stays buffered until the wait ends.  Everything
 * shown is read at the moment of the command (config, pools, clients, the
 * monitor snapshot, the stats registry); nothing is cached here.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "classify.h"
#include "client.h"
#include "daemon.h"
#include "datamove.h"
#include "log.h"
#include "monitor.h"
#include "pgsteer.h"
#include "pool.h"
#include "proto.h"
#include "route.h"
#include "server.h"
#include "tenant.h"
#include "stats.h"
#include "worker.h"

#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT4 23
#define OID_TEXT 25
#define OID_FLOAT8 701

#define ROW_MAX 20		/* columns in the widest result set */
#define PAUSE_POLL_MS 50
#define SHUTDOWN_DELAY_MS 20

enum admin_wait {
	WAIT_NONE,
	WAIT_PAUSE,		/* PAUSE: until pool_busy_servers() reaches 0 */
	WAIT_TENANT,		/* TENANT ..., SET NODE with tenancy: until the metadata answers */
};

enum exec_result {
	EXEC_DONE,		/* answered (result or error) */
	EXEC_FAILED,		/* answered with an error: skip the rest of the Query */
	EXEC_WAIT,		/* answer later (PAUSE) */
};

/* Per admin session, hung on c->admin_state. */
struct admin_session {
	struct client *c;
	enum admin_wait wait;
	struct event *timer;	/* PAUSE polling */
	int64_t wait_since_ms;
	char pause_cluster[NAME_LEN];	/* "" = all clusters */
	char *query;		/* the Query being run (our copy, NUL-terminated) */
	size_t query_len;
	size_t query_pos;	/* next statement */
	int ran;		/* statements answered in this Query */
	bool skip_to_sync;	/* extended protocol refused: drop up to Sync */
	bool shutdown_sent;	/* SHUTDOWN answered: nothing else runs */
	struct tenant_op *op;	/* WAIT_TENANT: the operation that will answer */
};

/* One DataRow under construction. */
struct row {
	int n;
	const char *v[ROW_MAX];
	char buf[ROW_MAX][48];
};

/* A column of a result set. */
struct column {
	const char *name;
	uint32_t oid;
};


static struct admin_session *session_of(struct client *c);
static void run_query(struct client *c);
static enum exec_result execute(struct client *c, const struct admin_command *cmd);
static enum exec_result do_tenant(struct client *c, const struct admin_command *cmd);
static void timer_cb(evutil_socket_t fd, short what, void *arg);
static void tenant_answered(struct client *c, struct admin_session *st, const struct tenant_reply *r);
static void send_error(struct client *c, const char *sqlstate, const char *hint,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ------------------------------------------------------------------ */
/* Public functions                                                    */
/* ------------------------------------------------------------------ */

bool admin_user_allowed(const char *user)
{
	return strlist_contains(rt.cfg->admin_users, user) ||
	       strlist_contains(rt.cfg->stats_users, user);
}

void admin_start(struct client *c)
{
	struct param_set ps = { 0 };

	c->admin = true;
	param_set_update(&ps, "server_version", "15.0 (pgsteer " PACKAGE_VERSION ")");
	param_set_update(&ps, "server_encoding", "UTF8");
	param_set_update(&ps, "client_encoding", "UTF8");
	param_set_update(&ps, "DateStyle", "ISO");
	param_set_update(&ps, "integer_datetimes", "on");
	param_set_update(&ps, "standard_conforming_strings", "on");
	param_set_update(&ps, "application_name", client_startup_param(c, "application_name"));
	param_set_update(&ps, "TimeZone", "UTC");
	param_set_update(&ps, "IntervalStyle", "postgres");
	param_set_update(&ps, "is_superuser", "off");
	param_set_update(&ps, "session_authorization", c->user);
	client_welcome(c, &ps);
	client_set_state(c, CL_IDLE);
	c->tx_status = 'I';
	log_info("C-%llu %s: admin console session for %s%s", (unsigned long long)c->id, c->addr,
		 c->user, strlist_contains(rt.cfg->admin_users, c->user) ? "" : " (stats only)");
}

/* Handle every complete message at the head of C's input. */
void admin_input(struct client *c)
{
	struct admin_session *st = session_of(c);
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	uint8_t type;
	uint32_t len;

	if (!st) {
		client_fail(c, "FATAL", "53200", "out of memory");
		return;
	}
	while (st->wait == WAIT_NONE && c->state != CL_CLOSED && c->state != CL_FLUSHING) {
		if (!proto_peek_header(in, 0, &type, &len))
			return;
		if (!proto_is_frontend_type(type) || len < 4 || len > rt.cfg->max_packet_size) {
			client_fail(c, "FATAL", "08P01", "invalid message (type 0x%02x, length %u)",
				    type, len);
			return;
		}
		if (evbuffer_get_length(in) < 1 + (size_t)len)
			return;
		if (st->skip_to_sync) {
			evbuffer_drain(in, 1 + (size_t)len);
			if (type == 'S') {
				st->skip_to_sync = false;
				proto_add_ready(out, 'I');
			}
			continue;
		}
		switch (type) {
		case 'Q': {
			size_t body = len - 4;
			char *q = malloc(body + 1);
			if (!q) {
				client_fail(c, "FATAL", "53200", "out of memory");
				return;
			}
			evbuffer_drain(in, PROTO_HEADER_LEN);
			evbuffer_remove(in, q, body);
			q[body] = '\0';
			free(st->query);
			st->query = q;
			st->query_len = strlen(q);	/* the terminator, or an embedded NUL */
			st->query_pos = 0;
			st->ran = 0;
			run_query(c);
			break;
		}
		case 'X':
			evbuffer_drain(in, 1 + (size_t)len);
			client_close(c, "client sent Terminate");
			return;
		case 'S':
			evbuffer_drain(in, 1 + (size_t)len);
			proto_add_ready(out, 'I');
			break;
		case 'H':
			evbuffer_drain(in, 1 + (size_t)len);
			break;
		case 'F':
			evbuffer_drain(in, 1 + (size_t)len);
			proto_add_error(out, "ERROR", "0A000",
					"the admin console supports the simple query protocol only", NULL);
			proto_add_ready(out, 'I');
			break;
		case 'd':
		case 'c':
		case 'f':
			/* COPY data outside COPY: ignored, as PostgreSQL does */
			evbuffer_drain(in, 1 + (size_t)len);
			break;
		case 'P':
		case 'B':
		case 'D':
		case 'E':
		case 'C':
			/* extended protocol: refuse once, then skip to Sync like PostgreSQL */
			evbuffer_drain(in, 1 + (size_t)len);
			proto_add_error(out, "ERROR", "0A000",
					"the admin console supports the simple query protocol only",
					"use psql or a driver's simple query mode");
			st->skip_to_sync = true;
			break;
		default:
			client_fail(c, "FATAL", "08P01", "unexpected message type 0x%02x on the admin console",
				    type);
			return;
		}
	}
}

void admin_free_state(struct client *c)
{
	struct admin_session *st = c->admin_state;

	if (!st)
		return;
	if (st->timer)
		event_free(st->timer);
	if (st->op) {
		world_stop();	/* tenancy is the control plane's (worker.h) */
		tenant_op_cancel(st->op);	/* the operation finishes without us */
		world_start();
	}
	free(st->query);
	free(st);
	c->admin_state = NULL;
}

/* ------------------------------------------------------------------ */
/* Internal functions: sessions and the query loop                     */
/* ------------------------------------------------------------------ */

static struct admin_session *session_of(struct client *c)
{
	struct admin_session *st = c->admin_state;

	if (st)
		return st;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->c = c;
	st->timer = event_new(rt.base, -1, EV_PERSIST, timer_cb, st);
	if (!st->timer) {
		free(st);
		return NULL;
	}
	c->admin_state = st;
	return st;
}

static bool is_admin(const struct client *c)
{
	return strlist_contains(rt.cfg->admin_users, c->user);
}

/* ErrorResponse for the current statement. */
static void send_error(struct client *c, const char *sqlstate, const char *hint,
		       const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	proto_add_error(bufferevent_get_output(c->bev), "ERROR", sqlstate, msg, hint);
}

/* The Query is done (or failed): ReadyForQuery, forget the text. */
static void finish_query(struct admin_session *st)
{
	struct client *c = st->c;

	if (st->ran == 0)
		proto_add_empty_query(bufferevent_get_output(c->bev));
	proto_add_ready(bufferevent_get_output(c->bev), 'I');
	free(st->query);
	st->query = NULL;
	st->query_len = st->query_pos = 0;
}

/* Run the statements of the current Query from query_pos on. */
static void run_query(struct client *c)
{
	struct admin_session *st = c->admin_state;
	struct admin_command *cmd = malloc(sizeof(*cmd));

	if (!cmd) {
		client_fail(c, "FATAL", "53200", "out of memory");
		return;
	}
	while (st->query_pos < st->query_len) {
		char *stmt = st->query + st->query_pos;
		size_t n = admin_statement_len(stmt, st->query_len - st->query_pos);
		char saved = stmt[n];
		int rc;

		stmt[n] = '\0';
		rc = admin_parse(stmt, cmd);
		stmt[n] = saved;
		st->query_pos += n;
		if (rc < 0) {
			log_debug("C-%llu %s: admin: %s", (unsigned long long)c->id, c->user, cmd->message);
			send_error(c, cmd->sqlstate, cmd->hint, "%s", cmd->message);
			st->ran++;
			break;
		}
		if (cmd->cmd == ADMIN_EMPTY)
			continue;
		st->ran++;
		if (!admin_cmd_read_only(cmd->cmd) && !is_admin(c)) {
			send_error(c, "42501", "only admin_users may change pgsteer; stats_users may run SHOW and EXPLAIN ROUTE",
				   "permission denied for %s", admin_cmd_name(cmd->cmd));
			break;
		}
		log_debug("C-%llu %s: admin command %s", (unsigned long long)c->id, c->user,
			  admin_cmd_name(cmd->cmd));
		world_stop();	/* commands read and change every worker's objects */
		enum exec_result r = execute(c, cmd);
		world_start();
		if (r == EXEC_FAILED)
			break;
		if (r == EXEC_WAIT) {
			free(cmd);
			return;
		}
		if (st->shutdown_sent)
			break;		/* nothing runs after SHUTDOWN */
	}
	free(cmd);
	finish_query(st);
}

/* PAUSE: poll until the paused clusters have no busy server. */
static void timer_cb_stopped(evutil_socket_t fd, short what, void *arg)
{
	struct admin_session *st = arg;
	struct client *c = st->c;
	int cluster;

	UNUSED(fd);
	UNUSED(what);
	if (c->state == CL_CLOSED) {
		event_del(st->timer);
		return;
	}
	if (st->wait != WAIT_PAUSE) {
		event_del(st->timer);
		return;
	}
	cluster = st->pause_cluster[0] ? config_cluster_index(rt.cfg, st->pause_cluster) : -1;
	if (st->pause_cluster[0] && cluster < 0) {
		send_error(c, "57014", NULL, "PAUSE canceled: cluster \"%s\" was removed by a reload",
			   st->pause_cluster);
		st->query_pos = st->query_len;
	} else if (st->pause_cluster[0] ? !pool_cluster_paused(st->pause_cluster) : !pool_cluster_paused(NULL)) {
		send_error(c, "57014", NULL, "PAUSE canceled by RESUME");
		st->query_pos = st->query_len;
	} else if (pool_busy_servers(cluster) > 0) {
		return;
	} else {
		proto_add_command_complete(bufferevent_get_output(c->bev), "PAUSE");
		log_info("C-%llu %s: PAUSE %s done after %lld ms: no busy servers",
			 (unsigned long long)c->id, c->user,
			 st->pause_cluster[0] ? st->pause_cluster : "(all clusters)",
			 (long long)(now_ms() - st->wait_since_ms));
	}
	event_del(st->timer);
	st->wait = WAIT_NONE;
	run_query(c);
	admin_input(c);		/* whatever arrived while we waited */
}

WORLD_STOPPED_CB(timer_cb)

/* ------------------------------------------------------------------ */
/* Internal functions: result sets                                     */
/* ------------------------------------------------------------------ */

static void rs_header(struct client *c, const struct column *cols, int n)
{
	const char *names[ROW_MAX];
	uint32_t oids[ROW_MAX];

	Assert(n <= ROW_MAX);
	for (int i = 0; i < n; i++) {
		names[i] = cols[i].name;
		oids[i] = cols[i].oid;
	}
	proto_add_row_description(bufferevent_get_output(c->bev), n, names, oids);
}

static void rs_row(struct client *c, const struct row *r)
{
	proto_add_data_row(bufferevent_get_output(c->bev), r->n, r->v);
}

static void rs_done(struct client *c, const char *tag)
{
	proto_add_command_complete(bufferevent_get_output(c->bev), tag);
}

static void row_reset(struct row *r)
{
	r->n = 0;
}

/* A text value (NULL = SQL NULL); the string must outlive rs_row(). */
static void row_str(struct row *r, const char *s)
{
	Assert(r->n < ROW_MAX);
	r->v[r->n++] = s;
}

static void row_i64(struct row *r, int64_t v)
{
	Assert(r->n < ROW_MAX);
	snprintf(r->buf[r->n], sizeof(r->buf[0]), "%" PRId64, v);
	r->v[r->n] = r->buf[r->n];
	r->n++;
}

static void row_u64(struct row *r, uint64_t v)
{
	/* int8 is signed: clamp what cannot be shown */
	row_i64(r, v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v);
}

static void row_f8(struct row *r, double v)
{
	Assert(r->n < ROW_MAX);
	snprintf(r->buf[r->n], sizeof(r->buf[0]), "%.3f", v);
	r->v[r->n] = r->buf[r->n];
	r->n++;
}

static void row_bool(struct row *r, bool v)
{
	row_str(r, v ? "t" : "f");
}

/* ------------------------------------------------------------------ */
/* Internal functions: names                                           */
/* ------------------------------------------------------------------ */


/* Does the config name NAME match what the admin typed? */
static bool name_matches(const char *name, const struct admin_command *cmd)
{
	return cmd->name_quoted ? strcmp(name, cmd->name) == 0 : strcasecmp(name, cmd->name) == 0;
}

/* Config node index named by CMD, or -1 with the error sent. */
static int find_node(struct client *c, const struct admin_command *cmd)
{
	for (int i = 0; i < rt.cfg->n_nodes; i++)
		if (name_matches(rt.cfg->nodes[i].name, cmd))
			return i;
	send_error(c, "42704", "SHOW NODES lists the nodes", "node \"%s\" does not exist", cmd->name);
	return -1;
}

/* Config cluster index named by CMD ("" → -1 = all), or -2 with the error sent. */
static int find_cluster(struct client *c, const struct admin_command *cmd)
{
	if (!cmd->name[0])
		return -1;
	for (int i = 0; i < rt.cfg->n_clusters; i++)
		if (name_matches(rt.cfg->clusters[i].name, cmd))
			return i;
	send_error(c, "42704", "SHOW CLUSTERS lists the clusters", "cluster \"%s\" does not exist",
		   cmd->name);
	return -2;
}

/* The snapshot's entry for a node name, or NULL (not monitored yet). */
static const struct node_status *snap_node(const struct cluster_snapshot *snap, const char *name)
{
	if (!snap)
		return NULL;
	for (int i = 0; i < snap->n_nodes; i++)
		if (snap->nodes[i].name && strcmp(snap->nodes[i].name, name) == 0)
			return &snap->nodes[i];
	return NULL;
}


static const char *client_state_name(enum client_state s)
{
	switch (s) {
	case CL_STARTUP: return "startup";
	case CL_AUTH_LOOKUP: return "auth_lookup";
	case CL_AUTH: return "auth";
	case CL_LOGIN_WAIT: return "login_wait";
	case CL_IDLE: return "idle";
	case CL_WAITING: return "waiting";
	case CL_ACTIVE: return "active";
	case CL_FLUSHING: return "closing";
	case CL_CLOSED: return "closed";
	}
	return "?";
}

static const char *server_state_name(enum server_state s)
{
	switch (s) {
	case SV_CONNECTING: return "connecting";
	case SV_TLS_REQUEST: return "tls_request";
	case SV_TLS_HANDSHAKE: return "tls_handshake";
	case SV_LOGIN: return "login";
	case SV_IDLE: return "idle";
	case SV_ACTIVE: return "active";
	case SV_RESETTING: return "resetting";
	case SV_LSN_PROBE: return "lsn_probe";
	case SV_CLOSING: return "closing";
	case SV_CLOSED: return "closed";
	}
	return "?";
}

static const char *tx_status_name(char st)
{
	switch (st) {
	case 'I': return "idle";
	case 'T': return "in_transaction";
	case 'E': return "failed_transaction";
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Internal functions: the commands                                    */
/* ------------------------------------------------------------------ */

static void show_help(struct client *c)
{
	static const struct column cols[] = { { "command", OID_TEXT }, { "description", OID_TEXT } };
	static const char *const help[][2] = {
		{ "SHOW HELP", "this list" },
		{ "SHOW CLUSTERS", "clusters: primary, eligible replicas, split brain, paused" },
		{ "SHOW NODES", "nodes: role, up, availability, lag, LSN, weight, connections, reads" },
		{ "SHOW POOLS", "server pools per node, user and database" },
		{ "SHOW CLIENTS", "client connections" },
		{ "SHOW SERVERS", "server connections" },
		{ "SHOW STATS", "queries, bytes and query time per node, class and target" },
		{ "SHOW CONFIG", "the running configuration" },
		{ "SHOW TENANTS", "tenant placement: cluster, generation, state" },
		{ "SHOW MOVES", "data moves of this instance: phase, tables copied, bytes, lag, last error" },
		{ "SHOW VERSION", "pgsteer's version" },
		{ "EXPLAIN ROUTE '<sql>' [ON <cluster>]", "class, reason and where the statement would go now" },
		{ "RELOAD", "re-read the configuration file" },
		{ "PAUSE [<cluster>]", "hold new transactions; returns when running ones have finished" },
		{ "RESUME [<cluster>]", "end PAUSE" },
		{ "SHUTDOWN", "stop accepting; exit once transactions finish (shutdown_timeout)" },
		{ "SET NODE <node> AVAILABILITY active|offline", "take a node out of (or back into) rotation" },
		{ "DRAIN NODE <node>", "no new transactions on the node (offline); shows scheduling draining" },
		{ "TENANT CREATE <tenant> [ON <cluster>] [SCHEMA <s> | DATABASE <d>]", "place a new tenant (default: the active cluster with fewest tenants), recording where its data lives" },
		{ "TENANT LOCATE <tenant>", "the tenant's cluster, primary node and generation" },
		{ "TENANT MOVE <tenant> TO <cluster>", "pause the tenant, wait for its transactions (move_timeout), switch, resume" },
		{ "TENANT MOVE <tenant> TO <cluster> WITH DATA [SCHEMA <s> | DATABASE <d>]", "copy its data (logical replication), then move it; the source copy stays" },
		{ "TENANT MOVE <tenant> CANCEL", "stop a data move before its cutover; the tenant stays" },
		{ "TENANT CLEANUP <tenant>", "drop the source copy a data move left behind" },
		{ "TENANT DROP <tenant>", "forget the tenant's placement" },
	};
	struct row r;

	rs_header(c, cols, 2);
	for (size_t i = 0; i < ARRAY_SIZE(help); i++) {
		row_reset(&r);
		row_str(&r, help[i][0]);
		row_str(&r, help[i][1]);
		rs_row(c, &r);
	}
	rs_done(c, "SHOW");
}

static void show_version(struct client *c)
{
	static const struct column cols[] = { { "version", OID_TEXT } };
	struct row r;

	rs_header(c, cols, 1);
	row_reset(&r);
	row_str(&r, "pgsteer " PACKAGE_VERSION);
	rs_row(c, &r);
	rs_done(c, "SHOW");
}

static void tenant_row(void *arg, const struct tenant_entry *e)
{
	struct row r;

	row_reset(&r);
	row_str(&r, e->id);
	row_str(&r, e->cluster);
	row_i64(&r, e->generation);
	row_str(&r, e->state == TENANT_MOVING ? "moving" : "active");
	rs_row(arg, &r);
}

static void show_tenants(struct client *c)
{
	static const struct column cols[] = {
		{ "tenant", OID_TEXT }, { "cluster", OID_TEXT },
		{ "generation", OID_INT8 }, { "state", OID_TEXT },
	};

	rs_header(c, cols, 4);
	tenant_foreach(tenant_row, c);
	rs_done(c, "SHOW");
}

static void move_row(void *arg, const struct dmove_info *in)
{
	struct row r;
	char started[40], data[80];
	struct tm tm;
	time_t t = (time_t)in->started_unix;

	gmtime_r(&t, &tm);
	strftime(started, sizeof(started), "%Y-%m-%d %H:%M:%S+00", &tm);
	snprintf(data, sizeof(data), "%s %s", in->data_kind, in->data_name);
	row_reset(&r);
	row_str(&r, in->tenant);
	row_str(&r, in->source);
	row_str(&r, in->target);
	row_str(&r, data);
	row_str(&r, dmove_phase_name(in->phase));
	row_str(&r, started);
	row_i64(&r, in->tables_copied);
	row_i64(&r, in->tables_total);
	row_i64(&r, in->bytes);
	row_i64(&r, in->lag_bytes);
	row_f8(&r, in->lag_s);
	row_str(&r, in->last_error);
	rs_row(arg, &r);
}

/* SHOW MOVES: the data moves this instance runs or ran (TENANT MOVE ... WITH DATA). */
static void show_moves(struct client *c)
{
	static const struct column cols[] = {
		{ "tenant", OID_TEXT }, { "source", OID_TEXT }, { "target", OID_TEXT },
		{ "data", OID_TEXT }, { "phase", OID_TEXT }, { "started", OID_TEXT },
		{ "tables_copied", OID_INT8 }, { "tables_total", OID_INT8 }, { "bytes", OID_INT8 },
		{ "lag_bytes", OID_INT8 }, { "lag_s", OID_FLOAT8 }, { "last_error", OID_TEXT },
	};

	rs_header(c, cols, 12);
	dmove_foreach(move_row, c);
	rs_done(c, "SHOW");
}

/* Server connections of node NAME: active (linked or busy) and idle. */
static void node_servers(const char *name, int *active, int *idle)
{
	struct list *it;

	*active = *idle = 0;
	WORKERS_AS_EACH(w) {
		list_for_each(it, &rt.pools) {
			struct pool *p = container_of(it, struct pool, head);
			if (strcmp(p->node_name, name) == 0) {
				*active += p->n_active;
				*idle += p->n_idle;
			}
		}
	}
}

/*
 * SHOW NODES' role: the monitor's, with its "unknown" named when the node
 * is up and not in recovery but not the cluster's primary: a second
 * primary (split brain), or a promotion not yet confirmed.
 */
static const char *node_role_label(const struct cluster_snapshot *snap, const struct node_status *ns)
{
	if (!ns)
		return monitor_role_name(ROLE_UNKNOWN);
	if (ns->role == ROLE_UNKNOWN && ns->up && !ns->in_recovery) {
		bool sb = snap && ns->cluster_index >= 0 && ns->cluster_index < snap->n_clusters &&
			  snap->split_brain[ns->cluster_index];
		return sb ? "split brain: not in recovery, not used" : "promoting: not in recovery yet unconfirmed";
	}
	return monitor_role_name(ns->role);
}

static void show_nodes(struct client *c)
{
	static const struct column cols[] = {
		{ "node", OID_TEXT }, { "cluster", OID_TEXT }, { "host", OID_TEXT },
		{ "port", OID_INT4 }, { "role", OID_TEXT }, { "up", OID_BOOL },
		{ "availability", OID_TEXT }, { "scheduling", OID_TEXT },
		{ "lag_s", OID_FLOAT8 }, { "lag_bytes", OID_INT8 }, { "wal_lsn", OID_TEXT },
		{ "weight", OID_INT4 }, { "server_active", OID_INT4 }, { "server_idle", OID_INT4 },
		{ "queries", OID_INT8 }, { "reads", OID_INT8 }, { "last_check_ms", OID_INT8 },
		{ "last_error", OID_TEXT },
	};
	const struct cluster_snapshot *snap = rt.monitor ? monitor_snapshot_get(rt.monitor) : NULL;
	struct row r;
	char lsn[32];
	int64_t age;

	rs_header(c, cols, (int)ARRAY_SIZE(cols));
	for (int i = 0; i < rt.cfg->n_nodes; i++) {
		const struct config_node *n = &rt.cfg->nodes[i];
		const struct node_status *ns = snap_node(snap, n->name);
		const char *cluster = rt.cfg->clusters[n->cluster_index].name;
		int active, idle;

		node_servers(n->name, &active, &idle);
		row_reset(&r);
		row_str(&r, n->name);
		row_str(&r, cluster);
		row_str(&r, n->host);
		row_i64(&r, n->port);
		row_str(&r, node_role_label(snap, ns));
		row_bool(&r, ns && ns->up);
		row_str(&r, ns && ns->availability == AVAIL_OFFLINE ? "offline" : "active");
		row_str(&r, monitor_node_drained(n->name) ? "draining" :
			    pool_cluster_paused(cluster) ? "pause" : "active");
		if (ns && ns->role == ROLE_REPLICA && ns->lag_known) {
			row_f8(&r, ns->lag_s);
			row_u64(&r, ns->lag_bytes);
		} else if (ns && ns->role == ROLE_PRIMARY && ns->up) {
			row_f8(&r, 0);
			row_u64(&r, 0);
		} else {
			row_str(&r, NULL);
			row_str(&r, NULL);
		}
		if (ns && ns->wal_lsn) {
			monitor_format_lsn(ns->wal_lsn, lsn, sizeof(lsn));
			row_str(&r, lsn);
		} else {
			row_str(&r, NULL);
		}
		row_i64(&r, ns ? ns->weight : n->weight);
		row_i64(&r, active);
		row_i64(&r, idle);
		if (i < STATS_MAX_NODES) {
			row_u64(&r, stats_total()->nodes[i].queries);
			row_u64(&r, stats_total()->nodes[i].reads);
		} else {
			row_str(&r, NULL);
			row_str(&r, NULL);
		}
		age = rt.monitor ? monitor_check_age_ms(rt.monitor, n->name) : -1;
		if (age >= 0)
			row_i64(&r, age);
		else
			row_str(&r, NULL);
		row_str(&r, ns && ns->last_error[0] ? ns->last_error : NULL);
		rs_row(c, &r);
	}
	if (snap)
		monitor_snapshot_put(snap);
	rs_done(c, "SHOW");
}

static void show_clusters(struct client *c)
{
	static const struct column cols[] = {
		{ "cluster", OID_TEXT }, { "databases", OID_TEXT }, { "pool_size", OID_INT4 },
		{ "nodes", OID_INT4 }, { "primary", OID_TEXT }, { "primary_writable", OID_BOOL },
		{ "replicas_eligible", OID_INT4 }, { "split_brain", OID_BOOL }, { "paused", OID_BOOL },
	};
	const struct cluster_snapshot *snap = rt.monitor ? monitor_snapshot_get(rt.monitor) : NULL;
	struct row r;

	rs_header(c, cols, (int)ARRAY_SIZE(cols));
	for (int ci = 0; ci < rt.cfg->n_clusters; ci++) {
		const struct config_cluster *cl = &rt.cfg->clusters[ci];
		char dbs[256] = "";
		size_t used = 0;
		int eligible = 0;
		bool snap_ok = snap && ci < snap->n_clusters;

		for (size_t k = 0; cl->databases[k] && used < sizeof(dbs); k++)
			used += (size_t)snprintf(dbs + used, sizeof(dbs) - used, "%s%s",
						 k ? "," : "", cl->databases[k]);
		row_reset(&r);
		row_str(&r, cl->name);
		row_str(&r, dbs[0] ? dbs : "*");
		row_i64(&r, cl->pool_size ? cl->pool_size : rt.cfg->default_pool_size);
		row_i64(&r, cl->n_nodes);
		if (snap_ok && snap->primary[ci] >= 0 && snap->primary[ci] < snap->n_nodes)
			row_str(&r, snap->nodes[snap->primary[ci]].name);
		else
			row_str(&r, NULL);
		row_bool(&r, snap_ok && monitor_primary_writable(snap, ci));
		if (snap_ok)
			for (int i = 0; i < snap->n_nodes; i++)
				if (snap->nodes[i].cluster_index == ci &&
				    route_replica_eligible(snap, i, ci, &rt.route_cfg, 0, NULL, 0))
					eligible++;
		row_i64(&r, eligible);
		row_bool(&r, snap_ok && snap->split_brain[ci]);
		row_bool(&r, pool_cluster_paused(cl->name));
		rs_row(c, &r);
	}
	if (snap)
		monitor_snapshot_put(snap);
	rs_done(c, "SHOW");
}

/* Clients linked to servers of POOL. */
static int pool_linked_clients(const struct pool *p)
{
	struct list *it;
	int n = 0;

	list_for_each(it, &p->active) {
		const struct server *s = container_of(it, struct server, head);
		if (s->client)
			n++;
	}
	return n;
}

static void show_pools(struct client *c)
{
	static const struct column cols[] = {
		{ "database", OID_TEXT }, { "user", OID_TEXT }, { "cluster", OID_TEXT },
		{ "node", OID_TEXT }, { "cl_active", OID_INT4 }, { "cl_waiting", OID_INT4 },
		{ "sv_active", OID_INT4 }, { "sv_idle", OID_INT4 }, { "sv_login", OID_INT4 },
		{ "sv_closing", OID_INT4 }, { "pool_size", OID_INT4 }, { "paused", OID_BOOL },
		{ "last_login_error", OID_TEXT }, { "worker", OID_INT4 },
	};
	struct list *it;
	struct row r;

	rs_header(c, cols, (int)ARRAY_SIZE(cols));
	WORKERS_AS_EACH(w) {
		list_for_each(it, &rt.pools) {
			const struct pool *p = container_of(it, struct pool, head);
			row_reset(&r);
			row_str(&r, p->database);
			row_str(&r, p->user);
			row_str(&r, p->cluster_name);
			row_str(&r, p->node_name);
			row_i64(&r, pool_linked_clients(p));
			row_i64(&r, p->n_waiting);
			row_i64(&r, p->n_active);
			row_i64(&r, p->n_idle);
			row_i64(&r, p->n_login);
			row_i64(&r, p->n_closing);
			row_i64(&r, p->pool_size);
			row_bool(&r, p->paused);
			row_str(&r, p->last_login_error[0] ? p->last_login_error : NULL);
			row_i64(&r, w->index);
			rs_row(c, &r);
		}
	}
	rs_done(c, "SHOW");
}

static void show_clients(struct client *c)
{
	static const struct column cols[] = {
		{ "id", OID_INT8 }, { "user", OID_TEXT }, { "database", OID_TEXT },
		{ "state", OID_TEXT }, { "addr", OID_TEXT }, { "tls", OID_BOOL },
		{ "application_name", OID_TEXT }, { "tx_status", OID_TEXT },
		{ "server", OID_INT8 }, { "node", OID_TEXT }, { "last_route", OID_TEXT },
		{ "state_s", OID_FLOAT8 }, { "admin", OID_BOOL },
		{ "pinned", OID_TEXT }, { "prepared", OID_INT8 }, { "worker", OID_INT4 },
	};
	int64_t now = now_ms();
	struct list *it;
	struct row r;

	rs_header(c, cols, (int)ARRAY_SIZE(cols));
	WORKERS_AS_EACH(w) {
		list_for_each(it, &rt.clients) {
			const struct client *k = container_of(it, struct client, head);
			char last_route[8 + NAME_LEN];

			row_reset(&r);
			row_u64(&r, k->id);
			row_str(&r, k->user);
			row_str(&r, k->database);
			row_str(&r, client_state_name(k->state));
			row_str(&r, k->addr);
			row_bool(&r, k->tls);
			row_str(&r, client_startup_param(k, "application_name"));
			row_str(&r, k->admin ? NULL : tx_status_name(k->tx_status));
			if (k->server) {
				row_u64(&r, k->server->id);
				row_str(&r, k->server->pool ? k->server->pool->node_name : NULL);
			} else {
				row_str(&r, NULL);
				row_str(&r, NULL);
			}
			client_last_route(k, last_route, sizeof(last_route));
			row_str(&r, last_route[0] ? last_route : NULL);
			row_f8(&r, k->state_since_ms > 0 ? (double)(now - k->state_since_ms) / 1000.0 : 0.0);
			row_bool(&r, k->admin);
			row_str(&r, k->pinned ? k->pin_reason : NULL);
			row_u64(&r, k->prep.n);
			row_i64(&r, w->index);
			rs_row(c, &r);
		}
	}
	rs_done(c, "SHOW");
}

static void server_row(struct client *c, const struct server *s, int64_t now, int worker)
{
	struct row r;

	row_reset(&r);
	row_u64(&r, s->id);
	row_str(&r, s->pool->node_name);
	row_str(&r, s->pool->cluster_name);
	row_str(&r, s->pool->user);
	row_str(&r, s->pool->database);
	row_str(&r, server_state_name(s->state));
	if (s->backend_pid)
		row_i64(&r, s->backend_pid);
	else
		row_str(&r, NULL);
	row_bool(&r, s->tls);
	if (s->client)
		row_u64(&r, s->client->id);
	else
		row_str(&r, NULL);
	row_str(&r, tx_status_name(s->tx_status));
	row_f8(&r, s->created_ms > 0 ? (double)(now - s->created_ms) / 1000.0 : 0.0);
	row_f8(&r, s->state_since_ms > 0 ? (double)(now - s->state_since_ms) / 1000.0 : 0.0);
	row_i64(&r, worker);
	rs_row(c, &r);
}

static void show_servers(struct client *c)
{
	static const struct column cols[] = {
		{ "id", OID_INT8 }, { "node", OID_TEXT }, { "cluster", OID_TEXT },
		{ "user", OID_TEXT }, { "database", OID_TEXT }, { "state", OID_TEXT },
		{ "backend_pid", OID_INT4 }, { "tls", OID_BOOL }, { "client", OID_INT8 },
		{ "tx_status", OID_TEXT }, { "age_s", OID_FLOAT8 }, { "state_s", OID_FLOAT8 },
		{ "worker", OID_INT4 },
	};
	int64_t now = now_ms();
	struct list *it, *s_it;

	rs_header(c, cols, (int)ARRAY_SIZE(cols));
	WORKERS_AS_EACH(w) {
		list_for_each(it, &rt.pools) {
			const struct pool *p = container_of(it, struct pool, head);
			const struct list *lists[] = { &p->active, &p->idle, &p->login };
			for (size_t k = 0; k < ARRAY_SIZE(lists); k++)
				list_for_each(s_it, lists[k])
					server_row(c, container_of(s_it, struct server, head), now, w->index);
		}
	}
	rs_done(c, "SHOW");
}

static const char *stats_target_name(int t)
{
	static const char *const names[STATS_TARGETS] = { "primary", "replica", "local", "refused" };
	return t >= 0 && t < STATS_TARGETS ? names[t] : "?";
}

static const char *stats_fallback_name(int f)
{
	static const char *const names[STATS_FALLBACKS] = { "no_replica", "lag", "sticky", "other" };
	return f >= 0 && f < STATS_FALLBACKS ? names[f] : "?";
}

static void show_stats(struct client *c)
{
	static const struct column cols[] = {
		{ "scope", OID_TEXT }, { "name", OID_TEXT }, { "target", OID_TEXT },
		{ "queries", OID_INT8 }, { "reads", OID_INT8 },
		{ "bytes_to_server", OID_INT8 }, { "bytes_from_server", OID_INT8 },
		{ "completed", OID_INT8 }, { "query_time_us", OID_INT8 }, { "avg_query_us", OID_FLOAT8 },
	};
	struct row r;

	rs_header(c, cols, (int)ARRAY_SIZE(cols));
	for (int i = 0; i < rt.cfg->n_nodes && i < STATS_MAX_NODES; i++) {
		const struct stats_node *sn = &stats_total()->nodes[i];
		row_reset(&r);
		row_str(&r, "node");
		row_str(&r, rt.cfg->nodes[i].name);
		row_str(&r, NULL);
		row_u64(&r, sn->queries);
		row_u64(&r, sn->reads);
		row_u64(&r, sn->bytes_to_server);
		row_u64(&r, sn->bytes_from_server);
		row_u64(&r, sn->queries_completed);
		row_u64(&r, sn->query_time_us);
		row_f8(&r, sn->queries_completed ?
			   (double)sn->query_time_us / (double)sn->queries_completed : 0.0);
		rs_row(c, &r);
	}
	for (int cl = 0; cl < STATS_CLASSES; cl++) {
		for (int t = 0; t < STATS_TARGETS; t++) {
			row_reset(&r);
			row_str(&r, "class");
			row_str(&r, classify_class_name((enum classify_class)cl));
			row_str(&r, stats_target_name(t));
			row_u64(&r, stats_total()->queries[cl][t]);
			for (int k = 0; k < 6; k++)
				row_str(&r, NULL);
			rs_row(c, &r);
		}
	}
	for (int f = 0; f < STATS_FALLBACKS; f++) {
		row_reset(&r);
		row_str(&r, "read_fallback");
		row_str(&r, stats_fallback_name(f));
		row_str(&r, "primary");
		row_u64(&r, stats_total()->read_fallback[f]);
		for (int k = 0; k < 6; k++)
			row_str(&r, NULL);
		rs_row(c, &r);
	}
	row_reset(&r);
	row_str(&r, "total");
	row_str(&r, "all");
	row_str(&r, NULL);
	{
		uint64_t q = 0, reads = 0, to = 0, from = 0, done = 0, us = 0;
		for (int i = 0; i < STATS_MAX_NODES; i++) {
			q += stats_total()->nodes[i].queries;
			reads += stats_total()->nodes[i].reads;
			to += stats_total()->nodes[i].bytes_to_server;
			from += stats_total()->nodes[i].bytes_from_server;
			done += stats_total()->nodes[i].queries_completed;
			us += stats_total()->nodes[i].query_time_us;
		}
		row_u64(&r, q);
		row_u64(&r, reads);
		row_u64(&r, to);
		row_u64(&r, from);
		row_u64(&r, done);
		row_u64(&r, us);
		row_f8(&r, done ? (double)us / (double)done : 0.0);
	}
	rs_row(c, &r);
	rs_done(c, "SHOW");
}

/* SHOW CONFIG: one row per setting, via config.c's key table. */
static void config_row_cb(void *arg, const char *section, const char *key, const char *value)
{
	struct client *c = arg;
	struct row r;

	row_reset(&r);
	row_str(&r, section);
	row_str(&r, key);
	row_str(&r, value);
	rs_row(c, &r);
}

static void show_config(struct client *c)
{
	static const struct column cols[] = {
		{ "section", OID_TEXT }, { "key", OID_TEXT }, { "value", OID_TEXT },
	};

	rs_header(c, cols, (int)ARRAY_SIZE(cols));
	config_foreach_setting(rt.cfg, config_row_cb, c);
	rs_done(c, "SHOW");
}

/*
 * A read routed to a replica is a weighted pick among the eligible ones:
 * name them all (NODES) and say so in D's reason, rather than the one a
 * fixed pick would give.
 */
static void explain_replicas(const struct cluster_snapshot *snap, int cluster, struct route_decision *d,
			     char *nodes, size_t len)
{
	char why[96], list[sizeof(d->reason)];
	const char *cut = strstr(d->reason, ": replica ");
	size_t n = 0, l = 0;
	long total = 0;
	int eligible = 0;

	for (int i = 0; i < snap->n_nodes; i++)
		if (route_replica_eligible(snap, i, cluster, &rt.route_cfg, 0, why, sizeof(why))) {
			total += snap->nodes[i].weight;
			eligible++;
		}
	nodes[0] = list[0] = '\0';
	for (int i = 0; i < snap->n_nodes && total > 0; i++) {
		if (!route_replica_eligible(snap, i, cluster, &rt.route_cfg, 0, why, sizeof(why)))
			continue;
		n += (size_t)snprintf(nodes + n, n < len ? len - n : 0, "%s%s", n ? ", " : "",
				      snap->nodes[i].name);
		l += (size_t)snprintf(list + l, l < sizeof(list) ? sizeof(list) - l : 0,
				      "%s%s (lag %.3gs, weight %d: %.0f%%)", l ? ", " : "",
				      snap->nodes[i].name, snap->nodes[i].lag_s, snap->nodes[i].weight,
				      100.0 * snap->nodes[i].weight / (double)total);
	}
	if (eligible > 1 && cut)
		snprintf(d->reason + (cut - d->reason), sizeof(d->reason) - (size_t)(cut - d->reason),
			 ": one of the replicas by weight: %s", list);
}

static enum exec_result explain_route(struct client *c, const struct admin_command *cmd)
{
	static const struct column cols[] = {
		{ "cluster", OID_TEXT }, { "class", OID_TEXT }, { "class_reason", OID_TEXT },
		{ "target", OID_TEXT }, { "node", OID_TEXT }, { "route_reason", OID_TEXT },
		{ "read_fallback", OID_BOOL },
	};
	struct classify_result res;
	struct route_session sess;
	struct route_decision d;
	const struct cluster_snapshot *snap;
	int cluster = find_cluster(c, cmd);
	struct row r;
	char nodes[256];

	if (cluster == -2)
		return EXEC_FAILED;
	if (cluster < 0)
		cluster = 0;
	if (!rt.monitor) {
		send_error(c, "55000", NULL, "the monitor is not running");
		return EXEC_FAILED;
	}
	snap = monitor_snapshot_get(rt.monitor);
	if (cluster >= snap->n_clusters) {
		monitor_snapshot_put(snap);
		send_error(c, "55000", NULL, "cluster \"%s\" is not monitored yet",
			   rt.cfg->clusters[cluster].name);
		return EXEC_FAILED;
	}
	classify_sql(cmd->sql, cmd->sql_len, rt.knowledge, &res);
	memset(&sess, 0, sizeof(sess));
	sess.fallback_ambiguous = rt.cfg->fallback_ambiguous;
	sess.txn_node = -1;
	memset(&d, 0, sizeof(d));
	route_decide(&res, &sess, snap, cluster, &rt.route_cfg, 0.5, &d);

	if (d.target == ROUTE_REPLICA)
		explain_replicas(snap, cluster, &d, nodes, sizeof(nodes));
	else
		snprintf(nodes, sizeof(nodes), "%s",
			 d.node >= 0 && d.node < snap->n_nodes ? snap->nodes[d.node].name : "");

	rs_header(c, cols, (int)ARRAY_SIZE(cols));
	row_reset(&r);
	row_str(&r, rt.cfg->clusters[cluster].name);
	row_str(&r, classify_class_name(res.cls));
	row_str(&r, res.reason);
	row_str(&r, route_target_name(d.target));
	row_str(&r, nodes[0] ? nodes : NULL);
	row_str(&r, d.reason);
	row_bool(&r, d.read_fallback);
	rs_row(c, &r);
	monitor_snapshot_put(snap);
	rs_done(c, "EXPLAIN");
	return EXEC_DONE;
}

static enum exec_result do_reload(struct client *c)
{
	char why[1024];

	if (!daemon_reload(why, sizeof(why))) {
		send_error(c, "F0000", "fix the file and RELOAD again; the running configuration is unchanged",
			   "reload failed: %s", why);
		return EXEC_FAILED;
	}
	log_info("C-%llu %s: RELOAD done", (unsigned long long)c->id, c->user);
	rs_done(c, "RELOAD");
	return EXEC_DONE;
}

static enum exec_result do_pause(struct client *c, const struct admin_command *cmd)
{
	struct admin_session *st = c->admin_state;
	int cluster = find_cluster(c, cmd);
	int busy;

	if (cluster == -2)
		return EXEC_FAILED;
	busy = pool_pause(cluster, true);
	log_info("C-%llu %s: PAUSE %s: %d busy server(s) to wait for", (unsigned long long)c->id,
		 c->user, cluster < 0 ? "(all clusters)" : rt.cfg->clusters[cluster].name, busy);
	if (busy == 0) {
		rs_done(c, "PAUSE");
		return EXEC_DONE;
	}
	snprintf(st->pause_cluster, sizeof(st->pause_cluster), "%s",
		 cluster < 0 ? "" : rt.cfg->clusters[cluster].name);
	st->wait = WAIT_PAUSE;
	st->wait_since_ms = now_ms();
	{
		struct timeval tv = { 0, PAUSE_POLL_MS * 1000 };
		event_add(st->timer, &tv);
	}
	return EXEC_WAIT;
}

static enum exec_result do_resume(struct client *c, const struct admin_command *cmd)
{
	int cluster = find_cluster(c, cmd);

	if (cluster == -2)
		return EXEC_FAILED;
	pool_pause(cluster, false);
	log_info("C-%llu %s: RESUME %s", (unsigned long long)c->id, c->user,
		 cluster < 0 ? "(all clusters)" : rt.cfg->clusters[cluster].name);
	rs_done(c, "RESUME");
	return EXEC_DONE;
}

static enum exec_result do_set_node(struct client *c, const struct admin_command *cmd, bool drain)
{
	int i = find_node(c, cmd);
	const char *name;

	if (i < 0)
		return EXEC_FAILED;
	name = rt.cfg->nodes[i].name;
	if (tenant_enabled()) {
		/* persisted in pgsteer.nodes: survives restarts, every instance applies it */
		struct admin_command *named = malloc(sizeof(*named));
		enum exec_result r;
		if (!named) {
			send_error(c, "53200", NULL, "out of memory");
			return EXEC_FAILED;
		}
		*named = *cmd;
		snprintf(named->name, sizeof(named->name), "%s", name);
		log_info("C-%llu %s: node %s: %s (saving in the metadata)", (unsigned long long)c->id,
			 c->user, name, drain ? "draining" : cmd->offline ? "availability offline" :
			 "availability active");
		r = do_tenant(c, named);
		free(named);
		return r;
	}
	/* offline keeps a drain; active ends it */
	if (!monitor_set_node_state(rt.monitor, name, cmd->offline,
				    drain || (cmd->offline && monitor_node_drained(name)))) {
		send_error(c, "55000", NULL, "node \"%s\" is not monitored yet", name);
		return EXEC_FAILED;
	}
	log_info("C-%llu %s: node %s: %s", (unsigned long long)c->id, c->user, name,
		 drain ? "draining" : cmd->offline ? "availability offline" : "availability active");
	rs_done(c, drain ? "DRAIN" : "SET");
	return EXEC_DONE;
}

/* A TENANT command's answer (or SET NODE's, saved in the metadata). */
static void send_tenant_reply(struct client *c, const struct tenant_reply *r)
{
	struct column cols[TENANT_REPLY_COLS];
	struct row row;

	if (r->sqlstate) {
		send_error(c, r->sqlstate, NULL, "%s", r->message);
		return;
	}
	if (r->ncols > 0) {
		row_reset(&row);
		for (int i = 0; i < r->ncols; i++) {
			cols[i].name = r->cols[i];
			cols[i].oid = r->oids[i];
			row_str(&row, r->vals[i]);
		}
		rs_header(c, cols, r->ncols);
		rs_row(c, &row);
	}
	rs_done(c, r->tag);
}

/* The metadata answered a command this session waits for: go on with its Query. */
static void tenant_done(void *arg, const struct tenant_reply *r)
{
	struct admin_session *st = arg;
	struct client *c = st->c;
	struct worker *was = worker_current();

	st->op = NULL;
	st->wait = WAIT_NONE;
	if (c->state == CL_CLOSED || c->state == CL_FLUSHING)
		return;
	/* the world is stopped (tenancy's callbacks, or execute()): act as the session's worker */
	worker_enter(c->worker);
	tenant_answered(c, st, r);
	worker_enter(was);
}

/* The answer of C's TENANT command: send it, and go on with the Query. */
static void tenant_answered(struct client *c, struct admin_session *st, const struct tenant_reply *r)
{
	send_tenant_reply(c, r);
	if (r->sqlstate)
		st->query_pos = st->query_len;	/* an error ends the Query, as in PostgreSQL */
	log_info("C-%llu %s: %s %s: %s", (unsigned long long)c->id, c->user, r->tag ? r->tag : "command",
		 r->sqlstate ? "failed" : "done", r->sqlstate ? r->message : "ok");
	run_query(c);
	admin_input(c);		/* whatever arrived while we waited */
}

static enum exec_result do_tenant(struct client *c, const struct admin_command *cmd)
{
	struct admin_session *st = c->admin_state;
	struct tenant_reply *r = malloc(sizeof(*r));
	struct tenant_op *op;
	bool failed;

	if (!r) {
		send_error(c, "53200", NULL, "out of memory");
		return EXEC_FAILED;
	}
	op = tenant_admin(cmd, c->user, tenant_done, st, r);
	if (op) {
		free(r);
		st->op = op;
		st->wait = WAIT_TENANT;
		st->wait_since_ms = now_ms();
		return EXEC_WAIT;
	}
	send_tenant_reply(c, r);
	failed = r->sqlstate != NULL;
	free(r);
	return failed ? EXEC_FAILED : EXEC_DONE;
}

/* After SHUTDOWN's answer had its chance to go out. */
static void shutdown_cb(evutil_socket_t fd, short what, void *arg)
{
	UNUSED(fd);
	UNUSED(what);
	UNUSED(arg);
	daemon_shutdown(true, "SHUTDOWN from the admin console");
}

static enum exec_result do_shutdown(struct client *c)
{
	struct admin_session *st = c->admin_state;
	struct timeval tv = { 0, SHUTDOWN_DELAY_MS * 1000 };

	log_info("C-%llu %s: SHUTDOWN requested", (unsigned long long)c->id, c->user);
	rs_done(c, "SHUTDOWN");
	/*
	 * Not bound to this session (the client may leave at once): a
	 * one-shot timer lets the answer be written before the listeners
	 * close and idle clients are told the server is going away.
	 */
	if (event_base_once(rt.base, -1, EV_TIMEOUT, shutdown_cb, NULL, &tv) < 0)
		daemon_shutdown(true, "SHUTDOWN from the admin console");
	st->shutdown_sent = true;
	return EXEC_DONE;
}

static enum exec_result execute(struct client *c, const struct admin_command *cmd)
{
	switch (cmd->cmd) {
	case ADMIN_EMPTY:
		return EXEC_DONE;
	case ADMIN_SHOW_HELP: show_help(c); return EXEC_DONE;
	case ADMIN_SHOW_CLUSTERS: show_clusters(c); return EXEC_DONE;
	case ADMIN_SHOW_NODES: show_nodes(c); return EXEC_DONE;
	case ADMIN_SHOW_POOLS: show_pools(c); return EXEC_DONE;
	case ADMIN_SHOW_CLIENTS: show_clients(c); return EXEC_DONE;
	case ADMIN_SHOW_SERVERS: show_servers(c); return EXEC_DONE;
	case ADMIN_SHOW_STATS: show_stats(c); return EXEC_DONE;
	case ADMIN_SHOW_CONFIG: show_config(c); return EXEC_DONE;
	case ADMIN_SHOW_TENANTS: show_tenants(c); return EXEC_DONE;
	case ADMIN_SHOW_VERSION: show_version(c); return EXEC_DONE;
	case ADMIN_EXPLAIN_ROUTE: return explain_route(c, cmd);
	case ADMIN_RELOAD: return do_reload(c);
	case ADMIN_PAUSE: return do_pause(c, cmd);
	case ADMIN_RESUME: return do_resume(c, cmd);
	case ADMIN_SHUTDOWN: return do_shutdown(c);
	case ADMIN_SET_NODE_AVAILABILITY: return do_set_node(c, cmd, false);
	case ADMIN_DRAIN_NODE: return do_set_node(c, cmd, true);
	case ADMIN_TENANT_CREATE:
	case ADMIN_TENANT_LOCATE:
	case ADMIN_TENANT_MOVE:
	case ADMIN_TENANT_DROP:
	case ADMIN_TENANT_MOVE_CANCEL:
	case ADMIN_TENANT_CLEANUP:
		return do_tenant(c, cmd);
	case ADMIN_SHOW_MOVES: show_moves(c); return EXEC_DONE;
	}
	return EXEC_DONE;
}
