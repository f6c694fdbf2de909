/*
 * smtp_cmd.c — client commands: the verb table, command-line parsing and
 * what each verb does to the session and its transaction, on the command
 * and on the reply to it. A new verb is one table row plus its handlers.
 *
 * Order of events for one command line: anomalies about the line itself
 * (line_too_long before, bare_cr), then — when the command starts a new
 * transaction (MAIL in a tx that already has content) — the old tx's
 * TX_END, then COMMAND (ev->tx = the tx the command belongs to), then the
 * verb's own events (HELO, MAIL_FROM, RCPT_TO, DATA_BEGIN), then — when
 * the command ends the tx (RSET, HELO/EHLO, QUIT) — TX_END.
 */
#include "smtp_int.h"

#include <string.h>

static bool is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static uint8_t ascii_upper(uint8_t c)
{
	return c >= 'a' && c <= 'z' ? (uint8_t)(c - 'a' + 'A') : c;
}

static bool prefix_nocase(const uint8_t *p, size_t n, const char *kw, size_t kwlen)
{
	if (n < kwlen)
		return false;
	for (size_t i = 0; i < kwlen; i++)
		if (ascii_upper(p[i]) != (uint8_t)kw[i])
			return false;
	return true;
}

/* ---- command handlers --------------------------------------------------- */

/* RSET, and HELO/EHLO in a transaction (RFC 5321 section 4.1.4: a later
 * EHLO resets the state exactly as RSET does). */
static void end_if_content(struct smtp_session *s)
{
	if (s->tx.state == SMTP_TX_OPEN && smtp_tx_has_content(&s->tx))
		smtp_tx_end(s, &s->tx, smtp_tx_verdict(&s->tx, SMTP_TX_ABORTED));
}

static void cmd_helo(struct smtp_session *s, const struct smtp_cmd *c)
{
	end_if_content(s);
	s->ehlo = c->verb == SMTP_VERB_EHLO;
	/* The session arena holds only the helo: a new one replaces it. */
	mt_arena_reset(&s->arena);
	smtp_strdup(s, &s->arena, &s->helo, c->arg, c->arg_len);
	smtp_emit(s, SMTP_EV_HELO, c->verb, 0, c->arg, c->arg_len,
		  smtp_current_tx(s));
}

/*
 * The path after "FROM:" / "TO:" (RFC 5321 sections 4.1.1.2, 4.1.1.3),
 * as sent: "<a@b>" up to and including the '>', else up to the first
 * blank. The RFC allows no space after the colon, but many clients send
 * one and servers accept it, so blanks there are skipped. Returns false
 * (and the whole argument) when the keyword is missing.
 */
static bool path_arg(const uint8_t *a, size_t n, const char *kw,
		     const uint8_t **out, size_t *outlen)
{
	size_t kwlen = strlen(kw), i;

	if (!prefix_nocase(a, n, kw, kwlen)) {
		*out = a;
		*outlen = n;
		return false;
	}
	for (i = kwlen; i < n && is_blank(a[i]); i++)
		;
	a += i;
	n -= i;
	*out = a;
	if (n && a[0] == '<') {
		const uint8_t *gt = memchr(a, '>', n);

		if (gt) {
			*outlen = (size_t)(gt - a) + 1;
			return true;
		}
	}
	for (i = 0; i < n && !is_blank(a[i]); i++)
		;
	*outlen = i;
	return true;
}

static void cmd_mail(struct smtp_session *s, const struct smtp_cmd *c)
{
	struct smtp_tx *tx = &s->tx;
	const uint8_t *path;
	size_t plen;

	if (!path_arg(c->arg, c->arg_len, "FROM:", &path, &plen))
		smtp_anomaly(s, "invalid_mail_from");
	tx->mail_seen = true;
	smtp_strdup(s, &tx->arena, &tx->mail_from, path, plen);
	smtp_emit(s, SMTP_EV_MAIL_FROM, c->verb, 0, path, plen, tx);
}

/*
 * rcpt[] is one arena object, grown by doubling, so it holds at most what
 * one block does: the cap is min(max_rcpt, that). Once a recipient is
 * dropped every later one is too, so rcpt[i] stays the i-th RCPT and the
 * replies (which come in order) land on the right one.
 */
static void rcpt_add(struct smtp_session *s, struct smtp_tx *tx,
		     const uint8_t *p, size_t n)
{
	size_t fit = smtp_arena_room(s) / sizeof(struct smtp_rcpt);
	size_t cap_max = s->cfg->max_rcpt < fit ? s->cfg->max_rcpt : fit;
	struct smtp_rcpt *r;

	if (tx->rcpt_dropped) {
		tx->rcpt_dropped++;
		return;
	}
	if (tx->rcpt_count >= cap_max) {
		smtp_anomaly(s, "too_many_rcpt");
		tx->rcpt_dropped++;
		return;
	}
	if (tx->rcpt_count == tx->rcpt_cap) {
		size_t ncap = tx->rcpt_cap ? (size_t)tx->rcpt_cap * 2 : 4;

		if (ncap > cap_max)
			ncap = cap_max;
		r = mt_arena_alloc(&tx->arena, ncap * sizeof(*r));
		if (!r) {
			smtp_no_memory(s);
			tx->rcpt_dropped++;
			return;
		}
		if (tx->rcpt_count)
			memcpy(r, tx->rcpt, tx->rcpt_count * sizeof(*r));
		tx->rcpt = r;
		tx->rcpt_cap = (uint32_t)ncap;
	}
	r = &tx->rcpt[tx->rcpt_count++];
	r->reply_code = 0;
	smtp_strdup(s, &tx->arena, &r->addr, p, n);
}

static void cmd_rcpt(struct smtp_session *s, const struct smtp_cmd *c)
{
	const uint8_t *path;
	size_t plen;

	if (!path_arg(c->arg, c->arg_len, "TO:", &path, &plen))
		smtp_anomaly(s, "invalid_rcpt_to");
	rcpt_add(s, &s->tx, path, plen);
	smtp_emit(s, SMTP_EV_RCPT_TO, c->verb, 0, path, plen, &s->tx);
}

/* Data mode starts on the command: a passive sensor may see the 354 late
 * or never. The message start counts as a line start (RFC 5321 section
 * 4.5.2: a first line ".x" is unstuffed too). */
static void cmd_data(struct smtp_session *s, const struct smtp_cmd *c)
{
	s->tx.data_seen = true;
	s->cli_state = SMTP_CLI_DATA;
	s->dot_state = SMTP_DOT_BOL;
	smtp_emit(s, SMTP_EV_DATA_BEGIN, c->verb, 0, NULL, 0, &s->tx);
}

static void cmd_rset(struct smtp_session *s, const struct smtp_cmd *c)
{
	end_if_content(s);
}

/* QUIT ends the tx even when empty, so a session that never sent MAIL is
 * logged as ABORTED rather than INCOMPLETE. */
static void cmd_quit(struct smtp_session *s, const struct smtp_cmd *c)
{
	if (s->tx.state == SMTP_TX_OPEN)
		smtp_tx_end(s, &s->tx, smtp_tx_verdict(&s->tx, SMTP_TX_ABORTED));
}

/* ---- reply handlers ----------------------------------------------------- */

static void reply_mail(struct smtp_session *s, struct smtp_tx *tx,
		       uint16_t code, const uint8_t *line, size_t len)
{
	if (tx)
		tx->mail_reply_code = code;
}

static void reply_rcpt(struct smtp_session *s, struct smtp_tx *tx,
		       uint16_t code, const uint8_t *line, size_t len)
{
	uint32_t i;

	if (!tx)
		return;
	i = tx->rcpt_replies++;
	if (tx->rcpt && i < tx->rcpt_count)
		tx->rcpt[i].reply_code = code;
}

/*
 * 354: data mode confirmed. 4xx/5xx: the server reads commands again
 * (RFC 5321 section 4.1.1.4). If no byte of content was seen yet the
 * client will send commands next: leave data mode and end the tx. If
 * content already came (a client that did not wait), stay in data mode
 * with the client; the tx ends REJECTED at its reply to ".".
 */
static void reply_data(struct smtp_session *s, struct smtp_tx *tx,
		       uint16_t code, const uint8_t *line, size_t len)
{
	if (!tx)
		return;
	tx->data_reply_code = code;
	if (code < 400 || tx != &s->tx || tx->data_done)
		return;
	if (s->dot_state != SMTP_DOT_BOL || tx->data_bytes)
		return;
	if (s->cli_state == SMTP_CLI_DATA)
		s->cli_state = SMTP_CLI_CMD;
	smtp_tx_end(s, tx, SMTP_TX_REJECTED);
}

/* The reply to "." is the message's verdict (RFC 5321 section 4.1.1.4);
 * its text usually carries the queue id. */
static void reply_data_end(struct smtp_session *s, struct smtp_tx *tx,
			   uint16_t code, const uint8_t *line, size_t len)
{
	bool ok;

	if (!tx)
		return;
	tx->end_reply_code = code;
	if (len > 4)
		smtp_strdup(s, &tx->arena, &tx->end_reply, line + 4, len - 4);
	else
		smtp_strdup(s, &tx->arena, &tx->end_reply, (const uint8_t *)"", 0);
	ok = code >= 200 && code < 300 && tx->data_reply_code < 400;
	smtp_tx_end(s, tx, ok ? SMTP_TX_COMPLETE : SMTP_TX_REJECTED);
}

/* RFC 3207 section 4: 220 = go ahead with TLS; anything else and the
 * session goes on in clear. */
static void reply_starttls(struct smtp_session *s, struct smtp_tx *tx,
			   uint16_t code, const uint8_t *line, size_t len)
{
	if (code != 220)
		return;
	s->tls = true;
	smtp_emit(s, SMTP_EV_TLS, SMTP_VERB_STARTTLS, code, NULL, 0,
		  smtp_current_tx(s));
}

/* ---- the table ---------------------------------------------------------- */

#define V(name, flags, cmd, reply) { name, sizeof(name) - 1, flags, cmd, reply }

/* Verbs of RFC 5321 section 4.1 and the common extensions (RFC 1985 ETRN,
 * RFC 2645 ATRN, RFC 3030 BDAT, RFC 3207 STARTTLS, RFC 4954 AUTH, Postfix
 * XCLIENT/XFORWARD). BDAT and AUTH are only recognised for now. */
const struct smtp_verb_def smtp_verbs[SMTP_VERB_COUNT] = {
	[SMTP_VERB_NONE]     = { "NONE", 0, 0, NULL, NULL },
	[SMTP_VERB_UNKNOWN]  = { "UNKNOWN", 0, 0, NULL, NULL },
	[SMTP_VERB_HELO]     = V("HELO", 0, cmd_helo, NULL),
	[SMTP_VERB_EHLO]     = V("EHLO", 0, cmd_helo, NULL),
	[SMTP_VERB_MAIL]     = V("MAIL", SMTP_VF_NEW_TX, cmd_mail, reply_mail),
	[SMTP_VERB_RCPT]     = V("RCPT", 0, cmd_rcpt, reply_rcpt),
	[SMTP_VERB_DATA]     = V("DATA", 0, cmd_data, reply_data),
	[SMTP_VERB_BDAT]     = V("BDAT", 0, NULL, NULL),
	[SMTP_VERB_RSET]     = V("RSET", 0, cmd_rset, NULL),
	[SMTP_VERB_NOOP]     = V("NOOP", 0, NULL, NULL),
	[SMTP_VERB_QUIT]     = V("QUIT", 0, cmd_quit, NULL),
	[SMTP_VERB_VRFY]     = V("VRFY", 0, NULL, NULL),
	[SMTP_VERB_EXPN]     = V("EXPN", 0, NULL, NULL),
	[SMTP_VERB_HELP]     = V("HELP", 0, NULL, NULL),
	[SMTP_VERB_STARTTLS] = V("STARTTLS", 0, NULL, reply_starttls),
	[SMTP_VERB_AUTH]     = V("AUTH", 0, NULL, NULL),
	[SMTP_VERB_ETRN]     = V("ETRN", 0, NULL, NULL),
	[SMTP_VERB_TURN]     = V("TURN", 0, NULL, NULL),
	[SMTP_VERB_ATRN]     = V("ATRN", 0, NULL, NULL),
	[SMTP_VERB_XCLIENT]  = V("XCLIENT", 0, NULL, NULL),
	[SMTP_VERB_XFORWARD] = V("XFORWARD", 0, NULL, NULL),
	[SMTP_VERB_DATA_END] = { "DATA_END", 0, 0, NULL, reply_data_end },
};

const char *smtp_verb_name(enum smtp_verb v)
{
	return (unsigned)v < SMTP_VERB_COUNT ? smtp_verbs[v].name : "?";
}

/* Verbs are case-insensitive (RFC 5321 section 2.4). Only rows with a
 * name_len can match: NONE, UNKNOWN and DATA_END never come from the wire. */
static enum smtp_verb verb_lookup(const uint8_t *p, size_t n)
{
	uint8_t up[8];

	if (n == 0 || n > sizeof(up))
		return SMTP_VERB_UNKNOWN;
	for (size_t i = 0; i < n; i++)
		up[i] = ascii_upper(p[i]);
	for (unsigned v = SMTP_VERB_HELO; v < SMTP_VERB_COUNT; v++)
		if (smtp_verbs[v].name_len == n &&
		    memcmp(smtp_verbs[v].name, up, n) == 0)
			return (enum smtp_verb)v;
	return SMTP_VERB_UNKNOWN;
}

/* ---- command lines ------------------------------------------------------ */

void smtp_cmd_line(struct smtp_session *s, const uint8_t *p, size_t len,
		   bool truncated)
{
	const struct smtp_verb_def *def;
	struct smtp_cmd c;
	size_t v = 0, a, e;

	if (!truncated && len && p[len - 1] == '\r')
		len--;
	/* RFC 5321 section 2.3.8: CR only as part of CRLF. */
	if (len && memchr(p, '\r', len))
		smtp_anomaly(s, "bare_cr");
	while (v < len && !is_blank(p[v]))
		v++;
	for (a = v; a < len && is_blank(p[a]); a++)
		;
	for (e = len; e > a && is_blank(p[e - 1]); e--)
		;
	c.verb = verb_lookup(p, v);
	c.line = p;
	c.len = len;
	c.arg = p + a;
	c.arg_len = e - a;
	def = &smtp_verbs[c.verb];

	smtp_tx_for_command(s);
	if ((def->flags & SMTP_VF_NEW_TX) && smtp_tx_has_content(&s->tx)) {
		/* A second MAIL in a transaction whose MAIL was not refused:
		 * servers answer 503, but the sensor cannot know, and a
		 * refused one may legitimately be retried. */
		if (s->tx.mail_seen && s->tx.mail_reply_code < 400)
			smtp_anomaly(s, "nested_mail");
		smtp_tx_restart(s, smtp_tx_verdict(&s->tx, SMTP_TX_ABORTED));
	}
	s->stats->commands++;
	if (s->pend_count)
		s->stats->pipelined++;
	smtp_emit(s, SMTP_EV_COMMAND, c.verb, 0, p, len, &s->tx);
	smtp_pending_push(s, c.verb);
	if (def->on_command)
		def->on_command(s, &c);
}

void smtp_cmd_lost(struct smtp_session *s)
{
	/* The server answers the line we could not keep: hold its place. */
	smtp_pending_push(s, SMTP_VERB_UNKNOWN);
}
