/*
 * Steering (steer.c): which server a statement goes to.  Used by the
 * relay (relay.c) at the start of each statement and for statements met
 * on an open link; tenancy's only way into the data plane is the last
 * three functions.
 */
#ifndef PGSTEER_STEER_H
#define PGSTEER_STEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

struct client;
struct server;
struct pstmt;
struct classify_result;

/* What the relay does with a Query/Parse it had to look at. */
enum inspect_verdict {
	INSPECT_FORWARD,	/* relay it */
	INSPECT_WAIT,		/* not complete yet: stop here until more arrives */
	INSPECT_HOLD,		/* must not go to this server: keep it until release */
	INSPECT_ANSWERED,	/* a control, answered by pgsteer */
	INSPECT_REWRITTEN,	/* a write on a replica, replaced by a refusal */
};

/*
 * The statement at the head of C's input (its first message TYPE, LEN)
 * starts a transaction or stands alone: classify and route it, setting
 * c->target_pool.  True: queue C on that pool.  False: nothing to queue
 * (answered here, refused, waiting for an LSN probe, linked to a parked
 * server, or incomplete).
 */
bool steer_statement(struct client *c, uint8_t type, uint32_t len);
/* Must the relay show this message to steer_inspect() (a Query or Parse, or a Bind of BOUND)?  Per message: inline. */
static inline bool steer_must_inspect(uint8_t type, const struct pstmt *bound)
{
	return type == 'Q' || type == 'P' || (type == 'B' && bound);
}
/*
 * A Query/Parse/Bind at OFF in IN, met while C is linked to S: answer
 * controls, refuse writes on a replica, hold what must go elsewhere.  RES
 * gets its classification.
 */
enum inspect_verdict steer_inspect(struct client *c, struct server *s, struct evbuffer *in,
				   size_t off, uint8_t type, uint32_t len,
				   const struct pstmt *bound, struct classify_result *res);
/* The SQL text of a complete Query or Parse message at OFF in IN (pulled up into one chain). */
bool steer_message_text(struct evbuffer *in, size_t off, uint8_t type, uint32_t len,
			const char **sql, size_t *sqllen);
/* Does CLUSTER have a replica (read-your-writes needs LSNs only then)? */
bool steer_cluster_has_replicas(int cluster);
/* The relay moved the statement steer_statement() classified: its cached verdict is spent. */
void steer_forget(void);

/* Tenancy: C (between transactions) now belongs to CLUSTER: its primary's pool, no replica, no LSN. */
void steer_switch_cluster(struct client *c, int cluster);
/* Transactions of tenant ID (NULL: any) in flight on every worker, or queued for a server. */
int steer_tenant_inflight(const char *id);
/* Run the statements held by clients of tenant ID (NULL: any) unless HELD(their tenant) still says so. */
void steer_tenant_resume(const char *id, bool (*held)(const char *tenant));

/*
 * SQL (a statement pgsteer classified as DDL) needs a database without
 * sessions: DROP DATABASE x, ALTER DATABASE x RENAME / SET TABLESPACE,
 * CREATE DATABASE ... TEMPLATE x.  pgsteer's idle server connections to x
 * are closed first, so that they are not the sessions PostgreSQL refuses
 * it for (55006); a client still connected to x is, as directly.
 */
void steer_database_ddl(const struct client *c, const char *sql, size_t len);

#endif
