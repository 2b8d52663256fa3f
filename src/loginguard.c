/*
 * Failed-login bookkeeping per key (loginguard.h): an open addressing
 * table of LOGINGUARD_SLOTS entries, probed a few slots from the key's
 * hash; when those are all taken by live keys, the one whose window
 * started longest ago is replaced.
 */
#include <stdlib.h>
#include <string.h>

#include "loginguard.h"

#define PROBES 8

struct guard_entry {
	char addr[LOGINGUARD_KEY_LEN];	/* the key; "" = free */
	int failures;
	int64_t window_start;		/* time of the first failure counted */
};

struct loginguard {
	struct guard_entry e[LOGINGUARD_SLOTS];
};

struct loginguard *loginguard_new(void)
{
	return calloc(1, sizeof(struct loginguard));
}

void loginguard_free(struct loginguard *g)
{
	free(g);
}

static uint32_t addr_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

/* ADDR's entry, or NULL (CREATE: a free or the stalest slot of its probe run, made its own). */
static struct guard_entry *find(struct loginguard *g, const char *addr, bool create)
{
	uint32_t h = addr_hash(addr);
	struct guard_entry *free_slot = NULL, *stalest = NULL;

	for (int i = 0; i < PROBES; i++) {
		struct guard_entry *e = &g->e[(h + (uint32_t)i) % LOGINGUARD_SLOTS];
		if (e->addr[0] == '\0') {
			if (!free_slot)
				free_slot = e;
			continue;
		}
		if (strcmp(e->addr, addr) == 0)
			return e;
		if (!stalest || e->window_start < stalest->window_start)
			stalest = e;
	}
	if (!create)
		return NULL;
	if (!free_slot)
		free_slot = stalest;
	memset(free_slot, 0, sizeof(*free_slot));
	strncpy(free_slot->addr, addr, sizeof(free_slot->addr) - 1);
	return free_slot;
}

bool loginguard_allows(struct loginguard *g, const char *addr, int64_t now, int limit,
		       int64_t window_ms, int64_t *retry_ms)
{
	struct guard_entry *e;

	if (!g || limit <= 0 || !addr[0])
		return true;
	e = find(g, addr, false);
	if (!e || e->failures < limit)
		return true;
	if (now - e->window_start >= window_ms) {
		memset(e, 0, sizeof(*e));	/* the window has passed: a clean slate */
		return true;
	}
	if (retry_ms)
		*retry_ms = e->window_start + window_ms - now;
	return false;
}

void loginguard_failed(struct loginguard *g, const char *addr, int64_t now, int64_t window_ms)
{
	struct guard_entry *e;

	if (!g || !addr[0])
		return;
	e = find(g, addr, true);
	if (e->failures == 0 || now - e->window_start >= window_ms) {
		e->failures = 0;
		e->window_start = now;
	}
	e->failures++;
}

void loginguard_succeeded(struct loginguard *g, const char *addr)
{
	struct guard_entry *e;

	if (!g || !addr[0])
		return;
	e = find(g, addr, false);
	if (e)
		memset(e, 0, sizeof(*e));
}

bool loginguard_addr(const char *client_addr, char *out, size_t len)
{
	const char *end;
	size_t n;

	if (len == 0)
		return false;
	out[0] = '\0';
	if (client_addr[0] == '[') {
		client_addr++;
		end = strchr(client_addr, ']');
	} else {
		end = strrchr(client_addr, ':');
	}
	if (!end || end == client_addr)
		return false;	/* "unix" or malformed: not guarded */
	n = (size_t)(end - client_addr);
	if (n >= len)
		n = len - 1;
	memcpy(out, client_addr, n);
	out[n] = '\0';
	return true;
}
