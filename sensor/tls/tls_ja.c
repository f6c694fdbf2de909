/*
 * tls_ja.c — JA3, JA3S and JA4 fingerprints of the hellos a struct tls_hs
 * has read (see tls.h for the string formats).
 *
 * Computed on demand, when the caller logs, from the lists kept in
 * hs->ch and hs->sh; nothing here touches the parser state. Digests come
 * from OpenSSL's libcrypto (EVP: MD5 for JA3/JA3S, SHA-256 for JA4).
 * EVP_Digest allocates a context internally: this runs once per logged
 * TLS connection, not per packet.
 *
 * JA4 follows FoxIO's specification (technical_details/JA4.md in the
 * FoxIO-LLC/ja4 repository), for TLS over TCP:
 *   a: "t", the version ("13", "12", "11", "10", "s3", "s2", else "00")
 *      taken from the highest non-GREASE supported_versions entry, else
 *      the ClientHello legacy version; "d" if the server_name extension is
 *      present, else "i"; the number of cipher suites and of extensions,
 *      GREASE not counted, two digits each, capped at 99; the first and
 *      last character of the first ALPN value ("00" without one; the first
 *      and last hex digit of it when either end byte is not ASCII
 *      alphanumeric).
 *   b: first 12 hex digits of SHA-256 over the cipher suites as 4-digit
 *      lower-case hex, sorted, comma-joined, GREASE left out;
 *      "000000000000" when there are none.
 *   c: the same over the extensions, sorted, without GREASE, SNI (0x0000)
 *      and ALPN (0x0010), then "_" and the signature algorithms in wire
 *      order (no "_" when there are none); "000000000000" when the
 *      extension list is empty.
 */
#include "tls.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

/* A bounded string builder: writes never pass cap - 1, n counts what fit. */
struct sb {
	char *p;
	size_t cap, n;
};

static void sb_add(struct sb *s, const char *str)
{
	for (; *str && s->n + 1 < s->cap; str++)
		s->p[s->n++] = *str;
	s->p[s->n] = '\0';
}

static void sb_u(struct sb *s, unsigned v, const char *fmt)
{
	char tmp[16];
	snprintf(tmp, sizeof(tmp), fmt, v);
	sb_add(s, tmp);
}

/* Items of list that are not GREASE, decimal, joined by '-'. */
static void sb_list16(struct sb *s, const uint16_t *list, size_t n)
{
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (tls_is_grease(list[i]))
			continue;
		if (!first)
			sb_add(s, "-");
		sb_u(s, list[i], "%u");
		first = false;
	}
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Lower-case hex digest of str; hexlen digits kept (out: hexlen + 1). */
static size_t digest_hex(const EVP_MD *md, const char *str, size_t len,
			 char *out, size_t hexlen)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	char full[2 * EVP_MAX_MD_SIZE + 1];

	if (!EVP_Digest(str, len, d, &dl, md, NULL)) {
		out[0] = '\0';
		return 0;
	}
	hex(d, dl, full);
	if (hexlen > 2 * (size_t)dl)
		hexlen = 2 * (size_t)dl;
	memcpy(out, full, hexlen);
	out[hexlen] = '\0';
	return hexlen;
}

size_t tls_ja3_string(const struct tls_hs *hs, char *out, size_t cap)
{
	const struct tls_client_hello *ch = &hs->ch;
	struct sb s = { out, cap, 0 };

	if (cap == 0)
		return 0;
	out[0] = '\0';
	if (hs->dir[TLS_DIR_TO_SERVER].verdict != TLS_HELLO)
		return 0;
	sb_u(&s, ch->version, "%u,");
	sb_list16(&s, ch->ciphers, ch->n_ciphers);
	sb_add(&s, ",");
	sb_list16(&s, ch->exts, ch->n_exts);
	sb_add(&s, ",");
	sb_list16(&s, ch->groups, ch->n_groups);
	sb_add(&s, ",");
	for (size_t i = 0; i < ch->n_pointfmts; i++)
		sb_u(&s, ch->pointfmts[i], i ? "-%u" : "%u");
	return s.n;
}

/* MD5 of a fingerprint string (JA3, JA3S), as hex; "" if there is none. */
static size_t md5_of(size_t (*fmt)(const struct tls_hs *, char *, size_t),
		     const struct tls_hs *hs, char out[TLS_MD5_HEX])
{
	char str[TLS_JA3_STR_MAX];
	size_t n = fmt(hs, str, sizeof(str));

	out[0] = '\0';
	if (n == 0)
		return 0;
	return digest_hex(EVP_md5(), str, n, out, 32);
}

size_t tls_ja3_hash(const struct tls_hs *hs, char out[TLS_MD5_HEX])
{
	return md5_of(tls_ja3_string, hs, out);
}

size_t tls_ja3s_string(const struct tls_hs *hs, char *out, size_t cap)
{
	const struct tls_server_hello *sh = &hs->sh;
	struct sb s = { out, cap, 0 };

	if (cap == 0)
		return 0;
	out[0] = '\0';
	if (hs->dir[TLS_DIR_TO_CLIENT].verdict != TLS_HELLO)
		return 0;
	sb_u(&s, sh->version, "%u,");
	sb_u(&s, sh->cipher, "%u,");
	sb_list16(&s, sh->exts, sh->n_exts);
	return s.n;
}

size_t tls_ja3s_hash(const struct tls_hs *hs, char out[TLS_MD5_HEX])
{
	return md5_of(tls_ja3s_string, hs, out);
}

/* ---- JA4 ---- */

static void sort16(uint16_t *v, size_t n)
{
	/* Insertion sort: at most TLS_MAX_CIPHERS entries, once per log. */
	for (size_t i = 1; i < n; i++) {
		uint16_t x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static const char *ja4_version(uint16_t v)
{
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	}
	return "00";
}

static bool alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

/* Hash part of JA4 for a sorted list (+ optional unsorted tail), or 12
 * zeros when list is empty. */
static void ja4_part(const uint16_t *list, size_t n, const uint16_t *tail,
		     size_t tn, char out[13])
{
	char str[(TLS_MAX_CIPHERS + TLS_MAX_SIGALGS) * 5 + 2];
	struct sb s = { str, sizeof(str), 0 };

	if (n == 0) {
		memcpy(out, "000000000000", 13);
		return;
	}
	str[0] = '\0';
	for (size_t i = 0; i < n; i++)
		sb_u(&s, list[i], i ? ",%04x" : "%04x");
	for (size_t i = 0; i < tn; i++)
		sb_u(&s, tail[i], i ? ",%04x" : "_%04x");
	if (digest_hex(EVP_sha256(), str, s.n, out, 12) != 12)
		memcpy(out, "000000000000", 13);
}

size_t tls_ja4(const struct tls_hs *hs, char out[TLS_JA4_LEN])
{
	const struct tls_client_hello *ch = &hs->ch;
	uint16_t list[TLS_MAX_CIPHERS], sig[TLS_MAX_SIGALGS];
	size_t n = 0, sn = 0;
	char a[12], b[13], c[13];

	out[0] = '\0';
	if (hs->dir[TLS_DIR_TO_SERVER].verdict != TLS_HELLO)
		return 0;

	/* a: version from supported_versions (highest, GREASE ignored). */
	uint16_t ver = 0;
	for (size_t i = 0; i < ch->n_versions; i++)
		if (!tls_is_grease(ch->versions[i]) && ch->versions[i] > ver)
			ver = ch->versions[i];
	if (ver == 0)
		ver = ch->version;
	char al[3] = "00";
	if (ch->n_alpn > 0 && ch->alpn_len[0] > 0) {
		uint8_t f = ch->alpn[0], l = ch->alpn[ch->alpn_len[0] - 1];
		if (alnum(f) && alnum(l)) {
			al[0] = (char)f;
			al[1] = (char)l;
		} else {
			static const char digits[] = "0123456789abcdef";
			al[0] = digits[f >> 4];
			al[1] = digits[l & 15];
		}
	}
	unsigned nc = ch->ciphers_total > 99 ? 99 : ch->ciphers_total;
	unsigned ne = ch->exts_total > 99 ? 99 : ch->exts_total;
	snprintf(a, sizeof(a), "t%s%c%02u%02u%s", ja4_version(ver),
		 ch->has_sni ? 'd' : 'i', nc, ne, al);

	/* b: ciphers, sorted. */
	for (size_t i = 0; i < ch->n_ciphers; i++)
		if (!tls_is_grease(ch->ciphers[i]))
			list[n++] = ch->ciphers[i];
	sort16(list, n);
	ja4_part(list, n, NULL, 0, b);

	/* c: extensions less SNI and ALPN, sorted; then signature algorithms
	 * as sent. */
	n = 0;
	for (size_t i = 0; i < ch->n_exts; i++) {
		uint16_t e = ch->exts[i];
		if (!tls_is_grease(e) && e != 0x0000 && e != 0x0010)
			list[n++] = e;
	}
	sort16(list, n);
	for (size_t i = 0; i < ch->n_sigalgs; i++)
		if (!tls_is_grease(ch->sigalgs[i]))
			sig[sn++] = ch->sigalgs[i];
	ja4_part(list, n, sig, sn, c);

	return (size_t)snprintf(out, TLS_JA4_LEN, "%s_%s_%s", a, b, c);
}
