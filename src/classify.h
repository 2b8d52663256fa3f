/*
 * Statement classifier: read / write / ambiguous / transaction / session /
 * control, with a reason, from statement text alone plus function knowledge.
 * Pure: no I/O, no globals, no allocation on the classify path.
 *
 * (Contract used by relay.c/route.c.  The classifier's owner may add
 * fields and functions, but not rename or remove these.)
 */
#ifndef PGSTEER_CLASSIFY_H
#define PGSTEER_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum classify_class {
	CLASS_READ = 0,
	CLASS_AMBIGUOUS,
	CLASS_WRITE,
	CLASS_TRANSACTION,
	CLASS_SESSION,
	CLASS_CONTROL,
};

enum classify_hint {
	HINT_NONE = 0,
	HINT_PRIMARY,		/* leading comment pgsteer: primary */
	HINT_REPLICA,		/* leading comment pgsteer: replica */
};

enum classify_txn {
	TXN_NONE = 0,
	TXN_BEGIN,		/* BEGIN / START TRANSACTION */
	TXN_COMMIT,		/* COMMIT / END [AND CHAIN] */
	TXN_ROLLBACK,		/* ROLLBACK / ABORT [AND CHAIN] */
	TXN_SAVEPOINT,
	TXN_RELEASE,
	TXN_ROLLBACK_TO,
	TXN_PREPARE,		/* PREPARE TRANSACTION (class write) */
	TXN_COMMIT_PREPARED,	/* COMMIT/ROLLBACK PREPARED (class write) */
};

enum classify_access {
	ACCESS_DEFAULT = 0,
	ACCESS_READ_ONLY,
	ACCESS_READ_WRITE,
};

enum classify_control {
	CONTROL_NONE = 0,
	CONTROL_SET,		/* SET pgsteer.name = value / TO value */
	CONTROL_RESET,		/* RESET pgsteer.name, SET pgsteer.name TO DEFAULT;
				 * RESET pgsteer.* gives name "*" (plain RESET ALL
				 * is a session statement, not a control) */
	CONTROL_SHOW,		/* SHOW pgsteer.name */
};

/* Transaction isolation named by BEGIN / START TRANSACTION. */
enum classify_isolation {
	ISOLATION_DEFAULT = 0,
	ISOLATION_READ_UNCOMMITTED,
	ISOLATION_READ_COMMITTED,
	ISOLATION_REPEATABLE_READ,
	ISOLATION_SERIALIZABLE,
};

/* What a session-class (or EXECUTE) statement does, for the router's bookkeeping. */
enum classify_session_op {
	SESSION_OP_NONE = 0,
	SESSION_OP_SET,			/* SET x, SET ROLE, SET TRANSACTION, ... */
	SESSION_OP_RESET,		/* RESET x / RESET ALL */
	SESSION_OP_DISCARD,
	SESSION_OP_LOAD,
	SESSION_OP_PREPARE,		/* object_name = statement, prepared_class = its class */
	SESSION_OP_EXECUTE,		/* object_name = statement; cls = what it runs */
	SESSION_OP_DEALLOCATE,		/* object_name = statement */
	SESSION_OP_DEALLOCATE_ALL,
	SESSION_OP_DECLARE,		/* DECLARE CURSOR: object_name = cursor, cls = its query */
};

#define CLASSIFY_REASON_LEN 128
#define CLASSIFY_NAME_LEN 64
#define CLASSIFY_VALUE_LEN 256

struct classify_result {
	enum classify_class cls;
	char reason[CLASSIFY_REASON_LEN];	/* human-readable, e.g. "SELECT ... FOR UPDATE locks rows" */
	enum classify_hint hint;
	/* transaction control (cls == CLASS_TRANSACTION, or write for 2PC) */
	enum classify_txn txn;
	enum classify_access access;		/* BEGIN ... READ ONLY / READ WRITE */
	bool txn_and_chain;
	/* pgsteer control (cls == CLASS_CONTROL) */
	enum classify_control control;
	char control_name[CLASSIFY_NAME_LEN];	/* without the "pgsteer." prefix, lower case */
	char control_value[CLASSIFY_VALUE_LEN];	/* unquoted */
	/* facts */
	bool multi_statement;			/* more than one non-empty statement */
	bool pins_session;			/* temp table, LISTEN, session advisory lock, WITH HOLD cursor ... */
	bool ddl;				/* CREATE, ALTER, DROP, IMPORT FOREIGN SCHEMA: may change what
						 * a statement's text means (prepared plans, types) */
	bool notifies;				/* NOTIFY, or a call of pg_notify() */
	bool node_local;			/* reads a node's own statistics or replication state
						 * (pg_stat_*, pg_statio_*, pg_locks, pg_replication_slots,
						 * pg_prepared_xacts): the primary answers a read */
	bool unlogged;				/* names a table the catalog says is unlogged (its rows
						 * are the primary's only): the primary answers a read */
	bool copy;				/* a COPY: FROM STDIN takes the client's data after it */
	/* additions (owner of classify.c) */
	enum classify_isolation isolation;	/* BEGIN ... ISOLATION LEVEL x */
	bool deferrable;			/* BEGIN ... DEFERRABLE */
	bool changes_session;			/* some part is a session statement (SET, PREPARE, ...) */
	enum classify_session_op session_op;	/* first session statement of the string */
	char object_name[CLASSIFY_NAME_LEN];	/* prepared statement, savepoint or cursor name (folded) */
	enum classify_class prepared_class;	/* PREPARE: class of the prepared statement */
	int statement_count;			/* non-empty statements in the string */
};

/*
 * Per-session context for classify_sql_ctx().  EXECUTE name takes the class
 * that the named prepared statement had when it was prepared: the session
 * remembers prepared_class from PREPARE (or the class of a Parse message)
 * and answers through this callback.  Unknown name (or no callback) makes
 * EXECUTE ambiguous.
 */
typedef bool (*classify_prepared_lookup_fn)(void *arg, const char *name,
					    enum classify_class *cls);
struct classify_context {
	classify_prepared_lookup_fn prepared_lookup;	/* may be NULL */
	void *arg;
	/*
	 * The server reported standard_conforming_strings = off (ParameterStatus):
	 * backslashes escape in plain '...' literals.  Default (false) is the
	 * PostgreSQL default since 9.1.
	 */
	bool standard_conforming_strings_off;
};

/* One function row of the primary's catalog (pg_proc joined to pg_namespace). */
struct classify_catalog_row {
	const char *schema;	/* nspname */
	const char *name;	/* proname */
	char provolatile;	/* 'i', 's' or 'v'; 'u': an unlogged table (relname), not a function */
};

/* Function knowledge: built-in tables + optional catalog + config patterns. */
struct classify_knowledge;

/* Builtins only. NULL on allocation failure. */
struct classify_knowledge *classify_knowledge_new(void);
/*
 * Add PCRE2 pattern lists from [routing] (NULL-terminated arrays, may be
 * NULL).  -1 with a message naming the bad pattern on compile failure.
 * read_functions/write_functions match the function name ("name", unquoted
 * names lower-cased) and, for qualified calls, also "schema.name";
 * primary_patterns/replica_patterns match the whole statement string.
 * Rules: doc/classification.md.  Matching reuses match data owned by K, so
 * a knowledge object with patterns serves one thread at a time (NULL or a
 * pattern-less object may be shared read-only).
 */
int classify_knowledge_set_patterns(struct classify_knowledge *k,
				    char **read_functions, char **write_functions,
				    char **primary_patterns, char **replica_patterns,
				    char *errbuf, size_t errlen);
void classify_knowledge_free(struct classify_knowledge *k);
/* A thread that classified is ending: free its scratch space. */
void classify_thread_end(void);
/*
 * Replace the catalog knowledge with ROWS (issue 4 refreshes it from
 * pg_proc).  Immutable/stable functions become read, volatile ones
 * ambiguous, unless a built-in table or a pattern says otherwise.  Not
 * safe while another thread classifies with K: build a new knowledge
 * object and swap it instead.  -1 on allocation failure (K unchanged).
 */
int classify_knowledge_set_catalog(struct classify_knowledge *k,
				   const struct classify_catalog_row *rows, size_t nrows);

/*
 * Classify SQL (LEN bytes, need not be NUL-terminated).  K may be NULL
 * (built-in knowledge only).  Always fills OUT; never fails.
 */
void classify_sql(const char *sql, size_t len, const struct classify_knowledge *k,
		  struct classify_result *out);

/*
 * As classify_sql(), through a small per-thread cache of recent statements
 * (up to 256 bytes each), keyed on their bytes and on K and its changes:
 * for the texts clients send again and again, such as an extended-protocol
 * Parse with parameters.  Gives what classify_sql() gives.
 */
void classify_sql_cached(const char *sql, size_t len, const struct classify_knowledge *k,
			 struct classify_result *out);

/*
 * As classify_sql(), through the same cache keyed on the statement's shape:
 * its text with the values of plain string and integer literals masked, up
 * to 256 bytes.  For simple Query texts, which carry their values inline
 * (WHERE aid = 4711).  A statement whose class depends on a literal's value
 * is classified every time.  Gives what classify_sql() gives.
 */
void classify_query_cached(const char *sql, size_t len, const struct classify_knowledge *k,
			   struct classify_result *out);

/* What classify_sql_cached() and classify_query_cached() found in this thread's cache so far (for tests). */
struct classify_cache_stats {
	uint64_t hits, misses;
};
struct classify_cache_stats classify_cache_stats(void);

/* As classify_sql(), with a per-session context (may be NULL). */
void classify_sql_ctx(const char *sql, size_t len, const struct classify_knowledge *k,
		      const struct classify_context *ctx, struct classify_result *out);

/* One statement of a multi-statement string: bytes [start, end) of it, without the ";". */
struct classify_span {
	size_t start, end;
};

/*
 * The non-empty statements of SQL as classify_sql() sees them: up to MAX
 * spans into SPANS.  Returns how many there are (more than MAX when they
 * did not all fit), or -1 when the text cannot be lexed.
 */
int classify_split(const char *sql, size_t len, struct classify_span *spans, int max);

const char *classify_class_name(enum classify_class c);

/*
 * What a call of SCHEMA.NAME (SCHEMA NULL or "" if unqualified; names as
 * PostgreSQL stores them, i.e. already case-folded) does to a query's
 * class according to K (may be NULL): CLASS_READ, CLASS_AMBIGUOUS or
 * CLASS_WRITE; *PINS (may be NULL) is set for session-state functions.
 */
enum classify_class classify_function(const struct classify_knowledge *k, const char *schema,
				      const char *name, bool *pins);

/*
 * The next word of SQL at *P (before END), past spaces and comments, into
 * OUT: an identifier or keyword folded to lower case, a quoted identifier
 * as it is, or one of = ; ( ) ,.  Returns where it starts (NULL at the
 * end) and moves *P past it.  For the few statements pgsteer reads a name
 * out of (DROP DATABASE x, EXECUTE x), not for classifying.
 */
const char *classify_word(const char **p, const char *end, char *out, size_t outlen);

/* Self-check of the const tables (sorted for binary search); 0 if fine. For tests. */
int classify_selfcheck(void);

/*
 * `pgsteer --classify [--all]`: read stdin, print CLASS<TAB>REASON lines.
 * Returns the process exit code.
 */
int classify_cli(bool all, const struct classify_knowledge *k);

#endif
