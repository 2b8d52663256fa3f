/*
 * Unit tests for the reply ring (reply.c): requests come out in the order
 * they went in, across growth and the wrap-around point; head and last
 * of an empty ring; freeing; and which reply ends each kind of request.
 * Links reply.c alone: the ring knows nothing of servers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "reply.h"

/* A request told apart by its position: SEQ rides in the flags and the kind. */
static struct reply numbered(uint32_t seq)
{
	struct reply r = { 0 };
	r.kind = (uint8_t)('A' + seq % 26);
	r.flags = (uint8_t)seq;
	r.action = (uint8_t)(seq / 256);
	return r;
}

/* Which request was this (the inverse of numbered())? */
static uint32_t seq_of(const struct reply *r)
{
	return (uint32_t)r->action * 256 + r->flags;
}

static void push_n(struct reply_ring *q, uint32_t from, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct reply r = numbered(from + i);
		assert_true(reply_ring_push(q, &r));
	}
}

static void test_empty_ring(void **state)
{
	struct reply_ring q = { 0 };
	(void)state;
	assert_int_equal(reply_ring_len(&q), 0);
	assert_null(reply_ring_head(&q));
	assert_null(reply_ring_last(&q));
	assert_null(reply_ring_at(&q, 0));
	reply_ring_drop_head(&q);	/* harmless when empty */
	assert_int_equal(reply_ring_len(&q), 0);
	reply_ring_free(&q);		/* and so is freeing nothing */
	assert_null(q.r);
}

static void test_push_pop_order(void **state)
{
	struct reply_ring q = { 0 };
	(void)state;
	push_n(&q, 0, 5);
	assert_int_equal(reply_ring_len(&q), 5);
	assert_int_equal(seq_of(reply_ring_head(&q)), 0);
	assert_int_equal(seq_of(reply_ring_last(&q)), 4);
	for (uint32_t i = 0; i < 5; i++) {
		assert_int_equal(seq_of(reply_ring_head(&q)), i);
		reply_ring_drop_head(&q);
	}
	assert_int_equal(reply_ring_len(&q), 0);
	assert_null(reply_ring_head(&q));
	assert_null(reply_ring_last(&q));
	/* empty again, but it wrapped nowhere: push and pop once more */
	push_n(&q, 100, 3);
	assert_int_equal(seq_of(reply_ring_head(&q)), 100);
	assert_int_equal(seq_of(reply_ring_last(&q)), 102);
	reply_ring_free(&q);
}

/* The head and last are the ring's own entries: changes through them stay. */
static void test_entries_are_in_place(void **state)
{
	struct reply_ring q = { 0 };
	(void)state;
	push_n(&q, 0, 3);
	reply_ring_last(&q)->flags |= REPLY_CAUSAL;
	reply_ring_at(&q, 1)->action = REPLY_DISCARD;
	assert_ptr_equal(reply_ring_head(&q), reply_ring_at(&q, 0));
	assert_ptr_equal(reply_ring_last(&q), reply_ring_at(&q, 2));
	assert_true(reply_ring_at(&q, 2)->flags & REPLY_CAUSAL);
	assert_int_equal(reply_ring_at(&q, 1)->action, REPLY_DISCARD);
	assert_null(reply_ring_at(&q, 3));
	reply_ring_free(&q);
}

/*
 * Growth while the entries wrap around the end of the array: push 10
 * (capacity 16), pop 7 (head at 7), push 30: entries 7..15 then 0.. of the
 * old array, and two doublings, must come out in order.
 */
static void test_growth_across_wrap(void **state)
{
	struct reply_ring q = { 0 };
	(void)state;
	push_n(&q, 0, 10);
	assert_int_equal(q.cap, 16);
	for (int i = 0; i < 7; i++)
		reply_ring_drop_head(&q);
	assert_int_equal(q.head, 7);
	push_n(&q, 10, 9);		/* fills to 12: wraps past the end */
	assert_int_equal(q.cap, 16);
	assert_true(q.head + q.len > q.cap);
	push_n(&q, 19, 21);		/* 30 pushed in all: grows twice */
	assert_int_equal(reply_ring_len(&q), 33);
	assert_int_equal(q.cap, 64);
	for (uint32_t i = 0; i < 33; i++)
		assert_int_equal(seq_of(reply_ring_at(&q, i)), 7 + i);
	assert_null(reply_ring_at(&q, 33));
	assert_int_equal(seq_of(reply_ring_head(&q)), 7);
	assert_int_equal(seq_of(reply_ring_last(&q)), 39);
	/* and popped in the same order */
	for (uint32_t i = 0; i < 33; i++) {
		assert_int_equal(seq_of(reply_ring_head(&q)), 7 + i);
		reply_ring_drop_head(&q);
	}
	assert_null(reply_ring_head(&q));
	reply_ring_free(&q);
	assert_null(q.r);
	assert_int_equal(q.cap, 0);
	assert_int_equal(q.len, 0);
	assert_int_equal(q.head, 0);
}

/* Many requests in flight (a long pipeline), popped and pushed in step. */
static void test_steady_pipeline(void **state)
{
	struct reply_ring q = { 0 };
	uint32_t next_in = 0, next_out = 0;
	(void)state;
	for (int round = 0; round < 200; round++) {
		push_n(&q, next_in, 7);
		next_in += 7;
		for (int i = 0; i < 5; i++) {
			assert_int_equal(seq_of(reply_ring_head(&q)), next_out++);
			reply_ring_drop_head(&q);
		}
	}
	assert_int_equal(reply_ring_len(&q), next_in - next_out);
	for (uint32_t i = 0; i < reply_ring_len(&q); i++)
		assert_int_equal(seq_of(reply_ring_at(&q, i)), next_out + i);
	reply_ring_free(&q);
}

static void test_reply_ends(void **state)
{
	static const uint8_t all[] = "123TnCIsZE";
	static const struct {
		uint8_t kind;
		const char *ends;
	} cases[] = {
		{ 'P', "1" },		/* Parse: ParseComplete */
		{ 'B', "2" },		/* Bind: BindComplete */
		{ 'C', "3" },		/* Close: CloseComplete */
		{ 'D', "Tn" },		/* Describe: RowDescription or NoData */
		{ 'E', "CIs" },		/* Execute: complete, empty, or suspended */
		{ 'S', "Z" },		/* Sync: ReadyForQuery */
		{ 'Q', "Z" },		/* Query, FunctionCall, a faked DEALLOCATE */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reply r = { 0 };
		r.kind = cases[i].kind;
		for (const uint8_t *t = all; *t; t++) {
			bool want = strchr(cases[i].ends, *t) != NULL;
			if (reply_ends(&r, *t) != want)
				fail_msg("reply_ends('%c', '%c') should be %d", r.kind, *t, want);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_ring),
		cmocka_unit_test(test_push_pop_order),
		cmocka_unit_test(test_entries_are_in_place),
		cmocka_unit_test(test_growth_across_wrap),
		cmocka_unit_test(test_steady_pipeline),
		cmocka_unit_test(test_reply_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
