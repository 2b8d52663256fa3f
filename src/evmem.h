/*
 * libevent's memory: a per-thread cache of its smallest buffer chain in
 * front of malloc()/free(), which the relay allocates and frees twice per
 * transaction.
 */
#ifndef PGSTEER_EVMEM_H
#define PGSTEER_EVMEM_H

/* Install the allocator; before anything else calls libevent. */
void evmem_init(void);
/* Give the calling thread's kept blocks back to malloc (at its end). */
void evmem_thread_end(void);

#endif
