/*
 * smtp.c — the session: feeding both directions, line assembly, the queue
 * of commands awaiting replies, the transaction lifecycle and event output.
 * Command semantics live in smtp_cmd.c, DATA content in smtp_data.c, reply
 * lines in smtp_reply.c (see smtp_int.h for the split and the invariants).
 *
 * Lines: a line that ends inside the chunk it started in is parsed in
 * place. Only a line that spans chunks is copied, into a pool block taken
 * for it and given back when its LF arrives, so an idle session holds no
 * block. A line keeps at most max_line bytes (everything before the LF, CR
 * included); the rest is dropped until the LF and line_too_long raised.
 * The line event happens when the LF arrives in every case, so any chunking
 * gives the same events.
 *
 * Transactions: s->tx is the current one. It begins implicitly with the
 * first command after the previous one ended. When the client sends a
 * command while the reply to its "." is still due (pipelining after the
 * data), the finished tx moves to s->tx_done and waits there for its
 * verdict; s->tx begins anew. Replies find their tx through the tag stored
 * with each queued command.
 */
#include "smtp_int.h"

#include <assert.h>
#include <string.h>

const char *smtp_tx_state_name(enum smtp_tx_state st)
{
	switch (st) {
	case SMTP_TX_OPEN: return "OPEN";
	case SMTP_TX_COMPLETE: return "COMPLETE";
	case SMTP_TX_REJECTED: return "REJECTED";
	case SMTP_TX_ABORTED: return "ABORTED";
	case SMTP_TX_INCOMPLETE: return "INCOMPLETE";
	}
	return "?";
}

/* ---- events ------------------------------------------------------------ */

void smtp_emit(struct smtp_session *s, enum smtp_event_kind kind,
	       enum smtp_verb verb, uint16_t code, const uint8_t *data,
	       size_t len, const struct smtp_tx *tx)
{
	struct smtp_event ev = {
		.kind = kind, .verb = verb, .code = code,
		.data = data, .len = len, .tx = tx,
	};

	if (s->cfg->on_event)
		s->cfg->on_event(s->cfg->user, s, &ev);
}

const struct smtp_tx *smtp_current_tx(const struct smtp_session *s)
{
	return s->tx.state == SMTP_TX_OPEN ? &s->tx : NULL;
}

void smtp_anomaly(struct smtp_session *s, const char *name)
{
	struct smtp_event ev = {
		.kind = SMTP_EV_ANOMALY, .tx = smtp_current_tx(s), .anomaly = name,
	};

	s->stats->anomalies++;
	if (s->cfg->on_event)
		s->cfg->on_event(s->cfg->user, s, &ev);
}

/* ---- memory ------------------------------------------------------------ */

size_t smtp_arena_room(const struct smtp_session *s)
{
	/* blockpool.h: an arena object is at most block_size - 16 bytes. */
	return s->cfg->pool->block_size - 16u;
}

void smtp_no_memory(struct smtp_session *s)
{
	s->stats->no_memory++;
	smtp_anomaly(s, "no_memory");
}

void smtp_strdup(struct smtp_session *s, struct mt_arena *a,
		 struct smtp_str *dst, const uint8_t *p, size_t len)
{
	size_t room = smtp_arena_room(s) - 1;    /* the NUL */
	bool cut = false;
	char *c;

	if (len > room) {
		len = room;
		cut = true;
	}
	c = mt_arena_memdup(a, p, len);
	if (!c) {
		dst->ptr = NULL;
		dst->len = 0;
		smtp_no_memory(s);
		return;
	}
	dst->ptr = c;
	dst->len = (uint32_t)len;
	if (cut)
		smtp_no_memory(s);
}

/* Bytes kept per line: the configured cap, never more than a block. */
static size_t max_line(const struct smtp_session *s)
{
	size_t m = s->cfg->max_line, bs = s->cfg->pool->block_size;

	if (m == 0 || m > bs)
		m = bs;
	return m < 8 ? 8 : m;
}

/* ---- transactions ------------------------------------------------------- */

static void tx_init(struct smtp_session *s, struct smtp_tx *tx, uint32_t id)
{
	memset(tx, 0, sizeof(*tx));
	tx->id = id;
	tx->state = SMTP_TX_OPEN;
	tx->arena.pool = s->cfg->pool;
	tx->arena.max_blocks = s->cfg->max_tx_blocks;
}

bool smtp_tx_has_content(const struct smtp_tx *tx)
{
	return tx->mail_seen || tx->data_seen || tx->rcpt_count ||
	       tx->rcpt_dropped;
}

enum smtp_tx_state smtp_tx_verdict(const struct smtp_tx *tx,
				   enum smtp_tx_state otherwise)
{
	if (tx->mail_reply_code >= 400 || tx->data_reply_code >= 400)
		return SMTP_TX_REJECTED;
	return otherwise;
}

static void tx_log(struct smtp_session *s, const struct smtp_tx *tx)
{
	s->tx_logged++;
	s->stats->transactions++;
	smtp_emit(s, SMTP_EV_TX_END, SMTP_VERB_NONE, 0, NULL, 0, tx);
}

void smtp_tx_end(struct smtp_session *s, struct smtp_tx *tx,
		 enum smtp_tx_state st)
{
	assert(tx->state == SMTP_TX_OPEN);
	tx->state = (uint8_t)st;
	if (smtp_tx_has_content(tx))
		tx_log(s, tx);
	/* The strings go with the arena; counts stay (they decide the next
	 * id and whether the session was logged). */
	mt_arena_reset(&tx->arena);
	tx->mail_from = (struct smtp_str){ 0 };
	tx->end_reply = (struct smtp_str){ 0 };
	tx->rcpt = NULL;
	tx->rcpt_cap = 0;
	if (tx == &s->tx_done)
		memset(tx, 0, sizeof(*tx));
}

/* Entries of tx (id - 7k) would be taken for the new tx's: mark them. */
static void pending_retag(struct smtp_session *s, uint8_t tag)
{
	for (unsigned i = 0; i < s->pend_count; i++) {
		uint8_t *e = &s->pending[(s->pend_head + i) % SMTP_PENDING_MAX];

		if ((*e >> SMTP_PEND_TAG_SHIFT) == tag)
			*e = (uint8_t)((*e & SMTP_PEND_VERB_MASK) |
				       SMTP_PEND_TAG_STALE << SMTP_PEND_TAG_SHIFT);
	}
}

static void tx_begin(struct smtp_session *s)
{
	uint32_t id = s->tx.id;

	/* An empty tx was never logged: its id is reused so the ids of
	 * logged transactions run 0, 1, 2 ... */
	if (smtp_tx_has_content(&s->tx)) {
		id = s->tx_count++;
		if (s->tx_done.data_done &&
		    SMTP_TX_TAG(s->tx_done.id) == SMTP_TX_TAG(id))
			smtp_tx_end(s, &s->tx_done, smtp_tx_verdict(&s->tx_done,
						SMTP_TX_INCOMPLETE));
		pending_retag(s, SMTP_TX_TAG(id));
	}
	tx_init(s, &s->tx, id);
}

void smtp_tx_for_command(struct smtp_session *s)
{
	if (s->tx.state != SMTP_TX_OPEN) {
		tx_begin(s);
	} else if (s->tx.data_done) {
		/* One tx can wait for its verdict; an older one still waiting
		 * (the server's replies are not seen) ends as it stands. */
		if (s->tx_done.data_done)
			smtp_tx_end(s, &s->tx_done, smtp_tx_verdict(&s->tx_done,
						SMTP_TX_INCOMPLETE));
		s->tx_done = s->tx;
		tx_begin(s);
	}
}

void smtp_tx_restart(struct smtp_session *s, enum smtp_tx_state st)
{
	smtp_tx_end(s, &s->tx, st);
	tx_begin(s);
}

/* ---- commands awaiting replies (RFC 2920 section 3.1) ------------------ */

/*
 * When the FIFO is full the new command is not queued (and counted): the
 * replies to the queued ones still arrive first and stay matched, whereas
 * dropping the oldest would shift every later match by one.
 */
void smtp_pending_push(struct smtp_session *s, enum smtp_verb verb)
{
	unsigned idx;

	if (s->pend_count >= SMTP_PENDING_MAX) {
		s->stats->pending_overflow++;
		smtp_anomaly(s, "pending_overflow");
		return;
	}
	idx = (s->pend_head + s->pend_count) % SMTP_PENDING_MAX;
	s->pending[idx] = (uint8_t)(verb |
				    SMTP_TX_TAG(s->tx.id) << SMTP_PEND_TAG_SHIFT);
	s->pend_count++;
}

bool smtp_pending_pop(struct smtp_session *s, enum smtp_verb *verb,
		      struct smtp_tx **tx)
{
	uint8_t e, tag;

	if (!s->pend_count)
		return false;
	e = s->pending[s->pend_head];
	s->pend_head = (uint8_t)((s->pend_head + 1) % SMTP_PENDING_MAX);
	s->pend_count--;
	*verb = (enum smtp_verb)(e & SMTP_PEND_VERB_MASK);
	assert(*verb < SMTP_VERB_COUNT);
	tag = e >> SMTP_PEND_TAG_SHIFT;
	*tx = NULL;
	if (tag == SMTP_PEND_TAG_STALE)
		return true;
	if (s->tx.state == SMTP_TX_OPEN && SMTP_TX_TAG(s->tx.id) == tag)
		*tx = &s->tx;
	else if (s->tx_done.data_done && SMTP_TX_TAG(s->tx_done.id) == tag)
		*tx = &s->tx_done;
	return true;
}

/* ---- lines ------------------------------------------------------------- */

struct line_view {
	const uint8_t *ptr;
	size_t len;
	bool truncated;         /* longer than max_line: CR not stripped */
	bool lost;              /* no block to hold it: content unknown */
};

static void line_too_long(struct smtp_session *s)
{
	s->stats->lines_too_long++;
	smtp_anomaly(s, "line_too_long");
}

static void line_release(struct smtp_session *s, enum smtp_dir dir)
{
	struct smtp_line *l = &s->line[dir];

	mt_block_put(s->cfg->pool, l->buf);
	l->buf = NULL;
	l->len = 0;
	l->overflow = false;
}

/* Keep the start of a line spanning chunks. overflow without a block means
 * the line is lost (pool empty); with one, that it was cut at max_line. */
static void line_append(struct smtp_session *s, enum smtp_dir dir,
			const uint8_t *p, size_t n)
{
	struct smtp_line *l = &s->line[dir];
	size_t room;

	if (l->overflow || n == 0)
		return;
	if (!l->buf) {
		l->buf = mt_block_get(s->cfg->pool);
		if (!l->buf) {
			l->overflow = true;
			smtp_no_memory(s);
			return;
		}
	}
	room = max_line(s) - l->len;
	if (n > room) {
		memcpy(l->buf + l->len, p, room);
		l->len += (uint32_t)room;
		l->overflow = true;
		line_too_long(s);
		return;
	}
	memcpy(l->buf + l->len, p, n);
	l->len += (uint32_t)n;
}

/*
 * Take the next line from p[0..n). Returns the bytes used; *ready tells
 * whether out holds a complete line (valid until line_release()).
 */
static size_t line_next(struct smtp_session *s, enum smtp_dir dir,
			const uint8_t *p, size_t n, struct line_view *out,
			bool *ready)
{
	struct smtp_line *l = &s->line[dir];
	bool *resync = dir == SMTP_DIR_TO_SERVER ? &s->gap_to_server
						 : &s->gap_to_client;
	const uint8_t *lf = memchr(p, '\n', n);
	size_t j;

	*ready = false;
	if (*resync) {
		/* After a gap the line position is unknown: drop everything
		 * up to the next LF. */
		if (!lf)
			return n;
		*resync = false;
		return (size_t)(lf - p) + 1;
	}
	if (!lf) {
		line_append(s, dir, p, n);
		return n;
	}
	j = (size_t)(lf - p);
	*ready = true;
	if (!l->buf && !l->overflow) {
		out->ptr = p;
		out->len = j;
		out->truncated = out->lost = false;
		if (j > max_line(s)) {
			out->len = max_line(s);
			out->truncated = true;
			line_too_long(s);
		}
		return j + 1;
	}
	line_append(s, dir, p, j);
	out->ptr = l->buf;
	out->len = l->len;
	out->truncated = l->overflow;
	out->lost = l->overflow && !l->buf;
	return j + 1;
}

/* ---- directions -------------------------------------------------------- */

static void cli_line(struct smtp_session *s, const struct line_view *lv)
{
	if (lv->lost)
		smtp_cmd_lost(s);
	else
		smtp_cmd_line(s, lv->ptr, lv->len, lv->truncated);
}

static void cli_feed(struct smtp_session *s, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && !s->tls) {
		if (s->cli_state == SMTP_CLI_DATA) {
			i += smtp_data_feed(s, p + i, n - i);
		} else if (s->cli_state == SMTP_CLI_CMD) {
			struct line_view lv;
			bool ready;

			i += line_next(s, SMTP_DIR_TO_SERVER, p + i, n - i, &lv, &ready);
			if (ready) {
				cli_line(s, &lv);
				line_release(s, SMTP_DIR_TO_SERVER);
			}
		} else {
			return;
		}
	}
}

static void srv_feed(struct smtp_session *s, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && !s->tls && s->srv_state == SMTP_SRV_REPLY) {
		struct line_view lv;
		bool ready;

		i += line_next(s, SMTP_DIR_TO_CLIENT, p + i, n - i, &lv, &ready);
		if (!ready)
			continue;
		/* A lost reply line cannot be told continuation from final:
		 * skipped (no_memory was raised). */
		if (!lv.lost)
			smtp_reply_line(s, lv.ptr, lv.len, lv.truncated);
		line_release(s, SMTP_DIR_TO_CLIENT);
	}
	if (s->tls) {
		/* RFC 3207 section 4.2: TLS starts after the 220; neither
		 * direction is SMTP any more. */
		line_release(s, SMTP_DIR_TO_SERVER);
		line_release(s, SMTP_DIR_TO_CLIENT);
	}
}

/* ---- public API -------------------------------------------------------- */

void smtp_session_init(struct smtp_session *s, const struct smtp_config *cfg,
		       struct smtp_stats *stats)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->stats = stats;
	s->cli_state = SMTP_CLI_CMD;
	s->srv_state = SMTP_SRV_REPLY;
	s->dot_state = SMTP_DOT_BOL;
	s->arena.pool = cfg->pool;
	s->arena.max_blocks = 1;        /* only the helo string lives here */
	tx_init(s, &s->tx, 0);
	s->tx_count = 1;
	stats->sessions++;
}

void smtp_session_feed(struct smtp_session *s, enum smtp_dir dir,
		       const uint8_t *data, size_t len)
{
	if (s->tls || len == 0)
		return;
	if (dir == SMTP_DIR_TO_SERVER)
		cli_feed(s, data, len);
	else
		srv_feed(s, data, len);
}

void smtp_session_gap(struct smtp_session *s, enum smtp_dir dir, uint64_t len)
{
	if (s->tls || len == 0)
		return;
	if (dir == SMTP_DIR_TO_SERVER) {
		if (s->cli_state == SMTP_CLI_CLOSED)
			return;
		s->stats->gaps++;
		if (s->cli_state == SMTP_CLI_DATA) {
			/* Only content loss marks the tx: a lost command
			 * shows as the replies no longer matching. */
			s->tx.gap = true;
			smtp_data_gap(s);
		} else {
			line_release(s, dir);
			s->gap_to_server = true;
		}
	} else {
		if (s->srv_state == SMTP_SRV_CLOSED)
			return;
		s->stats->gaps++;
		line_release(s, dir);
		s->gap_to_client = true;
		s->reply_code = 0;
	}
}

void smtp_session_eof(struct smtp_session *s, enum smtp_dir dir)
{
	struct smtp_line *l = &s->line[dir];
	/* A peer that dies mid-line: what it sent is still a line (the line
	 * parsers drop the CR of a CRLF whose LF never came). A line lost to
	 * an empty pool is not. */
	bool partial = !s->tls && l->len > 0 &&
		       !(dir == SMTP_DIR_TO_SERVER ? s->gap_to_server
						   : s->gap_to_client);
	size_t len = l->len;

	if (dir == SMTP_DIR_TO_SERVER) {
		if (s->cli_state == SMTP_CLI_CLOSED)
			return;
		if (partial && s->cli_state == SMTP_CLI_CMD)
			smtp_cmd_line(s, l->buf, len, l->overflow);
		/* In data mode the message stays incomplete (finish says so). */
		s->cli_state = SMTP_CLI_CLOSED;
	} else {
		if (s->srv_state == SMTP_SRV_CLOSED)
			return;
		if (partial)
			smtp_reply_line(s, l->buf, len, l->overflow);
		s->srv_state = SMTP_SRV_CLOSED;
	}
	line_release(s, dir);
}

void smtp_session_finish(struct smtp_session *s)
{
	smtp_session_eof(s, SMTP_DIR_TO_SERVER);
	smtp_session_eof(s, SMTP_DIR_TO_CLIENT);
	if (s->tx_done.data_done)
		smtp_tx_end(s, &s->tx_done,
			    smtp_tx_verdict(&s->tx_done, SMTP_TX_INCOMPLETE));
	if (s->tx.state == SMTP_TX_OPEN)
		smtp_tx_end(s, &s->tx, smtp_tx_verdict(&s->tx, SMTP_TX_INCOMPLETE));
	/* Every session is logged once, even one that never got to MAIL
	 * (EHLO + QUIT, a scanner, STARTTLS). */
	if (s->tx_logged == 0)
		tx_log(s, &s->tx);
	mt_arena_reset(&s->arena);
	s->helo = (struct smtp_str){ 0 };
	line_release(s, SMTP_DIR_TO_SERVER);
	line_release(s, SMTP_DIR_TO_CLIENT);
}
