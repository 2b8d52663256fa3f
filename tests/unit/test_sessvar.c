/*
 * Unit tests for session-state bookkeeping: the SET/RESET parser, the
 * settings lists and the statement that brings a server to a client's
 * settings (sessvar.c), and the prepared statement registry, client maps
 * and server sets (prepared.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "prepared.h"
#include "sessvar.h"

struct parse_case {
	const char *sql;
	enum setstmt_kind kind;
	const char *name;
	const char *value;
};

static const struct parse_case parse_cases[] = {
	{ "SET search_path = a, public", SETSTMT_SET, "search_path", "a, public" },
	{ "set search_path to 'x y', \"B\";", SETSTMT_SET, "search_path", "'x y', \"B\"" },
	{ "  SET SESSION work_mem TO '64MB' ", SETSTMT_SET, "work_mem", "'64MB'" },
	{ "SET myapp.user_id = '42'", SETSTMT_SET, "myapp.user_id", "'42'" },
	{ "SET \"MyApp\".\"Key\" = 1", SETSTMT_SET, "myapp.key", "1" },
	{ "SET SCHEMA 'reports'", SETSTMT_SET, "search_path", "'reports'" },
	{ "SET statement_timeout = DEFAULT", SETSTMT_RESET, "statement_timeout", "" },
	{ "RESET search_path", SETSTMT_RESET, "search_path", "" },
	{ "reset all;", SETSTMT_RESET_ALL, "", "" },
	{ "SET LOCAL search_path = x", SETSTMT_LOCAL, "search_path", "x" },
	{ "set local Synchronous_Commit to 'off';", SETSTMT_LOCAL, "synchronous_commit", "'off'" },
	{ "SET LOCAL search_path", SETSTMT_NONE, "", "" },
	{ "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", SETSTMT_NONE, "", "" },
	{ "SET CONSTRAINTS ALL DEFERRED", SETSTMT_NONE, "", "" },
	{ "SET TIME ZONE 'UTC'", SETSTMT_REPORTED, "timezone", "" },
	{ "SET TimeZone = 'UTC'", SETSTMT_REPORTED, "timezone", "" },
	{ "SET NAMES 'UTF8'", SETSTMT_REPORTED, "client_encoding", "" },
	{ "SET application_name = 'x'", SETSTMT_REPORTED, "application_name", "" },
	{ "RESET DateStyle", SETSTMT_REPORTED, "datestyle", "" },
	{ "RESET TIME ZONE", SETSTMT_REPORTED, "timezone", "" },
	{ "SET DateStyle TO DEFAULT", SETSTMT_REPORTED, "datestyle", "" },
	{ "SET ROLE app", SETSTMT_UNTRACKED, "", "" },
	{ "SET SESSION AUTHORIZATION app", SETSTMT_UNTRACKED, "", "" },
	{ "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", SETSTMT_UNTRACKED, "", "" },
	{ "RESET ROLE", SETSTMT_UNTRACKED, "", "" },
	{ "SET search_path = a; SELECT 1", SETSTMT_UNTRACKED, "search_path", "" },
	{ "SET search_path = a -- comment", SETSTMT_UNTRACKED, "search_path", "" },
	{ "SET search_path = $$a$$", SETSTMT_UNTRACKED, "search_path", "" },
	{ "SET search_path = 'unterminated", SETSTMT_UNTRACKED, "search_path", "" },
	{ "SET search_path", SETSTMT_UNTRACKED, "search_path", "" },
	{ "SELECT 1", SETSTMT_UNTRACKED, "", "" },
	{ "/* c */ SET x.y = 'a;b'", SETSTMT_SET, "x.y", "'a;b'" },
};

static void test_parse_set_statements(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *pc = &parse_cases[i];
		struct setstmt st;
		sessvar_parse(pc->sql, strlen(pc->sql), &st);
		if (st.kind != pc->kind)
			fail_msg("%s: kind %d, want %d", pc->sql, st.kind, pc->kind);
		if (pc->kind == SETSTMT_SET || pc->kind == SETSTMT_RESET || pc->kind == SETSTMT_REPORTED ||
		    pc->kind == SETSTMT_LOCAL) {
			assert_string_equal(st.name, pc->name);
			if (pc->kind == SETSTMT_SET || pc->kind == SETSTMT_LOCAL)
				assert_string_equal(st.value, pc->value);
		}
		if (pc->kind == SETSTMT_UNTRACKED)
			assert_non_null(st.why);
		/* RESET, SET ... TO DEFAULT, SET TIME ZONE LOCAL: a reported setting back to its reset value */
		if (pc->kind == SETSTMT_REPORTED &&
		    st.reset != (strncasecmp(pc->sql, "reset", 5) == 0 || strstr(pc->sql, "DEFAULT") != NULL))
			fail_msg("%s: reset %d", pc->sql, st.reset);
	}
}

/* synchronous_commit's spellings of off (an enum with boolean aliases: no prefixes) */
static void test_value_is_off(void **state)
{
	static const char *const off[] = { "off", "OFF", "'off'", "\"off\"", "false", "'False'", "no", "0" };
	static const char *const not_off[] = { "on", "local", "remote_write", "'of'", "f", "1", "''",
					       "'off", "off'", "default" };
	(void)state;
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		if (!sessvar_value_is_off(off[i]))
			fail_msg("%s: not read as off", off[i]);
	for (size_t i = 0; i < sizeof(not_off) / sizeof(not_off[0]); i++)
		if (sessvar_value_is_off(not_off[i]))
			fail_msg("%s: read as off", not_off[i]);
}

static void test_lists_are_sorted_and_bounded(void **state)
{
	struct sessvars *vs = NULL;
	char name[32];
	(void)state;
	assert_true(sessvars_set(&vs, "work_mem", "'1MB'", true));
	assert_true(sessvars_set(&vs, "application_name", "a", false));
	assert_true(sessvars_set(&vs, "search_path", "x", true));
	assert_true(sessvars_set(&vs, "work_mem", "'2MB'", true));
	assert_true(sessvars_set(&vs, "my.key", "'k'", true));
	assert_int_equal(vs->n, 4);
	assert_string_equal(vs->v[0].name, "application_name");
	assert_string_equal(vs->v[3].name, "work_mem");
	assert_string_equal(sessvars_get(vs, "work_mem")->value, "'2MB'");
	/* RESET ALL: reported ones stay (ParameterStatus says), custom ones stay defined, empty */
	assert_true(sessvars_reset_all(&vs));
	assert_int_equal(vs->n, 2);
	assert_string_equal(sessvars_get(vs, "my.key")->value, "");
	assert_false(sessvars_get(vs, "my.key")->sql);
	sessvars_unset(&vs, "my.key");
	sessvars_unset(&vs, "application_name");
	assert_null(vs);
	for (int i = 0; i < SESSVAR_MAX; i++) {
		snprintf(name, sizeof(name), "x.v%d", i);
		assert_true(sessvars_set(&vs, name, "1", true));
	}
	assert_false(sessvars_set(&vs, "x.one_more", "1", true));
	sessvars_free(&vs);
	assert_null(vs);
}

static void test_tracked_settings(void **state)
{
	char *none[] = { NULL }, *all[] = { "*", NULL }, *some[] = { "work_mem", NULL };
	(void)state;
	assert_true(sessvar_tracked("search_path", none));
	assert_true(sessvar_tracked("timezone", none));
	assert_false(sessvar_tracked("work_mem", none));
	assert_true(sessvar_tracked("work_mem", some));
	assert_false(sessvar_tracked("lock_timeout", some));
	assert_true(sessvar_tracked("anything.at_all", all));
}

static void test_sync_sql(void **state)
{
	const char *want_r[SESSVAR_N_REPORTED] = { "app", "UTF8", "ISO, MDY", "postgres", "on", "Asia/Tokyo" };
	const char *have_r[SESSVAR_N_REPORTED] = { "", "UTF8", "ISO, MDY", "postgres", "on", "UTC" };
	struct sessvars *want = NULL, *have = NULL;
	char buf[1024];
	(void)state;

	/* equal: nothing to send, equal signatures */
	assert_int_equal(sessvar_sync_sql(buf, sizeof(buf), want_r, NULL, want_r, NULL), 0);
	assert_true(sessvar_signature(want_r, NULL) == sessvar_signature(want_r, NULL));
	assert_true(sessvar_signature(want_r, NULL) != sessvar_signature(have_r, NULL));

	sessvars_set(&want, "search_path", "a, \"B\"", true);
	sessvars_set(&want, "statement_timeout", "1234", false);
	sessvars_set(&want, "x.same", "1", true);
	sessvars_set(&have, "x.same", "1", true);
	sessvars_set(&have, "work_mem", "'8MB'", true);
	assert_true(sessvar_sync_sql(buf, sizeof(buf), want_r, want, have_r, have) > 0);
	assert_string_equal(buf,
		"SELECT pg_catalog.set_config('application_name', 'app', false), "
		"pg_catalog.set_config('TimeZone', 'Asia/Tokyo', false), "
		"pg_catalog.set_config('statement_timeout', '1234', false);"
		"SET \"search_path\" = a, \"B\";RESET \"work_mem\";");
	/* quotes and backslashes in a value are escaped */
	sessvars_free(&want);
	sessvars_free(&have);
	sessvars_set(&want, "x.v", "it's a \\ test", false);
	assert_true(sessvar_sync_sql(buf, sizeof(buf), want_r, want, want_r, NULL) > 0);
	assert_string_equal(buf, "SELECT pg_catalog.set_config('x.v', E'it''s a \\\\ test', false);");
	/* too small a buffer */
	assert_int_equal(sessvar_sync_sql(buf, 10, want_r, want, want_r, NULL), -1);
	sessvars_free(&want);
}

static void test_prepared_registry_shares_by_content(void **state)
{
	struct classify_result cls = { 0 };
	struct prep_client_map a = { 0 }, b = { 0 };
	struct prep_server_set s = { 0 };
	static const char q1[] = "SELECT 1\0\0\0", q2[] = "SELECT 2\0\0\0";
	(void)state;

	struct pstmt *x = prepared_intern(q1, sizeof(q1) - 1, NULL, &cls);
	struct pstmt *y = prepared_intern(q1, sizeof(q1) - 1, NULL, &cls);
	struct pstmt *z = prepared_intern(q2, sizeof(q2) - 1, NULL, &cls);
	assert_ptr_equal(x, y);
	assert_ptr_not_equal(x, z);
	assert_string_not_equal(x->server_name, z->server_name);
	assert_int_equal(prepared_count(), 2);
	assert_true(prep_client_add(&a, "s1", x));
	assert_true(prep_client_add(&b, "other_name", y));
	assert_true(prep_server_add(&s, z, 1));
	prepared_unref(x);
	prepared_unref(y);
	prepared_unref(z);
	/* alive while names and servers refer to them */
	assert_int_equal(prepared_count(), 2);
	assert_ptr_equal(prep_client_get(&a, "s1"), prep_client_get(&b, "other_name"));
	assert_null(prep_client_get(&a, "other_name"));
	assert_true(prep_server_has(&s, z, 5));
	assert_false(prep_server_has(&s, x, 6));
	assert_true(prep_client_remove(&a, "s1"));
	assert_false(prep_client_remove(&a, "s1"));
	assert_int_equal(prepared_count(), 2);
	prep_client_clear(&b);
	assert_int_equal(prepared_count(), 1);
	prep_server_clear(&s);
	assert_int_equal(prepared_count(), 0);
	prep_client_clear(&a);
}

/* Another search_path is another statement; after DDL a Parse gets a new one. */
static void test_prepared_registry_context_and_ddl(void **state)
{
	struct classify_result cls = { 0 };
	static const char q[] = "SELECT * FROM items\0\0\0";
	(void)state;

	struct pstmt *a = prepared_intern(q, sizeof(q) - 1, "ta", &cls);
	struct pstmt *a2 = prepared_intern(q, sizeof(q) - 1, "ta", &cls);
	struct pstmt *b = prepared_intern(q, sizeof(q) - 1, "tb", &cls);
	struct pstmt *n = prepared_intern(q, sizeof(q) - 1, NULL, &cls);
	struct pstmt *e = prepared_intern(q, sizeof(q) - 1, "", &cls);
	assert_ptr_equal(a, a2);
	assert_ptr_not_equal(a, b);
	assert_ptr_not_equal(a, n);
	assert_ptr_equal(n, e);	/* no path and an empty one: the server's */
	assert_int_equal(a->body_len, sizeof(q) - 1);
	prepared_retire_all();
	struct pstmt *after = prepared_intern(q, sizeof(q) - 1, "ta", &cls);
	assert_ptr_not_equal(after, a);
	assert_false(prepared_retired(a));	/* bound elsewhere, it still works */
	assert_int_equal(prepared_count(), 4);
	for (struct pstmt **p = (struct pstmt *[]){ a, a2, b, n, e, after, NULL }; *p; p++)
		prepared_unref(*p);
	assert_int_equal(prepared_count(), 0);
}

static void test_server_set_lru_victim(void **state)
{
	struct classify_result cls = { 0 };
	struct prep_server_set s = { 0 };
	struct pstmt *st[4];
	char body[16];
	(void)state;

	for (int i = 0; i < 4; i++) {
		int n = snprintf(body, sizeof(body), "SELECT %d", i);
		st[i] = prepared_intern(body, (size_t)n + 1, NULL, &cls);
		prep_server_add(&s, st[i], (uint64_t)(10 + i));
		prepared_unref(st[i]);
	}
	prep_server_has(&s, st[0], 20);		/* used again: not the oldest any more */
	assert_ptr_equal(prep_server_victim(&s, 100), st[1]);
	/* those used since the batch started may still be bound: never victims */
	assert_ptr_equal(prep_server_victim(&s, 12), st[1]);
	assert_null(prep_server_victim(&s, 10));
	assert_true(prep_server_remove(&s, st[1]));
	assert_ptr_equal(prep_server_victim(&s, 100), st[2]);
	prep_server_clear(&s);
	assert_int_equal(prepared_count(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_set_statements),
		cmocka_unit_test(test_value_is_off),
		cmocka_unit_test(test_lists_are_sorted_and_bounded),
		cmocka_unit_test(test_tracked_settings),
		cmocka_unit_test(test_sync_sql),
		cmocka_unit_test(test_prepared_registry_shares_by_content),
		cmocka_unit_test(test_server_set_lru_victim),
		cmocka_unit_test(test_prepared_registry_context_and_ddl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
