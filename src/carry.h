/*
 * Session state under pooling (internal to the relay): the replies a
 * server owes in request order (kept in its reply ring, reply.h; here
 * what pushing, popping and failing them does to the server and client),
 * named prepared statements rewritten to shared server-side names,
 * session settings kept in step, and pinning.  relay.c calls these at
 * the points where it moves messages.
 */
#ifndef PGSTEER_CARRY_H
#define PGSTEER_CARRY_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"
#include "pgsteer.h"

/* A session change seen in a statement, applied when its Sync/Query succeeds. */
enum setop_kind {
	SETOP_SET,		/* name = value (SQL text) */
	SETOP_RESET,
	SETOP_RESET_ALL,
	SETOP_DISCARD_ALL,	/* settings, statements, pins: all gone */
	SETOP_DEALLOCATE_ALL,
	SETOP_SAVEPOINT,	/* name = savepoint (folded): marks the held changes after it */
	SETOP_RELEASE,
	SETOP_ROLLBACK_TO,
};

struct setop {
	struct setop *next;
	enum setop_kind kind;
	char name[SESSVAR_NAME_LEN];
	char value[SESSVAR_VALUE_LEN];
};

/* ---- replies owed ---- */
void reply_push(struct server *s, uint8_t kind, enum reply_action action, struct pstmt *server_reg,
		char *client_name, struct setop *ops);
/* The request just pushed (to add what it must undo). */
struct reply *reply_last(struct server *s);
/* The request the next reply from S belongs to, or NULL. */
static inline struct reply *reply_head(struct server *s)
{
	return reply_ring_head(&s->replies);
}
/* The head request is done (FAILED: it or an earlier one errored, undo what it registered). */
void reply_pop(struct server *s, bool failed);
/* ReadyForQuery: the Sync/Query group at the head is done; returns its settings changes. */
struct setop *reply_pop_group(struct server *s);
/* An ErrorResponse on an extended request: the server skips to the next Sync. */
void reply_error(struct server *s);
/* The server is gone or reset: forget every owed reply, undoing registrations. */
void reply_abort(struct server *s);
/*
 * An ErrorResponse (BODY, LEN bytes) answered request R on S: an error
 * that says the plan of R's shared statement is stale (0A000 "cached plan
 * must not change result type", XX000 "cache lookup failed", an object
 * "with OID" gone) makes every server prepare that statement afresh.
 */
void carry_error_on_statement(struct client *c, struct server *s, const struct reply *r,
			      const uint8_t *body, size_t len);
/* Send the faked replies now at the head to OUT (the client's output). */
void reply_emit_fakes(struct server *s, struct evbuffer *out);

/* ---- named prepared statements ---- */
#define NAMED_PEEK (5 + 2 * 257)

/* What the relay learns from one look at a P/B/D/C message's names. */
struct named_msg {
	char head[NAMED_PEEK];		/* the message's first bytes, as the client sent them */
	size_t head_len;
	const char *portal, *stmt;	/* into HEAD (portal: Bind only) */
	struct pstmt *st;		/* Bind/Describe: the client's statement */
};

enum named_kind {
	NAMED_NOT,		/* relay it as it is */
	NAMED_YES,		/* a named statement pgsteer rewrites: NM is filled */
	NAMED_NEED_MORE,	/* its names are not all here yet: wait */
};

/*
 * Is the P/B/D/C message at OFF about a named prepared statement pgsteer
 * rewrites?  Fills NM (one copy of the names per message).  FIRST, when
 * not NULL, holds the message's first 7 bytes (the caller's look at them).
 */
enum named_kind carry_is_named(struct client *c, struct evbuffer *in, size_t off, uint8_t type,
			       uint32_t len, const uint8_t *first, struct named_msg *nm);
enum named_result {
	NAMED_DONE,		/* consumed; c->pkt_remain covers the rest of a Bind */
	NAMED_WAIT,		/* incomplete: wait for more input */
};
/*
 * A rewritten Bind's first bytes (type, length, portal, server-side name):
 * the relay sends them in one write with the parameters that follow from
 * the client, before anything else reaches the server.
 */
struct bind_head {
	size_t len;		/* 0: none pending */
	uint8_t buf[5 + NAMED_PEEK + PREPARED_SERVER_NAME_LEN];
};
/*
 * Rewrite the named message at the head of IN (NM) for S.  Bytes before it
 * are already sent.  A Bind's new head goes to BH (empty before) for the
 * caller to send; a Parse the server lacks is already in S's output.
 */
enum named_result carry_relay_named(struct client *c, struct server *s, struct evbuffer *in,
				    uint8_t type, uint32_t len, const struct named_msg *nm,
				    struct bind_head *bh);
/* The class of the statement a named Bind at OFF executes; false if not a known name. */
bool carry_bind_class(struct client *c, struct evbuffer *in, size_t off, uint32_t len,
		      struct classify_result *res);
/* Named Parse messages + Sync with no server free: registered and answered here (true). */
bool carry_parse_locally(struct client *c, struct evbuffer *in);
/* A named Parse pgsteer answered itself (a control): remember BODY's name; forget a Close's NAME. */
void carry_remember_parse(struct client *c, const char *body, size_t len,
			  const struct classify_result *res);
void carry_forget_name(struct client *c, const char *name, size_t len);
/* A Query "DEALLOCATE name" of one of C's protocol-level statements: answer it here. */
bool carry_deallocate_local(struct client *c, struct server *s, const struct classify_result *res);
/*
 * A Query "EXECUTE name[(args)]" of one of C's protocol-level statements
 * (the whole message at the head of IN, LEN its length word): prepared on
 * S if it does not hold it (hidden Parse and Sync), and sent with the
 * server's name instead.  False (nothing done) for any other statement.
 */
bool carry_execute_named(struct client *c, struct server *s, struct evbuffer *in, uint32_t len,
			 const struct classify_result *res);
/* The same for an unnamed Parse of that text (the statement prepared first, in its batch). */
bool carry_execute_named_parse(struct client *c, struct server *s, struct evbuffer *in, uint32_t len,
			       const struct classify_result *res);
/*
 * An ErrorResponse BODY (LEN bytes) that names one of C's statements by
 * pgsteer's server name ("pgsteer_7"), with C's own name instead, in a
 * new allocation (*OUT_LEN bytes); NULL when it names none.
 */
char *carry_error_renamed(const struct client *c, const char *body, size_t len, size_t *out_len);
/* pgsteer's own statement ST on S before what it sends next: a hidden Parse if S lacks it. */
void carry_prepare_hidden(struct client *c, struct server *s, struct pstmt *st);
/* Is RES a Query EXECUTE of one of C's protocol-level names (what carry_execute_named() rewrites)? */
bool carry_execute_is_named(const struct client *c, const struct classify_result *res);

/* ---- the unnamed statement ---- */
enum unnamed_state {
	UNNAMED_NONE = 0,	/* none (never parsed, or dropped by a Query or Close) */
	UNNAMED_KEPT,		/* its Parse body is kept: any server can be given it */
	UNNAMED_LOST,		/* too large to keep: only the server it was parsed on has it */
	UNNAMED_FAKED,		/* a DEALLOCATE of one of the client's names: answered here */
};
#define UNNAMED_KEEP_MAX (64 * 1024)

/*
 * C sends S a Parse of the unnamed statement; BODY (BLEN bytes: query\0
 * int16 n int32 oids[n]) is its text, NULL when it streams past without
 * being whole.  True: it is a DEALLOCATE of one of C's protocol-level
 * names (RES), to be answered here; else it becomes C's unnamed statement,
 * held by S.
 */
bool carry_unnamed_parse(struct client *c, struct server *s, const char *body, size_t blen,
			 const struct classify_result *res);
/*
 * A Bind, Describe, Execute or Close of the unnamed statement or portal
 * at OFF, before it goes to S: answered here (a faked DEALLOCATE), or
 * relayed.  Otherwise S is made to hold C's
 * unnamed statement first (a hidden Parse), or none at all (a hidden
 * Close, so that PostgreSQL reports it missing, as it would to C).
 */
enum unnamed_verdict {
	UNNAMED_PASS,		/* relay it (after what was queued for S before it) */
	UNNAMED_ANSWERED,	/* consumed, its fake reply queued */
	UNNAMED_MORE,		/* its names are not all here yet: wait */
};
enum unnamed_verdict carry_unnamed_use(struct client *c, struct server *s, struct evbuffer *in,
				      size_t off, uint8_t type, uint32_t len);
/* C sent a simple Query: its unnamed statement is gone (PostgreSQL drops it). */
static inline void carry_unnamed_query(struct client *c, struct server *s)
{
	c->unnamed = UNNAMED_NONE;
	c->unnamed_portal_faked = false;
	s->unnamed_client = 0;
}
/*
 * The class of C's unnamed statement, for a Bind of it at the head of IN
 * (a batch with no Parse before it); false if not such a Bind, or unknown.
 */
bool carry_unnamed_class(struct client *c, struct evbuffer *in, uint32_t len,
			 struct classify_result *res);

/* Does pgsteer note this statement's effect on the session (a setting, a pin, a savepoint)? */
static inline bool carry_notes(const struct classify_result *res)
{
	return res->changes_session || res->pins_session || res->txn == TXN_SAVEPOINT ||
	       res->txn == TXN_RELEASE || res->txn == TXN_ROLLBACK_TO;
}

/* ---- settings and pins ---- */
/* A statement C sends to S (S may be NULL before linking): record its session effects. */
void carry_note_statement(struct client *c, struct server *s, const struct classify_result *res,
			  const char *sql, size_t sqllen);
/* A Sync/Query group ended on S: apply OPS if it succeeded; frees OPS. */
void carry_apply_ops(struct client *c, struct server *s, struct setop *ops, bool ok);
/*
 * A Sync/Query group ended on S, S->tx_status now its ReadyForQuery's:
 * OPS (its settings changes) apply at once outside a transaction block;
 * inside one they wait for its end, and go if it rolls back, as
 * PostgreSQL undoes them.  Frees OPS.
 */
void carry_group_done(struct client *c, struct server *s, struct setop *ops, bool ok);
/* S's transaction block ends without its client (pgsteer rolls it back): its held changes go. */
void carry_txn_forget(struct server *s);
/* Before C's statements run on S: bring S's settings to C's (hidden, one round trip at most). */
void carry_sync_settings(struct client *c, struct server *s, bool login);
/* The login's settings statement ended: take the canonical values. */
void carry_login_synced(struct client *c, struct server *s);
/* ParameterStatus from S; FORWARDED: the client sees it too. */
void carry_param_status(struct client *c, struct server *s, const char *name, const char *value,
			bool forwarded);
/* C was linked to S for its next statements. */
void carry_link(struct client *c, struct server *s);
/* Pin C to its server S for REASON. */
void carry_pin(struct client *c, struct server *s, const char *reason);
void carry_unpin(struct client *c);
void setops_free(struct setop *ops);

/* Session state at login and at the end (carry.c). */
/* Record C's startup settings: 1 when a server must check them before the welcome, 0 when not, -1 refused. */
int carry_startup_settings(struct client *c);
/* The ParameterStatus value C has been told for NAME (its own setting, else the pool's). */
const char *carry_client_param(const struct client *c, const struct param_set *base, const char *name);
void carry_client_free(struct client *c);
void carry_server_free(struct server *s);

#endif
