/*
 * Socket and bufferevent helpers.  Owns no connection state; client and
 * server modules decide when to call these.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <errno.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "conn.h"
#include "pgsteer.h"

/* Bytes moved per read/write callback: several pgbench replies per syscall. */
#define CONN_IO_CHUNK (64 * 1024)
#define CONN_READ_CHUNK (16 * 1024)
/*
 * A read into an empty input buffer makes libevent allocate a chain, and
 * the relay frees it again once the bytes are forwarded: for a statement
 * or a reply of a few hundred bytes, twice per transaction.  libevent's
 * smallest chain is a 1 KiB allocation (a 48-byte header and the data),
 * which glibc hands out from its per-thread cache in a few instructions;
 * CONN_READ_CHUNK's 16 KiB goes through the general allocator.  So a
 * connection reads CONN_READ_SMALL bytes until a read fills it, and
 * CONN_READ_CHUNK from then until a read comes back small again.
 */
#define CONN_READ_SMALL 960

void conn_setup_socket(evutil_socket_t fd, bool keepalive)
{
	int on = 1;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 && ss.ss_family != AF_UNIX) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		if (keepalive)
			setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	}
}

/* R's read event out of epoll, reading being off (conn_read_disable()). */
static void disarm(struct conn_reader *r)
{
	event_del(r->ev);
	r->armed = false;
}

/* One readiness event: a single recv into the input buffer. */
static void reader_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn_reader *r = arg;
	struct evbuffer *in;
	struct evbuffer_iovec v;
	ssize_t n;

	(void)what;
	if (!r->enabled) {
		disarm(r);	/* bytes (or EOF) while reading is off: now the event goes */
		return;
	}
	if (!r->bev && (!r->revive || !r->revive(r->arg)))
		return;
	in = bufferevent_get_input(r->bev);
	/* a socket bufferevent keeps its input's end frozen outside its own reads */
	evbuffer_unfreeze(in, 0);
	if (evbuffer_reserve_space(in, r->wide ? CONN_READ_CHUNK : CONN_READ_SMALL, &v, 1) < 1) {
		evbuffer_freeze(in, 0);
		r->eventcb(r->bev, BEV_EVENT_READING | BEV_EVENT_ERROR, r->arg);
		return;
	}
	n = recv(fd, v.iov_base, v.iov_len, 0);
	if (n > 0) {
		r->wide = (size_t)n == v.iov_len || n > CONN_READ_SMALL;
		v.iov_len = (size_t)n;
		evbuffer_commit_space(in, &v, 1);
	}
	evbuffer_freeze(in, 0);
	if (n > 0) {
		clock_freeze();
		r->readcb(r->bev, r->arg);
		clock_thaw();
	} else if (n == 0) {
		r->eventcb(r->bev, BEV_EVENT_READING | BEV_EVENT_EOF, r->arg);
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		r->eventcb(r->bev, BEV_EVENT_READING | BEV_EVENT_ERROR, r->arg);
	}
}

/* Why SSL_read() returned N <= 0: 0 (wait for the socket), or the event to report. */
static short tls_read_failure(struct conn_reader *r, int n)
{
	BIO *rbio = SSL_get_rbio(r->ssl);
	unsigned long e;
	int err;

	/*
	 * The common case first, as SSL_get_error() decides it but without
	 * the error queue: stale entries there would make it say SSL_ERROR_SSL.
	 */
	if (SSL_want_read(r->ssl) && BIO_should_retry(rbio) && BIO_should_read(rbio))
		return 0;
	err = SSL_get_error(r->ssl, n);
	e = ERR_peek_error();
	ERR_clear_error();
	if (err == SSL_ERROR_WANT_READ)
		return 0;
	if (err == SSL_ERROR_WANT_WRITE) {
		/* a TLS 1.3 KeyUpdate answered on a full socket: read again once it takes bytes */
		event_add(r->tls_wait, NULL);
		return 0;
	}
	r->tls_error = e;
	/*
	 * EOF: a close_notify, or (as libevent's allow_dirty_shutdown reports
	 * it) a close or reset without one; anything else is an error.
	 */
	if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && e == 0) ||
	    (err != SSL_ERROR_SYSCALL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING))
		return BEV_EVENT_READING | BEV_EVENT_EOF;
	return BEV_EVENT_READING | BEV_EVENT_ERROR;
}

/*
 * A TLS connection is readable: decrypt every record OpenSSL can give
 * (read-ahead may hold several from one read()) into the input buffer,
 * then hand the bytes over, as reader_cb() does for plain sockets.
 */
static void tls_reader_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn_reader *r = arg;
	struct evbuffer *in = bufferevent_get_input(r->bev);
	short failed = 0;
	bool got = false;

	(void)fd;
	(void)what;
	if (!r->enabled) {
		disarm(r);
		return;
	}
	for (;;) {
		struct evbuffer_iovec v;
		int n;

		if (evbuffer_reserve_space(in, r->wide ? CONN_READ_CHUNK : CONN_READ_SMALL, &v, 1) < 1) {
			failed = BEV_EVENT_READING | BEV_EVENT_ERROR;
			break;
		}
		n = SSL_read(r->ssl, v.iov_base, (int)v.iov_len);
		if (n <= 0) {
			failed = tls_read_failure(r, n);
			break;
		}
		r->wide = (size_t)n == v.iov_len || n > CONN_READ_SMALL;
		v.iov_len = (size_t)n;
		evbuffer_commit_space(in, &v, 1);
		got = true;
		if (SSL_pending(r->ssl) == 0 && !SSL_has_pending(r->ssl))
			break;
	}
	if (!got) {
		if (failed)
			r->eventcb(r->bev, failed, r->arg);
		return;
	}
	/*
	 * The bytes first, the failure on the next turn (R may be gone by
	 * then): SSL_read() fails again at once.  If the bytes stop the
	 * reading, conn_read_enable() makes that turn.
	 */
	if (failed) {
		r->tls_failed = true;
		event_active(r->ev, EV_READ, 1);
	}
	clock_freeze();
	r->readcb(r->bev, r->arg);
	clock_thaw();
}

void conn_reader_tls_ready(struct conn_reader *r, struct event_base *base)
{
	SSL *ssl = r->bev ? bufferevent_openssl_get_ssl(r->bev) : NULL;
	evutil_socket_t fd = r->bev ? bufferevent_getfd(r->bev) : -1;
	bufferevent_data_cb writecb;
	bufferevent_event_cb eventcb;
	void *arg;

	if (!ssl || fd < 0 || r->ev)
		return;
	r->ev = event_new(base, fd, EV_READ | EV_PERSIST, tls_reader_cb, r);
	r->tls_wait = event_new(base, fd, EV_WRITE, tls_reader_cb, r);
	if (!r->ev || !r->tls_wait) {
		if (r->ev)
			event_free(r->ev);
		if (r->tls_wait)
			event_free(r->tls_wait);
		r->ev = r->tls_wait = NULL;
		return;		/* libevent keeps reading */
	}
	r->ssl = ssl;
	r->tls_error = 0;
	r->tls_failed = false;
	SSL_set_read_ahead(ssl, 1);
	bufferevent_disable(r->bev, EV_READ);
	bufferevent_getcb(r->bev, NULL, &writecb, &eventcb, &arg);
	bufferevent_setcb(r->bev, NULL, writecb, eventcb, arg);
	if (r->enabled) {
		event_add(r->ev, NULL);
		r->armed = true;
		if (SSL_has_pending(ssl))
			event_active(r->ev, EV_READ, 1);
	}
}

unsigned long conn_reader_tls_error(const struct conn_reader *r)
{
	if (r->tls_error)
		return r->tls_error;
	return r->bev ? bufferevent_get_openssl_error(r->bev) : 0;
}

void conn_reader_init(struct conn_reader *r, struct event_base *base, struct bufferevent *bev,
		      bool tls, bufferevent_data_cb readcb, bufferevent_data_cb writecb,
		      bufferevent_event_cb eventcb, void *arg)
{
	evutil_socket_t fd = bufferevent_getfd(bev);

	conn_reader_release(r);
	r->bev = bev;
	r->revive = NULL;
	r->readcb = readcb;
	r->eventcb = eventcb;
	r->arg = arg;
	r->enabled = false;
	r->wide = false;
	if (!tls && fd >= 0) {
		r->ev = event_new(base, fd, EV_READ | EV_PERSIST, reader_cb, r);
		bufferevent_setcb(bev, NULL, writecb, eventcb, arg);
	} else {
		bufferevent_setcb(bev, readcb, writecb, eventcb, arg);
	}
}

void conn_read_enable(struct conn_reader *r)
{
	if (r->enabled)
		return;
	r->enabled = true;
	if (r->ev) {
		if (!r->armed)
			event_add(r->ev, NULL);
		r->armed = true;
		/* records OpenSSL read ahead make the socket look idle */
		if (r->ssl && (r->tls_failed || SSL_has_pending(r->ssl)))
			event_active(r->ev, EV_READ, 1);
	} else if (r->bev)
		bufferevent_enable(r->bev, EV_READ);
}

void conn_read_disable(struct conn_reader *r)
{
	if (!r->enabled)
		return;
	r->enabled = false;
	if (r->tls_wait)
		event_del(r->tls_wait);
	/*
	 * Our own read event stays in epoll until it fires (disarm()): a
	 * client queued for a server, or waiting for its write's position,
	 * sends nothing more until it is answered, so reading is back on
	 * before the event could fire, and the two epoll_ctl() that an
	 * event_del() and event_add() cost are saved (measured: 2 per
	 * statement at 64 pgbench clients on a pool of 20).
	 */
	if (!r->ev && r->bev)
		bufferevent_disable(r->bev, EV_READ);
}

void conn_reader_release(struct conn_reader *r)
{
	if (r->ev) {
		event_free(r->ev);
		r->ev = NULL;
	}
	if (r->tls_wait) {
		event_free(r->tls_wait);
		r->tls_wait = NULL;
	}
	r->ssl = NULL;
	r->tls_failed = false;
	r->enabled = false;
	r->armed = false;
}

static void tune(struct bufferevent *bev)
{
	bufferevent_set_max_single_read(bev, CONN_IO_CHUNK);
	bufferevent_set_max_single_write(bev, CONN_IO_CHUNK);
}

struct bufferevent *conn_plain(struct event_base *base, evutil_socket_t fd)
{
	struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev)
		tune(bev);
	return bev;
}

struct bufferevent *conn_upgrade_tls(struct event_base *base, struct bufferevent *plain,
				     evutil_socket_t fd, SSL_CTX *ctx,
				     enum bufferevent_ssl_state state, const char *sni,
				     bool verify_host)
{
	SSL *ssl;
	struct bufferevent *bev;

	bufferevent_setfd(plain, -1);	/* keep fd open across the swap */
	bufferevent_free(plain);
	ssl = SSL_new(ctx);
	if (!ssl)
		return NULL;
	if (sni && state == BUFFEREVENT_SSL_CONNECTING) {
		unsigned char addr[16];
		bool numeric = inet_pton(AF_INET, sni, addr) == 1 || inet_pton(AF_INET6, sni, addr) == 1;
		if (!numeric)
			SSL_set_tlsext_host_name(ssl, sni);	/* SNI carries names only */
		if (verify_host) {
			/* verify-full: the certificate must name the host (an address: its IP SAN) */
			X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
			int ok = numeric ? X509_VERIFY_PARAM_set1_ip_asc(vp, sni)
					 : X509_VERIFY_PARAM_set1_host(vp, sni, 0);
			if (ok != 1) {
				SSL_free(ssl);
				return NULL;
			}
		}
	}
	bev = bufferevent_openssl_socket_new(base, fd, ssl, state, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	tune(bev);
	return bev;
}

/*
 * libevent's TLS writer registers the write event when bytes are added to
 * an empty output buffer, writes them at once, and removes the event
 * again: two epoll_ctl() per reply.  Writing here skips both.
 *
 * A refused SSL_write() (SSL_ERROR_WANT_WRITE) holds the record it made and
 * must be retried with at least the same bytes.  The caller then queues
 * IN's first bytes, whose first chain starts with the same bytes and is at
 * least as long as the one tried, and libevent's writer (the SSL is in
 * SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) retries from there.  Any other
 * failure is left to that writer too, which reports it as an event.
 */
size_t conn_tls_write_now(struct bufferevent *bev, struct evbuffer *in, size_t n)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	size_t done = 0;

	if (!ssl || !SSL_is_init_finished(ssl))
		return 0;
	while (done < n) {
		struct evbuffer_iovec v;
		size_t want;
		int r;

		if (evbuffer_peek(in, (ev_ssize_t)(n - done), NULL, &v, 1) < 1 || v.iov_len == 0)
			break;
		want = v.iov_len < n - done ? v.iov_len : n - done;
		if (want > INT_MAX)
			want = INT_MAX;
		r = SSL_write(ssl, v.iov_base, (int)want);
		if (r <= 0) {
			/* libevent's writer asks SSL_get_error() after its own try */
			ERR_clear_error();
			break;
		}
		evbuffer_drain(in, (size_t)r);
		done += (size_t)r;
		if ((size_t)r < want)
			break;
	}
	return done;
}

void conn_release(struct bufferevent *bev)
{
	if (bev)
		bufferevent_free(bev);
}

int conn_connect(struct bufferevent *bev, const char *host, int port)
{
	if (host[0] == '/') {
		struct sockaddr_un sun;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		int n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/.s.PGSQL.%d", host, port);
		if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
			return -1;
		return bufferevent_socket_connect(bev, (struct sockaddr *)&sun, sizeof(sun));
	}
	struct sockaddr_storage ss;
	int sl = sizeof(ss);
	char hostport[300];
	int n = snprintf(hostport, sizeof(hostport), strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
	if (n > 0 && (size_t)n < sizeof(hostport) &&
	    evutil_parse_sockaddr_port(hostport, (struct sockaddr *)&ss, &sl) == 0)
		return bufferevent_socket_connect(bev, (struct sockaddr *)&ss, sl);
	/* a host name: libevent resolves it (blocking getaddrinfo without an evdns base) */
	return bufferevent_socket_connect_hostname(bev, NULL, AF_UNSPEC, host, port);
}

void conn_format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%d", host, ntohs(in->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%d", host, ntohs(in6->sin6_port));
		break;
	}
	case AF_UNIX:
		snprintf(buf, len, "unix");
		break;
	default:
		snprintf(buf, len, "?");
	}
}
