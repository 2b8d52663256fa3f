/*
 * Unit tests for prepared statement bookkeeping (prepared.c): interning
 * by content, reference counting, a client's name map, a server's held
 * set with its LRU victim, invalidation (a server's copy goes stale) and
 * retirement (new Parses get a new statement; a hard one keeps the error).
 * Every test gives back what it took: the registry is empty between tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "prepared.h"

struct body {
	char b[256];
	size_t len;
};

/* A Parse body after its name: SQL\0, int16 N, int32 OIDS[N] (network order). */
static struct body parse_body(const char *sql, int n, const uint32_t *oids)
{
	struct body pb;
	size_t l = strlen(sql) + 1;

	assert_true(l + 2 + 4 * (size_t)n <= sizeof(pb.b));
	memcpy(pb.b, sql, l);
	pb.b[l++] = (char)(n >> 8);
	pb.b[l++] = (char)n;
	for (int i = 0; i < n; i++) {
		pb.b[l++] = (char)(oids[i] >> 24);
		pb.b[l++] = (char)(oids[i] >> 16);
		pb.b[l++] = (char)(oids[i] >> 8);
		pb.b[l++] = (char)oids[i];
	}
	pb.len = l;
	return pb;
}

/* Intern SQL with N parameter types OIDS, as a read. */
static struct pstmt *intern(const char *sql, int n, const uint32_t *oids)
{
	struct classify_result cls = { 0 };
	struct body pb = parse_body(sql, n, oids);
	struct pstmt *st;

	cls.cls = CLASS_READ;
	st = prepared_intern(pb.b, pb.len, NULL, &cls);
	assert_non_null(st);
	return st;
}

/* Each test starts and ends with nothing alive. */
static int registry_empty(void **state)
{
	(void)state;
	return prepared_count() == 0 ? 0 : -1;
}

static void test_intern_same_body_same_statement(void **state)
{
	struct pstmt *a, *b;
	(void)state;
	a = intern("SELECT 1", 0, NULL);
	b = intern("SELECT 1", 0, NULL);
	assert_ptr_equal(a, b);
	assert_int_equal(a->refs, 2);
	assert_int_equal(prepared_count(), 1);
	assert_string_equal(a->body, "SELECT 1");
	assert_int_equal(a->cls.cls, CLASS_READ);
	assert_int_equal(strncmp(a->server_name, "pgsteer_", 8), 0);
	prepared_unref(a);
	prepared_unref(b);
	assert_int_equal(prepared_count(), 0);
}

static void test_intern_text_and_types_tell_apart(void **state)
{
	static const uint32_t int4[] = { 23 }, text[] = { 25 }, int4_int4[] = { 23, 23 };
	struct pstmt *st[6];
	(void)state;
	st[0] = intern("SELECT $1", 1, int4);
	st[1] = intern("SELECT $1", 1, text);		/* other parameter type */
	st[2] = intern("SELECT $1", 0, NULL);		/* types left to the server */
	st[3] = intern("SELECT $1", 2, int4_int4);	/* more types */
	st[4] = intern("select $1", 1, int4);		/* other text */
	st[5] = intern("SELECT $1", 1, int4);		/* the first again */
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++) {
			assert_ptr_not_equal(st[i], st[j]);
			assert_string_not_equal(st[i]->server_name, st[j]->server_name);
		}
	assert_ptr_equal(st[5], st[0]);
	assert_int_equal(prepared_count(), 5);
	for (int i = 0; i < 6; i++)
		prepared_unref(st[i]);
	assert_int_equal(prepared_count(), 0);
}

static void test_refcount_frees_at_zero(void **state)
{
	struct pstmt *a, *b;
	(void)state;
	a = intern("SELECT 2", 0, NULL);
	prepared_ref(a);
	prepared_ref(a);
	assert_int_equal(a->refs, 3);
	prepared_unref(a);
	prepared_unref(a);
	assert_int_equal(prepared_count(), 1);	/* one reference left */
	prepared_unref(a);
	assert_int_equal(prepared_count(), 0);
	/* freed and out of the registry: the same text is a new statement */
	b = intern("SELECT 2", 0, NULL);
	assert_int_equal(b->refs, 1);
	assert_int_equal(prepared_count(), 1);
	prepared_unref(b);
	assert_int_equal(prepared_count(), 0);
}

static void test_client_map_add_get_remove(void **state)
{
	struct prep_client_map m = { 0 };
	struct pstmt *a, *b;
	(void)state;
	a = intern("SELECT 'a'", 0, NULL);
	b = intern("SELECT 'b'", 0, NULL);
	assert_true(prep_client_add(&m, "s1", a));
	assert_true(prep_client_add(&m, "s2", b));
	assert_true(prep_client_add(&m, "also_a", a));	/* two names, one statement */
	assert_int_equal(a->refs, 3);			/* each name holds a reference */
	assert_ptr_equal(prep_client_get(&m, "s1"), a);
	assert_ptr_equal(prep_client_get(&m, "s2"), b);
	assert_ptr_equal(prep_client_get(&m, "also_a"), a);
	assert_null(prep_client_get(&m, "s3"));
	assert_null(prep_client_get(&m, "S1"));		/* names are case-sensitive */
	assert_null(prep_client_get(&m, ""));

	/* the map's references keep the statements alive */
	prepared_unref(a);
	prepared_unref(b);
	assert_int_equal(prepared_count(), 2);

	assert_true(prep_client_remove(&m, "s2"));
	assert_false(prep_client_remove(&m, "s2"));
	assert_null(prep_client_get(&m, "s2"));
	assert_int_equal(prepared_count(), 1);		/* b's last holder is gone */
	assert_ptr_equal(prep_client_get(&m, "s1"), a);	/* the others stay */
	assert_ptr_equal(prep_client_get(&m, "also_a"), a);

	prep_client_clear(&m);
	assert_int_equal(m.n, 0);
	assert_null(m.e);
	assert_null(prep_client_get(&m, "s1"));
	assert_int_equal(prepared_count(), 0);
}

/* A name parsed again (what state_remember_parse does): remove, then add. */
static void test_client_map_replace_name(void **state)
{
	struct prep_client_map m = { 0 };
	struct pstmt *old, *new;
	(void)state;
	old = intern("SELECT 'old'", 0, NULL);
	new = intern("SELECT 'new'", 0, NULL);
	assert_true(prep_client_add(&m, "s", old));
	prepared_unref(old);
	assert_true(prep_client_remove(&m, "s"));
	assert_true(prep_client_add(&m, "s", new));
	assert_ptr_equal(prep_client_get(&m, "s"), new);
	assert_int_equal(m.n, 1);
	assert_int_equal(prepared_count(), 1);		/* the old one is freed */
	prepared_unref(new);
	prep_client_clear(&m);
	assert_int_equal(prepared_count(), 0);
}

/* Hundreds of names: the map grows, and each name still finds its statement. */
static void test_client_map_many_names(void **state)
{
	enum { N = 300 };
	struct prep_client_map m = { 0 };
	struct pstmt *st[N];
	char name[32], sql[64];
	(void)state;
	for (int i = 0; i < N; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		snprintf(name, sizeof(name), "stmt_%d", i);
		st[i] = intern(sql, 0, NULL);
		assert_true(prep_client_add(&m, name, st[i]));
		prepared_unref(st[i]);
	}
	assert_int_equal(m.n, N);
	assert_true(m.cap >= N);
	assert_int_equal(prepared_count(), N);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "stmt_%d", i);
		assert_ptr_equal(prep_client_get(&m, name), st[i]);
	}
	/* remove every third (a removal moves the last entry into the hole) */
	for (int i = 0; i < N; i += 3) {
		snprintf(name, sizeof(name), "stmt_%d", i);
		assert_true(prep_client_remove(&m, name));
	}
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "stmt_%d", i);
		if (i % 3 == 0)
			assert_null(prep_client_get(&m, name));
		else
			assert_ptr_equal(prep_client_get(&m, name), st[i]);
	}
	assert_int_equal(prepared_count(), N - (N + 2) / 3);
	prep_client_clear(&m);
	assert_int_equal(prepared_count(), 0);
}

static void test_server_set_add_lookup_remove(void **state)
{
	struct prep_server_set set = { 0 };
	struct pstmt *a, *b, *c;
	(void)state;
	a = intern("SELECT 'a'", 0, NULL);
	b = intern("SELECT 'b'", 0, NULL);
	c = intern("SELECT 'c'", 0, NULL);
	assert_int_equal(prep_server_lookup(&set, a, 1), PREP_ABSENT);
	assert_true(prep_server_add(&set, a, 1));
	assert_true(prep_server_add(&set, b, 2));
	assert_int_equal(a->refs, 2);			/* the set holds a reference */
	assert_int_equal(prep_server_lookup(&set, a, 3), PREP_HELD);
	assert_true(prep_server_has(&set, b, 4));
	assert_false(prep_server_has(&set, c, 5));
	assert_true(prep_server_holds(&set, a));
	assert_false(prep_server_holds(&set, c));
	assert_false(prep_server_holds(&set, (const struct pstmt *)&set));	/* any pointer */

	assert_true(prep_server_remove(&set, a));
	assert_false(prep_server_remove(&set, a));
	assert_false(prep_server_remove(&set, c));
	assert_int_equal(prep_server_lookup(&set, a, 6), PREP_ABSENT);
	assert_true(prep_server_has(&set, b, 7));
	assert_int_equal(a->refs, 1);

	/* the set alone keeps B alive, and clearing lets it go */
	prepared_unref(b);
	assert_int_equal(prepared_count(), 3);
	prep_server_clear(&set);
	assert_int_equal(set.n, 0);
	assert_null(set.e);
	assert_int_equal(prepared_count(), 2);
	prepared_unref(a);
	prepared_unref(c);
	assert_int_equal(prepared_count(), 0);
}

/* The victim is the least recently used, among those not used since the batch began. */
static void test_server_set_lru_victim(void **state)
{
	enum { N = 20 };
	struct prep_server_set set = { 0 };
	struct pstmt *st[N];
	char sql[32];
	(void)state;
	assert_null(prep_server_victim(&set, 100));
	for (int i = 0; i < N; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		st[i] = intern(sql, 0, NULL);
		assert_true(prep_server_add(&set, st[i], 10 + (uint64_t)i));	/* grows past 8, 16 */
		prepared_unref(st[i]);
	}
	assert_int_equal(set.n, N);
	assert_ptr_equal(prep_server_victim(&set, 1000), st[0]);
	/* a use makes it the most recent */
	assert_int_equal(prep_server_lookup(&set, st[0], 50), PREP_HELD);
	assert_ptr_equal(prep_server_victim(&set, 1000), st[1]);
	/* statements used since the batch began are never victims */
	assert_ptr_equal(prep_server_victim(&set, 11), NULL);
	assert_ptr_equal(prep_server_victim(&set, 12), st[1]);
	for (int i = 1; i < N; i++)
		prep_server_lookup(&set, st[i], 60 + (uint64_t)i);
	assert_ptr_equal(prep_server_victim(&set, 60), st[0]);
	assert_null(prep_server_victim(&set, 50));
	/* evicting it: the next oldest follows */
	assert_true(prep_server_remove(&set, st[0]));
	assert_ptr_equal(prep_server_victim(&set, 1000), st[1]);
	prep_server_clear(&set);
	assert_int_equal(prepared_count(), 0);
}

/* After prepared_invalidate() a server's copy is stale; one prepared later is current. */
static void test_invalidate_makes_held_copy_stale(void **state)
{
	struct prep_server_set s1 = { 0 }, s2 = { 0 };
	struct pstmt *a, *b;
	(void)state;
	a = intern("SELECT * FROM t", 0, NULL);
	b = intern("SELECT * FROM u", 0, NULL);
	assert_true(prep_server_add(&s1, a, 1));
	assert_true(prep_server_add(&s1, b, 1));
	prepared_invalidate(a);
	assert_int_equal(prep_server_lookup(&s1, a, 2), PREP_STALE);
	assert_false(prep_server_has(&s1, a, 2));
	assert_true(prep_server_holds(&s1, a));		/* still held: to be closed */
	assert_int_equal(prep_server_lookup(&s1, b, 2), PREP_HELD);	/* others untouched */
	/* a server that prepares it after the invalidation holds it current */
	assert_true(prep_server_add(&s2, a, 3));
	assert_int_equal(prep_server_lookup(&s2, a, 4), PREP_HELD);
	/* the first closes and prepares it again: current too */
	assert_true(prep_server_remove(&s1, a));
	assert_true(prep_server_add(&s1, a, 5));
	assert_int_equal(prep_server_lookup(&s1, a, 6), PREP_HELD);
	/* the same text parsed again is still the same statement */
	assert_ptr_equal(intern("SELECT * FROM t", 0, NULL), a);
	prepared_unref(a);
	/* a second invalidation makes both copies stale */
	prepared_invalidate(a);
	assert_int_equal(prep_server_lookup(&s1, a, 7), PREP_STALE);
	assert_int_equal(prep_server_lookup(&s2, a, 7), PREP_STALE);
	prep_server_clear(&s1);
	prep_server_clear(&s2);
	prepared_unref(a);
	prepared_unref(b);
	assert_int_equal(prepared_count(), 0);
}

/* A soft retirement: new Parses get a new statement; holders keep the old one, not in error. */
static void test_retire_soft(void **state)
{
	struct prep_client_map m = { 0 };
	struct pstmt *old, *fresh;
	(void)state;
	old = intern("SELECT now()", 0, NULL);
	assert_true(prep_client_add(&m, "s", old));
	assert_true(prepared_retire(old, false, NULL, 0));
	assert_false(prepared_retire(old, false, NULL, 0));	/* out of the registry already */
	assert_false(prepared_retired(old));
	assert_null(old->stale_error);
	fresh = intern("SELECT now()", 0, NULL);
	assert_ptr_not_equal(fresh, old);
	assert_string_not_equal(fresh->server_name, old->server_name);
	assert_ptr_equal(prep_client_get(&m, "s"), old);	/* the client's name is unchanged */
	assert_int_equal(prepared_count(), 2);
	assert_ptr_equal(intern("SELECT now()", 0, NULL), fresh);	/* the new one is interned */
	prepared_unref(fresh);
	/* the retired one is freed with its last holder */
	prepared_unref(old);
	prep_client_clear(&m);
	assert_int_equal(prepared_count(), 1);
	prepared_unref(fresh);
	assert_int_equal(prepared_count(), 0);
}

/* A hard retirement keeps the server's error, word for word, and only the first. */
static void test_retire_hard_keeps_error(void **state)
{
	static const char err[] = "SERROR\0C0A000\0Mcached plan must not change result type\0";
	static const char other[] = "SERROR\0CXX000\0Mother\0";
	struct pstmt *old, *fresh;
	(void)state;
	old = intern("SELECT * FROM t", 0, NULL);
	assert_false(prepared_retired(old));
	assert_true(prepared_retire(old, true, err, sizeof(err)));
	assert_true(prepared_retired(old));
	assert_int_equal(old->stale_error_len, sizeof(err));
	assert_memory_equal(old->stale_error, err, sizeof(err));
	assert_false(prepared_retire(old, true, other, sizeof(other)));
	assert_int_equal(old->stale_error_len, sizeof(err));
	assert_memory_equal(old->stale_error, err, sizeof(err));
	fresh = intern("SELECT * FROM t", 0, NULL);
	assert_ptr_not_equal(fresh, old);
	assert_false(prepared_retired(fresh));
	assert_null(fresh->stale_error);
	prepared_unref(old);		/* frees the error with it (the sanitizers check) */
	prepared_unref(fresh);
	assert_int_equal(prepared_count(), 0);
}

/* A soft retirement first, a hard one later: the error is still kept. */
static void test_retire_soft_then_hard(void **state)
{
	static const char err[] = "SERROR\0C0A000\0";
	struct pstmt *st;
	(void)state;
	st = intern("SELECT 3", 0, NULL);
	assert_true(prepared_retire(st, false, NULL, 0));
	assert_false(prepared_retire(st, true, err, sizeof(err)));
	assert_true(prepared_retired(st));
	assert_memory_equal(st->stale_error, err, sizeof(err));
	prepared_unref(st);
	assert_int_equal(prepared_count(), 0);
}

/* A RowDescription of N columns NAMES[i] of type TYPES[i], format FMT, from table TABLE. */
static size_t row_description(uint8_t *m, int n, const char *const *names, const uint32_t *types,
			      uint32_t table, int fmt)
{
	size_t l = 7;

	m[0] = 'T';
	m[5] = (uint8_t)(n >> 8);
	m[6] = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		uint8_t f[18] = { 0 };
		size_t nl = strlen(names[i]) + 1;
		memcpy(m + l, names[i], nl);
		l += nl;
		f[0] = (uint8_t)(table >> 24), f[1] = (uint8_t)(table >> 16), f[2] = (uint8_t)(table >> 8);
		f[3] = (uint8_t)table, f[5] = (uint8_t)(i + 1);
		f[6] = (uint8_t)(types[i] >> 24), f[7] = (uint8_t)(types[i] >> 16);
		f[8] = (uint8_t)(types[i] >> 8), f[9] = (uint8_t)types[i];
		f[10] = 0, f[11] = 4;				/* size */
		f[12] = f[13] = f[14] = f[15] = 0xff;		/* typmod -1 */
		f[17] = (uint8_t)fmt;
		memcpy(m + l, f, sizeof(f));
		l += sizeof(f);
	}
	m[1] = (uint8_t)((l - 1) >> 24), m[2] = (uint8_t)((l - 1) >> 16);
	m[3] = (uint8_t)((l - 1) >> 8), m[4] = (uint8_t)(l - 1);
	return l;
}

/* Columns' names and types make a statement's shape; format codes and source table do not. */
static void test_shape_of(void **state)
{
	static const char *const ab[] = { "a", "b" }, *const ac[] = { "a", "c" }, *const a[] = { "a" };
	static const uint32_t ints[] = { 23, 23 }, int_text[] = { 23, 25 };
	static const uint8_t nodata[] = { 'n', 0, 0, 0, 4 };
	uint8_t m1[256], m2[256];
	size_t l1, l2;
	uint64_t shape;
	(void)state;
	l1 = row_description(m1, 2, ab, ints, 1234, 0);
	shape = prepared_shape_of(m1, (uint32_t)(l1 - 1));
	assert_true(shape != 0 && shape != 1);
	l2 = row_description(m2, 2, ab, ints, 9999, 1);	/* another table, binary */
	assert_true(prepared_shape_of(m2, (uint32_t)(l2 - 1)) == shape);
	l2 = row_description(m2, 2, ab, int_text, 1234, 0);	/* b is text now */
	assert_true(prepared_shape_of(m2, (uint32_t)(l2 - 1)) != shape);
	l2 = row_description(m2, 2, ac, ints, 1234, 0);	/* renamed */
	assert_true(prepared_shape_of(m2, (uint32_t)(l2 - 1)) != shape);
	l2 = row_description(m2, 1, a, ints, 1234, 0);		/* one column less */
	assert_true(prepared_shape_of(m2, (uint32_t)(l2 - 1)) != shape);
	assert_true(prepared_shape_of(nodata, 4) == 1);
	assert_true(prepared_shape_of(m1, 20) == 0);		/* cut short */
}

/* "EXECUTE <name>" depends on the statement it names, and holds it until it goes. */
static void test_depends_holds_a_reference(void **state)
{
	struct pstmt *dep, *st;
	(void)state;
	dep = intern("SELECT 1", 0, NULL);
	st = intern("EXECUTE pgsteer_1", 0, NULL);
	prepared_depends(st, dep);
	prepared_depends(st, dep);	/* set once */
	assert_ptr_equal(st->depends, dep);
	prepared_unref(dep);		/* the client's name went: the dependent keeps it */
	assert_int_equal(prepared_count(), 2);
	prepared_unref(st);
	assert_int_equal(prepared_count(), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, registry_empty, registry_empty)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_intern_same_body_same_statement),
		T(test_intern_text_and_types_tell_apart),
		T(test_refcount_frees_at_zero),
		T(test_client_map_add_get_remove),
		T(test_client_map_replace_name),
		T(test_client_map_many_names),
		T(test_server_set_add_lookup_remove),
		T(test_server_set_lru_victim),
		T(test_invalidate_makes_held_copy_stale),
		T(test_retire_soft),
		T(test_retire_hard_keeps_error),
		T(test_retire_soft_then_hard),
		T(test_shape_of),
		T(test_depends_holds_a_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
