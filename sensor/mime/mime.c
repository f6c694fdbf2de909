/*
 * mime.c — the MIME entity state machine: header sections, boundary lines,
 * the entity stack and event delivery.
 *
 * Bytes arrive in any chunking. In a header section the current physical
 * line is appended to the pending field in a pool block; the first byte of
 * each line decides (RFC 5322 2.2.3): WSP continues the field, anything
 * else completes it, an empty line ends the section. In a body, each line's
 * first bytes (up to "--" + longest open boundary + "--") are held in lp[]
 * until they prove to be or not to be a boundary, and each line's CRLF is
 * withheld until the next line is known not to be a boundary, because the
 * CRLF before a delimiter belongs to the delimiter (RFC 2046 5.1.1). Every
 * decision depends only on the bytes, never on where a chunk ended.
 *
 * Invariants: n_ent >= 1 while the parser lives; only ent[n_ent-1] is
 * parsed; a multipart's boundary lives in the arena until the message ends;
 * a container never sits at depth cfg.max_depth (it is parsed as a leaf).
 */
#include "mime_int.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static const char *const anomaly_names[MIME_ANOM_COUNT] = {
	[MIME_ANOM_DEPTH_EXCEEDED] = "mime_depth_exceeded",
	[MIME_ANOM_HEADER_TOO_LONG] = "mime_header_too_long",
	[MIME_ANOM_HEADER_LINE_TOO_LONG] = "mime_header_line_too_long",
	[MIME_ANOM_HEADER_TRUNCATED] = "mime_header_truncated",
	[MIME_ANOM_INVALID_HEADER] = "mime_invalid_header",
	[MIME_ANOM_BOUNDARY_TOO_LONG] = "mime_boundary_too_long",
	[MIME_ANOM_MISSING_BOUNDARY] = "mime_missing_boundary",
	[MIME_ANOM_MISSING_BOUNDARY_END] = "mime_missing_boundary_end",
	[MIME_ANOM_TOO_MANY_PARTS] = "mime_too_many_parts",
	[MIME_ANOM_INVALID_BASE64] = "mime_invalid_base64",
	[MIME_ANOM_INVALID_QP] = "mime_invalid_qp",
	[MIME_ANOM_INVALID_UUENCODE] = "mime_invalid_uuencode",
	[MIME_ANOM_UUENCODE_UNTERMINATED] = "mime_uuencode_unterminated",
	[MIME_ANOM_INVALID_ENCODED_WORD] = "mime_invalid_encoded_word",
	[MIME_ANOM_UNKNOWN_CHARSET] = "mime_unknown_charset",
	[MIME_ANOM_UNKNOWN_ENCODING] = "mime_unknown_encoding",
	[MIME_ANOM_POOL_EXHAUSTED] = "mime_pool_exhausted",
	[MIME_ANOM_MESSAGE_ENCODED] = "mime_message_encoded",
	[MIME_ANOM_NAME_TRUNCATED] = "mime_filename_truncated",
};

static const char *const encoding_names[] = {
	[MIME_ENC_7BIT] = "7bit", [MIME_ENC_8BIT] = "8bit",
	[MIME_ENC_BINARY] = "binary", [MIME_ENC_BASE64] = "base64",
	[MIME_ENC_QP] = "quoted-printable", [MIME_ENC_UUENCODE] = "x-uuencode",
	[MIME_ENC_UNKNOWN] = "unknown",
};

const char *mime_anomaly_name(enum mime_anomaly id)
{
	if ((unsigned)id >= MIME_ANOM_COUNT)
		return "mime_unknown";
	return anomaly_names[id];
}

const char *mime_encoding_name(enum mime_encoding e)
{
	if ((unsigned)e > MIME_ENC_UNKNOWN)
		return "unknown";
	return encoding_names[e];
}

int mime_ctx_init(struct mime_ctx *ctx, const struct mime_config *cfg,
		  struct mt_blockpool *pool)
{
	memset(ctx, 0, sizeof(*ctx));
	if (cfg)
		ctx->cfg = *cfg;
	struct mime_config *c = &ctx->cfg;
	/* Suricata follows nesting past 40 levels and thousands of parts:
	 * an attachment hidden deeper or later must not be a blind spot.
	 * The entity stack is part of the parser's block (48 + 1 entries
	 * of 64 bytes: 3.7 KiB of a 4 KiB block); a part costs no memory
	 * once it ends. */
	if (!c->max_depth)
		c->max_depth = MIME_DEPTH_HARD_MAX;
	if (c->max_depth > MIME_DEPTH_HARD_MAX)
		c->max_depth = MIME_DEPTH_HARD_MAX;
	if (!c->max_header_line)
		c->max_header_line = 998;
	if (!c->max_header_bytes)
		c->max_header_bytes = 65536;
	if (!c->max_boundary)
		c->max_boundary = 70;
	if (c->max_boundary > MIME_BOUNDARY_HARD_MAX)
		c->max_boundary = MIME_BOUNDARY_HARD_MAX;
	if (!c->max_parts)
		c->max_parts = 10000;
	ctx->pool = pool;
	if (!pool || pool->block_size < sizeof(struct mime_parser) ||
	    pool->block_size < sizeof(struct mime_pinfo) || pool->block_size < 2048)
		return -EINVAL;
	return mime_charsets_open(ctx);
}

void mime_ctx_destroy(struct mime_ctx *ctx)
{
	mime_charsets_close(ctx);
}

/* ---- events ---------------------------------------------------------- */

static void ev_init(struct mime_event *ev, enum mime_event_type t,
		    const struct mime_entity *e)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = t;
	ev->depth = e->depth;
	ev->msg_depth = e->msg_depth;
	ev->index = e->index;
	ev->parent = e->parent;
}

void mime_out_flush(struct mime_parser *p)
{
	if (!p->ctx->out_len)
		return;
	struct mime_entity *e = mime_top(p);
	struct mime_event ev;
	ev_init(&ev, MIME_EV_BODY, e);
	if (p->uu_active) {
		ev.depth = e->depth + 1;
		ev.index = p->uu_index;
		ev.parent = e->index;
		ev.u.body.is_file = 1;
		p->uu_size += p->ctx->out_len;
	} else {
		ev.u.body.is_file = e->is_file;
		e->size += p->ctx->out_len;
	}
	ev.u.body.data = p->ctx->out;
	ev.u.body.len = p->ctx->out_len;
	p->ctx->stats.body_bytes += p->ctx->out_len;
	p->ctx->out_len = 0;
	p->cb(p->user, &ev);
}

void mime_out_put(struct mime_parser *p, const uint8_t *d, size_t n)
{
	while (n) {
		size_t room = MIME_OUT_SIZE - p->ctx->out_len;
		size_t k = n < room ? n : room;
		memcpy(p->ctx->out + p->ctx->out_len, d, k);
		p->ctx->out_len += (uint16_t)k;
		d += k;
		n -= k;
		if (p->ctx->out_len == MIME_OUT_SIZE)
			mime_out_flush(p);
	}
}

void mime_anomaly(struct mime_parser *p, enum mime_anomaly id)
{
	mime_out_flush(p);
	p->ctx->stats.anomalies[id]++;
	struct mime_event ev;
	ev_init(&ev, MIME_EV_ANOMALY, mime_top(p));
	ev.u.anomaly.id = id;
	ev.u.anomaly.name = anomaly_names[id];
	p->cb(p->user, &ev);
}

static void set_str(struct mime_str *s, const char *c)
{
	s->ptr = c;
	s->len = strlen(c);
}

void mime_uu_begin(struct mime_parser *p, const char *name, size_t nlen)
{
	mime_out_flush(p);
	struct mime_entity *e = mime_top(p);
	struct mime_event ev;
	ev_init(&ev, MIME_EV_PART_BEGIN, e);
	p->uu_active = 1;
	p->uu_index = p->next_index++;
	p->uu_size = 0;
	p->uu_invalid = 0;
	p->uu_trunc = 0;
	ev.depth = e->depth + 1;
	ev.index = p->uu_index;
	ev.parent = e->index;
	set_str(&ev.u.part.type, "application");
	set_str(&ev.u.part.subtype, "octet-stream");
	set_str(&ev.u.part.charset, "");
	set_str(&ev.u.part.boundary, "");
	set_str(&ev.u.part.disposition, "attachment");
	ev.u.part.filename.ptr = name;
	ev.u.part.filename.len = nlen;
	ev.u.part.encoding = MIME_ENC_UUENCODE;
	ev.u.part.is_file = 1;
	ev.u.part.type_defaulted = 1;
	p->ctx->stats.entities++;
	p->ctx->stats.files++;
	p->cb(p->user, &ev);
}

void mime_uu_end(struct mime_parser *p, int truncated)
{
	mime_out_flush(p);
	struct mime_entity *e = mime_top(p);
	struct mime_event ev;
	ev_init(&ev, MIME_EV_PART_END, e);
	ev.depth = e->depth + 1;
	ev.index = p->uu_index;
	ev.parent = e->index;
	ev.u.end.size = p->uu_size;
	ev.u.end.b64_invalid = p->uu_invalid;
	ev.u.end.truncated = (uint8_t)(truncated || p->uu_trunc);
	ev.u.end.is_file = 1;
	p->uu_active = 0;
	p->uu_trunc = 0;
	p->cb(p->user, &ev);
}

/* ---- entity stack ---------------------------------------------------- */

static void recompute_lp_cap(struct mime_parser *p)
{
	uint32_t m = 0;
	for (uint32_t i = 0; i < p->n_ent; i++)
		if (p->ent[i].kind == ENT_MULTI && p->ent[i].blen > m)
			m = p->ent[i].blen;
	p->lp_cap = (uint16_t)(2 + m + 2);
}

static void release_hdr(struct mime_parser *p)
{
	if (p->hdr) {
		mt_block_put(p->ctx->pool, p->hdr);
		p->hdr = NULL;
	}
	if (p->pi) {
		mt_block_put(p->ctx->pool, p->pi);
		p->pi = NULL;
	}
}

/* Start the header section of a new entity below the top one (or the
 * message itself when the stack is empty). */
static void push_entity(struct mime_parser *p, int encapsulated)
{
	struct mime_entity *parent = p->n_ent ? mime_top(p) : NULL;
	struct mime_entity *e = &p->ent[p->n_ent++];
	memset(e, 0, sizeof(*e));
	if (parent) {
		e->depth = parent->depth + 1;
		e->msg_depth = parent->msg_depth + (encapsulated ? 1 : 0);
		e->parent = parent->index;
		e->default_msg = parent->digest;
		e->index = parent->index;
		if (parent->kind == ENT_SKIP) {
			e->kind = ENT_SKIP;
		} else if (p->next_index >= p->ctx->cfg.max_parts) {
			/* parts past the cap are skipped whole, reported once */
			e->kind = ENT_SKIP;
			if (!p->parts_reported)
				mime_anomaly(p, MIME_ANOM_TOO_MANY_PARTS);
			p->parts_reported = 1;
		}
	} else {
		e->parent = UINT32_MAX;
	}
	if (e->kind != ENT_SKIP) {
		e->index = p->next_index++;
		p->ctx->stats.entities++;
	} else {
		e->index = parent->index;
	}
	p->state = P_HDR;
	p->hdr_len = 0;
	p->hdr_phys = 0;
	p->hdr_line_over = 0;
	p->hdr_trunc = 0;
	p->hdr_skip = (e->kind == ENT_SKIP);
	p->hdr_line_cr = 0;
	p->hdr_line_first = 0;
	p->hdr_skip_line = 0;
	if (!p->hdr && !p->hdr_skip) {
		p->hdr = mt_block_get(p->ctx->pool);
		if (!p->hdr) {
			p->hdr_skip = 1;
			mime_anomaly(p, MIME_ANOM_POOL_EXHAUSTED);
		}
	}
	if (!p->pi && !p->hdr_skip) {
		p->pi = mt_block_get(p->ctx->pool);
		if (!p->pi)
			mime_anomaly(p, MIME_ANOM_POOL_EXHAUSTED);
	}
	if (p->pi)
		memset(p->pi, 0, sizeof(*p->pi));
}

struct mime_parser *mime_parser_new(struct mime_ctx *ctx, mime_event_fn cb,
				    void *user)
{
	struct mime_parser *p = mt_block_get(ctx->pool);
	if (!p) {
		ctx->stats.anomalies[MIME_ANOM_POOL_EXHAUSTED]++;
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->ctx = ctx;
	p->cb = cb;
	p->user = user;
	p->arena.pool = ctx->pool;
	p->arena.max_blocks = 64;
	ctx->stats.messages++;
	push_entity(p, 0);
	recompute_lp_cap(p);
	return p;
}

static void enter_body(struct mime_parser *p)
{
	p->state = P_BODY;
	p->bmode = BM_PREFIX;
	p->pend_eol = 0;
	p->cr_held = 0;
	p->lp_len = 0;
	release_hdr(p);
}

/* Close the top entity: flush its decoders, report, pop. */
static void close_top(struct mime_parser *p, int truncated)
{
	struct mime_entity *e = mime_top(p);
	if (e->kind == ENT_LEAF && e->began)
		mime_decode_finish(p);
	mime_out_flush(p);
	if (e->kind == ENT_MULTI && e->mstate != MS_EPILOGUE) {
		mime_anomaly(p, MIME_ANOM_MISSING_BOUNDARY_END);
		truncated = 1;
	}
	if (e->kind != ENT_SKIP) {
		struct mime_event ev;
		ev_init(&ev, MIME_EV_PART_END, e);
		ev.u.end.size = e->size;
		ev.u.end.b64_invalid = e->b64_invalid;
		ev.u.end.qp_invalid = e->qp_invalid;
		ev.u.end.truncated = (uint8_t)(truncated || e->truncated);
		ev.u.end.is_file = e->is_file;
		ev.u.end.is_multipart = e->kind == ENT_MULTI;
		p->cb(p->user, &ev);
	}
	p->n_ent--;
	if (e->kind == ENT_MULTI)
		recompute_lp_cap(p);
}

/* ---- header section -------------------------------------------------- */

static int is_wsp(uint8_t c)
{
	return c == ' ' || c == '\t';
}

int mime_ieq(const char *a, size_t alen, const char *lit)
{
	size_t n = strlen(lit);
	if (alen != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = a[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != lit[i])
			return 0;
	}
	return 1;
}

/* Length of a valid field name before ':' in the pending field, or 0.
 * RFC 5322 3.6.8: printable US-ASCII except ':'; obsolete WSP before the
 * colon (4.5) is tolerated. *colon gets the colon's offset. */
static size_t field_name(const uint8_t *h, size_t n, size_t *colon)
{
	size_t i = 0;
	while (i < n && h[i] > 32 && h[i] < 127 && h[i] != ':')
		i++;
	size_t name_len = i;
	while (i < n && is_wsp(h[i]))
		i++;
	if (!name_len || i >= n || h[i] != ':')
		return 0;
	*colon = i;
	return name_len;
}

/* The pending field hdr[0..hdr_len) is complete: report and interpret it. */
static void field_done(struct mime_parser *p)
{
	if (!p->hdr || !p->hdr_len || p->hdr_skip)
		return;
	const uint8_t *h = p->hdr;
	size_t n = p->hdr_len, colon = 0;
	size_t nl = field_name(h, n, &colon);
	if (!nl)
		return;         /* rejected when its first line ended */
	size_t vs = colon + 1, ve = n;
	while (vs < ve && (is_wsp(h[vs]) || h[vs] == '\r' || h[vs] == '\n'))
		vs++;
	while (ve > vs && (is_wsp(h[ve - 1]) || h[ve - 1] == '\r' || h[ve - 1] == '\n'))
		ve--;
	const char *name = (const char *)h, *val = (const char *)h + vs;
	size_t vlen = ve - vs;

	struct mime_event ev;
	ev_init(&ev, MIME_EV_HEADER, mime_top(p));
	ev.u.header.name.ptr = name;
	ev.u.header.name.len = nl;
	ev.u.header.value.ptr = val;
	ev.u.header.value.len = vlen;
	ev.u.header.decoded = ev.u.header.value;
	ev.u.header.truncated = p->hdr_trunc;
	char *scratch = NULL;
	int need = memmem(val, vlen, "=?", 2) != NULL;
	for (size_t i = 0; i < vlen && !need; i++)
		need = (uint8_t)val[i] >= 0x80;
	if (need) {
		scratch = mt_block_get(p->ctx->pool);
		if (scratch) {
			size_t dl = mime_ew_decode(p, val, vlen, scratch,
						   p->ctx->pool->block_size);
			ev.u.header.decoded.ptr = scratch;
			ev.u.header.decoded.len = dl;
		} else {
			mime_anomaly(p, MIME_ANOM_POOL_EXHAUSTED);
		}
	}
	p->ctx->stats.headers++;
	mime_out_flush(p);
	p->cb(p->user, &ev);
	if (scratch)
		mt_block_put(p->ctx->pool, scratch);

	if (!p->pi)
		return;
	if (mime_ieq(name, nl, "content-type"))
		mime_parse_ctype(p, val, vlen);
	else if (mime_ieq(name, nl, "content-disposition"))
		mime_parse_disposition(p, val, vlen);
	else if (mime_ieq(name, nl, "content-transfer-encoding"))
		mime_parse_cte(p, val, vlen);
}

static enum mime_encoding cte_of(struct mime_parser *p, const char *s)
{
	size_t n = strlen(s);
	if (!n || mime_ieq(s, n, "7bit"))
		return MIME_ENC_7BIT;
	if (mime_ieq(s, n, "8bit"))
		return MIME_ENC_8BIT;
	if (mime_ieq(s, n, "binary"))
		return MIME_ENC_BINARY;
	if (mime_ieq(s, n, "base64"))
		return MIME_ENC_BASE64;
	if (mime_ieq(s, n, "quoted-printable"))
		return MIME_ENC_QP;
	if (mime_ieq(s, n, "x-uuencode") || mime_ieq(s, n, "x-uue") ||
	    mime_ieq(s, n, "uuencode"))
		return MIME_ENC_UUENCODE;
	mime_anomaly(p, MIME_ANOM_UNKNOWN_ENCODING);
	return MIME_ENC_UNKNOWN;
}

/*
 * The header section of the top entity ended. Classify it (RFC 2045 5.2
 * defaults, RFC 2046 5.1.5 digest default), report PART_BEGIN and set up
 * its body. With `closing`, the entity ends right away (boundary or end of
 * input inside its headers): report it as an empty leaf or container.
 */
static void headers_end(struct mime_parser *p, int closing)
{
	struct mime_entity *e = mime_top(p);
	struct mime_pinfo *pi = p->pi;
	if (e->kind == ENT_SKIP) {
		if (!closing)
			enter_body(p);
		return;
	}
	static const struct mime_pinfo empty;
	const struct mime_pinfo *q = pi ? pi : &empty;
	const char *type = q->type, *sub = q->subtype;
	int defaulted = !q->have_ctype;
	if (defaulted) {
		type = e->default_msg ? "message" : "text";
		sub = e->default_msg ? "rfc822" : "plain";
	}
	enum mime_encoding enc = cte_of(p, q->cte);
	int is_multi = !strcmp(type, "multipart");
	/*
	 * message/rfc822 admits no encoding but 7bit, 8bit and binary (RFC
	 * 2046 section 5.2.1): a base64 or quoted-printable label on one is
	 * false, and the body is read as the message it is — as receiving
	 * clients do, and as Suricata does since its bug 8649, where the
	 * label hid an attachment from decoders that believed it. Reported.
	 * message/global may be encoded (RFC 6532 section 3.5): such a part
	 * stays a file (decoded, hashed, scanned), not parsed inside.
	 */
	int is_rfc822 = !strcmp(type, "message") && !strcmp(sub, "rfc822");
	int is_msg = is_rfc822 || (!strcmp(type, "message") && !strcmp(sub, "global") &&
				   enc != MIME_ENC_BASE64 && enc != MIME_ENC_QP);
	if (is_rfc822 && !closing && (enc == MIME_ENC_BASE64 || enc == MIME_ENC_QP))
		mime_anomaly(p, MIME_ANOM_MESSAGE_ENCODED);
	uint32_t blen = 0;
	if (is_multi) {
		if (!q->have_boundary || !q->boundary[0]) {
			mime_anomaly(p, MIME_ANOM_MISSING_BOUNDARY);
			is_multi = 0;
		} else {
			blen = q->boundary_wire_len;
			if (blen > p->ctx->cfg.max_boundary)
				mime_anomaly(p, MIME_ANOM_BOUNDARY_TOO_LONG);
			if (blen > MIME_BOUNDARY_HARD_MAX)
				is_multi = 0;
		}
	}
	if ((is_multi || is_msg) && e->depth >= p->ctx->cfg.max_depth) {
		mime_anomaly(p, MIME_ANOM_DEPTH_EXCEEDED);
		is_multi = is_msg = 0;
	}
	if (is_multi && !closing) {
		char *b = mt_arena_memdup(&p->arena, q->boundary, q->boundary_len);
		blen = q->boundary_len;
		if (!b) {
			mime_anomaly(p, MIME_ANOM_POOL_EXHAUSTED);
			is_multi = 0;
		} else {
			e->boundary = b;
			e->blen = (uint16_t)blen;
		}
	}
	int has_name = q->filename_len || q->name_len;
	e->kind = is_multi ? ENT_MULTI : is_msg ? ENT_MESSAGE : ENT_LEAF;
	e->encoding = (uint8_t)(e->kind == ENT_LEAF ? enc : MIME_ENC_7BIT);
	e->digest = is_multi && !strcmp(sub, "digest");
	if (e->kind == ENT_LEAF) {
		/* The message text: a text/plain or text/html leaf of the top
		 * message that is not marked or named as an attachment.
		 * Everything else is a file (also nameless parts). */
		e->is_text_body = e->msg_depth == 0 && !strcmp(type, "text") &&
			(!strcmp(sub, "plain") || !strcmp(sub, "html")) &&
			strcmp(q->disposition, "attachment") != 0 && !has_name;
		e->is_file = !e->is_text_body;
		e->uu_scan = (!strcmp(type, "text") && !strcmp(sub, "plain")) ||
			enc == MIME_ENC_UUENCODE;
		if (e->is_file)
			p->ctx->stats.files++;
	}

	struct mime_event ev;
	ev_init(&ev, MIME_EV_PART_BEGIN, e);
	struct mime_part_desc *d = &ev.u.part;
	set_str(&d->type, type);
	set_str(&d->subtype, sub);
	set_str(&d->charset, q->charset);
	/* a multipart closed inside its headers has no boundary copy */
	d->boundary.ptr = e->boundary ? e->boundary : "";
	d->boundary.len = e->boundary ? e->blen : 0;
	set_str(&d->disposition, q->disposition);
	if (q->filename_len) {
		d->filename.ptr = q->filename;
		d->filename.len = q->filename_len;
	} else {
		d->filename.ptr = q->name;
		d->filename.len = q->name_len;
	}
	d->encoding = enc;
	d->is_multipart = e->kind == ENT_MULTI;
	d->is_message = e->kind == ENT_MESSAGE;
	d->is_file = e->is_file;
	d->is_text_body = e->is_text_body;
	d->type_defaulted = (uint8_t)defaulted;
	e->began = 1;
	if (e->kind == ENT_LEAF)
		mime_decode_reset(p);
	mime_out_flush(p);
	p->cb(p->user, &ev);

	if (closing)
		return;
	if (e->kind == ENT_MESSAGE) {
		push_entity(p, 1);
		return;
	}
	enter_body(p);
	if (e->kind == ENT_MULTI) {
		e->mstate = MS_PREAMBLE;
		recompute_lp_cap(p);
	}
}

static void body_feed_all(struct mime_parser *p, const uint8_t *d, size_t n);

/* A line that cannot be a header field: the header section ends and the
 * line is the body's first line (what MUAs show), reported as an anomaly. */
static void invalid_header_line(struct mime_parser *p, int complete, int cr)
{
	mime_anomaly(p, MIME_ANOM_INVALID_HEADER);
	uint8_t *copy = mt_block_get(p->ctx->pool);
	size_t n = p->hdr_len;
	if (copy)
		memcpy(copy, p->hdr, n);
	else
		mime_anomaly(p, MIME_ANOM_POOL_EXHAUSTED);
	p->hdr_len = 0;
	headers_end(p, 0);
	if (copy) {
		body_feed_all(p, copy, n);
		if (complete)
			body_feed_all(p, (const uint8_t *)"\r\n" + !cr, 2u - !cr);
		mt_block_put(p->ctx->pool, copy);
	}
}

/* Append a piece of the current header line. The caps (line length,
 * section size, field buffer) are reported in the order their byte
 * arrives, so where a chunk ended never changes the events. */
static void hdr_append(struct mime_parser *p, const uint8_t *d, size_t n)
{
	struct mime_entity *e = mime_top(p);
	const struct mime_config *cfg = &p->ctx->cfg;
	size_t room = p->hdr ? p->ctx->pool->block_size - p->hdr_len : 0;
	size_t pos[3] = { SIZE_MAX, SIZE_MAX, SIZE_MAX };   /* line, total, buffer */
	if (!p->hdr_line_over && p->hdr_phys + n > cfg->max_header_line)
		pos[0] = cfg->max_header_line - p->hdr_phys;
	if (!p->hdr_skip && !e->hdr_over && e->hdr_bytes + n > cfg->max_header_bytes)
		pos[1] = cfg->max_header_bytes - e->hdr_bytes;
	if (!p->hdr_skip && !p->hdr_trunc && n > room)
		pos[2] = room;
	static const enum mime_anomaly ids[3] = {
		MIME_ANOM_HEADER_LINE_TOO_LONG, MIME_ANOM_HEADER_TOO_LONG,
		MIME_ANOM_HEADER_TRUNCATED,
	};
	int skip = p->hdr_skip, done[3] = { 0, 0, 0 };
	for (int round = 0; round < 3; round++) {
		int best = -1;
		for (int j = 0; j < 3; j++)
			if (!done[j] && pos[j] != SIZE_MAX &&
			    (best < 0 || pos[j] < pos[best]))
				best = j;
		if (best < 0)
			break;
		done[best] = 1;
		if (!skip)
			mime_anomaly(p, ids[best]);
	}
	p->hdr_phys += (uint32_t)n;
	if (pos[0] != SIZE_MAX)
		p->hdr_line_over = 1;
	if (p->hdr_skip)
		return;
	/*
	 * A header section over max_header_bytes is reported, and parsing
	 * goes on: every field is already bounded by one block, and a From
	 * or Subject behind 64 KiB of padding Received headers must not be
	 * hidden from the email object and the rules (Zeek's address-limits
	 * capture; Zeek's own limit is per field too).
	 */
	if (pos[1] != SIZE_MAX)
		e->hdr_over = 1;
	e->hdr_bytes = n > UINT32_MAX - e->hdr_bytes ? UINT32_MAX : e->hdr_bytes + (uint32_t)n;
	if (pos[2] != SIZE_MAX)
		p->hdr_trunc = 1;
	if (n > room)
		n = room;
	memcpy(p->hdr + p->hdr_len, d, n);
	p->hdr_len += (uint32_t)n;
}

/* Consume header bytes; returns how many (stops when the section ends). */
static size_t hdr_feed(struct mime_parser *p, const uint8_t *d, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (p->hdr_phys == 0) {
			uint8_t c = d[i];
			if (c == '\n') {
				p->hdr_line_cr = 0;
				field_done(p);
				headers_end(p, 0);
				return i + 1;
			}
			if (c == '\r' && !p->hdr_line_cr) {
				/* maybe the empty line; decide on the next byte */
				p->hdr_line_cr = 1;
				i++;
				continue;
			}
			if (p->hdr_line_cr && c != '\n') {
				/* "\r" + something: a line starting with CR,
				 * never a valid field (RFC 5322 2.2) */
				field_done(p);
				p->hdr_len = 0;
				p->hdr_trunc = 0;
				p->hdr_line_first = 1;
				hdr_append(p, (const uint8_t *)"\r", 1);
				p->hdr_line_cr = 0;
				continue;
			}
			if (p->hdr_line_cr) {   /* CR LF: empty line */
				p->hdr_line_cr = 0;
				field_done(p);
				headers_end(p, 0);
				return i + 1;
			}
			if (is_wsp(c) && p->hdr_len) {
				p->hdr_line_first = 0;      /* continuation */
			} else {
				field_done(p);
				p->hdr_len = 0;
				p->hdr_trunc = 0;
				p->hdr_line_first = 1;
			}
		}
		const uint8_t *lf = memchr(d + i, '\n', n - i);
		size_t end = lf ? (size_t)(lf - d) : n;
		hdr_append(p, d + i, end - i);
		i = end;
		if (!lf)
			break;
		i++;
		/* line complete: drop its CR (unfolding removes CRLF only) */
		int cr = 0;
		if (p->hdr && p->hdr_len && p->hdr[p->hdr_len - 1] == '\r') {
			p->hdr_len--;
			cr = 1;
		}
		p->hdr_phys = 0;
		p->hdr_line_over = 0;
		if (p->hdr_line_first && !p->hdr_skip && p->hdr) {
			size_t colon;
			p->hdr_line_first = 0;
			if (!field_name(p->hdr, p->hdr_len, &colon)) {
				invalid_header_line(p, 1, cr);
				return i;
			}
		}
	}
	return i;
}

/* ---- body lines and boundaries ---------------------------------------- */

enum { LP_MORE, LP_NOT, LP_BOUNDARY };

/*
 * Is lp[] a delimiter line of an open multipart? RFC 2046 5.1.1: "--" +
 * boundary at line start, "--" after it for the close delimiter; anything
 * after that is tolerated (transport padding and worse), as MUAs do. The
 * longest matching boundary wins; outer boundaries also end inner parts.
 */
static int lp_decide(struct mime_parser *p, int complete, uint32_t *which,
		     int *is_end)
{
	size_t n = p->lp_len;
	const uint8_t *lp = p->lp;
	if (complete && n && lp[n - 1] == '\r')
		n--;
	if ((n >= 1 && lp[0] != '-') || (n >= 2 && lp[1] != '-'))
		return LP_NOT;
	if (n < 2)
		return complete ? LP_NOT : LP_MORE;
	int more = 0, found = 0;
	uint32_t best = 0, best_len = 0;
	for (uint32_t k = p->n_ent; k-- > 0;) {
		const struct mime_entity *e = &p->ent[k];
		/* after its close delimiter a multipart has no more parts
		 * (RFC 2046 5.1.1): its boundary no longer counts */
		if (e->kind != ENT_MULTI || e->mstate == MS_EPILOGUE)
			continue;
		size_t L = 2 + (size_t)e->blen;
		if (n < L) {
			if (!complete && !memcmp(lp + 2, e->boundary, n - 2))
				more = 1;
			continue;
		}
		if (memcmp(lp + 2, e->boundary, e->blen))
			continue;
		if (!complete && n < L + 2)
			more = 1;
		if (!found || e->blen > best_len) {
			found = 1;
			best = k;
			best_len = e->blen;
		}
	}
	if (more && !complete && p->lp_len < p->lp_cap)
		return LP_MORE;
	if (!found)
		return LP_NOT;
	size_t L = 2 + (size_t)best_len;
	*which = best;
	*is_end = n >= L + 2 && lp[L] == '-' && lp[L + 1] == '-';
	return LP_BOUNDARY;
}

/* Body bytes of the top entity (preamble/epilogue/skipped ones vanish). */
static void body_data(struct mime_parser *p, const uint8_t *d, size_t n)
{
	struct mime_entity *e = mime_top(p);
	if (n && e->kind == ENT_LEAF)
		mime_decode(p, d, n);
}

static void emit_pend_eol(struct mime_parser *p)
{
	if (p->pend_eol == 2)
		body_data(p, (const uint8_t *)"\r\n", 2);
	else if (p->pend_eol == 1)
		body_data(p, (const uint8_t *)"\n", 1);
	p->pend_eol = 0;
}

static void on_boundary(struct mime_parser *p, uint32_t k, int is_end)
{
	p->pend_eol = 0;
	p->cr_held = 0;
	p->lp_len = 0;
	while (p->n_ent - 1 > k)
		close_top(p, 0);
	struct mime_entity *e = mime_top(p);
	if (is_end) {
		e->mstate = MS_EPILOGUE;
		enter_body(p);
	} else {
		e->mstate = MS_PARTS;
		push_entity(p, 0);
	}
}

/*
 * The end of the run of body lines that starts at d[i] (a line start whose
 * first byte is not '-'): the start of the last line before the first
 * line that starts with '-', or of the last line whose successor is not in
 * d[0..n) yet. Those lines and their line ends are body whatever follows;
 * the line at the returned offset may still end before a delimiter. One
 * vector pass for "\n-" (SSE2 is part of x86-64) instead of a memchr per
 * line: a base64 body is all 78-byte lines.
 */
static size_t body_span_end(const uint8_t *d, size_t i, size_t n)
{
	size_t j = i, stop = n;      /* stop: the LF before a '-' line, or n */

#if defined(__SSE2__)
	const __m128i lf = _mm_set1_epi8('\n'), dash = _mm_set1_epi8('-');

	for (; j + 17 <= n; j += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(d + j));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(d + j + 1));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, lf),
									_mm_cmpeq_epi8(b, dash)));

		if (m) {
			stop = j + (size_t)__builtin_ctz(m);
			break;
		}
	}
#endif
	if (stop == n)
		for (; j + 1 < n; j++)
			if (d[j] == '\n' && d[j + 1] == '-') {
				stop = j;
				break;
			}
	/* Without a '-' line, the last LF with a byte after it ends the
	 * run; with one, the LF before the line that precedes it. */
	size_t lim = stop == n ? n - i - 1 : stop - i;
	const uint8_t *lf_last = lim ? memrchr(d + i, '\n', lim) : NULL;

	return lf_last ? (size_t)(lf_last - d) + 1 : i;
}

/*
 * Body bytes from d[from] to the LF lf that ends a line that cannot be a
 * delimiter (NULL: the line is not complete in d), in one call; the line's
 * end waits, for a delimiter may follow it (pend_eol), or when the line is
 * not complete its bytes go now and a CR at their end waits (cr_held,
 * BM_REST). Returns the offset after the line end, or n.
 */
static size_t body_upto_lf(struct mime_parser *p, const uint8_t *d, size_t from,
			   const uint8_t *lf, size_t n)
{
	size_t end = lf ? (size_t)(lf - d) : n;
	int cr = end > from && d[end - 1] == '\r';

	body_data(p, d + from, end - (size_t)cr - from);
	if (lf) {
		p->pend_eol = cr ? 2 : 1;
		p->bmode = BM_PREFIX;
		return end + 1;
	}
	p->cr_held = (uint8_t)cr;
	p->bmode = BM_REST;
	return n;
}

/* Whether a line starting with c cannot be a delimiter and is not empty
 * (an empty one takes the byte path, which withholds its line end). */
static inline bool body_line_plain(uint8_t c)
{
	return c != '-' && c != '\n';
}

/*
 * Body bytes from d[from] (after the line end still pending, if any)
 * through the run of lines that starts at the line start at (at >= from),
 * in one call: the lines whose successors are seen not to start with '-'
 * (body_span_end), and the line after them when it cannot be a delimiter
 * either (body_upto_lf: its line end waits). Returns the offset after what
 * went, which is from when nothing could go (the line at from starts with
 * '-' or is empty: the byte path's).
 */
static size_t body_lines(struct mime_parser *p, const uint8_t *d, size_t from, size_t at,
			 size_t n)
{
	size_t e = body_span_end(d, at, n);     /* < n */

	if (body_line_plain(d[e])) {
		emit_pend_eol(p);
		return body_upto_lf(p, d, from, memchr(d + e, '\n', n - e), n);
	}
	if (e > from) {
		emit_pend_eol(p);
		body_data(p, d + from, e - from);
		p->bmode = BM_PREFIX;
	}
	return e;
}

/* Consume body bytes; returns how many (stops when a new part starts). */
static size_t body_feed(struct mime_parser *p, const uint8_t *d, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (p->bmode == BM_SKIPLINE) {
			const uint8_t *lf = memchr(d + i, '\n', n - i);
			if (!lf)
				return n;
			i = (size_t)(lf - d) + 1;
			p->bmode = BM_PREFIX;
			continue;
		}
		if (p->bmode == BM_REST) {
			if (p->cr_held) {
				p->cr_held = 0;
				if (d[i] == '\n') {
					p->pend_eol = 2;
					p->bmode = BM_PREFIX;
					i++;
					continue;
				}
				body_data(p, (const uint8_t *)"\r", 1);
			}
			/* The rest of the line, and when the next line is in
			 * d and cannot be a delimiter, its line end and the
			 * lines after it too, in the same call. */
			const uint8_t *lf = memchr(d + i, '\n', n - i);
			size_t nx = lf ? (size_t)(lf - d) + 1 : n;

			if (nx < n && body_line_plain(d[nx]))
				i = body_lines(p, d, i, nx, n);
			else
				i = body_upto_lf(p, d, i, lf, n);
			continue;
		}
		/* BM_PREFIX. Only a line that starts with '-' can be a
		 * delimiter: every complete line whose successor is seen
		 * not to start with '-' is body, line end included, and
		 * goes to the decoder in one call (base64 and text bodies
		 * are runs of such lines). The last line before an unseen
		 * successor goes in the same call without its line end
		 * when it does not start with '-' (body_lines); else, and
		 * before a '-' line, it takes the byte path below, which
		 * withholds its line end for the delimiter. */
		if (p->lp_len == 0 && d[i] != '-') {
			size_t e = body_lines(p, d, i, i, n);

			if (e > i) {
				i = e;
				continue;
			}
		}
		uint8_t c = d[i++];
		uint32_t k = 0;
		int is_end = 0, r;
		if (c == '\n') {
			r = lp_decide(p, 1, &k, &is_end);
			if (r == LP_BOUNDARY) {
				on_boundary(p, k, is_end);
				p->bmode = BM_PREFIX;
				if (p->state == P_HDR)
					return i;
				continue;
			}
			size_t len = p->lp_len;
			int cr = len && p->lp[len - 1] == '\r';
			emit_pend_eol(p);
			body_data(p, p->lp, len - (size_t)cr);
			p->lp_len = 0;
			p->pend_eol = cr ? 2 : 1;
			continue;
		}
		p->lp[p->lp_len++] = c;
		r = lp_decide(p, 0, &k, &is_end);
		if (r == LP_MORE)
			continue;
		if (r == LP_BOUNDARY) {
			on_boundary(p, k, is_end);
			/* discard the rest of the delimiter line */
			p->bmode = BM_SKIPLINE;
			if (p->state == P_HDR) {
				/* the child's headers start after the LF */
				const uint8_t *lf = memchr(d + i, '\n', n - i);
				if (!lf) {
					p->hdr_skip_line = 1;
					return n;
				}
				return (size_t)(lf - d) + 1;
			}
			continue;
		}
		size_t len = p->lp_len;
		int cr = p->lp[len - 1] == '\r';
		emit_pend_eol(p);
		body_data(p, p->lp, len - (size_t)cr);
		p->lp_len = 0;
		p->cr_held = (uint8_t)cr;
		p->bmode = BM_REST;
	}
	return i;
}

static void body_feed_all(struct mime_parser *p, const uint8_t *d, size_t n)
{
	while (n) {
		size_t used;
		if (p->state == P_HDR) {
			if (p->hdr_skip_line) {
				const uint8_t *lf = memchr(d, '\n', n);
				if (!lf)
					return;
				p->hdr_skip_line = 0;
				used = (size_t)(lf - d) + 1;
			} else {
				used = hdr_feed(p, d, n);
			}
		} else {
			used = body_feed(p, d, n);
		}
		d += used;
		n -= used;
	}
}

void mime_parser_feed(struct mime_parser *p, const uint8_t *data, size_t len)
{
	p->ctx->stats.bytes_in += len;
	body_feed_all(p, data, len);
	mime_out_flush(p);
}

void mime_parser_gap(struct mime_parser *p, uint64_t n)
{
	(void)n;
	mime_top(p)->truncated = 1;
	if (p->uu_active)
		p->uu_trunc = 1;
}

void mime_parser_end(struct mime_parser *p)
{
	/* a last line without its LF is still a line */
	if (p->state == P_HDR) {
		if (p->hdr_skip_line) {
			p->hdr_skip_line = 0;
		} else if (p->hdr_line_cr) {
			p->hdr_line_cr = 0;
		} else if (p->hdr_phys && p->hdr_line_first && !p->hdr_skip && p->hdr) {
			size_t colon;
			p->hdr_line_first = 0;
			if (!field_name(p->hdr, p->hdr_len, &colon))
				invalid_header_line(p, 0, 0);
		}
	}
	if (p->state == P_BODY) {
		if (p->bmode == BM_PREFIX && p->lp_len) {
			uint32_t k = 0;
			int is_end = 0;
			if (lp_decide(p, 1, &k, &is_end) == LP_BOUNDARY) {
				on_boundary(p, k, is_end);
			} else {
				emit_pend_eol(p);
				body_data(p, p->lp, p->lp_len);
				p->lp_len = 0;
			}
		}
		if (p->state == P_BODY) {
			if (p->cr_held)
				body_data(p, (const uint8_t *)"\r", 1);
			p->cr_held = 0;
			emit_pend_eol(p);
		}
	}
	if (p->state == P_HDR) {
		field_done(p);
		headers_end(p, 1);
	}
	/* An open multipart that never saw its closing delimiter: what is
	 * open inside it was cut too (the message ended, or the connection,
	 * with the part still going), so its parts are TRUNCATED, not
	 * CLOSED (suricata-verify mime-stream-depth: a capture that ends
	 * inside a base64 attachment). */
	{
		uint32_t cut = p->n_ent;

		for (uint32_t i = 0; i < p->n_ent; i++)
			if (p->ent[i].kind == ENT_MULTI && p->ent[i].mstate != MS_EPILOGUE) {
				cut = i;
				break;
			}
		while (p->n_ent)
			close_top(p, p->n_ent - 1 > cut);
	}
	release_hdr(p);
	mt_arena_reset(&p->arena);
	mt_block_put(p->ctx->pool, p);
}
