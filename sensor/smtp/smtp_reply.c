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
 */
#include "smtp_int.h"

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
			smtp_emit(s, SMTP_EV_REPLY, SMTP_VERB_NONE, code, p, len,
				  smtp_current_tx(s));
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
	if (len > 3 && p[3] == '-') {
		/* A continuation line (EHLO keywords arrive here). Section
		 * 4.2.1 wants one code for all lines; the last line's wins. */
		if (!s->reply_code)
			s->reply_code = code;
		return;
	}
	s->reply_code = 0;
	reply_complete(s, code, p, len);
}
