/*
 * The monotonic clock every module reads.  While a read callback runs
 * (clock_freeze() .. clock_thaw()), time stands still at its start: the
 * relay stamps a statement's states several times per read, and one clock
 * read serves them all.  Outside a freeze each call reads the clock.
 * Per thread: each worker and the monitor see their own freeze.
 */
#ifndef PGSTEER_CLOCK_H
#define PGSTEER_CLOCK_H

#include <stdint.h>

int64_t now_ms(void);
int64_t now_us(void);
/* Hold now_ms()/now_us() at this moment until the matching clock_thaw(); nests. */
void clock_freeze(void);
void clock_thaw(void);

#endif
