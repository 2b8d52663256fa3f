/*
 * Session settings that follow a client across server connections:
 * parsing SET/RESET statements, keeping name -> value lists, and building
 * the one statement that makes a server's settings equal a client's.
 * Pure functions: no sockets, no globals.
 */
#ifndef PGSTEER_SESSVAR_H
#define PGSTEER_SESSVAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define SESSVAR_NAME_LEN 64
#define SESSVAR_VALUE_LEN 256
#define SESSVAR_MAX 64		/* per client; more pins the session */

/* The settings PostgreSQL reports with ParameterStatus and pgsteer keeps in step. */
extern const char *const sessvar_reported[];
#define SESSVAR_N_REPORTED 6
/* Index of NAME in sessvar_reported (case-insensitive), or -1. */
int sessvar_reported_index(const char *name);

/* One setting: VALUE is SQL text for SET (from a SET statement) or a string for set_config(). */
struct sessvar {
	char *name;		/* lower case, dotted for custom settings */
	char *value;
	bool sql;
};

/* Sorted by name. */
struct sessvars {
	uint32_t n, cap;
	struct sessvar *v;
};

const struct sessvar *sessvars_get(const struct sessvars *vs, const char *name);
/* Set NAME (replacing); false when out of memory or over SESSVAR_MAX. */
bool sessvars_set(struct sessvars **vs, const char *name, const char *value, bool sql);
void sessvars_unset(struct sessvars **vs, const char *name);
/*
 * RESET ALL (and DISCARD ALL) on a list: every non-reported setting goes,
 * but a custom one (dotted name) stays defined with an empty value, as a
 * backend keeps its placeholder.  False when out of memory.
 */
bool sessvars_reset_all(struct sessvars **vs);
void sessvars_free(struct sessvars **vs);

enum setstmt_kind {
	SETSTMT_NONE,		/* not a session change: SET TRANSACTION, SET CONSTRAINTS */
	SETSTMT_LOCAL,		/* SET LOCAL name = value: until the end of the transaction */
	SETSTMT_SET,		/* name = value (SQL text) */
	SETSTMT_RESET,		/* name back to its default */
	SETSTMT_RESET_ALL,
	SETSTMT_REPORTED,	/* a reported setting: followed through ParameterStatus */
	SETSTMT_UNTRACKED,	/* a change pgsteer cannot carry (SET ROLE, multi-statement ...) */
};

struct setstmt {
	enum setstmt_kind kind;
	char name[SESSVAR_NAME_LEN];
	char value[SESSVAR_VALUE_LEN];
	const char *why;	/* UNTRACKED: a short reason */
	bool reset;		/* REPORTED: RESET or SET ... TO DEFAULT of it (NAME: which) */
};

/* Parse a single SET/RESET statement (SQL text, LEN bytes). */
void sessvar_parse(const char *sql, size_t len, struct setstmt *out);
/* Is VALUE (a setting's value as SET wrote it, quoted or not) WORD, case aside? */
bool sessvar_value_is(const char *value, const char *word);
/*
 * Is VALUE (a SET's SQL text) "off" as an enum setting with boolean
 * aliases reads it (synchronous_commit): off, false, no or 0, any case,
 * quoted or not?
 */
bool sessvar_value_is_off(const char *value);

/* Is NAME carried across connections under TRACK (track_extra_parameters; "*" = all)? */
bool sessvar_tracked(const char *name, strlist track);

/*
 * A 64-bit signature of a full settings vector: the reported values
 * (REPORTED[i] for sessvar_reported[i], NULL = unknown) and the other
 * settings VS.  Equal signatures mean nothing to do.
 */
uint64_t sessvar_signature(const char *const reported[SESSVAR_N_REPORTED], const struct sessvars *vs);

/*
 * Build the statement that turns HAVE into WANT (each: reported values and
 * other settings) in BUF.  Returns its length, 0 when nothing differs, or
 * -1 when BUF is too small.
 */
int sessvar_sync_sql(char *buf, size_t buflen,
		     const char *const want_reported[SESSVAR_N_REPORTED], const struct sessvars *want,
		     const char *const have_reported[SESSVAR_N_REPORTED], const struct sessvars *have);

#endif
