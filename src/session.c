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
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify.h"
#include "log.h"
#include "monitor.h"
#include "pgsteer.h"
#include "proto.h"
#include "route.h"
#include "stats.h"
#include "sticky.h"
#include "tenant.h"

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
static bool statement_begin(struct client *c, uint8_t type, uint32_t len);
static bool message_text(struct evbuffer *in, size_t off, uint8_t type, uint32_t len,
			 const char **sql, size_t *sqllen);
static void start_lsn_probe(struct client *c, struct server *s);
static void keep_for_replay(struct client *c, struct evbuffer *in, size_t n);
static void forget_replay(struct client *c);
static void park(struct client *c, struct server *s, bool replica);
static struct server *unpark(struct client *c, int slot);
static bool reuse_parked(struct client *c, struct pool **pool, const struct cluster_snapshot *snap,
			 uint64_t required_lsn);

/* What the relay does with a Query/Parse it had to look at. */
enum inspect_verdict {
	INSPECT_FORWARD,	/* relay it */
	INSPECT_WAIT,		/* not complete yet: stop here until more arrives */
	INSPECT_HOLD,		/* must not go to this server: keep it until release */
	INSPECT_ANSWERED,	/* a control, answered by pgsteer */
	INSPECT_REWRITTEN,	/* a write on a replica, replaced by a refusal */
};
static bool must_inspect(struct client *c, struct server *s, struct evbuffer *in, size_t off,
			 uint8_t type, uint32_t len);
static enum inspect_verdict inspect_statement(struct client *c, struct server *s,
					      struct evbuffer *in, size_t off, uint8_t type,
					      uint32_t len);
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
	/* The start of a transaction (or of a statement on its own): route it. */
	if (!statement_begin(c, type, len))
		return;
	c->state = CL_WAITING;
	c->state_since_ms = now_ms();
	pool_acquire(c->target_pool, c);
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

void session_reroute(struct client *c)
{
	log_info("C-%llu %s@%s: replica %s unreachable: routing the statement again",
		 (unsigned long long)c->id, c->user, c->database,
		 c->target_pool ? c->target_pool->node_name : "?");
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
		c->state = CL_IDLE;
		c->state_since_ms = now_ms();
		if (rt.cfg->pool_mode == POOL_MODE_SESSION) {
			park(c, s, false);	/* the session keeps its primary connection */
		} else {
			unlink_pair(c, s);
			pool_release(s);
		}
		conn_read_enable(&c->rd);
		session_client_input(c);
		return;
	}
	log_debug("C-%llu %s@%s: linked to S-%llu node %s pid %d", (unsigned long long)c->id, c->user,
		  c->database, (unsigned long long)s->id, s->pool->node_name, s->backend_pid);
	c->state = CL_ACTIVE;
	c->state_since_ms = now_ms();
	forget_replay(c);
	c->replay_ok = c->on_replica && !c->route.in_transaction;
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

	if (c->lsn_probe) {
		c->lsn_probe->probe_client = NULL;
		c->lsn_probe = NULL;
	}
	for (int i = 0; i < 2; i++)
		if (c->parked[i])
			server_reset_or_release(unpark(c, i));
	if (!s)
		return;
	unlink_pair(c, s);
	if (!server_is_clean(s)) {
		server_close(s, "client disconnected while the server was busy");
		return;
	}
	server_reset_or_release(s);
}

/*
 * The server died under C: only C is affected.  Outside a transaction the
 * statement in flight fails with an ERROR and the client stays connected
 * (its next statement gets another server); inside one, the transaction
 * is gone and so is the session, as when PostgreSQL itself goes away.
 */
void session_server_gone(struct server *s, const char *reason)
{
	struct client *c = s->client;
	struct evbuffer *out;
	int owed = s->expect_rfq;
	bool open = s->batch_open;

	if (!c)
		return;
	unlink_pair(c, s);
	if (c->on_replica) {
		/* the replica is probably gone: keep reads away until the monitor knows */
		struct list *it, *tmp;
		s->pool->suspect_until_ms = now_ms() + 1000;
		list_for_each_safe(it, tmp, &s->pool->idle)
			server_close(container_of(it, struct server, head), "a sibling connection died");
	}
	if (c->replay_ok && c->replay_len > 0 &&
	    !c->route.in_transaction && rt.cfg->pool_mode == POOL_MODE_TRANSACTION) {
		/* nothing came back: send the statement again, elsewhere */
		struct evbuffer *in = bufferevent_get_input(c->bev);
		log_info("C-%llu %s@%s: replica %s lost before answering: routing the statement again",
			 (unsigned long long)c->id, c->user, c->database, s->pool->node_name);
		evbuffer_prepend(in, c->replay, c->replay_len);
		forget_replay(c);
		c->pkt_remain = 0;
		c->state = CL_IDLE;
		c->state_since_ms = now_ms();
		conn_read_enable(&c->rd);
		session_client_input(c);
		return;
	}
	forget_replay(c);
	if (c->route.in_transaction || c->tx_status != 'I' || rt.cfg->pool_mode == POOL_MODE_SESSION) {
		client_fail(c, "FATAL", "08006", "server connection to node %s closed: %s",
			    s->pool->node_name, reason);
		return;
	}
	log_info("C-%llu %s@%s: server S-%llu node %s lost mid-statement: %s", (unsigned long long)c->id,
		 c->user, c->database, (unsigned long long)s->id, s->pool->node_name, reason);
	out = bufferevent_get_output(c->bev);
	if (owed > 0 || open) {
		char msg[300];
		snprintf(msg, sizeof(msg), "server connection to node %s closed: %s; the statement may "
			 "not have completed", s->pool->node_name, reason);
		proto_add_error(out, "ERROR", "08006", msg, NULL);
	}
	for (int i = 0; i < owed; i++)
		proto_add_ready(out, 'I');
	c->want_lsn = false;
	c->state = CL_IDLE;
	c->state_since_ms = now_ms();
	c->route.txn_on_replica = false;
	/* what the client has not finished sending belongs to the failed statement */
	if (open) {
		c->discard = DISCARD_TO_SYNC;
		c->discard_last = false;
	} else if (c->pkt_remain) {
		c->discard = DISCARD_REST;
	}
	conn_read_enable(&c->rd);
	session_client_input(c);
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
			if (c->discard == DISCARD_REST) {
				c->discard = DISCARD_NONE;
				return true;
			}
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

/* Uniform double in [0,1) from the runtime's xorshift generator. */
static double random01(void)
{
	uint64_t x = rt.rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rt.rng = x;
	return (double)(x >> 11) * (1.0 / 9007199254740992.0);
}

/*
 * The SQL text of a complete Query or Parse message at OFF in IN.  Pulls
 * the message up into one chain (a no-op for the usual small message).
 */
static bool message_text(struct evbuffer *in, size_t off, uint8_t type, uint32_t len,
			 const char **sql, size_t *sqllen)
{
	size_t blen = len - 4;
	const char *body;

	if (evbuffer_get_length(in) < off + 1 + len)
		return false;
	if (off == 0) {
		body = (const char *)evbuffer_pullup(in, 1 + (ev_ssize_t)len);
	} else {
		struct evbuffer_ptr p;
		struct evbuffer_iovec v;
		evbuffer_ptr_set(in, &p, off, EVBUFFER_PTR_SET);
		/* only when the whole message sits in one chain; else pull everything up */
		if (evbuffer_peek(in, 1 + (ev_ssize_t)len, &p, &v, 1) == 1 && v.iov_len >= 1 + (size_t)len)
			body = v.iov_base;
		else
			body = (const char *)evbuffer_pullup(in, (ev_ssize_t)(off + 1 + len)) + off;
	}
	if (!body)
		return false;
	body += PROTO_HEADER_LEN;
	if (type == 'P') {
		size_t nl = strnlen(body, blen);
		if (nl >= blen)
			return false;
		body += nl + 1;
		blen -= nl + 1;
	}
	*sql = body;
	*sqllen = strnlen(body, blen);
	return true;
}

static void classify_message(struct evbuffer *in, size_t off, uint8_t type, uint32_t len,
			     struct classify_result *res)
{
	const char *sql;
	size_t sqllen;

	if ((type == 'Q' || type == 'P') && message_text(in, off, type, len, &sql, &sqllen)) {
		classify_sql(sql, sqllen, rt.knowledge, res);
		return;
	}
	memset(res, 0, sizeof(*res));
	if (type == 'F') {
		res->cls = CLASS_WRITE;	/* fastpath function call: lo_* and friends write */
		snprintf(res->reason, sizeof(res->reason), "fastpath function call");
		return;
	}
	res->cls = CLASS_AMBIGUOUS;
	snprintf(res->reason, sizeof(res->reason), "protocol message '%c' without statement text", type);
}

/*
 * An extended-protocol batch is routed as a whole: the strongest class of
 * the Parse messages already received up to Sync decides.
 */
static void classify_batch_rest(struct evbuffer *in, uint32_t first_len, struct classify_result *res)
{
	size_t off = 1 + (size_t)first_len;
	uint8_t type;
	uint32_t len;
	struct classify_result next;

	while (proto_peek_header(in, off, &type, &len) && type != 'S' && type != 'H' && len >= 4) {
		if (type == 'P') {
			if (evbuffer_get_length(in) < off + 1 + len)
				break;
			classify_message(in, off, type, len, &next);
			if (next.cls == CLASS_WRITE && res->cls != CLASS_WRITE) {
				*res = next;
			} else if (next.cls != CLASS_READ && res->cls == CLASS_READ) {
				res->cls = CLASS_AMBIGUOUS;
				snprintf(res->reason, sizeof(res->reason), "batch also holds: %.100s", next.reason);
			}
		}
		off += 1 + (size_t)len;
	}
}

/*
 * Has the extended-protocol batch at the head of IN reached its Sync or
 * Flush?  PostgreSQL sends no results before one of them, so a client
 * cannot be waiting for us before it arrives; routing the whole batch at
 * once keeps a write behind a read off the replica.  Past
 * BATCH_ROUTE_LIMIT bytes we route with what we have.
 */
#define BATCH_ROUTE_LIMIT (1024 * 1024)
static bool batch_complete(struct evbuffer *in)
{
	size_t off = 0, avail = evbuffer_get_length(in);
	uint8_t type;
	uint32_t len;

	while (proto_peek_header(in, off, &type, &len) && len >= 4) {
		if (type == 'S' || type == 'H')
			return off + 1 + len <= avail;
		off += 1 + (size_t)len;
	}
	return avail >= BATCH_ROUTE_LIMIT;
}

/* Does the cluster have a node that could ever serve reads besides the primary? */
static bool cluster_has_replicas(int cluster)
{
	return cluster >= 0 && cluster < rt.cfg->n_clusters && rt.cfg->clusters[cluster].n_nodes > 1;
}

/*
 * Route the statement at the head of C's input.  Returns true when
 * c->target_pool is set and a server should be acquired; false when the
 * statement was answered here, refused, or is not complete yet.
 */
static bool statement_begin(struct client *c, uint8_t type, uint32_t len)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const struct cluster_snapshot *snap;
	struct classify_result res;
	struct route_decision d;
	struct pool *pool;

	/*
	 * Tenancy hook (tenant.c): a tenant being moved holds its new
	 * transactions here until the move ends; between transactions the
	 * session follows its tenant's placement (c->cluster may change).
	 */
	if (c->tenant && !tenant_statement_gate(c))
		return false;
	if ((type == 'Q' || type == 'P') && evbuffer_get_length(in) < 1 + (size_t)len)
		return false;	/* classify whole statements only */
	if (type != 'Q' && type != 'F' && !batch_complete(in))
		return false;	/* route an extended batch once its Sync/Flush is here */
	classify_message(in, 0, type, len, &res);
	if (type == 'P')
		classify_batch_rest(in, len, &res);
	/* unlinked under transaction pooling: no transaction can be open */
	c->route.in_transaction = false;
	c->route.txn_on_replica = false;
	c->route.txn_node = -1;
	/*
	 * Until session state (SET, PREPARE ...) is replayed on other servers,
	 * a session-mode client that changes it stays with its primary.
	 */
	if (res.pins_session || (rt.cfg->pool_mode == POOL_MODE_SESSION &&
				 (res.changes_session || res.cls == CLASS_SESSION)))
		c->pinned = true;
	struct route_session rs = c->route;
	if (c->sticky_key && rt.cfg->read_your_writes == RYW_LSN) {
		/* sessions sharing the key share the highest position any of them wrote */
		uint64_t lsn = sticky_lookup(rt.sticky, c->sticky_key, now_ms(), rt.cfg->sticky_ttl_ms);
		if (lsn > rs.required_lsn)
			rs.required_lsn = lsn;
	}
	if (c->pinned) {
		/* state that lives in one backend (LISTEN, temp tables): primary only */
		rs.use_primary = true;
		rs.use_replicas_for_reads = false;
	}
	snap = monitor_snapshot_get(rt.monitor);
	route_decide(&res, &rs, snap, c->cluster, &rt.route_cfg, random01(), &d);

	if (d.read_fallback)
		stats.read_fallback[stats_fallback_from_reason(d.fallback_reason)]++;
	switch (d.target) {
	case ROUTE_LOCAL: {
		size_t before = evbuffer_get_length(in);
		monitor_snapshot_put(snap);
		stats.queries[res.cls][STATS_LOCAL]++;
		control_answer(c, &res, type);
		/* answered: go on with whatever the client sent next */
		if (evbuffer_get_length(in) != before && evbuffer_get_length(in) > 0 && c->state == CL_IDLE)
			session_client_input(c);
		return false;
	}
	case ROUTE_REFUSE:
		monitor_snapshot_put(snap);
		stats.queries[res.cls][STATS_REFUSED]++;
		session_refuse(c, d.sqlstate ? d.sqlstate : "08006", "%s", d.reason);
		return false;
	case ROUTE_STAY:	/* cannot happen unlinked (in_transaction is false above) */
	case ROUTE_PRIMARY:
	case ROUTE_REPLICA:
		break;
	}
	pool = pool_for_node(c, d.node);
	if (!pool) {
		monitor_snapshot_put(snap);
		stats.queries[res.cls][STATS_REFUSED]++;
		session_refuse(c, "57P03", "no server available for cluster %s: %s",
			       rt.cfg->clusters[c->cluster].name, d.reason);
		return false;
	}
	if (d.target == ROUTE_REPLICA && pool_recently_failed(pool, now_ms())) {
		/* the monitor has not caught up yet: do not queue reads on a dead replica */
		int primary = snap->primary[c->cluster];
		struct pool *pp = primary >= 0 ? pool_for_node(c, primary) : NULL;
		if (!pp) {
			monitor_snapshot_put(snap);
			stats.queries[res.cls][STATS_REFUSED]++;
			session_refuse(c, "57P03", "replica %s unreachable (%s) and no primary known",
				       pool->node_name, pool->last_login_error);
			return false;
		}
		snprintf(d.reason, sizeof(d.reason), "replica %s unreachable: primary %s",
			 pool->node_name, pp->node_name);
		stats.read_fallback[FALLBACK_NO_REPLICA]++;
		d.target = ROUTE_PRIMARY;
		d.node = primary;
		pool = pp;
	}
	c->target_pool = pool;
	c->on_replica = d.target == ROUTE_REPLICA;
	stats.queries[res.cls][c->on_replica ? STATS_REPLICA : STATS_PRIMARY]++;
	if (pool->node_index < STATS_MAX_NODES) {
		stats.nodes[pool->node_index].queries++;
		if (res.cls == CLASS_READ)
			stats.nodes[pool->node_index].reads++;
	}
	snprintf(c->last_route, sizeof(c->last_route), "%s:%s",
		 c->on_replica ? "replica" : "primary", pool->node_name);
	if (res.cls == CLASS_TRANSACTION && res.txn == TXN_BEGIN) {
		c->route.in_transaction = true;
		c->route.txn_on_replica = c->on_replica;
		c->route.txn_node = d.node;
	}
	if (!c->on_replica && (d.makes_sticky || res.cls == CLASS_WRITE || res.multi_statement) &&
	    rt.cfg->read_your_writes == RYW_LSN && cluster_has_replicas(c->cluster))
		c->want_lsn = true;
	if (d.marks_written)
		c->route.has_written = true;
	if (log_enabled(LOG_LVL_DEBUG))
		log_debug("C-%llu %s %s@%s: %s -> %s (%s: %s)", (unsigned long long)c->id, c->addr,
			  c->user, c->database, classify_class_name(res.cls), c->last_route, d.reason,
			  res.reason);
	if (rt.cfg->pool_mode == POOL_MODE_SESSION && reuse_parked(c, &pool, snap, rs.required_lsn)) {
		monitor_snapshot_put(snap);
		return false;	/* linked to the connection the session holds */
	}
	monitor_snapshot_put(snap);
	return true;
}

/* Session mode: keep S for C between statements instead of returning it. */
static void park(struct client *c, struct server *s, bool replica)
{
	unlink_pair(c, s);
	if (c->parked[replica]) {
		/* already holding one of this kind (e.g. after an LSN probe): keep one */
		server_reset_or_release(s);
		return;
	}
	c->parked[replica] = s;
	s->parked_for = c;
}

static struct server *unpark(struct client *c, int slot)
{
	struct server *s = c->parked[slot];
	c->parked[slot] = NULL;
	s->parked_for = NULL;
	return s;
}

/*
 * Session mode: reuse the connection the client holds for this kind of
 * target.  A held replica is kept while it stays eligible, even if the
 * weighted pick chose another; a held connection to another node (the
 * primary moved) goes back to its pool.  Returns true when C was linked.
 */
static bool reuse_parked(struct client *c, struct pool **pool, const struct cluster_snapshot *snap,
			 uint64_t required_lsn)
{
	int slot = c->on_replica ? 1 : 0;
	struct server *p = c->parked[slot];
	char why[128];

	if (!p && slot == 0 && c->lsn_probe && c->lsn_probe->pool == *pool) {
		/* our primary connection is fetching the last write's position: wait for it */
		c->wait_probe = true;
		c->state = CL_WAITING;
		c->state_since_ms = now_ms();
		conn_read_disable(&c->rd);
		return true;
	}
	if (!p)
		return false;
	if (p->pool != *pool) {
		if (slot == 1 && route_replica_eligible(snap, p->pool->node_index, c->cluster,
							&rt.route_cfg, required_lsn, why, sizeof(why))) {
			*pool = p->pool;
		} else {
			server_reset_or_release(unpark(c, slot));
			return false;
		}
	}
	snprintf(c->last_route, sizeof(c->last_route), "%s:%s", slot ? "replica" : "primary",
		 (*pool)->node_name);
	c->target_pool = *pool;
	session_server_assigned(c, unpark(c, slot));
	return true;
}

/*
 * C's write committed on S (the primary): ask S for the WAL insert
 * position, then release S.  Until the answer arrives the session needs
 * an LSN no replica can have, so its reads stay on the primary.
 */
static void start_lsn_probe(struct client *c, struct server *s)
{
	unlink_pair(c, s);
	c->route.required_lsn = UINT64_MAX;
	if (c->lsn_probe)
		c->lsn_probe->probe_client = NULL;	/* an older probe: its answer is stale */
	c->lsn_probe = s;
	s->probe_client = c;
	snprintf(s->probe_key, sizeof(s->probe_key), "%s", c->sticky_key ? c->sticky_key : "");
	if (s->probe_key[0])
		sticky_pending(rt.sticky, s->probe_key, now_ms());
	s->state = SV_LSN_PROBE;
	s->state_since_ms = now_ms();
	proto_add_query(bufferevent_get_output(s->bev), "SELECT pg_catalog.pg_current_wal_insert_lsn()");
	s->expect_rfq = 1;
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

/* Could the message at OFF be a pgsteer control?  A cheap look at its first bytes. */
static bool mentions_pgsteer(struct evbuffer *in, size_t off, uint32_t len)
{
	char buf[192];
	struct evbuffer_ptr p;
	size_t avail = evbuffer_get_length(in) - off - PROTO_HEADER_LEN;
	size_t n = len - 4 < sizeof(buf) ? len - 4 : sizeof(buf);

	if (avail < n)
		n = avail;
	evbuffer_ptr_set(in, &p, off + PROTO_HEADER_LEN, EVBUFFER_PTR_SET);
	if (evbuffer_copyout_from(in, &p, buf, n) != (ev_ssize_t)n)
		return false;
	for (size_t i = 0; i + 8 <= n; i++)
		if (strncasecmp(buf + i, "pgsteer.", 8) == 0)
			return true;
	return false;
}

/* Which statements the relay must classify before forwarding. */
static bool must_inspect(struct client *c, struct server *s, struct evbuffer *in, size_t off,
			 uint8_t type, uint32_t len)
{
	if (c->on_replica)
		return true;	/* nothing but reads may reach a replica */
	if (!c->want_lsn && rt.cfg->read_your_writes == RYW_LSN && cluster_has_replicas(c->cluster))
		return true;	/* a write here makes the session sticky */
	return type == 'Q' && s->expect_rfq == 0 && !s->batch_open && mentions_pgsteer(in, off, len);
}

/* Escape TEXT for a single-quoted literal inside a $pgsteer$ body. */
static void sql_escape(char *dst, size_t dstlen, const char *text)
{
	size_t j = 0;
	for (size_t i = 0; text[i] && j + 3 < dstlen; i++) {
		if (text[i] == '$')
			continue;
		if (text[i] == '\'')
			dst[j++] = '\'';
		dst[j++] = text[i];
	}
	dst[j] = '\0';
}

/*
 * Replace a write on a replica by a statement that fails with 25006 on the
 * server itself: the server's transaction aborts exactly as PostgreSQL
 * would abort it, and the write's text never leaves pgsteer.
 */
static void send_refusal(struct client *c, struct server *s, struct evbuffer *in, size_t off,
			 uint8_t type, uint32_t len, const struct classify_result *res)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	char msg[400], esc[820], sql[1000], name[NAME_LEN] = "";
	uint8_t hdr[5];

	forget_replay(c);
	if (off)
		relay_move(in, s->bev, s->tls, off);
	if (type == 'P') {
		char buf[NAME_LEN + 5 + 1] = { 0 };
		size_t n = len - 4 < NAME_LEN ? len - 4 : NAME_LEN;
		evbuffer_copyout(in, buf, PROTO_HEADER_LEN + n);
		snprintf(name, sizeof(name), "%.*s", (int)strnlen(buf + 5, n), buf + 5);
	}
	evbuffer_drain(in, 1 + (size_t)len);
	snprintf(msg, sizeof(msg), "cannot execute a write in a read-only transaction routed to replica %s (%s)",
		 s->pool->node_name, res->reason);
	sql_escape(esc, sizeof(esc), msg);
	snprintf(sql, sizeof(sql), "DO $pgsteer$BEGIN RAISE EXCEPTION USING ERRCODE = '25006', "
		 "MESSAGE = '%s'; END$pgsteer$", esc);
	log_info("C-%llu %s@%s: write refused on replica %s: %s", (unsigned long long)c->id, c->user,
		 c->database, s->pool->node_name, res->reason);
	if (type == 'Q') {
		proto_add_query(out, sql);
		s->expect_rfq++;
		return;
	}
	hdr[0] = 'P';
	proto_put_u32(hdr + 1, (uint32_t)(4 + strlen(name) + 1 + strlen(sql) + 1 + 2));
	evbuffer_add(out, hdr, 5);
	evbuffer_add(out, name, strlen(name) + 1);
	evbuffer_add(out, sql, strlen(sql) + 1);
	evbuffer_add(out, "\0\0", 2);
	s->batch_open = true;
}

static enum inspect_verdict inspect_statement(struct client *c, struct server *s,
					      struct evbuffer *in, size_t off, uint8_t type,
					      uint32_t len)
{
	struct classify_result res;
	bool readish;

	if (evbuffer_get_length(in) < off + 1 + (size_t)len) {
		if (c->on_replica || len < 64 * 1024)
			return INSPECT_WAIT;
		/* a huge statement on the primary: stream it, assume it writes */
		c->want_lsn = rt.cfg->read_your_writes == RYW_LSN;
		return INSPECT_FORWARD;
	}
	classify_message(in, off, type, len, &res);
	if (res.cls == CLASS_CONTROL && type == 'Q' && s->expect_rfq == 0 && !s->batch_open) {
		forget_replay(c);	/* its bytes no longer match what the server got */
		if (off)
			relay_move(in, s->bev, s->tls, off);
		control_answer(c, &res, 'Q');
		return INSPECT_ANSWERED;
	}
	if (res.cls == CLASS_TRANSACTION && res.txn == TXN_BEGIN) {
		c->route.in_transaction = true;
		c->route.txn_on_replica = c->on_replica;
	}
	if (res.pins_session || (rt.cfg->pool_mode == POOL_MODE_SESSION &&
				 (res.changes_session || res.cls == CLASS_SESSION)))
		c->pinned = true;
	if (!c->on_replica) {
		if (res.cls == CLASS_WRITE)
			c->route.has_written = c->route.txn_wrote = true;
		if ((res.cls == CLASS_WRITE || res.cls == CLASS_AMBIGUOUS || res.multi_statement) &&
		    rt.cfg->read_your_writes == RYW_LSN && cluster_has_replicas(c->cluster))
			c->want_lsn = true;
		return INSPECT_FORWARD;
	}
	/* on a replica */
	if (c->route.in_transaction) {
		if (res.cls != CLASS_WRITE)
			return INSPECT_FORWARD;
		if (s->expect_rfq == 0 && !s->batch_open) {
			/*
			 * Nothing pending on the server: refuse here.  The write never
			 * leaves pgsteer and the transaction stays open for more reads.
			 */
			char msg[300];
			forget_replay(c);
			if (off)
				relay_move(in, s->bev, s->tls, off);
			snprintf(msg, sizeof(msg), "cannot execute a write in a read-only transaction "
				 "routed to replica %s (%.100s)", s->pool->node_name, res.reason);
			log_info("C-%llu %s@%s: write refused on replica %s: %s", (unsigned long long)c->id,
				 c->user, c->database, s->pool->node_name, res.reason);
			stats.queries[res.cls][STATS_REFUSED]++;
			proto_add_error(bufferevent_get_output(c->bev), "ERROR", "25006", msg,
					"The transaction is still open: go on reading, or ROLLBACK and "
					"run the write outside it.");
			c->discard = type == 'Q' ? DISCARD_ONE : DISCARD_TO_SYNC;
			return INSPECT_ANSWERED;
		}
		/* behind pipelined statements: let the server refuse it in order */
		send_refusal(c, s, in, off, type, len, &res);
		return INSPECT_REWRITTEN;
	}
	readish = res.hint != HINT_PRIMARY &&
		  (res.cls == CLASS_READ ||
		   (res.cls == CLASS_AMBIGUOUS &&
		    (res.hint == HINT_REPLICA ||
		     (c->route.fallback_ambiguous && !c->route.has_written && !c->route.use_primary))));
	if (readish)
		return INSPECT_FORWARD;
	if (s->batch_open && type == 'P') {
		send_refusal(c, s, in, off, type, len, &res);
		return INSPECT_REWRITTEN;
	}
	return INSPECT_HOLD;
}

/*
 * A read sent to a replica outside a transaction can be sent again
 * elsewhere if that replica dies before answering: keep a copy of its
 * bytes until the first byte of the answer comes back (bounded).
 */
#define REPLAY_LIMIT (256 * 1024)
static void keep_for_replay(struct client *c, struct evbuffer *in, size_t n)
{
	size_t need = c->replay_len + n;

	if (need > REPLAY_LIMIT) {
		forget_replay(c);
		return;
	}
	if (need > c->replay_cap) {
		size_t cap = c->replay_cap ? c->replay_cap : 512;
		char *p;
		while (cap < need)
			cap *= 2;
		p = realloc(c->replay, cap);
		if (!p) {
			forget_replay(c);
			return;
		}
		c->replay = p;
		c->replay_cap = (uint32_t)cap;
	}
	/* the first N bytes of IN are what is about to be relayed */
	evbuffer_copyout(in, c->replay + c->replay_len, n);
	c->replay_len = (uint32_t)need;
}

static void forget_replay(struct client *c)
{
	c->replay_ok = false;
	c->replay_len = 0;
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
	if (c->discard != DISCARD_NONE) {
		if (!discard_input(c))
			return;
		avail = evbuffer_get_length(in);
		if (avail == 0)
			return;
	}
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
		if ((type == 'Q' || type == 'P') && must_inspect(c, s, in, off, type, len)) {
			enum inspect_verdict v = inspect_statement(c, s, in, off, type, len);
			if (v == INSPECT_WAIT || v == INSPECT_HOLD)
				break;
			if (v == INSPECT_ANSWERED || v == INSPECT_REWRITTEN) {
				/* input before OFF was forwarded, the statement consumed: rescan */
				if (c->state != CL_ACTIVE || c->server != s)
					return;
				if (c->discard != DISCARD_NONE && !discard_input(c))
					return;
				avail = evbuffer_get_length(in);
				off = 0;
				continue;
			}
		}
		switch (type) {
		case 'X':
			if (off)
				relay_move(in, s->bev, s->tls, off);
			evbuffer_drain(in, PROTO_HEADER_LEN);
			client_close(c, "client sent Terminate");
			return;
		case 'F':
			/* fastpath calls (lo_*) may write; never to a replica */
			if (c->on_replica) {
				if (off)
					relay_move(in, s->bev, s->tls, off);
				client_fail(c, "FATAL", "25006", "function calls are not allowed on a replica connection");
				return;
			}
			if (rt.cfg->read_your_writes == RYW_LSN && cluster_has_replicas(c->cluster))
				c->want_lsn = true;
			/* fall through */
		case 'Q':
			if (s->expect_rfq++ == 0)
				s->query_start_us = now_us();
			break;
		case 'S':
			if (s->expect_rfq++ == 0)
				s->query_start_us = now_us();
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
	if (off) {
		stats.bytes_from_clients += off;
		if (s->pool->node_index < STATS_MAX_NODES)
			stats.nodes[s->pool->node_index].bytes_to_server += off;
		if (c->replay_ok)
			keep_for_replay(c, in, off);
		relay_move(in, s->bev, s->tls, off);
	}
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
	bool answered = false;	/* a reply, not just a notice, went to the client */

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
		if (type != 'N' && type != 'S' && type != 'A')
			answered = true;
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
			if (s->expect_rfq == 0)
				stats_observe_query(s->pool->node_index, (uint64_t)(now_us() - s->query_start_us));
			c->route.in_transaction = s->tx_status != 'I';
			if (s->tx_status == 'I')
				c->route.txn_on_replica = false;
			if (s->tx_status == 'I' && server_is_clean(s) && c->pkt_remain == 0) {
				forget_replay(c);
				stats.bytes_to_clients += off;
				if (s->pool->node_index < STATS_MAX_NODES)
					stats.nodes[s->pool->node_index].bytes_from_server += off;
				relay_move(in, c->bev, c->tls, off);
				c->state = CL_IDLE;
				c->state_since_ms = c->last_activity_ms = now_ms();
				if (c->want_lsn && !c->on_replica) {
					c->want_lsn = false;
					start_lsn_probe(c, s);
				} else if (rt.cfg->pool_mode == POOL_MODE_SESSION) {
					park(c, s, c->on_replica);
				} else {
					unlink_pair(c, s);
					pool_release(s);
				}
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
	if (off) {
		stats.bytes_to_clients += off;
		if (s->pool->node_index < STATS_MAX_NODES)
			stats.nodes[s->pool->node_index].bytes_from_server += off;
		if (answered)
			forget_replay(c);
		relay_move(in, c->bev, c->tls, off);
	}
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
			    s->state == SV_RESETTING || s->state == SV_LSN_PROBE) {
				evbuffer_drain(in, 1 + (size_t)len);
				server_close(s, "error while idle or resetting");
				return;
			}
			break;
		}
		case 'D':
			if (s->state == SV_LSN_PROBE && s->probe_client && len > 10) {
				/* int16 ncols, int32 len, text */
				uint32_t vlen = proto_get_u32(msg + 7);
				char lsn[32];
				uint64_t v;
				if (vlen < sizeof(lsn) && 11 + vlen <= 1 + len) {
					memcpy(lsn, msg + 11, vlen);
					lsn[vlen] = '\0';
					if (monitor_parse_lsn(lsn, &v)) {
						s->probe_client->route.required_lsn = v;
						if (s->probe_key[0]) {
							sticky_done(rt.sticky, s->probe_key, v, now_ms());
							s->probe_key[0] = '\0';
						}
						log_debug("C-%llu: read-your-writes: replicas must replay %s",
							  (unsigned long long)s->probe_client->id, lsn);
					}
				}
			}
			break;
		case 'S': {
			const char *name = (const char *)msg + PROTO_HEADER_LEN;
			size_t blen = len - 4;
			size_t nl = strnlen(name, blen);
			if (nl + 1 < blen && msg[len] == '\0')
				param_set_update(&s->params, name, name + nl + 1);
			break;
		}
		case 'A':
		case 'N':
			/* session mode: LISTEN/NOTICE output of an idle session reaches it */
			if (s->parked_for && s->parked_for->state == CL_IDLE && s->parked_for->bev)
				evbuffer_add(bufferevent_get_output(s->parked_for->bev), msg, 1 + (size_t)len);
			break;
		default:
			break;	/* command results of the reset or probe */
		}
		evbuffer_drain(in, 1 + (size_t)len);
		if (s->state == SV_LSN_PROBE && s->expect_rfq == 0) {
			struct client *pc = s->probe_client;
			if (s->probe_key[0]) {
				sticky_done(rt.sticky, s->probe_key, 0, now_ms());	/* no answer */
				s->probe_key[0] = '\0';
			}
			if (pc) {
				pc->lsn_probe = NULL;
				s->probe_client = NULL;
			}
			if (pc && rt.cfg->pool_mode == POOL_MODE_SESSION && !pc->parked[0]) {
				s->state = SV_ACTIVE;
				pc->parked[0] = s;	/* back to its session */
				s->parked_for = pc;
				if (pc->wait_probe) {
					pc->wait_probe = false;
					pc->state = CL_IDLE;
					conn_read_enable(&pc->rd);
					session_client_input(pc);
				}
				return;
			}
			pool_release(s);
			return;
		}
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
