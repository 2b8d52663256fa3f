/*
 * TLS context construction.  Owns nothing at runtime: the caller keeps the
 * SSL_CTX and frees it (reload builds new ones before freeing the old).
 * Minimum protocol TLS 1.2, as PostgreSQL's default ssl_min_protocol_version.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "tls.h"

const char *tls_last_error(void)
{
	static _Thread_local char buf[256];	/* one per worker thread */
	unsigned long e = ERR_get_error();
	if (!e)
		return "unknown TLS error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* RFC 5929 section 4.1: the certificate's signature digest, MD5/SHA-1 upgraded to SHA-256. */
bool tls_cert_end_point_hash(X509 *cert, unsigned char *out, size_t outlen, size_t *len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	const EVP_MD *digest;
	int algo_nid;

	if (cert == NULL || !OBJ_find_sigid_algs(X509_get_signature_nid(cert), &algo_nid, NULL))
		return false;
	if (algo_nid == NID_md5 || algo_nid == NID_sha1)
		digest = EVP_sha256();
	else if ((digest = EVP_get_digestbynid(algo_nid)) == NULL)
		return false;
	if (X509_digest(cert, digest, md, &n) != 1 || n == 0 || n > outlen)
		return false;
	memcpy(out, md, n);
	*len = n;
	return true;
}

/* CN: the first Common Name entry (as PostgreSQL takes it); DN: RFC 2253 text. */
bool tls_peer_name(SSL *ssl, enum tls_cert_name which, char *buf, size_t len)
{
	X509 *cert = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
	X509_NAME *subject;
	bool ok = false;

	if (cert == NULL || len == 0 || (subject = X509_get_subject_name(cert)) == NULL)
		return false;
	if (which == TLS_CERT_NAME_CN) {
		/* the length first: a name that does not fit is refused, not cut */
		int need = X509_NAME_get_text_by_NID(subject, NID_commonName, NULL, 0);
		int n = need > 0 && (size_t)need < len ?
			X509_NAME_get_text_by_NID(subject, NID_commonName, buf, (int)len) : -1;
		/* a CN with an embedded NUL would compare as a shorter name: refuse it */
		ok = n == need && n > 0 && strlen(buf) == (size_t)n;
	} else {
		BIO *bio = BIO_new(BIO_s_mem());
		char *data;
		long n;

		if (bio == NULL)
			return false;
		if (X509_NAME_print_ex(bio, subject, 0, XN_FLAG_RFC2253) >= 0) {
			n = BIO_get_mem_data(bio, &data);
			if (n > 0 && (size_t)n < len && memchr(data, '\0', (size_t)n) == NULL) {
				memcpy(buf, data, (size_t)n);
				buf[n] = '\0';
				ok = true;
			}
		}
		BIO_free(bio);
	}
	if (!ok)
		buf[0] = '\0';
	return ok;
}

/* Context for accepting client connections (we are the TLS server). */
SSL_CTX *tls_client_side_ctx(const struct config *cfg, char *errbuf, size_t errlen)
{
	errbuf[0] = '\0';
	if (cfg->client_tls_sslmode == TLS_DISABLE)
		return NULL;
	return tls_server_ctx(cfg, errbuf, errlen);
}

SSL_CTX *tls_server_ctx(const struct config *cfg, char *errbuf, size_t errlen)
{
	SSL_CTX *ctx;

	errbuf[0] = '\0';
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(errbuf, errlen, "SSL_CTX_new: %s", tls_last_error());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/*
	 * No session resumption, as PostgreSQL (be-secure-openssl.c): no
	 * tickets and no session cache.  libpq never resumes a session, and
	 * TLS 1.3 would otherwise make and send two tickets per handshake.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (cfg->client_tls_ciphers && *cfg->client_tls_ciphers &&
	    SSL_CTX_set_cipher_list(ctx, cfg->client_tls_ciphers) != 1) {
		snprintf(errbuf, errlen, "client_tls_ciphers: %s", tls_last_error());
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->client_tls_cert_file) != 1) {
		snprintf(errbuf, errlen, "client_tls_cert_file %s: %s",
			 cfg->client_tls_cert_file, tls_last_error());
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->client_tls_key_file, SSL_FILETYPE_PEM) != 1) {
		snprintf(errbuf, errlen, "client_tls_key_file %s: %s",
			 cfg->client_tls_key_file, tls_last_error());
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(errbuf, errlen, "client TLS key does not match certificate: %s",
			 tls_last_error());
		goto fail;
	}
	if (cfg->client_tls_ca_file && *cfg->client_tls_ca_file) {
		STACK_OF(X509_NAME) *names;
		if (SSL_CTX_load_verify_locations(ctx, cfg->client_tls_ca_file, NULL) != 1 ||
		    !(names = SSL_load_client_CA_file(cfg->client_tls_ca_file))) {
			snprintf(errbuf, errlen, "client_tls_ca_file %s: %s",
				 cfg->client_tls_ca_file, tls_last_error());
			goto fail;
		}
		/*
		 * As PostgreSQL with ssl_ca_file: clients are asked for a
		 * certificate, one that does not verify fails the handshake, and
		 * a client without one goes on to password authentication.
		 */
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Context for connecting to PostgreSQL (we are the TLS client). */
SSL_CTX *tls_server_side_ctx(const struct config *cfg, char *errbuf, size_t errlen)
{
	SSL_CTX *ctx;

	errbuf[0] = '\0';
	if (cfg->server_tls_sslmode == TLS_DISABLE)
		return NULL;
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		snprintf(errbuf, errlen, "SSL_CTX_new: %s", tls_last_error());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* Like libpq's prefer/require: encrypt, do not verify unless a CA is given. */
	if (cfg->server_tls_ca_file && *cfg->server_tls_ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, cfg->server_tls_ca_file, NULL) != 1) {
			snprintf(errbuf, errlen, "server_tls_ca_file %s: %s",
				 cfg->server_tls_ca_file, tls_last_error());
			goto fail;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	if (cfg->server_tls_cert_file && *cfg->server_tls_cert_file) {
		if (SSL_CTX_use_certificate_chain_file(ctx, cfg->server_tls_cert_file) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, cfg->server_tls_key_file, SSL_FILETYPE_PEM) != 1) {
			snprintf(errbuf, errlen, "server TLS client certificate: %s", tls_last_error());
			goto fail;
		}
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}
