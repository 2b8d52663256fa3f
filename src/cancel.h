/*
 * Cancel requests (cancel.c): forwarded to the server that runs the
 * client's statement, over a new connection, as PostgreSQL does.
 */
#ifndef PGSTEER_CANCEL_H
#define PGSTEER_CANCEL_H

#include <stdint.h>

#include "pgsteer.h"

void cancel_forward(int32_t pid, int32_t key);
/* Cancel what S runs now (a new connection to its node); S stays out of the pool meanwhile. */
void cancel_server(struct server *s);
/* S is going away: its cancels in flight forget it. */
void cancel_server_gone(struct server *s);
/* Exit: drop the cancels still in flight. */
void cancel_free_all(void);

#endif
