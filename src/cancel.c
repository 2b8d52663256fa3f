/*
 * Query cancellation.  A client's CancelRequest carries the key pgsteer
 * gave it; if that client is linked to a server right now, pgsteer opens a
 * fresh connection to that server's node and sends a CancelRequest with
 * the server's own pid and key.
 *
 * PostgreSQL signals the backend when it has read the request, and closes
 * that connection after.  The cancelled query may finish on its own first;
 * a signal that lands after its ReadyForQuery could then cancel the next
 * client's statement if the server went straight back to the pool.  So a
 * server with a cancel in flight stays out of the pool (pool_release()
 * waits) until PostgreSQL closes the cancel connection, or
 * CANCEL_TIMEOUT_MS passes (a stalled node).  A client that keeps its
 * server (session pooling, a pinned session) sends nothing more to it
 * meanwhile (relay_cancels_done()): PostgreSQL signals the backend twice,
 * and the second signal must not cancel that client's next statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "cancel.h"
#include "conn.h"
#include "log.h"
#include "pgsteer.h"
#include "pool.h"
#include "proto.h"
#include "relay.h"
#include "worker.h"

#define CANCEL_TIMEOUT_MS 3000

struct cancel_req {
	struct bufferevent *bev;
	struct server *server;		/* NULL once the server is gone */
	struct cancel_req *next;	/* server->cancels */
	struct list head;		/* in_flight: every request, freed at exit */
};

static void cancel_client(struct client *c);

/* ---------------- Public functions ---------------- */

/*
 * Find the client owning (PID, KEY), on any worker, and cancel whatever its
 * server runs (as the client's worker: the server is that worker's).
 */
void cancel_forward(int32_t pid, int32_t key)
{
	struct list *it;
	struct client *c = NULL;

	world_stop();
	WORKERS_AS_EACH(w) {
		if (c)
			continue;
		list_for_each(it, &rt.clients) {
			struct client *cand = container_of(it, struct client, head);
			if (cand->cancel_pid == pid && cand->cancel_key == key &&
			    cand->state >= CL_IDLE && cand->state <= CL_ACTIVE) {
				c = cand;
				break;
			}
		}
	}
	if (!c)
		log_debug("cancel request for unknown key ignored");
	else
		cancel_client(c);
	world_start();
}

/* Cancel what C's server runs now, acting as C's worker. */
static void cancel_client(struct client *c)
{
	struct worker *was = worker_current();
	struct server *s;

	char workers[48] = "";

	worker_enter(c->worker);
	s = c->server;
	if (!s && ((c->state == CL_WAITING && (c->wait_probe || !list_empty(&c->wait_link))) ||
		   (c->state == CL_IDLE && c->tenant_held))) {
		/*
		 * Its statement is queued for a server, waits for the position
		 * of the session's last write, or is held while its tenant
		 * moves, and has not reached PostgreSQL: it is cancelled here,
		 * as PostgreSQL would cancel it, and never runs.
		 */
		log_info("C-%llu: cancel request while %s: statement not sent", (unsigned long long)c->id,
			 c->tenant_held ? "its tenant moves" :
			 c->wait_probe ? "it waits for its last write's position" : "queued for a server");
		c->tenant_held = false;
		c->wait_probe = false;	/* the probe goes on: its answer still counts */
		relay_refuse(c, "57014", "canceling statement due to user request");
	} else if (!s || (s->expect_rfq == 0 && !s->batch_open && s->pkt_remain == 0)) {
		/*
		 * Nothing sent since the server's last ReadyForQuery.  Messages
		 * sent without their Sync yet (a batch that streams, such as a
		 * driver's executemany) do run: they are cancelled.
		 */
		log_debug("C-%llu: cancel request while nothing runs: ignored", (unsigned long long)c->id);
	} else {
		if (workers_n > 1)
			snprintf(workers, sizeof(workers), " (worker %d; request taken by worker %d)",
				 c->worker->index, was->index);
		log_info("C-%llu%s: cancel forwarded to S-%llu node %s pid %d", (unsigned long long)c->id,
			 workers, (unsigned long long)s->id, s->pool->node_name, s->backend_pid);
		if (s->causal_phase == 6)
			c->cancel_dropped = true;	/* its read is not sent to the primary afterwards */
		cancel_server(s);
	}
	worker_enter(was);
}

static void cancel_done(struct cancel_req *req);
static void cancel_read_cb(struct bufferevent *bev, void *arg);
static void cancel_event_cb(struct bufferevent *bev, short what, void *arg);

void cancel_server(struct server *s)
{
	struct cancel_req *req = calloc(1, sizeof(*req));
	struct timeval tv = { CANCEL_TIMEOUT_MS / 1000, (CANCEL_TIMEOUT_MS % 1000) * 1000 };

	if (!req)
		return;
	req->bev = conn_plain(rt.base, -1);
	if (!req->bev) {
		free(req);
		return;
	}
	list_push_tail(&rt.cancels, &req->head);
	req->server = s;
	req->next = s->cancels;
	s->cancels = req;
	s->cancels_pending++;
	bufferevent_setcb(req->bev, cancel_read_cb, NULL, cancel_event_cb, req);
	bufferevent_set_timeouts(req->bev, &tv, &tv);
	proto_add_cancel(bufferevent_get_output(req->bev), s->backend_pid, s->backend_key);
	if (conn_connect(req->bev, s->pool->host, s->pool->port) < 0) {
		cancel_done(req);
		return;
	}
	/* PostgreSQL answers nothing: the closed connection says it is done */
	bufferevent_enable(req->bev, EV_READ | EV_WRITE);
}

void cancel_free_all(void)
{
	while (!list_empty(&rt.cancels)) {
		struct cancel_req *req = container_of(list_first(&rt.cancels), struct cancel_req, head);
		req->server = NULL;
		cancel_done(req);
	}
}

void cancel_server_gone(struct server *s)
{
	for (struct cancel_req *req = s->cancels; req; req = req->next)
		req->server = NULL;
	s->cancels = NULL;
	s->cancels_pending = 0;
	s->release_when_cancelled = false;
}

/* ---------------- Internal functions ---------------- */

/* The cancel was taken (or given up): a server held for it may be pooled again. */
static void cancel_done(struct cancel_req *req)
{
	struct server *s = req->server;

	if (s) {
		struct cancel_req **pp;
		for (pp = &s->cancels; *pp; pp = &(*pp)->next) {
			if (*pp == req) {
				*pp = req->next;
				break;
			}
		}
		if (--s->cancels_pending == 0 && s->release_when_cancelled) {
			s->release_when_cancelled = false;
			pool_release(s);
		} else if (s->cancels_pending == 0 && s->client) {
			relay_cancels_done(s);
		}
	}
	list_del(&req->head);
	conn_release(req->bev);
	free(req);
}

static void cancel_read_cb(struct bufferevent *bev, void *arg)
{
	UNUSED(arg);
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
}

static void cancel_event_cb(struct bufferevent *bev, short what, void *arg)
{
	UNUSED(bev);
	if (what & BEV_EVENT_CONNECTED)
		return;
	cancel_done(arg);	/* closed by PostgreSQL, failed, or timed out */
}
