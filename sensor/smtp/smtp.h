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
 * raises an anomaly instead of growing.
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

struct smtp_tx {
	uint32_t id;             /* 0, 1, ... within the session */
	uint8_t state;           /* enum smtp_tx_state */
	bool mail_seen, data_seen, data_done;
	bool gap;                /* bytes of this tx were lost */
	struct smtp_str mail_from;           /* argument after "MAIL FROM:" */
	uint16_t mail_reply_code;
	struct smtp_rcpt *rcpt;              /* array in the tx arena */
	uint32_t rcpt_count, rcpt_cap;
	uint32_t rcpt_dropped;               /* over config max_rcpt */
	uint32_t rcpt_replies;               /* RCPT replies seen: the next one
					      * answers rcpt[rcpt_replies] */
	uint64_t data_bytes;                 /* message bytes after unstuffing */
	uint16_t data_reply_code;            /* reply to DATA (354 / 5xx) */
	uint16_t end_reply_code;             /* reply to the "." */
	struct smtp_str end_reply;           /* its text, e.g. "2.0.0 Ok: queued as X" */
	struct mt_arena arena;               /* strings of this tx */
};

/* Events, in the order they happen. */
enum smtp_event_kind {
	SMTP_EV_COMMAND,     /* verb, data/len = whole command line without CRLF */
	SMTP_EV_REPLY,       /* code, verb = command it answers; data = last line */
	SMTP_EV_HELO,        /* session helo set: data/len = the argument */
	SMTP_EV_MAIL_FROM,   /* tx mail_from set */
	SMTP_EV_RCPT_TO,     /* a recipient added: data/len = the argument */
	SMTP_EV_DATA_BEGIN,  /* message data starts */
	SMTP_EV_DATA,        /* data/len = message bytes (unstuffed, CRLFs kept) */
	SMTP_EV_DATA_END,    /* the terminating "." seen */
	SMTP_EV_TX_END,      /* tx finished; tx points to it (still valid) */
	SMTP_EV_TLS,         /* STARTTLS accepted: the rest is not parsed */
	SMTP_EV_ANOMALY,     /* anomaly = stable name, e.g. "line_too_long" */
};

struct smtp_event {
	enum smtp_event_kind kind;
	enum smtp_verb verb;
	uint16_t code;
	const uint8_t *data;
	size_t len;
	const struct smtp_tx *tx;   /* current tx, NULL if none */
	const char *anomaly;
};

struct smtp_session;
typedef void (*smtp_event_fn)(void *user, struct smtp_session *s,
			      const struct smtp_event *ev);

struct smtp_config {
	struct mt_blockpool *pool;  /* line buffers and arenas; block >= 1 KiB */
	uint32_t max_line;          /* longest command/reply line kept (<= block) */
	uint32_t max_rcpt;          /* recipients kept per tx (more are counted) */
	uint16_t max_tx_blocks;     /* arena cap per tx */
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
};

#define SMTP_PENDING_MAX 64

/* Per-direction line assembly. A line split across chunks is copied into a
 * pool block; a complete line inside one chunk is parsed in place. */
struct smtp_line {
	uint8_t *buf;               /* pool block or NULL */
	uint32_t len;
	bool overflow;              /* discarding until LF */
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
};

/* Start a session. stats may be shared by every session of a worker. */
void smtp_session_init(struct smtp_session *s, const struct smtp_config *cfg,
		       struct smtp_stats *stats);

/* Bytes of one direction, in order. */
void smtp_session_feed(struct smtp_session *s, enum smtp_dir dir,
		       const uint8_t *data, size_t len);

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
