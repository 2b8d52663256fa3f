/*
 * Tenant placement.  Owns the in-memory placement map (tenant -> cluster,
 * generation, state) loaded from pgsteer.tenants and kept current by
 * NOTIFY pgsteer_placement; how a session names its tenant (startup
 * options, SET pgsteer.tenant, user_pattern / database_pattern); the gate
 * every transaction passes before routing; the TENANT admin commands; and
 * the persistence of node availability in pgsteer.nodes.  It never queries
 * the metadata per statement: the data plane reads the map only.
 *
 * Design: moving a tenant without splitting a transaction across clusters.
 * The instance that runs TENANT MOVE (the coordinator) bumps the tenant's
 * generation and marks it 'moving' (one statement, NOTIFY).  Every
 * instance, on seeing 'moving', holds that tenant's new transactions in
 * its gate (clients just wait, their statement buffered) and, once none
 * of its in-flight transactions of the tenant is left, confirms with
 * NOTIFY "ack <tenant> <generation> <instance>".  The coordinator compares
 * the confirmations with the live instances (metadata connections in
 * pg_stat_activity, application_name "pgsteer-metadata <instance>") and,
 * when all confirmed, switches the cluster and marks the tenant 'active'
 * (NOTIFY): every instance releases the held clients onto the new
 * cluster.  After move_timeout it rolls back instead (the generation
 * stays bumped: generations never go back) and says which instances did
 * not confirm.  A move whose coordinator died is rolled back by any
 * instance that has seen it pending for move_timeout + MOVE_ORPHAN_GRACE_MS.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "admin.h"
#include "client.h"
#include "datamove.h"
#include "log.h"
#include "metadata.h"
#include "monitor.h"
#include "pgsteer.h"
#include "relay.h"
#include "steer.h"
#include "tenant.h"
#include "worker.h"

#define OID_INT8 20
#define OID_TEXT 25
#define TICK_MS 50
#define MOVE_ORPHAN_GRACE_MS 5000
#define MAX_INSTANCES 64

/* ---------------- The map: chained hash table ---------------- */

struct tenant_map {
	struct tenant_entry **buckets;
	size_t n_buckets;		/* a power of two */
	size_t n;
};

static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

struct tenant_map *tenant_map_new(void)
{
	struct tenant_map *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->n_buckets = 64;
	m->buckets = calloc(m->n_buckets, sizeof(*m->buckets));
	if (!m->buckets) {
		free(m);
		return NULL;
	}
	return m;
}

void tenant_map_clear(struct tenant_map *m)
{
	for (size_t i = 0; i < m->n_buckets; i++) {
		struct tenant_entry *e = m->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e);
		}
		m->buckets[i] = NULL;
	}
	m->n = 0;
}

void tenant_map_free(struct tenant_map *m)
{
	if (!m)
		return;
	tenant_map_clear(m);
	free(m->buckets);
	free(m);
}

struct tenant_entry *tenant_map_get(const struct tenant_map *m, const char *id)
{
	struct tenant_entry *e = m->buckets[hash_name(id) & (m->n_buckets - 1)];

	for (; e; e = e->next)
		if (strcmp(e->id, id) == 0)
			return e;
	return NULL;
}

/* Double the buckets once there are as many entries. */
static void map_grow(struct tenant_map *m)
{
	size_t nb = m->n_buckets * 2;
	struct tenant_entry **b = calloc(nb, sizeof(*b));

	if (!b)
		return;		/* longer chains, still correct */
	for (size_t i = 0; i < m->n_buckets; i++) {
		struct tenant_entry *e = m->buckets[i], *next;
		for (; e; e = next) {
			size_t j = hash_name(e->id) & (nb - 1);
			next = e->next;
			e->next = b[j];
			b[j] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->n_buckets = nb;
}

struct tenant_entry *tenant_map_put(struct tenant_map *m, const char *id)
{
	struct tenant_entry *e = tenant_map_get(m, id);
	size_t j;

	if (e)
		return e;
	if (strlen(id) >= TENANT_NAME_LEN)
		return NULL;
	if (m->n >= m->n_buckets)
		map_grow(m);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->cluster_index = -1;
	j = hash_name(id) & (m->n_buckets - 1);
	e->next = m->buckets[j];
	m->buckets[j] = e;
	m->n++;
	return e;
}

bool tenant_map_del(struct tenant_map *m, const char *id)
{
	struct tenant_entry **pp = &m->buckets[hash_name(id) & (m->n_buckets - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->id, id) == 0) {
			struct tenant_entry *e = *pp;
			*pp = e->next;
			free(e);
			m->n--;
			return true;
		}
	}
	return false;
}

size_t tenant_map_count(const struct tenant_map *m)
{
	return m->n;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp((*(const struct tenant_entry *const *)a)->id,
		      (*(const struct tenant_entry *const *)b)->id);
}

void tenant_map_foreach_sorted(const struct tenant_map *m,
			       void (*cb)(void *arg, const struct tenant_entry *e), void *arg)
{
	const struct tenant_entry **all;
	size_t n = 0;

	if (m->n == 0)
		return;
	all = malloc(m->n * sizeof(*all));
	if (!all)
		return;
	for (size_t i = 0; i < m->n_buckets; i++)
		for (const struct tenant_entry *e = m->buckets[i]; e; e = e->next)
			all[n++] = e;
	qsort(all, n, sizeof(*all), cmp_entry);
	for (size_t i = 0; i < n; i++)
		cb(arg, all[i]);
	free(all);
}

/* ---------------- Other pure parts ---------------- */

bool tenant_name_valid(const char *name)
{
	size_t n = 0;

	for (; name[n]; n++) {
		unsigned char ch = (unsigned char)name[n];
		if (!isalnum(ch) && ch != '_' && ch != '.' && ch != '-')
			return false;
	}
	return n >= 1 && n < TENANT_NAME_LEN;
}

/* Next word of a startup options string, libpq style (backslash escapes). */
static const char *options_word(const char *s, char *out, size_t len)
{
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	while (*s && *s != ' ' && *s != '\t') {
		if (*s == '\\' && s[1])
			s++;
		if (n + 1 < len)
			out[n++] = *s;
		s++;
	}
	out[n] = '\0';
	return s;
}

/* "pgsteer.tenant=x" -> x; 1 found, 0 another setting, -1 malformed. */
static int option_setting(const char *setting, char *out, size_t len)
{
	static const char key[] = "pgsteer.tenant";
	const char *v;

	if (strncasecmp(setting, key, sizeof(key) - 1) != 0 || setting[sizeof(key) - 1] != '=')
		return 0;
	v = setting + sizeof(key);
	if (!tenant_name_valid(v)) {
		snprintf(out, len, "invalid tenant name in startup options: \"%.63s\"", v);
		return -1;
	}
	snprintf(out, len, "%s", v);
	return 1;
}

int tenant_from_options(const char *options, char *out, size_t len)
{
	char word[512];
	const char *s = options;
	int found = 0;

	while ((s = options_word(s, word, sizeof(word))) != NULL) {
		int r = 0;
		if (strcmp(word, "-c") == 0) {
			s = options_word(s, word, sizeof(word));
			if (!s)
				break;
			r = option_setting(word, out, len);
		} else if (strncmp(word, "-c", 2) == 0) {
			r = option_setting(word + 2, out, len);
		} else if (strncmp(word, "--", 2) == 0) {
			r = option_setting(word + 2, out, len);
		}
		if (r < 0)
			return -1;
		if (r > 0)
			found = 1;	/* the last one wins, as in PostgreSQL */
	}
	return found;
}

int tenant_pick_cluster(int n_clusters, const int *counts, const bool *usable)
{
	int best = -1;

	for (int i = 0; i < n_clusters; i++)
		if (usable[i] && (best < 0 || counts[i] < counts[best]))
			best = i;
	return best;
}

void tenant_parse_notify(const char *payload, struct tenant_notify *out)
{
	char kind[16], name[TENANT_NAME_LEN];
	int64_t gen = 0;
	int used = 0;

	memset(out, 0, sizeof(*out));
	out->kind = TN_BAD;
	if (sscanf(payload, "%15s %63s%n", kind, name, &used) != 2)
		return;
	if (strcmp(kind, "ack") == 0) {
		const char *rest = payload + used;
		int used2 = 0;
		if (sscanf(rest, " %" SCNd64 " %n", &gen, &used2) != 1 || !rest[used2] || gen <= 0)
			return;
		snprintf(out->instance, sizeof(out->instance), "%s", rest + used2);
		out->generation = gen;
		out->kind = TN_ACK;
	} else if (strcmp(kind, "tenant") == 0 && payload[used] == '\0') {
		out->kind = TN_TENANT;
	} else if (strcmp(kind, "node") == 0 && payload[used] == '\0') {
		out->kind = TN_NODE;
	} else {
		return;
	}
	snprintf(out->name, sizeof(out->name), "%s", name);
}

/* ---------------- The daemon's side: state ---------------- */

/* A move this instance coordinates. */
struct tenant_move {
	struct tenant_move *next;
	char tenant[TENANT_NAME_LEN];
	char from[TENANT_CLUSTER_LEN], to[TENANT_CLUSTER_LEN];
	int64_t generation;
	int64_t started_ms, deadline_ms;
	char acked[MAX_INSTANCES][64];
	int n_acked;
	char missing[256];		/* live instances that did not confirm, last seen */
	bool live_query;		/* pg_stat_activity query in flight */
	bool finishing;			/* commit or rollback sent */
	struct tenant_op *op;		/* the admin waiting (NULL once answered) */
	struct dmove *data;		/* WITH DATA: the copy, which must be applied before the switch */
	bool cutting;			/* every instance holds: dmove_cutover() runs */
};

enum op_kind { OP_CREATE, OP_DROP, OP_MOVE, OP_NODE, OP_CLEANUP };

struct tenant_op {
	enum op_kind kind;
	tenant_reply_cb cb;		/* NULL: cancelled */
	void *arg;
	char tenant[TENANT_NAME_LEN];
	char cluster[TENANT_CLUSTER_LEN];
	bool node_offline, node_drained, node_drain_cmd;
	struct tenant_move *move;
	/* WITH DATA, TENANT CREATE ... SCHEMA/DATABASE, TENANT CLEANUP */
	bool with_data;
	enum admin_data_kind data_kind;
	char data_name[TENANT_NAME_LEN];
	char from[TENANT_CLUSTER_LEN];	/* the source cluster (data moves, cleanup) */
	struct dmove *dm;
	struct tenant_reply *pending;	/* the answer, sent once the data move has ended */
};

static struct {
	bool enabled;
	bool loaded;			/* the tenants table was read at least once */
	const struct config *cfg;
	struct monitor *mon;
	struct tenant_map *map;
	struct event *tick;
	pcre2_code *user_re, *db_re;
	pcre2_match_data *md;
	struct tenant_move *moves;
	int n_moving;			/* entries in state moving: the tick has work */
	struct tenant_counters counters;
	void (*stop)(bool graceful, const char *why);	/* the daemon's shutdown */
} T;

static void tick_cb(evutil_socket_t fd, short what, void *arg);
static void on_ready(void *arg);
static void on_notify(void *arg, const char *payload);
static void on_lost(void *arg);
static void reload_tenant(const char *id);
static void resume_clients(const char *id);
static void recount_moving(void);
static void check_moves(void);
static void move_finish(struct tenant_move *mv, bool commit, const char *reason);
static void release_op(void *arg);
static void find_unfinished_data_moves(void);
static int cluster_index_of(const char *name);
static void data_move_ended(const char *tenant, const char *from, const char *to, enum dmove_phase phase,
			    const char *error);

static const char *const tenant_cols_sql =
	"tenant_id, cluster, generation, state, coalesce(moving_to, '')";

/* ---------------- Lifecycle, login, the statement gate, SET pgsteer.tenant ---------------- */

static pcre2_code *compile_pattern(const char *pat, const char *key)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *re;

	if (!pat || !pat[0])
		return NULL;
	re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
	if (!re) {
		log_error("[tenancy] %s: cannot compile \"%s\"", key, pat);	/* config.c checked it */
		return NULL;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

static void set_patterns(const struct config *cfg)
{
	if (T.user_re)
		pcre2_code_free(T.user_re);
	if (T.db_re)
		pcre2_code_free(T.db_re);
	T.user_re = compile_pattern(cfg->user_pattern, "user_pattern");
	T.db_re = compile_pattern(cfg->database_pattern, "database_pattern");
}

/* Cluster names -> indexes of the running config; warn about unknown ones. */
static void resolve_cluster(struct tenant_entry *e, bool warn)
{
	int old = e->cluster_index;

	e->cluster_index = config_cluster_index(T.cfg, e->cluster);
	if (e->cluster_index < 0 && (warn || old >= 0))
		log_error("tenancy: tenant \"%s\" is placed on cluster \"%s\", which is not in %s: "
			  "its sessions are refused", e->id, e->cluster, T.cfg->path);
}

int tenant_start(struct event_base *base, const struct config *cfg, struct monitor *mon,
		 void (*stop)(bool graceful, const char *why))
{
	static const struct metadata_hooks hooks = { on_ready, on_notify, on_lost };
	struct timeval tv = { 0, TICK_MS * 1000 };

	if (!cfg->metadata_cluster[0])
		return 0;
	T.enabled = true;
	T.stop = stop;
	T.cfg = cfg;
	T.mon = mon;
	T.map = tenant_map_new();
	T.md = pcre2_match_data_create(16, NULL);
	T.tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	if (!T.map || !T.md || !T.tick)
		return -1;
	event_add(T.tick, &tv);
	set_patterns(cfg);
	T.counters.enabled = true;
	dmove_init(base, cfg, mon, data_move_ended);
	return metadata_start(base, cfg, mon, &hooks, NULL);
}

void tenant_reconfigure(const struct config *cfg)
{
	if (!T.enabled) {
		if (cfg->metadata_cluster[0])
			log_warning("[tenancy] metadata_cluster: tenancy starts after a restart");
		return;
	}
	if (!cfg->metadata_cluster[0])
		log_warning("[tenancy] metadata_cluster is empty: tenancy stays on until a restart");
	T.cfg = cfg;
	dmove_reconfigure(cfg);
	set_patterns(cfg);
	for (size_t i = 0; i < T.map->n_buckets; i++)
		for (struct tenant_entry *e = T.map->buckets[i]; e; e = e->next)
			resolve_cluster(e, false);
	metadata_reconfigure(cfg);
}

void tenant_stop(void)
{
	if (!T.enabled)
		return;
	dmove_stop(release_op);
	metadata_stop();
	while (T.moves) {
		struct tenant_move *mv = T.moves;
		T.moves = mv->next;
		if (mv->op) {
			mv->op->move = NULL;
			free(mv->op);
		}
		free(mv);
	}
	if (T.tick)
		event_free(T.tick);
	if (T.user_re)
		pcre2_code_free(T.user_re);
	if (T.db_re)
		pcre2_code_free(T.db_re);
	if (T.md)
		pcre2_match_data_free(T.md);
	tenant_map_free(T.map);
	memset(&T, 0, sizeof(T));
}

bool tenant_enabled(void)
{
	return T.enabled;
}

bool tenant_loaded(void)
{
	return T.loaded;
}

/* The named group "tenant" of RE matched against SUBJECT; false if no match. */
static bool pattern_tenant(pcre2_code *re, const char *subject, char *out, size_t len)
{
	PCRE2_SIZE n = len;
	bool found;

	if (!re)
		return false;
	shared_lock();		/* T.md: one match at a time */
	found = pcre2_match(re, (PCRE2_SPTR)subject, PCRE2_ZERO_TERMINATED, 0, 0, T.md, NULL) >= 0 &&
		pcre2_substring_copy_byname(T.md, (PCRE2_SPTR)"tenant", (PCRE2_UCHAR *)out, &n) == 0 &&
		n > 0;
	shared_unlock();
	return found;
}


static bool set_client_tenant(struct client *c, const char *name)
{
	char *copy = strdup(name);

	if (!copy)
		return false;
	free(c->tenant);
	c->tenant = copy;
	return true;
}

int tenant_login_cluster(struct client *c, int db_cluster, bool *failed)
{
	char name[TENANT_NAME_LEN * 2] = "";
	const char *opts = client_startup_param(c, "options");
	const struct tenant_entry *e;
	int r = 0;

	*failed = false;
	if (!T.enabled)
		return db_cluster;
	if (opts[0])
		r = tenant_from_options(opts, name, sizeof(name));
	if (r < 0) {
		client_fail(c, "FATAL", "22023", "%s", name);
		goto fail;
	}
	if (r == 0 && !pattern_tenant(T.user_re, c->user, name, sizeof(name)) &&
	    !pattern_tenant(T.db_re, c->database, name, sizeof(name)))
		return db_cluster;
	if (!tenant_name_valid(name)) {
		client_fail(c, "FATAL", "22023", "invalid tenant name \"%.63s\"", name);
		goto fail;
	}
	if (!set_client_tenant(c, name)) {
		client_fail(c, "FATAL", "53200", "out of memory");
		goto fail;
	}
	if (!T.loaded) {
		client_fail(c, "FATAL", "57P03", "tenant placement is not loaded yet: "
			    "the metadata cluster %s is not reachable", T.cfg->metadata_cluster);
		goto fail;
	}
	e = tenant_map_get(T.map, name);
	if (!e) {
		if (T.cfg->unknown_tenant == UNKNOWN_TENANT_DEFAULT) {
			log_debug("C-%llu %s: unknown tenant \"%s\": default cluster",
				  (unsigned long long)c->id, c->addr, name);
			return db_cluster;
		}
		client_fail(c, "FATAL", "3D000", "unknown tenant \"%s\"", name);
		goto fail;
	}
	if (e->cluster_index < 0) {
		client_fail(c, "FATAL", "3D000", "tenant \"%s\" is placed on cluster \"%s\", "
			    "which is not configured in this pgsteer", name, e->cluster);
		goto fail;
	}
	log_debug("C-%llu %s: tenant \"%s\" on cluster %s (generation %" PRId64 ")",
		  (unsigned long long)c->id, c->addr, name, e->cluster, e->generation);
	return e->cluster_index;
fail:
	*failed = true;
	return -1;
}

/* C (between transactions) goes to E's cluster (session_switch_cluster does the data plane's part). */
static void switch_cluster(struct client *c, const struct tenant_entry *e)
{
	log_info("C-%llu %s %s@%s: tenant \"%s\" now on cluster %s (generation %" PRId64 "), was %s",
		 (unsigned long long)c->id, c->addr, c->user, c->database, e->id, e->cluster,
		 e->generation, rt.cfg->clusters[c->cluster].name);
	steer_switch_cluster(c, e->cluster_index);
}

bool tenant_statement_gate(struct client *c)
{
	const struct tenant_entry *e;

	if (!T.enabled || !c->tenant || c->tx_status != 'I')
		return true;	/* never switch or hold inside a transaction */
	e = tenant_map_get(T.map, c->tenant);
	if (!e) {
		if (T.cfg->unknown_tenant == UNKNOWN_TENANT_DEFAULT || !T.loaded)
			return true;
		relay_refuse(c, "3D000", "unknown tenant \"%s\" (dropped?)", c->tenant);
		return false;
	}
	if (e->state == TENANT_MOVING) {
		shared_lock();
		T.counters.statements_held++;
		shared_unlock();
		log_debug("C-%llu %s: tenant \"%s\" is moving to %s: transaction held",
			  (unsigned long long)c->id, c->addr, e->id, e->moving_to);
		c->tenant_held = true;	/* a cancel answers it (cancel.c) */
		return false;	/* resume_clients() runs it when the move ends */
	}
	if (e->cluster_index < 0) {
		relay_refuse(c, "08006", "tenant \"%s\" is placed on cluster \"%s\", which is not "
			       "configured in this pgsteer", e->id, e->cluster);
		return false;
	}
	if (e->cluster_index != c->cluster)
		switch_cluster(c, e);
	return true;
}

bool tenant_control_check(struct client *c, const char *value, const char **sqlstate,
			  char *msg, size_t len)
{
	const char *cur = c->tenant ? c->tenant : "";

	if (!T.enabled || strcmp(cur, value) == 0)
		return true;
	if (c->last_pool) {
		*sqlstate = "22023";
		snprintf(msg, len, "pgsteer.tenant cannot change after the session's first statement "
			 "(it is \"%s\"): reconnect to work on another tenant", cur);
		return false;
	}
	if (!value[0])
		return true;
	if (!tenant_name_valid(value)) {
		*sqlstate = "22023";
		snprintf(msg, len, "invalid tenant name \"%.63s\": 1 to 63 letters, digits, '_', '.', '-'",
			 value);
		return false;
	}
	if (!tenant_map_get(T.map, value) && T.cfg->unknown_tenant == UNKNOWN_TENANT_REJECT) {
		*sqlstate = T.loaded ? "3D000" : "57P03";
		if (T.loaded)
			snprintf(msg, len, "unknown tenant \"%s\"", value);
		else
			snprintf(msg, len, "tenant placement is not loaded yet");
		return false;
	}
	return true;
}

void tenant_foreach(void (*cb)(void *arg, const struct tenant_entry *e), void *arg)
{
	if (T.enabled)
		tenant_map_foreach_sorted(T.map, cb, arg);
}

void tenant_count_by_cluster(int *counts, int n_clusters)
{
	memset(counts, 0, sizeof(int) * (size_t)n_clusters);
	if (!T.enabled)
		return;
	for (size_t i = 0; i < T.map->n_buckets; i++)
		for (const struct tenant_entry *e = T.map->buckets[i]; e; e = e->next)
			if (e->cluster_index >= 0 && e->cluster_index < n_clusters)
				counts[e->cluster_index]++;
}

void tenant_counters(struct tenant_counters *out)
{
	*out = T.counters;
	out->metadata_up = T.enabled && metadata_ready();
}

/* ---------------- Loading and following changes ---------------- */

/* Fill E from row I of RES (tenant_cols_sql order). */
static void entry_from_row(struct tenant_entry *e, const PGresult *res, int i)
{
	enum tenant_state st = strcmp(PQgetvalue(res, i, 3), "moving") == 0 ? TENANT_MOVING
									    : TENANT_ACTIVE;

	snprintf(e->cluster, sizeof(e->cluster), "%s", PQgetvalue(res, i, 1));
	e->generation = strtoll(PQgetvalue(res, i, 2), NULL, 10);
	snprintf(e->moving_to, sizeof(e->moving_to), "%s", PQgetvalue(res, i, 4));
	if (st == TENANT_MOVING && e->state != TENANT_MOVING)
		e->moving_seen_ms = now_ms();
	e->state = st;
	resolve_cluster(e, false);
}

static void tenants_loaded(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	UNUSED(arg);
	if (!res) {
		log_warning("tenancy: loading tenants failed: %s (SQLSTATE %s)", msg, sqlstate);
		return;
	}
	/* keep entries that still exist (their move bookkeeping), drop the rest */
	struct tenant_map *fresh = tenant_map_new();
	if (!fresh)
		return;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *id = PQgetvalue(res, i, 0);
		struct tenant_entry *old = tenant_map_get(T.map, id), *e = tenant_map_put(fresh, id);
		if (!e)
			continue;
		if (old) {
			e->state = old->state;
			e->moving_seen_ms = old->moving_seen_ms;
			e->acked_generation = old->acked_generation;
		}
		entry_from_row(e, res, i);
		if (e->cluster_index < 0)
			resolve_cluster(e, true);
	}
	tenant_map_free(T.map);
	T.map = fresh;
	T.loaded = true;
	log_info("tenancy: %zu tenant(s) loaded from the metadata cluster", tenant_map_count(T.map));
	resume_clients(NULL);
	find_unfinished_data_moves();
}

/* Apply one pgsteer.nodes row (node, availability, scheduling). */
static void apply_node_row(const PGresult *res, int i)
{
	const char *node = PQgetvalue(res, i, 0);
	bool offline = strcmp(PQgetvalue(res, i, 1), "offline") == 0;
	const char *sched = PQgetvalue(res, i, 2);

	if (!monitor_set_node_state(rt.monitor, node, offline || strcmp(sched, "pause") == 0,
				    strcmp(sched, "draining") == 0))
		log_debug("tenancy: node %s in pgsteer.nodes is not configured here", node);
}

static void nodes_loaded(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	UNUSED(arg);
	if (!res) {
		log_warning("tenancy: loading node availability failed: %s (SQLSTATE %s)", msg, sqlstate);
		return;
	}
	for (int i = 0; i < PQntuples(res); i++)
		apply_node_row(res, i);
}

/* Connected (again): read everything; changes made while away are not missed. */
static void on_ready(void *arg)
{
	char sql[256];

	UNUSED(arg);
	snprintf(sql, sizeof(sql), "SELECT %s FROM pgsteer.tenants", tenant_cols_sql);
	metadata_query(sql, 0, NULL, tenants_loaded, NULL);
	metadata_query("SELECT node, availability, scheduling FROM pgsteer.nodes", 0, NULL,
		       nodes_loaded, NULL);
}

static void on_lost(void *arg)
{
	UNUSED(arg);
	for (struct tenant_move *mv = T.moves; mv; mv = mv->next)
		mv->live_query = false;
}

static void tenant_row_loaded(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	char *id = arg;
	struct tenant_entry *e;

	if (!res) {
		log_warning("tenancy: reloading tenant \"%s\" failed: %s (SQLSTATE %s)", id, msg, sqlstate);
		free(id);
		return;
	}
	if (PQntuples(res) == 0) {
		if (tenant_map_del(T.map, id))
			log_info("tenancy: tenant \"%s\" dropped", id);
	} else if ((e = tenant_map_put(T.map, id)) != NULL) {
		char before[TENANT_CLUSTER_LEN];
		enum tenant_state was = e->state;
		int64_t gen = e->generation;
		snprintf(before, sizeof(before), "%s", e->cluster);
		entry_from_row(e, res, 0);
		if (e->cluster_index < 0 && strcmp(before, e->cluster) != 0)
			resolve_cluster(e, true);
		if (gen != e->generation || was != e->state || strcmp(before, e->cluster) != 0)
			log_info("tenancy: tenant \"%s\" on %s, generation %" PRId64 ", %s%s%s", id,
				 e->cluster, e->generation, e->state == TENANT_MOVING ? "moving to " : "active",
				 e->moving_to, e->state == TENANT_MOVING ? ": new transactions wait" : "");
	}
	resume_clients(id);
	check_moves();
	free(id);
}

static void reload_tenant(const char *id)
{
	char sql[256];
	char *copy = strdup(id);
	const char *params[1] = { id };

	if (!copy)
		return;
	snprintf(sql, sizeof(sql), "SELECT %s FROM pgsteer.tenants WHERE tenant_id = $1", tenant_cols_sql);
	if (!metadata_query(sql, 1, params, tenant_row_loaded, copy))
		free(copy);
}

static struct tenant_move *find_move(const char *tenant, int64_t generation)
{
	for (struct tenant_move *mv = T.moves; mv; mv = mv->next)
		if (strcmp(mv->tenant, tenant) == 0 && mv->generation == generation)
			return mv;
	return NULL;
}

static void on_notify(void *arg, const char *payload)
{
	struct tenant_notify n;
	const char *params[1];

	UNUSED(arg);
	tenant_parse_notify(payload, &n);
	switch (n.kind) {
	case TN_TENANT:
		reload_tenant(n.name);
		return;
	case TN_NODE:
		params[0] = n.name;
		metadata_query("SELECT node, availability, scheduling FROM pgsteer.nodes WHERE node = $1",
			       1, params, nodes_loaded, NULL);
		return;
	case TN_ACK: {
		struct tenant_move *mv = find_move(n.name, n.generation);
		if (!mv)
			return;		/* not ours */
		for (int i = 0; i < mv->n_acked; i++)
			if (strcmp(mv->acked[i], n.instance) == 0)
				return;
		if (mv->n_acked < MAX_INSTANCES)
			snprintf(mv->acked[mv->n_acked++], sizeof(mv->acked[0]), "%s", n.instance);
		log_debug("tenancy: move of \"%s\": instance %s confirmed", n.name, n.instance);
		return;
	}
	case TN_BAD:
		break;
	}
	log_warning("tenancy: ignoring malformed notification \"%.100s\" on %s", payload,
		    METADATA_CHANNEL);
}

/* ---------------- Holding and resuming a moving tenant's clients ---------------- */

/* After a map change: how many tenants are moving (the tick skips its scans at 0). */
static void recount_moving(void)
{
	T.n_moving = 0;
	for (size_t i = 0; i < T.map->n_buckets; i++)
		for (const struct tenant_entry *e = T.map->buckets[i]; e; e = e->next)
			T.n_moving += e->state == TENANT_MOVING;
}

/* Is a client of tenant ID still held (its tenant moving)? */
static bool tenant_held(const char *id)
{
	const struct tenant_entry *e = tenant_map_get(T.map, id);

	return e && e->state == TENANT_MOVING;
}

/* The move of ID (or of any tenant) ended: run the statements its clients hold. */
static void resume_clients(const char *id)
{
	recount_moving();
	steer_tenant_resume(id, tenant_held);
}

static void ack_sent(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	UNUSED(arg);
	if (!res)
		log_warning("tenancy: confirming a move failed: %s (SQLSTATE %s)", msg, sqlstate);
}

/* Confirm every move this instance has drained; roll back orphaned moves. */
static void ack_drained_moves(void)
{
	int64_t now = now_ms();

	for (size_t i = 0; i < T.map->n_buckets; i++) {
		for (struct tenant_entry *e = T.map->buckets[i]; e; e = e->next) {
			char payload[200];
			const char *params[1] = { payload };
			if (e->state != TENANT_MOVING)
				continue;
			if (e->acked_generation != e->generation && steer_tenant_inflight(e->id) == 0) {
				snprintf(payload, sizeof(payload), "ack %s %" PRId64 " %s", e->id,
					 e->generation, metadata_instance());
				if (metadata_query("SELECT pg_notify('" METADATA_CHANNEL "', $1)", 1, params,
						   ack_sent, NULL)) {
					e->acked_generation = e->generation;
					log_debug("tenancy: tenant \"%s\" drained here: confirmed generation %"
						  PRId64, e->id, e->generation);
				}
			}
			if (!find_move(e->id, e->generation) &&
			    now - e->moving_seen_ms > T.cfg->move_timeout_ms + MOVE_ORPHAN_GRACE_MS) {
				struct tenant_move *mv = calloc(1, sizeof(*mv));
				if (!mv)
					continue;
				snprintf(mv->tenant, sizeof(mv->tenant), "%s", e->id);
				snprintf(mv->from, sizeof(mv->from), "%s", e->cluster);
				snprintf(mv->to, sizeof(mv->to), "%s", e->moving_to);
				mv->generation = e->generation;
				mv->started_ms = mv->deadline_ms = now;
				mv->next = T.moves;
				T.moves = mv;
				move_finish(mv, false, "the instance that started the move did not finish it");
			}
		}
	}
}

static void tick_cb_stopped(evutil_socket_t fd, short what, void *arg)
{
	UNUSED(fd);
	UNUSED(what);
	UNUSED(arg);
	if (T.enabled && metadata_failed() && !rt.shutting_down) {
		log_error("tenancy: the metadata schema was refused: stopping");
		T.stop(false, "the tenancy metadata schema was refused");
		return;
	}
	if (!T.enabled || !metadata_ready() || !T.loaded)
		return;
	if (T.n_moving > 0)
		ack_drained_moves();
	check_moves();
}

WORLD_STOPPED_CB(tick_cb)

/* ---------------- Admin commands ---------------- */

static void reply_error(struct tenant_reply *r, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void reply_error(struct tenant_reply *r, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;

	r->sqlstate = sqlstate;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

static void reply_col(struct tenant_reply *r, const char *name, uint32_t oid, const char *val)
{
	int i = r->ncols++;

	Assert(i < TENANT_REPLY_COLS);
	r->cols[i] = name;
	r->oids[i] = oid;
	if (val) {
		snprintf(r->buf[i], sizeof(r->buf[i]), "%s", val);
		r->vals[i] = r->buf[i];
	} else {
		r->vals[i] = NULL;
	}
}

static void op_reply(struct tenant_op *op, const struct tenant_reply *r)
{
	if (op->cb)
		op->cb(op->arg, r);
	free(op);
}

void tenant_op_cancel(struct tenant_op *op)
{
	if (op)
		op->cb = NULL;
}

static const char *primary_name(int cluster)
{
	const struct cluster_snapshot *snap = monitor_snapshot_get(rt.monitor);
	int p = cluster >= 0 && cluster < snap->n_clusters ? snap->primary[cluster] : -1;

	monitor_snapshot_put(snap);
	return p >= 0 ? rt.cfg->nodes[p].name : NULL;
}

static void locate(const char *id, struct tenant_reply *r)
{
	const struct tenant_entry *e = tenant_map_get(T.map, id);
	char gen[32];

	if (!e) {
		reply_error(r, "42704", "unknown tenant \"%s\"", id);
		return;
	}
	snprintf(gen, sizeof(gen), "%" PRId64, e->generation);
	reply_col(r, "tenant", OID_TEXT, e->id);
	reply_col(r, "cluster", OID_TEXT, e->cluster);
	reply_col(r, "primary", OID_TEXT, primary_name(e->cluster_index));
	reply_col(r, "generation", OID_INT8, gen);
	reply_col(r, "state", OID_TEXT, e->state == TENANT_MOVING ? "moving" : "active");
	reply_col(r, "moving_to", OID_TEXT, e->state == TENANT_MOVING ? e->moving_to : NULL);
	r->tag = "TENANT LOCATE";
}

/* The active cluster with fewest tenants: a writable primary whose availability is active. */
static int choose_cluster(void)
{
	int n = rt.cfg->n_clusters, best;
	int *counts = calloc((size_t)n, sizeof(int));
	bool *usable = calloc((size_t)n, sizeof(bool));
	const struct cluster_snapshot *snap = monitor_snapshot_get(rt.monitor);

	if (!counts || !usable) {
		free(counts);
		free(usable);
		monitor_snapshot_put(snap);
		return -1;
	}
	tenant_count_by_cluster(counts, n);
	for (int i = 0; i < n && i < snap->n_clusters; i++)
		usable[i] = monitor_primary_writable(snap, i) &&
			    snap->nodes[snap->primary[i]].availability == AVAIL_ACTIVE;
	monitor_snapshot_put(snap);
	best = tenant_pick_cluster(n, counts, usable);
	free(counts);
	free(usable);
	return best;
}

/*
 * What this instance just wrote, applied at once (the NOTIFY that follows
 * reloads the same row): the admin sees its change in SHOW TENANTS and
 * the instance's own clients follow it without waiting for the round trip.
 */
static void apply_written(const char *id, const char *cluster, int64_t generation)
{
	struct tenant_entry *e = cluster ? tenant_map_put(T.map, id) : NULL;

	if (!cluster) {
		tenant_map_del(T.map, id);
		return;
	}
	if (!e)
		return;
	snprintf(e->cluster, sizeof(e->cluster), "%s", cluster);
	e->generation = generation;
	e->state = TENANT_ACTIVE;
	e->moving_to[0] = '\0';
	resolve_cluster(e, false);
	resume_clients(id);
}

/* Row 0 of a CREATE/DROP/MOVE statement: tenant_id, cluster, generation. */
static void placement_reply(struct tenant_reply *r, const PGresult *res, const char *tag)
{
	reply_col(r, "tenant", OID_TEXT, PQgetvalue(res, 0, 0));
	reply_col(r, "cluster", OID_TEXT, PQgetvalue(res, 0, 1));
	reply_col(r, "generation", OID_INT8, PQgetvalue(res, 0, 2));
	r->tag = tag;
}

static void created(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	struct tenant_op *op = arg;
	struct tenant_reply r = { 0 };

	if (!res)
		reply_error(&r, sqlstate, "TENANT CREATE \"%s\" failed: %s", op->tenant, msg);
	else if (PQntuples(res) == 0)
		reply_error(&r, "42710", "tenant \"%s\" already exists", op->tenant);
	else
		placement_reply(&r, res, "TENANT CREATE");
	if (!r.sqlstate) {
		log_info("tenancy: tenant \"%s\" created on cluster %s", op->tenant, op->cluster);
		apply_written(op->tenant, op->cluster, strtoll(PQgetvalue(res, 0, 2), NULL, 10));
	}
	op_reply(op, &r);
}

static void dropped(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	struct tenant_op *op = arg;
	struct tenant_reply r = { 0 };
	const struct tenant_entry *e;

	if (!res) {
		reply_error(&r, sqlstate, "TENANT DROP \"%s\" failed: %s", op->tenant, msg);
	} else if (PQntuples(res) == 0) {
		e = tenant_map_get(T.map, op->tenant);
		if (e && e->state == TENANT_MOVING)
			reply_error(&r, "55000", "tenant \"%s\" is being moved to %s: drop it afterwards",
				    op->tenant, e->moving_to);
		else if (e)
			reply_error(&r, "55000", "a data move of tenant \"%s\" is under way (placement_log): "
				    "drop it afterwards", op->tenant);
		else
			reply_error(&r, "42704", "unknown tenant \"%s\"", op->tenant);
	} else {
		r.tag = "TENANT DROP";
		apply_written(op->tenant, NULL, 0);
		log_info("tenancy: tenant \"%s\" dropped (was on %s)", op->tenant, PQgetvalue(res, 0, 1));
	}
	op_reply(op, &r);
}

static void node_saved(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	struct tenant_op *op = arg;
	struct tenant_reply r = { 0 };

	if (!res) {
		reply_error(&r, sqlstate, "node %s: saving availability in the metadata failed: %s",
			    op->tenant, msg);
	} else {
		monitor_set_node_state(rt.monitor, op->tenant, op->node_offline || op->node_drained, op->node_drained);
		r.tag = op->node_drain_cmd ? "DRAIN" : "SET";
	}
	op_reply(op, &r);
}

/* The move's first statement answered: wait for every instance to drain. */
/* ---------------- Moves that carry the data (datamove.c does the copying) ---------------- */

/* Keep R as OP's answer until its data move has ended (its values point into its own buffers). */
static void keep_reply(struct tenant_op *op, const struct tenant_reply *r)
{
	struct tenant_reply *k = malloc(sizeof(*k));

	free(op->pending);
	op->pending = k;
	if (!k)
		return;
	*k = *r;
	if (r->sqlstate) {
		snprintf(k->sqlstate_buf, sizeof(k->sqlstate_buf), "%s", r->sqlstate);
		k->sqlstate = k->sqlstate_buf;
	}
	for (int i = 0; i < k->ncols; i++)
		if (r->vals[i])
			k->vals[i] = k->buf[i];
}

/* The data move of OP (or of nobody: NULL) ended: send the answer kept for it. */
static void data_ended(void *arg, const char *warning)
{
	struct tenant_op *op = arg;
	struct tenant_reply r = { 0 };

	if (warning)
		log_warning("tenancy: %s", warning);
	if (!op)
		return;
	if (op->pending) {
		struct tenant_reply *kept = op->pending;
		op->pending = NULL;
		op_reply(op, kept);
		free(kept);
		return;
	}
	reply_error(&r, "53200", "out of memory");
	op_reply(op, &r);
}

static void data_move_logged(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	UNUSED(arg);
	if (!res)
		log_warning("tenancy: recording a data move in placement_log failed: %s (SQLSTATE %s)", msg,
			    sqlstate);
}

/*
 * placement_log: 'move-data' when a data move starts, 'move-data-end' when
 * it ends; a start without an end by this instance is cleaned up at its
 * next start (data_moves_unfinished()).
 */
static void log_data_move(const char *tenant, const char *action, const char *from, const char *to,
			  const char *reason)
{
	static const char sql[] =
		"INSERT INTO pgsteer.placement_log (tenant_id, action, from_cluster, to_cluster, instance, reason)"
		" VALUES ($1, $2, $3, $4, $5, $6)";
	const char *params[6] = { tenant, action, from, to, metadata_instance(), reason };

	metadata_query(sql, 6, params, data_move_logged, NULL);
}

static void data_move_ended(const char *tenant, const char *from, const char *to, enum dmove_phase phase,
			    const char *error)
{
	char reason[700];

	snprintf(reason, sizeof(reason), "%s%s%s", dmove_phase_name(phase), error && *error ? ": " : "",
		 error ? error : "");
	log_data_move(tenant, "move-data-end", from, to, reason);
}

static void data_moves_unfinished(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	UNUSED(arg);
	if (!res) {
		log_warning("tenancy: looking for unfinished data moves failed: %s (SQLSTATE %s)", msg, sqlstate);
		return;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		const char *id = PQgetvalue(res, i, 0);
		int from = cluster_index_of(PQgetvalue(res, i, 1)), to = cluster_index_of(PQgetvalue(res, i, 2));
		if (dmove_running(id))
			continue;
		if (from < 0 || to < 0) {
			log_warning("tenancy: an unfinished data move of tenant \"%s\" (%s to %s) names a cluster "
				    "not configured here: remove its publication, subscription and slot by hand",
				    id, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
			continue;
		}
		dmove_recover(id, from, to);
	}
}

/* Data moves this instance began and never ended (it stopped): clean them up. */
static void find_unfinished_data_moves(void)
{
	static const char sql[] =
		"SELECT l.tenant_id, l.from_cluster, l.to_cluster FROM pgsteer.placement_log l"
		" WHERE l.action = 'move-data' AND l.instance = $1 AND NOT EXISTS"
		" (SELECT 1 FROM pgsteer.placement_log e WHERE e.action = 'move-data-end'"
		" AND e.tenant_id = l.tenant_id AND e.id > l.id)";
	const char *params[1] = { metadata_instance() };

	metadata_query(sql, 1, params, data_moves_unfinished, NULL);
}

/* Exit: an admin operation a data move still held. */
static void release_op(void *arg)
{
	struct tenant_op *op = arg;

	free(op->pending);
	free(op);
}

/*
 * Answer OP with the error R; a data move's copy is undone first (the
 * answer waits for it), so that the admin never sees the tenant half moved.
 */
static void answer_op(struct tenant_op *op, const struct tenant_reply *r)
{
	if (!op->dm) {
		op_reply(op, r);
		return;
	}
	keep_reply(op, r);
	dmove_end(op->dm, false, r->message, data_ended, op);
}

/* Inside the hold: the target applied everything (OK) or did not (WHY): switch or roll back. */
static void data_cut_done(void *arg, bool ok, const char *why)
{
	struct tenant_move *mv = arg;
	char reason[512];

	if (mv->finishing)
		return;
	if (ok) {
		move_finish(mv, true, "every instance confirmed; the target applied the source's writes");
		return;
	}
	snprintf(reason, sizeof(reason), "%s", why ? why : "the data could not be brought over");
	move_finish(mv, false, reason);
}

/* Record where the old copy stayed, for TENANT CLEANUP (best effort: logged if it fails). */
static void data_left_recorded(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	UNUSED(arg);
	if (!res)
		log_warning("tenancy: recording the source copy of a moved tenant failed: %s (SQLSTATE %s)",
			    msg, sqlstate);
}

static void record_data_left(struct tenant_move *mv)
{
	static const char sql[] =
		"UPDATE pgsteer.tenants SET data_kind = $2, data_name = $3, data_left_on = $4"
		" WHERE tenant_id = $1";
	struct dmove_info in = { 0 };
	const char *params[4];

	dmove_describe(mv->data, &in);
	params[0] = mv->tenant;
	params[1] = in.data_kind;
	params[2] = in.data_name;
	params[3] = mv->from;
	metadata_query(sql, 4, params, data_left_recorded, NULL);
}

static void move_begun(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	struct tenant_op *op = arg;
	struct tenant_reply r = { 0 };
	const struct tenant_entry *e;
	struct tenant_move *mv;

	if (!res || PQntuples(res) == 0) {
		e = tenant_map_get(T.map, op->tenant);
		if (!res)
			reply_error(&r, sqlstate, "TENANT MOVE \"%s\" failed: %s", op->tenant, msg);
		else if (!e)
			reply_error(&r, "42704", "unknown tenant \"%s\"", op->tenant);
		else if (e->state == TENANT_MOVING)
			reply_error(&r, "55000", "tenant \"%s\" is already being moved to %s", op->tenant,
				    e->moving_to);
		else if (strcmp(e->cluster, op->cluster) != 0 && !op->dm)
			reply_error(&r, "55000", "a data move of tenant \"%s\" is under way (placement_log)",
				    op->tenant);
		else
			reply_error(&r, "55000", "tenant \"%s\" is already on cluster %s", op->tenant,
				    op->cluster);
		answer_op(op, &r);
		return;
	}
	mv = calloc(1, sizeof(*mv));
	if (!mv) {
		reply_error(&r, "53200", "out of memory");
		answer_op(op, &r);
		return;
	}
	mv->data = op->dm;
	snprintf(mv->tenant, sizeof(mv->tenant), "%s", op->tenant);
	snprintf(mv->from, sizeof(mv->from), "%s", PQgetvalue(res, 0, 1));
	snprintf(mv->to, sizeof(mv->to), "%s", op->cluster);
	mv->generation = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	mv->started_ms = now_ms();
	mv->deadline_ms = mv->started_ms + T.cfg->move_timeout_ms;
	mv->op = op;
	op->move = mv;
	mv->next = T.moves;
	T.moves = mv;
	log_info("tenancy: moving tenant \"%s\" from %s to %s (generation %" PRId64 "): "
		 "waiting up to %lld ms for its transactions", mv->tenant, mv->from, mv->to,
		 mv->generation, (long long)T.cfg->move_timeout_ms);
}

static void unlink_move(struct tenant_move *mv)
{
	for (struct tenant_move **pp = &T.moves; *pp; pp = &(*pp)->next) {
		if (*pp == mv) {
			*pp = mv->next;
			return;
		}
	}
}

struct finish_ctx {
	struct tenant_move *mv;
	bool commit;
	char reason[512];
};

static void move_finished(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	struct finish_ctx *fx = arg;
	struct tenant_move *mv = fx->mv;
	struct tenant_reply r = { 0 };
	char gen[32];

	if (!res) {
		reply_error(&r, sqlstate, "TENANT MOVE \"%s\": %s failed: %s", mv->tenant,
			    fx->commit ? "switching" : "rolling back", msg);
		log_error("tenancy: %s", r.message);
	} else if (PQntuples(res) == 0) {
		reply_error(&r, "40001", "TENANT MOVE \"%s\" to %s was ended by another instance "
			    "(generation %" PRId64 " is no longer moving)", mv->tenant, mv->to, mv->generation);
	} else if (fx->commit) {
		T.counters.moves_done++;
		apply_written(mv->tenant, mv->to, mv->generation);
		snprintf(gen, sizeof(gen), "%" PRId64, mv->generation);
		reply_col(&r, "tenant", OID_TEXT, mv->tenant);
		reply_col(&r, "cluster", OID_TEXT, mv->to);
		reply_col(&r, "generation", OID_INT8, gen);
		reply_col(&r, "previous_cluster", OID_TEXT, mv->from);
		r.tag = "TENANT MOVE";
		log_info("tenancy: tenant \"%s\" moved from %s to %s (generation %" PRId64 ") in %lld ms",
			 mv->tenant, mv->from, mv->to, mv->generation, (long long)(now_ms() - mv->started_ms));
	} else {
		T.counters.moves_rolled_back++;
		apply_written(mv->tenant, mv->from, mv->generation);
		reply_error(&r, "55P03", "TENANT MOVE \"%s\" to %s rolled back: %s", mv->tenant, mv->to,
			    fx->reason);
		log_warning("tenancy: %s", r.message);
	}
	if (mv->data && res && PQntuples(res) > 0 && fx->commit)
		record_data_left(mv);
	if (mv->data && mv->op) {
		/* the answer waits until the replication objects are gone (or the copy is undone) */
		struct tenant_op *op = mv->op;
		op->move = NULL;
		keep_reply(op, &r);
		dmove_end(mv->data, fx->commit && !r.sqlstate, fx->reason, data_ended, op);
	} else if (mv->data) {
		dmove_end(mv->data, fx->commit && !r.sqlstate, fx->reason, data_ended, NULL);
	} else if (mv->op) {
		mv->op->move = NULL;
		op_reply(mv->op, &r);
	}
	unlink_move(mv);
	free(mv);
	free(fx);
}

/* Switch (COMMIT) or give up (rollback) the move, in one statement that logs and notifies. */
static void move_finish(struct tenant_move *mv, bool commit, const char *reason)
{
	static const char commit_sql[] =
		"WITH up AS (UPDATE pgsteer.tenants SET cluster = moving_to, moving_to = NULL,"
		" state = 'active', updated_at = now()"
		" WHERE tenant_id = $1 AND generation = $2::bigint AND state = 'moving'"
		" RETURNING tenant_id, cluster, generation),"
		" lg AS (INSERT INTO pgsteer.placement_log"
		" (tenant_id, action, from_cluster, to_cluster, generation, instance, reason)"
		" SELECT tenant_id, 'move', $3, cluster, generation, $4, $5 FROM up)"
		" SELECT tenant_id, cluster, generation,"
		" pg_notify('" METADATA_CHANNEL "', 'tenant ' || tenant_id) FROM up";
	static const char rollback_sql[] =
		"WITH up AS (UPDATE pgsteer.tenants SET moving_to = NULL,"
		" state = 'active', updated_at = now()"
		" WHERE tenant_id = $1 AND generation = $2::bigint AND state = 'moving'"
		" RETURNING tenant_id, cluster, generation),"
		" lg AS (INSERT INTO pgsteer.placement_log"
		" (tenant_id, action, from_cluster, to_cluster, generation, instance, reason)"
		" SELECT tenant_id, 'move-rollback', cluster, $3, generation, $4, $5 FROM up)"
		" SELECT tenant_id, cluster, generation,"
		" pg_notify('" METADATA_CHANNEL "', 'tenant ' || tenant_id) FROM up";
	struct finish_ctx *fx = calloc(1, sizeof(*fx));
	char gen[32];
	const char *params[5];

	if (!fx)
		return;
	fx->mv = mv;
	fx->commit = commit;
	snprintf(fx->reason, sizeof(fx->reason), "%s", reason);
	snprintf(gen, sizeof(gen), "%" PRId64, mv->generation);
	params[0] = mv->tenant;
	params[1] = gen;
	params[2] = commit ? mv->from : mv->to;
	params[3] = metadata_instance();
	params[4] = reason;
	if (!metadata_query(commit ? commit_sql : rollback_sql, 5, params, move_finished, fx)) {
		free(fx);
		return;		/* not connected: tried again on the next tick */
	}
	mv->finishing = true;
}

static void live_instances(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	struct tenant_move *mv = arg;
	size_t n = 0;
	bool all = true;

	if (!mv->live_query)
		return;		/* the connection was lost meanwhile: ignore */
	mv->live_query = false;
	if (!res) {
		log_warning("tenancy: listing pgsteer instances failed: %s (SQLSTATE %s)", msg, sqlstate);
		return;
	}
	mv->missing[0] = '\0';
	for (int i = 0; i < PQntuples(res); i++) {
		const char *inst = PQgetvalue(res, i, 0);
		bool acked = false;
		for (int j = 0; j < mv->n_acked && !acked; j++)
			acked = strcmp(mv->acked[j], inst) == 0;
		if (acked)
			continue;
		all = false;
		n += (size_t)snprintf(mv->missing + n, n < sizeof(mv->missing) ? sizeof(mv->missing) - n : 0,
				      "%s%s", n ? ", " : "", inst);
		if (n >= sizeof(mv->missing))
			n = sizeof(mv->missing) - 1;
	}
	if (all && mv->n_acked > 0 && !mv->finishing && mv->data && !mv->cutting) {
		/* the hold is complete everywhere: the target must apply the source's last writes first */
		mv->cutting = true;
		dmove_cutover(mv->data, data_cut_done, mv);
	} else if (all && mv->n_acked > 0 && !mv->finishing && !mv->data) {
		move_finish(mv, true, "every instance confirmed");
	}
}

/* Coordinator: finish moves whose instances all confirmed; roll back the late ones. */
static void check_moves(void)
{
	static const char live_sql[] =
		"SELECT substr(application_name, length($1) + 1) FROM pg_catalog.pg_stat_activity"
		" WHERE datname = current_database() AND starts_with(application_name, $1)";
	const char *params[1] = { METADATA_APP_PREFIX };
	struct tenant_move *mv, *next;
	int64_t now = now_ms();

	if (!metadata_ready())
		return;
	for (mv = T.moves; mv; mv = next) {
		next = mv->next;
		if (mv->finishing)
			continue;
		if (now >= mv->deadline_ms) {
			char reason[512];
			int here = steer_tenant_inflight(mv->tenant);
			snprintf(reason, sizeof(reason), "its transactions did not finish within "
				 "move_timeout (%lld ms); instance(s) that did not confirm: %s%s",
				 (long long)T.cfg->move_timeout_ms, mv->missing[0] ? mv->missing : "unknown",
				 here ? " (this instance still has transactions of the tenant open)" : "");
			move_finish(mv, false, reason);
			continue;
		}
		if (!mv->live_query &&
		    metadata_query(live_sql, 1, params, live_instances, mv))
			mv->live_query = true;
	}
}

/* ---------------- WITH DATA and TENANT CLEANUP: the admin side ---------------- */

/*
 * Begin a move: tenant $1 to cluster $2 (instance $3, reason $4) when it
 * is active and COND holds; logged and announced in the same statement.
 */
#define MOVE_BEGIN_SQL(cond) \
	"WITH up AS (UPDATE pgsteer.tenants SET state = 'moving', moving_to = $2," \
	" generation = generation + 1, updated_at = now()" \
	" WHERE tenant_id = $1 AND state = 'active' AND " cond \
	" RETURNING tenant_id, cluster, generation)," \
	" lg AS (INSERT INTO pgsteer.placement_log" \
	" (tenant_id, action, from_cluster, to_cluster, generation, instance, reason)" \
	" SELECT tenant_id, 'move-begin', cluster, $2, generation, $3, $4 FROM up)" \
	" SELECT tenant_id, cluster, generation," \
	" pg_notify('" METADATA_CHANNEL "', 'tenant ' || tenant_id) FROM up"

/*
 * SQL: no data move of tenant $1 is under way on any instance (a
 * 'move-data' in placement_log without its 'move-data-end'): a plain
 * TENANT MOVE or TENANT DROP must not pull the tenant from under its copy.
 */
#define NO_DATA_MOVE \
	"NOT EXISTS (SELECT 1 FROM pgsteer.placement_log l WHERE l.tenant_id = $1" \
	" AND l.action = 'move-data' AND NOT EXISTS (SELECT 1 FROM pgsteer.placement_log e" \
	" WHERE e.tenant_id = l.tenant_id AND e.action = 'move-data-end' AND e.id > l.id))"

static const char data_lookup_sql[] =
	"SELECT cluster, state, coalesce(data_kind, ''), coalesce(data_name, ''),"
	" coalesce(data_left_on, '') FROM pgsteer.tenants WHERE tenant_id = $1";

static const char *data_kind_name(enum admin_data_kind k)
{
	return k == ADMIN_DATA_SCHEMA ? "schema" : k == ADMIN_DATA_DATABASE ? "database" : "";
}

static enum admin_data_kind data_kind_of(const char *s)
{
	return strcmp(s, "schema") == 0 ? ADMIN_DATA_SCHEMA :
	       strcmp(s, "database") == 0 ? ADMIN_DATA_DATABASE : ADMIN_DATA_NONE;
}

static int cluster_index_of(const char *name)
{
	for (int i = 0; i < rt.cfg->n_clusters; i++)
		if (strcmp(rt.cfg->clusters[i].name, name) == 0)
			return i;
	return -1;
}

/* The copy caught up: begin the coordinated hold, as a plain TENANT MOVE does. */
static void data_ready(void *arg, struct dmove *m)
{
	/* the hold of a data move: only from the cluster the copy was made from ($5) */
	static const char move_sql[] = MOVE_BEGIN_SQL("cluster = $5");
	struct tenant_op *op = arg;
	const char *params[5] = { op->tenant, op->cluster, metadata_instance(), "TENANT MOVE WITH DATA",
				  op->from };
	struct tenant_reply r = { 0 };

	UNUSED(m);
	if (metadata_query(move_sql, 5, params, move_begun, op))
		return;
	reply_error(&r, "08006", "the metadata cluster %s is not reachable", T.cfg->metadata_cluster);
	answer_op(op, &r);
}

/* The copy failed (or was cancelled) before the hold: the move is over, the tenant stays. */
static void data_failed(void *arg, struct dmove *m, const char *sqlstate, const char *msg)
{
	struct tenant_op *op = arg;
	struct tenant_reply r = { 0 };

	UNUSED(m);
	T.counters.moves_rolled_back++;
	reply_error(&r, sqlstate && *sqlstate ? sqlstate : "XX000", "TENANT MOVE \"%s\" to %s WITH DATA %s: %s",
		    op->tenant, op->cluster, strcmp(sqlstate ? sqlstate : "", "57014") == 0 ? "cancelled" : "failed",
		    msg);
	op_reply(op, &r);
}

static const struct dmove_hooks data_hooks = { data_ready, data_failed };

static void data_looked_up(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	struct tenant_op *op = arg;
	struct tenant_reply r = { 0 };
	char state[6], why[400];
	int from, to;

	if (!res) {
		reply_error(&r, sqlstate, "TENANT MOVE \"%s\" failed: %s", op->tenant, msg);
		op_reply(op, &r);
		return;
	}
	if (PQntuples(res) == 0) {
		reply_error(&r, "42704", "unknown tenant \"%s\"", op->tenant);
		op_reply(op, &r);
		return;
	}
	snprintf(op->from, sizeof(op->from), "%s", PQgetvalue(res, 0, 0));
	if (op->data_kind == ADMIN_DATA_NONE) {
		op->data_kind = data_kind_of(PQgetvalue(res, 0, 2));
		snprintf(op->data_name, sizeof(op->data_name), "%s", PQgetvalue(res, 0, 3));
	}
	from = cluster_index_of(op->from);
	to = cluster_index_of(op->cluster);
	if (strcmp(PQgetvalue(res, 0, 1), "active") != 0)
		reply_error(&r, "55000", "tenant \"%s\" is already being moved", op->tenant);
	else if (strcmp(op->from, op->cluster) == 0)
		reply_error(&r, "55000", "tenant \"%s\" is already on cluster %s", op->tenant, op->cluster);
	else if (op->data_kind == ADMIN_DATA_NONE)
		reply_error(&r, "55000", "where the data of tenant \"%s\" lives is not known: say WITH DATA "
			    "SCHEMA <name> or DATABASE <name> (or give it at TENANT CREATE)", op->tenant);
	else if (from < 0)
		reply_error(&r, "55000", "tenant \"%s\" is on cluster %s, which is not configured here",
			    op->tenant, op->from);
	else if (dmove_running(op->tenant))
		reply_error(&r, "55000", "a data move of tenant \"%s\" is already running", op->tenant);
	if (r.sqlstate) {
		op_reply(op, &r);
		return;
	}
	op->dm = dmove_start(op->tenant, from, to, op->data_kind, op->data_name, &data_hooks, op, state,
			     why, sizeof(why));
	if (!op->dm) {
		reply_error(&r, state, "%s", why);
		op_reply(op, &r);
		return;
	}
	snprintf(why, sizeof(why), "%s %s", data_kind_name(op->data_kind), op->data_name);
	log_data_move(op->tenant, "move-data", op->from, op->cluster, why);
}

static void cleanup_recorded(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	struct tenant_op *op = arg;
	struct tenant_reply r = { 0 };

	if (!res)
		reply_error(&r, sqlstate, "TENANT CLEANUP \"%s\": the copy is dropped, but recording it "
			    "failed: %s", op->tenant, msg);
	else
		r.tag = "TENANT CLEANUP";
	op_reply(op, &r);
}

static void copy_dropped(void *arg, const char *sqlstate, const char *error)
{
	static const char sql[] =
		"WITH up AS (UPDATE pgsteer.tenants SET data_left_on = NULL WHERE tenant_id = $1"
		" RETURNING tenant_id, generation),"
		" lg AS (INSERT INTO pgsteer.placement_log"
		" (tenant_id, action, from_cluster, generation, instance, reason)"
		" SELECT tenant_id, 'cleanup', $2, generation, $3, $4 FROM up)"
		" SELECT tenant_id FROM up";
	struct tenant_op *op = arg;
	struct tenant_reply r = { 0 };
	char reason[200];
	const char *params[4];

	if (error) {
		reply_error(&r, sqlstate && *sqlstate ? sqlstate : "XX000",
			    "TENANT CLEANUP \"%s\" failed on cluster %s: %s", op->tenant, op->from, error);
		op_reply(op, &r);
		return;
	}
	log_info("tenancy: TENANT CLEANUP \"%s\": %s %s dropped on cluster %s", op->tenant,
		 data_kind_name(op->data_kind), op->data_name, op->from);
	snprintf(reason, sizeof(reason), "%s %s dropped", data_kind_name(op->data_kind), op->data_name);
	params[0] = op->tenant, params[1] = op->from, params[2] = metadata_instance(), params[3] = reason;
	if (!metadata_query(sql, 4, params, cleanup_recorded, op))
		cleanup_recorded(op, NULL, "08006", "the metadata cluster is not reachable");
}

static void cleanup_looked_up(void *arg, const PGresult *res, const char *sqlstate, const char *msg)
{
	struct tenant_op *op = arg;
	struct tenant_reply r = { 0 };
	int ci;

	if (!res)
		reply_error(&r, sqlstate, "TENANT CLEANUP \"%s\" failed: %s", op->tenant, msg);
	else if (PQntuples(res) == 0)
		reply_error(&r, "42704", "unknown tenant \"%s\"", op->tenant);
	else if (!PQgetvalue(res, 0, 4)[0])
		reply_error(&r, "55000", "tenant \"%s\" has no copy left behind by a data move", op->tenant);
	else if (strcmp(PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 0)) == 0)
		reply_error(&r, "55000", "the copy of tenant \"%s\" on cluster %s is the one it uses now",
			    op->tenant, PQgetvalue(res, 0, 0));
	else if (dmove_running(op->tenant))
		reply_error(&r, "55000", "a data move of tenant \"%s\" is running", op->tenant);
	else if ((ci = cluster_index_of(PQgetvalue(res, 0, 4))) < 0)
		reply_error(&r, "55000", "the copy of tenant \"%s\" is on cluster %s, which is not configured "
			    "here", op->tenant, PQgetvalue(res, 0, 4));
	if (r.sqlstate) {
		op_reply(op, &r);
		return;
	}
	snprintf(op->from, sizeof(op->from), "%s", PQgetvalue(res, 0, 4));
	op->data_kind = data_kind_of(PQgetvalue(res, 0, 2));
	snprintf(op->data_name, sizeof(op->data_name), "%s", PQgetvalue(res, 0, 3));
	if (!dmove_drop_copy(op->tenant, cluster_index_of(op->from), op->data_kind, op->data_name,
			     copy_dropped, op, r.message, sizeof(r.message))) {
		r.sqlstate = "53200";
		op_reply(op, &r);
	}
}

struct tenant_op *tenant_admin(const struct admin_command *cmd, const char *admin_user,
			       tenant_reply_cb cb, void *arg, struct tenant_reply *reply)
{
	static const char create_sql[] =
		"WITH ins AS (INSERT INTO pgsteer.tenants (tenant_id, cluster, data_kind, data_name)"
		" VALUES ($1, $2, nullif($5, ''), nullif($6, ''))"
		" ON CONFLICT (tenant_id) DO NOTHING RETURNING tenant_id, cluster, generation),"
		" lg AS (INSERT INTO pgsteer.placement_log"
		" (tenant_id, action, to_cluster, generation, instance, reason)"
		" SELECT tenant_id, 'create', cluster, generation, $3, $4 FROM ins)"
		" SELECT tenant_id, cluster, generation,"
		" pg_notify('" METADATA_CHANNEL "', 'tenant ' || tenant_id) FROM ins";
	static const char drop_sql[] =
		"WITH del AS (DELETE FROM pgsteer.tenants WHERE tenant_id = $1 AND state = 'active'"
		" AND " NO_DATA_MOVE
		" RETURNING tenant_id, cluster, generation),"
		" lg AS (INSERT INTO pgsteer.placement_log"
		" (tenant_id, action, from_cluster, generation, instance, reason)"
		" SELECT tenant_id, 'drop', cluster, generation, $2, $3 FROM del)"
		" SELECT tenant_id, cluster, generation,"
		" pg_notify('" METADATA_CHANNEL "', 'tenant ' || tenant_id) FROM del";
	static const char move_sql[] = MOVE_BEGIN_SQL("cluster <> $2 AND " NO_DATA_MOVE);
	static const char node_sql[] =
		"WITH up AS (INSERT INTO pgsteer.nodes (node, cluster, availability, scheduling)"
		" VALUES ($1, $2, $3, $4) ON CONFLICT (node) DO UPDATE SET cluster = EXCLUDED.cluster,"
		" availability = EXCLUDED.availability, scheduling = EXCLUDED.scheduling, updated_at = now()"
		" RETURNING node, cluster, availability, scheduling),"
		" lg AS (INSERT INTO pgsteer.placement_log (action, node, to_cluster, instance, reason)"
		" SELECT 'node', node, cluster, $5, availability || ', scheduling ' || scheduling || ' by ' || $6"
		" FROM up)"
		" SELECT node, pg_notify('" METADATA_CHANNEL "', 'node ' || node) FROM up";
	struct tenant_op *op;
	char who[128];
	const char *params[6];
	const char *sql;
	metadata_result_cb done;
	int np, ci = -1;

	memset(reply, 0, sizeof(*reply));
	if (!T.enabled) {
		if (cmd->cmd == ADMIN_SET_NODE_AVAILABILITY || cmd->cmd == ADMIN_DRAIN_NODE)
			return NULL;	/* admin.c applies it locally */
		reply_error(reply, "55000", "tenancy is off: set [tenancy] metadata_cluster");
		return NULL;
	}
	if (cmd->cmd != ADMIN_SET_NODE_AVAILABILITY && cmd->cmd != ADMIN_DRAIN_NODE &&
	    !tenant_name_valid(cmd->tenant)) {
		reply_error(reply, "22023", "invalid tenant name \"%.63s\": 1 to 63 letters, digits, '_', '.', '-'",
			    cmd->tenant);
		return NULL;
	}
	if (cmd->cmd == ADMIN_TENANT_LOCATE) {
		if (!T.loaded)
			reply_error(reply, "57P03", "tenant placement is not loaded yet");
		else
			locate(cmd->tenant, reply);
		return NULL;
	}
	if ((cmd->cmd == ADMIN_TENANT_MOVE || cmd->cmd == ADMIN_TENANT_DROP) && dmove_running(cmd->tenant)) {
		reply_error(reply, "55000", "a data move of tenant \"%s\" is under way (SHOW MOVES; "
			    "TENANT MOVE %s CANCEL stops it)", cmd->tenant, cmd->tenant);
		return NULL;
	}
	if (cmd->cmd == ADMIN_TENANT_MOVE_CANCEL) {
		char state[6];
		if (dmove_cancel(cmd->tenant, state, reply->message, sizeof(reply->message))) {
			reply->tag = "TENANT MOVE";
		} else {
			reply->sqlstate = strcmp(state, "55000") == 0 ? "55000" : "XX000";
		}
		return NULL;
	}
	if (!metadata_ready()) {
		reply_error(reply, "08006", "the metadata cluster %s is not reachable: %s",
			    T.cfg->metadata_cluster, metadata_error()[0] ? metadata_error() : "not connected");
		return NULL;
	}
	if (cmd->cmd == ADMIN_TENANT_CREATE || cmd->cmd == ADMIN_TENANT_MOVE) {
		if (cmd->name[0]) {
			for (int i = 0; i < rt.cfg->n_clusters && ci < 0; i++)
				if (cmd->name_quoted ? strcmp(rt.cfg->clusters[i].name, cmd->name) == 0
						     : strcasecmp(rt.cfg->clusters[i].name, cmd->name) == 0)
					ci = i;
			if (ci < 0) {
				reply_error(reply, "42704", "cluster \"%s\" does not exist", cmd->name);
				return NULL;
			}
		} else if ((ci = choose_cluster()) < 0) {
			reply_error(reply, "55000", "no active cluster to place tenant \"%s\" on "
				    "(no writable primary with availability active)", cmd->tenant);
			return NULL;
		}
	}
	op = calloc(1, sizeof(*op));
	if (!op) {
		reply_error(reply, "53200", "out of memory");
		return NULL;
	}
	op->cb = cb;
	op->arg = arg;
	snprintf(op->tenant, sizeof(op->tenant), "%s", cmd->tenant);
	if (ci >= 0)
		snprintf(op->cluster, sizeof(op->cluster), "%s", rt.cfg->clusters[ci].name);
	snprintf(who, sizeof(who), "admin %s", admin_user);
	switch (cmd->cmd) {
	case ADMIN_TENANT_CREATE:
		op->kind = OP_CREATE;
		sql = create_sql, done = created, np = 6;
		params[0] = op->tenant, params[1] = op->cluster, params[2] = metadata_instance(),
		params[3] = who, params[4] = data_kind_name(cmd->data_kind), params[5] = cmd->data_name;
		break;
	case ADMIN_TENANT_DROP:
		op->kind = OP_DROP;
		sql = drop_sql, done = dropped, np = 3;
		params[0] = op->tenant, params[1] = metadata_instance(), params[2] = who;
		break;
	case ADMIN_TENANT_MOVE:
		op->kind = OP_MOVE;
		if (cmd->with_data) {
			/* first where its data lives (and where it is now), then the copy, then the hold */
			op->with_data = true;
			op->data_kind = cmd->data_kind;
			snprintf(op->data_name, sizeof(op->data_name), "%s", cmd->data_name);
			sql = data_lookup_sql, done = data_looked_up, np = 1;
			params[0] = op->tenant;
			break;
		}
		sql = move_sql, done = move_begun, np = 4;
		params[0] = op->tenant, params[1] = op->cluster, params[2] = metadata_instance(),
		params[3] = who;
		break;
	case ADMIN_TENANT_CLEANUP:
		op->kind = OP_CLEANUP;
		sql = data_lookup_sql, done = cleanup_looked_up, np = 1;
		params[0] = op->tenant;
		break;
	default: {	/* SET NODE / DRAIN NODE: cmd->name is the configured node name */
		int ni = -1;
		for (int i = 0; i < rt.cfg->n_nodes && ni < 0; i++)
			if (strcmp(rt.cfg->nodes[i].name, cmd->name) == 0)
				ni = i;
		op->kind = OP_NODE;
		/* SET NODE ... offline keeps a drain; active ends it */
		op->node_drained = cmd->cmd == ADMIN_DRAIN_NODE ||
				   (cmd->offline && monitor_node_drained(cmd->name));
		op->node_drain_cmd = cmd->cmd == ADMIN_DRAIN_NODE;
		op->node_offline = cmd->offline;
		snprintf(op->tenant, sizeof(op->tenant), "%s", cmd->name);
		snprintf(op->cluster, sizeof(op->cluster), "%s",
			 ni >= 0 ? rt.cfg->nodes[ni].cluster : "");
		sql = node_sql, done = node_saved, np = 6;
		params[0] = op->tenant, params[1] = op->cluster,
		params[2] = op->node_offline ? "offline" : "active",
		params[3] = op->node_drained ? "draining" : "active",
		params[4] = metadata_instance(), params[5] = who;
		break;
	}
	}
	if (!metadata_query(sql, np, params, done, op)) {
		free(op);
		reply_error(reply, "08006", "the metadata cluster %s is not reachable",
			    T.cfg->metadata_cluster);
		return NULL;
	}
	return op;
}
