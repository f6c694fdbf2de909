/*
 * prefault — see prefault.h.
 */
#include "prefault.h"

#include <sys/mman.h>

#define PAGE 4096u

void mt_prefault_add(struct mt_prefault *p, void *base, size_t len, const size_t *hwm)
{
	if (!base || !len || p->n >= MT_PREFAULT_MAX)
		return;
	/* only whole pages inside the region */
	uintptr_t b = ((uintptr_t)base + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
	size_t skip = (size_t)(b - (uintptr_t)base);

	if (skip >= len)
		return;
	p->r[p->n++] = (struct mt_prefault_region){
		.base = (uint8_t *)b, .len = (len - skip) & ~(size_t)(PAGE - 1), .hwm = hwm,
		.skip = skip, .done = 0,
	};
}

bool mt_prefault_run(void *arg)
{
	struct mt_prefault *p = arg;
	bool worked = false;

#ifdef MADV_POPULATE_WRITE
	for (unsigned i = 0; i < p->n && !p->off; i++) {
		struct mt_prefault_region *r = &p->r[i];
		size_t used = __atomic_load_n(r->hwm, __ATOMIC_RELAXED);
		size_t want = (used > r->skip ? used - r->skip : 0) + MT_PREFAULT_AHEAD;

		want = (want + PAGE - 1) & ~(size_t)(PAGE - 1);
		if (want > r->len)
			want = r->len;
		if (want <= r->done)
			continue;
		if (madvise(r->base + r->done, want - r->done, MADV_POPULATE_WRITE) != 0) {
			p->off = true;          /* unsupported (or no memory): stop */
			break;
		}
		r->done = want;
		worked = true;
	}
#else
	(void)p;
#endif
	return worked;
}
