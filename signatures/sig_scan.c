/*
 * sig_scan.c — per-worker matching: scratch, flow-state and stream pools,
 * scan calls, and the pattern-match -> rule decision.
 *
 * Hot path shape. Every scan function first checks that the engine has a
 * database for the (buffer, direction) — with zero rules that is the only
 * work done. The Hyperscan callback only sets a bit in a per-thread
 * bitmap and appends the pattern id to a per-thread list (both sized to
 * the pattern count at start-up, so they cannot overflow). After the scan
 * returns, sig_process() runs once per scan that matched anything.
 *
 * Per-flow match state. A flow keeps SIG_FLOW_SLOTS tagged 32-bit entries
 * (id << 2 | kind), shared by three kinds:
 *   ENT_SESS   a pattern of a session buffer (smtp.helo) that matched
 *   ENT_TX     a pattern of any other buffer that matched in this tx, or a
 *              virtual pattern: a group that matched in one instance
 *   ENT_FIRED  a rule that fired in this tx (at most once per tx)
 * Only patterns that some multi-condition rule needs are recorded
 * (sig_pat.recorded): a single-content rule decides on the spot and needs
 * only its FIRED entry. One small shared array beats a bitmap per flow
 * (rules * flows bits would be 125 MB for 10k rules and 100k flows) and
 * separate arrays (whichever kind a tx needs most gets the room). When it
 * is full, match_state_full counts the entry that could not be stored:
 * an unrecorded pattern can make a multi-content rule miss, an unrecorded
 * FIRED entry can make a rule fire again in the same tx; the alert itself
 * is still raised.
 *
 * Buffer instances (see sig.h). A group of conditions that must match in
 * one instance of a multi-instance buffer is decided inside it:
 *  - block buffers (smtp.rcpt_to, email.to/cc/received/url, file.name):
 *    one sig_scan_buffer() call is one instance, so the group's patterns
 *    (sig_pat.iscope) are never recorded in the flow; a group is complete
 *    when the scan that just returned saw all of them (t->seen).
 *  - streams (email.body per text part, file.data per file): the group's
 *    patterns are recorded as they match over the stream's calls and
 *    dropped from the flow when the instance begins and when it ends
 *    (sig_drop_instance()).
 * A group that is the whole rule fires the rule. A group of a rule with
 * other conditions records its virtual pattern (ENT_TX, kept for the tx)
 * and the rule is checked like on any other new match (group_matched()).
 * Transaction-scoped conditions in these buffers (a group of one) are
 * ordinary recorded patterns, whichever instance matched them.
 *
 * Negated conditions (content:!"x") cannot be decided on a match: a rule
 * with one is decided when its buffer's inspection is complete —
 * neg_decide() right after a block scan (per instance for multi-instance
 * buffers), and at sig_stream_end() for smtp.data, email.body and
 * file.data (after the stream's end-anchored matches). sig_expr.c keeps
 * such a rule's conditions all in that buffer and group. An empty or
 * uninspected buffer decides nothing (Suricata does not inspect a missing
 * buffer either); a stream match that could not be recorded (flow slots
 * full) suppresses that stream instance's decisions (f->lost).
 *
 * Positions. Streams count offsets from their start; after
 * sig_stream_gap() the restarted raw stream's offsets are not the
 * stream's, so patterns flagged absolute are ignored there from then on.
 * bsize is a pattern matching the last byte of the buffer at an offset in
 * its range; on a stream that is reported when the stream ends.
 * Prefilter patterns are confirmed with PCRE2 before anything else looks
 * at the scan's matches: on the whole buffer for a block scan (confirm());
 * on a stream, on its last SIG_CONFIRM_TAIL bytes plus the chunk
 * (sig_confirm_stream(); a match PCRE2 finds partial at the chunk's end is
 * tried once more with the next chunk, then counted in pcre_window).
 *
 * Firing. Rules completed while sig_process() walks a scan's matches are
 * queued and fired after it: pass rules first (a pass stops the flow's
 * alerts, f->passed), then plain rules and flowbit setters, then rules with
 * flowbit checks, so a bit set by a rule in this scan is seen by a check
 * in the same scan (Suricata orders its rules that way). Flowbits live in
 * the flow state for the flow's whole life.
 *
 * A pattern counts as "newly matched" for a flow when it is not already
 * recorded; only new matches trigger rule checks, so a content that keeps
 * matching in a long stream costs a few compares per scan, not a check of
 * its rules.
 *
 * The matches that need the bytes around them (PCRE2 on a stream window,
 * byte_test, base64_decode, long isdataat) are sig_scan_win.c's; the state
 * both files share is sig_scan_int.h.
 *
 * Memory: sig_thread_new reserves everything: max_flows flow states and,
 * per streaming database (raw stream per direction, smtp.data, email.body,
 * file.data: a pool only when some rule inspects that buffer), a slab of
 * max_flows Hyperscan stream states. Both are calloc'd, so their pages are
 * only mapped when first used: a flow slot and a stream are set up the
 * first time that many are in use at once (`fresh`, `carved`), and are
 * then recycled (hs_reset_stream). Opening all of them up front cost
 * 65,536 hs_open_stream calls per database at start and as many closes at
 * exit: 30 ms of a 0.5 s run over a 200 MB capture. A stream is opened
 * into its slab slot through the process-wide hs_set_stream_allocator
 * hook, which hands out the one slot named in a thread-local for the
 * duration of that call and is malloc/free for everything else (nothing
 * else changes for other Hyperscan users in the process); slab streams are
 * never closed, their slab is freed whole. The packet path still never
 * calls malloc. With MT_POOL_MALLOC (debug) flows and streams are
 * allocated and freed one by one, still bounded by max_flows, so ASan
 * sees each object.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sig_scan_int.h"

/* ---- flow entries --------------------------------------------------- */

/* Drop entries whose kind is in `kinds` (bit per ENT_*). */
static void ent_drop(struct sig_flow *f, unsigned kinds)
{
	unsigned w = 0;

	for (unsigned i = 0; i < f->nent; i++)
		if (!(kinds & (1u << (f->ent[i] & ENT_KIND_MASK))))
			f->ent[w++] = f->ent[i];
	f->nent = (uint8_t)w;
}

static inline uint32_t pat_ent(const struct sig_engine *e, uint32_t pid)
{
	return pid << 2 | (e->pat[pid].session ? ENT_SESS : ENT_TX);
}

/* An instance of buffer b begins or ends: forget what its instance-scoped
 * patterns matched (virtual patterns and everything else stay). */
void sig_drop_instance(const struct sig_engine *e, struct sig_flow *f, unsigned b)
{
	unsigned w = 0;

	for (unsigned i = 0; i < f->nent; i++) {
		uint32_t ent = f->ent[i], pid = ent >> 2;

		if ((ent & ENT_KIND_MASK) == ENT_TX && e->pat[pid].iscope &&
		    e->pat[pid].buf == b)
			continue;
		f->ent[w++] = ent;
	}
	f->nent = (uint8_t)w;
}

/* ---- Hyperscan callback: record only -------------------------------- */

/* A rejected prefilter match sets nothing off. */
void sig_pos_forget(struct sig_thread *t, uint32_t pid)
{
	uint32_t w = 0;

	for (uint32_t i = 0; i < t->npos; i++)
		if (t->pos[i].pid != pid)
			t->pos[w++] = t->pos[i];
	t->npos = w;
}

/* Keep a match end for sig_scan_win.c (struct sig_thread.pos). */
static inline void pos_keep(struct sig_thread *t, uint32_t pid, unsigned long long to)
{
	if (t->npos == SIG_POS_MAX) {
		t->st.match_pos_full++;
		return;
	}
	t->pos[t->npos++] = (struct mpos){ pid, to };
}

int sig_on_match(unsigned int id, unsigned long long from,
		    unsigned long long to, unsigned int flags, void *ctx)
{
	struct sig_thread *t = ctx;
	uint64_t bit;
	uint64_t *w;

	if (id >= t->npat)
		return 0;
	if (t->remap && (id = t->remap[id]) == SIG_NO_PAT)
		return 0;       /* the other direction's pattern */
	bit = 1ull << (id & 63);
	/* After a gap, stream offsets no longer count from the stream's
	 * start: a position-dependent pattern cannot be trusted. */
	if (t->cur_gapped && t->e->pat[id].absolute)
		return 0;
	/* a long isdataat: the match counts when its bytes have arrived
	 * (sig_delays_run), so it is not a match yet; its first end is kept */
	if (t->e->pat[id].delay) {
		for (uint32_t i = 0; i < t->npos; i++)
			if (t->pos[i].pid == id)
				return 0;
		pos_keep(t, id, to);
		return 0;
	}
	w = &t->seen[id >> 6];
	if (!(*w & bit)) {
		*w |= bit;
		t->mlist[t->nmatch++] = id;
		if (t->e->pat[id].pos)
			pos_keep(t, id, to);
	}
	(void)from;
	(void)flags;
	return 0;
}

/*
 * Prefilter matches of a block scan are confirmed by PCRE2 on the whole
 * buffer (bounded: a short buffer, and PCRE2's match limits); those PCRE
 * rejects are taken out of the scan's match list.
 */
static void confirm(struct sig_thread *t, const uint8_t *data, size_t len)
{
	uint32_t w = 0;

	for (uint32_t i = 0; i < t->nmatch; i++) {
		uint32_t pid = t->mlist[i];
		const pcre2_code *re = t->e->pat[pid].re2;
		int rc;

		if (re) {
			rc = pcre2_match(re, data, len, 0, 0, t->md, t->mctx);
			if (rc < 0) {
				if (rc != PCRE2_ERROR_NOMATCH)
					t->st.pcre_limit++;
				seen_drop(t, pid);
				sig_pos_forget(t, pid);
				continue;
			}
		}
		t->mlist[w++] = pid;
	}
	t->nmatch = w;
}

/* ---- rule decision -------------------------------------------------- */

static bool hdr_side(const struct sig_rule *r, struct sig_u128 src, uint16_t sp,
		     struct sig_u128 dst, uint16_t dp)
{
	return sig_rset_has(&r->src, src) &&
		sig_rset_has(&r->sport, (struct sig_u128){ 0, sp }) &&
		sig_rset_has(&r->dst, dst) &&
		sig_rset_has(&r->dport, (struct sig_u128){ 0, dp });
}

/* Rule header against the flow, seen from a packet travelling in dir:
 * to_server packets come from the client, to_client ones from the server. */
static bool hdr_match(const struct sig_rule *r, const struct sig_flow *f,
		      uint8_t dir)
{
	struct sig_u128 src = f->client, dst = f->server;
	uint16_t sp = f->client_port, dp = f->server_port;

	if (dir == SIG_DIR_TO_CLIENT) {
		src = f->server;
		dst = f->client;
		sp = f->server_port;
		dp = f->client_port;
	}
	if (hdr_side(r, src, sp, dst, dp))
		return true;
	return r->bidir && hdr_side(r, dst, dp, src, sp);
}

static void fire(struct sig_thread *t, struct sig_flow *f,
		 const struct sig_inst *in, void *ctx);

/* A rule on a line frame fires once per frame (each scan of the buffer is
 * one frame), any other once per transaction. */
static inline bool per_frame(const struct sig_rule *r)
{
	return r->meta.frame == SIG_FRAME_COMMAND_LINE || r->meta.frame == SIG_FRAME_RESPONSE_LINE;
}

/* Whether rule ri fired in this tx and may not again. */
static inline bool fired_once(const struct sig_thread *t, const struct sig_flow *f,
			      uint32_t ri)
{
	return !per_frame(&t->e->set->rules[ri]) && ent_has(f, ri << 2 | ENT_FIRED);
}

static void group_matched(struct sig_thread *t, struct sig_flow *f,
			  const struct sig_inst *in, void *ctx);

static void check_instance(struct sig_thread *t, struct sig_flow *f,
			   uint32_t ii, uint32_t pid, void *ctx)
{
	const struct sig_engine *e = t->e;
	const struct sig_inst *in = &e->inst[ii];

	/* Rules with a negated condition are decided when their buffer's
	 * inspection ends (neg_decide), not on a match. */
	if (in->neg_buf >= 0 || fired_once(t, f, in->rule))
		return;
	for (uint32_t j = 0; in->ncond > 1 && j < in->ncond; j++) {
		uint32_t c = e->inst_cond[in->cond_off + j];

		if (c != pid && !seen_now(t, c) && !ent_has(f, pat_ent(e, c)))
			return;
	}
	if (in->virt != SIG_NO_VIRT)
		group_matched(t, f, in, ctx);
	else
		fire(t, f, in, ctx);
}

/*
 * A group's conditions all matched in one instance: record its virtual
 * pattern for the transaction (once) and check the rule that uses it.
 * Only rule instances use virtual patterns, so this recursion is one deep.
 */
static void group_matched(struct sig_thread *t, struct sig_flow *f,
			  const struct sig_inst *in, void *ctx)
{
	const struct sig_engine *e = t->e;
	const struct sig_pat *p = &e->pat[in->virt];
	uint32_t ent = in->virt << 2 | ENT_TX;

	if (ent_has(f, ent))
		return;
	if (!ent_add(f, ent))
		t->st.match_state_full++;
	for (uint32_t k = 0; k < p->inst_n; k++)
		check_instance(t, f, e->pat_inst[p->inst_off + k], in->virt, ctx);
}

static bool fb_get(const struct sig_flow *f, uint16_t bit)
{
	return (f->fb[bit >> 6] >> (bit & 63)) & 1;
}

/* One flowint check: an unset variable fails every comparison. */
static bool fi_check(const struct sig_fb *b, const struct sig_flow *f)
{
	bool set = (f->fiset >> b->bit) & 1;
	int32_t v = f->fi[b->bit];

	switch (b->op) {
	case SIG_FI_ISSET: return set;
	case SIG_FI_NOTSET: return !set;
	case SIG_FI_EQ: return set && v == b->val;
	case SIG_FI_NE: return set && v != b->val;
	case SIG_FI_LT: return set && v < b->val;
	case SIG_FI_GT: return set && v > b->val;
	case SIG_FI_LE: return set && v <= b->val;
	case SIG_FI_GE: return set && v >= b->val;
	default: return true;
	}
}

/* The rule's flowbits and flowint checks hold on this flow. */
static bool fb_checks(const struct sig_rule *r, const struct sig_flow *f)
{
	for (unsigned i = 0; i < r->nfb; i++) {
		const struct sig_fb *b = &r->fb[i];

		if (b->op == SIG_FB_ISSET && !fb_get(f, b->bit))
			return false;
		if (b->op == SIG_FB_ISNOTSET && fb_get(f, b->bit))
			return false;
		if (b->op >= SIG_FI_EQ && !fi_check(b, f))
			return false;
	}
	return true;
}

static void fb_actions(const struct sig_rule *r, struct sig_flow *f)
{
	for (unsigned i = 0; i < r->nfb; i++) {
		const struct sig_fb *b = &r->fb[i];
		uint64_t m = 1ull << (b->bit & 63);

		if (b->op == SIG_FB_SET)
			f->fb[b->bit >> 6] |= m;
		else if (b->op == SIG_FB_UNSET)
			f->fb[b->bit >> 6] &= ~m;
		else if (b->op == SIG_FB_TOGGLE)
			f->fb[b->bit >> 6] ^= m;
		else if (b->op >= SIG_FI_ASSIGN && b->op <= SIG_FI_SUB) {
			int32_t *v = &f->fi[b->bit];

			if (!((f->fiset >> b->bit) & 1))
				*v = 0;
			f->fiset |= (uint16_t)(1u << b->bit);
			/* wrap like Suricata's 32-bit counters, without UB */
			if (b->op == SIG_FI_ASSIGN)
				*v = b->val;
			else if (b->op == SIG_FI_ADD)
				*v = (int32_t)((uint32_t)*v + (uint32_t)b->val);
			else
				*v = (int32_t)((uint32_t)*v - (uint32_t)b->val);
		}
	}
}

/* A suppress entry (threshold.config) covers this match. */
static bool suppressed(const struct sig_rule *r, const struct sig_flow *f, uint8_t dir)
{
	struct sig_u128 src = dir == SIG_DIR_TO_SERVER ? f->client : f->server;
	struct sig_u128 dst = dir == SIG_DIR_TO_SERVER ? f->server : f->client;

	for (unsigned i = 0; i < r->nsup; i++) {
		const struct sig_suppress *u = &r->sup[i];

		if (u->track == SIG_SUP_ALL ||
		    ((u->track == SIG_SUP_SRC || u->track == SIG_SUP_EITHER) &&
		     sig_rset_has(&u->addrs, src)) ||
		    ((u->track == SIG_SUP_DST || u->track == SIG_SUP_EITHER) &&
		     sig_rset_has(&u->addrs, dst)))
			return true;
	}
	return false;
}

static void fire_now(struct sig_thread *t, struct sig_flow *f,
		     const struct sig_inst *in, void *ctx)
{
	const struct sig_rule *r = &t->e->set->rules[in->rule];

	if (f->passed || fired_once(t, f, in->rule))
		return;
	if (!r->hdr_any && !hdr_match(r, f, in->dir))
		return;
	if (r->fb_check && !fb_checks(r, f))
		return;
	if (!per_frame(r) && !ent_add(f, in->rule << 2 | ENT_FIRED))
		t->st.match_state_full++;
	if (r->nfb)
		fb_actions(r, f);
	if (r->pass) {
		f->passed = true;
		return;
	}
	if (r->noalert)
		return;
	if (r->nsup && suppressed(r, f, in->dir)) {
		t->st.suppressed++;
		return;
	}
	if (r->thr.type && t->thr) {
		/* The packet's source and destination, as the rule sees them. */
		struct sig_u128 a = in->dir == SIG_DIR_TO_SERVER ? f->client : f->server;
		struct sig_u128 b = in->dir == SIG_DIR_TO_SERVER ? f->server : f->client;
		uint8_t src[16], dst[16];

		for (int i = 0; i < 8; i++) {
			src[i] = (uint8_t)(a.hi >> (56 - 8 * i));
			src[8 + i] = (uint8_t)(a.lo >> (56 - 8 * i));
			dst[i] = (uint8_t)(b.hi >> (56 - 8 * i));
			dst[8 + i] = (uint8_t)(b.lo >> (56 - 8 * i));
		}
		if (!sig_thr_allow(t->thr, &r->thr, in->rule, src, dst,
				   t->clock ? *t->clock : 0,
				   &t->st.threshold_evicted)) {
			t->st.threshold_suppressed++;
			return;
		}
	}
	t->st.alerts++;
	if (t->on_alert)
		t->on_alert(t->alert_user, ctx, &r->meta, (enum sig_dir)in->dir);
}

/* Inside sig_process(), completed rules wait for the end of the scan (see
 * sig_thread.pend); elsewhere they fire at once. */
static void fire(struct sig_thread *t, struct sig_flow *f,
		 const struct sig_inst *in, void *ctx)
{
	if (t->in_process) {
		uint32_t ii = (uint32_t)(in - t->e->inst);

		/* completed twice in one scan (two of its patterns new): once;
		 * so pend never holds more than every instance */
		for (uint32_t i = 0; i < t->npend; i++)
			if (t->pend[i] == ii)
				return;
		t->pend[t->npend++] = ii;
		return;
	}
	fire_now(t, f, in, ctx);
}

static void fire_pending(struct sig_thread *t, struct sig_flow *f, void *ctx)
{
	const struct sig_engine *e = t->e;

	for (int pass = 0; pass < 3; pass++) {
		for (uint32_t i = 0; i < t->npend; i++) {
			const struct sig_inst *in = &e->inst[t->pend[i]];
			const struct sig_rule *r = &e->set->rules[in->rule];
			int order = r->pass ? 0 : r->fb_check ? 2 : 1;

			if (order == pass)
				fire_now(t, f, in, ctx);
		}
	}
	t->npend = 0;
}

/*
 * The inspection of buffer b (direction dir) is complete: decide the rules
 * with negated conditions there. All their conditions are in b (sig_expr.c
 * checks that). A block buffer's matches are those of the scan that just
 * returned (still in t->seen); a stream's are in the flow's record.
 */
static void neg_decide(struct sig_thread *t, struct sig_flow *f, unsigned b,
		       unsigned dir, bool block, void *ctx)
{
	const struct sig_engine *e = t->e;
	uint32_t off = e->neg_off[b][dir], n = e->neg_n[b][dir];

	for (uint32_t k = 0; k < n; k++) {
		const struct sig_inst *in = &e->inst[e->neg_inst[off + k]];
		bool ok = true;

		if (fired_once(t, f, in->rule))
			continue;
		for (uint32_t j = 0; ok && j < in->ncond; j++) {
			uint32_t c = e->inst_cond[in->cond_off + j];
			uint32_t pid = c & ~SIG_COND_NEG;
			bool have = block ? seen_now(t, pid) : ent_has(f, pat_ent(e, pid));

			ok = (c & SIG_COND_NEG) ? !have : have;
		}
		if (ok)
			fire(t, f, in, ctx);
	}
}

/* Turn the matches of the scan that just returned into rule decisions. */
void sig_process(struct sig_thread *t, struct sig_flow *f, void *ctx)
{
	const struct sig_engine *e = t->e;
	uint32_t n = t->nmatch;

	t->st.matches += n;
	/* Record first, so that two conditions of one rule matched by the
	 * same scan see each other whatever order they come in. */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t pid = t->mlist[i];

		if (!e->pat[pid].recorded)
			continue;
		if (ent_has(f, pat_ent(e, pid))) {
			t->mlist[i] |= SIG_OLD_MATCH;
		} else if (!ent_add(f, pat_ent(e, pid))) {
			int k = sk_of(e->pat[pid].buf);

			t->st.match_state_full++;
			/* A negated condition could now look absent. */
			if (k >= 0)
				f->lost |= (uint8_t)(1u << k);
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t pid = t->mlist[i];
		const struct sig_pat *p;

		if (pid & SIG_OLD_MATCH)
			continue;
		p = &e->pat[pid];
		t->in_process = true;
		for (uint32_t k = 0; k < p->inst_n; k++)
			check_instance(t, f, e->pat_inst[p->inst_off + k], pid, ctx);
		t->in_process = false;
	}
	if (t->npend)
		fire_pending(t, f, ctx);
	for (uint32_t i = 0; i < n; i++)
		seen_drop(t, t->mlist[i] & ~SIG_OLD_MATCH);
	t->nmatch = 0;
}

/* ---- stream pool ---------------------------------------------------- */

#ifndef MT_POOL_MALLOC
/* The slab slot the next stream allocation of this thread goes to (set
 * around hs_open_stream in stream_take only). */
static __thread uint8_t *slab_next;
static __thread size_t slab_next_len;

static void *slab_alloc(size_t n)
{
	uint8_t *p = slab_next;

	if (p && n <= slab_next_len) {
		slab_next = NULL;
		return p;
	}
	return malloc(n);
}

static void slab_free(void *p)
{
	free(p);        /* slab streams are never closed */
}

static void slab_hook(void)
{
	hs_set_stream_allocator(slab_alloc, slab_free);
}

static pthread_once_t slab_once = PTHREAD_ONCE_INIT;
#endif

/* The raw stream's match-id map for stream k (sig_engine.c stream_merge),
 * NULL for the other streams. */
static const uint32_t *stream_remap(const struct sig_thread *t, unsigned k)
{
	return k <= SK_STREAM_TC ? t->e->stream_remap[k] : NULL;
}

static hs_stream_t *stream_take(struct sig_thread *t, unsigned k)
{
	struct stream_pool *p = &t->sp[k];
#ifdef MT_POOL_MALLOC
	hs_stream_t *s = NULL;

	if (p->inuse >= p->cap || hs_open_stream(p->db, 0, &s) != HS_SUCCESS)
		return NULL;
	p->inuse++;
	return s;
#else
	hs_stream_t *s = NULL;
	uint8_t *slot;
	hs_error_t rc;

	if (p->nfree) {
		p->inuse++;
		return p->free[--p->nfree];
	}
	if (p->carved >= p->cap)
		return NULL;
	slot = p->slab + (size_t)p->carved * p->slot;
	slab_next = slot;
	slab_next_len = p->slot;
	rc = hs_open_stream(p->db, 0, &s);
	if (slab_next || rc != HS_SUCCESS || (uint8_t *)s != slot) {
		/* the allocation did not come from the slab: not ours */
		slab_next = NULL;
		if (rc == HS_SUCCESS && s)
			hs_close_stream(s, NULL, NULL, NULL);
		return NULL;
	}
	p->carved++;
	p->inuse++;
	return s;
#endif
}

/* End a stream and return its state to the pool. With report, matches
 * raised at end of stream are recorded into t (sig_process() them after). */
static void stream_give(struct sig_thread *t, unsigned k, hs_stream_t *s,
			bool report)
{
	struct stream_pool *p = &t->sp[k];
	hs_scratch_t *scr = report ? t->scratch : NULL;
	match_event_handler cb = report ? sig_on_match : NULL;
	hs_error_t rc;

	t->remap = stream_remap(t, k);
#ifdef MT_POOL_MALLOC
	rc = hs_close_stream(s, scr, cb, t);
#else
	rc = hs_reset_stream(s, 0, scr, cb, t);
	p->free[p->nfree++] = s;
#endif
	t->remap = NULL;
	p->inuse--;
	if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED)
		t->st.scan_errors++;
}

static hs_stream_t *flow_stream(struct sig_thread *t, struct sig_flow *f,
				unsigned k)
{
	hs_stream_t *s = f->st[k];

	if (s)
		return s;
	if (f->failed & (1u << k))
		return NULL;    /* counted once; stays uninspected */
	s = stream_take(t, k);
	if (!s) {
		f->failed |= (uint8_t)(1u << k);
		t->st.streams_no_state++;
		return NULL;
	}
	f->st[k] = s;
	f->soff[k] = 0;
	f->tlen[k] = 0;
	return s;
}

static void flow_stream_end(struct sig_thread *t, struct sig_flow *f,
			    unsigned k, bool report, void *ctx)
{
	hs_stream_t *s = f->st[k];

	f->failed &= (uint8_t)~(1u << k);
	if (!s)
		return;
	f->st[k] = NULL;
	t->nmatch = 0;
	t->cur_gapped = (f->gapped >> k) & 1;
	stream_give(t, k, s, report);
	t->cur_gapped = false;
	/* match ends at the stream's end open nothing (no bytes follow);
	 * end-of-stream prefilter reports are not confirmable (stream
	 * confirmation refuses end anchors: sig_expr.c) */
	t->npos = 0;
	if (f->ndel)
		sig_delays_drop(t, f, (int)k);
	if (t->tail[k])
		sig_confirm_end(t, f, k, report);
	if (t->nmatch)
		sig_process(t, f, ctx);
	/* base64 windows still open end with the stream: decoded as they are
	 * (Suricata decodes to the end of its buffer), or dropped after a gap */
	if (f->nwin)
		sig_win_end(t, f, k, report);
}

static void scan_stream_k(struct sig_thread *t, struct sig_flow *f,
			  unsigned k, const uint8_t *data, size_t len, void *ctx)
{
	hs_stream_t *s = flow_stream(t, f, k);

	if (!s)
		return;
	t->st.scans++;
	t->st.bytes_scanned += len;
	t->cur_gapped = (f->gapped >> k) & 1;
	while (len) {
		/* Hyperscan lengths are unsigned int. */
		unsigned n = len > (1u << 30) ? (1u << 30) : (unsigned)len;
		hs_error_t rc;

		t->remap = stream_remap(t, k);
		rc = hs_scan_stream(s, (const char *)data, n, 0, t->scratch, sig_on_match, t);
		t->remap = NULL;

		if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED)
			t->st.scan_errors++;
		if (t->tail[k]) {
			sig_confirm_stream(t, f, k, f->soff[k], data, n);
			sig_tail_push(t, f, k, data, n);
		}
		if (t->npos)
			sig_probes_run(t, data, n, f->soff[k], false);
		if (t->npos || f->ndel)
			sig_delays_run(t, f, (int)k, f->soff[k], n);
		if (t->nmatch)
			sig_process(t, f, ctx);
		if (t->e->nb64dec)
			sig_b64_stream(t, f, k, f->soff[k], data, n, ctx);
		t->npos = 0;
		f->soff[k] += n;
		data += n;
		len -= n;
	}
	t->cur_gapped = false;
}

/* ---- public: thread ------------------------------------------------- */

static void thread_release(struct sig_thread *t)
{
#ifdef MT_POOL_MALLOC
	for (uint32_t i = 0; t->slot && i < t->fresh; i++) {
		struct sig_flow *f = t->slot[i];

		if (!f)
			continue;
		for (unsigned k = 0; f->live && k < SK_COUNT; k++)
			if (f->st[k])
				hs_close_stream(f->st[k], NULL, NULL, NULL);
		free(f);
	}
#endif
	/* without MT_POOL_MALLOC every stream lives in its pool's slab */
	for (unsigned k = 0; k < SK_COUNT; k++) {
		free(t->sp[k].free);
		free(t->sp[k].slab);
	}
	sig_thr_free(t->thr);
	free(t->flows);
	free(t->slot);
	free(t->freeidx);
	free(t->mlist);
	free(t->pend);
	free(t->b64out);
	for (unsigned i = 0; t->win && i < SIG_B64_WINDOWS; i++)
		if (t->win[i].st)
			hs_close_stream(t->win[i].st, NULL, NULL, NULL);
	free(t->win);
	free(t->wfree);
	for (uint32_t d = 0; t->dpool && d < t->e->nb64dec; d++) {
		for (uint32_t i = 0; i < t->dpool[d].nfree; i++)
			hs_close_stream(t->dpool[d].free[i], NULL, NULL, NULL);
		free(t->dpool[d].free);
	}
	free(t->dpool);
	for (unsigned k = 0; k < SK_COUNT; k++)
		free(t->tail[k]);
	free(t->csubj);
	free(t->seen);
	pcre2_match_data_free(t->md);
	pcre2_match_context_free(t->mctx);
	hs_free_scratch(t->scratch);
	free(t);
}

struct sig_thread *sig_thread_new(const struct sig_engine *e,
				  uint32_t max_flows,
				  sig_alert_fn on_alert, void *alert_user)
{
	struct sig_thread *t = NULL;
	size_t nf = max_flows ? max_flows : 1;

	if (!e || posix_memalign((void **)&t, 64, sizeof(*t)) != 0)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->e = e;
	t->on_alert = on_alert;
	t->alert_user = alert_user;
	t->npat = e->npat;
	memcpy(t->db, e->db, sizeof(t->db));
	if (e->proto && hs_clone_scratch(e->proto, &t->scratch) != HS_SUCCESS)
		goto fail;
	t->mlist = malloc((e->npat ? e->npat : 1) * sizeof(*t->mlist));
	t->pend = malloc((e->ninst ? e->ninst : 1) * sizeof(*t->pend));
	t->seen = calloc(e->npat / 64 + 1, sizeof(*t->seen));
	t->slot = calloc(nf, sizeof(*t->slot));
	t->freeidx = malloc(nf * sizeof(*t->freeidx));
	if (!t->mlist || !t->pend || !t->seen || !t->slot || !t->freeidx)
		goto fail;
	if (e->nconfirm) {
		t->md = pcre2_match_data_create(1, NULL);
		t->mctx = pcre2_match_context_create(NULL);
		if (!t->md || !t->mctx)
			goto fail;
		pcre2_set_match_limit(t->mctx, SIG_PCRE_MATCH_LIMIT);
		pcre2_set_depth_limit(t->mctx, SIG_PCRE_DEPTH_LIMIT);
	}
	for (uint32_t i = 0; i < e->npat; i++) {
		int k = pat_kind(&e->pat[i]);

		if (!e->pat[i].re2 || k < 0 || t->tail[k])
			continue;
		t->tail[k] = malloc(nf * SIG_CONFIRM_TAIL);
		if (!t->tail[k])
			goto fail;
		if (!t->csubj && !(t->csubj = malloc(SIG_CONFIRM_MAX)))
			goto fail;
	}
	if (e->nb64dec) {
		t->b64out = malloc(SIG_B64_CHUNK);
		t->win = calloc(SIG_B64_WINDOWS, sizeof(*t->win));
		t->wfree = malloc(SIG_B64_WINDOWS * sizeof(*t->wfree));
		t->dpool = calloc(e->nb64dec, sizeof(*t->dpool));
		if (!t->b64out || !t->win || !t->wfree || !t->dpool)
			goto fail;
		for (unsigned i = 0; i < SIG_B64_WINDOWS; i++)
			t->wfree[t->nwfree++] = (uint16_t)(SIG_B64_WINDOWS - 1 - i);
		for (uint32_t d = 0; d < e->nb64dec; d++) {
			struct b64pool *p = &t->dpool[d];

			if (!e->b64dec[d].db)
				continue;
			p->free = malloc(SIG_B64_PER_DEC * sizeof(*p->free));
			if (!p->free)
				goto fail;
			for (unsigned i = 0; i < SIG_B64_PER_DEC; i++) {
				if (hs_open_stream((const hs_database_t *)e->b64dec[d].db, 0,
						   &p->free[p->nfree]) != HS_SUCCESS)
					goto fail;
				p->nfree++;
			}
		}
	}
	t->max_flows = max_flows;
	for (uint32_t i = 0; i < e->set->nrules; i++)
		if (e->set->rules[i].thr.type) {
			t->thr = sig_thr_new(65536);
			if (!t->thr)
				goto fail;
			break;
		}
#ifndef MT_POOL_MALLOC
	t->flows = calloc(nf, sizeof(*t->flows));
	if (!t->flows)
		goto fail;
	pthread_once(&slab_once, slab_hook);
#endif
	/* Slots are handed out 0, 1, 2, ... the first time (the first flows
	 * share cache lines), then from the stack of those given back. */
	t->fresh = 0;
	t->nfree = 0;

	t->sp[SK_STREAM_TS].db = e->db[SIG_BUF_STREAM][SIG_DIR_TO_SERVER];
	t->sp[SK_STREAM_TC].db = e->db[SIG_BUF_STREAM][SIG_DIR_TO_CLIENT];
	t->sp[SK_DATA].db = e->db[SIG_BUF_SMTP_DATA][SIG_DIR_TO_SERVER];
	t->sp[SK_BODY].db = e->db[SIG_BUF_EMAIL_BODY][SIG_DIR_TO_SERVER];
	t->sp[SK_FILE].db = e->db[SIG_BUF_FILE_DATA][SIG_DIR_TO_SERVER];
	t->sp[SK_FDATA].db = e->db[SIG_BUF_FRAME_DATA][SIG_DIR_TO_SERVER];
	for (unsigned k = 0; k < SK_COUNT; k++) {
		struct stream_pool *p = &t->sp[k];

		if (!p->db)
			continue;
		p->cap = max_flows;
#ifndef MT_POOL_MALLOC
		size_t ssz = 0;

		if (hs_stream_size(p->db, &ssz) != HS_SUCCESS)
			goto fail;
		p->slot = (ssz + 63) & ~(size_t)63;
		p->free = malloc(nf * sizeof(*p->free));
		p->slab = calloc(nf, p->slot);
		if (!p->free || !p->slab)
			goto fail;
#endif
	}
	return t;
fail:
	thread_release(t);
	return NULL;
}

void sig_thread_free(struct sig_thread *t)
{
	if (t)
		thread_release(t);
}

void sig_thread_set_clock(struct sig_thread *t, const uint64_t *now_us)
{
	if (t)
		t->clock = now_us;
}

const struct sig_thread_stats *sig_thread_get_stats(const struct sig_thread *t)
{
	return &t->st;
}

/* ---- public: flows -------------------------------------------------- */

struct sig_flow *sig_flow_open(struct sig_thread *t, const struct sig_tuple *tup)
{
	struct sig_flow *f;
	uint32_t idx;

	if (!t || !tup)
		return NULL;
	if (t->nfree == 0 && t->fresh >= t->max_flows) {
		t->st.flows_no_state++;
		return NULL;
	}
	idx = t->nfree ? t->freeidx[t->nfree - 1] : t->fresh;
#ifdef MT_POOL_MALLOC
	f = malloc(sizeof(*f));
	if (!f) {
		t->st.flows_no_state++;
		return NULL;
	}
	t->slot[idx] = f;
#else
	f = &t->flows[idx];
	t->slot[idx] = f;
#endif
	if (t->nfree)
		t->nfree--;
	else
		t->fresh++;
	memset(f, 0, sizeof(*f));
	f->idx = idx;
	f->live = true;
	f->client = sig_u128_from_bytes(tup->client);
	f->server = sig_u128_from_bytes(tup->server);
	f->client_port = tup->client_port;
	f->server_port = tup->server_port;
	return f;
}

static void flow_release(struct sig_thread *t, struct sig_flow *f);

/* End every stream and window of f, deciding what waits for an end
 * (decide) or dropping it as after a gap, and give f back. */
static void flow_finish(struct sig_thread *t, struct sig_flow *f, bool decide, void *ctx)
{
	if (!t || !f || !f->live)
		return;
	for (unsigned k = 0; k < SK_COUNT; k++)
		flow_stream_end(t, f, k, decide, ctx);
	if (f->nwin)
		sig_win_end(t, f, SK_COUNT, decide);
	flow_release(t, f);
}

void sig_flow_close(struct sig_thread *t, struct sig_flow *f, void *ctx)
{
	flow_finish(t, f, true, ctx);
}

void sig_flow_discard(struct sig_thread *t, struct sig_flow *f)
{
	flow_finish(t, f, false, NULL);
}

static void flow_release(struct sig_thread *t, struct sig_flow *f)
{
	f->live = false;
	t->freeidx[t->nfree++] = f->idx;
#ifdef MT_POOL_MALLOC
	t->slot[f->idx] = NULL;
	free(f);
#endif
}

void sig_flow_tx_end(struct sig_thread *t, struct sig_flow *f)
{
	if (!f)
		return;
	/* a window's trigger is a transaction-scoped match: decide it now */
	if (f->nwin)
		sig_win_end(t, f, SK_COUNT, true);
	ent_drop(f, 1u << ENT_TX | 1u << ENT_FIRED);
}

/* ---- public: scanning ----------------------------------------------- */

void sig_scan_stream(struct sig_thread *t, struct sig_flow *f, enum sig_dir dir,
		     const uint8_t *data, size_t len, void *ctx)
{
	if ((unsigned)dir > SIG_DIR_TO_CLIENT || !t->db[SIG_BUF_STREAM][dir] ||
	    !f || !len)
		return;
	scan_stream_k(t, f, dir == SIG_DIR_TO_SERVER ? SK_STREAM_TS : SK_STREAM_TC,
		      data, len, ctx);
}

void sig_stream_gap(struct sig_thread *t, struct sig_flow *f, enum sig_dir dir)
{
	if ((unsigned)dir > SIG_DIR_TO_CLIENT || !t->db[SIG_BUF_STREAM][dir] || !f)
		return;
	unsigned k = dir == SIG_DIR_TO_SERVER ? SK_STREAM_TS : SK_STREAM_TC;

	flow_stream_end(t, f, k, false, NULL);
	f->gapped |= (uint8_t)(1u << k);
}

void sig_scan_buffer(struct sig_thread *t, struct sig_flow *f, enum sig_buf b,
		     enum sig_dir dir, const uint8_t *data, size_t len,
		     void *ctx)
{
	const hs_database_t *db;
	hs_error_t rc;

	if ((unsigned)b >= SIG_BUF_COUNT || (unsigned)dir > SIG_DIR_TO_CLIENT)
		return;
	db = t->db[b][dir];
	/* The raw stream, smtp.data, email.body and file.data are streaming
	 * databases: they go through sig_scan_stream / sig_stream_scan. A
	 * multi-instance buffer needs nothing at an instance start: its
	 * instance-scoped patterns live only in this scan (t->seen). */
	if (!db || !f || sig_buf_is_stream(b))
		return;
	/* A new HELO/EHLO replaces the session value: what the old one
	 * matched is no longer true (other session entries stay). */
	if (sig_buf_is_session(b)) {
		unsigned w = 0;

		for (unsigned i = 0; i < f->nent; i++)
			if ((f->ent[i] & ENT_KIND_MASK) != ENT_SESS ||
			    t->e->pat[f->ent[i] >> 2].buf != b)
				f->ent[w++] = f->ent[i];
		f->nent = (uint8_t)w;
	}
	if (!len)
		return;
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	t->st.scans++;
	t->st.bytes_scanned += len;
	rc = hs_scan(db, (const char *)data, (unsigned)len, 0, t->scratch,
		     sig_on_match, t);
	if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) {
		t->st.scan_errors++;
		/* an incomplete scan cannot prove an absence */
		for (uint32_t i = 0; i < t->nmatch; i++)
			seen_drop(t, t->mlist[i]);
		t->nmatch = 0;
		t->npos = 0;
		return;
	}
	if (t->e->nconfirm)
		confirm(t, data, len);
	if (t->npos) {
		sig_probes_run(t, data, len, 0, true);
		sig_delays_run(t, f, -1, 0, len);
	}
	if (t->e->neg_n[b][dir])
		neg_decide(t, f, b, dir, true, ctx);
	if (t->nmatch)
		sig_process(t, f, ctx);
	if (t->e->nb64dec)
		sig_b64_block(t, f, data, len, ctx);
	t->npos = 0;
}

static bool hashlist_has(const struct sig_hashlist *h, const uint8_t *d)
{
	size_t lo = 0, hi = h->n, n = sig_hash_len[h->kind];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(h->d + mid * n, d, n);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void sig_scan_file_hashes(struct sig_thread *t, struct sig_flow *f,
			  const uint8_t *md5, const uint8_t *sha1,
			  const uint8_t *sha256, void *ctx)
{
	const struct sig_engine *e;
	const uint8_t *dig[SIG_HASH_COUNT] = { md5, sha1, sha256 };

	if (!t || !f || !t->e->nhash)
		return;
	e = t->e;
	for (uint32_t i = 0; i < e->nhash; i++) {
		const struct sig_hashlist *h = e->hash_list[i];
		uint32_t pid = e->hash_pid[i];

		if (!dig[h->kind] || hashlist_has(h, dig[h->kind]) == h->neg)
			continue;
		match_add(t, pid);
	}
	if (t->nmatch)
		sig_process(t, f, ctx);
}

/* Stream kind of b if it has a (to_server) database, else -1. */
static int stream_kind(const struct sig_thread *t, enum sig_buf b)
{
	int k = sk_of((unsigned)b);

	if (k < 0 || !t->db[b][SIG_DIR_TO_SERVER])
		return -1;
	return k;
}

void sig_stream_begin(struct sig_thread *t, struct sig_flow *f, enum sig_buf b)
{
	int k = stream_kind(t, b);

	if (!f || k < 0)
		return;
	/* A stream that never saw sig_stream_end is dropped unreported. */
	flow_stream_end(t, f, (unsigned)k, false, NULL);
	f->lost &= (uint8_t)~(1u << k);
	sig_drop_instance(t->e, f, b);
}

void sig_stream_scan(struct sig_thread *t, struct sig_flow *f, enum sig_buf b,
		     const uint8_t *data, size_t len, void *ctx)
{
	int k = stream_kind(t, b);

	if (!f || k < 0 || !len)
		return;
	scan_stream_k(t, f, (unsigned)k, data, len, ctx);
}

/* End of the part/file/message: end-anchored matches (endswith, $, bsize)
 * are reported by the stream's end, then rules with negated conditions in
 * b are decided, if the instance was inspected at all and completely
 * recorded; then the instance's matches are forgotten. */
void sig_stream_end(struct sig_thread *t, struct sig_flow *f, enum sig_buf b,
		    void *ctx)
{
	int k = stream_kind(t, b);
	bool inspected;

	if (!f || k < 0)
		return;
	inspected = f->st[k] != NULL;
	flow_stream_end(t, f, (unsigned)k, true, ctx);
	if (inspected && !(f->lost & (1u << k)) && t->e->neg_n[b][SIG_DIR_TO_SERVER])
		neg_decide(t, f, b, SIG_DIR_TO_SERVER, false, ctx);
	f->lost &= (uint8_t)~(1u << k);
	sig_drop_instance(t->e, f, b);
}

void sig_data_begin(struct sig_thread *t, struct sig_flow *f)
{
	sig_stream_begin(t, f, SIG_BUF_SMTP_DATA);
}

void sig_scan_data(struct sig_thread *t, struct sig_flow *f,
		   const uint8_t *data, size_t len, void *ctx)
{
	sig_stream_scan(t, f, SIG_BUF_SMTP_DATA, data, len, ctx);
}

void sig_data_end(struct sig_thread *t, struct sig_flow *f, void *ctx)
{
	sig_stream_end(t, f, SIG_BUF_SMTP_DATA, ctx);
}
