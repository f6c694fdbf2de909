/*
 * tls.c — the streaming parser: record layer, handshake layer and the
 * ClientHello/ServerHello bodies, one byte at a time (see tls.h).
 *
 * Invariants:
 * - A direction consumes bytes only while its verdict is TLS_MORE, and at
 *   most TLS_DIR_BUDGET of them; after that every call is a no-op.
 * - Every length read from the wire is checked against the length of the
 *   structure enclosing it (record payload, handshake message, extensions
 *   block) before it is used; a mismatch marks the hello malformed and the
 *   rest of the message is skipped, never read as something else.
 * - Fixed fields are collected in dir_state.acc, decoded extensions in
 *   dir_state.scratch (bounded: a longer one is decoded from its prefix).
 * - Because all state lives in struct tls_dir_state and each byte is one
 *   step, the result does not depend on how the input is chunked.
 *
 * Fingerprints are in tls_ja.c.
 */
#include "tls.h"

#include <string.h>

/* The caller may keep a tls_hs in one default 4 KiB pool block (sensor
 * config pool_block_size, minus the block's 16-byte arena header). */
_Static_assert(sizeof(struct tls_hs) <= 4096 - 16,
	       "struct tls_hs must fit one 4 KiB blockpool block");

/* RFC 8446 section 5.1: content types; section 4: handshake types. */
enum {
	CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23,
	HT_CLIENT_HELLO = 1, HT_SERVER_HELLO = 2,
};

/* RFC 5246 section 6.2.3: a record is at most 2^14 + 2048 bytes (the
 * ciphertext bound; plaintext is at most 2^14, RFC 8446 section 5.1, but
 * the larger bound costs nothing and avoids judging borderline stacks). */
#define REC_MAX (16384 + 2048)

/* Positions in a hello body (RFC 8446 section 4.1.2 and 4.1.3; RFC 5246
 * section 7.4.1.2 and 7.4.1.3 have the same layout). */
enum step {
	ST_VERSION,      /* 2 */
	ST_RANDOM,       /* 32 */
	ST_SID_LEN,      /* 1 */
	ST_SID,          /* need */
	ST_CS_LEN,       /* 2, client */
	ST_CS,           /* need, client: u16 list */
	ST_COMP_LEN,     /* 1, client */
	ST_COMP,         /* need, client */
	ST_CIPHER,       /* 2, server */
	ST_COMP1,        /* 1, server */
	ST_EXTS_LEN,     /* 2; a message may end right before it */
	ST_EXT_HDR,      /* 4: type, length */
	ST_EXT_BODY,     /* need */
	ST_SKIP,         /* need: rest of a malformed message */
};

/* Extensions decoded (IANA TLS ExtensionType values). */
enum {
	EXT_SNI = 0,                 /* RFC 6066 section 3 */
	EXT_GROUPS = 10,             /* RFC 8422 section 5.1.1, RFC 8446 4.2.7 */
	EXT_POINTFMTS = 11,          /* RFC 8422 section 5.1.2 */
	EXT_SIGALGS = 13,            /* RFC 8446 section 4.2.3 */
	EXT_ALPN = 16,               /* RFC 7301 section 3.1 */
	EXT_VERSIONS = 43,           /* RFC 8446 section 4.2.1 */
};

/* RFC 8446 section 4.1.3: a HelloRetryRequest is a ServerHello whose
 * random is SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
	0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

bool tls_is_grease(uint16_t v)
{
	/* RFC 8701 section 2: 0x?a?a with both bytes equal. */
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

const char *tls_verdict_name(enum tls_verdict v)
{
	switch (v) {
	case TLS_MORE: return "more";
	case TLS_HELLO: return "hello";
	case TLS_NOT_TLS: return "not_tls";
	case TLS_SSLV2: return "sslv2";
	case TLS_ALERT: return "alert";
	case TLS_GAVE_UP: return "gave_up";
	}
	return "?";
}

const char *tls_version_name(uint16_t v)
{
	/* The strings Suricata's EVE "tls.version" uses, odd spacing included,
	 * so the same values compare across sensors. */
	switch (v) {
	case 0x0304: return "TLS 1.3";
	case 0x0303: return "TLS 1.2";
	case 0x0302: return "TLS 1.1";
	case 0x0301: return "TLSv1";
	case 0x0300: return "SSLv3";
	case 0x0002: return "SSLv2";
	}
	return NULL;
}

void tls_hs_init(struct tls_hs *hs, struct tls_stats *stats)
{
	/* Only the counters in ch/sh need zeroing, but the struct is a few KiB
	 * touched once per TLS connection: clearing it all keeps every field
	 * defined for the logger. */
	memset(hs, 0, sizeof(*hs));
	hs->stats = stats;
	stats->connections++;
}

enum tls_verdict tls_hs_verdict(const struct tls_hs *hs, enum tls_dir dir)
{
	return (enum tls_verdict)hs->dir[dir].verdict;
}

bool tls_hs_finished(const struct tls_hs *hs)
{
	return hs->dir[0].verdict != TLS_MORE && hs->dir[1].verdict != TLS_MORE;
}

void tls_hs_end(struct tls_hs *hs)
{
	for (int i = 0; i < 2; i++) {
		if (hs->dir[i].verdict == TLS_MORE && hs->dir[i].fed > 0) {
			hs->stats->truncated++;
			hs->dir[i].verdict = TLS_GAVE_UP;
		}
	}
}

uint16_t tls_hs_version(const struct tls_hs *hs)
{
	if (hs->dir[TLS_DIR_TO_CLIENT].verdict != TLS_HELLO)
		return 0;
	return hs->sh.selected_version ? hs->sh.selected_version : hs->sh.version;
}

static void finish(struct tls_hs *hs, struct tls_dir_state *d, enum tls_verdict v)
{
	d->verdict = (uint8_t)v;
	switch (v) {
	case TLS_NOT_TLS: hs->stats->not_tls++; break;
	case TLS_SSLV2: hs->stats->sslv2++; break;
	case TLS_ALERT: hs->stats->alert++; break;
	case TLS_GAVE_UP: hs->stats->gave_up++; break;
	case TLS_HELLO:
		if (d == &hs->dir[TLS_DIR_TO_SERVER])
			hs->stats->client_hellos++;
		else
			hs->stats->server_hellos++;
		break;
	case TLS_MORE: break;
	}
}

/* ---- extension bodies (decoded from scratch, possibly a prefix) ---- */

/* Append the u16 list at p[0..n) to list (cap entries, *cnt in use). */
static void put_u16s(struct tls_hs *hs, const uint8_t *p, size_t n,
		     uint16_t *list, uint16_t *cnt, uint16_t cap)
{
	for (size_t i = 0; i + 1 < n; i += 2) {
		if (*cnt >= cap) {
			hs->truncated = true;
			hs->stats->list_capped++;
			return;
		}
		list[(*cnt)++] = be16(p + i);
	}
}

/* A vector with a 1- or 2-byte length prefix: its body and length, bounded
 * by what is there. Counts an inner length that does not match the
 * extension's (unless the extension was cut to the scratch size). */
static size_t vec(struct tls_hs *hs, const uint8_t *p, size_t n, int lenlen,
		  bool cut, const uint8_t **body)
{
	if (n < (size_t)lenlen) {
		hs->stats->ext_malformed++;
		*body = p;
		return 0;
	}
	size_t l = lenlen == 1 ? p[0] : be16(p);
	*body = p + lenlen;
	if (l != n - (size_t)lenlen && !(cut && l > n - (size_t)lenlen))
		hs->stats->ext_malformed++;
	return l < n - (size_t)lenlen ? l : n - (size_t)lenlen;
}

/* RFC 6066 section 3: ServerNameList; the first host_name (type 0) is kept. */
static void ext_sni(struct tls_hs *hs, const uint8_t *p, size_t n, bool cut)
{
	const uint8_t *b;
	size_t l = vec(hs, p, n, 2, cut, &b);
	for (size_t i = 0; i + 3 <= l;) {
		uint8_t type = b[i];
		size_t nl = be16(b + i + 1);
		i += 3;
		if (nl > l - i) {
			if (!cut)
				hs->stats->ext_malformed++;
			nl = l - i;
		}
		if (type == 0 && hs->ch.sni_len == 0 && nl > 0) {
			size_t k = nl < TLS_SNI_MAX ? nl : TLS_SNI_MAX;
			memcpy(hs->ch.sni, b + i, k);
			hs->ch.sni[k] = '\0';
			hs->ch.sni_len = (uint8_t)k;
		}
		i += nl;
	}
}

/* RFC 7301 section 3.1: ProtocolNameList. */
static void ext_alpn(struct tls_hs *hs, const uint8_t *p, size_t n, bool cut,
		     bool server)
{
	const uint8_t *b;
	size_t l = vec(hs, p, n, 2, cut, &b);
	size_t used = 0;
	for (size_t i = 0; i < l;) {
		size_t pl = b[i++];
		if (pl > l - i) {
			if (!cut)
				hs->stats->ext_malformed++;
			pl = l - i;
		}
		if (server) {
			/* RFC 7301 section 3.1: exactly one name in the reply. */
			if (hs->sh.alpn_len == 0) {
				memcpy(hs->sh.alpn, b + i, pl);
				hs->sh.alpn_len = (uint8_t)pl;
			}
		} else if (hs->ch.n_alpn < TLS_MAX_ALPN && used + pl <= TLS_ALPN_BYTES) {
			memcpy(hs->ch.alpn + used, b + i, pl);
			hs->ch.alpn_len[hs->ch.n_alpn++] = (uint8_t)pl;
			used += pl;
		} else {
			hs->truncated = true;
			hs->stats->list_capped++;
		}
		i += pl;
	}
}

static void decode_ext(struct tls_hs *hs, bool client, uint16_t type,
		       const uint8_t *p, size_t n, bool cut)
{
	const uint8_t *b;
	size_t l;
	struct tls_client_hello *ch = &hs->ch;

	if (!client) {
		if (type == EXT_VERSIONS) {
			/* RFC 8446 section 4.2.1: ServerHello carries one version. */
			if (n == 2)
				hs->sh.selected_version = be16(p);
			else
				hs->stats->ext_malformed++;
		} else if (type == EXT_ALPN) {
			ext_alpn(hs, p, n, cut, true);
		}
		return;
	}
	switch (type) {
	case EXT_SNI:
		ext_sni(hs, p, n, cut);
		break;
	case EXT_GROUPS:
		l = vec(hs, p, n, 2, cut, &b);
		put_u16s(hs, b, l, ch->groups, &ch->n_groups, TLS_MAX_GROUPS);
		break;
	case EXT_SIGALGS:
		l = vec(hs, p, n, 2, cut, &b);
		put_u16s(hs, b, l, ch->sigalgs, &ch->n_sigalgs, TLS_MAX_SIGALGS);
		break;
	case EXT_VERSIONS:
		l = vec(hs, p, n, 1, cut, &b);
		put_u16s(hs, b, l, ch->versions, &ch->n_versions, TLS_MAX_VERSIONS);
		break;
	case EXT_POINTFMTS:
		l = vec(hs, p, n, 1, cut, &b);
		for (size_t i = 0; i < l; i++) {
			if (ch->n_pointfmts >= TLS_MAX_POINTFMTS) {
				hs->truncated = true;
				hs->stats->list_capped++;
				break;
			}
			ch->pointfmts[ch->n_pointfmts++] = b[i];
		}
		break;
	case EXT_ALPN:
		ext_alpn(hs, p, n, cut, false);
		break;
	}
}

static bool ext_wanted(bool client, uint16_t type)
{
	if (!client)
		return type == EXT_VERSIONS || type == EXT_ALPN;
	return type == EXT_SNI || type == EXT_GROUPS || type == EXT_POINTFMTS ||
	       type == EXT_SIGALGS || type == EXT_ALPN || type == EXT_VERSIONS;
}

/* ---- hello body ---- */

static void malformed(struct tls_hs *hs, struct tls_dir_state *d, bool client)
{
	if (client)
		hs->ch_malformed = true;
	else
		hs->sh_malformed = true;
	hs->stats->hello_malformed++;
	d->step = ST_SKIP;
	d->need = d->msg_left;
}

/* Enter a variable-length step; a zero length completes it at once. */
static void enter_var(struct tls_hs *hs, struct tls_dir_state *d, bool client,
		      enum step s, uint32_t len);

/* The extension that just ended (or the extensions block start): go to
 * the next header, or end the body. */
static void next_ext(struct tls_hs *hs, struct tls_dir_state *d, bool client)
{
	d->step = ST_EXT_HDR;
	d->acc_n = 0;
	/* RFC 8446 section 4.1.2: nothing follows the extensions. */
	if (d->exts_left == 0 && d->msg_left > 0)
		malformed(hs, d, client);
}

static void var_done(struct tls_hs *hs, struct tls_dir_state *d, bool client,
		     enum step s)
{
	switch (s) {
	case ST_SID:
		d->step = client ? ST_CS_LEN : ST_CIPHER;
		d->acc_n = 0;
		break;
	case ST_CS:
		d->step = ST_COMP_LEN;
		d->acc_n = 0;
		break;
	case ST_COMP:
		d->step = ST_EXTS_LEN;
		d->acc_n = 0;
		break;
	case ST_EXT_BODY: {
		bool cut = d->scratch_n < d->ext_len;
		if (ext_wanted(client, d->ext_type))
			decode_ext(hs, client, d->ext_type, d->scratch, d->scratch_n, cut);
		next_ext(hs, d, client);
		break;
	}
	default:
		break;
	}
}

static void enter_var(struct tls_hs *hs, struct tls_dir_state *d, bool client,
		      enum step s, uint32_t len)
{
	d->step = (uint8_t)s;
	d->need = len;
	d->acc_n = 0;
	if (len == 0)
		var_done(hs, d, client, s);
}

static void fixed_done(struct tls_hs *hs, struct tls_dir_state *d, bool client)
{
	uint32_t v = d->acc_n == 1 ? d->acc[0] : be16(d->acc);

	switch ((enum step)d->step) {
	case ST_VERSION:
		if (client)
			hs->ch.version = (uint16_t)v;
		else
			hs->sh.version = (uint16_t)v;
		d->step = ST_RANDOM;
		d->acc_n = 0;
		return;
	case ST_RANDOM:
		if (!client && memcmp(d->acc, hrr_random, 32) == 0) {
			hs->sh.hello_retry = true;
			hs->stats->hello_retry++;
		}
		d->step = ST_SID_LEN;
		d->acc_n = 0;
		return;
	case ST_SID_LEN:
		/* RFC 8446 section 4.1.2: legacy_session_id<0..32>. */
		if (v > 32 || v > d->msg_left)
			malformed(hs, d, client);
		else
			enter_var(hs, d, client, ST_SID, v);
		return;
	case ST_CS_LEN:
		/* cipher_suites<2..2^16-2>: pairs of bytes. */
		if (v > d->msg_left || (v & 1))
			malformed(hs, d, client);
		else
			enter_var(hs, d, client, ST_CS, v);
		return;
	case ST_COMP_LEN:
		if (v > d->msg_left)
			malformed(hs, d, client);
		else
			enter_var(hs, d, client, ST_COMP, v);
		return;
	case ST_CIPHER:
		hs->sh.cipher = (uint16_t)v;
		d->step = ST_COMP1;
		d->acc_n = 0;
		return;
	case ST_COMP1:
		hs->sh.compression = (uint8_t)v;
		d->step = ST_EXTS_LEN;
		d->acc_n = 0;
		return;
	case ST_EXTS_LEN:
		if (v > d->msg_left) {
			malformed(hs, d, client);
			return;
		}
		d->exts_left = v;
		next_ext(hs, d, client);
		return;
	case ST_EXT_HDR: {
		uint16_t type = (uint16_t)v;
		uint32_t len = be16(d->acc + 2);
		if (client) {
			if (!tls_is_grease(type))
				hs->ch.exts_total++;
			if (type == EXT_SNI)
				hs->ch.has_sni = true;
			if (type == EXT_ALPN)
				hs->ch.has_alpn = true;
			if (hs->ch.n_exts < TLS_MAX_EXTS)
				hs->ch.exts[hs->ch.n_exts++] = type;
			else {
				hs->truncated = true;
				hs->stats->list_capped++;
			}
		} else {
			if (hs->sh.n_exts < TLS_MAX_EXTS)
				hs->sh.exts[hs->sh.n_exts++] = type;
			else {
				hs->truncated = true;
				hs->stats->list_capped++;
			}
		}
		if (len > d->exts_left) {
			malformed(hs, d, client);
			return;
		}
		d->ext_type = type;
		d->ext_len = (uint16_t)len;
		d->scratch_n = 0;
		if (ext_wanted(client, type) && len > TLS_EXT_SCRATCH) {
			hs->truncated = true;
			hs->stats->ext_oversize++;
		}
		enter_var(hs, d, client, ST_EXT_BODY, len);
		return;
	}
	default:
		return;
	}
}

static uint8_t fixed_len(enum step s)
{
	switch (s) {
	case ST_VERSION: case ST_CS_LEN: case ST_CIPHER: case ST_EXTS_LEN:
		return 2;
	case ST_RANDOM:
		return 32;
	case ST_SID_LEN: case ST_COMP_LEN: case ST_COMP1:
		return 1;
	case ST_EXT_HDR:
		return 4;
	default:
		return 0;
	}
}

/* One byte of the hello body; d->msg_left already counts it as read. */
static void body_byte(struct tls_hs *hs, struct tls_dir_state *d, bool client,
		      uint8_t b)
{
	enum step s = (enum step)d->step;

	if (s == ST_EXT_HDR || s == ST_EXT_BODY) {
		if (d->exts_left == 0) {
			/* Only reachable in ST_EXT_HDR: a byte past the block.
			 * malformed() skips the rest of the message. */
			malformed(hs, d, client);
			return;
		} else {
			d->exts_left--;
		}
	}
	uint8_t fl = fixed_len(s);
	if (fl) {
		d->acc[d->acc_n++] = b;
		if (d->acc_n == fl)
			fixed_done(hs, d, client);
		return;
	}
	switch (s) {
	case ST_CS:
		d->acc[d->acc_n++] = b;
		if (d->acc_n == 2) {
			uint16_t c = be16(d->acc);
			d->acc_n = 0;
			if (!tls_is_grease(c))
				hs->ch.ciphers_total++;
			if (hs->ch.n_ciphers < TLS_MAX_CIPHERS)
				hs->ch.ciphers[hs->ch.n_ciphers++] = c;
			else if (!hs->truncated) {
				hs->truncated = true;
				hs->stats->list_capped++;
			}
		}
		break;
	case ST_EXT_BODY:
		if (d->scratch_n < TLS_EXT_SCRATCH)
			d->scratch[d->scratch_n++] = b;
		break;
	default:  /* ST_SID, ST_COMP, ST_SKIP: skipped */
		break;
	}
	if (--d->need == 0)
		var_done(hs, d, client, s);
}

/* The hello message ended: its body must have ended at a field boundary. */
static void hello_end(struct tls_hs *hs, struct tls_dir_state *d, bool client)
{
	bool ok = (d->step == ST_EXTS_LEN && d->acc_n == 0) ||
		  (d->step == ST_EXT_HDR && d->acc_n == 0 && d->exts_left == 0) ||
		  d->step == ST_SKIP;
	if (!ok)
		malformed(hs, d, client);
	finish(hs, d, TLS_HELLO);
}

/* ---- handshake layer (RFC 8446 section 4: type, uint24 length) ---- */

static void hs_byte(struct tls_hs *hs, struct tls_dir_state *d, bool client,
		    uint8_t b)
{
	if (d->hs_hdr_n < 4) {
		d->hs_hdr[d->hs_hdr_n++] = b;
		if (d->hs_hdr_n < 4)
			return;
		uint8_t want = client ? HT_CLIENT_HELLO : HT_SERVER_HELLO;
		d->msg_left = (uint32_t)d->hs_hdr[1] << 16 |
			      (uint32_t)d->hs_hdr[2] << 8 | d->hs_hdr[3];
		d->in_hello = d->hs_hdr[0] == want;
		if (d->in_hello) {
			d->step = ST_VERSION;
			d->acc_n = 0;
			if (d->msg_left == 0)
				hello_end(hs, d, client);
		} else {
			/* e.g. a HelloRequest (RFC 5246 7.4.1.1) before the
			 * ServerHello: skipped, the budget bounds it. */
			hs->stats->other_msg++;
			if (d->msg_left == 0)
				d->hs_hdr_n = 0;
		}
		return;
	}
	d->msg_left--;
	if (d->in_hello) {
		body_byte(hs, d, client, b);
		if (d->msg_left == 0)
			hello_end(hs, d, client);
	} else if (d->msg_left == 0) {
		d->hs_hdr_n = 0;
	}
}

static bool hs_msg_open(const struct tls_dir_state *d)
{
	return d->hs_hdr_n > 0;
}

/* ---- record layer ---- */

/* The 5 header bytes are in; decide what the record is. */
static void record_start(struct tls_hs *hs, struct tls_dir_state *d,
			 bool client, bool first)
{
	const uint8_t *h = d->rec_hdr;

	if (first && (h[0] & 0x80)) {
		/* RFC 5246 appendix E.2 (RFC 6101 appendix E): SSLv2 CLIENT-HELLO
		 * with a 2-byte header: msg_type 1, then the version. */
		uint16_t ver = be16(h + 3);
		if (client && h[2] == 1 &&
		    (ver == 0x0002 || (ver >= 0x0300 && ver <= 0x0304))) {
			hs->ch.sslv2_version = ver;
			finish(hs, d, TLS_SSLV2);
		} else {
			finish(hs, d, TLS_NOT_TLS);
		}
		return;
	}
	uint16_t len = be16(h + 3);
	bool ok = h[0] >= CT_CCS && h[0] <= CT_APPDATA && h[1] == 3 &&
		  h[2] <= 4 && len <= REC_MAX;
	if (!ok) {
		if (first) {
			finish(hs, d, TLS_NOT_TLS);
		} else {
			hs->stats->bad_record++;
			finish(hs, d, TLS_GAVE_UP);
		}
		return;
	}
	hs->stats->records++;
	d->rec_type = h[0];
	d->rec_left = len;
	switch (h[0]) {
	case CT_HANDSHAKE:
		if (len == 0)
			hs->stats->empty_record++;
		break;
	case CT_CCS:
	case CT_ALERT:
		/* RFC 8446 section 5.1: handshake messages must not be
		 * interleaved with other record types. */
		if (hs_msg_open(d)) {
			hs->stats->interleaved++;
			finish(hs, d, TLS_GAVE_UP);
			return;
		}
		if (h[0] == CT_CCS) {
			hs->stats->ccs_early++;
		} else if (len < 2) {
			hs->stats->bad_record++;
			finish(hs, d, TLS_GAVE_UP);
			return;
		}
		break;
	case CT_APPDATA:
		hs->stats->appdata_early++;
		finish(hs, d, TLS_GAVE_UP);
		return;
	}
	if (d->rec_left == 0)
		d->rec_hdr_n = 0;
}

enum tls_verdict tls_hs_feed(struct tls_hs *hs, enum tls_dir dir,
			     const uint8_t *data, size_t len)
{
	struct tls_dir_state *d = &hs->dir[dir];
	bool client = dir == TLS_DIR_TO_SERVER;

	for (size_t i = 0; i < len && d->verdict == TLS_MORE; i++) {
		uint8_t b = data[i];
		if (d->fed >= TLS_DIR_BUDGET) {
			hs->stats->budget++;
			finish(hs, d, TLS_GAVE_UP);
			break;
		}
		d->fed++;
		if (d->rec_hdr_n < 5) {
			d->rec_hdr[d->rec_hdr_n++] = b;
			if (d->fed == 1 && !(b >= CT_CCS && b <= CT_APPDATA) &&
			    !(client && (b & 0x80))) {
				/* Decided on the first byte, so a refused
				 * STARTTLS ("454 ...") is known at once. */
				finish(hs, d, TLS_NOT_TLS);
				break;
			}
			if (d->rec_hdr_n == 5)
				record_start(hs, d, client, d->fed == 5);
			continue;
		}
		d->rec_left--;
		switch (d->rec_type) {
		case CT_HANDSHAKE:
			hs_byte(hs, d, client, b);
			break;
		case CT_ALERT: {
			/* RFC 8446 section 6: level, then description. */
			uint32_t pos = be16(d->rec_hdr + 3) - d->rec_left - 1u;
			if (pos == 0) {
				hs->alert_level = b;
			} else if (pos == 1) {
				hs->alert_desc = b;
				finish(hs, d, TLS_ALERT);
			}
			break;
		}
		default:  /* CCS: skipped */
			break;
		}
		if (d->rec_left == 0)
			d->rec_hdr_n = 0;
	}
	return (enum tls_verdict)d->verdict;
}
