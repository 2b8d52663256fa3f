/*
 * Session state under pooling: what makes a client's next transaction on
 * another server connection (or a replica) behave as if it had stayed on
 * one backend.
 *
 * Replies owed.  Each server keeps a ring of the requests it has been
 * sent, in order, with what to do with their replies: forward them, hide
 * them (pgsteer's own Parse, Close or settings statement), or fake them
 * (a client Parse of a statement the server already holds, a client
 * Close, a DEALLOCATE of a protocol-level name).  PostgreSQL answers in
 * request order, so the head of the ring always says what the next reply
 * belongs to; a faked reply is emitted when its request reaches the head.
 * After an ErrorResponse on an extended-protocol request the server
 * ignores everything up to Sync: those requests are dropped from the ring
 * and whatever they registered is undone.  The ring itself is reply.c's;
 * this file owns what its entries hold (names, statement references,
 * settings changes) and the server-aware rules above.
 *
 * Named prepared statements.  A named Parse is interned by content
 * (prepared.c) and sent as "pgsteer_<id>"; Bind/Describe of the client's
 * name are rewritten to that name, preceded by a hidden Parse when the
 * server does not hold the statement yet.  A client Close only forgets
 * its own name.  Each server holds at most max_prepared_statements; the
 * least recently used one not used by the current client is closed.
 *
 * Settings.  The six settings PostgreSQL reports are learnt from
 * ParameterStatus; search_path and the track_extra_parameters settings
 * from SET/RESET statements (sessvar.c), applied when their Sync/Query
 * succeeds.  Before a client's statements run on a server whose
 * signature differs, one hidden statement makes them equal.
 *
 * Pins.  State that cannot be carried (temporary tables, LISTEN, session
 * advisory locks, WITH HOLD cursors, SET ROLE, SQL-level PREPARE, a SET
 * pgsteer cannot parse) pins the client to its server connection until
 * DISCARD ALL or disconnect; that server is reset before reuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "log.h"
#include "proto.h"
#include "carry.h"
#include "relay.h"
#include "server.h"
#include "stats.h"


/* What a Parse's text is read under, for sharing its statement: the client's search_path. */
static const char *parse_context(const struct client *c)
{
	const struct sessvar *v = sessvars_get(c->vars, "search_path");

	return v ? v->value : NULL;
}

/* NAME in lower case into DST (SESSVAR_NAME_LEN); false when too long. */
static bool lower_name(char *dst, const char *name)
{
	size_t i;
	for (i = 0; name[i] && i + 1 < SESSVAR_NAME_LEN; i++)
		dst[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	dst[i] = '\0';
	return name[i] == '\0';
}

static void ensure_prepared(struct client *c, struct server *s, struct pstmt *st);
static void push(struct server *s, struct reply r);
static void portal_fake(struct client *c, const char *name);
static void unnamed_fake(struct client *c, struct server *s, struct evbuffer *in, uint8_t kind,
			 uint32_t len, uint8_t flags);
static void server_vars_changed(struct server *s);
static void client_vars_changed(struct client *c);

/* ---------------- Replies owed ---------------- */

static bool is_extended(uint8_t kind)
{
	return kind == 'P' || kind == 'B' || kind == 'C' || kind == 'D' || kind == 'E';
}

/* Undo what a request that never ran registered. */
static void reply_undo(struct server *s, struct reply *r)
{
	if (r->server_reg)
		prep_server_remove(&s->prep, r->server_reg);
	if (r->client_name && s->client) {
		if (r->client_stmt)
			prep_client_add(&s->client->prep, r->client_name, r->client_stmt);
		else
			prep_client_remove(&s->client->prep, r->client_name);
	}
}

static void reply_clear(struct reply *r)
{
	/* nearly every reply owns nothing: no calls for it */
	if (r->client_name)
		free(r->client_name);
	if (r->client_stmt)
		prepared_unref(r->client_stmt);
	if (r->ops)
		setops_free(r->ops);
	memset(r, 0, sizeof(*r));
}

void reply_push(struct server *s, uint8_t kind, enum reply_action action, struct pstmt *server_reg,
		char *client_name, struct setop *ops)
{
	struct reply r = { kind, (uint8_t)action, 0, server_reg, client_name, NULL, ops, NULL };
	push(s, r);
}

/* Queue R (owning its name, statement reference and settings changes). */
static void push(struct server *s, struct reply r)
{
	uint8_t kind = r.kind;

	if (kind == 'S' || kind == 'Q') {
		s->skip_to_sync = false;
	} else if (s->skip_to_sync) {
		/* the server ignores it: it never happens */
		reply_undo(s, &r);
		reply_clear(&r);
		return;
	}
	if (!reply_ring_push(&s->replies, &r)) {
		log_error("S-%llu: out of memory for the reply queue", (unsigned long long)s->id);
		abort();
	}
}

/* The request just pushed (to add what it must undo). */
struct reply *reply_last(struct server *s)
{
	return reply_ring_last(&s->replies);
}

void reply_pop(struct server *s, bool failed)
{
	struct reply *r = reply_head(s);

	if (!r)
		return;
	if ((r->flags & REPLY_SHAPE) && s->shape_hold) {
		/* skipped by an error: what the client sent goes on (the server skips it too) */
		s->shape_hold = false;
		s->shape_resume = true;
	}
	if (failed)
		reply_undo(s, r);
	reply_clear(r);
	reply_ring_drop_head(&s->replies);
}

struct setop *reply_pop_group(struct server *s)
{
	struct reply *r;
	struct setop *ops = NULL;

	/* requests whose own ends we did not see (a bug if any): done all the same */
	while ((r = reply_head(s)) && is_extended(r->kind)) {
		log_warning("S-%llu: reply to '%c' not seen before ReadyForQuery",
			    (unsigned long long)s->id, r->kind);
		reply_pop(s, false);
	}
	if (r) {
		ops = r->ops;
		r->ops = NULL;
		reply_pop(s, false);
	}
	return ops;
}

void reply_error(struct server *s)
{
	struct reply *r;

	while ((r = reply_head(s)) && is_extended(r->kind))
		reply_pop(s, true);
	if (!r)
		s->skip_to_sync = true;	/* the Sync is still to come */
}

void reply_abort(struct server *s)
{
	while (reply_ring_len(&s->replies))
		reply_pop(s, true);
	s->skip_to_sync = false;
	s->group_error = false;
	s->shape_hold = false;
	s->shape_resume = false;
}

void carry_error_on_statement(struct client *c, struct server *s, const struct reply *r,
			      const uint8_t *body, size_t len)
{
	struct error_fields ef;
	struct pstmt *st = r->stmt;

	if (!st || !prep_server_holds(&s->prep, st))
		return;		/* not a shared statement (any more): nothing to refresh */
	proto_parse_error(body, len, &ef);
	if (strcmp(ef.sqlstate, "0A000") == 0 && strstr(ef.message, "must not change result type")) {
		/* the statement the clients described is gone: each must prepare it again */
		if (prepared_retired(st))
			return;
		prepared_retire(st, true, body, len);
		stats.prepared_invalidations++;
		log_info("C-%llu S-%llu node %s: prepared statement %s changed its result type: "
			 "its Binds fail with 0A000 until each client prepares it again",
			 c ? (unsigned long long)c->id : 0ULL, (unsigned long long)s->id,
			 s->pool->node_name, st->server_name);
		return;
	}
	if (strcmp(ef.sqlstate, "XX000") != 0 &&
	    !(strncmp(ef.sqlstate, "42", 2) == 0 && strstr(ef.message, " OID ")))
		return;
	prepared_invalidate(st);
	stats.prepared_invalidations++;
	log_info("C-%llu S-%llu node %s: prepared statement %s may have a stale plan (%s: %s): "
		 "every server connection prepares it afresh", c ? (unsigned long long)c->id : 0ULL,
		 (unsigned long long)s->id, s->pool->node_name, st->server_name, ef.sqlstate, ef.message);
}

/*
 * A Bind of a statement whose result type changed: instead of it, S gets
 * a statement that fails with PostgreSQL's 0A000 at that point, so the
 * client sees the error in order, the server skips to Sync and aborts the
 * transaction as PostgreSQL would have, and the driver prepares again.
 */
static void bind_fails_stale(struct server *s, struct pstmt *st, struct evbuffer *in, uint32_t len)
{
	static const char sql[] = "DO $pgsteer$BEGIN RAISE EXCEPTION USING ERRCODE = '0A000', "
				  "MESSAGE = 'cached plan must not change result type'; END$pgsteer$";
	static const uint8_t bind_exec[] = {
		'B', 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0,	/* portal "", statement "", no values */
		'E', 0, 0, 0, 9, 0, 0, 0, 0, 0,			/* portal "", all rows */
	};
	struct evbuffer *out = bufferevent_get_output(s->bev);
	char body[sizeof(sql) + 2] = { 0 };

	memcpy(body, sql, sizeof(sql));		/* query\0, then int16 0 parameter types */
	proto_add_parse(out, "", body, sizeof(body));
	reply_push(s, 'P', REPLY_HIDE, NULL, NULL, NULL);
	evbuffer_add(out, bind_exec, sizeof(bind_exec));
	reply_push(s, 'B', REPLY_HIDE, NULL, NULL, NULL);
	{
		/* its ErrorResponse goes to the client, as the server first said it */
		struct reply r = { 'E', REPLY_HIDE, REPLY_STALE_ERROR, NULL, NULL, st, NULL, NULL };
		prepared_ref(st);
		push(s, r);
	}
	s->batch_open = true;
	s->unnamed_client = 0;
	evbuffer_drain(in, 1 + (size_t)len);
}

void reply_emit_fakes(struct server *s, struct evbuffer *out)
{
	struct reply *r;

	while ((r = reply_head(s)) && r->action == REPLY_FAKE) {
		switch (r->kind) {
		case 'P':
		case 'C':
			proto_add_bodyless(out, r->kind == 'P' ? '1' : '3');
			break;
		case 'B':
			proto_add_bodyless(out, '2');
			break;
		case 'D':	/* of the faked unnamed DEALLOCATE: no parameters, no rows */
			if (r->flags & REPLY_DESCRIBE_STMT)
				evbuffer_add(out, "t\0\0\0\6\0\0", 7);
			proto_add_bodyless(out, 'n');
			break;
		case 'E':
			proto_add_command_complete(out, "DEALLOCATE");
			break;
		default:	/* a DEALLOCATE answered here */
			proto_add_command_complete(out, "DEALLOCATE");
			proto_add_ready(out, s->tx_status ? s->tx_status : 'I');
			break;
		}
		reply_pop(s, false);
	}
}

/* ---------------- Named prepared statements ---------------- */

/*
 * The names in the message at OFF: for P the statement, for B the portal
 * and statement, for D/C the object type and name.  Copies up to
 * NAMED_PEEK bytes into BUF; false when a name is not complete in them.
 */
static bool peek_names(struct evbuffer *in, size_t off, uint8_t type, uint32_t len, char *buf,
		       size_t *buf_len, const char **portal, const char **stmt)
{
	struct evbuffer_ptr p;
	size_t n = 1 + (size_t)len < NAMED_PEEK ? 1 + (size_t)len : NAMED_PEEK;
	size_t have = evbuffer_get_length(in) - off;
	const char *end, *q;

	if (have < n)
		n = have;
	evbuffer_ptr_set(in, &p, off, EVBUFFER_PTR_SET);
	if (n <= 5 || evbuffer_copyout_from(in, &p, buf, n) != (ev_ssize_t)n)
		return false;
	*buf_len = n;
	end = buf + n;
	q = buf + 5;
	*portal = NULL;
	if (type == 'D' || type == 'C') {
		if (*q != 'S')
			return false;	/* a portal: nothing to rewrite */
		q++;
	} else if (type == 'B') {
		*portal = q;
		q = memchr(q, '\0', (size_t)(end - q));
		if (!q)
			return false;
		q++;
	}
	if (q >= end || !memchr(q, '\0', (size_t)(end - q)))
		return false;
	*stmt = q;
	return true;
}

/*
 * Do a P/B/D/C message's first bytes FIRST (7, or 6 when LEN < 7) show
 * that it names no prepared statement?  The common case of the extended
 * protocol, told without copying the names out.
 */
static bool names_no_statement(const uint8_t *first, uint8_t type, uint32_t len)
{
	switch (type) {
	case 'P':
		return first[5] == 0;
	case 'B':		/* the unnamed portal of the unnamed statement */
		return first[5] == 0 && (len < 7 || first[6] == 0);
	default:		/* Describe/Close: of a portal, or of the unnamed statement */
		return first[5] != 'S' || len < 7 || first[6] == 0;
	}
}

enum named_kind carry_is_named(struct client *c, struct evbuffer *in, size_t off, uint8_t type,
			       uint32_t len, const uint8_t *first, struct named_msg *nm)
{
	uint8_t tmp[7];
	size_t want = 1 + (size_t)len < NAMED_PEEK ? 1 + (size_t)len : NAMED_PEEK;
	size_t n = len >= 7 ? 7 : 6;

	nm->st = NULL;
	if (rt.cfg->max_prepared_statements <= 0 || len < 6)
		return NAMED_NOT;
	/* the unnamed statement, the common case of the extended protocol: 7 bytes tell */
	if (!first)
		first = proto_peek_bytes(in, off, n, tmp);
	if (!first)
		return NAMED_NEED_MORE;
	if (names_no_statement(first, type, len))
		return NAMED_NOT;
	if (evbuffer_get_length(in) - off < want)
		return NAMED_NEED_MORE;	/* the names may not all be here yet */
	if (!peek_names(in, off, type, len, nm->head, &nm->head_len, &nm->portal, &nm->stmt) ||
	    !nm->stmt[0])
		return NAMED_NOT;	/* names longer than pgsteer rewrites: the server judges */
	if (type == 'P' || type == 'C')
		return NAMED_YES;
	/* a Bind/Describe of a name the client never parsed through us: the server says so */
	nm->st = prep_client_get(&c->prep, nm->stmt);
	return nm->st ? NAMED_YES : NAMED_NOT;
}

bool carry_bind_class(struct client *c, struct evbuffer *in, size_t off, uint32_t len,
		      struct classify_result *res)
{
	char buf[NAMED_PEEK];
	uint8_t tmp[7];
	const uint8_t *first = len < 6 ? NULL : proto_peek_bytes(in, off, len >= 7 ? 7 : 6, tmp);
	size_t n;
	const char *portal, *stmt;
	struct pstmt *st;

	if (first && names_no_statement(first, 'B', len))
		return false;
	if (!peek_names(in, off, 'B', len, buf, &n, &portal, &stmt) || !stmt[0])
		return false;
	st = prep_client_get(&c->prep, stmt);
	if (!st)
		return false;
	*res = st->cls;
	return true;
}

/* Add a Parse of ST under its server name to S's output. */
static void send_parse(struct server *s, const struct pstmt *st)
{
	proto_add_parse(bufferevent_get_output(s->bev), st->server_name, st->body, st->body_len);
	s->batch_open = true;
}

/* Make room on S for one more statement: close its least recently used one. */
static void evict_if_full(struct server *s)
{
	struct pstmt *victim;

	if (s->prep.n < (uint32_t)rt.cfg->max_prepared_statements)
		return;
	victim = prep_server_victim(&s->prep, s->prep_batch_start);
	if (!victim)
		return;		/* all in use by this client: go over the bound for now */
	proto_add_close_describe(bufferevent_get_output(s->bev), 'C', 'S', victim->server_name);
	s->batch_open = true;
	reply_push(s, 'C', REPLY_HIDE, NULL, NULL, NULL);
	stats.prepared_evictions++;
	prep_server_remove(&s->prep, victim);
}

/*
 * Does S hold ST, current (its use stamped)?  One prepared before
 * prepared_invalidate() is closed on S first (hidden): false, prepare it.
 */
static bool server_holds(struct server *s, struct pstmt *st)
{
	switch (prep_server_lookup(&s->prep, st, ++rt.prep_clock)) {
	case PREP_HELD:
		return true;
	case PREP_STALE:
		proto_add_close_describe(bufferevent_get_output(s->bev), 'C', 'S', st->server_name);
		s->batch_open = true;
		reply_push(s, 'C', REPLY_HIDE, NULL, NULL, NULL);
		prep_server_remove(&s->prep, st);
		return false;
	case PREP_ABSENT:
	default:
		return false;
	}
}

/* S must hold ST before a Bind/Describe of it: prepare it there, hiding the ParseComplete. */
static void ensure_prepared(struct client *c, struct server *s, struct pstmt *st)
{
	struct pstmt *dep = __atomic_load_n(&st->depends, __ATOMIC_ACQUIRE);

	if (dep)
		ensure_prepared(c, s, dep);	/* the statement its EXECUTE names */
	if (server_holds(s, st))
		return;
	evict_if_full(s);
	send_parse(s, st);
	if (!prep_server_add(&s->prep, st, rt.prep_clock)) {
		log_error("C-%llu S-%llu: out of memory tracking prepared statements",
			  (unsigned long long)c->id, (unsigned long long)s->id);
		abort();
	}
	reply_push(s, 'P', REPLY_HIDE, st, NULL, NULL);
	stats.prepared_parses++;
}

void carry_prepare_hidden(struct client *c, struct server *s, struct pstmt *st)
{
	ensure_prepared(c, s, st);
}

/*
 * DDL has run since ST was parsed (it left the registry), S is to prepare
 * it afresh, and its clients described its result before: the columns may
 * differ now.  PostgreSQL fails such a statement's execution with 0A000
 * ("cached plan must not change result type") on the connection that
 * prepared it, and the driver prepares it again; a fresh Parse here would
 * instead return rows the client decodes with the old description.
 */
static bool shape_unsure(struct server *s, struct pstmt *st)
{
	return !__atomic_load_n(&st->linked, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&st->shape, __ATOMIC_RELAXED) != 0 && !prep_server_holds(&s->prep, st);
}

/*
 * Prepare ST on S with a hidden Describe behind it and a Flush; the
 * client's message waits (s->shape_hold) until the description shows
 * whether the shape changed (relay.c retires ST then, and its Bind fails
 * with 0A000 as on PostgreSQL).  Inside the client's batch: no Sync.
 */
static void check_shape(struct client *c, struct server *s, struct pstmt *st)
{
	static const uint8_t flush[] = { 'H', 0, 0, 0, 4 };
	struct evbuffer *out = bufferevent_get_output(s->bev);

	ensure_prepared(c, s, st);
	proto_add_close_describe(out, 'D', 'S', st->server_name);
	reply_push(s, 'D', REPLY_HIDE, NULL, NULL, NULL);
	reply_last(s)->flags |= REPLY_SHAPE;
	reply_last(s)->stmt = st;
	evbuffer_add(out, flush, sizeof(flush));
	s->batch_open = true;
	s->shape_hold = true;
}

/*
 * Bind's new head into BH: portal PORTAL, the server's statement NAME; the
 * REST_LEN bytes of parameters follow from the client untouched.
 */
static void bind_head_set(struct server *s, struct bind_head *bh, const char *portal,
			  const char *name, size_t rest_len)
{
	size_t pl = strlen(portal) + 1, nl = strlen(name) + 1;

	Assert(bh->len == 0 && pl <= NAMED_PEEK && nl <= PREPARED_SERVER_NAME_LEN);
	bh->buf[0] = 'B';
	proto_put_u32(bh->buf + 1, (uint32_t)(4 + pl + nl + rest_len));
	memcpy(bh->buf + PROTO_HEADER_LEN, portal, pl);
	memcpy(bh->buf + PROTO_HEADER_LEN + pl, name, nl);
	bh->len = PROTO_HEADER_LEN + pl + nl;
	s->batch_open = true;
}

static char *execute_renamed(const char *text, size_t len, const char *new_name, size_t *out_len);

/*
 * A named Parse of SQL "EXECUTE name" where NAME is one of C's
 * protocol-level statements (asyncpg's fetch() names every statement,
 * psycopg names a text once prepare_threshold is reached): the shared
 * statement is "EXECUTE <its server name>", which depends on that one
 * being prepared first wherever it is.  NULL if BODY (BLEN bytes: text,
 * parameter types) is anything else.
 */
static struct pstmt *execute_parse_intern(struct client *c, const char *body, size_t blen,
					  const struct classify_result *res)
{
	struct pstmt *dep, *st;
	size_t qlen = strnlen(body, blen), nlen, plen;
	char *sql, *nb;

	if (!carry_execute_is_named(c, res) || !(dep = prep_client_get(&c->prep, res->object_name)) ||
	    qlen + 1 > blen || !(sql = execute_renamed(body, qlen + 1, dep->server_name, &nlen)))
		return NULL;
	plen = blen - (qlen + 1);
	nb = realloc(sql, nlen + plen);
	if (!nb) {
		log_error("out of memory rewriting EXECUTE");
		abort();
	}
	memcpy(nb + nlen, body + qlen + 1, plen);
	st = prepared_intern(nb, nlen + plen, parse_context(c), res);
	free(nb);
	if (st)
		prepared_depends(st, dep);
	log_debug("C-%llu: EXECUTE %s (named Parse) is prepared as EXECUTE %s", (unsigned long long)c->id,
		  res->object_name, dep->server_name);
	return st;
}

static enum named_result relay_parse(struct client *c, struct server *s, struct evbuffer *in,
				     uint32_t len)
{
	const char *msg, *name, *body;
	size_t nl, blen;
	struct pstmt *st, *known;
	struct classify_result res;

	if (evbuffer_get_length(in) < 1 + (size_t)len)
		return NAMED_WAIT;
	msg = (const char *)evbuffer_pullup(in, 1 + (ev_ssize_t)len);
	name = msg + 5;
	nl = strnlen(name, len - 4);
	body = name + nl + 1;
	blen = len - 4 - nl - 1;
	known = prep_client_get(&c->prep, name);
	if (known) {
		/*
		 * The client already has this name: PostgreSQL refuses (42P05).
		 * Let the server say so, about a statement it does hold.
		 */
		ensure_prepared(c, s, known);
		proto_add_parse(bufferevent_get_output(s->bev), known->server_name, body, blen);
		s->batch_open = true;
		reply_push(s, 'P', REPLY_FORWARD, NULL, NULL, NULL);
		evbuffer_drain(in, 1 + (size_t)len);
		return NAMED_DONE;
	}
	classify_sql(body, strnlen(body, blen), rt.knowledge, &res);
	st = execute_parse_intern(c, body, blen, &res);
	if (!st)
		st = prepared_intern(body, blen, parse_context(c), &res);
	char *cname = strdup(name);
	if (!st || !cname || !prep_client_add(&c->prep, name, st)) {
		log_error("C-%llu: out of memory for prepared statements", (unsigned long long)c->id);
		abort();
	}
	struct pstmt *dep = __atomic_load_n(&st->depends, __ATOMIC_ACQUIRE);
	if (dep)
		ensure_prepared(c, s, dep);	/* the statement its EXECUTE names, first */
	if (server_holds(s, st)) {
		reply_push(s, 'P', REPLY_FAKE, NULL, cname, NULL);	/* already there: fake it */
		stats.prepared_reused++;
	} else {
		evict_if_full(s);
		send_parse(s, st);
		prep_server_add(&s->prep, st, rt.prep_clock);
		reply_push(s, 'P', REPLY_FORWARD, st, cname, NULL);
		stats.prepared_parses++;
	}
	prepared_unref(st);	/* the client's name and the server hold it now */
	evbuffer_drain(in, 1 + (size_t)len);
	return NAMED_DONE;
}

enum named_result carry_relay_named(struct client *c, struct server *s, struct evbuffer *in,
				    uint8_t type, uint32_t len, const struct named_msg *nm,
				    struct bind_head *bh)
{
	const char *portal = nm->portal, *stmt = nm->stmt;
	struct pstmt *st = nm->st;
	size_t consumed;

	if (type == 'P')
		return relay_parse(c, s, in, len);
	if (type == 'C') {
		/* only the client's name goes; the server's statement stays for others */
		if (evbuffer_get_length(in) < 1 + (size_t)len)
			return NAMED_WAIT;
		st = prep_client_get(&c->prep, stmt);
		char *cname = st ? strdup(stmt) : NULL;
		if (st && cname) {
			/* skipped after an error, the Close never happened: keep how to undo it */
			struct reply r = { 'C', REPLY_FAKE, 0, NULL, cname, st, NULL, NULL };
			prepared_ref(st);
			prep_client_remove(&c->prep, stmt);
			push(s, r);
		} else {
			prep_client_remove(&c->prep, stmt);
			reply_push(s, 'C', REPLY_FAKE, NULL, NULL, NULL);
		}
		evbuffer_drain(in, 1 + (size_t)len);
		return NAMED_DONE;
	}
	Assert(st);
	if (type == 'B' && !portal[0] && st->cls.session_op == SESSION_OP_DEALLOCATE &&
	    st->cls.statement_count == 1 && rt.cfg->max_prepared_statements > 0 &&
	    prep_client_get(&c->prep, st->cls.object_name)) {
		/* a prepared DEALLOCATE of one of its names: answered here, at its Execute */
		if (evbuffer_get_length(in) < 1 + (size_t)len)
			return NAMED_WAIT;
		portal_fake(c, st->cls.object_name);
		unnamed_fake(c, s, in, 'B', len, 0);
		return NAMED_DONE;
	}
	if (type == 'B' && prepared_retired(st)) {
		if (evbuffer_get_length(in) < 1 + (size_t)len)
			return NAMED_WAIT;
		bind_fails_stale(s, st, in, len);
		return NAMED_DONE;
	}
	if (shape_unsure(s, st)) {
		check_shape(c, s, st);
		return NAMED_WAIT;	/* the message waits for the answer (relay.c, shape_answered()) */
	}
	ensure_prepared(c, s, st);
	if (type == 'D') {
		if (evbuffer_get_length(in) < 1 + (size_t)len)
			return NAMED_WAIT;
		proto_add_close_describe(bufferevent_get_output(s->bev), 'D', 'S', st->server_name);
		s->batch_open = true;
		reply_push(s, 'D', REPLY_FORWARD, NULL, NULL, NULL);
		reply_last(s)->stmt = st;
		evbuffer_drain(in, 1 + (size_t)len);
		return NAMED_DONE;
	}
	/* Bind: new names up front, the parameters stream after them untouched */
	if (!portal[0])
		c->unnamed_portal_faked = false;
	consumed = 5 + strlen(portal) + 1 + strlen(stmt) + 1;
	bind_head_set(s, bh, portal, st->server_name, 1 + len - consumed);
	reply_push(s, 'B', REPLY_FORWARD, NULL, NULL, NULL);
	if (reply_last(s))
		reply_last(s)->stmt = st;
	s->bound_stmt = st;
	evbuffer_drain(in, consumed);
	c->pkt_remain = (uint32_t)(1 + len - consumed);
	return NAMED_DONE;
}

/*
 * A batch of nothing but named Parse messages and a Sync, from a client
 * outside a transaction whose pool has no server free: answer it here.
 * A driver that prepares synchronously in one thread for many connections
 * (pgbench -M prepared) would otherwise wait for a server held by a
 * transaction that the same thread must drive: a deadlock no pool size
 * short of one per client avoids.  The statements are prepared on the
 * server that runs their first Bind; a Parse error is reported there.
 */
bool carry_parse_locally(struct client *c, struct evbuffer *in)
{
	size_t off = 0, avail = evbuffer_get_length(in);
	uint8_t type;
	uint32_t len;
	int n = 0;

	if (rt.cfg->max_prepared_statements <= 0)
		return false;
	while (proto_peek_header(in, off, &type, &len) && off + 1 + len <= avail) {
		if (type == 'S')
			break;
		struct named_msg nm;
		if (type != 'P' || carry_is_named(c, in, off, type, len, NULL, &nm) != NAMED_YES)
			return false;
		off += 1 + (size_t)len;
		n++;
	}
	if (type != 'S' || n == 0 || off + 5 > avail)
		return false;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	for (int i = 0; i < n; i++) {
		const char *msg;
		size_t nl, blen;
		struct classify_result res;
		struct pstmt *st;
		proto_peek_header(in, 0, &type, &len);
		msg = (const char *)evbuffer_pullup(in, 1 + (ev_ssize_t)len);
		nl = strnlen(msg + 5, len - 4);
		blen = len - 4 - nl - 1;
		if (prep_client_get(&c->prep, msg + 5)) {
			proto_add_error(out, "ERROR", "42P05", "prepared statement already exists", NULL);
			evbuffer_drain(in, off + 5);
			proto_add_ready(out, 'I');
			return true;
		}
		classify_sql(msg + 5 + nl + 1, strnlen(msg + 5 + nl + 1, blen), rt.knowledge, &res);
		st = prepared_intern(msg + 5 + nl + 1, blen, parse_context(c), &res);
		if (!st || !prep_client_add(&c->prep, msg + 5, st)) {
			log_error("C-%llu: out of memory for prepared statements", (unsigned long long)c->id);
			abort();
		}
		prepared_unref(st);
		evbuffer_drain(in, 1 + (size_t)len);
		off -= 1 + (size_t)len;
		proto_add_bodyless(out, '1');
		stats.prepared_deferred++;
	}
	evbuffer_drain(in, 5);	/* the Sync */
	proto_add_ready(out, 'I');
	return true;
}

void carry_remember_parse(struct client *c, const char *body, size_t len,
			  const struct classify_result *res)
{
	size_t nl = strnlen(body, len);
	struct pstmt *st;

	if (nl == 0 || nl >= len || rt.cfg->max_prepared_statements <= 0)
		return;
	st = prepared_intern(body + nl + 1, len - nl - 1, parse_context(c), res);
	if (!st)
		return;
	prep_client_remove(&c->prep, body);
	prep_client_add(&c->prep, body, st);
	prepared_unref(st);
}

void carry_forget_name(struct client *c, const char *name, size_t len)
{
	if (strnlen(name, len) < len)
		prep_client_remove(&c->prep, name);
}

bool carry_deallocate_local(struct client *c, struct server *s, const struct classify_result *res)
{
	if (res->session_op != SESSION_OP_DEALLOCATE || res->statement_count != 1 ||
	    rt.cfg->max_prepared_statements <= 0 || !prep_client_remove(&c->prep, res->object_name))
		return false;
	reply_push(s, 'Q', REPLY_FAKE, NULL, NULL, NULL);
	return true;
}

bool carry_execute_is_named(const struct client *c, const struct classify_result *res)
{
	return res->session_op == SESSION_OP_EXECUTE && res->statement_count == 1 &&
	       rt.cfg->max_prepared_statements > 0 && prep_client_get(&c->prep, res->object_name) != NULL;
}

/*
 * TEXT (LEN bytes, "EXECUTE name..." with its NUL) with the name replaced
 * by NEW_NAME, in a new allocation (*OUT_LEN bytes, NUL included); NULL if
 * TEXT is not understood (the caller sends it as it came).
 */
static char *execute_renamed(const char *text, size_t len, const char *new_name, size_t *out_len)
{
	const char *p = text, *end = text + len - 1, *name_at;
	char word[CLASSIFY_NAME_LEN];
	size_t nl = strlen(new_name), head, tail;
	char *out;

	if (len == 0 || text[len - 1] != '\0' || !classify_word(&p, end, word, sizeof(word)) ||
	    strcmp(word, "execute") != 0 || !(name_at = classify_word(&p, end, word, sizeof(word))))
		return NULL;
	head = (size_t)(name_at - text);
	tail = len - (size_t)(p - text);	/* from the end of the name, the NUL included */
	out = malloc(head + nl + tail);
	if (!out) {
		log_error("out of memory rewriting EXECUTE");
		abort();	/* as ensure_prepared() */
	}
	memcpy(out, text, head);
	memcpy(out + head, new_name, nl);
	memcpy(out + head + nl, p, tail);
	*out_len = head + nl + tail;
	return out;
}

/* LEN bytes of IN after the head of the message there, in a new allocation. */
static char *message_body(struct evbuffer *in, uint32_t len)
{
	struct evbuffer_ptr p;
	char *body = malloc(len - 4 + 1);

	if (!body) {
		log_error("out of memory rewriting EXECUTE");
		abort();
	}
	evbuffer_ptr_set(in, &p, PROTO_HEADER_LEN, EVBUFFER_PTR_SET);
	evbuffer_copyout_from(in, &p, body, len - 4);
	body[len - 4] = '\0';
	return body;
}

bool carry_execute_named(struct client *c, struct server *s, struct evbuffer *in, uint32_t len,
			 const struct classify_result *res)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	struct pstmt *st;
	char *text, *sql;
	size_t sl;

	if (!carry_execute_is_named(c, res) || !(st = prep_client_get(&c->prep, res->object_name)))
		return false;
	text = message_body(in, len);
	evbuffer_drain(in, 1 + (size_t)len);
	sql = execute_renamed(text, len - 4, st->server_name, &sl);
	if (sql && !server_holds(s, st)) {
		/* prepared first, in a batch of its own: a Query must not follow an unsynced Parse */
		ensure_prepared(c, s, st);
		proto_add_bodyless(out, 'S');
		if (s->expect_rfq++ == 0)
			s->query_start_us = now_us();
		s->batch_open = false;	/* the Sync closed the Parse's batch */
		reply_push(s, 'S', REPLY_HIDE, NULL, NULL, NULL);
	}
	s->unnamed_client = 0;	/* a Query drops the unnamed statement */
	proto_add_query(out, sql ? sql : text);	/* not understood: as it came (the server judges) */
	free(sql);
	free(text);
	if (s->expect_rfq++ == 0)
		s->query_start_us = now_us();
	reply_push(s, 'Q', REPLY_FORWARD, NULL, NULL, c->pending_ops);
	c->pending_ops = NULL;
	log_debug("C-%llu S-%llu: EXECUTE %s runs as %s", (unsigned long long)c->id,
		  (unsigned long long)s->id, res->object_name, st->server_name);
	return true;
}

bool carry_execute_named_parse(struct client *c, struct server *s, struct evbuffer *in, uint32_t len,
			       const struct classify_result *res)
{
	struct pstmt *st;
	size_t blen = len - 4, qlen, nlen, plen;
	char *body, *sql, *nb;

	if (!carry_execute_is_named(c, res) || !(st = prep_client_get(&c->prep, res->object_name)) ||
	    blen < 2)
		return false;
	body = message_body(in, len);	/* name\0 text\0 parameter types */
	qlen = strnlen(body + 1, blen - 1);
	if (body[0] != '\0' || qlen + 2 > blen ||
	    !(sql = execute_renamed(body + 1, qlen + 1, st->server_name, &nlen))) {
		free(body);
		return false;	/* named, malformed or not understood: as it came */
	}
	plen = blen - 1 - (qlen + 1);
	nb = realloc(sql, nlen + plen);
	if (!nb) {
		log_error("out of memory rewriting EXECUTE");
		abort();
	}
	memcpy(nb + nlen, body + 1 + qlen + 1, plen);
	free(body);
	evbuffer_drain(in, 1 + (size_t)len);
	ensure_prepared(c, s, st);	/* in this batch, before the Parse that names it */
	proto_add_parse(bufferevent_get_output(s->bev), "", nb, nlen + plen);
	s->batch_open = true;
	reply_push(s, 'P', REPLY_FORWARD, NULL, NULL, NULL);
	carry_unnamed_parse(c, s, nb, nlen + plen, res);
	free(nb);
	log_debug("C-%llu S-%llu: EXECUTE %s (unnamed Parse) runs as %s", (unsigned long long)c->id,
		  (unsigned long long)s->id, res->object_name, st->server_name);
	return true;
}

char *carry_error_renamed(const struct client *c, const char *body, size_t len, size_t *out_len)
{
	static const char mark[] = "\"pgsteer_";
	const char *p = body, *end = body + len;
	char *out = NULL;
	size_t n = 0, cap = 0;
	bool changed = false;

	if (!memmem(body, len, mark, sizeof(mark) - 1))
		return NULL;
	cap = len + 256;
	if (!(out = malloc(cap)))
		return NULL;
	while (p < end) {
		const char *q = memmem(p, (size_t)(end - p), mark, sizeof(mark) - 1), *name_end;
		const char *client_name = NULL;
		size_t copy = q ? (size_t)(q - p) : (size_t)(end - p);

		if (n + copy + 2 + CLASSIFY_NAME_LEN > cap) {
			char *bigger = realloc(out, cap = (n + copy) * 2 + 2 + CLASSIFY_NAME_LEN);
			if (!bigger) {
				free(out);
				return NULL;
			}
			out = bigger;
		}
		memcpy(out + n, p, copy);
		n += copy;
		if (!q)
			break;
		name_end = q + 1;
		while (name_end < end && *name_end != '"' && *name_end != '\0')
			name_end++;
		if (name_end < end && *name_end == '"' && (size_t)(name_end - q - 1) < PREPARED_SERVER_NAME_LEN) {
			char server_name[PREPARED_SERVER_NAME_LEN];
			memcpy(server_name, q + 1, (size_t)(name_end - q - 1));
			server_name[name_end - q - 1] = '\0';
			for (uint32_t i = 0; i < c->prep.n && !client_name; i++)
				if (strcmp(c->prep.e[i].st->server_name, server_name) == 0)
					client_name = c->prep.e[i].name;
		}
		if (client_name && strlen(client_name) < CLASSIFY_NAME_LEN) {
			out[n++] = '"';
			memcpy(out + n, client_name, strlen(client_name));
			n += strlen(client_name);
			out[n++] = '"';
			p = name_end + 1;
			changed = true;
		} else {
			out[n++] = '"';	/* not one of C's: as it came */
			p = q + 1;
		}
	}
	if (!changed) {
		free(out);
		return NULL;
	}
	*out_len = n;
	return out;
}

/* ---------------- The unnamed statement ---------------- */

/* Is RES (an unnamed Parse's text) a DEALLOCATE of one of C's protocol-level names? */
static bool dealloc_here(const struct client *c, const struct classify_result *res)
{
	return rt.cfg->max_prepared_statements > 0 && res->session_op == SESSION_OP_DEALLOCATE &&
	       res->statement_count == 1 && prep_client_get(&c->prep, res->object_name) != NULL;
}

bool carry_unnamed_parse(struct client *c, struct server *s, const char *body, size_t blen,
			 const struct classify_result *res)
{
	c->unnamed_gen++;
	if (body && res && dealloc_here(c, res)) {
		char *name = strdup(res->object_name);
		if (name) {
			free(c->unnamed_dealloc);
			c->unnamed_dealloc = name;
			c->unnamed = UNNAMED_FAKED;
			return true;
		}
	}
	s->unnamed_client = c->id;
	s->unnamed_gen = c->unnamed_gen;
	if (!body || blen > UNNAMED_KEEP_MAX) {
		c->unnamed = UNNAMED_LOST;
		return false;
	}
	if (!grow_buffer(&c->unnamed_body, &c->unnamed_cap, blen, 128)) {
		c->unnamed = UNNAMED_LOST;
		return false;
	}
	memcpy(c->unnamed_body, body, blen);
	c->unnamed_len = (uint32_t)blen;
	c->unnamed = UNNAMED_KEPT;
	return false;
}

bool carry_unnamed_class(struct client *c, struct evbuffer *in, uint32_t len,
			 struct classify_result *res)
{
	char buf[NAMED_PEEK];
	size_t n;
	const char *portal, *stmt;

	if (c->unnamed != UNNAMED_KEPT || !peek_names(in, 0, 'B', len, buf, &n, &portal, &stmt) ||
	    stmt[0])
		return false;
	classify_sql_cached(c->unnamed_body, strnlen(c->unnamed_body, c->unnamed_len), rt.knowledge, res);
	return true;
}

/* S is to hold C's unnamed statement (or none, if C has none) before C uses it. */
static void unnamed_ensure(struct client *c, struct server *s)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);

	if (s->unnamed_client == c->id && s->unnamed_gen == c->unnamed_gen)
		return;
	if (c->unnamed == UNNAMED_KEPT) {
		proto_add_parse(out, "", c->unnamed_body, c->unnamed_len);
		reply_push(s, 'P', REPLY_HIDE, NULL, NULL, NULL);
		stats.prepared_parses++;
	} else {
		/* none, or one only its first server holds: PostgreSQL's "does not exist" */
		proto_add_close_describe(out, 'C', 'S', "");
		reply_push(s, 'C', REPLY_HIDE, NULL, NULL, NULL);
	}
	s->batch_open = true;
	s->unnamed_client = c->id;
	s->unnamed_gen = c->unnamed_gen;
}

/* The unnamed portal is a DEALLOCATE of NAME, answered here at its Execute. */
static void portal_fake(struct client *c, const char *name)
{
	free(c->portal_dealloc);
	c->portal_dealloc = name ? strdup(name) : NULL;
	c->unnamed_portal_faked = true;
}

/* Answer a Bind/Describe/Execute/Close of the faked unnamed DEALLOCATE: KIND's fake reply. */
static void unnamed_fake(struct client *c, struct server *s, struct evbuffer *in, uint8_t kind,
			 uint32_t len, uint8_t flags)
{
	struct reply r = { kind, REPLY_FAKE, flags, NULL, NULL, NULL, NULL, NULL };

	if (kind == 'E' && c->portal_dealloc) {
		/* DEALLOCATE runs now: only the client's name goes, undone if skipped after an error */
		struct pstmt *st = prep_client_get(&c->prep, c->portal_dealloc);
		if (st && (r.client_name = strdup(c->portal_dealloc))) {
			prepared_ref(st);
			r.client_stmt = st;
			prep_client_remove(&c->prep, c->portal_dealloc);
		}
	}
	push(s, r);
	evbuffer_drain(in, 1 + (size_t)len);
	s->batch_open = true;
}

enum unnamed_verdict carry_unnamed_use(struct client *c, struct server *s, struct evbuffer *in,
				      size_t off, uint8_t type, uint32_t len)
{
	char buf[NAMED_PEEK];
	size_t n, want = 1 + (size_t)len < NAMED_PEEK ? 1 + (size_t)len : NAMED_PEEK;
	const char *portal = NULL, *stmt = NULL;
	uint8_t tmp[7];
	const uint8_t *head;
	bool whole = evbuffer_get_length(in) >= off + 1 + (size_t)len;
	bool faked = c->unnamed == UNNAMED_FAKED;

	if (len < 5)
		return UNNAMED_PASS;	/* malformed: the server says so */
	if (evbuffer_get_length(in) - off < want)
		return UNNAMED_MORE;	/* its names are not all here yet */
	head = proto_peek_bytes(in, off, len >= 6 ? 7 : 6, tmp);
	if (!head)
		return UNNAMED_MORE;
	switch (type) {
	case 'B':
		if (!peek_names(in, off, 'B', len, buf, &n, &portal, &stmt) || stmt[0])
			return UNNAMED_PASS;	/* a named statement (or names too long): not this */
		if (faked) {
			if (!whole)
				return UNNAMED_MORE;
			if (!portal[0])
				portal_fake(c, c->unnamed_dealloc);
			unnamed_fake(c, s, in, 'B', len, 0);
			return UNNAMED_ANSWERED;
		}
		if (!portal[0])
			c->unnamed_portal_faked = false;
		unnamed_ensure(c, s);
		return UNNAMED_PASS;
	case 'D':
	case 'C':
		if (len < 6 || head[6] != 0)
			return UNNAMED_PASS;	/* a named object */
		if (head[5] == 'S') {
			if (faked) {
				if (!whole)
					return UNNAMED_MORE;
				if (type == 'C')
					c->unnamed = UNNAMED_NONE;
				unnamed_fake(c, s, in, type, len, type == 'D' ? REPLY_DESCRIBE_STMT : 0);
				return UNNAMED_ANSWERED;
			}
			if (type == 'C') {
				c->unnamed = UNNAMED_NONE;
				s->unnamed_client = 0;
				return UNNAMED_PASS;
			}
			unnamed_ensure(c, s);
			return UNNAMED_PASS;
		}
		if (head[5] == 'P' && c->unnamed_portal_faked) {
			if (!whole)
				return UNNAMED_MORE;
			if (type == 'C')
				c->unnamed_portal_faked = false;
			unnamed_fake(c, s, in, type, len, 0);
			return UNNAMED_ANSWERED;
		}
		return UNNAMED_PASS;
	case 'E':
		if (c->unnamed_portal_faked && head[5] == 0) {
			if (!whole)
				return UNNAMED_MORE;
			unnamed_fake(c, s, in, 'E', len, 0);
			return UNNAMED_ANSWERED;
		}
		return UNNAMED_PASS;
	default:
		return UNNAMED_PASS;
	}
}

/* ---------------- Settings and pins ---------------- */

void setops_free(struct setop *ops)
{
	while (ops) {
		struct setop *next = ops->next;
		free(ops);
		ops = next;
	}
}

static void add_op(struct client *c, enum setop_kind kind, const char *name, const char *value)
{
	struct setop *op = calloc(1, sizeof(*op)), **tail = &c->pending_ops;

	if (!op) {
		carry_pin(c, c->server, "out of memory");
		return;
	}
	op->kind = kind;
	snprintf(op->name, sizeof(op->name), "%s", name ? name : "");
	snprintf(op->value, sizeof(op->value), "%s", value ? value : "");
	while (*tail)
		tail = &(*tail)->next;
	*tail = op;
}

void carry_pin(struct client *c, struct server *s, const char *reason)
{
	if (s)
		s->dirty = true;
	if (c->pinned)
		return;
	c->pinned = true;
	free(c->pin_reason);
	c->pin_reason = strdup(reason);	/* NULL if out of memory: shown as no reason */
	stats.pins++;
	if (s)
		log_info("C-%llu %s %s@%s: pinned to server S-%llu node %s: %s", (unsigned long long)c->id,
			 c->addr, c->user, c->database, (unsigned long long)s->id, s->pool->node_name, reason);
	else
		log_info("C-%llu %s %s@%s: pinned to the primary connection its statement gets: %s",
			 (unsigned long long)c->id, c->addr, c->user, c->database, reason);
}

void carry_unpin(struct client *c)
{
	if (!c->pinned)
		return;
	log_info("C-%llu %s@%s: unpinned (DISCARD ALL)", (unsigned long long)c->id, c->user,
		 c->database);
	c->pinned = false;
	free(c->pin_reason);
	c->pin_reason = NULL;
	/* writes made while pinned were not located (relay.c): learn the position now */
	if (rt.cfg->read_your_writes == RYW_LSN && c->route.has_written)
		c->want_lsn = true;
}

/* The first word after DISCARD. */
static bool is_discard_all(const char *sql, size_t len)
{
	size_t i = 0;
	while (i < len && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r'))
		i++;
	if (len - i < 7 || strncasecmp(sql + i, "discard", 7) != 0)
		return false;
	i += 7;
	while (i < len && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r'))
		i++;
	return len - i >= 3 && strncasecmp(sql + i, "all", 3) == 0;
}

static bool note_one(struct client *c, struct server *s, const struct classify_result *res,
		     const char *sql, size_t sqllen);

/*
 * The statements of a multi-statement Query, each on its own: asyncpg's
 * `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;`
 * changes nothing pgsteer must carry but RESET ALL.  The string runs as
 * one implicit transaction, so its changes are applied together when it
 * succeeds; a session change followed by COMMIT or ROLLBACK in the same
 * string could outlive a later failure, and pins instead.
 */
#define NOTE_MAX_PARTS 16
static void note_statements(struct client *c, struct server *s, const char *sql, size_t sqllen)
{
	struct classify_span spans[NOTE_MAX_PARTS];
	int n = classify_split(sql, sqllen, spans, NOTE_MAX_PARTS);
	bool changed = false;

	if (n < 0 || n > NOTE_MAX_PARTS) {
		carry_pin(c, s, "session change among several statements");
		return;
	}
	for (int i = 0; i < n && !c->pinned; i++) {
		const char *p = sql + spans[i].start;
		size_t plen = spans[i].end - spans[i].start;
		struct classify_result part;

		classify_sql(p, plen, rt.knowledge, &part);
		if (part.cls == CLASS_TRANSACTION && changed) {
			carry_pin(c, s, "session change before COMMIT/ROLLBACK in one string");
			return;
		}
		if (carry_notes(&part) && note_one(c, s, &part, p, plen))
			changed = true;
	}
}

void carry_note_statement(struct client *c, struct server *s, const struct classify_result *res,
			  const char *sql, size_t sqllen)
{
	if (res->pins_session) {
		carry_pin(c, s, res->reason);
		return;
	}
	if (!res->changes_session) {
		if (carry_notes(res) && res->statement_count <= 1)
			note_one(c, s, res, sql, sqllen);	/* a savepoint */
		return;
	}
	if (res->statement_count > 1) {
		note_statements(c, s, sql, sqllen);
		return;
	}
	note_one(c, s, res, sql, sqllen);
}

/*
 * The session effect of one statement (RES is its class).  True when it
 * queued a settings change, which the statement's failure must undo.
 */
static bool note_one(struct client *c, struct server *s, const struct classify_result *res,
		     const char *sql, size_t sqllen)
{
	struct setstmt st;

	if (res->pins_session) {
		carry_pin(c, s, res->reason);
		return false;
	}
	switch (res->txn) {
	case TXN_SAVEPOINT:
		add_op(c, SETOP_SAVEPOINT, res->object_name, NULL);
		return false;
	case TXN_RELEASE:
		add_op(c, SETOP_RELEASE, res->object_name, NULL);
		return false;
	case TXN_ROLLBACK_TO:
		add_op(c, SETOP_ROLLBACK_TO, res->object_name, NULL);
		return false;
	default:
		break;
	}
	switch (res->session_op) {
	case SESSION_OP_SET:
	case SESSION_OP_RESET:
		sessvar_parse(sql, sqllen, &st);
		switch (st.kind) {
		case SETSTMT_REPORTED:
			/* followed through ParameterStatus, but a reset goes to the startup value */
			if (!st.reset || !sessvars_get(c->startup_vars, st.name))
				return false;
			add_op(c, SETOP_RESET, st.name, NULL);
			return true;
		case SETSTMT_NONE:
			return false;
		case SETSTMT_LOCAL:
			/* this transaction's commit does not wait for its WAL flush: see lsn_async */
			if (strcmp(st.name, "synchronous_commit") == 0)
				c->txn_async_commit = sessvar_value_is_off(st.value);
			return false;
		case SETSTMT_UNTRACKED:
			carry_pin(c, s, st.why);
			return false;
		case SETSTMT_RESET_ALL:
			add_op(c, SETOP_RESET_ALL, NULL, NULL);
			return true;
		case SETSTMT_SET:
		case SETSTMT_RESET:
			if (!sessvar_tracked(st.name, rt.cfg->track_extra_parameters)) {
				char why[SESSVAR_NAME_LEN + 16];
				snprintf(why, sizeof(why), "SET %.24s (not tracked)", st.name);
				carry_pin(c, s, why);
				return false;
			}
			if (st.kind == SETSTMT_SET && strcmp(st.name, "search_path") == 0 &&
			    strcasestr(st.value, "pg_temp")) {
				/* current_schema() then creates the temporary schema: not on a standby */
				carry_pin(c, s, "search_path names pg_temp");
				return false;
			}
			add_op(c, st.kind == SETSTMT_SET ? SETOP_SET : SETOP_RESET, st.name, st.value);
			return true;
		}
		return false;
	case SESSION_OP_DISCARD:
		if (is_discard_all(sql, sqllen))
			add_op(c, SETOP_DISCARD_ALL, NULL, NULL);
		return true;
	case SESSION_OP_DEALLOCATE_ALL:
		add_op(c, SETOP_DEALLOCATE_ALL, NULL, NULL);
		return true;
	case SESSION_OP_PREPARE:
		carry_pin(c, s, "SQL PREPARE");
		return false;
	case SESSION_OP_LOAD:
		carry_pin(c, s, "LOAD");
		return false;
	default:
		return false;
	}
}

/*
 * C dropped all its statements (DEALLOCATE ALL, DISCARD ALL), as a driver
 * does when a plan went stale: what it prepares again gets statements of
 * its own, planned afresh, not those other server connections hold (the
 * other clients keep theirs).
 */
static void invalidate_client_statements(struct client *c)
{
	for (uint32_t i = 0; i < c->prep.n; i++) {
		if (prepared_retire(c->prep.e[i].st, false, NULL, 0))
			stats.prepared_invalidations++;
	}
}

/*
 * RESET NAME for C: back to its value from the startup packet, as
 * PostgreSQL resets to the session's startup value, or to the server's
 * default.  The server is set to it before C's next statement.
 */
static void reset_client_var(struct client *c, struct server *s, const char *name)
{
	const struct sessvar *v = sessvars_get(c->startup_vars, name);
	int r = sessvar_reported_index(name);

	if (!v) {
		if (strchr(name, '.')) {
			/* a custom setting stays defined, empty, as on its backend */
			if (!sessvars_set(&c->vars, name, "", false))
				carry_pin(c, s, "too many settings");
		} else if (r < 0) {
			sessvars_unset(&c->vars, name);	/* a reported one: as the server said */
		}
		return;
	}
	if (!sessvars_set(&c->vars, name, v->value, v->sql)) {
		carry_pin(c, s, "too many settings");
		return;
	}
	if (r >= 0)
		c->announce |= (uint8_t)(1u << r);	/* the server told it the default */
}

/* The last savepoint mark named NAME in S's transaction list (the link that points at it), or NULL. */
static struct setop **find_savepoint(struct server *s, const char *name)
{
	struct setop **found = NULL;

	for (struct setop **p = &s->txn_ops; *p; p = &(*p)->next)
		if ((*p)->kind == SETOP_SAVEPOINT && strcmp((*p)->name, name) == 0)
			found = p;
	return found;
}

/*
 * A savepoint statement that succeeded inside S's transaction block, as
 * PostgreSQL keeps a stack of them: ROLLBACK TO undoes the settings held
 * since its savepoint (which stays), RELEASE drops the savepoint and those
 * made after it (their settings stay, for the block's end to decide).
 */
static void savepoint_op(struct client *c, struct server *s, struct setop *op)
{
	struct setop **at = find_savepoint(s, op->name);

	if (!at) {
		/* a savepoint made where pgsteer did not note it (among several statements) */
		if (op->kind == SETOP_ROLLBACK_TO && s->txn_ops && c)
			carry_pin(c, s, "ROLLBACK TO a savepoint made among several statements");
		free(op);
		return;
	}
	if (op->kind == SETOP_ROLLBACK_TO) {
		setops_free((*at)->next);
		(*at)->next = NULL;
	} else {
		struct setop *after = (*at)->next, **keep = at;
		free(*at);
		*at = NULL;
		while (after) {
			struct setop *next = after->next;
			if (after->kind == SETOP_SAVEPOINT) {
				free(after);
			} else {
				after->next = NULL;
				*keep = after;
				keep = &after->next;
			}
			after = next;
		}
	}
	free(op);
}

/* Move OPS' settings changes onto the end of S's transaction list; apply the rest (statements). */
static void hold_for_commit(struct client *c, struct server *s, struct setop *ops)
{
	struct setop *now = NULL, **now_tail = &now;

	while (ops) {
		struct setop *op = ops, **tail = &s->txn_ops;
		ops = op->next;
		op->next = NULL;
		switch (op->kind) {
		case SETOP_SET:
		case SETOP_RESET:
		case SETOP_RESET_ALL:
		case SETOP_SAVEPOINT:
			while (*tail)
				tail = &(*tail)->next;
			*tail = op;
			break;
		case SETOP_RELEASE:
		case SETOP_ROLLBACK_TO:
			savepoint_op(c, s, op);
			break;
		default:
			*now_tail = op;	/* DEALLOCATE ALL is not undone by a rollback */
			now_tail = &op->next;
			break;
		}
	}
	carry_apply_ops(c, s, now, true);
}

void carry_group_done(struct client *c, struct server *s, struct setop *ops, bool ok)
{
	if (s->tx_status == 'T' || s->tx_status == 'E') {
		if (ok && s->tx_status == 'T')
			hold_for_commit(c, s, ops);
		else
			setops_free(ops);	/* failed: this group's changes never happened */
		return;
	}
	if (s->txn_ops) {
		struct setop *held = s->txn_ops;
		s->txn_ops = NULL;
		carry_apply_ops(c, s, held, !s->txn_rolled_back);
	}
	s->txn_rolled_back = false;
	carry_apply_ops(c, s, ops, ok);
}

/* RESET ALL for C: every setting back to its startup value or default (custom ones defined, empty). */
static void reset_all_client_vars(struct client *c, struct server *s)
{
	if (!sessvars_reset_all(&c->vars))
		carry_pin(c, s, "out of memory");
	for (uint32_t i = 0; c->startup_vars && i < c->startup_vars->n; i++)
		reset_client_var(c, s, c->startup_vars->v[i].name);
}

void carry_txn_forget(struct server *s)
{
	setops_free(s->txn_ops);
	s->txn_ops = NULL;
	s->txn_rolled_back = false;
}

void carry_apply_ops(struct client *c, struct server *s, struct setop *ops, bool ok)
{
	for (struct setop *op = ops; ok && op; op = op->next) {
		switch (op->kind) {
		case SETOP_SET:
			if (c && !sessvars_set(&c->vars, op->name, op->value, true))
				carry_pin(c, s, "too many settings");
			if (!sessvars_set(&s->vars, op->name, op->value, true))
				s->dirty = true;
			break;
		case SETOP_RESET:
			if (c)
				reset_client_var(c, s, op->name);
			sessvars_unset(&s->vars, op->name);
			break;
		case SETOP_DISCARD_ALL:
			if (c) {
				invalidate_client_statements(c);
				prep_client_clear(&c->prep);
				carry_unpin(c);
			}
			prep_server_clear(&s->prep);
			s->dirty = false;
			/* fall through */
		case SETOP_RESET_ALL:
			if (c)
				reset_all_client_vars(c, s);
			sessvars_free(&s->vars);
			break;
		case SETOP_DEALLOCATE_ALL:
			if (c) {
				invalidate_client_statements(c);
				prep_client_clear(&c->prep);
			}
			prep_server_clear(&s->prep);
			break;
		case SETOP_SAVEPOINT:
		case SETOP_RELEASE:
		case SETOP_ROLLBACK_TO:
			break;	/* outside a block they failed; at its end they mean nothing */
		}
	}
	if (ok && ops) {
		if (c)
			client_vars_changed(c);
		server_vars_changed(s);
	}
	setops_free(ops);
}

static void client_vars_changed(struct client *c)
{
	const struct sessvar *v = sessvars_get(c->vars, "default_transaction_isolation");

	c->vars_sig = 0;
	c->route.serializable = v && sessvar_value_is(v->value, "serializable");
}

static void server_vars_changed(struct server *s)
{
	s->vars_sig = 0;
}

static const char *param_get(const struct param_set *ps, const char *name)
{
	for (int i = 0; i < ps->n; i++)
		if (strcasecmp(ps->p[i].name, name) == 0)
			return ps->p[i].value;
	return NULL;
}

const char *carry_client_param(const struct client *c, const struct param_set *base, const char *name)
{
	const struct sessvar *v = NULL;
	char lower[SESSVAR_NAME_LEN];

	if (c->vars && lower_name(lower, name))
		v = sessvars_get(c->vars, lower);
	return v ? v->value : param_get(base, name);
}

/* The reported settings C wants: its own, else what its pool told it at login. */
static void client_reported(const struct client *c, const char *out[SESSVAR_N_REPORTED])
{
	for (int r = 0; r < SESSVAR_N_REPORTED; r++)
		out[r] = carry_client_param(c, &c->pool->params, sessvar_reported[r]);
}

static void server_reported(const struct server *s, const char *out[SESSVAR_N_REPORTED])
{
	for (int r = 0; r < SESSVAR_N_REPORTED; r++)
		out[r] = param_get(&s->params, sessvar_reported[r]);
}

void carry_sync_settings(struct client *c, struct server *s, bool login)
{
	const char *want[SESSVAR_N_REPORTED], *have[SESSVAR_N_REPORTED];
	char sql[8192];
	int n;

	if (!c->pool)
		return;
	if (!c->vars_sig) {
		client_reported(c, want);
		c->vars_sig = sessvar_signature(want, c->vars);
	}
	if (!s->vars_sig) {
		server_reported(s, have);
		s->vars_sig = sessvar_signature(have, s->vars);
	}
	if (c->vars_sig == s->vars_sig)
		return;
	client_reported(c, want);
	server_reported(s, have);
	n = sessvar_sync_sql(sql, sizeof(sql), want, c->vars, have, s->vars);
	if (n < 0) {
		carry_pin(c, s, "settings too long to carry");
		return;
	}
	if (n > 0) {
		log_debug("C-%llu S-%llu node %s: settings: %s", (unsigned long long)c->id,
			  (unsigned long long)s->id, s->pool->node_name, sql);
		relay_send_query(s, sql);
		s->unnamed_client = 0;	/* a Query drops the server's unnamed statement */
		if (s->expect_rfq++ == 0)
			s->query_start_us = now_us();
		reply_push(s, 'Q', REPLY_HIDE, NULL, NULL, NULL);
		if (login)
			reply_last(s)->flags |= REPLY_LOGIN;
		stats.settings_syncs++;
	}
	/* from now on S has what C wants (reported values follow from ParameterStatus) */
	sessvars_free(&s->vars);
	for (uint32_t i = 0; c->vars && i < c->vars->n; i++)
		if (sessvar_reported_index(c->vars->v[i].name) < 0)
			sessvars_set(&s->vars, c->vars->v[i].name, c->vars->v[i].value, c->vars->v[i].sql);
	s->vars_sig = c->vars_sig;
}

void carry_login_synced(struct client *c, struct server *s)
{
	/* the client learns the server's spelling of what it asked for ("ISO, MDY") */
	for (int r = 0; r < SESSVAR_N_REPORTED; r++) {
		char lower[SESSVAR_NAME_LEN];
		const char *v = param_get(&s->params, sessvar_reported[r]);
		lower_name(lower, sessvar_reported[r]);
		if (c->vars && sessvars_get(c->vars, lower) && v)
			sessvars_set(&c->vars, lower, v, false);
		if (sessvars_get(c->startup_vars, lower) && v)
			sessvars_set(&c->startup_vars, lower, v, false);
	}
	client_vars_changed(c);
	server_vars_changed(s);
}

/*
 * Tell C the startup values its RESETs of reported settings went back to
 * (the server said the default): before anything of its next statement,
 * as PostgreSQL would have with the RESET.
 */
static void announce_reset(struct client *c)
{
	for (int r = 0; r < SESSVAR_N_REPORTED; r++) {
		char lower[SESSVAR_NAME_LEN];
		const struct sessvar *v;

		if (!(c->announce & (1u << r)) || !lower_name(lower, sessvar_reported[r]))
			continue;
		if ((v = sessvars_get(c->vars, lower)))
			proto_add_param_status(bufferevent_get_output(c->bev), sessvar_reported[r], v->value);
	}
	c->announce = 0;
}

void carry_param_status(struct client *c, struct server *s, const char *name, const char *value,
			bool forwarded)
{
	int r = sessvar_reported_index(name);
	char lower[SESSVAR_NAME_LEN];
	const char *base;

	param_set_update(&s->params, name, value);
	if (r < 0)
		return;
	server_vars_changed(s);
	if (!forwarded || !c || !c->pool)
		return;
	/* the client now believes VALUE: that is its setting from here on */
	lower_name(lower, sessvar_reported[r]);
	base = param_get(&c->pool->params, sessvar_reported[r]);
	if (base && strcmp(base, value) == 0)
		sessvars_unset(&c->vars, lower);
	else if (!sessvars_set(&c->vars, lower, value, false))
		carry_pin(c, s, "too many settings");
	client_vars_changed(c);
}

void carry_link(struct client *c, struct server *s)
{
	s->prep_batch_start = rt.prep_clock + 1;
	if (c->announce)
		announce_reset(c);
	carry_sync_settings(c, s, false);
}

/* ---------------- Startup settings ---------------- */

/* application_name as PostgreSQL stores it: at most 63 bytes, printable ASCII. */
static void clean_application_name(char *dst, size_t dstlen, const char *v)
{
	size_t i;
	for (i = 0; v[i] && i + 1 < dstlen && i < 63; i++)
		dst[i] = (v[i] < 32 || v[i] > 126) ? '?' : v[i];
	dst[i] = '\0';
}

/* Apply one "-c name=value" from the options startup parameter. */
static bool startup_setting(struct client *c, const char *name, const char *value, bool *needs_server)
{
	char lower[SESSVAR_NAME_LEN], app[64];
	const char *base;

	if (!lower_name(lower, name) || strlen(value) >= SESSVAR_VALUE_LEN)
		return false;
	if (strncmp(lower, "pgsteer.", 8) == 0 || strncmp(lower, "_pq_.", 5) == 0)
		return true;	/* ours, or a protocol extension: not a server setting */
	if (!sessvar_tracked(lower, rt.cfg->track_extra_parameters)) {
		log_info("C-%llu %s@%s: startup parameter %s not in track_extra_parameters: ignored",
			 (unsigned long long)c->id, c->user, c->database, name);
		return true;
	}
	if (strcmp(lower, "application_name") == 0) {
		clean_application_name(app, sizeof(app), value);
		value = app;
	}
	base = c->pool && c->pool->params_valid ? param_get(&c->pool->params, name) : NULL;
	if (base && strcmp(base, value) == 0)
		return true;
	if (!sessvars_set(&c->vars, lower, value, false))
		return false;
	if (!sessvars_set(&c->startup_vars, lower, value, false))
		return false;
	/* a server checks and spells it, except application_name which is taken as is */
	if (strcmp(lower, "application_name") != 0 || !base)
		*needs_server = true;
	return true;
}

/* Split the options startup parameter: "-c a=b --c=d", backslash escapes spaces. */
static bool startup_options(struct client *c, const char *opts, bool *needs_server)
{
	char word[SESSVAR_NAME_LEN + SESSVAR_VALUE_LEN + 4];
	const char *p = opts;
	bool want_c = false;

	for (;;) {
		size_t n = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return !want_c;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 >= sizeof(word))
				return false;
			word[n++] = *p++;
		}
		word[n] = '\0';
		const char *setting = NULL;
		if (want_c) {
			setting = word;
			want_c = false;
		} else if (strcmp(word, "-c") == 0) {
			want_c = true;
			continue;
		} else if (strncmp(word, "-c", 2) == 0) {
			setting = word + 2;
		} else if (strncmp(word, "--", 2) == 0) {
			setting = word + 2;
		} else {
			return false;
		}
		char *eq = strchr(setting, '=');
		if (!eq)
			return false;
		*eq = '\0';
		for (char *d = (char *)setting; *d; d++)
			if (*d == '-')
				*d = '_';
		if (!startup_setting(c, setting, eq + 1, needs_server))
			return false;
	}
}

int carry_startup_settings(struct client *c)
{
	const char *pos = NULL, *name, *value;
	bool needs_server = false;

	while (client_startup_next(c, &pos, &name, &value)) {
		if (strcmp(name, "replication") == 0)
			continue;
		bool ok = strcmp(name, "options") == 0 ? startup_options(c, value, &needs_server)
						       : startup_setting(c, name, value, &needs_server);
		if (!ok) {
			client_fail(c, "FATAL", "22023", "invalid startup parameter \"%s\" = \"%.100s\"",
				    name, value);
			return -1;
		}
	}
	client_vars_changed(c);
	return needs_server ? 1 : 0;
}

/* ---------------- Lifecycle ---------------- */

void carry_client_free(struct client *c)
{
	free(c->unnamed_body);
	free(c->unnamed_dealloc);
	free(c->portal_dealloc);
	prep_client_clear(&c->prep);
	sessvars_free(&c->vars);
	sessvars_free(&c->startup_vars);
	setops_free(c->pending_ops);
	c->pending_ops = NULL;
	if (c->async_held)
		evbuffer_free(c->async_held);
	c->async_held = NULL;
}

void carry_server_free(struct server *s)
{
	struct client *c = s->client;

	s->client = NULL;	/* nothing to undo on a client any more */
	reply_abort(s);
	s->client = c;
	reply_ring_free(&s->replies);
	prep_server_clear(&s->prep);
	sessvars_free(&s->vars);
	carry_txn_forget(s);
}
