/*
 * Router: a pure function from (statement, session state, cluster
 * snapshot, routing config) to a target and a human-readable reason.
 * No I/O, no globals, no clock reads, no randomness of its own (the
 * caller passes a uniform random number for the weighted pick).  What
 * EXPLAIN ROUTE and the logs print is the reason returned here.
 *
 * It implements the ordered rules of doc/routing.md.
 * (Contract used by relay.c; the router's owner may add fields, not
 * rename or remove these.)
 */
#ifndef PGSTEER_ROUTE_H
#define PGSTEER_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"
#include "monitor.h"

enum route_target {
	ROUTE_PRIMARY,		/* node = the cluster's primary */
	ROUTE_REPLICA,		/* node = the chosen replica */
	ROUTE_STAY,		/* inside a transaction: its server connection */
	ROUTE_REFUSE,		/* pgsteer answers with an error (sqlstate) itself */
	ROUTE_LOCAL,		/* a pgsteer control statement, answered by pgsteer */
};

/*
 * SQLSTATEs of ROUTE_REFUSE (doc/routing.md explains the choice):
 * a write inside a transaction that runs on a replica is the client's
 * error, exactly what a standby would answer; no server able to run the
 * statement right now (no primary known, or on_no_replica = error and no
 * eligible replica) is transient and retryable, like a server that is
 * starting up, and the client connection itself stays healthy (so not
 * class 08, which drivers take as "connection lost").
 */
#define ROUTE_SQLSTATE_READ_ONLY_TXN	"25006"	/* read_only_sql_transaction */
#define ROUTE_SQLSTATE_UNAVAILABLE	"57P03"	/* cannot_connect_now */

/*
 * required_lsn while the session is still learning its write's position
 * (the LSN probe is in flight): no replica qualifies, and the reasons say
 * "the session's last write" instead of a position.
 */
#define ROUTE_LSN_PENDING		UINT64_MAX

/* Per-session routing state, owned by the session, updated by relay.c. */
struct route_session {
	/* SQL controls (SET pgsteer.*) */
	bool use_primary;
	bool use_replicas_for_reads;
	bool fallback_ambiguous;
	/* transaction state, from ReadyForQuery and the statement that opened it */
	bool in_transaction;
	bool txn_on_replica;		/* the open transaction runs on a replica */
	bool txn_wrote;			/* a write happened in the open transaction */
	/* default_transaction_isolation = serializable: a hot standby refuses its transactions */
	bool serializable;
	/* read-your-writes */
	bool has_written;		/* ever wrote (rule 5: no fallback after a write) */
	uint64_t required_lsn;		/* sticky: replicas must have replayed this; 0 = none */
	bool ddl_barrier;		/* required_lsn is DDL another session committed (reasons) */
	/* additions (router owner) */
	int txn_node;			/* snapshot node of the open transaction's server, only
					 * for reasons ("routed to replica main2"); -1 = unknown.
					 * Initialise to -1: 0 is a node index. */
};

/* Routing knobs from [routing]. */
struct route_config {
	double max_lag_s;
	uint64_t max_lag_bytes;		/* 0 = off */
	bool read_your_writes;		/* read_your_writes = lsn */
	bool on_no_replica_error;	/* on_no_replica = error */
	/*
	 * causal_read_timeout: a read whose session needs an LSN no replica
	 * has been seen at may go to an otherwise eligible replica that first
	 * waits for it (route_decision.causal_lsn); 0 = off.
	 */
	int64_t causal_read_timeout_ms;
	/*
	 * Replay positions fresher than the snapshot's, by node index (what
	 * causal checks saw; read atomically), or NULL.  N_SEEN entries.
	 */
	const uint64_t *seen_lsn;
	int n_seen;
};

struct route_decision {
	enum route_target target;
	int node;			/* snapshot node index; -1 for STAY/REFUSE/LOCAL or no primary */
	char reason[160];
	const char *sqlstate;		/* ROUTE_REFUSE: e.g. "25006" */
	bool read_fallback;		/* a read went to the primary for want of a replica */
	const char *fallback_reason;	/* "no_replica", "lag", "sticky" ... for metrics */
	bool makes_sticky;		/* a write: the session needs the LSN after commit */
	/* additions (router owner) */
	bool marks_written;		/* the statement is a write: set has_written (and
					 * txn_wrote inside a transaction) */
	/*
	 * ROUTE_REPLICA chosen although no replica was seen at the session's
	 * LSN: the replica must be shown to have replayed CAUSAL_LSN before
	 * the statement runs there (else it goes to the primary).  0: none.
	 */
	uint64_t causal_lsn;
};

/*
 * makes_sticky is set (only with read_your_writes = lsn) for every statement
 * that runs on the primary and may have written: writes, and ambiguous
 * statements (a volatile function may write).  Outside a transaction the
 * session takes pg_current_wal_insert_lsn() after it completes; inside one,
 * after the COMMIT.  marks_written is set for writes only (rule 5 looks at
 * has_written), whatever read_your_writes says.
 */

/*
 * Decide where STMT goes for a session in state SESS of cluster CLUSTER.
 * RANDOM01 is a uniform number in [0,1) for the weighted replica pick.
 */
void route_decide(const struct classify_result *stmt, const struct route_session *sess,
		  const struct cluster_snapshot *snap, int cluster,
		  const struct route_config *rc, double random01,
		  struct route_decision *out);
/*
 * The same decision without the reason text (out->reason is empty unless
 * the statement is refused, whose reason is the client's error message):
 * the per-statement path when nothing will print the reason.
 */
void route_decide_quiet(const struct classify_result *stmt, const struct route_session *sess,
			const struct cluster_snapshot *snap, int cluster,
			const struct route_config *rc, double random01,
			struct route_decision *out);

/*
 * Is node I of SNAP an eligible replica for a session needing REQUIRED_LSN?
 * (rule 6; REQUIRED_LSN counts only with read_your_writes).  WHY (may be
 * NULL) gets "main2 lag 0.01s, weight 2" or the first failed condition,
 * e.g. "main2 lag 7.2s > max_lag 5s", "main3 down".
 */
bool route_replica_eligible(const struct cluster_snapshot *snap, int i, int cluster,
			    const struct route_config *rc, uint64_t required_lsn,
			    char *why, size_t whylen);

/* "primary", "replica", "stay", "refuse", "local" (logs, metrics labels). */
const char *route_target_name(enum route_target t);

#endif
