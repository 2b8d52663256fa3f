/*
 * Monitor: the control plane's view of every node.  Per node, one libpq
 * connection driven asynchronously by the event loop (PQconnectStart/
 * PQconnectPoll, PQsendQuery, PQconsumeInput; never blocking) checks every
 * check_interval: reachable, pg_is_in_recovery(), the WAL position, the
 * replay timestamp.  From the results it derives up/down, role (failover
 * aware, no flapping), lag in bytes and seconds, and publishes an
 * immutable struct cluster_snapshot that the data plane reads.
 *
 * Contract used by route.c (pure) and relay.c.  The monitor's owner may
 * add fields and functions but not rename or remove these.
 */
#ifndef PGSTEER_MONITOR_H
#define PGSTEER_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "config.h"

enum node_role {
	ROLE_UNKNOWN = 0,	/* never checked successfully */
	ROLE_PRIMARY,
	ROLE_REPLICA,
};

enum node_availability {
	AVAIL_ACTIVE = 0,	/* set by admins (SET NODE ... AVAILABILITY) / metadata */
	AVAIL_OFFLINE,
};

/* What the monitor knows about one node at snapshot time. */
struct node_status {
	const char *name;		/* points into the snapshot's own storage */
	int cluster_index;		/* index into config clusters */
	int weight;
	bool up;			/* last check succeeded (after health_check_failures) */
	bool in_recovery;		/* pg_is_in_recovery() of the last good check */
	enum node_role role;		/* detected role (see monitor.c for the rules) */
	enum node_availability availability;
	uint64_t wal_lsn;		/* primary: pg_current_wal_lsn(); replica: pg_last_wal_replay_lsn() */
	uint64_t lag_bytes;		/* replicas: primary lsn - replay lsn (0 when ahead/unknown primary) */
	double lag_s;			/* replicas: 0 when caught up, else age of last replayed xact */
	bool lag_known;			/* false until both the replica and its primary were checked */
	uint32_t timeline;		/* primary: its WAL timeline; replica: received timeline; 0 = unknown */
	int consecutive_failures;
	bool unresponsive;		/* its last check got no answer within health_check_timeout */
	int64_t last_check_ms;		/* monotonic ms of the last completed check */
	char last_error[160];		/* why it is down, for logs and SHOW NODES */
};

/*
 * Immutable once published.  Readers take a reference with
 * monitor_snapshot_get() and drop it with monitor_snapshot_put(); the
 * monitor builds a new one for every change.  Worker threads share them:
 * the refcount is atomic.
 */
struct cluster_snapshot {
	int refcount;
	uint64_t generation;		/* bumps on every publish */
	int n_nodes;			/* same order as config nodes */
	struct node_status *nodes;
	int n_clusters;
	int *primary;			/* per cluster: node index of the primary, -1 if none */
	bool *split_brain;		/* per cluster: two nodes report not-in-recovery */
};

struct monitor;

/* Start monitoring CFG's nodes on BASE.  NULL on allocation failure. */
struct monitor *monitor_start(struct event_base *base, const struct config *cfg);
/* Apply a reloaded config (nodes added/removed/changed, intervals). */
void monitor_reconfigure(struct monitor *m, const struct config *cfg);
void monitor_stop(struct monitor *m);

/* The current snapshot (never NULL after monitor_start), with a reference. */
const struct cluster_snapshot *monitor_snapshot_get(struct monitor *m);
void monitor_snapshot_put(const struct cluster_snapshot *snap);

/* Admin: availability override for a node (by name); false if unknown. */
bool monitor_set_availability(struct monitor *m, const char *node, enum node_availability a);
/*
 * A node's scheduling (SET NODE, DRAIN NODE, or the metadata nodes table
 * when another instance changed it): offline or drained nodes get no new
 * work.  False if NODE is not configured (or M is NULL).
 */
bool monitor_set_node_state(struct monitor *m, const char *node, bool offline, bool drained);
/* Was NODE drained (DRAIN NODE, not ended by SET NODE ... AVAILABILITY active)? */
bool monitor_node_drained(const char *node);

/* "0/16B3740" <-> uint64; false on a malformed string. */
bool monitor_parse_lsn(const char *s, uint64_t *out);
/*
 * A primary's pg_current_wal_insert_lsn() as a position a replica's
 * pg_last_wal_replay_lsn() can reach: when the last record ended at a WAL
 * page's end, the insert position is past the next page's header, which
 * no replayed record ends at until more WAL comes; the page's start is
 * that record's end.  WAL_BLOCK_SIZE 0: unknown, unchanged.
 */
uint64_t monitor_lsn_reachable(uint64_t insert_lsn, uint32_t wal_block_size);
void monitor_format_lsn(uint64_t lsn, char *buf, size_t len);

/* ---- additions by the monitor's owner ---- */

/*
 * Consecutive good checks a node must report not-in-recovery, while the
 * known primary is down or in recovery, before it takes over as primary.
 */
#define MONITOR_FAILOVER_CHECKS 3

/*
 * Milliseconds since NODE's last completed good check, -1 if none (the
 * monitor's own clock: snapshots are published on change only, so their
 * last_check_ms can be old on a quiet, healthy cluster).  Control plane
 * only (with the world stopped).
 */
int64_t monitor_check_age_ms(struct monitor *m, const char *node);

/* "primary" / "replica" / "unknown". */
const char *monitor_role_name(enum node_role r);

/*
 * True if writes for CLUSTER can go somewhere: the cluster has a primary
 * that is up and whose last good check reported not-in-recovery.  The
 * snapshot keeps the last known primary while it is down or demoted (writes
 * must never move to a node that has not proven it is the primary), so
 * callers check this rather than primary[cluster] >= 0.
 */
bool monitor_primary_writable(const struct cluster_snapshot *snap, int cluster);

/* Called after every publish with the new snapshot (borrowed: take a
 * reference with monitor_snapshot_get() to keep it).  It runs inside the
 * monitor's event callbacks: it must not call monitor_reconfigure() or
 * monitor_stop(). */
typedef void (*monitor_publish_cb)(void *arg, const struct cluster_snapshot *snap);
void monitor_set_publish_cb(struct monitor *m, monitor_publish_cb cb, void *arg);

/*
 * Function knowledge (issue 4 part 2): on every new connection to a
 * cluster's primary and then every catalog_refresh, the monitor reads
 * (schema, name, provolatile) of every function outside pg_catalog and
 * information_schema from that primary and hands the rows to CB.  The
 * arrays are borrowed for the duration of the call.  With several clusters
 * CB runs once per cluster primary.
 */
typedef void (*monitor_catalog_cb)(void *arg, int nrows, const char *const *schema,
				   const char *const *name, const char *provolatile);
void monitor_set_catalog_cb(struct monitor *m, monitor_catalog_cb cb, void *arg);

/*
 * Pure parts, exposed for unit tests.
 *
 * Role decision: one entry per config node.  The monitor updates up /
 * last_ok / in_recovery after each check of node CHECKED and then calls
 * monitor_decide_roles(), which maintains promote_streak and decides the
 * primary and split-brain flag of CHECKED's cluster.
 */
struct monitor_role_obs {
	int cluster_index;
	bool up;		/* as published (health_check_failures applied) */
	bool last_ok;		/* the check that just completed succeeded */
	bool in_recovery;	/* of the last good check (meaningless until up once) */
	int promote_streak;	/* consecutive good not-in-recovery checks while the
				 * known primary was down or in recovery */
};

enum monitor_role_event {
	ROLE_EV_NONE = 0,
	ROLE_EV_FIRST_PRIMARY = 1 << 0,	/* no primary was known; one is now */
	ROLE_EV_FAILOVER = 1 << 1,	/* the primary moved to another node */
	ROLE_EV_SPLIT_BRAIN = 1 << 2,	/* split brain began */
	ROLE_EV_SPLIT_BRAIN_END = 1 << 3, /* split brain cleared */
};

/* Returns a mask of enum monitor_role_event; *primary and *split_brain are
 * the cluster's state, updated in place. */
int monitor_decide_roles(struct monitor_role_obs *obs, int n_nodes, int checked,
			 int *primary, bool *split_brain, int failover_checks);

/* Lag of one replica against its cluster's primary (see monitor.c). */
struct monitor_lag_input {
	bool primary_known;		/* the primary had a good check */
	uint64_t primary_lsn;		/* its pg_current_wal_lsn() then */
	int64_t primary_check_ms;	/* monotonic time of that check */
	uint64_t replay_lsn;		/* the replica's pg_last_wal_replay_lsn() */
	bool receive_known;
	uint64_t receive_lsn;		/* the replica's pg_last_wal_receive_lsn() */
	bool xact_age_known;
	double xact_age_s;		/* now - pg_last_xact_replay_timestamp() */
	int64_t now_ms;			/* monotonic time of the replica's check */
	uint32_t primary_tli;		/* the primary's WAL timeline, 0 = unknown */
	uint32_t received_tli;		/* pg_stat_wal_receiver.received_tli, 0 = unknown */
};
/* Per-replica memory across checks; reset (caught_up_ms -1, suspect) on failover. */
struct monitor_lag_state {
	int64_t caught_up_ms;		/* primary check time last seen reached, -1 = never */
	bool timeline_suspect;		/* may still follow an old primary's timeline */
};
struct monitor_lag {
	bool known;
	uint64_t lag_bytes;
	double lag_s;
};
void monitor_compute_lag(const struct monitor_lag_input *in, struct monitor_lag_state *st,
			 struct monitor_lag *out);

#endif
