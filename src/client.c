/*
 * Client side of the proxy up to the end of login: accepting a socket,
 * the startup packet (SSLRequest, GSSENCRequest, CancelRequest, protocol
 * version), TLS, authentication against auth_file or, for users missing
 * from it, the secret auth_query finds (trust, md5, SCRAM-SHA-256), and
 * the welcome (ParameterStatus, BackendKeyData,
 * ReadyForQuery).  After the welcome, relay.c owns the byte stream.
 *
 * Also owns client teardown: client_close() is the only way a client goes
 * away, client_fail() sends one ErrorResponse first.
 *
 * And the resting of idle clients' buffers: a logged-in plain-socket
 * client with nothing to read or write and nothing in flight gives its
 * bufferevent (two evbuffers, ~1 KiB) back, right after its login is
 * written and again after CLIENT_REST_AFTER_MS without a statement; its
 * own read event stays, and the first bytes it sends get it a new
 * bufferevent (client_revive()).  Only idle clients rest, so the relay of
 * a busy client never allocates for it; 10,000 idle clients then cost
 * their struct client and read event, not their buffers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "auth.h"
#include "authquery.h"
#include "cancel.h"
#include "carry.h"
#include "client.h"
#include "conn.h"
#include "control.h"
#include "hba.h"
#include "log.h"
#include "loginguard.h"
#include "monitor.h"
#include "pgsteer.h"
#include "pool.h"
#include "proto.h"
#include "relay.h"
#include "scram.h"
#include "stats.h"
#include "tls.h"
#include "worker.h"

#define ADMIN_DATABASE "pgsteer"
#define MAX_PASSWORD_PACKET 8192

static void client_read_cb(struct bufferevent *bev, void *arg);
static void client_write_cb(struct bufferevent *bev, void *arg);
static void client_event_cb(struct bufferevent *bev, short what, void *arg);
static void handle_startup(struct client *c);
static void handle_password(struct client *c);
/* What the login demands of the client's TLS certificate. */
struct cert_need {
	enum hba_clientcert level;
	enum hba_clientname name;
};

static bool check_hba(struct client *c, enum auth_type *method, struct cert_need *need);
static struct cert_need client_tls_cert_need(void);
static bool check_client_cert(struct client *c, enum auth_type method,
			      const struct cert_need *need);
static bool scram_channel_binding_data(struct client *c, uint8_t *data, size_t *len);
static void begin_auth(struct client *c, enum auth_type method);
static void start_auth(struct client *c, enum auth_type method);
static void auth_succeeded(struct client *c);
static void auth_failure_noted(struct client *c);
static bool attach_pool(struct client *c);
static bool client_revive(void *arg);
static void forget_auth_query_secret(struct client *c);
static void client_cancel_lookup(struct client *c);
static void auth_lookup_finish(struct client *c, enum authquery_outcome outcome, const char *secret,
			       const char *message);

/* What a client's user and database are before its StartupMessage. */
static const char client_no_name[1] = "";

/* Free what keep_startup_params() kept (one block that c->user heads). */
static void client_forget_startup(struct client *c)
{
	if (c->user != client_no_name)
		free((char *)c->user);
	c->user = c->database = client_no_name;
	c->startup_params = NULL;
	c->startup_params_len = 0;
}

struct dataplane_hooks dataplane;

/* ---------------- Public functions ---------------- */

/* client_set_state()'s table (client.h): the states each state may be entered from. */
const unsigned client_entered_from[CL_CLOSED + 1] = {
	[CL_STARTUP] = 0,	/* only at birth (client_accept) */
	[CL_AUTH_LOOKUP] = CL_BIT(CL_STARTUP),
	[CL_AUTH] = CL_BIT(CL_STARTUP) | CL_BIT(CL_AUTH_LOOKUP),
	[CL_LOGIN_WAIT] = CL_LOGGING_IN,
	[CL_IDLE] = CL_LOGGING_IN | CL_BIT(CL_LOGIN_WAIT) | CL_LOGGED_IN,
	[CL_WAITING] = CL_BIT(CL_IDLE) | CL_BIT(CL_WAITING),
	[CL_ACTIVE] = CL_BIT(CL_IDLE) | CL_BIT(CL_WAITING),
	[CL_FLUSHING] = CL_LOGGING_IN | CL_BIT(CL_LOGIN_WAIT) | CL_LOGGED_IN,
	[CL_CLOSED] = CL_LOGGING_IN | CL_BIT(CL_LOGIN_WAIT) | CL_LOGGED_IN | CL_BIT(CL_FLUSHING),
};

/* A new socket from a listener. */
void client_accept(evutil_socket_t fd, struct sockaddr *sa, int socklen)
{
	struct client *c;

	UNUSED(socklen);
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_error("out of memory accepting a client");
		evutil_closesocket(fd);
		return;
	}
	conn_setup_socket(fd, rt.cfg->tcp_keepalive);
	c->bev = conn_plain(rt.base, fd);
	if (!c->bev) {
		log_error("cannot create bufferevent for client");
		evutil_closesocket(fd);
		free(c);
		return;
	}
	c->fd = fd;
	c->user = c->database = client_no_name;
	c->id = workers_next_id();
	c->worker = rt.worker;
	conn_format_addr(sa, c->addr, sizeof(c->addr));
	list_init(&c->wait_link);
	list_push_tail(&rt.clients, &c->head);
	rt.n_clients++;
	int clients = workers_clients_add(1);
	c->state = CL_STARTUP;	/* born: the one state entered outside client_set_state() */
	c->state_since_ms = c->last_activity_ms = now_ms();
	stats.clients_accepted++;
	c->tx_status = 'I';
	if (clients > rt.cfg->max_client_conn || rt.shutting_down)
		c->reject_full = true;
	conn_reader_init(&c->rd, rt.base, c->bev, false, client_read_cb, client_write_cb,
			 client_event_cb, c);
	c->rd.revive = client_revive;
	conn_read_enable(&c->rd);
	bufferevent_enable(c->bev, EV_WRITE);
	log_debug("C-%llu %s: connection accepted", (unsigned long long)c->id, c->addr);
}

/* Dispatch input for the login phase. */
void client_on_read(struct client *c)
{
	if (c->state == CL_STARTUP)
		handle_startup(c);
	else if (c->state == CL_AUTH)
		handle_password(c);
}

/* Send ParameterStatus, BackendKeyData and ReadyForQuery: the client is in. */
void client_welcome(struct client *c, const struct param_set *params)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	/* the pool's parameters, with the client's own settings (application_name ...) */
	for (int i = 0; i < params->n; i++)
		proto_add_param_status(out, params->p[i].name,
				       carry_client_param(c, params, params->p[i].name));
	proto_add_backend_key(out, c->cancel_pid, c->cancel_key);
	proto_add_ready(out, 'I');
	c->rest_when_written = true;	/* client_write_cb, once the welcome is out */
	log_info("C-%llu %s: login %s@%s pool %s%s", (unsigned long long)c->id, c->addr,
		 c->user, c->database, c->pool ? c->pool->node_name : "-",
		 c->tls ? " (TLS)" : "");
}

/*
 * Queue one ErrorResponse and close once it is written.  Severity FATAL
 * for login and protocol failures.
 */
void client_fail(struct client *c, const char *severity, const char *sqlstate,
		 const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (c->state == CL_FLUSHING || c->state == CL_CLOSED)
		return;
	if (!c->bev && !client_revive(c))
		return;		/* closed */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (strcmp(sqlstate, "08P01") == 0)
		stats.protocol_errors++;
	else if (strcmp(sqlstate, "53300") == 0 || strcmp(sqlstate, "57P03") == 0)
		stats.clients_refused++;
	log_info("C-%llu %s %s@%s: closing: %s (SQLSTATE %s)", (unsigned long long)c->id,
		 c->addr, c->user[0] ? c->user : "-", c->database[0] ? c->database : "-",
		 msg, sqlstate);
	proto_add_error(bufferevent_get_output(c->bev), severity, sqlstate, msg, NULL);
	client_flush_and_close(c, msg);
}

void client_flush_and_close(struct client *c, const char *reason)
{
	if (c->state == CL_FLUSHING || c->state == CL_CLOSED)
		return;
	if (!c->bev && !client_revive(c))
		return;		/* closed */
	if (c->server || c->state == CL_WAITING || c->state == CL_LOGIN_WAIT) {
		relay_client_gone(c);
		pool_client_gone(c);
	}
	client_cancel_lookup(c);
	client_set_state(c, CL_FLUSHING);
	conn_read_disable(&c->rd);
	/* client_write_cb closes when the output is drained */
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_enable(c->bev, EV_WRITE);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		client_close(c, reason);
}

/*
 * Give an idle client's bufferevent back when nothing can need it until
 * the client sends something: logged in, no server, no transaction, nothing
 * buffered either way, nothing owed (LSN probe, pins, parked servers), a
 * plain socket read by our own event.  Anything else: nothing happens.
 */
void client_rest(struct client *c)
{
	if (!c->bev || c->tls || c->admin || c->state != CL_IDLE || c->server || c->pinned ||
	    c->parked[0] || c->parked[1] || c->lsn_probe || c->want_lsn || c->wait_probe ||
	    c->read_paused || c->tx_status != 'I' || !c->rd.ev || !c->rd.enabled ||
	    c->rd.revive != client_revive || c->pending_ops)
		return;
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) != 0 ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) != 0)
		return;
	bufferevent_setfd(c->bev, -1);	/* the socket stays open, with our read event on it */
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->rd.bev = NULL;
}

/* Formatted when asked, not per statement. */
void client_last_route(const struct client *c, char *buf, size_t len)
{
	if (c->last_pool && c->last_on_replica && c->last_causal_us >= 0)
		snprintf(buf, len, "replica:%s (causal: waited %lld us for replay)",
			 c->last_pool->node_name, (long long)c->last_causal_us);
	else if (c->last_pool)
		snprintf(buf, len, "%s:%s", c->last_on_replica ? "replica" : "primary",
			 c->last_pool->node_name);
	else if (len > 0)
		buf[0] = '\0';
}

/*
 * The key under which C shares its required LSN with other sessions: its
 * pgsteer.sticky_key, or with read_your_writes_scope = user one for its
 * login user, database and cluster (LSNs of two clusters do not compare).
 * The key starts with a byte no SQL literal normally holds, so it meets no
 * key an application chose.  NULL: its own position only.
 */
const char *client_ryw_key(struct client *c)
{
	char key[CLASSIFY_VALUE_LEN];

	if (c->sticky_key)
		return c->sticky_key;
	if (rt.cfg->read_your_writes_scope != RYW_SCOPE_USER || !c->user || !c->database)
		return NULL;
	if (c->scope_key && c->scope_key_cluster == c->cluster)
		return c->scope_key;
	snprintf(key, sizeof(key), "\001user %s\001%s\001%d", c->user, c->database, c->cluster);
	free(c->scope_key);
	c->scope_key = strdup(key);	/* out of memory: this session's own position only */
	c->scope_key_cluster = c->cluster;
	return c->scope_key;
}

/* One step through "name\0value\0..." as it was kept at startup; *POS starts NULL. */
bool client_startup_next(const struct client *c, const char **pos, const char **name,
			 const char **value)
{
	const char *p = *pos ? *pos : c->startup_params, *end, *v;

	if (!p)
		return false;
	end = c->startup_params + c->startup_params_len;
	if (p >= end || !*p || (v = p + strlen(p) + 1) >= end)
		return false;
	*name = p;
	*value = v;
	*pos = v + strlen(v) + 1;
	return true;
}

const char *client_startup_param(const struct client *c, const char *name)
{
	const char *pos = NULL, *n, *v;

	while (client_startup_next(c, &pos, &n, &v))
		if (strcmp(n, name) == 0)
			return v;
	return "";
}

/* The one way out for a client: unlink everywhere, free at loop end. */
void client_close(struct client *c, const char *reason)
{
	if (c->state == CL_CLOSED)
		return;
	log_debug("C-%llu %s: closed: %s", (unsigned long long)c->id, c->addr, reason);
	relay_client_gone(c);
	pool_client_gone(c);
	client_cancel_lookup(c);	/* its answer must not find a freed client */
	client_set_state(c, CL_CLOSED);
	conn_read_disable(&c->rd);
	if (c->bev)
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	list_del(&c->head);
	rt.n_clients--;
	workers_clients_add(-1);
	list_push_tail(&rt.graveyard_clients, &c->head);
	rt_reap_later();
}

void client_free(struct client *c)
{
	if (c->admin_state)
		dataplane.console_free(c);
	conn_reader_release(&c->rd);
	if (c->bev)
		conn_release(c->bev);	/* closes the socket */
	else if (c->fd >= 0)
		evutil_closesocket(c->fd);	/* resting: no bufferevent owns it */
	carry_client_free(c);
	client_forget_startup(c);
	free(c->pin_reason);
	free(c->replay);
	free(c->sticky_key);
	free(c->scope_key);
	free(c->tenant);
	if (c->scram) {
		OPENSSL_cleanse(c->scram, sizeof(*c->scram));
		free(c->scram);
	}
	forget_auth_query_secret(c);
	free(c);
}

/* ---------------- Internal functions ---------------- */

/*
 * A resting client sent something (or must be written to): a new
 * bufferevent on its socket.  False: none could be made, and the client
 * is closed (its socket with it).
 */
static bool client_revive(void *arg)
{
	struct client *c = arg;

	if (c->bev)
		return true;
	c->bev = conn_plain(rt.base, c->fd);
	if (!c->bev) {
		log_error("C-%llu %s: out of memory for the connection's buffers",
			  (unsigned long long)c->id, c->addr);
		client_close(c, "out of memory");
		return false;
	}
	c->rd.bev = c->bev;
	bufferevent_setcb(c->bev, NULL, client_write_cb, client_event_cb, c);
	bufferevent_enable(c->bev, EV_WRITE);
	return true;
}

static void client_read_cb(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;

	UNUSED(bev);
	switch (c->state) {
	case CL_STARTUP:
	case CL_AUTH:
		client_on_read(c);
		break;
	case CL_IDLE:
	case CL_WAITING:
	case CL_ACTIVE:
		if (c->admin)
			dataplane.console_input(c);
		else
			relay_client_input(c);
		break;
	case CL_AUTH_LOOKUP:
	case CL_LOGIN_WAIT:
		/* nothing may arrive before our request / ReadyForQuery; keep it buffered */
		break;
	case CL_FLUSHING:
	case CL_CLOSED:
		evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
		break;
	}
}

static void client_write_cb(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;

	UNUSED(bev);
	if (c->state == CL_FLUSHING) {
		client_close(c, "error sent");
		return;
	}
	if (c->rest_when_written) {
		c->rest_when_written = false;
		client_rest(c);		/* nothing happens unless it is still idle */
		if (!c->bev)
			return;
	}
	/* Output drained below the low watermark: resume reading from the server. */
	if (c->state == CL_ACTIVE && c->server)
		relay_client_drained(c);
}

static void client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;

	UNUSED(bev);
	if (what & BEV_EVENT_CONNECTED) {
		conn_reader_tls_ready(&c->rd, rt.base);	/* TLS handshake done */
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		unsigned long e = conn_reader_tls_error(&c->rd);
		if (e)
			log_info("C-%llu %s: TLS error: %s", (unsigned long long)c->id, c->addr,
				 ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?");
	}
	client_close(c, (what & BEV_EVENT_EOF) ? "client closed connection" : "client socket error");
}

/* user and database head the kept block; everything else follows them. */
static bool kept_startup_param(const char *name)
{
	return strcmp(name, "user") != 0 && strcmp(name, "database") != 0;
}

/*
 * Keep what the client asked for, compactly, in one allocation (every idle
 * client carries it): "USER\0DATABASE\0" then every other parameter as
 * "name\0value\0...".  c->user and c->database point into it.  False: out of
 * memory, the client failed.
 */
static bool keep_startup_params(struct client *c, const struct startup_packet *sp,
				const char *user, const char *database)
{
	size_t ul = strlen(user) + 1, dl = strlen(database) + 1, blen = 0, o;
	char *block;

	for (int i = 0; i < sp->n_params; i++)
		if (kept_startup_param(sp->names[i]))
			blen += strlen(sp->names[i]) + strlen(sp->values[i]) + 2;
	block = malloc(ul + dl + blen);
	if (!block) {
		client_fail(c, "FATAL", "53200", "out of memory");
		return false;
	}
	client_forget_startup(c);
	memcpy(block, user, ul);
	memcpy(block + ul, database, dl);
	o = ul + dl;
	for (int i = 0; i < sp->n_params; i++) {
		size_t nl = strlen(sp->names[i]) + 1, vl = strlen(sp->values[i]) + 1;

		if (!kept_startup_param(sp->names[i]))
			continue;
		memcpy(block + o, sp->names[i], nl);
		memcpy(block + o + nl, sp->values[i], vl);
		o += nl + vl;
	}
	Assert(o == ul + dl + blen);
	c->user = block;
	c->database = block + ul;
	c->startup_params = blen ? block + ul + dl : NULL;
	c->startup_params_len = (uint32_t)blen;
	return true;
}

/* Answer an SSLRequest: 'S' and switch to TLS, or 'N'. */
static void handle_ssl_request(struct client *c)
{
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) != 0) {
		client_fail(c, "FATAL", "08P01", "unexpected data after SSLRequest");
		return;
	}
	if (!rt.client_tls || c->tls) {
		evbuffer_add(bufferevent_get_output(c->bev), "N", 1);
		return;
	}
	/* Nothing else is queued on a fresh connection, so write 'S' directly. */
	if (send(c->fd, "S", 1, MSG_NOSIGNAL) != 1) {
		client_close(c, "cannot answer SSLRequest");
		return;
	}
	conn_reader_release(&c->rd);
	c->bev = conn_upgrade_tls(rt.base, c->bev, c->fd, rt.client_tls,
				  BUFFEREVENT_SSL_ACCEPTING, NULL, false);
	if (!c->bev) {
		evutil_closesocket(c->fd);
		log_warning("C-%llu %s: cannot start TLS", (unsigned long long)c->id, c->addr);
		client_close(c, "TLS setup failed");
		return;
	}
	c->tls = true;
	conn_reader_init(&c->rd, rt.base, c->bev, true, client_read_cb, client_write_cb,
			 client_event_cb, c);
	conn_read_enable(&c->rd);
	bufferevent_enable(c->bev, EV_WRITE);
}

/* Answer a startup with a minor version above 0 (PostgreSQL does the same). */
static void negotiate_version(struct client *c, const struct startup_packet *sp)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len = 4 + 4 + 4;
	int n_unknown = 0;
	uint8_t b[4];

	for (int i = 0; i < sp->n_params; i++) {
		if (strncmp(sp->names[i], "_pq_.", 5) == 0) {
			len += strlen(sp->names[i]) + 1;
			n_unknown++;
		}
	}
	evbuffer_add(out, "v", 1);
	proto_put_u32(b, (uint32_t)len);
	evbuffer_add(out, b, 4);
	proto_put_u32(b, 0);
	evbuffer_add(out, b, 4);
	proto_put_u32(b, (uint32_t)n_unknown);
	evbuffer_add(out, b, 4);
	for (int i = 0; i < sp->n_params; i++)
		if (strncmp(sp->names[i], "_pq_.", 5) == 0)
			evbuffer_add(out, sp->names[i], strlen(sp->names[i]) + 1);
}

/* Read and act on one startup-phase packet. */
static void handle_startup(struct client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	char body[MAX_STARTUP_PACKET];
	uint8_t lenbuf[4];
	uint32_t len;
	enum proto_frame frame;
	struct startup_packet sp;
	const char *err;

	while (c->state == CL_STARTUP) {
		if (evbuffer_get_length(in) < 4)
			return;
		evbuffer_copyout(in, lenbuf, 4);
		frame = proto_frame_startup(lenbuf, evbuffer_get_length(in), MAX_STARTUP_PACKET, &len);
		if (frame == PROTO_FRAME_BAD_LENGTH) {
			/*
			 * As PostgreSQL: logged, nothing sent.  A client that sends
			 * Terminate before its startup packet (node-postgres ending
			 * a connection still opening) must not get an error to raise.
			 */
			stats.protocol_errors++;
			log_info("C-%llu %s: invalid length of startup packet (SQLSTATE 08P01)",
				 (unsigned long long)c->id, c->addr);
			client_close(c, "invalid length of startup packet");
			return;
		}
		if (frame == PROTO_FRAME_NEED_MORE)
			return;
		evbuffer_drain(in, 4);
		evbuffer_remove(in, body, len - 4);
		err = proto_parse_startup(body, len - 4, &sp);
		if (err) {
			if (sp.code != 0 && (sp.code >> 16) != 3 && sp.code != PROTO_CANCEL_CODE &&
			    sp.code != PROTO_SSL_CODE && sp.code != PROTO_GSSENC_CODE)
				client_fail(c, "FATAL", "0A000",
					    "unsupported frontend protocol %u.%u: server supports 3.0 to 3.0",
					    sp.code >> 16, sp.code & 0xFFFF);
			else
				client_fail(c, "FATAL", "08P01", "%s", err);
			return;
		}
		switch (sp.code) {
		case PROTO_SSL_CODE:
			handle_ssl_request(c);
			continue;
		case PROTO_GSSENC_CODE:
			evbuffer_add(bufferevent_get_output(c->bev), "N", 1);
			continue;
		case PROTO_CANCEL_CODE:
			cancel_forward(sp.cancel_pid, sp.cancel_key);
			client_close(c, "cancel request handled");
			return;
		default:
			break;
		}

		/* A StartupMessage. */
		if ((sp.code & 0xFFFF) != 0)
			negotiate_version(c, &sp);
		const char *user = "", *database = "";
		for (int i = 0; i < sp.n_params; i++) {
			const char *n = sp.names[i], *v = sp.values[i];
			bool is_user = strcmp(n, "user") == 0;

			if (!is_user && strcmp(n, "database") != 0)
				continue;
			if (strlen(v) >= NAME_LEN) {
				client_fail(c, "FATAL", "08P01", "startup parameter \"%s\" too long", n);
				return;
			}
			if (is_user)
				user = v;
			else
				database = v;
		}
		if (!user[0]) {
			client_fail(c, "FATAL", "28000", "no PostgreSQL user name specified in startup packet");
			return;
		}
		if (!keep_startup_params(c, &sp, user, database[0] ? database : user))
			return;
		if (c->reject_full) {
			if (rt.shutting_down)
				client_fail(c, "FATAL", "57P03", "the database system is shutting down");
			else
				client_fail(c, "FATAL", "53300",
					    "sorry, too many clients already (max_client_conn = %d)",
					    rt.cfg->max_client_conn);
			return;
		}
		if (rt.cfg->client_tls_sslmode >= TLS_REQUIRE && !c->tls) {
			client_fail(c, "FATAL", "28000", "SSL required: connect with sslmode=require");
			return;
		}
		if (evbuffer_get_length(in) != 0) {
			client_fail(c, "FATAL", "08P01", "unexpected data after startup packet");
			return;
		}
		enum auth_type method = rt.cfg->auth_type;
		struct cert_need need = client_tls_cert_need();
		if (!check_hba(c, &method, &need) || !check_client_cert(c, method, &need))
			return;
		if (strcmp(c->database, ADMIN_DATABASE) == 0) {
			if (!dataplane.console_user_allowed(c->user)) {
				client_fail(c, "FATAL", "42501",
					    "user \"%s\" is not allowed on the pgsteer admin console "
					    "(admin_users, stats_users)", c->user);
				return;
			}
			c->admin = true;
		} else if (!attach_pool(c)) {
			return;
		}
		begin_auth(c, method);
		return;
	}
}

/*
 * Choose the cluster for the client: its tenant's (tenant.c: startup
 * options, user_pattern, database_pattern), else the one serving its
 * database; log in through that cluster's primary.
 */
static bool attach_pool(struct client *c)
{
	const struct config *cfg = rt.cfg;
	int cluster = -1;
	bool failed;

	for (int i = 0; i < cfg->n_clusters && cluster < 0; i++) {
		strlist dbs = cfg->clusters[i].databases;
		if (!dbs || !dbs[0] || strlist_contains(dbs, "*") || strlist_contains(dbs, c->database))
			cluster = i;
	}
	control_reset_all(c);
	cluster = dataplane.tenant_login_cluster(c, cluster, &failed);
	if (failed)
		return false;
	if (cluster < 0) {
		client_fail(c, "FATAL", "3D000", "database \"%s\" does not exist in pgsteer", c->database);
		return false;
	}
	c->cluster = cluster;
	/* log in through the current primary; before the first check, the first node */
	const struct cluster_snapshot *snap = monitor_snapshot_get(rt.monitor);
	int primary = snap && cluster < snap->n_clusters ? snap->primary[cluster] : -1;
	monitor_snapshot_put(snap);
	for (int i = 0; i < cfg->n_nodes; i++) {
		if (cfg->nodes[i].cluster_index != cluster || (primary >= 0 && i != primary))
			continue;
		c->pool = pool_find_or_create(cfg, i, c->user, c->database);
		if (!c->pool) {
			client_fail(c, "FATAL", "53200", "out of memory");
			return false;
		}
		return true;
	}
	client_fail(c, "FATAL", "08006", "cluster \"%s\" has no nodes", cfg->clusters[cluster].name);
	return false;
}

/* A dummy secret so that unknown users cost the same as known ones. */
static void mock_scram_secret(struct scram_secret *sec)
{
	static const uint8_t salt[16] = "pgsteer-mock-slt";
	scram_secret_from_password_salt("\x01mock\x02", salt, sizeof(salt),
					SCRAM_DEFAULT_ITERATIONS, sec);
}

/*
 * hba_file: the first matching rule gives the client's method (replacing
 * auth_type), or refuses it with PostgreSQL's words.  False: refused.
 */
static bool check_hba(struct client *c, enum auth_type *method, struct cert_need *need)
{
	const struct hba *hba = rt.cfg->hba;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct hba_client hc = { NULL, c->tls, c->user, c->database };
	const struct hba_rule *r;
	char msg[512];

	if (!hba)
		return true;
	if (getpeername(c->fd, (struct sockaddr *)&ss, &sslen) < 0) {
		client_fail(c, "FATAL", "08006", "cannot get the client address");
		return false;
	}
	hc.addr = (struct sockaddr *)&ss;
	r = hba_match(hba, &hc);
	if (!r || r->method == HBA_REJECT) {
		if (r)
			log_info("C-%llu %s: refused by %s:%d", (unsigned long long)c->id, c->addr,
				 hba->path, r->line);
		hba_refusal_message(r, &hc, msg, sizeof(msg));
		client_fail(c, "FATAL", "28000", "%s", msg);
		return false;
	}
	*method = r->method == HBA_MD5 ? AUTH_MD5 : r->method == HBA_SCRAM ? AUTH_SCRAM :
		  r->method == HBA_CERT ? AUTH_CERT : AUTH_TRUST;
	/* the stricter of the rule's demand and client_tls_sslmode's */
	if (r->clientcert > need->level)
		need->level = r->clientcert;
	need->name = r->clientname;
	log_debug("C-%llu %s: %s:%d: %s", (unsigned long long)c->id, c->addr, hba->path, r->line,
		  hba_method_name(r->method));
	return true;
}

/*
 * client_tls_sslmode verify-ca and verify-full ask every client for a
 * certificate.  The cert method (auth_type = cert, or an hba_file rule's)
 * asks for one naming the user by itself: check_client_cert() looks at
 * the method, so an hba_file rule that replaces auth_type = cert with
 * another method does not inherit it.
 */
static struct cert_need client_tls_cert_need(void)
{
	struct cert_need need = { HBA_CLIENTCERT_NONE, HBA_CLIENTNAME_CN };

	if (rt.cfg->client_tls_sslmode == TLS_VERIFY_CA)
		need.level = HBA_CLIENTCERT_CA;
	else if (rt.cfg->client_tls_sslmode == TLS_VERIFY_FULL)
		need.level = HBA_CLIENTCERT_FULL;
	return need;
}

/*
 * The certificate checks of a login, before any password, as PostgreSQL
 * makes them: the TLS handshake already verified the chain against
 * client_tls_ca_file (a bad certificate never gets here); what is left is
 * whether there is one, and under cert / verify-full whether its name is
 * the user.  False: the client was refused.
 */
static bool check_client_cert(struct client *c, enum auth_type method,
			      const struct cert_need *need)
{
	SSL *ssl = c->tls ? bufferevent_openssl_get_ssl(c->bev) : NULL;
	enum hba_clientcert level = method == AUTH_CERT ? HBA_CLIENTCERT_FULL : need->level;
	char name[256];

	if (method == AUTH_CERT && !c->tls) {
		client_fail(c, "FATAL", "28000", "certificate authentication requires SSL: "
			    "connect with sslmode=require and a client certificate");
		return false;
	}
	if (level == HBA_CLIENTCERT_NONE)
		return true;
	if (!ssl || !SSL_get0_peer_certificate(ssl) || SSL_get_verify_result(ssl) != X509_V_OK) {
		auth_failure_noted(c);
		client_fail(c, "FATAL", "28000", "connection requires a valid client certificate");
		return false;
	}
	if (level != HBA_CLIENTCERT_FULL)
		return true;
	if (!tls_peer_name(ssl, need->name == HBA_CLIENTNAME_DN ? TLS_CERT_NAME_DN : TLS_CERT_NAME_CN,
			   name, sizeof(name))) {
		auth_failure_noted(c);
		log_info("C-%llu %s: certificate has no usable %s for user \"%s\"",
			 (unsigned long long)c->id, c->addr,
			 need->name == HBA_CLIENTNAME_DN ? "distinguished name" : "common name", c->user);
		client_fail(c, "FATAL", "28000", "certificate authentication failed for user \"%s\"",
			    c->user);
		return false;
	}
	if (strcmp(name, c->user) != 0) {
		auth_failure_noted(c);
		log_info("C-%llu %s: certificate %s \"%s\" does not match user \"%s\"",
			 (unsigned long long)c->id, c->addr,
			 need->name == HBA_CLIENTNAME_DN ? "DN" : "CN", name, c->user);
		client_fail(c, "FATAL", "28000", "certificate authentication failed for user \"%s\"",
			    c->user);
		return false;
	}
	log_debug("C-%llu %s: client certificate %s \"%s\" accepted", (unsigned long long)c->id,
		  c->addr, need->name == HBA_CLIENTNAME_DN ? "DN" : "CN", name);
	return true;
}

/* Our certificate's tls-server-end-point hash on a TLS connection; false: no PLUS. */
static bool scram_channel_binding_data(struct client *c, uint8_t *data, size_t *len)
{
	SSL *ssl = c->tls ? bufferevent_openssl_get_ssl(c->bev) : NULL;

	return ssl && tls_cert_end_point_hash(SSL_get_certificate(ssl), data, SCRAM_CBIND_MAX, len);
}

/* auth_query answered for C (in CL_AUTH_LOOKUP): ask for the password, or refuse. */
static void auth_lookup_done(void *arg, enum authquery_outcome outcome, const char *secret,
			     const char *message)
{
	struct client *c = arg;
	struct worker *was = worker_current();

	worker_enter(c->worker);	/* the world is stopped: act as the client's worker */
	auth_lookup_finish(c, outcome, secret, message);
	worker_enter(was);
}

/* auth_query answered for C. */
static void auth_lookup_finish(struct client *c, enum authquery_outcome outcome, const char *secret,
			       const char *message)
{
	c->auth_lookup = NULL;
	Assert(c->state == CL_AUTH_LOOKUP);
	if (outcome == AUTHQUERY_FAILED) {
		log_warning("C-%llu %s %s@%s: auth_query failed: %s", (unsigned long long)c->id,
			    c->addr, c->user, c->database, message ? message : "?");
		client_fail(c, "FATAL", "08006", "auth_query failed: %s", message ? message : "?");
		return;
	}
	if (outcome == AUTHQUERY_FOUND && !(c->auth_query_secret = strdup(secret))) {
		client_fail(c, "FATAL", "53200", "out of memory");
		return;
	}
	/* no secret: ask anyway and fail the answer, so the user's existence stays hidden */
	start_auth(c, c->auth_method);
}

/*
 * A password is needed and auth_file does not know the user: with an
 * auth_user, ask the primary of the client's cluster first (auth_file
 * wins, as in PgBouncer; the admin console uses auth_file only).
 */
/*
 * The failed-login guard's key for C: its address (without port) and its
 * user, so that one application's wrong password behind a NAT does not
 * lock out the other users of that address, and a good login of one user
 * does not clear another's failures.  False for Unix sockets (not guarded)
 * or with the guard off.
 */
static bool guard_key(const struct client *c, char *key, size_t len, char *addr, size_t addrlen)
{
	if (rt.cfg->auth_failure_limit <= 0 || !loginguard_addr(c->addr, addr, addrlen))
		return false;
	snprintf(key, len, "%s\n%s", addr, c->user ? c->user : "");
	return true;
}

/*
 * A failed login of C's user from C's address: counted, and remembered so
 * that past auth_failure_limit in auth_failure_window that user's logins
 * from that address are refused at once (loginguard.h).
 */
static void auth_failure_noted(struct client *c)
{
	char addr[LOGINGUARD_ADDR_LEN], key[LOGINGUARD_KEY_LEN];

	stats.auth_failures++;
	if (!guard_key(c, key, sizeof(key), addr, sizeof(addr)))
		return;
	shared_lock();
	loginguard_failed(rt.loginguard, key, now_ms(), rt.cfg->auth_failure_window_ms);
	shared_unlock();
}

/* May C's user try a password from C's address now?  If not, C is refused (FATAL 28000). */
static bool auth_allowed(struct client *c)
{
	char addr[LOGINGUARD_ADDR_LEN], key[LOGINGUARD_KEY_LEN];
	int64_t retry = 0;
	bool ok;

	if (!guard_key(c, key, sizeof(key), addr, sizeof(addr)))
		return true;
	shared_lock();
	ok = loginguard_allows(rt.loginguard, key, now_ms(), rt.cfg->auth_failure_limit,
			       rt.cfg->auth_failure_window_ms, &retry);
	shared_unlock();
	if (ok)
		return true;
	stats.auth_throttled++;
	log_warning("C-%llu %s: login of \"%s\" refused: %d failed logins of that user from %s within %lld ms",
		    (unsigned long long)c->id, c->addr, c->user, rt.cfg->auth_failure_limit, addr,
		    (long long)rt.cfg->auth_failure_window_ms);
	client_fail(c, "FATAL", "28000", "too many failed logins of user \"%s\" from %s: try again in %lld s",
		    c->user, addr, (long long)(retry + 999) / 1000);
	return false;
}

static void begin_auth(struct client *c, enum auth_type method)
{
	const char *db;
	bool needs_password = method == AUTH_MD5 || method == AUTH_SCRAM;

	c->auth_method = method;
	if (method != AUTH_TRUST && !auth_allowed(c))
		return;
	if (!needs_password || c->admin || !rt.cfg->auth_user[0] || !c->pool ||
	    (rt.auth && auth_file_find(rt.auth, c->user))) {
		start_auth(c, method);
		return;
	}
	db = rt.cfg->auth_dbname[0] ? rt.cfg->auth_dbname : c->pool->server_database;
	world_stop();		/* auth_query is the control plane's (worker.h) */
	c->auth_lookup = authquery_lookup(c->pool->node_index, db, c->user, auth_lookup_done, c);
	world_start();
	if (!c->auth_lookup) {
		client_fail(c, "FATAL", "53200", "out of memory");
		return;
	}
	client_set_state(c, CL_AUTH_LOOKUP);
}

static void start_auth(struct client *c, enum auth_type method)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	switch (method) {
	case AUTH_TRUST:
	case AUTH_CERT:		/* check_client_cert() matched the certificate to the user */
		auth_succeeded(c);
		return;
	case AUTH_MD5:
		RAND_bytes(c->md5_salt, sizeof(c->md5_salt));
		proto_add_auth(out, AUTH_REQ_MD5, c->md5_salt, sizeof(c->md5_salt));
		c->auth_step = AUTH_STEP_MD5;
		break;
	case AUTH_SCRAM: {
		/* each name NUL-terminated, the list ends with an empty name; PLUS first, as PostgreSQL */
		static const char mechs_plus[] = SCRAM_MECH_PLUS "\0" SCRAM_MECH "\0";
		static const char mechs[] = SCRAM_MECH "\0";
		uint8_t cbind[SCRAM_CBIND_MAX];
		size_t cblen;

		if (scram_channel_binding_data(c, cbind, &cblen))
			proto_add_auth(out, AUTH_REQ_SASL, mechs_plus, sizeof(mechs_plus));
		else
			proto_add_auth(out, AUTH_REQ_SASL, mechs, sizeof(mechs));
		c->auth_step = AUTH_STEP_SASL_INIT;
		break;
	}
	}
	client_set_state(c, CL_AUTH);
}

static void auth_failed(struct client *c, const char *why)
{
	auth_failure_noted(c);
	log_info("C-%llu %s: password authentication failed for user \"%s\": %s",
		 (unsigned long long)c->id, c->addr, c->user, why);
	client_fail(c, "FATAL", "28P01", "password authentication failed for user \"%s\"", c->user);
}

/* Wipe and free what auth_query found for C, once used (or never). */
/* C's auth_query lookup, if any, must not answer any more (the control plane's: world stopped). */
static void client_cancel_lookup(struct client *c)
{
	if (!c->auth_lookup)
		return;
	world_stop();
	authquery_cancel(c->auth_lookup);
	world_start();
	c->auth_lookup = NULL;
}

static void forget_auth_query_secret(struct client *c)
{
	if (!c->auth_query_secret)
		return;
	OPENSSL_cleanse(c->auth_query_secret, strlen(c->auth_query_secret));
	free(c->auth_query_secret);
	c->auth_query_secret = NULL;
}

/* The secret auth_query found, shaped as an auth_file entry (borrowing C's strings). */
static const struct auth_entry *auth_query_entry(struct client *c, struct auth_entry *e)
{
	e->user = (char *)c->user;	/* borrowed, never written */
	e->secret = c->auth_query_secret;
	e->kind = auth_secret_kind(c->auth_query_secret);
	e->line = 0;
	return e;
}

/* Handle a PasswordMessage / SASLInitialResponse / SASLResponse. */
static void handle_password(struct client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const struct auth_entry *entry;
	struct auth_entry aq_entry;
	uint8_t type;
	uint32_t len;
	char *msg;
	char reply[1024];
	const char *err = NULL;
	int n;

	if (!proto_peek_header(in, 0, &type, &len))
		return;
	if (type != 'p') {
		client_fail(c, "FATAL", "08P01", "expected password response, got message type %d", type);
		return;
	}
	if (len < 4 || len > MAX_PASSWORD_PACKET) {
		client_fail(c, "FATAL", "08P01", "invalid password packet size");
		return;
	}
	if (evbuffer_get_length(in) < 1 + (size_t)len)
		return;
	evbuffer_drain(in, PROTO_HEADER_LEN);
	len -= 4;
	msg = malloc(len + 1);
	if (!msg) {
		client_fail(c, "FATAL", "53200", "out of memory");
		return;
	}
	evbuffer_remove(in, msg, len);
	msg[len] = '\0';
	entry = rt.auth ? auth_file_find(rt.auth, c->user) : NULL;
	if (!entry && c->auth_query_secret)
		entry = auth_query_entry(c, &aq_entry);

	switch (c->auth_step) {
	case AUTH_STEP_MD5:
		if (len == 0 || msg[len - 1] != '\0' || strlen(msg) != 35)
			auth_failed(c, "malformed MD5 response");
		else if (!entry)
			auth_failed(c, "user not in auth_file");
		else if (!auth_md5_check(entry, c->user, c->md5_salt, msg))
			auth_failed(c, entry->kind == SECRET_SCRAM ?
				    "auth_file has a SCRAM secret; MD5 needs a plain or md5 password" :
				    "wrong password");
		else
			auth_succeeded(c);
		break;
	case AUTH_STEP_SASL_INIT: {
		/* mechanism\0 int32 len, data */
		const char *mech, *data;
		size_t dlen;
		struct scram_secret secret;
		bool known = true;
		uint8_t cbind[SCRAM_CBIND_MAX];
		size_t cblen = 0;
		bool offered = scram_channel_binding_data(c, cbind, &cblen), chosen;
		err = proto_parse_sasl_initial(msg, len, &mech, &data, &dlen);
		if (err) {
			client_fail(c, "FATAL", "08P01", "%s", err);
			break;
		}
		chosen = strcmp(mech, SCRAM_MECH_PLUS) == 0;
		if (!chosen && strcmp(mech, SCRAM_MECH) != 0) {
			client_fail(c, "FATAL", "08P01", "client selected an invalid SASL authentication mechanism");
			break;
		}
		if (chosen && !offered) {
			client_fail(c, "FATAL", "08P01", "client selected %s, which was not offered "
				    "(channel binding needs TLS)", SCRAM_MECH_PLUS);
			break;
		}
		if (!entry)
			known = false;
		else if (entry->kind == SECRET_SCRAM)
			known = scram_parse_secret(entry->secret, &secret);
		else if (entry->kind == SECRET_PLAIN)
			known = scram_secret_from_password(entry->secret, &secret);
		else
			known = false;	/* md5 hashes cannot do SCRAM */
		if (!known)
			mock_scram_secret(&secret);
		c->scram = calloc(1, sizeof(*c->scram));
		if (!c->scram) {
			client_fail(c, "FATAL", "53200", "out of memory");
			break;
		}
		scram_server_init(c->scram, &secret);
		scram_server_set_channel_binding(c->scram, offered, chosen, cbind, cblen);
		OPENSSL_cleanse(&secret, sizeof(secret));
		n = scram_server_first(c->scram, data, dlen, reply, sizeof(reply), &err);
		if (n < 0) {
			client_fail(c, "FATAL", "08P01", "malformed SCRAM message: %s", err ? err : "?");
			break;
		}
		proto_add_auth(out, AUTH_REQ_SASL_CONT, reply, (size_t)n);
		c->auth_step = known ? AUTH_STEP_SASL_FINAL : AUTH_STEP_SASL_MOCK;
		break;
	}
	case AUTH_STEP_SASL_FINAL:
		n = scram_server_final(c->scram, msg, len, reply, sizeof(reply), &err);
		if (n < 0 && err == scram_err_channel_binding) {
			/* as PostgreSQL: a protocol violation, not a wrong password */
			auth_failure_noted(c);
			client_fail(c, "FATAL", "08P01", "%s", err);
			break;
		}
		if (n < 0) {
			auth_failed(c, err ? err : "bad proof");
			break;
		}
		proto_add_auth(out, AUTH_REQ_SASL_FIN, reply, (size_t)n);
		auth_succeeded(c);
		break;
	case AUTH_STEP_SASL_MOCK:
	case AUTH_STEP_NONE:
		auth_failed(c, entry ? "secret unusable for SCRAM" : "user not in auth_file");
		break;
	}
	OPENSSL_cleanse(msg, len);
	free(msg);
}

/* Authentication passed: AuthenticationOk, then wait for pool parameters. */
static void auth_succeeded(struct client *c)
{
	char addr[LOGINGUARD_ADDR_LEN], key[LOGINGUARD_KEY_LEN];

	if (c->auth_method != AUTH_TRUST && guard_key(c, key, sizeof(key), addr, sizeof(addr))) {
		shared_lock();
		loginguard_succeeded(rt.loginguard, key);
		shared_unlock();
	}
	if (c->auth_query_secret) {
		/* SCRAM against a fetched secret: the proof's keys let servers log in (passthrough) */
		if (c->scram && auth_secret_kind(c->auth_query_secret) == SECRET_SCRAM) {
			world_stop();
			authquery_remember_keys(c->pool->cluster_name, c->user, c->auth_query_secret,
						c->scram->client_key, c->scram->secret.server_key);
			world_start();
		}
		forget_auth_query_secret(c);
	} else if (c->scram && rt.auth) {
		/* SCRAM against an auth_file SCRAM secret: passthrough for its server logins too */
		shared_lock();
		auth_file_remember_keys(rt.auth, c->user, NULL, c->scram->client_key,
					c->scram->secret.server_key);
		shared_unlock();
	}
	if (c->scram) {
		OPENSSL_cleanse(c->scram, sizeof(*c->scram));
		free(c->scram);
		c->scram = NULL;
	}
	RAND_bytes((unsigned char *)&c->cancel_pid, sizeof(c->cancel_pid));
	RAND_bytes((unsigned char *)&c->cancel_key, sizeof(c->cancel_key));
	c->cancel_pid &= 0x7FFFFFFF;
	proto_add_auth(bufferevent_get_output(c->bev), AUTH_REQ_OK, NULL, 0);
	c->auth_step = AUTH_STEP_NONE;
	if (c->admin) {
		dataplane.console_start(c);
		return;
	}
	int check = carry_startup_settings(c);
	if (check < 0)
		return;		/* refused */
	if (check == 0 && rt.cfg->pool_mode == POOL_MODE_TRANSACTION && pool_params_known(c->pool)) {
		client_welcome(c, &c->pool->params);
		client_set_state(c, CL_IDLE);
		return;
	}
	/* Learn the server's parameters (and in session mode, get our server). */
	client_set_state(c, CL_LOGIN_WAIT);
	pool_acquire(c->pool, c);
}
