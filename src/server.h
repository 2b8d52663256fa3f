/*
 * Server connections (server.c): connect, TLS, log in to PostgreSQL,
 * close.  The relay moves bytes on them once they are logged in; the pool
 * owns their state (server_set_state(), pool.h).
 */
#ifndef PGSTEER_SERVER_H
#define PGSTEER_SERVER_H

#include "pgsteer.h"

void param_set_update(struct param_set *ps, const char *name, const char *value);
struct server *server_launch(struct pool *pool);
void server_close(struct server *s, const char *reason);
void server_closing_end(struct server *s);

/* How long a closed connection stays counted in its pool waiting for its backend to exit. */
#define SERVER_CLOSING_MAX_MS 2000
void server_free(struct server *s);

#endif
