/*
 * blockpool — fixed-size blocks from one start-up allocation, and arenas
 * built from them.
 *
 * A worker owns one pool. Parsers take a block when they must keep bytes
 * across packets (a line split between segments, a transaction's envelope)
 * and give it back when done, so memory follows what is in flight, not the
 * number of flows. An empty pool is not an error: get() returns NULL, the
 * `exhausted` counter grows, and the caller degrades (truncates, counts).
 *
 * With -Dpool_malloc=true (MT_POOL_MALLOC) every block is malloc'd and
 * freed individually, within the same count limit, so ASan sees overruns
 * and use-after-free of single blocks.
 *
 * Not thread-safe by design: one pool per worker.
 */
#ifndef MT_BLOCKPOOL_H
#define MT_BLOCKPOOL_H

#include <stddef.h>
#include <stdint.h>

struct mt_blockpool {
	uint32_t block_size;    /* usable bytes per block */
	uint32_t count;         /* blocks in the pool */
	uint32_t in_use;        /* gauge */
	uint32_t peak;          /* high-water mark of in_use */
	uint64_t exhausted;     /* get() calls that found the pool empty */
	uint32_t fresh;         /* blocks never handed out start at this index */
	size_t carved;          /* fresh * block_size, stored atomically: the
				 * watermark another thread may populate
				 * ahead of (prefault.h) */
	void *free_list;        /* blocks given back */
	void *mem;              /* the single allocation (not with MT_POOL_MALLOC) */
};

/* Allocate count blocks of block_size bytes (rounded up to 16). Start-up
 * only. Returns 0 or -ENOMEM. */
int mt_blockpool_init(struct mt_blockpool *p, uint32_t block_size, uint32_t count);
void mt_blockpool_destroy(struct mt_blockpool *p);

/* A block of p->block_size bytes, or NULL when none is left (counted). */
void *mt_block_get(struct mt_blockpool *p);
void mt_block_put(struct mt_blockpool *p, void *block);

/*
 * Arena: bump allocation over a chain of blocks from a pool, released all at
 * once. An allocation never spans blocks, so one object is at most
 * block_size - 16 bytes. max_blocks caps one arena (0 = no cap beyond the
 * pool). Zero-initialise the struct, then set pool and max_blocks.
 */
struct mt_arena {
	struct mt_blockpool *pool;
	void *head;             /* newest block; each block starts with a link */
	uint32_t used;          /* bytes used in head */
	uint16_t nblocks;
	uint16_t max_blocks;
	uint64_t failed;        /* allocations refused (cap or empty pool) */
};

/* n bytes, 8-aligned, or NULL (counted in a->failed). Valid until reset. */
void *mt_arena_alloc(struct mt_arena *a, size_t n);
/* Copy of [data, data+len) plus a NUL, or NULL. */
char *mt_arena_memdup(struct mt_arena *a, const void *data, size_t len);
/* Give every block back to the pool. */
void mt_arena_reset(struct mt_arena *a);

#endif
