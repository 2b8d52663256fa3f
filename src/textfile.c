/*
 * Whole-file reading for the configuration files.  See textfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "textfile.h"

char *textfile_read(const char *path, size_t max_size, char *errbuf, size_t errlen)
{
	struct stat stbuf;
	char *text;
	size_t len = 0;
	int fd;

	/* O_NONBLOCK: a FIFO must not hang startup; it is refused below */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &stbuf) < 0 || !S_ISREG(stbuf.st_mode)) {
		snprintf(errbuf, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if ((size_t)stbuf.st_size > max_size) {
		snprintf(errbuf, errlen, "%s: file too large (more than %zu kB)", path,
			 max_size / 1024);
		close(fd);
		return NULL;
	}
	text = malloc((size_t)stbuf.st_size + 1);
	if (!text) {
		snprintf(errbuf, errlen, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	while (len < (size_t)stbuf.st_size) {
		ssize_t got = read(fd, text + len, (size_t)stbuf.st_size - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(errbuf, errlen, "%s: cannot read: %s", path, strerror(errno));
			free(text);
			close(fd);
			return NULL;
		}
		if (got == 0)
			break;		/* shrank while we read: take what is there */
		len += (size_t)got;
	}
	close(fd);
	text[len] = '\0';
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		int line = 1;
		for (const char *p = text; p < nul; p++)
			line += *p == '\n';
		snprintf(errbuf, errlen, "%s:%d: NUL byte in file", path, line);
		free(text);
		return NULL;
	}
	return text;
}
