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

/* clock.c's state, read by the inline functions below (several calls per statement) */
extern _Thread_local int clock_frozen;
extern _Thread_local int64_t clock_frozen_us;
int64_t clock_read_us(void);

static inline int64_t now_us(void)
{
	return clock_frozen ? clock_frozen_us : clock_read_us();
}

static inline int64_t now_ms(void)
{
	return now_us() / 1000;
}

/* Hold now_ms()/now_us() at this moment until the matching clock_thaw(); nests. */
void clock_freeze(void);
void clock_thaw(void);

#endif
