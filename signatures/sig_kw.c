/*
 * sig_kw.c — rule keywords beyond content and pcre: isdataat, byte_test /
 * byte_jump, base64_decode / base64_data, the transforms, flowbits and
 * flowint, app-layer-event, and the file keywords (filemagic, filesize,
 * filemd5 / filesha1 / filesha256 lists). Each handler checks its value and
 * records what sig_expr.c and sig_engine.c compile, or fails with the
 * reason (sig_parse.h: fail); the keyword table is sig_rule.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sig_parse.h"

/*
 * isdataat:[!]N[,relative][,rawbytes] (Suricata's detect-isdataat.c and
 * content inspection): absolute, "the buffer has a byte at offset N"
 * (N < length); relative, "at least N bytes follow the previous content or
 * pcre match" (cursor + N <= length). Neither moves the cursor, so a later
 * relative content is still relative to the previous content.
 * The absolute form is a length condition like bsize (at_least: no end of
 * buffer needed, so it holds on the raw stream too once the byte has
 * arrived); the relative form is an element of the previous chain, which
 * sig_expr.c turns into a bounded repeat.
 */
int kw_isdataat(struct rp *rp, const struct opt *o)
{
	const char *p = o->val, *end = o->val + o->vlen, *comma;
	bool neg = false, relative = false;
	uint32_t n;

	if (rp->xform)
		return fail(rp, "'%.*s' on a transformed buffer not supported", show(o->nlen), o->name);

	if (p < end && *p == '!') {
		neg = true;
		p++;
	}
	comma = memchr(p, ',', (size_t)(end - p));
	{
		const char *q = p;
		size_t ql = (size_t)((comma ? comma : end) - p);

		trim(&q, &ql);
		if (!parse_u32(q, ql, &n) || n > 65535)
			return fail(rp, "invalid isdataat value '%.*s'", show(o->vlen), o->val);
	}
	while (comma) {
		const char *q = comma + 1, *next = memchr(q, ',', (size_t)(end - q));
		size_t ql = (size_t)((next ? next : end) - q);

		trim(&q, &ql);
		if (tok_eq(q, ql, "relative"))
			relative = true;
		else if (!tok_eq(q, ql, "rawbytes"))
			return fail(rp, "unsupported isdataat option '%.*s'", show(ql), q);
		comma = next;
	}
	if (!relative) {
		struct sig_bsize b = {
			.lo = (uint64_t)n + 1, .hi = SIG_BSIZE_INF, .buf = rp->cur_buf,
			.group = rp->cur_group, .neg = neg, .at_least = true,
		};
		return sig_bsize_push(rp, &b);
	}
	if (rp->last < 0 || rp->r.cond[rp->last].buf != rp->cur_buf ||
	    rp->r.cond[rp->last].group != rp->cur_group)
		return fail(rp, "isdataat relative needs a preceding content or pcre");
	{
		struct sig_cond c = {
			.buf = rp->cur_buf, .group = rp->cur_group,
			.flags = SIG_COND_ISDATAAT | SIG_COND_RELATIVE |
				(neg ? SIG_COND_NEGATED : 0),
			.depth = SIG_COND_UNSET, .offset = (int32_t)n,
			.distance = SIG_COND_UNSET, .within = SIG_COND_UNSET,
		};
		int last = rp->last;

		if (sig_cond_push(rp, &c) != 0)
			return -1;
		/* modifiers after it still belong to the content before */
		rp->last = last;
	}
	return 0;
}

/*
 * flowbits:set|unset|toggle|isset|isnotset,NAME and flowbits:noalert.
 * Suricata's NAME may combine names with '|' (isset: any) or '&' (set:
 * all); those forms are refused, one name per keyword (a rule may carry
 * several keywords, which is the '&' of checks).
 */
static int fb_push(struct rp *rp, uint16_t bit, uint8_t op, int32_t val);

/* The index of name in names[0..*n) (flowbit or flowint names), added if
 * new; -1 (rp->err set) past max names or out of memory. */
static int32_t intern_name(struct rp *rp, char **names, uint32_t *n, uint32_t max,
			   const char *what, const char *name, size_t len)
{
	uint32_t i;

	for (i = 0; i < *n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return (int32_t)i;
	if (i == max)
		return fail(rp, "more than %u %s names", max, what);
	names[i] = strndup(name, len);
	if (!names[i])
		return fail(rp, "out of memory");
	(*n)++;
	return (int32_t)i;
}

int kw_flowbits(struct rp *rp, const struct opt *o)
{
	static const struct { const char *name; uint8_t op; } ops[] = {
		{ "set", SIG_FB_SET }, { "unset", SIG_FB_UNSET }, { "toggle", SIG_FB_TOGGLE },
		{ "isset", SIG_FB_ISSET }, { "isnotset", SIG_FB_ISNOTSET },
	};
	const char *p = o->val, *comma = memchr(o->val, ',', o->vlen), *name;
	size_t olen = comma ? (size_t)(comma - p) : o->vlen, nlen;
	uint8_t op = 0;
	int32_t bit;

	trim(&p, &olen);
	if (tok_eq(p, olen, "noalert") && !comma) {
		rp->r.noalert = true;
		return 0;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (tok_eq(p, olen, ops[i].name))
			op = ops[i].op;
	if (!op)
		return fail(rp, "unsupported flowbits command '%.*s'", show(olen), p);
	if (!comma)
		return fail(rp, "flowbits:%s needs a name", ops[op - 1].name);
	name = comma + 1;
	nlen = (size_t)(o->val + o->vlen - name);
	trim(&name, &nlen);
	if (nlen == 0)
		return fail(rp, "flowbits:%s needs a name", ops[op - 1].name);
	for (size_t i = 0; i < nlen; i++)
		if (name[i] == '|' || name[i] == '&' || is_space(name[i]) || name[i] == ',')
			return fail(rp, "flowbits with combined names not supported");
	bit = intern_name(rp, rp->s->fbname, &rp->s->nfbname, SIG_FLOWBITS_MAX, "flowbit",
			  name, nlen);
	if (bit < 0)
		return -1;
	return fb_push(rp, (uint16_t)bit, op, 0);
}

void sig_set_event_names(struct sig_set *s, const char *const *names,
			 const char *const *canon, unsigned n)
{
	if (!s)
		return;
	s->ev_names = names;
	s->ev_canon = canon;
	s->nev = names ? n : 0;
}

/* An exact content (startswith, endswith) on buffer b in a new group. */
static int exact_content(struct rp *rp, uint8_t b, const char *text, size_t len,
			 bool nocase, bool neg)
{
	struct sig_cond c = {
		.buf = b, .flags = (uint8_t)(SIG_COND_STARTSWITH | SIG_COND_ENDSWITH |
					     (nocase ? SIG_COND_NOCASE : 0) |
					     (neg ? SIG_COND_NEGATED : 0)),
		.depth = SIG_COND_UNSET, .offset = SIG_COND_UNSET,
		.distance = SIG_COND_UNSET, .within = SIG_COND_UNSET,
	};

	if (sig_buf_is_multi(b) && sig_new_group(rp, &c.group) != 0)
		return -1;
	c.bytes = malloc(len ? len : 1);
	if (!c.bytes)
		return fail(rp, "out of memory");
	memcpy(c.bytes, text, len);
	c.len = (uint32_t)len;
	if (sig_cond_push(rp, &c) != 0)
		return -1;
	/* not a sticky buffer: later contents stay where they were */
	rp->last = -1;
	return 0;
}

/*
 * app-layer-event:NAME (Suricata's detect-app-layer-event.c). NAME must be
 * one the sensor registered (sig_set_event_names); the rule then has the
 * condition "this event was raised", an exact match in SIG_BUF_APP_EVENT.
 */
int kw_app_event(struct rp *rp, const struct opt *o)
{
	const char *p = o->val;
	size_t len = o->vlen;
	bool neg = false;

	if (len && p[0] == '!') {
		neg = true;
		p++;
		len--;
		trim(&p, &len);
	}
	if (neg)
		return fail(rp, "negated app-layer-event not supported");
	for (unsigned i = 0; i < rp->s->nev; i++) {
		const char *canon;

		if (!tok_eq(p, len, rp->s->ev_names[i]))
			continue;
		canon = rp->s->ev_canon && rp->s->ev_canon[i] ? rp->s->ev_canon[i] :
			rp->s->ev_names[i];
		return exact_content(rp, SIG_BUF_APP_EVENT, canon, strlen(canon), false, false);
	}
	return fail(rp, "unknown app-layer-event '%.*s'", show(len), p);
}

/* filemagic:"text" (Suricata 5's form): file.magic; content:"text"; nocase. */
int kw_filemagic(struct rp *rp, const struct opt *o)
{
	struct sig_cond c = {
		.buf = SIG_BUF_FILE_MAGIC, .flags = SIG_COND_NOCASE,
		.depth = SIG_COND_UNSET, .offset = SIG_COND_UNSET,
		.distance = SIG_COND_UNSET, .within = SIG_COND_UNSET,
	};

	if (rp->sticky_pending)
		return fail(rp, "sticky buffer '%s' has no content", rp->sticky_pending);
	if (sig_new_group(rp, &c.group) != 0 || sig_content_arg(rp, o, false, &c) != 0)
		return -1;
	if (sig_cond_push(rp, &c) != 0)
		return -1;
	rp->cur_buf = SIG_BUF_STREAM;
	rp->cur_group = 0;
	return 0;
}

static int digest_cmp_len;

static int digest_cmp(const void *a, const void *b)
{
	return memcmp(a, b, (size_t)digest_cmp_len);
}

/*
 * filemd5 / filesha1 / filesha256:[!]FILE — FILE holds one hex digest per
 * line (anything after it on the line is ignored, as are blank lines and
 * lines starting with '#'), like Suricata's lists. A relative FILE is
 * looked up beside the rule file. A malformed line skips the rule with its
 * line number: a list silently missing entries would under-match.
 */
int kw_filehash(struct rp *rp, const struct opt *o)
{
	uint8_t kind = tok_eq(o->name, o->nlen, "filemd5") ? SIG_HASH_MD5 :
		tok_eq(o->name, o->nlen, "filesha1") ? SIG_HASH_SHA1 : SIG_HASH_SHA256;
	const char *p = o->val;
	size_t len = o->vlen, cap = 0, n = 0;
	struct sig_hashlist h = { .kind = kind };
	struct sig_hashlist *nh;
	char path[4096], line[1024];
	unsigned lineno = 0;
	FILE *fp;

	if (len && p[0] == '!') {
		h.neg = true;
		p++;
		len--;
		trim(&p, &len);
	}
	if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
		p++;
		len -= 2;
	}
	if (len == 0 || len >= 2048)
		return fail(rp, "invalid %.*s file name", show(o->nlen), o->name);
	if (p[0] == '/' || !strchr(rp->r.meta.file, '/'))
		snprintf(path, sizeof(path), "%.*s", (int)len, p);
	else
		snprintf(path, sizeof(path), "%.*s/%.*s",
			 (int)(strrchr(rp->r.meta.file, '/') - rp->r.meta.file),
			 rp->r.meta.file, (int)len, p);
	/* a regular file only: a FIFO or a device (/dev/stdin) would hold
	 * the rule loader, and a reload with it, until someone writes */
	{
		int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		struct stat st;

		if (fd < 0)
			return fail(rp, "%.*s list %s: %s", show(o->nlen), o->name, path,
				    strerror(errno));
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			return fail(rp, "%.*s list %s: not a regular file", show(o->nlen), o->name,
				    path);
		}
		fp = fdopen(fd, "r");
		if (!fp) {
			close(fd);
			return fail(rp, "out of memory");
		}
	}
	while (fgets(line, sizeof(line), fp)) {
		const char *q = line;
		uint8_t d[32];
		unsigned k = 0;

		lineno++;
		while (is_space(*q))
			q++;
		if (*q == '\0' || *q == '#')
			continue;
		for (; k < sig_hash_len[kind] * 2 && sig_hexval((unsigned char)q[k]) >= 0; k++)
			if (k & 1)
				d[k / 2] = (uint8_t)(d[k / 2] << 4 | sig_hexval((unsigned char)q[k]));
			else
				d[k / 2] = (uint8_t)sig_hexval((unsigned char)q[k]);
		if (k != sig_hash_len[kind] * 2 || (q[k] && !is_space(q[k]))) {
			fclose(fp);
			free(h.d);
			return fail(rp, "%s:%u: not a %s digest", path, lineno,
				    kind == SIG_HASH_MD5 ? "MD5" : kind == SIG_HASH_SHA1 ? "SHA-1" :
				    "SHA-256");
		}
		if (n == cap) {
			uint8_t *nd;

			cap = cap ? cap * 2 : 64;
			nd = realloc(h.d, cap * sig_hash_len[kind]);
			if (!nd) {
				fclose(fp);
				free(h.d);
				return fail(rp, "out of memory");
			}
			h.d = nd;
		}
		memcpy(h.d + n++ * sig_hash_len[kind], d, sig_hash_len[kind]);
	}
	fclose(fp);
	if (n == 0) {
		free(h.d);
		return fail(rp, "%.*s list %s has no digest", show(o->nlen), o->name, path);
	}
	digest_cmp_len = (int)sig_hash_len[kind];
	qsort(h.d, n, sig_hash_len[kind], digest_cmp);
	h.n = (uint32_t)n;
	if (rp->r.nhl == UINT8_MAX || !(nh = realloc(rp->r.hl, (rp->r.nhl + 1u) * sizeof(*nh)))) {
		free(h.d);
		return fail(rp, "out of memory");
	}
	rp->r.hl = nh;
	rp->r.hl[rp->r.nhl++] = h;
	return 0;
}

/* filesize: the file's length — bsize on file.data (Suricata's filesize
 * and bsize share one integer syntax). */
int kw_filesize(struct rp *rp, const struct opt *o)
{
	struct sig_bsize b;

	if (sig_bsize_parse(o->val, o->vlen, &b, rp->err, sizeof(rp->err)) != 0)
		return -1;
	b.buf = SIG_BUF_FILE_DATA;
	b.group = 0;
	return sig_bsize_push(rp, &b);
}

/* The "bytes N" and "offset M" options of base64_decode and from_base64
 * (q: one trimmed option): 1 taken, 0 not one of them, -1 invalid. */
static int b64_size_opt(struct rp *rp, const char *kw, const char *q, size_t ql,
			struct sig_b64 *b)
{
	bool bytes = ql > 6 && strncmp(q, "bytes", 5) == 0 && is_space(q[5]);
	bool offset = ql > 7 && strncmp(q, "offset", 6) == 0 && is_space(q[6]);
	const char *n = q + (bytes ? 6 : 7);
	size_t nl = ql - (bytes ? 6 : 7);
	uint32_t v;

	if (!bytes && !offset)
		return 0;
	trim(&n, &nl);
	if (!parse_u32(n, nl, &v) || (bytes && v == 0) || v > SIG_B64_MAX)
		return fail(rp, "invalid %s %s '%.*s'", kw, bytes ? "bytes" : "offset",
			    show(nl), n);
	if (bytes)
		b->bytes = v;
	else
		b->offset = v;
	return 1;
}

/* The decode starts at the rule's next condition, on the buffer the rule
 * is in now. */
static void b64_start(struct rp *rp, struct sig_b64 *b)
{
	b->on = true;
	b->at = rp->r.ncond;
	b->buf = rp->cur_buf;
	b->group = rp->cur_group;
}

/* The contents from here inspect the decoded bytes (kw: the keyword that
 * still needs a content after it). */
static int b64_enter_data(struct rp *rp, const char *kw)
{
	rp->cur_buf = SIG_BUF_BASE64;
	if (sig_new_group(rp, &rp->cur_group) != 0)
		return -1;
	rp->sticky_pending = kw;
	rp->last = -1;
	return 0;
}

/*
 * base64_decode[:bytes N][,offset M][,relative] (see struct sig_b64) and
 * base64_data, which makes the contents after it inspect the decoded bytes.
 * One decode per rule; nothing may follow base64_decode in its own buffer
 * (Suricata moves everything after it to base64_data).
 */
int kw_base64_decode(struct rp *rp, const struct opt *o)
{
	struct sig_b64 *b = &rp->r.b64;
	const char *p = o->has_val ? o->val : "", *end = p + (o->has_val ? o->vlen : 0);

	if (b->on)
		return fail(rp, "more than one base64_decode");
	rp->sticky_pending = NULL;      /* the decode inspects the buffer */
	if (rp->cur_buf == SIG_BUF_BASE64)
		return fail(rp, "base64_decode of base64_data not supported");
	b->bytes = SIG_B64_MAX;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p)), *q = p;
		size_t ql = (size_t)((comma ? comma : end) - p);
		int rc;

		trim(&q, &ql);
		if (tok_eq(q, ql, "relative")) {
			b->relative = true;
		} else if ((rc = b64_size_opt(rp, "base64_decode", q, ql, b)) != 0) {
			if (rc < 0)
				return -1;
		} else if (ql) {
			return fail(rp, "unsupported base64_decode option '%.*s'", show(ql), q);
		}
		p = comma ? comma + 1 : end;
	}
	b->trig = -1;
	if (b->relative) {
		if (rp->last < 0 || rp->r.cond[rp->last].buf != rp->cur_buf ||
		    rp->r.cond[rp->last].group != rp->cur_group)
			return fail(rp, "base64_decode relative needs a preceding content or pcre");
		b->trig = rp->last;
	}
	b64_start(rp, b);
	return 0;
}

int kw_base64_data(struct rp *rp, const struct opt *o)
{
	(void)o;
	if (!rp->r.b64.on)
		return fail(rp, "base64_data without base64_decode");
	if (rp->cur_buf == SIG_BUF_BASE64)
		return fail(rp, "base64_data twice");
	if (rp->r.ncond > rp->r.b64.at)
		return fail(rp, "a match between base64_decode and base64_data not supported");
	if (rp->sticky_pending)
		return fail(rp, "sticky buffer '%s' has no content", rp->sticky_pending);
	return b64_enter_data(rp, "base64_data");
}

/*
 * frame:[smtp.]NAME (Suricata 7+): the rule inspects one kind of frame of
 * the SMTP parser. command_line, response_line and data are buffers of
 * their own (sig.h); stream is the raw stream. A frame rule inspects its
 * frame only (finish_rule), so frame: comes before the rule's contents.
 */
int kw_frame(struct rp *rp, const struct opt *o)
{
	static const struct {
		const char *name;
		uint8_t frame, buf;
	} frames[] = {
		{ "command_line", SIG_FRAME_COMMAND_LINE, SIG_BUF_FRAME_COMMAND_LINE },
		{ "response_line", SIG_FRAME_RESPONSE_LINE, SIG_BUF_FRAME_RESPONSE_LINE },
		{ "data", SIG_FRAME_DATA, SIG_BUF_FRAME_DATA },
		{ "stream", SIG_FRAME_STREAM, SIG_BUF_STREAM },
	};
	const char *v = o->val;
	size_t n = o->vlen;

	trim(&v, &n);
	if (rp->sticky_pending)
		return fail(rp, "sticky buffer '%s' has no content", rp->sticky_pending);
	if (rp->r.meta.frame)
		return fail(rp, "more than one frame");
	if (rp->r.ncond || rp->r.nbsz)
		return fail(rp, "frame after a content not supported");
	if (n > 5 && memcmp(v, "smtp.", 5) == 0) {
		v += 5;
		n -= 5;
	} else if (memchr(v, '.', n)) {
		return fail(rp, "frame '%.*s' is not an SMTP frame", show(n), v);
	}
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		if (!tok_eq(v, n, frames[i].name))
			continue;
		rp->r.meta.frame = frames[i].frame;
		rp->frame_buf = frames[i].buf;
		rp->cur_buf = frames[i].buf;
		rp->cur_group = 0;
		rp->xform = 0;
		if (sig_buf_is_multi(frames[i].buf) && sig_new_group(rp, &rp->cur_group) != 0)
			return -1;
		rp->sticky_pending = "frame";
		rp->last = -1;
		return 0;
	}
	return fail(rp, "unknown SMTP frame '%.*s'", show(n), v);
}

/*
 * from_base64[:bytes N][,offset M][,mode rfc4648|rfc2045] (Suricata 8's
 * transform) on the sticky buffer just named: the contents after it
 * inspect the buffer decoded from offset M, as base64_decode (from the
 * buffer's start) followed by base64_data, the window's first N bytes
 * (at most SIG_B64_MAX). Mode rfc4648 (the default) ends the data at the
 * first byte outside the alphabet, rfc2045 skips such bytes (as
 * base64_decode does); strict (nothing decoded if any byte is invalid)
 * is refused: a streaming decode cannot take back what it has scanned.
 */
int kw_from_base64(struct rp *rp, const struct opt *o)
{
	struct sig_b64 *b = &rp->r.b64;
	const char *p = o->has_val ? o->val : "", *end = p + (o->has_val ? o->vlen : 0);

	if (rp->cur_buf == SIG_BUF_STREAM || rp->cur_buf == SIG_BUF_BASE64 || !rp->sticky_pending)
		return fail(rp, "transform 'from_base64' needs a sticky buffer just before it");
	if (rp->xform)
		return fail(rp, "from_base64 after another transform not supported");
	if (b->on)
		return fail(rp, "more than one base64_decode/from_base64");
	b->bytes = SIG_B64_MAX;
	b->stop = true;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p)), *q = p;
		size_t ql = (size_t)((comma ? comma : end) - p);
		int rc;

		trim(&q, &ql);
		if ((rc = b64_size_opt(rp, "from_base64", q, ql, b)) != 0) {
			if (rc < 0)
				return -1;
		} else if (ql > 4 && strncmp(q, "mode", 4) == 0 &&
			   (is_space(q[4]) || q[4] == ':')) {
			const char *n = q + 5;
			size_t nl = ql - 5;

			trim(&n, &nl);
			if (tok_eq(n, nl, "rfc4648"))
				b->stop = true;
			else if (tok_eq(n, nl, "rfc2045"))
				b->stop = false;
			else
				return fail(rp, "from_base64 mode '%.*s' not supported", show(nl), n);
		} else if (ql) {
			return fail(rp, "unsupported from_base64 option '%.*s'", show(ql), q);
		}
		p = comma ? comma + 1 : end;
	}
	b->trig = -1;
	b64_start(rp, b);
	return b64_enter_data(rp, "from_base64");   /* then base64_data */
}

/* A signed decimal of a probe option; false if it is not one. */
static bool probe_num(const char *p, size_t len, int64_t lo, int64_t hi, int64_t *out)
{
	bool neg = len && p[0] == '-';
	uint64_t v = 0;

	if (neg) {
		p++;
		len--;
	}
	if (len == 0 || len > 19)
		return false;
	if (len > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		for (size_t i = 2; i < len; i++) {
			int d = sig_hexval((unsigned char)p[i]);

			if (d < 0 || v > (UINT64_MAX >> 4))
				return false;
			v = v << 4 | (uint64_t)d;
		}
	} else {
		for (size_t i = 0; i < len; i++) {
			if (!isdigit((unsigned char)p[i]) || v > (UINT64_MAX - 9) / 10)
				return false;
			v = v * 10 + (uint64_t)(p[i] - '0');
		}
	}
	if (v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return *out >= lo && *out <= hi;
}

/*
 * byte_test:N,[!]OP,VALUE,OFFSET[,relative][,big|little][,string,dec|hex|oct]
 * byte_jump:N,OFFSET[,relative][,multiplier M][,big|little][,string,TYPE]
 *           [,align][,from_beginning][,post_offset P]
 * (see struct sig_probe). dce, bitmask, from_end and byte_extract variables
 * are refused.
 */
int kw_probe(struct rp *rp, const struct opt *o)
{
	bool jump = tok_eq(o->name, o->nlen, "byte_jump");
	struct sig_probe pr = { .jump = jump, .buf = rp->cur_buf, .group = rp->cur_group,
				.mult = 1 };
	const char *f[12];
	size_t fl[12];
	unsigned nf = 0, i;
	const char *p = o->val, *end = o->val + o->vlen;
	int64_t v;

	if (rp->xform)
		return fail(rp, "'%.*s' on a transformed buffer not supported", show(o->nlen), o->name);

	if (rp->r.nprobe == SIG_PROBE_MAX)
		return fail(rp, "more than %d byte_test/byte_jump", SIG_PROBE_MAX);
	while (p <= end) {
		const char *c = memchr(p, ',', (size_t)(end - p));

		if (nf == 12)
			return fail(rp, "too many %.*s options", show(o->nlen), o->name);
		f[nf] = p;
		fl[nf] = (size_t)((c ? c : end) - p);
		trim(&f[nf], &fl[nf]);
		nf++;
		if (!c)
			break;
		p = c + 1;
	}
	if (nf < (jump ? 2u : 4u))
		return fail(rp, "%.*s needs more values", show(o->nlen), o->name);
	if (!probe_num(f[0], fl[0], 1, 10, &v))
		return fail(rp, "invalid %.*s byte count '%.*s'", show(o->nlen), o->name,
			    show(fl[0]), f[0]);
	pr.nbytes = (uint8_t)v;
	i = 1;
	if (!jump) {
		static const struct { const char *s; uint8_t op; } ops[] = {
			{ "<", SIG_PO_LT }, { ">", SIG_PO_GT }, { "=", SIG_PO_EQ },
			{ "<=", SIG_PO_LE }, { ">=", SIG_PO_GE }, { "&", SIG_PO_AND },
			{ "^", SIG_PO_OR },
		};
		const char *op = f[1];
		size_t ol = fl[1];

		if (ol && op[0] == '!') {
			pr.neg = true;
			op++;
			ol--;
		}
		for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
			if (tok_eq(op, ol, ops[k].s))
				pr.op = ops[k].op;
		if (!pr.op)
			return fail(rp, "invalid byte_test operator '%.*s'", show(fl[1]), f[1]);
		if (!probe_num(f[2], fl[2], 0, INT64_MAX, &v))
			return fail(rp, "invalid byte_test value '%.*s' (byte_extract variables "
				    "not supported)", show(fl[2]), f[2]);
		pr.value = (uint64_t)v;
		i = 3;
	}
	if (!probe_num(f[i], fl[i], -65535, 65535, &v))
		return fail(rp, "invalid %.*s offset '%.*s'", show(o->nlen), o->name,
			    show(fl[i]), f[i]);
	pr.offset = (int32_t)v;
	for (i++; i < nf; i++) {
		if (tok_eq(f[i], fl[i], "relative"))
			pr.relative = true;
		else if (tok_eq(f[i], fl[i], "big"))
			pr.little = false;
		else if (tok_eq(f[i], fl[i], "little"))
			pr.little = true;
		else if (tok_eq(f[i], fl[i], "string") && i + 1 < nf) {
			i++;
			pr.base = tok_eq(f[i], fl[i], "dec") ? 10 : tok_eq(f[i], fl[i], "hex") ? 16 :
				tok_eq(f[i], fl[i], "oct") ? 8 : 0;
			if (!pr.base)
				return fail(rp, "invalid %.*s string type '%.*s'", show(o->nlen),
					    o->name, show(fl[i]), f[i]);
		} else if (jump && tok_eq(f[i], fl[i], "align")) {
			pr.align = true;
		} else if (jump && tok_eq(f[i], fl[i], "from_beginning")) {
			pr.from_beginning = true;
		} else if (jump && fl[i] > 11 && strncmp(f[i], "multiplier", 10) == 0 &&
			   is_space(f[i][10])) {
			const char *n = f[i] + 11;
			size_t nl = fl[i] - 11;

			trim(&n, &nl);
			if (!probe_num(n, nl, 1, 65535, &v))
				return fail(rp, "invalid byte_jump multiplier '%.*s'", show(nl), n);
			pr.mult = (uint32_t)v;
		} else if (jump && fl[i] > 12 && strncmp(f[i], "post_offset", 11) == 0 &&
			   is_space(f[i][11])) {
			const char *n = f[i] + 12;
			size_t nl = fl[i] - 12;

			trim(&n, &nl);
			if (!probe_num(n, nl, -65535, 65535, &v))
				return fail(rp, "invalid byte_jump post_offset '%.*s'", show(nl), n);
			pr.post_offset = (int32_t)v;
		} else {
			return fail(rp, "unsupported %.*s option '%.*s'", show(o->nlen), o->name,
				    show(fl[i]), f[i]);
		}
	}
	if (pr.base && pr.nbytes > 10)
		return fail(rp, "invalid %.*s byte count", show(o->nlen), o->name);
	if (!pr.base && pr.nbytes > 8)
		return fail(rp, "%.*s reads at most 8 bytes as a number", show(o->nlen), o->name);
	if (jump && sig_buf_is_stream(rp->cur_buf))
		return fail(rp, "byte_jump on a stream buffer not supported (its end is not known "
			    "when the jump is read)");
	if (pr.offset < 0 && (!pr.relative || sig_buf_is_stream(rp->cur_buf)))
		return fail(rp, "negative %.*s offset not supported here", show(o->nlen), o->name);
	pr.trig = -1;
	if (pr.relative) {
		if (rp->last < 0 || rp->r.cond[rp->last].buf != rp->cur_buf ||
		    rp->r.cond[rp->last].group != rp->cur_group)
			return fail(rp, "%.*s relative needs a preceding content or pcre",
				    show(o->nlen), o->name);
		pr.trig = rp->last;
	}
	rp->r.probe[rp->r.nprobe++] = pr;
	rp->sticky_pending = NULL;
	return 0;
}

/* strip_whitespace, compress_whitespace, to_lowercase, to_uppercase: on
 * the sticky buffer just named, before its first content. */
int kw_xform(struct rp *rp, const struct opt *o)
{
	uint8_t x = tok_eq(o->name, o->nlen, "strip_whitespace") ? SIG_XF_STRIP :
		tok_eq(o->name, o->nlen, "compress_whitespace") ? SIG_XF_COMPRESS :
		tok_eq(o->name, o->nlen, "to_lowercase") ? SIG_XF_LOWER : SIG_XF_UPPER;

	if (rp->cur_buf == SIG_BUF_STREAM || rp->cur_buf == SIG_BUF_BASE64)
		return fail(rp, "transform '%.*s' needs a sticky buffer", show(o->nlen), o->name);
	if (!rp->sticky_pending)
		return fail(rp, "transform '%.*s' after a content of its buffer not supported",
			    show(o->nlen), o->name);
	rp->xform |= x;
	return 0;
}

/* Append a flowbits/flowint entry to the rule. */
static int fb_push(struct rp *rp, uint16_t bit, uint8_t op, int32_t val)
{
	struct sig_fb *nf;

	if (rp->r.nfb == UINT8_MAX)
		return fail(rp, "too many flowbits/flowint keywords");
	nf = realloc(rp->r.fb, (rp->r.nfb + 1u) * sizeof(*nf));
	if (!nf)
		return fail(rp, "out of memory");
	rp->r.fb = nf;
	rp->r.fb[rp->r.nfb++] = (struct sig_fb){ .bit = bit, .op = op, .val = val };
	if (sig_fb_is_check(op))
		rp->r.fb_check = true;
	return 0;
}

/*
 * flowint:NAME,OP[,VALUE] (Suricata's detect-flowint.c): OP = + - (add,
 * subtract), = (assign) with a number; == != < > <= >= with a number
 * (checks); isset, notset / isnotset. A variable as the operand is refused.
 */
int kw_flowint(struct rp *rp, const struct opt *o)
{
	static const struct { const char *op; uint8_t code; bool needs_val; } ops[] = {
		{ "+", SIG_FI_ADD, true }, { "-", SIG_FI_SUB, true }, { "=", SIG_FI_ASSIGN, true },
		{ "==", SIG_FI_EQ, true }, { "!=", SIG_FI_NE, true }, { "<", SIG_FI_LT, true },
		{ ">", SIG_FI_GT, true }, { "<=", SIG_FI_LE, true }, { ">=", SIG_FI_GE, true },
		{ "isset", SIG_FI_ISSET, false }, { "notset", SIG_FI_NOTSET, false },
		{ "isnotset", SIG_FI_NOTSET, false },
	};
	const char *part[3];
	size_t plen[3];
	unsigned np = 0;
	const char *p = o->val, *end = o->val + o->vlen;
	int32_t var;
	uint32_t v = 0;
	int code = -1;
	bool needs = false;

	while (p <= end && np < 3) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		const char *e = c ? c : end;

		part[np] = p;
		plen[np] = (size_t)(e - p);
		trim(&part[np], &plen[np]);
		np++;
		if (!c)
			break;
		p = c + 1;
		if (np == 3 && p <= end)
			return fail(rp, "invalid flowint '%.*s'", show(o->vlen), o->val);
	}
	if (np < 2 || plen[0] == 0)
		return fail(rp, "invalid flowint '%.*s'", show(o->vlen), o->val);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (tok_eq(part[1], plen[1], ops[i].op)) {
			code = ops[i].code;
			needs = ops[i].needs_val;
		}
	if (code < 0)
		return fail(rp, "unsupported flowint operator '%.*s'", show(plen[1]), part[1]);
	if (needs != (np == 3))
		return fail(rp, "invalid flowint '%.*s'", show(o->vlen), o->val);
	if (needs && (!parse_u32(part[2], plen[2], &v) || v > INT32_MAX))
		return fail(rp, "flowint with a variable or an invalid number '%.*s' not supported",
			    show(plen[2]), part[2]);
	var = intern_name(rp, rp->s->finame, &rp->s->nfiname, SIG_FLOWINT_MAX, "flowint",
			  part[0], plen[0]);
	if (var < 0)
		return -1;
	return fb_push(rp, (uint16_t)var, (uint8_t)code, (int32_t)v);
}
