/*
 * Small shared helpers: intrusive doubly-linked lists, assertions and
 * array sizes. No state lives here.
 */
#ifndef PGSTEER_COMMON_H
#define PGSTEER_COMMON_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define Assert(x) assert(x)
#define UNUSED(x) ((void)(x))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* Intrusive circular list; an empty list points at itself. */
struct list {
	struct list *next;
	struct list *prev;
};

static inline void list_init(struct list *l)
{
	l->next = l;
	l->prev = l;
}

static inline bool list_empty(const struct list *l)
{
	return l->next == l;
}

static inline void list_insert_after(struct list *pos, struct list *item)
{
	item->next = pos->next;
	item->prev = pos;
	pos->next->prev = item;
	pos->next = item;
}

/* Add at the head: used for LIFO reuse of idle server connections. */
static inline void list_push_head(struct list *l, struct list *item)
{
	list_insert_after(l, item);
}

/* Add at the tail: used for FIFO wait queues. */
static inline void list_push_tail(struct list *l, struct list *item)
{
	list_insert_after(l->prev, item);
}

static inline void list_del(struct list *item)
{
	item->prev->next = item->next;
	item->next->prev = item->prev;
	list_init(item);
}

static inline struct list *list_first(const struct list *l)
{
	return list_empty(l) ? NULL : l->next;
}

#define list_for_each(pos, head) \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

#define list_for_each_safe(pos, tmp, head) \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
	     (pos) = (tmp), (tmp) = (pos)->next)

/*
 * Make *BUF (capacity *CAP) hold at least NEED bytes, doubling from FIRST;
 * its contents are kept.  False when out of memory (*BUF unchanged).
 */
static inline bool grow_buffer(char **buf, uint32_t *cap, size_t need, uint32_t first)
{
	size_t n = *cap ? *cap : first;
	char *p;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	if (n > UINT32_MAX || !(p = realloc(*buf, n)))
		return false;
	*buf = p;
	*cap = (uint32_t)n;
	return true;
}

/*
 * A small fixed set of names (paused clusters, drained nodes): a linear
 * scan over at most NAME_SET_MAX entries, names cut at NAME_SET_LEN - 1.
 */
#define NAME_SET_MAX 64
#define NAME_SET_LEN 64		/* PostgreSQL's NAMEDATALEN */
struct name_set {
	int n;
	char name[NAME_SET_MAX][NAME_SET_LEN];
};

static inline bool name_set_has(const struct name_set *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->name[i], name) == 0)
			return true;
	return false;
}

static inline void name_set_add(struct name_set *s, const char *name)
{
	if (name_set_has(s, name) || s->n >= NAME_SET_MAX)
		return;
	snprintf(s->name[s->n++], NAME_SET_LEN, "%s", name);
}

static inline void name_set_del(struct name_set *s, const char *name)
{
	for (int i = 0; i < s->n; i++) {
		if (strcmp(s->name[i], name) == 0) {
			memmove(s->name[i], s->name[i + 1], (size_t)(s->n - i - 1) * NAME_SET_LEN);
			s->n--;
			return;
		}
	}
}

#endif
