/*
 * smtp_reply.c — server replies (RFC 5321 section 4.2): "ddd-text" lines
 * continue a reply, the "ddd text" (or bare "ddd") line ends it and gives
 * the reply its code. Each complete reply answers the oldest command still
 * waiting (RFC 2920 section 3.1: replies come in command order); the
 * verb's reply handler in smtp_cmd.c applies it.
 *
 * Events: REPLY (code, verb answered, data = the final line, tx = the tx
 * of that command while it is live — open, or closed and waiting for its
 * replies — or NULL), then whatever the verb's handler emits (TX_END after
 * the reply to ".", TLS after a 220 to STARTTLS) or, for a deferred
 * HELO/EHLO/MAIL, its effect (smtp_cmd.c), then TX_END of a closed tx
 * whose last owed reply this was.
 *
 * 334 (RFC 4954 section 4) is an AUTH challenge, not the AUTH's reply: a
 * REPLY event (verb AUTH) that leaves the FIFO as it is.
 *
 * The greeting's first line gives the session's banner. A reply to EHLO
 * whose first line is 2xx replaces the session's capability list (RFC
 * 5321 section 4.1.1.1: the lines after the first are "ehlo-keyword
 * *(SP ehlo-param)"), and after its final line SMTP_EV_EHLO_CAPS fires
 * (when that final line is 2xx too; otherwise the list stays empty).
 */
#include "smtp_int.h"

#include <string.h>

/* ---- EHLO capabilities --------------------------------------------------- */

static bool kw_eq(const uint8_t *p, size_t n, const char *kw)
{
	size_t kl = strlen(kw);

	if (n != kl)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i] >= 'a' && p[i] <= 'z' ? (uint8_t)(p[i] - 32) : p[i];

		if (c != (uint8_t)kw[i])
			return false;
	}
	return true;
}

static const struct { const char *kw; uint32_t flag; } caps_known[] = {
	{ "PIPELINING", SMTP_CAP_PIPELINING }, { "SIZE", SMTP_CAP_SIZE },
	{ "8BITMIME", SMTP_CAP_8BITMIME }, { "CHUNKING", SMTP_CAP_CHUNKING },
	{ "BINARYMIME", SMTP_CAP_BINARYMIME }, { "STARTTLS", SMTP_CAP_STARTTLS },
	{ "AUTH", SMTP_CAP_AUTH }, { "SMTPUTF8", SMTP_CAP_SMTPUTF8 },
	{ "DSN", SMTP_CAP_DSN },
	{ "ENHANCEDSTATUSCODES", SMTP_CAP_ENHANCEDSTATUSCODES },
	{ "PRDR", SMTP_CAP_PRDR }, { "XCLIENT", SMTP_CAP_XCLIENT },
	{ "ETRN", SMTP_CAP_ETRN },
};

static void caps_reset(struct smtp_session *s)
{
	mt_arena_reset(&s->caps_arena);
	s->ehlo_caps = (struct smtp_str){ 0 };
	s->ehlo_caps_count = 0;
	s->ehlo_caps_cut = false;
	s->ehlo_flags = 0;
	s->ehlo_size = 0;
	s->caps_room = 0;
}

static void caps_cut(struct smtp_session *s)
{
	if (s->ehlo_caps_cut)
		return;
	s->ehlo_caps_cut = true;
	s->stats->ehlo_caps_cut++;
	smtp_anomaly(s, "ehlo_caps_cut");
}

/* One keyword line's text (after "250-"/"250 "). */
static void caps_add(struct smtp_session *s, const uint8_t *p, size_t n)
{
	size_t k = 0, need;
	char *buf;

	while (n && (p[n - 1] == ' ' || p[n - 1] == '	'))
		n--;
	if (n == 0)
		return;
	/* Old servers write "AUTH=LOGIN": the keyword ends at '=' too. */
	while (k < n && p[k] != ' ' && p[k] != '=')
		k++;
	for (size_t i = 0; i < sizeof(caps_known) / sizeof(caps_known[0]); i++)
		if (kw_eq(p, k, caps_known[i].kw))
			s->ehlo_flags |= caps_known[i].flag;
	if (kw_eq(p, k, "SIZE")) {
		uint64_t v = 0;

		for (size_t i = k + 1, d = 0; i < n && d < 19 &&
		     p[i] >= '0' && p[i] <= '9'; i++, d++)
			v = v * 10 + (uint64_t)(p[i] - '0');
		s->ehlo_size = v;
	}
	/* A keyword overwritten with X's ("XXXXXXXA" for STARTTLS): a
	 * middlebox hides it from the client (STARTTLS stripping). */
	if (k >= 4 && (p[0] | 0x20) == 'x' && (p[1] | 0x20) == 'x' &&
	    (p[2] | 0x20) == 'x' && (p[3] | 0x20) == 'x') {
		size_t x = 0;

		while (x < k && (p[x] | 0x20) == 'x')
			x++;
		if (x + 1 >= k)
			smtp_anomaly(s, "ehlo_masked_keyword");
	}
	if (s->ehlo_caps_count >= SMTP_EHLO_CAPS_MAX) {
		caps_cut(s);
		return;
	}
	if (!s->caps_room) {
		/* One object for the whole list: it is never grown. */
		size_t room = smtp_arena_room(s);

		buf = mt_arena_alloc(&s->caps_arena, room);
		if (!buf) {
			smtp_no_memory(s);
			s->caps_room = 1;   /* do not retry for this reply */
			return;
		}
		s->ehlo_caps.ptr = buf;
		s->ehlo_caps.len = 0;
		buf[0] = '\0';
		s->caps_room = (uint32_t)room;
	}
	if (!s->ehlo_caps.ptr)
		return;
	buf = (char *)s->ehlo_caps.ptr;
	need = (s->ehlo_caps.len ? 1 : 0) + n + 1;
	if (s->ehlo_caps.len + need > s->caps_room) {
		caps_cut(s);
		return;
	}
	if (s->ehlo_caps.len)
		buf[s->ehlo_caps.len++] = '\n';
	memcpy(buf + s->ehlo_caps.len, p, n);
	s->ehlo_caps.len += (uint32_t)n;
	buf[s->ehlo_caps.len] = '\0';
	s->ehlo_caps_count++;
}

/* The first line of a reply (continuation or final): which reply it is. */
static void reply_first_line(struct smtp_session *s, uint16_t code,
			     const uint8_t *p, size_t len)
{
	s->ehlo_reply = false;
	if (!s->greeting_seen) {
		/* The same test reply_complete() makes for the greeting. */
		if ((!s->pend_count || code == 220 || code == 421 || code == 554) &&
		    !s->banner.ptr) {
			size_t n = len > 4 ? len - 4 : 0;

			if (n > SMTP_BANNER_MAX)
				n = SMTP_BANNER_MAX;
			if (n)
				memcpy(s->banner_buf, p + 4, n);
			s->banner_buf[n] = '\0';
			s->banner.ptr = s->banner_buf;
			s->banner.len = (uint32_t)n;
		}
		return;
	}
	if (smtp_pending_head(s) == SMTP_VERB_EHLO && code >= 200 && code < 300) {
		caps_reset(s);
		s->ehlo_reply = true;
	}
}

/* RFC 5321 section 4.2: the first digit is 2..5; 1yz is reserved but
 * harmless, so 1..5 is accepted. A 0 would clash with "no reply yet". */
static bool reply_code(const uint8_t *p, size_t len, uint16_t *code)
{
	if (len < 3 || p[0] < '1' || p[0] > '5' ||
	    p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
		return false;
	if (len > 3 && p[3] != ' ' && p[3] != '-')
		return false;
	*code = (uint16_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
	return true;
}

/* Recipients the server accepted in the transaction whose message
 * awaits its verdict: the number of PRDR replies before the verdict. */
static uint16_t prdr_recipients(const struct smtp_session *s)
{
	const struct smtp_tx *tx = s->done_busy && s->tx_done.data_done ? &s->tx_done : &s->tx;
	uint16_t n = 0;

	for (uint32_t i = 0; tx->rcpt && i < tx->rcpt_count; i++)
		if (tx->rcpt[i].reply_code >= 200 && tx->rcpt[i].reply_code < 300)
			n++;
	return n;
}

static void reply_complete(struct smtp_session *s, uint16_t code,
			   const uint8_t *p, size_t len)
{
	enum smtp_verb verb;
	struct smtp_tx *tx;
	const struct smtp_verb_def *def;
	bool deferred = false;

	s->stats->replies++;
	if (!s->greeting_seen) {
		s->greeting_seen = true;
		/* RFC 5321 section 3.1: the greeting is 220, or 554 (or 421)
		 * refusing service. A client that talks first has commands
		 * queued already; a capture that starts mid-session has no
		 * greeting, so another code answers the oldest command. */
		if (!s->pend_count || code == 220 || code == 421 || code == 554) {
			/* The session's start was seen (mail_without_helo). */
			s->greeted = code == 220;
			smtp_emit(s, SMTP_EV_REPLY, SMTP_VERB_NONE, code, p, len,
				  smtp_current_tx(s));
			return;
		}
	}
	/* An AUTH challenge: the AUTH still waits for its reply. */
	if (code == 334 && smtp_pending_head(s) == SMTP_VERB_AUTH) {
		smtp_auth_challenge(s);
		smtp_emit(s, SMTP_EV_REPLY, SMTP_VERB_AUTH, code, p, len,
			  smtp_current_tx(s));
		return;
	}
	/*
	 * PRDR (Per-Recipient Data Responses, draft-hall-prdr; Exim offers
	 * it): the server answers "." with 353, then one reply per accepted
	 * recipient, then the message's verdict. The "." stays queued until
	 * that last reply.
	 */
	verb = smtp_pending_head(s);
	if (verb == SMTP_VERB_DATA_END || verb == SMTP_VERB_BDAT_LAST) {
		if (s->prdr_left) {
			s->prdr_left--;
			smtp_emit(s, SMTP_EV_REPLY, verb, code, p, len, smtp_current_tx(s));
			return;
		}
		if (code == 353) {
			s->prdr_left = prdr_recipients(s);
			smtp_emit(s, SMTP_EV_REPLY, verb, code, p, len, smtp_current_tx(s));
			return;
		}
	}
	if (!smtp_pending_pop(s, &verb, &tx, &deferred)) {
		if (s->cli_state == SMTP_CLI_DATA && s->tx.gap && code != 354) {
			/* A gap in the content swallowed the final ".": the
			 * server's verdict is the first reply it sends (a 354
			 * is no verdict, rather a sign of replies out of
			 * step). */
			s->cli_state = SMTP_CLI_CMD;
			s->tx.data_done = true;
			verb = SMTP_VERB_DATA_END;
			tx = &s->tx;
		} else {
			s->stats->unmatched_replies++;
			smtp_anomaly(s, "unmatched_reply");
			smtp_emit(s, SMTP_EV_REPLY, SMTP_VERB_NONE, code, p, len,
				  smtp_current_tx(s));
			return;
		}
	}
	smtp_emit(s, SMTP_EV_REPLY, verb, code, p, len, tx);
	def = &smtp_verbs[verb];
	if (deferred)
		smtp_defer_reply(s, code);
	else if (def->on_reply)
		def->on_reply(s, tx, code, p, len);
	if (s->ehlo_reply && verb == SMTP_VERB_EHLO) {
		s->ehlo_reply = false;
		if (code >= 200 && code < 300)
			smtp_emit(s, SMTP_EV_EHLO_CAPS, verb, code,
				  (const uint8_t *)s->ehlo_caps.ptr,
				  s->ehlo_caps.len, smtp_current_tx(s));
		else
			caps_reset(s);
	}
	smtp_tx_settle(s);
}

void smtp_reply_line(struct smtp_session *s, const uint8_t *p, size_t len,
		     bool truncated)
{
	uint16_t code;

	if (!truncated && len && p[len - 1] == '\r')
		len--;
	if (!reply_code(p, len, &code)) {
		smtp_anomaly(s, "invalid_reply");
		return;
	}
	if (!s->reply_code)
		reply_first_line(s, code, p, len);
	else if (s->ehlo_reply && len > 4)
		caps_add(s, p + 4, len - 4);
	if (len > 3 && p[3] == '-') {
		/* A continuation line. Section 4.2.1 wants one code for all
		 * lines; the last line's wins. */
		if (!s->reply_code)
			s->reply_code = code;
		return;
	}
	s->reply_code = 0;
	reply_complete(s, code, p, len);
}
