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
 * gives the same events. Whatever is kept, the line's length as sent and
 * whether a CR came before its LF are tracked across chunks: they decide
 * command_line_too_long / reply_line_too_long (RFC 5321 section
 * 4.5.3.1) and bare_lf (section 2.3.8), raised after line_too_long and
 * before anything the line itself causes.
 *
 * Transactions: s->tx is the current one. It begins implicitly with the
 * first command after the previous one ended. A tx can outlive the
 * client's interest in it while replies it is owed are on their way
 * (RFC 2920 pipelining): after its "." (the verdict is due), or when RSET,
 * QUIT, an accepted HELO/EHLO or nested MAIL ended it before the replies
 * to its MAIL/RCPTs came ("closed": state set, not logged). Such a tx
 * stays in s->tx until the next command, then moves to s->tx_done; it is
 * logged (TX_END) when its last owed reply arrives, when the server's
 * direction ends, at finish, or when the slot is needed for a newer one
 * (then as it stands). At most two txs are live: s->tx and s->tx_done.
 * Replies find their tx through the tag stored with each queued command.
 * Without the server side (nothing from it seen), nothing waits.
 */
#include "smtp_int.h"

#include <assert.h>
#include <ctype.h>
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

bool smtp_replies_expected(const struct smtp_session *s)
{
	return s->srv_seen && s->srv_state == SMTP_SRV_REPLY && !s->tls;
}

static void tx_log(struct smtp_session *s, const struct smtp_tx *tx)
{
	s->tx_logged++;
	s->stats->transactions++;
	smtp_emit(s, SMTP_EV_TX_END, SMTP_VERB_NONE, 0, NULL, 0, tx);
}

/* Closed by a command, not logged yet. */
static bool tx_closed_waiting(const struct smtp_session *s,
			      const struct smtp_tx *tx)
{
	if (tx == &s->tx)
		return s->tx_closing;
	return s->done_busy && tx->state != SMTP_TX_OPEN;
}

void smtp_tx_end(struct smtp_session *s, struct smtp_tx *tx,
		 enum smtp_tx_state st)
{
	assert(tx->state == SMTP_TX_OPEN || tx_closed_waiting(s, tx));
	tx->state = (uint8_t)st;
	if (tx == &s->tx)
		s->tx_closing = false;
	if (smtp_tx_has_content(tx))
		tx_log(s, tx);
	/* The strings go with the arena; counts stay (they decide the next
	 * id and whether the session was logged). */
	mt_arena_reset(&tx->arena);
	tx->mail_from = (struct smtp_str){ 0 };
	tx->mail_auth = tx->mail_envid = (struct smtp_str){ 0 };
	tx->end_reply = (struct smtp_str){ 0 };
	tx->rcpt = NULL;
	tx->rcpt_cap = 0;
	if (tx == &s->tx_done) {
		memset(tx, 0, sizeof(*tx));
		s->done_busy = false;
	}
}

void smtp_tx_end_as_is(struct smtp_session *s, struct smtp_tx *tx)
{
	enum smtp_tx_state st = tx->state == SMTP_TX_OPEN
				? SMTP_TX_INCOMPLETE
				: (enum smtp_tx_state)tx->state;

	smtp_tx_end(s, tx, smtp_tx_verdict(tx, st));
}

/* Is a reply that belongs in tx's record still queued? Only the tx's own
 * tag is looked for: tx is s->tx or s->tx_done, whose tags are theirs. */
static bool tx_owed(const struct smtp_session *s, const struct smtp_tx *tx)
{
	uint8_t tag = SMTP_TX_TAG(tx->id);

	for (unsigned i = 0; i < s->pend_count; i++) {
		uint8_t e = s->pending[(s->pend_head + i) % SMTP_PENDING_MAX];

		if ((e >> SMTP_PEND_TAG_SHIFT) == tag &&
		    (smtp_verbs[e & SMTP_PEND_VERB_MASK].flags & SMTP_VF_TX_REPLY))
			return true;
	}
	return false;
}

/*
 * RSET, QUIT, an accepted HELO/EHLO or nested MAIL end the transaction
 * when sent (RFC 5321 sections 4.1.1.5, 4.1.1.10, 4.1.4), but with
 * pipelining (RFC 2920 section 3.1) the replies to its MAIL and RCPTs may
 * still be on their way: the tx is then closed, not logged, and its record
 * completed by those replies. Without the server side none will come.
 */
void smtp_tx_close(struct smtp_session *s, enum smtp_tx_state st)
{
	struct smtp_tx *tx = &s->tx;

	if (tx->state != SMTP_TX_OPEN)
		return;
	if (smtp_tx_has_content(tx) && smtp_replies_expected(s) &&
	    tx_owed(s, tx)) {
		tx->state = (uint8_t)st;
		s->tx_closing = true;
		return;
	}
	smtp_tx_end(s, tx, smtp_tx_verdict(tx, st));
}

void smtp_tx_settle(struct smtp_session *s)
{
	bool older_waits = false;

	if (s->done_busy) {
		if (tx_closed_waiting(s, &s->tx_done) && !tx_owed(s, &s->tx_done))
			smtp_tx_end_as_is(s, &s->tx_done);
		else
			older_waits = true;
	}
	/* TX_END in id order: the current one after the older one. */
	if (tx_closed_waiting(s, &s->tx) && !older_waits && !tx_owed(s, &s->tx))
		smtp_tx_end_as_is(s, &s->tx);
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
		if (s->done_busy &&
		    SMTP_TX_TAG(s->tx_done.id) == SMTP_TX_TAG(id))
			smtp_tx_end_as_is(s, &s->tx_done);
		pending_retag(s, SMTP_TX_TAG(id));
	}
	tx_init(s, &s->tx, id);
	/* Client bytes lost after the previous tx ended were this one's. */
	s->tx.gap = s->gap_next;
	s->gap_next = false;
}

/*
 * s->tx is closed or awaits its verdict and the client goes on: it moves
 * to tx_done. That slot holds one tx; an older one still there (its
 * replies are not seen) ends as it stands. A closed tx owed nothing more
 * is logged rather than moved.
 */
static void tx_park(struct smtp_session *s)
{
	if (s->done_busy)
		smtp_tx_end_as_is(s, &s->tx_done);
	if (s->tx_closing && !tx_owed(s, &s->tx)) {
		smtp_tx_end_as_is(s, &s->tx);
		return;
	}
	s->tx_done = s->tx;
	s->done_busy = true;
	s->tx_closing = false;
}

void smtp_tx_for_command(struct smtp_session *s)
{
	if (s->tx.state == SMTP_TX_OPEN && !s->tx.data_done)
		return;
	if (s->tx_closing || s->tx.state == SMTP_TX_OPEN)
		tx_park(s);
	tx_begin(s);
}

void smtp_tx_restart(struct smtp_session *s, enum smtp_tx_state st)
{
	smtp_tx_close(s, st);
	smtp_tx_for_command(s);
}

/* ---- commands awaiting replies (RFC 2920 section 3.1) ------------------ */

/*
 * When the FIFO is full the new command is not queued (and counted): the
 * replies to the queued ones still arrive first and stay matched, whereas
 * dropping the oldest would shift every later match by one.
 */
bool smtp_pending_push(struct smtp_session *s, enum smtp_verb verb)
{
	unsigned idx;

	if (s->pend_count >= SMTP_PENDING_MAX) {
		s->stats->pending_overflow++;
		smtp_anomaly(s, "pending_overflow");
		return false;
	}
	idx = (s->pend_head + s->pend_count) % SMTP_PENDING_MAX;
	s->pending[idx] = (uint8_t)(verb |
				    SMTP_TX_TAG(s->tx.id) << SMTP_PEND_TAG_SHIFT);
	s->pend_count++;
	return true;
}

bool smtp_pending_pop(struct smtp_session *s, enum smtp_verb *verb,
		      struct smtp_tx **tx, bool *deferred)
{
	uint8_t e, tag;

	if (!s->pend_count)
		return false;
	e = s->pending[s->pend_head];
	s->pend_head = (uint8_t)((s->pend_head + 1) % SMTP_PENDING_MAX);
	s->pend_count--;
	*verb = (enum smtp_verb)(e & SMTP_PEND_VERB_MASK);
	assert(*verb < SMTP_VERB_COUNT);
	*deferred = false;
	if (s->defer.verb != SMTP_VERB_NONE) {
		if (s->defer.pos == 0)
			*deferred = true;
		else
			s->defer.pos--;
	}
	tag = e >> SMTP_PEND_TAG_SHIFT;
	*tx = NULL;
	if (tag == SMTP_PEND_TAG_STALE)
		return true;
	if ((s->tx.state == SMTP_TX_OPEN || s->tx_closing) &&
	    SMTP_TX_TAG(s->tx.id) == tag)
		*tx = &s->tx;
	else if (s->done_busy && SMTP_TX_TAG(s->tx_done.id) == tag)
		*tx = &s->tx_done;
	return true;
}

void smtp_pending_set_tail_verb(struct smtp_session *s, enum smtp_verb verb)
{
	uint8_t *e;

	if (!s->pend_count)
		return;
	e = &s->pending[(s->pend_head + s->pend_count - 1) % SMTP_PENDING_MAX];
	*e = (uint8_t)((*e & ~SMTP_PEND_VERB_MASK) | verb);
}

enum smtp_verb smtp_pending_head(const struct smtp_session *s)
{
	if (!s->pend_count)
		return SMTP_VERB_NONE;
	return (enum smtp_verb)(s->pending[s->pend_head] & SMTP_PEND_VERB_MASK);
}

void smtp_pending_retag_at(struct smtp_session *s, unsigned pos, uint32_t id)
{
	uint8_t *e;

	if (pos >= s->pend_count)
		return;
	e = &s->pending[(s->pend_head + pos) % SMTP_PENDING_MAX];
	*e = (uint8_t)((*e & SMTP_PEND_VERB_MASK) |
		       SMTP_TX_TAG(id) << SMTP_PEND_TAG_SHIFT);
}

/* ---- lines ------------------------------------------------------------- */

struct line_view {
	const uint8_t *ptr;
	size_t len;
	bool truncated;         /* longer than max_line: CR not stripped */
	bool lost;              /* no block to hold it: content unknown */
	bool bare_lf;           /* no CR before its LF */
	uint64_t wire_len;      /* bytes as sent, the LF included */
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
	l->last_cr = false;
	l->seen = 0;
}

/* n more bytes of the line (kept or not). */
static void line_seen(struct smtp_line *l, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	l->seen = n >= UINT32_MAX - l->seen ? UINT32_MAX : l->seen + (uint32_t)n;
	l->last_cr = p[n - 1] == '\r';
}

static void bare_lf(struct smtp_session *s)
{
	smtp_anomaly(s, "bare_lf");
}

/* Keep the start of a line spanning chunks. overflow without a block means
 * the line is lost (pool empty); with one, that it was cut at max_line.
 * quiet: the line is the tail of one lost in a gap (no line_too_long). */
static void line_append(struct smtp_session *s, enum smtp_dir dir,
			const uint8_t *p, size_t n, bool quiet)
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
		if (!quiet)
			line_too_long(s);
		return;
	}
	memcpy(l->buf + l->len, p, n);
	l->len += (uint32_t)n;
}

/*
 * Take the next line from p[0..n). Returns the bytes used; *ready tells
 * whether out holds a complete line (valid until line_release()).
 *
 * After a gap the line position is unknown. Server side: everything up to
 * the next LF is dropped. Client side: that line is assembled as usual
 * (quietly: it is not judged for length) and cli_feed() decides whether
 * it is a command.
 */
static size_t line_next(struct smtp_session *s, enum smtp_dir dir,
			const uint8_t *p, size_t n, struct line_view *out,
			bool *ready)
{
	struct smtp_line *l = &s->line[dir];
	bool quiet = dir == SMTP_DIR_TO_SERVER && s->gap_to_server;
	const uint8_t *lf = memchr(p, '\n', n);
	size_t j;

	*ready = false;
	if (dir == SMTP_DIR_TO_CLIENT && s->gap_to_client) {
		if (!lf)
			return n;
		s->gap_to_client = false;
		return (size_t)(lf - p) + 1;
	}
	if (!lf) {
		line_seen(l, p, n);
		line_append(s, dir, p, n, quiet);
		return n;
	}
	j = (size_t)(lf - p);
	*ready = true;
	out->bare_lf = j ? p[j - 1] != '\r' : !l->last_cr;
	out->wire_len = (uint64_t)l->seen + j + 1;
	if (!l->buf && !l->overflow) {
		out->ptr = p;
		out->len = j;
		out->truncated = out->lost = false;
		if (j > max_line(s)) {
			out->len = max_line(s);
			out->truncated = true;
			if (!quiet)
				line_too_long(s);
		}
		return j + 1;
	}
	line_append(s, dir, p, j, quiet);
	out->ptr = l->buf;
	out->len = l->len;
	out->truncated = l->overflow;
	out->lost = l->overflow && !l->buf;
	return j + 1;
}

/* ---- directions -------------------------------------------------------- */

/*
 * A client line. bare_lf is judged on every line that is read (a
 * command, or an AUTH response: RFC 5321 section 2.3.8 is about every
 * line), not on one lost to an empty pool or dropped as the tail of a
 * line lost in a gap. An AUTH response is not held to max_command_len:
 * RFC 4954 section 4 lets it be much longer (12288 octets "sufficient").
 */
static void cli_line(struct smtp_session *s, const struct line_view *lv)
{
	/* Picked up midstream: see smtp_session_midstream(). */
	if (s->mid_wait) {
		/* A lone "." ends the message the pickup fell into: what
		 * follows is commands, whether or not the server is seen. */
		if (!lv->lost && lv->len && lv->ptr[0] == '.' &&
		    (lv->len == 1 || (lv->len == 2 && lv->ptr[1] == '\r'))) {
			s->mid_wait = false;
			s->stats->midstream_lines++;
			return;
		}
		if (++s->mid_dropped <= SMTP_MIDSTREAM_LINES || s->srv_seen) {
			s->stats->midstream_lines++;
			return;
		}
		/* No server side after that many lines (a one-sided
		 * capture): fall back to the gap rule, a known verb. */
		s->mid_wait = false;
		s->gap_to_server = true;
	}
	if (s->cli_state == SMTP_CLI_AUTH) {
		/* A response to a 334 (RFC 4954 section 4), not a command. A
		 * line lost to an empty pool, or the tail of one lost in a
		 * gap, still counts as one; its content is not read. */
		bool unknown = lv->lost || s->gap_to_server;

		s->gap_to_server = false;
		if (!unknown && lv->bare_lf)
			bare_lf(s);
		smtp_auth_line(s, unknown ? NULL : lv->ptr, lv->len);
		return;
	}
	if (s->gap_to_server) {
		/* The first line after a gap: the tail of a lost line unless
		 * it reads as a command. Replies to what the gap took are not
		 * kept in step either way. Its length is what came after the
		 * gap: at least that. */
		s->gap_to_server = false;
		if (!lv->lost && !lv->truncated &&
		    smtp_cmd_resync_ok(lv->ptr, lv->len)) {
			if (lv->bare_lf)
				bare_lf(s);
			smtp_cmd_line(s, lv->ptr, lv->len, false, lv->wire_len);
		}
		return;
	}
	if (lv->lost) {
		smtp_cmd_lost(s);
		return;
	}
	if (lv->bare_lf)
		bare_lf(s);
	smtp_cmd_line(s, lv->ptr, lv->len, lv->truncated, lv->wire_len);
}

/* A server line, complete (bare_lf: ended by LF without CR) or cut
 * short by the end of the direction. */
static void srv_line(struct smtp_session *s, const uint8_t *p, size_t len,
		     bool truncated, uint64_t wire_len, bool lf_alone)
{
	if (s->mid_srv) {
		/* The server's first line after a midstream pickup counts
		 * only if it reads as a reply line: three digits, then SP,
		 * "-" or the end (RFC 5321 section 4.2). */
		s->mid_srv = false;
		if (len < 3 || !isdigit(p[0]) || !isdigit(p[1]) || !isdigit(p[2]) ||
		    (len > 3 && p[3] != ' ' && p[3] != '-' && p[3] != '\r')) {
			s->stats->midstream_lines++;
			return;
		}
	}
	/* A reply line: the client's next line starts a command (or the
	 * message, after a 354 it answered). Midstream pickup syncs here. */
	if (s->mid_wait) {
		s->mid_wait = false;
		s->reply_code = 0;
	}
	if (lf_alone)
		bare_lf(s);
	/* RFC 5321 section 4.5.3.1.5: 512 octets with the CRLF. */
	if (s->cfg->max_reply_len && wire_len > s->cfg->max_reply_len)
		smtp_anomaly(s, "reply_line_too_long");
	smtp_reply_line(s, p, len, truncated);
}

/* The line frame of a complete line (SMTP_EV_CLIENT_LINE/SERVER_LINE):
 * its LF follows the view in the packet, or is added to the line's
 * block when there is room; a cut or lost line goes as what was kept. */
static void line_frame(struct smtp_session *s, enum smtp_event_kind kind,
		       const struct line_view *lv, const uint8_t *end)
{
	const struct smtp_line *l = &s->line[kind == SMTP_EV_CLIENT_LINE ?
					     SMTP_DIR_TO_SERVER : SMTP_DIR_TO_CLIENT];
	struct smtp_event ev = {
		.kind = kind, .tx = smtp_current_tx(s), .data = lv->ptr, .len = lv->len,
		.wire_len = lv->wire_len, .end = end, .truncated = lv->truncated,
		/* a credential: scanned, never logged */
		.verb = s->auth_wipe ? SMTP_VERB_AUTH : SMTP_VERB_NONE,
	};

	if (lv->lost || !s->cfg->on_event)
		return;
	if (!lv->truncated) {
		if (lv->ptr != l->buf)
			ev.len++;               /* the LF is next in the packet */
		else if (l->len < s->cfg->pool->block_size)
			l->buf[ev.len++] = '\n';
		else
			ev.truncated = true;
	}
	s->cfg->on_event(s->cfg->user, s, &ev);
}

/* The line frame of a line cut by the end of its direction (no LF came):
 * what was kept, marked truncated; end NULL (the end of what was fed). */
static void line_frame_cut(struct smtp_session *s, enum smtp_event_kind kind,
			   const struct smtp_line *l)
{
	const struct line_view lv = {
		.ptr = l->buf, .len = l->len, .wire_len = l->seen,
		.truncated = true, .lost = !l->buf || !l->len,
	};

	line_frame(s, kind, &lv, NULL);
}

/* Message bytes as sent, from raw_at up to end (DATA_RAW). */
void smtp_data_raw(struct smtp_session *s, const uint8_t *end)
{
	if (s->raw_at && end > s->raw_at)
		smtp_emit(s, SMTP_EV_DATA_RAW, SMTP_VERB_DATA, 0, s->raw_at,
			  (size_t)(end - s->raw_at), &s->tx);
	s->raw_at = NULL;
}

static void cli_feed(struct smtp_session *s, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && !s->tls) {
		if (s->cli_state == SMTP_CLI_DATA) {
			s->raw_at = p + i;
			i += smtp_data_feed(s, p + i, n - i);
			smtp_data_raw(s, p + i);        /* unless the end gave them */
		} else if (s->cli_state == SMTP_CLI_BDAT) {
			i += smtp_bdat_feed(s, p + i, n - i);
		} else if (s->cli_state == SMTP_CLI_CMD ||
			   s->cli_state == SMTP_CLI_AUTH) {
			struct line_view lv;
			bool ready;

			i += line_next(s, SMTP_DIR_TO_SERVER, p + i, n - i, &lv, &ready);
			if (ready) {
				struct smtp_line *l = &s->line[SMTP_DIR_TO_SERVER];

				cli_line(s, &lv);
				line_frame(s, SMTP_EV_CLIENT_LINE, &lv, p + i);
				/* An AUTH line carries a credential: the copy
				 * goes back to the pool wiped. */
				if (s->auth_wipe && l->buf)
					memset(l->buf, 0, l->len);
				s->auth_wipe = false;
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
		line_frame(s, SMTP_EV_SERVER_LINE, &lv, p + i);
		/* A lost reply line cannot be told continuation from final:
		 * skipped (no_memory was raised). */
		if (!lv.lost)
			srv_line(s, lv.ptr, lv.len, lv.truncated, lv.wire_len,
				 lv.bare_lf);
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
	s->defer.arena.pool = cfg->pool;
	s->defer.arena.max_blocks = 1;  /* one helo or mail_from */
	s->caps_arena.pool = cfg->pool;
	s->caps_arena.max_blocks = 1;
	s->auth_arena.pool = cfg->pool;
	s->auth_arena.max_blocks = 1;
	tx_init(s, &s->tx, 0);
	s->tx_count = 1;
	stats->sessions++;
}

bool smtp_session_in_data(const struct smtp_session *s)
{
	return s->cli_state == SMTP_CLI_DATA;
}

void smtp_session_feed(struct smtp_session *s, enum smtp_dir dir,
		       const uint8_t *data, size_t len)
{
	if (s->tls || len == 0)
		return;
	if (dir == SMTP_DIR_TO_SERVER) {
		cli_feed(s, data, len);
	} else {
		s->srv_seen = true;
		srv_feed(s, data, len);
	}
}

void smtp_session_midstream(struct smtp_session *s)
{
	s->mid_wait = true;
	s->mid_srv = true;
	s->mid_dropped = 0;
}

void smtp_session_gap(struct smtp_session *s, enum smtp_dir dir, uint64_t len)
{
	if (s->tls || len == 0)
		return;
	if (dir == SMTP_DIR_TO_SERVER) {
		if (s->cli_state == SMTP_CLI_CLOSED)
			return;
		s->stats->gaps++;
		s->cli_gap_seen = true;
		if (s->cli_state == SMTP_CLI_BDAT) {
			/* The chunk's end is still known; what lies past it
			 * was command bytes. */
			len = smtp_bdat_gap(s, len);
			if (!len)
				return;
		}
		if (s->cli_state == SMTP_CLI_AUTH) {
			/* The exchange's place is lost: back to commands
			 * (the resync rule drops the tail of a lost line);
			 * its final reply still tells the outcome. */
			s->cli_state = SMTP_CLI_CMD;
		}
		if (s->cli_state == SMTP_CLI_DATA) {
			s->tx.gap = true;
			smtp_data_gap(s);
		} else {
			/* A lost command may be a RCPT (or the MAIL) of the
			 * tx: its record must say it may be short. Bytes after
			 * the tx ended or sent its data belong to the next. */
			if (s->tx.state == SMTP_TX_OPEN && !s->tx.data_done)
				s->tx.gap = true;
			else
				s->gap_next = true;
			line_release(s, dir);
			s->gap_to_server = true;
		}
	} else {
		if (s->srv_state == SMTP_SRV_CLOSED)
			return;
		s->srv_seen = true;
		s->stats->gaps++;
		line_release(s, dir);
		s->gap_to_client = true;
		s->reply_code = 0;
	}
}

/* The server's direction ended: no reply will come. A deferred command
 * takes effect as if accepted (as in a client-only capture) and the txs
 * waiting for replies are logged, older first. */
static void srv_gone(struct smtp_session *s)
{
	smtp_defer_force(s);
	smtp_auth_flush(s);
	if (s->done_busy)
		smtp_tx_end_as_is(s, &s->tx_done);
	if (s->tx_closing)
		smtp_tx_end_as_is(s, &s->tx);
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
			smtp_cmd_line(s, l->buf, len, l->overflow, l->seen);
		else if (partial && s->cli_state == SMTP_CLI_AUTH)
			smtp_auth_line(s, l->overflow && !l->buf ? NULL : l->buf, len);
		if (partial && (s->cli_state == SMTP_CLI_CMD || s->cli_state == SMTP_CLI_AUTH))
			line_frame_cut(s, SMTP_EV_CLIENT_LINE, l);
		if (l->buf)
			memset(l->buf, 0, l->len);
		s->auth_wipe = false;
		/* In data mode the message stays incomplete (finish says so). */
		s->cli_state = SMTP_CLI_CLOSED;
	} else {
		if (s->srv_state == SMTP_SRV_CLOSED)
			return;
		if (partial) {
			line_frame_cut(s, SMTP_EV_SERVER_LINE, l);
			srv_line(s, l->buf, len, l->overflow, l->seen, false);
		}
		s->srv_state = SMTP_SRV_CLOSED;
		srv_gone(s);
	}
	line_release(s, dir);
}

void smtp_session_finish(struct smtp_session *s)
{
	smtp_session_eof(s, SMTP_DIR_TO_SERVER);
	smtp_session_eof(s, SMTP_DIR_TO_CLIENT);
	/* srv_gone() has run: no deferred command, no closed tx left. */
	assert(s->defer.verb == SMTP_VERB_NONE && !s->tx_closing);
	if (s->done_busy)
		smtp_tx_end_as_is(s, &s->tx_done);
	if (s->tx.state == SMTP_TX_OPEN)
		smtp_tx_end_as_is(s, &s->tx);
	/* Every session is logged once, even one that never got to MAIL
	 * (EHLO + QUIT, a scanner, STARTTLS). */
	if (s->tx_logged == 0) {
		s->tx.gap |= s->gap_next;
		tx_log(s, &s->tx);
	}
	mt_arena_reset(&s->arena);
	s->helo = (struct smtp_str){ 0 };
	mt_arena_reset(&s->defer.arena);
	mt_arena_reset(&s->caps_arena);
	mt_arena_reset(&s->auth_arena);
	s->banner = s->ehlo_caps = (struct smtp_str){ 0 };
	s->auth_mech = s->auth_user = (struct smtp_str){ 0 };
	line_release(s, SMTP_DIR_TO_SERVER);
	line_release(s, SMTP_DIR_TO_CLIENT);
}
