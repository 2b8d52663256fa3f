/*
 * auth_query lookups.  Owns the libpq connections that run auth_query as
 * auth_user, the FIFO of lookups on each, and the table of what the
 * lookups found (secrets, SCRAM passthrough keys).  It knows nothing
 * about clients: client.c asks and gets a callback.  It must never block
 * the event loop: libpq is driven with PQconnectStartParams/PQconnectPoll,
 * PQsendQueryParams and PQconsumeInput on socket events, as metadata.c
 * and monitor.c do.
 *
 * Design.  One connection per (node, database), kept open and reused:
 * a login storm costs one connect, not one per client.  Lookups on a
 * connection run one at a time in arrival order; each has a deadline
 * (server_connect_timeout, covering the connect and the query), checked by
 * a timer.  A lookup that times out while it is on the wire takes its
 * connection down with it (the answer would arrive out of turn otherwise);
 * the others queued there fail with the same reason, since they would wait
 * on the same hung node.  A connection is retired (closed once idle) when
 * its node stops being the primary of its cluster or a reload changes
 * auth_user, its password or auth_dbname; an idle one closes after
 * server_idle_timeout, or at once when PostgreSQL closes it.  New lookups
 * never go to a retired connection.
 *
 * Callbacks never run inside authquery_lookup(): the first send happens
 * from a deferred event, so the caller can record its state first.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "auth.h"
#include "authquery.h"
#include "common.h"
#include "log.h"
#include "monitor.h"
#include "pgsteer.h"
#include "pqwatch.h"
#include "world.h"

#define TICK_MS 100

enum aq_state {
	AQ_CONNECTING,		/* PQconnectPoll in progress */
	AQ_READY,		/* idle, watching for the server closing it */
	AQ_BUSY,		/* the queue's head is on the wire */
};

struct authquery_req {
	struct list head;		/* aq_conn.queue */
	char user[NAME_LEN];
	int64_t deadline_ms;
	authquery_cb cb;		/* NULL once cancelled */
	void *arg;
};

struct aq_conn {
	struct list head;		/* aq.conns */
	enum aq_state state;
	PGconn *conn;
	struct pq_watch io;
	int node;			/* config node index */
	char node_name[NAME_LEN];
	char host[256];			/* where the node was when it connected */
	int port;
	char cluster[NAME_LEN];
	char dbname[NAME_LEN];
	bool retire;			/* close once idle; take no new lookups */
	int64_t state_since_ms;
	PGresult *result;		/* last good result of the query in flight */
	PGresult *err_result;		/* first error result */
	struct list queue;		/* authquery_req, FIFO; head in flight when BUSY */
};

/* What a lookup found for one user of one cluster. */
struct aq_cred {
	struct list head;		/* aq.creds */
	char cluster[NAME_LEN];
	char user[NAME_LEN];
	char secret[AUTHQUERY_SECRET_LEN];
	bool have_keys;			/* a client proved SCRAM against this secret */
	uint8_t client_key[SCRAM_KEY_LEN];
	uint8_t server_key[SCRAM_KEY_LEN];
};

static struct {
	bool started;
	struct event_base *base;
	struct monitor *mon;
	struct event *tick;
	struct event *kick;		/* deferred: send what was queued */
	struct list conns;
	struct list creds;
	char settings_sig[512];
} aq;

static void tick_cb(evutil_socket_t fd, short what, void *arg);
static void kick_cb(evutil_socket_t fd, short what, void *arg);
static void io_cb(evutil_socket_t fd, short what, void *arg);
static struct aq_conn *conn_open(int node, const char *dbname);
static void conn_lost(struct aq_conn *ac, const char *why);
static void conn_pump(struct aq_conn *ac);
static void conn_answer(struct aq_conn *ac);
static void settings_signature(const struct config *cfg, char *out, size_t len);
static void remember_secret(const char *cluster, const char *user, const char *secret);
static void forget_secret(const char *cluster, const char *user);
static void cred_free(struct aq_cred *cr);

/* ---------------- Public functions ---------------- */

enum authquery_outcome authquery_interpret(int ntuples, int nfields, const char *password,
					   char *secret, size_t secret_len,
					   char *msg, size_t msg_len)
{
	struct scram_secret sec;
	size_t n;

	secret[0] = '\0';
	msg[0] = '\0';
	if (nfields != 2) {
		snprintf(msg, msg_len, "auth_query must return 2 columns (name, password), it returned %d",
			 nfields);
		return AUTHQUERY_FAILED;
	}
	if (ntuples == 0)
		return AUTHQUERY_NO_SECRET;
	if (ntuples > 1) {
		snprintf(msg, msg_len, "auth_query returned %d rows for one user (expected at most 1)",
			 ntuples);
		return AUTHQUERY_FAILED;
	}
	if (!password || !password[0])
		return AUTHQUERY_NO_SECRET;
	n = strlen(password);
	if (n >= secret_len) {
		snprintf(msg, msg_len, "auth_query returned a password of %zu bytes (at most %zu)",
			 n, secret_len - 1);
		return AUTHQUERY_FAILED;
	}
	if (auth_secret_kind(password) == SECRET_SCRAM) {
		bool ok = scram_parse_secret(password, &sec);
		OPENSSL_cleanse(&sec, sizeof(sec));
		if (!ok) {
			snprintf(msg, msg_len, "auth_query returned a malformed SCRAM secret");
			return AUTHQUERY_FAILED;
		}
	}
	memcpy(secret, password, n + 1);
	return AUTHQUERY_FOUND;
}

int authquery_start(struct event_base *base, struct monitor *mon)
{
	struct timeval tv = { 0, TICK_MS * 1000 };

	memset(&aq, 0, sizeof(aq));
	aq.base = base;
	aq.mon = mon;
	list_init(&aq.conns);
	list_init(&aq.creds);
	aq.tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	aq.kick = event_new(base, -1, 0, kick_cb, NULL);
	if (!aq.tick || !aq.kick || event_add(aq.tick, &tv) != 0)
		return -1;
	settings_signature(rt.cfg, aq.settings_sig, sizeof(aq.settings_sig));
	aq.started = true;
	return 0;
}

void authquery_reconfigure(const struct config *cfg)
{
	char sig[sizeof(aq.settings_sig)];
	struct list *it, *tmp;

	if (!aq.started)
		return;
	settings_signature(cfg, sig, sizeof(sig));
	if (strcmp(sig, aq.settings_sig) != 0) {
		memcpy(aq.settings_sig, sig, sizeof(sig));
		list_for_each(it, &aq.conns)
			container_of(it, struct aq_conn, head)->retire = true;
	}
	OPENSSL_cleanse(sig, sizeof(sig));
	/* node indexes may have moved; a node that is gone takes its connection with it */
	list_for_each_safe(it, tmp, &aq.conns) {
		struct aq_conn *ac = container_of(it, struct aq_conn, head);
		int idx = -1;
		for (int i = 0; i < cfg->n_nodes && idx < 0; i++)
			if (strcmp(cfg->nodes[i].name, ac->node_name) == 0)
				idx = i;
		if (idx < 0) {
			conn_lost(ac, "its node was removed from the configuration");
			continue;
		}
		ac->node = idx;
		if (strcmp(cfg->nodes[idx].host, ac->host) != 0 || cfg->nodes[idx].port != ac->port)
			ac->retire = true;	/* the node moved */
	}
	if (!cfg->auth_user[0]) {
		list_for_each_safe(it, tmp, &aq.creds)
			cred_free(container_of(it, struct aq_cred, head));
	}
}

void authquery_stop(void)
{
	struct list *it, *tmp;

	if (!aq.started)
		return;
	list_for_each_safe(it, tmp, &aq.conns)
		conn_lost(container_of(it, struct aq_conn, head), "pgsteer is stopping");
	list_for_each_safe(it, tmp, &aq.creds)
		cred_free(container_of(it, struct aq_cred, head));
	event_free(aq.tick);
	event_free(aq.kick);
	OPENSSL_cleanse(aq.settings_sig, sizeof(aq.settings_sig));
	aq.started = false;
}

struct authquery_req *authquery_lookup(int node_index, const char *dbname, const char *user,
				       authquery_cb cb, void *arg)
{
	struct authquery_req *r;
	struct aq_conn *ac = NULL;
	struct list *it;

	if (!aq.started)
		return NULL;
	list_for_each(it, &aq.conns) {
		struct aq_conn *x = container_of(it, struct aq_conn, head);
		if (!x->retire && x->node == node_index && strcmp(x->dbname, dbname) == 0) {
			ac = x;
			break;
		}
	}
	if (!ac && !(ac = conn_open(node_index, dbname)))
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	snprintf(r->user, sizeof(r->user), "%s", user);
	r->deadline_ms = now_ms() + rt.cfg->server_connect_timeout_ms;
	r->cb = cb;
	r->arg = arg;
	list_push_tail(&ac->queue, &r->head);
	event_active(aq.kick, 0, 0);
	return r;
}

void authquery_cancel(struct authquery_req *req)
{
	if (req)
		req->cb = NULL;
}

void authquery_remember_keys(const char *cluster, const char *user, const char *secret,
			     const uint8_t client_key[SCRAM_KEY_LEN],
			     const uint8_t server_key[SCRAM_KEY_LEN])
{
	struct list *it;

	list_for_each(it, &aq.creds) {
		struct aq_cred *cr = container_of(it, struct aq_cred, head);
		if (strcmp(cr->cluster, cluster) != 0 || strcmp(cr->user, user) != 0)
			continue;
		if (strcmp(cr->secret, secret) != 0)
			return;		/* a newer lookup replaced it meanwhile */
		memcpy(cr->client_key, client_key, SCRAM_KEY_LEN);
		memcpy(cr->server_key, server_key, SCRAM_KEY_LEN);
		cr->have_keys = true;
		return;
	}
}

bool authquery_server_secret(const char *cluster, const char *user,
			     char secret[AUTHQUERY_SECRET_LEN],
			     uint8_t client_key[SCRAM_KEY_LEN], uint8_t server_key[SCRAM_KEY_LEN],
			     bool *have_keys)
{
	struct list *it;

	*have_keys = false;
	if (!aq.started)
		return false;
	list_for_each(it, &aq.creds) {
		struct aq_cred *cr = container_of(it, struct aq_cred, head);
		if (strcmp(cr->cluster, cluster) != 0 || strcmp(cr->user, user) != 0)
			continue;
		memcpy(secret, cr->secret, AUTHQUERY_SECRET_LEN);
		if (cr->have_keys) {
			memcpy(client_key, cr->client_key, SCRAM_KEY_LEN);
			memcpy(server_key, cr->server_key, SCRAM_KEY_LEN);
			*have_keys = true;
		}
		return true;
	}
	return false;
}

/* ---------------- Internal functions ---------------- */

/* Everything that decides how a connection is made; secrets included, never logged. */
static void settings_signature(const struct config *cfg, char *out, size_t len)
{
	const struct auth_entry *e = rt.auth ? auth_file_find(rt.auth, cfg->auth_user) : NULL;

	snprintf(out, len, "%s|%s|%s|%d", cfg->auth_user, cfg->auth_dbname,
		 e ? e->secret : "", (int)cfg->server_tls_sslmode);
	for (int i = 0; i < cfg->n_clusters; i++) {
		size_t used = strlen(out);
		snprintf(out + used, len - used, "|%s", cfg->clusters[i].server_password ?
			 cfg->clusters[i].server_password : "");
	}
}

static void set_state(struct aq_conn *ac, enum aq_state s)
{
	ac->state = s;
	ac->state_since_ms = now_ms();
}

/* "FATAL:  message\n\tHINT..." -> "message": the first line, for logs and the client. */
static void clean_message(const char *in, char *out, size_t len)
{
	size_t n = 0;

	if (strncmp(in, "ERROR:  ", 8) == 0 || strncmp(in, "FATAL:  ", 8) == 0)
		in += 8;
	for (; *in && *in != '\n' && *in != '\r' && n + 1 < len; in++)
		out[n++] = *in == '\t' ? ' ' : *in;
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static void notice_cb(void *arg, const char *message)
{
	struct aq_conn *ac = arg;
	char msg[256];

	clean_message(message, msg, sizeof(msg));
	log_debug("auth_query (node %s): server says: %s", ac->node_name, msg);
}

/*
 * auth_user's password: its auth_file entry if that is a plain password
 * (libpq cannot log in with a hash), else the cluster's server_password;
 * NULL (none) lets trust or peer authentication do.
 */
static const char *auth_user_password(const struct config_cluster *cl)
{
	const struct auth_entry *e = rt.auth ? auth_file_find(rt.auth, rt.cfg->auth_user) : NULL;

	if (e && e->kind == SECRET_PLAIN)
		return e->secret;
	if (cl->server_password && *cl->server_password)
		return cl->server_password;
	if (e)
		log_warning("auth_query: auth_user \"%s\" has a hash in auth_file; libpq needs the "
			    "plain password (or set server_password in [cluster.%s])",
			    rt.cfg->auth_user, cl->name);
	return NULL;
}

/* Start connecting to NODE as auth_user; the connection is listed even if it failed at once. */
static struct aq_conn *conn_open(int node, const char *dbname)
{
	const struct config *cfg = rt.cfg;
	const struct config_node *cn = &cfg->nodes[node];
	const struct config_cluster *cl = &cfg->clusters[cn->cluster_index];
	const char *keys[12], *vals[12], *pw;
	char port[16], numeric[16];
	struct aq_conn *ac;
	int k = 0;

	ac = calloc(1, sizeof(*ac));
	if (!ac)
		return NULL;
	list_init(&ac->queue);
	ac->io.fd = -1;
	ac->node = node;
	snprintf(ac->node_name, sizeof(ac->node_name), "%s", cn->name);
	snprintf(ac->host, sizeof(ac->host), "%s", cn->host);
	ac->port = cn->port;
	snprintf(ac->cluster, sizeof(ac->cluster), "%s", cl->name);
	snprintf(ac->dbname, sizeof(ac->dbname), "%s", dbname);
	list_push_tail(&aq.conns, &ac->head);
	set_state(ac, AQ_CONNECTING);

	snprintf(port, sizeof(port), "%d", cn->port);
	keys[k] = "host", vals[k++] = cn->host;
	if (inet_pton(AF_INET, cn->host, numeric) == 1 || inet_pton(AF_INET6, cn->host, numeric) == 1)
		keys[k] = "hostaddr", vals[k++] = cn->host;	/* no DNS lookup in PQconnectStart */
	keys[k] = "port", vals[k++] = port;
	keys[k] = "dbname", vals[k++] = dbname;
	keys[k] = "user", vals[k++] = cfg->auth_user;
	if ((pw = auth_user_password(cl)) != NULL)
		keys[k] = "password", vals[k++] = pw;
	keys[k] = "application_name", vals[k++] = AUTHQUERY_APP_NAME;
	keys[k] = "sslmode", vals[k++] = config_tls_mode_name(cfg->server_tls_sslmode);
	if (cfg->server_tls_sslmode >= TLS_VERIFY_CA)
		keys[k] = "sslrootcert", vals[k++] = cfg->server_tls_ca_file;
	keys[k] = "gssencmode", vals[k++] = "disable";
	keys[k] = NULL, vals[k] = NULL;

	ac->conn = PQconnectStartParams(keys, vals, 0);
	if (ac->conn)
		PQsetNoticeProcessor(ac->conn, notice_cb, ac);
	log_debug("auth_query: connecting to node %s (%s:%d) database %s as %s", cn->name,
		  cn->host, cn->port, dbname, cfg->auth_user);
	return ac;	/* a failed start is noticed by the first pump */
}

/* Watch the socket for WHAT. */
static bool want_io(struct aq_conn *ac, short what)
{
	return pq_watch_set(&ac->io, aq.base, ac->conn, what, ac->state == AQ_CONNECTING, io_cb, ac);
}

/* End REQ (already unlinked) with an outcome, unless its caller went away. */
static void req_finish(struct authquery_req *r, enum authquery_outcome o, const char *secret,
		       const char *message)
{
	if (r->cb)
		r->cb(r->arg, o, secret, message);
	free(r);
}

/* Close AC and free it; every lookup on it fails with WHY.  AC is gone after. */
static void conn_lost(struct aq_conn *ac, const char *why)
{
	struct list *it, *tmp;
	char msg[300];

	clean_message(why, msg, sizeof(msg));
	pq_watch_clear(&ac->io);
	if (ac->result)
		PQclear(ac->result);
	if (ac->err_result)
		PQclear(ac->err_result);
	if (ac->conn)
		PQfinish(ac->conn);
	list_del(&ac->head);
	if (!list_empty(&ac->queue) || ac->state == AQ_CONNECTING)
		log_warning("auth_query: node %s database %s: %s", ac->node_name, ac->dbname, msg);
	else
		log_debug("auth_query: connection to node %s database %s closed: %s", ac->node_name,
			  ac->dbname, msg);
	list_for_each_safe(it, tmp, &ac->queue) {
		struct authquery_req *r = container_of(it, struct authquery_req, head);
		char m[400];
		list_del(&r->head);
		snprintf(m, sizeof(m), "node %s: %s", ac->node_name, msg);
		req_finish(r, AUTHQUERY_FAILED, NULL, m);
	}
	free(ac);
}

/* Flush what libpq has queued; watch for the answer. */
static bool flush_and_wait(struct aq_conn *ac)
{
	int r = PQflush(ac->conn);

	if (r < 0 || !want_io(ac, r > 0 ? (EV_READ | EV_WRITE) : EV_READ)) {
		conn_lost(ac, PQerrorMessage(ac->conn));
		return false;
	}
	return true;
}

/* Send the next lookup if the connection is free; drop cancelled ones first. */
static void conn_pump(struct aq_conn *ac)
{
	struct list *first;
	struct authquery_req *r;
	const char *params[1];

	while (ac->state == AQ_READY && (first = list_first(&ac->queue)) != NULL) {
		r = container_of(first, struct authquery_req, head);
		if (!r->cb) {
			list_del(&r->head);
			free(r);
			continue;
		}
		params[0] = r->user;
		if (!PQsendQueryParams(ac->conn, rt.cfg->auth_query, 1, NULL, params, NULL, NULL, 0)) {
			conn_lost(ac, PQerrorMessage(ac->conn));
			return;
		}
		set_state(ac, AQ_BUSY);
		flush_and_wait(ac);
		return;
	}
	if (ac->state == AQ_READY && ac->retire)
		conn_lost(ac, "retired (the primary moved or the settings changed)");
}

/* Deferred after authquery_lookup(): start what was queued. */
static void kick_cb_stopped(evutil_socket_t fd, short what, void *arg)
{
	struct list *it, *tmp;

	UNUSED(fd);
	UNUSED(what);
	UNUSED(arg);
	list_for_each_safe(it, tmp, &aq.conns) {
		struct aq_conn *ac = container_of(it, struct aq_conn, head);
		if (ac->state == AQ_CONNECTING && !ac->io.ev) {
			if (!ac->conn || PQstatus(ac->conn) == CONNECTION_BAD) {
				conn_lost(ac, ac->conn ? PQerrorMessage(ac->conn) : "out of memory");
				continue;
			}
			if (!want_io(ac, EV_WRITE))
				conn_lost(ac, PQerrorMessage(ac->conn));
			continue;
		}
		conn_pump(ac);
	}
}

WORLD_STOPPED_CB(kick_cb)

/* The primary of AC's cluster now, -1 if unknown. */
static int cluster_primary(const struct aq_conn *ac)
{
	const struct cluster_snapshot *snap = monitor_snapshot_get(aq.mon);
	int ci = config_cluster_index(rt.cfg, ac->cluster);
	int node = ci >= 0 && ci < snap->n_clusters ? snap->primary[ci] : -1;

	monitor_snapshot_put(snap);
	return node;
}

/* Every TICK_MS: deadlines, connect timeouts, following the primary, idle connections. */
static void tick_cb_stopped(evutil_socket_t fd, short what, void *arg)
{
	struct list *it, *tmp, *it2, *tmp2;
	int64_t now = now_ms();

	UNUSED(fd);
	UNUSED(what);
	UNUSED(arg);
	list_for_each_safe(it, tmp, &aq.conns) {
		struct aq_conn *ac = container_of(it, struct aq_conn, head);
		int primary = cluster_primary(ac);
		char why[160];

		if (primary >= 0 && primary != ac->node)
			ac->retire = true;
		if (ac->state == AQ_CONNECTING && now - ac->state_since_ms > rt.cfg->server_connect_timeout_ms) {
			snprintf(why, sizeof(why), "timeout connecting (server_connect_timeout %lld ms)",
				 (long long)rt.cfg->server_connect_timeout_ms);
			conn_lost(ac, why);
			continue;
		}
		if (ac->state == AQ_BUSY) {
			struct authquery_req *r = container_of(list_first(&ac->queue), struct authquery_req, head);
			if (now > r->deadline_ms) {
				snprintf(why, sizeof(why), "no answer to auth_query within %lld ms",
					 (long long)rt.cfg->server_connect_timeout_ms);
				conn_lost(ac, why);
				continue;
			}
		}
		/* lookups still queued behind a slow one */
		list_for_each_safe(it2, tmp2, &ac->queue) {
			struct authquery_req *r = container_of(it2, struct authquery_req, head);
			if (ac->state == AQ_BUSY && it2 == list_first(&ac->queue))
				continue;
			if (now > r->deadline_ms) {
				list_del(&r->head);
				snprintf(why, sizeof(why), "node %s: no answer within %lld ms", ac->node_name,
					 (long long)rt.cfg->server_connect_timeout_ms);
				req_finish(r, AUTHQUERY_FAILED, NULL, why);
			}
		}
		if (ac->state == AQ_READY && list_empty(&ac->queue) &&
		    (ac->retire || (rt.cfg->server_idle_timeout_ms > 0 &&
				    now - ac->state_since_ms > rt.cfg->server_idle_timeout_ms)))
			conn_lost(ac, ac->retire ? "retired (the primary moved or the settings changed)" :
				  "server_idle_timeout reached");
	}
}

WORLD_STOPPED_CB(tick_cb)

static void connect_poll(struct aq_conn *ac)
{
	switch (PQconnectPoll(ac->conn)) {
	case PGRES_POLLING_READING:
		if (!want_io(ac, EV_READ))
			conn_lost(ac, PQerrorMessage(ac->conn));
		return;
	case PGRES_POLLING_WRITING:
		if (!want_io(ac, EV_WRITE))
			conn_lost(ac, PQerrorMessage(ac->conn));
		return;
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(ac->conn, 1) != 0) {
			conn_lost(ac, PQerrorMessage(ac->conn));
			return;
		}
		log_debug("auth_query: connected to node %s database %s", ac->node_name, ac->dbname);
		set_state(ac, AQ_READY);
		if (!want_io(ac, EV_READ)) {
			conn_lost(ac, PQerrorMessage(ac->conn));
			return;
		}
		conn_pump(ac);
		return;
	case PGRES_POLLING_FAILED:
	default:
		conn_lost(ac, PQerrorMessage(ac->conn));
		return;
	}
}

/* Read what arrived; once the answer is complete, act on it.  Never waits. */
static void on_readable(struct aq_conn *ac)
{
	PGresult *res;

	if (!PQconsumeInput(ac->conn)) {
		conn_lost(ac, PQerrorMessage(ac->conn));
		return;
	}
	if (ac->state == AQ_READY) {
		/* nothing asked: only the server closing it (or a notice) */
		if (PQstatus(ac->conn) == CONNECTION_BAD)
			conn_lost(ac, PQerrorMessage(ac->conn));
		return;
	}
	while (!PQisBusy(ac->conn)) {
		res = PQgetResult(ac->conn);
		if (!res) {
			conn_answer(ac);
			return;
		}
		if (PQresultStatus(res) == PGRES_FATAL_ERROR && !ac->err_result) {
			ac->err_result = res;
		} else {
			if (ac->result)
				PQclear(ac->result);
			ac->result = res;
		}
	}
}

static void io_cb_stopped(evutil_socket_t fd, short what, void *arg)
{
	struct aq_conn *ac = arg;

	UNUSED(fd);
	if (ac->state == AQ_CONNECTING) {
		connect_poll(ac);
		return;
	}
	if (what & EV_WRITE) {
		int r = PQflush(ac->conn);
		if (r < 0 || (r == 0 && !want_io(ac, EV_READ))) {
			conn_lost(ac, PQerrorMessage(ac->conn));
			return;
		}
	}
	if (what & EV_READ)
		on_readable(ac);
}

WORLD_STOPPED_CB(io_cb)

/* The query in flight is answered: tell its caller, remember the secret, send the next. */
static void conn_answer(struct aq_conn *ac)
{
	struct authquery_req *r = container_of(list_first(&ac->queue), struct authquery_req, head);
	PGresult *res = ac->result, *err = ac->err_result;
	char secret[AUTHQUERY_SECRET_LEN], msg[400];
	enum authquery_outcome o;

	ac->result = ac->err_result = NULL;
	list_del(&r->head);
	set_state(ac, AQ_READY);
	if (err || !res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *st = err ? PQresultErrorField(err, PG_DIAG_SQLSTATE) : NULL;
		const char *primary = err ? PQresultErrorField(err, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		char clean[300];
		clean_message(primary ? primary : err ? PQresultErrorMessage(err) :
			      "auth_query returned no rows description", clean, sizeof(clean));
		snprintf(msg, sizeof(msg), "node %s: %s%s%s%s", ac->node_name, clean,
			 st ? " (SQLSTATE " : "", st ? st : "", st ? ")" : "");
		secret[0] = '\0';
		o = AUTHQUERY_FAILED;
	} else {
		char m[300];
		const char *pw = PQntuples(res) >= 1 && PQnfields(res) >= 2 && !PQgetisnull(res, 0, 1) ?
				 PQgetvalue(res, 0, 1) : NULL;
		o = authquery_interpret(PQntuples(res), PQnfields(res), pw, secret, sizeof(secret),
					m, sizeof(m));
		snprintf(msg, sizeof(msg), "node %s: %s", ac->node_name, m);
		if (pw)
			OPENSSL_cleanse(PQgetvalue(res, 0, 1), strlen(pw));
	}
	if (o == AUTHQUERY_FOUND)
		remember_secret(ac->cluster, r->user, secret);
	else if (o == AUTHQUERY_NO_SECRET)
		forget_secret(ac->cluster, r->user);
	req_finish(r, o, o == AUTHQUERY_FOUND ? secret : NULL, o == AUTHQUERY_FAILED ? msg : NULL);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (res)
		PQclear(res);
	if (err)
		PQclear(err);
	conn_pump(ac);
}

static struct aq_cred *cred_find(const char *cluster, const char *user)
{
	struct list *it;

	list_for_each(it, &aq.creds) {
		struct aq_cred *cr = container_of(it, struct aq_cred, head);
		if (strcmp(cr->cluster, cluster) == 0 && strcmp(cr->user, user) == 0)
			return cr;
	}
	return NULL;
}

/* Keep the newest secret for server logins; a changed secret loses the old keys. */
static void remember_secret(const char *cluster, const char *user, const char *secret)
{
	struct aq_cred *cr = cred_find(cluster, user);

	if (cr && strcmp(cr->secret, secret) == 0)
		return;
	if (!cr) {
		cr = calloc(1, sizeof(*cr));
		if (!cr)
			return;
		snprintf(cr->cluster, sizeof(cr->cluster), "%s", cluster);
		snprintf(cr->user, sizeof(cr->user), "%s", user);
		list_push_tail(&aq.creds, &cr->head);
	}
	OPENSSL_cleanse(cr->secret, sizeof(cr->secret));
	snprintf(cr->secret, sizeof(cr->secret), "%s", secret);
	cr->have_keys = false;
	OPENSSL_cleanse(cr->client_key, sizeof(cr->client_key));
	OPENSSL_cleanse(cr->server_key, sizeof(cr->server_key));
}

/* The role is gone or has no usable password: servers must not log in with the old one. */
static void forget_secret(const char *cluster, const char *user)
{
	struct aq_cred *cr = cred_find(cluster, user);

	if (cr)
		cred_free(cr);
}

static void cred_free(struct aq_cred *cr)
{
	list_del(&cr->head);
	OPENSSL_cleanse(cr, sizeof(*cr));
	free(cr);
}
