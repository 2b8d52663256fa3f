/*
 * Unit tests for admin_parse.c, the admin console's grammar: tables of
 * command text and the command (or the SQLSTATE) it must give — case,
 * semicolons, comments, quoted names, EXPLAIN ROUTE strings with ''
 * escapes and dollar quotes, length limits — and the statement splitter
 * that cuts a multi-command Query.  Also SHOW CONFIG's source,
 * config_foreach_setting(): every key once, spelled as in the file,
 * secrets masked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "admin.h"
#include "config.h"

/* An accepted command: what admin_parse() must fill in. */
struct ok_case {
	const char *sql;
	enum admin_cmd cmd;
	const char *name;	/* expected name ("" = none) */
	bool quoted;
	bool offline;
	const char *stmt;	/* EXPLAIN ROUTE statement, or NULL */
};

static const struct ok_case ok_cases[] = {
	/* SHOW, any case, optional semicolon, blanks and comments anywhere */
	{ "SHOW HELP", ADMIN_SHOW_HELP, "", false, false, NULL },
	{ "show help", ADMIN_SHOW_HELP, "", false, false, NULL },
	{ "ShOw NoDeS;", ADMIN_SHOW_NODES, "", false, false, NULL },
	{ "  SHOW   CLUSTERS ;  ", ADMIN_SHOW_CLUSTERS, "", false, false, NULL },
	{ "\tSHOW\nPOOLS\r\n", ADMIN_SHOW_POOLS, "", false, false, NULL },
	{ "SHOW CLIENTS -- who is connected", ADMIN_SHOW_CLIENTS, "", false, false, NULL },
	{ "/* hi */ SHOW /* nested /* comment */ here */ SERVERS", ADMIN_SHOW_SERVERS, "", false, false, NULL },
	{ "SHOW STATS;\n-- trailing comment", ADMIN_SHOW_STATS, "", false, false, NULL },
	{ "SHOW CONFIG", ADMIN_SHOW_CONFIG, "", false, false, NULL },
	{ "SHOW TENANTS", ADMIN_SHOW_TENANTS, "", false, false, NULL },
	{ "SHOW VERSION", ADMIN_SHOW_VERSION, "", false, false, NULL },
	/* empty statements */
	{ "", ADMIN_EMPTY, "", false, false, NULL },
	{ "   ", ADMIN_EMPTY, "", false, false, NULL },
	{ ";", ADMIN_EMPTY, "", false, false, NULL },
	{ "-- only a comment", ADMIN_EMPTY, "", false, false, NULL },
	{ "/* only */ ; ", ADMIN_EMPTY, "", false, false, NULL },
	/* EXPLAIN ROUTE */
	{ "EXPLAIN ROUTE 'SELECT 1'", ADMIN_EXPLAIN_ROUTE, "", false, false, "SELECT 1" },
	{ "explain route 'INSERT INTO t VALUES (1)';", ADMIN_EXPLAIN_ROUTE, "", false, false,
	  "INSERT INTO t VALUES (1)" },
	{ "EXPLAIN ROUTE 'SELECT ''it''''s'' AS x'", ADMIN_EXPLAIN_ROUTE, "", false, false,
	  "SELECT 'it''s' AS x" },
	{ "EXPLAIN ROUTE ''", ADMIN_EXPLAIN_ROUTE, "", false, false, "" },
	{ "EXPLAIN ROUTE 'SELECT 1; -- not a comment' ON main", ADMIN_EXPLAIN_ROUTE, "main", false, false,
	  "SELECT 1; -- not a comment" },
	{ "EXPLAIN ROUTE 'SELECT 1' on \"My Cluster\"", ADMIN_EXPLAIN_ROUTE, "My Cluster", true, false,
	  "SELECT 1" },
	{ "EXPLAIN ROUTE $$SELECT 'x'$$", ADMIN_EXPLAIN_ROUTE, "", false, false, "SELECT 'x'" },
	{ "EXPLAIN ROUTE $q$SELECT $$a$$$q$ ON main", ADMIN_EXPLAIN_ROUTE, "main", false, false,
	  "SELECT $$a$$" },
	{ "EXPLAIN ROUTE 'SELECT\n1'", ADMIN_EXPLAIN_ROUTE, "", false, false, "SELECT\n1" },
	/* the rest */
	{ "RELOAD", ADMIN_RELOAD, "", false, false, NULL },
	{ "reload;", ADMIN_RELOAD, "", false, false, NULL },
	{ "SHUTDOWN", ADMIN_SHUTDOWN, "", false, false, NULL },
	{ "PAUSE", ADMIN_PAUSE, "", false, false, NULL },
	{ "PAUSE main;", ADMIN_PAUSE, "main", false, false, NULL },
	{ "pause \"Main\"", ADMIN_PAUSE, "Main", true, false, NULL },
	{ "RESUME", ADMIN_RESUME, "", false, false, NULL },
	{ "RESUME main", ADMIN_RESUME, "main", false, false, NULL },
	{ "SET NODE main2 AVAILABILITY offline", ADMIN_SET_NODE_AVAILABILITY, "main2", false, true, NULL },
	{ "set node main2 availability ACTIVE;", ADMIN_SET_NODE_AVAILABILITY, "main2", false, false, NULL },
	{ "SET NODE main2 AVAILABILITY TO offline", ADMIN_SET_NODE_AVAILABILITY, "main2", false, true, NULL },
	{ "SET NODE \"we\"\"ird\" AVAILABILITY offline", ADMIN_SET_NODE_AVAILABILITY, "we\"ird", true, true, NULL },
	{ "SET NODE db-east-1 AVAILABILITY offline", ADMIN_SET_NODE_AVAILABILITY, "db-east-1", false, true, NULL },
	{ "DRAIN NODE main3", ADMIN_DRAIN_NODE, "main3", false, false, NULL },
	{ "drain node \"MAIN3\" -- maintenance", ADMIN_DRAIN_NODE, "MAIN3", true, false, NULL },
	{ "DRAIN NODE main3--comment", ADMIN_DRAIN_NODE, "main3", false, false, NULL },
};

/* A refused command: the SQLSTATE and a word the message must contain. */
struct err_case {
	const char *sql;
	const char *sqlstate;
	const char *in_message;
	bool help_hint;		/* hint points at SHOW HELP */
};

static const struct err_case err_cases[] = {
	{ "FOO", "42601", "unrecognized admin command \"FOO\"", true },
	{ "SELECT 1", "0A000", "answers its own commands, not SQL", false },
	{ "SELECT n.nspname FROM pg_catalog.pg_class c", "0A000", "backslash commands such as \\d", false },
	{ "SHOW", "42601", "SHOW needs an item", true },
	{ "SHOW NOPE", "42601", "unrecognized SHOW item \"NOPE\"", true },
	{ "SHOW \"nodes\"", "42601", "SHOW needs an item", true },
	{ "SHOW NODES extra", "42601", "at or near \"extra\"", true },
	{ "SHOW NODES; SHOW POOLS", "42601", "at or near \"SHOW\"", true },
	{ "SHOW NODES /* open", "42601", "unterminated /* comment", false },
	{ "EXPLAIN SELECT 1", "42601", "only knows EXPLAIN ROUTE", false },
	{ "EXPLAIN ROUTE", "42601", "needs the statement as a quoted string", false },
	{ "EXPLAIN ROUTE SELECT 1", "42601", "needs the statement as a quoted string", false },
	{ "EXPLAIN ROUTE \"SELECT 1\"", "42601", "needs the statement as a quoted string", false },
	{ "EXPLAIN ROUTE 'SELECT 1", "42601", "unterminated quoted string", false },
	{ "EXPLAIN ROUTE $$SELECT 1", "42601", "unterminated dollar-quoted string", false },
	{ "EXPLAIN ROUTE 'SELECT 1' ON", "42601", "name is missing", false },
	{ "EXPLAIN ROUTE 'SELECT 1' main", "42601", "at or near \"main\"", true },
	{ "EXPLAIN ROUTE 'a' 'b'", "42601", "at or near \"'b'\"", true },
	{ "PAUSE main other", "42601", "at or near \"other\"", true },
	{ "PAUSE 'main'", "42601", "at or near \"'main'\"", true },
	{ "RELOAD now", "42601", "at or near \"now\"", true },
	{ "SET x = 1", "42601", "only knows SET NODE", false },
	{ "SET NODE", "42601", "name is missing", false },
	{ "SET NODE main2", "42601", "at end of input", true },
	{ "SET NODE main2 AVAILABILITY", "42601", "active or offline", false },
	{ "SET NODE main2 AVAILABILITY maybe", "42601", "active or offline", false },
	{ "SET NODE \"\" AVAILABILITY offline", "42601", "zero-length", false },
	{ "SET NODE \"main2 AVAILABILITY offline", "42601", "unterminated quoted identifier", false },
	{ "DRAIN main3", "42601", "DRAIN needs NODE", false },
	{ "DRAIN NODE", "42601", "name is missing", false },
	{ "= 1", "42601", "at or near \"=\"", true },
	{ "\xc3\xa9t\xc3\xa9", "42601", "at or near \"\xc3\xa9\"", true },
	{ "DRAIN NODE a123456789012345678901234567890123456789012345678901234567890123",
	  "42622", "too long", false },
};

static void test_accepted(void **state)
{
	struct admin_command *cmd = malloc(sizeof(*cmd));

	(void)state;
	assert_non_null(cmd);
	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		const struct ok_case *k = &ok_cases[i];
		int rc = admin_parse(k->sql, cmd);
		if (rc != 0)
			fail_msg("[%zu] \"%s\": refused: %s", i, k->sql, cmd->message);
		if (cmd->cmd != k->cmd)
			fail_msg("[%zu] \"%s\": command %d, want %d", i, k->sql, cmd->cmd, k->cmd);
		if (strcmp(cmd->name, k->name) != 0)
			fail_msg("[%zu] \"%s\": name \"%s\", want \"%s\"", i, k->sql, cmd->name, k->name);
		assert_int_equal(cmd->name_quoted, k->quoted);
		assert_int_equal(cmd->offline, k->offline);
		if (k->stmt) {
			if (strcmp(cmd->sql, k->stmt) != 0)
				fail_msg("[%zu] \"%s\": statement \"%s\", want \"%s\"", i, k->sql, cmd->sql,
					 k->stmt);
			assert_int_equal(cmd->sql_len, strlen(k->stmt));
		}
	}
	free(cmd);
}

static void test_refused(void **state)
{
	struct admin_command *cmd = malloc(sizeof(*cmd));

	(void)state;
	assert_non_null(cmd);
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *k = &err_cases[i];
		if (admin_parse(k->sql, cmd) != -1)
			fail_msg("[%zu] \"%s\": accepted as command %d", i, k->sql, cmd->cmd);
		assert_non_null(cmd->sqlstate);
		if (strcmp(cmd->sqlstate, k->sqlstate) != 0)
			fail_msg("[%zu] \"%s\": SQLSTATE %s, want %s (%s)", i, k->sql, cmd->sqlstate,
				 k->sqlstate, cmd->message);
		if (!strstr(cmd->message, k->in_message))
			fail_msg("[%zu] \"%s\": message \"%s\" lacks \"%s\"", i, k->sql, cmd->message,
				 k->in_message);
		if (k->help_hint && (!cmd->hint || !strstr(cmd->hint, "SHOW HELP")))
			fail_msg("[%zu] \"%s\": no SHOW HELP hint", i, k->sql);
	}
	free(cmd);
}

/* The longest statement EXPLAIN ROUTE takes, and one byte more. */
static void test_explain_length_limit(void **state)
{
	struct admin_command *cmd = malloc(sizeof(*cmd));
	size_t n = ADMIN_SQL_MAX - 1;
	char *sql = malloc(n + 64);

	(void)state;
	assert_non_null(cmd);
	assert_non_null(sql);
	strcpy(sql, "EXPLAIN ROUTE '");
	memset(sql + strlen(sql), 'x', n);
	strcpy(sql + strlen("EXPLAIN ROUTE '") + n, "'");
	assert_int_equal(admin_parse(sql, cmd), 0);
	assert_int_equal(cmd->sql_len, n);
	/* one more byte */
	strcpy(sql, "EXPLAIN ROUTE '");
	memset(sql + strlen(sql), 'x', n + 1);
	strcpy(sql + strlen("EXPLAIN ROUTE '") + n + 1, "'");
	assert_int_equal(admin_parse(sql, cmd), -1);
	assert_string_equal(cmd->sqlstate, "54000");
	/* a 63-byte name is fine, 64 is not */
	snprintf(sql, n, "PAUSE %.*s", 63, "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc");
	assert_int_equal(admin_parse(sql, cmd), 0);
	assert_int_equal(strlen(cmd->name), 63);
	snprintf(sql, n, "PAUSE \"%.*s\"", 64, "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc");
	assert_int_equal(admin_parse(sql, cmd), -1);
	assert_string_equal(cmd->sqlstate, "42622");
	free(sql);
	free(cmd);
}

/* Where a multi-command Query is cut. */
static void test_statement_split(void **state)
{
	static const struct {
		const char *sql;
		size_t first;	/* length of the first statement */
	} cases[] = {
		{ "SHOW NODES", 10 },
		{ "SHOW NODES; SHOW POOLS", 11 },
		{ ";SHOW POOLS", 1 },
		{ "EXPLAIN ROUTE 'a;b'; SHOW NODES", 20 },
		{ "EXPLAIN ROUTE 'it''s;'; X", 23 },
		{ "EXPLAIN ROUTE $$a;b$$; X", 22 },
		{ "EXPLAIN ROUTE $t$a;$$;b$t$; X", 27 },
		{ "PAUSE \"a;b\"; X", 12 },
		{ "SHOW NODES -- a;b\n; X", 19 },
		{ "SHOW /* a; /* b; */ c; */ NODES; X", 32 },
		{ "EXPLAIN ROUTE 'open;", 20 },
		{ "SHOW $1; X", 8 },
		{ "", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t got = admin_statement_len(cases[i].sql, strlen(cases[i].sql));
		if (got != cases[i].first)
			fail_msg("[%zu] \"%s\": first statement %zu bytes, want %zu", i, cases[i].sql,
				 got, cases[i].first);
	}
	/* the length bounds the scan: no read past it */
	assert_int_equal(admin_statement_len("SHOW NODES; X", 4), 4);
	assert_int_equal(admin_statement_len("'abc", 2), 2);
}

/* Each statement of a split Query parses on its own. */
static void test_split_then_parse(void **state)
{
	const char *q = "show version; EXPLAIN ROUTE 'SELECT 1; SELECT 2' ON main;;RESUME";
	enum admin_cmd want[] = { ADMIN_SHOW_VERSION, ADMIN_EXPLAIN_ROUTE, ADMIN_EMPTY, ADMIN_RESUME };
	struct admin_command *cmd = malloc(sizeof(*cmd));
	size_t pos = 0, len = strlen(q);
	int k = 0;
	char buf[128];

	(void)state;
	assert_non_null(cmd);
	while (pos < len) {
		size_t n = admin_statement_len(q + pos, len - pos);
		assert_true(n > 0 && n < sizeof(buf));
		memcpy(buf, q + pos, n);
		buf[n] = '\0';
		assert_int_equal(admin_parse(buf, cmd), 0);
		assert_true(k < 4);
		assert_int_equal(cmd->cmd, want[k]);
		if (cmd->cmd == ADMIN_EXPLAIN_ROUTE)
			assert_string_equal(cmd->sql, "SELECT 1; SELECT 2");
		k++;
		pos += n;
	}
	assert_int_equal(k, 4);
	free(cmd);
}

/* Who may run what: stats_users get the read-only commands only. */
static void test_read_only_commands(void **state)
{
	(void)state;
	for (int c = ADMIN_SHOW_HELP; c <= ADMIN_SHOW_VERSION; c++)
		assert_true(admin_cmd_read_only((enum admin_cmd)c));
	assert_true(admin_cmd_read_only(ADMIN_EXPLAIN_ROUTE));
	assert_false(admin_cmd_read_only(ADMIN_RELOAD));
	assert_false(admin_cmd_read_only(ADMIN_PAUSE));
	assert_false(admin_cmd_read_only(ADMIN_RESUME));
	assert_false(admin_cmd_read_only(ADMIN_SHUTDOWN));
	assert_false(admin_cmd_read_only(ADMIN_SET_NODE_AVAILABILITY));
	assert_false(admin_cmd_read_only(ADMIN_DRAIN_NODE));
	assert_string_equal(admin_cmd_name(ADMIN_SHOW_NODES), "SHOW NODES");
	assert_string_equal(admin_cmd_name(ADMIN_DRAIN_NODE), "DRAIN NODE");
}

/* What config_foreach_setting() reported, for lookups. */
struct setting_log {
	int n;
	char section[128][32];
	char key[128][32];
	char value[128][64];
	bool null_value[128];
};

static void log_setting(void *arg, const char *section, const char *key, const char *value)
{
	struct setting_log *l = arg;

	assert_true(l->n < 128);
	snprintf(l->section[l->n], sizeof(l->section[0]), "%s", section);
	snprintf(l->key[l->n], sizeof(l->key[0]), "%s", key);
	snprintf(l->value[l->n], sizeof(l->value[0]), "%s", value ? value : "");
	l->null_value[l->n] = value == NULL;
	l->n++;
}

static const char *setting(const struct setting_log *l, const char *section, const char *key)
{
	int found = -1;

	for (int i = 0; i < l->n; i++) {
		if (strcmp(l->section[i], section) == 0 && strcmp(l->key[i], key) == 0) {
			if (found >= 0)
				fail_msg("[%s] %s reported twice", section, key);
			found = i;
		}
	}
	if (found < 0)
		fail_msg("[%s] %s not reported", section, key);
	return l->null_value[found] ? NULL : l->value[found];
}

static void test_config_foreach_setting(void **state)
{
	static const char ini[] =
		"[pgsteer]\n"
		"listen_port = 7000\n"
		"admin_users = admin, root\n"
		"server_idle_timeout = 90s\n"
		"max_packet_size = 2MB\n"
		"tcp_keepalive = off\n"
		"[routing]\n"
		"max_lag = 1.5s\n"
		"read_your_writes = off\n"
		"[stats]\n"
		"token = s3cret\n"
		"[cluster.main]\n"
		"server_password = hunter2\n"
		"[node.main1]\n"
		"cluster = main\n"
		"host = 10.0.0.1\n"
		"weight = 3\n";
	char err[256];
	struct config *cfg = config_load_string("t.ini", ini, err, sizeof(err));
	struct setting_log *l = calloc(1, sizeof(*l));

	(void)state;
	if (!cfg)
		fail_msg("config: %s", err);
	assert_non_null(l);
	config_foreach_setting(cfg, log_setting, l);
	assert_string_equal(setting(l, "pgsteer", "listen_port"), "7000");
	assert_string_equal(setting(l, "pgsteer", "admin_users"), "admin,root");
	assert_string_equal(setting(l, "pgsteer", "stats_users"), "");
	assert_string_equal(setting(l, "pgsteer", "server_idle_timeout"), "90s");
	assert_string_equal(setting(l, "pgsteer", "server_lifetime"), "1h");
	assert_string_equal(setting(l, "pgsteer", "max_packet_size"), "2MB");
	assert_string_equal(setting(l, "pgsteer", "tcp_keepalive"), "off");
	assert_string_equal(setting(l, "pgsteer", "pool_mode"), "transaction");
	assert_string_equal(setting(l, "pgsteer", "unix_socket_mode"), "0777");
	assert_string_equal(setting(l, "pgsteer", "log_level"), "info");
	assert_string_equal(setting(l, "routing", "max_lag"), "1.5s");
	assert_string_equal(setting(l, "routing", "read_your_writes"), "off");
	assert_string_equal(setting(l, "routing", "check_interval"), "100ms");
	assert_string_equal(setting(l, "stats", "token"), "********");
	assert_string_equal(setting(l, "cluster.main", "server_password"), "********");
	assert_null(setting(l, "cluster.main", "server_user"));
	assert_string_equal(setting(l, "cluster.main", "databases"), "*");
	assert_string_equal(setting(l, "node.main1", "host"), "10.0.0.1");
	assert_string_equal(setting(l, "node.main1", "port"), "5432");
	assert_string_equal(setting(l, "node.main1", "weight"), "3");
	/* nothing leaks the secrets */
	for (int i = 0; i < l->n; i++) {
		assert_null(strstr(l->value[i], "s3cret"));
		assert_null(strstr(l->value[i], "hunter2"));
	}
	free(l);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_explain_length_limit),
		cmocka_unit_test(test_statement_split),
		cmocka_unit_test(test_split_then_parse),
		cmocka_unit_test(test_read_only_commands),
		cmocka_unit_test(test_config_foreach_setting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
