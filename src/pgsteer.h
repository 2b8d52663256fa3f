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
	 * 10,000 idle clients cost mostly this struct (client.c rests their buffers). */
	struct list head;		/* rt.clients */
	struct list wait_link;		/* pool->waiting, FIFO */
	struct bufferevent *bev;	/* NULL while resting (client.c) */
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
	struct pool *wait_pool;		/* the pool whose queue holds wait_link, NULL: none */
	struct server *server;		/* linked server, CL_ACTIVE only */
	struct pool *last_pool;		/* where the last statement went (SHOW pgsteer.last_route) */

	/* routing */
	struct route_session route;
	char *sticky_key;		/* SET pgsteer.sticky_key (heap), NULL when unset */
	char *scope_key;		/* client_ryw_key()'s key for its user (heap), NULL: not made */
	int scope_key_cluster;		/* the cluster scope_key was made for */
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
	 * Query (carry.c): the Parse body, to prepare it again where a
	 * later Bind lands; or the statement a DEALLOCATE answered here names.
	 */
	char *unnamed_body;		/* heap: query\0 int16 n int32 oids[n] (UNNAMED_KEPT) */
	char *unnamed_dealloc;		/* heap: the name its DEALLOCATE names (UNNAMED_FAKED) */
	char *portal_dealloc;		/* heap: the same for a DEALLOCATE bound to the unnamed portal */
	struct sessvars *vars;		/* settings that differ from the pool's (NULL: none) */
	struct sessvars *startup_vars;	/* those of them from the startup packet: what RESET
					 * returns to (reported ones in the server's spelling) */
	uint8_t announce;		/* reported settings RESET to their startup value, the
					 * client not told yet: a ParameterStatus each before
					 * its next statement (bit per sessvar_reported) */
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
	bool ddl_barrier;		/* that write included DDL: every session's reads wait for it */
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
	uint8_t unnamed;		/* enum unnamed_state (carry.h) */
	bool unnamed_portal_faked;	/* the unnamed portal is a DEALLOCATE answered here */
	bool causal_fallback;		/* its statement's causal wait timed out: route without one */
	bool cancel_dropped;		/* cancelled while its read's replica answer was being dropped */
	bool tenant_held;		/* its statement is held while its tenant moves (tenant.c) */
	bool causal_unmerged;		/* its transactions are not read committed: a causal check
					 * cannot share its statement's transaction (relay.c) */
	bool lsn_async;			/* its last write's commit was asynchronous (synchronous_commit
					 * = off): replicas get it only when the WAL writer flushes it,
					 * so its reads take no causal wait (the primary, until a
					 * replica is seen past it) */
	bool txn_async_commit;		/* SET LOCAL synchronous_commit = off in its open transaction:
					 * its commit is asynchronous (the LSN probe runs after the
					 * transaction, when the setting is back to the session's) */
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
	SV_CLOSING,		/* closed, in pool->closing until its backend exits (server_close()) */
	SV_CLOSED,		/* in the graveyard */
};

struct server {
	struct list head;		/* pool->idle / active / login / closing, then the graveyard */
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
	bool probe_async;		/* the probed transaction set synchronous_commit = off locally */
	int probe_barrier;		/* cluster index + 1 of a DDL barrier it learns the position of */
	bool probe_behind;		/* LSN_PROBE_SQL went right behind the client's write, before
					 * its ReadyForQuery: the link's end takes its answer */
	bool unit_copy;			/* the batch since the last Sync may hold a COPY (or runs an
					 * unnamed statement parsed before it, unseen) */
	bool unit_parsed;		/* that batch has an unnamed Parse of its own */
	uint8_t unit_txn;		/* its last transaction statement: 0 none, 1 it leaves a block
					 * open (BEGIN, SAVEPOINT, AND CHAIN), 2 it ends one */
	bool shape_hold;		/* the client's input waits for a hidden Describe (REPLY_SHAPE) */
	bool shape_resume;		/* that Describe failed: the client's input goes on */

	struct reply_ring replies;	/* replies owed by this server, in request order (carry.c) */
	bool skip_to_sync;		/* it reported an error: it ignores messages until Sync */
	bool group_error;		/* an ErrorResponse since the last ReadyForQuery */
	struct setop *txn_ops;		/* settings changed inside the open transaction block:
					 * they last only if it commits */
	bool txn_rolled_back;		/* the last CommandComplete was "ROLLBACK": if the block
					 * is over at the ReadyForQuery, txn_ops go */
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
	bool causal_merged;		/* the check shares the statement's batch (no Sync of its own) */
	uint32_t unnamed_gen;		/* and which of that client's unnamed Parses */
	uint64_t prep_batch_start;	/* statements used since then may not be evicted */
	struct sessvars *vars;		/* settings made on it besides the reported ones */
	uint64_t vars_sig;		/* signature of its settings; 0 = recompute */
	/* cancels sent for it: it stays out of the pool until PostgreSQL has taken them */
	struct cancel_req *cancels;
	int cancels_pending;
	bool release_when_cancelled;	/* pool_release() waits for the cancels */
	bool fatal_relayed;		/* its FATAL reached the client: nothing more to say when it goes */
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
	struct list closing;		/* closed, their backend not yet gone: still counted */
	struct list waiting;		/* clients, FIFO */
	int n_idle, n_active, n_login, n_closing, n_waiting;
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
	struct pool_quota *quota;	/* workers > 1: the connections of every worker's pool like it */
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
	uint64_t prep_clock;		/* carry.c: orders statement uses for LRU eviction */
	int64_t shutdown_started_ms;
};

/*
 * The runtime of the worker this thread acts as (worker.c): with several
 * workers each has its own, and `rt` always means the current one.
 */
extern _Thread_local struct runtime *rt_current;
#define rt (*rt_current)

/* A client or server went to the graveyard: the reaper frees it at the end of this loop iteration. */
static inline void rt_reap_later(void)
{
	if (rt.reaper)
		event_active(rt.reaper, EV_TIMEOUT, 0);
}

#endif
