/*
 * alloc_counted.h — start-up allocations of the reassembly library's
 * tables (flow table, segment and chunk pools, fragment tracker), counted
 * into the owner's memory figure (reasm_memory, defrag's stats) so the
 * figure is what was allocated, not an estimate. n * size is checked for
 * overflow; n 0 allocates one element (a table is never NULL when it
 * worked). Returns NULL on failure; free() releases.
 */
#ifndef MT_ALLOC_COUNTED_H
#define MT_ALLOC_COUNTED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

static inline void *alloc_counted(uint64_t *memory, size_t n, size_t size, bool zero)
{
	void *p;

	if (n == 0)
		n = 1;
	if (size && n > SIZE_MAX / size)
		return NULL;
	p = zero ? calloc(n, size) : malloc(n * size);
	if (p)
		*memory += (uint64_t)n * size;
	return p;
}

#endif
