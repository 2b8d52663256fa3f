/*
 * Statistics: process-wide counters the data plane increments (one writer,
 * the event loop; no locks), and the HTTP stats endpoint (libevent evhttp)
 * that renders them with the live state (clients, pools, servers, monitor
 * snapshot) as Prometheus text, JSON and health/readiness answers.
 *
 * (Contract used by session.c, frontend.c, backend.c and admin.c; the
 * stats module's owner may add fields and functions, not rename or remove.)
 */
#ifndef PGSTEER_STATS_H
#define PGSTEER_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "classify.h"
#include "config.h"

#define STATS_MAX_NODES 64		/* by config node index; more are not counted */
#define STATS_CLASSES 6			/* enum classify_class */
#define STATS_DURATION_BUCKETS 18	/* 50us .. 10s, see stats.c */

enum stats_target {
	STATS_PRIMARY = 0,
	STATS_REPLICA,
	STATS_LOCAL,			/* answered by pgsteer (controls) */
	STATS_REFUSED,			/* refused by pgsteer (25006, no server, ...) */
	STATS_TARGETS,
};

enum stats_fallback {
	FALLBACK_NO_REPLICA = 0,	/* no replica configured or up */
	FALLBACK_LAG,			/* replicas too far behind */
	FALLBACK_STICKY,		/* read-your-writes: no replica replayed the session's write */
	FALLBACK_OTHER,
	STATS_FALLBACKS,
};

struct stats_node {
	uint64_t queries;		/* statements routed here (start of each transaction/statement) */
	uint64_t reads;			/* of which read-class */
	uint64_t bytes_to_server;
	uint64_t bytes_from_server;
	uint64_t query_time_us;		/* sum over completed queries (Query/Sync to ReadyForQuery) */
	uint64_t queries_completed;
	uint64_t server_logins;
	uint64_t server_login_failures;
};

struct stats_registry {
	int64_t started_unix;		/* wall clock seconds at start */
	uint64_t queries[STATS_CLASSES][STATS_TARGETS];
	uint64_t read_fallback[STATS_FALLBACKS];
	uint64_t duration_bucket[STATS_DURATION_BUCKETS];	/* cumulative counts are computed when rendering */
	uint64_t duration_count;
	double duration_sum_s;
	uint64_t clients_accepted;
	uint64_t clients_refused;	/* max_client_conn, shutdown */
	uint64_t auth_failures;
	uint64_t protocol_errors;
	uint64_t clients_buffer_closed;	/* client_message_timeout / client_buffer_limit */
	uint64_t auth_throttled;	/* logins refused: too many failures from the address */
	/* causal reads: [0] caught up on the replica, [1] timed out (went to the primary) */
	uint64_t causal_waits[2];
	uint64_t causal_bucket[STATS_DURATION_BUCKETS];
	uint64_t causal_count;
	double causal_sum_s;
	uint64_t bytes_from_clients;
	uint64_t bytes_to_clients;
	uint64_t prepared_parses;	/* Parse of a named statement sent to a server (the client's or hidden) */
	uint64_t prepared_reused;	/* client Parse answered because the server already held it */
	uint64_t prepared_deferred;	/* client Parse answered with no server free: prepared at its first Bind */
	uint64_t prepared_evictions;	/* statements closed on a server at max_prepared_statements */
	uint64_t prepared_invalidations; /* statements every server must prepare afresh (stale plans) */
	uint64_t settings_syncs;	/* hidden statements bringing a server to a client's settings */
	uint64_t pins;			/* clients pinned to their server connection */
	struct stats_node nodes[STATS_MAX_NODES];
};

/*
 * The counters of the worker this thread acts as (worker.c): each worker
 * bumps its own, with no lock; readers sum them with stats_total().
 */
extern _Thread_local struct stats_registry *stats_current;
#define stats (*stats_current)

/* Every worker's counters summed (one worker: its own, no copy).  Read with the world stopped. */
const struct stats_registry *stats_total(void);

/* Upper bounds of the duration buckets, in seconds (for rendering and admin). */
extern const double stats_duration_bounds_s[STATS_DURATION_BUCKETS];

/* A completed query on NODE (config index) that took US microseconds. */
void stats_observe_query(int node, uint64_t us);
/* A causal read's wait on its replica: US long, CAUGHT_UP or not (timed out). */
void stats_observe_causal(uint64_t us, bool caught_up);
/* Map a router fallback reason string ("no_replica", "lag", "sticky", ...). */
enum stats_fallback stats_fallback_from_reason(const char *reason);

/*
 * The HTTP endpoint on [stats] listen (off when empty): /metrics, /health,
 * /ready, /status.  -1 (logged) if the address cannot be bound.
 */
int stats_http_start(struct event_base *base, const struct config *cfg);
/* Reload: rebind if [stats] listen changed; pick up a new token. */
int stats_http_reconfigure(const struct config *cfg);
void stats_http_stop(void);

/* ---- additions by the stats module's owner ---- */

/* Set started_unix if not set yet (stats_http_start calls it too). */
void stats_init(void);

/*
 * Index of the duration bucket for a query of US microseconds: the first
 * bucket whose bound is >= the duration; STATS_DURATION_BUCKETS when it is
 * longer than the last bound (then only +Inf, i.e. duration_count, holds it).
 */
int stats_duration_bucket(uint64_t us);

/* Label values used in /metrics and by the admin console. */
const char *stats_class_label(int cls);			/* "read", "ambiguous", ... */
const char *stats_target_label(enum stats_target t);	/* "primary", "replica", ... */
const char *stats_fallback_label(enum stats_fallback f);	/* "no_replica", "lag", ... */

/*
 * TLS for the endpoint: with a context, every connection speaks HTTPS
 * (the same certificate as the client side, rt.client_tls).  NULL = plain
 * HTTP.  Takes its own reference (SSL_CTX_up_ref), so the caller may free
 * or replace its context on reload.  Applies to connections accepted
 * afterwards; call it before stats_http_start() and again on reload.
 */
void stats_http_set_tls(SSL_CTX *ctx);

/*
 * The live state a scrape shows, gathered from rt and the monitor snapshot
 * by the HTTP handler, or filled by hand in unit tests.  Rendering reads
 * only a registry and a view: no globals, no clock, no I/O.
 */
enum stats_client_state {
	STATS_CL_LOGIN = 0,		/* CL_STARTUP, CL_AUTH, CL_LOGIN_WAIT */
	STATS_CL_IDLE,
	STATS_CL_WAITING,
	STATS_CL_ACTIVE,
	STATS_CLIENT_STATES,
};

struct stats_view_node {
	const char *name;
	const char *cluster;
	int index;			/* config node index: the registry's nodes[]; -1 = none */
	const char *role;		/* "primary", "replica", "unknown" */
	bool up;
	bool is_primary;		/* pgsteer sends this cluster's writes here */
	bool available;			/* availability active (not set offline by an admin) */
	bool lag_known;
	double lag_s;
	uint64_t lag_bytes;
	uint64_t wal_lsn;
	int weight;
	const char *last_error;		/* why it is down; "" when fine */
	int srv_idle, srv_active, srv_login;	/* server connections, all pools of the node */
};

struct stats_view_pool {
	const char *node;
	const char *user;
	const char *database;
	int idle, active, login, waiting;
};

struct stats_view_cluster {
	const char *name;
	const char *primary;		/* the known primary's node name; NULL if none */
	bool primary_writable;		/* monitor_primary_writable() */
	bool primary_up;
	bool split_brain;
	const char *split_a, *split_b;	/* two nodes reporting not-in-recovery (split brain) */
};

struct stats_view {
	const char *version;
	int64_t now_unix;
	bool shutting_down;
	int n_nodes;
	const struct stats_view_node *nodes;
	int n_pools;
	const struct stats_view_pool *pools;
	int n_clusters;
	const struct stats_view_cluster *clusters;
	int clients[STATS_CLIENT_STATES];
	int clients_pinned;
	int clients_resting;
	uint64_t prepared_statements;	/* distinct statements in the registry */
};

/* Label value / JSON string escaping (invalid UTF-8 becomes U+FFFD). */
void stats_escape_label(struct evbuffer *out, const char *s);
void stats_escape_json(struct evbuffer *out, const char *s);

/* Prometheus text format 0.0.4 of R and V (the whole /metrics body). */
void stats_render_metrics(struct evbuffer *out, const struct stats_registry *r,
			  const struct stats_view *v);
/* The /status JSON document. */
void stats_render_status(struct evbuffer *out, const struct stats_registry *r,
			 const struct stats_view *v);
/*
 * /ready: true if every cluster has a writable primary and no split brain;
 * otherwise false with a one-line reason ("cluster main: no primary"; several
 * clusters joined by "; ").
 */
bool stats_view_ready(const struct stats_view *v, char *reason, size_t len);

#endif
