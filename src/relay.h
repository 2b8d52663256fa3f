/*
 * The relay (relay.c): moves protocol messages between a logged-in
 * client and its server, starts and ends the link, and runs the causal
 * checks of reads on replicas.  Where a statement goes is steer.h's.
 */
#ifndef PGSTEER_RELAY_H
#define PGSTEER_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgsteer.h"

void relay_client_input(struct client *c);
void relay_server_input(struct server *s);
void relay_server_assigned(struct client *c, struct server *s);
void relay_client_gone(struct client *c);
/* C's LSN probe ended (answered or its server gone): what waited for it is routed. */
void relay_probe_done(struct client *c);
/* C's queued statement lost its server before reaching it: route it again. */
void relay_reroute(struct client *c);
void relay_refuse(struct client *c, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void relay_client_drained(struct client *c);
void relay_server_drained(struct server *s);
void relay_server_gone(struct server *s, const char *reason);
/*
 * PostgreSQL has taken every cancel sent for S (it closed their
 * connections): a statement its client sent meanwhile goes now.  Until
 * then none goes to S, as a client of PostgreSQL itself waits for its
 * cancel connection to close before it sends more (the backend is
 * signalled twice, the second time after the first cancel ended).
 */
void relay_cancels_done(struct server *s);
/*
 * S, parked for a client between statements, is going away by itself (its
 * FATAL, or its connection closed): a session whose state lives there
 * (session pooling, a pinned session) ends with that error, as directly.
 */
void relay_parked_server_lost(struct server *s, const char *sqlstate, const char *message);
void relay_janitor(int64_t now);

/*
 * Causal reads (relay.c): the replay positions causal checks saw, by
 * node index (N entries, atomic), for the router; forgotten on reload.
 */
const uint64_t *relay_causal_seen(int *n);
void relay_causal_forget(void);
/* At exit: the causal checks' shared statements go. */
void relay_causal_statement_free(void);
/*
 * A Query SQL of pgsteer's own (settings, a probe) to server S: one send()
 * when nothing is queued, where adding it to S's output buffer would
 * schedule its write event (two epoll_ctl() and a loop turn).
 */
void relay_send_query(struct server *s, const char *sql);
/* At a thread's end: the buffer it built its own messages to servers in goes. */
void relay_thread_end(void);

/* The relay's services to steering (steer.c). */
void relay_move(struct evbuffer *in, struct bufferevent *dst, evutil_socket_t dst_fd,
			bool dst_tls, size_t n);
/* C's next statement waits for its write's position (the LSN probe under way). */
void relay_wait_for_probe(struct client *c);
/* C's kept copy of its statement (for a replay elsewhere) no longer matches what was sent. */
void relay_forget_replay(struct client *c);
/* Session mode or pinned: link C to the server it holds for *POOL if that may serve; true when linked. */
bool relay_reuse_parked(struct client *c, struct pool **pool, const struct cluster_snapshot *snap,
			  uint64_t required_lsn);

/* A server's probe of a DDL barrier answered LSN (0: never will). */
void relay_barrier_done(struct server *s, uint64_t lsn);
/*
 * The position every read of CLUSTER must see (DDL committed through
 * pgsteer within sticky_ttl): UINT64_MAX while one is being learnt, 0 if none.
 */
uint64_t relay_barrier_lsn(int cluster);

#endif
