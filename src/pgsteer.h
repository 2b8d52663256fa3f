/*
 * Core runtime objects of the data plane: client connections, server
 * connections, pools, and the process-wide runtime that owns them.
 *
 * Lifecycles are explicit state machines (enum client_state, enum
 * server_state).  Objects are never freed inside a callback that may still
 * use them: closing moves an object to the graveyard and the reaper frees
 * it at the end of the event loop iteration.
 */
#ifndef PGSTEER_H
#define PGSTEER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <openssl/ssl.h>

#include "clock.h"
#include "common.h"
#include "config.h"
#include "conn.h"
#include "prepared.h"
#include "reply.h"
#include "route.h"
#include "scram.h"
#include "sessvar.h"

#define PGSTEER_VERSION_STR PACKAGE_VERSION
#define NAME_LEN 64		/* PostgreSQL NAMEDATALEN */
#define MAX_STARTUP_PACKET 10000	/* as PostgreSQL's MAX_STARTUP_PACKET_LENGTH */
#define MAX_PARAMS 32
#define PARAM_VALUE_LEN 256
#define CLIENT_REST_AFTER_MS 1000	/* idle this long: the janitor rests a client's buffers */

struct pool;
struct server;
struct setop;
struct cancel_req;
struct authquery_req;
struct worker;

/* A ParameterStatus name/value pair. */
struct param {
	char name[NAME_LEN];
	char value[PARAM_VALUE_LEN];
};

struct param_set {
	int n;
	struct param p[MAX_PARAMS];
};

enum client_state {
	CL_STARTUP,		/* waiting for the startup packet (or SSLRequest) */
	CL_AUTH_LOOKUP,		/* not in auth_file: waiting for auth_query's answer */
	CL_AUTH,		/* sent an auth request, waiting for the password */
	CL_LOGIN_WAIT,		/* authenticated; queued for a server to learn parameters */
	CL_IDLE,		/* logged in, no server, nothing pending */
	CL_WAITING,		/* has a statement buffered, queued for a server */
	CL_ACTIVE,		/* linked to a server, relaying */
	CL_FLUSHING,		/* sending a final error, then close */
	CL_CLOSED,		/* in the graveyard */
};

enum client_auth_step {
	AUTH_STEP_NONE,
	AUTH_STEP_MD5,		/* sent AuthenticationMD5Password */
	AUTH_STEP_SASL_INIT,	/* sent AuthenticationSASL */
	AUTH_STEP_SASL_FINAL,	/* sent AuthenticationSASLContinue */
	AUTH_STEP_SASL_MOCK,	/* same, for an unknown user: the final step fails */
};

/* Dropping a statement pgsteer answered itself (error or control). */
enum discard_mode {
	DISCARD_NONE,
	DISCARD_STATEMENT,	/* decide from the first message: one Query, or up to Sync */
	DISCARD_ONE,		/* the rest of one Query/FunctionCall message */
	DISCARD_TO_SYNC,	/* extended protocol: everything up to and including Sync */
	DISCARD_REST,		/* only the rest of a half-relayed message, no reply */
};

struct client {
	/* Ordered by size, widest first, so that no padding sits between fields:
	 * 10,000 idle clients cost mostly this struct (frontend.c rests their buffers). */
	struct list head;		/* rt.clients */
	struct list wait_link;		/* pool->waiting, FIFO */
	struct bufferevent *bev;	/* NULL while resting (frontend.c) */
	struct conn_reader rd;
	uint64_t id;			/* for logs: "C-<id>" */
	/* One allocation from the StartupMessage: "user\0database\0" then the
	 * other parameters as "name\0value\0...".  user and database point into
	 * it (client_no_name before the login), startup_params after them. */
	const char *user;
	const char *database;
	char *startup_params;

	struct pool *pool;		/* the cluster primary's pool (login, writes) */
	struct pool *replica_pool;	/* cache: the replica pool used last */
	struct pool *target_pool;	/* where the current statement/transaction goes */
	struct server *server;		/* linked server, CL_ACTIVE only */
	struct pool *last_pool;		/* where the last statement went (SHOW pgsteer.last_route) */

	/* routing */
	struct route_session route;
	char *sticky_key;		/* SET pgsteer.sticky_key (heap), NULL when unset */
	char *tenant;			/* SET pgsteer.tenant (heap), NULL when unset */
	char *pin_reason;		/* why pinned (heap), for SHOW CLIENTS and the logs */
	struct server *parked[2];	/* session mode: [0] primary, [1] replica held between statements */
	char *replay;			/* bytes of the current autocommit statement sent to a replica */
	struct server *lsn_probe;	/* server fetching that position */
	/* notifications/notices from its parked or probing server, held while a reply is half relayed */
	struct evbuffer *async_held;
	int64_t state_since_ms;		/* when the current state was entered */
	int64_t last_activity_ms;
	int64_t held_since_ms;		/* since when its input holds an incomplete message (0: not) */

	/* session state that follows the client across server connections */
	struct prep_client_map prep;	/* its named prepared statements */
	/*
	 * Its unnamed statement, which lives until its next unnamed Parse or
	 * Query (sessstate.c): the Parse body, to prepare it again where a
	 * later Bind lands; or the statement a DEALLOCATE answered here names.
	 */
	char *unnamed_body;		/* heap: query\0 int16 n int32 oids[n] (UNNAMED_KEPT) */
	char *unnamed_dealloc;		/* heap: the name its DEALLOCATE names (UNNAMED_FAKED) */
	char *portal_dealloc;		/* heap: the same for a DEALLOCATE bound to the unnamed portal */
	struct sessvars *vars;		/* settings that differ from the pool's (NULL: none) */
	uint64_t vars_sig;		/* signature of the settings it wants; 0 = recompute */
	struct setop *pending_ops;	/* SET/RESET/DISCARD since the last Sync: applied if it succeeds */

	/* authentication */
	struct scram_server *scram;	/* allocated during SCRAM only */
	struct authquery_req *auth_lookup; /* auth_query in flight (CL_AUTH_LOOKUP only) */
	char *auth_query_secret;	/* what auth_query found (heap, wiped on free); NULL: none */
	void *admin_state;		/* admin.c's per-session data, freed by admin */
	struct worker *worker;		/* whose client (worker.h) */

	/* four bytes wide */
	enum client_state state;
	evutil_socket_t fd;
	uint32_t startup_params_len;
	int cluster;			/* config cluster index */
	uint32_t replay_len;
	uint32_t replay_cap;		/* grows once, then reused: no allocation per statement */
	uint32_t pkt_remain;		/* bytes of the current message still to relay */
	uint32_t unnamed_len, unnamed_cap;
	uint32_t unnamed_gen;		/* counts its unnamed Parses (struct server's unnamed_gen) */
	enum discard_mode discard;
	int32_t cancel_pid;		/* what the client sees as its backend (cancel key) */
	int32_t cancel_key;
	enum client_auth_step auth_step;
	enum auth_type auth_method;	/* the method chosen at startup (auth_type or hba_file) */
	uint8_t md5_salt[4];

	char addr[56];			/* "ip:port", "[ipv6]:port" or "unix" */

	/* flags */
	char tx_status;			/* last ReadyForQuery status seen: I, T, E */
	bool tls;
	bool want_lsn;			/* wrote: learn the WAL position after commit */
	bool on_replica;		/* the current target is a replica */
	bool last_on_replica;		/* last_pool is a replica's */
	bool pinned;			/* LISTEN, temp table, session lock ...: keeps its server */
	bool wait_probe;		/* session mode: next statement waits for our LSN probe's server */
	bool replay_ok;			/* nothing came back yet: it can be sent elsewhere */
	bool discard_last;		/* ReadyForQuery once the current message is dropped */
	bool reject_full;		/* over max_client_conn: refuse after startup */
	bool admin;			/* logged in to the admin console (database "pgsteer") */
	bool read_paused;		/* backpressure: the server's output is full */
	bool rest_when_written;		/* the welcome is queued: rest once it is written */
	uint8_t unnamed;		/* enum unnamed_state (sessstate.h) */
	bool unnamed_portal_faked;	/* the unnamed portal is a DEALLOCATE answered here */
	bool causal_fallback;		/* its statement's causal wait timed out: route without one */
	uint64_t causal_lsn;		/* the replica it is sent to must first show this replayed */
	int64_t last_causal_us;		/* how long its last read waited for replay (-1: none) */
};

enum server_state {
	SV_CONNECTING,		/* TCP connect in progress */
	SV_TLS_REQUEST,		/* sent SSLRequest, waiting for S/N */
	SV_TLS_HANDSHAKE,	/* TLS handshake in progress */
	SV_LOGIN,		/* startup sent, authenticating, collecting parameters */
	SV_IDLE,		/* in pool->idle, clean */
	SV_ACTIVE,		/* linked to a client */
	SV_RESETTING,		/* running server_reset_query before going idle */
	SV_LSN_PROBE,		/* fetching pg_current_wal_insert_lsn() after a write */
	SV_CLOSED,		/* in the graveyard */
};

struct server {
	struct list head;		/* pool->idle / pool->active / pool->login */
	enum server_state state;
	struct bufferevent *bev;
	struct conn_reader rd;
	evutil_socket_t fd;
	bool tls;
	uint64_t id;			/* for logs: "S-<id>" */
	struct pool *pool;
	struct client *client;		/* linked client, SV_ACTIVE only */

	int32_t backend_pid;
	int32_t backend_key;
	struct param_set params;	/* ParameterStatus as reported by PostgreSQL */

	int64_t created_ms;
	int64_t state_since_ms;
	int64_t last_used_ms;
	uint32_t pkt_remain;		/* bytes of the current message still to relay */
	int expect_rfq;			/* ReadyForQuery still owed (one per Query/Sync/FunctionCall) */
	bool batch_open;		/* extended-protocol messages sent since the last Sync */
	char tx_status;			/* last ReadyForQuery status */
	bool close_when_idle;		/* lifetime exceeded or config changed */
	bool got_error_at_login;

	struct scram_client *scram;	/* allocated during SCRAM only */
	bool read_paused;		/* backpressure: the client's output is full */
	int64_t query_start_us;		/* when the oldest owed ReadyForQuery was asked for */
	struct client *probe_client;	/* SV_LSN_PROBE: whose write position we fetch */
	struct client *parked_for;	/* session mode: held for this client between statements */
	char probe_key[CLASSIFY_VALUE_LEN]; /* the prober's pgsteer.sticky_key, if any */

	struct reply_ring replies;	/* replies owed by this server, in request order (sessstate.c) */
	bool skip_to_sync;		/* it reported an error: it ignores messages until Sync */
	bool group_error;		/* an ErrorResponse since the last ReadyForQuery */
	bool dirty;			/* holds state pgsteer cannot carry: reset before reuse */
	struct prep_server_set prep;	/* statements prepared on it, shared by name */
	struct pstmt *bound_stmt;	/* the shared statement of the last Bind (for its Execute's errors) */
	uint64_t unnamed_client;	/* whose unnamed statement it holds (client id; 0: not known) */
	uint64_t causal_seen;		/* the replay position its causal check answered */
	int64_t causal_start_us;	/* when the check was sent */
	/*
	 * 0 none; 1 position asked, the statement held; 2 waiting on the
	 * server, held; 4 position asked with the statement sent behind it
	 * (kept for a replay); 5 the same, later input held; 6 the check
	 * failed: the statement's replies are being dropped
	 */
	uint8_t causal_phase;
	uint32_t unnamed_gen;		/* and which of that client's unnamed Parses */
	uint64_t prep_batch_start;	/* statements used since then may not be evicted */
	struct sessvars *vars;		/* settings made on it besides the reported ones */
	uint64_t vars_sig;		/* signature of its settings; 0 = recompute */
	/* cancels sent for it: it stays out of the pool until PostgreSQL has taken them */
	struct cancel_req *cancels;
	int cancels_pending;
	bool release_when_cancelled;	/* pool_release() waits for the cancels */
	int64_t timeout_cancel_ms;	/* query_timeout: when its query was cancelled (0 = not) */
	char sync_error[256];		/* the hidden settings statement failed: why */
	char sync_sqlstate[6];
};

/*
 * A pool of server connections to one node for one (user, database).
 * Idle servers are reused LIFO (warm caches); waiting clients are served
 * FIFO.
 */
struct pool {
	struct list head;		/* rt.pools */
	char node_name[NAME_LEN];
	char cluster_name[NAME_LEN];
	char host[256];
	int port;
	char user[NAME_LEN];		/* client-facing user */
	char database[NAME_LEN];	/* client-facing database */
	char server_user[NAME_LEN];	/* what we log in to PostgreSQL as */
	char server_database[NAME_LEN];
	char server_password[256];	/* empty = none known */

	struct list idle;
	struct list active;
	struct list login;
	struct list waiting;		/* clients, FIFO */
	int n_idle, n_active, n_login, n_waiting;
	int pool_size;
	int min_pool_size;

	struct param_set params;	/* from the first server that logged in */
	bool params_valid;
	int64_t last_login_fail_ms;
	char last_login_error[256];
	char last_login_sqlstate[6];
	uint64_t generation;		/* bumped by reload when the node changes */
	bool paused;			/* PAUSE: hand out no servers until RESUME */
	int64_t suspect_until_ms;	/* a server died mid-statement: avoid for reads until then */
	int node_index;			/* config node index (refreshed on reload) */
	bool node_removed;
};

struct listener {
	struct evconnlistener *lev;
	char desc[128];
};

struct runtime {
	struct event_base *base;
	struct config *cfg;
	const char *config_path;
	struct auth_file *auth;
	struct classify_knowledge *knowledge;
	SSL_CTX *client_tls;
	SSL_CTX *server_tls;

	struct list clients;
	int n_clients;
	struct list pools;
	struct list graveyard_clients;
	struct list graveyard_servers;
	struct event *reaper;
	struct event *janitor;
	struct event *sig_hup, *sig_term, *sig_int, *sig_pipe;

	struct listener listeners[16];
	int n_listeners;
	bool shutting_down;
	struct monitor *monitor;
	struct route_config route_cfg;	/* from [routing], refreshed on reload */
	struct sticky_table *sticky;	/* pgsteer.sticky_key positions */
	struct loginguard *loginguard;	/* failed logins per address (shared, shared_lock()) */
	uint64_t rng;			/* xorshift state for weighted picks */
	struct worker *worker;		/* the worker this runtime is */
	struct list cancels;		/* cancel.c: cancel requests in flight */
	uint64_t prep_clock;		/* sessstate.c: orders statement uses for LRU eviction */
	int64_t shutdown_started_ms;
};

/*
 * The runtime of the worker this thread acts as (worker.c): with several
 * workers each has its own, and `rt` always means the current one.
 */
extern _Thread_local struct runtime *rt_current;
#define rt (*rt_current)

/* server_main.c */
/* Re-read the config file (SIGHUP, admin RELOAD); false if refused, the reason logged and in WHY. */
bool server_reload(char *why, size_t whylen);
/*
 * Stop accepting; GRACEFUL: let transactions finish up to shutdown_timeout,
 * then exit.  WHY names the cause in the process's last log line.
 */
void server_shutdown(bool graceful, const char *why);
int server_main(const char *config_path, struct config *cfg);
void reaper_schedule(void);

/* frontend.c: client login */
void frontend_accept(evutil_socket_t fd, struct sockaddr *sa, int socklen);
void frontend_on_read(struct client *c);
void client_welcome(struct client *c, const struct param_set *params);
void client_close(struct client *c, const char *reason);
/* The one way a client changes state (after its birth in CL_STARTUP): checked, timestamped. */
void client_set_state(struct client *c, enum client_state st);
/* SHOW pgsteer.last_route: "primary:main1", "replica:main2", "" before any statement. */
void client_last_route(const struct client *c, char *buf, size_t len);
/* Walk the kept startup parameters (all but user and database): *POS starts NULL. */
bool client_startup_next(const struct client *c, const char **pos, const char **name,
			 const char **value);
/* The value of startup parameter NAME as the client sent it, or "" (frontend.c). */
const char *client_startup_param(const struct client *c, const char *name);
/* Rest an idle client's buffers if nothing can need them (frontend.c). */
void client_rest(struct client *c);
void client_fail(struct client *c, const char *severity, const char *sqlstate,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void client_free(struct client *c);

/* backend.c: server connections */
void param_set_update(struct param_set *ps, const char *name, const char *value);
struct server *server_launch(struct pool *pool);
void server_close(struct server *s, const char *reason);
void server_free(struct server *s);

/* pool.c */
struct pool *pool_find_or_create(const struct config *cfg, int node_index,
				 const char *user, const char *database);
struct pool *pool_for_node(struct client *c, int node_index);
void pool_acquire(struct pool *pool, struct client *c);
void pool_release(struct server *s);
void pool_server_login_done(struct server *s);
void pool_server_login_failed(struct pool *pool, const char *sqlstate, const char *msg);
/* A new connection (SV_CONNECTING) joins its pool's login list. */
void pool_add_server(struct server *s);
/* The one way a server connection changes state: checked, moved between its pool's lists, timestamped. */
void server_set_state(struct server *s, enum server_state st);
void pool_client_gone(struct client *c);
void pool_janitor(int64_t now);
void pool_apply_config(const struct config *cfg);
/* PAUSE/RESUME every pool of CLUSTER (-1: all), now and as pools are created.  Returns the servers still busy. */
int pool_pause(int cluster, bool pause);
int pool_busy_servers(int cluster);
/* Is CLUSTER (by name; NULL: every cluster at once) paused by PAUSE and not yet RESUMEd? */
bool pool_cluster_paused(const char *cluster);
void admin_free_state(struct client *c);
int pool_total(const struct pool *pool);

/* session.c: the relay */
void session_client_input(struct client *c);
void session_server_input(struct server *s);
void session_server_assigned(struct client *c, struct server *s);
void session_client_gone(struct client *c);
/* C's LSN probe ended (answered or its server gone): what waited for it is routed. */
void session_probe_done(struct client *c);
/* C's queued statement lost its server before reaching it: route it again. */
void session_reroute(struct client *c);
/* Did POOL fail to log in just now, with nothing else to serve from? */
bool pool_recently_failed(const struct pool *pool, int64_t now);
void session_refuse(struct client *c, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void session_client_drained(struct client *c);
void session_server_drained(struct server *s);
void session_server_gone(struct server *s, const char *reason);
void session_janitor(int64_t now);
/* Record C's startup settings: 1 when a server must check them before the welcome, 0 when not, -1 refused. */
int session_startup_settings(struct client *c);
/* The ParameterStatus value C has been told for NAME (its own setting, else the pool's). */
const char *session_client_param(const struct client *c, const struct param_set *base, const char *name);
void session_client_free(struct client *c);
void session_server_free(struct server *s);

/*
 * Causal reads (session.c): the replay positions causal checks saw, by
 * node index (N entries, atomic), for the router; forgotten on reload.
 */
const uint64_t *session_causal_seen(int *n);
void session_causal_forget(void);

/* The relay's services to steering (steer.c). */
void session_relay_move(struct evbuffer *in, struct bufferevent *dst, evutil_socket_t dst_fd,
			bool dst_tls, size_t n);
/* C's next statement waits for its write's position (the LSN probe under way). */
void session_wait_for_probe(struct client *c);
/* C's kept copy of its statement (for a replay elsewhere) no longer matches what was sent. */
void session_forget_replay(struct client *c);
/* Session mode or pinned: link C to the server it holds for *POOL if that may serve; true when linked. */
bool session_reuse_parked(struct client *c, struct pool **pool, const struct cluster_snapshot *snap,
			  uint64_t required_lsn);

/* control.c: SET/RESET/SHOW pgsteer.* */
void control_answer(struct client *c, const struct classify_result *res, uint8_t first_type);
void control_reset_all(struct client *c);

/* cancel.c */
void cancel_forward(int32_t pid, int32_t key);
/* Cancel what S runs now (a new connection to its node); S stays out of the pool meanwhile. */
void cancel_server(struct server *s);
/* S is going away: its cancels in flight forget it. */
void cancel_server_gone(struct server *s);
/* Exit: drop the cancels still in flight. */
void cancel_free_all(void);

#endif
