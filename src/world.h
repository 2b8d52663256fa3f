/*
 * Stopping the world (worker.c): what the control plane and the small
 * shared tables need of the worker threads, without the data plane's
 * headers.  See worker.h for the model.
 */
#ifndef PGSTEER_WORLD_H
#define PGSTEER_WORLD_H

#include <event2/util.h>

/* Park every other worker (nests); world_start() releases them and restores the worker entered before. */
void world_stop(void);
void world_start(void);

/*
 * The event callback FN: FN_stopped run with the other workers parked.
 * Every callback of the control plane (monitor, metadata, tenancy,
 * auth_query, the admin timer) is made this way.
 */
#define WORLD_STOPPED_CB(fn) \
	static void fn(evutil_socket_t fd, short what, void *arg) \
	{ \
		world_stop(); \
		fn##_stopped(fd, what, arg); \
		world_start(); \
	}

/*
 * The lock of the small shared tables the data plane changes per statement
 * or login (sticky positions, the prepared-statement registry, tenancy's
 * gate).  Never held across world_stop(); free with one worker.
 */
void shared_lock(void);
void shared_unlock(void);

#endif
