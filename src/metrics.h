/*
 * The HTTP stats endpoint and its renderers (metrics.c): /metrics,
 * /health, /ready, /status, from the counters (stats.h) and a view of the
 * live state.
 */
#ifndef PGSTEER_METRICS_H
#define PGSTEER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "stats.h"

struct config;

/*
 * The HTTP endpoint on [stats] listen (off when empty): /metrics, /health,
 * /ready, /status.  -1 (logged) if the address cannot be bound.
 */
int metrics_http_start(struct event_base *base, const struct config *cfg);
/* Reload: rebind if [stats] listen changed; pick up a new token. */
int metrics_http_reconfigure(const struct config *cfg);
void metrics_http_stop(void);

/*
 * TLS for the endpoint: with a context, every connection speaks HTTPS
 * (the same certificate as the client side, rt.client_tls).  NULL = plain
 * HTTP.  Takes its own reference (SSL_CTX_up_ref), so the caller may free
 * or replace its context on reload.  Applies to connections accepted
 * afterwards; call it before metrics_http_start() and again on reload.
 */
void metrics_http_set_tls(SSL_CTX *ctx);

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
	int srv_idle, srv_active, srv_login, srv_closing;	/* server connections, all pools of the node */
};

struct stats_view_pool {
	const char *node;
	const char *user;
	const char *database;
	int idle, active, login, closing, waiting;
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
void metrics_escape_label(struct evbuffer *out, const char *s);
void metrics_escape_json(struct evbuffer *out, const char *s);

/* Prometheus text format 0.0.4 of R and V (the whole /metrics body). */
void metrics_render(struct evbuffer *out, const struct stats_registry *r,
			  const struct stats_view *v);
/* The /status JSON document. */
void metrics_render_status(struct evbuffer *out, const struct stats_registry *r,
			 const struct stats_view *v);
/*
 * /ready: true if every cluster has a writable primary and no split brain;
 * otherwise false with a one-line reason ("cluster main: no primary"; several
 * clusters joined by "; ").
 */
bool metrics_view_ready(const struct stats_view *v, char *reason, size_t len);

#endif
