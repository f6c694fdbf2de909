/*
 * fuzz_smtp.c — libFuzzer target for the SMTP session parser.
 *
 * Input: byte 0 picks the configuration (max_line, max_rcpt, a starved
 * pool); the rest is a list of operations, each a control byte
 *   bit 0      direction (0 client, 1 server)
 *   bits 1-3   0-4: a chunk whose length is the next byte + 1;
 *              5: a gap of (next byte + 1) bytes; 6: EOF;
 *              7: a chunk of (bits 4-7) + 1 bytes
 * followed by the chunk's bytes (cut short at the end of the input).
 *
 * Checked, abort() on failure:
 *  - every TX_END: tx->data_bytes == the DATA bytes seen for that tx, the
 *    tx's strings readable, each tx id logged once, tx one of the session's
 *    two slots; REPLY codes 100..599; COMMAND lines no longer than
 *    max_line, on an open tx; HELO: the session's helo is (a prefix of)
 *    the argument; MAIL_FROM on an open tx; slices non-NULL;
 *  - after finish: at least one TX_END, the pool's in_use back to 0, the
 *    stats' transactions == TX_END events;
 *  - with a pool that cannot run dry, the same input with each run of
 *    same-direction chunks merged into one must give the same events
 *    (DATA compared as one byte stream): chunk boundaries never matter.
 */
#include "smtp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TX_BLOCKS 4

struct fz {
	uint64_t h;             /* hash of the event stream */
	uint64_t dh;            /* hash of DATA bytes since the last event */
	uint64_t dlen;
	uint64_t dsum[256];     /* DATA bytes per tx id % 256 */
	uint32_t dsum_id[256];
	uint8_t logged[8192];   /* TX_END seen, bit per tx id */
	uint64_t tx_events;
	size_t max_line;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	return fnv(h, &v, sizeof(v));
}

static void fold_data(struct fz *z)
{
	if (!z->dlen)
		return;
	z->h = fnv_u64(z->h, 0xdada);
	z->h = fnv_u64(z->h, z->dh);
	z->h = fnv_u64(z->h, z->dlen);
	z->dh = 0xcbf29ce484222325ull;
	z->dlen = 0;
}

static void hash_str(struct fz *z, const struct smtp_str *s)
{
	if (s->ptr) {
		if (s->ptr[s->len] != '\0')
			abort();
		z->h = fnv(z->h, s->ptr, s->len);
	}
	z->h = fnv_u64(z->h, s->len);
}

static void on_event(void *user, struct smtp_session *s, const struct smtp_event *ev)
{
	struct fz *z = user;
	const struct smtp_tx *tx = ev->tx;

	if (ev->len && !ev->data)
		abort();
	if (ev->kind == SMTP_EV_DATA) {
		if (!tx || !ev->len)
			abort();
		if (z->dsum_id[tx->id % 256] != tx->id) {
			z->dsum_id[tx->id % 256] = tx->id;
			z->dsum[tx->id % 256] = 0;
		}
		z->dsum[tx->id % 256] += ev->len;
		z->dh = fnv(z->dh, ev->data, ev->len);
		z->dlen += ev->len;
		return;
	}
	fold_data(z);
	z->h = fnv_u64(z->h, ev->kind);
	z->h = fnv_u64(z->h, ev->verb);
	z->h = fnv_u64(z->h, ev->code);
	z->h = fnv_u64(z->h, tx ? tx->id : 0xffffffffu);
	if (ev->data)
		z->h = fnv(z->h, ev->data, ev->len);
	z->h = fnv_u64(z->h, ev->len);
	switch (ev->kind) {
	case SMTP_EV_REPLY:
		if (ev->code < 100 || ev->code > 599)
			abort();
		break;
	case SMTP_EV_COMMAND:
		if (ev->len > z->max_line || !tx || tx->state != SMTP_TX_OPEN)
			abort();
		break;
	case SMTP_EV_HELO:
		/* The session's helo is set (a copy, maybe cut) when the
		 * event fires, whether on the command or on its reply. */
		if (s->helo.ptr && (s->helo.len > ev->len ||
				    (s->helo.len &&
				     memcmp(s->helo.ptr, ev->data, s->helo.len) != 0)))
			abort();
		break;
	case SMTP_EV_MAIL_FROM:
		if (!tx || tx->state != SMTP_TX_OPEN || !tx->mail_seen)
			abort();
		break;
	case SMTP_EV_ANOMALY:
		if (!ev->anomaly)
			abort();
		z->h = fnv(z->h, ev->anomaly, strlen(ev->anomaly));
		break;
	case SMTP_EV_TX_END: {
		uint64_t want = 0;

		if (!tx || tx->state == SMTP_TX_OPEN ||
		    (tx != &s->tx && tx != &s->tx_done))
			abort();
		if (tx->data_seen && z->dsum_id[tx->id % 256] == tx->id)
			want = z->dsum[tx->id % 256];
		if (tx->data_bytes != want)
			abort();
		if (tx->id < sizeof(z->logged) * 8) {
			if (z->logged[tx->id / 8] & (1u << (tx->id % 8)))
				abort();
			z->logged[tx->id / 8] |= (uint8_t)(1u << (tx->id % 8));
		}
		if (tx->rcpt_count > tx->rcpt_cap ||
		    (tx->rcpt_count && !tx->rcpt))
			abort();
		z->h = fnv_u64(z->h, tx->state);
		hash_str(z, &tx->mail_from);
		hash_str(z, &tx->end_reply);
		for (uint32_t i = 0; i < tx->rcpt_count; i++) {
			hash_str(z, &tx->rcpt[i].addr);
			z->h = fnv_u64(z->h, tx->rcpt[i].reply_code);
		}
		z->h = fnv_u64(z->h, tx->mail_reply_code);
		z->h = fnv_u64(z->h, tx->data_reply_code);
		z->h = fnv_u64(z->h, tx->end_reply_code);
		z->h = fnv_u64(z->h, tx->rcpt_dropped);
		z->h = fnv_u64(z->h, tx->gap);
		if (s->helo.ptr)
			hash_str(z, &s->helo);
		z->tx_events++;
		break;
	}
	default:
		break;
	}
}

/* One pass over the input. merge: feed each run of same-direction chunks
 * as one chunk (copied into buf). Returns the event hash. */
static uint64_t run(const uint8_t *data, size_t size, struct mt_blockpool *pool,
		    const struct smtp_config *proto, bool merge, uint8_t *buf)
{
	static struct fz z;
	struct smtp_config cfg = *proto;
	struct smtp_stats st = { 0 };
	struct smtp_session s;
	size_t i = 1, blen = 0;
	int bdir = -1;

	memset(&z, 0, sizeof(z));
	z.dh = 0xcbf29ce484222325ull;
	z.h = 0xcbf29ce484222325ull;
	z.max_line = cfg.max_line ? cfg.max_line : pool->block_size;
	cfg.user = &z;
	smtp_session_init(&s, &cfg, &st);
	while (i < size) {
		uint8_t c = data[i++];
		enum smtp_dir dir = (c & 1) ? SMTP_DIR_TO_CLIENT : SMTP_DIR_TO_SERVER;
		unsigned kind = (c >> 1) & 7;
		size_t n;

		if (kind == 5 || kind == 6) {
			if (blen) {
				smtp_session_feed(&s, (enum smtp_dir)bdir, buf, blen);
				blen = 0;
			}
			if (kind == 6) {
				smtp_session_eof(&s, dir);
			} else if (i < size) {
				smtp_session_gap(&s, dir, (uint64_t)data[i++] + 1);
			}
			continue;
		}
		if (kind == 7) {
			n = (size_t)(c >> 4) + 1;
		} else {
			if (i >= size)
				break;
			n = (size_t)data[i++] + 1;
		}
		if (n > size - i)
			n = size - i;
		if (!merge) {
			smtp_session_feed(&s, dir, data + i, n);
		} else {
			if (blen && (int)dir != bdir) {
				smtp_session_feed(&s, (enum smtp_dir)bdir, buf, blen);
				blen = 0;
			}
			bdir = (int)dir;
			memcpy(buf + blen, data + i, n);
			blen += n;
		}
		i += n;
	}
	if (blen)
		smtp_session_feed(&s, (enum smtp_dir)bdir, buf, blen);
	smtp_session_finish(&s);
	fold_data(&z);
	if (s.tx_logged == 0 || z.tx_events == 0 || st.transactions != z.tx_events)
		abort();
	if (pool->in_use != 0)
		abort();
	return z.h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t lines[4] = { 16, 64, 512, 0 };
	static const uint32_t rcpts[4] = { 0, 2, 100, 1000 };
	struct mt_blockpool pool;
	struct smtp_config cfg = { 0 };
	bool starved;
	uint8_t *buf;

	if (size < 1)
		return 0;
	starved = data[0] & 0x10;
	/* Enough blocks for two line buffers, the helo, a deferred command's
	 * argument and two tx arenas at their cap, unless starved. */
	if (mt_blockpool_init(&pool, 1024, starved ? 1 + (data[0] >> 5) % 3
						   : 4 + 2 * MAX_TX_BLOCKS) != 0)
		return 0;
	cfg.pool = &pool;
	cfg.max_line = lines[data[0] & 3];
	cfg.max_rcpt = rcpts[(data[0] >> 2) & 3];
	cfg.max_tx_blocks = MAX_TX_BLOCKS;
	cfg.on_event = on_event;
	buf = malloc(size ? size : 1);
	if (buf) {
		uint64_t a = run(data, size, &pool, &cfg, false, buf);

		if (!starved) {
			uint64_t b = run(data, size, &pool, &cfg, true, buf);

			if (a != b)
				abort();
			if (pool.exhausted)
				abort();
		}
	}
	free(buf);
	mt_blockpool_destroy(&pool);
	return 0;
}
