/*
 * Credentials: the auth_file (PgBouncer userlist.txt format) and MD5
 * password hashing.  Pure functions over memory plus one file read; no
 * sockets, no event loop.  SCRAM lives in scram.h.
 *
 * userlist.txt: one entry per line, `"user" "secret"`, both double-quoted,
 * a doubled "" inside quotes is a literal quote; lines starting with ';' or
 * '#' and blank lines are ignored; trailing text after the second field is
 * ignored (as PgBouncer does).  The secret is a plain password, an MD5 hash
 * ("md5" + 32 hex digits of md5(password || user)) or a SCRAM secret
 * ("SCRAM-SHA-256$<iter>:<salt b64>$<StoredKey b64>:<ServerKey b64>").
 *
 * Stricter than PgBouncer on purpose: a user listed twice is an error
 * naming both lines (a silent "later line wins" hides typos in a file
 * that grants access), a malformed SCRAM secret is an error at load time
 * rather than a login failure later, and an empty user or secret is an
 * error.  A quoted field must end on its own line.
 */
#ifndef PGSTEER_AUTH_H
#define PGSTEER_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scram.h"

enum secret_kind {
	SECRET_PLAIN,
	SECRET_MD5,
	SECRET_SCRAM,
};

struct auth_entry {
	char *user;
	char *secret;
	enum secret_kind kind;
	int line;			/* line number in the file, for messages */
	/*
	 * A SCRAM secret: the ClientKey a client's proof against it gave,
	 * and its ServerKey, for server logins by passthrough (shared by the
	 * workers: shared_lock()).  Wiped with the entry.
	 */
	bool have_keys;
	uint8_t client_key[SCRAM_KEY_LEN];
	uint8_t server_key[SCRAM_KEY_LEN];
};

struct auth_file {
	struct auth_entry *entries;
	size_t n_entries;
};

/* Load PATH; NULL with "PATH:LINE: message" in errbuf on error. */
struct auth_file *auth_file_load(const char *path, char *errbuf, size_t errlen);
/* Same from memory (tests). */
struct auth_file *auth_file_parse(const char *name, const char *text,
				  char *errbuf, size_t errlen);
const struct auth_entry *auth_file_find(const struct auth_file *af, const char *user);
/*
 * USER's SCRAM secret in AF (if it is SECRET, unless NULL) was proven by a
 * client: keep the keys of its proof (passthrough).  Nothing for other entries.
 */
void auth_file_remember_keys(struct auth_file *af, const char *user, const char *secret,
			     const uint8_t client_key[SCRAM_KEY_LEN],
			     const uint8_t server_key[SCRAM_KEY_LEN]);
/* A reload: TO's entries whose user and SCRAM secret are FROM's keep its keys. */
void auth_file_carry_keys(struct auth_file *to, const struct auth_file *from);
/* The kept keys of USER's entry if its secret is SECRET; false if none. */
bool auth_file_keys(const struct auth_file *af, const char *user, const char *secret,
		    uint8_t client_key[SCRAM_KEY_LEN], uint8_t server_key[SCRAM_KEY_LEN]);
void auth_file_free(struct auth_file *af);

enum secret_kind auth_secret_kind(const char *secret);

/* out = "md5" + hex(md5(password || user)): the stored form, as pg_authid has it. */
void auth_md5_hash(const char *user, const char *password, char out[36]);
/* out = "md5" + hex(md5(hex(md5(password || user)) || salt)), NUL-terminated (36 bytes). */
void auth_md5_salted(const char *user, const char *password, const uint8_t salt[4], char out[36]);
/* Same, starting from a stored "md5..." hash instead of the password. */
void auth_md5_salted_from_hash(const char *md5hash, const uint8_t salt[4], char out[36]);
/*
 * Check a client's MD5 PasswordMessage RESPONSE against an auth_file entry
 * (plain or md5 secret; SCRAM secrets cannot check MD5 and return false).
 * Constant-time comparison.
 */
bool auth_md5_check(const struct auth_entry *e, const char *user,
		    const uint8_t salt[4], const char *response);

#endif
