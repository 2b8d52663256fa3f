/*
 * Pools of server connections (pool.c), one per (node, user, database):
 * which server a client gets, the server state machine with the lists and
 * counters that follow it, PAUSE/RESUME, and the pool janitor.
 */
#ifndef PGSTEER_POOL_H
#define PGSTEER_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "pgsteer.h"

struct pool *pool_find_or_create(const struct config *cfg, int node_index,
				 const char *user, const char *database);
struct pool *pool_for_node(struct client *c, int node_index);
void pool_acquire(struct pool *pool, struct client *c);
void pool_release(struct server *s);
void pool_server_login_done(struct server *s);
void pool_server_login_failed(struct pool *pool, const char *sqlstate, const char *msg);
/*
 * workers > 1: take a unit of POOL's share of pool_size over every worker
 * before opening a connection; false when every unit is in use (then
 * another worker's idle connection is asked to close).  Always true with
 * one worker.
 */
bool pool_quota_take(struct pool *pool);
/*
 * Could POOL open one more connection now (its size, and with several
 * workers the shared quota and its fairness)?  A hint without the lock,
 * for deciding whether a client would wait.
 */
bool pool_can_open(const struct pool *pool);
/* Give back a unit of pool_quota_take() (a connection closed or never opened). */
void pool_quota_give(struct pool *pool);
/* Event callback of a worker's pool_wake: launch connections for its waiting clients. */
void pool_wake_cb(evutil_socket_t fd, short what, void *arg);
/* Exit: free the shared quotas (after every worker's pools). */
void pool_free_quotas(void);
/* A new connection (SV_CONNECTING) joins its pool's login list. */
void pool_add_server(struct server *s);
/* The one way a server connection changes state: checked, moved between its pool's lists, timestamped. */
void server_set_state(struct server *s, enum server_state st);
void pool_client_gone(struct client *c);
void pool_janitor(int64_t now);
void pool_apply_config(const struct config *cfg);
/* PAUSE/RESUME every pool of CLUSTER (-1: all), now and as pools are created.  Returns the servers still busy. */
int pool_pause(int cluster, bool pause);
int pool_busy_servers(int cluster);
/* Is CLUSTER (by name; NULL: every cluster at once) paused by PAUSE and not yet RESUMEd? */
bool pool_cluster_paused(const char *cluster);
int pool_total(const struct pool *pool);
bool pool_params_known(struct pool *pool);
void pool_wake_waiters(struct pool *pool);

/* Did POOL fail to log in just now, with nothing else to serve from? */
bool pool_recently_failed(const struct pool *pool, int64_t now);

/*
 * Close every worker's idle server connections to DATABASE (the server's
 * name), as DROP DATABASE, ALTER DATABASE ... RENAME or SET TABLESPACE,
 * and CREATE DATABASE ... TEMPLATE of it need it to have no sessions;
 * returns how many were closed.  Stops the world: for those statements only.
 */
int pool_close_idle_for_database(const char *database);

#endif
