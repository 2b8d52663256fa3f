/*
 * TLS contexts (OpenSSL 3) for both sides: pgsteer as a TLS server towards
 * clients and as a TLS client towards PostgreSQL.  Builds SSL_CTX objects
 * from config; the connections themselves use libevent's OpenSSL
 * bufferevents (conn.c).
 */
#ifndef PGSTEER_TLS_H
#define PGSTEER_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/ssl.h>

#include "config.h"

/* A TLS server context from the client_tls_* files, whatever client_tls_sslmode says. */
SSL_CTX *tls_server_ctx(const struct config *cfg, char *errbuf, size_t errlen);
/* NULL with a message in errbuf on failure; NULL with errbuf[0]==0 when TLS is off. */
SSL_CTX *tls_client_side_ctx(const struct config *cfg, char *errbuf, size_t errlen);
SSL_CTX *tls_server_side_ctx(const struct config *cfg, char *errbuf, size_t errlen);
/*
 * RFC 5929 tls-server-end-point channel binding data: the hash of CERT
 * with its signature's digest (SHA-256 in place of MD5 and SHA-1), as
 * PostgreSQL and libpq compute it.  False when the digest cannot be told
 * (e.g. Ed25519 certificates), so PLUS is then not offered or used.
 */
bool tls_cert_end_point_hash(X509 *cert, unsigned char *out, size_t outlen, size_t *len);

/* How a client certificate names its holder (hba clientname=). */
enum tls_cert_name {
	TLS_CERT_NAME_CN,	/* the subject's Common Name (the default) */
	TLS_CERT_NAME_DN,	/* the whole subject in RFC 2253 form */
};
/*
 * The client certificate's name on SSL into BUF; false when there is no
 * certificate, no such name, or it does not fit (or holds a NUL byte).
 */
bool tls_peer_name(SSL *ssl, enum tls_cert_name which, char *buf, size_t len);

/* The first OpenSSL error as text (for logs). */
const char *tls_last_error(void);

#endif
