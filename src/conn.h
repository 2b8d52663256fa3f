/*
 * Socket plumbing shared by client and server connections: socket options,
 * creating plain and TLS bufferevents on a descriptor, upgrading a plain
 * connection to TLS in place, and releasing both.
 */
#ifndef PGSTEER_CONN_H
#define PGSTEER_CONN_H

#include <stdbool.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/ssl.h>

/*
 * The read side of a connection.  For plain sockets pgsteer owns the read
 * event and recv()s straight into the bufferevent's input buffer: one
 * syscall per read, where evbuffer_read also asks FIONREAD every time (on
 * a VM every syscall is the main cost of a proxy).  A TLS connection's
 * bufferevent does the handshake; then conn_reader_tls_ready() has pgsteer
 * SSL_read() into the input buffer the same way, with read-ahead (one
 * read() per record instead of two).  Writes go through the bufferevent,
 * or straight to the socket when nothing is queued (relay.c).
 */
struct conn_reader {
	struct event *ev;		/* NULL: the bufferevent reads (TLS until its handshake is done) */
	bool enabled;
	bool armed;			/* EV in epoll: it stays there while reading is off, until it fires */
	bool wide;			/* the last read filled its room: read CONN_READ_CHUNK */
	struct bufferevent *bev;	/* NULL while the owner rests its buffers (plain sockets) */
	bufferevent_data_cb readcb;
	bufferevent_event_cb eventcb;
	void *arg;
	/* bev is NULL and input arrived: give the reader a bufferevent again (false: gone) */
	bool (*revive)(void *arg);
	/* TLS once conn_reader_tls_ready() took over the reading (else NULL) */
	SSL *ssl;
	struct event *tls_wait;		/* SSL_read() must write first: wait for room */
	unsigned long tls_error;	/* the OpenSSL error that failed the connection */
	bool tls_failed;		/* SSL_read() failed after bytes not yet handed over */
};

/* Set BEV's callbacks and, for a plain socket with a descriptor, our read event. */
void conn_reader_init(struct conn_reader *r, struct event_base *base, struct bufferevent *bev,
		      bool tls, bufferevent_data_cb readcb, bufferevent_data_cb writecb,
		      bufferevent_event_cb eventcb, void *arg);
void conn_read_enable(struct conn_reader *r);
/*
 * A TLS connection's handshake is done (BEV_EVENT_CONNECTED): read it
 * ourselves from now on.  If that cannot be set up, libevent keeps reading.
 */
void conn_reader_tls_ready(struct conn_reader *r, struct event_base *base);
/* The OpenSSL error behind a TLS connection's BEV_EVENT_ERROR (0: none known). */
unsigned long conn_reader_tls_error(const struct conn_reader *r);
void conn_read_disable(struct conn_reader *r);
/* Drop our read event (before a TLS upgrade or when the connection goes). */
void conn_reader_release(struct conn_reader *r);

/* Non-blocking, TCP_NODELAY and keepalive (when a TCP socket). */
void conn_setup_socket(evutil_socket_t fd, bool keepalive);
/* A plain bufferevent that owns FD (-1: bufferevent_socket_connect* creates it). */
struct bufferevent *conn_plain(struct event_base *base, evutil_socket_t fd);
/*
 * Replace a plain bufferevent by a TLS one on the same descriptor.  The
 * plain one must have nothing buffered.  STATE is BUFFEREVENT_SSL_ACCEPTING
 * or BUFFEREVENT_SSL_CONNECTING.  The TLS bufferevent owns FD.  Returns NULL
 * on failure: the plain one is freed either way and FD is then the
 * caller's to close.
 */
struct bufferevent *conn_upgrade_tls(struct event_base *base, struct bufferevent *plain,
				     evutil_socket_t fd, SSL_CTX *ctx,
				     enum bufferevent_ssl_state state, const char *sni,
				     bool verify_host);
/*
 * Encrypt up to N bytes of IN and write them to TLS bufferevent BEV's
 * socket now, as relay_move() does with send() on a plain socket.  Only
 * when BEV's output buffer is empty.  Returns the bytes written (drained
 * from IN); the caller queues the rest on BEV's output, whose writer
 * retries what the socket refused and reports errors.
 */
size_t conn_tls_write_now(struct bufferevent *bev, struct evbuffer *in, size_t n);
/* Free BEV, closing its descriptor. */
void conn_release(struct bufferevent *bev);
/*
 * Start connecting BEV (created with fd -1) to HOST:PORT: a numeric
 * address, a host name, or a unix socket directory (HOST starts with '/').
 * -1 on immediate failure.
 */
int conn_connect(struct bufferevent *bev, const char *host, int port);
/* "ip:port" of a socket address, for logs. */
void conn_format_addr(const struct sockaddr *sa, char *buf, size_t len);

#endif
