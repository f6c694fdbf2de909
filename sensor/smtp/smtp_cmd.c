/*
 * smtp_cmd.c — client commands: the verb table, command-line parsing and
 * what each verb does to the session and its transaction, on the command
 * and on the reply to it. A new verb is one table row plus its handlers.
 *
 * When effects happen. RFC 5321 section 4.1.4: a HELO/EHLO resets the
 * session "if the EHLO command is acceptable to the SMTP server", and a
 * MAIL inside a transaction gets 503 and changes nothing (section
 * 4.1.1.2: MAIL starts a transaction only when none is in progress). So
 * once the server side has been seen (any server byte or gap, and its
 * direction has not ended: smtp_replies_expected()), those commands are
 * "deferred": their effect waits in s->defer for their reply; 2xx applies
 * it, 4xx/5xx drop it (1xx/3xx: out of step, see smtp_defer_reply()).
 * Without the server side (a client-only capture, or a client that talks
 * before the greeting) they take effect when sent, as everything else
 * does. One command can be deferred at a time (one held argument per
 * session): when a second one comes before the first one's reply, the
 * first takes effect then, as if accepted; so does one whose reply never
 * comes (server direction ended, session finished).
 *
 * Events for one command line, in order:
 *  1. anomalies about the line itself: line_too_long, bare_lf (smtp.c),
 *     command_line_too_long, bare_cr, invalid_command / unknown_command;
 *  2. if it is a HELO/EHLO or nested MAIL that will be deferred while an
 *     older one still is: the older one's effect (see below);
 *  3. a new tx: the previous tx ends when the client moves on (TX_END of a
 *     tx whose replies have all come, or of one pushed out of tx_done as
 *     it stands); for MAIL in a tx with content: "nested_mail" when that
 *     tx's MAIL was not refused, then, unless the MAIL is deferred, the
 *     old tx closes;
 *  4. COMMAND (ev->tx = the tx the command belongs to; for a deferred
 *     nested MAIL the old tx);
 *  5. the verb's own events: mail_without_helo, invalid_mail_from, HELO
 *     (not deferred), MAIL_FROM (not deferred), RCPT_TO, invalid_bdat /
 *     bdat_after_data / data_after_bdat, data_without_rcpt (no server
 *     side: see below), bdat_size_exceeded, DATA_BEGIN (DATA; the first
 *     valid BDAT of a tx), DATA_END ("BDAT 0 LAST"), AUTH (an earlier
 *     exchange whose outcome was never seen; this one when the client's
 *     part is over and no server side is seen);
 *  6. when the command ends the tx (RSET, QUIT, a HELO/EHLO not deferred):
 *     TX_END, unless replies owed to it are queued.
 *
 * A deferred command's effect, after the REPLY event of its 2xx (or when
 * forced): HELO/EHLO: the tx that had content when it was sent closes
 * (ABORTED) if it is still the current one and has not sent DATA, then
 * HELO (ev->tx = the current tx or NULL). Nested MAIL: if the old tx is
 * still current and has not sent DATA, it closes (ABORTED; REJECTED if its
 * own MAIL was refused meanwhile) and a new tx begins with that mail_from
 * and mail_reply_code = the reply's code: MAIL_FROM (ev->tx = the new tx).
 * Commands pipelined behind a deferred one are taken as if it will be
 * refused (a RCPT goes to the old tx), RFC 2920 section 3.1 putting EHLO
 * last in a group.
 *
 * "Closes": TX_END at once when no reply owed to the tx (MAIL, RCPT, DATA,
 * ".") is queued, or the server side is not seen; otherwise after the
 * REPLY of the last one (smtp.c, smtp_tx_settle()).
 *
 * Anomalies about the dialogue (report only; nothing above changes):
 *  - invalid_command / unknown_command (section 4.1.1: "the commands
 *    themselves are alphabetic characters"): a line whose verb is not a
 *    letter followed by letters, digits or '-' is not a command at all
 *    (an empty line, binary, "GET /x", "Host:"); a verb of that form
 *    that is not in the table is unknown (extension verbs seen in the
 *    wild, XEXCH50 and X-LINK2STATE among them, have digits and '-').
 *  - command_line_too_long: over max_command_len with the CRLF (section
 *    4.5.3.1.4); a MAIL line gets the room its SIZE= (+26, RFC 1870
 *    section 3), SMTPUTF8 (+10, RFC 6531 section 3.1) and AUTH= (+500,
 *    RFC 4954 section 3) parameters add.
 *  - mail_without_helo: MAIL with no HELO/EHLO sent before it in the
 *    session (section 4.1.4: a client must start with one), once per
 *    session. Raised only when the session's start was seen: no client
 *    byte lost before it and, when the server side is seen, its 220
 *    greeting seen (a capture that starts mid-session does not show the
 *    EHLO). A one-sided capture cannot tell: it is raised there.
 *  - data_without_rcpt: DATA, or the first valid BDAT, of a tx in which
 *    no recipient was accepted, once per tx. With replies to tell, the
 *    first reply to DATA/BDAT decides: by then the replies to every RCPT
 *    sent before it have come (RFC 2920 section 3.1, in order) and none
 *    was 2xx (this includes a pipelining client whose recipients were
 *    all refused). Without (no server side, or the command could not be
 *    queued): when the tx has no RCPT at all. A tx with a gap is not
 *    judged (the RCPT may be what was lost).
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

/* ---- deferred effects --------------------------------------------------- */

/* End the tx with content a command resets: RSET (RFC 5321 section
 * 4.1.1.5), and an accepted HELO/EHLO (section 4.1.4: it resets the state
 * exactly as RSET does). */
static void end_if_content(struct smtp_session *s)
{
	if (s->tx.state == SMTP_TX_OPEN && smtp_tx_has_content(&s->tx))
		smtp_tx_close(s, SMTP_TX_ABORTED);
}

static bool is_helo(enum smtp_verb v)
{
	return v == SMTP_VERB_HELO || v == SMTP_VERB_EHLO;
}

/* A MAIL now would be inside a transaction (section 4.1.1.2): the tx it
 * would join has a MAIL that was not refused (accepted, or its reply not
 * seen yet). A tx that sent its data or was closed is not joined. */
static bool mail_nested(const struct smtp_session *s)
{
	/* RFC 3030 section 2: a BDAT refused with 4xx/5xx fails the
	 * transaction; a MAIL after it is a new one. */
	return s->tx.state == SMTP_TX_OPEN && !s->tx.data_done &&
	       s->tx.mail_seen && s->tx.mail_reply_code < 400 &&
	       !(s->tx.bdat && s->tx.data_reply_code >= 400);
}

/* ---- MAIL parameters (RFC 5321 section 4.1.1.2 esmtp-param) ------------ */

/* Parameter strings kept at most this long. */
#define MAIL_PARAM_MAX 255

static bool word_eq(const uint8_t *p, size_t n, const char *w)
{
	return strlen(w) == n && prefix_nocase(p, n, w, n);
}

static void mail_param(struct smtp_session *s, struct smtp_tx *tx,
		       const uint8_t *k, size_t kn, const uint8_t *v, size_t vn,
		       bool has_v)
{
	if (word_eq(k, kn, "SIZE") && has_v) {
		/* RFC 1870 section 6: size-value = 1*20DIGIT. */
		uint64_t n = 0;
		size_t i;

		for (i = 0; i < vn && i < 19 && v[i] >= '0' && v[i] <= '9'; i++)
			n = n * 10 + (uint64_t)(v[i] - '0');
		if (i && i == vn) {
			tx->mail_size = n;
			tx->mail_size_set = true;
		} else {
			smtp_anomaly(s, "invalid_mail_param");
		}
	} else if (word_eq(k, kn, "BODY") && has_v) {
		tx->mail_body = word_eq(v, vn, "7BIT") ? SMTP_BODY_7BIT
			      : word_eq(v, vn, "8BITMIME") ? SMTP_BODY_8BITMIME
			      : word_eq(v, vn, "BINARYMIME") ? SMTP_BODY_BINARYMIME
			      : SMTP_BODY_OTHER;
	} else if (word_eq(k, kn, "SMTPUTF8")) {
		tx->mail_smtputf8 = true;
	} else if (word_eq(k, kn, "RET") && has_v) {
		tx->mail_ret = word_eq(v, vn, "FULL") ? SMTP_RET_FULL
			     : word_eq(v, vn, "HDRS") ? SMTP_RET_HDRS
			     : SMTP_RET_OTHER;
	} else if (word_eq(k, kn, "AUTH") && has_v && !tx->mail_auth.ptr) {
		smtp_strdup(s, &tx->arena, &tx->mail_auth, v,
			    vn < MAIL_PARAM_MAX ? vn : MAIL_PARAM_MAX);
	} else if (word_eq(k, kn, "ENVID") && has_v && !tx->mail_envid.ptr) {
		smtp_strdup(s, &tx->arena, &tx->mail_envid, v,
			    vn < MAIL_PARAM_MAX ? vn : MAIL_PARAM_MAX);
	}
	/* Others (PRDR, MT-PRIORITY, ...) and RCPT's NOTIFY/ORCPT: not kept. */
}

/* One "KEY[=VALUE]" of p[0..n) from *i on (blanks before it skipped);
 * false when none is left. */
struct mail_kv {
	const uint8_t *k, *v;
	size_t kn, vn;
	bool has_v;
};

static bool mail_param_next(const uint8_t *p, size_t n, size_t *i, struct mail_kv *kv)
{
	size_t b, eq;

	while (*i < n && is_blank(p[*i]))
		(*i)++;
	for (b = *i; *i < n && !is_blank(p[*i]); (*i)++)
		;
	if (*i == b)
		return false;
	for (eq = b; eq < *i && p[eq] != '='; eq++)
		;
	kv->k = p + b;
	kv->kn = eq - b;
	kv->has_v = eq < *i;
	kv->v = p + eq + kv->has_v;
	kv->vn = kv->has_v ? *i - eq - 1 : 0;
	return true;
}

/* p[0..n): what follows the reverse-path, "KEY[=VALUE]" separated by
 * blanks. The first of a repeated AUTH/ENVID counts; SIZE/BODY/RET the
 * last. */
static void mail_params(struct smtp_session *s, struct smtp_tx *tx,
			const uint8_t *p, size_t n)
{
	struct mail_kv kv;
	size_t i = 0;

	while (mail_param_next(p, n, &i, &kv))
		mail_param(s, tx, kv.k, kv.kn, kv.v, kv.vn, kv.has_v);
}

/* Length of the path at a[0..n): "<...>" up to and including '>', else
 * up to the first blank. */
static size_t path_len(const uint8_t *a, size_t n)
{
	size_t i;

	if (n && a[0] == '<') {
		const uint8_t *gt = memchr(a, '>', n);

		if (gt)
			return (size_t)(gt - a) + 1;
	}
	for (i = 0; i < n && !is_blank(a[i]); i++)
		;
	return i;
}

/* Hold a command's argument and effect until its reply. Its FIFO entry is
 * the one just queued (the tail). */
static void defer_set(struct smtp_session *s, enum smtp_verb verb,
		      const uint8_t *arg, size_t len)
{
	s->defer.verb = (uint8_t)verb;
	s->defer.pos = (uint8_t)(s->pend_count - 1);
	s->defer.tx_id = s->tx.id;
	s->defer.ends_tx = smtp_tx_has_content(&s->tx);
	smtp_strdup(s, &s->defer.arena, &s->defer.arg, arg, len);
}

/*
 * Apply (accepted) or drop the deferred command. by_reply: its reply was
 * just taken off the FIFO; otherwise its entry is still queued at
 * s->defer.pos and, for a MAIL that begins a tx, now belongs to that tx.
 */
static void defer_resolve(struct smtp_session *s, bool accepted,
			  uint16_t code, bool by_reply)
{
	enum smtp_verb verb = (enum smtp_verb)s->defer.verb;
	/* The tx it was sent in still runs and has not gone into DATA (a
	 * client that pipelined DATA behind it: the replies to DATA and "."
	 * decide that tx). */
	bool same_tx = s->tx.state == SMTP_TX_OPEN &&
		       s->tx.id == s->defer.tx_id && !s->tx.data_seen;
	struct smtp_str arg = s->defer.arg;

	if (verb == SMTP_VERB_NONE)
		return;
	s->defer.verb = SMTP_VERB_NONE;
	if (accepted && is_helo(verb)) {
		struct mt_arena t = s->arena;

		if (s->defer.ends_tx && same_tx)
			end_if_content(s);
		s->ehlo = verb == SMTP_VERB_EHLO;
		/* The held copy becomes the helo; the old one goes. */
		s->arena = s->defer.arena;
		s->defer.arena = t;
		s->helo = arg;
		smtp_emit(s, SMTP_EV_HELO, verb, 0, (const uint8_t *)arg.ptr,
			  arg.len, smtp_current_tx(s));
	} else if (accepted && same_tx) {
		unsigned pos = s->defer.pos;

		smtp_tx_restart(s, SMTP_TX_ABORTED);
		/* The held copy is the path and its parameters. */
		size_t plen = path_len((const uint8_t *)arg.ptr, arg.len);

		s->tx.mail_seen = true;
		s->tx.mail_reply_code = code;
		/* A copy lost to an empty pool (no_memory was raised then)
		 * leaves the sender unknown, as on the command. */
		if (arg.ptr) {
			smtp_strdup(s, &s->tx.arena, &s->tx.mail_from,
				    (const uint8_t *)arg.ptr, plen);
			mail_params(s, &s->tx, (const uint8_t *)arg.ptr + plen,
				    arg.len - plen);
		}
		if (!by_reply)
			smtp_pending_retag_at(s, pos, s->tx.id);
		smtp_emit(s, SMTP_EV_MAIL_FROM, SMTP_VERB_MAIL, 0,
			  (const uint8_t *)arg.ptr, plen, &s->tx);
	}
	/* A nested MAIL accepted after its tx ended (RSET, QUIT or DATA
	 * pipelined behind it) started a tx those commands ended or took
	 * over: nothing to do. */
	mt_arena_reset(&s->defer.arena);
	s->defer.arg = (struct smtp_str){ 0 };
}

/*
 * 2xx applies, 4xx/5xx drop. RFC 5321 section 4.3.2 gives HELO/EHLO and
 * MAIL no 1yz or 3yz reply: one of those means the replies are out of step
 * with the commands (a reply line lost or merged into another, e.g. an
 * unterminated greeting), so it decides nothing and the command is taken
 * as accepted, as when no reply comes at all.
 */
void smtp_defer_reply(struct smtp_session *s, uint16_t code)
{
	defer_resolve(s, code < 400, code, true);
}

void smtp_defer_force(struct smtp_session *s)
{
	defer_resolve(s, true, 0, false);
}

/* ---- command handlers --------------------------------------------------- */

static void cmd_helo(struct smtp_session *s, const struct smtp_cmd *c)
{
	s->helo_sent = true;
	if (c->deferred) {
		defer_set(s, c->verb, c->arg, c->arg_len);
		return;
	}
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
	*outlen = path_len(a, n);
	return true;
}

static void cmd_mail(struct smtp_session *s, const struct smtp_cmd *c)
{
	struct smtp_tx *tx = &s->tx;
	const uint8_t *path;
	size_t plen;

	bool ok = path_arg(c->arg, c->arg_len, "FROM:", &path, &plen);
	size_t rest = ok ? (size_t)(c->arg + c->arg_len - (path + plen)) : 0;

	if (!s->helo_sent && !s->mail_nohelo_done && !s->cli_gap_seen &&
	    (!s->srv_seen || s->greeted)) {
		s->mail_nohelo_done = true;
		smtp_anomaly(s, "mail_without_helo");
	}
	if (!ok)
		smtp_anomaly(s, "invalid_mail_from");
	if (c->deferred) {
		/* Path and parameters: they take effect together. */
		defer_set(s, c->verb, path, plen + rest);
		return;
	}
	tx->mail_seen = true;
	smtp_strdup(s, &tx->arena, &tx->mail_from, path, plen);
	mail_params(s, tx, path + plen, rest);
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
	smtp_data_begin(s);
	if (s->tx.bdat) {
		/* RFC 3030 section 3: not in a BDAT transaction (servers say
		 * 503). Content that follows anyway continues the message. */
		smtp_anomaly(s, "data_after_bdat");
		return;
	}
	smtp_rcpt_check_command(s, c);
	s->tx.data_seen = true;
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
	smtp_tx_close(s, SMTP_TX_ABORTED);
}

/* ---- data_without_rcpt -------------------------------------------------- */

static void data_without_rcpt(struct smtp_session *s)
{
	smtp_anomaly(s, "data_without_rcpt");
}

void smtp_rcpt_check_command(struct smtp_session *s, const struct smtp_cmd *c)
{
	struct smtp_tx *tx = &s->tx;

	if (tx->anom_done & SMTP_TXA_RCPT_CHECKED)
		return;
	/* Queued with replies to come: its reply decides. */
	if (c->queued && smtp_replies_expected(s))
		return;
	tx->anom_done |= SMTP_TXA_RCPT_CHECKED;
	if (!tx->rcpt_count && !tx->rcpt_dropped && !tx->gap)
		data_without_rcpt(s);
}

void smtp_rcpt_check_reply(struct smtp_session *s, struct smtp_tx *tx)
{
	if (tx->anom_done & SMTP_TXA_RCPT_CHECKED)
		return;
	tx->anom_done |= SMTP_TXA_RCPT_CHECKED;
	if (!tx->rcpt_accepted && !tx->gap)
		data_without_rcpt(s);
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
	if (code >= 200 && code < 300)
		tx->rcpt_accepted++;
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
	if (!tx->bdat)
		smtp_rcpt_check_reply(s, tx);
	if (tx->bdat) {
		/* DATA in a BDAT tx (data_after_bdat): servers refuse it with
		 * 503 and the transaction goes on, so the code is not the
		 * tx's; the client reads commands again unless content came
		 * already. */
		if (code >= 400 && tx == &s->tx && s->cli_state == SMTP_CLI_DATA &&
		    s->dot_state == SMTP_DOT_BOL)
			s->cli_state = SMTP_CLI_CMD;
		return;
	}
	tx->data_reply_code = code;
	if (code < 400 || tx != &s->tx || tx->state != SMTP_TX_OPEN ||
	    tx->data_done)
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

	/* Only a tx in data (OPEN, data_done) has "." queued. */
	if (!tx || tx->state != SMTP_TX_OPEN)
		return;
	/* The verdict on a LAST chunk whose octets are not all in. */
	if (tx == &s->tx && s->cli_state == SMTP_CLI_BDAT)
		smtp_bdat_cut(s);
	tx->end_reply_code = code;
	if (len > 4)
		smtp_strdup(s, &tx->arena, &tx->end_reply, line + 4, len - 4);
	else
		smtp_strdup(s, &tx->arena, &tx->end_reply, (const uint8_t *)"", 0);
	ok = code >= 200 && code < 300 && tx->data_reply_code < 400;
	smtp_tx_end(s, tx, ok ? SMTP_TX_COMPLETE : SMTP_TX_REJECTED);
}

/* A BDAT that is not the LAST: 4xx/5xx fails the tx (RFC 3030 section
 * 2); the first such code is kept. A refused BDAT line that carried no
 * chunk (invalid_bdat) counts only in a tx with content. */
static void reply_bdat(struct smtp_session *s, struct smtp_tx *tx,
		       uint16_t code, const uint8_t *line, size_t len)
{
	if (tx && tx->bdat)
		smtp_rcpt_check_reply(s, tx);
	if (!tx || !smtp_tx_has_content(tx))
		return;
	if (tx->data_reply_code < 400)
		tx->data_reply_code = code;
}

/* The LAST chunk's reply is the verdict; it may be the tx's first BDAT. */
static void reply_bdat_last(struct smtp_session *s, struct smtp_tx *tx,
			    uint16_t code, const uint8_t *line, size_t len)
{
	if (tx && tx->bdat)
		smtp_rcpt_check_reply(s, tx);
	reply_data_end(s, tx, code, line, len);
}

static void reply_auth(struct smtp_session *s, struct smtp_tx *tx,
		       uint16_t code, const uint8_t *line, size_t len)
{
	smtp_auth_reply(s, code);
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
 * XCLIENT/XFORWARD). */
const struct smtp_verb_def smtp_verbs[SMTP_VERB_COUNT] = {
	[SMTP_VERB_NONE]     = { "NONE", 0, 0, NULL, NULL },
	[SMTP_VERB_UNKNOWN]  = { "UNKNOWN", 0, 0, NULL, NULL },
	[SMTP_VERB_HELO]     = V("HELO", 0, cmd_helo, NULL),
	[SMTP_VERB_EHLO]     = V("EHLO", 0, cmd_helo, NULL),
	[SMTP_VERB_MAIL]     = V("MAIL", SMTP_VF_NEW_TX | SMTP_VF_TX_REPLY,
				 cmd_mail, reply_mail),
	[SMTP_VERB_RCPT]     = V("RCPT", SMTP_VF_TX_REPLY, cmd_rcpt, reply_rcpt),
	[SMTP_VERB_DATA]     = V("DATA", SMTP_VF_TX_REPLY, cmd_data, reply_data),
	[SMTP_VERB_BDAT]     = V("BDAT", SMTP_VF_TX_REPLY, smtp_bdat_command,
				 reply_bdat),
	[SMTP_VERB_RSET]     = V("RSET", 0, cmd_rset, NULL),
	[SMTP_VERB_NOOP]     = V("NOOP", 0, NULL, NULL),
	[SMTP_VERB_QUIT]     = V("QUIT", 0, cmd_quit, NULL),
	[SMTP_VERB_VRFY]     = V("VRFY", 0, NULL, NULL),
	[SMTP_VERB_EXPN]     = V("EXPN", 0, NULL, NULL),
	[SMTP_VERB_HELP]     = V("HELP", 0, NULL, NULL),
	[SMTP_VERB_STARTTLS] = V("STARTTLS", 0, NULL, reply_starttls),
	[SMTP_VERB_AUTH]     = V("AUTH", 0, smtp_auth_command, reply_auth),
	[SMTP_VERB_ETRN]     = V("ETRN", 0, NULL, NULL),
	[SMTP_VERB_TURN]     = V("TURN", 0, NULL, NULL),
	[SMTP_VERB_ATRN]     = V("ATRN", 0, NULL, NULL),
	[SMTP_VERB_XCLIENT]  = V("XCLIENT", 0, NULL, NULL),
	[SMTP_VERB_XFORWARD] = V("XFORWARD", 0, NULL, NULL),
	[SMTP_VERB_DATA_END] = { "DATA_END", 0, SMTP_VF_TX_REPLY, NULL,
				 reply_data_end },
	[SMTP_VERB_BDAT_LAST] = { "BDAT_LAST", 0, SMTP_VF_TX_REPLY, NULL,
				  reply_bdat_last },
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

/* Section 4.1.1: a verb is alphabetic; extension verbs in use add digits
 * and '-' (XEXCH50, X-LINK2STATE). Anything else is not a command. */
static bool verb_wellformed(const uint8_t *p, size_t n)
{
	if (n == 0 || ascii_upper(p[0]) < 'A' || ascii_upper(p[0]) > 'Z')
		return false;
	for (size_t i = 1; i < n; i++) {
		uint8_t u = ascii_upper(p[i]);

		if (!(u >= 'A' && u <= 'Z') && !(p[i] >= '0' && p[i] <= '9') &&
		    p[i] != '-')
			return false;
	}
	return true;
}

/*
 * The octets a MAIL line may have beyond max_command_len: RFC 5321
 * section 4.5.3.1.4 lets extensions raise the limit, and those of the
 * parameters this line carries do: SIZE= 26 (RFC 1870 section 3),
 * SMTPUTF8 10 (RFC 6531 section 3.1), AUTH= 500 (RFC 4954 section 3).
 * Each counts once. arg: the command's argument.
 */
static uint64_t mail_line_room(const uint8_t *arg, size_t n)
{
	const uint8_t *path;
	size_t plen, i;
	struct mail_kv kv;
	unsigned seen = 0;
	uint64_t room = 0;

	if (!path_arg(arg, n, "FROM:", &path, &plen))
		return 0;
	i = (size_t)(path - arg) + plen;
	while (mail_param_next(arg, n, &i, &kv)) {
		if (word_eq(kv.k, kv.kn, "SIZE") && !(seen & 1u)) {
			seen |= 1u;
			room += 26;
		} else if (word_eq(kv.k, kv.kn, "SMTPUTF8") && !(seen & 2u)) {
			seen |= 2u;
			room += 10;
		} else if (word_eq(kv.k, kv.kn, "AUTH") && !(seen & 4u)) {
			seen |= 4u;
			room += 500;
		}
	}
	return room;
}

/* Is the line, as sent, over max_command_len (section 4.5.3.1.4)? */
static void command_length(struct smtp_session *s, const struct smtp_cmd *c,
			   uint64_t wire_len)
{
	uint64_t lim = s->cfg->max_command_len;

	if (!lim || wire_len <= lim)
		return;
	if (c->verb == SMTP_VERB_MAIL &&
	    wire_len <= lim + mail_line_room(c->arg, c->arg_len))
		return;
	smtp_anomaly(s, "command_line_too_long");
}

void smtp_cmd_line(struct smtp_session *s, const uint8_t *p, size_t len,
		   bool truncated, uint64_t wire_len)
{
	const struct smtp_verb_def *def;
	struct smtp_cmd c;
	size_t v = 0, a, e;
	bool defer = false, replies;

	if (!truncated && len && p[len - 1] == '\r')
		len--;
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
	c.deferred = false;
	def = &smtp_verbs[c.verb];
	command_length(s, &c, wire_len);
	/* RFC 5321 section 2.3.8: CR only as part of CRLF. */
	if (len && memchr(p, '\r', len))
		smtp_anomaly(s, "bare_cr");
	if (c.verb == SMTP_VERB_UNKNOWN) {
		s->stats->unknown_commands++;
		if (verb_wellformed(p, v))
			smtp_anomaly(s, "unknown_command");
		else
			smtp_anomaly(s, "invalid_command");
	}
	/* The effect can wait for the reply only if there will be one and
	 * the command gets its place in the FIFO (not full). */
	replies = smtp_replies_expected(s) && s->pend_count < SMTP_PENDING_MAX;

	/* One deferred command at a time: the older one takes effect first,
	 * as if accepted, so this one is judged on the state it leaves. */
	if (s->defer.verb != SMTP_VERB_NONE &&
	    (is_helo(c.verb) || (c.verb == SMTP_VERB_MAIL && mail_nested(s))))
		smtp_defer_force(s);
	smtp_tx_for_command(s);
	if ((def->flags & SMTP_VF_NEW_TX) && smtp_tx_has_content(&s->tx)) {
		/* A MAIL in a tx whose MAIL was accepted, or whose reply is
		 * not seen yet: servers answer 503 (section 4.1.1.2). With
		 * replies to tell, the reply decides; without, or after a
		 * refused MAIL (a legitimate retry) or a tx of RCPT/DATA
		 * without MAIL, the MAIL begins a new tx now. */
		if (mail_nested(s)) {
			smtp_anomaly(s, "nested_mail");
			defer = replies;
		}
		if (!defer)
			smtp_tx_restart(s, SMTP_TX_ABORTED);
	} else if (is_helo(c.verb)) {
		defer = replies;
	}
	s->stats->commands++;
	if (s->pend_count)
		s->stats->pipelined++;
	/* An AUTH initial response is a credential: not shown. */
	smtp_emit(s, SMTP_EV_COMMAND, c.verb, 0, p,
		  c.verb == SMTP_VERB_AUTH ? smtp_auth_visible_len(p, len) : len,
		  &s->tx);
	c.queued = smtp_pending_push(s, c.verb);
	c.deferred = c.queued && defer;
	if (def->on_command)
		def->on_command(s, &c);
}

void smtp_cmd_lost(struct smtp_session *s)
{
	/* The server answers the line we could not keep: hold its place. */
	smtp_pending_push(s, SMTP_VERB_UNKNOWN);
}

/* Section 2.4: verbs are case-insensitive; a verb ends at a space (before
 * its argument) or at the end of the line. A tab, or bytes glued to the
 * verb, make the line the tail of a lost one. */
bool smtp_cmd_resync_ok(const uint8_t *p, size_t len)
{
	size_t v = 0;

	if (len && p[len - 1] == '\r')
		len--;
	while (v < len && p[v] != ' ' && p[v] != '\t')
		v++;
	if (v < len && p[v] != ' ')
		return false;
	return verb_lookup(p, v) != SMTP_VERB_UNKNOWN;
}
