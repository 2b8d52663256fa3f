/*
 * Prepared statement bookkeeping: the content-addressed registry, each
 * client's name map and each server connection's held set.
 *
 * The registry is a chained hash table keyed by a 64-bit hash of the
 * Parse body (query text and parameter types); equal bodies are one
 * statement, whatever the clients call them, so forty clients that
 * prepare the same query cost one Parse per server connection, not forty.
 * A statement lives while a client name or a server connection refers to
 * it.  Client maps and server sets are small arrays scanned linearly:
 * drivers keep tens to a few hundred statements, and a scan of a
 * contiguous array beats a hash table's pointer chasing at that size.
 *
 * Pure bookkeeping: no sockets, no clock.  The registry is shared by the
 * workers (worker.h): interning and references take shared_lock(); a
 * client's map and a server's set belong to one worker and take none.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "prepared.h"
#include "world.h"

#define REGISTRY_BUCKETS 1024

static struct pstmt *registry[REGISTRY_BUCKETS];
static size_t registry_count;
static uint64_t next_id = 1;

/* Take ST out of the registry's hash (shared_lock() held); it lives on for its holders. */
static void unlink_locked(struct pstmt *st)
{
	struct pstmt **pp;

	if (!st->linked)
		return;
	for (pp = &registry[st->hash % REGISTRY_BUCKETS]; *pp; pp = &(*pp)->next) {
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	}
	__atomic_store_n(&st->linked, false, __ATOMIC_RELAXED);	/* read unlocked: shape_unsure() */
}

/* ---------------- Public functions ---------------- */

/* FNV-1a, 64 bits: statement bodies are short and this is not an adversarial table. */
static uint64_t hash_bytes(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct pstmt *prepared_intern(const char *body, size_t len, const char *context,
			      const struct classify_result *cls)
{
	size_t clen = context ? strlen(context) : 0;
	uint64_t h = hash_bytes(body, len) ^ (hash_bytes(context, clen) * 31);
	struct pstmt **bucket = &registry[h % REGISTRY_BUCKETS];
	struct pstmt *st;

	shared_lock();
	for (st = *bucket; st; st = st->next) {
		if (st->hash == h && st->body_len == len && st->context_len == clen &&
		    memcmp(st->body, body, len) == 0 &&
		    (clen == 0 || memcmp(st->body + len, context, clen) == 0)) {
			st->refs++;
			shared_unlock();
			return st;
		}
	}
	st = malloc(sizeof(*st) + len + clen);
	if (!st) {
		shared_unlock();
		return NULL;
	}
	st->hash = h;
	st->id = next_id++;
	st->refs = 1;
	st->epoch = 0;
	st->linked = true;
	st->retired = 0;
	st->shape = 0;
	st->depends = NULL;
	st->stale_error = NULL;
	st->stale_error_len = 0;
	snprintf(st->server_name, sizeof(st->server_name), "pgsteer_%" PRIu64, st->id);
	st->cls = *cls;
	st->body_len = (uint32_t)len;
	memcpy(st->body, body, len);
	st->context_len = (uint32_t)clen;
	if (clen)
		memcpy(st->body + len, context, clen);
	st->next = *bucket;
	*bucket = st;
	registry_count++;
	shared_unlock();
	return st;
}

void prepared_ref(struct pstmt *st)
{
	shared_lock();
	st->refs++;
	shared_unlock();
}

void prepared_unref(struct pstmt *st)
{
	shared_lock();
	Assert(st->refs > 0);
	if (--st->refs > 0) {
		shared_unlock();
		return;
	}
	unlink_locked(st);
	registry_count--;
	shared_unlock();
	if (st->depends)
		prepared_unref(st->depends);
	free(st->stale_error);
	free(st);
}

void prepared_depends(struct pstmt *st, struct pstmt *dep)
{
	bool set = false;

	shared_lock();
	if (!st->depends) {
		__atomic_store_n(&st->depends, dep, __ATOMIC_RELEASE);	/* read unlocked: ensure_prepared() */
		dep->refs++;
		set = true;
	}
	shared_unlock();
	Assert(set || st->depends == dep);	/* its text names DEP's server name */
	(void)set;
}

bool prepared_retire(struct pstmt *st, bool hard, const void *error, size_t len)
{
	bool was;

	shared_lock();
	was = st->linked;
	unlink_locked(st);
	if (hard && !st->retired) {
		st->stale_error = len ? malloc(len) : NULL;
		if (st->stale_error) {
			memcpy(st->stale_error, error, len);
			st->stale_error_len = (uint32_t)len;
		}
		__atomic_store_n(&st->retired, 1, __ATOMIC_RELEASE);	/* after the error */
	}
	shared_unlock();
	return was;
}

void prepared_retire_all(void)
{
	shared_lock();
	for (size_t b = 0; b < REGISTRY_BUCKETS; b++)
		while (registry[b])
			unlink_locked(registry[b]);
	shared_unlock();
}

uint64_t prepared_shape_of(const uint8_t *msg, uint32_t len)
{
	const uint8_t *p = msg + 7, *end = msg + 1 + len;
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	int n;

	if (msg[0] == 'n')
		return 1;
	if (msg[0] != 'T' || len < 6)
		return 0;
	n = (msg[5] << 8) | msg[6];
	for (int i = 0; i < n; i++) {
		const uint8_t *name = p;
		while (p < end && *p)
			p++;
		if (end - p < 1 + 18)
			return 0;
		p++;	/* the name's NUL */
		/* name, then type OID (at +6), size (+10), modifier (+12); not table, column, format */
		h = (h ^ hash_bytes((const char *)name, (size_t)(p - name))) * 1099511628211ULL;
		h = (h ^ hash_bytes((const char *)p + 6, 10)) * 1099511628211ULL;
		p += 18;
	}
	return h ? h : 2;
}

size_t prepared_count(void)
{
	size_t n;

	shared_lock();
	n = registry_count;
	shared_unlock();
	return n;
}

static uint32_t hash_name(const char *name)
{
	return (uint32_t)hash_bytes(name, strlen(name));
}

static struct prep_name *client_find(const struct prep_client_map *m, const char *name)
{
	uint32_t h = hash_name(name);
	for (uint32_t i = 0; i < m->n; i++)
		if (m->e[i].hash == h && strcmp(m->e[i].name, name) == 0)
			return &m->e[i];
	return NULL;
}

struct pstmt *prep_client_get(const struct prep_client_map *m, const char *name)
{
	struct prep_name *e = client_find(m, name);
	return e ? e->st : NULL;
}

bool prep_client_add(struct prep_client_map *m, const char *name, struct pstmt *st)
{
	char *copy;

	if (m->n == m->cap) {
		uint32_t cap = m->cap ? m->cap * 2 : 8;
		struct prep_name *e = realloc(m->e, cap * sizeof(*e));
		if (!e)
			return false;
		m->e = e;
		m->cap = cap;
	}
	copy = strdup(name);
	if (!copy)
		return false;
	prepared_ref(st);
	m->e[m->n].hash = hash_name(name);
	m->e[m->n].name = copy;
	m->e[m->n].st = st;
	m->n++;
	return true;
}

bool prep_client_remove(struct prep_client_map *m, const char *name)
{
	struct prep_name *e = client_find(m, name);

	if (!e)
		return false;
	free(e->name);
	prepared_unref(e->st);
	*e = m->e[--m->n];
	return true;
}

void prep_client_clear(struct prep_client_map *m)
{
	for (uint32_t i = 0; i < m->n; i++) {
		free(m->e[i].name);
		prepared_unref(m->e[i].st);
	}
	free(m->e);
	m->e = NULL;
	m->n = m->cap = 0;
}

enum prep_held_state prep_server_lookup(struct prep_server_set *set, const struct pstmt *st,
					uint64_t use)
{
	for (uint32_t i = 0; i < set->n; i++) {
		if (set->e[i].st == st) {
			set->e[i].last_use = use;
			return set->e[i].epoch == __atomic_load_n(&st->epoch, __ATOMIC_RELAXED)
				       ? PREP_HELD : PREP_STALE;
		}
	}
	return PREP_ABSENT;
}

bool prep_server_holds(const struct prep_server_set *set, const struct pstmt *st)
{
	for (uint32_t i = 0; i < set->n; i++)
		if (set->e[i].st == st)
			return true;
	return false;
}

void prepared_invalidate(struct pstmt *st)
{
	__atomic_add_fetch(&st->epoch, 1, __ATOMIC_RELAXED);
}

bool prep_server_add(struct prep_server_set *set, struct pstmt *st, uint64_t use)
{
	if (set->n == set->cap) {
		uint32_t cap = set->cap ? set->cap * 2 : 8;
		struct prep_held *e = realloc(set->e, cap * sizeof(*e));
		if (!e)
			return false;
		set->e = e;
		set->cap = cap;
	}
	prepared_ref(st);
	set->e[set->n].st = st;
	set->e[set->n].last_use = use;
	set->e[set->n].epoch = __atomic_load_n(&st->epoch, __ATOMIC_RELAXED);
	set->n++;
	return true;
}

bool prep_server_remove(struct prep_server_set *set, const struct pstmt *st)
{
	for (uint32_t i = 0; i < set->n; i++) {
		if (set->e[i].st == st) {
			struct pstmt *held = set->e[i].st;
			set->e[i] = set->e[--set->n];
			prepared_unref(held);
			return true;
		}
	}
	return false;
}

void prep_server_clear(struct prep_server_set *set)
{
	for (uint32_t i = 0; i < set->n; i++)
		prepared_unref(set->e[i].st);
	free(set->e);
	set->e = NULL;
	set->n = set->cap = 0;
}

struct pstmt *prep_server_victim(const struct prep_server_set *set, uint64_t batch_start)
{
	struct pstmt *victim = NULL;
	uint64_t oldest = UINT64_MAX;

	for (uint32_t i = 0; i < set->n; i++) {
		if (set->e[i].last_use < batch_start && set->e[i].last_use < oldest) {
			oldest = set->e[i].last_use;
			victim = set->e[i].st;
		}
	}
	return victim;
}
