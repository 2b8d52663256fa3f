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

#include <event2/buffer.h>

#include "conn.h"

/* Bytes moved per read/write callback: several pgbench replies per syscall. */
#define CONN_IO_CHUNK (64 * 1024)

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
				     enum bufferevent_ssl_state state, const char *sni)
{
	SSL *ssl;
	struct bufferevent *bev;

	bufferevent_setfd(plain, -1);	/* keep fd open across the swap */
	bufferevent_free(plain);
	ssl = SSL_new(ctx);
	if (!ssl)
		return NULL;
	if (sni && state == BUFFEREVENT_SSL_CONNECTING)
		SSL_set_tlsext_host_name(ssl, sni);
	bev = bufferevent_openssl_socket_new(base, fd, ssl, state, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	tune(bev);
	return bev;
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
