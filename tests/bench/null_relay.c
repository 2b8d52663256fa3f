/*
 * null_relay: the least a proxy can do, for contrib/bench.sh's "null-relay"
 * target.  Not part of pgsteer and not a test.
 *
 * Every client it accepts gets a connection of its own to the upstream
 * port.  Bytes move both ways with one recv() and one send() per readiness
 * event, on one epoll loop: no parsing, no pooling, no routing, no
 * allocation once a connection is set up.  Its CPU per transaction is
 * what any proxy pays to relay over the same loopback TCP sockets with the
 * same system calls: the floor under pgsteer's and PgBouncer's figures.
 *
 * usage: null_relay LISTEN_PORT UPSTREAM_PORT   (both on 127.0.0.1)
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <fcntl.h>

#define RELAY_BUF (64 * 1024)
#define MAX_EVENTS 64

/* One socket of a pair; PEND holds what its peer sent that it did not take yet. */
struct end {
	int fd;
	struct end *peer;
	char *pend;
	size_t pend_off, pend_len;
	bool listener;
	bool dead;			/* closed in this batch of events: freed after it */
};

static int ep;
static char buf[RELAY_BUF];
static struct end *dead[MAX_EVENTS];
static int n_dead;

static void watch(struct end *e, int op, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = e };

	if (epoll_ctl(ep, op, e->fd, &ev) != 0 && op != EPOLL_CTL_DEL)
		perror("epoll_ctl");
}

static void set_socket(int fd)
{
	int on = 1;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* Close both ends; the pair is freed after the batch (later events may name it). */
static void close_pair(struct end *e)
{
	struct end *p = e->peer;

	close(e->fd);
	close(p->fd);
	e->dead = p->dead = true;
	dead[n_dead++] = p < e ? p : e;	/* both ends are one allocation */
}

/* E may not read while its peer holds bytes it sent; it reads again once they are out. */
static void readable(struct end *e)
{
	struct end *to = e->peer;
	ssize_t n = recv(e->fd, buf, sizeof(buf), 0), w;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		close_pair(e);
		return;
	}
	if (n < 0)
		return;
	w = send(to->fd, buf, (size_t)n, MSG_NOSIGNAL);
	if (w < 0 && errno != EAGAIN) {
		close_pair(e);
		return;
	}
	if (w < 0)
		w = 0;
	if (w == n)
		return;
	if (!to->pend && !(to->pend = malloc(RELAY_BUF))) {
		close_pair(e);
		return;
	}
	memcpy(to->pend, buf + w, (size_t)(n - w));
	to->pend_off = 0;
	to->pend_len = (size_t)(n - w);
	watch(e, EPOLL_CTL_MOD, 0);
	watch(to, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
}

static void writable(struct end *e)
{
	ssize_t w = send(e->fd, e->pend + e->pend_off, e->pend_len, MSG_NOSIGNAL);

	if (w < 0 && errno != EAGAIN) {
		close_pair(e);
		return;
	}
	if (w > 0) {
		e->pend_off += (size_t)w;
		e->pend_len -= (size_t)w;
	}
	if (e->pend_len)
		return;
	watch(e, EPOLL_CTL_MOD, EPOLLIN);
	watch(e->peer, EPOLL_CTL_MOD, EPOLLIN);
}

static void accept_one(struct end *l, int upstream_port)
{
	struct sockaddr_in up = { .sin_family = AF_INET, .sin_port = htons((uint16_t)upstream_port) };
	int c = accept(l->fd, NULL, NULL), s;
	struct end *pair;

	if (c < 0)
		return;
	up.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&up, sizeof(up)) != 0 ||
	    !(pair = calloc(2, sizeof(*pair)))) {
		perror("upstream");
		close(c);
		if (s >= 0)
			close(s);
		return;
	}
	set_socket(c);
	set_socket(s);
	pair[0].fd = c;
	pair[1].fd = s;
	pair[0].peer = &pair[1];
	pair[1].peer = &pair[0];
	watch(&pair[0], EPOLL_CTL_ADD, EPOLLIN);
	watch(&pair[1], EPOLL_CTL_ADD, EPOLLIN);
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct end listener = { .listener = true };
	struct epoll_event evs[MAX_EVENTS];
	int on = 1, upstream_port;

	if (argc != 3) {
		fprintf(stderr, "usage: %s LISTEN_PORT UPSTREAM_PORT\n", argv[0]);
		return 2;
	}
	upstream_port = atoi(argv[2]);
	addr.sin_port = htons((uint16_t)atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener.fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(listener.fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (listener.fd < 0 || bind(listener.fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(listener.fd, 1024) != 0 || (ep = epoll_create1(0)) < 0) {
		perror("listen");
		return 1;
	}
	watch(&listener, EPOLL_CTL_ADD, EPOLLIN);
	for (;;) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, -1);

		for (int i = 0; i < n; i++) {
			struct end *e = evs[i].data.ptr;

			if (e->dead)
				continue;
			if (e->listener)
				accept_one(e, upstream_port);
			else if (evs[i].events & EPOLLOUT)
				writable(e);
			else
				readable(e);
		}
		while (n_dead > 0) {
			struct end *pair = dead[--n_dead];

			free(pair[0].pend);
			free(pair[1].pend);
			free(pair);
		}
	}
}
