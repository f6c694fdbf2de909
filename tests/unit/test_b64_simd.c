/*
 * test_b64_simd — the vectorised base64 block decoder
 * (sensor/mime/b64_simd.c), every implementation this CPU has (portable,
 * SSSE3, AVX2) and the public entry point, against a plain RFC 4648
 * reference decoder written here: pseudo-random valid inputs of every
 * length 0..300 and a few of 64 KiB; each kind of bad byte planted at
 * every offset of a 100-character input; every byte value at every lane
 * position of both block sizes; 76-character MIME lines as the caller
 * feeds them; bodies of lines of each length, which the AVX2 path decodes
 * a line at a time, against the SSSE3 path.
 *
 * Each call is checked for: a multiple of 4, never past n, only alphabet
 * characters consumed, nothing at or past the first bad byte consumed,
 * the exact count (SIMD: (min(p, (n / 16) * 16) / 4) * 4 with p the
 * offset of the first bad byte or n; portable: (p / 4) * 4), output equal
 * to the reference decode, and no
 * byte written after the output (sentinels, two values). Inputs sit at
 * the very end of an exact-size allocation so an over-read shows under
 * ASan.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "b64_simd.h"
#include "check.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static int ref_tab[256];

static void ref_init(void)
{
	for (int c = 0; c < 256; c++)
		ref_tab[c] = -1;
	for (int i = 0; i < 64; i++)
		ref_tab[(uint8_t)alphabet[i]] = i;
}

/* RFC 4648 section 4, n a multiple of 4, every character valid. */
static void ref_decode(const uint8_t *in, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i += 4) {
		uint32_t q = 0;

		for (int k = 0; k < 4; k++)
			q = q << 6 | (uint32_t)ref_tab[in[i + k]];
		*out++ = (uint8_t)(q >> 16);
		*out++ = (uint8_t)(q >> 8);
		*out++ = (uint8_t)q;
	}
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void fill_valid(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)alphabet[rng() % 64];
}

static const char *impl_name[] = { "scalar", "ssse3", "avx2", "entry" };
#define IMPL_ENTRY 3      /* mime_b64_block_decode() itself */

static int impl_count;    /* implementations to test: best + 1 */

#define GUARD 64

/*
 * Decode in[0..n) with implementation impl (IMPL_ENTRY = the public
 * function), the input copied to the end of an allocation of exactly
 * `align + n` bytes at offset align. Returns true when every property
 * holds; prints what broke otherwise.
 */
static bool run_one(int impl, const uint8_t *src, size_t n, size_t align)
{
	size_t room = (n / 4) * 3, p = 0, used, want_lo, want_exact;
	uint8_t *ibuf = malloc(align + n + 1), *in = ibuf + align;
	uint8_t *obuf = malloc(room + GUARD), *ref = malloc(room + 1);
	bool ok = true;
	int best = (int)mime_b64_impl_best();
	int eff = impl == IMPL_ENTRY ? best : impl;
	size_t c[2] = { SIZE_MAX, SIZE_MAX };

	if (!ibuf || !obuf || !ref) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	memcpy(in, src, n);
	while (p < n && ref_tab[in[p]] >= 0)
		p++;
	/* Two sentinel values, so a stray write of either is still seen. */
	for (int s = 0; s < 2; s++) {
		uint8_t sent = s ? 0x5a : 0xa5;

		memset(obuf, sent, room + GUARD);
		if (impl == IMPL_ENTRY)
			c[s] = mime_b64_block_decode(in, n, obuf);
		else
			c[s] = mime_b64_block_decode_impl((enum mime_b64_impl)impl, in, n, obuf);
		used = (c[s] / 4) * 3;
		for (size_t k = used; k < room + GUARD; k++)
			if (obuf[k] != sent) {
				fprintf(stderr, "%s n=%zu: byte %zu written (consumed %zu)\n",
					impl_name[impl], n, k, c[s]);
				ok = false;
				break;
			}
		if (c[s] % 4 || c[s] > n || c[s] > (p / 4) * 4)
			break;
		ref_decode(in, c[s], ref);
		if (memcmp(obuf, ref, used) != 0) {
			fprintf(stderr, "%s n=%zu: output differs from the reference\n",
				impl_name[impl], n);
			ok = false;
		}
	}
	if (c[1] != c[0]) {
		fprintf(stderr, "%s n=%zu: consumed %zu, then %zu\n",
			impl_name[impl], n, c[0], c[1]);
		ok = false;
	}
	want_lo = (p / 16) * 16;
	want_exact = eff == MIME_B64_IMPL_SCALAR ? (p / 4) * 4 :
		     ((p < (n / 16) * 16 ? p : (n / 16) * 16) / 4) * 4;
	if (c[0] % 4 || c[0] > n || c[0] > (p / 4) * 4 || c[0] < want_lo ||
	    c[0] != want_exact) {
		fprintf(stderr, "%s n=%zu first bad at %zu: consumed %zu, want %zu\n",
			impl_name[impl], n, p, c[0], want_exact);
		ok = false;
	}
	free(ibuf);
	free(obuf);
	free(ref);
	return ok;
}

/* run_one for every implementation; one CHECK per input. */
static void run_all(const uint8_t *in, size_t n)
{
	bool ok = true;
	size_t align = rng() % 32;

	for (int impl = 0; impl < impl_count; impl++)
		ok &= run_one(impl, in, n, align);
	ok &= run_one(IMPL_ENTRY, in, n, align);
	CHECK(ok);
}

static void test_valid_lengths(void)
{
	uint8_t buf[300];

	for (size_t n = 0; n <= sizeof(buf); n++)
		for (int rep = 0; rep < 8; rep++) {
			fill_valid(buf, n);
			run_all(buf, n);
		}
}

static void test_large(void)
{
	size_t n = 64 * 1024;
	uint8_t *buf = malloc(n + 3);

	if (!buf)
		exit(2);
	for (size_t extra = 0; extra < 4; extra++) {
		fill_valid(buf, n + extra);
		run_all(buf, n + extra);
	}
	/* One bad byte deep inside: everything before its block decodes. */
	fill_valid(buf, n);
	buf[40000 + 7] = '=';
	run_all(buf, n);
	free(buf);
}

/* Each kind of byte outside the alphabet at every offset of 100. */
static void test_planted(void)
{
	static const uint8_t bad[] = { '=', '\r', '\n', ' ', '-', 0x80, 0x00, '.',
				       '\t', 0xff, '@', '[', '`', '{', ':', '*' };
	uint8_t buf[100];

	for (size_t b = 0; b < sizeof(bad); b++)
		for (size_t pos = 0; pos < sizeof(buf); pos++) {
			fill_valid(buf, sizeof(buf));
			buf[pos] = bad[b];
			run_all(buf, sizeof(buf));
			/* and a second one later, which must not matter */
			if (pos + 9 < sizeof(buf)) {
				buf[pos + 9] = '\n';
				run_all(buf, sizeof(buf));
			}
		}
}

/*
 * Every byte value at every position of a 48-byte input: 32 for the
 * AVX2 block, 16 for the block after it (and three SSSE3 blocks). The 64
 * alphabet characters must decode in every lane, the other 192 bytes must
 * stop at their block.
 */
static void test_every_byte_every_lane(void)
{
	uint8_t buf[48];

	for (int c = 0; c < 256; c++)
		for (size_t pos = 0; pos < sizeof(buf); pos++) {
			fill_valid(buf, sizeof(buf));
			buf[pos] = (uint8_t)c;
			run_all(buf, sizeof(buf));
		}
	/* Whole blocks of one character (value 0 and 63 in every lane). */
	for (int i = 0; i < 64; i++) {
		memset(buf, alphabet[i], sizeof(buf));
		run_all(buf, sizeof(buf));
	}
}

/* Random mixtures: about one bad byte in 40, so most blocks still pass. */
static void test_noisy(void)
{
	uint8_t buf[300];

	for (int rep = 0; rep < 3000; rep++) {
		size_t n = rng() % (sizeof(buf) + 1);

		fill_valid(buf, n);
		for (size_t i = 0; i < n; i++)
			if (rng() % 40 == 0)
				buf[i] = (uint8_t)rng();
		run_all(buf, n);
	}
}

/* How the caller sees a MIME body: 76-character lines, then CRLF. A line
 * alone gives 64 characters to the SIMD paths (two 32- or four 16-blocks;
 * the last 12 are under a block); a chunk of lines gives the whole first
 * line, the block holding its CR decoding the 12 before it. */
static void test_mime_lines(void)
{
	uint8_t body[78 * 4], out[(sizeof(body) / 4) * 3];

	for (int l = 0; l < 4; l++) {
		fill_valid(body + 78 * l, 76);
		body[78 * l + 76] = '\r';
		body[78 * l + 77] = '\n';
	}
	run_all(body, sizeof(body));
	run_all(body, 76);
	run_all(body + 78, 76 + 2);
	if (mime_b64_impl_best() != MIME_B64_IMPL_SCALAR) {
		CHECK_EQ_U(mime_b64_block_decode(body, 76, out), 64);
		CHECK_EQ_U(mime_b64_block_decode(body, sizeof(body), out), 76);
		CHECK_EQ_U(mime_b64_block_decode(body, 15, out), 0);
	} else {
		CHECK_EQ_U(mime_b64_block_decode(body, 76, out), 76);
	}
	CHECK_EQ_U(mime_b64_block_decode(body, 0, NULL), 0);
}

/*
 * mime_b64_lines_decode over bodies of lines: lengths mostly multiples of
 * 4 (now and then not), ends CRLF or LF (now and then a bare CR or a
 * space), a bad byte now and then. The consumed prefix must hold only
 * alphabet characters and line ends each at a quantum boundary, its
 * decode must equal the reference decode of its characters, and a body of
 * clean lines must be consumed to within the last 16 bytes.
 */
static void test_lines(void)
{
	static uint8_t in[4096], out[4096], chars[4096], ref[4096];

	for (int rep = 0; rep < 4000; rep++) {
		size_t n = 0;
		bool clean = true;

		while (n < sizeof(in) - 200) {
			size_t len = 4 * (rng() % 31);
			unsigned r = (unsigned)(rng() % 50);

			if (r == 0) {
				len += 1 + rng() % 3;
				clean = false;
			}
			fill_valid(in + n, len);
			n += len;
			if (r == 1) {
				in[n++] = '\r';
				clean = false;
			} else if (r == 2) {
				in[n++] = ' ';
				clean = false;
			} else if (r == 3) {
				in[n - (len ? 1 : 0)] = '=';
				clean = false;
			} else if (rng() & 1) {
				in[n++] = '\n';
			} else {
				in[n++] = '\r';
				in[n++] = '\n';
			}
			if (rng() % 8 == 0)
				break;
		}
		size_t c_ssse3 = SIZE_MAX;

		for (int impl = 0; impl < impl_count; impl++) {
			size_t w = SIZE_MAX, c, nc = 0, q = 0;
			bool ok = true;

			c = mime_b64_lines_decode_impl((enum mime_b64_impl)impl, in, n, out, &w);
			/* the vector paths take the same (the AVX2 one's whole
			 * lines included: test_lines_whole) */
			if (impl == MIME_B64_IMPL_SSSE3)
				c_ssse3 = c;
			else if (impl == MIME_B64_IMPL_AVX2)
				CHECK_EQ_U(c, c_ssse3);
			for (size_t i = 0; i < c && ok; i++) {
				if (ref_tab[in[i]] >= 0) {
					chars[nc++] = in[i];
					q++;
				} else if (in[i] == '\n' && q % 4 == 0) {
					continue;
				} else if (in[i] == '\r' && i + 1 < c && in[i + 1] == '\n' && q % 4 == 0) {
					i++;
				} else {
					ok = false;
				}
			}
			ok = ok && c <= n && nc % 4 == 0 && w == nc / 4 * 3;
			if (ok) {
				ref_decode(chars, nc, ref);
				ok = memcmp(out, ref, w) == 0;
			}
			if (ok && clean)
				ok = c + 16 > n;
			if (!ok)
				fprintf(stderr, "%s lines rep %d n=%zu: consumed %zu, wrote %zu\n",
					impl_name[impl], rep, n, c, w);
			CHECK(ok);
		}
	}
}

/* One lines decode of in[0..n) with impl into a sentinel-filled buffer:
 * the count, *w the bytes written; false when a byte past them changed. */
static bool lines_once(enum mime_b64_impl impl, const uint8_t *in, size_t n, uint8_t *out,
		       size_t room, size_t *c, size_t *w)
{
	memset(out, 0xa5, room + GUARD);
	*w = SIZE_MAX;
	*c = mime_b64_lines_decode_impl(impl, in, n, out, w);
	for (size_t k = *w; k < room + GUARD; k++)
		if (out[k] != 0xa5)
			return false;
	return true;
}

/* lines_once with AVX2 and SSSE3: the same count and bytes, nothing
 * written past them; the AVX2 count to *c. */
static bool lines_same(const uint8_t *in, size_t n, size_t *c)
{
	static uint8_t a[8192 + GUARD], b[8192 + GUARD];
	size_t ca = 0, wa = 0, cb = 0, wb = 0;
	bool oa = lines_once(MIME_B64_IMPL_AVX2, in, n, a, sizeof(a) - GUARD, &ca, &wa);
	bool ob = lines_once(MIME_B64_IMPL_SSSE3, in, n, b, sizeof(b) - GUARD, &cb, &wb);
	bool ok = oa && ob && ca == cb && wa == wb && memcmp(a, b, wa) == 0;

	if (!ok)
		fprintf(stderr, "lines n=%zu: avx2 %zu/%zu%s, ssse3 %zu/%zu%s\n", n, ca, wa,
			oa ? "" : " (wrote past)", cb, wb, ob ? "" : " (wrote past)");
	*c = ca;
	return ok;
}

/* A body of `lines` lines of len characters, each with its CRLF. */
static size_t lines_body(uint8_t *p, unsigned len, int lines)
{
	for (int l = 0; l < lines; l++) {
		fill_valid(p, len);
		p[len] = '\r';
		p[len + 1] = '\n';
		p += len + 2;
	}
	return (size_t)lines * (len + 2);
}

/*
 * Bodies of lines of one length and CRLFs, the shape the AVX2 path decodes
 * a line at a time (b64_line), for every length 16 to 76 that is a
 * multiple of 4 and a few that are not: its count and bytes must be the
 * SSSE3 path's (the same block rules, a block at a time), on every cut of
 * the body (a line's CRLF and the bytes after it arriving or not), with a
 * bad byte at each offset of a line (its CR and LF included), with one
 * line ending in LF alone, and with the length changing from line to line.
 */
static void test_lines_whole(void)
{
	static const uint8_t bad[] = { '=', ' ', '\r', '\n', '*', 0x80 };
	static uint8_t body[4096], in[4096];
	size_t c;

	if (mime_b64_impl_best() < MIME_B64_IMPL_AVX2)
		return;
	for (unsigned len = 12; len <= 80; len++) {
		size_t n = lines_body(body, len, 6), ll = len + 2;
		bool whole = len % 4 == 0 && len >= 16 && len <= 76;

		for (size_t cut = 0; cut <= n; cut++)
			CHECK(lines_same(body, cut, &c));
		/* the whole body but what the last line's blocks cannot take */
		CHECK(lines_same(body, n, &c));
		if (whole)
			CHECK(c + 32 > n && c >= n - ll);
		for (size_t off = 0; off < ll; off++)
			for (size_t k = 0; k < sizeof(bad); k++) {
				memcpy(in, body, n);
				in[2 * ll + off] = bad[k];
				CHECK(lines_same(in, n, &c));
				/* (a CR or LF can be a line end, where a quantum ends) */
				if (bad[k] != '\r' && bad[k] != '\n')
					CHECK(c <= 2 * ll + off);
			}
		/* line 2 ends in LF alone */
		memcpy(in, body, 2 * ll + len);
		memcpy(in + 2 * ll + len, body + 2 * ll + len + 1, n - (2 * ll + len + 1));
		CHECK(lines_same(in, n - 1, &c));
	}
	/* lengths changing: 3 lines each of 76, 72, 64, 16, 60, 48, 32, 76 */
	{
		static const unsigned lens[] = { 76, 72, 64, 16, 60, 48, 32, 76 };
		size_t n = 0;

		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++)
			n += lines_body(body + n, lens[k], 3);
		for (size_t cut = 0; cut <= n; cut++)
			CHECK(lines_same(body, cut, &c));
		CHECK(c + 32 > n);
	}
}

/* A readable known answer (RFC 4648 section 10 and a classic). */
static void test_known(void)
{
	static const struct {
		const char *in, *out;
	} kat[] = {
		{ "Zm9vYmFy", "foobar" },
		{ "TWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdvcmsuTWFueSBoYW5kcyBtYWtl",
		  "Many hands make light work.Many hands make" },
		{ "////++++////++++////++++////++++",
		  "\xff\xff\xff\xfb\xef\xbe\xff\xff\xff\xfb\xef\xbe"
		  "\xff\xff\xff\xfb\xef\xbe\xff\xff\xff\xfb\xef\xbe" },
	};
	uint8_t out[64];

	for (size_t k = 0; k < sizeof(kat) / sizeof(kat[0]); k++) {
		size_t n = strlen(kat[k].in), want = strlen(kat[k].out);

		for (int impl = 0; impl < impl_count; impl++) {
			size_t c = mime_b64_block_decode_impl((enum mime_b64_impl)impl,
				(const uint8_t *)kat[k].in, n, out);

			if (c == n)
				CHECK_MEM(out, (c / 4) * 3, kat[k].out, want);
			else    /* a SIMD path leaving a tail under 16 */
				CHECK(c == (n / 16) * 16 && memcmp(out, kat[k].out, (c / 4) * 3) == 0);
		}
	}
}

int main(void)
{
	ref_init();
	rng_state = 0x9e3779b97f4a7c15ull;
	impl_count = (int)mime_b64_impl_best() + 1;
	printf("test_b64_simd: best implementation %s\n",
	       impl_name[mime_b64_impl_best()]);

	test_known();
	test_lines();
	test_lines_whole();
	test_valid_lengths();
	test_large();
	test_planted();
	test_every_byte_every_lane();
	test_noisy();
	test_mime_lines();
	return check_summary("test_b64_simd");
}
