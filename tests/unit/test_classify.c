/*
 * Unit tests of the statement classifier (src/classify.c): one table per
 * rule of doc/classification.md, then the corpus of real-world
 * statements (tests/unit/classify_corpus.txt) which must agree 100%.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "tests"
#endif

#define R CLASS_READ
#define A CLASS_AMBIGUOUS
#define W CLASS_WRITE
#define T CLASS_TRANSACTION
#define S CLASS_SESSION
#define C CLASS_CONTROL

/* One row: statement, expected class, substring of the reason (or NULL). */
struct row {
	const char *sql;
	enum classify_class cls;
	const char *reason;
};

static int check_rows(const struct row *rows, size_t n, const struct classify_knowledge *k)
{
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		struct classify_result r;
		classify_sql(rows[i].sql, strlen(rows[i].sql), k, &r);
		if (r.cls != rows[i].cls ||
		    (rows[i].reason && !strstr(r.reason, rows[i].reason))) {
			fprintf(stderr, "MISMATCH: %s\n  expected %s (%s), got %s (%s)\n", rows[i].sql,
				classify_class_name(rows[i].cls), rows[i].reason ? rows[i].reason : "",
				classify_class_name(r.cls), r.reason);
			bad++;
		}
	}
	return bad;
}

#define CHECK_ROWS(rows, k) assert_int_equal(check_rows(rows, sizeof(rows) / sizeof(rows[0]), k), 0)

static void classify(const char *sql, struct classify_result *r)
{
	classify_sql(sql, strlen(sql), NULL, r);
}

/* ---- lexer: comments, literals, identifiers ---- */

static void test_comments(void **state)
{
	static const struct row rows[] = {
		{"-- DELETE FROM t\nSELECT 1", R, "SELECT reads"},
		{"SELECT 1 -- ; DELETE FROM t", R, NULL},
		{"/* DELETE FROM t */ SELECT 1", R, NULL},
		{"/* outer /* inner; DELETE */ still comment; DROP TABLE t */ SELECT 1", R, NULL},
		{"SELECT /* x */ 1 /* ; INSERT INTO t VALUES (1) */", R, NULL},
		{"SELECT/**/1", R, NULL},
		{"SELECT 1 /* unterminated", A, "unterminated /* comment"},
		{"/* /* nested */ unterminated SELECT 1", A, "unterminated"},
		{"SELECT 2--1\n", R, NULL},
		{"SELECT 2 /*+*/ - 1", R, NULL},
		{"DELETE /* SELECT */ FROM t", W, "DELETE writes"},
		{"SELECT\n--comment\n*\nFROM\n/* c */ t\n", R, NULL},
	};
	(void)state;
	CHECK_ROWS(rows, NULL);
}

static void test_literals(void **state)
{
	static const struct row rows[] = {
		{"SELECT 'it''s; DELETE FROM t'", R, NULL},
		{"SELECT E'\\''; DELETE FROM t", W, "DELETE"},
		{"SELECT E'\\'; DELETE FROM t'", R, NULL},
		{"SELECT e'a\\\\'", R, NULL},
		{"SELECT U&'d\\0061t\\+000061; DROP'", R, NULL},
		{"SELECT U&'\\0441' UESCAPE '\\'", R, NULL},
		{"SELECT $$ ; DELETE FROM t; $$", R, NULL},
		{"SELECT $fn$ $$ ; DELETE FROM t $$ $fn$", R, NULL},
		{"SELECT $a$x$b$;DELETE$b$y$a$", R, NULL},
		{"SELECT $1, $2::int FROM t WHERE a = $3", R, NULL},
		{"SELECT foo$bar FROM t", R, NULL},
		{"SELECT B'1010', X'ff', N'nat''l'", R, NULL},
		{"SELECT 'a' 'b'", R, NULL},
		{"SELECT 1.5e-3, .5, 1_000, 0x1F, 0o17, 0b101, 1e5, 2.", R, NULL},
		/* letters after a number are the next token, as in PostgreSQL */
		{"SELECT * FROM t WHERE a=1FOR UPDATE", W, "FOR UPDATE"},
		{"SELECT 1INTO x", W, "INTO"},
		{"SELECT 'unterminated", A, "unterminated quoted string"},
		{"SELECT \"unterminated", A, "unterminated quoted identifier"},
		{"SELECT $$ unterminated", A, "unterminated dollar-quoted"},
		{"SELECT E'\\'", A, "unterminated"},
		{"SELECT $x", A, "stray $"},
		{"SELECT \"\"", A, "zero-length"},
		{"SELECT 1 \\g", A, "unexpected character"},
		/* standard_conforming_strings = on: backslash is an ordinary character */
		{"SELECT 'a\\'; DELETE FROM t; --'", W, "DELETE"},
		{"SELECT 'a\\', ' ; DELETE FROM t; -- '", R, NULL},
		{"SELECT * FROM t WHERE name LIKE '%a\\_b%' ESCAPE '\\'", R, NULL},
	};
	/* ... and with it off (the session passes the server's ParameterStatus) */
	struct classify_context off = {NULL, NULL, true};
	struct classify_result r;
	const char *hidden = "SELECT 'a\\', ' ; DELETE FROM t; -- '";
	const char *shown = "SELECT 'a\\'; DELETE FROM t; --'";

	(void)state;
	CHECK_ROWS(rows, NULL);
	classify_sql_ctx(hidden, strlen(hidden), NULL, &off, &r);
	assert_int_equal(r.cls, CLASS_WRITE);
	classify_sql_ctx(shown, strlen(shown), NULL, &off, &r);
	assert_int_equal(r.cls, CLASS_READ);
	classify_sql_ctx("SET pgsteer.t = 'a\\'b'", 22, NULL, &off, &r);
	assert_string_equal(r.control_value, "a'b");
}

static void test_identifiers(void **state)
{
	static const struct row rows[] = {
		{"SELECT \"update\", \"delete\" FROM t", R, NULL},
		{"SELECT \"Quoted \"\"Ident\"\"\" FROM \"My Table\"", R, NULL},
		{"SELECT t.update, t.delete, t.insert FROM t", R, NULL},
		{"SELECT update FROM t", R, NULL},
		{"SELECT (update) FROM t", R, NULL},
		{"SELECT max(a) insert FROM t", R, NULL},
		{"SELECT (a) delete FROM t WHERE (merge) = 1", R, NULL},
		{"SELECT 1 AS insert", R, NULL},
		{"SELECT 1 AS into, 2 AS for", R, NULL},
		{"SELECT trim(LEADING (a) FROM b), x LIKE ('a%') ESCAPE ('!') FROM t FETCH FIRST (5) ROWS ONLY", R, NULL},
		{"SELECT a FROM t WHERE NOT MATERIALIZED (b)", A, "materialized()"},
		{"SELECT over(1), filter(2), rollup(3)", A, "over()"},
		{"SELECT U&\"d\\0061t\" FROM t", R, NULL},
		{"SELECT * FROM \"select\" WHERE \"for\" = 1", R, NULL},
		{"SELECT \"nextval\" FROM t", R, NULL},
		{"SELECT * FROM t AS \"x;y\"", R, NULL},
		{"SELECT * FROM t WHERE \"into\" = 1", R, NULL},
		{"SELECT * FROM t WHERE for_update = 1", R, NULL},
	};
	(void)state;
	CHECK_ROWS(rows, NULL);
}

/* ---- multi-statement strings ---- */

static void test_multi(void **state)
{
	static const struct row rows[] = {
		{"SELECT 1; INSERT INTO t VALUES (1)", W, "INSERT writes"},
		{"INSERT INTO t VALUES (1); SELECT 1", W, "INSERT writes"},
		{"SELECT 1; SELECT audit(1)", A, "audit()"},
		{"SELECT 1; SELECT 2;", R, NULL},
		{"SELECT 1;;;", R, NULL},
		{";", R, "empty query"},
		{"", R, "empty query"},
		{"   -- nothing\n", R, "empty query"},
		/* transaction control with read content: the transaction decides */
		{"BEGIN; SELECT 1; COMMIT", T, "BEGIN"},
		{"BEGIN READ ONLY; SELECT 1; COMMIT", T, "read-only"},
		/* ... with write content: write */
		{"BEGIN; INSERT INTO t VALUES (1); COMMIT", W, "INSERT"},
		{"BEGIN; SELECT f(); COMMIT", A, "f()"},
		{"SET search_path = app; SELECT 1", S, "SET"},
		{"SET search_path = app; DELETE FROM t", W, "DELETE"},
		{"SET a = 1; BEGIN", T, NULL},
		{"SET pgsteer.use_primary = on; SELECT 1", C, "cannot share"},
		{"SELECT 1; SHOW pgsteer.last_route", C, "cannot share"},
		/* ";" inside parentheses (CREATE RULE actions) does not split */
		{"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))", W, "CREATE RULE"},
		{"SELECT (1; DELETE FROM t", A, "unbalanced"},
		{"SELECT 1; SELECT 'oops", A, "unterminated"},
		/* SQL-standard function body */
		{"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END", W, "CREATE FUNCTION"},
	};
	struct classify_result r;

	(void)state;
	CHECK_ROWS(rows, NULL);
	classify("SELECT 1; SELECT 2", &r);
	assert_true(r.multi_statement);
	assert_int_equal(r.statement_count, 2);
	classify("SELECT 1;", &r);
	assert_false(r.multi_statement);
	assert_int_equal(r.statement_count, 1);
	classify("BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT 1", &r);
	assert_int_equal(r.txn, TXN_BEGIN);
	assert_int_equal(r.isolation, ISOLATION_SERIALIZABLE);
	classify("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; SELECT 1", &r);
	assert_int_equal(r.statement_count, 2);
	classify("CREATE TEMP TABLE x (a int); SELECT 1", &r);
	assert_true(r.pins_session);
	assert_int_equal(r.cls, W);
}

/* ---- queries ---- */

static void test_queries(void **state)
{
	static const struct row rows[] = {
		{"SELECT * FROM t", R, "SELECT reads"},
		{"select * from t where id = 1", R, NULL},
		{"WITH x AS (SELECT 1) SELECT * FROM x", R, "WITH"},
		{"VALUES (1), (2)", R, "VALUES"},
		{"TABLE t", R, "TABLE"},
		{"(SELECT 1) UNION (SELECT 2)", R, NULL},
		{"SHOW search_path", R, "SHOW"},
		{"SHOW ALL", R, NULL},
		{"EXPLAIN SELECT * FROM t", R, "EXPLAIN"},
		{"EXPLAIN (FORMAT JSON, COSTS OFF) SELECT 1", R, NULL},
		{"EXPLAIN ANALYZE SELECT * FROM t", R, "EXPLAIN ANALYZE"},
		{"EXPLAIN ANALYZE INSERT INTO t VALUES (1)", W, "INSERT"},
		{"EXPLAIN (ANALYZE, BUFFERS) DELETE FROM t", W, "DELETE"},
		{"EXPLAIN (ANALYZE true) UPDATE t SET a = 1", W, NULL},
		{"EXPLAIN (ANALYZE false) UPDATE t SET a = 1", R, NULL},
		{"EXPLAIN (ANALYZE off) UPDATE t SET a = 1", R, NULL},
		{"EXPLAIN ANALYSE VERBOSE SELECT nextval('s')", W, "nextval"},
		{"EXPLAIN UPDATE t SET a = 1", R, "does not run"},
		{"EXPLAIN ANALYZE BEGIN", A, NULL},
		/* data-modifying CTEs */
		{"WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", W, "DELETE in WITH"},
		{"WITH x AS MATERIALIZED (UPDATE t SET a = 1 RETURNING a) SELECT 1", W, "UPDATE"},
		{"WITH a AS (SELECT 1), b AS (INSERT INTO t SELECT * FROM a RETURNING *) SELECT * FROM b", W, "INSERT"},
		{"SELECT * FROM (WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x) s", W, NULL},
		{"WITH x AS (SELECT 1) DELETE FROM t", W, "DELETE"},
		{"WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", W, NULL},
		{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r", R, NULL},
		{"WITH x(a, b) AS (SELECT 1, 2) SELECT * FROM x", R, NULL},
		{"WITH x(a) AS NOT MATERIALIZED (SELECT 1) SELECT * FROM x", R, NULL},
		/* row locks */
		{"SELECT * FROM t FOR UPDATE", W, "FOR UPDATE locks rows"},
		{"SELECT * FROM t FOR NO KEY UPDATE", W, "FOR NO KEY UPDATE"},
		{"SELECT * FROM t FOR SHARE", W, "FOR SHARE"},
		{"SELECT * FROM t FOR KEY SHARE", W, "FOR KEY SHARE"},
		{"SELECT * FROM t FOR UPDATE OF t SKIP LOCKED", W, "FOR UPDATE"},
		{"SELECT * FROM t FOR UPDATE OF t NOWAIT", W, NULL},
		{"SELECT * FROM a JOIN b ON a.id = b.id FOR SHARE OF a FOR UPDATE OF b", W, NULL},
		{"SELECT * FROM (SELECT * FROM t FOR UPDATE) s", W, NULL},
		{"SELECT substring(name FOR 3) FROM t", R, NULL},
		{"SELECT substring(name FROM 2 FOR 3) FROM t", R, NULL},
		/* SELECT INTO */
		{"SELECT * INTO newtable FROM t", W, "INTO creates a table"},
		{"SELECT a, b INTO TEMP x FROM t", W, "TEMP"},
		{"SELECT 1 INTO UNLOGGED x", W, NULL},
		/* COPY */
		{"COPY (SELECT * FROM t) TO STDOUT", R, "COPY (query)"},
		{"COPY (SELECT * FROM t) TO STDOUT WITH (FORMAT csv, HEADER)", R, NULL},
		{"COPY (SELECT nextval('s')) TO STDOUT", W, "nextval"},
		{"COPY (DELETE FROM t RETURNING *) TO STDOUT", W, NULL},
		{"COPY t FROM STDIN", W, "COPY FROM"},
		{"COPY public.t (a, b) FROM STDIN WITH (FORMAT csv)", W, NULL},
		{"COPY t TO STDOUT", R, "COPY TO STDOUT"},
		{"COPY \"T\" (a) TO STDOUT (FORMAT binary)", R, NULL},
		{"COPY t TO '/tmp/t.csv'", W, "server file"},
		{"COPY t TO PROGRAM 'gzip > /tmp/x'", W, NULL},
		{"COPY t FROM '/tmp/t.csv'", W, NULL},
		/* CREATE TABLE AS and friends */
		{"CREATE TABLE x AS SELECT * FROM t", W, "CREATE TABLE"},
		{"CREATE MATERIALIZED VIEW mv AS SELECT 1", W, NULL},
		/* DECLARE */
		{"DECLARE c CURSOR FOR SELECT * FROM t", R, "DECLARE"},
		{"DECLARE c NO SCROLL CURSOR WITHOUT HOLD FOR SELECT * FROM t FOR UPDATE", W, "FOR UPDATE"},
		{"DECLARE c BINARY INSENSITIVE SCROLL CURSOR WITH HOLD FOR SELECT 1", R, "WITH HOLD"},
		{"DECLARE c CURSOR FOR SELECT f()", A, "f()"},
		{"FETCH 10 FROM c", A, "cursor"},
		{"CLOSE c", A, NULL},
	};
	struct classify_result r;

	(void)state;
	CHECK_ROWS(rows, NULL);
	classify("DECLARE c CURSOR WITH HOLD FOR SELECT 1", &r);
	assert_true(r.pins_session);
	assert_int_equal(r.session_op, SESSION_OP_DECLARE);
	assert_string_equal(r.object_name, "c");
	classify("SELECT a INTO TEMPORARY x FROM t", &r);
	assert_true(r.pins_session);
	classify("SELECT * INTO x FROM t", &r);
	assert_false(r.pins_session);
}

/* Classify each of SQL[0..N): the bool at OFFSET in the result (NAME) is WANT, and a write if WRITE. */
static void expect_flag(const char *const *sql, size_t n, size_t offset, bool want, bool write,
			const char *name)
{
	struct classify_result r;

	for (size_t i = 0; i < n; i++) {
		classify(sql[i], &r);
		bool got = *(const bool *)((const char *)&r + offset);
		if (got != want || (write && r.cls != CLASS_WRITE))
			fail_msg("%s: %s %d (want %d), class %d", sql[i], name, got, want, r.cls);
	}
}

/* DDL that may change what a prepared statement's text means */
static void test_ddl_flag(void **state)
{
	static const char *const ddl[] = {
		"CREATE TYPE e AS ENUM ('a')", "ALTER TABLE t ADD COLUMN b int", "DROP TYPE e",
		"CREATE TABLE t2 (a int)", "SELECT 1; DROP TABLE t", "IMPORT FOREIGN SCHEMA s FROM SERVER f INTO x",
		"GRANT SELECT ON t TO r", "REVOKE ALL ON t FROM PUBLIC", "COMMENT ON TABLE t IS 'x'",
		"SECURITY LABEL ON TABLE t IS 'x'", "REASSIGN OWNED BY a TO b",
	};
	static const char *const not_ddl[] = {
		"SELECT 1", "INSERT INTO t VALUES (1)", "CREATE TEMP TABLE tt (a int)", "TRUNCATE t",
		"SET search_path = x", "VACUUM t", "ANALYZE t",
	};
	(void)state;
	expect_flag(ddl, sizeof(ddl) / sizeof(ddl[0]), offsetof(struct classify_result, ddl), true, false,
		    "ddl");
	expect_flag(not_ddl, sizeof(not_ddl) / sizeof(not_ddl[0]), offsetof(struct classify_result, ddl), false,
		    false, "ddl");
}

/* Statements that send a notification (its PID is mapped to the client's) */
static void test_notifies_flag(void **state)
{
	static const char *const yes[] = {
		"NOTIFY ch", "NOTIFY ch, 'x'", "SELECT pg_notify('ch', 'x')", "SELECT pg_catalog.pg_notify('c', 'p')",
		"BEGIN; NOTIFY ch; COMMIT", "select 1; notify \"Ch\"",
	};
	static const char *const no[] = {
		"LISTEN ch", "UNLISTEN *", "SELECT 1", "INSERT INTO t VALUES (1)", "SELECT 'NOTIFY ch'",
	};
	(void)state;
	expect_flag(yes, sizeof(yes) / sizeof(yes[0]), offsetof(struct classify_result, notifies), true, true,
		    "notifies");
	expect_flag(no, sizeof(no) / sizeof(no[0]), offsetof(struct classify_result, notifies), false, false,
		    "notifies");
}

/* Reads of one node's own statistics or replication state (the primary answers them) */
static void test_node_local_flag(void **state)
{
	static const char *const local[] = {
		"SELECT * FROM pg_stat_replication", "select count(*) from PG_STAT_ACTIVITY",
		"SELECT * FROM pg_catalog.pg_stat_wal_receiver", "SELECT slot_name FROM pg_replication_slots",
		"SELECT * FROM pg_locks l JOIN pg_class c ON c.oid = l.relation", "SELECT * FROM pg_prepared_xacts",
		"SELECT heap_blks_hit FROM pg_statio_user_tables", "SELECT 1; SELECT * FROM pg_stat_statements",
		"SELECT pg_stat_get_numscans('t'::regclass)",
	};
	static const char *const not_local[] = {
		"SELECT * FROM pg_stats WHERE tablename = 't'", "SELECT * FROM pg_class", "SELECT 1",
		"SELECT 'pg_stat_activity'", "SELECT * FROM \"pg_stat_mine\"", "SELECT * FROM pg_statistic_ext",
	};
	(void)state;
	expect_flag(local, sizeof(local) / sizeof(local[0]), offsetof(struct classify_result, node_local), true,
		    false, "node_local");
	expect_flag(not_local, sizeof(not_local) / sizeof(not_local[0]), offsetof(struct classify_result, node_local),
		    false, false, "node_local");
}

/* A DO block that changes a session setting for good pins; other blocks, SET LOCAL and UPDATE ... SET do not. */
static void test_do_block_settings(void **state)
{
	static const char *const pins[] = {
		"DO $$BEGIN SET enable_seqscan = off; END$$",
		"do $$begin\n  perform 1;\n  set   work_mem to '1MB';\nend$$",
		"DO $$BEGIN IF true THEN SET search_path = x; END IF; END$$",
		"DO $$BEGIN IF false THEN NULL; ELSE RESET work_mem; END IF; END$$",
		"DO $$BEGIN PERFORM set_config('a.b', 'c', false); END$$",
		"DO $$BEGIN EXECUTE 'SET work_mem = 1'; END$$",
		"DO LANGUAGE plpgsql $x$ DECLARE n int; BEGIN FOR n IN 1..2 LOOP SET x.y = 1; END LOOP; END $x$",
	};
	static const char *const plain[] = {
		"DO $$BEGIN PERFORM 1; END$$",
		"DO $$BEGIN SET LOCAL work_mem = '1MB'; SET TRANSACTION READ ONLY; END$$",
		"DO $$BEGIN SET CONSTRAINTS ALL DEFERRED; END$$",
		"DO $$BEGIN UPDATE t SET a = 1; INSERT INTO t VALUES (1) ON CONFLICT DO UPDATE SET a = 2; END$$",
		"DO $$BEGIN ALTER TABLE t ALTER COLUMN a SET DEFAULT 1; END$$",
		"DO $$BEGIN PERFORM offset_of(1); END$$",
	};
	(void)state;
	expect_flag(pins, sizeof(pins) / sizeof(pins[0]), offsetof(struct classify_result, pins_session), true,
		    true, "pins_session");
	expect_flag(plain, sizeof(plain) / sizeof(plain[0]), offsetof(struct classify_result, pins_session),
		    false, true, "pins_session");
}

static void test_writes(void **state)
{
	static const struct row rows[] = {
		{"INSERT INTO t VALUES (1)", W, "INSERT writes"},
		{"INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET b = excluded.b", W, NULL},
		{"INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING RETURNING id", W, NULL},
		{"UPDATE t SET a = 1 WHERE id = 2", W, "UPDATE writes"},
		{"DELETE FROM t WHERE id = 2", W, "DELETE writes"},
		{"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET a = s.a WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.a)", W, "MERGE"},
		{"TRUNCATE t", W, "TRUNCATE"},
		{"CREATE INDEX CONCURRENTLY i ON t (a)", W, "CREATE INDEX"},
		{"CREATE UNIQUE INDEX i ON t (a)", W, NULL},
		{"CREATE OR REPLACE VIEW v AS SELECT 1", W, "CREATE VIEW"},
		{"ALTER TABLE t ADD COLUMN b int", W, "ALTER"},
		{"ALTER SYSTEM SET work_mem = '64MB'", W, NULL},
		{"DROP TABLE IF EXISTS t CASCADE", W, "DROP"},
		{"COMMENT ON TABLE t IS 'x'", W, "COMMENT"},
		{"GRANT SELECT ON t TO r", W, "GRANT"},
		{"REVOKE ALL ON t FROM PUBLIC", W, "REVOKE"},
		{"VACUUM (VERBOSE, ANALYZE) t", W, "VACUUM"},
		{"VACUUM", W, NULL},
		{"ANALYZE t", W, "ANALYZE"},
		{"CLUSTER t USING i", W, "CLUSTER"},
		{"REINDEX TABLE t", W, "REINDEX"},
		{"REFRESH MATERIALIZED VIEW CONCURRENTLY mv", W, "REFRESH"},
		{"LOCK TABLE t IN ACCESS EXCLUSIVE MODE", W, "LOCK"},
		{"CALL p(1)", W, "CALL"},
		{"DO $$BEGIN PERFORM 1; END$$", W, "DO"},
		{"DO LANGUAGE plpgsql $$ BEGIN END $$", W, NULL},
		{"LISTEN chan", W, "LISTEN"},
		{"NOTIFY chan, 'x'", W, "NOTIFY"},
		{"UNLISTEN *", W, "UNLISTEN"},
		{"CHECKPOINT", W, NULL},
		{"SECURITY LABEL FOR selinux ON TABLE t IS 'x'", W, NULL},
		{"REASSIGN OWNED BY a TO b", W, NULL},
		{"IMPORT FOREIGN SCHEMA s FROM SERVER f INTO l", W, NULL},
		{"CREATE TEMP TABLE x (a int)", W, "TEMP"},
		{"CREATE TEMPORARY TABLE x AS SELECT 1", W, NULL},
		{"CREATE GLOBAL TEMPORARY TABLE x (a int)", W, NULL},
		{"CREATE LOCAL TEMP SEQUENCE s", W, NULL},
		{"CREATE OR REPLACE TEMP VIEW v AS SELECT 1", W, NULL},
		{"CREATE UNLOGGED TABLE x (a int)", W, "CREATE TABLE"},
		{"frobnicate the database", A, "unrecognized statement"},
		{"GRAN SELECT ON t TO r", A, "unrecognized"},
	};
	struct classify_result r;

	(void)state;
	CHECK_ROWS(rows, NULL);
	classify("CREATE TEMP TABLE x (a int)", &r);
	assert_true(r.pins_session);
	classify("CREATE UNLOGGED TABLE x (a int)", &r);
	assert_false(r.pins_session);
	classify("LISTEN chan", &r);
	assert_true(r.pins_session);
	classify("NOTIFY chan", &r);
	assert_false(r.pins_session);
}

/* ---- functions ---- */

static void test_functions(void **state)
{
	static const struct row rows[] = {
		{"SELECT nextval('s')", W, "nextval()"},
		{"SELECT pg_catalog.nextval('s')", W, "pg_catalog.nextval()"},
		{"SELECT setval('s', 1)", W, NULL},
		{"SELECT currval('s')", W, NULL},
		{"SELECT lastval()", W, NULL},
		{"SELECT pg_advisory_lock(1)", W, "session state"},
		{"SELECT pg_advisory_xact_lock(1)", W, NULL},
		{"SELECT pg_try_advisory_lock(1, 2)", W, NULL},
		{"SELECT pg_advisory_unlock_all()", W, NULL},
		{"SELECT pg_notify('c', 'x')", W, NULL},
		{"SELECT txid_current()", W, NULL},
		{"SELECT pg_current_xact_id()", W, NULL},
		{"SELECT pg_current_wal_lsn()", W, NULL},
		{"SELECT pg_current_wal_insert_lsn()", W, NULL},
		{"SELECT lo_create(0)", W, NULL},
		{"SELECT lo_unlink(123)", W, NULL},
		{"SELECT lo_anything_new(1)", W, NULL},
		{"SELECT set_config('search_path', 'x', false)", W, NULL},
		{"SELECT pg_terminate_backend(123)", W, NULL},
		{"SELECT pg_cancel_backend(123)", W, NULL},
		{"SELECT dblink_exec('conn', 'DELETE FROM t')", W, NULL},
		{"SELECT ext.dblink_exec('conn', 'DELETE FROM t')", W, NULL},
		{"SELECT pg_switch_wal()", W, NULL},
		{"SELECT pg_create_restore_point('x')", W, NULL},
		{"SELECT pg_reload_conf()", W, NULL},
		{"SELECT pg_stat_reset()", W, NULL},
		{"SELECT * FROM t WHERE id = (SELECT nextval('s'))", W, NULL},
		{"SELECT count(*), sum(a), avg(b), min(c), max(d) FROM t", R, NULL},
		{"SELECT now(), current_timestamp, clock_timestamp(), random()", R, NULL},
		{"SELECT coalesce(a, b), nullif(a, 0), greatest(a, b), least(a, b) FROM t", R, NULL},
		{"SELECT lower(a), upper(b), to_char(now(), 'YYYY'), date_trunc('day', now())", R, NULL},
		{"SELECT array_agg(a ORDER BY b), string_agg(c, ','), json_agg(t), jsonb_build_object('a', 1) FROM t", R, NULL},
		{"SELECT * FROM generate_series(1, 10) AS g(i)", R, NULL},
		{"SELECT pg_catalog.pg_get_userbyid(c.relowner), pg_catalog.format_type(a.atttypid, a.atttypmod) FROM c, a", R, NULL},
		{"SELECT pg_catalog.pg_table_is_visible(c.oid), pg_catalog.obj_description(c.oid, 'pg_class')", R, NULL},
		{"SELECT EXTRACT(EPOCH FROM now()), trim(both ' ' from a), position('a' in b), overlay(a placing 'x' from 2) FROM t", R, NULL},
		{"SELECT gen_random_uuid(), uuid_generate_v4()", R, NULL},
		{"SELECT count(*) FILTER (WHERE a > 1) OVER (PARTITION BY b ORDER BY c ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM t", R, NULL},
		{"SELECT a FROM t GROUP BY ROLLUP (a), CUBE (b), GROUPING SETS ((a), ())", R, NULL},
		{"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a) FROM t", R, NULL},
		{"SELECT ARRAY(SELECT 1), ROW(1, 2), EXISTS (SELECT 1), 1 IN (1, 2), 1 = ANY (ARRAY[1])", R, NULL},
		{"SELECT x::numeric(10, 2), CAST(y AS character varying(20)), z::timestamp(3) with time zone FROM t", R, NULL},
		{"SELECT * FROM t x(a, b) JOIN u AS y(c) ON true", R, NULL},
		{"SELECT * FROM t TABLESAMPLE bernoulli (10) REPEATABLE (1)", R, NULL},
		{"SELECT * FROM t TABLESAMPLE my_sampler (10)", R, NULL},
		{"SELECT * FROM unnest(ARRAY[1, 2]) WITH ORDINALITY AS u(x, n)", R, NULL},
		{"SELECT * FROM ROWS FROM (generate_series(1, 2), unnest(ARRAY[3]))", R, NULL},
		{"SELECT 1 OPERATOR(pg_catalog.+) 2", R, NULL},
		{"SELECT 1 OPERATOR(pg_catalog.+) f(2)", A, "f()"},
		{"SELECT audit_log(id) FROM t", A, "unknown function audit_log()"},
		{"SELECT app.audit_log(id) FROM t", A, "app.audit_log()"},
		{"SELECT \"MyFunc\"(1)", A, "MyFunc()"},
		{"SELECT public.count(a) FROM t", A, "public.count()"},
		{"SELECT pg_catalog.count(a) FROM t", R, NULL},
		{"SELECT a FROM t WHERE f(a)", A, NULL},
		/* keywords of call syntax before a call: the call still counts */
		{"SELECT overlay(a PLACING f(b) FROM 2)", A, "f()"},
		{"SELECT xmlparse(DOCUMENT g(b))", A, "g()"},
		{"SELECT xmlroot(x, VERSION h(1))", A, "h()"},
		{"SELECT * FROM a, b x(c) JOIN s.t y(d) ON true, ONLY u z(e)", R, NULL},
		{"SELECT * FROM t LEFT JOIN (u JOIN v ON true) ON true", R, NULL},
		{"SELECT a FROM t GROUP BY GROUPING SETS ((a), ())", R, NULL},
		{"SELECT a FROM t WHERE NOT f(a) AND g(a) OR h(a)", A, NULL},
		{"SELECT CASE WHEN a THEN f(1) ELSE g(2) END FROM t", A, NULL},
		{"SELECT DISTINCT ON (a) f(b) FROM t", A, "f()"},
		{"SELECT a FROM t ORDER BY f(a) LIMIT f2(1) OFFSET f3(2)", A, NULL},
		{"SELECT * FROM t, LATERAL f(t.a) AS x", A, NULL},
		{"SELECT * FROM f(1) AS x(a int, b text)", A, "f()"},
		{"SELECT * FROM t JOIN f(1) x ON true", A, NULL},
		{"SELECT a, f(b) AS c FROM t", A, NULL},
		{"SELECT a || f(b) FROM t", A, NULL},
		{"SELECT (f(a)).x FROM t", A, NULL},
		{"SELECT ts_stat('SELECT v FROM t')", A, "volatile function ts_stat()"},
		{"SELECT query_to_xml('DELETE FROM t RETURNING 1', true, true, '')", A, NULL},
		{"SELECT foo.bar.baz(1)", A, "bar.baz()"},
	};
	(void)state;
	CHECK_ROWS(rows, NULL);
}

/* ---- transaction control ---- */

static void test_transactions(void **state)
{
	static const struct row rows[] = {
		{"BEGIN", T, "BEGIN"},
		{"begin work", T, NULL},
		{"BEGIN TRANSACTION", T, NULL},
		{"START TRANSACTION", T, NULL},
		{"START TRANSACTION READ ONLY", T, "read-only"},
		{"BEGIN READ WRITE, ISOLATION LEVEL REPEATABLE READ", T, NULL},
		{"BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE", T, NULL},
		{"BEGIN NOT DEFERRABLE", T, NULL},
		{"BEGIN ISOLATION LEVEL READ UNCOMMITTED", T, NULL},
		{"BEGIN READ SOMETIMES", A, "unrecognized transaction mode"},
		{"START", A, NULL},
		{"COMMIT", T, "COMMIT"},
		{"COMMIT WORK", T, NULL},
		{"END", T, NULL},
		{"END TRANSACTION", T, NULL},
		{"COMMIT AND CHAIN", T, NULL},
		{"COMMIT AND NO CHAIN", T, NULL},
		{"ROLLBACK", T, "ROLLBACK"},
		{"ABORT", T, NULL},
		{"ROLLBACK AND CHAIN", T, NULL},
		{"SAVEPOINT sp1", T, "SAVEPOINT"},
		{"RELEASE SAVEPOINT sp1", T, "RELEASE"},
		{"RELEASE sp1", T, NULL},
		{"ROLLBACK TO SAVEPOINT sp1", T, "ROLLBACK TO"},
		{"ROLLBACK WORK TO sp1", T, NULL},
		{"RELEASE SAVEPOINT", T, NULL},		/* a savepoint named "savepoint" */
		{"ROLLBACK TO SAVEPOINT", T, NULL},
		{"PREPARE TRANSACTION 'gid1'", W, "PREPARE TRANSACTION"},
		{"COMMIT PREPARED 'gid1'", W, "COMMIT PREPARED"},
		{"ROLLBACK PREPARED 'gid1'", W, "ROLLBACK PREPARED"},
		{"COMMIT 1", A, NULL},
	};
	struct {
		const char *sql;
		enum classify_txn txn;
		enum classify_access access;
		enum classify_isolation iso;
		bool deferrable, chain;
		const char *name;
	} facts[] = {
		{"BEGIN", TXN_BEGIN, ACCESS_DEFAULT, ISOLATION_DEFAULT, false, false, ""},
		{"BEGIN READ ONLY", TXN_BEGIN, ACCESS_READ_ONLY, ISOLATION_DEFAULT, false, false, ""},
		{"START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ WRITE", TXN_BEGIN, ACCESS_READ_WRITE, ISOLATION_REPEATABLE_READ, false, false, ""},
		{"BEGIN DEFERRABLE READ ONLY ISOLATION LEVEL SERIALIZABLE", TXN_BEGIN, ACCESS_READ_ONLY, ISOLATION_SERIALIZABLE, true, false, ""},
		{"BEGIN ISOLATION LEVEL READ COMMITTED", TXN_BEGIN, ACCESS_DEFAULT, ISOLATION_READ_COMMITTED, false, false, ""},
		{"COMMIT AND CHAIN", TXN_COMMIT, ACCESS_DEFAULT, ISOLATION_DEFAULT, false, true, ""},
		{"END AND NO CHAIN", TXN_COMMIT, ACCESS_DEFAULT, ISOLATION_DEFAULT, false, false, ""},
		{"ABORT AND CHAIN", TXN_ROLLBACK, ACCESS_DEFAULT, ISOLATION_DEFAULT, false, true, ""},
		{"SAVEPOINT \"Sp\"", TXN_SAVEPOINT, ACCESS_DEFAULT, ISOLATION_DEFAULT, false, false, "Sp"},
		{"RELEASE SP", TXN_RELEASE, ACCESS_DEFAULT, ISOLATION_DEFAULT, false, false, "sp"},
		{"ROLLBACK TO sp", TXN_ROLLBACK_TO, ACCESS_DEFAULT, ISOLATION_DEFAULT, false, false, "sp"},
		{"PREPARE TRANSACTION 'g'", TXN_PREPARE, ACCESS_DEFAULT, ISOLATION_DEFAULT, false, false, "g"},
		{"COMMIT PREPARED 'g'", TXN_COMMIT_PREPARED, ACCESS_DEFAULT, ISOLATION_DEFAULT, false, false, "g"},
		{"ROLLBACK PREPARED 'g'", TXN_COMMIT_PREPARED, ACCESS_DEFAULT, ISOLATION_DEFAULT, false, false, "g"},
		/* a name longer than the field: none (found by fuzz_classify: it was left unterminated) */
		{"ROLLBACK PREPARED '"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'",
		 TXN_COMMIT_PREPARED, ACCESS_DEFAULT, ISOLATION_DEFAULT, false, false, ""},
	};

	(void)state;
	CHECK_ROWS(rows, NULL);
	for (size_t i = 0; i < sizeof(facts) / sizeof(facts[0]); i++) {
		struct classify_result r;
		classify(facts[i].sql, &r);
		assert_int_equal(r.txn, facts[i].txn);
		assert_int_equal(r.access, facts[i].access);
		assert_int_equal(r.isolation, facts[i].iso);
		assert_int_equal(r.deferrable, facts[i].deferrable);
		assert_int_equal(r.txn_and_chain, facts[i].chain);
		assert_string_equal(r.object_name, facts[i].name);
	}
}

/* ---- session statements ---- */

static bool lookup_prepared(void *arg, const char *name, enum classify_class *cls)
{
	(void)arg;
	if (strcmp(name, "ins") == 0) {
		*cls = CLASS_WRITE;
		return true;
	}
	if (strcmp(name, "sel") == 0) {
		*cls = CLASS_READ;
		return true;
	}
	if (strcmp(name, "begin") == 0) {
		*cls = CLASS_TRANSACTION;
		return true;
	}
	return false;
}

static void test_session(void **state)
{
	static const struct row rows[] = {
		{"SET search_path TO app, public", S, "SET"},
		{"SET SESSION statement_timeout = 5000", S, NULL},
		{"SET LOCAL lock_timeout = '1s'", S, NULL},
		{"SET TIME ZONE 'UTC'", S, NULL},
		{"SET ROLE admin", S, NULL},
		{"SET SESSION AUTHORIZATION DEFAULT", S, NULL},
		{"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", S, NULL},
		{"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", S, NULL},
		{"SET CONSTRAINTS ALL DEFERRED", S, NULL},
		{"RESET search_path", S, "RESET"},
		{"RESET ALL", S, NULL},
		{"DISCARD ALL", S, "DISCARD"},
		{"DISCARD TEMP", S, NULL},
		{"LOAD 'auto_explain'", S, "LOAD"},
		{"PREPARE q(int) AS SELECT * FROM t WHERE id = $1", S, "PREPARE q (read"},
		{"PREPARE q AS INSERT INTO t VALUES (1)", S, "(write: INSERT writes)"},
		{"DEALLOCATE q", S, "DEALLOCATE"},
		{"DEALLOCATE PREPARE q", S, NULL},
		{"DEALLOCATE ALL", S, NULL},
		{"DEALLOCATE PREPARE", S, NULL},	/* a statement named "prepare" */
		{"EXECUTE q(1)", A, "unknown prepared statement q"},
	};
	struct classify_result r;
	struct classify_context ctx = {lookup_prepared, NULL, false};

	(void)state;
	CHECK_ROWS(rows, NULL);
	classify("PREPARE Q(int) AS UPDATE t SET a = $1", &r);
	assert_int_equal(r.session_op, SESSION_OP_PREPARE);
	assert_string_equal(r.object_name, "q");
	assert_int_equal(r.prepared_class, CLASS_WRITE);
	assert_true(r.changes_session);
	classify("PREPARE q AS SELECT 1", &r);
	assert_int_equal(r.prepared_class, CLASS_READ);
	classify("DEALLOCATE ALL", &r);
	assert_int_equal(r.session_op, SESSION_OP_DEALLOCATE_ALL);
	classify("DEALLOCATE x", &r);
	assert_int_equal(r.session_op, SESSION_OP_DEALLOCATE);
	assert_string_equal(r.object_name, "x");

	classify_sql_ctx("EXECUTE ins(1)", 14, NULL, &ctx, &r);
	assert_int_equal(r.cls, CLASS_WRITE);
	assert_int_equal(r.session_op, SESSION_OP_EXECUTE);
	assert_string_equal(r.object_name, "ins");
	classify_sql_ctx("EXECUTE sel", 11, NULL, &ctx, &r);
	assert_int_equal(r.cls, CLASS_READ);
	classify_sql_ctx("EXECUTE sel(nextval('s'))", 25, NULL, &ctx, &r);
	assert_int_equal(r.cls, CLASS_WRITE);
	classify_sql_ctx("EXECUTE other", 13, NULL, &ctx, &r);
	assert_int_equal(r.cls, CLASS_AMBIGUOUS);
	classify_sql_ctx("EXECUTE begin", 13, NULL, &ctx, &r);
	assert_int_equal(r.cls, CLASS_AMBIGUOUS);
	classify_sql_ctx("EXPLAIN ANALYZE EXECUTE ins", 27, NULL, &ctx, &r);
	assert_int_equal(r.cls, CLASS_WRITE);
	classify_sql_ctx("EXPLAIN EXECUTE ins", 19, NULL, &ctx, &r);
	assert_int_equal(r.cls, CLASS_READ);
}

/* ---- pgsteer controls ---- */

static void test_controls(void **state)
{
	struct {
		const char *sql;
		enum classify_control control;
		const char *name, *value;
	} rows[] = {
		{"SET pgsteer.use_primary = on", CONTROL_SET, "use_primary", "on"},
		{"SET pgsteer.use_primary TO off", CONTROL_SET, "use_primary", "off"},
		{"set PGSTEER.Use_Replicas_For_Reads = ON", CONTROL_SET, "use_replicas_for_reads", "on"},
		{"SET pgsteer.sticky_key = 'user:42'", CONTROL_SET, "sticky_key", "user:42"},
		{"SET pgsteer.tenant TO 'it''s'", CONTROL_SET, "tenant", "it's"},
		{"SET pgsteer.tenant = E'a\\'b'", CONTROL_SET, "tenant", "a'b"},
		{"SET pgsteer.tenant = $$acme$$", CONTROL_SET, "tenant", "acme"},
		{"SET pgsteer.tenant = \"Acme\"", CONTROL_SET, "tenant", "Acme"},
		{"SET pgsteer.x = 1.5", CONTROL_SET, "x", "1.5"},
		{"SET pgsteer.x = -3", CONTROL_SET, "x", "-3"},
		{"SET pgsteer.x = a, 'b'", CONTROL_SET, "x", "a, b"},
		{"SET SESSION pgsteer.fallback_ambiguous = on", CONTROL_SET, "fallback_ambiguous", "on"},
		{"SET LOCAL pgsteer.use_primary = on", CONTROL_SET, "use_primary", "on"},
		{"SET \"pgsteer\".\"Tenant\" = x", CONTROL_SET, "tenant", "x"},
		{"/* c */ SET /* c */ pgsteer . tenant /* c */ = /* c */ 'x' ;", CONTROL_SET, "tenant", "x"},
		{"SET pgsteer.use_primary TO DEFAULT", CONTROL_RESET, "use_primary", ""},
		{"RESET pgsteer.use_primary", CONTROL_RESET, "use_primary", ""},
		{"RESET pgsteer.*", CONTROL_RESET, "*", ""},
		{"SHOW pgsteer.last_route", CONTROL_SHOW, "last_route", ""},
		{"SHOW PGSTEER.LAST_ROUTE;", CONTROL_SHOW, "last_route", ""},
		{"SET pgsteer.x", CONTROL_NONE, "x", ""},
		{"SET pgsteer.x = ", CONTROL_NONE, "x", ""},
		{"SET pgsteer.x = 1 + 2", CONTROL_NONE, "x", ""},
		{"SET pgsteer.* = 1", CONTROL_NONE, "*", ""},
		{"RESET pgsteer.x y", CONTROL_NONE, "x", ""},
	};
	struct classify_result r;
	char big[600];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		classify(rows[i].sql, &r);
		if (r.cls != CLASS_CONTROL || r.control != rows[i].control ||
		    strcmp(r.control_name, rows[i].name) != 0 || strcmp(r.control_value, rows[i].value) != 0)
			fprintf(stderr, "MISMATCH: %s -> %s %d '%s' '%s' (%s)\n", rows[i].sql,
				classify_class_name(r.cls), r.control, r.control_name, r.control_value, r.reason);
		assert_int_equal(r.cls, CLASS_CONTROL);
		assert_int_equal(r.control, rows[i].control);
		assert_string_equal(r.control_name, rows[i].name);
		assert_string_equal(r.control_value, rows[i].value);
	}
	/* not pgsteer's */
	classify("SET pgsteerx.a = 1", &r);
	assert_int_equal(r.cls, CLASS_SESSION);
	classify("SET myapp.pgsteer = 1", &r);
	assert_int_equal(r.cls, CLASS_SESSION);
	classify("SHOW pgsteer", &r);
	assert_int_equal(r.cls, CLASS_READ);
	classify("SELECT current_setting('pgsteer.tenant')", &r);
	assert_int_equal(r.cls, CLASS_READ);
	/* too long a value is refused, not truncated */
	memset(big, 'x', sizeof(big));
	memcpy(big, "SET pgsteer.t = '", 17);
	big[sizeof(big) - 2] = '\'';
	big[sizeof(big) - 1] = '\0';
	classify(big, &r);
	assert_int_equal(r.cls, CLASS_CONTROL);
	assert_int_equal(r.control, CONTROL_NONE);
	assert_non_null(strstr(r.reason, "too long"));
}

/* ---- hints ---- */

static void test_hints(void **state)
{
	struct {
		const char *sql;
		enum classify_hint hint;
	} rows[] = {
		{"/* pgsteer: primary */ SELECT 1", HINT_PRIMARY},
		{"/*pgsteer:replica*/SELECT 1", HINT_REPLICA},
		{"  \n/*  PGSTEER :  Replica  */ SELECT 1", HINT_REPLICA},
		{"-- pgsteer: primary\nSELECT 1", HINT_PRIMARY},
		{"SELECT /* pgsteer: primary */ 1", HINT_NONE},
		{"SELECT 1 /* pgsteer: primary */", HINT_NONE},
		{"/* hello */ /* pgsteer: primary */ SELECT 1", HINT_NONE},
		{"/* pgsteer: primary please */ SELECT 1", HINT_NONE},
		{"/* pgsteer: leader */ SELECT 1", HINT_NONE},
		{"/* pgsteer: primary", HINT_NONE},
		{"SELECT '/* pgsteer: primary */'", HINT_NONE},
	};
	struct classify_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		classify(rows[i].sql, &r);
		if (r.hint != rows[i].hint)
			fprintf(stderr, "MISMATCH hint: %s\n", rows[i].sql);
		assert_int_equal(r.hint, rows[i].hint);
	}
	/* a hint does not change the class */
	classify("/* pgsteer: replica */ INSERT INTO t VALUES (1)", &r);
	assert_int_equal(r.cls, CLASS_WRITE);
	assert_int_equal(r.hint, HINT_REPLICA);
}

/* ---- knowledge: patterns and catalog ---- */

static void test_patterns(void **state)
{
	char *readf[] = {"^audit_read", "^report\\.", NULL};
	char *writef[] = {"^audit_", "(?i)^APP\\.bump$", NULL};
	char *primary[] = {"(?i)^\\s*select .* from jobs_queue", NULL};
	char *replica[] = {"/\\* reporting \\*/", NULL};
	char *broken[] = {"(", NULL};
	char err[256] = "";
	struct classify_knowledge *k = classify_knowledge_new();
	static const struct row rows[] = {
		{"SELECT audit_log(1)", W, "write_functions"},
		{"SELECT audit_read(1)", W, "write_functions"},	/* write patterns win */
		{"SELECT report.daily(1)", R, NULL},
		{"SELECT app.bump(1)", W, NULL},
		{"SELECT other(1)", A, NULL},
		{"SELECT * FROM jobs_queue LIMIT 1", W, "primary_patterns"},
		{"/* reporting */ SELECT heavy(1)", R, "replica_patterns"},
		{"/* reporting */ DELETE FROM t", W, "DELETE"},
		{"/* reporting */ BEGIN", T, NULL},
		{"SELECT nextval('s')", W, NULL},
	};

	(void)state;
	assert_non_null(k);
	assert_int_equal(classify_knowledge_set_patterns(k, NULL, broken, NULL, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "write_functions"));
	assert_non_null(strstr(err, "'('"));
	assert_int_equal(classify_knowledge_set_patterns(k, readf, writef, primary, replica, err, sizeof(err)), 0);
	CHECK_ROWS(rows, k);
	/* a failing update keeps the previous patterns */
	assert_int_equal(classify_knowledge_set_patterns(k, broken, NULL, NULL, NULL, err, sizeof(err)), -1);
	CHECK_ROWS(rows, k);
	classify_knowledge_free(k);
	classify_knowledge_free(NULL);
}

static void test_catalog(void **state)
{
	const struct classify_catalog_row cat[] = {
		{"public", "calc_total", 'i'},
		{"public", "current_tenant", 's'},
		{"public", "audit_log", 'v'},
		{"app", "mixed", 's'},
		{"other", "mixed", 'v'},
		{"pg_catalog", "nextval", 'v'},	/* builtin table still wins */
		{"public", "count", 'v'},
	};
	struct classify_knowledge *k = classify_knowledge_new();
	static const struct row rows[] = {
		{"SELECT calc_total(1)", R, NULL},
		{"SELECT public.calc_total(1)", R, NULL},
		{"SELECT current_tenant()", R, NULL},
		{"SELECT audit_log(1)", A, "volatile function audit_log()"},
		{"SELECT app.mixed()", R, NULL},
		{"SELECT other.mixed()", A, NULL},
		{"SELECT mixed()", A, NULL},	/* unqualified: any schema's volatility counts */
		{"SELECT nextval('s')", W, NULL},
		{"SELECT count(*) FROM t", R, NULL},	/* unqualified builtin wins */
		{"SELECT public.count(a) FROM t", A, NULL},
		{"SELECT unknown_fn()", A, "unknown"},
	};

	(void)state;
	assert_non_null(k);
	assert_int_equal(classify_knowledge_set_catalog(k, cat, sizeof(cat) / sizeof(cat[0])), 0);
	CHECK_ROWS(rows, k);
	/* replacing the catalog forgets old rows */
	assert_int_equal(classify_knowledge_set_catalog(k, cat, 1), 0);
	{
		struct classify_result r;
		classify_sql("SELECT current_tenant()", 23, k, &r);
		assert_int_equal(r.cls, CLASS_AMBIGUOUS);
	}
	assert_int_equal(classify_knowledge_set_catalog(k, NULL, 0), 0);
	classify_knowledge_free(k);
}

/* Tables the catalog says are unlogged: a statement naming one says so (unlogged). */
static void test_catalog_unlogged(void **state)
{
	const struct classify_catalog_row cat[] = {
		{"public", "hits", 'u'},
		{"app", "events", 'u'},
		{"public", "calc_total", 'i'},
	};
	static const struct { const char *sql; bool unlogged; } rows[] = {
		{"SELECT count(*) FROM hits", true},
		{"SELECT * FROM public.hits WHERE id = 1", true},
		{"select * from HITS", true},				/* folded */
		{"SELECT * FROM \"HITS\"", false},			/* quoted: another name */
		{"SELECT e.* FROM app.events e JOIN t ON t.id = e.id", true},
		{"SELECT * FROM other.events", false},			/* another schema */
		{"SELECT * FROM events", true},				/* unqualified: any schema's */
		{"WITH x AS (SELECT * FROM hits) SELECT * FROM x", true},
		{"SELECT (SELECT max(n) FROM hits), 1", true},
		{"SELECT calc_total(1) FROM t", false},
		{"SELECT * FROM hits_archive", false},
		{"SELECT 'hits' FROM t", false},			/* a literal */
		{"EXPLAIN SELECT * FROM hits", true},
	};
	struct classify_knowledge *k = classify_knowledge_new();
	struct classify_result r;

	(void)state;
	assert_non_null(k);
	classify_sql("SELECT * FROM hits", 18, k, &r);
	assert_false(r.unlogged);	/* no catalog yet */
	assert_int_equal(classify_knowledge_set_catalog(k, cat, sizeof(cat) / sizeof(cat[0])), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		classify_sql(rows[i].sql, strlen(rows[i].sql), k, &r);
		if (r.unlogged != rows[i].unlogged)
			fail_msg("%s: unlogged %d, want %d", rows[i].sql, r.unlogged, rows[i].unlogged);
		assert_int_equal(r.cls, CLASS_READ);
		classify_query_cached(rows[i].sql, strlen(rows[i].sql), k, &r);	/* the shape cache agrees */
		assert_int_equal(r.unlogged, rows[i].unlogged);
	}
	/* a write naming it is a write; a function's volatility is unchanged */
	classify_sql("INSERT INTO hits VALUES (1)", 27, k, &r);
	assert_int_equal(r.cls, CLASS_WRITE);
	classify_sql("SELECT calc_total(1)", 20, k, &r);
	assert_int_equal(r.cls, CLASS_READ);
	/* a catalog without it forgets it */
	assert_int_equal(classify_knowledge_set_catalog(k, cat + 2, 1), 0);
	classify_sql("SELECT * FROM hits", 18, k, &r);
	assert_false(r.unlogged);
	classify_knowledge_free(k);
}

/* ---- robustness ---- */

static void test_robustness(void **state)
{
	struct classify_result r;
	char buf[4096];

	(void)state;
	assert_int_equal(classify_selfcheck(), 0);
	classify_sql(NULL, 0, NULL, &r);
	assert_int_equal(r.cls, CLASS_READ);
	/* not NUL-terminated: only LEN bytes count */
	classify_sql("SELECT 1; DELETE FROM t", 8, NULL, &r);
	assert_int_equal(r.cls, CLASS_READ);
	/* embedded NUL */
	classify_sql("SELECT 1\0; DELETE", 17, NULL, &r);
	assert_int_equal(r.cls, CLASS_AMBIGUOUS);
	/* deep nesting */
	memset(buf, '(', 2000);
	strcpy(buf + 2000, "SELECT 1");
	memset(buf + 2008, ')', 2000);
	buf[4008] = '\0';
	classify(buf, &r);
	assert_int_equal(r.cls, CLASS_READ);
	memcpy(buf + 1000, "DELETE", 6);
	classify(buf, &r);
	assert_int_not_equal(r.cls, CLASS_READ);
	/* reasons never hold control characters */
	classify("SELECT \"a\nb\"(1)", &r);
	assert_null(strchr(r.reason, '\n'));
	assert_string_equal(classify_class_name(CLASS_CONTROL), "control");
	assert_string_equal(classify_class_name(CLASS_TRANSACTION), "transaction");
}

/* ---- CLI ---- */

static char *run_cli(bool all, const char *input, size_t len)
{
	char in[] = "/tmp/pgsteer-cls-inXXXXXX", out[] = "/tmp/pgsteer-cls-outXXXXXX";
	int ifd = mkstemp(in), ofd = mkstemp(out), saved_in = dup(0), saved_out = dup(1);
	static char result[4096];
	ssize_t n;

	assert_true(ifd >= 0 && ofd >= 0);
	assert_int_equal(write(ifd, input, len), (ssize_t)len);
	lseek(ifd, 0, SEEK_SET);
	fflush(stdout);
	dup2(ifd, 0);
	dup2(ofd, 1);
	clearerr(stdin);
	assert_int_equal(classify_cli(all, NULL), 0);
	fflush(stdout);
	dup2(saved_in, 0);
	dup2(saved_out, 1);
	close(saved_in);
	close(saved_out);
	clearerr(stdin);
	lseek(ofd, 0, SEEK_SET);
	n = read(ofd, result, sizeof(result) - 1);
	result[n > 0 ? n : 0] = '\0';
	close(ifd);
	close(ofd);
	unlink(in);
	unlink(out);
	return result;
}

static void test_cli(void **state)
{
	static const char multi[] = "SELECT 1\0INSERT INTO t VALUES (1)\0BEGIN\0";

	(void)state;
	assert_string_equal(run_cli(false, "SELECT 1; DELETE FROM t\n", 24), "write\tDELETE writes\n");
	assert_string_equal(run_cli(true, multi, sizeof(multi) - 1),
			    "read\tSELECT reads\nwrite\tINSERT writes\ntransaction\tBEGIN starts a transaction\n");
	/* last statement without a trailing NUL */
	assert_string_equal(run_cli(true, "SELECT 1\0SHOW x", 15), "read\tSELECT reads\nread\tSHOW reads a setting\n");
}

/* ---- corpus ---- */

/*
 * Corpus format (tests/unit/classify_corpus.txt): a line
 * "-- expect: CLASS [pins] [multi]" starts an entry; the lines after it, up
 * to the next such line, are the statement (trailing blank lines dropped).
 * Lines starting with "--#" are corpus comments and are dropped.
 */
struct corpus_entry {
	char *sql;
	enum classify_class cls;
	bool pins, multi;
	int line;
};

static bool class_from_name(const char *s, enum classify_class *cls)
{
	for (int c = CLASS_READ; c <= CLASS_CONTROL; c++) {
		if (strcmp(s, classify_class_name((enum classify_class)c)) == 0) {
			*cls = (enum classify_class)c;
			return true;
		}
	}
	return false;
}

static size_t load_corpus(struct corpus_entry **out)
{
	FILE *f = fopen(TEST_SRCDIR "/unit/classify_corpus.txt", "r");
	char line[8192];
	struct corpus_entry *v = NULL;
	size_t n = 0, cap = 0, sqlcap = 0, sqllen = 0;
	int lineno = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (strncmp(line, "--#", 3) == 0)
			continue;
		if (strncmp(line, "-- expect: ", 11) == 0) {
			char word[32], *p = line + 11;
			int used;
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				v = realloc(v, cap * sizeof(*v));
				assert_non_null(v);
			}
			memset(&v[n], 0, sizeof(v[n]));
			v[n].line = lineno;
			assert_int_equal(sscanf(p, "%31s%n", word, &used), 1);
			if (!class_from_name(word, &v[n].cls))
				fail_msg("corpus line %d: unknown class %s", lineno, word);
			p += used;
			while (sscanf(p, "%31s%n", word, &used) == 1) {
				if (strcmp(word, "pins") == 0)
					v[n].pins = true;
				else if (strcmp(word, "multi") == 0)
					v[n].multi = true;
				else
					fail_msg("corpus line %d: unknown flag %s", lineno, word);
				p += used;
			}
			v[n].sql = calloc(1, 1);
			sqlcap = 1;
			sqllen = 0;
			n++;
			continue;
		}
		if (n == 0)
			continue;	/* preamble */
		{
			size_t l = strlen(line);
			if (sqllen + l + 1 > sqlcap) {
				sqlcap = 2 * (sqllen + l + 1);
				v[n - 1].sql = realloc(v[n - 1].sql, sqlcap);
				assert_non_null(v[n - 1].sql);
			}
			memcpy(v[n - 1].sql + sqllen, line, l + 1);
			sqllen += l;
			/* trim trailing whitespace lines as we go (re-added if more text follows) */
		}
	}
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i].sql);
		while (l > 0 && (v[i].sql[l - 1] == '\n' || v[i].sql[l - 1] == ' ' || v[i].sql[l - 1] == '\r'))
			v[i].sql[--l] = '\0';
	}
	*out = v;
	return n;
}

static void test_corpus(void **state)
{
	struct corpus_entry *v;
	size_t n = load_corpus(&v), bad = 0;
	size_t per_class[6] = {0};

	(void)state;
	for (size_t i = 0; i < n; i++) {
		struct classify_result r;
		classify_sql(v[i].sql, strlen(v[i].sql), NULL, &r);
		per_class[v[i].cls]++;
		if (r.cls != v[i].cls || (v[i].pins && !r.pins_session) || (v[i].multi && !r.multi_statement) ||
		    (!v[i].multi && r.multi_statement)) {
			fprintf(stderr, "corpus line %d: expected %s%s%s, got %s%s%s (%s)\n%s\n\n", v[i].line,
				classify_class_name(v[i].cls), v[i].pins ? " pins" : "", v[i].multi ? " multi" : "",
				classify_class_name(r.cls), r.pins_session ? " pins" : "",
				r.multi_statement ? " multi" : "", r.reason, v[i].sql);
			bad++;
		}
		free(v[i].sql);
	}
	free(v);
	fprintf(stderr, "corpus: %zu statements (read %zu, ambiguous %zu, write %zu, transaction %zu, "
		"session %zu, control %zu), %zu disagreements\n", n, per_class[0], per_class[1],
		per_class[2], per_class[3], per_class[4], per_class[5], bad);
	assert_true(n >= 500);
	assert_int_equal(bad, 0);
}

/* ---- the classification cache ---- */

static void assert_same_result(const struct classify_result *a, const struct classify_result *b,
			       const char *sql)
{
	if (a->cls != b->cls || strcmp(a->reason, b->reason) != 0 || a->hint != b->hint ||
	    a->txn != b->txn || a->access != b->access || a->txn_and_chain != b->txn_and_chain ||
	    a->control != b->control || strcmp(a->control_name, b->control_name) != 0 ||
	    strcmp(a->control_value, b->control_value) != 0 || a->multi_statement != b->multi_statement ||
	    a->pins_session != b->pins_session || a->isolation != b->isolation ||
	    a->deferrable != b->deferrable || a->changes_session != b->changes_session ||
	    a->session_op != b->session_op || strcmp(a->object_name, b->object_name) != 0 ||
	    a->prepared_class != b->prepared_class || a->statement_count != b->statement_count)
		fail_msg("cached and fresh classification differ (%s / %s) for: %s", a->reason, b->reason, sql);
}

/* Every corpus statement: the cached answer, missed and then hit, is the fresh one. */
static void test_cache_corpus(void **state)
{
	struct corpus_entry *v;
	size_t n = load_corpus(&v), cacheable = 0;
	struct classify_cache_stats before = classify_cache_stats(), after;

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			struct classify_result fresh, cached;
			size_t len = strlen(v[i].sql);
			classify_sql(v[i].sql, len, NULL, &fresh);
			classify_sql_cached(v[i].sql, len, NULL, &cached);
			assert_same_result(&cached, &fresh, v[i].sql);
			/* and right away again: now from the cache */
			classify_sql_cached(v[i].sql, len, NULL, &cached);
			assert_same_result(&cached, &fresh, v[i].sql);
			if (pass == 0 && len <= 256)
				cacheable++;
		}
	}
	after = classify_cache_stats();
	/* each cacheable statement: at least its immediate repeat hit, each pass */
	assert_true(after.hits - before.hits >= 2 * cacheable);
	assert_true(cacheable >= 500);
	for (size_t i = 0; i < n; i++)
		free(v[i].sql);
	free(v);
}

/* Different texts sharing slots never answer for each other; longer than 256 bytes is not kept. */
static void test_cache_collisions(void **state)
{
	char sql[400];
	struct classify_result r;

	(void)state;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 500; i++) {
			/* read and write texts of the same length, interleaved over all slots */
			snprintf(sql, sizeof(sql), i % 2 ? "DELETE FROM t%05d" : "SELECT * FROM t%05d", i);
			classify_sql_cached(sql, strlen(sql), NULL, &r);
			assert_int_equal(r.cls, i % 2 ? CLASS_WRITE : CLASS_READ);
		}
	}
	memset(sql, ' ', sizeof(sql));
	memcpy(sql, "SELECT 1", 8);
	memcpy(sql + 300, "; DELETE FROM t", 15);
	for (int i = 0; i < 2; i++) {
		classify_sql_cached(sql, 315, NULL, &r);
		assert_int_equal(r.cls, CLASS_WRITE);
		classify_sql_cached(sql, 8, NULL, &r);	/* its first 8 bytes: another statement */
		assert_int_equal(r.cls, CLASS_READ);
		assert_false(r.multi_statement);
	}
}

/* A change of the knowledge (patterns, catalog) or another knowledge object is a miss. */
static void test_cache_knowledge(void **state)
{
	struct classify_knowledge *k = classify_knowledge_new(), *k2;
	char *writes[] = {"^audit_me$", NULL}, *none[] = {NULL};
	char err[256];
	const char *sql = "SELECT audit_me(1)";
	struct classify_result r;
	struct classify_catalog_row vol = {"public", "audit_me", 'v'}, imm = {"public", "audit_me", 'i'};

	(void)state;
	assert_non_null(k);
	classify_sql_cached(sql, strlen(sql), k, &r);
	assert_int_equal(r.cls, CLASS_AMBIGUOUS);	/* an unknown function */
	assert_int_equal(classify_knowledge_set_catalog(k, &imm, 1), 0);
	classify_sql_cached(sql, strlen(sql), k, &r);
	assert_int_equal(r.cls, CLASS_READ);		/* immutable */
	assert_int_equal(classify_knowledge_set_catalog(k, &vol, 1), 0);
	classify_sql_cached(sql, strlen(sql), k, &r);
	assert_int_equal(r.cls, CLASS_AMBIGUOUS);	/* volatile */
	assert_int_equal(classify_knowledge_set_patterns(k, none, writes, none, none, err, sizeof(err)), 0);
	classify_sql_cached(sql, strlen(sql), k, &r);
	assert_int_equal(r.cls, CLASS_WRITE);		/* write_functions */
	classify_sql_cached(sql, strlen(sql), NULL, &r);
	assert_int_equal(r.cls, CLASS_AMBIGUOUS);	/* built-in knowledge only */
	k2 = classify_knowledge_new();
	assert_non_null(k2);
	classify_sql_cached(sql, strlen(sql), k2, &r);
	assert_int_equal(r.cls, CLASS_AMBIGUOUS);	/* a fresh object knows nothing */
	classify_knowledge_free(k);
	classify_knowledge_free(k2);
}

/* ---- the shape cache (simple Query texts) ---- */

/*
 * SQL with every '...' content replaced by STR and every integer not part
 * of a name replaced by NUM, naively (no regard for comments or dollar
 * quotes): another text of the same shape, often, and some other text
 * otherwise.  Either way the cache must answer for it what classify_sql() does.
 */
static char *with_values(const char *sql, const char *str, const char *num)
{
	size_t n = strlen(sql), cap = 4 * n + 64, o = 0;
	char *out = malloc(cap);
	char prev = ' ';

	assert_non_null(out);
	for (size_t i = 0; i < n;) {
		assert_true(o + strlen(str) + strlen(num) + 4 < cap);
		if (sql[i] == '\'') {
			size_t j = i + 1;
			while (j < n && !(sql[j] == '\'' && !(j + 1 < n && sql[j + 1] == '\'')))
				j += (sql[j] == '\'') ? 2 : 1;
			out[o++] = '\'';
			memcpy(out + o, str, strlen(str));
			o += strlen(str);
			if (j < n)
				out[o++] = '\'';
			i = j + 1;
			prev = '\'';
		} else if (isdigit((unsigned char)sql[i]) && !isalnum((unsigned char)prev) && prev != '_' &&
			   prev != '$') {
			while (i < n && isdigit((unsigned char)sql[i]))
				i++;
			memcpy(out + o, num, strlen(num));
			o += strlen(num);
			prev = '0';
		} else {
			prev = sql[i];
			out[o++] = sql[i++];
		}
	}
	out[o] = '\0';
	return out;
}

/* Check classify_query_cached() against classify_sql() for SQL; true if it was a hit. */
static bool query_cached_is_fresh(const char *sql, const struct classify_knowledge *k)
{
	struct classify_result fresh, cached;
	struct classify_cache_stats before = classify_cache_stats();

	classify_sql(sql, strlen(sql), k, &fresh);
	classify_query_cached(sql, strlen(sql), k, &cached);
	assert_same_result(&cached, &fresh, sql);
	return classify_cache_stats().hits > before.hits;
}

/*
 * Every corpus statement and texts of its shape with other values, one
 * after the other through the cache: each answer is the fresh one, and
 * many of them come from the cache.
 */
static void test_shape_cache_corpus(void **state)
{
	static const char *values[][2] = {
		{"off", "0"}, {"on", "1"}, {"", "12345"}, {"it''s", "7"}, {"true", "42"}, {"false", "0"},
		{"read only", "2"}, {"x", "99999999999999999999"},
	};
	struct corpus_entry *v;
	size_t n = load_corpus(&v), hits = 0, checked = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		query_cached_is_fresh(v[i].sql, NULL);
		for (size_t j = 0; j < sizeof(values) / sizeof(values[0]); j++) {
			char *other = with_values(v[i].sql, values[j][0], values[j][1]);
			hits += query_cached_is_fresh(other, NULL);
			checked++;
			free(other);
		}
		free(v[i].sql);
	}
	free(v);
	fprintf(stderr, "shape cache: %zu texts of corpus shapes, %zu answered from the cache\n", checked, hits);
	assert_true(hits >= checked / 4);
}

/* Where a literal's value decides, texts of one shape are never answered for each other. */
/* Statements of one shape whose class or value depends on the literal (FIELD: v control_value, o object_name). */
struct decided_row {
	const char *sql;
	enum classify_class cls;
	char field;
	const char *value;
};

static void test_shape_cache_values(void **state)
{
	static const struct decided_row decided[] = {
		{"SET pgsteer.use_primary = 0", CLASS_CONTROL, 'v', "0"},
		{"SET pgsteer.use_primary = 1", CLASS_CONTROL, 'v', "1"},
		{"SET pgsteer.use_primary = 'off'", CLASS_CONTROL, 'v', "off"},
		{"SET pgsteer.use_primary = 'on'", CLASS_CONTROL, 'v', "on"},
		{"EXPLAIN (ANALYZE 0) DELETE FROM t", CLASS_READ, 0, NULL},
		{"EXPLAIN (ANALYZE 1) DELETE FROM t", CLASS_WRITE, 0, NULL},
		{"EXPLAIN (ANALYZE 'off') DELETE FROM t", CLASS_READ, 0, NULL},
		{"EXPLAIN (ANALYZE 'on') DELETE FROM t", CLASS_WRITE, 0, NULL},
		{"PREPARE TRANSACTION 'a'", CLASS_WRITE, 'o', "a"},
		{"PREPARE TRANSACTION 'b'", CLASS_WRITE, 'o', "b"},
		{"COMMIT PREPARED 'a'", CLASS_WRITE, 'o', "a"},
		{"COMMIT PREPARED 'b'", CLASS_WRITE, 'o', "b"},
		{"ROLLBACK PREPARED 'c'", CLASS_WRITE, 'o', "c"},
	};
	struct classify_result r;
	struct classify_cache_stats before;
	static const char *uncached[] = {
		"SELECT E'a\\nb' FROM t WHERE x = 1",	/* prefixed string */
		"SELECT $$a$$ FROM t WHERE x = 1",	/* dollar quote */
		"/* c */ SELECT a FROM t WHERE x = 1",	/* comment */
		"SELECT a FROM t WHERE x = 1 -- c",
		"SELECT a FROM t WHERE x = 1.5",	/* not a plain integer */
		"SELECT a FROM t WHERE x = 0x1f",
		"SELECT a FROM t WHERE x = 'unterminated",
		"SELECT a FROM t WHERE x = 'a\\'",	/* a backslash */
	};

	(void)state;
	/* pgbench's statement: the second value is a hit, and a read */
	query_cached_is_fresh("SELECT abalance FROM pgbench_accounts WHERE aid = 1;", NULL);
	assert_true(query_cached_is_fresh("SELECT abalance FROM pgbench_accounts WHERE aid = 4711;", NULL));
	classify_query_cached("SELECT abalance FROM pgbench_accounts WHERE aid = 99;", strlen("SELECT abalance FROM pgbench_accounts WHERE aid = 99;"), NULL, &r);
	assert_int_equal(r.cls, CLASS_READ);
	query_cached_is_fresh("SELECT * FROM t WHERE name = 'a' AND \"Col\" = 'b'", NULL);
	assert_true(query_cached_is_fresh("SELECT * FROM t WHERE name = 'it''s' AND \"Col\" = ''", NULL));
	assert_false(query_cached_is_fresh("SELECT * FROM t WHERE name = 'x' AND \"Other\" = ''", NULL));

	/* values that decide: never from the cache, each one right, twice over */
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(decided) / sizeof(decided[0]); i++) {
			const struct decided_row *d = &decided[i];
			const char *got;

			classify_query_cached(d->sql, strlen(d->sql), NULL, &r);
			assert_int_equal(r.cls, d->cls);
			got = d->field == 'v' ? r.control_value : d->field == 'o' ? r.object_name : NULL;
			if (got && strcmp(got, d->value) != 0)
				fail_msg("%s: got '%s', want '%s'", d->sql, got, d->value);
		}
	}
	/* a Parse's exact text and a Query's shape never answer for each other */
	classify_sql_cached("SET pgsteer.use_primary = 0", strlen("SET pgsteer.use_primary = 0"), NULL, &r);
	classify_sql_cached("SET pgsteer.use_primary = 0", strlen("SET pgsteer.use_primary = 0"), NULL, &r);
	classify_query_cached("SET pgsteer.use_primary = 1", strlen("SET pgsteer.use_primary = 1"), NULL, &r);
	assert_string_equal(r.control_value, "1");

	/* texts with no shape go around the cache: neither hit nor miss */
	for (size_t i = 0; i < sizeof(uncached) / sizeof(uncached[0]); i++) {
		before = classify_cache_stats();
		for (int round = 0; round < 2; round++)
			query_cached_is_fresh(uncached[i], NULL);
		assert_int_equal(classify_cache_stats().hits, before.hits);
		assert_int_equal(classify_cache_stats().misses, before.misses);
	}
}

/* The pattern lists see each text's own values, also when its shape is a hit. */
static void test_shape_cache_patterns(void **state)
{
	char *primary[] = {"aid = 42$", NULL}, *replica[] = {"FROM jobs WHERE id = 7$", NULL};
	char *none[] = {NULL};
	char err[256];
	struct classify_knowledge *k = classify_knowledge_new();
	struct classify_result r;

	(void)state;
	assert_non_null(k);
	assert_int_equal(classify_knowledge_set_patterns(k, none, none, primary, replica, err, sizeof(err)), 0);
	for (int round = 0; round < 2; round++) {
		classify_query_cached("SELECT a FROM t WHERE aid = 1", strlen("SELECT a FROM t WHERE aid = 1"), k, &r);
		assert_int_equal(r.cls, CLASS_READ);
		classify_query_cached("SELECT a FROM t WHERE aid = 42", strlen("SELECT a FROM t WHERE aid = 42"), k, &r);
		assert_int_equal(r.cls, CLASS_WRITE);
		assert_non_null(strstr(r.reason, "primary_patterns"));
		assert_true(query_cached_is_fresh("SELECT a FROM t WHERE aid = 3", k));
		assert_true(query_cached_is_fresh("SELECT a FROM t WHERE aid = 42", k));
		classify_query_cached("SELECT unknown_fn() FROM jobs WHERE id = 1", strlen("SELECT unknown_fn() FROM jobs WHERE id = 1"), k, &r);
		assert_int_equal(r.cls, CLASS_AMBIGUOUS);
		classify_query_cached("SELECT unknown_fn() FROM jobs WHERE id = 7", strlen("SELECT unknown_fn() FROM jobs WHERE id = 7"), k, &r);
		assert_int_equal(r.cls, CLASS_READ);
		assert_non_null(strstr(r.reason, "replica_patterns"));
	}
	/* new patterns: a new generation, nothing from before */
	assert_int_equal(classify_knowledge_set_patterns(k, none, none, none, none, err, sizeof(err)), 0);
	classify_query_cached("SELECT a FROM t WHERE aid = 42", strlen("SELECT a FROM t WHERE aid = 42"), k, &r);
	assert_int_equal(r.cls, CLASS_READ);
	classify_knowledge_free(k);
}

/* classify_split(): the statements of a string, as the classifier walks them. */
static void expect_split(const char *sql, int n, const char *const *parts)
{
	struct classify_span spans[8];
	int got = classify_split(sql, strlen(sql), spans, 8);

	assert_int_equal(got, n);
	for (int i = 0; i < n && i < 8; i++) {
		char buf[256];
		size_t len = spans[i].end - spans[i].start;
		assert_true(len < sizeof(buf));
		memcpy(buf, sql + spans[i].start, len);
		buf[len] = '\0';
		assert_string_equal(buf, parts[i]);
	}
}

static void test_split(void **state)
{
	(void)state;
	expect_split("SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;", 4,
		     (const char *const[]){ "SELECT pg_advisory_unlock_all()", "CLOSE ALL", "UNLISTEN *",
					    "RESET ALL" });
	expect_split("  ;; SELECT 1 ;", 1, (const char *const[]){ "SELECT 1 " });
	expect_split("", 0, NULL);
	expect_split("SELECT ';' AS a; SELECT $x$ ; $x$ -- ;\n", 2,
		     (const char *const[]){ "SELECT ';' AS a", "SELECT $x$ ; $x$ -- ;\n" });
	expect_split("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; SELECT 2", 2,
		     (const char *const[]){ "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
					    "SELECT 2" });
	expect_split("SELECT (1; SELECT 2", -1, NULL);
	expect_split("SELECT 'unterminated", -1, NULL);
	/* more statements than room: the count, and the first MAX spans */
	{
		struct classify_span one[1];
		assert_int_equal(classify_split("SELECT 1; SELECT 2; SELECT 3", 28, one, 1), 3);
		assert_int_equal(one[0].start, 0);
		assert_int_equal(one[0].end, 8);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_identifiers),
		cmocka_unit_test(test_multi),
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_writes),
		cmocka_unit_test(test_do_block_settings),
		cmocka_unit_test(test_ddl_flag),
		cmocka_unit_test(test_notifies_flag),
		cmocka_unit_test(test_node_local_flag),
		cmocka_unit_test(test_functions),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_hints),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_catalog),
		cmocka_unit_test(test_catalog_unlogged),
		cmocka_unit_test(test_robustness),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_cache_corpus),
		cmocka_unit_test(test_cache_collisions),
		cmocka_unit_test(test_cache_knowledge),
		cmocka_unit_test(test_shape_cache_corpus),
		cmocka_unit_test(test_shape_cache_values),
		cmocka_unit_test(test_shape_cache_patterns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
