/*
 * Statement classifier.  Owns the SQL lexer and the rules that turn a
 * statement string into read / write / ambiguous / transaction / session /
 * control plus a reason; must not do I/O, keep state between calls or
 * allocate on the classify path (only knowledge objects allocate, once).
 *
 * Design.  PostgreSQL's grammar is far too large to parse here, and the
 * router needs only one question answered: could this string change data
 * or session state on the server that runs it?  So the classifier is a
 * precise lexer (comments, all literal forms, dollar quoting, quoted
 * identifiers) under a small recogniser: the first keyword of each
 * statement picks a handler; query-like statements (SELECT, WITH, VALUES,
 * TABLE, EXPLAIN, DECLARE, COPY (query)) are scanned token by token for
 * the few things that make a query write: a DML keyword where a statement
 * can begin (data-modifying CTE), FOR UPDATE/SHARE locking, SELECT INTO,
 * and calls of functions not known to be read-only.  Everything not
 * recognised is ambiguous, never read: a mistake costs a trip to the
 * primary, never a write sent to a replica.
 *
 * Cost: one pass over the text, a fixed-size token window, and a binary
 * search per function call in const tables.  No malloc on the classify
 * path unless user PCRE2 patterns are configured (pcre2 matching reuses
 * match data allocated once per knowledge object).
 *
 * The rules are documented, with examples, in doc/classification.md and
 * tests/unit/classify_corpus.txt.
 *
 * Layout: lexer; statement cursor; results; function knowledge; query
 * scan; one handler per statement kind; multi-statement merge; hints;
 * public functions (classify_sql*, knowledge, CLI); the generated
 * built-in function table last.
 */
#include "classify.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common.h"

/* ---- lexer ---------------------------------------------------------- */

enum tok_type {
	T_EOF = 0,
	T_ERROR,	/* unlexable: unterminated quote/comment, stray byte */
	T_IDENT,	/* unquoted identifier or keyword */
	T_QIDENT,	/* "quoted identifier" (also U&"...") */
	T_STRING,	/* '...', E'...', U&'...', B'', X'', N'', $tag$...$tag$ */
	T_NUMBER,
	T_PARAM,	/* $1 */
	T_OP,		/* operator characters */
	T_TYPECAST,	/* :: */
	T_LPAREN,
	T_RPAREN,
	T_LBRACK,
	T_RBRACK,
	T_COMMA,
	T_SEMI,
	T_DOT,
	T_COLON,
};

/* Token flags. */
#define TF_ESTRING	0x01	/* E'...': backslash escapes */
#define TF_DOLLAR	0x04	/* dollar-quoted */

struct token {
	enum tok_type type;
	uint8_t flags;
	uint8_t kw;		/* cached keyword id + 1; 0: not looked up yet */
	const char *p;		/* start (for strings: including quotes) */
	size_t len;
};

struct lexer {
	const char *s;
	const char *end;
	const char *err;	/* why the last T_ERROR */
	bool scs_off;		/* standard_conforming_strings = off: '...' takes backslash escapes */
};

/* Keywords the recogniser looks at.  Anything else is KW_NONE. */
enum kw {
	KW_NONE = 0,
	KW_ABORT, KW_ALL, KW_ALTER, KW_ANALYSE, KW_ANALYZE, KW_AND, KW_ANY, KW_ARRAY,
	KW_AS, KW_ASENSITIVE, KW_ASYMMETRIC, KW_AT, KW_ATOMIC, KW_BEGIN, KW_BETWEEN,
	KW_BINARY, KW_BOTH, KW_BY, KW_CALL, KW_CASE, KW_CHAIN, KW_CHECKPOINT, KW_CLOSE,
	KW_CLUSTER, KW_COMMENT, KW_COMMIT, KW_COMMITTED, KW_COPY, KW_CREATE, KW_CUBE,
	KW_CURSOR, KW_DEALLOCATE, KW_DECLARE, KW_DEFAULT, KW_DEFERRABLE, KW_DELETE,
	KW_DISCARD, KW_DISTINCT, KW_DO, KW_DROP, KW_ELSE, KW_END, KW_ESCAPE, KW_EXCEPT,
	KW_EXECUTE, KW_EXISTS, KW_EXPLAIN, KW_FETCH, KW_FILTER, KW_FIRST, KW_FOR,
	KW_FROM, KW_FUNCTION, KW_GLOBAL, KW_GRANT, KW_GROUP, KW_GROUPING, KW_GROUPS, KW_HAVING,
	KW_HOLD, KW_ILIKE, KW_IMPORT, KW_IN, KW_INSENSITIVE, KW_INSERT, KW_INTERSECT,
	KW_INTO, KW_IS, KW_ISOLATION, KW_JOIN, KW_KEY, KW_LATERAL, KW_LEADING,
	KW_LEVEL, KW_LIKE, KW_LIMIT, KW_LISTEN, KW_LOAD, KW_LOCAL, KW_LOCK,
	KW_MATERIALIZED, KW_MERGE, KW_MOVE, KW_NEXT, KW_NO, KW_NOT, KW_NOTIFY,
	KW_OF, KW_OFFSET, KW_ON, KW_ONLY, KW_OPERATOR, KW_OR, KW_ORDER,
	KW_ORDINALITY, KW_OVER, KW_OVERLAPS, KW_PARTITION, KW_PREPARE, KW_PREPARED,
	KW_PROCEDURE, KW_PROGRAM, KW_RANGE, KW_READ, KW_REASSIGN, KW_RECURSIVE,
	KW_REFRESH, KW_REINDEX, KW_RELEASE, KW_REPEATABLE, KW_REPLACE, KW_RESET,
	KW_RETURNING, KW_REVOKE, KW_ROLLBACK, KW_ROLLUP, KW_ROW, KW_ROWS,
	KW_SAVEPOINT, KW_SCROLL, KW_SECURITY, KW_SELECT, KW_SERIALIZABLE,
	KW_SESSION, KW_SET, KW_SETS, KW_SHARE, KW_SHOW, KW_SIMILAR, KW_SOME,
	KW_START, KW_STDIN, KW_STDOUT, KW_SYMMETRIC, KW_TABLE, KW_TABLESAMPLE,
	KW_TEMP, KW_TEMPORARY, KW_THEN, KW_TO, KW_TRAILING, KW_TRANSACTION,
	KW_TRUNCATE, KW_UNCOMMITTED, KW_UNION, KW_UNLISTEN, KW_UNLOGGED, KW_UPDATE,
	KW_USING, KW_VACUUM, KW_VALUES, KW_VARIADIC, KW_VERBOSE, KW_WHEN, KW_WHERE,
	KW_WINDOW, KW_WITH, KW_WITHIN, KW_WITHOUT, KW_WORK, KW_WRITE, KW_ZONE,
	KW_TRUE, KW_FALSE, KW_OFF,
};

struct kw_entry {
	const char *name;
	enum kw id;
};

/*
 * Sorted by length, then name (memcmp); kw_len_start[n] is the index of
 * the first keyword of length n.  Checked by classify_selfcheck().
 */
static const struct kw_entry keywords[] = {
	{"as", KW_AS}, {"at", KW_AT}, {"by", KW_BY}, {"do", KW_DO}, {"in", KW_IN},
	{"is", KW_IS}, {"no", KW_NO}, {"of", KW_OF}, {"on", KW_ON}, {"or", KW_OR},
	{"to", KW_TO}, {"all", KW_ALL}, {"and", KW_AND}, {"any", KW_ANY}, {"end", KW_END},
	{"for", KW_FOR}, {"key", KW_KEY}, {"not", KW_NOT}, {"off", KW_OFF}, {"row", KW_ROW},
	{"set", KW_SET}, {"both", KW_BOTH}, {"call", KW_CALL}, {"case", KW_CASE},
	{"copy", KW_COPY}, {"cube", KW_CUBE}, {"drop", KW_DROP}, {"else", KW_ELSE},
	{"from", KW_FROM}, {"hold", KW_HOLD}, {"into", KW_INTO}, {"join", KW_JOIN},
	{"like", KW_LIKE}, {"load", KW_LOAD}, {"lock", KW_LOCK}, {"move", KW_MOVE},
	{"next", KW_NEXT}, {"only", KW_ONLY}, {"over", KW_OVER}, {"read", KW_READ},
	{"rows", KW_ROWS}, {"sets", KW_SETS}, {"show", KW_SHOW}, {"some", KW_SOME},
	{"temp", KW_TEMP}, {"then", KW_THEN}, {"true", KW_TRUE}, {"when", KW_WHEN},
	{"with", KW_WITH}, {"work", KW_WORK}, {"zone", KW_ZONE}, {"abort", KW_ABORT},
	{"alter", KW_ALTER}, {"array", KW_ARRAY}, {"begin", KW_BEGIN}, {"chain", KW_CHAIN},
	{"close", KW_CLOSE}, {"false", KW_FALSE}, {"fetch", KW_FETCH}, {"first", KW_FIRST},
	{"grant", KW_GRANT}, {"group", KW_GROUP}, {"ilike", KW_ILIKE}, {"level", KW_LEVEL},
	{"limit", KW_LIMIT}, {"local", KW_LOCAL}, {"merge", KW_MERGE}, {"order", KW_ORDER},
	{"range", KW_RANGE}, {"reset", KW_RESET}, {"share", KW_SHARE}, {"start", KW_START},
	{"stdin", KW_STDIN}, {"table", KW_TABLE}, {"union", KW_UNION}, {"using", KW_USING},
	{"where", KW_WHERE}, {"write", KW_WRITE}, {"atomic", KW_ATOMIC},
	{"binary", KW_BINARY}, {"commit", KW_COMMIT}, {"create", KW_CREATE},
	{"cursor", KW_CURSOR}, {"delete", KW_DELETE}, {"escape", KW_ESCAPE},
	{"except", KW_EXCEPT}, {"exists", KW_EXISTS}, {"filter", KW_FILTER},
	{"global", KW_GLOBAL}, {"groups", KW_GROUPS}, {"having", KW_HAVING},
	{"import", KW_IMPORT}, {"insert", KW_INSERT}, {"listen", KW_LISTEN},
	{"notify", KW_NOTIFY}, {"offset", KW_OFFSET}, {"revoke", KW_REVOKE},
	{"rollup", KW_ROLLUP}, {"scroll", KW_SCROLL}, {"select", KW_SELECT},
	{"stdout", KW_STDOUT}, {"update", KW_UPDATE}, {"vacuum", KW_VACUUM},
	{"values", KW_VALUES}, {"window", KW_WINDOW}, {"within", KW_WITHIN},
	{"analyse", KW_ANALYSE}, {"analyze", KW_ANALYZE}, {"between", KW_BETWEEN},
	{"cluster", KW_CLUSTER}, {"comment", KW_COMMENT}, {"declare", KW_DECLARE},
	{"default", KW_DEFAULT}, {"discard", KW_DISCARD}, {"execute", KW_EXECUTE},
	{"explain", KW_EXPLAIN}, {"lateral", KW_LATERAL}, {"leading", KW_LEADING},
	{"prepare", KW_PREPARE}, {"program", KW_PROGRAM}, {"refresh", KW_REFRESH},
	{"reindex", KW_REINDEX}, {"release", KW_RELEASE}, {"replace", KW_REPLACE},
	{"session", KW_SESSION}, {"similar", KW_SIMILAR}, {"verbose", KW_VERBOSE},
	{"without", KW_WITHOUT}, {"distinct", KW_DISTINCT}, {"function", KW_FUNCTION},
	{"grouping", KW_GROUPING}, {"operator", KW_OPERATOR}, {"overlaps", KW_OVERLAPS},
	{"prepared", KW_PREPARED}, {"reassign", KW_REASSIGN}, {"rollback", KW_ROLLBACK},
	{"security", KW_SECURITY}, {"trailing", KW_TRAILING}, {"truncate", KW_TRUNCATE},
	{"unlisten", KW_UNLISTEN}, {"unlogged", KW_UNLOGGED}, {"variadic", KW_VARIADIC},
	{"committed", KW_COMMITTED}, {"intersect", KW_INTERSECT}, {"isolation", KW_ISOLATION},
	{"partition", KW_PARTITION}, {"procedure", KW_PROCEDURE}, {"recursive", KW_RECURSIVE},
	{"returning", KW_RETURNING}, {"savepoint", KW_SAVEPOINT}, {"symmetric", KW_SYMMETRIC},
	{"temporary", KW_TEMPORARY}, {"asensitive", KW_ASENSITIVE},
	{"asymmetric", KW_ASYMMETRIC}, {"checkpoint", KW_CHECKPOINT},
	{"deallocate", KW_DEALLOCATE}, {"deferrable", KW_DEFERRABLE},
	{"ordinality", KW_ORDINALITY}, {"repeatable", KW_REPEATABLE},
	{"insensitive", KW_INSENSITIVE}, {"tablesample", KW_TABLESAMPLE},
	{"transaction", KW_TRANSACTION}, {"uncommitted", KW_UNCOMMITTED},
	{"materialized", KW_MATERIALIZED}, {"serializable", KW_SERIALIZABLE},
};

static const uint8_t kw_len_start[] = {0, 0, 0, 11, 21, 51, 78, 106, 128, 142, 152, 159, 163, 165};

#define KW_MAXLEN 12

/* Function knowledge codes in the built-in table. */
#define FN_READ		'r'	/* does not write: immutable/stable, or volatile but harmless */
#define FN_WRITE	'w'	/* writes or must run on the primary */
#define FN_PIN		'p'	/* write, and ties session state to the server (session lock, set_config) */
#define FN_VOLATILE	'v'	/* volatile builtin that may write: ambiguous */

struct fn_entry {
	const char *name;
	char kind;
};

static const struct fn_entry *builtin_functions(size_t *n, const uint16_t **hash, size_t *hsize);

/* Prefixes of functions that write or must run on the primary, in any schema. */
static const char *const write_prefixes[] = {
	"binary_upgrade_", "dblink_exec", "lo_", "pg_advisory_", "pg_logical_slot_",
	"pg_replication_origin_", "pg_stat_reset", "pg_try_advisory_",
};

/* ---- knowledge ---------------------------------------------------- */

struct pattern_list {
	pcre2_code **code;
	char **src;
	size_t n;
};

/* Catalog entry: key is "name" (all schemas folded together) or "schema.name". */
struct cat_entry {
	const char *key;	/* NULL: empty slot */
	char provolatile;	/* strongest over overloads: v > s > i */
};

struct classify_knowledge {
	struct pattern_list read_fn, write_fn, primary, replica;
	pcre2_match_data *md;	/* shared by all matches of this object: one thread at a time */
	struct cat_entry *cat;	/* open addressing, power-of-two size */
	size_t cat_size;
	char *cat_keys;		/* storage for keys */
	size_t n_unlogged;	/* unlogged tables in cat (keys "\1name", "\1schema.name") */
	uint64_t gen;		/* new number on every change: classify_sql_cached()'s key */
};

/* Numbers for knowledge objects and their changes, never reused. */
static uint64_t knowledge_generation;

/* ---- lexer ---------------------------------------------------------- */

/* Character classes (PostgreSQL's scan.l): one table lookup per byte. */
#define CC_SPACE	0x01
#define CC_IDSTART	0x02	/* letter, _, any byte >= 0x80 */
#define CC_DIGIT	0x04
#define CC_OP		0x08	/* operator characters */
#define CC_IDCONT	0x10	/* identifier continuation: IDSTART, digit, $ */

static const uint8_t cclass[256] = {
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  1,  1,  1,  1,  1,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 1,  8,  0,  8, 16,  8,  8,  0,  0,  0,  8,  8,  0,  8,  0,  8,
	20, 20, 20, 20, 20, 20, 20, 20, 20, 20,  0,  0,  8,  8,  8,  8,
	 8, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
	18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,  0,  0,  0,  8, 18,
	 8, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
	18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,  0,  8,  0,  8,  0,
	18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
	18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
	18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
	18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
	18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
	18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
	18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
	18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
};

static bool is_space(unsigned char c)
{
	return cclass[c] & CC_SPACE;
}

static bool is_ident_start(unsigned char c)
{
	return cclass[c] & CC_IDSTART;
}

static bool is_ident_cont(unsigned char c)
{
	return cclass[c] & CC_IDCONT;
}

static bool is_digit(unsigned char c)
{
	return cclass[c] & CC_DIGIT;
}

/* PostgreSQL's operator characters (scan.l "self" + "op_chars"). */
static bool is_op_char(unsigned char c)
{
	return cclass[c] & CC_OP;
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Skip a possibly nested comment starting at s ("/" "*").  NULL if unterminated. */
static const char *skip_block_comment(const char *s, const char *end)
{
	int depth = 0;

	while (s < end) {
		if (s + 1 < end && s[0] == '/' && s[1] == '*') {
			depth++;
			s += 2;
		} else if (s + 1 < end && s[0] == '*' && s[1] == '/') {
			depth--;
			s += 2;
			if (depth == 0)
				return s;
		} else {
			s++;
		}
	}
	return NULL;
}

/* Skip whitespace and comments. false (with lx->err) on an unterminated comment. */
static bool skip_trivia(struct lexer *lx)
{
	const char *s = lx->s, *end = lx->end;

	for (;;) {
		while (s < end && is_space((unsigned char)*s))
			s++;
		if (s + 1 < end && s[0] == '-' && s[1] == '-') {
			while (s < end && *s != '\n')
				s++;
			continue;
		}
		if (s + 1 < end && s[0] == '/' && s[1] == '*') {
			const char *e = skip_block_comment(s, end);
			if (!e) {
				lx->s = end;
				lx->err = "unterminated /* comment";
				return false;
			}
			s = e;
			continue;
		}
		break;
	}
	lx->s = s;
	return true;
}

/* Body of a quoted string/identifier after the opening quote; returns end or NULL. */
static const char *scan_quoted(const char *s, const char *end, char q, bool backslash)
{
	while (s < end) {
		if (backslash && *s == '\\') {
			if (s + 1 >= end)
				return NULL;
			s += 2;
			continue;
		}
		if (*s == q) {
			if (s + 1 < end && s[1] == q) {
				s += 2;
				continue;
			}
			return s + 1;
		}
		s++;
	}
	return NULL;
}

/* Dollar-quote delimiter at s ("$tag$")? Returns its length or 0. */
static size_t dollar_tag_len(const char *s, const char *end)
{
	const char *p = s + 1;

	if (p < end && *p == '$')
		return 2;
	if (p >= end || !is_ident_start((unsigned char)*p))
		return 0;
	while (p < end && is_ident_cont((unsigned char)*p) && *p != '$')
		p++;
	if (p < end && *p == '$')
		return (size_t)(p - s) + 1;
	return 0;
}

/* Digit of BASE (2, 8, 10 or 16)? */
static bool is_base_digit(unsigned char c, int base)
{
	if (base == 16)
		return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
	return c >= '0' && c < '0' + base;
}

/* Digits of BASE with single '_' separators (PostgreSQL 16); returns the end. */
static const char *scan_digits(const char *s, const char *end, int base)
{
	while (s < end && (is_base_digit((unsigned char)*s, base) ||
			   (*s == '_' && s + 1 < end && is_base_digit((unsigned char)s[1], base))))
		s++;
	return s;
}

/*
 * End of the numeric literal at S (scan.l: decimal, 0x/0o/0b, fraction,
 * exponent).  Letters after it are a separate token, as in PostgreSQL 15
 * ("1FOR UPDATE" is 1 then FOR UPDATE).
 */
static const char *scan_number(const char *s, const char *end)
{
	if (s[0] == '0' && s + 2 < end) {
		int base = (s[1] | 0x20) == 'x' ? 16 : (s[1] | 0x20) == 'o' ? 8 : (s[1] | 0x20) == 'b' ? 2 : 0;
		if (base && is_base_digit((unsigned char)s[2], base))
			return scan_digits(s + 2, end, base);
	}
	s = scan_digits(s, end, 10);
	if (s < end && *s == '.' && !(s + 1 < end && s[1] == '.'))
		s = scan_digits(s + 1, end, 10);
	if (s < end && (*s == 'e' || *s == 'E')) {
		const char *x = s + 1;
		if (x < end && (*x == '+' || *x == '-'))
			x++;
		if (x < end && is_digit((unsigned char)*x))
			s = scan_digits(x, end, 10);
	}
	return s;
}

static void tok_error(struct lexer *lx, struct token *t, const char *why)
{
	t->type = T_ERROR;
	lx->err = why;
	lx->s = lx->end;
}

/* Next token.  At the end returns T_EOF forever; after an error T_ERROR. */
static void lex_next(struct lexer *lx, struct token *t)
{
	const char *s, *end = lx->end;
	unsigned char c;

	t->flags = 0;
	t->kw = 0;
	if (lx->err) {
		t->type = T_ERROR;
		t->p = lx->end;
		t->len = 0;
		return;
	}
	if (!skip_trivia(lx)) {
		t->type = T_ERROR;
		t->p = lx->end;
		t->len = 0;
		return;
	}
	s = lx->s;
	t->p = s;
	if (s >= end) {
		t->type = T_EOF;
		t->len = 0;
		return;
	}
	c = (unsigned char)*s;

	/* literal prefixes E'', B'', X'', N'', U&'', U&"" */
	if ((c == 'e' || c == 'E') && s + 1 < end && s[1] == '\'') {
		const char *e = scan_quoted(s + 2, end, '\'', true);
		if (!e)
			return tok_error(lx, t, "unterminated quoted string");
		t->type = T_STRING;
		t->flags = TF_ESTRING;
		t->len = (size_t)(e - s);
		lx->s = e;
		return;
	}
	if ((c == 'b' || c == 'B' || c == 'x' || c == 'X' || c == 'n' || c == 'N') &&
	    s + 1 < end && s[1] == '\'') {
		const char *e = scan_quoted(s + 2, end, '\'', lx->scs_off && (c == 'n' || c == 'N'));
		if (!e)
			return tok_error(lx, t, "unterminated quoted string");
		t->type = T_STRING;
		if (lx->scs_off && (c == 'n' || c == 'N'))
			t->flags = TF_ESTRING;
		t->len = (size_t)(e - s);
		lx->s = e;
		return;
	}
	if ((c == 'u' || c == 'U') && s + 2 < end && s[1] == '&' && (s[2] == '\'' || s[2] == '"')) {
		const char *e = scan_quoted(s + 3, end, s[2], false);
		if (!e)
			return tok_error(lx, t, s[2] == '"' ? "unterminated quoted identifier"
							    : "unterminated quoted string");
		t->type = s[2] == '"' ? T_QIDENT : T_STRING;
		t->len = (size_t)(e - s);
		lx->s = e;
		return;
	}
	if (is_ident_start(c)) {
		const char *e = s + 1;
		while (e < end && is_ident_cont((unsigned char)*e))
			e++;
		t->type = T_IDENT;
		t->len = (size_t)(e - s);
		lx->s = e;
		return;
	}
	if (is_digit(c) || (c == '.' && s + 1 < end && is_digit((unsigned char)s[1]))) {
		t->type = T_NUMBER;
		t->len = (size_t)(scan_number(s, end) - s);
		lx->s = s + t->len;
		return;
	}
	switch (c) {
	case '\'': {
		const char *e = scan_quoted(s + 1, end, '\'', lx->scs_off);
		if (!e)
			return tok_error(lx, t, "unterminated quoted string");
		t->type = T_STRING;
		if (lx->scs_off)
			t->flags = TF_ESTRING;
		t->len = (size_t)(e - s);
		lx->s = e;
		return;
	}
	case '"': {
		const char *e = scan_quoted(s + 1, end, '"', false);
		if (!e)
			return tok_error(lx, t, "unterminated quoted identifier");
		if (e - s == 2)
			return tok_error(lx, t, "zero-length quoted identifier");
		t->type = T_QIDENT;
		t->len = (size_t)(e - s);
		lx->s = e;
		return;
	}
	case '$': {
		if (s + 1 < end && is_digit((unsigned char)s[1])) {
			const char *e = s + 1;
			while (e < end && is_digit((unsigned char)*e))
				e++;
			t->type = T_PARAM;
			t->len = (size_t)(e - s);
			lx->s = e;
			return;
		}
		size_t tl = dollar_tag_len(s, end);
		if (tl == 0)
			return tok_error(lx, t, "stray $");
		const char *p = s + tl;
		for (;;) {
			const char *q = memchr(p, '$', (size_t)(end - p));
			if (!q)
				return tok_error(lx, t, "unterminated dollar-quoted string");
			if ((size_t)(end - q) >= tl && memcmp(q, s, tl) == 0) {
				t->type = T_STRING;
				t->flags = TF_DOLLAR;
				t->len = (size_t)(q + tl - s);
				lx->s = q + tl;
				return;
			}
			p = q + 1;
		}
	}
	case '(': t->type = T_LPAREN; break;
	case ')': t->type = T_RPAREN; break;
	case '[': t->type = T_LBRACK; break;
	case ']': t->type = T_RBRACK; break;
	case ',': t->type = T_COMMA; break;
	case ';': t->type = T_SEMI; break;
	case '.': t->type = T_DOT; break;
	case ':':
		if (s + 1 < end && s[1] == ':') {
			t->type = T_TYPECAST;
			t->len = 2;
			lx->s = s + 2;
			return;
		}
		t->type = T_COLON;
		break;
	default:
		if (is_op_char(c)) {
			const char *e = s + 1;
			while (e < end && is_op_char((unsigned char)*e)) {
				/* a comment start ends the operator */
				if (e + 1 < end && ((e[0] == '-' && e[1] == '-') || (e[0] == '/' && e[1] == '*')))
					break;
				e++;
			}
			t->type = T_OP;
			t->len = (size_t)(e - s);
			lx->s = e;
			return;
		}
		return tok_error(lx, t, c == 0 ? "NUL byte in statement" : "unexpected character");
	}
	t->len = 1;
	lx->s = s + 1;
}

/* memcmp for the few bytes of a keyword (inlined; libc's call costs more here). */
static int kw_cmp(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return (unsigned char)a[i] - (unsigned char)b[i];
	return 0;
}

/* Keyword id of an unquoted identifier token, KW_NONE otherwise (cached in the token). */
static enum kw tok_kw(struct token *t)
{
	char buf[KW_MAXLEN];
	size_t i, lo, hi, len = t->len;

	if (t->kw)
		return (enum kw)(t->kw - 1);
	t->kw = 1;
	if (t->type != T_IDENT || len < 2 || len > KW_MAXLEN)
		return KW_NONE;
	for (i = 0; i < len; i++)
		buf[i] = (char)lower((unsigned char)t->p[i]);
	lo = kw_len_start[len];
	hi = kw_len_start[len + 1];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = kw_cmp(buf, keywords[mid].name, len);
		if (c == 0) {
			t->kw = (uint8_t)(keywords[mid].id + 1);
			return keywords[mid].id;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return KW_NONE;
}

/*
 * Identifier text as PostgreSQL sees it: unquoted folded to lower case,
 * quoted with "" undoubled; truncated to CLASSIFY_NAME_LEN - 1 bytes like
 * NAMEDATALEN.  Returns false if T is not an identifier.
 */
static bool tok_ident(const struct token *t, char *buf, size_t bufsz)
{
	size_t o = 0, i;

	if (t->type == T_IDENT) {
		for (i = 0; i < t->len && o + 1 < bufsz; i++)
			buf[o++] = (char)lower((unsigned char)t->p[i]);
	} else if (t->type == T_QIDENT) {
		size_t start = (t->p[0] == '"') ? 1 : 3;	/* "x" or U&"x" */
		for (i = start; i + 1 < t->len && o + 1 < bufsz; i++) {
			buf[o++] = t->p[i];
			if (t->p[i] == '"')
				i++;
		}
	} else {
		return false;
	}
	buf[o] = '\0';
	return true;
}

/*
 * Contents of a string token (unquoted), or of an identifier/number.
 * Returns false if it does not fit in BUFSZ.  E'' escapes: \n \t \r \b \f
 * and \<char>; octal/hex/unicode escapes are kept verbatim.
 */
static bool tok_value(const struct token *t, char *buf, size_t bufsz)
{
	size_t o = 0, i;

	if (t->type == T_IDENT || t->type == T_QIDENT) {
		char tmp[CLASSIFY_VALUE_LEN];
		tok_ident(t, tmp, sizeof(tmp));
		if (strlen(tmp) + 1 > bufsz)
			return false;
		memcpy(buf, tmp, strlen(tmp) + 1);
		return true;
	}
	if (t->type == T_NUMBER) {
		if (t->len + 1 > bufsz)
			return false;
		memcpy(buf, t->p, t->len);
		buf[t->len] = '\0';
		return true;
	}
	if (t->type != T_STRING)
		return false;
	if (t->flags & TF_DOLLAR) {
		size_t tl = dollar_tag_len(t->p, t->p + t->len);
		size_t n = t->len - 2 * tl;
		if (n + 1 > bufsz)
			return false;
		memcpy(buf, t->p + tl, n);
		buf[n] = '\0';
		return true;
	}
	i = 0;
	while (i < t->len && t->p[i] != '\'')
		i++;
	for (i++; i + 1 < t->len; i++) {
		char c = t->p[i];
		if (c == '\'') {
			i++;	/* doubled quote */
		} else if ((t->flags & TF_ESTRING) && c == '\\' && i + 2 < t->len) {
			i++;
			switch (t->p[i]) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			default: c = t->p[i]; break;
			}
		}
		if (o + 1 >= bufsz) {
			buf[0] = '\0';	/* too long: no value, and no unterminated prefix */
			return false;
		}
		buf[o++] = c;
	}
	buf[o] = '\0';
	return true;
}

/* ---- statement cursor ------------------------------------------------ */

/* Token window over one statement; cur is at T_SEMI/T_EOF/T_ERROR at its end. */
struct cursor {
	struct lexer lx;
	struct token cur;
	struct token prev;	/* T_EOF before the first token of a statement */
	struct token prev2;	/* the token before prev */
	struct token nxt;	/* lookahead, valid if has_nxt */
	bool has_nxt;
	const struct classify_knowledge *k;
	const struct classify_context *ctx;
	int depth;		/* recursion guard for EXPLAIN/PREPARE/DECLARE */
	int pdepth;		/* parenthesis depth: ";" inside parentheses does not end a statement */
	bool value_read;	/* a literal's value or the session context decided something */
};

static void adv(struct cursor *c)
{
	if (c->cur.type == T_LPAREN)
		c->pdepth++;
	else if (c->cur.type == T_RPAREN)
		c->pdepth--;
	c->prev2 = c->prev;
	c->prev = c->cur;
	if (c->has_nxt) {
		c->cur = c->nxt;
		c->has_nxt = false;
	} else {
		lex_next(&c->lx, &c->cur);
	}
}

/* tok_value() of the current token; the result now depends on that value. */
static bool cur_value(struct cursor *c, char *buf, size_t bufsz)
{
	c->value_read = true;
	return tok_value(&c->cur, buf, bufsz);
}

static bool at_end(const struct cursor *c)
{
	return (c->cur.type == T_SEMI && c->pdepth <= 0) || c->cur.type == T_EOF ||
	       c->cur.type == T_ERROR;
}

static enum kw cur_kw(struct cursor *c)
{
	return tok_kw(&c->cur);
}

/* Consume the keyword if it is next. */
static bool accept_kw(struct cursor *c, enum kw k)
{
	if (cur_kw(c) == k) {
		adv(c);
		return true;
	}
	return false;
}

/* The token after cur, without consuming it. */
static struct token *peek(struct cursor *c);

/*
 * Consume an optional noise keyword unless it is the last word, where it
 * is a name: "RELEASE SAVEPOINT" releases a savepoint named "savepoint".
 */
static void accept_kw_unless_last(struct cursor *c, enum kw k)
{
	struct token *n;

	if (cur_kw(c) != k)
		return;
	n = peek(c);
	if (n->type == T_SEMI || n->type == T_EOF)
		return;
	adv(c);
}

/* The token after cur, without consuming it. */
static struct token *peek(struct cursor *c)
{
	if (!c->has_nxt) {
		lex_next(&c->lx, &c->nxt);
		c->has_nxt = true;
	}
	return &c->nxt;
}

static void skip_to_end(struct cursor *c)
{
	while (!at_end(c))
		adv(c);
}

/* ---- results ---------------------------------------------------------- */

/* Rank of read/ambiguous/write for "strongest class wins". */
static int rank(enum classify_class cls)
{
	switch (cls) {
	case CLASS_READ: return 0;
	case CLASS_AMBIGUOUS: return 1;
	case CLASS_WRITE: return 2;
	default: return -1;
	}
}

/* Append S to the reason, replacing control characters (the CLI prints one line). */
static void reason_add(struct classify_result *r, size_t *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i] && *o + 1 < sizeof(r->reason); i++) {
		unsigned char ch = (unsigned char)s[i];
		r->reason[(*o)++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	r->reason[*o] = '\0';
}

/* Set class and reason from up to three pieces. */
static void set3(struct classify_result *r, enum classify_class cls, const char *a,
		 const char *b, const char *c)
{
	size_t o = 0;

	r->cls = cls;
	r->reason[0] = '\0';
	if (a)
		reason_add(r, &o, a, strlen(a));
	if (b)
		reason_add(r, &o, b, strlen(b));
	if (c)
		reason_add(r, &o, c, strlen(c));
}

/* Append to the current reason. */
static void reason_append(struct classify_result *r, const char *s)
{
	size_t o = strlen(r->reason);

	reason_add(r, &o, s, strlen(s));
}

static void set(struct classify_result *r, enum classify_class cls, const char *reason)
{
	set3(r, cls, reason, NULL, NULL);
}

/* Raise a read/ambiguous/write part to CLS if stronger; the first reason of a class stays. */
static void escalate3(struct classify_result *r, enum classify_class cls, const char *a,
		      const char *b, const char *c)
{
	if (rank(cls) > rank(r->cls))
		set3(r, cls, a, b, c);
}

static void escalate(struct classify_result *r, enum classify_class cls, const char *reason)
{
	escalate3(r, cls, reason, NULL, NULL);
}

/* Upper-case copy of a keyword token for reasons ("CREATE INDEX is DDL"). */
static void tok_upper(const struct token *t, char *buf, size_t bufsz)
{
	size_t i, n = (t->type == T_IDENT) ? t->len : 0;

	if (n >= bufsz)
		n = bufsz - 1;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)t->p[i];
		buf[i] = (char)((ch >= 'a' && ch <= 'z') ? ch - 32 : ch);
	}
	buf[n] = '\0';
}

/* ---- function knowledge ------------------------------------------------ */

enum fn_verdict {
	FNV_READ,
	FNV_WRITE,
	FNV_PIN,
	FNV_VOLATILE,
	FNV_UNKNOWN,
	FNV_PATTERN_READ,
	FNV_PATTERN_WRITE,
};

/* FNV-1a, 32 bits: tools/gen_builtins.py hashes the built-in table with it. */
static uint32_t fnv32(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

/* Built-in kind of function NAME (FN_*), 0 if not built in. */
static char builtin_lookup(const char *name)
{
	size_t n, hsize, i;
	const uint16_t *hash;
	const struct fn_entry *tab = builtin_functions(&n, &hash, &hsize);

	for (i = fnv32(name) & (hsize - 1); hash[i]; i = (i + 1) & (hsize - 1))
		if (strcmp(tab[hash[i] - 1].name, name) == 0)
			return tab[hash[i] - 1].kind;
	return 0;
}

static struct cat_entry *cat_slot(struct cat_entry *tab, size_t size, const char *key)
{
	size_t i = fnv32(key) & (size - 1);

	while (tab[i].key && strcmp(tab[i].key, key) != 0)
		i = (i + 1) & (size - 1);
	return &tab[i];
}

static char *cat_key_write(char *p, char prefix, const char *schema, size_t sl, const char *name,
			   size_t nl);

/* The entry of the key cat_key_write() makes at *KP; a new key stays in the key storage. */
static struct cat_entry *cat_key(struct cat_entry *tab, size_t size, char **kp, char prefix,
				 const char *schema, size_t sl, const char *name, size_t nl)
{
	char *end = cat_key_write(*kp, prefix, schema, sl, name, nl);
	struct cat_entry *e = cat_slot(tab, size, *kp);

	if (!e->key) {
		e->key = *kp;
		*kp = end;
	}
	return e;
}

static char catalog_lookup(const struct classify_knowledge *k, const char *key)
{
	const struct cat_entry *e;

	if (!k || !k->cat)
		return 0;
	e = cat_slot(k->cat, k->cat_size, key);
	return e->key ? e->provolatile : 0;
}

/* Prefix of an unlogged table's keys in the catalog table (no function name starts with it). */
#define UNLOGGED_KEY '\1'

/*
 * A catalog key at P: PREFIX (unless 0), then SCHEMA and a dot (unless SL
 * is 0), then NAME and its NUL.  Returns the end, past the NUL.
 */
static char *cat_key_write(char *p, char prefix, const char *schema, size_t sl, const char *name,
			   size_t nl)
{
	if (prefix)
		*p++ = prefix;
	if (sl) {
		memcpy(p, schema, sl);
		p += sl;
		*p++ = '.';
	}
	memcpy(p, name, nl + 1);
	return p + nl + 1;
}

/*
 * Is NAME (folded; after SCHEMA and a dot when SCHEMA is not empty) a
 * table the catalog says is unlogged?
 */
static bool unlogged_table(const struct classify_knowledge *k, const char *schema, const char *name)
{
	char key[2 * CLASSIFY_NAME_LEN + 3];

	if (!k || !k->n_unlogged)
		return false;
	cat_key_write(key, UNLOGGED_KEY, schema, strlen(schema), name, strlen(name));
	return catalog_lookup(k, key) == 'u';
}

/*
 * PCRE2 match data is scratch space for one match at a time: one per
 * thread (worker threads classify at once), K's own as the fallback when
 * it cannot be had.
 */
static _Thread_local pcre2_match_data *thread_md;

static pcre2_match_data *match_data(const struct classify_knowledge *k)
{
	if (!thread_md)
		thread_md = pcre2_match_data_create(1, NULL);
	return thread_md ? thread_md : k->md;
}

void classify_thread_end(void)
{
	pcre2_match_data_free(thread_md);
	thread_md = NULL;
}

/* Index of the first pattern in L matching S, or -1. */
static int pattern_match(const struct classify_knowledge *k, const struct pattern_list *l,
			 const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		int rc = pcre2_match(l->code[i], (PCRE2_SPTR)s, len, 0, 0, match_data(k), NULL);
		if (rc >= 0)
			return (int)i;
	}
	return -1;
}

/*
 * What a call of SCHEMA.NAME (schema "" if unqualified) does.  Order:
 * write_functions patterns, read_functions patterns, built-in write table
 * (any schema), built-in table (unqualified or pg_catalog only), catalog,
 * unknown.  *PAT gets the index of a matching pattern.
 */
static enum fn_verdict function_verdict(const struct classify_knowledge *k, const char *schema,
					const char *name, int *pat)
{
	char qual[2 * CLASSIFY_NAME_LEN + 2];
	size_t i, nl = strlen(name);
	bool builtin_schema = schema[0] == '\0' || strcmp(schema, "pg_catalog") == 0;
	char kind, vol;

	qual[0] = '\0';
	if (schema[0]) {
		size_t sl = strlen(schema);
		memcpy(qual, schema, sl);
		qual[sl] = '.';
		memcpy(qual + sl + 1, name, nl + 1);
	}
	if (k && (k->write_fn.n || k->read_fn.n)) {
		int m = pattern_match(k, &k->write_fn, name, nl);
		if (m < 0 && qual[0])
			m = pattern_match(k, &k->write_fn, qual, strlen(qual));
		if (m >= 0) {
			*pat = m;
			return FNV_PATTERN_WRITE;
		}
		m = pattern_match(k, &k->read_fn, name, nl);
		if (m < 0 && qual[0])
			m = pattern_match(k, &k->read_fn, qual, strlen(qual));
		if (m >= 0) {
			*pat = m;
			return FNV_PATTERN_READ;
		}
	}
	kind = builtin_lookup(name);
	if (kind == FN_WRITE)
		return FNV_WRITE;
	if (kind == FN_PIN)
		return FNV_PIN;
	if (builtin_schema && kind == FN_READ)
		return FNV_READ;
	for (i = 0; i < ARRAY_SIZE(write_prefixes); i++)
		if (strncmp(name, write_prefixes[i], strlen(write_prefixes[i])) == 0)
			return FNV_WRITE;
	if (builtin_schema && kind == FN_VOLATILE)
		return FNV_VOLATILE;
	vol = catalog_lookup(k, qual[0] ? qual : name);
	if (vol == 'i' || vol == 's')
		return FNV_READ;
	if (vol == 'v')
		return FNV_VOLATILE;
	return FNV_UNKNOWN;
}

/* Apply a function call to the part's class. */
static bool call_is_typed_literal(const struct cursor *c);

static void note_function(struct cursor *c, struct classify_result *r, const char *schema,
			  const char *name)
{
	char disp[2 * CLASSIFY_NAME_LEN + 4];
	int pat = -1;
	enum fn_verdict v = function_verdict(c->k, schema, name, &pat);

	if (v == FNV_READ || v == FNV_PATTERN_READ)
		return;
	/* "numeric(10,2) '1.5'" is a typed literal, not a call (checked only when it matters) */
	if (call_is_typed_literal(c))
		return;
	snprintf(disp, sizeof(disp), "%s%s%s()", schema, schema[0] ? "." : "", name);
	switch (v) {
	case FNV_PIN:
		r->pins_session = true;
		escalate3(r, CLASS_WRITE, "calls ", disp, " (session state on the primary)");
		break;
	case FNV_WRITE:
		escalate3(r, CLASS_WRITE, "calls ", disp, " which writes or needs the primary");
		if (strcmp(name, "pg_notify") == 0)
			r->notifies = true;
		break;
	case FNV_PATTERN_WRITE:
		escalate3(r, CLASS_WRITE, "calls ", disp, " listed in write_functions");
		break;
	case FNV_VOLATILE:
		escalate3(r, CLASS_AMBIGUOUS, "calls volatile function ", disp, NULL);
		break;
	default:
		escalate3(r, CLASS_AMBIGUOUS, "calls unknown function ", disp, NULL);
		break;
	}
}

/* ---- query scanning ----------------------------------------------------- */

/* Keywords after which "name(" is a function call in an expression. */
static bool kw_precedes_expr(enum kw k)
{
	switch (k) {
	case KW_ALL: case KW_AND: case KW_ANY: case KW_ASYMMETRIC: case KW_AT:
	case KW_BETWEEN: case KW_BOTH: case KW_BY: case KW_CASE: case KW_DEFAULT:
	case KW_DISTINCT: case KW_DO: case KW_ELSE: case KW_ESCAPE: case KW_EXCEPT:
	case KW_EXISTS: case KW_FETCH: case KW_FIRST: case KW_NEXT: case KW_FOR:
	case KW_FROM: case KW_GROUP: case KW_GROUPS: case KW_HAVING: case KW_ILIKE:
	case KW_IN: case KW_INTERSECT: case KW_INTO: case KW_IS: case KW_JOIN:
	case KW_LATERAL: case KW_LEADING: case KW_LIKE: case KW_LIMIT: case KW_NOT:
	case KW_OFFSET: case KW_ON: case KW_ONLY: case KW_OR: case KW_ORDER:
	case KW_OVERLAPS: case KW_PARTITION: case KW_RANGE: case KW_RETURNING:
	case KW_ROWS: case KW_SELECT: case KW_SET: case KW_SIMILAR: case KW_SOME:
	case KW_SYMMETRIC: case KW_THEN: case KW_TO: case KW_TRAILING: case KW_UNION:
	case KW_USING: case KW_VALUES: case KW_VARIADIC: case KW_WHEN: case KW_WHERE:
	case KW_WITH: case KW_ZONE: case KW_RECURSIVE: case KW_TABLE: case KW_CALL:
	case KW_ARRAY: case KW_ROW: case KW_OF:
		return true;
	default:
		return false;
	}
}

/*
 * Reserved (and column-name) keywords that take "(" without being a
 * function call.  Unreserved ones (OVER, FILTER, BY, ROLLUP, ...) can name
 * user functions, so their context decides (scan_query).
 */
static bool kw_paren_syntax(enum kw k)
{
	switch (k) {
	case KW_IN: case KW_EXISTS: case KW_ANY: case KW_ALL: case KW_SOME:
	case KW_VALUES: case KW_USING: case KW_ON: case KW_AND: case KW_OR:
	case KW_NOT: case KW_WHERE: case KW_SELECT: case KW_FROM: case KW_AS:
	case KW_GROUP: case KW_ARRAY: case KW_ROW: case KW_WHEN: case KW_THEN:
	case KW_ELSE: case KW_CASE: case KW_RETURNING: case KW_LATERAL:
	case KW_DISTINCT: case KW_HAVING: case KW_ORDER: case KW_LIMIT:
	case KW_OFFSET: case KW_UNION: case KW_INTERSECT: case KW_EXCEPT:
	case KW_INTO: case KW_TO: case KW_FOR: case KW_WINDOW: case KW_ONLY:
	case KW_OPERATOR: case KW_WITH: case KW_TABLE: case KW_DEFAULT:
	case KW_BETWEEN: case KW_LEADING: case KW_TRAILING: case KW_BOTH:
	case KW_VARIADIC: case KW_SYMMETRIC: case KW_ASYMMETRIC:
		return true;
	default:
		return false;
	}
}

/* Infix keywords: after an operand, "kw (" is syntax, not a call of kw(). */
static bool kw_infix(enum kw k)
{
	return k == KW_IS || k == KW_LIKE || k == KW_ILIKE || k == KW_SIMILAR ||
	       k == KW_OVERLAPS || k == KW_JOIN || k == KW_TABLESAMPLE || k == KW_ESCAPE;
}

/*
 * Is the call at the cursor (cur is the name, "(" follows) really a typed
 * literal, "type(mods) 'string'" or "type(mods) $1"?  Looks ahead on a copy.
 */
static bool call_is_typed_literal(const struct cursor *c)
{
	struct cursor l = *c;
	int d = 0;

	adv(&l);	/* at "(" */
	do {
		if (l.cur.type == T_LPAREN)
			d++;
		else if (l.cur.type == T_RPAREN)
			d--;
		else if (l.cur.type == T_EOF || l.cur.type == T_ERROR)
			return false;
		adv(&l);
	} while (d > 0);
	return l.cur.type == T_STRING || l.cur.type == T_PARAM;
}

/* What opened a parenthesis group (to read the token after its ")"). */
enum paren_kind {
	PK_OTHER = 0,
	PK_EXPR_FOLLOWS,	/* DISTINCT ON (...), OPERATOR(...): an expression follows */
	PK_CTE,			/* AS (...) / MATERIALIZED (...): a CTE body */
	PK_ARGS,		/* name(...): call arguments */
	PK_FROM,		/* FROM (...), JOIN (...) */
};

#define SCAN_STACK 64

/*
 * Is "name(" at the cursor (cur is the name) the column list of a CTE,
 * "name(a, b) AS ("?  Looks ahead on a copy of the cursor.
 */
static bool is_cte_column_list(const struct cursor *c)
{
	struct cursor l = *c;
	int d = 0;
	enum kw k;

	adv(&l);	/* at "(" */
	do {
		if (l.cur.type == T_LPAREN)
			d++;
		else if (l.cur.type == T_RPAREN)
			d--;
		else if (l.cur.type == T_EOF || l.cur.type == T_ERROR || l.cur.type == T_SEMI)
			return false;
		adv(&l);
	} while (d > 0);
	if (tok_kw(&l.cur) != KW_AS)
		return false;
	adv(&l);
	k = tok_kw(&l.cur);
	return l.cur.type == T_LPAREN || k == KW_MATERIALIZED || k == KW_NOT;
}

/*
 * Scan a query-like statement from the cursor to its end (or, with
 * STOP_AT_CLOSE, to the ")" closing the group it starts in), raising R for
 * data-modifying parts, row locks, SELECT INTO and function calls.
 */
/*
 * Is T (an identifier starting "pg_") a view or function whose answer is
 * one node's own: statistics (pg_stat_*, pg_statio_*, pg_stat_statements),
 * locks, replication slots, prepared transactions?  pg_stats (the
 * planner's statistics, replicated like any catalog) is not.
 */
static bool node_local_name(const struct token *t)
{
	static const char *const exact[] = { "pg_locks", "pg_replication_slots", "pg_prepared_xacts" };
	char name[CLASSIFY_NAME_LEN];

	tok_ident(t, name, sizeof(name));
	if (strncmp(name, "pg_stat_", 8) == 0 || strncmp(name, "pg_statio_", 10) == 0)
		return true;
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(name, exact[i]) == 0)
			return true;
	return false;
}

static void scan_query(struct cursor *c, struct classify_result *r, bool stop_at_close)
{
	uint8_t stack[SCAN_STACK];
	int depth = 0;
	enum paren_kind closed = PK_OTHER;	/* kind of the group c->prev closed */
	bool saw_with = false;			/* CTE column lists possible */
	bool call_before = false;		/* c->prev was judged the name of a call */

	while (!at_end(c)) {
		struct token *t = &c->cur;
		bool call_here = false;

		switch (t->type) {
		case T_LPAREN: {
			enum paren_kind pk = PK_OTHER;
			enum kw pkw = tok_kw(&c->prev);

			if (call_before)
				pk = PK_ARGS;		/* f(...) just judged a call, whatever its name */
			else if (pkw == KW_ON || pkw == KW_OPERATOR)
				pk = PK_EXPR_FOLLOWS;	/* also a join's ON (...): harmless */
			else if (pkw == KW_AS || pkw == KW_MATERIALIZED)
				pk = PK_CTE;		/* a CTE body (or a window definition) */
			else if (pkw == KW_FROM || pkw == KW_JOIN)
				pk = PK_FROM;		/* a subquery or a parenthesized join */
			else if (c->prev.type == T_QIDENT ||
				 (c->prev.type == T_IDENT && !kw_paren_syntax(pkw) && !kw_precedes_expr(pkw)))
				pk = PK_ARGS;		/* f(...) arguments (or an alias column list) */
			if (depth < SCAN_STACK)
				stack[depth] = (uint8_t)pk;
			depth++;
			adv(c);
			/* a data-modifying statement as a CTE body: WITH x AS (DELETE ...) */
			if (pk == PK_CTE) {
				switch (cur_kw(c)) {
				case KW_INSERT: case KW_UPDATE: case KW_DELETE: case KW_MERGE: {
					char kwb[16];
					tok_upper(&c->cur, kwb, sizeof(kwb));
					escalate3(r, CLASS_WRITE, "data-modifying ", kwb, " in WITH writes");
					break;
				}
				default:
					break;
				}
			}
			closed = PK_OTHER;
			call_before = false;
			continue;
		}
		case T_RPAREN:
			if (depth == 0 && stop_at_close)
				return;
			if (depth > 0) {
				depth--;
				closed = depth < SCAN_STACK ? (enum paren_kind)stack[depth] : PK_OTHER;
			}
			adv(c);
			/* WITH x AS (...) DELETE ...: the main statement of a WITH */
			if (closed == PK_CTE) {
				switch (cur_kw(c)) {
				case KW_INSERT: case KW_UPDATE: case KW_DELETE: case KW_MERGE: {
					char kwb[16];
					tok_upper(&c->cur, kwb, sizeof(kwb));
					escalate3(r, CLASS_WRITE, "WITH ... ", kwb, " writes");
					break;
				}
				default:
					break;
				}
			}
			call_before = false;
			continue;
		case T_IDENT:
		case T_QIDENT: {
			/* only FOR and INTO matter unless "(" or "." follows */
			enum kw k = (t->len == 3 || t->len == 4) ? tok_kw(t) : KW_NONE;
			struct token before = c->prev, before2 = c->prev2;
			enum paren_kind before_closed = closed;
			char schema[CLASSIFY_NAME_LEN], name[CLASSIFY_NAME_LEN];

			if (k == KW_WITH)
				saw_with = true;
			if ((k == KW_FOR || k == KW_INTO) && tok_kw(&before) == KW_AS)
				break;	/* "AS into": an alias */
			if (k == KW_FOR) {
				struct token *n = peek(c);
				enum kw nk = tok_kw(n);
				if (nk == KW_UPDATE || nk == KW_SHARE || nk == KW_NO || nk == KW_KEY) {
					const char *what = nk == KW_UPDATE ? "UPDATE" : nk == KW_SHARE ? "SHARE"
							 : nk == KW_NO ? "NO KEY UPDATE" : "KEY SHARE";
					escalate3(r, CLASS_WRITE, "SELECT ... FOR ", what, " locks rows");
				}
				break;
			}
			if (k == KW_INTO) {
				struct token *n = peek(c);
				enum kw nk = tok_kw(n);
				if (nk == KW_TEMP || nk == KW_TEMPORARY ||
				    ((nk == KW_LOCAL || nk == KW_GLOBAL))) {
					r->pins_session = true;
					escalate(r, CLASS_WRITE, "SELECT ... INTO TEMP creates a table and pins the session");
				}
				escalate(r, CLASS_WRITE, "SELECT ... INTO creates a table");
				break;
			}
			if (t->type == T_IDENT && t->len >= 8 && (t->p[0] | 0x20) == 'p' &&
			    (t->p[1] | 0x20) == 'g' && t->p[2] == '_' && node_local_name(t))
				r->node_local = true;
			if (c->k && c->k->n_unlogged && !r->unlogged && peek(c)->type != T_DOT) {
				/* an unqualified name (a qualified one: below) */
				tok_ident(t, name, sizeof(name));
				if (unlogged_table(c->k, "", name))
					r->unlogged = true;
			}
			/* fast path: not followed by "(" or "." cannot be a call */
			{
				struct token *n = peek(c);
				if (n->type != T_LPAREN && n->type != T_DOT)
					break;
			}
			/* gather a possibly qualified name: a.b.c */
			schema[0] = '\0';
			tok_ident(t, name, sizeof(name));
			{
				bool paren_kw = (t->type == T_IDENT && kw_paren_syntax(tok_kw(t)));
				struct token *n = peek(c);
				while (n->type == T_DOT) {
					adv(c);		/* at "." */
					adv(c);		/* at the next part */
					if (c->cur.type != T_IDENT && c->cur.type != T_QIDENT)
						goto next_token;	/* t.* or error */
					memcpy(schema, name, sizeof(schema));
					tok_ident(&c->cur, name, sizeof(name));
					if (strncmp(name, "pg_", 3) == 0 && node_local_name(&c->cur))
						r->node_local = true;	/* pg_catalog.pg_stat_activity */
					if (c->k && c->k->n_unlogged && unlogged_table(c->k, schema, name))
						r->unlogged = true;	/* app.events */
					paren_kw = false;
					n = peek(c);
				}
				if (n->type != T_LPAREN || paren_kw)
					break;
			}
			/* "name(": a call unless the context says type, alias or CTE list */
			if (before.type == T_TYPECAST || before.type == T_QIDENT)
				break;
			/*
			 * Right after a literal, parameter or "]" a call cannot start:
			 * "'a' LIKE (...)", "xmltable('/r' PASSING (...) COLUMNS ...)"
			 */
			if (before.type == T_STRING || before.type == T_NUMBER || before.type == T_PARAM ||
			    before.type == T_RBRACK)
				break;
			if (!schema[0] && t->type == T_IDENT) {
				enum kw nk = tok_kw(t), bk = tok_kw(&before);
				/* ORDER BY (, GROUP BY (, PARTITION BY (, AS NOT MATERIALIZED ( */
				if (nk == KW_BY && (bk == KW_ORDER || bk == KW_GROUP || bk == KW_PARTITION))
					break;
				if (nk == KW_MATERIALIZED && bk == KW_NOT && tok_kw(&before2) == KW_AS)
					break;
				/* FETCH FIRST (n) ROWS ONLY */
				if ((nk == KW_FIRST || nk == KW_NEXT) && bk == KW_FETCH)
					break;
				/* t LEFT JOIN (...), x IS (...): infix syntax after an operand */
				if (kw_infix(nk) && ((before.type == T_RPAREN && before_closed != PK_EXPR_FOLLOWS) ||
						     (before.type == T_IDENT && !kw_precedes_expr(bk))))
					break;
			}
			if (before.type == T_RPAREN && before_closed != PK_EXPR_FOLLOWS)
				break;
			if (before.type == T_IDENT) {
				enum kw bk = tok_kw(&before), b2 = tok_kw(&before2);
				enum paren_kind in = depth > 0 && depth <= SCAN_STACK ? (enum paren_kind)stack[depth - 1]
										       : PK_OTHER;

				if (bk == KW_AS || bk == KW_TABLESAMPLE)
					break;
				if (bk == KW_GROUPING && tok_kw(t) == KW_SETS && !schema[0])
					break;	/* GROUPING SETS ( */
				if (!kw_precedes_expr(bk)) {
					/* a type: "::character varying(9)", "AS bit varying(8)" */
					if (before2.type == T_TYPECAST || b2 == KW_AS)
						break;
					/* an alias column list: "FROM t x(a)", "JOIN s.t x(a)", "FROM a, b x(c)" */
					if (b2 == KW_FROM || b2 == KW_JOIN || b2 == KW_ONLY || before2.type == T_DOT ||
					    (before2.type == T_COMMA && in != PK_ARGS) || bk == KW_ORDINALITY ||
					    (before2.type == T_LPAREN && in == PK_FROM))
						break;
					/* else a keyword of call syntax: overlay(a PLACING f(x)), xmlparse(DOCUMENT f(x)) */
				}
			}
			if (saw_with && (before.type == T_COMMA || tok_kw(&before) == KW_WITH ||
					 tok_kw(&before) == KW_RECURSIVE) && is_cte_column_list(c))
				break;
			note_function(c, r, schema, name);
			call_here = true;
			break;
		}
		default:
			break;
		}
		closed = PK_OTHER;
		call_before = call_here;
		adv(c);
		continue;
	next_token:
		closed = PK_OTHER;
		call_before = false;
		continue;
	}
}

/* ---- statements ---------------------------------------------------------- */

static void classify_statement(struct cursor *c, struct classify_result *r);

/* A plain query (SELECT, WITH, VALUES, TABLE, "(" ...): read unless scanning finds otherwise. */
static void stmt_query(struct cursor *c, struct classify_result *r, const char *what)
{
	set3(r, CLASS_READ, what, " reads", NULL);
	scan_query(c, r, false);
}

/* Statements that always write: DML, DDL, maintenance, LOCK, CALL, DO, NOTIFY... */
static void stmt_write(struct cursor *c, struct classify_result *r, const char *reason)
{
	set(r, CLASS_WRITE, reason);
	/* scan for session advisory locks etc.: they pin even inside a write */
	scan_query(c, r, false);
}

/* A byte of a word in code block text ('$' ends one: $$BEGIN). */
static bool word_char(unsigned char c)
{
	return is_ident_cont(c) && c != '$';
}

/* Is S[I..N) the word W (lower case), not inside a longer name? */
static bool word_at(const char *s, size_t n, size_t i, const char *w)
{
	size_t k = 0;

	if (i > 0 && word_char((unsigned char)s[i - 1]))
		return false;
	for (; w[k]; k++)
		if (i + k >= n || lower((unsigned char)s[i + k]) != w[k])
			return false;
	return i + k >= n || !word_char((unsigned char)s[i + k]);
}

/*
 * Does code block text S (N bytes, a DO body with its quotes) change a
 * session setting for good?  A SET or RESET that starts a statement (after
 * ';', BEGIN, THEN, ELSE or LOOP, or at the start of a quoted string, for
 * EXECUTE 'SET ...') and is not SET LOCAL, SET TRANSACTION or SET
 * CONSTRAINTS, or any set_config(): these outlive the block in the
 * backend.  A guess from the text, erring towards yes (a comment counts).
 */
static bool body_sets_session(const char *s, size_t n)
{
	static const char *const starts[] = { "begin", "then", "else", "loop" };

	for (size_t i = 0; i < n; i++) {
		bool set = word_at(s, n, i, "set");
		size_t j, k;

		if (word_at(s, n, i, "set_config"))
			return true;
		if (!set && !word_at(s, n, i, "reset"))
			continue;
		for (j = i; j > 0 && is_space((unsigned char)s[j - 1]); j--)
			;
		if (j > 0 && s[j - 1] != ';' && s[j - 1] != '\'' && s[j - 1] != '$') {
			/* the word before it */
			for (k = j; k > 0 && word_char((unsigned char)s[k - 1]); k--)
				;
			bool start = false;
			for (size_t w = 0; w < ARRAY_SIZE(starts) && !start; w++)
				start = j - k == strlen(starts[w]) && word_at(s, j, k, starts[w]);
			if (!start)
				continue;
		}
		if (!set)
			return true;
		for (j = i + 3; j < n && is_space((unsigned char)s[j]); j++)
			;
		if (!word_at(s, n, j, "local") && !word_at(s, n, j, "transaction") &&
		    !word_at(s, n, j, "constraints"))
			return true;
	}
	return false;
}

/*
 * DO runs its code on the primary.  A session setting it changes stays in
 * the backend after it, out of pgsteer's sight: that pins the session, so
 * the backend is reset before another client gets it.
 */
static void stmt_do(struct cursor *c, struct classify_result *r)
{
	bool sets = false;

	adv(c);
	for (; !at_end(c); adv(c))
		if (c->cur.type == T_STRING && !sets)
			sets = body_sets_session(c->cur.p, c->cur.len);
	if (sets) {
		set(r, CLASS_WRITE, "DO block changes a session setting");
		r->pins_session = true;
	} else {
		set(r, CLASS_WRITE, "DO runs an anonymous code block");
	}
}

/* Name of the next object (savepoint, prepared statement, cursor) into r->object_name. */
static bool take_name(struct cursor *c, struct classify_result *r)
{
	if (!tok_ident(&c->cur, r->object_name, sizeof(r->object_name)))
		return false;
	adv(c);
	return true;
}

/* BEGIN / START TRANSACTION modes, in any order, commas optional. */
static void txn_modes(struct cursor *c, struct classify_result *r)
{
	while (!at_end(c)) {
		enum kw k = cur_kw(c);

		if (c->cur.type == T_COMMA) {
			adv(c);
			continue;
		}
		if (k == KW_READ) {
			adv(c);
			if (cur_kw(c) == KW_ONLY)
				r->access = ACCESS_READ_ONLY;
			else if (cur_kw(c) == KW_WRITE)
				r->access = ACCESS_READ_WRITE;
			else
				goto bad;
			adv(c);
		} else if (k == KW_ISOLATION) {
			adv(c);
			if (!accept_kw(c, KW_LEVEL))
				goto bad;
			k = cur_kw(c);
			if (k == KW_SERIALIZABLE) {
				r->isolation = ISOLATION_SERIALIZABLE;
				adv(c);
			} else if (k == KW_REPEATABLE) {
				adv(c);
				if (!accept_kw(c, KW_READ))
					goto bad;
				r->isolation = ISOLATION_REPEATABLE_READ;
			} else if (k == KW_READ) {
				adv(c);
				if (accept_kw(c, KW_COMMITTED))
					r->isolation = ISOLATION_READ_COMMITTED;
				else if (accept_kw(c, KW_UNCOMMITTED))
					r->isolation = ISOLATION_READ_UNCOMMITTED;
				else
					goto bad;
			} else {
				goto bad;
			}
		} else if (k == KW_DEFERRABLE) {
			r->deferrable = true;
			adv(c);
		} else if (k == KW_NOT) {
			adv(c);
			if (!accept_kw(c, KW_DEFERRABLE))
				goto bad;
			r->deferrable = false;
		} else {
			goto bad;
		}
	}
	return;
bad:
	set(r, CLASS_AMBIGUOUS, "unrecognized transaction mode");
	r->txn = TXN_NONE;
}

/* [AND [NO] CHAIN] after COMMIT/ROLLBACK. */
static void txn_chain(struct cursor *c, struct classify_result *r)
{
	if (accept_kw(c, KW_AND)) {
		bool no = accept_kw(c, KW_NO);
		if (!accept_kw(c, KW_CHAIN)) {
			set(r, CLASS_AMBIGUOUS, "malformed AND CHAIN");
			r->txn = TXN_NONE;
			return;
		}
		r->txn_and_chain = !no;
	}
	if (!at_end(c)) {
		set(r, CLASS_AMBIGUOUS, "unexpected words after transaction control");
		r->txn = TXN_NONE;
	}
}

static void stmt_begin(struct cursor *c, struct classify_result *r, bool start)
{
	adv(c);
	if (start) {
		if (!accept_kw(c, KW_TRANSACTION)) {
			set(r, CLASS_AMBIGUOUS, "START without TRANSACTION");
			return;
		}
	} else if (!accept_kw(c, KW_WORK)) {
		accept_kw(c, KW_TRANSACTION);
	}
	set(r, CLASS_TRANSACTION, "BEGIN starts a transaction");
	r->txn = TXN_BEGIN;
	txn_modes(c, r);
	if (r->cls == CLASS_TRANSACTION && r->access == ACCESS_READ_ONLY)
		set(r, CLASS_TRANSACTION, "BEGIN READ ONLY starts a read-only transaction");
}

static void stmt_commit(struct cursor *c, struct classify_result *r, bool rollback)
{
	adv(c);
	if (cur_kw(c) == KW_PREPARED) {
		adv(c);
		set(r, CLASS_WRITE, rollback ? "ROLLBACK PREPARED finishes a prepared transaction"
					     : "COMMIT PREPARED finishes a prepared transaction");
		r->txn = TXN_COMMIT_PREPARED;
		if (c->cur.type == T_STRING)
			cur_value(c, r->object_name, sizeof(r->object_name));
		return;
	}
	if (!accept_kw(c, KW_WORK))
		accept_kw(c, KW_TRANSACTION);
	if (rollback && cur_kw(c) == KW_TO) {
		adv(c);
		accept_kw_unless_last(c, KW_SAVEPOINT);
		set(r, CLASS_TRANSACTION, "ROLLBACK TO SAVEPOINT");
		r->txn = TXN_ROLLBACK_TO;
		if (!take_name(c, r) || !at_end(c)) {
			set(r, CLASS_AMBIGUOUS, "malformed ROLLBACK TO");
			r->txn = TXN_NONE;
		}
		return;
	}
	set(r, CLASS_TRANSACTION, rollback ? "ROLLBACK ends the transaction"
					   : "COMMIT ends the transaction");
	r->txn = rollback ? TXN_ROLLBACK : TXN_COMMIT;
	txn_chain(c, r);
}

static void stmt_savepoint(struct cursor *c, struct classify_result *r, bool release)
{
	adv(c);
	if (release)
		accept_kw_unless_last(c, KW_SAVEPOINT);
	set(r, CLASS_TRANSACTION, release ? "RELEASE SAVEPOINT" : "SAVEPOINT");
	r->txn = release ? TXN_RELEASE : TXN_SAVEPOINT;
	if (!take_name(c, r) || !at_end(c)) {
		set(r, CLASS_AMBIGUOUS, "malformed savepoint statement");
		r->txn = TXN_NONE;
	}
}

/*
 * SET/RESET/SHOW of pgsteer.name: the cursor is at the first word of the
 * parameter name.  Returns false if it is not pgsteer's.
 */
static bool control_name(struct cursor *c, struct classify_result *r)
{
	char first[CLASSIFY_NAME_LEN];
	size_t i;

	if (!tok_ident(&c->cur, first, sizeof(first)))
		return false;
	for (i = 0; first[i]; i++)
		first[i] = (char)lower((unsigned char)first[i]);
	if (strcmp(first, "pgsteer") != 0)
		return false;
	if (peek(c)->type != T_DOT)
		return false;
	adv(c);
	adv(c);
	r->cls = CLASS_CONTROL;
	if (c->cur.type == T_OP && c->cur.len == 1 && c->cur.p[0] == '*') {
		strcpy(r->control_name, "*");
	} else if (tok_ident(&c->cur, r->control_name, sizeof(r->control_name))) {
		for (i = 0; r->control_name[i]; i++)
			r->control_name[i] = (char)lower((unsigned char)r->control_name[i]);
	} else {
		set(r, CLASS_CONTROL, "malformed pgsteer parameter name");
		return true;
	}
	adv(c);
	return true;
}

/* SET pgsteer.x {=|TO} value[, value...]: the cursor is after the name. */
static void control_set(struct cursor *c, struct classify_result *r)
{
	size_t o = 0;
	bool first = true;

	if (strcmp(r->control_name, "*") == 0)
		goto bad;
	if (!(c->cur.type == T_OP && c->cur.len == 1 && c->cur.p[0] == '=') && !accept_kw(c, KW_TO)) {
		if (at_end(c))
			goto bad;
		if (c->cur.type == T_OP && c->cur.len == 1 && c->cur.p[0] == '=')
			adv(c);
		else
			goto bad;
	} else if (c->cur.type == T_OP) {
		adv(c);
	}
	if (cur_kw(c) == KW_DEFAULT) {
		adv(c);
		if (!at_end(c))
			goto bad;
		r->control = CONTROL_RESET;
		set3(r, CLASS_CONTROL, "SET pgsteer.", r->control_name, " TO DEFAULT resets it");
		return;
	}
	while (!at_end(c)) {
		char v[CLASSIFY_VALUE_LEN];
		size_t n;
		bool neg = false;

		if (!first) {
			if (c->cur.type != T_COMMA)
				goto bad;
			adv(c);
			if (o + 2 >= sizeof(r->control_value))
				goto toolong;
			r->control_value[o++] = ',';
			r->control_value[o++] = ' ';
		}
		if (c->cur.type == T_OP && c->cur.len == 1 && (c->cur.p[0] == '-' || c->cur.p[0] == '+')) {
			neg = c->cur.p[0] == '-';
			adv(c);
			if (c->cur.type != T_NUMBER)
				goto bad;
		}
		if (c->cur.type != T_STRING && c->cur.type != T_IDENT && c->cur.type != T_QIDENT &&
		    c->cur.type != T_NUMBER)
			goto bad;
		if (!cur_value(c, v, sizeof(v)))
			goto toolong;
		n = strlen(v);
		if (o + n + (neg ? 1 : 0) + 1 > sizeof(r->control_value))
			goto toolong;
		if (neg)
			r->control_value[o++] = '-';
		memcpy(r->control_value + o, v, n);
		o += n;
		r->control_value[o] = '\0';
		first = false;
		adv(c);
	}
	if (first)
		goto bad;
	r->control = CONTROL_SET;
	set3(r, CLASS_CONTROL, "SET pgsteer.", r->control_name, " is a pgsteer control");
	return;
toolong:
	r->control = CONTROL_NONE;
	r->control_value[0] = '\0';
	set(r, CLASS_CONTROL, "pgsteer control value too long");
	return;
bad:
	r->control = CONTROL_NONE;
	r->control_value[0] = '\0';
	set(r, CLASS_CONTROL, "malformed SET pgsteer.* statement");
}

static void stmt_set(struct cursor *c, struct classify_result *r)
{
	adv(c);
	if (cur_kw(c) == KW_SESSION || cur_kw(c) == KW_LOCAL) {
		struct token *n = peek(c);
		if (n->type == T_IDENT || n->type == T_QIDENT)
			adv(c);
	}
	if (control_name(c, r)) {
		if (r->reason[0] == '\0')
			control_set(c, r);
		return;
	}
	set(r, CLASS_SESSION, "SET changes session state");
	r->session_op = SESSION_OP_SET;
	r->changes_session = true;
}

static void stmt_reset(struct cursor *c, struct classify_result *r)
{
	adv(c);
	if (control_name(c, r)) {
		if (r->reason[0])
			return;
		if (!at_end(c)) {
			set(r, CLASS_CONTROL, "malformed RESET pgsteer.* statement");
			return;
		}
		r->control = CONTROL_RESET;
		set3(r, CLASS_CONTROL, "RESET pgsteer.", r->control_name, " is a pgsteer control");
		return;
	}
	set(r, CLASS_SESSION, "RESET changes session state");
	r->session_op = SESSION_OP_RESET;
	r->changes_session = true;
}

static void stmt_show(struct cursor *c, struct classify_result *r)
{
	adv(c);
	if (control_name(c, r)) {
		if (r->reason[0])
			return;
		if (!at_end(c)) {
			set(r, CLASS_CONTROL, "malformed SHOW pgsteer.* statement");
			return;
		}
		r->control = CONTROL_SHOW;
		set3(r, CLASS_CONTROL, "SHOW pgsteer.", r->control_name, " is a pgsteer control");
		return;
	}
	set(r, CLASS_READ, "SHOW reads a setting");
}

/* EXPLAIN [ANALYZE] [VERBOSE] stmt | EXPLAIN (option [value], ...) stmt */
static void result_init(struct classify_result *r);

static void stmt_explain(struct cursor *c, struct classify_result *r)
{
	bool analyze = false;

	adv(c);
	if (c->cur.type == T_LPAREN) {
		adv(c);
		while (!at_end(c) && c->cur.type != T_RPAREN) {
			enum kw k = cur_kw(c);
			if (k == KW_ANALYZE || k == KW_ANALYSE) {
				struct token *n = peek(c);
				enum kw nk = tok_kw(n);
				if (n->type == T_NUMBER || n->type == T_STRING)
					c->value_read = true;	/* ANALYZE 0, ANALYZE 'off' */
				analyze = !(nk == KW_FALSE || nk == KW_OFF ||
					    (n->type == T_NUMBER && n->len == 1 && n->p[0] == '0') ||
					    (n->type == T_STRING && n->len == 5 && strncmp(n->p, "'off'", 5) == 0));
			}
			adv(c);
		}
		if (c->cur.type != T_RPAREN) {
			set(r, CLASS_AMBIGUOUS, "malformed EXPLAIN options");
			return;
		}
		adv(c);
	} else {
		for (;;) {
			enum kw k = cur_kw(c);
			if (k == KW_ANALYZE || k == KW_ANALYSE)
				analyze = true;
			else if (k != KW_VERBOSE)
				break;
			adv(c);
		}
	}
	if (!analyze) {
		if (c->k && c->k->n_unlogged) {
			/* not run, but planned: the plan opens an unlogged table too */
			struct classify_result inner;

			result_init(&inner);
			classify_statement(c, &inner);
			r->unlogged = inner.unlogged;
		}
		set(r, CLASS_READ, "EXPLAIN without ANALYZE does not run the statement");
		return;
	}
	classify_statement(c, r);
	switch (r->cls) {
	case CLASS_READ: case CLASS_AMBIGUOUS: case CLASS_WRITE: {
		char tmp[CLASSIFY_REASON_LEN];
		memcpy(tmp, r->reason, sizeof(tmp));
		set3(r, r->cls, "EXPLAIN ANALYZE runs it: ", tmp, NULL);
		break;
	}
	default:
		set(r, CLASS_AMBIGUOUS, "EXPLAIN ANALYZE of a non-query statement");
		r->txn = TXN_NONE;
		r->control = CONTROL_NONE;
		r->session_op = SESSION_OP_NONE;
		break;
	}
}

/* COPY table [(cols)] FROM|TO ..., COPY (query) TO ... */
static void stmt_copy(struct cursor *c, struct classify_result *r)
{
	bool query = false;

	r->copy = true;
	adv(c);
	accept_kw(c, KW_BINARY);
	if (c->cur.type == T_LPAREN) {
		query = true;
		adv(c);
		set(r, CLASS_READ, "COPY (query) TO STDOUT reads");
		switch (cur_kw(c)) {
		case KW_INSERT: case KW_UPDATE: case KW_DELETE: case KW_MERGE:
			set(r, CLASS_WRITE, "COPY (INSERT/UPDATE/DELETE ... RETURNING) writes");
			break;
		default:
			break;
		}
		scan_query(c, r, true);
		if (c->cur.type != T_RPAREN) {
			if (!c->lx.err)
				set(r, CLASS_AMBIGUOUS, "malformed COPY (query)");
			return;
		}
		adv(c);
	} else {
		/* table name, possibly qualified, and an optional column list */
		if (c->cur.type == T_IDENT || c->cur.type == T_QIDENT)
			adv(c);
		while (c->cur.type == T_DOT) {
			adv(c);
			if (c->cur.type == T_IDENT || c->cur.type == T_QIDENT)
				adv(c);
		}
		if (c->cur.type == T_LPAREN) {
			while (!at_end(c) && c->cur.type != T_RPAREN)
				adv(c);
			if (c->cur.type == T_RPAREN)
				adv(c);
		}
	}
	if (cur_kw(c) == KW_FROM) {
		if (query)
			set(r, CLASS_AMBIGUOUS, "malformed COPY (query) FROM");
		else
			set(r, CLASS_WRITE, "COPY FROM writes");
		return;
	}
	if (cur_kw(c) != KW_TO) {
		set(r, CLASS_AMBIGUOUS, "malformed COPY");
		return;
	}
	adv(c);
	if (cur_kw(c) != KW_STDOUT) {
		set(r, CLASS_WRITE, "COPY TO a server file or program runs on the primary");
		return;
	}
	if (!query)
		set(r, CLASS_READ, "COPY TO STDOUT reads");
}

/* PREPARE name [(types)] AS statement   |   PREPARE TRANSACTION 'gid' */
static void stmt_prepare(struct cursor *c, struct classify_result *r)
{
	struct classify_result inner;
	char name[CLASSIFY_NAME_LEN];

	adv(c);
	if (cur_kw(c) == KW_TRANSACTION) {
		struct token *n = peek(c);
		if (n->type == T_STRING) {
			adv(c);
			cur_value(c, r->object_name, sizeof(r->object_name));
			set(r, CLASS_WRITE, "PREPARE TRANSACTION writes the transaction state");
			r->txn = TXN_PREPARE;
			return;
		}
	}
	if (!tok_ident(&c->cur, name, sizeof(name))) {
		set(r, CLASS_AMBIGUOUS, "malformed PREPARE");
		return;
	}
	adv(c);
	if (c->cur.type == T_LPAREN) {
		int d = 0;
		do {
			if (c->cur.type == T_LPAREN)
				d++;
			else if (c->cur.type == T_RPAREN)
				d--;
			adv(c);
		} while (d > 0 && !at_end(c));
	}
	if (!accept_kw(c, KW_AS)) {
		set(r, CLASS_AMBIGUOUS, "malformed PREPARE");
		return;
	}
	memset(&inner, 0, sizeof(inner));
	classify_statement(c, &inner);
	r->pins_session |= inner.pins_session;
	memcpy(r->object_name, name, sizeof(name));
	r->prepared_class = inner.cls;
	r->session_op = SESSION_OP_PREPARE;
	r->changes_session = true;
	set3(r, CLASS_SESSION, "PREPARE ", name, " (");
	reason_append(r, classify_class_name(inner.cls));
	reason_append(r, ": ");
	reason_append(r, inner.reason);
	reason_append(r, ")");
}

/* EXECUTE name [(args)]: the class of what was prepared, if the session knows it. */
static void stmt_execute(struct cursor *c, struct classify_result *r)
{
	enum classify_class cls;

	adv(c);
	if (!take_name(c, r)) {
		set(r, CLASS_AMBIGUOUS, "malformed EXECUTE");
		return;
	}
	r->session_op = SESSION_OP_EXECUTE;
	c->value_read = true;	/* the session's statements decide */
	if (!(c->ctx && c->ctx->prepared_lookup &&
	      c->ctx->prepared_lookup(c->ctx->arg, r->object_name, &cls)))
		set3(r, CLASS_AMBIGUOUS, "EXECUTE of unknown prepared statement ", r->object_name, NULL);
	else if (rank(cls) < 0)
		set3(r, CLASS_AMBIGUOUS, "EXECUTE ", r->object_name, ": prepared statement is not a query");
	else
		set3(r, cls, "EXECUTE ", r->object_name,
		     cls == CLASS_WRITE ? ": prepared statement writes"
		     : cls == CLASS_AMBIGUOUS ? ": prepared statement is ambiguous"
		     : ": prepared statement reads");
	scan_query(c, r, false);	/* arguments may call functions */
}

static void stmt_deallocate(struct cursor *c, struct classify_result *r)
{
	adv(c);
	accept_kw_unless_last(c, KW_PREPARE);
	set(r, CLASS_SESSION, "DEALLOCATE changes session state");
	r->changes_session = true;
	if (accept_kw(c, KW_ALL)) {
		r->session_op = SESSION_OP_DEALLOCATE_ALL;
		return;
	}
	r->session_op = SESSION_OP_DEALLOCATE;
	if (!take_name(c, r))
		set(r, CLASS_AMBIGUOUS, "malformed DEALLOCATE");
}

/* DECLARE name [BINARY] [ASENSITIVE|INSENSITIVE] [[NO] SCROLL] CURSOR [WITH[OUT] HOLD] FOR query */
static void stmt_declare(struct cursor *c, struct classify_result *r)
{
	bool hold = false;
	char name[CLASSIFY_NAME_LEN];
	char tmp[CLASSIFY_REASON_LEN];

	adv(c);
	if (!tok_ident(&c->cur, name, sizeof(name))) {
		set(r, CLASS_AMBIGUOUS, "malformed DECLARE");
		return;
	}
	adv(c);
	while (!at_end(c) && cur_kw(c) != KW_FOR) {
		enum kw k = cur_kw(c);
		if (k == KW_WITH) {
			adv(c);
			if (cur_kw(c) == KW_HOLD)
				hold = true;
		} else if (k != KW_BINARY && k != KW_ASENSITIVE && k != KW_INSENSITIVE && k != KW_NO &&
			   k != KW_SCROLL && k != KW_CURSOR && k != KW_WITHOUT && k != KW_HOLD) {
			set(r, CLASS_AMBIGUOUS, "malformed DECLARE");
			return;
		}
		adv(c);
	}
	if (!accept_kw(c, KW_FOR)) {
		set(r, CLASS_AMBIGUOUS, "malformed DECLARE");
		return;
	}
	classify_statement(c, r);
	if (rank(r->cls) < 0) {
		set(r, CLASS_AMBIGUOUS, "DECLARE CURSOR for a non-query");
		return;
	}
	memcpy(r->object_name, name, sizeof(name));
	r->session_op = SESSION_OP_DECLARE;
	if (hold)
		r->pins_session = true;
	memcpy(tmp, r->reason, sizeof(tmp));
	set3(r, r->cls, hold ? "DECLARE ... WITH HOLD (pins the session): " : "DECLARE CURSOR: ", tmp, NULL);
}

/* CREATE ...: DDL; TEMP objects pin the session; BEGIN ATOMIC bodies hold ";". */
static void stmt_create(struct cursor *c, struct classify_result *r)
{
	bool temp = false, routine = false;
	char obj[24];
	int block = 0;

	adv(c);
	for (;;) {
		enum kw k = cur_kw(c);
		if (k == KW_OR) {
			adv(c);
			accept_kw(c, KW_REPLACE);
		} else if (k == KW_TEMP || k == KW_TEMPORARY) {
			temp = true;
			adv(c);
		} else if (k == KW_GLOBAL || k == KW_LOCAL || k == KW_UNLOGGED || k == KW_RECURSIVE) {
			adv(c);
		} else {
			break;
		}
	}
	tok_upper(&c->cur, obj, sizeof(obj));
	routine = cur_kw(c) == KW_FUNCTION || cur_kw(c) == KW_PROCEDURE;
	if (temp) {
		r->pins_session = true;
		set3(r, CLASS_WRITE, "CREATE TEMP ", obj, " writes and pins the session");
	} else if (obj[0]) {
		set3(r, CLASS_WRITE, "CREATE ", obj, " is DDL");
	} else {
		set(r, CLASS_WRITE, "CREATE is DDL");
	}
	if (!routine) {
		skip_to_end(c);
		return;
	}
	/* SQL-standard body: BEGIN ATOMIC ... ; ... END (CASE ... END nests) */
	for (;;) {
		if (c->cur.type == T_SEMI && block > 0) {
			adv(c);
			continue;
		}
		if (at_end(c))
			return;
		switch (cur_kw(c)) {
		case KW_BEGIN: {
			struct token *n = peek(c);
			if (tok_kw(n) == KW_ATOMIC)
				block++;
			break;
		}
		case KW_CASE:
			if (block > 0)
				block++;
			break;
		case KW_END:
			if (block > 0)
				block--;
			break;
		default:
			break;
		}
		adv(c);
	}
}

/* Statements that are writes (or must run on the primary) by their first keyword. */
struct write_stmt {
	enum kw kw;
	const char *reason;
};

static const struct write_stmt write_stmts[] = {
	{KW_INSERT, "INSERT writes"},
	{KW_UPDATE, "UPDATE writes"},
	{KW_DELETE, "DELETE writes"},
	{KW_MERGE, "MERGE writes"},
	{KW_TRUNCATE, "TRUNCATE writes"},
	{KW_ALTER, "ALTER is DDL"},
	{KW_DROP, "DROP is DDL"},
	{KW_COMMENT, "COMMENT ON is DDL"},
	{KW_GRANT, "GRANT changes privileges"},
	{KW_REVOKE, "REVOKE changes privileges"},
	{KW_SECURITY, "SECURITY LABEL is DDL"},
	{KW_REASSIGN, "REASSIGN OWNED is DDL"},
	{KW_IMPORT, "IMPORT FOREIGN SCHEMA is DDL"},
	{KW_VACUUM, "VACUUM runs on the primary"},
	{KW_ANALYZE, "ANALYZE writes statistics"},
	{KW_ANALYSE, "ANALYZE writes statistics"},
	{KW_CLUSTER, "CLUSTER rewrites a table"},
	{KW_REINDEX, "REINDEX rebuilds indexes"},
	{KW_REFRESH, "REFRESH MATERIALIZED VIEW writes"},
	{KW_LOCK, "LOCK takes a table lock"},
	{KW_CALL, "CALL runs a procedure"},
	{KW_NOTIFY, "NOTIFY must run on the primary"},
	{KW_UNLISTEN, "UNLISTEN must run on the primary"},
	{KW_CHECKPOINT, "CHECKPOINT runs on the primary"},
};

/* Classify one statement starting at the cursor; leaves the cursor at its end. */
static void classify_statement(struct cursor *c, struct classify_result *r)
{
	enum kw k;
	size_t i;

	if (++c->depth > 8) {
		set(r, CLASS_AMBIGUOUS, "statement nested too deeply");
		return;
	}
	if (c->cur.type == T_LPAREN) {
		stmt_query(c, r, "query");
		return;
	}
	k = cur_kw(c);
	switch (k) {
	case KW_SELECT: stmt_query(c, r, "SELECT"); return;
	case KW_WITH: stmt_query(c, r, "WITH query"); return;
	case KW_VALUES: stmt_query(c, r, "VALUES"); return;
	case KW_TABLE: stmt_query(c, r, "TABLE"); return;
	case KW_SHOW: stmt_show(c, r); return;
	case KW_EXPLAIN: stmt_explain(c, r); return;
	case KW_COPY: stmt_copy(c, r); return;
	case KW_BEGIN: stmt_begin(c, r, false); return;
	case KW_START: stmt_begin(c, r, true); return;
	case KW_COMMIT: case KW_END: stmt_commit(c, r, false); return;
	case KW_ROLLBACK: case KW_ABORT: stmt_commit(c, r, true); return;
	case KW_SAVEPOINT: stmt_savepoint(c, r, false); return;
	case KW_RELEASE: stmt_savepoint(c, r, true); return;
	case KW_SET: stmt_set(c, r); return;
	case KW_RESET: stmt_reset(c, r); return;
	case KW_PREPARE: stmt_prepare(c, r); return;
	case KW_EXECUTE: stmt_execute(c, r); return;
	case KW_DEALLOCATE: stmt_deallocate(c, r); return;
	case KW_DECLARE: stmt_declare(c, r); return;
	case KW_CREATE:
		stmt_create(c, r);
		r->ddl = !r->pins_session;	/* a temporary object is the session's own */
		return;
	case KW_DISCARD:
		set(r, CLASS_SESSION, "DISCARD changes session state");
		r->session_op = SESSION_OP_DISCARD;
		r->changes_session = true;
		return;
	case KW_LOAD:
		set(r, CLASS_SESSION, "LOAD changes session state");
		r->session_op = SESSION_OP_LOAD;
		r->changes_session = true;
		return;
	case KW_LISTEN:
		set(r, CLASS_WRITE, "LISTEN must stay on the primary and pins the session");
		r->pins_session = true;
		return;
	case KW_DO:
		stmt_do(c, r);
		return;
	case KW_FETCH: case KW_MOVE: case KW_CLOSE:
		set(r, CLASS_AMBIGUOUS, "cursor statement: class of the cursor's query is unknown");
		return;
	default:
		break;
	}
	for (i = 0; i < ARRAY_SIZE(write_stmts); i++) {
		if (write_stmts[i].kw == k) {
			adv(c);
			stmt_write(c, r, write_stmts[i].reason);
			/* catalog changes other sessions must see (doc/routing.md) */
			r->ddl = k == KW_ALTER || k == KW_DROP || k == KW_IMPORT || k == KW_GRANT ||
				 k == KW_REVOKE || k == KW_COMMENT || k == KW_SECURITY || k == KW_REASSIGN;
			r->notifies = k == KW_NOTIFY;
			return;
		}
	}
	set(r, CLASS_AMBIGUOUS, "unrecognized statement");
}


struct merge_state {
	int content;		/* strongest read/ambiguous/write part (enum), -1: none */
	bool has_txn, has_session, has_control;
	char content_reason[CLASSIFY_REASON_LEN];
	char txn_reason[CLASSIFY_REASON_LEN];
	char session_reason[CLASSIFY_REASON_LEN];
};

/* Fold part P into the accumulated facts of a multi-statement string. */
static void merge_part(struct merge_state *m, struct classify_result *out,
		       const struct classify_result *p)
{
	out->pins_session |= p->pins_session;
	out->ddl |= p->ddl;
	out->notifies |= p->notifies;
	out->node_local |= p->node_local;
	out->unlogged |= p->unlogged;
	out->changes_session |= p->changes_session;
	if (p->txn != TXN_NONE && out->txn == TXN_NONE) {
		out->txn = p->txn;
		out->access = p->access;
		out->isolation = p->isolation;
		out->deferrable = p->deferrable;
		out->txn_and_chain = p->txn_and_chain;
	}
	if (p->session_op != SESSION_OP_NONE && out->session_op == SESSION_OP_NONE) {
		out->session_op = p->session_op;
		out->prepared_class = p->prepared_class;
	}
	if (p->object_name[0] && !out->object_name[0])
		memcpy(out->object_name, p->object_name, sizeof(out->object_name));
	switch (p->cls) {
	case CLASS_TRANSACTION:
		if (!m->has_txn)
			memcpy(m->txn_reason, p->reason, sizeof(m->txn_reason));
		m->has_txn = true;
		break;
	case CLASS_SESSION:
		if (!m->has_session)
			memcpy(m->session_reason, p->reason, sizeof(m->session_reason));
		m->has_session = true;
		break;
	case CLASS_CONTROL:
		m->has_control = true;
		break;
	default:
		if (m->content < 0 || rank(p->cls) > rank((enum classify_class)m->content)) {
			m->content = (int)p->cls;
			memcpy(m->content_reason, p->reason, sizeof(m->content_reason));
		}
		break;
	}
}

/*
 * Class of a multi-statement string: a pgsteer control cannot share a
 * string; write or ambiguous content wins; else transaction control (the
 * router opens the transaction where BEGIN says, and read content runs
 * there); else session; else read.
 */
static void merge_finish(const struct merge_state *m, struct classify_result *out)
{
	if (m->has_control) {
		set(out, CLASS_CONTROL, "pgsteer controls cannot share a query string with other statements");
		out->control = CONTROL_NONE;
	} else if (m->content >= 0 && rank((enum classify_class)m->content) >= 1) {
		set(out, (enum classify_class)m->content, m->content_reason);
	} else if (m->has_txn) {
		set(out, CLASS_TRANSACTION, m->txn_reason);
	} else if (m->has_session) {
		set(out, CLASS_SESSION, m->session_reason);
	} else {
		set(out, CLASS_READ, m->content_reason);
	}
}

/* ---- hints ------------------------------------------------------------ */

/* Body of a comment (without delimiters): "pgsteer: primary|replica"? */
static enum classify_hint parse_hint(const char *s, const char *end)
{
	static const char tag[] = "pgsteer";
	size_t i;
	enum classify_hint h;

	while (s < end && is_space((unsigned char)*s))
		s++;
	for (i = 0; i < sizeof(tag) - 1; i++, s++)
		if (s >= end || lower((unsigned char)*s) != tag[i])
			return HINT_NONE;
	while (s < end && is_space((unsigned char)*s))
		s++;
	if (s >= end || *s != ':')
		return HINT_NONE;
	s++;
	while (s < end && is_space((unsigned char)*s))
		s++;
	if (end - s >= 7 && strncasecmp(s, "primary", 7) == 0)
		h = HINT_PRIMARY;
	else if (end - s >= 7 && strncasecmp(s, "replica", 7) == 0)
		h = HINT_REPLICA;
	else
		return HINT_NONE;
	s += 7;
	while (s < end && is_space((unsigned char)*s))
		s++;
	return s == end ? h : HINT_NONE;
}

/* The hint of the first comment before the first token, if any. */
static enum classify_hint leading_hint(const char *s, const char *end)
{
	while (s < end && is_space((unsigned char)*s))
		s++;
	if (end - s >= 2 && s[0] == '/' && s[1] == '*') {
		const char *e = skip_block_comment(s, end);
		return e ? parse_hint(s + 2, e - 2) : HINT_NONE;
	}
	if (end - s >= 2 && s[0] == '-' && s[1] == '-') {
		const char *e = memchr(s, '\n', (size_t)(end - s));
		return parse_hint(s + 2, e ? e : end);
	}
	return HINT_NONE;
}

/* ---- public functions ------------------------------------------------- */

/* Clear a result without touching the unused tails of its buffers (hot path). */
static void result_init(struct classify_result *r)
{
	r->cls = CLASS_READ;
	r->reason[0] = '\0';
	r->hint = HINT_NONE;
	r->txn = TXN_NONE;
	r->access = ACCESS_DEFAULT;
	r->txn_and_chain = false;
	r->control = CONTROL_NONE;
	r->control_name[0] = '\0';
	r->control_value[0] = '\0';
	r->multi_statement = false;
	r->pins_session = false;
	r->ddl = false;
	r->notifies = false;
	r->node_local = false;
	r->unlogged = false;
	r->copy = false;
	r->isolation = ISOLATION_DEFAULT;
	r->deferrable = false;
	r->changes_session = false;
	r->session_op = SESSION_OP_NONE;
	r->object_name[0] = '\0';
	r->prepared_class = CLASS_READ;
	r->statement_count = 0;
}

void classify_sql(const char *sql, size_t len, const struct classify_knowledge *k,
		  struct classify_result *out)
{
	classify_sql_ctx(sql, len, k, NULL, out);
}

/*
 * Classify SQL without the pattern lists.  Returns whether they apply to
 * the result (not to an empty or unlexable text, nor to a transaction,
 * session or control statement); *VALUE_READ tells whether a literal's
 * value or CTX decided anything, i.e. whether another text of the same
 * shape (shape_key()) could classify differently.
 */
static bool classify_shape(const char *sql, size_t len, const struct classify_knowledge *k,
			   const struct classify_context *ctx, struct classify_result *out,
			   bool *value_read)
{
	struct cursor c;
	struct classify_result first, part;
	struct merge_state m;
	int n = 0;

	result_init(out);
	memset(&c, 0, sizeof(c));
	c.lx.s = sql;
	c.lx.end = sql + len;
	c.k = k;
	c.ctx = ctx;
	c.lx.scs_off = ctx && ctx->standard_conforming_strings_off;
	out->hint = leading_hint(sql, sql + len);
	adv(&c);

	for (;;) {
		struct classify_result *p;

		while (c.cur.type == T_SEMI)
			adv(&c);
		if (c.cur.type == T_EOF || c.cur.type == T_ERROR)
			break;
		if (n == 0) {
			p = out;
		} else {
			if (n == 1) {
				first = *out;
				memset(out, 0, sizeof(*out));
				out->hint = first.hint;
				memset(&m, 0, sizeof(m));
				m.content = -1;
				merge_part(&m, out, &first);
			}
			memset(&part, 0, sizeof(part));
			p = &part;
		}
		c.depth = 0;
		c.pdepth = 0;
		c.prev.type = T_EOF;
		c.prev2.type = T_EOF;
		classify_statement(&c, p);
		skip_to_end(&c);
		if (c.pdepth != 0 && !c.lx.err)
			c.lx.err = "unbalanced parentheses";
		if (n > 0)
			merge_part(&m, out, p);
		n++;
		if (c.lx.err)
			break;
	}
	if (n > 1)
		merge_finish(&m, out);
	out->statement_count = n;
	out->multi_statement = n > 1;
	if (c.lx.err) {
		enum classify_hint h = out->hint;
		memset(out, 0, sizeof(*out));
		out->hint = h;
		out->statement_count = n;
		out->multi_statement = n > 1;
		set3(out, CLASS_AMBIGUOUS, "cannot lex: ", c.lx.err, NULL);
		*value_read = c.value_read;
		return false;
	}
	*value_read = c.value_read;
	if (n == 0) {
		set(out, CLASS_READ, "empty query");
		return false;
	}
	return rank(out->cls) >= 0;
}

int classify_split(const char *sql, size_t len, struct classify_span *spans, int max)
{
	struct cursor c;
	struct classify_result part;
	int n = 0;

	memset(&c, 0, sizeof(c));
	c.lx.s = sql;
	c.lx.end = sql + len;
	adv(&c);
	for (;;) {
		size_t start;

		while (c.cur.type == T_SEMI)
			adv(&c);
		if (c.cur.type == T_EOF || c.cur.type == T_ERROR)
			break;
		start = (size_t)(c.cur.p - sql);
		c.depth = 0;
		c.pdepth = 0;
		c.prev.type = T_EOF;
		c.prev2.type = T_EOF;
		result_init(&part);
		classify_statement(&c, &part);	/* as classify_shape() walks it: BEGIN ATOMIC bodies */
		skip_to_end(&c);
		if (c.lx.err || c.pdepth != 0)
			return -1;
		if (n < max) {
			spans[n].start = start;
			spans[n].end = c.cur.type == T_SEMI ? (size_t)(c.cur.p - sql) : len;
		}
		n++;
	}
	return c.lx.err ? -1 : n;
}

/* primary_patterns and replica_patterns, matched against the whole text. */
static void apply_patterns(const struct classify_knowledge *k, const char *sql, size_t len,
			   struct classify_result *out)
{
	if (k && (k->primary.n || k->replica.n)) {
		int pi = pattern_match(k, &k->primary, sql, len);
		if (pi >= 0) {
			set3(out, CLASS_WRITE, "matches primary_patterns '", k->primary.src[pi], "'");
		} else if (out->cls != CLASS_WRITE) {
			pi = pattern_match(k, &k->replica, sql, len);
			if (pi >= 0)
				set3(out, CLASS_READ, "matches replica_patterns '", k->replica.src[pi], "'");
		}
	}
}

void classify_sql_ctx(const char *sql, size_t len, const struct classify_knowledge *k,
		      const struct classify_context *ctx, struct classify_result *out)
{
	bool value_read;

	if (!sql) {
		sql = "";
		len = 0;
	}
	if (classify_shape(sql, len, k, ctx, out, &value_read))
		apply_patterns(k, sql, len, out);
}

/*
 * The classification cache: direct-mapped, per thread.  Two kinds of key
 * share its slots and never match each other:
 *
 * - a Parse's exact text (classify_sql_cached()): the text comes again
 *   with every execution, its values travel in Bind;
 * - a simple Query's shape (classify_query_cached()): the text with its
 *   literals' values masked, since the values change with every
 *   execution.  A result is kept for a shape only if no literal's value
 *   decided anything (SET pgsteer.x = 'on', EXPLAIN (ANALYZE 0) and the
 *   like are classified every time), and without the pattern lists,
 *   which match the whole text and are applied to each hit.
 *
 * Both are keyed on the knowledge's generation too, so a reload or a
 * catalog refresh never answers from before it.  classify_sql() is a
 * function of the text and the knowledge only (no per-session context),
 * so a hit gives exactly what classifying again would.
 */
#define CACHE_SLOTS 64			/* a power of two */
#define CACHE_TEXT_MAX 256

struct cache_slot {
	uint64_t hash;
	uint64_t gen;			/* 0: empty (generations start at 1) */
	uint16_t len;
	bool shape;			/* text is a shape_key(), res is before the patterns */
	bool patterns_apply;		/* shape: apply_patterns() to a hit */
	char text[CACHE_TEXT_MAX];
	struct classify_result res;
};

static _Thread_local struct cache_slot cache[CACHE_SLOTS];
static _Thread_local struct classify_cache_stats cache_stats;

/* A multiply-xorshift hash over 8-byte words (statements are short). */
static uint64_t text_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
	return h ^ (h >> 29);
}

/* The slot for KEY (*HASH: its hash); true if it holds KEY of kind SHAPE under generation GEN. */
static bool cache_find(const char *key, size_t len, bool shape, uint64_t gen,
		       struct cache_slot **slotp, uint64_t *hash)
{
	uint64_t h = text_hash(key, len);
	struct cache_slot *slot = &cache[h & (CACHE_SLOTS - 1)];

	*slotp = slot;
	*hash = h;
	if (slot->gen == gen && slot->hash == h && slot->shape == shape && slot->len == len &&
	    memcmp(slot->text, key, len) == 0) {
		cache_stats.hits++;
		return true;
	}
	cache_stats.misses++;
	return false;
}

static void cache_store(struct cache_slot *slot, uint64_t hash, const char *key, size_t len,
			bool shape, uint64_t gen, const struct classify_result *res,
			bool patterns_apply)
{
	slot->hash = hash;
	slot->gen = gen;
	slot->len = (uint16_t)len;
	slot->shape = shape;
	slot->patterns_apply = patterns_apply;
	memcpy(slot->text, key, len);
	slot->res = *res;
}

void classify_sql_cached(const char *sql, size_t len, const struct classify_knowledge *k,
			 struct classify_result *out)
{
	/* built-in knowledge only (K NULL) has a generation of its own */
	uint64_t gen = k ? k->gen : UINT64_MAX, h;
	struct cache_slot *slot;

	if (!sql || len > CACHE_TEXT_MAX) {
		classify_sql(sql, len, k, out);
		return;
	}
	if (cache_find(sql, len, false, gen, &slot, &h)) {
		*out = slot->res;
		return;
	}
	classify_sql(sql, len, k, out);
	cache_store(slot, h, sql, len, false, gen, out, false);
}

/*
 * Bytes shape_key() must look at: quotes, digits, and the starts of
 * comments, dollar quotes and escapes.  Everything else is copied.
 */
static const bool shape_special[256] = {
	['\''] = true, ['"'] = true, ['$'] = true, ['-'] = true, ['/'] = true, ['\\'] = true,
	['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true, ['4'] = true,
	['5'] = true, ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true,
};

/*
 * The first byte at or after S[I] that shape_key() must look at (LEN if
 * none): sixteen bytes at a time where SSE2 is there (x86-64 always),
 * since a statement is mostly ordinary bytes.
 */
static size_t shape_next_special(const char *s, size_t i, size_t len)
{
#ifdef __SSE2__
	const __m128i q1 = _mm_set1_epi8('\''), q2 = _mm_set1_epi8('"'), dollar = _mm_set1_epi8('$');
	const __m128i minus = _mm_set1_epi8('-'), slash = _mm_set1_epi8('/');
	const __m128i bslash = _mm_set1_epi8('\\'), zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);

	while (i + 16 <= len) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i d = _mm_sub_epi8(v, zero);	/* a digit: 0..9 unsigned */
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q1), _mm_cmpeq_epi8(v, q2)),
					 _mm_or_si128(_mm_cmpeq_epi8(v, dollar), _mm_cmpeq_epi8(v, minus)));
		int mask;

		m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(v, slash), _mm_cmpeq_epi8(v, bslash)));
		m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(d, nine), d));
		mask = _mm_movemask_epi8(m);
		if (mask)
			return i + (size_t)__builtin_ctz((unsigned)mask);
		i += 16;
	}
#endif
	while (i < len && !shape_special[(unsigned char)s[i]])
		i++;
	return i;
}

/*
 * Where the quote opened at S[I] closes ('' or "" inside it is one
 * character), or LEN if it does not; a backslash in a string literal
 * counts as not closing (its meaning depends on the session).
 */
static size_t shape_quote_end(const char *s, size_t i, size_t len)
{
	char q = s[i];

	for (i++; i < len; i++) {
		if (q == '\'' && s[i] == '\\')
			return len;
		if (s[i] == q) {
			if (i + 1 < len && s[i + 1] == q) {
				i++;
				continue;
			}
			return i;
		}
	}
	return len;
}

/*
 * The shape of SQL into KEY (at most KEYSZ bytes): the text with every
 * plain string literal's content dropped ('' stays) and every plain
 * decimal integer written 0.  Two texts of one shape lex to the same
 * tokens but for those literals' values.  False (no shape) where masking
 * could change how the rest lexes, or the key does not fit: comments,
 * dollar quotes, backslashes, prefixed strings (E'' B'' X'' N'' U&''),
 * numbers of any other form, unterminated quotes.
 */
static bool shape_key(const char *s, size_t len, char *key, size_t keysz, size_t *keylen)
{
	size_t i = 0, o = 0, j;
	unsigned char prev = ' ';	/* the input byte before s[i] */

	/* a key is never longer than its text: '' and 0 stand for at least as many bytes */
	if (len > keysz)
		return false;
	while (i < len) {
		unsigned char ch = (unsigned char)s[i];

		if (!shape_special[ch]) {	/* a run of ordinary bytes: one copy */
			j = shape_next_special(s, i + 1, len);
			memcpy(key + o, s + i, j - i);
			o += j - i;
			i = j;
			prev = (unsigned char)s[j - 1];
			continue;
		}
		switch (ch) {
		case '\'':
			if ((cclass[prev] & CC_IDCONT) || prev == '&')
				return false;	/* a prefixed string, or a literal glued to a name */
			j = shape_quote_end(s, i, len);
			if (j == len)
				return false;
			key[o++] = '\'';
			key[o++] = '\'';
			i = j + 1;
			prev = '\'';
			continue;
		case '"':		/* a quoted identifier: its name is part of the shape */
			j = shape_quote_end(s, i, len);
			if (j == len)
				return false;
			j++;
			memcpy(key + o, s + i, j - i);
			o += j - i;
			i = j;
			prev = '"';
			continue;
		case '$':		/* in a name (a$b) or a parameter ($1); else a dollar quote */
			if (!(cclass[prev] & CC_IDCONT) && !(i + 1 < len && is_digit((unsigned char)s[i + 1])))
				return false;
			break;
		case '-':
			if (i + 1 < len && s[i + 1] == '-')
				return false;
			break;
		case '/':
			if (i + 1 < len && s[i + 1] == '*')
				return false;
			break;
		case '\\':
			return false;
		default:		/* a digit */
			if (cclass[prev] & CC_IDCONT)
				break;	/* in a name (t1) or a parameter ($12) */
			if (prev == '.')
				return false;
			for (j = i; j < len && is_digit((unsigned char)s[j]); j++)
				;
			if (j < len && ((cclass[(unsigned char)s[j]] & CC_IDCONT) || s[j] == '.' ||
					s[j] == '\'' || s[j] == '"'))
				return false;	/* 1.5, 1e3, 0x1f, 1_000, 12abc */
			key[o++] = '0';
			i = j;
			prev = '0';
			continue;
		}
		key[o++] = (char)ch;
		prev = ch;
		i++;
	}
	*keylen = o;
	return true;
}

void classify_query_cached(const char *sql, size_t len, const struct classify_knowledge *k,
			   struct classify_result *out)
{
	uint64_t gen = k ? k->gen : UINT64_MAX, h;
	char key[CACHE_TEXT_MAX];
	size_t keylen;
	struct cache_slot *slot;
	bool value_read, patterns_apply;

	if (!sql || !shape_key(sql, len, key, sizeof(key), &keylen)) {
		classify_sql(sql, len, k, out);
		return;
	}
	if (cache_find(key, keylen, true, gen, &slot, &h)) {
		*out = slot->res;
		patterns_apply = slot->patterns_apply;
	} else {
		patterns_apply = classify_shape(sql, len, k, NULL, out, &value_read);
		if (!value_read)
			cache_store(slot, h, key, keylen, true, gen, out, patterns_apply);
	}
	if (patterns_apply)
		apply_patterns(k, sql, len, out);
}

const char *classify_word(const char **p, const char *end, char *out, size_t outlen)
{
	const char *s = *p, *start;
	size_t n = 0;

	for (;;) {
		while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f'))
			s++;
		if (end - s >= 2 && s[0] == '-' && s[1] == '-') {
			while (s < end && *s != '\n')
				s++;
		} else if (end - s >= 2 && s[0] == '/' && s[1] == '*') {
			const char *z = s + 2;
			while (end - z >= 2 && !(z[0] == '*' && z[1] == '/'))
				z++;
			s = end - z >= 2 ? z + 2 : end;
		} else {
			break;
		}
	}
	if (s >= end)
		return NULL;
	start = s;
	if (*s == '"') {
		for (s++; s < end; s++) {
			if (*s == '"') {
				if (s + 1 < end && s[1] == '"')
					s++;
				else
					break;
			}
			if (n + 1 < outlen)
				out[n++] = *s;
		}
		s = s < end ? s + 1 : end;
	} else if (*s == '=' || *s == ';' || *s == '(' || *s == ')' || *s == ',') {
		if (n + 1 < outlen)
			out[n++] = *s;
		s++;
	} else {
		for (; s < end && is_ident_cont((unsigned char)*s); s++)
			if (n + 1 < outlen)
				out[n++] = (char)lower((unsigned char)*s);
		if (n == 0)
			s++;	/* a byte of no word: skip it */
	}
	out[n] = '\0';
	*p = s;
	return start;
}

struct classify_cache_stats classify_cache_stats(void)
{
	return cache_stats;
}

enum classify_class classify_function(const struct classify_knowledge *k, const char *schema,
				      const char *name, bool *pins)
{
	char sch[CLASSIFY_NAME_LEN], nm[CLASSIFY_NAME_LEN];
	int pat = -1;

	snprintf(sch, sizeof(sch), "%s", schema ? schema : "");
	snprintf(nm, sizeof(nm), "%s", name ? name : "");
	if (pins)
		*pins = false;
	switch (function_verdict(k, sch, nm, &pat)) {
	case FNV_READ:
	case FNV_PATTERN_READ:
		return CLASS_READ;
	case FNV_PIN:
		if (pins)
			*pins = true;
		return CLASS_WRITE;
	case FNV_WRITE:
	case FNV_PATTERN_WRITE:
		return CLASS_WRITE;
	default:
		return CLASS_AMBIGUOUS;
	}
}

const char *classify_class_name(enum classify_class cls)
{
	switch (cls) {
	case CLASS_READ: return "read";
	case CLASS_AMBIGUOUS: return "ambiguous";
	case CLASS_WRITE: return "write";
	case CLASS_TRANSACTION: return "transaction";
	case CLASS_SESSION: return "session";
	case CLASS_CONTROL: return "control";
	}
	return "ambiguous";
}

struct classify_knowledge *classify_knowledge_new(void)
{
	struct classify_knowledge *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->md = pcre2_match_data_create(1, NULL);
	if (!k->md) {
		free(k);
		return NULL;
	}
	k->gen = ++knowledge_generation;
	return k;
}

static void patterns_free(struct pattern_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		pcre2_code_free(l->code[i]);
		free(l->src[i]);
	}
	free(l->code);
	free(l->src);
	memset(l, 0, sizeof(*l));
}

/* Compile a NULL-terminated list; JIT when available.  -1 with ERRBUF on failure. */
static int patterns_compile(struct pattern_list *l, char **pats, const char *what,
			    char *errbuf, size_t errlen)
{
	size_t n = 0, i;

	memset(l, 0, sizeof(*l));
	while (pats && pats[n])
		n++;
	if (n == 0)
		return 0;
	l->code = calloc(n, sizeof(*l->code));
	l->src = calloc(n, sizeof(*l->src));
	if (!l->code || !l->src)
		goto nomem;
	for (i = 0; i < n; i++) {
		int err;
		PCRE2_SIZE off;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)pats[i], PCRE2_ZERO_TERMINATED,
					       PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &err, &off, NULL);
		if (!re) {
			PCRE2_UCHAR msg[120];
			pcre2_get_error_message(err, msg, sizeof(msg));
			if (errbuf && errlen)
				snprintf(errbuf, errlen, "%s pattern '%s': %s at offset %zu", what,
					 pats[i], (const char *)msg, (size_t)off);
			patterns_free(l);
			return -1;
		}
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);	/* interpreter if no JIT */
		l->code[l->n] = re;
		l->src[l->n] = strdup(pats[i]);
		l->n++;
		if (!l->src[l->n - 1])
			goto nomem;
	}
	return 0;
nomem:
	patterns_free(l);
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s: out of memory", what);
	return -1;
}

int classify_knowledge_set_patterns(struct classify_knowledge *k,
				    char **read_functions, char **write_functions,
				    char **primary_patterns, char **replica_patterns,
				    char *errbuf, size_t errlen)
{
	struct pattern_list l[4];

	k->gen = ++knowledge_generation;	/* whatever follows, cached results are stale */
	memset(l, 0, sizeof(l));
	if (patterns_compile(&l[0], read_functions, "read_functions", errbuf, errlen) < 0 ||
	    patterns_compile(&l[1], write_functions, "write_functions", errbuf, errlen) < 0 ||
	    patterns_compile(&l[2], primary_patterns, "primary_patterns", errbuf, errlen) < 0 ||
	    patterns_compile(&l[3], replica_patterns, "replica_patterns", errbuf, errlen) < 0) {
		for (int i = 0; i < 4; i++)
			patterns_free(&l[i]);
		return -1;
	}
	patterns_free(&k->read_fn);
	patterns_free(&k->write_fn);
	patterns_free(&k->primary);
	patterns_free(&k->replica);
	k->read_fn = l[0];
	k->write_fn = l[1];
	k->primary = l[2];
	k->replica = l[3];
	return 0;
}

/* Strongest volatility: v > s > i. */
static char vol_max(char a, char b)
{
	if (a == 'v' || b == 'v')
		return 'v';
	if (a == 's' || b == 's')
		return 's';
	return a ? a : b;
}

int classify_knowledge_set_catalog(struct classify_knowledge *k,
				   const struct classify_catalog_row *rows, size_t nrows)
{
	size_t size = 16, keybytes = 0, i;
	struct cat_entry *tab;
	char *keys, *kp;

	k->gen = ++knowledge_generation;

	for (i = 0; i < nrows; i++)
		keybytes += 2 * strlen(rows[i].name) + strlen(rows[i].schema) + 5;
	while (size < 4 * nrows)
		size *= 2;
	tab = calloc(size, sizeof(*tab));
	keys = malloc(keybytes ? keybytes : 1);
	if (!tab || !keys) {
		free(tab);
		free(keys);
		return -1;
	}
	kp = keys;
	k->n_unlogged = 0;
	for (i = 0; i < nrows; i++) {
		struct cat_entry *e;
		size_t nl = strlen(rows[i].name), sl = strlen(rows[i].schema);
		char vol = rows[i].provolatile;

		if (vol == 'u') {
			/* an unlogged table: "\1name" and "\1schema.name", apart from functions */
			cat_key(tab, size, &kp, UNLOGGED_KEY, "", 0, rows[i].name, nl)->provolatile = 'u';
			cat_key(tab, size, &kp, UNLOGGED_KEY, rows[i].schema, sl, rows[i].name, nl)->provolatile = 'u';
			k->n_unlogged++;
			continue;
		}
		if (vol != 'i' && vol != 's')
			vol = 'v';
		/* "name": all schemas folded together (unqualified calls) */
		e = cat_key(tab, size, &kp, 0, "", 0, rows[i].name, nl);
		e->provolatile = vol_max(e->provolatile, vol);
		/* "schema.name" */
		e = cat_key(tab, size, &kp, 0, rows[i].schema, sl, rows[i].name, nl);
		e->provolatile = vol_max(e->provolatile, vol);
	}
	free(k->cat);
	free(k->cat_keys);
	k->cat = tab;
	k->cat_size = size;
	k->cat_keys = keys;
	return 0;
}

void classify_knowledge_free(struct classify_knowledge *k)
{
	if (!k)
		return;
	patterns_free(&k->read_fn);
	patterns_free(&k->write_fn);
	patterns_free(&k->primary);
	patterns_free(&k->replica);
	pcre2_match_data_free(k->md);
	free(k->cat);
	free(k->cat_keys);
	free(k);
}

int classify_selfcheck(void)
{
	size_t i, n;
	const uint16_t *hash;
	size_t hsize;
	const struct fn_entry *fns = builtin_functions(&n, &hash, &hsize);

	for (i = 0; i < ARRAY_SIZE(keywords); i++) {
		size_t len = strlen(keywords[i].name);
		if (len > KW_MAXLEN || i < kw_len_start[len] || i >= kw_len_start[len + 1])
			return -1;
		if (i > 0 && strlen(keywords[i - 1].name) == len &&
		    strcmp(keywords[i - 1].name, keywords[i].name) >= 0)
			return -1;
	}
	for (i = 1; i < n; i++)
		if (strcmp(fns[i - 1].name, fns[i].name) >= 0)
			return -2;
	for (i = 0; i < n; i++)
		if (builtin_lookup(fns[i].name) != fns[i].kind)
			return -3;
	(void)hash;
	(void)hsize;
	return 0;
}

/* Read all of FD; NULL on failure.  *LEN gets the size. */
static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (!buf || ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

int classify_cli(bool all, const struct classify_knowledge *k)
{
	struct classify_result r;
	size_t len = 0, start = 0, i;
	char *buf = read_all(stdin, &len);

	if (!buf) {
		fprintf(stderr, "pgsteer: cannot read stdin: %s\n", strerror(errno));
		return 1;
	}
	if (!all) {
		classify_sql(buf, len, k, &r);
		printf("%s\t%s\n", classify_class_name(r.cls), r.reason);
	} else {
		for (i = 0; i <= len; i++) {
			if (i < len && buf[i] != '\0')
				continue;
			if (i > start || i < len) {
				classify_sql(buf + start, i - start, k, &r);
				printf("%s\t%s\n", classify_class_name(r.cls), r.reason);
			}
			start = i + 1;
		}
	}
	free(buf);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- built-in function table ------------------------------------------- */

/*
 * Every function of PostgreSQL 15's pg_proc (from postgres.bki) plus common
 * extensions and SQL syntax that looks like a call.  'r': immutable or
 * stable, or volatile but harmless (random, clock_timestamp, pg_sleep,
 * size and status functions); 'w': writes or must run on the primary;
 * 'p': like 'w' and ties state to the session; 'v': other volatile
 * builtins (ambiguous).  Sorted by strcmp for binary search.
 *
 * The table and its hash are generated: tools/gen_builtins.py reads the
 * catalog and applies the hand decisions of tools/builtins-overrides.txt
 * (which volatile functions are harmless, which write, the syntax and
 * extension names); `make builtins` rewrites classify_builtins.inc and
 * `make check` fails when it is out of date.  Decide a kind there, not in
 * the generated file.
 */
static const struct fn_entry *builtin_functions(size_t *n, const uint16_t **hash, size_t *hsize)
{
#include "classify_builtins.inc"

	*n = ARRAY_SIZE(tab);
	*hash = tab_hash;
	*hsize = ARRAY_SIZE(tab_hash);
	return tab;
}
