/*
 * Router: where one statement goes, and why, in words.  Implements the
 * ordered rules of doc/routing.md (the normative text, with examples) as
 * a pure function of the classified statement, the session's
 * routing state, the monitor's cluster snapshot and [routing].
 *
 * It must not do I/O, read the clock, draw random numbers (the caller
 * passes one), allocate, or keep state between calls: that is what lets
 * tests/unit/test_route.c check every combination, and lets EXPLAIN ROUTE
 * print the very reason the data plane acted on.
 *
 * The one invariant above all others: a write never goes to a replica.
 * Only CLASS_READ, CLASS_AMBIGUOUS and a BEGIN can be sent to a replica,
 * and a write inside a transaction that runs on a replica is refused with
 * SQLSTATE 25006 before it reaches any server.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "route.h"

/* Why a node is not an eligible replica (first failed condition, rule 6). */
enum replica_verdict {
	RV_ELIGIBLE,
	RV_NOT_CANDIDATE,	/* out of range, other cluster, or the primary: not listed */
	RV_DOWN,
	RV_NOT_REPLICA,		/* up but not a replica in recovery */
	RV_OFFLINE,
	RV_NO_WEIGHT,
	RV_LAG,			/* lag unknown, or over max_lag / max_lag_bytes */
	RV_BEHIND,		/* healthy but not yet at the session's required LSN */
};

/* Everything route_decide() needs, so helpers take one argument. */
struct route_ctx {
	const struct classify_result *stmt;
	const struct route_session *sess;
	const struct cluster_snapshot *snap;
	int cluster;
	const struct route_config *rc;
	double random01;
	struct route_decision *out;
	int primary;		/* validated primary node index, -1 if none */
	const char *label;	/* "read", "write", "BEGIN READ ONLY", ... */
	bool quiet;		/* route_decide_quiet(): no reason text (refusals aside) */
};

#define SERIALIZABLE_DEFAULT "default_transaction_isolation = serializable cannot run on a hot standby"
/* A reason buffer's capacity: 1 (nothing is formatted) when the caller wants no text. */
#define REASON_CAP(c, n) ((c)->quiet ? (size_t)1 : (n))

/*
 * Nodes whose verdicts a read keeps between summing the weights and the
 * pick (another worker may move a replica's seen LSN in between); a larger
 * configuration recomputes them.
 */
#define ROUTE_VERDICTS_KEPT 64

/* A bounded string builder: appends, truncates with "...", never overflows. */
struct rbuf {
	char *p;
	size_t cap;
	size_t len;
};

static bool causal_replica(struct route_ctx *c, uint64_t required_lsn, const char *mode,
			   const char *suffix);
static int weighted_pick(struct route_ctx *c, uint64_t required_lsn, enum replica_verdict verdict,
			 long long total, const unsigned char *verdicts);
static enum replica_verdict replica_verdict(const struct cluster_snapshot *snap, int i,
					    int cluster, const struct route_config *rc,
					    uint64_t required_lsn);
static enum replica_verdict replica_check(const struct cluster_snapshot *snap, int i,
					  int cluster, const struct route_config *rc,
					  uint64_t required_lsn, char *why, size_t whylen);
static void decide_in_transaction(struct route_ctx *c);
static void decide_read(struct route_ctx *c);
static void decide_ambiguous(struct route_ctx *c);
static void decide_begin(struct route_ctx *c);
static void decide_anywhere(struct route_ctx *c);
static void to_primary(struct route_ctx *c, const char *why);
static void to_primary_detail(struct route_ctx *c, const char *why, const char *detail);
static void to_replica(struct route_ctx *c, uint64_t required_lsn, const char *mode,
		       const char *suffix);
static void refuse(struct route_ctx *c, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static const char *statement_label(const struct classify_result *stmt);
static size_t write_command(const char *reason, char *buf, size_t len);
static const char *node_name(const struct cluster_snapshot *snap, int i);
static void format_lsn(uint64_t lsn, char *buf, size_t len);
static void format_bytes(uint64_t bytes, char *buf, size_t len);
static void rb_init(struct rbuf *b, char *p, size_t cap);
static void rb_add(struct rbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void decide(const struct classify_result *stmt, const struct route_session *sess,
		   const struct cluster_snapshot *snap, int cluster, const struct route_config *rc,
		   double random01, bool quiet, struct route_decision *out);

/* ---- Public functions ---- */

bool route_replica_eligible(const struct cluster_snapshot *snap, int i, int cluster,
			    const struct route_config *rc, uint64_t required_lsn,
			    char *why, size_t whylen)
{
	if (why == NULL || whylen == 0)
		return replica_verdict(snap, i, cluster, rc, required_lsn) == RV_ELIGIBLE;
	return replica_check(snap, i, cluster, rc, required_lsn, why, whylen) == RV_ELIGIBLE;
}

void route_decide(const struct classify_result *stmt, const struct route_session *sess,
		  const struct cluster_snapshot *snap, int cluster,
		  const struct route_config *rc, double random01,
		  struct route_decision *out)
{
	decide(stmt, sess, snap, cluster, rc, random01, false, out);
}

/* The same decision; a refusal is decided again with its text (it is the client's error). */
void route_decide_quiet(const struct classify_result *stmt, const struct route_session *sess,
			const struct cluster_snapshot *snap, int cluster,
			const struct route_config *rc, double random01,
			struct route_decision *out)
{
	decide(stmt, sess, snap, cluster, rc, random01, true, out);
	if (out->target == ROUTE_REFUSE)
		decide(stmt, sess, snap, cluster, rc, random01, false, out);
}

const char *route_target_name(enum route_target t)
{
	switch (t) {
	case ROUTE_PRIMARY: return "primary";
	case ROUTE_REPLICA: return "replica";
	case ROUTE_STAY: return "stay";
	case ROUTE_REFUSE: return "refuse";
	case ROUTE_LOCAL: return "local";
	}
	return "unknown";
}

/* ---- Internal functions ---- */

/* Rules 1 to 6 for one statement; QUIET leaves out->reason empty. */
static void decide(const struct classify_result *stmt, const struct route_session *sess,
		   const struct cluster_snapshot *snap, int cluster, const struct route_config *rc,
		   double random01, bool quiet, struct route_decision *out)
{
	struct route_ctx c = {
		.stmt = stmt, .sess = sess, .snap = snap, .cluster = cluster,
		.rc = rc, .random01 = random01, .out = out, .primary = -1, .quiet = quiet,
	};

	assert(stmt != NULL && sess != NULL && rc != NULL && out != NULL);
	memset(out, 0, sizeof(*out));
	out->node = -1;
	c.label = statement_label(stmt);

	if (snap != NULL && snap->primary != NULL && cluster >= 0 && cluster < snap->n_clusters) {
		int p = snap->primary[cluster];

		if (p >= 0 && p < snap->n_nodes && snap->nodes[p].cluster_index == cluster)
			c.primary = p;
	}

	/* Controls are pgsteer's own, never forwarded, even inside a transaction. */
	if (stmt->cls == CLASS_CONTROL) {
		struct rbuf b;

		out->target = ROUTE_LOCAL;
		rb_init(&b, out->reason, sizeof(out->reason));
		if (stmt->control_name[0] != '\0')
			rb_add(&b, "control: %s pgsteer.%s answered by pgsteer",
			       stmt->control == CONTROL_SHOW ? "SHOW" :
			       stmt->control == CONTROL_RESET ? "RESET" : "SET", stmt->control_name);
		else
			rb_add(&b, "control: answered by pgsteer");
		return;
	}
	if (snap == NULL || cluster < 0 || cluster >= snap->n_clusters) {
		refuse(&c, ROUTE_SQLSTATE_UNAVAILABLE, "%s refused: no cluster state yet", c.label);
		return;
	}

	/* Rule 1. */
	if (sess->in_transaction) {
		decide_in_transaction(&c);
		return;
	}

	switch (stmt->cls) {
	case CLASS_READ:				/* rule 4 */
		decide_read(&c);
		break;
	case CLASS_WRITE:				/* rule 3 */
		to_primary(&c, stmt->hint == HINT_REPLICA ? "hint replica ignored for a write" : NULL);
		break;
	case CLASS_AMBIGUOUS:				/* rule 5 */
		decide_ambiguous(&c);
		break;
	case CLASS_TRANSACTION:				/* rule 2 */
		if (stmt->txn == TXN_BEGIN)
			decide_begin(&c);
		else
			decide_anywhere(&c);
		break;
	case CLASS_SESSION:
		decide_anywhere(&c);
		break;
	case CLASS_CONTROL:
	default:
		/* Unknown class: treat like an ambiguous statement, no fallback. */
		to_primary(&c, NULL);
		break;
	}
}

/* What node I (status N) is known to have replayed: the snapshot's, or fresher. */
static uint64_t replayed(const struct route_config *rc, int i, const struct node_status *n)
{
	uint64_t seen = rc->seen_lsn && i < rc->n_seen ?
			__atomic_load_n(&rc->seen_lsn[i], __ATOMIC_RELAXED) : 0;

	return seen > n->wal_lsn ? seen : n->wal_lsn;
}

/*
 * Rule 6 for node I, the verdict alone: runs for every node on every read,
 * so it formats nothing (replica_check() adds the words).
 */
static enum replica_verdict replica_verdict(const struct cluster_snapshot *snap, int i,
					    int cluster, const struct route_config *rc,
					    uint64_t required_lsn)
{
	const struct node_status *n;

	if (snap == NULL || i < 0 || i >= snap->n_nodes || cluster < 0 || cluster >= snap->n_clusters)
		return RV_NOT_CANDIDATE;
	n = &snap->nodes[i];
	if (n->cluster_index != cluster)
		return RV_NOT_CANDIDATE;
	if (snap->primary != NULL && snap->primary[cluster] == i)
		return RV_NOT_CANDIDATE;
	if (!n->up)
		return RV_DOWN;
	if (n->role != ROLE_REPLICA || !n->in_recovery)
		return RV_NOT_REPLICA;
	if (n->availability != AVAIL_ACTIVE)
		return RV_OFFLINE;
	if (n->weight <= 0)
		return RV_NO_WEIGHT;
	if (!n->lag_known || !(n->lag_s <= rc->max_lag_s) ||
	    (rc->max_lag_bytes != 0 && n->lag_bytes > rc->max_lag_bytes))
		return RV_LAG;
	if (rc->read_your_writes && required_lsn != 0 && replayed(rc, i, n) < required_lsn)
		return RV_BEHIND;
	return RV_ELIGIBLE;
}

/* Rule 6 for node I; WHY gets the node's state or the first failed condition. */
static enum replica_verdict replica_check(const struct cluster_snapshot *snap, int i,
					  int cluster, const struct route_config *rc,
					  uint64_t required_lsn, char *why, size_t whylen)
{
	enum replica_verdict v = replica_verdict(snap, i, cluster, rc, required_lsn);
	const struct node_status *n;
	const char *name;
	char a[32], b[32];
	struct rbuf w;

	rb_init(&w, why, whylen);
	if (whylen <= 1)
		return v;
	if (snap == NULL || i < 0 || i >= snap->n_nodes || cluster < 0 || cluster >= snap->n_clusters) {
		rb_add(&w, "node %d: no such node", i);
		return v;
	}
	n = &snap->nodes[i];
	name = node_name(snap, i);
	switch (v) {
	case RV_NOT_CANDIDATE:
		if (n->cluster_index != cluster)
			rb_add(&w, "%s is in another cluster", name);
		else
			rb_add(&w, "%s is the primary", name);
		break;
	case RV_DOWN:
		rb_add(&w, "%s down", name);
		break;
	case RV_NOT_REPLICA:
		rb_add(&w, "%s %s", name,
		       n->role == ROLE_UNKNOWN ? "role unknown" :
		       !n->in_recovery ? "not in recovery" : "is a primary");
		break;
	case RV_OFFLINE:
		rb_add(&w, "%s offline", name);
		break;
	case RV_NO_WEIGHT:
		rb_add(&w, "%s weight 0", name);
		break;
	case RV_LAG:
		if (!n->lag_known) {
			rb_add(&w, "%s lag unknown", name);
		} else if (!(n->lag_s <= rc->max_lag_s)) {
			rb_add(&w, "%s lag %.3gs > max_lag %gs", name, n->lag_s, rc->max_lag_s);
		} else {
			format_bytes(n->lag_bytes, a, sizeof(a));
			format_bytes(rc->max_lag_bytes, b, sizeof(b));
			rb_add(&w, "%s lag %s > max_lag_bytes %s", name, a, b);
		}
		break;
	case RV_BEHIND:
		format_lsn(replayed(rc, i, n), a, sizeof(a));
		format_lsn(required_lsn, b, sizeof(b));
		rb_add(&w, "%s replayed %s < %s", name, a, b);
		break;
	case RV_ELIGIBLE:
		rb_add(&w, "%s lag %.3gs, weight %d", name, n->lag_s, n->weight);
		break;
	}
	return v;
}

/* Rule 1: stay on the transaction's server; refuse a write on a replica. */
static void decide_in_transaction(struct route_ctx *c)
{
	const struct route_session *s = c->sess;
	const struct cluster_snapshot *snap = c->snap;
	const char *where = s->txn_on_replica ? "replica" : "primary";
	char server[96];
	struct rbuf b;
	int t = s->txn_node;
	bool refusing = c->stmt->cls == CLASS_WRITE && s->txn_on_replica;

	server[0] = '\0';
	if (!c->quiet || refusing) {
		if (t >= 0 && t < snap->n_nodes &&
		    (snap->nodes[t].role == ROLE_REPLICA) == s->txn_on_replica)
			snprintf(server, sizeof(server), "%s %s", where, node_name(snap, t));
		else
			snprintf(server, sizeof(server), "its %s", where);
	}

	if (c->stmt->cls == CLASS_WRITE) {
		c->out->marks_written = true;
		if (refusing) {
			char cmd[64];

			if (write_command(c->stmt->reason, cmd, sizeof(cmd)) > 0)
				refuse(c, ROUTE_SQLSTATE_READ_ONLY_TXN,
				       "cannot execute %s in a read-only transaction routed to %s",
				       cmd, server);
			else
				refuse(c, ROUTE_SQLSTATE_READ_ONLY_TXN,
				       "cannot execute a write (%s) in a read-only transaction routed to %s",
				       c->stmt->reason, server);
			return;
		}
	}
	c->out->target = ROUTE_STAY;
	c->out->makes_sticky = !s->txn_on_replica && c->rc->read_your_writes &&
			       (c->stmt->cls == CLASS_WRITE || c->stmt->cls == CLASS_AMBIGUOUS);
	rb_init(&b, c->out->reason, REASON_CAP(c, sizeof(c->out->reason)));
	rb_add(&b, "%s: in transaction, stays on %s", c->label, server);
	if (c->stmt->hint != HINT_NONE)
		rb_add(&b, " (hint ignored inside a transaction)");
	if (c->out->makes_sticky)
		rb_add(&b, "; session becomes sticky after commit");
}

/* Rule 4: replicas unless use_primary or sticky; use_replicas_for_reads and the hint override. */
static void decide_read(struct route_ctx *c)
{
	const struct route_session *s = c->sess;

	if (c->stmt->hint == HINT_PRIMARY)
		to_primary(c, "hint primary");
	else if (c->stmt->hint == HINT_REPLICA)
		to_replica(c, 0, "hint replica", NULL);
	else if (c->stmt->node_local && c->primary >= 0 && c->snap->nodes[c->primary].up)
		to_primary(c, "node-local statistics: the primary's");
	else if (c->stmt->unlogged && c->primary >= 0 && c->snap->nodes[c->primary].up)
		to_primary(c, "an unlogged table: its rows are the primary's");
	else if (s->serializable)
		to_primary(c, SERIALIZABLE_DEFAULT);
	else if (s->use_replicas_for_reads)
		to_replica(c, 0, "use_replicas_for_reads", NULL);
	else if (s->use_primary)
		to_primary(c, "use_primary");
	else
		to_replica(c, s->required_lsn, NULL, NULL);
}

/* Rule 5: primary, unless fallback_ambiguous in a session that never wrote nor set use_primary. */
static void decide_ambiguous(struct route_ctx *c)
{
	const struct route_session *s = c->sess;

	if (c->stmt->hint == HINT_PRIMARY)
		to_primary(c, "hint primary");
	else if (c->stmt->hint == HINT_REPLICA)
		to_replica(c, 0, "hint replica", NULL);
	else if (s->serializable)
		to_primary(c, SERIALIZABLE_DEFAULT);
	else if (s->fallback_ambiguous && !s->has_written && !s->use_primary)
		to_replica(c, s->required_lsn, "fallback_ambiguous", NULL);
	else if (s->use_primary)
		to_primary(c, "use_primary");
	else if (s->fallback_ambiguous)
		to_primary(c, "fallback_ambiguous ends after a write");
	else
		to_primary(c, NULL);
}

/* Rule 2: a transaction starts on the primary, with two replica exceptions. */
static void decide_begin(struct route_ctx *c)
{
	const struct classify_result *st = c->stmt;
	const struct route_session *s = c->sess;

	if (st->hint == HINT_PRIMARY) {
		to_primary(c, "hint primary");
	} else if (st->isolation == ISOLATION_SERIALIZABLE) {
		/* check_transaction_isolation(): "cannot use serializable mode in a hot standby" */
		to_primary(c, "SERIALIZABLE cannot run on a hot standby");
	} else if (st->isolation == ISOLATION_DEFAULT && s->serializable) {
		to_primary(c, SERIALIZABLE_DEFAULT);
	} else if (st->access == ACCESS_READ_ONLY) {
		/* A read-only transaction is a run of reads: rule 4 decides. */
		if (st->hint == HINT_REPLICA)
			to_replica(c, 0, "hint replica", NULL);
		else if (s->use_replicas_for_reads)
			to_replica(c, 0, "use_replicas_for_reads", NULL);
		else if (s->use_primary)
			to_primary(c, "use_primary");
		else
			to_replica(c, s->required_lsn, NULL, NULL);
	} else if (st->access == ACCESS_READ_WRITE) {
		to_primary(c, "READ WRITE");
	} else if (s->fallback_ambiguous && !s->has_written && !s->use_primary) {
		to_replica(c, s->required_lsn, "fallback_ambiguous", "; writes in it are refused");
	} else {
		to_primary(c, st->hint == HINT_REPLICA ? "hint replica applies to BEGIN READ ONLY only" :
			   s->use_primary ? "use_primary" : NULL);
	}
}

/*
 * Session statements (SET, PREPARE, ...) and stray transaction control
 * outside a transaction change no data: the primary, or with no primary
 * known any eligible replica, so a failover does not break SET search_path.
 */
static void decide_anywhere(struct route_ctx *c)
{
	if (c->primary >= 0)
		to_primary(c, NULL);
	else
		to_replica(c, 0, "no primary known", NULL);
}

/* Send to the primary; WHY (may be NULL) is the rule or mode that chose it. */
static void to_primary(struct route_ctx *c, const char *why)
{
	to_primary_detail(c, why, NULL);
}

/* As to_primary(), with DETAIL (may be NULL) after the node: "read: primary main1: DETAIL". */
static void to_primary_detail(struct route_ctx *c, const char *why, const char *detail)
{
	struct route_decision *out = c->out;
	enum classify_class cls = c->stmt->cls;
	struct rbuf b;

	if (c->primary < 0) {
		refuse(c, ROUTE_SQLSTATE_UNAVAILABLE, "%s refused: no primary known%s%s%s",
		       c->label, why ? " (" : "", why ? why : "", why ? ")" : "");
		return;
	}
	if (!c->snap->nodes[c->primary].up) {
		/* known, but down (a failover under way): an ERROR now, not a failed connect later */
		refuse(c, ROUTE_SQLSTATE_UNAVAILABLE, "%s refused: primary %s is down%s%s%s%s%s",
		       c->label, node_name(c->snap, c->primary), detail ? "; " : "",
		       detail ? detail : "", why ? " (" : "", why ? why : "", why ? ")" : "");
		return;
	}
	out->target = ROUTE_PRIMARY;
	out->node = c->primary;
	out->marks_written = cls == CLASS_WRITE;
	out->makes_sticky = c->rc->read_your_writes &&
			    (cls == CLASS_WRITE || cls == CLASS_AMBIGUOUS);
	rb_init(&b, out->reason, REASON_CAP(c, sizeof(out->reason)));
	rb_add(&b, "%s: primary %s", c->label, node_name(c->snap, c->primary));
	if (detail)
		rb_add(&b, ": %s", detail);
	if (why)
		rb_add(&b, " (%s)", why);
	if (out->makes_sticky)
		rb_add(&b, "; session becomes sticky");
	if (c->snap->split_brain != NULL && c->snap->split_brain[c->cluster])
		rb_add(&b, "; split brain: writes stay with the last known primary");
}

/*
 * Send to an eligible replica (weighted pick with random01), else fall back
 * to the primary (counted), or refuse with on_no_replica = error.  MODE
 * names what allowed the replica; SUFFIX is appended to a replica reason.
 */
static void to_replica(struct route_ctx *c, uint64_t required_lsn, const char *mode,
		       const char *suffix)
{
	const struct cluster_snapshot *snap = c->snap;
	struct route_decision *out = c->out;
	long long total = 0;
	bool any_lag = false, any_behind = false;
	char why[96], lsn[32], skipped[160], detail[192];
	unsigned char verdicts[ROUTE_VERDICTS_KEPT];	/* for the pick: the same verdicts as the sum */
	struct rbuf b, sk;
	int i, chosen = -1;

	/* The invariant does not rest on the callers alone (asserts vanish with NDEBUG). */
	if (c->stmt->cls == CLASS_WRITE) {
		to_primary(c, "a write never goes to a replica");
		return;
	}
	if (!c->rc->read_your_writes)
		required_lsn = 0;
	rb_init(&sk, skipped, REASON_CAP(c, sizeof(skipped)));
	for (i = 0; i < snap->n_nodes; i++) {
		enum replica_verdict v = c->quiet ?
			replica_verdict(snap, i, c->cluster, c->rc, required_lsn) :
			replica_check(snap, i, c->cluster, c->rc, required_lsn, why, sizeof(why));
		if (i < ROUTE_VERDICTS_KEPT)
			verdicts[i] = (unsigned char)v;
		if (v == RV_ELIGIBLE) {
			total += snap->nodes[i].weight;
		} else if (v != RV_NOT_CANDIDATE) {
			any_lag |= v == RV_LAG;
			any_behind |= v == RV_BEHIND;
			if (!c->quiet)
				rb_add(&sk, "%s%s", sk.len ? "; " : "", why);
		}
	}

	if (total > 0) {
		chosen = weighted_pick(c, required_lsn, RV_ELIGIBLE, total,
				       snap->n_nodes <= ROUTE_VERDICTS_KEPT ? verdicts : NULL);
		assert(chosen >= 0);
		out->target = ROUTE_REPLICA;
		out->node = chosen;
		rb_init(&b, out->reason, REASON_CAP(c, sizeof(out->reason)));
		if (c->quiet)
			return;
		rb_add(&b, "%s", c->label);
		if (mode)
			rb_add(&b, " (%s)", mode);
		rb_add(&b, ": replica %s (", node_name(snap, chosen));
		rb_add(&b, "lag %.3gs, weight %d", snap->nodes[chosen].lag_s, snap->nodes[chosen].weight);
		if (required_lsn != 0) {
			format_lsn(required_lsn, lsn, sizeof(lsn));
			rb_add(&b, ", replayed past %s", lsn);
		}
		rb_add(&b, ")%s", suffix ? suffix : "");
		return;
	}

	/* None seen at the session's LSN, but some are otherwise fit: one waits for it. */
	if (any_behind && c->rc->causal_read_timeout_ms > 0 && required_lsn != 0 &&
	    required_lsn != UINT64_MAX && causal_replica(c, required_lsn, mode, suffix))
		return;

	/* None eligible.  Only waiting for the session's LSN is stickiness, not a failure. */
	out->read_fallback = true;
	out->fallback_reason = any_behind ? "sticky" : any_lag ? "lag" : "no_replica";
	if (sk.len == 0)
		rb_add(&sk, "no replica in the cluster");

	if (any_behind) {
		format_lsn(required_lsn, lsn, sizeof(lsn));
		if (c->primary < 0) {
			refuse(c, ROUTE_SQLSTATE_UNAVAILABLE,
			       "%s refused: no primary known, and no replica has replayed %s yet",
			       c->label, lsn);
			return;
		}
		if (c->quiet)
			;
		else if (c->sess->ddl_barrier && required_lsn == ROUTE_LSN_PENDING)
			snprintf(why, sizeof(why), "DDL just committed: its position is being read");
		else if (c->sess->ddl_barrier)
			snprintf(why, sizeof(why), "DDL committed: until a replica replays %s", lsn);
		else
			snprintf(why, sizeof(why), "session sticky until a replica replays %s", lsn);
		to_primary(c, c->quiet ? NULL : why);
	} else if (c->rc->on_no_replica_error) {
		refuse(c, ROUTE_SQLSTATE_UNAVAILABLE,
		       "%s refused: no eligible replica (%s); on_no_replica = error", c->label, skipped);
	} else if (c->primary < 0) {
		refuse(c, ROUTE_SQLSTATE_UNAVAILABLE,
		       "%s refused: no eligible replica (%s) and no primary known", c->label, skipped);
	} else {
		if (!c->quiet)
			snprintf(detail, sizeof(detail), "no eligible replica (%s)", skipped);
		to_primary_detail(c, NULL, c->quiet ? NULL : detail);
	}
}

/*
 * The node that random01 picks, in proportion to weight, among those whose
 * replica_verdict() is VERDICT (TOTAL: their summed weights, > 0); -1 if none.
 */
static int weighted_pick(struct route_ctx *c, uint64_t required_lsn, enum replica_verdict verdict,
			 long long total, const unsigned char *verdicts)
{
	const struct cluster_snapshot *snap = c->snap;
	double r = c->random01 >= 0.0 ? c->random01 : 0.0;	/* NaN too */
	long long target = r < 1.0 ? (long long)(r * (double)total) : total - 1, cum = 0;

	if (target >= total)
		target = total - 1;
	for (int i = 0; i < snap->n_nodes; i++) {
		enum replica_verdict v = verdicts ? (enum replica_verdict)verdicts[i] :
					 replica_verdict(snap, i, c->cluster, c->rc, required_lsn);

		if (v != verdict)
			continue;
		cum += snap->nodes[i].weight;
		if (target < cum)
			return i;
	}
	return -1;
}

/*
 * Causal read: a weighted pick among the replicas that are eligible but
 * for the session's LSN; the data plane makes it prove it replayed
 * REQUIRED_LSN (within causal_read_timeout) before the statement runs.
 */
static bool causal_replica(struct route_ctx *c, uint64_t required_lsn, const char *mode,
			   const char *suffix)
{
	const struct cluster_snapshot *snap = c->snap;
	struct route_decision *out = c->out;
	long long total = 0;
	char lsn[32];
	unsigned char verdicts[ROUTE_VERDICTS_KEPT];
	struct rbuf b;
	int chosen;

	for (int i = 0; i < snap->n_nodes; i++) {
		enum replica_verdict v = replica_verdict(snap, i, c->cluster, c->rc, required_lsn);

		if (i < ROUTE_VERDICTS_KEPT)
			verdicts[i] = (unsigned char)v;
		if (v == RV_BEHIND)
			total += snap->nodes[i].weight;
	}
	if (total <= 0 ||
	    (chosen = weighted_pick(c, required_lsn, RV_BEHIND, total,
				    snap->n_nodes <= ROUTE_VERDICTS_KEPT ? verdicts : NULL)) < 0)
		return false;
	out->target = ROUTE_REPLICA;
	out->node = chosen;
	out->causal_lsn = required_lsn;
	rb_init(&b, out->reason, REASON_CAP(c, sizeof(out->reason)));
	rb_add(&b, "%s", c->label);
	if (mode)
		rb_add(&b, " (%s)", mode);
	format_lsn(required_lsn, lsn, sizeof(lsn));
	rb_add(&b, ": replica %s (causal: waits up to %lldms for replay of %s)%s",
	       node_name(snap, chosen), (long long)c->rc->causal_read_timeout_ms, lsn,
	       suffix ? suffix : "");
	return true;
}

/* ROUTE_REFUSE with SQLSTATE and a formatted reason (the client's error message). */
static void refuse(struct route_ctx *c, const char *sqlstate, const char *fmt, ...)
{
	struct route_decision *out = c->out;
	struct rbuf b;
	va_list ap;
	char msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	out->target = ROUTE_REFUSE;
	out->node = -1;
	out->sqlstate = sqlstate;
	out->makes_sticky = false;	/* nothing ran */
	out->marks_written = false;
	out->read_fallback = false;	/* fallback_reason stays, for the log */
	rb_init(&b, out->reason, sizeof(out->reason));
	rb_add(&b, "%s", msg);
}

/* The statement's name in reasons. */
static const char *statement_label(const struct classify_result *stmt)
{
	switch (stmt->cls) {
	case CLASS_READ: return "read";
	case CLASS_AMBIGUOUS: return "ambiguous";
	case CLASS_WRITE: return "write";
	case CLASS_SESSION: return "session";
	case CLASS_CONTROL: return "control";
	case CLASS_TRANSACTION:
		switch (stmt->txn) {
		case TXN_BEGIN:
			return stmt->access == ACCESS_READ_ONLY ? "BEGIN READ ONLY" : "BEGIN";
		case TXN_COMMIT: return "COMMIT";
		case TXN_ROLLBACK: return "ROLLBACK";
		case TXN_SAVEPOINT: return "SAVEPOINT";
		case TXN_RELEASE: return "RELEASE";
		case TXN_ROLLBACK_TO: return "ROLLBACK TO";
		case TXN_PREPARE: return "PREPARE TRANSACTION";
		case TXN_COMMIT_PREPARED: return "COMMIT PREPARED";
		case TXN_NONE: break;
		}
		return "transaction";
	}
	return "statement";
}

/*
 * The command named at the start of the classifier's reason, as PostgreSQL
 * names it in "cannot execute INSERT in a read-only transaction": the
 * leading upper-case words ("INSERT", "CREATE TABLE", "SELECT ... FOR
 * UPDATE").  0 if the reason does not start with one.
 */
static size_t write_command(const char *reason, char *buf, size_t len)
{
	size_t n = 0, keep = 0;
	const char *p = reason;

	buf[0] = '\0';
	while (*p) {
		const char *w = p;
		bool upper = true;

		while (*p && *p != ' ') {
			if (!((*p >= 'A' && *p <= 'Z') || *p == '.' || *p == '_'))
				upper = false;
			p++;
		}
		if (!upper || p == w || n + (size_t)(p - w) + 2 > len)
			break;
		if (n > 0)
			buf[n++] = ' ';
		memcpy(buf + n, w, (size_t)(p - w));
		n += (size_t)(p - w);
		buf[n] = '\0';
		if (w[0] != '.')
			keep = n;	/* never end on "..." */
		while (*p == ' ')
			p++;
	}
	buf[keep] = '\0';
	return keep;
}

static const char *node_name(const struct cluster_snapshot *snap, int i)
{
	const char *name = snap->nodes[i].name;

	return name != NULL && name[0] != '\0' ? name : "(unnamed node)";
}

/* PostgreSQL's text form of an LSN: "0/3000060" (or the pending marker's words). */
static void format_lsn(uint64_t lsn, char *buf, size_t len)
{
	if (lsn == ROUTE_LSN_PENDING)
		snprintf(buf, len, "its last write");
	else
		snprintf(buf, len, "%X/%X", (unsigned)(lsn >> 32), (unsigned)(lsn & 0xffffffffu));
}

/* "512 bytes", "64.0 kB", "16.0 MB", "2.5 GB" (postgresql.conf units). */
static void format_bytes(uint64_t bytes, char *buf, size_t len)
{
	if (bytes < 10240)
		snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
	else if (bytes < 10ull * 1024 * 1024)
		snprintf(buf, len, "%.1f kB", (double)bytes / 1024.0);
	else if (bytes < 10ull * 1024 * 1024 * 1024)
		snprintf(buf, len, "%.1f MB", (double)bytes / (1024.0 * 1024.0));
	else
		snprintf(buf, len, "%.1f GB", (double)bytes / (1024.0 * 1024.0 * 1024.0));
}

static void rb_init(struct rbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->cap = cap;
	b->len = 0;
	p[0] = '\0';
}

/* Append; on overflow keep what fits and end with "...". */
static void rb_add(struct rbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len + 1 >= b->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		b->len = b->cap - 1;
		if (b->cap >= 4)
			memcpy(b->p + b->cap - 4, "...", 4);
	} else {
		b->len += (size_t)n;
	}
}
