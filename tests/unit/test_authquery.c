/*
 * Unit tests for the pure part of auth_query (src/authquery.c): what one
 * answer means, as a table (rows, columns, password column, expected
 * outcome and message).  No connection is made.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "authquery.h"

#define SCRAM_OK "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0c2FsdA==$" \
	"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

struct answer_case {
	int ntuples, nfields;
	const char *password;		/* NULL = SQL NULL or no row */
	enum authquery_outcome want;
	const char *want_msg;		/* substring of the message, FAILED only */
};

static const struct answer_case cases[] = {
	/* a role with a password: the secret as PostgreSQL stores it */
	{ 1, 2, "md5a3556571e93b0d20722ba62be61e8c2d", AUTHQUERY_FOUND, NULL },
	{ 1, 2, SCRAM_OK, AUTHQUERY_FOUND, NULL },
	{ 1, 2, "plain secret", AUTHQUERY_FOUND, NULL },
	/* no such role, expired (NULL), no password: all the same to the client */
	{ 0, 2, NULL, AUTHQUERY_NO_SECRET, NULL },
	{ 1, 2, NULL, AUTHQUERY_NO_SECRET, NULL },
	{ 1, 2, "", AUTHQUERY_NO_SECRET, NULL },
	/* a query that does not answer the question */
	{ 2, 2, "x", AUTHQUERY_FAILED, "returned 2 rows" },
	{ 1, 1, "x", AUTHQUERY_FAILED, "must return 2 columns" },
	{ 0, 3, NULL, AUTHQUERY_FAILED, "must return 2 columns" },
	{ 1, 2, "SCRAM-SHA-256$4096:bad", AUTHQUERY_FAILED, "malformed SCRAM secret" },
};

static void test_answers(void **state)
{
	char secret[AUTHQUERY_SECRET_LEN], msg[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct answer_case *t = &cases[i];
		enum authquery_outcome o = authquery_interpret(t->ntuples, t->nfields, t->password,
							       secret, sizeof(secret), msg, sizeof(msg));
		if (o != t->want)
			fail_msg("case %zu: outcome %d, want %d (%s)", i, o, t->want, msg);
		if (o == AUTHQUERY_FOUND)
			assert_string_equal(secret, t->password);
		else
			assert_string_equal(secret, "");
		if (t->want_msg && !strstr(msg, t->want_msg))
			fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, msg, t->want_msg);
		if (o != AUTHQUERY_FAILED)
			assert_string_equal(msg, "");
	}
}

/* A secret that does not fit is refused, never truncated. */
static void test_long_secret(void **state)
{
	char big[AUTHQUERY_SECRET_LEN + 10], secret[AUTHQUERY_SECRET_LEN], msg[256];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(authquery_interpret(1, 2, big, secret, sizeof(secret), msg, sizeof(msg)),
			 AUTHQUERY_FAILED);
	assert_non_null(strstr(msg, "at most 255"));
	big[AUTHQUERY_SECRET_LEN - 1] = '\0';
	assert_int_equal(authquery_interpret(1, 2, big, secret, sizeof(secret), msg, sizeof(msg)),
			 AUTHQUERY_FOUND);
	assert_int_equal(strlen(secret), AUTHQUERY_SECRET_LEN - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_long_secret),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
