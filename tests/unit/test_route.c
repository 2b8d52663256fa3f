/*
 * Unit tests for route.c, written as tables in the shape of doc/routing.md's
 * rules: (statement, session state, cluster snapshot, random01)
 * → (target, node, fallback, SQLSTATE, sticky).  Snapshots are built by
 * hand (the monitor is not involved).  Beyond the tables: the invariant
 * that a write never reaches a replica, checked over every combination of
 * statement × hint × session flags × required LSN × config × snapshot ×
 * random01; the weighted pick's distribution; exact reason strings; and a
 * few statements classified from real SQL by classify_sql() (so this test
 * links classify.c too).
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "route.h"

/* ---- snapshots ---- */

#define LSN(hi, lo) (((uint64_t)(hi) << 32) | (uint64_t)(lo))
#define LSN_OLD LSN(0, 0x2000000)	/* every replica has replayed it */
#define LSN_MID LSN(0, 0x3000060)	/* main2 has, main3 has not */
#define LSN_NEW LSN(0, 0x3000100)	/* only the primary has it */
#define MB (1024ull * 1024ull)

enum { MAIN1, MAIN2, MAIN3, OTHER1, OTHER2, N_NODES };
enum { C_MAIN, C_OTHER };

/* Snapshot shapes; all start from HEALTHY. */
enum shape {
	HEALTHY,	/* main1 primary; main2 replica w2 lag 0.01s at 0/3000060; main3 w1 lag 0.5s at 0/3000000 */
	LAGGING,	/* main2 lag 7.2s; main3 down */
	BYTES_BEHIND,	/* main2 20 MB behind (max_lag 5s still met); main3 offline */
	REPLICAS_DOWN,	/* main2 and main3 down */
	NO_REPLICAS,	/* cluster main is main1 alone (main2, main3 moved to "other") */
	NO_PRIMARY,	/* main1 down, no primary known; replicas healthy */
	NOTHING_UP,	/* no primary known, replicas down */
	SPLIT_BRAIN,	/* main3 also reports not in recovery; writes stay with main1 */
	LAG_UNKNOWN,	/* neither replica has a lag yet */
	UNUSABLE,	/* main2 offline (admin), main3 weight 0 */
	PRIMARY_DOWN,	/* main1 still the known primary but down; main2 lag 7.2s; main3 down */
	N_SHAPES
};

static const char *const shape_names[N_SHAPES] = {
	"HEALTHY", "LAGGING", "BYTES_BEHIND", "REPLICAS_DOWN", "NO_REPLICAS",
	"NO_PRIMARY", "NOTHING_UP", "SPLIT_BRAIN", "LAG_UNKNOWN", "UNUSABLE", "PRIMARY_DOWN",
};

struct fixture {
	struct node_status nodes[N_NODES];
	int primary[2];
	bool split_brain[2];
	struct cluster_snapshot snap;
};

static void node(struct fixture *f, int i, const char *name, int cluster, enum node_role role,
		 int weight, uint64_t lsn, double lag_s)
{
	struct node_status *n = &f->nodes[i];

	memset(n, 0, sizeof(*n));
	n->name = name;
	n->cluster_index = cluster;
	n->weight = weight;
	n->up = true;
	n->role = role;
	n->in_recovery = role == ROLE_REPLICA;
	n->availability = AVAIL_ACTIVE;
	n->wal_lsn = lsn;
	n->lag_s = lag_s;
	n->lag_bytes = role == ROLE_REPLICA ? LSN_NEW - lsn : 0;
	n->lag_known = true;
}

static const struct cluster_snapshot *build(struct fixture *f, enum shape s)
{
	memset(f, 0, sizeof(*f));
	node(f, MAIN1, "main1", C_MAIN, ROLE_PRIMARY, 1, LSN_NEW, 0);
	node(f, MAIN2, "main2", C_MAIN, ROLE_REPLICA, 2, LSN_MID, 0.01);
	node(f, MAIN3, "main3", C_MAIN, ROLE_REPLICA, 1, LSN(0, 0x3000000), 0.5);
	node(f, OTHER1, "other1", C_OTHER, ROLE_PRIMARY, 1, LSN(1, 0), 0);
	node(f, OTHER2, "other2", C_OTHER, ROLE_REPLICA, 5, LSN(1, 0), 0);
	f->primary[C_MAIN] = MAIN1;
	f->primary[C_OTHER] = OTHER1;

	switch (s) {
	case HEALTHY:
	case N_SHAPES:
		break;
	case LAGGING:
		f->nodes[MAIN2].lag_s = 7.2;
		f->nodes[MAIN3].up = false;
		break;
	case BYTES_BEHIND:
		f->nodes[MAIN2].lag_bytes = 20 * MB;
		f->nodes[MAIN3].availability = AVAIL_OFFLINE;
		break;
	case REPLICAS_DOWN:
		f->nodes[MAIN2].up = false;
		f->nodes[MAIN3].up = false;
		break;
	case NO_REPLICAS:
		f->nodes[MAIN2].cluster_index = C_OTHER;
		f->nodes[MAIN3].cluster_index = C_OTHER;
		break;
	case NO_PRIMARY:
		f->nodes[MAIN1].up = false;
		f->primary[C_MAIN] = -1;
		break;
	case NOTHING_UP:
		f->nodes[MAIN1].up = false;
		f->nodes[MAIN2].up = false;
		f->nodes[MAIN3].up = false;
		f->primary[C_MAIN] = -1;
		break;
	case SPLIT_BRAIN:
		f->nodes[MAIN3].role = ROLE_PRIMARY;
		f->nodes[MAIN3].in_recovery = false;
		f->split_brain[C_MAIN] = true;
		break;
	case LAG_UNKNOWN:
		f->nodes[MAIN2].lag_known = false;
		f->nodes[MAIN3].lag_known = false;
		break;
	case UNUSABLE:
		f->nodes[MAIN2].availability = AVAIL_OFFLINE;
		f->nodes[MAIN3].weight = 0;
		break;
	case PRIMARY_DOWN:
		f->nodes[MAIN1].up = false;
		f->nodes[MAIN2].lag_s = 7.2;
		f->nodes[MAIN3].up = false;
		break;
	}
	f->snap.refcount = 1;
	f->snap.n_nodes = N_NODES;
	f->snap.nodes = f->nodes;
	f->snap.n_clusters = 2;
	f->snap.primary = f->primary;
	f->snap.split_brain = f->split_brain;
	return &f->snap;
}

/* ---- [routing] variants ---- */

enum cfg { CFG_DEFAULT, CFG_RYW_OFF, CFG_ERROR, CFG_BYTES, N_CFGS };

static struct route_config config(enum cfg c)
{
	struct route_config rc = {
		.max_lag_s = 5, .max_lag_bytes = 0, .read_your_writes = true,
		.on_no_replica_error = false,
	};

	if (c == CFG_RYW_OFF)
		rc.read_your_writes = false;
	if (c == CFG_ERROR)
		rc.on_no_replica_error = true;
	if (c == CFG_BYTES)
		rc.max_lag_bytes = 16 * MB;
	return rc;
}

/* ---- statements (as the classifier reports them) ---- */

enum stmt_kind {
	READ, NODE_LOCAL_READ, AMBIGUOUS, WRITE, CTE_WRITE, PREPARE_TXN,
	BEGIN, BEGIN_RO, BEGIN_RW, BEGIN_SERIALIZABLE_RO,
	COMMIT, ROLLBACK, SAVEPOINT, SET, CONTROL,
	N_STMTS
};

static struct classify_result stmt(enum stmt_kind k, enum classify_hint hint)
{
	struct classify_result r;

	memset(&r, 0, sizeof(r));
	r.hint = hint;
	r.statement_count = 1;
	switch (k) {
	case READ:
		r.cls = CLASS_READ;
		strcpy(r.reason, "SELECT reads");
		break;
	case NODE_LOCAL_READ:
		r.cls = CLASS_READ;
		r.node_local = true;
		strcpy(r.reason, "SELECT reads");
		break;
	case AMBIGUOUS:
		r.cls = CLASS_AMBIGUOUS;
		strcpy(r.reason, "calls unknown function f()");
		break;
	case WRITE:
		r.cls = CLASS_WRITE;
		strcpy(r.reason, "INSERT writes");
		break;
	case CTE_WRITE:
		r.cls = CLASS_WRITE;
		strcpy(r.reason, "data-modifying DELETE in WITH writes");
		break;
	case PREPARE_TXN:
		r.cls = CLASS_WRITE;
		r.txn = TXN_PREPARE;
		strcpy(r.reason, "PREPARE TRANSACTION writes the transaction state");
		break;
	case BEGIN:
	case BEGIN_RO:
	case BEGIN_RW:
	case BEGIN_SERIALIZABLE_RO:
		r.cls = CLASS_TRANSACTION;
		r.txn = TXN_BEGIN;
		r.access = k == BEGIN_RW ? ACCESS_READ_WRITE : k == BEGIN ? ACCESS_DEFAULT : ACCESS_READ_ONLY;
		if (k == BEGIN_SERIALIZABLE_RO)
			r.isolation = ISOLATION_SERIALIZABLE;
		strcpy(r.reason, "BEGIN starts a transaction");
		break;
	case COMMIT:
		r.cls = CLASS_TRANSACTION;
		r.txn = TXN_COMMIT;
		strcpy(r.reason, "COMMIT ends the transaction");
		break;
	case ROLLBACK:
		r.cls = CLASS_TRANSACTION;
		r.txn = TXN_ROLLBACK;
		strcpy(r.reason, "ROLLBACK ends the transaction");
		break;
	case SAVEPOINT:
		r.cls = CLASS_TRANSACTION;
		r.txn = TXN_SAVEPOINT;
		strcpy(r.reason, "SAVEPOINT");
		break;
	case SET:
		r.cls = CLASS_SESSION;
		r.session_op = SESSION_OP_SET;
		strcpy(r.reason, "SET changes session state");
		break;
	case CONTROL:
	case N_STMTS:
		r.cls = CLASS_CONTROL;
		r.control = CONTROL_SET;
		strcpy(r.control_name, "use_primary");
		strcpy(r.control_value, "on");
		strcpy(r.reason, "SET pgsteer.use_primary is a pgsteer control");
		break;
	}
	return r;
}

/* ---- the table runner ---- */

/* Session states, named as the rules name them. */
#define FRESH			{ .txn_node = -1 }
#define USE_PRIMARY		{ .txn_node = -1, .use_primary = true }
#define SERIALIZABLE		{ .txn_node = -1, .serializable = true }
#define REPLICAS_FOR_READS	{ .txn_node = -1, .use_replicas_for_reads = true }
#define BOTH_MODES		{ .txn_node = -1, .use_primary = true, .use_replicas_for_reads = true }
#define FALLBACK		{ .txn_node = -1, .fallback_ambiguous = true }
#define FALLBACK_WRITTEN	{ .txn_node = -1, .fallback_ambiguous = true, .has_written = true }
#define FALLBACK_USE_PRIMARY	{ .txn_node = -1, .fallback_ambiguous = true, .use_primary = true }
#define STICKY(lsn)		{ .txn_node = -1, .has_written = true, .required_lsn = (lsn) }
#define STICKY_FOR_READS(lsn)	{ .txn_node = -1, .has_written = true, .required_lsn = (lsn), \
				  .use_replicas_for_reads = true }
#define IN_TXN_PRIMARY		{ .txn_node = MAIN1, .in_transaction = true }
#define IN_TXN_REPLICA		{ .txn_node = MAIN2, .in_transaction = true, .txn_on_replica = true }
#define IN_TXN_REPLICA_ANON	{ .txn_node = -1, .in_transaction = true, .txn_on_replica = true }

/* Expected outcomes. */
#define NO_FALLBACK NULL
#define NO_ERROR NULL

struct route_case {
	const char *rule;		/* what the row shows, in the words of the rules */
	enum stmt_kind stmt;
	enum classify_hint hint;
	struct route_session sess;
	enum shape shape;
	enum cfg cfg;
	double random01;
	/* expected */
	enum route_target target;
	const char *node;		/* node name, NULL for none */
	const char *fallback;		/* fallback_reason, NULL for none */
	const char *sqlstate;
	bool sticky;
	const char *reason_has;		/* substring of the reason, NULL to skip */
};

static void run_cases(const struct route_case *cases, size_t n)
{
	int failures = 0;

	for (size_t i = 0; i < n; i++) {
		const struct route_case *t = &cases[i];
		struct fixture f;
		const struct cluster_snapshot *snap = build(&f, t->shape);
		struct classify_result st = stmt(t->stmt, t->hint);
		struct route_config rc = config(t->cfg);
		struct route_decision d;
		const char *got_node;
		bool ok;

		route_decide(&st, &t->sess, snap, C_MAIN, &rc, t->random01, &d);
		got_node = d.node >= 0 ? snap->nodes[d.node].name : NULL;
		ok = d.target == t->target &&
		     (t->node ? got_node && strcmp(got_node, t->node) == 0 : got_node == NULL) &&
		     (t->fallback ? d.fallback_reason && strcmp(d.fallback_reason, t->fallback) == 0 &&
				    (d.read_fallback || d.target == ROUTE_REFUSE)
				  : !d.read_fallback) &&
		     (t->sqlstate ? d.sqlstate && strcmp(d.sqlstate, t->sqlstate) == 0 : !d.sqlstate) &&
		     d.makes_sticky == t->sticky &&
		     (!t->reason_has || strstr(d.reason, t->reason_has));
		if (!ok) {
			print_error("FAIL: %s\n"
				    "  expected %s %s fallback=%s sqlstate=%s sticky=%d reason~\"%s\"\n"
				    "  got      %s %s fallback=%s(%d) sqlstate=%s sticky=%d reason=\"%s\"\n",
				    t->rule, route_target_name(t->target), t->node ? t->node : "-",
				    t->fallback ? t->fallback : "-", t->sqlstate ? t->sqlstate : "-",
				    t->sticky, t->reason_has ? t->reason_has : "",
				    route_target_name(d.target), got_node ? got_node : "-",
				    d.fallback_reason ? d.fallback_reason : "-", d.read_fallback,
				    d.sqlstate ? d.sqlstate : "-", d.makes_sticky, d.reason);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

#define RUN(table) run_cases(table, sizeof(table) / sizeof(table[0]))

/* ---- Rule 1: inside an open transaction ---- */

static void test_rule1_transaction(void **state)
{
	(void)state;
	static const struct route_case cases[] = {
	{ "1: a read in a primary transaction stays",
	  READ, HINT_NONE, IN_TXN_PRIMARY, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_STAY, NULL, NO_FALLBACK, NO_ERROR, false, "stays on primary main1" },
	{ "1: a write in a primary transaction stays; sticky after commit",
	  WRITE, HINT_NONE, IN_TXN_PRIMARY, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_STAY, NULL, NO_FALLBACK, NO_ERROR, true, "sticky after commit" },
	{ "1: an ambiguous statement in a primary transaction stays; may write, so sticky",
	  AMBIGUOUS, HINT_NONE, IN_TXN_PRIMARY, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_STAY, NULL, NO_FALLBACK, NO_ERROR, true, NULL },
	{ "1: a write in a primary transaction, read_your_writes off: not sticky",
	  WRITE, HINT_NONE, IN_TXN_PRIMARY, HEALTHY, CFG_RYW_OFF, 0,
	  ROUTE_STAY, NULL, NO_FALLBACK, NO_ERROR, false, NULL },
	{ "1: a read in a replica transaction stays",
	  READ, HINT_NONE, IN_TXN_REPLICA, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_STAY, NULL, NO_FALLBACK, NO_ERROR, false, "stays on replica main2" },
	{ "1+2: a write in a replica transaction is refused with 25006",
	  WRITE, HINT_NONE, IN_TXN_REPLICA, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_REFUSE, NULL, NO_FALLBACK, "25006", false,
	  "cannot execute INSERT in a read-only transaction routed to replica main2" },
	{ "1+2: a hidden write (CTE) in a replica transaction is refused",
	  CTE_WRITE, HINT_NONE, IN_TXN_REPLICA, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_REFUSE, NULL, NO_FALLBACK, "25006", false, "data-modifying DELETE in WITH" },
	{ "1+2: PREPARE TRANSACTION in a replica transaction is refused",
	  PREPARE_TXN, HINT_NONE, IN_TXN_REPLICA, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_REFUSE, NULL, NO_FALLBACK, "25006", false, "cannot execute PREPARE TRANSACTION" },
	{ "1+2: refused even when the replica transaction's node is not known",
	  WRITE, HINT_NONE, IN_TXN_REPLICA_ANON, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_REFUSE, NULL, NO_FALLBACK, "25006", false, "routed to its replica" },
	{ "1+2: a write hinted primary in a replica transaction is still refused",
	  WRITE, HINT_PRIMARY, IN_TXN_REPLICA, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_REFUSE, NULL, NO_FALLBACK, "25006", false, NULL },
	{ "1: an ambiguous statement in a replica transaction stays (fallback accepted it)",
	  AMBIGUOUS, HINT_NONE, IN_TXN_REPLICA, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_STAY, NULL, NO_FALLBACK, NO_ERROR, false, NULL },
	{ "1: COMMIT in a replica transaction stays",
	  COMMIT, HINT_NONE, IN_TXN_REPLICA, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_STAY, NULL, NO_FALLBACK, NO_ERROR, false, NULL },
	{ "1: SAVEPOINT in a primary transaction stays",
	  SAVEPOINT, HINT_NONE, IN_TXN_PRIMARY, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_STAY, NULL, NO_FALLBACK, NO_ERROR, false, NULL },
	{ "1: ROLLBACK stays",
	  ROLLBACK, HINT_NONE, IN_TXN_PRIMARY, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_STAY, NULL, NO_FALLBACK, NO_ERROR, false, NULL },
	{ "1: SET in a transaction stays",
	  SET, HINT_NONE, IN_TXN_REPLICA, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_STAY, NULL, NO_FALLBACK, NO_ERROR, false, NULL },
	{ "1: a nested BEGIN stays (the server warns)",
	  BEGIN_RO, HINT_NONE, IN_TXN_PRIMARY, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_STAY, NULL, NO_FALLBACK, NO_ERROR, false, NULL },
	{ "1: a hint cannot move a statement out of its transaction",
	  READ, HINT_REPLICA, IN_TXN_PRIMARY, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_STAY, NULL, NO_FALLBACK, NO_ERROR, false, "hint ignored inside a transaction" },
	{ "1: modes do not move a statement out of its transaction",
	  READ, HINT_NONE, { .txn_node = MAIN1, .in_transaction = true, .use_replicas_for_reads = true },
	  HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_STAY, NULL, NO_FALLBACK, NO_ERROR, false, NULL },
	{ "1: the transaction stays even when its primary is gone from the snapshot",
	  READ, HINT_NONE, IN_TXN_PRIMARY, NO_PRIMARY, CFG_DEFAULT, 0,
	  ROUTE_STAY, NULL, NO_FALLBACK, NO_ERROR, false, NULL },
	{ "controls are answered by pgsteer even inside a transaction",
	  CONTROL, HINT_NONE, IN_TXN_REPLICA, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_LOCAL, NULL, NO_FALLBACK, NO_ERROR, false, "control" },
	};
	RUN(cases);
}

/* ---- Rule 2: where a transaction starts ---- */

static void test_rule2_begin(void **state)
{
	(void)state;
	static const struct route_case cases[] = {
	{ "2: BEGIN starts on the primary",
	  BEGIN, HINT_NONE, FRESH, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, "BEGIN: primary main1" },
	{ "2: BEGIN READ ONLY starts on a replica",
	  BEGIN_RO, HINT_NONE, FRESH, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, "BEGIN READ ONLY: replica main2" },
	{ "2: BEGIN READ ONLY with no eligible replica: primary, fallback counted",
	  BEGIN_RO, HINT_NONE, FRESH, LAGGING, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", "lag", NO_ERROR, false, "no eligible replica" },
	{ "2+4: BEGIN READ ONLY under use_primary: primary",
	  BEGIN_RO, HINT_NONE, USE_PRIMARY, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, "use_primary" },
	{ "2+4: BEGIN READ ONLY under use_primary + use_replicas_for_reads: replica",
	  BEGIN_RO, HINT_NONE, BOTH_MODES, HEALTHY, CFG_DEFAULT, 0.9,
	  ROUTE_REPLICA, "main3", NO_FALLBACK, NO_ERROR, false, NULL },
	{ "2+3: BEGIN READ ONLY in a sticky session waits for the LSN like a read",
	  BEGIN_RO, HINT_NONE, STICKY(LSN_NEW), HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", "sticky", NO_ERROR, false, "session sticky" },
	{ "2: BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY: primary (not on a hot standby)",
	  BEGIN_SERIALIZABLE_RO, HINT_NONE, FRESH, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, "SERIALIZABLE" },
	{ "2: BEGIN under fallback_ambiguous: replica; writes in it will be refused",
	  BEGIN, HINT_NONE, FALLBACK, HEALTHY, CFG_DEFAULT, 0.9,
	  ROUTE_REPLICA, "main3", NO_FALLBACK, NO_ERROR, false, "writes in it are refused" },
	{ "2: BEGIN under fallback_ambiguous after a write: primary",
	  BEGIN, HINT_NONE, FALLBACK_WRITTEN, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, NULL },
	{ "2: BEGIN under fallback_ambiguous with use_primary: primary",
	  BEGIN, HINT_NONE, FALLBACK_USE_PRIMARY, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, "use_primary" },
	{ "2: BEGIN READ WRITE under fallback_ambiguous: primary (declared writer)",
	  BEGIN_RW, HINT_NONE, FALLBACK, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, "READ WRITE" },
	{ "2: BEGIN under fallback_ambiguous, replicas down: primary, fallback counted",
	  BEGIN, HINT_NONE, FALLBACK, REPLICAS_DOWN, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", "no_replica", NO_ERROR, false, NULL },
	{ "2: BEGIN hinted primary: primary",
	  BEGIN_RO, HINT_PRIMARY, FRESH, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, "hint primary" },
	{ "2: a replica hint does not move a plain BEGIN",
	  BEGIN, HINT_REPLICA, FRESH, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, "BEGIN READ ONLY only" },
	{ "2: a replica hint on BEGIN READ ONLY overrides use_primary",
	  BEGIN_RO, HINT_REPLICA, USE_PRIMARY, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, "hint replica" },
	{ "2+7: BEGIN with no primary known is refused",
	  BEGIN, HINT_NONE, FRESH, NO_PRIMARY, CFG_DEFAULT, 0,
	  ROUTE_REFUSE, NULL, NO_FALLBACK, "57P03", false, "no primary known" },
	{ "2+7: BEGIN READ ONLY with no primary known still gets a replica",
	  BEGIN_RO, HINT_NONE, FRESH, NO_PRIMARY, CFG_DEFAULT, 0,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, NULL },
	};
	RUN(cases);
}

/* ---- Rule 3: writes ---- */

static void test_rule3_write(void **state)
{
	(void)state;
	static const struct route_case cases[] = {
	{ "3: a write goes to the primary and makes the session sticky",
	  WRITE, HINT_NONE, FRESH, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, true, "session becomes sticky" },
	{ "3: read_your_writes = off: a write is not sticky",
	  WRITE, HINT_NONE, FRESH, HEALTHY, CFG_RYW_OFF, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, NULL },
	{ "3: use_replicas_for_reads never moves a write",
	  WRITE, HINT_NONE, REPLICAS_FOR_READS, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, true, NULL },
	{ "3: fallback_ambiguous never moves a write",
	  WRITE, HINT_NONE, FALLBACK, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, true, NULL },
	{ "3: a replica hint never moves a write",
	  WRITE, HINT_REPLICA, FRESH, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, true, "hint replica ignored for a write" },
	{ "3: on_no_replica = error does not concern writes",
	  WRITE, HINT_NONE, FRESH, REPLICAS_DOWN, CFG_ERROR, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, true, NULL },
	{ "3+7: no primary known: a write is refused with 57P03",
	  WRITE, HINT_NONE, FRESH, NO_PRIMARY, CFG_DEFAULT, 0,
	  ROUTE_REFUSE, NULL, NO_FALLBACK, "57P03", false, "write refused: no primary known" },
	{ "3+7: split brain: writes stay with the last known primary, and the reason says so",
	  WRITE, HINT_NONE, FRESH, SPLIT_BRAIN, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, true, "split brain" },
	{ "3: PREPARE TRANSACTION outside a transaction is a write",
	  PREPARE_TXN, HINT_NONE, FALLBACK, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, true, NULL },
	};
	RUN(cases);
}

/* ---- Rule 4: reads ---- */

static void test_rule4_read(void **state)
{
	(void)state;
	static const struct route_case cases[] = {
	{ "4: a read goes to a replica (random01 0 picks the first by weight)",
	  READ, HINT_NONE, FRESH, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, "read: replica main2" },
	{ "4: ... random01 0.9 picks the last third (main3, weight 1 of 3)",
	  READ, HINT_NONE, FRESH, HEALTHY, CFG_DEFAULT, 0.9,
	  ROUTE_REPLICA, "main3", NO_FALLBACK, NO_ERROR, false, NULL },
	{ "4: use_primary: reads go to the primary (a choice, not a fallback)",
	  READ, HINT_NONE, USE_PRIMARY, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, "use_primary" },
	{ "4: use_replicas_for_reads overrides use_primary",
	  READ, HINT_NONE, BOTH_MODES, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, "use_replicas_for_reads" },
	{ "3+4: sticky: no replica has replayed the write: primary",
	  READ, HINT_NONE, STICKY(LSN_NEW), HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", "sticky", NO_ERROR, false,
	  "session sticky until a replica replays 0/3000100" },
	{ "3+4: sticky: only main2 has replayed it, so even random01 0.9 gets main2",
	  READ, HINT_NONE, STICKY(LSN_MID), HEALTHY, CFG_DEFAULT, 0.9,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, "replayed past 0/3000060" },
	{ "3+4: sticky: every replica has replayed it: back to normal",
	  READ, HINT_NONE, STICKY(LSN_OLD), HEALTHY, CFG_DEFAULT, 0.9,
	  ROUTE_REPLICA, "main3", NO_FALLBACK, NO_ERROR, false, NULL },
	{ "3+4: read_your_writes = off: the LSN does not hold reads",
	  READ, HINT_NONE, STICKY(LSN_NEW), HEALTHY, CFG_RYW_OFF, 0,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, NULL },
	{ "4: use_replicas_for_reads overrides stickiness",
	  READ, HINT_NONE, STICKY_FOR_READS(LSN_NEW), HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, NULL },
	{ "4: sticky + on_no_replica = error: still the primary (waiting is not a failure)",
	  READ, HINT_NONE, STICKY(LSN_NEW), HEALTHY, CFG_ERROR, 0,
	  ROUTE_PRIMARY, "main1", "sticky", NO_ERROR, false, NULL },
	{ "4: hint primary",
	  READ, HINT_PRIMARY, REPLICAS_FOR_READS, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, "hint primary" },
	{ "4: default_transaction_isolation = serializable: the primary (a standby refuses it)",
	  READ, HINT_NONE, SERIALIZABLE, HEALTHY, CFG_DEFAULT, 0.9,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, "default_transaction_isolation" },
	{ "5: default_transaction_isolation = serializable, ambiguous: the primary",
	  AMBIGUOUS, HINT_NONE, SERIALIZABLE, HEALTHY, CFG_DEFAULT, 0.9,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, true, "default_transaction_isolation" },
	{ "2: BEGIN READ ONLY with default_transaction_isolation = serializable: the primary",
	  BEGIN_RO, HINT_NONE, SERIALIZABLE, HEALTHY, CFG_DEFAULT, 0.9,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, "default_transaction_isolation" },
	{ "4: node-local statistics (pg_stat_replication): the primary's",
	  NODE_LOCAL_READ, HINT_NONE, FRESH, HEALTHY, CFG_DEFAULT, 0.9,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, "node-local statistics" },
	{ "4: node-local statistics with a hint replica: the replica's",
	  NODE_LOCAL_READ, HINT_REPLICA, FRESH, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, "hint replica" },
	{ "4+7: node-local statistics with no primary known: a replica's",
	  NODE_LOCAL_READ, HINT_NONE, FRESH, NO_PRIMARY, CFG_DEFAULT, 0.9,
	  ROUTE_REPLICA, "main3", NO_FALLBACK, NO_ERROR, false, NULL },
	{ "4: hint replica overrides use_primary",
	  READ, HINT_REPLICA, USE_PRIMARY, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, "hint replica" },
	{ "4: hint replica overrides stickiness",
	  READ, HINT_REPLICA, STICKY(LSN_NEW), HEALTHY, CFG_DEFAULT, 0.9,
	  ROUTE_REPLICA, "main3", NO_FALLBACK, NO_ERROR, false, NULL },
	{ "4+7: no primary known: reads still go to a replica",
	  READ, HINT_NONE, FRESH, NO_PRIMARY, CFG_DEFAULT, 0.9,
	  ROUTE_REPLICA, "main3", NO_FALLBACK, NO_ERROR, false, NULL },
	{ "4+7: nothing up: a read is refused with 57P03",
	  READ, HINT_NONE, FRESH, NOTHING_UP, CFG_DEFAULT, 0,
	  ROUTE_REFUSE, NULL, "no_replica", "57P03", false, "no primary known" },
	{ "3+4+7: sticky with no primary known and replicas behind: refused",
	  READ, HINT_NONE, STICKY(LSN_NEW), NO_PRIMARY, CFG_DEFAULT, 0,
	  ROUTE_REFUSE, NULL, "sticky", "57P03", false, "0/3000100" },
	{ "4+7: no eligible replica and the known primary down: 57P03, not a failed connect",
	  READ, HINT_NONE, FRESH, PRIMARY_DOWN, CFG_DEFAULT, 0,
	  ROUTE_REFUSE, NULL, "lag", "57P03", false, "primary main1 is down; no eligible replica" },
	{ "3+7: a write with the known primary down: 57P03",
	  WRITE, HINT_NONE, FRESH, PRIMARY_DOWN, CFG_DEFAULT, 0,
	  ROUTE_REFUSE, NULL, NO_FALLBACK, "57P03", false, "write refused: primary main1 is down" },
	{ "4+7: split brain: the not-in-recovery main3 gets no reads",
	  READ, HINT_NONE, FRESH, SPLIT_BRAIN, CFG_DEFAULT, 0.9,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, NULL },
	};
	RUN(cases);
}

/* ---- Rule 5: ambiguous statements ---- */

static void test_rule5_ambiguous(void **state)
{
	(void)state;
	static const struct route_case cases[] = {
	{ "5: ambiguous goes to the primary (sticky: it may have written)",
	  AMBIGUOUS, HINT_NONE, FRESH, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, true, "ambiguous: primary main1" },
	{ "5: use_replicas_for_reads is for reads only",
	  AMBIGUOUS, HINT_NONE, REPLICAS_FOR_READS, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, true, NULL },
	{ "5: fallback_ambiguous: a replica",
	  AMBIGUOUS, HINT_NONE, FALLBACK, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, "fallback_ambiguous" },
	{ "5: fallback_ambiguous after a write: primary",
	  AMBIGUOUS, HINT_NONE, FALLBACK_WRITTEN, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, true, "ends after a write" },
	{ "5: fallback_ambiguous with use_primary: primary",
	  AMBIGUOUS, HINT_NONE, FALLBACK_USE_PRIMARY, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, true, "use_primary" },
	{ "5: fallback_ambiguous, replicas lagging: primary, fallback counted",
	  AMBIGUOUS, HINT_NONE, FALLBACK, LAGGING, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", "lag", NO_ERROR, true, NULL },
	{ "5: fallback_ambiguous, replicas down, on_no_replica = error: refused",
	  AMBIGUOUS, HINT_NONE, FALLBACK, REPLICAS_DOWN, CFG_ERROR, 0,
	  ROUTE_REFUSE, NULL, "no_replica", "57P03", false, "on_no_replica = error" },
	{ "5: hint replica lets one ambiguous statement use a replica",
	  AMBIGUOUS, HINT_REPLICA, FRESH, HEALTHY, CFG_DEFAULT, 0.9,
	  ROUTE_REPLICA, "main3", NO_FALLBACK, NO_ERROR, false, "hint replica" },
	{ "5: ... even after a write",
	  AMBIGUOUS, HINT_REPLICA, FALLBACK_WRITTEN, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, NULL },
	{ "5: hint primary wins over fallback_ambiguous",
	  AMBIGUOUS, HINT_PRIMARY, FALLBACK, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, true, "hint primary" },
	{ "5+7: ambiguous with no primary known is refused",
	  AMBIGUOUS, HINT_NONE, FRESH, NO_PRIMARY, CFG_DEFAULT, 0,
	  ROUTE_REFUSE, NULL, NO_FALLBACK, "57P03", false, "no primary known" },
	{ "5+7: ... but fallback_ambiguous still finds a replica",
	  AMBIGUOUS, HINT_NONE, FALLBACK, NO_PRIMARY, CFG_DEFAULT, 0,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, NULL },
	};
	RUN(cases);
}

/* ---- Rule 6: which replicas are eligible ---- */

static void test_rule6_eligibility(void **state)
{
	(void)state;
	static const struct route_case cases[] = {
	{ "6: lag over max_lag and a node down: primary, fallback \"lag\"",
	  READ, HINT_NONE, FRESH, LAGGING, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", "lag", NO_ERROR, false,
	  "no eligible replica (main2 lag 7.2s > max_lag 5s; main3 down)" },
	{ "6: max_lag_bytes off: 20 MB behind is fine (main3 is offline)",
	  READ, HINT_NONE, FRESH, BYTES_BEHIND, CFG_DEFAULT, 0.9,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, NULL },
	{ "6: max_lag_bytes 16 MB: 20 MB behind is not",
	  READ, HINT_NONE, FRESH, BYTES_BEHIND, CFG_BYTES, 0,
	  ROUTE_PRIMARY, "main1", "lag", NO_ERROR, false,
	  "main2 lag 20.0 MB > max_lag_bytes 16.0 MB; main3 offline" },
	{ "6: replicas down: primary, fallback \"no_replica\"",
	  READ, HINT_NONE, FRESH, REPLICAS_DOWN, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", "no_replica", NO_ERROR, false, "main2 down; main3 down" },
	{ "6: replicas down, on_no_replica = error: refused with 57P03",
	  READ, HINT_NONE, FRESH, REPLICAS_DOWN, CFG_ERROR, 0,
	  ROUTE_REFUSE, NULL, "no_replica", "57P03", false, "on_no_replica = error" },
	{ "6: no replica in the cluster (other cluster's replicas do not count)",
	  READ, HINT_NONE, FRESH, NO_REPLICAS, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", "no_replica", NO_ERROR, false, "no replica in the cluster" },
	{ "6: lag not known yet: not eligible",
	  READ, HINT_NONE, FRESH, LAG_UNKNOWN, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", "lag", NO_ERROR, false, "main2 lag unknown" },
	{ "6: offline and weight 0: not eligible",
	  READ, HINT_NONE, FRESH, UNUSABLE, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", "no_replica", NO_ERROR, false, "main2 offline; main3 weight 0" },
	};
	RUN(cases);
}

/* ---- Other classes ---- */

static void test_other_classes(void **state)
{
	(void)state;
	static const struct route_case cases[] = {
	{ "control: SET pgsteer.* is answered by pgsteer",
	  CONTROL, HINT_NONE, FRESH, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_LOCAL, NULL, NO_FALLBACK, NO_ERROR, false, NULL },
	{ "control: answered even with nothing up",
	  CONTROL, HINT_NONE, FRESH, NOTHING_UP, CFG_DEFAULT, 0,
	  ROUTE_LOCAL, NULL, NO_FALLBACK, NO_ERROR, false, NULL },
	{ "session: SET goes to the primary",
	  SET, HINT_NONE, FRESH, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, "session: primary main1" },
	{ "session: with no primary known, SET goes to a replica",
	  SET, HINT_NONE, FRESH, NO_PRIMARY, CFG_DEFAULT, 0,
	  ROUTE_REPLICA, "main2", NO_FALLBACK, NO_ERROR, false, "no primary known" },
	{ "session: nothing up: refused",
	  SET, HINT_NONE, FRESH, NOTHING_UP, CFG_DEFAULT, 0,
	  ROUTE_REFUSE, NULL, "no_replica", "57P03", false, NULL },
	{ "a stray COMMIT outside a transaction: the primary",
	  COMMIT, HINT_NONE, FALLBACK, HEALTHY, CFG_DEFAULT, 0,
	  ROUTE_PRIMARY, "main1", NO_FALLBACK, NO_ERROR, false, NULL },
	};
	RUN(cases);
}

/* ---- Exact reasons: what EXPLAIN ROUTE and the logs print ---- */

static void check_reason(enum stmt_kind k, struct route_session sess, enum shape shape,
			 enum cfg c, double random01, const char *expected)
{
	struct fixture f;
	const struct cluster_snapshot *snap = build(&f, shape);
	struct classify_result st = stmt(k, HINT_NONE);
	struct route_config rc = config(c);
	struct route_decision d;

	route_decide(&st, &sess, snap, C_MAIN, &rc, random01, &d);
	assert_string_equal(d.reason, expected);
}

static void test_reasons(void **state)
{
	(void)state;
	check_reason(READ, (struct route_session)FRESH, HEALTHY, CFG_DEFAULT, 0,
		     "read: replica main2 (lag 0.01s, weight 2)");
	check_reason(WRITE, (struct route_session)FRESH, HEALTHY, CFG_DEFAULT, 0,
		     "write: primary main1; session becomes sticky");
	check_reason(READ, (struct route_session)STICKY(LSN_MID), HEALTHY, CFG_DEFAULT, 0,
		     "read: replica main2 (lag 0.01s, weight 2, replayed past 0/3000060)");
	check_reason(READ, (struct route_session)STICKY(LSN_NEW), HEALTHY, CFG_DEFAULT, 0,
		     "read: primary main1 (session sticky until a replica replays 0/3000100)");
	check_reason(READ, (struct route_session)STICKY(ROUTE_LSN_PENDING), HEALTHY, CFG_DEFAULT, 0,
		     "read: primary main1 (session sticky until a replica replays its last write)");
	check_reason(READ, (struct route_session)FRESH, LAGGING, CFG_DEFAULT, 0,
		     "read: primary main1: no eligible replica (main2 lag 7.2s > max_lag 5s; main3 down)");
	check_reason(WRITE, (struct route_session)IN_TXN_REPLICA, HEALTHY, CFG_DEFAULT, 0,
		     "cannot execute INSERT in a read-only transaction routed to replica main2");
	check_reason(WRITE, (struct route_session)FRESH, NO_PRIMARY, CFG_DEFAULT, 0,
		     "write refused: no primary known");
	check_reason(WRITE, (struct route_session)FRESH, SPLIT_BRAIN, CFG_DEFAULT, 0,
		     "write: primary main1; session becomes sticky; "
		     "split brain: writes stay with the last known primary");
	check_reason(BEGIN, (struct route_session)FALLBACK, HEALTHY, CFG_DEFAULT, 0,
		     "BEGIN (fallback_ambiguous): replica main2 (lag 0.01s, weight 2); "
		     "writes in it are refused");
	check_reason(READ, (struct route_session)FRESH, REPLICAS_DOWN, CFG_ERROR, 0,
		     "read refused: no eligible replica (main2 down; main3 down); on_no_replica = error");
}

/* Reasons never overflow, however long the node names. */
static void test_reason_truncation(void **state)
{
	(void)state;
	struct fixture f;
	const struct cluster_snapshot *snap = build(&f, LAGGING);
	static char longname[300];
	struct classify_result st = stmt(READ, HINT_NONE);
	struct route_config rc = config(CFG_DEFAULT);
	struct route_session sess = FRESH;
	struct route_decision d;

	memset(longname, 'n', sizeof(longname) - 1);
	f.nodes[MAIN1].name = longname;
	f.nodes[MAIN2].name = longname;
	f.nodes[MAIN3].name = longname;
	route_decide(&st, &sess, snap, C_MAIN, &rc, 0, &d);
	assert_int_equal(d.target, ROUTE_PRIMARY);
	assert_true(strlen(d.reason) < sizeof(d.reason));
	assert_string_equal(d.reason + strlen(d.reason) - 3, "...");

	f.nodes[MAIN1].name = NULL;	/* unnamed nodes still get a reason */
	route_decide(&st, &sess, build(&f, REPLICAS_DOWN), C_MAIN, &rc, 0, &d);
	assert_non_null(strstr(d.reason, "main2 down"));
}

/* ---- route_replica_eligible() on its own ---- */

static void test_eligible_why(void **state)
{
	(void)state;
	struct fixture f;
	const struct cluster_snapshot *snap = build(&f, HEALTHY);
	struct route_config rc = config(CFG_DEFAULT);
	char why[96];

	assert_true(route_replica_eligible(snap, MAIN2, C_MAIN, &rc, 0, why, sizeof(why)));
	assert_string_equal(why, "main2 lag 0.01s, weight 2");
	assert_false(route_replica_eligible(snap, MAIN1, C_MAIN, &rc, 0, why, sizeof(why)));
	assert_string_equal(why, "main1 is the primary");
	assert_false(route_replica_eligible(snap, OTHER2, C_MAIN, &rc, 0, why, sizeof(why)));
	assert_string_equal(why, "other2 is in another cluster");
	assert_true(route_replica_eligible(snap, OTHER2, C_OTHER, &rc, 0, why, sizeof(why)));
	assert_false(route_replica_eligible(snap, MAIN3, C_MAIN, &rc, LSN_MID, why, sizeof(why)));
	assert_string_equal(why, "main3 replayed 0/3000000 < 0/3000060");
	assert_true(route_replica_eligible(snap, MAIN2, C_MAIN, &rc, LSN_MID, NULL, 0));
	assert_false(route_replica_eligible(snap, 99, C_MAIN, &rc, 0, why, sizeof(why)));
	assert_false(route_replica_eligible(snap, -1, C_MAIN, &rc, 0, NULL, 0));
	assert_false(route_replica_eligible(snap, MAIN2, 7, &rc, 0, NULL, 0));

	/* exactly at the limits is eligible */
	f.nodes[MAIN2].lag_s = 5.0;
	assert_true(route_replica_eligible(snap, MAIN2, C_MAIN, &rc, 0, NULL, 0));
	rc.max_lag_bytes = f.nodes[MAIN2].lag_bytes;
	assert_true(route_replica_eligible(snap, MAIN2, C_MAIN, &rc, 0, NULL, 0));
	rc.max_lag_bytes -= 1;
	assert_false(route_replica_eligible(snap, MAIN2, C_MAIN, &rc, 0, NULL, 0));
	/* replayed exactly the required LSN is enough */
	assert_true(route_replica_eligible(snap, MAIN3, C_MAIN, &(struct route_config){
		.max_lag_s = 5, .read_your_writes = true }, LSN(0, 0x3000000), NULL, 0));
	/* in recovery but the role says otherwise (promotion not yet confirmed): no reads */
	f.nodes[MAIN3].in_recovery = false;
	assert_false(route_replica_eligible(snap, MAIN3, C_MAIN, &rc, 0, why, sizeof(why)));
	assert_string_equal(why, "main3 not in recovery");
}

/* ---- Weighted pick ---- */

static void sweep(const struct cluster_snapshot *snap, int n, int counts[N_NODES])
{
	struct classify_result st = stmt(READ, HINT_NONE);
	struct route_config rc = config(CFG_DEFAULT);
	struct route_session sess = FRESH;
	struct route_decision d;

	memset(counts, 0, sizeof(int) * N_NODES);
	for (int k = 0; k < n; k++) {
		route_decide(&st, &sess, snap, C_MAIN, &rc, (k + 0.5) / n, &d);
		assert_int_equal(d.target, ROUTE_REPLICA);
		counts[d.node]++;
	}
}

static void test_weighted_pick(void **state)
{
	(void)state;
	struct fixture f;
	const struct cluster_snapshot *snap = build(&f, HEALTHY);
	int counts[N_NODES];

	/* weights 2:1 → a uniform sweep of random01 splits exactly 2:1 */
	sweep(snap, 3000, counts);
	assert_int_equal(counts[MAIN2], 2000);
	assert_int_equal(counts[MAIN3], 1000);
	assert_int_equal(counts[MAIN1] + counts[OTHER1] + counts[OTHER2], 0);

	/* weights 2:5 */
	f.nodes[MAIN3].weight = 5;
	sweep(snap, 7000, counts);
	assert_int_equal(counts[MAIN2], 2000);
	assert_int_equal(counts[MAIN3], 5000);

	/* an ineligible replica's weight goes nowhere: all to main3 */
	f.nodes[MAIN2].lag_s = 60;
	sweep(snap, 100, counts);
	assert_int_equal(counts[MAIN3], 100);
}

static void test_random01_edges(void **state)
{
	(void)state;
	struct fixture f;
	const struct cluster_snapshot *snap = build(&f, HEALTHY);
	struct classify_result st = stmt(READ, HINT_NONE);
	struct route_config rc = config(CFG_DEFAULT);
	struct route_session sess = FRESH;
	struct route_decision d;
	static const struct { double r; int node; } edges[] = {
		{ 0.0, MAIN2 }, { 0.6666, MAIN2 }, { 0.6667, MAIN3 }, { 0.999999, MAIN3 },
		{ 1.0, MAIN3 }, { 7.5, MAIN3 }, { -0.5, MAIN2 },
	};

	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		route_decide(&st, &sess, snap, C_MAIN, &rc, edges[i].r, &d);
		assert_int_equal(d.node, edges[i].node);
	}
	route_decide(&st, &sess, snap, C_MAIN, &rc, NAN, &d);
	assert_int_equal(d.node, MAIN2);
	/* the same random01 always gives the same node */
	for (int i = 0; i < 10; i++) {
		route_decide(&st, &sess, snap, C_MAIN, &rc, 0.42, &d);
		assert_int_equal(d.node, MAIN2);
	}
}

/* ---- Defensive inputs ---- */

static void test_no_snapshot(void **state)
{
	(void)state;
	struct classify_result st = stmt(READ, HINT_NONE);
	struct route_config rc = config(CFG_DEFAULT);
	struct route_session sess = FRESH;
	struct route_decision d;
	struct fixture f;

	route_decide(&st, &sess, NULL, C_MAIN, &rc, 0, &d);
	assert_int_equal(d.target, ROUTE_REFUSE);
	assert_string_equal(d.sqlstate, "57P03");
	route_decide(&st, &sess, build(&f, HEALTHY), 5, &rc, 0, &d);
	assert_int_equal(d.target, ROUTE_REFUSE);
	/* a primary index pointing into another cluster is not this cluster's primary */
	f.primary[C_MAIN] = OTHER1;
	st = stmt(WRITE, HINT_NONE);
	route_decide(&st, &sess, &f.snap, C_MAIN, &rc, 0, &d);
	assert_int_equal(d.target, ROUTE_REFUSE);
	/* the other cluster routes to its own nodes */
	route_decide(&st, &sess, build(&f, HEALTHY), C_OTHER, &rc, 0, &d);
	assert_int_equal(d.node, OTHER1);
	st = stmt(READ, HINT_NONE);
	route_decide(&st, &sess, &f.snap, C_OTHER, &rc, 0.99, &d);
	assert_int_equal(d.node, OTHER2);
}

/* ---- Real SQL, through the classifier (readable end-to-end rows) ---- */

struct sql_case {
	const char *sql;
	struct route_session sess;
	enum route_target target;
	const char *node;
	const char *sqlstate;
	const char *reason;		/* exact */
};

static void test_real_sql(void **state)
{
	(void)state;
	static const struct sql_case cases[] = {
	{ "SELECT * FROM accounts WHERE id = 1", FRESH,
	  ROUTE_REPLICA, "main2", NULL, "read: replica main2 (lag 0.01s, weight 2)" },
	{ "INSERT INTO accounts VALUES (1)", FRESH,
	  ROUTE_PRIMARY, "main1", NULL, "write: primary main1; session becomes sticky" },
	{ "SELECT * FROM accounts", STICKY(LSN_NEW),
	  ROUTE_PRIMARY, "main1", NULL,
	  "read: primary main1 (session sticky until a replica replays 0/3000100)" },
	{ "SELECT 1; INSERT INTO t VALUES (1)", FRESH,
	  ROUTE_PRIMARY, "main1", NULL, "write: primary main1; session becomes sticky" },
	{ "/* pgsteer: primary */ SELECT 1", FRESH,
	  ROUTE_PRIMARY, "main1", NULL, "read: primary main1 (hint primary)" },
	{ "/* pgsteer: replica */ SELECT my_report()", FRESH,
	  ROUTE_REPLICA, "main2", NULL, "ambiguous (hint replica): replica main2 (lag 0.01s, weight 2)" },
	{ "/* pgsteer: replica */ UPDATE t SET a = 1", FRESH,
	  ROUTE_PRIMARY, "main1", NULL,
	  "write: primary main1 (hint replica ignored for a write); session becomes sticky" },
	{ "SELECT my_report()", FALLBACK,
	  ROUTE_REPLICA, "main2", NULL,
	  "ambiguous (fallback_ambiguous): replica main2 (lag 0.01s, weight 2)" },
	{ "BEGIN READ ONLY", FRESH,
	  ROUTE_REPLICA, "main2", NULL, "BEGIN READ ONLY: replica main2 (lag 0.01s, weight 2)" },
	{ "START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY", FRESH,
	  ROUTE_PRIMARY, "main1", NULL,
	  "BEGIN READ ONLY: primary main1 (SERIALIZABLE cannot run on a hot standby)" },
	{ "INSERT INTO t VALUES (1)", IN_TXN_REPLICA,
	  ROUTE_REFUSE, NULL, "25006",
	  "cannot execute INSERT in a read-only transaction routed to replica main2" },
	{ "CREATE TABLE t (a int)", IN_TXN_REPLICA,
	  ROUTE_REFUSE, NULL, "25006",
	  "cannot execute CREATE TABLE in a read-only transaction routed to replica main2" },
	{ "SELECT * FROM t FOR UPDATE", IN_TXN_REPLICA,
	  ROUTE_REFUSE, NULL, "25006",
	  "cannot execute SELECT ... FOR UPDATE in a read-only transaction routed to replica main2" },
	{ "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", IN_TXN_REPLICA,
	  ROUTE_REFUSE, NULL, "25006",
	  "cannot execute a write (data-modifying DELETE in WITH writes) in a read-only "
	  "transaction routed to replica main2" },
	{ "SELECT nextval('s')", IN_TXN_REPLICA,
	  ROUTE_REFUSE, NULL, "25006", NULL },
	{ "COMMIT", IN_TXN_REPLICA,
	  ROUTE_STAY, NULL, NULL, "COMMIT: in transaction, stays on replica main2" },
	{ "SET pgsteer.use_primary = on", IN_TXN_REPLICA,
	  ROUTE_LOCAL, NULL, NULL, "control: SET pgsteer.use_primary answered by pgsteer" },
	{ "SHOW pgsteer.last_route", FRESH,
	  ROUTE_LOCAL, NULL, NULL, "control: SHOW pgsteer.last_route answered by pgsteer" },
	{ "SET search_path = app", FRESH,
	  ROUTE_PRIMARY, "main1", NULL, "session: primary main1" },
	};
	int failures = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sql_case *t = &cases[i];
		struct fixture f;
		const struct cluster_snapshot *snap = build(&f, HEALTHY);
		struct route_config rc = config(CFG_DEFAULT);
		struct classify_result st;
		struct route_decision d;
		const char *got_node;

		classify_sql(t->sql, strlen(t->sql), NULL, &st);
		route_decide(&st, &t->sess, snap, C_MAIN, &rc, 0, &d);
		got_node = d.node >= 0 ? snap->nodes[d.node].name : NULL;
		if (d.target != t->target ||
		    (t->node ? !got_node || strcmp(got_node, t->node) != 0 : got_node != NULL) ||
		    (t->sqlstate ? !d.sqlstate || strcmp(d.sqlstate, t->sqlstate) != 0 : d.sqlstate != NULL) ||
		    (t->reason && strcmp(d.reason, t->reason) != 0)) {
			print_error("FAIL: %s\n  expected %s %s %s \"%s\"\n  got      %s %s %s \"%s\" (%s: %s)\n",
				    t->sql, route_target_name(t->target), t->node ? t->node : "-",
				    t->sqlstate ? t->sqlstate : "-", t->reason ? t->reason : "",
				    route_target_name(d.target), got_node ? got_node : "-",
				    d.sqlstate ? d.sqlstate : "-", d.reason,
				    classify_class_name(st.cls), st.reason);
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- The invariant: a write never goes to a replica ---- */

static void test_never_write_to_replica(void **state)
{
	(void)state;
	static const double randoms[] = { 0.0, 0.5, 0.999 };
	static const uint64_t lsns[] = { 0, LSN_MID, LSN_NEW, ROUTE_LSN_PENDING };
	long combos = 0, refused_in_replica_txn = 0, to_replicas = 0;

	for (int shape = 0; shape < N_SHAPES; shape++) {
		struct fixture f;
		const struct cluster_snapshot *snap = build(&f, (enum shape)shape);

		for (int k = 0; k < N_STMTS; k++)
		for (int hint = HINT_NONE; hint <= HINT_REPLICA; hint++)
		for (int flags = 0; flags < 128; flags++)
		for (size_t l = 0; l < sizeof(lsns) / sizeof(lsns[0]); l++)
		for (int c = 0; c < N_CFGS; c++)
		for (size_t r = 0; r < sizeof(randoms) / sizeof(randoms[0]); r++) {
			struct classify_result st = stmt((enum stmt_kind)k, (enum classify_hint)hint);
			struct route_config rc = config((enum cfg)c);
			struct route_session s = {
				.use_primary = flags & 1,
				.use_replicas_for_reads = flags & 2,
				.fallback_ambiguous = flags & 4,
				.in_transaction = flags & 8,
				.txn_on_replica = flags & 16,
				.txn_wrote = flags & 32,
				.has_written = flags & 64,
				.required_lsn = lsns[l],
				.txn_node = (flags & 16) ? MAIN2 : -1,
			};
			struct route_decision d;
			bool is_write = st.cls == CLASS_WRITE;

			memset(&d, 0xa5, sizeof(d));	/* route_decide fills every field */
			route_decide(&st, &s, snap, C_MAIN, &rc, randoms[r], &d);
			combos++;

			/* the per-statement path's quiet decision is the same decision */
			struct route_decision q;
			memset(&q, 0x5a, sizeof(q));
			route_decide_quiet(&st, &s, snap, C_MAIN, &rc, randoms[r], &q);
			if (q.target != d.target || q.node != d.node || q.sqlstate != d.sqlstate ||
			    q.read_fallback != d.read_fallback ||
			    q.fallback_reason != d.fallback_reason ||
			    q.makes_sticky != d.makes_sticky || q.marks_written != d.marks_written ||
			    (d.target == ROUTE_REFUSE ? strcmp(q.reason, d.reason) != 0 :
			     d.target != ROUTE_LOCAL && q.reason[0] != '\0')) {
				print_error("quiet decision differs: shape %s stmt %d hint %d flags %#x "
					    "lsn %zu cfg %d: %s vs %s (\"%s\" vs \"%s\")\n",
					    shape_names[shape], k, hint, flags, l, c,
					    route_target_name(q.target), route_target_name(d.target),
					    q.reason, d.reason);
				fail();
			}

			/* never a write to a replica, directly or by staying in a replica transaction */
			if (is_write && (d.target == ROUTE_REPLICA ||
					 (d.target == ROUTE_STAY && s.txn_on_replica))) {
				print_error("write routed to a replica: shape %s stmt %d hint %d flags %#x "
					    "lsn %zu cfg %d: %s\n", shape_names[shape], k, hint, flags,
					    l, c, d.reason);
				fail();
			}
			if (is_write && s.in_transaction && s.txn_on_replica) {
				assert_int_equal(d.target, ROUTE_REFUSE);
				assert_string_equal(d.sqlstate, "25006");
				refused_in_replica_txn++;
			}
			/* only reads, ambiguous statements, BEGIN and (without a primary) session
			 * statements ever reach a replica, and only an eligible one */
			if (d.target == ROUTE_REPLICA) {
				to_replicas++;
				assert_true(st.cls == CLASS_READ || st.cls == CLASS_AMBIGUOUS ||
					    (st.cls == CLASS_TRANSACTION && st.txn == TXN_BEGIN) ||
					    ((st.cls == CLASS_SESSION || st.cls == CLASS_TRANSACTION) &&
					     f.primary[C_MAIN] < 0));
				assert_false(s.in_transaction);
				assert_true(route_replica_eligible(snap, d.node, C_MAIN, &rc, 0, NULL, 0));
				assert_int_equal(snap->nodes[d.node].role, ROLE_REPLICA);
			}
			/* well-formed decisions */
			switch (d.target) {
			case ROUTE_PRIMARY:
				assert_true(d.node >= 0);
				assert_int_equal(d.node, f.primary[C_MAIN]);
				assert_null(d.sqlstate);
				break;
			case ROUTE_REPLICA:
				assert_null(d.sqlstate);
				assert_false(d.read_fallback);
				break;
			case ROUTE_STAY:
				assert_true(s.in_transaction);
				assert_int_equal(d.node, -1);
				assert_null(d.sqlstate);
				break;
			case ROUTE_REFUSE:
				assert_int_equal(d.node, -1);
				assert_non_null(d.sqlstate);
				assert_int_equal(strlen(d.sqlstate), 5);
				assert_false(d.makes_sticky);
				break;
			case ROUTE_LOCAL:
				assert_int_equal(st.cls, CLASS_CONTROL);
				assert_int_equal(d.node, -1);
				break;
			default:
				fail();
			}
			assert_true(d.reason[0] != '\0');
			assert_true(memchr(d.reason, '\0', sizeof(d.reason)) != NULL);
			if (d.read_fallback) {
				assert_int_equal(d.target, ROUTE_PRIMARY);
				assert_non_null(d.fallback_reason);
			}
			if (d.makes_sticky) {
				assert_true(rc.read_your_writes);
				assert_true(st.cls == CLASS_WRITE || st.cls == CLASS_AMBIGUOUS);
			}
			assert_int_equal(d.marks_written, is_write && d.target != ROUTE_REFUSE);
		}
	}
	print_message("  %ld combinations, %ld writes refused in replica transactions, "
		      "%ld statements to replicas\n", combos, refused_in_replica_txn, to_replicas);
	assert_true(refused_in_replica_txn > 0);
	assert_true(to_replicas > 0);
}

/* Causal reads: a replica not seen at the session's LSN, but otherwise fit, waits for it. */
static void test_causal_reads(void **state)
{
	struct fixture f;
	const struct cluster_snapshot *snap;
	struct route_config rc = { .max_lag_s = 5, .read_your_writes = true, .causal_read_timeout_ms = 5 };
	struct route_session sess = STICKY(LSN_NEW);
	struct classify_result st = stmt(READ, HINT_NONE);
	struct route_decision d;
	uint64_t seen[N_NODES] = { 0 };

	(void)state;
	snap = build(&f, HEALTHY);
	/* no replica seen at 0/3000100: one of them, told to wait for it */
	route_decide(&st, &sess, snap, C_MAIN, &rc, 0.1, &d);
	assert_int_equal(d.target, ROUTE_REPLICA);
	assert_true(d.causal_lsn == LSN_NEW);
	assert_false(d.read_fallback);
	assert_non_null(strstr(d.reason, "causal: waits up to 5ms for replay of 0/3000100"));
	/* main3 (weight 1) with a high pick: the weights hold among the waiting replicas too */
	route_decide(&st, &sess, snap, C_MAIN, &rc, 0.9, &d);
	assert_string_equal(snap->nodes[d.node].name, "main3");
	/* a check saw main2 past it: main2 without a wait */
	seen[MAIN2] = LSN_NEW;
	rc.seen_lsn = seen;
	rc.n_seen = N_NODES;
	route_decide(&st, &sess, snap, C_MAIN, &rc, 0.9, &d);
	assert_int_equal(d.target, ROUTE_REPLICA);
	assert_string_equal(snap->nodes[d.node].name, "main2");
	assert_true(d.causal_lsn == 0);
	rc.seen_lsn = NULL;
	/* the position still being fetched (UINT64_MAX): no wait can succeed, the primary */
	sess.required_lsn = UINT64_MAX;
	route_decide(&st, &sess, snap, C_MAIN, &rc, 0.1, &d);
	assert_int_equal(d.target, ROUTE_PRIMARY);
	sess.required_lsn = LSN_NEW;
	/* off: the primary, as before */
	rc.causal_read_timeout_ms = 0;
	route_decide(&st, &sess, snap, C_MAIN, &rc, 0.1, &d);
	assert_int_equal(d.target, ROUTE_PRIMARY);
	assert_true(d.causal_lsn == 0);
	/* lagging past max_lag or down: never a causal candidate */
	rc.causal_read_timeout_ms = 5;
	snap = build(&f, LAGGING);
	route_decide(&st, &sess, snap, C_MAIN, &rc, 0.1, &d);
	assert_int_equal(d.target, ROUTE_PRIMARY);
	/* a write is never causal */
	snap = build(&f, HEALTHY);
	st = stmt(WRITE, HINT_NONE);
	route_decide(&st, &sess, snap, C_MAIN, &rc, 0.1, &d);
	assert_int_equal(d.target, ROUTE_PRIMARY);
	assert_true(d.causal_lsn == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_causal_reads),
		cmocka_unit_test(test_rule1_transaction),
		cmocka_unit_test(test_rule2_begin),
		cmocka_unit_test(test_rule3_write),
		cmocka_unit_test(test_rule4_read),
		cmocka_unit_test(test_rule5_ambiguous),
		cmocka_unit_test(test_rule6_eligibility),
		cmocka_unit_test(test_other_classes),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_reason_truncation),
		cmocka_unit_test(test_eligible_why),
		cmocka_unit_test(test_weighted_pick),
		cmocka_unit_test(test_random01_edges),
		cmocka_unit_test(test_no_snapshot),
		cmocka_unit_test(test_real_sql),
		cmocka_unit_test(test_never_write_to_replica),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
