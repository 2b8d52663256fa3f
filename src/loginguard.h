/*
 * Failed logins per key (the caller's: a source address and a user name):
 * after LIMIT failures of one key within WINDOW, further logins with it
 * are refused at once until the window that began with its first failure
 * has passed (a password guesser gets LIMIT tries a window, not hundreds a
 * second).  A good login clears its key.  Pure bookkeeping, no clock of
 * its own: a fixed table of recent keys, the stalest replaced when full.
 * The caller serialises access (shared_lock() with several workers).
 */
#ifndef PGSTEER_LOGINGUARD_H
#define PGSTEER_LOGINGUARD_H

#include <stdbool.h>
#include <stdint.h>

#define LOGINGUARD_SLOTS 4096
#define LOGINGUARD_ADDR_LEN 48
#define LOGINGUARD_KEY_LEN 128	/* an address, a newline, a user name (63 bytes at most) */

struct loginguard;

struct loginguard *loginguard_new(void);
void loginguard_free(struct loginguard *g);
/*
 * May KEY try to log in at NOW?  False when it failed LIMIT times within
 * WINDOW_MS: *RETRY_MS (may be NULL) is how long until it may.  LIMIT 0
 * turns the guard off.
 */
bool loginguard_allows(struct loginguard *g, const char *key, int64_t now, int limit,
		       int64_t window_ms, int64_t *retry_ms);
/* KEY failed a login at NOW. */
void loginguard_failed(struct loginguard *g, const char *key, int64_t now, int64_t window_ms);
/* KEY logged in: its failures are forgotten. */
void loginguard_succeeded(struct loginguard *g, const char *key);
/* The address part of "ip:port" or "[ipv6]:port" into OUT; false for "unix" (not guarded). */
bool loginguard_addr(const char *client_addr, char *out, size_t len);

#endif
