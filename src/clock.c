/*
 * The monotonic clock (clock.h): CLOCK_MONOTONIC in microseconds, frozen
 * per thread for the length of one read callback.
 */
#include <time.h>

#include "clock.h"
#include "common.h"

_Thread_local int clock_frozen;	/* freeze depth */
_Thread_local int64_t clock_frozen_us;

int64_t clock_read_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void clock_freeze(void)
{
	if (clock_frozen++ == 0)
		clock_frozen_us = clock_read_us();
}

void clock_thaw(void)
{
	Assert(clock_frozen > 0);
	clock_frozen--;
}
