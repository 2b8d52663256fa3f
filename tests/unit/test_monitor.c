/*
 * Unit tests for monitor.c's pure parts: LSN text <-> number, the lag
 * computation (bytes and seconds, with the idle-primary case), and the
 * role decision of DESIGN rule 7 as tables of check sequences: the primary
 * stays, failover after MONITOR_FAILOVER_CHECKS, split brain, no flapping.
 * The libpq/libevent side is covered by tests/integration/test_monitor.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "monitor.h"

/* ---- LSN ---- */

static void test_parse_lsn(void **state)
{
	static const struct {
		const char *text;
		bool ok;
		uint64_t lsn;
	} cases[] = {
		{ "0/0", true, 0 },
		{ "0/16B3740", true, 0x16B3740 },
		{ "16B/3740F0A8", true, 0x16B3740F0A8ULL },
		{ "16b/3740f0a8", true, 0x16B3740F0A8ULL },
		{ "FFFFFFFF/FFFFFFFF", true, UINT64_MAX },
		{ "1/0", true, 1ULL << 32 },
		{ "", false, 0 },
		{ "/", false, 0 },
		{ "0/", false, 0 },
		{ "/0", false, 0 },
		{ "0", false, 0 },
		{ "0/0/0", false, 0 },
		{ "0/0 ", false, 0 },
		{ " 0/0", false, 0 },
		{ "-1/0", false, 0 },
		{ "0x1/0", false, 0 },
		{ "100000000/0", false, 0 },	/* 9 hex digits */
		{ "0/100000000", false, 0 },
		{ "g/0", false, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		bool ok = monitor_parse_lsn(cases[i].text, &v);

		if (ok != cases[i].ok)
			fail_msg("parse '%s': expected %s", cases[i].text, cases[i].ok ? "ok" : "error");
		if (ok)
			assert_int_equal(v, cases[i].lsn);
		else
			assert_int_equal(v, 12345);	/* untouched on error */
	}
}

static void test_format_lsn(void **state)
{
	char buf[32];
	uint64_t back;
	const uint64_t values[] = { 0, 1, 0x16B3740, 0x16B3740F0A8ULL, UINT64_MAX, 1ULL << 32 };

	(void)state;
	monitor_format_lsn(0x16B3740F0A8ULL, buf, sizeof(buf));
	assert_string_equal(buf, "16B/3740F0A8");
	monitor_format_lsn(0x16B3740, buf, sizeof(buf));
	assert_string_equal(buf, "0/16B3740");
	monitor_format_lsn(UINT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "FFFFFFFF/FFFFFFFF");
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		monitor_format_lsn(values[i], buf, sizeof(buf));
		assert_true(monitor_parse_lsn(buf, &back));
		assert_int_equal(back, values[i]);
	}
	monitor_format_lsn(UINT64_MAX, buf, 5);	/* truncates, terminates */
	assert_string_equal(buf, "FFFF");
}

static void test_lsn_reachable(void **state)
{
	(void)state;
	/* past a short page header (24) or a segment's long one (40): the page's start */
	assert_int_equal(monitor_lsn_reachable(0x4008018, 8192), 0x4008000);
	assert_int_equal(monitor_lsn_reachable(0x5000028, 8192), 0x5000000);
	assert_int_equal(monitor_lsn_reachable(0x16B3740F0028ULL, 8192), 0x16B3740F0000ULL);
	/* anywhere else in a page: unchanged */
	assert_int_equal(monitor_lsn_reachable(0x4008030, 8192), 0x4008030);
	assert_int_equal(monitor_lsn_reachable(0x4008000, 8192), 0x4008000);
	assert_int_equal(monitor_lsn_reachable(0x4009f48, 8192), 0x4009f48);
	/* another block size decides where pages start; unknown: unchanged */
	assert_int_equal(monitor_lsn_reachable(0x4002018, 8192), 0x4002000);
	assert_int_equal(monitor_lsn_reachable(0x4004018, 16384), 0x4004000);
	assert_int_equal(monitor_lsn_reachable(0x4002018, 16384), 0x4002018);
	assert_int_equal(monitor_lsn_reachable(0x4008018, 0), 0x4008018);
}

/* ---- lag ---- */

static void test_lag(void **state)
{
	static const struct {
		const char *what;
		struct monitor_lag_input in;
		int64_t caught_up_before;
		bool known;
		uint64_t bytes;
		double seconds;
		int64_t caught_up_after;
	} cases[] = {
		{ "primary never checked: unknown",
		  { .primary_known = false, .replay_lsn = 100, .now_ms = 1000, .primary_tli = 0 },
		  -1, false, 0, 0, -1 },
		{ "caught up: 0 bytes, 0 s even with an old last transaction",
		  { true, 500, 900, 500, true, 500, true, 3600.0, 1000, 0, 0 },
		  -1, true, 0, 0, 900 },
		{ "ahead of the primary's (older) sample: 0",
		  { true, 500, 900, 700, true, 700, true, 0.2, 1000, 0, 0 },
		  -1, true, 0, 0, 900 },
		{ "behind, never seen caught up: age of last replayed xact",
		  { true, 1500, 900, 500, true, 1500, true, 2.5, 1000, 0, 0 },
		  -1, true, 1000, 2.5, -1 },
		{ "idle primary, checkpoint record: bounded by the caught-up time",
		  { true, 600, 900, 500, true, 600, true, 3600.0, 1000, 0, 0 },
		  800, true, 100, 0.2, 800 },
		{ "replay paused for 4 s: the smaller bound wins (xact age)",
		  { true, 9000, 4900, 500, true, 9000, true, 3.0, 5000, 0, 0 },
		  1000, true, 8500, 3.0, 1000 },
		{ "replay behind its own receive position although the primary sample is old",
		  { true, 500, 900, 500, true, 800, true, 10.0, 1000, 0, 0 },
		  -1, true, 0, 0.1, 900 },
		{ "behind with no replayed xact and never caught up: time unknown",
		  { true, 1500, 900, 500, false, 0, false, 0, 1000, 0, 0 },
		  -1, false, 1000, 0, -1 },
		{ "negative xact age (clock skew) clamps to 0",
		  { true, 1500, 900, 500, false, 0, true, -3.0, 1000, 0, 0 },
		  -1, true, 1000, 0, -1 },
		{ "caught_up is only moved forward",
		  { true, 500, 700, 500, false, 0, true, 1.0, 1000, 0, 0 },
		  900, true, 0, 0, 900 },
		{ "same timeline: trusted",
		  { true, 500, 900, 500, true, 500, true, 1.0, 1000, 2, 2 },
		  -1, true, 0, 0, 900 },
		{ "other timeline: lag unknown though the LSN looks ahead",
		  { true, 500, 900, 900, true, 900, true, 1.0, 1000, 3, 2 },
		  -1, false, 0, 0, -1 },
		{ "other timeline: bytes still reported",
		  { true, 900, 900, 500, true, 500, true, 1.0, 1000, 3, 2 },
		  -1, false, 400, 0, -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct monitor_lag out;
		struct monitor_lag_state st = { cases[i].caught_up_before, false };
		int64_t cu;

		monitor_compute_lag(&cases[i].in, &st, &out);
		cu = st.caught_up_ms;
		if (out.known != cases[i].known || out.lag_bytes != cases[i].bytes ||
		    out.lag_s < cases[i].seconds - 1e-9 || out.lag_s > cases[i].seconds + 1e-9 ||
		    cu != cases[i].caught_up_after)
			fail_msg("%s: got known=%d bytes=%llu s=%.3f caught_up=%lld", cases[i].what,
				 out.known, (unsigned long long)out.lag_bytes, out.lag_s, (long long)cu);
	}
}

/* After a failover a replica is suspect until it receives the new timeline. */
static void test_lag_timeline_after_failover(void **state)
{
	struct monitor_lag_state st = { -1, true };	/* as reset on failover */
	struct monitor_lag out;
	struct monitor_lag_input in = {
		.primary_known = true, .primary_lsn = 500, .primary_check_ms = 900,
		.replay_lsn = 800, .now_ms = 1000, .primary_tli = 3,
	};

	(void)state;
	/* no WAL receiver (its old primary is gone): timeline unknown, stays suspect */
	monitor_compute_lag(&in, &st, &out);
	assert_false(out.known);
	assert_true(st.timeline_suspect);
	/* still receiving the old timeline */
	in.received_tli = 2;
	monitor_compute_lag(&in, &st, &out);
	assert_false(out.known);
	/* re-pointed at the new primary: trusted again */
	in.received_tli = 3;
	in.replay_lsn = 500;
	monitor_compute_lag(&in, &st, &out);
	assert_true(out.known);
	assert_false(st.timeline_suspect);
	assert_int_equal(out.lag_bytes, 0);
	/* and the receiver going away later does not make it suspect again */
	in.received_tli = 0;
	monitor_compute_lag(&in, &st, &out);
	assert_true(out.known);
}

/* ---- roles ---- */

/*
 * A role scenario: three nodes of cluster 0 (plus node 3 in cluster 1 to
 * prove clusters do not mix).  Each step is one completed check of a node
 * with its outcome; after it the expected primary, split-brain flag and
 * event mask.
 */
enum outcome {
	PRI,	/* good check, not in recovery */
	REP,	/* good check, in recovery */
	FAIL,	/* failed check, node still up (below health_check_failures) */
	DOWN,	/* failed check, node down */
};

struct step {
	int node;
	enum outcome out;
	int primary;
	bool split_brain;
	int events;
};

#define N_NODES 4
#define END { -1, PRI, 0, false, 0 }

static void run_scenario(const char *name, const struct step *steps)
{
	struct monitor_role_obs obs[N_NODES];
	int primary[2] = { -1, -1 };
	bool sb[2] = { false, false };

	memset(obs, 0, sizeof(obs));
	for (int i = 0; i < N_NODES; i++) {
		obs[i].cluster_index = i == 3 ? 1 : 0;
		obs[i].in_recovery = true;
	}
	for (int k = 0; steps[k].node >= 0; k++) {
		const struct step *s = &steps[k];
		struct monitor_role_obs *o = &obs[s->node];
		int c = o->cluster_index, ev;

		switch (s->out) {
		case PRI:
		case REP:
			o->up = true;
			o->last_ok = true;
			o->in_recovery = s->out == REP;
			break;
		case FAIL:
			o->last_ok = false;
			break;
		case DOWN:
			o->up = false;
			o->last_ok = false;
			break;
		}
		ev = monitor_decide_roles(obs, N_NODES, s->node, &primary[c], &sb[c],
					  MONITOR_FAILOVER_CHECKS);
		if (primary[c] != s->primary || sb[c] != s->split_brain || ev != s->events)
			fail_msg("%s, step %d (node %d): got primary=%d split_brain=%d events=%#x, "
				 "want %d/%d/%#x", name, k + 1, s->node, primary[c], sb[c], ev,
				 s->primary, s->split_brain, s->events);
	}
}

#define FIRST ROLE_EV_FIRST_PRIMARY
#define FAILOVER ROLE_EV_FAILOVER
#define SB ROLE_EV_SPLIT_BRAIN
#define SB_END ROLE_EV_SPLIT_BRAIN_END

static void test_roles_start(void **state)
{
	/* the first node seen not in recovery is primary at once, whatever its order */
	static const struct step later_node_first[] = {
		{ 1, REP, -1, false, 0 },
		{ 2, PRI, 2, false, FIRST },
		{ 0, REP, 2, false, 0 },
		{ 2, PRI, 2, false, 0 },
		END,
	};
	/* replicas alone: no primary, no alarm */
	static const struct step no_primary[] = {
		{ 1, REP, -1, false, 0 },
		{ 2, REP, -1, false, 0 },
		{ 0, DOWN, -1, false, 0 },
		{ 0, PRI, 0, false, FIRST },
		END,
	};
	/* two free nodes at start: the first seen wins, the second is split brain */
	static const struct step both_free[] = {
		{ 0, PRI, 0, false, FIRST },
		{ 1, PRI, 0, true, SB },
		END,
	};

	(void)state;
	run_scenario("later node first", later_node_first);
	run_scenario("no primary", no_primary);
	run_scenario("both free at start", both_free);
}

static void test_roles_stay_and_failover(void **state)
{
	/* a healthy primary stays whatever the replicas say */
	static const struct step stays[] = {
		{ 0, PRI, 0, false, FIRST },
		{ 1, REP, 0, false, 0 },
		{ 2, REP, 0, false, 0 },
		{ 0, FAIL, 0, false, 0 },	/* one failed check: still up, still primary */
		{ 1, REP, 0, false, 0 },
		{ 0, PRI, 0, false, 0 },
		END,
	};
	/* primary down, node 1 promoted: takes over after exactly N checks */
	static const struct step down_then_promoted[] = {
		{ 0, PRI, 0, false, FIRST },
		{ 1, REP, 0, false, 0 },
		{ 2, REP, 0, false, 0 },
		{ 0, DOWN, 0, false, 0 },
		{ 1, PRI, 0, false, 0 },	/* 1 of 3 */
		{ 2, REP, 0, false, 0 },
		{ 1, PRI, 0, false, 0 },	/* 2 of 3 */
		{ 1, PRI, 1, false, FAILOVER },	/* 3 of 3 */
		{ 0, DOWN, 1, false, 0 },
		{ 1, PRI, 1, false, 0 },
		{ 0, REP, 1, false, 0 },	/* old primary returns as a replica */
		END,
	};
	/* the known primary is demoted (reports in recovery), another is promoted */
	static const struct step demoted[] = {
		{ 0, PRI, 0, false, FIRST },
		{ 0, REP, 0, false, 0 },
		{ 2, PRI, 0, false, 0 },
		{ 2, PRI, 0, false, 0 },
		{ 0, REP, 0, false, 0 },
		{ 2, PRI, 2, false, FAILOVER },
		END,
	};

	(void)state;
	run_scenario("primary stays", stays);
	run_scenario("down then promoted", down_then_promoted);
	run_scenario("demoted", demoted);
}

static void test_roles_no_flapping(void **state)
{
	/* the candidate's streak restarts whenever it is interrupted */
	static const struct step interrupted[] = {
		{ 0, PRI, 0, false, FIRST },
		{ 0, DOWN, 0, false, 0 },
		{ 1, PRI, 0, false, 0 },	/* 1 */
		{ 1, PRI, 0, false, 0 },	/* 2 */
		{ 1, REP, 0, false, 0 },	/* reset */
		{ 1, PRI, 0, false, 0 },	/* 1 */
		{ 1, FAIL, 0, false, 0 },	/* a failed check resets too */
		{ 1, PRI, 0, false, 0 },	/* 1 */
		{ 1, PRI, 0, false, 0 },	/* 2 */
		{ 0, PRI, 0, true, SB },	/* primary back: streaks no longer count */
		{ 1, PRI, 0, true, 0 },		/* reset: primary is healthy */
		{ 0, DOWN, 0, false, SB_END },
		{ 1, PRI, 0, false, 0 },	/* 1 */
		{ 1, PRI, 0, false, 0 },	/* 2 */
		{ 1, PRI, 1, false, FAILOVER },
		END,
	};
	/* a long split brain does not hand over on one blip of the primary */
	static const struct step blip_in_split_brain[] = {
		{ 0, PRI, 0, false, FIRST },
		{ 1, PRI, 0, true, SB },
		{ 1, PRI, 0, true, 0 },
		{ 1, PRI, 0, true, 0 },
		{ 1, PRI, 0, true, 0 },
		{ 0, DOWN, 0, false, SB_END },
		{ 1, PRI, 0, false, 0 },	/* 1: the streak started only now */
		{ 0, PRI, 0, true, SB },
		{ 1, PRI, 0, true, 0 },
		END,
	};
	/* primary down and two candidates: nobody is promoted (split brain) */
	static const struct step two_candidates[] = {
		{ 0, PRI, 0, false, FIRST },
		{ 0, DOWN, 0, false, 0 },
		{ 1, PRI, 0, false, 0 },
		{ 2, PRI, 0, true, SB },
		{ 1, PRI, 0, true, 0 },
		{ 2, PRI, 0, true, 0 },
		{ 1, PRI, 0, true, 0 },
		{ 2, PRI, 0, true, 0 },
		{ 1, PRI, 0, true, 0 },
		/* node 2 steps back: node 1 already had its 3+ checks */
		{ 2, REP, 1, false, SB_END | FAILOVER },
		{ 1, PRI, 1, false, 0 },
		END,
	};
	/* another cluster's free node is not a split brain of this one */
	static const struct step clusters_apart[] = {
		{ 0, PRI, 0, false, FIRST },
		{ 3, PRI, 3, false, FIRST },
		{ 1, REP, 0, false, 0 },
		{ 0, DOWN, 0, false, 0 },
		{ 3, PRI, 3, false, 0 },
		{ 3, PRI, 3, false, 0 },
		{ 3, PRI, 3, false, 0 },
		{ 1, REP, 0, false, 0 },
		END,
	};

	(void)state;
	run_scenario("interrupted", interrupted);
	run_scenario("blip in split brain", blip_in_split_brain);
	run_scenario("two candidates", two_candidates);
	run_scenario("clusters apart", clusters_apart);
}

static void test_primary_writable(void **state)
{
	struct node_status nodes[2];
	int primary[1] = { 0 };
	bool sb[1] = { false };
	struct cluster_snapshot s = { .refcount = 1, .n_nodes = 2, .nodes = nodes,
				      .n_clusters = 1, .primary = primary, .split_brain = sb };

	(void)state;
	memset(nodes, 0, sizeof(nodes));
	nodes[0].up = true;
	assert_true(monitor_primary_writable(&s, 0));
	nodes[0].in_recovery = true;
	assert_false(monitor_primary_writable(&s, 0));
	nodes[0].in_recovery = false;
	nodes[0].up = false;
	assert_false(monitor_primary_writable(&s, 0));
	primary[0] = -1;
	assert_false(monitor_primary_writable(&s, 0));
	assert_false(monitor_primary_writable(&s, 1));
	assert_false(monitor_primary_writable(NULL, 0));
	assert_string_equal(monitor_role_name(ROLE_PRIMARY), "primary");
	assert_string_equal(monitor_role_name(ROLE_REPLICA), "replica");
	assert_string_equal(monitor_role_name(ROLE_UNKNOWN), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_lsn),
		cmocka_unit_test(test_format_lsn),
		cmocka_unit_test(test_lsn_reachable),
		cmocka_unit_test(test_lag),
		cmocka_unit_test(test_lag_timeline_after_failover),
		cmocka_unit_test(test_roles_start),
		cmocka_unit_test(test_roles_stay_and_failover),
		cmocka_unit_test(test_roles_no_flapping),
		cmocka_unit_test(test_primary_writable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
