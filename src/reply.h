/*
 * A reply owed by a server connection, and the ring of them it keeps.
 *
 * struct reply says what one request sent to PostgreSQL was and what the
 * relay does with its replies; struct reply_ring holds them in request
 * order (PostgreSQL answers in that order, so the head always says what
 * the next reply belongs to).  Storage only: what a reply owns, and the
 * undoing of what it registered, is carry.c's.  No server, no event
 * loop, no logging, so that a unit test links this file alone.
 */
#ifndef PGSTEER_REPLY_H
#define PGSTEER_REPLY_H

#include <stdbool.h>
#include <stdint.h>

struct pstmt;
struct setop;

/* What the relay does with the replies to one request. */
enum reply_action {
	REPLY_FORWARD,		/* the client's request: its replies go to the client */
	REPLY_HIDE,		/* pgsteer's own request: its replies are dropped */
	REPLY_FAKE,		/* answered by pgsteer: nothing went to the server */
	REPLY_DISCARD,		/* the client's, sent ahead of a causal check that failed: dropped, sent again elsewhere */
};

#define REPLY_LOGIN 0x01	/* the hidden settings statement of a login */
#define REPLY_DESCRIBE_STMT 0x02	/* a faked Describe of a statement (not a portal) */
#define REPLY_STALE_ERROR 0x04	/* its ErrorResponse is replaced by client_stmt's stale_error */
#define REPLY_CAUSAL 0x08	/* a causal read's check of the replica's replay position */
#define REPLY_SHAPE 0x10	/* a hidden Describe: has stmt's result shape changed since first described? */
#define REPLY_DROP_NODATA 0x20	/* a Describe sent for a client's simple Query: its NoData is not the client's */

/*
 * One request whose replies are still owed.  KIND is the request's
 * message type ('P','B','C','D','E','S'; 'Q' also for FunctionCall and for
 * a faked DEALLOCATE).  Replies end at: '1' Parse, '2' Bind, '3' Close,
 * 'T'/'n' Describe, 'C'/'I'/'s' Execute, 'Z' Sync/Query; an ErrorResponse
 * ends every extended request up to the next Sync.
 */
struct reply {
	uint8_t kind;
	uint8_t action;
	uint8_t flags;
	struct pstmt *server_reg;	/* a Parse sent: undone on the server if it fails */
	char *client_name;		/* a client Parse/Close: its name is undone if it never runs */
	struct pstmt *client_stmt;	/* Close: what the name meant (a reference), put back on undo */
	struct setop *ops;		/* Sync/Query: settings applied if the group succeeds */
	struct pstmt *stmt;		/* Bind/Describe/Execute: the shared statement it uses
					 * (no reference: checked against the server's set) */
};

/* Does reply TYPE end the request R? */
bool reply_ends(const struct reply *r, uint8_t type);

/*
 * Replies owed, oldest first: LEN entries from R[HEAD], wrapping at CAP.
 * All zero is an empty ring.
 */
struct reply_ring {
	struct reply *r;
	uint32_t head, len, cap;
};

/* Double the ring's room (from 16), keeping the order; false when out of memory. */
bool reply_ring_grow(struct reply_ring *q);

/* Append R (a copy); false when out of memory (the ring is unchanged).  Inline: once per request. */
static inline bool reply_ring_push(struct reply_ring *q, const struct reply *r)
{
	if (q->len == q->cap && !reply_ring_grow(q))
		return false;
	q->r[(q->head + q->len) % q->cap] = *r;
	q->len++;
	return true;
}

/* Forget the head request (its replies have all come); nothing on an empty ring. */
static inline void reply_ring_drop_head(struct reply_ring *q)
{
	if (!q->len)
		return;
	q->head = (q->head + 1) % q->cap;
	q->len--;
}

static inline uint32_t reply_ring_len(const struct reply_ring *q)
{
	return q->len;
}

/* The I-th request from the head, or NULL past the end. */
static inline struct reply *reply_ring_at(const struct reply_ring *q, uint32_t i)
{
	return i < q->len ? &q->r[(q->head + i) % q->cap] : NULL;
}

/* The oldest request (the next reply is its), or NULL. */
static inline struct reply *reply_ring_head(const struct reply_ring *q)
{
	return q->len ? &q->r[q->head] : NULL;
}

/* The request pushed last, or NULL. */
static inline struct reply *reply_ring_last(const struct reply_ring *q)
{
	return q->len ? reply_ring_at(q, q->len - 1) : NULL;
}


/* Free the storage; the entries own nothing any more (empty the ring first). */
void reply_ring_free(struct reply_ring *q);

#endif
