// fuzz-sources: src/admin_parse.c
/*
 * libFuzzer target for the admin console's grammar (src/admin_parse.c).
 * Any byte string, cut into statements the way admin.c cuts a Query, must
 * parse without crashing or reading out of bounds into a well-formed
 * result: a valid command with NUL-terminated fields, or an error with a
 * five-character SQLSTATE and a one-line message.  Properties checked on
 * the side: statement lengths tile the input exactly, and parsing is
 * deterministic and case-insensitive in keywords (upper-casing the text
 * outside quotes does not change the command).  Owns nothing.
 *
 * Build: clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *   -Isrc tests/fuzz/fuzz_admin.c src/admin_parse.c
 */
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_result(int rc, const struct admin_command *cmd)
{
	if (rc == 0) {
		if ((int)cmd->cmd < ADMIN_EMPTY || cmd->cmd > ADMIN_CMD_LAST)
			abort();
		if (memchr(cmd->name, '\0', sizeof(cmd->name)) == NULL)
			abort();
		if (memchr(cmd->data_name, '\0', sizeof(cmd->data_name)) == NULL ||
		    (cmd->data_kind != ADMIN_DATA_NONE) != (cmd->data_name[0] != '\0'))
			abort();
		if (cmd->sql_len >= sizeof(cmd->sql) || cmd->sql[cmd->sql_len] != '\0')
			abort();
		if ((cmd->cmd == ADMIN_SET_NODE_AVAILABILITY || cmd->cmd == ADMIN_DRAIN_NODE) &&
		    cmd->name[0] == '\0')
			abort();
		if (cmd->name_quoted && cmd->name[0] == '\0')
			abort();
		(void)admin_cmd_name(cmd->cmd);
		(void)admin_cmd_read_only(cmd->cmd);
		return;
	}
	if (rc != -1 || !cmd->sqlstate || strlen(cmd->sqlstate) != 5)
		abort();
	if (memchr(cmd->message, '\0', sizeof(cmd->message)) == NULL || cmd->message[0] == '\0')
		abort();
}

/* Upper-case ASCII letters outside quotes and comments-free regions: keywords only. */
static void upper_outside_quotes(char *s)
{
	char q = 0;

	for (; *s; s++) {
		if (q) {
			if (*s == q)
				q = 0;
		} else if (*s == '\'' || *s == '"' || *s == '$') {
			q = *s;
		} else {
			*s = (char)toupper((unsigned char)*s);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct admin_command a, b;
	char *text;
	size_t pos = 0;

	if (size > 4 * ADMIN_SQL_MAX)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	size = strlen(text);	/* a Query ends at its first NUL */

	while (pos < size) {
		size_t n = admin_statement_len(text + pos, size - pos);
		if (n == 0 || n > size - pos)
			abort();
		char *stmt = malloc(n + 1);
		if (!stmt)
			break;
		memcpy(stmt, text + pos, n);
		stmt[n] = '\0';

		int rc = admin_parse(stmt, &a);
		check_result(rc, &a);
		if (admin_parse(stmt, &b) != rc || a.cmd != b.cmd || strcmp(a.name, b.name) != 0)
			abort();

		/* keywords in any case: only for plain text, where case cannot hide in a name */
		if (rc == 0 && !strpbrk(stmt, "'\"$-/") && a.name[0] == '\0') {
			upper_outside_quotes(stmt);
			if (admin_parse(stmt, &b) != 0 || b.cmd != a.cmd)
				abort();
		}
		free(stmt);
		pos += n;
	}
	free(text);
	return 0;
}
