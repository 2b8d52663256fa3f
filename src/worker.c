/*
 * Worker threads and stopping the world (see worker.h for the model).
 *
 * Stopping is a barrier on one mutex and condition variable.  The owner
 * wakes every other worker's mailbox (event_active() from its thread:
 * libevent's locking is on when there are several workers) and waits
 * until they are all parked in it.  A worker that wants to stop the world
 * while another owns it parks for that owner first, so two stops on two
 * workers cannot wait for each other.  A parked worker holds no module
 * lock: module functions never stop the world inside their own critical
 * sections, and workers park only in the mailbox callback or on the way
 * into world_stop().
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <event2/thread.h>

#include "classify.h"
#include "evmem.h"
#include "log.h"
#include "relay.h"
#include "worker.h"

static struct worker boot;		/* worker 0 until workers_init(), and for tools and tests */
int workers_n = 1;
int workers_max = 1;
struct worker *workers_all = &boot;

_Thread_local struct runtime *rt_current = &boot.runtime;
_Thread_local struct stats_registry *stats_current = &boot.counters;
static _Thread_local struct worker *self_w = &boot;
static _Thread_local struct worker *cur_w = &boot;
static _Thread_local int stop_depth;
static _Thread_local struct worker *entered_at_stop;	/* restored by the outermost world_start() */

static pthread_mutex_t world_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t world_cv = PTHREAD_COND_INITIALIZER;
static struct worker *world_owner;	/* NULL: every worker runs */
static uint64_t world_epoch;		/* bumps when a stop ends */
static int world_parked;		/* workers parked for the current stop */
static int world_members;		/* workers in their event loop (the main thread's included) */

static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int shared_held;

static _Atomic uint64_t next_id;
static atomic_int clients_total;

static void park_locked(void);
static void *worker_thread(void *arg);

/* ---------------- Public functions ---------------- */

int workers_init(int n)
{
	struct worker *all;

	if (n <= 1)
		return 0;
	if (evthread_use_pthreads() < 0) {
		log_error("cannot set up libevent for threads");
		return -1;
	}
	all = calloc((size_t)n, sizeof(*all));
	if (!all) {
		log_error("out of memory for %d workers", n);
		return -1;
	}
	all[0] = boot;
	for (int i = 0; i < n; i++)
		all[i].index = i;
	workers_all = all;
	workers_max = n;
	self_w = &all[0];
	worker_enter(&all[0]);
	world_members = 1;
	return 0;
}

struct worker *worker_self(void)
{
	return self_w;
}

struct worker *worker_current(void)
{
	return cur_w;
}

void worker_enter(struct worker *w)
{
	cur_w = w;
	rt_current = &w->runtime;
	stats_current = &w->counters;
}

void worker_ready(struct worker *w)
{
	Assert(w->index == workers_n && workers_n < workers_max);
	workers_n++;
}

bool workers_start(void)
{
	sigset_t all, old;

	/* signals are the main thread's: the workers are born blocking them */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 1; i < workers_n; i++) {
		struct worker *w = &workers_all[i];
		pthread_mutex_lock(&world_mu);
		world_members++;
		pthread_mutex_unlock(&world_mu);
		if (pthread_create(&w->thread, NULL, worker_thread, w) != 0) {
			pthread_mutex_lock(&world_mu);
			world_members--;
			pthread_mutex_unlock(&world_mu);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			log_error("cannot start worker %d", i);
			return false;
		}
		w->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return true;
}

void workers_join(void)
{
	for (int i = 1; i < workers_n; i++) {
		if (workers_all[i].started)
			pthread_join(workers_all[i].thread, NULL);
		workers_all[i].started = false;
	}
}

void workers_free(void)
{
	if (workers_all == &boot)
		return;
	free(workers_all);
	workers_all = &boot;
	workers_n = workers_max = 1;
	self_w = &boot;
	worker_enter(&boot);
	libevent_global_shutdown();	/* the locks evthread_use_pthreads() made */
}

bool workers_others_done(void)
{
	bool done;

	if (workers_n == 1)
		return true;
	pthread_mutex_lock(&world_mu);
	done = world_members <= 1;
	pthread_mutex_unlock(&world_mu);
	return done;
}

void worker_leave(void)
{
	if (workers_n == 1)
		return;
	pthread_mutex_lock(&world_mu);
	world_members--;
	pthread_cond_broadcast(&world_cv);
	pthread_mutex_unlock(&world_mu);
}

void worker_mailbox_cb(evutil_socket_t fd, short what, void *arg)
{
	UNUSED(fd);
	UNUSED(what);
	UNUSED(arg);
	pthread_mutex_lock(&world_mu);
	if (world_owner && world_owner != self_w)
		park_locked();
	pthread_mutex_unlock(&world_mu);
}

void shared_lock(void)
{
	if (shared_held++ == 0 && workers_n > 1 && stop_depth == 0)
		pthread_mutex_lock(&shared_mu);
}

void shared_unlock(void)
{
	Assert(shared_held > 0);
	if (--shared_held == 0 && workers_n > 1 && stop_depth == 0)
		pthread_mutex_unlock(&shared_mu);
}

void world_stop(void)
{
	Assert(shared_held == 0);	/* a parked worker could be waiting for it */
	if (stop_depth++ > 0)
		return;
	entered_at_stop = cur_w;
	if (workers_n == 1)
		return;
	pthread_mutex_lock(&world_mu);
	while (world_owner)
		park_locked();	/* another stop first: count as parked for it */
	world_owner = self_w;
	world_parked = 0;
	pthread_mutex_unlock(&world_mu);
	for (int i = 0; i < workers_n; i++) {
		struct worker *w = &workers_all[i];
		if (w != self_w && w->mailbox)
			event_active(w->mailbox, EV_READ, 0);
	}
	pthread_mutex_lock(&world_mu);
	while (world_parked < world_members - 1)
		pthread_cond_wait(&world_cv, &world_mu);
	pthread_mutex_unlock(&world_mu);
}

void world_start(void)
{
	Assert(stop_depth > 0);
	if (--stop_depth > 0)
		return;
	worker_enter(entered_at_stop);
	if (workers_n == 1)
		return;
	pthread_mutex_lock(&world_mu);
	world_owner = NULL;
	world_epoch++;
	pthread_cond_broadcast(&world_cv);
	pthread_mutex_unlock(&world_mu);
}

uint64_t workers_next_id(void)
{
	return atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed) + 1;
}

int workers_clients_add(int delta)
{
	return atomic_fetch_add_explicit(&clients_total, delta, memory_order_relaxed) + delta;
}

/* ---------------- Internal functions ---------------- */

/* Wait, parked, until the current stop ends (world_mu held). */
static void park_locked(void)
{
	uint64_t epoch = world_epoch;

	world_parked++;
	pthread_cond_broadcast(&world_cv);
	while (world_owner && world_epoch == epoch)
		pthread_cond_wait(&world_cv, &world_mu);
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;

	self_w = w;
	worker_enter(w);
	event_base_dispatch(w->runtime.base);
	worker_leave();
	classify_thread_end();
	relay_thread_end();
	evmem_thread_end();
	return NULL;
}
