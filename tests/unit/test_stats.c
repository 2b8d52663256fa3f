/*
 * Unit tests for stats.c's pure parts: duration bucket assignment, the
 * registry updates of stats_observe_query(), fallback reason mapping,
 * Prometheus label and JSON string escaping, and the exact /metrics,
 * /status and /ready output for a registry and a view filled by hand (no
 * daemon, no sockets).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <cmocka.h>

#include <event2/buffer.h>

#include "metrics.h"
#include "stats.h"

/* ---------------- helpers ---------------- */

/* The contents of OUT as a NUL-terminated string (caller frees); OUT is freed. */
static char *drain(struct evbuffer *out)
{
	size_t n = evbuffer_get_length(out);
	char *s = malloc(n + 1);

	assert_non_null(s);
	evbuffer_remove(out, s, n);
	s[n] = '\0';
	evbuffer_free(out);
	return s;
}

static char *label(const char *in)
{
	struct evbuffer *b = evbuffer_new();
	metrics_escape_label(b, in);
	return drain(b);
}

static char *json(const char *in)
{
	struct evbuffer *b = evbuffer_new();
	metrics_escape_json(b, in);
	return drain(b);
}

/* True if TEXT has LINE as a whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t l = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[l] == '\n')
			return true;
	return false;
}

/* ---- a small checker of the Prometheus text format 0.0.4 ---- */

static bool name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' ||
	       (!first && isdigit((unsigned char)c));
}

/* Parse one sample line; copies the metric name into NAME. */
static bool sample_line_ok(const char *line, char *name, size_t namelen)
{
	const char *p = line;
	size_t n = 0;

	if (!name_char(*p, true))
		return false;
	while (name_char(*p, false)) {
		if (n + 1 < namelen)
			name[n++] = *p;
		p++;
	}
	name[n] = '\0';
	if (*p == '{') {
		p++;
		while (*p != '}') {
			if (!name_char(*p, true))
				return false;
			while (name_char(*p, false))
				p++;
			if (*p++ != '=' || *p++ != '"')
				return false;
			while (*p != '"') {
				if (*p == '\0' || *p == '\n')
					return false;
				if (*p == '\\') {
					p++;
					if (*p != '\\' && *p != '"' && *p != 'n')
						return false;
				}
				p++;
			}
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				return false;
		}
		p++;
	}
	if (*p++ != ' ')
		return false;
	if (strcmp(p, "NaN") == 0 || strcmp(p, "+Inf") == 0 || strcmp(p, "-Inf") == 0)
		return true;
	char *end;
	strtod(p, &end);
	return end != p && *end == '\0';
}

/*
 * Every line is a HELP, a TYPE or a sample; every sample belongs to the
 * family of the last TYPE line (name, or name_bucket/_sum/_count for a
 * histogram); HELP comes right before TYPE; no family appears twice.
 * Returns the number of families.
 */
static int check_exposition(const char *text)
{
	char *copy = strdup(text), *save = NULL, *line;
	char family[128] = "", type[32] = "", help_for[128] = "";
	char seen[64][128];
	int n_seen = 0;

	assert_non_null(copy);
	assert_true(text[0] && text[strlen(text) - 1] == '\n');
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];
		if (strncmp(line, "# HELP ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s", help_for), 1);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s %31s", family, type), 2);
			assert_string_equal(help_for, family);
			assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
				    strcmp(type, "histogram") == 0);
			for (int i = 0; i < n_seen; i++)
				assert_string_not_equal(seen[i], family);
			assert_true(n_seen < 64);
			snprintf(seen[n_seen++], sizeof(seen[0]), "%s", family);
			continue;
		}
		assert_true(line[0] != '#');
		if (!sample_line_ok(line, name, sizeof(name)))
			fail_msg("not a sample line: %s", line);
		assert_true(strncmp(name, "pgsteer_", 8) == 0);
		if (strcmp(type, "histogram") == 0) {
			size_t fl = strlen(family);
			assert_true(strncmp(name, family, fl) == 0);
			assert_true(strcmp(name + fl, "_bucket") == 0 || strcmp(name + fl, "_sum") == 0 ||
				    strcmp(name + fl, "_count") == 0);
		} else {
			assert_string_equal(name, family);
		}
		if (strcmp(type, "counter") == 0)
			assert_true(strlen(name) > 6 && strcmp(name + strlen(name) - 6, "_total") == 0);
	}
	free(copy);
	return n_seen;
}

/* ---- a small JSON well-formedness checker ---- */

static const char *js_value(const char *p);

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)p[i]))
						return NULL;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
				return NULL;
			}
		}
		p++;
	}
	return p + 1;
}

static const char *js_value(const char *p)
{
	p = js_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';
		p = js_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = js_string(js_ws(p));
				if (!p)
					return NULL;
				p = js_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = js_value(p);
			if (!p)
				return NULL;
			p = js_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return js_string(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	{
		char *end;
		if (*p != '-' && !isdigit((unsigned char)*p))
			return NULL;
		strtod(p, &end);
		return end == p ? NULL : end;
	}
}

static bool json_ok(const char *s)
{
	const char *end = js_value(s);
	return end && *js_ws(end) == '\0';
}

/* ---- a registry and a view like a small live system ---- */

static struct stats_registry reg;
static struct stats_view_node nodes[3];
static struct stats_view_pool pools[2];
static struct stats_view_cluster clusters[1];
static struct stats_view view;

static int setup_view(void **state)
{
	(void)state;
	memset(&reg, 0, sizeof(reg));
	reg.started_unix = 1700000000;
	reg.queries[CLASS_READ][STATS_REPLICA] = 5;
	reg.queries[CLASS_WRITE][STATS_PRIMARY] = 3;
	reg.read_fallback[FALLBACK_LAG] = 2;
	reg.duration_bucket[0] = 1;	/* <= 50us */
	reg.duration_bucket[5] = 4;	/* <= 1ms */
	reg.duration_bucket[17] = 1;	/* <= 10s */
	reg.duration_count = 7;		/* one beyond 10s */
	reg.duration_sum_s = 20.5;
	reg.clients_accepted = 11;
	reg.clients_refused = 1;
	reg.auth_failures = 2;
	reg.protocol_errors = 3;
	reg.bytes_from_clients = 1000;
	reg.bytes_to_clients = 5000;
	reg.nodes[0].queries = 3;
	reg.nodes[1].queries = 5;
	reg.nodes[1].reads = 5;
	reg.nodes[1].bytes_from_server = 700;
	reg.nodes[1].bytes_to_server = 70;
	reg.nodes[1].query_time_us = 1500000;
	reg.nodes[1].queries_completed = 5;

	memset(nodes, 0, sizeof(nodes));
	nodes[0] = (struct stats_view_node){ .name = "main1", .cluster = "main", .index = 0,
		.role = "primary", .up = true, .is_primary = true, .available = true,
		.lag_known = true, .wal_lsn = 0x16B3740, .weight = 1, .last_error = "",
		.srv_idle = 2, .srv_active = 1 };
	nodes[1] = (struct stats_view_node){ .name = "main2", .cluster = "main", .index = 1,
		.role = "replica", .up = true, .available = true, .lag_known = true,
		.lag_s = 0.25, .lag_bytes = 4096, .wal_lsn = 0x100000000ull, .weight = 2,
		.last_error = "", .srv_login = 1, .srv_closing = 3 };
	nodes[2] = (struct stats_view_node){ .name = "we\"ird\\node", .cluster = "main", .index = 70,
		.role = "unknown", .up = false, .available = false, .lag_known = false,
		.weight = 1, .last_error = "connection refused\n\tport 5434" };
	pools[0] = (struct stats_view_pool){ "main1", "app", "db", 2, 1, 0, 1, 4 };
	pools[1] = (struct stats_view_pool){ "main2", "us\"er", "d\x01" "b", 0, 0, 1, 0, 0 };
	clusters[0] = (struct stats_view_cluster){ .name = "main", .primary = "main1",
		.primary_writable = true, .primary_up = true };
	memset(&view, 0, sizeof(view));
	view.version = "0.1.0";
	view.now_unix = 1700000100;
	view.n_nodes = 3;
	view.nodes = nodes;
	view.n_pools = 2;
	view.pools = pools;
	view.n_clusters = 1;
	view.clusters = clusters;
	view.clients[STATS_CL_LOGIN] = 1;
	view.clients[STATS_CL_IDLE] = 7;
	view.clients[STATS_CL_WAITING] = 4;
	view.clients[STATS_CL_ACTIVE] = 2;
	return 0;
}

static char *metrics(void)
{
	struct evbuffer *b = evbuffer_new();
	metrics_render(b, &reg, &view);
	return drain(b);
}

static char *status(void)
{
	struct evbuffer *b = evbuffer_new();
	metrics_render_status(b, &reg, &view);
	return drain(b);
}

/* ---------------- bucket assignment and the registry ---------------- */

static void test_bounds_table(void **state)
{
	(void)state;
	assert_true(stats_duration_bounds_s[0] == 0.00005);
	assert_true(stats_duration_bounds_s[STATS_DURATION_BUCKETS - 1] == 10.0);
	for (int i = 1; i < STATS_DURATION_BUCKETS; i++)
		assert_true(stats_duration_bounds_s[i] > stats_duration_bounds_s[i - 1]);
}

static void test_bucket_assignment(void **state)
{
	static const struct { uint64_t us; int bucket; } cases[] = {
		{ 0, 0 }, { 1, 0 }, { 50, 0 },		/* "le": the bound itself is inside */
		{ 51, 1 }, { 100, 1 }, { 101, 2 },
		{ 999, 5 }, { 1000, 5 }, { 1001, 6 },
		{ 9999999, 17 }, { 10000000, 17 },
		{ 10000001, STATS_DURATION_BUCKETS },	/* only in +Inf */
		{ UINT64_MAX, STATS_DURATION_BUCKETS },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = stats_duration_bucket(cases[i].us);
		if (got != cases[i].bucket)
			fail_msg("%" PRIu64 "us: bucket %d, expected %d", cases[i].us, got,
				 cases[i].bucket);
	}
	/* the microsecond table agrees with the seconds table at every bound */
	for (int i = 0; i < STATS_DURATION_BUCKETS; i++) {
		uint64_t us = (uint64_t)(stats_duration_bounds_s[i] * 1e6 + 0.5);
		assert_int_equal(stats_duration_bucket(us), i);
		assert_int_equal(stats_duration_bucket(us + 1), i + 1);
	}
}

static void test_observe_query(void **state)
{
	(void)state;
	memset(&stats, 0, sizeof(stats));
	stats_observe_query(2, 40);		/* bucket 0 */
	stats_observe_query(2, 1000);		/* bucket 5 */
	stats_observe_query(-1, 20000000);	/* beyond 10s: count only; no node */
	stats_observe_query(STATS_MAX_NODES, 300);	/* bucket 3 (500us); no node */
	assert_int_equal(stats.duration_bucket[0], 1);
	assert_int_equal(stats.duration_bucket[5], 1);
	assert_int_equal(stats.duration_bucket[3], 1);
	assert_int_equal(stats.duration_count, 4);
	assert_true(stats.duration_sum_s > 20.00133 && stats.duration_sum_s < 20.00135);
	assert_int_equal(stats.nodes[2].queries_completed, 2);
	assert_int_equal(stats.nodes[2].query_time_us, 1040);
	for (int i = 0; i < STATS_MAX_NODES; i++)
		if (i != 2)
			assert_int_equal(stats.nodes[i].queries_completed, 0);
}

static void test_fallback_reason(void **state)
{
	(void)state;
	assert_int_equal(stats_fallback_from_reason("no_replica"), FALLBACK_NO_REPLICA);
	assert_int_equal(stats_fallback_from_reason("lag"), FALLBACK_LAG);
	assert_int_equal(stats_fallback_from_reason("sticky"), FALLBACK_STICKY);
	assert_int_equal(stats_fallback_from_reason("something new"), FALLBACK_OTHER);
	assert_int_equal(stats_fallback_from_reason(""), FALLBACK_OTHER);
	assert_int_equal(stats_fallback_from_reason(NULL), FALLBACK_OTHER);
	assert_string_equal(stats_fallback_label(FALLBACK_STICKY), "sticky");
	assert_string_equal(stats_class_label(CLASS_TRANSACTION), "transaction");
	assert_string_equal(stats_class_label(99), "unknown");
	assert_string_equal(stats_target_label(STATS_REFUSED), "refused");
}

/* ---------------- escaping ---------------- */

static void test_label_escaping(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "main1", "main1" },
		{ "", "" },
		{ "a\\b", "a\\\\b" },
		{ "say \"hi\"", "say \\\"hi\\\"" },
		{ "two\nlines", "two\\nlines" },
		{ "tab\tstays", "tab\tstays" },		/* only \\ \" \n are escaped */
		{ "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "bad\xff", "bad\xef\xbf\xbd" },	/* invalid UTF-8 -> U+FFFD */
		{ "cut\xc3", "cut\xef\xbf\xbd" },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong '/' */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* surrogate */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = label(cases[i].in);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

static void test_json_escaping(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" },
		{ "q\"b\\s/", "q\\\"b\\\\s/" },
		{ "\n\r\t\b\f", "\\n\\r\\t\\b\\f" },
		{ "\x01\x1f", "\\u0001\\u001f" },
		{ "\x7f", "\x7f" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "x\xfe" "y", "x\xef\xbf\xbdy" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = json(cases[i].in);
		char doc[256];
		assert_string_equal(got, cases[i].out);
		snprintf(doc, sizeof(doc), "\"%s\"", got);
		assert_true(json_ok(doc));
		free(got);
	}
}

/* ---------------- /metrics ---------------- */

static void test_metrics_grammar(void **state)
{
	char *m = metrics();
	static const char *const families[] = {
		"pgsteer_up", "pgsteer_info", "pgsteer_start_time_seconds", "pgsteer_ready",
		"pgsteer_queries_total", "pgsteer_read_fallback_total",
		"pgsteer_query_duration_seconds", "pgsteer_client_connections",
		"pgsteer_clients_accepted_total", "pgsteer_clients_refused_total",
		"pgsteer_auth_failures_total", "pgsteer_protocol_errors_total",
		"pgsteer_bytes_total", "pgsteer_server_connections", "pgsteer_node_up",
		"pgsteer_node_is_primary", "pgsteer_node_available", "pgsteer_node_lag_seconds",
		"pgsteer_node_lag_bytes", "pgsteer_node_queries_total", "pgsteer_node_bytes_total",
	};
	char want[160];

	(void)state;
	assert_true(check_exposition(m) >= (int)(sizeof(families) / sizeof(families[0])));
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		snprintf(want, sizeof(want), "# TYPE %s ", families[i]);
		if (!strstr(m, want))
			fail_msg("no family %s", families[i]);
		snprintf(want, sizeof(want), "# HELP %s ", families[i]);
		assert_non_null(strstr(m, want));
	}
	free(m);
}

static void test_metrics_values(void **state)
{
	char *m = metrics();
	static const char *const lines[] = {
		"pgsteer_up 1",
		"pgsteer_info{version=\"0.1.0\"} 1",
		"pgsteer_start_time_seconds 1700000000",
		"pgsteer_ready 1",
		"# TYPE pgsteer_queries_total counter",
		"pgsteer_queries_total{class=\"read\",target=\"replica\"} 5",
		"pgsteer_queries_total{class=\"write\",target=\"primary\"} 3",
		"pgsteer_queries_total{class=\"control\",target=\"refused\"} 0",
		"pgsteer_read_fallback_total{reason=\"lag\"} 2",
		"pgsteer_read_fallback_total{reason=\"no_replica\"} 0",
		"pgsteer_client_connections{state=\"login\"} 1",
		"pgsteer_client_connections{state=\"idle\"} 7",
		"pgsteer_client_connections{state=\"waiting\"} 4",
		"pgsteer_client_connections{state=\"active\"} 2",
		"pgsteer_clients_accepted_total 11",
		"pgsteer_clients_refused_total 1",
		"pgsteer_auth_failures_total 2",
		"pgsteer_protocol_errors_total 3",
		"pgsteer_bytes_total{direction=\"client_in\"} 1000",
		"pgsteer_bytes_total{direction=\"client_out\"} 5000",
		"pgsteer_server_connections{node=\"main1\",state=\"idle\"} 2",
		"pgsteer_server_connections{node=\"main1\",state=\"active\"} 1",
		"pgsteer_server_connections{node=\"main2\",state=\"login\"} 1",
		"pgsteer_server_connections{node=\"main2\",state=\"closing\"} 3",
		"pgsteer_node_up{node=\"main1\"} 1",
		"pgsteer_node_up{node=\"we\\\"ird\\\\node\"} 0",
		"pgsteer_node_is_primary{node=\"main1\"} 1",
		"pgsteer_node_is_primary{node=\"main2\"} 0",
		"pgsteer_node_available{node=\"main2\"} 1",
		"pgsteer_node_lag_seconds{node=\"main1\"} 0",
		"pgsteer_node_lag_seconds{node=\"main2\"} 0.25",
		"pgsteer_node_lag_seconds{node=\"we\\\"ird\\\\node\"} NaN",
		"pgsteer_node_lag_bytes{node=\"main2\"} 4096",
		"pgsteer_node_queries_total{node=\"main2\"} 5",
		"pgsteer_node_reads_total{node=\"main2\"} 5",
		"pgsteer_node_query_seconds_total{node=\"main2\"} 1.5",
		"pgsteer_node_bytes_total{node=\"main2\",direction=\"server_in\"} 700",
		"pgsteer_node_bytes_total{node=\"main2\",direction=\"server_out\"} 70",
		"pgsteer_node_info{node=\"main2\",cluster=\"main\"} 1",
		"pgsteer_cluster_primary_writable{cluster=\"main\"} 1",
		"pgsteer_cluster_split_brain{cluster=\"main\"} 0",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (!has_line(m, lines[i]))
			fail_msg("missing line: %s", lines[i]);
	/* a node index beyond STATS_MAX_NODES has gauges but no counters */
	assert_null(strstr(m, "pgsteer_node_queries_total{node=\"we"));
	free(m);
}

static void test_metrics_histogram(void **state)
{
	char *m = metrics(), *p;
	uint64_t prev = 0, v;
	int n = 0;
	char le[32];

	(void)state;
	/* cumulative: 1 at 50us, 1 up to 750us, 5 from 1ms, 6 at 10s, 7 at +Inf */
	assert_true(has_line(m, "pgsteer_query_duration_seconds_bucket{le=\"5e-05\"} 1"));
	assert_true(has_line(m, "pgsteer_query_duration_seconds_bucket{le=\"0.00075\"} 1"));
	assert_true(has_line(m, "pgsteer_query_duration_seconds_bucket{le=\"0.001\"} 5"));
	assert_true(has_line(m, "pgsteer_query_duration_seconds_bucket{le=\"5\"} 5"));
	assert_true(has_line(m, "pgsteer_query_duration_seconds_bucket{le=\"10\"} 6"));
	assert_true(has_line(m, "pgsteer_query_duration_seconds_bucket{le=\"+Inf\"} 7"));
	assert_true(has_line(m, "pgsteer_query_duration_seconds_sum 20.5"));
	assert_true(has_line(m, "pgsteer_query_duration_seconds_count 7"));
	assert_true(has_line(m, "# TYPE pgsteer_query_duration_seconds histogram"));
	/* monotonic, 18 finite buckets + Inf, in increasing le order */
	double prev_le = -1;
	for (p = m; (p = strstr(p, "pgsteer_query_duration_seconds_bucket{le=\"")) != NULL; p++) {
		assert_int_equal(sscanf(p, "pgsteer_query_duration_seconds_bucket{le=\"%31[^\"]\"} %" SCNu64,
					le, &v), 2);
		double lev = strcmp(le, "+Inf") == 0 ? 1e300 : strtod(le, NULL);
		assert_true(lev > prev_le);
		assert_true(v >= prev);
		prev_le = lev;
		prev = v;
		n++;
	}
	assert_int_equal(n, STATS_DURATION_BUCKETS + 1);
	free(m);
}

/* The live observe path and the rendering agree. */
static void test_metrics_from_observations(void **state)
{
	struct evbuffer *b = evbuffer_new();
	char *m;

	(void)state;
	memset(&stats, 0, sizeof(stats));
	for (int i = 0; i < 10; i++)
		stats_observe_query(1, 200);	/* 0.2ms: bucket le=0.00025 */
	stats_observe_query(1, 3000000);	/* 3s: le=5 */
	metrics_render(b, &stats, &view);
	m = drain(b);
	assert_true(has_line(m, "pgsteer_query_duration_seconds_bucket{le=\"0.0001\"} 0"));
	assert_true(has_line(m, "pgsteer_query_duration_seconds_bucket{le=\"0.00025\"} 10"));
	assert_true(has_line(m, "pgsteer_query_duration_seconds_bucket{le=\"2.5\"} 10"));
	assert_true(has_line(m, "pgsteer_query_duration_seconds_bucket{le=\"5\"} 11"));
	assert_true(has_line(m, "pgsteer_query_duration_seconds_bucket{le=\"+Inf\"} 11"));
	assert_true(has_line(m, "pgsteer_query_duration_seconds_count 11"));
	assert_true(has_line(m, "pgsteer_query_duration_seconds_sum 3.002"));
	assert_true(has_line(m, "pgsteer_node_queries_completed_total{node=\"main2\"} 11"));
	free(m);
}

static void test_metrics_empty_view(void **state)
{
	struct stats_registry r;
	struct stats_view v;
	struct evbuffer *b = evbuffer_new();
	char *m;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&v, 0, sizeof(v));
	metrics_render(b, &r, &v);	/* before the monitor knows anything */
	m = drain(b);
	check_exposition(m);
	assert_true(has_line(m, "pgsteer_info{version=\"\"} 1"));
	assert_true(has_line(m, "pgsteer_ready 0"));
	assert_true(has_line(m, "pgsteer_query_duration_seconds_bucket{le=\"+Inf\"} 0"));
	free(m);
}

/* ---------------- /status ---------------- */

static void test_status_json(void **state)
{
	char *s = status();

	(void)state;
	if (!json_ok(s))
		fail_msg("not JSON: %s", s);
	assert_non_null(strstr(s, "{\"version\":\"0.1.0\",\"uptime_s\":100,"));
	assert_non_null(strstr(s, "\"ready\":true,\"ready_reason\":null"));
	assert_non_null(strstr(s, "\"clusters\":[{\"name\":\"main\",\"primary\":\"main1\","
			       "\"primary_writable\":true,\"split_brain\":false}]"));
	assert_non_null(strstr(s, "{\"name\":\"main2\",\"cluster\":\"main\",\"role\":\"replica\","
			       "\"up\":true,\"primary\":false,\"available\":true,\"weight\":2,"
			       "\"lag_s\":0.25,\"lag_bytes\":4096,\"wal_lsn\":\"1/0\""));
	assert_non_null(strstr(s, "\"wal_lsn\":\"0/16B3740\""));
	assert_non_null(strstr(s, "\"name\":\"we\\\"ird\\\\node\""));
	assert_non_null(strstr(s, "\"lag_s\":null,\"lag_bytes\":null"));
	assert_non_null(strstr(s, "\"last_error\":\"connection refused\\n\\tport 5434\""));
	assert_non_null(strstr(s, "{\"node\":\"main1\",\"user\":\"app\",\"database\":\"db\","
			       "\"idle\":2,\"active\":1,\"login\":0,\"closing\":1,\"waiting\":4}"));
	assert_non_null(strstr(s, "\"user\":\"us\\\"er\",\"database\":\"d\\u0001b\""));
	assert_non_null(strstr(s, "\"clients\":{\"login\":1,\"idle\":7,\"waiting\":4,\"active\":2}}"));
	free(s);
}

static void test_status_not_ready_and_empty(void **state)
{
	struct stats_registry r;
	struct stats_view v;
	struct evbuffer *b = evbuffer_new();
	char *s;

	(void)state;
	clusters[0].primary = NULL;
	clusters[0].primary_writable = false;
	clusters[0].primary_up = false;
	s = status();
	assert_true(json_ok(s));
	assert_non_null(strstr(s, "\"ready\":false,\"ready_reason\":\"cluster main: no primary\""));
	assert_non_null(strstr(s, "\"primary\":null"));
	free(s);

	memset(&r, 0, sizeof(r));
	memset(&v, 0, sizeof(v));
	metrics_render_status(b, &r, &v);
	s = drain(b);
	assert_true(json_ok(s));
	assert_non_null(strstr(s, "\"nodes\":[],\"pools\":[]"));
	free(s);
}

/* ---------------- /ready ---------------- */

static void test_ready(void **state)
{
	static struct stats_view_cluster two[2];
	char reason[256];

	(void)state;
	assert_true(metrics_view_ready(&view, reason, sizeof(reason)));
	assert_string_equal(reason, "");

	clusters[0].primary_up = false;
	clusters[0].primary_writable = false;
	assert_false(metrics_view_ready(&view, reason, sizeof(reason)));
	assert_string_equal(reason, "cluster main: primary main1 is down");

	clusters[0].primary_up = true;
	assert_false(metrics_view_ready(&view, reason, sizeof(reason)));
	assert_string_equal(reason, "cluster main: primary main1 is in recovery");

	clusters[0].primary = NULL;
	assert_false(metrics_view_ready(&view, reason, sizeof(reason)));
	assert_string_equal(reason, "cluster main: no primary");

	/* split brain is not ready even though writes still have a primary */
	clusters[0] = (struct stats_view_cluster){ .name = "main", .primary = "main1",
		.primary_writable = true, .primary_up = true, .split_brain = true,
		.split_a = "main1", .split_b = "main2" };
	assert_false(metrics_view_ready(&view, reason, sizeof(reason)));
	assert_string_equal(reason, "cluster main: split brain between main1 and main2");

	/* several clusters: every failing one, in order */
	two[0] = (struct stats_view_cluster){ .name = "a" };
	two[1] = (struct stats_view_cluster){ .name = "b", .primary = "b1", .primary_up = false };
	view.clusters = two;
	view.n_clusters = 2;
	assert_false(metrics_view_ready(&view, reason, sizeof(reason)));
	assert_string_equal(reason, "cluster a: no primary; cluster b: primary b1 is down");
	/* a short buffer truncates, never overflows */
	assert_false(metrics_view_ready(&view, reason, 12));
	assert_string_equal(reason, "cluster a: ");

	view.n_clusters = 0;
	assert_false(metrics_view_ready(&view, reason, sizeof(reason)));
	view.n_clusters = 1;
	view.clusters = clusters;
	clusters[0] = (struct stats_view_cluster){ .name = "main", .primary = "main1",
		.primary_writable = true, .primary_up = true };
	view.shutting_down = true;
	assert_false(metrics_view_ready(&view, reason, sizeof(reason)));
	assert_string_equal(reason, "shutting down");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds_table),
		cmocka_unit_test(test_bucket_assignment),
		cmocka_unit_test(test_observe_query),
		cmocka_unit_test(test_fallback_reason),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test_setup(test_metrics_grammar, setup_view),
		cmocka_unit_test_setup(test_metrics_values, setup_view),
		cmocka_unit_test_setup(test_metrics_histogram, setup_view),
		cmocka_unit_test_setup(test_metrics_from_observations, setup_view),
		cmocka_unit_test(test_metrics_empty_view),
		cmocka_unit_test_setup(test_status_json, setup_view),
		cmocka_unit_test_setup(test_status_not_ready_and_empty, setup_view),
		cmocka_unit_test_setup(test_ready, setup_view),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
