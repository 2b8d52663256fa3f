/*
 * SCRAM-SHA-256 (RFC 5802 / RFC 7677) as PostgreSQL uses it, both sides:
 * pgsteer as the server (authenticating clients against auth_file) and as
 * the client (authenticating to PostgreSQL).  Pure functions over memory
 * with OpenSSL's crypto.  Channel binding (SCRAM-SHA-256-PLUS) is the
 * tls-server-end-point type only, as PostgreSQL offers it: the caller
 * supplies the certificate hash (tls.c) and says whether PLUS was offered
 * and chosen.  Passwords are used as given (no SASLprep; ASCII passwords
 * are unaffected).
 *
 * Message strings are not NUL-terminated on input (they come straight from
 * protocol messages); outputs are NUL-terminated, and the return value is
 * their length, or -1 with *err set to a static, client-safe message.
 */
#ifndef PGSTEER_SCRAM_H
#define PGSTEER_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCRAM_KEY_LEN 32
#define SCRAM_MAX_SALT_LEN 64
#define SCRAM_NONCE_B64_LEN 24
#define SCRAM_DEFAULT_ITERATIONS 4096
#define SCRAM_CBIND_MAX 64		/* tls-server-end-point data: a hash, at most SHA-512 */
#define SCRAM_MECH "SCRAM-SHA-256"
#define SCRAM_MECH_PLUS "SCRAM-SHA-256-PLUS"
#define SCRAM_CBIND_TYPE "tls-server-end-point"

struct scram_secret {
	int iterations;
	uint8_t salt[SCRAM_MAX_SALT_LEN];
	size_t salt_len;
	uint8_t stored_key[SCRAM_KEY_LEN];
	uint8_t server_key[SCRAM_KEY_LEN];
};

/* Parse "SCRAM-SHA-256$iter:salt$StoredKey:ServerKey". */
bool scram_parse_secret(const char *s, struct scram_secret *out);
/* Derive a secret from a plain password with a random salt. */
bool scram_secret_from_password(const char *password, struct scram_secret *out);
/* Same with a given salt and iteration count (tests, deterministic). */
bool scram_secret_from_password_salt(const char *password, const uint8_t *salt,
				     size_t salt_len, int iterations,
				     struct scram_secret *out);

/* ---- pgsteer as the SCRAM server ---- */
struct scram_server {
	int state;			/* internal */
	struct scram_secret secret;
	char client_first_bare[512];
	char server_first[512];
	char nonce[128];		/* client nonce + server nonce */
	char gs2_header[64];
	uint8_t client_key[SCRAM_KEY_LEN]; /* recovered from the proof, for passthrough later */
	bool cbind_offered;		/* our mechanism list had SCRAM-SHA-256-PLUS */
	bool cbind_chosen;		/* the client picked SCRAM-SHA-256-PLUS */
	uint8_t cbind_data[SCRAM_CBIND_MAX]; /* our certificate's tls-server-end-point hash */
	size_t cbind_len;
};

void scram_server_init(struct scram_server *s, const struct scram_secret *secret);
/* The *err of a client-final whose binding does not match (08P01, not a wrong password). */
extern const char scram_err_channel_binding[];
/*
 * Channel binding for this exchange; call after scram_server_init() and
 * before scram_server_first().  OFFERED: the server listed
 * SCRAM-SHA-256-PLUS (a TLS connection whose certificate hash is DATA,
 * LEN <= SCRAM_CBIND_MAX).  CHOSEN: the client's SASLInitialResponse
 * named SCRAM-SHA-256-PLUS.  Without this call neither is true, and a
 * client-first with "p=" is refused.  With OFFERED, a client that says
 * "y" (it could bind but thinks we cannot) is refused: someone between
 * it and us removed PLUS from the list.
 */
void scram_server_set_channel_binding(struct scram_server *s, bool offered, bool chosen,
				      const uint8_t *data, size_t len);
/*
 * CLIENT_FIRST is the SASLInitialResponse payload (client-first-message).
 * Writes server-first-message into OUT.
 */
int scram_server_first(struct scram_server *s, const char *client_first, size_t len,
		       char *out, size_t outlen, const char **err);
/*
 * CLIENT_FINAL is the SASLResponse payload.  Verifies the proof; on success
 * writes server-final-message ("v=...") into OUT.  -1 on bad proof or
 * malformed message.
 */
int scram_server_final(struct scram_server *s, const char *client_final, size_t len,
		       char *out, size_t outlen, const char **err);

/* ---- pgsteer as the SCRAM client ---- */

/* What the client says about channel binding in its gs2 header. */
enum scram_cbind {
	SCRAM_CBIND_NONE,	/* "n,,": no TLS, cannot bind */
	SCRAM_CBIND_UNUSED,	/* "y,,": TLS, but the server did not offer PLUS */
	SCRAM_CBIND_BIND,	/* "p=tls-server-end-point,,": SCRAM-SHA-256-PLUS */
};

struct scram_client {
	int state;			/* internal */
	char client_nonce[64];
	char client_first_bare[256];
	uint8_t server_signature[SCRAM_KEY_LEN];
	char gs2_header[32];		/* "n,,", "y,," or "p=tls-server-end-point,," */
	uint8_t cbind_data[SCRAM_CBIND_MAX]; /* the server certificate's hash, for BIND */
	size_t cbind_len;
};

/* Writes client-first-message ("n,,n=,r=<nonce>") into OUT. */
int scram_client_first(struct scram_client *c, char *out, size_t outlen, const char **err);
/*
 * The same with channel binding MODE; for SCRAM_CBIND_BIND, DATA is the
 * server certificate's tls-server-end-point hash (LEN <= SCRAM_CBIND_MAX)
 * and the mechanism to name is SCRAM_MECH_PLUS.
 */
int scram_client_first_cbind(struct scram_client *c, enum scram_cbind mode,
			     const uint8_t *data, size_t len,
			     char *out, size_t outlen, const char **err);
/* From the server-first-message and the password, writes client-final-message. */
int scram_client_final(struct scram_client *c, const char *password,
		       const char *server_first, size_t len,
		       char *out, size_t outlen, const char **err);
/* Checks the server-final-message's signature; false on mismatch or "e=". */
bool scram_client_verify(struct scram_client *c, const char *server_final, size_t len,
			 const char **err);

/* ---- additions (not part of the original contract) ---- */

/* Largest iteration count the client side accepts from a server. */
#define SCRAM_MAX_ITERATIONS 10000000

/*
 * Format a secret as PostgreSQL stores it in pg_authid.rolpassword:
 * "SCRAM-SHA-256$iter:salt$StoredKey:ServerKey".  Length, or -1 if OUTLEN
 * is too small.
 */
int scram_secret_format(const struct scram_secret *sec, char *out, size_t outlen);
/*
 * Client-final from keys instead of a password: SCRAM passthrough, where
 * CLIENT_KEY was recovered by scram_server_final() from a client's proof and
 * SERVER_KEY comes from the same secret.  Only valid when PostgreSQL holds
 * that same secret (same salt and iterations).
 */
int scram_client_final_from_keys(struct scram_client *c,
				 const uint8_t client_key[SCRAM_KEY_LEN],
				 const uint8_t server_key[SCRAM_KEY_LEN],
				 const char *server_first, size_t len,
				 char *out, size_t outlen, const char **err);

/* ---- for tests: deterministic nonces ---- */

/*
 * Like scram_client_first() with NONCE (printable, no ',') instead of a
 * random one; USER (NULL for none) goes into "n=" the way RFC 5802's
 * examples do, escaped as saslname.  PostgreSQL ignores it.
 */
int scram_client_first_with_nonce(struct scram_client *c, const char *user,
				  const char *nonce, char *out, size_t outlen,
				  const char **err);
/* Like scram_server_first() with SERVER_NONCE (printable, no ','). */
int scram_server_first_with_nonce(struct scram_server *s, const char *client_first,
				  size_t len, const char *server_nonce,
				  char *out, size_t outlen, const char **err);

#endif
