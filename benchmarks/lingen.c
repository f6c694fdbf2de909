/*
 * lingen — deterministic generator of SMTP captures for the linearity
 * benchmark (benchmarks/run_linear, issue 6): every message of a capture
 * has the same size and every body line the same length, so that the
 * sensor's cost per byte can be compared from 1 KB to 50 MB messages and
 * from 10-byte to 1 MB lines.
 *
 *   lingen --out F.pcap [--seed N] [--message-bytes S] [--line-bytes L]
 *          [--body text|base64|qp] [--total-mb T | --sessions N]
 *          [--concurrency C]
 *
 * Each session: TCP handshake, 220 greeting, EHLO and a multi-line 250,
 * MAIL FROM/250, RCPT TO/250, DATA/354, one message ending in ".", 250,
 * QUIT/221, then a server-first FIN close. The message goes out in
 * segments of 1460 bytes; the server ACKs every second one, and its 250
 * acknowledges the rest.
 *
 * Bodies (S and L accept a k or m suffix, powers of 1024):
 *   text    one text/plain 7bit part, S bytes of message (headers included,
 *           as stored: before dot-stuffing) in lines of exactly L printable
 *           characters of words plus CRLF (the last body line shorter);
 *           a line that starts with '.' is dot-stuffed on the wire
 *           (RFC 5321 4.5.2), which the word list makes happen on about
 *           one line in a hundred.
 *   base64  multipart/mixed: a short text part, then an attachment that is
 *           the base64 (RFC 2045 6.8) of S pseudo-random bytes in lines of
 *           L characters (76 is what RFC 2045 allows; any L is written, to
 *           test long lines), then a closing text part.
 *   qp      one quoted-printable (RFC 2045 6.7) text/plain part of S bytes:
 *           encoded lines of exactly L characters, seven of every eight
 *           ending in a soft line break ("=" as the L-th character), with
 *           =XX escapes among the words (never cut by a line end).
 *
 * Markers, so a rule can show that the whole message was parsed (N is the
 * session number, counted from 0, as %08u):
 *   "LINMARK-N"  in the last text line of every message: the raw stream,
 *                smtp.data and email.body hold it for text and base64; for
 *                qp it is split by a soft line break ("LINM=\r\nARK-N"),
 *                so only the decoded email.body holds it whole.
 *   "LINFILE-N"  base64 only: in the attachment's decoded bytes, 64 bytes
 *                before their end (on the wire only base64-encoded), so
 *                only file.data holds it.
 * Session N's client is 10.0.0.1 + N (port 32768 + N % 28000), the
 * server 192.0.2.25:25.
 *
 * Size: --total-mb T (MiB) writes sessions until about T MiB: the first
 * session is written once to /dev/null to measure it, and the count is T
 * divided by its size, rounded, at least 1 (every session has the same
 * size to within the dot-stuffing). --sessions N writes N instead.
 * --concurrency C (default 1) keeps C sessions open at once, interleaved
 * packet by packet in turn; with 1 they follow one another, 1 ms apart.
 *
 * Speed and memory: body text is slices of one 64 KiB word pool built at
 * start; messages are produced as a stream, one segment at a time, into
 * each session slot's fixed buffers, so a 50 MB message takes no more
 * memory than a 1 KB one and nothing is allocated per packet or per
 * session. Everything is a function of the seed and the options. On
 * success one JSON line goes to stdout: sessions, packets, bytes (file),
 * message_bytes (all messages, as sent, dot-stuffing included).
 *
 * The option table, base64, random bytes and word picks and the packets
 * that open and close a connection are gen_common's, shared with smtpgen:
 * their random draws are part of this output.
 */
#include "gen_common.h"
#include "pcapw.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIN_SEG_MAX        1460u
#define LIN_POOL           65536u                /* word pool chars */
#define LIN_HEAD_CAP       2048u
#define LIN_TAIL_CAP       512u
#define LIN_SMALL_CAP      512u
#define LIN_STEP_US        20u                   /* clock step per packet */
#define LIN_GAP_US         1000u                 /* before each session */
#define LIN_CONC_MAX       64u
#define LIN_FILE_MARK_BACK 64u                   /* LINFILE-N this far from the end */
#define LIN_QP_HARD_EVERY  8u                    /* one hard line break in 8 */
#define LIN_MAX_BYTES      (1ull << 40)

enum body_kind { BODY_TEXT, BODY_BASE64, BODY_QP };

static const char *const body_names[] = { "text", "base64", "qp" };

enum phase {
	PH_SYN, PH_SYNACK, PH_ACK, PH_GREETING, PH_EHLO, PH_EHLO_REPLY,
	PH_MAIL, PH_MAIL_REPLY, PH_RCPT, PH_RCPT_REPLY, PH_DATA, PH_DATA_REPLY,
	PH_MESSAGE, PH_MESSAGE_REPLY, PH_QUIT, PH_QUIT_REPLY, PH_FIN_SERVER,
	PH_FIN_CLIENT, PH_LAST_ACK, PH_DONE,
};

/* One body line of pool text, resumable at any byte. The content is
 * pool[src..src+len) (wrapping), except its last nend characters, which
 * come from end[] so the line can be fixed up where it ends. */
struct line {
	uint64_t len, pos;              /* content chars, the next one */
	size_t src;
	char end[2];
	unsigned nend;
	bool stuff;                     /* a '.' to write before the content */
	const char *suffix;             /* "\r\n" or "=\r\n" */
	unsigned suffix_len, suffix_pos;
};

enum msg_part { MP_HEAD, MP_BODY, MP_TAIL, MP_DONE };

/* A message being sent: head, body (streamed), tail (ends with ".\r\n"). */
struct msg {
	enum msg_part part;
	size_t off;                     /* in head or tail */
	size_t head_len, tail_len;
	/* text and qp bodies */
	uint64_t lines_done, lines_total;
	uint64_t last_len;              /* content of the short last line, 0: none */
	bool in_line;
	struct line ln;
	/* base64 body */
	uint64_t dpos, dsize;           /* decoded bytes consumed, total */
	uint64_t col;                   /* chars on the current line */
	char quad[4];
	unsigned qpos, qlen;
	unsigned crlf;                  /* CRLF chars still to write */
	char mark[24];                  /* LINFILE-N */
	size_t mark_len;
	uint64_t mark_at;               /* its decoded offset */
	uint64_t wire;                  /* bytes produced so far */
	char head[LIN_HEAD_CAP];
	char tail[LIN_TAIL_CAP];
};

struct sess {
	struct pcapw_conn conn;
	struct pcapw_rng rng;           /* a function of (seed, id) */
	uint32_t id;
	enum phase phase;
	unsigned unacked;               /* data segments the server owes an ACK */
	bool ack_due;
	struct msg msg;
	char small[LIN_SMALL_CAP];
	uint8_t seg[LIN_SEG_MAX];
};

struct lin {
	struct pcapw *w;
	uint64_t seed;
	enum body_kind body;
	uint64_t msg_bytes, line_bytes;
	char *pool;                     /* LIN_POOL chars of words */
	uint64_t message_wire;          /* all messages' bytes, as sent */
};

/* ------------------------------------------------------------------ */
/* Word pool. */

/* Words of the text body; the few that start with '.' make some lines
 * need dot-stuffing. */
static const char *const words[] = {
	"the", "report", "meeting", "invoice", "attached", "please", "review",
	"quarterly", "numbers", "project", "update", "schedule", "team", "budget",
	"customer", "shipment", "delivery", "contract", "signed", "draft", "final",
	"version", "thanks", "regards", "tomorrow", "morning", "agenda", "minutes",
	"notes", "follow", "up", "on", "our", "call", "about", "new", "office",
	"policy", "and", "for", "with", "from", "to", "a", "payment", "account",
	"statement", "balance", "details", "below", "see", "Monday,", "Friday.",
	"(draft)", "2024-11-26", "#42", "50%", "$1,200", "...", ".net", ".", "ok?",
};

/* Extra tokens of the quoted-printable pool: escapes, whole. */
static const char *const qp_escapes[] = { "=3D", "=E9", "=C3=A9", "=2E", "=09", "=F6" };

/*
 * Fill the pool with words separated by spaces, for text bodies; for qp,
 * about one token in ten is an =XX escape. The pool ends on a whole token
 * (padded with 'z'), so its wrap never cuts an escape.
 */
static void build_pool(char *pool, uint64_t seed, bool qp)
{
	struct pcapw_rng r;
	size_t len = 0;

	pcapw_rng_seed(&r, seed ^ 0x1e57a1ull);
	for (;;) {
		const char *t;

		if (qp && pcapw_rng_pct(&r, 10))
			t = GEN_PICK(&r, qp_escapes);
		else
			t = GEN_PICK(&r, words);
		size_t n = strlen(t);
		if (len + n + 1 > LIN_POOL)
			break;
		memcpy(pool + len, t, n);
		len += n;
		pool[len++] = ' ';
	}
	memset(pool + len, 'z', LIN_POOL - len);
}

/* ------------------------------------------------------------------ */
/* Lines of pool text. */

static char pool_at(const struct lin *g, size_t i)
{
	return g->pool[i % LIN_POOL];
}

/* Start a line of len content characters at a random pool offset; soft:
 * a quoted-printable soft line break follows it. */
static void line_begin(struct lin *g, struct sess *s, uint64_t len, bool soft)
{
	struct line *l = &s->msg.ln;

	l->len = len;
	l->pos = 0;
	l->src = (size_t)pcapw_rng_below(&s->rng, LIN_POOL);
	l->nend = len < 2 ? (unsigned)len : 2;
	for (unsigned i = 0; i < l->nend; i++)
		l->end[i] = pool_at(g, l->src + (size_t)(len - l->nend + i));
	if (g->body == BODY_QP) {
		/* An escape cut by the line end would be invalid (RFC 2045
		 * 6.7 rule 1); so would trailing white space before a hard
		 * break (rule 3). */
		for (unsigned i = 0; i < l->nend; i++) {
			if (l->end[i] == '=') {
				for (unsigned j = i; j < l->nend; j++)
					l->end[j] = 'x';
				break;
			}
		}
		if (!soft && l->nend && l->end[l->nend - 1] == ' ')
			l->end[l->nend - 1] = 'x';
		/* An escape starting before end[] ends inside the line. */
	}
	l->stuff = len && (len > l->nend ? pool_at(g, l->src) : l->end[0]) == '.';
	l->suffix = soft ? "=\r\n" : "\r\n";
	l->suffix_len = soft ? 3 : 2;
	l->suffix_pos = 0;
}

/* Write up to cap bytes of the current line; returns the count. The line
 * is finished when suffix_pos == suffix_len. */
static size_t line_emit(const struct lin *g, struct line *l, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (l->stuff && n < cap) {
		out[n++] = '.';
		l->stuff = false;
	}
	while (n < cap && l->pos < l->len - l->nend) {
		size_t at = (size_t)((l->src + l->pos) % LIN_POOL);
		uint64_t k = l->len - l->nend - l->pos;
		if (k > LIN_POOL - at)
			k = LIN_POOL - at;
		if (k > cap - n)
			k = cap - n;
		memcpy(out + n, g->pool + at, (size_t)k);
		n += (size_t)k;
		l->pos += k;
	}
	while (n < cap && l->pos < l->len) {
		out[n++] = (uint8_t)l->end[l->nend - (l->len - l->pos)];
		l->pos++;
	}
	while (n < cap && l->suffix_pos < l->suffix_len)
		out[n++] = (uint8_t)l->suffix[l->suffix_pos++];
	return n;
}

/* ------------------------------------------------------------------ */
/* Base64 of pseudo-random bytes. */

/* The next 1..3 decoded bytes (one draw of the session's generator),
 * encoded into m->quad (padded at the end). */
static void b64_next_quad(struct sess *s)
{
	struct msg *m = &s->msg;
	uint64_t left = m->dsize - m->dpos;
	unsigned k = left < 3 ? (unsigned)left : 3;
	uint8_t b[3];

	gen_rng_bytes(&s->rng, b, 3);
	if (m->dpos + k > m->mark_at && m->dpos < m->mark_at + m->mark_len) {
		for (unsigned i = 0; i < k; i++) {
			uint64_t p = m->dpos + i;
			if (p >= m->mark_at && p < m->mark_at + m->mark_len)
				b[i] = (uint8_t)m->mark[p - m->mark_at];
		}
	}
	gen_b64_quad(b, k, m->quad);
	m->qpos = 0;
	m->qlen = 4;
	m->dpos += k;
}

/* Write up to cap bytes of base64 lines; returns the count. The body is
 * finished when every byte is encoded and the last line ended. */
static size_t b64_emit(const struct lin *g, struct sess *s, uint8_t *out, size_t cap, bool *done)
{
	struct msg *m = &s->msg;
	size_t n = 0;

	*done = false;
	while (n < cap) {
		if (m->crlf) {
			out[n++] = m->crlf == 2 ? '\r' : '\n';
			m->crlf--;
			continue;
		}
		if (m->qpos == m->qlen) {
			if (m->dpos == m->dsize) {
				if (m->col) {
					m->col = 0;
					m->crlf = 2;
					continue;
				}
				*done = true;
				break;
			}
			b64_next_quad(s);
		}
		out[n++] = (uint8_t)m->quad[m->qpos++];
		if (++m->col == g->line_bytes) {
			m->col = 0;
			m->crlf = 2;
		}
	}
	if (!*done && n == cap && !m->crlf && m->qpos == m->qlen && m->dpos == m->dsize && !m->col)
		*done = true;
	return n;
}

/* ------------------------------------------------------------------ */
/* Messages. */

static void msg_start(struct lin *g, struct sess *s)
{
	struct msg *m = &s->msg;
	const char *kind = body_names[g->body];
	int h, t;

	memset(m, 0, offsetof(struct msg, head));
	h = snprintf(m->head, sizeof(m->head),
		     "From: \"Lin Gen\" <sender-%" PRIu32 "@lingen.example>\r\n"
		     "To: <rcpt@lingen.example>\r\n"
		     "Subject: linearity %s message %" PRIu64 " bytes, lines %" PRIu64
		     ", session %" PRIu32 "\r\n"
		     "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
		     "Message-ID: <lin-%08" PRIu32 ".%016" PRIx64 "@lingen.example>\r\n"
		     "MIME-Version: 1.0\r\n",
		     s->id, kind, g->msg_bytes, g->line_bytes, s->id, s->id,
		     pcapw_rng_next(&s->rng));
	if (g->body == BODY_BASE64) {
		h += snprintf(m->head + h, sizeof(m->head) - (size_t)h,
			      "Content-Type: multipart/mixed; boundary=\"=_lin_%08" PRIu32 "\"\r\n"
			      "\r\n"
			      "This is a multi-part message in MIME format.\r\n"
			      "--=_lin_%08" PRIu32 "\r\n"
			      "Content-Type: text/plain; charset=us-ascii\r\n"
			      "Content-Transfer-Encoding: 7bit\r\n"
			      "\r\n"
			      "The attached file holds %" PRIu64 " bytes of data.\r\n"
			      "\r\n"
			      "--=_lin_%08" PRIu32 "\r\n"
			      "Content-Type: application/octet-stream; name=\"lin-%08" PRIu32 ".bin\"\r\n"
			      "Content-Transfer-Encoding: base64\r\n"
			      "Content-Disposition: attachment; filename=\"lin-%08" PRIu32 ".bin\"\r\n"
			      "\r\n",
			      s->id, s->id, g->msg_bytes, s->id, s->id, s->id);
		t = snprintf(m->tail, sizeof(m->tail),
			     "--=_lin_%08" PRIu32 "\r\n"
			     "Content-Type: text/plain; charset=us-ascii\r\n"
			     "Content-Transfer-Encoding: 7bit\r\n"
			     "\r\n"
			     "End of the data. LINMARK-%08" PRIu32 "\r\n"
			     "--=_lin_%08" PRIu32 "--\r\n"
			     ".\r\n",
			     s->id, s->id, s->id);
		m->dsize = g->msg_bytes;
		m->mark_len = (size_t)snprintf(m->mark, sizeof(m->mark), "LINFILE-%08" PRIu32, s->id);
		m->mark_at = m->dsize > LIN_FILE_MARK_BACK + m->mark_len
			     ? m->dsize - LIN_FILE_MARK_BACK - m->mark_len : 0;
	} else {
		h += snprintf(m->head + h, sizeof(m->head) - (size_t)h,
			      "Content-Type: text/plain; charset=us-ascii\r\n"
			      "Content-Transfer-Encoding: %s\r\n"
			      "\r\n",
			      g->body == BODY_QP ? "quoted-printable" : "7bit");
		if (g->body == BODY_QP)
			t = snprintf(m->tail, sizeof(m->tail),
				     "\r\nEnd of the text. LINM=\r\nARK-%08" PRIu32 "\r\n.\r\n", s->id);
		else
			t = snprintf(m->tail, sizeof(m->tail),
				     "End of the text. LINMARK-%08" PRIu32 "\r\n.\r\n", s->id);
		/* Lines fill what the head and the tail (less its ".\r\n")
		 * leave of S. */
		uint64_t fixed = (uint64_t)h + (uint64_t)t - 3;
		uint64_t avail = g->msg_bytes > fixed ? g->msg_bytes - fixed : 0;
		m->lines_total = avail / (g->line_bytes + 2);
		uint64_t rest = avail % (g->line_bytes + 2);
		m->last_len = rest >= 3 ? rest - 2 : 0;
		if (m->last_len)
			m->lines_total++;
	}
	m->head_len = (size_t)h;
	m->tail_len = (size_t)t;
	m->part = MP_HEAD;
}

/* Start body line i of a text or qp message. */
static void msg_line_begin(struct lin *g, struct sess *s)
{
	struct msg *m = &s->msg;
	uint64_t i = m->lines_done;
	bool last = i + 1 == m->lines_total && m->last_len;
	bool soft = g->body == BODY_QP && !last && i % LIN_QP_HARD_EVERY != LIN_QP_HARD_EVERY - 1;
	uint64_t len = last ? m->last_len : g->line_bytes;

	if (soft)
		len--;          /* the '=' is the line's L-th character */
	line_begin(g, s, len, soft);
	m->in_line = true;
}

/* Produce up to cap bytes of the message; returns the count, 0 once it is
 * all written (m->part is MP_DONE as soon as the last byte is out). */
static size_t msg_fill(struct lin *g, struct sess *s, uint8_t *out, size_t cap)
{
	struct msg *m = &s->msg;
	size_t n = 0;

	while (n < cap && m->part != MP_DONE) {
		switch (m->part) {
		case MP_HEAD: {
			size_t k = m->head_len - m->off;
			if (k > cap - n)
				k = cap - n;
			memcpy(out + n, m->head + m->off, k);
			n += k;
			m->off += k;
			if (m->off == m->head_len) {
				m->off = 0;
				m->part = MP_BODY;
			}
			break;
		}
		case MP_BODY:
			if (g->body == BODY_BASE64) {
				bool done;
				n += b64_emit(g, s, out + n, cap - n, &done);
				if (done)
					m->part = MP_TAIL;
				break;
			}
			if (!m->in_line) {
				if (m->lines_done == m->lines_total) {
					m->part = MP_TAIL;
					break;
				}
				msg_line_begin(g, s);
			}
			n += line_emit(g, &m->ln, out + n, cap - n);
			if (m->ln.suffix_pos == m->ln.suffix_len) {
				m->in_line = false;
				m->lines_done++;
			}
			break;
		case MP_TAIL: {
			size_t k = m->tail_len - m->off;
			if (k > cap - n)
				k = cap - n;
			memcpy(out + n, m->tail + m->off, k);
			n += k;
			m->off += k;
			if (m->off == m->tail_len)
				m->part = MP_DONE;
			break;
		}
		case MP_DONE:
			break;
		}
	}
	m->wire += n;
	return n;
}

/* ------------------------------------------------------------------ */
/* Sessions. */

static void sess_start(struct lin *g, struct sess *s, uint32_t id)
{
	struct pcapw_endpoint cli, srv;
	struct pcapw_conn_opts co;

	memset(s, 0, offsetof(struct sess, msg));
	s->id = id;
	pcapw_rng_seed(&s->rng, gen_sess_seed(g->seed, id));
	gen_endpoint_v4(&cli, gen_client_v4(id), (uint16_t)(32768 + id % 28000u));
	gen_endpoint_v4(&srv, 0xc0000219u, 25);          /* 192.0.2.25:25 */
	gen_conn_opts(&co, &s->rng);
	(void)pcapw_conn_init(&s->conn, g->w, &cli, &srv, &co);   /* both IPv4 */
	s->phase = PH_SYN;
	msg_start(g, s);
}

static int say(struct sess *s, enum pcapw_dir dir, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One small write (a command or a reply), one segment. */
static int say(struct sess *s, enum pcapw_dir dir, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->small, sizeof(s->small), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s->small))
		return -EINVAL;
	return pcapw_conn_send(&s->conn, dir, (const uint8_t *)s->small, (size_t)n, NULL);
}

/* One message segment, or the server's ACK of the last two. */
static int sess_message_step(struct lin *g, struct sess *s)
{
	struct pcapw_conn *c = &s->conn;
	size_t n;
	bool last;
	int rc;

	if (s->ack_due) {
		s->ack_due = false;
		return pcapw_conn_ack(c, PCAPW_SERVER);
	}
	n = msg_fill(g, s, s->seg, LIN_SEG_MAX);
	last = s->msg.part == MP_DONE;
	rc = pcapw_conn_segment(c, PCAPW_CLIENT, c->off[PCAPW_CLIENT], s->seg, (uint32_t)n,
				PCAPW_ACK | (last ? PCAPW_PSH : 0));
	pcapw_conn_advance(c, PCAPW_CLIENT, n);
	if (last) {
		g->message_wire += s->msg.wire;
		s->phase = PH_MESSAGE_REPLY;
	} else if (++s->unacked == 2) {
		s->unacked = 0;
		s->ack_due = true;
	}
	return rc;
}

/* Write the session's next packet. Returns 0 or -errno. */
static int sess_step(struct lin *g, struct sess *s)
{
	struct pcapw_conn *c = &s->conn;
	int rc;

	switch (s->phase) {
	case PH_SYN:
		pcapw_clock_advance(g->w, LIN_GAP_US);
		rc = gen_conn_ctl(c, GEN_CTL_SYN);
		break;
	case PH_SYNACK:
		rc = gen_conn_ctl(c, GEN_CTL_SYNACK);
		break;
	case PH_ACK:
		rc = gen_conn_ctl(c, GEN_CTL_ACK);
		break;
	case PH_GREETING:
		rc = say(s, PCAPW_SERVER, "220 mx.lingen.example ESMTP lingen\r\n");
		break;
	case PH_EHLO:
		rc = say(s, PCAPW_CLIENT, "EHLO client-%" PRIu32 ".lingen.example\r\n", s->id);
		break;
	case PH_EHLO_REPLY:
		rc = say(s, PCAPW_SERVER, "250-mx.lingen.example\r\n250-PIPELINING\r\n"
			 "250-SIZE 157286400\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");
		break;
	case PH_MAIL:
		rc = say(s, PCAPW_CLIENT, "MAIL FROM:<sender-%" PRIu32 "@lingen.example>\r\n", s->id);
		break;
	case PH_MAIL_REPLY:
		rc = say(s, PCAPW_SERVER, "250 2.1.0 Ok\r\n");
		break;
	case PH_RCPT:
		rc = say(s, PCAPW_CLIENT, "RCPT TO:<rcpt@lingen.example>\r\n");
		break;
	case PH_RCPT_REPLY:
		rc = say(s, PCAPW_SERVER, "250 2.1.5 Ok\r\n");
		break;
	case PH_DATA:
		rc = say(s, PCAPW_CLIENT, "DATA\r\n");
		break;
	case PH_DATA_REPLY:
		rc = say(s, PCAPW_SERVER, "354 End data with <CR><LF>.<CR><LF>\r\n");
		break;
	case PH_MESSAGE:
		return sess_message_step(g, s);
	case PH_MESSAGE_REPLY:
		rc = say(s, PCAPW_SERVER, "250 2.0.0 Ok: queued as LIN%08" PRIu32 "\r\n", s->id);
		break;
	case PH_QUIT:
		rc = say(s, PCAPW_CLIENT, "QUIT\r\n");
		break;
	case PH_QUIT_REPLY:
		rc = say(s, PCAPW_SERVER, "221 2.0.0 Bye\r\n");
		break;
	case PH_FIN_SERVER:
		rc = gen_conn_ctl(c, GEN_CTL_FIN_SERVER);
		break;
	case PH_FIN_CLIENT:
		rc = gen_conn_ctl(c, GEN_CTL_FIN_CLIENT);
		break;
	case PH_LAST_ACK:
		rc = gen_conn_ctl(c, GEN_CTL_LAST_ACK);
		break;
	default:
		return -EINVAL;
	}
	s->phase = (enum phase)(s->phase + 1);
	return rc;
}

/* Write sessions [0, n) with up to conc of them interleaved. */
static int run_sessions(struct lin *g, struct sess *slots, unsigned conc, uint64_t n)
{
	uint64_t started = 0;
	unsigned active = 0;
	int rc;

	for (unsigned i = 0; i < conc; i++) {
		if (started < n) {
			sess_start(g, &slots[i], (uint32_t)started++);
			active++;
		} else {
			slots[i].phase = PH_DONE;
		}
	}
	while (active) {
		for (unsigned i = 0; i < conc; i++) {
			struct sess *s = &slots[i];
			if (s->phase == PH_DONE)
				continue;
			rc = sess_step(g, s);
			if (rc)
				return rc;
			if (s->phase == PH_DONE) {
				if (started < n)
					sess_start(g, s, (uint32_t)started++);
				else
					active--;
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Command line. */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lingen --out F.pcap [--seed N] [--message-bytes S] [--line-bytes L]\n"
		"              [--body text|base64|qp] [--total-mb T | --sessions N]\n"
		"              [--concurrency C]\n"
		"  --message-bytes S  text, qp: message size (headers included); base64: the\n"
		"                     attachment's decoded size (default 1m; k, m suffixes)\n"
		"  --line-bytes L     body line length without CRLF (default 76)\n"
		"  --body KIND        text (default), base64 (multipart with an attachment)\n"
		"                     or qp (quoted-printable text)\n"
		"  --total-mb T       sessions until the file holds about T MiB (default 100)\n"
		"  --sessions N       write N sessions instead\n"
		"  --concurrency C    sessions open at once, interleaved (default 1, max %u)\n"
		"Prints one JSON line: sessions, packets, bytes, message_bytes.\n",
		LIN_CONC_MAX);
}

int main(int argc, char **argv)
{
	const char *out = NULL, *body = NULL;
	uint64_t total_mb = 100, sessions = 0, conc = 1;
	struct pcapw_opts wo;
	struct lin g;
	struct sess *slots = NULL;
	int rc, ret = 1;
	const struct gen_opt opts[] = {
		{ "out", GEN_OPT_STRING, .str = &out, .required = true },
		{ "seed", GEN_OPT_SIZE, .num = &g.seed, .max = UINT64_MAX },
		{ "message-bytes", GEN_OPT_SIZE, .num = &g.msg_bytes, .min = 1, .max = LIN_MAX_BYTES },
		{ "line-bytes", GEN_OPT_SIZE, .num = &g.line_bytes, .min = 1, .max = LIN_MAX_BYTES },
		{ "body", GEN_OPT_STRING, .str = &body },
		{ "total-mb", GEN_OPT_SIZE, .num = &total_mb, .min = 1, .max = 1u << 20 },
		{ "sessions", GEN_OPT_SIZE, .num = &sessions, .min = 1, .max = UINT32_MAX },
		{ "concurrency", GEN_OPT_SIZE, .num = &conc, .min = 1, .max = LIN_CONC_MAX },
	};

	memset(&g, 0, sizeof(g));
	g.seed = 1;
	g.msg_bytes = 1u << 20;
	g.line_bytes = 76;
	rc = gen_opts_parse("lingen", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), usage);
	if (rc != GEN_OPTS_GO_ON)
		return rc;
	if (body) {
		rc = gen_opt_choice(body, body_names, sizeof(body_names) / sizeof(body_names[0]));
		if (rc < 0)
			return gen_opt_bad("lingen", "body", body, usage);
		g.body = (enum body_kind)rc;
	}

	g.pool = malloc(LIN_POOL);
	slots = calloc(conc, sizeof(*slots));
	if (!g.pool || !slots) {
		fprintf(stderr, "lingen: out of memory\n");
		goto done;
	}
	build_pool(g.pool, g.seed, g.body == BODY_QP);
	pcapw_opts_default(&wo);
	wo.step_us = LIN_STEP_US;
	wo.buf_size = 4u << 20;

	if (!sessions) {
		/* Every session has the same size: measure the first one. */
		uint64_t before;
		rc = pcapw_open("/dev/null", &wo, &g.w);
		if (rc) {
			fprintf(stderr, "lingen: /dev/null: %s\n", strerror(-rc));
			goto done;
		}
		before = pcapw_bytes(g.w);
		rc = run_sessions(&g, slots, 1, 1);
		uint64_t one = pcapw_bytes(g.w) - before;
		int rc2 = pcapw_close(g.w);
		if (rc || rc2) {
			fprintf(stderr, "lingen: /dev/null: %s\n", strerror(-(rc ? rc : rc2)));
			goto done;
		}
		sessions = ((total_mb << 20) + one / 2) / one;
		if (sessions == 0)
			sessions = 1;
		if (sessions > UINT32_MAX)
			sessions = UINT32_MAX;
		g.message_wire = 0;
	}

	rc = pcapw_open(out, &wo, &g.w);
	if (rc) {
		fprintf(stderr, "lingen: %s: %s\n", out, strerror(-rc));
		goto done;
	}
	rc = run_sessions(&g, slots, (unsigned)conc, sessions);
	uint64_t packets = pcapw_packets(g.w), bytes = pcapw_bytes(g.w);
	int rc2 = pcapw_close(g.w);
	if (rc || rc2) {
		fprintf(stderr, "lingen: %s: %s\n", out, strerror(-(rc ? rc : rc2)));
		goto done;
	}
	printf("{\"sessions\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
	       ",\"message_bytes\":%" PRIu64 ",\"body\":\"%s\",\"message_param\":%" PRIu64
	       ",\"line_bytes\":%" PRIu64 ",\"seed\":%" PRIu64 "}\n",
	       sessions, packets, bytes, g.message_wire, body_names[g.body], g.msg_bytes,
	       g.line_bytes, g.seed);
	ret = 0;
done:
	free(g.pool);
	free(slots);
	return ret;
}
