/*
 * The daemon (daemon.c): start-up, the event loop, listeners, signals,
 * reload, shutdown, and the reaper that frees closed connections at the
 * end of a loop iteration.
 */
#ifndef PGSTEER_DAEMON_H
#define PGSTEER_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

struct config;

/* Re-read the config file (SIGHUP, admin RELOAD); false if refused, the reason logged and in WHY. */
bool daemon_reload(char *why, size_t whylen);
/*
 * Stop accepting; GRACEFUL: let transactions finish up to shutdown_timeout,
 * then exit.  WHY names the cause in the process's last log line.
 */
void daemon_shutdown(bool graceful, const char *why);
int daemon_main(const char *config_path, struct config *cfg);

#endif
