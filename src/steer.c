/*
 * Steering: where a statement goes.  The relay (relay.c) moves bytes;
 * this file decides, for the statement at the head of a client's input,
 * which server gets it (steer_statement(): classify, route, pick the
 * pool), and looks again at statements met while a link is open
 * (steer_inspect(): controls answered here, writes refused on a replica,
 * session changes noted).  It reads message headers and statement text,
 * never a reply.  An extended-protocol batch is routed as a whole: the
 * strongest class of its Parse messages (and Binds of named statements)
 * up to Sync.
 *
 * Tenancy reaches the data plane through the three steer_*_tenant/cluster
 * functions at the end, and through nothing else.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify.h"
#include "client.h"
#include "control.h"
#include "log.h"
#include "monitor.h"
#include "pgsteer.h"
#include "pool.h"
#include "proto.h"
#include "relay.h"
#include "route.h"
#include "carry.h"
#include "stats.h"
#include "steer.h"
#include "sticky.h"
#include "worker.h"

/* Where a batch's Parse and Bind messages are, from batch_complete_at()'s walk. */
#define BATCH_MAP_MAX 8
struct batch_map {
	int n;			/* -1: not all of them recorded (walk again) */
	struct {
		size_t off;
		uint32_t len;
		uint8_t type;
	} msg[BATCH_MAP_MAX];
};

/*
 * The classification statement_begin() made of the message at the head
 * of a client's input, kept for the relay's look at the same message (one
 * slot per thread is enough; any mismatch classifies again).
 */
static _Thread_local struct {
	const struct client *client;
	uint64_t client_id;
	uint32_t len;
	uint8_t type;
	bool valid;
	struct classify_result res;
} begin_cache;

static bool batch_complete_at(struct evbuffer *in, size_t off, struct batch_map *map);
static void batch_class_add(struct client *c, struct evbuffer *in, size_t off, uint8_t type,
			    uint32_t len, struct classify_result **res, struct classify_result *own);

/* The cached classification is spent: the relay moved the statement it described. */
void steer_forget(void)
{
	begin_cache.valid = false;
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
bool steer_message_text(struct evbuffer *in, size_t off, uint8_t type, uint32_t len,
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

static void classify_message(struct client *c, struct evbuffer *in, size_t off, uint8_t type,
			     uint32_t len, struct classify_result *res)
{
	const char *sql;
	size_t sqllen;

	if ((type == 'Q' || type == 'P') && steer_message_text(in, off, type, len, &sql, &sqllen)) {
		/*
		 * A Parse's text comes again and again (its values travel in
		 * Bind); a simple Query's holds its values, so it is cached by
		 * its shape, the text without them.
		 */
		if (type == 'P')
			classify_sql_cached(sql, sqllen, rt.knowledge, res);
		else
			classify_query_cached(sql, sqllen, rt.knowledge, res);
		return;
	}
	if (type == 'B' && carry_bind_class(c, in, off, len, res))
		return;		/* a named statement: the class of its text */
	if (type == 'B' && off == 0 && carry_unnamed_class(c, in, len, res))
		return;		/* the unnamed statement parsed in an earlier batch */
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
 * the Parse messages (and Binds of named statements) up to Sync decides.
 */
static void classify_batch_rest(struct client *c, struct evbuffer *in, uint32_t first_len,
				const struct batch_map *map, struct classify_result **res,
				struct classify_result *own)
{
	size_t off = 1 + (size_t)first_len;
	uint8_t type;
	uint32_t len;

	if (map->n >= 0) {
		/* the walk that found the Sync recorded them, all complete; the first is classified */
		for (int i = 0; i < map->n; i++)
			if (map->msg[i].off != 0)
				batch_class_add(c, in, map->msg[i].off, map->msg[i].type, map->msg[i].len, res,
						own);
		return;
	}
	while (proto_peek_header(in, off, &type, &len) && type != 'S' && type != 'H' && len >= 4) {
		if (type == 'P' || type == 'B') {
			if (evbuffer_get_length(in) < off + 1 + len)
				break;
			batch_class_add(c, in, off, type, len, res, own);
		}
		off += 1 + (size_t)len;
	}
}

/*
 * Raise the batch's class *RES by the Parse or Bind at OFF.  *RES is the
 * first message's class until something raises it: then OWN, which *RES
 * points to from then on (the first message's stays as it was).
 */
static void batch_class_add(struct client *c, struct evbuffer *in, size_t off, uint8_t type,
			    uint32_t len, struct classify_result **res, struct classify_result *own)
{
	struct classify_result next;

	if (type == 'P')
		classify_message(c, in, off, type, len, &next);
	else if (!carry_bind_class(c, in, off, len, &next))
		return;		/* unnamed: its Parse was looked at */
	if (next.cls == CLASS_WRITE && (*res)->cls != CLASS_WRITE) {
		*own = next;
		*res = own;
	} else if (next.cls != CLASS_READ && (*res)->cls == CLASS_READ) {
		if (*res != own) {
			*own = **res;
			*res = own;
		}
		own->cls = CLASS_AMBIGUOUS;
		snprintf(own->reason, sizeof(own->reason), "batch also holds: %.100s", next.reason);
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
static bool batch_complete(struct evbuffer *in, struct batch_map *map)
{
	return batch_complete_at(in, 0, map);
}

/* The same, for the batch starting at OFF; MAP (may be NULL) learns its Parse and Bind messages. */
static bool batch_complete_at(struct evbuffer *in, size_t off, struct batch_map *map)
{
	struct proto_window w;
	size_t start = off, avail = proto_window_load(&w, in);
	uint8_t type, tmp[PROTO_HEADER_LEN];
	uint32_t len;
	const uint8_t *hdr;

	if (map)
		map->n = 0;
	while ((hdr = proto_window_bytes(&w, in, off, PROTO_HEADER_LEN, tmp)) &&
	       (len = proto_get_u32(hdr + 1)) >= 4) {
		type = hdr[0];
		if (type == 'S' || type == 'H')
			return off + 1 + len <= avail;
		if (map && (type == 'P' || type == 'B') && map->n >= 0) {
			if (map->n == BATCH_MAP_MAX) {
				map->n = -1;
			} else {
				map->msg[map->n].off = off;
				map->msg[map->n].len = len;
				map->msg[map->n++].type = type;
			}
		}
		off += 1 + (size_t)len;
	}
	if (map)
		map->n = -1;	/* routed without its Sync: what follows is not known */
	return avail - start >= BATCH_ROUTE_LIMIT;
}

/* Does the cluster have a node that could ever serve reads besides the primary? */
bool steer_cluster_has_replicas(int cluster)
{
	return cluster >= 0 && cluster < rt.cfg->n_clusters && rt.cfg->clusters[cluster].n_nodes > 1;
}

/*
 * Route the statement at the head of C's input.  Returns true when
 * c->target_pool is set and a server should be acquired; false when the
 * statement was answered here, refused, or is not complete yet.
 */
bool steer_statement(struct client *c, uint8_t type, uint32_t len)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	const struct cluster_snapshot *snap;
	struct batch_map map;
	struct classify_result *res = &begin_cache.res, batch_res;	/* steer_inspect() takes it */
	struct route_decision d;
	struct pool *pool;

	begin_cache.valid = false;
	c->tenant_held = false;
	/*
	 * Tenancy hook (tenant.c): a tenant being moved holds its new
	 * transactions here until the move ends; between transactions the
	 * session follows its tenant's placement (c->cluster may change).
	 */
	if (c->tenant && !dataplane.tenant_statement_gate(c))
		return false;
	if ((type == 'Q' || type == 'P') && evbuffer_get_length(in) < 1 + (size_t)len)
		return false;	/* classify whole statements only */
	bool complete = type == 'Q' || type == 'F' || batch_complete(in, &map);
	if (!complete && ((type != 'P' && type != 'B') || evbuffer_get_length(in) < 1 + (size_t)len))
		return false;	/* route an extended batch once its Sync/Flush is here */
	classify_message(c, in, 0, type, len, res);
	if (!complete && res->cls != CLASS_WRITE)
		return false;
	/*
	 * A batch that starts with a write goes to the primary whatever
	 * follows: it is routed before its Sync, and its statements run as
	 * they arrive, as they would without pgsteer.  A driver streaming a
	 * large batch (executemany) gets a failed row's error, or a cancel's,
	 * while it is still sending, and stops there.
	 */
	begin_cache.client = c;
	begin_cache.client_id = c->id;
	begin_cache.len = len;
	begin_cache.type = type;
	if (type == 'P' || type == 'B')
		classify_batch_rest(c, in, len, &map, &res, &batch_res);
	/* unlinked under transaction pooling: no transaction can be open */
	c->route.in_transaction = false;
	c->route.txn_on_replica = false;
	c->route.txn_node = -1;
	/*
	 * State that lives in one backend pins the session to its connection
	 * (on the primary).  In session mode, a client that changes session
	 * state stays with its primary connection: its replica connection
	 * would not have it.
	 */
	if (res->pins_session)
		carry_pin(c, NULL, res->reason);
	else if (rt.cfg->pool_mode == POOL_MODE_SESSION && (res->changes_session || res->cls == CLASS_SESSION))
		carry_pin(c, NULL, "session state in session mode");
	struct route_session rs = c->route;
	const char *ryw_key = rt.cfg->read_your_writes == RYW_LSN ? client_ryw_key(c) : NULL;
	if (ryw_key) {
		/* sessions sharing the key share the highest position any of them wrote */
		shared_lock();
		uint64_t lsn = sticky_lookup(rt.sticky, ryw_key, now_ms(), rt.cfg->sticky_ttl_ms);
		shared_unlock();
		if (lsn > rs.required_lsn)
			rs.required_lsn = lsn;
	}
	if (rt.cfg->read_your_writes == RYW_LSN) {
		/* DDL committed through pgsteer: every session's reads wait for it */
		uint64_t lsn = relay_barrier_lsn(c->cluster);
		if (lsn > rs.required_lsn) {
			rs.required_lsn = lsn;
			rs.ddl_barrier = true;
		}
	}
	if (c->pinned) {
		/* state that lives in one backend (LISTEN, temp tables): its primary connection */
		rs.use_primary = true;
		rs.use_replicas_for_reads = false;
	}
	snap = monitor_snapshot_get(rt.monitor);
	/* the reason text only when the debug log will print it (a refusal always has it) */
	double pick = random01();
	bool verbose = log_enabled(LOG_LVL_DEBUG);
	const struct route_config *rc = &rt.route_cfg;
	struct route_config no_causal;
	if (c->causal_fallback || (c->lsn_async && rs.required_lsn != 0)) {
		/*
		 * Its replica did not replay in time: the primary, this once.  Or
		 * its write was committed without waiting for the WAL flush: no
		 * replica gets it before the WAL writer flushes it, so waiting on
		 * one would only time out.
		 */
		no_causal = rt.route_cfg;
		no_causal.causal_read_timeout_ms = 0;
		rc = &no_causal;
		c->causal_fallback = false;
	}
	if (verbose)
		route_decide(res, &rs, snap, c->cluster, rc, pick, &d);
	else
		route_decide_quiet(res, &rs, snap, c->cluster, rc, pick, &d);
	c->causal_lsn = d.target == ROUTE_REPLICA ? d.causal_lsn : 0;
	if (c->lsn_probe && !c->pinned && rt.cfg->pool_mode == POOL_MODE_TRANSACTION &&
	    ((d.target == ROUTE_PRIMARY && c->lsn_probe->pool->node_index == d.node) ||
	     (d.read_fallback && rs.required_lsn == UINT64_MAX && rc->causal_read_timeout_ms > 0))) {
		/*
		 * The connection of the session's last write is fetching the
		 * write's position: wait for it (one round trip).  A statement
		 * for the primary then takes that connection again, so that it
		 * runs on the backend of the write (currval(), a C module's
		 * state), as it does when no probe runs; a read may then go to
		 * a replica with a causal wait.
		 */
		monitor_snapshot_put(snap);
		relay_wait_for_probe(c);
		return false;
	}
	if (d.read_fallback)
		stats.read_fallback[stats_fallback_from_reason(d.fallback_reason)]++;
	switch (d.target) {
	case ROUTE_LOCAL: {
		size_t before = evbuffer_get_length(in);
		monitor_snapshot_put(snap);
		stats.queries[res->cls][STATS_LOCAL]++;
		control_answer(c, res, type);
		/* answered: go on with whatever the client sent next */
		if (evbuffer_get_length(in) != before && evbuffer_get_length(in) > 0 && c->state == CL_IDLE)
			relay_client_input(c);
		return false;
	}
	case ROUTE_REFUSE:
		monitor_snapshot_put(snap);
		stats.queries[res->cls][STATS_REFUSED]++;
		relay_refuse(c, d.sqlstate ? d.sqlstate : "08006", "%s", d.reason);
		return false;
	case ROUTE_STAY:	/* cannot happen unlinked (in_transaction is false above) */
	case ROUTE_PRIMARY:
	case ROUTE_REPLICA:
		break;
	}
	pool = pool_for_node(c, d.node);
	if (!pool) {
		if (!verbose)	/* the client's error names the reason */
			route_decide(res, &rs, snap, c->cluster, rc, pick, &d);
		monitor_snapshot_put(snap);
		stats.queries[res->cls][STATS_REFUSED]++;
		relay_refuse(c, "57P03", "no server available for cluster %s: %s",
			       rt.cfg->clusters[c->cluster].name, d.reason);
		return false;
	}
	if (d.target == ROUTE_REPLICA && pool_recently_failed(pool, now_ms())) {
		/* the monitor has not caught up yet: do not queue reads on a dead replica */
		int primary = snap->primary[c->cluster];
		struct pool *pp = primary >= 0 ? pool_for_node(c, primary) : NULL;
		if (!pp) {
			monitor_snapshot_put(snap);
			stats.queries[res->cls][STATS_REFUSED]++;
			relay_refuse(c, "57P03", "replica %s unreachable (%s) and no primary known",
				       pool->node_name, pool->last_login_error);
			return false;
		}
		if (verbose)
			snprintf(d.reason, sizeof(d.reason), "replica %s unreachable: primary %s",
				 pool->node_name, pp->node_name);
		stats.read_fallback[FALLBACK_NO_REPLICA]++;
		d.target = ROUTE_PRIMARY;
		d.node = primary;
		pool = pp;
	}
	if (type == 'P' && rt.cfg->pool_mode == POOL_MODE_TRANSACTION && !c->pinned && pool->n_idle == 0 &&
	    !pool_can_open(pool) && carry_parse_locally(c, in)) {
		monitor_snapshot_put(snap);
		if (evbuffer_get_length(in) > 0)
			relay_client_input(c);
		return false;	/* answered: prepared later, where it is bound */
	}
	c->target_pool = pool;
	c->on_replica = d.target == ROUTE_REPLICA;
	stats.queries[res->cls][c->on_replica ? STATS_REPLICA : STATS_PRIMARY]++;
	if (pool->node_index < STATS_MAX_NODES) {
		stats.nodes[pool->node_index].queries++;
		if (res->cls == CLASS_READ)
			stats.nodes[pool->node_index].reads++;
	}
	c->last_pool = pool;
	c->last_on_replica = c->on_replica;
	c->last_causal_us = -1;		/* causal_answered() says how long it waited */
	if (res->cls == CLASS_TRANSACTION && res->txn == TXN_BEGIN) {
		c->route.in_transaction = true;
		c->route.txn_on_replica = c->on_replica;
		c->route.txn_node = d.node;
	}
	if (!c->on_replica && (d.makes_sticky || res->cls == CLASS_WRITE || res->multi_statement) &&
	    rt.cfg->read_your_writes == RYW_LSN && steer_cluster_has_replicas(c->cluster))
		c->want_lsn = true;
	if (d.marks_written)
		c->route.has_written = true;
	if (verbose)
		log_debug("C-%llu %s %s@%s: %s -> %s:%s (%s: %s)", (unsigned long long)c->id, c->addr,
			  c->user, c->database, classify_class_name(res->cls),
			  c->on_replica ? "replica" : "primary", pool->node_name, d.reason, res->reason);
	if ((rt.cfg->pool_mode == POOL_MODE_SESSION || c->pinned) &&
	    relay_reuse_parked(c, &pool, snap, rs.required_lsn)) {
		monitor_snapshot_put(snap);
		return false;	/* linked to the connection the session holds */
	}
	monitor_snapshot_put(snap);
	begin_cache.valid = true;
	return true;
}

/*
 * Which messages the relay classifies before forwarding: every statement
 * (session effects, writes on the primary, controls), and a Bind of a
 * named statement (BOUND) as well.
 */
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
	char msg[400], esc[820], sql[1000 + 2], name[NAME_LEN] = "";	/* +2: no parameter types */

	relay_forget_replay(c);
	if (off)
		relay_move(in, s->bev, s->fd, s->tls, off);
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
	snprintf(sql, sizeof(sql) - 2, "DO $pgsteer$BEGIN RAISE EXCEPTION USING ERRCODE = '25006', "
		 "MESSAGE = '%s'; END$pgsteer$", esc);
	log_info("C-%llu %s@%s: write refused on replica %s: %s", (unsigned long long)c->id, c->user,
		 c->database, s->pool->node_name, res->reason);
	if (type == 'Q') {
		s->unnamed_client = 0;
		proto_add_query(out, sql);
		s->expect_rfq++;
		reply_push(s, 'Q', REPLY_FORWARD, NULL, NULL, NULL);
		return;
	}
	reply_push(s, 'P', REPLY_FORWARD, NULL, NULL, NULL);
	if (!name[0]) {
		/* the client's unnamed statement is now the refusal, on S only */
		c->unnamed = UNNAMED_LOST;
		s->unnamed_client = c->id;
		s->unnamed_gen = ++c->unnamed_gen;
	}
	/* the same statement name, the refusal as its text, no parameter types */
	size_t sl = strlen(sql) + 1;
	memset(sql + sl, 0, 2);
	proto_add_parse(out, name, sql, sl + 2);
	s->batch_open = true;
}

/* The class of the message at OFF; reuses steer_statement()'s look at the same message. */
static void inspect_classify(struct client *c, struct evbuffer *in, size_t off, uint8_t type,
			     uint32_t len, struct classify_result *res)
{
	if (off == 0 && begin_cache.valid && begin_cache.client == c && begin_cache.client_id == c->id &&
	    begin_cache.type == type && begin_cache.len == len) {
		begin_cache.valid = false;
		*res = begin_cache.res;
		return;
	}
	classify_message(c, in, off, type, len, res);
}

/*
 * C's statement may go to S as it is, unless it is SQL EXECUTE of a
 * protocol-level name: as a Query (not behind an open batch), or as an
 * unnamed Parse (drivers that use the extended protocol for everything).
 */
static enum inspect_verdict forward_or_execute(struct client *c, struct server *s, struct evbuffer *in,
					       size_t off, uint8_t type, uint32_t len,
					       const struct classify_result *res)
{
	uint8_t tmp[6];
	const uint8_t *head;
	bool sent;

	if (res->session_op != SESSION_OP_EXECUTE || !carry_execute_is_named(c, res))
		return INSPECT_FORWARD;
	if (type == 'P' ? len < 6 || !(head = proto_peek_bytes(in, off, 6, tmp)) || head[5] != 0
			: type != 'Q' || s->batch_open)
		return INSPECT_FORWARD;
	relay_forget_replay(c);
	if (off)
		relay_move(in, s->bev, s->fd, s->tls, off);
	sent = type == 'P' ? carry_execute_named_parse(c, s, in, len, res)
			   : carry_execute_named(c, s, in, len, res);
	/* not sent (a Parse not understood): as it came, from the head again when bytes moved */
	return sent || off ? INSPECT_REWRITTEN : INSPECT_FORWARD;
}

enum inspect_verdict steer_inspect(struct client *c, struct server *s,
					      struct evbuffer *in, size_t off, uint8_t type,
					      uint32_t len, const struct pstmt *bound,
					      struct classify_result *res)
{
	bool readish;

	if (type == 'B') {
		/* a Bind of a named statement: its text says what it does */
		*res = bound->cls;
	} else if (evbuffer_get_length(in) < off + 1 + (size_t)len) {
		if (c->on_replica || len < 64 * 1024)
			return INSPECT_WAIT;
		/* a huge statement on the primary: stream it, assume it writes */
		memset(res, 0, sizeof(*res));
		res->cls = CLASS_AMBIGUOUS;	/* unread: its facts unknown, and none acted on */
		c->want_lsn = rt.cfg->read_your_writes == RYW_LSN;
		return INSPECT_FORWARD;
	} else {
		inspect_classify(c, in, off, type, len, res);
	}
	if (res->cls == CLASS_CONTROL && s->expect_rfq == 0 && !s->batch_open &&
	    reply_ring_len(&s->replies) == 0) {
		/* nothing owed before it: pgsteer answers (an extended batch once its Sync is here) */
		if (type != 'Q' && !batch_complete_at(in, off, NULL))
			return INSPECT_WAIT;
		relay_forget_replay(c);	/* its bytes no longer match what the server got */
		if (off)
			relay_move(in, s->bev, s->fd, s->tls, off);
		control_answer(c, res, type);
		return INSPECT_ANSWERED;
	}
	if (type == 'Q' && carry_deallocate_local(c, s, res)) {
		/* DEALLOCATE of a protocol-level name: only the client's name goes */
		relay_forget_replay(c);
		if (off)
			relay_move(in, s->bev, s->fd, s->tls, off);
		evbuffer_drain(in, 1 + (size_t)len);
		return INSPECT_ANSWERED;
	}
	if (res->cls == CLASS_TRANSACTION && res->txn == TXN_BEGIN) {
		c->route.in_transaction = true;
		c->route.txn_on_replica = c->on_replica;
	}
	if (rt.cfg->pool_mode == POOL_MODE_SESSION && !res->pins_session &&
	    (res->changes_session || res->cls == CLASS_SESSION))
		carry_pin(c, s, "session state in session mode");
	if (!c->on_replica) {
		if (res->cls == CLASS_WRITE)
			c->route.has_written = c->route.txn_wrote = true;
		if ((res->cls == CLASS_WRITE || res->cls == CLASS_AMBIGUOUS || res->multi_statement) &&
		    rt.cfg->read_your_writes == RYW_LSN && steer_cluster_has_replicas(c->cluster))
			c->want_lsn = true;
		return forward_or_execute(c, s, in, off, type, len, res);
	}
	/* on a replica */
	if (c->route.in_transaction) {
		if (res->cls != CLASS_WRITE)
			return forward_or_execute(c, s, in, off, type, len, res);
		if (s->expect_rfq == 0 && !s->batch_open) {
			/*
			 * Nothing pending on the server: refuse here.  The write never
			 * leaves pgsteer and the transaction stays open for more reads.
			 */
			char msg[300];
			relay_forget_replay(c);
			if (off)
				relay_move(in, s->bev, s->fd, s->tls, off);
			snprintf(msg, sizeof(msg), "cannot execute a write in a read-only transaction "
				 "routed to replica %s (%.100s)", s->pool->node_name, res->reason);
			log_info("C-%llu %s@%s: write refused on replica %s: %s", (unsigned long long)c->id,
				 c->user, c->database, s->pool->node_name, res->reason);
			stats.queries[res->cls][STATS_REFUSED]++;
			proto_add_error(bufferevent_get_output(c->bev), "ERROR", "25006", msg,
					"The transaction is still open: go on reading, or ROLLBACK and "
					"run the write outside it.");
			c->discard = type == 'Q' ? DISCARD_ONE : DISCARD_TO_SYNC;
			return INSPECT_ANSWERED;
		}
		/* behind pipelined statements: let the server refuse it in order */
		if (type == 'B') {
			if (off)
				relay_move(in, s->bev, s->fd, s->tls, off);
			client_fail(c, "FATAL", "25006", "a write prepared statement bound in a read-only "
				    "transaction routed to replica %s (%.100s)", s->pool->node_name, res->reason);
			return INSPECT_ANSWERED;
		}
		send_refusal(c, s, in, off, type, len, res);
		return INSPECT_REWRITTEN;
	}
	readish = res->hint != HINT_PRIMARY &&
		  (res->cls == CLASS_READ ||
		   (res->cls == CLASS_AMBIGUOUS &&
		    (res->hint == HINT_REPLICA ||
		     (c->route.fallback_ambiguous && !c->route.has_written && !c->route.use_primary))));
	if (readish)
		return forward_or_execute(c, s, in, off, type, len, res);
	if (s->batch_open && (off || s->pkt_remain) && type == 'P') {
		/* inside one batch with the reads before it (one implicit transaction): refused */
		send_refusal(c, s, in, off, type, len, res);
		return INSPECT_REWRITTEN;
	}
	if (s->batch_open && (off || s->pkt_remain) && type == 'B') {
		if (off)
			relay_move(in, s->bev, s->fd, s->tls, off);
		client_fail(c, "FATAL", "25006", "a write prepared statement bound in a batch routed to "
			    "replica %s (%.100s)", s->pool->node_name, res->reason);
		return INSPECT_ANSWERED;
	}
	if (s->batch_open && off == 0 && s->pkt_remain == 0) {
		/*
		 * A write (a Query, or the Parse or Bind that starts the next
		 * statement) behind an extended batch that ended with Flush,
		 * not Sync, and was answered (asyncpg's prepare(): Parse,
		 * Describe, Flush): nothing would ever end the link.  A hidden
		 * Sync closes the batch (it wrote nothing), the link ends, and
		 * the write is routed afresh.
		 */
		proto_add_bodyless(bufferevent_get_output(s->bev), 'S');
		if (s->expect_rfq++ == 0)
			s->query_start_us = now_us();
		s->batch_open = false;
		reply_push(s, 'S', REPLY_HIDE, NULL, NULL, NULL);
	}
	return INSPECT_HOLD;
}

void steer_database_ddl(const struct client *c, const char *sql, size_t len)
{
	const char *p = sql, *end = sql + len;
	char w1[16], w2[16], name[NAME_LEN], w[NAME_LEN];
	int closed;

	name[0] = '\0';
	if (!classify_word(&p, end, w1, sizeof(w1)) || !classify_word(&p, end, w2, sizeof(w2)) ||
	    strcmp(w2, "database") != 0)
		return;
	if (strcmp(w1, "drop") == 0) {
		if (!classify_word(&p, end, name, sizeof(name)))
			return;
		if (strcmp(name, "if") == 0 && (!classify_word(&p, end, w, sizeof(w)) ||	/* EXISTS */
						!classify_word(&p, end, name, sizeof(name))))
			return;
	} else if (strcmp(w1, "alter") == 0) {
		if (!classify_word(&p, end, name, sizeof(name)) || !classify_word(&p, end, w, sizeof(w)))
			return;
		if (strcmp(w, "rename") != 0 &&
		    !(strcmp(w, "set") == 0 && classify_word(&p, end, w, sizeof(w)) && strcmp(w, "tablespace") == 0))
			return;
	} else if (strcmp(w1, "create") == 0) {
		while (classify_word(&p, end, w, sizeof(w)))
			if (strcmp(w, "template") == 0) {
				if (!classify_word(&p, end, name, sizeof(name)))
					return;
				if (strcmp(name, "=") == 0 && !classify_word(&p, end, name, sizeof(name)))
					return;
				break;
			}
	} else {
		return;
	}
	if (!name[0])
		return;
	closed = pool_close_idle_for_database(name);
	if (closed)
		log_info("C-%llu %s@%s: %s DATABASE needs %s without sessions: %d server "
			 "connection%s to it closed, now or when back in the pool", (unsigned long long)c->id,
			 c->user, c->database,
			 w1[0] == 'd' ? "DROP" : w1[0] == 'a' ? "ALTER" : "CREATE", name, closed,
			 closed == 1 ? "" : "s");
}

/* C (between transactions) now belongs to CLUSTER: its primary's pool for logins, no cached replica. */
void steer_switch_cluster(struct client *c, int cluster)
{
	const struct cluster_snapshot *snap = monitor_snapshot_get(rt.monitor);
	int primary = cluster < snap->n_clusters ? snap->primary[cluster] : -1;
	struct pool *p = NULL;

	monitor_snapshot_put(snap);
	for (int i = 0; i < rt.cfg->n_nodes && !p; i++)
		if (rt.cfg->nodes[i].cluster_index == cluster && (primary < 0 || i == primary))
			p = pool_find_or_create(rt.cfg, i, c->user, c->database);
	c->cluster = cluster;
	if (p)
		c->pool = p;
	c->replica_pool = NULL;
	/* positions of the old cluster mean nothing on the new one */
	c->route.required_lsn = 0;
	if (c->lsn_probe && !c->wait_probe) {
		c->lsn_probe->probe_client = NULL;	/* its answer is stale, as for an older probe */
		c->lsn_probe = NULL;
	}
}

/* Is C a (non-admin) client of tenant ID (NULL: of any tenant)? */
static bool tenant_client(const struct client *c, const char *id)
{
	return !c->admin && c->tenant && (!id || strcmp(c->tenant, id) == 0);
}

int steer_tenant_inflight(const char *id)
{
	struct list *it;
	int n = 0;

	WORKERS_AS_EACH(w) {
		list_for_each(it, &rt.clients) {
			struct client *c = container_of(it, struct client, head);
			if (tenant_client(c, id) && (c->state == CL_ACTIVE || c->state == CL_WAITING ||
						     c->tx_status != 'I'))
				n++;
		}
	}
	return n;
}

void steer_tenant_resume(const char *id, bool (*held)(const char *tenant))
{
	struct list *it, *tmp;

	WORKERS_AS_EACH(w) {
		list_for_each_safe(it, tmp, &rt.clients) {
			struct client *c = container_of(it, struct client, head);
			if (!tenant_client(c, id) || c->state != CL_IDLE || !c->bev ||
			    evbuffer_get_length(bufferevent_get_input(c->bev)) == 0 || held(c->tenant))
				continue;
			relay_client_input(c);
		}
	}
}
