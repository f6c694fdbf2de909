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
 *   AUTH STATE code mech=[..] user=[..]
 *   EHLO_CAPS n flags=0xF size=N cut [list]  (only in cases with .caps)
 *   TX_END also: bdat=chunks size=N body=N utf8 ret=N mauth=[..] envid=[..]
 *
 * No event may carry the password marker PW_MARK (AUTH cases use it).
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
	bool caps;              /* log EHLO_CAPS events */
	/* Line limits (RFC 5321 section 4.5.3.1); 0: the usual 512, 512,
	 * 1000; NOLIM: not checked. */
	uint32_t max_cmd, max_reply, max_text;
};

#define NOLIM UINT32_MAX
static uint32_t limit_or(uint32_t v, uint32_t dflt)
{
	return v == NOLIM ? 0 : v ? v : dflt;
}

/* ---- event log ---------------------------------------------------------- */

#define LOG_MAX (256 * 1024)
#define PW_MARK "s3cr3tPW"

static bool log_caps;           /* the running case logs EHLO_CAPS */

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
	if (tx->bdat)
		log_printf(l, " bdat=%u", tx->chunks);
	if (tx->mail_size_set)
		log_printf(l, " size=%llu", (unsigned long long)tx->mail_size);
	if (tx->mail_body)
		log_printf(l, " body=%u", tx->mail_body);
	if (tx->mail_smtputf8)
		log_printf(l, " utf8");
	if (tx->mail_ret)
		log_printf(l, " ret=%u", tx->mail_ret);
	if (tx->mail_auth.ptr) {
		log_printf(l, " mauth=");
		log_bytes(l, tx->mail_auth.ptr, tx->mail_auth.len);
	}
	if (tx->mail_envid.ptr) {
		log_printf(l, " envid=");
		log_bytes(l, tx->mail_envid.ptr, tx->mail_envid.len);
	}
	log_printf(l, "\n");
}

static void on_event(void *user, struct smtp_session *s, const struct smtp_event *ev)
{
	struct log *l = user;

	/* Frames are the bytes as sent, credentials included: an AUTH line
	 * must come marked (verb AUTH) so that its payload is never logged. */
	if (ev->kind == SMTP_EV_CLIENT_LINE || ev->kind == SMTP_EV_SERVER_LINE ||
	    ev->kind == SMTP_EV_DATA_RAW) {
		if (ev->len && memmem(ev->data, ev->len, PW_MARK, strlen(PW_MARK)) &&
		    ev->verb != SMTP_VERB_AUTH)
			l->errors++;
		return;
	}
	if (ev->len && memmem(ev->data, ev->len, PW_MARK, strlen(PW_MARK)))
		l->errors++;
	if (s->auth_user.ptr && strstr(s->auth_user.ptr, PW_MARK))
		l->errors++;
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
	case SMTP_EV_AUTH:
		log_printf(l, "AUTH %s %u mech=",
			   smtp_auth_state_name((enum smtp_auth_state)s->auth_state),
			   ev->code);
		log_bytes(l, ev->data, ev->len);
		log_printf(l, " user=");
		log_bytes(l, s->auth_user.ptr, s->auth_user.len);
		if (ev->code != s->auth_reply)
			l->errors++;
		break;
	case SMTP_EV_EHLO_CAPS:
		if (ev->len != s->ehlo_caps.len)
			l->errors++;
		if (!log_caps)
			return;
		log_printf(l, "EHLO_CAPS %u flags=0x%x size=%llu%s ", s->ehlo_caps_count,
			   s->ehlo_flags, (unsigned long long)s->ehlo_size,
			   s->ehlo_caps_cut ? " cut" : "");
		log_bytes(l, ev->data, ev->len);
		break;
	case SMTP_EV_DATA:
	case SMTP_EV_CLIENT_LINE:
	case SMTP_EV_SERVER_LINE:
	case SMTP_EV_DATA_RAW:
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
		.max_command_len = limit_or(tc->max_cmd, 512),
		.max_reply_len = limit_or(tc->max_reply, 512),
		.max_text_line = limit_or(tc->max_text, 1000),
		.on_event = on_event,
		.user = &lg,
	};
	struct smtp_session s;

	memset(&lg, 0, sizeof(lg));
	log_caps = tc->caps;
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
	/* The greeting's banner, checked where a case names it. */
	if (tc->caps && s.banner.ptr)
		log_printf(&lg, "BANNER [%s]\n", s.banner.ptr);
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
	if (getenv("SMTP_TEST_DUMP"))
		printf("@@CASE %s\n%s@@END\n", tc->name, whole);
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

#include "test_smtp_cases.h"

/* ---- tests outside the table ------------------------------------------- */

/* ANOMALY events named name (NULL: any) in the last run's log. */
static unsigned anomalies_named(const char *name)
{
	char pat[64];
	unsigned n = 0;

	snprintf(pat, sizeof(pat), name ? "ANOMALY %s\n" : "ANOMALY ", name);
	for (const char *p = lg.text; (p = strstr(p, pat)) != NULL; p += strlen(pat))
		n++;
	return n;
}

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
	CHECK_EQ_U(anomalies_named("mail_without_helo"), 1);
	CHECK_EQ_U(anomalies_named("command_line_too_long"), 0);  /* < 512 */
	CHECK_EQ_U(stats.anomalies, 3);

	memset(&stats, 0, sizeof(stats));
	run(&cases[14], -1, NULL, 0);      /* unmatched */
	CHECK_EQ_U(stats.unmatched_replies, 1);
	CHECK_EQ_U(stats.anomalies, 4);

	memset(&stats, 0, sizeof(stats));
	run(&cases[15], -1, NULL, 0);      /* gaps */
	CHECK_EQ_U(stats.gaps, 3);
}

static const struct tcase *case_named(const char *prefix)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strncmp(cases[i].name, prefix, strlen(prefix)) == 0)
			return &cases[i];
	return NULL;
}

/* SMTP smuggling: every sequence and the smuggled command are counted. */
static void test_smuggling_stats(void)
{
	const struct tcase *tc = case_named("smuggling: chained sequences");

	CHECK(tc != NULL);
	if (!tc)
		return;
	memset(&stats, 0, sizeof(stats));
	run(tc, -3, NULL, 0);
	/* lf_dot_lf x2, smuggled_command, crlf_dot_lf, cr_dot_cr x2; then
	 * crlf_dot_lf and smuggled_command in the second message. */
	CHECK_EQ_U(stats.anomalies, 8);
	memset(&stats, 0, sizeof(stats));
	run(case_named("smuggling: none of the sequences"), -1, NULL, 0);
	CHECK_EQ_U(stats.anomalies, 0);
}

/* The BDAT, AUTH and unknown-verb counters. */
static void test_ext_stats(void)
{
	const struct tcase *tc = case_named("BDAT: chunks end mid-line");

	CHECK(tc != NULL);
	if (!tc)
		return;
	memset(&stats, 0, sizeof(stats));
	run(tc, -1, NULL, 0);
	CHECK_EQ_U(stats.bdat_chunks, 2);
	CHECK_EQ_U(stats.bdat_bytes, 16);
	CHECK_EQ_U(stats.commands, 6);
	CHECK_EQ_U(stats.unknown_commands, 0);

	memset(&stats, 0, sizeof(stats));
	run(case_named("BDAT with bad arguments"), -1, NULL, 0);
	CHECK_EQ_U(stats.bdat_chunks, 0);
	CHECK_EQ_U(stats.anomalies, 7);         /* 6 + mail_without_helo */

	memset(&stats, 0, sizeof(stats));
	run(case_named("AUTH PLAIN after 334"), -1, NULL, 0);
	CHECK_EQ_U(stats.auth, 3);
	CHECK_EQ_U(stats.auth_success, 1);
	CHECK_EQ_U(stats.auth_failure, 1);      /* the cancel is not one */
	CHECK_EQ_U(stats.commands, 4);          /* 3 AUTH + NOOP, no answers */
	CHECK_EQ_U(stats.unknown_commands, 0);

	memset(&stats, 0, sizeof(stats));
	run(case_named("EHLO reply with more"), -1, NULL, 0);
	CHECK_EQ_U(stats.ehlo_caps_cut, 1);

	/* An unknown verb is counted (and still a command). */
	{
		struct tcase u = { .name = "unknown", .steps = { CLI("XYZZY 1\r\nNOOP\r\n") } };

		memset(&stats, 0, sizeof(stats));
		run(&u, -1, NULL, 0);
		CHECK_EQ_U(stats.unknown_commands, 1);
		CHECK_EQ_U(stats.commands, 2);
	}
}

/* The new anomalies, once per occurrence (the caller counts them per name
 * and dedupes per flow), and stats.anomalies their total. */
static void test_anomaly_counts(void)
{
	static const struct {
		const char *tcase, *anomaly;
		unsigned want;
	} t[] = {
		{ "line limits: command", "command_line_too_long", 3 },
		{ "line limits: command", "reply_line_too_long", 1 },
		{ "line limits: command", "data_line_too_long", 4 },
		{ "line limits: command", "line_too_long", 1 },
		{ "line limits: a DATA line", "data_line_too_long", 2 },
		{ "line limits: 0 turns", NULL, 0 },
		{ "bare LF as line end", "bare_lf", 8 },
		{ "bare LF: AUTH", "bare_lf", 1 },
		{ "unknown_command and", "unknown_command", 3 },
		{ "unknown_command and", "invalid_command", 4 },
		{ "unknown verbs, empty line", "unknown_command", 2 },
		{ "unknown verbs, empty line", "invalid_command", 2 },
		{ "mail_without_helo: once", "mail_without_helo", 1 },
		{ "mail_without_helo: not raised when", NULL, 0 },
		{ "mail_without_helo: not raised after", NULL, 0 },
		{ "data_without_rcpt: one-sided", "data_without_rcpt", 2 },
		{ "data_without_rcpt: with replies", "data_without_rcpt", 1 },
		{ "message_size_exceeded:", "message_size_exceeded", 1 },
		{ "message size: the EHLO", "message_size_exceeded", 1 },
		{ "message size: the EHLO", "bdat_size_exceeded", 1 },
		{ "basic EHLO session", NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct tcase *tc = case_named(t[i].tcase);
		unsigned got;

		CHECK(tc != NULL);
		if (!tc)
			continue;
		memset(&stats, 0, sizeof(stats));
		run(tc, -3, NULL, 0);
		got = anomalies_named(t[i].anomaly);
		if (got != t[i].want)
			fprintf(stderr, "\"%s\": %u %s, want %u\n", t[i].tcase, got,
				t[i].anomaly ? t[i].anomaly : "anomalies", t[i].want);
		CHECK_EQ_U(got, t[i].want);
		CHECK_EQ_U(stats.anomalies, anomalies_named(NULL));
	}
	/* unknown_commands: every line whose verb is not known. */
	memset(&stats, 0, sizeof(stats));
	run(case_named("unknown_command and"), -1, NULL, 0);
	CHECK_EQ_U(stats.unknown_commands, 7);
}

/* The usual limits (512, 512, 1000) at their edges, with lines built to
 * length: a MAIL line gets SIZE= (+26), SMTPUTF8 (+10) and AUTH= (+500)
 * on top (the parameters must be within max_line to be seen: the test
 * pool's blocks are 1 KiB); a DATA line one more octet for a leading
 * dot. */
static void test_default_limits(void)
{
	static char cli[8192], srv[2048];
	struct tcase tc = { .name = "default limits", .max_line = 1024 };
	size_t a = 0, b = 0;
	const char *p;

	/* 512 with the CRLF: "NOOP " + 505 + CRLF; then 513. */
	a += (size_t)sprintf(cli + a, "NOOP %0505d\r\nNOOP %0506d\r\n", 0, 7);
	/* MAIL at 512 + 36 = 548 octets with SIZE= and SMTPUTF8, then 549;
	 * 512 + 500 with AUTH=. */
	a += (size_t)sprintf(cli + a, "MAIL FROM:<%0516d@x> SIZE=1 SMTPUTF8\r\n", 0);
	a += (size_t)sprintf(cli + a, "RSET\r\nMAIL FROM:<%0517d@x> SIZE=1 SMTPUTF8\r\n", 0);
	a += (size_t)sprintf(cli + a, "RSET\r\nMAIL FROM:<%0988d@x> AUTH=<>\r\n", 0);
	a += (size_t)sprintf(cli + a, "RCPT TO:<b@y>\r\nDATA\r\n");
	/* Text lines of 1000 and 1001 octets, and 1001 with a leading dot. */
	a += (size_t)sprintf(cli + a, "%0998d\r\n%0999d\r\n.%0998d\r\n.\r\n", 0, 1, 2);
	b += (size_t)sprintf(srv + b, "220 %0506d\r\n", 0);
	tc.steps[0] = (struct step){ S, srv, b };
	tc.steps[1] = (struct step)CLI("EHLO c\r\n");
	b += (size_t)sprintf(srv + b, "250 %0507d\r\n", 1);
	tc.steps[2] = (struct step){ S, srv + tc.steps[0].len, b - tc.steps[0].len };
	tc.steps[3] = (struct step){ C, cli, a };
	memset(&stats, 0, sizeof(stats));
	run(&tc, -1, NULL, 0);
	CHECK_EQ_U(lg.errors, 0);
	CHECK_EQ_U(anomalies_named("reply_line_too_long"), 1);
	CHECK_EQ_U(anomalies_named("command_line_too_long"), 2);
	CHECK_EQ_U(anomalies_named("data_line_too_long"), 1);
	CHECK_EQ_U(stats.lines_too_long, 0);
	/* The second NOOP and the second MAIL are the long ones. */
	p = strstr(lg.text, "ANOMALY command_line_too_long\nCMD@0 NOOP [NOOP 0");
	CHECK(p != NULL && strstr(p, "]\n") != NULL && strstr(p, "]\n")[-1] == '7');
	CHECK(strstr(lg.text, "ANOMALY command_line_too_long\nCMD@1 MAIL") != NULL);
	CHECK(strstr(lg.text, "ANOMALY reply_line_too_long\nREPLY@0 250 EHLO") != NULL);
	/* After the 1001st octet of the second text line: its LF. */
	CHECK(strstr(lg.text, "1\\r\\n]\nANOMALY data_line_too_long\nDATA [000") != NULL);
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

/* A big message in BDAT chunks of varied sizes, full of "\r\n.\r\n" and
 * lines a chunk ends in the middle of: every octet arrives unchanged,
 * whatever the segmentation. */
static void test_big_bdat(void)
{
	static char body[60000], cli[70000], srv[4096];
	static char whole[LOG_MAX];
	struct tcase tc = { .name = "big bdat" };
	size_t n = 0, a = 0, b = 0, at = 0;
	unsigned chunks = 0;

	for (int i = 0; n + 100 < sizeof(body); i++)
		n += (size_t)sprintf(body + n, "%s%d line\r\n", i % 5 ? "" : ".\r\n.", i);
	a = (size_t)sprintf(cli, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n");
	b = (size_t)sprintf(srv, "250 ok\r\n250 ok\r\n");
	while (at < n) {
		size_t k = 1000 + (chunks * 737) % 3001;

		if (k > n - at)
			k = n - at;
		a += (size_t)sprintf(cli + a, "BDAT %zu%s\r\n", k, at + k == n ? " LAST" : "");
		memcpy(cli + a, body + at, k);
		a += k;
		at += k;
		chunks++;
		b += (size_t)sprintf(srv + b, "250 %u\r\n", chunks);
	}
	cli[a] = '\0';
	tc.steps[0] = (struct step){ S, GREET, 0 };
	tc.steps[1] = (struct step){ C, cli, a };
	tc.steps[2] = (struct step){ S, srv, b };
	strcpy(whole, run(&tc, -1, NULL, 0));
	CHECK_EQ_U(lg.errors, 0);
	{
		char want[96];

		snprintf(want, sizeof(want), " bytes=%zu bdat=%u\n", n, chunks);
		CHECK(strstr(whole, want) != NULL);
		CHECK(strstr(whole, "TX_END 0 COMPLETE") != NULL);
	}
	/* The logged content is the body, octet for octet (log_bytes escapes
	 * CR/LF the same way for both). */
	{
		static struct log ref;
		static char got[LOG_MAX];
		size_t g = 0;

		memset(&ref, 0, sizeof(ref));
		log_bytes(&ref, body, n);
		got[g++] = '[';
		for (const char *d = whole; (d = strstr(d, "\nDATA [")) != NULL; ) {
			const char *e = strstr(d, "]\n");

			d += 7;
			memcpy(got + g, d, (size_t)(e - d));
			g += (size_t)(e - d);
		}
		got[g++] = ']';
		got[g] = '\0';
		CHECK_STR(got, ref.text);
	}
	for (size_t cut = 1; cut < a; cut += 1009) {
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

/*
 * Frames: the client's line frames, its DATA bytes as sent (DATA_RAW) and
 * its BDAT chunks (DATA events of verb BDAT) are, in order, exactly the
 * bytes it sent; the server's line frames exactly the server's bytes —
 * fed whole and cut at every offset. Every line frame ends with its LF;
 * the AUTH lines (a password among them) come marked verb AUTH, and no
 * other frame carries the password.
 */
struct frames {
	char cli[2048], srv[2048];
	size_t ncli, nsrv;
	unsigned lines, auth_lines, errors;
};

static void frames_add(char *buf, size_t *n, const uint8_t *p, size_t len,
		       unsigned *errors)
{
	if (*n + len > 2048) {
		(*errors)++;
		return;
	}
	memcpy(buf + *n, p, len);
	*n += len;
}

static void on_frame(void *user, struct smtp_session *s, const struct smtp_event *ev)
{
	struct frames *fr = user;
	bool pw = ev->len && memmem(ev->data, ev->len, PW_MARK, strlen(PW_MARK));

	(void)s;
	switch (ev->kind) {
	case SMTP_EV_CLIENT_LINE:
	case SMTP_EV_SERVER_LINE:
		fr->lines++;
		if (!ev->len || ev->data[ev->len - 1] != '\n' || ev->truncated ||
		    ev->wire_len != ev->len)
			fr->errors++;
		if (ev->verb == SMTP_VERB_AUTH)
			fr->auth_lines++;
		else if (pw)
			fr->errors++;
		if (ev->kind == SMTP_EV_CLIENT_LINE)
			frames_add(fr->cli, &fr->ncli, ev->data, ev->len, &fr->errors);
		else
			frames_add(fr->srv, &fr->nsrv, ev->data, ev->len, &fr->errors);
		break;
	case SMTP_EV_DATA_RAW:
		frames_add(fr->cli, &fr->ncli, ev->data, ev->len, &fr->errors);
		break;
	case SMTP_EV_DATA:
		if (ev->verb == SMTP_VERB_BDAT)
			frames_add(fr->cli, &fr->ncli, ev->data, ev->len, &fr->errors);
		break;
	default:
		if (pw)
			fr->errors++;
		break;
	}
}

static void test_frames(void)
{
	static const char cli[] =
		"EHLO me\r\nAUTH LOGIN\r\ndXNlcg==\r\n" PW_MARK "\r\n"
		"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"
		"Subject: x\r\n\r\n..stuffed\r\nli\nne\r\n.\r\n"
		"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 5 LAST\r\nab\r\ncQUIT\r\n";
	static const char srv[] =
		"220 hi\r\n250-me\r\n250 CHUNKING\r\n334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"
		"235 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n250 ok\r\n250 ok\r\n"
		"250 ok\r\n221 bye\r\n";
	size_t ncli = strlen(cli);

	/* the client's bytes cut at every offset (ncli: whole), after the
	 * server's */
	for (size_t cut = 0; cut <= ncli; cut++) {
		struct frames fr = { 0 };
		struct smtp_config cfg = {
			.pool = &pool, .max_line = 512, .max_rcpt = 10, .max_tx_blocks = 8,
			.on_event = on_frame, .user = &fr,
		};
		struct smtp_session s;

		smtp_session_init(&s, &cfg, &stats);
		smtp_session_feed(&s, SMTP_DIR_TO_CLIENT, (const uint8_t *)srv, strlen(srv));
		smtp_session_feed(&s, SMTP_DIR_TO_SERVER, (const uint8_t *)cli, cut);
		smtp_session_feed(&s, SMTP_DIR_TO_SERVER, (const uint8_t *)cli + cut, ncli - cut);
		smtp_session_finish(&s);
		CHECK_EQ_U(fr.errors, 0);
		CHECK_EQ_U(fr.ncli, ncli);
		CHECK(fr.ncli == ncli && memcmp(fr.cli, cli, ncli) == 0);
		CHECK(fr.nsrv == strlen(srv) && memcmp(fr.srv, srv, fr.nsrv) == 0);
		/* AUTH LOGIN and its two responses */
		CHECK_EQ_U(fr.auth_lines, 3);
		CHECK_EQ_U(fr.lines, 11 + 14);
		if (fr.errors || fr.ncli != ncli)
			break;
	}
	CHECK_EQ_U(pool.in_use, 0);
}

int main(void)
{
	size_t ncases = sizeof(cases) / sizeof(cases[0]);

	if (mt_blockpool_init(&pool, 1024, 64) != 0)
		return 1;
	for (size_t i = 0; i < ncases; i++)
		check_case(&cases[i]);
	test_stats();
	test_ext_stats();
	test_smuggling_stats();
	test_anomaly_counts();
	test_default_limits();
	test_pending_overflow();
	test_big_message();
	test_big_bdat();
	test_helo_replaced();
	test_string_cut();
	test_frames();
	test_pool_exhaustion();
	CHECK(strcmp(smtp_verb_name(SMTP_VERB_DATA_END), "DATA_END") == 0);
	CHECK(strcmp(smtp_verb_name(SMTP_VERB_XFORWARD), "XFORWARD") == 0);
	CHECK(strcmp(smtp_tx_state_name(SMTP_TX_INCOMPLETE), "INCOMPLETE") == 0);
	CHECK(strcmp(smtp_verb_name(SMTP_VERB_BDAT_LAST), "BDAT_LAST") == 0);
	CHECK(strcmp(smtp_auth_state_name(SMTP_AUTH_CANCELLED), "CANCELLED") == 0);
	mt_blockpool_destroy(&pool);
	return check_summary("test_smtp");
}
