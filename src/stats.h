/*
 * Statistics: process-wide counters the data plane increments (one writer,
 * the event loop; no locks), and the HTTP stats endpoint (libevent evhttp)
 * that renders them with the live state (clients, pools, servers, monitor
 * snapshot) as Prometheus text, JSON and health/readiness answers.
 *
 * (Contract used by relay.c, client.c, server.c and admin.c; the
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

/* ---- additions by the stats module's owner ---- */

/* Set started_unix if not set yet (metrics_http_start calls it too). */
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

#endif
