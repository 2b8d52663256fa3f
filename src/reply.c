/*
 * The ring of replies a server connection owes (reply.h): a growable
 * circular array, so that pushing at the tail and popping at the head
 * cost nothing in the steady state of a pipelined client.  What each
 * reply owns and undoes is carry.c's business, not this file's.
 */
#include <stdlib.h>

#include "reply.h"

#define REPLY_RING_FIRST 16

bool reply_ends(const struct reply *r, uint8_t type)
{
	switch (r->kind) {
	case 'P': return type == '1';
	case 'B': return type == '2';
	case 'C': return type == '3';
	case 'D': return type == 'T' || type == 'n';
	case 'E': return type == 'C' || type == 'I' || type == 's';
	default: return type == 'Z';	/* Sync, Query, FunctionCall */
	}
}

/* Double Q's capacity, unwrapping its entries to start at index 0. */
bool reply_ring_grow(struct reply_ring *q)
{
	uint32_t cap = q->cap ? q->cap * 2 : REPLY_RING_FIRST;
	struct reply *nr;

	if (cap <= q->cap)
		return false;	/* 2^32 requests in flight: treat as out of memory */
	nr = malloc((size_t)cap * sizeof(*nr));
	if (!nr)
		return false;
	for (uint32_t i = 0; i < q->len; i++)
		nr[i] = q->r[(q->head + i) % q->cap];
	free(q->r);
	q->r = nr;
	q->head = 0;
	q->cap = cap;
	return true;
}

void reply_ring_free(struct reply_ring *q)
{
	free(q->r);
	q->r = NULL;
	q->head = q->len = q->cap = 0;
}
