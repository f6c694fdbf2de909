/*
 * tcp_stream — one TCP connection's state as a passive observer can know
 * it: sequence numbers turned into 64-bit offsets, SYN/FIN/RST, the ACKs
 * and windows each side advertises, urgent pointers, keep-alives and
 * zero-window probes. It decides what each packet's payload is and hands
 * the bytes to tcp_queue.c, which stores and delivers them. The flow table
 * (flow.c) finds the flow and direction and calls tcp_stream_packet().
 *
 * Offsets. Each direction has a base sequence number (ISN + 1 when the SYN
 * was seen, else the first sequence number seen carrying data or FIN) and
 * `nxt`, the offset of the next byte to deliver. A packet's sequence number
 * (and an ACK number) is placed relative to nxt with 32-bit modular
 * arithmetic (RFC 9293 section 3.4: comparisons are modulo 2^32), so
 * wrap-around never reaches the rest of the code, which only sees 64-bit
 * offsets.
 *
 * What the receiver accepts. The flow's policy (per receiver, reasm.h)
 * decides overlaps (tcp_queue.c) and which RSTs count (rst_acceptable).
 * The ACKs of each side trim the other's history and give the right edge
 * of its window once both SYNs (and so the window scale, RFC 7323 section
 * 2.2) were seen: data starting beyond that edge is counted, and with the
 * "drop" window policy discarded, as the receiver would (RFC 9293 section
 * 3.10.7.4). A 1-byte segment at the edge of a zero window is a probe the
 * receiver does not take (RFC 9293 section 3.8.6.1): it is held until the
 * receiver acknowledges it or it comes again. 0 or 1 byte at SND.NXT - 1
 * after an idle second is a keep-alive (section 3.8.4): neither a
 * retransmission nor, whatever its byte, an overlap.
 *
 * Delivery does not wait for ACKs: a SPAN port may show one side only.
 * Out-of-order data of such a one-sided flow waits within the per-flow cap
 * like any other and is then given up with a gap (tcp_queue.c).
 */
#include <assert.h>
#include <string.h>

#include "reasm_int.h"

/* A keep-alive comes after the connection was idle (RFC 9293 section
 * 3.8.4: the interval MUST default to no less than two hours); an "old"
 * byte less than this after the last packet is a retransmission, so an
 * insertion attack cannot hide as a keep-alive. */
#define KEEPALIVE_IDLE_US UINT64_C(1000000)

static const char *const anomaly_names[REASM_AN_COUNT] = REASM_ANOMALY_NAMES;

/* How each policy decides whether a RST counts (reasm.h, enum
 * reasm_policy); as Suricata's StreamTcpValidateRst groups them. */
enum rst_rule { RST_EXACT, RST_WINDOW, RST_AFTER };

static const uint8_t rst_rule_of[REASM_POLICY_COUNT] = {
	[REASM_POLICY_FIRST] = RST_EXACT,
	[REASM_POLICY_LAST] = RST_EXACT,
	[REASM_POLICY_LINUX] = RST_WINDOW,
	[REASM_POLICY_OLD_LINUX] = RST_WINDOW,
	[REASM_POLICY_BSD] = RST_EXACT,
	[REASM_POLICY_BSD_RIGHT] = RST_EXACT,
	[REASM_POLICY_MACOS] = RST_EXACT,
	[REASM_POLICY_WINDOWS] = RST_EXACT,
	[REASM_POLICY_WINDOWS2K3] = RST_EXACT,
	[REASM_POLICY_VISTA] = RST_EXACT,
	[REASM_POLICY_SOLARIS] = RST_WINDOW,
	[REASM_POLICY_HPUX10] = RST_EXACT,
	[REASM_POLICY_HPUX11] = RST_AFTER,
	[REASM_POLICY_IRIX] = RST_EXACT,
};

void tcp_stream_init_dir(struct reasm_dir *D)
{
	memset(D, 0, sizeof(*D));
	D->q_head = REASM_NIL;
	D->q_tail = REASM_NIL;
	D->hist_head = REASM_NIL;
	D->hist_tail = REASM_NIL;
	D->wscale = 0xff;
}

void tcp_anomaly(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		 enum reasm_anomaly_id id)
{
	if (f->anomalies & (1u << id))
		return;
	f->anomalies |= (uint16_t)(1u << id);
	if (f->pub.bypass)
		return;         /* the consumer is not interested in the flow */
	r->stats.anomalies++;
	if (r->ops->anomaly)
		r->ops->anomaly(r->user, &f->pub, d, anomaly_names[id]);
}

/* Where seq lies relative to D's nxt, as a signed distance (mod 2^32). */
static inline int64_t seq_rel(const struct reasm_dir *D, uint32_t seq)
{
	return (int32_t)(seq - (uint32_t)(D->base_seq + (uint32_t)D->nxt));
}

/* ---- end of stream ------------------------------------------------- */

static void dir_eof(struct reasm *r, struct reasm_flow *f, enum flow_dir d)
{
	struct reasm_dir *D = &f->dir[d];

	tcp_queue_discard(r, D);
	tcp_hist_reset(r, D);
	D->flags |= REASM_DIR_EOF;
	D->flags &= (uint16_t)~(REASM_DIR_ZWP | REASM_DIR_URG);
	r->ops->eof(r->user, &f->pub, d);
}

void tcp_stream_close(struct reasm *r, struct reasm_flow *f, enum flow_dir d)
{
	struct reasm_dir *D = &f->dir[d];

	if (D->flags & REASM_DIR_EOF)
		return;
	while (D->q_head != REASM_NIL) {
		uint64_t off = r->segs[D->q_head].off;

		if (off > D->nxt)
			tcp_emit_gap(r, f, d, off - D->nxt);
		tcp_deliver_head(r, f, d);
	}
	/* Bytes up to a FIN we saw were sent; we just never got them. */
	if ((D->flags & REASM_DIR_FIN) && D->fin_off > D->nxt)
		tcp_emit_gap(r, f, d, D->fin_off - D->nxt);
	dir_eof(r, f, d);
}

/* Queued data that became in order goes out; a FIN reached ends d. */
static void settle(struct reasm *r, struct reasm_flow *f, enum flow_dir d)
{
	struct reasm_dir *D = &f->dir[d];

	while (!(D->flags & REASM_DIR_EOF) && D->q_head != REASM_NIL &&
	       r->segs[D->q_head].off == D->nxt)
		tcp_deliver_head(r, f, d);
	if ((D->flags & (REASM_DIR_FIN | REASM_DIR_EOF)) == REASM_DIR_FIN &&
	    D->nxt >= D->fin_off)
		dir_eof(r, f, d);
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
	r->stats.data_after_close += tcp_queue_trim_to(r, D, fin);
	if (f->dir[!d].flags & REASM_DIR_FIN)
		f->pub.state = FLOW_STATE_CLOSED;
	else if (f->pub.state != FLOW_STATE_CLOSED)
		f->pub.state = FLOW_STATE_CLOSING;
}

/* ---- RST ----------------------------------------------------------- */

/*
 * Would the receiver of a RST sent in direction d accept it? RFC 9293
 * section 3.10.7 and RFC 5961 section 3: the receiver compares the RST's
 * sequence number with its RCV.NXT, which a sensor knows only to lie
 * between the receiver's last ACK (lo) and the sender's last byte (hi).
 */
static bool rst_acceptable(const struct reasm_flow *f, enum flow_dir d,
			   const struct decoded_pkt *p)
{
	const struct reasm_dir *D = &f->dir[d], *P = &f->dir[!d];
	uint64_t lo, hi;
	int64_t off;

	if (!(D->flags & REASM_DIR_BASE)) {
		/* The sender never sent a byte we know of. Answering a SYN, the
		 * RST must acknowledge it (section 3.10.7.3); otherwise there
		 * is nothing to check it against. */
		if ((P->flags & REASM_DIR_SYN) && f->pub.state == FLOW_STATE_NEW)
			return (p->tcp_flags & TCP_ACK) && p->ack == P->isn + 1;
		return true;
	}
	off = (int64_t)D->nxt + seq_rel(D, p->seq);
	if (off < 0)
		return false;
	hi = D->max_end > D->nxt ? D->max_end : D->nxt;
	if ((D->flags & REASM_DIR_FIN) && D->fin_off + 1 > hi)
		hi = D->fin_off + 1;
	lo = (D->flags & REASM_DIR_ACKED) ? D->peer_ack : D->nxt;
	if (lo > hi)
		lo = hi;
	switch (rst_rule_of[reasm_dir_policy(f, d)]) {
	case RST_EXACT:
		return (uint64_t)off >= lo && (uint64_t)off <= hi;
	case RST_WINDOW: {
		uint64_t edge = (D->flags & REASM_DIR_RWND) ? D->rwnd_edge
							    : lo + REASM_RST_SLACK;

		if (edge < hi + 1)
			edge = hi + 1;
		return (uint64_t)off >= lo && (uint64_t)off < edge;
	}
	default:
		return (uint64_t)off >= lo;
	}
}

static void handle_rst(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		       const struct decoded_pkt *p)
{
	if (!rst_acceptable(f, d, p)) {
		r->stats.rst_invalid++;
		tcp_anomaly(r, f, d, REASM_AN_RST_INVALID);
		return;
	}
	r->stats.rst++;
	/* A reset aborts both streams: what is queued is not delivered
	 * (RFC 9293 section 3.10.7.4: the connection's queues are flushed). */
	for (int i = 0; i < 2; i++)
		if (!(f->dir[i].flags & REASM_DIR_EOF))
			dir_eof(r, f, (enum flow_dir)i);
	f->pub.state = FLOW_STATE_CLOSED;
}

/* ---- ACKs and windows ---------------------------------------------- */

/* The shift applied to windows sent by d: both SYNs must carry the option
 * (RFC 7323 section 2.2), and shifts above 14 are taken as 14 (2.3). */
static unsigned wscale_of(const struct reasm_flow *f, enum flow_dir d)
{
	unsigned s = f->dir[d].wscale;

	if (s == 0xff || f->dir[!d].wscale == 0xff)
		return 0;
	return s > 14 ? 14 : s;
}

/* The packet from d acknowledges (and opens a window on) stream !d. */
static void note_ack(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		     const struct decoded_pkt *p)
{
	enum flow_dir s = (enum flow_dir)!d;
	struct reasm_dir *S = &f->dir[s];
	int64_t rel, ack;

	if (!(p->tcp_flags & TCP_ACK) || !(S->flags & REASM_DIR_BASE))
		return;
	rel = seq_rel(S, p->ack);
	if (rel > REASM_SEQ_WINDOW || rel < -REASM_SEQ_WINDOW)
		return;
	ack = (int64_t)S->nxt + rel;
	if (ack < 0)
		return;
	if (!(S->flags & REASM_DIR_ACKED) || (uint64_t)ack > S->peer_ack) {
		S->peer_ack = (uint64_t)ack;
		S->flags |= REASM_DIR_ACKED;
	}
	tcp_hist_trim(r, S, (uint64_t)ack);
	/*
	 * The receiver acknowledged bytes past a hole in what we hold: it
	 * has them, the capture lost them (a busy SPAN port drops). Waiting
	 * longer cannot fill the hole, and the data queued behind it — the
	 * end of a message, the commands after it — would otherwise sit
	 * until the flow ends, out of step with the replies. The hole
	 * becomes a gap now and what follows it is delivered. Only a hole
	 * with data queued after it, below the ACK: an ACK captured before
	 * the data it covers (a SPAN's reordering) leaves nothing queued
	 * past it, and changes nothing.
	 */
	while (!(S->flags & REASM_DIR_EOF) && S->q_head != REASM_NIL &&
	       r->segs[S->q_head].off > S->nxt && r->segs[S->q_head].off < (uint64_t)ack) {
		r->stats.gaps_acked++;
		tcp_skip_to(r, f, s, r->segs[S->q_head].off);
		settle(r, f, s);
	}
	/* The window needs the scale, known once both SYNs were seen; the
	 * window of a SYN segment is never scaled (RFC 7323 section 2.2). */
	if ((f->dir[0].flags & f->dir[1].flags & REASM_DIR_SYN) && !(p->tcp_flags & TCP_RST)) {
		unsigned shift = (p->tcp_flags & TCP_SYN) ? 0 : wscale_of(f, d);
		uint64_t edge = (uint64_t)ack + ((uint64_t)p->window << shift);

		if (!(S->flags & REASM_DIR_RWND) || edge > S->rwnd_edge)
			S->rwnd_edge = edge;
		S->flags |= REASM_DIR_RWND;
		if (p->window == 0)
			S->flags |= REASM_DIR_RWND_ZERO;
		else
			S->flags &= (uint16_t)~REASM_DIR_RWND_ZERO;
	}
	/* The receiver acknowledged a probe's byte: it took it after all. */
	if ((S->flags & REASM_DIR_ZWP) && (uint64_t)ack > S->nxt &&
	    !(S->flags & REASM_DIR_EOF)) {
		uint8_t b = S->zwp_byte;

		S->flags &= (uint16_t)~REASM_DIR_ZWP;
		tcp_deliver(r, f, s, &b, 1);
		settle(r, f, s);
	}
}

/* ---- payload ------------------------------------------------------- */

/* Payload s of direction d (s->off >= 0, already trimmed to the FIN).
 * `trimmed`: bytes before offset 0 were cut off it already. */
static void stream_data(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
			struct tcp_seg *s, bool trimmed)
{
	struct reasm_dir *D = &f->dir[d];
	struct seg_verdict v = { trimmed, false, false };

	/* A bypassed flow holds nothing: its queue goes (its history went
	 * when it was bypassed), and its bytes only move nxt on (so the FIN
	 * still ends the direction). */
	if (f->pub.bypass) {
		tcp_queue_discard(r, D);
		if (s->off + s->n > D->nxt) {
			r->stats.bytes_bypassed += s->off + s->n - D->nxt;
			D->nxt = s->off + s->n;
		}
		return;
	}
	for (;;) {
		if (s->off + s->n <= D->nxt) {
			v.old_bytes = true;
			if (tcp_hist_differs(r, D, s->off, s->p, s->n))
				v.differ = true;
			break;
		}
		if (s->off < D->nxt) {
			uint32_t k = (uint32_t)(D->nxt - s->off);

			v.old_bytes = true;
			if (tcp_hist_differs(r, D, s->off, s->p, k))
				v.differ = true;
			s->p += k;
			s->n -= k;
			s->off = D->nxt;
		}
		if (s->off == D->nxt) {
			tcp_deliver_in_order(r, f, d, s, &v);
			break;
		}
		if (tcp_queue_ooo(r, f, d, s, &v))
			break;
		/* A cap refused it: give up the holes before it, then it is in
		 * order (or partly old, if a queued segment straddled it). */
		tcp_skip_to(r, f, d, s->off);
	}
	if (!v.new_bytes)
		r->stats.segs_retransmitted++;
	else if (v.old_bytes)
		r->stats.overlaps++;
	if (v.differ) {
		r->stats.overlaps_different++;
		tcp_anomaly(r, f, d, REASM_AN_OVERLAP_DIFFERENT);
	}
}

/* A zero-window probe: one byte at nxt while the receiver's latest window
 * is zero and it has acknowledged everything before the byte. The receiver drops it (RFC 9293 section 3.10.7.4, "If
 * the RCV.WND is zero, no segments will be acceptable"); it is kept aside
 * in case the receiver acknowledges it all the same (a window update the
 * capture missed). A different byte than a probe held already is what an
 * evasion would send: reported as an overlap with different data. */
static bool zero_window_probe(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
			      uint64_t off, const uint8_t *p, uint32_t n)
{
	struct reasm_dir *D = &f->dir[d];

	/* The latest window is what counts here, not the highest edge ever
	 * advertised: a receiver that closed its window takes nothing. */
	if (n != 1 || off != D->nxt || D->q_head != REASM_NIL ||
	    (D->flags & (REASM_DIR_RWND | REASM_DIR_RWND_ZERO | REASM_DIR_ACKED)) !=
	    (REASM_DIR_RWND | REASM_DIR_RWND_ZERO | REASM_DIR_ACKED) || off < D->peer_ack)
		return false;
	r->stats.zero_window_probes++;
	if ((D->flags & REASM_DIR_ZWP) && D->zwp_byte != p[0]) {
		r->stats.overlaps_different++;
		tcp_anomaly(r, f, d, REASM_AN_OVERLAP_DIFFERENT);
	}
	D->zwp_byte = p[0];
	D->flags |= REASM_DIR_ZWP;
	return true;
}

/* The receiver's window, as far as it is known: returns how many of the n
 * bytes at off to keep (all, unless the policy drops what lies beyond). */
static uint32_t window_check(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
			     uint64_t off, uint32_t n)
{
	const struct reasm_dir *D = &f->dir[d];

	if (r->window_policy == REASM_WINDOW_IGNORE || !(D->flags & REASM_DIR_RWND) ||
	    off + n <= D->rwnd_edge)
		return n;
	if (off >= D->rwnd_edge) {
		r->stats.window_exceeded++;
		tcp_anomaly(r, f, d, REASM_AN_WINDOW_EXCEEDED);
	}
	if (r->window_policy != REASM_WINDOW_DROP)
		return n;
	if (off >= D->rwnd_edge) {
		r->stats.window_bytes_dropped += n;
		return 0;
	}
	r->stats.window_bytes_dropped += off + n - D->rwnd_edge;
	return (uint32_t)(D->rwnd_edge - off);
}

/* The segment's urgent pointer marks byte off + urg_ptr - 1 (RFC 6093
 * section 4); tcp_deliver() applies the urgent policy when it is reached.
 * A later urgent pointer replaces an earlier one (there is one urgent mark
 * per connection, RFC 9293 section 3.8.5). */
static void note_urgent(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
			int64_t off, uint16_t urg_ptr)
{
	struct reasm_dir *D = &f->dir[d];
	int64_t u = off + urg_ptr - 1;

	if (urg_ptr == 0 || u < 0)
		return;
	r->stats.urgent++;
	tcp_anomaly(r, f, d, REASM_AN_URGENT_DATA);
	if (r->urgent_policy == REASM_URGENT_INLINE || (uint64_t)u < D->nxt)
		return;
	D->urg_off = (uint64_t)u;
	D->flags |= REASM_DIR_URG;
}

/* ---- SYN ----------------------------------------------------------- */

/* A SYN from d. Returns false if the packet is done with. */
static bool handle_syn(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		       const struct decoded_pkt *p)
{
	struct reasm_dir *D = &f->dir[d], *P = &f->dir[!d];
	uint8_t fl = p->tcp_flags;

	if (!(D->flags & REASM_DIR_BASE)) {
		/* Offset 0 is the byte after the SYN (RFC 9293 section 3.4:
		 * the SYN occupies one sequence number). */
		D->isn = p->seq;
		D->base_seq = p->seq + 1;
		D->wscale = p->wscale;
		D->flags |= REASM_DIR_BASE | REASM_DIR_SYN;
		if (!(fl & TCP_ACK)) {
			D->flags |= REASM_DIR_BARE_SYN;
			/* both sides opened (RFC 9293 section 3.5, figure 8) */
			if (P->flags & REASM_DIR_BARE_SYN)
				r->stats.simultaneous_open++;
		}
	} else if (!(D->flags & REASM_DIR_SYN) || p->seq != D->isn) {
		/* A SYN that contradicts the stream we track: a new connection
		 * whose predecessor's end we missed, or a forgery. The first
		 * stream stands until the peer answers the new SYN with a
		 * SYN-ACK (flow.c then starts a new flow): a receiver in
		 * ESTABLISHED answers a SYN with a challenge ACK only (RFC 5961
		 * section 4). */
		if (!(fl & TCP_ACK) && f->pub.state != FLOW_STATE_NEW) {
			r->stats.syn_on_established++;
			tcp_anomaly(r, f, d, REASM_AN_SYN_ON_ESTABLISHED);
			f->flags |= REASM_FLOW_REUSE;
			f->reuse_dir = (uint8_t)d;
			f->reuse_isn = p->seq;
			f->reuse_wscale = p->wscale;
		}
		return false;
	}
	if ((fl & TCP_ACK) && f->pub.state == FLOW_STATE_NEW)
		f->pub.state = FLOW_STATE_ESTABLISHED;
	return true;
}

/* ---- the packet ---------------------------------------------------- */

void tcp_stream_packet(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
		       const struct decoded_pkt *p, uint64_t idle_us)
{
	struct reasm_dir *D = &f->dir[d];
	uint8_t fl = p->tcp_flags;
	uint32_t dseq = p->seq, n = p->payload_len, wire = p->wire_payload_len;
	const uint8_t *data = p->payload;
	int64_t rel, off, end;
	struct tcp_seg s;
	bool trimmed = false;

	if (fl & TCP_RST) {
		handle_rst(r, f, d, p);
		return;
	}
	if ((fl & TCP_SYN) && !handle_syn(r, f, d, p))
		return;
	if (fl & TCP_SYN)
		dseq = p->seq + 1;
	note_ack(r, f, d, p);
	if (wire < n)
		wire = n;
	if (D->flags & REASM_DIR_EOF) {
		/* After a FIN was reached, a copy of bytes before it (the
		 * peer missed our ACK) is a retransmission; anything else,
		 * or anything after a RST, comes after the close. */
		if (n) {
			int64_t back = seq_rel(D, dseq);

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
		if (wire == 0 && !(fl & TCP_FIN))
			return;
		D->base_seq = dseq;
		D->flags |= REASM_DIR_BASE;
		if (!f->pub.midstream) {
			f->pub.midstream = true;
			r->stats.midstream++;
		}
	}
	if (wire && f->pub.state == FLOW_STATE_NEW)
		f->pub.state = FLOW_STATE_ESTABLISHED;

	rel = seq_rel(D, dseq);
	if (rel > REASM_SEQ_WINDOW || rel < -REASM_SEQ_WINDOW) {
		r->stats.seq_out_of_window++;
		return;
	}
	/* Keep-alive: 0 or 1 byte just before what was sent, after a pause. */
	if (wire <= 1 && !(fl & (TCP_SYN | TCP_FIN)) && D->nxt > 0 && rel == -1 &&
	    D->max_end <= D->nxt && idle_us >= KEEPALIVE_IDLE_US) {
		r->stats.keepalives++;
		return;
	}
	off = (int64_t)D->nxt + rel;
	end = off + wire;
	if ((fl & TCP_URG) && n)
		note_urgent(r, f, d, off, p->urg_ptr);
	if (wire && end > 0 && off >= (int64_t)D->nxt &&
	    zero_window_probe(r, f, d, (uint64_t)off, data, n))
		return;
	/* The byte a held probe showed, now for real: if it differs, the
	 * sensor was shown one byte and the receiver takes another. */
	if ((D->flags & REASM_DIR_ZWP) && off <= (int64_t)D->nxt &&
	    (int64_t)D->nxt < off + (int64_t)n && data[D->nxt - (uint64_t)off] != D->zwp_byte) {
		r->stats.overlaps_different++;
		tcp_anomaly(r, f, d, REASM_AN_OVERLAP_DIFFERENT);
	}
	if (wire && end > 0) {
		int64_t start = off > 0 ? off : 0;
		uint32_t keep = window_check(r, f, d, (uint64_t)start, (uint32_t)(end - start));

		if (start + keep < end) {
			/* the receiver drops what lies beyond its window (and
			 * a FIN after it) */
			if (keep == 0)
				return;
			end = start + keep;
			wire = (uint32_t)(end - off);
			if (n > wire)
				n = wire;
			fl &= (uint8_t)~TCP_FIN;
		}
	}
	if ((fl & TCP_FIN) && end >= 0)
		note_fin(r, f, d, (uint64_t)end);
	if (wire && end > 0) {
		s.pkt_off = off > 0 ? (uint64_t)off : 0;
		s.pkt_end = (uint64_t)end;
		/* Bytes before offset 0 were sent before what we picked up;
		 * like old bytes they are not delivered. */
		if (off < 0) {
			uint32_t cut = (uint32_t)-off;

			data += cut < n ? cut : n;
			n = cut < n ? n - cut : 0;
			wire -= cut;
			off = 0;
			trimmed = true;
		}
		if ((uint64_t)end > D->max_end)
			D->max_end = (uint64_t)end;
		if ((D->flags & REASM_DIR_FIN) && (uint64_t)end > D->fin_off) {
			uint64_t keep = (uint64_t)off < D->fin_off ? D->fin_off - (uint64_t)off : 0;

			r->stats.data_after_close++;
			if (n > keep)
				n = (uint32_t)keep;
			if (wire > keep)
				wire = (uint32_t)keep;
		}
		if (n) {
			s.off = (uint64_t)off;
			s.p = data;
			s.n = n;
			stream_data(r, f, d, &s, trimmed);
		}
		/* The capture cut the packet (snap length): the bytes it did
		 * not keep are a gap, not data that later bytes slide into. A
		 * bypassed flow only moves on (so its FIN is still reached). */
		if (wire > n && f->pub.bypass) {
			if ((uint64_t)off + wire > D->nxt)
				D->nxt = (uint64_t)off + wire;
		} else if (wire > n && !(D->flags & REASM_DIR_EOF)) {
			uint64_t lost = (uint64_t)off + n, lost_n = wire - n;

			r->stats.snapped_segments++;
			r->stats.snapped_bytes += lost_n;
			if (lost < D->nxt) {
				lost_n = lost + lost_n > D->nxt ? lost + lost_n - D->nxt : 0;
				lost = D->nxt;
			}
			/* in order: held data inside the lost stretch goes
			 * out, the rest is a gap; beyond nxt it waits in the
			 * queue as a LOST segment */
			if (lost_n && lost == D->nxt)
				tcp_skip_to(r, f, d, lost + lost_n);
			else if (lost_n)
				tcp_queue_lost(r, f, d, lost, lost_n);
		}
	} else if (wire) {
		r->stats.segs_retransmitted++;
	}
	settle(r, f, d);
}
