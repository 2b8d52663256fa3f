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
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cancel.h"
#include "classify.h"
#include "client.h"
#include "log.h"
#include "monitor.h"
#include "pgsteer.h"
#include "pool.h"
#include "prepared.h"
#include "proto.h"
#include "relay.h"
#include "route.h"
#include "carry.h"
#include "server.h"
#include "steer.h"
#include "stats.h"
#include "sticky.h"
#include "tenant.h"
#include "worker.h"

#define RELAY_HIGH_WATER (1024 * 1024)
#define RELAY_LOW_WATER (256 * 1024)
#define MAX_PARAM_STATUS 8192
#define MAX_SERVER_MESSAGE (1024u * 1024u * 1024u)
#define REPLAY_LIMIT (256 * 1024)	/* bytes of a replica read kept to send it again elsewhere */

static void relay_move_after(struct evbuffer *in, struct server *s, struct bind_head *pre, size_t n);
static void relay_client_to_server(struct client *c, struct server *s);
static void relay_server_to_client(struct server *s, struct client *c);
static void idle_server_input(struct server *s);
static void server_input_left(struct server *s);
static void causal_check(struct client *c, struct server *s, uint8_t phase, bool merged);
static uint8_t causal_can_pipeline(const struct client *c);
static void causal_discarded(struct client *c, struct server *s);
static void causal_lost_replay(struct client *c, struct server *s);
static bool causal_reply(struct client *c, struct server *s, uint8_t type, const uint8_t *msg,
			 uint32_t len);
static void causal_merged_failed(struct client *c, struct server *s);
static bool causal_query_as_batch_ok(const struct client *c);
static void causal_query_as_batch(struct client *c, struct server *s);
static inline void owe_ready(struct client *c, struct server *s, uint8_t kind);
static bool shape_answered(struct client *c, struct server *s, struct reply *r, const uint8_t *msg,
			   uint32_t len);
static void shape_resume(struct client *c, struct server *s);
static void note_shape(struct server *s, struct pstmt *st, struct evbuffer *in, size_t off, uint8_t type,
		       uint32_t len);
static bool names_server_statement(struct evbuffer *in, size_t off, uint32_t len);
static void deliver_async(struct client *c, const uint8_t *msg, size_t n);
static void deliver_held(struct client *c);
static void unlink_pair(struct client *c, struct server *s);
static bool server_is_clean(const struct server *s);
static bool discard_input(struct client *c);
static void lsn_probe_pending(struct client *c, struct server *s);
static void start_lsn_probe(struct client *c, struct server *s);
static void probe_behind_write(struct client *c, struct server *s, bool closes_block);
static inline bool ends_block(const struct classify_result *res);
static void probe_behind_hide(struct client *c, struct server *s, const char *why);
static void unit_note(struct server *s, const struct classify_result *res);
static struct evbuffer *relay_own_buffer(struct server *s);
static void relay_send_own(struct server *s, struct evbuffer *b);
static void keep_for_replay(struct client *c, struct evbuffer *in, size_t n);
static void keep_bytes_for_replay(struct client *c, const char *bytes, size_t n);
static void park(struct client *c, struct server *s, bool replica);
static struct server *unpark(struct client *c, int slot);

static bool end_link_if_done(struct client *c, struct server *s, size_t off);
static void login_finish(struct client *c, struct server *s);
static void server_reset_or_release(struct server *s);

/* ---------------- Public functions ---------------- */

/* Client bytes arrived (or a server became available for them). */
void relay_client_input(struct client *c)
{
	struct evbuffer *in;
	uint8_t type;
	uint32_t len;

	if (!c->bev)
		return;		/* resting (client.c): nothing was sent */
	in = bufferevent_get_input(c->bev);

	switch (c->state) {
	case CL_ACTIVE:
		relay_client_to_server(c, c->server);
		return;
	case CL_IDLE:
		break;
	default:
		return;		/* waiting, logging in or closing: keep it buffered */
	}

	for (;;) {
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
		if (type != 'd' && type != 'c' && type != 'f')
			break;
		/*
		 * COPY data, done or fail with no COPY under way: what a client
		 * sends on after its COPY FROM STDIN failed.  PostgreSQL ignores
		 * these, and so does pgsteer (as the start of a batch, they
		 * would wait for a Sync that never comes).
		 */
		c->discard = DISCARD_REST;
		c->pkt_remain = 1 + len;
	}
	/* The start of a transaction (or of a statement on its own): route it. */
	if (!steer_statement(c, type, len))
		return;
	client_set_state(c, CL_WAITING);
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
void relay_refuse(struct client *c, const char *sqlstate, const char *fmt, ...)
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
	client_set_state(c, CL_IDLE);
	conn_read_enable(&c->rd);
	relay_client_input(c);
}

void relay_reroute(struct client *c)
{
	log_info("C-%llu %s@%s: node %s unreachable: routing the statement again",
		 (unsigned long long)c->id, c->user, c->database,
		 c->target_pool ? c->target_pool->node_name : "?");
	client_set_state(c, CL_IDLE);
	conn_read_enable(&c->rd);
	relay_client_input(c);
}

/* C's next statement waits for its write's position (the LSN probe under way). */
void relay_wait_for_probe(struct client *c)
{
	c->wait_probe = true;
	client_set_state(c, CL_WAITING);
	conn_read_disable(&c->rd);
}

void relay_probe_done(struct client *c)
{
	if (!c->wait_probe)
		return;
	c->wait_probe = false;
	client_set_state(c, CL_IDLE);
	conn_read_enable(&c->rd);
	relay_client_input(c);	/* route what waited, with the position known (or not) */
}

/* POOL gave C the server S. */
void relay_server_assigned(struct client *c, struct server *s)
{
	Assert(c->server == NULL && s->client == NULL && s->state == SV_ACTIVE);
	c->server = s;
	s->client = c;
	s->shape_resume = false;	/* a hold skipped for an earlier client */
	s->last_used_ms = now_ms();
	if (c->state == CL_LOGIN_WAIT) {
		/* settings from the startup packet: checked (and spelt) by the server first */
		carry_sync_settings(c, s, true);
		if (reply_ring_len(&s->replies) == 0)
			login_finish(c, s);
		return;
	}
	log_debug("C-%llu %s@%s: linked to S-%llu node %s pid %d", (unsigned long long)c->id, c->user,
		  c->database, (unsigned long long)s->id, s->pool->node_name, s->backend_pid);
	client_set_state(c, CL_ACTIVE);
	relay_forget_replay(c);
	c->replay_ok = c->on_replica && !c->route.in_transaction;
	carry_link(c, s);
	if (c->causal_lsn && c->on_replica) {
		uint8_t ahead = causal_can_pipeline(c);

		if (ahead) {
			/*
			 * The check, then the statement right behind it, in one
			 * round trip; an extended batch shares its Sync with the
			 * check (one transaction on the replica, not two), and so
			 * does a Query that can go as one.
			 */
			bool as_batch = ahead == 'Q' && !c->causal_unmerged && causal_query_as_batch_ok(c);

			causal_check(c, s, 4, as_batch || (ahead == 'S' && !c->causal_unmerged));
			conn_read_enable(&c->rd);
			if (as_batch && s->causal_merged) {
				causal_query_as_batch(c, s);	/* one send() with the check */
			} else {
				relay_send_own(s, relay_own_buffer(s));	/* the check */
				relay_client_to_server(c, s);
			}
			if (c->server != s || c->state != CL_ACTIVE)
				return;		/* the relay ended the link itself */
			if (s->causal_phase == 4)
				s->causal_phase = 5;	/* what comes next waits for the check */
			if (s->causal_phase == 5 && (!c->replay_ok || c->replay_len == 0) && !s->shape_hold)
				causal_lost_replay(c, s);	/* (a shape check holds it all in C's input) */
			return;
		}
		causal_check(c, s, 1, false);	/* the statement waits until the replica shows the LSN */
	}
	conn_read_enable(&c->rd);
	relay_client_to_server(c, s);
}

/*
 * May C's statement go to its replica right behind the causal check, its
 * replies dropped and its bytes sent elsewhere should the check fail?
 * Only when what C has sent is whole statements that the relay keeps a
 * copy of as they are: one Query, or an extended batch up to its Sync of
 * Bind/Describe/Execute/Close/Flush and unnamed Parse messages (a named
 * Parse or Close changes names the copy would register twice).  Returns
 * 'Q' for the Query, 'S' for the batch, 0 when it may not.
 */
static uint8_t causal_can_pipeline(const struct client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t avail = evbuffer_get_length(in), off = 0;
	uint8_t type, tmp[6];
	const uint8_t *head;
	uint32_t len;

	if (rt.cfg->pool_mode != POOL_MODE_TRANSACTION || c->route.in_transaction || !c->replay_ok ||
	    avail == 0 || avail > REPLAY_LIMIT / 2 || c->discard != DISCARD_NONE || c->pkt_remain)
		return 0;
	while (off < avail) {
		if (!proto_peek_header(in, off, &type, &len) || len < 4 || off + 1 + len > avail)
			return 0;	/* a partial message */
		switch (type) {
		case 'Q':
			return off == 0 && off + 1 + len == avail ? 'Q' : 0;
		case 'P':
			if (len < 6 || !(head = proto_peek_bytes(in, off, 6, tmp)) || head[5] != 0)
				return 0;
			break;
		case 'C':
			if (len < 6 || !(head = proto_peek_bytes(in, off, 6, tmp)) || head[5] != 'P')
				return 0;
			break;
		case 'B':
		case 'D':
		case 'E':
		case 'H':
			break;
		case 'S':
			return off + 1 + len == avail ? 'S' : 0;
		default:
			return 0;
		}
		off += 1 + (size_t)len;
	}
	return 0;
}

/*
 * May C's Query (whole, alone in its input: causal_can_pipeline()) go to
 * the replica as an extended batch behind a check that shares its Sync?
 * Its client must see what a Query gets, so only one statement that
 * reads and returns rows (SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN; a
 * multi-statement string cannot be one Parse, and a Query that returns
 * none or copies out is left alone), with no parameter symbol in it
 * (a Query's "$1" is an error of its own, a Parse's another).
 */
static bool causal_query_as_batch_ok(const struct client *c)
{
	static const char *const rows[] = { "select", "with", "values", "table", "show", "explain" };
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct classify_result res;
	const char *sql, *p, *end;
	uint8_t type;
	uint32_t len;

	if (!proto_peek_header(in, 0, &type, &len) || type != 'Q' || len < 6 ||
	    !(sql = (const char *)evbuffer_pullup(in, 1 + (ev_ssize_t)len)))
		return false;
	sql += PROTO_HEADER_LEN;
	end = sql + len - 4 - 1;	/* at its NUL */
	if (*end != '\0' || memchr(sql, '\0', (size_t)(end - sql)) || memchr(sql, '$', (size_t)(end - sql)))
		return false;
	classify_query_cached(sql, (size_t)(end - sql), rt.knowledge, &res);
	if (res.cls != CLASS_READ || res.statement_count != 1 || res.changes_session ||
	    res.session_op != SESSION_OP_NONE || res.pins_session || res.notifies)
		return false;
	for (p = sql; p < end;) {	/* the first word, past blanks, comments and parentheses */
		if (isspace((unsigned char)*p) || *p == '(') {
			p++;
		} else if (p[0] == '-' && p + 1 < end && p[1] == '-') {
			while (p < end && *p != '\n')
				p++;
		} else if (p[0] == '/' && p + 1 < end && p[1] == '*') {
			const char *close = strstr(p + 2, "*/");	/* not nested: then no */
			if (!close || memmem(p + 2, (size_t)(close - p - 2), "/*", 2))
				return false;
			p = close + 2;
		} else {
			break;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		size_t n = strlen(rows[i]);
		if ((size_t)(end - p) >= n && strncasecmp(p, rows[i], n) == 0 &&
		    (p + n == end || !(isalnum((unsigned char)p[n]) || p[n] == '_')))
			return true;
	}
	return false;
}

/*
 * C's Query or Sync (KIND) has gone to S: a ReadyForQuery is owed, the
 * statement's clock starts if nothing else was owed, and the settings the
 * client made wait for its answer.
 */
static inline void owe_ready(struct client *c, struct server *s, uint8_t kind)
{
	if (s->expect_rfq++ == 0) {
		s->query_start_us = now_us();
		s->timeout_cancel_ms = 0;
	}
	reply_push(s, kind, REPLY_FORWARD, NULL, NULL, c->pending_ops);
	c->pending_ops = NULL;
}

/*
 * Send C's Query to S as an extended batch (Parse, Bind, Describe of the
 * portal, Execute, Sync) right behind the check that shares its Sync.
 * The client sees what its Query gets: the ParseComplete and
 * BindComplete are hidden, the RowDescription and rows go through.  The
 * relay keeps the Query itself, as it came, for the primary should the
 * check fail.
 */
static void causal_query_as_batch(struct client *c, struct server *s)
{
	struct evbuffer *in = bufferevent_get_input(c->bev), *own;
	uint8_t type;
	uint32_t len;
	const uint8_t *msg;

	if (!proto_peek_header(in, 0, &type, &len) ||
	    !(msg = evbuffer_pullup(in, 1 + (ev_ssize_t)len))) {
		relay_send_own(s, relay_own_buffer(s));	/* the check */
		relay_client_to_server(c, s);	/* cannot happen (causal_query_as_batch_ok()) */
		return;
	}
	keep_bytes_for_replay(c, (const char *)msg, 1 + (size_t)len);
	own = relay_own_buffer(s);
	proto_add_query_as_batch(own, (const char *)msg + PROTO_HEADER_LEN, len - 4);
	relay_send_own(s, own);
	stats.bytes_from_clients += 1 + (size_t)len;
	if (s->pool->node_index < STATS_MAX_NODES)
		stats.nodes[s->pool->node_index].bytes_to_server += 1 + (size_t)len;
	evbuffer_drain(in, 1 + (size_t)len);
	carry_unnamed_query(c, s);	/* as after a Query: the client has no unnamed statement */
	s->bound_stmt = NULL;
	reply_push(s, 'P', REPLY_HIDE, NULL, NULL, NULL);
	reply_push(s, 'B', REPLY_HIDE, NULL, NULL, NULL);
	reply_push(s, 'D', REPLY_FORWARD, NULL, NULL, NULL);
	reply_last(s)->flags |= REPLY_DROP_NODATA;
	reply_push(s, 'E', REPLY_FORWARD, NULL, NULL, NULL);
	owe_ready(c, s, 'S');
	s->batch_open = false;
	steer_forget();	/* whatever steer_statement() saw has been relayed */
}

/*
 * A pipelined causal read whose bytes the relay did not keep after all
 * (cannot happen for what causal_can_pipeline() admits): never risk a
 * stale answer; the session ends.
 */
static void causal_lost_replay(struct client *c, struct server *s)
{
	log_error("C-%llu S-%llu node %s: causal read sent ahead without a copy: closing the session",
		  (unsigned long long)c->id, (unsigned long long)s->id, s->pool->node_name);
	server_close(s, "causal read sent ahead without a copy");
	if (c->state != CL_CLOSED && c->state != CL_FLUSHING)
		client_fail(c, "FATAL", "08006", "pgsteer could not make sure of read-your-writes");
}

/* ---------------- Causal reads ---------------- */

#define CAUSAL_SEEN_NODES 256
static uint64_t causal_seen_lsn[CAUSAL_SEEN_NODES];

const uint64_t *relay_causal_seen(int *n)
{
	*n = CAUSAL_SEEN_NODES;
	return causal_seen_lsn;
}

void relay_causal_forget(void)
{
	for (int i = 0; i < CAUSAL_SEEN_NODES; i++)
		__atomic_store_n(&causal_seen_lsn[i], 0, __ATOMIC_RELAXED);
}

/* Node I was seen to have replayed LSN: a fresher position for every session's routing. */
static void causal_saw(int i, uint64_t lsn)
{
	uint64_t old;

	if (i < 0 || i >= CAUSAL_SEEN_NODES)
		return;
	old = __atomic_load_n(&causal_seen_lsn[i], __ATOMIC_RELAXED);
	while (old < lsn && !__atomic_compare_exchange_n(&causal_seen_lsn[i], &old, lsn, true,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* ---------------- Notification process IDs ---------------- */

/*
 * A NotificationResponse names the backend that sent it; a client knows
 * its session by the process ID pgsteer gave it (BackendKeyData), so
 * notifications from a backend where a client ran NOTIFY or pg_notify()
 * carry that client's ID instead (drivers compare it with their own to
 * skip their own notifications).  Direct-mapped by node and backend PID:
 * a collision loses the older entry (its notifications show the real PID).
 */
#define NOTIFIERS 1024
static struct {
	uint64_t key;			/* node << 32 | backend PID, + 1; 0 = empty */
	int32_t pid;			/* the client's process ID */
} notifiers[NOTIFIERS];
static bool notifiers_used;

static uint64_t notifier_key(int node, int32_t backend_pid)
{
	return ((uint64_t)(uint32_t)node << 32 | (uint32_t)backend_pid) + 1;
}

static void notifier_note(struct client *c, struct server *s)
{
	uint64_t key = notifier_key(s->pool->node_index, s->backend_pid);
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 54) % NOTIFIERS;

	shared_lock();
	notifiers[i].key = key;
	notifiers[i].pid = c->cancel_pid;
	shared_unlock();
	__atomic_store_n(&notifiers_used, true, __ATOMIC_RELAXED);
}

/* MSG: a whole NotificationResponse header and PID from S's node: the PID its client knows. */
static void notification_pid(const struct server *s, uint8_t *msg)
{
	int32_t pid = (int32_t)proto_get_u32(msg + PROTO_HEADER_LEN);
	uint64_t key = notifier_key(s->pool->node_index, pid);
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 54) % NOTIFIERS;
	int32_t mapped = pid;

	shared_lock();
	if (notifiers[i].key == key)
		mapped = notifiers[i].pid;
	shared_unlock();
	if (mapped != pid)
		proto_put_u32(msg + PROTO_HEADER_LEN, (uint32_t)mapped);
}

/* ---------------- DDL barriers ---------------- */

/*
 * After DDL commits through pgsteer, every session's reads in that
 * cluster wait for its position (a replica that has not replayed a new
 * table or column would fail them): pending from the moment its client
 * can learn of the commit until the position is known, then the
 * position, for sticky_ttl.  An unknown position (the probe failed)
 * sends reads to the primary for sticky_ttl.
 */
#define BARRIER_CLUSTERS 256
#define BARRIER_UNKNOWN_MS 1000
static struct {
	uint32_t pending;
	uint64_t lsn;
	int64_t at_ms;
} barrier[BARRIER_CLUSTERS];

static void barrier_pending(int cluster)
{
	if (cluster >= 0 && cluster < BARRIER_CLUSTERS)
		__atomic_add_fetch(&barrier[cluster].pending, 1, __ATOMIC_SEQ_CST);
}

/*
 * S's probe of a DDL barrier answered LSN (0: no answer).  The position
 * and its time are stored before the pending count drops, so a reader
 * that sees no barrier pending sees them.
 */
void relay_barrier_done(struct server *s, uint64_t lsn)
{
	int cl = s->probe_barrier - 1;
	int64_t now = now_ms();

	s->probe_barrier = 0;
	if (cl < 0 || cl >= BARRIER_CLUSTERS)
		return;
	if (lsn)
		log_info("S-%llu node %s: DDL committed at %X/%X: reads of every session wait for it",
			 (unsigned long long)s->id, s->pool->node_name, (unsigned)(lsn >> 32), (unsigned)lsn);
	else
		log_warning("S-%llu node %s: the position of a DDL commit is unknown (its connection "
			    "failed): reads go to the primary for a second", (unsigned long long)s->id,
			    s->pool->node_name);
	shared_lock();
	if (!lsn) {
		/* unknown: the primary for BARRIER_UNKNOWN_MS (expiring then, as sticky_ttl would) */
		lsn = UINT64_MAX;
		now -= rt.cfg->sticky_ttl_ms - BARRIER_UNKNOWN_MS;
	}
	if (lsn > barrier[cl].lsn || now - barrier[cl].at_ms > rt.cfg->sticky_ttl_ms) {
		__atomic_store_n(&barrier[cl].at_ms, now, __ATOMIC_SEQ_CST);
		__atomic_store_n(&barrier[cl].lsn, lsn, __ATOMIC_SEQ_CST);
	}
	__atomic_sub_fetch(&barrier[cl].pending, 1, __ATOMIC_SEQ_CST);
	shared_unlock();
}

uint64_t relay_barrier_lsn(int cluster)
{
	int64_t at;
	uint64_t lsn;

	if (cluster < 0 || cluster >= BARRIER_CLUSTERS)
		return 0;
	if (__atomic_load_n(&barrier[cluster].pending, __ATOMIC_SEQ_CST))
		return UINT64_MAX;
	lsn = __atomic_load_n(&barrier[cluster].lsn, __ATOMIC_SEQ_CST);
	if (!lsn)
		return 0;
	at = __atomic_load_n(&barrier[cluster].at_ms, __ATOMIC_RELAXED);
	return now_ms() - at <= rt.cfg->sticky_ttl_ms ? lsn : 0;
}

/*
 * Ask S (a replica) how far it has replayed, before C's statement: one
 * round trip, and C's bytes stay in its input until the answer
 * (relay_client_to_server() holds them while causal_phase is set).
 */
/*
 * The check, a statement prepared once per server connection: the
 * replica's replay position once it has passed $1, or when $2 (the
 * causal_read_timeout) has gone by, polling each millisecond (pg_sleep()'s
 * smallest step; the recursion ends with the time).  The statement
 * behind it, sent in the same round trip, starts after the wait, so its
 * snapshot has what the check saw replayed.  Costs no parse or plan.
 */
#define CAUSAL_WAIT_SQL \
	"WITH RECURSIVE w(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM w WHERE " \
	"CASE WHEN pg_catalog.pg_last_wal_replay_lsn() < $1::pg_catalog.pg_lsn AND " \
	"pg_catalog.clock_timestamp() - pg_catalog.statement_timestamp() < $2::pg_catalog.interval " \
	"THEN pg_catalog.pg_sleep(0.001) IS NOT NULL ELSE false END) " \
	"SELECT pg_catalog.pg_last_wal_replay_lsn() FROM (SELECT max(i) FROM w) waited"
/*
 * The check that does not wait (the statement is right behind it): the
 * bare position, cheaper for the replica than the waiting form told not
 * to wait, and no parameters to format.  Its second column is for a
 * check that shares the statement's batch (no Sync between them: one
 * transaction on the replica).  The statement's snapshot, taken at its
 * Bind, comes after the check read the position only when each statement
 * takes its own snapshot, that is under read committed; at repeatable
 * read or serializable the transaction's snapshot is the check's own,
 * taken before it read the position: true there, and the read counts as
 * not replayed (the primary answers), and the session's later checks take
 * a Sync of their own (client.causal_unmerged).  One statement for both
 * uses: pgsteer's hidden statements show in pg_prepared_statements.
 */
#define CAUSAL_POSITION_SQL \
	"SELECT pg_catalog.pg_last_wal_replay_lsn(), " \
	"pg_catalog.current_setting('transaction_isolation') <> 'read committed'"

/* The checks' statements, prepared once per server connection that runs them */
enum causal_form { CAUSAL_POSITION, CAUSAL_WAIT, CAUSAL_FORMS };

static struct pstmt *causal_stmts[CAUSAL_FORMS];

/* A check's shared statement (NULL when max_prepared_statements = 0: a plain Query then). */
static struct pstmt *causal_statement(enum causal_form form)
{
	/* text, NUL, int16 0: no parameter types */
	static const char wait_body[] = CAUSAL_WAIT_SQL "\0\0";
	static const char position_body[] = CAUSAL_POSITION_SQL "\0\0";
	static const struct { const char *body; size_t len; } bodies[CAUSAL_FORMS] = {
		[CAUSAL_POSITION] = { position_body, sizeof(position_body) },
		[CAUSAL_WAIT] = { wait_body, sizeof(wait_body) },
	};
	const char *body = bodies[form].body;
	size_t body_len = bodies[form].len;
	struct pstmt **slot = &causal_stmts[form];
	struct pstmt *st = __atomic_load_n(slot, __ATOMIC_ACQUIRE), *none = NULL;
	struct classify_result cls;

	if (st || rt.cfg->max_prepared_statements <= 0)
		return st;
	classify_sql(body, strlen(body), NULL, &cls);
	st = prepared_intern(body, body_len, NULL, &cls);
	if (!st)
		return NULL;
	if (!__atomic_compare_exchange_n(slot, &none, st, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		prepared_unref(st);	/* another worker's is the same one */
		st = none;
	}
	return st;
}

void relay_causal_statement_free(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(causal_stmts); i++) {
		struct pstmt *st = __atomic_exchange_n(&causal_stmts[i], NULL, __ATOMIC_ACQ_REL);

		if (st)
			prepared_unref(st);
	}
}

/*
 * MERGED (phase 4, an extended batch behind it): the check's Bind and
 * Execute go without a Sync, so that the batch's Sync ends both: the
 * replica runs one transaction, not two.
 */
static void causal_check(struct client *c, struct server *s, uint8_t phase, bool merged)
{
	struct evbuffer *out;
	/*
	 * With the statement right behind it (phase 4) the check does not
	 * wait: pg_sleep() steps a millisecond or more, and the primary
	 * answers a read that missed sooner than that; a statement that
	 * waits for the answer (phase 1) is better served by the wait.
	 */
	bool waits = phase != 4;
	struct pstmt *st = causal_statement(waits ? CAUSAL_WAIT : CAUSAL_POSITION);

	s->causal_phase = phase;
	s->causal_seen = 0;
	s->causal_start_us = now_us();
	s->causal_merged = merged && st;
	if (s->causal_merged) {
		carry_prepare_hidden(c, s, st);
		if (reply_last(s) && reply_last(s)->kind == 'P' && reply_last(s)->server_reg == st)
			reply_last(s)->flags |= REPLY_CAUSAL;
		out = relay_own_buffer(s);
		proto_add_bind_execute(out, st->server_name, 0, NULL);
		/*
		 * A Flush: the answer comes now, not with the statement's at its
		 * Sync, so that a long read behind a check that failed is not
		 * waited for (retry_stalled_read()) and a frozen replica is told
		 * from a busy one.  Sent by the caller, with the statement when
		 * it can (causal_query_as_batch()).
		 */
		proto_add_bodyless(out, 'H');
		s->batch_open = true;	/* the client's Sync, right behind, closes it */
		reply_push(s, 'B', REPLY_HIDE, NULL, NULL, NULL);
		reply_last(s)->flags |= REPLY_CAUSAL;
		reply_last(s)->stmt = st;
		reply_push(s, 'E', REPLY_HIDE, NULL, NULL, NULL);
		reply_last(s)->flags |= REPLY_CAUSAL;
		reply_last(s)->stmt = st;	/* an error: S may have lost it (causal_reply()) */
		return;
	}
	if (st) {
		char lsn[32], limit[24];
		const char *values[2] = { lsn, limit };

		if (waits) {
			monitor_format_lsn(c->causal_lsn, lsn, sizeof(lsn));
			snprintf(limit, sizeof(limit), "%lld ms",
				 (long long)rt.route_cfg.causal_read_timeout_ms);
		}
		carry_prepare_hidden(c, s, st);
		if (reply_last(s) && reply_last(s)->kind == 'P' && reply_last(s)->server_reg == st)
			reply_last(s)->flags |= REPLY_CAUSAL;	/* its error is the check's, not the client's */
		out = relay_own_buffer(s);
		proto_add_bind_execute(out, st->server_name, waits ? 2 : 0, values);
		proto_add_bodyless(out, 'S');
		relay_send_own(s, out);
		s->batch_open = false;	/* its Sync closed the hidden Parse's batch too */
	} else {
		s->unnamed_client = 0;	/* a Query drops the unnamed statement */
		relay_send_query(s, "SELECT pg_catalog.pg_last_wal_replay_lsn()");
	}
	if (s->expect_rfq++ == 0)
		s->query_start_us = now_us();
	reply_push(s, 'Q', REPLY_HIDE, NULL, NULL, NULL);
	reply_last(s)->flags |= REPLY_CAUSAL;
	reply_last(s)->stmt = st;	/* an error: S may have lost it (causal_reply()) */
}

#define CAUSAL_POLL_US 1000	/* pg_sleep()'s smallest step */

/* Not there yet: wait on the replica itself, polling each millisecond, up to the rest of the timeout. */
static void causal_wait_on_server(struct client *c, struct server *s, int64_t left_us)
{
	char sql[512], lsn[32];

	monitor_format_lsn(c->causal_lsn, lsn, sizeof(lsn));
	snprintf(sql, sizeof(sql),
		 "DO $pgsteer$DECLARE d timestamptz := clock_timestamp() + interval '%lld microseconds'; "
		 "BEGIN WHILE pg_catalog.pg_last_wal_replay_lsn() < '%s'::pg_lsn LOOP "
		 "IF clock_timestamp() >= d THEN RAISE EXCEPTION USING ERRCODE = 'P0001', "
		 "MESSAGE = 'pgsteer: replay not there yet'; END IF; "
		 "PERFORM pg_catalog.pg_sleep(0.001); END LOOP; END$pgsteer$",
		 (long long)left_us, lsn);
	s->causal_phase = 2;
	relay_send_query(s, sql);
	if (s->expect_rfq++ == 0)
		s->query_start_us = now_us();
	reply_push(s, 'Q', REPLY_HIDE, NULL, NULL, NULL);
	reply_last(s)->flags |= REPLY_CAUSAL;
}

/*
 * A causal check's answer is in (S's ReadyForQuery).  Replayed: C's
 * statement goes to S now.  Not yet: wait on the server for the rest of
 * causal_read_timeout, once.  Still not: S goes back, and C's statement
 * is routed again without a causal wait (to the primary).
 */
static void causal_answered(struct client *c, struct server *s)
{
	int64_t waited = now_us() - s->causal_start_us;
	int64_t limit = rt.route_cfg.causal_read_timeout_ms * 1000;

	bool ahead = s->causal_phase >= 4;	/* the statement went right behind the check */

	if (s->causal_seen >= c->causal_lsn) {
		causal_saw(s->pool->node_index, s->causal_seen);
		stats_observe_causal((uint64_t)waited, true);
		c->last_causal_us = waited;
		log_debug("C-%llu S-%llu node %s: causal read: replay there after %lld us",
			  (unsigned long long)c->id, (unsigned long long)s->id, s->pool->node_name,
			  (long long)waited);
		s->causal_phase = 0;
		c->causal_lsn = 0;
		relay_client_to_server(c, s);
		if (ahead && s->client == c)
			server_input_left(s);	/* its replies may be here already */
		return;
	}
	if (ahead) {
		/*
		 * The statement ran on a replica behind the session's write:
		 * its replies are dropped unseen, then it goes to the primary
		 * from the copy the relay kept.
		 */
		stats_observe_causal((uint64_t)waited, false);
		log_info("C-%llu S-%llu node %s: causal read: replay not there after %lld us: "
			 "the answer is dropped, the primary answers", (unsigned long long)c->id,
			 (unsigned long long)s->id, s->pool->node_name, (long long)waited);
		if (s->causal_merged && s->batch_open) {
			/* the batch's Sync is still held in C's input (a shape check): one of ours ends it */
			proto_add_bodyless(bufferevent_get_output(s->bev), 'S');
			if (s->expect_rfq++ == 0)
				s->query_start_us = now_us();
			s->batch_open = false;
			s->shape_hold = false;
			reply_push(s, 'S', REPLY_HIDE, NULL, NULL, NULL);
		}
		for (uint32_t i = 0; i < reply_ring_len(&s->replies); i++) {
			struct reply *r = reply_ring_at(&s->replies, i);
			if (r->action == REPLY_FAKE) {
				/* answered by pgsteer already (cannot be admitted ahead): no safe replay */
				causal_lost_replay(c, s);
				return;
			}
			r->action = REPLY_DISCARD;
		}
		s->causal_phase = 6;
		c->causal_lsn = 0;
		c->last_causal_us = -1;
		if (reply_ring_len(&s->replies) == 0)
			causal_discarded(c, s);
		else
			server_input_left(s);
		return;
	}
	if (s->causal_phase == 1 && limit - waited >= CAUSAL_POLL_US) {
		/* the server polls each millisecond: a shorter rest could only overrun */
		causal_wait_on_server(c, s, limit - waited);
		return;
	}
	stats_observe_causal((uint64_t)waited, false);
	log_info("C-%llu S-%llu node %s: causal read: replay not there after %lld us: the primary",
		 (unsigned long long)c->id, (unsigned long long)s->id, s->pool->node_name,
		 (long long)waited);
	s->causal_phase = 0;
	c->causal_lsn = 0;
	c->causal_fallback = true;
	c->last_causal_us = -1;
	if (rt.cfg->pool_mode == POOL_MODE_SESSION || c->pinned) {
		park(c, s, true);
	} else {
		unlink_pair(c, s);
		pool_release(s);
	}
	client_set_state(c, CL_IDLE);
	relay_client_input(c);
}

/* The login's server answered: the client learns the parameters and goes idle. */
static void login_finish(struct client *c, struct server *s)
{
	if (s->sync_error[0]) {
		/* as PostgreSQL refuses a bad startup setting: FATAL */
		s->close_when_idle = true;
		client_fail(c, "FATAL", s->sync_sqlstate[0] ? s->sync_sqlstate : "22023", "%s",
			    s->sync_error);
		return;
	}
	carry_login_synced(c, s);
	client_welcome(c, &s->params);
	client_set_state(c, CL_IDLE);
	if (rt.cfg->pool_mode == POOL_MODE_SESSION) {
		park(c, s, false);	/* the session keeps its primary connection */
	} else {
		unlink_pair(c, s);
		pool_release(s);
	}
	conn_read_enable(&c->rd);
	relay_client_input(c);
}

/* Server bytes arrived. */
void relay_server_input(struct server *s)
{
	if (s->state == SV_ACTIVE && s->client)
		relay_server_to_client(s, s->client);
	else
		idle_server_input(s);
}

/* The client is going away: decide the fate of its server. */
void relay_client_gone(struct client *c)
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
 * Does C's connection go on when its server dies under it?  Only under
 * transaction pooling, outside a transaction, with nothing pinned: else
 * its state was on that backend, and it ends as it would directly.
 */
static bool survives_server_loss(const struct client *c)
{
	return rt.cfg->pool_mode == POOL_MODE_TRANSACTION && !c->route.in_transaction &&
	       c->tx_status == 'I' && !c->pinned;
}

/*
 * An ErrorResponse at OFF of S's input for C: a FATAL (or PANIC) says the
 * backend is about to go.  C hears it once, in PostgreSQL's words: as a
 * FATAL when C's connection will end with it (its state was there), else
 * as an ERROR (the statement failed; the next one gets another server),
 * and relay_server_gone() then adds no error of its own.  True when the
 * message was FATAL (left in place, for the relay to pass on).
 */
static bool fatal_to_client(struct client *c, struct server *s, struct evbuffer *in, size_t off,
			    uint32_t len)
{
	uint8_t *msg = evbuffer_pullup(in, (ev_ssize_t)(off + 1 + len)) + off, *end = msg + 1 + len;
	uint8_t *sev[2];	/* the S and V values that say FATAL or PANIC */
	int n = 0;
	bool fatal = false;

	for (uint8_t *p = msg + PROTO_HEADER_LEN; p < end && *p; ) {
		uint8_t *val = p + 1, *z = memchr(val, 0, (size_t)(end - val));
		if (!z)
			return false;
		if ((*p == 'S' || *p == 'V') && n < 2 &&
		    (strcmp((char *)val, "FATAL") == 0 || strcmp((char *)val, "PANIC") == 0)) {
			sev[n++] = val;
			fatal |= *p == 'V';	/* V is never translated */
		}
		p = z + 1;
	}
	if (!fatal)
		return false;
	s->fatal_relayed = true;
	if (survives_server_loss(c))
		while (n > 0)
			memcpy(sev[--n], "ERROR", 5);	/* same length */
	return true;
}

void relay_parked_server_lost(struct server *s, const char *sqlstate, const char *message)
{
	struct client *c = s->parked_for;

	if (!c || survives_server_loss(c) ||
	    c->state == CL_CLOSED || c->state == CL_FLUSHING)
		return;
	unpark(c, c->parked[1] == s);	/* it goes; the session with it */
	log_info("C-%llu %s@%s: its session's server S-%llu node %s went away: %s (%s)",
		 (unsigned long long)c->id, c->user, c->database, (unsigned long long)s->id,
		 s->pool->node_name, message, sqlstate);
	client_fail(c, "FATAL", sqlstate, "%s", message);
}

/*
 * The server died under C: only C is affected.  Outside a transaction the
 * statement in flight fails with an ERROR and the client stays connected
 * (its next statement gets another server); inside one, the transaction
 * is gone and so is the session, as when PostgreSQL itself goes away.
 */
void relay_server_gone(struct server *s, const char *reason)
{
	struct client *c = s->client;
	struct evbuffer *out;
	int owed = s->expect_rfq;
	bool open = s->batch_open;

	if (!c)
		return;
	reply_abort(s);		/* undo what the lost requests registered for C */
	c->cancel_dropped = false;
	setops_free(c->pending_ops);
	c->pending_ops = NULL;
	unlink_pair(c, s);
	if (s->causal_phase >= 4) {
		s->causal_phase = 0;	/* the statement went ahead: the replay below sends it again */
		c->causal_lsn = 0;
		c->causal_fallback = true;
	} else if (s->causal_phase) {
		/* only our check ran there: the statement, untouched, goes elsewhere */
		s->causal_phase = 0;
		c->causal_lsn = 0;
		c->causal_fallback = true;
		s->pool->suspect_until_ms = now_ms() + 1000;
		client_set_state(c, CL_IDLE);
		conn_read_enable(&c->rd);
		relay_client_input(c);
		return;
	}
	if (c->state == CL_LOGIN_WAIT) {
		client_fail(c, "FATAL", "08006", "server connection to node %s closed during login: %s",
			    s->pool->node_name, reason);
		return;
	}
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
		relay_forget_replay(c);
		c->pkt_remain = 0;
		client_set_state(c, CL_IDLE);
		conn_read_enable(&c->rd);
		relay_client_input(c);
		return;
	}
	relay_forget_replay(c);
	if (!survives_server_loss(c)) {
		/* its state (transaction, session, pinned settings) was on that backend */
		if (s->fatal_relayed)
			client_flush_and_close(c, "its server's FATAL was passed on");	/* one error, as directly */
		else
			client_fail(c, "FATAL", "08006", "server connection to node %s closed: %s",
				    s->pool->node_name, reason);
		return;
	}
	log_info("C-%llu %s@%s: server S-%llu node %s lost mid-statement: %s", (unsigned long long)c->id,
		 c->user, c->database, (unsigned long long)s->id, s->pool->node_name, reason);
	out = bufferevent_get_output(c->bev);
	if ((owed > 0 || open) && !s->fatal_relayed) {	/* else its error, made an ERROR, went */
		char msg[300];
		snprintf(msg, sizeof(msg), "server connection to node %s closed: %s; the statement may "
			 "not have completed", s->pool->node_name, reason);
		/* query_timeout: a cancelled statement, as with statement_timeout */
		proto_add_error(out, "ERROR", s->timeout_cancel_ms ? "57014" : "08006", msg, NULL);
	}
	for (int i = 0; i < owed; i++)
		proto_add_ready(out, 'I');
	c->want_lsn = false;
	client_set_state(c, CL_IDLE);
	c->route.txn_on_replica = false;
	/* what the client has not finished sending belongs to the failed statement */
	if (open) {
		c->discard = DISCARD_TO_SYNC;
		c->discard_last = false;
	} else if (c->pkt_remain) {
		c->discard = DISCARD_REST;
	}
	conn_read_enable(&c->rd);
	relay_client_input(c);
}

/* C's output drained: resume reading its server. */
void relay_client_drained(struct client *c)
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
void relay_server_drained(struct server *s)
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

/*
 * query_timeout: a statement running longer is cancelled; if its server
 * does not answer the cancel within server_connect_timeout (a stalled or
 * unreachable node), the server is closed and the client gets the error
 * (a read outside a transaction is sent again elsewhere).  True when the
 * client's server was closed.
 */
static bool query_timed_out(struct client *c, struct server *s, int64_t now)
{
	const struct config *cfg = rt.cfg;
	int64_t running_ms = (now_us() - s->query_start_us) / 1000;
	int64_t grace = cfg->server_connect_timeout_ms < 1000 ? 1000 : cfg->server_connect_timeout_ms;

	if (running_ms <= cfg->query_timeout_ms)
		return false;
	if (!s->timeout_cancel_ms) {
		log_info("C-%llu %s@%s: query_timeout (%lld ms) on S-%llu node %s: cancelling",
			 (unsigned long long)c->id, c->user, c->database, (long long)cfg->query_timeout_ms,
			 (unsigned long long)s->id, s->pool->node_name);
		s->timeout_cancel_ms = now;
		cancel_server(s);
		return false;
	}
	if (now - s->timeout_cancel_ms < grace)
		return false;
	server_close(s, "query_timeout: the server did not answer the cancel");
	return true;
}

/*
 * Has the monitor stopped vouching for the replica POOL points at (down,
 * or no check answered in time: lag unknown)?  *SNAP is taken on first use.
 */
/* What the monitor says of POOL's node (SNAP taken on first use), NULL if nothing. */
static const struct node_status *pool_node_status(const struct pool *pool,
						  const struct cluster_snapshot **snap)
{
	if (!*snap)
		*snap = monitor_snapshot_get(rt.monitor);
	if (pool->node_index < 0 || pool->node_index >= (*snap)->n_nodes)
		return NULL;
	return &(*snap)->nodes[pool->node_index];
}

static bool replica_unresponsive(const struct pool *pool, const struct cluster_snapshot **snap)
{
	const struct node_status *n = pool_node_status(pool, snap);

	return n && n->role == ROLE_REPLICA && (!n->up || !n->lag_known);
}

/*
 * A statement waiting on a node the monitor found down and silent (its
 * checks got no answer within health_check_timeout: a frozen host or a
 * cut network, not a server that refuses or errs), and waiting longer
 * than that itself.  Nothing will come back, and TCP keeps such a
 * connection open for hours: the connection is closed, so the client
 * gets an error now (its statement may or may not have completed, as
 * with any lost connection) instead of hanging until the node returns.
 * Reads that can go elsewhere were moved before (retry_stalled_read()).
 * True when C's server was closed.
 */
static int64_t silent_after_ms(void)
{
	return rt.cfg->health_check_timeout_ms > 0 ? rt.cfg->health_check_timeout_ms : 2000;
}

/* POOL's node, if the monitor found it down and silent (see fail_on_silent_node()). */
static const struct node_status *silent_node(const struct pool *pool, const struct cluster_snapshot **snap)
{
	const struct node_status *n = pool_node_status(pool, snap);

	return n && !n->up && n->unresponsive ? n : NULL;
}

static bool fail_on_silent_node(struct client *c, const struct cluster_snapshot **snap)
{
	struct server *s = c->server;
	const struct node_status *n;

	if (!s || s->expect_rfq == 0 || now_us() - s->query_start_us < silent_after_ms() * 1000 ||
	    !(n = silent_node(s->pool, snap)))
		return false;
	log_warning("C-%llu %s@%s: node %s is down and silent (%s); its server S-%llu owes an answer "
		    "for %lld ms: closing it", (unsigned long long)c->id, c->user, c->database,
		    s->pool->node_name, n->last_error, (unsigned long long)s->id,
		    (long long)((now_us() - s->query_start_us) / 1000));
	server_close(s, "the node stopped answering");
	return true;
}

/*
 * A causal check unanswered this long past causal_read_timeout: the
 * replica is frozen or swamped, not merely behind (a check costs it
 * microseconds), so the read should not wait for the monitor to notice.
 */
#define CAUSAL_STALL_MS 100

/*
 * A read on a replica the monitor no longer vouches for, or whose causal
 * check has stalled, with nothing come back yet and no transaction: it
 * goes elsewhere (the relay sends the kept bytes again when the server is
 * gone, and keeps reads off that replica for a second), instead of
 * waiting for a frozen server.  True when C's server was closed.
 */
static bool retry_stalled_read(struct client *c, const struct cluster_snapshot **snap)
{
	struct server *s = c->server;
	bool causal_stalled;

	if (!c->on_replica || !s || s->expect_rfq == 0 ||
	    (!s->causal_phase && (!c->replay_ok || c->replay_len == 0 || c->route.in_transaction ||
				  rt.cfg->pool_mode != POOL_MODE_TRANSACTION)))
		return false;
	if (s->causal_phase == 6 && now_us() - s->causal_start_us >
	    (rt.route_cfg.causal_read_timeout_ms + CAUSAL_STALL_MS) * 1000) {
		/*
		 * Its check failed, and the statement sent behind it still runs
		 * there (a long one): the primary runs it now, and the replica's
		 * copy is cancelled, rather than the client waiting for an answer
		 * nobody reads.
		 */
		log_info("C-%llu %s@%s: the read dropped on replica %s still runs after %lld ms (S-%llu): "
			 "cancelled there, the primary answers", (unsigned long long)c->id, c->user, c->database,
			 s->pool->node_name, (long long)((now_us() - s->causal_start_us) / 1000),
			 (unsigned long long)s->id);
		cancel_server(s);
		causal_discarded(c, s);
		return true;
	}
	causal_stalled = s->causal_phase && s->causal_phase != 6 &&	/* 6: answered, not there */
			 now_us() - s->causal_start_us >
			 (rt.route_cfg.causal_read_timeout_ms + CAUSAL_STALL_MS) * 1000;
	if (!causal_stalled && !replica_unresponsive(s->pool, snap))
		return false;
	if (causal_stalled) {
		log_info("C-%llu %s@%s: replica %s did not answer a causal check within %lld ms (S-%llu): "
			 "the read goes elsewhere", (unsigned long long)c->id, c->user, c->database,
			 s->pool->node_name, (long long)(rt.route_cfg.causal_read_timeout_ms + CAUSAL_STALL_MS),
			 (unsigned long long)s->id);
		stats_observe_causal((uint64_t)(now_us() - s->causal_start_us), false);
	} else {
		log_info("C-%llu %s@%s: replica %s stopped answering (S-%llu): the read goes elsewhere",
			 (unsigned long long)c->id, c->user, c->database, s->pool->node_name,
			 (unsigned long long)s->id);
	}
	server_close(s, "replica stopped answering: its read is retried elsewhere");
	return true;
}

/*
 * Bytes a client has sent of a message pgsteer must see whole before it
 * acts (a statement to classify), waiting for the rest: input left over
 * after the relay took what it could.  Below HELD_MIN nothing is tracked.
 */
#define HELD_MIN (64 * 1024)
static size_t held_input(const struct client *c)
{
	struct evbuffer *in;
	size_t n;
	uint8_t type;
	uint32_t len;

	if (!c->bev || (c->state != CL_IDLE && c->state != CL_ACTIVE) || c->read_paused ||
	    c->pkt_remain)
		return 0;
	in = bufferevent_get_input(c->bev);
	n = evbuffer_get_length(in);
	if (n < HELD_MIN || !proto_peek_header(in, 0, &type, &len) || n >= 1 + (size_t)len)
		return 0;	/* nothing much, or whole messages waiting their turn */
	return n;
}

/*
 * Clients cannot hold memory with messages they never finish:
 * client_message_timeout ends one whose message stays incomplete that
 * long, and past client_buffer_limit (all of this worker's clients) the
 * client holding the most is closed.
 */
static void bound_held_input(int64_t now)
{
	const struct config *cfg = rt.cfg;
	struct client *largest = NULL;
	size_t total = 0, most = 0;
	struct list *it, *tmp;

	list_for_each_safe(it, tmp, &rt.clients) {
		struct client *c = container_of(it, struct client, head);
		size_t held = held_input(c);
		if (held < HELD_MIN) {
			c->held_since_ms = 0;
			continue;
		}
		if (!c->held_since_ms)
			c->held_since_ms = now;
		if (cfg->client_message_timeout_ms > 0 && now - c->held_since_ms > cfg->client_message_timeout_ms) {
			stats.clients_buffer_closed++;
			client_fail(c, "FATAL", "08P01", "client_message_timeout: %zu bytes of a message, "
				    "the rest not sent within %lld ms", held, (long long)cfg->client_message_timeout_ms);
			continue;
		}
		total += held;
		if (held > most) {
			most = held;
			largest = c;
		}
	}
	if (largest && cfg->client_buffer_limit > 0 && total > cfg->client_buffer_limit) {
		stats.clients_buffer_closed++;
		client_fail(largest, "FATAL", "53200", "client_buffer_limit: incomplete messages of all "
			    "clients hold %zu bytes (limit %llu); this one holds %zu", total,
			    (unsigned long long)cfg->client_buffer_limit, most);
	}
}

/* Client-side timeouts (pool.c handles the server side). */
void relay_janitor(int64_t now)
{
	const struct config *cfg = rt.cfg;
	const struct cluster_snapshot *snap = NULL;
	struct list *it, *tmp;

	list_for_each_safe(it, tmp, &rt.clients) {
		struct client *c = container_of(it, struct client, head);
		int64_t in_state = now - c->state_since_ms;
		switch (c->state) {
		case CL_STARTUP:
		case CL_AUTH_LOOKUP:
		case CL_AUTH:
			if (cfg->client_login_timeout_ms > 0 && in_state > cfg->client_login_timeout_ms)
				client_fail(c, "FATAL", "08P01", "client_login_timeout: login not completed within %lld ms",
					    (long long)cfg->client_login_timeout_ms);
			break;
		case CL_WAITING:
			/* queued for a replica that stopped answering: another node can serve it */
			if (c->on_replica && c->target_pool && !c->route.in_transaction && !c->wait_probe &&
			    replica_unresponsive(c->target_pool, &snap)) {
				pool_client_gone(c);
				relay_reroute(c);
			} else if (c->on_replica && c->causal_lsn && c->target_pool && !c->route.in_transaction &&
				   !c->wait_probe &&
				   in_state > rt.route_cfg.causal_read_timeout_ms + CAUSAL_STALL_MS) {
				/*
				 * A causal read still waiting for a connection to its
				 * replica (a frozen one takes connections, never logs
				 * them in): it goes to the primary, as for a check
				 * unanswered, and reads stay off that replica a second.
				 */
				log_info("C-%llu %s@%s: no connection to replica %s within %lld ms for a causal read: "
					 "the read goes elsewhere", (unsigned long long)c->id, c->user, c->database,
					 c->target_pool->node_name, (long long)in_state);
				stats_observe_causal((uint64_t)in_state * 1000, false);
				c->target_pool->suspect_until_ms = now + 1000;
				c->causal_lsn = 0;
				c->causal_fallback = true;
				pool_client_gone(c);
				relay_reroute(c);
			} else if (c->target_pool && !c->wait_probe && in_state >= silent_after_ms() &&
				   silent_node(c->target_pool, &snap)) {
				/*
				 * Waiting for a connection to a node found down and
				 * silent (a frozen host takes connections and never
				 * logs them in): routed again, the statement goes to
				 * another node or is refused (57P03) now rather than
				 * when server_connect_timeout runs out.
				 */
				pool_client_gone(c);
				relay_reroute(c);
			} else if (c->wait_probe && c->lsn_probe && in_state >= silent_after_ms() &&
				   silent_node(c->lsn_probe->pool, &snap)) {
				/* the write's LSN probe will not be answered: route without it */
				server_close(c->lsn_probe, "the node stopped answering");
			}
			break;
		case CL_ACTIVE:
			if (c->on_replica && retry_stalled_read(c, &snap))
				break;
			if (fail_on_silent_node(c, &snap))
				break;
			if (cfg->query_timeout_ms > 0 && c->server && c->server->expect_rfq > 0 &&
			    query_timed_out(c, c->server, now))
				break;
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
			else if (c->bev && now - c->last_activity_ms > CLIENT_REST_AFTER_MS)
				client_rest(c);
			break;
		case CL_FLUSHING:
			if (in_state > 5000)
				client_close(c, "could not deliver final error");
			break;
		default:
			break;
		}
	}
	if (snap)
		monitor_snapshot_put(snap);
	bound_held_input(now);
}

/* ---------------- Internal functions ---------------- */

static void unlink_pair(struct client *c, struct server *s)
{
	Assert(c->server == s && s->client == c);
	c->server = NULL;
	s->client = NULL;
	if (c->async_held)
		deliver_held(c);
	/* backpressure (apply_backpressure()) set a watermark on the other side's output */
	if (s->read_paused) {
		s->read_paused = false;
		if (s->bev)
			conn_read_enable(&s->rd);
		if (c->bev)
			bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	}
	if (c->read_paused) {
		c->read_paused = false;
		if (c->bev && c->state != CL_FLUSHING && c->state != CL_CLOSED)
			conn_read_enable(&c->rd);
		if (s->bev)
			bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
	}
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

/* Session mode: keep S for C between statements instead of returning it. */
static void park(struct client *c, struct server *s, bool replica)
{
	unlink_pair(c, s);
	Assert(s->parked_for == NULL);
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

	Assert(s && s->parked_for == c);
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
bool relay_reuse_parked(struct client *c, struct pool **pool, const struct cluster_snapshot *snap,
			 uint64_t required_lsn)
{
	int slot = c->on_replica ? 1 : 0;
	struct server *p = c->parked[slot];
	char why[128];

	if (!p && slot == 0 && c->lsn_probe && c->lsn_probe->pool == *pool) {
		/* our primary connection is fetching the last write's position: wait for it */
		relay_wait_for_probe(c);
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
	c->last_pool = *pool;
	c->last_on_replica = slot;
	c->target_pool = *pool;
	relay_server_assigned(c, unpark(c, slot));
	return true;
}

/*
 * The write's position, and whether its commit waited for the WAL flush:
 * with synchronous_commit = off it did not, and the replicas see it only
 * once the WAL writer flushes it (up to wal_writer_delay later).  The WAL
 * block size tells an insert position just past a page header
 * (monitor_lsn_reachable()).
 */
#define LSN_PROBE_SQL \
	"SELECT pg_catalog.pg_current_wal_insert_lsn(), " \
	"pg_catalog.current_setting('synchronous_commit') = 'off', " \
	"pg_catalog.current_setting('wal_block_size')"

/*
 * C's write committed on S (the primary): ask S for the WAL insert
 * position, then release S.  Until the answer arrives the session needs
 * an LSN no replica can have, so its reads stay on the primary.
 */
/*
 * Before C can learn that its write committed (its ReadyForQuery is
 * forwarded next): sessions sharing its sticky key, and after DDL every
 * session, find the position S is about to probe pending.
 */
static void lsn_probe_pending(struct client *c, struct server *s)
{
	const char *key = client_ryw_key(c);

	snprintf(s->probe_key, sizeof(s->probe_key), "%s", key ? key : "");
	if (s->probe_key[0]) {
		shared_lock();
		sticky_pending(rt.sticky, s->probe_key, now_ms());
		shared_unlock();
	}
	if (c->ddl_barrier) {
		c->ddl_barrier = false;
		s->probe_barrier = c->cluster + 1;
		barrier_pending(c->cluster);
	}
}

/* After lsn_probe_pending(): ask S for C's write position. */
static void start_lsn_probe(struct client *c, struct server *s)
{
	unlink_pair(c, s);
	c->route.required_lsn = UINT64_MAX;
	if (c->lsn_probe)
		c->lsn_probe->probe_client = NULL;	/* an older probe: its answer is stale */
	c->lsn_probe = s;
	s->probe_client = c;
	server_set_state(s, SV_LSN_PROBE);
	s->unnamed_client = 0;	/* a Query drops the unnamed statement */
	if (!s->probe_behind)
		relay_send_query(s, LSN_PROBE_SQL);
	s->probe_behind = false;	/* its answer is what S's input has next */
	s->expect_rfq = 1;
}

/* Does transaction statement RES end its block for good (COMMIT or ROLLBACK, no AND CHAIN)? */
static inline bool ends_block(const struct classify_result *res)
{
	return !res->txn_and_chain && (res->txn == TXN_COMMIT || res->txn == TXN_ROLLBACK);
}

/*
 * What statement RES, run by the extended batch S is sending (an unnamed
 * Parse, or a Bind of a named statement), tells whether a probe may
 * follow the batch's Sync (probe_behind_write()).
 */
static void unit_note(struct server *s, const struct classify_result *res)
{
	s->unit_copy |= res->copy;
	if (res->cls == CLASS_TRANSACTION)
		s->unit_txn = ends_block(res) ? 2 : 1;
}

/*
 * C's write went to S (the primary) as the last thing in C's input, and
 * ends outside a transaction block (CLOSES_BLOCK: it is the COMMIT or
 * ROLLBACK of one; else it starts outside one): the probe of its
 * position goes right behind it, so that the backend answers it as soon
 * as it has committed, without waiting for a round trip through pgsteer
 * first (a statement after a write waits for that answer).  At the
 * write's ReadyForQuery, start_lsn_probe() takes the answer as its own,
 * unless probe_behind_hide() made it pgsteer's hidden one before.
 */
static void probe_behind_write(struct client *c, struct server *s, bool closes_block)
{
	if (!c->want_lsn || c->on_replica || c->pinned || rt.cfg->pool_mode != POOL_MODE_TRANSACTION ||
	    (!closes_block && (c->route.in_transaction || s->tx_status != 'I')) ||
	    s->expect_rfq != 1 || s->batch_open || s->causal_phase || s->shape_hold ||
	    s->cancels_pending > 0)
		return;
	relay_send_query(s, LSN_PROBE_SQL);
	s->probe_behind = true;
	log_debug("C-%llu S-%llu node %s: the write's position is asked for right behind it",
		  (unsigned long long)c->id, (unsigned long long)s->id, s->pool->node_name);
}

/*
 * The probe behind C's write on S cannot be the write's position after
 * all (WHY): C sent more before the write's ReadyForQuery (a pipeline,
 * which goes on on S), or the write left a transaction block open.  Its
 * answer becomes a hidden reply, dropped in its place in S's stream; the
 * position is asked for once C's link ends, as without the probe.
 */
static void probe_behind_hide(struct client *c, struct server *s, const char *why)
{
	log_debug("C-%llu S-%llu node %s: the probe behind the write is dropped: %s",
		  (unsigned long long)c->id, (unsigned long long)s->id, s->pool->node_name, why);
	s->probe_behind = false;
	if (s->expect_rfq++ == 0)
		s->query_start_us = now_us();
	reply_push(s, 'Q', REPLY_HIDE, NULL, NULL, NULL);
}

/* Nothing owed, nothing half-sent: the server can serve someone else. */
static bool server_is_clean(const struct server *s)
{
	return s->expect_rfq == 0 && !s->batch_open && s->pkt_remain == 0;
}

/* Does the reset query clear what its words say?  (DISCARD ALL clears everything.) */
static bool reset_clears(const char *reset, const char *what)
{
	return strcasestr(reset, "discard all") || strcasestr(reset, what);
}

/*
 * An unlinked clean server: roll back an open transaction, run the reset
 * query in session mode (or after a pinned client), then release.
 */
static void server_reset_or_release(struct server *s)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	bool session_mode = rt.cfg->pool_mode == POOL_MODE_SESSION;
	const char *reset = rt.cfg->server_reset_query;

	if (reply_ring_len(&s->replies))
		reply_abort(s);	/* nothing can be owed on a clean server */
	s->unnamed_client = 0;	/* its next client's Binds do not trust what it holds */
	if (s->dirty && !(reset && *reset)) {
		server_close(s, "holds session state and server_reset_query is empty");
		return;
	}
	if (s->tx_status != 'I') {
		proto_add_query(out, "ROLLBACK");
		s->expect_rfq++;
	}
	carry_txn_forget(s);	/* rolled back, or nothing was held */
	if ((session_mode || rt.cfg->server_reset_query_always || s->dirty) && reset && *reset) {
		proto_add_query(out, reset);
		s->expect_rfq++;
		if (reset_clears(reset, "deallocate all"))
			prep_server_clear(&s->prep);
		if (reset_clears(reset, "reset all")) {
			sessvars_free(&s->vars);
			s->vars_sig = 0;
		}
		s->dirty = false;
	}
	if (s->expect_rfq > 0) {
		server_set_state(s, SV_RESETTING);
		return;
	}
	pool_release(s);
}

/*
 * Move N bytes from IN towards DST.  When nothing is queued for DST, write
 * straight to its socket DST_FD (the connection's own copy of the fd: no
 * libevent call to ask for it): the common request/reply case then needs
 * no write-event registration and no extra loop iteration.  Whatever the
 * socket does not take goes through DST's output buffer.  A TLS DST is
 * written the same way, through conn_tls_write_now().
 */
void relay_move(struct evbuffer *in, struct bufferevent *dst, evutil_socket_t dst_fd,
		       bool dst_tls, size_t n)
{
	struct evbuffer *out = bufferevent_get_output(dst);

	if (evbuffer_get_length(out) != 0) {
		/* behind what is queued */
	} else if (dst_tls) {
		n -= conn_tls_write_now(dst, in, n);
	} else {
		struct evbuffer_iovec v;
		ssize_t w;

		/*
		 * Nearly always the N bytes sit in one chain (one read): one
		 * send(), which skips writev()'s vector import and file layer.
		 */
		if (evbuffer_peek(in, (ev_ssize_t)n, NULL, &v, 1) == 1 && v.iov_len >= n) {
			w = send(dst_fd, v.iov_base, n, MSG_NOSIGNAL);
			if (w > 0)
				evbuffer_drain(in, (size_t)w);
		} else {
			w = evbuffer_write_atmost(in, dst_fd, (ev_ssize_t)n);
		}
		if (w > 0)
			n -= (size_t)w;
		/* on error the buffered path below reports it through the event callback */
	}
	if (n)
		evbuffer_remove_buffer(in, out, n);
}

/*
 * relay_move() of IN's first N bytes to S behind the rewritten Bind head
 * PRE: both in one sendmsg() when nothing is queued (an evbuffer_add()
 * would schedule S's write event: two epoll_ctl() and a loop turn per
 * Bind), else queued in order.  PRE is empty afterwards.
 */
static void relay_move_after(struct evbuffer *in, struct server *s, struct bind_head *pre, size_t n)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	size_t pl = pre->len;

	pre->len = 0;
	if (!s->tls && evbuffer_get_length(out) == 0) {
		struct iovec iov[2] = { { pre->buf, pl }, { NULL, 0 } };
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 1 };
		struct evbuffer_iovec v;
		ssize_t w;

		if (n && evbuffer_peek(in, (ev_ssize_t)n, NULL, &v, 1) == 1 && v.iov_len >= n) {
			iov[1].iov_base = v.iov_base;
			iov[1].iov_len = n;
			mh.msg_iovlen = 2;
		}
		if (n == 0 || mh.msg_iovlen == 2) {
			w = sendmsg(s->fd, &mh, MSG_NOSIGNAL);
			if (w < 0)
				w = 0;	/* the buffered path reports an error through the event callback */
			if ((size_t)w < pl) {
				evbuffer_add(out, pre->buf + w, pl - (size_t)w);
			} else {
				evbuffer_drain(in, (size_t)w - pl);
				n -= (size_t)w - pl;
			}
			if (n)
				evbuffer_remove_buffer(in, out, n);
			return;
		}
	}
	evbuffer_add(out, pre->buf, pl);
	if (n)
		evbuffer_remove_buffer(in, out, n);
}

/*
 * pgsteer's own messages to a server in the relay's path (an LSN probe, a
 * causal check, a Query rewritten as a batch, settings carried to it) are
 * built here and sent with relay_send_own().  Built in the server's output
 * buffer, each scheduled the server's write event: two epoll_ctl(), a
 * writev() and a loop turn for every write's probe and every causal
 * check, where one send() does (measured: 2 epoll_ctl() and a writev()
 * per transaction of a write and two reads).  Per thread; empty between
 * uses, but for a pipelined check that waits there for its statement
 * (relay_server_assigned()).
 */
static _Thread_local struct evbuffer *own_msgs;

/* The buffer to build S's next own message in (S's output buffer if out of memory). */
static struct evbuffer *relay_own_buffer(struct server *s)
{
	if (!own_msgs)
		own_msgs = evbuffer_new();
	return own_msgs ? own_msgs : bufferevent_get_output(s->bev);
}

/* What relay_own_buffer() gave for S, B, to S: at once when nothing is queued, else behind it. */
static void relay_send_own(struct server *s, struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);

	if (n && b != bufferevent_get_output(s->bev))
		relay_move(b, s->bev, s->fd, s->tls, n);
}

void relay_send_query(struct server *s, const char *sql)
{
	struct evbuffer *own = relay_own_buffer(s);

	proto_add_query(own, sql);
	relay_send_own(s, own);
}

void relay_thread_end(void)
{
	if (own_msgs)
		evbuffer_free(own_msgs);
	own_msgs = NULL;
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

/*
 * A read sent to a replica outside a transaction can be sent again
 * elsewhere if that replica dies before answering: keep a copy of its
 * bytes until the first byte of the answer comes back (bounded).
 */
static char *replay_room(struct client *c, size_t n)
{
	size_t need = c->replay_len + n;

	if (need > REPLAY_LIMIT) {
		relay_forget_replay(c);
		return NULL;
	}
	if (!grow_buffer(&c->replay, &c->replay_cap, need, 512)) {
		relay_forget_replay(c);
		return NULL;
	}
	return c->replay + c->replay_len;
}

static void keep_for_replay(struct client *c, struct evbuffer *in, size_t n)
{
	char *to = replay_room(c, n);

	if (!to)
		return;
	/* the first N bytes of IN are what is about to be relayed */
	evbuffer_copyout(in, to, n);
	c->replay_len += (uint32_t)n;
}

static void keep_bytes_for_replay(struct client *c, const char *bytes, size_t n)
{
	char *to = replay_room(c, n);

	if (!to)
		return;
	memcpy(to, bytes, n);
	c->replay_len += (uint32_t)n;
}

void relay_forget_replay(struct client *c)
{
	c->replay_ok = false;
	c->replay_len = 0;
}

/*
 * A named prepared statement message at the head of IN, rewritten for S.
 * A Bind/Describe of a replica read stays replayable: the bytes the
 * rewrite consumed are kept as the client sent them.  False: wait for
 * more input.
 */
static bool relay_named(struct client *c, struct server *s, struct evbuffer *in, uint8_t type,
			uint32_t len, const struct named_msg *nm, struct bind_head *bh)
{
	size_t before = evbuffer_get_length(in), used;

	if (type == 'P' || type == 'C')
		relay_forget_replay(c);	/* a replay would register the name twice */
	if (carry_relay_named(c, s, in, type, len, nm, bh) == NAMED_WAIT)
		return false;
	used = before - evbuffer_get_length(in);
	if (c->replay_ok) {
		/* the consumed bytes, as the client sent them, are the head NM copied */
		if (used <= nm->head_len)
			keep_bytes_for_replay(c, nm->head, used);
		else
			relay_forget_replay(c);
	}
	stats.bytes_from_clients += used;
	return true;
}

/*
 * Send the first N bytes of C's input to S, counting them (and keeping
 * them for a replay); a pending Bind head BH goes first.
 */
static void forward_client_bytes(struct client *c, struct server *s, struct evbuffer *in, size_t n,
				 struct bind_head *bh)
{
	stats.bytes_from_clients += n;
	if (s->pool->node_index < STATS_MAX_NODES)
		stats.nodes[s->pool->node_index].bytes_to_server += n;
	if (c->replay_ok)
		keep_for_replay(c, in, n);
	if (bh->len)
		relay_move_after(in, s, bh, n);
	else
		relay_move(in, s->bev, s->fd, s->tls, n);
}

/*
 * May a pending Bind head wait through the message whose first bytes are
 * FIRST (7 of them when FIRST7)?  Only through those the relay forwards
 * as they are: Execute, Flush, Sync and a Describe of a portal (libpq sends
 * Bind, Describe, Execute, Sync).
 */
static bool head_waits_through(const uint8_t *first, bool first7)
{
	switch (first[0]) {
	case 'E':
	case 'H':
	case 'S':
		return true;
	case 'D':
		return first7 && first[5] == 'P';
	default:
		return false;
	}
}

/*
 * Does a Bind/Describe/Execute/Close not about a named statement, whose
 * first bytes are FIRST7 (NULL: fewer than 7 here), need no look at the
 * unnamed statement?  Yes unless a DEALLOCATE was answered here, or it
 * names the unnamed statement and S may not hold C's (the common Parse,
 * Bind, Execute, Sync on one server needs none).
 */
static inline bool unnamed_quiet(const struct client *c, const struct server *s, uint8_t type,
				 const uint8_t *first7)
{
	bool held = s->unnamed_client == c->id && s->unnamed_gen == c->unnamed_gen;

	if (c->unnamed == UNNAMED_FAKED || c->unnamed_portal_faked)
		return false;
	switch (type) {
	case 'E':
		return true;
	case 'B':	/* the unnamed portal: of a named statement, or of the unnamed one */
		return first7 && first7[5] == 0 && (first7[6] != 0 || held);
	case 'D':	/* a portal, a named statement, or the unnamed statement S holds */
		return first7 && (first7[5] != 'S' || first7[6] != 0 || held);
	default:	/* Close: of the unnamed statement, it is gone */
		return first7 && (first7[5] != 'S' || first7[6] != 0);
	}
}

/*
 * The Parse at OFF (FIRST7: its first bytes, or NULL) goes to S: if it is
 * of the unnamed statement, C's unnamed statement is now its text
 * (carry_unnamed_parse()); true when it is to be answered here instead.
 */
static bool unnamed_parse(struct client *c, struct server *s, struct evbuffer *in, size_t off,
			  uint32_t len, const uint8_t *first7, const struct classify_result *res)
{
	struct evbuffer_ptr p;
	struct evbuffer_iovec v;
	const char *msg;

	if (len < 6 || (first7 && first7[5] != 0))
		return false;	/* a named Parse pgsteer does not rewrite: the server's business */
	if (evbuffer_get_length(in) < off + 1 + (size_t)len)
		return carry_unnamed_parse(c, s, NULL, 0, NULL);	/* streamed */
	/* steer_inspect() looked at its text: it sits in one chain, mostly */
	if (off)
		evbuffer_ptr_set(in, &p, off, EVBUFFER_PTR_SET);
	if (evbuffer_peek(in, 1 + (ev_ssize_t)len, off ? &p : NULL, &v, 1) == 1 && v.iov_len >= 1 + (size_t)len)
		msg = v.iov_base;
	else
		msg = (const char *)evbuffer_pullup(in, (ev_ssize_t)(off + 1 + len)) + off;
	if (msg[5] != 0)
		return false;
	return carry_unnamed_parse(c, s, msg + 6, len - 5, res);
}

void relay_cancels_done(struct server *s)
{
	struct client *c = s->client;

	if (c && c->server == s && c->state == CL_ACTIVE)
		relay_client_to_server(c, s);	/* what waited for the cancel goes now */
}

/* Forward complete and partial client messages to the linked server. */
static void relay_client_to_server(struct client *c, struct server *s)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t avail = evbuffer_get_length(in);
	size_t off = 0;
	uint8_t type;
	uint32_t len;
	struct reply *head;
	struct named_msg nm;
	bool named;
	uint8_t tmp[7];
	const uint8_t *first, *first7;
	struct proto_window w;
	struct bind_head bh;
	bool unit_end = false;	/* the last message relayed ends a unit a probe may follow */
	bool unit_closes = false;	/* ... and ends a transaction block (COMMIT, ROLLBACK) */

	if (avail == 0 || c->read_paused || (s->causal_phase && s->causal_phase != 4) || s->shape_hold)
		return;
	if (s->probe_behind)
		probe_behind_hide(c, s, "more of the client's input follows it");
	if (s->cancels_pending > 0 && s->expect_rfq == 0 && !s->batch_open)
		return;	/* a cancel's signal may still land: not on the next statement (relay_cancels_done) */
	if (c->discard != DISCARD_NONE) {
		if (!discard_input(c))
			return;
		avail = evbuffer_get_length(in);
		if (avail == 0)
			return;
	}
	c->last_activity_ms = now_ms();
	bh.len = 0;
	avail = proto_window_load(&w, in);
	while (off < avail) {
		if (c->pkt_remain) {
			size_t take = avail - off < c->pkt_remain ? avail - off : c->pkt_remain;
			off += take;
			c->pkt_remain -= (uint32_t)take;
			continue;
		}
		/* one look: the header, and the 7 bytes that tell an unnamed Parse/Bind/Describe/Close */
		first = proto_window_bytes(&w, in, off, avail - off >= 7 ? 7 : PROTO_HEADER_LEN, tmp);
		if (!first)
			break;
		first7 = avail - off >= 7 ? first : NULL;
		type = first[0];
		len = proto_get_u32(first + 1);
		if (bh.len && !head_waits_through(first, first7 != NULL)) {
			/* what follows may write to S itself: the rewritten Bind goes first */
			forward_client_bytes(c, s, in, off, &bh);
			off = 0;
			avail = proto_window_load(&w, in);
			continue;
		}
		if (!proto_is_frontend_type(type) || len < 4 || len > rt.cfg->max_packet_size) {
			if (bh.len)
				relay_move_after(in, s, &bh, off);
			else if (off)
				relay_move(in, s->bev, s->fd, s->tls, off);
			if (!proto_is_frontend_type(type))
				client_fail(c, "FATAL", "08P01", "invalid frontend message type %d", type);
			else
				client_fail(c, "FATAL", "08P01", "invalid message length %u (max_packet_size %llu)",
					    len, (unsigned long long)rt.cfg->max_packet_size);
			return;
		}
		named = false;
		unit_end = unit_closes = false;
		if (type == 'P' || type == 'B' || type == 'D' || type == 'C') {
			enum named_kind k = carry_is_named(c, in, off, type, len, first7, &nm);
			if (k == NAMED_NEED_MORE)
				break;	/* a split message: its names decide how it is sent */
			named = k == NAMED_YES;
		}
		if (steer_must_inspect(type, named ? nm.st : NULL)) {
			struct classify_result res;
			enum inspect_verdict v = steer_inspect(c, s, in, off, type, len,
								   named ? nm.st : NULL, &res);
			if (v == INSPECT_WAIT || v == INSPECT_HOLD)
				break;
			if (v == INSPECT_ANSWERED || v == INSPECT_REWRITTEN) {
				/* input before OFF was forwarded, the statement consumed: rescan */
				if (c->state != CL_ACTIVE || c->server != s)
					return;
				if (c->discard != DISCARD_NONE && !discard_input(c))
					return;
				avail = proto_window_load(&w, in);
				off = 0;
				continue;
			}
			if (type == 'P' && !named && unnamed_parse(c, s, in, off, len, first7, &res)) {
				/* DEALLOCATE of one of its names: answered here, up to its Execute */
				if (off || bh.len)
					forward_client_bytes(c, s, in, off, &bh);
				relay_forget_replay(c);
				evbuffer_drain(in, 1 + (size_t)len);
				reply_push(s, 'P', REPLY_FAKE, NULL, NULL, NULL);
				s->batch_open = true;
				avail = proto_window_load(&w, in);
				off = 0;
				continue;
			}
			/*
			 * A session statement takes effect when it runs: a Query, or
			 * the unnamed Parse its Execute follows in the batch; a named
			 * statement at each Bind (its Parse runs nothing: a prepared
			 * DEALLOCATE ALL must not drop the names before it is bound).
			 */
			if ((type == 'Q' || (type == 'P' && !named)) &&
			    evbuffer_get_length(in) >= off + 1 + (size_t)len) {
				const char *sql;
				size_t sqllen;
				/*
				 * One statement, no COPY: it ends outside a transaction
				 * block when it starts outside one and is no BEGIN, or
				 * when it is a COMMIT or ROLLBACK (with no AND CHAIN).
				 */
				unit_closes = res.cls == CLASS_TRANSACTION && ends_block(&res);
				unit_end = type == 'Q' && !res.multi_statement && !res.copy &&
					   (res.cls != CLASS_TRANSACTION || unit_closes);
				if (type == 'P') {
					unit_note(s, &res);
					s->unit_parsed = true;
				}
				if (carry_notes(&res) && steer_message_text(in, off, type, len, &sql, &sqllen))
					carry_note_statement(c, s, &res, sql, sqllen);
			} else if (type == 'P') {
				s->unit_copy = true;	/* a huge Parse streamed unread */
			}
			if (type == 'B' && named)
				unit_note(s, &res);
			if (type == 'B' && named && carry_notes(&res)) {
				carry_note_statement(c, s, &res, nm.st->body,
						     strnlen(nm.st->body, nm.st->body_len));
			}
			/*
			 * DDL sent as a Query, an unnamed Parse or a Bind of a prepared
			 * one (a huge statement streamed unread has no class)
			 */
			if (res.ddl && !c->on_replica)
				c->ddl_barrier = true;	/* every session's reads wait for its commit */
			if (res.notifies)
				notifier_note(c, s);
			if ((type == 'B' || (!named && evbuffer_get_length(in) >= off + 1 + (size_t)len)) &&
			    res.ddl && rt.cfg->max_prepared_statements > 0)
				prepared_retire_all();	/* Parses after it get fresh statements */
			if (res.ddl && !c->route.in_transaction && (type == 'Q' || (type == 'P' && !named)) &&
			    evbuffer_get_length(in) >= off + 1 + (size_t)len) {
				const char *sql;
				size_t sqllen;
				if (steer_message_text(in, off, type, len, &sql, &sqllen))
					steer_database_ddl(c, sql, sqllen);
			}
			avail = proto_window_load(&w, in);	/* a look at its text may have moved it */
		}
		if (!named && (type == 'B' || type == 'D' || type == 'E' || type == 'C') &&
		    !unnamed_quiet(c, s, type, first7)) {
			/* the unnamed statement or portal, which S may not hold for C */
			enum unnamed_verdict uv;
			if (off || bh.len)
				forward_client_bytes(c, s, in, off, &bh);
			off = 0;
			uv = carry_unnamed_use(c, s, in, 0, type, len);
			avail = proto_window_load(&w, in);
			if (uv == UNNAMED_MORE)
				break;
			if (uv == UNNAMED_ANSWERED) {
				relay_forget_replay(c);
				continue;
			}
		}
		if (named) {
			/* a named prepared statement: sent under its shared server-side name */
			if (off)
				forward_client_bytes(c, s, in, off, &bh);
			off = 0;
			if (!relay_named(c, s, in, type, len, &nm, &bh))
				break;
			avail = proto_window_load(&w, in);
			continue;
		}
		switch (type) {
		case 'X':
			if (off)
				relay_move(in, s->bev, s->fd, s->tls, off);
			evbuffer_drain(in, PROTO_HEADER_LEN);
			client_close(c, "client sent Terminate");
			return;
		case 'F':
			/* fastpath calls (lo_*) may write; never to a replica */
			if (c->on_replica) {
				if (off)
					relay_move(in, s->bev, s->fd, s->tls, off);
				client_fail(c, "FATAL", "25006", "function calls are not allowed on a replica connection");
				return;
			}
			if (rt.cfg->read_your_writes == RYW_LSN && steer_cluster_has_replicas(c->cluster))
				c->want_lsn = true;
			/* fall through */
		case 'Q':
			if (type == 'Q')
				carry_unnamed_query(c, s);
			owe_ready(c, s, 'Q');
			break;
		case 'S':
			s->batch_open = false;
			owe_ready(c, s, 'S');
			unit_end = !s->unit_copy && s->unit_txn != 1;
			unit_closes = s->unit_txn == 2;
			s->unit_copy = s->unit_parsed = false;
			s->unit_txn = 0;
			break;
		case 'B':
			s->bound_stmt = NULL;	/* an unnamed or unknown statement's */
			if (!named && !s->unit_parsed)
				s->unit_copy = true;	/* a statement of an earlier batch: not seen */
			/* fall through */
		case 'P':
		case 'D':
		case 'C':
			reply_push(s, type, REPLY_FORWARD, NULL, NULL, NULL);
			if (type == 'D' && s->bound_stmt && reply_last(s)) {
				uint8_t b6[6];
				const uint8_t *h6 = len >= 5 ? proto_peek_bytes(in, off, 6, b6) : NULL;
				if (h6 && h6[5] == 'P')
					reply_last(s)->stmt = s->bound_stmt;	/* its columns: the statement's */
			}
			s->batch_open = true;
			break;
		case 'E':
			reply_push(s, type, REPLY_FORWARD, NULL, NULL, NULL);
			if (s->bound_stmt && reply_last(s))
				reply_last(s)->stmt = s->bound_stmt;
			/* fall through */
		case 'H':
			s->batch_open = true;
			break;
		default:
			break;	/* COPY data/done/fail, password: no reply owed by themselves */
		}
		c->pkt_remain = 1 + len;
	}
	if (off || bh.len)
		forward_client_bytes(c, s, in, off, &bh);
	if (unit_end && c->pkt_remain == 0 && evbuffer_get_length(in) == 0)
		probe_behind_write(c, s, unit_closes);
	steer_forget();	/* whatever steer_statement() saw has been relayed */
	head = reply_head(s);
	if (head && head->action == REPLY_FAKE && s->pkt_remain == 0) {
		/* answered by pgsteer with nothing owed before it: answer now */
		reply_emit_fakes(s, bufferevent_get_output(c->bev));
		if (end_link_if_done(c, s, 0))
			return;
	}
	apply_backpressure(s->bev, &c->rd, &c->read_paused);
}

/* Send the first N bytes of S's input to C, counting them. */
static void forward_server_bytes(struct server *s, struct client *c, struct evbuffer *in, size_t n,
				 bool answered)
{
	stats.bytes_to_clients += n;
	if (s->pool->node_index < STATS_MAX_NODES)
		stats.nodes[s->pool->node_index].bytes_from_server += n;
	if (answered)
		relay_forget_replay(c);
	relay_move(in, c->bev, c->fd, c->tls, n);
}

/*
 * S answered all of C's requests and is outside a transaction: end the
 * link (the first OFF bytes of S's input go to C first).  Returns true
 * when it ended.
 */
static bool end_link_if_done(struct client *c, struct server *s, size_t off)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);

	if (s->tx_status != 'I' || !server_is_clean(s) || c->pkt_remain != 0 ||
	    reply_ring_len(&s->replies) != 0)
		return false;
	bool probe;

	relay_forget_replay(c);
	if (c->want_lsn && c->pinned && !client_ryw_key(c) && !c->ddl_barrier) {
		/* its reads stay on this primary connection: no position needed (unpinning asks again) */
		c->want_lsn = false;
	}
	/*
	 * Pending before the ReadyForQuery goes: a session sharing a sticky
	 * key, or any session after DDL, must not read from a replica once
	 * this client can know its commit happened.
	 */
	probe = (c->want_lsn || s->probe_behind) && !c->on_replica;
	if (probe)
		lsn_probe_pending(c, s);
	else
		c->ddl_barrier = false;	/* no position to wait for (read_your_writes = off) */
	if (off)
		forward_server_bytes(s, c, in, off, false);
	client_set_state(c, CL_IDLE);
	c->last_activity_ms = c->state_since_ms;
	if (probe) {
		c->want_lsn = false;
		start_lsn_probe(c, s);
		s->probe_async = c->txn_async_commit;
	} else if (rt.cfg->pool_mode == POOL_MODE_SESSION || c->pinned) {
		park(c, s, c->on_replica);
	} else {
		unlink_pair(c, s);
		pool_release(s);
		s = NULL;	/* someone else's now */
	}
	c->txn_async_commit = false;	/* its transaction is over */
	/* the client may already have sent its next statement */
	relay_client_input(c);
	/* a notification behind the ReadyForQuery is the session's: deliver it now */
	if (s)
		server_input_left(s);
	return true;
}

/*
 * Bytes left in S's input after its link ended or its probe answered
 * (a NotificationResponse in the same read as the ReadyForQuery): handle
 * them now, not at the server's next read.
 */
static void server_input_left(struct server *s)
{
	if (s->state != SV_CLOSING && s->state != SV_CLOSED && s->bev && !s->read_paused &&
	    evbuffer_get_length(bufferevent_get_input(s->bev)) > 0)
		relay_server_input(s);
}

/*
 * An asynchronous message (NotificationResponse, NoticeResponse,
 * ParameterStatus) from a server that belongs to C but is not linked to
 * it (parked between statements, or fetching its write position).  It
 * goes out at once unless another server is half-way through a message
 * to C: then it waits in c->async_held for the end of that message.
 */
static void deliver_async(struct client *c, const uint8_t *msg, size_t n)
{
	if (c->state == CL_FLUSHING || c->state == CL_CLOSED)
		return;
	if (!c->bev) {
		log_warning("C-%llu %s@%s: asynchronous message for a resting client dropped",
			    (unsigned long long)c->id, c->user, c->database);
		return;
	}
	if (c->state == CL_ACTIVE && c->server && c->server->pkt_remain) {
		if (!c->async_held && !(c->async_held = evbuffer_new())) {
			log_error("C-%llu: out of memory: asynchronous message dropped",
				  (unsigned long long)c->id);
			return;
		}
		evbuffer_add(c->async_held, msg, n);
		return;
	}
	evbuffer_add(bufferevent_get_output(c->bev), msg, n);
}

/* Messages deliver_async() held for C: out now that no message is half relayed to it. */
static void deliver_held(struct client *c)
{
	if (c->async_held && evbuffer_get_length(c->async_held) > 0 && c->bev)
		evbuffer_add_buffer(bufferevent_get_output(c->bev), c->async_held);
}

/* A ReadyForQuery MSG (whole, 6 bytes) from S: its transaction status, one fewer owed. */
static void server_ready(struct server *s, const uint8_t *msg)
{
	s->tx_status = (char)msg[5];
	if (s->expect_rfq > 0)
		s->expect_rfq--;
}

/*
 * Column COL (from 0) of a DataRow MSG (whole; LEN as in its header): its
 * text at *VAL, *VLEN bytes.  False when it is absent or NULL.
 */
static bool datarow_column(const uint8_t *msg, uint32_t len, int col, const uint8_t **val,
			   uint32_t *vlen)
{
	size_t off = 7, end = 1 + (size_t)len;	/* type, length, int16 column count */

	if (len < 6 || ((msg[5] << 8) | msg[6]) <= col)
		return false;
	for (int i = 0;; i++) {
		uint32_t n;
		if (off + 4 > end)
			return false;
		n = proto_get_u32(msg + off);
		off += 4;
		if (n == UINT32_MAX) {		/* NULL */
			if (i == col)
				return false;
			continue;
		}
		if (n > end - off)
			return false;
		if (i == col) {
			*val = msg + off;
			*vlen = n;
			return true;
		}
		off += n;
	}
}

/* Is the second column of DataRow MSG (LEN as in its header) the boolean true? */
static bool datarow_second_true(const uint8_t *msg, uint32_t len)
{
	const uint8_t *v;
	uint32_t n;

	return datarow_column(msg, len, 1, &v, &n) && n == 1 && v[0] == 't';
}

/* The third column of a DataRow MSG (LEN from its header) as a small number; 0: absent or not one. */
static uint32_t datarow_third_u32(const uint8_t *msg, uint32_t len)
{
	const uint8_t *v;
	uint32_t n, num = 0;

	if (!datarow_column(msg, len, 2, &v, &n) || n == 0 || n > 9)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		num = num * 10 + (uint32_t)(v[i] - '0');
	}
	return num;
}

/* The WAL position in the first column of a text DataRow MSG (LEN as in its header); false if none. */
static bool datarow_lsn(const uint8_t *msg, uint32_t len, uint64_t *lsn)
{
	const uint8_t *v;
	uint32_t n;
	char text[32];

	if (!datarow_column(msg, len, 0, &v, &n) || n >= sizeof(text))
		return false;
	memcpy(text, v, n);
	text[n] = '\0';
	return monitor_parse_lsn(text, lsn);
}

/*
 * A whole reply (at the head of S's input) to a request of pgsteer's own:
 * consumed here, never seen by the client.  Returns false when the link
 * changed (a login finished).
 */
static bool hidden_reply(struct client *c, struct server *s, struct reply *r, uint8_t type, uint32_t len)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	const uint8_t *msg = evbuffer_pullup(in, 1 + (ev_ssize_t)len);
	const char *body = (const char *)msg + PROTO_HEADER_LEN;
	uint8_t flags = r->flags;

	if (flags & REPLY_CAUSAL)
		return causal_reply(c, s, type, msg, len);
	if ((flags & REPLY_SHAPE) && (type == 'T' || type == 'n'))
		return shape_answered(c, s, r, msg, len);
	switch (type) {
	case 'S': {
		size_t nl = strnlen(body, len - 4);
		if (nl + 1 < len - 4 && msg[len] == '\0')
			carry_param_status(c, s, body, body + nl + 1, false);
		break;
	}
	case 'E': {
		struct error_fields ef;
		proto_parse_error(msg + PROTO_HEADER_LEN, len - 4, &ef);
		log_warning("C-%llu S-%llu node %s: session settings refused: %s (%s)",
			    (unsigned long long)c->id, (unsigned long long)s->id, s->pool->node_name,
			    ef.message, ef.sqlstate);
		if (!s->sync_error[0]) {
			snprintf(s->sync_error, sizeof(s->sync_error), "%s", ef.message);
			snprintf(s->sync_sqlstate, sizeof(s->sync_sqlstate), "%s", ef.sqlstate);
		}
		s->close_when_idle = true;	/* its settings are not known any more */
		s->vars_sig = 0;
		break;
	}
	case 'Z':
		server_ready(s, msg);
		reply_pop(s, false);
		evbuffer_drain(in, 1 + (size_t)len);
		if (flags & REPLY_LOGIN) {
			login_finish(c, s);
			return false;
		}
		s->sync_error[0] = '\0';
		return true;
	default:
		if (reply_ends(r, type))
			reply_pop(s, false);
		break;
	}
	evbuffer_drain(in, 1 + (size_t)len);
	return true;
}

/*
 * The hidden Describe of a statement prepared afresh after DDL answered
 * (carry.c, check_shape()).  Columns other than those its clients were
 * told: the statement is retired as when PostgreSQL reports 0A000, so the
 * Bind waiting behind fails with that error and the driver prepares it
 * again.  Then the client's input goes on.  False when the link changed.
 */
static bool shape_answered(struct client *c, struct server *s, struct reply *r, const uint8_t *msg,
			   uint32_t len)
{
	struct pstmt *st = r->stmt;
	uint64_t shape = prepared_shape_of(msg, len);

	if (st && shape && shape != __atomic_load_n(&st->shape, __ATOMIC_RELAXED) && !prepared_retired(st)) {
		/* PostgreSQL's own words: drivers (asyncpg, pgJDBC) prepare again on this routine's name */
		static const char err[] = "SERROR\0VERROR\0C0A000\0Mcached plan must not change result type\0"
					  "Fplancache.c\0RRevalidateCachedQuery\0";
		prepared_retire(st, true, err, sizeof(err));	/* the final NUL ends the fields */
		stats.prepared_invalidations++;
		log_info("C-%llu S-%llu node %s: prepared statement %s has other columns since DDL: "
			 "its Binds fail with 0A000 until each client prepares it again",
			 (unsigned long long)c->id, (unsigned long long)s->id, s->pool->node_name,
			 st->server_name);
	}
	reply_pop(s, false);
	evbuffer_drain(bufferevent_get_input(s->bev), 1 + (size_t)len);
	s->shape_hold = false;
	s->shape_resume = false;
	relay_client_to_server(c, s);
	return s->client == c;
}

/* Does the message at OFF in IN (LEN from its header) mention "pgsteer_ (a server statement's name)? */
static bool names_server_statement(struct evbuffer *in, size_t off, uint32_t len)
{
	static const char mark[] = "\"pgsteer_";
	struct evbuffer_ptr start, end, hit;

	if (evbuffer_ptr_set(in, &start, off, EVBUFFER_PTR_SET) < 0 ||
	    evbuffer_ptr_set(in, &end, off + 1 + len, EVBUFFER_PTR_SET) < 0)
		return false;
	hit = evbuffer_search_range(in, mark, sizeof(mark) - 1, &start, &end);
	return hit.pos >= 0;
}

/* The columns a client is told a shared statement returns (the first time they are). */
static void note_shape(struct server *s, struct pstmt *st, struct evbuffer *in, size_t off, uint8_t type,
		       uint32_t len)
{
	uint8_t small[2048], *buf = small;
	struct evbuffer_ptr p;

	if (!prep_server_holds(&s->prep, st))
		return;	/* not described from that statement here */
	if (type == 'n') {
		prepared_note_shape(st, 1);
		return;
	}
	if ((size_t)len + 1 > sizeof(small) && !(buf = malloc((size_t)len + 1)))
		return;
	evbuffer_ptr_set(in, &p, off, EVBUFFER_PTR_SET);
	if (evbuffer_copyout_from(in, &p, buf, 1 + (size_t)len) == (ev_ssize_t)(1 + len))
		prepared_note_shape(st, prepared_shape_of(buf, len));
	if (buf != small)
		free(buf);
}

/* A hidden Describe failed (carry.c's reply_pop() said so): the client's input goes on. */
static void shape_resume(struct client *c, struct server *s)
{
	s->shape_resume = false;
	if (s->client == c && !s->shape_hold)
		relay_client_to_server(c, s);
}

/* The ErrorResponse at OFF (whole in IN) answered R, which used a shared statement. */
static void error_on_statement(struct client *c, struct server *s, const struct reply *r,
			       struct evbuffer *in, size_t off, uint32_t len)
{
	uint8_t body[1024];
	size_t n = len - 4 < sizeof(body) ? len - 4 : sizeof(body);
	struct evbuffer_ptr p;

	evbuffer_ptr_set(in, &p, off + PROTO_HEADER_LEN, EVBUFFER_PTR_SET);
	if (evbuffer_copyout_from(in, &p, body, n) == (ev_ssize_t)n)
		carry_error_on_statement(c, s, r, body, n);
}

/*
 * Every reply to what C sent ahead of a failed causal check has been
 * dropped: S goes back, and C's statement, from the relay's copy, is
 * routed again without a causal wait (to the primary).
 */
static void causal_discarded(struct client *c, struct server *s)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	bool cancelled = c->cancel_dropped;

	s->causal_phase = 0;
	c->causal_fallback = !cancelled;
	c->cancel_dropped = false;
	if (c->replay_len > 0)
		evbuffer_prepend(in, c->replay, c->replay_len);
	relay_forget_replay(c);
	c->pkt_remain = 0;
	unlink_pair(c, s);
	if (s->tx_status == 'I' && server_is_clean(s))
		pool_release(s);
	else
		server_close(s, "a dropped causal read left it busy");
	if (cancelled) {
		/* the client cancelled it meanwhile: as on PostgreSQL, it fails, and is not run again */
		relay_refuse(c, "57014", "canceling statement due to user request");
		return;
	}
	client_set_state(c, CL_IDLE);
	conn_read_enable(&c->rd);
	relay_client_input(c);
}

/*
 * One message of the replies to what C sent ahead of a failed causal
 * check (whole at the head of S's input): dropped, the bookkeeping kept.
 * False when the last one is gone and the link ended.
 */
static bool discard_reply(struct client *c, struct server *s, struct reply *r, uint8_t type,
			  const uint8_t *msg, uint32_t len)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);

	switch (type) {
	case 'Z':
		server_ready(s, msg);
		setops_free(reply_pop_group(s));	/* its SETs happen again where it is sent */
		s->group_error = false;
		break;
	case 'E':
		if (r->kind != 'Q' && r->kind != 'S')
			reply_error(s);	/* the server skips to Sync */
		break;
	case 'A':
	case 'N':
	case 'S':
		break;	/* asynchronous: not a reply */
	default:
		if (reply_ends(r, type))
			reply_pop(s, false);
		break;
	}
	evbuffer_drain(in, 1 + (size_t)len);
	if (reply_ring_len(&s->replies) == 0 && s->expect_rfq == 0) {
		causal_discarded(c, s);
		return false;
	}
	return true;
}

/*
 * One message of a causal check's reply (whole at the head of S's input):
 * the replay position, the wait's success or error, its ReadyForQuery.
 * Returns false when the link may have changed (the check is over).
 */
static bool causal_reply(struct client *c, struct server *s, uint8_t type, const uint8_t *msg,
			 uint32_t len)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	struct reply *head = reply_head(s);

	if (head && head->kind == 'P') {
		/* the check's hidden Parse: done, or failed (the check then fails, the read goes on) */
		if (type == 'E')
			log_warning("S-%llu node %s: the causal check could not be prepared",
				    (unsigned long long)s->id, s->pool->node_name);
		if (type == '1' || type == 'E')
			reply_pop(s, type == 'E');
		evbuffer_drain(in, 1 + (size_t)len);
		if (type == 'E' && s->causal_merged) {
			causal_merged_failed(c, s);	/* the rest of the batch is skipped too */
			return false;
		}
		return true;
	}
	if (s->causal_merged) {
		/* the check's BindComplete, its row, its CommandComplete */
		switch (type) {
		case '2':
			reply_pop(s, false);
			break;
		case 'D':
			if (datarow_second_true(msg, len))
				c->causal_unmerged = true;	/* not read committed: not replayed, as far as
								 * this read goes; its next checks take a Sync */
			else
				datarow_lsn(msg, len, &s->causal_seen);
			break;
		case 'C':
			evbuffer_drain(in, 1 + (size_t)len);
			reply_pop(s, false);
			causal_answered(c, s);
			return false;
		case 'E':
			if (head && head->stmt)
				prep_server_remove(&s->prep, head->stmt);	/* prepared afresh next time */
			evbuffer_drain(in, 1 + (size_t)len);
			causal_merged_failed(c, s);
			return false;
		default:
			break;	/* a notice */
		}
		evbuffer_drain(in, 1 + (size_t)len);
		return true;
	}
	switch (type) {
	case 'D':
		datarow_lsn(msg, len, &s->causal_seen);
		break;
	case 'C':
		if (s->causal_phase == 2)
			s->causal_seen = c->causal_lsn;	/* the wait ended without an error: replayed */
		break;
	case 'E': {
		struct reply *r = reply_head(s);
		if (r && r->stmt)
			prep_server_remove(&s->prep, r->stmt);	/* prepared afresh next time */
		break;	/* not replayed (s->causal_seen stays) */
	}
	case 'Z':
		server_ready(s, msg);
		reply_pop(s, false);
		evbuffer_drain(in, 1 + (size_t)len);
		causal_answered(c, s);
		return false;
	default:
		break;	/* RowDescription; an ErrorResponse: not replayed (s->causal_seen stays) */
	}
	evbuffer_drain(in, 1 + (size_t)len);
	return true;
}

/*
 * A check sharing the statement's batch failed (its Parse, Bind or
 * Execute): the server skips the rest of the batch, the client's part
 * too, up to its Sync.  Not replayed, as far as pgsteer knows: the
 * statement goes to the primary.
 */
static void causal_merged_failed(struct client *c, struct server *s)
{
	struct reply *r;

	while ((r = reply_head(s)) && (r->flags & REPLY_CAUSAL))
		reply_pop(s, true);
	reply_error(s);
	s->causal_seen = 0;
	causal_answered(c, s);
}

/* Forward server messages to the client; release the server when clean. */
static void relay_server_to_client(struct server *s, struct client *c)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	struct proto_window w;
	size_t avail, off = 0;
	uint8_t type;
	uint32_t len;
	uint8_t tmp[6];
	const uint8_t *hdr;
	bool answered = false;	/* a reply, not just a notice, went to the client */

	if (s->read_paused)
		return;
	avail = proto_window_load(&w, in);
	for (;;) {
		struct reply *r;
		if (s->pkt_remain) {
			if (off >= avail)
				break;
			size_t take = avail - off < s->pkt_remain ? avail - off : s->pkt_remain;
			off += take;
			s->pkt_remain -= (uint32_t)take;
			continue;
		}
		r = reply_head(s);
		if (r && r->action == REPLY_FAKE) {
			/* pgsteer's answers go out in their place in the stream */
			if (off)
				forward_server_bytes(s, c, in, off, answered);
			off = 0;
			avail = proto_window_load(&w, in);
			reply_emit_fakes(s, bufferevent_get_output(c->bev));
			if (end_link_if_done(c, s, 0))
				return;
			continue;
		}
		if (off >= avail || !(hdr = proto_window_bytes(&w, in, off, PROTO_HEADER_LEN, tmp)))
			break;
		type = hdr[0];
		len = proto_get_u32(hdr + 1);
		if (len < 4 || len > MAX_SERVER_MESSAGE) {
			if (off)
				relay_move(in, c->bev, c->fd, c->tls, off);
			server_close(s, "invalid message length from server");
			return;
		}
		if (r && r->action == REPLY_DISCARD) {
			const uint8_t *msg;
			if (avail - off < 1 + (size_t)len)
				break;
			if (off)
				forward_server_bytes(s, c, in, off, answered);
			off = 0;
			msg = evbuffer_pullup(in, 1 + (ev_ssize_t)len);
			if (!discard_reply(c, s, r, type, msg, len))
				return;
			avail = proto_window_load(&w, in);
			continue;
		}
		if (r && r->action == REPLY_HIDE && type != 'A' &&
		    !(type == 'E' && r->kind != 'Q' && !(r->flags & REPLY_CAUSAL))) {
			/* a reply to pgsteer's own request (an error on its Parse, the client sees) */
			if (avail - off < 1 + (size_t)len)
				break;
			if (off)
				forward_server_bytes(s, c, in, off, answered);
			off = 0;
			if (!hidden_reply(c, s, r, type, len))
				return;
			if (type == 'Z' && end_link_if_done(c, s, 0))
				return;	/* a hidden Sync closed a batch a held statement waited behind */
			avail = proto_window_load(&w, in);
			continue;
		}
		if (type != 'N' && type != 'S' && type != 'A')
			answered = true;
		else if (type == 'A' && __atomic_load_n(&notifiers_used, __ATOMIC_RELAXED)) {
			uint8_t *msg;
			if (avail - off < PROTO_HEADER_LEN + 4)
				break;
			if ((msg = evbuffer_pullup(in, (ev_ssize_t)(off + PROTO_HEADER_LEN + 4))))
				notification_pid(s, msg + off);
			avail = proto_window_load(&w, in);
		}
		if (type == 'C' && s->txn_ops) {
			/* settings held for the block's end: does it end in a rollback? */
			uint8_t buf[9];
			const uint8_t *tag = len == 4 + 9 ? proto_peek_bytes(in, off + PROTO_HEADER_LEN, 9, buf) : NULL;
			s->txn_rolled_back = tag && memcmp(tag, "ROLLBACK", 9) == 0;
		}
		if (type == 'Z') {
			const uint8_t *msg = proto_window_bytes(&w, in, off, 6, tmp);
			if (!msg)
				break;
			off += 6;
			s->tx_status = c->tx_status = (char)msg[5];
			if (s->expect_rfq > 0)
				s->expect_rfq--;
			if (s->expect_rfq == 0)
				stats_observe_query(s->pool->node_index, (uint64_t)(now_us() - s->query_start_us));
			carry_group_done(c, s, reply_pop_group(s), !s->group_error);
			s->group_error = false;
			c->route.in_transaction = s->tx_status != 'I';
			if (s->tx_status == 'I')
				c->route.txn_on_replica = false;
			if (end_link_if_done(c, s, off))
				return;
			if (s->probe_behind && server_is_clean(s))
				probe_behind_hide(c, s, "the write left a transaction block open");
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
				carry_param_status(c, s, buf, buf + nl + 1, true);
		} else if (type == 'E') {
			s->group_error = true;
			if (avail - off < 1 + (size_t)len)
				break;	/* whole: its severity may be rewritten */
			if (fatal_to_client(c, s, in, off, len)) {
				off += 1 + (size_t)len;
				continue;
			}
			if (c->prep.n && len < 8192 && names_server_statement(in, off, len)) {
				/* PostgreSQL named pgsteer's statement ("pgsteer_7" already exists): the client's name */
				uint8_t *body = malloc(len - 4);
				struct evbuffer_ptr p;
				size_t nlen;
				char *renamed;
				evbuffer_ptr_set(in, &p, off + PROTO_HEADER_LEN, EVBUFFER_PTR_SET);
				if (body && evbuffer_copyout_from(in, &p, body, len - 4) == (ev_ssize_t)(len - 4) &&
				    (renamed = carry_error_renamed(c, (const char *)body, len - 4, &nlen))) {
					uint8_t head[PROTO_HEADER_LEN] = { 'E' };
					if (off)
						forward_server_bytes(s, c, in, off, answered);
					off = 0;
					evbuffer_drain(in, 1 + (size_t)len);
					proto_put_u32(head + 1, (uint32_t)(4 + nlen));
					evbuffer_prepend(in, renamed, nlen);
					evbuffer_prepend(in, head, sizeof(head));
					len = (uint32_t)(4 + nlen);
					free(renamed);
					avail = proto_window_load(&w, in);
				}
				free(body);
			}
			if (r && r->kind != 'Q' && r->kind != 'S') {
				if (avail - off < 1 + (size_t)len)
					break;
				if (r->stmt)
					error_on_statement(c, s, r, in, off, len);
				if ((r->flags & REPLY_STALE_ERROR) && r->client_stmt &&
				    r->client_stmt->stale_error) {
					/* the statement's first error, word for word, for its driver */
					const struct pstmt *st = r->client_stmt;
					uint8_t head[PROTO_HEADER_LEN] = { 'E' };
					if (off)
						forward_server_bytes(s, c, in, off, answered);
					off = 0;
					evbuffer_drain(in, 1 + (size_t)len);
					proto_put_u32(head + 1, 4 + st->stale_error_len);
					evbuffer_add(bufferevent_get_output(c->bev), head, sizeof(head));
					evbuffer_add(bufferevent_get_output(c->bev), st->stale_error,
						     st->stale_error_len);
					reply_error(s);
					if (s->shape_resume) {
						shape_resume(c, s);
						if (s->client != c)
							return;
					}
					avail = proto_window_load(&w, in);
					continue;
				}
				reply_error(s);	/* the server now skips to Sync */
				off += 1 + (size_t)len;
				if (s->shape_resume) {
					/* a hidden Describe skipped: the client's messages go on after the error */
					forward_server_bytes(s, c, in, off, answered);
					off = 0;
					shape_resume(c, s);
					if (s->client != c)
						return;
					avail = proto_window_load(&w, in);
				}
				continue;
			}
		} else if (r && reply_ends(r, type)) {
			/* whole, so that a faked reply after it cannot split it */
			if (avail - off < 1 + (size_t)len)
				break;
			if (type == 'n' && (r->flags & REPLY_DROP_NODATA)) {
				/* a Query's client gets no NoData */
				if (off)
					forward_server_bytes(s, c, in, off, answered);
				off = 0;
				evbuffer_drain(in, 1 + (size_t)len);
				reply_pop(s, false);
				avail = proto_window_load(&w, in);
				continue;
			}
			if (r->kind == 'D' && r->stmt && !__atomic_load_n(&r->stmt->shape, __ATOMIC_RELAXED))
				note_shape(s, r->stmt, in, off, type, len);
			reply_pop(s, false);
			off += 1 + (size_t)len;
			continue;
		}
		s->pkt_remain = 1 + len;
	}
	if (off)
		forward_server_bytes(s, c, in, off, answered);
	if (c->async_held && s->pkt_remain == 0)
		deliver_held(c);
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
		/* whose server it is while unlinked: parked for a session, or probing for it */
		struct client *owner = s->parked_for ? s->parked_for
				       : s->state == SV_LSN_PROBE ? s->probe_client : NULL;

		if (len < 4 || len > MAX_PARAM_STATUS * 8) {
			server_close(s, "unexpected large message on an unlinked server");
			return;
		}
		if (evbuffer_get_length(in) < 1 + (size_t)len)
			return;
		uint8_t *msg = evbuffer_pullup(in, 1 + (ev_ssize_t)len);
		switch (type) {
		case 'Z':
			server_ready(s, msg);
			break;
		case 'E': {
			struct error_fields ef;
			proto_parse_error(msg + PROTO_HEADER_LEN, len - 4, &ef);
			log_warning("S-%llu node %s pid %d: error on unlinked server: %s (%s)",
				    (unsigned long long)s->id, s->pool->node_name, s->backend_pid,
				    ef.message, ef.sqlstate);
			if (strcmp(ef.severity, "FATAL") == 0 || strcmp(ef.severity, "PANIC") == 0 ||
			    s->state == SV_RESETTING || s->state == SV_LSN_PROBE) {
				if (strcmp(ef.severity, "FATAL") == 0 || strcmp(ef.severity, "PANIC") == 0)
					relay_parked_server_lost(s, ef.sqlstate[0] ? ef.sqlstate : "08006",
								 ef.message);
				evbuffer_drain(in, 1 + (size_t)len);
				server_close(s, "error while idle or resetting");
				return;
			}
			break;
		}
		case 'D': {
			uint64_t v;

			if (s->state != SV_LSN_PROBE || !datarow_lsn(msg, len, &v))
				break;
			v = monitor_lsn_reachable(v, datarow_third_u32(msg, len));
			/*
			 * The write's position counts for the sessions that share it
			 * even when its own client has left (a short connection that
			 * wrote and quit): DDL's for every session, a sticky key's
			 * for the key.
			 */
			if (s->probe_barrier)
				relay_barrier_done(s, v);
			if (s->probe_key[0]) {
				shared_lock();
				sticky_done(rt.sticky, s->probe_key, v, now_ms());
				shared_unlock();
				s->probe_key[0] = '\0';
			}
			if (s->probe_client) {
				s->probe_client->route.required_lsn = v;
				s->probe_client->lsn_async = s->probe_async || datarow_second_true(msg, len);
				log_debug("C-%llu: read-your-writes: replicas must replay %X/%X%s",
					  (unsigned long long)s->probe_client->id, (unsigned)(v >> 32),
					  (unsigned)v, s->probe_client->lsn_async ?
					  " (committed with synchronous_commit = off: no causal wait)" : "");
			}
			break;
		}
		case 'S': {
			const char *name = (const char *)msg + PROTO_HEADER_LEN;
			size_t blen = len - 4;
			size_t nl = strnlen(name, blen);
			if (nl + 1 < blen && msg[len] == '\0') {
				carry_param_status(owner, s, name, name + nl + 1, owner != NULL);
				if (owner)
					deliver_async(owner, msg, 1 + (size_t)len);
			}
			break;
		}
		case 'A':
		case 'N':
			/* LISTEN/NOTICE output of a server that belongs to a client reaches it now */
			if (type == 'A' && len >= 8)
				notification_pid(s, msg);
			if (owner)
				deliver_async(owner, msg, 1 + (size_t)len);
			else if (type == 'A')
				log_warning("S-%llu node %s pid %d: notification on a server that belongs to no client dropped",
					    (unsigned long long)s->id, s->pool->node_name, s->backend_pid);
			break;
		default:
			break;	/* command results of the reset or probe */
		}
		evbuffer_drain(in, 1 + (size_t)len);
		if (s->state == SV_LSN_PROBE && s->expect_rfq == 0) {
			struct client *pc = s->probe_client;
			if (s->probe_key[0]) {
				shared_lock();
				sticky_done(rt.sticky, s->probe_key, 0, now_ms());	/* no answer */
				shared_unlock();
				s->probe_key[0] = '\0';
			}
			if (s->probe_barrier)
				relay_barrier_done(s, 0);	/* no answer */
			if (pc) {
				pc->lsn_probe = NULL;
				s->probe_client = NULL;
			}
			/*
			 * A pinned (or session mode) client's primary connection goes
			 * back to it, unless it is on another one of the pool by now:
			 * it got pinned there while the probe ran (SET ROLE as its
			 * next statement), and that one holds its state.
			 */
			if (pc && (rt.cfg->pool_mode == POOL_MODE_SESSION || pc->pinned) && !pc->parked[0] &&
			    !(pc->server && pc->server->pool == s->pool)) {
				server_set_state(s, SV_ACTIVE);
				pc->parked[0] = s;	/* back to its session */
				s->parked_for = pc;
				relay_probe_done(pc);
				/* what came behind the probe's answer (a notification) goes on now */
				server_input_left(s);
				return;
			}
			/*
			 * Back to the pool, through the reset when it holds session
			 * state: a pinned client that left while its position was
			 * read (its temporary tables are still there).
			 */
			server_reset_or_release(s);
			if (pc)
				relay_probe_done(pc);
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

/* ---------------- Tenancy's interface to the data plane ---------------- */
