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

/* The index is stored complemented, so that a zeroed table (calloc: pages
 * that become resident only when a slot on them is used) is an empty
 * one: no walk over the table at start. */
struct slot {
	uint32_t hash;
	uint32_t nidx;                  /* ~idx; 0: free (SLOT_EMPTY) */
};

static inline uint32_t slot_idx(const struct slot *s)
{
	return ~s->nidx;
}

static inline void slot_set_idx(struct slot *s, uint32_t idx)
{
	s->nidx = ~idx;
}

static inline void slot_insert(struct slot *s, uint32_t mask, uint32_t h, uint32_t idx)
{
	uint32_t i = h & mask;

	while (slot_idx(&s[i]) != SLOT_EMPTY)
		i = (i + 1) & mask;
	s[i].hash = h;
	slot_set_idx(&s[i], idx);
}

/* Remove idx (present, at or after h's home); later members of its probe
 * run move back over the hole, so a lookup never stops early at it. */
static inline void slot_remove(struct slot *s, uint32_t mask, uint32_t h, uint32_t idx)
{
	uint32_t i = h & mask, j;

	while (slot_idx(&s[i]) != idx)
		i = (i + 1) & mask;
	j = i;
	for (;;) {
		uint32_t home;

		j = (j + 1) & mask;
		if (slot_idx(&s[j]) == SLOT_EMPTY)
			break;
		home = s[j].hash & mask;
		/* Entry j stays unless its home lies cyclically in (i, j]. */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		s[i] = s[j];
		i = j;
	}
	slot_set_idx(&s[i], SLOT_EMPTY);
}

#endif
