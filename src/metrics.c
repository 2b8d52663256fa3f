/*
 * Metrics: the HTTP stats endpoint and what it renders.
 *
 * The evhttp server on [stats] listen: /metrics (Prometheus text 0.0.4),
 * /health, /ready, /status (JSON).  It must not stall the proxy: a request
 * is answered in one pass from memory (counters, rt's lists, the monitor's
 * immutable snapshot) into one evbuffer, with no blocking call, no query to
 * a server and nothing that grows with time; evhttp writes it out as the
 * socket allows.
 *
 * Design: a request first gathers the live state into a `struct
 * stats_view` (view_fill(), the only code here that reads rt and the
 * monitor), then pure renderers turn registry + view into text.  The
 * renderers take no globals and read no clock, so the unit tests fill a
 * registry and a view by hand and compare the exact output.  The cost of a
 * scrape is O(nodes + pools + clients): a scan of rt.clients is
 * microseconds even at max_client_conn, so the client gauges are computed
 * instead of being maintained on every state change.
 *
 * Nothing in the data plane calls this file: it reads the counters
 * (stats.c) and the state of the control plane (monitor, tenancy).
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "datamove.h"
#include "log.h"
#include "metrics.h"
#include "monitor.h"
#include "pgsteer.h"
#include "stats.h"
#include "tenant.h"
#include "tls.h"
#include "worker.h"

static const char *const client_state_labels[STATS_CLIENT_STATES] = {
	[STATS_CL_LOGIN] = "login",
	[STATS_CL_IDLE] = "idle",
	[STATS_CL_WAITING] = "waiting",
	[STATS_CL_ACTIVE] = "active",
};

/* The HTTP server.  One per process; the event loop is its only user. */
static struct {
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	char listen[300];		/* what `bound` listens on ("" = off) */
	char *token;			/* "" = no token required */
	SSL_CTX *tls;			/* NULL = plain HTTP */
} srv;

/* The view a request renders, with the storage it points into. */
struct view_storage {
	struct stats_view v;
	struct stats_view_node *nodes;
	struct stats_view_pool *pools;
	struct stats_view_cluster *clusters;
	const struct cluster_snapshot *snap;	/* node names point into it */
};

static void put_double(struct evbuffer *out, double v);
static int view_fill(struct view_storage *vs);
static void view_release(struct view_storage *vs);
static void http_request_cb(struct evhttp_request *req, void *arg);
static struct bufferevent *http_bev_cb(struct event_base *base, void *arg);
static int http_create(const struct config *cfg);
static struct evhttp_bound_socket *http_bind(const char *listen, bool quiet);
static void set_token(const char *token);

/* ---------------- Public functions: escaping ---------------- */

/*
 * Length of the valid UTF-8 sequence at S (N bytes available), 0 if the
 * bytes there are not one (overlong, surrogate, beyond U+10FFFF, cut).
 */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static const char replacement_char[] = "\xef\xbf\xbd";	/* U+FFFD */

/* Escape S into OUT: JSON=false for Prometheus label values, true for JSON. */
static void escape_into(struct evbuffer *out, const char *s, bool json)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p);
	size_t run = 0;		/* bytes from p - run to p copied verbatim at the next flush */

	while (n > 0) {
		unsigned char c = *p;
		const char *esc = NULL;
		char ubuf[8];
		size_t len = 1;

		if (c == '\\')
			esc = "\\\\";
		else if (c == '"')
			esc = "\\\"";
		else if (c == '\n')
			esc = "\\n";
		else if (json && c < 0x20) {
			switch (c) {
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			case '\b': esc = "\\b"; break;
			case '\f': esc = "\\f"; break;
			default:
				snprintf(ubuf, sizeof(ubuf), "\\u%04x", c);
				esc = ubuf;
			}
		} else if (c >= 0x80) {
			len = utf8_seq_len(p, n);
			if (len == 0) {
				esc = replacement_char;
				len = 1;
			}
		}
		if (esc) {
			if (run)
				evbuffer_add(out, p - run, run);
			run = 0;
			evbuffer_add(out, esc, strlen(esc));
		} else {
			run += len;
		}
		p += len;
		n -= len;
	}
	if (run)
		evbuffer_add(out, p - run, run);
}

void metrics_escape_label(struct evbuffer *out, const char *s)
{
	escape_into(out, s, false);
}

void metrics_escape_json(struct evbuffer *out, const char *s)
{
	escape_into(out, s, true);
}

/* ---------------- Public functions: rendering ---------------- */

/* "# HELP" and "# TYPE" of one metric family. */
static void family(struct evbuffer *out, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* NAME{k1="v1",...} for NPAIRS label pairs in KV (escaped values). */
static void sample_name(struct evbuffer *out, const char *name, const char *const *kv, int npairs)
{
	evbuffer_add(out, name, strlen(name));
	if (npairs == 0)
		return;
	evbuffer_add(out, "{", 1);
	for (int i = 0; i < npairs; i++) {
		if (i)
			evbuffer_add(out, ",", 1);
		evbuffer_add_printf(out, "%s=\"", kv[2 * i]);
		metrics_escape_label(out, kv[2 * i + 1]);
		evbuffer_add(out, "\"", 1);
	}
	evbuffer_add(out, "}", 1);
}

static void sample_u64(struct evbuffer *out, const char *name, const char *const *kv, int npairs,
		       uint64_t v)
{
	sample_name(out, name, kv, npairs);
	evbuffer_add_printf(out, " %" PRIu64 "\n", v);
}

static void sample_f64(struct evbuffer *out, const char *name, const char *const *kv, int npairs,
		       double v)
{
	sample_name(out, name, kv, npairs);
	evbuffer_add(out, " ", 1);
	put_double(out, v);
	evbuffer_add(out, "\n", 1);
}

/* One sample per node of V with label node=NAME; EXPR (of node `n`) is the value. */
#define NODE_SAMPLES(out, v, metric, expr) do { \
	for (int i_ = 0; i_ < (v)->n_nodes; i_++) { \
		const struct stats_view_node *n = &(v)->nodes[i_]; \
		const char *kv_[] = { "node", n->name }; \
		sample_f64((out), (metric), kv_, 1, (double)(expr)); \
	} \
} while (0)

/* The registry's counters of view node N, or NULL if it has none. */
static const struct stats_node *node_counters(const struct stats_registry *r,
					      const struct stats_view_node *n)
{
	return n->index >= 0 && n->index < STATS_MAX_NODES ? &r->nodes[n->index] : NULL;
}

/* Per-node counter family from the registry (nodes without counters are left out). */
static void node_counter(struct evbuffer *out, const struct stats_registry *r,
			 const struct stats_view *v, const char *name, const char *help,
			 size_t field_offset)
{
	family(out, name, "counter", help);
	for (int i = 0; i < v->n_nodes; i++) {
		const struct stats_node *c = node_counters(r, &v->nodes[i]);
		const char *kv[] = { "node", v->nodes[i].name };
		if (c)
			sample_u64(out, name, kv, 1,
				   *(const uint64_t *)((const char *)c + field_offset));
	}
}

/*
 * A histogram family NAME over the duration buckets: counts per bucket in
 * BUCKET (not cumulative), COUNT observations, SUM seconds.
 */
static void histogram(struct evbuffer *out, const char *name, const char *help,
		      const uint64_t bucket[STATS_DURATION_BUCKETS], uint64_t count, double sum)
{
	char sample[128];
	uint64_t cum = 0;

	family(out, name, "histogram", help);
	snprintf(sample, sizeof(sample), "%s_bucket", name);
	for (int b = 0; b < STATS_DURATION_BUCKETS; b++) {
		char le[32];
		const char *kv[] = { "le", le };
		cum += bucket[b];
		snprintf(le, sizeof(le), "%g", stats_duration_bounds_s[b]);
		sample_u64(out, sample, kv, 1, cum);
	}
	/* every observation is in +Inf; never below the last finite bucket */
	if (count < cum)
		count = cum;
	{
		const char *kv[] = { "le", "+Inf" };
		sample_u64(out, sample, kv, 1, count);
	}
	snprintf(sample, sizeof(sample), "%s_sum", name);
	sample_f64(out, sample, NULL, 0, sum);
	snprintf(sample, sizeof(sample), "%s_count", name);
	sample_u64(out, sample, NULL, 0, count);
}

void metrics_render(struct evbuffer *out, const struct stats_registry *r,
			  const struct stats_view *v)
{
	char reason[256];

	family(out, "pgsteer_up", "gauge", "1 while pgsteer runs.");
	sample_u64(out, "pgsteer_up", NULL, 0, 1);
	family(out, "pgsteer_info", "gauge", "Build information (value 1).");
	{
		const char *kv[] = { "version", v->version ? v->version : "" };
		sample_u64(out, "pgsteer_info", kv, 1, 1);
	}
	family(out, "pgsteer_start_time_seconds", "gauge",
	       "Start time of the process, seconds since the Unix epoch.");
	sample_u64(out, "pgsteer_start_time_seconds", NULL, 0, (uint64_t)r->started_unix);
	family(out, "pgsteer_ready", "gauge",
	       "1 when every cluster has a writable primary and no split brain (as /ready).");
	sample_u64(out, "pgsteer_ready", NULL, 0, metrics_view_ready(v, reason, sizeof(reason)));

	/* statements */
	family(out, "pgsteer_queries_total", "counter",
	       "Statements (or transactions) routed, by class and by where they went.");
	for (int c = 0; c < STATS_CLASSES; c++)
		for (int t = 0; t < STATS_TARGETS; t++) {
			const char *kv[] = { "class", stats_class_label(c), "target", stats_target_label((enum stats_target)t) };
			sample_u64(out, "pgsteer_queries_total", kv, 2, r->queries[c][t]);
		}
	family(out, "pgsteer_read_fallback_total", "counter",
	       "Reads sent to the primary because no replica was eligible, by reason.");
	for (int f = 0; f < STATS_FALLBACKS; f++) {
		const char *kv[] = { "reason", stats_fallback_label((enum stats_fallback)f) };
		sample_u64(out, "pgsteer_read_fallback_total", kv, 1, r->read_fallback[f]);
	}
	family(out, "pgsteer_causal_waits_total", "counter",
	       "Causal reads: a replica not yet seen at the session's LSN waited for it (caught_up) "
	       "or not within causal_read_timeout (timeout: the read went to the primary).");
	{
		const char *kv[] = { "result", "caught_up" };
		sample_u64(out, "pgsteer_causal_waits_total", kv, 1, r->causal_waits[0]);
		kv[1] = "timeout";
		sample_u64(out, "pgsteer_causal_waits_total", kv, 1, r->causal_waits[1]);
	}
	histogram(out, "pgsteer_causal_wait_seconds",
		  "How long causal reads waited for their replica to replay the session's LSN.",
		  r->causal_bucket, r->causal_count, r->causal_sum_s);
	histogram(out, "pgsteer_query_duration_seconds",
		  "Time from a Query or Sync to its ReadyForQuery, as seen by pgsteer.",
		  r->duration_bucket, r->duration_count, r->duration_sum_s);

	/* clients */
	family(out, "pgsteer_client_connections", "gauge", "Client connections by state.");
	for (int s = 0; s < STATS_CLIENT_STATES; s++) {
		const char *kv[] = { "state", client_state_labels[s] };
		sample_u64(out, "pgsteer_client_connections", kv, 1, (uint64_t)v->clients[s]);
	}
	family(out, "pgsteer_clients_accepted_total", "counter", "Client connections accepted.");
	sample_u64(out, "pgsteer_clients_accepted_total", NULL, 0, r->clients_accepted);
	family(out, "pgsteer_clients_refused_total", "counter",
	       "Client connections refused (max_client_conn, shutdown).");
	sample_u64(out, "pgsteer_clients_refused_total", NULL, 0, r->clients_refused);
	family(out, "pgsteer_auth_failures_total", "counter", "Failed client authentications.");
	sample_u64(out, "pgsteer_auth_failures_total", NULL, 0, r->auth_failures);
	family(out, "pgsteer_auth_throttled_total", "counter",
	       "Logins refused at once: auth_failure_limit failed logins from the address within auth_failure_window.");
	sample_u64(out, "pgsteer_auth_throttled_total", NULL, 0, r->auth_throttled);
	family(out, "pgsteer_protocol_errors_total", "counter",
	       "Client connections closed for a protocol violation.");
	sample_u64(out, "pgsteer_protocol_errors_total", NULL, 0, r->protocol_errors);
	family(out, "pgsteer_clients_incomplete_closed_total", "counter",
	       "Clients closed for an incomplete message (client_message_timeout, client_buffer_limit).");
	sample_u64(out, "pgsteer_clients_incomplete_closed_total", NULL, 0, r->clients_buffer_closed);
	family(out, "pgsteer_prepared_statements_parsed_total", "counter",
	       "Named prepared statements parsed on a server connection (by the client or by pgsteer before a Bind).");
	sample_u64(out, "pgsteer_prepared_statements_parsed_total", NULL, 0, r->prepared_parses);
	family(out, "pgsteer_prepared_statements_reused_total", "counter",
	       "Client Parse messages answered because the server connection already held the statement.");
	sample_u64(out, "pgsteer_prepared_statements_reused_total", NULL, 0, r->prepared_reused);
	family(out, "pgsteer_prepared_statements_deferred_total", "counter",
	       "Client Parse messages answered while no server connection was free; prepared at the first Bind.");
	sample_u64(out, "pgsteer_prepared_statements_deferred_total", NULL, 0, r->prepared_deferred);
	family(out, "pgsteer_prepared_statements_evicted_total", "counter",
	       "Prepared statements closed on a server connection at max_prepared_statements.");
	sample_u64(out, "pgsteer_prepared_statements_evicted_total", NULL, 0, r->prepared_evictions);
	family(out, "pgsteer_prepared_statements_invalidated_total", "counter",
	       "Prepared statements found stale (0A000 result type changed, XX000 cache lookup failed, a client's DEALLOCATE ALL "
	       "or DISCARD ALL).");
	sample_u64(out, "pgsteer_prepared_statements_invalidated_total", NULL, 0, r->prepared_invalidations);
	family(out, "pgsteer_prepared_statements", "gauge",
	       "Distinct prepared statements (text and parameter types) known to pgsteer.");
	sample_u64(out, "pgsteer_prepared_statements", NULL, 0, v->prepared_statements);
	family(out, "pgsteer_settings_syncs_total", "counter",
	       "Hidden statements that brought a server connection to a client's session settings.");
	sample_u64(out, "pgsteer_settings_syncs_total", NULL, 0, r->settings_syncs);
	family(out, "pgsteer_client_pins_total", "counter",
	       "Clients pinned to their server connection (temporary table, LISTEN, advisory lock, ...).");
	sample_u64(out, "pgsteer_client_pins_total", NULL, 0, r->pins);
	family(out, "pgsteer_clients_pinned", "gauge", "Clients currently pinned to a server connection.");
	sample_u64(out, "pgsteer_clients_pinned", NULL, 0, (uint64_t)v->clients_pinned);
	family(out, "pgsteer_clients_resting", "gauge",
	       "Idle clients whose buffers are given back until they send something.");
	sample_u64(out, "pgsteer_clients_resting", NULL, 0, (uint64_t)v->clients_resting);
	family(out, "pgsteer_bytes_total", "counter",
	       "Bytes relayed on client connections (client_in: from clients, client_out: to clients).");
	{
		const char *in[] = { "direction", "client_in" };
		const char *outd[] = { "direction", "client_out" };
		sample_u64(out, "pgsteer_bytes_total", in, 1, r->bytes_from_clients);
		sample_u64(out, "pgsteer_bytes_total", outd, 1, r->bytes_to_clients);
	}

	/* server connections */
	family(out, "pgsteer_server_connections", "gauge",
	       "Server connections per node (all pools), by state.");
	for (int i = 0; i < v->n_nodes; i++) {
		const struct stats_view_node *n = &v->nodes[i];
		const char *st[] = { "idle", "active", "login", "closing" };
		int val[] = { n->srv_idle, n->srv_active, n->srv_login, n->srv_closing };
		for (size_t k = 0; k < ARRAY_SIZE(st); k++) {
			const char *kv[] = { "node", n->name, "state", st[k] };
			sample_u64(out, "pgsteer_server_connections", kv, 2, (uint64_t)val[k]);
		}
	}

	/* nodes, from the monitor */
	family(out, "pgsteer_node_info", "gauge", "The node's cluster (value 1).");
	for (int i = 0; i < v->n_nodes; i++) {
		const char *kv[] = { "node", v->nodes[i].name, "cluster", v->nodes[i].cluster };
		sample_u64(out, "pgsteer_node_info", kv, 2, 1);
	}
	family(out, "pgsteer_node_up", "gauge", "1 if the monitor's last checks of the node succeeded.");
	NODE_SAMPLES(out, v, "pgsteer_node_up", n->up);
	family(out, "pgsteer_node_is_primary", "gauge",
	       "1 for the node pgsteer sends its cluster's writes to.");
	NODE_SAMPLES(out, v, "pgsteer_node_is_primary", n->is_primary);
	family(out, "pgsteer_node_available", "gauge",
	       "1 unless an admin set the node's availability to offline.");
	NODE_SAMPLES(out, v, "pgsteer_node_available", n->available);
	family(out, "pgsteer_node_lag_seconds", "gauge",
	       "Replication lag in seconds (0 when caught up; NaN while unknown).");
	NODE_SAMPLES(out, v, "pgsteer_node_lag_seconds", n->lag_known ? n->lag_s : NAN);
	family(out, "pgsteer_node_lag_bytes", "gauge",
	       "Replication lag in bytes of WAL behind the primary (NaN while unknown).");
	NODE_SAMPLES(out, v, "pgsteer_node_lag_bytes", n->lag_known ? (double)n->lag_bytes : NAN);
	family(out, "pgsteer_node_weight", "gauge", "Configured read weight of the node.");
	NODE_SAMPLES(out, v, "pgsteer_node_weight", n->weight);

	/* per-node counters */
	node_counter(out, r, v, "pgsteer_node_queries_total",
		     "Statements (or transactions) routed to the node.",
		     offsetof(struct stats_node, queries));
	node_counter(out, r, v, "pgsteer_node_reads_total",
		     "Of pgsteer_node_queries_total, the read-class ones.",
		     offsetof(struct stats_node, reads));
	node_counter(out, r, v, "pgsteer_node_queries_completed_total",
		     "Queries (Query or Sync to ReadyForQuery) completed on the node.",
		     offsetof(struct stats_node, queries_completed));
	family(out, "pgsteer_node_query_seconds_total", "counter",
	       "Time spent in completed queries on the node.");
	for (int i = 0; i < v->n_nodes; i++) {
		const struct stats_node *c = node_counters(r, &v->nodes[i]);
		const char *kv[] = { "node", v->nodes[i].name };
		if (c)
			sample_f64(out, "pgsteer_node_query_seconds_total", kv, 1,
				   (double)c->query_time_us / 1e6);
	}
	family(out, "pgsteer_node_bytes_total", "counter",
	       "Bytes relayed on server connections (server_in: from the server, server_out: to it).");
	for (int i = 0; i < v->n_nodes; i++) {
		const struct stats_node *c = node_counters(r, &v->nodes[i]);
		const char *in[] = { "node", v->nodes[i].name, "direction", "server_in" };
		const char *outd[] = { "node", v->nodes[i].name, "direction", "server_out" };
		if (!c)
			continue;
		sample_u64(out, "pgsteer_node_bytes_total", in, 2, c->bytes_from_server);
		sample_u64(out, "pgsteer_node_bytes_total", outd, 2, c->bytes_to_server);
	}
	node_counter(out, r, v, "pgsteer_node_server_logins_total",
		     "Server connections that logged in.",
		     offsetof(struct stats_node, server_logins));
	node_counter(out, r, v, "pgsteer_node_server_login_failures_total",
		     "Server connections that failed to log in.",
		     offsetof(struct stats_node, server_login_failures));

	/* clusters */
	family(out, "pgsteer_cluster_primary_writable", "gauge",
	       "1 if the cluster has a primary that is up and not in recovery.");
	for (int i = 0; i < v->n_clusters; i++) {
		const char *kv[] = { "cluster", v->clusters[i].name };
		sample_u64(out, "pgsteer_cluster_primary_writable", kv, 1,
			   v->clusters[i].primary_writable);
	}
	family(out, "pgsteer_cluster_split_brain", "gauge",
	       "1 while two nodes of the cluster report not-in-recovery.");
	for (int i = 0; i < v->n_clusters; i++) {
		const char *kv[] = { "cluster", v->clusters[i].name };
		sample_u64(out, "pgsteer_cluster_split_brain", kv, 1, v->clusters[i].split_brain);
	}
}

/* Tenancy (tenant.c): the metadata connection, placements, moves; nothing while tenancy is off. */
static void render_tenancy_metrics(struct evbuffer *out)
{
	struct tenant_counters tc;
	int counts[64];
	int n = rt.cfg->n_clusters < (int)ARRAY_SIZE(counts) ? rt.cfg->n_clusters : (int)ARRAY_SIZE(counts);

	tenant_counters(&tc);
	if (!tc.enabled)
		return;
	family(out, "pgsteer_metadata_up", "gauge",
	       "1 while the metadata connection is open, its schema current and LISTENing.");
	sample_u64(out, "pgsteer_metadata_up", NULL, 0, tc.metadata_up);
	family(out, "pgsteer_tenants", "gauge", "Tenants placed on each cluster (cached placement).");
	tenant_count_by_cluster(counts, n);
	for (int i = 0; i < n; i++) {
		const char *kv[] = { "cluster", rt.cfg->clusters[i].name };
		sample_u64(out, "pgsteer_tenants", kv, 1, (uint64_t)counts[i]);
	}
	family(out, "pgsteer_tenant_moves_total", "counter",
	       "TENANT MOVE run by this instance, by result (moved, rolled_back).");
	{
		const char *moved[] = { "result", "moved" };
		const char *back[] = { "result", "rolled_back" };
		sample_u64(out, "pgsteer_tenant_moves_total", moved, 1, tc.moves_done);
		sample_u64(out, "pgsteer_tenant_moves_total", back, 1, tc.moves_rolled_back);
	}
	family(out, "pgsteer_tenant_holds_total", "counter",
	       "Times a transaction of a moving tenant was held at its start.");
	sample_u64(out, "pgsteer_tenant_holds_total", NULL, 0, tc.statements_held);
	{
		uint64_t done, failed, cancelled;
		int running[DMOVE_CLEANUP + 1];
		const char *d[] = { "result", "done" };
		const char *f[] = { "result", "failed" };
		const char *c[] = { "result", "cancelled" };

		dmove_counts(&done, &failed, &cancelled, running);
		family(out, "pgsteer_tenant_data_moves_total", "counter",
		       "TENANT MOVE ... WITH DATA run by this instance, by result (done, failed, cancelled).");
		sample_u64(out, "pgsteer_tenant_data_moves_total", d, 1, done);
		sample_u64(out, "pgsteer_tenant_data_moves_total", f, 1, failed);
		sample_u64(out, "pgsteer_tenant_data_moves_total", c, 1, cancelled);
		family(out, "pgsteer_tenant_data_moves_running", "gauge",
		       "Data moves of this instance not finished yet, by phase.");
		for (int p = 0; p <= DMOVE_CLEANUP; p++) {
			const char *kv[] = { "phase", dmove_phase_name((enum dmove_phase)p) };
			sample_u64(out, "pgsteer_tenant_data_moves_running", kv, 1, (uint64_t)running[p]);
		}
	}
}

/* JSON: "KEY":"escaped" */
static void json_str(struct evbuffer *out, const char *key, const char *val)
{
	evbuffer_add_printf(out, "\"%s\":\"", key);
	metrics_escape_json(out, val);
	evbuffer_add(out, "\"", 1);
}

/* JSON: a number, or null when not finite. */
static void json_num(struct evbuffer *out, double v)
{
	if (isfinite(v))
		put_double(out, v);
	else
		evbuffer_add(out, "null", 4);
}

void metrics_render_status(struct evbuffer *out, const struct stats_registry *r,
			 const struct stats_view *v)
{
	char reason[512];
	bool ready = metrics_view_ready(v, reason, sizeof(reason));
	int64_t uptime = r->started_unix > 0 && v->now_unix > r->started_unix ?
		v->now_unix - r->started_unix : 0;

	evbuffer_add(out, "{", 1);
	json_str(out, "version", v->version ? v->version : "");
	evbuffer_add_printf(out, ",\"uptime_s\":%" PRId64 ",\"started_unix\":%" PRId64,
			    uptime, r->started_unix);
	evbuffer_add_printf(out, ",\"ready\":%s,", ready ? "true" : "false");
	if (ready)
		evbuffer_add_printf(out, "\"ready_reason\":null");
	else
		json_str(out, "ready_reason", reason);

	evbuffer_add(out, ",\"clusters\":[", 13);
	for (int i = 0; i < v->n_clusters; i++) {
		const struct stats_view_cluster *c = &v->clusters[i];
		evbuffer_add(out, i ? ",{" : "{", i ? 2 : 1);
		json_str(out, "name", c->name);
		if (c->primary) {
			evbuffer_add(out, ",", 1);
			json_str(out, "primary", c->primary);
		} else {
			evbuffer_add_printf(out, ",\"primary\":null");
		}
		evbuffer_add_printf(out, ",\"primary_writable\":%s,\"split_brain\":%s}",
				    c->primary_writable ? "true" : "false",
				    c->split_brain ? "true" : "false");
	}

	evbuffer_add(out, "],\"nodes\":[", 11);
	for (int i = 0; i < v->n_nodes; i++) {
		const struct stats_view_node *n = &v->nodes[i];
		const struct stats_node *c = node_counters(r, n);
		char lsn[32];

		snprintf(lsn, sizeof(lsn), "%X/%X", (unsigned)(n->wal_lsn >> 32),
			 (unsigned)(n->wal_lsn & 0xffffffffu));
		evbuffer_add(out, i ? ",{" : "{", i ? 2 : 1);
		json_str(out, "name", n->name);
		evbuffer_add(out, ",", 1);
		json_str(out, "cluster", n->cluster);
		evbuffer_add(out, ",", 1);
		json_str(out, "role", n->role);
		evbuffer_add_printf(out, ",\"up\":%s,\"primary\":%s,\"available\":%s,\"weight\":%d",
				    n->up ? "true" : "false", n->is_primary ? "true" : "false",
				    n->available ? "true" : "false", n->weight);
		evbuffer_add(out, ",\"lag_s\":", 9);
		json_num(out, n->lag_known ? n->lag_s : NAN);
		evbuffer_add(out, ",\"lag_bytes\":", 13);
		json_num(out, n->lag_known ? (double)n->lag_bytes : NAN);
		evbuffer_add(out, ",", 1);
		json_str(out, "wal_lsn", lsn);
		evbuffer_add(out, ",", 1);
		json_str(out, "last_error", n->last_error ? n->last_error : "");
		evbuffer_add_printf(out, ",\"server_connections\":{\"idle\":%d,\"active\":%d,\"login\":%d,"
				    "\"closing\":%d}", n->srv_idle, n->srv_active, n->srv_login, n->srv_closing);
		if (c)
			evbuffer_add_printf(out, ",\"queries\":%" PRIu64 ",\"reads\":%" PRIu64,
					    c->queries, c->reads);
		evbuffer_add(out, "}", 1);
	}

	evbuffer_add(out, "],\"pools\":[", 11);
	for (int i = 0; i < v->n_pools; i++) {
		const struct stats_view_pool *p = &v->pools[i];
		evbuffer_add(out, i ? ",{" : "{", i ? 2 : 1);
		json_str(out, "node", p->node);
		evbuffer_add(out, ",", 1);
		json_str(out, "user", p->user);
		evbuffer_add(out, ",", 1);
		json_str(out, "database", p->database);
		evbuffer_add_printf(out, ",\"idle\":%d,\"active\":%d,\"login\":%d,\"closing\":%d,"
				    "\"waiting\":%d}", p->idle, p->active, p->login, p->closing, p->waiting);
	}
	evbuffer_add(out, "],\"clients\":{", 13);
	for (int s = 0; s < STATS_CLIENT_STATES; s++)
		evbuffer_add_printf(out, "%s\"%s\":%d", s ? "," : "", client_state_labels[s],
				    v->clients[s]);
	evbuffer_add(out, "}}\n", 3);
}

/* Append "; " (after the first part) and a formatted part to REASON. */
static void reason_add(char *reason, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void reason_add(char *reason, size_t len, const char *fmt, ...)
{
	size_t used = strlen(reason);
	va_list ap;

	if (used + 1 >= len)
		return;
	if (used) {
		snprintf(reason + used, len - used, "; ");
		used = strlen(reason);
	}
	va_start(ap, fmt);
	vsnprintf(reason + used, len - used, fmt, ap);
	va_end(ap);
}

bool metrics_view_ready(const struct stats_view *v, char *reason, size_t len)
{
	if (len)
		reason[0] = '\0';
	if (v->shutting_down) {
		snprintf(reason, len, "shutting down");
		return false;
	}
	if (v->n_clusters == 0) {
		snprintf(reason, len, "no cluster configured");
		return false;
	}
	for (int i = 0; i < v->n_clusters; i++) {
		const struct stats_view_cluster *c = &v->clusters[i];
		if (c->split_brain && c->split_a && c->split_b)
			reason_add(reason, len, "cluster %s: split brain between %s and %s",
				   c->name, c->split_a, c->split_b);
		else if (c->split_brain)
			reason_add(reason, len, "cluster %s: split brain", c->name);
		else if (!c->primary)
			reason_add(reason, len, "cluster %s: no primary", c->name);
		else if (!c->primary_up)
			reason_add(reason, len, "cluster %s: primary %s is down", c->name, c->primary);
		else if (!c->primary_writable)
			reason_add(reason, len, "cluster %s: primary %s is in recovery", c->name,
				   c->primary);
	}
	return len == 0 || reason[0] == '\0';
}

/* ---------------- Public functions: the HTTP endpoint ---------------- */

int metrics_http_start(struct event_base *base, const struct config *cfg)
{
	stats_init();
	srv.base = base;
	set_token(cfg->stats_token);
	if (!cfg->stats_listen || !cfg->stats_listen[0]) {
		log_info("stats endpoint off ([stats] listen is empty)");
		return 0;
	}
	return http_create(cfg);
}

int metrics_http_reconfigure(const struct config *cfg)
{
	const char *listen = cfg->stats_listen ? cfg->stats_listen : "";
	struct evhttp_bound_socket *nb;

	set_token(cfg->stats_token);
	if (strcmp(listen, srv.listen) == 0)
		return 0;
	if (!listen[0]) {
		log_info("stats endpoint on %s stopped ([stats] listen is now empty)", srv.listen);
		if (srv.http)
			evhttp_free(srv.http);
		srv.http = NULL;
		srv.bound = NULL;
		srv.listen[0] = '\0';
		return 0;
	}
	if (!srv.http)
		return srv.base ? http_create(cfg) : -1;
	/* bind the new address first: on failure the old one keeps serving */
	nb = http_bind(listen, true);
	if (!nb && errno == EADDRINUSE && srv.bound) {
		/* same port on another host address (127.0.0.1 -> *): free it first */
		evhttp_del_accept_socket(srv.http, srv.bound);
		srv.bound = NULL;
		nb = http_bind(listen, false);
		if (!nb) {
			srv.bound = http_bind(srv.listen, false);
			if (!srv.bound) {
				log_error("stats endpoint stopped: cannot listen on %s nor again on %s",
					  listen, srv.listen);
				srv.listen[0] = '\0';
			}
			return -1;
		}
	}
	if (!nb) {
		log_error("stats: cannot listen on %s: %s; staying on %s", listen,
			  strerror(errno ? errno : EADDRNOTAVAIL), srv.listen);
		return -1;
	}
	if (srv.bound)
		evhttp_del_accept_socket(srv.http, srv.bound);
	log_info("stats endpoint moved from %s to %s", srv.listen, listen);
	srv.bound = nb;
	snprintf(srv.listen, sizeof(srv.listen), "%s", listen);
	return 0;
}

void metrics_http_stop(void)
{
	if (srv.http)
		evhttp_free(srv.http);
	srv.http = NULL;
	srv.bound = NULL;
	srv.listen[0] = '\0';
	free(srv.token);
	srv.token = NULL;
	if (srv.tls)
		SSL_CTX_free(srv.tls);
	srv.tls = NULL;
	srv.base = NULL;
}

void metrics_http_set_tls(SSL_CTX *ctx)
{
	if (ctx == srv.tls)
		return;
	if (ctx)
		SSL_CTX_up_ref(ctx);
	if (srv.tls)
		SSL_CTX_free(srv.tls);
	srv.tls = ctx;
}

/* ---------------- Internal functions ---------------- */

/* Prometheus/JSON number: shortest round-trip-ish form; NaN and infinities by name. */
static void put_double(struct evbuffer *out, double v)
{
	if (isnan(v))
		evbuffer_add(out, "NaN", 3);
	else if (isinf(v))
		evbuffer_add(out, v > 0 ? "+Inf" : "-Inf", 4);
	else
		evbuffer_add_printf(out, "%.15g", v);
}

static void set_token(const char *token)
{
	char *copy = strdup(token ? token : "");

	if (!copy) {
		log_error("stats: out of memory copying [stats] token; keeping the previous one");
		return;
	}
	free(srv.token);
	srv.token = copy;
}

/* Split "HOST:PORT" / "[V6]:PORT" (validated by config.c); "*" = all addresses. */
static bool split_hostport(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon;
	size_t hl;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':')
			return false;
		hl = (size_t)(rb - s - 1);
		s++;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return false;
		hl = (size_t)(colon - s);
	}
	if (hl + 1 > hostlen)
		return false;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (strcmp(host, "*") == 0 || host[0] == '\0')
		snprintf(host, hostlen, "0.0.0.0");
	long p = strtol(colon + 1, NULL, 10);
	if (p < 1 || p > 65535)
		return false;
	*port = (uint16_t)p;
	return true;
}

/* Bind LISTEN on srv.http; NULL with errno set (and logged unless QUIET). */
static struct evhttp_bound_socket *http_bind(const char *listen, bool quiet)
{
	char host[256];
	uint16_t port;
	struct evhttp_bound_socket *b;
	int err;

	if (!split_hostport(listen, host, sizeof(host), &port)) {
		log_error("stats: bad [stats] listen address \"%s\"", listen);
		errno = EINVAL;
		return NULL;
	}
	errno = 0;
	b = evhttp_bind_socket_with_handle(srv.http, host, port);
	if (!b) {
		err = errno ? errno : EADDRNOTAVAIL;
		if (!quiet)
			log_error("stats: cannot listen on %s: %s", listen, strerror(err));
		errno = err;
	}
	return b;
}

/* Create the evhttp server and bind [stats] listen. */
static int http_create(const struct config *cfg)
{
	srv.http = evhttp_new(srv.base);
	if (!srv.http) {
		log_error("stats: cannot create the HTTP server");
		return -1;
	}
	evhttp_set_gencb(srv.http, http_request_cb, NULL);
	evhttp_set_bevcb(srv.http, http_bev_cb, NULL);
	/* let every method reach http_request_cb, which answers 405 (evhttp would say 501) */
	evhttp_set_allowed_methods(srv.http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
				   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
				   EVHTTP_REQ_PATCH);
	evhttp_set_timeout(srv.http, 10);		/* seconds: idle/slow scrapers */
	evhttp_set_max_headers_size(srv.http, 16384);
	evhttp_set_max_body_size(srv.http, 4096);
	srv.bound = http_bind(cfg->stats_listen, false);
	if (!srv.bound) {
		evhttp_free(srv.http);
		srv.http = NULL;
		return -1;
	}
	snprintf(srv.listen, sizeof(srv.listen), "%s", cfg->stats_listen);
	log_info("stats endpoint listening on %s (%s%s)", srv.listen, srv.tls ? "https" : "http",
		 srv.token && srv.token[0] ? ", token required" : "");
	return 0;
}

/* Each accepted connection: TLS if a context is set, else evhttp's default socket. */
static struct bufferevent *http_bev_cb(struct event_base *base, void *arg)
{
	SSL *ssl;
	struct bufferevent *bev;

	UNUSED(arg);
	if (!srv.tls)
		return NULL;
	ssl = SSL_new(srv.tls);
	if (!ssl) {
		log_warning("stats: SSL_new failed: %s", tls_last_error());
		return NULL;	/* evhttp falls back to plain HTTP; the TLS client's hello fails */
	}
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* True if the request carries "Authorization: Bearer <token>" (or none is required). */
static bool http_authorized(struct evhttp_request *req)
{
	const char *h, *p;
	size_t tl;

	if (!srv.token || !srv.token[0])
		return true;
	h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	for (p = h + 7; *p == ' '; p++)
		;
	tl = strlen(srv.token);
	return strlen(p) == tl && CRYPTO_memcmp(p, srv.token, tl) == 0;
}

static void http_reply(struct evhttp_request *req, int code, const char *phrase,
		       const char *ctype, struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, code, phrase, body);
}

#define TEXT_PLAIN "text/plain; charset=utf-8"

static void http_request_stopped(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct evbuffer *out = evbuffer_new();
	struct view_storage vs;
	char reason[512];

	UNUSED(arg);
	if (!path || !path[0])
		path = "/";
	if (log_enabled(LOG_LVL_DEBUG)) {
		struct evhttp_connection *conn = evhttp_request_get_connection(req);
		char *peer = NULL;
		ev_uint16_t port = 0;
		if (conn)
			evhttp_connection_get_peer(conn, &peer, &port);
		log_debug("stats: request %s from %s:%u", path, peer ? peer : "?", port);
	}
	if (!out) {
		evhttp_send_error(req, 500, "Internal Server Error");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		evbuffer_add_printf(out, "only GET and HEAD\n");
		http_reply(req, 405, "Method Not Allowed", TEXT_PLAIN, out);
	} else if (strcmp(path, "/health") == 0) {
		evbuffer_add(out, "ok\n", 3);
		http_reply(req, 200, "OK", TEXT_PLAIN, out);
	} else if (!http_authorized(req)) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
				  "Bearer realm=\"pgsteer\"");
		evbuffer_add_printf(out, "missing or wrong bearer token ([stats] token)\n");
		http_reply(req, 401, "Unauthorized", TEXT_PLAIN, out);
	} else if (strcmp(path, "/metrics") != 0 && strcmp(path, "/ready") != 0 &&
		   strcmp(path, "/status") != 0) {
		evbuffer_add_printf(out, "not found; try /metrics, /health, /ready or /status\n");
		http_reply(req, 404, "Not Found", TEXT_PLAIN, out);
	} else if (view_fill(&vs) < 0) {
		evbuffer_add_printf(out, "out of memory\n");
		http_reply(req, 500, "Internal Server Error", TEXT_PLAIN, out);
	} else {
		if (strcmp(path, "/metrics") == 0) {
			metrics_render(out, stats_total(), &vs.v);
			render_tenancy_metrics(out);
			http_reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", out);
		} else if (strcmp(path, "/status") == 0) {
			metrics_render_status(out, stats_total(), &vs.v);
			http_reply(req, 200, "OK", "application/json", out);
		} else if (metrics_view_ready(&vs.v, reason, sizeof(reason))) {
			evbuffer_add(out, "ready\n", 6);
			http_reply(req, 200, "OK", TEXT_PLAIN, out);
		} else {
			evbuffer_add_printf(out, "%s\n", reason);
			http_reply(req, 503, "Service Unavailable", TEXT_PLAIN, out);
		}
		view_release(&vs);
	}
	evbuffer_free(out);
}

/* A scrape reads every worker's counters and objects: with the workers parked (worker.h). */
static void http_request_cb(struct evhttp_request *req, void *arg)
{
	world_stop();
	http_request_stopped(req, arg);
	world_start();
}

/* Map a client's state to its gauge; -1 for closing ones (not counted). */
static int client_gauge(enum client_state s)
{
	switch (s) {
	case CL_STARTUP:
	case CL_AUTH_LOOKUP:
	case CL_AUTH:
	case CL_LOGIN_WAIT:
		return STATS_CL_LOGIN;
	case CL_IDLE:
		return STATS_CL_IDLE;
	case CL_WAITING:
		return STATS_CL_WAITING;
	case CL_ACTIVE:
		return STATS_CL_ACTIVE;
	case CL_FLUSHING:
	case CL_CLOSED:
		break;
	}
	return -1;
}

/* Name of config cluster I, tolerating a snapshot older than a reload. */
static const char *cluster_name(int i)
{
	return rt.cfg && i >= 0 && i < rt.cfg->n_clusters ? rt.cfg->clusters[i].name : "?";
}

/*
 * The view's row for POOL's node, user and database: every worker has a
 * pool of its own for them, and a scrape shows one series each.
 */
static struct stats_view_pool *view_pool(struct view_storage *vs, int *n, const struct pool *pool)
{
	struct stats_view_pool *vp;

	for (int i = 0; i < *n; i++) {
		vp = &vs->pools[i];
		if (strcmp(vp->node, pool->node_name) == 0 && strcmp(vp->user, pool->user) == 0 &&
		    strcmp(vp->database, pool->database) == 0)
			return vp;
	}
	vp = &vs->pools[(*n)++];
	vp->node = pool->node_name;
	vp->user = pool->user;
	vp->database = pool->database;
	return vp;
}

/* Gather the live state from rt and the monitor snapshot (one pass each). */
static int view_fill(struct view_storage *vs)
{
	const struct cluster_snapshot *snap;
	struct list *it;
	int n_nodes, n_pools = 0, n_clusters;

	memset(vs, 0, sizeof(*vs));
	snap = rt.monitor ? monitor_snapshot_get(rt.monitor) : NULL;
	vs->snap = snap;
	n_nodes = snap ? snap->n_nodes : 0;
	n_clusters = rt.cfg ? rt.cfg->n_clusters : 0;
	WORKERS_AS_EACH(w) {
		list_for_each(it, &rt.pools)
			n_pools++;
	}

	vs->nodes = calloc((size_t)n_nodes + 1, sizeof(*vs->nodes));
	vs->pools = calloc((size_t)n_pools + 1, sizeof(*vs->pools));
	vs->clusters = calloc((size_t)n_clusters + 1, sizeof(*vs->clusters));
	if (!vs->nodes || !vs->pools || !vs->clusters) {
		view_release(vs);
		return -1;
	}

	for (int i = 0; i < n_nodes; i++) {
		const struct node_status *ns = &snap->nodes[i];
		struct stats_view_node *n = &vs->nodes[i];
		n->name = ns->name;
		n->cluster = cluster_name(ns->cluster_index);
		n->index = i;
		n->role = monitor_role_name(ns->role);
		n->up = ns->up;
		n->is_primary = ns->role == ROLE_PRIMARY;
		n->available = ns->availability == AVAIL_ACTIVE;
		n->lag_known = ns->lag_known;
		n->lag_s = ns->lag_s;
		n->lag_bytes = ns->lag_bytes;
		n->wal_lsn = ns->wal_lsn;
		n->weight = ns->weight;
		n->last_error = ns->up ? "" : ns->last_error;
	}

	for (int ci = 0; ci < n_clusters; ci++) {
		struct stats_view_cluster *c = &vs->clusters[ci];
		c->name = cluster_name(ci);
		if (!snap || ci >= snap->n_clusters)
			continue;
		int p = snap->primary[ci];
		if (p >= 0 && p < n_nodes) {
			c->primary = snap->nodes[p].name;
			c->primary_up = snap->nodes[p].up;
		}
		c->primary_writable = monitor_primary_writable(snap, ci);
		c->split_brain = snap->split_brain[ci];
		if (c->split_brain) {
			for (int i = 0; i < n_nodes; i++) {
				const struct node_status *ns = &snap->nodes[i];
				if (ns->cluster_index != ci || !ns->up || ns->in_recovery)
					continue;
				if (!c->split_a)
					c->split_a = ns->name;
				else if (!c->split_b)
					c->split_b = ns->name;
			}
		}
	}

	n_pools = 0;
	WORKERS_AS_EACH(w) {
		list_for_each(it, &rt.pools) {
			const struct pool *pool = container_of(it, struct pool, head);
			struct stats_view_pool *vp = view_pool(vs, &n_pools, pool);
			vp->idle += pool->n_idle;
			vp->active += pool->n_active;
			vp->login += pool->n_login;
			vp->closing += pool->n_closing;
			vp->waiting += pool->n_waiting;
			for (int i = 0; i < n_nodes; i++) {
				struct stats_view_node *n = &vs->nodes[i];
				if (strcmp(n->name, pool->node_name) == 0) {
					n->srv_idle += pool->n_idle;
					n->srv_active += pool->n_active;
					n->srv_login += pool->n_login;
					n->srv_closing += pool->n_closing;
					break;
				}
			}
		}
		list_for_each(it, &rt.clients) {
			const struct client *c = container_of(it, struct client, head);
			int g = client_gauge(c->state);
			if (g >= 0)
				vs->v.clients[g]++;
			if (c->pinned)
				vs->v.clients_pinned++;
			if (!c->bev)	/* resting (client.c client_rest()) */
				vs->v.clients_resting++;
		}
	}
	vs->v.prepared_statements = prepared_count();

	vs->v.version = PGSTEER_VERSION_STR;
	vs->v.now_unix = (int64_t)time(NULL);
	vs->v.shutting_down = rt.shutting_down;
	vs->v.n_nodes = n_nodes;
	vs->v.nodes = vs->nodes;
	vs->v.n_pools = n_pools;
	vs->v.pools = vs->pools;
	vs->v.n_clusters = n_clusters;
	vs->v.clusters = vs->clusters;
	return 0;
}

static void view_release(struct view_storage *vs)
{
	free(vs->nodes);
	free(vs->pools);
	free(vs->clusters);
	if (vs->snap)
		monitor_snapshot_put(vs->snap);
	memset(vs, 0, sizeof(*vs));
}
