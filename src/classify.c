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
		if (o + 1 >= bufsz)
			return false;
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

/* FNV-1a, 32 bits: the same function generated the built-in hash table. */
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

static char catalog_lookup(const struct classify_knowledge *k, const char *key)
{
	const struct cat_entry *e;

	if (!k || !k->cat)
		return 0;
	e = cat_slot(k->cat, k->cat_size, key);
	return e->key ? e->provolatile : 0;
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
	{KW_DO, "DO runs an anonymous code block"},
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
	case KW_CREATE: stmt_create(c, r); return;
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
			for (j = i + 1; j < len && !shape_special[(unsigned char)s[j]]; j++)
				;
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
		keybytes += 2 * strlen(rows[i].name) + strlen(rows[i].schema) + 3;
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
	for (i = 0; i < nrows; i++) {
		struct cat_entry *e;
		size_t nl = strlen(rows[i].name), sl = strlen(rows[i].schema);
		char vol = rows[i].provolatile;

		if (vol != 'i' && vol != 's')
			vol = 'v';
		/* "name": all schemas folded together (unqualified calls) */
		memcpy(kp, rows[i].name, nl + 1);
		e = cat_slot(tab, size, kp);
		if (!e->key) {
			e->key = kp;
			kp += nl + 1;
		}
		e->provolatile = vol_max(e->provolatile, vol);
		/* "schema.name" */
		memcpy(kp, rows[i].schema, sl);
		kp[sl] = '.';
		memcpy(kp + sl + 1, rows[i].name, nl + 1);
		e = cat_slot(tab, size, kp);
		if (!e->key) {
			e->key = kp;
			kp += sl + nl + 2;
		}
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
 */
static const struct fn_entry *builtin_functions(size_t *n, const uint16_t **hash, size_t *hsize)
{
	static const struct fn_entry tab[] = {
		{"RI_FKey_cascade_del", 'v'}, {"RI_FKey_cascade_upd", 'v'}, {"RI_FKey_check_ins", 'v'},
		{"RI_FKey_check_upd", 'v'}, {"RI_FKey_noaction_del", 'v'}, {"RI_FKey_noaction_upd", 'v'},
		{"RI_FKey_restrict_del", 'v'}, {"RI_FKey_restrict_upd", 'v'}, {"RI_FKey_setdefault_del", 'v'},
		{"RI_FKey_setdefault_upd", 'v'}, {"RI_FKey_setnull_del", 'v'}, {"RI_FKey_setnull_upd", 'v'},
		{"abbrev", 'r'}, {"abs", 'r'}, {"aclcontains", 'r'}, {"acldefault", 'r'}, {"aclexplode", 'r'},
		{"aclinsert", 'r'}, {"aclitemeq", 'r'}, {"aclitemin", 'r'}, {"aclitemout", 'r'},
		{"aclremove", 'r'}, {"acos", 'r'}, {"acosd", 'r'}, {"acosh", 'r'}, {"age", 'r'},
		{"akeys", 'r'}, {"amvalidate", 'r'}, {"any_in", 'r'}, {"any_out", 'r'}, {"anyarray_in", 'r'},
		{"anyarray_out", 'r'}, {"anyarray_recv", 'r'}, {"anyarray_send", 'r'},
		{"anycompatible_in", 'r'}, {"anycompatible_out", 'r'}, {"anycompatiblearray_in", 'r'},
		{"anycompatiblearray_out", 'r'}, {"anycompatiblearray_recv", 'r'},
		{"anycompatiblearray_send", 'r'}, {"anycompatiblemultirange_in", 'r'},
		{"anycompatiblemultirange_out", 'r'}, {"anycompatiblenonarray_in", 'r'},
		{"anycompatiblenonarray_out", 'r'}, {"anycompatiblerange_in", 'r'},
		{"anycompatiblerange_out", 'r'}, {"anyelement_in", 'r'}, {"anyelement_out", 'r'},
		{"anyenum_in", 'r'}, {"anyenum_out", 'r'}, {"anymultirange_in", 'r'},
		{"anymultirange_out", 'r'}, {"anynonarray_in", 'r'}, {"anynonarray_out", 'r'},
		{"anyrange_in", 'r'}, {"anyrange_out", 'r'}, {"anytextcat", 'r'}, {"area", 'r'},
		{"areajoinsel", 'r'}, {"areasel", 'r'}, {"armor", 'r'}, {"array_agg", 'r'},
		{"array_agg_array_finalfn", 'r'}, {"array_agg_array_transfn", 'r'}, {"array_agg_finalfn", 'r'},
		{"array_agg_transfn", 'r'}, {"array_append", 'r'}, {"array_cat", 'r'}, {"array_dims", 'r'},
		{"array_eq", 'r'}, {"array_fill", 'r'}, {"array_ge", 'r'}, {"array_gt", 'r'},
		{"array_in", 'r'}, {"array_larger", 'r'}, {"array_le", 'r'}, {"array_length", 'r'},
		{"array_lower", 'r'}, {"array_lt", 'r'}, {"array_ndims", 'r'}, {"array_ne", 'r'},
		{"array_out", 'r'}, {"array_position", 'r'}, {"array_positions", 'r'}, {"array_prepend", 'r'},
		{"array_recv", 'r'}, {"array_remove", 'r'}, {"array_replace", 'r'}, {"array_send", 'r'},
		{"array_smaller", 'r'}, {"array_subscript_handler", 'r'}, {"array_to_json", 'r'},
		{"array_to_string", 'r'}, {"array_to_tsvector", 'r'}, {"array_typanalyze", 'r'},
		{"array_unnest_support", 'r'}, {"array_upper", 'r'}, {"arraycontained", 'r'},
		{"arraycontains", 'r'}, {"arraycontjoinsel", 'r'}, {"arraycontsel", 'r'},
		{"arrayoverlap", 'r'}, {"ascii", 'r'}, {"asin", 'r'}, {"asind", 'r'}, {"asinh", 'r'},
		{"atan", 'r'}, {"atan2", 'r'}, {"atan2d", 'r'}, {"atand", 'r'}, {"atanh", 'r'}, {"avals", 'r'},
		{"avg", 'r'}, {"bernoulli", 'r'}, {"big5_to_euc_tw", 'r'}, {"big5_to_mic", 'r'},
		{"big5_to_utf8", 'r'}, {"binary_upgrade_create_empty_extension", 'w'},
		{"binary_upgrade_set_missing_value", 'w'}, {"binary_upgrade_set_next_array_pg_type_oid", 'w'},
		{"binary_upgrade_set_next_attribute_versions", 'w'},
		{"binary_upgrade_set_next_heap_pg_class_oid", 'w'},
		{"binary_upgrade_set_next_heap_relfilenode", 'w'},
		{"binary_upgrade_set_next_index_pg_class_oid", 'w'},
		{"binary_upgrade_set_next_index_relfilenode", 'w'},
		{"binary_upgrade_set_next_multirange_array_pg_type_oid", 'w'},
		{"binary_upgrade_set_next_multirange_pg_type_oid", 'w'},
		{"binary_upgrade_set_next_pg_authid_oid", 'w'}, {"binary_upgrade_set_next_pg_enum_oid", 'w'},
		{"binary_upgrade_set_next_pg_tablespace_oid", 'w'},
		{"binary_upgrade_set_next_pg_type_oid", 'w'},
		{"binary_upgrade_set_next_toast_pg_class_oid", 'w'},
		{"binary_upgrade_set_next_toast_relfilenode", 'w'},
		{"binary_upgrade_set_record_init_privs", 'w'}, {"bit", 'r'}, {"bit_and", 'r'},
		{"bit_count", 'r'}, {"bit_in", 'r'}, {"bit_length", 'r'}, {"bit_or", 'r'}, {"bit_out", 'r'},
		{"bit_recv", 'r'}, {"bit_send", 'r'}, {"bit_xor", 'r'}, {"bitand", 'r'}, {"bitcat", 'r'},
		{"bitcmp", 'r'}, {"biteq", 'r'}, {"bitge", 'r'}, {"bitgt", 'r'}, {"bitle", 'r'},
		{"bitlt", 'r'}, {"bitne", 'r'}, {"bitnot", 'r'}, {"bitor", 'r'}, {"bitshiftleft", 'r'},
		{"bitshiftright", 'r'}, {"bittypmodin", 'r'}, {"bittypmodout", 'r'}, {"bitxor", 'r'},
		{"bool", 'r'}, {"bool_accum", 'r'}, {"bool_accum_inv", 'r'}, {"bool_alltrue", 'r'},
		{"bool_and", 'r'}, {"bool_anytrue", 'r'}, {"bool_or", 'r'}, {"booland_statefunc", 'r'},
		{"booleq", 'r'}, {"boolge", 'r'}, {"boolgt", 'r'}, {"boolin", 'r'}, {"boolle", 'r'},
		{"boollt", 'r'}, {"boolne", 'r'}, {"boolor_statefunc", 'r'}, {"boolout", 'r'},
		{"boolrecv", 'r'}, {"boolsend", 'r'}, {"bound_box", 'r'}, {"box", 'r'}, {"box_above", 'r'},
		{"box_above_eq", 'r'}, {"box_add", 'r'}, {"box_below", 'r'}, {"box_below_eq", 'r'},
		{"box_center", 'r'}, {"box_contain", 'r'}, {"box_contain_pt", 'r'}, {"box_contained", 'r'},
		{"box_distance", 'r'}, {"box_div", 'r'}, {"box_eq", 'r'}, {"box_ge", 'r'}, {"box_gt", 'r'},
		{"box_in", 'r'}, {"box_intersect", 'r'}, {"box_le", 'r'}, {"box_left", 'r'}, {"box_lt", 'r'},
		{"box_mul", 'r'}, {"box_out", 'r'}, {"box_overabove", 'r'}, {"box_overbelow", 'r'},
		{"box_overlap", 'r'}, {"box_overleft", 'r'}, {"box_overright", 'r'}, {"box_recv", 'r'},
		{"box_right", 'r'}, {"box_same", 'r'}, {"box_send", 'r'}, {"box_sub", 'r'}, {"bpchar", 'r'},
		{"bpchar_larger", 'r'}, {"bpchar_pattern_ge", 'r'}, {"bpchar_pattern_gt", 'r'},
		{"bpchar_pattern_le", 'r'}, {"bpchar_pattern_lt", 'r'}, {"bpchar_smaller", 'r'},
		{"bpchar_sortsupport", 'r'}, {"bpcharcmp", 'r'}, {"bpchareq", 'r'}, {"bpcharge", 'r'},
		{"bpchargt", 'r'}, {"bpchariclike", 'r'}, {"bpcharicnlike", 'r'}, {"bpcharicregexeq", 'r'},
		{"bpcharicregexne", 'r'}, {"bpcharin", 'r'}, {"bpcharle", 'r'}, {"bpcharlike", 'r'},
		{"bpcharlt", 'r'}, {"bpcharne", 'r'}, {"bpcharnlike", 'r'}, {"bpcharout", 'r'},
		{"bpcharrecv", 'r'}, {"bpcharregexeq", 'r'}, {"bpcharregexne", 'r'}, {"bpcharsend", 'r'},
		{"bpchartypmodin", 'r'}, {"bpchartypmodout", 'r'}, {"brin_bloom_add_value", 'r'},
		{"brin_bloom_consistent", 'r'}, {"brin_bloom_opcinfo", 'r'}, {"brin_bloom_options", 'r'},
		{"brin_bloom_summary_in", 'r'}, {"brin_bloom_summary_out", 'r'},
		{"brin_bloom_summary_recv", 'r'}, {"brin_bloom_summary_send", 'r'}, {"brin_bloom_union", 'r'},
		{"brin_desummarize_range", 'w'}, {"brin_inclusion_add_value", 'r'},
		{"brin_inclusion_consistent", 'r'}, {"brin_inclusion_opcinfo", 'r'},
		{"brin_inclusion_union", 'r'}, {"brin_minmax_add_value", 'r'}, {"brin_minmax_consistent", 'r'},
		{"brin_minmax_multi_add_value", 'r'}, {"brin_minmax_multi_consistent", 'r'},
		{"brin_minmax_multi_distance_date", 'r'}, {"brin_minmax_multi_distance_float4", 'r'},
		{"brin_minmax_multi_distance_float8", 'r'}, {"brin_minmax_multi_distance_inet", 'r'},
		{"brin_minmax_multi_distance_int2", 'r'}, {"brin_minmax_multi_distance_int4", 'r'},
		{"brin_minmax_multi_distance_int8", 'r'}, {"brin_minmax_multi_distance_interval", 'r'},
		{"brin_minmax_multi_distance_macaddr", 'r'}, {"brin_minmax_multi_distance_macaddr8", 'r'},
		{"brin_minmax_multi_distance_numeric", 'r'}, {"brin_minmax_multi_distance_pg_lsn", 'r'},
		{"brin_minmax_multi_distance_tid", 'r'}, {"brin_minmax_multi_distance_time", 'r'},
		{"brin_minmax_multi_distance_timestamp", 'r'}, {"brin_minmax_multi_distance_timetz", 'r'},
		{"brin_minmax_multi_distance_uuid", 'r'}, {"brin_minmax_multi_opcinfo", 'r'},
		{"brin_minmax_multi_options", 'r'}, {"brin_minmax_multi_summary_in", 'r'},
		{"brin_minmax_multi_summary_out", 'r'}, {"brin_minmax_multi_summary_recv", 'r'},
		{"brin_minmax_multi_summary_send", 'r'}, {"brin_minmax_multi_union", 'r'},
		{"brin_minmax_opcinfo", 'r'}, {"brin_minmax_union", 'r'}, {"brin_summarize_new_values", 'w'},
		{"brin_summarize_range", 'w'}, {"brinhandler", 'v'}, {"broadcast", 'r'}, {"btarraycmp", 'r'},
		{"btboolcmp", 'r'}, {"btbpchar_pattern_cmp", 'r'}, {"btbpchar_pattern_sortsupport", 'r'},
		{"btcharcmp", 'r'}, {"btequalimage", 'r'}, {"btfloat48cmp", 'r'}, {"btfloat4cmp", 'r'},
		{"btfloat4sortsupport", 'r'}, {"btfloat84cmp", 'r'}, {"btfloat8cmp", 'r'},
		{"btfloat8sortsupport", 'r'}, {"bthandler", 'v'}, {"btint24cmp", 'r'}, {"btint28cmp", 'r'},
		{"btint2cmp", 'r'}, {"btint2sortsupport", 'r'}, {"btint42cmp", 'r'}, {"btint48cmp", 'r'},
		{"btint4cmp", 'r'}, {"btint4sortsupport", 'r'}, {"btint82cmp", 'r'}, {"btint84cmp", 'r'},
		{"btint8cmp", 'r'}, {"btint8sortsupport", 'r'}, {"btnamecmp", 'r'}, {"btnamesortsupport", 'r'},
		{"btnametextcmp", 'r'}, {"btoidcmp", 'r'}, {"btoidsortsupport", 'r'}, {"btoidvectorcmp", 'r'},
		{"btrecordcmp", 'r'}, {"btrecordimagecmp", 'r'}, {"btrim", 'r'}, {"bttext_pattern_cmp", 'r'},
		{"bttext_pattern_sortsupport", 'r'}, {"bttextcmp", 'r'}, {"bttextnamecmp", 'r'},
		{"bttextsortsupport", 'r'}, {"bttidcmp", 'r'}, {"btvarstrequalimage", 'r'},
		{"bytea_sortsupport", 'r'}, {"bytea_string_agg_finalfn", 'r'},
		{"bytea_string_agg_transfn", 'r'}, {"byteacat", 'r'}, {"byteacmp", 'r'}, {"byteaeq", 'r'},
		{"byteage", 'r'}, {"byteagt", 'r'}, {"byteain", 'r'}, {"byteale", 'r'}, {"bytealike", 'r'},
		{"bytealt", 'r'}, {"byteane", 'r'}, {"byteanlike", 'r'}, {"byteaout", 'r'}, {"bytearecv", 'r'},
		{"byteasend", 'r'}, {"cardinality", 'r'}, {"cash_cmp", 'r'}, {"cash_div_cash", 'r'},
		{"cash_div_flt4", 'r'}, {"cash_div_flt8", 'r'}, {"cash_div_int2", 'r'}, {"cash_div_int4", 'r'},
		{"cash_div_int8", 'r'}, {"cash_eq", 'r'}, {"cash_ge", 'r'}, {"cash_gt", 'r'}, {"cash_in", 'r'},
		{"cash_le", 'r'}, {"cash_lt", 'r'}, {"cash_mi", 'r'}, {"cash_mul_flt4", 'r'},
		{"cash_mul_flt8", 'r'}, {"cash_mul_int2", 'r'}, {"cash_mul_int4", 'r'}, {"cash_mul_int8", 'r'},
		{"cash_ne", 'r'}, {"cash_out", 'r'}, {"cash_pl", 'r'}, {"cash_recv", 'r'}, {"cash_send", 'r'},
		{"cash_words", 'r'}, {"cashlarger", 'r'}, {"cashsmaller", 'r'}, {"cast", 'r'}, {"cbrt", 'r'},
		{"ceil", 'r'}, {"ceiling", 'r'}, {"center", 'r'}, {"char", 'r'}, {"char_length", 'r'},
		{"character_length", 'r'}, {"chareq", 'r'}, {"charge", 'r'}, {"chargt", 'r'}, {"charin", 'r'},
		{"charle", 'r'}, {"charlt", 'r'}, {"charne", 'r'}, {"charout", 'r'}, {"charrecv", 'r'},
		{"charsend", 'r'}, {"chr", 'r'}, {"cideq", 'r'}, {"cidin", 'r'}, {"cidout", 'r'},
		{"cidr", 'r'}, {"cidr_in", 'r'}, {"cidr_out", 'r'}, {"cidr_recv", 'r'}, {"cidr_send", 'r'},
		{"cidrecv", 'r'}, {"cidsend", 'r'}, {"circle", 'r'}, {"circle_above", 'r'},
		{"circle_add_pt", 'r'}, {"circle_below", 'r'}, {"circle_center", 'r'}, {"circle_contain", 'r'},
		{"circle_contain_pt", 'r'}, {"circle_contained", 'r'}, {"circle_distance", 'r'},
		{"circle_div_pt", 'r'}, {"circle_eq", 'r'}, {"circle_ge", 'r'}, {"circle_gt", 'r'},
		{"circle_in", 'r'}, {"circle_le", 'r'}, {"circle_left", 'r'}, {"circle_lt", 'r'},
		{"circle_mul_pt", 'r'}, {"circle_ne", 'r'}, {"circle_out", 'r'}, {"circle_overabove", 'r'},
		{"circle_overbelow", 'r'}, {"circle_overlap", 'r'}, {"circle_overleft", 'r'},
		{"circle_overright", 'r'}, {"circle_recv", 'r'}, {"circle_right", 'r'}, {"circle_same", 'r'},
		{"circle_send", 'r'}, {"circle_sub_pt", 'r'}, {"clock_timestamp", 'r'}, {"close_ls", 'r'},
		{"close_lseg", 'r'}, {"close_pb", 'r'}, {"close_pl", 'r'}, {"close_ps", 'r'},
		{"close_sb", 'r'}, {"coalesce", 'r'}, {"col_description", 'r'}, {"collation_for", 'r'},
		{"concat", 'r'}, {"concat_ws", 'r'}, {"contjoinsel", 'r'}, {"contsel", 'r'}, {"convert", 'r'},
		{"convert_from", 'r'}, {"convert_to", 'r'}, {"corr", 'r'}, {"cos", 'r'}, {"cosd", 'r'},
		{"cosh", 'r'}, {"cot", 'r'}, {"cotd", 'r'}, {"count", 'r'}, {"covar_pop", 'r'},
		{"covar_samp", 'r'}, {"crypt", 'r'}, {"cstring_in", 'r'}, {"cstring_out", 'r'},
		{"cstring_recv", 'r'}, {"cstring_send", 'r'}, {"cube", 'r'}, {"cube_distance", 'r'},
		{"cume_dist", 'r'}, {"cume_dist_final", 'r'}, {"current_catalog", 'r'},
		{"current_database", 'r'}, {"current_date", 'r'}, {"current_query", 'r'},
		{"current_role", 'r'}, {"current_schema", 'r'}, {"current_schemas", 'r'},
		{"current_setting", 'r'}, {"current_time", 'r'}, {"current_timestamp", 'r'},
		{"current_user", 'r'}, {"currtid2", 'v'}, {"currval", 'w'}, {"cursor_to_xml", 'v'},
		{"cursor_to_xmlschema", 'v'}, {"database_to_xml", 'r'}, {"database_to_xml_and_xmlschema", 'r'},
		{"database_to_xmlschema", 'r'}, {"date", 'r'}, {"date_bin", 'r'}, {"date_cmp", 'r'},
		{"date_cmp_timestamp", 'r'}, {"date_cmp_timestamptz", 'r'}, {"date_eq", 'r'},
		{"date_eq_timestamp", 'r'}, {"date_eq_timestamptz", 'r'}, {"date_ge", 'r'},
		{"date_ge_timestamp", 'r'}, {"date_ge_timestamptz", 'r'}, {"date_gt", 'r'},
		{"date_gt_timestamp", 'r'}, {"date_gt_timestamptz", 'r'}, {"date_in", 'r'},
		{"date_larger", 'r'}, {"date_le", 'r'}, {"date_le_timestamp", 'r'},
		{"date_le_timestamptz", 'r'}, {"date_lt", 'r'}, {"date_lt_timestamp", 'r'},
		{"date_lt_timestamptz", 'r'}, {"date_mi", 'r'}, {"date_mi_interval", 'r'}, {"date_mii", 'r'},
		{"date_ne", 'r'}, {"date_ne_timestamp", 'r'}, {"date_ne_timestamptz", 'r'}, {"date_out", 'r'},
		{"date_part", 'r'}, {"date_pl_interval", 'r'}, {"date_pli", 'r'}, {"date_recv", 'r'},
		{"date_send", 'r'}, {"date_smaller", 'r'}, {"date_sortsupport", 'r'}, {"date_trunc", 'r'},
		{"datemultirange", 'r'}, {"daterange", 'r'}, {"daterange_canonical", 'r'},
		{"daterange_subdiff", 'r'}, {"datetime_pl", 'r'}, {"datetimetz_pl", 'r'},
		{"dblink_connect", 'p'}, {"dblink_connect_u", 'p'}, {"dblink_exec", 'w'},
		{"dblink_send_query", 'w'}, {"dcbrt", 'r'}, {"dearmor", 'r'}, {"decode", 'r'},
		{"decrypt", 'r'}, {"defined", 'r'}, {"degrees", 'r'}, {"dense_rank", 'r'},
		{"dense_rank_final", 'r'}, {"dexp", 'r'}, {"diagonal", 'r'}, {"diameter", 'r'},
		{"difference", 'r'}, {"digest", 'r'}, {"dispell_init", 'r'}, {"dispell_lexize", 'r'},
		{"dist_bp", 'r'}, {"dist_bs", 'r'}, {"dist_cpoint", 'r'}, {"dist_cpoly", 'r'},
		{"dist_lp", 'r'}, {"dist_ls", 'r'}, {"dist_pathp", 'r'}, {"dist_pb", 'r'}, {"dist_pc", 'r'},
		{"dist_pl", 'r'}, {"dist_polyc", 'r'}, {"dist_polyp", 'r'}, {"dist_ppath", 'r'},
		{"dist_ppoly", 'r'}, {"dist_ps", 'r'}, {"dist_sb", 'r'}, {"dist_sl", 'r'}, {"dist_sp", 'r'},
		{"div", 'r'}, {"dlog1", 'r'}, {"dlog10", 'r'}, {"dmetaphone", 'r'}, {"dmetaphone_alt", 'r'},
		{"domain_in", 'r'}, {"domain_recv", 'r'}, {"dpow", 'r'}, {"dround", 'r'},
		{"dsimple_init", 'r'}, {"dsimple_lexize", 'r'}, {"dsqrt", 'r'}, {"dsynonym_init", 'r'},
		{"dsynonym_lexize", 'r'}, {"dtrunc", 'r'}, {"earth_box", 'r'}, {"earth_distance", 'r'},
		{"elem_contained_by_multirange", 'r'}, {"elem_contained_by_range", 'r'}, {"encode", 'r'},
		{"encrypt", 'r'}, {"enum_cmp", 'r'}, {"enum_eq", 'r'}, {"enum_first", 'r'}, {"enum_ge", 'r'},
		{"enum_gt", 'r'}, {"enum_in", 'r'}, {"enum_larger", 'r'}, {"enum_last", 'r'}, {"enum_le", 'r'},
		{"enum_lt", 'r'}, {"enum_ne", 'r'}, {"enum_out", 'r'}, {"enum_range", 'r'}, {"enum_recv", 'r'},
		{"enum_send", 'r'}, {"enum_smaller", 'r'}, {"eqjoinsel", 'r'}, {"eqsel", 'r'},
		{"euc_cn_to_mic", 'r'}, {"euc_cn_to_utf8", 'r'}, {"euc_jis_2004_to_shift_jis_2004", 'r'},
		{"euc_jis_2004_to_utf8", 'r'}, {"euc_jp_to_mic", 'r'}, {"euc_jp_to_sjis", 'r'},
		{"euc_jp_to_utf8", 'r'}, {"euc_kr_to_mic", 'r'}, {"euc_kr_to_utf8", 'r'},
		{"euc_tw_to_big5", 'r'}, {"euc_tw_to_mic", 'r'}, {"euc_tw_to_utf8", 'r'},
		{"event_trigger_in", 'r'}, {"event_trigger_out", 'r'}, {"every", 'r'}, {"exist", 'r'},
		{"exp", 'r'}, {"extract", 'r'}, {"factorial", 'r'}, {"family", 'r'}, {"fdw_handler_in", 'r'},
		{"fdw_handler_out", 'r'}, {"first_value", 'r'}, {"float4", 'r'}, {"float48div", 'r'},
		{"float48eq", 'r'}, {"float48ge", 'r'}, {"float48gt", 'r'}, {"float48le", 'r'},
		{"float48lt", 'r'}, {"float48mi", 'r'}, {"float48mul", 'r'}, {"float48ne", 'r'},
		{"float48pl", 'r'}, {"float4_accum", 'r'}, {"float4abs", 'r'}, {"float4div", 'r'},
		{"float4eq", 'r'}, {"float4ge", 'r'}, {"float4gt", 'r'}, {"float4in", 'r'},
		{"float4larger", 'r'}, {"float4le", 'r'}, {"float4lt", 'r'}, {"float4mi", 'r'},
		{"float4mul", 'r'}, {"float4ne", 'r'}, {"float4out", 'r'}, {"float4pl", 'r'},
		{"float4recv", 'r'}, {"float4send", 'r'}, {"float4smaller", 'r'}, {"float4um", 'r'},
		{"float4up", 'r'}, {"float8", 'r'}, {"float84div", 'r'}, {"float84eq", 'r'},
		{"float84ge", 'r'}, {"float84gt", 'r'}, {"float84le", 'r'}, {"float84lt", 'r'},
		{"float84mi", 'r'}, {"float84mul", 'r'}, {"float84ne", 'r'}, {"float84pl", 'r'},
		{"float8_accum", 'r'}, {"float8_avg", 'r'}, {"float8_combine", 'r'}, {"float8_corr", 'r'},
		{"float8_covar_pop", 'r'}, {"float8_covar_samp", 'r'}, {"float8_regr_accum", 'r'},
		{"float8_regr_avgx", 'r'}, {"float8_regr_avgy", 'r'}, {"float8_regr_combine", 'r'},
		{"float8_regr_intercept", 'r'}, {"float8_regr_r2", 'r'}, {"float8_regr_slope", 'r'},
		{"float8_regr_sxx", 'r'}, {"float8_regr_sxy", 'r'}, {"float8_regr_syy", 'r'},
		{"float8_stddev_pop", 'r'}, {"float8_stddev_samp", 'r'}, {"float8_var_pop", 'r'},
		{"float8_var_samp", 'r'}, {"float8abs", 'r'}, {"float8div", 'r'}, {"float8eq", 'r'},
		{"float8ge", 'r'}, {"float8gt", 'r'}, {"float8in", 'r'}, {"float8larger", 'r'},
		{"float8le", 'r'}, {"float8lt", 'r'}, {"float8mi", 'r'}, {"float8mul", 'r'}, {"float8ne", 'r'},
		{"float8out", 'r'}, {"float8pl", 'r'}, {"float8recv", 'r'}, {"float8send", 'r'},
		{"float8smaller", 'r'}, {"float8um", 'r'}, {"float8up", 'r'}, {"floor", 'r'},
		{"flt4_mul_cash", 'r'}, {"flt8_mul_cash", 'r'}, {"fmgr_c_validator", 'r'},
		{"fmgr_internal_validator", 'r'}, {"fmgr_sql_validator", 'r'}, {"format", 'r'},
		{"format_type", 'r'}, {"gb18030_to_utf8", 'r'}, {"gbk_to_utf8", 'r'}, {"gcd", 'r'},
		{"gen_random_bytes", 'r'}, {"gen_random_uuid", 'r'}, {"gen_salt", 'r'},
		{"generate_series", 'r'}, {"generate_series_int4_support", 'r'},
		{"generate_series_int8_support", 'r'}, {"generate_subscripts", 'r'}, {"get_bit", 'r'},
		{"get_byte", 'r'}, {"get_current_ts_config", 'r'}, {"getdatabaseencoding", 'r'},
		{"getpgusername", 'r'}, {"gin_clean_pending_list", 'w'}, {"gin_cmp_prefix", 'r'},
		{"gin_cmp_tslexeme", 'r'}, {"gin_compare_jsonb", 'r'}, {"gin_consistent_jsonb", 'r'},
		{"gin_consistent_jsonb_path", 'r'}, {"gin_extract_jsonb", 'r'},
		{"gin_extract_jsonb_path", 'r'}, {"gin_extract_jsonb_query", 'r'},
		{"gin_extract_jsonb_query_path", 'r'}, {"gin_extract_tsquery", 'r'},
		{"gin_extract_tsvector", 'r'}, {"gin_triconsistent_jsonb", 'r'},
		{"gin_triconsistent_jsonb_path", 'r'}, {"gin_tsquery_consistent", 'r'},
		{"gin_tsquery_triconsistent", 'r'}, {"ginarrayconsistent", 'r'}, {"ginarrayextract", 'r'},
		{"ginarraytriconsistent", 'r'}, {"ginhandler", 'v'}, {"ginqueryarrayextract", 'r'},
		{"gist_box_consistent", 'r'}, {"gist_box_distance", 'r'}, {"gist_box_penalty", 'r'},
		{"gist_box_picksplit", 'r'}, {"gist_box_same", 'r'}, {"gist_box_union", 'r'},
		{"gist_circle_compress", 'r'}, {"gist_circle_consistent", 'r'}, {"gist_circle_distance", 'r'},
		{"gist_point_compress", 'r'}, {"gist_point_consistent", 'r'}, {"gist_point_distance", 'r'},
		{"gist_point_fetch", 'r'}, {"gist_point_sortsupport", 'r'}, {"gist_poly_compress", 'r'},
		{"gist_poly_consistent", 'r'}, {"gist_poly_distance", 'r'}, {"gisthandler", 'v'},
		{"greatest", 'r'}, {"grouping", 'r'}, {"gtsquery_compress", 'r'}, {"gtsquery_consistent", 'r'},
		{"gtsquery_penalty", 'r'}, {"gtsquery_picksplit", 'r'}, {"gtsquery_same", 'r'},
		{"gtsquery_union", 'r'}, {"gtsvector_compress", 'r'}, {"gtsvector_consistent", 'r'},
		{"gtsvector_decompress", 'r'}, {"gtsvector_options", 'r'}, {"gtsvector_penalty", 'r'},
		{"gtsvector_picksplit", 'r'}, {"gtsvector_same", 'r'}, {"gtsvector_union", 'r'},
		{"gtsvectorin", 'r'}, {"gtsvectorout", 'r'}, {"has_any_column_privilege", 'r'},
		{"has_column_privilege", 'r'}, {"has_database_privilege", 'r'},
		{"has_foreign_data_wrapper_privilege", 'r'}, {"has_function_privilege", 'r'},
		{"has_language_privilege", 'r'}, {"has_parameter_privilege", 'r'},
		{"has_schema_privilege", 'r'}, {"has_sequence_privilege", 'r'}, {"has_server_privilege", 'r'},
		{"has_table_privilege", 'r'}, {"has_tablespace_privilege", 'r'}, {"has_type_privilege", 'r'},
		{"hash_aclitem", 'r'}, {"hash_aclitem_extended", 'r'}, {"hash_array", 'r'},
		{"hash_array_extended", 'r'}, {"hash_multirange", 'r'}, {"hash_multirange_extended", 'r'},
		{"hash_numeric", 'r'}, {"hash_numeric_extended", 'r'}, {"hash_range", 'r'},
		{"hash_range_extended", 'r'}, {"hash_record", 'r'}, {"hash_record_extended", 'r'},
		{"hashbpchar", 'r'}, {"hashbpcharextended", 'r'}, {"hashchar", 'r'}, {"hashcharextended", 'r'},
		{"hashenum", 'r'}, {"hashenumextended", 'r'}, {"hashfloat4", 'r'}, {"hashfloat4extended", 'r'},
		{"hashfloat8", 'r'}, {"hashfloat8extended", 'r'}, {"hashhandler", 'v'}, {"hashinet", 'r'},
		{"hashinetextended", 'r'}, {"hashint2", 'r'}, {"hashint2extended", 'r'}, {"hashint4", 'r'},
		{"hashint4extended", 'r'}, {"hashint8", 'r'}, {"hashint8extended", 'r'}, {"hashmacaddr", 'r'},
		{"hashmacaddr8", 'r'}, {"hashmacaddr8extended", 'r'}, {"hashmacaddrextended", 'r'},
		{"hashname", 'r'}, {"hashnameextended", 'r'}, {"hashoid", 'r'}, {"hashoidextended", 'r'},
		{"hashoidvector", 'r'}, {"hashoidvectorextended", 'r'}, {"hashtext", 'r'},
		{"hashtextextended", 'r'}, {"hashtid", 'r'}, {"hashtidextended", 'r'}, {"hashvarlena", 'r'},
		{"hashvarlenaextended", 'r'}, {"heap_tableam_handler", 'v'}, {"height", 'r'}, {"hmac", 'r'},
		{"host", 'r'}, {"hostmask", 'r'}, {"hstore", 'r'}, {"hstore_to_json", 'r'},
		{"hstore_to_jsonb", 'r'}, {"iclikejoinsel", 'r'}, {"iclikesel", 'r'}, {"icnlikejoinsel", 'r'},
		{"icnlikesel", 'r'}, {"icregexeqjoinsel", 'r'}, {"icregexeqsel", 'r'},
		{"icregexnejoinsel", 'r'}, {"icregexnesel", 'r'}, {"in_range", 'r'},
		{"index_am_handler_in", 'r'}, {"index_am_handler_out", 'r'}, {"inet_client_addr", 'r'},
		{"inet_client_port", 'r'}, {"inet_gist_compress", 'r'}, {"inet_gist_consistent", 'r'},
		{"inet_gist_fetch", 'r'}, {"inet_gist_penalty", 'r'}, {"inet_gist_picksplit", 'r'},
		{"inet_gist_same", 'r'}, {"inet_gist_union", 'r'}, {"inet_in", 'r'}, {"inet_merge", 'r'},
		{"inet_out", 'r'}, {"inet_recv", 'r'}, {"inet_same_family", 'r'}, {"inet_send", 'r'},
		{"inet_server_addr", 'r'}, {"inet_server_port", 'r'}, {"inet_spg_choose", 'r'},
		{"inet_spg_config", 'r'}, {"inet_spg_inner_consistent", 'r'},
		{"inet_spg_leaf_consistent", 'r'}, {"inet_spg_picksplit", 'r'}, {"inetand", 'r'},
		{"inetmi", 'r'}, {"inetmi_int8", 'r'}, {"inetnot", 'r'}, {"inetor", 'r'}, {"inetpl", 'r'},
		{"initcap", 'r'}, {"int2", 'r'}, {"int24div", 'r'}, {"int24eq", 'r'}, {"int24ge", 'r'},
		{"int24gt", 'r'}, {"int24le", 'r'}, {"int24lt", 'r'}, {"int24mi", 'r'}, {"int24mul", 'r'},
		{"int24ne", 'r'}, {"int24pl", 'r'}, {"int28div", 'r'}, {"int28eq", 'r'}, {"int28ge", 'r'},
		{"int28gt", 'r'}, {"int28le", 'r'}, {"int28lt", 'r'}, {"int28mi", 'r'}, {"int28mul", 'r'},
		{"int28ne", 'r'}, {"int28pl", 'r'}, {"int2_accum", 'r'}, {"int2_accum_inv", 'r'},
		{"int2_avg_accum", 'r'}, {"int2_avg_accum_inv", 'r'}, {"int2_mul_cash", 'r'},
		{"int2_sum", 'r'}, {"int2abs", 'r'}, {"int2and", 'r'}, {"int2div", 'r'}, {"int2eq", 'r'},
		{"int2ge", 'r'}, {"int2gt", 'r'}, {"int2in", 'r'}, {"int2int4_sum", 'r'}, {"int2larger", 'r'},
		{"int2le", 'r'}, {"int2lt", 'r'}, {"int2mi", 'r'}, {"int2mod", 'r'}, {"int2mul", 'r'},
		{"int2ne", 'r'}, {"int2not", 'r'}, {"int2or", 'r'}, {"int2out", 'r'}, {"int2pl", 'r'},
		{"int2recv", 'r'}, {"int2send", 'r'}, {"int2shl", 'r'}, {"int2shr", 'r'}, {"int2smaller", 'r'},
		{"int2um", 'r'}, {"int2up", 'r'}, {"int2vectorin", 'r'}, {"int2vectorout", 'r'},
		{"int2vectorrecv", 'r'}, {"int2vectorsend", 'r'}, {"int2xor", 'r'}, {"int4", 'r'},
		{"int42div", 'r'}, {"int42eq", 'r'}, {"int42ge", 'r'}, {"int42gt", 'r'}, {"int42le", 'r'},
		{"int42lt", 'r'}, {"int42mi", 'r'}, {"int42mul", 'r'}, {"int42ne", 'r'}, {"int42pl", 'r'},
		{"int48div", 'r'}, {"int48eq", 'r'}, {"int48ge", 'r'}, {"int48gt", 'r'}, {"int48le", 'r'},
		{"int48lt", 'r'}, {"int48mi", 'r'}, {"int48mul", 'r'}, {"int48ne", 'r'}, {"int48pl", 'r'},
		{"int4_accum", 'r'}, {"int4_accum_inv", 'r'}, {"int4_avg_accum", 'r'},
		{"int4_avg_accum_inv", 'r'}, {"int4_avg_combine", 'r'}, {"int4_mul_cash", 'r'},
		{"int4_sum", 'r'}, {"int4abs", 'r'}, {"int4and", 'r'}, {"int4div", 'r'}, {"int4eq", 'r'},
		{"int4ge", 'r'}, {"int4gt", 'r'}, {"int4in", 'r'}, {"int4inc", 'r'}, {"int4larger", 'r'},
		{"int4le", 'r'}, {"int4lt", 'r'}, {"int4mi", 'r'}, {"int4mod", 'r'}, {"int4mul", 'r'},
		{"int4multirange", 'r'}, {"int4ne", 'r'}, {"int4not", 'r'}, {"int4or", 'r'}, {"int4out", 'r'},
		{"int4pl", 'r'}, {"int4range", 'r'}, {"int4range_canonical", 'r'}, {"int4range_subdiff", 'r'},
		{"int4recv", 'r'}, {"int4send", 'r'}, {"int4shl", 'r'}, {"int4shr", 'r'}, {"int4smaller", 'r'},
		{"int4um", 'r'}, {"int4up", 'r'}, {"int4xor", 'r'}, {"int8", 'r'}, {"int82div", 'r'},
		{"int82eq", 'r'}, {"int82ge", 'r'}, {"int82gt", 'r'}, {"int82le", 'r'}, {"int82lt", 'r'},
		{"int82mi", 'r'}, {"int82mul", 'r'}, {"int82ne", 'r'}, {"int82pl", 'r'}, {"int84div", 'r'},
		{"int84eq", 'r'}, {"int84ge", 'r'}, {"int84gt", 'r'}, {"int84le", 'r'}, {"int84lt", 'r'},
		{"int84mi", 'r'}, {"int84mul", 'r'}, {"int84ne", 'r'}, {"int84pl", 'r'}, {"int8_accum", 'r'},
		{"int8_accum_inv", 'r'}, {"int8_avg", 'r'}, {"int8_avg_accum", 'r'},
		{"int8_avg_accum_inv", 'r'}, {"int8_avg_combine", 'r'}, {"int8_avg_deserialize", 'r'},
		{"int8_avg_serialize", 'r'}, {"int8_mul_cash", 'r'}, {"int8_sum", 'r'}, {"int8abs", 'r'},
		{"int8and", 'r'}, {"int8dec", 'r'}, {"int8dec_any", 'r'}, {"int8div", 'r'}, {"int8eq", 'r'},
		{"int8ge", 'r'}, {"int8gt", 'r'}, {"int8in", 'r'}, {"int8inc", 'r'}, {"int8inc_any", 'r'},
		{"int8inc_float8_float8", 'r'}, {"int8inc_support", 'r'}, {"int8larger", 'r'}, {"int8le", 'r'},
		{"int8lt", 'r'}, {"int8mi", 'r'}, {"int8mod", 'r'}, {"int8mul", 'r'}, {"int8multirange", 'r'},
		{"int8ne", 'r'}, {"int8not", 'r'}, {"int8or", 'r'}, {"int8out", 'r'}, {"int8pl", 'r'},
		{"int8pl_inet", 'r'}, {"int8range", 'r'}, {"int8range_canonical", 'r'},
		{"int8range_subdiff", 'r'}, {"int8recv", 'r'}, {"int8send", 'r'}, {"int8shl", 'r'},
		{"int8shr", 'r'}, {"int8smaller", 'r'}, {"int8um", 'r'}, {"int8up", 'r'}, {"int8xor", 'r'},
		{"integer_pl_date", 'r'}, {"inter_lb", 'r'}, {"inter_sb", 'r'}, {"inter_sl", 'r'},
		{"internal_in", 'r'}, {"internal_out", 'r'}, {"interval", 'r'}, {"interval_accum", 'r'},
		{"interval_accum_inv", 'r'}, {"interval_avg", 'r'}, {"interval_cmp", 'r'},
		{"interval_combine", 'r'}, {"interval_div", 'r'}, {"interval_eq", 'r'}, {"interval_ge", 'r'},
		{"interval_gt", 'r'}, {"interval_hash", 'r'}, {"interval_hash_extended", 'r'},
		{"interval_in", 'r'}, {"interval_larger", 'r'}, {"interval_le", 'r'}, {"interval_lt", 'r'},
		{"interval_mi", 'r'}, {"interval_mul", 'r'}, {"interval_ne", 'r'}, {"interval_out", 'r'},
		{"interval_pl", 'r'}, {"interval_pl_date", 'r'}, {"interval_pl_time", 'r'},
		{"interval_pl_timestamp", 'r'}, {"interval_pl_timestamptz", 'r'}, {"interval_pl_timetz", 'r'},
		{"interval_recv", 'r'}, {"interval_send", 'r'}, {"interval_smaller", 'r'},
		{"interval_support", 'r'}, {"interval_um", 'r'}, {"intervaltypmodin", 'r'},
		{"intervaltypmodout", 'r'}, {"is_normalized", 'r'}, {"isclosed", 'r'}, {"isempty", 'r'},
		{"isfinite", 'r'}, {"ishorizontal", 'r'}, {"iso8859_1_to_utf8", 'r'}, {"iso8859_to_utf8", 'r'},
		{"iso_to_koi8r", 'r'}, {"iso_to_mic", 'r'}, {"iso_to_win1251", 'r'}, {"iso_to_win866", 'r'},
		{"isopen", 'r'}, {"isparallel", 'r'}, {"isperp", 'r'}, {"isvertical", 'r'},
		{"johab_to_utf8", 'r'}, {"json_agg", 'r'}, {"json_agg_finalfn", 'r'},
		{"json_agg_transfn", 'r'}, {"json_array", 'r'}, {"json_array_element", 'r'},
		{"json_array_element_text", 'r'}, {"json_array_elements", 'r'},
		{"json_array_elements_text", 'r'}, {"json_array_length", 'r'}, {"json_arrayagg", 'r'},
		{"json_build_array", 'r'}, {"json_build_object", 'r'}, {"json_each", 'r'},
		{"json_each_text", 'r'}, {"json_exists", 'r'}, {"json_extract_path", 'r'},
		{"json_extract_path_text", 'r'}, {"json_in", 'r'}, {"json_object", 'r'},
		{"json_object_agg", 'r'}, {"json_object_agg_finalfn", 'r'}, {"json_object_agg_transfn", 'r'},
		{"json_object_field", 'r'}, {"json_object_field_text", 'r'}, {"json_object_keys", 'r'},
		{"json_objectagg", 'r'}, {"json_out", 'r'}, {"json_populate_record", 'r'},
		{"json_populate_recordset", 'r'}, {"json_query", 'r'}, {"json_recv", 'r'},
		{"json_scalar", 'r'}, {"json_send", 'r'}, {"json_serialize", 'r'}, {"json_strip_nulls", 'r'},
		{"json_table", 'r'}, {"json_to_record", 'r'}, {"json_to_recordset", 'r'},
		{"json_to_tsvector", 'r'}, {"json_typeof", 'r'}, {"json_value", 'r'}, {"jsonb_agg", 'r'},
		{"jsonb_agg_finalfn", 'r'}, {"jsonb_agg_transfn", 'r'}, {"jsonb_array_element", 'r'},
		{"jsonb_array_element_text", 'r'}, {"jsonb_array_elements", 'r'},
		{"jsonb_array_elements_text", 'r'}, {"jsonb_array_length", 'r'}, {"jsonb_build_array", 'r'},
		{"jsonb_build_object", 'r'}, {"jsonb_cmp", 'r'}, {"jsonb_concat", 'r'},
		{"jsonb_contained", 'r'}, {"jsonb_contains", 'r'}, {"jsonb_delete", 'r'},
		{"jsonb_delete_path", 'r'}, {"jsonb_each", 'r'}, {"jsonb_each_text", 'r'}, {"jsonb_eq", 'r'},
		{"jsonb_exists", 'r'}, {"jsonb_exists_all", 'r'}, {"jsonb_exists_any", 'r'},
		{"jsonb_extract_path", 'r'}, {"jsonb_extract_path_text", 'r'}, {"jsonb_ge", 'r'},
		{"jsonb_gt", 'r'}, {"jsonb_hash", 'r'}, {"jsonb_hash_extended", 'r'}, {"jsonb_in", 'r'},
		{"jsonb_insert", 'r'}, {"jsonb_le", 'r'}, {"jsonb_lt", 'r'}, {"jsonb_ne", 'r'},
		{"jsonb_object", 'r'}, {"jsonb_object_agg", 'r'}, {"jsonb_object_agg_finalfn", 'r'},
		{"jsonb_object_agg_transfn", 'r'}, {"jsonb_object_field", 'r'},
		{"jsonb_object_field_text", 'r'}, {"jsonb_object_keys", 'r'}, {"jsonb_out", 'r'},
		{"jsonb_path_exists", 'r'}, {"jsonb_path_exists_opr", 'r'}, {"jsonb_path_exists_tz", 'r'},
		{"jsonb_path_match", 'r'}, {"jsonb_path_match_opr", 'r'}, {"jsonb_path_match_tz", 'r'},
		{"jsonb_path_query", 'r'}, {"jsonb_path_query_array", 'r'}, {"jsonb_path_query_array_tz", 'r'},
		{"jsonb_path_query_first", 'r'}, {"jsonb_path_query_first_tz", 'r'},
		{"jsonb_path_query_tz", 'r'}, {"jsonb_populate_record", 'r'},
		{"jsonb_populate_recordset", 'r'}, {"jsonb_pretty", 'r'}, {"jsonb_recv", 'r'},
		{"jsonb_send", 'r'}, {"jsonb_set", 'r'}, {"jsonb_set_lax", 'r'}, {"jsonb_strip_nulls", 'r'},
		{"jsonb_subscript_handler", 'r'}, {"jsonb_to_record", 'r'}, {"jsonb_to_recordset", 'r'},
		{"jsonb_to_tsvector", 'r'}, {"jsonb_typeof", 'r'}, {"jsonpath_in", 'r'}, {"jsonpath_out", 'r'},
		{"jsonpath_recv", 'r'}, {"jsonpath_send", 'r'}, {"justify_days", 'r'}, {"justify_hours", 'r'},
		{"justify_interval", 'r'}, {"koi8r_to_iso", 'r'}, {"koi8r_to_mic", 'r'},
		{"koi8r_to_utf8", 'r'}, {"koi8r_to_win1251", 'r'}, {"koi8r_to_win866", 'r'},
		{"koi8u_to_utf8", 'r'}, {"lag", 'r'}, {"language_handler_in", 'r'},
		{"language_handler_out", 'r'}, {"last_value", 'r'}, {"lastval", 'w'}, {"latin1_to_mic", 'r'},
		{"latin2_to_mic", 'r'}, {"latin2_to_win1250", 'r'}, {"latin3_to_mic", 'r'},
		{"latin4_to_mic", 'r'}, {"lcm", 'r'}, {"lead", 'r'}, {"least", 'r'}, {"left", 'r'},
		{"length", 'r'}, {"levenshtein", 'r'}, {"levenshtein_less_equal", 'r'}, {"like", 'r'},
		{"like_escape", 'r'}, {"likejoinsel", 'r'}, {"likesel", 'r'}, {"line", 'r'},
		{"line_distance", 'r'}, {"line_eq", 'r'}, {"line_horizontal", 'r'}, {"line_in", 'r'},
		{"line_interpt", 'r'}, {"line_intersect", 'r'}, {"line_out", 'r'}, {"line_parallel", 'r'},
		{"line_perp", 'r'}, {"line_recv", 'r'}, {"line_send", 'r'}, {"line_vertical", 'r'},
		{"ll_to_earth", 'r'}, {"ln", 'r'}, {"lo_close", 'w'}, {"lo_creat", 'w'}, {"lo_create", 'w'},
		{"lo_export", 'w'}, {"lo_from_bytea", 'w'}, {"lo_get", 'w'}, {"lo_import", 'w'},
		{"lo_lseek", 'w'}, {"lo_lseek64", 'w'}, {"lo_open", 'w'}, {"lo_put", 'w'}, {"lo_tell", 'w'},
		{"lo_tell64", 'w'}, {"lo_truncate", 'w'}, {"lo_truncate64", 'w'}, {"lo_unlink", 'w'},
		{"localtime", 'r'}, {"localtimestamp", 'r'}, {"log", 'r'}, {"log10", 'r'}, {"loread", 'w'},
		{"lower", 'r'}, {"lower_inc", 'r'}, {"lower_inf", 'r'}, {"lowrite", 'w'}, {"lpad", 'r'},
		{"lseg", 'r'}, {"lseg_center", 'r'}, {"lseg_distance", 'r'}, {"lseg_eq", 'r'},
		{"lseg_ge", 'r'}, {"lseg_gt", 'r'}, {"lseg_horizontal", 'r'}, {"lseg_in", 'r'},
		{"lseg_interpt", 'r'}, {"lseg_intersect", 'r'}, {"lseg_le", 'r'}, {"lseg_length", 'r'},
		{"lseg_lt", 'r'}, {"lseg_ne", 'r'}, {"lseg_out", 'r'}, {"lseg_parallel", 'r'},
		{"lseg_perp", 'r'}, {"lseg_recv", 'r'}, {"lseg_send", 'r'}, {"lseg_vertical", 'r'},
		{"ltrim", 'r'}, {"macaddr", 'r'}, {"macaddr8", 'r'}, {"macaddr8_and", 'r'},
		{"macaddr8_cmp", 'r'}, {"macaddr8_eq", 'r'}, {"macaddr8_ge", 'r'}, {"macaddr8_gt", 'r'},
		{"macaddr8_in", 'r'}, {"macaddr8_le", 'r'}, {"macaddr8_lt", 'r'}, {"macaddr8_ne", 'r'},
		{"macaddr8_not", 'r'}, {"macaddr8_or", 'r'}, {"macaddr8_out", 'r'}, {"macaddr8_recv", 'r'},
		{"macaddr8_send", 'r'}, {"macaddr8_set7bit", 'r'}, {"macaddr_and", 'r'}, {"macaddr_cmp", 'r'},
		{"macaddr_eq", 'r'}, {"macaddr_ge", 'r'}, {"macaddr_gt", 'r'}, {"macaddr_in", 'r'},
		{"macaddr_le", 'r'}, {"macaddr_lt", 'r'}, {"macaddr_ne", 'r'}, {"macaddr_not", 'r'},
		{"macaddr_or", 'r'}, {"macaddr_out", 'r'}, {"macaddr_recv", 'r'}, {"macaddr_send", 'r'},
		{"macaddr_sortsupport", 'r'}, {"make_date", 'r'}, {"make_interval", 'r'}, {"make_time", 'r'},
		{"make_timestamp", 'r'}, {"make_timestamptz", 'r'}, {"makeaclitem", 'r'}, {"masklen", 'r'},
		{"matchingjoinsel", 'r'}, {"matchingsel", 'r'}, {"max", 'r'}, {"md5", 'r'}, {"metaphone", 'r'},
		{"mic_to_big5", 'r'}, {"mic_to_euc_cn", 'r'}, {"mic_to_euc_jp", 'r'}, {"mic_to_euc_kr", 'r'},
		{"mic_to_euc_tw", 'r'}, {"mic_to_iso", 'r'}, {"mic_to_koi8r", 'r'}, {"mic_to_latin1", 'r'},
		{"mic_to_latin2", 'r'}, {"mic_to_latin3", 'r'}, {"mic_to_latin4", 'r'}, {"mic_to_sjis", 'r'},
		{"mic_to_win1250", 'r'}, {"mic_to_win1251", 'r'}, {"mic_to_win866", 'r'}, {"min", 'r'},
		{"min_scale", 'r'}, {"mod", 'r'}, {"mode", 'r'}, {"mode_final", 'r'}, {"money", 'r'},
		{"mul_d_interval", 'r'}, {"multirange", 'r'}, {"multirange_adjacent_multirange", 'r'},
		{"multirange_adjacent_range", 'r'}, {"multirange_after_multirange", 'r'},
		{"multirange_after_range", 'r'}, {"multirange_agg_finalfn", 'r'},
		{"multirange_agg_transfn", 'r'}, {"multirange_before_multirange", 'r'},
		{"multirange_before_range", 'r'}, {"multirange_cmp", 'r'},
		{"multirange_contained_by_multirange", 'r'}, {"multirange_contained_by_range", 'r'},
		{"multirange_contains_elem", 'r'}, {"multirange_contains_multirange", 'r'},
		{"multirange_contains_range", 'r'}, {"multirange_eq", 'r'}, {"multirange_ge", 'r'},
		{"multirange_gist_compress", 'r'}, {"multirange_gist_consistent", 'r'}, {"multirange_gt", 'r'},
		{"multirange_in", 'r'}, {"multirange_intersect", 'r'},
		{"multirange_intersect_agg_transfn", 'r'}, {"multirange_le", 'r'}, {"multirange_lt", 'r'},
		{"multirange_minus", 'r'}, {"multirange_ne", 'r'}, {"multirange_out", 'r'},
		{"multirange_overlaps_multirange", 'r'}, {"multirange_overlaps_range", 'r'},
		{"multirange_overleft_multirange", 'r'}, {"multirange_overleft_range", 'r'},
		{"multirange_overright_multirange", 'r'}, {"multirange_overright_range", 'r'},
		{"multirange_recv", 'r'}, {"multirange_send", 'r'}, {"multirange_typanalyze", 'r'},
		{"multirange_union", 'r'}, {"multirangesel", 'r'}, {"mxid_age", 'r'}, {"name", 'r'},
		{"nameconcatoid", 'r'}, {"nameeq", 'r'}, {"nameeqtext", 'r'}, {"namege", 'r'},
		{"namegetext", 'r'}, {"namegt", 'r'}, {"namegttext", 'r'}, {"nameiclike", 'r'},
		{"nameicnlike", 'r'}, {"nameicregexeq", 'r'}, {"nameicregexne", 'r'}, {"namein", 'r'},
		{"namele", 'r'}, {"nameletext", 'r'}, {"namelike", 'r'}, {"namelt", 'r'}, {"namelttext", 'r'},
		{"namene", 'r'}, {"namenetext", 'r'}, {"namenlike", 'r'}, {"nameout", 'r'}, {"namerecv", 'r'},
		{"nameregexeq", 'r'}, {"nameregexne", 'r'}, {"namesend", 'r'}, {"neqjoinsel", 'r'},
		{"neqsel", 'r'}, {"netmask", 'r'}, {"network", 'r'}, {"network_cmp", 'r'}, {"network_eq", 'r'},
		{"network_ge", 'r'}, {"network_gt", 'r'}, {"network_larger", 'r'}, {"network_le", 'r'},
		{"network_lt", 'r'}, {"network_ne", 'r'}, {"network_overlap", 'r'}, {"network_smaller", 'r'},
		{"network_sortsupport", 'r'}, {"network_sub", 'r'}, {"network_subeq", 'r'},
		{"network_subset_support", 'r'}, {"network_sup", 'r'}, {"network_supeq", 'r'},
		{"networkjoinsel", 'r'}, {"networksel", 'r'}, {"nextval", 'w'}, {"nlikejoinsel", 'r'},
		{"nlikesel", 'r'}, {"normalize", 'r'}, {"notlike", 'r'}, {"now", 'r'}, {"npoints", 'r'},
		{"nth_value", 'r'}, {"ntile", 'r'}, {"nullif", 'r'}, {"num_nonnulls", 'r'}, {"num_nulls", 'r'},
		{"numeric", 'r'}, {"numeric_abs", 'r'}, {"numeric_accum", 'r'}, {"numeric_accum_inv", 'r'},
		{"numeric_add", 'r'}, {"numeric_avg", 'r'}, {"numeric_avg_accum", 'r'},
		{"numeric_avg_combine", 'r'}, {"numeric_avg_deserialize", 'r'}, {"numeric_avg_serialize", 'r'},
		{"numeric_cmp", 'r'}, {"numeric_combine", 'r'}, {"numeric_deserialize", 'r'},
		{"numeric_div", 'r'}, {"numeric_div_trunc", 'r'}, {"numeric_eq", 'r'}, {"numeric_exp", 'r'},
		{"numeric_ge", 'r'}, {"numeric_gt", 'r'}, {"numeric_in", 'r'}, {"numeric_inc", 'r'},
		{"numeric_larger", 'r'}, {"numeric_le", 'r'}, {"numeric_ln", 'r'}, {"numeric_log", 'r'},
		{"numeric_lt", 'r'}, {"numeric_mod", 'r'}, {"numeric_mul", 'r'}, {"numeric_ne", 'r'},
		{"numeric_out", 'r'}, {"numeric_pl_pg_lsn", 'r'}, {"numeric_poly_avg", 'r'},
		{"numeric_poly_combine", 'r'}, {"numeric_poly_deserialize", 'r'},
		{"numeric_poly_serialize", 'r'}, {"numeric_poly_stddev_pop", 'r'},
		{"numeric_poly_stddev_samp", 'r'}, {"numeric_poly_sum", 'r'}, {"numeric_poly_var_pop", 'r'},
		{"numeric_poly_var_samp", 'r'}, {"numeric_power", 'r'}, {"numeric_recv", 'r'},
		{"numeric_send", 'r'}, {"numeric_serialize", 'r'}, {"numeric_smaller", 'r'},
		{"numeric_sortsupport", 'r'}, {"numeric_sqrt", 'r'}, {"numeric_stddev_pop", 'r'},
		{"numeric_stddev_samp", 'r'}, {"numeric_sub", 'r'}, {"numeric_sum", 'r'},
		{"numeric_support", 'r'}, {"numeric_uminus", 'r'}, {"numeric_uplus", 'r'},
		{"numeric_var_pop", 'r'}, {"numeric_var_samp", 'r'}, {"numerictypmodin", 'r'},
		{"numerictypmodout", 'r'}, {"nummultirange", 'r'}, {"numnode", 'r'}, {"numrange", 'r'},
		{"numrange_subdiff", 'r'}, {"obj_description", 'r'}, {"octet_length", 'r'}, {"oid", 'r'},
		{"oideq", 'r'}, {"oidge", 'r'}, {"oidgt", 'r'}, {"oidin", 'r'}, {"oidlarger", 'r'},
		{"oidle", 'r'}, {"oidlt", 'r'}, {"oidne", 'r'}, {"oidout", 'r'}, {"oidrecv", 'r'},
		{"oidsend", 'r'}, {"oidsmaller", 'r'}, {"oidvectoreq", 'r'}, {"oidvectorge", 'r'},
		{"oidvectorgt", 'r'}, {"oidvectorin", 'r'}, {"oidvectorle", 'r'}, {"oidvectorlt", 'r'},
		{"oidvectorne", 'r'}, {"oidvectorout", 'r'}, {"oidvectorrecv", 'r'}, {"oidvectorsend", 'r'},
		{"oidvectortypes", 'r'}, {"on_pb", 'r'}, {"on_pl", 'r'}, {"on_ppath", 'r'}, {"on_ps", 'r'},
		{"on_sb", 'r'}, {"on_sl", 'r'}, {"ordered_set_transition", 'r'},
		{"ordered_set_transition_multi", 'r'}, {"overlaps", 'r'}, {"overlay", 'r'},
		{"parse_ident", 'r'}, {"path", 'r'}, {"path_add", 'r'}, {"path_add_pt", 'r'},
		{"path_contain_pt", 'r'}, {"path_distance", 'r'}, {"path_div_pt", 'r'}, {"path_in", 'r'},
		{"path_inter", 'r'}, {"path_length", 'r'}, {"path_mul_pt", 'r'}, {"path_n_eq", 'r'},
		{"path_n_ge", 'r'}, {"path_n_gt", 'r'}, {"path_n_le", 'r'}, {"path_n_lt", 'r'},
		{"path_npoints", 'r'}, {"path_out", 'r'}, {"path_recv", 'r'}, {"path_send", 'r'},
		{"path_sub_pt", 'r'}, {"pclose", 'r'}, {"percent_rank", 'r'}, {"percent_rank_final", 'r'},
		{"percentile_cont", 'r'}, {"percentile_cont_float8_final", 'r'},
		{"percentile_cont_float8_multi_final", 'r'}, {"percentile_cont_interval_final", 'r'},
		{"percentile_cont_interval_multi_final", 'r'}, {"percentile_disc", 'r'},
		{"percentile_disc_final", 'r'}, {"percentile_disc_multi_final", 'r'},
		{"pg_advisory_lock", 'p'}, {"pg_advisory_lock_shared", 'p'}, {"pg_advisory_unlock", 'w'},
		{"pg_advisory_unlock_all", 'w'}, {"pg_advisory_unlock_shared", 'w'},
		{"pg_advisory_xact_lock", 'w'}, {"pg_advisory_xact_lock_shared", 'w'},
		{"pg_available_extension_versions", 'r'}, {"pg_available_extensions", 'r'},
		{"pg_backend_pid", 'r'}, {"pg_backup_start", 'w'}, {"pg_backup_stop", 'w'},
		{"pg_blocking_pids", 'r'}, {"pg_cancel_backend", 'w'}, {"pg_char_to_encoding", 'r'},
		{"pg_client_encoding", 'r'}, {"pg_collation_actual_version", 'r'}, {"pg_collation_for", 'r'},
		{"pg_collation_is_visible", 'r'}, {"pg_column_compression", 'r'},
		{"pg_column_is_updatable", 'r'}, {"pg_column_size", 'r'}, {"pg_conf_load_time", 'r'},
		{"pg_config", 'r'}, {"pg_control_checkpoint", 'r'}, {"pg_control_init", 'r'},
		{"pg_control_recovery", 'r'}, {"pg_control_system", 'r'}, {"pg_conversion_is_visible", 'r'},
		{"pg_copy_logical_replication_slot", 'w'}, {"pg_copy_physical_replication_slot", 'w'},
		{"pg_create_logical_replication_slot", 'w'}, {"pg_create_physical_replication_slot", 'w'},
		{"pg_create_restore_point", 'w'}, {"pg_current_logfile", 'r'}, {"pg_current_snapshot", 'r'},
		{"pg_current_wal_flush_lsn", 'w'}, {"pg_current_wal_insert_lsn", 'w'},
		{"pg_current_wal_lsn", 'w'}, {"pg_current_xact_id", 'w'},
		{"pg_current_xact_id_if_assigned", 'w'}, {"pg_current_xlog_insert_location", 'w'},
		{"pg_current_xlog_location", 'w'}, {"pg_cursor", 'r'},
		{"pg_database_collation_actual_version", 'r'}, {"pg_database_size", 'r'},
		{"pg_ddl_command_in", 'r'}, {"pg_ddl_command_out", 'r'}, {"pg_ddl_command_recv", 'r'},
		{"pg_ddl_command_send", 'r'}, {"pg_dependencies_in", 'r'}, {"pg_dependencies_out", 'r'},
		{"pg_dependencies_recv", 'r'}, {"pg_dependencies_send", 'r'}, {"pg_describe_object", 'r'},
		{"pg_drop_replication_slot", 'w'}, {"pg_encoding_max_length", 'r'},
		{"pg_encoding_to_char", 'r'}, {"pg_event_trigger_ddl_commands", 'r'},
		{"pg_event_trigger_dropped_objects", 'r'}, {"pg_event_trigger_table_rewrite_oid", 'r'},
		{"pg_event_trigger_table_rewrite_reason", 'r'}, {"pg_export_snapshot", 'w'},
		{"pg_extension_config_dump", 'w'}, {"pg_extension_update_paths", 'r'}, {"pg_file_rename", 'w'},
		{"pg_file_sync", 'w'}, {"pg_file_unlink", 'w'}, {"pg_file_write", 'w'},
		{"pg_filenode_relation", 'r'}, {"pg_function_is_visible", 'r'},
		{"pg_get_backend_memory_contexts", 'r'}, {"pg_get_catalog_foreign_keys", 'r'},
		{"pg_get_constraintdef", 'r'}, {"pg_get_expr", 'r'}, {"pg_get_function_arg_default", 'r'},
		{"pg_get_function_arguments", 'r'}, {"pg_get_function_identity_arguments", 'r'},
		{"pg_get_function_result", 'r'}, {"pg_get_function_sqlbody", 'r'}, {"pg_get_functiondef", 'r'},
		{"pg_get_indexdef", 'r'}, {"pg_get_keywords", 'r'}, {"pg_get_multixact_members", 'r'},
		{"pg_get_object_address", 'r'}, {"pg_get_partition_constraintdef", 'r'},
		{"pg_get_partkeydef", 'r'}, {"pg_get_publication_tables", 'r'},
		{"pg_get_replica_identity_index", 'r'}, {"pg_get_replication_slots", 'r'},
		{"pg_get_ruledef", 'r'}, {"pg_get_serial_sequence", 'r'}, {"pg_get_shmem_allocations", 'r'},
		{"pg_get_statisticsobjdef", 'r'}, {"pg_get_statisticsobjdef_columns", 'r'},
		{"pg_get_statisticsobjdef_expressions", 'r'}, {"pg_get_triggerdef", 'r'},
		{"pg_get_userbyid", 'r'}, {"pg_get_viewdef", 'r'}, {"pg_get_wal_replay_pause_state", 'r'},
		{"pg_get_wal_resource_managers", 'r'}, {"pg_has_role", 'r'}, {"pg_hba_file_rules", 'r'},
		{"pg_ident_file_mappings", 'r'}, {"pg_identify_object", 'r'},
		{"pg_identify_object_as_address", 'r'}, {"pg_import_system_collations", 'w'},
		{"pg_index_column_has_property", 'r'}, {"pg_index_has_property", 'r'},
		{"pg_indexam_has_property", 'r'}, {"pg_indexam_progress_phasename", 'r'},
		{"pg_indexes_size", 'r'}, {"pg_is_in_recovery", 'r'}, {"pg_is_other_temp_schema", 'r'},
		{"pg_is_wal_replay_paused", 'r'}, {"pg_isolation_test_session_is_blocked", 'r'},
		{"pg_jit_available", 'r'}, {"pg_last_committed_xact", 'r'}, {"pg_last_wal_receive_lsn", 'r'},
		{"pg_last_wal_replay_lsn", 'r'}, {"pg_last_xact_replay_timestamp", 'r'},
		{"pg_listening_channels", 'r'}, {"pg_lock_status", 'r'},
		{"pg_log_backend_memory_contexts", 'w'}, {"pg_logdir_ls", 'w'},
		{"pg_logical_emit_message", 'w'}, {"pg_logical_slot_get_binary_changes", 'w'},
		{"pg_logical_slot_get_changes", 'w'}, {"pg_logical_slot_peek_binary_changes", 'w'},
		{"pg_logical_slot_peek_changes", 'w'}, {"pg_ls_archive_statusdir", 'r'}, {"pg_ls_dir", 'r'},
		{"pg_ls_logdir", 'r'}, {"pg_ls_logicalmapdir", 'r'}, {"pg_ls_logicalsnapdir", 'r'},
		{"pg_ls_replslotdir", 'r'}, {"pg_ls_tmpdir", 'r'}, {"pg_ls_waldir", 'r'}, {"pg_lsn", 'r'},
		{"pg_lsn_cmp", 'r'}, {"pg_lsn_eq", 'r'}, {"pg_lsn_ge", 'r'}, {"pg_lsn_gt", 'r'},
		{"pg_lsn_hash", 'r'}, {"pg_lsn_hash_extended", 'r'}, {"pg_lsn_in", 'r'},
		{"pg_lsn_larger", 'r'}, {"pg_lsn_le", 'r'}, {"pg_lsn_lt", 'r'}, {"pg_lsn_mi", 'r'},
		{"pg_lsn_mii", 'r'}, {"pg_lsn_ne", 'r'}, {"pg_lsn_out", 'r'}, {"pg_lsn_pli", 'r'},
		{"pg_lsn_recv", 'r'}, {"pg_lsn_send", 'r'}, {"pg_lsn_smaller", 'r'}, {"pg_mcv_list_in", 'r'},
		{"pg_mcv_list_items", 'r'}, {"pg_mcv_list_out", 'r'}, {"pg_mcv_list_recv", 'r'},
		{"pg_mcv_list_send", 'r'}, {"pg_my_temp_schema", 'r'}, {"pg_ndistinct_in", 'r'},
		{"pg_ndistinct_out", 'r'}, {"pg_ndistinct_recv", 'r'}, {"pg_ndistinct_send", 'r'},
		{"pg_nextoid", 'w'}, {"pg_node_tree_in", 'r'}, {"pg_node_tree_out", 'r'},
		{"pg_node_tree_recv", 'r'}, {"pg_node_tree_send", 'r'}, {"pg_notification_queue_usage", 'r'},
		{"pg_notify", 'w'}, {"pg_opclass_is_visible", 'r'}, {"pg_operator_is_visible", 'r'},
		{"pg_opfamily_is_visible", 'r'}, {"pg_options_to_table", 'r'}, {"pg_partition_ancestors", 'r'},
		{"pg_partition_root", 'r'}, {"pg_partition_tree", 'r'}, {"pg_postmaster_start_time", 'r'},
		{"pg_prepared_statement", 'r'}, {"pg_prepared_xact", 'r'}, {"pg_promote", 'w'},
		{"pg_read_binary_file", 'r'}, {"pg_read_file", 'r'}, {"pg_read_file_old", 'r'},
		{"pg_relation_filenode", 'r'}, {"pg_relation_filepath", 'r'},
		{"pg_relation_is_publishable", 'r'}, {"pg_relation_is_updatable", 'r'},
		{"pg_relation_size", 'r'}, {"pg_reload_conf", 'w'}, {"pg_replication_origin_advance", 'w'},
		{"pg_replication_origin_create", 'w'}, {"pg_replication_origin_drop", 'w'},
		{"pg_replication_origin_oid", 'r'}, {"pg_replication_origin_progress", 'w'},
		{"pg_replication_origin_session_is_setup", 'w'},
		{"pg_replication_origin_session_progress", 'w'}, {"pg_replication_origin_session_reset", 'w'},
		{"pg_replication_origin_session_setup", 'w'}, {"pg_replication_origin_xact_reset", 'w'},
		{"pg_replication_origin_xact_setup", 'w'}, {"pg_replication_slot_advance", 'w'},
		{"pg_rotate_logfile", 'w'}, {"pg_rotate_logfile_old", 'w'},
		{"pg_safe_snapshot_blocking_pids", 'r'}, {"pg_sequence_last_value", 'r'},
		{"pg_sequence_parameters", 'r'}, {"pg_settings_get_flags", 'r'},
		{"pg_show_all_file_settings", 'r'}, {"pg_show_all_settings", 'r'},
		{"pg_show_replication_origin_status", 'r'}, {"pg_size_bytes", 'r'}, {"pg_size_pretty", 'r'},
		{"pg_sleep", 'r'}, {"pg_sleep_for", 'r'}, {"pg_sleep_until", 'r'}, {"pg_snapshot_in", 'r'},
		{"pg_snapshot_out", 'r'}, {"pg_snapshot_recv", 'r'}, {"pg_snapshot_send", 'r'},
		{"pg_snapshot_xip", 'r'}, {"pg_snapshot_xmax", 'r'}, {"pg_snapshot_xmin", 'r'},
		{"pg_start_backup", 'w'}, {"pg_stat_clear_snapshot", 'r'}, {"pg_stat_file", 'r'},
		{"pg_stat_force_next_flush", 'r'}, {"pg_stat_get_activity", 'r'},
		{"pg_stat_get_analyze_count", 'r'}, {"pg_stat_get_archiver", 'r'},
		{"pg_stat_get_autoanalyze_count", 'r'}, {"pg_stat_get_autovacuum_count", 'r'},
		{"pg_stat_get_backend_activity", 'r'}, {"pg_stat_get_backend_activity_start", 'r'},
		{"pg_stat_get_backend_client_addr", 'r'}, {"pg_stat_get_backend_client_port", 'r'},
		{"pg_stat_get_backend_dbid", 'r'}, {"pg_stat_get_backend_idset", 'r'},
		{"pg_stat_get_backend_pid", 'r'}, {"pg_stat_get_backend_start", 'r'},
		{"pg_stat_get_backend_userid", 'r'}, {"pg_stat_get_backend_wait_event", 'r'},
		{"pg_stat_get_backend_wait_event_type", 'r'}, {"pg_stat_get_backend_xact_start", 'r'},
		{"pg_stat_get_bgwriter_buf_written_checkpoints", 'r'},
		{"pg_stat_get_bgwriter_buf_written_clean", 'r'},
		{"pg_stat_get_bgwriter_maxwritten_clean", 'r'},
		{"pg_stat_get_bgwriter_requested_checkpoints", 'r'},
		{"pg_stat_get_bgwriter_stat_reset_time", 'r'}, {"pg_stat_get_bgwriter_timed_checkpoints", 'r'},
		{"pg_stat_get_blocks_fetched", 'r'}, {"pg_stat_get_blocks_hit", 'r'},
		{"pg_stat_get_buf_alloc", 'r'}, {"pg_stat_get_buf_fsync_backend", 'r'},
		{"pg_stat_get_buf_written_backend", 'r'}, {"pg_stat_get_checkpoint_sync_time", 'r'},
		{"pg_stat_get_checkpoint_write_time", 'r'}, {"pg_stat_get_db_active_time", 'r'},
		{"pg_stat_get_db_blk_read_time", 'r'}, {"pg_stat_get_db_blk_write_time", 'r'},
		{"pg_stat_get_db_blocks_fetched", 'r'}, {"pg_stat_get_db_blocks_hit", 'r'},
		{"pg_stat_get_db_checksum_failures", 'r'}, {"pg_stat_get_db_checksum_last_failure", 'r'},
		{"pg_stat_get_db_conflict_all", 'r'}, {"pg_stat_get_db_conflict_bufferpin", 'r'},
		{"pg_stat_get_db_conflict_lock", 'r'}, {"pg_stat_get_db_conflict_snapshot", 'r'},
		{"pg_stat_get_db_conflict_startup_deadlock", 'r'}, {"pg_stat_get_db_conflict_tablespace", 'r'},
		{"pg_stat_get_db_deadlocks", 'r'}, {"pg_stat_get_db_idle_in_transaction_time", 'r'},
		{"pg_stat_get_db_numbackends", 'r'}, {"pg_stat_get_db_session_time", 'r'},
		{"pg_stat_get_db_sessions", 'r'}, {"pg_stat_get_db_sessions_abandoned", 'r'},
		{"pg_stat_get_db_sessions_fatal", 'r'}, {"pg_stat_get_db_sessions_killed", 'r'},
		{"pg_stat_get_db_stat_reset_time", 'r'}, {"pg_stat_get_db_temp_bytes", 'r'},
		{"pg_stat_get_db_temp_files", 'r'}, {"pg_stat_get_db_tuples_deleted", 'r'},
		{"pg_stat_get_db_tuples_fetched", 'r'}, {"pg_stat_get_db_tuples_inserted", 'r'},
		{"pg_stat_get_db_tuples_returned", 'r'}, {"pg_stat_get_db_tuples_updated", 'r'},
		{"pg_stat_get_db_xact_commit", 'r'}, {"pg_stat_get_db_xact_rollback", 'r'},
		{"pg_stat_get_dead_tuples", 'r'}, {"pg_stat_get_function_calls", 'r'},
		{"pg_stat_get_function_self_time", 'r'}, {"pg_stat_get_function_total_time", 'r'},
		{"pg_stat_get_ins_since_vacuum", 'r'}, {"pg_stat_get_last_analyze_time", 'r'},
		{"pg_stat_get_last_autoanalyze_time", 'r'}, {"pg_stat_get_last_autovacuum_time", 'r'},
		{"pg_stat_get_last_vacuum_time", 'r'}, {"pg_stat_get_live_tuples", 'r'},
		{"pg_stat_get_mod_since_analyze", 'r'}, {"pg_stat_get_numscans", 'r'},
		{"pg_stat_get_progress_info", 'r'}, {"pg_stat_get_recovery_prefetch", 'r'},
		{"pg_stat_get_replication_slot", 'r'}, {"pg_stat_get_slru", 'r'},
		{"pg_stat_get_snapshot_timestamp", 'r'}, {"pg_stat_get_subscription", 'r'},
		{"pg_stat_get_subscription_stats", 'r'}, {"pg_stat_get_tuples_deleted", 'r'},
		{"pg_stat_get_tuples_fetched", 'r'}, {"pg_stat_get_tuples_hot_updated", 'r'},
		{"pg_stat_get_tuples_inserted", 'r'}, {"pg_stat_get_tuples_returned", 'r'},
		{"pg_stat_get_tuples_updated", 'r'}, {"pg_stat_get_vacuum_count", 'r'},
		{"pg_stat_get_wal", 'r'}, {"pg_stat_get_wal_receiver", 'r'}, {"pg_stat_get_wal_senders", 'r'},
		{"pg_stat_get_xact_blocks_fetched", 'r'}, {"pg_stat_get_xact_blocks_hit", 'r'},
		{"pg_stat_get_xact_function_calls", 'r'}, {"pg_stat_get_xact_function_self_time", 'r'},
		{"pg_stat_get_xact_function_total_time", 'r'}, {"pg_stat_get_xact_numscans", 'r'},
		{"pg_stat_get_xact_tuples_deleted", 'r'}, {"pg_stat_get_xact_tuples_fetched", 'r'},
		{"pg_stat_get_xact_tuples_hot_updated", 'r'}, {"pg_stat_get_xact_tuples_inserted", 'r'},
		{"pg_stat_get_xact_tuples_returned", 'r'}, {"pg_stat_get_xact_tuples_updated", 'r'},
		{"pg_stat_have_stats", 'r'}, {"pg_stat_reset", 'w'}, {"pg_stat_reset_replication_slot", 'w'},
		{"pg_stat_reset_shared", 'w'}, {"pg_stat_reset_single_function_counters", 'w'},
		{"pg_stat_reset_single_table_counters", 'w'}, {"pg_stat_reset_slru", 'w'},
		{"pg_stat_reset_subscription_stats", 'w'}, {"pg_stat_statements", 'r'},
		{"pg_stat_statements_info", 'r'}, {"pg_stat_statements_reset", 'w'},
		{"pg_statistics_obj_is_visible", 'r'}, {"pg_stop_backup", 'w'},
		{"pg_stop_making_pinned_objects", 'w'}, {"pg_switch_wal", 'w'}, {"pg_switch_xlog", 'w'},
		{"pg_table_is_visible", 'r'}, {"pg_table_size", 'r'}, {"pg_tablespace_databases", 'r'},
		{"pg_tablespace_location", 'r'}, {"pg_tablespace_size", 'r'}, {"pg_terminate_backend", 'w'},
		{"pg_timezone_abbrevs", 'r'}, {"pg_timezone_names", 'r'}, {"pg_total_relation_size", 'r'},
		{"pg_trigger_depth", 'r'}, {"pg_try_advisory_lock", 'p'}, {"pg_try_advisory_lock_shared", 'p'},
		{"pg_try_advisory_xact_lock", 'w'}, {"pg_try_advisory_xact_lock_shared", 'w'},
		{"pg_ts_config_is_visible", 'r'}, {"pg_ts_dict_is_visible", 'r'},
		{"pg_ts_parser_is_visible", 'r'}, {"pg_ts_template_is_visible", 'r'},
		{"pg_type_is_visible", 'r'}, {"pg_typeof", 'r'}, {"pg_visible_in_snapshot", 'r'},
		{"pg_wal_lsn_diff", 'r'}, {"pg_wal_replay_pause", 'v'}, {"pg_wal_replay_resume", 'v'},
		{"pg_walfile_name", 'r'}, {"pg_walfile_name_offset", 'r'}, {"pg_xact_commit_timestamp", 'r'},
		{"pg_xact_commit_timestamp_origin", 'r'}, {"pg_xact_status", 'r'}, {"pgp_pub_decrypt", 'r'},
		{"pgp_pub_encrypt", 'r'}, {"pgp_sym_decrypt", 'r'}, {"pgp_sym_encrypt", 'r'},
		{"phraseto_tsquery", 'r'}, {"pi", 'r'}, {"plainto_tsquery", 'r'}, {"point", 'r'},
		{"point_above", 'r'}, {"point_add", 'r'}, {"point_below", 'r'}, {"point_distance", 'r'},
		{"point_div", 'r'}, {"point_eq", 'r'}, {"point_horiz", 'r'}, {"point_in", 'r'},
		{"point_left", 'r'}, {"point_mul", 'r'}, {"point_ne", 'r'}, {"point_out", 'r'},
		{"point_recv", 'r'}, {"point_right", 'r'}, {"point_send", 'r'}, {"point_sub", 'r'},
		{"point_vert", 'r'}, {"poly_above", 'r'}, {"poly_below", 'r'}, {"poly_center", 'r'},
		{"poly_contain", 'r'}, {"poly_contain_pt", 'r'}, {"poly_contained", 'r'},
		{"poly_distance", 'r'}, {"poly_in", 'r'}, {"poly_left", 'r'}, {"poly_npoints", 'r'},
		{"poly_out", 'r'}, {"poly_overabove", 'r'}, {"poly_overbelow", 'r'}, {"poly_overlap", 'r'},
		{"poly_overleft", 'r'}, {"poly_overright", 'r'}, {"poly_recv", 'r'}, {"poly_right", 'r'},
		{"poly_same", 'r'}, {"poly_send", 'r'}, {"polygon", 'r'}, {"popen", 'r'}, {"position", 'r'},
		{"positionjoinsel", 'r'}, {"positionsel", 'r'}, {"postgresql_fdw_validator", 'r'},
		{"pow", 'r'}, {"power", 'r'}, {"prefixjoinsel", 'r'}, {"prefixsel", 'r'}, {"prsd_end", 'r'},
		{"prsd_headline", 'r'}, {"prsd_lextype", 'r'}, {"prsd_nexttoken", 'r'}, {"prsd_start", 'r'},
		{"pt_contained_circle", 'r'}, {"pt_contained_poly", 'r'}, {"query_to_xml", 'v'},
		{"query_to_xml_and_xmlschema", 'v'}, {"query_to_xmlschema", 'v'}, {"querytree", 'r'},
		{"quote_ident", 'r'}, {"quote_literal", 'r'}, {"quote_nullable", 'r'}, {"radians", 'r'},
		{"radius", 'r'}, {"random", 'r'}, {"range_adjacent", 'r'}, {"range_adjacent_multirange", 'r'},
		{"range_after", 'r'}, {"range_after_multirange", 'r'}, {"range_agg", 'r'},
		{"range_agg_finalfn", 'r'}, {"range_agg_transfn", 'r'}, {"range_before", 'r'},
		{"range_before_multirange", 'r'}, {"range_cmp", 'r'}, {"range_contained_by", 'r'},
		{"range_contained_by_multirange", 'r'}, {"range_contains", 'r'}, {"range_contains_elem", 'r'},
		{"range_contains_multirange", 'r'}, {"range_eq", 'r'}, {"range_ge", 'r'},
		{"range_gist_consistent", 'r'}, {"range_gist_penalty", 'r'}, {"range_gist_picksplit", 'r'},
		{"range_gist_same", 'r'}, {"range_gist_union", 'r'}, {"range_gt", 'r'}, {"range_in", 'r'},
		{"range_intersect", 'r'}, {"range_intersect_agg", 'r'}, {"range_intersect_agg_transfn", 'r'},
		{"range_le", 'r'}, {"range_lt", 'r'}, {"range_merge", 'r'}, {"range_minus", 'r'},
		{"range_ne", 'r'}, {"range_out", 'r'}, {"range_overlaps", 'r'},
		{"range_overlaps_multirange", 'r'}, {"range_overleft", 'r'},
		{"range_overleft_multirange", 'r'}, {"range_overright", 'r'},
		{"range_overright_multirange", 'r'}, {"range_recv", 'r'}, {"range_send", 'r'},
		{"range_typanalyze", 'r'}, {"range_union", 'r'}, {"rangesel", 'r'}, {"rank", 'r'},
		{"rank_final", 'r'}, {"raw_array_subscript_handler", 'r'}, {"record_eq", 'r'},
		{"record_ge", 'r'}, {"record_gt", 'r'}, {"record_image_eq", 'r'}, {"record_image_ge", 'r'},
		{"record_image_gt", 'r'}, {"record_image_le", 'r'}, {"record_image_lt", 'r'},
		{"record_image_ne", 'r'}, {"record_in", 'r'}, {"record_le", 'r'}, {"record_lt", 'r'},
		{"record_ne", 'r'}, {"record_out", 'r'}, {"record_recv", 'r'}, {"record_send", 'r'},
		{"regclass", 'r'}, {"regclassin", 'r'}, {"regclassout", 'r'}, {"regclassrecv", 'r'},
		{"regclasssend", 'r'}, {"regcollationin", 'r'}, {"regcollationout", 'r'},
		{"regcollationrecv", 'r'}, {"regcollationsend", 'r'}, {"regconfigin", 'r'},
		{"regconfigout", 'r'}, {"regconfigrecv", 'r'}, {"regconfigsend", 'r'},
		{"regdictionaryin", 'r'}, {"regdictionaryout", 'r'}, {"regdictionaryrecv", 'r'},
		{"regdictionarysend", 'r'}, {"regexeqjoinsel", 'r'}, {"regexeqsel", 'r'},
		{"regexnejoinsel", 'r'}, {"regexnesel", 'r'}, {"regexp_count", 'r'}, {"regexp_instr", 'r'},
		{"regexp_like", 'r'}, {"regexp_match", 'r'}, {"regexp_matches", 'r'}, {"regexp_replace", 'r'},
		{"regexp_split_to_array", 'r'}, {"regexp_split_to_table", 'r'}, {"regexp_substr", 'r'},
		{"regnamespacein", 'r'}, {"regnamespaceout", 'r'}, {"regnamespacerecv", 'r'},
		{"regnamespacesend", 'r'}, {"regoperatorin", 'r'}, {"regoperatorout", 'r'},
		{"regoperatorrecv", 'r'}, {"regoperatorsend", 'r'}, {"regoperin", 'r'}, {"regoperout", 'r'},
		{"regoperrecv", 'r'}, {"regopersend", 'r'}, {"regprocedurein", 'r'}, {"regprocedureout", 'r'},
		{"regprocedurerecv", 'r'}, {"regproceduresend", 'r'}, {"regprocin", 'r'}, {"regprocout", 'r'},
		{"regprocrecv", 'r'}, {"regprocsend", 'r'}, {"regr_avgx", 'r'}, {"regr_avgy", 'r'},
		{"regr_count", 'r'}, {"regr_intercept", 'r'}, {"regr_r2", 'r'}, {"regr_slope", 'r'},
		{"regr_sxx", 'r'}, {"regr_sxy", 'r'}, {"regr_syy", 'r'}, {"regrolein", 'r'},
		{"regroleout", 'r'}, {"regrolerecv", 'r'}, {"regrolesend", 'r'}, {"regtypein", 'r'},
		{"regtypeout", 'r'}, {"regtyperecv", 'r'}, {"regtypesend", 'r'}, {"repeat", 'r'},
		{"replace", 'r'}, {"reverse", 'r'}, {"right", 'r'}, {"rollup", 'r'}, {"round", 'r'},
		{"row_number", 'r'}, {"row_security_active", 'r'}, {"row_to_json", 'r'}, {"rpad", 'r'},
		{"rtrim", 'r'}, {"satisfies_hash_partition", 'r'}, {"scalargejoinsel", 'r'},
		{"scalargesel", 'r'}, {"scalargtjoinsel", 'r'}, {"scalargtsel", 'r'}, {"scalarlejoinsel", 'r'},
		{"scalarlesel", 'r'}, {"scalarltjoinsel", 'r'}, {"scalarltsel", 'r'}, {"scale", 'r'},
		{"schema_to_xml", 'r'}, {"schema_to_xml_and_xmlschema", 'r'}, {"schema_to_xmlschema", 'r'},
		{"session_user", 'r'}, {"set_bit", 'r'}, {"set_byte", 'r'}, {"set_config", 'p'},
		{"set_masklen", 'r'}, {"setseed", 'p'}, {"setval", 'w'}, {"setweight", 'r'}, {"sha224", 'r'},
		{"sha256", 'r'}, {"sha384", 'r'}, {"sha512", 'r'}, {"shell_in", 'r'}, {"shell_out", 'r'},
		{"shift_jis_2004_to_euc_jis_2004", 'r'}, {"shift_jis_2004_to_utf8", 'r'},
		{"shobj_description", 'r'}, {"show_limit", 'r'}, {"show_trgm", 'r'}, {"sign", 'r'},
		{"similar_escape", 'r'}, {"similar_to_escape", 'r'}, {"similarity", 'r'}, {"sin", 'r'},
		{"sind", 'r'}, {"sinh", 'r'}, {"sjis_to_euc_jp", 'r'}, {"sjis_to_mic", 'r'},
		{"sjis_to_utf8", 'r'}, {"skeys", 'r'}, {"slope", 'r'}, {"soundex", 'r'},
		{"spg_bbox_quad_config", 'r'}, {"spg_box_quad_choose", 'r'}, {"spg_box_quad_config", 'r'},
		{"spg_box_quad_inner_consistent", 'r'}, {"spg_box_quad_leaf_consistent", 'r'},
		{"spg_box_quad_picksplit", 'r'}, {"spg_kd_choose", 'r'}, {"spg_kd_config", 'r'},
		{"spg_kd_inner_consistent", 'r'}, {"spg_kd_picksplit", 'r'}, {"spg_poly_quad_compress", 'r'},
		{"spg_quad_choose", 'r'}, {"spg_quad_config", 'r'}, {"spg_quad_inner_consistent", 'r'},
		{"spg_quad_leaf_consistent", 'r'}, {"spg_quad_picksplit", 'r'}, {"spg_range_quad_choose", 'r'},
		{"spg_range_quad_config", 'r'}, {"spg_range_quad_inner_consistent", 'r'},
		{"spg_range_quad_leaf_consistent", 'r'}, {"spg_range_quad_picksplit", 'r'},
		{"spg_text_choose", 'r'}, {"spg_text_config", 'r'}, {"spg_text_inner_consistent", 'r'},
		{"spg_text_leaf_consistent", 'r'}, {"spg_text_picksplit", 'r'}, {"spghandler", 'v'},
		{"split_part", 'r'}, {"sqrt", 'r'}, {"starts_with", 'r'}, {"statement_timestamp", 'r'},
		{"stddev", 'r'}, {"stddev_pop", 'r'}, {"stddev_samp", 'r'}, {"strict_word_similarity", 'r'},
		{"string_agg", 'r'}, {"string_agg_finalfn", 'r'}, {"string_agg_transfn", 'r'},
		{"string_to_array", 'r'}, {"string_to_table", 'r'}, {"strip", 'r'}, {"strpos", 'r'},
		{"substr", 'r'}, {"substring", 'r'}, {"sum", 'r'}, {"suppress_redundant_updates_trigger", 'v'},
		{"svals", 'r'}, {"system", 'r'}, {"system_user", 'r'}, {"table_am_handler_in", 'r'},
		{"table_am_handler_out", 'r'}, {"table_to_xml", 'r'}, {"table_to_xml_and_xmlschema", 'r'},
		{"table_to_xmlschema", 'r'}, {"tan", 'r'}, {"tand", 'r'}, {"tanh", 'r'}, {"text", 'r'},
		{"text_ge", 'r'}, {"text_gt", 'r'}, {"text_larger", 'r'}, {"text_le", 'r'}, {"text_lt", 'r'},
		{"text_pattern_ge", 'r'}, {"text_pattern_gt", 'r'}, {"text_pattern_le", 'r'},
		{"text_pattern_lt", 'r'}, {"text_smaller", 'r'}, {"text_starts_with_support", 'r'},
		{"textanycat", 'r'}, {"textcat", 'r'}, {"texteq", 'r'}, {"texteqname", 'r'},
		{"textgename", 'r'}, {"textgtname", 'r'}, {"texticlike", 'r'}, {"texticlike_support", 'r'},
		{"texticnlike", 'r'}, {"texticregexeq", 'r'}, {"texticregexeq_support", 'r'},
		{"texticregexne", 'r'}, {"textin", 'r'}, {"textlen", 'r'}, {"textlename", 'r'},
		{"textlike", 'r'}, {"textlike_support", 'r'}, {"textltname", 'r'}, {"textne", 'r'},
		{"textnename", 'r'}, {"textnlike", 'r'}, {"textout", 'r'}, {"textrecv", 'r'},
		{"textregexeq", 'r'}, {"textregexeq_support", 'r'}, {"textregexne", 'r'}, {"textsend", 'r'},
		{"thesaurus_init", 'r'}, {"thesaurus_lexize", 'r'}, {"tideq", 'r'}, {"tidge", 'r'},
		{"tidgt", 'r'}, {"tidin", 'r'}, {"tidlarger", 'r'}, {"tidle", 'r'}, {"tidlt", 'r'},
		{"tidne", 'r'}, {"tidout", 'r'}, {"tidrecv", 'r'}, {"tidsend", 'r'}, {"tidsmaller", 'r'},
		{"time", 'r'}, {"time_cmp", 'r'}, {"time_eq", 'r'}, {"time_ge", 'r'}, {"time_gt", 'r'},
		{"time_hash", 'r'}, {"time_hash_extended", 'r'}, {"time_in", 'r'}, {"time_larger", 'r'},
		{"time_le", 'r'}, {"time_lt", 'r'}, {"time_mi_interval", 'r'}, {"time_mi_time", 'r'},
		{"time_ne", 'r'}, {"time_out", 'r'}, {"time_pl_interval", 'r'}, {"time_recv", 'r'},
		{"time_send", 'r'}, {"time_smaller", 'r'}, {"time_support", 'r'}, {"timedate_pl", 'r'},
		{"timeofday", 'r'}, {"timestamp", 'r'}, {"timestamp_cmp", 'r'}, {"timestamp_cmp_date", 'r'},
		{"timestamp_cmp_timestamptz", 'r'}, {"timestamp_eq", 'r'}, {"timestamp_eq_date", 'r'},
		{"timestamp_eq_timestamptz", 'r'}, {"timestamp_ge", 'r'}, {"timestamp_ge_date", 'r'},
		{"timestamp_ge_timestamptz", 'r'}, {"timestamp_gt", 'r'}, {"timestamp_gt_date", 'r'},
		{"timestamp_gt_timestamptz", 'r'}, {"timestamp_hash", 'r'}, {"timestamp_hash_extended", 'r'},
		{"timestamp_in", 'r'}, {"timestamp_larger", 'r'}, {"timestamp_le", 'r'},
		{"timestamp_le_date", 'r'}, {"timestamp_le_timestamptz", 'r'}, {"timestamp_lt", 'r'},
		{"timestamp_lt_date", 'r'}, {"timestamp_lt_timestamptz", 'r'}, {"timestamp_mi", 'r'},
		{"timestamp_mi_interval", 'r'}, {"timestamp_ne", 'r'}, {"timestamp_ne_date", 'r'},
		{"timestamp_ne_timestamptz", 'r'}, {"timestamp_out", 'r'}, {"timestamp_pl_interval", 'r'},
		{"timestamp_recv", 'r'}, {"timestamp_send", 'r'}, {"timestamp_smaller", 'r'},
		{"timestamp_sortsupport", 'r'}, {"timestamp_support", 'r'}, {"timestamptypmodin", 'r'},
		{"timestamptypmodout", 'r'}, {"timestamptz", 'r'}, {"timestamptz_cmp", 'r'},
		{"timestamptz_cmp_date", 'r'}, {"timestamptz_cmp_timestamp", 'r'}, {"timestamptz_eq", 'r'},
		{"timestamptz_eq_date", 'r'}, {"timestamptz_eq_timestamp", 'r'}, {"timestamptz_ge", 'r'},
		{"timestamptz_ge_date", 'r'}, {"timestamptz_ge_timestamp", 'r'}, {"timestamptz_gt", 'r'},
		{"timestamptz_gt_date", 'r'}, {"timestamptz_gt_timestamp", 'r'}, {"timestamptz_in", 'r'},
		{"timestamptz_larger", 'r'}, {"timestamptz_le", 'r'}, {"timestamptz_le_date", 'r'},
		{"timestamptz_le_timestamp", 'r'}, {"timestamptz_lt", 'r'}, {"timestamptz_lt_date", 'r'},
		{"timestamptz_lt_timestamp", 'r'}, {"timestamptz_mi", 'r'}, {"timestamptz_mi_interval", 'r'},
		{"timestamptz_ne", 'r'}, {"timestamptz_ne_date", 'r'}, {"timestamptz_ne_timestamp", 'r'},
		{"timestamptz_out", 'r'}, {"timestamptz_pl_interval", 'r'}, {"timestamptz_recv", 'r'},
		{"timestamptz_send", 'r'}, {"timestamptz_smaller", 'r'}, {"timestamptztypmodin", 'r'},
		{"timestamptztypmodout", 'r'}, {"timetypmodin", 'r'}, {"timetypmodout", 'r'}, {"timetz", 'r'},
		{"timetz_cmp", 'r'}, {"timetz_eq", 'r'}, {"timetz_ge", 'r'}, {"timetz_gt", 'r'},
		{"timetz_hash", 'r'}, {"timetz_hash_extended", 'r'}, {"timetz_in", 'r'},
		{"timetz_larger", 'r'}, {"timetz_le", 'r'}, {"timetz_lt", 'r'}, {"timetz_mi_interval", 'r'},
		{"timetz_ne", 'r'}, {"timetz_out", 'r'}, {"timetz_pl_interval", 'r'}, {"timetz_recv", 'r'},
		{"timetz_send", 'r'}, {"timetz_smaller", 'r'}, {"timetzdate_pl", 'r'}, {"timetztypmodin", 'r'},
		{"timetztypmodout", 'r'}, {"timezone", 'r'}, {"to_ascii", 'r'}, {"to_char", 'r'},
		{"to_date", 'r'}, {"to_hex", 'r'}, {"to_json", 'r'}, {"to_jsonb", 'r'}, {"to_number", 'r'},
		{"to_regclass", 'r'}, {"to_regcollation", 'r'}, {"to_regnamespace", 'r'}, {"to_regoper", 'r'},
		{"to_regoperator", 'r'}, {"to_regproc", 'r'}, {"to_regprocedure", 'r'}, {"to_regrole", 'r'},
		{"to_regtype", 'r'}, {"to_timestamp", 'r'}, {"to_tsquery", 'r'}, {"to_tsvector", 'r'},
		{"transaction_timestamp", 'r'}, {"translate", 'r'}, {"treat", 'r'}, {"trigger_in", 'r'},
		{"trigger_out", 'r'}, {"trim", 'r'}, {"trim_array", 'r'}, {"trim_scale", 'r'}, {"trunc", 'r'},
		{"ts_debug", 'r'}, {"ts_delete", 'r'}, {"ts_filter", 'r'}, {"ts_headline", 'r'},
		{"ts_lexize", 'r'}, {"ts_match_qv", 'r'}, {"ts_match_tq", 'r'}, {"ts_match_tt", 'r'},
		{"ts_match_vq", 'r'}, {"ts_parse", 'r'}, {"ts_rank", 'r'}, {"ts_rank_cd", 'r'},
		{"ts_rewrite", 'v'}, {"ts_stat", 'v'}, {"ts_token_type", 'r'}, {"ts_typanalyze", 'r'},
		{"tsm_handler_in", 'r'}, {"tsm_handler_out", 'r'}, {"tsmatchjoinsel", 'r'},
		{"tsmatchsel", 'r'}, {"tsmultirange", 'r'}, {"tsq_mcontained", 'r'}, {"tsq_mcontains", 'r'},
		{"tsquery_and", 'r'}, {"tsquery_cmp", 'r'}, {"tsquery_eq", 'r'}, {"tsquery_ge", 'r'},
		{"tsquery_gt", 'r'}, {"tsquery_le", 'r'}, {"tsquery_lt", 'r'}, {"tsquery_ne", 'r'},
		{"tsquery_not", 'r'}, {"tsquery_or", 'r'}, {"tsquery_phrase", 'r'}, {"tsqueryin", 'r'},
		{"tsqueryout", 'r'}, {"tsqueryrecv", 'r'}, {"tsquerysend", 'r'}, {"tsrange", 'r'},
		{"tsrange_subdiff", 'r'}, {"tstzmultirange", 'r'}, {"tstzrange", 'r'},
		{"tstzrange_subdiff", 'r'}, {"tsvector_cmp", 'r'}, {"tsvector_concat", 'r'},
		{"tsvector_eq", 'r'}, {"tsvector_ge", 'r'}, {"tsvector_gt", 'r'}, {"tsvector_le", 'r'},
		{"tsvector_lt", 'r'}, {"tsvector_ne", 'r'}, {"tsvector_to_array", 'r'},
		{"tsvector_update_trigger", 'v'}, {"tsvector_update_trigger_column", 'v'}, {"tsvectorin", 'r'},
		{"tsvectorout", 'r'}, {"tsvectorrecv", 'r'}, {"tsvectorsend", 'r'}, {"txid_current", 'w'},
		{"txid_current_if_assigned", 'w'}, {"txid_current_snapshot", 'r'}, {"txid_snapshot_in", 'r'},
		{"txid_snapshot_out", 'r'}, {"txid_snapshot_recv", 'r'}, {"txid_snapshot_send", 'r'},
		{"txid_snapshot_xip", 'r'}, {"txid_snapshot_xmax", 'r'}, {"txid_snapshot_xmin", 'r'},
		{"txid_status", 'r'}, {"txid_visible_in_snapshot", 'r'}, {"uhc_to_utf8", 'r'},
		{"unaccent", 'r'}, {"unique_key_recheck", 'v'}, {"unistr", 'r'}, {"unknownin", 'r'},
		{"unknownout", 'r'}, {"unknownrecv", 'r'}, {"unknownsend", 'r'}, {"unnest", 'r'},
		{"upper", 'r'}, {"upper_inc", 'r'}, {"upper_inf", 'r'}, {"user", 'r'}, {"utf8_to_big5", 'r'},
		{"utf8_to_euc_cn", 'r'}, {"utf8_to_euc_jis_2004", 'r'}, {"utf8_to_euc_jp", 'r'},
		{"utf8_to_euc_kr", 'r'}, {"utf8_to_euc_tw", 'r'}, {"utf8_to_gb18030", 'r'},
		{"utf8_to_gbk", 'r'}, {"utf8_to_iso8859", 'r'}, {"utf8_to_iso8859_1", 'r'},
		{"utf8_to_johab", 'r'}, {"utf8_to_koi8r", 'r'}, {"utf8_to_koi8u", 'r'},
		{"utf8_to_shift_jis_2004", 'r'}, {"utf8_to_sjis", 'r'}, {"utf8_to_uhc", 'r'},
		{"utf8_to_win", 'r'}, {"uuid_cmp", 'r'}, {"uuid_eq", 'r'}, {"uuid_ge", 'r'},
		{"uuid_generate_v1", 'r'}, {"uuid_generate_v1mc", 'r'}, {"uuid_generate_v3", 'r'},
		{"uuid_generate_v4", 'r'}, {"uuid_generate_v5", 'r'}, {"uuid_gt", 'r'}, {"uuid_hash", 'r'},
		{"uuid_hash_extended", 'r'}, {"uuid_in", 'r'}, {"uuid_le", 'r'}, {"uuid_lt", 'r'},
		{"uuid_ne", 'r'}, {"uuid_nil", 'r'}, {"uuid_ns_dns", 'r'}, {"uuid_ns_oid", 'r'},
		{"uuid_ns_url", 'r'}, {"uuid_ns_x500", 'r'}, {"uuid_out", 'r'}, {"uuid_recv", 'r'},
		{"uuid_send", 'r'}, {"uuid_sortsupport", 'r'}, {"var_pop", 'r'}, {"var_samp", 'r'},
		{"varbit", 'r'}, {"varbit_in", 'r'}, {"varbit_out", 'r'}, {"varbit_recv", 'r'},
		{"varbit_send", 'r'}, {"varbit_support", 'r'}, {"varbitcmp", 'r'}, {"varbiteq", 'r'},
		{"varbitge", 'r'}, {"varbitgt", 'r'}, {"varbitle", 'r'}, {"varbitlt", 'r'}, {"varbitne", 'r'},
		{"varbittypmodin", 'r'}, {"varbittypmodout", 'r'}, {"varchar", 'r'}, {"varchar_support", 'r'},
		{"varcharin", 'r'}, {"varcharout", 'r'}, {"varcharrecv", 'r'}, {"varcharsend", 'r'},
		{"varchartypmodin", 'r'}, {"varchartypmodout", 'r'}, {"variance", 'r'}, {"version", 'r'},
		{"void_in", 'r'}, {"void_out", 'r'}, {"void_recv", 'r'}, {"void_send", 'r'},
		{"websearch_to_tsquery", 'r'}, {"width", 'r'}, {"width_bucket", 'r'},
		{"win1250_to_latin2", 'r'}, {"win1250_to_mic", 'r'}, {"win1251_to_iso", 'r'},
		{"win1251_to_koi8r", 'r'}, {"win1251_to_mic", 'r'}, {"win1251_to_win866", 'r'},
		{"win866_to_iso", 'r'}, {"win866_to_koi8r", 'r'}, {"win866_to_mic", 'r'},
		{"win866_to_win1251", 'r'}, {"win_to_utf8", 'r'}, {"window_dense_rank_support", 'r'},
		{"window_rank_support", 'r'}, {"window_row_number_support", 'r'}, {"word_similarity", 'r'},
		{"xid", 'r'}, {"xid8_larger", 'r'}, {"xid8_smaller", 'r'}, {"xid8cmp", 'r'}, {"xid8eq", 'r'},
		{"xid8ge", 'r'}, {"xid8gt", 'r'}, {"xid8in", 'r'}, {"xid8le", 'r'}, {"xid8lt", 'r'},
		{"xid8ne", 'r'}, {"xid8out", 'r'}, {"xid8recv", 'r'}, {"xid8send", 'r'}, {"xideq", 'r'},
		{"xideqint4", 'r'}, {"xidin", 'r'}, {"xidneq", 'r'}, {"xidneqint4", 'r'}, {"xidout", 'r'},
		{"xidrecv", 'r'}, {"xidsend", 'r'}, {"xml", 'r'}, {"xml_in", 'r'}, {"xml_is_well_formed", 'r'},
		{"xml_is_well_formed_content", 'r'}, {"xml_is_well_formed_document", 'r'}, {"xml_out", 'r'},
		{"xml_recv", 'r'}, {"xml_send", 'r'}, {"xmlagg", 'r'}, {"xmlattributes", 'r'},
		{"xmlcomment", 'r'}, {"xmlconcat", 'r'}, {"xmlconcat2", 'r'}, {"xmlelement", 'r'},
		{"xmlexists", 'r'}, {"xmlforest", 'r'}, {"xmlnamespaces", 'r'}, {"xmlparse", 'r'},
		{"xmlpi", 'r'}, {"xmlroot", 'r'}, {"xmlserialize", 'r'}, {"xmltable", 'r'},
		{"xmlvalidate", 'r'}, {"xpath", 'r'}, {"xpath_exists", 'r'},
	};
	/* open addressing by fnv32(name): index + 1 into tab, 0 empty (generated with the table) */
	static const uint16_t tab_hash[8192] = {
		549, 0, 1395, 0, 0, 0, 0, 1895, 206, 1915, 828, 0, 0, 0, 0, 0,
		0, 0, 18, 1404, 0, 2300, 0, 0, 0, 0, 0, 0, 0, 0, 0, 461,
		895, 0, 0, 0, 0, 0, 1181, 1187, 1174, 1258, 1421, 0, 0, 0, 0, 218,
		0, 272, 0, 584, 834, 0, 911, 1921, 0, 0, 0, 212, 1716, 2284, 0, 0,
		0, 0, 0, 0, 920, 0, 0, 1050, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 65, 0, 246, 775, 0, 1450, 0, 0, 0, 0, 0, 884, 0,
		0, 0, 0, 1308, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 2614, 2670, 1240, 0, 0, 0, 0, 0, 0, 2227, 0, 0, 0, 2461, 0,
		0, 0, 0, 763, 0, 0, 0, 0, 882, 0, 0, 0, 2051, 0, 0, 2569,
		191, 0, 0, 0, 0, 0, 0, 0, 0, 0, 134, 1319, 1739, 562, 2502, 2053,
		1163, 0, 0, 0, 0, 0, 0, 0, 2464, 0, 0, 1798, 10, 0, 0, 232,
		1321, 1596, 0, 1112, 2596, 0, 0, 1879, 0, 942, 544, 0, 1863, 0, 1490, 0,
		0, 0, 1372, 0, 0, 0, 0, 0, 2722, 0, 1104, 0, 0, 2088, 0, 0,
		0, 2665, 2245, 462, 0, 0, 2134, 0, 1165, 1521, 1809, 0, 0, 0, 957, 1842,
		0, 2347, 0, 0, 1788, 39, 1076, 0, 1231, 0, 595, 796, 0, 0, 0, 0,
		0, 0, 0, 0, 915, 88, 635, 1385, 1991, 0, 0, 1822, 0, 122, 683, 0,
		0, 1532, 0, 0, 1371, 0, 0, 0, 1918, 338, 456, 2286, 0, 0, 0, 1884,
		2167, 94, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4,
		1586, 0, 0, 2052, 0, 0, 0, 0, 1765, 1961, 0, 0, 2263, 1905, 666, 2075,
		1700, 0, 0, 0, 0, 0, 1803, 366, 0, 0, 2580, 0, 0, 0, 0, 0,
		905, 0, 0, 0, 58, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 215,
		1269, 1348, 0, 0, 0, 0, 0, 177, 1723, 0, 601, 0, 0, 0, 0, 0,
		0, 0, 0, 2507, 0, 0, 0, 641, 2092, 0, 756, 906, 2150, 1245, 0, 300,
		0, 327, 0, 0, 0, 0, 0, 0, 0, 404, 2072, 0, 0, 0, 0, 2634,
		0, 2350, 0, 0, 0, 1749, 0, 0, 0, 813, 0, 0, 0, 0, 0, 1531,
		0, 0, 168, 2365, 0, 1394, 0, 0, 1559, 0, 859, 2605, 0, 299, 2288, 512,
		1805, 991, 1604, 2022, 0, 0, 0, 0, 0, 2102, 0, 1250, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 1124, 1355, 0, 0, 0, 1172, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 2582, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 223,
		0, 0, 0, 0, 481, 953, 1974, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1618, 0, 0, 0, 0, 2527, 0, 735, 0, 1978, 0, 0, 0, 0, 0, 0,
		577, 0, 500, 1931, 2399, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 1294,
		190, 0, 0, 0, 0, 0, 1981, 0, 378, 0, 0, 1992, 0, 2409, 0, 0,
		0, 0, 0, 759, 2346, 0, 0, 1288, 2553, 0, 0, 0, 2013, 0, 0, 0,
		3, 1715, 1003, 0, 0, 0, 0, 0, 2044, 0, 438, 2352, 774, 0, 0, 2661,
		135, 1684, 0, 0, 2182, 0, 2668, 0, 0, 0, 1402, 14, 229, 383, 1497, 2223,
		0, 0, 0, 2525, 2575, 2491, 0, 0, 319, 0, 0, 0, 0, 0, 0, 0,
		0, 1243, 0, 652, 0, 0, 0, 1335, 0, 0, 0, 0, 0, 0, 1694, 749,
		0, 258, 0, 0, 0, 0, 0, 0, 2141, 2433, 0, 2014, 2115, 0, 0, 0,
		0, 0, 0, 1545, 1932, 0, 0, 0, 726, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 1847, 0, 0, 0, 0,
		0, 1535, 0, 0, 16, 1627, 0, 0, 837, 0, 0, 1705, 453, 1504, 0, 2338,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 975, 0, 0, 879,
		1194, 0, 0, 2385, 889, 0, 402, 0, 2335, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 2159, 1830, 2129, 598, 1379, 2084, 0, 0, 0, 0, 0, 1116, 2667, 1752,
		2231, 0, 792, 0, 736, 0, 1645, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		795, 0, 0, 1547, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 540, 50,
		0, 0, 0, 0, 0, 0, 0, 0, 1170, 0, 0, 169, 182, 1986, 0, 1485,
		0, 0, 0, 0, 2158, 0, 0, 1772, 0, 0, 1738, 0, 0, 0, 725, 1132,
		2402, 0, 0, 0, 0, 0, 0, 0, 0, 1383, 0, 1938, 118, 381, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 2407, 0, 2281, 0, 0, 0, 0, 0,
		550, 0, 0, 1352, 0, 1702, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 2068, 0, 0, 0, 0, 2024, 0, 0, 0, 0,
		0, 210, 0, 0, 0, 0, 0, 0, 0, 2209, 0, 0, 0, 0, 2270, 0,
		2372, 2659, 0, 0, 0, 927, 860, 1965, 0, 0, 0, 0, 0, 422, 1967, 0,
		0, 385, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 348,
		0, 0, 0, 0, 0, 0, 838, 1089, 2593, 0, 2210, 240, 2110, 1481, 2676, 0,
		0, 0, 0, 2401, 887, 0, 1253, 1101, 0, 0, 0, 0, 0, 2414, 0, 668,
		676, 758, 2510, 0, 0, 0, 0, 0, 0, 2155, 1617, 0, 0, 0, 0, 2151,
		0, 0, 1462, 0, 0, 0, 0, 0, 83, 1043, 0, 0, 0, 2323, 1029, 0,
		1114, 1672, 0, 1281, 2353, 791, 0, 1284, 0, 0, 0, 0, 0, 0, 0, 200,
		2325, 0, 331, 2156, 0, 0, 0, 0, 2333, 0, 1859, 1247, 1182, 2551, 0, 0,
		1707, 0, 0, 0, 0, 0, 0, 2416, 158, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 2039, 0, 0, 0, 312, 0, 0, 2516,
		1520, 721, 0, 0, 899, 392, 0, 587, 0, 1969, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 713, 0, 0, 0, 614, 1217, 71, 871, 2119, 1087, 574, 2199,
		2674, 0, 0, 0, 175, 1701, 2453, 0, 762, 626, 0, 1145, 0, 1139, 0, 0,
		313, 0, 0, 0, 2476, 0, 0, 0, 0, 2638, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 2200, 0, 0, 0, 2539, 0, 2492, 0, 0, 0, 0, 0, 0,
		0, 0, 1685, 1866, 734, 0, 0, 1909, 2729, 0, 0, 1118, 0, 0, 0, 700,
		521, 0, 0, 0, 0, 0, 992, 0, 1508, 0, 0, 113, 1277, 0, 0, 0,
		2368, 0, 0, 0, 0, 0, 2503, 0, 0, 0, 0, 0, 482, 2011, 0, 0,
		0, 0, 1074, 1083, 380, 1632, 1742, 2555, 0, 2304, 0, 0, 0, 0, 0, 0,
		0, 1794, 0, 1249, 1964, 2486, 0, 0, 1184, 0, 748, 0, 0, 0, 1455, 0,
		2056, 491, 0, 1572, 2645, 0, 979, 2048, 1578, 434, 1095, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 1075, 1316, 1735, 0, 1571, 0, 1057,
		0, 0, 1135, 2219, 146, 0, 0, 2032, 0, 0, 1149, 0, 0, 0, 2201, 1643,
		0, 1760, 0, 1792, 61, 0, 0, 2215, 0, 0, 0, 270, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1411, 2600, 194,
		1890, 2627, 1776, 0, 0, 0, 0, 0, 0, 0, 1188, 0, 1648, 0, 0, 0,
		0, 1924, 0, 1173, 0, 980, 1825, 0, 0, 1303, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 1328, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 62, 0, 0, 2002, 2572, 0, 0, 0, 0, 0, 295, 1015,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 419, 0, 0,
		0, 0, 0, 1516, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 717, 0, 0, 0, 1872, 1401, 0, 0, 0, 0, 196, 0, 1241, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 2123, 0, 0, 0, 217, 0, 0, 854,
		1511, 1621, 0, 816, 0, 0, 0, 0, 1090, 0, 1234, 1470, 0, 0, 0, 0,
		0, 1832, 0, 0, 0, 0, 0, 0, 746, 0, 0, 228, 2362, 0, 0, 0,
		524, 0, 2007, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2079, 1152, 1405, 0,
		0, 0, 0, 0, 0, 0, 0, 2275, 649, 0, 0, 0, 0, 0, 2017, 0,
		856, 0, 1128, 0, 0, 0, 0, 0, 0, 0, 0, 1849, 0, 0, 247, 1717,
		2348, 2611, 0, 824, 0, 1557, 0, 0, 0, 0, 0, 855, 1655, 0, 0, 1363,
		0, 830, 0, 0, 0, 0, 0, 0, 0, 0, 307, 0, 0, 0, 0, 0,
		0, 0, 1517, 271, 0, 560, 0, 0, 1220, 0, 0, 0, 230, 1599, 0, 0,
		1389, 1853, 0, 0, 0, 487, 1750, 1339, 2050, 0, 0, 2242, 925, 0, 0, 1354,
		0, 0, 0, 729, 0, 2341, 984, 1415, 0, 1848, 0, 0, 0, 0, 0, 0,
		0, 1988, 0, 0, 0, 2589, 0, 1205, 2558, 0, 0, 552, 455, 2237, 0, 695,
		0, 0, 0, 1427, 0, 0, 0, 2505, 0, 2648, 2106, 2421, 819, 1933, 1326, 2247,
		2239, 0, 0, 0, 0, 782, 823, 0, 0, 0, 0, 1146, 0, 503, 0, 447,
		0, 0, 2391, 0, 0, 0, 337, 0, 0, 0, 0, 0, 0, 0, 0, 2178,
		1357, 1360, 2095, 0, 0, 0, 0, 1494, 0, 0, 0, 0, 0, 1465, 0, 0,
		0, 1840, 2202, 0, 1512, 2494, 0, 0, 1575, 0, 0, 0, 0, 0, 1865, 0,
		0, 2719, 0, 0, 0, 0, 2497, 0, 0, 1483, 1631, 256, 2099, 0, 1678, 0,
		44, 0, 750, 0, 0, 0, 0, 0, 0, 0, 950, 0, 216, 697, 1189, 0,
		2345, 0, 0, 1021, 0, 2700, 0, 1852, 0, 0, 0, 0, 0, 0, 2233, 787,
		1554, 0, 0, 0, 0, 0, 0, 0, 0, 8, 2020, 0, 1320, 2074, 0, 2124,
		433, 417, 674, 952, 1758, 0, 0, 0, 0, 2501, 518, 1837, 1235, 2224, 0, 0,
		0, 0, 0, 0, 0, 1477, 0, 751, 0, 0, 0, 0, 2714, 0, 42, 0,
		0, 0, 0, 0, 0, 1581, 896, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 1878, 0, 0, 0, 2637, 1910, 0, 0, 0, 1846, 0, 2718, 1365,
		76, 0, 0, 0, 0, 0, 0, 0, 0, 0, 543, 0, 0, 351, 0, 1708,
		0, 0, 0, 0, 0, 2566, 0, 0, 0, 102, 1419, 800, 224, 2120, 2405, 0,
		0, 0, 0, 208, 1337, 1565, 1733, 1768, 1873, 2656, 57, 2313, 0, 638, 0, 1223,
		0, 0, 0, 0, 0, 0, 0, 0, 623, 0, 0, 0, 0, 0, 515, 1000,
		1314, 252, 869, 2415, 0, 0, 2455, 0, 0, 0, 0, 2299, 0, 162, 2168, 2699,
		0, 285, 0, 1265, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 537,
		1722, 397, 2326, 2463, 2483, 0, 0, 0, 1558, 1201, 1336, 0, 0, 566, 1155, 1353,
		2737, 2511, 0, 0, 0, 0, 0, 0, 646, 0, 0, 0, 0, 0, 2710, 1069,
		0, 947, 1883, 1670, 2269, 2375, 0, 0, 0, 0, 0, 0, 921, 0, 250, 0,
		2574, 2193, 0, 0, 0, 2629, 144, 1641, 0, 476, 1922, 0, 0, 0, 0, 2135,
		0, 0, 0, 77, 1907, 0, 0, 0, 0, 0, 233, 414, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 1522, 0, 632, 0, 0, 0, 0, 0, 0, 334, 1373,
		0, 690, 0, 0, 0, 0, 1912, 0, 0, 0, 0, 2626, 0, 0, 2720, 0,
		0, 0, 465, 2211, 0, 0, 0, 1972, 0, 0, 0, 474, 0, 0, 49, 93,
		0, 0, 0, 0, 1013, 0, 1828, 2617, 0, 0, 0, 0, 2262, 851, 0, 0,
		0, 1041, 2543, 0, 0, 441, 0, 1673, 0, 551, 1775, 0, 0, 2512, 0, 0,
		1564, 0, 1282, 209, 329, 0, 0, 2096, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 464, 1196, 0, 0, 1855, 413, 1799, 0, 0, 0, 0, 22,
		1301, 0, 0, 276, 0, 1774, 2378, 1261, 1649, 651, 0, 0, 2472, 0, 675, 0,
		2316, 1602, 0, 0, 0, 1338, 0, 928, 2683, 0, 2218, 0, 0, 0, 0, 0,
		0, 0, 890, 1008, 0, 0, 0, 2498, 0, 0, 1358, 0, 2208, 0, 0, 498,
		0, 1850, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1669, 0, 0,
		0, 0, 0, 627, 0, 25, 0, 0, 1085, 0, 0, 0, 0, 2105, 0, 1550,
		1736, 1857, 588, 1020, 0, 0, 0, 2070, 0, 109, 1376, 0, 0, 0, 2019, 0,
		0, 1658, 0, 0, 960, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 2273, 0, 0, 0, 1710, 303, 2351, 0, 0, 0, 1509, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 2214, 0, 0, 0, 0, 0, 1274, 0, 0, 0,
		0, 0, 2309, 0, 0, 0, 1562, 1959, 0, 0, 0, 0, 727, 0, 0, 0,
		0, 2094, 0, 0, 2329, 2354, 0, 0, 2724, 0, 0, 0, 2644, 1180, 2703, 0,
		628, 0, 12, 1615, 0, 0, 0, 0, 0, 0, 719, 1480, 0, 0, 0, 0,
		0, 596, 0, 0, 1544, 2033, 0, 0, 0, 0, 0, 2398, 0, 0, 571, 2734,
		0, 529, 0, 0, 0, 2514, 1006, 1318, 1682, 1927, 817, 1860, 2367, 0, 1756, 0,
		0, 0, 831, 1045, 764, 573, 0, 0, 0, 0, 0, 0, 2340, 0, 0, 0,
		0, 0, 324, 0, 0, 296, 0, 0, 0, 0, 0, 0, 198, 0, 1747, 1582,
		1091, 1681, 1492, 2547, 2649, 694, 0, 38, 0, 0, 0, 0, 0, 0, 136, 0,
		0, 1911, 0, 0, 2413, 0, 0, 0, 74, 1225, 2480, 0, 0, 2655, 0, 361,
		0, 0, 0, 0, 0, 477, 2616, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		2015, 1874, 2381, 0, 0, 0, 1820, 0, 1144, 1392, 737, 2573, 0, 0, 0, 1406,
		0, 1695, 0, 0, 0, 0, 0, 914, 2542, 636, 0, 0, 0, 0, 0, 2243,
		0, 0, 0, 0, 0, 2004, 0, 1120, 0, 0, 0, 0, 1499, 1743, 0, 0,
		0, 0, 429, 1049, 260, 0, 0, 0, 27, 704, 1639, 0, 0, 0, 0, 0,
		0, 2693, 0, 556, 0, 0, 0, 0, 0, 235, 839, 0, 75, 1727, 0, 0,
		1168, 667, 2294, 0, 0, 0, 2613, 0, 2468, 0, 0, 0, 26, 682, 0, 0,
		0, 124, 211, 0, 786, 0, 0, 0, 1161, 0, 0, 525, 0, 0, 0, 0,
		0, 0, 0, 2283, 0, 2452, 0, 0, 0, 0, 0, 0, 1459, 1591, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1644, 0, 2207,
		0, 0, 0, 0, 289, 1333, 1746, 398, 2537, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1038, 0, 1861, 0, 0, 0,
		0, 0, 0, 0, 0, 807, 0, 399, 0, 0, 0, 0, 0, 1898, 1024, 0,
		1856, 372, 2355, 2005, 2422, 0, 0, 0, 0, 536, 0, 0, 0, 0, 0, 954,
		0, 0, 0, 0, 0, 0, 172, 0, 0, 0, 1502, 0, 0, 1178, 977, 1997,
		0, 154, 1309, 1597, 0, 0, 1667, 0, 0, 0, 0, 0, 195, 0, 0, 1270,
		0, 0, 0, 0, 1553, 0, 0, 0, 0, 0, 0, 2488, 0, 0, 1810, 2122,
		0, 784, 0, 0, 55, 1611, 0, 2607, 0, 0, 0, 0, 0, 2265, 0, 357,
		1082, 0, 0, 0, 308, 2152, 0, 0, 0, 0, 0, 0, 607, 1993, 1036, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 1824, 1367, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 1523, 599, 0, 0, 143, 0, 0, 0, 0, 0, 0, 2184, 0,
		0, 0, 0, 2535, 0, 0, 0, 0, 1568, 2508, 0, 0, 0, 1409, 0, 575,
		0, 523, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2321, 1713, 0, 0,
		0, 0, 0, 0, 0, 0, 1088, 0, 2183, 994, 0, 0, 1493, 1636, 0, 0,
		0, 0, 0, 0, 0, 0, 430, 0, 0, 0, 0, 0, 359, 0, 1696, 107,
		790, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2142, 0, 0, 0, 0,
		0, 0, 0, 0, 1221, 2067, 0, 0, 0, 1110, 0, 0, 2561, 0, 0, 0,
		1227, 0, 0, 0, 0, 0, 1791, 0, 0, 0, 1167, 0, 0, 0, 0, 0,
		0, 0, 0, 1123, 0, 677, 0, 0, 2037, 0, 0, 0, 581, 0, 2164, 1952,
		0, 0, 0, 878, 1002, 1706, 1633, 0, 2259, 369, 818, 1469, 1362, 2272, 2425, 0,
		2577, 2225, 0, 0, 0, 1154, 2707, 0, 0, 0, 0, 0, 293, 0, 0, 0,
		0, 0, 0, 1831, 0, 0, 769, 0, 0, 0, 0, 0, 0, 728, 171, 2118,
		988, 1476, 0, 1232, 2291, 0, 1817, 0, 0, 0, 2602, 1513, 0, 1439, 1102, 1773,
		2114, 2279, 0, 0, 1903, 1051, 0, 0, 568, 0, 0, 2390, 0, 294, 263, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2481, 2546, 0, 0, 0,
		69, 1424, 1793, 2449, 0, 0, 105, 0, 0, 0, 0, 0, 0, 0, 0, 589,
		0, 0, 0, 2121, 394, 0, 1812, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 2735, 0, 0, 0, 0, 0, 978, 1093, 760, 2744, 0, 0,
		1851, 0, 0, 0, 0, 1584, 0, 0, 0, 0, 1951, 0, 0, 0, 0, 0,
		1315, 2650, 0, 0, 48, 2261, 594, 0, 0, 0, 2235, 0, 1238, 804, 0, 2055,
		2746, 1675, 0, 0, 0, 389, 0, 0, 0, 0, 0, 0, 557, 0, 0, 0,
		0, 2741, 0, 0, 1222, 0, 0, 86, 1466, 1877, 1970, 0, 0, 778, 0, 923,
		2181, 0, 0, 7, 2603, 1420, 0, 0, 0, 0, 1237, 0, 2726, 0, 0, 0,
		1377, 0, 0, 0, 1153, 0, 0, 0, 237, 0, 703, 2315, 0, 0, 0, 0,
		0, 0, 2021, 0, 0, 0, 2410, 0, 0, 1573, 1944, 0, 0, 0, 0, 0,
		0, 1039, 1629, 98, 1709, 2220, 0, 0, 468, 2594, 2654, 0, 0, 0, 0, 0,
		0, 0, 0, 43, 0, 0, 0, 1753, 0, 0, 0, 0, 0, 711, 531, 1514,
		439, 1864, 2646, 0, 219, 0, 1697, 2188, 1263, 0, 0, 0, 1366, 0, 0, 0,
		0, 0, 0, 91, 17, 0, 0, 1714, 0, 0, 862, 0, 2509, 723, 1218, 0,
		0, 0, 0, 0, 0, 473, 780, 0, 0, 0, 0, 0, 0, 0, 1711, 0,
		0, 0, 0, 0, 0, 66, 2473, 2711, 2447, 1936, 0, 0, 0, 0, 0, 832,
		0, 0, 2065, 1556, 2087, 0, 0, 0, 454, 92, 0, 2034, 1136, 0, 0, 0,
		616, 1272, 1882, 0, 2172, 0, 0, 0, 0, 0, 0, 0, 0, 445, 0, 0,
		670, 2101, 0, 0, 0, 0, 2625, 1471, 0, 0, 0, 0, 0, 0, 0, 753,
		0, 1987, 2023, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 139, 0, 0,
		0, 0, 1391, 720, 888, 142, 1329, 1891, 2412, 2743, 0, 0, 0, 427, 1725, 0,
		149, 0, 0, 2086, 2426, 0, 0, 0, 0, 0, 665, 20, 1990, 754, 2728, 1876,
		0, 0, 0, 0, 2680, 0, 0, 186, 535, 1892, 0, 1666, 0, 479, 0, 846,
		0, 918, 0, 1048, 2334, 2609, 0, 0, 1826, 0, 1610, 0, 0, 0, 1608, 2411,
		0, 0, 772, 0, 0, 2554, 0, 0, 0, 1375, 0, 0, 0, 1984, 0, 0,
		0, 0, 0, 2307, 930, 2295, 0, 0, 0, 644, 989, 0, 820, 1229, 0, 2379,
		1510, 0, 1686, 0, 1374, 2446, 0, 0, 0, 1460, 0, 1579, 0, 0, 0, 0,
		0, 2045, 0, 0, 0, 0, 0, 0, 130, 0, 2169, 0, 0, 0, 0, 0,
		0, 436, 1212, 0, 0, 0, 19, 0, 0, 2161, 1423, 1552, 2342, 642, 1527, 1801,
		0, 0, 0, 2518, 0, 0, 410, 1607, 0, 2585, 2712, 0, 137, 1214, 1361, 0,
		0, 0, 0, 0, 1399, 0, 0, 0, 0, 0, 0, 0, 0, 2203, 0, 558,
		0, 0, 0, 280, 0, 0, 0, 0, 0, 0, 0, 297, 290, 0, 0, 0,
		0, 0, 0, 548, 2715, 0, 0, 0, 0, 1525, 0, 0, 0, 0, 0, 0,
		0, 2043, 2306, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2685, 0,
		0, 239, 0, 0, 0, 1744, 1917, 0, 0, 0, 0, 806, 0, 2374, 0, 0,
		698, 583, 0, 0, 0, 32, 1267, 2229, 0, 1914, 2708, 0, 0, 0, 0, 0,
		1019, 1176, 0, 883, 0, 426, 0, 0, 1386, 567, 117, 1668, 2437, 0, 1960, 0,
		1576, 0, 0, 255, 517, 0, 618, 643, 916, 0, 1059, 0, 0, 1538, 2035, 0,
		0, 0, 0, 0, 0, 0, 520, 0, 1943, 0, 0, 0, 0, 0, 2682, 0,
		0, 341, 2296, 1620, 0, 0, 0, 0, 0, 267, 0, 0, 0, 0, 0, 126,
		1298, 0, 0, 1097, 0, 2221, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 1901, 1378, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		788, 1500, 0, 0, 2571, 0, 0, 0, 0, 0, 2063, 650, 1536, 0, 0, 2293,
		2435, 0, 0, 1086, 2162, 0, 0, 0, 0, 1888, 1896, 0, 0, 0, 0, 2684,
		0, 0, 0, 0, 0, 0, 0, 0, 2745, 0, 287, 0, 0, 0, 0, 0,
		166, 0, 0, 0, 0, 2387, 0, 0, 0, 0, 0, 1259, 176, 844, 776, 2331,
		2383, 0, 546, 0, 259, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 1955, 367, 1948, 0, 0, 0, 1312, 0, 0, 0, 891, 0, 863, 0,
		0, 0, 0, 0, 0, 0, 0, 328, 11, 951, 1096, 2253, 360, 2285, 0, 0,
		1770, 437, 917, 2127, 0, 0, 0, 812, 0, 29, 0, 0, 0, 0, 0, 0,
		1077, 0, 131, 0, 0, 0, 0, 0, 0, 0, 1171, 1640, 0, 0, 0, 0,
		0, 1325, 1437, 0, 0, 658, 2652, 2678, 0, 609, 1761, 0, 0, 0, 199, 1071,
		0, 24, 0, 1175, 0, 0, 0, 1689, 0, 1230, 0, 0, 0, 0, 0, 1779,
		647, 1072, 0, 0, 0, 0, 2619, 2624, 1593, 2723, 2071, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 2093, 1200, 0, 0, 1574, 480, 974, 353, 1322,
		0, 125, 1771, 0, 0, 174, 1548, 1398, 0, 0, 1413, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 2103, 0, 0, 0, 1642, 0, 0, 0, 28, 0, 1068,
		1432, 0, 0, 448, 2363, 2187, 0, 1975, 0, 0, 0, 0, 0, 0, 0, 814,
		0, 0, 1635, 0, 2030, 2254, 0, 0, 0, 553, 2469, 1734, 1033, 1463, 0, 0,
		0, 0, 1331, 99, 0, 450, 0, 0, 2568, 0, 0, 0, 1783, 0, 0, 0,
		2147, 0, 877, 2499, 80, 0, 0, 0, 1834, 0, 0, 0, 0, 972, 0, 0,
		0, 0, 0, 0, 0, 0, 1276, 0, 765, 0, 0, 2078, 2534, 0, 833, 332,
		0, 1461, 939, 1919, 0, 1841, 0, 0, 0, 2097, 0, 2154, 0, 0, 1012, 0,
		0, 0, 0, 79, 1010, 1634, 1147, 0, 0, 0, 2137, 0, 0, 0, 0, 2493,
		0, 0, 0, 0, 2029, 0, 0, 0, 0, 0, 0, 0, 0, 1031, 1867, 0,
		0, 0, 0, 0, 1397, 0, 2016, 0, 2487, 0, 0, 0, 0, 0, 1150, 0,
		0, 0, 2194, 0, 528, 0, 0, 0, 0, 0, 0, 0, 358, 1203, 1236, 2361,
		0, 0, 714, 0, 0, 0, 0, 2618, 0, 0, 2058, 67, 2082, 0, 0, 1588,
		0, 0, 2544, 0, 1226, 0, 0, 1781, 0, 2046, 0, 1732, 226, 2581, 0, 2530,
		0, 0, 0, 0, 0, 0, 0, 840, 0, 0, 1530, 2545, 1953, 0, 0, 0,
		0, 1311, 1452, 0, 1491, 0, 0, 0, 0, 0, 0, 645, 2522, 0, 2643, 0,
		0, 2404, 2709, 1341, 0, 2520, 0, 275, 2109, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 747, 995, 809, 0, 1585, 0, 120, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 318, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 2190, 0, 0, 0, 0, 0, 0, 0, 0,
		902, 70, 0, 0, 0, 1893, 0, 0, 0, 0, 368, 1757, 1169, 1963, 2578, 183,
		673, 2012, 0, 0, 909, 0, 0, 0, 0, 128, 202, 0, 0, 0, 1594, 0,
		0, 2308, 2669, 620, 1340, 2479, 0, 1528, 2108, 0, 0, 0, 0, 0, 1487, 0,
		0, 0, 0, 0, 648, 0, 0, 0, 0, 0, 0, 0, 0, 159, 376, 1179,
		0, 2396, 2706, 0, 0, 0, 0, 1704, 0, 0, 1080, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 1417, 1806, 0, 0, 0, 0, 0, 220, 617, 1244, 0, 0,
		0, 0, 2344, 0, 0, 111, 2040, 0, 563, 2377, 0, 0, 0, 0, 0, 1109,
		1869, 0, 0, 0, 0, 0, 0, 661, 0, 291, 405, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 514, 0, 0, 0, 2482, 0, 0, 0, 0, 374, 2077, 47,
		808, 1107, 2163, 0, 1207, 0, 2622, 0, 1058, 0, 0, 0, 1160, 1622, 0, 0,
		0, 0, 0, 0, 147, 2420, 0, 0, 234, 0, 1023, 316, 1478, 2292, 2677, 0,
		0, 0, 1130, 0, 0, 1317, 2064, 0, 0, 2557, 0, 0, 0, 2427, 2145, 1457,
		460, 0, 0, 0, 0, 0, 0, 961, 0, 0, 1920, 1603, 1108, 0, 0, 0,
		0, 0, 0, 406, 0, 0, 0, 0, 0, 1887, 0, 0, 1034, 1625, 0, 0,
		0, 0, 388, 0, 0, 2282, 0, 1845, 0, 0, 0, 0, 0, 0, 0, 2010,
		0, 0, 0, 0, 0, 1027, 5, 2386, 639, 145, 0, 0, 0, 1957, 0, 1767,
		1881, 0, 0, 0, 0, 799, 1304, 1994, 0, 692, 619, 900, 1262, 2440, 0, 1388,
		466, 0, 320, 0, 0, 0, 0, 0, 2140, 0, 0, 0, 1626, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 971, 0, 2451, 0, 0, 0, 0, 0, 0, 0, 1646, 0, 0, 321, 2268,
		0, 1313, 0, 565, 1026, 2069, 0, 0, 0, 0, 1665, 0, 0, 508, 861, 2339,
		0, 611, 0, 0, 0, 0, 0, 0, 1983, 0, 0, 0, 443, 0, 0, 0,
		0, 0, 0, 1257, 1614, 0, 773, 0, 0, 1929, 2471, 0, 0, 0, 1968, 1436,
		2036, 2260, 184, 1299, 511, 1191, 2459, 0, 0, 0, 0, 0, 2608, 0, 2620, 797,
		1764, 0, 1946, 2380, 0, 2287, 0, 0, 2523, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 730, 585, 689, 1474, 1769, 2392, 2725, 0, 0, 0, 0, 0, 2470, 0,
		1590, 0, 1995, 744, 0, 0, 0, 2439, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 1529, 0, 0, 0, 0, 0, 0, 221, 0, 0, 0, 2389, 0, 0,
		0, 0, 0, 1364, 0, 0, 0, 2026, 0, 273, 0, 0, 0, 2028, 0, 2277,
		0, 2428, 0, 2240, 873, 1435, 1239, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 133, 1843, 354, 0, 1703, 238, 0, 0, 1255, 0, 0, 0, 0, 885,
		803, 1482, 0, 1505, 396, 0, 0, 0, 0, 0, 284, 0, 0, 0, 0, 656,
		983, 2541, 0, 0, 0, 302, 1286, 580, 0, 0, 0, 0, 0, 0, 1977, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 2740, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 691, 0, 0, 0, 201, 0, 0, 0, 343, 0, 0, 1125, 0,
		0, 0, 0, 0, 0, 41, 1821, 1916, 625, 0, 0, 2198, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1233, 0, 0, 0, 0, 0,
		0, 0, 0, 1344, 0, 222, 100, 1475, 0, 0, 1113, 0, 0, 155, 2586, 2736,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1143, 0, 0, 0, 0, 0,
		1543, 2153, 0, 976, 1403, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 934, 1939, 0, 0, 0, 0, 1976, 30, 442, 2228, 0, 0, 0,
		0, 0, 0, 1084, 1816, 2076, 1526, 958, 0, 0, 0, 0, 1982, 0, 1162, 0,
		0, 0, 0, 743, 0, 0, 1271, 46, 0, 0, 0, 0, 0, 0, 0, 0,
		1092, 0, 0, 64, 1729, 0, 0, 0, 2038, 0, 261, 1468, 945, 2312, 2373, 33,
		0, 0, 0, 0, 1426, 2303, 0, 0, 1044, 924, 0, 1001, 269, 0, 0, 2081,
		0, 2477, 0, 72, 1902, 0, 0, 0, 0, 0, 0, 0, 1638, 0, 0, 1541,
		0, 0, 0, 0, 0, 671, 0, 179, 0, 0, 0, 2584, 801, 0, 0, 0,
		0, 0, 101, 2704, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		36, 1833, 0, 0, 0, 0, 1802, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 1, 231, 0, 608, 603, 1295, 0, 0, 0, 0, 0, 0, 1870,
		0, 0, 1601, 527, 1945, 0, 0, 0, 0, 0, 0, 0, 926, 1359, 1623, 0,
		2157, 0, 0, 0, 0, 0, 0, 0, 2705, 349, 2131, 0, 1063, 0, 1542, 0,
		0, 428, 1103, 0, 1390, 0, 0, 0, 0, 0, 0, 555, 0, 0, 0, 0,
		0, 0, 2066, 0, 0, 738, 0, 0, 0, 0, 0, 0, 0, 0, 478, 0,
		0, 0, 2388, 2576, 0, 0, 1306, 0, 0, 0, 0, 530, 400, 0, 0, 0,
		475, 0, 0, 629, 0, 0, 0, 0, 1254, 0, 0, 0, 0, 0, 1228, 0,
		0, 170, 0, 1966, 0, 0, 424, 0, 0, 0, 0, 0, 1730, 0, 0, 2691,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 768, 969, 1061, 1506, 2587,
		0, 2025, 0, 0, 1410, 0, 0, 0, 0, 1854, 279, 853, 2612, 0, 0, 1451,
		0, 2687, 1875, 1458, 451, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 897, 0, 0, 0, 1078, 0, 0, 0, 0, 0, 0, 288, 0,
		0, 0, 0, 0, 2196, 2298, 0, 0, 0, 0, 0, 0, 1028, 1780, 0, 0,
		0, 497, 0, 0, 60, 0, 0, 0, 116, 0, 0, 0, 0, 1434, 0, 0,
		484, 1598, 539, 0, 390, 1009, 964, 2370, 0, 0, 0, 0, 0, 2297, 1823, 933,
		0, 2041, 173, 0, 0, 0, 0, 0, 0, 352, 0, 0, 0, 1332, 1449, 564,
		0, 317, 1369, 0, 0, 2356, 526, 0, 0, 0, 2144, 0, 880, 2117, 0, 0,
		0, 0, 0, 0, 0, 0, 2009, 0, 0, 0, 0, 0, 1177, 1683, 0, 0,
		0, 2256, 1693, 0, 0, 0, 0, 0, 0, 956, 615, 0, 2080, 0, 0, 0,
		0, 0, 0, 0, 0, 669, 0, 0, 326, 1897, 1940, 0, 2160, 0, 0, 0,
		0, 0, 0, 509, 1925, 0, 0, 962, 0, 1453, 973, 0, 0, 2042, 0, 492,
		2517, 0, 0, 0, 0, 1583, 0, 0, 78, 0, 1789, 0, 0, 0, 624, 1464,
		0, 0, 0, 706, 1567, 0, 0, 0, 1654, 755, 2592, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 459, 1412, 1580, 0, 2328, 0, 724, 0, 0, 0, 0, 2738,
		1121, 0, 0, 0, 0, 0, 842, 1215, 0, 2474, 1032, 0, 0, 0, 435, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 922, 2632, 0, 0, 0,
		0, 1209, 342, 0, 0, 0, 0, 0, 0, 2457, 1937, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 393, 0, 1127, 1763, 1913, 277, 0, 0, 0,
		0, 0, 1979, 0, 0, 0, 0, 702, 0, 0, 0, 0, 0, 0, 554, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 432, 53, 0, 0,
		0, 0, 997, 1605, 0, 0, 0, 886, 1256, 2689, 0, 0, 1726, 0, 0, 0,
		0, 0, 0, 150, 1264, 0, 0, 2423, 501, 1754, 802, 0, 0, 664, 586, 1941,
		0, 0, 1046, 1653, 2406, 178, 0, 0, 2317, 0, 0, 1005, 0, 0, 559, 1748,
		0, 0, 0, 0, 0, 180, 0, 0, 0, 0, 0, 0, 1811, 161, 757, 2599,
		1290, 1561, 0, 243, 0, 119, 311, 0, 949, 998, 0, 2241, 0, 90, 153, 214,
		1349, 1947, 0, 0, 0, 0, 0, 931, 0, 0, 0, 0, 0, 990, 2008, 2623,
		431, 0, 0, 2552, 0, 0, 0, 0, 0, 1996, 0, 0, 0, 2730, 0, 0,
		0, 0, 0, 0, 0, 955, 0, 2217, 0, 0, 1985, 472, 197, 0, 0, 0,
		0, 0, 0, 0, 0, 193, 54, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 423, 253, 0, 138, 653, 0, 0, 0, 0, 0, 0, 0, 655,
		0, 0, 0, 2621, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1956,
		0, 0, 0, 1534, 0, 0, 0, 0, 0, 1659, 0, 0, 0, 0, 0, 0,
		0, 1054, 0, 0, 0, 968, 516, 0, 872, 0, 471, 982, 0, 0, 0, 2641,
		2330, 0, 0, 0, 336, 0, 0, 0, 1081, 0, 0, 1724, 0, 547, 0, 0,
		0, 0, 192, 0, 0, 164, 0, 0, 1472, 0, 0, 0, 0, 0, 1971, 2271,
		1219, 0, 1004, 2205, 0, 602, 0, 0, 0, 0, 2251, 2000, 0, 0, 0, 2504,
		0, 0, 0, 0, 0, 362, 2556, 0, 0, 0, 1814, 0, 0, 0, 346, 0,
		0, 1677, 0, 2062, 0, 1273, 1099, 0, 0, 0, 0, 2230, 0, 659, 2443, 2538,
		767, 0, 0, 0, 0, 0, 0, 1280, 0, 2305, 0, 0, 0, 0, 1563, 0,
		688, 0, 681, 0, 0, 34, 0, 0, 0, 264, 0, 0, 0, 1025, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2701, 0, 0, 0, 0, 0,
		0, 0, 330, 0, 0, 1151, 2717, 0, 1600, 0, 0, 0, 2702, 0, 0, 0,
		0, 2001, 2595, 0, 0, 0, 0, 0, 0, 0, 1998, 805, 0, 0, 572, 0,
		0, 0, 0, 1213, 1570, 941, 0, 0, 449, 0, 0, 0, 2549, 0, 970, 0,
		0, 613, 0, 0, 0, 0, 0, 600, 286, 1433, 685, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 881, 701, 1690, 2083, 0, 0, 1056, 2733, 0, 0, 0, 0,
		0, 0, 785, 0, 0, 1699, 0, 1210, 1835, 1142, 1692, 0, 0, 0, 731, 0,
		0, 0, 0, 612, 2382, 0, 2174, 0, 0, 2138, 0, 0, 1346, 0, 0, 0,
		2666, 110, 1871, 245, 0, 0, 0, 469, 0, 0, 0, 1302, 0, 0, 0, 0,
		687, 0, 2529, 0, 0, 0, 1899, 857, 2257, 0, 0, 0, 2107, 0, 81, 483,
		996, 1418, 2319, 0, 0, 0, 0, 0, 0, 0, 0, 590, 0, 0, 0, 2630,
		0, 0, 257, 710, 0, 0, 0, 0, 0, 606, 1278, 2663, 0, 2671, 2478, 0,
		0, 0, 363, 1067, 621, 0, 0, 87, 0, 0, 0, 0, 0, 0, 0, 0,
		849, 2301, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1307, 640, 1650, 0,
		0, 0, 2513, 0, 0, 0, 0, 1973, 0, 0, 0, 0, 510, 0, 0, 948,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 1447, 0, 0, 0, 0, 2591, 0,
		0, 0, 0, 2177, 0, 981, 2324, 752, 2697, 306, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 1431, 2445, 0, 1356, 2393, 0, 0, 0, 0, 2639, 1055, 1060, 1268,
		1440, 0, 0, 0, 0, 0, 1070, 51, 0, 2628, 0, 0, 0, 0, 0, 0,
		31, 0, 0, 1839, 0, 0, 1381, 1718, 0, 1134, 825, 310, 1351, 1906, 0, 0,
		1894, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 504, 0, 0,
		0, 0, 0, 0, 0, 2747, 0, 0, 0, 0, 0, 0, 0, 207, 0, 0,
		0, 0, 0, 1275, 0, 2216, 0, 2192, 0, 1880, 0, 0, 0, 0, 0, 0,
		1539, 2173, 1889, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2136, 0, 0,
		2528, 0, 0, 2579, 0, 0, 0, 2466, 0, 0, 0, 0, 0, 0, 0, 1751,
		0, 0, 0, 0, 0, 633, 0, 0, 0, 0, 0, 0, 0, 1289, 715, 1838,
		0, 966, 2085, 2357, 0, 739, 1064, 2320, 0, 323, 278, 610, 0, 0, 0, 663,
		1829, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 709, 0, 0, 0, 0, 0, 0, 0, 2400, 0, 1156, 0, 1158, 2597, 0,
		0, 0, 203, 693, 0, 0, 1037, 1962, 0, 2694, 946, 1498, 0, 686, 1533, 2441,
		73, 0, 0, 1396, 1980, 1202, 1454, 913, 1989, 0, 0, 2567, 1052, 1065, 0, 0,
		0, 0, 0, 0, 0, 0, 377, 1140, 1613, 0, 0, 2660, 0, 0, 0, 2267,
		0, 0, 0, 2588, 2606, 0, 0, 2521, 0, 121, 534, 781, 0, 0, 0, 0,
		1868, 2698, 2248, 766, 2054, 2031, 0, 1609, 2681, 576, 605, 0, 242, 1216, 0, 0,
		0, 1797, 0, 0, 843, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2664, 0,
		0, 0, 0, 903, 0, 0, 0, 0, 1664, 2434, 0, 0, 0, 0, 0, 0,
		379, 2485, 0, 0, 0, 0, 937, 2274, 0, 2061, 2570, 2311, 1141, 0, 0, 0,
		0, 84, 2431, 827, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 151, 1206, 1592, 189, 741, 298, 678, 822, 0, 0, 908, 2432, 0,
		0, 0, 0, 0, 1795, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2713, 0, 444, 0, 783, 0,
		2327, 2212, 2314, 2460, 0, 0, 0, 0, 0, 0, 2454, 0, 0, 0, 1818, 0,
		0, 1662, 470, 2148, 0, 0, 959, 935, 2276, 0, 1062, 0, 140, 1999, 1347, 0,
		0, 993, 2515, 1242, 0, 0, 0, 0, 1442, 0, 0, 167, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 63, 0, 0, 0, 1248, 2456, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 875, 570, 0, 0, 0, 0, 986, 0, 0, 0, 0, 0, 0, 0, 0,
		2658, 2146, 0, 0, 0, 0, 0, 0, 0, 0, 864, 0, 0, 0, 0, 2165,
		0, 0, 0, 35, 2732, 0, 0, 0, 0, 0, 0, 582, 506, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 265,
		1479, 0, 0, 0, 0, 339, 0, 0, 95, 0, 0, 0, 0, 0, 345, 0,
		0, 533, 707, 0, 0, 0, 2429, 213, 225, 0, 1519, 0, 0, 0, 248, 2653,
		0, 281, 0, 0, 662, 0, 0, 2186, 0, 0, 0, 2139, 0, 97, 0, 0,
		0, 0, 0, 0, 2089, 156, 0, 0, 0, 0, 0, 0, 0, 1737, 0, 0,
		2631, 499, 0, 0, 963, 1923, 0, 0, 0, 0, 0, 0, 309, 0, 0, 0,
		0, 0, 0, 0, 2419, 0, 0, 0, 0, 0, 0, 0, 1387, 1193, 0, 1885,
		0, 0, 965, 870, 0, 0, 1296, 0, 0, 0, 0, 2213, 350, 2506, 0, 0,
		0, 1551, 532, 0, 0, 654, 0, 1886, 373, 2598, 0, 0, 0, 0, 0, 1428,
		0, 592, 1540, 283, 2126, 0, 0, 0, 1660, 0, 0, 2278, 0, 68, 0, 0,
		0, 0, 205, 382, 1441, 0, 387, 1518, 0, 0, 0, 0, 0, 0, 0, 2696,
		0, 0, 2430, 0, 0, 0, 0, 0, 1066, 1252, 0, 0, 0, 1663, 0, 0,
		274, 0, 0, 1589, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1073,
		0, 0, 0, 0, 2442, 0, 0, 2692, 0, 0, 2475, 1137, 2098, 1197, 0, 0,
		0, 0, 0, 0, 0, 519, 793, 826, 1195, 2018, 0, 0, 2337, 0, 2686, 0,
		463, 0, 0, 0, 2690, 0, 1688, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1900, 486, 0, 0, 0, 810, 0, 0, 0, 0, 0, 0, 561, 2112, 0, 541,
		0, 0, 597, 0, 2369, 1787, 0, 1630, 2397, 244, 0, 0, 0, 0, 1330, 1443,
		0, 0, 0, 371, 1687, 2191, 2500, 0, 0, 2, 0, 0, 0, 2125, 2130, 2249,
		1467, 0, 0, 0, 0, 0, 2673, 0, 0, 0, 0, 0, 2424, 0, 0, 314,
		411, 1266, 1016, 1786, 0, 0, 0, 841, 0, 2448, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 771, 1285, 2360, 2318, 0, 1836, 0, 0, 418, 0, 0,
		0, 0, 0, 0, 0, 0, 1129, 40, 129, 391, 2418, 1208, 0, 0, 0, 1408,
		1422, 0, 0, 0, 0, 0, 2060, 1759, 249, 2408, 467, 1438, 0, 2310, 2100, 344,
		0, 0, 0, 0, 0, 0, 37, 335, 660, 0, 187, 0, 0, 0, 0, 1400,
		1637, 0, 0, 513, 0, 356, 1122, 2647, 0, 1040, 1183, 2171, 0, 0, 0, 1731,
		0, 0, 847, 0, 0, 0, 0, 1501, 0, 0, 0, 0, 0, 0, 1053, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 268, 2640, 386, 0,
		0, 0, 2195, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		2057, 0, 0, 0, 0, 0, 1198, 0, 0, 1777, 204, 1342, 1287, 1719, 2113, 0,
		446, 0, 0, 0, 2343, 0, 0, 0, 347, 0, 0, 0, 0, 502, 0, 0,
		0, 85, 852, 798, 1486, 2458, 0, 0, 0, 0, 0, 0, 52, 0, 770, 1117,
		967, 0, 0, 0, 0, 0, 0, 0, 241, 1934, 1950, 0, 0, 0, 0, 0,
		0, 0, 0, 1106, 0, 0, 0, 409, 0, 2349, 0, 0, 0, 0, 0, 0,
		0, 0, 733, 0, 0, 0, 0, 835, 0, 0, 0, 0, 0, 0, 96, 0,
		0, 0, 0, 0, 227, 0, 2672, 0, 0, 0, 2565, 0, 0, 1105, 2166, 2255,
		2615, 0, 0, 0, 0, 0, 0, 0, 1524, 1297, 0, 0, 0, 0, 0, 0,
		2180, 2695, 0, 0, 0, 0, 1047, 2322, 0, 0, 0, 1862, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 2358, 0, 0, 779, 1425, 522, 1569, 0, 893, 0, 0,
		0, 0, 2450, 0, 0, 0, 0, 1691, 0, 2524, 0, 1300, 0, 163, 1192, 251,
		2302, 1606, 0, 114, 2519, 0, 0, 141, 938, 2170, 1674, 2526, 0, 0, 0, 0,
		0, 0, 0, 1587, 1211, 2384, 0, 0, 21, 0, 9, 1935, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 1766, 0, 108, 2560, 0, 0, 0, 699, 0, 0, 1503,
		0, 722, 2376, 904, 0, 0, 0, 2489, 1119, 0, 0, 866, 493, 1728, 0, 1712,
		0, 2583, 0, 0, 2403, 13, 0, 0, 0, 0, 148, 0, 415, 1473, 0, 1138,
		0, 0, 0, 0, 761, 0, 2189, 0, 867, 0, 0, 0, 2636, 1446, 907, 489,
		1488, 1515, 1698, 2548, 0, 0, 0, 0, 0, 0, 0, 0, 2204, 2436, 1345, 1904,
		0, 1796, 0, 0, 0, 0, 0, 2236, 0, 0, 0, 0, 0, 1740, 0, 0,
		0, 0, 2675, 0, 0, 0, 2252, 0, 0, 488, 0, 0, 0, 0, 0, 2090,
		0, 708, 940, 672, 0, 0, 0, 0, 0, 0, 1018, 0, 0, 0, 0, 0,
		0, 2238, 0, 0, 2601, 0, 0, 0, 0, 1566, 0, 0, 0, 1368, 2590, 0,
		0, 0, 0, 0, 0, 2371, 2258, 0, 0, 0, 485, 0, 0, 0, 1958, 1251,
		0, 0, 0, 0, 0, 0, 0, 637, 0, 0, 375, 538, 1808, 0, 2244, 0,
		0, 0, 0, 1619, 185, 160, 2185, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 2027, 1819, 0, 0, 0, 0, 0, 712, 0, 545, 2290, 2642, 1549, 680, 1407,
		1647, 0, 0, 0, 0, 325, 2633, 0, 0, 0, 507, 0, 0, 0, 2234, 0,
		0, 0, 0, 732, 0, 0, 0, 0, 0, 0, 421, 2179, 1393, 0, 0, 0,
		1293, 0, 0, 0, 0, 0, 0, 1745, 0, 0, 985, 0, 0, 440, 0, 0,
		0, 0, 1292, 742, 0, 0, 0, 865, 0, 0, 0, 932, 2417, 0, 0, 0,
		0, 2604, 0, 0, 0, 0, 1310, 0, 1908, 591, 0, 2562, 0, 0, 2176, 0,
		0, 0, 634, 2197, 1199, 2289, 0, 0, 1414, 0, 0, 0, 622, 2564, 0, 0,
		0, 2395, 0, 2731, 0, 340, 0, 0, 0, 1721, 0, 0, 0, 395, 1131, 2116,
		1804, 1807, 2359, 0, 59, 0, 2657, 0, 0, 2049, 0, 403, 0, 0, 0, 0,
		1370, 0, 0, 777, 0, 0, 0, 1445, 1800, 1079, 0, 0, 0, 123, 364, 0,
		684, 1416, 0, 1014, 0, 0, 1111, 0, 0, 0, 0, 0, 0, 836, 0, 408,
		0, 0, 0, 1157, 912, 0, 929, 0, 0, 987, 0, 1495, 0, 0, 0, 420,
		0, 1100, 304, 0, 0, 657, 1126, 0, 0, 0, 0, 2336, 0, 1429, 0, 2366,
		6, 0, 0, 0, 0, 0, 0, 0, 0, 322, 898, 0, 0, 82, 0, 0,
		0, 56, 0, 0, 0, 1755, 0, 716, 0, 0, 0, 0, 2467, 0, 0, 0,
		0, 0, 0, 630, 2047, 0, 0, 0, 0, 495, 1166, 0, 874, 0, 0, 0,
		0, 0, 2444, 2550, 1204, 2739, 0, 412, 0, 1652, 0, 0, 696, 2484, 0, 0,
		0, 0, 0, 0, 0, 2495, 0, 1661, 2532, 0, 0, 0, 0, 1671, 0, 1537,
		0, 794, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1164, 0, 0, 1042,
		152, 850, 1380, 1784, 0, 0, 1448, 0, 0, 0, 0, 0, 315, 0, 0, 0,
		0, 0, 0, 236, 458, 0, 0, 1612, 2540, 0, 0, 1324, 0, 0, 1148, 0,
		0, 2128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 365, 0, 0, 0, 0, 1484, 1954, 2175, 0, 2651, 282, 0, 0, 2003, 0,
		0, 0, 0, 0, 936, 0, 0, 2132, 943, 0, 0, 0, 132, 254, 1115, 0,
		1022, 0, 181, 0, 0, 821, 0, 0, 0, 425, 0, 1444, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 740, 0, 106, 0, 0, 0, 416, 2104,
		1616, 679, 1382, 789, 2133, 0, 0, 0, 1815, 0, 0, 0, 0, 0, 0, 848,
		919, 0, 0, 0, 0, 0, 0, 452, 0, 0, 0, 1930, 0, 0, 490, 165,
		112, 2149, 0, 0, 0, 0, 0, 0, 892, 1098, 0, 0, 0, 0, 0, 0,
		0, 1030, 0, 1676, 0, 0, 0, 1094, 1560, 333, 2462, 2246, 2266, 1011, 2536, 0,
		2533, 0, 0, 2222, 0, 0, 2559, 457, 910, 0, 1305, 2332, 0, 0, 0, 0,
		1928, 0, 845, 2091, 0, 0, 104, 0, 2465, 0, 0, 0, 0, 0, 0, 292,
		103, 0, 0, 811, 1651, 1813, 407, 0, 1190, 2226, 0, 876, 2111, 1628, 0, 0,
		0, 2206, 0, 0, 1656, 0, 0, 0, 542, 1133, 0, 0, 0, 0, 0, 0,
		0, 0, 2232, 0, 0, 0, 0, 0, 1283, 0, 1323, 1185, 301, 0, 496, 0,
		0, 0, 2688, 0, 0, 0, 0, 0, 0, 188, 1343, 0, 0, 0, 0, 858,
		0, 0, 2610, 1384, 0, 0, 2264, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 1546, 2364, 0, 0, 0, 1507, 0, 0, 0, 0, 1186, 0, 127, 0, 0,
		355, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2250, 1489, 0, 593, 23,
		0, 0, 0, 604, 1334, 0, 0, 0, 0, 0, 1430, 0, 0, 0, 157, 1926,
		0, 815, 1327, 0, 0, 0, 2073, 0, 0, 1680, 0, 705, 631, 89, 505, 2679,
		2727, 0, 1246, 0, 1577, 1778, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1949, 0, 1657, 0, 0, 0, 1159, 1496, 2143, 0, 0, 0, 0, 2662, 0, 0,
		0, 1595, 0, 0, 0, 0, 2490, 0, 0, 0, 0, 1017, 2716, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 901, 0, 0, 0, 2721, 0,
		115, 829, 1555, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2280, 0, 0,
		0, 868, 0, 0, 0, 579, 0, 0, 0, 0, 0, 1942, 0, 0, 0, 0,
		2006, 0, 0, 0, 0, 0, 569, 494, 0, 0, 0, 266, 0, 0, 0, 578,
		718, 0, 0, 0, 0, 0, 305, 0, 0, 1858, 2394, 1827, 999, 1224, 0, 0,
		1762, 0, 1741, 1035, 1679, 2742, 1279, 0, 0, 0, 0, 370, 1785, 894, 0, 0,
		944, 1456, 745, 1844, 0, 0, 1260, 1624, 2438, 2563, 0, 384, 0, 1350, 0, 0,
		0, 2531, 0, 0, 0, 0, 262, 1291, 1720, 1790, 0, 0, 2635, 0, 0, 0,
		401, 0, 0, 2496, 0, 0, 2059, 0, 0, 1782, 0, 0, 0, 1007, 0, 0,
	};

	*n = ARRAY_SIZE(tab);
	*hash = tab_hash;
	*hsize = ARRAY_SIZE(tab_hash);
	return tab;
}
