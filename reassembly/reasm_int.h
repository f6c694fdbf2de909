/*
 * reasm_int.h — private state shared by flow.c (flow table, pools,
 * lifecycle) and tcp_stream.c (sequence numbers, in-order delivery, the
 * out-of-order queue). Nothing outside reassembly/ includes this.
 *
 * Memory layout, all sized at reasm_create():
 *   slots[]      open-addressing hash table of {hash, flow index}, at most
 *                half full, so a lookup usually reads one cache line and
 *                touches a flow only when the full 32-bit hash matches;
 *   flows[]      the flow pool; `struct flow` (public) first, then the
 *                private part, so the per-packet fields share cache lines;
 *   segs[]       out-of-order segment descriptors;
 *   chunk memory fixed-size chunks; one queued segment owns a chain of
 *                chunks, so a 64 KiB TSO/GRO super-segment fits without
 *                any allocation and a small one wastes at most one chunk.
 *
 * Invariants of one direction's queue (checked by asserts in debug builds):
 *   - segments are sorted by offset, disjoint, and every one starts
 *     strictly after `nxt` (else it would have been delivered);
 *   - once a FIN offset is known, every queued byte lies below it;
 *   - a segment owns exactly ceil(len / REASM_CHUNK_SIZE) chunks, and
 *     `q_bytes` is the sum of those chunks' sizes (what the caps count).
 */
#ifndef MT_REASM_INT_H
#define MT_REASM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "reasm.h"

#define REASM_NIL UINT32_MAX

/* 2 KiB holds one 1500-MTU segment in one chunk and a 64 KiB super-segment
 * in 32. */
#define REASM_CHUNK_SIZE 2048u

/* A sequence number further than this from where the stream stands is not
 * a plausible segment of it (the largest TCP window is 2^30, RFC 7323
 * section 2.3): it is dropped and counted rather than opening a hole. */
#define REASM_SEQ_WINDOW ((int64_t)1 << 30)

/* A RST is believed when its sequence number lies within this distance of
 * what the sender has sent (RFC 9293 section 3.10.7.4 wants it inside the
 * receive window; a passive sensor does not know the window exactly). A
 * blind spoofer then has about a 1 in 2000 chance to end our view of a
 * stream early. */
#define REASM_RST_SLACK ((int64_t)1 << 20)

/* Timeout classes: one LRU list each, ordered by last packet time. */
enum reasm_class {
	REASM_CLASS_NEW = 0,
	REASM_CLASS_EST,
	REASM_CLASS_CLOSED,
	REASM_CLASS_COUNT,
};

/* reasm_dir.flags */
enum {
	REASM_DIR_BASE = 0x01,  /* base_seq is known: offsets can be computed */
	REASM_DIR_SYN = 0x02,   /* base came from a SYN (isn valid) */
	REASM_DIR_FIN = 0x04,   /* fin_off is known */
	REASM_DIR_EOF = 0x08,   /* eof() was called: nothing more is delivered */
};

struct reasm_seg {
	uint64_t off;           /* stream offset of the first byte */
	uint32_t len;
	uint32_t chunk;         /* first chunk of the chain */
	uint32_t next;          /* next segment of the queue (or free list) */
};

struct reasm_dir {
	uint64_t nxt;           /* next offset to deliver: all below is done */
	uint64_t max_end;       /* highest offset + 1 seen from the sender */
	uint64_t fin_off;       /* offset of the FIN (REASM_DIR_FIN) */
	uint32_t base_seq;      /* sequence number of offset 0 */
	uint32_t isn;           /* the SYN's sequence number (REASM_DIR_SYN) */
	uint32_t q_head, q_tail;/* out-of-order queue */
	uint32_t q_bytes;       /* chunk bytes held by the queue */
	uint8_t flags;
};

struct reasm_flow {
	struct flow pub;        /* first: the consumer's pointer is to this */
	uint32_t hash;
	uint32_t idx;           /* own index in the pool */
	uint32_t lru_prev, lru_next;
	uint8_t lru_class;
	struct reasm_dir dir[2];
};

struct reasm_slot {
	uint32_t hash;
	uint32_t idx;           /* REASM_NIL: empty */
};

struct reasm {
	const struct reasm_ops *ops;
	void *user;
	uint64_t now;                   /* latest packet time seen */
	uint64_t seed;                  /* hash key, random per instance */
	uint64_t id_prefix, next_id;
	uint64_t timeout[REASM_CLASS_COUNT];
	uint32_t max_flows;
	uint32_t ooo_per_flow;

	struct reasm_slot *slots;
	uint32_t slot_mask;

	struct reasm_flow *flows;       /* contiguous pool */
	struct reasm_flow **flow_ptrs;  /* MT_POOL_MALLOC: one malloc each */
	uint32_t *free_flows;           /* stack of free pool indexes */
	uint32_t n_free_flows;
	uint32_t lru_head[REASM_CLASS_COUNT], lru_tail[REASM_CLASS_COUNT];

	struct reasm_seg *segs;
	uint32_t seg_free, segs_avail;
	uint8_t *chunk_mem;
	uint8_t **chunk_ptrs;           /* MT_POOL_MALLOC */
	uint32_t *chunk_next;
	uint32_t chunk_free, chunks_avail, nchunks;

	uint64_t memory;
	struct reasm_stats stats;
};

static inline struct reasm_flow *reasm_flow_at(const struct reasm *r, uint32_t i)
{
#ifdef MT_POOL_MALLOC
	return r->flow_ptrs[i];
#else
	return &r->flows[i];
#endif
}

static inline uint8_t *reasm_chunk(const struct reasm *r, uint32_t c)
{
#ifdef MT_POOL_MALLOC
	return r->chunk_ptrs[c];
#else
	return r->chunk_mem + (size_t)c * REASM_CHUNK_SIZE;
#endif
}

static inline struct reasm_flow *reasm_flow_of(struct flow *f)
{
	return (struct reasm_flow *)f;  /* pub is the first member */
}

/* tcp_stream.c */

/* One packet of flow f travelling in direction d: state, sequence numbers,
 * delivery. May call data/gap/eof for f only. */
void tcp_stream_packet(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		       const struct decoded_pkt *p);

/* The flow ends: deliver direction d's held data with a gap before each
 * hole (and up to a known FIN), then eof(d), unless eof was already sent. */
void tcp_stream_close(struct reasm *r, struct reasm_flow *f, enum flow_dir d);

/* Reset a direction's state for a fresh flow. */
void tcp_stream_init_dir(struct reasm_dir *D);

#endif
