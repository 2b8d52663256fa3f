// fuzz-sources: src/scram.c src/auth.c
// fuzz-ldflags: -lcrypto
/*
 * libFuzzer target for the SCRAM message parsers and the auth_file parser.
 * Owns nothing but its fixed test secret.  Input: one selector byte, then
 * two messages separated by the first '\n'.
 *   selector % 3 == 0: pgsteer as server — client-first, then client-final
 *                      (server nonce fixed to "SNONCE" so the fuzzer can
 *                      reach proof checking);
 *   selector % 3 == 1: pgsteer as client — server-first, then server-final
 *                      (client nonce fixed to "fyko");
 *   selector % 3 == 2: the rest as an auth_file and as a SCRAM secret.
 * (selector / 3) % 3 picks the channel binding case: none; PLUS offered
 * (TLS) but not chosen; PLUS chosen (the client side: "n", "y", "p=").
 * Each message is copied into an exactly-sized heap buffer with no NUL so
 * AddressSanitizer flags any read past its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "scram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Iteration counts above this would only make the fuzzer slow (PBKDF2). */
#define FUZZ_MAX_ITER 64

static struct scram_secret fuzz_secret;
static int fuzz_secret_ready;

/* Exact-size heap copy without a terminating NUL. */
static char *copy_exact(const uint8_t *p, size_t n)
{
	char *c = malloc(n ? n : 1);

	if (c != NULL && n > 0)
		memcpy(c, p, n);
	return c;
}

/* True if any "i=<digits>" in the message asks for too many iterations. */
static int too_many_iterations(const char *m, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i++) {
		if (m[i] == 'i' && m[i + 1] == '=') {
			size_t j = i + 2, digits = 0;
			unsigned long v = 0;

			while (j < n && m[j] >= '0' && m[j] <= '9' && digits < 12) {
				v = v * 10 + (unsigned long)(m[j] - '0');
				j++;
				digits++;
			}
			if (v > FUZZ_MAX_ITER)
				return 1;
		}
	}
	return 0;
}

static const uint8_t fuzz_cbind[32] = "0123456789abcdef0123456789abcdef";

static void fuzz_server(const char *a, size_t alen, const char *b, size_t blen, int cb)
{
	struct scram_server s;
	char out[512];
	const char *err = NULL;

	scram_server_init(&s, &fuzz_secret);
	if (cb > 0)
		scram_server_set_channel_binding(&s, true, cb == 2, fuzz_cbind, sizeof(fuzz_cbind));
	if (scram_server_first_with_nonce(&s, a, alen, "SNONCE", out, sizeof(out), &err) < 0)
		return;
	(void)scram_server_final(&s, b, blen, out, sizeof(out), &err);
}

static void fuzz_client(const char *a, size_t alen, const char *b, size_t blen, int cb)
{
	struct scram_client c;
	char out[1024];
	const char *err = NULL;

	if (too_many_iterations(a, alen))
		return;
	if (cb == 0 && scram_client_first_with_nonce(&c, NULL, "fyko", out, sizeof(out), &err) < 0)
		abort();
	if (cb > 0 && scram_client_first_cbind(&c, cb == 2 ? SCRAM_CBIND_BIND : SCRAM_CBIND_UNUSED,
					       fuzz_cbind, sizeof(fuzz_cbind), out, sizeof(out),
					       &err) < 0)
		abort();
	if (scram_client_final(&c, "pencil", a, alen, out, sizeof(out), &err) < 0)
		return;
	(void)scram_client_verify(&c, b, blen, &err);
}

static void fuzz_auth_file(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[256];
	struct auth_file *af;
	struct scram_secret sec;

	if (text == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	af = auth_file_parse("fuzz", text, err, sizeof(err));
	if (af != NULL) {
		size_t i;

		for (i = 0; i < af->n_entries; i++) {
			if (auth_file_find(af, af->entries[i].user) != &af->entries[i])
				abort();
		}
		auth_file_free(af);
	}
	(void)scram_parse_secret(text, &sec);
	(void)auth_secret_kind(text);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl;
	size_t alen, blen;
	char *a, *b;
	int mode, cb;

	if (!fuzz_secret_ready) {
		static const uint8_t salt[16] = "pgsteer-fuzzsalt";

		if (!scram_secret_from_password_salt("pencil", salt, sizeof(salt), 1, &fuzz_secret))
			abort();
		fuzz_secret_ready = 1;
	}
	if (size < 1)
		return 0;
	mode = data[0] % 3;
	cb = (data[0] / 3) % 3;
	data++;
	size--;
	if (mode == 2) {
		fuzz_auth_file(data, size);
		return 0;
	}
	nl = memchr(data, '\n', size);
	alen = nl != NULL ? (size_t)(nl - data) : size;
	blen = nl != NULL ? size - alen - 1 : 0;
	a = copy_exact(data, alen);
	b = copy_exact(nl != NULL ? nl + 1 : data + size, blen);
	if (a != NULL && b != NULL) {
		if (mode == 0)
			fuzz_server(a, alen, b, blen, cb);
		else
			fuzz_client(a, alen, b, blen, cb);
	}
	free(a);
	free(b);
	return 0;
}
