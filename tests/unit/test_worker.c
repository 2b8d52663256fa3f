/*
 * Unit tests for stopping the world (worker.c): with three real worker
 * threads, each bumping its own counter from a timer, nothing moves while
 * the world is stopped (by the main thread, or by a worker); stops nest;
 * two workers stopping the world at once both get their turn; acting as
 * another worker switches `rt` and the counters; after world_start()
 * everything runs again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <cmocka.h>

#include "worker.h"

#define N 3

static _Atomic uint64_t ticks[N];
static _Atomic int stops_done;
static _Atomic int violations;		/* a counter moved while another worker held the world */
static struct event *tick_ev[N], *stop_ev[N];

static void sleep_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

/* Every millisecond: this worker ran. */
static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	atomic_fetch_add(&ticks[(intptr_t)arg], 1);
}

/* A worker stops the world, sees every other counter stand still, and starts it again. */
static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t before[N];
	int self = (int)(intptr_t)arg;

	(void)fd;
	(void)what;
	world_stop();
	for (int i = 0; i < N; i++)
		before[i] = atomic_load(&ticks[i]);
	sleep_ms(20);
	for (int i = 0; i < N; i++)
		if (i != self && atomic_load(&ticks[i]) != before[i])
			atomic_fetch_add(&violations, 1);	/* no cmocka here: not the test's thread */
	world_start();
	atomic_fetch_add(&stops_done, 1);
}

/* Wait (bounded) until the counter of every worker with a thread passed AT_LEAST. */
static void wait_all_ticking(uint64_t at_least[N])
{
	for (int tries = 0; tries < 2000; tries++) {
		bool all = true;
		for (int i = 1; i < N; i++)
			if (atomic_load(&ticks[i]) <= at_least[i])
				all = false;
		if (all)
			return;
		sleep_ms(1);
	}
	fail_msg("the workers did not run");
}

static int setup(void **state)
{
	struct timeval ms = { 0, 1000 };

	(void)state;
	assert_int_equal(workers_init(N), 0);
	for (int i = 0; i < N; i++) {
		struct worker *w = &workers_all[i];
		w->runtime.base = event_base_new();
		assert_non_null(w->runtime.base);
		w->runtime.worker = w;
		w->mailbox = event_new(w->runtime.base, -1, 0, worker_mailbox_cb, NULL);
		tick_ev[i] = event_new(w->runtime.base, -1, EV_PERSIST, tick_cb, (void *)(intptr_t)i);
		stop_ev[i] = event_new(w->runtime.base, -1, 0, stop_cb, (void *)(intptr_t)i);
		event_add(tick_ev[i], &ms);
		if (i > 0)
			worker_ready(w);
	}
	assert_true(workers_start());
	return 0;
}

static void test_main_thread_stops_every_worker(void **state)
{
	uint64_t before[N], zero[N] = { 0 };

	(void)state;
	wait_all_ticking(zero);
	world_stop();
	for (int i = 1; i < N; i++)
		before[i] = atomic_load(&ticks[i]);
	sleep_ms(30);
	for (int i = 1; i < N; i++)
		assert_int_equal(atomic_load(&ticks[i]), before[i]);
	/* nested: still stopped after the inner start */
	world_stop();
	world_start();
	sleep_ms(10);
	for (int i = 1; i < N; i++)
		assert_int_equal(atomic_load(&ticks[i]), before[i]);
	world_start();
	wait_all_ticking((uint64_t[N]){ 0, before[1], before[2] });
}

static void test_acting_as_a_worker_switches_its_runtime(void **state)
{
	struct runtime *own = &rt;

	(void)state;
	world_stop();
	worker_enter(&workers_all[2]);
	assert_ptr_equal(&rt, &workers_all[2].runtime);
	assert_ptr_equal(&stats, &workers_all[2].counters);
	assert_ptr_equal(worker_current(), &workers_all[2]);
	assert_ptr_equal(worker_self(), &workers_all[0]);
	world_start();		/* back to the worker entered when the world stopped */
	assert_ptr_equal(&rt, own);
	assert_ptr_equal(worker_current(), &workers_all[0]);
}

static void test_two_workers_stopping_at_once_take_turns(void **state)
{
	(void)state;
	atomic_store(&stops_done, 0);
	atomic_store(&violations, 0);
	event_active(stop_ev[1], EV_TIMEOUT, 0);
	event_active(stop_ev[2], EV_TIMEOUT, 0);
	sleep_ms(50);
	/* they wait for worker 0 (this thread) to park, which only its loop does */
	assert_int_equal(atomic_load(&stops_done), 0);
	for (int tries = 0; tries < 5000 && atomic_load(&stops_done) < 2; tries++)
		event_base_loop(workers_all[0].runtime.base, EVLOOP_ONCE);
	assert_int_equal(atomic_load(&stops_done), 2);
	assert_int_equal(atomic_load(&violations), 0);
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 1; i < N; i++)
		event_base_loopbreak(workers_all[i].runtime.base);
	workers_join();
	for (int i = 0; i < N; i++) {
		event_free(tick_ev[i]);
		event_free(stop_ev[i]);
		event_free(workers_all[i].mailbox);
		event_base_free(workers_all[i].runtime.base);
	}
	workers_free();
	assert_int_equal(workers_n, 1);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_thread_stops_every_worker),
		cmocka_unit_test(test_acting_as_a_worker_switches_its_runtime),
		cmocka_unit_test(test_two_workers_stopping_at_once_take_turns),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
