/*
 * pgsteer command line: option parsing, --check-config, --classify,
 * daemonizing, then hand over to daemon_main().  Nothing else lives here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "classify.h"
#include "client.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "pgsteer.h"
#include "tenant.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/pgsteer/pgsteer.ini"

static void usage(FILE *out)
{
	fprintf(out,
		"pgsteer %s: PostgreSQL load balancer and SQL proxy: connection pooling,\n"
		"read/write routing to replicas, tenant placement\n"
		"\n"
		"Usage:\n"
		"  pgsteer [-c FILE] [-d]         run the proxy (foreground unless -d)\n"
		"  pgsteer --check-config [-c FILE]  validate the config and print a summary\n"
		"  pgsteer --classify [--all]     classify SQL from stdin (--all: NUL-separated)\n"
		"  pgsteer -V | --version\n"
		"  pgsteer -h | --help\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"  -d, --daemon        detach and run in the background (logs go to log_file)\n"
		"\n"
		"Signals: SIGHUP reloads the config and reopens the log; SIGTERM stops after\n"
		"open transactions (up to shutdown_timeout); SIGINT stops at once.\n",
		PGSTEER_VERSION_STR, DEFAULT_CONFIG);
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_CLASSIFY, OPT_ALL };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "classify", no_argument, NULL, OPT_CLASSIFY },
		{ "all", no_argument, NULL, OPT_ALL },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = DEFAULT_CONFIG;
	bool daemonize = false, check = false, classify = false, all = false;
	char err[1024];
	struct config *cfg;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:dVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'd':
			daemonize = true;
			break;
		case 'V':
			printf("pgsteer %s\n", PGSTEER_VERSION_STR);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_CLASSIFY:
			classify = true;
			break;
		case OPT_ALL:
			all = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pgsteer: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (all && !classify) {
		fprintf(stderr, "pgsteer: --all goes with --classify\n");
		return 2;
	}

	if (classify) {
		struct classify_knowledge *k = classify_knowledge_new();
		int rc = classify_cli(all, k);
		classify_knowledge_free(k);
		return rc;
	}

	cfg = config_load(config_path, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		config_print_summary(cfg, stdout);
		config_free(cfg);
		return 0;
	}
	if (daemonize) {
		if (!cfg->log_file || !*cfg->log_file)
			fprintf(stderr, "pgsteer: warning: -d without log_file: logs are lost\n");
		if (daemon(1, 0) < 0) {
			fprintf(stderr, "pgsteer: daemon: %s\n", strerror(errno));
			config_free(cfg);
			return 1;
		}
	}
	/* the control plane's services to the data plane (client.h), plugged in here, at the top */
	dataplane = (struct dataplane_hooks){
		.console_user_allowed = admin_user_allowed,
		.console_start = admin_start,
		.console_input = admin_input,
		.console_free = admin_free_state,
		.tenant_login_cluster = tenant_login_cluster,
		.tenant_statement_gate = tenant_statement_gate,
		.tenant_control_check = tenant_control_check,
	};
	return daemon_main(config_path, cfg);
}
