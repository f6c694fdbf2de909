/*
 * sig_scan_int.h — the matcher's per-thread and per-flow state, shared by
 * sig_scan.c (scans, rule decisions, pools) and sig_scan_win.c (matches
 * that need the bytes around them: PCRE2 confirmation on a stream window,
 * byte_test, base64_decode windows, long isdataat). Private to
 * signatures/; see sig_scan.c for the design.
 */
#ifndef MT_SIG_SCAN_INT_H
#define MT_SIG_SCAN_INT_H

#include <hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sig_internal.h"

#define SIG_FLOW_SLOTS 48

/* Match ends kept per scan (struct sig_thread.pos); more are counted
 * (match_pos_full) and those patterns' extra work is not done. */
#define SIG_POS_MAX 32

/* base64_decode windows open at once, per worker, and Hyperscan streams
 * per decoder for them; a trigger that finds none free is counted
 * (base64_no_slot). A window holds no bytes (see win_decode). */
#define SIG_B64_WINDOWS 1024
#define SIG_B64_PER_FLOW 4          /* windows one flow holds at once */
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
 * current text part, the current file, the message as sent (frame). */
enum { SK_STREAM_TS = 0, SK_STREAM_TC = 1, SK_DATA, SK_BODY, SK_FILE, SK_FDATA, SK_COUNT };

/* Stream kind of a to_server streaming buffer other than the raw stream,
 * -1 for other buffers. */
static inline int sk_of(unsigned b)
{
	switch (b) {
	case SIG_BUF_SMTP_DATA: return SK_DATA;
	case SIG_BUF_EMAIL_BODY: return SK_BODY;
	case SIG_BUF_FILE_DATA: return SK_FILE;
	case SIG_BUF_FRAME_DATA: return SK_FDATA;
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
	uint8_t nwin;                   /* base64 windows this flow holds ... */
	uint16_t wins[SIG_B64_PER_FLOW]; /* ... their slots in t->win */
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
	hs_stream_t **free;             /* streams given back, a stack */
	uint32_t nfree, cap, inuse;
	uint32_t carved;                /* streams opened in slab so far */
	size_t slot;                    /* bytes per stream in slab */
	uint8_t *slab;                  /* cap streams' state, reserved at start */
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
	const uint32_t *remap;          /* set while a raw stream reports:
					 * e->stream_remap[dir], else NULL */
	/* Rules completed during process(), fired after it in Suricata's
	 * order: pass rules, then the others, then those checking flowbits
	 * (so a bit set by this scan is seen by a check in the same scan). */
	uint32_t *pend;
	uint32_t npend;
	bool in_process;
	/* Match ends the scan that just returned reported for patterns that
	 * need them (sig_pat.pos: base64_decode and byte_test triggers,
	 * stream PCRE2 candidates, delayed matches): each pattern's first in
	 * the scan. sig_scan_win.c reads them; scans clear them. */
	struct mpos { uint32_t pid; uint64_t to; } pos[SIG_POS_MAX];
	uint32_t npos;
	struct b64win {
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
	uint16_t *wfree;                /* free slots of win, a stack */
	uint32_t nwfree;
	struct b64pool {
		hs_stream_t **free;
		uint32_t nfree;
	} *dpool;                       /* per decoder */
	uint8_t *b64out;                /* decoded bytes, SIG_B64_CHUNK */
	/* stream confirmation: per stream kind with such patterns a tail of
	 * SIG_CONFIRM_TAIL bytes per flow slot, and the window's scratch */
	uint8_t *tail[SK_COUNT];
	uint8_t *csubj;
	uint32_t *mlist;                /* pattern ids matched by this scan */
	uint64_t *seen;                 /* the same, as a bitmap */

	uint32_t max_flows, nfree;
	uint32_t fresh;                 /* slots below this have been used */
	struct sig_flow *flows;         /* contiguous pool (not MT_POOL_MALLOC) */
	struct sig_flow **slot;         /* slot -> flow */
	uint32_t *freeidx;              /* stack of slots given back */
	struct stream_pool sp[SK_COUNT];
	struct sig_thr_table *thr;      /* some rule has a rate limit */
	const uint64_t *clock;          /* capture time (sig_thread_set_clock) */
} __attribute__((aligned(64)));

/* ---- flow entries and the scan's seen set ---------------------------- */

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

static inline bool seen_now(const struct sig_thread *t, uint32_t pid)
{
	return (t->seen[pid >> 6] >> (pid & 63)) & 1;
}

/* pid joins the scan's matches (once). */
static inline void match_add(struct sig_thread *t, uint32_t pid)
{
	if (!seen_now(t, pid)) {
		t->seen[pid >> 6] |= 1ull << (pid & 63);
		t->mlist[t->nmatch++] = pid;
	}
}

/* pid leaves the scan's seen set (the caller drops it from mlist). */
static inline void seen_drop(struct sig_thread *t, uint32_t pid)
{
	t->seen[pid >> 6] &= ~(1ull << (pid & 63));
}

/* sig_scan.c */
int sig_on_match(unsigned int id, unsigned long long from, unsigned long long to,
		 unsigned int flags, void *ctx);
void sig_process(struct sig_thread *t, struct sig_flow *f, void *ctx);
void sig_drop_instance(const struct sig_engine *e, struct sig_flow *f, unsigned b);
void sig_pos_forget(struct sig_thread *t, uint32_t pid);

/* sig_scan_win.c: after a scan of bytes [off, off + len) of stream k (or a
 * block buffer: k -1, off 0), what its matches need around them. */
void sig_delays_run(struct sig_thread *t, struct sig_flow *f, int k, uint64_t off,
		    size_t len);
void sig_delays_drop(struct sig_thread *t, struct sig_flow *f, int k);
void sig_probes_run(struct sig_thread *t, const uint8_t *data, size_t len, uint64_t off,
		    bool whole);
void sig_confirm_stream(struct sig_thread *t, struct sig_flow *f, unsigned k,
			uint64_t off, const uint8_t *data, size_t len);
void sig_tail_push(struct sig_thread *t, struct sig_flow *f, unsigned k,
		   const uint8_t *data, size_t len);
void sig_confirm_end(struct sig_thread *t, struct sig_flow *f, unsigned k, bool decide);
void sig_win_end(struct sig_thread *t, struct sig_flow *f, unsigned k, bool decide);
void sig_b64_block(struct sig_thread *t, struct sig_flow *f, const uint8_t *data,
		   size_t len, void *ctx);
void sig_b64_stream(struct sig_thread *t, struct sig_flow *f, unsigned k, uint64_t off,
		    const uint8_t *data, size_t len, void *ctx);

#endif
