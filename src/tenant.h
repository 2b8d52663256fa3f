/*
 * Tenant placement: which cluster each tenant lives on, cached in memory
 * from the metadata tables (metadata.c) and kept current by NOTIFY; how a
 * session names its tenant; the hold of a moving tenant's new
 * transactions; and the TENANT admin commands, including the move
 * protocol shared by every pgsteer instance.
 *
 * (Contract used by client.c, relay.c, control.c, admin.c,
 * daemon.c and stats.c.)
 */
#ifndef PGSTEER_TENANT_H
#define PGSTEER_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "config.h"

#define TENANT_NAME_LEN 64		/* tenant ids: 1..63 bytes of [A-Za-z0-9_.-] */
#define TENANT_CLUSTER_LEN 64

struct client;
struct monitor;
struct admin_command;

enum tenant_state {
	TENANT_ACTIVE,			/* sessions run on its cluster */
	TENANT_MOVING,			/* new transactions wait; in-flight ones finish */
};

/* One placement, as cached. */
struct tenant_entry {
	struct tenant_entry *next;	/* hash chain */
	char id[TENANT_NAME_LEN];
	char cluster[TENANT_CLUSTER_LEN];
	int cluster_index;		/* in the running config; -1 = not configured here */
	char moving_to[TENANT_CLUSTER_LEN];	/* "" unless moving */
	int64_t generation;
	enum tenant_state state;
	int64_t moving_seen_ms;		/* when this instance saw the move begin */
	int64_t acked_generation;	/* move generation this instance confirmed */
};

/* ---------------- Pure parts (unit tested) ---------------- */

struct tenant_map;
struct tenant_map *tenant_map_new(void);
void tenant_map_free(struct tenant_map *m);
struct tenant_entry *tenant_map_get(const struct tenant_map *m, const char *id);
/* Insert or find ID; NULL if out of memory.  A new entry is zeroed but for its id. */
struct tenant_entry *tenant_map_put(struct tenant_map *m, const char *id);
bool tenant_map_del(struct tenant_map *m, const char *id);
size_t tenant_map_count(const struct tenant_map *m);
void tenant_map_clear(struct tenant_map *m);
/* Calls CB for every entry in id order (sorted: stable SHOW TENANTS). */
void tenant_map_foreach_sorted(const struct tenant_map *m,
			       void (*cb)(void *arg, const struct tenant_entry *e), void *arg);

/* 1..63 bytes of letters, digits, '_', '.', '-'. */
bool tenant_name_valid(const char *name);

/*
 * The tenant in a startup "options" value ("-c pgsteer.tenant=x",
 * "--pgsteer.tenant=x", backslash-escaped spaces as libpq writes them).
 * 1 found (OUT filled), 0 absent, -1 malformed (OUT holds the reason).
 */
int tenant_from_options(const char *options, char *out, size_t len);

/*
 * The cluster a new tenant goes to: among the USABLE clusters the one with
 * the fewest tenants (COUNTS), the first in config order on a tie; -1 if
 * none is usable.
 */
int tenant_pick_cluster(int n_clusters, const int *counts, const bool *usable);

/* A NOTIFY payload on pgsteer_placement. */
enum tenant_notify_kind {
	TN_BAD,
	TN_TENANT,			/* "tenant <id>": its row changed */
	TN_NODE,			/* "node <name>": its row changed */
	TN_ACK,				/* "ack <id> <generation> <instance>": paused and drained */
};
struct tenant_notify {
	enum tenant_notify_kind kind;
	char name[TENANT_NAME_LEN];
	int64_t generation;
	char instance[64];
};
void tenant_parse_notify(const char *payload, struct tenant_notify *out);

/* ---------------- The daemon's side ---------------- */

/* Tenancy on ([tenancy] metadata_cluster set): compile patterns, start the metadata connection. */
/*
 * Start tenancy (when [tenancy] metadata_cluster is set).  STOP is how it
 * stops the process when the metadata schema is refused (daemon.c's
 * daemon_shutdown: tenancy does not call up into the daemon).
 */
int tenant_start(struct event_base *base, const struct config *cfg, struct monitor *mon,
		 void (*stop)(bool graceful, const char *why));
void tenant_reconfigure(const struct config *cfg);
void tenant_stop(void);
bool tenant_enabled(void);
/* The placement was loaded at least once. */
bool tenant_loaded(void);

/*
 * Login: the cluster C's session belongs to.  The tenant comes from the
 * startup options, user_pattern or database_pattern (c->tenant is set);
 * without one, DB_CLUSTER (the cluster its database maps to, -1 if none).
 * Returns -1 after failing C (FATAL 3D000 unknown tenant, 57P03 placement
 * not loaded) or when DB_CLUSTER is -1 and no tenant named a cluster.
 */
int tenant_login_cluster(struct client *c, int db_cluster, bool *failed);

/*
 * Start of a transaction (or statement on its own) of C, before routing:
 * false to hold it (its tenant is moving; it runs when the move ends) or
 * when C was refused; true to route it, on the tenant's cluster (switched
 * here, between transactions only, when the placement changed).
 */
bool tenant_statement_gate(struct client *c);

/*
 * SET/RESET pgsteer.tenant: may C name VALUE ("" = unset)?  False with a
 * SQLSTATE and message when not (22023 after the first statement, 3D000
 * unknown tenant under unknown_tenant = reject, 22023 bad name).
 */
bool tenant_control_check(struct client *c, const char *value, const char **sqlstate,
			  char *msg, size_t len);

/* An admin command's answer: a one-row result set, a bare tag, or an error. */
#define TENANT_REPLY_COLS 6
struct tenant_reply {
	const char *sqlstate;		/* NULL: success */
	char message[800];
	const char *tag;		/* CommandComplete */
	int ncols;			/* 0: no result set */
	const char *cols[TENANT_REPLY_COLS];
	uint32_t oids[TENANT_REPLY_COLS];
	const char *vals[TENANT_REPLY_COLS];	/* NULL = SQL NULL; point into buf */
	char buf[TENANT_REPLY_COLS][TENANT_NAME_LEN * 2];
	char sqlstate_buf[6];		/* a kept reply's own copy of sqlstate */
};
typedef void (*tenant_reply_cb)(void *arg, const struct tenant_reply *reply);
struct tenant_op;

/*
 * TENANT CREATE|LOCATE|MOVE|DROP and the persistence of SET NODE /
 * DRAIN NODE (node = cmd->name).  Either answers at once (REPLY filled,
 * returns NULL) or returns an operation that calls CB exactly once later
 * unless tenant_op_cancel() is called first (the admin left; the operation
 * itself still finishes).
 */
struct tenant_op *tenant_admin(const struct admin_command *cmd, const char *admin_user,
			       tenant_reply_cb cb, void *arg, struct tenant_reply *reply);
void tenant_op_cancel(struct tenant_op *op);

/* SHOW TENANTS: every placement, sorted by id. */
void tenant_foreach(void (*cb)(void *arg, const struct tenant_entry *e), void *arg);

/* For /metrics: tenants per config cluster (COUNTS has n_clusters slots), moves. */
void tenant_count_by_cluster(int *counts, int n_clusters);
struct tenant_counters {
	uint64_t moves_done;
	uint64_t moves_rolled_back;
	uint64_t statements_held;	/* transactions that waited for a move */
	bool metadata_up;
	bool enabled;
};
void tenant_counters(struct tenant_counters *out);

#endif
