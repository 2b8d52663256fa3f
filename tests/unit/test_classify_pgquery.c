/*
 * Differential test of the classifier against PostgreSQL's own parser
 * (libpg_query, linked into this test only, never into the daemon).
 *
 * For every corpus statement, thousands of generated statements and
 * thousands of mutants of corpus statements (a random fragment inserted)
 * that the parser accepts, an oracle derives the class from the parse tree
 * (statement node kind, locking clause, INTO, nested DML, FuncCall nodes,
 * EXPLAIN options, COPY direction, ...) and the lexer's class must agree.
 * Function calls are the one place where the oracle asks the classifier:
 * for each FuncCall node it asks classify_function() what the built-in
 * tables say about that function, so the test checks that the lexer finds
 * exactly the calls the parser finds.  Disagreements where the
 * lexer is right by design are listed in known_disagreements[] with why.
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
#include <strings.h>

#include <pg_query.h>

#include "classify.h"

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "tests"
#endif

/*
 * Statements on which the lexer deliberately differs from the parse-tree
 * oracle, matched by exact text.
 */
static const struct {
	const char *sql;
	const char *why;
} known_disagreements[] = {
	/*
	 * None today.  Add {"exact statement", "why the lexer is right"}; the
	 * list ends with NULL.
	 */
	{NULL, NULL},
};

/* ---- minimal JSON walking over pg_query's parse tree ---- */

/* Skip one JSON value starting at P; returns the first byte after it. */
static const char *json_value_end(const char *p)
{
	int depth = 0;

	if (*p == '"') {
		for (p++; *p && *p != '"'; p++)
			if (*p == '\\' && p[1])
				p++;
		return *p ? p + 1 : p;
	}
	if (*p != '{' && *p != '[') {
		while (*p && *p != ',' && *p != '}' && *p != ']')
			p++;
		return p;
	}
	do {
		if (*p == '"') {
			p = json_value_end(p);
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		p++;
	} while (*p && depth > 0);
	return p;
}

static const char *span_find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; p + n <= end; p++)
		if (memcmp(p, needle, n) == 0)
			return p;
	return NULL;
}

/* Copy a JSON string's contents (P at the opening quote). */
static void json_string(const char *p, char *buf, size_t bufsz)
{
	size_t o = 0;

	for (p++; *p && *p != '"' && o + 1 < bufsz; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			buf[o++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
		} else {
			buf[o++] = *p;
		}
	}
	buf[o] = '\0';
}

/* ---- the oracle ---- */

struct verdict {
	enum classify_class cls;
	bool pins;
};

static int rank(enum classify_class c)
{
	return c == CLASS_READ ? 0 : c == CLASS_AMBIGUOUS ? 1 : c == CLASS_WRITE ? 2 : -1;
}

static void raise_to(struct verdict *v, enum classify_class c)
{
	if (rank(c) > rank(v->cls))
		v->cls = c;
}

/* What the function knowledge (classify_function) says about each FuncCall in [p, end). */
static void funccalls(const char *p, const char *end, struct verdict *v)
{
	static const char tag[] = "\"FuncCall\":{\"funcname\":[";

	while ((p = span_find(p, end, tag)) != NULL) {
		const char *q = p + sizeof(tag) - 1, *lend = json_value_end(q - 1);
		char schema[200] = "", name[200] = "";
		bool pins = false;

		/* funcname is [catalog.]schema.name: keep the last two parts */
		while ((q = span_find(q, lend, "\"sval\":")) != NULL) {
			memcpy(schema, name, sizeof(schema));
			json_string(q + 7, name, sizeof(name));
			q += 7;
		}
		raise_to(v, classify_function(NULL, schema, name, &pins));
		v->pins |= pins;
		p = lend;
	}
}

static struct verdict oracle_node(const char *node, const char *end);

/* The node that is the value of KEY ("query") inside [p, end). */
static struct verdict oracle_child(const char *p, const char *end, const char *key, bool *found)
{
	char needle[64];
	const char *q;
	struct verdict v = {CLASS_READ, false};

	snprintf(needle, sizeof(needle), "\"%s\":{", key);
	q = span_find(p, end, needle);
	*found = q != NULL;
	if (q)
		v = oracle_node(q + strlen(needle) - 1, end);
	return v;
}

/* NODE points at {"Kind":{...}}. */
static struct verdict oracle_node(const char *node, const char *end)
{
	char kind[64];
	const char *val, *vend;
	struct verdict v = {CLASS_WRITE, false};
	bool found;

	json_string(node + 1, kind, sizeof(kind));
	val = node + 1 + strlen(kind) + 3;
	vend = json_value_end(val);
	if (vend > end)
		vend = end;

	if (strcmp(kind, "SelectStmt") == 0) {
		if (span_find(val, vend, "\"lockingClause\"") || span_find(val, vend, "\"intoClause\"") ||
		    span_find(val, vend, "{\"InsertStmt\"") || span_find(val, vend, "{\"UpdateStmt\"") ||
		    span_find(val, vend, "{\"DeleteStmt\"") || span_find(val, vend, "{\"MergeStmt\"")) {
			v.cls = CLASS_WRITE;
			const char *into = span_find(val, vend, "\"intoClause\":{\"rel\":{");
			if (into && span_find(into, json_value_end(into + 13), "\"relpersistence\":\"t\""))
				v.pins = true;
			funccalls(val, vend, &v);	/* pins of session locks still count */
			v.cls = CLASS_WRITE;
			return v;
		}
		v.cls = CLASS_READ;
		funccalls(val, vend, &v);
		return v;
	}
	if (!strcmp(kind, "InsertStmt") || !strcmp(kind, "UpdateStmt") || !strcmp(kind, "DeleteStmt") ||
	    !strcmp(kind, "MergeStmt")) {
		funccalls(val, vend, &v);
		v.cls = CLASS_WRITE;
		return v;
	}
	if (strcmp(kind, "TransactionStmt") == 0) {
		v.cls = (span_find(val, vend, "TRANS_STMT_PREPARE") || span_find(val, vend, "_PREPARED\""))
			? CLASS_WRITE : CLASS_TRANSACTION;
		return v;
	}
	if (strcmp(kind, "VariableSetStmt") == 0 || strcmp(kind, "VariableShowStmt") == 0) {
		const char *n = span_find(val, vend, "\"name\":\"");
		char name[128] = "";
		if (n)
			json_string(n + 7, name, sizeof(name));
		if (strncasecmp(name, "pgsteer.", 8) == 0)
			v.cls = CLASS_CONTROL;
		else
			v.cls = kind[8] == 'S' && kind[9] == 'e' ? CLASS_SESSION : CLASS_READ;
		return v;
	}
	/* SET CONSTRAINTS has its own node but is a SET: session */
	if (!strcmp(kind, "DiscardStmt") || !strcmp(kind, "LoadStmt") || !strcmp(kind, "PrepareStmt") ||
	    !strcmp(kind, "DeallocateStmt") || !strcmp(kind, "ConstraintsSetStmt")) {
		v.cls = CLASS_SESSION;
		return v;
	}
	if (!strcmp(kind, "ExecuteStmt") || !strcmp(kind, "FetchStmt") || !strcmp(kind, "ClosePortalStmt")) {
		v.cls = CLASS_AMBIGUOUS;
		funccalls(val, vend, &v);
		return v;
	}
	if (strcmp(kind, "ExplainStmt") == 0) {
		const char *a = span_find(val, vend, "\"defname\":\"analyze\"");
		bool analyze = a != NULL;
		if (a) {
			const char *dend = json_value_end(a - 1);
			if (span_find(a, dend, "\"sval\":\"false\"") || span_find(a, dend, "\"sval\":\"off\""))
				analyze = false;
		}
		if (!analyze) {
			v.cls = CLASS_READ;
			return v;
		}
		v = oracle_child(val, vend, "query", &found);
		if (rank(v.cls) < 0)
			v.cls = CLASS_AMBIGUOUS;
		return v;
	}
	if (strcmp(kind, "CopyStmt") == 0) {
		if (span_find(val, vend, "\"is_from\":true") || span_find(val, vend, "\"filename\"") ||
		    span_find(val, vend, "\"is_program\":true"))
			return v;
		v = oracle_child(val, vend, "query", &found);
		return v;
	}
	if (strcmp(kind, "DeclareCursorStmt") == 0) {
		const char *o = span_find(val, vend, "\"options\":");
		v = oracle_child(val, vend, "query", &found);
		if (o && (atoi(o + 10) & 0x20))
			v.pins = true;
		return v;
	}
	if (!strcmp(kind, "CreateStmt") || !strcmp(kind, "CreateTableAsStmt") ||
	    !strcmp(kind, "CreateSeqStmt") || !strcmp(kind, "ViewStmt")) {
		/* the created object: "relation", "into":{"rel", "view" or "sequence" */
		static const char *keys[] = {"\"relation\":{", "\"into\":{\"rel\":{", "\"view\":{", "\"sequence\":{"};
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			const char *rel = span_find(val, vend, keys[i]);
			if (rel) {
				const char *rend = json_value_end(rel + strlen(keys[i]) - 1);
				if (span_find(rel, rend, "\"relpersistence\":\"t\""))
					v.pins = true;
				break;
			}
		}
		return v;
	}
	if (strcmp(kind, "ListenStmt") == 0) {
		v.pins = true;
		return v;
	}
	return v;	/* DDL, DCL, utility: write */
}

/*
 * Oracle for a whole string: parse, classify each statement, combine with
 * the documented multi-statement rule.  False if the parser rejects SQL.
 */
static bool oracle(const char *sql, struct verdict *out, int *nstmts)
{
	PgQueryParseResult res = pg_query_parse(sql);
	const char *p;
	bool control = false, txn = false, session = false;
	int content = -1, n = 0;

	out->cls = CLASS_READ;
	out->pins = false;
	if (res.error) {
		pg_query_free_parse_result(res);
		return false;
	}
	p = strstr(res.parse_tree, "\"stmts\":[");
	if (p) {
		p += 9;
		while (*p == '{') {
			const char *elem_end = json_value_end(p);
			const char *s = span_find(p, elem_end, "\"stmt\":{");
			if (s) {
				struct verdict v = oracle_node(s + 7, elem_end);
				out->pins |= v.pins;
				if (v.cls == CLASS_CONTROL)
					control = true;
				else if (v.cls == CLASS_TRANSACTION)
					txn = true;
				else if (v.cls == CLASS_SESSION)
					session = true;
				else if (rank(v.cls) > content)
					content = rank(v.cls);
				n++;
			}
			p = elem_end;
			if (*p == ',')
				p++;
		}
	}
	pg_query_free_parse_result(res);
	*nstmts = n;
	if (n == 1 && control)
		out->cls = CLASS_CONTROL;
	else if (control)
		out->cls = CLASS_CONTROL;
	else if (content >= 1)
		out->cls = content == 2 ? CLASS_WRITE : CLASS_AMBIGUOUS;
	else if (txn)
		out->cls = CLASS_TRANSACTION;
	else if (session)
		out->cls = CLASS_SESSION;
	else
		out->cls = CLASS_READ;
	return true;
}

/* ---- comparison ---- */

struct tally {
	int checked, rejected, disagree, known;
};

static const char *known_reason(const char *sql)
{
	for (size_t i = 0; known_disagreements[i].sql; i++)
		if (strcmp(sql, known_disagreements[i].sql) == 0)
			return known_disagreements[i].why;
	return NULL;
}

static void compare(const char *sql, struct tally *t, const char *origin)
{
	struct verdict v;
	struct classify_result r;
	int n = 0;

	if (!oracle(sql, &v, &n)) {
		t->rejected++;
		return;
	}
	t->checked++;
	classify_sql(sql, strlen(sql), NULL, &r);
	if (r.cls == v.cls && (!v.pins || r.pins_session) && (n > 1) == r.multi_statement)
		return;
	if (known_reason(sql)) {
		t->known++;
		return;
	}
	t->disagree++;
	if (t->disagree <= 40)
		fprintf(stderr, "%s: parser says %s%s, lexer says %s%s (%s)%s\n  %s\n", origin,
			classify_class_name(v.cls), v.pins ? " pins" : "", classify_class_name(r.cls),
			r.pins_session ? " pins" : "", r.reason,
			(n > 1) != r.multi_statement ? " [statement count differs]" : "", sql);
}

/* ---- corpus ---- */

/* The corpus statements (tests/unit/classify_corpus.txt), NULL-terminated. */
static char **load_corpus(void)
{
	FILE *f = fopen(TEST_SRCDIR "/unit/classify_corpus.txt", "r");
	char line[8192], *sql = NULL, **v = NULL;
	size_t len = 0, n = 0;

	assert_non_null(f);
	for (;;) {
		bool eof = fgets(line, sizeof(line), f) == NULL;
		if (eof || strncmp(line, "-- expect: ", 11) == 0) {
			if (sql) {
				while (len > 0 && (sql[len - 1] == '\n' || sql[len - 1] == ' '))
					sql[--len] = '\0';
				v = realloc(v, (n + 2) * sizeof(*v));
				assert_non_null(v);
				v[n++] = sql;
				v[n] = NULL;
			}
			if (eof)
				break;
			sql = calloc(1, 1);
			len = 0;
			continue;
		}
		if (!sql || strncmp(line, "--#", 3) == 0)
			continue;
		sql = realloc(sql, len + strlen(line) + 1);
		memcpy(sql + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	fclose(f);
	return v;
}

static void free_corpus(char **v)
{
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

static void test_corpus_vs_parser(void **state)
{
	char **v = load_corpus();
	struct tally t = {0, 0, 0, 0};

	(void)state;
	for (size_t i = 0; v[i]; i++)
		compare(v[i], &t, "corpus");
	free_corpus(v);
	fprintf(stderr, "corpus vs parser: %d checked, %d rejected by the parser, %d known, %d disagreements\n",
		t.checked, t.rejected, t.known, t.disagree);
	assert_true(t.checked >= 450);
	assert_int_equal(t.disagree, 0);
}

/* ---- generated statements ---- */

static uint32_t rng_state = 12345;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) % n;
}

#define PICK(a) (a[rnd(sizeof(a) / sizeof(a[0]))])

static void test_generated_vs_parser(void **state)
{
	static const char *prefix[] = {"", "/* c */ ", "-- c\n", "/* pgsteer: primary */ ", "  \n", "/* a /* nested */ b */ "};
	static const char *expr[] = {
		"1", "a", "\"update\"", "t.delete", "count(*)", "nextval('s')", "f(a)", "app.f(a)",
		"lower(b)", "a::numeric(10,2)", "CAST(a AS varchar(3))", "'it''s; DELETE'",
		"$$;DELETE FROM t$$", "E'\\'; DROP'", "coalesce(a, 0)", "(SELECT max(a) FROM t)",
		"EXISTS (SELECT 1 FROM u)", "ARRAY[1, 2]", "row_number() OVER (PARTITION BY a)",
		"a AS \"for\"", "pg_advisory_lock(1)", "now()", "random()", "\"MyFn\"(1)",
		"pg_catalog.set_config('a', 'b', false)", "substring(b FROM 1 FOR 2)", "a + $1",
		"CASE WHEN a THEN g(1) ELSE 0 END", "json_build_object('k', a)", "txid_current()",
		"extract(epoch FROM now())", "trim(both ' ' FROM b)", "x.y.z(1)", "(f(a)).b",
		"count(*) FILTER (WHERE a > 1)", "percentile_cont(0.5) WITHIN GROUP (ORDER BY a)",
		"a IN (1, 2)", "a = ANY ($1)", "ts_stat('x')", "currval('s')", "greatest(a, b)",
		"(update)", "max(a) insert", "(a) delete", "a AS merge", "t.update", "\"delete\"(1)",
		"1 AS for_update", "a AT TIME ZONE 'UTC'", "b COLLATE \"C\"", "interval '1 day'",
		"x IS DOCUMENT", "c::character varying(5)", "ROW(1, f2(2))",
		"1 OPERATOR(pg_catalog.+) f(2)", "OPERATOR(pg_catalog.-) g(1)", "DISTINCT ON (a) h(b)",
		"DISTINCT ON (a) b", "(SELECT f(1))", "a COLLATE \"C\" || k(1)", "ARRAY(SELECT f(1))",
		"overlay(a PLACING f(b) FROM 2)", "xmlparse(DOCUMENT g(b))", "xmlroot(x, VERSION h(1))",
		"xmlserialize(CONTENT k(x) AS text)", "trim(LEADING l(1) FROM b)", "x::bit varying(3)",
	};
	static const char *from[] = {
		"t", "public.t", "\"T\"", "t x", "t AS x(a, b)", "generate_series(1, 3) g(i)",
		"(SELECT * FROM t FOR UPDATE) s", "t, LATERAL f(t.a) y", "unnest(ARRAY[1]) WITH ORDINALITY u(a, n)",
		"t JOIN u USING (a)", "t TABLESAMPLE bernoulli (5)", "ROWS FROM (generate_series(1, 2)) r",
		"(SELECT 1) s(a)", "t NATURAL JOIN u", "f(1) AS z(a int)", "t LEFT JOIN (u JOIN v ON true) ON true",
		"a, b x(c)", "s.t y(d)", "ONLY t z(e)", "t CROSS JOIN u w(a)", "xmltable('/a' PASSING x COLUMNS b int) xt",
	};
	static const char *where[] = {"", " WHERE a = 1", " WHERE b IN (1, 2)", " WHERE f(a)", " WHERE a = ANY ($1)",
				      " WHERE NOT g(a)", " WHERE a BETWEEN 1 AND h(2)", " WHERE x IS DISTINCT FROM k(1)"};
	static const char *tail[] = {"", " FOR UPDATE", " FOR SHARE OF t SKIP LOCKED", " LIMIT 1",
				     " ORDER BY 1 DESC", " FOR NO KEY UPDATE NOWAIT", " FOR KEY SHARE",
				     " GROUP BY 1 HAVING count(*) > 1", " OFFSET 5 ROWS FETCH FIRST 1 ROW ONLY"};
	static const char *wrap[] = {
		"@", "WITH c AS (@) SELECT * FROM c", "WITH c AS (DELETE FROM t RETURNING *) @",
		"EXPLAIN @", "EXPLAIN ANALYZE @", "EXPLAIN (ANALYZE, BUFFERS) @", "EXPLAIN (ANALYZE false) @",
		"DECLARE cur CURSOR FOR @", "DECLARE cur CURSOR WITH HOLD FOR @", "COPY (@) TO STDOUT",
		"@; COMMIT", "BEGIN; @", "@; INSERT INTO t VALUES (1)", "PREPARE p AS @",
		"CREATE TABLE n AS @", "SELECT * FROM (@) sub", "WITH RECURSIVE r(n) AS (@) SELECT * FROM r",
		"CREATE TEMP TABLE n AS @", "@;", "SET search_path = a; @", "(@)",
	};
	static const char *dml[] = {
		"INSERT INTO t VALUES (1)", "INSERT INTO t (a) SELECT a FROM u ON CONFLICT (a) DO UPDATE SET b = excluded.b",
		"UPDATE t SET a = f(a) WHERE b = 1", "DELETE FROM t USING u WHERE t.a = u.a RETURNING t.*",
		"MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE", "TRUNCATE t",
		"WITH x AS (SELECT 1) UPDATE t SET a = 1", "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
		"CREATE INDEX ON t (a)", "ALTER TABLE t ADD b int", "DROP VIEW v", "VACUUM t", "ANALYZE t",
		"LOCK t", "CALL p()", "DO $$ BEGIN END $$", "NOTIFY c", "LISTEN c", "UNLISTEN c",
		"REFRESH MATERIALIZED VIEW m", "CLUSTER t", "REINDEX TABLE t", "GRANT SELECT ON t TO r",
		"COMMENT ON TABLE t IS 'x'", "COPY t FROM STDIN", "COPY t TO STDOUT", "COPY t (a) TO STDOUT",
		"COPY t TO '/tmp/x'", "SELECT 1 INTO newt", "SELECT * INTO TEMP tt FROM t",
		"CREATE TEMP TABLE tt (a int)", "CREATE UNLOGGED TABLE ut (a int)", "CHECKPOINT",
		"SECURITY LABEL ON TABLE t IS 'x'", "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END",
	};
	static const char *modes[] = {"READ ONLY", "READ WRITE", "ISOLATION LEVEL SERIALIZABLE",
				      "ISOLATION LEVEL REPEATABLE READ", "ISOLATION LEVEL READ COMMITTED",
				      "ISOLATION LEVEL READ UNCOMMITTED", "DEFERRABLE", "NOT DEFERRABLE"};
	static const char *txn[] = {"BEGIN", "BEGIN WORK", "BEGIN TRANSACTION", "START TRANSACTION"};
	static const char *misc[] = {
		"COMMIT", "COMMIT AND CHAIN", "END", "ROLLBACK", "ABORT AND NO CHAIN", "SAVEPOINT s",
		"RELEASE s", "RELEASE SAVEPOINT s", "ROLLBACK TO s", "ROLLBACK TO SAVEPOINT s",
		"PREPARE TRANSACTION 'g'", "COMMIT PREPARED 'g'", "ROLLBACK PREPARED 'g'",
		"SET a = 1", "SET LOCAL a TO 'x'", "SET SESSION a = b", "SET TIME ZONE 'UTC'", "RESET a",
		"RESET ALL", "DISCARD ALL", "LOAD 'x'", "DEALLOCATE p", "DEALLOCATE ALL", "EXECUTE p",
		"EXECUTE p(1, nextval('s'))", "SET pgsteer.use_primary = on", "SET pgsteer.tenant TO 'x'",
		"RESET pgsteer.tenant", "SHOW pgsteer.last_route", "SHOW work_mem", "SHOW ALL", "FETCH 1 FROM c",
		"CLOSE c", "SET ROLE r", "SET SESSION AUTHORIZATION DEFAULT", "SET TRANSACTION READ ONLY",
		"PREPARE p (int) AS SELECT $1", "PREPARE p AS UPDATE t SET a = 1", "TABLE t", "VALUES (1), (f(2))",
	};
	struct tally t = {0, 0, 0, 0};
	char q[2048], body[1024];

	(void)state;
	/* queries */
	for (int i = 0; i < 12000; i++) {
		snprintf(body, sizeof(body), "SELECT %s, %s FROM %s%s%s", PICK(expr), PICK(expr), PICK(from),
			 PICK(where), PICK(tail));
		char wrapped[1500];
		const char *tpl = PICK(wrap), *at = strchr(tpl, '@');
		snprintf(wrapped, sizeof(wrapped), "%.*s%s%s", (int)(at - tpl), tpl, body, at + 1);
		snprintf(q, sizeof(q), "%s%s", PICK(prefix), wrapped);
		compare(q, &t, "generated");
	}
	/* writes and utility statements, alone and combined */
	for (int i = 0; i < 2000; i++) {
		snprintf(q, sizeof(q), "%s%s", PICK(prefix), PICK(dml));
		compare(q, &t, "generated");
		snprintf(q, sizeof(q), "%s; %s", PICK(misc), PICK(dml));
		compare(q, &t, "generated");
		snprintf(q, sizeof(q), "%s%s", PICK(prefix), PICK(misc));
		compare(q, &t, "generated");
		snprintf(q, sizeof(q), "%s; %s", PICK(misc), PICK(misc));
		compare(q, &t, "generated");
	}
	/* transaction modes in any order */
	for (int i = 0; i < 3000; i++) {
		int n = (int)rnd(4);
		snprintf(q, sizeof(q), "%s", PICK(txn));
		for (int j = 0; j < n; j++) {
			strcat(q, j && rnd(2) ? ", " : " ");
			strcat(q, PICK(modes));
		}
		compare(q, &t, "generated");
	}
	fprintf(stderr, "generated vs parser: %d checked, %d rejected by the parser, %d known, %d disagreements\n",
		t.checked, t.rejected, t.known, t.disagree);
	assert_true(t.checked >= 10000);
	assert_int_equal(t.disagree, 0);
}

/*
 * Corpus statements with one fragment inserted at a random space: most
 * mutants are rejected, the rest are unusual but valid SQL.
 */
static void test_mutated_vs_parser(void **state)
{
	static const char *frag[] = {
		"f(1)", "nextval('s')", ", g(a)", "AS x", "(SELECT 1)", "FOR UPDATE", "update", "delete",
		"\"update\"", "/* c */", "-- c\n", "::numeric(3,1)", "$$x$$", "'a''b'", "E'\\''", "x(a)",
		"DISTINCT ON (a)", "OPERATOR(pg_catalog.+)", "ROW(k(1))", "LATERAL h(1) z", "ONLY", "ALL",
		"AND j(2)", "OR NOT m(3)", "+ n(4)", "INTO TEMP q", "WITH w AS (SELECT 1)", "FOR SHARE",
		"LIMIT o(1)", "ORDER BY p(1)", "WHERE r(1)", "USING", "NATURAL", "TABLESAMPLE system (1)",
		"COLLATE \"C\"", "IS NOT NULL", "filter (where true)", "over ()", "within group (order by a)",
		"rollup(1)", "cube (a)", "by(1)", "is", "like", "merge", "insert", "for", "into", "with",
		"NOT MATERIALIZED", "numeric(3) '1'", "f(1) 'x'", "t.f(1)", "\"F\"(1)", "ROWS FROM (f(1))",
		"::text", "[1]", "(a).b", "AT TIME ZONE z(1)", "ESCAPE e(1)", "IN (i(1))", "= ANY (y(1))",
		"UNION SELECT u(1)", "FETCH FIRST 1 ROW ONLY", "WINDOW w AS (PARTITION BY a)", "NULLS LAST",
		"RETURNING r(1)", "FROM s(1) AS s2(a)", "GROUP BY ROLLUP (a)", "HAVING count(*) > c2(1)",
		"FOR NO KEY UPDATE", "FOR KEY SHARE OF t", "SKIP LOCKED", "NOWAIT", "INTO x", "INTO TEMP y",
		"RETURNING *", "WITH d AS (DELETE FROM t RETURNING 1)", "EXPLAIN", "EXPLAIN ANALYZE", "(", ")",
		";", "; SELECT 1", "; SET a = 1", "; BEGIN", "; COMMIT", "E'\\\\'", "$a$ ; $a$", "/* /* */ */",
		"pg_advisory_lock(1)", "pg_catalog.nextval('s')", "\"nextval\"('s')", "set_config('a','b',false)",
		"lo_import('/x')", "x.y.z.w(1)", "CAST(f(1) AS int)", "ARRAY[g(1)]", "(SELECT h(1))", "COALESCE(k(1), 0)",
	};
	char **v = load_corpus();
	struct tally t = {0, 0, 0, 0};
	char q[9000];

	(void)state;
	rng_state = 777;
	for (int round = 0; round < 160; round++) {
		for (size_t i = 0; v[i]; i++) {
			char src[9000];
			int muts = 1 + (int)rnd(2);
			if (strlen(v[i]) > 4000)
				continue;
			snprintf(src, sizeof(src), "%s", v[i]);
			for (int m = 0; m < muts; m++) {
				size_t len = strlen(src), spaces = 0, pick, pos = 0;
				for (size_t j = 0; j < len; j++)
					spaces += src[j] == ' ';
				if (!spaces)
					break;
				pick = rnd((uint32_t)spaces);
				for (size_t j = 0; j < len; j++)
					if (src[j] == ' ' && pick-- == 0) {
						pos = j;
						break;
					}
				int n = snprintf(q, sizeof(q), "%.*s %s%s", (int)pos, src, PICK(frag), src + pos);
				if (n < 0 || (size_t)n >= sizeof(q) || (size_t)n >= sizeof(src))
					break;	/* would not fit: keep the statement as it is */
				memcpy(src, q, (size_t)n + 1);
			}
			compare(src, &t, "mutated");
		}
	}
	free_corpus(v);
	fprintf(stderr, "mutated vs parser: %d checked, %d rejected by the parser, %d known, %d disagreements\n",
		t.checked, t.rejected, t.known, t.disagree);
	assert_true(t.checked >= 1000);
	assert_int_equal(t.disagree, 0);
}

/* The oracle itself must be able to disagree (the test is not vacuous). */
static void test_oracle_sanity(void **state)
{
	struct verdict v;
	int n;

	(void)state;
	assert_true(oracle("SELECT 1", &v, &n));
	assert_int_equal(v.cls, CLASS_READ);
	assert_true(oracle("SELECT * FROM t FOR UPDATE", &v, &n));
	assert_int_equal(v.cls, CLASS_WRITE);
	assert_true(oracle("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", &v, &n));
	assert_int_equal(v.cls, CLASS_WRITE);
	assert_true(oracle("SELECT audit(1)", &v, &n));
	assert_int_equal(v.cls, CLASS_AMBIGUOUS);
	assert_true(oracle("SELECT * FROM t x(a)", &v, &n));
	assert_int_equal(v.cls, CLASS_READ);
	assert_true(oracle("BEGIN READ ONLY", &v, &n));
	assert_int_equal(v.cls, CLASS_TRANSACTION);
	assert_true(oracle("SET pgsteer.x = 1", &v, &n));
	assert_int_equal(v.cls, CLASS_CONTROL);
	assert_true(oracle("CREATE TEMP TABLE x (a int)", &v, &n));
	assert_true(v.pins);
	assert_true(oracle("SELECT 1; SELECT 2", &v, &n));
	assert_int_equal(n, 2);
	assert_false(oracle("SELEC 1", &v, &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oracle_sanity),
		cmocka_unit_test(test_corpus_vs_parser),
		cmocka_unit_test(test_generated_vs_parser),
		cmocka_unit_test(test_mutated_vs_parser),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	pg_query_exit();
	return rc;
}
