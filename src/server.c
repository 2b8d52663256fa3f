/*
 * Server connections to PostgreSQL: connect (TCP or unix socket), optional
 * TLS (SSLRequest), StartupMessage, authentication as a client (cleartext,
 * MD5, SCRAM-SHA-256), ParameterStatus and BackendKeyData capture.  Once
 * the first ReadyForQuery arrives the connection belongs to its pool;
 * relay.c relays on it.  server_close() is the only way a server goes.
 *
 * Our own protocol implementation, not libpq: data connections must move
 * bytes without a copy through a client library.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <event2/bufferevent_ssl.h>

#include "auth.h"
#include "authquery.h"
#include "cancel.h"
#include "carry.h"
#include "conn.h"
#include "log.h"
#include "pgsteer.h"
#include "pool.h"
#include "proto.h"
#include "relay.h"
#include "scram.h"
#include "server.h"
#include "sticky.h"
#include "tls.h"
#include "worker.h"

#define MAX_LOGIN_MESSAGE (64 * 1024)

static void server_read_cb(struct bufferevent *bev, void *arg);
static void server_write_cb(struct bufferevent *bev, void *arg);
static void server_event_cb(struct bufferevent *bev, short what, void *arg);
static void send_startup(struct server *s);
static void bury(struct server *s);
static void login_input(struct server *s);
static void login_fail(struct server *s, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---------------- Public functions ---------------- */

/* Open a new connection for POOL; it joins pool->login. */
struct server *server_launch(struct pool *pool)
{
	struct server *s;
	int rc;

	if (!pool_quota_take(pool))
		return NULL;	/* every worker's pools together are full */
	s = calloc(1, sizeof(*s));
	if (!s) {
		pool_quota_give(pool);
		return NULL;
	}
	s->id = workers_next_id();
	s->pool = pool;
	s->state = SV_CONNECTING;
	s->created_ms = s->last_used_ms = now_ms();
	s->tx_status = 'I';
	s->fd = -1;
	pool_add_server(s);

	s->bev = conn_plain(rt.base, -1);
	if (!s->bev) {
		login_fail(s, "53200", "out of memory");
		return NULL;
	}
	bufferevent_setcb(s->bev, server_read_cb, server_write_cb, server_event_cb, s);
	rc = conn_connect(s->bev, pool->host, pool->port);
	if (rc < 0) {
		login_fail(s, "08006", "could not connect to %s:%d", pool->host, pool->port);
		return NULL;
	}
	log_debug("S-%llu: connecting to node %s (%s:%d) for %s@%s", (unsigned long long)s->id,
		  pool->node_name, pool->host, pool->port, pool->server_user, pool->server_database);
	return s;
}

/* The one way out for a server connection. */
void server_close(struct server *s, const char *reason)
{
	if (s->state == SV_CLOSING || s->state == SV_CLOSED)
		return;
	log_debug("S-%llu node %s pid %d: closed: %s", (unsigned long long)s->id,
		  s->pool->node_name, s->backend_pid, reason);
	if (s->client)
		relay_server_gone(s, reason);
	cancel_server_gone(s);
	if (s->probe_key[0]) {
		shared_lock();
		sticky_done(rt.sticky, s->probe_key, 0, now_ms());
		shared_unlock();
		s->probe_key[0] = '\0';
	}
	if (s->probe_barrier)
		relay_barrier_done(s, 0);
	if (s->probe_client) {
		struct client *pc = s->probe_client;
		pc->lsn_probe = NULL;
		s->probe_client = NULL;
		relay_probe_done(pc);	/* if it waited for this connection: route afresh */
	}
	if (s->parked_for) {
		for (int i = 0; i < 2; i++)
			if (s->parked_for->parked[i] == s)
				s->parked_for->parked[i] = NULL;
		s->parked_for = NULL;
	}
	if (s->bev && s->state != SV_CONNECTING && s->state != SV_TLS_REQUEST &&
	    s->state != SV_TLS_HANDSHAKE) {
		/* polite goodbye; best effort */
		proto_add_terminate(bufferevent_get_output(s->bev));
		bufferevent_write_buffer(s->bev, bufferevent_get_output(s->bev));
		if (!rt.shutting_down) {
			/* a backend ran: send the Terminate, drop what it still says until it exits */
			server_set_state(s, SV_CLOSING);
			conn_read_enable(&s->rd);
			bufferevent_enable(s->bev, EV_WRITE);
			return;
		}
	}
	server_set_state(s, SV_CLOSED);	/* off its pool's lists */
	bury(s);
}

/*
 * SV_CLOSING.  A backend is one of PostgreSQL's connections (against
 * max_connections and its role's CONNECTION LIMIT) until it has exited,
 * not until pgsteer closes its socket: it reads the Terminate only when
 * it next reads (after the statement it is running, if a client left
 * mid-statement), then leaves the process array and exits, which closes
 * its end.  A connection opened in its place at once (a waiting client's,
 * another worker's on the freed unit of the pool size, a replacement
 * after server_lifetime) could find the node still full: "too many
 * connections for role".  So a closed connection stays in its pool's
 * closing list, counted, until its backend's end closes, or for at most
 * SERVER_CLOSING_MAX_MS (the janitor): a backend busy past its client's
 * Terminate may not keep its pool short for long.
 *
 * Here S stops counting: its backend has exited, or it was given its
 * time, or the worker stops.
 */
void server_closing_end(struct server *s)
{
	struct pool *pool = s->pool;

	server_set_state(s, SV_CLOSED);	/* gives its unit of the shared pool size back */
	bury(s);
	pool_wake_waiters(pool);
}

void server_free(struct server *s)
{
	if (s->bev) {
		/* try to flush the Terminate without blocking */
		evutil_socket_t fd = bufferevent_getfd(s->bev);
		struct evbuffer *out = bufferevent_get_output(s->bev);
		if (fd >= 0 && !s->tls && evbuffer_get_length(out) > 0)
			evbuffer_write(out, fd);
	}
	carry_server_free(s);
	conn_reader_release(&s->rd);
	conn_release(s->bev);
	if (s->scram) {
		OPENSSL_cleanse(s->scram, sizeof(*s->scram));
		free(s->scram);
	}
	free(s);
}

/* ---------------- Internal functions ---------------- */

/* S is closed: no more events, freed at the end of this loop iteration. */
static void bury(struct server *s)
{
	conn_read_disable(&s->rd);
	if (s->bev)
		bufferevent_disable(s->bev, EV_READ | EV_WRITE);
	list_push_tail(&rt.graveyard_servers, &s->head);
	rt_reap_later();
}

static void server_read_cb(struct bufferevent *bev, void *arg)
{
	struct server *s = arg;

	UNUSED(bev);
	switch (s->state) {
	case SV_TLS_REQUEST: {
		struct evbuffer *in = bufferevent_get_input(s->bev);
		char answer;
		if (evbuffer_remove(in, &answer, 1) != 1)
			return;
		if (answer == 'S') {
			if (evbuffer_get_length(in) != 0) {
				login_fail(s, "08P01", "unexpected data after SSL response");
				return;
			}
			s->fd = bufferevent_getfd(s->bev);
			conn_reader_release(&s->rd);
			s->bev = conn_upgrade_tls(rt.base, s->bev, s->fd, rt.server_tls,
						  BUFFEREVENT_SSL_CONNECTING, s->pool->host,
						  rt.cfg->server_tls_sslmode == TLS_VERIFY_FULL);
			if (!s->bev) {
				evutil_closesocket(s->fd);
				login_fail(s, "08006", "cannot start TLS to %s", s->pool->node_name);
				return;
			}
			s->tls = true;
			server_set_state(s, SV_TLS_HANDSHAKE);
			conn_reader_init(&s->rd, rt.base, s->bev, true, server_read_cb, server_write_cb,
					 server_event_cb, s);
			conn_read_enable(&s->rd);
			bufferevent_enable(s->bev, EV_WRITE);
		} else if (answer == 'N' && rt.cfg->server_tls_sslmode < TLS_REQUIRE) {
			send_startup(s);
		} else if (answer == 'N') {
			login_fail(s, "08006", "node %s does not support TLS but server_tls_sslmode = %s",
				   s->pool->node_name, config_tls_mode_name(rt.cfg->server_tls_sslmode));
		} else {
			login_fail(s, "08P01", "unexpected answer to SSLRequest from node %s",
				   s->pool->node_name);
		}
		return;
	}
	case SV_LOGIN:
		login_input(s);
		return;
	case SV_IDLE:
	case SV_ACTIVE:
	case SV_RESETTING:
	case SV_LSN_PROBE:
		relay_server_input(s);
		return;
	case SV_CLOSING:
		/* what the backend still says before it exits goes nowhere */
		evbuffer_drain(bufferevent_get_input(s->bev),
			       evbuffer_get_length(bufferevent_get_input(s->bev)));
		return;
	case SV_CONNECTING:
	case SV_TLS_HANDSHAKE:
	case SV_CLOSED:
		return;
	}
}

static void server_write_cb(struct bufferevent *bev, void *arg)
{
	struct server *s = arg;

	UNUSED(bev);
	if (s->state == SV_ACTIVE)
		relay_server_drained(s);
}

static void server_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct server *s = arg;

	UNUSED(bev);
	if (s->state == SV_CLOSING) {
		if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
			server_closing_end(s);	/* the backend has exited */
		return;
	}
	if (what & BEV_EVENT_CONNECTED) {
		if (s->state == SV_TLS_HANDSHAKE) {
			conn_reader_tls_ready(&s->rd, rt.base);
			send_startup(s);
			return;
		}
		s->fd = bufferevent_getfd(s->bev);
		conn_setup_socket(s->fd, rt.cfg->tcp_keepalive);
		conn_reader_init(&s->rd, rt.base, s->bev, false, server_read_cb, server_write_cb,
				 server_event_cb, s);
		conn_read_enable(&s->rd);
		if (rt.server_tls && s->pool->host[0] != '/') {
			proto_add_ssl_request(bufferevent_get_output(s->bev));
			server_set_state(s, SV_TLS_REQUEST);
			bufferevent_enable(s->bev, EV_WRITE);
		} else {
			send_startup(s);
		}
		return;
	}
	if (s->state == SV_TLS_HANDSHAKE) {
		/* say why: "certificate verify failed" is worth more than "connection closed" */
		unsigned long e = conn_reader_tls_error(&s->rd);
		char why[256] = "connection closed";
		if (e)
			ERR_error_string_n(e, why, sizeof(why));
		login_fail(s, "08006", "TLS handshake with node %s (%s:%d) failed: %s", s->pool->node_name,
			   s->pool->host, s->pool->port, why);
		return;
	}
	if (s->state == SV_CONNECTING || s->state == SV_TLS_REQUEST || s->state == SV_LOGIN) {
		int err = EVUTIL_SOCKET_ERROR();
		login_fail(s, "08006", "could not connect to node %s (%s:%d): %s", s->pool->node_name,
			   s->pool->host, s->pool->port,
			   (what & BEV_EVENT_EOF) ? "connection closed" : evutil_socket_error_to_string(err));
		return;
	}
	if (s->parked_for) {
		char msg[200];
		snprintf(msg, sizeof(msg), "server connection to node %s closed: %s", s->pool->node_name,
			 (what & BEV_EVENT_EOF) ? "server closed the connection" : "server socket error");
		relay_parked_server_lost(s, "08006", msg);
	}
	server_close(s, (what & BEV_EVENT_EOF) ? "server closed the connection" : "server socket error");
}

static void send_startup(struct server *s)
{
	const char *names[4] = { "user", "database", NULL, NULL };
	const char *values[4] = { s->pool->server_user, s->pool->server_database, NULL, NULL };

	proto_add_startup(bufferevent_get_output(s->bev), names, values);
	server_set_state(s, SV_LOGIN);
	conn_read_enable(&s->rd);
	bufferevent_enable(s->bev, EV_WRITE);
}

static void login_fail(struct server *s, const char *sqlstate, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	struct pool *pool = s->pool;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warning("S-%llu node %s: login as %s@%s failed: %s", (unsigned long long)s->id,
		    pool->node_name, pool->server_user, pool->server_database, msg);
	server_close(s, "login failed");
	pool_server_login_failed(pool, sqlstate, msg);
}

/* Keep a ParameterStatus value (replace or append). */
void param_set_update(struct param_set *ps, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	if (nl >= NAME_LEN || vl >= PARAM_VALUE_LEN)
		return;
	for (int i = 0; i < ps->n; i++) {
		if (strcmp(ps->p[i].name, name) == 0) {
			memcpy(ps->p[i].value, value, vl + 1);
			return;
		}
	}
	if (ps->n < MAX_PARAMS) {
		memcpy(ps->p[ps->n].name, name, nl + 1);
		memcpy(ps->p[ps->n].value, value, vl + 1);
		ps->n++;
	}
}

/*
 * What a server login may use: the pool's password (server_password or
 * auth_file), else what auth_query found for the user, with the SCRAM keys
 * of a client's proof when passthrough is possible.
 */
struct login_secret {
	const char *password;		/* "" = none */
	const char *source;		/* for messages: where it came from */
	bool have_keys;
	char fetched[AUTHQUERY_SECRET_LEN];
	uint8_t client_key[SCRAM_KEY_LEN];
	uint8_t server_key[SCRAM_KEY_LEN];
};

/* Answer an authentication request from PostgreSQL, with SEC. */
static bool login_auth_with(struct server *s, const uint8_t *body, uint32_t len,
			    const struct login_secret *sec)
{
	struct pool *pool = s->pool;
	struct evbuffer *out = bufferevent_get_output(s->bev);
	char buf[1024];
	const char *err = NULL;
	uint32_t code;
	int n;

	if (len < 4) {
		login_fail(s, "08P01", "short authentication message");
		return false;
	}
	code = proto_get_u32(body);
	switch (code) {
	case AUTH_REQ_OK:
		return true;
	case AUTH_REQ_PASSWORD:
	case AUTH_REQ_MD5:
	case AUTH_REQ_SASL:
		if (!sec->password[0]) {
			login_fail(s, "28P01", "node %s asks for a password for \"%s\" and none is known "
				   "(add a plain or md5 password to auth_file%s)", pool->node_name,
				   pool->server_user, rt.cfg->auth_user[0] ?
				   ", or log in once through auth_query" : "");
			return false;
		}
		break;
	default:
		break;
	}
	switch (code) {
	case AUTH_REQ_PASSWORD:
		if (strncmp(sec->password, "SCRAM-SHA-256$", 14) == 0 ||
		    auth_secret_kind(sec->password) == SECRET_MD5) {
			login_fail(s, "28P01", "node %s wants a cleartext password; %s has only a hash",
				   pool->node_name, sec->source);
			return false;
		}
		proto_add_password(out, sec->password);
		return true;
	case AUTH_REQ_MD5: {
		char hash[36];
		if (len < 8) {
			login_fail(s, "08P01", "short MD5 request");
			return false;
		}
		if (auth_secret_kind(sec->password) == SECRET_MD5)
			auth_md5_salted_from_hash(sec->password, body + 4, hash);
		else if (auth_secret_kind(sec->password) == SECRET_PLAIN)
			auth_md5_salted(pool->server_user, sec->password, body + 4, hash);
		else {
			login_fail(s, "28P01", "node %s wants MD5; %s has a SCRAM secret", pool->node_name,
				   sec->source);
			return false;
		}
		proto_add_password(out, hash);
		return true;
	}
	case AUTH_REQ_SASL: {
		/* list of mechanism names, each NUL-terminated, then an empty one */
		bool found = false, plus = false;
		for (uint32_t pos = 4; pos < len && body[pos];) {
			const char *mech = (const char *)body + pos;
			size_t ml = strnlen(mech, len - pos);
			if (ml == strlen(SCRAM_MECH) && memcmp(mech, SCRAM_MECH, ml) == 0)
				found = true;
			else if (ml == strlen(SCRAM_MECH_PLUS) && memcmp(mech, SCRAM_MECH_PLUS, ml) == 0)
				plus = true;
			pos += (uint32_t)ml + 1;
		}
		found |= plus;
		if (!found) {
			login_fail(s, "28000", "node %s offers no supported SASL mechanism", pool->node_name);
			return false;
		}
		if (auth_secret_kind(sec->password) == SECRET_SCRAM && !sec->have_keys) {
			login_fail(s, "28P01", "node %s wants SCRAM for \"%s\"; the SCRAM secret from %s "
				   "allows only passthrough, which needs a client to have logged in with "
				   "SCRAM first", pool->node_name, pool->server_user, sec->source);
			return false;
		}
		if (auth_secret_kind(sec->password) == SECRET_MD5) {
			login_fail(s, "28P01", "node %s wants SCRAM; %s needs the plain password for \"%s\"",
				   pool->node_name, sec->source, pool->server_user);
			return false;
		}
		s->scram = calloc(1, sizeof(*s->scram));
		if (!s->scram) {
			login_fail(s, "53200", "out of memory");
			return false;
		}
		/*
		 * Over TLS, bind to the server's certificate when it offers PLUS
		 * (as libpq's channel_binding=prefer), else say we could have
		 * ("y"), so that a server that does offer it sees the downgrade.
		 */
		enum scram_cbind mode = SCRAM_CBIND_NONE;
		uint8_t cbind[SCRAM_CBIND_MAX];
		size_t cblen = 0;
		SSL *ssl = s->tls ? bufferevent_openssl_get_ssl(s->bev) : NULL;
		if (ssl)
			mode = plus && tls_cert_end_point_hash(SSL_get0_peer_certificate(ssl), cbind,
							       sizeof(cbind), &cblen) ?
			       SCRAM_CBIND_BIND : SCRAM_CBIND_UNUSED;
		n = scram_client_first_cbind(s->scram, mode, cbind, cblen, buf, sizeof(buf), &err);
		if (n < 0) {
			login_fail(s, "08P01", "SCRAM: %s", err ? err : "?");
			return false;
		}
		proto_add_sasl_initial(out, mode == SCRAM_CBIND_BIND ? SCRAM_MECH_PLUS : SCRAM_MECH,
				       buf, (size_t)n);
		log_debug("S-%llu %s: SCRAM login as \"%s\"%s", (unsigned long long)s->id,
			  pool->node_name, pool->server_user,
			  mode == SCRAM_CBIND_BIND ? " with channel binding (tls-server-end-point)" :
			  mode == SCRAM_CBIND_UNUSED ? " over TLS, no channel binding offered" : "");
		return true;
	}
	case AUTH_REQ_SASL_CONT:
		if (!s->scram) {
			login_fail(s, "08P01", "unexpected SASLContinue");
			return false;
		}
		if (auth_secret_kind(sec->password) == SECRET_SCRAM)	/* passthrough */
			n = scram_client_final_from_keys(s->scram, sec->client_key, sec->server_key,
							 (const char *)body + 4, len - 4,
							 buf, sizeof(buf), &err);
		else
			n = scram_client_final(s->scram, sec->password, (const char *)body + 4, len - 4,
					       buf, sizeof(buf), &err);
		if (n < 0) {
			login_fail(s, "08P01", "SCRAM: %s", err ? err : "?");
			return false;
		}
		proto_add_sasl_response(out, buf, (size_t)n);
		return true;
	case AUTH_REQ_SASL_FIN:
		if (!s->scram || !scram_client_verify(s->scram, (const char *)body + 4, len - 4, &err)) {
			login_fail(s, "08P01", "node %s failed SCRAM server verification: %s",
				   pool->node_name, err ? err : "?");
			return false;
		}
		return true;
	default:
		login_fail(s, "28000", "node %s requested unsupported authentication method %u",
			   pool->node_name, code);
		return false;
	}
}

/* Answer an authentication request from PostgreSQL; fetched secrets are wiped after. */
static bool login_auth(struct server *s, const uint8_t *body, uint32_t len)
{
	struct pool *pool = s->pool;
	struct login_secret sec;
	bool ok;

	memset(&sec, 0, sizeof(sec));
	sec.password = pool->server_password;
	sec.source = "auth_file";
	if (auth_secret_kind(sec.password) == SECRET_SCRAM && rt.auth) {
		/* a client proved it: its keys log in by passthrough */
		shared_lock();
		sec.have_keys = auth_file_keys(rt.auth, pool->server_user, sec.password,
					       sec.client_key, sec.server_key);
		shared_unlock();
	}
	if (!sec.password[0]) {
		bool found;
		world_stop();	/* auth_query's secrets are the control plane's (worker.h) */
		found = authquery_server_secret(pool->cluster_name, pool->server_user, sec.fetched,
						sec.client_key, sec.server_key, &sec.have_keys);
		world_start();
		if (found) {
			sec.password = sec.fetched;
			sec.source = "auth_query";
		}
	}
	ok = login_auth_with(s, body, len, &sec);
	OPENSSL_cleanse(&sec, sizeof(sec));
	return ok;
}

/* Process login-phase messages until ReadyForQuery. */
static void login_input(struct server *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	uint8_t type;
	uint32_t len;
	uint8_t *body;

	while (s->state == SV_LOGIN && proto_peek_header(in, 0, &type, &len)) {
		if (len < 4 || len > MAX_LOGIN_MESSAGE) {
			login_fail(s, "08P01", "invalid message length %u from node %s during login",
				   len, s->pool->node_name);
			return;
		}
		if (evbuffer_get_length(in) < 1 + (size_t)len)
			return;
		body = evbuffer_pullup(in, 1 + (ev_ssize_t)len);
		if (!body) {
			login_fail(s, "53200", "out of memory");
			return;
		}
		body += PROTO_HEADER_LEN;
		len -= 4;
		switch (type) {
		case 'R':
			if (!login_auth(s, body, len))
				return;
			break;
		case 'S': {
			const char *name = (const char *)body;
			size_t nl = strnlen(name, len);
			if (nl + 1 < len && body[len - 1] == '\0')
				param_set_update(&s->params, name, name + nl + 1);
			break;
		}
		case 'K':
			if (len >= 8) {
				s->backend_pid = (int32_t)proto_get_u32(body);
				s->backend_key = (int32_t)proto_get_u32(body + 4);
			}
			break;
		case 'E': {
			struct error_fields ef;
			proto_parse_error(body, len, &ef);
			evbuffer_drain(in, 1 + (size_t)len + 4);
			login_fail(s, ef.sqlstate[0] ? ef.sqlstate : "08006", "%s", ef.message);
			return;
		}
		case 'Z':
			evbuffer_drain(in, 1 + (size_t)len + 4);
			if (s->scram) {
				OPENSSL_cleanse(s->scram, sizeof(*s->scram));
				free(s->scram);
				s->scram = NULL;
			}
			s->last_used_ms = now_ms();
			log_debug("S-%llu node %s pid %d: logged in as %s@%s", (unsigned long long)s->id,
				  s->pool->node_name, s->backend_pid, s->pool->server_user,
				  s->pool->server_database);
			pool_server_login_done(s);
			return;
		case 'N':
		case 'v':
			break;
		default:
			login_fail(s, "08P01", "unexpected message type '%c' from node %s during login",
				   type, s->pool->node_name);
			return;
		}
		evbuffer_drain(in, 1 + (size_t)len + 4);
	}
}
