/*
 * Router: a pure function from (statement class, session state, cluster
 * snapshot) to a target node and a human-readable reason.  No I/O, no
 * globals, no clock reads: what EXPLAIN ROUTE and the logs print is the
 * reason returned here.
 *
 * Until the monitor lands (replica routing issue) the snapshot knows only
 * the configured node order, and every statement goes to the first node of
 * the cluster, which the operator lists as the primary.
 */
#ifndef PGSTEER_ROUTE_H
#define PGSTEER_ROUTE_H

#include <stdbool.h>

#include "classify.h"

enum route_target {
	ROUTE_PRIMARY,
	ROUTE_REPLICA,
	ROUTE_REFUSE,		/* pgsteer answers with an error itself */
};

struct route_node {
	const char *name;
	bool up;
	bool is_primary;
	int weight;
};

struct route_snapshot {
	const struct route_node *nodes;
	int n_nodes;
	int primary;		/* index into nodes, -1 when unknown */
};

struct route_session {
	bool in_transaction;
	bool use_primary;
};

struct route_decision {
	enum route_target target;
	int node;		/* index into snapshot nodes, -1 for REFUSE */
	const char *reason;	/* static text */
};

void route_decide(const struct classify_result *stmt, const struct route_session *sess,
		  const struct route_snapshot *snap, struct route_decision *out);

#endif
