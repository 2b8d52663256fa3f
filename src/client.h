/*
 * Client connections (client.c): accept, TLS, the startup packet,
 * authentication, the welcome, errors that close, resting idle buffers,
 * and the client state machine.  After the welcome the relay owns the
 * byte stream.
 */
#ifndef PGSTEER_CLIENT_H
#define PGSTEER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "pgsteer.h"

void client_accept(evutil_socket_t fd, struct sockaddr *sa, int socklen);
void client_on_read(struct client *c);
void client_welcome(struct client *c, const struct param_set *params);
void client_close(struct client *c, const char *reason);
/* The one way a client changes state (after its birth in CL_STARTUP): checked, timestamped. */
void client_set_state(struct client *c, enum client_state st);
/* SHOW pgsteer.last_route: "primary:main1", "replica:main2", "" before any statement. */
void client_last_route(const struct client *c, char *buf, size_t len);
/* Walk the kept startup parameters (all but user and database): *POS starts NULL. */
bool client_startup_next(const struct client *c, const char **pos, const char **name,
			 const char **value);
/* The value of startup parameter NAME as the client sent it, or "" (client.c). */
const char *client_startup_param(const struct client *c, const char *name);
/* Rest an idle client's buffers if nothing can need them (client.c). */
void client_rest(struct client *c);
void client_fail(struct client *c, const char *severity, const char *sqlstate,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void client_free(struct client *c);

#endif
