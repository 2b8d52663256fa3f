/*
 * The sticky_key table: open hashing (FNV-1a, chained) with an LRU list
 * for eviction and expiry.  Pure memory structure, no I/O; the session
 * calls it with the time, so it is unit-testable.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "sticky.h"

#define STICKY_BUCKETS 4096		/* power of two */

struct sticky_entry {
	struct sticky_entry *next_in_bucket;
	struct list lru;		/* most recently written first */
	uint64_t lsn;
	int pending;			/* positions being fetched */
	int64_t updated_ms;
	char key[];
};

struct sticky_table {
	struct sticky_entry *buckets[STICKY_BUCKETS];
	struct list lru;
	int n;
};

static uint32_t hash_key(const char *key)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h & (STICKY_BUCKETS - 1);
}

struct sticky_table *sticky_new(void)
{
	struct sticky_table *t = calloc(1, sizeof(*t));
	if (t)
		list_init(&t->lru);
	return t;
}

static void entry_remove(struct sticky_table *t, struct sticky_entry *e)
{
	struct sticky_entry **pp = &t->buckets[hash_key(e->key)];
	while (*pp != e)
		pp = &(*pp)->next_in_bucket;
	*pp = e->next_in_bucket;
	list_del(&e->lru);
	t->n--;
	free(e);
}

void sticky_free(struct sticky_table *t)
{
	if (!t)
		return;
	while (!list_empty(&t->lru))
		entry_remove(t, container_of(t->lru.prev, struct sticky_entry, lru));
	free(t);
}

static struct sticky_entry *find(struct sticky_table *t, const char *key)
{
	for (struct sticky_entry *e = t->buckets[hash_key(key)]; e; e = e->next_in_bucket)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

void sticky_note(struct sticky_table *t, const char *key, uint64_t lsn, int64_t now_ms)
{
	struct sticky_entry *e = find(t, key);

	if (!e) {
		size_t kl = strlen(key);
		if (t->n >= STICKY_MAX_ENTRIES)
			entry_remove(t, container_of(t->lru.prev, struct sticky_entry, lru));
		e = calloc(1, sizeof(*e) + kl + 1);
		if (!e)
			return;
		memcpy(e->key, key, kl + 1);
		uint32_t h = hash_key(key);
		e->next_in_bucket = t->buckets[h];
		t->buckets[h] = e;
		list_init(&e->lru);
		t->n++;
	}
	if (lsn > e->lsn)
		e->lsn = lsn;
	e->updated_ms = now_ms;
	list_del(&e->lru);
	list_push_head(&t->lru, &e->lru);
}

void sticky_pending(struct sticky_table *t, const char *key, int64_t now_ms)
{
	struct sticky_entry *e;

	sticky_note(t, key, 0, now_ms);
	e = find(t, key);
	if (e)
		e->pending++;
}

void sticky_done(struct sticky_table *t, const char *key, uint64_t lsn, int64_t now_ms)
{
	struct sticky_entry *e = find(t, key);

	if (!e)
		return;		/* expired or evicted meanwhile */
	if (lsn == 0) {
		e->updated_ms = now_ms;	/* unknown position: stay on the primary until TTL */
		return;
	}
	if (e->pending > 0)
		e->pending--;
	sticky_note(t, key, lsn, now_ms);
}

uint64_t sticky_lookup(struct sticky_table *t, const char *key, int64_t now_ms, int64_t ttl_ms)
{
	struct sticky_entry *e = find(t, key);

	if (!e || now_ms - e->updated_ms > ttl_ms)
		return 0;
	return e->pending > 0 ? UINT64_MAX : e->lsn;
}

int sticky_expire(struct sticky_table *t, int64_t now_ms, int64_t ttl_ms)
{
	while (!list_empty(&t->lru)) {
		struct sticky_entry *e = container_of(t->lru.prev, struct sticky_entry, lru);
		if (now_ms - e->updated_ms <= ttl_ms)
			break;
		entry_remove(t, e);
	}
	return t->n;
}
