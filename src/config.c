/*
 * Configuration loader: reads pgsteer.ini with inih, validates every key and
 * builds one immutable struct config.  It owns the key table (names,
 * defaults, units, ranges) and the "FILE:LINE: message" diagnostics.
 * It must not open sockets, TLS files or the auth_file: those belong to the
 * modules that use them.  The one side file it reads is hba_file (parsed
 * by hba.c), so that --check-config and reload judge it with the rest.
 *
 * Design.  inih calls us once per key with no line number (Debian builds it
 * with INI_HANDLER_LINENO=0) and never for a section with no keys.  So we
 * feed inih through our own line reader: the reader counts lines exactly as
 * inih does (one reader call = one line), recognises "[section]" headers
 * itself, and mirrors inih's continuation-line rule, so that when the key
 * handler runs, the reader's state says which line and which section it is
 * on.  Errors are collected, not printed: the one with the lowest line wins,
 * which is the first problem a user would meet reading the file top down.
 * Validation that needs the whole file (node → cluster references, empty
 * clusters, TLS consistency) runs after parsing and reports the line of the
 * key or section at fault.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <ini.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "config.h"
#include "textfile.h"
#include "hba.h"
#include "log.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_FILE_SIZE (16 * 1024 * 1024)

_Static_assert(sizeof(enum auth_type) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum pool_mode) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum tls_mode) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum read_your_writes) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum ryw_scope) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum on_no_replica) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum unknown_tenant) == sizeof(int), "enum stored as int");

enum sect_kind {
	SECT_NONE,		/* before the first header */
	SECT_INVALID,		/* after a bad header: keys are ignored */
	SECT_PGSTEER,
	SECT_ROUTING,
	SECT_TENANCY,
	SECT_STATS,
	SECT_CLUSTER,
	SECT_NODE,
};

enum val_type {
	T_STR,		/* char *, quotes stripped */
	T_INT,		/* int in [min, max] */
	T_OCTAL,	/* int, file mode */
	T_BOOL,
	T_ENUM,		/* int-sized enum from key->enums */
	T_LOGLEVEL,	/* int, enum log_level */
	T_DURATION,	/* int64_t milliseconds in [min, max] */
	T_SECONDS,	/* double seconds (max_lag) */
	T_SIZE,		/* uint64_t bytes in [min, max] */
	T_LIST,		/* strlist; may continue on indented lines */
	T_HOSTPORT,	/* char *, "" or host:port */
	T_PATTERN,	/* char *, "" or a PCRE2 pattern with (?<tenant>...) */
};

struct enum_name {
	const char *name;
	int value;
};

struct key_def {
	enum sect_kind sect;
	const char *name;
	enum val_type type;
	size_t offset;		/* in struct config, config_cluster or config_node */
	int64_t min;
	int64_t max;
	const struct enum_name *enums;
};

static const struct enum_name auth_type_names[] = {
	{ "trust", AUTH_TRUST }, { "md5", AUTH_MD5 },
	{ "scram-sha-256", AUTH_SCRAM }, { "cert", AUTH_CERT }, { NULL, 0 },
};
static const struct enum_name pool_mode_names[] = {
	{ "transaction", POOL_MODE_TRANSACTION },
	{ "session", POOL_MODE_SESSION }, { NULL, 0 },
};
static const struct enum_name tls_mode_names[] = {
	{ "disable", TLS_DISABLE }, { "allow", TLS_ALLOW },
	{ "prefer", TLS_PREFER }, { "require", TLS_REQUIRE },
	{ "verify-ca", TLS_VERIFY_CA }, { "verify-full", TLS_VERIFY_FULL }, { NULL, 0 },
};
static const struct enum_name ryw_names[] = {
	{ "off", RYW_OFF }, { "lsn", RYW_LSN }, { NULL, 0 },
};
static const struct enum_name ryw_scope_names[] = {
	{ "session", RYW_SCOPE_SESSION }, { "user", RYW_SCOPE_USER }, { NULL, 0 },
};
static const struct enum_name no_replica_names[] = {
	{ "primary", NO_REPLICA_PRIMARY }, { "error", NO_REPLICA_ERROR },
	{ NULL, 0 },
};
static const struct enum_name unknown_tenant_names[] = {
	{ "reject", UNKNOWN_TENANT_REJECT }, { "default", UNKNOWN_TENANT_DEFAULT },
	{ NULL, 0 },
};

#define MS_S 1000LL
#define DUR_MAX (INT64_MAX / 2)
#define G(s, n, t, f, lo, hi, e) \
	{ s, n, t, offsetof(struct config, f), lo, hi, e }
#define P(n, t, f, lo, hi) G(SECT_PGSTEER, n, t, f, lo, hi, NULL)
#define R(n, t, f, lo, hi) G(SECT_ROUTING, n, t, f, lo, hi, NULL)
#define CL(n, t, f, lo, hi) \
	{ SECT_CLUSTER, n, t, offsetof(struct config_cluster, f), lo, hi, NULL }
#define ND(n, t, f, lo, hi) \
	{ SECT_NODE, n, t, offsetof(struct config_node, f), lo, hi, NULL }

/* Every key pgsteer.ini accepts; defaults live in config_defaults(). */
static const struct key_def keys[] = {
	P("listen_addr", T_LIST, listen_addr, 0, 0),
	P("listen_port", T_INT, listen_port, 1, 65535),
	P("unix_socket_dir", T_STR, unix_socket_dir, 0, 0),
	P("unix_socket_mode", T_OCTAL, unix_socket_mode, 0, 0777),
	P("listen_backlog", T_INT, listen_backlog, 1, INT_MAX),
	G(SECT_PGSTEER, "auth_type", T_ENUM, auth_type, 0, 0, auth_type_names),
	P("auth_file", T_STR, auth_file, 0, 0),
	P("hba_file", T_STR, hba_file, 0, 0),
	P("auth_user", T_STR, auth_user, 0, 0),
	P("auth_query", T_STR, auth_query, 0, 0),
	P("auth_dbname", T_STR, auth_dbname, 0, 0),
	G(SECT_PGSTEER, "pool_mode", T_ENUM, pool_mode, 0, 0, pool_mode_names),
	P("default_pool_size", T_INT, default_pool_size, 1, INT_MAX),
	P("min_pool_size", T_INT, min_pool_size, 0, INT_MAX),
	P("max_client_conn", T_INT, max_client_conn, 1, INT_MAX),
	P("admin_users", T_LIST, admin_users, 0, 0),
	P("stats_users", T_LIST, stats_users, 0, 0),
	P("server_reset_query", T_STR, server_reset_query, 0, 0),
	P("server_reset_query_always", T_BOOL, server_reset_query_always, 0, 0),
	P("max_prepared_statements", T_INT, max_prepared_statements, 0, 100000),
	P("track_extra_parameters", T_LIST, track_extra_parameters, 0, 0),
	P("server_idle_timeout", T_DURATION, server_idle_timeout_ms, 0, DUR_MAX),
	P("server_lifetime", T_DURATION, server_lifetime_ms, 0, DUR_MAX),
	P("server_connect_timeout", T_DURATION, server_connect_timeout_ms, 1, DUR_MAX),
	P("server_login_retry", T_DURATION, server_login_retry_ms, 0, DUR_MAX),
	P("query_wait_timeout", T_DURATION, query_wait_timeout_ms, 0, DUR_MAX),
	P("query_timeout", T_DURATION, query_timeout_ms, 0, DUR_MAX),
	P("client_login_timeout", T_DURATION, client_login_timeout_ms, 0, DUR_MAX),
	P("client_idle_timeout", T_DURATION, client_idle_timeout_ms, 0, DUR_MAX),
	P("idle_transaction_timeout", T_DURATION, idle_transaction_timeout_ms, 0, DUR_MAX),
	P("shutdown_timeout", T_DURATION, shutdown_timeout_ms, 0, DUR_MAX),
	P("max_packet_size", T_SIZE, max_packet_size, 1024, 1024LL * 1024 * 1024),
	P("client_message_timeout", T_DURATION, client_message_timeout_ms, 0, DUR_MAX),
	P("auth_failure_limit", T_INT, auth_failure_limit, 0, INT_MAX),
	P("auth_failure_window", T_DURATION, auth_failure_window_ms, 1, DUR_MAX),
	P("client_buffer_limit", T_SIZE, client_buffer_limit, 0, INT64_MAX),
	G(SECT_PGSTEER, "client_tls_sslmode", T_ENUM, client_tls_sslmode, 0, 0, tls_mode_names),
	P("client_tls_cert_file", T_STR, client_tls_cert_file, 0, 0),
	P("client_tls_key_file", T_STR, client_tls_key_file, 0, 0),
	P("client_tls_ca_file", T_STR, client_tls_ca_file, 0, 0),
	P("client_tls_ciphers", T_STR, client_tls_ciphers, 0, 0),
	G(SECT_PGSTEER, "server_tls_sslmode", T_ENUM, server_tls_sslmode, 0, 0, tls_mode_names),
	P("server_tls_ca_file", T_STR, server_tls_ca_file, 0, 0),
	P("server_tls_cert_file", T_STR, server_tls_cert_file, 0, 0),
	P("server_tls_key_file", T_STR, server_tls_key_file, 0, 0),
	P("tcp_keepalive", T_BOOL, tcp_keepalive, 0, 0),
	P("workers", T_INT, workers, 1, 1024),
	P("log_file", T_STR, log_file, 0, 0),
	P("log_level", T_LOGLEVEL, log_level, 0, 0),
	P("stats_period", T_DURATION, stats_period_ms, 0, DUR_MAX),
	P("pidfile", T_STR, pidfile, 0, 0),

	R("max_lag", T_SECONDS, max_lag_s, 0, 0),
	R("max_lag_bytes", T_SIZE, max_lag_bytes, 0, INT64_MAX),
	R("causal_read_timeout", T_DURATION, causal_read_timeout_ms, 0, DUR_MAX),
	R("check_interval", T_DURATION, check_interval_ms, 10, DUR_MAX),
	R("health_check_timeout", T_DURATION, health_check_timeout_ms, 1, DUR_MAX),
	R("health_check_failures", T_INT, health_check_failures, 1, INT_MAX),
	R("catalog_refresh", T_DURATION, catalog_refresh_ms, 0, DUR_MAX),
	G(SECT_ROUTING, "read_your_writes", T_ENUM, read_your_writes, 0, 0, ryw_names),
	G(SECT_ROUTING, "read_your_writes_scope", T_ENUM, read_your_writes_scope, 0, 0, ryw_scope_names),
	R("sticky_ttl", T_DURATION, sticky_ttl_ms, 0, DUR_MAX),
	G(SECT_ROUTING, "on_no_replica", T_ENUM, on_no_replica, 0, 0, no_replica_names),
	R("fallback_ambiguous", T_BOOL, fallback_ambiguous, 0, 0),
	R("read_functions", T_LIST, read_functions, 0, 0),
	R("write_functions", T_LIST, write_functions, 0, 0),
	R("primary_patterns", T_LIST, primary_patterns, 0, 0),
	R("replica_patterns", T_LIST, replica_patterns, 0, 0),

	G(SECT_TENANCY, "metadata_cluster", T_STR, metadata_cluster, 0, 0, NULL),
	G(SECT_TENANCY, "database_pattern", T_PATTERN, database_pattern, 0, 0, NULL),
	G(SECT_TENANCY, "user_pattern", T_PATTERN, user_pattern, 0, 0, NULL),
	G(SECT_TENANCY, "move_timeout", T_DURATION, move_timeout_ms, 1, DUR_MAX, NULL),
	G(SECT_TENANCY, "move_data_timeout", T_DURATION, move_data_timeout_ms, 1, DUR_MAX, NULL),
	G(SECT_TENANCY, "unknown_tenant", T_ENUM, unknown_tenant, 0, 0, unknown_tenant_names),
	G(SECT_TENANCY, "metadata_database", T_STR, metadata_database, 0, 0, NULL),
	G(SECT_TENANCY, "instance_name", T_STR, instance_name, 0, 0, NULL),

	G(SECT_STATS, "listen", T_HOSTPORT, stats_listen, 0, 0, NULL),
	G(SECT_STATS, "token", T_STR, stats_token, 0, 0, NULL),
	G(SECT_STATS, "tls", T_BOOL, stats_tls, 0, 0, NULL),

	CL("databases", T_LIST, databases, 0, 0),
	CL("pool_size", T_INT, pool_size, 0, INT_MAX),	/* 0 = default_pool_size */
	CL("server_user", T_STR, server_user, 0, 0),
	CL("server_database", T_STR, server_database, 0, 0),
	CL("server_password", T_STR, server_password, 0, 0),

	ND("cluster", T_STR, cluster, 0, 0),
	ND("host", T_STR, host, 0, 0),
	ND("port", T_INT, port, 1, 65535),
	ND("weight", T_INT, weight, 0, 1000000),
};

#define N_KEYS N_ELEMS(keys)

/* Per-instance record of where each key was set (0 = not set). */
struct key_lines {
	int line[N_KEYS];
};

struct parse_state {
	struct config *cfg;
	const char *name;		/* file name for messages */
	const char *pos;		/* reader cursor */
	int lineno;			/* line last handed to inih */
	bool line_is_cont;		/* that line continues the previous key */
	bool have_prev_name;		/* mirrors inih's prev_name != "" */
	enum sect_kind sect;
	int sect_index;			/* cluster or node index */
	int last_key;			/* key index for continuations, -1 none */
	int global_sect_line[SECT_STATS + 1];
	struct key_lines global;
	struct key_lines *cluster_lines;
	struct key_lines *node_lines;
	int cap_clusters;
	int cap_nodes;
	bool err_set;
	int err_line;
	char err_msg[512];
};

static void config_defaults(struct parse_state *st);
static bool finish(struct parse_state *st);
static char *reader(char *buf, int num, void *stream);
static int on_key(void *user, const char *section, const char *name,
		  const char *value);
static void set_error(struct parse_state *st, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void strlist_free(strlist list);
static const char *fmt_duration(int64_t ms, const char *zero, char *buf, size_t len);
static const char *fmt_size(uint64_t b, const char *zero, char *buf, size_t len);
static void print_list(FILE *out, strlist l);
static const char *str_or(const char *s, const char *dflt);
static const char *log_level_label(int lvl);
static const char *format_setting(const struct key_def *k, const char *base,
				  char *buf, size_t len, char **heap);
static bool load_hba(struct config *cfg, char *errbuf, size_t errlen);

/* ------------------------------------------------------------------ */
/* Public functions                                                    */
/* ------------------------------------------------------------------ */

struct config *config_load(const char *path, char *errbuf, size_t errlen)
{
	char *text = textfile_read(path, MAX_FILE_SIZE, errbuf, errlen);
	if (!text)
		return NULL;
	struct config *cfg = config_load_string(path, text, errbuf, errlen);
	free(text);
	if (cfg && cfg->hba_file[0] && !load_hba(cfg, errbuf, errlen)) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct config *config_load_string(const char *name, const char *text,
				  char *errbuf, size_t errlen)
{
	struct parse_state *st = calloc(1, sizeof(*st));
	struct config *cfg = calloc(1, sizeof(*cfg));
	if (!st || !cfg) {
		free(st);
		free(cfg);
		snprintf(errbuf, errlen, "%s: out of memory", name);
		return NULL;
	}
	st->cfg = cfg;
	st->name = name;
	st->pos = text;
	st->last_key = -1;
	config_defaults(st);
	if (!(cfg->path = strdup(name)))
		set_error(st, 0, "out of memory");

	int rc = ini_parse_stream(reader, st, on_key, st);
	if (rc > 0 && (!st->err_set || st->err_line == 0 || rc < st->err_line))
		set_error(st, rc, "syntax error: expected \"key = value\" or \"[section]\"");
	else if (rc < 0)
		set_error(st, 0, "out of memory");
	if (!st->err_set)
		finish(st);

	bool ok = !st->err_set;
	if (!ok) {
		if (st->err_line > 0)
			snprintf(errbuf, errlen, "%s:%d: %s", name, st->err_line, st->err_msg);
		else
			snprintf(errbuf, errlen, "%s: %s", name, st->err_msg);
		config_free(cfg);
		cfg = NULL;
	} else if (errlen > 0) {
		errbuf[0] = '\0';
	}
	free(st->cluster_lines);
	free(st->node_lines);
	free(st);
	return cfg;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_def *k = &keys[i];
		if (k->sect == SECT_CLUSTER || k->sect == SECT_NODE)
			continue;
		void *p = (char *)cfg + k->offset;
		if (k->type == T_LIST)
			strlist_free(*(strlist *)p);
		else if (k->type == T_STR || k->type == T_HOSTPORT || k->type == T_PATTERN)
			free(*(char **)p);
	}
	for (int i = 0; i < cfg->n_clusters; i++) {
		struct config_cluster *c = &cfg->clusters[i];
		free(c->name);
		strlist_free(c->databases);
		free(c->server_user);
		free(c->server_database);
		free(c->server_password);
	}
	for (int i = 0; i < cfg->n_nodes; i++) {
		struct config_node *n = &cfg->nodes[i];
		free(n->name);
		free(n->cluster);
		free(n->host);
	}
	free(cfg->clusters);
	free(cfg->nodes);
	hba_free(cfg->hba);
	free(cfg->path);
	free(cfg);
}

bool strlist_contains(strlist list, const char *s)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

size_t strlist_len(strlist list)
{
	size_t n = 0;
	while (list && list[n])
		n++;
	return n;
}

int config_cluster_index(const struct config *cfg, const char *name)
{
	for (int i = 0; i < cfg->n_clusters; i++)
		if (strcmp(cfg->clusters[i].name, name) == 0)
			return i;
	return -1;
}

bool config_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "on", "true", "yes", "1" };
	static const char *const no[] = { "off", "false", "no", "0" };
	for (size_t i = 0; i < N_ELEMS(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/*
 * Exact decimal number: digits with an optional fraction.  Returns the
 * value as mantissa / 10^scale so that unit conversion stays in integers.
 */
static bool parse_decimal(const char **sp, uint64_t *mant, unsigned *scale)
{
	const char *s = *sp;
	uint64_t m = 0;
	unsigned sc = 0, digits = 0;
	bool frac = false;
	for (;; s++) {
		if (*s == '.' && !frac) {
			frac = true;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		if (m > (UINT64_MAX - 9) / 10)
			return false;
		m = m * 10 + (uint64_t)(*s - '0');
		digits++;
		if (frac)
			sc++;
	}
	if (digits == 0 || sc > 18)
		return false;
	*sp = s;
	*mant = m;
	*scale = sc;
	return true;
}

/* Multiply mant/10^scale by unit; fails unless the result is whole. */
static bool scale_exact(uint64_t mant, unsigned scale, uint64_t unit,
			uint64_t *out)
{
	uint64_t div = 1;
	for (unsigned i = 0; i < scale; i++)
		div *= 10;
	/* Reduce first so that e.g. 1.5 * 1000 does not need 128 bits. */
	while (div > 1 && unit % 10 == 0 && div % 10 == 0) {
		unit /= 10;
		div /= 10;
	}
	uint64_t v;
	if (__builtin_mul_overflow(mant, unit, &v))
		return false;
	if (v % div != 0)
		return false;
	*out = v / div;
	return true;
}

static const char *skip_space(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

struct unit {
	const char *name;
	uint64_t mult;
};

/* Number with an optional unit from table; bare numbers use bare_mult. */
static bool parse_with_unit(const char *s, const struct unit *units,
			    uint64_t bare_mult, uint64_t *out)
{
	uint64_t mant;
	unsigned scale;
	s = skip_space(s);
	if (!parse_decimal(&s, &mant, &scale))
		return false;
	s = skip_space(s);
	uint64_t mult = bare_mult;
	if (*s) {
		size_t len = strlen(s);
		while (len > 0 && isspace((unsigned char)s[len - 1]))
			len--;
		mult = 0;
		for (const struct unit *u = units; u->name; u++) {
			if (strlen(u->name) == len && strncasecmp(s, u->name, len) == 0) {
				mult = u->mult;
				break;
			}
		}
		if (!mult)
			return false;
	}
	return scale_exact(mant, scale, mult, out);
}

static const struct unit duration_units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "min", 60000 }, { "h", 3600000 },
	{ "d", 86400000 }, { NULL, 0 },
};

static const struct unit size_units[] = {
	{ "B", 1 }, { "kB", 1ULL << 10 }, { "MB", 1ULL << 20 },
	{ "GB", 1ULL << 30 }, { "TB", 1ULL << 40 }, { NULL, 0 },
};

bool config_parse_duration_ms(const char *s, int64_t *out)
{
	uint64_t v;
	if (!parse_with_unit(s, duration_units, 1000, &v) || v > INT64_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

bool config_parse_size(const char *s, uint64_t *out)
{
	return parse_with_unit(s, size_units, 1, out);
}

/* Seconds with fractions (max_lag); units as for durations. */
static bool parse_seconds(const char *s, double *out)
{
	uint64_t mant;
	unsigned scale;
	s = skip_space(s);
	if (!parse_decimal(&s, &mant, &scale))
		return false;
	s = skip_space(s);
	double mult = 1.0;
	if (*s) {
		size_t len = strlen(s);
		while (len > 0 && isspace((unsigned char)s[len - 1]))
			len--;
		mult = 0;
		for (const struct unit *u = duration_units; u->name; u++)
			if (strlen(u->name) == len && strncasecmp(s, u->name, len) == 0)
				mult = (double)u->mult / 1000.0;
		if (mult == 0)
			return false;
	}
	double v = (double)mant;
	for (unsigned i = 0; i < scale; i++)
		v /= 10.0;
	*out = v * mult;
	return true;
}

const char *config_pool_mode_name(enum pool_mode m)
{
	return m == POOL_MODE_SESSION ? "session" : "transaction";
}

const char *config_auth_type_name(enum auth_type t)
{
	switch (t) {
	case AUTH_TRUST: return "trust";
	case AUTH_MD5: return "md5";
	case AUTH_SCRAM: return "scram-sha-256";
	case AUTH_CERT: return "cert";
	}
	return "?";
}

const char *config_tls_mode_name(enum tls_mode m)
{
	switch (m) {
	case TLS_DISABLE: return "disable";
	case TLS_ALLOW: return "allow";
	case TLS_PREFER: return "prefer";
	case TLS_REQUIRE: return "require";
	case TLS_VERIFY_CA: return "verify-ca";
	case TLS_VERIFY_FULL: return "verify-full";
	}
	return "?";
}

/* One screen for --check-config: what will actually run. */
void config_print_summary(const struct config *cfg, FILE *out)
{
	char a[32], b[32], c[32], d[32], e[32];

	fprintf(out, "pgsteer configuration %s: OK\n", cfg->path);
	fprintf(out, "listen:   ");
	print_list(out, cfg->listen_addr);
	fprintf(out, " port %d, backlog %d, unix socket %s (mode %04o), workers %d\n",
		cfg->listen_port, cfg->listen_backlog,
		str_or(cfg->unix_socket_dir, "off"), (unsigned)cfg->unix_socket_mode,
		cfg->workers);
	fprintf(out, "auth:     %s, auth_file %s, admin_users ",
		config_auth_type_name(cfg->auth_type), str_or(cfg->auth_file, "none"));
	print_list(out, cfg->admin_users);
	fprintf(out, ", stats_users ");
	print_list(out, cfg->stats_users);
	fprintf(out, "\n");
	if (cfg->auth_user[0])
		fprintf(out, "          auth_user %s looks up users missing from auth_file on the primary "
			"(database %s)%s\n", cfg->auth_user,
			str_or(cfg->auth_dbname, "of the client's pool"),
			strcmp(cfg->auth_query, AUTH_QUERY_DEFAULT) == 0 ? "" : " with a custom auth_query");
	if (cfg->hba)
		fprintf(out, "hba:      %s, %d rules (the matching rule's method replaces auth_type)\n",
			cfg->hba_file, cfg->hba->n_rules);
	fprintf(out, "pools:    %s mode, default_pool_size %d, min_pool_size %d, max_client_conn %d\n",
		config_pool_mode_name(cfg->pool_mode), cfg->default_pool_size,
		cfg->min_pool_size, cfg->max_client_conn);
	fprintf(out, "reset:    \"%s\" %s\n", cfg->server_reset_query,
		cfg->server_reset_query_always ? "after every release"
					       : "in session mode and after pinned clients");
	fprintf(out, "state:    max_prepared_statements %d%s, track_extra_parameters ",
		cfg->max_prepared_statements,
		cfg->max_prepared_statements ? "" : " (named statements passed through)");
	print_list(out, cfg->track_extra_parameters);
	fprintf(out, "\n");
	fprintf(out, "servers:  idle %s, lifetime %s, connect %s, login retry %s\n",
		fmt_duration(cfg->server_idle_timeout_ms, "never", a, sizeof(a)),
		fmt_duration(cfg->server_lifetime_ms, "never", b, sizeof(b)),
		fmt_duration(cfg->server_connect_timeout_ms, "0", c, sizeof(c)),
		fmt_duration(cfg->server_login_retry_ms, "0", d, sizeof(d)));
	fprintf(out, "clients:  login %s, idle %s, idle in transaction %s, shutdown %s\n",
		fmt_duration(cfg->client_login_timeout_ms, "forever", a, sizeof(a)),
		fmt_duration(cfg->client_idle_timeout_ms, "off", b, sizeof(b)),
		fmt_duration(cfg->idle_transaction_timeout_ms, "off", c, sizeof(c)),
		fmt_duration(cfg->shutdown_timeout_ms, "0", d, sizeof(d)));
	fprintf(out, "queries:  wait %s, timeout %s, max_packet_size %s, tcp_keepalive %s\n",
		fmt_duration(cfg->query_wait_timeout_ms, "forever", a, sizeof(a)),
		fmt_duration(cfg->query_timeout_ms, "off", b, sizeof(b)),
		fmt_size(cfg->max_packet_size, "0", c, sizeof(c)),
		cfg->tcp_keepalive ? "on" : "off");
	fprintf(out, "tls:      clients %s (cert %s), servers %s (ca %s)\n",
		config_tls_mode_name(cfg->client_tls_sslmode),
		str_or(cfg->client_tls_cert_file, "none"),
		config_tls_mode_name(cfg->server_tls_sslmode),
		str_or(cfg->server_tls_ca_file, "none"));
	fprintf(out, "routing:  max_lag %gs, max_lag_bytes %s, check_interval %s, health timeout %s x%d\n",
		cfg->max_lag_s, fmt_size(cfg->max_lag_bytes, "off", a, sizeof(a)),
		fmt_duration(cfg->check_interval_ms, "0", b, sizeof(b)),
		fmt_duration(cfg->health_check_timeout_ms, "0", c, sizeof(c)),
		cfg->health_check_failures);
	fprintf(out, "          read_your_writes %s (%s), sticky_ttl %s, on_no_replica %s, fallback_ambiguous %s\n",
		cfg->read_your_writes == RYW_LSN ? "lsn" : "off",
		cfg->read_your_writes_scope == RYW_SCOPE_USER ? "per user" : "per session",
		fmt_duration(cfg->sticky_ttl_ms, "0", a, sizeof(a)),
		cfg->on_no_replica == NO_REPLICA_ERROR ? "error" : "primary",
		cfg->fallback_ambiguous ? "on" : "off");
	fprintf(out, "          catalog_refresh %s; rules: %zu read, %zu write functions, %zu primary, %zu replica patterns\n",
		fmt_duration(cfg->catalog_refresh_ms, "off", e, sizeof(e)),
		strlist_len(cfg->read_functions), strlist_len(cfg->write_functions),
		strlist_len(cfg->primary_patterns), strlist_len(cfg->replica_patterns));
	if (cfg->metadata_cluster[0])
		fprintf(out, "tenancy:  metadata on cluster %s%s%s, move_timeout %s, unknown_tenant %s%s%s\n",
			cfg->metadata_cluster,
			cfg->metadata_database[0] ? " database " : "", cfg->metadata_database,
			fmt_duration(cfg->move_timeout_ms, "0", a, sizeof(a)),
			cfg->unknown_tenant == UNKNOWN_TENANT_DEFAULT ? "default" : "reject",
			cfg->database_pattern[0] ? ", database_pattern" : "",
			cfg->user_pattern[0] ? ", user_pattern" : "");
	else
		fprintf(out, "tenancy:  off\n");
	fprintf(out, "stats:    %s%s, stats_period %s\n",
		str_or(cfg->stats_listen, "off"),
		cfg->stats_token[0] ? " (token required)" : "",
		fmt_duration(cfg->stats_period_ms, "off", a, sizeof(a)));
	fprintf(out, "logging:  %s to %s, pidfile %s\n",
		log_level_label(cfg->log_level),
		str_or(cfg->log_file, "stderr"), str_or(cfg->pidfile, "none"));
	for (int i = 0; i < cfg->n_clusters; i++) {
		const struct config_cluster *cl = &cfg->clusters[i];
		fprintf(out, "cluster %s: databases ", cl->name);
		print_list(out, cl->databases);
		if (cl->pool_size)
			fprintf(out, ", pool_size %d", cl->pool_size);
		else
			fprintf(out, ", pool_size %d (default)", cfg->default_pool_size);
		if (cl->server_user)
			fprintf(out, ", server_user %s", cl->server_user);
		if (cl->server_database)
			fprintf(out, ", server_database %s", cl->server_database);
		fprintf(out, "\n");
		for (int j = 0; j < cfg->n_nodes; j++) {
			const struct config_node *n = &cfg->nodes[j];
			if (n->cluster_index != i)
				continue;
			bool v6 = strchr(n->host, ':') != NULL;
			fprintf(out, "  node %-12s %s%s%s:%d weight %d\n", n->name,
				v6 ? "[" : "", n->host, v6 ? "]" : "", n->port, n->weight);
		}
	}
}

void config_foreach_setting(const struct config *cfg,
			    void (*cb)(void *arg, const char *section, const char *key,
				       const char *value),
			    void *arg)
{
	static const char *const global_names[] = {
		[SECT_PGSTEER] = "pgsteer", [SECT_ROUTING] = "routing",
		[SECT_TENANCY] = "tenancy", [SECT_STATS] = "stats",
	};
	char buf[64];
	char section[80];
	char *heap;

	for (enum sect_kind sect = SECT_PGSTEER; sect <= SECT_STATS; sect++) {
		for (size_t i = 0; i < N_KEYS; i++) {
			if (keys[i].sect != sect)
				continue;
			heap = NULL;
			cb(arg, global_names[sect], keys[i].name,
			   format_setting(&keys[i], (const char *)cfg, buf, sizeof(buf), &heap));
			free(heap);
		}
	}
	for (int c = 0; c < cfg->n_clusters; c++) {
		snprintf(section, sizeof(section), "cluster.%s", cfg->clusters[c].name);
		for (size_t i = 0; i < N_KEYS; i++) {
			if (keys[i].sect != SECT_CLUSTER)
				continue;
			heap = NULL;
			cb(arg, section, keys[i].name,
			   format_setting(&keys[i], (const char *)&cfg->clusters[c], buf, sizeof(buf), &heap));
			free(heap);
		}
	}
	for (int n = 0; n < cfg->n_nodes; n++) {
		snprintf(section, sizeof(section), "node.%s", cfg->nodes[n].name);
		for (size_t i = 0; i < N_KEYS; i++) {
			if (keys[i].sect != SECT_NODE)
				continue;
			heap = NULL;
			cb(arg, section, keys[i].name,
			   format_setting(&keys[i], (const char *)&cfg->nodes[n], buf, sizeof(buf), &heap));
			free(heap);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Internal functions                                                  */
/* ------------------------------------------------------------------ */

/* One setting as text into BUF (or a pointer to a string of CFG); NULL = unset. */
static const char *format_setting(const struct key_def *k, const char *base,
				  char *buf, size_t len, char **heap)
{
	const void *p = base + k->offset;

	switch (k->type) {
	case T_STR:
	case T_HOSTPORT:
	case T_PATTERN: {
		const char *v = *(char *const *)p;
		if (v && v[0] && (strcmp(k->name, "token") == 0 ||
				  strcmp(k->name, "server_password") == 0))
			return "********";
		return v;
	}
	case T_INT:
		snprintf(buf, len, "%d", *(const int *)p);
		return buf;
	case T_OCTAL:
		snprintf(buf, len, "%04o", (unsigned)*(const int *)p);
		return buf;
	case T_BOOL:
		return *(const bool *)p ? "on" : "off";
	case T_ENUM:
		for (const struct enum_name *e = k->enums; e && e->name; e++)
			if (e->value == *(const int *)p)
				return e->name;
		return "?";
	case T_LOGLEVEL:
		return log_level_label(*(const int *)p);
	case T_DURATION:
		return fmt_duration(*(const int64_t *)p, "0", buf, len);
	case T_SECONDS:
		snprintf(buf, len, "%gs", *(const double *)p);
		return buf;
	case T_SIZE:
		return fmt_size(*(const uint64_t *)p, "0", buf, len);
	case T_LIST: {
		strlist l = *(strlist const *)p;
		size_t total = 1;
		for (size_t i = 0; l && l[i]; i++)
			total += strlen(l[i]) + 1;
		*heap = malloc(total);
		if (!*heap)
			return "?";
		(*heap)[0] = '\0';
		for (size_t i = 0; l && l[i]; i++) {
			if (i)
				strcat(*heap, ",");
			strcat(*heap, l[i]);
		}
		return *heap;
	}
	}
	return "?";
}

/* Keep the error with the lowest line; line 0 (whole file) only if none. */
static void set_error(struct parse_state *st, int line, const char *fmt, ...)
{
	if (st->err_set && (line == 0 || (st->err_line != 0 && st->err_line <= line)))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->err_msg, sizeof(st->err_msg), fmt, ap);
	va_end(ap);
	st->err_set = true;
	st->err_line = line;
}

static char *st_strdup(struct parse_state *st, const char *s)
{
	char *p = strdup(s);
	if (!p)
		set_error(st, st->lineno, "out of memory");
	return p;
}

static strlist strlist_new(struct parse_state *st, const char *first)
{
	strlist l = calloc(2, sizeof(char *));
	if (!l) {
		set_error(st, st->lineno, "out of memory");
		return NULL;
	}
	if (first && !(l[0] = st_strdup(st, first))) {
		free(l);
		return NULL;
	}
	return l;
}

static void strlist_free(strlist list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

/* Append a copy of item (len bytes) to *list. */
static bool strlist_append(struct parse_state *st, strlist *list,
			   const char *item, size_t len)
{
	size_t n = strlist_len(*list);
	strlist l = realloc(*list, (n + 2) * sizeof(char *));
	char *copy = strndup(item, len);
	if (!l || !copy) {
		if (l)
			*list = l;
		free(copy);
		set_error(st, st->lineno, "out of memory");
		return false;
	}
	l[n] = copy;
	l[n + 1] = NULL;
	*list = l;
	return true;
}

/*
 * hba_file into cfg->hba.  A rule asking for a password needs the
 * auth_file, as auth_type = md5 does; say which rule.
 */
static bool load_hba(struct config *cfg, char *errbuf, size_t errlen)
{
	const struct hba_rule *r;

	cfg->hba = hba_load(cfg->hba_file, errbuf, errlen);
	if (!cfg->hba)
		return false;
	r = hba_first_password_rule(cfg->hba);
	if (r && !cfg->auth_file[0] && !cfg->auth_user[0]) {
		snprintf(errbuf, errlen, "%s:%d: method %s needs auth_file in %s (the user list "
			 "with passwords)", cfg->hba_file, r->line, hba_method_name(r->method),
			 cfg->path);
		return false;
	}
	/* as PostgreSQL: "client certificates can only be checked if a root certificate store is available" */
	r = hba_first_certificate_rule(cfg->hba);
	if (r && (!cfg->client_tls_ca_file[0] || cfg->client_tls_sslmode == TLS_DISABLE)) {
		snprintf(errbuf, errlen, "%s:%d: %s needs client TLS and client_tls_ca_file in %s "
			 "(client certificates can only be checked against a CA)", cfg->hba_file,
			 r->line, r->method == HBA_CERT ? "method cert" : "clientcert", cfg->path);
		return false;
	}
	return true;
}

static void config_defaults(struct parse_state *st)
{
	struct config *cfg = st->cfg;

	cfg->listen_addr = strlist_new(st, "127.0.0.1");
	cfg->listen_port = 6432;
	cfg->unix_socket_mode = 0777;
	cfg->listen_backlog = 128;
	cfg->auth_type = AUTH_TRUST;
	cfg->auth_query = st_strdup(st, AUTH_QUERY_DEFAULT);
	cfg->pool_mode = POOL_MODE_TRANSACTION;
	cfg->default_pool_size = 20;
	cfg->min_pool_size = 0;
	cfg->max_client_conn = 10000;
	cfg->admin_users = strlist_new(st, NULL);
	cfg->stats_users = strlist_new(st, NULL);
	cfg->server_reset_query = st_strdup(st, "DISCARD ALL");
	cfg->server_reset_query_always = false;
	cfg->max_prepared_statements = 200;
	cfg->track_extra_parameters = strlist_new(st, "*");
	cfg->server_idle_timeout_ms = 600 * MS_S;
	cfg->server_lifetime_ms = 3600 * MS_S;
	cfg->server_connect_timeout_ms = 15 * MS_S;
	cfg->server_login_retry_ms = 1 * MS_S;
	cfg->query_wait_timeout_ms = 120 * MS_S;
	cfg->query_timeout_ms = 0;
	cfg->client_login_timeout_ms = 60 * MS_S;
	cfg->client_idle_timeout_ms = 0;
	cfg->idle_transaction_timeout_ms = 0;
	cfg->shutdown_timeout_ms = 30 * MS_S;
	cfg->max_packet_size = 64ULL << 20;
	cfg->client_message_timeout_ms = 30 * MS_S;
	cfg->auth_failure_limit = 10;
	cfg->auth_failure_window_ms = 60 * MS_S;
	cfg->client_buffer_limit = 256ULL << 20;
	cfg->client_tls_sslmode = TLS_DISABLE;	/* resolved in finish() */
	cfg->client_tls_ciphers = st_strdup(st, "HIGH:!aNULL");
	cfg->server_tls_sslmode = TLS_PREFER;
	cfg->tcp_keepalive = true;
	cfg->workers = 1;
	cfg->log_level = LOG_LVL_INFO;
	cfg->stats_period_ms = 60 * MS_S;

	cfg->max_lag_s = 5.0;
	cfg->max_lag_bytes = 0;
	cfg->causal_read_timeout_ms = 5;
	cfg->check_interval_ms = 100;
	cfg->health_check_timeout_ms = 2 * MS_S;
	cfg->health_check_failures = 3;
	cfg->catalog_refresh_ms = 60 * MS_S;
	cfg->read_your_writes = RYW_LSN;
	cfg->read_your_writes_scope = RYW_SCOPE_SESSION;
	cfg->sticky_ttl_ms = 60 * MS_S;
	cfg->on_no_replica = NO_REPLICA_PRIMARY;
	cfg->fallback_ambiguous = false;
	cfg->read_functions = strlist_new(st, NULL);
	cfg->write_functions = strlist_new(st, NULL);
	cfg->primary_patterns = strlist_new(st, NULL);
	cfg->replica_patterns = strlist_new(st, NULL);

	cfg->move_timeout_ms = 30 * MS_S;
	cfg->move_data_timeout_ms = 3600 * MS_S;
	cfg->unknown_tenant = UNKNOWN_TENANT_REJECT;
	cfg->stats_listen = st_strdup(st, "127.0.0.1:9930");

	/* Every other top-level string defaults to "" (never NULL). */
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_def *k = &keys[i];
		if (k->sect == SECT_CLUSTER || k->sect == SECT_NODE)
			continue;
		if (k->type != T_STR && k->type != T_HOSTPORT && k->type != T_PATTERN)
			continue;
		char **p = (char **)((char *)cfg + k->offset);
		if (!*p)
			*p = st_strdup(st, "");
	}
}

static const char *sect_label(enum sect_kind s)
{
	switch (s) {
	case SECT_PGSTEER: return "[pgsteer]";
	case SECT_ROUTING: return "[routing]";
	case SECT_TENANCY: return "[tenancy]";
	case SECT_STATS: return "[stats]";
	case SECT_CLUSTER: return "[cluster.NAME]";
	case SECT_NODE: return "[node.NAME]";
	case SECT_NONE:
	case SECT_INVALID:
		break;
	}
	return "?";
}

static bool valid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* Grow the cluster or node array (and its key-line record) by one. */
static bool add_instance(struct parse_state *st, bool cluster, const char *name, int line)
{
	struct config *cfg = st->cfg;
	int *n = cluster ? &cfg->n_clusters : &cfg->n_nodes;
	int *cap = cluster ? &st->cap_clusters : &st->cap_nodes;
	if (*n == *cap) {
		int ncap = *cap ? *cap * 2 : 4;
		size_t esz = cluster ? sizeof(struct config_cluster) : sizeof(struct config_node);
		void **arr = cluster ? (void **)&cfg->clusters : (void **)&cfg->nodes;
		struct key_lines **lines = cluster ? &st->cluster_lines : &st->node_lines;
		void *na = realloc(*arr, (size_t)ncap * esz);
		if (!na)
			goto oom;
		*arr = na;
		void *nl = realloc(*lines, (size_t)ncap * sizeof(struct key_lines));
		if (!nl)
			goto oom;
		*lines = nl;
		*cap = ncap;
	}
	char *copy = st_strdup(st, name);
	if (!copy)
		return false;
	if (cluster) {
		struct config_cluster *c = &cfg->clusters[*n];
		memset(c, 0, sizeof(*c));
		c->name = copy;
		c->line = line;
		c->databases = strlist_new(st, "*");
		memset(&st->cluster_lines[*n], 0, sizeof(struct key_lines));
	} else {
		struct config_node *nd = &cfg->nodes[*n];
		memset(nd, 0, sizeof(*nd));
		nd->name = copy;
		nd->line = line;
		nd->port = 5432;
		nd->weight = 1;
		nd->cluster_index = -1;
		memset(&st->node_lines[*n], 0, sizeof(struct key_lines));
	}
	st->sect_index = (*n)++;
	return true;
oom:
	set_error(st, line, "out of memory");
	return false;
}

/* A "[name]" header seen by the reader (name already trimmed). */
static void begin_section(struct parse_state *st, const char *name, int line)
{
	static const struct { const char *name; enum sect_kind kind; } fixed[] = {
		{ "pgsteer", SECT_PGSTEER }, { "routing", SECT_ROUTING },
		{ "tenancy", SECT_TENANCY }, { "stats", SECT_STATS },
	};
	st->sect = SECT_INVALID;
	st->last_key = -1;
	for (size_t i = 0; i < N_ELEMS(fixed); i++) {
		if (strcmp(name, fixed[i].name) != 0)
			continue;
		int *seen = &st->global_sect_line[fixed[i].kind];
		if (*seen) {
			set_error(st, line, "duplicate section [%s] (first at line %d)", name, *seen);
			return;
		}
		*seen = line;
		st->sect = fixed[i].kind;
		return;
	}
	bool cluster = strncmp(name, "cluster.", 8) == 0;
	bool node = strncmp(name, "node.", 5) == 0;
	if (!cluster && !node) {
		set_error(st, line, "unknown section [%s] (expected [pgsteer], [routing], "
			  "[tenancy], [stats], [cluster.NAME] or [node.NAME])", name);
		return;
	}
	const char *inst = name + (cluster ? 8 : 5);
	if (!valid_name(inst)) {
		set_error(st, line, "bad %s name \"%s\" in [%s] (use letters, digits, '_' and '-')",
			  cluster ? "cluster" : "node", inst, name);
		return;
	}
	struct config *cfg = st->cfg;
	int n = cluster ? cfg->n_clusters : cfg->n_nodes;
	for (int i = 0; i < n; i++) {
		const char *other = cluster ? cfg->clusters[i].name : cfg->nodes[i].name;
		int oline = cluster ? cfg->clusters[i].line : cfg->nodes[i].line;
		if (strcmp(other, inst) == 0) {
			set_error(st, line, "duplicate section [%s] (first at line %d)", name, oline);
			return;
		}
	}
	if (add_instance(st, cluster, inst, line))
		st->sect = cluster ? SECT_CLUSTER : SECT_NODE;
}

/*
 * inih's find_chars_or_comment(): the first char of chars, or an inline
 * comment (';' after whitespace), or the end.
 */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
	bool was_space = false;
	while (*s && (!chars || !strchr(chars, *s)) &&
	       !(INI_ALLOW_INLINE_COMMENTS && was_space && strchr(INI_INLINE_COMMENT_PREFIXES, *s))) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

/*
 * Classify the line inih is about to parse, mirroring its order of tests:
 * comment, continuation, section header, key.  Section headers are handled
 * here because inih never reports a section without keys.
 */
static void classify_line(struct parse_state *st, const char *line)
{
	const char *start = line;
	if (INI_ALLOW_BOM && st->lineno == 1 && (unsigned char)start[0] == 0xEF &&
	    (unsigned char)start[1] == 0xBB && (unsigned char)start[2] == 0xBF)
		start += 3;
	start = skip_space(start);
	st->line_is_cont = false;
	if (*start && strchr(INI_START_COMMENT_PREFIXES, *start))
		return;
	if (INI_ALLOW_MULTILINE && st->have_prev_name && *start && start > line) {
		st->line_is_cont = true;
		return;
	}
	if (*start != '[')
		return;
	const char *end = find_chars_or_comment(start + 1, "]");
	if (*end != ']') {
		set_error(st, st->lineno, "missing ']' in section header");
		return;
	}
	const char *rest = skip_space(end + 1);
	if (*rest && !strchr(INI_INLINE_COMMENT_PREFIXES, *rest) && *rest != '#') {
		set_error(st, st->lineno, "unexpected text after section header: \"%s\"", rest);
		st->sect = SECT_INVALID;
		st->have_prev_name = false;
		return;
	}
	const char *b = skip_space(start + 1);
	const char *e = end;
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	char name[256];
	if ((size_t)(e - b) >= sizeof(name)) {
		set_error(st, st->lineno, "section name too long");
		st->sect = SECT_INVALID;
	} else {
		memcpy(name, b, (size_t)(e - b));
		name[e - b] = '\0';
		begin_section(st, name, st->lineno);
	}
	st->have_prev_name = false;
}

/* fgets-style reader over the in-memory text: one call = one line. */
static char *reader(char *buf, int num, void *stream)
{
	struct parse_state *st = stream;
	if (!*st->pos || num < 2)
		return NULL;
	const char *nl = strchr(st->pos, '\n');
	size_t len = nl ? (size_t)(nl - st->pos) + 1 : strlen(st->pos);
	size_t copy = len;
	st->lineno++;
	if (copy > (size_t)num - 1) {
		copy = (size_t)num - 1;
		set_error(st, st->lineno, "line too long (at most %d characters; "
			  "long lists can continue on indented lines)", num - 3);
	}
	memcpy(buf, st->pos, copy);
	buf[copy] = '\0';
	st->pos += len;
	classify_line(st, buf);
	return buf;
}

static int find_key(enum sect_kind sect, const char *name)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (keys[i].sect == sect && strcasecmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int key_line_get(struct parse_state *st, enum sect_kind sect, int idx, int key)
{
	if (sect == SECT_CLUSTER)
		return st->cluster_lines[idx].line[key];
	if (sect == SECT_NODE)
		return st->node_lines[idx].line[key];
	return st->global.line[key];
}

static int *key_line_ref(struct parse_state *st, int key)
{
	if (st->sect == SECT_CLUSTER)
		return &st->cluster_lines[st->sect_index].line[key];
	if (st->sect == SECT_NODE)
		return &st->node_lines[st->sect_index].line[key];
	return &st->global.line[key];
}

static void *key_ptr(struct parse_state *st, const struct key_def *k)
{
	char *base;
	if (k->sect == SECT_CLUSTER)
		base = (char *)&st->cfg->clusters[st->sect_index];
	else if (k->sect == SECT_NODE)
		base = (char *)&st->cfg->nodes[st->sect_index];
	else
		base = (char *)st->cfg;
	return base + k->offset;
}

/* "a, b or c" from an enum table. */
static void enum_expected(const struct enum_name *e, char *buf, size_t len)
{
	size_t n = 0, used = 0;
	while (e[n].name)
		n++;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + used, len - used, "%s%s",
				 i == 0 ? "" : (i == n - 1 ? " or " : ", "), e[i].name);
		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
}

static void bad_value(struct parse_state *st, const struct key_def *k,
		      const char *value, const char *expected)
{
	set_error(st, st->lineno, "bad value \"%s\" for %s (expected %s)",
		  value, k->name, expected);
}

/* A tenant pattern must compile with PCRE2 and have a named group "tenant". */
static bool valid_tenant_pattern(struct parse_state *st, const struct key_def *k, const char *value)
{
	int err;
	PCRE2_SIZE off;
	PCRE2_UCHAR msg[160];
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)value, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);

	if (!re) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		set_error(st, st->lineno, "bad value \"%s\" for %s: PCRE2 error at offset %zu: %s",
			  value, k->name, (size_t)off, (const char *)msg);
		return false;
	}
	err = pcre2_substring_number_from_name(re, (PCRE2_SPTR)"tenant");
	pcre2_code_free(re);
	if (err < 0) {
		bad_value(st, k, value, "a PCRE2 pattern with a named group (?<tenant>...)");
		return false;
	}
	return true;
}

/* What a range-checked number must look like, for bad_value(). */
static void range_expected(const struct key_def *k, char *buf, size_t len)
{
	char lo[32], hi[32];
	if (k->type == T_INT) {
		if (k->max == INT_MAX)
			snprintf(buf, len, "an integer >= %" PRId64, k->min);
		else
			snprintf(buf, len, "an integer from %" PRId64 " to %" PRId64, k->min, k->max);
	} else if (k->type == T_DURATION) {
		if (k->max == DUR_MAX)
			snprintf(buf, len, "a duration of at least %s (units ms, s, min, h, d; "
				 "bare number = seconds)", fmt_duration(k->min, "0", lo, sizeof(lo)));
		else
			snprintf(buf, len, "a duration between %s and %s",
				 fmt_duration(k->min, "0", lo, sizeof(lo)),
				 fmt_duration(k->max, "0", hi, sizeof(hi)));
	} else {
		if (k->max == INT64_MAX)
			snprintf(buf, len, "a size (units B, kB, MB, GB, TB; bare number = bytes)");
		else
			snprintf(buf, len, "a size between %s and %s",
				 fmt_size((uint64_t)k->min, "0", lo, sizeof(lo)),
				 fmt_size((uint64_t)k->max, "0", hi, sizeof(hi)));
	}
}

/* Strip one pair of matching quotes; false if a quote is left open. */
static bool unquote(const char *in, char *out, size_t outlen)
{
	size_t len = strlen(in);
	if (len > 0 && (in[0] == '"' || in[0] == '\'')) {
		if (len < 2 || in[len - 1] != in[0])
			return false;
		in++;
		len -= 2;
	}
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, in, len);
	out[len] = '\0';
	return true;
}

/*
 * Append the items of a comma list to *list.  Items are trimmed; an item
 * may be quoted to keep commas (a regex such as '^a{1,3}$'); empty items
 * are skipped so that a line may end with a comma before a continuation.
 */
static bool parse_list_into(struct parse_state *st, const struct key_def *k,
			    const char *value, strlist *list)
{
	const char *s = value;
	for (;;) {
		s = skip_space(s);
		if (!*s)
			return true;
		const char *item, *end;
		if (*s == '"' || *s == '\'') {
			char q = *s++;
			item = s;
			end = strchr(s, q);
			if (!end) {
				set_error(st, st->lineno, "unterminated quote in list value for %s", k->name);
				return false;
			}
			s = skip_space(end + 1);
			if (*s && *s != ',') {
				set_error(st, st->lineno, "expected ',' after quoted item in %s", k->name);
				return false;
			}
		} else {
			item = s;
			end = strchr(s, ',');
			if (!end)
				end = s + strlen(s);
			s = end;
			while (end > item && isspace((unsigned char)end[-1]))
				end--;
			if (end == item) {
				if (*s == ',')
					s++;
				continue;
			}
		}
		if (!strlist_append(st, list, item, (size_t)(end - item)))
			return false;
		if (*s == ',')
			s++;
	}
}

static bool valid_hostport(const char *s)
{
	const char *colon;
	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb == s + 1 || rb[1] != ':')
			return false;
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || colon == s || memchr(s, ':', (size_t)(colon - s)))
			return false;
	}
	const char *p = colon + 1;
	if (!*p || strlen(p) > 5)
		return false;
	long port = 0;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		port = port * 10 + (*p - '0');
	}
	return port >= 1 && port <= 65535;
}

/* Parse value into the field of key k (non-list types). */
static void set_value(struct parse_state *st, const struct key_def *k, const char *raw)
{
	char expected[256];
	char value[1024];
	void *p = key_ptr(st, k);

	if (k->type == T_LIST) {
		strlist *l = p;
		strlist_free(*l);
		*l = strlist_new(st, NULL);
		if (*l)
			parse_list_into(st, k, raw, l);
		return;
	}
	if (!unquote(raw, value, sizeof(value))) {
		set_error(st, st->lineno, "unterminated quote in value for %s: %s "
			  "(note: \" ;\" starts a comment)", k->name, raw);
		return;
	}
	switch (k->type) {
	case T_STR:
	case T_HOSTPORT:
	case T_PATTERN: {
		if (k->type == T_HOSTPORT && value[0] && !valid_hostport(value)) {
			bad_value(st, k, value, "HOST:PORT, [IPV6]:PORT or empty to disable");
			return;
		}
		if (k->type == T_PATTERN && value[0] && !valid_tenant_pattern(st, k, value))
			return;
		/* In a cluster, empty means "pass the client's value through". */
		if (k->sect == SECT_CLUSTER && !value[0]) {
			free(*(char **)p);
			*(char **)p = NULL;
			return;
		}
		char *copy = st_strdup(st, value);
		if (copy) {
			free(*(char **)p);
			*(char **)p = copy;
		}
		return;
	}
	case T_INT: {
		char *end;
		errno = 0;
		long long v = strtoll(value, &end, 10);
		bool syntax = end != value && *skip_space(end) == '\0' && errno == 0 &&
			!isspace((unsigned char)value[0]) && value[0] != '+';
		if (!syntax || v < k->min || v > k->max) {
			range_expected(k, expected, sizeof(expected));
			bad_value(st, k, value, expected);
			return;
		}
		*(int *)p = (int)v;
		return;
	}
	case T_OCTAL: {
		char *end;
		errno = 0;
		long v = strtol(value, &end, 8);
		if (end == value || *end || errno || v < 0 || v > k->max || value[0] == '-' ||
		    value[0] == '+' || isspace((unsigned char)value[0])) {
			bad_value(st, k, value, "an octal file mode such as 0777 or 0700");
			return;
		}
		*(int *)p = (int)v;
		return;
	}
	case T_BOOL:
		if (!config_parse_bool(value, (bool *)p))
			bad_value(st, k, value, "on, off, true, false, yes, no, 1 or 0");
		return;
	case T_ENUM:
		for (const struct enum_name *e = k->enums; e->name; e++) {
			if (strcasecmp(value, e->name) == 0) {
				*(int *)p = e->value;
				return;
			}
		}
		enum_expected(k->enums, expected, sizeof(expected));
		bad_value(st, k, value, expected);
		return;
	case T_LOGLEVEL: {
		enum log_level lvl;
		if (!log_parse_level(value, &lvl)) {
			bad_value(st, k, value, "error, warning, info or debug");
			return;
		}
		*(int *)p = (int)lvl;
		return;
	}
	case T_DURATION: {
		int64_t ms;
		if (!config_parse_duration_ms(value, &ms)) {
			bad_value(st, k, value, "a duration: a number with unit ms, s, min, h "
				  "or d (bare number = seconds), in whole milliseconds");
			return;
		}
		if (ms < k->min || ms > k->max) {
			range_expected(k, expected, sizeof(expected));
			bad_value(st, k, value, expected);
			return;
		}
		*(int64_t *)p = ms;
		return;
	}
	case T_SECONDS: {
		double s;
		if (!parse_seconds(value, &s) || s > 1e9) {
			bad_value(st, k, value, "seconds (fractions allowed), or a number with "
				  "unit ms, s, min, h or d");
			return;
		}
		*(double *)p = s;
		return;
	}
	case T_SIZE: {
		uint64_t b;
		if (!config_parse_size(value, &b)) {
			bad_value(st, k, value, "a size: a number with unit B, kB, MB, GB or TB "
				  "(bare number = bytes)");
			return;
		}
		if (b < (uint64_t)k->min || b > (uint64_t)k->max) {
			range_expected(k, expected, sizeof(expected));
			bad_value(st, k, value, expected);
			return;
		}
		*(uint64_t *)p = b;
		return;
	}
	case T_LIST:
		break;
	}
}

/* Edit distance of A and B (letters, case-insensitive), up to 64 characters each; else a large number. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[65], cur[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

/* The key of SECT closest to NAME when it is a near miss (a typo: at most 2 edits, or 1 for short names). */
static const char *nearest_key(enum sect_kind sect, const char *name)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, limit = strlen(name) <= 5 ? 1 : 2;

	for (size_t i = 0; i < N_KEYS; i++) {
		size_t d;
		if (keys[i].sect != sect)
			continue;
		d = edit_distance(name, keys[i].name);
		if (d < best_d) {
			best_d = d;
			best = keys[i].name;
		}
	}
	return best_d <= limit ? best : NULL;
}

/* "unknown key" with a hint when the key lives in another section, or is a near miss of one. */
static void unknown_key(struct parse_state *st, const char *name)
{
	char where[300];
	if (st->sect == SECT_CLUSTER)
		snprintf(where, sizeof(where), "[cluster.%s]", st->cfg->clusters[st->sect_index].name);
	else if (st->sect == SECT_NODE)
		snprintf(where, sizeof(where), "[node.%s]", st->cfg->nodes[st->sect_index].name);
	else
		snprintf(where, sizeof(where), "%s", sect_label(st->sect));
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcasecmp(keys[i].name, name) == 0) {
			set_error(st, st->lineno, "unknown key \"%s\" in section %s (it belongs in %s)",
				  name, where, sect_label(keys[i].sect));
			return;
		}
	}
	{
		const char *near = nearest_key(st->sect, name);
		if (near) {
			set_error(st, st->lineno, "unknown key \"%s\" in section %s (did you mean %s?)",
				  name, where, near);
			return;
		}
	}
	set_error(st, st->lineno, "unknown key \"%s\" in section %s", name, where);
}

/* An indented line that inih glued onto the previous key. */
static void on_continuation(struct parse_state *st, const char *value)
{
	if (st->last_key < 0)
		return;	/* the key line itself was already rejected */
	const struct key_def *k = &keys[st->last_key];
	if (k->type != T_LIST) {
		set_error(st, st->lineno, "indented line continues %s, which is not a list "
			  "(remove the leading whitespace)", k->name);
		return;
	}
	if (value[0] == '[') {
		set_error(st, st->lineno, "indented section header (remove the leading whitespace)");
		return;
	}
	/* inih keeps inline comments on continuation lines: drop them here. */
	const char *end = find_chars_or_comment(value, NULL);
	char buf[1024];
	size_t len = (size_t)(end - value);
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, value, len);
	buf[len] = '\0';
	parse_list_into(st, k, buf, (strlist *)key_ptr(st, k));
}

/* inih's handler: one call per key line (or continuation line). */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;
	(void)section;	/* may be truncated by inih; the reader tracks our own */

	if (st->line_is_cont) {
		on_continuation(st, value);
		return 1;
	}
	st->have_prev_name = name[0] != '\0';
	st->last_key = -1;
	if (st->sect == SECT_INVALID)
		return 1;
	if (st->sect == SECT_NONE) {
		set_error(st, st->lineno, "key \"%s\" outside of any section "
			  "(start the file with [pgsteer])", name);
		return 1;
	}
	if (!name[0]) {
		set_error(st, st->lineno, "missing key name before '='");
		return 1;
	}
	int key = find_key(st->sect, name);
	if (key < 0) {
		unknown_key(st, name);
		return 1;
	}
	int *line = key_line_ref(st, key);
	if (*line) {
		set_error(st, st->lineno, "duplicate key %s (first set at line %d)", name, *line);
		return 1;
	}
	*line = st->lineno;
	st->last_key = key;
	set_value(st, &keys[key], value);
	return 1;
}

static int global_line(struct parse_state *st, const char *name, enum sect_kind sect)
{
	int k = find_key(sect, name);
	return k < 0 ? 0 : st->global.line[k];
}

/*
 * auth_query must take the user name as $1: it is sent as a parameter,
 * never spliced in.  (Without auth_user it is unused, as in PgBouncer.)
 */
static void check_auth_query(struct parse_state *st)
{
	struct config *cfg = st->cfg;
	int q_line = global_line(st, "auth_query", SECT_PGSTEER);

	if (!cfg->auth_query[0])
		set_error(st, q_line, "auth_query is empty (it must return name and password for $1)");
	else if (!strstr(cfg->auth_query, "$1"))
		set_error(st, q_line, "auth_query must use $1 for the user name");
}

/* Checks one TLS side: cert and key go together; sslmode needs them. */
static void check_client_tls(struct parse_state *st)
{
	struct config *cfg = st->cfg;
	bool cert = cfg->client_tls_cert_file[0], key = cfg->client_tls_key_file[0];
	int cert_line = global_line(st, "client_tls_cert_file", SECT_PGSTEER);
	int key_line = global_line(st, "client_tls_key_file", SECT_PGSTEER);
	int mode_line = global_line(st, "client_tls_sslmode", SECT_PGSTEER);

	if (cert && !key)
		set_error(st, cert_line, "client_tls_cert_file is set but client_tls_key_file is not");
	else if (key && !cert)
		set_error(st, key_line, "client_tls_key_file is set but client_tls_cert_file is not");
	if (!mode_line)
		cfg->client_tls_sslmode = cert && key ? TLS_PREFER : TLS_DISABLE;
	else if (cfg->client_tls_sslmode != TLS_DISABLE && !(cert && key))
		set_error(st, mode_line, "client_tls_sslmode = %s needs client_tls_cert_file "
			  "and client_tls_key_file",
			  config_tls_mode_name(cfg->client_tls_sslmode));
	else if (cfg->client_tls_sslmode >= TLS_VERIFY_CA && !cfg->client_tls_ca_file[0])
		set_error(st, mode_line, "client_tls_sslmode = %s needs client_tls_ca_file (the CA "
			  "that signs client certificates)",
			  config_tls_mode_name(cfg->client_tls_sslmode));
	if (cfg->auth_type == AUTH_CERT && (!cfg->client_tls_ca_file[0] ||
					    cfg->client_tls_sslmode == TLS_DISABLE))
		set_error(st, global_line(st, "auth_type", SECT_PGSTEER),
			  "auth_type = cert needs client TLS (client_tls_sslmode, client_tls_cert_file, "
			  "client_tls_key_file) and client_tls_ca_file");

	if (cfg->stats_tls && !(cert && key))
		set_error(st, global_line(st, "tls", SECT_STATS),
			  "[stats] tls = on needs client_tls_cert_file and client_tls_key_file");

	if (cfg->server_tls_sslmode >= TLS_VERIFY_CA && !cfg->server_tls_ca_file[0])
		set_error(st, global_line(st, "server_tls_sslmode", SECT_PGSTEER),
			  "server_tls_sslmode = %s needs server_tls_ca_file",
			  config_tls_mode_name(cfg->server_tls_sslmode));
	bool scert = cfg->server_tls_cert_file[0], skey = cfg->server_tls_key_file[0];
	if (scert && !skey)
		set_error(st, global_line(st, "server_tls_cert_file", SECT_PGSTEER),
			  "server_tls_cert_file is set but server_tls_key_file is not");
	else if (skey && !scert)
		set_error(st, global_line(st, "server_tls_key_file", SECT_PGSTEER),
			  "server_tls_key_file is set but server_tls_cert_file is not");
}

/* Whole-file validation after parsing; the lowest-line error wins. */
static bool finish(struct parse_state *st)
{
	struct config *cfg = st->cfg;

	/* Whole-file problems first: they explain every per-section one. */
	if (cfg->n_clusters == 0) {
		set_error(st, 0, "no [cluster.NAME] section: at least one cluster is required");
		return false;
	}
	if (cfg->n_nodes == 0) {
		set_error(st, 0, "no [node.NAME] section: at least one node is required");
		return false;
	}
	check_client_tls(st);
	if (cfg->min_pool_size > cfg->default_pool_size) {
		int line = global_line(st, "min_pool_size", SECT_PGSTEER);
		set_error(st, line ? line : global_line(st, "default_pool_size", SECT_PGSTEER),
			  "min_pool_size (%d) is larger than default_pool_size (%d)",
			  cfg->min_pool_size, cfg->default_pool_size);
	}
	if (cfg->auth_type != AUTH_TRUST && cfg->auth_type != AUTH_CERT && !cfg->auth_file[0] &&
	    !cfg->auth_user[0])
		set_error(st, global_line(st, "auth_type", SECT_PGSTEER),
			  "auth_type = %s needs auth_file (the user list with passwords) or auth_user",
			  config_auth_type_name(cfg->auth_type));
	check_auth_query(st);

	bool dangling = false;	/* a node names a missing cluster */
	int k_cluster = find_key(SECT_NODE, "cluster");
	int k_host = find_key(SECT_NODE, "host");
	for (int i = 0; i < cfg->n_nodes; i++) {
		struct config_node *n = &cfg->nodes[i];
		if (!n->cluster) {
			set_error(st, n->line, "[node.%s] has no cluster key (required)", n->name);
			dangling = true;
			continue;
		}
		if (!n->host)
			set_error(st, n->line, "[node.%s] has no host key (required)", n->name);
		else if (!n->host[0])
			set_error(st, key_line_get(st, SECT_NODE, i, k_host),
				  "[node.%s] host is empty", n->name);
		n->cluster_index = config_cluster_index(cfg, n->cluster);
		dangling |= n->cluster_index < 0;
		if (n->cluster_index < 0)
			set_error(st, key_line_get(st, SECT_NODE, i, k_cluster),
				  "[node.%s] names cluster \"%s\", but there is no [cluster.%s] section",
				  n->name, n->cluster, n->cluster);
		else
			cfg->clusters[n->cluster_index].n_nodes++;
	}
	for (int i = 0; i < cfg->n_clusters; i++) {
		struct config_cluster *c = &cfg->clusters[i];
		if (c->n_nodes == 0 && !dangling)
			set_error(st, c->line, "[cluster.%s] has no nodes (add a [node.NAME] "
				  "section with cluster = %s)", c->name, c->name);
		if (strlist_len(c->databases) == 0)
			set_error(st, key_line_get(st, SECT_CLUSTER, i, find_key(SECT_CLUSTER, "databases")),
				  "[cluster.%s] databases is empty (use * for any database)", c->name);
	}
	if (cfg->metadata_cluster[0] && config_cluster_index(cfg, cfg->metadata_cluster) < 0)
		set_error(st, global_line(st, "metadata_cluster", SECT_TENANCY),
			  "metadata_cluster \"%s\" is not a [cluster.NAME] section",
			  cfg->metadata_cluster);
	if ((cfg->database_pattern[0] || cfg->user_pattern[0]) && !cfg->metadata_cluster[0])
		set_error(st, global_line(st, cfg->database_pattern[0] ? "database_pattern" :
					  "user_pattern", SECT_TENANCY),
			  "tenant patterns need metadata_cluster in [tenancy]");
	if (strlist_len(cfg->listen_addr) == 0 && !cfg->unix_socket_dir[0])
		set_error(st, global_line(st, "listen_addr", SECT_PGSTEER),
			  "listen_addr is empty and unix_socket_dir is not set: nothing to listen on");
	return !st->err_set;
}

/* Largest unit that divides exactly: 600000 → "10min". */
static const char *fmt_duration(int64_t ms, const char *zero, char *buf, size_t len)
{
	if (ms == 0) {
		snprintf(buf, len, "%s", zero);
		return buf;
	}
	for (int i = 4; i >= 0; i--) {
		int64_t m = (int64_t)duration_units[i].mult;
		if (ms % m == 0) {
			snprintf(buf, len, "%" PRId64 "%s", ms / m, duration_units[i].name);
			return buf;
		}
	}
	return buf;
}

static const char *fmt_size(uint64_t b, const char *zero, char *buf, size_t len)
{
	if (b == 0) {
		snprintf(buf, len, "%s", zero);
		return buf;
	}
	for (int i = 4; i >= 0; i--) {
		if (b % size_units[i].mult == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", b / size_units[i].mult, size_units[i].name);
			return buf;
		}
	}
	return buf;
}

static void print_list(FILE *out, strlist l)
{
	if (!l || !l[0]) {
		fputs("-", out);
		return;
	}
	for (size_t i = 0; l[i]; i++)
		fprintf(out, "%s%s", i ? "," : "", l[i]);
}

static const char *str_or(const char *s, const char *dflt)
{
	return s && s[0] ? s : dflt;
}

/* The names log_level accepts (log_level_name() gives the line prefix). */
static const char *log_level_label(int lvl)
{
	switch (lvl) {
	case LOG_LVL_ERROR: return "error";
	case LOG_LVL_WARNING: return "warning";
	case LOG_LVL_INFO: return "info";
	case LOG_LVL_DEBUG: return "debug";
	}
	return "?";
}
