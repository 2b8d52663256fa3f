/*
 * auth_query: passwords of users missing from auth_file, looked up on the
 * primary of the client's cluster as auth_user (PgBouncer's auth_user /
 * auth_query), over asynchronous libpq connections kept for reuse.
 *
 * Also keeps what a lookup taught us about a user for the server side:
 * the secret (an md5 hash, a SCRAM secret or, rarely, a plain password)
 * and, once a client proved SCRAM against that secret, the ClientKey and
 * ServerKey that let pgsteer log in to PostgreSQL on that user's behalf
 * (SCRAM passthrough).  Everything held is wiped when it is dropped.
 *
 * (Contract used by client.c, server.c and daemon.c.)
 */
#ifndef PGSTEER_AUTHQUERY_H
#define PGSTEER_AUTHQUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "config.h"
#include "scram.h"

#define AUTHQUERY_SECRET_LEN 256	/* as struct pool's server_password */
#define AUTHQUERY_APP_NAME "pgsteer-auth_query"

enum authquery_outcome {
	AUTHQUERY_FOUND,	/* SECRET is the role's password or hash */
	AUTHQUERY_NO_SECRET,	/* no such role, NULL password (expired, none set) */
	AUTHQUERY_FAILED,	/* the lookup could not be made; MESSAGE says why */
};

/*
 * Pure: what one auth_query answer means.  NTUPLES/NFIELDS describe the
 * result; PASSWORD is row 0's second column (NULL when SQL NULL or when
 * there is no row).  FOUND copies it to SECRET; FAILED writes why to MSG.
 */
enum authquery_outcome authquery_interpret(int ntuples, int nfields, const char *password,
					   char *secret, size_t secret_len,
					   char *msg, size_t msg_len);

/* How a lookup ends: exactly once, unless cancelled first.  SECRET is wiped after. */
typedef void (*authquery_cb)(void *arg, enum authquery_outcome outcome, const char *secret,
			     const char *message);

struct authquery_req;
struct monitor;

/* Start the module (timer); 0, or -1 when out of memory. */
int authquery_start(struct event_base *base, struct monitor *mon);
/* After a reload: connections made with other settings are retired. */
void authquery_reconfigure(const struct config *cfg);
/* Drop every connection (pending lookups fail) and every remembered secret. */
void authquery_stop(void);

/*
 * Look USER up on node NODE_INDEX in database DBNAME (reusing a connection
 * there, else opening one).  CB runs later, never from inside this call.
 * NULL when out of memory.
 */
struct authquery_req *authquery_lookup(int node_index, const char *dbname, const char *user,
				       authquery_cb cb, void *arg);
/* The client went away: CB will not be called. */
void authquery_cancel(struct authquery_req *req);

/*
 * A client proved SCRAM against SECRET (fetched for USER of CLUSTER):
 * keep its keys for server logins, as long as SECRET is still the current one.
 */
void authquery_remember_keys(const char *cluster, const char *user, const char *secret,
			     const uint8_t client_key[SCRAM_KEY_LEN],
			     const uint8_t server_key[SCRAM_KEY_LEN]);
/*
 * The secret auth_query found for USER of CLUSTER, for a server login:
 * false when none.  *HAVE_KEYS says whether CLIENT_KEY/SERVER_KEY were
 * filled (SCRAM passthrough possible).  The caller wipes what it got.
 */
bool authquery_server_secret(const char *cluster, const char *user,
			     char secret[AUTHQUERY_SECRET_LEN],
			     uint8_t client_key[SCRAM_KEY_LEN], uint8_t server_key[SCRAM_KEY_LEN],
			     bool *have_keys);

#endif
