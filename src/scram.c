/*
 * SCRAM-SHA-256 message handling and key derivation, both sides (pgsteer
 * as the server checking clients, and as the client logging in to
 * PostgreSQL).  Owns parsing and building of the four SCRAM messages and
 * the secret format; must not touch sockets, the event loop, globals or
 * the clock, and must not allocate.
 *
 * Design: every input message arrives as (pointer, length) straight from a
 * protocol buffer, without a terminating NUL, so all parsing goes through
 * a bounded cursor; nothing here calls strlen() on peer data.  The
 * AuthMessage (client-first-bare "," server-first "," client-final without
 * proof) is never assembled in one buffer: it is fed to the HMAC in parts,
 * which keeps the client-final size unbounded by any local array.  Any
 * failure moves the exchange to a failed state; there are no retries
 * within one exchange.  Secret comparisons use CRYPTO_memcmp; derived
 * keys on the stack are cleansed before return.
 *
 * Channel binding follows PostgreSQL (RFC 5802 section 6, RFC 5929):
 * only tls-server-end-point, the hash of the server's certificate, which
 * the caller computes (tls.c) since this file knows no TLS.  The gs2 flag
 * must agree with the mechanism: "p=" only with SCRAM-SHA-256-PLUS, and
 * "y" refused when PLUS was offered (a downgrade by someone in between).
 * The client-final's "c=" is base64(gs2 header || binding data) and is
 * compared byte for byte; it is also part of the AuthMessage, so a proof
 * made over another TLS connection (a relay) cannot verify.
 * Authorization identities ("a=") and mandatory extensions ("m=") are
 * refused as PostgreSQL does.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "common.h"
#include "scram.h"

#define SCRAM_PREFIX "SCRAM-SHA-256$"
#define SCRAM_RAW_NONCE_LEN 18	/* base64 of 18 bytes is exactly 24 chars */

enum scram_server_state {
	SCRAM_SRV_INIT = 0,
	SCRAM_SRV_SENT_FIRST,	/* server-first sent, waiting for client-final */
	SCRAM_SRV_DONE,		/* proof verified */
	SCRAM_SRV_FAILED,
};

enum scram_client_state {
	SCRAM_CLI_INIT = 0,
	SCRAM_CLI_SENT_FIRST,	/* client-first sent, waiting for server-first */
	SCRAM_CLI_SENT_FINAL,	/* client-final sent, waiting for server-final */
	SCRAM_CLI_DONE,		/* server signature verified */
	SCRAM_CLI_FAILED,
};

/* Bounded read position over a message that is not NUL-terminated. */
struct cursor {
	const char *p;
	const char *end;
};

/* One piece of the AuthMessage. */
struct part {
	const void *data;
	size_t len;
};

static const char ERR_MALFORMED[] = "malformed SCRAM message";
const char scram_err_channel_binding[] = "SCRAM channel binding check failed";

static size_t b64_encode(const uint8_t *src, size_t len, char *dst);
static int b64_decode(const char *src, size_t len, uint8_t *dst, size_t dstlen);
static bool hmac_parts(const uint8_t *key, size_t keylen, const struct part *parts,
		       size_t nparts, uint8_t out[SCRAM_KEY_LEN]);
static bool sha256(const uint8_t *data, size_t len, uint8_t out[SCRAM_KEY_LEN]);
static bool salted_password(const char *password, const uint8_t *salt, size_t salt_len,
			    int iterations, uint8_t out[SCRAM_KEY_LEN]);
static bool keys_from_salted(const uint8_t salted[SCRAM_KEY_LEN],
			     uint8_t client_key[SCRAM_KEY_LEN],
			     uint8_t server_key[SCRAM_KEY_LEN]);
static bool is_printable_nonce(const char *s, size_t len);
static bool read_attr(struct cursor *c, char name, const char **val, size_t *vlen);
static bool read_any_attr(struct cursor *c);
static bool read_comma(struct cursor *c);
static bool parse_iterations(const char *s, size_t len, int max, int *out);
static int emit(const char *msg, size_t len, char *out, size_t outlen, const char **err);
static bool read_cbind_flag(struct scram_server *s, struct cursor *c, const char **err);
static int server_first_common(struct scram_server *s, const char *client_first, size_t len,
			       const char *server_nonce, size_t snonce_len,
			       char *out, size_t outlen, const char **err);
static int client_first_common(struct scram_client *c, const char *user, const char *nonce,
			       char *out, size_t outlen, const char **err);
static int client_final_common(struct scram_client *c, const char *password,
			       const uint8_t *client_key_in, const uint8_t *server_key_in,
			       const char *server_first, size_t len,
			       char *out, size_t outlen, const char **err);

/*
 * Public functions
 */

/* Parse the pg_authid form; strict about every field so typos fail at load. */
bool scram_parse_secret(const char *s, struct scram_secret *out)
{
	const char *p, *colon, *dollar, *colon2;
	struct scram_secret sec;
	int n;

	if (s == NULL || strncmp(s, SCRAM_PREFIX, strlen(SCRAM_PREFIX)) != 0)
		return false;
	memset(&sec, 0, sizeof(sec));
	p = s + strlen(SCRAM_PREFIX);

	colon = strchr(p, ':');
	if (colon == NULL || !parse_iterations(p, (size_t)(colon - p), INT_MAX, &sec.iterations))
		return false;
	p = colon + 1;

	dollar = strchr(p, '$');
	if (dollar == NULL)
		return false;
	n = b64_decode(p, (size_t)(dollar - p), sec.salt, sizeof(sec.salt));
	if (n <= 0)
		return false;
	sec.salt_len = (size_t)n;
	p = dollar + 1;

	colon2 = strchr(p, ':');
	if (colon2 == NULL ||
	    b64_decode(p, (size_t)(colon2 - p), sec.stored_key, SCRAM_KEY_LEN) != SCRAM_KEY_LEN)
		return false;
	p = colon2 + 1;
	if (b64_decode(p, strlen(p), sec.server_key, SCRAM_KEY_LEN) != SCRAM_KEY_LEN)
		return false;

	*out = sec;
	OPENSSL_cleanse(&sec, sizeof(sec));
	return true;
}

/* A fresh 16-byte random salt, PostgreSQL's default iteration count. */
bool scram_secret_from_password(const char *password, struct scram_secret *out)
{
	uint8_t salt[16];

	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return false;
	return scram_secret_from_password_salt(password, salt, sizeof(salt),
					       SCRAM_DEFAULT_ITERATIONS, out);
}

/* RFC 5802 key derivation: SaltedPassword -> ClientKey/StoredKey/ServerKey. */
bool scram_secret_from_password_salt(const char *password, const uint8_t *salt,
				     size_t salt_len, int iterations,
				     struct scram_secret *out)
{
	uint8_t salted[SCRAM_KEY_LEN], client_key[SCRAM_KEY_LEN];
	bool ok;

	if (password == NULL || salt == NULL || salt_len == 0 ||
	    salt_len > SCRAM_MAX_SALT_LEN || iterations <= 0)
		return false;
	memset(out, 0, sizeof(*out));
	out->iterations = iterations;
	memcpy(out->salt, salt, salt_len);
	out->salt_len = salt_len;
	ok = salted_password(password, salt, salt_len, iterations, salted) &&
	     keys_from_salted(salted, client_key, out->server_key) &&
	     sha256(client_key, SCRAM_KEY_LEN, out->stored_key);
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(client_key, sizeof(client_key));
	return ok;
}

/* Same layout PostgreSQL writes, so secrets can be copied both ways. */
int scram_secret_format(const struct scram_secret *sec, char *out, size_t outlen)
{
	char salt[((SCRAM_MAX_SALT_LEN + 2) / 3) * 4 + 1];
	char stored[((SCRAM_KEY_LEN + 2) / 3) * 4 + 1];
	char server[((SCRAM_KEY_LEN + 2) / 3) * 4 + 1];
	int n;

	if (sec->salt_len == 0 || sec->salt_len > SCRAM_MAX_SALT_LEN)
		return -1;
	b64_encode(sec->salt, sec->salt_len, salt);
	b64_encode(sec->stored_key, SCRAM_KEY_LEN, stored);
	b64_encode(sec->server_key, SCRAM_KEY_LEN, server);
	n = snprintf(out, outlen, SCRAM_PREFIX "%d:%s$%s:%s",
		     sec->iterations, salt, stored, server);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return n;
}

/* ---- server side ---- */

/* Start an exchange against SECRET; the struct holds everything after this. */
void scram_server_init(struct scram_server *s, const struct scram_secret *secret)
{
	memset(s, 0, sizeof(*s));
	s->state = SCRAM_SRV_INIT;
	s->secret = *secret;
}

/* Record what was offered and chosen, and the data the client must bind to. */
void scram_server_set_channel_binding(struct scram_server *s, bool offered, bool chosen,
				      const uint8_t *data, size_t len)
{
	Assert(len <= SCRAM_CBIND_MAX);
	s->cbind_offered = offered;
	s->cbind_chosen = chosen;
	s->cbind_len = len <= SCRAM_CBIND_MAX ? len : 0;
	if (s->cbind_len > 0)
		memcpy(s->cbind_data, data, s->cbind_len);
}

/* Parse client-first, answer with our nonce, salt and iteration count. */
int scram_server_first(struct scram_server *s, const char *client_first, size_t len,
		       char *out, size_t outlen, const char **err)
{
	uint8_t raw[SCRAM_RAW_NONCE_LEN];
	char snonce[SCRAM_NONCE_B64_LEN + 1];

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		s->state = SCRAM_SRV_FAILED;
		*err = "could not generate random nonce";
		return -1;
	}
	b64_encode(raw, sizeof(raw), snonce);
	Assert(strlen(snonce) == SCRAM_NONCE_B64_LEN);
	return server_first_common(s, client_first, len, snonce, SCRAM_NONCE_B64_LEN,
				   out, outlen, err);
}

/* Test hook: the server nonce is given instead of random. */
int scram_server_first_with_nonce(struct scram_server *s, const char *client_first,
				  size_t len, const char *server_nonce,
				  char *out, size_t outlen, const char **err)
{
	return server_first_common(s, client_first, len, server_nonce, strlen(server_nonce),
				   out, outlen, err);
}

/* Check channel binding, nonce and proof; answer with our signature. */
int scram_server_final(struct scram_server *s, const char *client_final, size_t len,
		       char *out, size_t outlen, const char **err)
{
	struct cursor c = { client_final, client_final + len };
	const char *val, *without_proof_end;
	size_t vlen;
	uint8_t cbind[sizeof(s->gs2_header) + SCRAM_CBIND_MAX];
	uint8_t proof[SCRAM_KEY_LEN], sig[SCRAM_KEY_LEN], client_key[SCRAM_KEY_LEN];
	uint8_t check[SCRAM_KEY_LEN];
	char final[2 + ((SCRAM_KEY_LEN + 2) / 3) * 4 + 1];
	struct part parts[5];
	size_t gs2_len = strlen(s->gs2_header);
	int n, i;
	bool ok;

	if (s->state != SCRAM_SRV_SENT_FIRST) {
		s->state = SCRAM_SRV_FAILED;
		*err = "SCRAM exchange out of order";
		return -1;
	}
	s->state = SCRAM_SRV_FAILED;	/* until proven otherwise */
	*err = ERR_MALFORMED;
	if (client_final == NULL || memchr(client_final, '\0', len) != NULL)
		return -1;

	/* c=: exactly the gs2 header we saw, then our certificate's hash under PLUS. */
	if (!read_attr(&c, 'c', &val, &vlen))
		return -1;
	n = b64_decode(val, vlen, cbind, sizeof(cbind));
	if (n < 0)
		return -1;
	if ((size_t)n != gs2_len + (s->cbind_chosen ? s->cbind_len : 0) ||
	    memcmp(cbind, s->gs2_header, gs2_len) != 0 ||
	    (s->cbind_chosen && memcmp(cbind + gs2_len, s->cbind_data, s->cbind_len) != 0)) {
		*err = scram_err_channel_binding;
		return -1;
	}

	/* r=: the combined nonce, verbatim. */
	if (!read_comma(&c) || !read_attr(&c, 'r', &val, &vlen))
		return -1;
	if (vlen != strlen(s->nonce) || memcmp(val, s->nonce, vlen) != 0) {
		*err = "SCRAM nonce mismatch";
		return -1;
	}

	/* Optional extensions, then p= which must be last. */
	for (;;) {
		without_proof_end = c.p;
		if (!read_comma(&c))
			return -1;
		if (c.end - c.p >= 2 && c.p[0] == 'p' && c.p[1] == '=')
			break;
		if (!read_any_attr(&c))
			return -1;
	}
	if (!read_attr(&c, 'p', &val, &vlen) || c.p != c.end)
		return -1;
	if (b64_decode(val, vlen, proof, sizeof(proof)) != SCRAM_KEY_LEN)
		return -1;

	parts[0] = (struct part){ s->client_first_bare, strlen(s->client_first_bare) };
	parts[1] = (struct part){ ",", 1 };
	parts[2] = (struct part){ s->server_first, strlen(s->server_first) };
	parts[3] = (struct part){ ",", 1 };
	parts[4] = (struct part){ client_final, (size_t)(without_proof_end - client_final) };

	/* ClientKey = proof XOR HMAC(StoredKey, AuthMessage); H(ClientKey) must be StoredKey. */
	ok = hmac_parts(s->secret.stored_key, SCRAM_KEY_LEN, parts, ARRAY_SIZE(parts), sig);
	for (i = 0; i < SCRAM_KEY_LEN; i++)
		client_key[i] = proof[i] ^ sig[i];
	ok = ok && sha256(client_key, SCRAM_KEY_LEN, check);
	if (!ok || CRYPTO_memcmp(check, s->secret.stored_key, SCRAM_KEY_LEN) != 0) {
		OPENSSL_cleanse(client_key, sizeof(client_key));
		*err = ok ? "password authentication failed" : "SCRAM crypto failure";
		return -1;
	}
	memcpy(s->client_key, client_key, SCRAM_KEY_LEN);
	OPENSSL_cleanse(client_key, sizeof(client_key));

	if (!hmac_parts(s->secret.server_key, SCRAM_KEY_LEN, parts, ARRAY_SIZE(parts), sig)) {
		*err = "SCRAM crypto failure";
		return -1;
	}
	memcpy(final, "v=", 2);
	n = (int)(2 + b64_encode(sig, SCRAM_KEY_LEN, final + 2));
	n = emit(final, (size_t)n, out, outlen, err);
	if (n >= 0)
		s->state = SCRAM_SRV_DONE;
	return n;
}

/* ---- client side ---- */

/* "n,,n=,r=<nonce>": no channel binding, user name left to the startup packet. */
int scram_client_first(struct scram_client *c, char *out, size_t outlen, const char **err)
{
	uint8_t raw[SCRAM_RAW_NONCE_LEN];
	char nonce[SCRAM_NONCE_B64_LEN + 1];

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		memset(c, 0, sizeof(*c));
		c->state = SCRAM_CLI_FAILED;
		*err = "could not generate random nonce";
		return -1;
	}
	b64_encode(raw, sizeof(raw), nonce);
	return client_first_common(c, NULL, nonce, out, outlen, err);
}

/* The same, saying what we know of channel binding; BIND binds to DATA. */
int scram_client_first_cbind(struct scram_client *c, enum scram_cbind mode,
			     const uint8_t *data, size_t len,
			     char *out, size_t outlen, const char **err)
{
	int n;

	if (mode == SCRAM_CBIND_BIND && (len == 0 || len > SCRAM_CBIND_MAX)) {
		memset(c, 0, sizeof(*c));
		c->state = SCRAM_CLI_FAILED;
		*err = "invalid channel binding data";
		return -1;
	}
	n = scram_client_first(c, out, outlen, err);
	if (n < 0 || mode == SCRAM_CBIND_NONE)
		return n;
	/* scram_client_first() wrote "n,,"; put the real gs2 header in front of the bare part. */
	const char *hdr = mode == SCRAM_CBIND_BIND ? "p=" SCRAM_CBIND_TYPE ",," : "y,,";
	size_t hlen = strlen(hdr), bare_len = strlen(c->client_first_bare);

	if (hlen + bare_len >= outlen) {
		c->state = SCRAM_CLI_FAILED;
		*err = "SCRAM output buffer too small";
		return -1;
	}
	memcpy(c->gs2_header, hdr, hlen + 1);
	memcpy(out, hdr, hlen);
	memcpy(out + hlen, c->client_first_bare, bare_len + 1);
	if (mode == SCRAM_CBIND_BIND) {
		memcpy(c->cbind_data, data, len);
		c->cbind_len = len;
	}
	return (int)(hlen + bare_len);
}

/* Test hook: nonce and "n=" user given. */
int scram_client_first_with_nonce(struct scram_client *c, const char *user,
				  const char *nonce, char *out, size_t outlen,
				  const char **err)
{
	return client_first_common(c, user, nonce, out, outlen, err);
}

/* Derive keys from PASSWORD and the server's salt, then prove them. */
int scram_client_final(struct scram_client *c, const char *password,
		       const char *server_first, size_t len,
		       char *out, size_t outlen, const char **err)
{
	if (password == NULL) {
		c->state = SCRAM_CLI_FAILED;
		*err = "no password for SCRAM authentication";
		return -1;
	}
	return client_final_common(c, password, NULL, NULL, server_first, len,
				   out, outlen, err);
}

/* Passthrough: prove with a ClientKey recovered from a client's proof. */
int scram_client_final_from_keys(struct scram_client *c,
				 const uint8_t client_key[SCRAM_KEY_LEN],
				 const uint8_t server_key[SCRAM_KEY_LEN],
				 const char *server_first, size_t len,
				 char *out, size_t outlen, const char **err)
{
	return client_final_common(c, NULL, client_key, server_key, server_first, len,
				   out, outlen, err);
}

/* "v=<signature>" must match what we computed; "e=" is a server refusal. */
bool scram_client_verify(struct scram_client *c, const char *server_final, size_t len,
			 const char **err)
{
	struct cursor cur = { server_final, server_final + len };
	const char *val;
	size_t vlen;
	uint8_t sig[SCRAM_KEY_LEN];

	if (c->state != SCRAM_CLI_SENT_FINAL) {
		c->state = SCRAM_CLI_FAILED;
		*err = "SCRAM exchange out of order";
		return false;
	}
	c->state = SCRAM_CLI_FAILED;
	*err = ERR_MALFORMED;
	if (server_final == NULL || memchr(server_final, '\0', len) != NULL)
		return false;
	if (len >= 2 && server_final[0] == 'e' && server_final[1] == '=') {
		*err = "server rejected SCRAM authentication";
		return false;
	}
	if (!read_attr(&cur, 'v', &val, &vlen))
		return false;
	if (b64_decode(val, vlen, sig, sizeof(sig)) != SCRAM_KEY_LEN)
		return false;
	/* Extensions may follow; RFC 5802 says ignore unknown ones. */
	while (cur.p != cur.end) {
		if (!read_comma(&cur) || !read_any_attr(&cur))
			return false;
	}
	if (CRYPTO_memcmp(sig, c->server_signature, SCRAM_KEY_LEN) != 0) {
		*err = "SCRAM server signature mismatch";
		return false;
	}
	c->state = SCRAM_CLI_DONE;
	return true;
}

/*
 * Internal functions
 */

/* Standard base64 with padding; DST needs 4*ceil(len/3)+1 bytes. */
static size_t b64_encode(const uint8_t *src, size_t len, char *dst)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = ((uint32_t)src[i] << 16) | ((uint32_t)src[i + 1] << 8) | src[i + 2];
		dst[o++] = tbl[(v >> 18) & 63];
		dst[o++] = tbl[(v >> 12) & 63];
		dst[o++] = tbl[(v >> 6) & 63];
		dst[o++] = tbl[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)src[i] << 16;
		dst[o++] = tbl[(v >> 18) & 63];
		dst[o++] = tbl[(v >> 12) & 63];
		dst[o++] = '=';
		dst[o++] = '=';
	} else if (len - i == 2) {
		uint32_t v = ((uint32_t)src[i] << 16) | ((uint32_t)src[i + 1] << 8);
		dst[o++] = tbl[(v >> 18) & 63];
		dst[o++] = tbl[(v >> 12) & 63];
		dst[o++] = tbl[(v >> 6) & 63];
		dst[o++] = '=';
	}
	dst[o] = '\0';
	return o;
}

/* Value of one base64 character, -1 if not in the alphabet. */
static int b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/*
 * Strict decoder (no whitespace, padding required, only at the end):
 * peers must send canonical base64.  Decoded length, or -1 if malformed
 * or longer than DSTLEN.
 */
static int b64_decode(const char *src, size_t len, uint8_t *dst, size_t dstlen)
{
	size_t i, o = 0;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		int v[4], k, pad = 0;
		uint32_t w;

		for (k = 0; k < 4; k++) {
			if (src[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad > 0 || (v[k] = b64_value(src[i + k])) < 0) {
				return -1;
			}
		}
		w = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) |
		    ((uint32_t)v[2] << 6) | (uint32_t)v[3];
		if (o + 3 - (size_t)pad > dstlen)
			return -1;
		dst[o++] = (uint8_t)(w >> 16);
		if (pad < 2)
			dst[o++] = (uint8_t)(w >> 8);
		if (pad < 1)
			dst[o++] = (uint8_t)w;
	}
	return (int)o;
}

/* HMAC-SHA-256 over the concatenation of PARTS, without concatenating. */
static bool hmac_parts(const uint8_t *key, size_t keylen, const struct part *parts,
		       size_t nparts, uint8_t out[SCRAM_KEY_LEN])
{
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	char digest[] = "SHA256";
	size_t outlen = 0, i;
	bool ok = false;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		return false;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL)
		goto done;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, keylen, params) != 1)
		goto done;
	for (i = 0; i < nparts; i++) {
		if (EVP_MAC_update(ctx, parts[i].data, parts[i].len) != 1)
			goto done;
	}
	ok = EVP_MAC_final(ctx, out, &outlen, SCRAM_KEY_LEN) == 1 && outlen == SCRAM_KEY_LEN;
done:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok;
}

/* H() of RFC 5802. */
static bool sha256(const uint8_t *data, size_t len, uint8_t out[SCRAM_KEY_LEN])
{
	unsigned int n = 0;

	return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == SCRAM_KEY_LEN;
}

/* Hi() of RFC 5802 is PBKDF2 with HMAC-SHA-256. */
static bool salted_password(const char *password, const uint8_t *salt, size_t salt_len,
			    int iterations, uint8_t out[SCRAM_KEY_LEN])
{
	size_t plen = strlen(password);

	if (plen > INT_MAX || salt_len > INT_MAX)
		return false;
	return PKCS5_PBKDF2_HMAC(password, (int)plen, salt, (int)salt_len, iterations,
				 EVP_sha256(), SCRAM_KEY_LEN, out) == 1;
}

/* ClientKey = HMAC(SaltedPassword, "Client Key"), ServerKey likewise. */
static bool keys_from_salted(const uint8_t salted[SCRAM_KEY_LEN],
			     uint8_t client_key[SCRAM_KEY_LEN],
			     uint8_t server_key[SCRAM_KEY_LEN])
{
	struct part ck = { "Client Key", 10 };
	struct part sk = { "Server Key", 10 };

	return hmac_parts(salted, SCRAM_KEY_LEN, &ck, 1, client_key) &&
	       hmac_parts(salted, SCRAM_KEY_LEN, &sk, 1, server_key);
}

/* RFC 5802 "printable": %x21-2B / %x2D-7E, i.e. visible ASCII but ','. */
static bool is_printable_nonce(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x21 || ch > 0x7e || ch == ',')
			return false;
	}
	return true;
}

/* "<name>=<value>" up to the next ',' or the end; the comma is not consumed. */
static bool read_attr(struct cursor *c, char name, const char **val, size_t *vlen)
{
	const char *comma;

	if (c->end - c->p < 2 || c->p[0] != name || c->p[1] != '=')
		return false;
	c->p += 2;
	comma = memchr(c->p, ',', (size_t)(c->end - c->p));
	if (comma == NULL)
		comma = c->end;
	*val = c->p;
	*vlen = (size_t)(comma - c->p);
	c->p = comma;
	return true;
}

/* An extension attribute: a letter, '=', any value; content ignored. */
static bool read_any_attr(struct cursor *c)
{
	const char *val;
	size_t vlen;
	char ch;

	if (c->p == c->end)
		return false;
	ch = c->p[0];
	if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
		return false;
	return read_attr(c, ch, &val, &vlen);
}

/* Attribute separator. */
static bool read_comma(struct cursor *c)
{
	if (c->p == c->end || c->p[0] != ',')
		return false;
	c->p++;
	return true;
}

/* Decimal without sign or leading zeros, 1..MAX. */
static bool parse_iterations(const char *s, size_t len, int max, int *out)
{
	long long v = 0;
	size_t i;

	if (len == 0 || len > 10 || s[0] == '0')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return false;
	*out = (int)v;
	return true;
}

/* Copy a finished message to the caller's buffer, NUL-terminated. */
static int emit(const char *msg, size_t len, char *out, size_t outlen, const char **err)
{
	if (len >= outlen || len > INT_MAX) {
		*err = "SCRAM output buffer too small";
		return -1;
	}
	memcpy(out, msg, len);
	out[len] = '\0';
	return (int)len;
}

/*
 * The gs2-cbind-flag and its comma, worded as PostgreSQL words the
 * refusals: "p=" needs PLUS and our type, PLUS needs "p=", and "y" means
 * the client was shown a list without PLUS although we offered it.
 */
static bool read_cbind_flag(struct scram_server *s, struct cursor *c, const char **err)
{
	const char *val;
	size_t vlen;

	if (c->p == c->end)
		return false;
	switch (c->p[0]) {
	case 'p':
		if (!s->cbind_chosen) {
			*err = "the client selected SCRAM-SHA-256 without channel binding, "
			       "but the SCRAM message includes channel binding data";
			return false;
		}
		if (!read_attr(c, 'p', &val, &vlen))
			return false;
		if (vlen != strlen(SCRAM_CBIND_TYPE) || memcmp(val, SCRAM_CBIND_TYPE, vlen) != 0) {
			*err = "unsupported SCRAM channel-binding type";
			return false;
		}
		break;
	case 'y':
	case 'n':
		if (s->cbind_chosen) {
			*err = "the client selected SCRAM-SHA-256-PLUS, "
			       "but the SCRAM message does not include channel binding data";
			return false;
		}
		if (c->p[0] == 'y' && s->cbind_offered) {
			*err = "SCRAM channel binding negotiation error: the client supports "
			       "channel binding but thinks the server does not, and this server does";
			return false;
		}
		c->p++;
		break;
	default:
		return false;
	}
	return read_comma(c);
}

/* Shared by scram_server_first() and its test hook. */
static int server_first_common(struct scram_server *s, const char *client_first, size_t len,
			       const char *server_nonce, size_t snonce_len,
			       char *out, size_t outlen, const char **err)
{
	struct cursor c = { client_first, client_first + len };
	const char *val, *nonce, *bare;
	size_t vlen, nonce_len, gs2_len, bare_len;
	char salt[((SCRAM_MAX_SALT_LEN + 2) / 3) * 4 + 1];
	int n;

	if (s->state != SCRAM_SRV_INIT) {
		s->state = SCRAM_SRV_FAILED;
		*err = "SCRAM exchange out of order";
		return -1;
	}
	s->state = SCRAM_SRV_FAILED;
	*err = ERR_MALFORMED;
	if (client_first == NULL || memchr(client_first, '\0', len) != NULL)
		return -1;

	/* gs2-cbind-flag: it must agree with the mechanism and with what we offered */
	if (!read_cbind_flag(s, &c, err))
		return -1;
	/* authzid */
	if (c.end - c.p >= 2 && c.p[0] == 'a' && c.p[1] == '=') {
		*err = "SCRAM authorization identity is not supported";
		return -1;
	}
	if (!read_comma(&c))
		return -1;
	gs2_len = (size_t)(c.p - client_first);
	if (gs2_len >= sizeof(s->gs2_header))
		return -1;
	memcpy(s->gs2_header, client_first, gs2_len);
	s->gs2_header[gs2_len] = '\0';

	/* client-first-message-bare */
	bare = c.p;
	bare_len = (size_t)(c.end - bare);
	if (bare_len >= sizeof(s->client_first_bare))
		return -1;
	if (c.end - c.p >= 2 && c.p[0] == 'm' && c.p[1] == '=') {
		*err = "unsupported SCRAM extension";
		return -1;
	}
	/* n= is ignored, as PostgreSQL does: the startup packet names the user. */
	if (!read_attr(&c, 'n', &val, &vlen) || !read_comma(&c))
		return -1;
	if (!read_attr(&c, 'r', &nonce, &nonce_len) || !is_printable_nonce(nonce, nonce_len))
		return -1;
	while (c.p != c.end) {
		if (!read_comma(&c) || !read_any_attr(&c))
			return -1;
	}
	if (!is_printable_nonce(server_nonce, snonce_len)) {
		*err = "invalid server nonce";
		return -1;
	}
	if (nonce_len + snonce_len >= sizeof(s->nonce)) {
		*err = "SCRAM client nonce too long";
		return -1;
	}
	memcpy(s->client_first_bare, bare, bare_len);
	s->client_first_bare[bare_len] = '\0';
	memcpy(s->nonce, nonce, nonce_len);
	memcpy(s->nonce + nonce_len, server_nonce, snonce_len);
	s->nonce[nonce_len + snonce_len] = '\0';

	b64_encode(s->secret.salt, s->secret.salt_len, salt);
	n = snprintf(s->server_first, sizeof(s->server_first), "r=%s,s=%s,i=%d",
		     s->nonce, salt, s->secret.iterations);
	if (n < 0 || (size_t)n >= sizeof(s->server_first))
		return -1;
	n = emit(s->server_first, (size_t)n, out, outlen, err);
	if (n >= 0)
		s->state = SCRAM_SRV_SENT_FIRST;
	return n;
}

/* Shared by scram_client_first() and its test hook. */
static int client_first_common(struct scram_client *c, const char *user, const char *nonce,
			       char *out, size_t outlen, const char **err)
{
	char bare[sizeof(c->client_first_bare)];
	size_t o, nlen;
	int n;

	memset(c, 0, sizeof(*c));
	c->state = SCRAM_CLI_FAILED;
	nlen = strlen(nonce);
	if (!is_printable_nonce(nonce, nlen) || nlen >= sizeof(c->client_nonce)) {
		*err = "invalid client nonce";
		return -1;
	}
	/* "n=" + saslname: '=' and ',' escaped as "=3D" and "=2C". */
	memcpy(bare, "n=", 2);
	o = 2;
	for (; user != NULL && *user != '\0'; user++) {
		const char *esc = *user == '=' ? "=3D" : *user == ',' ? "=2C" : NULL;
		size_t elen = esc != NULL ? 3 : 1;

		if (o + elen >= sizeof(bare)) {
			*err = "SCRAM user name too long";
			return -1;
		}
		memcpy(bare + o, esc != NULL ? esc : user, elen);
		o += elen;
	}
	n = snprintf(bare + o, sizeof(bare) - o, ",r=%s", nonce);
	if (n < 0 || (size_t)n >= sizeof(bare) - o) {
		*err = "SCRAM user name too long";
		return -1;
	}
	memcpy(c->client_nonce, nonce, nlen + 1);
	memcpy(c->client_first_bare, bare, o + (size_t)n + 1);

	if (outlen < 3 + o + (size_t)n + 1) {
		*err = "SCRAM output buffer too small";
		return -1;
	}
	memcpy(out, "n,,", 3);
	memcpy(out + 3, bare, o + (size_t)n + 1);
	c->state = SCRAM_CLI_SENT_FIRST;
	return (int)(3 + o + (size_t)n);
}

/*
 * Parse server-first, derive or take the keys, build client-final and
 * remember the server signature we expect in server-final.
 */
static int client_final_common(struct scram_client *c, const char *password,
			       const uint8_t *client_key_in, const uint8_t *server_key_in,
			       const char *server_first, size_t len,
			       char *out, size_t outlen, const char **err)
{
	struct cursor cur = { server_first, server_first + len };
	const char *nonce, *salt_b64, *iter_s;
	size_t nonce_len, salt_b64_len, iter_len, cn_len = strlen(c->client_nonce);
	uint8_t salt[SCRAM_MAX_SALT_LEN];
	uint8_t salted[SCRAM_KEY_LEN], client_key[SCRAM_KEY_LEN], server_key[SCRAM_KEY_LEN];
	uint8_t stored_key[SCRAM_KEY_LEN], sig[SCRAM_KEY_LEN];
	uint8_t cbind[sizeof(c->gs2_header) + SCRAM_CBIND_MAX];
	char cbind_b64[((sizeof(cbind) + 2) / 3) * 4 + 1];
	size_t gs2_len;
	char without_proof[2 + sizeof(cbind_b64) + 3 + 256];
	char proof_b64[((SCRAM_KEY_LEN + 2) / 3) * 4 + 1];
	struct part parts[5];
	int salt_len, iterations, n, wlen, i, result = -1;

	if (c->state != SCRAM_CLI_SENT_FIRST) {
		c->state = SCRAM_CLI_FAILED;
		*err = "SCRAM exchange out of order";
		return -1;
	}
	c->state = SCRAM_CLI_FAILED;
	*err = ERR_MALFORMED;
	if (server_first == NULL || memchr(server_first, '\0', len) != NULL)
		return -1;
	if (cur.end - cur.p >= 2 && cur.p[0] == 'm' && cur.p[1] == '=') {
		*err = "unsupported SCRAM extension";
		return -1;
	}
	if (!read_attr(&cur, 'r', &nonce, &nonce_len) || !read_comma(&cur) ||
	    !read_attr(&cur, 's', &salt_b64, &salt_b64_len) || !read_comma(&cur) ||
	    !read_attr(&cur, 'i', &iter_s, &iter_len))
		return -1;
	while (cur.p != cur.end) {
		if (!read_comma(&cur) || !read_any_attr(&cur))
			return -1;
	}
	/* The server must extend our nonce, not replace or merely echo it. */
	if (!is_printable_nonce(nonce, nonce_len) || nonce_len <= cn_len ||
	    memcmp(nonce, c->client_nonce, cn_len) != 0) {
		*err = "SCRAM nonce mismatch";
		return -1;
	}
	salt_len = b64_decode(salt_b64, salt_b64_len, salt, sizeof(salt));
	if (salt_len <= 0) {
		*err = "invalid SCRAM salt";
		return -1;
	}
	if (!parse_iterations(iter_s, iter_len, SCRAM_MAX_ITERATIONS, &iterations)) {
		*err = "invalid SCRAM iteration count";
		return -1;
	}
	if (nonce_len > sizeof(without_proof) - 10) {
		*err = "SCRAM nonce too long";
		return -1;
	}
	/* c= is base64(gs2 header || binding data): "biws" for "n,," */
	gs2_len = c->gs2_header[0] ? strlen(c->gs2_header) : 3;
	memcpy(cbind, c->gs2_header[0] ? c->gs2_header : "n,,", gs2_len);
	memcpy(cbind + gs2_len, c->cbind_data, c->cbind_len);
	b64_encode(cbind, gs2_len + c->cbind_len, cbind_b64);
	wlen = snprintf(without_proof, sizeof(without_proof), "c=%s,r=%.*s",
			cbind_b64, (int)nonce_len, nonce);
	if (wlen < 0 || (size_t)wlen >= sizeof(without_proof)) {
		*err = "SCRAM nonce too long";
		return -1;
	}

	*err = "SCRAM crypto failure";
	if (password != NULL) {
		if (!salted_password(password, salt, (size_t)salt_len, iterations, salted) ||
		    !keys_from_salted(salted, client_key, server_key))
			goto done;
	} else {
		memcpy(client_key, client_key_in, SCRAM_KEY_LEN);
		memcpy(server_key, server_key_in, SCRAM_KEY_LEN);
	}
	if (!sha256(client_key, SCRAM_KEY_LEN, stored_key))
		goto done;

	parts[0] = (struct part){ c->client_first_bare, strlen(c->client_first_bare) };
	parts[1] = (struct part){ ",", 1 };
	parts[2] = (struct part){ server_first, len };
	parts[3] = (struct part){ ",", 1 };
	parts[4] = (struct part){ without_proof, (size_t)wlen };

	/* ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage). */
	if (!hmac_parts(stored_key, SCRAM_KEY_LEN, parts, ARRAY_SIZE(parts), sig))
		goto done;
	for (i = 0; i < SCRAM_KEY_LEN; i++)
		sig[i] ^= client_key[i];
	b64_encode(sig, SCRAM_KEY_LEN, proof_b64);
	if (!hmac_parts(server_key, SCRAM_KEY_LEN, parts, ARRAY_SIZE(parts),
			c->server_signature))
		goto done;

	n = snprintf(out, outlen, "%s,p=%s", without_proof, proof_b64);
	if (n < 0 || (size_t)n >= outlen) {
		*err = "SCRAM output buffer too small";
		goto done;
	}
	c->state = SCRAM_CLI_SENT_FINAL;
	result = n;
done:
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(client_key, sizeof(client_key));
	OPENSSL_cleanse(server_key, sizeof(server_key));
	OPENSSL_cleanse(stored_key, sizeof(stored_key));
	OPENSSL_cleanse(sig, sizeof(sig));
	return result;
}
