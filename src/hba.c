/*
 * hba_file parser and matcher (see hba.h for the syntax).  Owns the rule
 * list and its messages; must not touch sockets, the event loop or the
 * running configuration: client.c asks, this module answers.
 *
 * Design.  A line is read in two passes, as PostgreSQL's hba.c does:
 * first into fields (separated by whitespace) of tokens (separated by
 * commas, with double quotes protecting spaces, commas, '#' and keywords),
 * then field by field into a rule.  Every error names FILE:LINE and stops
 * the load: an access file that half-loads is worse than one that does
 * not load at all, and on reload the running rules stay in place.
 * Matching is a linear scan, first match wins; files have tens of lines
 * and it runs once per login, never on the query path.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hba.h"
#include "textfile.h"

#define HBA_MAX_FILE_SIZE (1024 * 1024)

struct token {
	char *s;
	bool quoted;		/* some part was in double quotes: never a keyword */
};

struct field {
	struct token *tokens;
	int n;
};

struct line_fields {
	struct field *fields;
	int n;
};

/* The words of the connection type and method fields. */
struct keyword {
	const char *name;
	int value;
};

static const struct keyword conn_types[] = {
	{ "local", HBA_LOCAL }, { "host", HBA_HOST },
	{ "hostssl", HBA_HOSTSSL }, { "hostnossl", HBA_HOSTNOSSL }, { NULL, 0 },
};

static const struct keyword methods[] = {
	{ "trust", HBA_TRUST }, { "md5", HBA_MD5 },
	{ "scram-sha-256", HBA_SCRAM }, { "cert", HBA_CERT },
	{ "reject", HBA_REJECT }, { NULL, 0 },
};

static const struct keyword clientcerts[] = {
	{ "verify-ca", HBA_CLIENTCERT_CA }, { "verify-full", HBA_CLIENTCERT_FULL }, { NULL, 0 },
};

static const struct keyword clientnames[] = {
	{ "CN", HBA_CLIENTNAME_CN }, { "DN", HBA_CLIENTNAME_DN }, { NULL, 0 },
};

struct parse_ctx {
	const char *name;
	int lineno;
	char *errbuf;
	size_t errlen;
	bool failed;
};

static void fail(struct parse_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static bool split_line(struct parse_ctx *ctx, const char *line, size_t len,
		       struct line_fields *lf);
static void line_fields_free(struct line_fields *lf);
static bool parse_rule(struct parse_ctx *ctx, const struct line_fields *lf,
		       struct hba_rule *r);
static void rule_free(struct hba_rule *r);
static bool rule_matches(const struct hba_rule *r, const struct hba_client *cl);

/* ---------------- Public functions ---------------- */

struct hba *hba_load(const char *path, char *errbuf, size_t errlen)
{
	char *text = textfile_read(path, HBA_MAX_FILE_SIZE, errbuf, errlen);
	struct hba *h;

	if (!text)
		return NULL;
	h = hba_parse(path, text, errbuf, errlen);
	free(text);
	return h;
}

struct hba *hba_parse(const char *name, const char *text, char *errbuf, size_t errlen)
{
	struct parse_ctx ctx = { .name = name, .errbuf = errbuf, .errlen = errlen };
	struct hba *h = calloc(1, sizeof(*h));
	int cap = 0;

	if (!h || !(h->path = strdup(name))) {
		free(h);
		snprintf(errbuf, errlen, "%s: out of memory", name);
		return NULL;
	}
	for (const char *p = text; *p && !ctx.failed;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		struct line_fields lf = { NULL, 0 };

		ctx.lineno++;
		if (split_line(&ctx, p, len, &lf) && lf.n > 0) {
			if (h->n_rules == cap) {
				int ncap = cap ? cap * 2 : 16;
				struct hba_rule *n = realloc(h->rules, (size_t)ncap * sizeof(*n));
				if (!n)
					fail(&ctx, "out of memory");
				else {
					h->rules = n;
					cap = ncap;
				}
			}
			if (!ctx.failed) {
				struct hba_rule *r = &h->rules[h->n_rules];
				memset(r, 0, sizeof(*r));
				r->line = ctx.lineno;
				if (parse_rule(&ctx, &lf, r))
					h->n_rules++;
				else
					rule_free(r);
			}
		}
		line_fields_free(&lf);
		p = eol ? eol + 1 : p + len;
	}
	if (!ctx.failed && h->n_rules == 0) {
		snprintf(errbuf, errlen, "%s: no rules (an empty hba_file would refuse every client)",
			 name);
		ctx.failed = true;
	}
	if (ctx.failed) {
		hba_free(h);
		return NULL;
	}
	if (errlen > 0)
		errbuf[0] = '\0';
	return h;
}

void hba_free(struct hba *h)
{
	if (!h)
		return;
	for (int i = 0; i < h->n_rules; i++)
		rule_free(&h->rules[i]);
	free(h->rules);
	free(h->path);
	free(h);
}

const struct hba_rule *hba_match(const struct hba *h, const struct hba_client *cl)
{
	for (int i = 0; i < h->n_rules; i++)
		if (rule_matches(&h->rules[i], cl))
			return &h->rules[i];
	return NULL;
}

void hba_refusal_message(const struct hba_rule *rule, const struct hba_client *cl,
			 char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN + 8];

	hba_format_host(cl->addr, host, sizeof(host));
	snprintf(buf, len, "%s for host \"%s\", user \"%s\", database \"%s\", %s",
		 rule ? "pg_hba.conf rejects connection" : "no pg_hba.conf entry",
		 host, cl->user, cl->database, cl->tls ? "SSL encryption" : "no encryption");
}

void hba_format_host(const struct sockaddr *addr, char *buf, size_t len)
{
	const void *a = NULL;

	if (addr && addr->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)addr)->sin_addr;
	else if (addr && addr->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr;
	if (!a) {
		snprintf(buf, len, "[local]");
		return;
	}
	if (!inet_ntop(addr->sa_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

const struct hba_rule *hba_first_password_rule(const struct hba *h)
{
	for (int i = 0; i < h->n_rules; i++)
		if (h->rules[i].method == HBA_MD5 || h->rules[i].method == HBA_SCRAM)
			return &h->rules[i];
	return NULL;
}

const struct hba_rule *hba_first_certificate_rule(const struct hba *h)
{
	for (int i = 0; i < h->n_rules; i++)
		if (h->rules[i].clientcert != HBA_CLIENTCERT_NONE)
			return &h->rules[i];
	return NULL;
}

const char *hba_method_name(enum hba_method m)
{
	for (const struct keyword *k = methods; k->name; k++)
		if (k->value == (int)m)
			return k->name;
	return "?";
}

/* ---------------- Internal functions ---------------- */

/* Record the first error as "FILE:LINE: message". */
static void fail(struct parse_ctx *ctx, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (ctx->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ctx->errbuf, ctx->errlen, "%s:%d: %s", ctx->name, ctx->lineno, msg);
	ctx->failed = true;
}

static bool keyword_lookup(const struct keyword *kw, const char *s, int *out)
{
	for (; kw->name; kw++) {
		if (strcmp(s, kw->name) == 0) {
			*out = kw->value;
			return true;
		}
	}
	return false;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool push_token(struct parse_ctx *ctx, struct field *f, char *s, bool quoted)
{
	struct token *n = realloc(f->tokens, (size_t)(f->n + 1) * sizeof(*n));
	if (!n) {
		free(s);
		fail(ctx, "out of memory");
		return false;
	}
	f->tokens = n;
	f->tokens[f->n].s = s;
	f->tokens[f->n].quoted = quoted;
	f->n++;
	return true;
}

/*
 * Split one line into whitespace-separated fields of comma-separated
 * tokens.  Quotes are removed but remembered, so that "all" is a name.
 */
static bool split_line(struct parse_ctx *ctx, const char *line, size_t len,
		       struct line_fields *lf)
{
	size_t pos = 0;

	for (;;) {
		while (pos < len && is_blank(line[pos]))
			pos++;
		if (pos >= len || line[pos] == '#')
			return true;
		struct field *nf = realloc(lf->fields, (size_t)(lf->n + 1) * sizeof(*nf));
		if (!nf) {
			fail(ctx, "out of memory");
			return false;
		}
		lf->fields = nf;
		struct field *f = &lf->fields[lf->n++];
		f->tokens = NULL;
		f->n = 0;
		for (;;) {
			char *s = malloc(len - pos + 1);
			size_t n = 0;
			bool quoted = false, in_quote = false;

			if (!s) {
				fail(ctx, "out of memory");
				return false;
			}
			while (pos < len) {
				char c = line[pos];
				if (!in_quote && (is_blank(c) || c == ',' || c == '#'))
					break;
				pos++;
				if (c == '"') {
					in_quote = !in_quote;
					quoted = true;
					continue;
				}
				s[n++] = c;
			}
			s[n] = '\0';
			if (in_quote) {
				free(s);
				fail(ctx, "unterminated quoted string");
				return false;
			}
			if (n == 0 && !quoted) {
				free(s);
				fail(ctx, "empty name in a comma-separated list");
				return false;
			}
			if (!push_token(ctx, f, s, quoted))
				return false;
			if (pos < len && line[pos] == ',') {
				pos++;
				while (pos < len && is_blank(line[pos]))
					pos++;
				continue;
			}
			break;
		}
	}
}

static void line_fields_free(struct line_fields *lf)
{
	for (int i = 0; i < lf->n; i++) {
		for (int j = 0; j < lf->fields[i].n; j++)
			free(lf->fields[i].tokens[j].s);
		free(lf->fields[i].tokens);
	}
	free(lf->fields);
}

static bool is_keyword(const struct token *t, const char *kw)
{
	return !t->quoted && strcmp(t->s, kw) == 0;
}

/* The one token of a field that takes no list, or NULL after an error. */
static const struct token *single(struct parse_ctx *ctx, const struct field *f, const char *what)
{
	if (f->n != 1) {
		fail(ctx, "multiple values specified for %s", what);
		return NULL;
	}
	return &f->tokens[0];
}

static bool parse_conn_type(struct parse_ctx *ctx, const struct field *f, struct hba_rule *r)
{
	const struct token *t = single(ctx, f, "connection type");
	int v;

	if (!t)
		return false;
	if (keyword_lookup(conn_types, t->s, &v)) {
		r->conn_type = (enum hba_conn_type)v;
		return true;
	}
	if (strcmp(t->s, "hostgssenc") == 0 || strcmp(t->s, "hostnogssenc") == 0 ||
	    strncmp(t->s, "include", 7) == 0)
		fail(ctx, "unsupported connection type \"%s\" (pgsteer supports local, host, "
		     "hostssl and hostnossl)", t->s);
	else
		fail(ctx, "invalid connection type \"%s\"", t->s);
	return false;
}

/* DATABASE or USER: a list of names and keywords. */
static bool parse_names(struct parse_ctx *ctx, const struct field *f, bool database,
			struct hba_name **out, int *n_out)
{
	struct hba_name *names = calloc((size_t)f->n, sizeof(*names));

	if (!names) {
		fail(ctx, "out of memory");
		return false;
	}
	*out = names;
	*n_out = f->n;
	for (int i = 0; i < f->n; i++) {
		const struct token *t = &f->tokens[i];
		if (is_keyword(t, "all")) {
			names[i].kind = HBA_NAME_ALL;
		} else if (database && is_keyword(t, "sameuser")) {
			names[i].kind = HBA_NAME_SAMEUSER;
		} else if (database && is_keyword(t, "replication")) {
			names[i].kind = HBA_NAME_REPLICATION;
		} else if (database && (is_keyword(t, "samerole") || is_keyword(t, "samegroup"))) {
			fail(ctx, "unsupported database keyword \"%s\" (pgsteer does not know "
			     "role membership)", t->s);
			return false;
		} else if (!t->quoted && t->s[0] == '@') {
			fail(ctx, "unsupported file inclusion \"%s\": list the names in hba_file", t->s);
			return false;
		} else if (!database && !t->quoted && t->s[0] == '+') {
			fail(ctx, "unsupported group name \"%s\" (pgsteer does not know role "
			     "membership): list the users", t->s);
			return false;
		} else {
			names[i].kind = HBA_NAME_LITERAL;
			if (!(names[i].name = strdup(t->s))) {
				fail(ctx, "out of memory");
				return false;
			}
		}
	}
	return true;
}

/* A decimal prefix length 0..max, digits only. */
static bool parse_prefix(const char *s, int max, int *out)
{
	int v = 0;

	if (!*s || strlen(s) > 3)
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		v = v * 10 + (*s - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* inet_pton for either family; the address length in bytes, 0 if neither. */
static int parse_ip(const char *s, int *family, uint8_t out[16])
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		return 4;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = AF_INET6;
		return 16;
	}
	return 0;
}

/* ADDRESS (and, without a /prefix, the netmask field after it). */
static bool parse_address(struct parse_ctx *ctx, const struct line_fields *lf, int *idx,
			  struct hba_rule *r)
{
	const struct token *t = single(ctx, &lf->fields[*idx], "host address");
	char buf[INET6_ADDRSTRLEN + 8];
	int alen, prefix;
	char *slash;

	if (!t)
		return false;
	(*idx)++;
	if (is_keyword(t, "all")) {
		r->any_address = true;
		return true;
	}
	if (is_keyword(t, "samehost") || is_keyword(t, "samenet")) {
		fail(ctx, "unsupported address \"%s\": use an address in CIDR form", t->s);
		return false;
	}
	if (strlen(t->s) >= sizeof(buf)) {
		fail(ctx, "invalid IP address \"%s\"", t->s);
		return false;
	}
	strcpy(buf, t->s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	alen = parse_ip(buf, &r->family, r->addr);
	if (alen == 0) {
		if (slash || strchr(buf, ':') || strspn(buf, "0123456789.") == strlen(buf))
			fail(ctx, "invalid IP address \"%s\"", t->s);
		else
			fail(ctx, "unsupported address \"%s\": host names are not supported, "
			     "use an address in CIDR form", t->s);
		return false;
	}
	if (slash) {
		if (!parse_prefix(slash + 1, alen * 8, &prefix)) {
			fail(ctx, "invalid CIDR mask in address \"%s\"", t->s);
			return false;
		}
		for (int i = 0; i < alen; i++) {
			int bits = prefix - i * 8;
			r->mask[i] = bits >= 8 ? 0xFF : bits <= 0 ? 0 : (uint8_t)(0xFF << (8 - bits));
		}
	} else {
		int mfamily;
		if (*idx >= lf->n) {
			fail(ctx, "end-of-line before netmask specification");
			return false;
		}
		t = single(ctx, &lf->fields[*idx], "netmask");
		if (!t)
			return false;
		(*idx)++;
		if (parse_ip(t->s, &mfamily, r->mask) == 0) {
			fail(ctx, "invalid IP mask \"%s\"", t->s);
			return false;
		}
		if (mfamily != r->family) {
			fail(ctx, "IP address and mask do not match");
			return false;
		}
	}
	for (int i = 0; i < alen; i++)
		r->addr[i] &= r->mask[i];
	return true;
}

static bool parse_method(struct parse_ctx *ctx, const struct field *f, struct hba_rule *r)
{
	const struct token *t = single(ctx, f, "authentication type");
	int v;

	if (!t)
		return false;
	if (keyword_lookup(methods, t->s, &v)) {
		r->method = (enum hba_method)v;
		return true;
	}
	fail(ctx, "unsupported authentication method \"%s\" (pgsteer supports trust, md5, "
	     "scram-sha-256, cert and reject)", t->s);
	return false;
}

/* One "name=value" option after the method; PostgreSQL 15's words for misuse. */
static bool parse_option(struct parse_ctx *ctx, const struct field *f, struct hba_rule *r,
			 bool *clientname_set)
{
	const struct token *t = single(ctx, f, "authentication option");
	const char *eq;
	int v;

	if (!t)
		return false;
	eq = strchr(t->s, '=');
	if (!eq) {
		fail(ctx, "authentication option not in name=value format: %s", t->s);
		return false;
	}
	if ((size_t)(eq - t->s) == 10 && strncmp(t->s, "clientcert", 10) == 0) {
		if (r->conn_type != HBA_HOSTSSL) {
			fail(ctx, "clientcert can only be configured for \"hostssl\" rows");
			return false;
		}
		if (!keyword_lookup(clientcerts, eq + 1, &v)) {
			fail(ctx, "invalid value for clientcert: \"%s\" (verify-ca or verify-full)",
			     eq + 1);
			return false;
		}
		if (r->method == HBA_CERT && v != HBA_CLIENTCERT_FULL) {
			fail(ctx, "clientcert only accepts \"verify-full\" when using \"cert\" "
			     "authentication");
			return false;
		}
		r->clientcert = (enum hba_clientcert)v;
		return true;
	}
	if ((size_t)(eq - t->s) == 10 && strncmp(t->s, "clientname", 10) == 0) {
		if (r->conn_type != HBA_HOSTSSL) {
			fail(ctx, "clientname can only be configured for \"hostssl\" rows");
			return false;
		}
		if (!keyword_lookup(clientnames, eq + 1, &v)) {
			fail(ctx, "invalid value for clientname: \"%s\" (CN or DN)", eq + 1);
			return false;
		}
		r->clientname = (enum hba_clientname)v;
		*clientname_set = true;
		return true;
	}
	fail(ctx, "unsupported authentication option \"%.*s\" (pgsteer takes clientcert "
	     "and clientname)", (int)(eq - t->s), t->s);
	return false;
}

/* Fields → rule.  r->line is set; everything else comes from LF. */
static bool parse_rule(struct parse_ctx *ctx, const struct line_fields *lf, struct hba_rule *r)
{
	int idx = 1;

	if (!parse_conn_type(ctx, &lf->fields[0], r))
		return false;
	if (idx >= lf->n) {
		fail(ctx, "end-of-line before database specification");
		return false;
	}
	if (!parse_names(ctx, &lf->fields[idx++], true, &r->databases, &r->n_databases))
		return false;
	if (idx >= lf->n) {
		fail(ctx, "end-of-line before role specification");
		return false;
	}
	if (!parse_names(ctx, &lf->fields[idx++], false, &r->users, &r->n_users))
		return false;
	if (r->conn_type == HBA_LOCAL) {
		r->any_address = true;
	} else {
		if (idx >= lf->n) {
			fail(ctx, "end-of-line before IP address specification");
			return false;
		}
		if (!parse_address(ctx, lf, &idx, r))
			return false;
	}
	if (idx >= lf->n) {
		fail(ctx, "end-of-line before authentication method");
		return false;
	}
	if (!parse_method(ctx, &lf->fields[idx++], r))
		return false;
	if (r->method == HBA_CERT) {
		if (r->conn_type != HBA_HOSTSSL) {
			fail(ctx, "cert authentication is only supported on hostssl connections");
			return false;
		}
		r->clientcert = HBA_CLIENTCERT_FULL;
	}
	bool clientname_set = false;
	while (idx < lf->n) {
		if (!parse_option(ctx, &lf->fields[idx++], r, &clientname_set))
			return false;
	}
	if (clientname_set && r->clientcert != HBA_CLIENTCERT_FULL) {
		fail(ctx, "clientname needs cert authentication or clientcert=verify-full");
		return false;
	}
	return true;
}

static void names_free(struct hba_name *names, int n)
{
	if (!names)
		return;
	for (int i = 0; i < n; i++)
		free(names[i].name);
	free(names);
}

static void rule_free(struct hba_rule *r)
{
	names_free(r->databases, r->n_databases);
	names_free(r->users, r->n_users);
	r->databases = r->users = NULL;
}

static bool name_matches(const struct hba_name *names, int n, const char *value,
			 const char *user)
{
	for (int i = 0; i < n; i++) {
		switch (names[i].kind) {
		case HBA_NAME_ALL:
			return true;
		case HBA_NAME_SAMEUSER:
			if (strcmp(value, user) == 0)
				return true;
			break;
		case HBA_NAME_REPLICATION:
			break;
		case HBA_NAME_LITERAL:
			if (strcmp(value, names[i].name) == 0)
				return true;
			break;
		}
	}
	return false;
}

/* The client address as family + bytes; an IPv4-mapped IPv6 address is IPv4. */
static int client_ip(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(out, a->s6_addr + 12, 4);
			return AF_INET;
		}
		memcpy(out, a->s6_addr, 16);
		return AF_INET6;
	}
	return AF_UNSPEC;
}

static bool rule_matches(const struct hba_rule *r, const struct hba_client *cl)
{
	bool local = !cl->addr || cl->addr->sa_family == AF_UNIX;

	switch (r->conn_type) {
	case HBA_LOCAL:
		if (!local)
			return false;
		break;
	case HBA_HOST:
		if (local)
			return false;
		break;
	case HBA_HOSTSSL:
		if (local || !cl->tls)
			return false;
		break;
	case HBA_HOSTNOSSL:
		if (local || cl->tls)
			return false;
		break;
	}
	if (!local && !r->any_address) {
		uint8_t ip[16];
		int family = client_ip(cl->addr, ip);
		int alen = family == AF_INET ? 4 : 16;
		if (family != r->family)
			return false;
		for (int i = 0; i < alen; i++)
			if ((ip[i] & r->mask[i]) != r->addr[i])
				return false;
	}
	return name_matches(r->databases, r->n_databases, cl->database, cl->user) &&
	       name_matches(r->users, r->n_users, cl->user, cl->user);
}
