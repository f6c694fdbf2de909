/*
 * sig_scan_win.c — matches that need the bytes around them, after a scan:
 *  - long isdataat: a match counts once `delay` more bytes have arrived
 *    (delays_*; waiting entries live in the flow, two at most);
 *  - byte_test / byte_jump: read a number at the match's end (probes_run;
 *    on a stream the bytes must be in the same chunk);
 *  - PCRE2 confirmation on a stream: the stream's last SIG_CONFIRM_TAIL
 *    bytes plus the chunk (confirm_*, tail_push);
 *  - base64_decode windows: decode as bytes arrive and scan the decoded
 *    bytes with the decoder's streaming database (win_*, b64_*).
 * Each adds what holds to the scan's match list (t->mlist, t->seen), which
 * sig_scan.c's process() then decides like any other match.
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "sig_scan_int.h"

/* ---- delayed matches (long isdataat) -------------------------------- */

/*
 * After a scan of bytes [off, off + len) of a buffer (a block: off 0 and
 * whole; a stream chunk of kind k): delayed matches whose bytes have all
 * arrived join the scan's matches; the others wait in the flow (a stream
 * only; a block buffer has no more bytes coming).
 */
void sig_delays_run(struct sig_thread *t, struct sig_flow *f, int k, uint64_t off,
		    size_t len)
{
	const struct sig_engine *e = t->e;
	uint64_t end = off + len;
	unsigned w = 0;

	for (unsigned i = 0; i < f->ndel; i++) {
		if (pat_kind(&e->pat[f->dpid[i]]) == k && f->dtarget[i] <= end) {
			match_add(t, f->dpid[i]);
			continue;
		}
		f->dpid[w] = f->dpid[i];
		f->dtarget[w++] = f->dtarget[i];
	}
	f->ndel = (uint8_t)w;
	for (uint32_t i = 0; i < t->npos; i++) {
		uint32_t pid = t->pos[i].pid;
		uint64_t target = t->pos[i].to + e->pat[pid].delay;
		bool waiting = false;

		if (!e->pat[pid].delay)
			continue;
		if (target <= end) {
			match_add(t, pid);
			continue;
		}
		if (k < 0)
			continue;      /* a block buffer: no more bytes come */
		for (unsigned j = 0; j < f->ndel; j++)
			waiting = waiting || f->dpid[j] == pid;
		if (waiting)
			continue;      /* an earlier match waits for less */
		if (f->ndel == 2) {
			t->st.delay_full++;
			continue;
		}
		f->dpid[f->ndel] = pid;
		f->dtarget[f->ndel++] = target;
	}
}

/* Stream k ends or restarts: what waited there never gets its bytes. */
void sig_delays_drop(struct sig_thread *t, struct sig_flow *f, int k)
{
	unsigned w = 0;

	for (unsigned i = 0; i < f->ndel; i++) {
		if (pat_kind(&t->e->pat[f->dpid[i]]) == k)
			continue;
		f->dpid[w] = f->dpid[i];
		f->dtarget[w++] = f->dtarget[i];
	}
	f->ndel = (uint8_t)w;
}

/* ---- byte_test / byte_jump ------------------------------------------ */

/* The number at b[0..nbytes) (avail bytes readable), per the probe. */
static bool probe_read(const struct sig_probe *p, const uint8_t *b, size_t avail, uint64_t *out)
{
	uint64_t v = 0;

	if (avail < p->nbytes)
		return false;
	if (!p->base) {
		for (unsigned i = 0; i < p->nbytes; i++)
			v |= (uint64_t)b[i] << (8 * (p->little ? i : p->nbytes - 1 - i));
		*out = v;
		return true;
	}
	/* ASCII digits, up to nbytes of them; at least one */
	for (unsigned i = 0; i < p->nbytes; i++) {
		int d = sig_hexval(b[i]);

		if (d < 0 || d >= p->base) {
			if (i == 0)
				return false;
			break;
		}
		v = v * p->base + (uint64_t)d;
	}
	*out = v;
	return true;
}

/* Does the probe hold at position pos of a buffer of len bytes (for a
 * stream: the bytes of the chunk, pos relative to it, len its length)? */
static bool probe_holds(const struct sig_probe *p, const uint8_t *b, size_t len, int64_t pos,
			bool whole)
{
	uint64_t v;

	if (pos < 0 || (uint64_t)pos > len || !probe_read(p, b + pos, len - (size_t)pos, &v))
		return false;
	if (p->jump) {
		int64_t to = (p->from_beginning ? 0 : pos + p->nbytes) + (int64_t)(v * p->mult);

		if (v > (uint64_t)INT32_MAX || v * p->mult > (uint64_t)INT32_MAX)
			return false;
		if (p->align && (to & 3))
			to += 4 - (to & 3);
		to += p->post_offset;
		return whole && to >= 0 && (uint64_t)to < len;
	}
	{
		bool r;

		switch (p->op) {
		case SIG_PO_LT: r = v < p->value; break;
		case SIG_PO_GT: r = v > p->value; break;
		case SIG_PO_EQ: r = v == p->value; break;
		case SIG_PO_LE: r = v <= p->value; break;
		case SIG_PO_GE: r = v >= p->value; break;
		case SIG_PO_AND: r = (v & p->value) != 0; break;
		default: r = (v ^ p->value) != 0; break;
		}
		return r != p->neg;
	}
}

/*
 * The probes the scan that just returned set off: data[0..len) is the
 * block buffer or the stream chunk starting at stream offset off. Those
 * that hold join the scan's matches as their virtual pattern.
 */
void sig_probes_run(struct sig_thread *t, const uint8_t *data, size_t len, uint64_t off,
		       bool whole)
{
	const struct sig_engine *e = t->e;

	for (uint32_t i = 0; i < t->npos; i++) {
		const struct sig_eprobe *ep;
		const struct sig_probe *p;
		int64_t base, pos;

		if (!e->pat[t->pos[i].pid].probe)
			continue;
		ep = &e->probes[e->pat[t->pos[i].pid].probe - 1];
		p = ep->p;
		/* the reference: the match end, or (from the start) offset 0 */
		base = p->relative ? (int64_t)t->pos[i].to : 0;
		pos = base + p->offset - (int64_t)off;
		if (!whole && (pos < 0 || (uint64_t)pos + p->nbytes > len)) {
			t->st.probe_split++;
			continue;
		}
		if (probe_holds(p, data, len, pos, whole))
			match_add(t, ep->vpid);
	}
}

/* ---- stream confirmation -------------------------------------------- */

/* The confirmation tail of stream k of f. */
static inline uint8_t *flow_tail(const struct sig_thread *t, const struct sig_flow *f,
				 unsigned k)
{
	return t->tail[k] + (size_t)f->idx * SIG_CONFIRM_TAIL;
}

/*
 * The scan of chunk [off, off + len) of stream k returned: confirm its
 * prefilter matches (and those left partial by the previous chunk) with
 * PCRE2 on the window tail + chunk. Confirmed ones stay in (or join) the
 * scan's match list; partial ones wait for the next chunk, once.
 */
/* Keep pattern pid's confirmation for the next chunk; one that does not
 * fit is lost, and counted. */
static void cpend_push(struct sig_thread *t, struct sig_flow *f, uint32_t pid)
{
	if (f->ncpend < SIG_CONFIRM_PENDING)
		f->cpend[f->ncpend++] = pid;
	else
		t->st.pcre_window++;
}

void sig_confirm_stream(struct sig_thread *t, struct sig_flow *f, unsigned k,
			   uint64_t off, const uint8_t *data, size_t len)
{
	const struct sig_engine *e = t->e;
	uint32_t pend[SIG_CONFIRM_PENDING], npend = f->ncpend, w = 0, cand = UINT32_MAX;
	const uint8_t *subj;
	size_t slen, tl = f->tlen[k];

	for (uint32_t i = 0; i < t->npos && cand == UINT32_MAX; i++)
		if (e->pat[t->pos[i].pid].re2)
			cand = i;      /* the first candidate's match end */
	if (cand == UINT32_MAX && !npend)
		return;
	memcpy(pend, f->cpend, sizeof(pend));
	f->ncpend = 0;
	if (tl + len <= SIG_CONFIRM_MAX) {
		memcpy(t->csubj, flow_tail(t, f, k), tl);
		memcpy(t->csubj + tl, data, len);
		subj = t->csubj;
		slen = tl + len;
	} else if (len <= SIG_CONFIRM_MAX) {
		/* the tail does not fit beside the chunk: the chunk alone */
		subj = data;
		slen = len;
	} else {
		/* a chunk larger than the window: around the first match */
		uint64_t to = cand != UINT32_MAX ? t->pos[cand].to : off;
		size_t at = to > off ? (size_t)(to - off) : 0, s0;

		s0 = at > SIG_CONFIRM_MAX / 2 ? at - SIG_CONFIRM_MAX / 2 : 0;
		if (s0 > len - SIG_CONFIRM_MAX)
			s0 = len - SIG_CONFIRM_MAX;
		subj = data + s0;
		slen = SIG_CONFIRM_MAX;
	}
	/* this scan's candidates */
	for (uint32_t i = 0; i < t->nmatch; i++) {
		uint32_t pid = t->mlist[i];
		const pcre2_code *re = e->pat[pid].re2;
		int rc;

		if (!re) {
			t->mlist[w++] = pid;
			continue;
		}
		rc = pcre2_match(re, subj, slen, 0, PCRE2_PARTIAL_HARD, t->md, t->mctx);
		if (rc >= 0) {
			t->mlist[w++] = pid;
			continue;
		}
		seen_drop(t, pid);
		sig_pos_forget(t, pid);
		if (rc == PCRE2_ERROR_PARTIAL) {
			cpend_push(t, f, pid);
		} else if (rc != PCRE2_ERROR_NOMATCH) {
			t->st.pcre_limit++;
		}
	}
	t->nmatch = w;
	/* the previous chunk's partial ones, second and last try */
	for (uint32_t i = 0; i < npend; i++) {
		uint32_t pid = pend[i];
		int rc;

		if (pat_kind(&e->pat[pid]) != (int)k) {
			cpend_push(t, f, pid);   /* another stream's */
			continue;
		}
		rc = pcre2_match(e->pat[pid].re2, subj, slen, 0, 0, t->md, t->mctx);
		if (rc >= 0)
			match_add(t, pid);
		else if (rc != PCRE2_ERROR_NOMATCH)
			t->st.pcre_limit++;
	}
}

/* Keep the last SIG_CONFIRM_TAIL bytes of stream k. */
void sig_tail_push(struct sig_thread *t, struct sig_flow *f, unsigned k,
		      const uint8_t *data, size_t len)
{
	uint8_t *tl = flow_tail(t, f, k);
	size_t have = f->tlen[k];

	if (len >= SIG_CONFIRM_TAIL) {
#ifdef __SSE2__
		/* The usual case (a full packet): the tail is written for
		 * every packet and read back only on a prefilter match, so
		 * write around the cache instead of fetching eight cold
		 * lines of a flow's slot first (a slot is 16-aligned:
		 * malloc'd, SIG_CONFIRM_TAIL a multiple of 16). This thread
		 * alone reads the slot, so no fence is needed. */
		const uint8_t *src = data + len - SIG_CONFIRM_TAIL;

		for (size_t i = 0; i < SIG_CONFIRM_TAIL; i += 16)
			_mm_stream_si128((__m128i *)(void *)(tl + i),
					 _mm_loadu_si128((const __m128i *)(const void *)(src + i)));
#else
		memcpy(tl, data + len - SIG_CONFIRM_TAIL, SIG_CONFIRM_TAIL);
#endif
		f->tlen[k] = SIG_CONFIRM_TAIL;
		return;
	}
	if (have + len > SIG_CONFIRM_TAIL) {
		size_t drop = have + len - SIG_CONFIRM_TAIL;

		memmove(tl, tl + drop, have - drop);
		have -= drop;
	}
	memcpy(tl + have, data, len);
	f->tlen[k] = (uint16_t)(have + len);
}

/* The stream k ends: what waits for more bytes is decided on the tail. */
void sig_confirm_end(struct sig_thread *t, struct sig_flow *f, unsigned k, bool decide)
{
	uint32_t w = 0;

	for (uint32_t i = 0; i < f->ncpend; i++) {
		uint32_t pid = f->cpend[i];
		const struct sig_pat *p = &t->e->pat[pid];

		if (pat_kind(p) != (int)k) {
			f->cpend[w++] = pid;
			continue;
		}
		if (!decide)
			t->st.pcre_window++;
		else if (pcre2_match(p->re2, flow_tail(t, f, k), f->tlen[k], 0, 0, t->md,
				     t->mctx) >= 0)
			match_add(t, pid);
	}
	f->ncpend = (uint8_t)w;
	f->tlen[k] = 0;
}

/* ---- base64_decode windows ------------------------------------------ */

/* Base64 digit value, -1 outside the alphabet. (The sensor's SMTP AUTH
 * and MIME decoders have their own: this library depends on nothing of
 * the sensor's.) */
static inline int b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Scan n decoded bytes of w (t->b64out) with its decoder's database. */
static void win_scan(struct sig_thread *t, struct b64win *w, size_t n)
{
	if (n && hs_scan_stream(w->st, (const char *)t->b64out, (unsigned)n, 0, t->scratch,
				sig_on_match, t) != HS_SUCCESS)
		t->st.scan_errors++;
}

/*
 * A window decodes as its bytes arrive (Suricata 7's relaxed mode: bytes
 * outside the alphabet are skipped, '=' ends the data) and scans the
 * decoded bytes at once with its decoder's database in streaming mode, so
 * nothing is buffered whatever `bytes` says. Its Hyperscan stream comes
 * from the decoder's pool, opened at thread start.
 */
static void win_decode(struct sig_thread *t, struct b64win *w, const uint8_t *in, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && !w->eq; i++) {
		int v;

		if (in[i] == '=') {
			w->eq = true;
			break;
		}
		if ((v = b64val(in[i])) < 0) {
			if (t->e->b64dec[w->dec].stop) {
				w->eq = true;
				break;
			}
			continue;
		}
		w->acc = (w->acc << 6 | (uint32_t)v) & 0xffffff;
		w->bits = (uint8_t)(w->bits + 6);
		if (w->bits >= 8) {
			w->bits = (uint8_t)(w->bits - 8);
			t->b64out[o++] = (uint8_t)(w->acc >> w->bits);
		}
		if (o == SIG_B64_CHUNK) {
			win_scan(t, w, o);
			o = 0;
		}
	}
	win_scan(t, w, o);
}

/* Close f's window number j (in f->wins): its end is reported (decide) or
 * not, its stream and slot go back. */
static void win_finish(struct sig_thread *t, struct sig_flow *f, unsigned j, bool decide)
{
	uint16_t slot = f->wins[j];
	struct b64win *w = &t->win[slot];
	struct b64pool *p = &t->dpool[w->dec];
	void *ctx = w->ctx;

	f->wins[j] = f->wins[--f->nwin];
	t->st.base64_decodes += decide;
	/* the end of the decoded bytes (bsize, $ in base64_data) */
	hs_reset_stream(w->st, 0, t->scratch, decide ? sig_on_match : NULL, t);
	p->free[p->nfree++] = w->st;
	w->st = NULL;
	t->wfree[t->nwfree++] = slot;
	if (t->nmatch)
		sig_process(t, f, ctx);
	sig_drop_instance(t->e, f, SIG_BUF_BASE64);
}

/* Windows of f on stream k: take what chunk [off, off + len) holds. */
static void win_feed(struct sig_thread *t, struct sig_flow *f, unsigned k, uint64_t off,
		     const uint8_t *data, size_t len, void *ctx)
{
	for (unsigned j = f->nwin; j-- > 0;) {
		struct b64win *w = &t->win[f->wins[j]];
		uint64_t from, to;

		if (w->k != k)
			continue;
		from = w->start + w->have;
		to = w->start + w->want;
		if (from < off)
			from = off;
		if (to > off + len)
			to = off + len;
		w->ctx = ctx;
		if (to > from) {
			win_decode(t, w, data + (from - off), (size_t)(to - from));
			w->have = (uint32_t)(to - w->start);
			if (t->nmatch)
				sig_process(t, f, ctx);
		}
		if (w->have == w->want || w->eq)
			win_finish(t, f, j, true);
	}
}

/* The stream k of f ends (decide: with what the windows decoded; else,
 * after a gap, they are dropped) — or, k == SK_COUNT, every window of f. */
void sig_win_end(struct sig_thread *t, struct sig_flow *f, unsigned k, bool decide)
{
	for (unsigned j = f->nwin; j-- > 0;)
		if (k == SK_COUNT || t->win[f->wins[j]].k == k)
			win_finish(t, f, j, decide);
}

/* A window for decoder dec at stream offset start (stream k; SK_COUNT: a
 * block buffer, fed at once), or NULL (counted). The first trigger's
 * window decides (Suricata): a decoder has one window per flow. */
static struct b64win *win_open(struct sig_thread *t, struct sig_flow *f, uint32_t dec,
			       unsigned k, uint64_t start, void *ctx)
{
	struct b64pool *p = &t->dpool[dec];
	struct b64win *w;
	uint16_t slot;

	for (unsigned j = 0; j < f->nwin; j++)
		if (t->win[f->wins[j]].dec == dec)
			return NULL;
	if (!p->nfree || !t->nwfree || f->nwin == SIG_B64_PER_FLOW) {
		t->st.base64_no_slot++;
		return NULL;
	}
	slot = t->wfree[--t->nwfree];
	w = &t->win[slot];
	memset(w, 0, sizeof(*w));
	w->dec = dec;
	w->k = (uint8_t)k;
	w->start = start;
	w->want = t->e->b64dec[dec].bytes;
	w->ctx = ctx;
	w->st = p->free[--p->nfree];
	f->wins[f->nwin++] = slot;
	/* a window is an instance of base64_data: its group's matches are
	 * recorded as they stream in, and forgotten at its end */
	sig_drop_instance(t->e, f, SIG_BUF_BASE64);
	return w;
}

/* After a block scan: decode the windows it triggered straight from the
 * buffer. */
void sig_b64_block(struct sig_thread *t, struct sig_flow *f, const uint8_t *data,
		   size_t len, void *ctx)
{
	const struct sig_engine *e = t->e;

	for (uint32_t i = 0; i < t->npos; i++) {
		uint32_t dec = e->pat[t->pos[i].pid].b64 - 1;
		const struct sig_b64dec *d;
		uint64_t s0;
		struct b64win *w;

		if (!e->pat[t->pos[i].pid].b64)
			continue;
		d = &e->b64dec[dec];
		s0 = t->pos[i].to - d->from_start + d->offset;
		if (s0 >= len || !(w = win_open(t, f, dec, SK_COUNT, s0, ctx)))
			continue;
		win_decode(t, w, data + s0, len - s0 < d->bytes ? (size_t)(len - s0) : d->bytes);
		if (t->nmatch)
			sig_process(t, f, ctx);
		win_finish(t, f, f->nwin - 1, true);
	}
}

/* After a stream scan of chunk [off, off + len) of stream k: open the
 * windows it triggered, then feed all of them. */
void sig_b64_stream(struct sig_thread *t, struct sig_flow *f, unsigned k, uint64_t off,
		       const uint8_t *data, size_t len, void *ctx)
{
	const struct sig_engine *e = t->e;

	for (uint32_t i = 0; i < t->npos; i++) {
		uint32_t pid = t->pos[i].pid;
		const struct sig_b64dec *d;

		if (!e->pat[pid].b64)
			continue;
		d = &e->b64dec[e->pat[pid].b64 - 1];
		win_open(t, f, e->pat[pid].b64 - 1, k, t->pos[i].to - d->from_start + d->offset,
			 ctx);
	}
	if (f->nwin)
		win_feed(t, f, k, off, data, len, ctx);
}
