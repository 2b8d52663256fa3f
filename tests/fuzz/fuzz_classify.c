// fuzz-sources: src/classify.c
// fuzz-ldflags: -lpcre2-8
/*
 * libFuzzer target for the statement classifier.  Any byte string must
 * classify without crashing, reading out of bounds or undefined behaviour,
 * into a well-formed result: a valid class, a NUL-terminated single-line
 * reason, consistent facts.  Properties checked on the side: a leading
 * comment never changes the class, and knowledge (patterns, a catalog)
 * changes nothing but read/ambiguous/write verdicts.  Owns nothing but
 * its knowledge object.
 *
 * Build: clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *   -Isrc tests/fuzz/fuzz_classify.c src/classify.c -lpcre2-8
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Patterns and catalog rows that exercise the knowledge paths. */
static struct classify_knowledge *knowledge(void)
{
	static struct classify_knowledge *k;
	static char *readf[] = {"^report_", NULL};
	static char *writef[] = {"^audit_", "(?i)bump$", NULL};
	static char *primary[] = {"(?i)jobs_queue", NULL};
	static char *replica[] = {"/\\* reporting \\*/", NULL};
	static const struct classify_catalog_row rows[] = {
		{"public", "f", 's'}, {"public", "g", 'v'}, {"app", "f", 'i'},
	};
	char err[256];

	if (!k) {
		k = classify_knowledge_new();
		if (!k || classify_knowledge_set_patterns(k, readf, writef, primary, replica, err, sizeof(err)) ||
		    classify_knowledge_set_catalog(k, rows, sizeof(rows) / sizeof(rows[0])))
			abort();
	}
	return k;
}

/* Invariants of any result. */
static void check(const struct classify_result *r)
{
	size_t n = strnlen(r->reason, sizeof(r->reason));

	if (r->cls > CLASS_CONTROL || n == 0 || n >= sizeof(r->reason))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)r->reason[i] < 0x20)
			abort();
	if (strnlen(r->control_name, sizeof(r->control_name)) >= sizeof(r->control_name) ||
	    strnlen(r->control_value, sizeof(r->control_value)) >= sizeof(r->control_value) ||
	    strnlen(r->object_name, sizeof(r->object_name)) >= sizeof(r->object_name))
		abort();
	if (r->control != CONTROL_NONE && r->cls != CLASS_CONTROL)
		abort();
	if (r->multi_statement != (r->statement_count > 1) || r->statement_count < 0)
		abort();
	if (r->hint > HINT_REPLICA || r->txn > TXN_COMMIT_PREPARED || r->access > ACCESS_READ_WRITE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] = "/* fuzz */ ";
	struct classify_result a, b, c;
	char *buf;

	classify_sql((const char *)data, size, NULL, &a);
	check(&a);
	classify_sql((const char *)data, size, knowledge(), &b);
	check(&b);
	/*
	 * Knowledge may only change read/ambiguous/write verdicts of a single
	 * statement (in a multi-statement string, read content under a SET
	 * makes the string session, ambiguous content does not).
	 */
	if (a.statement_count == 1 && (a.cls >= CLASS_TRANSACTION || b.cls >= CLASS_TRANSACTION) &&
	    a.cls != b.cls)
		abort();
	if (a.statement_count != b.statement_count || a.hint != b.hint)
		abort();

	/* a leading comment changes nothing but the hint */
	buf = malloc(sizeof(prefix) - 1 + size);
	if (!buf)
		return 0;
	memcpy(buf, prefix, sizeof(prefix) - 1);
	if (size)
		memcpy(buf + sizeof(prefix) - 1, data, size);
	classify_sql(buf, sizeof(prefix) - 1 + size, NULL, &c);
	check(&c);
	if (c.cls != a.cls || c.statement_count != a.statement_count)
		abort();
	free(buf);
	return 0;
}
