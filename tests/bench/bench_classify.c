/*
 * Microbenchmark of classify_sql() over the classifier corpus: median and
 * p99 nanoseconds per statement (statements under 200 bytes, and all),
 * single thread, plus the number of malloc calls in the steady state,
 * counted by interposing malloc/calloc/realloc (glibc's __libc_* do the
 * work).  Usage: bench_classify [corpus-file] [iterations-per-statement]
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"

#ifndef TEST_SRCDIR
#define TEST_SRCDIR "tests"
#endif

/* ---- counting allocator ---- */

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static volatile uint64_t malloc_calls;

void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void free(void *p);

void *malloc(size_t n)
{
	malloc_calls++;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	malloc_calls++;
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	malloc_calls++;
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}

/* ---- corpus (same format as tests/unit/test_classify.c reads) ---- */

struct stmt {
	char *sql;
	size_t len;
	double ns;
};

static size_t load(const char *path, struct stmt **out)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	struct stmt *v = NULL;
	size_t n = 0, cap = 0;

	if (!f) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "--#", 3) == 0)
			continue;
		if (strncmp(line, "-- expect: ", 11) == 0) {
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				v = realloc(v, cap * sizeof(*v));
			}
			v[n].sql = calloc(1, 1);
			v[n].len = 0;
			n++;
			continue;
		}
		if (n == 0)
			continue;
		size_t l = strlen(line);
		v[n - 1].sql = realloc(v[n - 1].sql, v[n - 1].len + l + 1);
		memcpy(v[n - 1].sql + v[n - 1].len, line, l + 1);
		v[n - 1].len += l;
	}
	fclose(f);
	for (size_t i = 0; i < n; i++)
		while (v[i].len > 0 && (v[i].sql[v[i].len - 1] == '\n' || v[i].sql[v[i].len - 1] == ' '))
			v[i].sql[--v[i].len] = '\0';
	*out = v;
	return n;
}

#define ROUNDS 5

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median and p99 of the per-statement times of V (LIMIT: max length, 0 = all). */
static void report(const char *what, const struct stmt *v, size_t n, size_t limit)
{
	double *t = __libc_malloc(n * sizeof(double));
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (limit == 0 || v[i].len < limit)
			t[m++] = v[i].ns;
	qsort(t, m, sizeof(double), cmp_double);
	if (m)
		printf("%-22s n=%-4zu median %7.1f ns  p99 %8.1f ns  max %8.1f ns\n", what, m,
		       t[m / 2], t[(m * 99) / 100 < m ? (m * 99) / 100 : m - 1], t[m - 1]);
	__libc_free(t);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : TEST_SRCDIR "/unit/classify_corpus.txt";
	long iters = argc > 2 ? atol(argv[2]) : 500;
	struct stmt *v;
	size_t n = load(path, &v);
	struct classify_result r;
	uint64_t before, calls;
	double total = 0, t0;
	uint64_t done = 0;

	if (iters < 1)
		iters = 1;
	/* warm up */
	for (size_t i = 0; i < n; i++)
		classify_sql(v[i].sql, v[i].len, NULL, &r);
	/*
	 * ROUNDS passes over the corpus; each statement keeps its fastest
	 * pass, so that other processes on a shared machine do not count.
	 */
	before = malloc_calls;
	for (size_t i = 0; i < n; i++)
		v[i].ns = 1e18;
	for (int round = 0; round < ROUNDS; round++) {
		for (size_t i = 0; i < n; i++) {
			double ns;
			t0 = now_ns();
			for (long j = 0; j < iters; j++) {
				classify_sql(v[i].sql, v[i].len, NULL, &r);
				__asm__ volatile("" : : "g"(&r) : "memory");
			}
			ns = (now_ns() - t0) / (double)iters;
			if (ns < v[i].ns)
				v[i].ns = ns;
			total += ns * (double)iters;
			done += (uint64_t)iters;
		}
	}
	calls = malloc_calls - before;
	printf("classify_sql over %zu corpus statements, best of %d rounds of %ld iterations, one thread\n",
	       n, ROUNDS, iters);
	report("statements < 200 bytes", v, n, 200);
	report("all statements", v, n, 0);
	printf("throughput             %.2f million statements/s (all, every round)\n",
	       (double)done / total * 1e3);
	{
		size_t slow = 0;
		for (size_t i = 1; i < n; i++)
			if (v[i].len < 200 && (v[slow].len >= 200 || v[i].ns > v[slow].ns))
				slow = i;
		printf("slowest under 200 bytes: %.1f ns: %.*s\n", v[slow].ns, (int)v[slow].len, v[slow].sql);
	}
	printf("malloc calls in steady state: %llu (over %llu classifications)\n",
	       (unsigned long long)calls, (unsigned long long)done);
	for (size_t i = 0; i < n; i++)
		free(v[i].sql);
	free(v);
	return calls == 0 ? 0 : 1;
}
