/*
 * Logging backend. Owns the log file handle; formats one line per call.
 * Must not allocate: a failed malloc should still be loggable.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

enum log_level log_min_level = LOG_LVL_INFO;

static FILE *log_fp;
static char log_path[4096];

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "ERROR",
	[LOG_LVL_WARNING] = "WARNING",
	[LOG_LVL_INFO] = "LOG",
	[LOG_LVL_DEBUG] = "DEBUG",
};

/* Open the log destination; stderr when path is empty. */
int log_open(const char *path)
{
	if (!path || !*path) {
		log_path[0] = '\0';
		log_fp = NULL;
		return 0;
	}
	FILE *fp = fopen(path, "a");
	if (!fp)
		return -1;
	setvbuf(fp, NULL, _IOLBF, 0);
	if (log_fp)
		fclose(log_fp);
	log_fp = fp;
	snprintf(log_path, sizeof(log_path), "%s", path);
	return 0;
}

void log_close(void)
{
	if (log_fp)
		fclose(log_fp);
	log_fp = NULL;
}

/* Reopen after logrotate moved the file (SIGHUP). */
void log_reopen(void)
{
	if (log_path[0]) {
		char path[sizeof(log_path)];
		memcpy(path, log_path, sizeof(path));
		log_open(path);
	}
}

bool log_parse_level(const char *s, enum log_level *out)
{
	static const struct { const char *name; enum log_level lvl; } names[] = {
		{ "error", LOG_LVL_ERROR }, { "warning", LOG_LVL_WARNING },
		{ "info", LOG_LVL_INFO }, { "log", LOG_LVL_INFO },
		{ "debug", LOG_LVL_DEBUG },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].lvl;
			return true;
		}
	}
	return false;
}

const char *log_level_name(enum log_level lvl)
{
	return level_names[lvl];
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char buf[2048];
	struct timeval tv;
	struct tm tm;
	int saved_errno = errno;
	int n;
	va_list ap;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = (int)strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, ".%03d [%d] %s ",
		      (int)(tv.tv_usec / 1000), (int)getpid(), level_names[lvl]);
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	fwrite(buf, 1, (size_t)n, log_fp ? log_fp : stderr);
	errno = saved_errno;
}
