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
/*
 * The states a client may enter each state from.  Logged-in states loop
 * among themselves (a refused statement leaves IDLE as it found it, a
 * statement whose replica vanished is queued again); login only moves
 * forward; FLUSHING and CLOSED are the two ways out.
 */
#define CL_BIT(st) (1u << (st))
#define CL_LOGGED_IN (CL_BIT(CL_IDLE) | CL_BIT(CL_WAITING) | CL_BIT(CL_ACTIVE))
#define CL_LOGGING_IN (CL_BIT(CL_STARTUP) | CL_BIT(CL_AUTH_LOOKUP) | CL_BIT(CL_AUTH))
extern const unsigned client_entered_from[CL_CLOSED + 1];

/*
 * The one way a client changes state (after its birth in CL_STARTUP): the
 * transition is checked and the time it was entered recorded
 * (query_wait_timeout, SHOW CLIENTS and the janitor read it).  Inline: a
 * statement changes its client's state three times.
 */
static inline void client_set_state(struct client *c, enum client_state st)
{
	Assert((unsigned)st <= CL_CLOSED);
	Assert(client_entered_from[st] & CL_BIT(c->state));
	Assert(st != CL_WAITING || c->server == NULL);	/* queued for a server: has none */
	c->state = st;
	c->state_since_ms = now_ms();
}
/* The sticky key C's position is shared under, or NULL (client.c). */
const char *client_ryw_key(struct client *c);
/* SHOW pgsteer.last_route: "primary:main1", "replica:main2", "" before any statement. */
void client_last_route(const struct client *c, char *buf, size_t len);
/* Walk the kept startup parameters (all but user and database): *POS starts NULL. */
bool client_startup_next(const struct client *c, const char **pos, const char **name,
			 const char **value);
/* The value of startup parameter NAME as the client sent it, or "" (client.c). */
const char *client_startup_param(const struct client *c, const char *name);
/* Rest an idle client's buffers if nothing can need them (client.c). */
void client_rest(struct client *c);
/* Send what is queued for C (no error of its own), then close. */
void client_flush_and_close(struct client *c, const char *reason);
void client_fail(struct client *c, const char *severity, const char *sqlstate,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void client_free(struct client *c);

/*
 * What the data plane asks of the control plane, plugged in by daemon.c at
 * start-up so that no data-plane file calls a control-plane one: the admin
 * console (clients of the virtual database "pgsteer", admin.c) and tenant
 * placement (tenant.c).  Every member is set before the first client.
 */
struct dataplane_hooks {
	/* the admin console: may USER log in, welcome C, run its input, free its state */
	bool (*console_user_allowed)(const char *user);
	void (*console_start)(struct client *c);
	void (*console_input)(struct client *c);
	void (*console_free)(struct client *c);
	/* tenancy: the cluster of C's login, whether its statement may start, SET pgsteer.tenant */
	int (*tenant_login_cluster)(struct client *c, int db_cluster, bool *failed);
	bool (*tenant_statement_gate)(struct client *c);
	bool (*tenant_control_check)(struct client *c, const char *value, const char **sqlstate,
				     char *msg, size_t len);
};
extern struct dataplane_hooks dataplane;

#endif
