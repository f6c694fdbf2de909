/*
 * sig_scan.c — per-worker matching: scratch, flow-state and stream pools,
 * scan calls, and the pattern-match -> rule decision.
 *
 * Hot path shape. Every scan function first checks that the engine has a
 * database for the (buffer, direction) — with zero rules that is the only
 * work done. The Hyperscan callback only sets a bit in a per-thread
 * bitmap and appends the pattern id to a per-thread list (both sized to
 * the pattern count at start-up, so they cannot overflow). After the scan
 * returns, process() runs once per scan that matched anything.
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
 *    (drop_instance()).
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
 * (confirm_stream(); a match PCRE2 finds partial at the chunk's end is
 * tried once more with the next chunk, then counted in pcre_window).
 *
 * Firing. Rules completed while process() walks a scan's matches are
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
 * Memory: sig_thread_new allocates everything: max_flows flow states and,
 * per streaming database (raw stream per direction, smtp.data, email.body,
 * file.data: a pool only when some rule inspects that buffer),
 * max_flows Hyperscan streams opened up front and
 * recycled with hs_reset_stream (so the packet path never allocates; the
 * process-wide hs_set_stream_allocator hook is left alone). With
 * MT_POOL_MALLOC (debug) flows and streams are allocated and freed one by
 * one, still bounded by max_flows, so ASan sees each object.
 */
#include <stdlib.h>
#include <string.h>

#include <hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sig_internal.h"

#define SIG_FLOW_SLOTS 24

/* base64_decode windows open at once, per worker, and Hyperscan streams
 * per decoder for them; a trigger that finds none free is counted
 * (base64_no_slot). A window holds no bytes (see win_decode). */
#define SIG_B64_WINDOWS 1024
#define SIG_B64_PER_DEC 256
#define SIG_B64_CHUNK 4096          /* decoded bytes scanned at a time */

/* Stream PCRE2 confirmation (see sig_expr.c try_confirm): the window is
 * the last SIG_CONFIRM_TAIL bytes of the stream before the packet plus the
 * packet, at most SIG_CONFIRM_MAX bytes in all; a match PCRE2 finds
 * partial at the window's end is retried once with the next packet. */
#define SIG_CONFIRM_TAIL 512
#define SIG_CONFIRM_MAX (64 * 1024)
#define SIG_CONFIRM_PENDING 2

enum { ENT_SESS = 0, ENT_TX = 1, ENT_FIRED = 2, ENT_KIND_MASK = 3 };

/* Streams a flow can hold: raw stream per direction, message data, the
 * current text part, the current file. */
enum { SK_STREAM_TS = 0, SK_STREAM_TC = 1, SK_DATA, SK_BODY, SK_FILE, SK_COUNT };

/* Stream kind of a to_server streaming buffer other than the raw stream,
 * -1 for other buffers. */
static inline int sk_of(unsigned b)
{
	switch (b) {
	case SIG_BUF_SMTP_DATA: return SK_DATA;
	case SIG_BUF_EMAIL_BODY: return SK_BODY;
	case SIG_BUF_FILE_DATA: return SK_FILE;
	default: return -1;
	}
}

/* The stream kind a pattern is scanned in, -1 for a block buffer. */
static int pat_kind(const struct sig_pat *p)
{
	if (p->buf == SIG_BUF_STREAM)
		return p->dir == SIG_DIR_TO_CLIENT ? SK_STREAM_TC : SK_STREAM_TS;
	return sk_of(p->buf);
}

/* Marks a match-list entry whose pattern was already recorded. */
#define SIG_OLD_MATCH 0x80000000u

struct sig_flow {
	struct sig_u128 client, server;
	uint16_t client_port, server_port;
	uint8_t nent;
	uint8_t failed;                 /* bit per SK_*: no stream available */
	uint8_t gapped;                 /* bit per SK_*: restarted after a gap */
	uint8_t lost;                   /* bit per SK_*: a match was not recorded */
	bool live;
	bool passed;                    /* a pass rule matched: no more alerts */
	uint32_t idx;                   /* slot in the thread's pool */
	uint64_t fb[SIG_FLOWBITS_MAX / 64]; /* flowbits (flow-scoped) */
	int32_t fi[SIG_FLOWINT_MAX];    /* flowint values ... */
	uint16_t fiset;                 /* ... and which are set */
	uint64_t soff[SK_COUNT];        /* bytes scanned since each stream opened
					 * (Hyperscan's offsets count from there) */
	uint8_t nwin;                   /* base64 windows this flow holds */
	uint16_t tlen[SK_COUNT];        /* bytes in the confirmation tail */
	uint8_t ndel;                   /* long isdataat matches waiting */
	uint32_t dpid[2];
	uint64_t dtarget[2];            /* stream offset they wait for */
	uint8_t ncpend;                 /* confirmations waiting for more bytes */
	uint32_t cpend[SIG_CONFIRM_PENDING];
	hs_stream_t *st[SK_COUNT];
	uint32_t ent[SIG_FLOW_SLOTS];
};

struct stream_pool {
	const hs_database_t *db;        /* NULL: no such database */
	hs_stream_t **free;
	uint32_t nfree, cap, inuse;
};

struct sig_thread {
	const struct sig_engine *e;
	hs_scratch_t *scratch;
	const hs_database_t *db[SIG_BUF_COUNT][2];
	sig_alert_fn on_alert;
	void *alert_user;
	struct sig_thread_stats st;

	pcre2_match_data *md;           /* PCRE2 confirmations (nconfirm > 0) */
	pcre2_match_context *mctx;
	uint32_t npat;
	uint32_t nmatch;
	bool cur_gapped;                /* the stream being scanned had a gap */
	/* Rules completed during process(), fired after it in Suricata's
	 * order: pass rules, then the others, then those checking flowbits
	 * (so a bit set by this scan is seen by a check in the same scan). */
	uint32_t *pend;
	uint32_t npend, cappend;
	bool in_process;
	/* base64_decode: triggers seen by the scan that just returned
	 * (pattern, match end), and the windows being collected. */
	struct b64trig { uint32_t pid; uint64_t to; } trig[16];
	uint32_t ntrig;
	struct b64win {
		struct sig_flow *f;      /* NULL: free */
		uint32_t dec;
		uint8_t k;               /* SK_* it reads; SK_COUNT: block */
		uint8_t bits;            /* decoder state: bits in acc */
		bool eq;                 /* '=' seen: the data ended */
		uint32_t acc;
		uint64_t start;          /* stream offset of the window's first byte */
		uint32_t have, want;     /* input bytes consumed, and the limit */
		void *ctx;               /* the scan's, for the alert */
		hs_stream_t *st;         /* from dpool[dec] */
	} *win;                         /* SIG_B64_WINDOWS, when decoders exist */
	struct b64pool {
		hs_stream_t **free;
		uint32_t nfree;
	} *dpool;                       /* per decoder */
	uint8_t *b64out;                /* decoded bytes, SIG_B64_CHUNK */
	/* stream confirmation: per stream kind with such patterns a tail of
	 * SIG_CONFIRM_TAIL bytes per flow slot, and the window's scratch */
	uint8_t *tail[SK_COUNT];
	uint8_t *csubj;
	struct b64trig ctrig[8];        /* first match end of each candidate */
	uint32_t nctrig;
	struct b64trig ptrig[16];       /* probe (byte_test) positions */
	uint32_t nptrig;
	struct b64trig dtrig[8];        /* delayed patterns' first match ends */
	uint32_t ndtrig;
	uint32_t *mlist;                /* pattern ids matched by this scan */
	uint64_t *seen;                 /* the same, as a bitmap */

	uint32_t max_flows, nfree;
	struct sig_flow *flows;         /* contiguous pool (not MT_POOL_MALLOC) */
	struct sig_flow **slot;         /* slot -> flow */
	uint32_t *freeidx;              /* stack of free slots */
	struct stream_pool sp[SK_COUNT];
	struct sig_thr_table *thr;      /* some rule has a rate limit */
	const uint64_t *clock;          /* capture time (sig_thread_set_clock) */
} __attribute__((aligned(64)));

/* ---- flow entries --------------------------------------------------- */

static inline bool ent_has(const struct sig_flow *f, uint32_t ent)
{
	for (unsigned i = 0; i < f->nent; i++)
		if (f->ent[i] == ent)
			return true;
	return false;
}

static inline bool ent_add(struct sig_flow *f, uint32_t ent)
{
	if (f->nent == SIG_FLOW_SLOTS)
		return false;
	f->ent[f->nent++] = ent;
	return true;
}

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
static void drop_instance(const struct sig_engine *e, struct sig_flow *f, unsigned b)
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

static int on_match(unsigned int id, unsigned long long from,
		    unsigned long long to, unsigned int flags, void *ctx)
{
	struct sig_thread *t = ctx;
	uint64_t bit = 1ull << (id & 63);
	uint64_t *w;

	if (id >= t->npat)
		return 0;
	/* After a gap, stream offsets no longer count from the stream's
	 * start: a position-dependent pattern cannot be trusted. */
	if (t->cur_gapped && t->e->pat[id].absolute)
		return 0;
	/* a long isdataat: the match counts when its bytes have arrived */
	if (t->e->pat[id].delay) {
		for (uint32_t i = 0; i < t->ndtrig; i++)
			if (t->dtrig[i].pid == id)
				return 0;
		if (t->ndtrig < sizeof(t->dtrig) / sizeof(t->dtrig[0]))
			t->dtrig[t->ndtrig++] = (struct b64trig){ id, to };
		return 0;
	}
	w = &t->seen[id >> 6];
	if (!(*w & bit)) {
		*w |= bit;
		t->mlist[t->nmatch++] = id;
		/* the first match end in this scan opens the window */
		if (t->e->pat[id].b64 && t->ntrig < sizeof(t->trig) / sizeof(t->trig[0]))
			t->trig[t->ntrig++] = (struct b64trig){ id, to };
		if (t->e->pat[id].re2 && t->nctrig < sizeof(t->ctrig) / sizeof(t->ctrig[0]))
			t->ctrig[t->nctrig++] = (struct b64trig){ id, to };
		if (t->e->pat[id].probe && t->nptrig < sizeof(t->ptrig) / sizeof(t->ptrig[0]))
			t->ptrig[t->nptrig++] = (struct b64trig){ id, to };
	}
	(void)from;
	(void)flags;
	return 0;
}

static inline bool seen_now(const struct sig_thread *t, uint32_t pid)
{
	return (t->seen[pid >> 6] >> (pid & 63)) & 1;
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
				t->seen[pid >> 6] &= ~(1ull << (pid & 63));
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
static void group_matched(struct sig_thread *t, struct sig_flow *f,
			  const struct sig_inst *in, void *ctx);

static void check_instance(struct sig_thread *t, struct sig_flow *f,
			   uint32_t ii, uint32_t pid, void *ctx)
{
	const struct sig_engine *e = t->e;
	const struct sig_inst *in = &e->inst[ii];
	uint32_t fired = in->rule << 2 | ENT_FIRED;

	/* Rules with a negated condition are decided when their buffer's
	 * inspection ends (neg_decide), not on a match. */
	if (in->neg_buf >= 0 || ent_has(f, fired))
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

	if (f->passed || ent_has(f, in->rule << 2 | ENT_FIRED))
		return;
	if (!r->hdr_any && !hdr_match(r, f, in->dir))
		return;
	if (r->fb_check && !fb_checks(r, f))
		return;
	if (!ent_add(f, in->rule << 2 | ENT_FIRED))
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

/* Inside process(), completed rules wait for the end of the scan (see
 * sig_thread.pend); elsewhere they fire at once. */
static void fire(struct sig_thread *t, struct sig_flow *f,
		 const struct sig_inst *in, void *ctx)
{
	if (t->in_process && t->npend < t->cappend) {
		t->pend[t->npend++] = (uint32_t)(in - t->e->inst);
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

		if (ent_has(f, in->rule << 2 | ENT_FIRED))
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
static void process(struct sig_thread *t, struct sig_flow *f, void *ctx)
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
	for (uint32_t i = 0; i < n; i++) {
		uint32_t pid = t->mlist[i] & ~SIG_OLD_MATCH;

		t->seen[pid >> 6] &= ~(1ull << (pid & 63));
	}
	t->nmatch = 0;
}

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
static void delays_run(struct sig_thread *t, struct sig_flow *f, int k, uint64_t off,
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
static void delays_drop(struct sig_thread *t, struct sig_flow *f, int k)
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
static void probes_run(struct sig_thread *t, const uint8_t *data, size_t len, uint64_t off,
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
static void confirm_stream(struct sig_thread *t, struct sig_flow *f, unsigned k,
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
	} else {
		/* a chunk larger than the window: around the first match */
		uint64_t to = t->nctrig ? t->ctrig[0].to : off;
		size_t at = to > off ? (size_t)(to - off) : 0, s0;

		s0 = at > SIG_CONFIRM_MAX / 2 ? at - SIG_CONFIRM_MAX / 2 : 0;
		if (s0 + SIG_CONFIRM_MAX > len)
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
static void tail_push(struct sig_thread *t, struct sig_flow *f, unsigned k,
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
static void confirm_end(struct sig_thread *t, struct sig_flow *f, unsigned k, bool decide)
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
				       on_match, t);
			o = 0;
		}
	}
	if (o && hs_scan_stream(w->st, (const char *)t->b64out, (unsigned)o, 0, t->scratch,
				on_match, t) != HS_SUCCESS)
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
	hs_reset_stream(w->st, 0, t->scratch, decide ? on_match : NULL, t);
	p->free[p->nfree++] = w->st;
	w->st = NULL;
	if (t->nmatch)
		process(t, f, w->ctx);
	drop_instance(t->e, f, SIG_BUF_BASE64);
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
				process(t, f, ctx);
		}
		if (w->have == w->want || w->eq)
			win_finish(t, w, true);
	}
}

/* The stream k of f ends (decide: with what the windows decoded; else,
 * after a gap, they are dropped) — or, k == SK_COUNT, every window of f. */
static void win_end(struct sig_thread *t, struct sig_flow *f, unsigned k, bool decide)
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
		drop_instance(t->e, f, SIG_BUF_BASE64);
		return w;
	}
	t->st.base64_no_slot++;
	return NULL;
}

/* After a block scan: decode the windows it triggered straight from the
 * buffer. */
static void b64_block(struct sig_thread *t, struct sig_flow *f, const uint8_t *data,
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
			process(t, f, ctx);
		win_finish(t, w, true);
	}
}

/* After a stream scan of chunk [off, off + len) of stream k: open the
 * windows it triggered, then feed all of them. */
static void b64_stream(struct sig_thread *t, struct sig_flow *f, unsigned k, uint64_t off,
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

/* ---- stream pool ---------------------------------------------------- */

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
	if (p->nfree == 0)
		return NULL;
	p->inuse++;
	return p->free[--p->nfree];
#endif
}

/* End a stream and return its state to the pool. With report, matches
 * raised at end of stream are recorded into t (process() them after). */
static void stream_give(struct sig_thread *t, unsigned k, hs_stream_t *s,
			bool report)
{
	struct stream_pool *p = &t->sp[k];
	hs_scratch_t *scr = report ? t->scratch : NULL;
	match_event_handler cb = report ? on_match : NULL;
	hs_error_t rc;

#ifdef MT_POOL_MALLOC
	rc = hs_close_stream(s, scr, cb, t);
#else
	rc = hs_reset_stream(s, 0, scr, cb, t);
	p->free[p->nfree++] = s;
#endif
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
	t->ntrig = 0;      /* a window opened at the end would hold nothing */
	t->nptrig = 0;
	t->ndtrig = 0;
	if (f->ndel)
		delays_drop(t, f, (int)k);
	if (t->tail[k]) {
		/* end-of-stream prefilter reports are not confirmable here (no
		 * bytes): stream confirmation refuses end anchors (sig_expr.c) */
		t->nctrig = 0;
		confirm_end(t, f, k, report);
	}
	if (t->nmatch)
		process(t, f, ctx);
	/* base64 windows still open end with the stream: decoded as they are
	 * (Suricata decodes to the end of its buffer), or dropped after a gap */
	if (f->nwin)
		win_end(t, f, k, report);
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
	t->ntrig = 0;
	t->nctrig = 0;
	t->nptrig = 0;
	t->ndtrig = 0;
	while (len) {
		/* Hyperscan lengths are unsigned int. */
		unsigned n = len > (1u << 30) ? (1u << 30) : (unsigned)len;
		hs_error_t rc = hs_scan_stream(s, (const char *)data, n, 0,
					       t->scratch, on_match, t);

		if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED)
			t->st.scan_errors++;
		if (t->tail[k]) {
			confirm_stream(t, f, k, f->soff[k], data, n);
			tail_push(t, f, k, data, n);
		}
		if (t->nptrig)
			probes_run(t, data, n, f->soff[k], false);
		if (t->ndtrig || f->ndel)
			delays_run(t, f, (int)k, f->soff[k], n, false);
		if (t->nmatch)
			process(t, f, ctx);
		if (t->e->nb64dec)
			b64_stream(t, f, k, f->soff[k], data, n, ctx);
		f->soff[k] += n;
		data += n;
		len -= n;
	}
	t->cur_gapped = false;
}

/* ---- public: thread ------------------------------------------------- */

static void thread_release(struct sig_thread *t)
{
	for (uint32_t i = 0; t->slot && i < t->max_flows; i++) {
		struct sig_flow *f = t->slot[i];

		if (!f)
			continue;
		for (unsigned k = 0; f->live && k < SK_COUNT; k++)
			if (f->st[k])
				hs_close_stream(f->st[k], NULL, NULL, NULL);
#ifdef MT_POOL_MALLOC
		free(f);
#endif
	}
	for (unsigned k = 0; k < SK_COUNT; k++) {
		for (uint32_t i = 0; i < t->sp[k].nfree; i++)
			hs_close_stream(t->sp[k].free[i], NULL, NULL, NULL);
		free(t->sp[k].free);
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
	t->cappend = e->ninst * 2 + 16;
	t->pend = malloc(t->cappend * sizeof(*t->pend));
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
		t->dpool = calloc(e->nb64dec, sizeof(*t->dpool));
		if (!t->b64out || !t->win || !t->dpool)
			goto fail;
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
	for (uint32_t i = 0; i < max_flows; i++)
		t->slot[i] = &t->flows[i];
#endif
	/* Pop order 0, 1, 2, ...: the first flows share cache lines. */
	for (uint32_t i = 0; i < max_flows; i++)
		t->freeidx[i] = max_flows - 1 - i;
	t->nfree = max_flows;

	t->sp[SK_STREAM_TS].db = e->db[SIG_BUF_STREAM][SIG_DIR_TO_SERVER];
	t->sp[SK_STREAM_TC].db = e->db[SIG_BUF_STREAM][SIG_DIR_TO_CLIENT];
	t->sp[SK_DATA].db = e->db[SIG_BUF_SMTP_DATA][SIG_DIR_TO_SERVER];
	t->sp[SK_BODY].db = e->db[SIG_BUF_EMAIL_BODY][SIG_DIR_TO_SERVER];
	t->sp[SK_FILE].db = e->db[SIG_BUF_FILE_DATA][SIG_DIR_TO_SERVER];
	for (unsigned k = 0; k < SK_COUNT; k++) {
		struct stream_pool *p = &t->sp[k];

		if (!p->db)
			continue;
		p->cap = max_flows;
#ifndef MT_POOL_MALLOC
		p->free = malloc(nf * sizeof(*p->free));
		if (!p->free)
			goto fail;
		for (uint32_t i = 0; i < max_flows; i++) {
			if (hs_open_stream(p->db, 0, &p->free[i]) != HS_SUCCESS)
				goto fail;
			p->nfree++;
		}
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
	if (t->nfree == 0) {
		t->st.flows_no_state++;
		return NULL;
	}
	idx = t->freeidx[t->nfree - 1];
#ifdef MT_POOL_MALLOC
	f = malloc(sizeof(*f));
	if (!f) {
		t->st.flows_no_state++;
		return NULL;
	}
	t->slot[idx] = f;
#else
	f = t->slot[idx];
#endif
	t->nfree--;
	memset(f, 0, sizeof(*f));
	f->idx = idx;
	f->live = true;
	f->client = sig_u128_from_bytes(tup->client);
	f->server = sig_u128_from_bytes(tup->server);
	f->client_port = tup->client_port;
	f->server_port = tup->server_port;
	return f;
}

void sig_flow_close(struct sig_thread *t, struct sig_flow *f, void *ctx)
{
	if (!t || !f || !f->live)
		return;
	for (unsigned k = 0; k < SK_COUNT; k++)
		flow_stream_end(t, f, k, true, ctx);
	if (f->nwin)
		win_end(t, f, SK_COUNT, true);
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
		win_end(t, f, SK_COUNT, true);
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
	t->ntrig = 0;
	t->nptrig = 0;
	t->ndtrig = 0;
	rc = hs_scan(db, (const char *)data, (unsigned)len, 0, t->scratch,
		     on_match, t);
	if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) {
		t->st.scan_errors++;
		/* an incomplete scan cannot prove an absence */
		for (uint32_t i = 0; i < t->nmatch; i++)
			t->seen[t->mlist[i] >> 6] &= ~(1ull << (t->mlist[i] & 63));
		t->nmatch = 0;
		return;
	}
	if (t->e->nconfirm)
		confirm(t, data, len);
	if (t->nptrig)
		probes_run(t, data, len, 0, true);
	if (t->ndtrig)
		delays_run(t, f, -1, 0, len, true);
	if (t->e->neg_n[b][dir])
		neg_decide(t, f, b, dir, true, ctx);
	if (t->nmatch)
		process(t, f, ctx);
	if (t->e->nb64dec)
		b64_block(t, f, data, len, ctx);
}

static const unsigned hash_len[SIG_HASH_COUNT] = { 16, 20, 32 };

static bool hashlist_has(const struct sig_hashlist *h, const uint8_t *d)
{
	size_t lo = 0, hi = h->n, n = hash_len[h->kind];

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
		if (!seen_now(t, pid)) {
			t->seen[pid >> 6] |= 1ull << (pid & 63);
			t->mlist[t->nmatch++] = pid;
		}
	}
	if (t->nmatch)
		process(t, f, ctx);
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
	drop_instance(t->e, f, b);
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
	drop_instance(t->e, f, b);
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
