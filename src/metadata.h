/*
 * Metadata: pgsteer's own tables (schema "pgsteer") on the primary of
 * [tenancy] metadata_cluster, reached over one asynchronous libpq
 * connection that follows that cluster's primary as the monitor sees it.
 *
 * On every (re)connect the schema is opened like a careful migrator, in
 * one transaction under pg_advisory_xact_lock: absent -> created at the
 * current version; older -> each upgrade step in order; newer -> refused,
 * nothing touched.  Then LISTEN pgsteer_placement, and the owner (tenant.c)
 * is told to load everything.  Queries are queued and run one at a time.
 *
 * (Contract used by tenant.c and daemon.c.)
 */
#ifndef PGSTEER_METADATA_H
#define PGSTEER_METADATA_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "config.h"

#define METADATA_CHANNEL "pgsteer_placement"
#define METADATA_APP_PREFIX "pgsteer-metadata "	/* + instance name: live instances */

struct monitor;

/* One upgrade step: version it brings the schema to, and its SQL. */
struct metadata_step {
	int version;
	const char *description;
	const char *sql;
};

/* The steps, oldest first; *N gets their count (= the current version). */
const struct metadata_step *metadata_steps(int *n);
/* The schema version this build creates and understands. */
int metadata_current_version(void);

/*
 * Pure: what opening a schema at version FOUND (0 = absent) means.
 * Returns 0 with [*first, *last] the steps to run (first > last: none),
 * or -1 with the refusal in ERR.
 */
int metadata_plan(int found, int *first, int *last, char *err, size_t errlen);

/* What a query's caller gets: RES (borrowed, NULL on error), or SQLSTATE + MESSAGE. */
typedef void (*metadata_result_cb)(void *arg, const PGresult *res, const char *sqlstate,
				   const char *message);

struct metadata_hooks {
	void (*on_ready)(void *arg);			/* connected, schema current, listening */
	void (*on_notify)(void *arg, const char *payload);
	void (*on_lost)(void *arg);			/* the connection went away */
};

/* Start connecting (tenancy on).  0, or -1 if out of memory. */
int metadata_start(struct event_base *base, const struct config *cfg, struct monitor *mon,
		   const struct metadata_hooks *hooks, void *arg);
void metadata_reconfigure(const struct config *cfg);
void metadata_stop(void);

/* Ready for queries (connected, schema current, listening). */
bool metadata_ready(void);
/* The schema could not be opened at startup (version or failed step): pgsteer must exit. */
bool metadata_failed(void);
const char *metadata_error(void);
/* This instance's name in placement_log and in acknowledgements. */
const char *metadata_instance(void);
/* Node (config index) the connection is on, -1 if none. */
int metadata_node(void);

/*
 * Queue one statement with text parameters; CB runs exactly once (also
 * with an error when the connection is lost or the module stops), unless
 * the request is cancelled first.  NULL (CB not called) when not ready.
 */
struct metadata_req;
struct metadata_req *metadata_query(const char *sql, int nparams, const char *const *params,
				    metadata_result_cb cb, void *arg);
/* The caller went away: CB will not be called. */
void metadata_cancel(struct metadata_req *req);

#endif
