/*
 * Watching a libpq connection's socket from libevent: the one piece of
 * plumbing the control-plane modules (monitor, metadata, auth_query) share.
 * No policy, no state of its own.
 */
#ifndef PGSTEER_PQWATCH_H
#define PGSTEER_PQWATCH_H

#include <stdbool.h>

#include <event2/event.h>
#include <libpq-fe.h>

/* An event on a PGconn's socket and what it waits for. */
struct pq_watch {
	struct event *ev;
	int fd;
	short what;
};

/*
 * Make W watch CONN's current socket for WHAT (persistent), calling CB with
 * ARG.  While CONNECTING it is re-registered at every step: libpq may close
 * its socket and open another that gets the same number (next address, SSL
 * retry), and epoll would have forgotten the old registration.  False if
 * there is no socket or the event cannot be added (W is then empty).
 */
bool pq_watch_set(struct pq_watch *w, struct event_base *base, PGconn *conn, short what,
		  bool connecting, event_callback_fn cb, void *arg);
/* Stop watching; W is empty after. */
void pq_watch_clear(struct pq_watch *w);

#endif
