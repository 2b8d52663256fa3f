/*
 * Unit tests for the read side of a connection (conn.c), on a real
 * socket pair and event base: bytes are read and handed over while
 * reading is on, never while it is off (they wait in the socket, as does
 * an EOF) and are handed over once it is on again; the read event stays
 * registered while reading is off until it fires then, so that turning
 * reading off and on around a wait costs no epoll_ctl() (a queued
 * statement, a write's position).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "conn.h"

struct fixture {
	struct event_base *base;
	struct bufferevent *bev;
	struct conn_reader r;
	int peer;
	int reads;			/* read callbacks */
	short events;			/* event callback's flags, or 0 */
	char got[64];			/* what the read callbacks found, in order */
	size_t n_got;
};

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct fixture *f = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n = evbuffer_get_length(in);

	f->reads++;
	if (n > sizeof(f->got) - f->n_got)
		n = sizeof(f->got) - f->n_got;
	evbuffer_remove(in, f->got + f->n_got, n);
	f->n_got += n;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct fixture *f = arg;

	(void)bev;
	f->events = what;
}

static int setup(void **state)
{
	static struct fixture f;
	int sv[2];

	memset(&f, 0, sizeof(f));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return -1;
	f.base = event_base_new();
	f.bev = conn_plain(f.base, sv[0]);
	if (!f.base || !f.bev)
		return -1;
	f.peer = sv[1];
	conn_reader_init(&f.r, f.base, f.bev, false, read_cb, NULL, event_cb, &f);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	conn_reader_release(&f->r);
	bufferevent_free(f->bev);
	if (f->peer >= 0)
		close(f->peer);
	event_base_free(f->base);
	return 0;
}

/* One turn of the loop, not waiting. */
static void turn(struct fixture *f)
{
	event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static void send_peer(struct fixture *f, const char *s)
{
	assert_int_equal(write(f->peer, s, strlen(s)), (ssize_t)strlen(s));
}

/* Exactly one read callback so far, which found S. */
static void assert_read_once(const struct fixture *f, const char *s)
{
	assert_int_equal(f->reads, 1);
	assert_int_equal(f->n_got, strlen(s));
	assert_memory_equal(f->got, s, strlen(s));
}

static bool registered(const struct fixture *f)
{
	return event_pending(f->r.ev, EV_READ, NULL) != 0;
}

static void test_reads_while_on(void **state)
{
	struct fixture *f = *state;

	conn_read_enable(&f->r);
	send_peer(f, "abc");
	turn(f);
	assert_read_once(f, "abc");
}

static void test_nothing_is_read_while_off(void **state)
{
	struct fixture *f = *state;

	conn_read_enable(&f->r);
	conn_read_disable(&f->r);
	send_peer(f, "def");
	turn(f);
	turn(f);
	assert_int_equal(f->reads, 0);
	assert_int_equal(evbuffer_get_length(bufferevent_get_input(f->bev)), 0);
	/* it fired while reading was off: now it is out of epoll */
	assert_false(registered(f));
	conn_read_enable(&f->r);
	assert_true(registered(f));
	turn(f);
	assert_read_once(f, "def");
}

static void test_off_and_on_again_leaves_the_event_registered(void **state)
{
	struct fixture *f = *state;

	conn_read_enable(&f->r);
	assert_true(registered(f));
	conn_read_disable(&f->r);
	assert_true(registered(f));	/* no epoll_ctl() for a wait with nothing sent */
	turn(f);
	assert_true(registered(f));
	conn_read_enable(&f->r);
	assert_true(registered(f));
	send_peer(f, "g");
	turn(f);
	assert_read_once(f, "g");
}

static void test_eof_while_off_is_seen_once_on(void **state)
{
	struct fixture *f = *state;

	conn_read_enable(&f->r);
	conn_read_disable(&f->r);
	send_peer(f, "hi");
	close(f->peer);
	f->peer = -1;
	turn(f);
	assert_int_equal(f->reads, 0);
	assert_int_equal(f->events, 0);
	conn_read_enable(&f->r);
	turn(f);
	assert_read_once(f, "hi");
	turn(f);
	assert_true(f->events & BEV_EVENT_EOF);
}

static void test_release_while_off(void **state)
{
	struct fixture *f = *state;

	conn_read_enable(&f->r);
	conn_read_disable(&f->r);
	conn_reader_release(&f->r);
	assert_null(f->r.ev);
	assert_false(f->r.armed);
	send_peer(f, "j");
	turn(f);
	assert_int_equal(f->reads, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_while_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_is_read_while_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_and_on_again_leaves_the_event_registered,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_eof_while_off_is_seen_once_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release_while_off, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
