/*
 * Query cancellation.  A client's CancelRequest carries the key pgsteer
 * gave it; if that client is linked to a server right now, pgsteer opens a
 * fresh connection to that server's node and sends a CancelRequest with
 * the server's own pid and key.  Fire and forget, as PostgreSQL's protocol
 * intends: no reply either way.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "conn.h"
#include "log.h"
#include "pgsteer.h"
#include "proto.h"

struct cancel_req {
	struct bufferevent *bev;
};

static void cancel_done(struct cancel_req *req)
{
	conn_release(req->bev);
	free(req);
}

static void cancel_write_cb(struct bufferevent *bev, void *arg)
{
	UNUSED(bev);
	cancel_done(arg);
}

static void cancel_event_cb(struct bufferevent *bev, short what, void *arg)
{
	UNUSED(bev);
	if (what & BEV_EVENT_CONNECTED)
		return;
	cancel_done(arg);
}

/* Find the client owning (PID, KEY) and cancel whatever its server runs. */
void cancel_forward(int32_t pid, int32_t key)
{
	struct list *it;
	struct client *c = NULL;
	struct server *s;
	struct cancel_req *req;

	list_for_each(it, &rt.clients) {
		struct client *cand = container_of(it, struct client, head);
		if (cand->cancel_pid == pid && cand->cancel_key == key &&
		    cand->state >= CL_IDLE && cand->state <= CL_ACTIVE) {
			c = cand;
			break;
		}
	}
	if (!c) {
		log_debug("cancel request for unknown key ignored");
		return;
	}
	s = c->server;
	if (!s || s->expect_rfq == 0) {
		log_debug("C-%llu: cancel request while nothing runs: ignored", (unsigned long long)c->id);
		return;
	}
	req = calloc(1, sizeof(*req));
	if (!req)
		return;
	req->bev = conn_plain(rt.base, -1);
	if (!req->bev) {
		free(req);
		return;
	}
	bufferevent_setcb(req->bev, NULL, cancel_write_cb, cancel_event_cb, req);
	proto_add_cancel(bufferevent_get_output(req->bev), s->backend_pid, s->backend_key);
	int rc = conn_connect(req->bev, s->pool->host, s->pool->port);
	if (rc < 0) {
		cancel_done(req);
		return;
	}
	bufferevent_enable(req->bev, EV_WRITE);
	log_info("C-%llu: cancel forwarded to S-%llu node %s pid %d", (unsigned long long)c->id,
		 (unsigned long long)s->id, s->pool->node_name, s->backend_pid);
}
