/*
 * Credentials: loads the auth_file (PgBouncer userlist.txt format) into a
 * sorted table, and computes/checks PostgreSQL MD5 password hashes.  Owns
 * the auth_file memory; must not touch sockets or the event loop, and
 * never logs secrets (error messages name the user, not the secret).
 *
 * The table is an array sorted by user name, so lookup is a binary search
 * and duplicate users are adjacent after the sort; a duplicate is reported
 * as an error naming both lines (see auth.h for why).  Secrets are
 * cleansed when the table is freed, and so is the file buffer.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth.h"
#include "common.h"
#include "scram.h"

#define MD5_HEX_LEN 32
#define MD5_PASSWD_LEN 35		/* "md5" + 32 hex digits */
#define AUTH_FILE_MAX_BYTES (64u << 20)

/* Byte ranges hashed as one, to avoid concatenating secrets. */
struct part_md5 {
	const void *data;
	size_t len;
};

static void set_error(char *errbuf, size_t errlen, const char *name, int line,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int parse_quoted(const char **pp, char **out);
static bool add_entry(struct auth_file *af, size_t *cap, char *user, char *secret, int line);
static int entry_cmp(const void *a, const void *b);
static int entry_key_cmp(const void *key, const void *elem);
static bool md5_hex(const struct part_md5 *parts, size_t nparts, char out[MD5_HEX_LEN + 1]);

/*
 * Public functions
 */

/* Read the whole file and hand it to the parser. */
struct auth_file *auth_file_load(const char *path, char *errbuf, size_t errlen)
{
	FILE *f;
	char *buf = NULL, *nul;
	size_t len = 0, cap = 0, n;
	struct auth_file *af = NULL;

	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *nbuf;

			if (cap >= AUTH_FILE_MAX_BYTES) {
				snprintf(errbuf, errlen, "%s: file too large", path);
				goto done;
			}
			cap = cap ? cap * 2 : 8192;
			nbuf = realloc(buf, cap + 1);
			if (nbuf == NULL) {
				snprintf(errbuf, errlen, "%s: out of memory", path);
				goto done;
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(errbuf, errlen, "%s: read error", path);
		goto done;
	}
	buf[len] = '\0';
	nul = memchr(buf, '\0', len);
	if (nul != NULL) {
		int line = 1;
		const char *p;

		for (p = buf; p < nul; p++)
			line += *p == '\n';
		set_error(errbuf, errlen, path, line, "NUL byte in file");
		goto done;
	}
	af = auth_file_parse(path, buf, errbuf, errlen);
done:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	fclose(f);
	return af;
}

/* Line by line: comments, blanks, or `"user" "secret" [ignored]`. */
struct auth_file *auth_file_parse(const char *name, const char *text,
				  char *errbuf, size_t errlen)
{
	struct auth_file *af;
	const char *p = text;
	size_t cap = 0, i;
	int line = 0;

	af = calloc(1, sizeof(*af));
	if (af == NULL) {
		snprintf(errbuf, errlen, "%s: out of memory", name);
		return NULL;
	}
	if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)	/* UTF-8 byte order mark from some editors */
		p += 3;
	while (*p != '\0') {
		char *user = NULL, *secret = NULL;
		int r;

		line++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || *p == '\r' || *p == ';' || *p == '#' || *p == '\0')
			goto next_line;
		if (*p != '"') {
			set_error(errbuf, errlen, name, line, "expected '\"' before user name");
			goto fail;
		}
		r = parse_quoted(&p, &user);
		if (r <= 0) {
			if (r < 0)
				set_error(errbuf, errlen, name, line, "out of memory");
			else
				set_error(errbuf, errlen, name, line, "unterminated quoted user name");
			goto fail;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '"') {
			set_error(errbuf, errlen, name, line,
				  "missing password field for user \"%s\"", user);
			free(user);
			goto fail;
		}
		r = parse_quoted(&p, &secret);
		if (r <= 0) {
			if (r < 0)
				set_error(errbuf, errlen, name, line, "out of memory");
			else
				set_error(errbuf, errlen, name, line,
					  "unterminated quoted password for user \"%s\"", user);
			free(user);
			goto fail;
		}
		if (user[0] == '\0' || secret[0] == '\0') {
			if (user[0] == '\0')
				set_error(errbuf, errlen, name, line, "empty user name");
			else
				set_error(errbuf, errlen, name, line,
					  "empty password for user \"%s\"", user);
			free(user);
			free(secret);
			goto fail;
		}
		if (!add_entry(af, &cap, user, secret, line)) {
			set_error(errbuf, errlen, name, line, "out of memory");
			goto fail;
		}
		if (af->entries[af->n_entries - 1].kind == SECRET_SCRAM) {
			struct scram_secret sec;

			if (!scram_parse_secret(secret, &sec)) {
				set_error(errbuf, errlen, name, line,
					  "malformed SCRAM secret for user \"%s\"", user);
				goto fail;
			}
			OPENSSL_cleanse(&sec, sizeof(sec));
		}
next_line:
		/* Trailing text after the second field is ignored, as PgBouncer does. */
		while (*p != '\0' && *p != '\n')
			p++;
		if (*p == '\n')
			p++;
	}

	if (af->n_entries > 1)
		qsort(af->entries, af->n_entries, sizeof(af->entries[0]), entry_cmp);
	for (i = 1; i < af->n_entries; i++) {
		const struct auth_entry *a = &af->entries[i - 1], *b = &af->entries[i];

		if (strcmp(a->user, b->user) == 0) {
			set_error(errbuf, errlen, name, b->line,
				  "duplicate user \"%s\" (first defined on line %d)",
				  b->user, a->line);
			goto fail;
		}
	}
	return af;
fail:
	auth_file_free(af);
	return NULL;
}

/* Binary search; user names are case-sensitive as in PostgreSQL. */
const struct auth_entry *auth_file_find(const struct auth_file *af, const char *user)
{
	if (af == NULL || user == NULL || af->n_entries == 0)
		return NULL;
	return bsearch(user, af->entries, af->n_entries, sizeof(af->entries[0]),
		       entry_key_cmp);
}

/* Frees everything, cleansing secrets first. */
void auth_file_free(struct auth_file *af)
{
	size_t i;

	if (af == NULL)
		return;
	for (i = 0; i < af->n_entries; i++) {
		struct auth_entry *e = &af->entries[i];

		if (e->secret != NULL) {
			OPENSSL_cleanse(e->secret, strlen(e->secret));
			free(e->secret);
		}
		OPENSSL_cleanse(e->client_key, sizeof(e->client_key));
		OPENSSL_cleanse(e->server_key, sizeof(e->server_key));
		free(e->user);
	}
	free(af->entries);
	free(af);
}

void auth_file_remember_keys(struct auth_file *af, const char *user, const char *secret,
			     const uint8_t client_key[SCRAM_KEY_LEN],
			     const uint8_t server_key[SCRAM_KEY_LEN])
{
	struct auth_entry *e = (struct auth_entry *)auth_file_find(af, user);

	if (!e || e->kind != SECRET_SCRAM || (secret && strcmp(e->secret, secret) != 0))
		return;
	memcpy(e->client_key, client_key, SCRAM_KEY_LEN);
	memcpy(e->server_key, server_key, SCRAM_KEY_LEN);
	e->have_keys = true;
}

void auth_file_carry_keys(struct auth_file *to, const struct auth_file *from)
{
	if (!to || !from)
		return;
	for (size_t i = 0; i < from->n_entries; i++) {
		const struct auth_entry *e = &from->entries[i];
		if (e->have_keys)
			auth_file_remember_keys(to, e->user, e->secret, e->client_key, e->server_key);
	}
}

bool auth_file_keys(const struct auth_file *af, const char *user, const char *secret,
		    uint8_t client_key[SCRAM_KEY_LEN], uint8_t server_key[SCRAM_KEY_LEN])
{
	const struct auth_entry *e = auth_file_find(af, user);

	if (!e || !e->have_keys || strcmp(e->secret, secret) != 0)
		return false;
	memcpy(client_key, e->client_key, SCRAM_KEY_LEN);
	memcpy(server_key, e->server_key, SCRAM_KEY_LEN);
	return true;
}

/* PostgreSQL's rules: "md5"+32 hex is MD5, the SCRAM prefix is SCRAM. */
enum secret_kind auth_secret_kind(const char *secret)
{
	size_t i;

	if (secret == NULL)
		return SECRET_PLAIN;
	if (strncmp(secret, "SCRAM-SHA-256$", 14) == 0)
		return SECRET_SCRAM;
	if (strncmp(secret, "md5", 3) != 0 || strlen(secret) != MD5_PASSWD_LEN)
		return SECRET_PLAIN;
	for (i = 3; i < MD5_PASSWD_LEN; i++) {
		if (!isxdigit((unsigned char)secret[i]))
			return SECRET_PLAIN;
	}
	return SECRET_MD5;
}

/* The pg_authid form: "md5" + md5hex(password || user). */
void auth_md5_hash(const char *user, const char *password, char out[36])
{
	struct part_md5 parts[2] = {
		{ password, strlen(password) },
		{ user, strlen(user) },
	};

	memcpy(out, "md5", 3);
	if (!md5_hex(parts, 2, out + 3))
		out[0] = '\0';
}

/* What a client sends for AuthenticationMD5Password with SALT. */
void auth_md5_salted(const char *user, const char *password, const uint8_t salt[4],
		     char out[36])
{
	char stored[36];

	auth_md5_hash(user, password, stored);
	if (stored[0] == '\0')
		out[0] = '\0';
	else
		auth_md5_salted_from_hash(stored, salt, out);
	OPENSSL_cleanse(stored, sizeof(stored));
}

/* Second round over the stored hash; hex case of the stored form is ignored. */
void auth_md5_salted_from_hash(const char *md5hash, const uint8_t salt[4], char out[36])
{
	char hex[MD5_HEX_LEN];
	struct part_md5 parts[2] = {
		{ hex, MD5_HEX_LEN },
		{ salt, 4 },
	};
	int i;

	out[0] = '\0';
	if (auth_secret_kind(md5hash) != SECRET_MD5)
		return;
	for (i = 0; i < MD5_HEX_LEN; i++)
		hex[i] = (char)tolower((unsigned char)md5hash[3 + i]);
	memcpy(out, "md5", 3);
	if (!md5_hex(parts, 2, out + 3))
		out[0] = '\0';
	OPENSSL_cleanse(hex, sizeof(hex));
}

/* Constant-time compare of the 35-byte response against the expected one. */
bool auth_md5_check(const struct auth_entry *e, const char *user,
		    const uint8_t salt[4], const char *response)
{
	char expected[36];
	size_t len;
	bool ok;

	if (e == NULL || user == NULL || response == NULL)
		return false;
	switch (e->kind) {
	case SECRET_PLAIN:
		auth_md5_salted(user, e->secret, salt, expected);
		break;
	case SECRET_MD5:
		auth_md5_salted_from_hash(e->secret, salt, expected);
		break;
	case SECRET_SCRAM:
	default:
		return false;
	}
	/* Length first (it is public), without reading past a short response. */
	for (len = 0; len <= MD5_PASSWD_LEN && response[len] != '\0'; len++)
		;
	ok = expected[0] != '\0' && len == MD5_PASSWD_LEN &&
	     CRYPTO_memcmp(expected, response, MD5_PASSWD_LEN) == 0;
	OPENSSL_cleanse(expected, sizeof(expected));
	return ok;
}

/*
 * Internal functions
 */

/* "NAME:LINE: message" into errbuf. */
static void set_error(char *errbuf, size_t errlen, const char *name, int line,
		      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (errbuf == NULL || errlen == 0)
		return;
	n = snprintf(errbuf, errlen, "%s:%d: ", name, line);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/*
 * *PP points at an opening quote; copy up to the closing one into a new
 * string, "" meaning a literal quote.  A field may not cross a line end.
 * 1 on success, 0 if unterminated, -1 out of memory; *OUT is NULL unless 1.
 */
static int parse_quoted(const char **pp, char **out)
{
	const char *p = *pp + 1, *q;
	size_t len = 0;
	char *s, *o;

	*out = NULL;
	Assert(**pp == '"');
	/* First pass: find the end and the unescaped length. */
	for (q = p;; q++) {
		if (*q == '\0' || *q == '\n' || *q == '\r') {
			*pp = q;
			return 0;
		}
		if (*q == '"') {
			if (q[1] != '"')
				break;
			q++;
		}
		len++;
	}
	s = malloc(len + 1);
	if (s == NULL) {
		*pp = q + 1;
		return -1;
	}
	for (o = s; p < q; p++) {
		*o++ = *p;
		if (*p == '"')
			p++;
	}
	*o = '\0';
	*pp = q + 1;
	*out = s;
	return 1;
}

/* Append; takes ownership of USER and SECRET (freed on failure). */
static bool add_entry(struct auth_file *af, size_t *cap, char *user, char *secret, int line)
{
	struct auth_entry *e;

	if (af->n_entries == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct auth_entry *n = realloc(af->entries, ncap * sizeof(*n));

		if (n == NULL) {
			free(user);
			OPENSSL_cleanse(secret, strlen(secret));
			free(secret);
			return false;
		}
		af->entries = n;
		*cap = ncap;
	}
	e = &af->entries[af->n_entries++];
	memset(e, 0, sizeof(*e));	/* no passthrough keys yet */
	e->user = user;
	e->secret = secret;
	e->kind = auth_secret_kind(secret);
	e->line = line;
	return true;
}

/* Sort by user, then by line so duplicates report in file order. */
static int entry_cmp(const void *a, const void *b)
{
	const struct auth_entry *x = a, *y = b;
	int c = strcmp(x->user, y->user);

	if (c != 0)
		return c;
	return (x->line > y->line) - (x->line < y->line);
}

/* bsearch comparator: key is a user name. */
static int entry_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct auth_entry *)elem)->user);
}

/* Lowercase hex MD5 of the parts, via EVP (MD5 may be absent under FIPS). */
static bool md5_hex(const struct part_md5 *parts, size_t nparts, char out[MD5_HEX_LEN + 1])
{
	static const char hexd[] = "0123456789abcdef";
	EVP_MD_CTX *ctx;
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	size_t k;
	bool ok;

	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return false;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1;
	for (k = 0; ok && k < nparts; k++)
		ok = EVP_DigestUpdate(ctx, parts[k].data, parts[k].len) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, dig, &n) == 1 && n == 16;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return false;
	for (i = 0; i < 16; i++) {
		out[2 * i] = hexd[dig[i] >> 4];
		out[2 * i + 1] = hexd[dig[i] & 15];
	}
	out[MD5_HEX_LEN] = '\0';
	OPENSSL_cleanse(dig, sizeof(dig));
	return true;
}
