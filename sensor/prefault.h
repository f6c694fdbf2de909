/*
 * prefault — pages of a worker's pools made resident ahead of their first
 * use, by another thread.
 *
 * A worker's pools are reserved at start and their pages become resident
 * as they are first written (the parser blocks, app flows, reassembly
 * chunks and flows: blockpool.h, worker.h, reasm.h). On this project's
 * virtual machines such a first touch costs 1.4-2.6 µs, and a 200 MB
 * capture of a thousand concurrent sessions takes about 4,000 of them
 * while its packets are read (benchmarks/RESULTS.md). Each pool hands its
 * memory out in address order until it has used it once, so how far it
 * has got is one number, a watermark its owner stores atomically (relaxed)
 * as it grows. mt_prefault_run(), called by a thread that has time (the
 * pager of a mapped capture file, capture_file.c), populates each region
 * up to MT_PREFAULT_AHEAD past its watermark: the page is then there when
 * the worker gets to it. Memory is committed at most that far ahead of
 * use, per region. Nothing is read or written in the regions: populating
 * a page that is resident already does nothing, so the owner and the
 * helper never race on contents.
 */
#ifndef MT_PREFAULT_H
#define MT_PREFAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MT_PREFAULT_MAX 8
#define MT_PREFAULT_AHEAD (256u << 10)

struct mt_prefault {
	struct mt_prefault_region {
		uint8_t *base;
		size_t len;
		const size_t *hwm;      /* bytes used from the owner's base: the
					 * owner's, stored atomically */
		size_t skip;            /* base - the owner's base (page alignment) */
		size_t done;            /* populated up to here: the helper's */
	} r[MT_PREFAULT_MAX];
	unsigned n;
	bool off;                       /* the kernel cannot (before 5.14) */
};

/* Add a region (owner, before the helper starts using p); regions past
 * MT_PREFAULT_MAX, or without memory, are left to their faults. */
void mt_prefault_add(struct mt_prefault *p, void *base, size_t len, const size_t *hwm);

/* Helper thread: populate each region ahead of its watermark. true when
 * it did something (the caller naps when nothing is to be done). Takes
 * struct mt_prefault * as void * (capture_set_pager_hook). */
bool mt_prefault_run(void *p);

#endif
