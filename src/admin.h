/*
 * Admin console: a client that logs in to the virtual database "pgsteer"
 * talks to pgsteer itself.  SHOW HELP|CLUSTERS|NODES|POOLS|CLIENTS|SERVERS|
 * STATS|CONFIG|TENANTS|VERSION, EXPLAIN ROUTE '<sql>', RELOAD, PAUSE,
 * RESUME, SHUTDOWN, SET NODE ... AVAILABILITY, DRAIN NODE.  Results are
 * ordinary result sets over the simple query protocol.
 *
 * (Contract used by client.c and relay.c.)
 */
#ifndef PGSTEER_ADMIN_H
#define PGSTEER_ADMIN_H

#include <stdbool.h>

struct client;

/* Is USER allowed in (admin_users or stats_users)? */
bool admin_user_allowed(const char *user);
/*
 * C authenticated against database "pgsteer": send the welcome
 * (ParameterStatus, BackendKeyData, ReadyForQuery) and make C an admin
 * session (c->admin = true, state CL_IDLE).
 */
void admin_start(struct client *c);
/* Input on an admin session: handle complete Query messages. */
void admin_input(struct client *c);
/* C leaves: free its admin session state. */
void admin_free_state(struct client *c);

/* ---- additions by the admin console's owner ---- */

#include <stddef.h>

#define ADMIN_NAME_LEN 64		/* node and cluster names (NAMEDATALEN) */
#define ADMIN_SQL_MAX 8192		/* EXPLAIN ROUTE statement, NUL included */

/* One parsed admin command (admin_parse.c: pure, no daemon state). */
enum admin_cmd {
	ADMIN_EMPTY = 0,		/* only whitespace/comments: EmptyQueryResponse */
	ADMIN_SHOW_HELP,
	ADMIN_SHOW_CLUSTERS,
	ADMIN_SHOW_NODES,
	ADMIN_SHOW_POOLS,
	ADMIN_SHOW_CLIENTS,
	ADMIN_SHOW_SERVERS,
	ADMIN_SHOW_STATS,
	ADMIN_SHOW_CONFIG,
	ADMIN_SHOW_TENANTS,
	ADMIN_SHOW_VERSION,
	ADMIN_EXPLAIN_ROUTE,		/* sql; name = cluster or "" */
	ADMIN_RELOAD,
	ADMIN_PAUSE,			/* name = cluster or "" (all) */
	ADMIN_RESUME,			/* name = cluster or "" (all) */
	ADMIN_SHUTDOWN,
	ADMIN_SET_NODE_AVAILABILITY,	/* name = node; offline */
	ADMIN_DRAIN_NODE,		/* name = node */
	ADMIN_TENANT_CREATE,		/* tenant; name = cluster or "" (fewest tenants) */
	ADMIN_TENANT_LOCATE,		/* tenant */
	ADMIN_TENANT_MOVE,		/* tenant; name = destination cluster */
	ADMIN_TENANT_DROP,		/* tenant */
	ADMIN_SHOW_MOVES,
	ADMIN_TENANT_MOVE_CANCEL,	/* tenant */
	ADMIN_TENANT_CLEANUP,		/* tenant */
};
#define ADMIN_CMD_LAST ADMIN_TENANT_CLEANUP	/* the highest enum admin_cmd (fuzz_admin.c checks the range) */

/* Where a tenant's data lives (TENANT CREATE ... SCHEMA/DATABASE, MOVE ... WITH DATA). */
enum admin_data_kind {
	ADMIN_DATA_NONE = 0,		/* not given */
	ADMIN_DATA_SCHEMA,		/* a schema of the cluster's server_database */
	ADMIN_DATA_DATABASE,		/* a database of its own */
};

struct admin_command {
	enum admin_cmd cmd;
	char name[ADMIN_NAME_LEN];	/* node or cluster; "" when not given */
	bool name_quoted;		/* "Name": match exactly; unquoted: any case */
	bool offline;			/* SET NODE ... AVAILABILITY offline */
	char tenant[ADMIN_NAME_LEN];	/* TENANT ...: the tenant id, exactly as written */
	bool with_data;			/* TENANT MOVE ... WITH DATA */
	enum admin_data_kind data_kind;	/* SCHEMA <data_name> | DATABASE <data_name> */
	char data_name[ADMIN_NAME_LEN];
	char sql[ADMIN_SQL_MAX];	/* EXPLAIN ROUTE: the statement, quotes undone */
	size_t sql_len;
	/* on error (admin_parse() returned -1) */
	const char *sqlstate;		/* "42601", "42622", "54000" */
	char message[256];
	const char *hint;		/* may be NULL */
};

/*
 * Parse one admin command (SQL text, NUL-terminated): keywords in any case,
 * comments (-- and nested slash-star), an optional trailing semicolon,
 * "quoted" names, EXPLAIN ROUTE '...' with '' escapes (or $$...$$).
 * 0 on success; -1 with sqlstate/message/hint filled.
 */
int admin_parse(const char *sql, struct admin_command *out);

/*
 * Length of the first statement of SQL[0..LEN): up to and including the
 * first ';' outside quotes and comments, or LEN.  Splits a multi-command
 * Query the way PostgreSQL would.
 */
size_t admin_statement_len(const char *sql, size_t len);

/* SHOW commands, SHOW HELP and EXPLAIN ROUTE change nothing (stats_users). */
bool admin_cmd_read_only(enum admin_cmd cmd);

/* "SHOW NODES", "PAUSE", ... for logs and command tags. */
const char *admin_cmd_name(enum admin_cmd cmd);

#endif
