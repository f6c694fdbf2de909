/*
 * b64_simd.c — base64 block decoding with SSSE3 / AVX2 (see b64_simd.h).
 *
 * Why: a base64 body is almost all alphabet characters; the byte loop in
 * mime_decode.c spends a table load and a shift per character. Here 16 or
 * 32 characters are checked and translated with nibble lookups (pshufb)
 * and packed 4 x 6 bits -> 3 bytes with two multiply-adds (pmaddubsw,
 * pmaddwd) and one shuffle, the approach described by W. Muła and
 * D. Lemire ("Faster Base64 Encoding and Decoding Using AVX2
 * Instructions", 2018); the tables below are derived in the comments.
 *
 * Invariants: a block's characters are decoded up to the last whole
 * quantum before its first byte outside the alphabet; that block ends the
 * call, so nothing at or after an invalid byte is consumed. Loads read exactly the block (never
 * past in[n)); stores write exactly 3 bytes per 4 characters consumed.
 * The ISA is chosen once per process at run time; the file builds with
 * the project's default flags (function target attributes, no -mavx2).
 */
#include "b64_simd.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* RFC 2045 section 6.8: 0..63 the value, 64 white space, 65 '=', 66 any
 * other byte (so every byte outside the alphabet has bit 0x40 set). The
 * portable path and mime_decode.c's byte path use it; the vector paths
 * must agree with it byte for byte (tests/unit/test_b64_simd.c checks all
 * 256 bytes in every lane). */
const uint8_t mime_b64_table[256] = {
	66, 66, 66, 66, 66, 66, 66, 66, 66, 64, 64, 66, 66, 64, 66, 66,
	66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66,
	64, 66, 66, 66, 66, 66, 66, 66, 66, 66, 66, 62, 66, 66, 66, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 66, 66, 66, 65, 66, 66,
	66,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 66, 66, 66, 66, 66,
	66, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 66, 66, 66, 66, 66,
#define X 66
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
	X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
#undef X
};

/* Portable path: whole 4-character groups, stopping at the first group
 * with a byte outside the alphabet. */
static size_t b64_decode_scalar(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t i = 0;

	while (i + 4 <= n) {
		uint8_t a = mime_b64_table[in[i]], b = mime_b64_table[in[i + 1]];
		uint8_t c = mime_b64_table[in[i + 2]], d = mime_b64_table[in[i + 3]];
		uint32_t q;

		if ((a | b | c | d) & 0xc0)
			break;
		q = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
		out[0] = (uint8_t)(q >> 16);
		out[1] = (uint8_t)(q >> 8);
		out[2] = (uint8_t)q;
		out += 3;
		i += 4;
	}
	return i;
}

/* Its line end at in[i] (CRLF or LF), if one starts there: its length. */
static inline size_t b64_eol(const uint8_t *in, size_t i, size_t n)
{
	if (i < n && in[i] == '\n')
		return 1;
	return i + 1 < n && in[i] == '\r' && in[i + 1] == '\n' ? 2 : 0;
}

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

/*
 * The tables, indexed by a nibble of the input byte (pshufb, 16 entries;
 * the AVX2 path repeats them in both 128-bit lanes).
 *
 * Validity: a byte is outside the alphabet iff
 * B64_LUT_LO[low nibble] & B64_LUT_HI[high nibble] != 0. Each high nibble
 * gets a class bit; the low-nibble entry sets that bit for the low nibbles
 * that are invalid in the class:
 *   0x01  high 2: only 0x2B '+' and 0x2F '/' valid
 *   0x02  high 3: 0x30..0x39 valid, 0x3A..0x3F not
 *   0x04  high 4, 6: 0x40 '@' and 0x60 '`' invalid, the rest letters
 *   0x08  high 5, 7: 0x5B..0x5F and 0x7B..0x7F invalid
 *   0x10  high 0, 1, 8..F: nothing valid (set in every low entry)
 *
 * Translation: value = byte + B64_LUT_ROLL[high nibble], with '/' (high 2)
 * moved to index 1 by adding the -1 of a compare with '/':
 *   1: '/' 0x2F -> 63  (+16)    2: '+' 0x2B -> 62  (+19)
 *   3: '0' 0x30 -> 52  (+4)     4, 5: 'A' 0x41 -> 0  (-65)
 *   6, 7: 'a' 0x61 -> 26  (-71)
 * Entries for invalid classes do not matter: such blocks are not used.
 */
#define B64_LUT_LO \
	0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, \
	0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a
#define B64_LUT_HI \
	0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, \
	0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10
#define B64_LUT_ROLL \
	0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0
/*
 * Packing, per 32-bit lane holding the values a b c d (a first in memory):
 * pmaddubsw by bytes {0x40, 0x01} gives the words a<<6|b and c<<6|d;
 * pmaddwd by words {0x1000, 0x0001} gives the dword a<<18|b<<12|c<<6|d,
 * little-endian, so the 3 output bytes are the dword's bytes 2, 1, 0.
 */
#define B64_PACK_BYTES 0x01400140
#define B64_PACK_WORDS 0x00011000
#define B64_SHUF_OUT \
	2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1

/* A 16-byte vector's bytes outside the alphabet: non-zero lanes. */
__attribute__((target("ssse3"), always_inline))
static inline __m128i b64_bad16(__m128i v)
{
	const __m128i nib = _mm_set1_epi8(0x0f);
	__m128i hi = _mm_and_si128(_mm_srli_epi32(v, 4), nib);

	return _mm_and_si128(_mm_shuffle_epi8(_mm_setr_epi8(B64_LUT_LO), _mm_and_si128(v, nib)),
			     _mm_shuffle_epi8(_mm_setr_epi8(B64_LUT_HI), hi));
}

/* 16 alphabet characters decoded: 12 bytes in the vector's low lanes. */
__attribute__((target("ssse3"), always_inline))
static inline __m128i b64_pack16(__m128i v)
{
	__m128i hi = _mm_and_si128(_mm_srli_epi32(v, 4), _mm_set1_epi8(0x0f));
	__m128i roll = _mm_add_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')), hi);

	v = _mm_add_epi8(v, _mm_shuffle_epi8(_mm_setr_epi8(B64_LUT_ROLL), roll));
	v = _mm_maddubs_epi16(v, _mm_set1_epi32(B64_PACK_BYTES));
	v = _mm_madd_epi16(v, _mm_set1_epi32(B64_PACK_WORDS));
	return _mm_shuffle_epi8(v, _mm_setr_epi8(B64_SHUF_OUT));
}

/* The 12 bytes of a b64_pack16() to out, exactly. */
__attribute__((target("ssse3"), always_inline))
static inline void b64_store12(uint8_t *out, __m128i v)
{
	_mm_storel_epi64((__m128i *)(void *)out, v);
	_mm_storeu_si32(out + 8, _mm_srli_si128(v, 8));
}

/* One 16-character block: the characters consumed, 16, or when a byte is
 * outside the alphabet the whole quanta before it (0 to 12), with 3 bytes
 * to out for each 4. Also inlined into the AVX2 path (its ISA is a
 * subset), where it is VEX-encoded. */
__attribute__((target("ssse3"), always_inline))
static inline unsigned b64_block16(const uint8_t *in, uint8_t *out)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)in);
	unsigned badm = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b64_bad16(v), _mm_setzero_si128())) & 0xffff;
	unsigned take = badm ? ((unsigned)__builtin_ctz(badm) & ~3u) : 16;
	uint8_t tmp[16];

	if (!take)
		return 0;
	/* Exactly 3 bytes per quantum taken: out may end right after them
	 * (lanes past a bad byte hold garbage and are not stored). */
	_mm_storeu_si128((__m128i *)(void *)tmp, b64_pack16(v));
	memcpy(out, tmp, take / 4 * 3);
	return take;
}

__attribute__((target("ssse3")))
static size_t b64_decode_ssse3(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t i = 0;

	while (i + 16 <= n) {
		unsigned k = b64_block16(in + i, out);

		i += k;
		out += k / 4 * 3;
		if (k < 16)
			break;
	}
	return i;
}

__attribute__((target("avx2"), always_inline))
static inline __m256i b64_bad32(__m256i v)
{
	const __m256i nib = _mm256_set1_epi8(0x0f);
	__m256i hi = _mm256_and_si256(_mm256_srli_epi32(v, 4), nib);

	return _mm256_and_si256(
		_mm256_shuffle_epi8(_mm256_setr_epi8(B64_LUT_LO, B64_LUT_LO), _mm256_and_si256(v, nib)),
		_mm256_shuffle_epi8(_mm256_setr_epi8(B64_LUT_HI, B64_LUT_HI), hi));
}

__attribute__((target("avx2"), always_inline))
static inline __m256i b64_pack32(__m256i v)
{
	__m256i hi = _mm256_and_si256(_mm256_srli_epi32(v, 4), _mm256_set1_epi8(0x0f));
	__m256i roll = _mm256_add_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('/')), hi);

	v = _mm256_add_epi8(v, _mm256_shuffle_epi8(
		_mm256_setr_epi8(B64_LUT_ROLL, B64_LUT_ROLL), roll));
	v = _mm256_maddubs_epi16(v, _mm256_set1_epi32(B64_PACK_BYTES));
	v = _mm256_madd_epi16(v, _mm256_set1_epi32(B64_PACK_WORDS));
	v = _mm256_shuffle_epi8(v, _mm256_setr_epi8(B64_SHUF_OUT, B64_SHUF_OUT));
	return _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7));
}

/* The 24 bytes of a b64_pack32() to out, exactly. */
__attribute__((target("avx2"), always_inline))
static inline void b64_store24(uint8_t *out, __m256i v)
{
	_mm_storeu_si128((__m128i *)(void *)out, _mm256_castsi256_si128(v));
	_mm_storel_epi64((__m128i *)(void *)(out + 16), _mm256_extracti128_si256(v, 1));
}

/* One 32-character block: the characters consumed, 32, or when a byte is
 * outside the alphabet the whole quanta before it (0 to 28), with 3 bytes
 * to out for each 4. */
__attribute__((target("avx2"), always_inline))
static inline unsigned b64_block32(const uint8_t *in, uint8_t *out)
{
	__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)in);
	unsigned badm = ~(unsigned)_mm256_movemask_epi8(
		_mm256_cmpeq_epi8(b64_bad32(v), _mm256_setzero_si256()));
	unsigned take = badm ? ((unsigned)__builtin_ctz(badm) & ~3u) : 32;

	if (!take)
		return 0;
	v = b64_pack32(v);
	if (take == 32) {
		b64_store24(out, v);
	} else {
		uint8_t tmp[32];

		_mm256_storeu_si256((__m256i *)(void *)tmp, v);
		memcpy(out, tmp, take / 4 * 3);
	}
	return take;
}

/*
 * A line of len alphabet characters (len a multiple of 4, 16 to 76) and
 * its CRLF at in (reads in[0..len + 2)): its len / 4 * 3 bytes to out, or
 * false and nothing written. Blocks of 32 at 0 and 32 where the line has
 * them, else of 16 there (at 0 for lines of 20 to 28, at 32 for 48 to
 * 60), and where those do not end at the line's end one of 16 that does
 * (overlapping what came before: the same bytes again), so no block
 * reaches past the line and every store is whole.
 */
__attribute__((target("avx2"), always_inline))
static inline bool b64_line(const uint8_t *in, uint8_t *out, unsigned len)
{
	__m256i a = _mm256_setzero_si256(), b = a, bad = a;
	__m128i h = _mm_setzero_si128(), m = h, t = h, badx = h;
	unsigned cov = 0;       /* the characters the blocks at 0 and 32 cover */

	if (in[len] != '\r' || in[len + 1] != '\n')
		return false;
	if (len >= 32) {
		a = _mm256_loadu_si256((const __m256i *)(const void *)in);
		bad = b64_bad32(a);
		cov = 32;
	} else if (len > 16) {
		h = _mm_loadu_si128((const __m128i *)(const void *)in);
		badx = b64_bad16(h);
		cov = 16;
	}
	if (len >= 64) {
		b = _mm256_loadu_si256((const __m256i *)(const void *)(in + 32));
		bad = _mm256_or_si256(bad, b64_bad32(b));
		cov = 64;
	} else if (len >= 48) {
		m = _mm_loadu_si128((const __m128i *)(const void *)(in + 32));
		badx = _mm_or_si128(badx, b64_bad16(m));
		cov = 48;
	}
	if (cov != len) {
		t = _mm_loadu_si128((const __m128i *)(const void *)(in + len - 16));
		badx = _mm_or_si128(badx, b64_bad16(t));
	}
	if (!_mm256_testz_si256(bad, bad) || !_mm_testz_si128(badx, badx))
		return false;
	if (len >= 32)
		b64_store24(out, b64_pack32(a));
	else if (len > 16)
		b64_store12(out, b64_pack16(h));
	if (len >= 64)
		b64_store24(out + 24, b64_pack32(b));
	else if (len >= 48)
		b64_store12(out + 24, b64_pack16(m));
	if (cov != len)
		b64_store12(out + (len - 16) / 4 * 3, b64_pack16(t));
	return true;
}

/* The input the block loop below needs to consume a whole line of len and
 * its CRLF: the CRLF itself when the blocks end at the CR (len a multiple
 * of 16: the CR starts a block, or the tail), else the 16-character block
 * holding the CR (a block stops at it, then the line end is taken). */
static inline size_t b64_line_need(unsigned len)
{
	return len % 16 == 0 ? len + 2 : (len & ~15u) + 16;
}

/* 32-character blocks, then 16-character ones; the block holding the first
 * bad byte still gives the whole quanta before it (a MIME line's last 12
 * characters before its CRLF). With lines, a block that stops at a line
 * end on a quantum boundary goes on after it, without leaving the loop (a
 * MIME line of 76 is two full blocks and one that stops at its CR), and
 * so does a tail under 16 bytes that starts with one: the SSSE3 path's
 * count and bytes exactly (tests/unit/test_b64_simd.c compares them).
 * Each block's start depends on where the one before stopped (a ctz of
 * its compare), so a line's blocks are a chain of latencies: 0.37 cycles
 * per input byte on 76-character lines (bench_b64). A body's lines mostly
 * have one length (76 at most, RFC 2045 6.8; 76, 72 and 64 are common),
 * so the length of the last whole line seen (76 before any) is tried
 * first for the next line as a whole (b64_line), where nothing waits on
 * the line before: 0.23 cycles per byte (benchmarks/RESULTS.md). It takes a line
 * only where the blocks would take that same line and its CRLF
 * (b64_line_need), so the count and the bytes are the blocks' own. */
__attribute__((target("avx2"), always_inline))
static inline size_t b64_run_avx2(const uint8_t *in, size_t n, uint8_t *out, size_t *out_len,
				  bool lines)
{
	size_t i = 0, o = 0, ls = SIZE_MAX;     /* ls: where the line at i began */
	unsigned len = 76;                       /* the line length to try whole */

	for (;;) {
		unsigned k, full;

		while (lines && i + b64_line_need(len) <= n && b64_line(in + i, out + o, len)) {
			i += len + 2;
			o += len / 4 * 3;
			ls = i;
		}
		if (i + 32 <= n) {
			k = b64_block32(in + i, out + o);
			full = 32;
		} else if (i + 16 <= n) {
			k = b64_block16(in + i, out + o);
			full = 16;
		} else {
			k = 0;          /* the tail: only a line end there */
			full = 1;
		}
		i += k;
		o += k / 4 * 3;
		if (k < full) {
			size_t e = lines ? b64_eol(in, i, n) : 0;

			if (!e)
				break;
			/* a whole line seen: its length is the next one tried */
			if (ls != SIZE_MAX && i - ls >= 16 && i - ls <= 76)
				len = (unsigned)(i - ls);
			i += e;
			ls = i;
		}
	}
	*out_len = o;
	return i;
}

__attribute__((target("avx2")))
static size_t b64_decode_avx2(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o;

	return b64_run_avx2(in, n, out, &o, false);
}

__attribute__((target("avx2")))
static size_t b64_lines_avx2(const uint8_t *in, size_t n, uint8_t *out, size_t *out_len)
{
	return b64_run_avx2(in, n, out, out_len, true);
}

static enum mime_b64_impl b64_impl_detect(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2"))
		return MIME_B64_IMPL_AVX2;
	if (__builtin_cpu_supports("ssse3"))
		return MIME_B64_IMPL_SSSE3;
	return MIME_B64_IMPL_SCALAR;
}

#else /* not x86 */

static enum mime_b64_impl b64_impl_detect(void)
{
	return MIME_B64_IMPL_SCALAR;
}

#endif

/* The chosen implementation + 1; 0 until the first call. Workers may race
 * on the first call: each computes the same value, and the relaxed atomics
 * keep the race defined (and quiet under TSan). */
static int b64_impl_cached;

enum mime_b64_impl mime_b64_impl_best(void)
{
	int c = __atomic_load_n(&b64_impl_cached, __ATOMIC_RELAXED);

	if (c == 0) {
		c = (int)b64_impl_detect() + 1;
		__atomic_store_n(&b64_impl_cached, c, __ATOMIC_RELAXED);
	}
	return (enum mime_b64_impl)(c - 1);
}

size_t mime_b64_block_decode_impl(enum mime_b64_impl impl, const uint8_t *in,
				  size_t n, uint8_t *out)
{
	enum mime_b64_impl best = mime_b64_impl_best();

	if (impl > best)
		impl = best;
	switch (impl) {
#if defined(__x86_64__) || defined(__i386__)
	case MIME_B64_IMPL_AVX2:
		return b64_decode_avx2(in, n, out);
	case MIME_B64_IMPL_SSSE3:
		return b64_decode_ssse3(in, n, out);
#endif
	default:
		return b64_decode_scalar(in, n, out);
	}
}

size_t mime_b64_block_decode(const uint8_t *in, size_t n, uint8_t *out)
{
	return mime_b64_block_decode_impl(mime_b64_impl_best(), in, n, out);
}

size_t mime_b64_lines_decode_impl(enum mime_b64_impl impl, const uint8_t *in, size_t n,
				  uint8_t *out, size_t *out_len)
{
	size_t i = 0, o = 0;

	if (impl > mime_b64_impl_best())
		impl = mime_b64_impl_best();
#if defined(__x86_64__) || defined(__i386__)
	if (impl == MIME_B64_IMPL_AVX2)
		return b64_lines_avx2(in, n, out, out_len);
#endif
	for (;;) {
		size_t k = mime_b64_block_decode_impl(impl, in + i, n - i, out + o), e;

		i += k;
		o += k / 4 * 3;
		if (!(e = b64_eol(in, i, n)))
			break;
		i += e;
	}
	*out_len = o;
	return i;
}

size_t mime_b64_lines_decode(const uint8_t *in, size_t n, uint8_t *out, size_t *out_len)
{
	return mime_b64_lines_decode_impl(mime_b64_impl_best(), in, n, out, out_len);
}
