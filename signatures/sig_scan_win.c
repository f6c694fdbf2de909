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

#include "sig_scan_int.h"

/* ---- delayed matches (long isdataat) -------------------------------- */

static void match_add(struct sig_thread *t, uint32_t pid)
{
	if (!seen_now(t, pid)) {
		t->seen[pid >> 6] |= 1ull << (pid & 63);
		t->mlist[t->nmatch++] = pid;
	}
}

/*
 * After a scan of bytes [off, off + len) of a buffer (a block: off 0 and
 * whole; a stream chunk of kind k): delayed matches whose bytes have all
 * arrived join the scan's matches; the others wait in the flow (a stream
 * only; a block buffer has no more bytes coming).
 */
void sig_delays_run(struct sig_thread *t, struct sig_flow *f, int k, uint64_t off,
		       size_t len, bool block)
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
	for (uint32_t i = 0; i < t->ndtrig; i++) {
		uint32_t pid = t->dtrig[i].pid;
		uint64_t target = t->dtrig[i].to + e->pat[pid].delay;
		bool waiting = false;

		if (target <= end) {
			match_add(t, pid);
			continue;
		}
		if (block)
			continue;
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
	t->ndtrig = 0;
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
		int d = b[i] >= '0' && b[i] <= '9' ? b[i] - '0' :
			(b[i] | 0x20) >= 'a' && (b[i] | 0x20) <= 'f' ? (b[i] | 0x20) - 'a' + 10 : -1;

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

	for (uint32_t i = 0; i < t->nptrig; i++) {
		const struct sig_eprobe *ep = &e->probes[e->pat[t->ptrig[i].pid].probe - 1];
		const struct sig_probe *p = ep->p;
		/* the reference: the match end, or (from the start) offset 0 */
		int64_t base = p->relative ? (int64_t)t->ptrig[i].to : 0;
		int64_t pos = base + p->offset - (int64_t)off;

		if (!whole && (pos < 0 || (uint64_t)pos + p->nbytes > len)) {
			t->st.probe_split++;
			continue;
		}
		if (probe_holds(p, data, len, pos, whole) && !seen_now(t, ep->vpid)) {
			t->seen[ep->vpid >> 6] |= 1ull << (ep->vpid & 63);
			t->mlist[t->nmatch++] = ep->vpid;
		}
	}
	t->nptrig = 0;
}

/* ---- stream confirmation -------------------------------------------- */


static void seen_drop(struct sig_thread *t, uint32_t pid)
{
	t->seen[pid >> 6] &= ~(1ull << (pid & 63));
}

/*
 * The scan of chunk [off, off + len) of stream k returned: confirm its
 * prefilter matches (and those left partial by the previous chunk) with
 * PCRE2 on the window tail + chunk. Confirmed ones stay in (or join) the
 * scan's match list; partial ones wait for the next chunk, once.
 */
void sig_confirm_stream(struct sig_thread *t, struct sig_flow *f, unsigned k,
			   uint64_t off, const uint8_t *data, size_t len)
{
	const struct sig_engine *e = t->e;
	uint32_t pend[SIG_CONFIRM_PENDING], npend = f->ncpend, w = 0;
	const uint8_t *subj;
	size_t slen, tl = f->tlen[k];

	memcpy(pend, f->cpend, sizeof(pend));
	f->ncpend = 0;
	if (!t->nctrig && !npend)
		return;
	if (tl + len <= SIG_CONFIRM_MAX) {
		memcpy(t->csubj, t->tail[k] + (size_t)f->idx * SIG_CONFIRM_TAIL, tl);
		memcpy(t->csubj + tl, data, len);
		subj = t->csubj;
		slen = tl + len;
	} else if (len <= SIG_CONFIRM_MAX) {
		/* the tail does not fit beside the chunk: the chunk alone */
		subj = data;
		slen = len;
	} else {
		/* a chunk larger than the window: around the first match */
		uint64_t to = t->nctrig ? t->ctrig[0].to : off;
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
		if (rc == PCRE2_ERROR_PARTIAL) {
			if (f->ncpend < SIG_CONFIRM_PENDING)
				f->cpend[f->ncpend++] = pid;
			else
				t->st.pcre_window++;
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
			if (f->ncpend < SIG_CONFIRM_PENDING)
				f->cpend[f->ncpend++] = pid;   /* another stream's */
			continue;
		}
		rc = pcre2_match(e->pat[pid].re2, subj, slen, 0, 0, t->md, t->mctx);
		if (rc >= 0) {
			if (!seen_now(t, pid)) {
				t->seen[pid >> 6] |= 1ull << (pid & 63);
				t->mlist[t->nmatch++] = pid;
			}
		} else if (rc == PCRE2_ERROR_NOMATCH) {
			;
		} else {
			t->st.pcre_limit++;
		}
	}
	t->nctrig = 0;
}

/* Keep the last SIG_CONFIRM_TAIL bytes of stream k. */
void sig_tail_push(struct sig_thread *t, struct sig_flow *f, unsigned k,
		      const uint8_t *data, size_t len)
{
	uint8_t *tl = t->tail[k] + (size_t)f->idx * SIG_CONFIRM_TAIL;
	size_t have = f->tlen[k];

	if (len >= SIG_CONFIRM_TAIL) {
		memcpy(tl, data + len - SIG_CONFIRM_TAIL, SIG_CONFIRM_TAIL);
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
		if (decide && pcre2_match(p->re2, t->tail[k] + (size_t)f->idx * SIG_CONFIRM_TAIL,
					  f->tlen[k], 0, 0, t->md, t->mctx) >= 0 &&
		    !seen_now(t, pid)) {
			t->seen[pid >> 6] |= 1ull << (pid & 63);
			t->mlist[t->nmatch++] = pid;
		} else if (!decide) {
			t->st.pcre_window++;
		}
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
		if ((v = b64val(in[i])) < 0)
			continue;
		w->acc = (w->acc << 6 | (uint32_t)v) & 0xffffff;
		w->bits = (uint8_t)(w->bits + 6);
		if (w->bits >= 8) {
			w->bits = (uint8_t)(w->bits - 8);
			t->b64out[o++] = (uint8_t)(w->acc >> w->bits);
		}
		if (o == SIG_B64_CHUNK) {
			hs_scan_stream(w->st, (const char *)t->b64out, (unsigned)o, 0, t->scratch,
				       sig_on_match, t);
			o = 0;
		}
	}
	if (o && hs_scan_stream(w->st, (const char *)t->b64out, (unsigned)o, 0, t->scratch,
				sig_on_match, t) != HS_SUCCESS)
		t->st.scan_errors++;
}

static void win_finish(struct sig_thread *t, struct b64win *w, bool decide)
{
	struct sig_flow *f = w->f;
	struct b64pool *p = &t->dpool[w->dec];

	w->f = NULL;
	f->nwin--;
	t->st.base64_decodes += decide;
	/* the end of the decoded bytes (bsize, $ in base64_data) */
	hs_reset_stream(w->st, 0, t->scratch, decide ? sig_on_match : NULL, t);
	p->free[p->nfree++] = w->st;
	w->st = NULL;
	if (t->nmatch)
		sig_process(t, f, w->ctx);
	sig_drop_instance(t->e, f, SIG_BUF_BASE64);
}

/* Windows of f on stream k: take what chunk [off, off + len) holds. */
static void win_feed(struct sig_thread *t, struct sig_flow *f, unsigned k, uint64_t off,
		     const uint8_t *data, size_t len, void *ctx)
{
	for (unsigned i = 0; f->nwin && i < SIG_B64_WINDOWS; i++) {
		struct b64win *w = &t->win[i];
		uint64_t from, to;

		if (w->f != f || w->k != k)
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
			win_finish(t, w, true);
	}
}

/* The stream k of f ends (decide: with what the windows decoded; else,
 * after a gap, they are dropped) — or, k == SK_COUNT, every window of f. */
void sig_win_end(struct sig_thread *t, struct sig_flow *f, unsigned k, bool decide)
{
	for (unsigned i = 0; f->nwin && i < SIG_B64_WINDOWS; i++)
		if (t->win[i].f == f && (k == SK_COUNT || t->win[i].k == k))
			win_finish(t, &t->win[i], decide);
}

static bool win_busy(const struct sig_thread *t, const struct sig_flow *f, uint32_t dec)
{
	for (unsigned i = 0; f->nwin && i < SIG_B64_WINDOWS; i++)
		if (t->win[i].f == f && t->win[i].dec == dec)
			return true;
	return false;
}

/* A window for decoder dec at stream offset start (stream k; SK_COUNT: a
 * block buffer, fed at once), or NULL (counted). */
static struct b64win *win_open(struct sig_thread *t, struct sig_flow *f, uint32_t dec,
			       unsigned k, uint64_t start, void *ctx)
{
	struct b64pool *p = &t->dpool[dec];

	if (win_busy(t, f, dec))
		return NULL;   /* the first trigger's window decides (Suricata) */
	for (unsigned i = 0; p->nfree && i < SIG_B64_WINDOWS; i++) {
		struct b64win *w = &t->win[i];

		if (w->f)
			continue;
		memset(w, 0, sizeof(*w));
		w->f = f;
		w->dec = dec;
		w->k = (uint8_t)k;
		w->start = start;
		w->want = t->e->b64dec[dec].bytes;
		w->ctx = ctx;
		w->st = p->free[--p->nfree];
		f->nwin++;
		/* a window is an instance of base64_data: its group's matches
		 * are recorded as they stream in, and forgotten at its end */
		sig_drop_instance(t->e, f, SIG_BUF_BASE64);
		return w;
	}
	t->st.base64_no_slot++;
	return NULL;
}

/* After a block scan: decode the windows it triggered straight from the
 * buffer. */
void sig_b64_block(struct sig_thread *t, struct sig_flow *f, const uint8_t *data,
		      size_t len, void *ctx)
{
	const struct sig_engine *e = t->e;
	uint32_t n = t->ntrig;
	struct b64trig trig[sizeof(t->trig) / sizeof(t->trig[0])];

	memcpy(trig, t->trig, n * sizeof(trig[0]));
	t->ntrig = 0;
	for (uint32_t j = 0; j < n; j++) {
		uint32_t dec = e->pat[trig[j].pid].b64 - 1;
		const struct sig_b64dec *d = &e->b64dec[dec];
		uint64_t s0 = trig[j].to - d->from_start + d->offset;
		struct b64win *w;

		if (s0 >= len || !(w = win_open(t, f, dec, SK_COUNT, s0, ctx)))
			continue;
		win_decode(t, w, data + s0, len - s0 < d->bytes ? (size_t)(len - s0) : d->bytes);
		if (t->nmatch)
			sig_process(t, f, ctx);
		win_finish(t, w, true);
	}
}

/* After a stream scan of chunk [off, off + len) of stream k: open the
 * windows it triggered, then feed all of them. */
void sig_b64_stream(struct sig_thread *t, struct sig_flow *f, unsigned k, uint64_t off,
		       const uint8_t *data, size_t len, void *ctx)
{
	const struct sig_engine *e = t->e;

	for (uint32_t j = 0; j < t->ntrig; j++) {
		uint32_t dec = e->pat[t->trig[j].pid].b64 - 1;
		const struct sig_b64dec *d = &e->b64dec[dec];

		win_open(t, f, dec, k, t->trig[j].to - d->from_start + d->offset, ctx);
	}
	t->ntrig = 0;
	if (f->nwin)
		win_feed(t, f, k, off, data, len, ctx);
}
