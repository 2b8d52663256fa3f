/*
 * libpq sockets in the event loop: keeps one persistent event per
 * connection pointed at the socket libpq uses now.  Owns nothing but that
 * event; the caller owns the PGconn and decides what the callback does.
 */
#include "pqwatch.h"

bool pq_watch_set(struct pq_watch *w, struct event_base *base, PGconn *conn, short what,
		  bool connecting, event_callback_fn cb, void *arg)
{
	int fd = PQsocket(conn);

	if (fd < 0)
		return false;
	if (w->ev && w->fd == fd && w->what == what && !connecting)
		return true;
	pq_watch_clear(w);
	w->ev = event_new(base, fd, (short)(what | EV_PERSIST), cb, arg);
	if (!w->ev || event_add(w->ev, NULL) != 0) {
		pq_watch_clear(w);
		return false;
	}
	w->fd = fd;
	w->what = what;
	return true;
}

void pq_watch_clear(struct pq_watch *w)
{
	if (w->ev)
		event_free(w->ev);
	w->ev = NULL;
	w->fd = -1;
	w->what = 0;
}
