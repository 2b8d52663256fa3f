// fuzz-sources: src/hba.c src/textfile.c
/*
 * libFuzzer target for the hba_file parser and matcher: any byte string
 * must either parse (and then match a fixed set of clients without
 * touching memory it does not own) or fail with a "fuzz.hba:..." message.
 * Owns nothing but the harness and its clients.
 *
 * Build: contrib/fuzz.sh fuzz_hba
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "hba.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One client of each kind the matcher distinguishes. */
static void match_all(const struct hba *h)
{
	static const char *const addrs[] = { "127.0.0.1", "10.1.2.3", "::1", "fe80::1",
					     "::ffff:192.168.0.1" };
	static const char *const names[] = { "all", "postgres", "pgsteer", "" };
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	char msg[512];

	for (size_t a = 0; a <= sizeof(addrs) / sizeof(addrs[0]); a++) {
		const struct sockaddr *sa = (const struct sockaddr *)&un;
		if (a < sizeof(addrs) / sizeof(addrs[0])) {
			if (inet_pton(AF_INET, addrs[a], &in.sin_addr) == 1)
				sa = (const struct sockaddr *)&in;
			else if (inet_pton(AF_INET6, addrs[a], &in6.sin6_addr) == 1)
				sa = (const struct sockaddr *)&in6;
		}
		for (size_t u = 0; u < sizeof(names) / sizeof(names[0]); u++) {
			for (int tls = 0; tls < 2; tls++) {
				struct hba_client cl = { sa, tls, names[u], names[(u + 1) % 4] };
				const struct hba_rule *r = hba_match(h, &cl);
				if (r && (r < h->rules || r >= h->rules + h->n_rules))
					abort();
				hba_refusal_message(r, &cl, msg, sizeof(msg));
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char errbuf[512];
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';	/* hba_parse sees up to the first NUL */

	struct hba *h = hba_parse("fuzz.hba", text, errbuf, sizeof(errbuf));
	if (h) {
		if (h->n_rules <= 0)
			abort();
		for (int i = 0; i < h->n_rules; i++)
			if (h->rules[i].line <= 0 || h->rules[i].n_databases <= 0 ||
			    h->rules[i].n_users <= 0)
				abort();
		match_all(h);
		hba_free(h);
	} else if (strncmp(errbuf, "fuzz.hba", 8) != 0) {
		abort();
	}
	free(text);
	return 0;
}
