/*
 * test_smtp.c — the SMTP session parser against transcripts.
 *
 * Each case is a list of steps (client bytes, server bytes, a gap or an EOF
 * in one direction) fed in order, and the event log it must produce, one
 * line per event:
 *
 *   CMD@<tx> VERB [line]          REPLY@<tx> CODE VERB [final line]
 *   HELO [arg]  MAIL_FROM [arg]  RCPT_TO [arg]  DATA_BEGIN  DATA_END  TLS
 *   DATA [content]                (consecutive DATA events concatenated)
 *   TX_END id STATE helo=[..] from=[..]code rcpt=[..]code,.. data=code
 *          end=code[text] bytes=N gap dropped=N  (parts without a value
 *          are left out; helo is the session's when TX_END fires)
 *   ANOMALY name
 *
 * <tx> is ev->tx->id or '-' for NULL. Every case is then fed again byte by
 * byte, with each step split in two at every offset, and (short steps) in
 * three at every pair of offsets: the log must not change (STYLE 13), and
 * every run must give every pool block back.
 */
#include "check.h"
#include "smtp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op { END = 0, C, S, CGAP, SGAP, CEOF, SEOF };

struct step {
	enum op op;
	const char *bytes;      /* C, S */
	size_t len;             /* C, S: 0 = strlen(bytes); gaps: the length */
};

/* Steps from string literals (sizeof: NUL bytes allowed). */
#define CLI(lit)  { C, lit, sizeof(lit) - 1 }
#define SRV(lit)  { S, lit, sizeof(lit) - 1 }
#define GAP_C(n)  { CGAP, NULL, n }
#define GAP_S(n)  { SGAP, NULL, n }
#define EOF_C     { CEOF, NULL, 0 }
#define EOF_S     { SEOF, NULL, 0 }

struct tcase {
	const char *name;
	struct step steps[24];
	const char *expect;
	uint32_t max_line;      /* 0: 512 */
	uint32_t max_rcpt;      /* 0: 100 */
};

/* ---- event log ---------------------------------------------------------- */

#define LOG_MAX (256 * 1024)

struct log {
	char text[LOG_MAX];
	size_t len;
	char data[LOG_MAX];     /* DATA events not yet written */
	size_t dlen;
	uint64_t dsum[64];      /* DATA bytes per tx id, checked at TX_END */
	uint8_t logged[64];     /* TX_END per tx id */
	unsigned errors;        /* invariant violations */
};

static void log_printf(struct log *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void log_printf(struct log *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(l->text + l->len, LOG_MAX - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < LOG_MAX - l->len ? (size_t)n : LOG_MAX - l->len - 1;
}

static void log_bytes(struct log *l, const void *data, size_t len)
{
	const unsigned char *p = data;

	log_printf(l, "[");
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\r')
			log_printf(l, "\\r");
		else if (p[i] == '\n')
			log_printf(l, "\\n");
		else if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '\\')
			log_printf(l, "\\x%02x", p[i]);
		else
			log_printf(l, "%c", p[i]);
	}
	log_printf(l, "]");
}

static void log_flush_data(struct log *l)
{
	if (!l->dlen)
		return;
	log_printf(l, "DATA ");
	log_bytes(l, l->data, l->dlen);
	log_printf(l, "\n");
	l->dlen = 0;
}

static char txc(const struct smtp_tx *tx)
{
	return tx ? (char)('0' + tx->id % 10) : '-';
}

static void log_tx_end(struct log *l, const struct smtp_session *s,
		       const struct smtp_tx *tx)
{
	log_printf(l, "TX_END %u %s", tx->id, smtp_tx_state_name(tx->state));
	if (s->helo.ptr) {
		log_printf(l, " helo=");
		log_bytes(l, s->helo.ptr, s->helo.len);
	}
	if (tx->mail_seen) {
		log_printf(l, " from=");
		log_bytes(l, tx->mail_from.ptr, tx->mail_from.len);
		log_printf(l, "%u", tx->mail_reply_code);
	}
	for (uint32_t i = 0; i < tx->rcpt_count; i++) {
		log_printf(l, i ? "," : " rcpt=");
		log_bytes(l, tx->rcpt[i].addr.ptr, tx->rcpt[i].addr.len);
		log_printf(l, "%u", tx->rcpt[i].reply_code);
	}
	if (tx->data_reply_code)
		log_printf(l, " data=%u", tx->data_reply_code);
	if (tx->end_reply_code) {
		log_printf(l, " end=%u", tx->end_reply_code);
		log_bytes(l, tx->end_reply.ptr, tx->end_reply.len);
	}
	if (tx->data_seen)
		log_printf(l, " bytes=%llu", (unsigned long long)tx->data_bytes);
	if (tx->gap)
		log_printf(l, " gap");
	if (tx->rcpt_dropped)
		log_printf(l, " dropped=%u", tx->rcpt_dropped);
	log_printf(l, "\n");
}

static void on_event(void *user, struct smtp_session *s, const struct smtp_event *ev)
{
	struct log *l = user;

	if (ev->kind == SMTP_EV_DATA) {
		if (!ev->tx || !ev->data || !ev->len) {
			l->errors++;
			return;
		}
		if (l->dlen + ev->len <= LOG_MAX) {
			memcpy(l->data + l->dlen, ev->data, ev->len);
			l->dlen += ev->len;
		}
		l->dsum[ev->tx->id % 64] += ev->len;
		return;
	}
	log_flush_data(l);
	switch (ev->kind) {
	case SMTP_EV_COMMAND:
		log_printf(l, "CMD@%c %s ", txc(ev->tx), smtp_verb_name(ev->verb));
		log_bytes(l, ev->data, ev->len);
		break;
	case SMTP_EV_REPLY:
		log_printf(l, "REPLY@%c %u %s ", txc(ev->tx), ev->code,
			   smtp_verb_name(ev->verb));
		log_bytes(l, ev->data, ev->len);
		break;
	case SMTP_EV_HELO:
		log_printf(l, "HELO ");
		log_bytes(l, ev->data, ev->len);
		if (!s->helo.ptr || s->helo.len != ev->len ||
		    memcmp(s->helo.ptr, ev->data, ev->len) != 0)
			l->errors++;
		break;
	case SMTP_EV_MAIL_FROM:
		log_printf(l, "MAIL_FROM ");
		log_bytes(l, ev->data, ev->len);
		break;
	case SMTP_EV_RCPT_TO:
		log_printf(l, "RCPT_TO ");
		log_bytes(l, ev->data, ev->len);
		break;
	case SMTP_EV_DATA_BEGIN:
		log_printf(l, "DATA_BEGIN");
		break;
	case SMTP_EV_DATA_END:
		log_printf(l, "DATA_END");
		break;
	case SMTP_EV_TX_END:
		if (!ev->tx) {
			l->errors++;
			return;
		}
		if (ev->tx->data_bytes != l->dsum[ev->tx->id % 64] ||
		    l->logged[ev->tx->id % 64]++)
			l->errors++;
		log_tx_end(l, s, ev->tx);
		return;
	case SMTP_EV_TLS:
		log_printf(l, "TLS");
		break;
	case SMTP_EV_ANOMALY:
		log_printf(l, "ANOMALY %s", ev->anomaly);
		break;
	case SMTP_EV_DATA:
		break;
	}
	log_printf(l, "\n");
}

/* ---- running a case ----------------------------------------------------- */

static struct mt_blockpool pool;
static struct log lg;
static struct smtp_stats stats;

static size_t step_len(const struct step *st)
{
	return st->len ? st->len : strlen(st->bytes);
}

/*
 * Feed tc. Step `split` (or every step when split == -2) is cut at the
 * offsets in cuts[0..ncuts); split == -3 feeds every step byte by byte.
 * Returns the log (in lg).
 */
static const char *run(const struct tcase *tc, int split, const size_t *cuts,
		       unsigned ncuts)
{
	struct smtp_config cfg = {
		.pool = &pool,
		.max_line = tc->max_line ? tc->max_line : 512,
		.max_rcpt = tc->max_rcpt ? tc->max_rcpt : 100,
		.max_tx_blocks = 8,
		.on_event = on_event,
		.user = &lg,
	};
	struct smtp_session s;

	memset(&lg, 0, sizeof(lg));
	smtp_session_init(&s, &cfg, &stats);
	for (int i = 0; i < 24 && tc->steps[i].op != END; i++) {
		const struct step *st = &tc->steps[i];
		enum smtp_dir dir = st->op == C || st->op == CGAP || st->op == CEOF
				    ? SMTP_DIR_TO_SERVER : SMTP_DIR_TO_CLIENT;

		switch (st->op) {
		case C:
		case S: {
			const uint8_t *p = (const uint8_t *)st->bytes;
			size_t n = step_len(st), at = 0;

			if (split == -3) {
				for (size_t k = 0; k < n; k++)
					smtp_session_feed(&s, dir, p + k, 1);
				break;
			}
			if (split == i) {
				for (unsigned k = 0; k < ncuts; k++) {
					smtp_session_feed(&s, dir, p + at, cuts[k] - at);
					at = cuts[k];
				}
			}
			smtp_session_feed(&s, dir, p + at, n - at);
			break;
		}
		case CGAP:
		case SGAP:
			smtp_session_gap(&s, dir, st->len);
			break;
		case CEOF:
		case SEOF:
			smtp_session_eof(&s, dir);
			break;
		case END:
			break;
		}
	}
	smtp_session_finish(&s);
	log_flush_data(&lg);
	if (pool.in_use != 0)
		lg.errors++;
	return lg.text;
}

/* Whole, byte by byte, every 2-way split, 3-way splits of short steps. */
static void check_case(const struct tcase *tc)
{
	static char whole[LOG_MAX];
	unsigned bad = 0;

	const char *expect = tc->expect ? tc->expect : "(none)";

	strcpy(whole, run(tc, -1, NULL, 0));
	CHECK_EQ_U(lg.errors, 0);
	if (strcmp(whole, expect) != 0) {
		fprintf(stderr, "case \"%s\": log differs.\n--- expected:\n%s--- got:\n%s---\n",
			tc->name, expect, whole);
	}
	CHECK_STR(whole, expect);

	run(tc, -3, NULL, 0);
	if (strcmp(lg.text, whole) != 0 || lg.errors) {
		fprintf(stderr, "case \"%s\": byte by byte differs:\n%s", tc->name, lg.text);
		bad++;
	}
	for (int i = 0; i < 24 && tc->steps[i].op != END; i++) {
		const struct step *st = &tc->steps[i];
		size_t n;

		if (st->op != C && st->op != S)
			continue;
		n = step_len(st);
		for (size_t a = 1; a < n && bad < 3; a++) {
			run(tc, i, &a, 1);
			if (strcmp(lg.text, whole) != 0 || lg.errors) {
				fprintf(stderr, "case \"%s\": step %d split at %zu differs:\n%s",
					tc->name, i, a, lg.text);
				bad++;
			}
			if (n > 160)
				continue;
			for (size_t b = a + 1; b < n && bad < 3; b++) {
				size_t cuts[2] = { a, b };

				run(tc, i, cuts, 2);
				if (strcmp(lg.text, whole) != 0 || lg.errors) {
					fprintf(stderr, "case \"%s\": step %d split at %zu,%zu differs:\n%s",
						tc->name, i, a, b, lg.text);
					bad++;
				}
			}
		}
	}
	CHECK_EQ_U(bad, 0);
}

/* ---- the transcripts ---------------------------------------------------- */

#define GREET "220 mx.example.org ESMTP\r\n"
#define EHLO_REPLY "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"

static const struct tcase cases[] = {
{
	"basic EHLO session",
	{
		SRV(GREET),
		CLI("EHLO client.example.com\r\n"),
		SRV(EHLO_REPLY),
		CLI("MAIL FROM:<alice@example.com>\r\n"),
		SRV("250 2.1.0 Ok\r\n"),
		CLI("RCPT TO:<bob@example.org>\r\n"),
		SRV("250 2.1.5 Ok\r\n"),
		CLI("DATA\r\n"),
		SRV("354 End data with <CR><LF>.<CR><LF>\r\n"),
		CLI("Subject: hi\r\n\r\nHello Bob.\r\n.\r\n"),
		SRV("250 2.0.0 Ok: queued as 4F1\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 2.0.0 Bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO client.example.com]\n"
	"REPLY@0 250 EHLO [250 8BITMIME]\n"
	"HELO [client.example.com]\n"
	"CMD@0 MAIL [MAIL FROM:<alice@example.com>]\n"
	"MAIL_FROM [<alice@example.com>]\n"
	"REPLY@0 250 MAIL [250 2.1.0 Ok]\n"
	"CMD@0 RCPT [RCPT TO:<bob@example.org>]\n"
	"RCPT_TO [<bob@example.org>]\n"
	"REPLY@0 250 RCPT [250 2.1.5 Ok]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 354 DATA [354 End data with <CR><LF>.<CR><LF>]\n"
	"DATA [Subject: hi\\r\\n\\r\\nHello Bob.\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 2.0.0 Ok: queued as 4F1]\n"
	"TX_END 0 COMPLETE helo=[client.example.com] from=[<alice@example.com>]250"
	" rcpt=[<bob@example.org>]250 data=354 end=250[2.0.0 Ok: queued as 4F1] bytes=27\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 2.0.0 Bye]\n",
	0, 0,
},
{
	"HELO, lower-case verbs, space after the colon",
	{
		SRV("220 mx ready\r\n"),
		CLI("helo  old.example  \r\n"),
		SRV("250 mx\r\n"),
		CLI("mail from: <alice@example.com> SIZE=100\r\n"),
		SRV("250 ok\r\n"),
		CLI("Rcpt To:   <bob@example.org> NOTIFY=NEVER\r\n"),
		SRV("250 ok\r\n"),
		CLI("data\r\n"),
		SRV("354 go\r\n"),
		CLI("x\r\n.\r\n"),
		SRV("250 queued\r\n"),
		CLI("quit\r\n"),
	},
	"REPLY@0 220 NONE [220 mx ready]\n"
	"CMD@0 HELO [helo  old.example  ]\n"
	"REPLY@0 250 HELO [250 mx]\n"
	"HELO [old.example]\n"
	"CMD@0 MAIL [mail from: <alice@example.com> SIZE=100]\n"
	"MAIL_FROM [<alice@example.com>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RCPT [Rcpt To:   <bob@example.org> NOTIFY=NEVER]\n"
	"RCPT_TO [<bob@example.org>]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"CMD@0 DATA [data]\n"
	"DATA_BEGIN\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [x\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE helo=[old.example] from=[<alice@example.com>]250"
	" rcpt=[<bob@example.org>]250 data=354 end=250[queued] bytes=3\n"
	"CMD@1 QUIT [quit]\n",
	0, 0,
},
{
	"null sender, path without brackets, multi-line greeting",
	{
		SRV("220-mx.example.org\r\n220-no UCE\r\n220 ready\r\n"),
		CLI("EHLO [192.0.2.1]\r\n"),
		SRV("250-mx\r\n250 HELP\r\n"),
		CLI("MAIL FROM:<>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:postmaster\r\n"),
		SRV("250 ok\r\n"),
		CLI("RSET\r\n"),
		SRV("250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 ready]\n"
	"CMD@0 EHLO [EHLO [192.0.2.1]]\n"
	"REPLY@0 250 EHLO [250 HELP]\n"
	"HELO [[192.0.2.1]]\n"
	"CMD@0 MAIL [MAIL FROM:<>]\n"
	"MAIL_FROM [<>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RCPT [RCPT TO:postmaster]\n"
	"RCPT_TO [postmaster]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"CMD@0 RSET [RSET]\n"
	"TX_END 0 ABORTED helo=[[192.0.2.1]] from=[<>]250 rcpt=[postmaster]250\n"
	"REPLY@- 250 RSET [250 ok]\n",
	0, 0,
},
{
	"several recipients, one rejected",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<b@y>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<nobody@y>\r\n"),
		SRV("550 5.1.1 <nobody@y>: Recipient address rejected\r\n"),
		CLI("RCPT TO:<c@y>\r\n"),
		SRV("250 ok\r\n"),
		CLI("DATA\r\n"),
		SRV("354 go\r\n"),
		CLI(".\r\n"),
		SRV("250 ok id=1\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"CMD@0 RCPT [RCPT TO:<nobody@y>]\n"
	"RCPT_TO [<nobody@y>]\n"
	"REPLY@0 550 RCPT [550 5.1.1 <nobody@y>: Recipient address rejected]\n"
	"CMD@0 RCPT [RCPT TO:<c@y>]\n"
	"RCPT_TO [<c@y>]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 ok id=1]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250"
	" rcpt=[<b@y>]250,[<nobody@y>]550,[<c@y>]250 data=354 end=250[ok id=1] bytes=0\n",
	0, 0,
},
{
	"pipelined envelope and replies, each in one chunk",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV(EHLO_REPLY),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n"),
		SRV("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n450 4.2.0 <c@y>: greylisted\r\n354 go ahead\r\n"),
		CLI("line 1\r\n.\r\nQUIT\r\n"),
		SRV("250 2.0.0 Ok: queued as ABC\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 8BITMIME]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 RCPT [RCPT TO:<c@y>]\n"
	"RCPT_TO [<c@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 MAIL [250 2.1.0 Ok]\n"
	"REPLY@0 250 RCPT [250 2.1.5 Ok]\n"
	"REPLY@0 450 RCPT [450 4.2.0 <c@y>: greylisted]\n"
	"REPLY@0 354 DATA [354 go ahead]\n"
	"DATA [line 1\\r\\n]\n"
	"DATA_END\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@0 250 DATA_END [250 2.0.0 Ok: queued as ABC]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250,[<c@y>]450 data=354"
	" end=250[2.0.0 Ok: queued as ABC] bytes=8\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0,
},
{
	"DATA rejected, then RSET and QUIT",
	{
		SRV(GREET),
		CLI("HELO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<b@y>\r\n"),
		SRV("550 no such user\r\n"),
		CLI("DATA\r\n"),
		SRV("554 5.5.1 Error: no valid recipients\r\n"),
		CLI("RSET\r\n"),
		SRV("250 ok\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 HELO [HELO c]\n"
	"REPLY@0 250 HELO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 550 RCPT [550 no such user]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 554 DATA [554 5.5.1 Error: no valid recipients]\n"
	"TX_END 0 REJECTED helo=[c] from=[<a@x>]250 rcpt=[<b@y>]550 data=554 bytes=0\n"
	"CMD@1 RSET [RSET]\n"
	"REPLY@1 250 RSET [250 ok]\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0,
},
{
	"dot-unstuffing, dots that do not end the data",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI(".first line\r\n..leading\r\na.\r\n.a\r\n\r\n.\rx\r\nb\n.\nc\r\n.\n"
		     "d\r\n. \r\n..\r\n...\r\n.\r\n"),
		SRV("250 queued\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [first"
	" line\\r\\n.leading\\r\\na.\\r\\na\\r\\n\\r\\n\\rx\\r\\nb\\n.\\nc\\r\\n\\nd\\r\\n"
	" \\r\\n.\\r\\n..\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354"
	" end=250[queued] bytes=56\n",
	0, 0,
},
{
	"empty message, then a second transaction",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI(".\r\n"),
		SRV("250 queued as 1\r\n"),
		CLI("MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("second\r\n.\r\n"),
		SRV("451 4.3.0 try later\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued as 1]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354"
	" end=250[queued as 1] bytes=0\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@1 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"REPLY@1 354 DATA [354 go]\n"
	"DATA [second\\r\\n]\n"
	"DATA_END\n"
	"REPLY@1 451 DATA_END [451 4.3.0 try later]\n"
	"TX_END 1 REJECTED helo=[c] from=[<c@x>]250 rcpt=[<d@y>]250 data=354"
	" end=451[4.3.0 try later] bytes=8\n"
	"CMD@2 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0,
},
{
	"RSET mid-transaction, EHLO ends a transaction too",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RSET\r\n"),
		SRV("250 ok\r\n"),
		CLI("MAIL FROM:<b@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<c@y>\r\n"),
		SRV("250 ok\r\n"),
		CLI("EHLO again\r\n"),
		SRV("250 mx\r\n"),
		CLI("QUIT\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RSET [RSET]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@x>]250\n"
	"REPLY@- 250 RSET [250 ok]\n"
	"CMD@1 MAIL [MAIL FROM:<b@x>]\n"
	"MAIL_FROM [<b@x>]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"CMD@1 RCPT [RCPT TO:<c@y>]\n"
	"RCPT_TO [<c@y>]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"CMD@1 EHLO [EHLO again]\n"
	"REPLY@1 250 EHLO [250 mx]\n"
	"TX_END 1 ABORTED helo=[c] from=[<b@x>]250 rcpt=[<c@y>]250\n"
	"HELO [again]\n"
	"CMD@2 QUIT [QUIT]\n",
	0, 0,
},
{
	"STARTTLS, then nothing is parsed",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250-mx\r\n250 STARTTLS\r\n"),
		CLI("STARTTLS\r\n"),
		SRV("220 2.0.0 Ready to start TLS\r\n\x16\x03\x03\x00\x5a\x02\x00\r\n250 x\r\n"),
		CLI("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\nMAIL FROM:<x@y>\r\n"),
		SRV("\x17\x03\x03\x00\x20garbage\r\n"),
		CLI("QUIT\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 STARTTLS]\n"
	"HELO [c]\n"
	"CMD@0 STARTTLS [STARTTLS]\n"
	"REPLY@0 220 STARTTLS [220 2.0.0 Ready to start TLS]\n"
	"TLS\n"
	"TX_END 0 INCOMPLETE helo=[c]\n",
	0, 0,
},
{
	"STARTTLS refused: the session goes on in clear",
	{
		SRV(GREET),
		CLI("EHLO c\r\nSTARTTLS\r\n"),
		SRV("250 mx\r\n454 4.7.0 TLS not available\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 STARTTLS [STARTTLS]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 454 STARTTLS [454 4.7.0 TLS not available]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n"
	"TX_END 0 ABORTED helo=[c]\n",
	0, 0,
},
{
	"EHLO and QUIT only: one TX_END at the end",
	{
		SRV(GREET),
		CLI("EHLO scanner\r\n"),
		SRV(EHLO_REPLY),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
		EOF_S, EOF_C,
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO scanner]\n"
	"REPLY@0 250 EHLO [250 8BITMIME]\n"
	"HELO [scanner]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n"
	"TX_END 0 ABORTED helo=[scanner]\n",
	0, 0,
},
{
	"unknown verbs, empty line, bare CR, odd commands",
	{
		SRV(GREET),
		CLI("XYZZY plugh\r\n\r\nNOOP\r\nVRFY bob\r\nE\rHLO x\r\nSTARTTLSX\r\n"),
		SRV("500 unknown\r\n500 empty\r\n250 ok\r\n252 maybe\r\n500 bad\r\n500 bad\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 UNKNOWN [XYZZY plugh]\n"
	"CMD@0 UNKNOWN []\n"
	"CMD@0 NOOP [NOOP]\n"
	"CMD@0 VRFY [VRFY bob]\n"
	"ANOMALY bare_cr\n"
	"CMD@0 UNKNOWN [E\\rHLO x]\n"
	"CMD@0 UNKNOWN [STARTTLSX]\n"
	"REPLY@0 500 UNKNOWN [500 unknown]\n"
	"REPLY@0 500 UNKNOWN [500 empty]\n"
	"REPLY@0 250 NOOP [250 ok]\n"
	"REPLY@0 252 VRFY [252 maybe]\n"
	"REPLY@0 500 UNKNOWN [500 bad]\n"
	"REPLY@0 500 UNKNOWN [500 bad]\n"
	"TX_END 0 INCOMPLETE\n",
	0, 0,
},
{
	"line too long: first max_line bytes parsed, rest dropped to LF",
	{
		SRV(GREET),
		CLI("MAIL FROM:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x>\r\nRCPT TO:<b@y>\r\n"),
		SRV("250 ok\r\n250 ok but this reply line is far too long to keep\r\n"),
		CLI("QUIT\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"ANOMALY line_too_long\n"
	"CMD@0 MAIL [MAIL FROM:<aaaaaaaaaaaaaaaaaaaaa]\n"
	"MAIL_FROM [<aaaaaaaaaaaaaaaaaaaaa]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"ANOMALY line_too_long\n"
	"REPLY@0 250 RCPT [250 ok but this reply line is fa]\n"
	"CMD@0 QUIT [QUIT]\n"
	"TX_END 0 ABORTED from=[<aaaaaaaaaaaaaaaaaaaaa]250 rcpt=[<b@y>]250\n",
	32, 0,
},
{
	"unmatched and invalid replies",
	{
		SRV(GREET),
		CLI("NOOP\r\n"),
		SRV("250 ok\r\n250 extra\r\nhello\r\n25\r\n2500 x\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 NOOP [NOOP]\n"
	"REPLY@0 250 NOOP [250 ok]\n"
	"ANOMALY unmatched_reply\n"
	"REPLY@0 250 NONE [250 extra]\n"
	"ANOMALY invalid_reply\n"
	"ANOMALY invalid_reply\n"
	"ANOMALY invalid_reply\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n"
	"TX_END 0 ABORTED\n",
	0, 0,
},
{
	"gaps: command mode resynchronises at the next line, data marks the tx",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FR"),
		GAP_C(100),
		CLI("OM:<lost@x>\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("part one\r\n"),
		GAP_C(1460),
		CLI("part two\r\n.\r\n"),
		SRV("250 queued\r\n"),
		GAP_S(10),
		SRV("lost reply tail\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 250 DATA [250 ok]\n"
	"ANOMALY unmatched_reply\n"
	"REPLY@0 354 NONE [354 go]\n"
	"DATA [part one\\r\\npart two\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=250"
	" end=250[queued] bytes=20 gap\n"
	"ANOMALY unmatched_reply\n"
	"REPLY@- 221 NONE [221 bye]\n",
	0, 0,
},
{
	"a gap that swallows the final dot: the server's reply ends the data",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("part one\r\n"),
		GAP_C(5),
		SRV("250 2.0.0 queued as Z\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [part one\\r\\n]\n"
	"REPLY@0 250 DATA_END [250 2.0.0 queued as Z]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354"
	" end=250[2.0.0 queued as Z] bytes=10 gap\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0,
},
{
	"EOF in the middle of the data: INCOMPLETE",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("Subject: cut\r\n\r\nsome text\r\n."),
		EOF_C,
		SRV("421 timeout\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [Subject: cut\\r\\n\\r\\nsome text\\r\\n]\n"
	"ANOMALY unmatched_reply\n"
	"REPLY@0 421 NONE [421 timeout]\n"
	"TX_END 0 INCOMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 bytes=27\n",
	0, 0,
},
{
	"client dies mid-line: the partial line is a command",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b"),
		EOF_C,
		SRV("250 mx\r\n250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b]\n"
	"RCPT_TO [<b]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"TX_END 0 INCOMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b]0\n",
	0, 0,
},
{
	"pipelining past the dot: next MAIL before the verdict",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("one\r\n.\r\nMAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n"),
		SRV("250 queued as 1\r\n250 ok\r\n550 no\r\n554 no valid recipients\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [one\\r\\n]\n"
	"DATA_END\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@1 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 DATA_END [250 queued as 1]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354"
	" end=250[queued as 1] bytes=5\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"REPLY@1 550 RCPT [550 no]\n"
	"REPLY@1 554 DATA [554 no valid recipients]\n"
	"TX_END 1 REJECTED helo=[c] from=[<c@x>]250 rcpt=[<d@y>]550 data=554 bytes=0\n"
	"CMD@2 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0,
},
{
	"EHLO and two nested MAILs pipelined: the EHLO is forced, replies decide the MAILs; RCPT cap",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nMAIL FROM:<b@x>\r\n"),
		SRV("250 mx\r\n250 ok\r\n503 nested MAIL command\r\n"),
		CLI("MAIL FROM:<c@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<1>\r\nRCPT TO:<2>\r\nRCPT TO:<3>\r\nRCPT TO:<4>\r\n"),
		SRV("250 ok\r\n251 ok\r\n252 ok\r\n253 ok\r\n"),
		CLI("QUIT\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"HELO [c]\n"
	"ANOMALY nested_mail\n"
	"CMD@0 MAIL [MAIL FROM:<b@x>]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 503 MAIL [503 nested MAIL command]\n"
	"ANOMALY nested_mail\n"
	"CMD@0 MAIL [MAIL FROM:<c@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@x>]250\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<1>]\n"
	"RCPT_TO [<1>]\n"
	"CMD@1 RCPT [RCPT TO:<2>]\n"
	"RCPT_TO [<2>]\n"
	"CMD@1 RCPT [RCPT TO:<3>]\n"
	"ANOMALY too_many_rcpt\n"
	"RCPT_TO [<3>]\n"
	"CMD@1 RCPT [RCPT TO:<4>]\n"
	"RCPT_TO [<4>]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"REPLY@1 251 RCPT [251 ok]\n"
	"REPLY@1 252 RCPT [252 ok]\n"
	"REPLY@1 253 RCPT [253 ok]\n"
	"CMD@1 QUIT [QUIT]\n"
	"TX_END 1 ABORTED helo=[c] from=[<c@x>]250 rcpt=[<1>]250,[<2>]251 dropped=2\n",
	0, 2,
},
{
	"DATA refused after the client already sent content: stays in data",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nRSET\r\n"),
		SRV("250 ok\r\n550 no\r\n554 no valid recipients\r\n"),
		CLI(".\r\nQUIT\r\n"),
		SRV("250 ok\r\n500 what\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"DATA [RSET\\r\\n]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 550 RCPT [550 no]\n"
	"REPLY@0 554 DATA [554 no valid recipients]\n"
	"DATA_END\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@0 250 DATA_END [250 ok]\n"
	"TX_END 0 REJECTED from=[<a@x>]250 rcpt=[<b@y>]550 data=554 end=250[ok] bytes=6\n"
	"REPLY@- 500 QUIT [500 what]\n"
	"ANOMALY unmatched_reply\n"
	"REPLY@- 221 NONE [221 bye]\n",
	0, 0,
},
{
	"greeting refused with 554; a client that talks first",
	{
		CLI("EHLO early\r\n"),
		SRV("554 5.7.1 go away\r\n"),
		SRV("503 bad sequence\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"CMD@0 EHLO [EHLO early]\n"
	"HELO [early]\n"
	"REPLY@0 554 NONE [554 5.7.1 go away]\n"
	"REPLY@0 503 EHLO [503 bad sequence]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n"
	"TX_END 0 ABORTED helo=[early]\n",
	0, 0,
},
{
	"capture starts mid-session: no greeting",
	{
		CLI("RCPT TO:<b@y>\r\n"),
		SRV("250 ok\r\n"),
	},
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"TX_END 0 INCOMPLETE rcpt=[<b@y>]250\n",
	0, 0,
},
{
	"bare LF as line end in commands and replies, NUL bytes",
	{
		SRV("220 mx\n"),
		CLI("EHLO c\nMAIL FROM:<a\0b@x>\nRCPT TO:<b@y> \n"),
		SRV("250-mx\n250 ok\n250 ok\n250 ok\n"),
	},
	"REPLY@0 220 NONE [220 mx]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a\\x00b@x>]\n"
	"MAIL_FROM [<a\\x00b@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y> ]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 EHLO [250 ok]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"TX_END 0 INCOMPLETE helo=[c] from=[<a\\x00b@x>]250 rcpt=[<b@y>]250\n",
	0, 0,
},
{
	"client side only: a verdict never comes, each message ends INCOMPLETE",
	{
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\none\r\n.\r\n"
		    "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\ntwo\r\n.\r\nQUIT\r\n"),
	},
	"CMD@0 EHLO [EHLO c]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"DATA [one\\r\\n]\n"
	"DATA_END\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@1 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"DATA [two\\r\\n]\n"
	"DATA_END\n"
	"TX_END 0 INCOMPLETE helo=[c] from=[<a@x>]0 rcpt=[<b@y>]0 bytes=5\n"
	"CMD@2 QUIT [QUIT]\n"
	"TX_END 1 INCOMPLETE helo=[c] from=[<c@x>]0 rcpt=[<d@y>]0 bytes=5\n",
	0, 0,
},
{
	"smuggling attempt: <LF>.<LF> does not end the data",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("Hi\r\n\n.\nMAIL FROM:<ceo@victim.example>\r\nRCPT TO:<b@y>\r\nDATA\r\n"
		    "Fake\r\n.\r\n"),
		SRV("250 queued as ONE\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [Hi\\r\\n\\n.\\nMAIL FROM:<ceo@victim.example>\\r\\nRCPT"
	" TO:<b@y>\\r\\nDATA\\r\\nFake\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued as ONE]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354"
	" end=250[queued as ONE] bytes=66\n",
	0, 0,
},
/* ---- replies decide HELO/EHLO and nested MAIL (RFC 5321 section 4.1.4) -- */
{
	"refused EHLO keeps the envelope and the helo (sv smtp-rejected-ehlo-preserves-envelope)",
	{
		SRV("220 mail.example.com ESMTP Postfix\r\n"),
		CLI("helo client.example.com\r\n"),
		SRV("250 mail.example.com\r\n"),
		CLI("mail from:<alice@example.com>\r\n"),
		SRV("250 2.1.0 Ok\r\n"),
		CLI("ehlo\r\n"),
		SRV("501 Syntax: EHLO hostname\r\n"),
		CLI("rcpt to:<bob@example.com>\r\n"),
		SRV("250 2.1.5 Ok\r\n"),
		CLI("data\r\n"),
		SRV("354 End data with <CR><LF>.<CR><LF>\r\n"),
		CLI("Subject: x\r\n\r\nhello\r\n.\r\n"),
		SRV("250 2.0.0 Ok: queued as 9A\r\n"),
		CLI("quit\r\n"),
		SRV("221 2.0.0 Bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mail.example.com ESMTP Postfix]\n"
	"CMD@0 HELO [helo client.example.com]\n"
	"REPLY@0 250 HELO [250 mail.example.com]\n"
	"HELO [client.example.com]\n"
	"CMD@0 MAIL [mail from:<alice@example.com>]\n"
	"MAIL_FROM [<alice@example.com>]\n"
	"REPLY@0 250 MAIL [250 2.1.0 Ok]\n"
	"CMD@0 EHLO [ehlo]\n"
	"REPLY@0 501 EHLO [501 Syntax: EHLO hostname]\n"
	"CMD@0 RCPT [rcpt to:<bob@example.com>]\n"
	"RCPT_TO [<bob@example.com>]\n"
	"REPLY@0 250 RCPT [250 2.1.5 Ok]\n"
	"CMD@0 DATA [data]\n"
	"DATA_BEGIN\n"
	"REPLY@0 354 DATA [354 End data with <CR><LF>.<CR><LF>]\n"
	"DATA [Subject: x\\r\\n\\r\\nhello\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 2.0.0 Ok: queued as 9A]\n"
	"TX_END 0 COMPLETE helo=[client.example.com] from=[<alice@example.com>]250"
	" rcpt=[<bob@example.com>]250 data=354 end=250[2.0.0 Ok: queued as 9A] bytes=21\n"
	"CMD@1 QUIT [quit]\n"
	"REPLY@- 221 QUIT [221 2.0.0 Bye]\n",
	0, 0,
},
{
	"refused EHLO, client side only: it takes effect when sent",
	{
		CLI("helo client.example.com\r\nmail from:<alice@example.com>\r\nehlo\r\n"
		    "rcpt to:<bob@example.com>\r\ndata\r\nhello\r\n.\r\nquit\r\n"),
	},
	"CMD@0 HELO [helo client.example.com]\n"
	"HELO [client.example.com]\n"
	"CMD@0 MAIL [mail from:<alice@example.com>]\n"
	"MAIL_FROM [<alice@example.com>]\n"
	"CMD@0 EHLO [ehlo]\n"
	"TX_END 0 ABORTED helo=[client.example.com] from=[<alice@example.com>]0\n"
	"HELO []\n"
	"CMD@1 RCPT [rcpt to:<bob@example.com>]\n"
	"RCPT_TO [<bob@example.com>]\n"
	"CMD@1 DATA [data]\n"
	"DATA_BEGIN\n"
	"DATA [hello\\r\\n]\n"
	"DATA_END\n"
	"CMD@2 QUIT [quit]\n"
	"TX_END 1 INCOMPLETE helo=[] rcpt=[<bob@example.com>]0 bytes=7\n",
	0, 0,
},
{
	"refused nested MAIL changes nothing (sv firewall 132)",
	{
		SRV("220 mail.example.com ESMTP Postfix\r\n"),
		CLI("helo client.example.com\r\n"),
		SRV("250 mail.example.com\r\n"),
		CLI("mail from:<alice@example.com>\r\n"),
		SRV("250 2.1.0 Ok\r\n"),
		CLI("mail from:<bob@example.com>\r\n"),
		SRV("503 5.5.1 Error: nested MAIL command\r\n"),
		CLI("rcpt to:<bob@example.com>\r\n"),
		SRV("250 2.1.5 Ok\r\n"),
		CLI("data\r\n"),
		SRV("354 End data with <CR><LF>.<CR><LF>\r\n"),
		CLI("hello\r\n.\r\n"),
		SRV("250 2.0.0 Ok: queued as 9B\r\n"),
		CLI("quit\r\n"),
		SRV("221 2.0.0 Bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mail.example.com ESMTP Postfix]\n"
	"CMD@0 HELO [helo client.example.com]\n"
	"REPLY@0 250 HELO [250 mail.example.com]\n"
	"HELO [client.example.com]\n"
	"CMD@0 MAIL [mail from:<alice@example.com>]\n"
	"MAIL_FROM [<alice@example.com>]\n"
	"REPLY@0 250 MAIL [250 2.1.0 Ok]\n"
	"ANOMALY nested_mail\n"
	"CMD@0 MAIL [mail from:<bob@example.com>]\n"
	"REPLY@0 503 MAIL [503 5.5.1 Error: nested MAIL command]\n"
	"CMD@0 RCPT [rcpt to:<bob@example.com>]\n"
	"RCPT_TO [<bob@example.com>]\n"
	"REPLY@0 250 RCPT [250 2.1.5 Ok]\n"
	"CMD@0 DATA [data]\n"
	"DATA_BEGIN\n"
	"REPLY@0 354 DATA [354 End data with <CR><LF>.<CR><LF>]\n"
	"DATA [hello\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 2.0.0 Ok: queued as 9B]\n"
	"TX_END 0 COMPLETE helo=[client.example.com] from=[<alice@example.com>]250"
	" rcpt=[<bob@example.com>]250 data=354 end=250[2.0.0 Ok: queued as 9B] bytes=7\n"
	"CMD@1 QUIT [quit]\n"
	"REPLY@- 221 QUIT [221 2.0.0 Bye]\n",
	0, 0,
},
{
	"nested MAIL, client side only: it begins a new transaction when sent",
	{
		CLI("helo c\r\nmail from:<alice@example.com>\r\nmail from:<bob@example.com>\r\n"
		    "rcpt to:<bob@example.com>\r\nquit\r\n"),
	},
	"CMD@0 HELO [helo c]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [mail from:<alice@example.com>]\n"
	"MAIL_FROM [<alice@example.com>]\n"
	"ANOMALY nested_mail\n"
	"TX_END 0 ABORTED helo=[c] from=[<alice@example.com>]0\n"
	"CMD@1 MAIL [mail from:<bob@example.com>]\n"
	"MAIL_FROM [<bob@example.com>]\n"
	"CMD@1 RCPT [rcpt to:<bob@example.com>]\n"
	"RCPT_TO [<bob@example.com>]\n"
	"CMD@1 QUIT [quit]\n"
	"TX_END 1 ABORTED helo=[c] from=[<bob@example.com>]0 rcpt=[<bob@example.com>]0\n",
	0, 0,
},
{
	"refused nested MAIL with RCPT and DATA pipelined behind it",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("MAIL FROM:<b@x>\r\nRCPT TO:<c@y>\r\nDATA\r\n"),
		SRV("503 nested MAIL command\r\n250 ok\r\n354 go\r\n"),
		CLI("hi\r\n.\r\n"),
		SRV("250 queued\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"ANOMALY nested_mail\n"
	"CMD@0 MAIL [MAIL FROM:<b@x>]\n"
	"CMD@0 RCPT [RCPT TO:<c@y>]\n"
	"RCPT_TO [<c@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 503 MAIL [503 nested MAIL command]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [hi\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<c@y>]250 data=354"
	" end=250[queued] bytes=4\n",
	0, 0,
},
{
	"accepted nested MAIL (a lenient server) begins a new transaction",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<b@y>\r\n"),
		SRV("250 ok\r\n"),
		CLI("MAIL FROM:<c@x>\r\n"),
		SRV("250 ok, sender replaced\r\n"),
		CLI("RCPT TO:<d@y>\r\nQUIT\r\n"),
		SRV("250 ok\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"ANOMALY nested_mail\n"
	"CMD@0 MAIL [MAIL FROM:<c@x>]\n"
	"REPLY@0 250 MAIL [250 ok, sender replaced]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"TX_END 1 ABORTED helo=[c] from=[<c@x>]250 rcpt=[<d@y>]250\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0,
},
{
	"refused MAIL retried: not nested, a new transaction at once",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("550 5.7.1 sender rejected\r\n"),
		CLI("MAIL FROM:<b@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<c@y>\r\n"),
		SRV("250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 550 MAIL [550 5.7.1 sender rejected]\n"
	"TX_END 0 REJECTED helo=[c] from=[<a@x>]550\n"
	"CMD@1 MAIL [MAIL FROM:<b@x>]\n"
	"MAIL_FROM [<b@x>]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"CMD@1 RCPT [RCPT TO:<c@y>]\n"
	"RCPT_TO [<c@y>]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"TX_END 1 INCOMPLETE helo=[c] from=[<b@x>]250 rcpt=[<c@y>]250\n",
	0, 0,
},
{
	"bare HELO refused, envelope pipelined behind it (arkime smtp-nospaces)",
	{
		SRV("220 localhost ESMTP Sendmail 8.14.4/8.14.4\r\n"),
		CLI("HELO\r\n"),
		CLI("MAIL FROM:random@example.com\r\n"),
		CLI("RCPT TO:reciever@example.com\r\n"),
		CLI("DATA\r\n"),
		CLI("test\r\n"),
		SRV("501 5.0.0 HELO requires domain address\r\n"
		    "250 2.1.0 random@example.com... Sender ok\r\n"
		    "250 2.1.5 reciever@example.com... Recipient ok\r\n"
		    "354 Enter mail, end with \".\" on a line by itself\r\n"),
		CLI("..\r\n"),
	},
	"REPLY@0 220 NONE [220 localhost ESMTP Sendmail 8.14.4/8.14.4]\n"
	"CMD@0 HELO [HELO]\n"
	"CMD@0 MAIL [MAIL FROM:random@example.com]\n"
	"MAIL_FROM [random@example.com]\n"
	"CMD@0 RCPT [RCPT TO:reciever@example.com]\n"
	"RCPT_TO [reciever@example.com]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"DATA [test\\r\\n]\n"
	"REPLY@0 501 HELO [501 5.0.0 HELO requires domain address]\n"
	"REPLY@0 250 MAIL [250 2.1.0 random@example.com... Sender ok]\n"
	"REPLY@0 250 RCPT [250 2.1.5 reciever@example.com... Recipient ok]\n"
	"REPLY@0 354 DATA [354 Enter mail, end with \".\" on a line by itself]\n"
	"DATA [.\\r\\n]\n"
	"TX_END 0 INCOMPLETE from=[random@example.com]250 rcpt=[reciever@example.com]250"
	" data=354 bytes=9\n",
	0, 0,
},
{
	"bare HELO, client side only: helo set to \"\" when sent",
	{
		CLI("HELO\r\nMAIL FROM:random@example.com\r\nRCPT TO:reciever@example.com\r\n"),
	},
	"CMD@0 HELO [HELO]\n"
	"HELO []\n"
	"CMD@0 MAIL [MAIL FROM:random@example.com]\n"
	"MAIL_FROM [random@example.com]\n"
	"CMD@0 RCPT [RCPT TO:reciever@example.com]\n"
	"RCPT_TO [reciever@example.com]\n"
	"TX_END 0 INCOMPLETE helo=[] from=[random@example.com]0"
	" rcpt=[reciever@example.com]0\n",
	0, 0,
},
{
	"refused HELO, then an accepted one",
	{
		SRV(GREET),
		CLI("HELO\r\n"),
		SRV("501 HELO requires domain address\r\n"),
		CLI("HELO good.example\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\nQUIT\r\n"),
		SRV("250 ok\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 HELO [HELO]\n"
	"REPLY@0 501 HELO [501 HELO requires domain address]\n"
	"CMD@0 HELO [HELO good.example]\n"
	"REPLY@0 250 HELO [250 mx]\n"
	"HELO [good.example]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"TX_END 0 ABORTED helo=[good.example] from=[<a@x>]250\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0,
},
{
	"two EHLOs before the first reply: the older one is taken as accepted",
	{
		SRV(GREET),
		CLI("EHLO one\r\nEHLO two\r\n"),
		SRV("250 mx\r\n501 no\r\n"),
		CLI("EHLO three\r\nEHLO four\r\n"),
		SRV("501 no\r\n250 mx\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO one]\n"
	"HELO [one]\n"
	"CMD@0 EHLO [EHLO two]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"REPLY@0 501 EHLO [501 no]\n"
	"CMD@0 EHLO [EHLO three]\n"
	"HELO [three]\n"
	"CMD@0 EHLO [EHLO four]\n"
	"REPLY@0 501 EHLO [501 no]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [four]\n"
	"TX_END 0 INCOMPLETE helo=[four]\n",
	0, 0,
},
{
	"EHLO in a transaction, MAIL pipelined behind it: the EHLO ends the tx first",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("EHLO d\r\nMAIL FROM:<b@x>\r\n"),
		SRV("250 mx\r\n250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 EHLO [EHLO d]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@x>]250\n"
	"HELO [d]\n"
	"CMD@1 MAIL [MAIL FROM:<b@x>]\n"
	"MAIL_FROM [<b@x>]\n"
	"REPLY@- 250 EHLO [250 mx]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"TX_END 1 INCOMPLETE helo=[d] from=[<b@x>]250\n",
	0, 0,
},
{
	"EHLO in a transaction, RSET pipelined behind it, EHLO refused",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n"),
		CLI("EHLO\r\nRSET\r\nMAIL FROM:<c@x>\r\n"),
		SRV("501 syntax\r\n250 ok\r\n250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"CMD@0 EHLO [EHLO]\n"
	"CMD@0 RSET [RSET]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"REPLY@- 501 EHLO [501 syntax]\n"
	"REPLY@- 250 RSET [250 ok]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"TX_END 1 INCOMPLETE helo=[c] from=[<c@x>]250\n",
	0, 0,
},
{
	"deferred EHLO whose reply never comes: taken as accepted when the server's side ends",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\n"),
		EOF_S,
		CLI("RCPT TO:<b@y>\r\nEHLO d\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"HELO [c]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 EHLO [EHLO d]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@x>]0 rcpt=[<b@y>]0\n"
	"HELO [d]\n",
	0, 0,
},
{
	"replies out of step (greeting without CRLF swallows the EHLO reply): a 334 decides nothing",
	{
		SRV("220 mx ESMTP AAAAAAAA"),
		CLI("EHLO Simone\r\n"),
		SRV("250-mx.example\r\n"),
		CLI("AUTH LOGIN\r\n"),
		SRV("334 VXNlcm5hbWU6\r\n"),
		CLI("Z2FsdW50\r\n"),
		SRV("235 ok\r\n"),
		CLI("MAIL FROM: <x@y.example>\r\n"),
		SRV("250 ok\r\n"),
	},
	"CMD@0 EHLO [EHLO Simone]\n"
	"REPLY@0 220 NONE [220 mx ESMTP AAAAAAAA250-mx.example]\n"
	"CMD@0 AUTH [AUTH LOGIN]\n"
	"REPLY@0 334 EHLO [334 VXNlcm5hbWU6]\n"
	"HELO [Simone]\n"
	"CMD@0 UNKNOWN [Z2FsdW50]\n"
	"REPLY@0 235 AUTH [235 ok]\n"
	"CMD@0 MAIL [MAIL FROM: <x@y.example>]\n"
	"MAIL_FROM [<x@y.example>]\n"
	"REPLY@0 250 UNKNOWN [250 ok]\n"
	"TX_END 0 INCOMPLETE helo=[Simone] from=[<x@y.example>]0\n",
	0, 0,
},
/* ---- a transaction waits for the replies it is owed -------------------- */
{
	"pipelined MAIL, RCPT, QUIT: the record waits for the 550",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nQUIT\r\n"),
		SRV("250 ok\r\n550 5.1.1 no such user\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@b>]\n"
	"MAIL_FROM [<a@b>]\n"
	"CMD@0 RCPT [RCPT TO:<c@d>]\n"
	"RCPT_TO [<c@d>]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 550 RCPT [550 5.1.1 no such user]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@b>]250 rcpt=[<c@d>]550\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0,
},
{
	"pipelined MAIL refused, RCPT, QUIT: REJECTED",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nQUIT\r\n"),
		SRV("550 sender no\r\n503 need MAIL\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@b>]\n"
	"MAIL_FROM [<a@b>]\n"
	"CMD@0 RCPT [RCPT TO:<c@d>]\n"
	"RCPT_TO [<c@d>]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@0 550 MAIL [550 sender no]\n"
	"REPLY@0 503 RCPT [503 need MAIL]\n"
	"TX_END 0 REJECTED from=[<a@b>]550 rcpt=[<c@d>]503\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0,
},
{
	"RSET and a second envelope pipelined: both records get their replies",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRSET\r\nMAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nQUIT\r\n"),
		SRV("250 ok\r\n550 no\r\n250 reset\r\n250 ok\r\n250 ok\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 RSET [RSET]\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 550 RCPT [550 no]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@x>]250 rcpt=[<b@y>]550\n"
	"REPLY@- 250 RSET [250 reset]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"TX_END 1 ABORTED helo=[c] from=[<c@x>]250 rcpt=[<d@y>]250\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0,
},
{
	"RSET and a second envelope with its message pipelined",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRSET\r\nMAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n250 reset\r\n250 ok\r\n"),
		SRV("250 ok\r\n354 go\r\n"),
		CLI("m\r\n.\r\n"),
		SRV("250 queued\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 RSET [RSET]\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@1 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"TX_END 0 ABORTED from=[<a@x>]250 rcpt=[<b@y>]250\n"
	"REPLY@- 250 RSET [250 reset]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"REPLY@1 354 DATA [354 go]\n"
	"DATA [m\\r\\n]\n"
	"DATA_END\n"
	"REPLY@1 250 DATA_END [250 queued]\n"
	"TX_END 1 COMPLETE from=[<c@x>]250 rcpt=[<d@y>]250 data=354 end=250[queued] bytes=3\n",
	0, 0,
},
{
	"three envelopes ended before any reply: the slot is needed again",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRSET\r\nMAIL FROM:<b@x>\r\nRSET\r\nMAIL FROM:<c@x>\r\nQUIT\r\n"),
		SRV("250 ok\r\n250 ok\r\n251 ok\r\n250 ok\r\n252 ok\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RSET [RSET]\n"
	"CMD@1 MAIL [MAIL FROM:<b@x>]\n"
	"MAIL_FROM [<b@x>]\n"
	"CMD@1 RSET [RSET]\n"
	"TX_END 0 ABORTED from=[<a@x>]0\n"
	"CMD@2 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@2 QUIT [QUIT]\n"
	"REPLY@- 250 MAIL [250 ok]\n"
	"REPLY@- 250 RSET [250 ok]\n"
	"REPLY@1 251 MAIL [251 ok]\n"
	"TX_END 1 ABORTED from=[<b@x>]251\n"
	"REPLY@- 250 RSET [250 ok]\n"
	"REPLY@2 252 MAIL [252 ok]\n"
	"TX_END 2 ABORTED from=[<c@x>]252\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0,
},
{
	"RCPT's reply after the QUIT (sv smtp-bug-6053)",
	{
		SRV(GREET),
		CLI("EHLO Simone\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM: <x@y.example>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO: <z@aba.example>\r\n"),
		CLI("QUIT\r\n"),
		SRV("250 ok\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO Simone]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [Simone]\n"
	"CMD@0 MAIL [MAIL FROM: <x@y.example>]\n"
	"MAIL_FROM [<x@y.example>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RCPT [RCPT TO: <z@aba.example>]\n"
	"RCPT_TO [<z@aba.example>]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"TX_END 0 ABORTED helo=[Simone] from=[<x@y.example>]250 rcpt=[<z@aba.example>]250\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0,
},
{
	"a tx waiting for its replies when the server's side ends is logged then",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nQUIT\r\n"),
		SRV("250 ok\r\n"),
		EOF_S,
		EOF_C,
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"TX_END 0 ABORTED from=[<a@x>]250 rcpt=[<b@y>]0\n",
	0, 0,
},
{
	"a closed tx waits behind an older one awaiting its verdict",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("one\r\n.\r\nMAIL FROM:<c@x>\r\nQUIT\r\n"),
		SRV("250 queued\r\n250 ok\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [one\\r\\n]\n"
	"DATA_END\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued] bytes=5\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"TX_END 1 ABORTED from=[<c@x>]250\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0,
},
/* ---- gaps in command mode ------------------------------------------------ */
{
	"gap in command mode: the tx is marked, a command after the gap is parsed",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRC"),
		GAP_C(13),
		CLI("rcpt TO:<d@y>\r\nRCPT TO:<e@y>\r\n"),
		SRV("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n"),
		CLI("QUIT\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 RCPT [rcpt TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@0 RCPT [RCPT TO:<e@y>]\n"
	"RCPT_TO [<e@y>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"ANOMALY unmatched_reply\n"
	"REPLY@0 250 NONE [250 ok]\n"
	"CMD@0 QUIT [QUIT]\n"
	"TX_END 0 ABORTED from=[<a@x>]250 rcpt=[<b@y>]250,[<d@y>]250,[<e@y>]250 gap\n",
	0, 0,
},
{
	"gap in command mode: tails that are not commands are dropped",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nNO"),
		GAP_C(5),
		CLI("DATAx\r\nNOOP\r\n"),
		GAP_C(5),
		CLI("rcpt\tTO:<b@y>\r\nNOOP\r\n"),
		GAP_C(5),
		CLI("XYZZY\r\nNOOP\r\n"),
		GAP_C(5),
		CLI("RCPT TO:<this line is far too long to be kept at all>\r\nNOOP\r\n"),
		GAP_C(5),
		CLI("quit\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 NOOP [NOOP]\n"
	"CMD@0 NOOP [NOOP]\n"
	"CMD@0 NOOP [NOOP]\n"
	"CMD@0 NOOP [NOOP]\n"
	"CMD@0 QUIT [quit]\n"
	"TX_END 0 ABORTED from=[<a@x>]0 gap\n",
	32, 0,
},
{
	"gap between transactions: the next one is marked",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("one\r\n.\r\n"),
		SRV("250 queued\r\n"),
		GAP_C(30),
		CLI("MAIL FROM:<c@x>\r\nQUIT\r\n"),
		SRV("250 ok\r\n250 ok\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [one\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued] bytes=5\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"TX_END 1 ABORTED from=[<c@x>]250 gap\n"
	"REPLY@- 250 QUIT [250 ok]\n"
	"ANOMALY unmatched_reply\n"
	"REPLY@- 221 NONE [221 bye]\n",
	0, 0,
},
};

/* ---- tests outside the table ------------------------------------------- */

/* Counters of one whole-feed run of the basic case and the pipelined case. */
static void test_stats(void)
{
	memset(&stats, 0, sizeof(stats));
	run(&cases[0], -1, NULL, 0);
	CHECK_EQ_U(stats.sessions, 1);
	CHECK_EQ_U(stats.commands, 5);
	CHECK_EQ_U(stats.replies, 7);
	CHECK_EQ_U(stats.transactions, 1);
	CHECK_EQ_U(stats.pipelined, 0);
	CHECK_EQ_U(stats.anomalies, 0);

	memset(&stats, 0, sizeof(stats));
	run(&cases[4], -1, NULL, 0);       /* pipelined */
	CHECK_EQ_U(stats.commands, 6);
	CHECK_EQ_U(stats.pipelined, 4);    /* RCPT, RCPT, DATA, QUIT */
	CHECK_EQ_U(stats.transactions, 1);

	memset(&stats, 0, sizeof(stats));
	run(&cases[13], -1, NULL, 0);      /* line too long */
	CHECK_EQ_U(stats.lines_too_long, 2);
	CHECK_EQ_U(stats.anomalies, 2);

	memset(&stats, 0, sizeof(stats));
	run(&cases[14], -1, NULL, 0);      /* unmatched */
	CHECK_EQ_U(stats.unmatched_replies, 1);
	CHECK_EQ_U(stats.anomalies, 4);

	memset(&stats, 0, sizeof(stats));
	run(&cases[15], -1, NULL, 0);      /* gaps */
	CHECK_EQ_U(stats.gaps, 3);
}

/* More commands in flight than the FIFO holds: the extra ones are not
 * queued; the replies to the queued ones still match. */
static void test_pending_overflow(void)
{
	static char cli[SMTP_PENDING_MAX * 8 + 16], srv[SMTP_PENDING_MAX * 10 + 16];
	struct tcase tc = { .name = "pending overflow" };
	size_t a = 0, b = 0;

	for (int i = 0; i < SMTP_PENDING_MAX + 2; i++) {
		a += (size_t)sprintf(cli + a, "NOOP\r\n");
		b += (size_t)sprintf(srv + b, "250 %d\r\n", i);
	}
	tc.steps[0] = (struct step){ S, GREET, 0 };
	tc.steps[1] = (struct step){ C, cli, 0 };
	tc.steps[2] = (struct step){ S, srv, 0 };
	memset(&stats, 0, sizeof(stats));
	run(&tc, -1, NULL, 0);
	CHECK_EQ_U(lg.errors, 0);
	CHECK_EQ_U(stats.pending_overflow, 2);
	CHECK_EQ_U(stats.unmatched_replies, 2);
	CHECK_EQ_U(stats.pipelined, SMTP_PENDING_MAX + 1);
	CHECK(strstr(lg.text, "REPLY@0 250 NOOP [250 63]\n") != NULL);
	CHECK(strstr(lg.text, "ANOMALY unmatched_reply\nREPLY@0 250 NONE [250 64]\n") != NULL);
	CHECK(strstr(lg.text, "ANOMALY pending_overflow\n") != NULL);
}

/* A big message through the data path: size and content survive any
 * chunking (slices are compared concatenated). */
static void test_big_message(void)
{
	static char body[70000], cli[80000];
	struct tcase tc = { .name = "big message" };
	size_t n = 0;

	for (int i = 0; n + 100 < sizeof(body); i++)
		n += (size_t)sprintf(body + n, "%s%d line of text\r\n", i % 7 ? "" : ".", i);
	body[n] = '\0';
	snprintf(cli, sizeof(cli), "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n%s.\r\nQUIT\r\n", body);
	tc.steps[0] = (struct step){ S, GREET, 0 };
	tc.steps[1] = (struct step){ C, cli, 0 };
	tc.steps[2] = (struct step)SRV("250 ok\r\n250 ok\r\n354 go\r\n250 done\r\n221 bye\r\n");

	static char whole[LOG_MAX];
	strcpy(whole, run(&tc, -1, NULL, 0));
	CHECK_EQ_U(lg.errors, 0);
	CHECK(strstr(whole, "TX_END 0 COMPLETE") != NULL);
	/* every 7th line lost its leading dot */
	{
		size_t dots = 0;

		for (size_t i = 0; i < n; i++)
			dots += body[i] == '.' && (i == 0 || body[i - 1] == '\n');
		char want[64];

		snprintf(want, sizeof(want), " bytes=%zu\n", n - dots);
		CHECK(strstr(whole, want) != NULL);
	}
	for (size_t cut = 1; cut < strlen(cli); cut += 997) {
		run(&tc, 1, &cut, 1);
		CHECK(strcmp(lg.text, whole) == 0 && lg.errors == 0);
	}
}

/* A pool with too few blocks: the parser cuts, counts and goes on; every
 * block comes back. */
static void test_pool_exhaustion(void)
{
	struct mt_blockpool tiny;
	struct mt_blockpool saved = pool;
	size_t ncases = sizeof(cases) / sizeof(cases[0]);

	CHECK_EQ_U(mt_blockpool_init(&tiny, 64, 1), 0);
	pool = tiny;
	memset(&stats, 0, sizeof(stats));
	for (size_t i = 0; i < ncases; i++) {
		run(&cases[i], -3, NULL, 0);    /* byte by byte: every line spans */
		CHECK_EQ_U(pool.in_use, 0);
	}
	CHECK(stats.no_memory > 0);
	CHECK(pool.exhausted > 0);
	CHECK(stats.transactions > 0);
	mt_blockpool_destroy(&pool);
	pool = saved;

	/* Two blocks: line buffer + one arena block. */
	CHECK_EQ_U(mt_blockpool_init(&tiny, 64, 2), 0);
	pool = tiny;
	memset(&stats, 0, sizeof(stats));
	run(&cases[0], -3, NULL, 0);
	CHECK_EQ_U(pool.in_use, 0);
	CHECK(strstr(lg.text, "TX_END 0 COMPLETE") != NULL);
	mt_blockpool_destroy(&pool);
	pool = saved;
}

/* The tx strings and the helo stay valid until TX_END returns / finish. */
static void test_helo_replaced(void)
{
	struct tcase tc = {
		.name = "helo replaced",
		.steps = {
			CLI("HELO one\r\nEHLO two.example\r\nMAIL FROM:<a@x>\r\n"),
		},
	};

	run(&tc, -1, NULL, 0);
	CHECK_EQ_U(lg.errors, 0);
	CHECK(strstr(lg.text, "HELO [one]\n") != NULL);
	CHECK(strstr(lg.text, "HELO [two.example]\n") != NULL);
	CHECK(strstr(lg.text, "TX_END 0 INCOMPLETE helo=[two.example] from=[<a@x>]0\n") != NULL);
}

/* A string longer than one arena object is cut to fit and counted. */
static void test_string_cut(void)
{
	struct mt_blockpool small;
	struct mt_blockpool saved = pool;
	struct tcase tc = {
		.name = "cut",
		.steps = {
			CLI("MAIL FROM:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.example>\r\n"),
		},
		.max_line = 64,
	};

	CHECK_EQ_U(mt_blockpool_init(&small, 64, 8), 0);
	pool = small;
	memset(&stats, 0, sizeof(stats));
	run(&tc, -1, NULL, 0);
	/* The line is cut at 64 first; the path then at 64 - 16 - 1 (NUL). */
	CHECK(strstr(lg.text, "ANOMALY no_memory\n") != NULL);
	CHECK(strstr(lg.text, "TX_END 0 INCOMPLETE from=[<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@]0\n") != NULL);
	CHECK_EQ_U(stats.no_memory, 1);
	CHECK_EQ_U(stats.lines_too_long, 1);
	CHECK_EQ_U(pool.in_use, 0);
	mt_blockpool_destroy(&pool);
	pool = saved;
}

int main(void)
{
	size_t ncases = sizeof(cases) / sizeof(cases[0]);

	if (mt_blockpool_init(&pool, 1024, 64) != 0)
		return 1;
	for (size_t i = 0; i < ncases; i++)
		check_case(&cases[i]);
	test_stats();
	test_pending_overflow();
	test_big_message();
	test_helo_replaced();
	test_string_cut();
	test_pool_exhaustion();
	CHECK(strcmp(smtp_verb_name(SMTP_VERB_DATA_END), "DATA_END") == 0);
	CHECK(strcmp(smtp_verb_name(SMTP_VERB_XFORWARD), "XFORWARD") == 0);
	CHECK(strcmp(smtp_tx_state_name(SMTP_TX_INCOMPLETE), "INCOMPLETE") == 0);
	mt_blockpool_destroy(&pool);
	return check_summary("test_smtp");
}
