/*
 * b64_simd — vectorised base64 block decoding for the MIME decoder's hot
 * loop (mime_decode.c b64_decode()): whole blocks of alphabet characters
 * (the body of every base64 line) decode 32 or 16 characters at a time;
 * the caller's byte-at-a-time path keeps line ends, padding, bad bytes and
 * the quantum state across chunks.
 *
 * Pure functions over caller memory: nothing is allocated, nothing kept,
 * safe to call from any number of workers at once. Never reads past
 * in[n), never writes past out[(consumed / 4) * 3). The output is
 * byte-identical to a plain RFC 4648 section 4 decode of the consumed
 * characters.
 */
#ifndef MT_B64_SIMD_H
#define MT_B64_SIMD_H

#include <stddef.h>
#include <stdint.h>

/* The base64 alphabet as RFC 2045 section 6.8 reads it: 0..63 a
 * character's value, 64 white space, 65 '=', 66 any other byte. */
extern const uint8_t mime_b64_table[256];

/* Decodes the longest prefix of in[0..n) made of whole blocks whose every
 * character is in the base64 alphabet A-Z a-z 0-9 + / (no '=', no white
 * space, no other byte). Writes 3 bytes per 4 characters to out (out has
 * room for (n / 4) * 3 bytes). Returns the number of input characters
 * consumed, always a multiple of 4, possibly 0; the caller decodes the rest
 * with its scalar path. */
size_t mime_b64_block_decode(const uint8_t *in, size_t n, uint8_t *out);

/*
 * Block sizes: AVX2 reads 32-character blocks, then at most one
 * 16-character block; SSSE3 16-character blocks; the portable fallback
 * (non-x86 builds, or x86 CPUs without SSSE3) 4-character groups. The
 * block holding the first byte outside the alphabet still gives the whole
 * quanta before it. With p the offset of that byte (n when none), the
 * vector paths consume exactly (min(p, (n / 16) * 16) / 4) * 4 characters
 * and the portable one (p / 4) * 4; on x86 with SSSE3, n < 16 consumes
 * nothing.
 */
enum mime_b64_impl {
	MIME_B64_IMPL_SCALAR = 0,
	MIME_B64_IMPL_SSSE3,
	MIME_B64_IMPL_AVX2,
};

/*
 * mime_b64_block_decode() over a run of MIME lines: a line end (CRLF or
 * LF) met where a quantum ends is consumed too and decoding goes on after
 * it, so a body of lines whose lengths are multiples of 4 (76 in practice)
 * decodes in one call. Returns the input consumed (alphabet characters and
 * those line ends); *out_len gets the bytes written, 3 per 4 alphabet
 * characters (out needs room for (n / 4) * 3). Stops, as the block decoder
 * does, before anything else, and before a tail the blocks do not cover
 * (a line end at its start is still taken). The SSSE3 and AVX2 paths
 * consume the same and write the same bytes.
 */
size_t mime_b64_lines_decode(const uint8_t *in, size_t n, uint8_t *out, size_t *out_len);

/* The implementation mime_b64_block_decode() uses on this CPU, chosen on
 * the first call (any thread) and fixed for the life of the process. */
enum mime_b64_impl mime_b64_impl_best(void);

/* mime_b64_block_decode() with a chosen implementation, for tests and
 * benchmarks: an impl the CPU lacks is lowered to mime_b64_impl_best(). */
size_t mime_b64_block_decode_impl(enum mime_b64_impl impl, const uint8_t *in,
				  size_t n, uint8_t *out);
size_t mime_b64_lines_decode_impl(enum mime_b64_impl impl, const uint8_t *in, size_t n,
				  uint8_t *out, size_t *out_len);

#endif
