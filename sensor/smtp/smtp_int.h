/*
 * smtp_int.h — private to sensor/smtp/: the per-direction state enums, the
 * verb table and the functions the parser's files share. The files split by
 * concern: smtp.c (session, line assembly with each line's length and
 * ending, command FIFO, transactions, events), smtp_cmd.c (verb table,
 * client commands and the anomalies about them, reply effects per verb),
 * smtp_data.c (DATA content: dot-unstuffing, end-of-data, text-line
 * length, message size; BDAT chunks), smtp_reply.c (server reply lines,
 * multi-line assembly, matching to commands).
 *
 * Invariants:
 *  - data mode (SMTP_CLI_DATA) always belongs to s->tx; so does a chunk
 *    (SMTP_CLI_BDAT, s->bdat_left > 0, s->tx.bdat set);
 *  - SMTP_CLI_AUTH only while an AUTH exchange has client lines left
 *    (s->auth_step < s->auth_lines) and its outcome is not known;
 *  - s->tx_done is in use iff s->done_busy; it is then either OPEN with
 *    data_done (awaiting the verdict on its ".") or closed: its state is
 *    the one the command that ended it gave, its strings still there;
 *  - s->tx_closing: s->tx is closed that way (state not OPEN, not logged);
 *    it moves to tx_done at the next command;
 *  - a closed tx waits only while a reply it is owed (MAIL, RCPT, DATA,
 *    ".": SMTP_VF_TX_REPLY) is queued; it is then logged by
 *    smtp_tx_settle(), older one first;
 *  - a tx is OPEN (or closed-waiting) until smtp_tx_end(); after that its
 *    strings are gone and only its id, state and counters remain;
 *  - every FIFO entry carries the tag of the tx its command belongs to; the
 *    two live txs never share a tag, and no entry of an older tx carries
 *    the tag of a newer one (it is marked stale when the tag is reused);
 *  - s->defer.verb != NONE only while replies are expected, and its entry
 *    is then in the FIFO at s->defer.pos.
 */
#ifndef MT_SMTP_INT_H
#define MT_SMTP_INT_H

#include "smtp.h"

/* Client direction (s->cli_state). */
enum smtp_cli_state {
	SMTP_CLI_CMD = 0,       /* command lines */
	SMTP_CLI_DATA,          /* message content after DATA */
	SMTP_CLI_CLOSED,        /* EOF: nothing more is parsed */
	SMTP_CLI_BDAT,          /* s->bdat_left chunk octets after BDAT */
	SMTP_CLI_AUTH,          /* lines answering 334s (smtp_auth.c) */
};

/* Server direction (s->srv_state). */
enum smtp_srv_state {
	SMTP_SRV_REPLY = 0,     /* reply lines */
	SMTP_SRV_CLOSED,
};

/*
 * End-of-data matcher (s->dot_state), RFC 5321 sections 4.1.1.4 and 4.5.2.
 * Only the canonical <CRLF>.<CRLF> ends the data; the CRLF belongs to the
 * message. A line start reached through a bare LF has its own state
 * (SMTP_DOT_LF); smtp_data.c adds the states after a dot that follows a
 * bare LF or CR, where the smuggling sequences (<LF>.<LF>, <CR>.<CR>, ...)
 * are reported without changing the canonical path.
 */
enum smtp_dot_state {
	SMTP_DOT_BOL = 0,       /* canonical line start (or the message start) */
	SMTP_DOT_TEXT,          /* inside a line, last byte not CR */
	SMTP_DOT_CR,            /* last byte was CR */
	SMTP_DOT_DOT,           /* line start then '.': the dot is held back */
	SMTP_DOT_DOT_CR,        /* line start ".\r": both held; LF ends data */
	SMTP_DOT_LF,            /* after a bare LF: not a line start for us */
};

/* FIFO entry: verb | tag << 5. A tag is tx id % 7; 7 marks an entry whose
 * tx is gone (its reply is reported with tx NULL). */
#define SMTP_PEND_VERB_MASK  0x1fu
#define SMTP_PEND_TAG_SHIFT  5
#define SMTP_PEND_TAG_STALE  7u
#define SMTP_TX_TAG(id)      ((uint8_t)((id) % 7u))

_Static_assert(SMTP_VERB_COUNT <= 32, "verb must fit the FIFO entry");
_Static_assert(SMTP_PENDING_MAX <= 255, "pend_head/pend_count are uint8_t");

/* smtp_tx anom_done: once-per-tx anomalies already decided. */
#define SMTP_TXA_RCPT_CHECKED 0x01u  /* data_without_rcpt decided */
#define SMTP_TXA_SIZE         0x02u  /* message_size_exceeded raised */
#define SMTP_TXA_BDAT_SIZE    0x04u  /* bdat_size_exceeded raised */

/* One client command line, CRLF removed. */
struct smtp_cmd {
	enum smtp_verb verb;
	const uint8_t *line;    /* whole line */
	size_t len;
	const uint8_t *arg;     /* after the verb, blanks trimmed both ends */
	size_t arg_len;
	bool deferred;          /* its effect waits for the reply (s->defer) */
	bool queued;            /* it got a FIFO entry (the tail) */
};

/* Verb flags. */
#define SMTP_VF_NEW_TX  0x01u   /* starts a tx: a tx with content ends first */
#define SMTP_VF_TX_REPLY 0x02u  /* its reply belongs in the tx record */

struct smtp_verb_def {
	const char *name;       /* upper case, as matched on the wire */
	uint8_t name_len;
	uint8_t flags;
	/* After the COMMAND event and the FIFO push. */
	void (*on_command)(struct smtp_session *s, const struct smtp_cmd *c);
	/* After the REPLY event. tx: the open tx the command belongs to, or
	 * NULL when that tx has ended. line: the final reply line. */
	void (*on_reply)(struct smtp_session *s, struct smtp_tx *tx,
			 uint16_t code, const uint8_t *line, size_t len);
};

extern const struct smtp_verb_def smtp_verbs[SMTP_VERB_COUNT];

/* --- smtp.c --- */
void smtp_emit(struct smtp_session *s, enum smtp_event_kind kind,
	       enum smtp_verb verb, uint16_t code, const uint8_t *data,
	       size_t len, const struct smtp_tx *tx);
void smtp_anomaly(struct smtp_session *s, const char *name);
/* Pool or arena empty: count no_memory and raise it. */
void smtp_no_memory(struct smtp_session *s);
/* s->tx while it is open, else NULL (for ev->tx). */
const struct smtp_tx *smtp_current_tx(const struct smtp_session *s);
/* Copy into an arena; cut to what one arena object can hold. On failure or
 * cut: no_memory counted and raised; *dst is {NULL, 0} on failure. */
void smtp_strdup(struct smtp_session *s, struct mt_arena *a,
		 struct smtp_str *dst, const uint8_t *p, size_t len);
/* Largest object an arena of this session can hold. */
size_t smtp_arena_room(const struct smtp_session *s);
bool smtp_tx_has_content(const struct smtp_tx *tx);
/* REJECTED when MAIL or DATA was refused, else otherwise. */
enum smtp_tx_state smtp_tx_verdict(const struct smtp_tx *tx,
				   enum smtp_tx_state otherwise);
/* Will the server's replies be seen? A server byte (or gap) was seen, its
 * direction has not ended and TLS has not started. */
bool smtp_replies_expected(const struct smtp_session *s);
/* End an OPEN or closed-waiting tx: TX_END if it has content, arena back
 * to the pool (tx_done: the slot is free again). */
void smtp_tx_end(struct smtp_session *s, struct smtp_tx *tx,
		 enum smtp_tx_state st);
/* End a tx as it stands: an OPEN one INCOMPLETE, a closed one in its own
 * state; REJECTED when MAIL or DATA was refused. */
void smtp_tx_end_as_is(struct smtp_session *s, struct smtp_tx *tx);
/* A command ends s->tx with state st (final verdict at logging). It waits,
 * closed, while replies it is owed are queued; else it ends now. No-op
 * unless s->tx is OPEN. */
void smtp_tx_close(struct smtp_session *s, enum smtp_tx_state st);
/* After a reply: log the closed txs that are owed nothing more. */
void smtp_tx_settle(struct smtp_session *s);
/* Before a client command: begin a new tx if the current one has ended,
 * is closed or has sent its data (those two move to tx_done). */
void smtp_tx_for_command(struct smtp_session *s);
/* Close the current tx (it has content) and begin the next one. */
void smtp_tx_restart(struct smtp_session *s, enum smtp_tx_state st);
/* Queue a command (or DATA_END) of the current tx awaiting its reply.
 * Returns false when the FIFO is full (counted, not queued). */
bool smtp_pending_push(struct smtp_session *s, enum smtp_verb verb);
/* Oldest entry, or false when none is waiting. *deferred: it is the entry
 * of the deferred command (s->defer), whose reply decides its effect. */
bool smtp_pending_pop(struct smtp_session *s, enum smtp_verb *verb,
		      struct smtp_tx **tx, bool *deferred);
/* Give the queued entry at pos (from the head) the tag of tx id. */
void smtp_pending_retag_at(struct smtp_session *s, unsigned pos, uint32_t id);
/* Change the verb of the newest entry (tag kept). */
void smtp_pending_set_tail_verb(struct smtp_session *s, enum smtp_verb verb);
/* Verb of the oldest entry, SMTP_VERB_NONE when none is waiting. */
enum smtp_verb smtp_pending_head(const struct smtp_session *s);

/* --- smtp_cmd.c --- */
/* wire_len: the line's length as sent, its CRLF or LF included (for
 * command_line_too_long; the line itself may be cut to max_line). */
void smtp_cmd_line(struct smtp_session *s, const uint8_t *p, size_t len,
		   bool truncated, uint64_t wire_len);
/* A command line lost to an empty pool: keeps the FIFO in step. */
void smtp_cmd_lost(struct smtp_session *s);
/* The first line after a client gap: does it start with a known verb
 * followed by a space or the line end (then it is parsed as a command)? */
bool smtp_cmd_resync_ok(const uint8_t *p, size_t len);
/* The reply to the deferred command: 2xx applies its effect, anything
 * else drops it. */
void smtp_defer_reply(struct smtp_session *s, uint16_t code);
/* No reply will decide it (another deferred command comes, or the server
 * is gone): apply the deferred command as if accepted. No-op when none. */
void smtp_defer_force(struct smtp_session *s);

/* data_without_rcpt: the check at DATA or the first valid BDAT of the
 * tx when no reply will decide it (no RCPT sent at all), and at the
 * first reply to them otherwise (no RCPT got a 2xx). Once per tx. */
void smtp_rcpt_check_command(struct smtp_session *s, const struct smtp_cmd *c);
void smtp_rcpt_check_reply(struct smtp_session *s, struct smtp_tx *tx);

/* --- smtp_data.c --- */
/* Data mode starts (DATA): the message start is a line start. */
void smtp_data_begin(struct smtp_session *s);
/* Message content; returns the bytes used (up to and including the final
 * <CRLF>.<CRLF>, or all of them). */
size_t smtp_data_feed(struct smtp_session *s, const uint8_t *p, size_t n);
/* SMTP_EV_DATA_RAW for the DATA bytes fed since s->raw_at, up to end. */
void smtp_data_raw(struct smtp_session *s, const uint8_t *end);
/* A gap in the content: the line position is unknown. */
void smtp_data_gap(struct smtp_session *s);
/* BDAT command with its argument (RFC 3030 section 2): starts the chunk. */
void smtp_bdat_command(struct smtp_session *s, const struct smtp_cmd *c);
/* Chunk octets; returns the bytes used (at most s->bdat_left). */
size_t smtp_bdat_feed(struct smtp_session *s, const uint8_t *p, size_t n);
/* len chunk octets lost; returns how many of them were past the chunk. */
uint64_t smtp_bdat_gap(struct smtp_session *s, uint64_t len);
/* The verdict on the LAST chunk came while octets were still due (lost
 * or miscounted): the chunk ends now. */
void smtp_bdat_cut(struct smtp_session *s);

/* --- smtp_auth.c --- */
/* AUTH command (RFC 4954 section 4). */
void smtp_auth_command(struct smtp_session *s, const struct smtp_cmd *c);
/* A client line in SMTP_CLI_AUTH (CRLF included if present). */
void smtp_auth_line(struct smtp_session *s, const uint8_t *p, size_t len);
/* A 334 to AUTH: the server wants one more client line (also after the
 * count the mechanism needs, e.g. an OAUTHBEARER error challenge). */
void smtp_auth_challenge(struct smtp_session *s);
/* The final (non-334) reply to AUTH. */
void smtp_auth_reply(struct smtp_session *s, uint16_t code);
/* No reply will come: report the exchange as it stands. */
void smtp_auth_flush(struct smtp_session *s);
/* Length of the AUTH command line shown in the COMMAND event: up to the
 * end of the mechanism (an initial response is a credential). */
size_t smtp_auth_visible_len(const uint8_t *p, size_t len);

/* --- smtp_reply.c --- */
void smtp_reply_line(struct smtp_session *s, const uint8_t *p, size_t len,
		     bool truncated);

#endif
