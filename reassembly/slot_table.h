/*
 * slot_table — the open-addressing index shared by the flow table
 * (flow.c) and the fragment tracker (defrag.c): power-of-two arrays of
 * (hash, idx) slots, linear probing, backward-shift deletion (no
 * tombstones to pile up under churn). The caller keeps the table at most
 * half full (its pool is half the slots), so a probe always ends; lookup
 * stays with the caller, which compares its own keys.
 */
#ifndef MT_SLOT_TABLE_H
#define MT_SLOT_TABLE_H

#include <stdint.h>

#define SLOT_EMPTY UINT32_MAX

struct slot {
	uint32_t hash;
	uint32_t idx;                   /* SLOT_EMPTY: free */
};

static inline void slot_insert(struct slot *s, uint32_t mask, uint32_t h, uint32_t idx)
{
	uint32_t i = h & mask;

	while (s[i].idx != SLOT_EMPTY)
		i = (i + 1) & mask;
	s[i].hash = h;
	s[i].idx = idx;
}

/* Remove idx (present, at or after h's home); later members of its probe
 * run move back over the hole, so a lookup never stops early at it. */
static inline void slot_remove(struct slot *s, uint32_t mask, uint32_t h, uint32_t idx)
{
	uint32_t i = h & mask, j;

	while (s[i].idx != idx)
		i = (i + 1) & mask;
	j = i;
	for (;;) {
		uint32_t home;

		j = (j + 1) & mask;
		if (s[j].idx == SLOT_EMPTY)
			break;
		home = s[j].hash & mask;
		/* Entry j stays unless its home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		s[i] = s[j];
		i = j;
	}
	s[i].idx = SLOT_EMPTY;
}

#endif
