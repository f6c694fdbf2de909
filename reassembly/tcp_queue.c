/*
 * tcp_queue — how one direction's bytes leave the reassembler and where
 * they wait: in-order delivery straight from the packet, the bounded
 * out-of-order queue with target-based overlap resolution, bytes known to
 * be lost, and the history of delivered bytes that later copies are
 * compared with. tcp_stream.c decides what a packet is (state, sequence
 * numbers, window, urgent pointer); this file stores and delivers its bytes.
 *
 * Overlaps. A new copy of bytes that are queued is judged against the
 * queued segment as it arrived (reasm_seg.orig_pre/orig_post), by the
 * flow's policy (the table in reasm.h); where the new copy wins it is
 * written over the queued bytes in place, so no segment is ever split and
 * the queue stays sorted and disjoint. Where several copies overlap, a
 * byte remembers only the segment that first brought it: a third copy is
 * judged against that one. Bytes already delivered are never replaced;
 * whether they differ is answered by the history, as long as it holds them.
 *
 * Delivery. Every byte handed to the consumer goes through deliver_raw(),
 * which appends it to the history; every hole through tcp_emit_gap(), which
 * restarts the history (it must stay contiguous up to nxt). The urgent
 * policy is applied in tcp_deliver(), the one way in-order bytes enter.
 *
 * Caps. The queue of a direction holds at most max_ooo_bytes_per_flow bytes
 * of chunks; all queues share the chunk and descriptor pools. History
 * chunks come from their own budget (max_history_bytes, and a per-direction
 * limit past which the oldest chunk goes, counted in
 * history_evicted_bytes); when it is empty a direction's history is
 * dropped and counted (history_no_memory), never out-of-order room taken.
 */
#include <assert.h>
#include <string.h>
#ifdef MT_POOL_MALLOC
#include <stdlib.h>
#endif

#include "reasm_int.h"

#define CS REASM_CHUNK_SIZE
#define CS_MASK ((uint64_t)REASM_CHUNK_SIZE - 1)

static inline struct reasm_seg *seg_at(const struct reasm *r, uint32_t s)
{
	return &r->segs[s];
}

static inline uint32_t chunks_for(uint64_t len)
{
	return (uint32_t)((len + CS - 1) / CS);
}

static inline uint32_t seg_chunks(const struct reasm_seg *S)
{
	return (S->flags & REASM_SEG_LOST) ? 0 : chunks_for(S->len);
}

/* ---- chunk pool ---------------------------------------------------- */

/* Callers check their budget first, so the free list is never empty here
 * (the budgets add up to the pool). NIL only on a debug-build malloc
 * failure, which callers treat as an empty budget. */
static uint32_t chunk_pop(struct reasm *r)
{
	uint32_t c = r->chunk_free;
	bool fresh = c == REASM_NIL;

	assert(!fresh || r->chunk_fresh < r->nchunks);
	if (fresh)
		c = r->chunk_fresh;
#ifdef MT_POOL_MALLOC
	r->chunk_ptrs[c] = malloc(CS);
	if (!r->chunk_ptrs[c])
		return REASM_NIL;
#endif
	if (fresh) {
		/* a chunk never used: the watermark (reasm_regions) moves */
		r->chunk_fresh++;
		__atomic_store_n(&r->chunks_hwm, (size_t)r->chunk_fresh * CS, __ATOMIC_RELAXED);
	} else {
		r->chunk_free = r->chunk_next[c];
	}
	r->chunk_next[c] = REASM_NIL;
	return c;
}

static void chunk_push(struct reasm *r, uint32_t c)
{
#ifdef MT_POOL_MALLOC
	free(r->chunk_ptrs[c]);
	r->chunk_ptrs[c] = NULL;
#endif
	r->chunk_next[c] = r->chunk_free;
	r->chunk_free = c;
}

/* Out-of-order chunks: the ooo budget. */
static uint32_t ooo_chunk_get(struct reasm *r)
{
	uint32_t c;

	assert(r->chunks_avail > 0);
	c = chunk_pop(r);
	if (c != REASM_NIL)
		r->chunks_avail--;
	return c;
}

static void ooo_chunk_put_chain(struct reasm *r, uint32_t c)
{
	while (c != REASM_NIL) {
		uint32_t next = r->chunk_next[c];

		chunk_push(r, c);
		r->chunks_avail++;
		c = next;
	}
}

/*
 * What a queued segment counts against the per-flow cap: its bytes, at
 * least SEG_CHARGE_MIN. Counting whole chunks let 512 segments of 20 bytes
 * behind one hole fill 1 MiB, after which the hole was given up with
 * everything behind it (an independent generator's tiny reversed
 * segments); counting bytes alone would let one flow of 1-byte segments
 * take a chunk each up to the pool's end. With the floor a direction holds
 * at most ooo_per_flow / SEG_CHARGE_MIN segments, in at most 8x the cap of
 * chunk memory (SEG_CHARGE_MIN = CS / 8); the pool bounds the total.
 */
#define SEG_CHARGE_MIN (CS / 8)

static inline uint32_t seg_charge(uint32_t len, bool lost)
{
	return lost ? 0 : len < SEG_CHARGE_MIN ? SEG_CHARGE_MIN : len;
}

static void held_add(struct reasm *r, struct reasm_dir *D, uint32_t nchunks, uint32_t charge)
{
	uint32_t b = nchunks * CS;

	D->q_charge += charge;
	D->q_bytes += b;
	r->stats.ooo_bytes_held += b;
	if (r->stats.ooo_bytes_held > r->stats.ooo_bytes_peak)
		r->stats.ooo_bytes_peak = r->stats.ooo_bytes_held;
}

static void held_sub(struct reasm *r, struct reasm_dir *D, uint32_t nchunks, uint32_t charge)
{
	uint32_t b = nchunks * CS;

	assert(D->q_bytes >= b && r->stats.ooo_bytes_held >= b && D->q_charge >= charge);
	D->q_charge -= charge;
	D->q_bytes -= b;
	r->stats.ooo_bytes_held -= b;
}

/* ---- history ------------------------------------------------------- */

/* History chunks: their own budget, and a count per direction. NIL when
 * the budget is empty. */
static uint32_t hist_chunk_get(struct reasm *r, struct reasm_dir *D)
{
	uint32_t c = REASM_NIL;

	if (r->hist_avail > 0)
		c = chunk_pop(r);
	if (c == REASM_NIL)
		return REASM_NIL;
	r->hist_avail--;
	r->stats.history_bytes_held += CS;
	D->hist_chunks++;
	return c;
}

static void hist_chunk_put(struct reasm *r, struct reasm_dir *D, uint32_t c)
{
	chunk_push(r, c);
	r->hist_avail++;
	D->hist_chunks--;
	r->stats.history_bytes_held -= CS;
}

/* Where a direction's history starts once bytes up to `end` are in: it
 * spans at most hist_per_dir chunks of the stream, the last one holding
 * end - 1. The same in both forms below, so both keep the same bytes. */
static uint64_t hist_keep_from(const struct reasm *r, uint64_t end)
{
	uint64_t k = (end - 1) & ~CS_MASK, span = (uint64_t)(r->hist_per_dir - 1) * CS;

	return k >= span ? k - span : 0;
}

/* -- copies: a chain of chunks aligned to stream offsets -- */

static inline uint64_t hist_base(const struct reasm_dir *D)
{
	return D->hist_start & ~CS_MASK;
}

static void hist_pop_head(struct reasm *r, struct reasm_dir *D)
{
	uint32_t c = D->hist_head;

	D->hist_head = r->chunk_next[c];
	if (D->hist_head == REASM_NIL)
		D->hist_tail = REASM_NIL;
	hist_chunk_put(r, D, c);
}

static void chain_reset(struct reasm *r, struct reasm_dir *D)
{
	while (D->hist_head != REASM_NIL)
		hist_pop_head(r, D);
	D->hist_start = D->nxt;
}

static void chain_trim(struct reasm *r, struct reasm_dir *D, uint64_t upto)
{
	uint64_t old_base = hist_base(D), new_base;

	D->hist_start = upto;
	new_base = hist_base(D);
	/* chunk i of the chain starts at old_base + i * CS; those wholly
	 * below the new start go (with nxt on a chunk boundary and upto ==
	 * nxt, that is all of them) */
	for (uint64_t b = old_base; b < new_base; b += CS)
		hist_pop_head(r, D);
}

/* Bytes p[0..n) are about to be delivered at nxt: keep them, within the
 * per-direction limit (the oldest chunks go) and the total budget. */
static void chain_append(struct reasm *r, struct reasm_dir *D, const uint8_t *p, uint32_t n)
{
	uint64_t off = D->nxt, end = off + n, keep_from = hist_keep_from(r, end);

	if (D->hist_head == REASM_NIL)
		D->hist_start = off;
	if (keep_from > D->hist_start) {
		uint64_t old_base = hist_base(D);

		/* the held bytes [hist_start, off) below keep_from go */
		r->stats.history_evicted_bytes += (keep_from < off ? keep_from : off) - D->hist_start;
		if (keep_from >= off) {
			chain_reset(r, D);
			D->hist_start = keep_from;
		} else {
			D->hist_start = keep_from;
			for (uint64_t b = old_base; b < hist_base(D); b += CS)
				hist_pop_head(r, D);
		}
	}
	if (off < D->hist_start) {
		p += D->hist_start - off;
		off = D->hist_start;
	}
	while (off < end) {
		uint32_t pos = (uint32_t)(off & CS_MASK), k = CS - pos;

		if (k > end - off)
			k = (uint32_t)(end - off);
		if (D->hist_tail == REASM_NIL || pos == 0) {
			uint32_t c = hist_chunk_get(r, D);

			if (c == REASM_NIL) {
				r->stats.history_no_memory++;
				chain_reset(r, D);
				D->hist_start = end;    /* after nxt moves: empty */
				return;
			}
			if (D->hist_tail == REASM_NIL)
				D->hist_head = c;
			else
				r->chunk_next[D->hist_tail] = c;
			D->hist_tail = c;
		}
		memcpy(reasm_chunk(r, D->hist_tail) + pos, p, k);
		p += k;
		off += k;
	}
}

static bool chain_differs(const struct reasm *r, const struct reasm_dir *D, uint64_t a,
			  uint64_t b, const uint8_t *p)
{
	uint32_t c = D->hist_head;

	for (uint64_t i = (a - hist_base(D)) / CS; i > 0; i--)
		c = r->chunk_next[c];
	while (a < b) {
		uint32_t pos = (uint32_t)(a & CS_MASK), k = CS - pos;

		if (k > b - a)
			k = (uint32_t)(b - a);
		if (memcmp(reasm_chunk(r, c) + pos, p, k) != 0)
			return true;
		p += k;
		a += k;
		c = r->chunk_next[c];
	}
	return false;
}

/*
 * -- references: with stable payload memory (reasm_set_stable_payload) --
 *
 * The bytes [hist_start, nxt) are a ring of extents in one chunk
 * (hist_head; hx_first, hx_n), in stream order. An extent points into a
 * packet's payload inside the stable range, which is not copied, or into a
 * chunk of its own holding a copy: bytes from elsewhere (the out-of-order
 * queue, a reassembled IP datagram, the urgent byte) and pieces shorter
 * than HX_REF_MIN, which would spend a ring entry on a few bytes. A copy
 * extent takes more bytes while it is the last one and its chunk has room.
 * The stream span kept is hist_keep_from's, as for copies; besides, a
 * direction holds at most hist_per_dir copy chunks and HX_CAP extents, the
 * oldest going first (counted in history_evicted_bytes).
 */
struct hist_ext {
	const uint8_t *p;
	uint32_t len;
	uint32_t chunk;         /* the copy's chunk; REASM_NIL: a reference */
};

#define HX_CAP ((uint32_t)(CS / sizeof(struct hist_ext)))
#define HX_REF_MIN 256u

static inline struct hist_ext *hx_at(const struct reasm *r, const struct reasm_dir *D, uint32_t i)
{
	return (struct hist_ext *)(void *)reasm_chunk(r, D->hist_head) + (D->hx_first + i) % HX_CAP;
}

static bool hx_stable(const struct reasm *r, const uint8_t *p, uint32_t n)
{
	uintptr_t a = (uintptr_t)p;

	return a >= r->stable_lo && a <= r->stable_hi && r->stable_hi - a >= n;
}

/* The oldest extent goes; hist_start moves past it. */
static void hx_pop(struct reasm *r, struct reasm_dir *D)
{
	struct hist_ext *x = hx_at(r, D, 0);

	D->hist_start += x->len;
	if (x->chunk != REASM_NIL)
		hist_chunk_put(r, D, x->chunk);
	D->hx_first = (uint8_t)((D->hx_first + 1) % HX_CAP);
	D->hx_n--;
}

/* History below upto (at most nxt) goes; evicted: counted as such. */
static void hx_drop_below(struct reasm *r, struct reasm_dir *D, uint64_t upto, bool evicted)
{
	uint64_t from = D->hist_start;

	while (D->hx_n && D->hist_start + hx_at(r, D, 0)->len <= upto)
		hx_pop(r, D);
	if (D->hx_n && upto > D->hist_start) {
		struct hist_ext *x = hx_at(r, D, 0);
		uint32_t k = (uint32_t)(upto - D->hist_start);

		x->p += k;
		x->len -= k;
		D->hist_start = upto;
	}
	if (evicted)
		r->stats.history_evicted_bytes += D->hist_start - from;
}

static void hx_reset(struct reasm *r, struct reasm_dir *D)
{
	while (D->hx_n)
		hx_pop(r, D);
	if (D->hist_head != REASM_NIL) {
		hist_chunk_put(r, D, D->hist_head);
		D->hist_head = REASM_NIL;
	}
	D->hist_start = D->nxt;
}

/* The oldest extent goes to make room: counted as evicted. */
static void hx_evict_oldest(struct reasm *r, struct reasm_dir *D)
{
	r->stats.history_evicted_bytes += hx_at(r, D, 0)->len;
	hx_pop(r, D);
}

/* A ring entry for one more extent: the oldest goes when it is full. */
static struct hist_ext *hx_push(struct reasm *r, struct reasm_dir *D)
{
	if (D->hx_n == HX_CAP)
		hx_evict_oldest(r, D);
	D->hx_n++;
	return hx_at(r, D, D->hx_n - 1u);
}

static void hx_append(struct reasm *r, struct reasm_dir *D, const uint8_t *p, uint32_t n)
{
	uint64_t off = D->nxt, end = off + n, keep_from = hist_keep_from(r, end);

	if (D->hist_head == REASM_NIL) {
		uint32_t c = hist_chunk_get(r, D);

		if (c == REASM_NIL) {
			r->stats.history_no_memory++;
			D->hist_start = end;            /* after nxt moves: empty */
			return;
		}
		D->hist_head = c;
		D->hx_first = 0;
		D->hx_n = 0;
		D->hist_start = off;
	}
	if (keep_from > D->hist_start) {
		hx_drop_below(r, D, keep_from < off ? keep_from : off, true);
		if (keep_from > off) {
			p += keep_from - off;
			n -= (uint32_t)(keep_from - off);
			D->hist_start = keep_from;
		}
	}
	if (n >= HX_REF_MIN && hx_stable(r, p, n)) {
		struct hist_ext *x = hx_push(r, D);

		*x = (struct hist_ext){ p, n, REASM_NIL };
		return;
	}
	while (n) {
		struct hist_ext *x = D->hx_n ? hx_at(r, D, D->hx_n - 1u) : NULL;
		uint32_t room = 0, k;

		if (x && x->chunk != REASM_NIL)
			room = (uint32_t)(reasm_chunk(r, x->chunk) + CS - (x->p + x->len));
		if (!room) {
			uint32_t c;

			/* at most hist_per_dir copy chunks (and the ring's) */
			while (D->hx_n && D->hist_chunks > r->hist_per_dir)
				hx_evict_oldest(r, D);
			c = hist_chunk_get(r, D);
			if (c == REASM_NIL) {
				r->stats.history_no_memory++;
				hx_reset(r, D);
				D->hist_start = end;    /* after nxt moves: empty */
				return;
			}
			x = hx_push(r, D);
			*x = (struct hist_ext){ reasm_chunk(r, c), 0, c };
			room = CS;
		}
		k = n < room ? n : room;
		memcpy((uint8_t *)(uintptr_t)x->p + x->len, p, k);
		x->len += k;
		p += k;
		n -= k;
	}
}

static bool hx_differs(const struct reasm *r, const struct reasm_dir *D, uint64_t a, uint64_t b,
		       const uint8_t *p)
{
	uint64_t s = D->hist_start;

	for (uint32_t i = 0; i < D->hx_n && s < b; i++) {
		const struct hist_ext *x = hx_at(r, D, i);
		uint64_t e = s + x->len;

		if (e > a) {
			uint64_t lo = s > a ? s : a, hi = e < b ? e : b;

			if (memcmp(x->p + (lo - s), p + (lo - a), (size_t)(hi - lo)) != 0)
				return true;
		}
		s = e;
	}
	return false;
}

/* -- either form -- */

void tcp_hist_reset(struct reasm *r, struct reasm_dir *D)
{
	if (r->stable_hi)
		hx_reset(r, D);
	else
		chain_reset(r, D);
}

void tcp_hist_trim(struct reasm *r, struct reasm_dir *D, uint64_t upto)
{
	if (D->hist_head == REASM_NIL || upto <= D->hist_start)
		return;
	if (upto > D->nxt)
		upto = D->nxt;
	if (r->stable_hi)
		hx_drop_below(r, D, upto, false);
	else
		chain_trim(r, D, upto);
}

static void hist_append(struct reasm *r, struct reasm_dir *D, const uint8_t *p, uint32_t n)
{
	if (r->hist_per_dir == 0 || n == 0)
		return;
	if (r->stable_hi)
		hx_append(r, D, p, n);
	else
		chain_append(r, D, p, n);
}

bool tcp_hist_differs(const struct reasm *r, const struct reasm_dir *D, uint64_t off,
		      const uint8_t *p, uint32_t n)
{
	uint64_t a = off > D->hist_start ? off : D->hist_start;
	uint64_t b = off + n < D->nxt ? off + n : D->nxt;

	if (D->hist_head == REASM_NIL || a >= b)
		return false;
	p += a - off;
	return r->stable_hi ? hx_differs(r, D, a, b, p) : chain_differs(r, D, a, b, p);
}

/* ---- queue primitives ---------------------------------------------- */

/* Unlink and free the first segment of D's queue. */
static void seg_pop_head(struct reasm *r, struct reasm_dir *D)
{
	uint32_t s = D->q_head;
	struct reasm_seg *S = seg_at(r, s);

	D->q_head = S->next;
	if (D->q_head == REASM_NIL)
		D->q_tail = REASM_NIL;
	held_sub(r, D, seg_chunks(S), seg_charge(S->len, S->flags & REASM_SEG_LOST));
	ooo_chunk_put_chain(r, S->chunk);
	S->next = r->seg_free;
	r->seg_free = s;
	r->segs_avail++;
}

void tcp_queue_discard(struct reasm *r, struct reasm_dir *D)
{
	while (D->q_head != REASM_NIL)
		seg_pop_head(r, D);
}

/* The chunk of segment S holding its byte `rel`, and rel within it. */
static uint32_t seg_chunk_at(const struct reasm *r, const struct reasm_seg *S, uint32_t *rel)
{
	uint32_t c = S->chunk;

	while (*rel >= CS) {
		c = r->chunk_next[c];
		*rel -= CS;
	}
	return c;
}

/* Does queued segment s, from byte `rel` on, differ from p[0..n)? */
static bool seg_differs(const struct reasm *r, uint32_t s, uint32_t rel,
			const uint8_t *p, uint32_t n)
{
	uint32_t c = seg_chunk_at(r, seg_at(r, s), &rel);

	while (n) {
		uint32_t k = CS - rel;

		if (k > n)
			k = n;
		if (memcmp(reasm_chunk(r, c) + rel, p, k) != 0)
			return true;
		p += k;
		n -= k;
		rel = 0;
		c = r->chunk_next[c];
	}
	return false;
}

/* Write p[0..n) over queued segment s from byte `rel` on (the policy chose
 * the new copy). */
static void seg_write(struct reasm *r, uint32_t s, uint32_t rel, const uint8_t *p, uint32_t n)
{
	uint32_t c = seg_chunk_at(r, seg_at(r, s), &rel);

	while (n) {
		uint32_t k = CS - rel;

		if (k > n)
			k = n;
		memcpy(reasm_chunk(r, c) + rel, p, k);
		p += k;
		n -= k;
		rel = 0;
		c = r->chunk_next[c];
	}
}

/* ---- overlap policies ---------------------------------------------- */

/* How a new segment N = [ns, ne) lies against a queued one O = [os, oe)
 * (both as they arrived), in the rows of the table in reasm.h. */
enum ov_case {
	OV_BEFORE_INSIDE,       /* ns < os, ne < oe */
	OV_BEFORE_COVER,        /* ns < os, ne >= oe */
	OV_SAME_SHORT,          /* ns == os, ne < oe */
	OV_SAME_EXACT,          /* ns == os, ne == oe */
	OV_SAME_LONG,           /* ns == os, ne > oe */
	OV_AFTER_INSIDE,        /* ns > os, ne <= oe */
	OV_AFTER_EXTENDS,       /* ns > os, ne > oe */
};

#define OV(x) (1u << (x))
#define OV_BSD (OV(OV_BEFORE_INSIDE) | OV(OV_BEFORE_COVER))
#define OV_LINUX (OV_BSD | OV(OV_SAME_LONG))
#define OV_OLD_LINUX (OV_LINUX | OV(OV_SAME_EXACT))
#define OV_SOLARIS (OV(OV_BEFORE_COVER) | OV(OV_SAME_EXACT) | OV(OV_SAME_LONG) | \
		    OV(OV_AFTER_EXTENDS))
#define OV_ALL 0x7fu

/* Cases where the new copy wins, per policy (reasm.h's table; Novak &
 * Sturges section 4, as Snort's stream_tcp and Suricata implement them). */
static const uint8_t policy_new_wins[REASM_POLICY_COUNT] = {
	[REASM_POLICY_FIRST] = 0,
	[REASM_POLICY_LAST] = OV_ALL,
	[REASM_POLICY_LINUX] = OV_LINUX,
	[REASM_POLICY_OLD_LINUX] = OV_OLD_LINUX,
	[REASM_POLICY_BSD] = OV_BSD,
	[REASM_POLICY_BSD_RIGHT] = 0,
	[REASM_POLICY_MACOS] = OV_BSD,
	[REASM_POLICY_WINDOWS] = OV_BSD,
	[REASM_POLICY_WINDOWS2K3] = OV_BSD,
	[REASM_POLICY_VISTA] = 0,
	[REASM_POLICY_SOLARIS] = OV_SOLARIS,
	[REASM_POLICY_HPUX10] = OV_LINUX,
	[REASM_POLICY_HPUX11] = OV_SOLARIS,
	[REASM_POLICY_IRIX] = OV_LINUX,
};

static bool new_wins(const struct reasm_flow *f, enum flow_dir d, const struct tcp_seg *s,
		     const struct reasm_seg *S)
{
	uint64_t os = S->off - S->orig_pre, oe = S->off + S->len + S->orig_post;
	uint64_t ns = s->pkt_off, ne = s->pkt_end;
	enum ov_case c;

	if (ns < os)
		c = ne < oe ? OV_BEFORE_INSIDE : OV_BEFORE_COVER;
	else if (ns == os)
		c = ne < oe ? OV_SAME_SHORT : ne == oe ? OV_SAME_EXACT : OV_SAME_LONG;
	else
		c = ne <= oe ? OV_AFTER_INSIDE : OV_AFTER_EXTENDS;
	return (policy_new_wins[reasm_dir_policy(f, d)] >> c) & 1;
}

/* ---- delivery ------------------------------------------------------ */

static void deliver_raw(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
			const uint8_t *p, uint32_t n)
{
	struct reasm_dir *D = &f->dir[d];

	if (!f->pub.bypass) {
		hist_append(r, D, p, n);
		r->ops->data(r->user, &f->pub, d, p, n);
	} else {
		r->stats.bytes_bypassed += n;
	}
	D->nxt += n;
	D->flags &= (uint16_t)~REASM_DIR_ZWP;
	f->pub.dir[d].stream_bytes += n;
	r->stats.bytes_delivered += n;
}

void tcp_emit_gap(struct reasm *r, struct reasm_flow *f, enum flow_dir d, uint64_t n)
{
	struct reasm_dir *D = &f->dir[d];

	if (!f->pub.bypass)
		r->ops->gap(r->user, &f->pub, d, n);
	D->nxt += n;
	D->flags &= (uint16_t)~REASM_DIR_ZWP;
	if ((D->flags & REASM_DIR_URG) && D->urg_off < D->nxt)
		D->flags &= (uint16_t)~REASM_DIR_URG;
	tcp_hist_reset(r, D);
	f->pub.dir[d].gap_bytes += n;
	r->stats.gaps++;
	r->stats.gap_bytes += n;
}

/* RFC 6093 section 4: the urgent byte is the one before the urgent
 * pointer; oob takes it out of the stream as a socket without
 * SO_OOBINLINE does, gap declares it missing. */
void tcp_deliver(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		 const uint8_t *p, uint32_t n)
{
	struct reasm_dir *D = &f->dir[d];

	while (n && (D->flags & REASM_DIR_URG)) {
		uint32_t k;

		if (D->urg_off < D->nxt) {
			D->flags &= (uint16_t)~REASM_DIR_URG;
			break;
		}
		if (D->urg_off - D->nxt >= n)
			break;
		k = (uint32_t)(D->urg_off - D->nxt);
		if (k)
			deliver_raw(r, f, d, p, k);
		p += k;
		n -= k;
		D->flags &= (uint16_t)~REASM_DIR_URG;
		if (D->nxt != D->urg_off)       /* bypassed meanwhile */
			break;
		r->stats.urgent_bytes_removed++;
		if (r->urgent_policy == REASM_URGENT_OOB) {
			/* kept in the history: a retransmission of it is no
			 * different from the first copy */
			if (!f->pub.bypass)
				hist_append(r, D, p, 1);
			D->nxt++;
		} else {
			tcp_emit_gap(r, f, d, 1);
		}
		p++;
		n--;
	}
	if (n)
		deliver_raw(r, f, d, p, n);
}

/* Deliver queued segment S (at the head; its byte rel is at nxt) from rel
 * on, one chunk per data() call, then free it. */
static void deliver_head_from(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
			      uint32_t rel)
{
	struct reasm_dir *D = &f->dir[d];
	struct reasm_seg *S = seg_at(r, D->q_head);

	assert(S->off + rel == D->nxt);
	if (S->flags & REASM_SEG_LOST) {
		tcp_emit_gap(r, f, d, S->len - rel);
	} else {
		uint32_t c = seg_chunk_at(r, S, &rel), left = S->len;

		left -= (uint32_t)(D->nxt - S->off);
		while (left) {
			uint32_t k = CS - rel;

			if (k > left)
				k = left;
			tcp_deliver(r, f, d, reasm_chunk(r, c) + rel, k);
			left -= k;
			rel = 0;
			c = r->chunk_next[c];
		}
	}
	seg_pop_head(r, D);
}

void tcp_deliver_head(struct reasm *r, struct reasm_flow *f, enum flow_dir d)
{
	deliver_head_from(r, f, d, 0);
}

void tcp_skip_to(struct reasm *r, struct reasm_flow *f, enum flow_dir d, uint64_t target)
{
	struct reasm_dir *D = &f->dir[d];

	while (D->q_head != REASM_NIL && seg_at(r, D->q_head)->off < target) {
		uint64_t off = seg_at(r, D->q_head)->off;

		if (off > D->nxt)
			tcp_emit_gap(r, f, d, off - D->nxt);
		tcp_deliver_head(r, f, d);
	}
	if (D->nxt < target)
		tcp_emit_gap(r, f, d, target - D->nxt);
}

void tcp_deliver_in_order(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
			  const struct tcp_seg *s, struct seg_verdict *v)
{
	struct reasm_dir *D = &f->dir[d];
	const uint8_t *p = s->p;
	uint32_t n = s->n;
	bool direct = false;

	assert(s->off == D->nxt);
	while (n) {
		uint32_t h = D->q_head, k = n;
		struct reasm_seg *S = h != REASM_NIL ? seg_at(r, h) : NULL;

		if (S && S->off == D->nxt) {
			k = n < S->len ? n : S->len;
			if (S->flags & REASM_SEG_LOST) {
				/* real bytes for a stretch known lost: take them */
				tcp_deliver(r, f, d, p, k);
				direct = true;
				if (k == S->len) {
					seg_pop_head(r, D);
				} else {
					S->off += k;
					S->len -= k;
					S->orig_pre += k;
				}
			} else {
				bool differ = seg_differs(r, h, 0, p, k);

				v->old_bytes = true;
				if (differ)
					v->differ = true;
				if (!differ || new_wins(f, d, s, S)) {
					if (differ)
						r->stats.overlaps_replaced++;
					tcp_deliver(r, f, d, p, k);
					direct = true;
					/* the rest of S (if the packet ended
					 * inside it) is in order now */
					deliver_head_from(r, f, d, k);
				} else {
					tcp_deliver_head(r, f, d);
				}
			}
		} else {
			if (S && S->off - D->nxt < k)
				k = (uint32_t)(S->off - D->nxt);
			tcp_deliver(r, f, d, p, k);
			direct = true;
		}
		p += k;
		n -= k;
	}
	/* The packet may have closed a hole: what follows it goes out now. */
	while (D->q_head != REASM_NIL && seg_at(r, D->q_head)->off == D->nxt)
		tcp_deliver_head(r, f, d);
	if (direct) {
		v->new_bytes = true;
		r->stats.segs_in_order++;
	}
}

/* Copy [a, b) of s into a new segment linked between prev and next (no
 * bytes: a LOST one). Capacity was checked. */
static uint32_t seg_insert(struct reasm *r, struct reasm_dir *D, uint32_t prev, uint32_t next,
			   const struct tcp_seg *s, uint64_t a, uint64_t b, bool lost)
{
	uint32_t sx = r->seg_free, len = (uint32_t)(b - a), left = lost ? 0 : len;
	struct reasm_seg *S;
	const uint8_t *src = lost ? NULL : s->p + (a - s->off);
	uint32_t *link;

	if (sx == REASM_NIL)
		sx = r->seg_fresh++;     /* one never used (capacity checked) */
	else
		r->seg_free = seg_at(r, sx)->next;
	S = seg_at(r, sx);
	link = &S->chunk;
	r->segs_avail--;
	S->off = a;
	S->len = len;
	S->flags = lost ? REASM_SEG_LOST : 0;
	S->orig_pre = (uint32_t)(a - s->pkt_off);
	S->orig_post = (uint32_t)(s->pkt_end - b);
	*link = REASM_NIL;
	while (left) {
		uint32_t c = ooo_chunk_get(r), k = left < CS ? left : CS;

		if (c == REASM_NIL)     /* debug-build malloc failure only */
			break;
		memcpy(reasm_chunk(r, c), src, k);
		*link = c;
		link = &r->chunk_next[c];
		src += k;
		left -= k;
	}
	S->len -= left;
	held_add(r, D, seg_chunks(S), seg_charge(S->len, lost));

	S->next = next;
	if (prev == REASM_NIL)
		D->q_head = sx;
	else
		seg_at(r, prev)->next = sx;
	if (next == REASM_NIL)
		D->q_tail = sx;
	return sx;
}

/*
 * Queue [s->off, s->off + s->n) minus what is already queued; where it
 * overlaps a queued segment the policy decides whose bytes stay (`lost`:
 * the range is known missing, queued bytes always stay). Two passes over
 * the same walk: the first counts what is needed and compares overlapping
 * bytes, the second (only if everything fits) copies. Returns false when a
 * cap refused it (counted); nothing was queued or changed then.
 */
static bool queue_range(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
			const struct tcp_seg *s, struct seg_verdict *v, bool lost)
{
	struct reasm_dir *D = &f->dir[d];
	uint64_t end = s->off + s->n;
	uint32_t first_prev = REASM_NIL, first = D->q_head;
	uint64_t need_chunks = 0, need_charge = 0;
	uint32_t need_segs = 0;
	bool differ = false;

	assert(s->off > D->nxt);
	/* After a loss, later segments usually arrive in order: append. */
	if (D->q_tail != REASM_NIL &&
	    seg_at(r, D->q_tail)->off + seg_at(r, D->q_tail)->len <= s->off) {
		first_prev = D->q_tail;
		first = REASM_NIL;
	} else {
		while (first != REASM_NIL &&
		       seg_at(r, first)->off + seg_at(r, first)->len <= s->off) {
			first_prev = first;
			first = seg_at(r, first)->next;
		}
	}

	for (int pass = 0; pass < 2; pass++) {
		uint32_t prev = first_prev, c = first;
		uint64_t pos = s->off;

		while (pos < end) {
			struct reasm_seg *S = c != REASM_NIL ? seg_at(r, c) : NULL;
			uint64_t ov_end;

			if (!S || S->off >= end) {
				if (pass == 0) {
					need_chunks += lost ? 0 : chunks_for(end - pos);
					need_charge += seg_charge((uint32_t)(end - pos), lost);
					need_segs++;
				} else {
					seg_insert(r, D, prev, c, s, pos, end, lost);
				}
				break;
			}
			if (S->off > pos) {
				if (pass == 0) {
					need_chunks += lost ? 0 : chunks_for(S->off - pos);
					need_charge += seg_charge((uint32_t)(S->off - pos), lost);
					need_segs++;
				} else {
					prev = seg_insert(r, D, prev, c, s, pos, S->off, lost);
				}
				pos = S->off;
			}
			ov_end = S->off + S->len < end ? S->off + S->len : end;
			if (!lost && !(S->flags & REASM_SEG_LOST)) {
				uint32_t rel = (uint32_t)(pos - S->off), k = (uint32_t)(ov_end - pos);
				const uint8_t *np = s->p + (pos - s->off);

				if (pass == 0) {
					v->old_bytes = true;
					if (seg_differs(r, c, rel, np, k))
						differ = true;
				} else if (differ && new_wins(f, d, s, S) && seg_differs(r, c, rel, np, k)) {
					seg_write(r, c, rel, np, k);
					r->stats.overlaps_replaced++;
				}
			} else if (pass == 0 && !lost) {
				v->old_bytes = true;
			}
			pos = S->off + S->len;
			prev = c;
			c = S->next;
		}

		if (pass == 0) {
			if (differ)
				v->differ = true;
			if (need_segs == 0 && !differ)
				return true;    /* all of it was queued already */
			if (D->q_charge + need_charge > r->ooo_per_flow) {
				r->stats.ooo_drop_flow_cap++;
				return false;
			}
			if (need_chunks > r->chunks_avail || need_segs > r->segs_avail) {
				r->stats.ooo_drop_total_cap++;
				return false;
			}
		}
	}
	if (need_segs && !lost) {
		v->new_bytes = true;
		r->stats.segs_ooo++;
	}
	return true;
}

bool tcp_queue_ooo(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		   const struct tcp_seg *s, struct seg_verdict *v)
{
	return queue_range(r, f, d, s, v, false);
}

bool tcp_queue_lost(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		    uint64_t off, uint64_t n)
{
	struct tcp_seg s = { off, NULL, (uint32_t)n, off, off + n };
	struct seg_verdict v = { false, false, false };

	return queue_range(r, f, d, &s, &v, true);
}

/* Drop queued bytes at or beyond limit: a FIN ends the sequence space
 * (RFC 9293 section 3.10.7.4, "eighth, check the FIN bit"). */
unsigned tcp_queue_trim_to(struct reasm *r, struct reasm_dir *D, uint64_t limit)
{
	uint32_t prev = REASM_NIL, s = D->q_head;
	unsigned cut = 0;

	while (s != REASM_NIL) {
		struct reasm_seg *S = seg_at(r, s);

		if (S->off >= limit) {
			/* Cut the queue here and free the rest. */
			uint32_t rest = s;

			if (prev == REASM_NIL)
				D->q_head = REASM_NIL;
			else
				seg_at(r, prev)->next = REASM_NIL;
			D->q_tail = prev;
			while (rest != REASM_NIL) {
				struct reasm_seg *R = seg_at(r, rest);
				uint32_t next = R->next;

				held_sub(r, D, seg_chunks(R), seg_charge(R->len, R->flags & REASM_SEG_LOST));
				ooo_chunk_put_chain(r, R->chunk);
				R->next = r->seg_free;
				r->seg_free = rest;
				r->segs_avail++;
				rest = next;
			}
			return cut + 1;
		}
		if (S->off + S->len > limit) {
			uint32_t keep = (uint32_t)(limit - S->off);

			if (!(S->flags & REASM_SEG_LOST)) {
				uint32_t c = S->chunk, have = chunks_for(S->len);
				uint32_t want = chunks_for(keep);

				for (uint32_t i = 1; i < want; i++)
					c = r->chunk_next[c];
				ooo_chunk_put_chain(r, r->chunk_next[c]);
				r->chunk_next[c] = REASM_NIL;
				held_sub(r, D, have - want,
					 seg_charge(S->len, false) - seg_charge(keep, false));
			}
			S->orig_post += S->len - keep;
			S->len = keep;
			cut++;
		}
		prev = s;
		s = S->next;
	}
	return cut;
}
