/*
 * monitor_probe: runs the monitor alone on a pgsteer config file and prints
 * what it publishes, for tests/integration/test_monitor.py.  Not part of
 * the daemon.
 *
 *   monitor_probe CONFIG
 *
 * stdout, line buffered, one line per node whose published status changed
 * and one per cluster whose primary or split-brain flag changed:
 *
 *   gen=7 node=main2 up=1 role=replica in_recovery=1 avail=active
 *         lsn=0/3000148 lag_known=1 lag_bytes=0 lag_s=0.000 tli=1 failures=0 error=
 *   gen=7 cluster=main primary=main1 split_brain=0
 *
 * (one line each; error= is last and runs to the end of the line).  The
 * monitor's log goes to stderr.  SIGHUP reloads CONFIG into the monitor
 * (monitor_reconfigure); SIGUSR1 sets the first node offline, SIGUSR2 back
 * to active; SIGTERM/SIGINT stop cleanly (for valgrind).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "monitor.h"

struct probe {
	struct event_base *base;
	struct monitor *mon;
	struct config *cfg;
	const char *path;
	const struct cluster_snapshot *last;	/* referenced */
};

static bool node_changed(const struct node_status *a, const struct node_status *b)
{
	return !b || a->up != b->up || a->role != b->role || a->in_recovery != b->in_recovery ||
	       a->availability != b->availability || a->wal_lsn != b->wal_lsn ||
	       a->lag_known != b->lag_known || a->lag_bytes != b->lag_bytes ||
	       a->lag_s != b->lag_s || a->timeline != b->timeline ||
	       a->consecutive_failures != b->consecutive_failures ||
	       strcmp(a->last_error, b->last_error) != 0;
}

/* The previous snapshot's entry for the node called NAME, or NULL. */
static const struct node_status *find_node(const struct cluster_snapshot *s, const char *name)
{
	for (int i = 0; s && i < s->n_nodes; i++)
		if (strcmp(s->nodes[i].name, name) == 0)
			return &s->nodes[i];
	return NULL;
}

static void on_publish(void *arg, const struct cluster_snapshot *snap)
{
	struct probe *p = arg;
	struct monitor *m = p->mon;

	for (int i = 0; i < snap->n_nodes; i++) {
		const struct node_status *st = &snap->nodes[i];
		char lsn[32];

		if (!node_changed(st, find_node(p->last, st->name)))
			continue;
		monitor_format_lsn(st->wal_lsn, lsn, sizeof(lsn));
		printf("gen=%llu node=%s up=%d role=%s in_recovery=%d avail=%s lsn=%s lag_known=%d "
		       "lag_bytes=%llu lag_s=%.3f tli=%u failures=%d error=%s\n",
		       (unsigned long long)snap->generation, st->name, st->up,
		       monitor_role_name(st->role), st->in_recovery,
		       st->availability == AVAIL_ACTIVE ? "active" : "offline", lsn, st->lag_known,
		       (unsigned long long)st->lag_bytes, st->lag_s, (unsigned)st->timeline,
		       st->consecutive_failures,
		       st->last_error);
	}
	for (int c = 0; c < snap->n_clusters; c++) {
		int pr = snap->primary[c];
		bool same = p->last && c < p->last->n_clusters &&
			    p->last->split_brain[c] == snap->split_brain[c] &&
			    ((pr < 0 && p->last->primary[c] < 0) ||
			     (pr >= 0 && p->last->primary[c] >= 0 &&
			      strcmp(snap->nodes[pr].name,
				     p->last->nodes[p->last->primary[c]].name) == 0));

		if (same)
			continue;
		printf("gen=%llu cluster=%s primary=%s split_brain=%d\n",
		       (unsigned long long)snap->generation, p->cfg->clusters[c].name,
		       pr >= 0 ? snap->nodes[pr].name : "-", snap->split_brain[c]);
	}
	if (p->last)
		monitor_snapshot_put(p->last);
	p->last = monitor_snapshot_get(m);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct probe *p = arg;

	(void)what;
	if (sig == SIGHUP) {
		char err[512];
		struct config *cfg = config_load(p->path, err, sizeof(err));

		if (!cfg) {
			fprintf(stderr, "monitor_probe: reload failed: %s\n", err);
			return;
		}
		/* the cluster names printed come from p->cfg: swap before publishing */
		{
			struct config *old = p->cfg;

			p->cfg = cfg;
			monitor_reconfigure(p->mon, cfg);
			config_free(old);
		}
		return;
	}
	if (sig == SIGUSR1 || sig == SIGUSR2) {
		if (p->cfg->n_nodes > 0)
			monitor_set_availability(p->mon, p->cfg->nodes[0].name,
						 sig == SIGUSR1 ? AVAIL_OFFLINE : AVAIL_ACTIVE);
		return;
	}
	event_base_loopbreak(p->base);
}

static void on_catalog(void *arg, int nrows, const char *const *schema, const char *const *name,
		       const char *provolatile)
{
	(void)arg;
	printf("catalog rows=%d", nrows);
	for (int i = 0; i < nrows && i < 1000; i++)
		if (strcmp(schema[i], "public") == 0)
			printf(" %s.%s:%c", schema[i], name[i], provolatile[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct probe p = { 0 };
	char err[512];
	const int sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2 };
	struct event *sev[5];

	if (argc != 2) {
		fprintf(stderr, "usage: %s CONFIG\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	p.path = argv[1];
	p.cfg = config_load(p.path, err, sizeof(err));
	if (!p.cfg) {
		fprintf(stderr, "monitor_probe: %s\n", err);
		return 1;
	}
	log_open(NULL);
	log_min_level = (enum log_level)p.cfg->log_level;
	p.base = event_base_new();
	if (!p.base)
		return 1;
	for (int i = 0; i < 5; i++) {
		sev[i] = evsignal_new(p.base, sigs[i], on_signal, &p);
		evsignal_add(sev[i], NULL);
	}
	p.mon = monitor_start(p.base, p.cfg);
	if (!p.mon) {
		fprintf(stderr, "monitor_probe: monitor_start failed\n");
		return 1;
	}
	monitor_set_publish_cb(p.mon, on_publish, &p);
	if (getenv("MONITOR_PROBE_CATALOG"))
		monitor_set_catalog_cb(p.mon, on_catalog, &p);
	{
		const struct cluster_snapshot *first = monitor_snapshot_get(p.mon);

		on_publish(&p, first);	/* prints every node; keeps its own reference */
		monitor_snapshot_put(first);
	}

	event_base_dispatch(p.base);

	monitor_snapshot_put(p.last);
	monitor_stop(p.mon);
	for (int i = 0; i < 5; i++)
		event_free(sev[i]);
	event_base_free(p.base);
	config_free(p.cfg);
	log_close();
	printf("stopped\n");
	return 0;
}
