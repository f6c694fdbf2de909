/*
 * test_tls — the TLS handshake inspector (sensor/tls).
 *
 * 1. Real handshakes captured on loopback (data/tls/handshakes.h, made by
 *    data/tls/gen.sh + extract.py): SNI, versions, cipher, JA3/JA3S
 *    strings and hashes as Wireshark computes them, and JA4 as an
 *    independent implementation of FoxIO's spec computes it. Each one fed
 *    whole, byte by byte, split at every offset and at every pair of
 *    offsets, and re-framed into records of 1..N bytes: all identical.
 * 2. ClientHellos built here from tables: FoxIO's own JA4 example with
 *    GREASE added, the ALPN rules, no extensions, caps.
 * 3. Things that are not a hello: refused STARTTLS text, SSLv2, an alert,
 *    bad records, interleaving, truncation, the byte budget, malformed
 *    lengths. Each ends with its verdict and counter.
 */
#include "check.h"
#include "tls.h"

#include <stdlib.h>

#include "data/tls/handshakes.h"

static struct tls_stats stats;

/* ---- helpers ------------------------------------------------------------ */

struct buf {
	uint8_t b[70000];
	size_t n;
};

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (; h[0] && h[1] && n < cap; h += 2) {
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void put8(struct buf *b, unsigned v) { b->b[b->n++] = (uint8_t)v; }
static void put16(struct buf *b, unsigned v) { put8(b, v >> 8); put8(b, v & 0xff); }
static void put24(struct buf *b, unsigned v) { put8(b, v >> 16); put16(b, v & 0xffff); }
static void putmem(struct buf *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

/* Wrap a handshake stream into records of at most frag bytes each. */
static void frame(struct buf *out, uint8_t type, const uint8_t *p, size_t n,
		  size_t frag)
{
	out->n = 0;
	for (size_t off = 0; off < n; off += frag) {
		size_t k = n - off < frag ? n - off : frag;
		put8(out, type);
		put16(out, 0x0301);
		put16(out, (unsigned)k);
		putmem(out, p + off, k);
	}
}

/* Strip the record layer from a capture: the handshake bytes of the
 * leading handshake records. */
static size_t deframe(const uint8_t *p, size_t n, uint8_t *out)
{
	size_t o = 0;
	for (size_t i = 0; i + 5 <= n && p[i] == 22;) {
		size_t l = (size_t)p[i + 3] << 8 | p[i + 4];
		if (i + 5 + l > n)
			break;
		memcpy(out + o, p + i + 5, l);
		o += l;
		i += 5 + l;
	}
	return o;
}

static void feed_chunks(struct tls_hs *hs, enum tls_dir dir, const uint8_t *p,
			size_t n, size_t a, size_t b)
{
	/* Three chunks: [0,a) [a,b) [b,n). */
	tls_hs_feed(hs, dir, p, a);
	tls_hs_feed(hs, dir, p + a, b - a);
	tls_hs_feed(hs, dir, p + b, n - b);
}

/* Everything the parser produced, as one comparable value. */
static bool same_result(const struct tls_hs *x, const struct tls_hs *y)
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

static void check_fingerprints(const struct tls_hs *hs, const struct tls_capture *c)
{
	char s[TLS_JA3_STR_MAX], h[TLS_MD5_HEX], j4[TLS_JA4_LEN];

	tls_ja3_string(hs, s, sizeof(s));
	CHECK_STR(s, c->ja3);
	tls_ja3_hash(hs, h);
	CHECK_STR(h, c->ja3_hash);
	tls_ja3s_string(hs, s, sizeof(s));
	CHECK_STR(s, c->ja3s);
	tls_ja3s_hash(hs, h);
	CHECK_STR(h, c->ja3s_hash);
	CHECK_EQ_U(tls_ja4(hs, j4), 36);
	CHECK_STR(j4, c->ja4);
}

/* ---- 1. captures ---------------------------------------------------------- */

static void test_capture(const struct tls_capture *c)
{
	static uint8_t cli[8192], srv[8192], hsb[8192];
	static struct buf fr;
	size_t cn = unhex(c->client_hex, cli, sizeof(cli));
	size_t sn = unhex(c->server_hex, srv, sizeof(srv));
	struct tls_hs ref, hs;

	tls_hs_init(&ref, &stats);
	CHECK_EQ_U(tls_hs_feed(&ref, TLS_DIR_TO_SERVER, cli, cn), TLS_HELLO);
	CHECK(!tls_hs_finished(&ref));
	CHECK_EQ_U(tls_hs_feed(&ref, TLS_DIR_TO_CLIENT, srv, sn), TLS_HELLO);
	CHECK(tls_hs_finished(&ref));
	CHECK(!ref.ch_malformed && !ref.sh_malformed && !ref.truncated);
	CHECK_STR(ref.ch.sni, c->sni);
	CHECK_EQ_U(ref.ch.sni_len, strlen(c->sni));
	CHECK_EQ_U(ref.ch.has_sni, c->sni[0] != '\0');
	CHECK_EQ_U(tls_hs_version(&ref), c->server_version);
	CHECK_EQ_U(ref.sh.cipher, c->cipher);
	CHECK_EQ_U(ref.ch.n_alpn > 0 ? ref.ch.alpn_len[0] : 0, strlen(c->alpn0));
	CHECK_MEM(ref.ch.alpn, strlen(c->alpn0), c->alpn0, strlen(c->alpn0));
	CHECK_EQ_U(ref.sh.hello_retry, strcmp(c->name, "tls13_hrr") == 0);
	check_fingerprints(&ref, c);

	/* Byte by byte. */
	tls_hs_init(&hs, &stats);
	for (size_t i = 0; i < cn; i++)
		tls_hs_feed(&hs, TLS_DIR_TO_SERVER, cli + i, 1);
	for (size_t i = 0; i < sn; i++)
		tls_hs_feed(&hs, TLS_DIR_TO_CLIENT, srv + i, 1);
	CHECK(same_result(&ref, &hs));

	/* Every pair of split points (every single split included: a == b). */
	unsigned bad = 0;
	for (size_t a = 0; a <= cn; a++)
		for (size_t b = a; b <= cn; b++) {
			tls_hs_init(&hs, &stats);
			feed_chunks(&hs, TLS_DIR_TO_SERVER, cli, cn, a, b);
			size_t sa = a % (sn + 1), sb = b % (sn + 1);
			if (sa > sb) { size_t t = sa; sa = sb; sb = t; }
			feed_chunks(&hs, TLS_DIR_TO_CLIENT, srv, sn, sa, sb);
			bad += !same_result(&ref, &hs);
		}
	CHECK_EQ_U(bad, 0);

	/* Re-framed: the same handshake bytes in records of 1, 2, 3, ... bytes
	 * (a message spanning many records, headers split between them). */
	size_t hn = deframe(cli, cn, hsb);
	CHECK(hn > 40);
	bad = 0;
	for (size_t frag = 1; frag <= hn; frag += frag < 16 ? 1 : 37) {
		frame(&fr, 22, hsb, hn, frag);
		tls_hs_init(&hs, &stats);
		tls_hs_feed(&hs, TLS_DIR_TO_SERVER, fr.b, fr.n);
		tls_hs_feed(&hs, TLS_DIR_TO_CLIENT, srv, sn);
		bad += !same_result(&ref, &hs);
	}
	CHECK_EQ_U(bad, 0);

	/* Truncated anywhere: still waiting; ended: given up, counted. */
	bad = 0;
	for (size_t k = 0; k < cn - 6; k++) {
		tls_hs_init(&hs, &stats);
		bad += tls_hs_feed(&hs, TLS_DIR_TO_SERVER, cli, k) != TLS_MORE;
		uint64_t t = stats.truncated;
		tls_hs_end(&hs);
		bad += stats.truncated != t + (k > 0);
		bad += tls_hs_verdict(&hs, TLS_DIR_TO_SERVER) != (k ? TLS_GAVE_UP : TLS_MORE);
	}
	CHECK_EQ_U(bad, 0);
}

/* ---- 2. built ClientHellos ------------------------------------------------ */

struct hello_spec {
	uint16_t version;
	const uint16_t *ciphers; size_t nc;
	const uint16_t *exts; size_t ne;     /* order on the wire */
	const uint16_t *sigalgs; size_t ns;
	const uint16_t *versions; size_t nv;
	const char *sni;
	const char *alpn[3]; size_t alpn_lens[3];  /* 0 = strlen */
	size_t pad;                           /* bytes of extension 21 */
};

static const uint16_t groups3[] = { 0x001d, 0x0017, 0x0018 };

/* A ClientHello handshake message (header included) from spec. */
static void build_hello(struct buf *m, const struct hello_spec *s)
{
	m->n = 0;
	put8(m, 1);
	put24(m, 0);                         /* patched below */
	put16(m, s->version);
	for (int i = 0; i < 32; i++)
		put8(m, (unsigned)i);
	put8(m, 32);
	for (int i = 0; i < 32; i++)
		put8(m, 0xee);
	put16(m, (unsigned)(2 * s->nc));
	for (size_t i = 0; i < s->nc; i++)
		put16(m, s->ciphers[i]);
	put8(m, 1);
	put8(m, 0);
	if (s->ne) {
		size_t at = m->n;
		put16(m, 0);
		for (size_t i = 0; i < s->ne; i++) {
			uint16_t t = s->exts[i];
			put16(m, t);
			size_t lat = m->n;
			put16(m, 0);
			switch (t) {
			case 0: {
				size_t l = strlen(s->sni);
				put16(m, (unsigned)l + 3);
				put8(m, 0);
				put16(m, (unsigned)l);
				putmem(m, s->sni, l);
				break;
			}
			case 10:
				put16(m, 6);
				for (int k = 0; k < 3; k++)
					put16(m, groups3[k]);
				break;
			case 11:
				put8(m, 1);
				put8(m, 0);
				break;
			case 13:
				put16(m, (unsigned)(2 * s->ns));
				for (size_t k = 0; k < s->ns; k++)
					put16(m, s->sigalgs[k]);
				break;
			case 16: {
				size_t l = 0, lat2 = m->n;
				put16(m, 0);
				for (int k = 0; k < 3 && s->alpn[k]; k++) {
					size_t pl = s->alpn_lens[k] ? s->alpn_lens[k] : strlen(s->alpn[k]);
					put8(m, (unsigned)pl);
					putmem(m, s->alpn[k], pl);
					l += pl + 1;
				}
				m->b[lat2] = (uint8_t)(l >> 8);
				m->b[lat2 + 1] = (uint8_t)l;
				break;
			}
			case 21:
				for (size_t k = 0; k < s->pad; k++)
					put8(m, 0);
				break;
			case 43:
				put8(m, (unsigned)(2 * s->nv));
				for (size_t k = 0; k < s->nv; k++)
					put16(m, s->versions[k]);
				break;
			case 51:      /* a key share's worth of bytes, skipped */
				for (int k = 0; k < 40; k++)
					put8(m, 0x33);
				break;
			default:
				break;
			}
			size_t el = m->n - lat - 2;
			m->b[lat] = (uint8_t)(el >> 8);
			m->b[lat + 1] = (uint8_t)el;
		}
		size_t xl = m->n - at - 2;
		m->b[at] = (uint8_t)(xl >> 8);
		m->b[at + 1] = (uint8_t)xl;
	}
	size_t bl = m->n - 4;
	m->b[1] = (uint8_t)(bl >> 16);
	m->b[2] = (uint8_t)(bl >> 8);
	m->b[3] = (uint8_t)bl;
}

static enum tls_verdict run_hello(struct tls_hs *hs, const struct hello_spec *s,
				  size_t frag)
{
	static struct buf m, r;
	build_hello(&m, s);
	frame(&r, 22, m.b, m.n, frag);
	tls_hs_init(hs, &stats);
	return tls_hs_feed(hs, TLS_DIR_TO_SERVER, r.b, r.n);
}

/* FoxIO's JA4 example (JA4.md): its cipher, extension and signature
 * algorithm lists, ALPN h2, with GREASE added in every list. */
static const uint16_t spec_ciphers[] = {
	0x5a5a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
	0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
};
static const uint16_t spec_exts[] = {
	0x0a0a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d,
	0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015, 0xfafa,
};
static const uint16_t spec_sigalgs[] = {
	0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
};
static const uint16_t spec_versions[] = { 0x3a3a, 0x0304, 0x0303 };

static void test_ja4_spec(void)
{
	struct hello_spec s = {
		.version = 0x0303,
		.ciphers = spec_ciphers, .nc = 16,
		.exts = spec_exts, .ne = 18,
		.sigalgs = spec_sigalgs, .ns = 8,
		.versions = spec_versions, .nv = 3,
		.sni = "www.example.com",
		.alpn = { "h2", "http/1.1" },
		.pad = 20,
	};
	struct tls_hs hs;
	char j4[TLS_JA4_LEN], s3[TLS_JA3_STR_MAX], h[TLS_MD5_HEX];

	for (size_t frag = 1; frag <= 600; frag += 97) {
		CHECK_EQ_U(run_hello(&hs, &s, frag), TLS_HELLO);
		tls_ja4(&hs, j4);
		CHECK_STR(j4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	}
	CHECK_EQ_U(hs.ch.n_ciphers, 16);      /* GREASE kept in the lists */
	CHECK_EQ_U(hs.ch.ciphers_total, 15);  /* and not counted */
	CHECK_EQ_U(hs.ch.n_versions, 3);
	CHECK_STR(hs.ch.sni, "www.example.com");
	CHECK_EQ_U(hs.ch.n_alpn, 2);
	CHECK_MEM(hs.ch.alpn, 10, "h2http/1.1", 10);
	/* JA3 leaves GREASE out too (value computed with Python's hashlib). */
	tls_ja3_string(&hs, s3, sizeof(s3));
	CHECK_STR(s3, "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
		  "27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0");
	tls_ja3_hash(&hs, h);
	CHECK_STR(h, "c000e2caf3a25423f9de6c8a4b12a975");
	/* No ServerHello yet: no JA3S. */
	CHECK_EQ_U(tls_ja3s_hash(&hs, h), 0);
	CHECK_STR(h, "");

	/* The spec's "no signature algorithms" value: 000d present, empty. */
	s.ns = 0;
	run_hello(&hs, &s, 16384);
	tls_ja4(&hs, j4);
	CHECK_STR(j4, "t13d1516h2_8daaf6152771_6d807ffa2a79");

	/* SNI and ALPN are not in part c: without them it is unchanged. */
	static const uint16_t exts_no_sni[] = {
		0x001b, 0x0033, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023,
		0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
	};
	s.ns = 8;
	s.exts = exts_no_sni;
	s.ne = 14;
	run_hello(&hs, &s, 16384);
	tls_ja4(&hs, j4);
	CHECK_STR(j4, "t13i151400_8daaf6152771_e5627efa2ab1");
	CHECK(!hs.ch.has_sni);

	/* Without supported_versions the legacy version counts. */
	static const uint16_t exts_12[] = { 0x0000, 0x000d, 0x0010 };
	s.exts = exts_12;
	s.ne = 3;
	run_hello(&hs, &s, 16384);
	tls_ja4(&hs, j4);
	CHECK(strncmp(j4, "t12d1503h2_8daaf6152771_", 24) == 0);
}

static void test_ja4_alpn(void)
{
	static const uint16_t c1[] = { 0x002f };
	static const uint16_t e1[] = { 0x0010 };
	static const struct { const char *p; size_t len; const char *want; } t[] = {
		{ "http/1.1", 0, "h1" },
		{ "h2", 0, "h2" },
		{ "x", 0, "xx" },            /* one character is first and last */
		{ "\xab", 1, "ab" },         /* the spec's examples */
		{ "\xab\xcd", 2, "ad" },
		{ "0\xab", 2, "3b" },
		{ "01\xab\xcd", 4, "3d" },
		{ "0\xab\xcd" "1", 4, "01" },
		{ "", 0, "00" },             /* empty first value */
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct hello_spec s = {
			.version = 0x0303, .ciphers = c1, .nc = 1, .exts = e1, .ne = 1,
			.sni = "", .alpn = { t[i].p, "h2" }, .alpn_lens = { t[i].len },
		};
		struct tls_hs hs;
		char j4[TLS_JA4_LEN];

		CHECK_EQ_U(run_hello(&hs, &s, 16384), TLS_HELLO);
		tls_ja4(&hs, j4);
		CHECK_MEM(j4 + 8, 2, t[i].want, 2);
		/* Only ALPN: part c has no extension left. */
		CHECK_STR(j4 + 24, "000000000000");
	}
}

static void test_no_extensions(void)
{
	static const uint16_t c2[] = { 0x0035, 0x002f };
	struct hello_spec s = { .version = 0x0301, .ciphers = c2, .nc = 2, .sni = "" };
	struct tls_hs hs;
	char j4[TLS_JA4_LEN], s3[TLS_JA3_STR_MAX];

	CHECK_EQ_U(run_hello(&hs, &s, 16384), TLS_HELLO);
	CHECK(!hs.ch_malformed);
	tls_ja4(&hs, j4);
	CHECK(strncmp(j4, "t10i020000_", 11) == 0);
	CHECK_STR(j4 + 24, "000000000000");
	tls_ja3_string(&hs, s3, sizeof(s3));
	CHECK_STR(s3, "769,53-47,,,");

	/* No cipher suites at all: part b is zeros (the hello is odd but
	 * lengths agree). */
	s.nc = 0;
	CHECK_EQ_U(run_hello(&hs, &s, 16384), TLS_HELLO);
	tls_ja4(&hs, j4);
	CHECK_STR(j4, "t10i000000_000000000000_000000000000");
}

/* Lists over their caps, an extension over the scratch, a huge padding. */
static void test_caps(void)
{
	static uint16_t many[300];
	static const uint16_t ex[] = { 0x0015, 0x0000, 0x000d };
	static uint16_t sig[100];
	for (int i = 0; i < 300; i++)
		many[i] = (uint16_t)(0x1000 + i);
	for (int i = 0; i < 100; i++)
		sig[i] = (uint16_t)(0x0400 + i);
	struct hello_spec s = {
		.version = 0x0303, .ciphers = many, .nc = 300, .exts = ex, .ne = 3,
		.sigalgs = sig, .ns = 100, .sni = "a.example", .pad = 20000,
	};
	struct tls_hs hs;
	char j4[TLS_JA4_LEN], s3[TLS_JA3_STR_MAX];

	memset(&stats, 0, sizeof(stats));
	CHECK_EQ_U(run_hello(&hs, &s, 16384), TLS_HELLO);
	CHECK(!hs.ch_malformed);
	CHECK(hs.truncated);
	CHECK_EQ_U(hs.ch.n_ciphers, TLS_MAX_CIPHERS);
	CHECK_EQ_U(hs.ch.ciphers_total, 300);
	CHECK_EQ_U(hs.ch.n_sigalgs, TLS_MAX_SIGALGS);
	CHECK_EQ_U(stats.list_capped, 2);
	CHECK_EQ_U(stats.ext_oversize, 0);     /* padding is not decoded */
	CHECK_STR(hs.ch.sni, "a.example");
	tls_ja4(&hs, j4);
	CHECK(strncmp(j4, "t12d9903", 8) == 0);
	CHECK(tls_ja3_string(&hs, s3, sizeof(s3)) < sizeof(s3) - 1);

	/* An SNI extension longer than the scratch: the name is in its
	 * first bytes and still read. */
	char longname[700];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	s.nc = 2;
	s.ns = 2;
	s.sni = longname;
	s.pad = 0;
	memset(&stats, 0, sizeof(stats));
	CHECK_EQ_U(run_hello(&hs, &s, 100), TLS_HELLO);
	CHECK_EQ_U(stats.ext_oversize, 1);
	CHECK_EQ_U(stats.ext_malformed, 0);
	CHECK_EQ_U(hs.ch.sni_len, TLS_SNI_MAX);
	CHECK(hs.truncated && !hs.ch_malformed);
}

/* ---- 3. not a hello ------------------------------------------------------- */

struct neg_case {
	const char *name;
	enum tls_dir dir;
	const char *wire;      /* hex */
	enum tls_verdict want;
	size_t stat_off;       /* offsetof(struct tls_stats, counter) */
};

#define ST(f) offsetof(struct tls_stats, f)

static const struct neg_case neg[] = {
	{ "refused STARTTLS reply", TLS_DIR_TO_CLIENT,
	  "34353420342e372e30205453", /* "454 4.7.0 TS" */ TLS_NOT_TLS, ST(not_tls) },
	{ "plain SMTP from the client", TLS_DIR_TO_SERVER,
	  "45484c4f20780d0a", /* "EHLO x\r\n" */ TLS_NOT_TLS, ST(not_tls) },
	{ "handshake type byte, bad version", TLS_DIR_TO_SERVER,
	  "1605000010", TLS_NOT_TLS, ST(not_tls) },
	{ "first record too long", TLS_DIR_TO_SERVER,
	  "160301ffff", TLS_NOT_TLS, ST(not_tls) },
	{ "high bit from the server is not SSLv2", TLS_DIR_TO_CLIENT,
	  "802e010301", TLS_NOT_TLS, ST(not_tls) },
	{ "SSLv2-compatible ClientHello", TLS_DIR_TO_SERVER,
	  "802e0103010015000000100000390000380000350000160000130000"
	  "0a0700c000003300003200002f0300800000050000040100800000150000120000"
	  "0902008006004000140000110000080000060400800000030200800000ff",
	  TLS_SSLV2, ST(sslv2) },
	{ "alert instead of ServerHello", TLS_DIR_TO_CLIENT,
	  "15030300020228", TLS_ALERT, ST(alert) },
	{ "application data first", TLS_DIR_TO_SERVER,
	  "1703030003616263", TLS_GAVE_UP, ST(appdata_early) },
	{ "second record with a bad type", TLS_DIR_TO_SERVER,
	  "14030100010118030100020000", TLS_GAVE_UP, ST(bad_record) },
	{ "CCS inside a handshake message", TLS_DIR_TO_SERVER,
	  "16030100020100" "140301000101" "1603010002002a", TLS_GAVE_UP, ST(interleaved) },
	{ "alert too short", TLS_DIR_TO_CLIENT,
	  "150303000102", TLS_GAVE_UP, ST(bad_record) },
	{ "zero-length handshake record then garbage record", TLS_DIR_TO_SERVER,
	  "1603010000" "9903010000", TLS_GAVE_UP, ST(bad_record) },
	/* The message ends inside the cipher list: malformed, still a hello. */
	{ "ClientHello shorter than its cipher list", TLS_DIR_TO_SERVER,
	  "160301002b" "01000027" "0303" "000102030405060708090a0b0c0d0e0f"
	  "101112131415161718191a1b1c1d1e1f" "00" "0010" "c02f",
	  TLS_HELLO, ST(hello_malformed) },
	{ "odd cipher list length", TLS_DIR_TO_SERVER,
	  "160301002c" "01000028" "0303" "000102030405060708090a0b0c0d0e0f"
	  "101112131415161718191a1b1c1d1e1f" "00" "0001" "c0" "0100",
	  TLS_HELLO, ST(hello_malformed) },
	{ "session id over 32", TLS_DIR_TO_SERVER,
	  "1603010027" "01000023" "0303" "000102030405060708090a0b0c0d0e0f"
	  "101112131415161718191a1b1c1d1e1f" "21",
	  TLS_HELLO, ST(hello_malformed) },
	{ "extension longer than the block", TLS_DIR_TO_SERVER,
	  "1603010035" "01000031" "0303" "000102030405060708090a0b0c0d0e0f"
	  "101112131415161718191a1b1c1d1e1f" "00" "0002c02f" "0100"
	  "0006" "000a00090004",
	  TLS_HELLO, ST(hello_malformed) },
	{ "bytes after the extensions", TLS_DIR_TO_SERVER,
	  "1603010034" "01000030" "0303" "000102030405060708090a0b0c0d0e0f"
	  "101112131415161718191a1b1c1d1e1f" "00" "0002c02f" "0100"
	  "0004" "00170000" "ff",
	  TLS_HELLO, ST(hello_malformed) },
	{ "groups extension with a wrong inner length", TLS_DIR_TO_SERVER,
	  "1603010037" "01000033" "0303" "000102030405060708090a0b0c0d0e0f"
	  "101112131415161718191a1b1c1d1e1f" "00" "0002c02f" "0100"
	  "0008" "000a0004" "0010001d",
	  TLS_HELLO, ST(ext_malformed) },
	{ "empty ClientHello", TLS_DIR_TO_SERVER,
	  "1603010004" "01000000", TLS_HELLO, ST(hello_malformed) },
	{ "HelloRequest, then a ServerHello in the same record", TLS_DIR_TO_CLIENT,
	  "160303002e" "00000000" "02000026" "0303" "000102030405060708090a0b0c0d0e0f"
	  "101112131415161718191a1b1c1d1e1f" "00" "c02f" "00",
	  TLS_HELLO, ST(other_msg) },
	{ "CCS before the hello is skipped", TLS_DIR_TO_CLIENT,
	  "140303000101" "160303002a" "02000026" "0303" "000102030405060708090a0b0c0d0e0f"
	  "101112131415161718191a1b1c1d1e1f" "00" "c02f" "00",
	  TLS_HELLO, ST(ccs_early) },
};

static void test_negative(void)
{
	static uint8_t w[4096];
	for (size_t i = 0; i < sizeof(neg) / sizeof(neg[0]); i++) {
		const struct neg_case *c = &neg[i];
		size_t n = unhex(c->wire, w, sizeof(w));
		struct tls_hs ref, hs;

		memset(&stats, 0, sizeof(stats));
		tls_hs_init(&ref, &stats);
		enum tls_verdict v = tls_hs_feed(&ref, c->dir, w, n);
		if (v != c->want)
			fprintf(stderr, "case \"%s\": verdict %s\n", c->name, tls_verdict_name(v));
		CHECK_EQ_U(v, c->want);
		uint64_t cnt;
		memcpy(&cnt, (const char *)&stats + c->stat_off, sizeof(cnt));
		if (cnt != 1)
			fprintf(stderr, "case \"%s\": counter %" PRIu64 "\n", c->name, cnt);
		CHECK_EQ_U(cnt, 1);
		/* Further bytes change nothing. */
		CHECK_EQ_U(tls_hs_feed(&ref, c->dir, w, n), c->want);
		/* Byte by byte: the same. */
		tls_hs_init(&hs, &stats);
		for (size_t k = 0; k < n; k++)
			tls_hs_feed(&hs, c->dir, w + k, 1);
		CHECK(same_result(&ref, &hs));
	}

	/* Details of a few. */
	struct tls_hs hs;
	size_t n = unhex(neg[5].wire, w, sizeof(w));
	tls_hs_init(&hs, &stats);
	tls_hs_feed(&hs, TLS_DIR_TO_SERVER, w, n);
	CHECK_EQ_U(hs.ch.sslv2_version, 0x0301);
	char j4[TLS_JA4_LEN];
	CHECK_EQ_U(tls_ja4(&hs, j4), 0);

	n = unhex(neg[6].wire, w, sizeof(w));
	tls_hs_init(&hs, &stats);
	tls_hs_feed(&hs, TLS_DIR_TO_CLIENT, w, n);
	CHECK_EQ_U(hs.alert_level, 2);
	CHECK_EQ_U(hs.alert_desc, 40);       /* handshake_failure */

	n = unhex(neg[19].wire, w, sizeof(w));
	tls_hs_init(&hs, &stats);
	tls_hs_feed(&hs, TLS_DIR_TO_CLIENT, w, n);
	CHECK_EQ_U(hs.sh.cipher, 0xc02f);
	CHECK_EQ_U(tls_hs_version(&hs), 0x0303);
	CHECK(!hs.sh_malformed);

	/* The groups were read up to what the inner length allowed. */
	n = unhex(neg[17].wire, w, sizeof(w));
	tls_hs_init(&hs, &stats);
	tls_hs_feed(&hs, TLS_DIR_TO_SERVER, w, n);
	CHECK_EQ_U(hs.ch.n_groups, 1);
	CHECK(!hs.ch_malformed);
}

/* Handshake bytes that never make a hello: the budget ends it. */
static void test_budget(void)
{
	static struct buf r;
	static uint8_t body[16000];
	struct tls_hs hs;

	/* A Certificate message (type 11) of 15996 bytes, over and over. */
	body[0] = 11;
	body[1] = 0;
	body[2] = 0x3e;
	body[3] = 0x7c;
	frame(&r, 22, body, sizeof(body), 16000);
	memset(&stats, 0, sizeof(stats));
	tls_hs_init(&hs, &stats);
	enum tls_verdict v = TLS_MORE;
	for (int i = 0; i < 10 && v == TLS_MORE; i++)
		v = tls_hs_feed(&hs, TLS_DIR_TO_CLIENT, r.b, r.n);
	CHECK_EQ_U(v, TLS_GAVE_UP);
	CHECK_EQ_U(stats.budget, 1);
	CHECK_EQ_U(stats.other_msg, 5);
	CHECK_EQ_U(hs.dir[1].fed, TLS_DIR_BUDGET);
	CHECK_EQ_U(stats.gave_up, 1);
}

/* Small helpers and an untouched connection. */
static void test_misc(void)
{
	CHECK(tls_is_grease(0x0a0a) && tls_is_grease(0xfafa) && tls_is_grease(0x3a3a));
	CHECK(!tls_is_grease(0x0a1a) && !tls_is_grease(0x1301) && !tls_is_grease(0x0000));
	CHECK_STR(tls_version_name(0x0304), "TLS 1.3");
	CHECK_STR(tls_version_name(0x0303), "TLS 1.2");
	CHECK_STR(tls_version_name(0x0301), "TLSv1");
	CHECK(tls_version_name(0x1234) == NULL);
	CHECK_STR(tls_verdict_name(TLS_NOT_TLS), "not_tls");

	/* Nothing fed: nothing to end, nothing counted. */
	struct tls_hs hs;
	memset(&stats, 0, sizeof(stats));
	tls_hs_init(&hs, &stats);
	tls_hs_end(&hs);
	CHECK_EQ_U(stats.truncated, 0);
	CHECK_EQ_U(stats.connections, 1);
	CHECK_EQ_U(tls_hs_feed(&hs, TLS_DIR_TO_SERVER, NULL, 0), TLS_MORE);
	CHECK_EQ_U(tls_hs_version(&hs), 0);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(tls_captures) / sizeof(tls_captures[0]); i++)
		test_capture(&tls_captures[i]);
	test_ja4_spec();
	test_ja4_alpn();
	test_no_extensions();
	test_caps();
	test_negative();
	test_budget();
	test_misc();
	return check_summary("test_tls");
}
