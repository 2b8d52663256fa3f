/*
 * Reading a small text file (pgsteer.ini, hba_file) whole: a regular file
 * only (a FIFO must not hang startup), bounded in size, and no NUL byte
 * (the parsers work on C strings; the error names the line).
 */
#ifndef PGSTEER_TEXTFILE_H
#define PGSTEER_TEXTFILE_H

#include <stddef.h>

/*
 * PATH's contents, NUL-terminated (heap; the caller frees), or NULL with
 * "PATH: reason" or "PATH:LINE: NUL byte in file" in ERRBUF.
 */
char *textfile_read(const char *path, size_t max_size, char *errbuf, size_t errlen);

#endif
