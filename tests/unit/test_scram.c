/*
 * Unit tests for scram.c (SCRAM-SHA-256, both sides) and auth.c (auth_file
 * parsing, MD5 hashing).  Expected values come from RFC 7677 and from a
 * real PostgreSQL 15 (pg_authid secrets, md5() results); nothing here talks
 * to a server.  Peer messages are passed in exactly-sized heap buffers
 * without a NUL so that AddressSanitizer catches any over-read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "auth.h"
#include "scram.h"

/* ---- helpers ---- */

/* Heap copy of S without the terminating NUL (at least 1 byte allocated). */
static char *exact(const char *s, size_t *len)
{
	size_t n = strlen(s);
	char *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, s, n);
	*len = n;
	return p;
}

static int srv_first(struct scram_server *s, const char *msg, char *out, size_t outlen,
		     const char **err)
{
	size_t n;
	char *m = exact(msg, &n);
	int r = scram_server_first(s, m, n, out, outlen, err);

	free(m);
	return r;
}

static int srv_first_nonce(struct scram_server *s, const char *msg, const char *snonce,
			   char *out, size_t outlen, const char **err)
{
	size_t n;
	char *m = exact(msg, &n);
	int r = scram_server_first_with_nonce(s, m, n, snonce, out, outlen, err);

	free(m);
	return r;
}

static int srv_final(struct scram_server *s, const char *msg, char *out, size_t outlen,
		     const char **err)
{
	size_t n;
	char *m = exact(msg, &n);
	int r = scram_server_final(s, m, n, out, outlen, err);

	free(m);
	return r;
}

static int cli_final(struct scram_client *c, const char *pw, const char *msg,
		     char *out, size_t outlen, const char **err)
{
	size_t n;
	char *m = exact(msg, &n);
	int r = scram_client_final(c, pw, m, n, out, outlen, err);

	free(m);
	return r;
}

static bool cli_verify(struct scram_client *c, const char *msg, const char **err)
{
	size_t n;
	char *m = exact(msg, &n);
	bool r = scram_client_verify(c, m, n, err);

	free(m);
	return r;
}

/*
 * Full exchange: our client with PASSWORD against our server holding SECRET.
 * Returns the server_final result; client verification is asserted on success.
 */
static int full_exchange(const struct scram_secret *secret, const char *password,
			 struct scram_server *s)
{
	struct scram_client c;
	char m1[512], m2[512], m3[512], m4[512];
	const char *err = NULL;
	int n;

	scram_server_init(s, secret);
	n = scram_client_first(&c, m1, sizeof(m1), &err);
	assert_true(n > 0);
	assert_int_equal(strncmp(m1, "n,,n=,r=", 8), 0);
	assert_int_equal(strlen(m1), 8 + SCRAM_NONCE_B64_LEN);
	n = srv_first(s, m1, m2, sizeof(m2), &err);
	assert_true(n > 0);
	n = cli_final(&c, password, m2, m3, sizeof(m3), &err);
	assert_true(n > 0);
	n = srv_final(s, m3, m4, sizeof(m4), &err);
	if (n < 0) {
		assert_non_null(err);
		return n;
	}
	assert_true(cli_verify(&c, m4, &err));
	return n;
}

/* ---- RFC 7677 test vector ---- */

#define RFC_CNONCE "rOprNGfwEbeRWgbNEkqO"
#define RFC_SNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define RFC_SALT_B64 "W22ZaJ0SNY7soEsUEjb6gQ=="
#define RFC_CLIENT_FIRST "n,,n=user,r=" RFC_CNONCE
#define RFC_SERVER_FIRST "r=" RFC_CNONCE RFC_SNONCE ",s=" RFC_SALT_B64 ",i=4096"
/*
 * RFC 7677 section 3's proof.  (A copy of this vector circulating with
 * "p=dHzbZapWIko4y2QEh4vTXo9YKMqAL1K1XHT6XV14BtM=" is corrupted: the RFC,
 * Python's hashlib and PostgreSQL-compatible clients all give this one.)
 */
#define RFC_PROOF "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define RFC_CLIENT_FINAL "c=biws,r=" RFC_CNONCE RFC_SNONCE ",p=" RFC_PROOF
#define RFC_SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static const uint8_t rfc_salt[16] = {
	0x5b, 0x6d, 0x99, 0x68, 0x9d, 0x12, 0x35, 0x8e,
	0xec, 0xa0, 0x4b, 0x14, 0x12, 0x36, 0xfa, 0x81,
};

static void rfc_secret(struct scram_secret *sec)
{
	assert_true(scram_secret_from_password_salt("pencil", rfc_salt, sizeof(rfc_salt),
						    4096, sec));
}

/* Our client reproduces the RFC's messages byte for byte. */
static void test_rfc7677_client(void **state)
{
	struct scram_client c;
	char out[512];
	const char *err = NULL;
	int n;

	n = scram_client_first_with_nonce(&c, "user", RFC_CNONCE, out, sizeof(out), &err);
	assert_int_equal(n, strlen(RFC_CLIENT_FIRST));
	assert_string_equal(out, RFC_CLIENT_FIRST);
	n = cli_final(&c, "pencil", RFC_SERVER_FIRST, out, sizeof(out), &err);
	assert_int_equal(n, strlen(RFC_CLIENT_FINAL));
	assert_string_equal(out, RFC_CLIENT_FINAL);
	assert_true(cli_verify(&c, RFC_SERVER_FINAL, &err));
}

/* Our server produces the RFC's server messages from the RFC's client messages. */
static void test_rfc7677_server(void **state)
{
	struct scram_secret sec;
	struct scram_server s;
	char out[512];
	const char *err = NULL;
	int n;

	rfc_secret(&sec);
	scram_server_init(&s, &sec);
	n = srv_first_nonce(&s, RFC_CLIENT_FIRST, RFC_SNONCE, out, sizeof(out), &err);
	assert_int_equal(n, strlen(RFC_SERVER_FIRST));
	assert_string_equal(out, RFC_SERVER_FIRST);
	n = srv_final(&s, RFC_CLIENT_FINAL, out, sizeof(out), &err);
	assert_int_equal(n, strlen(RFC_SERVER_FINAL));
	assert_string_equal(out, RFC_SERVER_FINAL);
}

/* The recovered ClientKey is HMAC(SaltedPassword, "Client Key") of RFC 7677. */
static void test_rfc7677_client_key_passthrough(void **state)
{
	struct scram_secret sec;
	struct scram_server s, s2;
	struct scram_client c;
	char m1[512], m2[512], m3[512], m4[512];
	const char *err = NULL;
	int n;

	rfc_secret(&sec);
	scram_server_init(&s, &sec);
	assert_true(srv_first_nonce(&s, RFC_CLIENT_FIRST, RFC_SNONCE, m1, sizeof(m1), &err) > 0);
	assert_true(srv_final(&s, RFC_CLIENT_FINAL, m1, sizeof(m1), &err) > 0);

	/* Log in to a second server with only the recovered key. */
	scram_server_init(&s2, &sec);
	assert_true(scram_client_first(&c, m1, sizeof(m1), &err) > 0);
	assert_true(srv_first(&s2, m1, m2, sizeof(m2), &err) > 0);
	n = scram_client_final_from_keys(&c, s.client_key, sec.server_key, m2, strlen(m2),
					 m3, sizeof(m3), &err);
	assert_true(n > 0);
	assert_true(srv_final(&s2, m3, m4, sizeof(m4), &err) > 0);
	assert_true(cli_verify(&c, m4, &err));
}

/* ---- secrets from real PostgreSQL 15 (pg_authid.rolpassword) ---- */

struct pg_secret_case {
	const char *password;
	const char *secret;
};

static const struct pg_secret_case pg_secrets[] = {
	/* CREATE ROLE scramuser PASSWORD 'pencil' */
	{ "pencil",
	  "SCRAM-SHA-256$4096:p7gNLf06Lcj1/SrbkFZpWA==$"
	  "Ou7VUVxww3jp714mJNaq7bdAOvg34r7VclJVvltElp4=:"
	  "mbLUr7vucjtVo3qjKQYoosYjvCTL60/+R6J0OUMbHiY=" },
	/* CREATE ROLE scram2 PASSWORD 'c0rrect horse,=battery' */
	{ "c0rrect horse,=battery",
	  "SCRAM-SHA-256$4096:ylUaTNIMwu8+d+PJu+ZYTg==$"
	  "6/HoOHSiyxNiMxi29PxMJAr6oRPYSbdnwuMuX/Usz0c=:"
	  "hEAdwu6toLRslotMfFO1deyynhs6/CFWgS7JyLpiuOc=" },
};

/* Full server-side exchange against PostgreSQL's own secret, driven by our client. */
static void test_pg_secret_exchange(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(pg_secrets) / sizeof(pg_secrets[0]); i++) {
		struct scram_secret sec;
		struct scram_server s;

		assert_true(scram_parse_secret(pg_secrets[i].secret, &sec));
		assert_int_equal(sec.iterations, 4096);
		assert_int_equal(sec.salt_len, 16);
		assert_true(full_exchange(&sec, pg_secrets[i].password, &s) > 0);
		assert_true(full_exchange(&sec, "wrong", &s) < 0);
	}
}

/* Deriving with PostgreSQL's salt gives PostgreSQL's secret string back. */
static void test_pg_secret_roundtrip(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(pg_secrets) / sizeof(pg_secrets[0]); i++) {
		struct scram_secret parsed, derived;
		char buf[256];

		assert_true(scram_parse_secret(pg_secrets[i].secret, &parsed));
		assert_true(scram_secret_from_password_salt(pg_secrets[i].password, parsed.salt,
							    parsed.salt_len, parsed.iterations,
							    &derived));
		assert_memory_equal(derived.stored_key, parsed.stored_key, SCRAM_KEY_LEN);
		assert_memory_equal(derived.server_key, parsed.server_key, SCRAM_KEY_LEN);
		assert_int_equal(scram_secret_format(&derived, buf, sizeof(buf)),
				 strlen(pg_secrets[i].secret));
		assert_string_equal(buf, pg_secrets[i].secret);
		assert_int_equal(scram_secret_format(&derived, buf, 20), -1);
	}
}

/* A secret built from a plain auth_file password works, with a random salt. */
static void test_secret_from_password(void **state)
{
	struct scram_secret a, b;
	struct scram_server s;

	assert_true(scram_secret_from_password("hunter2", &a));
	assert_true(scram_secret_from_password("hunter2", &b));
	assert_int_equal(a.iterations, SCRAM_DEFAULT_ITERATIONS);
	assert_int_equal(a.salt_len, 16);
	assert_memory_not_equal(a.salt, b.salt, a.salt_len);
	assert_true(full_exchange(&a, "hunter2", &s) > 0);
	assert_true(full_exchange(&a, "hunter3", &s) < 0);
	assert_true(full_exchange(&a, "", &s) < 0);
}

static void test_parse_secret_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"md5abc",
		"SCRAM-SHA-256$",
		"SCRAM-SHA-256$4096",
		"SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$"
		"Ou7VUVxww3jp714mJNaq7bdAOvg34r7VclJVvltElp4=:mbLUr7vucjtVo3qjKQYoosYjvCTL60/+R6J0OUMbHiY=",
		"SCRAM-SHA-256$-1:W22ZaJ0SNY7soEsUEjb6gQ==$"
		"Ou7VUVxww3jp714mJNaq7bdAOvg34r7VclJVvltElp4=:mbLUr7vucjtVo3qjKQYoosYjvCTL60/+R6J0OUMbHiY=",
		"SCRAM-SHA-256$99999999999:W22ZaJ0SNY7soEsUEjb6gQ==$"
		"Ou7VUVxww3jp714mJNaq7bdAOvg34r7VclJVvltElp4=:mbLUr7vucjtVo3qjKQYoosYjvCTL60/+R6J0OUMbHiY=",
		"SCRAM-SHA-256$4096:$"
		"Ou7VUVxww3jp714mJNaq7bdAOvg34r7VclJVvltElp4=:mbLUr7vucjtVo3qjKQYoosYjvCTL60/+R6J0OUMbHiY=",
		"SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ=$"
		"Ou7VUVxww3jp714mJNaq7bdAOvg34r7VclJVvltElp4=:mbLUr7vucjtVo3qjKQYoosYjvCTL60/+R6J0OUMbHiY=",
		"SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
		"Ou7VUVxww3jp714mJNaq7bdAOvg34r7VclJVvltElp4=",
		"SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
		"Ou7VUVxww3jp714mJNaq7bdAOvg34r7VclJVvltE=:mbLUr7vucjtVo3qjKQYoosYjvCTL60/+R6J0OUMbHiY=",
		"SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
		"Ou7VUVxww3jp714mJNaq7bdAOvg34r7VclJVvltElp4=:mbLUr7vucjtVo3qjKQYoosYjvCTL60/+R6J0OUMbHiY= ",
		"SCRAM-SHA-1$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
		"Ou7VUVxww3jp714mJNaq7bdAOvg34r7VclJVvltElp4=:mbLUr7vucjtVo3qjKQYoosYjvCTL60/+R6J0OUMbHiY=",
	};
	struct scram_secret sec;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (scram_parse_secret(bad[i], &sec))
			fail_msg("accepted malformed secret #%zu: %s", i, bad[i]);
	}
	assert_false(scram_parse_secret(NULL, &sec));
}

/* ---- server side: rejections ---- */

/* Start a server with the RFC secret and the RFC client-first. */
static void rfc_server_started(struct scram_server *s)
{
	struct scram_secret sec;
	char out[512];
	const char *err = NULL;

	rfc_secret(&sec);
	scram_server_init(s, &sec);
	assert_true(srv_first_nonce(s, RFC_CLIENT_FIRST, RFC_SNONCE, out, sizeof(out), &err) > 0);
}

static void test_server_rejects_tampered_proof(void **state)
{
	struct scram_server s;
	char msg[] = RFC_CLIENT_FINAL;
	char out[512];
	const char *err = NULL;
	char *p = strstr(msg, ",p=") + 3;

	p[0] = p[0] == 'd' ? 'e' : 'd';
	rfc_server_started(&s);
	assert_int_equal(srv_final(&s, msg, out, sizeof(out), &err), -1);
	assert_string_equal(err, "password authentication failed");

	/* The failed exchange stays failed even if the right proof follows. */
	assert_int_equal(srv_final(&s, RFC_CLIENT_FINAL, out, sizeof(out), &err), -1);
}

static void test_server_rejects_wrong_password(void **state)
{
	struct scram_secret sec;
	struct scram_server s;

	rfc_secret(&sec);
	assert_int_equal(full_exchange(&sec, "pencil!", &s), -1);
	assert_int_equal(full_exchange(&sec, "Pencil", &s), -1);
	assert_true(full_exchange(&sec, "pencil", &s) > 0);
}

static void test_server_refuses_channel_binding(void **state)
{
	struct scram_secret sec;
	struct scram_server s;
	char out[512];
	const char *err = NULL;

	rfc_secret(&sec);
	scram_server_init(&s, &sec);
	assert_int_equal(srv_first(&s, "p=tls-server-end-point,,n=,r=abc", out, sizeof(out),
				   &err), -1);
	assert_non_null(strstr(err, "channel binding"));
}

/* "y,," is accepted (we offer no binding) and then needs c=eSws, not c=biws. */
static void test_server_gs2_y_and_cbind_check(void **state)
{
	struct scram_secret sec;
	struct scram_server s;
	char out[512];
	const char *err = NULL;

	rfc_secret(&sec);
	scram_server_init(&s, &sec);
	assert_true(srv_first_nonce(&s, "y,,n=,r=abc", "xyz", out, sizeof(out), &err) > 0);
	assert_int_equal(srv_final(&s, "c=biws,r=abcxyz,p=" RFC_PROOF,
				   out, sizeof(out), &err), -1);
	assert_string_equal(err, "SCRAM channel binding check failed");

	scram_server_init(&s, &sec);
	assert_true(srv_first_nonce(&s, "y,,n=,r=abc", "xyz", out, sizeof(out), &err) > 0);
	assert_int_equal(srv_final(&s, "c=eSws,r=abcxyz,p=" RFC_PROOF,
				   out, sizeof(out), &err), -1);
	assert_string_equal(err, "password authentication failed");
}

/*
 * Channel binding, our client against our server: CLIENT_MODE and
 * CLIENT_DATA are what the client binds to; the server offered PLUS
 * (OFFERED), the client named it (CHOSEN), and the server expects
 * SERVER_DATA.  Returns the server's first or final result, whichever
 * failed, else the final one; *ERR says why.
 */
static int cbind_exchange(enum scram_cbind client_mode, const uint8_t *client_data,
			  bool offered, bool chosen, const uint8_t *server_data, size_t len,
			  const char **err)
{
	struct scram_secret sec;
	struct scram_server s;
	struct scram_client c;
	char m1[512], m2[512], m3[512], m4[512];
	int n;

	assert_true(scram_secret_from_password_salt("pencil", rfc_salt, sizeof(rfc_salt),
						    4096, &sec));
	scram_server_init(&s, &sec);
	scram_server_set_channel_binding(&s, offered, chosen, server_data, len);
	n = scram_client_first_cbind(&c, client_mode, client_data, len, m1, sizeof(m1), err);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(m1));
	n = srv_first(&s, m1, m2, sizeof(m2), err);
	if (n < 0)
		return n;
	n = cli_final(&c, "pencil", m2, m3, sizeof(m3), err);
	assert_true(n > 0);
	n = srv_final(&s, m3, m4, sizeof(m4), err);
	if (n > 0)
		assert_true(cli_verify(&c, m4, err));
	return n;
}

static void test_channel_binding(void **state)
{
	uint8_t cert_hash[32], other_hash[32];
	const char *err = NULL;

	memset(cert_hash, 0xA5, sizeof(cert_hash));
	memset(other_hash, 0xA5, sizeof(other_hash));
	other_hash[31] ^= 1;

	/* SCRAM-SHA-256-PLUS, both sides agree on the certificate's hash */
	assert_true(cbind_exchange(SCRAM_CBIND_BIND, cert_hash, true, true, cert_hash, 32, &err) > 0);
	/* a relay: the client bound to another certificate than ours */
	assert_int_equal(cbind_exchange(SCRAM_CBIND_BIND, other_hash, true, true, cert_hash, 32,
					&err), -1);
	assert_string_equal(err, "SCRAM channel binding check failed");
	/* PLUS offered, client without binding support ("n"): fine, as PostgreSQL */
	assert_true(cbind_exchange(SCRAM_CBIND_NONE, NULL, true, false, cert_hash, 32, &err) > 0);
	/* PLUS offered, client says "y" (it thinks we cannot bind): a downgrade */
	assert_int_equal(cbind_exchange(SCRAM_CBIND_UNUSED, NULL, true, false, cert_hash, 32,
					&err), -1);
	assert_non_null(strstr(err, "channel binding negotiation error"));
	/* not offered (no TLS), client says "y": fine */
	assert_true(cbind_exchange(SCRAM_CBIND_UNUSED, NULL, false, false, NULL, 0, &err) > 0);
	/* "p=" with plain SCRAM-SHA-256 chosen */
	assert_int_equal(cbind_exchange(SCRAM_CBIND_BIND, cert_hash, true, false, cert_hash, 32,
					&err), -1);
	assert_non_null(strstr(err, "includes channel binding data"));
	/* PLUS chosen, then "n" or "y" */
	assert_int_equal(cbind_exchange(SCRAM_CBIND_NONE, NULL, true, true, cert_hash, 32, &err), -1);
	assert_non_null(strstr(err, "does not include channel binding data"));
	assert_int_equal(cbind_exchange(SCRAM_CBIND_UNUSED, NULL, true, true, cert_hash, 32, &err), -1);
	assert_non_null(strstr(err, "does not include channel binding data"));
}

/* The wire form of a binding client, and the server's view of other binding types. */
static void test_channel_binding_messages(void **state)
{
	struct scram_secret sec;
	struct scram_server s;
	struct scram_client c;
	uint8_t data[3] = { 'a', 'b', 'c' };
	char out[512];
	const char *err = NULL;
	int n;

	n = scram_client_first_cbind(&c, SCRAM_CBIND_BIND, data, sizeof(data), out, sizeof(out), &err);
	assert_true(n > 0);
	assert_int_equal(strncmp(out, "p=tls-server-end-point,,n=,r=", 29), 0);
	n = scram_client_first_cbind(&c, SCRAM_CBIND_UNUSED, NULL, 0, out, sizeof(out), &err);
	assert_true(n > 0);
	assert_int_equal(strncmp(out, "y,,n=,r=", 8), 0);
	assert_int_equal(scram_client_first_cbind(&c, SCRAM_CBIND_BIND, NULL, 0, out, sizeof(out),
						  &err), -1);

	rfc_secret(&sec);
	scram_server_init(&s, &sec);
	scram_server_set_channel_binding(&s, true, true, data, sizeof(data));
	assert_int_equal(srv_first(&s, "p=tls-unique,,n=,r=abc", out, sizeof(out), &err), -1);
	assert_string_equal(err, "unsupported SCRAM channel-binding type");
	scram_server_init(&s, &sec);
	scram_server_set_channel_binding(&s, true, true, data, sizeof(data));
	assert_int_equal(srv_first(&s, "p=,,n=,r=abc", out, sizeof(out), &err), -1);

	/* c= must be base64("p=tls-server-end-point,," || "abc"); the header alone fails */
	scram_server_init(&s, &sec);
	scram_server_set_channel_binding(&s, true, true, data, sizeof(data));
	assert_true(srv_first_nonce(&s, "p=tls-server-end-point,,n=,r=abc", "xyz", out,
				    sizeof(out), &err) > 0);
	/* base64("p=tls-server-end-point,,") */
	assert_int_equal(srv_final(&s, "c=cD10bHMtc2VydmVyLWVuZC1wb2ludCws,r=abcxyz,p=" RFC_PROOF,
				   out, sizeof(out), &err), -1);
	assert_string_equal(err, "SCRAM channel binding check failed");
	scram_server_init(&s, &sec);
	scram_server_set_channel_binding(&s, true, true, data, sizeof(data));
	assert_true(srv_first_nonce(&s, "p=tls-server-end-point,,n=,r=abc", "xyz", out,
				    sizeof(out), &err) > 0);
	/* base64("p=tls-server-end-point,,abc"): the binding passes, the (RFC) proof does not */
	assert_int_equal(srv_final(&s, "c=cD10bHMtc2VydmVyLWVuZC1wb2ludCwsYWJj,r=abcxyz,p=" RFC_PROOF,
				   out, sizeof(out), &err), -1);
	assert_string_equal(err, "password authentication failed");
}

/* Malformed client-first messages: table of input and expected error. */
static void test_server_first_malformed(void **state)
{
	static const struct {
		const char *msg;
		const char *err;
	} cases[] = {
		{ "", "malformed SCRAM message" },
		{ "n", "malformed SCRAM message" },
		{ "n,", "malformed SCRAM message" },
		{ "n,,", "malformed SCRAM message" },
		{ "x,,n=,r=abc", "malformed SCRAM message" },
		{ "nn,,n=,r=abc", "malformed SCRAM message" },
		{ "n,a=bob,n=,r=abc", "SCRAM authorization identity is not supported" },
		{ "n,x,n=,r=abc", "malformed SCRAM message" },
		{ "n,,m=ext,n=,r=abc", "unsupported SCRAM extension" },
		{ "n,,r=abc", "malformed SCRAM message" },
		{ "n,,n=", "malformed SCRAM message" },
		{ "n,,n=,", "malformed SCRAM message" },
		{ "n,,n=,r=", "malformed SCRAM message" },
		{ "n,,n=,r=ab c", "malformed SCRAM message" },
		{ "n,,n=,r=ab\x7f", "malformed SCRAM message" },
		{ "n,,n=,r=abc,", "malformed SCRAM message" },
		{ "n,,n=,r=abc,1=x", "malformed SCRAM message" },
		{ "n,,n=,x=abc", "malformed SCRAM message" },
		{ "n,,n=user", "malformed SCRAM message" },
		/* "p=" under plain SCRAM-SHA-256 (test_channel_binding* cover PLUS) */
		{ "p=tls-unique,,n=,r=abc", "the client selected SCRAM-SHA-256 without channel "
					    "binding, but the SCRAM message includes channel binding data" },
		{ "p,,n=,r=abc", "the client selected SCRAM-SHA-256 without channel binding, but the "
				 "SCRAM message includes channel binding data" },
	};
	struct scram_secret sec;
	struct scram_server s;
	char out[512];
	const char *err;
	size_t i;

	rfc_secret(&sec);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err = NULL;
		scram_server_init(&s, &sec);
		if (srv_first(&s, cases[i].msg, out, sizeof(out), &err) != -1)
			fail_msg("accepted client-first #%zu \"%s\"", i, cases[i].msg);
		assert_non_null(err);
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("client-first #%zu \"%s\": got \"%s\", want \"%s\"", i,
				 cases[i].msg, err, cases[i].err);
	}
}

/* Valid variants: extensions after the nonce, any n= value, y flag. */
static void test_server_first_accepts(void **state)
{
	static const char *const ok[] = {
		"n,,n=,r=abc",
		"n,,n=someone,r=abc",
		"y,,n=,r=abc",
		"n,,n=,r=abc,x=ext,y=",
		"n,,n=,r=!\"#$%&'()*+-./:;<=>?@[\\]^_`{|}~",
	};
	struct scram_secret sec;
	struct scram_server s;
	char out[512];
	const char *err = NULL;
	size_t i;

	rfc_secret(&sec);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		scram_server_init(&s, &sec);
		if (srv_first(&s, ok[i], out, sizeof(out), &err) <= 0)
			fail_msg("rejected client-first \"%s\": %s", ok[i], err);
		assert_int_equal(strncmp(out, "r=", 2), 0);
		assert_non_null(strstr(out, ",s=" RFC_SALT_B64 ",i=4096"));
	}
}

/* Embedded NUL, over-long nonce, too-small output, out-of-order calls. */
static void test_server_first_limits(void **state)
{
	struct scram_secret sec;
	struct scram_server s;
	char out[512], big[600];
	const char *err = NULL;
	static const char nul_msg[] = "n,,n=,r=ab\0c";

	rfc_secret(&sec);
	scram_server_init(&s, &sec);
	assert_int_equal(scram_server_first(&s, nul_msg, sizeof(nul_msg) - 1, out, sizeof(out),
					    &err), -1);

	memset(big, 'a', sizeof(big));
	memcpy(big, "n,,n=,r=", 8);
	big[8 + 104] = '\0';	/* 104-char nonce: with ours it no longer fits */
	scram_server_init(&s, &sec);
	assert_int_equal(srv_first(&s, big, out, sizeof(out), &err), -1);
	assert_string_equal(err, "SCRAM client nonce too long");
	big[8 + 100] = '\0';
	scram_server_init(&s, &sec);
	assert_true(srv_first(&s, big, out, sizeof(out), &err) > 0);
	memset(big + 8, 'a', sizeof(big) - 8);
	big[sizeof(big) - 1] = '\0';	/* bare message longer than we keep */
	scram_server_init(&s, &sec);
	assert_int_equal(srv_first(&s, big, out, sizeof(out), &err), -1);

	scram_server_init(&s, &sec);
	assert_int_equal(srv_first(&s, "n,,n=,r=abc", out, 10, &err), -1);
	assert_string_equal(err, "SCRAM output buffer too small");

	scram_server_init(&s, &sec);
	assert_int_equal(srv_final(&s, RFC_CLIENT_FINAL, out, sizeof(out), &err), -1);
	assert_string_equal(err, "SCRAM exchange out of order");

	scram_server_init(&s, &sec);
	assert_true(srv_first(&s, "n,,n=,r=abc", out, sizeof(out), &err) > 0);
	assert_int_equal(srv_first(&s, "n,,n=,r=abc", out, sizeof(out), &err), -1);
	assert_string_equal(err, "SCRAM exchange out of order");
}

/* Malformed or mismatching client-final messages against the RFC exchange. */
static void test_server_final_malformed(void **state)
{
#define NONCE RFC_CNONCE RFC_SNONCE
#define PROOF RFC_PROOF
	static const struct {
		const char *msg;
		const char *err;
	} cases[] = {
		{ "", "malformed SCRAM message" },
		{ "c=biws", "malformed SCRAM message" },
		{ "c=biws,r=" NONCE, "malformed SCRAM message" },
		{ "c=biws,r=" NONCE ",", "malformed SCRAM message" },
		{ "c=biws,r=" NONCE ",p=", "malformed SCRAM message" },
		{ "c=biws,r=" NONCE ",p=" PROOF ",", "malformed SCRAM message" },
		{ "c=biws,r=" NONCE ",p=" PROOF ",x=1", "malformed SCRAM message" },
		{ "c=biws,r=" NONCE ",p=dHzbZapWIko4y2QEh4vTXo9YKMqAL1K1XHT6XV14Bt==",
		  "malformed SCRAM message" },
		{ "c=biws,r=" NONCE ",p=dHzbZapWIko4y2QEh4vTXo9YKMqAL1K1XHT6XV14BtM=AAAA",
		  "malformed SCRAM message" },
		{ "c=biws,r=" NONCE ",p=dHzbZapWIko4y2QEh4vTXo9YKMqAL1K1XHT6XV14BtM",
		  "malformed SCRAM message" },
		{ "c=biws,r=" NONCE ",p=dHzbZapWIko4y2QEh4vTXo9YKMqAL1K1XHT6XV14B*M=",
		  "malformed SCRAM message" },
		{ "r=" NONCE ",c=biws,p=" PROOF, "malformed SCRAM message" },
		{ "c=biws,p=" PROOF, "malformed SCRAM message" },
		{ "c=biws,r=" NONCE ",1=x,p=" PROOF, "malformed SCRAM message" },
		{ "c=bi=s,r=" NONCE ",p=" PROOF, "malformed SCRAM message" },
		{ "c=eSws,r=" NONCE ",p=" PROOF, "SCRAM channel binding check failed" },
		{ "c=,r=" NONCE ",p=" PROOF, "SCRAM channel binding check failed" },
		{ "c=biwsAAAA,r=" NONCE ",p=" PROOF, "SCRAM channel binding check failed" },
		{ "c=biws,r=" RFC_CNONCE ",p=" PROOF, "SCRAM nonce mismatch" },
		{ "c=biws,r=" NONCE "x,p=" PROOF, "SCRAM nonce mismatch" },
		{ "c=biws,r=,p=" PROOF, "SCRAM nonce mismatch" },
		/* Extensions are allowed but enter the AuthMessage, so the proof fails. */
		{ "c=biws,r=" NONCE ",x=ext,p=" PROOF, "password authentication failed" },
		{ "c=biws,r=" NONCE ",p=" "AHzbZapWIko4y2QEh4vTXo9YKMqAL1K1XHT6XV14BtM=",
		  "password authentication failed" },
		{ "c=biws,r=" NONCE ",p=" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		  "password authentication failed" },
	};
#undef NONCE
#undef PROOF
	struct scram_server s;
	char out[512];
	const char *err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rfc_server_started(&s);
		err = NULL;
		if (srv_final(&s, cases[i].msg, out, sizeof(out), &err) != -1)
			fail_msg("accepted client-final #%zu \"%s\"", i, cases[i].msg);
		assert_non_null(err);
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("client-final #%zu \"%s\": got \"%s\", want \"%s\"", i,
				 cases[i].msg, err, cases[i].err);
		assert_memory_equal(s.client_key, (uint8_t[SCRAM_KEY_LEN]){ 0 }, SCRAM_KEY_LEN);
	}

	/* Embedded NUL inside an otherwise valid message. */
	{
		char m[] = RFC_CLIENT_FINAL;
		m[3] = '\0';
		rfc_server_started(&s);
		assert_int_equal(scram_server_final(&s, m, sizeof(m) - 1, out, sizeof(out), &err), -1);
	}
	/* Output buffer too small for the server-final. */
	rfc_server_started(&s);
	assert_int_equal(srv_final(&s, RFC_CLIENT_FINAL, out, 20, &err), -1);
	assert_string_equal(err, "SCRAM output buffer too small");
}

/* ---- client side: rejections ---- */

static void rfc_client_started(struct scram_client *c)
{
	char out[512];
	const char *err = NULL;

	assert_true(scram_client_first_with_nonce(c, "user", RFC_CNONCE, out, sizeof(out),
						  &err) > 0);
}

static void test_client_first_format(void **state)
{
	struct scram_client c;
	char out[512];
	const char *err = NULL;

	assert_int_equal(scram_client_first_with_nonce(&c, "a=b,c", "xyz", out, sizeof(out), &err),
			 strlen("n,,n=a=3Db=2Cc,r=xyz"));
	assert_string_equal(out, "n,,n=a=3Db=2Cc,r=xyz");
	assert_string_equal(c.client_first_bare, "n=a=3Db=2Cc,r=xyz");
	assert_int_equal(scram_client_first_with_nonce(&c, NULL, "x,y", out, sizeof(out), &err), -1);
	assert_int_equal(scram_client_first_with_nonce(&c, NULL, "", out, sizeof(out), &err), -1);
	assert_int_equal(scram_client_first_with_nonce(&c, NULL, "xyz", out, 5, &err), -1);
	assert_string_equal(err, "SCRAM output buffer too small");
	/* Random nonces differ. */
	{
		char out2[512];

		assert_true(scram_client_first(&c, out, sizeof(out), &err) > 0);
		assert_true(scram_client_first(&c, out2, sizeof(out2), &err) > 0);
		assert_string_not_equal(out, out2);
		assert_string_equal(c.client_first_bare, out2 + 3);
	}
}

static void test_client_final_malformed(void **state)
{
#define SALT ",s=" RFC_SALT_B64
#define NONCE "r=" RFC_CNONCE RFC_SNONCE
	static const struct {
		const char *msg;
		const char *err;
	} cases[] = {
		{ "", "malformed SCRAM message" },
		{ NONCE, "malformed SCRAM message" },
		{ NONCE SALT, "malformed SCRAM message" },
		{ NONCE SALT ",i=", "invalid SCRAM iteration count" },
		{ NONCE SALT ",i=0", "invalid SCRAM iteration count" },
		{ NONCE SALT ",i=-1", "invalid SCRAM iteration count" },
		{ NONCE SALT ",i=+4096", "invalid SCRAM iteration count" },
		{ NONCE SALT ",i=04096", "invalid SCRAM iteration count" },
		{ NONCE SALT ",i=4096x", "invalid SCRAM iteration count" },
		{ NONCE SALT ",i=10000001", "invalid SCRAM iteration count" },
		{ NONCE SALT ",i=99999999999999999999", "invalid SCRAM iteration count" },
		{ NONCE ",s=,i=4096", "invalid SCRAM salt" },
		{ NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ=,i=4096", "invalid SCRAM salt" },
		{ NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==AAAA,i=4096", "invalid SCRAM salt" },
		{ NONCE ",s=" "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
		  "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB,i=4096", "invalid SCRAM salt" },
		{ "r=" RFC_CNONCE SALT ",i=4096", "SCRAM nonce mismatch" },
		{ "r=XXXX" RFC_SNONCE SALT ",i=4096", "SCRAM nonce mismatch" },
		{ "r=rOprNGfwEbeRWgbNEkq" SALT ",i=4096", "SCRAM nonce mismatch" },
		{ NONCE " x" SALT ",i=4096", "SCRAM nonce mismatch" },
		{ "m=ext," NONCE SALT ",i=4096", "unsupported SCRAM extension" },
		{ "s=" RFC_SALT_B64 "," NONCE ",i=4096", "malformed SCRAM message" },
		{ NONCE SALT ",i=4096,", "malformed SCRAM message" },
		{ "e=other-error", "malformed SCRAM message" },
	};
#undef SALT
#undef NONCE
	struct scram_client c;
	char out[512];
	const char *err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rfc_client_started(&c);
		err = NULL;
		if (cli_final(&c, "pencil", cases[i].msg, out, sizeof(out), &err) != -1)
			fail_msg("accepted server-first #%zu \"%s\"", i, cases[i].msg);
		assert_non_null(err);
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("server-first #%zu \"%s\": got \"%s\", want \"%s\"", i,
				 cases[i].msg, err, cases[i].err);
	}
	/* An extension after i= is allowed by RFC 5802 and changes nothing but the AuthMessage. */
	rfc_client_started(&c);
	assert_true(cli_final(&c, "pencil", RFC_SERVER_FIRST ",x=1", out, sizeof(out), &err) > 0);
	/* Out of order: final without first, twice. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(cli_final(&c, "pencil", RFC_SERVER_FIRST, out, sizeof(out), &err), -1);
	assert_string_equal(err, "SCRAM exchange out of order");
	rfc_client_started(&c);
	assert_true(cli_final(&c, "pencil", RFC_SERVER_FIRST, out, sizeof(out), &err) > 0);
	assert_int_equal(cli_final(&c, "pencil", RFC_SERVER_FIRST, out, sizeof(out), &err), -1);
	/* Small output buffer. */
	rfc_client_started(&c);
	assert_int_equal(cli_final(&c, "pencil", RFC_SERVER_FIRST, out, 30, &err), -1);
	assert_string_equal(err, "SCRAM output buffer too small");
}

static void test_client_verify(void **state)
{
	static const char *const bad[] = {
		"",
		"v=",
		"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4",
		"v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,",
		"x=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		"e=invalid-proof",
		"e=",
	};
	struct scram_client c;
	char out[512];
	const char *err = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rfc_client_started(&c);
		assert_true(cli_final(&c, "pencil", RFC_SERVER_FIRST, out, sizeof(out), &err) > 0);
		if (cli_verify(&c, bad[i], &err))
			fail_msg("accepted server-final \"%s\"", bad[i]);
		assert_non_null(err);
		/* And a correct one after a failure is still refused. */
		assert_false(cli_verify(&c, RFC_SERVER_FINAL, &err));
	}
	rfc_client_started(&c);
	assert_true(cli_final(&c, "pencil", RFC_SERVER_FIRST, out, sizeof(out), &err) > 0);
	assert_false(cli_verify(&c, "e=invalid-proof", &err));
	assert_string_equal(err, "server rejected SCRAM authentication");

	/* Verify before final. */
	rfc_client_started(&c);
	assert_false(cli_verify(&c, RFC_SERVER_FINAL, &err));
	assert_string_equal(err, "SCRAM exchange out of order");

	/* Right server, wrong password: signature cannot match. */
	rfc_client_started(&c);
	assert_true(cli_final(&c, "pencil2", RFC_SERVER_FIRST, out, sizeof(out), &err) > 0);
	assert_false(cli_verify(&c, RFC_SERVER_FINAL, &err));
	assert_string_equal(err, "SCRAM server signature mismatch");

	/* Extensions after v= are ignored. */
	rfc_client_started(&c);
	assert_true(cli_final(&c, "pencil", RFC_SERVER_FIRST, out, sizeof(out), &err) > 0);
	assert_true(cli_verify(&c, RFC_SERVER_FINAL ",x=1", &err));
}

/* ---- MD5, checked against PostgreSQL 15 ---- */

static const uint8_t salt_01020304[4] = { 1, 2, 3, 4 };
static const uint8_t salt_deadbeef[4] = { 0xde, 0xad, 0xbe, 0xef };

/* SELECT 'md5'||md5('secret'||'alice'), 'md5'||md5('pencil'||'user') */
static void test_md5_hash_matches_postgres(void **state)
{
	char out[36];

	auth_md5_hash("alice", "secret", out);
	assert_string_equal(out, "md54a0a68b43b6cd5cf266fa02f196e2371");
	auth_md5_hash("user", "pencil", out);
	assert_string_equal(out, "md520c46e3762c864548e296b33c3406aa9");
	/* pg_authid for CREATE ROLE md5user PASSWORD 'secret' with md5 encryption */
	auth_md5_hash("md5user", "secret", out);
	assert_string_equal(out, "md52aea419619857e8a27f0f7aa641db0c6");
}

/*
 * SELECT 'md5'||md5(convert_to('4a0a...2371','UTF8') || '\x01020304'::bytea)
 * and the same with '\xdeadbeef'.
 */
static void test_md5_salted_matches_postgres(void **state)
{
	char out[36];

	auth_md5_salted("alice", "secret", salt_01020304, out);
	assert_string_equal(out, "md598a0412b9c31436fc53776e863350083");
	auth_md5_salted("alice", "secret", salt_deadbeef, out);
	assert_string_equal(out, "md53e1d73ba00a55e8805aa0277d29996c5");
	auth_md5_salted_from_hash("md54a0a68b43b6cd5cf266fa02f196e2371", salt_01020304, out);
	assert_string_equal(out, "md598a0412b9c31436fc53776e863350083");
	/* Upper-case hex in the stored hash is normalised. */
	auth_md5_salted_from_hash("md54A0A68B43B6CD5CF266FA02F196E2371", salt_deadbeef, out);
	assert_string_equal(out, "md53e1d73ba00a55e8805aa0277d29996c5");
	/* Not an MD5 hash: empty output. */
	auth_md5_salted_from_hash("md5short", salt_deadbeef, out);
	assert_string_equal(out, "");
}

static void test_md5_check(void **state)
{
	struct auth_entry plain = { .user = "alice", .secret = "secret", .kind = SECRET_PLAIN, .line = 1 };
	struct auth_entry md5 = { .user = "alice", .secret = "md54a0a68b43b6cd5cf266fa02f196e2371",
				  .kind = SECRET_MD5, .line = 2 };
	struct auth_entry scram = { .user = "alice", .secret = (char *)pg_secrets[0].secret,
				    .kind = SECRET_SCRAM, .line = 3 };
	const char *good = "md598a0412b9c31436fc53776e863350083";

	assert_true(auth_md5_check(&plain, "alice", salt_01020304, good));
	assert_true(auth_md5_check(&md5, "alice", salt_01020304, good));
	assert_false(auth_md5_check(&scram, "alice", salt_01020304, good));
	/* Wrong salt, user, password, truncated, extended, tampered. */
	assert_false(auth_md5_check(&plain, "alice", salt_deadbeef, good));
	assert_false(auth_md5_check(&plain, "bob", salt_01020304, good));
	assert_false(auth_md5_check(&plain, "alice", salt_01020304,
				    "md598a0412b9c31436fc53776e86335008"));
	assert_false(auth_md5_check(&plain, "alice", salt_01020304,
				    "md598a0412b9c31436fc53776e8633500833"));
	assert_false(auth_md5_check(&plain, "alice", salt_01020304,
				    "md598a0412b9c31436fc53776e863350084"));
	assert_false(auth_md5_check(&plain, "alice", salt_01020304, ""));
	assert_false(auth_md5_check(&plain, "alice", salt_01020304, NULL));
	assert_false(auth_md5_check(NULL, "alice", salt_01020304, good));
	{
		struct auth_entry wrong = { .user = "alice", .secret = "secret2", .kind = SECRET_PLAIN,
					    .line = 1 };
		assert_false(auth_md5_check(&wrong, "alice", salt_01020304, good));
	}
}

static void test_secret_kind(void **state)
{
	static const struct {
		const char *secret;
		enum secret_kind kind;
	} cases[] = {
		{ "secret", SECRET_PLAIN },
		{ "", SECRET_PLAIN },
		{ "md54a0a68b43b6cd5cf266fa02f196e2371", SECRET_MD5 },
		{ "md54A0A68B43B6CD5CF266FA02F196E2371", SECRET_MD5 },
		{ "md54a0a68b43b6cd5cf266fa02f196e237", SECRET_PLAIN },
		{ "md54a0a68b43b6cd5cf266fa02f196e23711", SECRET_PLAIN },
		{ "md54a0a68b43b6cd5cf266fa02f196e237g", SECRET_PLAIN },
		{ "MD54a0a68b43b6cd5cf266fa02f196e2371", SECRET_PLAIN },
		{ "SCRAM-SHA-256$4096:abc", SECRET_SCRAM },
		{ "scram-sha-256$4096:abc", SECRET_PLAIN },
		{ "SCRAM-SHA-256", SECRET_PLAIN },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (auth_secret_kind(cases[i].secret) != cases[i].kind)
			fail_msg("kind of \"%s\"", cases[i].secret);
	}
	assert_int_equal(auth_secret_kind(NULL), SECRET_PLAIN);
}

/* ---- auth_file ---- */

static const char userlist[] =
	"; PgBouncer-style comment\n"
	"# hash comment\n"
	"\n"
	"   \t\n"
	"\"alice\" \"secret\"\n"
	"\"bob\"\t\"md54a0a68b43b6cd5cf266fa02f196e2371\" trailing text is ignored\n"
	"  \"with \"\"quotes\"\"\" \"pa\"\"ss word\"\r\n"
	"\"scramuser\" \"SCRAM-SHA-256$4096:p7gNLf06Lcj1/SrbkFZpWA==$"
	"Ou7VUVxww3jp714mJNaq7bdAOvg34r7VclJVvltElp4=:"
	"mbLUr7vucjtVo3qjKQYoosYjvCTL60/+R6J0OUMbHiY=\"\n"
	"\"Alice\" \"other;#\"\n"
	"\"last\" \"no newline at end\"";

static void test_auth_file_parse(void **state)
{
	char err[256] = "";
	struct auth_file *af = auth_file_parse("userlist.txt", userlist, err, sizeof(err));
	const struct auth_entry *e;

	if (af == NULL)
		fail_msg("%s", err);
	assert_int_equal(af->n_entries, 6);

	e = auth_file_find(af, "alice");
	assert_non_null(e);
	assert_string_equal(e->secret, "secret");
	assert_int_equal(e->kind, SECRET_PLAIN);
	assert_int_equal(e->line, 5);

	e = auth_file_find(af, "bob");
	assert_non_null(e);
	assert_string_equal(e->secret, "md54a0a68b43b6cd5cf266fa02f196e2371");
	assert_int_equal(e->kind, SECRET_MD5);

	e = auth_file_find(af, "with \"quotes\"");
	assert_non_null(e);
	assert_string_equal(e->secret, "pa\"ss word");
	assert_int_equal(e->line, 7);

	e = auth_file_find(af, "scramuser");
	assert_non_null(e);
	assert_int_equal(e->kind, SECRET_SCRAM);

	e = auth_file_find(af, "Alice");
	assert_non_null(e);
	assert_string_equal(e->secret, "other;#");

	e = auth_file_find(af, "last");
	assert_non_null(e);
	assert_string_equal(e->secret, "no newline at end");

	assert_null(auth_file_find(af, "carol"));
	assert_null(auth_file_find(af, "ALICE"));
	assert_null(auth_file_find(af, ""));
	assert_null(auth_file_find(af, NULL));
	auth_file_free(af);

	/* Empty file and comments-only file are valid and empty. */
	af = auth_file_parse("empty", "", err, sizeof(err));
	assert_non_null(af);
	assert_int_equal(af->n_entries, 0);
	assert_null(auth_file_find(af, "alice"));
	auth_file_free(af);
	af = auth_file_parse("bom", "\xEF\xBB\xBF\"u\" \"p\"\n", err, sizeof(err));
	assert_non_null(af);
	assert_non_null(auth_file_find(af, "u"));
	auth_file_free(af);
	af = auth_file_parse("c", ";x\n#y\n", err, sizeof(err));
	assert_non_null(af);
	assert_int_equal(af->n_entries, 0);
	auth_file_free(af);
	auth_file_free(NULL);
}

/* Errors: table of file text and the exact "NAME:LINE: message". */
static void test_auth_file_errors(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "\"alice\" \"secret\"\n\"bob\n", "u.txt:2: unterminated quoted user name" },
		{ "\"alice\" \"sec\nret\"\n", "u.txt:1: unterminated quoted password for user \"alice\"" },
		{ "\n\n\"alice\"\n", "u.txt:3: missing password field for user \"alice\"" },
		{ "\"alice\" secret\n", "u.txt:1: missing password field for user \"alice\"" },
		{ "alice \"secret\"\n", "u.txt:1: expected '\"' before user name" },
		{ "\"\" \"secret\"\n", "u.txt:1: empty user name" },
		{ "\"alice\" \"\"\n", "u.txt:1: empty password for user \"alice\"" },
		{ "\"a\" \"1\"\n\"b\" \"2\"\n;\n\"a\" \"3\"\n",
		  "u.txt:4: duplicate user \"a\" (first defined on line 1)" },
		{ "\"a\" \"SCRAM-SHA-256$4096:bad\"\n",
		  "u.txt:1: malformed SCRAM secret for user \"a\"" },
		{ "\"alice\" \"secret\"\n\"al\"\"ice\n", "u.txt:2: unterminated quoted user name" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";
		struct auth_file *af = auth_file_parse("u.txt", cases[i].text, err, sizeof(err));

		if (af != NULL)
			fail_msg("accepted auth_file #%zu", i);
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("auth_file #%zu: got \"%s\", want \"%s\"", i, err, cases[i].err);
	}
}

static void test_auth_file_load(void **state)
{
	char path[] = "/tmp/test_scram_userlist.XXXXXX";
	char err[512] = "";
	struct auth_file *af;
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(userlist, f);
	fclose(f);
	af = auth_file_load(path, err, sizeof(err));
	if (af == NULL)
		fail_msg("%s", err);
	assert_int_equal(af->n_entries, 6);
	assert_non_null(auth_file_find(af, "scramuser"));
	auth_file_free(af);

	/* A line error carries the real path. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("\"a\" \"b\"\n\"c\"\n", f);
	fclose(f);
	assert_null(auth_file_load(path, err, sizeof(err)));
	{
		char want[512];
		snprintf(want, sizeof(want), "%s:2: missing password field for user \"c\"", path);
		assert_string_equal(err, want);
	}

	/* NUL byte. */
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite("\"a\" \"b\"\n\"c\0\" \"d\"\n", 1, 17, f);
	fclose(f);
	assert_null(auth_file_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, ":2: NUL byte in file"));

	unlink(path);
	assert_null(auth_file_load(path, err, sizeof(err)));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_non_null(strstr(err, "No such file"));
}

/* Large file: sorted lookup finds every user. */
static void test_auth_file_many(void **state)
{
	size_t n = 2000, i, cap = n * 32 + 1;
	char *text = malloc(cap), *p = text, err[256];
	struct auth_file *af;

	assert_non_null(text);
	for (i = n; i > 0; i--)
		p += sprintf(p, "\"user%zu\" \"pw%zu\"\n", i, i);
	af = auth_file_parse("many", text, err, sizeof(err));
	assert_non_null(af);
	assert_int_equal(af->n_entries, n);
	for (i = 1; i <= n; i++) {
		char u[32], pw[32];
		const struct auth_entry *e;

		snprintf(u, sizeof(u), "user%zu", i);
		snprintf(pw, sizeof(pw), "pw%zu", i);
		e = auth_file_find(af, u);
		assert_non_null(e);
		assert_string_equal(e->secret, pw);
	}
	auth_file_free(af);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7677_client),
		cmocka_unit_test(test_rfc7677_server),
		cmocka_unit_test(test_rfc7677_client_key_passthrough),
		cmocka_unit_test(test_pg_secret_exchange),
		cmocka_unit_test(test_pg_secret_roundtrip),
		cmocka_unit_test(test_secret_from_password),
		cmocka_unit_test(test_parse_secret_malformed),
		cmocka_unit_test(test_server_rejects_tampered_proof),
		cmocka_unit_test(test_server_rejects_wrong_password),
		cmocka_unit_test(test_server_refuses_channel_binding),
		cmocka_unit_test(test_server_gs2_y_and_cbind_check),
		cmocka_unit_test(test_channel_binding),
		cmocka_unit_test(test_channel_binding_messages),
		cmocka_unit_test(test_server_first_malformed),
		cmocka_unit_test(test_server_first_accepts),
		cmocka_unit_test(test_server_first_limits),
		cmocka_unit_test(test_server_final_malformed),
		cmocka_unit_test(test_client_first_format),
		cmocka_unit_test(test_client_final_malformed),
		cmocka_unit_test(test_client_verify),
		cmocka_unit_test(test_md5_hash_matches_postgres),
		cmocka_unit_test(test_md5_salted_matches_postgres),
		cmocka_unit_test(test_md5_check),
		cmocka_unit_test(test_secret_kind),
		cmocka_unit_test(test_auth_file_parse),
		cmocka_unit_test(test_auth_file_errors),
		cmocka_unit_test(test_auth_file_load),
		cmocka_unit_test(test_auth_file_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
