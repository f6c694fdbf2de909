/*
 * test_mime.c — unit tests for the streaming MIME parser (sensor/mime).
 *
 * Each case is a message as a string literal and the event log it must
 * give: one line per HEADER / PART_BEGIN / PART_END / ANOMALY, with the
 * decoded BODY bytes of a part printed (escaped) on its PART_END line, so
 * how BODY slices were cut never matters. Every case is also fed byte by
 * byte and split at every offset: the logs must be identical (STYLE 13),
 * and the pool must be whole again after each message.
 *
 * When MAILTAP_EML_DIR names a directory of .eml files (for instance
 * extracted from ../shared/corpus with `tshark -r F --export-objects
 * imf,DIR`; third-party data is never committed), every .eml under it is
 * parsed whole and in uneven small chunks and the logs compared, and BODY
 * sizes checked against PART_END; skipped when the variable is unset.
 */
#include <stdbool.h>
#include "check.h"
#include "mime.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#define MAXP 256

struct log {
	char *s;
	size_t len, cap;
	uint8_t *body[MAXP];
	size_t blen[MAXP], bcap[MAXP];
	int show_decoded;
};

static void lprintf(struct log *l, const char *fmt, ...)
{
	char tmp[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	if (l->len + (size_t)n + 1 > l->cap) {
		l->cap = (l->len + (size_t)n + 1) * 2;
		l->s = realloc(l->s, l->cap);
	}
	memcpy(l->s + l->len, tmp, (size_t)n + 1);
	l->len += (size_t)n;
}

static void lesc(struct log *l, const void *d, size_t n)
{
	const uint8_t *p = d;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\')
			lprintf(l, "\\\\");
		else if (p[i] >= 32 && p[i] < 127)
			lprintf(l, "%c", p[i]);
		else if (p[i] == '\r')
			lprintf(l, "\\r");
		else if (p[i] == '\n')
			lprintf(l, "\\n");
		else
			lprintf(l, "\\x%02x", p[i]);
	}
}

static void on_event(void *user, const struct mime_event *ev)
{
	struct log *l = user;
	uint32_t i = ev->index < MAXP ? ev->index : MAXP - 1;
	switch (ev->type) {
	case MIME_EV_HEADER:
		lprintf(l, "H %u/%u/%u ", ev->depth, ev->msg_depth, ev->index);
		lesc(l, ev->u.header.name.ptr, ev->u.header.name.len);
		lprintf(l, ": ");
		if (l->show_decoded)
			lesc(l, ev->u.header.decoded.ptr, ev->u.header.decoded.len);
		else
			lesc(l, ev->u.header.value.ptr, ev->u.header.value.len);
		lprintf(l, "\n");
		break;
	case MIME_EV_PART_BEGIN: {
		const struct mime_part_desc *d = &ev->u.part;
		lprintf(l, "B %u/%u/%u p=%d %s/%s", ev->depth, ev->msg_depth,
			ev->index, (int)ev->parent, d->type.ptr, d->subtype.ptr);
		if (d->charset.len)
			lprintf(l, " cs=%s", d->charset.ptr);
		if (d->boundary.len)
			lprintf(l, " b=%.*s", (int)d->boundary.len, d->boundary.ptr);
		lprintf(l, " %s", mime_encoding_name(d->encoding));
		if (d->disposition.len)
			lprintf(l, " %s", d->disposition.ptr);
		if (d->filename.len) {
			lprintf(l, " fn=");
			lesc(l, d->filename.ptr, d->filename.len);
		}
		lprintf(l, "%s%s%s%s\n", d->is_file ? " file" : "",
			d->is_text_body ? " text" : "",
			d->is_multipart ? " multi" : "", d->is_message ? " msg" : "");
		l->blen[i] = 0;
		break;
	}
	case MIME_EV_BODY:
		if (l->blen[i] + ev->u.body.len > l->bcap[i]) {
			l->bcap[i] = (l->blen[i] + ev->u.body.len) * 2;
			l->body[i] = realloc(l->body[i], l->bcap[i]);
		}
		memcpy(l->body[i] + l->blen[i], ev->u.body.data, ev->u.body.len);
		l->blen[i] += ev->u.body.len;
		break;
	case MIME_EV_PART_END:
		lprintf(l, "E %u/%u/%u size=%llu%s", ev->depth, ev->msg_depth,
			ev->index, (unsigned long long)ev->u.end.size,
			ev->u.end.truncated ? " trunc" : "");
		if (ev->u.end.b64_invalid)
			lprintf(l, " b64bad=%u", ev->u.end.b64_invalid);
		if (ev->u.end.qp_invalid)
			lprintf(l, " qpbad=%u", ev->u.end.qp_invalid);
		if (l->blen[i] != ev->u.end.size)
			lprintf(l, " SIZE-MISMATCH");
		if (l->blen[i]) {
			lprintf(l, " [");
			lesc(l, l->body[i], l->blen[i]);
			lprintf(l, "]");
		}
		lprintf(l, "\n");
		l->blen[i] = 0;
		break;
	case MIME_EV_ANOMALY:
		lprintf(l, "A %u/%u/%u %s\n", ev->depth, ev->msg_depth, ev->index,
			ev->u.anomaly.name);
		break;
	}
}

static void log_free(struct log *l)
{
	free(l->s);
	for (int i = 0; i < MAXP; i++)
		free(l->body[i]);
	memset(l, 0, sizeof(*l));
}

static struct mt_blockpool pool;

/* Parse msg cut into chunks at the offsets in cuts[] (sorted), into l. */
static void run(struct mime_ctx *ctx, const char *msg, size_t n,
		const size_t *cuts, size_t ncuts, struct log *l, int decoded)
{
	memset(l, 0, sizeof(*l));
	l->show_decoded = decoded;
	lprintf(l, "%s", "");
	struct mime_parser *p = mime_parser_new(ctx, on_event, l);
	if (!p)
		return;
	size_t at = 0;
	for (size_t c = 0; c <= ncuts; c++) {
		size_t to = c < ncuts ? cuts[c] : n;
		if (to > n)
			to = n;
		mime_parser_feed(p, (const uint8_t *)msg + at, to - at);
		at = to;
	}
	mime_parser_end(p);
}

/* Whole, byte by byte, and split at every offset: same log, pool whole. */
static void check_chunking(struct mime_ctx *ctx, const char *name,
			   const char *msg, size_t n, const char *whole_log,
			   int decoded)
{
	struct log l;
	size_t *cuts = malloc((n + 1) * sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		cuts[i] = i + 1;
	run(ctx, msg, n, cuts, n, &l, decoded);
	if (strcmp(l.s, whole_log) != 0) {
		fprintf(stderr, "%s: byte-by-byte log differs:\n%s\n", name, l.s);
		CHECK(0);
	}
	log_free(&l);
	int bad = 0;
	for (size_t k = 1; k < n; k++) {
		run(ctx, msg, n, &k, 1, &l, decoded);
		if (strcmp(l.s, whole_log) != 0 && !bad) {
			fprintf(stderr, "%s: split at %zu differs:\n%s\n", name, k, l.s);
			bad = 1;
		}
		log_free(&l);
	}
	CHECK(!bad);
	CHECK_EQ_U(pool.in_use, 0);
	free(cuts);
}

struct tcase {
	const char *name;
	const char *msg;
	const char *want;
	int decoded;            /* log decoded header values */
	struct mime_config cfg;
};

static const struct tcase cases[] = {
{ "simple text",
  "From: a@example.com\r\n"
  "Subject: hello\r\n"
  "\r\n"
  "Hi there.\r\n"
  "-- \r\n"
  "sig\r\n",
  "H 0/0/0 From: a@example.com\n"
  "H 0/0/0 Subject: hello\n"
  "B 0/0/0 p=-1 text/plain 7bit text\n"
  "E 0/0/0 size=21 [Hi there.\\r\\n-- \\r\\nsig\\r\\n]\n",
  0, {0} },

{ "folded header",
  "Subject: a\r\n"
  " b\r\n"
  "\tc\r\n"
  "X: y\r\n"
  "\r\n",
  "H 0/0/0 Subject: a b\\x09c\n"
  "H 0/0/0 X: y\n"
  "B 0/0/0 p=-1 text/plain 7bit text\n"
  "E 0/0/0 size=0\n",
  0, {0} },

{ "multipart/mixed text html base64",
  "From: a@example.com\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
  "\r\n"
  "preamble\r\n"
  "--XX\r\n"
  "Content-Type: text/plain; charset=us-ascii\r\n"
  "\r\n"
  "plain body\r\n"
  "--XX\r\n"
  "Content-Type: text/html\r\n"
  "\r\n"
  "<p>html</p>\r\n"
  "--XX\r\n"
  "Content-Type: application/pdf; name=\"doc.pdf\"\r\n"
  "Content-Transfer-Encoding: base64\r\n"
  "Content-Disposition: attachment; filename=\"doc.pdf\"\r\n"
  "\r\n"
  "JVBERi0xLjQKJeLjz9MK\r\n"
  "AAEC/w==\r\n"
  "--XX--\r\n"
  "epilogue\r\n",
  "H 0/0/0 From: a@example.com\n"
  "H 0/0/0 MIME-Version: 1.0\n"
  "H 0/0/0 Content-Type: multipart/mixed; boundary=\"XX\"\n"
  "B 0/0/0 p=-1 multipart/mixed b=XX 7bit multi\n"
  "H 1/0/1 Content-Type: text/plain; charset=us-ascii\n"
  "B 1/0/1 p=0 text/plain cs=us-ascii 7bit text\n"
  "E 1/0/1 size=10 [plain body]\n"
  "H 1/0/2 Content-Type: text/html\n"
  "B 1/0/2 p=0 text/html 7bit text\n"
  "E 1/0/2 size=11 [<p>html</p>]\n"
  "H 1/0/3 Content-Type: application/pdf; name=\"doc.pdf\"\n"
  "H 1/0/3 Content-Transfer-Encoding: base64\n"
  "H 1/0/3 Content-Disposition: attachment; filename=\"doc.pdf\"\n"
  "B 1/0/3 p=0 application/pdf base64 attachment fn=doc.pdf file\n"
  "E 1/0/3 size=19 [%PDF-1.4\\n%\\xe2\\xe3\\xcf\\xd3\\n\\x00\\x01\\x02\\xff]\n"
  "E 0/0/0 size=0\n",
  0, {0} },

{ "nested alternative in mixed",
  "Content-Type: multipart/mixed; boundary=outer\r\n"
  "\r\n"
  "--outer\r\n"
  "Content-Type: multipart/alternative; boundary=inner\r\n"
  "\r\n"
  "--inner\r\n"
  "Content-Type: text/plain\r\n"
  "\r\n"
  "plain\r\n"
  "--inner\r\n"
  "Content-Type: text/html\r\n"
  "\r\n"
  "<b>html</b>\r\n"
  "--inner--\r\n"
  "\r\n"
  "--outer\r\n"
  "Content-Type: application/octet-stream\r\n"
  "\r\n"
  "\x01\x02\r\n"
  "--outer--\r\n",
  "H 0/0/0 Content-Type: multipart/mixed; boundary=outer\n"
  "B 0/0/0 p=-1 multipart/mixed b=outer 7bit multi\n"
  "H 1/0/1 Content-Type: multipart/alternative; boundary=inner\n"
  "B 1/0/1 p=0 multipart/alternative b=inner 7bit multi\n"
  "H 2/0/2 Content-Type: text/plain\n"
  "B 2/0/2 p=1 text/plain 7bit text\n"
  "E 2/0/2 size=5 [plain]\n"
  "H 2/0/3 Content-Type: text/html\n"
  "B 2/0/3 p=1 text/html 7bit text\n"
  "E 2/0/3 size=11 [<b>html</b>]\n"
  "E 1/0/1 size=0\n"
  "H 1/0/4 Content-Type: application/octet-stream\n"
  "B 1/0/4 p=0 application/octet-stream 7bit file\n"
  "E 1/0/4 size=2 [\\x01\\x02]\n"
  "E 0/0/0 size=0\n",
  0, {0} },

{ "message/rfc822 attachment",
  "From: outer@example.com\r\n"
  "Subject: outer\r\n"
  "Content-Type: multipart/mixed; boundary=b1\r\n"
  "\r\n"
  "--b1\r\n"
  "Content-Type: text/plain\r\n"
  "\r\n"
  "see attached\r\n"
  "--b1\r\n"
  "Content-Type: message/rfc822\r\n"
  "\r\n"
  "From: inner@example.com\r\n"
  "Subject: inner\r\n"
  "\r\n"
  "inner body\r\n"
  "--b1--\r\n",
  "H 0/0/0 From: outer@example.com\n"
  "H 0/0/0 Subject: outer\n"
  "H 0/0/0 Content-Type: multipart/mixed; boundary=b1\n"
  "B 0/0/0 p=-1 multipart/mixed b=b1 7bit multi\n"
  "H 1/0/1 Content-Type: text/plain\n"
  "B 1/0/1 p=0 text/plain 7bit text\n"
  "E 1/0/1 size=12 [see attached]\n"
  "H 1/0/2 Content-Type: message/rfc822\n"
  "B 1/0/2 p=0 message/rfc822 7bit msg\n"
  "H 2/1/3 From: inner@example.com\n"
  "H 2/1/3 Subject: inner\n"
  "B 2/1/3 p=2 text/plain 7bit file\n"
  "E 2/1/3 size=10 [inner body]\n"
  "E 1/0/2 size=0\n"
  "E 0/0/0 size=0\n",
  0, {0} },

{ "message/rfc822 labelled base64 is read as a message (RFC 2046 5.2.1, Suricata 8649)",
  "Content-Type: message/rfc822\r\n"
  "Content-Transfer-Encoding: base64\r\n"
  "Content-Disposition: attachment; filename=\"innocent.txt\"\r\n"
  "\r\n"
  "Subject: inner\r\n"
  "Content-Disposition: attachment; filename=\"malware.exe\"\r\n"
  "\r\n"
  "PAYLOAD\r\n",
  "H 0/0/0 Content-Type: message/rfc822\n"
  "H 0/0/0 Content-Transfer-Encoding: base64\n"
  "H 0/0/0 Content-Disposition: attachment; filename=\"innocent.txt\"\n"
  "A 0/0/0 mime_message_encoded\n"
  "B 0/0/0 p=-1 message/rfc822 base64 attachment fn=innocent.txt msg\n"
  "H 1/1/1 Subject: inner\n"
  "H 1/1/1 Content-Disposition: attachment; filename=\"malware.exe\"\n"
  "B 1/1/1 p=0 text/plain 7bit attachment fn=malware.exe file\n"
  "E 1/1/1 size=9 [PAYLOAD\\r\\n]\n"
  "E 0/0/0 size=0\n",
  0, {0} },

{ "RFC 2047 subject",
  "Subject: =?UTF-8?B?SGVsbG8g4oKs?= =?ISO-8859-1?Q?caf=E9_au?=\r\n"
  "  =?utf-8?q?_lait?= plain =?iso-8859-1?q?=FC?=\r\n"
  "To: =?UTF-8?Q?J=C3=BCrgen?= <j@example.com>\r\n"
  "X-Bad: =?utf-8?B?QUJD!?= =?x-unknown?Q?abc?= =?utf-8?q?never\r\n"
  "\r\n",
  "H 0/0/0 Subject: Hello \\xe2\\x82\\xaccaf\\xc3\\xa9 au lait plain \\xc3\\xbc\n"
  "H 0/0/0 To: J\\xc3\\xbcrgen <j@example.com>\n"
  "A 0/0/0 mime_invalid_encoded_word\n"
  "A 0/0/0 mime_unknown_charset\n"
  "H 0/0/0 X-Bad: ABCabc =?utf-8?q?never\n"
  "B 0/0/0 p=-1 text/plain 7bit text\n"
  "E 0/0/0 size=0\n",
  1, {0} },

{ "RFC 2047 common charsets via iconv",
  "X-1: =?koi8-r?B?8NLJ18XU?=\r\n"
  "X-2: =?shift_jis?B?k/qWew==?= =?iso-2022-jp?B?GyRCRnxLXBsoQg==?=\r\n"
  "X-3: =?gb2312?B?1tDOxA==?= / =?big5?B?pKSk5Q==?= / =?euc-kr?B?x9GxuQ==?=\r\n"
  "X-4: =?windows-1251?B?zOjw?= =?UTF-8?B?w6k?=\r\n"
  "X-5: raw \xc3\xa9 bad \xff\xc3 =?utf-8?q?=E9?=\r\n"
  "\r\n",
  "H 0/0/0 X-1: \\xd0\\x9f\\xd1\\x80\\xd0\\xb8\\xd0\\xb2\\xd0\\xb5\\xd1\\x82\n"
  "H 0/0/0 X-2: \\xe6\\x97\\xa5\\xe6\\x9c\\xac\\xe6\\x97\\xa5\\xe6\\x9c\\xac\n"
  "H 0/0/0 X-3: \\xe4\\xb8\\xad\\xe6\\x96\\x87 / \\xe4\\xb8\\xad\\xe6\\x96\\x87 / \\xed\\x95\\x9c\\xea\\xb5\\xad\n"
  "H 0/0/0 X-4: \\xd0\\x9c\\xd0\\xb8\\xd1\\x80\\xc3\\xa9\n"
  "H 0/0/0 X-5: raw \\xc3\\xa9 bad \\xef\\xbf\\xbd\\xef\\xbf\\xbd \\xef\\xbf\\xbd\n"
  "B 0/0/0 p=-1 text/plain 7bit text\n"
  "E 0/0/0 size=0\n",
  1, {0} },

{ "boundary after the close delimiter is epilogue",
  "Content-Type: multipart/mixed; boundary=o\r\n"
  "\r\n"
  "--o\r\n"
  "Content-Type: multipart/alternative; boundary=i\r\n"
  "\r\n"
  "--i\r\n"
  "\r\n"
  "a\r\n"
  "--i--\r\n"
  "--i\r\n"
  "\r\n"
  "smuggled\r\n"
  "--o\r\n"
  "\r\n"
  "b\r\n"
  "--o--\r\n",
  "H 0/0/0 Content-Type: multipart/mixed; boundary=o\n"
  "B 0/0/0 p=-1 multipart/mixed b=o 7bit multi\n"
  "H 1/0/1 Content-Type: multipart/alternative; boundary=i\n"
  "B 1/0/1 p=0 multipart/alternative b=i 7bit multi\n"
  "B 2/0/2 p=1 text/plain 7bit text\n"
  "E 2/0/2 size=1 [a]\n"
  "E 1/0/1 size=0\n"
  "B 1/0/3 p=0 text/plain 7bit text\n"
  "E 1/0/3 size=1 [b]\n"
  "E 0/0/0 size=0\n",
  0, {0} },

{ "RFC 2231 filename continuations",
  "Content-Type: multipart/mixed; boundary=\"=_b\"\r\n"
  "\r\n"
  "--=_b\r\n"
  "Content-Type: application/octet-stream;\r\n"
  " name=\"ignored.bin\"\r\n"
  "Content-Disposition: attachment;\r\n"
  " filename*0*=ISO-8859-1''r%E9sum%E9;\r\n"
  " filename*1=\" final\";\r\n"
  " filename*2*=%2Edoc\r\n"
  "\r\n"
  "x\r\n"
  "--=_b\r\n"
  "Content-Type: text/plain; name*=UTF-8''%E2%82%AC.txt\r\n"
  "\r\n"
  "euro\r\n"
  "--=_b\r\n"
  "Content-Type: image/png\r\n"
  "Content-Disposition: inline; filename=\"=?UTF-8?B?w6TDtsO8LnBuZw==?=\"\r\n"
  "\r\n"
  "png\r\n"
  "--=_b--\r\n",
  "H 0/0/0 Content-Type: multipart/mixed; boundary=\"=_b\"\n"
  "B 0/0/0 p=-1 multipart/mixed b==_b 7bit multi\n"
  "H 1/0/1 Content-Type: application/octet-stream; name=\"ignored.bin\"\n"
  "H 1/0/1 Content-Disposition: attachment; filename*0*=ISO-8859-1''r%E9sum%E9; filename*1=\" final\"; filename*2*=%2Edoc\n"
  "B 1/0/1 p=0 application/octet-stream 7bit attachment fn=r\\xc3\\xa9sum\\xc3\\xa9 final.doc file\n"
  "E 1/0/1 size=1 [x]\n"
  "H 1/0/2 Content-Type: text/plain; name*=UTF-8''%E2%82%AC.txt\n"
  "B 1/0/2 p=0 text/plain 7bit fn=\\xe2\\x82\\xac.txt file\n"
  "E 1/0/2 size=4 [euro]\n"
  "H 1/0/3 Content-Type: image/png\n"
  "H 1/0/3 Content-Disposition: inline; filename=\"=?UTF-8?B?w6TDtsO8LnBuZw==?=\"\n"
  "B 1/0/3 p=0 image/png 7bit inline fn=\\xc3\\xa4\\xc3\\xb6\\xc3\\xbc.png file\n"
  "E 1/0/3 size=3 [png]\n"
  "E 0/0/0 size=0\n",
  0, {0} },

{ "nameless octet-stream is a file",
  "Content-Type: multipart/mixed; boundary=q\r\n"
  "\r\n"
  "--q\r\n"
  "\r\n"
  "body text\r\n"
  "--q\r\n"
  "Content-Type: application/octet-stream\r\n"
  "Content-Transfer-Encoding: base64\r\n"
  "\r\n"
  "TVqQAA==\r\n"
  "--q--\r\n",
  "H 0/0/0 Content-Type: multipart/mixed; boundary=q\n"
  "B 0/0/0 p=-1 multipart/mixed b=q 7bit multi\n"
  "B 1/0/1 p=0 text/plain 7bit text\n"
  "E 1/0/1 size=9 [body text]\n"
  "H 1/0/2 Content-Type: application/octet-stream\n"
  "H 1/0/2 Content-Transfer-Encoding: base64\n"
  "B 1/0/2 p=0 application/octet-stream base64 file\n"
  "E 1/0/2 size=4 [MZ\\x90\\x00]\n"
  "E 0/0/0 size=0\n",
  0, {0} },

{ "base64 line breaks, spaces, invalid chars, mid padding",
  "Content-Type: application/octet-stream\r\n"
  "Content-Transfer-Encoding: base64\r\n"
  "\r\n"
  "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\r\n"
  "MjM0NTY3ODk=\r\n"
  "QU JD\tRE*VG!\r\n"
  "SA==SQ==\r\n"
  "Sg\r\n",
  "H 0/0/0 Content-Type: application/octet-stream\n"
  "H 0/0/0 Content-Transfer-Encoding: base64\n"
  "B 0/0/0 p=-1 application/octet-stream base64 file\n"
  "A 0/0/0 mime_invalid_base64\n"
  "E 0/0/0 size=71 b64bad=2 [ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789ABCDEFHIJ]\n",
  0, {0} },

{ "quoted-printable soft breaks and bad escapes",
  "Content-Type: text/plain; charset=utf-8\r\n"
  "Content-Transfer-Encoding: quoted-printable\r\n"
  "\r\n"
  "caf=C3=A9 soft=\r\n"
  "break =3D ok= \t\r\n"
  "padded= x\r\n"
  "\r\n"
  "bad =ZZ and =4\r\n"
  "end=",
  "H 0/0/0 Content-Type: text/plain; charset=utf-8\n"
  "H 0/0/0 Content-Transfer-Encoding: quoted-printable\n"
  "B 0/0/0 p=-1 text/plain cs=utf-8 quoted-printable text\n"
  "A 0/0/0 mime_invalid_qp\n"
  "E 0/0/0 size=52 qpbad=3 [caf\\xc3\\xa9 softbreak = okpadded= x\\r\\n\\r\\nbad =ZZ and =4\\r\\nend]\n",
  0, {0} },

{ "uuencode inside text/plain",
  "Subject: uu\r\n"
  "\r\n"
  "Here it is:\r\n"
  "begin 644 cat.txt\r\n"
  "#8V%T\r\n"
  "`\r\n"
  "end\r\n"
  "bye\r\n",
  "H 0/0/0 Subject: uu\n"
  "B 0/0/0 p=-1 text/plain 7bit text\n"
  "B 1/0/1 p=0 application/octet-stream x-uuencode attachment fn=cat.txt file\n"
  "E 1/0/1 size=3 [cat]\n"
  "E 0/0/0 size=18 [Here it is:\\r\\nbye\\r\\n]\n",
  0, {0} },

{ "missing closing boundary",
  "Content-Type: multipart/mixed; boundary=zz\r\n"
  "\r\n"
  "--zz\r\n"
  "Content-Type: text/plain\r\n"
  "\r\n"
  "cut off\r\n",
  "H 0/0/0 Content-Type: multipart/mixed; boundary=zz\n"
  "B 0/0/0 p=-1 multipart/mixed b=zz 7bit multi\n"
  "H 1/0/1 Content-Type: text/plain\n"
  "B 1/0/1 p=0 text/plain 7bit text\n"
  "E 1/0/1 size=9 trunc [cut off\\r\\n]\n"
  "A 0/0/0 mime_missing_boundary_end\n"
  "E 0/0/0 size=0 trunc\n",
  0, {0} },

{ "outer boundary ends inner multipart",
  "Content-Type: multipart/mixed; boundary=o\r\n"
  "\r\n"
  "--o\r\n"
  "Content-Type: multipart/alternative; boundary=i\r\n"
  "\r\n"
  "--i\r\n"
  "\r\n"
  "a\r\n"
  "--o--\r\n",
  "H 0/0/0 Content-Type: multipart/mixed; boundary=o\n"
  "B 0/0/0 p=-1 multipart/mixed b=o 7bit multi\n"
  "H 1/0/1 Content-Type: multipart/alternative; boundary=i\n"
  "B 1/0/1 p=0 multipart/alternative b=i 7bit multi\n"
  "B 2/0/2 p=1 text/plain 7bit text\n"
  "E 2/0/2 size=1 [a]\n"
  "A 1/0/1 mime_missing_boundary_end\n"
  "E 1/0/1 size=0 trunc\n"
  "E 0/0/0 size=0\n",
  0, {0} },

{ "depth cap",
  "Content-Type: multipart/mixed; boundary=a\r\n"
  "\r\n"
  "--a\r\n"
  "Content-Type: multipart/mixed; boundary=b\r\n"
  "\r\n"
  "--b\r\n"
  "Content-Type: multipart/mixed; boundary=c\r\n"
  "\r\n"
  "--c\r\n"
  "\r\n"
  "deep\r\n"
  "--c--\r\n"
  "--b--\r\n"
  "--a--\r\n",
  "H 0/0/0 Content-Type: multipart/mixed; boundary=a\n"
  "B 0/0/0 p=-1 multipart/mixed b=a 7bit multi\n"
  "H 1/0/1 Content-Type: multipart/mixed; boundary=b\n"
  "B 1/0/1 p=0 multipart/mixed b=b 7bit multi\n"
  "H 2/0/2 Content-Type: multipart/mixed; boundary=c\n"
  "A 2/0/2 mime_depth_exceeded\n"
  "B 2/0/2 p=1 multipart/mixed 7bit file\n"
  "E 2/0/2 size=18 [--c\\r\\n\\r\\ndeep\\r\\n--c--]\n"
  "E 1/0/1 size=0\n"
  "E 0/0/0 size=0\n",
  0, { .max_depth = 2 } },

{ "over-long header",
  "Subject: 0123456789012345678901234567890123456789\r\n"
  "X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
  " bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n"
  "X-After: kept\r\n"
  "\r\n"
  "body\r\n",
  /* The section cap is reported once; the fields after it still come
   * (a From behind padding headers must stay visible). */
  "A 0/0/0 mime_header_line_too_long\n"
  "H 0/0/0 Subject: 0123456789012345678901234567890123456789\n"
  "A 0/0/0 mime_header_too_long\n"
  "A 0/0/0 mime_header_line_too_long\n"
  "H 0/0/0 X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"
  "H 0/0/0 X-After: kept\n"
  "B 0/0/0 p=-1 text/plain 7bit text\n"
  "E 0/0/0 size=6 [body\\r\\n]\n",
  0, { .max_header_line = 40, .max_header_bytes = 100 } },

{ "too many parts",
  "Content-Type: multipart/mixed; boundary=m\r\n"
  "\r\n"
  "--m\r\n"
  "\r\n"
  "one\r\n"
  "--m\r\n"
  "\r\n"
  "two\r\n"
  "--m\r\n"
  "\r\n"
  "three\r\n"
  "--m\r\n"
  "\r\n"
  "four\r\n"
  "--m--\r\n",
  "H 0/0/0 Content-Type: multipart/mixed; boundary=m\n"
  "B 0/0/0 p=-1 multipart/mixed b=m 7bit multi\n"
  "B 1/0/1 p=0 text/plain 7bit text\n"
  "E 1/0/1 size=3 [one]\n"
  "B 1/0/2 p=0 text/plain 7bit text\n"
  "E 1/0/2 size=3 [two]\n"
  "A 1/0/0 mime_too_many_parts\n"
  "E 0/0/0 size=0\n",
  0, { .max_parts = 3 } },

{ "boundary too long, boundary-like lines in body",
  "Content-Type: multipart/mixed; boundary=\"0123456789012345678901234567890123456789012345678901234567890123456789XY\"\r\n"
  "\r\n"
  "--0123456789012345678901234567890123456789012345678901234567890123456789XY\r\n"
  "\r\n"
  "--0123 not a boundary\r\n"
  "----\r\n"
  "--0123456789012345678901234567890123456789012345678901234567890123456789XY--\r\n",
  "H 0/0/0 Content-Type: multipart/mixed; boundary=\"0123456789012345678901234567890123456789012345678901234567890123456789XY\"\n"
  "A 0/0/0 mime_boundary_too_long\n"
  "B 0/0/0 p=-1 multipart/mixed b=0123456789012345678901234567890123456789012345678901234567890123456789XY 7bit multi\n"
  "B 1/0/1 p=0 text/plain 7bit text\n"
  "E 1/0/1 size=27 [--0123 not a boundary\\r\\n----]\n"
  "E 0/0/0 size=0\n",
  0, {0} },

{ "invalid header line starts the body",
  "Subject: x\r\n"
  "this is not a header\r\n"
  "more\r\n",
  "H 0/0/0 Subject: x\n"
  "A 0/0/0 mime_invalid_header\n"
  "B 0/0/0 p=-1 text/plain 7bit text\n"
  "E 0/0/0 size=28 [this is not a header\\r\\nmore\\r\\n]\n",
  0, {0} },

{ "digest defaults to message/rfc822, LF-only line ends",
  "Content-Type: multipart/digest; boundary=d\n"
  "\n"
  "--d\n"
  "\n"
  "Subject: m1\n"
  "\n"
  "t1\n"
  "--d--\n",
  "H 0/0/0 Content-Type: multipart/digest; boundary=d\n"
  "B 0/0/0 p=-1 multipart/digest b=d 7bit multi\n"
  "B 1/0/1 p=0 message/rfc822 7bit msg\n"
  "H 2/1/2 Subject: m1\n"
  "B 2/1/2 p=1 text/plain 7bit file\n"
  "E 2/1/2 size=2 [t1]\n"
  "E 1/0/1 size=0\n"
  "E 0/0/0 size=0\n",
  0, {0} },
};

static void test_cases(void)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct tcase *t = &cases[c];
		struct mime_ctx ctx;
		CHECK_EQ_U(mime_ctx_init(&ctx, &t->cfg, &pool), 0);
		size_t n = strlen(t->msg);
		struct log l;
		run(&ctx, t->msg, n, NULL, 0, &l, t->decoded);
		if (!l.s || strcmp(l.s, t->want) != 0) {
			fprintf(stderr, "case \"%s\": got\n%s\nwant\n%s\n", t->name,
				l.s ? l.s : "(null)", t->want);
			CHECK(0);
		} else {
			CHECK(1);
		}
		CHECK_EQ_U(pool.in_use, 0);
		check_chunking(&ctx, t->name, t->msg, n, l.s ? l.s : "", t->decoded);
		log_free(&l);
		mime_ctx_destroy(&ctx);
	}
}

/* Stats count what the events said. */
static void test_stats(void)
{
	struct mime_ctx ctx;
	CHECK_EQ_U(mime_ctx_init(&ctx, NULL, &pool), 0);
	struct log l;
	const char *m = cases[2].msg;
	run(&ctx, m, strlen(m), NULL, 0, &l, 0);
	CHECK_EQ_U(ctx.stats.messages, 1);
	CHECK_EQ_U(ctx.stats.entities, 4);
	CHECK_EQ_U(ctx.stats.files, 1);
	CHECK_EQ_U(ctx.stats.headers, 8);
	CHECK_EQ_U(ctx.stats.body_bytes, 40);
	CHECK_EQ_U(ctx.stats.bytes_in, strlen(m));
	log_free(&l);
	mime_ctx_destroy(&ctx);
}

/* A file name longer than the parser keeps (MIME_NAME_MAX - 1 bytes, RFC
 * 2231 continuations up to the 64th): kept cut, reported
 * (mime_filename_truncated) and counted; a long name that fits is not. */
enum { NAME_KEPT = 1023 };     /* MIME_NAME_MAX - 1 (sensor/mime/mime_int.h) */

static void name_case(struct mime_ctx *ctx, const char *disp, size_t want_len, bool want_cut)
{
	char msg[16384];
	struct log l;
	uint64_t before = ctx->stats.anomalies[MIME_ANOM_NAME_TRUNCATED];
	int n = snprintf(msg, sizeof(msg),
			 "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
			 "Content-Type: application/octet-stream\r\n"
			 "Content-Disposition: attachment;%s\r\n\r\nQUJD\r\n--b--\r\n", disp);
	const char *fn;

	CHECK(n > 0 && (size_t)n < sizeof(msg));
	run(ctx, msg, (size_t)n, NULL, 0, &l, 0);
	CHECK_EQ_U(ctx->stats.anomalies[MIME_ANOM_NAME_TRUNCATED] - before, want_cut ? 1 : 0);
	CHECK_EQ_U(strstr(l.s, "mime_filename_truncated") != NULL, want_cut);
	fn = strstr(l.s, " fn=");
	CHECK(fn != NULL);
	if (fn)
		CHECK_EQ_U(strcspn(fn + 4, " \n"), want_len);
	log_free(&l);
}

static void test_long_names(void)
{
	struct mime_ctx ctx;
	char d[12000];
	size_t o;

	CHECK_EQ_U(mime_ctx_init(&ctx, NULL, &pool), 0);
	/* 1,100 bytes in one parameter (its header line is long too) */
	o = (size_t)snprintf(d, sizeof(d), " filename=\"");
	memset(d + o, 'a', 1100);
	o += 1100;
	snprintf(d + o, sizeof(d) - o, "\"");
	name_case(&ctx, d, NAME_KEPT, true);
	/* 1,100 bytes in 22 continuations of 50, every line short */
	o = 0;
	for (int i = 0; i < 22; i++) {
		o += (size_t)snprintf(d + o, sizeof(d) - o, "%s\r\n filename*%d=\"", i ? ";" : "", i);
		memset(d + o, 'b', 50);
		o += 50;
		o += (size_t)snprintf(d + o, sizeof(d) - o, "\"");
	}
	name_case(&ctx, d, NAME_KEPT, true);
	/* 70 continuations of 5: the 65th on are dropped (320 of 350 bytes
	 * kept) */
	o = 0;
	for (int i = 0; i < 70; i++)
		o += (size_t)snprintf(d + o, sizeof(d) - o, "%s\r\n filename*%d=\"ccccc\"",
				      i ? ";" : "", i);
	name_case(&ctx, d, 64 * 5, true);
	/* 500 bytes: kept whole, nothing said */
	o = (size_t)snprintf(d, sizeof(d), " filename=\"");
	memset(d + o, 'e', 500);
	o += 500;
	snprintf(d + o, sizeof(d) - o, "\"");
	name_case(&ctx, d, 500, false);
	mime_ctx_destroy(&ctx);
}

/* An empty pool: no parser, counted; a starved pool degrades, no crash. */
static void test_pool_exhaustion(void)
{
	struct mt_blockpool small;
	CHECK_EQ_U(mt_blockpool_init(&small, 4096, 2), 0);
	struct mime_ctx ctx;
	CHECK_EQ_U(mime_ctx_init(&ctx, NULL, &small), 0);
	struct log l;
	const char *m = cases[2].msg;
	run(&ctx, m, strlen(m), NULL, 0, &l, 0);
	CHECK(strstr(l.s, "mime_pool_exhausted") != NULL);
	CHECK_EQ_U(small.in_use, 0);
	log_free(&l);
	void *a = mt_block_get(&small), *b = mt_block_get(&small);
	CHECK(mime_parser_new(&ctx, on_event, &l) == NULL);
	CHECK_EQ_U(ctx.stats.anomalies[MIME_ANOM_POOL_EXHAUSTED] >= 2, 1);
	mt_block_put(&small, a);
	mt_block_put(&small, b);
	mime_ctx_destroy(&ctx);
	mt_blockpool_destroy(&small);

	struct mt_blockpool tiny;
	CHECK_EQ_U(mt_blockpool_init(&tiny, 1024, 4), 0);
	CHECK_EQ_U(mime_ctx_init(&ctx, NULL, &tiny), (uint64_t)-EINVAL);
	mime_ctx_destroy(&ctx);
	mt_blockpool_destroy(&tiny);
}

/* The default limits: an attachment 45 containers deep, and the last of
 * 2,000 parts, are decoded files (Suricata follows both; a limit hit
 * there would be a blind spot an attacker picks). */
static void test_default_limits(void)
{
	struct mime_ctx ctx;
	struct log l;
	size_t cap = 400000, n = 0;
	char *m = malloc(cap);

	CHECK_EQ_U(mime_ctx_init(&ctx, NULL, &pool), 0);
	if (!m)
		return;
	for (int d = 0; d < 45; d++)
		n += (size_t)snprintf(m + n, cap - n,
				      "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n",
				      d, d);
	n += (size_t)snprintf(m + n, cap - n,
			      "Content-Type: application/octet-stream; name=deep.bin\r\n"
			      "Content-Transfer-Encoding: base64\r\n\r\nZGVlcGVzdA==\r\n");
	for (int d = 44; d >= 0; d--)
		n += (size_t)snprintf(m + n, cap - n, "--b%d--\r\n", d);
	run(&ctx, m, n, NULL, 0, &l, 0);
	CHECK(strstr(l.s, "mime_depth_exceeded") == NULL);
	CHECK(strstr(l.s, "fn=deep.bin") != NULL);
	CHECK(strstr(l.s, "[deepest]") != NULL);
	log_free(&l);

	n = (size_t)snprintf(m, cap, "Content-Type: multipart/mixed; boundary=p\r\n\r\n");
	for (int i = 0; i < 2000; i++)
		n += (size_t)snprintf(m + n, cap - n,
				      "--p\r\nContent-Type: application/octet-stream; name=f%d\r\n"
				      "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n", i,
				      i == 1999 ? "bGFzdHBhcnQ=" : "eA==");
	n += (size_t)snprintf(m + n, cap - n, "--p--\r\n");
	run(&ctx, m, n, NULL, 0, &l, 0);
	CHECK(strstr(l.s, "mime_too_many_parts") == NULL);
	CHECK(strstr(l.s, "fn=f1999") != NULL);
	CHECK(strstr(l.s, "[lastpart]") != NULL);
	log_free(&l);
	free(m);
	CHECK_EQ_U(pool.in_use, 0);
	mime_ctx_destroy(&ctx);
}

/* A gap marks the open part truncated. */
static void test_gap(void)
{
	struct mime_ctx ctx;
	CHECK_EQ_U(mime_ctx_init(&ctx, NULL, &pool), 0);
	struct log l;
	memset(&l, 0, sizeof(l));
	struct mime_parser *p = mime_parser_new(&ctx, on_event, &l);
	CHECK(p != NULL);
	const char *a = "Subject: g\r\n\r\nbefore ", *b = "after\r\n";
	mime_parser_feed(p, (const uint8_t *)a, strlen(a));
	mime_parser_gap(p, 100);
	mime_parser_feed(p, (const uint8_t *)b, strlen(b));
	mime_parser_end(p);
	CHECK(l.s && strstr(l.s, "E 0/0/0 size=14 trunc [before after\\r\\n]") != NULL);
	CHECK_EQ_U(pool.in_use, 0);
	log_free(&l);
	mime_ctx_destroy(&ctx);
}

/* Real messages from the corpus (skipped when absent). */
static int eml_count;

static void eml_file(struct mime_ctx *ctx, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	static char buf[4 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	struct log a, b;
	run(ctx, buf, n, NULL, 0, &a, 1);
	size_t cuts[4096], nc = 0;
	for (size_t k = 7; k < n && nc < 4096; k += 7 + (k % 13))
		cuts[nc++] = k;
	run(ctx, buf, n, cuts, nc, &b, 1);
	if (strcmp(a.s, b.s)) {
		fprintf(stderr, "%s: chunked log differs\n", path);
		CHECK(0);
	} else {
		CHECK(1);
	}
	CHECK(strstr(a.s, "SIZE-MISMATCH") == NULL);
	CHECK_EQ_U(pool.in_use, 0);
	log_free(&a);
	log_free(&b);
	eml_count++;
}

static void eml_walk(struct mime_ctx *ctx, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d || depth > 6) {
		if (d)
			closedir(d);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		size_t nl = strlen(de->d_name);
		if (de->d_type == DT_DIR)
			eml_walk(ctx, path, depth + 1);
		else if (nl > 4 && !strcmp(de->d_name + nl - 4, ".eml"))
			eml_file(ctx, path);
	}
	closedir(d);
}

static void test_eml_dir(void)
{
	const char *dir = getenv("MAILTAP_EML_DIR");
	if (!dir)
		return;
	struct mime_ctx ctx;
	CHECK_EQ_U(mime_ctx_init(&ctx, NULL, &pool), 0);
	eml_walk(&ctx, dir, 0);
	printf("test_mime: %d .eml files from %s\n", eml_count, dir);
	mime_ctx_destroy(&ctx);
}

int main(void)
{
	if (mt_blockpool_init(&pool, 4096, 256))
		return 1;
	test_cases();
	test_stats();
	test_long_names();
	test_pool_exhaustion();
	test_default_limits();
	test_gap();
	test_eml_dir();
	mt_blockpool_destroy(&pool);
	return check_summary("test_mime");
}
