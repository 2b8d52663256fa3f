/*
 * TLS contexts (OpenSSL 3) for both sides: pgsteer as a TLS server towards
 * clients and as a TLS client towards PostgreSQL.  Builds SSL_CTX objects
 * from config; the connections themselves use libevent's OpenSSL
 * bufferevents (conn.c).
 */
#ifndef PGSTEER_TLS_H
#define PGSTEER_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

#include "config.h"

/* A TLS server context from the client_tls_* files, whatever client_tls_sslmode says. */
SSL_CTX *tls_server_ctx(const struct config *cfg, char *errbuf, size_t errlen);
/* NULL with a message in errbuf on failure; NULL with errbuf[0]==0 when TLS is off. */
SSL_CTX *tls_client_side_ctx(const struct config *cfg, char *errbuf, size_t errlen);
SSL_CTX *tls_server_side_ctx(const struct config *cfg, char *errbuf, size_t errlen);
/* The first OpenSSL error as text (for logs). */
const char *tls_last_error(void);

#endif
