/*
 * smtp_data.c — message content after DATA (RFC 5321 section 4.1.1.4):
 * dot-unstuffing (section 4.5.2) and the end-of-data matcher.
 *
 * Content is handed on as DATA events that point into the caller's chunk:
 * nothing is copied. The only bytes ever held back are a '.' at a line
 * start (never content: either a stuffing dot, dropped, or the start of
 * the terminator) and a CR right after it (content unless LF follows); a
 * held CR that turns out to be content is emitted from a constant, so the
 * concatenated DATA events do not depend on where chunks split.
 *
 * Only <CRLF>.<CRLF> ends the data, and its CRLF belongs to the message
 * (the message as the server stores it ends with that CRLF). A line start
 * reached through a bare LF is SMTP_DOT_LF: not a line start for
 * unstuffing or termination; it is where the smuggling checks for
 * <LF>.<LF>, <LF>.<CRLF> and friends will hook in.
 *
 * Invariant: bytes of the current chunk from `start` up to the scan point
 * are content not yet emitted; everything before `start` is emitted or
 * dropped.
 */
#include "smtp_int.h"

#include <string.h>

static void data_out(struct smtp_session *s, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	s->tx.data_bytes += n;
	smtp_emit(s, SMTP_EV_DATA, SMTP_VERB_DATA, 0, p, n, &s->tx);
}

static void data_end(struct smtp_session *s)
{
	s->cli_state = SMTP_CLI_CMD;
	s->tx.data_done = true;
	smtp_emit(s, SMTP_EV_DATA_END, SMTP_VERB_DATA, 0, NULL, 0, &s->tx);
	/* Its reply is the message's verdict. */
	smtp_pending_push(s, SMTP_VERB_DATA_END);
}

size_t smtp_data_feed(struct smtp_session *s, const uint8_t *p, size_t n)
{
	static const uint8_t cr = '\r';
	uint8_t st = s->dot_state;
	size_t i = 0, start = 0;

	while (i < n) {
		switch (st) {
		case SMTP_DOT_TEXT:
		case SMTP_DOT_CR: {
			/*
			 * The fast path. Only a '.' right after CRLF matters
			 * (stuffing or terminator), so jump from dot to dot
			 * rather than from line to line: a base64 attachment
			 * has no dot at all and costs one memchr per chunk.
			 * The line state at the jump target is read from the
			 * byte(s) before it.
			 */
			const uint8_t *dot = memchr(p + i, '.', n - i);
			size_t k = dot ? (size_t)(dot - p) : n;

			if (k == i) {
				/* Right after CR or mid-line: plain content. */
				st = SMTP_DOT_TEXT;
				i = k + 1;
				break;
			}
			if (p[k - 1] == '\n') {
				bool crlf = k - 1 > i ? p[k - 2] == '\r' : st == SMTP_DOT_CR;

				st = crlf ? SMTP_DOT_BOL : SMTP_DOT_LF;
			} else {
				st = p[k - 1] == '\r' ? SMTP_DOT_CR : SMTP_DOT_TEXT;
			}
			i = k;
			break;
		}
		case SMTP_DOT_BOL:
			if (p[i] == '.') {
				data_out(s, p + start, i - start);
				start = ++i;
				st = SMTP_DOT_DOT;
			} else {
				st = SMTP_DOT_TEXT;     /* same byte again */
			}
			break;
		case SMTP_DOT_LF:
			/* Bare LF: not a line end (RFC 5321 section 2.3.8). */
			st = SMTP_DOT_TEXT;
			break;
		case SMTP_DOT_DOT:
			if (p[i] == '\r') {
				data_out(s, p + start, i - start);
				start = ++i;
				st = SMTP_DOT_DOT_CR;
			} else {
				/* A stuffing dot: dropped; this byte is content. */
				st = SMTP_DOT_TEXT;
			}
			break;
		case SMTP_DOT_DOT_CR:
			if (p[i] == '\n') {
				s->dot_state = SMTP_DOT_BOL;
				data_end(s);
				return i + 1;
			}
			/* ".\rX": the dot was stuffing, the CR is content. */
			data_out(s, &cr, 1);
			st = SMTP_DOT_CR;
			break;
		}
	}
	data_out(s, p + start, n - start);
	s->dot_state = st;
	return n;
}

void smtp_data_gap(struct smtp_session *s)
{
	/* Where the next byte sits in its line is unknown: assume mid-line,
	 * so a terminator needs a CRLF seen after the gap. */
	s->dot_state = SMTP_DOT_TEXT;
}
