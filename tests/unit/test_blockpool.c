/*
 * test_blockpool.c — the per-worker block pool and the arenas on top of it:
 * an empty pool is counted and returns NULL, blocks come back and are
 * reused, an arena honours its block cap and the one-object-per-block
 * limit, and reset gives every block back; the pool's watermark, and the
 * pages prefault.h makes resident ahead of it.
 */
#include "check.h"
#include "blockpool.h"
#include "prefault.h"

#include <sys/mman.h>

#include <stdint.h>
#include <string.h>

static void test_pool(void)
{
	struct mt_blockpool p;
	void *b[4];

	CHECK(mt_blockpool_init(&p, 16, 4) != 0);          /* too small */
	CHECK(mt_blockpool_init(&p, 64, 0) != 0);          /* no blocks */

	CHECK_EQ_U(mt_blockpool_init(&p, 100, 3), 0);
	CHECK_EQ_U(p.block_size, 112);                     /* rounded to 16 */
	for (int i = 0; i < 3; i++) {
		b[i] = mt_block_get(&p);
		CHECK(b[i] != NULL);
		memset(b[i], 0xa5, p.block_size);          /* usable in full */
	}
	CHECK(b[0] != b[1] && b[1] != b[2] && b[0] != b[2]);
	CHECK_EQ_U(p.in_use, 3);
	CHECK_EQ_U(p.exhausted, 0);

	b[3] = mt_block_get(&p);                           /* empty */
	CHECK(b[3] == NULL);
	CHECK_EQ_U(p.exhausted, 1);
	CHECK(mt_block_get(&p) == NULL);
	CHECK_EQ_U(p.exhausted, 2);
	CHECK_EQ_U(p.in_use, 3);

	mt_block_put(&p, b[1]);
	CHECK_EQ_U(p.in_use, 2);
	b[1] = mt_block_get(&p);                           /* one is back */
	CHECK(b[1] != NULL);
	CHECK_EQ_U(p.peak, 3);
	mt_block_put(&p, NULL);                            /* ignored */
	CHECK_EQ_U(p.in_use, 3);
	for (int i = 0; i < 3; i++)
		mt_block_put(&p, b[i]);
	CHECK_EQ_U(p.in_use, 0);
	CHECK_EQ_U(p.peak, 3);
	mt_blockpool_destroy(&p);
}

static void test_arena(void)
{
	struct mt_blockpool p;
	struct mt_arena a = { 0 };
	size_t room;
	char *s, *t;
	void *big;
	unsigned n;

	CHECK_EQ_U(mt_blockpool_init(&p, 128, 4), 0);
	room = p.block_size - 16;
	a.pool = &p;
	a.max_blocks = 2;

	/* No block until the first allocation. */
	CHECK_EQ_U(p.in_use, 0);
	s = mt_arena_memdup(&a, "alice@example.com", 17);
	CHECK(s != NULL);
	CHECK_STR(s, "alice@example.com");
	CHECK_EQ_U(p.in_use, 1);
	CHECK_EQ_U(a.nblocks, 1);
	CHECK_EQ_U((uintptr_t)s % 8, 0);

	/* The largest object fits; one byte more never does. */
	big = mt_arena_alloc(&a, room + 1);
	CHECK(big == NULL);
	CHECK_EQ_U(a.failed, 1);
	big = mt_arena_alloc(&a, room);                    /* a new block */
	CHECK(big != NULL);
	CHECK_EQ_U(a.nblocks, 2);
	CHECK_EQ_U(p.in_use, 2);

	/* The cap: a third block is refused although the pool has two. */
	t = mt_arena_alloc(&a, 8);
	CHECK(t == NULL);
	CHECK_EQ_U(a.failed, 2);
	CHECK_EQ_U(p.in_use, 2);
	CHECK_STR(s, "alice@example.com");                 /* still intact */

	/* Reset returns every block; the arena is usable again. */
	mt_arena_reset(&a);
	CHECK_EQ_U(p.in_use, 0);
	CHECK_EQ_U(a.nblocks, 0);
	CHECK(a.head == NULL);
	CHECK(mt_arena_memdup(&a, "x", 1) != NULL);
	CHECK_EQ_U(p.in_use, 1);
	mt_arena_reset(&a);

	/* No cap: the pool is the limit, and its exhaustion is counted in
	 * both the arena and the pool. */
	a.max_blocks = 0;
	a.failed = 0;
	for (n = 0; n < 10; n++)
		if (!mt_arena_alloc(&a, room))
			break;
	CHECK_EQ_U(n, 4);
	CHECK_EQ_U(a.failed, 1);
	CHECK(p.exhausted >= 1);
	CHECK_EQ_U(p.in_use, 4);
	mt_arena_reset(&a);
	CHECK_EQ_U(p.in_use, 0);
	mt_arena_reset(&a);                                /* twice is harmless */
	CHECK_EQ_U(p.in_use, 0);

	/* Small objects share a block. */
	for (n = 0; n < 10; n++)
		CHECK(mt_arena_alloc(&a, 8) != NULL);
	CHECK_EQ_U(a.nblocks, 1);
	mt_arena_reset(&a);
	mt_blockpool_destroy(&p);
}

/*
 * The pool's watermark grows by a block for each block never handed out
 * before, not for reused ones. mt_prefault_run() makes a region's pages
 * resident up to MT_PREFAULT_AHEAD past its watermark (mincore tells), no
 * further, and has nothing to do until the watermark moves. The region is
 * mapped here rather than the pool's: meson's MALLOC_PERTURB_ writes every
 * byte malloc hands out, which would make all of it resident.
 */
static void test_prefault(void)
{
#if !defined(MT_POOL_MALLOC) && defined(MADV_POPULATE_WRITE)
	struct mt_blockpool p;
	struct mt_prefault pf = { 0 };
	const size_t len = 4u << 20;
	unsigned char vec[(4u << 20) / 4096];
	size_t hwm = 3 * 4096, resident, first_absent;
	uint8_t *m;
	void *b[3];

	CHECK_EQ_U(mt_blockpool_init(&p, 4096, 1024), 0);
	CHECK_EQ_U(p.carved, 0);
	for (int i = 0; i < 3; i++)
		b[i] = mt_block_get(&p);
	CHECK_EQ_U(p.carved, 3 * 4096);
	mt_block_put(&p, b[1]);
	CHECK(mt_block_get(&p) == b[1]);           /* reused: no growth */
	CHECK_EQ_U(p.carved, 3 * 4096);
	mt_blockpool_destroy(&p);

	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED);
	if (m == MAP_FAILED)
		return;
	mt_prefault_add(&pf, m, len, &hwm);
	CHECK_EQ_U(pf.n, 1);
	for (int round = 0; round < 2; round++) {
		CHECK(mt_prefault_run(&pf));
		CHECK(!pf.off);
		CHECK(mincore(m, len, vec) == 0);
		resident = 0;
		first_absent = sizeof(vec);
		for (size_t i = 0; i < sizeof(vec); i++) {
			if (vec[i] & 1)
				resident++;
			else if (first_absent == sizeof(vec))
				first_absent = i;
		}
		CHECK_EQ_U(resident, (hwm + MT_PREFAULT_AHEAD) / 4096);
		CHECK_EQ_U(first_absent, resident);  /* from the start, no gaps */
		CHECK(!mt_prefault_run(&pf));      /* nothing new */
		hwm += 100 * 4096;                 /* the owner moves on */
	}
	munmap(m, len);

	/* A region that does not start on a page: its first whole page is
	 * the first populated, and the watermark counts from the owner's
	 * base (12 KiB used from m + 100: up to m + 12388, page 3). */
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED);
	if (m == MAP_FAILED)
		return;
	memset(&pf, 0, sizeof(pf));
	hwm = 3 * 4096;
	mt_prefault_add(&pf, m + 100, len - 100, &hwm);
	CHECK(mt_prefault_run(&pf));
	CHECK(mincore(m, len, vec) == 0);
	CHECK_EQ_U(vec[0] & 1, 0);
	resident = 0;
	for (size_t i = 0; i < sizeof(vec); i++)
		resident += vec[i] & 1;
	/* pages 1.. up to 256 KiB past byte 12388 - 4096 of the region */
	CHECK_EQ_U(resident, (3 * 4096 + 100 - 4096 + MT_PREFAULT_AHEAD + 4095) / 4096);
	munmap(m, len);
#endif
}

int main(void)
{
	test_pool();
	test_arena();
	test_prefault();
	return check_summary("test_blockpool");
}
