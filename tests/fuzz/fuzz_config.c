// fuzz-sources: src/config.c src/log.c src/hba.c src/textfile.c
// fuzz-ldflags: -linih -lpcre2-8
/*
 * libFuzzer target for the configuration loader: any byte string must
 * either load (and then print and free cleanly) or fail with a
 * "NAME:..." message.  Owns nothing but the harness.
 *
 * Build: clang -std=c11 -D_GNU_SOURCE -g -fsanitize=fuzzer,address,undefined \
 *   -Isrc tests/fuzz/fuzz_config.c src/config.c src/log.c -linih
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char errbuf[512];
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';	/* config_load_string sees up to the first NUL */

	struct config *cfg = config_load_string("fuzz.ini", text, errbuf, sizeof(errbuf));
	if (cfg) {
		FILE *out = fopen("/dev/null", "w");
		if (out) {
			config_print_summary(cfg, out);
			fclose(out);
		}
		for (int i = 0; i < cfg->n_nodes; i++)
			if (cfg->nodes[i].cluster_index < 0 ||
			    cfg->nodes[i].cluster_index >= cfg->n_clusters)
				abort();
		config_free(cfg);
	} else if (strncmp(errbuf, "fuzz.ini", 8) != 0) {
		abort();
	}
	free(text);
	return 0;
}
