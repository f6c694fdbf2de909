/*
 * sig_addr.c — address and port expressions of rule headers, as range sets.
 *
 * An expression ("any", "10.0.0.0/8", "[$HOME_NET,!10.1.0.0/16]",
 * "![25,587]", "1024:", "$HTTP_PORTS", ...) is evaluated once at parse time
 * into a normalised list of inclusive ranges, so the alert-time check is a
 * binary search with no parsing and no variable lookups.
 *
 * Addresses live in one 128-bit space: IPv6 as is, IPv4 mapped into
 * ::ffff:0:0/96 (the form struct sig_tuple carries). Ports use the same
 * code with the domain 0..65535.
 *
 * List semantics (as Suricata documents them): a list is the union of its
 * positive elements minus the union of its negated elements; a list with
 * only negated elements starts from "any". "!x" is the complement of x in
 * the whole domain. One deliberate choice: the complement of an IPv4-only
 * set includes all of IPv6 (EXTERNAL_NET = !$HOME_NET matches IPv6 peers),
 * which is what the text says rather than a per-family reading.
 *
 * Start-up code: allocation is plain malloc. Recursion (nested lists and
 * variables referring to variables) is capped at SIG_RSET_DEPTH so hostile
 * or cyclic definitions end in an error, not a stack overflow.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sig_internal.h"

#define SIG_RSET_DEPTH 32
#define SIG_LITERAL_MAX 128
/* Expression nodes one parse may visit: variables can refer to each
 * other twice per level ([$A,$A]), which would otherwise be exponential. */
#define SIG_RSET_BUDGET 100000

struct rlist {
	struct sig_range *r;
	uint32_t n, cap;
};

struct rparse {
	const struct sig_set *s;
	enum sig_rset_kind kind;
	char *err;
	size_t errlen;
	bool failed;
	uint32_t budget;
};

static struct sig_u128 dom_max(enum sig_rset_kind k)
{
	struct sig_u128 m = { UINT64_MAX, UINT64_MAX };

	if (k == SIG_RSET_PORT) {
		m.hi = 0;
		m.lo = 65535;
	}
	return m;
}

static struct sig_u128 u128_inc(struct sig_u128 v)
{
	if (++v.lo == 0)
		v.hi++;
	return v;
}

static struct sig_u128 u128_dec(struct sig_u128 v)
{
	if (v.lo-- == 0)
		v.hi--;
	return v;
}

static void perr(struct rparse *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Keep the first (innermost) error: it names the element at fault. */
static void perr(struct rparse *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return;
	ps->failed = true;
	va_start(ap, fmt);
	vsnprintf(ps->err, ps->errlen, fmt, ap);
	va_end(ap);
}

static int rl_push(struct rlist *l, struct sig_u128 lo, struct sig_u128 hi)
{
	if (sig_reserve(&l->r, &l->cap, l->n + 1, sizeof(*l->r), 4) != 0)
		return -1;
	l->r[l->n].lo = lo;
	l->r[l->n].hi = hi;
	l->n++;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct sig_range *x = a, *y = b;

	return sig_u128_cmp(x->lo, y->lo);
}

/* Sort and merge overlapping or adjacent ranges. */
static void rl_normalize(struct rlist *l)
{
	uint32_t w = 0;

	if (l->n < 2)
		return;
	qsort(l->r, l->n, sizeof(l->r[0]), range_cmp);
	for (uint32_t i = 1; i < l->n; i++) {
		struct sig_range *cur = &l->r[w];
		struct sig_u128 next = u128_inc(cur->hi);
		bool touches = sig_u128_cmp(l->r[i].lo, next) <= 0 ||
			(next.hi == 0 && next.lo == 0); /* cur->hi is the max */

		if (touches) {
			if (sig_u128_cmp(l->r[i].hi, cur->hi) > 0)
				cur->hi = l->r[i].hi;
		} else {
			l->r[++w] = l->r[i];
		}
	}
	l->n = w + 1;
}

/* Complement of a normalised list within [0, max]. */
static int rl_complement(const struct rlist *in, struct sig_u128 max,
			 struct rlist *out)
{
	struct sig_u128 next = { 0, 0 };
	bool done = false;

	for (uint32_t i = 0; i < in->n && !done; i++) {
		if (sig_u128_cmp(in->r[i].lo, next) > 0 &&
		    rl_push(out, next, u128_dec(in->r[i].lo)) != 0)
			return -1;
		if (sig_u128_cmp(in->r[i].hi, max) >= 0)
			done = true;
		else
			next = u128_inc(in->r[i].hi);
	}
	if (!done && rl_push(out, next, max) != 0)
		return -1;
	return 0;
}

/* Intersection of two normalised lists. */
static int rl_intersect(const struct rlist *a, const struct rlist *b,
			struct rlist *out)
{
	uint32_t i = 0, j = 0;

	while (i < a->n && j < b->n) {
		struct sig_u128 lo = sig_u128_cmp(a->r[i].lo, b->r[j].lo) > 0 ?
			a->r[i].lo : b->r[j].lo;
		struct sig_u128 hi = sig_u128_cmp(a->r[i].hi, b->r[j].hi) < 0 ?
			a->r[i].hi : b->r[j].hi;

		if (sig_u128_cmp(lo, hi) <= 0 && rl_push(out, lo, hi) != 0)
			return -1;
		if (sig_u128_cmp(a->r[i].hi, b->r[j].hi) < 0)
			i++;
		else
			j++;
	}
	return 0;
}

static int rl_append(struct rlist *dst, const struct rlist *src)
{
	for (uint32_t i = 0; i < src->n; i++)
		if (rl_push(dst, src->r[i].lo, src->r[i].hi) != 0)
			return -1;
	return 0;
}

/* Replace *l with its complement. */
static int rl_negate(struct rlist *l, struct sig_u128 max)
{
	struct rlist c = { 0 };

	if (rl_complement(l, max, &c) != 0) {
		free(c.r);
		return -1;
	}
	free(l->r);
	*l = c;
	return 0;
}

/* One IP address (no prefix) as a 128-bit value; *v4 says which family. */
static bool parse_ip(const char *p, size_t len, struct sig_u128 *out, bool *v4)
{
	char buf[SIG_LITERAL_MAX];
	uint8_t b[16];

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	memset(b, 0, sizeof(b));
	if (inet_pton(AF_INET, buf, b + 12) == 1) {
		b[10] = b[11] = 0xff;
		*v4 = true;
	} else if (inet_pton(AF_INET6, buf, b) == 1) {
		*v4 = false;
	} else {
		return false;
	}
	*out = sig_u128_from_bytes(b);
	return true;
}

/* Network mask with `bits` leading ones in 128 bits. */
static struct sig_u128 prefix_mask(unsigned bits)
{
	struct sig_u128 m = { 0, 0 };

	if (bits == 0)
		return m;
	if (bits <= 64) {
		m.hi = UINT64_MAX << (64 - bits);
	} else {
		m.hi = UINT64_MAX;
		m.lo = UINT64_MAX << (128 - bits);
	}
	return m;
}

/* Dotted IPv4 netmask to a prefix length, -1 if not contiguous. */
static int v4_mask_bits(struct sig_u128 mask)
{
	uint32_t m = (uint32_t)mask.lo;
	int bits = 0;

	while (bits < 32 && (m & (0x80000000u >> bits)))
		bits++;
	if (bits < 32 && (m << bits) != 0)
		return -1;
	return bits;
}

static int parse_addr_literal(struct rparse *ps, const char *p, size_t len,
			      struct rlist *out)
{
	struct sig_u128 lo, hi;
	const char *slash = memchr(p, '/', len);
	const char *dash = memchr(p, '-', len);
	bool v4, v4b;

	if (slash) {
		size_t alen = (size_t)(slash - p);
		const char *q = slash + 1;
		size_t qlen = len - alen - 1;
		uint32_t bits;
		struct sig_u128 m;

		if (!parse_ip(p, alen, &lo, &v4))
			goto bad;
		if (sig_parse_uint(q, qlen, v4 ? 32 : 128, &bits)) {
			bits += v4 ? 96 : 0;
		} else {
			struct sig_u128 mv;
			bool mv4;
			int mb;

			/* 10.0.0.0/255.0.0.0 */
			if (!v4 || !parse_ip(q, qlen, &mv, &mv4) || !mv4 ||
			    (mb = v4_mask_bits(mv)) < 0)
				goto bad;
			bits = 96 + (uint32_t)mb;
		}
		m = prefix_mask(bits);
		lo.hi &= m.hi;
		lo.lo &= m.lo;
		hi.hi = lo.hi | ~m.hi;
		hi.lo = lo.lo | ~m.lo;
	} else if (dash) {
		size_t alen = (size_t)(dash - p);

		if (!parse_ip(p, alen, &lo, &v4) ||
		    !parse_ip(dash + 1, len - alen - 1, &hi, &v4b) ||
		    v4 != v4b || sig_u128_cmp(lo, hi) > 0)
			goto bad;
	} else {
		if (!parse_ip(p, len, &lo, &v4))
			goto bad;
		hi = lo;
	}
	if (rl_push(out, lo, hi) != 0) {
		perr(ps, "out of memory");
		return -1;
	}
	return 0;
bad:
	perr(ps, "invalid address '%.*s'", (int)(len > 64 ? 64 : len), p);
	return -1;
}

static int parse_port_literal(struct rparse *ps, const char *p, size_t len,
			      struct rlist *out)
{
	const char *colon = memchr(p, ':', len);
	uint32_t lo, hi;

	if (colon) {
		size_t alen = (size_t)(colon - p), blen = len - alen - 1;

		lo = 0;
		hi = 65535;
		if (alen == 0 && blen == 0)
			goto bad;
		if (alen && !sig_parse_uint(p, alen, 65535, &lo))
			goto bad;
		if (blen && !sig_parse_uint(colon + 1, blen, 65535, &hi))
			goto bad;
		if (lo > hi)
			goto bad;
	} else {
		if (!sig_parse_uint(p, len, 65535, &lo))
			goto bad;
		hi = lo;
	}
	if (rl_push(out, (struct sig_u128){ 0, lo },
		    (struct sig_u128){ 0, hi }) != 0) {
		perr(ps, "out of memory");
		return -1;
	}
	return 0;
bad:
	perr(ps, "invalid port '%.*s'", (int)(len > 64 ? 64 : len), p);
	return -1;
}

static int parse_expr(struct rparse *ps, const char *p, size_t len,
		      struct rlist *out, int depth);

/* "[a, !b, [c, d]]": positives minus negatives; no positives = any. */
static int parse_list(struct rparse *ps, const char *p, size_t len,
		      struct rlist *out, int depth)
{
	struct rlist pos = { 0 }, neg = { 0 }, tmp = { 0 }, negc = { 0 };
	bool any_pos = false;
	const char *q = p + 1, *end = p + len - 1; /* inside the brackets */
	int rc = -1;

	while (q <= end) {
		const char *e = q;
		int d = 0;
		size_t elen;

		/* Element ends at a top-level comma or at the closing bracket. */
		while (e < end && !(*e == ',' && d == 0)) {
			if (*e == '[')
				d++;
			else if (*e == ']')
				d--;
			e++;
		}
		elen = (size_t)(e - q);
		trim(&q, &elen);
		if (elen == 0) {
			perr(ps, "empty element in list '%.*s'",
			     (int)(len > 64 ? 64 : len), p);
			goto out;
		}
		tmp.n = 0;
		if (*q == '!') {
			if (parse_expr(ps, q + 1, elen - 1, &tmp, depth + 1) != 0 ||
			    rl_append(&neg, &tmp) != 0)
				goto out;
		} else {
			any_pos = true;
			if (parse_expr(ps, q, elen, &tmp, depth + 1) != 0 ||
			    rl_append(&pos, &tmp) != 0)
				goto out;
		}
		q = e + 1;
		if (e == end)
			break;
	}
	if (!any_pos && rl_push(&pos, (struct sig_u128){ 0, 0 },
				dom_max(ps->kind)) != 0)
		goto oom;
	rl_normalize(&pos);
	rl_normalize(&neg);
	if (rl_complement(&neg, dom_max(ps->kind), &negc) != 0 ||
	    rl_intersect(&pos, &negc, out) != 0)
		goto oom;
	rc = 0;
	goto out;
oom:
	perr(ps, "out of memory");
out:
	free(pos.r);
	free(neg.r);
	free(tmp.r);
	free(negc.r);
	return rc;
}

/* Closing bracket matching p[0] == '[', or NULL. */
static const char *match_bracket(const char *p, size_t len)
{
	int d = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '[')
			d++;
		else if (p[i] == ']' && --d == 0)
			return p + i;
	}
	return NULL;
}

static bool is_var_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Evaluate one expression; the result in out is normalised. */
static int parse_expr(struct rparse *ps, const char *p, size_t len,
		      struct rlist *out, int depth)
{
	trim(&p, &len);
	if (depth > SIG_RSET_DEPTH) {
		perr(ps, "lists or variables nested too deeply");
		return -1;
	}
	if (ps->budget == 0) {
		perr(ps, "expression too large");
		return -1;
	}
	ps->budget--;
	if (len == 0) {
		perr(ps, "empty %s", ps->kind == SIG_RSET_ADDR ? "address" : "port");
		return -1;
	}
	if (p[0] == '!') {
		if (parse_expr(ps, p + 1, len - 1, out, depth + 1) != 0)
			return -1;
		if (rl_negate(out, dom_max(ps->kind)) != 0) {
			perr(ps, "out of memory");
			return -1;
		}
		return 0;
	}
	if (p[0] == '[') {
		const char *close = match_bracket(p, len);

		if (!close) {
			perr(ps, "unbalanced '[' in '%.*s'",
			     (int)(len > 64 ? 64 : len), p);
			return -1;
		}
		if (close != p + len - 1) {
			perr(ps, "unexpected text after ']' in '%.*s'",
			     (int)(len > 64 ? 64 : len), p);
			return -1;
		}
		return parse_list(ps, p, len, out, depth);
	}
	if (p[0] == '$') {
		const char *val;
		size_t n = 1;

		while (n < len && is_var_char(p[n]))
			n++;
		if (n != len || n == 1) {
			perr(ps, "invalid variable '%.*s'",
			     (int)(len > 64 ? 64 : len), p);
			return -1;
		}
		val = sig_set_var_get(ps->s, p + 1, len - 1);
		if (!val) {
			perr(ps, "unknown variable '%.*s'",
			     (int)(len > 64 ? 64 : len), p);
			return -1;
		}
		return parse_expr(ps, val, strlen(val), out, depth + 1);
	}
	if (len == 3 && strncasecmp(p, "any", 3) == 0) {
		if (rl_push(out, (struct sig_u128){ 0, 0 }, dom_max(ps->kind)) != 0) {
			perr(ps, "out of memory");
			return -1;
		}
		return 0;
	}
	if (memchr(p, ']', len) || memchr(p, ',', len)) {
		perr(ps, "unbalanced ']' in '%.*s'", (int)(len > 64 ? 64 : len), p);
		return -1;
	}
	if (ps->kind == SIG_RSET_ADDR) {
		if (parse_addr_literal(ps, p, len, out) != 0)
			return -1;
	} else if (parse_port_literal(ps, p, len, out) != 0) {
		return -1;
	}
	rl_normalize(out);
	return 0;
}

int sig_rset_parse(const struct sig_set *s, enum sig_rset_kind kind,
		   const char *text, size_t len, struct sig_rset *out,
		   char *err, size_t errlen)
{
	struct rparse ps = { s, kind, err, errlen, false, SIG_RSET_BUDGET };
	struct rlist l = { 0 };
	struct sig_u128 max = dom_max(kind);

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	if (parse_expr(&ps, text, len, &l, 0) != 0) {
		free(l.r);
		return -1;
	}
	rl_normalize(&l);
	if (l.n == 0) {
		perr(&ps, "'%.*s' matches no %s", (int)(len > 64 ? 64 : len),
		     text, kind == SIG_RSET_ADDR ? "address" : "port");
		free(l.r);
		return -1;
	}
	out->r = l.r;
	out->n = l.n;
	out->any = l.n == 1 && l.r[0].lo.hi == 0 && l.r[0].lo.lo == 0 &&
		sig_u128_cmp(l.r[0].hi, max) == 0;
	return 0;
}

void sig_rset_free(struct sig_rset *rs)
{
	free(rs->r);
	rs->r = NULL;
	rs->n = 0;
}

bool sig_rset_has(const struct sig_rset *rs, struct sig_u128 v)
{
	uint32_t lo = 0, hi = rs->n;

	if (rs->any)
		return true;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (sig_u128_cmp(v, rs->r[mid].lo) < 0)
			hi = mid;
		else if (sig_u128_cmp(v, rs->r[mid].hi) > 0)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}
