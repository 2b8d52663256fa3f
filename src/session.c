/*
 * The relay: moves protocol messages between a logged-in client and the
 * server it is linked to, and decides when that link starts and ends.
 *
 * Bytes are moved with evbuffer_remove_buffer (chain moves, no copy of
 * message bodies); only message headers are looked at, plus the bodies of
 * ReadyForQuery and ParameterStatus.  A server is released in transaction
 * mode only when it is provably clean: every Query/Sync/FunctionCall has
 * had its ReadyForQuery, no extended-protocol batch is open, no message is
 * half-relayed, and the last ReadyForQuery said 'I'.  ReadyForQuery's
 * status byte is the truth about transaction state, not statement text.
 *
 * Backpressure: when one side's output exceeds RELAY_HIGH_WATER we stop
 * reading the other side until it drains below RELAY_LOW_WATER.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pgsteer.h"
#include "proto.h"

#define RELAY_HIGH_WATER (1024 * 1024)
#define RELAY_LOW_WATER (256 * 1024)
#define MAX_PARAM_STATUS 8192
#define MAX_SERVER_MESSAGE (1024u * 1024u * 1024u)

static void relay_move(struct evbuffer *in, struct bufferevent *dst, bool dst_tls, size_t n);
static void relay_client_to_server(struct client *c, struct server *s);
static void relay_server_to_client(struct server *s, struct client *c);
static void idle_server_input(struct server *s);
static void unlink_pair(struct client *c, struct server *s);
static bool server_is_clean(const struct server *s);
static bool discard_input(struct client *c);
static void server_reset_or_release(struct server *s);

/* ---------------- Public functions ---------------- */

/* Client bytes arrived (or a server became available for them). */
void session_client_input(struct client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	uint8_t type;
	uint32_t len;

	switch (c->state) {
	case CL_ACTIVE:
		relay_client_to_server(c, c->server);
		return;
	case CL_IDLE:
		break;
	default:
		return;		/* waiting, logging in or closing: keep it buffered */
	}

	if (c->discard != DISCARD_NONE && !discard_input(c))
		return;
	if (evbuffer_get_length(in) == 0)
		return;
	Assert(c->pkt_remain == 0);
	if (!proto_peek_header(in, 0, &type, &len))
		return;
	if (!proto_is_frontend_type(type)) {
		client_fail(c, "FATAL", "08P01", "invalid frontend message type %d", type);
		return;
	}
	if (len < 4 || len > rt.cfg->max_packet_size) {
		client_fail(c, "FATAL", "08P01", "invalid message length %u (max_packet_size %llu)",
			    len, (unsigned long long)rt.cfg->max_packet_size);
		return;
	}
	if (type == 'X') {
		client_close(c, "client sent Terminate");
		return;
	}
	/* The start of a transaction: this is where routing will decide. */
	c->state = CL_WAITING;
	c->state_since_ms = now_ms();
	pool_acquire(c->pool, c);
	/* Queued: stop reading until a server frees up (a handover already relayed). */
	if (c->state == CL_WAITING)
		conn_read_disable(&c->rd);
}

/*
 * Answer the statement C has queued with an ERROR and drop it, as
 * PostgreSQL would: a Query is consumed whole, an extended-protocol batch
 * up to its Sync; then ReadyForQuery.  The client stays connected.
 */
void session_refuse(struct client *c, const char *sqlstate, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_info("C-%llu %s %s@%s: statement refused: %s (SQLSTATE %s)", (unsigned long long)c->id,
		 c->addr, c->user, c->database, msg, sqlstate);
	pool_client_gone(c);
	proto_add_error(bufferevent_get_output(c->bev), "ERROR", sqlstate, msg, NULL);
	c->discard = DISCARD_STATEMENT;
	c->state = CL_IDLE;
	c->state_since_ms = now_ms();
	conn_read_enable(&c->rd);
	session_client_input(c);
}

/* POOL gave C the server S. */
void session_server_assigned(struct client *c, struct server *s)
{
	c->server = s;
	s->client = c;
	s->last_used_ms = now_ms();
	if (c->state == CL_LOGIN_WAIT) {
		/* Login: the client learns the server parameters. */
		client_welcome(c, &s->params);
		if (rt.cfg->pool_mode == POOL_MODE_TRANSACTION) {
			unlink_pair(c, s);
			c->state = CL_IDLE;
			c->state_since_ms = now_ms();
			pool_release(s);
			conn_read_enable(&c->rd);
			session_client_input(c);
			return;
		}
	}
	log_debug("C-%llu %s@%s: linked to S-%llu node %s pid %d", (unsigned long long)c->id, c->user,
		  c->database, (unsigned long long)s->id, s->pool->node_name, s->backend_pid);
	c->state = CL_ACTIVE;
	c->state_since_ms = now_ms();
	conn_read_enable(&c->rd);
	relay_client_to_server(c, s);
}

/* Server bytes arrived. */
void session_server_input(struct server *s)
{
	if (s->state == SV_ACTIVE && s->client)
		relay_server_to_client(s, s->client);
	else
		idle_server_input(s);
}

/* The client is going away: decide the fate of its server. */
void session_client_gone(struct client *c)
{
	struct server *s = c->server;

	if (!s)
		return;
	unlink_pair(c, s);
	if (!server_is_clean(s)) {
		server_close(s, "client disconnected while the server was busy");
		return;
	}
	server_reset_or_release(s);
}

/* The server died under C: only C fails. */
void session_server_gone(struct server *s, const char *reason)
{
	struct client *c = s->client;

	if (!c)
		return;
	unlink_pair(c, s);
	client_fail(c, "FATAL", "08006", "server connection to node %s closed: %s",
		    s->pool->node_name, reason);
}

/* C's output drained: resume reading its server. */
void session_client_drained(struct client *c)
{
	struct server *s = c->server;

	if (s && s->read_paused &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) <= RELAY_LOW_WATER) {
		s->read_paused = false;
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
		conn_read_enable(&s->rd);
		relay_server_to_client(s, c);
	}
}

/* S's output drained: resume reading its client. */
void session_server_drained(struct server *s)
{
	struct client *c = s->client;

	if (c && c->read_paused &&
	    evbuffer_get_length(bufferevent_get_output(s->bev)) <= RELAY_LOW_WATER) {
		c->read_paused = false;
		bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
		conn_read_enable(&c->rd);
		relay_client_to_server(c, s);
	}
}

/* Client-side timeouts (pool.c handles the server side). */
void session_janitor(int64_t now)
{
	const struct config *cfg = rt.cfg;
	struct list *it, *tmp;

	list_for_each_safe(it, tmp, &rt.clients) {
		struct client *c = container_of(it, struct client, head);
		int64_t in_state = now - c->state_since_ms;
		switch (c->state) {
		case CL_STARTUP:
		case CL_AUTH:
			if (cfg->client_login_timeout_ms > 0 && in_state > cfg->client_login_timeout_ms)
				client_fail(c, "FATAL", "08P01", "client_login_timeout: login not completed within %lld ms",
					    (long long)cfg->client_login_timeout_ms);
			break;
		case CL_ACTIVE:
			if (cfg->idle_transaction_timeout_ms > 0 && c->tx_status != 'I' && c->server &&
			    c->server->expect_rfq == 0 &&
			    now - c->last_activity_ms > cfg->idle_transaction_timeout_ms)
				client_fail(c, "FATAL", "25P03",
					    "terminating connection due to idle-in-transaction timeout (%lld ms)",
					    (long long)cfg->idle_transaction_timeout_ms);
			break;
		case CL_IDLE:
			if (cfg->client_idle_timeout_ms > 0 && now - c->last_activity_ms > cfg->client_idle_timeout_ms)
				client_fail(c, "FATAL", "57P05", "client_idle_timeout: idle for %lld ms",
					    (long long)cfg->client_idle_timeout_ms);
			break;
		case CL_FLUSHING:
			if (in_state > 5000)
				client_close(c, "could not deliver final error");
			break;
		default:
			break;
		}
	}
}

/* ---------------- Internal functions ---------------- */

static void unlink_pair(struct client *c, struct server *s)
{
	c->server = NULL;
	s->client = NULL;
	if (s->read_paused) {
		s->read_paused = false;
		if (s->bev)
			conn_read_enable(&s->rd);
	}
	if (c->read_paused) {
		c->read_paused = false;
		if (c->bev && c->state != CL_FLUSHING && c->state != CL_CLOSED)
			conn_read_enable(&c->rd);
	}
	if (c->bev)
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	if (s->bev)
		bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
}

/*
 * Drop input of a refused statement.  Returns true when done (the client
 * got its ReadyForQuery and the rest of the input is new statements).
 */
static bool discard_input(struct client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	uint8_t type;
	uint32_t len;

	for (;;) {
		if (c->pkt_remain) {
			size_t avail = evbuffer_get_length(in);
			size_t take = avail < c->pkt_remain ? avail : c->pkt_remain;
			evbuffer_drain(in, take);
			c->pkt_remain -= (uint32_t)take;
			if (c->pkt_remain)
				return false;
			if (c->discard_last) {
				c->discard_last = false;
				c->discard = DISCARD_NONE;
				proto_add_ready(bufferevent_get_output(c->bev), c->tx_status);
				return true;
			}
		}
		if (!proto_peek_header(in, 0, &type, &len))
			return false;
		if (!proto_is_frontend_type(type) || len < 4 || len > rt.cfg->max_packet_size) {
			client_fail(c, "FATAL", "08P01", "invalid frontend message");
			return false;
		}
		if (type == 'X') {
			client_close(c, "client sent Terminate");
			return false;
		}
		if (c->discard == DISCARD_STATEMENT)
			c->discard = (type == 'Q' || type == 'F') ? DISCARD_ONE : DISCARD_TO_SYNC;
		if (c->discard == DISCARD_ONE || type == 'S')
			c->discard_last = true;
		c->pkt_remain = 1 + len;
	}
}

/* Nothing owed, nothing half-sent: the server can serve someone else. */
static bool server_is_clean(const struct server *s)
{
	return s->expect_rfq == 0 && !s->batch_open && s->pkt_remain == 0;
}

/*
 * An unlinked clean server: roll back an open transaction, run the reset
 * query in session mode, then release.
 */
static void server_reset_or_release(struct server *s)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	bool session_mode = rt.cfg->pool_mode == POOL_MODE_SESSION;
	const char *reset = rt.cfg->server_reset_query;

	if (s->tx_status != 'I') {
		proto_add_query(out, "ROLLBACK");
		s->expect_rfq++;
	}
	if ((session_mode || rt.cfg->server_reset_query_always) && reset && *reset) {
		proto_add_query(out, reset);
		s->expect_rfq++;
	}
	if (s->expect_rfq > 0) {
		s->state = SV_RESETTING;
		s->state_since_ms = now_ms();
		return;
	}
	pool_release(s);
}

/*
 * Move N bytes from IN towards DST.  When nothing is queued for DST, write
 * straight to its socket: the common request/reply case then needs no
 * write-event registration and no extra loop iteration.  Whatever the
 * socket does not take (or TLS) goes through DST's output buffer.
 */
static void relay_move(struct evbuffer *in, struct bufferevent *dst, bool dst_tls, size_t n)
{
	struct evbuffer *out = bufferevent_get_output(dst);

	if (!dst_tls && evbuffer_get_length(out) == 0) {
		int w = evbuffer_write_atmost(in, bufferevent_getfd(dst), (ev_ssize_t)n);
		if (w > 0)
			n -= (size_t)w;
		/* on error the buffered path below reports it through the event callback */
	}
	if (n)
		evbuffer_remove_buffer(in, out, n);
}

/* Pause reading SRC while DST's output is above the high-water mark. */
static bool apply_backpressure(struct bufferevent *dst, struct conn_reader *src, bool *paused)
{
	if (evbuffer_get_length(bufferevent_get_output(dst)) < RELAY_HIGH_WATER)
		return false;
	*paused = true;
	conn_read_disable(src);
	bufferevent_setwatermark(dst, EV_WRITE, RELAY_LOW_WATER, 0);
	return true;
}

/* Forward complete and partial client messages to the linked server. */
static void relay_client_to_server(struct client *c, struct server *s)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t avail = evbuffer_get_length(in);
	size_t off = 0;
	uint8_t type;
	uint32_t len;

	if (avail == 0 || c->read_paused)
		return;
	c->last_activity_ms = now_ms();
	while (off < avail) {
		if (c->pkt_remain) {
			size_t take = avail - off < c->pkt_remain ? avail - off : c->pkt_remain;
			off += take;
			c->pkt_remain -= (uint32_t)take;
			continue;
		}
		if (!proto_peek_header(in, off, &type, &len))
			break;
		if (!proto_is_frontend_type(type) || len < 4 || len > rt.cfg->max_packet_size) {
			if (off)
				relay_move(in, s->bev, s->tls, off);
			if (!proto_is_frontend_type(type))
				client_fail(c, "FATAL", "08P01", "invalid frontend message type %d", type);
			else
				client_fail(c, "FATAL", "08P01", "invalid message length %u (max_packet_size %llu)",
					    len, (unsigned long long)rt.cfg->max_packet_size);
			return;
		}
		switch (type) {
		case 'X':
			if (off)
				relay_move(in, s->bev, s->tls, off);
			evbuffer_drain(in, PROTO_HEADER_LEN);
			client_close(c, "client sent Terminate");
			return;
		case 'Q':
		case 'F':
			s->expect_rfq++;
			break;
		case 'S':
			s->expect_rfq++;
			s->batch_open = false;
			break;
		case 'P':
		case 'B':
		case 'E':
		case 'D':
		case 'C':
		case 'H':
			s->batch_open = true;
			break;
		default:
			break;	/* COPY data/done/fail, password: no reply owed by themselves */
		}
		c->pkt_remain = 1 + len;
	}
	if (off)
		relay_move(in, s->bev, s->tls, off);
	apply_backpressure(s->bev, &c->rd, &c->read_paused);
}

/* Forward server messages to the client; release the server when clean. */
static void relay_server_to_client(struct server *s, struct client *c)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	size_t avail = evbuffer_get_length(in);
	size_t off = 0;
	uint8_t type;
	uint32_t len;

	if (s->read_paused)
		return;
	while (off < avail) {
		if (s->pkt_remain) {
			size_t take = avail - off < s->pkt_remain ? avail - off : s->pkt_remain;
			off += take;
			s->pkt_remain -= (uint32_t)take;
			continue;
		}
		if (!proto_peek_header(in, off, &type, &len))
			break;
		if (len < 4 || len > MAX_SERVER_MESSAGE) {
			if (off)
				relay_move(in, c->bev, c->tls, off);
			server_close(s, "invalid message length from server");
			return;
		}
		if (type == 'Z') {
			uint8_t msg[6];
			struct evbuffer_ptr p;
			if (avail - off < 6)
				break;
			evbuffer_ptr_set(in, &p, off, EVBUFFER_PTR_SET);
			evbuffer_copyout_from(in, &p, msg, 6);
			off += 6;
			s->tx_status = c->tx_status = (char)msg[5];
			if (s->expect_rfq > 0)
				s->expect_rfq--;
			if (rt.cfg->pool_mode == POOL_MODE_TRANSACTION && s->tx_status == 'I' &&
			    server_is_clean(s) && c->pkt_remain == 0) {
				relay_move(in, c->bev, c->tls, off);
				unlink_pair(c, s);
				c->state = CL_IDLE;
				c->state_since_ms = c->last_activity_ms = now_ms();
				pool_release(s);
				/* the client may already have sent its next statement */
				session_client_input(c);
				return;
			}
			continue;
		}
		if (type == 'S' && len <= MAX_PARAM_STATUS) {
			char buf[MAX_PARAM_STATUS];
			struct evbuffer_ptr p;
			if (avail - off < 1 + (size_t)len)
				break;
			evbuffer_ptr_set(in, &p, off + PROTO_HEADER_LEN, EVBUFFER_PTR_SET);
			evbuffer_copyout_from(in, &p, buf, len - 4);
			size_t nl = strnlen(buf, len - 4);
			if (nl + 1 < len - 4 && buf[len - 5] == '\0')
				param_set_update(&s->params, buf, buf + nl + 1);
		}
		s->pkt_remain = 1 + len;
	}
	if (off)
		relay_move(in, c->bev, c->tls, off);
	apply_backpressure(c->bev, &s->rd, &s->read_paused);
}

/*
 * Input on a server nobody is using: notices, parameter changes, the
 * replies to our reset queries, or a FATAL before the server goes away.
 */
static void idle_server_input(struct server *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	uint8_t type;
	uint32_t len;

	while (proto_peek_header(in, 0, &type, &len)) {
		if (len < 4 || len > MAX_PARAM_STATUS * 8) {
			server_close(s, "unexpected large message on an unlinked server");
			return;
		}
		if (evbuffer_get_length(in) < 1 + (size_t)len)
			return;
		uint8_t *msg = evbuffer_pullup(in, 1 + (ev_ssize_t)len);
		switch (type) {
		case 'Z':
			s->tx_status = (char)msg[5];
			if (s->expect_rfq > 0)
				s->expect_rfq--;
			break;
		case 'E': {
			struct error_fields ef;
			proto_parse_error(msg + PROTO_HEADER_LEN, len - 4, &ef);
			log_warning("S-%llu node %s pid %d: error on unlinked server: %s (%s)",
				    (unsigned long long)s->id, s->pool->node_name, s->backend_pid,
				    ef.message, ef.sqlstate);
			if (strcmp(ef.severity, "FATAL") == 0 || strcmp(ef.severity, "PANIC") == 0 ||
			    s->state == SV_RESETTING) {
				evbuffer_drain(in, 1 + (size_t)len);
				server_close(s, "error while idle or resetting");
				return;
			}
			break;
		}
		case 'S': {
			const char *name = (const char *)msg + PROTO_HEADER_LEN;
			size_t blen = len - 4;
			size_t nl = strnlen(name, blen);
			if (nl + 1 < blen && msg[len] == '\0')
				param_set_update(&s->params, name, name + nl + 1);
			break;
		}
		default:
			break;	/* notices, notifications, command results of the reset */
		}
		evbuffer_drain(in, 1 + (size_t)len);
		if (s->state == SV_RESETTING && s->expect_rfq == 0) {
			if (s->tx_status != 'I') {
				server_close(s, "reset left a transaction open");
				return;
			}
			pool_release(s);
			return;
		}
	}
}
