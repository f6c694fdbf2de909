/*
 * reasm_int.h — private state shared by flow.c (flow table, pools,
 * lifecycle), tcp_stream.c (TCP state: sequence numbers, SYN/FIN/RST,
 * ACKs and windows, urgent data) and tcp_queue.c (delivery, the
 * out-of-order queue and its overlap policies, the history). Nothing
 * outside reassembly/ includes this.
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
 *                The history of a direction is a chain of chunks too. One
 *                free list serves both, with two budgets (ooo_avail,
 *                hist_avail) that add up to the pool: neither use can take
 *                the other's room.
 *
 * Invariants of one direction's queue (checked by asserts in debug builds):
 *   - segments are sorted by offset, disjoint, and every one starts
 *     strictly after `nxt` (else it would have been delivered);
 *   - once a FIN offset is known, every queued byte lies below it;
 *   - a segment owns exactly ceil(len / REASM_CHUNK_SIZE) chunks (none if
 *     it is LOST), and `q_bytes` is the sum of those chunks' sizes (what
 *     the caps count).
 * Invariants of one direction's history:
 *   - empty (hist_head NIL), or a chain of hist_chunks chunks where chunk i
 *     holds stream bytes [base + i * CS, base + (i + 1) * CS), base being
 *     hist_start rounded down to a chunk boundary, and the bytes
 *     [hist_start, nxt) are valid: the history always ends at nxt;
 *   - a chunk is held only while it holds a byte at or above hist_start.
 * With a stable payload range the history is instead a ring of extents
 * (tcp_queue.c, "references"), which cover [hist_start, nxt) in order.
 */
#ifndef MT_REASM_INT_H
#define MT_REASM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "reasm.h"
#include "slot_table.h"

#define REASM_NIL UINT32_MAX

/* 2 KiB holds one 1500-MTU segment in one chunk and a 64 KiB super-segment
 * in 32. A power of two: history offsets are split with a mask. */
#define REASM_CHUNK_SIZE 2048u

/* A sequence number further than this from where the stream stands is not
 * a plausible segment of it (the largest TCP window is 2^30, RFC 7323
 * section 2.3): it is dropped and counted rather than opening a hole. */
#define REASM_SEQ_WINDOW ((int64_t)1 << 30)

/* Where the receiver's window is not known (no handshake seen), the
 * "window" RST policies accept a RST this far past the receiver's next
 * expected byte. */
#define REASM_RST_SLACK ((int64_t)1 << 20)

/* Timeout classes: one LRU list each, ordered by last packet time. */
enum reasm_class {
	REASM_CLASS_NEW = 0,
	REASM_CLASS_EST,
	REASM_CLASS_CLOSED,
	REASM_CLASS_COUNT,
};

/* Anomalies, as bits of reasm_flow.anomalies (each is raised once per
 * flow); names in reasm.h. */
enum reasm_anomaly_id {
	REASM_AN_OVERLAP_DIFFERENT = 0,
	REASM_AN_RST_INVALID,
	REASM_AN_WINDOW_EXCEEDED,
	REASM_AN_SYN_ON_ESTABLISHED,
	REASM_AN_URGENT_DATA,
	REASM_AN_COUNT,
};

/* reasm_dir.flags */
enum {
	REASM_DIR_BASE = 0x01,  /* base_seq is known: offsets can be computed */
	REASM_DIR_SYN = 0x02,   /* base came from a SYN (isn valid) */
	REASM_DIR_FIN = 0x04,   /* fin_off is known */
	REASM_DIR_EOF = 0x08,   /* eof() was called: nothing more is delivered */
	REASM_DIR_BARE_SYN = 0x10,  /* that SYN had no ACK (an opener's SYN) */
	REASM_DIR_ACKED = 0x20, /* peer_ack is known */
	REASM_DIR_RWND = 0x40,  /* rwnd_edge is known */
	REASM_DIR_RWND_ZERO = 0x80, /* the receiver's latest window was 0 */
	REASM_DIR_URG = 0x100,  /* urg_off: an urgent byte still to deliver */
	REASM_DIR_ZWP = 0x200,  /* zwp_byte: a zero-window probe at nxt */
};

/* reasm_seg.flags */
enum {
	REASM_SEG_LOST = 0x01,  /* known missing (the capture cut the packet):
				 * no chunks, delivered as a gap */
};

struct reasm_seg {
	uint64_t off;           /* stream offset of the first byte */
	uint32_t len;
	uint32_t chunk;         /* first chunk of the chain (NIL if LOST) */
	uint32_t next;          /* next segment of the queue (or free list) */
	uint32_t orig_pre;      /* bytes of the packet that brought these
				 * bytes, before off ... */
	uint32_t orig_post;     /* ... and after off + len: the overlap
				 * policies judge a later copy against the
				 * segment as it arrived */
	uint8_t flags;
};

struct reasm_dir {
	uint64_t nxt;           /* next offset to deliver: all below is done */
	uint64_t max_end;       /* highest offset + 1 seen from the sender */
	uint64_t fin_off;       /* offset of the FIN (REASM_DIR_FIN) */
	uint64_t peer_ack;      /* receiver's highest ACK, as an offset of this
				 * stream (REASM_DIR_ACKED) */
	uint64_t rwnd_edge;     /* receiver's highest window right edge, as
				 * an offset of this stream (REASM_DIR_RWND) */
	uint64_t urg_off;       /* urgent byte to come (REASM_DIR_URG) */
	uint64_t hist_start;    /* first valid history byte */
	uint32_t base_seq;      /* sequence number of offset 0 */
	uint32_t isn;           /* the SYN's sequence number (REASM_DIR_SYN) */
	uint32_t q_head, q_tail;/* out-of-order queue */
	uint32_t q_bytes;       /* chunk bytes held by the queue */
	uint32_t q_charge;      /* what it counts against the per-flow cap
				 * (tcp_queue.c seg_charge) */
	uint32_t hist_head, hist_tail;  /* history chunk chain */
	uint16_t hist_chunks;
	uint16_t flags;
	uint8_t wscale;         /* window scale option of its SYN, 0xff none */
	uint8_t zwp_byte;       /* the probe's byte (REASM_DIR_ZWP) */
	uint8_t hx_first, hx_n; /* with a stable payload range: the history's
				 * extent ring (in chunk hist_head) */
};

/* reasm_flow.flags */
enum {
	REASM_FLOW_REUSE = 0x01,    /* a SYN with a new ISN is pending */
};

struct reasm_flow {
	struct flow pub;        /* first: the consumer's pointer is to this */
	uint32_t hash;
	uint32_t idx;           /* own index in the pool */
	uint32_t lru_prev, lru_next;
	uint8_t lru_class;
	uint8_t flags;
	uint8_t reuse_dir;      /* direction of the pending SYN */
	uint8_t reuse_wscale;   /* its window scale option */
	uint32_t reuse_isn;     /* its sequence number */
	uint16_t anomalies;     /* 1 << reasm_anomaly_id: raised already */
	uint8_t policy_client;  /* enum reasm_policy of the client (the
				 * receiver of FLOW_TO_CLIENT); the server's
				 * is pub.policy */
	struct reasm_dir dir[2];
};

/* The flow index: slot_table.h (shared with defrag.c). */

struct reasm {
	const struct reasm_ops *ops;
	void *user;
	uint64_t now;                   /* latest packet time seen */
	uint64_t seed;                  /* hash key, random per instance */
	uint64_t id_prefix, next_id;
	uint64_t timeout[REASM_CLASS_COUNT];
	uint32_t max_flows;
	uint32_t ooo_per_flow;
	uint8_t urgent_policy;
	uint8_t window_policy;

	struct slot *slots;
	uint32_t slot_mask;

	struct reasm_flow *flows;       /* contiguous pool */
	size_t flows_hwm, chunks_hwm;   /* bytes of flows / chunk_mem used so
					 * far, stored atomically (reasm_regions) */
	struct reasm_flow **flow_ptrs;  /* MT_POOL_MALLOC: one malloc each */
	uint32_t *free_flows;           /* stack of flows given back */
	uint32_t n_free_flows;
	uint32_t flow_fresh;            /* flows from here on never used */
	uint32_t lru_head[REASM_CLASS_COUNT], lru_tail[REASM_CLASS_COUNT];

	/* Segments and chunks come from a free list, and when it is empty
	 * from the part of the array never used yet (*_fresh onwards): the
	 * arrays are not walked at start, so their pages become resident
	 * only as they are used (2.2 MB and 550 page faults of every start
	 * with the defaults, before). */
	struct reasm_seg *segs;
	uint32_t seg_free, segs_avail, seg_fresh;
	uint8_t *chunk_mem;
	uint8_t **chunk_ptrs;           /* MT_POOL_MALLOC */
	uint32_t *chunk_next;
	uint32_t chunk_free, nchunks, chunk_fresh;
	uint32_t chunks_avail;          /* budget left for out-of-order data */
	uint32_t hist_avail;            /* budget left for history */
	uint32_t hist_per_dir;          /* history chunks per direction */
	uintptr_t stable_lo, stable_hi; /* payload memory that outlives the
					 * reassembler (reasm_set_stable_payload);
					 * 0: none, the history copies */

	/* policy by server network (a copy of the config's table) */
	uint8_t policy_default;
	uint16_t n_policy_nets;
	struct reasm_policy_net policy_nets[REASM_MAX_POLICY_NETS];

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

/* The policy of stream d's receiver: the server for client -> server. */
static inline unsigned reasm_dir_policy(const struct reasm_flow *f, enum flow_dir d)
{
	return d == FLOW_TO_SERVER ? f->pub.policy : f->policy_client;
}

/* ---- tcp_stream.c -------------------------------------------------- */

/* One packet of flow f travelling in direction d, the flow having been
 * idle idle_us before it: state, sequence numbers, delivery. May call
 * data/gap/eof/anomaly for f only. */
void tcp_stream_packet(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		       const struct decoded_pkt *p, uint64_t idle_us);

/* The flow ends: deliver direction d's held data with a gap before each
 * hole (and up to a known FIN), then eof(d), unless eof was already sent. */
void tcp_stream_close(struct reasm *r, struct reasm_flow *f, enum flow_dir d);

/* Reset a direction's state for a fresh flow. */
void tcp_stream_init_dir(struct reasm_dir *D);

/* Raise anomaly `id` for f unless it was raised already (counted anyway). */
void tcp_anomaly(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		 enum reasm_anomaly_id id);

/* ---- tcp_queue.c --------------------------------------------------- */

/* A packet's payload as the queue sees it: bytes [off, off + n) at p, and
 * the whole packet's range [pkt_off, pkt_end) before any trimming, which
 * the overlap policies judge by. */
struct tcp_seg {
	uint64_t off;
	const uint8_t *p;
	uint32_t n;
	uint64_t pkt_off, pkt_end;
};

/* What one packet's payload turned out to be, for the counters. */
struct seg_verdict {
	bool old_bytes;         /* some bytes were already delivered/queued */
	bool new_bytes;         /* some bytes were new */
	bool differ;            /* an old byte differs from the new copy */
};

/* In-order bytes at nxt (urgent policy applied, history kept). */
void tcp_deliver(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		 const uint8_t *p, uint32_t n);

/* n bytes at nxt will never come. */
void tcp_emit_gap(struct reasm *r, struct reasm_flow *f, enum flow_dir d, uint64_t n);

/* The packet's bytes start exactly at nxt: deliver them, resolving overlaps
 * with queued segments by the flow's policy, then whatever queued data
 * became in order. */
void tcp_deliver_in_order(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
			  const struct tcp_seg *s, struct seg_verdict *v);

/* Queue s (s->off > nxt), resolving overlaps by the flow's policy. Returns
 * false when a cap refused it (counted; nothing was queued). */
bool tcp_queue_ooo(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		   const struct tcp_seg *s, struct seg_verdict *v);

/* Record [off, off + n) (off > nxt) as known lost: delivered as a gap when
 * reached. Bytes already queued there stay. Returns false when no
 * descriptor was free (the hole then waits like any other). */
bool tcp_queue_lost(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		    uint64_t off, uint64_t n);

/* Deliver the first queued segment (it starts at nxt). */
void tcp_deliver_head(struct reasm *r, struct reasm_flow *f, enum flow_dir d);

/* Give up every hole below target: queued data there is delivered with a
 * gap before each hole; nxt ends at target or beyond. */
void tcp_skip_to(struct reasm *r, struct reasm_flow *f, enum flow_dir d, uint64_t target);

/* Drop everything queued (RST, EOF, bypass). */
void tcp_queue_discard(struct reasm *r, struct reasm_dir *D);

/* Drop queued bytes at or beyond limit (a FIN). Returns how many cuts it
 * made (segments shortened, plus one for the run of segments dropped). */
unsigned tcp_queue_trim_to(struct reasm *r, struct reasm_dir *D, uint64_t limit);

/* History: forget bytes below upto (the receiver acknowledged them); drop
 * all of it; does [off, off + n) at p differ from what it holds? */
void tcp_hist_trim(struct reasm *r, struct reasm_dir *D, uint64_t upto);
void tcp_hist_reset(struct reasm *r, struct reasm_dir *D);
bool tcp_hist_differs(const struct reasm *r, const struct reasm_dir *D, uint64_t off,
		      const uint8_t *p, uint32_t n);

#endif
