/*
 * tcp_stream — one TCP connection's two byte streams: sequence numbers to
 * 64-bit offsets, in-order delivery straight from the packet, the bounded
 * out-of-order queue, FIN/RST handling. The flow table (flow.c) finds the
 * flow and direction and calls tcp_stream_packet().
 *
 * Offsets. Each direction has a base sequence number (ISN + 1 when the SYN
 * was seen, else the first sequence number seen carrying data or FIN) and
 * `nxt`, the offset of the next byte to deliver. A packet's sequence number
 * is placed relative to nxt with 32-bit modular arithmetic
 * (RFC 9293 section 3.4: comparisons are modulo 2^32), so wrap-around never
 * reaches the rest of the code, which only sees 64-bit offsets.
 *
 * Overlaps: "first data wins". Bytes already delivered or queued are never
 * replaced. A retransmission is compared with what we still hold: queued
 * bytes always; delivered bytes are not kept (in-order data is never
 * copied), so an overlap with delivered data is counted in `overlaps` or
 * `segs_retransmitted` but cannot count in `overlaps_different`.
 *
 * Caps. The queue of a direction holds at most max_ooo_bytes_per_flow bytes
 * of chunks; all queues share the chunk and descriptor pools. When a
 * segment does not fit, the cap hit is counted (ooo_drop_flow_cap /
 * ooo_drop_total_cap) and the hole in front of it is given up: held data
 * up to the segment is delivered with gap() before each hole, then the
 * segment itself is delivered from the packet. On a tap with capture loss
 * the missing bytes never come, so waiting longer would only lose every
 * later byte too; a retransmission that does come later is counted as old.
 *
 * Delivery does not wait for ACKs: a SPAN port may show one side only.
 */
#include <assert.h>
#include <string.h>
#ifdef MT_POOL_MALLOC
#include <stdlib.h>
#endif

#include "reasm_int.h"

/* What one packet's payload turned out to be, for the counters. */
struct seg_verdict {
	bool old_bytes;         /* some bytes were already delivered/queued */
	bool new_bytes;         /* some bytes were new */
	bool differ;            /* a queued byte differs from the new copy */
};

static inline struct reasm_seg *seg_at(const struct reasm *r, uint32_t s)
{
	return &r->segs[s];
}

static inline uint32_t chunks_for(uint64_t len)
{
	return (uint32_t)((len + REASM_CHUNK_SIZE - 1) / REASM_CHUNK_SIZE);
}

void tcp_stream_init_dir(struct reasm_dir *D)
{
	memset(D, 0, sizeof(*D));
	D->q_head = REASM_NIL;
	D->q_tail = REASM_NIL;
}

/* ---- pools --------------------------------------------------------- */

/* Callers check chunks_avail first, so these cannot fail (except a
 * debug-build malloc, which is then treated as an empty pool). */
static uint32_t chunk_get(struct reasm *r)
{
	uint32_t c = r->chunk_free;

	assert(c != REASM_NIL && r->chunks_avail > 0);
#ifdef MT_POOL_MALLOC
	r->chunk_ptrs[c] = malloc(REASM_CHUNK_SIZE);
	if (!r->chunk_ptrs[c])
		return REASM_NIL;
#endif
	r->chunk_free = r->chunk_next[c];
	r->chunk_next[c] = REASM_NIL;
	r->chunks_avail--;
	return c;
}

static void chunk_put_chain(struct reasm *r, uint32_t c)
{
	while (c != REASM_NIL) {
		uint32_t next = r->chunk_next[c];

#ifdef MT_POOL_MALLOC
		free(r->chunk_ptrs[c]);
		r->chunk_ptrs[c] = NULL;
#endif
		r->chunk_next[c] = r->chunk_free;
		r->chunk_free = c;
		r->chunks_avail++;
		c = next;
	}
}

static void held_add(struct reasm *r, struct reasm_dir *D, uint32_t nchunks)
{
	uint32_t b = nchunks * REASM_CHUNK_SIZE;

	D->q_bytes += b;
	r->stats.ooo_bytes_held += b;
	if (r->stats.ooo_bytes_held > r->stats.ooo_bytes_peak)
		r->stats.ooo_bytes_peak = r->stats.ooo_bytes_held;
}

static void held_sub(struct reasm *r, struct reasm_dir *D, uint32_t nchunks)
{
	uint32_t b = nchunks * REASM_CHUNK_SIZE;

	assert(D->q_bytes >= b && r->stats.ooo_bytes_held >= b);
	D->q_bytes -= b;
	r->stats.ooo_bytes_held -= b;
}

/* Unlink and free the first segment of D's queue. */
static void seg_pop_head(struct reasm *r, struct reasm_dir *D)
{
	uint32_t s = D->q_head;
	struct reasm_seg *S = seg_at(r, s);

	D->q_head = S->next;
	if (D->q_head == REASM_NIL)
		D->q_tail = REASM_NIL;
	held_sub(r, D, chunks_for(S->len));
	chunk_put_chain(r, S->chunk);
	S->next = r->seg_free;
	r->seg_free = s;
	r->segs_avail++;
}

static void queue_discard(struct reasm *r, struct reasm_dir *D)
{
	while (D->q_head != REASM_NIL)
		seg_pop_head(r, D);
}

/* Does queued segment s, from byte `rel` on, differ from p[0..n)? */
static bool seg_differs(const struct reasm *r, uint32_t s, uint32_t rel,
			const uint8_t *p, uint32_t n)
{
	uint32_t c = seg_at(r, s)->chunk;

	while (rel >= REASM_CHUNK_SIZE) {
		c = r->chunk_next[c];
		rel -= REASM_CHUNK_SIZE;
	}
	while (n) {
		uint32_t k = REASM_CHUNK_SIZE - rel;

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

/* ---- delivery ------------------------------------------------------ */

static void deliver(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		    const uint8_t *p, uint32_t n)
{
	if (!f->pub.bypass)
		r->ops->data(r->user, &f->pub, d, p, n);
	else
		r->stats.bytes_bypassed += n;
	f->dir[d].nxt += n;
	f->pub.dir[d].stream_bytes += n;
	r->stats.bytes_delivered += n;
}

static void emit_gap(struct reasm *r, struct reasm_flow *f, enum flow_dir d, uint64_t n)
{
	if (!f->pub.bypass)
		r->ops->gap(r->user, &f->pub, d, n);
	f->dir[d].nxt += n;
	f->pub.dir[d].gap_bytes += n;
	r->stats.gaps++;
	r->stats.gap_bytes += n;
}

/* Deliver the whole first queued segment (it starts at nxt), one chunk per
 * data() call, then free it. */
static void deliver_head(struct reasm *r, struct reasm_flow *f, enum flow_dir d)
{
	struct reasm_dir *D = &f->dir[d];
	struct reasm_seg *S = seg_at(r, D->q_head);
	uint32_t c = S->chunk, left = S->len;

	assert(S->off == D->nxt);
	while (left) {
		uint32_t k = left < REASM_CHUNK_SIZE ? left : REASM_CHUNK_SIZE;

		deliver(r, f, d, reasm_chunk(r, c), k);
		left -= k;
		c = r->chunk_next[c];
	}
	seg_pop_head(r, D);
}

/* Give up every hole below `target`: queued data there is delivered with
 * a gap before each hole, and nxt ends at target or beyond (when a queued
 * segment straddles target). */
static void skip_to(struct reasm *r, struct reasm_flow *f, enum flow_dir d, uint64_t target)
{
	struct reasm_dir *D = &f->dir[d];

	while (D->q_head != REASM_NIL && seg_at(r, D->q_head)->off < target) {
		uint64_t off = seg_at(r, D->q_head)->off;

		if (off > D->nxt)
			emit_gap(r, f, d, off - D->nxt);
		deliver_head(r, f, d);
	}
	if (D->nxt < target)
		emit_gap(r, f, d, target - D->nxt);
}

/* The packet's bytes start exactly at nxt. Bytes already queued win over
 * the packet's copy; the rest goes out straight from the packet. */
static void deliver_in_order(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
			     const uint8_t *p, uint32_t n, struct seg_verdict *v)
{
	struct reasm_dir *D = &f->dir[d];
	bool direct = false;

	while (n) {
		uint32_t h = D->q_head, k = n;

		if (h != REASM_NIL && seg_at(r, h)->off == D->nxt) {
			const struct reasm_seg *S = seg_at(r, h);

			k = n < S->len ? n : S->len;
			v->old_bytes = true;
			if (seg_differs(r, h, 0, p, k))
				v->differ = true;
			deliver_head(r, f, d);
		} else {
			if (h != REASM_NIL && seg_at(r, h)->off - D->nxt < k)
				k = (uint32_t)(seg_at(r, h)->off - D->nxt);
			deliver(r, f, d, p, k);
			direct = true;
		}
		p += k;
		n -= k;
	}
	/* The packet may have closed a hole: what follows it goes out now. */
	while (D->q_head != REASM_NIL && seg_at(r, D->q_head)->off == D->nxt)
		deliver_head(r, f, d);
	if (direct) {
		v->new_bytes = true;
		r->stats.segs_in_order++;
	}
}

/* Copy [a, b) of the packet (whose byte 0 is at offset `off`) into a new
 * segment linked between prev and next. Capacity was checked. */
static uint32_t seg_insert(struct reasm *r, struct reasm_dir *D, uint32_t prev, uint32_t next,
			   uint64_t off, const uint8_t *p, uint64_t a, uint64_t b)
{
	uint32_t s = r->seg_free, len = (uint32_t)(b - a), left = len;
	struct reasm_seg *S = seg_at(r, s);
	const uint8_t *src = p + (a - off);
	uint32_t *link = &S->chunk;

	r->seg_free = S->next;
	r->segs_avail--;
	S->off = a;
	S->len = len;
	*link = REASM_NIL;
	while (left) {
		uint32_t c = chunk_get(r), k = left < REASM_CHUNK_SIZE ? left : REASM_CHUNK_SIZE;

		if (c == REASM_NIL)     /* debug-build malloc failure only */
			break;
		memcpy(reasm_chunk(r, c), src, k);
		*link = c;
		link = &r->chunk_next[c];
		src += k;
		left -= k;
	}
	S->len -= left;
	held_add(r, D, chunks_for(S->len));

	S->next = next;
	if (prev == REASM_NIL)
		D->q_head = s;
	else
		seg_at(r, prev)->next = s;
	if (next == REASM_NIL)
		D->q_tail = s;
	return s;
}

/*
 * Queue [off, off + n) (off > nxt) minus whatever is already queued. Two
 * passes over the same walk: the first counts what is needed and compares
 * overlapping bytes, the second (only if everything fits) copies. Returns
 * false when a cap refused it (counted); nothing was queued then.
 */
static bool queue_ooo(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		      uint64_t off, const uint8_t *p, uint32_t n, struct seg_verdict *v)
{
	struct reasm_dir *D = &f->dir[d];
	uint64_t end = off + n;
	uint32_t first_prev = REASM_NIL, first = D->q_head;
	uint64_t need_chunks = 0;
	uint32_t need_segs = 0;

	/* After a loss, later segments usually arrive in order: append. */
	if (D->q_tail != REASM_NIL &&
	    seg_at(r, D->q_tail)->off + seg_at(r, D->q_tail)->len <= off) {
		first_prev = D->q_tail;
		first = REASM_NIL;
	} else {
		while (first != REASM_NIL && seg_at(r, first)->off + seg_at(r, first)->len <= off) {
			first_prev = first;
			first = seg_at(r, first)->next;
		}
	}

	for (int pass = 0; pass < 2; pass++) {
		uint32_t prev = first_prev, c = first;
		uint64_t pos = off;

		while (pos < end) {
			const struct reasm_seg *S = c != REASM_NIL ? seg_at(r, c) : NULL;

			if (!S || S->off >= end) {
				if (pass == 0) {
					need_chunks += chunks_for(end - pos);
					need_segs++;
				} else {
					seg_insert(r, D, prev, c, off, p, pos, end);
				}
				break;
			}
			if (S->off > pos) {
				if (pass == 0) {
					need_chunks += chunks_for(S->off - pos);
					need_segs++;
				} else {
					prev = seg_insert(r, D, prev, c, off, p, pos, S->off);
				}
				pos = S->off;
			}
			if (pass == 0) {
				uint64_t ov_end = S->off + S->len < end ? S->off + S->len : end;

				v->old_bytes = true;
				if (seg_differs(r, c, (uint32_t)(pos - S->off), p + (pos - off),
						(uint32_t)(ov_end - pos)))
					v->differ = true;
			}
			pos = S->off + S->len;
			prev = c;
			c = S->next;
		}

		if (pass == 0) {
			if (need_segs == 0)
				return true;    /* all of it was queued already */
			if (D->q_bytes + need_chunks * REASM_CHUNK_SIZE > r->ooo_per_flow) {
				r->stats.ooo_drop_flow_cap++;
				return false;
			}
			if (need_chunks > r->chunks_avail || need_segs > r->segs_avail) {
				r->stats.ooo_drop_total_cap++;
				return false;
			}
		}
	}
	v->new_bytes = true;
	r->stats.segs_ooo++;
	return true;
}

/* Payload [off, off + n) of direction d, already trimmed to the FIN.
 * `trimmed`: bytes before offset 0 were cut off it already. */
static void stream_data(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
			uint64_t off, const uint8_t *p, uint32_t n, bool trimmed)
{
	struct reasm_dir *D = &f->dir[d];
	struct seg_verdict v = { trimmed, false, false };

	/* A bypassed flow holds nothing: its queue goes, and its bytes
	 * only move nxt on (so the FIN still ends the direction). */
	if (f->pub.bypass) {
		queue_discard(r, D);
		if (off + n > D->nxt) {
			r->stats.bytes_bypassed += off + n - D->nxt;
			D->nxt = off + n;
		}
		return;
	}
	for (;;) {
		if (off + n <= D->nxt) {
			v.old_bytes = true;
			break;
		}
		if (off < D->nxt) {
			uint32_t k = (uint32_t)(D->nxt - off);

			v.old_bytes = true;
			p += k;
			n -= k;
			off = D->nxt;
		}
		if (off == D->nxt) {
			deliver_in_order(r, f, d, p, n, &v);
			break;
		}
		if (queue_ooo(r, f, d, off, p, n, &v))
			break;
		/* A cap refused it: give up the holes before it, then it is in
		 * order (or partly old, if a queued segment straddled it). */
		skip_to(r, f, d, off);
	}
	if (!v.new_bytes)
		r->stats.segs_retransmitted++;
	else if (v.old_bytes)
		r->stats.overlaps++;
	if (v.differ)
		r->stats.overlaps_different++;
}

/* ---- end of stream ------------------------------------------------- */

static void dir_eof(struct reasm *r, struct reasm_flow *f, enum flow_dir d)
{
	struct reasm_dir *D = &f->dir[d];

	queue_discard(r, D);
	D->flags |= REASM_DIR_EOF;
	r->ops->eof(r->user, &f->pub, d);
}

void tcp_stream_close(struct reasm *r, struct reasm_flow *f, enum flow_dir d)
{
	struct reasm_dir *D = &f->dir[d];

	if (D->flags & REASM_DIR_EOF)
		return;
	while (D->q_head != REASM_NIL) {
		uint64_t off = seg_at(r, D->q_head)->off;

		if (off > D->nxt)
			emit_gap(r, f, d, off - D->nxt);
		deliver_head(r, f, d);
	}
	/* Bytes up to a FIN we saw were sent; we just never got them. */
	if ((D->flags & REASM_DIR_FIN) && D->fin_off > D->nxt)
		emit_gap(r, f, d, D->fin_off - D->nxt);
	dir_eof(r, f, d);
}

/* Drop queued bytes at or beyond the FIN offset: a FIN ends the sequence
 * space (RFC 9293 section 3.10.7.4, "eighth, check the FIN bit"). */
static void queue_trim_to(struct reasm *r, struct reasm_dir *D, uint64_t limit)
{
	uint32_t prev = REASM_NIL, s = D->q_head;

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

				held_sub(r, D, chunks_for(R->len));
				chunk_put_chain(r, R->chunk);
				R->next = r->seg_free;
				r->seg_free = rest;
				r->segs_avail++;
				rest = next;
			}
			r->stats.data_after_close++;
			return;
		}
		if (S->off + S->len > limit) {
			uint32_t keep = (uint32_t)(limit - S->off);
			uint32_t c = S->chunk, have = chunks_for(S->len);
			uint32_t want = chunks_for(keep);

			for (uint32_t i = 1; i < want; i++)
				c = r->chunk_next[c];
			chunk_put_chain(r, r->chunk_next[c]);
			r->chunk_next[c] = REASM_NIL;
			held_sub(r, D, have - want);
			S->len = keep;
			r->stats.data_after_close++;
		}
		prev = s;
		s = S->next;
	}
}

static void note_fin(struct reasm *r, struct reasm_flow *f, enum flow_dir d, uint64_t fin)
{
	struct reasm_dir *D = &f->dir[d];

	/* First FIN wins; one before what we already delivered contradicts
	 * the stream and is ignored. */
	if ((D->flags & REASM_DIR_FIN) || fin < D->nxt)
		return;
	D->fin_off = fin;
	D->flags |= REASM_DIR_FIN;
	queue_trim_to(r, D, fin);
	if (f->dir[!d].flags & REASM_DIR_FIN)
		f->pub.state = FLOW_STATE_CLOSED;
	else if (f->pub.state != FLOW_STATE_CLOSED)
		f->pub.state = FLOW_STATE_CLOSING;
}

static void handle_rst(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		       const struct decoded_pkt *p)
{
	struct reasm_dir *D = &f->dir[d];

	if (D->flags & REASM_DIR_BASE) {
		int64_t rel = (int32_t)(p->seq - (uint32_t)(D->base_seq + (uint32_t)D->nxt));
		int64_t ahead = D->max_end > D->nxt ? (int64_t)(D->max_end - D->nxt) : 0;

		if (rel < -REASM_RST_SLACK || rel > ahead + REASM_RST_SLACK) {
			r->stats.seq_out_of_window++;
			return;
		}
	}
	r->stats.rst++;
	/* A reset aborts both streams: what is queued is not delivered
	 * (RFC 9293 section 3.10.7.4: the connection's queues are flushed). */
	for (int i = 0; i < 2; i++)
		if (!(f->dir[i].flags & REASM_DIR_EOF))
			dir_eof(r, f, (enum flow_dir)i);
	f->pub.state = FLOW_STATE_CLOSED;
}

/* ---- the packet ---------------------------------------------------- */

void tcp_stream_packet(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		       const struct decoded_pkt *p)
{
	struct reasm_dir *D = &f->dir[d];
	uint8_t fl = p->tcp_flags;
	uint32_t dseq = p->seq, n = p->payload_len;
	const uint8_t *data = p->payload;
	int64_t rel, off, end;

	if (fl & TCP_RST) {
		handle_rst(r, f, d, p);
		return;
	}
	if (fl & TCP_SYN) {
		if (!(D->flags & REASM_DIR_BASE)) {
			/* Offset 0 is the byte after the SYN (RFC 9293
			 * section 3.4: the SYN occupies one sequence number). */
			D->isn = p->seq;
			D->base_seq = p->seq + 1;
			D->flags |= REASM_DIR_BASE | REASM_DIR_SYN;
		} else if (!(D->flags & REASM_DIR_SYN) || p->seq != D->isn) {
			/* A SYN that contradicts the stream we track: a new
			 * connection whose predecessor's end we missed, or a
			 * forgery. The first stream stands. */
			if (!(fl & TCP_ACK) && f->pub.state != FLOW_STATE_NEW)
				r->stats.syn_on_established++;
			return;
		}
		if ((fl & TCP_ACK) && f->pub.state == FLOW_STATE_NEW)
			f->pub.state = FLOW_STATE_ESTABLISHED;
		dseq = p->seq + 1;
	}
	if (D->flags & REASM_DIR_EOF) {
		/* After a FIN was reached, a copy of bytes before it (the
		 * peer missed our ACK) is a retransmission; anything else,
		 * or anything after a RST, comes after the close. */
		if (n) {
			int64_t back = (int32_t)(dseq - (uint32_t)(D->base_seq + (uint32_t)D->nxt));

			if ((D->flags & REASM_DIR_FIN) && back + n <= 0 && back >= -REASM_SEQ_WINDOW)
				r->stats.segs_retransmitted++;
			else
				r->stats.data_after_close++;
		}
		return;
	}
	if (!(D->flags & REASM_DIR_BASE)) {
		/* A bare ACK does not fix where the stream starts: a keepalive
		 * carries SND.NXT - 1 (RFC 9293 section 3.8.4). */
		if (n == 0 && !(fl & TCP_FIN))
			return;
		D->base_seq = dseq;
		D->flags |= REASM_DIR_BASE;
		if (!f->pub.midstream) {
			f->pub.midstream = true;
			r->stats.midstream++;
		}
	}
	if (n && f->pub.state == FLOW_STATE_NEW)
		f->pub.state = FLOW_STATE_ESTABLISHED;

	rel = (int32_t)(dseq - (uint32_t)(D->base_seq + (uint32_t)D->nxt));
	if (rel > REASM_SEQ_WINDOW || rel < -REASM_SEQ_WINDOW) {
		r->stats.seq_out_of_window++;
		return;
	}
	off = (int64_t)D->nxt + rel;
	end = off + n;
	if ((fl & TCP_FIN) && end >= 0)
		note_fin(r, f, d, (uint64_t)end);
	if (n && end > 0) {
		bool trimmed = false;

		/* Bytes before offset 0 were sent before what we picked up;
		 * like old bytes they are not delivered. */
		if (off < 0) {
			data += -off;
			n -= (uint32_t)-off;
			off = 0;
			trimmed = true;
		}
		if ((uint64_t)end > D->max_end)
			D->max_end = (uint64_t)end;
		if ((D->flags & REASM_DIR_FIN) && (uint64_t)end > D->fin_off) {
			uint64_t keep = (uint64_t)off < D->fin_off ? D->fin_off - (uint64_t)off : 0;

			r->stats.data_after_close++;
			n = (uint32_t)keep;
		}
		if (n)
			stream_data(r, f, d, (uint64_t)off, data, n, trimmed);
	} else if (n) {
		r->stats.segs_retransmitted++;
	}
	if ((D->flags & (REASM_DIR_FIN | REASM_DIR_EOF)) == REASM_DIR_FIN &&
	    D->nxt >= D->fin_off)
		dir_eof(r, f, d);
}
