/*
 * Statistics: the process-wide counter registry the data plane bumps (plain
 * counters per worker, from the event loop; no locks, no allocation), the
 * duration buckets, and the label names.  Rendering them, with the live
 * state, for /metrics, /status and the admin console is metrics.c's.
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

#include "log.h"
#include "monitor.h"
#include "pgsteer.h"
#include "stats.h"
#include "tenant.h"
#include "tls.h"
#include "worker.h"

static void stats_add(struct stats_registry *to, const struct stats_registry *from);

const double stats_duration_bounds_s[STATS_DURATION_BUCKETS] = {
	0.00005, 0.0001, 0.00025, 0.0005, 0.00075,
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

/* The same bounds in microseconds, so bucketing needs no floating point. */
static const uint64_t duration_bounds_us[STATS_DURATION_BUCKETS] = {
	50, 100, 250, 500, 750,
	1000, 2500, 5000, 10000, 25000, 50000,
	100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

_Static_assert(STATS_CLASSES == CLASS_CONTROL + 1, "one queries row per classify_class");

static const char *const target_labels[STATS_TARGETS] = {
	[STATS_PRIMARY] = "primary",
	[STATS_REPLICA] = "replica",
	[STATS_LOCAL] = "local",
	[STATS_REFUSED] = "refused",
};

static const char *const fallback_labels[STATS_FALLBACKS] = {
	[FALLBACK_NO_REPLICA] = "no_replica",
	[FALLBACK_LAG] = "lag",
	[FALLBACK_STICKY] = "sticky",
	[FALLBACK_OTHER] = "other",
};

/* ---------------- Public functions: the registry ---------------- */

const struct stats_registry *stats_total(void)
{
	static _Thread_local struct stats_registry sum;

	if (workers_n == 1)
		return &workers_all[0].counters;
	memset(&sum, 0, sizeof(sum));
	sum.started_unix = workers_all[0].counters.started_unix;
	WORKERS_FOREACH(w)
		stats_add(&sum, &w->counters);
	return &sum;
}

/* TO += FROM, counter by counter. */
static void stats_add(struct stats_registry *to, const struct stats_registry *from)
{
	for (int c = 0; c < STATS_CLASSES; c++)
		for (int t = 0; t < STATS_TARGETS; t++)
			to->queries[c][t] += from->queries[c][t];
	for (int f = 0; f < STATS_FALLBACKS; f++)
		to->read_fallback[f] += from->read_fallback[f];
	for (int b = 0; b < STATS_DURATION_BUCKETS; b++)
		to->duration_bucket[b] += from->duration_bucket[b];
	to->duration_count += from->duration_count;
	to->duration_sum_s += from->duration_sum_s;
	to->clients_accepted += from->clients_accepted;
	to->clients_refused += from->clients_refused;
	to->auth_failures += from->auth_failures;
	to->protocol_errors += from->protocol_errors;
	to->clients_buffer_closed += from->clients_buffer_closed;
	to->auth_throttled += from->auth_throttled;
	for (int i = 0; i < 2; i++)
		to->causal_waits[i] += from->causal_waits[i];
	for (int b = 0; b < STATS_DURATION_BUCKETS; b++)
		to->causal_bucket[b] += from->causal_bucket[b];
	to->causal_count += from->causal_count;
	to->causal_sum_s += from->causal_sum_s;
	to->bytes_from_clients += from->bytes_from_clients;
	to->bytes_to_clients += from->bytes_to_clients;
	to->prepared_parses += from->prepared_parses;
	to->prepared_reused += from->prepared_reused;
	to->prepared_deferred += from->prepared_deferred;
	to->prepared_evictions += from->prepared_evictions;
	to->prepared_invalidations += from->prepared_invalidations;
	to->settings_syncs += from->settings_syncs;
	to->pins += from->pins;
	for (int n = 0; n < STATS_MAX_NODES; n++) {
		struct stats_node *t = &to->nodes[n];
		const struct stats_node *f = &from->nodes[n];
		t->queries += f->queries;
		t->reads += f->reads;
		t->bytes_to_server += f->bytes_to_server;
		t->bytes_from_server += f->bytes_from_server;
		t->query_time_us += f->query_time_us;
		t->queries_completed += f->queries_completed;
		t->server_logins += f->server_logins;
		t->server_login_failures += f->server_login_failures;
	}
}

void stats_init(void)
{
	if (stats.started_unix == 0)
		stats.started_unix = (int64_t)time(NULL);
}

int stats_duration_bucket(uint64_t us)
{
	int lo = 0, hi = STATS_DURATION_BUCKETS;

	/* first bound >= us (buckets are "le", upper bound inclusive) */
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (us <= duration_bounds_us[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void stats_observe_causal(uint64_t us, bool caught_up)
{
	int b = stats_duration_bucket(us);

	stats.causal_waits[caught_up ? 0 : 1]++;
	if (b < STATS_DURATION_BUCKETS)
		stats.causal_bucket[b]++;
	stats.causal_count++;
	stats.causal_sum_s += (double)us / 1e6;
}

void stats_observe_query(int node, uint64_t us)
{
	int b = stats_duration_bucket(us);

	if (b < STATS_DURATION_BUCKETS)
		stats.duration_bucket[b]++;
	stats.duration_count++;
	stats.duration_sum_s += (double)us / 1e6;
	if (node >= 0 && node < STATS_MAX_NODES) {
		stats.nodes[node].query_time_us += us;
		stats.nodes[node].queries_completed++;
	}
}

enum stats_fallback stats_fallback_from_reason(const char *reason)
{
	if (!reason)
		return FALLBACK_OTHER;
	for (int i = 0; i < FALLBACK_OTHER; i++)
		if (strcmp(reason, fallback_labels[i]) == 0)
			return (enum stats_fallback)i;
	return FALLBACK_OTHER;
}

const char *stats_class_label(int cls)
{
	/* the classifier owns the class names */
	return cls >= 0 && cls < STATS_CLASSES ? classify_class_name((enum classify_class)cls) : "unknown";
}

const char *stats_target_label(enum stats_target t)
{
	return (int)t >= 0 && t < STATS_TARGETS ? target_labels[t] : "unknown";
}

const char *stats_fallback_label(enum stats_fallback f)
{
	return (int)f >= 0 && f < STATS_FALLBACKS ? fallback_labels[f] : "other";
}

