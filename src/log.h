/*
 * Logging: one line per event, to stderr or log_file, with a level filter.
 * Callers name the client/server/node themselves; the helpers here only
 * add the timestamp, pid and level.
 */
#ifndef PGSTEER_LOG_H
#define PGSTEER_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARNING,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

extern enum log_level log_min_level;

int log_open(const char *path);	/* NULL or "" → stderr; -1 on error */
void log_close(void);
void log_reopen(void);
bool log_parse_level(const char *s, enum log_level *out);
const char *log_level_name(enum log_level lvl);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_enabled(lvl) ((lvl) <= log_min_level)
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warning(...) \
	do { if (log_enabled(LOG_LVL_WARNING)) log_msg(LOG_LVL_WARNING, __VA_ARGS__); } while (0)
#define log_info(...) \
	do { if (log_enabled(LOG_LVL_INFO)) log_msg(LOG_LVL_INFO, __VA_ARGS__); } while (0)
#define log_debug(...) \
	do { if (log_enabled(LOG_LVL_DEBUG)) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
