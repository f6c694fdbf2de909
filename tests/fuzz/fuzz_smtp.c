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
 *    (DATA compared as one byte stream): chunk boundaries never matter;
 *  - BDAT: per tx, the DATA bytes delivered as BDAT never exceed the sum
 *    of the sizes of the valid BDAT commands (read here from the COMMAND
 *    events with the RFC 3030 grammar), and equal it when the LAST chunk
 *    was taken whole (data_done, no gap, no bdat_chunk_cut, no DATA mixed
 *    in); tx->chunks == the number of those commands;
 *  - AUTH: byte 0xfe followed by a selector byte in the input becomes a
 *    base64 credential whose password is PW_MARK (PLAIN with and without
 *    authzid, XOAUTH2, OAUTHBEARER). Unless the input holds PW_MARK in
 *    clear (any case), PW_MARK must never appear in the session's
 *    auth_user (unless the mechanism is LOGIN, whose first answer is the
 *    user name whatever it says), unless an AUTH line the client sent
 *    (its frame, SMTP_EV_CLIENT_LINE) decodes to a user field holding it
 *    (the framing can glue a token's password where a user name goes):
 *    it is the only string decoded from base64. The COMMAND event of an
 *    AUTH line has at most two words (no initial response). Frames: the
 *    DATA_RAW bytes are the same stream whatever the chunking; a line
 *    frame ends with its LF unless cut, and is never longer than the
 *    line on the wire.
 */
#include "smtp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TX_BLOCKS 4
#define PW_MARK "PWMARK"

/* Credentials the 0xfe tokens expand to (base64 of the comment). */
static const char *const creds[4] = {
	"AGFsaWNlAFBXTUFSSw==",                 /* \0alice\0PWMARK */
	"YWRtaW4AYWxpY2UAUFdNQVJL",             /* admin\0alice\0PWMARK */
	"dXNlcj1ib2IBYXV0aD1CZWFyZXIgUFdNQVJLAQE=",  /* user=bob^Aauth=Bearer PWMARK^A^A */
	"bixhPWJvYiwBYXV0aD1CZWFyZXIgUFdNQVJLAQE=",  /* n,a=bob,^Aauth=Bearer PWMARK^A^A */
};

struct fz {
	uint64_t h;             /* hash of the event stream */
	uint64_t dh;            /* hash of DATA bytes since the last event */
	uint64_t dlen;
	uint64_t rh, rlen;      /* DATA_RAW bytes (the frame): the whole run's */
	uint64_t dsum[256];     /* DATA bytes per tx id % 256 */
	uint32_t dsum_id[256];
	uint8_t logged[8192];   /* TX_END seen, bit per tx id */
	uint64_t tx_events;
	size_t max_line;
	bool check_pw;
	bool user_mark, user_mark_sent; /* marker in auth_user; sent as a user */
	/* BDAT per tx id % 256 (valid for bsum_id): sizes announced, chunk
	 * commands, BDAT bytes seen, and whether the tally is exact. */
	uint32_t bsum_id[256];
	uint64_t bsum[256], bdata[256];
	uint32_t bchunks[256];
	bool binexact[256];
};

static void bdat_slot(struct fz *z, uint32_t id)
{
	unsigned k = id % 256;

	if (z->bsum_id[k] != id) {
		z->bsum_id[k] = id;
		z->bsum[k] = z->bdata[k] = 0;
		z->bchunks[k] = 0;
		z->binexact[k] = false;
	}
}

/* RFC 3030 section 2, on a COMMAND line: "BDAT" SP 1*DIGIT [SP "LAST"],
 * blanks around the arguments tolerated, sizes over 2^40 refused. */
static bool bdat_size(const uint8_t *p, size_t n, uint64_t *size)
{
	size_t i = 4, e = n;
	uint64_t v = 0;

	if (n < 4)
		return false;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	while (e > i && (p[e - 1] == ' ' || p[e - 1] == '\t'))
		e--;
	if (i == 4 || i >= e || p[i] < '0' || p[i] > '9')
		return false;
	while (i < e && p[i] >= '0' && p[i] <= '9') {
		v = v * 10 + (uint64_t)(p[i++] - '0');
		if (v > (UINT64_C(1) << 40))
			return false;
	}
	*size = v;
	if (i == e)
		return true;
	if (p[i] != ' ' && p[i] != '\t')
		return false;
	while (i < e && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return e - i == 4 && (p[i] | 0x20) == 'l' && (p[i + 1] | 0x20) == 'a' &&
	       (p[i + 2] | 0x20) == 's' && (p[i + 3] | 0x20) == 't';
}

static bool has_mark(const void *p, size_t n)
{
	return p && n >= strlen(PW_MARK) && memmem(p, n, PW_MARK, strlen(PW_MARK));
}

/* The input spells the marker itself, in any case (mechanisms are
 * upper-cased): then it may legitimately show up. */
static bool input_has_mark(const uint8_t *p, size_t n)
{
	size_t m = strlen(PW_MARK);

	for (size_t i = 0; i + m <= n; i++) {
		size_t k = 0;

		while (k < m && (p[i + k] & 0xdf) == (uint8_t)PW_MARK[k])
			k++;
		if (k == m)
			return true;
	}
	return false;
}

static int b64v(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Base64 of p[0..n) into out (at most cap bytes): bytes outside the
 * alphabet end it (skip false) or are skipped (skip true). */
static size_t b64dec(const uint8_t *p, size_t n, bool skip, uint8_t *out, size_t cap)
{
	uint32_t acc = 0, bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n && o < cap; i++) {
		int v = b64v(p[i]);

		if (v < 0) {
			if (skip && p[i] != '=')
				continue;
			break;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

/* Whether a user field of decoded response d[0..n) holds the marker:
 * PLAIN's authcid (between the first and second NUL), XOAUTH2's user=,
 * OAUTHBEARER's a=. */
static bool user_field_mark(const uint8_t *d, size_t n)
{
	const uint8_t *nul = memchr(d, 0, n), *end;

	if (nul) {
		end = memchr(nul + 1, 0, n - (size_t)(nul + 1 - d));
		if (has_mark(nul + 1, (size_t)((end ? end : d + n) - (nul + 1))))
			return true;
	}
	for (const char *const *k = (const char *const[]){ "user=", "a=", NULL }; *k; k++) {
		const uint8_t *u = memmem(d, n, *k, strlen(*k));

		if (u) {
			u += strlen(*k);
			end = u;
			while (end < d + n && *end != 1 && *end != ',')
				end++;
			if (has_mark(u, (size_t)(end - u)))
				return true;
		}
	}
	return false;
}

/* An AUTH line's frame (the command with an initial response, or a
 * response): did the client send the marker as a user name? Pieces of
 * credential tokens glued by the framing can put a token's password
 * where a user name goes: then the parser rightly reports it. */
static bool auth_line_user_mark(const uint8_t *p, size_t n)
{
	uint8_t d[1024];
	size_t w = 0;

	while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	if (n > 5 && (p[0] & 0xdf) == 'A' && (p[1] & 0xdf) == 'U' && (p[2] & 0xdf) == 'T' &&
	    (p[3] & 0xdf) == 'H' && p[4] == ' ') {
		/* AUTH MECH [initial-response] */
		for (size_t i = 0; i < n; i++) {
			if (p[i] == ' ' && i + 1 < n && p[i + 1] != ' ' && ++w == 2) {
				p += i + 1;
				n -= i + 1;
				break;
			}
		}
		if (w < 2)
			return false;
	}
	for (int skip = 0; skip < 2; skip++) {
		size_t k = b64dec(p, n, skip, d, sizeof(d));

		if (user_field_mark(d, k))
			return true;
	}
	return false;
}

static bool login(const struct smtp_session *s)
{
	return s->auth_mech.ptr && strcmp(s->auth_mech.ptr, "LOGIN") == 0;
}

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
	/* Only decoded bytes are judged: events that carry wire bytes may
	 * hold the marker in clear when the stream does (chunks glue it).
	 * LOGIN's first answer is the user name, whatever it decodes to (a
	 * line glued from pieces of a token can decode to the password):
	 * only the mechanisms whose answer has a separate password field
	 * are checked. */
	if (z->check_pw && !login(s) && has_mark(s->auth_user.ptr, s->auth_user.len))
		z->user_mark = true;            /* judged at the end of the run */
	if (ev->kind == SMTP_EV_CLIENT_LINE && ev->verb == SMTP_VERB_AUTH &&
	    auth_line_user_mark(ev->data, ev->len))
		z->user_mark_sent = true;
	/* An AUTH command line is shown up to its mechanism: never an
	 * initial response (a credential, in base64). */
	if (ev->kind == SMTP_EV_COMMAND && ev->verb == SMTP_VERB_AUTH) {
		unsigned words = 0;

		for (size_t i = 0; i < ev->len; i++)
			if (ev->data[i] != ' ' && ev->data[i] != '\t' &&
			    (i == 0 || ev->data[i - 1] == ' ' || ev->data[i - 1] == '\t'))
				words++;
		if (words > 2)
			abort();
	}
	/* The message frame: its bytes as one stream, whatever the chunks
	 * (its events follow each chunk's other events, so their place in
	 * the event order depends on the chunking). */
	if (ev->kind == SMTP_EV_DATA_RAW) {
		if (!ev->len || ev->verb != SMTP_VERB_DATA)
			abort();
		z->rh = fnv(z->rh, ev->data, ev->len);
		z->rlen += ev->len;
		return;
	}
	/* A line frame: the line as sent with its LF, unless cut; never
	 * longer than the wire line; an AUTH line comes marked. */
	if (ev->kind == SMTP_EV_CLIENT_LINE || ev->kind == SMTP_EV_SERVER_LINE) {
		if (!ev->len || ev->len > ev->wire_len ||
		    (!ev->truncated && (ev->data[ev->len - 1] != '\n' ||
					ev->len != ev->wire_len)))
			abort();
		if (ev->kind == SMTP_EV_SERVER_LINE && ev->verb != SMTP_VERB_NONE)
			abort();
	}
	if (ev->kind == SMTP_EV_DATA) {
		if (!tx || !ev->len)
			abort();
		if (ev->verb == SMTP_VERB_BDAT) {
			bdat_slot(z, tx->id);
			z->bdata[tx->id % 256] += ev->len;
			if (z->bdata[tx->id % 256] > z->bsum[tx->id % 256])
				abort();
		} else {
			/* DATA content in a BDAT tx (data_after_bdat). */
			bdat_slot(z, tx->id);
			z->binexact[tx->id % 256] = true;
		}
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
	case SMTP_EV_COMMAND: {
		uint64_t size;

		if (ev->len > z->max_line || !tx || tx->state != SMTP_TX_OPEN)
			abort();
		if (ev->verb == SMTP_VERB_BDAT && bdat_size(ev->data, ev->len, &size)) {
			bdat_slot(z, tx->id);
			z->bsum[tx->id % 256] += size;
			z->bchunks[tx->id % 256]++;
		}
		break;
	}
	case SMTP_EV_AUTH:
		if (ev->verb != SMTP_VERB_AUTH || ev->code != s->auth_reply ||
		    s->auth_state == SMTP_AUTH_NONE)
			abort();
		if (s->auth_user.ptr)
			hash_str(z, &s->auth_user);
		z->h = fnv_u64(z->h, s->auth_state);
		break;
	case SMTP_EV_EHLO_CAPS:
		if (ev->len != s->ehlo_caps.len ||
		    s->ehlo_caps_count > SMTP_EHLO_CAPS_MAX ||
		    (s->ehlo_caps.ptr && s->ehlo_caps.ptr[s->ehlo_caps.len] != '\0'))
			abort();
		z->h = fnv_u64(z->h, s->ehlo_flags);
		z->h = fnv_u64(z->h, s->ehlo_size);
		z->h = fnv_u64(z->h, s->ehlo_caps_count);
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
		if (tx && (strcmp(ev->anomaly, "bdat_chunk_cut") == 0 ||
			   strcmp(ev->anomaly, "no_memory") == 0)) {
			bdat_slot(z, tx->id);
			z->binexact[tx->id % 256] = true;
		}
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
		if (tx->bdat) {
			unsigned k = tx->id % 256;

			bdat_slot(z, tx->id);
			if (tx->chunks != z->bchunks[k] || z->bdata[k] > z->bsum[k])
				abort();
			if (tx->data_done && !tx->gap && !z->binexact[k] &&
			    z->bdata[k] != z->bsum[k])
				abort();
		}
		hash_str(z, &tx->mail_auth);
		hash_str(z, &tx->mail_envid);
		z->h = fnv_u64(z->h, tx->mail_size);
		z->h = fnv_u64(z->h, tx->chunks);
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
		    const struct smtp_config *proto, bool merge, uint8_t *buf,
		    bool check_pw)
{
	static struct fz z;
	struct smtp_config cfg = *proto;
	struct smtp_stats st = { 0 };
	struct smtp_session s;
	size_t i = 1, blen = 0;
	int bdir = -1;

	memset(&z, 0, sizeof(z));
	z.check_pw = check_pw;
	z.dh = 0xcbf29ce484222325ull;
	z.rh = 0xcbf29ce484222325ull;
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
	if (z.user_mark && !z.user_mark_sent)
		abort();
	return fnv_u64(fnv_u64(z.h, z.rh), z.rlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t lines[4] = { 16, 64, 512, 0 };
	static const uint32_t rcpts[4] = { 0, 2, 100, 1000 };
	struct mt_blockpool pool;
	struct smtp_config cfg = { 0 };
	bool starved, check_pw;
	uint8_t *buf, *xdata;
	size_t xsize;

	if (size < 1)
		return 0;
	starved = data[0] & 0x10;
	/* Enough blocks for two line buffers, the helo, a deferred command's
	 * argument, EHLO capabilities, AUTH strings and two tx arenas
	 * at their cap, unless starved. */
	if (mt_blockpool_init(&pool, 1024, starved ? 1 + (data[0] >> 5) % 3
						   : 6 + 2 * MAX_TX_BLOCKS) != 0)
		return 0;
	cfg.pool = &pool;
	cfg.max_line = lines[data[0] & 3];
	cfg.max_rcpt = rcpts[(data[0] >> 2) & 3];
	cfg.max_tx_blocks = MAX_TX_BLOCKS;
	/* RFC line-length checks: off, tiny, the defaults, every line (by the
	 * input's size, so byte 0 keeps its meaning). */
	{
		static const uint32_t lim[4][3] = {
			{ 0, 0, 0 }, { 40, 30, 20 }, { 512, 512, 1000 }, { 1, 1, 1 },
		};

		cfg.max_command_len = lim[size % 4][0];
		cfg.max_reply_len = lim[size % 4][1];
		cfg.max_text_line = lim[size % 4][2];
	}
	cfg.on_event = on_event;
	/* Expand the credential tokens (each at most 64 bytes). */
	{
		size_t o = 0;

		xdata = malloc(size * 32 + 1);
		if (!xdata) {
			mt_blockpool_destroy(&pool);
			return 0;
		}
		for (size_t i = 0; i < size; i++) {
			if (i > 0 && data[i] == 0xfe && i + 1 < size) {
				const char *c = creds[data[++i] % 4];

				memcpy(xdata + o, c, strlen(c));
				o += strlen(c);
			} else {
				xdata[o++] = data[i];
			}
		}
		xsize = o;
		check_pw = !input_has_mark(data, size);
	}
	buf = malloc(xsize ? xsize : 1);
	if (buf) {
		uint64_t a = run(xdata, xsize, &pool, &cfg, false, buf, check_pw);

		if (!starved) {
			uint64_t b = run(xdata, xsize, &pool, &cfg, true, buf, check_pw);

			if (a != b)
				abort();
			if (pool.exhausted)
				abort();
		}
	}
	free(buf);
	free(xdata);
	mt_blockpool_destroy(&pool);
	return 0;
}
