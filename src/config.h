/*
 * Configuration: the resolved, validated contents of pgsteer.ini.
 *
 * config_load() parses the INI file with inih and returns a fully resolved,
 * immutable struct config (or NULL with "FILE:LINE: message" in errbuf).
 * The running process holds one current config; reload builds a new one and
 * swaps it in only if it loaded cleanly.  Nothing in here does I/O beyond
 * reading the file (auth_file and TLS files are loaded by their modules),
 * except hba_file: config_load() parses it with hba.c into cfg->hba, so that
 * --check-config reports its errors and a reload swaps it together with
 * the rest (config_load_string() leaves cfg->hba NULL).
 *
 * Units: every duration is stored in milliseconds (*_ms), every size in
 * bytes.  In the file, durations take ms/s/min/h/d (bare number = seconds),
 * sizes take B/kB/MB/GB (bare number = bytes), booleans on/off/true/false/
 * yes/no/1/0, lists are comma separated.
 *
 * After a successful load: every char * in struct config is non-NULL (""
 * when unset); in struct config_cluster, server_user/server_database/
 * server_password are NULL when unset.  Every strlist is non-NULL (an empty
 * list is { NULL }).  Every node's cluster_index is valid and every cluster
 * has n_nodes >= 1.  pgsteer.ini(5) documents the file format.
 */
#ifndef PGSTEER_CONFIG_H
#define PGSTEER_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum auth_type {
	AUTH_TRUST,
	AUTH_MD5,
	AUTH_SCRAM,
	AUTH_CERT,	/* TLS client certificate from client_tls_ca_file whose CN is the user */
};

/* PgBouncer's default auth_query: NULL password for expired or unknown roles. */
#define AUTH_QUERY_DEFAULT \
	"SELECT rolname, CASE WHEN rolvaliduntil < now() THEN NULL ELSE rolpassword END " \
	"FROM pg_authid WHERE rolname = $1 AND rolcanlogin"

enum pool_mode {
	POOL_MODE_SESSION,
	POOL_MODE_TRANSACTION,
};

enum tls_mode {
	TLS_DISABLE,
	TLS_ALLOW,	/* server side: accepted but not requested */
	TLS_PREFER,
	TLS_REQUIRE,
	TLS_VERIFY_CA,	/* servers: require, and verify the chain against server_tls_ca_file;
			   clients: require, and a certificate from client_tls_ca_file */
	TLS_VERIFY_FULL,	/* servers: and the node's host name or address against the certificate;
				   clients: and the certificate's CN is the user */
};

enum read_your_writes {
	RYW_OFF,
	RYW_LSN,
};

/* [routing] read_your_writes_scope: which sessions share a required LSN. */
enum ryw_scope {
	RYW_SCOPE_SESSION,	/* each session its own (and its pgsteer.sticky_key's) */
	RYW_SCOPE_USER,		/* all sessions of a user on a database share one */
};

enum on_no_replica {
	NO_REPLICA_PRIMARY,
	NO_REPLICA_ERROR,
};

/* [tenancy] unknown_tenant: what a session naming an unplaced tenant gets. */
enum unknown_tenant {
	UNKNOWN_TENANT_REJECT,	/* FATAL 3D000 unknown tenant "x" */
	UNKNOWN_TENANT_DEFAULT,	/* the cluster its database maps to */
};

/* A NULL-terminated array of strings parsed from a comma list. */
typedef char **strlist;

struct hba;

struct config_cluster {
	char *name;		/* from [cluster.NAME] */
	int line;		/* line of the section header */
	strlist databases;	/* client database names served; "*" = any (default) */
	int pool_size;		/* 0 = use default_pool_size */
	char *server_user;	/* NULL = client's user passes through */
	char *server_database;	/* NULL = client's database passes through */
	char *server_password;	/* NULL = password from auth_file */
	int n_nodes;		/* nodes with cluster = name, filled by loader */
};

struct config_node {
	char *name;		/* from [node.NAME] */
	int line;
	char *cluster;		/* required; must name a [cluster.X] */
	int cluster_index;	/* index into config.clusters */
	char *host;		/* required */
	int port;		/* default 5432 */
	int weight;		/* default 1; 0 = never used for reads */
};

struct config {
	char *path;		/* the file this was loaded from */

	/* [pgsteer] */
	strlist listen_addr;		/* default "127.0.0.1"; "*" = all IPv4+IPv6 */
	int listen_port;		/* default 6432 */
	char *unix_socket_dir;		/* default "" (off) */
	int unix_socket_mode;		/* default 0777 */
	int listen_backlog;		/* default 128 */
	enum auth_type auth_type;	/* default trust */
	char *auth_file;		/* default "" */
	char *hba_file;			/* default "" = off */
	char *auth_user;		/* default "" = off: look up users missing from auth_file as this role */
	char *auth_query;		/* default AUTH_QUERY_DEFAULT; $1 is the user name */
	char *auth_dbname;		/* default "" = the database the client's pool logs in to */
	struct hba *hba;		/* hba_file parsed by config_load(); NULL when off */
	enum pool_mode pool_mode;	/* default transaction */
	int default_pool_size;		/* default 20 */
	int min_pool_size;		/* default 0 */
	int max_client_conn;		/* default 10000 */
	strlist admin_users;		/* default empty */
	strlist stats_users;		/* default empty */
	char *server_reset_query;	/* default "DISCARD ALL" */
	bool server_reset_query_always;	/* default off: only in session mode */
	int max_prepared_statements;	/* per server connection; default 200, 0 = no tracking */
	strlist track_extra_parameters;	/* settings carried besides the reported ones; "*" (default) = all */
	int64_t server_idle_timeout_ms;	/* default 600s; 0 = never */
	int64_t server_lifetime_ms;	/* default 3600s; 0 = never */
	int64_t server_connect_timeout_ms; /* default 15s */
	int64_t server_login_retry_ms;	/* default 1s: wait after a failed server login */
	int64_t query_wait_timeout_ms;	/* default 120s; 0 = forever */
	int64_t query_timeout_ms;	/* default 0 (off) */
	int64_t client_login_timeout_ms; /* default 60s; 0 = forever */
	int64_t client_idle_timeout_ms;	/* default 0 (off) */
	int64_t idle_transaction_timeout_ms; /* default 0 (off) */
	int64_t shutdown_timeout_ms;	/* default 30s */
	uint64_t max_packet_size;	/* default 64MB; at most 1GB */
	int64_t client_message_timeout_ms; /* default 30s: finish a started message; 0 = forever */
	int auth_failure_limit;		/* default 10 failed logins per address per window; 0 = off */
	int64_t auth_failure_window_ms;	/* default 60s */
	uint64_t client_buffer_limit;	/* default 256MB: incomplete messages held, per worker; 0 = off */
	enum tls_mode client_tls_sslmode; /* default prefer if cert+key set, else disable */
	char *client_tls_cert_file;
	char *client_tls_key_file;
	char *client_tls_ca_file;
	char *client_tls_ciphers;	/* default "HIGH:!aNULL" (TLS 1.2 and up only) */
	enum tls_mode server_tls_sslmode; /* default prefer */
	char *server_tls_ca_file;
	char *server_tls_cert_file;
	char *server_tls_key_file;
	bool tcp_keepalive;		/* default on */
	int workers;			/* default 1 */
	char *log_file;			/* default "" = stderr */
	int log_level;			/* enum log_level; default info */
	int64_t stats_period_ms;	/* default 60s; 0 = off */
	char *pidfile;			/* default "" */

	/* [routing] */
	double max_lag_s;		/* default 5 (seconds; fractions allowed) */
	uint64_t max_lag_bytes;		/* default 0 = off */
	int64_t causal_read_timeout_ms;	/* default 5ms: a replica may wait for a session's LSN; 0 = off */
	int64_t check_interval_ms;	/* default 100ms; at least 10ms */
	int64_t health_check_timeout_ms; /* default 2s */
	int health_check_failures;	/* default 3 */
	int64_t catalog_refresh_ms;	/* default 60s; 0 = off */
	enum read_your_writes read_your_writes; /* default lsn */
	enum ryw_scope read_your_writes_scope; /* default session */
	int64_t sticky_ttl_ms;		/* default 60s */
	enum on_no_replica on_no_replica; /* default primary */
	bool fallback_ambiguous;	/* default off: session default */
	strlist read_functions;		/* PCRE2 patterns */
	strlist write_functions;
	strlist primary_patterns;
	strlist replica_patterns;

	/* [tenancy] */
	char *metadata_cluster;		/* default "" = tenancy off */
	char *database_pattern;		/* PCRE2 with (?<tenant>...) */
	char *user_pattern;
	int64_t move_timeout_ms;	/* default 30s */
	int64_t move_data_timeout_ms;	/* WITH DATA: schema, copy and catch-up; default 1h */
	enum unknown_tenant unknown_tenant; /* default reject */
	char *metadata_database;	/* default "" = the cluster's server_database, else "postgres" */
	char *instance_name;		/* default "" = "HOSTNAME:listen_port" */

	/* [stats] */
	char *stats_listen;		/* default "127.0.0.1:9930"; "" = off */
	char *stats_token;		/* default "" */
	bool stats_tls;			/* default off; on: HTTPS with the client_tls cert and key */

	struct config_cluster *clusters;
	int n_clusters;
	struct config_node *nodes;
	int n_nodes;
};

/*
 * Load and validate FILE.  On failure returns NULL and writes
 * "FILE:LINE: message" (or "FILE: message" when no line applies) into errbuf.
 */
struct config *config_load(const char *path, char *errbuf, size_t errlen);

/* Same, from a string; name is used in error messages (tests). */
struct config *config_load_string(const char *name, const char *text,
				  char *errbuf, size_t errlen);

void config_free(struct config *cfg);

/* One-screen summary of the resolved settings (--check-config). */
void config_print_summary(const struct config *cfg, FILE *out);

/* Helpers shared with other modules. */
bool strlist_contains(strlist list, const char *s);
size_t strlist_len(strlist list);
int config_cluster_index(const struct config *cfg, const char *name);

/* Parsers exposed for the admin console's SET and for tests. */
bool config_parse_bool(const char *s, bool *out);
bool config_parse_duration_ms(const char *s, int64_t *out);
bool config_parse_size(const char *s, uint64_t *out);

/*
 * Every setting of CFG, in key-table order, as the file would spell it
 * (durations and sizes with units, booleans on/off, lists comma separated):
 * the global sections once, then each [cluster.NAME] and [node.NAME].
 * SECTION is "pgsteer", "routing", ..., "cluster.main", "node.main1";
 * VALUE is NULL for an unset cluster override; secrets show as "********".
 * (SHOW CONFIG in the admin console.)
 */
void config_foreach_setting(const struct config *cfg,
			    void (*cb)(void *arg, const char *section, const char *key,
				       const char *value),
			    void *arg);

const char *config_pool_mode_name(enum pool_mode m);
const char *config_auth_type_name(enum auth_type t);
const char *config_tls_mode_name(enum tls_mode m);

#endif
