/*
 * blockpool — see blockpool.h. Free blocks form a singly linked list through
 * their first word; an arena block starts with a link to the older block.
 */
#include "blockpool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_HDR 16u

int mt_blockpool_init(struct mt_blockpool *p, uint32_t block_size, uint32_t count)
{
	memset(p, 0, sizeof(*p));
	if (block_size < 32 || count == 0)
		return -EINVAL;
	p->block_size = (block_size + 15u) & ~15u;
	p->count = count;
#ifndef MT_POOL_MALLOC
	/* Blocks are carved lazily (p->fresh) so untouched pages of a large
	 * pool never become resident. */
	p->mem = aligned_alloc(64, ((size_t)p->block_size * count + 63) & ~(size_t)63);
	if (!p->mem)
		return -ENOMEM;
#endif
	return 0;
}

void mt_blockpool_destroy(struct mt_blockpool *p)
{
	free(p->mem);
	memset(p, 0, sizeof(*p));
}

void *mt_block_get(struct mt_blockpool *p)
{
	void *b;

	if (p->in_use >= p->count) {
		p->exhausted++;
		return NULL;
	}
#ifdef MT_POOL_MALLOC
	b = malloc(p->block_size);
	if (!b) {
		p->exhausted++;
		return NULL;
	}
#else
	if (p->free_list) {
		b = p->free_list;
		p->free_list = *(void **)b;
	} else {
		b = (char *)p->mem + (size_t)p->fresh++ * p->block_size;
		__atomic_store_n(&p->carved, (size_t)p->fresh * p->block_size, __ATOMIC_RELAXED);
	}
#endif
	if (++p->in_use > p->peak)
		p->peak = p->in_use;
	return b;
}

void mt_block_put(struct mt_blockpool *p, void *b)
{
	if (!b)
		return;
	p->in_use--;
#ifdef MT_POOL_MALLOC
	free(b);
#else
	*(void **)b = p->free_list;
	p->free_list = b;
#endif
}

void *mt_arena_alloc(struct mt_arena *a, size_t n)
{
	size_t room = a->pool->block_size - ARENA_HDR;

	n = (n + 7u) & ~(size_t)7u;
	if (n > room) {
		a->failed++;
		return NULL;
	}
	if (!a->head || a->used + n > room) {
		void *b;

		if (a->max_blocks && a->nblocks >= a->max_blocks) {
			a->failed++;
			return NULL;
		}
		b = mt_block_get(a->pool);
		if (!b) {
			a->failed++;
			return NULL;
		}
		*(void **)b = a->head;
		a->head = b;
		a->used = 0;
		a->nblocks++;
	}
	void *r = (char *)a->head + ARENA_HDR + a->used;
	a->used += (uint32_t)n;
	return r;
}

char *mt_arena_memdup(struct mt_arena *a, const void *data, size_t len)
{
	char *s = mt_arena_alloc(a, len + 1);

	if (!s)
		return NULL;
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

void mt_arena_reset(struct mt_arena *a)
{
	void *b = a->head;

	while (b) {
		void *next = *(void **)b;

		mt_block_put(a->pool, b);
		b = next;
	}
	a->head = NULL;
	a->used = 0;
	a->nblocks = 0;
}
