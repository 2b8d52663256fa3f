/*
 * Server connection pools, one per (node, user, database).
 *
 * Idle servers are reused LIFO so the most recently used backend (warm
 * caches, warm prepared plans) serves next; clients that find no idle
 * server wait FIFO.  A pool never holds more than pool_size connections
 * (idle + active + logging in).  The janitor enforces the timeouts:
 * query_wait_timeout for waiting clients, server_idle_timeout,
 * server_lifetime, server_connect_timeout, and keeps min_pool_size.
 *
 * This module decides which server a client gets; it never reads or
 * writes protocol bytes (relay.c and server.c do).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "client.h"
#include "log.h"
#include "pgsteer.h"
#include "pool.h"
#include "relay.h"
#include "server.h"
#include "stats.h"
#include "worker.h"
#include "world.h"

static void pool_launch_for_waiters(struct pool *pool, int64_t now);
static void unqueue(struct client *c);

/*
 * With several workers each has its own pools, but default_pool_size (or
 * the cluster's pool_size) is the total per node, user and database: a
 * quota shared by the workers' pools of the same key.  A worker takes a
 * unit before it opens a connection and gives it back when the connection
 * closes (shared_lock(), at connect and close only: reusing a connection
 * of its own takes no lock).
 *
 * Fairness: a worker whose clients wait and who cannot take a unit says
 * so in the quota's mask of waiting workers.  While another worker waits,
 * a worker holding its fair share (pool_size / workers, rounded up) or
 * more takes no new unit; one holding more than its share closes the next
 * connection its clients release instead of handing it on, and an idle
 * connection with nobody waiting for it closes at the janitor's tick.
 * A unit given back wakes the waiting workers, which open their own at
 * once (pool_wake_cb()).  So no worker starves while another's clients
 * keep every connection busy.  A Parse whose pool cannot open a
 * connection (pool_can_open()) is answered here rather than waiting for
 * one (steer.c).  With one worker there is no quota.
 */
struct pool_quota {
	struct pool_quota *next;
	char node[NAME_LEN], user[NAME_LEN], database[NAME_LEN];
	int total;			/* connections open or opening, every worker (changed under
					 * the lock, atomic: pool_can_open() reads it without) */
	uint64_t waiting;		/* bit (worker index % 64): its clients wait for a unit
					 * (atomic: the release path reads it without the lock) */
	bool params_valid;		/* PARAMS came from a login of any worker's pool (changed
					 * under the lock, atomic: read without it first) */
	struct param_set params;	/* so a worker that has no connection yet can welcome clients */
};
static struct pool_quota *quotas;	/* under shared_lock(); freed at exit (pool_free_quotas) */

static uint64_t worker_bit(void)
{
	return (uint64_t)1 << (rt.worker->index % 64);
}

/* POOL's fair share of its pool_size: the size over the workers, rounded up. */
static int fair_share(const struct pool *pool)
{
	return (pool->pool_size + workers_n - 1) / workers_n;
}

/* The quota of POOL's key (created on first use); NULL with one worker or out of memory. */
static struct pool_quota *quota_of(const struct pool *pool)
{
	struct pool_quota *q;

	if (workers_max <= 1)
		return NULL;
	shared_lock();
	for (q = quotas; q; q = q->next)
		if (strcmp(q->node, pool->node_name) == 0 && strcmp(q->user, pool->user) == 0 &&
		    strcmp(q->database, pool->database) == 0)
			break;
	if (!q && (q = calloc(1, sizeof(*q))) != NULL) {
		snprintf(q->node, sizeof(q->node), "%s", pool->node_name);
		snprintf(q->user, sizeof(q->user), "%s", pool->user);
		snprintf(q->database, sizeof(q->database), "%s", pool->database);
		q->next = quotas;
		quotas = q;
	}
	shared_unlock();
	return q;
}

/* May POOL's worker take a unit, with TOTAL units taken and WAITING workers waiting? */
static bool quota_allows(const struct pool *pool, int total, uint64_t waiting)
{
	return total < pool->pool_size &&
	       (pool_total(pool) < fair_share(pool) || (waiting & ~worker_bit()) == 0);
}

bool pool_can_open(const struct pool *pool)
{
	const struct pool_quota *q = pool->quota;

	if (pool_total(pool) >= pool->pool_size)
		return false;
	return !q || quota_allows(pool, __atomic_load_n(&q->total, __ATOMIC_RELAXED),
				  __atomic_load_n(&q->waiting, __ATOMIC_RELAXED));
}

/* POOL's part of min_pool_size: all of it with one worker, its fair share with several. */
static int min_share(const struct pool *pool)
{
	if (!pool->quota)
		return pool->min_pool_size;
	return (pool->min_pool_size + workers_n - 1) / workers_n;
}

bool pool_quota_take(struct pool *pool)
{
	struct pool_quota *q = pool->quota;
	uint64_t me = worker_bit(), waiting;
	bool ok;

	if (!q)
		return true;
	shared_lock();
	waiting = __atomic_load_n(&q->waiting, __ATOMIC_RELAXED);
	ok = quota_allows(pool, __atomic_load_n(&q->total, __ATOMIC_RELAXED), waiting);
	if (ok) {
		__atomic_store_n(&q->total, q->total + 1, __ATOMIC_RELAXED);
		waiting &= ~me;
	} else if (pool->n_waiting > 0) {
		waiting |= me;
	}
	__atomic_store_n(&q->waiting, waiting, __ATOMIC_RELAXED);
	shared_unlock();
	return ok;
}

/*
 * Another worker's clients wait and this worker holds more than its fair
 * share: true when the connection being released should close instead of
 * serving this worker's next client.  Per release: one relaxed load while
 * nobody else waits.
 */
static bool quota_over_share(struct pool *pool)
{
	struct pool_quota *q = pool->quota;

	return q && (__atomic_load_n(&q->waiting, __ATOMIC_RELAXED) & ~worker_bit()) != 0 &&
	       pool_total(pool) - pool->n_closing > fair_share(pool);	/* closing ones are going */
}

/*
 * A connection of POOL closed (or was never opened): its unit is free for
 * any worker.  Workers whose clients wait for one open theirs now, not at
 * their janitor's next tick.
 */
void pool_quota_give(struct pool *pool)
{
	struct pool_quota *q = pool->quota;
	uint64_t others;

	if (!q)
		return;
	shared_lock();
	Assert(q->total > 0);
	__atomic_store_n(&q->total, q->total - 1, __ATOMIC_RELAXED);
	others = __atomic_load_n(&q->waiting, __ATOMIC_RELAXED) & ~worker_bit();
	for (int i = 0; others && i < workers_n; i++)
		if ((others & ((uint64_t)1 << (i % 64))) && workers_all[i].pool_wake)
			event_active(workers_all[i].pool_wake, EV_READ, 0);
	shared_unlock();
}

void pool_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct list *it;
	int64_t now = now_ms();

	UNUSED(fd);
	UNUSED(what);
	UNUSED(arg);
	list_for_each(it, &rt.pools) {
		struct pool *pool = container_of(it, struct pool, head);
		if (pool->n_waiting > 0)
			pool_launch_for_waiters(pool, now);
	}
}

/*
 * The janitor's tick: forget that this worker waited once its clients no
 * longer do (the others may use the whole size again); when another
 * worker's clients wait, close an idle connection nobody here waits for.
 */
static void quota_yield(struct pool *pool)
{
	struct pool_quota *q = pool->quota;
	struct list *last;
	uint64_t me = worker_bit();

	if (q && pool->n_waiting == 0 && (__atomic_load_n(&q->waiting, __ATOMIC_RELAXED) & me)) {
		shared_lock();
		__atomic_store_n(&q->waiting, __atomic_load_n(&q->waiting, __ATOMIC_RELAXED) & ~me,
				 __ATOMIC_RELAXED);
		shared_unlock();
	}
	if (!q || pool->n_idle == 0 || pool->n_waiting > 0 ||
	    (__atomic_load_n(&q->waiting, __ATOMIC_RELAXED) & ~worker_bit()) == 0)
		return;
	if ((last = pool->idle.prev) != &pool->idle)
		server_close(container_of(last, struct server, head), "pool_size reached on every worker: "
			     "a connection for another worker's waiting client");
}

void pool_free_quotas(void)
{
	while (quotas) {
		struct pool_quota *q = quotas;
		quotas = q->next;
		free(q);
	}
}

/* ---------------- Public functions ---------------- */

/*
 * The states a server connection may enter each state from.  Login moves
 * forward only; a logged-in connection goes between the idle and active
 * lists (RESETTING and LSN_PROBE are active: no client may take them);
 * any state may close.
 */
#define SV_BIT(st) (1u << (st))
#define SV_BUSY (SV_BIT(SV_ACTIVE) | SV_BIT(SV_RESETTING) | SV_BIT(SV_LSN_PROBE))
static const unsigned server_entered_from[] = {
	[SV_CONNECTING] = 0,	/* only at birth (pool_add_server) */
	[SV_TLS_REQUEST] = SV_BIT(SV_CONNECTING),
	[SV_TLS_HANDSHAKE] = SV_BIT(SV_TLS_REQUEST),
	[SV_LOGIN] = SV_BIT(SV_CONNECTING) | SV_BIT(SV_TLS_REQUEST) | SV_BIT(SV_TLS_HANDSHAKE),
	[SV_IDLE] = SV_BIT(SV_LOGIN) | SV_BIT(SV_IDLE) | SV_BUSY,
	[SV_ACTIVE] = SV_BIT(SV_LOGIN) | SV_BIT(SV_IDLE) | SV_BUSY,
	[SV_RESETTING] = SV_BIT(SV_ACTIVE) | SV_BIT(SV_LSN_PROBE),	/* a probe whose pinned client left */
	[SV_LSN_PROBE] = SV_BIT(SV_ACTIVE),
	[SV_CLOSING] = SV_BIT(SV_LOGIN) | SV_BIT(SV_IDLE) | SV_BUSY,
	[SV_CLOSED] = ~SV_BIT(SV_CLOSED),
};

/* The list of POOL holding servers in state ST and its counter; NULL once closed. */
static struct list *state_list(struct pool *pool, enum server_state st, int **count)
{
	switch (st) {
	case SV_CONNECTING:
	case SV_TLS_REQUEST:
	case SV_TLS_HANDSHAKE:
	case SV_LOGIN:
		*count = &pool->n_login;
		return &pool->login;
	case SV_IDLE:
		*count = &pool->n_idle;
		return &pool->idle;
	case SV_ACTIVE:
	case SV_RESETTING:
	case SV_LSN_PROBE:
		*count = &pool->n_active;
		return &pool->active;
	case SV_CLOSING:
		*count = &pool->n_closing;
		return &pool->closing;
	case SV_CLOSED:
		break;
	}
	*count = NULL;
	return NULL;
}

/* A new connection (SV_CONNECTING) joins its pool's login list. */
void pool_add_server(struct server *s)
{
	Assert(s->state == SV_CONNECTING);
	list_push_tail(&s->pool->login, &s->head);
	s->pool->n_login++;
	s->state_since_ms = now_ms();
}

/*
 * Every change of a server connection's state goes through here: the
 * transition is checked, the connection moves to the list of its new state
 * (idle ones at the head: reused LIFO) with the counters kept in step, and
 * the time is recorded.  Closing takes it off its pool's lists.
 */
void server_set_state(struct server *s, enum server_state st)
{
	int *from_n, *to_n;
	struct list *from = state_list(s->pool, s->state, &from_n);
	struct list *to = state_list(s->pool, st, &to_n);

	Assert(st < ARRAY_SIZE(server_entered_from));
	Assert(server_entered_from[st] & SV_BIT(s->state));
	Assert(st != SV_IDLE || s->client == NULL);	/* an idle server serves nobody */
	if (st == SV_CLOSED)
		pool_quota_give(s->pool);	/* a closing one held it until now */
	if (from) {
		list_del(&s->head);
		(*from_n)--;
	}
	if (to == &s->pool->idle)
		list_push_head(to, &s->head);
	else if (to)
		list_push_tail(to, &s->head);
	if (to)
		(*to_n)++;
	s->state = st;
	s->state_since_ms = now_ms();
}


/*
 * Does POOL know the server's parameters (ParameterStatus) to welcome a
 * client with?  From a login of its own, or with several workers from one
 * of another worker's pool of the same key: a worker whose pool never had
 * a connection need not open one (or fail to, the node being down) for a
 * client to log in.
 */
bool pool_params_known(struct pool *pool)
{
	struct pool_quota *q = pool->quota;

	if (pool->params_valid || !q || !__atomic_load_n(&q->params_valid, __ATOMIC_RELAXED))
		return pool->params_valid;
	shared_lock();
	if (q->params_valid) {
		pool->params = q->params;
		pool->params_valid = true;
	}
	shared_unlock();
	return pool->params_valid;
}

int pool_total(const struct pool *pool)
{
	return pool->n_idle + pool->n_active + pool->n_login + pool->n_closing;
}

/* A place in POOL came free (a closing connection's backend is gone): its waiting clients get it now. */
void pool_wake_waiters(struct pool *pool)
{
	if (pool->n_waiting > 0)
		pool_launch_for_waiters(pool, now_ms());
}

/* Resolve the server-side credentials of a pool from cluster config and auth_file. */
static void pool_set_credentials(struct pool *pool, const struct config *cfg,
				 const struct config_cluster *cl)
{
	const struct auth_entry *e;

	snprintf(pool->server_user, sizeof(pool->server_user), "%s",
		 cl->server_user && *cl->server_user ? cl->server_user : pool->user);
	snprintf(pool->server_database, sizeof(pool->server_database), "%s",
		 cl->server_database && *cl->server_database ? cl->server_database : pool->database);
	pool->server_password[0] = '\0';
	if (cl->server_password && *cl->server_password) {
		snprintf(pool->server_password, sizeof(pool->server_password), "%s", cl->server_password);
	} else if (rt.auth && (e = auth_file_find(rt.auth, pool->server_user)) != NULL) {
		snprintf(pool->server_password, sizeof(pool->server_password), "%s", e->secret);
	}
	/*
	 * Per worker, as PgBouncer's so_reuseport processes: a worker whose
	 * clients pin servers must not starve while another has them free.
	 */
	pool->pool_size = cl->pool_size > 0 ? cl->pool_size : cfg->default_pool_size;
	pool->min_pool_size = cfg->min_pool_size < pool->pool_size ? cfg->min_pool_size : pool->pool_size;
}

struct pool *pool_find_or_create(const struct config *cfg, int node_index,
				 const char *user, const char *database)
{
	const struct config_node *node = &cfg->nodes[node_index];
	const struct config_cluster *cl = &cfg->clusters[node->cluster_index];
	struct list *it;
	struct pool *pool;

	list_for_each(it, &rt.pools) {
		pool = container_of(it, struct pool, head);
		if (strcmp(pool->node_name, node->name) == 0 && strcmp(pool->user, user) == 0 &&
		    strcmp(pool->database, database) == 0 && !pool->node_removed)
			return pool;
	}
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	snprintf(pool->node_name, sizeof(pool->node_name), "%s", node->name);
	pool->node_index = node_index;
	snprintf(pool->cluster_name, sizeof(pool->cluster_name), "%s", cl->name);
	pool->paused = pool_cluster_paused(pool->cluster_name);	/* created during PAUSE */
	snprintf(pool->host, sizeof(pool->host), "%s", node->host);
	pool->port = node->port;
	snprintf(pool->user, sizeof(pool->user), "%s", user);
	snprintf(pool->database, sizeof(pool->database), "%s", database);
	pool_set_credentials(pool, cfg, cl);
	list_init(&pool->idle);
	list_init(&pool->active);
	list_init(&pool->login);
	list_init(&pool->closing);
	list_init(&pool->waiting);
	pool->quota = quota_of(pool);
	list_push_tail(&rt.pools, &pool->head);
	log_debug("pool %s/%s@%s created (size %d)", pool->node_name, pool->user, pool->database,
		  pool->pool_size);
	return pool;
}

/*
 * The pool of node NODE_INDEX for C's user and database.  The primary's
 * pool and the last replica pool are cached on the client; anything else
 * is a list lookup.
 */
struct pool *pool_for_node(struct client *c, int node_index)
{
	struct pool *p;

	if (c->pool && c->pool->node_index == node_index && !c->pool->node_removed)
		return c->pool;
	if (c->replica_pool && c->replica_pool->node_index == node_index && !c->replica_pool->node_removed)
		return c->replica_pool;
	if (node_index < 0 || node_index >= rt.cfg->n_nodes)
		return NULL;
	p = pool_find_or_create(rt.cfg, node_index, c->user, c->database);
	if (p)
		c->replica_pool = p;
	return p;
}

/*
 * Give C a server: an idle one now, or queue C and open a connection if the
 * pool has room.  May call relay_server_assigned() before returning.
 */
void pool_acquire(struct pool *pool, struct client *c)
{
	struct list *first = list_first(&pool->idle);

	Assert(list_empty(&c->wait_link));	/* one queue at a time */
	if (first && list_empty(&pool->waiting) && !pool->paused) {
		struct server *s = container_of(first, struct server, head);
		server_set_state(s, SV_ACTIVE);
		relay_server_assigned(c, s);
		return;
	}
	list_push_tail(&pool->waiting, &c->wait_link);
	c->wait_pool = pool;
	pool->n_waiting++;
	pool_launch_for_waiters(pool, now_ms());
}

/*
 * S is clean (no transaction, nothing owed): hand it to the next waiting
 * client or park it idle.
 */
void pool_release(struct server *s)
{
	struct pool *pool = s->pool;
	int64_t now = now_ms();
	struct list *first;

	Assert(s->expect_rfq == 0 && !s->batch_open && s->pkt_remain == 0 && !s->probe_behind);
	s->client = NULL;
	s->last_used_ms = now;
	s->timeout_cancel_ms = 0;
	if (s->dirty) {
		/*
		 * It holds state pgsteer cannot carry (a temporary table, SET
		 * SESSION AUTHORIZATION) and did not go through the reset
		 * (relay.c's server_reset_or_release()): never to another client.
		 */
		log_warning("S-%llu node %s pid %d: back in the pool holding session state without "
			    "its reset", (unsigned long long)s->id, pool->node_name, s->backend_pid);
		server_close(s, "holds session state that was not reset");
		pool_launch_for_waiters(pool, now);
		return;
	}
	if (s->cancels_pending > 0) {
		/* a cancel still on its way could hit the next client's statement */
		s->release_when_cancelled = true;
		return;
	}
	if (s->close_when_idle || pool->node_removed ||
	    (rt.cfg->server_lifetime_ms > 0 && now - s->created_ms > rt.cfg->server_lifetime_ms)) {
		server_close(s, s->close_when_idle ? "configuration changed" : "server_lifetime reached");
		pool_launch_for_waiters(pool, now);
		return;
	}
	if (quota_over_share(pool)) {
		server_close(s, "pool_size reached on every worker: a connection for another worker's "
			     "waiting client");
		return;
	}
	first = pool->paused ? NULL : list_first(&pool->waiting);
	if (first) {
		struct client *c = container_of(first, struct client, wait_link);
		unqueue(c);
		server_set_state(s, SV_ACTIVE);
		relay_server_assigned(c, s);
		return;
	}
	server_set_state(s, SV_IDLE);
}

/* First ReadyForQuery from a new connection. */
void pool_server_login_done(struct server *s)
{
	struct pool *pool = s->pool;

	if (!pool->params_valid) {
		pool->params = s->params;
		pool->params_valid = true;
	}
	if (pool->quota && !__atomic_load_n(&pool->quota->params_valid, __ATOMIC_RELAXED)) {
		shared_lock();
		pool->quota->params = s->params;
		__atomic_store_n(&pool->quota->params_valid, true, __ATOMIC_RELAXED);
		shared_unlock();
	}
	pool->last_login_fail_ms = 0;
	pool->last_login_error[0] = '\0';
	if (pool->node_index >= 0 && pool->node_index < STATS_MAX_NODES)
		stats.nodes[pool->node_index].server_logins++;
	pool_release(s);
}

/*
 * A connection attempt failed.  If nothing in the pool can serve the
 * waiting clients, they get the server's error (e.g. 3D000, 28P01).
 */
void pool_server_login_failed(struct pool *pool, const char *sqlstate, const char *msg)
{
	pool->last_login_fail_ms = now_ms();
	if (pool->node_index >= 0 && pool->node_index < STATS_MAX_NODES)
		stats.nodes[pool->node_index].server_login_failures++;
	snprintf(pool->last_login_error, sizeof(pool->last_login_error), "%s", msg);
	snprintf(pool->last_login_sqlstate, sizeof(pool->last_login_sqlstate), "%s", sqlstate);
	if (pool->n_idle + pool->n_active > 0)
		return;
	while (!list_empty(&pool->waiting)) {
		struct client *c = container_of(list_first(&pool->waiting), struct client, wait_link);
		unqueue(c);
		if (c->state == CL_WAITING && c->on_replica && c->target_pool == pool)
			relay_reroute(c);	/* a read: another node can answer it */
		else if (c->state == CL_WAITING)
			/* logged in, no transaction open: the statement fails, the session stays */
			relay_refuse(c, "57P03", "node %s unavailable: %s", pool->node_name, msg);
		else
			client_fail(c, "FATAL", sqlstate, "%s", msg);
	}
}

bool pool_recently_failed(const struct pool *pool, int64_t now)
{
	int64_t window = rt.cfg->server_login_retry_ms > 1000 ? rt.cfg->server_login_retry_ms : 1000;

	if (now < pool->suspect_until_ms)
		return true;
	return pool->last_login_fail_ms && now - pool->last_login_fail_ms < window &&
	       pool->n_idle + pool->n_active == 0;
}

/* A client leaves: drop it from the wait queue it is in (a replica's, the primary's). */
void pool_client_gone(struct client *c)
{
	if (c->wait_pool)
		unqueue(c);
}

/* Periodic timeouts and pool upkeep. */
void pool_janitor(int64_t now)
{
	const struct config *cfg = rt.cfg;
	struct list *it, *tmp, *it2, *tmp2;

	list_for_each_safe(it, tmp, &rt.pools) {
		struct pool *pool = container_of(it, struct pool, head);

		/* clients waiting too long for a server (not while paused by an admin) */
		if (cfg->query_wait_timeout_ms > 0 && !pool->paused) {
			list_for_each_safe(it2, tmp2, &pool->waiting) {
				struct client *c = container_of(it2, struct client, wait_link);
				if (now - c->state_since_ms < cfg->query_wait_timeout_ms)
					break;	/* FIFO: the rest waited less */
				unqueue(c);
				if (c->state == CL_LOGIN_WAIT || (pool->last_login_error[0] &&
								   pool->n_idle + pool->n_active == 0))
					client_fail(c, "FATAL", "08006",
						    "query_wait_timeout: no server connection to node %s within %lld ms%s%s",
						    pool->node_name, (long long)cfg->query_wait_timeout_ms,
						    pool->last_login_error[0] ? "; last error: " : "",
						    pool->last_login_error);
				else
					relay_refuse(c, "57014",
						       "query_wait_timeout: no server connection available in pool "
						       "%s/%s@%s within %lld ms", pool->node_name, pool->user,
						       pool->database, (long long)cfg->query_wait_timeout_ms);
			}
		}
		/* connections stuck in connect/login */
		list_for_each_safe(it2, tmp2, &pool->login) {
			struct server *s = container_of(it2, struct server, head);
			if (now - s->created_ms > cfg->server_connect_timeout_ms) {
				server_close(s, "server_connect_timeout");
				pool_server_login_failed(pool, "08006", "server_connect_timeout: node did not answer");
			}
		}
		/* closed ones whose backend is busy past their Terminate stop counting */
		list_for_each_safe(it2, tmp2, &pool->closing) {
			struct server *s = container_of(it2, struct server, head);
			if (now - s->state_since_ms >= SERVER_CLOSING_MAX_MS) {
				log_debug("S-%llu node %s pid %d: its backend has not exited %d ms after the "
					  "Terminate; no longer counted in its pool", (unsigned long long)s->id,
					  pool->node_name, s->backend_pid, SERVER_CLOSING_MAX_MS);
				server_closing_end(s);
			}
		}
		/* idle servers: oldest are at the tail (LIFO reuse keeps hot ones at the head) */
		list_for_each_safe(it2, tmp2, &pool->idle) {
			struct server *s = container_of(it2, struct server, head);
			bool too_old = cfg->server_lifetime_ms > 0 && now - s->created_ms > cfg->server_lifetime_ms;
			bool too_idle = cfg->server_idle_timeout_ms > 0 &&
					now - s->last_used_ms > cfg->server_idle_timeout_ms &&
					pool_total(pool) > min_share(pool);
			if (too_old || too_idle || s->close_when_idle || pool->node_removed)
				server_close(s, too_old ? "server_lifetime reached" :
					     too_idle ? "server_idle_timeout reached" : "configuration changed");
		}
		quota_yield(pool);
		pool_launch_for_waiters(pool, now);
		while (!pool->node_removed && pool_total(pool) < min_share(pool) &&
		       (pool->last_login_fail_ms == 0 ||
			now - pool->last_login_fail_ms > cfg->server_login_retry_ms)) {
			if (!server_launch(pool))
				break;
		}
		/* forget empty pools of removed nodes */
		if (pool->node_removed && pool_total(pool) == 0 && pool->n_waiting == 0) {
			bool referenced = false;
			struct list *ci;
			list_for_each(ci, &rt.clients) {
				struct client *c = container_of(ci, struct client, head);
				if (c->pool == pool || c->replica_pool == pool || c->target_pool == pool ||
				    c->last_pool == pool) {
					referenced = true;
					break;
				}
			}
			if (!referenced) {
				list_del(&pool->head);
				free(pool);
			}
		}
	}
}

/* Servers of CLUSTER's pools (-1: all) still linked to a client or logging in. */
int pool_busy_servers(int cluster)
{
	struct list *it;
	int busy = 0;

	WORKERS_AS_EACH(w) {
		list_for_each(it, &rt.pools) {
			struct pool *pool = container_of(it, struct pool, head);
			int ci = config_cluster_index(rt.cfg, pool->cluster_name);
			if (cluster < 0 || ci == cluster)
				busy += pool->n_active;
		}
	}
	return busy;
}

/* Clusters paused by PAUSE (process-wide, by name), or all of them. */
static struct name_set paused_clusters;
static bool paused_all;

bool pool_cluster_paused(const char *cluster)
{
	return paused_all || (cluster && name_set_has(&paused_clusters, cluster));
}

/* Record PAUSE/RESUME of CLUSTER (-1: all) for pools that exist now and later. */
static void note_pause(int cluster, bool pause)
{
	if (pause && cluster < 0) {
		paused_all = true;
	} else if (pause) {
		name_set_add(&paused_clusters, rt.cfg->clusters[cluster].name);
	} else if (cluster < 0) {
		paused_all = false;
		paused_clusters.n = 0;
	} else {
		name_set_del(&paused_clusters, rt.cfg->clusters[cluster].name);
		if (paused_all) {
			/* the others stay paused */
			paused_all = false;
			for (int i = 0; i < rt.cfg->n_clusters; i++)
				if (i != cluster)
					name_set_add(&paused_clusters, rt.cfg->clusters[i].name);
		}
	}
}

/*
 * PAUSE: waiting clients stay queued (without query_wait_timeout) and
 * released servers go idle.  RESUME hands idle servers to the waiters.
 */
int pool_pause(int cluster, bool pause)
{
	struct list *it;

	note_pause(cluster, pause);
	WORKERS_AS_EACH(w) {
		list_for_each(it, &rt.pools) {
			struct pool *pool = container_of(it, struct pool, head);
			int ci = config_cluster_index(rt.cfg, pool->cluster_name);
			if (cluster >= 0 && ci != cluster)
				continue;
			pool->paused = pause;
			if (pause)
				continue;
			/* hand idle servers to the clients that queued while paused */
			while (!list_empty(&pool->waiting) && !list_empty(&pool->idle)) {
				struct server *s = container_of(list_first(&pool->idle), struct server, head);
				server_set_state(s, SV_ACTIVE);
				pool_release(s);
			}
			pool_launch_for_waiters(pool, now_ms());
		}
	}
	return pool_busy_servers(cluster);
}

/* After a reload: new sizes and credentials; servers of changed nodes retire. */
void pool_apply_config(const struct config *cfg)
{
	struct list *it, *it2;

	list_for_each(it, &rt.pools) {
		struct pool *pool = container_of(it, struct pool, head);
		int idx = -1;
		for (int i = 0; i < cfg->n_nodes; i++)
			if (strcmp(cfg->nodes[i].name, pool->node_name) == 0)
				idx = i;
		if (idx < 0) {
			pool->node_removed = true;
			continue;
		}
		const struct config_node *node = &cfg->nodes[idx];
		const struct config_cluster *cl = &cfg->clusters[node->cluster_index];
		pool->node_index = idx;
		bool moved = strcmp(node->host, pool->host) != 0 || node->port != pool->port;
		char old_user[NAME_LEN], old_db[NAME_LEN], old_pw[256];
		memcpy(old_user, pool->server_user, sizeof(old_user));
		memcpy(old_db, pool->server_database, sizeof(old_db));
		memcpy(old_pw, pool->server_password, sizeof(old_pw));
		pool_set_credentials(pool, cfg, cl);
		snprintf(pool->host, sizeof(pool->host), "%s", node->host);
		pool->port = node->port;
		snprintf(pool->cluster_name, sizeof(pool->cluster_name), "%s", cl->name);
		if (moved || strcmp(old_user, pool->server_user) != 0 ||
		    strcmp(old_db, pool->server_database) != 0 || strcmp(old_pw, pool->server_password) != 0) {
			pool->params_valid = false;
			if (pool->quota) {
				shared_lock();
				__atomic_store_n(&pool->quota->params_valid, false, __ATOMIC_RELAXED);
				shared_unlock();
			}
			list_for_each(it2, &pool->idle)
				container_of(it2, struct server, head)->close_when_idle = true;
			list_for_each(it2, &pool->active)
				container_of(it2, struct server, head)->close_when_idle = true;
			list_for_each(it2, &pool->login)
				container_of(it2, struct server, head)->close_when_idle = true;
		}
	}
}

int pool_close_idle_for_database(const char *database)
{
	int n = 0;

	world_stop();
	WORKERS_AS_EACH(w) {
		struct list *it, *it2, *tmp;
		list_for_each(it, &rt.pools) {
			struct pool *pool = container_of(it, struct pool, head);
			if (strcmp(pool->server_database, database) != 0)
				continue;
			list_for_each_safe(it2, tmp, &pool->idle) {
				server_close(container_of(it2, struct server, head),
					     "a statement needs its database without sessions");
				n++;
			}
			/*
			 * The others go when they come back to the pool: one being
			 * reset after a session-pooled client, or asked a write's
			 * position, and one whose client is leaving (its Terminate
			 * may come after this statement), within PostgreSQL's wait
			 * for the database's sessions, as their backends would
			 * exit directly.  A client that stays keeps its connection,
			 * and the statement fails as it would directly.
			 */
			list_for_each(it2, &pool->active) {
				struct server *s = container_of(it2, struct server, head);
				if (!s->close_when_idle) {
					s->close_when_idle = true;
					n++;
				}
			}
			list_for_each(it2, &pool->login)
				container_of(it2, struct server, head)->close_when_idle = true;
		}
	}
	world_start();
	return n;
}

/* ---------------- Internal functions ---------------- */

/* Take C off the queue of the pool it waits in. */
static void unqueue(struct client *c)
{
	Assert(c->wait_pool && !list_empty(&c->wait_link));
	list_del(&c->wait_link);
	c->wait_pool->n_waiting--;
	c->wait_pool = NULL;
}

/* Open connections while clients wait and the pool has room. */
static void pool_launch_for_waiters(struct pool *pool, int64_t now)
{
	if (pool->node_removed || pool->paused)
		return;
	/* after a failed login, retry at most every server_login_retry */
	if (pool->last_login_fail_ms && now - pool->last_login_fail_ms < rt.cfg->server_login_retry_ms &&
	    pool->n_login > 0)
		return;
	if (pool->last_login_fail_ms && now - pool->last_login_fail_ms < rt.cfg->server_login_retry_ms &&
	    pool->n_idle + pool->n_active == 0 && pool->n_waiting > 0 && pool->n_login == 0) {
		/* one probe at a time while the node is failing */
		server_launch(pool);
		return;
	}
	while (pool->n_waiting > pool->n_login && pool_total(pool) < pool->pool_size) {
		if (!server_launch(pool))
			break;
	}
}
