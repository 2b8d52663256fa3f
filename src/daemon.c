/*
 * The daemon's runtime: event base, listeners, signals, reload, the
 * janitor tick and the reaper that frees closed connections at the end of
 * an event loop iteration.  Owns struct runtime rt; other modules read the
 * current config through rt.cfg and never keep pointers into an old one
 * across a reload.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/listener.h>
#include <openssl/rand.h>

#include "auth.h"
#include "authquery.h"
#include "cancel.h"
#include "classify.h"
#include "client.h"
#include "daemon.h"
#include "evmem.h"
#include "log.h"
#include "metrics.h"
#include "monitor.h"
#include "pgsteer.h"
#include "pool.h"
#include "relay.h"
#include "server.h"
#include "stats.h"
#include "loginguard.h"
#include "sticky.h"
#include "metadata.h"
#include "tenant.h"
#include "tls.h"
#include "worker.h"

#define JANITOR_INTERVAL_MS 100

static void janitor_cb(evutil_socket_t fd, short what, void *arg);
static void reaper_cb(evutil_socket_t fd, short what, void *arg);
static void signal_cb(evutil_socket_t sig, short what, void *arg);
static const char *exit_reason;	/* why the process stops, for its last log line */
static int open_listeners(const struct config *cfg, bool unix_socket);
static void close_listeners(void);
static int worker_runtime_init(struct worker *w);
static void worker_runtime_close(void);
static void make_pool_wake(struct worker *w);
static void worker_runtime_free(void);

/* [stats] tls: the endpoint serves HTTPS with the client-side certificate. */
static int set_stats_tls(const struct config *cfg)
{
	char err[512];
	SSL_CTX *ctx = NULL;

	if (cfg->stats_tls) {
		ctx = tls_server_ctx(cfg, err, sizeof(err));
		if (!ctx) {
			log_error("[stats] tls: %s", err);
			return -1;
		}
	}
	metrics_http_set_tls(ctx);	/* takes its own reference */
	if (ctx)
		SSL_CTX_free(ctx);
	return 0;
}

/* The router's knobs from [routing]. */
static void set_route_config(const struct config *cfg)
{
	rt.route_cfg.max_lag_s = cfg->max_lag_s;
	rt.route_cfg.max_lag_bytes = cfg->max_lag_bytes;
	rt.route_cfg.read_your_writes = cfg->read_your_writes == RYW_LSN;
	rt.route_cfg.on_no_replica_error = cfg->on_no_replica == NO_REPLICA_ERROR;
	rt.route_cfg.causal_read_timeout_ms =
		cfg->read_your_writes == RYW_LSN ? cfg->causal_read_timeout_ms : 0;
	rt.route_cfg.seen_lsn = relay_causal_seen(&rt.route_cfg.n_seen);
	relay_causal_forget();	/* node indices may have changed */
}

/* ---------------- Public functions ---------------- */

/*
 * Load the side files of CFG (auth_file, TLS, classifier knowledge) into
 * fresh objects; on success they replace the running ones.
 */
static int load_side_files(const struct config *cfg, struct auth_file **auth, SSL_CTX **ctls,
			   SSL_CTX **stls, struct classify_knowledge **know, char *why, size_t whylen)
{
	char err[512];

	*auth = NULL;
	*ctls = *stls = NULL;
	*know = NULL;
	why[0] = '\0';
	if (cfg->auth_file && *cfg->auth_file) {
		*auth = auth_file_load(cfg->auth_file, err, sizeof(err));
		if (!*auth) {
			snprintf(why, whylen, "%s", err);
			goto fail;
		}
	} else if (cfg->auth_type != AUTH_TRUST && cfg->auth_type != AUTH_CERT && !cfg->auth_user[0]) {
		snprintf(why, whylen, "%s: auth_type %s needs auth_file", cfg->path,
			 config_auth_type_name(cfg->auth_type));
		goto fail;
	}
	*ctls = tls_client_side_ctx(cfg, err, sizeof(err));
	if (!*ctls && err[0]) {
		snprintf(why, whylen, "%s", err);
		goto fail;
	}
	*stls = tls_server_side_ctx(cfg, err, sizeof(err));
	if (!*stls && err[0]) {
		snprintf(why, whylen, "%s", err);
		goto fail;
	}
	*know = classify_knowledge_new();
	if (!*know) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	if (classify_knowledge_set_patterns(*know, cfg->read_functions, cfg->write_functions,
					    cfg->primary_patterns, cfg->replica_patterns,
					    err, sizeof(err)) < 0) {
		snprintf(why, whylen, "%s: %s", cfg->path, err);
		goto fail;
	}
	return 0;
fail:
	log_error("%s", why);
	if (*auth)
		auth_file_free(*auth);
	if (*ctls)
		SSL_CTX_free(*ctls);
	if (*stls)
		SSL_CTX_free(*stls);
	if (*know)
		classify_knowledge_free(*know);
	return -1;
}

/*
 * Give the monitor its first round before clients come in, so that the
 * first statements find the primary; bounded by one health check.
 */
static void wait_first_checks(void)
{
	int64_t deadline = now_ms() + rt.cfg->health_check_timeout_ms + rt.cfg->check_interval_ms;

	while (now_ms() < deadline && !rt.shutting_down) {
		const struct cluster_snapshot *snap = monitor_snapshot_get(rt.monitor);
		bool ready = true;
		for (int c = 0; c < snap->n_clusters; c++)
			if (snap->primary[c] < 0)
				ready = false;
		monitor_snapshot_put(snap);
		if (ready)
			return;
		event_base_loop(rt.base, EVLOOP_ONCE);
	}
	log_warning("starting without a known primary in every cluster");
}

/*
 * Tenancy: open (or migrate) the metadata schema and load the placement
 * before clients come in.  A refused schema stops startup (false); an
 * unreachable metadata cluster only delays it, bounded by
 * server_connect_timeout (tenant sessions are refused until it is back).
 */
static bool wait_tenancy(void)
{
	int64_t deadline = now_ms() + rt.cfg->server_connect_timeout_ms;

	if (!tenant_enabled())
		return true;
	while (now_ms() < deadline && !rt.shutting_down) {
		if (metadata_failed()) {
			log_error("refusing to start: %s", metadata_error());
			return false;
		}
		if (tenant_loaded())
			return true;
		event_base_loop(rt.base, EVLOOP_ONCE);
	}
	if (!rt.shutting_down)
		log_warning("starting before the tenant placement is loaded (metadata cluster %s "
			    "not reachable yet)", rt.cfg->metadata_cluster);
	return true;
}

/* The primary's pg_proc arrived: volatility of user functions for the classifier. */
static void catalog_cb(void *arg, int nrows, const char *const *schema, const char *const *name,
		       const char *provolatile)
{
	struct classify_catalog_row *rows;

	UNUSED(arg);
	if (nrows <= 0 || !rt.knowledge)
		return;
	rows = calloc((size_t)nrows, sizeof(*rows));
	if (!rows)
		return;
	for (int i = 0; i < nrows; i++) {
		rows[i].schema = schema[i];
		rows[i].name = name[i];
		rows[i].provolatile = provolatile[i];
	}
	if (classify_knowledge_set_catalog(rt.knowledge, rows, (size_t)nrows) < 0)
		log_warning("could not load %d catalog functions into the classifier", nrows);
	else
		log_debug("classifier knows %d functions from the primary's catalog", nrows);
	free(rows);
}

/* Run the proxy until shutdown.  Takes ownership of CFG. */
int daemon_main(const char *config_path, struct config *cfg)
{
	int rc = 0;
	char why[1024];

	log_min_level = (enum log_level)cfg->log_level;
	if (log_open(cfg->log_file) < 0) {
		fprintf(stderr, "cannot open log_file %s: %s\n", cfg->log_file, strerror(errno));
		return 1;
	}
	evmem_init();
	if (workers_init(cfg->workers) < 0)
		return 1;
	memset(&rt, 0, sizeof(rt));
	rt.worker = worker_self();
	rt.config_path = config_path;
	rt.cfg = cfg;
	list_init(&rt.clients);
	list_init(&rt.pools);
	list_init(&rt.graveyard_clients);
	list_init(&rt.graveyard_servers);
	list_init(&rt.cancels);
	if (load_side_files(cfg, &rt.auth, &rt.client_tls, &rt.server_tls, &rt.knowledge, why,
			    sizeof(why)) < 0)
		return 1;

	rt.base = event_base_new();
	if (!rt.base) {
		log_error("cannot create event base");
		return 1;
	}
	rt.reaper = event_new(rt.base, -1, 0, reaper_cb, NULL);
	rt.janitor = event_new(rt.base, -1, EV_PERSIST, janitor_cb, NULL);
	struct timeval tv = { 0, JANITOR_INTERVAL_MS * 1000 };
	event_add(rt.janitor, &tv);
	rt.worker->mailbox = event_new(rt.base, -1, 0, worker_mailbox_cb, NULL);
	make_pool_wake(rt.worker);
	rt.sig_hup = evsignal_new(rt.base, SIGHUP, signal_cb, NULL);
	rt.sig_term = evsignal_new(rt.base, SIGTERM, signal_cb, NULL);
	rt.sig_int = evsignal_new(rt.base, SIGINT, signal_cb, NULL);
	event_add(rt.sig_hup, NULL);
	event_add(rt.sig_term, NULL);
	event_add(rt.sig_int, NULL);
	signal(SIGPIPE, SIG_IGN);
	set_route_config(cfg);
	rt.sticky = sticky_new();
	rt.loginguard = loginguard_new();
	if (!rt.sticky || !rt.loginguard) {
		log_error("out of memory");
		rc = 1;
		goto out;
	}
	RAND_bytes((unsigned char *)&rt.rng, sizeof(rt.rng));
	rt.rng |= 1;
	rt.monitor = monitor_start(rt.base, cfg);
	if (!rt.monitor) {
		log_error("cannot start the node monitor");
		rc = 1;
		goto out;
	}
	monitor_set_catalog_cb(rt.monitor, catalog_cb, NULL);
	if (set_stats_tls(cfg) < 0) {
		rc = 1;
		goto out;
	}
	if (metrics_http_start(rt.base, cfg) < 0) {
		rc = 1;
		goto out;
	}
	/*
	 * Client listeners last: once the port takes connections everything
	 * else is up.  They accept only after the monitor's first round.
	 */
	if (open_listeners(cfg, true) < 0) {
		rc = 1;
		goto out;
	}
	for (int i = 0; i < rt.n_listeners; i++)
		evconnlistener_disable(rt.listeners[i].lev);
	wait_first_checks();
	if (authquery_start(rt.base, rt.monitor) < 0) {
		log_error("out of memory starting auth_query");
		rc = 1;
		goto out;
	}
	if (tenant_start(rt.base, cfg, rt.monitor, daemon_shutdown) < 0) {
		log_error("out of memory starting tenancy");
		rc = 1;
		goto out;
	}
	if (!wait_tenancy()) {
		rc = 1;
		goto out;
	}
	/* the other workers: a runtime each, sharing what worker 0 loaded (none once shutting down) */
	for (int i = 1; i < workers_max && !rt.shutting_down; i++) {
		if (worker_runtime_init(&workers_all[i]) < 0) {
			rc = 1;
			goto out;
		}
	}
	if (!workers_start()) {
		rc = 1;
		goto out;
	}
	for (int i = 0; i < rt.n_listeners; i++)
		evconnlistener_enable(rt.listeners[i].lev);

	if (cfg->pidfile && *cfg->pidfile) {
		FILE *fp = fopen(cfg->pidfile, "w");
		if (fp) {
			fprintf(fp, "%d\n", (int)getpid());
			fclose(fp);
		} else {
			log_warning("cannot write pidfile %s: %s", cfg->pidfile, strerror(errno));
		}
	}
	log_info("pgsteer %s started, pool_mode %s, %d node(s), %d worker(s)", PGSTEER_VERSION_STR,
		 config_pool_mode_name(cfg->pool_mode), cfg->n_nodes, workers_n);

	event_base_dispatch(rt.base);
	if (metadata_failed()) {
		log_error("stopping: %s", metadata_error());
		rc = 1;
	}

	log_info("shutting down");
out:
	/* the other workers end their loops (at once if they still run), then everything is closed */
	worker_leave();
	for (int i = 1; i < workers_n; i++)
		if (workers_all[i].runtime.base)
			event_base_loopbreak(workers_all[i].runtime.base);
	workers_join();
	WORKERS_FOREACH(w) {
		worker_enter(w);
		if (rt.base)
			worker_runtime_close();
	}
	worker_enter(&workers_all[0]);
	authquery_stop();
	tenant_stop();
	if (rt.monitor)
		monitor_stop(rt.monitor);
	metrics_http_stop();
	for (int i = workers_n - 1; i >= 0; i--) {
		worker_enter(&workers_all[i]);
		if (rt.base)
			worker_runtime_free();
	}
	pool_free_quotas();
	if (rt.sig_hup)
		event_free(rt.sig_hup);
	if (rt.sig_term)
		event_free(rt.sig_term);
	if (rt.sig_int)
		event_free(rt.sig_int);
	if (rt.base)
		event_base_free(rt.base);
	if (rt.auth)
		auth_file_free(rt.auth);
	if (rt.client_tls)
		SSL_CTX_free(rt.client_tls);
	if (rt.server_tls)
		SSL_CTX_free(rt.server_tls);
	if (rt.knowledge)
		classify_knowledge_free(rt.knowledge);
	sticky_free(rt.sticky);
	loginguard_free(rt.loginguard);
	relay_causal_statement_free();
	if (rt.cfg->pidfile && *rt.cfg->pidfile)
		unlink(rt.cfg->pidfile);
	config_free(rt.cfg);
	classify_thread_end();
	workers_free();
	relay_thread_end();
	evmem_thread_end();
	log_info("pgsteer exited (%s), exit code %d", exit_reason ? exit_reason : "startup failed", rc);
	log_close();
	return rc;
}

/* ---------------- Internal functions ---------------- */

/*
 * Worker W's runtime (W > 0): its own base, reaper, janitor, mailbox and
 * listeners; the config, side files, monitor and sticky table are worker
 * 0's.  Called before the worker's thread starts.
 */
static int worker_runtime_init(struct worker *w)
{
	struct runtime *r0 = &workers_all[0].runtime;
	struct timeval tv = { 0, JANITOR_INTERVAL_MS * 1000 };

	worker_enter(w);
	memset(&rt, 0, sizeof(rt));
	rt.worker = w;
	rt.config_path = r0->config_path;
	rt.cfg = r0->cfg;
	rt.auth = r0->auth;
	rt.knowledge = r0->knowledge;
	rt.client_tls = r0->client_tls;
	rt.server_tls = r0->server_tls;
	rt.monitor = r0->monitor;
	rt.sticky = r0->sticky;
	rt.loginguard = r0->loginguard;
	rt.route_cfg = r0->route_cfg;
	list_init(&rt.clients);
	list_init(&rt.pools);
	list_init(&rt.graveyard_clients);
	list_init(&rt.graveyard_servers);
	list_init(&rt.cancels);
	w->counters.started_unix = workers_all[0].counters.started_unix;
	RAND_bytes((unsigned char *)&rt.rng, sizeof(rt.rng));
	rt.rng |= 1;
	rt.base = event_base_new();
	if (!rt.base) {
		log_error("cannot create the event base of worker %d", w->index);
		worker_enter(&workers_all[0]);
		return -1;
	}
	rt.reaper = event_new(rt.base, -1, 0, reaper_cb, NULL);
	rt.janitor = event_new(rt.base, -1, EV_PERSIST, janitor_cb, NULL);
	event_add(rt.janitor, &tv);
	w->mailbox = event_new(rt.base, -1, 0, worker_mailbox_cb, NULL);
	make_pool_wake(w);
	if (open_listeners(rt.cfg, false) < 0) {
		worker_runtime_free();
		worker_enter(&workers_all[0]);
		return -1;
	}
	worker_ready(w);
	worker_enter(&workers_all[0]);
	return 0;
}

/* W's event that other workers make active when a unit of a shared pool size is free. */
static void make_pool_wake(struct worker *w)
{
	struct event *ev = event_new(rt.base, -1, 0, pool_wake_cb, NULL);

	shared_lock();
	w->pool_wake = ev;
	shared_unlock();
}

/* Close the current worker's listeners, clients and servers, and free what they left. */
static void worker_runtime_close(void)
{
	struct list *it, *tmp, *it2, *tmp2;

	close_listeners();
	list_for_each_safe(it, tmp, &rt.clients)
		client_close(container_of(it, struct client, head), "shutdown");
	list_for_each_safe(it, tmp, &rt.pools) {
		struct pool *pool = container_of(it, struct pool, head);
		struct list *lists[] = { &pool->idle, &pool->active, &pool->login };
		/* every client is closed, so nothing makes server_closing_end() open a connection */
		Assert(pool->n_waiting == 0 && list_empty(&pool->waiting));
		for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
			list_for_each_safe(it2, tmp2, lists[i])
				server_close(container_of(it2, struct server, head), "shutdown");
		/* no waiting for backends to exit (those closed just now included) */
		list_for_each_safe(it2, tmp2, &pool->closing)
			server_closing_end(container_of(it2, struct server, head));
	}
	reaper_cb(-1, 0, NULL);
	cancel_free_all();
}

/* Free the current worker's pools and events (its base: worker 0's is freed last, by daemon_main). */
static void worker_runtime_free(void)
{
	struct list *it, *tmp;

	list_for_each_safe(it, tmp, &rt.pools) {
		list_del(it);
		free(container_of(it, struct pool, head));
	}
	if (rt.reaper)
		event_free(rt.reaper);
	if (rt.janitor)
		event_free(rt.janitor);
	if (rt.worker->mailbox)
		event_free(rt.worker->mailbox);
	shared_lock();		/* other workers wake it under the lock */
	if (rt.worker->pool_wake)
		event_free(rt.worker->pool_wake);
	rt.worker->pool_wake = NULL;
	shared_unlock();
	rt.reaper = rt.janitor = rt.worker->mailbox = NULL;
	if (rt.worker->index > 0) {
		event_base_free(rt.base);
		rt.base = NULL;
	}
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *arg)
{
	UNUSED(lev);
	UNUSED(arg);
	client_accept(fd, sa, socklen);
}

static void accept_error_cb(struct evconnlistener *lev, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	UNUSED(lev);
	UNUSED(arg);
	log_warning("accept failed: %s", evutil_socket_error_to_string(err));
}

static int add_listener(struct sockaddr *sa, int sl, const char *desc)
{
	struct listener *l;
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;

	if (workers_max > 1 && sa->sa_family != AF_UNIX)
		flags |= LEV_OPT_REUSEABLE_PORT;	/* every worker listens; the kernel spreads connections */

	if (rt.n_listeners >= (int)ARRAY_SIZE(rt.listeners)) {
		log_error("too many listen addresses");
		return -1;
	}
	l = &rt.listeners[rt.n_listeners];
	if (sa->sa_family == AF_INET6)
		flags |= LEV_OPT_BIND_IPV6ONLY;
	l->lev = evconnlistener_new_bind(rt.base, accept_cb, NULL, flags, rt.cfg->listen_backlog, sa, sl);
	if (!l->lev) {
		log_error("cannot listen on %s: %s", desc, strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(l->lev, accept_error_cb);
	snprintf(l->desc, sizeof(l->desc), "%s", desc);
	rt.n_listeners++;
	if (rt.worker->index == 0)
		log_info("listening on %s", desc);
	return 0;
}

/* CFG's listen addresses; the Unix socket too when UNIX_SOCKET (worker 0 only: it cannot be shared). */
static int open_listeners(const struct config *cfg, bool unix_socket)
{
	char desc[300];

	for (int i = 0; cfg->listen_addr && cfg->listen_addr[i]; i++) {
		const char *addr = cfg->listen_addr[i];
		if (strcmp(addr, "*") == 0) {
			struct sockaddr_in in4;
			struct sockaddr_in6 in6;
			memset(&in4, 0, sizeof(in4));
			in4.sin_family = AF_INET;
			in4.sin_port = htons((uint16_t)cfg->listen_port);
			memset(&in6, 0, sizeof(in6));
			in6.sin6_family = AF_INET6;
			in6.sin6_port = htons((uint16_t)cfg->listen_port);
			snprintf(desc, sizeof(desc), "0.0.0.0:%d", cfg->listen_port);
			if (add_listener((struct sockaddr *)&in4, sizeof(in4), desc) < 0)
				return -1;
			snprintf(desc, sizeof(desc), "[::]:%d", cfg->listen_port);
			if (add_listener((struct sockaddr *)&in6, sizeof(in6), desc) < 0)
				log_warning("IPv6 listener not available");
			continue;
		}
		struct sockaddr_storage ss;
		int sl = sizeof(ss);
		snprintf(desc, sizeof(desc), strchr(addr, ':') ? "[%s]:%d" : "%s:%d", addr, cfg->listen_port);
		if (evutil_parse_sockaddr_port(desc, (struct sockaddr *)&ss, &sl) < 0) {
			log_error("%s: listen_addr: cannot parse address \"%s\"", cfg->path, addr);
			return -1;
		}
		if (add_listener((struct sockaddr *)&ss, sl, desc) < 0)
			return -1;
	}
	if (unix_socket && cfg->unix_socket_dir && *cfg->unix_socket_dir) {
		struct sockaddr_un sun;
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/.s.PGSQL.%d", cfg->unix_socket_dir,
			 cfg->listen_port);
		unlink(sun.sun_path);
		if (add_listener((struct sockaddr *)&sun, sizeof(sun), sun.sun_path) < 0)
			return -1;
		chmod(sun.sun_path, (mode_t)cfg->unix_socket_mode);
	}
	if (rt.n_listeners == 0 && unix_socket) {
		log_error("%s: nothing to listen on", cfg->path);
		return -1;
	}
	return 0;
}

static void close_listeners(void)
{
	for (int i = 0; i < rt.n_listeners; i++) {
		if (rt.listeners[i].desc[0] == '/')
			unlink(rt.listeners[i].desc);
		evconnlistener_free(rt.listeners[i].lev);
	}
	rt.n_listeners = 0;
}

/*
 * Graceful shutdown, each janitor tick of each worker: clients outside a
 * transaction are told and closed; a worker ends its loop when none of its
 * own is left or when shutdown_timeout has passed, and worker 0 (the
 * process) once the others have ended theirs.
 */
static void shutdown_progress(int64_t now)
{
	struct list *it, *tmp;
	int left = 0, flushing = 0;

	list_for_each_safe(it, tmp, &rt.clients) {
		struct client *c = container_of(it, struct client, head);
		bool busy = c->state == CL_ACTIVE && (c->tx_status != 'I' || (c->server && c->server->expect_rfq > 0));
		if (busy) {
			left++;
			continue;
		}
		if (c->state != CL_FLUSHING && c->state != CL_CLOSED)
			client_fail(c, "FATAL", "57P01", "terminating connection: pgsteer is shutting down");
		/* wait until the FATAL is written (client_write_cb closes them) */
		if (c->state == CL_FLUSHING)
			flushing++;
	}
	if (now - rt.shutdown_started_ms >= rt.cfg->shutdown_timeout_ms) {
		if (left)
			log_warning("shutdown_timeout reached with %d client(s) in a transaction", left);
		event_base_loopexit(rt.base, NULL);
	} else if (left + flushing == 0 && (rt.worker->index > 0 || workers_others_done())) {
		event_base_loopexit(rt.base, NULL);
	}
}

/*
 * Every stats_period: one log line with what happened since the last one
 * (statements by target, read fallbacks) and what is there now.
 */
static void stats_summary(int64_t now)
{
	static int64_t last_ms;
	static uint64_t last_primary, last_replica, last_refused, last_fallback;
	uint64_t primary = 0, replica = 0, refused = 0, fallback = 0;
	int clients = 0, clients_active = 0, servers = 0;
	struct list *it;

	if (rt.cfg->stats_period_ms <= 0 || rt.worker->index > 0)
		return;
	if (last_ms == 0)
		last_ms = now;
	if (now - last_ms < rt.cfg->stats_period_ms)
		return;
	world_stop();
	const struct stats_registry *st = stats_total();
	for (int c = 0; c < STATS_CLASSES; c++) {
		primary += st->queries[c][STATS_PRIMARY];
		replica += st->queries[c][STATS_REPLICA];
		refused += st->queries[c][STATS_REFUSED];
	}
	for (int f = 0; f < STATS_FALLBACKS; f++)
		fallback += st->read_fallback[f];
	WORKERS_AS_EACH(w) {
		clients += rt.n_clients;
		list_for_each(it, &rt.clients)
			if (container_of(it, struct client, head)->state == CL_ACTIVE)
				clients_active++;
		list_for_each(it, &rt.pools)
			servers += pool_total(container_of(it, struct pool, head));
	}
	world_start();
	log_info("stats: %lld s: %llu to primary, %llu to replicas, %llu refused, %llu read fallbacks; "
		 "%d clients (%d active), %d server connections",
		 (long long)((now - last_ms) / 1000), (unsigned long long)(primary - last_primary),
		 (unsigned long long)(replica - last_replica), (unsigned long long)(refused - last_refused),
		 (unsigned long long)(fallback - last_fallback), clients, clients_active, servers);
	last_ms = now;
	last_primary = primary;
	last_replica = replica;
	last_refused = refused;
	last_fallback = fallback;
}

static void janitor_cb(evutil_socket_t fd, short what, void *arg)
{
	int64_t now = now_ms();

	UNUSED(fd);
	UNUSED(what);
	UNUSED(arg);
	relay_janitor(now);
	pool_janitor(now);
	stats_summary(now);
	if (rt.sticky && rt.worker->index == 0 && now / 1000 != (now - JANITOR_INTERVAL_MS) / 1000) {
		shared_lock();
		sticky_expire(rt.sticky, now, rt.cfg->sticky_ttl_ms);
		shared_unlock();
	}
	if (rt.shutting_down)
		shutdown_progress(now);
}

/* Free what was closed during this loop iteration. */
static void reaper_cb(evutil_socket_t fd, short what, void *arg)
{
	struct list *it, *tmp;

	UNUSED(fd);
	UNUSED(what);
	UNUSED(arg);
	list_for_each_safe(it, tmp, &rt.graveyard_clients) {
		list_del(it);
		client_free(container_of(it, struct client, head));
	}
	list_for_each_safe(it, tmp, &rt.graveyard_servers) {
		list_del(it);
		server_free(container_of(it, struct server, head));
	}
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	char why[1024];

	UNUSED(what);
	UNUSED(arg);
	world_stop();
	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: reloading %s", rt.config_path);
		log_reopen();
		daemon_reload(why, sizeof(why));	/* the reason is logged */
		break;
	case SIGTERM:
		log_info("SIGTERM: graceful shutdown (up to shutdown_timeout)");
		daemon_shutdown(true, "SIGTERM");
		break;
	case SIGINT:
		log_info("SIGINT: immediate shutdown");
		daemon_shutdown(false, "SIGINT");
		break;
	default:
		break;
	}
	world_start();
}

/* Stop accepting on every worker; then finish now, or once transactions are done. */
void daemon_shutdown(bool graceful, const char *why)
{
	int64_t now = now_ms();

	world_stop();
	if (!exit_reason)
		exit_reason = why;
	WORKERS_AS_EACH(w) {
		if (!graceful) {
			rt.shutting_down = true;
			event_base_loopbreak(rt.base);
			continue;
		}
		if (rt.shutting_down)
			continue;
		rt.shutting_down = true;
		rt.shutdown_started_ms = now;
		close_listeners();
		shutdown_progress(now);
	}
	world_start();
}

/* Re-read the config file; a bad file leaves the running config in place. */
bool daemon_reload(char *why, size_t whylen)
{
	char err[1024];
	struct config *ncfg = config_load(rt.config_path, err, sizeof(err));
	struct auth_file *auth;
	SSL_CTX *ctls, *stls;
	struct classify_knowledge *know;

	if (!ncfg) {
		log_error("reload failed, keeping the running configuration: %s", err);
		snprintf(why, whylen, "%s", err);
		return false;
	}
	if (load_side_files(ncfg, &auth, &ctls, &stls, &know, err, sizeof(err)) < 0) {
		log_error("reload failed, keeping the running configuration");
		snprintf(why, whylen, "%s", err);
		config_free(ncfg);
		return false;
	}
	world_stop();
	if (ncfg->listen_port != rt.cfg->listen_port)
		log_warning("listen_port changed: takes effect after a restart");
	if (ncfg->workers != rt.cfg->workers)
		log_warning("workers changed: takes effect after a restart");
	if (rt.auth) {
		auth_file_carry_keys(auth, rt.auth);	/* passthrough goes on for unchanged secrets */
		auth_file_free(rt.auth);
	}
	if (rt.client_tls)
		SSL_CTX_free(rt.client_tls);
	if (rt.server_tls)
		SSL_CTX_free(rt.server_tls);
	if (rt.knowledge)
		classify_knowledge_free(rt.knowledge);
	/* listeners keep the old port; keep the old path for messages */
	config_free(rt.cfg);
	WORKERS_AS_EACH(w) {
		rt.auth = auth;
		rt.client_tls = ctls;
		rt.server_tls = stls;
		rt.knowledge = know;
		rt.cfg = ncfg;
		set_route_config(ncfg);
		pool_apply_config(ncfg);
	}
	log_min_level = (enum log_level)ncfg->log_level;
	monitor_reconfigure(rt.monitor, ncfg);
	tenant_reconfigure(ncfg);
	authquery_reconfigure(ncfg);
	if (set_stats_tls(ncfg) == 0)
		metrics_http_reconfigure(ncfg);
	world_start();
	log_info("configuration reloaded from %s", rt.config_path);
	return true;
}
