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
 * unstuffing or termination.
 *
 * SMTP smuggling (CVE-2023-51764/51765/51766): some receivers also end the
 * data at <LF>.<LF>, <LF>.<CRLF>, <CRLF>.<LF>, <CR>.<CR>, <CRLF>.<CR> or
 * <CR>.<CRLF> (<CR>, <LF>: bare, not part of a CRLF), so a sender can hide
 * a second envelope inside one message. Each occurrence is an anomaly
 * named after it ("smuggling_lf_dot_lf", ...); parsing goes on as a strict
 * RFC 5321 receiver (section 4.1.1.4): nothing of that changes the content
 * or where it ends. Every sequence has a '.', so the checks hang off the
 * dot handling and the fast path stays: the line end before the dot is
 * read from the bytes before it (or the state at a chunk start), and the
 * private states below follow the bytes after a dot that is not a
 * canonical line start. After a sequence the next line is matched against
 * the words that start an SMTP command (smtp_session smug_pos/smug_mask,
 * a byte at a time across chunks): "smuggled_command", once per message.
 *
 * Invariant: bytes of the current chunk from `start` up to the scan point
 * are content not yet emitted; everything before `start` is emitted or
 * dropped.
 *
 * Text lines (RFC 5321 section 4.5.3.1.6): a DATA line longer than
 * max_text_line octets with its CRLF, a leading dot not counted (the
 * dot-stuffing one; a line that starts with a dot gets one more octet),
 * is data_line_too_long, once per line, raised after its first octet
 * past the limit. The end-of-data matcher jumps from dot to dot and
 * never looks for line ends, so the check has a scan of its own that
 * stays off the per-byte path: from a line start it asks memrchr()
 * for the last LF within the octets the line may still have, and jumps
 * there (every line before it in that window is short enough); a window
 * with no LF means the line is too long. That is about one memrchr() of
 * a few octets per max_text_line octets of content. Where a line is too
 * long the chunk is fed to the matcher in two parts around that octet
 * (any split gives the same events), so the anomaly sits at the same
 * place in the DATA events whatever the segmentation. For this check a
 * bare LF ends a line: RFC 5321 section 2.3.8 forbids it, but clients
 * that end every line with LF alone are common and receivers take LF as
 * the line end, so counting to the next CRLF would call such a message
 * one long line; nor is a bare LF in content reported on its own: it is
 * too common to mean much, and the dangerous one, next to a dot, is what
 * the smuggling_* anomalies report. BDAT chunks are not judged: their
 * octets are counted, not lines (RFC 3030 section 2, binary allowed).
 *
 * Message size (RFC 1870): the message's octets (section 5: with their
 * CRLFs, without the stuffing dots and the final "."; what DATA events
 * carry) past the smaller of the MAIL SIZE= (plus 10% and 1 KiB: see
 * smtp_size_limit) and the server's EHLO SIZE
 * (0 = none, section 3) are message_size_exceeded, once per tx, raised
 * after the first octet past it. A client may send more than it declared
 * (section 6.3: "permitted to declare a message to be smaller than its
 * actual size"; the server may then refuse it), so this is a sign, not
 * an error; past the EHLO SIZE the server is to refuse the message
 * (section 4: 552). A BDAT whose size is more than what is left of that
 * size (the sizes of the tx's earlier chunks taken off) is
 * bdat_size_exceeded, once per tx, at the command.
 *
 * BDAT (RFC 3030 section 2): "BDAT <size> [LAST]" is followed by exactly
 * <size> octets of message data, whatever they contain: a chunk may end
 * mid-line and nothing in it is a terminator or stuffing. They go out as
 * the same DATA events (verb BDAT): DATA_BEGIN at the first BDAT of a tx,
 * DATA_END when the LAST chunk's octets are all in (at once for "BDAT 0
 * LAST"). The octets follow the command without waiting for a reply
 * (section 4.2), so they are chunk data even when the server refuses the
 * BDAT; only a BDAT line whose size cannot be read (missing, not a
 * number, over 2^40, junk after it) carries no chunk: invalid_bdat, and
 * the next line is a command again. A lost stretch inside a chunk is
 * counted off its size, so the chunk end stays known.
 */
#include "smtp_int.h"

#include <string.h>

/* The size the tx's message must not exceed: the MAIL SIZE= and the
 * server's EHLO SIZE when nonzero (RFC 1870), the smaller of the two.
 * false when neither is set. */
static bool smtp_size_limit(const struct smtp_session *s, const struct smtp_tx *tx,
			    uint64_t *lim)
{
	bool set = false;

	/* A client's SIZE= is an estimate (RFC 1870 section 6.3), and real
	 * ones run short by 0.5-2% (Exim, MUAs counting before CRLF
	 * conversion: 4 of ~145 corpus captures): only a message more than
	 * 10% + 1 KiB over it is reported. The server's EHLO SIZE is a limit
	 * and is taken exactly. */
	if (tx->mail_size_set) {
		uint64_t slack = tx->mail_size / 10 + 1024;

		*lim = tx->mail_size > UINT64_MAX - slack ? UINT64_MAX : tx->mail_size + slack;
		set = true;
	}
	if (s->ehlo_size && (!set || s->ehlo_size < *lim)) {
		*lim = s->ehlo_size;
		set = true;
	}
	return set;
}

/* ev->verb says where the bytes came from: DATA content or BDAT chunk. */
static void content_out(struct smtp_session *s, enum smtp_verb verb,
			const uint8_t *p, size_t n)
{
	struct smtp_tx *tx = &s->tx;
	uint64_t lim;

	if (n == 0)
		return;
	if (!(tx->anom_done & SMTP_TXA_SIZE) && smtp_size_limit(s, tx, &lim) &&
	    n > lim - (tx->data_bytes < lim ? tx->data_bytes : lim)) {
		/* k: the octets up to and including the first one past it. */
		size_t k = tx->data_bytes <= lim ? (size_t)(lim - tx->data_bytes) + 1 : 0;

		tx->anom_done |= SMTP_TXA_SIZE;
		if (k) {
			tx->data_bytes += k;
			smtp_emit(s, SMTP_EV_DATA, verb, 0, p, k, tx);
		}
		smtp_anomaly(s, "message_size_exceeded");
		p += k;
		n -= k;
		if (n == 0)
			return;
	}
	tx->data_bytes += n;
	smtp_emit(s, SMTP_EV_DATA, verb, 0, p, n, tx);
}

/* The line-length state: a line starts. */
static void text_reset(struct smtp_session *s)
{
	s->text_len = 0;
	s->text_dot = false;
	s->text_over = false;
}

void smtp_data_begin(struct smtp_session *s)
{
	s->cli_state = SMTP_CLI_DATA;
	s->dot_state = SMTP_DOT_BOL;
	text_reset(s);
}

static void data_out(struct smtp_session *s, const uint8_t *p, size_t n)
{
	content_out(s, SMTP_VERB_DATA, p, n);
}

/* end: just past the terminator in the bytes being fed (DATA_END's data,
 * so a caller can tell which of them belong to the message), or NULL. */
static void data_end(struct smtp_session *s, const uint8_t *end)
{
	text_reset(s);
	/* The smuggling matcher starts afresh with the next message. */
	s->smug_pos = 0;
	s->smug_cmd_seen = false;
	s->cli_state = SMTP_CLI_CMD;
	s->tx.data_done = true;
	if (end)
		smtp_data_raw(s, end);
	smtp_emit(s, SMTP_EV_DATA_END, SMTP_VERB_DATA, 0, end, 0, &s->tx);
	/* Its reply is the message's verdict. */
	smtp_pending_push(s, SMTP_VERB_DATA_END);
}

/*
 * States of the end-of-data matcher private to this file, after the
 * public ones of enum smtp_dot_state: a dot after a bare line end, which
 * is content (neither stuffing nor a terminator), and the CR after it.
 */
enum {
	SMTP_DOT_LF_DOT = SMTP_DOT_LF + 1, /* bare LF then '.' */
	SMTP_DOT_LF_DOT_CR,                /* bare LF, '.', CR */
	SMTP_DOT_CR_DOT,                   /* bare CR then '.' */
	SMTP_DOT_CR_DOT_CR,                /* bare CR, '.', CR */
};

/* Line starts that would be a command to a receiver fooled by the
 * sequence (RFC 5321 section 4.1.1; keywords are case-insensitive,
 * section 2.4). Lower case; at most 8 words (smug_mask). */
static const char *const smug_words[] = {
	"mail from:", "rcpt to:", "data", "bdat", "rset", "quit", "ehlo", "helo",
};
#define SMUG_ALL ((uint8_t)((1u << (sizeof(smug_words) / sizeof(smug_words[0]))) - 1))

/*
 * A non-canonical end-of-data sequence ending before p[end]:
 * report it; the line after it is checked for a command (unless this
 * message reported one already). The content up to there goes out first,
 * so the anomaly sits at the same place in the DATA stream whatever the
 * chunking.
 */
static void smuggling(struct smtp_session *s, const char *name,
		      const uint8_t *p, size_t *start, size_t end)
{
	data_out(s, p + *start, end - *start);
	*start = end;
	smtp_anomaly(s, name);
	if (!s->smug_cmd_seen) {
		s->smug_pos = 1;
		s->smug_mask = SMUG_ALL;
	}
}

/*
 * Match the command words against p[i..n) from where the matcher stands.
 * Returns how many bytes it consumed: those are letters, ' ' or ':' (the
 * dot matcher is mid-line after them). The matcher stops (smug_pos 0) at
 * the first byte no word continues with, which it leaves unconsumed, or
 * when a word is complete (smug_cmd_seen set then: the caller reports).
 */
static size_t smug_match(struct smtp_session *s, const uint8_t *p, size_t i, size_t n)
{
	size_t i0 = i;

	while (i < n) {
		uint8_t c = p[i], pos = (uint8_t)(s->smug_pos - 1), keep = 0;

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + ('a' - 'A'));
		for (unsigned w = 0; w < sizeof(smug_words) / sizeof(smug_words[0]); w++) {
			if ((s->smug_mask >> w & 1u) && (uint8_t)smug_words[w][pos] == c)
				keep |= (uint8_t)(1u << w);
		}
		if (!keep) {
			s->smug_pos = 0;
			break;
		}
		i++;
		s->smug_mask = keep;
		s->smug_pos++;
		for (unsigned w = 0; w < sizeof(smug_words) / sizeof(smug_words[0]); w++) {
			if ((keep >> w & 1u) && smug_words[w][pos + 1] == '\0') {
				s->smug_pos = 0;
				s->smug_cmd_seen = true;        /* caller reports */
				return i - i0;
			}
		}
	}
	return i - i0;
}

/* The end-of-data matcher over p[0..n): returns the bytes used (fewer
 * than n only when the data ended). */
static size_t dot_feed(struct smtp_session *s, const uint8_t *p, size_t n)
{
	static const uint8_t cr = '\r';
	uint8_t st = s->dot_state;
	size_t i = 0, start = 0;

	/* Nothing of this message seen yet (a held dot is not BOL): a new
	 * message, also one that did not end with data_end (aborted tx), so
	 * the smuggling matcher starts afresh. */
	if (st == SMTP_DOT_BOL && s->tx.data_bytes == 0) {
		s->smug_pos = 0;
		s->smug_cmd_seen = false;
	}
	while (i < n) {
		if (s->smug_pos) {
			/* Bytes it takes are mid-line content: no '.', CR
			 * or LF among them. */
			bool seen = s->smug_cmd_seen;
			size_t k = smug_match(s, p, i, n);

			if (s->smug_cmd_seen && !seen) {
				data_out(s, p + start, i + k - start);
				start = i + k;
				smtp_anomaly(s, "smuggled_command");
			}
			if (k) {
				i += k;
				st = SMTP_DOT_TEXT;
				continue;
			}
		}
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
				/* Mid-line: plain content. After a bare CR (the
				 * CR before a dot is never part of a CRLF): the
				 * start of <CR>.<CR> or <CR>.<CRLF>. */
				st = st == SMTP_DOT_CR ? SMTP_DOT_CR_DOT : SMTP_DOT_TEXT;
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
			/* Bare LF: not a line end (RFC 5321 section 2.3.8),
			 * so a dot here is content; but <LF>.<...> is where a
			 * lax receiver may see the end of the data. */
			if (p[i] == '.') {
				i++;
				st = SMTP_DOT_LF_DOT;
			} else {
				st = SMTP_DOT_TEXT;     /* same byte again */
			}
			break;
		case SMTP_DOT_DOT:
			if (p[i] == '\r') {
				data_out(s, p + start, i - start);
				start = ++i;
				st = SMTP_DOT_DOT_CR;
			} else if (p[i] == '\n') {
				/* The dot was stuffing (dropped); the bare LF
				 * is content and a (non-canonical) line end. */
				i++;
				smuggling(s, "smuggling_crlf_dot_lf", p, &start, i);
				st = SMTP_DOT_LF;
			} else {
				/* A stuffing dot: dropped; this byte is content. */
				st = SMTP_DOT_TEXT;
			}
			break;
		case SMTP_DOT_DOT_CR:
			if (p[i] == '\n') {
				s->dot_state = SMTP_DOT_BOL;
				data_end(s, p + i + 1);
				return i + 1;
			}
			/* ".\rX": the dot was stuffing, the CR is content
			 * and bare: <CRLF>.<CR>. X is seen again after it. */
			data_out(s, &cr, 1);
			smuggling(s, "smuggling_crlf_dot_cr", p, &start, i);
			st = SMTP_DOT_CR;
			break;
		case SMTP_DOT_LF_DOT:
			if (p[i] == '\n') {
				i++;
				smuggling(s, "smuggling_lf_dot_lf", p, &start, i);
				st = SMTP_DOT_LF;
			} else if (p[i] == '\r') {
				i++;
				st = SMTP_DOT_LF_DOT_CR;
			} else {
				st = SMTP_DOT_TEXT;     /* same byte again */
			}
			break;
		case SMTP_DOT_LF_DOT_CR:
			if (p[i] == '\n') {
				/* The CRLF makes a canonical line start. */
				i++;
				smuggling(s, "smuggling_lf_dot_crlf", p, &start, i);
				st = SMTP_DOT_BOL;
			} else {
				/* <LF>.<CR> is not one of the sequences; the
				 * bare CR may start one. Same byte again. */
				st = SMTP_DOT_CR;
			}
			break;
		case SMTP_DOT_CR_DOT:
			if (p[i] == '\r') {
				i++;
				st = SMTP_DOT_CR_DOT_CR;
			} else {
				/* <CR>.<LF> is not one of the sequences; the
				 * fast path reads a bare LF from the bytes. */
				st = SMTP_DOT_TEXT;     /* same byte again */
			}
			break;
		case SMTP_DOT_CR_DOT_CR:
			if (p[i] == '\n') {
				i++;
				smuggling(s, "smuggling_cr_dot_crlf", p, &start, i);
				st = SMTP_DOT_BOL;
			} else {
				smuggling(s, "smuggling_cr_dot_cr", p, &start, i);
				st = SMTP_DOT_CR;       /* same byte again */
			}
			break;
		}
	}
	data_out(s, p + start, n - start);
	s->dot_state = st;
	return n;
}

/*
 * The text-line scan over p[0..n), from the state of the line the chunk
 * starts in. Returns the bytes up to the first octet that takes a line
 * past max_text_line (*over set; the state is then that after it) or n.
 */
static size_t text_scan(struct smtp_session *s, const uint8_t *p, size_t n,
			bool *over)
{
	uint64_t lim = s->cfg->max_text_line;
	size_t i = 0;

	*over = false;
	if (!lim)
		return n;
	while (i < n) {
		uint64_t allow, room;
		size_t w;
		const uint8_t *lf;

		if (s->text_over) {
			/* Reported, or not judged: wait for its end. */
			lf = memchr(p + i, '\n', n - i);
			if (!lf)
				return n;
			i = (size_t)(lf - p) + 1;
			text_reset(s);
			continue;
		}
		if (s->text_len == 0)
			s->text_dot = p[i] == '.';
		allow = lim + s->text_dot;
		room = allow - s->text_len;
		if (room == 0) {
			/* p[i] is the first octet past the limit; if it is the
			 * LF the next line starts after it. */
			*over = true;
			if (p[i] == '\n')
				text_reset(s);
			else
				s->text_over = true;
			return i + 1;
		}
		/* Lines that end inside the window are no longer than it, so
		 * within the limit: only the last LF there matters. */
		w = room < n - i ? (size_t)room : n - i;
		lf = memrchr(p + i, '\n', w);
		if (lf) {
			i = (size_t)(lf - p) + 1;
			s->text_len = 0;
			continue;
		}
		s->text_len += w;
		i += w;
	}
	return n;
}

size_t smtp_data_feed(struct smtp_session *s, const uint8_t *p, size_t n)
{
	size_t used = 0;

	while (used < n) {
		bool over;
		size_t k = text_scan(s, p + used, n - used, &over);

		used += dot_feed(s, p + used, k);
		/* The data ended (the state was reset there): the rest of the
		 * chunk, scanned or not, is commands. */
		if (s->cli_state != SMTP_CLI_DATA)
			break;
		if (over)
			smtp_anomaly(s, "data_line_too_long");
	}
	return used;
}

void smtp_data_gap(struct smtp_session *s)
{
	/* Where the next byte sits in its line is unknown: assume mid-line,
	 * so a terminator needs a CRLF seen after the gap. The line the
	 * smuggling matcher was reading is lost, and the length of the
	 * line the gap is in is unknown: not judged. */
	s->dot_state = SMTP_DOT_TEXT;
	s->smug_pos = 0;
	s->text_over = true;
}

/* ---- BDAT (RFC 3030) ---------------------------------------------------- */

/* Chunks bigger than this are not believed (1 TiB). */
#define BDAT_SIZE_MAX (UINT64_C(1) << 40)

static bool is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ]; chunk-size = 1*DIGIT;
 * end-marker = "LAST" (section 2, case-insensitive as every keyword). */
static bool bdat_args(const uint8_t *a, size_t n, uint64_t *size, bool *last)
{
	uint64_t v = 0;
	size_t i = 0;

	if (n == 0 || a[0] < '0' || a[0] > '9')
		return false;
	for (; i < n && a[i] >= '0' && a[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(a[i] - '0');
		if (v > BDAT_SIZE_MAX)
			return false;
	}
	*size = v;
	*last = false;
	if (i == n)
		return true;
	if (!is_blank(a[i]))
		return false;
	while (i < n && is_blank(a[i]))
		i++;
	if (n - i == 4 && (a[i] | 0x20) == 'l' && (a[i + 1] | 0x20) == 'a' &&
	    (a[i + 2] | 0x20) == 's' && (a[i + 3] | 0x20) == 't') {
		*last = true;
		return true;
	}
	return false;
}

static void bdat_done(struct smtp_session *s, const uint8_t *end)
{
	bool last = s->bdat_last;

	s->bdat_left = 0;
	s->bdat_last = false;
	if (s->cli_state == SMTP_CLI_BDAT)
		s->cli_state = SMTP_CLI_CMD;
	if (!last)
		return;
	s->tx.data_done = true;
	smtp_emit(s, SMTP_EV_DATA_END, SMTP_VERB_BDAT, 0, end, 0, &s->tx);
}

/* A chunk of size octets against what is left of the message size. */
static void bdat_size_check(struct smtp_session *s, uint64_t size)
{
	struct smtp_tx *tx = &s->tx;
	uint64_t lim, used = tx->bdat_announced;

	if (!(tx->anom_done & SMTP_TXA_BDAT_SIZE) && smtp_size_limit(s, tx, &lim) &&
	    size > lim - (used < lim ? used : lim)) {
		tx->anom_done |= SMTP_TXA_BDAT_SIZE;
		smtp_anomaly(s, "bdat_size_exceeded");
	}
	tx->bdat_announced = size > UINT64_MAX - used ? UINT64_MAX : used + size;
}

void smtp_bdat_command(struct smtp_session *s, const struct smtp_cmd *c)
{
	struct smtp_tx *tx = &s->tx;
	uint64_t size;
	bool last;

	if (!bdat_args(c->arg, c->arg_len, &size, &last)) {
		smtp_anomaly(s, "invalid_bdat");
		return;
	}
	/* Section 3: DATA and BDAT do not mix in one transaction. */
	if (tx->data_seen && !tx->bdat)
		smtp_anomaly(s, "bdat_after_data");
	if (!tx->data_seen)
		smtp_rcpt_check_command(s, c);
	tx->bdat = true;
	bdat_size_check(s, size);
	if (!tx->data_seen) {
		tx->data_seen = true;
		smtp_emit(s, SMTP_EV_DATA_BEGIN, SMTP_VERB_BDAT, 0, NULL, 0, tx);
	}
	tx->chunks++;
	s->stats->bdat_chunks++;
	/* The reply to the LAST chunk is the message's verdict. */
	if (last && c->queued)
		smtp_pending_set_tail_verb(s, SMTP_VERB_BDAT_LAST);
	s->bdat_left = size;
	s->bdat_last = last;
	if (size)
		s->cli_state = SMTP_CLI_BDAT;
	else
		bdat_done(s, NULL);
}

size_t smtp_bdat_feed(struct smtp_session *s, const uint8_t *p, size_t n)
{
	size_t k = n < s->bdat_left ? n : (size_t)s->bdat_left;

	s->bdat_left -= k;
	s->stats->bdat_bytes += k;
	content_out(s, SMTP_VERB_BDAT, p, k);
	if (!s->bdat_left)
		bdat_done(s, p + k);
	return k;
}

uint64_t smtp_bdat_gap(struct smtp_session *s, uint64_t len)
{
	uint64_t k = len < s->bdat_left ? len : s->bdat_left;

	s->tx.gap = true;
	s->bdat_left -= k;
	if (!s->bdat_left)
		bdat_done(s, NULL);
	return len - k;
}

void smtp_bdat_cut(struct smtp_session *s)
{
	if (s->cli_state != SMTP_CLI_BDAT)
		return;
	smtp_anomaly(s, "bdat_chunk_cut");
	bdat_done(s, NULL);
}
