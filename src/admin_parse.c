/*
 * Admin console grammar: turns the text of one admin command into a
 * struct admin_command, or a 42601-style error with a hint.  Pure: no
 * daemon state, no allocation, no I/O, so the unit tests and the fuzzer
 * link this file alone.  It must not know what nodes or clusters exist:
 * admin.c checks names against the running config.
 *
 * Design.  A tiny lexer (words, "quoted names", 'strings' with '' escapes,
 * $tag$ strings, ';', anything else) skips whitespace and comments the way
 * PostgreSQL does (-- to end of line, nested slash-star), and a
 * hand-written recursive-descent parser matches the few command shapes.
 * Keywords are only ever unquoted words, compared case-insensitively.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "admin.h"

#define HELP_HINT "SHOW HELP lists the commands"

enum tok_kind {
	TK_END,			/* end of input */
	TK_WORD,		/* unquoted word: letters, digits, '_', '-', '.' */
	TK_QIDENT,		/* "quoted identifier" */
	TK_STRING,		/* 'string' or $tag$string$tag$ */
	TK_SEMI,
	TK_OTHER,		/* one character nothing else accepts */
	TK_ERROR,		/* unterminated quote/comment: error already set */
};

struct lexer {
	const char *s;		/* whole input */
	size_t pos;
	struct admin_command *out;
	/* current token */
	enum tok_kind kind;
	const char *tok;	/* start in s */
	size_t tok_len;
};

static void lex_next(struct lexer *lx);
static int fail(struct admin_command *out, const char *sqlstate, const char *hint,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int syntax_error(struct lexer *lx);
static bool is_word(const struct lexer *lx, const char *kw);
static int take_name(struct lexer *lx, char *buf, size_t len, bool *quoted);
static int take_string(struct lexer *lx, struct admin_command *out);
static int expect_end(struct lexer *lx);
static int parse_tenant(struct lexer *lx, struct admin_command *out);

static const struct {
	const char *word;
	enum admin_cmd cmd;
} show_items[] = {
	{ "help", ADMIN_SHOW_HELP },
	{ "clusters", ADMIN_SHOW_CLUSTERS },
	{ "nodes", ADMIN_SHOW_NODES },
	{ "pools", ADMIN_SHOW_POOLS },
	{ "clients", ADMIN_SHOW_CLIENTS },
	{ "servers", ADMIN_SHOW_SERVERS },
	{ "stats", ADMIN_SHOW_STATS },
	{ "config", ADMIN_SHOW_CONFIG },
	{ "tenants", ADMIN_SHOW_TENANTS },
	{ "moves", ADMIN_SHOW_MOVES },
	{ "version", ADMIN_SHOW_VERSION },
};

/* ------------------------------------------------------------------ */
/* Public functions                                                    */
/* ------------------------------------------------------------------ */

int admin_parse(const char *sql, struct admin_command *out)
{
	struct lexer lx = { .s = sql, .out = out };

	memset(out, 0, sizeof(*out));
	lex_next(&lx);
	if (lx.kind == TK_ERROR)
		return -1;
	if (lx.kind == TK_END || lx.kind == TK_SEMI) {
		out->cmd = ADMIN_EMPTY;
		return lx.kind == TK_END ? 0 : expect_end(&lx);
	}
	if (lx.kind != TK_WORD) {
		return fail(out, "42601", HELP_HINT, "syntax error at or near \"%.*s\"",
			    (int)(lx.tok_len > 40 ? 40 : lx.tok_len), lx.tok);
	}

	if (is_word(&lx, "show")) {
		lex_next(&lx);
		if (lx.kind != TK_WORD)
			return lx.kind == TK_ERROR ? -1 :
			       fail(out, "42601", HELP_HINT, "SHOW needs an item, e.g. SHOW NODES");
		for (size_t i = 0; i < sizeof(show_items) / sizeof(show_items[0]); i++) {
			if (is_word(&lx, show_items[i].word)) {
				out->cmd = show_items[i].cmd;
				lex_next(&lx);
				return expect_end(&lx);
			}
		}
		return fail(out, "42601", HELP_HINT, "unrecognized SHOW item \"%.*s\"",
			    (int)(lx.tok_len > 40 ? 40 : lx.tok_len), lx.tok);
	}
	if (is_word(&lx, "explain")) {
		lex_next(&lx);
		if (!is_word(&lx, "route"))
			return lx.kind == TK_ERROR ? -1 :
			       fail(out, "42601", "use EXPLAIN ROUTE '<sql>' [ON <cluster>]",
				    "the admin console only knows EXPLAIN ROUTE");
		lex_next(&lx);
		out->cmd = ADMIN_EXPLAIN_ROUTE;
		if (take_string(&lx, out) < 0)
			return -1;
		if (is_word(&lx, "on")) {
			lex_next(&lx);
			if (take_name(&lx, out->name, sizeof(out->name), &out->name_quoted) < 0)
				return -1;
		}
		return expect_end(&lx);
	}
	if (is_word(&lx, "reload") || is_word(&lx, "shutdown")) {
		out->cmd = is_word(&lx, "reload") ? ADMIN_RELOAD : ADMIN_SHUTDOWN;
		lex_next(&lx);
		return expect_end(&lx);
	}
	if (is_word(&lx, "pause") || is_word(&lx, "resume")) {
		out->cmd = is_word(&lx, "pause") ? ADMIN_PAUSE : ADMIN_RESUME;
		lex_next(&lx);
		if (lx.kind == TK_WORD || lx.kind == TK_QIDENT) {
			if (take_name(&lx, out->name, sizeof(out->name), &out->name_quoted) < 0)
				return -1;
		}
		return expect_end(&lx);
	}
	if (is_word(&lx, "set")) {
		lex_next(&lx);
		if (!is_word(&lx, "node"))
			return lx.kind == TK_ERROR ? -1 :
			       fail(out, "42601", "use SET NODE <name> AVAILABILITY active|offline",
				    "the admin console only knows SET NODE");
		lex_next(&lx);
		out->cmd = ADMIN_SET_NODE_AVAILABILITY;
		if (take_name(&lx, out->name, sizeof(out->name), &out->name_quoted) < 0)
			return -1;
		if (!is_word(&lx, "availability"))
			return lx.kind == TK_ERROR ? -1 : syntax_error(&lx);
		lex_next(&lx);
		if (is_word(&lx, "to"))
			lex_next(&lx);
		if (is_word(&lx, "active"))
			out->offline = false;
		else if (is_word(&lx, "offline"))
			out->offline = true;
		else if (lx.kind == TK_ERROR)
			return -1;
		else
			return fail(out, "42601", "use SET NODE <name> AVAILABILITY active|offline",
				    "availability must be active or offline");
		lex_next(&lx);
		return expect_end(&lx);
	}
	if (is_word(&lx, "drain")) {
		lex_next(&lx);
		if (!is_word(&lx, "node"))
			return lx.kind == TK_ERROR ? -1 :
			       fail(out, "42601", "use DRAIN NODE <name>", "DRAIN needs NODE <name>");
		lex_next(&lx);
		out->cmd = ADMIN_DRAIN_NODE;
		if (take_name(&lx, out->name, sizeof(out->name), &out->name_quoted) < 0)
			return -1;
		return expect_end(&lx);
	}
	if (is_word(&lx, "tenant"))
		return parse_tenant(&lx, out);
	if (is_word(&lx, "select") || is_word(&lx, "with"))
		/* psql's \d, \l, \dt ... and tools probing the catalog */
		return fail(out, "0A000", "the console takes SHOW NODES, SHOW POOLS, SHOW CLIENTS, "
			    "SHOW SERVERS, SHOW STATS, SHOW CONFIG ...; SHOW HELP lists every command",
			    "the pgsteer admin console answers its own commands, not SQL "
			    "(psql's backslash commands such as \\d do not apply here)");
	return fail(out, "42601", HELP_HINT, "unrecognized admin command \"%.*s\"",
		    (int)(lx.tok_len > 40 ? 40 : lx.tok_len), lx.tok);
}

size_t admin_statement_len(const char *sql, size_t len)
{
	size_t i = 0;

	while (i < len) {
		char ch = sql[i];
		if (ch == ';')
			return i + 1;
		if (ch == '\'' || ch == '"') {
			/* doubled quote = escaped quote: two adjacent literals scan the same */
			i++;
			while (i < len && sql[i] != ch)
				i++;
			if (i < len)
				i++;
		} else if (ch == '-' && i + 1 < len && sql[i + 1] == '-') {
			while (i < len && sql[i] != '\n')
				i++;
		} else if (ch == '/' && i + 1 < len && sql[i + 1] == '*') {
			int depth = 0;
			while (i < len) {
				if (sql[i] == '/' && i + 1 < len && sql[i + 1] == '*') {
					depth++;
					i += 2;
				} else if (sql[i] == '*' && i + 1 < len && sql[i + 1] == '/') {
					i += 2;
					if (--depth == 0)
						break;
				} else {
					i++;
				}
			}
		} else if (ch == '$') {
			/* $tag$ ... $tag$ (tag may be empty) */
			size_t t = i + 1;
			while (t < len && (isalnum((unsigned char)sql[t]) || sql[t] == '_'))
				t++;
			if (t < len && sql[t] == '$') {
				size_t tag_len = t + 1 - i;
				size_t j = t + 1;
				while (j + tag_len <= len && memcmp(sql + j, sql + i, tag_len) != 0)
					j++;
				i = j + tag_len <= len ? j + tag_len : len;
			} else {
				i++;
			}
		} else {
			i++;
		}
	}
	return len;
}

bool admin_cmd_read_only(enum admin_cmd cmd)
{
	switch (cmd) {
	case ADMIN_EMPTY:
	case ADMIN_SHOW_HELP:
	case ADMIN_SHOW_CLUSTERS:
	case ADMIN_SHOW_NODES:
	case ADMIN_SHOW_POOLS:
	case ADMIN_SHOW_CLIENTS:
	case ADMIN_SHOW_SERVERS:
	case ADMIN_SHOW_STATS:
	case ADMIN_SHOW_CONFIG:
	case ADMIN_SHOW_TENANTS:
	case ADMIN_SHOW_MOVES:
	case ADMIN_SHOW_VERSION:
	case ADMIN_EXPLAIN_ROUTE:
	case ADMIN_TENANT_LOCATE:
		return true;
	case ADMIN_RELOAD:
	case ADMIN_PAUSE:
	case ADMIN_RESUME:
	case ADMIN_SHUTDOWN:
	case ADMIN_SET_NODE_AVAILABILITY:
	case ADMIN_DRAIN_NODE:
	case ADMIN_TENANT_CREATE:
	case ADMIN_TENANT_MOVE:
	case ADMIN_TENANT_DROP:
	case ADMIN_TENANT_MOVE_CANCEL:
	case ADMIN_TENANT_CLEANUP:
		break;
	}
	return false;
}

const char *admin_cmd_name(enum admin_cmd cmd)
{
	switch (cmd) {
	case ADMIN_EMPTY: return "";
	case ADMIN_SHOW_HELP: return "SHOW HELP";
	case ADMIN_SHOW_CLUSTERS: return "SHOW CLUSTERS";
	case ADMIN_SHOW_NODES: return "SHOW NODES";
	case ADMIN_SHOW_POOLS: return "SHOW POOLS";
	case ADMIN_SHOW_CLIENTS: return "SHOW CLIENTS";
	case ADMIN_SHOW_SERVERS: return "SHOW SERVERS";
	case ADMIN_SHOW_STATS: return "SHOW STATS";
	case ADMIN_SHOW_CONFIG: return "SHOW CONFIG";
	case ADMIN_SHOW_TENANTS: return "SHOW TENANTS";
	case ADMIN_SHOW_VERSION: return "SHOW VERSION";
	case ADMIN_EXPLAIN_ROUTE: return "EXPLAIN ROUTE";
	case ADMIN_RELOAD: return "RELOAD";
	case ADMIN_PAUSE: return "PAUSE";
	case ADMIN_RESUME: return "RESUME";
	case ADMIN_SHUTDOWN: return "SHUTDOWN";
	case ADMIN_SET_NODE_AVAILABILITY: return "SET NODE";
	case ADMIN_DRAIN_NODE: return "DRAIN NODE";
	case ADMIN_TENANT_CREATE: return "TENANT CREATE";
	case ADMIN_TENANT_LOCATE: return "TENANT LOCATE";
	case ADMIN_TENANT_MOVE: return "TENANT MOVE";
	case ADMIN_TENANT_DROP: return "TENANT DROP";
	case ADMIN_SHOW_MOVES: return "SHOW MOVES";
	case ADMIN_TENANT_MOVE_CANCEL: return "TENANT MOVE";
	case ADMIN_TENANT_CLEANUP: return "TENANT CLEANUP";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* Internal functions                                                  */
/* ------------------------------------------------------------------ */

/* Fill the error fields of OUT; always -1 so callers can return it. */
static int fail(struct admin_command *out, const char *sqlstate, const char *hint,
		const char *fmt, ...)
{
	va_list ap;

	out->sqlstate = sqlstate;
	out->hint = hint;
	va_start(ap, fmt);
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* The current token is not what the grammar wants here. */
static int syntax_error(struct lexer *lx)
{
	if (lx->kind == TK_ERROR)
		return -1;
	if (lx->kind == TK_END)
		return fail(lx->out, "42601", HELP_HINT, "syntax error at end of input");
	return fail(lx->out, "42601", HELP_HINT, "syntax error at or near \"%.*s\"",
		    (int)(lx->tok_len > 40 ? 40 : lx->tok_len), lx->tok);
}

static bool is_word(const struct lexer *lx, const char *kw)
{
	return lx->kind == TK_WORD && strlen(kw) == lx->tok_len &&
	       strncasecmp(lx->tok, kw, lx->tok_len) == 0;
}

/* Whitespace and comments; false (error set) on an unterminated comment. */
static bool skip_blank(struct lexer *lx)
{
	const char *s = lx->s;

	for (;;) {
		while (s[lx->pos] && isspace((unsigned char)s[lx->pos]))
			lx->pos++;
		if (s[lx->pos] == '-' && s[lx->pos + 1] == '-') {
			while (s[lx->pos] && s[lx->pos] != '\n')
				lx->pos++;
			continue;
		}
		if (s[lx->pos] == '/' && s[lx->pos + 1] == '*') {
			int depth = 0;
			for (;;) {
				if (!s[lx->pos]) {
					fail(lx->out, "42601", NULL, "unterminated /* comment");
					return false;
				}
				if (s[lx->pos] == '/' && s[lx->pos + 1] == '*') {
					depth++;
					lx->pos += 2;
				} else if (s[lx->pos] == '*' && s[lx->pos + 1] == '/') {
					lx->pos += 2;
					if (--depth == 0)
						break;
				} else {
					lx->pos++;
				}
			}
			continue;
		}
		return true;
	}
}

static bool word_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '-' || ch == '.';
}

/* Advance to the next token.  Quoted tokens span their quotes (tok, tok_len). */
static void lex_next(struct lexer *lx)
{
	const char *s = lx->s;

	if (lx->kind == TK_ERROR)
		return;
	if (!skip_blank(lx)) {
		lx->kind = TK_ERROR;
		return;
	}
	lx->tok = s + lx->pos;
	lx->tok_len = 0;
	char ch = s[lx->pos];
	if (!ch) {
		lx->kind = TK_END;
		return;
	}
	if (ch == ';') {
		lx->kind = TK_SEMI;
		lx->tok_len = 1;
		lx->pos++;
		return;
	}
	if (ch == '"' || ch == '\'') {
		size_t i = lx->pos + 1;
		for (;;) {
			if (!s[i]) {
				fail(lx->out, "42601", NULL, ch == '"' ?
				     "unterminated quoted identifier" : "unterminated quoted string");
				lx->kind = TK_ERROR;
				return;
			}
			if (s[i] == ch) {
				if (s[i + 1] == ch) {
					i += 2;
					continue;
				}
				break;
			}
			i++;
		}
		lx->kind = ch == '"' ? TK_QIDENT : TK_STRING;
		lx->tok_len = i + 1 - lx->pos;
		lx->pos = i + 1;
		return;
	}
	if (ch == '$') {
		size_t t = lx->pos + 1;
		while (isalnum((unsigned char)s[t]) || s[t] == '_')
			t++;
		if (s[t] == '$') {
			size_t tag_len = t + 1 - lx->pos;
			const char *end = strstr(s + t + 1, "$");
			while (end && strncmp(end, lx->tok, tag_len) != 0)
				end = strchr(end + 1, '$');
			if (!end) {
				fail(lx->out, "42601", NULL, "unterminated dollar-quoted string");
				lx->kind = TK_ERROR;
				return;
			}
			lx->kind = TK_STRING;
			lx->tok_len = (size_t)(end - lx->tok) + tag_len;
			lx->pos += lx->tok_len;
			return;
		}
	}
	if (word_char(ch) && ch != '-' && ch != '.') {
		size_t i = lx->pos;
		while (word_char(s[i]) && !(s[i] == '-' && s[i + 1] == '-'))
			i++;
		lx->kind = TK_WORD;
		lx->tok_len = i - lx->pos;
		lx->pos = i;
		return;
	}
	/* one character; a UTF-8 sequence stays whole in messages */
	size_t n = 1;
	while ((s[lx->pos + n] & 0xC0) == 0x80)
		n++;
	lx->kind = TK_OTHER;
	lx->tok_len = n;
	lx->pos += n;
}

/* A node or cluster name: word (kept as typed) or "quoted" ("" = "). */
static int take_name(struct lexer *lx, char *buf, size_t len, bool *quoted)
{
	size_t n = 0;

	if (lx->kind == TK_WORD) {
		if (lx->tok_len >= len)
			return fail(lx->out, "42622", NULL, "name \"%.*s...\" is too long (at most %zu bytes)",
				    20, lx->tok, len - 1);
		memcpy(buf, lx->tok, lx->tok_len);
		buf[lx->tok_len] = '\0';
		*quoted = false;
		lex_next(lx);
		return 0;
	}
	if (lx->kind != TK_QIDENT) {
		if (lx->kind == TK_END)
			return fail(lx->out, "42601", HELP_HINT, "a name is missing at end of input");
		return syntax_error(lx);
	}
	for (size_t i = 1; i + 1 < lx->tok_len; i++) {
		if (lx->tok[i] == '"')
			i++;		/* "" → " */
		if (n + 1 >= len)
			return fail(lx->out, "42622", NULL, "name \"%.*s...\" is too long (at most %zu bytes)",
				    20, lx->tok + 1, len - 1);
		buf[n++] = lx->tok[i];
	}
	buf[n] = '\0';
	if (n == 0)
		return fail(lx->out, "42601", NULL, "zero-length delimited identifier");
	*quoted = true;
	lex_next(lx);
	return 0;
}

/* EXPLAIN ROUTE's statement: '...' with '' escapes, or $tag$...$tag$. */
static int take_string(struct lexer *lx, struct admin_command *out)
{
	size_t n = 0;

	if (lx->kind != TK_STRING) {
		if (lx->kind == TK_ERROR)
			return -1;
		return fail(out, "42601", "use EXPLAIN ROUTE '<sql>' [ON <cluster>]; double quotes inside: ''",
			    "EXPLAIN ROUTE needs the statement as a quoted string");
	}
	if (lx->tok[0] == '$') {
		size_t tag_len = (size_t)(strchr(lx->tok + 1, '$') - lx->tok) + 1;
		n = lx->tok_len - 2 * tag_len;
		if (n >= sizeof(out->sql))
			goto too_long;
		memcpy(out->sql, lx->tok + tag_len, n);
	} else {
		for (size_t i = 1; i + 1 < lx->tok_len; i++) {
			if (lx->tok[i] == '\'')
				i++;	/* '' → ' */
			if (n + 1 >= sizeof(out->sql))
				goto too_long;
			out->sql[n++] = lx->tok[i];
		}
	}
	out->sql[n] = '\0';
	out->sql_len = n;
	lex_next(lx);
	return 0;
too_long:
	return fail(out, "54000", NULL, "statement too long for EXPLAIN ROUTE (at most %d bytes)",
		    ADMIN_SQL_MAX - 1);
}

/* After the command: an optional ';', then nothing but blanks. */
static int expect_end(struct lexer *lx)
{
	if (lx->kind == TK_SEMI)
		lex_next(lx);
	if (lx->kind == TK_END)
		return 0;
	if (lx->kind == TK_ERROR)
		return -1;
	return syntax_error(lx);
}

#define TENANT_HINT "use TENANT CREATE <t> [ON <cluster>] [SCHEMA <s> | DATABASE <d>] | LOCATE <t> | " \
	"MOVE <t> TO <cluster> [WITH DATA [SCHEMA <s> | DATABASE <d>]] | MOVE <t> CANCEL | CLEANUP <t> | DROP <t>"

/* The tenant id: a word, a "quoted identifier" or a 'string', kept as written. */
static int take_tenant(struct lexer *lx, struct admin_command *out)
{
	if (lx->kind == TK_STRING && lx->tok[0] == '\'') {
		size_t n = 0;
		for (size_t i = 1; i + 1 < lx->tok_len; i++) {
			if (lx->tok[i] == '\'' && lx->tok[i + 1] == '\'')
				i++;
			if (n + 1 >= sizeof(out->tenant))
				return fail(out, "42622", NULL, "tenant name is too long (at most %zu bytes)",
					    sizeof(out->tenant) - 1);
			out->tenant[n++] = lx->tok[i];
		}
		out->tenant[n] = '\0';
		lex_next(lx);
	} else {
		bool quoted;
		if (take_name(lx, out->tenant, sizeof(out->tenant), &quoted) < 0)
			return -1;
	}
	if (!out->tenant[0])
		return fail(out, "42601", TENANT_HINT, "tenant name must not be empty");
	return 0;
}

/* [SCHEMA <s> | DATABASE <d>]: where the tenant's data lives. */
static int take_data_location(struct lexer *lx, struct admin_command *out)
{
	bool quoted;

	if (is_word(lx, "schema"))
		out->data_kind = ADMIN_DATA_SCHEMA;
	else if (is_word(lx, "database"))
		out->data_kind = ADMIN_DATA_DATABASE;
	else
		return 0;
	lex_next(lx);
	if (lx->kind == TK_END || lx->kind == TK_SEMI)
		return fail(out, "42601", TENANT_HINT, "%s needs a name",
			    out->data_kind == ADMIN_DATA_SCHEMA ? "SCHEMA" : "DATABASE");
	return take_name(lx, out->data_name, sizeof(out->data_name), &quoted);
}

/*
 * TENANT CREATE <t> [ON <cluster>] [SCHEMA <s> | DATABASE <d>] | LOCATE <t>
 * | MOVE <t> TO <cluster> [WITH DATA [SCHEMA <s> | DATABASE <d>]]
 * | MOVE <t> CANCEL | CLEANUP <t> | DROP <t>
 */
static int parse_tenant(struct lexer *lx, struct admin_command *out)
{
	lex_next(lx);
	if (is_word(lx, "create"))
		out->cmd = ADMIN_TENANT_CREATE;
	else if (is_word(lx, "locate"))
		out->cmd = ADMIN_TENANT_LOCATE;
	else if (is_word(lx, "move"))
		out->cmd = ADMIN_TENANT_MOVE;
	else if (is_word(lx, "cleanup"))
		out->cmd = ADMIN_TENANT_CLEANUP;
	else if (is_word(lx, "drop"))
		out->cmd = ADMIN_TENANT_DROP;
	else
		return lx->kind == TK_ERROR ? -1 :
		       fail(out, "42601", TENANT_HINT, "TENANT needs CREATE, LOCATE, MOVE, CLEANUP or DROP");
	lex_next(lx);
	if (lx->kind == TK_END || lx->kind == TK_SEMI)
		return fail(out, "42601", TENANT_HINT, "%s needs a tenant name", admin_cmd_name(out->cmd));
	if (take_tenant(lx, out) < 0)
		return -1;
	if (out->cmd == ADMIN_TENANT_MOVE && is_word(lx, "cancel")) {
		out->cmd = ADMIN_TENANT_MOVE_CANCEL;
		lex_next(lx);
	} else if (out->cmd == ADMIN_TENANT_MOVE) {
		if (!is_word(lx, "to"))
			return lx->kind == TK_ERROR ? -1 :
			       fail(out, "42601", TENANT_HINT, "TENANT MOVE needs TO <cluster> or CANCEL");
		lex_next(lx);
		if (take_name(lx, out->name, sizeof(out->name), &out->name_quoted) < 0)
			return -1;
		if (is_word(lx, "with")) {
			lex_next(lx);
			if (!is_word(lx, "data"))
				return lx->kind == TK_ERROR ? -1 :
				       fail(out, "42601", TENANT_HINT, "TENANT MOVE ... WITH needs DATA");
			lex_next(lx);
			out->with_data = true;
			if (take_data_location(lx, out) < 0)
				return -1;
		}
	} else if (out->cmd == ADMIN_TENANT_CREATE) {
		if (is_word(lx, "on")) {
			lex_next(lx);
			if (take_name(lx, out->name, sizeof(out->name), &out->name_quoted) < 0)
				return -1;
		}
		if (take_data_location(lx, out) < 0)
			return -1;
	}
	return expect_end(lx);
}
