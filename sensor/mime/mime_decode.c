/*
 * mime_decode.c — transfer decoders for a leaf's body (RFC 2045 6) and the
 * text-line filter that lifts uuencoded files out of text/plain parts.
 *
 * Every decoder is a byte-at-a-time state machine whose whole state is a
 * few fields of the parser (base64 quantum, QP escape), so a chunk may end
 * anywhere: inside a quantum, between '=' and its hex digits, between a
 * soft break's '=' and its CRLF. Output goes through the text filter (for
 * text/plain) to mime_out_put(). Bad input is counted and passed through or
 * skipped; it never stops decoding.
 *
 * uuencode has no MIME label in practice: a "begin NNN name" line inside a
 * text/plain body starts a file part of its own (reported as a child of the
 * text part) that ends at the "end" line; the lines in between go to the
 * file, not to the text.
 */
#include "mime_int.h"
#include "b64_simd.h"

#include <stdbool.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static inline uint8_t b64_val(uint8_t c)
{
	return mime_b64_table[c];
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void mime_decode_reset(struct mime_parser *p)
{
	p->b64_acc = 0;
	p->b64_n = 0;
	p->qp_state = 0;
	p->qp_c1 = 0;
	p->tf_state = TF_LS;
	p->tf_len = 0;
	p->uu_active = 0;
}

/* ---- uuencode and the text filter ----------------------------------- */

static void uu_invalid(struct mime_parser *p)
{
	if (!p->uu_invalid)
		mime_anomaly(p, MIME_ANOM_INVALID_UUENCODE);
	p->uu_invalid++;
}

/* One uuencoded line without its line end: a length character, then
 * groups of four characters carrying three bytes, each (c - 32) & 63. */
static void uu_line(struct mime_parser *p, const uint8_t *l, size_t n)
{
	if (!n)
		return;
	size_t want = (size_t)((l[0] - 32) & 63), got = 0;
	uint8_t buf[64];
	for (size_t i = 1; got < want; i += 4) {
		uint8_t v[4];
		for (int j = 0; j < 4; j++) {
			uint8_t c = i + (size_t)j < n ? l[i + (size_t)j] : ' ';
			if (c < 32 || c > 96) {
				uu_invalid(p);
				c = ' ';
			}
			v[j] = (uint8_t)((c - 32) & 63);
		}
		uint8_t o[3] = {
			(uint8_t)(v[0] << 2 | v[1] >> 4),
			(uint8_t)(v[1] << 4 | v[2] >> 2),
			(uint8_t)(v[2] << 6 | v[3]),
		};
		for (int j = 0; j < 3 && got < want; j++)
			buf[got++] = o[j];
		if (i >= n && got < want) {
			uu_invalid(p);  /* line shorter than its length says */
			break;
		}
	}
	mime_out_put(p, buf, got);
}

/* "begin" SP mode SP name (the POSIX uuencode header line). Returns the
 * name's offset or 0. */
static size_t uu_begin_line(const uint8_t *l, size_t n)
{
	if (n < 6 || memcmp(l, "begin ", 6))
		return 0;
	size_t i = 6, d = 0;
	while (i < n && l[i] >= '0' && l[i] <= '7') {
		i++;
		d++;
	}
	if (d < 3 || d > 4 || i >= n || l[i] != ' ')
		return 0;
	i++;
	return i < n ? i : 0;
}

static void tf_line_done(struct mime_parser *p)
{
	size_t n = p->tf_len;
	const uint8_t *l = p->tf;
	size_t body = n;
	while (body && (l[body - 1] == '\n' || l[body - 1] == '\r'))
		body--;
	if (p->tf_state == TF_BEGIN) {
		size_t off = uu_begin_line(l, body);
		if (off) {
			char name[MIME_UU_LINE * 3];
			size_t nl = mime_utf8_put(name, sizeof(name), 0, l + off,
						  body - off);
			mime_out_flush(p);
			mime_uu_begin(p, name, nl);
			p->tf_state = TF_UU;
		} else {
			mime_out_put(p, l, n);
			p->tf_state = TF_LS;
		}
	} else { /* TF_UU */
		while (body && l[body - 1] == ' ')
			body--;
		if (body == 3 && !memcmp(l, "end", 3)) {
			mime_uu_end(p, 0);
			p->tf_state = TF_LS;
		} else {
			uu_line(p, l, body);
		}
	}
	p->tf_len = 0;
}

/* The first line start at or after i + 1 whose first byte is 'b' (the
 * index of that 'b'), or n: 16 bytes at a time with SSE2. */
static size_t lf_b(const uint8_t *d, size_t i, size_t n)
{
#ifdef __SSE2__
	const __m128i lf = _mm_set1_epi8('\n'), b = _mm_set1_epi8('b');

	for (; i + 17 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(d + i));
		__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(d + i + 1));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, lf)) &
			     (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(y, b));

		if (m)
			return i + (size_t)__builtin_ctz(m) + 1;
	}
#endif
	for (; i + 1 < n; i++)
		if (d[i] == '\n' && d[i + 1] == 'b')
			return i + 1;
	return n;
}

static void text_out(struct mime_parser *p, const uint8_t *d, size_t n)
{
	if (!mime_top(p)->uu_scan) {
		mime_out_put(p, d, n);
		return;
	}
	size_t i = 0;
	while (i < n) {
		uint8_t c = d[i];
		switch (p->tf_state) {
		case TF_PASS: {
			/* Only a line that starts with "begin " matters:
			 * everything up to the next line starting with 'b'
			 * goes out in one piece. */
			size_t end = lf_b(d, i, n);
			mime_out_put(p, d + i, end - i);
			i = end;
			if (end < n || d[n - 1] == '\n')
				p->tf_state = TF_LS;
			break;
		}
		case TF_LS:
			/* A whole line start in view that is not "begin ":
			 * the line is text (PASS writes it out), without
			 * holding its first bytes one at a time. */
			if (p->tf_len == 0 && c != '\n' && n - i >= 6 &&
			    memcmp(d + i, "begin ", 6) != 0) {
				p->tf_state = TF_PASS;
				break;
			}
			i++;
			if (c != "begin "[p->tf_len]) {
				mime_out_put(p, p->tf, p->tf_len);
				mime_out_put(p, &c, 1);
				p->tf_len = 0;
				p->tf_state = c == '\n' ? TF_LS : TF_PASS;
				break;
			}
			p->tf[p->tf_len++] = c;
			if (p->tf_len == 6)
				p->tf_state = TF_BEGIN;
			break;
		case TF_BEGIN:
		case TF_UU:
			i++;
			if (p->tf_len == MIME_UU_LINE) {
				/* too long for either: not ours */
				if (p->tf_state == TF_BEGIN) {
					mime_out_put(p, p->tf, p->tf_len);
					mime_out_put(p, &c, 1);
					p->tf_len = 0;
					p->tf_state = c == '\n' ? TF_LS : TF_PASS;
				} else {
					uu_invalid(p);
					p->tf_len = 0;
					p->tf_state = c == '\n' ? TF_UU : TF_UUSKIP;
				}
				break;
			}
			p->tf[p->tf_len++] = c;
			if (c == '\n')
				tf_line_done(p);
			break;
		case TF_UUSKIP:
			i++;
			if (c == '\n')
				p->tf_state = TF_UU;
			break;
		}
	}
}

/* ---- transfer decoders ---------------------------------------------- */

static void b64_bad(struct mime_parser *p)
{
	struct mime_entity *e = mime_top(p);
	if (!e->b64_reported) {
		e->b64_reported = 1;
		mime_anomaly(p, MIME_ANOM_INVALID_BASE64);
	}
	e->b64_invalid++;
}

static void qp_bad(struct mime_parser *p)
{
	struct mime_entity *e = mime_top(p);
	if (!e->qp_reported) {
		e->qp_reported = 1;
		mime_anomaly(p, MIME_ANOM_INVALID_QP);
	}
	e->qp_invalid++;
}

/* Hands the o decoded bytes on (b64_decode's two output modes); returns
 * the new fill, 0. */
static size_t b64_flush(struct mime_parser *p, uint8_t *buf, size_t o, bool direct)
{
	if (direct) {
		p->ctx->out_len = (uint16_t)o;
		mime_out_flush(p);
	} else if (o) {
		text_out(p, buf, o);
	}
	return 0;
}

/* RFC 2045 6.8, tolerant: whitespace anywhere is skipped, other characters
 * outside the alphabet are skipped and counted, '=' closes the quantum so
 * data after mid-stream padding (concatenated encodings) still decodes. */
/*
 * The decoder state (accumulator, characters in the quantum) lives in
 * locals while a chunk is decoded and goes back to the parser at the end,
 * so the loop is not tied to memory. At a quantum boundary, groups of four
 * valid characters decode at once (the body of every base64 line); the
 * byte-at-a-time path handles line ends, padding and bad characters.
 */
static void b64_decode(struct mime_parser *p, const uint8_t *d, size_t n)
{
	uint8_t buf[3072];
	/* Without the text filter, bytes are decoded straight into the
	 * parser's output buffer (no copy); else into buf for text_out(). */
	const bool direct = !mime_top(p)->uu_scan;
	uint8_t *out = direct ? p->ctx->out : buf;
	const size_t cap = direct ? MIME_OUT_SIZE : sizeof(buf);
	size_t o = direct ? p->ctx->out_len : 0, i = 0;
	uint32_t acc = p->b64_acc;
	unsigned k = p->b64_n;

	while (i < n) {
		if (k == 0) {
			const size_t i0 = i;
			/* Whole vector blocks first, line after line
			 * (b64_simd.c), within the output room; the loop
			 * below takes what they leave four characters at a
			 * time. */
			size_t lim = (cap - o) / 3 * 4, used, w;

			if (lim > n - i)
				lim = n - i;
			used = mime_b64_lines_decode(d + i, lim, out + o, &w);
			i += used;
			o += w;
			lim = (cap - o) / 3 * 4;
			if (lim > n - i)
				lim = n - i;
			used = mime_b64_block_decode_impl(MIME_B64_IMPL_SCALAR, d + i, lim, out + o);
			i += used;
			o += used / 4 * 3;
			/* The line end between two lines of quanta. */
			while (i < n && (d[i] == '\r' || d[i] == '\n'))
				i++;
			if (i >= n)
				break;
			if (o + 3 > cap) {
				o = b64_flush(p, buf, o, direct);
				continue;
			}
			if (i > i0)
				continue;       /* the next line: vector path */
		}
		uint8_t v = b64_val(d[i++]);

		if (v < 64) {
			acc = acc << 6 | v;
			if (++k == 4) {
				out[o++] = (uint8_t)(acc >> 16);
				out[o++] = (uint8_t)(acc >> 8);
				out[o++] = (uint8_t)acc;
				k = 0;
				acc = 0;
			}
		} else if (v == 65) {
			if (k == 2) {
				out[o++] = (uint8_t)(acc >> 4);
			} else if (k == 3) {
				out[o++] = (uint8_t)(acc >> 10);
				out[o++] = (uint8_t)(acc >> 2);
			} else if (k == 1) {
				o = b64_flush(p, buf, o, direct);
				b64_bad(p);
			}
			k = 0;
			acc = 0;
		} else if (v == 66) {
			o = b64_flush(p, buf, o, direct);
			b64_bad(p);
		}
		if (o > cap - 3)
			o = b64_flush(p, buf, o, direct);
	}
	p->b64_acc = acc;
	p->b64_n = (uint8_t)k;
	if (direct)
		p->ctx->out_len = (uint16_t)o;
	else if (o)
		text_out(p, buf, o);
}

/*
 * A bad "=" escape: flush what is decoded, count it, and pass "=" (and the
 * hex digit read after it, if any) through as text; c either starts a new
 * escape or is text too. Returns the new fill of buf (at most 3 bytes).
 */
static size_t qp_pass_bad(struct mime_parser *p, uint8_t *buf, size_t o,
			  const uint8_t *digit, uint8_t c)
{
	if (o) {
		text_out(p, buf, o);
		o = 0;
	}
	qp_bad(p);
	buf[o++] = '=';
	if (digit)
		buf[o++] = *digit;
	if (c == '=') {
		p->qp_state = 1;
	} else {
		buf[o++] = c;
		p->qp_state = 0;
	}
	return o;
}

/* RFC 2045 6.7: "=XX" is a byte, "=" at line end a soft break; a bad
 * escape is passed through as is and counted (rule 1's advice to
 * robust decoders). */
static void qp_decode(struct mime_parser *p, const uint8_t *d, size_t n)
{
	uint8_t buf[512];
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = d[i];
		switch (p->qp_state) {
		case 0: {
			/* literal bytes up to the next '=' go out as one run:
			 * buffered when they fit, else straight from the input */
			const uint8_t *eq = memchr(d + i, '=', n - i);
			size_t run = (eq ? (size_t)(eq - d) : n) - i;

			if (run > sizeof(buf) - 24 - o) {
				if (o)
					text_out(p, buf, o);
				o = 0;
				text_out(p, d + i, run);
			} else {
				memcpy(buf + o, d + i, run);
				o += run;
			}
			i += run;
			if (eq)
				p->qp_state = 1;
			break;
		}
		case 1:
			if (c == '\n') {
				p->qp_state = 0;                /* soft break */
			} else if (c == '\r') {
				p->qp_state = 3;
			} else if (c == ' ' || c == '\t') {
				/* rule 3: whitespace a sender added after
				 * the soft break's '=' is transport padding */
				p->qp_ws[0] = c;
				p->qp_ws_n = 1;
				p->qp_state = 4;
			} else if (hexval(c) >= 0) {
				p->qp_c1 = c;
				p->qp_state = 2;
			} else {
				o = qp_pass_bad(p, buf, o, NULL, c);
			}
			break;
		case 2:
			if (hexval(c) >= 0) {
				buf[o++] = (uint8_t)(hexval(p->qp_c1) << 4 | hexval(c));
				p->qp_state = 0;
			} else {
				o = qp_pass_bad(p, buf, o, &p->qp_c1, c);
			}
			break;
		case 4:
			if ((c == ' ' || c == '\t') && p->qp_ws_n < sizeof(p->qp_ws)) {
				p->qp_ws[p->qp_ws_n++] = c;
				break;
			}
			if (c == '\n') {
				p->qp_state = 0;                /* soft break */
				break;
			}
			if (c == '\r') {
				p->qp_state = 3;
				break;
			}
			if (o) {
				text_out(p, buf, o);
				o = 0;
			}
			qp_bad(p);
			buf[o++] = '=';
			memcpy(buf + o, p->qp_ws, p->qp_ws_n);
			o += p->qp_ws_n;
			p->qp_state = 0;
			if (c == '=')
				p->qp_state = 1;
			else
				buf[o++] = c;
			break;
		case 3:
			p->qp_state = 0;
			if (c == '\n')
				break;                          /* soft break */
			/* "=" CR not followed by LF: keep both bytes */
			if (o) {
				text_out(p, buf, o);
				o = 0;
			}
			qp_bad(p);
			buf[o++] = '=';
			buf[o++] = '\r';
			if (c == '=')
				p->qp_state = 1;
			else
				buf[o++] = c;
			break;
		}
		if (o > sizeof(buf) - 24) {
			text_out(p, buf, o);
			o = 0;
		}
	}
	if (o)
		text_out(p, buf, o);
}

void mime_decode(struct mime_parser *p, const uint8_t *d, size_t n)
{
	switch (mime_top(p)->encoding) {
	case MIME_ENC_BASE64:
		b64_decode(p, d, n);
		break;
	case MIME_ENC_QP:
		qp_decode(p, d, n);
		break;
	default:
		text_out(p, d, n);
		break;
	}
}

void mime_decode_finish(struct mime_parser *p)
{
	struct mime_entity *e = mime_top(p);
	if (e->encoding == MIME_ENC_BASE64) {
		/* missing padding is common and harmless: decode what is there */
		uint8_t b[2];
		if (p->b64_n == 2) {
			b[0] = (uint8_t)(p->b64_acc >> 4);
			text_out(p, b, 1);
		} else if (p->b64_n == 3) {
			b[0] = (uint8_t)(p->b64_acc >> 10);
			b[1] = (uint8_t)(p->b64_acc >> 2);
			text_out(p, b, 2);
		} else if (p->b64_n == 1) {
			b64_bad(p);
		}
	} else if (e->encoding == MIME_ENC_QP) {
		/* a dangling "=" at the very end: a soft break with nothing after */
		if (p->qp_state == 2) {
			uint8_t b[2] = { '=', p->qp_c1 };
			qp_bad(p);
			text_out(p, b, 2);
		}
	}
	p->b64_n = 0;
	p->b64_acc = 0;
	p->qp_state = 0;
	if (e->uu_scan) {
		if (p->tf_state == TF_BEGIN && p->tf_len) {
			/* a begin line cut by the end of the part */
			mime_out_put(p, p->tf, p->tf_len);
		} else if (p->tf_state == TF_LS) {
			mime_out_put(p, p->tf, p->tf_len);
		} else if (p->tf_state == TF_UU || p->tf_state == TF_UUSKIP) {
			if (p->tf_len)
				tf_line_done(p);
			if (p->uu_active) {
				mime_anomaly(p, MIME_ANOM_UUENCODE_UNTERMINATED);
				mime_uu_end(p, 1);
			}
		}
		p->tf_len = 0;
		p->tf_state = TF_LS;
	}
	mime_out_flush(p);
}
