/*
 * Unit tests for the sticky_key table: sharing the maximum position,
 * expiry by TTL, LRU eviction when full, and no cross-talk between keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "sticky.h"

static void test_max_position_is_shared(void **state)
{
	struct sticky_table *t = sticky_new();
	(void)state;
	sticky_note(t, "user:42", 100, 1000);
	sticky_note(t, "user:42", 50, 1001);	/* an older write does not lower it */
	assert_int_equal(sticky_lookup(t, "user:42", 1002, 60000), 100);
	sticky_note(t, "user:42", 300, 1003);
	assert_int_equal(sticky_lookup(t, "user:42", 1004, 60000), 300);
	assert_int_equal(sticky_lookup(t, "user:43", 1004, 60000), 0);
	sticky_free(t);
}

static void test_pending_write_blocks_replicas_until_done(void **state)
{
	struct sticky_table *t = sticky_new();
	(void)state;
	sticky_note(t, "k", 100, 0);
	sticky_pending(t, "k", 10);
	assert_true(sticky_lookup(t, "k", 11, 60000) == UINT64_MAX);
	sticky_pending(t, "k", 12);			/* a second writer */
	sticky_done(t, "k", 150, 13);
	assert_true(sticky_lookup(t, "k", 14, 60000) == UINT64_MAX);
	sticky_done(t, "k", 140, 15);
	assert_int_equal(sticky_lookup(t, "k", 16, 60000), 150);
	/* an unknown position keeps it pending, but only until the TTL */
	sticky_pending(t, "k", 20);
	sticky_done(t, "k", 0, 21);
	assert_true(sticky_lookup(t, "k", 22, 1000) == UINT64_MAX);
	assert_int_equal(sticky_lookup(t, "k", 1022, 1000), 0);
	sticky_free(t);
}

static void test_entries_expire_after_ttl(void **state)
{
	struct sticky_table *t = sticky_new();
	(void)state;
	sticky_note(t, "a", 10, 0);
	sticky_note(t, "b", 20, 500);
	assert_int_equal(sticky_lookup(t, "a", 1000, 1000), 10);
	assert_int_equal(sticky_lookup(t, "a", 1001, 1000), 0);
	assert_int_equal(sticky_expire(t, 1001, 1000), 1);
	assert_int_equal(sticky_lookup(t, "b", 1001, 1000), 20);
	assert_int_equal(sticky_expire(t, 1501, 1000), 0);
	sticky_free(t);
}

static void test_full_table_evicts_least_recent(void **state)
{
	struct sticky_table *t = sticky_new();
	char key[32];
	(void)state;
	for (int i = 0; i < STICKY_MAX_ENTRIES; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		sticky_note(t, key, (uint64_t)i + 1, i);
	}
	sticky_note(t, "k0", 7, STICKY_MAX_ENTRIES);	/* refresh k0: k1 is now the oldest */
	sticky_note(t, "new", 9, STICKY_MAX_ENTRIES + 1);
	assert_int_equal(sticky_lookup(t, "k1", STICKY_MAX_ENTRIES + 1, 1 << 30), 0);
	assert_int_equal(sticky_lookup(t, "k0", STICKY_MAX_ENTRIES + 1, 1 << 30), 7);
	assert_int_equal(sticky_lookup(t, "new", STICKY_MAX_ENTRIES + 1, 1 << 30), 9);
	assert_int_equal(sticky_expire(t, 0, 1 << 30), STICKY_MAX_ENTRIES);
	sticky_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_position_is_shared),
		cmocka_unit_test(test_pending_write_blocks_replicas_until_done),
		cmocka_unit_test(test_entries_expire_after_ttl),
		cmocka_unit_test(test_full_table_evicts_least_recent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
