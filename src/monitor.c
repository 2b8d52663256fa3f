/*
 * Monitor: owns one libpq control connection per configured node and the
 * published struct cluster_snapshot.  It must never block the event loop:
 * only the asynchronous libpq API is used (PQconnectStartParams/
 * PQconnectPoll, PQsendQuery, PQconsumeInput/PQisBusy/PQgetResult), every
 * wait is a libevent event, and every timeout is a libevent timer (libpq's
 * own connect_timeout only works for blocking calls).  It does not route:
 * route.c reads the snapshots this file publishes.
 *
 * Per node, a small state machine (enum mnode_state) moves between IDLE (no
 * connection, a timer for the next attempt), CONNECTING, READY (connected,
 * a timer for the next check) and BUSY (one query in flight, a deadline
 * armed).  Every check_interval one round trip, CHECK_SQL, returns
 * pg_is_in_recovery(), the WAL position (primary: pg_current_wal_lsn();
 * replica: pg_last_wal_replay_lsn()), the replica's receive position and
 * the age of its last replayed transaction.
 *
 * Up/down.  A node is up after a good check.  A failed check (query error,
 * timeout, connection lost) counts towards health_check_failures; a
 * connection attempt that the node answers with a refusal (ECONNREFUSED,
 * reset, "the database system is starting up", a FATAL at login) marks it
 * down at once (DESIGN rule 7).  A connection lost mid-session is retried
 * immediately, so a stopped server is seen refused, hence down, within a
 * few milliseconds.  Failed connection attempts back off 1, 2, then 4
 * check intervals.  A timed-out query drops the connection (cancelling
 * would need the blocking PQcancel on PostgreSQL 15).
 *
 * Roles (monitor_decide_roles(), pure).  The known primary stays primary
 * while it is up and not in recovery.  With no primary known, the first
 * node seen not in recovery becomes primary at once.  When the known
 * primary is down or reports in recovery, a single other node that reports
 * not-in-recovery for MONITOR_FAILOVER_CHECKS consecutive checks (counted
 * only while the primary is not healthy, so a blip does not hand over)
 * takes over.  Two or more up nodes not in recovery are a split brain: the
 * last known primary keeps the writes, nothing is promoted, and a warning
 * is logged at most once a second until it clears.  The snapshot keeps the
 * last known primary while it is down (monitor_primary_writable() says
 * whether writes can go there) so writes never drift to a replica.
 *
 * Lag (monitor_compute_lag(), pure).  lag_bytes = the primary's last
 * pg_current_wal_lsn() - the replica's replay LSN, 0 when ahead.  lag_s is
 * 0 when the replica has replayed everything it received and everything
 * the primary had at its last check.  Otherwise it is the smaller of two
 * upper bounds: the age of the last replayed transaction (commit timestamp
 * from the primary's clock vs the replica's clock), and the time since the
 * primary check whose LSN this replica was last seen to have reached.  The
 * second bound fixes the classic false alarm of an idle primary: a
 * checkpoint record makes the replica "behind" for a moment while its last
 * replayed transaction is hours old.  Limits: samples are up to one
 * check_interval old, so on a busy primary lag_bytes shows about one
 * interval of WAL even for a perfect replica; clock skew between hosts
 * skews the transaction age (clamped at 0); a replica that is behind and
 * has neither bound (no transaction replayed since it started and never
 * seen caught up) has lag_known = false; lag against a primary that is
 * down uses its last known LSN.  LSNs of different timelines do not
 * compare: the check also reads the primary's timeline (from
 * pg_walfile_name()) and the replica's pg_stat_wal_receiver.received_tli
 * (NULL unless the monitor user is superuser or has pg_read_all_stats);
 * a replica on another timeline, or after a failover one whose timeline is
 * not known yet, has lag_known = false until it receives the primary's
 * timeline.
 *
 * Not blocking, with one exception: a node's host given as a name (not an
 * address) is resolved by libpq inside PQconnectStartParams() with
 * getaddrinfo(); numeric addresses are passed as hostaddr and never
 * resolved.  The connection is as user postgres (or the cluster's
 * server_user) to database postgres (or server_database), password the
 * cluster's server_password if set, TLS as server_tls_*,
 * application_name pgsteer-monitor.
 *
 * A new immutable snapshot (one allocation, refcounted) is published
 * whenever anything a reader cares about changes: up, recovery state,
 * role, availability, LSN, lag, failures, split brain.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "clock.h"
#include "common.h"
#include "log.h"
#include "monitor.h"
#include "pqwatch.h"
#include "world.h"

#define CHECK_SQL \
	"SELECT pg_is_in_recovery(), " \
	"CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() " \
	"ELSE pg_current_wal_lsn() END, " \
	"CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() END, " \
	"CASE WHEN pg_is_in_recovery() THEN EXTRACT(EPOCH FROM clock_timestamp() - " \
	"pg_last_xact_replay_timestamp())::float8 END, " \
	"CASE WHEN pg_is_in_recovery() THEN (SELECT received_tli FROM pg_stat_wal_receiver) " \
	"ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END"
#define CHECK_COLUMNS 5

/* User functions' volatility, and the unlogged tables (provolatile 'u': their rows are the primary's) */
#define CATALOG_SQL \
	"SELECT n.nspname, p.proname, p.provolatile FROM pg_proc p " \
	"JOIN pg_namespace n ON n.oid = p.pronamespace " \
	"WHERE n.nspname NOT IN ('pg_catalog','information_schema') " \
	"UNION ALL SELECT n.nspname, c.relname, 'u'::\"char\" FROM pg_class c " \
	"JOIN pg_namespace n ON n.oid = c.relnamespace " \
	"WHERE c.relpersistence = 'u' AND c.relkind IN ('r', 'p', 'm')"

/* A catalog read may legitimately take longer than a health check. */
#define CATALOG_TIMEOUT_MIN_MS 30000
/* Split-brain alarm at most this often. */
#define SPLIT_BRAIN_ALARM_MS 1000
/* Reconnect backoff cap, in check intervals. */
#define BACKOFF_MAX_INTERVALS 4

enum mnode_state {
	MS_IDLE,	/* no connection; timer armed for the next attempt */
	MS_CONNECTING,	/* PQconnectPoll in progress; io + deadline armed */
	MS_READY,	/* connected, nothing in flight; timer armed for the next check */
	MS_BUSY,	/* one query in flight; io + deadline armed */
};

enum mquery {
	MQ_CHECK,
	MQ_CATALOG,
};

enum mfail {
	FAIL_REFUSED,	/* a connection attempt refused or cut off by the node */
	FAIL_TIMEOUT,	/* connect or query took longer than health_check_timeout */
	FAIL_QUERY,	/* the check query failed on a live connection */
	FAIL_LOST,	/* an established connection broke */
};

enum mhealth {
	H_UNKNOWN,	/* never decided */
	H_UP,
	H_DOWN,
};

struct monitor;

struct mnode {
	struct monitor *m;
	int index;			/* in m->nodes (= config order) */
	int was_index;			/* index before a reconfigure */
	char *name;
	char *host;
	int port;
	char *cluster_name;
	int cluster_index;
	int weight;
	char *user, *dbname, *password;	/* password may be NULL */
	const char *sslmode;		/* static string */
	char *ssl_ca, *ssl_cert, *ssl_key;	/* NULL when unset */
	char *conn_key;			/* everything the connection depends on */
	enum node_availability availability;

	enum mnode_state state;
	PGconn *conn;
	struct pq_watch io;
	struct event *timer;		/* next connect attempt / next check */
	struct event *deadline;		/* connect/query timeout */
	struct event *stale_timer;	/* replicas: when the last good check stops vouching for the lag */
	bool stale;			/* no check answered in time: lag unknown, no new reads */
	enum mquery q_kind;
	PGresult *result;		/* of the query in flight, until its NULL arrives */
	int64_t op_start_ms;
	int connect_failures;		/* consecutive failed attempts: backoff */
	int64_t catalog_at_ms;		/* -1: not read on this connection */

	/* what the checks found */
	enum mhealth health;
	bool seen;			/* had a good check at least once */
	bool in_recovery;
	uint64_t wal_lsn;
	bool receive_known;
	uint64_t receive_lsn;
	bool xact_age_known;
	double xact_age_s;
	int consecutive_failures;
	bool unresponsive;		/* the last check got no answer in time (not a refusal) */
	int64_t last_check_ms;		/* of the last good check */
	int64_t good_check_start_ms;	/* when that check was sent */
	char last_error[160];
	uint32_t timeline;		/* 0 = unknown */
	int promote_streak;
	struct monitor_lag_state lag_state;
};

struct mcluster {
	char *name;
	int primary;			/* node index or -1 */
	bool split_brain;
	int64_t alarm_ms;		/* last split-brain log */
};

struct monitor {
	struct event_base *base;
	struct mnode **nodes;
	int n_nodes;
	struct mcluster *clusters;
	int n_clusters;

	int64_t check_interval_ms;
	int64_t timeout_ms;
	int64_t max_lag_ms;		/* [routing] max_lag: how long a lag measurement vouches */
	int64_t catalog_refresh_ms;
	int failures_before_down;

	struct cluster_snapshot *snap;	/* current, holds one reference */
	uint64_t generation;

	monitor_publish_cb publish_cb;
	void *publish_arg;
	monitor_catalog_cb catalog_cb;
	void *catalog_arg;
};

/* ---- internal declarations ---- */

static struct mnode *node_new(struct monitor *m, const struct config *cfg, int i);
static void node_free(struct mnode *n);
static void node_close(struct mnode *n);
static void node_schedule(struct mnode *n, int64_t delay_ms);
static void node_connect(struct mnode *n);
static void node_connect_poll(struct mnode *n);
static void node_send(struct mnode *n, enum mquery kind);
static void node_on_readable(struct mnode *n);
static void node_on_result(struct mnode *n, PGresult *res);
static void node_check_ok(struct mnode *n, const PGresult *res);
static void node_fail(struct mnode *n, enum mfail kind, const char *why);
static void node_after_check(struct mnode *n);
static bool node_want_io(struct mnode *n, short what);
static void node_arm_deadline(struct mnode *n, int64_t ms);
static void io_cb(evutil_socket_t fd, short what, void *arg);
static void timer_cb(evutil_socket_t fd, short what, void *arg);
static void deadline_cb(evutil_socket_t fd, short what, void *arg);
static void stale_cb(evutil_socket_t fd, short what, void *arg);
static void node_arm_stale(struct mnode *n);
static void decide_roles(struct monitor *m, struct mnode *n);
static void publish_if_changed(struct monitor *m, bool force);
static struct cluster_snapshot *snapshot_build(struct monitor *m);
static bool snapshot_same(const struct cluster_snapshot *a, const struct cluster_snapshot *b);
static void clean_error(const char *msg, char *out, size_t len);
static void set_clusters(struct monitor *m, const struct config *cfg);
static void set_params(struct monitor *m, const struct config *cfg);

/* Connection settings shared by all nodes (from [pgsteer] server_tls_*). */
struct conn_tls {
	const char *sslmode;
	char *ca, *cert, *key;
};
static struct conn_tls tls_of(const struct config *cfg);

/* =====================================================================
 * Public functions
 * ===================================================================== */

struct monitor *monitor_start(struct event_base *base, const struct config *cfg)
{
	struct monitor *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->base = base;
	set_params(m, cfg);
	set_clusters(m, cfg);
	m->nodes = calloc(cfg->n_nodes ? (size_t)cfg->n_nodes : 1, sizeof(*m->nodes));
	if (!m->clusters || !m->nodes)
		goto fail;
	for (int i = 0; i < cfg->n_nodes; i++) {
		m->nodes[i] = node_new(m, cfg, i);
		if (!m->nodes[i])
			goto fail;
		m->n_nodes++;
	}
	m->snap = snapshot_build(m);
	if (!m->snap)
		goto fail;
	m->snap->generation = ++m->generation;
	for (int i = 0; i < m->n_nodes; i++)
		node_schedule(m->nodes[i], 0);
	return m;
fail:
	monitor_stop(m);
	return NULL;
}

void monitor_reconfigure(struct monitor *m, const struct config *cfg)
{
	struct mnode **old = m->nodes;
	int n_old = m->n_nodes;
	struct mcluster *old_clusters = m->clusters;
	int n_old_clusters = m->n_clusters;
	struct mnode **nodes = calloc(cfg->n_nodes ? (size_t)cfg->n_nodes : 1, sizeof(*nodes));
	int n = 0;

	m->clusters = NULL;
	if (nodes)
		set_clusters(m, cfg);
	if (!nodes || !m->clusters) {
		log_error("monitor: out of memory applying the new config; keeping the old one");
		free(nodes);
		free(m->clusters);
		m->clusters = old_clusters;
		m->n_clusters = n_old_clusters;
		return;
	}
	set_params(m, cfg);

	for (int j = 0; j < n_old; j++)
		old[j]->was_index = j;
	/* The new node list, config order; unchanged nodes keep their connection. */
	for (int i = 0; i < cfg->n_nodes; i++) {
		struct mnode *fresh = node_new(m, cfg, i);

		if (!fresh)
			continue;	/* logged; the node stays out of the snapshot */
		for (int j = 0; j < n_old; j++) {
			struct mnode *o = old[j];

			if (!o || strcmp(o->name, fresh->name) != 0 ||
			    strcmp(o->conn_key, fresh->conn_key) != 0)
				continue;
			o->cluster_index = fresh->cluster_index;
			o->weight = fresh->weight;
			free(o->cluster_name);
			o->cluster_name = fresh->cluster_name;
			fresh->cluster_name = NULL;
			old[j] = NULL;
			node_free(fresh);
			fresh = o;
			break;
		}
		fresh->index = n;
		nodes[n++] = fresh;
	}

	/* Each cluster keeps its primary and alarm state if that node survived. */
	for (int c = 0; c < m->n_clusters; c++) {
		for (int oc = 0; oc < n_old_clusters; oc++) {
			int p = old_clusters[oc].primary;

			if (strcmp(old_clusters[oc].name, m->clusters[c].name) != 0)
				continue;
			m->clusters[c].split_brain = old_clusters[oc].split_brain;
			m->clusters[c].alarm_ms = old_clusters[oc].alarm_ms;
			if (p >= 0 && old[p] == NULL) {
				/* reused: find the node by name (pointer moved) */
				for (int i = 0; i < n; i++)
					if (nodes[i]->cluster_index == c &&
					    nodes[i]->was_index == p)
						m->clusters[c].primary = i;
			}
		}
	}

	for (int j = 0; j < n_old; j++) {
		if (old[j]) {
			log_info("node %s (%s:%d): no longer monitored (removed or changed)",
				 old[j]->name, old[j]->host, old[j]->port);
			node_free(old[j]);
		}
	}
	for (int oc = 0; oc < n_old_clusters; oc++)
		free(old_clusters[oc].name);
	free(old_clusters);
	free(old);
	m->nodes = nodes;
	m->n_nodes = n;

	for (int i = 0; i < n; i++)
		if (nodes[i]->state == MS_IDLE && !evtimer_pending(nodes[i]->timer, NULL))
			node_schedule(nodes[i], 0);
	/* a cluster that lost its primary takes the first node known free */
	for (int i = 0; i < n; i++)
		if (nodes[i]->seen && m->clusters[nodes[i]->cluster_index].primary < 0)
			decide_roles(m, nodes[i]);
	publish_if_changed(m, true);
}

void monitor_stop(struct monitor *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->n_nodes; i++)
		node_free(m->nodes[i]);
	free(m->nodes);
	for (int c = 0; c < m->n_clusters; c++)
		free(m->clusters[c].name);
	free(m->clusters);
	if (m->snap)
		monitor_snapshot_put(m->snap);
	free(m);
}

/*
 * Worker threads take and drop references at once (atomically); m->snap
 * itself changes only while the world is stopped (world.h), so reading it
 * needs no lock.
 */
const struct cluster_snapshot *monitor_snapshot_get(struct monitor *m)
{
	__atomic_add_fetch(&m->snap->refcount, 1, __ATOMIC_RELAXED);
	return m->snap;
}

void monitor_snapshot_put(const struct cluster_snapshot *snap)
{
	struct cluster_snapshot *s = (struct cluster_snapshot *)snap;

	if (!s)
		return;
	Assert(__atomic_load_n(&s->refcount, __ATOMIC_RELAXED) > 0);
	if (__atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL) == 0)
		free(s);
}

/* Nodes drained by DRAIN NODE (or the metadata nodes table), process-wide, by name. */
static struct name_set drained_nodes;

bool monitor_set_node_state(struct monitor *m, const char *node, bool offline, bool drained)
{
	if (!m || !monitor_set_availability(m, node, offline || drained ? AVAIL_OFFLINE : AVAIL_ACTIVE))
		return false;
	if (drained)
		name_set_add(&drained_nodes, node);
	else
		name_set_del(&drained_nodes, node);
	return true;
}

bool monitor_node_drained(const char *node)
{
	return name_set_has(&drained_nodes, node);
}

bool monitor_set_availability(struct monitor *m, const char *node, enum node_availability a)
{
	for (int i = 0; i < m->n_nodes; i++) {
		struct mnode *n = m->nodes[i];

		if (n && strcmp(n->name, node) == 0) {
			if (n->availability != a)
				log_info("node %s (%s:%d): availability %s", n->name, n->host,
					 n->port, a == AVAIL_ACTIVE ? "active" : "offline");
			n->availability = a;
			publish_if_changed(m, false);
			return true;
		}
	}
	return false;
}

uint64_t monitor_lsn_reachable(uint64_t insert_lsn, uint32_t wal_block_size)
{
	/* PostgreSQL's SizeOfXLogShortPHD and, on a segment's first page, SizeOfXLogLongPHD */
	uint64_t in_page = wal_block_size ? insert_lsn % wal_block_size : 0;

	/* no record ends there: records start after the header and are longer than 16 bytes */
	if (in_page == 24 || in_page == 40)
		return insert_lsn - in_page;
	return insert_lsn;
}

bool monitor_parse_lsn(const char *s, uint64_t *out)
{
	uint64_t part[2] = { 0, 0 };
	const char *p = s;

	for (int k = 0; k < 2; k++) {
		int digits = 0;

		while (isxdigit((unsigned char)*p)) {
			int c = tolower((unsigned char)*p);

			if (++digits > 8)
				return false;
			part[k] = part[k] * 16 + (uint64_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
			p++;
		}
		if (digits == 0)
			return false;
		if (k == 0 && *p++ != '/')
			return false;
	}
	if (*p != '\0')
		return false;
	*out = part[0] << 32 | part[1];
	return true;
}

void monitor_format_lsn(uint64_t lsn, char *buf, size_t len)
{
	snprintf(buf, len, "%X/%X", (unsigned)(lsn >> 32), (unsigned)(lsn & 0xffffffffu));
}

int64_t monitor_check_age_ms(struct monitor *m, const char *node)
{
	for (int i = 0; m && i < m->n_nodes; i++)
		if (strcmp(m->nodes[i]->name, node) == 0)
			return m->nodes[i]->last_check_ms > 0 ? now_ms() - m->nodes[i]->last_check_ms : -1;
	return -1;
}

const char *monitor_role_name(enum node_role r)
{
	switch (r) {
	case ROLE_PRIMARY:
		return "primary";
	case ROLE_REPLICA:
		return "replica";
	case ROLE_UNKNOWN:
		break;
	}
	return "unknown";
}

bool monitor_primary_writable(const struct cluster_snapshot *snap, int cluster)
{
	int p;

	if (!snap || cluster < 0 || cluster >= snap->n_clusters)
		return false;
	p = snap->primary[cluster];
	return p >= 0 && snap->nodes[p].up && !snap->nodes[p].in_recovery;
}

void monitor_set_publish_cb(struct monitor *m, monitor_publish_cb cb, void *arg)
{
	m->publish_cb = cb;
	m->publish_arg = arg;
}

void monitor_set_catalog_cb(struct monitor *m, monitor_catalog_cb cb, void *arg)
{
	m->catalog_cb = cb;
	m->catalog_arg = arg;
	for (int i = 0; i < m->n_nodes; i++)
		if (m->nodes[i])
			m->nodes[i]->catalog_at_ms = -1;	/* read soon for the new owner */
}

/* ---- pure decisions ---- */

/* True when node i could serve writes: up and last seen not in recovery. */
static bool obs_free(const struct monitor_role_obs *o)
{
	return o->up && !o->in_recovery;
}

int monitor_decide_roles(struct monitor_role_obs *obs, int n_nodes, int checked,
			 int *primary, bool *split_brain, int failover_checks)
{
	int c = obs[checked].cluster_index;
	int p = *primary;
	bool primary_ok = p >= 0 && obs_free(&obs[p]);
	int n_free = 0, candidate = -1, n_candidates = 0;
	int ev = ROLE_EV_NONE;
	bool sb;

	/* The streak of the node just checked: only a good not-in-recovery check
	 * made while the primary is unhealthy counts; anything else resets it. */
	if (checked == p || !obs[checked].last_ok || !obs_free(&obs[checked]) || primary_ok)
		obs[checked].promote_streak = 0;
	else
		obs[checked].promote_streak++;

	for (int i = 0; i < n_nodes; i++) {
		if (obs[i].cluster_index != c || !obs_free(&obs[i]))
			continue;
		n_free++;
		if (i != p) {
			if (candidate < 0)
				candidate = i;
			n_candidates++;
		}
	}

	if (p < 0) {
		if (candidate >= 0) {
			p = candidate;	/* first seen, first in config order on a tie */
			ev |= ROLE_EV_FIRST_PRIMARY;
		}
	} else if (!primary_ok && n_candidates == 1 &&
		   obs[candidate].promote_streak >= failover_checks) {
		p = candidate;
		ev |= ROLE_EV_FAILOVER;
	}
	if (p != *primary) {
		for (int i = 0; i < n_nodes; i++)
			if (obs[i].cluster_index == c)
				obs[i].promote_streak = 0;
		*primary = p;
	}

	sb = n_free >= 2;
	if (sb && !*split_brain)
		ev |= ROLE_EV_SPLIT_BRAIN;
	else if (!sb && *split_brain)
		ev |= ROLE_EV_SPLIT_BRAIN_END;
	*split_brain = sb;
	return ev;
}

void monitor_compute_lag(const struct monitor_lag_input *in, struct monitor_lag_state *st,
			 struct monitor_lag *out)
{
	uint64_t target;
	bool have = false;
	double s = 0;

	out->known = false;
	out->lag_bytes = 0;
	out->lag_s = 0;
	if (!in->primary_known)
		return;
	out->lag_bytes = in->primary_lsn > in->replay_lsn ? in->primary_lsn - in->replay_lsn : 0;

	/* LSNs of different timelines do not compare: a replica still on a dead
	 * primary's timeline can be "ahead" of the new primary and miss its
	 * writes.  Trust it again once it receives the primary's timeline. */
	if (in->primary_tli && in->received_tli)
		st->timeline_suspect = in->primary_tli != in->received_tli;
	if (st->timeline_suspect)
		return;
	out->known = true;
	if (in->replay_lsn >= in->primary_lsn && st->caught_up_ms < in->primary_check_ms)
		st->caught_up_ms = in->primary_check_ms;

	target = in->primary_lsn;
	if (in->receive_known && in->receive_lsn > target)
		target = in->receive_lsn;
	if (in->replay_lsn >= target)
		return;			/* replayed all it knows of: lag 0 */

	if (in->xact_age_known) {
		s = in->xact_age_s > 0 ? in->xact_age_s : 0;
		have = true;
	}
	if (st->caught_up_ms >= 0) {
		double b = in->now_ms > st->caught_up_ms ?
			   (double)(in->now_ms - st->caught_up_ms) / 1000.0 : 0;

		s = have && s < b ? s : b;
		have = true;
	}
	if (!have) {
		out->known = false;	/* behind by an unknown amount of time */
		return;
	}
	out->lag_s = s;
}

/* =====================================================================
 * Internal functions
 * ===================================================================== */

static void set_params(struct monitor *m, const struct config *cfg)
{
	m->check_interval_ms = cfg->check_interval_ms >= 10 ? cfg->check_interval_ms : 10;
	m->timeout_ms = cfg->health_check_timeout_ms > 0 ? cfg->health_check_timeout_ms : 2000;
	m->catalog_refresh_ms = cfg->catalog_refresh_ms;
	m->failures_before_down = cfg->health_check_failures > 0 ? cfg->health_check_failures : 3;
	m->max_lag_ms = (int64_t)(cfg->max_lag_s * 1000.0);
}

static void set_clusters(struct monitor *m, const struct config *cfg)
{
	m->clusters = calloc(cfg->n_clusters ? (size_t)cfg->n_clusters : 1, sizeof(*m->clusters));
	m->n_clusters = 0;
	if (!m->clusters)
		return;
	for (int c = 0; c < cfg->n_clusters; c++) {
		m->clusters[c].name = strdup(cfg->clusters[c].name);
		m->clusters[c].primary = -1;
		m->clusters[c].alarm_ms = -SPLIT_BRAIN_ALARM_MS;
		if (!m->clusters[c].name) {
			for (int k = 0; k < c; k++)
				free(m->clusters[k].name);
			free(m->clusters);
			m->clusters = NULL;
			return;
		}
		m->n_clusters++;
	}
}

static struct conn_tls tls_of(const struct config *cfg)
{
	struct conn_tls t = { "prefer", NULL, NULL, NULL };

	switch (cfg->server_tls_sslmode) {
	case TLS_DISABLE:
		t.sslmode = "disable";
		break;
	case TLS_ALLOW:
		t.sslmode = "allow";
		break;
	case TLS_PREFER:
		t.sslmode = "prefer";
		break;
	case TLS_REQUIRE:
		t.sslmode = "require";
		break;
	case TLS_VERIFY_CA:
		t.sslmode = "verify-ca";
		break;
	case TLS_VERIFY_FULL:
		t.sslmode = "verify-full";
		break;
	}
	t.ca = cfg->server_tls_ca_file && *cfg->server_tls_ca_file ? cfg->server_tls_ca_file : NULL;
	t.cert = cfg->server_tls_cert_file && *cfg->server_tls_cert_file ? cfg->server_tls_cert_file : NULL;
	t.key = cfg->server_tls_key_file && *cfg->server_tls_key_file ? cfg->server_tls_key_file : NULL;
	return t;
}

/* A node's monitor identity from config node I (not yet connected). */
static struct mnode *node_new(struct monitor *m, const struct config *cfg, int i)
{
	const struct config_node *cn = &cfg->nodes[i];
	const struct config_cluster *cl = &cfg->clusters[cn->cluster_index];
	struct conn_tls t = tls_of(cfg);
	struct mnode *n = calloc(1, sizeof(*n));
	char key[2048];

	if (!n)
		goto oom;
	n->m = m;
	n->index = i;
	n->port = cn->port;
	n->cluster_index = cn->cluster_index;
	n->weight = cn->weight;
	n->was_index = -1;
	n->io.fd = -1;
	n->catalog_at_ms = -1;
	n->lag_state.caught_up_ms = -1;
	n->name = strdup(cn->name);
	n->host = strdup(cn->host);
	n->cluster_name = strdup(cl->name);
	n->user = strdup(cl->server_user ? cl->server_user : "postgres");
	n->dbname = strdup(cl->server_database ? cl->server_database : "postgres");
	if (cl->server_password)
		n->password = strdup(cl->server_password);
	snprintf(key, sizeof(key), "%s|%s|%d|%s|%s|%s|%s|%s|%s|%s", cl->name, cn->host, cn->port,
		 n->user ? n->user : "",
		 n->dbname ? n->dbname : "", cl->server_password ? cl->server_password : "\x01",
		 t.sslmode, t.ca ? t.ca : "", t.cert ? t.cert : "", t.key ? t.key : "");
	n->conn_key = strdup(key);
	n->sslmode = t.sslmode;
	n->ssl_ca = t.ca ? strdup(t.ca) : NULL;
	n->ssl_cert = t.cert ? strdup(t.cert) : NULL;
	n->ssl_key = t.key ? strdup(t.key) : NULL;
	n->timer = evtimer_new(m->base, timer_cb, n);
	n->deadline = evtimer_new(m->base, deadline_cb, n);
	n->stale_timer = evtimer_new(m->base, stale_cb, n);
	if (!n->name || !n->host || !n->cluster_name || !n->user || !n->dbname ||
	    (cl->server_password && !n->password) || !n->conn_key || !n->timer || !n->deadline ||
	    !n->stale_timer ||
	    (t.ca && !n->ssl_ca) || (t.cert && !n->ssl_cert) || (t.key && !n->ssl_key)) {
		node_free(n);
		goto oom;
	}
	return n;
oom:
	log_error("monitor: out of memory for node %s", cn->name);
	return NULL;
}

static void node_free(struct mnode *n)
{
	if (!n)
		return;
	node_close(n);
	if (n->timer)
		event_free(n->timer);
	if (n->deadline)
		event_free(n->deadline);
	if (n->stale_timer)
		event_free(n->stale_timer);
	free(n->name);
	free(n->host);
	free(n->cluster_name);
	free(n->user);
	free(n->dbname);
	if (n->password) {
		explicit_bzero(n->password, strlen(n->password));
		free(n->password);
	}
	free(n->conn_key);
	free(n->ssl_ca);
	free(n->ssl_cert);
	free(n->ssl_key);
	free(n);
}

/* Drop the connection and every event tied to it; state becomes IDLE. */
static void node_close(struct mnode *n)
{
	pq_watch_clear(&n->io);
	if (n->result) {
		PQclear(n->result);
		n->result = NULL;
	}
	if (n->deadline)
		evtimer_del(n->deadline);
	if (n->timer)
		evtimer_del(n->timer);
	if (n->conn) {
		PQfinish(n->conn);
		n->conn = NULL;
	}
	n->catalog_at_ms = -1;
	n->state = MS_IDLE;
}

/* Run the node's next step (connect or check) after DELAY_MS. */
/* Arm timer EV to fire in MS milliseconds (now if negative). */
static void arm_ms(struct event *ev, int64_t ms)
{
	struct timeval tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

static void node_schedule(struct mnode *n, int64_t delay_ms)
{
	arm_ms(n->timer, delay_ms);
}

static void node_arm_deadline(struct mnode *n, int64_t ms)
{
	arm_ms(n->deadline, ms);
}

/* Make the io event watch the connection's current socket for WHAT. */
static bool node_want_io(struct mnode *n, short what)
{
	return pq_watch_set(&n->io, n->m->base, n->conn, what, n->state == MS_CONNECTING, io_cb, n);
}

/* Server notices (and a FATAL sent to an idle connection at shutdown)
 * go to the log, not to libpq's default stderr printer. */
static void notice_cb(void *arg, const char *message)
{
	struct mnode *n = arg;
	char msg[200];

	clean_error(message, msg, sizeof(msg));
	log_debug("node %s (%s:%d): server says: %s", n->name, n->host, n->port, msg);
}

/* Start a non-blocking connection attempt. */
static void node_connect(struct mnode *n)
{
	const char *keys[16], *vals[16];
	char port[16], numeric[sizeof(struct in6_addr)];
	int k = 0;

	snprintf(port, sizeof(port), "%d", n->port);
	keys[k] = "host", vals[k++] = n->host;
	if (inet_pton(AF_INET, n->host, numeric) == 1 || inet_pton(AF_INET6, n->host, numeric) == 1)
		keys[k] = "hostaddr", vals[k++] = n->host;	/* no DNS lookup in PQconnectStart */
	keys[k] = "port", vals[k++] = port;
	keys[k] = "dbname", vals[k++] = n->dbname;
	keys[k] = "user", vals[k++] = n->user;
	if (n->password)
		keys[k] = "password", vals[k++] = n->password;
	keys[k] = "application_name", vals[k++] = "pgsteer-monitor";
	keys[k] = "sslmode", vals[k++] = n->sslmode;
	if (n->ssl_ca)
		keys[k] = "sslrootcert", vals[k++] = n->ssl_ca;
	if (n->ssl_cert)
		keys[k] = "sslcert", vals[k++] = n->ssl_cert;
	if (n->ssl_key)
		keys[k] = "sslkey", vals[k++] = n->ssl_key;
	keys[k] = "gssencmode", vals[k++] = "disable";
	keys[k] = NULL, vals[k] = NULL;

	Assert(n->state == MS_IDLE && !n->conn);
	n->conn = PQconnectStartParams(keys, vals, 0);
	n->op_start_ms = now_ms();
	if (!n->conn) {
		node_fail(n, FAIL_REFUSED, "out of memory");
		return;
	}
	if (PQstatus(n->conn) == CONNECTION_BAD) {
		node_fail(n, FAIL_REFUSED, PQerrorMessage(n->conn));
		return;
	}
	PQsetNoticeProcessor(n->conn, notice_cb, n);
	n->state = MS_CONNECTING;
	node_arm_deadline(n, n->m->timeout_ms);
	/* libpq: act as if PQconnectPoll had returned PGRES_POLLING_WRITING */
	if (!node_want_io(n, EV_WRITE))
		node_fail(n, FAIL_REFUSED, PQerrorMessage(n->conn));
}

static void node_connect_poll(struct mnode *n)
{
	switch (PQconnectPoll(n->conn)) {
	case PGRES_POLLING_READING:
		if (!node_want_io(n, EV_READ))
			node_fail(n, FAIL_REFUSED, PQerrorMessage(n->conn));
		return;
	case PGRES_POLLING_WRITING:
		if (!node_want_io(n, EV_WRITE))
			node_fail(n, FAIL_REFUSED, PQerrorMessage(n->conn));
		return;
	case PGRES_POLLING_OK:
		evtimer_del(n->deadline);
		if (PQsetnonblocking(n->conn, 1) != 0) {
			node_fail(n, FAIL_LOST, PQerrorMessage(n->conn));
			return;
		}
		n->connect_failures = 0;
		n->state = MS_READY;
		log_debug("node %s (%s:%d): monitor connected", n->name, n->host, n->port);
		node_send(n, MQ_CHECK);
		return;
	case PGRES_POLLING_FAILED:
	default:
		node_fail(n, FAIL_REFUSED, PQerrorMessage(n->conn));
		return;
	}
}

/* Send one query; the answer arrives through io_cb. */
static void node_send(struct mnode *n, enum mquery kind)
{
	int r;

	Assert(n->state == MS_READY);
	if (!PQsendQuery(n->conn, kind == MQ_CHECK ? CHECK_SQL : CATALOG_SQL)) {
		node_fail(n, FAIL_LOST, PQerrorMessage(n->conn));
		return;
	}
	n->state = MS_BUSY;
	n->q_kind = kind;
	n->op_start_ms = now_ms();
	node_arm_deadline(n, kind == MQ_CHECK ? n->m->timeout_ms :
			  (n->m->timeout_ms > CATALOG_TIMEOUT_MIN_MS ? n->m->timeout_ms
			   : CATALOG_TIMEOUT_MIN_MS));
	r = PQflush(n->conn);
	if (r < 0 || !node_want_io(n, r > 0 ? (EV_READ | EV_WRITE) : EV_READ))
		node_fail(n, FAIL_LOST, PQerrorMessage(n->conn));
}

static void io_cb_stopped(evutil_socket_t fd, short what, void *arg)
{
	struct mnode *n = arg;

	(void)fd;
	switch (n->state) {
	case MS_CONNECTING:
		node_connect_poll(n);
		return;
	case MS_BUSY:
		if (what & EV_WRITE) {
			int r = PQflush(n->conn);

			if (r < 0) {
				node_fail(n, FAIL_LOST, PQerrorMessage(n->conn));
				return;
			}
			if (r == 0 && !node_want_io(n, EV_READ)) {
				node_fail(n, FAIL_LOST, PQerrorMessage(n->conn));
				return;
			}
		}
		if (what & EV_READ)
			node_on_readable(n);
		return;
	case MS_READY:
		/* idle: the server may say goodbye (shutdown) or send notices */
		if (!PQconsumeInput(n->conn) || PQstatus(n->conn) == CONNECTION_BAD) {
			node_fail(n, FAIL_LOST, PQerrorMessage(n->conn));
			return;
		}
		for (PGnotify *nt; (nt = PQnotifies(n->conn)) != NULL;)
			PQfreemem(nt);
		return;
	case MS_IDLE:
		break;
	}
}

WORLD_STOPPED_CB(io_cb)

/* Read what arrived; once the answer is complete (PQgetResult() returned
 * NULL) hand its last result on.  Never blocks: PQgetResult() is only
 * called when PQisBusy() says it will not wait. */
static void node_on_readable(struct mnode *n)
{
	PGresult *res;

	if (!PQconsumeInput(n->conn)) {
		node_fail(n, FAIL_LOST, PQerrorMessage(n->conn));
		return;
	}
	while (!PQisBusy(n->conn)) {
		res = PQgetResult(n->conn);
		if (!res) {
			res = n->result;
			n->result = NULL;
			node_on_result(n, res);
			PQclear(res);
			return;
		}
		if (n->result)
			PQclear(n->result);
		n->result = res;
	}
}

static void node_on_result(struct mnode *n, PGresult *res)
{
	enum mquery kind = n->q_kind;

	evtimer_del(n->deadline);
	n->state = MS_READY;
	if (kind == MQ_CATALOG) {
		struct monitor *m = n->m;

		n->catalog_at_ms = now_ms();
		if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQnfields(res) == 3) {
			int rows = PQntuples(res);
			const char **schema = calloc(rows ? (size_t)rows : 1, sizeof(*schema));
			const char **name = calloc(rows ? (size_t)rows : 1, sizeof(*name));
			char *vol = calloc((size_t)rows + 1, 1);

			if (schema && name && vol) {
				for (int r = 0; r < rows; r++) {
					schema[r] = PQgetvalue(res, r, 0);
					name[r] = PQgetvalue(res, r, 1);
					vol[r] = PQgetvalue(res, r, 2)[0];
				}
				log_debug("node %s (%s:%d): catalog: %d user functions", n->name,
					  n->host, n->port, rows);
				if (m->catalog_cb)
					m->catalog_cb(m->catalog_arg, rows, schema, name, vol);
			} else {
				log_error("node %s (%s:%d): catalog: out of memory", n->name, n->host,
					  n->port);
			}
			free(schema);
			free(name);
			free(vol);
		} else {
			char why[160];

			clean_error(res ? PQresultErrorMessage(res) : PQerrorMessage(n->conn),
				    why, sizeof(why));
			log_warning("node %s (%s:%d): catalog read failed: %s", n->name, n->host,
				    n->port, why);
		}
		node_schedule(n, n->m->check_interval_ms);
		return;
	}
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    PQnfields(res) == CHECK_COLUMNS) {
		node_check_ok(n, res);
		return;
	}
	node_fail(n, FAIL_QUERY, res ? PQresultErrorMessage(res) : PQerrorMessage(n->conn));
}

/* Store a good check's findings and move on. */
static void node_check_ok(struct mnode *n, const PGresult *res)
{
	const char *rec = PQgetvalue(res, 0, 0);
	uint64_t lsn = 0;
	bool was_up = n->health == H_UP;
	char lsnbuf[32];

	n->in_recovery = rec[0] == 't';
	if (!PQgetisnull(res, 0, 1))
		monitor_parse_lsn(PQgetvalue(res, 0, 1), &lsn);
	n->wal_lsn = lsn;
	n->receive_known = !PQgetisnull(res, 0, 2) &&
			   monitor_parse_lsn(PQgetvalue(res, 0, 2), &n->receive_lsn);
	n->xact_age_known = !PQgetisnull(res, 0, 3);
	n->xact_age_s = n->xact_age_known ? strtod(PQgetvalue(res, 0, 3), NULL) : 0;
	n->timeline = PQgetisnull(res, 0, 4) ? 0 : (uint32_t)strtoul(PQgetvalue(res, 0, 4), NULL, 10);
	n->seen = true;
	n->consecutive_failures = 0;
	n->unresponsive = false;
	n->last_error[0] = '\0';
	n->last_check_ms = now_ms();
	n->health = H_UP;
	if (n->stale)
		log_info("node %s (%s:%d): answering again after %lld ms: lag known", n->name, n->host,
			 n->port, (long long)(n->last_check_ms - n->good_check_start_ms));
	n->stale = false;
	n->good_check_start_ms = n->op_start_ms;
	if (!was_up) {
		monitor_format_lsn(n->wal_lsn, lsnbuf, sizeof(lsnbuf));
		log_info("node %s (%s:%d): up (%s, %s %s)", n->name, n->host, n->port,
			 n->in_recovery ? "in recovery" : "not in recovery",
			 n->in_recovery ? "replay" : "wal", lsnbuf);
	}
	decide_roles(n->m, n);
	publish_if_changed(n->m, false);
	node_arm_stale(n);
	node_after_check(n);
}

/*
 * A replica's lag, measured by a check that started at T, can only have
 * grown since: it is known to be within max_lag until T + (max_lag - lag).
 * If no check has answered by then (a frozen or unreachable server whose
 * checks have not timed out yet), the lag is unknown and the replica gets
 * no new reads.  Never sooner than two check intervals after T, so that a
 * max_lag shorter than the check period does not leave every replica
 * unknown between its checks.
 */
static void node_arm_stale(struct mnode *n)
{
	struct monitor *m = n->m;
	double lag_s = 0;
	int64_t fresh;

	if (!n->in_recovery || m->max_lag_ms <= 0) {
		evtimer_del(n->stale_timer);
		return;
	}
	if (m->snap && n->index < m->snap->n_nodes && m->snap->nodes[n->index].lag_known)
		lag_s = m->snap->nodes[n->index].lag_s;
	fresh = m->max_lag_ms - (int64_t)(lag_s * 1000.0);
	if (fresh < 2 * m->check_interval_ms)
		fresh = 2 * m->check_interval_ms;
	arm_ms(n->stale_timer, n->good_check_start_ms + fresh - now_ms());
}

static void stale_cb_stopped(evutil_socket_t fd, short what, void *arg)
{
	struct mnode *n = arg;

	(void)fd;
	(void)what;
	if (n->stale || !n->in_recovery)
		return;
	n->stale = true;
	log_warning("node %s (%s:%d): no check answered for %lld ms: lag unknown, no new reads",
		    n->name, n->host, n->port, (long long)(now_ms() - n->good_check_start_ms));
	publish_if_changed(n->m, false);
}

WORLD_STOPPED_CB(stale_cb)

/* Next step after a check on a live connection: catalog read or next check. */
static void node_after_check(struct mnode *n)
{
	struct monitor *m = n->m;
	int64_t t = now_ms();
	int64_t elapsed = t - n->op_start_ms;

	if (n->state != MS_READY)
		return;
	if (m->catalog_cb && m->catalog_refresh_ms > 0 && n->cluster_index < m->n_clusters &&
	    m->clusters[n->cluster_index].primary == n->index && !n->in_recovery &&
	    (n->catalog_at_ms < 0 || t - n->catalog_at_ms >= m->catalog_refresh_ms)) {
		node_send(n, MQ_CATALOG);
		return;
	}
	node_schedule(n, m->check_interval_ms - elapsed);
}

/* A failed connect or check: count it, maybe mark down, plan the retry. */
static void node_fail(struct mnode *n, enum mfail kind, const char *why)
{
	struct monitor *m = n->m;
	enum mhealth before = n->health;
	bool keep_conn = kind == FAIL_QUERY && n->conn && PQstatus(n->conn) == CONNECTION_OK;
	bool was_catalog = n->state == MS_BUSY && n->q_kind == MQ_CATALOG;
	bool connected = n->state == MS_READY || n->state == MS_BUSY;
	int64_t delay;

	clean_error(why, n->last_error, sizeof(n->last_error));
	if (!n->last_error[0])
		snprintf(n->last_error, sizeof(n->last_error), "%s",
			 kind == FAIL_TIMEOUT ? "timeout" : "connection failed");
	if (was_catalog) {
		/* A slow or failed catalog read does not make the primary unhealthy. */
		log_warning("node %s (%s:%d): catalog read failed: %s", n->name, n->host, n->port,
			    n->last_error);
		n->last_error[0] = '\0';
		node_close(n);
		n->catalog_at_ms = now_ms();	/* not again before the next refresh */
		node_schedule(n, 0);
		return;
	}
	n->consecutive_failures++;
	n->unresponsive = kind == FAIL_TIMEOUT;
	if (n->in_recovery && !n->stale && n->health != H_DOWN) {
		/*
		 * A replica whose check failed (a frozen server takes no answer
		 * within health_check_timeout) has no known lag: no new reads,
		 * and reads in flight there are sent elsewhere, now rather than
		 * when max_lag or health_check_failures runs out.
		 */
		n->stale = true;
		log_warning("node %s (%s:%d): check failed (%s): lag unknown, no new reads until one answers",
			    n->name, n->host, n->port, n->last_error);
	}
	if (kind == FAIL_REFUSED || n->consecutive_failures >= m->failures_before_down)
		n->health = H_DOWN;
	if (n->health == H_DOWN && before != H_DOWN)
		log_warning("node %s (%s:%d): down: %s", n->name, n->host, n->port, n->last_error);
	else
		log_debug("node %s (%s:%d): check failed (%d in a row): %s", n->name, n->host,
			  n->port, n->consecutive_failures, n->last_error);

	if (keep_conn) {
		n->state = MS_READY;
		evtimer_del(n->deadline);
		delay = m->check_interval_ms - (now_ms() - n->op_start_ms);
	} else {
		node_close(n);
		if (connected) {
			delay = 0;	/* a lost session: retry now, a refusal is then seen at once */
		} else {
			int k = ++n->connect_failures;
			int mult = k >= 3 ? BACKOFF_MAX_INTERVALS : 1 << (k - 1);

			delay = m->check_interval_ms * mult;
		}
	}
	decide_roles(m, n);
	publish_if_changed(m, false);
	node_schedule(n, delay);
}

static void timer_cb_stopped(evutil_socket_t fd, short what, void *arg)
{
	struct mnode *n = arg;

	(void)fd;
	(void)what;
	switch (n->state) {
	case MS_IDLE:
		node_connect(n);
		return;
	case MS_READY:
		node_send(n, MQ_CHECK);
		return;
	case MS_CONNECTING:
	case MS_BUSY:
		break;	/* the deadline handles these */
	}
}

WORLD_STOPPED_CB(timer_cb)

static void deadline_cb_stopped(evutil_socket_t fd, short what, void *arg)
{
	struct mnode *n = arg;
	char why[64];

	(void)fd;
	(void)what;
	snprintf(why, sizeof(why), "%s timed out after %lld ms",
		 n->state == MS_CONNECTING ? "connection" : "check",
		 (long long)(now_ms() - n->op_start_ms));
	node_fail(n, FAIL_TIMEOUT, why);
}

WORLD_STOPPED_CB(deadline_cb)

/* Log the node names for a role message: "main2 (127.0.0.1:5433)". */
static const char *node_label(const struct mnode *n, char *buf, size_t len)
{
	snprintf(buf, len, "%s (%s:%d)", n->name, n->host, n->port);
	return buf;
}

/* Re-decide N's cluster's primary and split-brain state after a check of N. */
static void decide_roles(struct monitor *m, struct mnode *n)
{
	struct monitor_role_obs obs_stack[16], *obs = obs_stack;
	struct mcluster *cl;
	int old_primary, ev;
	char a[300], b[300];
	int64_t t = now_ms();

	if (n->cluster_index < 0 || n->cluster_index >= m->n_clusters)
		return;
	cl = &m->clusters[n->cluster_index];
	if (m->n_nodes > (int)ARRAY_SIZE(obs_stack)) {
		obs = calloc((size_t)m->n_nodes, sizeof(*obs));
		if (!obs)
			return;
	}
	for (int i = 0; i < m->n_nodes; i++) {
		struct mnode *x = m->nodes[i];

		obs[i].cluster_index = x ? x->cluster_index : -1;
		obs[i].up = x && x->health == H_UP;
		obs[i].last_ok = x == n && n->consecutive_failures == 0;
		obs[i].in_recovery = x ? x->in_recovery : true;
		obs[i].promote_streak = x ? x->promote_streak : 0;
	}
	old_primary = cl->primary;
	ev = monitor_decide_roles(obs, m->n_nodes, n->index, &cl->primary, &cl->split_brain,
				  MONITOR_FAILOVER_CHECKS);
	for (int i = 0; i < m->n_nodes; i++)
		if (m->nodes[i])
			m->nodes[i]->promote_streak = obs[i].promote_streak;
	if (obs != obs_stack)
		free(obs);

	if (ev & ROLE_EV_FIRST_PRIMARY)
		log_info("cluster %s: primary is %s", cl->name,
			 node_label(m->nodes[cl->primary], a, sizeof(a)));
	if (ev & ROLE_EV_FAILOVER) {
		struct mnode *o = m->nodes[old_primary], *p = m->nodes[cl->primary];

		log_warning("cluster %s: primary changed from %s to %s: %s is %s, %s reported "
			    "not in recovery for %d consecutive checks",
			    cl->name, node_label(o, a, sizeof(a)), node_label(p, b, sizeof(b)),
			    o->name, o->health == H_UP ? "in recovery" : "down", p->name,
			    MONITOR_FAILOVER_CHECKS);
		for (int i = 0; i < m->n_nodes; i++)
			if (m->nodes[i] && m->nodes[i]->cluster_index == n->cluster_index)
				m->nodes[i]->lag_state = (struct monitor_lag_state){ -1, true };
	}
	if (cl->split_brain && ((ev & ROLE_EV_SPLIT_BRAIN) || t - cl->alarm_ms >= SPLIT_BRAIN_ALARM_MS)) {
		char others[600] = "";
		size_t off = 0;

		for (int i = 0; i < m->n_nodes; i++) {
			struct mnode *x = m->nodes[i];

			if (!x || i == cl->primary || x->cluster_index != n->cluster_index ||
			    x->health != H_UP || x->in_recovery)
				continue;
			off += (size_t)snprintf(others + off, off < sizeof(others) ? sizeof(others) - off : 0,
						"%s%s", off ? ", " : "", node_label(x, a, sizeof(a)));
			if (off >= sizeof(others))
				break;
		}
		log_warning("cluster %s: split brain: %s also report%s not in recovery; writes stay on %s",
			    cl->name, others, strchr(others, ',') ? "" : "s",
			    cl->primary >= 0 ? node_label(m->nodes[cl->primary], b, sizeof(b)) : "(none)");
		cl->alarm_ms = t;
	}
	if (ev & ROLE_EV_SPLIT_BRAIN_END)
		log_warning("cluster %s: split brain cleared; primary is %s", cl->name,
			    cl->primary >= 0 ? node_label(m->nodes[cl->primary], a, sizeof(a)) : "(none)");
}

/* Fill snapshot node I from the monitor's state (lag computed here). */
static void fill_status(struct monitor *m, int i, struct node_status *st)
{
	struct mnode *n = m->nodes[i];
	int p = n->cluster_index >= 0 && n->cluster_index < m->n_clusters ?
		m->clusters[n->cluster_index].primary : -1;

	st->cluster_index = n->cluster_index;
	st->weight = n->weight;
	st->up = n->health == H_UP;
	st->in_recovery = n->in_recovery;
	st->availability = n->availability;
	st->wal_lsn = n->wal_lsn;
	st->timeline = n->timeline;
	st->consecutive_failures = n->consecutive_failures;
	st->unresponsive = n->unresponsive;
	st->last_check_ms = n->last_check_ms;
	snprintf(st->last_error, sizeof(st->last_error), "%s", n->last_error);
	if (p == i)
		st->role = ROLE_PRIMARY;
	else if (n->seen && n->in_recovery)
		st->role = ROLE_REPLICA;
	else
		st->role = ROLE_UNKNOWN;	/* never checked, or a pending promotion / split brain */

	st->lag_bytes = 0;
	st->lag_s = 0;
	st->lag_known = false;
	if (!n->seen)
		return;
	if (p == i) {
		st->lag_known = true;
	} else if (p >= 0) {
		struct mnode *pn = m->nodes[p];
		struct monitor_lag_input in = {
			.primary_known = pn->seen,
			.primary_lsn = pn->wal_lsn,
			.primary_check_ms = pn->last_check_ms,
			.replay_lsn = n->wal_lsn,
			.receive_known = n->receive_known,
			.receive_lsn = n->receive_lsn,
			.xact_age_known = n->xact_age_known,
			.xact_age_s = n->xact_age_s,
			.now_ms = n->last_check_ms,
			.primary_tli = pn->in_recovery ? 0 : pn->timeline,
			.received_tli = n->in_recovery ? n->timeline : 0,
		};
		struct monitor_lag lag;

		monitor_compute_lag(&in, &n->lag_state, &lag);
		st->lag_known = lag.known && !n->stale;
		st->lag_bytes = lag.lag_bytes;
		st->lag_s = lag.lag_s;
	}
}

/* One allocation: header, nodes, primary[], split_brain[], names. */
static struct cluster_snapshot *snapshot_build(struct monitor *m)
{
	size_t names = 0, off;
	size_t sz_nodes = sizeof(struct node_status) * (size_t)m->n_nodes;
	size_t sz_prim = sizeof(int) * (size_t)m->n_clusters;
	size_t sz_sb = sizeof(bool) * (size_t)m->n_clusters;
	struct cluster_snapshot *s;
	char *p;

	for (int i = 0; i < m->n_nodes; i++)
		names += strlen(m->nodes[i]->name) + 1;
	s = calloc(1, sizeof(*s) + sz_nodes + sz_prim + sz_sb + names);
	if (!s)
		return NULL;
	off = sizeof(*s);
	s->refcount = 1;
	s->n_nodes = m->n_nodes;
	s->nodes = (struct node_status *)((char *)s + off);
	off += sz_nodes;
	s->n_clusters = m->n_clusters;
	s->primary = (int *)((char *)s + off);
	off += sz_prim;
	s->split_brain = (bool *)((char *)s + off);
	off += sz_sb;
	p = (char *)s + off;
	for (int c = 0; c < m->n_clusters; c++) {
		s->primary[c] = m->clusters[c].primary;
		s->split_brain[c] = m->clusters[c].split_brain;
	}
	for (int i = 0; i < m->n_nodes; i++) {
		size_t l = strlen(m->nodes[i]->name) + 1;

		memcpy(p, m->nodes[i]->name, l);
		s->nodes[i].name = p;
		p += l;
		fill_status(m, i, &s->nodes[i]);
	}
	return s;
}

/* Equal in everything a reader acts on (last_check_ms excluded). */
static bool snapshot_same(const struct cluster_snapshot *a, const struct cluster_snapshot *b)
{
	if (a->n_nodes != b->n_nodes || a->n_clusters != b->n_clusters)
		return false;
	for (int c = 0; c < a->n_clusters; c++)
		if (a->primary[c] != b->primary[c] || a->split_brain[c] != b->split_brain[c])
			return false;
	for (int i = 0; i < a->n_nodes; i++) {
		const struct node_status *x = &a->nodes[i], *y = &b->nodes[i];

		if (strcmp(x->name, y->name) != 0 || x->cluster_index != y->cluster_index ||
		    x->weight != y->weight || x->up != y->up || x->in_recovery != y->in_recovery ||
		    x->role != y->role || x->availability != y->availability ||
		    x->wal_lsn != y->wal_lsn || x->lag_bytes != y->lag_bytes ||
		    x->lag_s != y->lag_s || x->lag_known != y->lag_known ||
		    x->timeline != y->timeline ||
		    x->consecutive_failures != y->consecutive_failures ||
		    x->unresponsive != y->unresponsive || strcmp(x->last_error, y->last_error) != 0)
			return false;
	}
	return true;
}

static void publish_if_changed(struct monitor *m, bool force)
{
	struct cluster_snapshot *s = snapshot_build(m);

	if (!s) {
		log_error("monitor: out of memory building a snapshot; readers keep the old one");
		return;
	}
	if (!force && m->snap && snapshot_same(s, m->snap)) {
		free(s);
		return;
	}
	s->generation = ++m->generation;
	if (m->snap)
		monitor_snapshot_put(m->snap);
	m->snap = s;
	if (m->publish_cb)
		m->publish_cb(m->publish_arg, s);
}

/*
 * libpq's messages are multi-line and prefixed ("connection to server at
 * \"h\", port p failed: FATAL:  the database system is starting up\n");
 * keep the cause: the text after the last "failed: ", without severity,
 * first line only, "Connection refused" -> "connection refused".
 */
static void clean_error(const char *msg, char *out, size_t len)
{
	const char *p = msg ? msg : "", *q;
	size_t l;

	for (q = strstr(p, "failed: "); q; q = strstr(q + 1, "failed: "))
		p = q + 8;
	while (*p == ' ' || *p == '\n' || *p == '\t')
		p++;
	if (strncmp(p, "FATAL:", 6) == 0 || strncmp(p, "ERROR:", 6) == 0)
		p += 6;
	while (*p == ' ')
		p++;
	l = strcspn(p, "\n");
	while (l > 0 && (p[l - 1] == ' ' || p[l - 1] == '\r'))
		l--;
	if (len == 0)
		return;
	if (l >= len)
		l = len - 1;
	memcpy(out, p, l);
	out[l] = '\0';
	if (l >= 2 && isupper((unsigned char)out[0]) && islower((unsigned char)out[1]))
		out[0] = (char)tolower((unsigned char)out[0]);
}
