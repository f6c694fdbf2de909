/*
 * mime_header.c — what the MIME header fields say: Content-Type,
 * Content-Disposition and Content-Transfer-Encoding with their parameters
 * (RFC 2045 5.1, RFC 2183, RFC 2231 continuations and charsets), RFC 2047
 * encoded words, and charset conversion to UTF-8.
 *
 * Converters are opened once per worker at start-up (iconv_open allocates);
 * on the packet path a conversion only resets and runs one. Invalid input
 * sequences become U+FFFD; an unknown charset leaves the bytes as they are
 * and is counted. Everything decoded is bounded by the caller's buffer.
 */
#include "b64_simd.h"
#include "mime_int.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* iconv names; index = converter slot. */
static const char *const cs_iconv[] = {
	"ISO-8859-1", "ISO-8859-2", "ISO-8859-3", "ISO-8859-4", "ISO-8859-5",
	"ISO-8859-6", "ISO-8859-7", "ISO-8859-8", "ISO-8859-9", "ISO-8859-10",
	"ISO-8859-13", "ISO-8859-14", "ISO-8859-15", "ISO-8859-16",
	"WINDOWS-1250", "WINDOWS-1251", "WINDOWS-1252", "WINDOWS-1253",
	"WINDOWS-1254", "WINDOWS-1255", "WINDOWS-1256", "WINDOWS-1257",
	"WINDOWS-1258", "KOI8-R", "KOI8-U", "GB2312", "GBK", "GB18030",
	"SHIFT_JIS", "CP932", "ISO-2022-JP", "EUC-JP", "EUC-KR", "BIG5",
	"BIG5-HKSCS", "UTF-16", "UTF-16BE", "UTF-16LE", "UTF-7", "CP866",
	"TIS-620", "ISO-2022-KR", "CP949", "ISO-8859-11",
};
#define CS_N (sizeof(cs_iconv) / sizeof(cs_iconv[0]))

/* Aliases seen in mail that are not the iconv name itself. */
static const struct { const char *alias; const char *name; } cs_alias[] = {
	{ "latin1", "ISO-8859-1" }, { "iso8859-1", "ISO-8859-1" },
	{ "iso_8859-1", "ISO-8859-1" }, { "latin2", "ISO-8859-2" },
	{ "iso8859-2", "ISO-8859-2" }, { "iso8859-15", "ISO-8859-15" },
	{ "latin-9", "ISO-8859-15" }, { "cp1250", "WINDOWS-1250" },
	{ "cp1251", "WINDOWS-1251" }, { "cp1252", "WINDOWS-1252" },
	{ "cp1253", "WINDOWS-1253" }, { "cp1254", "WINDOWS-1254" },
	{ "cp1255", "WINDOWS-1255" }, { "cp1256", "WINDOWS-1256" },
	{ "cp1257", "WINDOWS-1257" }, { "cp1258", "WINDOWS-1258" },
	{ "x-sjis", "SHIFT_JIS" }, { "sjis", "SHIFT_JIS" },
	{ "shift-jis", "SHIFT_JIS" }, { "windows-31j", "CP932" },
	{ "x-gbk", "GBK" }, { "cp936", "GBK" }, { "gb_2312-80", "GB2312" },
	{ "euc-cn", "GB2312" }, { "big-5", "BIG5" }, { "cn-big5", "BIG5" },
	{ "ks_c_5601-1987", "CP949" }, { "windows-874", "TIS-620" },
	{ "koi8r", "KOI8-R" }, { "ibm866", "CP866" },
};

struct mime_charsets {
	iconv_t cd[CS_N];
};

int mime_charsets_open(struct mime_ctx *ctx)
{
	struct mime_charsets *cs = calloc(1, sizeof(*cs));
	if (!cs)
		return -ENOMEM;
	for (size_t i = 0; i < CS_N; i++)
		cs->cd[i] = iconv_open("UTF-8", cs_iconv[i]);  /* (iconv_t)-1 if absent */
	ctx->cs = cs;
	return 0;
}

void mime_charsets_close(struct mime_ctx *ctx)
{
	if (!ctx->cs)
		return;
	for (size_t i = 0; i < CS_N; i++)
		if (ctx->cs->cd[i] != (iconv_t)-1)
			iconv_close(ctx->cs->cd[i]);
	free(ctx->cs);
	ctx->cs = NULL;
}

/* -1: UTF-8/ASCII (copied), -2: unknown, else a converter slot. */
static int cs_lookup(struct mime_ctx *ctx, const char *cs, size_t n)
{
	if (mime_ieq(cs, n, "utf-8") || mime_ieq(cs, n, "utf8") ||
	    mime_ieq(cs, n, "us-ascii") || mime_ieq(cs, n, "ascii") ||
	    mime_ieq(cs, n, "ansi_x3.4-1968"))
		return -1;
	const char *name = NULL;
	for (size_t i = 0; i < sizeof(cs_alias) / sizeof(cs_alias[0]); i++)
		if (mime_ieq(cs, n, cs_alias[i].alias))
			name = cs_alias[i].name;
	for (size_t i = 0; i < CS_N; i++) {
		char low[24];
		size_t l = strlen(cs_iconv[i]);
		for (size_t j = 0; j <= l; j++) {
			char c = cs_iconv[i][j];
			low[j] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		if ((name && !strcmp(name, cs_iconv[i])) || mime_ieq(cs, n, low))
			return ctx->cs && ctx->cs->cd[i] != (iconv_t)-1 ? (int)i : -2;
	}
	return -2;
}


long mime_charset_to_utf8(struct mime_ctx *ctx, const char *cs, size_t cslen,
			  const uint8_t *in, size_t n, char *out, size_t cap)
{
	int slot = cs_lookup(ctx, cs, cslen);
	if (slot == -2)
		return -1;
	if (slot == -1)
		return (long)mime_utf8_put(out, cap, 0, in, n);
	iconv_t cd = ctx->cs->cd[slot];
	iconv(cd, NULL, NULL, NULL, NULL);
	char *ip = (char *)(uintptr_t)in, *op = out;
	size_t il = n, ol = cap;
	while (il) {
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG)
			break;
		/* EILSEQ / EINVAL: one bad byte becomes U+FFFD */
		if (ol < 3)
			break;
		memcpy(op, "\xef\xbf\xbd", 3);
		op += 3;
		ol -= 3;
		ip++;
		il--;
	}
	iconv(cd, NULL, NULL, &op, &ol);    /* close ISO-2022 shift state */
	return (long)(op - out);
}

/* ---- RFC 2047 encoded words ------------------------------------------ */

struct ew {
	const char *cs;
	size_t cslen;
	char enc;
	const char *text;
	size_t tlen;
	size_t wlen;        /* whole word "=?...?=" */
};

/* "=?" charset "?" B|Q "?" encoded-text "?=" (RFC 2047 2). The charset
 * may carry an RFC 2231 "*lang" suffix (section 5). Returns 1 and fills w,
 * 0 if not an encoded word, -1 if it starts like one but never ends. */
static int ew_parse(const char *s, size_t n, struct ew *w)
{
	if (n < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	size_t i = 2;
	while (i < n && s[i] != '?' && s[i] != ' ' && s[i] != '\t' && i < 66)
		i++;
	if (i >= n || s[i] != '?' || i == 2)
		return 0;
	w->cs = s + 2;
	w->cslen = i - 2;
	const char *star = memchr(w->cs, '*', w->cslen);
	if (star)
		w->cslen = (size_t)(star - w->cs);
	if (i + 2 >= n || s[i + 2] != '?')
		return 0;
	char e = s[i + 1];
	if (e != 'B' && e != 'b' && e != 'Q' && e != 'q')
		return 0;
	w->enc = (char)(e | 0x20);
	w->text = s + i + 3;
	for (size_t j = i + 3; j + 1 < n; j++) {
		if (s[j] == '?' && s[j + 1] == '=') {
			w->tlen = j - (i + 3);
			w->wlen = j + 2;
			return 1;
		}
	}
	return -1;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode one word's text into out; returns bytes, counts bad input. */
static size_t ew_text(const struct ew *w, uint8_t *out, size_t cap, int *bad)
{
	size_t o = 0;
	if (w->enc == 'q') {
		for (size_t i = 0; i < w->tlen && o < cap; i++) {
			char c = w->text[i];
			if (c == '_') {
				out[o++] = ' ';
			} else if (c == '=' && i + 2 < w->tlen &&
				   hexv(w->text[i + 1]) >= 0 &&
				   hexv(w->text[i + 2]) >= 0) {
				out[o++] = (uint8_t)(hexv(w->text[i + 1]) << 4 |
						     hexv(w->text[i + 2]));
				i += 2;
			} else {
				if (c == '=')
					*bad = 1;
				out[o++] = (uint8_t)c;
			}
		}
		return o;
	}
	uint32_t acc = 0;
	int k = 0;
	for (size_t i = 0; i < w->tlen; i++) {
		uint8_t v = mime_b64_table[(uint8_t)w->text[i]];
		if (v == 65) {                  /* '=' */
			if (k == 2 && o < cap)
				out[o++] = (uint8_t)(acc >> 4);
			if (k == 3 && o + 1 < cap) {
				out[o++] = (uint8_t)(acc >> 10);
				out[o++] = (uint8_t)(acc >> 2);
			}
			k = 0;
			acc = 0;
			continue;
		}
		if (v > 63) {                   /* white space or another byte */
			*bad = 1;
			continue;
		}
		acc = acc << 6 | (uint32_t)v;
		if (++k == 4) {
			if (o + 2 < cap) {
				out[o++] = (uint8_t)(acc >> 16);
				out[o++] = (uint8_t)(acc >> 8);
				out[o++] = (uint8_t)acc;
			}
			k = 0;
			acc = 0;
		}
	}
	if (k == 2 && o < cap)
		out[o++] = (uint8_t)(acc >> 4);
	else if (k == 3 && o + 1 < cap) {
		out[o++] = (uint8_t)(acc >> 10);
		out[o++] = (uint8_t)(acc >> 2);
	} else if (k == 1)
		*bad = 1;
	return o;
}

struct ewacc {
	uint8_t buf[1024];
	size_t len;
	const char *cs;
	size_t cslen;
};

/* Length of the valid UTF-8 sequence at s (RFC 3629 4), 0 if invalid. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t len;
	uint8_t lo = 0x80, hi = 0xbf;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;      /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Append d[0..n) as valid UTF-8 (each invalid byte becomes U+FFFD), never
 * splitting a character at the end of out. */
size_t mime_utf8_put(char *out, size_t cap, size_t o, const void *d, size_t n)
{
	const uint8_t *s = d;
	size_t i = 0;
	while (i < n) {
		size_t k = utf8_seq(s + i, n - i);
		const void *src = s + i;
		size_t len = k;
		if (!k) {
			src = "\xef\xbf\xbd";
			len = 3;
			k = 1;
		}
		if (o + len > cap)
			break;
		memcpy(out + o, src, len);
		o += len;
		i += k;
	}
	return o;
}

/* Convert what adjacent words of one charset decoded to; converting them
 * together keeps a multi-byte character split across two words whole. */
static size_t ew_flush(struct mime_parser *p, struct ewacc *a, char *out,
		       size_t cap, size_t o)
{
	if (!a->len)
		return o;
	long r = mime_charset_to_utf8(p->ctx, a->cs, a->cslen, a->buf, a->len,
				      out + o, cap - o);
	if (r < 0) {
		p->ctx->stats.charset_unknown++;
		mime_anomaly(p, MIME_ANOM_UNKNOWN_CHARSET);
		o = mime_utf8_put(out, cap, o, a->buf, a->len);
	} else {
		o += (size_t)r;
	}
	a->len = 0;
	return o;
}

size_t mime_ew_decode(struct mime_parser *p, const char *v, size_t n,
		      char *out, size_t cap)
{
	struct ewacc a;
	a.len = 0;
	a.cs = NULL;
	a.cslen = 0;
	size_t o = 0, i = 0;
	int last_ew = 0, bad_reported = 0;
	while (i < n) {
		struct ew w;
		size_t j = i;
		if (last_ew) {
			/* RFC 2047 6.2: whitespace between adjacent encoded
			 * words is not displayed */
			while (j < n && (v[j] == ' ' || v[j] == '\t'))
				j++;
		}
		int r = (j < n && v[j] == '=') ? ew_parse(v + j, n - j, &w) : 0;
		if (r == 1) {
			uint8_t tmp[1024];
			int bad = 0;
			size_t tl = ew_text(&w, tmp, sizeof(tmp), &bad);
			if (bad && !bad_reported) {
				bad_reported = 1;
				mime_anomaly(p, MIME_ANOM_INVALID_ENCODED_WORD);
			}
			if (a.len && (a.cslen != w.cslen ||
				      strncasecmp(a.cs, w.cs, w.cslen) ||
				      a.len + tl > sizeof(a.buf)))
				o = ew_flush(p, &a, out, cap, o);
			a.cs = w.cs;
			a.cslen = w.cslen;
			memcpy(a.buf + a.len, tmp, tl < sizeof(a.buf) - a.len ?
			       tl : sizeof(a.buf) - a.len);
			a.len += tl < sizeof(a.buf) - a.len ? tl : sizeof(a.buf) - a.len;
			p->ctx->stats.encoded_words++;
			i = j + w.wlen;
			last_ew = 1;
			continue;
		}
		if (r == -1 && !bad_reported) {
			bad_reported = 1;
			mime_anomaly(p, MIME_ANOM_INVALID_ENCODED_WORD);
		}
		o = ew_flush(p, &a, out, cap, o);
		/* copy through up to the next candidate "=?" */
		size_t k = i + 1;
		while (k < n && !(v[k] == '=' && k + 1 < n && v[k + 1] == '?') &&
		       v[k] != ' ' && v[k] != '\t')
			k++;
		if (k < n && (v[k] == ' ' || v[k] == '\t')) {
			k++;
			o = mime_utf8_put(out, cap, o, v + i, k - i);
			i = k;
			last_ew = 0;
			continue;
		}
		o = mime_utf8_put(out, cap, o, v + i, k - i);
		i = k;
		last_ew = 0;
	}
	return ew_flush(p, &a, out, cap, o);
}

/* ---- parameters (RFC 2045 5.1, RFC 2231) ------------------------------ */

static int is_tspecial_or_ws(char c)
{
	return c == ' ' || c == '\t' || c == ';' || c == '=' || c == '"' ||
		c == '\r' || c == '\n';
}

struct param {
	const char *name;
	size_t nlen;
	const char *val;
	size_t vlen;
	int quoted;
};

/* Next "; name = value" from s[*pos..n). Tolerant of missing quotes around
 * values with spaces (taken up to ';', trimmed) and of comments. */
static int param_next(const char *s, size_t n, size_t *pos, struct param *pr)
{
	size_t i = *pos;
	for (;;) {
		while (i < n && s[i] != ';')
			i++;
		if (i >= n)
			return 0;
		i++;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		size_t ns = i;
		while (i < n && !is_tspecial_or_ws(s[i]))
			i++;
		size_t ne = i;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (ne == ns || i >= n || s[i] != '=') {
			*pos = i;
			continue;
		}
		i++;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		pr->name = s + ns;
		pr->nlen = ne - ns;
		if (i < n && s[i] == '"') {
			size_t vs = ++i;
			while (i < n && s[i] != '"') {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				i++;
			}
			pr->val = s + vs;
			pr->vlen = (i < n ? i : n) - vs;
			pr->quoted = 1;
			if (i < n)
				i++;
		} else {
			size_t vs = i;
			while (i < n && s[i] != ';')
				i++;
			size_t ve = i;
			while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t'))
				ve--;
			pr->val = s + vs;
			pr->vlen = ve - vs;
			pr->quoted = 0;
		}
		*pos = i;
		return 1;
	}
}

/* Copy a value, undoing quoted-pair escapes; NUL-terminates; returns len. */
static size_t val_copy(char *dst, size_t cap, const struct param *pr)
{
	size_t o = 0;
	for (size_t i = 0; i < pr->vlen && o + 1 < cap; i++) {
		if (pr->quoted && pr->val[i] == '\\' && i + 1 < pr->vlen)
			i++;
		dst[o++] = pr->val[i];
	}
	dst[o] = 0;
	return o;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

#define SEG_MAX 64

/* Collects base, base*, base*N and base*N* (RFC 2231 3, 4) for one
 * parameter name. */
struct pcollect {
	const char *base;
	size_t blen;
	struct param plain, star;
	int have_plain, have_star;
	struct param seg[SEG_MAX];
	uint8_t seg_ext[SEG_MAX];
	uint8_t seg_have[SEG_MAX];
	bool cut;               /* a continuation past SEG_MAX was dropped */
};

static void pc_offer(struct pcollect *c, const struct param *pr)
{
	if (pr->nlen < c->blen || strncasecmp(pr->name, c->base, c->blen))
		return;
	const char *r = pr->name + c->blen;
	size_t rl = pr->nlen - c->blen;
	if (rl == 0) {
		c->plain = *pr;
		c->have_plain = 1;
		return;
	}
	if (r[0] != '*')
		return;
	if (rl == 1) {
		c->star = *pr;
		c->have_star = 1;
		return;
	}
	size_t i = 1, idx = 0;
	while (i < rl && r[i] >= '0' && r[i] <= '9' && idx < SEG_MAX)
		idx = idx * 10 + (size_t)(r[i++] - '0');
	if (i == 1)
		return;
	if (idx >= SEG_MAX) {
		c->cut = true;
		return;
	}
	int ext = 0;
	if (i < rl) {
		if (r[i] != '*' || i + 1 != rl)
			return;
		ext = 1;
	}
	c->seg[idx] = *pr;
	c->seg_ext[idx] = (uint8_t)ext;
	c->seg_have[idx] = 1;
}

/* Percent-decode an extended value (RFC 2231 4). */
static size_t pct_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o < cap; i++) {
		if (s[i] == '%' && i + 2 < n && hexv(s[i + 1]) >= 0 &&
		    hexv(s[i + 2]) >= 0) {
			out[o++] = (uint8_t)(hexv(s[i + 1]) << 4 | hexv(s[i + 2]));
			i += 2;
		} else {
			out[o++] = (uint8_t)s[i];
		}
	}
	return o;
}

/* The collected parameter in UTF-8 in dst; returns its length. *cut is
 * set when a buffer on the way filled up. */
static size_t pc_value(struct mime_parser *p, struct pcollect *c, char *dst, size_t cap,
		       bool *cut)
{
	uint8_t raw[MIME_NAME_MAX * 2];
	size_t rl = 0;
	const char *cs = NULL;
	size_t cslen = 0;
	int ext_any = 0;
	if (c->have_star || c->seg_have[0]) {
		for (size_t i = 0; i < SEG_MAX; i++) {
			const struct param *pr;
			int ext;
			if (c->have_star) {
				if (i)
					break;
				pr = &c->star;
				ext = 1;
			} else {
				if (!c->seg_have[i])
					break;
				pr = &c->seg[i];
				ext = c->seg_ext[i];
			}
			const char *v = pr->val;
			size_t vl = pr->vlen;
			if (ext && i == 0) {
				/* charset'language'value */
				const char *q1 = memchr(v, '\'', vl);
				const char *q2 = q1 ? memchr(q1 + 1, '\'', vl - (size_t)(q1 + 1 - v)) : NULL;
				if (q2) {
					cs = v;
					cslen = (size_t)(q1 - v);
					vl -= (size_t)(q2 + 1 - v);
					v = q2 + 1;
				}
			}
			if (ext) {
				ext_any = 1;
				rl += pct_decode(v, vl, raw + rl, sizeof(raw) - rl);
			} else {
				char tmp[MIME_NAME_MAX];
				size_t tl = val_copy(tmp, sizeof(tmp), pr);
				size_t k = tl < sizeof(raw) - rl ? tl : sizeof(raw) - rl;
				memcpy(raw + rl, tmp, k);
				rl += k;
				*cut |= tl + 1 >= sizeof(tmp);
			}
			*cut |= rl >= sizeof(raw);
		}
	}
	if (ext_any || (!c->have_plain && rl)) {
		size_t o;
		if (cs && cslen) {
			long r = mime_charset_to_utf8(p->ctx, cs, cslen, raw, rl,
						      dst, cap - 1);
			if (r < 0) {
				p->ctx->stats.charset_unknown++;
				mime_anomaly(p, MIME_ANOM_UNKNOWN_CHARSET);
				o = mime_utf8_put(dst, cap - 1, 0, raw, rl);
			} else {
				o = (size_t)r;
			}
		} else {
			o = mime_utf8_put(dst, cap - 1, 0, raw, rl);
		}
		dst[o] = 0;
		return o;
	}
	if (rl && !c->have_plain) {
		dst[0] = 0;
		return 0;
	}
	if (!c->have_plain)
		return 0;
	/* plain value: RFC 2047 words inside quotes are not allowed (RFC 2047
	 * 5) but common; decode them like every MUA does */
	char tmp[MIME_NAME_MAX];
	size_t tl = val_copy(tmp, sizeof(tmp), &c->plain);
	size_t o = mime_ew_decode(p, tmp, tl, dst, cap - 1);
	*cut |= tl + 1 >= sizeof(tmp);
	dst[o] = 0;
	return o;
}

/* Resolve the collected parameter into UTF-8 dst; returns its length. A
 * name that did not fit (dst or a buffer on the way filled up; one that
 * ends within a UTF-8 sequence of dst's end counts too) or lost
 * continuations past SEG_MAX is reported: file.name rules see only what
 * was kept. */
static size_t pc_resolve(struct mime_parser *p, struct pcollect *c, char *dst, size_t cap)
{
	bool cut = c->cut;
	size_t o = pc_value(p, c, dst, cap, &cut);

	if (cut || o + 4 >= cap)
		mime_anomaly(p, MIME_ANOM_NAME_TRUNCATED);
	return o;
}

static void pc_init(struct pcollect *c, const char *base)
{
	memset(c, 0, sizeof(*c));
	c->base = base;
	c->blen = strlen(base);
}

void mime_parse_ctype(struct mime_parser *p, const char *v, size_t n)
{
	struct mime_pinfo *pi = p->pi;
	size_t i = 0;
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	size_t ts = i;
	while (i < n && v[i] != '/' && !is_tspecial_or_ws(v[i]))
		i++;
	size_t te = i;
	if (i >= n || v[i] != '/' || te == ts)
		return;     /* invalid: RFC 2045 5.2 default stays */
	i++;
	size_t ss = i;
	while (i < n && !is_tspecial_or_ws(v[i]) && v[i] != '(')
		i++;
	if (i == ss)
		return;
	/* a later Content-Type overrides an earlier one */
	memset(pi->type, 0, sizeof(pi->type));
	memset(pi->subtype, 0, sizeof(pi->subtype));
	memcpy(pi->type, v + ts, te - ts < 63 ? te - ts : 63);
	memcpy(pi->subtype, v + ss, i - ss < 63 ? i - ss : 63);
	lower(pi->type);
	lower(pi->subtype);
	pi->have_ctype = 1;

	struct pcollect namec, *name = &namec;
	pc_init(name, "name");
	struct param pr;
	size_t pos = i;
	while (param_next(v, n, &pos, &pr)) {
		if (mime_ieq(pr.name, pr.nlen, "boundary")) {
			/* the wire length decides the limits; at most
			 * MIME_BOUNDARY_HARD_MAX bytes are kept */
			char tmp[MIME_BOUNDARY_HARD_MAX + 2];
			size_t bl = val_copy(tmp, sizeof(tmp), &pr);
			if (bl > MIME_BOUNDARY_HARD_MAX)
				bl = MIME_BOUNDARY_HARD_MAX;
			memcpy(pi->boundary, tmp, bl);
			pi->boundary[bl] = 0;
			pi->boundary_len = (uint16_t)bl;
			pi->boundary_wire_len = (uint32_t)pr.vlen;
			pi->have_boundary = 1;
		} else if (mime_ieq(pr.name, pr.nlen, "charset")) {
			val_copy(pi->charset, sizeof(pi->charset), &pr);
		} else {
			pc_offer(name, &pr);
		}
	}
	pi->name_len = (uint16_t)pc_resolve(p, name, pi->name, sizeof(pi->name));
}

void mime_parse_disposition(struct mime_parser *p, const char *v, size_t n)
{
	struct mime_pinfo *pi = p->pi;
	size_t i = 0;
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	size_t ts = i;
	while (i < n && !is_tspecial_or_ws(v[i]))
		i++;
	memset(pi->disposition, 0, sizeof(pi->disposition));
	memcpy(pi->disposition, v + ts, i - ts < 31 ? i - ts : 31);
	lower(pi->disposition);
	struct pcollect fnc, *fn = &fnc;
	pc_init(fn, "filename");
	struct param pr;
	size_t pos = i;
	while (param_next(v, n, &pos, &pr))
		pc_offer(fn, &pr);
	pi->filename_len = (uint16_t)pc_resolve(p, fn, pi->filename,
						sizeof(pi->filename));
}

void mime_parse_cte(struct mime_parser *p, const char *v, size_t n)
{
	struct mime_pinfo *pi = p->pi;
	size_t i = 0;
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	size_t ts = i;
	while (i < n && !is_tspecial_or_ws(v[i]) && v[i] != '(')
		i++;
	memset(pi->cte, 0, sizeof(pi->cte));
	memcpy(pi->cte, v + ts, i - ts < 31 ? i - ts : 31);
	lower(pi->cte);
}
