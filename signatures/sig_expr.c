/*
 * sig_expr.c — a rule's elements (contents with modifiers, pcre) turned
 * into the Hyperscan expressions the engine compiles: its conditions.
 *
 * Semantics follow Suricata's payload keywords exactly, or the rule is
 * refused with the reason:
 *  - offset o / depth d on a content C (absolute): C starts at or after o
 *    and ends at or before o + d (depth counts from offset). startswith
 *    is depth:len(C) offset:0; endswith: C ends where the buffer ends.
 *  - distance x / within y on C (relative to the previous element P in
 *    the same buffer): C starts at or after end(P) + x, and ends at or
 *    before end(P) + x + y (Suricata adds distance to within's window).
 *    Suricata retries every occurrence of P, so "some P followed by C in
 *    the window" is the meaning, which one regex expresses: P, then
 *    [\x00-\xff]{x, x + y - len(C)}, then C.
 *  - pcre /re/R: PCRE runs on the buffer from end(P) on, so a leading '^'
 *    (without m) anchors at end(P) and otherwise the match starts
 *    anywhere after it: P then re, or P [\x00-\xff]* re.
 *  - A run of elements where each one after the first is relative is one
 *    chain and becomes one expression. A lone content uses hs_expr_ext
 *    min/max offset (the match end lies in [o + len, o + d]); the first
 *    content of a longer chain gets a \A[\x00-\xff]{o, o + d - len} prefix.
 *  - A negated element (content:!"x") is one condition that must not
 *    match; see sig_scan.c for when that is decided.
 *  - bsize (the buffer's length L in [lo, hi]) is one more condition in its
 *    buffer: [\x00-\xff]\z with hs_expr_ext min_offset lo / max_offset
 *    hi, i.e. "the last byte is at offset L". Hyperscan reports \z at the
 *    end of a block scan and, in streaming mode, when the stream is closed
 *    (sig_stream_end), which is the length the rule means. A negated
 *    interval (bsize:!N, bsize:!N-M) is a negated condition.
 *  - Chains and groups: elements only chain within one buffer group (a
 *    repeated multi-buffer keyword starts a new group, so a relative
 *    element right after it is a first element). A condition is
 *    instance-scoped (iscope) when its group in a multi-instance buffer has
 *    other conditions, or its rule is negated: it only counts together
 *    with its group, in one instance (sig_engine.c, sig_scan.c).
 *
 *  - isdataat and negated relative one-byte contents after the last
 *    positive element of a chain become its tail (see build_tail); a pcre
 *    ending in a positive lookahead, with nothing relative after it, has
 *    the lookahead compiled as a group (struct re_scan, trailing_la).
 *
 * Refused (exactly reasoned): negative distance (the regex cannot step
 * back), distance/within on the first element of a buffer, absolute and
 * relative modifiers on one content, a content relative to a pcre (PCRE's
 * one greedy match fixes where it ends; a regex would try every end),
 * negated relative elements other than the tail's, a positive element after
 * a tail, a relative pcre with an inner start anchor or
 * a word boundary (its subject starts at end(P)), end anchors on the raw
 * stream (Suricata's raw stream has no end to anchor at), repeats over
 * SIG_REPEAT_MAX, anything Hyperscan will not compile in the buffer's mode,
 * bsize bitmasks, and bsize values no non-empty buffer can satisfy.
 *
 * Start-up code: plain malloc.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sig_internal.h"

/* A verdict key's flag (outside Hyperscan's): "does not compile exactly,
 * its prefilter form does" (build_chain). */
#define SIG_VERDICT_NOT_EXACT (1u << 30)

/* Larger bounded repeats make Hyperscan compile slowly or refuse. */
#define SIG_REPEAT_MAX 4096

struct sb {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 128;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_fmt(struct sb *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_fmt(struct sb *b, const char *fmt, ...)
{
	char tmp[96];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A literal: alphanumerics as is, \xHH else, so nothing reads as syntax. */
static void sb_literal(struct sb *b, const uint8_t *p, uint32_t len, bool nocase)
{
	static const char hex[] = "0123456789abcdef";

	for (uint32_t i = 0; i < len; i++) {
		char x[4] = { '\\', 'x', hex[p[i] >> 4], hex[p[i] & 15] };
		char l = (char)((nocase && p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);

		if (isalnum(p[i]) && p[i] < 0x80)
			sb_add(b, &l, 1);
		else
			sb_add(b, x, 4);
	}
}

static void sb_gap(struct sb *b, long lo, long hi)
{
	if (hi < 0)
		sb_fmt(b, lo ? "[\\x00-\\xff]{%ld,}" : "[\\x00-\\xff]*", lo);
	else if (hi > 0)
		sb_fmt(b, "[\\x00-\\xff]{%ld,%ld}", lo, hi);
}

/* What a pcre's text contains, outside character classes. */
struct re_scan {
	bool caret, lead_caret, end_anchor, start_anchor, top_alt;
	bool end_z;                   /* \z \Z: the subject's end, whatever m says */
	bool look_back;               /* \b \B: look at the byte before */
	bool lookbehind;              /* (?<= (?<! */
	/* Offset of a trailing positive lookahead "(?=...)" that closes the
	 * regex at its top level (no top-level '|'), or -1. For a yes/no
	 * decision, re(?=y) matches some subject exactly when re(?:y) does
	 * (the same start, the lookahead's bytes consumed instead of peeked),
	 * so when nothing relative follows — nobody looks at where the match
	 * ends — the rule may be compiled with the lookahead turned into a
	 * plain group, which Hyperscan accepts. ET's policy rules end that way
	 * ("...(?=//X[1-9])"). */
	long trailing_la;
};

static void re_scan(const uint8_t *p, uint32_t len, struct re_scan *rs)
{
	int depth = 0;
	bool cls = false;
	long open[64] = { -1 }, last_top = -1;

	memset(rs, 0, sizeof(*rs));
	rs->trailing_la = -1;
	rs->lead_caret = len && p[0] == '^';
	for (uint32_t i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (c == '\\' && i + 1 < len) {
			uint8_t n = p[++i];

			if (!cls && (n == 'z' || n == 'Z'))
				rs->end_anchor = rs->end_z = true;
			if (!cls && (n == 'A' || n == 'G'))
				rs->start_anchor = true;
			if (!cls && (n == 'b' || n == 'B'))
				rs->look_back = true;
			continue;
		}
		if (cls) {
			if (c == ']')
				cls = false;
			continue;
		}
		if (c == '[') {
			cls = true;
			/* a ']' right after '[' or '[^' is literal */
			if (i + 1 < len && p[i + 1] == '^')
				i++;
			if (i + 1 < len && p[i + 1] == ']')
				i++;
		} else if (c == '(') {
			if (depth >= 0 && depth < 64)
				open[depth] = (long)i;
			depth++;
			if (i + 3 < len && p[i + 1] == '?' && p[i + 2] == '<' &&
			    (p[i + 3] == '=' || p[i + 3] == '!'))
				rs->lookbehind = true;
		} else if (c == ')') {
			depth--;
			/* a group closing at the top level as the last byte */
			last_top = depth == 0 && i + 1 == len ? open[0] : -1;
		} else if (c == '|' && depth == 0) {
			rs->top_alt = true;
		} else if (c == '^' && i > 0) {
			rs->caret = true;
		} else if (c == '$') {
			rs->end_anchor = true;
		}
	}
	if (depth == 0 && !cls && !rs->top_alt && last_top >= 0 && len >= 4 &&
	    p[last_top + 1] == '?' && p[last_top + 2] == '=')
		rs->trailing_la = last_top;
}

static void sb_pcre(struct sb *b, const struct sig_cond *c, uint32_t skip, long la)
{
	sb_add(b, "(?", 2);
	if (c->pflags & SIG_PCRE_I)
		sb_add(b, "i", 1);
	if (c->pflags & SIG_PCRE_S)
		sb_add(b, "s", 1);
	if (c->pflags & SIG_PCRE_M)
		sb_add(b, "m", 1);
	if (c->pflags & SIG_PCRE_X)
		sb_add(b, "x", 1);
	sb_add(b, ":", 1);
	if (la >= (long)skip) {
		/* "(?=" -> "(?:" (see struct re_scan, trailing_la) */
		sb_add(b, (const char *)c->bytes + skip, (size_t)la + 2 - skip);
		sb_add(b, ":", 1);
		sb_add(b, (const char *)c->bytes + la + 3, c->len - (uint32_t)la - 3);
	} else {
		sb_add(b, (const char *)c->bytes + skip, c->len - skip);
	}
	/* with x, a trailing "# comment" would swallow the ')' */
	if (c->pflags & SIG_PCRE_X)
		sb_add(b, "\n", 1);
	sb_add(b, ")", 1);
}

static int efail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int efail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int try_compile_fl(const struct sig_expr *x, unsigned fl, struct sig_set *s,
			  char *err, size_t errlen);

/* A new expression matching buffer buf's first byte (match end 1): what a
 * base64_decode or a byte_test/byte_jump from the buffer's start is found
 * through. NULL when out of memory. */
static struct sig_expr *start_trigger(struct sig_rule *r, uint8_t buf, uint16_t group)
{
	struct sig_expr *x = &r->expr[r->nexpr];

	memset(x, 0, sizeof(*x));
	x->re = strdup("[\\x00-\\xff]");
	if (!x->re)
		return NULL;
	r->nexpr++;
	x->buf = buf;
	x->group = group;
	x->max_off = 1;
	x->absolute = true;
	return x;
}

/* Try the expression alone in its buffer's mode: what Hyperscan refuses
 * is a skipped rule, never an engine that fails to build. */
static int try_compile(const struct sig_expr *x, struct sig_set *s, char *err, size_t errlen)
{
	return try_compile_fl(x, x->hsflags, s, err, errlen);
}

/*
 * The expression text is also valid PCRE2 (the pcre parts are PCRE's own
 * syntax; the glue is \A, \z, (?i:), [\x00-\xff]{m,n}). What Hyperscan
 * cannot compile exactly (back-references, look-around) is compiled in
 * prefilter mode (a superset of the matches) and each prefilter match is
 * confirmed by PCRE2, so the decision is PCRE's: on the whole buffer for a
 * block buffer; on a stream, on a window of the stream's last
 * SIG_CONFIRM_TAIL bytes before the packet plus the packet (sig_scan.c), so
 * a match must fit in that window, and the pattern must not depend on
 * where the buffer starts or ends (a window has neither).
 */
static int try_confirm(struct sig_expr *x, unsigned npcre, bool end_anchor, struct sig_set *s,
		       char *err,
		       size_t errlen)
{
	char hserr[128];
	pcre2_code *re;
	int ec;
	PCRE2_SIZE eo;

	snprintf(hserr, sizeof(hserr), "%s", err);
	if (sig_buf_is_stream(x->buf) && (x->absolute || end_anchor))
		return efail(err, errlen, "%s (PCRE2 confirmation on a stream needs a pattern "
			     "anchored neither at its start nor at its end)", hserr);
	/* one regex: a second pcre's \\1 would name the first one's group */
	if (npcre > 1)
		return efail(err, errlen, "%s (PCRE2 confirmation needs a single pcre per chain)",
			     hserr);
	re = pcre2_compile((PCRE2_SPTR)x->re, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
	if (!re) {
		PCRE2_UCHAR msg[96];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		return efail(err, errlen, "invalid pcre: %s", (const char *)msg);
	}
	pcre2_code_free(re);
	if (try_compile_fl(x, x->hsflags | HS_FLAG_PREFILTER, s, err, errlen) != 0)
		return -1;
	x->hsflags |= HS_FLAG_PREFILTER;
	x->confirm = true;
	return 0;
}

/* The bounded repeats {m}, {m,} and {m,n} of re (escaped braces are
 * none): the sum of each one's larger bound (at most UINT32_MAX), and the
 * largest bound in *max when max is not NULL. */
uint64_t sig_re_repeats(const char *re, unsigned long *max)
{
	uint64_t sum = 0;
	unsigned long top = 0;

	for (const char *q = re; *q; q++) {
		char *e;
		unsigned long lo, hi;

		if (*q == '\\' && q[1]) {
			q++;
			continue;
		}
		if (*q != '{' || !isdigit((unsigned char)q[1]))
			continue;
		lo = hi = strtoul(q + 1, &e, 10);
		if (*e == ',' && isdigit((unsigned char)e[1]))
			hi = strtoul(e + 1, &e, 10);
		if (hi < lo)
			hi = lo;
		top = hi > top ? hi : top;
		sum = sum + hi > UINT32_MAX ? UINT32_MAX : sum + hi;
	}
	if (max)
		*max = top;
	return sum;
}

/* Whether re has a bounded repeat over 1000 or is long: the shapes whose
 * resource limits only a real compile finds. */
static bool heavy_expr(const char *re)
{
	unsigned long top;

	if (strlen(re) > 2048)
		return true;
	sig_re_repeats(re, &top);
	return top > 1000;
}

/* The byte a "\xHH" at p stands for, or -1. */
static int esc_hex(const char *p)
{
	int hi, lo;

	if (p[0] != '\\' || p[1] != 'x' || (hi = sig_hexval(p[2])) < 0 ||
	    (lo = sig_hexval(p[3])) < 0)
		return -1;
	return hi << 4 | lo;
}

/* One character class at re[i] ('['), in the forms sig_re_surely_exact
 * accepts: not negated, no POSIX names, ranges between plain bytes in
 * order, escapes of punctuation, \xHH, \d \w \s and their negations,
 * \n \r \t. The index after its ']', or 0. */
static size_t class_plain(const char *re, size_t i)
{
	size_t n = 0;

	if (re[++i] == '^' || re[i] == ']')
		return 0;
	while (re[i] != ']') {
		int lo = -1, hi;

		if (!re[i] || re[i] == '[')
			return 0;
		if (re[i] == '\\') {
			char c = re[i + 1];

			if ((lo = esc_hex(re + i)) >= 0) {
				i += 4;
			} else if (c && strchr("dwsDWSnrt", c)) {
				i += 2;
				n++;
				continue;
			} else if (c && ispunct((unsigned char)c)) {
				lo = (unsigned char)c;
				i += 2;
			} else {
				return 0;
			}
		} else {
			lo = (unsigned char)re[i++];
		}
		n++;
		if (re[i] != '-' || re[i + 1] == ']')
			continue;
		/* a range: its upper end a plain byte or \xHH */
		if ((hi = esc_hex(re + i + 1)) >= 0) {
			i += 5;
		} else if (re[i + 1] && re[i + 1] != '\\' && re[i + 1] != '[') {
			hi = (unsigned char)re[i + 1];
			i += 2;
		} else {
			return 0;
		}
		if (hi < lo)
			return 0;
	}
	return n ? i + 1 : 0;
}

/*
 * Whether Hyperscan surely compiles re exactly, found from its text alone:
 * a sequence of single-byte atoms (printable bytes that are not syntax,
 * escaped punctuation, \xHH, \n \r \t, \d \w \s and their negations,
 * '.', plain classes) in groups "(", "(?:" or "(?i:" and the like (flags
 * i, m, s), with no quantifier, alternation or anchor, at least one atom
 * and at most 2,048 bytes. Its width is then its atom count, so it cannot
 * match empty, and nothing in it is what Hyperscan refuses; asking
 * hs_expression_ext_info about it took 68 us each, 26 of the 37 ms the
 * xgen rules took to load without a cache (387 of their 454 checks). Any
 * other text goes to Hyperscan. test_sig_rules holds this against
 * Hyperscan on thousands of random texts.
 */
bool sig_re_surely_exact(const char *re)
{
	size_t atoms = 0, i = 0;
	int depth = 0;

	if (strlen(re) > 2048)
		return false;
	while (re[i]) {
		unsigned char c = (unsigned char)re[i];

		if (c == '(') {
			if (re[i + 1] == '?') {
				size_t k = i + 2;

				while (re[k] == 'i' || re[k] == 'm' || re[k] == 's')
					k++;
				if (re[k] != ':')
					return false;
				i = k + 1;
			} else {
				i++;
			}
			depth++;
			continue;
		}
		if (c == ')') {
			if (--depth < 0)
				return false;
			i++;
			continue;
		}
		if (c == '[') {
			size_t e = class_plain(re, i);

			if (!e)
				return false;
			i = e;
		} else if (c == '\\') {
			char d = re[i + 1];

			if (esc_hex(re + i) >= 0)
				i += 4;
			else if (d && (strchr("dwsDWSnrt", d) || ispunct((unsigned char)d)))
				i += 2;
			else
				return false;
		} else if (c == '.' || (c >= 0x20 && c < 0x7f && !strchr("^$|*+?{}[]\\", c))) {
			i++;
		} else {
			return false;
		}
		atoms++;
	}
	return depth == 0 && atoms > 0;
}

/*
 * Hyperscan's verdict on one expression in its buffer's mode. Its
 * analysis (hs_expression_ext_info) finds what it does not support — the
 * syntax, look-around, back-references, repeats too large — at a tenth
 * of the cost of compiling a database, which for 10,000 rules is the
 * difference between a second and ten. Expressions whose resource limits
 * only a compile finds (long ones, large bounded repeats) are compiled.
 */
static int try_compile_fl(const struct sig_expr *x, unsigned fl, struct sig_set *s,
			  char *err, size_t errlen)
{
	hs_database_t *db = NULL;
	hs_compile_error_t *ce = NULL;
	hs_expr_ext_t ext = { 0 };
	const hs_expr_ext_t *exts[1] = { &ext };
	hs_expr_info_t *info = NULL;
	unsigned id = 0;
	int rc = 0;

	uint8_t vk[16];
	bool keyed;

	if (!x->min_off && !x->max_off && !(fl & HS_FLAG_PREFILTER) && sig_re_surely_exact(x->re))
		return 0;
	keyed = s && sig_verdict_key(x->re, fl, x->min_off, x->max_off,
				     sig_buf_is_stream(x->buf), vk) == 0;
	if (keyed && sig_verdict_known(s, vk))
		return 0;
	if (x->min_off) {
		ext.flags |= HS_EXT_FLAG_MIN_OFFSET;
		ext.min_offset = x->min_off;
	}
	if (x->max_off) {
		ext.flags |= HS_EXT_FLAG_MAX_OFFSET;
		ext.max_offset = x->max_off;
	}
	if (hs_expression_ext_info(x->re, fl, &ext, &info, &ce) != HS_SUCCESS) {
		rc = efail(err, errlen, "not supported by Hyperscan: %s",
			   ce ? ce->message : "compile failed");
		hs_free_compile_error(ce);
		return rc;
	}
	if (info->min_width == 0 && !(fl & HS_FLAG_ALLOWEMPTY)) {
		/* what the compiler says, which the analysis does not */
		free(info);
		return efail(err, errlen, "not supported by Hyperscan: Pattern matches empty "
			     "buffer; use HS_FLAG_ALLOWEMPTY to enable support.");
	}
	free(info);
	if (!heavy_expr(x->re)) {
		if (keyed)
			sig_verdict_add(s, vk);
		return 0;
	}
	if (hs_compile_ext_multi((const char *const *)&x->re, &fl, &id, exts, 1,
				 sig_buf_is_stream(x->buf) ? HS_MODE_STREAM : HS_MODE_BLOCK,
				 NULL, &db, &ce) != HS_SUCCESS) {
		rc = efail(err, errlen, "not supported by Hyperscan: %s",
			   ce ? ce->message : "compile failed");
	} else if (keyed) {
		sig_verdict_add(s, vk);
	}
	hs_free_compile_error(ce);
	hs_free_database(db);
	return rc;
}

/*
 * The tail of a chain: conditions after its last positive element that
 * look at the bytes following the cursor (the end of that element's match)
 * without moving it — isdataat:N,relative (at least N bytes follow; lt: the
 * negated form, fewer than lt follow) and one negated one-byte content with
 * within:M (that byte is not among the next M bytes, or among those there
 * are when the buffer ends sooner; Suricata clips the window to the
 * buffer). With R the bytes after the cursor, the tail holds when
 *   R >= need and the first min(R, M) bytes are not the byte,
 * which is, for M > need, "[^b]{M} | [^b]{need,M-1}\z", and for
 * M <= need "[^b]{M}[\x00-\xff]{need-M}". The raw stream has no end
 * (see sig_buf_is_stream users), so there only the full window counts.
 * Repeats are bounded by SIG_TAIL_MAX: Hyperscan's compile time and
 * stream state grow with them.
 */
#define SIG_TAIL_MAX 8192

struct tail {
	bool on;
	int cls;                         /* the negated byte, -1 none */
	bool nocase;
	long within, need, lt;
};

/* cls repeated lo..hi times (nothing when hi is 0: Hyperscan refuses
 * {0,0}). */
static void sb_rep(struct sb *b, const char *cls, long lo, long hi)
{
	if (hi == 0)
		return;
	if (lo == hi)
		sb_fmt(b, "%s{%ld}", cls, lo);
	else
		sb_fmt(b, "%s{%ld,%ld}", cls, lo, hi);
}

/* Bytes that must follow a match beyond this are not a repeat but a
 * delay: the match counts once that many more bytes have arrived. */
#define SIG_DELAY_FROM 1024
#define SIG_DELAY_MAX (1u << 24)

static int build_tail(struct sb *b, const struct tail *tin, bool rawstream, uint32_t *delay,
		      char *err, size_t errlen)
{
	char cls[24];
	struct tail tt = *tin;
	const struct tail *t = &tt;
	long rest = tt.need - (tt.cls >= 0 ? tt.within : 0);

	/* "N more bytes, whatever they are": a delay, not [\x00-\xff]{N} */
	if (!tt.lt && rest > SIG_DELAY_FROM && (tt.cls < 0 || tt.within <= tt.need)) {
		if (rest > (long)SIG_DELAY_MAX)
			return efail(err, errlen, "isdataat over %u not supported", SIG_DELAY_MAX);
		*delay = (uint32_t)rest;
		tt.need -= rest;
	}
	if (t->need > SIG_TAIL_MAX || t->within > SIG_TAIL_MAX || t->lt > SIG_TAIL_MAX)
		return efail(err, errlen, "isdataat/within over %d after a match not supported",
			     SIG_TAIL_MAX);
	if (t->lt) {
		sb_rep(b, "[\\x00-\\xff]", 0, t->lt - 1);
		sb_add(b, "\\z", 2);
		return 0;
	}
	if (t->cls < 0) {
		sb_rep(b, "[\\x00-\\xff]", t->need, t->need);
		return 0;
	}
	{
		int c = t->cls, o = c;

		if (t->nocase && c >= 'A' && c <= 'Z')
			o = c + 32;
		else if (t->nocase && c >= 'a' && c <= 'z')
			o = c - 32;
		snprintf(cls, sizeof(cls), "[^\\x%02x\\x%02x]", (unsigned)c, (unsigned)o);
	}
	if (t->within <= t->need) {
		sb_rep(b, cls, t->within, t->within);
		sb_rep(b, "[\\x00-\\xff]", t->need - t->within, t->need - t->within);
	} else if (rawstream) {
		sb_rep(b, cls, t->within, t->within);
	} else {
		sb_add(b, "(?:", 3);
		sb_rep(b, cls, t->within, t->within);
		sb_add(b, "|", 1);
		sb_rep(b, cls, t->need, t->within - 1);
		sb_add(b, "\\z)", 3);
	}
	return 0;
}

/*
 * A content in a transformed buffer (see enum sig_xform) as a regex on the
 * untransformed bytes. Exact because each transform maps bytes one way:
 * the transformed buffer holds the content exactly when the buffer holds
 * its bytes in order with only whitespace between them (strip), with a
 * whitespace run for each space (compress), in any case (lower, upper).
 */
static int build_xform(const struct sig_cond *c, bool single, struct sig_expr *x,
		       struct sig_set *s, char *err, size_t errlen)
{
	struct sb b = { 0 };
	bool nocase = (c->flags & SIG_COND_NOCASE) || (c->xform & (SIG_XF_LOWER | SIG_XF_UPPER));

	memset(x, 0, sizeof(*x));
	x->buf = c->buf;
	x->group = c->group;
	x->neg = (c->flags & SIG_COND_NEGATED) != 0;
	if (!single || (c->flags & (SIG_COND_STARTSWITH | SIG_COND_ENDSWITH)) ||
	    c->depth != SIG_COND_UNSET || c->offset != SIG_COND_UNSET)
		return efail(err, errlen, "positions in a transformed buffer not supported");
	for (uint32_t i = 0; i < c->len; i++) {
		uint8_t ch = c->bytes[i];
		bool ws = ch == ' ' || (ch >= '\t' && ch <= '\r');

		const char *why = NULL;

		if ((c->xform & SIG_XF_STRIP) && ws)
			why = "content with whitespace never matches after strip_whitespace";
		else if ((c->xform & SIG_XF_COMPRESS) && ws &&
			 (ch != ' ' || (i && c->bytes[i - 1] == ' ')))
			why = "content never matches after compress_whitespace";
		else if ((c->xform & SIG_XF_LOWER) && ch >= 'A' && ch <= 'Z')
			why = "content with uppercase never matches after to_lowercase";
		else if ((c->xform & SIG_XF_UPPER) && ch >= 'a' && ch <= 'z')
			why = "content with lowercase never matches after to_uppercase";
		if (why) {
			free(b.p);
			return efail(err, errlen, "%s", why);
		}
		if ((c->xform & SIG_XF_STRIP) && i)
			sb_add(&b, "\\s*", 3);
		if ((c->xform & SIG_XF_COMPRESS) && ch == ' ')
			sb_add(&b, "\\s+", 3);
		else
			sb_literal(&b, &ch, 1, nocase);
	}
	if (b.oom || !b.p) {
		free(b.p);
		return efail(err, errlen, "out of memory");
	}
	x->re = b.p;
	if (nocase)
		x->hsflags |= HS_FLAG_CASELESS;
	if (try_compile(x, s, err, errlen) != 0) {
		free(x->re);
		x->re = NULL;
		return -1;
	}
	return 0;
}

/* Fail from build_chain, freeing the expression built so far. */
#define CFAIL(...) do { free(b.p); return efail(err, errlen, __VA_ARGS__); } while (0)

/* One chain cond[i..j) (same buffer; every element after i relative). */
static int build_chain(const struct sig_cond *cv, uint32_t i, uint32_t j,
		       struct sig_expr *x, struct sig_set *s, char *err, size_t errlen)
{
	const struct sig_cond *c0 = &cv[i];
	bool single = j == i + 1, literal = true;
	unsigned has_pcre = 0;
	struct sb b = { 0 };
	long o, d;
	/* The tail after the last positive element (see build_tail). */
	struct tail t = { .cls = -1 };
	bool cursor_pcre = false;        /* the cursor is a pcre's match end */
	bool end_anchor = false;         /* some element looks at the end */

	if (c0->xform || (j > i + 1 && cv[i + 1].xform))
		return build_xform(c0, single, x, s, err, errlen);
	memset(x, 0, sizeof(*x));
	x->buf = c0->buf;
	x->group = c0->group;
	x->neg = (c0->flags & SIG_COND_NEGATED) != 0;
	if (x->neg && !single)
		CFAIL("relative match after a negated element not supported");
	if (sig_cond_is_relative(c0))
		CFAIL("%s on the first element of buffer '%s' not supported",
			     (c0->flags & SIG_COND_PCRE) ? "pcre R" : "distance/within",
			     sig_buf_name(c0->buf));
	for (uint32_t k = i; k < j; k++) {
		const struct sig_cond *c = &cv[k];
		bool pcre = (c->flags & SIG_COND_PCRE) != 0;
		bool absmod = c->depth != SIG_COND_UNSET || c->offset != SIG_COND_UNSET;
		bool sw = (c->flags & SIG_COND_STARTSWITH) != 0;
		bool ew = (c->flags & SIG_COND_ENDSWITH) != 0;
		struct re_scan rs;

		if (c->flags & SIG_COND_ISDATAAT) {
			if (cursor_pcre)
				CFAIL("isdataat relative to a pcre not supported");
			if (t.lt || (c->flags & SIG_COND_NEGATED && (t.need || t.cls >= 0)))
				CFAIL("negated isdataat combined with another tail condition "
				      "not supported");
			if (c->flags & SIG_COND_NEGATED) {
				if (c->buf == SIG_BUF_STREAM)
					CFAIL("negated isdataat relative on the raw stream not "
					      "supported (it has no end)");
				if (c->offset == 0)
					CFAIL("isdataat:!0,relative can never match");
				t.lt = c->offset;
				end_anchor = true;
			} else if (c->offset > t.need) {
				t.need = c->offset;
			}
			t.on = true;
			continue;
		}
		if (k > i && (c->flags & SIG_COND_NEGATED)) {
			if (pcre || cursor_pcre)
				CFAIL("negated element relative to or as a pcre not supported");
			if (c->len != 1)
				CFAIL("negated relative content longer than one byte not supported");
			if (c->distance != SIG_COND_UNSET && c->distance != 0)
				CFAIL("negated relative content with a distance not supported");
			if (c->within == SIG_COND_UNSET)
				CFAIL("negated relative content without within not supported");
			if (t.cls >= 0 || t.lt)
				CFAIL("two negated tail conditions not supported");
			t.cls = c->bytes[0];
			t.nocase = (c->flags & SIG_COND_NOCASE) != 0;
			t.within = c->within;
			t.on = true;
			continue;
		}
		if (t.on)
			CFAIL("a match after isdataat or a negated relative content not supported");
		if (ew && k + 1 < j)
			CFAIL("endswith on a content that a relative element follows");
		if (ew && c->buf == SIG_BUF_STREAM)
			CFAIL("endswith on the raw stream not supported "
				     "(it has no end to anchor at)");
		if (sw && absmod)
			CFAIL("startswith cannot be combined with depth/offset");
		if (k > i && (absmod || sw))
			CFAIL("%s cannot be combined with distance/within",
				     sw ? "startswith" : "depth/offset");
		if (pcre) {
			uint32_t skip = 0;
			long la;

			literal = false;
			has_pcre++;
			re_scan(c->bytes, c->len, &rs);
			end_anchor = end_anchor || rs.end_anchor;
			/* With m, '$' is the end of a line, which the raw stream
			 * has (and its end, for Hyperscan, is the flow's); \z
			 * and a '$' without m look for an end it does not have. */
			if (c->buf == SIG_BUF_STREAM &&
			    (rs.end_z || (rs.end_anchor && !(c->pflags & SIG_PCRE_M))))
				CFAIL("pcre end anchor on the raw stream not supported "
					     "(it has no end to anchor at)");
			/* the last element: its match end is not looked at */
			la = k + 1 == j ? rs.trailing_la : -1;
			cursor_pcre = true;
			if (k == i) {
				x->absolute = x->absolute || rs.lead_caret || rs.caret ||
					rs.start_anchor;
				sb_pcre(&b, c, 0, la);
				continue;
			}
			if (rs.caret || rs.start_anchor || (rs.lead_caret && rs.top_alt))
				CFAIL("relative pcre with an inner start anchor not supported");
			/* PCRE's subject starts at end(P): a word boundary there
			 * cannot see the byte before, a regex would. */
			if (rs.look_back)
				CFAIL("relative pcre with \\b or \\B not supported");
			if (rs.lookbehind)
				CFAIL("relative pcre with a lookbehind not supported");
			if (rs.lead_caret) {
				skip = 1;
				/* with m, '^' also matches after any newline */
				if (c->pflags & SIG_PCRE_M)
					sb_add(&b, "(?:[\\x00-\\xff]*\\n)?", 19);
			} else {
				sb_add(&b, "[\\x00-\\xff]*", 12);
			}
			sb_pcre(&b, c, skip, la);
			continue;
		}
		if (k > i && (cv[k - 1].flags & SIG_COND_PCRE))
			CFAIL("content relative to a pcre not supported");
		if (k == i) {
			o = c->offset == SIG_COND_UNSET ? 0 : c->offset;
			d = c->depth == SIG_COND_UNSET ? -1 : c->depth;
			if (sw)
				d = (long)c->len;
			if (d >= 0 && d < (long)c->len)
				CFAIL("depth %ld smaller than content length %u",
					     d, c->len);
			if (o > 0 || d >= 0)
				x->absolute = true;
			if (single) {
				if (o > 0)
					x->min_off = (unsigned long long)(o + (long)c->len);
				if (d >= 0)
					x->max_off = (unsigned long long)(o + d);
			} else if (o > 0 || d >= 0) {
				long hi = d >= 0 ? o + d - (long)c->len : -1;

				if (o > SIG_REPEAT_MAX || hi > SIG_REPEAT_MAX)
					CFAIL("offset/depth over %d before a relative "
						     "match not supported", SIG_REPEAT_MAX);
				sb_add(&b, "\\A", 2);
				if (hi == 0)
					;
				else
					sb_gap(&b, o, hi);
			}
		} else {
			long x0 = c->distance == SIG_COND_UNSET ? 0 : c->distance;
			long hi = -1;

			if (x0 < 0)
				CFAIL("negative distance not supported");
			if (c->within != SIG_COND_UNSET) {
				if (c->within < (long)c->len)
					CFAIL("within %d smaller than content length %u",
						     c->within, c->len);
				hi = x0 + c->within - (long)c->len;
			}
			if (x0 > SIG_REPEAT_MAX || hi > SIG_REPEAT_MAX)
				CFAIL("distance/within over %d not supported",
					     SIG_REPEAT_MAX);
			sb_gap(&b, x0, hi);
			literal = false;
		}
		if ((c->flags & SIG_COND_NOCASE) && !single)
			sb_add(&b, "(?i:", 4);
		sb_literal(&b, c->bytes, c->len, (c->flags & SIG_COND_NOCASE) != 0);
		if ((c->flags & SIG_COND_NOCASE) && !single)
			sb_add(&b, ")", 1);
		if (single && (c->flags & SIG_COND_NOCASE))
			x->hsflags |= HS_FLAG_CASELESS;
		if (ew) {
			sb_add(&b, "\\z", 2);
			literal = false;
			end_anchor = true;
		}
		cursor_pcre = false;
	}
	if (t.on) {
		if (build_tail(&b, &t, c0->buf == SIG_BUF_STREAM, &x->delay, err, errlen) != 0) {
			free(b.p);
			return -1;
		}
		literal = false;
		/* a window clipped at the end of the buffer: \z */
		if (t.cls >= 0 && c0->buf != SIG_BUF_STREAM && t.within > t.need)
			end_anchor = true;
	}
	if (b.oom || !b.p)
		CFAIL("out of memory");
	x->re = b.p;
	if (!literal) {
		/* A pcre Hyperscan cannot compile exactly (look-around,
		 * back-references) is confirmed; that the exact compile fails
		 * is a verdict too, kept beside the others, or every start
		 * asks Hyperscan again: 40 ms of a 55 ms start on the
		 * benchmark's Suricata rules, 500 of which are such pcres. */
		uint8_t nk[16];
		bool confirmable = has_pcre && !x->min_off && !x->max_off;
		bool nkeyed = confirmable && s &&
			      sig_verdict_key(x->re, x->hsflags | SIG_VERDICT_NOT_EXACT, 0, 0,
					      sig_buf_is_stream(x->buf), nk) == 0;
		bool not_exact = nkeyed && sig_verdict_known(s, nk);

		if (not_exact)
			snprintf(err, errlen, "not supported by Hyperscan exactly");
		if (not_exact || try_compile(x, s, err, errlen) != 0) {
			if (!confirmable ||
			    try_confirm(x, has_pcre, end_anchor, s, err, errlen) != 0) {
				free(x->re);
				x->re = NULL;
				return -1;
			}
			if (nkeyed && !not_exact)
				sig_verdict_add(s, nk);
		}
	}
	return 0;
}

#undef CFAIL

/*
 * Like Suricata (detect-bsize.c), refuse a rule whose bsize conditions on
 * one buffer group have no common length, or whose content needs more
 * bytes than bsize allows: it could never match.
 */
static int bsize_check(const struct sig_rule *r, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < r->nbsz; i++) {
		const struct sig_bsize *a = &r->bsz[i];
		uint64_t lo = 1, hi = SIG_BSIZE_INF;

		for (uint32_t j = 0; j < r->nbsz; j++) {
			const struct sig_bsize *b = &r->bsz[j];

			if (b->neg || b->buf != a->buf || b->group != a->group)
				continue;
			lo = b->lo > lo ? b->lo : lo;
			hi = b->hi < hi ? b->hi : hi;
		}
		if (lo > hi)
			return efail(err, errlen, "bsize values of buffer '%s' exclude each other",
				     sig_buf_name(a->buf));
		for (uint32_t j = 0; j < r->ncond; j++) {
			const struct sig_cond *c = &r->cond[j];
			uint64_t need = c->len;

			if (c->buf != a->buf || c->group != a->group ||
			    (c->flags & (SIG_COND_NEGATED | SIG_COND_PCRE)) || sig_cond_is_relative(c))
				continue;
			if (c->offset != SIG_COND_UNSET)
				need += (uint64_t)c->offset;
			if (need > hi)
				return efail(err, errlen, "content needs %llu bytes but bsize "
					     "allows at most %llu", (unsigned long long)need,
					     (unsigned long long)hi);
		}
	}
	return 0;
}

/* ---- bsize values --------------------------------------------------- */

static void skip_blank(const char **p, const char *end)
{
	while (*p < end && **p == ' ')
		(*p)++;
}

/*
 * One integer as Suricata's integer keywords read it (rust/src/detect/
 * uint.rs): "0x" hex, or decimal with an optional case-insensitive unit
 * kb/kib (1024), mb/mib, gb/gib. False on no digits or overflow.
 */
static bool u64_value(const char **pp, const char *end, uint64_t *out)
{
	static const struct { const char *u; uint64_t m; } units[] = {
		{ "kib", 1ull << 10 }, { "kb", 1ull << 10 }, { "mib", 1ull << 20 },
		{ "mb", 1ull << 20 }, { "gib", 1ull << 30 }, { "gb", 1ull << 30 },
	};
	const char *p = *pp;
	uint64_t v = 0;
	int nd = 0;

	if (end - p > 2 && p[0] == '0' && p[1] == 'x' && sig_hexval(p[2]) >= 0) {
		for (p += 2; p < end && sig_hexval(*p) >= 0; p++) {
			if (v >> 60)
				return false;
			v = v << 4 | (uint64_t)sig_hexval(*p);
		}
		*pp = p;
		*out = v;
		return true;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++, nd++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (!nd)
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t ul = strlen(units[i].u);

		if ((size_t)(end - p) >= ul && strncasecmp(p, units[i].u, ul) == 0) {
			if (v > UINT64_MAX / units[i].m)
				return false;
			v *= units[i].m;
			p += ul;
			break;
		}
	}
	*pp = p;
	*out = v;
	return true;
}

/*
 * bsize:N (=N), !N (!=N), <N, <=N, >N, >=N, N-M or N<>M (exclusive, M > N +
 * 1), !N-M (negated range), blanks allowed around the operators, as
 * Suricata's integer keywords parse them; its bitmask forms (&M=V) are
 * refused. The allowed lengths become one interval [lo, hi] with lo >= 1
 * (an empty buffer is never scanned) or, for != and negated ranges whose
 * excluded interval lies strictly inside, a negated interval.
 */
int sig_bsize_parse(const char *text, size_t len, struct sig_bsize *out,
		    char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *q;
	int show = (int)(len > 64 ? 64 : len);
	uint64_t a1 = 0, a2 = 0, lo = 0, hi = 0;
	bool neg = false, ok = false;

	memset(out, 0, sizeof(*out));
	skip_blank(&p, end);
	if (p < end && *p == '&')
		return efail(err, errlen, "bsize bitmask not supported");
	/* [!]N (-|<>) M */
	q = p;
	if (q < end && *q == '!')
		q++;
	if (u64_value(&q, end, &a1)) {
		skip_blank(&q, end);
		if (q < end && (*q == '-' || (end - q >= 2 && q[0] == '<' && q[1] == '>'))) {
			q += *q == '-' ? 1 : 2;
			skip_blank(&q, end);
			if (u64_value(&q, end, &a2) && a2 > a1 && a2 - a1 > 1) {
				neg = *p == '!';
				lo = a1 + 1;
				hi = a2 - 1;
				p = q;
				ok = true;
			}
		}
	}
	if (!ok) {
		static const char *const ops[] = { ">=", "<=", ">", "<", "!=", "!", "=" };
		const char *op = "=";

		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			if ((size_t)(end - p) >= strlen(ops[i]) &&
			    strncmp(p, ops[i], strlen(ops[i])) == 0) {
				op = ops[i];
				p += strlen(ops[i]);
				break;
			}
		}
		skip_blank(&p, end);
		ok = u64_value(&p, end, &a1);
		lo = hi = a1;
		if (op[0] == '!') {
			neg = true;
		} else if (op[0] == '<') {
			/* Suricata refuses <0 and <=max */
			ok = ok && (op[1] ? a1 != UINT64_MAX : a1 != 0);
			lo = 0;
			hi = op[1] || !ok ? a1 : a1 - 1;
		} else if (op[0] == '>') {
			ok = ok && (op[1] ? a1 != 0 : a1 != UINT64_MAX);
			lo = op[1] || !ok ? a1 : a1 + 1;
			hi = SIG_BSIZE_INF;
		}
	}
	skip_blank(&p, end);
	if (!ok || p != end)
		return efail(err, errlen, "invalid bsize '%.*s'", show, text);
	if (neg && lo <= 1) {
		/* not in [0, hi], for a length >= 1: above hi */
		if (hi == SIG_BSIZE_INF)
			return efail(err, errlen, "bsize '%.*s' can never match", show, text);
		lo = hi + 1;
		hi = SIG_BSIZE_INF;
		neg = false;
	} else if (neg && hi == SIG_BSIZE_INF) {
		hi = lo - 1;
		lo = 1;
		neg = false;
	}
	if (!neg && lo < 1)
		lo = 1;
	if (!neg && hi < lo)
		return efail(err, errlen, "bsize '%.*s' only matches an empty buffer, "
			     "which is never inspected", show, text);
	out->lo = lo;
	out->hi = hi;
	out->neg = neg;
	return 0;
}

void sig_rule_exprs_free(struct sig_rule *r)
{
	for (uint32_t i = 0; i < r->nexpr; i++)
		free(r->expr[i].re);
	free(r->expr);
	r->expr = NULL;
	r->nexpr = 0;
}

/*
 * Implied contents. A rule with a content C and a pcre P in the same
 * buffer (group), where every match of P contains C's bytes, needs no
 * condition for C: wherever P matches, C is there, inside P's match, so
 * the rule fires where it did (at P's match end, which is never before
 * C's). Hyperscan then scans for one pattern less; rules written as
 * `content:"short"; pcre:"/...short.../"` (the content as Suricata's fast
 * pattern) are common, and their short content is the kind that passes
 * Hyperscan's first-stage filter most often: on the second generator's
 * 1,000 rules, dropping such contents took a third off the file.data scan.
 *
 * "Every match contains" is decided conservatively on P's text: the
 * runs of literal characters at the top level of the pattern (outside
 * groups and classes, a one-character class counting as its character,
 * none made optional by ?, * or {), when the pattern
 * has no alternation, no x flag and no inline option change; C must be
 * inside one run (case-insensitively when C is nocase; a P with /i implies
 * only a nocase C).
 * C must be a plain content: positive, alone (no chain, no offset, depth,
 * startswith, endswith, transform), not what a byte_test or base64_decode
 * is relative to. Not on the raw stream, whose conditions last for the
 * transaction they matched in: P's match may begin in an earlier one.
 */
static bool lit_eq(uint8_t a, uint8_t b, bool ci)
{
	return a == b || (ci && tolower(a) == tolower(b));
}

/* Just past the class that opens at re[i] ('['): a ']' right after '[' or
 * "[^" is a member. */
static uint32_t class_end(const uint8_t *re, uint32_t i, uint32_t n)
{
	uint32_t j = i + 1;

	if (j < n && re[j] == '^')
		j++;
	if (j < n && re[j] == ']')
		j++;
	while (j < n && re[j] != ']')
		j += re[j] == '\\' ? 2 : 1;
	return j + 1;
}

static bool pcre_contains(const struct sig_cond *p, const uint8_t *c, uint32_t clen,
			  bool c_nocase)
{
	const uint8_t *re = p->bytes;
	uint32_t n = p->len, depth = 0, run = 0;
	uint8_t lit[256];

	/* a caseless P implies C's bytes in some case only */
	if (p->pflags & SIG_PCRE_X || ((p->pflags & SIG_PCRE_I) && !c_nocase))
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (re[i] == '|' || (re[i] == '(' && i + 2 < n && re[i + 1] == '?' &&
				     (isalpha(re[i + 2]) || re[i + 2] == '-' || re[i + 2] == '^')))
			return false;
	for (uint32_t i = 0; i <= n; i++) {
		int ch = -1;            /* the literal at i, or -1: the run ends */
		uint32_t next = i + 1;

		if (i < n && depth == 0) {
			uint8_t b = re[i];

			if (b == '\\') {
				if (i + 1 < n && !isalnum(re[i + 1])) {
					ch = re[i + 1];
					next = i + 2;
				} else {
					next = i + 2;
				}
			} else if (b == '[') {
				/* a class of one character ("[.]", "[\\.]", as
				 * rules write a dot that must not match itself)
				 * is that character; another class ends the run */
				if (i + 2 < n && re[i + 1] != '^' && re[i + 1] != '\\' &&
				    re[i + 1] != '[' && re[i + 2] == ']') {
					ch = re[i + 1];
					next = i + 3;
				} else if (i + 3 < n && re[i + 1] == '\\' && !isalnum(re[i + 2]) &&
					   re[i + 3] == ']') {
					ch = re[i + 2];
					next = i + 4;
				} else {
					next = class_end(re, i, n);
				}
			} else if (b == '(') {
				depth = 1;
			} else if (!strchr(".^$)?*+{}", b)) {
				ch = b;
			}
			/* a quantifier after the literal: ?, * and { make it
			 * optional (drop it); + keeps it, then the run ends */
			if (ch >= 0 && next < n && strchr("?*{+", re[next])) {
				if (re[next] == '+' && run < sizeof(lit))
					lit[run++] = (uint8_t)ch;
				ch = -1;
			}
		} else if (i < n) {
			/* inside a group: skip it whole */
			if (re[i] == '\\')
				next = i + 2;
			else if (re[i] == '[')
				next = class_end(re, i, n);
			else if (re[i] == '(')
				depth++;
			else if (re[i] == ')')
				depth--;
		}
		if (ch >= 0 && run < sizeof(lit)) {
			lit[run++] = (uint8_t)ch;
		} else if (run) {
			/* the run ends: is C inside it? */
			for (uint32_t k = 0; k + clen <= run; k++) {
				uint32_t m = 0;

				while (m < clen && lit_eq(lit[k + m], c[m], c_nocase))
					m++;
				if (m == clen)
					return true;
			}
			run = 0;
		}
		if (next > i + 1)
			i = next - 1;
	}
	return false;
}

/* Whether cond k is a chain of its own: not relative to the one before,
 * and the next one in its buffer group not relative to it. */
static bool cond_alone(const struct sig_rule *r, uint32_t k)
{
	const struct sig_cond *c = &r->cond[k];

	return !sig_cond_is_relative(c) &&
	       !(k + 1 < r->ncond && r->cond[k + 1].buf == c->buf &&
		 r->cond[k + 1].group == c->group && sig_cond_is_relative(&r->cond[k + 1]));
}

/* Whether cond i is a content some pcre of the rule implies (above). */
static bool content_implied(const struct sig_rule *r, uint32_t i)
{
	const struct sig_cond *c = &r->cond[i];

	if (c->flags & (SIG_COND_PCRE | SIG_COND_NEGATED | SIG_COND_STARTSWITH |
			SIG_COND_ENDSWITH | SIG_COND_ISDATAAT) ||
	    c->xform || c->len == 0 || c->buf == SIG_BUF_STREAM ||
	    c->depth != SIG_COND_UNSET || c->offset != SIG_COND_UNSET || !cond_alone(r, i))
		return false;
	if (r->b64.on && r->b64.trig == (int32_t)i)
		return false;
	for (unsigned k = 0; k < r->nprobe; k++)
		if (r->probe[k].trig == (int32_t)i)
			return false;
	for (uint32_t k = 0; k < r->ncond; k++) {
		const struct sig_cond *p = &r->cond[k];

		if (!(p->flags & SIG_COND_PCRE) || (p->flags & SIG_COND_NEGATED) ||
		    p->xform || p->buf != c->buf || p->group != c->group || !cond_alone(r, k))
			continue;
		if (pcre_contains(p, c->bytes, c->len, (c->flags & SIG_COND_NOCASE) != 0))
			return true;
	}
	return false;
}

int sig_rule_exprs(struct sig_rule *r, struct sig_set *s, char *err, size_t errlen)
{
	sig_rule_exprs_free(r);
	r->neg_buf = -1;
	r->expr = calloc(r->ncond + r->nbsz + 1 + r->nprobe, sizeof(*r->expr));
	if (!r->expr)
		return efail(err, errlen, "out of memory");
	for (uint32_t i = 0; i < r->ncond;) {
		uint32_t j = i + 1;

		while (j < r->ncond && r->cond[j].buf == r->cond[i].buf &&
		       r->cond[j].group == r->cond[i].group && sig_cond_is_relative(&r->cond[j]))
			j++;
		if (content_implied(r, i)) {    /* a chain of its own */
			i = j;
			continue;
		}
		struct sig_expr *x = &r->expr[r->nexpr];

		if (build_chain(r->cond, i, j, x, s, err, errlen) != 0)
			return -1;
		r->nexpr++;     /* owned by the rule from here (freed on failure) */
		for (unsigned k = 0; k < r->nprobe; k++) {
			int32_t tg = r->probe[k].trig;

			if (tg < (int32_t)i || tg >= (int32_t)j)
				continue;
			if (tg != (int32_t)j - 1)
				return efail(err, errlen, "byte_test/byte_jump relative inside a chain "
					     "not supported");
			if (r->b64.on && r->b64.trig == tg)
				return efail(err, errlen, "base64_decode and byte_test/byte_jump after "
					     "one match not supported");
			x->probe = (uint8_t)(k + 1);
		}
		if (r->b64.on && r->b64.trig >= (int32_t)i && r->b64.trig < (int32_t)j) {
			/* the window starts where this chain's match ends */
			if (r->b64.trig != (int32_t)j - 1)
				return efail(err, errlen, "base64_decode relative inside a chain "
					     "not supported");
			x->b64 = true;
		}
		if (x->buf == SIG_BUF_BASE64 && (x->confirm || x->neg))
			return efail(err, errlen, "base64_data: %s not supported",
				     x->neg ? "a negated match" : "a pcre Hyperscan cannot compile");
		i = j;
	}
	if (r->b64.on && r->b64.trig < 0) {
		/* base64_decode from the buffer's start: the trigger is its
		 * first byte (match end 1), so the window is found like a
		 * relative one's */
		struct sig_expr *x = start_trigger(r, r->b64.buf, r->b64.group);

		if (!x)
			return efail(err, errlen, "out of memory");
		x->b64 = true;
	}
	for (unsigned k = 0; k < r->nprobe; k++) {
		/* a probe from the buffer's start: found through its first byte */
		struct sig_expr *x;

		if (r->probe[k].trig >= 0)
			continue;
		x = start_trigger(r, r->probe[k].buf, r->probe[k].group);
		if (!x)
			return efail(err, errlen, "out of memory");
		x->probe = (uint8_t)(k + 1);
	}
	if (bsize_check(r, err, errlen) != 0)
		return -1;
	for (uint32_t i = 0; i < r->nbsz; i++) {
		const struct sig_bsize *bz = &r->bsz[i];
		struct sig_expr *x = &r->expr[r->nexpr];

		memset(x, 0, sizeof(*x));
		/* isdataat (at_least): some byte ends at offset >= lo */
		x->re = strdup(bz->at_least ? "[\\x00-\\xff]" : "[\\x00-\\xff]\\z");
		x->absolute = bz->at_least;
		/* "[\x00-\xff]" matches every byte after offset lo: once is
		 * enough, and it stays true for the stream */
		x->once = bz->at_least;
		if (!x->re)
			return efail(err, errlen, "out of memory");
		r->nexpr++;
		x->buf = bz->buf;
		x->group = bz->group;
		x->neg = bz->neg;
		x->min_off = bz->lo > 1 ? bz->lo : 0;
		x->max_off = bz->hi == SIG_BSIZE_INF ? 0 : bz->hi;
	}
	/*
	 * Negation is decided when the negated element's buffer has been
	 * inspected whole (block buffers after their scan, smtp.data at the
	 * end of the message). Every condition must be in that buffer, so
	 * the decision has all it needs at that moment.
	 */
	for (uint32_t i = 0; i < r->nexpr; i++) {
		const struct sig_expr *x = &r->expr[i];

		if (!x->neg)
			continue;
		if (x->buf == SIG_BUF_STREAM)
			return efail(err, errlen, "negated match on the raw stream not supported "
				     "(no end of inspection to decide at)");
		r->neg_buf = (int8_t)x->buf;
	}
	if (r->neg_buf >= 0) {
		for (uint32_t i = 0; i < r->nexpr; i++) {
			if (r->expr[i].buf != (uint8_t)r->neg_buf)
				return efail(err, errlen, "negated match with conditions in "
					     "other buffers not supported");
			/* decided per instance: one group only */
			if (r->expr[i].group != r->expr[0].group)
				return efail(err, errlen, "negated match with a second '%s' "
					     "buffer not supported", sig_buf_name(r->neg_buf));
		}
	}
	for (uint32_t i = 0; i < r->nexpr; i++) {
		struct sig_expr *x = &r->expr[i];
		unsigned n = 0;

		if (!sig_buf_is_instanced(x->buf))
			continue;
		for (uint32_t j = 0; j < r->nexpr; j++)
			n += r->expr[j].buf == x->buf && r->expr[j].group == x->group;
		x->iscope = n > 1 || r->neg_buf >= 0;
	}
	return 0;
}
