/*
 * smtp — passive SMTP session parser (RFC 5321, RFC 2920 pipelining).
 *
 * One `struct smtp_session` per TCP connection, fed the reassembled bytes of
 * each direction in capture order. It is a resumable state machine per
 * direction: any split of the input into chunks gives the same events
 * (tests feed transcripts whole, byte by byte and split at every offset).
 *
 * Sessions and transactions are separate: the session holds the greeting,
 * HELO/EHLO, TLS state and the queue of commands awaiting replies; a
 * transaction (struct smtp_tx) holds one message's envelope, data size and
 * server verdict. Replies are matched to pipelined commands through a
 * bounded FIFO (RFC 2920 section 3.1: replies come in command order).
 *
 * Memory: no allocation. Bytes that must outlive a packet (a line split
 * across segments, the envelope strings) live in blocks and arenas from the
 * worker's `struct mt_blockpool`; when it is empty the parser truncates and
 * raises an anomaly instead of growing. Per session at most: two line
 * blocks, one for the helo, one for a deferred command, one for the EHLO
 * capabilities, one for the AUTH strings, and max_tx_blocks for each of
 * the two live transactions.
 *
 * Events go to one callback. Slices in an event are valid only during the
 * callback; strings stored in the session/tx (helo, mail_from, rcpt) stay
 * valid until the transaction (helo: the session) ends.
 *
 * Replies decide (RFC 5321 section 4.1.4): once the server side has been
 * seen, a HELO/EHLO and a MAIL inside a transaction take effect only when
 * the server accepts them (2xx); a refused one changes nothing. A
 * transaction ended by a command while replies to its own commands are
 * still due is logged when they have arrived. Without the server side (a
 * one-sided capture) every command takes effect when sent. smtp_cmd.c
 * says exactly when each event fires.
 *
 * DATA (RFC 5321 section 4.1.1.4): data mode starts when the client sends
 * DATA (a passive sensor may never see the 354, or see it late); if the
 * server then refuses DATA before any content arrived, data mode is left
 * and the transaction is marked rejected. Content is dot-unstuffed (section
 * 4.5.2) and handed on as DATA events without copying; the message ends at
 * <CRLF>.<CRLF> however the segments split it.
 *
 * BDAT (RFC 3030): "BDAT <size> [LAST]" is followed by exactly <size>
 * octets, taken as message data whatever they hold (no terminator, no
 * unstuffing; a chunk may end mid-line) and delivered as the same
 * DATA_BEGIN (first BDAT of the tx) / DATA (verb BDAT) / DATA_END (after
 * the LAST chunk) events. Octets follow a BDAT even when the server
 * refuses it; a BDAT whose size cannot be read (invalid_bdat) carries
 * none. The reply to the LAST chunk is the verdict (REPLY verb
 * SMTP_VERB_BDAT_LAST): end_reply_code/end_reply, COMPLETE or REJECTED; a
 * 4xx/5xx to an earlier chunk makes the tx REJECTED.
 *
 * AUTH (RFC 4954): the mechanism and the user name are kept in the
 * session, never a password; the client's lines answering 334 challenges
 * are not commands (no COMMAND event), and the COMMAND event of an AUTH
 * line stops after the mechanism. SMTP_EV_AUTH gives the outcome.
 *
 * The greeting's banner and the capabilities of a 2xx EHLO reply are
 * kept in the session (SMTP_EV_EHLO_CAPS); MAIL parameters in the tx.
 *
 * Anomalies (SMTP_EV_ANOMALY, one per occurrence: the caller counts them
 * per name and logs each name once per flow; smtp_stats.anomalies is the
 * total). They only report: the line or command is
 * parsed as it would be without them.
 *  - Lines (RFC 5321 section 4.5.3.1): command_line_too_long,
 *    reply_line_too_long, data_line_too_long: a line longer than
 *    max_command_len / max_reply_len / max_text_line octets as sent, its
 *    CRLF included (a DATA line: not counting a leading dot, section
 *    4.5.3.1.6; a line of a BDAT chunk is never judged). line_too_long
 *    stays the line longer than max_line, cut. bare_lf: a command, AUTH
 *    response or reply line ended by LF without CR (section 2.3.8); in
 *    DATA content a bare LF is reported only next to a dot (smuggling_*).
 *  - Commands: unknown_command (a well-formed verb that is not a known
 *    one), invalid_command (not a command: empty, or a verb that is not
 *    a letter followed by letters, digits or '-'); mail_without_helo
 *    (MAIL before any HELO/EHLO, once per session, only when the
 *    session's start was seen: see smtp_cmd.c).
 *  - Transactions: data_without_rcpt (DATA or BDAT when no recipient was
 *    accepted), message_size_exceeded (the message grew past its MAIL
 *    SIZE= or the server's EHLO SIZE), bdat_size_exceeded (a BDAT chunk
 *    larger than what is left of that size): each once per tx.
 */
#ifndef MT_SMTP_H
#define MT_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../blockpool.h"

enum smtp_dir {
	SMTP_DIR_TO_SERVER = 0,  /* client commands and message data */
	SMTP_DIR_TO_CLIENT = 1,  /* server replies */
};

enum smtp_verb {
	SMTP_VERB_NONE = 0,      /* no command (e.g. the greeting's "reply") */
	SMTP_VERB_UNKNOWN,
	SMTP_VERB_HELO, SMTP_VERB_EHLO, SMTP_VERB_MAIL, SMTP_VERB_RCPT,
	SMTP_VERB_DATA, SMTP_VERB_BDAT, SMTP_VERB_RSET, SMTP_VERB_NOOP,
	SMTP_VERB_QUIT, SMTP_VERB_VRFY, SMTP_VERB_EXPN, SMTP_VERB_HELP,
	SMTP_VERB_STARTTLS, SMTP_VERB_AUTH, SMTP_VERB_ETRN, SMTP_VERB_TURN,
	SMTP_VERB_ATRN, SMTP_VERB_XCLIENT, SMTP_VERB_XFORWARD,
	SMTP_VERB_DATA_END,      /* pseudo-command: the "." ending message data */
	SMTP_VERB_BDAT_LAST,     /* pseudo-command: a BDAT ... LAST, whose reply
				  * is the message's verdict (REPLY verb) */
	SMTP_VERB_COUNT,
};

/* Upper-case name of a verb ("MAIL"; "UNKNOWN"; "DATA_END"). */
const char *smtp_verb_name(enum smtp_verb v);

enum smtp_tx_state {
	SMTP_TX_OPEN = 0,        /* still running */
	SMTP_TX_COMPLETE,        /* message data accepted (2xx after ".") */
	SMTP_TX_REJECTED,        /* MAIL/DATA or the message refused */
	SMTP_TX_ABORTED,         /* RSET, HELO/EHLO, QUIT before completion */
	SMTP_TX_INCOMPLETE,      /* the connection ended first */
};
const char *smtp_tx_state_name(enum smtp_tx_state s);

struct smtp_str {
	const char *ptr;         /* NUL-terminated copy in an arena, or NULL */
	uint32_t len;
};

struct smtp_rcpt {
	struct smtp_str addr;    /* as sent, e.g. "<bob@example.org>" */
	uint16_t reply_code;     /* 0 until the reply is seen */
};

/* MAIL BODY= (RFC 6152 8BITMIME, RFC 3030 BINARYMIME). */
enum smtp_body {
	SMTP_BODY_NONE = 0,      /* no BODY= parameter */
	SMTP_BODY_7BIT, SMTP_BODY_8BITMIME, SMTP_BODY_BINARYMIME,
	SMTP_BODY_OTHER,         /* an unknown value */
};
/* MAIL RET= (RFC 3461 section 4.3). */
enum smtp_ret { SMTP_RET_NONE = 0, SMTP_RET_FULL, SMTP_RET_HDRS, SMTP_RET_OTHER };

struct smtp_tx {
	uint32_t id;             /* 0, 1, ... within the session */
	uint8_t state;           /* enum smtp_tx_state */
	bool mail_seen, data_seen, data_done;
	bool gap;                /* bytes of this tx were lost */
	/* BDAT (RFC 3030): the message came in chunks (data_seen is set too;
	 * data_done after the LAST chunk). chunks counts BDAT commands with a
	 * valid size, LAST included. data_reply_code is then the first 4xx/5xx
	 * to a BDAT (the tx failed), else the last reply to a non-LAST BDAT. */
	bool bdat;
	uint32_t chunks;
	struct smtp_str mail_from;           /* argument after "MAIL FROM:" */
	uint16_t mail_reply_code;
	/* MAIL parameters (RFC 5321 section 4.1.1.2 esmtp-param), as accepted
	 * with the MAIL that began the tx: SIZE= (RFC 1870; mail_size_set
	 * when a valid number), BODY=, SMTPUTF8 (RFC 6531), AUTH= (RFC 4954
	 * section 5), RET= and ENVID= (RFC 3461). Strings cut to 255 bytes. */
	bool mail_size_set, mail_smtputf8;
	uint8_t mail_body;                   /* enum smtp_body */
	uint8_t mail_ret;                    /* enum smtp_ret */
	uint64_t mail_size;
	struct smtp_str mail_auth, mail_envid;
	struct smtp_rcpt *rcpt;              /* array in the tx arena */
	uint32_t rcpt_count, rcpt_cap;
	uint32_t rcpt_dropped;               /* over config max_rcpt */
	uint32_t rcpt_replies;               /* RCPT replies seen: the next one
					      * answers rcpt[rcpt_replies] */
	uint64_t data_bytes;                 /* message bytes after unstuffing */
	uint16_t data_reply_code;            /* reply to DATA (354 / 5xx) */
	uint16_t end_reply_code;             /* reply to the "." */
	struct smtp_str end_reply;           /* its text, e.g. "2.0.0 Ok: queued as X" */
	uint32_t rcpt_accepted;              /* RCPT replies that were 2xx (the
					      * dropped recipients' too) */
	struct mt_arena arena;               /* strings of this tx */
	/* Private to sensor/smtp/: the chunk sizes of its valid BDATs
	 * (saturating) and which once-per-tx anomalies were decided. */
	uint64_t bdat_announced;
	uint8_t anom_done;
};

/* Events, in the order they happen. */
enum smtp_event_kind {
	SMTP_EV_COMMAND,     /* verb, data/len = whole command line without CRLF */
	SMTP_EV_REPLY,       /* code, verb = command it answers; data = last line */
	SMTP_EV_HELO,        /* session helo set: data/len = the argument */
	SMTP_EV_MAIL_FROM,   /* tx mail_from set */
	SMTP_EV_RCPT_TO,     /* a recipient added: data/len = the argument */
	SMTP_EV_DATA_BEGIN,  /* message data starts */
	SMTP_EV_DATA,        /* data/len = message bytes (unstuffed, CRLFs kept);
			      * verb DATA (content after DATA) or BDAT (chunk) */
	SMTP_EV_DATA_END,    /* the terminating "." seen (or the LAST chunk's
			      * last octet); data = just past it in the bytes
			      * being fed (len 0), NULL when not in them */
	SMTP_EV_TX_END,      /* tx finished; tx points to it (still valid) */
	SMTP_EV_TLS,         /* STARTTLS accepted: the rest is not parsed */
	SMTP_EV_ANOMALY,     /* anomaly = stable name, e.g. "line_too_long" */
	/* An AUTH exchange's outcome is known (its final reply; or, with no
	 * server side seen, when the client's part ended): code = the reply
	 * (0 when none), data/len = the mechanism; the session's auth_* fields
	 * hold mechanism, user, reply and state. */
	SMTP_EV_AUTH,
	/* A 2xx reply to EHLO was parsed: the session's ehlo_* fields hold
	 * its capabilities (after the REPLY and the HELO event). */
	SMTP_EV_EHLO_CAPS,
	/* Frames (Suricata's smtp.command_line / response_line / data): a
	 * client line outside message data (a command or an AUTH response,
	 * after it was parsed) and a server line (before it is parsed: the
	 * reply that ends a transaction is still in it). data/len = the line
	 * as sent with its line end, or its kept start when it was cut
	 * (truncated) or its end is not in the bytes being fed; wire_len = its
	 * length on the wire; end = just past its LF in the bytes being fed.
	 * A line the end of its direction cut short (no LF) comes too, at
	 * smtp_session_eof(): truncated, end NULL. */
	SMTP_EV_CLIENT_LINE,
	SMTP_EV_SERVER_LINE,
	/* data/len = message bytes as sent, dot-stuffing and the terminating
	 * line included, before their SMTP_EV_DATA_END (DATA only: a BDAT
	 * chunk's bytes are its SMTP_EV_DATA). */
	SMTP_EV_DATA_RAW,
};

struct smtp_event {
	enum smtp_event_kind kind;
	enum smtp_verb verb;
	uint16_t code;
	const uint8_t *data;
	size_t len;
	const struct smtp_tx *tx;   /* current tx, NULL if none */
	const char *anomaly;
	/* line frames only */
	uint64_t wire_len;
	const uint8_t *end;
	bool truncated;
};

struct smtp_session;
typedef void (*smtp_event_fn)(void *user, struct smtp_session *s,
			      const struct smtp_event *ev);

struct smtp_config {
	struct mt_blockpool *pool;  /* line buffers and arenas; block >= 1 KiB */
	uint32_t max_line;          /* longest command/reply line kept (<= block) */
	uint32_t max_rcpt;          /* recipients kept per tx (more are counted) */
	uint16_t max_tx_blocks;     /* arena cap per tx */
	/* RFC 5321 section 4.5.3.1 line limits, in octets with the CRLF; a
	 * longer line raises an anomaly (and is parsed all the same). 0 =
	 * not checked. Usual: 512 (4.5.3.1.4; a MAIL line gets the room its
	 * SIZE=, SMTPUTF8 and AUTH= parameters add), 512 (4.5.3.1.5), 1000
	 * (4.5.3.1.6, DATA content lines, a leading dot not counted). */
	uint32_t max_command_len;   /* command_line_too_long */
	uint32_t max_reply_len;     /* reply_line_too_long */
	uint32_t max_text_line;     /* data_line_too_long */
	smtp_event_fn on_event;
	void *user;
};

/* Per-worker counters, updated by every session that shares the config. */
struct smtp_stats {
	uint64_t sessions, commands, replies, transactions;
	uint64_t pipelined;         /* commands sent before the previous reply */
	uint64_t unmatched_replies;
	uint64_t pending_overflow;  /* command FIFO full */
	uint64_t lines_too_long;
	uint64_t no_memory;         /* pool empty: a line or string was cut */
	uint64_t gaps;
	uint64_t anomalies;
	uint64_t bdat_chunks;       /* BDAT commands with a valid size */
	uint64_t bdat_bytes;        /* chunk octets consumed */
	uint64_t auth;              /* AUTH exchanges */
	uint64_t auth_success, auth_failure;
	uint64_t unknown_commands;  /* lines with an unknown verb */
	uint64_t ehlo_caps_cut;     /* EHLO replies with more capabilities
				     * than are kept */
	uint64_t midstream_lines;   /* lines set aside at a midstream pickup */
};

/* AUTH exchange state (session auth_state). */
enum smtp_auth_state {
	SMTP_AUTH_NONE = 0,         /* no AUTH sent */
	SMTP_AUTH_PENDING,          /* sent, outcome not known */
	SMTP_AUTH_SUCCESS,          /* 235 (RFC 4954 section 6) */
	SMTP_AUTH_FAILURE,          /* 4xx/5xx */
	SMTP_AUTH_CANCELLED,        /* the client sent "*" (section 4) */
};
const char *smtp_auth_state_name(enum smtp_auth_state st);

/* Well-known EHLO keywords (session ehlo_flags). */
#define SMTP_CAP_PIPELINING  0x0001u  /* RFC 2920 */
#define SMTP_CAP_SIZE        0x0002u  /* RFC 1870 */
#define SMTP_CAP_8BITMIME    0x0004u  /* RFC 6152 */
#define SMTP_CAP_CHUNKING    0x0008u  /* RFC 3030 */
#define SMTP_CAP_BINARYMIME  0x0010u  /* RFC 3030 */
#define SMTP_CAP_STARTTLS    0x0020u  /* RFC 3207 */
#define SMTP_CAP_AUTH        0x0040u  /* RFC 4954 */
#define SMTP_CAP_SMTPUTF8    0x0080u  /* RFC 6531 */
#define SMTP_CAP_DSN         0x0100u  /* RFC 3461 */
#define SMTP_CAP_ENHANCEDSTATUSCODES 0x0200u  /* RFC 2034 */
#define SMTP_CAP_PRDR        0x0400u
#define SMTP_CAP_XCLIENT     0x0800u
#define SMTP_CAP_ETRN        0x1000u  /* RFC 1985 */

#define SMTP_EHLO_CAPS_MAX   32       /* keywords kept per EHLO reply */
#define SMTP_BANNER_MAX      95       /* greeting bytes kept */

#define SMTP_PENDING_MAX 64

/* Per-direction line assembly. A line split across chunks is copied into a
 * pool block; a complete line inside one chunk is parsed in place. */
struct smtp_line {
	uint8_t *buf;               /* pool block or NULL */
	uint32_t len;
	bool overflow;              /* discarding until LF */
	bool last_cr;               /* the last byte seen was a CR */
	uint32_t seen;              /* bytes of the line so far, kept or not
				     * (saturating) */
};

struct smtp_session {
	const struct smtp_config *cfg;
	struct smtp_stats *stats;
	uint8_t cli_state, srv_state;      /* private enums */
	bool tls;                          /* after STARTTLS: not parsed */
	bool greeting_seen;
	bool ehlo;                         /* last greeting was EHLO */
	bool gap_to_server, gap_to_client; /* resynchronising after a gap */
	uint8_t dot_state;                 /* DATA end-of-data matcher state */
	const uint8_t *raw_at;             /* DATA bytes fed not yet given as
					    * SMTP_EV_DATA_RAW (smtp.c) */
	/* SMTP smuggling, private to smtp_data.c: the command matcher at
	 * the line after a non-canonical end-of-data (smug_pos: 0 idle,
	 * else bytes matched + 1; smug_mask: words still possible) and
	 * whether this message reported smuggled_command already. */
	uint8_t smug_pos, smug_mask;
	bool smug_cmd_seen;
	struct smtp_line line[2];
	uint8_t pending[SMTP_PENDING_MAX]; /* FIFO: enum smtp_verb in the low
					    * 5 bits, a tx tag above (private) */
	uint8_t pend_head, pend_count;
	uint16_t reply_code;               /* multi-line reply being assembled */
	uint32_t tx_count;                 /* transactions started */
	uint32_t tx_logged;                /* TX_END events emitted */
	struct smtp_str helo;              /* in the session arena */
	struct mt_arena arena;             /* session strings (helo) */
	struct smtp_tx tx;                 /* the current transaction */
	/* The greeting's first line after the code ("mx.example ESMTP
	 * Postfix"), cut to SMTP_BANNER_MAX bytes; points into the session
	 * itself (no pool block), valid for the session. */
	struct smtp_str banner;
	/* The last 2xx reply to EHLO (RFC 5321 section 4.1.1.1): keywords
	 * with their parameters as sent, one per line joined by '\n'
	 * ("SIZE 52428800\nAUTH PLAIN LOGIN\nSTARTTLS"), at most
	 * SMTP_EHLO_CAPS_MAX of them and what one arena object holds
	 * (ehlo_caps_cut then). ehlo_flags: SMTP_CAP_*; ehlo_size: the SIZE
	 * parameter (0 if none). Replaced by the next EHLO reply; in
	 * caps_arena. */
	struct smtp_str ehlo_caps;
	uint16_t ehlo_caps_count;
	bool ehlo_caps_cut;
	uint32_t ehlo_flags;
	uint64_t ehlo_size;
	/* The last AUTH exchange (RFC 4954): mechanism upper-cased, the user
	 * name decoded from PLAIN (authentication identity, else the
	 * authorization identity), LOGIN (the first response), CRAM-MD5,
	 * XOAUTH2 ("user=") and OAUTHBEARER ("a="); never a password or
	 * token. auth_reply: the final reply code (0 until then). In
	 * auth_arena; replaced by the next AUTH. */
	struct smtp_str auth_mech, auth_user;
	uint16_t auth_reply;
	uint8_t auth_state;                /* enum smtp_auth_state */
	/* A tx that the client has moved on from while replies to its
	 * commands are still due (RFC 2920 pipelining): its data ended (".")
	 * and the verdict is awaited, or a command ended it (RSET, QUIT,
	 * HELO/EHLO, nested MAIL) before the replies to its MAIL/RCPT came.
	 * In use while done_busy. Its TX_END comes when those replies have
	 * arrived: use ev->tx, not s->tx, in TX_END. */
	struct smtp_tx tx_done;
	/* Fields below are private to sensor/smtp/ (smtp_int.h). */
	bool srv_seen;                     /* a server byte (or gap) seen */
	bool done_busy;                    /* tx_done holds a tx */
	bool mid_wait, mid_srv;            /* smtp_session_midstream() */
	uint8_t mid_dropped;
	bool tx_closing;                   /* s->tx ended by a command, not
					    * yet logged: replies still due */
	bool gap_next;                     /* client bytes lost between two
					    * txs: the next one has a gap */
	/* A HELO/EHLO or nested MAIL whose effect waits for its reply; one
	 * slot (verb SMTP_VERB_NONE when empty). */
	struct {
		uint8_t verb;              /* enum smtp_verb */
		uint8_t pos;               /* its FIFO entry, from the head */
		bool ends_tx;              /* HELO/EHLO sent in a tx with content */
		uint32_t tx_id;            /* s->tx.id when it was sent */
		struct smtp_str arg;       /* helo / mail_from, in arena */
		struct mt_arena arena;     /* one block at most */
	} defer;
	uint64_t bdat_left;                /* octets of the chunk still due */
	bool bdat_last;                    /* the chunk is the LAST one */
	uint16_t prdr_left;                /* PRDR per-recipient replies still due */
	bool auth_done;                    /* SMTP_EV_AUTH emitted */
	bool auth_wipe;                    /* the line held a credential */
	uint8_t auth_mech_id;              /* private: which mechanism */
	uint8_t auth_lines;                /* client responses still expected */
	uint8_t auth_step;                 /* client responses seen */
	bool ehlo_reply;                   /* an EHLO reply is being read */
	uint32_t caps_room;                /* bytes of the caps buffer */
	bool helo_sent;                    /* a HELO/EHLO command was seen */
	bool greeted;                      /* the server's greeting was a 220 */
	bool cli_gap_seen;                 /* client bytes were lost */
	bool mail_nohelo_done;             /* mail_without_helo was raised */
	/* DATA text-line check (smtp_data.c): bytes of the current line so
	 * far, whether it starts with a dot, whether it is over the limit
	 * (reported, or not judged after a gap) until its LF. */
	bool text_dot, text_over;
	uint64_t text_len;
	struct mt_arena caps_arena, auth_arena;  /* 1 block each, on use */
	char banner_buf[SMTP_BANNER_MAX + 1];
};

/* Start a session. stats may be shared by every session of a worker. */
void smtp_session_init(struct smtp_session *s, const struct smtp_config *cfg,
		       struct smtp_stats *stats);

/* Whether the client is sending a message after DATA: its next bytes are
 * content up to the line that ends it (a BDAT chunk is not asked about:
 * it ends by count, so bytes after it may be commands). */
bool smtp_session_in_data(const struct smtp_session *s);

/* Bytes of one direction, in order. */
void smtp_session_feed(struct smtp_session *s, enum smtp_dir dir,
		       const uint8_t *data, size_t len);

/*
 * The connection was picked up midstream (its handshake not captured):
 * the first bytes may be the middle of a line, a message or a reply. The
 * server's first line counts only if it reads as a reply line; the
 * client's lines are set aside (counted in midstream_lines) until the
 * server has sent a reply line, or the client a lone "." (the end of the
 * message the pickup fell into) — the points where the client is known
 * to be between commands (a capture that starts inside DATA would
 * otherwise take body lines such as "RCPT TO:..." for commands and put
 * every later reply out of step). With no server side after
 * SMTP_MIDSTREAM_LINES client lines (a one-sided capture), the client
 * resumes at its next line that starts with a known verb. Call before the
 * first byte is fed.
 */
#define SMTP_MIDSTREAM_LINES 16
void smtp_session_midstream(struct smtp_session *s);

/* len bytes of a direction are lost: the parser resynchronises (next line
 * boundary) and the transaction the client bytes belonged to is marked as
 * having a gap (in command mode too: a RCPT may be lost). After a client
 * gap in command mode, the first complete line is parsed only when it
 * starts with a known verb followed by a space or the line end; otherwise
 * it is dropped as the tail of a lost line. */
void smtp_session_gap(struct smtp_session *s, enum smtp_dir dir, uint64_t len);

/* No more bytes in this direction. When the server's direction ends, no
 * reply is awaited any more: a deferred HELO/EHLO/MAIL takes effect as if
 * accepted and transactions waiting for replies are logged. */
void smtp_session_eof(struct smtp_session *s, enum smtp_dir dir);

/* The connection is gone: an open transaction ends (TX_END with state
 * INCOMPLETE, or ABORTED after QUIT), and every block goes back to the
 * pool. The session must not be fed afterwards. */
void smtp_session_finish(struct smtp_session *s);

#endif
