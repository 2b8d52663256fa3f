/* Unit tests for loginguard.c: limits per address, the window, a good login, a full table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "loginguard.h"

#define WINDOW 60000

static void test_limit_and_window(void **state)
{
	struct loginguard *g = loginguard_new();
	int64_t retry = 0;

	(void)state;
	for (int i = 0; i < 3; i++) {
		assert_true(loginguard_allows(g, "10.0.0.1", 1000 + i, 3, WINDOW, &retry));
		loginguard_failed(g, "10.0.0.1", 1000 + i, WINDOW);
	}
	assert_false(loginguard_allows(g, "10.0.0.1", 2000, 3, WINDOW, &retry));
	assert_int_equal(retry, 1000 + WINDOW - 2000);
	/* another address is not affected */
	assert_true(loginguard_allows(g, "10.0.0.2", 2000, 3, WINDOW, NULL));
	/* the window passes */
	assert_true(loginguard_allows(g, "10.0.0.1", 1000 + WINDOW, 3, WINDOW, NULL));
	loginguard_failed(g, "10.0.0.1", 1000 + WINDOW, WINDOW);
	assert_true(loginguard_allows(g, "10.0.0.1", 1000 + WINDOW + 1, 3, WINDOW, NULL));
	/* limit 0: off */
	for (int i = 0; i < 10; i++)
		loginguard_failed(g, "10.0.0.3", 5000, WINDOW);
	assert_false(loginguard_allows(g, "10.0.0.3", 5001, 3, WINDOW, NULL));
	assert_true(loginguard_allows(g, "10.0.0.3", 5001, 0, WINDOW, NULL));
	/* a good login clears it */
	loginguard_succeeded(g, "10.0.0.3");
	assert_true(loginguard_allows(g, "10.0.0.3", 5002, 3, WINDOW, NULL));
	loginguard_free(g);
}

static void test_full_table(void **state)
{
	struct loginguard *g = loginguard_new();
	char a[32];

	(void)state;
	/* far more addresses than slots: the table keeps working, the newest are tracked */
	for (int i = 0; i < 3 * LOGINGUARD_SLOTS; i++) {
		snprintf(a, sizeof(a), "192.168.%d.%d", i / 256, i % 256);
		loginguard_failed(g, a, i, WINDOW);
		loginguard_failed(g, a, i, WINDOW);
	}
	snprintf(a, sizeof(a), "192.168.%d.%d", (3 * LOGINGUARD_SLOTS - 1) / 256,
		 (3 * LOGINGUARD_SLOTS - 1) % 256);
	assert_false(loginguard_allows(g, a, 3 * LOGINGUARD_SLOTS, 2, WINDOW, NULL));
	loginguard_free(g);
}

static void test_addr(void **state)
{
	char out[LOGINGUARD_ADDR_LEN];

	(void)state;
	assert_true(loginguard_addr("127.0.0.1:5432", out, sizeof(out)));
	assert_string_equal(out, "127.0.0.1");
	assert_true(loginguard_addr("[::1]:40000", out, sizeof(out)));
	assert_string_equal(out, "::1");
	assert_false(loginguard_addr("unix", out, sizeof(out)));
	assert_false(loginguard_addr(":1", out, sizeof(out)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_and_window),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_addr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
