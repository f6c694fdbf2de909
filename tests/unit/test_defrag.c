/*
 * test_defrag — IPv4/IPv6 fragment reassembly through defrag.h only.
 *
 * Fragments are written as readable specs: offset and length in bytes
 * and a fill letter, so a reassembled payload reads as one letter per
 * 8-byte block ("AAAJJB..."). The overlap tables hold, for every policy,
 * the payload the destination host would see; they follow the policy
 * definitions in defrag.h, and the Sturges/Novak pattern's rows for bsd,
 * linux, first, last, windows and solaris are the ones Suricata's and
 * Snort's defrag tests expect for that pattern.
 *
 * Every test runs defrag_selfcheck() after each fragment, and a
 * randomized test compares the reassembler with a byte-by-byte model of
 * the same policies (each byte remembers which fragment gave it; a piece
 * is a run of bytes from one fragment).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "defrag.h"
#include "defrag_model.h"

#define S_US UINT64_C(1000000)

/* ---- building fragments -------------------------------------------- */

struct frag_buf {
	struct decoded_frag f;
	uint8_t l3[512];
	uint8_t data[65536];
};

static struct frag_buf FB;

static struct mt_addr addr(const char *s)
{
	struct mt_addr a;

	memset(&a, 0, sizeof(a));
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a.b) != 1)
			abort();
	} else {
		a.b[10] = a.b[11] = 0xff;
		if (inet_pton(AF_INET, s, a.b + 12) != 1)
			abort();
	}
	return a;
}

static uint16_t sum16(const uint8_t *p, uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Where and what: a fragment of the datagram under test. */
struct spec {
	uint32_t off, len;
	char fill;
	bool last;
};

struct dg_key {
	int version;            /* 4 or 6 */
	const char *src, *dst;
	uint32_t id;
	uint8_t proto;
	uint32_t ext;           /* IPv6: bytes of hop-by-hop before the
				 * Fragment header (0, or a multiple of 8) */
	uint32_t v4_opts;       /* IPv4: option bytes (multiple of 4) */
};

static const struct dg_key K4 = { 4, "192.0.2.1", "198.51.100.7", 0x1234, 6, 0, 0 };
static const struct dg_key K4U = { 4, "192.0.2.1", "198.51.100.7", 0x1234, 17, 0, 0 };
static const struct dg_key K6 = { 6, "2001:db8::1", "2001:db8::25", 0xdeadbeef, 6, 8, 0 };

/* Fill FB.f with a fragment of datagram k at [off, off + len), more
 * fragments unless last; data from `data` (NULL: FB.data as set). */
static const struct decoded_frag *frag(const struct dg_key *k, uint32_t off, uint32_t len,
				       bool last, const uint8_t *data)
{
	struct decoded_frag *f = &FB.f;
	uint8_t *h = FB.l3;

	memset(f, 0, sizeof(*f));
	if (data && data != FB.data)
		memcpy(FB.data, data, len);
	f->src = addr(k->src);
	f->dst = addr(k->dst);
	f->ip_version = (uint8_t)k->version;
	f->proto = k->proto;
	f->more = !last;
	f->id = k->id;
	f->offset = off;
	f->data = FB.data;
	f->data_len = len;
	f->ttl = 64;
	f->l3 = h;
	memset(h, 0, sizeof(FB.l3));
	if (k->version == 4) {
		uint32_t hl = 20 + k->v4_opts;

		h[0] = (uint8_t)(0x40 | hl / 4);
		h[2] = (uint8_t)((hl + len) >> 8);
		h[3] = (uint8_t)(hl + len);
		h[4] = (uint8_t)(k->id >> 8);
		h[5] = (uint8_t)k->id;
		h[6] = (uint8_t)((last ? 0 : 0x20) | (off / 8) >> 8);
		h[7] = (uint8_t)(off / 8);
		h[8] = 64;
		h[9] = k->proto;
		memcpy(h + 12, f->src.b + 12, 4);
		memcpy(h + 16, f->dst.b + 12, 4);
		for (uint32_t i = 20; i < hl; i++)
			h[i] = 1;       /* NOP options */
		uint16_t c = (uint16_t)~sum16(h, hl);

		h[10] = (uint8_t)(c >> 8);
		h[11] = (uint8_t)c;
		f->l3_len = hl;
	} else {
		uint32_t pl = k->ext + 8 + len;

		h[0] = 0x60;
		h[4] = (uint8_t)(pl >> 8);
		h[5] = (uint8_t)pl;
		h[6] = k->ext ? 0 : 44;
		h[7] = 64;
		memcpy(h + 8, f->src.b, 16);
		memcpy(h + 24, f->dst.b, 16);
		if (k->ext) {
			h[40] = 44;                     /* next: Fragment */
			h[41] = (uint8_t)(k->ext / 8 - 1);
			h[42] = 1;                      /* PadN filling it */
			h[43] = (uint8_t)(k->ext - 4);
		}
		f->l3_len = 40 + k->ext;
	}
	return f;
}

static const struct decoded_frag *spec_frag(const struct dg_key *k, const struct spec *s)
{
	memset(FB.data, s->fill, s->len);
	return frag(k, s->off, s->len, s->last, NULL);
}

static struct defrag *mk(int policy)
{
	struct defrag_config c;
	struct defrag *d;

	defrag_config_default(&c);
	c.max_datagrams = 64;
	c.max_bytes = 1u << 20;
	c.max_frags = 4096;
	c.default_policy = (uint8_t)policy;
	d = defrag_create(&c);
	if (!d)
		abort();
	return d;
}

static unsigned selfcheck_failures;

static uint32_t ins(struct defrag *d, const struct decoded_frag *f, uint64_t now,
		    const struct defrag_datagram **out)
{
	uint32_t r = defrag_insert(d, f, now, out);
	const char *why = defrag_selfcheck(d);

	if (why) {
		selfcheck_failures++;
		fprintf(stderr, "selfcheck: %s\n", why);
	}
	return r;
}

/* The payload of a reassembled datagram as one character per 8 bytes
 * ('?' for a block of mixed bytes), after checking its header. */
static char blocks[1024];

static const char *payload_blocks(const struct defrag_datagram *dg)
{
	uint32_t hl;
	size_t n = 0;

	if (!dg)
		return "(none)";
	if (dg->ip_version == 4) {
		hl = (uint32_t)(dg->ip[0] & 15) * 4;
		CHECK_EQ_U((uint32_t)dg->ip[2] << 8 | dg->ip[3], dg->len);
		CHECK_EQ_U(((uint32_t)dg->ip[6] << 8 | dg->ip[7]) & 0x3fff, 0);
		CHECK_EQ_U(sum16(dg->ip, hl), 0xffff);
	} else {
		/* fixed header, then unfragmentable headers: walk them */
		uint8_t nh = dg->ip[6];

		hl = 40;
		while (nh == 0 || nh == 60 || nh == 43) {
			nh = dg->ip[hl];
			hl += ((uint32_t)dg->ip[hl + 1] + 1) * 8;
		}
		CHECK_EQ_U(nh, dg->proto);
		CHECK_EQ_U((uint32_t)dg->ip[4] << 8 | dg->ip[5], dg->len - 40);
	}
	for (uint32_t o = hl; o < dg->len && n + 1 < sizeof(blocks); o += 8) {
		uint32_t e = o + 8 < dg->len ? o + 8 : dg->len;
		char c = (char)dg->ip[o];

		for (uint32_t i = o; i < e; i++)
			if (dg->ip[i] != dg->ip[o])
				c = '?';
		blocks[n++] = c;
	}
	blocks[n] = '\0';
	return blocks;
}

/* Feed specs in the order given (indexes into s; NULL: as listed) and
 * return the blocks of the datagram the last fragment completed. */
static const char *run(int policy, const struct dg_key *k, const struct spec *s, unsigned n,
		       const unsigned *order, struct defrag_stats *st_out)
{
	struct defrag *d = mk(policy);
	const struct defrag_datagram *dg = NULL;
	const char *res = "(none)";

	for (unsigned i = 0; i < n; i++) {
		const struct defrag_datagram *o;

		ins(d, spec_frag(k, &s[order ? order[i] : i]), S_US + i, &o);
		if (o) {
			CHECK(dg == NULL);      /* completes once */
			dg = o;
			res = payload_blocks(dg);
			defrag_release(d, dg);
		}
	}
	if (st_out)
		*st_out = *defrag_get_stats(d);
	CHECK_EQ_U(defrag_get_stats(d)->bytes_held, 0);
	CHECK_EQ_U(defrag_get_stats(d)->datagrams_active, 0);
	defrag_destroy(d);
	return res;
}

/* ---- the overlap tables -------------------------------------------- */

/*
 * The Sturges/Novak pattern: nine fragments that do not overlap, then
 * eight that overlap them in every position (the start, the end, the
 * whole, the inside, the same start, the same end), the last one ending
 * the datagram at 192 bytes.
 */
static const struct spec sturges[] = {
	{ 0, 24, 'A', false }, { 32, 16, 'B', false }, { 48, 24, 'C', false },
	{ 80, 8, 'D', false }, { 104, 16, 'E', false }, { 120, 24, 'F', false },
	{ 144, 16, 'G', false }, { 160, 16, 'H', false }, { 176, 8, 'I', false },
	{ 8, 32, 'J', false }, { 48, 24, 'K', false }, { 72, 24, 'L', false },
	{ 96, 24, 'M', false }, { 128, 8, 'N', false }, { 152, 8, 'O', false },
	{ 160, 8, 'P', false }, { 176, 16, 'Q', true },
};

static const struct {
	int policy;
	const char *blocks;
} sturges_expect[] = {
	{ DEFRAG_POLICY_BSD,       "AAAJJBCCCLLLMMMFFFGGHHIQ" },
	{ DEFRAG_POLICY_LINUX,     "AAAJJBKKKLLLMMMFFFGGPHQQ" },
	{ DEFRAG_POLICY_FIRST,     "AAAJBBCCCLDLMEEFFFGGHHIQ" },
	{ DEFRAG_POLICY_LAST,      "AJJJJBKKKLLLMMMFNFGOPHQQ" },
	{ DEFRAG_POLICY_WINDOWS,   "AAAJBBCCCLLLMEEFFFGGHHIQ" },
	{ DEFRAG_POLICY_SOLARIS,   "AAAJBBCCCLLLMMMFFFGGHHIQ" },
	{ DEFRAG_POLICY_BSD_RIGHT, "AJJJBBKKKLLLMMMFFFGGHHQQ" },
};

/*
 * Six fragments in the style of Novak's test: three that leave holes,
 * then one over the end of the first, a hole and the start of the second;
 * one inside the third; and a last one starting with the third and
 * reaching past it (units of 8 bytes, 12 of them):
 *
 *   1: 111.........      4: ..4444......
 *   2: .....222....      5: .........5..
 *   3: ........333.      6: ........6666
 */
static const struct spec novak6[] = {
	{ 0, 24, '1', false }, { 40, 24, '2', false }, { 64, 24, '3', false },
	{ 16, 32, '4', false }, { 72, 8, '5', false }, { 64, 32, '6', true },
};

static const struct {
	int policy;
	const char *blocks;
} novak6_expect[] = {
	{ DEFRAG_POLICY_FIRST,     "111442223336" },
	{ DEFRAG_POLICY_LAST,      "114444226666" },
	{ DEFRAG_POLICY_LINUX,     "111444226666" },
	{ DEFRAG_POLICY_BSD,       "111444223336" },
	{ DEFRAG_POLICY_BSD_RIGHT, "114442226666" },
	{ DEFRAG_POLICY_WINDOWS,   "111442223336" },
	{ DEFRAG_POLICY_SOLARIS,   "111442223336" },
};

static void test_overlap_tables(void)
{
	const unsigned ns = sizeof(sturges) / sizeof(sturges[0]);

	for (unsigned i = 0; i < sizeof(sturges_expect) / sizeof(sturges_expect[0]); i++) {
		struct defrag_stats st;
		const char *got = run(sturges_expect[i].policy, &K4, sturges, ns, NULL, &st);

		if (strcmp(got, sturges_expect[i].blocks) != 0)
			fprintf(stderr, "sturges %s:\n", defrag_policy_name(sturges_expect[i].policy));
		CHECK_STR(got, sturges_expect[i].blocks);
		CHECK_EQ_U(st.overlaps, 8);             /* J..Q each overlap */
		CHECK_EQ_U(st.overlaps_different, 8);
		CHECK_EQ_U(st.anomaly[DEFRAG_ANOM_OVERLAP_DIFFERENT], 8);
		CHECK_EQ_U(st.reassembled, 1);
		/* the same over IPv6, with a hop-by-hop header in front */
		got = run(sturges_expect[i].policy, &K6, sturges, ns, NULL, NULL);
		CHECK_STR(got, sturges_expect[i].blocks);
	}
	for (unsigned i = 0; i < sizeof(novak6_expect) / sizeof(novak6_expect[0]); i++) {
		const char *got = run(novak6_expect[i].policy, &K4, novak6, 6, NULL, NULL);

		if (strcmp(got, novak6_expect[i].blocks) != 0)
			fprintf(stderr, "novak6 %s:\n", defrag_policy_name(novak6_expect[i].policy));
		CHECK_STR(got, novak6_expect[i].blocks);
	}
}

/* ---- arrival orders and duplicates --------------------------------- */

static const struct spec five[] = {
	{ 0, 16, 'a', false }, { 16, 24, 'b', false }, { 40, 8, 'c', false },
	{ 48, 32, 'd', false }, { 80, 5, 'e', true },
};

static void test_orders(void)
{
	static const unsigned orders[][5] = {
		{ 0, 1, 2, 3, 4 }, { 4, 3, 2, 1, 0 }, { 2, 4, 0, 3, 1 }, { 3, 0, 4, 1, 2 },
		{ 4, 0, 1, 2, 3 }, { 1, 3, 0, 2, 4 },
	};

	for (int p = 0; p < DEFRAG_POLICY_COUNT; p++) {
		for (unsigned o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
			struct defrag_stats st;

			CHECK_STR(run(p, &K4, five, 5, orders[o], &st), "aabbbcdddde");
			CHECK_EQ_U(st.overlaps, 0);
			CHECK_STR(run(p, &K6, five, 5, orders[o], NULL), "aabbbcdddde");
		}
	}
}

static void test_duplicates(void)
{
	/* every fragment twice, same bytes: no differing overlap */
	static const struct spec twice[] = {
		{ 0, 16, 'a', false }, { 0, 16, 'a', false }, { 16, 24, 'b', false },
		{ 40, 8, 'c', false }, { 16, 24, 'b', false }, { 48, 32, 'd', false },
		{ 40, 8, 'c', false }, { 48, 32, 'd', false }, { 80, 5, 'e', true },
	};
	/* a copy with other bytes: which copy wins is the policy's */
	static const struct spec changed[] = {
		{ 0, 16, 'a', false }, { 16, 24, 'b', false }, { 16, 24, 'X', false },
		{ 40, 8, 'c', false }, { 48, 32, 'd', false }, { 80, 5, 'e', true },
	};

	for (int p = 0; p < DEFRAG_POLICY_COUNT; p++) {
		struct defrag_stats st;
		const char *got = run(p, &K4, twice, 9, NULL, &st);
		bool newer = p == DEFRAG_POLICY_LAST || p == DEFRAG_POLICY_LINUX ||
			     p == DEFRAG_POLICY_BSD_RIGHT;

		CHECK_STR(got, "aabbbcdddde");
		CHECK_EQ_U(st.overlaps, 4);
		CHECK_EQ_U(st.overlaps_different, 0);
		CHECK_EQ_U(st.anomaly[DEFRAG_ANOM_OVERLAP_DIFFERENT], 0);
		got = run(p, &K4, changed, 6, NULL, &st);
		/* An exact duplicate: linux, last and bsd-right take the new
		 * copy (same offset), the others keep the first. */
		CHECK_STR(got, newer ? "aaXXXcdddde" : "aabbbcdddde");
		CHECK_EQ_U(st.overlaps_different, 1);
		CHECK_EQ_U(st.anomaly[DEFRAG_ANOM_OVERLAP_DIFFERENT], 1);
	}
}

/* ---- headers ------------------------------------------------------- */

static void test_ipv4_header(void)
{
	struct defrag *d = mk(DEFRAG_POLICY_BSD);
	const struct defrag_datagram *dg;
	struct dg_key k = K4;

	/* The first fragment carries options the others do not (options
	 * not copied on fragmentation, RFC 791 3.1): the output has the
	 * first fragment's header. */
	k.v4_opts = 8;
	k.proto = 17;
	memcpy(FB.data, "0123456789abcdef", 16);
	CHECK_EQ_U(ins(d, frag(&k, 0, 16, false, NULL), S_US, &dg), 0);
	CHECK(dg == NULL);
	k.v4_opts = 0;
	memcpy(FB.data, "tail", 4);
	CHECK_EQ_U(ins(d, frag(&k, 16, 4, true, NULL), S_US, &dg), 0);
	CHECK(dg != NULL);
	if (dg) {
		CHECK_EQ_U(dg->len, 28 + 20);
		CHECK_EQ_U(dg->ip[0], 0x47);
		CHECK_EQ_U((uint32_t)dg->ip[2] << 8 | dg->ip[3], 48);
		CHECK_EQ_U(dg->ip[6], 0);
		CHECK_EQ_U(dg->ip[7], 0);
		CHECK_EQ_U(sum16(dg->ip, 28), 0xffff);
		CHECK_EQ_U(dg->ip[20], 1);      /* the options came along */
		CHECK_MEM(dg->ip + 28, 20, "0123456789abcdeftail", 20);
		CHECK_EQ_U(dg->proto, 17);
		CHECK_EQ_U(dg->frags, 2);
		defrag_release(d, dg);
	}
	/* DF on the first fragment stays (it is not about fragments) */
	memset(FB.data, 'x', 8);
	frag(&K4, 0, 8, false, NULL);
	FB.l3[6] |= 0x40;
	FB.l3[10] = FB.l3[11] = 0;      /* stale checksum: recomputed anyway */
	ins(d, &FB.f, S_US, &dg);
	ins(d, frag(&K4, 8, 8, true, NULL), S_US, &dg);
	CHECK(dg != NULL);
	if (dg) {
		CHECK_EQ_U(dg->ip[6], 0x40);
		CHECK_EQ_U(sum16(dg->ip, 20), 0xffff);
		defrag_release(d, dg);
	}
	defrag_destroy(d);
}

static void test_ipv6(void)
{
	struct defrag *d = mk(DEFRAG_POLICY_LINUX);
	const struct defrag_datagram *dg;
	struct dg_key k = K6;

	/* no extension header: the Fixed header's Next Header becomes the
	 * fragments' */
	k.ext = 0;
	k.proto = 17;
	memcpy(FB.data, "UDPHEADRpayload!", 16);
	ins(d, frag(&k, 0, 16, false, NULL), S_US, &dg);
	CHECK(dg == NULL);
	/* RFC 8200 4.5: later fragments may say another Next Header; they
	 * belong to the same packet and the offset-0 one counts */
	k.proto = 6;
	memcpy(FB.data, "end", 3);
	ins(d, frag(&k, 16, 3, true, NULL), S_US, &dg);
	CHECK(dg != NULL);
	if (dg) {
		CHECK_EQ_U(dg->len, 40 + 19);
		CHECK_EQ_U(dg->ip[6], 17);
		CHECK_EQ_U(dg->proto, 17);
		CHECK_EQ_U((uint32_t)dg->ip[4] << 8 | dg->ip[5], 19);
		CHECK_MEM(dg->ip + 40, 19, "UDPHEADRpayload!end", 19);
		CHECK_MEM(dg->ip + 8, 16, FB.f.src.b, 16);
		defrag_release(d, dg);
	}
	/* a long unfragmentable part (hop-by-hop of 72 bytes, kept in a
	 * page of its own): it stays, its Next Header is rewritten */
	k = K6;
	k.ext = 72;
	k.id = 7;
	memset(FB.data, 'p', 24);
	ins(d, frag(&k, 24, 24, true, NULL), S_US, &dg);
	memset(FB.data, 'q', 24);
	ins(d, frag(&k, 0, 24, false, NULL), S_US, &dg);
	CHECK(dg != NULL);
	if (dg) {
		CHECK_EQ_U(dg->len, 40 + 72 + 48);
		CHECK_EQ_U(dg->ip[6], 0);
		CHECK_EQ_U(dg->ip[40], 6);
		CHECK_EQ_U((uint32_t)dg->ip[4] << 8 | dg->ip[5], 72 + 48);
		CHECK_STR(payload_blocks(dg), "qqqppp");
		defrag_release(d, dg);
	}
	/* an atomic fragment (offset 0, M clear, RFC 6946) is passed on at
	 * once, without touching fragments of the same id in progress */
	k = K6;
	memset(FB.data, 'r', 16);
	ins(d, frag(&k, 16, 16, true, NULL), S_US, &dg);
	memset(FB.data, 's', 16);
	ins(d, frag(&k, 0, 16, true, NULL), S_US, &dg);
	CHECK(dg != NULL);
	if (dg) {
		CHECK_STR(payload_blocks(dg), "ss");
		defrag_release(d, dg);
	}
	CHECK_EQ_U(defrag_get_stats(d)->atomic, 1);
	CHECK_EQ_U(defrag_get_stats(d)->datagrams_active, 1);
	/* two offset-0 copies with headers of different lengths: the
	 * winner's header is the datagram's (linux: the later copy), and a
	 * header page no longer needed goes back */
	{
		uint64_t base = defrag_get_stats(d)->bytes_held;

		k = K6;
		k.id = 8;
		k.ext = 72;
		memset(FB.data, 'u', 16);
		ins(d, frag(&k, 0, 16, false, NULL), S_US, &dg);
		CHECK_EQ_U(defrag_get_stats(d)->bytes_held - base, 2048);  /* data, header */
		k.ext = 8;
		memset(FB.data, 'v', 16);
		ins(d, frag(&k, 0, 16, false, NULL), S_US, &dg);
		CHECK_EQ_U(defrag_get_stats(d)->bytes_held - base, 1024);
	}
	ins(d, frag(&k, 16, 8, true, NULL), S_US, &dg);
	CHECK(dg != NULL);
	if (dg) {
		CHECK_EQ_U(dg->len, 48 + 24);
		CHECK_STR(payload_blocks(dg), "vvv");
		defrag_release(d, dg);
	}
	/* a header that does not end in a Fragment header is refused */
	k = K6;
	k.id = 99;
	frag(&k, 0, 16, false, NULL);
	FB.l3[40] = 6;
	CHECK(ins(d, &FB.f, S_US, &dg) & DEFRAG_DROPPED);
	CHECK_EQ_U(defrag_get_stats(d)->drop_invalid, 1);
	/* put together: three (the whole one is not "reassembled") */
	CHECK_EQ_U(defrag_get_stats(d)->reassembled, 3);
	CHECK_EQ_U(defrag_get_stats(d)->reassembled_ipv6, 3);
	CHECK_EQ_U(defrag_get_stats(d)->reassembled_ipv4, 0);
	CHECK_EQ_U(defrag_get_stats(d)->frags_ipv6, 10);
	defrag_destroy(d);
}

/* ---- keys, many datagrams, a large one ----------------------------- */

static void test_keys(void)
{
	struct defrag *d = mk(DEFRAG_POLICY_BSD);
	const struct defrag_datagram *dg;
	struct dg_key a = K4, b = K4, c = K4;
	unsigned done = 0;

	/* same addresses and id, other protocol: another IPv4 datagram
	 * (RFC 791 3.2; Suricata's CVE-2017-7177 was missing this) */
	b.proto = 17;
	c.src = "192.0.2.2";
	memset(FB.data, 'A', 16);
	ins(d, frag(&a, 0, 16, false, NULL), S_US, &dg);
	memset(FB.data, 'B', 16);
	ins(d, frag(&b, 0, 16, false, NULL), S_US, &dg);
	memset(FB.data, 'C', 16);
	ins(d, frag(&c, 0, 16, false, NULL), S_US, &dg);
	CHECK_EQ_U(defrag_get_stats(d)->datagrams_active, 3);
	memset(FB.data, 'z', 8);
	ins(d, frag(&b, 16, 8, true, NULL), S_US, &dg);
	CHECK_STR(payload_blocks(dg), "BBz");
	defrag_release(d, dg);
	ins(d, frag(&a, 16, 8, true, NULL), S_US, &dg);
	CHECK_STR(payload_blocks(dg), "AAz");
	defrag_release(d, dg);
	CHECK_EQ_U(defrag_get_stats(d)->datagrams_active, 1);
	defrag_destroy(d);

	/* 60 datagrams interleaved, every fragment of one before the next
	 * id's, in reverse: all complete */
	d = mk(DEFRAG_POLICY_LINUX);
	for (int part = 3; part >= 0; part--) {
		for (uint32_t id = 0; id < 60; id++) {
			struct dg_key k = (id & 1) ? K6 : K4;

			k.id = id;
			memset(FB.data, 'a' + (int)(id % 26), 24);
			ins(d, frag(&k, (uint32_t)part * 24, 24, part == 3, NULL), S_US, &dg);
			if (dg) {
				char want[13];

				memset(want, 'a' + (int)(id % 26), 12);
				want[12] = '\0';
				CHECK_STR(payload_blocks(dg), want);
				defrag_release(d, dg);
				done++;
			}
		}
	}
	CHECK_EQ_U(done, 60);
	CHECK_EQ_U(defrag_get_stats(d)->evicted, 0);
	defrag_destroy(d);
}

static void test_large(void)
{
	struct defrag *d = mk(DEFRAG_POLICY_FIRST);
	const struct defrag_datagram *dg = NULL;
	static uint8_t big[65515];
	unsigned order[45], n = 0;
	struct dg_key k = K4;

	for (uint32_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	/* 65515 bytes (the largest IPv4 payload) in 1480-byte fragments,
	 * shuffled */
	for (uint32_t off = 0; off < sizeof(big); off += 1480)
		order[n++] = off / 1480;
	for (unsigned i = n - 1; i > 0; i--) {
		unsigned j = (i * 2654435761u) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t off = order[i] * 1480, len = sizeof(big) - off < 1480 ? sizeof(big) - off : 1480;
		const struct defrag_datagram *o;

		CHECK_EQ_U(ins(d, frag(&k, off, len, off + len == sizeof(big), big + off), S_US, &o), 0);
		if (o)
			dg = o;
	}
	CHECK(dg != NULL);
	if (dg) {
		CHECK_EQ_U(dg->len, 65535);
		CHECK_MEM(dg->ip + 20, dg->len - 20, big, sizeof(big));
		CHECK_EQ_U(dg->frags, n);
		defrag_release(d, dg);
	}
	CHECK_EQ_U(defrag_get_stats(d)->bytes_held, 0);
	CHECK(defrag_get_stats(d)->bytes_peak >= 65515);
	CHECK(defrag_get_stats(d)->bytes_peak <= 65 * 1024);
	defrag_destroy(d);
}

/* ---- caps ---------------------------------------------------------- */

static struct defrag *mk_caps(uint32_t datagrams, uint64_t bytes, uint32_t frags,
			      uint32_t per_dgram, uint32_t outs)
{
	struct defrag_config c;
	struct defrag *d;

	defrag_config_default(&c);
	c.max_datagrams = datagrams;
	c.max_bytes = bytes;
	c.max_frags = frags;
	c.max_frags_per_datagram = per_dgram;
	c.out_buffers = outs;
	d = defrag_create(&c);
	if (!d)
		abort();
	return d;
}

static void test_caps(void)
{
	const struct defrag_datagram *dg, *dg2;
	struct defrag *d;
	struct dg_key k = K4;

	/* a full table evicts the oldest datagram */
	d = mk_caps(2, 1 << 20, 1024, 256, 4);
	for (uint32_t id = 1; id <= 3; id++) {
		k.id = id;
		memset(FB.data, 'a', 8);
		ins(d, frag(&k, 0, 8, false, NULL), S_US + id, &dg);
	}
	CHECK_EQ_U(defrag_get_stats(d)->evicted, 1);
	CHECK_EQ_U(defrag_get_stats(d)->datagrams_active, 2);
	k.id = 1;                       /* the evicted one: does not complete */
	ins(d, frag(&k, 8, 8, true, NULL), S_US + 4, &dg);
	CHECK(dg == NULL);
	CHECK_EQ_U(defrag_get_stats(d)->evicted, 2);
	k.id = 3;                       /* the newest survived */
	ins(d, frag(&k, 8, 8, true, NULL), S_US + 5, &dg);
	CHECK(dg != NULL);
	defrag_release(d, dg);
	defrag_destroy(d);

	/* bytes: 2 pages; a fragment needing a third is dropped */
	d = mk_caps(8, 2048, 1024, 256, 4);
	memset(FB.data, 'b', 1024);
	CHECK_EQ_U(ins(d, frag(&K4, 0, 1024, false, NULL), S_US, &dg), 0);
	CHECK_EQ_U(ins(d, frag(&K4, 2048, 512, true, NULL), S_US, &dg), 0);
	CHECK_EQ_U(ins(d, frag(&K4, 1024, 1024, false, NULL), S_US, &dg), DEFRAG_DROPPED);
	CHECK_EQ_U(defrag_get_stats(d)->drop_no_memory, 1);
	CHECK_EQ_U(defrag_get_stats(d)->bytes_held, 2048);
	defrag_flush_all(d);
	CHECK_EQ_U(defrag_get_stats(d)->flushed, 1);
	CHECK_EQ_U(defrag_get_stats(d)->bytes_held, 0);
	defrag_destroy(d);

	/* pieces: 2 of them; the third fragment does not fit, and a
	 * fragment refused changes nothing (the datagram still completes
	 * when room comes back) */
	d = mk_caps(8, 1 << 20, 2, 256, 4);
	memset(FB.data, 'c', 8);
	ins(d, frag(&K4, 0, 8, false, NULL), S_US, &dg);
	ins(d, frag(&K4, 16, 8, true, NULL), S_US, &dg);
	CHECK_EQ_U(ins(d, frag(&K4, 8, 8, false, NULL), S_US, &dg), DEFRAG_DROPPED);
	CHECK_EQ_U(defrag_get_stats(d)->drop_no_memory, 1);
	CHECK_EQ_U(defrag_get_stats(d)->frags_held, 2);
	defrag_destroy(d);

	/* "last" writing inside a piece cuts it in two: that takes two
	 * pieces (the middle and the far end), and with one left the
	 * fragment is refused whole */
	{
		struct defrag_config c;

		defrag_config_default(&c);
		c.max_frags = 2;
		c.default_policy = DEFRAG_POLICY_LAST;
		d = defrag_create(&c);
		memset(FB.data, 'g', 24);
		ins(d, frag(&K4U, 0, 24, false, NULL), S_US, &dg);
		memset(FB.data, 'h', 8);
		CHECK_EQ_U(ins(d, frag(&K4U, 8, 8, false, NULL), S_US, &dg),
			   DEFRAG_OVERLAP | DEFRAG_ANOM_BIT(DEFRAG_ANOM_OVERLAP_DIFFERENT) |
			   DEFRAG_DROPPED);
		CHECK_EQ_U(defrag_get_stats(d)->frags_held, 1);
		memset(FB.data, 'i', 8);
		ins(d, frag(&K4U, 24, 8, true, NULL), S_US, &dg);
		CHECK_STR(payload_blocks(dg), "gggi");
		defrag_release(d, dg);
		defrag_destroy(d);
	}

	/* fragments per datagram: the datagram is given up, the rest of
	 * the flood dropped without storing anything */
	d = mk_caps(8, 1 << 20, 1024, 4, 4);
	memset(FB.data, 'd', 8);
	for (uint32_t i = 0; i < 4; i++)
		CHECK_EQ_U(ins(d, frag(&K4U, 8 * i, 8, false, NULL), S_US, &dg), 0);
	CHECK_EQ_U(ins(d, frag(&K4U, 32, 8, false, NULL), S_US, &dg),
		   DEFRAG_ANOM_BIT(DEFRAG_ANOM_TOO_MANY) | DEFRAG_DROPPED);
	CHECK_EQ_U(ins(d, frag(&K4U, 40, 8, true, NULL), S_US, &dg), DEFRAG_DROPPED);
	CHECK(dg == NULL);
	CHECK_EQ_U(defrag_get_stats(d)->anomaly[DEFRAG_ANOM_TOO_MANY], 1);
	CHECK_EQ_U(defrag_get_stats(d)->drop_given_up, 1);
	CHECK_EQ_U(defrag_get_stats(d)->bytes_held, 0);
	CHECK_EQ_U(defrag_get_stats(d)->frags_held, 0);
	/* ... and it times out without a second report */
	CHECK_EQ_U(defrag_expire(d, S_US + 61 * S_US), 1);
	CHECK_EQ_U(defrag_get_stats(d)->anomaly[DEFRAG_ANOM_TIMEOUT], 0);
	defrag_destroy(d);

	/* datagram size cap */
	{
		struct defrag_config c;

		defrag_config_default(&c);
		c.max_datagram_bytes = 1000;
		d = defrag_create(&c);
		memset(FB.data, 'e', 512);
		CHECK_EQ_U(ins(d, frag(&K4, 0, 512, false, NULL), S_US, &dg), 0);
		CHECK_EQ_U(ins(d, frag(&K4, 512, 512, true, NULL), S_US, &dg), DEFRAG_DROPPED);
		CHECK_EQ_U(defrag_get_stats(d)->drop_datagram_cap, 1);
		defrag_destroy(d);
	}

	/* output buffers: one, kept by the caller: the next datagram has
	 * nowhere to go */
	d = mk_caps(8, 1 << 20, 1024, 256, 1);
	k = K4;
	memset(FB.data, 'f', 8);
	ins(d, frag(&k, 0, 8, false, NULL), S_US, &dg);
	ins(d, frag(&k, 8, 8, true, NULL), S_US, &dg);
	CHECK(dg != NULL);
	k.id = 2;
	ins(d, frag(&k, 0, 8, false, NULL), S_US, &dg2);
	CHECK_EQ_U(ins(d, frag(&k, 8, 8, true, NULL), S_US, &dg2), DEFRAG_DROPPED);
	CHECK(dg2 == NULL);
	CHECK_EQ_U(defrag_get_stats(d)->drop_no_output, 1);
	defrag_release(d, dg);
	k.id = 3;
	ins(d, frag(&k, 0, 8, false, NULL), S_US, &dg2);
	ins(d, frag(&k, 8, 8, true, NULL), S_US, &dg2);
	CHECK(dg2 != NULL);
	defrag_release(d, dg2);
	CHECK_EQ_U(defrag_get_stats(d)->datagrams_active, 0);
	defrag_destroy(d);

	/* configs that cannot work are refused */
	{
		struct defrag_config c;

		defrag_config_default(&c);
		c.max_datagrams = 0;
		CHECK(defrag_create(&c) == NULL);
		defrag_config_default(&c);
		c.max_bytes = 100;
		CHECK(defrag_create(&c) == NULL);
		defrag_config_default(&c);
		c.default_policy = DEFRAG_POLICY_COUNT;
		CHECK(defrag_create(&c) == NULL);
	}
}

/* ---- timeouts ------------------------------------------------------ */

static void test_timeout(void)
{
	struct defrag_config c;
	struct defrag *d;
	const struct defrag_datagram *dg;
	struct dg_key k = K4;

	defrag_config_default(&c);
	c.timeout_us = 1 * S_US;
	d = defrag_create(&c);
	memset(FB.data, 't', 8);
	ins(d, frag(&k, 0, 8, false, NULL), 10 * S_US, &dg);
	k.id = 2;
	ins(d, frag(&k, 0, 8, false, NULL), 10 * S_US + 500000, &dg);
	/* a later fragment does not extend the timeout of the first */
	k.id = 1;
	ins(d, frag(&k, 16, 8, false, NULL), 10 * S_US + 900000, &dg);
	CHECK_EQ_U(defrag_expire(d, 10 * S_US + 999999), 0);
	CHECK_EQ_U(defrag_expire(d, 11 * S_US), 1);
	CHECK_EQ_U(defrag_get_stats(d)->anomaly[DEFRAG_ANOM_TIMEOUT], 1);
	/* the missing piece of the expired one starts a new datagram */
	ins(d, frag(&k, 8, 8, false, NULL), 11 * S_US, &dg);
	CHECK(dg == NULL);
	CHECK_EQ_U(defrag_get_stats(d)->datagrams_active, 2);
	/* time going backwards is "now" */
	CHECK_EQ_U(defrag_expire(d, 5 * S_US), 0);
	/* an insert expires what is due before it looks */
	k.id = 3;
	ins(d, frag(&k, 0, 8, false, NULL), 11 * S_US + 500000, &dg);
	CHECK_EQ_U(defrag_get_stats(d)->anomaly[DEFRAG_ANOM_TIMEOUT], 2);
	CHECK_EQ_U(defrag_expire(d, 100 * S_US), 2);
	CHECK_EQ_U(defrag_get_stats(d)->anomaly[DEFRAG_ANOM_TIMEOUT], 4);
	CHECK_EQ_U(defrag_get_stats(d)->datagrams_active, 0);
	CHECK_EQ_U(defrag_get_stats(d)->bytes_held, 0);
	defrag_destroy(d);
}

/* ---- evasion checks ------------------------------------------------ */

static void test_anomalies(void)
{
	struct defrag *d = mk(DEFRAG_POLICY_BSD);
	const struct defrag_datagram *dg;
	struct dg_key k = K4;
	const uint32_t tiny = DEFRAG_ANOM_BIT(DEFRAG_ANOM_TINY_FIRST);

	/* tiny first fragments (RFC 1858): TCP's flags in the second */
	memset(FB.data, 0, 64);
	k.id = 10;
	CHECK_EQ_U(ins(d, frag(&k, 0, 8, false, NULL), S_US, &dg), tiny);
	k.id = 11;
	CHECK_EQ_U(ins(d, frag(&k, 0, 16, false, NULL), S_US, &dg), tiny);
	k.id = 12;              /* 20 bytes, data offset 5: whole */
	FB.data[12] = 0x50;
	CHECK_EQ_U(ins(d, frag(&k, 0, 24, false, NULL), S_US, &dg), 0);
	k.id = 13;              /* 24 bytes, but the header says 32 */
	FB.data[12] = 0x80;
	CHECK_EQ_U(ins(d, frag(&k, 0, 24, false, NULL), S_US, &dg), tiny);
	k.id = 14;              /* UDP needs 8 */
	k.proto = 17;
	CHECK_EQ_U(ins(d, frag(&k, 0, 8, false, NULL), S_US, &dg), 0);
	k.id = 15;              /* an unknown protocol needs nothing */
	k.proto = 99;
	CHECK_EQ_U(ins(d, frag(&k, 0, 8, false, NULL), S_US, &dg), 0);
	CHECK_EQ_U(defrag_get_stats(d)->anomaly[DEFRAG_ANOM_TINY_FIRST], 3);
	k = K4;

	/* offset + length past 65535 (with the header) */
	k.id = 20;
	CHECK_EQ_U(ins(d, frag(&k, 65528, 16, true, NULL), S_US, &dg),
		   DEFRAG_ANOM_BIT(DEFRAG_ANOM_TOO_LARGE) | DEFRAG_DROPPED);
	CHECK_EQ_U(ins(d, frag(&k, 65512, 8, true, NULL), S_US, &dg),
		   DEFRAG_ANOM_BIT(DEFRAG_ANOM_TOO_LARGE) | DEFRAG_DROPPED);
	CHECK_EQ_U(ins(d, frag(&k, 65512, 3, true, NULL), S_US, &dg), 0);
	{
		struct dg_key k6 = K6;

		k6.ext = 0;
		CHECK_EQ_U(ins(d, frag(&k6, 65528, 8, true, NULL), S_US, &dg),
			   DEFRAG_ANOM_BIT(DEFRAG_ANOM_TOO_LARGE) | DEFRAG_DROPPED);
		CHECK_EQ_U(ins(d, frag(&k6, 65528, 7, true, NULL), S_US, &dg), 0);
	}
	CHECK_EQ_U(defrag_get_stats(d)->anomaly[DEFRAG_ANOM_TOO_LARGE], 3);
	/* each fragment fits with its own header, but the first one's
	 * options make the whole too long: found when it completes */
	k.id = 21;
	k.v4_opts = 20;
	memset(FB.data, 'o', 32);
	CHECK_EQ_U(ins(d, frag(&k, 0, 32, false, NULL), S_US, &dg), 0);
	k.v4_opts = 0;
	CHECK_EQ_U(ins(d, frag(&k, 32, 65480, true, NULL), S_US, &dg),
		   DEFRAG_ANOM_BIT(DEFRAG_ANOM_TOO_LARGE) | DEFRAG_DROPPED);
	CHECK(dg == NULL);
	CHECK_EQ_U(defrag_get_stats(d)->lost, 1);
	k = K4;
	/* a whole datagram (offset 0, no more) with a broken header */
	frag(&K4, 0, 8, true, NULL);
	FB.l3[0] = 0x44;
	CHECK_EQ_U(ins(d, &FB.f, S_US, &dg), DEFRAG_DROPPED);
	CHECK(dg == NULL);

	/* lengths: empty, and a non-last one not a multiple of 8 */
	k.id = 30;
	CHECK_EQ_U(ins(d, frag(&k, 8, 0, false, NULL), S_US, &dg),
		   DEFRAG_ANOM_BIT(DEFRAG_ANOM_BAD_LENGTH) | DEFRAG_DROPPED);
	CHECK_EQ_U(ins(d, frag(&k, 8, 12, false, NULL), S_US, &dg),
		   DEFRAG_ANOM_BIT(DEFRAG_ANOM_BAD_LENGTH) | DEFRAG_DROPPED);

	/* the end: data past it, and two ends */
	k.id = 40;
	memset(FB.data, 'e', 16);
	CHECK_EQ_U(ins(d, frag(&k, 16, 16, true, NULL), S_US, &dg), 0);
	CHECK_EQ_U(ins(d, frag(&k, 24, 16, false, NULL), S_US, &dg),
		   DEFRAG_ANOM_BIT(DEFRAG_ANOM_BAD_END) | DEFRAG_DROPPED);
	CHECK_EQ_U(ins(d, frag(&k, 16, 24, true, NULL), S_US, &dg),
		   DEFRAG_ANOM_BIT(DEFRAG_ANOM_BAD_END) | DEFRAG_DROPPED);
	CHECK_EQ_U(ins(d, frag(&k, 16, 16, true, NULL), S_US, &dg), DEFRAG_OVERLAP);
	k.id = 41;              /* held data past a late last fragment */
	CHECK_EQ_U(ins(d, frag(&k, 40, 8, false, NULL), S_US, &dg), 0);
	CHECK_EQ_U(ins(d, frag(&k, 16, 8, true, NULL), S_US, &dg),
		   DEFRAG_ANOM_BIT(DEFRAG_ANOM_BAD_END) | DEFRAG_DROPPED);
	CHECK_EQ_U(defrag_get_stats(d)->anomaly[DEFRAG_ANOM_BAD_END], 3);

	/* names */
	CHECK_STR(defrag_anomaly_name(DEFRAG_ANOM_OVERLAP_DIFFERENT), "frag_overlap_different");
	CHECK_STR(defrag_anomaly_name(DEFRAG_ANOM_TINY_FIRST), "frag_tiny_first");
	CHECK_STR(defrag_anomaly_name(DEFRAG_ANOM_TOO_LARGE), "frag_too_large");
	CHECK_STR(defrag_anomaly_name(DEFRAG_ANOM_TOO_MANY), "frag_too_many");
	CHECK_STR(defrag_anomaly_name(DEFRAG_ANOM_TIMEOUT), "frag_timeout");
	CHECK_STR(defrag_anomaly_name(DEFRAG_ANOM_BAD_LENGTH), "frag_bad_length");
	CHECK_STR(defrag_anomaly_name(DEFRAG_ANOM_BAD_END), "frag_bad_end");
	defrag_destroy(d);

	/* linux trims a non-last fragment to a multiple of 8 (IPv4) */
	d = mk(DEFRAG_POLICY_LINUX);
	k = K4;
	memset(FB.data, 'L', 12);
	CHECK_EQ_U(ins(d, frag(&k, 0, 12, false, NULL), S_US, &dg),
		   DEFRAG_ANOM_BIT(DEFRAG_ANOM_BAD_LENGTH) | DEFRAG_ANOM_BIT(DEFRAG_ANOM_TINY_FIRST));
	memset(FB.data, 'M', 8);
	ins(d, frag(&k, 8, 8, true, NULL), S_US, &dg);
	CHECK_STR(payload_blocks(dg), "LM");
	defrag_release(d, dg);
	defrag_destroy(d);

	/* fragments decode could not have produced are refused, not read */
	d = mk(DEFRAG_POLICY_BSD);
	frag(&K4, 0, 8, false, NULL);
	FB.f.l3 = NULL;
	CHECK_EQ_U(ins(d, &FB.f, S_US, &dg), DEFRAG_DROPPED);
	frag(&K4, 4, 8, false, NULL);
	CHECK_EQ_U(ins(d, &FB.f, S_US, &dg), DEFRAG_DROPPED);
	frag(&K4, 0, 8, false, NULL);
	FB.f.ip_version = 5;
	CHECK_EQ_U(ins(d, &FB.f, S_US, &dg), DEFRAG_DROPPED);
	frag(&K4, 0, 8, false, NULL);
	FB.l3[0] = 0x46;        /* IHL says 24, l3_len 20 */
	CHECK(ins(d, &FB.f, S_US, &dg) & DEFRAG_DROPPED);
	CHECK_EQ_U(defrag_get_stats(d)->drop_invalid, 4);
	defrag_destroy(d);
}

/* ---- the policy table ---------------------------------------------- */

static void test_policy_table(void)
{
	struct defrag_config c;
	struct defrag *d;
	struct mt_addr a;

	defrag_config_default(&c);
	CHECK_EQ_U(defrag_config_parse_policies(&c, "linux, 10.0.0.0/8=windows,"
						"10.1.0.0/16=solaris,2001:db8::/32=bsd-right,"
						"192.0.2.1=last,::/0=first"), 0);
	CHECK_EQ_U(c.n_prefixes, 5);
	CHECK_EQ_U(c.default_policy, DEFRAG_POLICY_LINUX);
	CHECK(defrag_config_parse_policies(&c, "10.0.0.0/33=bsd") < 0);
	CHECK(defrag_config_parse_policies(&c, "bogus") < 0);
	CHECK(defrag_config_parse_policies(&c, "10.0.0.0/8=nope") < 0);
	CHECK(defrag_config_parse_policies(&c, "10.0.0.0/8=first,x") < 0);
	CHECK_EQ_U(c.n_prefixes, 5);    /* nothing changed on error */
	CHECK_EQ_U(defrag_config_parse_policies(&c, "10.0.0.0/8=bsd"), 0);
	CHECK_EQ_U(c.n_prefixes, 5);    /* replaced */
	d = defrag_create(&c);
	a = addr("10.2.3.4");
	CHECK_EQ_U(defrag_policy_for(d, &a), DEFRAG_POLICY_BSD);
	a = addr("10.1.3.4");
	CHECK_EQ_U(defrag_policy_for(d, &a), DEFRAG_POLICY_SOLARIS);
	a = addr("192.0.2.1");
	CHECK_EQ_U(defrag_policy_for(d, &a), DEFRAG_POLICY_LAST);
	a = addr("192.0.2.2");
	CHECK_EQ_U(defrag_policy_for(d, &a), DEFRAG_POLICY_LINUX);
	a = addr("11.0.0.1");           /* an IPv6 prefix never covers IPv4 */
	CHECK_EQ_U(defrag_policy_for(d, &a), DEFRAG_POLICY_LINUX);
	a = addr("2001:db8:ffff::1");
	CHECK_EQ_U(defrag_policy_for(d, &a), DEFRAG_POLICY_BSD_RIGHT);
	a = addr("2001:db9::1");        /* ::/0 covers every IPv6 address */
	CHECK_EQ_U(defrag_policy_for(d, &a), DEFRAG_POLICY_FIRST);
	defrag_destroy(d);

	/* the datagram to a host is built with that host's policy */
	defrag_config_default(&c);
	CHECK_EQ_U(defrag_config_parse_policies(&c, "bsd,198.51.100.0/24=last"), 0);
	d = defrag_create(&c);
	{
		const struct defrag_datagram *dg = NULL, *o;

		for (unsigned i = 0; i < sizeof(sturges) / sizeof(sturges[0]); i++) {
			ins(d, spec_frag(&K4, &sturges[i]), S_US, &o);
			if (o)
				dg = o;
		}
		CHECK_STR(payload_blocks(dg), "AJJJJBKKKLLLMMMFNFGOPHQQ");
		CHECK(dg && dg->policy == DEFRAG_POLICY_LAST);
		defrag_release(d, dg);
	}
	defrag_destroy(d);

	/* 64 prefixes at most */
	defrag_config_default(&c);
	for (int i = 0; i < 64; i++) {
		char e[64];

		snprintf(e, sizeof(e), "10.0.%d.0/24=last", i);
		CHECK_EQ_U(defrag_config_parse_policies(&c, e), 0);
	}
	CHECK(defrag_config_parse_policies(&c, "10.1.0.0/24=last") < 0);
	CHECK_EQ_U(defrag_policy_from_name("bsd_right"), DEFRAG_POLICY_BSD_RIGHT);
	CHECK(defrag_policy_from_name("beos") < 0);
	/* Suricata's host-os-policy names */
	CHECK_EQ_U(defrag_policy_from_name("vista"), DEFRAG_POLICY_WINDOWS);
	CHECK_EQ_U(defrag_policy_from_name("old-linux"), DEFRAG_POLICY_LINUX);
	CHECK_EQ_U(defrag_policy_from_name("macos"), DEFRAG_POLICY_FIRST);
	CHECK_EQ_U(defrag_policy_from_name("irix"), DEFRAG_POLICY_BSD);
	defrag_config_default(&c);
	CHECK_EQ_U(defrag_config_add_prefix(&c, "192.168.0.0/16", "windows2k3"), 0);
	CHECK_EQ_U(defrag_config_add_prefix(&c, "2001:db8::7", "hpux10"), 0);
	CHECK(defrag_config_add_prefix(&c, "192.168.0.0/16,10.0.0.0/8", "linux") < 0);
	CHECK(defrag_config_add_prefix(&c, "192.168.0.0/16", "plan9") < 0);
	CHECK_EQ_U(c.n_prefixes, 2);
	CHECK_EQ_U(c.prefixes[0].policy, DEFRAG_POLICY_WINDOWS);
	CHECK_EQ_U(c.prefixes[1].bits, 128);
	CHECK_EQ_U(c.prefixes[1].policy, DEFRAG_POLICY_BSD);
	for (int p = 0; p < DEFRAG_POLICY_COUNT; p++)
		CHECK_EQ_U(defrag_policy_from_name(defrag_policy_name(p)), p);
}

/* ---- randomized, against a model ----------------------------------- */

/*
 * The model: per byte, which fragment gave it (-1: none). A held piece is
 * a maximal run of bytes from one fragment; a new fragment wins a piece's
 * overlap by model_new_wins (defrag_model.h).
 */
static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33) % n;
}

static void test_random_model(void)
{
	static int16_t owner[1024];
	static uint8_t bytes[1024];
	static bool win[1024];
	unsigned mismatches = 0, completed = 0;

	rng_state = 42;
	for (unsigned round = 0; round < 3000; round++) {
		int policy = (int)(round % DEFRAG_POLICY_COUNT);
		struct defrag *d = mk(policy);
		uint32_t total = 8 * (1 + rnd(40)) + rnd(8), end = 0;
		bool have_end = false, done = false;

		for (uint32_t i = 0; i < total; i++)
			owner[i] = -1;
		for (int16_t k = 0; k < 40 && !done; k++) {
			uint32_t no = 8 * rnd((total + 7) / 8), len, ne;
			bool last = rnd(6) == 0 || k == 39;
			const struct defrag_datagram *dg;

			if (last) {
				ne = total;
				if (no >= ne)
					no = (ne - 1) & ~7u;
			} else {
				ne = no + 8 * (1 + rnd(6));
				if (ne > (total & ~7u)) {
					if ((total & ~7u) <= no)
						continue;
					ne = total & ~7u;
				}
			}
			len = ne - no;
			for (uint32_t i = 0; i < len; i++)
				FB.data[i] = (uint8_t)('A' + k % 26);
			if (no == 0 && last)
				continue;       /* atomic: not this test's */
			/* model */
			for (uint32_t i = no; i < ne; i++) {
				uint32_t s = i, e = i;

				if (owner[i] < 0) {
					win[i] = true;
					continue;
				}
				while (s > 0 && owner[s - 1] == owner[i])
					s--;
				while (e + 1 < total && owner[e + 1] == owner[i])
					e++;
				win[i] = model_new_wins(policy, s, e + 1, no, ne);
			}
			for (uint32_t i = no; i < ne; i++) {
				if (win[i]) {
					owner[i] = k;
					bytes[i] = FB.data[i - no];
				}
			}
			if (last) {
				have_end = true;
				end = ne;
			}
			ins(d, frag(&K4, no, len, last, NULL), S_US, &dg);
			if (have_end) {
				bool full = true;

				for (uint32_t i = 0; i < end; i++)
					full &= owner[i] >= 0;
				if (full != (dg != NULL))
					mismatches++;
				if (full)
					done = true;
			}
			if (dg) {
				completed++;
				if (dg->len != 20 + end || memcmp(dg->ip + 20, bytes, end) != 0)
					mismatches++;
				defrag_release(d, dg);
			}
		}
		defrag_destroy(d);
	}
	CHECK_EQ_U(mismatches, 0);
	CHECK(completed > 1000);
}

int main(void)
{
	test_overlap_tables();
	test_orders();
	test_duplicates();
	test_ipv4_header();
	test_ipv6();
	test_keys();
	test_large();
	test_caps();
	test_timeout();
	test_anomalies();
	test_policy_table();
	test_random_model();
	CHECK_EQ_U(selfcheck_failures, 0);
	return check_summary("test_defrag");
}
