/*
 * Unit tests for the configuration loader (src/config.c): defaults,
 * value syntax (units, lists, quotes), and the exact "FILE:LINE: message"
 * of every error.  Pure: configs are strings, nothing touches the disk
 * except the config_load() round trip through a temporary file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"

/* The minimal file of doc/pgsteer.ini.5's example, verbatim. */
static const char design_ini[] =
	"[pgsteer]\n"
	"listen_addr = 127.0.0.1\n"
	"listen_port = 6432\n"
	"auth_type = trust            ; trust | md5 | scram-sha-256\n"
	"auth_file =                  ; PgBouncer userlist.txt format\n"
	"pool_mode = transaction      ; transaction | session\n"
	"default_pool_size = 20\n"
	"max_client_conn = 10000\n"
	"admin_users = admin\n"
	"\n"
	"[routing]\n"
	"max_lag = 5                  ; seconds\n"
	"check_interval = 100ms\n"
	"\n"
	"[stats]\n"
	"listen = 127.0.0.1:9930\n"
	"\n"
	"[cluster.main]               ; clients' database and user pass through\n"
	"\n"
	"[node.main1]\n"
	"cluster = main\n"
	"host = 127.0.0.1\n"
	"port = 5432                  ; which node is primary is detected, not configured\n"
	"\n"
	"[node.main2]\n"
	"cluster = main\n"
	"host = 127.0.0.1\n"
	"port = 5433\n"
	"weight = 2\n";

/* Smallest valid tail: one cluster, one node (lines 1-4). */
#define TAIL "[cluster.c]\n[node.n]\ncluster = c\nhost = h\n"

static char errbuf[1024];

static struct config *load(const char *text)
{
	return config_load_string("t.ini", text, errbuf, sizeof(errbuf));
}

/* Load must fail with an error starting with prefix and containing part. */
static void expect_error(const char *text, const char *prefix, const char *part)
{
	struct config *cfg = load(text);
	if (cfg) {
		config_free(cfg);
		fail_msg("loaded, expected error %s%s", prefix, part);
	}
	if (strncmp(errbuf, prefix, strlen(prefix)) != 0 || !strstr(errbuf, part))
		fail_msg("got \"%s\", expected \"%s...%s...\"", errbuf, prefix, part);
}

static struct config *load_ok(const char *text)
{
	struct config *cfg = load(text);
	if (!cfg)
		fail_msg("unexpected error: %s", errbuf);
	return cfg;
}

/* ---- the design example and defaults ---------------------------- */

static void test_design_example_defaults(void **state)
{
	(void)state;
	struct config *cfg = load_ok(design_ini);

	assert_string_equal(cfg->path, "t.ini");
	assert_int_equal(strlist_len(cfg->listen_addr), 1);
	assert_string_equal(cfg->listen_addr[0], "127.0.0.1");
	assert_int_equal(cfg->listen_port, 6432);
	assert_string_equal(cfg->unix_socket_dir, "");
	assert_int_equal(cfg->unix_socket_mode, 0777);
	assert_int_equal(cfg->listen_backlog, 128);
	assert_int_equal(cfg->auth_type, AUTH_TRUST);
	assert_string_equal(cfg->auth_file, "");
	assert_int_equal(cfg->pool_mode, POOL_MODE_TRANSACTION);
	assert_int_equal(cfg->default_pool_size, 20);
	assert_int_equal(cfg->min_pool_size, 0);
	assert_int_equal(cfg->max_client_conn, 10000);
	assert_true(strlist_contains(cfg->admin_users, "admin"));
	assert_int_equal(strlist_len(cfg->stats_users), 0);
	assert_non_null(cfg->stats_users);
	assert_string_equal(cfg->server_reset_query, "DISCARD ALL");
	assert_false(cfg->server_reset_query_always);
	assert_int_equal(cfg->server_idle_timeout_ms, 600000);
	assert_int_equal(cfg->server_lifetime_ms, 3600000);
	assert_int_equal(cfg->server_connect_timeout_ms, 15000);
	assert_int_equal(cfg->server_login_retry_ms, 1000);
	assert_int_equal(cfg->query_wait_timeout_ms, 120000);
	assert_int_equal(cfg->query_timeout_ms, 0);
	assert_int_equal(cfg->client_login_timeout_ms, 60000);
	assert_int_equal(cfg->client_idle_timeout_ms, 0);
	assert_int_equal(cfg->idle_transaction_timeout_ms, 0);
	assert_int_equal(cfg->shutdown_timeout_ms, 30000);
	assert_int_equal(cfg->max_packet_size, 64 * 1024 * 1024);
	assert_int_equal(cfg->client_tls_sslmode, TLS_DISABLE);
	assert_string_equal(cfg->client_tls_cert_file, "");
	assert_string_equal(cfg->client_tls_ciphers, "HIGH:!aNULL");
	assert_int_equal(cfg->server_tls_sslmode, TLS_PREFER);
	assert_true(cfg->tcp_keepalive);
	assert_int_equal(cfg->workers, 1);
	assert_string_equal(cfg->log_file, "");
	assert_int_equal(cfg->log_level, LOG_LVL_INFO);
	assert_int_equal(cfg->stats_period_ms, 60000);
	assert_string_equal(cfg->pidfile, "");

	assert_true(cfg->max_lag_s == 5.0);
	assert_int_equal(cfg->max_lag_bytes, 0);
	assert_int_equal(cfg->check_interval_ms, 100);
	assert_int_equal(cfg->health_check_timeout_ms, 2000);
	assert_int_equal(cfg->health_check_failures, 3);
	assert_int_equal(cfg->catalog_refresh_ms, 60000);
	assert_int_equal(cfg->read_your_writes, RYW_LSN);
	assert_int_equal(cfg->sticky_ttl_ms, 60000);
	assert_int_equal(cfg->on_no_replica, NO_REPLICA_PRIMARY);
	assert_false(cfg->fallback_ambiguous);
	assert_int_equal(strlist_len(cfg->read_functions), 0);
	assert_int_equal(strlist_len(cfg->replica_patterns), 0);

	assert_string_equal(cfg->metadata_cluster, "");
	assert_string_equal(cfg->database_pattern, "");
	assert_int_equal(cfg->move_timeout_ms, 30000);
	assert_int_equal(cfg->move_data_timeout_ms, 3600000);
	assert_string_equal(cfg->stats_listen, "127.0.0.1:9930");
	assert_string_equal(cfg->stats_token, "");

	assert_int_equal(cfg->n_clusters, 1);
	const struct config_cluster *c = &cfg->clusters[0];
	assert_string_equal(c->name, "main");
	assert_int_equal(c->line, 18);
	assert_int_equal(strlist_len(c->databases), 1);
	assert_string_equal(c->databases[0], "*");
	assert_int_equal(c->pool_size, 0);
	assert_null(c->server_user);
	assert_null(c->server_database);
	assert_null(c->server_password);
	assert_int_equal(c->n_nodes, 2);

	assert_int_equal(cfg->n_nodes, 2);
	assert_string_equal(cfg->nodes[0].name, "main1");
	assert_int_equal(cfg->nodes[0].line, 20);
	assert_string_equal(cfg->nodes[0].cluster, "main");
	assert_int_equal(cfg->nodes[0].cluster_index, 0);
	assert_string_equal(cfg->nodes[0].host, "127.0.0.1");
	assert_int_equal(cfg->nodes[0].port, 5432);
	assert_int_equal(cfg->nodes[0].weight, 1);
	assert_int_equal(cfg->nodes[1].port, 5433);
	assert_int_equal(cfg->nodes[1].weight, 2);
	assert_int_equal(config_cluster_index(cfg, "main"), 0);
	assert_int_equal(config_cluster_index(cfg, "nope"), -1);
	config_free(cfg);
}

static void test_minimal_tail_only(void **state)
{
	(void)state;
	struct config *cfg = load_ok(TAIL);
	assert_int_equal(cfg->listen_port, 6432);
	assert_int_equal(cfg->nodes[0].port, 5432);
	assert_int_equal(cfg->nodes[0].weight, 1);
	config_free(cfg);
}

static void test_every_key_set(void **state)
{
	(void)state;
	struct config *cfg = load_ok(
		"[pgsteer]\n"
		"listen_addr = *\n"
		"listen_port = 7000\n"
		"unix_socket_dir = /tmp\n"
		"unix_socket_mode = 0700\n"
		"listen_backlog = 1024\n"
		"auth_type = SCRAM-SHA-256\n"
		"auth_file = /etc/pgsteer/userlist.txt\n"
		"pool_mode = Session\n"
		"default_pool_size = 30\n"
		"min_pool_size = 5\n"
		"max_client_conn = 500\n"
		"admin_users = admin, root\n"
		"stats_users = mon\n"
		"server_reset_query = \"DISCARD ALL; SELECT 1\"\n"
		"server_reset_query_always = yes\n"
		"server_idle_timeout = 0\n"
		"server_lifetime = 2h\n"
		"server_connect_timeout = 1500ms\n"
		"server_login_retry = 0\n"
		"query_wait_timeout = 1min\n"
		"query_timeout = 1d\n"
		"client_login_timeout = 10\n"
		"client_idle_timeout = 5min\n"
		"idle_transaction_timeout = 30s\n"
		"shutdown_timeout = 0\n"
		"max_packet_size = 1GB\n"
		"client_tls_sslmode = require\n"
		"client_tls_cert_file = /c.pem\n"
		"client_tls_key_file = /k.pem\n"
		"client_tls_ca_file = /ca.pem\n"
		"client_tls_ciphers = 'ECDHE+AESGCM'\n"
		"server_tls_sslmode = disable\n"
		"server_tls_ca_file = /sca.pem\n"
		"server_tls_cert_file = /sc.pem\n"
		"server_tls_key_file = /sk.pem\n"
		"tcp_keepalive = off\n"
		"workers = 4\n"
		"log_file = /var/log/pgsteer.log\n"
		"log_level = debug\n"
		"stats_period = 0\n"
		"pidfile = /run/pgsteer.pid\n"
		"[routing]\n"
		"max_lag = 0.25\n"
		"max_lag_bytes = 16MB\n"
		"check_interval = 10ms\n"
		"health_check_timeout = 500ms\n"
		"health_check_failures = 5\n"
		"catalog_refresh = 0\n"
		"read_your_writes = off\n"
		"sticky_ttl = 2min\n"
		"on_no_replica = error\n"
		"fallback_ambiguous = on\n"
		"read_functions = ^myapp\\.get_, ^report_\n"
		"write_functions = ^audit_\n"
		"primary_patterns = FOR UPDATE\n"
		"replica_patterns = ^SELECT /\\* ro \\*/\n"
		"[tenancy]\n"
		"metadata_cluster = meta\n"
		"database_pattern = ^(?<tenant>[a-z]+)_db$\n"
		"user_pattern = '^[^.]+\\.(?<tenant>.+)$'\n"
		"move_timeout = 45s\n"
		"[stats]\n"
		"listen = [::1]:9931\n"
		"token = s3cret\n"
		"[cluster.meta]\n"
		"databases = app, app2\n"
		"pool_size = 7\n"
		"server_user = steer\n"
		"server_database = postgres\n"
		"server_password = \"pa ss\"\n"
		"[node.m1]\n"
		"cluster = meta\n"
		"host = db1.example\n"
		"port = 6543\n"
		"weight = 0\n");
	assert_int_equal(cfg->listen_port, 7000);
	assert_string_equal(cfg->listen_addr[0], "*");
	assert_string_equal(cfg->unix_socket_dir, "/tmp");
	assert_int_equal(cfg->unix_socket_mode, 0700);
	assert_int_equal(cfg->listen_backlog, 1024);
	assert_int_equal(cfg->auth_type, AUTH_SCRAM);
	assert_int_equal(cfg->pool_mode, POOL_MODE_SESSION);
	assert_int_equal(cfg->min_pool_size, 5);
	assert_int_equal(strlist_len(cfg->admin_users), 2);
	assert_string_equal(cfg->admin_users[1], "root");
	assert_string_equal(cfg->server_reset_query, "DISCARD ALL; SELECT 1");
	assert_true(cfg->server_reset_query_always);
	assert_int_equal(cfg->server_idle_timeout_ms, 0);
	assert_int_equal(cfg->server_lifetime_ms, 7200000);
	assert_int_equal(cfg->server_connect_timeout_ms, 1500);
	assert_int_equal(cfg->query_wait_timeout_ms, 60000);
	assert_int_equal(cfg->query_timeout_ms, 86400000);
	assert_int_equal(cfg->client_login_timeout_ms, 10000);
	assert_int_equal(cfg->client_idle_timeout_ms, 300000);
	assert_int_equal(cfg->max_packet_size, 1024 * 1024 * 1024);
	assert_int_equal(cfg->client_tls_sslmode, TLS_REQUIRE);
	assert_string_equal(cfg->client_tls_ciphers, "ECDHE+AESGCM");
	assert_int_equal(cfg->server_tls_sslmode, TLS_DISABLE);
	assert_false(cfg->tcp_keepalive);
	assert_int_equal(cfg->workers, 4);
	assert_int_equal(cfg->log_level, LOG_LVL_DEBUG);
	assert_int_equal(cfg->stats_period_ms, 0);
	assert_true(cfg->max_lag_s == 0.25);
	assert_int_equal(cfg->max_lag_bytes, 16 * 1024 * 1024);
	assert_int_equal(cfg->check_interval_ms, 10);
	assert_int_equal(cfg->read_your_writes, RYW_OFF);
	assert_int_equal(cfg->on_no_replica, NO_REPLICA_ERROR);
	assert_true(cfg->fallback_ambiguous);
	assert_int_equal(strlist_len(cfg->read_functions), 2);
	assert_string_equal(cfg->read_functions[0], "^myapp\\.get_");
	assert_string_equal(cfg->replica_patterns[0], "^SELECT /\\* ro \\*/");
	assert_string_equal(cfg->metadata_cluster, "meta");
	assert_string_equal(cfg->user_pattern, "^[^.]+\\.(?<tenant>.+)$");
	assert_int_equal(cfg->move_timeout_ms, 45000);
	assert_string_equal(cfg->stats_listen, "[::1]:9931");
	assert_string_equal(cfg->stats_token, "s3cret");
	assert_string_equal(cfg->clusters[0].databases[1], "app2");
	assert_int_equal(cfg->clusters[0].pool_size, 7);
	assert_string_equal(cfg->clusters[0].server_password, "pa ss");
	assert_int_equal(cfg->nodes[0].weight, 0);
	assert_int_equal(cfg->nodes[0].port, 6543);

	/* The summary fits on one screen and shows units. */
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	config_print_summary(cfg, out);
	fclose(out);
	int lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	assert_true(lines < 40);
	assert_non_null(strstr(buf, "1GB"));
	assert_non_null(strstr(buf, "2h"));
	assert_non_null(strstr(buf, "db1.example:6543 weight 0"));
	free(buf);
	config_free(cfg);
}

static void test_tls_default_prefer_with_cert_and_key(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[pgsteer]\nclient_tls_cert_file = a\n"
				     "client_tls_key_file = b\n" TAIL);
	assert_int_equal(cfg->client_tls_sslmode, TLS_PREFER);
	config_free(cfg);
	cfg = load_ok("[pgsteer]\nclient_tls_sslmode = disable\n" TAIL);
	assert_int_equal(cfg->client_tls_sslmode, TLS_DISABLE);
	config_free(cfg);
}

/* ---- value syntax -------------------------------------------------- */

static void test_durations(void **state)
{
	(void)state;
	static const struct { const char *in; int64_t ms; } ok[] = {
		{ "0", 0 }, { "5", 5000 }, { "100ms", 100 }, { "100 ms", 100 },
		{ "15s", 15000 }, { "2min", 120000 }, { "1h", 3600000 },
		{ "1d", 86400000 }, { "1.5s", 1500 }, { "0.5min", 30000 },
		{ "1.25", 1250 }, { "10MS", 10 }, { " 7s ", 7000 },
	};
	static const char *const bad[] = {
		"", "s", "-1", "+1", "1.5ms", "0.0001", "5 sec", "1e3", "5x",
		"1..2", ".", "99999999999999999999", "12 34",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t ms = -1;
		if (!config_parse_duration_ms(ok[i].in, &ms))
			fail_msg("duration \"%s\" rejected", ok[i].in);
		assert_int_equal(ms, ok[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t ms;
		if (config_parse_duration_ms(bad[i], &ms))
			fail_msg("duration \"%s\" accepted", bad[i]);
	}
}

static void test_sizes(void **state)
{
	(void)state;
	static const struct { const char *in; uint64_t b; } ok[] = {
		{ "0", 0 }, { "512", 512 }, { "1B", 1 }, { "1kB", 1024 },
		{ "64MB", 64ULL << 20 }, { "1GB", 1ULL << 30 }, { "2TB", 2ULL << 40 },
		{ "1.5kB", 1536 }, { "8 mb", 8ULL << 20 }, { "1KB", 1024 },
	};
	static const char *const bad[] = { "", "kB", "-1", "1.1B", "1 KiB", "1PB", "x" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t b = 1;
		if (!config_parse_size(ok[i].in, &b))
			fail_msg("size \"%s\" rejected", ok[i].in);
		assert_int_equal(b, ok[i].b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t b;
		if (config_parse_size(bad[i], &b))
			fail_msg("size \"%s\" accepted", bad[i]);
	}
}

static void test_booleans(void **state)
{
	(void)state;
	static const char *const yes[] = { "on", "ON", "true", "True", "yes", "1" };
	static const char *const no[] = { "off", "false", "no", "NO", "0" };
	bool b;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		assert_true(config_parse_bool(yes[i], &b));
		assert_true(b);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = true;
		assert_true(config_parse_bool(no[i], &b));
		assert_false(b);
	}
	assert_false(config_parse_bool("", &b));
	assert_false(config_parse_bool("enabled", &b));
	assert_false(config_parse_bool("2", &b));
}

static void test_max_lag_units(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[routing]\nmax_lag = 500ms\n" TAIL);
	assert_true(cfg->max_lag_s == 0.5);
	config_free(cfg);
	cfg = load_ok("[routing]\nmax_lag = 1min\n" TAIL);
	assert_true(cfg->max_lag_s == 60.0);
	config_free(cfg);
	cfg = load_ok("[routing]\nmax_lag = 0\n" TAIL);
	assert_true(cfg->max_lag_s == 0.0);
	config_free(cfg);
	expect_error("[routing]\nmax_lag = -1\n" TAIL, "t.ini:2: ", "max_lag");
	expect_error("[routing]\nmax_lag = nan\n" TAIL, "t.ini:2: ", "max_lag");
	expect_error("[routing]\nmax_lag = inf\n" TAIL, "t.ini:2: ", "max_lag");
}

static void test_lists(void **state)
{
	(void)state;
	struct config *cfg = load_ok(
		"[pgsteer]\n"
		"listen_addr =  127.0.0.1 ,  ::1,  \n"
		"admin_users = a,,b\n"
		"stats_users =\n"
		"[routing]\n"
		"read_functions = '^f{1,3}$', \"x, y\" , plain\n"
		"write_functions = one,\n"
		"    two ; comment\n"
		"\n"
		"  three,four\n"
		TAIL);
	assert_int_equal(strlist_len(cfg->listen_addr), 2);
	assert_string_equal(cfg->listen_addr[0], "127.0.0.1");
	assert_string_equal(cfg->listen_addr[1], "::1");
	assert_null(cfg->listen_addr[2]);
	assert_int_equal(strlist_len(cfg->admin_users), 2);
	assert_string_equal(cfg->admin_users[1], "b");
	assert_int_equal(strlist_len(cfg->stats_users), 0);
	assert_int_equal(strlist_len(cfg->read_functions), 3);
	assert_string_equal(cfg->read_functions[0], "^f{1,3}$");
	assert_string_equal(cfg->read_functions[1], "x, y");
	assert_string_equal(cfg->read_functions[2], "plain");
	assert_int_equal(strlist_len(cfg->write_functions), 4);
	assert_string_equal(cfg->write_functions[1], "two");
	assert_string_equal(cfg->write_functions[3], "four");
	assert_false(strlist_contains(cfg->write_functions, "five"));
	assert_true(strlist_contains(cfg->write_functions, "three"));
	assert_int_equal(strlist_len(NULL), 0);
	assert_false(strlist_contains(NULL, "x"));
	config_free(cfg);

	expect_error("[pgsteer]\nadmin_users = 'abc\n" TAIL, "t.ini:2: ", "unterminated quote");
	expect_error("[pgsteer]\nadmin_users = 'a'b\n" TAIL, "t.ini:2: ", "expected ','");
}

static void test_quoting(void **state)
{
	(void)state;
	struct config *cfg = load_ok(
		"[pgsteer]\n"
		"auth_file = \"/etc/with space/users.txt\"\n"
		"pidfile = '/run/p.pid'\n"
		"server_reset_query = it's fine\n"
		"listen_port = \"6433\"\n"
		"log_file = ''\n"
		TAIL);
	assert_string_equal(cfg->auth_file, "/etc/with space/users.txt");
	assert_string_equal(cfg->pidfile, "/run/p.pid");
	assert_string_equal(cfg->server_reset_query, "it's fine");
	assert_int_equal(cfg->listen_port, 6433);
	assert_string_equal(cfg->log_file, "");
	config_free(cfg);
	/* " ;" starts an inline comment even inside quotes. */
	expect_error("[pgsteer]\npidfile = \"a ; b\"\n" TAIL, "t.ini:2: ", "unterminated quote");
	expect_error("[pgsteer]\npidfile = 'x\"\n" TAIL, "t.ini:2: ", "unterminated quote");
}

static void test_comments_bom_crlf(void **state)
{
	(void)state;
	struct config *cfg = load_ok(
		"\xEF\xBB\xBF; leading comment\r\n"
		"# hash comment\r\n"
		"[pgsteer]   ; trailing\r\n"
		"listen_port = 7001 ; inline\r\n"
		"pidfile = a;b\r\n"
		"[cluster.c]\r\n[node.n]\r\ncluster = c\r\nhost = h\r\n");
	assert_int_equal(cfg->listen_port, 7001);
	assert_string_equal(cfg->pidfile, "a;b");
	assert_int_equal(cfg->clusters[0].line, 6);
	config_free(cfg);
}

static void test_enums_case_insensitive(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[pgsteer]\nauth_type = MD5\nauth_file = u\n"
				     "server_tls_sslmode = REQUIRE\nlog_level = Warning\n"
				     "[routing]\non_no_replica = Primary\nread_your_writes = LSN\n" TAIL);
	assert_int_equal(cfg->auth_type, AUTH_MD5);
	assert_int_equal(cfg->server_tls_sslmode, TLS_REQUIRE);
	assert_int_equal(cfg->log_level, LOG_LVL_WARNING);
	config_free(cfg);
}

/* Empty cluster strings mean NULL: the client's value passes through. */
static void test_cluster_empty_strings_pass_through(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[cluster.c]\nserver_user =\nserver_database = ''\n"
				     "pool_size = 0\n[node.n]\ncluster = c\nhost = h\n");
	assert_null(cfg->clusters[0].server_user);
	assert_null(cfg->clusters[0].server_database);
	assert_null(cfg->clusters[0].server_password);
	assert_int_equal(cfg->clusters[0].pool_size, 0);
	config_free(cfg);
}

static void test_keys_case_insensitive(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[pgsteer]\nListen_Port = 7002\n[cluster.c]\n[node.n]\n"
				     "CLUSTER = c\nHost = h\n");
	assert_int_equal(cfg->listen_port, 7002);
	assert_string_equal(cfg->nodes[0].host, "h");
	config_free(cfg);
	expect_error("[pgsteer]\nlisten_port = 1\nLISTEN_PORT = 2\n" TAIL, "t.ini:3: ", "duplicate key");
}

static void test_sections_in_any_order(void **state)
{
	(void)state;
	struct config *cfg = load_ok(
		"[node.b]\nhost = h2\ncluster = two\n"
		"[node.a]\nhost = h1\ncluster = one\n"
		"[cluster.one]\n[cluster.two]\n"
		"[tenancy]\nmetadata_cluster = two\n");
	assert_int_equal(cfg->n_clusters, 2);
	assert_int_equal(cfg->nodes[0].cluster_index, 1);
	assert_int_equal(cfg->nodes[1].cluster_index, 0);
	assert_int_equal(cfg->clusters[0].n_nodes, 1);
	assert_int_equal(cfg->clusters[1].n_nodes, 1);
	config_free(cfg);
}

static void test_names(void **state)
{
	(void)state;
	struct config *cfg = load_ok("[cluster.A-b_9]\n[node.x-1_Y]\ncluster = A-b_9\nhost = h\n");
	assert_string_equal(cfg->clusters[0].name, "A-b_9");
	config_free(cfg);
	expect_error("[cluster.a.b]\n", "t.ini:1: ", "bad cluster name");
	expect_error("[cluster.]\n", "t.ini:1: ", "bad cluster name");
	expect_error(TAIL "[node.x y]\n", "t.ini:5: ", "bad node name");
	expect_error(TAIL "[node.é]\n", "t.ini:5: ", "bad node name");
}

/* ---- errors: each with its exact location ---------------------------- */

struct error_case {
	const char *text;
	const char *prefix;
	const char *part;
};

static const struct error_case error_cases[] = {
	/* unknown section and key */
	{ "[pgsteer]\n[bogus]\n" TAIL, "t.ini:2: ", "unknown section [bogus]" },
	{ "[Pgsteer]\n" TAIL, "t.ini:1: ", "unknown section [Pgsteer]" },
	{ "[pgsteer]\nlisten_prot = 1\n" TAIL, "t.ini:2: ", "unknown key \"listen_prot\" in section [pgsteer] (did you mean listen_port?)" },
	{ "[routing]\nmax_lagg = 1\n" TAIL, "t.ini:2: ", "(did you mean max_lag?)" },
	{ "[pgsteer]\nwhatever = 1\n" TAIL, "t.ini:2: ", "unknown key \"whatever\" in section [pgsteer]\0" },
	{ "[pgsteer]\nmax_lag = 1\n" TAIL, "t.ini:2: ", "(it belongs in [routing])" },
	{ TAIL "port = 1\nweight = 1\nfoo = 2\n", "t.ini:7: ", "unknown key \"foo\" in section [node.n]" },
	{ "[cluster.c]\nhost = x\n[node.n]\ncluster = c\nhost = h\n", "t.ini:2: ",
	  "unknown key \"host\" in section [cluster.c] (it belongs in [node.NAME])" },
	{ "listen_port = 1\n" TAIL, "t.ini:1: ", "outside of any section" },
	/* duplicates */
	{ "[pgsteer]\n[routing]\n[pgsteer]\n" TAIL, "t.ini:3: ", "duplicate section [pgsteer] (first at line 1)" },
	{ TAIL "[cluster.c]\n", "t.ini:5: ", "duplicate section [cluster.c] (first at line 1)" },
	{ TAIL "[node.n]\n", "t.ini:5: ", "duplicate section [node.n] (first at line 2)" },
	{ "[pgsteer]\nworkers = 2\n\nworkers = 3\n" TAIL, "t.ini:4: ", "duplicate key workers (first set at line 2)" },
	{ TAIL "host = again\n", "t.ini:5: ", "duplicate key host (first set at line 4)" },
	/* bad values name key, value and expectation */
	{ "[pgsteer]\nlisten_port = abc\n" TAIL, "t.ini:2: ", "bad value \"abc\" for listen_port (expected an integer from 1 to 65535)" },
	{ "[pgsteer]\nlisten_port = 0\n" TAIL, "t.ini:2: ", "listen_port" },
	{ "[pgsteer]\nlisten_port = 65536\n" TAIL, "t.ini:2: ", "from 1 to 65535" },
	{ "[pgsteer]\nlisten_port = 6432x\n" TAIL, "t.ini:2: ", "listen_port" },
	{ TAIL "port = 70000\n", "t.ini:5: ", "bad value \"70000\" for port" },
	{ TAIL "weight = -1\n", "t.ini:5: ", "weight" },
	{ "[pgsteer]\ndefault_pool_size = 0\n" TAIL, "t.ini:2: ", "an integer >= 1" },
	{ "[pgsteer]\nmin_pool_size = -1\n" TAIL, "t.ini:2: ", "min_pool_size" },
	{ "[pgsteer]\nmax_client_conn = 0\n" TAIL, "t.ini:2: ", "max_client_conn" },
	{ "[cluster.c]\npool_size = -1\n[node.n]\ncluster = c\nhost = h\n", "t.ini:2: ", "pool_size" },
	{ "[pgsteer]\ntcp_keepalive = maybe\n" TAIL, "t.ini:2: ", "bad value \"maybe\" for tcp_keepalive (expected on, off" },
	{ "[pgsteer]\npool_mode = statement\n" TAIL, "t.ini:2: ", "(expected transaction or session)" },
	{ "[pgsteer]\nauth_type = password\n" TAIL, "t.ini:2: ", "(expected trust, md5, scram-sha-256 or cert)" },
	{ "[pgsteer]\nclient_tls_sslmode = verify-full\n" TAIL, "t.ini:2: ", "needs client_tls_cert_file and client_tls_key_file" },
	{ "[pgsteer]\nclient_tls_sslmode = verify-ca\nclient_tls_cert_file = /c\nclient_tls_key_file = /k\n" TAIL,
	  "t.ini:2: ", "client_tls_sslmode = verify-ca needs client_tls_ca_file" },
	{ "[pgsteer]\nauth_type = cert\n" TAIL, "t.ini:2: ", "auth_type = cert needs client TLS" },
	{ "[pgsteer]\nauth_type = cert\nclient_tls_sslmode = require\nclient_tls_cert_file = /c\nclient_tls_key_file = /k\n" TAIL,
	  "t.ini:2: ", "and client_tls_ca_file" },
	{ "[pgsteer]\nlog_level = verbose\n" TAIL, "t.ini:2: ", "log_level" },
	{ "[pgsteer]\nserver_lifetime = 1 week\n" TAIL, "t.ini:2: ", "bad value \"1 week\" for server_lifetime (expected a duration" },
	{ "[pgsteer]\nserver_connect_timeout = 0\n" TAIL, "t.ini:2: ", "server_connect_timeout" },
	{ "[pgsteer]\nunix_socket_mode = 0888\n" TAIL, "t.ini:2: ", "octal" },
	{ "[pgsteer]\nunix_socket_mode = 01777\n" TAIL, "t.ini:2: ", "octal" },
	{ "[pgsteer]\nworkers = 0\n" TAIL, "t.ini:2: ", "workers" },
	{ "[routing]\ncheck_interval = 9ms\n" TAIL, "t.ini:2: ", "bad value \"9ms\" for check_interval (expected a duration of at least 10ms" },
	{ "[routing]\ncheck_interval = 0\n" TAIL, "t.ini:2: ", "check_interval" },
	{ "[routing]\nhealth_check_failures = 0\n" TAIL, "t.ini:2: ", "health_check_failures" },
	{ "[routing]\nread_your_writes = timer\n" TAIL, "t.ini:2: ", "off or lsn" },
	{ "[routing]\non_no_replica = wait\n" TAIL, "t.ini:2: ", "primary or error" },
	{ "[routing]\nmax_lag_bytes = lots\n" TAIL, "t.ini:2: ", "max_lag_bytes" },
	{ "[pgsteer]\nmax_packet_size = 1023\n" TAIL, "t.ini:2: ", "(expected a size between 1kB and 1GB)" },
	{ "[pgsteer]\nmax_packet_size = 2GB\n" TAIL, "t.ini:2: ", "max_packet_size" },
	{ "[pgsteer]\nmax_packet_size = 1kB\nmax_packet_size = 1kB\n" TAIL, "t.ini:3: ", "duplicate key" },
	{ "[stats]\nlisten = 9930\n" TAIL, "t.ini:2: ", "HOST:PORT" },
	{ "[stats]\nlisten = host:0\n" TAIL, "t.ini:2: ", "listen" },
	{ "[stats]\nlisten = ::1:9930\n" TAIL, "t.ini:2: ", "listen" },
	{ "[tenancy]\nmetadata_cluster = c\ndatabase_pattern = ^(.*)$\n" TAIL, "t.ini:3: ", "(?<tenant>" },
	/* cross-key checks point at the key */
	{ "[pgsteer]\ndefault_pool_size = 5\nmin_pool_size = 6\n" TAIL, "t.ini:3: ", "min_pool_size (6) is larger than default_pool_size (5)" },
	{ "[pgsteer]\nmin_pool_size = 21\n" TAIL, "t.ini:2: ", "min_pool_size" },
	{ "[pgsteer]\nclient_tls_sslmode = require\n" TAIL, "t.ini:2: ", "client_tls_sslmode = require needs client_tls_cert_file" },
	{ "[pgsteer]\nclient_tls_sslmode = prefer\nclient_tls_cert_file = c\n" TAIL, "t.ini:2: ", "needs" },
	{ "[pgsteer]\nclient_tls_sslmode = allow\n" TAIL, "t.ini:2: ", "needs" },
	{ "[pgsteer]\n\nclient_tls_cert_file = c\n" TAIL, "t.ini:3: ", "client_tls_key_file is not" },
	{ "[pgsteer]\nserver_tls_key_file = k\n" TAIL, "t.ini:2: ", "server_tls_cert_file is not" },
	{ "[pgsteer]\nauth_type = md5\n" TAIL, "t.ini:2: ", "needs auth_file" },
	{ "[pgsteer]\nauth_type = md5\n" TAIL, "t.ini:2: ", "or auth_user" },
	{ "[pgsteer]\nauth_user = a\nauth_query = SELECT 1, 2\n" TAIL, "t.ini:3: ", "auth_query must use $1" },
	{ "[pgsteer]\nauth_user = a\nauth_query =\n" TAIL, "t.ini:3: ", "auth_query is empty" },
	{ "[pgsteer]\nauth_query = SELECT rolname, rolpassword FROM pg_authid WHERE rolname = 'x'\n" TAIL, "t.ini:2: ", "auth_query must use $1" },
	{ "[tenancy]\nmetadata_cluster = nope\n" TAIL, "t.ini:2: ", "metadata_cluster \"nope\" is not a [cluster.NAME] section" },
	{ "[tenancy]\nuser_pattern = (?<tenant>.*)\n" TAIL, "t.ini:2: ", "need metadata_cluster" },
	{ "[pgsteer]\nlisten_addr =\n" TAIL, "t.ini:2: ", "nothing to listen on" },
	{ "[cluster.c]\ndatabases = ,\n[node.n]\ncluster = c\nhost = h\n", "t.ini:2: ", "databases is empty" },
	/* nodes and clusters */
	{ "[cluster.c]\n[node.n]\ncluster = d\nhost = h\n", "t.ini:3: ", "[node.n] names cluster \"d\", but there is no [cluster.d] section" },
	{ "[cluster.c]\n[node.n]\nhost = h\n", "t.ini:2: ", "[node.n] has no cluster key" },
	{ "[cluster.c]\n\n[node.n]\ncluster = c\n", "t.ini:3: ", "[node.n] has no host key" },
	{ "[cluster.c]\n[node.n]\ncluster = c\nhost =\n", "t.ini:4: ", "host is empty" },
	{ "[pgsteer]\n", "t.ini: ", "no [cluster.NAME] section" },
	{ "", "t.ini: ", "no [cluster.NAME] section" },
	{ "[cluster.c]\n", "t.ini: ", "no [node.NAME] section" },
	{ TAIL "\n[cluster.empty]\n", "t.ini:6: ", "[cluster.empty] has no nodes" },
	{ "[cluster.first]\n" TAIL, "t.ini:1: ", "[cluster.first] has no nodes" },
	/* syntax, as found by inih or the reader */
	{ "[pgsteer]\nlisten_port 6432\n" TAIL, "t.ini:2: ", "syntax error" },
	{ "[pgsteer\n" TAIL, "t.ini:1: ", "missing ']'" },
	{ "[pgsteer ;]\n" TAIL, "t.ini:1: ", "missing ']'" },
	{ "[pgsteer] junk\n" TAIL, "t.ini:1: ", "unexpected text after section header" },
	{ "[pgsteer]\nworkers = 2\n   workers = 3\n" TAIL, "t.ini:3: ", "indented line continues workers" },
	{ "[pgsteer]\n = 5\n" TAIL, "t.ini:2: ", "missing key name" },
	{ "[routing]\nread_functions = a\n  [cluster.x]\n" TAIL, "t.ini:3: ", "indented section header" },
	{ "[cluster.c]\n[node.n]\n  cluster = c\n  host = h\n", "t.ini:4: ", "indented line continues cluster" },
	/* the first error in the file wins */
	{ "[pgsteer]\nworkers = x\n[bogus]\n" TAIL, "t.ini:2: ", "workers" },
	{ "[pgsteer]\nbroken line\nworkers = x\n" TAIL, "t.ini:2: ", "syntax error" },
	{ "[pgsteer]\nworkers = x\nbroken line\n" TAIL, "t.ini:2: ", "workers" },
};

static void test_error_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		struct config *cfg = load(error_cases[i].text);
		if (cfg) {
			config_free(cfg);
			fail_msg("case %zu loaded; expected %s%s", i, error_cases[i].prefix,
				 error_cases[i].part);
		}
		if (strncmp(errbuf, error_cases[i].prefix, strlen(error_cases[i].prefix)) != 0 ||
		    !strstr(errbuf, error_cases[i].part))
			fail_msg("case %zu: got \"%s\", expected \"%s...%s...\"", i, errbuf,
				 error_cases[i].prefix, error_cases[i].part);
	}
}

static void test_empty_cluster_section_line(void **state)
{
	(void)state;
	/* inih never reports [cluster.x] without keys: the reader must. */
	expect_error("; comment\n\n[cluster.lonely]\n\n[cluster.c]\n[node.n]\ncluster = c\nhost = h\n",
		     "t.ini:3: ", "[cluster.lonely] has no nodes");
	struct config *cfg = load_ok("\n\n[cluster.c]\n\n\n[node.n]\ncluster = c\nhost = h\n");
	assert_int_equal(cfg->clusters[0].line, 3);
	assert_int_equal(cfg->nodes[0].line, 6);
	config_free(cfg);
}

static void test_long_line(void **state)
{
	(void)state;
	char text[2048];
	char big[600];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(text, sizeof(text), "[pgsteer]\n\nauth_file = %s\nworkers = 2\n" TAIL, big);
	expect_error(text, "t.ini:3: ", "line too long");
	/* lines after a long one keep their numbers */
	snprintf(text, sizeof(text), "[pgsteer]\n; %s\nworkers = x\n" TAIL, big);
	expect_error(text, "t.ini:2: ", "line too long");
}

static void test_error_uses_given_name(void **state)
{
	(void)state;
	char err[256];
	struct config *cfg = config_load_string("/etc/pgsteer/pgsteer.ini", "[x]\n", err, sizeof(err));
	assert_null(cfg);
	assert_string_equal(err, "/etc/pgsteer/pgsteer.ini:1: unknown section [x] (expected "
			    "[pgsteer], [routing], [tenancy], [stats], [cluster.NAME] or [node.NAME])");
	/* a short buffer is truncated, not overrun */
	char small[8];
	cfg = config_load_string("f.ini", "[x]\n", small, sizeof(small));
	assert_null(cfg);
	assert_string_equal(small, "f.ini:1");
}

static void test_config_load_file(void **state)
{
	(void)state;
	char path[] = "/tmp/pgsteer-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *fp = fdopen(fd, "w");
	fputs(design_ini, fp);
	fclose(fp);
	struct config *cfg = config_load(path, errbuf, sizeof(errbuf));
	if (!cfg)
		fail_msg("%s", errbuf);
	assert_string_equal(cfg->path, path);
	assert_int_equal(cfg->n_nodes, 2);
	config_free(cfg);

	fp = fopen(path, "w");
	fputs("[pgsteer]\nlisten_port = 1\nworkers = zero\n", fp);
	fclose(fp);
	cfg = config_load(path, errbuf, sizeof(errbuf));
	assert_null(cfg);
	char want[128];
	snprintf(want, sizeof(want), "%s:3: bad value \"zero\" for workers", path);
	assert_memory_equal(errbuf, want, strlen(want));

	fp = fopen(path, "w");
	fwrite("[pgsteer]\n\0x\n", 1, 13, fp);
	fclose(fp);
	cfg = config_load(path, errbuf, sizeof(errbuf));
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s:2: NUL byte", path);
	assert_memory_equal(errbuf, want, strlen(want));
	unlink(path);

	cfg = config_load("/nonexistent/pgsteer.ini", errbuf, sizeof(errbuf));
	assert_null(cfg);
	assert_string_equal(errbuf, "/nonexistent/pgsteer.ini: cannot open: No such file or directory");
	config_free(NULL);
}

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "tests"
#endif

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return NULL;
	char *buf = calloc(1, 1 << 16);
	size_t n = fread(buf, 1, (1 << 16) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/*
 * conf/pgsteer.ini must load, and uncommenting every ";key = default"
 * line must give the very same resolved config: the example documents
 * the true defaults.
 */
/* auth_user/auth_query/auth_dbname: off by default, PgBouncer's query, and md5 without auth_file. */
static void test_auth_query_keys(void **state)
{
	(void)state;
	struct config *cfg = load_ok(TAIL);
	assert_string_equal(cfg->auth_user, "");
	assert_string_equal(cfg->auth_dbname, "");
	assert_string_equal(cfg->auth_query, AUTH_QUERY_DEFAULT);
	assert_non_null(strstr(cfg->auth_query, "rolvaliduntil < now()"));
	config_free(cfg);

	cfg = load_ok("[pgsteer]\nauth_type = scram-sha-256\nauth_user = pgsteer_auth\n"
		      "auth_dbname = postgres\n"
		      "auth_query = SELECT usename, passwd FROM pgsteer.user_lookup($1)\n" TAIL);
	assert_int_equal(cfg->auth_type, AUTH_SCRAM);
	assert_string_equal(cfg->auth_file, "");
	assert_string_equal(cfg->auth_user, "pgsteer_auth");
	assert_string_equal(cfg->auth_dbname, "postgres");
	assert_string_equal(cfg->auth_query, "SELECT usename, passwd FROM pgsteer.user_lookup($1)");
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	config_print_summary(cfg, out);
	fclose(out);
	assert_non_null(strstr(buf, "auth_user pgsteer_auth"));
	assert_non_null(strstr(buf, "custom auth_query"));
	free(buf);
	config_free(cfg);
}

static void test_shipped_example(void **state)
{
	(void)state;
	char *text = slurp(TEST_SRCDIR "/../conf/pgsteer.ini");
	if (!text)
		skip();
	struct config *a = load_ok(text);

	char *un = calloc(1, strlen(text) + 1);
	const char *p = text;
	char *o = un;
	int uncommented = 0;
	while (*p) {
		bool bol = p == text || p[-1] == '\n';
		if (bol && p[0] == ';' && p[1] >= 'a' && p[1] <= 'z') {
			const char *q = p + 1;
			while ((*q >= 'a' && *q <= 'z') || *q == '_')
				q++;
			if (q[0] == ' ' && q[1] == '=') {
				p++;
				uncommented++;
				continue;
			}
		}
		*o++ = *p++;
	}
	assert_true(uncommented > 40);
	struct config *b = load_ok(un);

	char *sa = NULL, *sb = NULL;
	size_t la = 0, lb = 0;
	FILE *fa = open_memstream(&sa, &la), *fb = open_memstream(&sb, &lb);
	config_print_summary(a, fa);
	config_print_summary(b, fb);
	fclose(fa);
	fclose(fb);
	assert_string_equal(sa, sb);
	assert_int_equal(b->unix_socket_mode, 0777);
	assert_int_equal(b->max_packet_size, 64 * 1024 * 1024);
	assert_string_equal(b->server_reset_query, "DISCARD ALL");
	assert_string_equal(b->client_tls_ciphers, "HIGH:!aNULL");
	assert_int_equal(b->client_tls_sslmode, TLS_DISABLE);
	free(sa);
	free(sb);
	config_free(a);
	config_free(b);
	free(un);
	free(text);
}

static void test_names_of_enums(void **state)
{
	(void)state;
	assert_string_equal(config_pool_mode_name(POOL_MODE_SESSION), "session");
	assert_string_equal(config_pool_mode_name(POOL_MODE_TRANSACTION), "transaction");
	assert_string_equal(config_auth_type_name(AUTH_SCRAM), "scram-sha-256");
	assert_string_equal(config_auth_type_name(AUTH_MD5), "md5");
	assert_string_equal(config_tls_mode_name(TLS_ALLOW), "allow");
	assert_string_equal(config_tls_mode_name(TLS_REQUIRE), "require");
}

/* Pseudo-random mutations of a valid file must load or fail cleanly. */
static void test_mutation_robustness(void **state)
{
	(void)state;
	static const char alphabet[] = "[]=;#:.'\" \n\tabc019_-";
	size_t n = strlen(design_ini);
	char *buf = malloc(n + 1);
	uint32_t seed = 12345;
	for (int iter = 0; iter < 2000; iter++) {
		memcpy(buf, design_ini, n + 1);
		for (int m = 0; m < 4; m++) {
			seed = seed * 1103515245u + 12345u;
			size_t pos = (seed >> 8) % n;
			seed = seed * 1103515245u + 12345u;
			buf[pos] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
		}
		struct config *cfg = load(buf);
		if (cfg) {
			FILE *out = fopen("/dev/null", "w");
			config_print_summary(cfg, out);
			fclose(out);
			config_free(cfg);
		} else {
			assert_memory_equal(errbuf, "t.ini", 5);
		}
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_design_example_defaults),
		cmocka_unit_test(test_minimal_tail_only),
		cmocka_unit_test(test_every_key_set),
		cmocka_unit_test(test_tls_default_prefer_with_cert_and_key),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_max_lag_units),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_comments_bom_crlf),
		cmocka_unit_test(test_enums_case_insensitive),
		cmocka_unit_test(test_cluster_empty_strings_pass_through),
		cmocka_unit_test(test_keys_case_insensitive),
		cmocka_unit_test(test_sections_in_any_order),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_error_table),
		cmocka_unit_test(test_empty_cluster_section_line),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_error_uses_given_name),
		cmocka_unit_test(test_config_load_file),
		cmocka_unit_test(test_auth_query_keys),
		cmocka_unit_test(test_shipped_example),
		cmocka_unit_test(test_names_of_enums),
		cmocka_unit_test(test_mutation_robustness),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
