/*
 * Session settings that follow a client across server connections.
 *
 * Under transaction pooling a client's next transaction may run on any
 * server connection.  The settings it changed must follow it: the ones
 * PostgreSQL reports (ParameterStatus) are learnt from the reports, the
 * others (search_path, custom settings, ...) from the SET/RESET statements
 * parsed here.  Before a client's statement runs on a server whose
 * settings differ, one statement built by sessvar_sync_sql() makes them
 * equal.  Both sides carry a signature of their whole settings vector so
 * that the common case (nothing differs) is one integer compare.
 *
 * The SET parser is deliberately narrow: a single SET/RESET statement of
 * the usual forms.  Anything else that changes session settings (SET
 * ROLE, SET SESSION CHARACTERISTICS, several statements in one string,
 * comments inside the value) is reported as untracked and the session is
 * pinned instead: exactness over cleverness.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sessvar.h"

const char *const sessvar_reported[SESSVAR_N_REPORTED] = {
	"application_name", "client_encoding", "DateStyle",
	"IntervalStyle", "standard_conforming_strings", "TimeZone",
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

static bool ident_char(char c)
{
	return ident_start(c) || isdigit((unsigned char)c) || c == '$';
}

/* ---------------- Public functions ---------------- */

int sessvar_reported_index(const char *name)
{
	for (int i = 0; i < SESSVAR_N_REPORTED; i++)
		if (strcasecmp(name, sessvar_reported[i]) == 0)
			return i;
	return -1;
}

static int find(const struct sessvars *vs, const char *name, bool *found)
{
	uint32_t lo = 0, hi = vs ? vs->n : 0;

	*found = false;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		int c = strcmp(vs->v[mid].name, name);
		if (c == 0) {
			*found = true;
			return (int)mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int)lo;
}

const struct sessvar *sessvars_get(const struct sessvars *vs, const char *name)
{
	bool found;
	int i = find(vs, name, &found);
	return found ? &vs->v[i] : NULL;
}

bool sessvars_set(struct sessvars **vsp, const char *name, const char *value, bool sql)
{
	struct sessvars *vs = *vsp;
	bool found;
	int i;
	char *v;

	if (!vs) {
		vs = calloc(1, sizeof(*vs));
		if (!vs)
			return false;
		*vsp = vs;
	}
	i = find(vs, name, &found);
	v = strdup(value);
	if (!v)
		return false;
	if (found) {
		free(vs->v[i].value);
		vs->v[i].value = v;
		vs->v[i].sql = sql;
		return true;
	}
	if (vs->n >= SESSVAR_MAX) {
		free(v);
		return false;
	}
	if (vs->n == vs->cap) {
		uint32_t cap = vs->cap ? vs->cap * 2 : 1;	/* most clients set one (application_name) */
		struct sessvar *nv = realloc(vs->v, cap * sizeof(*nv));
		if (!nv) {
			free(v);
			return false;
		}
		vs->v = nv;
		vs->cap = cap;
	}
	char *n = strdup(name);
	if (!n) {
		free(v);
		return false;
	}
	memmove(&vs->v[i + 1], &vs->v[i], (vs->n - (uint32_t)i) * sizeof(*vs->v));
	vs->v[i].name = n;
	vs->v[i].value = v;
	vs->v[i].sql = sql;
	vs->n++;
	return true;
}

void sessvars_unset(struct sessvars **vsp, const char *name)
{
	struct sessvars *vs = *vsp;
	bool found;
	int i = find(vs, name, &found);

	if (!found)
		return;
	free(vs->v[i].name);
	free(vs->v[i].value);
	memmove(&vs->v[i], &vs->v[i + 1], (vs->n - (uint32_t)i - 1) * sizeof(*vs->v));
	if (--vs->n == 0)
		sessvars_free(vsp);
}

bool sessvars_reset_all(struct sessvars **vsp)
{
	struct sessvars *vs = *vsp;
	uint32_t j = 0;
	bool ok = true;

	if (!vs)
		return true;
	for (uint32_t i = 0; i < vs->n; i++) {
		struct sessvar *v = &vs->v[i];
		bool reported = sessvar_reported_index(v->name) >= 0;
		char *empty;

		if (!reported && !strchr(v->name, '.')) {
			free(v->name);
			free(v->value);
			continue;
		}
		if (!reported) {
			if ((empty = strdup(""))) {
				free(v->value);
				v->value = empty;
				v->sql = false;
			}
			ok = ok && empty;
		}
		vs->v[j++] = *v;
	}
	vs->n = j;
	if (j == 0)
		sessvars_free(vsp);
	return ok;
}

void sessvars_free(struct sessvars **vsp)
{
	struct sessvars *vs = *vsp;

	if (!vs)
		return;
	for (uint32_t i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
	}
	free(vs->v);
	free(vs);
	*vsp = NULL;
}

/* Skip whitespace and comments from P; returns the new position. */
static const char *skip_space(const char *p, const char *end)
{
	for (;;) {
		while (p < end && is_space(*p))
			p++;
		if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
			while (p < end && *p != '\n')
				p++;
		} else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
			int depth = 0;
			while (p < end) {
				if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
					depth++;
					p += 2;
				} else if (end - p >= 2 && p[0] == '*' && p[1] == '/') {
					p += 2;
					if (--depth == 0)
						break;
				} else {
					p++;
				}
			}
		} else {
			return p;
		}
	}
}

/* Match keyword KW (lower case) at P as a whole word; returns the position after it or NULL. */
static const char *keyword(const char *p, const char *end, const char *kw)
{
	size_t n = strlen(kw);
	if ((size_t)(end - p) < n || strncasecmp(p, kw, n) != 0)
		return NULL;
	if (p + n < end && ident_char(p[n]))
		return NULL;
	return p + n;
}

/*
 * Read a (possibly dotted, possibly quoted) name into NAME, lower-casing
 * unquoted parts.  Returns the position after it or NULL.
 */
static const char *read_name(const char *p, const char *end, char *name, size_t namelen)
{
	size_t j = 0;

	for (;;) {
		if (p < end && *p == '"') {
			p++;
			for (;;) {
				if (p >= end)
					return NULL;
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						p++;
					} else {
						p++;
						break;
					}
				}
				if (j + 1 >= namelen)
					return NULL;
				name[j++] = (char)tolower((unsigned char)*p++);
			}
		} else if (p < end && ident_start(*p)) {
			while (p < end && ident_char(*p)) {
				if (j + 1 >= namelen)
					return NULL;
				name[j++] = (char)tolower((unsigned char)*p++);
			}
		} else {
			return NULL;
		}
		if (p < end && *p == '.') {
			if (j + 1 >= namelen)
				return NULL;
			name[j++] = '.';
			p++;
			continue;
		}
		name[j] = '\0';
		return j ? p : NULL;
	}
}

/*
 * The value of a SET: from P to the end of the statement, without a
 * trailing ';'.  Quotes are respected; a comment or a second statement
 * makes it untracked.  Returns false when untracked.
 */
static bool read_value(const char *p, const char *end, char *value, size_t valuelen)
{
	const char *start = p, *stop;

	while (p < end) {
		char c = *p;
		if (c == '\'' || c == '"') {
			bool escapes = c == '\'' && p > start && (p[-1] == 'E' || p[-1] == 'e');
			p++;
			while (p < end && *p != c) {
				if (escapes && *p == '\\' && p + 1 < end)
					p++;
				p++;
			}
			if (p >= end)
				return false;
			p++;
			continue;
		}
		if (c == '$')
			return false;	/* dollar quoting in a SET value: not worth the risk */
		if ((c == '-' && p + 1 < end && p[1] == '-') || (c == '/' && p + 1 < end && p[1] == '*'))
			return false;
		if (c == ';') {
			const char *q = skip_space(p + 1, end);
			while (q < end && *q == ';')
				q = skip_space(q + 1, end);
			if (q < end)
				return false;	/* another statement follows */
			break;
		}
		p++;
	}
	stop = p;
	while (stop > start && is_space(stop[-1]))
		stop--;
	if (stop == start || (size_t)(stop - start) >= valuelen)
		return false;
	memcpy(value, start, (size_t)(stop - start));
	value[stop - start] = '\0';
	return true;
}

bool sessvar_value_is(const char *value, const char *word)
{
	size_t n = strlen(value), wl = strlen(word);

	if (n >= 2 && (value[0] == '\'' || value[0] == '"') && value[n - 1] == value[0]) {
		value++;	/* a plain string literal or a quoted name */
		n -= 2;
	}
	return n == wl && strncasecmp(value, word, n) == 0;
}

bool sessvar_value_is_off(const char *value)
{
	return sessvar_value_is(value, "off") || sessvar_value_is(value, "false") ||
	       sessvar_value_is(value, "no") || sessvar_value_is(value, "0");
}

/* After a SET's name at P: past its "=" or TO and the space after it, or NULL. */
static const char *past_assign(const char *p, const char *end)
{
	const char *q;

	p = skip_space(p, end);
	if (p < end && *p == '=')
		return skip_space(p + 1, end);
	if ((q = keyword(p, end, "to")))
		return skip_space(q, end);
	return NULL;
}

static void untracked(struct setstmt *out, const char *why)
{
	out->kind = SETSTMT_UNTRACKED;
	out->why = why;
}

/* Is the rest of the statement empty (whitespace, comments, ';')? */
static bool at_end(const char *p, const char *end)
{
	for (;;) {
		p = skip_space(p, end);
		if (p < end && *p == ';') {
			p++;
			continue;
		}
		return p >= end;
	}
}

void sessvar_parse(const char *sql, size_t len, struct setstmt *out)
{
	const char *end = sql + len, *p, *q;

	memset(out, 0, sizeof(*out));
	p = skip_space(sql, end);
	if ((q = keyword(p, end, "reset"))) {
		p = skip_space(q, end);
		if ((q = keyword(p, end, "all"))) {
			if (!at_end(q, end))
				return untracked(out, "RESET ALL with more statements");
			out->kind = SETSTMT_RESET_ALL;
			return;
		}
		if (keyword(p, end, "role") || keyword(p, end, "session"))
			return untracked(out, "RESET ROLE / SESSION AUTHORIZATION");
		if ((q = keyword(p, end, "time")) && (q = keyword(skip_space(q, end), end, "zone")) &&
		    at_end(q, end)) {
			snprintf(out->name, sizeof(out->name), "timezone");
		} else if (!(q = read_name(p, end, out->name, sizeof(out->name))) || !at_end(q, end)) {
			return untracked(out, "RESET not understood");
		}
		out->kind = sessvar_reported_index(out->name) >= 0 ? SETSTMT_REPORTED : SETSTMT_RESET;
		out->reset = true;
		return;
	}
	if (!(q = keyword(p, end, "set")))
		return untracked(out, "not a SET statement");
	p = skip_space(q, end);
	if ((q = keyword(p, end, "local"))) {
		/* lasts until the end of the transaction: nothing to carry, but its name and value */
		if ((q = read_name(skip_space(q, end), end, out->name, sizeof(out->name))) &&
		    (p = past_assign(q, end)) && read_value(p, end, out->value, sizeof(out->value)))
			out->kind = SETSTMT_LOCAL;
		return;
	}
	if (keyword(p, end, "transaction") || keyword(p, end, "constraints"))
		return;		/* lasts until the end of the transaction: nothing to carry */
	if ((q = keyword(p, end, "session"))) {
		const char *r = skip_space(q, end);
		if (keyword(r, end, "authorization") || keyword(r, end, "characteristics"))
			return untracked(out, "SET SESSION AUTHORIZATION / CHARACTERISTICS");
		p = r;
	}
	if (keyword(p, end, "role"))
		return untracked(out, "SET ROLE");
	if ((q = keyword(p, end, "time"))) {
		q = skip_space(q, end);
		if ((q = keyword(q, end, "zone"))) {
			const char *r;
			out->kind = SETSTMT_REPORTED;
			snprintf(out->name, sizeof(out->name), "timezone");
			q = skip_space(q, end);
			out->reset = ((r = keyword(q, end, "default")) || (r = keyword(q, end, "local"))) &&
				     at_end(r, end);
			return;
		}
	}
	if (keyword(p, end, "names")) {
		out->kind = SETSTMT_REPORTED;
		snprintf(out->name, sizeof(out->name), "client_encoding");
		return;
	}
	if ((q = keyword(p, end, "schema"))) {
		snprintf(out->name, sizeof(out->name), "search_path");
		if (!read_value(skip_space(q, end), end, out->value, sizeof(out->value)))
			return untracked(out, "SET SCHEMA not understood");
		out->kind = SETSTMT_SET;
		return;
	}
	if (keyword(p, end, "seed") || keyword(p, end, "xml"))
		return untracked(out, "SET SEED / XML OPTION");
	if (!(q = read_name(p, end, out->name, sizeof(out->name))) || !(p = past_assign(q, end)))
		return untracked(out, "SET not understood");
	if ((q = keyword(p, end, "default")) && at_end(q, end)) {
		out->kind = sessvar_reported_index(out->name) >= 0 ? SETSTMT_REPORTED : SETSTMT_RESET;
		out->reset = true;
		return;
	}
	if (sessvar_reported_index(out->name) >= 0) {
		out->kind = SETSTMT_REPORTED;
		return;
	}
	if (!read_value(p, end, out->value, sizeof(out->value)))
		return untracked(out, "SET value not understood");
	out->kind = SETSTMT_SET;
}

bool sessvar_tracked(const char *name, strlist track)
{
	if (strcmp(name, "search_path") == 0 || sessvar_reported_index(name) >= 0)
		return true;
	for (int i = 0; track && track[i]; i++)
		if (strcmp(track[i], "*") == 0 || strcasecmp(track[i], name) == 0)
			return true;
	return false;
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= 0xff;	/* separator that cannot occur in a C string */
	return h * 0x100000001b3ULL;
}

uint64_t sessvar_signature(const char *const reported[SESSVAR_N_REPORTED], const struct sessvars *vs)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < SESSVAR_N_REPORTED; i++)
		h = fnv(h, reported[i] ? reported[i] : "\x01");
	for (uint32_t i = 0; vs && i < vs->n; i++) {
		if (sessvar_reported_index(vs->v[i].name) >= 0)
			continue;
		h = fnv(h, vs->v[i].name);
		h = fnv(h, vs->v[i].sql ? "s" : "l");
		h = fnv(h, vs->v[i].value);
	}
	return h;
}

/* Appending to a bounded buffer; *ok turns false when it overflows. */
struct sqlbuf {
	char *buf;
	size_t len, cap;
	bool ok;
};

static void put(struct sqlbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (!b->ok || b->len + n + 1 > b->cap) {
		b->ok = false;
		return;
	}
	memcpy(b->buf + b->len, s, n + 1);
	b->len += n;
}

/* A single-quoted literal (standard_conforming_strings independent: no backslashes doubled needed with E''?) */
static void put_literal(struct sqlbuf *b, const char *s)
{
	char one[2] = { 0, 0 };
	bool backslash = strchr(s, '\\') != NULL;

	put(b, backslash ? "E'" : "'");
	for (; *s; s++) {
		if (*s == '\'')
			put(b, "'");
		if (*s == '\\')
			put(b, "\\");
		one[0] = *s;
		put(b, one);
	}
	put(b, "'");
}

/* NAME as a quoted (possibly dotted) identifier. */
static void put_ident(struct sqlbuf *b, const char *name)
{
	char one[2] = { 0, 0 };

	put(b, "\"");
	for (; *name; name++) {
		if (*name == '.') {
			put(b, "\".\"");
			continue;
		}
		if (*name == '"')
			put(b, "\"");
		one[0] = *name;
		put(b, one);
	}
	put(b, "\"");
}

static void put_set(struct sqlbuf *b, const struct sessvar *v, bool *select_open)
{
	if (v->sql) {
		put(b, "SET ");
		put_ident(b, v->name);
		put(b, " = ");
		put(b, v->value);
		put(b, ";");
		return;
	}
	put(b, *select_open ? ", " : "SELECT ");
	*select_open = true;
	put(b, "pg_catalog.set_config(");
	put_literal(b, v->name);
	put(b, ", ");
	put_literal(b, v->value);
	put(b, ", false)");
}

int sessvar_sync_sql(char *buf, size_t buflen,
		     const char *const want_reported[SESSVAR_N_REPORTED], const struct sessvars *want,
		     const char *const have_reported[SESSVAR_N_REPORTED], const struct sessvars *have)
{
	struct sqlbuf b = { buf, 0, buflen, buflen > 0 };
	bool select_open = false;
	uint32_t i = 0, j = 0;

	if (buflen)
		buf[0] = '\0';
	/* string-valued settings first, in one SELECT of set_config() calls */
	for (int r = 0; r < SESSVAR_N_REPORTED; r++) {
		if (!want_reported[r] || (have_reported[r] && strcmp(want_reported[r], have_reported[r]) == 0))
			continue;
		struct sessvar v = { (char *)sessvar_reported[r], (char *)want_reported[r], false };
		put_set(&b, &v, &select_open);
	}
	for (uint32_t k = 0; want && k < want->n; k++) {
		const struct sessvar *w = &want->v[k], *h = sessvars_get(have, w->name);
		if (!w->sql && sessvar_reported_index(w->name) < 0 &&
		    (!h || h->sql || strcmp(h->value, w->value) != 0))
			put_set(&b, w, &select_open);
	}
	if (select_open)
		put(&b, ";");
	/* then SQL-valued settings and resets, merging the two sorted lists */
	while ((want && i < want->n) || (have && j < have->n)) {
		const struct sessvar *w = want && i < want->n ? &want->v[i] : NULL;
		const struct sessvar *h = have && j < have->n ? &have->v[j] : NULL;
		int c = !w ? 1 : !h ? -1 : strcmp(w->name, h->name);
		const struct sessvar *name_of = c <= 0 ? w : h;
		if (sessvar_reported_index(name_of->name) >= 0) {
			if (c <= 0)
				i++;
			if (c >= 0)
				j++;
			continue;
		}
		if (c < 0) {
			if (w->sql)
				put_set(&b, w, &select_open);
			i++;
		} else if (c > 0) {
			put(&b, "RESET ");
			put_ident(&b, h->name);
			put(&b, ";");
			j++;
		} else {
			if (w->sql && (!h->sql || strcmp(w->value, h->value) != 0))
				put_set(&b, w, &select_open);
			i++;
			j++;
		}
	}
	if (!b.ok)
		return -1;
	return (int)b.len;
}
