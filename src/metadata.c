/*
 * Metadata connection and schema migrations.  Owns the one libpq
 * connection to the primary of [tenancy] metadata_cluster, the schema
 * "pgsteer" and its upgrade steps, LISTEN pgsteer_placement, and a FIFO of
 * queries run one at a time.  It knows nothing about what the tables
 * mean: tenant.c owns that.  It must never block the event loop: libpq is
 * driven with PQconnectStart/PQconnectPoll, PQsendQuery* and
 * PQconsumeInput on socket events, the way monitor.c does.
 *
 * Design.  The schema is versioned by an ordered list of SQL steps kept
 * here, in the source: step N brings the schema from version N-1 to N and
 * records itself in pgsteer.schema_version.  Opening runs, on every
 * connect, in one transaction under pg_advisory_xact_lock so that two
 * instances starting together cannot both migrate: the second waits for
 * the lock and then finds the schema current.  A schema newer than this
 * build is refused before anything is written; a step that fails rolls
 * the whole transaction back.  At startup either refusal is fatal
 * (daemon_main exits non-zero); after the first successful open it is
 * logged and retried, so a running instance keeps its cached placement.
 *
 * The connection follows the primary: a timer compares the node it is on
 * with the monitor's primary and reconnects when they differ.  After any
 * reconnect the owner reloads everything (hooks.on_ready), so changes
 * announced while the connection was down are not missed.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "log.h"
#include "metadata.h"
#include "monitor.h"
#include "pgsteer.h"
#include "pqwatch.h"
#include "world.h"

#define TICK_MS 100
#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 2000
#define QUERY_TIMEOUT_MS 15000	/* on top of server_connect_timeout */
#define LOCK_KEY_SQL "hashtext('pgsteer.metadata')"

/* ---------------- The schema, oldest step first ---------------- */

static const struct metadata_step steps[] = {
	{ 1, "initial schema: tenants, nodes, placement_log, schema_version",
	  "CREATE SCHEMA pgsteer;"
	  "CREATE TABLE pgsteer.schema_version ("
	  " version int PRIMARY KEY,"
	  " description text NOT NULL,"
	  " applied_at timestamptz NOT NULL DEFAULT now());"
	  "CREATE TABLE pgsteer.tenants ("
	  " tenant_id text PRIMARY KEY,"
	  " cluster text NOT NULL,"
	  " generation bigint NOT NULL DEFAULT 1,"
	  " state text NOT NULL DEFAULT 'active',"
	  " created_at timestamptz NOT NULL DEFAULT now(),"
	  " updated_at timestamptz NOT NULL DEFAULT now());"
	  "CREATE TABLE pgsteer.nodes ("
	  " node text PRIMARY KEY,"
	  " cluster text NOT NULL,"
	  " availability text NOT NULL DEFAULT 'active',"
	  " scheduling text NOT NULL DEFAULT 'active',"
	  " updated_at timestamptz NOT NULL DEFAULT now());"
	  "CREATE TABLE pgsteer.placement_log ("
	  " id bigserial PRIMARY KEY,"
	  " at timestamptz NOT NULL DEFAULT now(),"
	  " tenant_id text,"
	  " action text NOT NULL,"
	  " from_cluster text,"
	  " to_cluster text,"
	  " generation bigint)" },
	{ 2, "state constraints; placement_log records instance, node and reason",
	  "ALTER TABLE pgsteer.tenants"
	  " ADD CONSTRAINT tenants_state_check CHECK (state IN ('active', 'moving')),"
	  " ADD CONSTRAINT tenants_generation_check CHECK (generation > 0);"
	  "ALTER TABLE pgsteer.nodes"
	  " ADD CONSTRAINT nodes_availability_check CHECK (availability IN ('active', 'offline')),"
	  " ADD CONSTRAINT nodes_scheduling_check CHECK (scheduling IN ('active', 'draining', 'pause'));"
	  "ALTER TABLE pgsteer.placement_log"
	  " ADD COLUMN instance text, ADD COLUMN node text, ADD COLUMN reason text;"
	  "CREATE INDEX placement_log_tenant ON pgsteer.placement_log (tenant_id, at)" },
	{ 3, "tenant moves record their destination",
	  "ALTER TABLE pgsteer.tenants ADD COLUMN moving_to text,"
	  " ADD CONSTRAINT tenants_moving_check CHECK ((state = 'moving') = (moving_to IS NOT NULL))" },
	{ 4, "tenants record where their data lives and the copy a data move left behind",
	  "ALTER TABLE pgsteer.tenants ADD COLUMN data_kind text, ADD COLUMN data_name text,"
	  " ADD COLUMN data_left_on text,"
	  " ADD CONSTRAINT tenants_data_check CHECK ((data_kind IS NULL AND data_name IS NULL)"
	  " OR (data_kind IN ('schema', 'database') AND data_name IS NOT NULL))" },
};

/* ---------------- State ---------------- */

enum md_state {
	MD_OFF,			/* tenancy off or stopped */
	MD_IDLE,		/* no connection: waiting for a primary or the retry time */
	MD_CONNECTING,		/* PQconnectPoll in progress */
	MD_OPENING,		/* opening/migrating the schema, then LISTEN */
	MD_READY,		/* idle, queries may be sent */
	MD_BUSY,		/* one queued query in flight */
};

/* Where the opening transaction is. */
enum open_step {
	OPEN_LOCK,		/* BEGIN; advisory lock; does schema_version exist? */
	OPEN_VERSION,		/* SELECT max(version) */
	OPEN_UPGRADE,		/* running step open_next */
	OPEN_COMMIT,
	OPEN_ROLLBACK,		/* after a refusal or a failed step */
	OPEN_LISTEN,
};

struct metadata_req {
	struct list head;
	char *sql;
	int nparams;
	char **params;
	metadata_result_cb cb;	/* NULL once cancelled */
	void *arg;
};

struct metadata {
	enum md_state state;
	struct event_base *base;
	struct monitor *mon;
	struct metadata_hooks hooks;
	void *hooks_arg;
	PGconn *conn;
	struct pq_watch io;
	struct event *tick;
	int node;			/* config node index of the connection */
	char node_name[64];
	int64_t state_since_ms;
	int64_t retry_at_ms;
	int64_t retry_ms;

	/* settings from the config */
	char cluster[64];
	char *dbname, *user, *password;
	char instance[64];
	int64_t connect_timeout_ms;
	const struct config *cfg;

	/* opening */
	enum open_step open;
	int found_version;
	int open_next, open_last;
	bool open_fatal;		/* the current ROLLBACK ends in a refusal */
	bool ever_ready;
	bool failed;
	char error[640];

	/* the answer being collected */
	PGresult *result;		/* last good result */
	PGresult *err_result;		/* first error result */

	struct list queue;		/* metadata_req, FIFO; the head is in flight when BUSY */
};

static struct metadata md = { .state = MD_OFF, .node = -1 };

static void tick_cb(evutil_socket_t fd, short what, void *arg);
static void io_cb(evutil_socket_t fd, short what, void *arg);
static void md_connect(int node);
static void md_lost(const char *why);
static void md_send_open(const char *sql);
static void md_on_answer(void);
static void md_pump(void);
static void req_free(struct metadata_req *r);
static void set_settings(const struct config *cfg);

/* ---------------- Public functions ---------------- */

const struct metadata_step *metadata_steps(int *n)
{
	*n = (int)ARRAY_SIZE(steps);
	return steps;
}

int metadata_current_version(void)
{
	return steps[ARRAY_SIZE(steps) - 1].version;
}

int metadata_plan(int found, int *first, int *last, char *err, size_t errlen)
{
	int current = metadata_current_version();

	if (found < 0 || found > current) {
		snprintf(err, errlen, "incompatible metadata schema version %d (this build supports %d)",
			 found, current);
		return -1;
	}
	*first = found + 1;
	*last = current;
	return 0;
}

int metadata_start(struct event_base *base, const struct config *cfg, struct monitor *mon,
		   const struct metadata_hooks *hooks, void *arg)
{
	struct timeval tv = { 0, TICK_MS * 1000 };

	memset(&md, 0, sizeof(md));
	md.node = -1;
	md.io.fd = -1;
	md.base = base;
	md.mon = mon;
	md.hooks = *hooks;
	md.hooks_arg = arg;
	list_init(&md.queue);
	set_settings(cfg);
	md.tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	if (!md.tick || !md.dbname || !md.user)
		return -1;
	event_add(md.tick, &tv);
	md.state = MD_IDLE;
	md.retry_ms = RETRY_MIN_MS;
	log_info("metadata: instance %s, schema version %d on the primary of cluster %s, database %s",
		 md.instance, metadata_current_version(), md.cluster, md.dbname);
	tick_cb(-1, 0, NULL);
	return 0;
}

void metadata_reconfigure(const struct config *cfg)
{
	char before[512], after[512];
	int node = -1;
	bool changed;

	if (md.state == MD_OFF)
		return;
	snprintf(before, sizeof(before), "%s|%s|%s|%s|%s", md.cluster, md.dbname, md.user,
		 md.password ? md.password : "", md.instance);
	set_settings(cfg);
	snprintf(after, sizeof(after), "%s|%s|%s|%s|%s", md.cluster, md.dbname, md.user,
		 md.password ? md.password : "", md.instance);
	for (int i = 0; i < cfg->n_nodes && node < 0; i++)
		if (strcmp(cfg->nodes[i].name, md.node_name) == 0)
			node = i;
	changed = strcmp(before, after) != 0;
	explicit_bzero(before, sizeof(before));
	explicit_bzero(after, sizeof(after));
	if (!md.conn)
		return;
	if (changed || node < 0) {
		md_lost("the [tenancy] settings or the node changed on reload");
		return;
	}
	md.node = node;		/* the same node, perhaps at another index */
}

void metadata_stop(void)
{
	if (md.state == MD_OFF && !md.tick)
		return;
	md.state = MD_OFF;
	md_lost("pgsteer is stopping");
	if (md.tick)
		event_free(md.tick);
	md.tick = NULL;
	free(md.dbname);
	free(md.user);
	if (md.password)
		explicit_bzero(md.password, strlen(md.password));
	free(md.password);
	md.dbname = md.user = md.password = NULL;
}

bool metadata_ready(void)
{
	return md.state == MD_READY || md.state == MD_BUSY;
}

bool metadata_failed(void)
{
	return md.failed;
}

const char *metadata_error(void)
{
	return md.error;
}

const char *metadata_instance(void)
{
	return md.instance;
}

int metadata_node(void)
{
	return md.conn ? md.node : -1;
}

struct metadata_req *metadata_query(const char *sql, int nparams, const char *const *params,
				    metadata_result_cb cb, void *arg)
{
	struct metadata_req *r;

	if (!metadata_ready())
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->sql = strdup(sql);
	r->params = calloc((size_t)nparams + 1, sizeof(char *));
	r->nparams = nparams;
	r->cb = cb;
	r->arg = arg;
	if (!r->sql || !r->params) {
		req_free(r);
		return NULL;
	}
	for (int i = 0; i < nparams; i++) {
		if (params[i] && !(r->params[i] = strdup(params[i]))) {
			req_free(r);
			return NULL;
		}
	}
	list_push_tail(&md.queue, &r->head);
	md_pump();
	return r;
}

void metadata_cancel(struct metadata_req *req)
{
	if (req)
		req->cb = NULL;
}

/* ---------------- Internal functions ---------------- */

static void req_free(struct metadata_req *r)
{
	if (r->params)
		for (int i = 0; i < r->nparams; i++)
			free(r->params[i]);
	free(r->params);
	free(r->sql);
	free(r);
}

static void set_state(enum md_state s)
{
	md.state = s;
	md.state_since_ms = now_ms();
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Where and as whom to connect, from [tenancy] and the metadata cluster. */
static void set_settings(const struct config *cfg)
{
	int ci = config_cluster_index(cfg, cfg->metadata_cluster[0] ? cfg->metadata_cluster : md.cluster);
	const struct config_cluster *cl = ci >= 0 ? &cfg->clusters[ci] : NULL;
	const char *db = cfg->metadata_database[0] ? cfg->metadata_database :
			 cl && cl->server_database ? cl->server_database : "postgres";
	char host[64];

	md.cfg = cfg;
	if (cfg->metadata_cluster[0])	/* emptied by a reload: tenancy stays on until a restart */
		snprintf(md.cluster, sizeof(md.cluster), "%s", cfg->metadata_cluster);
	free(md.dbname);
	free(md.user);
	free(md.password);
	md.dbname = strdup(db);
	md.user = strdup(cl && cl->server_user ? cl->server_user : "postgres");
	md.password = dup_or_null(cl ? cl->server_password : NULL);
	md.connect_timeout_ms = cfg->server_connect_timeout_ms;
	if (cfg->instance_name[0]) {
		snprintf(md.instance, sizeof(md.instance), "%.46s", cfg->instance_name);
	} else {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "pgsteer");
		host[sizeof(host) - 1] = '\0';
		snprintf(md.instance, sizeof(md.instance), "%.38s:%d", host, cfg->listen_port);
	}
}

static void schedule_retry(void)
{
	md.retry_at_ms = now_ms() + md.retry_ms;
	md.retry_ms = md.retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : md.retry_ms * 2;
}

/* The metadata cluster's primary, if the monitor knows a writable one. */
static int current_primary(void)
{
	const struct cluster_snapshot *snap = monitor_snapshot_get(md.mon);
	int ci = config_cluster_index(md.cfg, md.cluster);
	int node = -1;

	if (ci >= 0 && ci < snap->n_clusters && monitor_primary_writable(snap, ci))
		node = snap->primary[ci];
	monitor_snapshot_put(snap);
	return node;
}

/* Every TICK_MS: connect when there is a primary, follow it when it moves, time out connects. */
static void tick_cb_stopped(evutil_socket_t fd, short what, void *arg)
{
	int primary;

	UNUSED(fd);
	UNUSED(what);
	UNUSED(arg);
	if (md.state == MD_OFF || !md.mon)
		return;
	primary = current_primary();
	switch (md.state) {
	case MD_IDLE:
		if (primary >= 0 && now_ms() >= md.retry_at_ms)
			md_connect(primary);
		return;
	case MD_CONNECTING:
		if (now_ms() - md.state_since_ms > md.connect_timeout_ms) {
			md_lost("timeout connecting");
			return;
		}
		break;
	case MD_BUSY:
		/* a query that hangs would stall every later one: reconnect (and reload) */
		if (now_ms() - md.state_since_ms > md.connect_timeout_ms + QUERY_TIMEOUT_MS) {
			md_lost("no answer to a metadata query: reconnecting");
			return;
		}
		break;
	default:
		break;
	}
	if (primary >= 0 && primary != md.node) {
		char why[256];
		snprintf(why, sizeof(why), "the primary of cluster %s moved from %s to %s",
			 md.cluster, md.node_name, md.cfg->nodes[primary].name);
		md_lost(why);
		md.retry_at_ms = 0;	/* follow it at once */
		md_connect(primary);
	}
}

WORLD_STOPPED_CB(tick_cb)

/* Watch the connection's socket for WHAT. */
static bool want_io(short what)
{
	return pq_watch_set(&md.io, md.base, md.conn, what, md.state == MD_CONNECTING, io_cb, NULL);
}

/* "ERROR:  message\n" -> "message" on one line. */
static void clean_message(const char *in, char *out, size_t len)
{
	size_t n = 0;

	if (strncmp(in, "ERROR:  ", 8) == 0)
		in += 8;
	else if (strncmp(in, "FATAL:  ", 8) == 0)
		in += 8;
	for (; *in && n + 1 < len; in++)
		out[n++] = (*in == '\n' || *in == '\r') ? ' ' : *in;
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static void notice_cb(void *arg, const char *message)
{
	char msg[256];

	UNUSED(arg);
	clean_message(message, msg, sizeof(msg));
	log_debug("metadata (node %s): server says: %s", md.node_name, msg);
}

static void md_connect(int node)
{
	const struct config_node *cn = &md.cfg->nodes[node];
	const char *keys[12], *vals[12];
	char port[16], app[128], numeric[16];
	int k = 0;

	snprintf(port, sizeof(port), "%d", cn->port);
	snprintf(app, sizeof(app), "%s%s", METADATA_APP_PREFIX, md.instance);
	keys[k] = "host", vals[k++] = cn->host;
	if (inet_pton(AF_INET, cn->host, numeric) == 1 || inet_pton(AF_INET6, cn->host, numeric) == 1)
		keys[k] = "hostaddr", vals[k++] = cn->host;	/* no DNS lookup in PQconnectStart */
	keys[k] = "port", vals[k++] = port;
	keys[k] = "dbname", vals[k++] = md.dbname;
	keys[k] = "user", vals[k++] = md.user;
	if (md.password)
		keys[k] = "password", vals[k++] = md.password;
	keys[k] = "application_name", vals[k++] = app;
	keys[k] = "sslmode", vals[k++] = config_tls_mode_name(md.cfg->server_tls_sslmode);
	if (md.cfg->server_tls_sslmode >= TLS_VERIFY_CA)
		keys[k] = "sslrootcert", vals[k++] = md.cfg->server_tls_ca_file;
	keys[k] = "gssencmode", vals[k++] = "disable";
	keys[k] = NULL, vals[k] = NULL;

	md.node = node;
	snprintf(md.node_name, sizeof(md.node_name), "%s", cn->name);
	md.conn = PQconnectStartParams(keys, vals, 0);
	set_state(MD_CONNECTING);
	if (!md.conn || PQstatus(md.conn) == CONNECTION_BAD) {
		md_lost(md.conn ? PQerrorMessage(md.conn) : "out of memory");
		return;
	}
	PQsetNoticeProcessor(md.conn, notice_cb, NULL);
	log_debug("metadata: connecting to node %s (%s:%d) database %s", cn->name, cn->host,
		  cn->port, md.dbname);
	if (!want_io(EV_WRITE))
		md_lost(PQerrorMessage(md.conn));
}

/* Drop the connection; fail what was asked; try again later. */
static void md_lost(const char *why)
{
	struct list *it, *tmp;
	bool was_ready = metadata_ready();
	char msg[300];

	pq_watch_clear(&md.io);
	if (md.result)
		PQclear(md.result);
	if (md.err_result)
		PQclear(md.err_result);
	md.result = md.err_result = NULL;
	if (md.conn) {
		clean_message(why, msg, sizeof(msg));
		if (md.state == MD_OFF)
			log_info("metadata: connection to node %s closed: %s", md.node_name, msg);
		else if (md.state == MD_CONNECTING || md.state == MD_OPENING)
			log_warning("metadata: node %s (cluster %s): %s", md.node_name, md.cluster, msg);
		else
			log_warning("metadata: connection to node %s (cluster %s) lost: %s; "
				    "placement stays cached until it is back", md.node_name, md.cluster, msg);
		PQfinish(md.conn);
		md.conn = NULL;
	}
	if (md.state != MD_OFF)
		set_state(MD_IDLE);
	schedule_retry();
	list_for_each_safe(it, tmp, &md.queue) {
		struct metadata_req *r = container_of(it, struct metadata_req, head);
		list_del(&r->head);
		if (r->cb)
			r->cb(r->arg, NULL, "08006", "metadata connection lost");
		req_free(r);
	}
	if (was_ready && md.hooks.on_lost)
		md.hooks.on_lost(md.hooks_arg);
}

/* Flush what libpq has queued; watch for the answer. */
static void md_flush_and_wait(void)
{
	int r = PQflush(md.conn);

	if (r < 0 || !want_io(r > 0 ? (EV_READ | EV_WRITE) : EV_READ))
		md_lost(PQerrorMessage(md.conn));
}

static void md_send_open(const char *sql)
{
	if (!PQsendQuery(md.conn, sql)) {
		md_lost(PQerrorMessage(md.conn));
		return;
	}
	md_flush_and_wait();
}

/* Send the next queued query if the connection is free. */
static void md_pump(void)
{
	struct list *first;
	struct metadata_req *r;

	while (md.state == MD_READY && (first = list_first(&md.queue)) != NULL) {
		r = container_of(first, struct metadata_req, head);
		if (!r->cb) {		/* cancelled before it was sent */
			list_del(&r->head);
			req_free(r);
			continue;
		}
		if (!PQsendQueryParams(md.conn, r->sql, r->nparams, NULL,
				       (const char *const *)r->params, NULL, NULL, 0)) {
			md_lost(PQerrorMessage(md.conn));
			return;
		}
		set_state(MD_BUSY);
		md_flush_and_wait();
	}
}

static void connect_poll(void)
{
	switch (PQconnectPoll(md.conn)) {
	case PGRES_POLLING_READING:
		if (!want_io(EV_READ))
			md_lost(PQerrorMessage(md.conn));
		return;
	case PGRES_POLLING_WRITING:
		if (!want_io(EV_WRITE))
			md_lost(PQerrorMessage(md.conn));
		return;
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(md.conn, 1) != 0) {
			md_lost(PQerrorMessage(md.conn));
			return;
		}
		log_debug("metadata: connected to node %s, opening schema pgsteer", md.node_name);
		set_state(MD_OPENING);
		md.open = OPEN_LOCK;
		md.open_fatal = false;
		md_send_open("BEGIN; SELECT pg_advisory_xact_lock(" LOCK_KEY_SQL ");"
			     " SELECT to_regclass('pgsteer.schema_version') IS NOT NULL");
		return;
	case PGRES_POLLING_FAILED:
	default:
		md_lost(PQerrorMessage(md.conn));
		return;
	}
}

/* Hand every NOTIFY that arrived to the owner. */
static void deliver_notifies(void)
{
	PGnotify *n;

	while (md.conn && (n = PQnotifies(md.conn)) != NULL) {
		if (strcmp(n->relname, METADATA_CHANNEL) == 0 && md.hooks.on_notify)
			md.hooks.on_notify(md.hooks_arg, n->extra);
		PQfreemem(n);
	}
}

/* Read what arrived; once an answer is complete, act on it.  Never waits. */
static void on_readable(void)
{
	PGresult *res;

	if (!PQconsumeInput(md.conn)) {
		md_lost(PQerrorMessage(md.conn));
		return;
	}
	if (md.state == MD_READY) {
		deliver_notifies();
		if (md.conn && PQstatus(md.conn) == CONNECTION_BAD)
			md_lost(PQerrorMessage(md.conn));
		return;
	}
	while (md.conn && !PQisBusy(md.conn)) {
		res = PQgetResult(md.conn);
		if (!res) {
			md_on_answer();
			break;
		}
		if (PQresultStatus(res) == PGRES_FATAL_ERROR && !md.err_result) {
			md.err_result = res;
		} else {
			if (md.result)
				PQclear(md.result);
			md.result = res;
		}
	}
	deliver_notifies();
}

static void io_cb_stopped(evutil_socket_t fd, short what, void *arg)
{
	UNUSED(fd);
	UNUSED(arg);
	switch (md.state) {
	case MD_CONNECTING:
		connect_poll();
		return;
	case MD_OPENING:
	case MD_BUSY:
	case MD_READY:
		if (what & EV_WRITE) {
			int r = PQflush(md.conn);
			if (r < 0 || (r == 0 && !want_io(EV_READ))) {
				md_lost(PQerrorMessage(md.conn));
				return;
			}
		}
		if (what & EV_READ)
			on_readable();
		return;
	case MD_IDLE:
	case MD_OFF:
		return;
	}
}

WORLD_STOPPED_CB(io_cb)

/* An error result's SQLSTATE and one-line message. */
static void result_error(const PGresult *res, const char **sqlstate, char *msg, size_t len)
{
	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	*sqlstate = st ? st : "XX000";
	clean_message(primary ? primary : PQresultErrorMessage(res), msg, len);
}

/* Refuse to open the schema: roll back; fatal at startup. */
static void open_refuse(const char *why)
{
	snprintf(md.error, sizeof(md.error), "%s", why);
	md.open_fatal = true;
	md.open = OPEN_ROLLBACK;
	md_send_open("ROLLBACK");
}

/* Run upgrade step md.open_next, recording it in schema_version. */
static void open_run_step(void)
{
	const struct metadata_step *s = &steps[md.open_next - 1];
	size_t len = strlen(s->sql) + strlen(s->description) + 160;
	char *sql = malloc(len);

	if (!sql) {
		md_lost("out of memory");
		return;
	}
	snprintf(sql, len, "%s; INSERT INTO pgsteer.schema_version (version, description) VALUES (%d, '%s')",
		 s->sql, s->version, s->description);
	md.open = OPEN_UPGRADE;
	md_send_open(sql);
	free(sql);
}

/* The opening transaction's next move after an answer (RES good, or ERR). */
static void open_step_done(const PGresult *res, const PGresult *err)
{
	char msg[400], why[600];
	const char *sqlstate;

	if (err && md.open != OPEN_ROLLBACK) {
		result_error(err, &sqlstate, msg, sizeof(msg));
		if (md.open == OPEN_UPGRADE) {
			const struct metadata_step *s = &steps[md.open_next - 1];
			snprintf(why, sizeof(why), "metadata schema upgrade step %d (%s) failed: %s "
				 "(SQLSTATE %s); rolled back, the schema stays at version %d",
				 s->version, s->description, msg, sqlstate, md.found_version);
			open_refuse(why);
			return;
		}
		snprintf(why, sizeof(why), "opening the metadata schema failed: %s (SQLSTATE %s)",
			 msg, sqlstate);
		if (md.open == OPEN_LOCK || md.open == OPEN_COMMIT || md.open == OPEN_LISTEN) {
			md_lost(why);	/* transient (e.g. the node went read-only): retry */
			return;
		}
		open_refuse(why);
		return;
	}
	switch (md.open) {
	case OPEN_LOCK:
		if (res && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
			md.open = OPEN_VERSION;
			md_send_open("SELECT coalesce(max(version), 0) FROM pgsteer.schema_version");
			return;
		}
		md.found_version = 0;
		goto plan;
	case OPEN_VERSION:
		md.found_version = res && PQntuples(res) == 1 ? atoi(PQgetvalue(res, 0, 0)) : -1;
		goto plan;
	case OPEN_UPGRADE:
		log_info("metadata: schema step %d applied (%s)", md.open_next,
			 steps[md.open_next - 1].description);
		if (md.open_next < md.open_last) {
			md.open_next++;
			open_run_step();
			return;
		}
		md.open = OPEN_COMMIT;
		md_send_open("COMMIT");
		return;
	case OPEN_COMMIT:
		if (md.found_version == metadata_current_version())
			log_info("metadata: schema pgsteer at version %d, nothing to upgrade", md.found_version);
		else if (md.found_version == 0)
			log_info("metadata: schema pgsteer created at version %d", metadata_current_version());
		else
			log_info("metadata: schema pgsteer upgraded from version %d to %d",
				 md.found_version, metadata_current_version());
		md.open = OPEN_LISTEN;
		md_send_open("LISTEN " METADATA_CHANNEL);
		return;
	case OPEN_LISTEN:
		set_state(MD_READY);
		md.retry_ms = RETRY_MIN_MS;
		md.ever_ready = true;
		md.error[0] = '\0';
		log_info("metadata: ready on node %s (cluster %s), listening on %s", md.node_name,
			 md.cluster, METADATA_CHANNEL);
		if (md.hooks.on_ready)
			md.hooks.on_ready(md.hooks_arg);
		md_pump();
		return;
	case OPEN_ROLLBACK:
		log_error("metadata: %s", md.error);
		if (!md.ever_ready)
			md.failed = true;	/* daemon_main refuses to start */
		md_lost("schema refused");
		md.retry_ms = RETRY_MAX_MS;
		return;
	}
	return;
plan: {
		int first, last;
		if (metadata_plan(md.found_version, &first, &last, msg, sizeof(msg)) < 0) {
			snprintf(why, sizeof(why), "%s; nothing was changed", msg);
			open_refuse(why);
			return;
		}
		if (first > last) {
			md.open = OPEN_COMMIT;
			md_send_open("COMMIT");
			return;
		}
		log_info("metadata: schema pgsteer at version %d: applying steps %d to %d",
			 md.found_version, first, last);
		md.open_next = first;
		md.open_last = last;
		open_run_step();
	}
}

/* The answer to what was sent is complete. */
static void md_on_answer(void)
{
	PGresult *res = md.result, *err = md.err_result;

	md.result = md.err_result = NULL;
	if (md.state == MD_OPENING) {
		open_step_done(res, err);
	} else if (md.state == MD_BUSY) {
		struct list *first = list_first(&md.queue);
		struct metadata_req *r = container_of(first, struct metadata_req, head);
		char msg[400];
		const char *sqlstate = NULL;

		list_del(&r->head);
		set_state(MD_READY);
		if (err)
			result_error(err, &sqlstate, msg, sizeof(msg));
		if (r->cb)
			r->cb(r->arg, err ? NULL : res, sqlstate, err ? msg : NULL);
		req_free(r);
		md_pump();
	}
	if (res)
		PQclear(res);
	if (err)
		PQclear(err);
}
