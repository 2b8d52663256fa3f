/*
 * Tenant data moves (datamove.c): TENANT MOVE ... WITH DATA copies a
 * tenant's schema or database to another cluster with PostgreSQL's own
 * tools (pg_dump --schema-only into psql, then a publication on the source
 * and a subscription on the target), waits until the copy has caught up,
 * and at the cutover (inside tenant.c's coordinated hold) waits until the
 * target has applied everything the source had, then sets the target's
 * sequences.  After the placement flips it drops the subscription, its
 * slot and the publication; the source copy stays until TENANT CLEANUP.
 * On failure or TENANT MOVE ... CANCEL everything it created is removed
 * and the tenant stays where it was.
 *
 * Control plane only: asynchronous libpq connections and child processes
 * watched from the event loop; nothing here blocks.
 */
#ifndef PGSTEER_DATAMOVE_H
#define PGSTEER_DATAMOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "admin.h"
#include "config.h"

struct monitor;
struct dmove;

enum dmove_phase {
	DMOVE_PREREQUISITES,
	DMOVE_SCHEMA,
	DMOVE_COPY,
	DMOVE_CATCHUP,
	DMOVE_CUTOVER,
	DMOVE_CLEANUP,
	DMOVE_DONE,
	DMOVE_FAILED,
	DMOVE_CANCELLED,
};

/* What SHOW MOVES shows of one move. */
struct dmove_info {
	const char *tenant, *source, *target, *data_kind, *data_name;
	enum dmove_phase phase;
	int64_t started_unix;
	int tables_copied, tables_total;
	int64_t bytes, lag_bytes;
	double lag_s;
	const char *last_error;
};

/*
 * What tenant.c hears back.  READY: the copy caught up, begin the
 * coordinated hold (then call dmove_cutover()).  FAILED: the move is over
 * before the hold began (SQLSTATE, message); everything created is gone.
 */
struct dmove_hooks {
	void (*ready)(void *arg, struct dmove *m);
	void (*failed)(void *arg, struct dmove *m, const char *sqlstate, const char *msg);
};

/*
 * ENDED hears of every move that finished (done, failed, cancelled,
 * recovered), for the metadata's placement_log.
 */
void dmove_init(struct event_base *base, const struct config *cfg, struct monitor *mon,
		void (*ended)(const char *tenant, const char *from, const char *to, enum dmove_phase phase,
			      const char *error));
void dmove_reconfigure(const struct config *cfg);
/*
 * Exit: abandon the moves in flight (their objects stay; logged).
 * RELEASE frees the caller's ARG of each move no hold owns yet.
 */
void dmove_stop(void (*release)(void *arg));

/*
 * Start copying TENANT's data (KIND, NAME) from cluster FROM to cluster TO
 * (config indexes).  NULL with SQLSTATE/MSG when it cannot start.
 */
struct dmove *dmove_start(const char *tenant, int from, int to, enum admin_data_kind kind,
			  const char *name, const struct dmove_hooks *hooks, void *arg,
			  char *sqlstate, char *msg, size_t len);
/* The hold is complete on every instance: wait for the target, set sequences, then DONE(ok, why). */
void dmove_cutover(struct dmove *m, void (*done)(void *arg, bool ok, const char *why), void *arg);
/*
 * The coordinated move ended: COMMITTED (placement on the target: drop the
 * replication objects) or not (remove everything created on the target).
 * DONE(arg, warning) when finished; M is kept for SHOW MOVES.
 */
void dmove_end(struct dmove *m, bool committed, const char *why,
	       void (*done)(void *arg, const char *warning), void *arg);
/* TENANT MOVE t CANCEL: true if a move of TENANT was cancelled here; else WHY says why not. */
bool dmove_cancel(const char *tenant, char *sqlstate, char *why, size_t len);
/*
 * At start-up: a move of TENANT from FROM to TO that this instance began
 * never ended (it stopped).  Drop its subscription, publication and slots
 * (not the partial copy on the target: logged); the tenant stays where
 * the metadata says.
 */
void dmove_recover(const char *tenant, int from, int to);
/* Is a data move of TENANT running on this instance? */
bool dmove_running(const char *tenant);

/*
 * TENANT CLEANUP: drop the copy of TENANT's data (KIND, NAME) left on
 * cluster CLUSTER; DONE(arg, sqlstate, error) (NULL error: dropped).
 */
bool dmove_drop_copy(const char *tenant, int cluster, enum admin_data_kind kind, const char *name,
		     void (*done)(void *arg, const char *sqlstate, const char *error), void *arg,
		     char *msg, size_t len);

/* What SHOW MOVES would show of M. */
void dmove_describe(const struct dmove *m, struct dmove_info *info);
/* SHOW MOVES: every move this instance runs or ran (the last few), oldest first. */
void dmove_foreach(void (*cb)(void *arg, const struct dmove_info *info), void *arg);
const char *dmove_phase_name(enum dmove_phase p);
/* Counters for /metrics: moves finished by result, and running ones by phase (RUNNING[DMOVE_CLEANUP + 1]). */
void dmove_counts(uint64_t *done, uint64_t *failed, uint64_t *cancelled, int *running);

#endif
