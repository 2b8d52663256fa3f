/*
 * Shared read-your-writes positions: sessions that set the same
 * pgsteer.sticky_key share the highest WAL position any of them wrote, so
 * a write through one connection is visible to reads through another.
 * Entries expire after sticky_ttl; the table is bounded (the oldest entry
 * is evicted when full).
 */
#ifndef PGSTEER_STICKY_H
#define PGSTEER_STICKY_H

#include <stdbool.h>
#include <stdint.h>

#define STICKY_MAX_ENTRIES 65536

struct sticky_table;

struct sticky_table *sticky_new(void);
void sticky_free(struct sticky_table *t);
/* KEY wrote up to LSN at NOW_MS: keep the maximum. */
void sticky_note(struct sticky_table *t, const char *key, uint64_t lsn, int64_t now_ms);
/*
 * A write by KEY committed and its position is being fetched: until the
 * matching sticky_done(), lookups answer UINT64_MAX (no replica qualifies).
 */
void sticky_pending(struct sticky_table *t, const char *key, int64_t now_ms);
/* The position arrived (LSN 0: it could not be learnt; stay pending until TTL). */
void sticky_done(struct sticky_table *t, const char *key, uint64_t lsn, int64_t now_ms);
/* The position KEY's sessions must see, 0 if none or expired (TTL_MS). */
uint64_t sticky_lookup(struct sticky_table *t, const char *key, int64_t now_ms, int64_t ttl_ms);
/* Drop entries older than TTL_MS.  Returns how many are left. */
int sticky_expire(struct sticky_table *t, int64_t now_ms, int64_t ttl_ms);

#endif
