/*
 * libevent's allocations (evmem.h).  The relay reads each statement and
 * each reply into an empty input buffer, for which libevent allocates its
 * smallest chain (EVMEM_CHAIN bytes), and frees it once the bytes are
 * forwarded: two allocations and two frees per transaction.  glibc serves
 * them from its per-thread cache, but through malloc()'s and free()'s
 * general entry points and checks: about 110 instructions per pair, where
 * a stack of freed chains per thread takes about 30 (callgrind,
 * `pgbench -S`: 164 instructions per transaction fewer in all).  So each
 * thread keeps up to EVMEM_KEEP freed chains and hands them back first.
 *
 * A kept block is an ordinary malloc() block of at least EVMEM_CHAIN
 * usable bytes: anything libevent allocates may still be freed with
 * free(), and a block may be freed by another thread than the one that
 * allocated it (it then joins that thread's cache).
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>

#include <event2/event.h>

#include "evmem.h"

/* libevent 2.1's MIN_BUFFER_SIZE on 64-bit: what a chain for a read of up to 960 bytes asks for */
#define EVMEM_CHAIN 1024
#define EVMEM_KEEP 64
#ifdef __SANITIZE_ADDRESS__
#define EVMEM_ON false	/* ASan is to see every use of a freed chain: no cache in front of it */
#else
#define EVMEM_ON true
#endif

static size_t chain_usable;		/* malloc_usable_size() of an EVMEM_CHAIN block */
static _Thread_local void *kept[EVMEM_KEEP];
static _Thread_local int n_kept;

static void *ev_malloc(size_t n)
{
	if (n == EVMEM_CHAIN && n_kept > 0)
		return kept[--n_kept];
	return malloc(n);
}

static void *ev_realloc(void *p, size_t n)
{
	return realloc(p, n);
}

static void ev_free(void *p)
{
	if (p && n_kept < EVMEM_KEEP && malloc_usable_size(p) == chain_usable) {
		kept[n_kept++] = p;
		return;
	}
	free(p);
}

void evmem_init(void)
{
	void *p;

	if (!EVMEM_ON || !(p = malloc(EVMEM_CHAIN)))
		return;	/* libevent keeps using malloc() and free() directly */
	chain_usable = malloc_usable_size(p);
	free(p);
	event_set_mem_functions(ev_malloc, ev_realloc, ev_free);
}

void evmem_thread_end(void)
{
	while (n_kept > 0)
		free(kept[--n_kept]);
}
