/*
 * Worker threads (workers = N): each one a whole data plane on its own
 * event base (clients, pools, server connections, listeners sharing the
 * port through SO_REUSEPORT).  The main thread is worker 0 and also runs
 * the control plane (monitor, metadata, tenancy, auth_query, the stats
 * endpoint, signals).
 *
 * Stopping the world: work that reads or changes several workers'
 * objects, or state the control plane owns, runs with every other worker
 * parked (world_stop() .. world_start()).  In between, the owner may act
 * as any worker (worker_enter()): `rt` and the counters are then that
 * worker's, and the data-plane code runs on its objects unchanged.
 *
 * With one worker none of this costs anything: no thread, no lock, and
 * world_stop() only counts its depth.
 */
#ifndef PGSTEER_WORKER_H
#define PGSTEER_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pgsteer.h"
#include "stats.h"
#include "world.h"

struct worker {
	int index;
	pthread_t thread;
	bool started;			/* its thread runs (index > 0) */
	struct runtime runtime;
	struct stats_registry counters;
	struct event *mailbox;		/* made active from other threads: park */
	struct event *pool_wake;	/* made active from other threads: a unit of a shared
					 * pool size its clients wait for is free (pool.c; set
					 * and cleared under shared_lock()) */
};

extern int workers_n;			/* how many workers have a runtime (1: no threads) */
extern int workers_max;			/* how many there will be (workers = N) */
extern struct worker *workers_all;	/* workers_all[0] is the main thread's */

#define WORKERS_FOREACH(w) for (struct worker *w = workers_all; w < workers_all + workers_n; w++)
/*
 * The body runs as each worker in turn (world stopped); the worker entered
 * before is entered again when the loop ends.  No break out of it.
 */
#define WORKERS_AS_EACH(w) \
	for (struct worker *w##_was = worker_current(), *w = workers_all; \
	     w < workers_all + workers_n ? (worker_enter(w), true) : (worker_enter(w##_was), false); \
	     w++)

/*
 * Before any event base exists: N workers (libevent's locking is set up
 * when N > 1).  Worker 0 is entered on the calling thread.
 */
int workers_init(int n);
/* The calling thread's own worker, and the one it acts as now. */
struct worker *worker_self(void);
struct worker *worker_current(void);
/* Act as W (its runtime and counters) until the next worker_enter(). */
void worker_enter(struct worker *w);
/* Worker W's runtime is set up: loops over the workers include it from now on. */
void worker_ready(struct worker *w);
/* Start workers 1..N-1 (their runtimes are ready); false if a thread cannot start. */
bool workers_start(void);
/* After every worker left its loop: join the threads. */
void workers_join(void);
/* At exit, threads joined and runtimes closed: free the workers (worker 0 is the boot one again). */
void workers_free(void);
/* Has every worker but the main thread's left its loop? */
bool workers_others_done(void);
/* The calling worker left its event loop: stops no longer wait for it. */
void worker_leave(void);
/* The mailbox callback (daemon.c makes the event). */
void worker_mailbox_cb(evutil_socket_t fd, short what, void *arg);

/* Process-wide, whatever the worker: client and server ids, and the client count. */
uint64_t workers_next_id(void);
int workers_clients_add(int delta);

#endif
