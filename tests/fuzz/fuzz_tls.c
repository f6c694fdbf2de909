/*
 * fuzz_tls.c — libFuzzer target for the TLS handshake inspector.
 *
 * Input: byte 0 = chunk size for the split run ((byte & 63) + 1) and, in
 * bit 6, which direction is fed first; bytes 1-2 = length of the client's
 * stream (big-endian, cut to what is there); then the client's bytes,
 * then the server's.
 *
 * Checked, abort() on failure:
 *  - fed whole and fed in chunks, both directions give the same verdicts,
 *    hello fields and flags (chunk boundaries never matter);
 *  - every list count within its array; sni NUL-terminated at sni_len;
 *  - the fingerprints: JA3/JA3S strings fit their buffers, hashes are 32
 *    hex digits when the hello was read, JA4 is 36 characters with '_' at
 *    10 and 23; a direction never consumes more than TLS_DIR_BUDGET bytes;
 *  - tls_hs_end leaves no direction TLS_MORE once it was fed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

static struct tls_stats stats;

static void feed(struct tls_hs *hs, const uint8_t *cli, size_t cn,
		 const uint8_t *srv, size_t sn, size_t chunk, bool srv_first)
{
	for (int pass = 0; pass < 2; pass++) {
		bool s = (pass == 0) == srv_first;
		const uint8_t *p = s ? srv : cli;
		size_t n = s ? sn : cn;
		for (size_t off = 0; off < n; off += chunk)
			tls_hs_feed(hs, s ? TLS_DIR_TO_CLIENT : TLS_DIR_TO_SERVER,
				    p + off, n - off < chunk ? n - off : chunk);
	}
}

static void check(const struct tls_hs *hs)
{
	const struct tls_client_hello *ch = &hs->ch;
	char s[TLS_JA3_STR_MAX], h[TLS_MD5_HEX], j[TLS_JA4_LEN];

	if (ch->n_ciphers > TLS_MAX_CIPHERS || ch->n_exts > TLS_MAX_EXTS ||
	    ch->n_groups > TLS_MAX_GROUPS || ch->n_sigalgs > TLS_MAX_SIGALGS ||
	    ch->n_versions > TLS_MAX_VERSIONS || ch->n_pointfmts > TLS_MAX_POINTFMTS ||
	    ch->n_alpn > TLS_MAX_ALPN || hs->sh.n_exts > TLS_MAX_EXTS ||
	    ch->sni[ch->sni_len] != '\0')
		abort();
	for (int d = 0; d < 2; d++)
		if (hs->dir[d].fed > TLS_DIR_BUDGET)
			abort();
	bool ch_ok = tls_hs_verdict(hs, TLS_DIR_TO_SERVER) == TLS_HELLO;
	bool sh_ok = tls_hs_verdict(hs, TLS_DIR_TO_CLIENT) == TLS_HELLO;
	if (tls_ja3_string(hs, s, sizeof(s)) >= sizeof(s) - 1 && ch_ok)
		abort();
	if (tls_ja3_hash(hs, h) != (ch_ok ? 32u : 0u))
		abort();
	if (tls_ja3s_string(hs, s, sizeof(s)) >= TLS_JA3S_STR_MAX - 1)
		abort();
	if (tls_ja3s_hash(hs, h) != (sh_ok ? 32u : 0u))
		abort();
	size_t jl = tls_ja4(hs, j);
	if (ch_ok && (jl != 36 || j[10] != '_' || j[23] != '_' || strlen(j) != 36))
		abort();
	if (!ch_ok && jl != 0)
		abort();
}

static bool same(const struct tls_hs *x, const struct tls_hs *y)
{
	return x->dir[0].verdict == y->dir[0].verdict &&
	       x->dir[1].verdict == y->dir[1].verdict &&
	       memcmp(&x->ch, &y->ch, sizeof(x->ch)) == 0 &&
	       memcmp(&x->sh, &y->sh, sizeof(x->sh)) == 0 &&
	       x->ch_malformed == y->ch_malformed &&
	       x->sh_malformed == y->sh_malformed &&
	       x->truncated == y->truncated &&
	       x->alert_level == y->alert_level && x->alert_desc == y->alert_desc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tls_hs a, b;

	if (size < 3)
		return 0;
	size_t chunk = (size_t)(data[0] & 63) + 1;
	bool srv_first = data[0] & 64;
	size_t cn = (size_t)data[1] << 8 | data[2];
	data += 3;
	size -= 3;
	if (cn > size)
		cn = size;

	tls_hs_init(&a, &stats);
	feed(&a, data, cn, data + cn, size - cn, size ? size : 1, false);
	check(&a);
	tls_hs_init(&b, &stats);
	feed(&b, data, cn, data + cn, size - cn, chunk, srv_first);
	check(&b);
	if (!same(&a, &b))
		abort();
	tls_hs_end(&a);
	if ((a.dir[0].fed && tls_hs_verdict(&a, TLS_DIR_TO_SERVER) == TLS_MORE) ||
	    (a.dir[1].fed && tls_hs_verdict(&a, TLS_DIR_TO_CLIENT) == TLS_MORE))
		abort();
	check(&a);
	return 0;
}
