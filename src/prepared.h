/*
 * Named prepared statements under transaction pooling.
 *
 * A client's Parse is interned by content (query text + parameter types)
 * into a process-wide registry; the client keeps a name -> statement map
 * and each server connection a bounded set of statements it has prepared
 * under their shared server-side name ("pgsteer_<id>").  No I/O here: the
 * relay (relay.c) decides what to send.
 */
#ifndef PGSTEER_PREPARED_H
#define PGSTEER_PREPARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"

#define PREPARED_SERVER_NAME_LEN 32

/*
 * One distinct statement (text + parameter types, parsed under one
 * search_path), shared by every client that parsed it.
 */
struct pstmt {
	struct pstmt *next;		/* registry hash chain */
	uint64_t hash;
	uint64_t id;
	int refs;			/* client names + server connections holding it */
	uint32_t epoch;			/* bumped when servers must prepare it afresh (atomic) */
	bool linked;			/* in the registry: a Parse of its text finds it */
	int retired;			/* its result shape changed: its Binds fail with 0A000 (atomic) */
	char *stale_error;		/* that ErrorResponse's body as the server sent it (set once) */
	uint32_t stale_error_len;
	uint64_t shape;			/* its result's columns as first described (atomic; 0 = not yet) */
	struct pstmt *depends;		/* "EXECUTE <its server name>": must be prepared first (a reference) */
	char server_name[PREPARED_SERVER_NAME_LEN];
	struct classify_result cls;	/* how its text classifies (routes its Binds) */
	uint32_t body_len;		/* Parse body after the name: query\0 int16 n int32 oids[n] */
	uint32_t context_len;		/* the search_path it was parsed under, after the body */
	char body[];
};

/* A client's statement names. */
struct prep_client_map {
	uint32_t n, cap;
	struct prep_name {
		uint32_t hash;
		char *name;
		struct pstmt *st;
	} *e;
};

/* The statements a server connection holds, with their last use for LRU eviction. */
struct prep_server_set {
	uint32_t n, cap;
	struct prep_held {
		struct pstmt *st;
		uint64_t last_use;
		uint32_t epoch;		/* the statement's epoch when it was prepared here */
	} *e;
};

/*
 * Intern BODY (a Parse body after its name), parsed under CONTEXT (the
 * client's search_path as it set it; NULL or "": the server's): the same
 * text names other tables and types under another search_path, and
 * PostgreSQL parses a prepared statement again when the path changes, so
 * clients with different paths must not share one.  Returns a new
 * reference or NULL (out of memory).
 */
struct pstmt *prepared_intern(const char *body, size_t len, const char *context,
			      const struct classify_result *cls);
/*
 * Every statement in the registry is retired (prepared_retire(), not
 * hard): DDL ran, and a Parse from now on must not get a statement that
 * was parsed before it (a dropped type's OID, a table's old columns).
 * Those already bound keep working as on their backends.
 */
void prepared_retire_all(void);
/* ST's text is "EXECUTE <DEP's server name>": DEP is prepared before it (ST keeps a reference). */
void prepared_depends(struct pstmt *st, struct pstmt *dep);
/*
 * The result shape a RowDescription ('T', MSG whole, LEN from its header)
 * or NoData ('n') gives: names, types and type modifiers, not the format
 * codes (a portal's differ from its statement's).  Never 0; 0 for a
 * malformed message.
 */
uint64_t prepared_shape_of(const uint8_t *msg, uint32_t len);
/* ST's shape as first described, if none yet. */
static inline void prepared_note_shape(struct pstmt *st, uint64_t shape)
{
	uint64_t none = 0;

	if (shape)
		__atomic_compare_exchange_n(&st->shape, &none, shape, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
}
void prepared_ref(struct pstmt *st);
void prepared_unref(struct pstmt *st);
/* Distinct statements alive (for stats and tests). */
size_t prepared_count(void);

/* Client names: lookup, add (takes a reference), remove (drops it), clear. */
struct pstmt *prep_client_get(const struct prep_client_map *m, const char *name);
bool prep_client_add(struct prep_client_map *m, const char *name, struct pstmt *st);
bool prep_client_remove(struct prep_client_map *m, const char *name);
void prep_client_clear(struct prep_client_map *m);

/*
 * ST's plan may be stale on every server that prepared it (an invalidation
 * error, or a client's DEALLOCATE ALL / DISCARD ALL): each server closes
 * and prepares it again at its next use.  Any worker may call it.
 */
void prepared_invalidate(struct pstmt *st);

/*
 * New Parses of ST's text get a new statement from now on (a client's
 * DEALLOCATE ALL / DISCARD ALL asked for fresh plans).  HARD: its result
 * shape changed under it (0A000 "cached plan must not change result
 * type"): every later Bind of it fails with that error, as it would on
 * each backend that prepared it, so that each client's driver prepares
 * it again (a fresh Parse of the old text would answer with columns the
 * client's Bind did not expect).  Any worker may call it.
 */
/*
 * True when it was still in the registry.  A hard retirement keeps ERROR
 * (LEN bytes: the server's ErrorResponse body), which every later Bind's
 * error repeats word for word: drivers recognise it by its fields (pgJDBC
 * prepares again only when the routine is RevalidateCachedQuery).
 */
bool prepared_retire(struct pstmt *st, bool hard, const void *error, size_t len);
static inline bool prepared_retired(const struct pstmt *st)
{
	return __atomic_load_n(&st->retired, __ATOMIC_ACQUIRE) != 0;
}

enum prep_held_state {
	PREP_ABSENT,		/* not prepared on the server */
	PREP_HELD,		/* prepared, and current */
	PREP_STALE,		/* prepared before prepared_invalidate(): close it, prepare again */
};
/* Server sets: does it hold ST (and mark it used at USE)? add (takes a reference), remove, clear. */
enum prep_held_state prep_server_lookup(struct prep_server_set *set, const struct pstmt *st,
					uint64_t use);
static inline bool prep_server_has(struct prep_server_set *set, const struct pstmt *st, uint64_t use)
{
	return prep_server_lookup(set, st, use) == PREP_HELD;
}
/* Does the set hold ST at all (no dereference of ST: it may be any pointer)? */
bool prep_server_holds(const struct prep_server_set *set, const struct pstmt *st);
bool prep_server_add(struct prep_server_set *set, struct pstmt *st, uint64_t use);
bool prep_server_remove(struct prep_server_set *set, const struct pstmt *st);
void prep_server_clear(struct prep_server_set *set);
/*
 * The least recently used statement not used since BATCH_START (those may
 * still be bound by in-flight messages), or NULL.
 */
struct pstmt *prep_server_victim(const struct prep_server_set *set, uint64_t batch_start);

#endif
