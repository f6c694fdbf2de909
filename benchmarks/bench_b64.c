/*
 * bench_b64 — the MIME base64 decoder's vector paths (sensor/mime/b64_simd.c)
 * on bodies of lines of one length, fed in pieces of a TCP segment's size
 * (1,448 bytes) as the MIME parser feeds them: the time per input byte of
 * every implementation this CPU has, and each one's ratio to the portable
 * path measured in the same run (best of --reps runs of each, the
 * implementations alternating within a repetition).
 *
 *   bench_b64 [--mb N] [--reps N]
 *
 * Prints one line per line length: "len 76: scalar 1.234 ns/B  ssse3 ...
 * avx2 ...  (avx2/scalar 0.20)". The body is the base64 of random bytes,
 * the same for every implementation; the AVX2 path's output is compared
 * with the SSSE3 one's first, which decodes the same blocks a block at a
 * time (exit 1 when they differ; the portable path leaves no tails, so
 * its pieces split differently).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "b64_simd.h"
#include "gen_common.h"

#define PIECE 1448

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Decode the body piece by piece as the parser does: the vector path
 * first, what it leaves of a piece is skipped (the parser's byte path
 * takes it; the same for every implementation). Returns bytes written. */
static size_t run(enum mime_b64_impl impl, const uint8_t *in, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		size_t lim = n - i < PIECE ? n - i : PIECE, w = 0;
		size_t used = mime_b64_lines_decode_impl(impl, in + i, lim, out + o, &w);

		o += w;
		i += used ? used : lim;
	}
	return o;
}

int main(int argc, char **argv)
{
	static const unsigned lens[] = { 76, 72, 64, 60 };
	static const char *const names[] = { "scalar", "ssse3", "avx2" };
	size_t mb = 1;
	int reps = 20, nimpl = (int)mime_b64_impl_best() + 1;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--mb") == 0)
			mb = (size_t)strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--reps") == 0)
			reps = atoi(argv[i + 1]);
	}
	if (mb == 0 || reps < 1) {
		fprintf(stderr, "usage: bench_b64 [--mb N] [--reps N]\n");
		return 2;
	}
	printf("bench_b64: %zu MB bodies, pieces of %d bytes, best of %d; best path %s\n", mb,
	       PIECE, reps, names[nimpl - 1]);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t ll = lens[k] + 2, lines = mb * 1000000 / ll, n = lines * ll;
		uint8_t *in = malloc(n), *ref = malloc(n), *out = malloc(n);
		double best[3] = { 1e300, 1e300, 1e300 };
		size_t wref;
		struct pcapw_rng rng;
		uint8_t raw[57];        /* a line's bytes: lens[k] / 4 * 3 */

		if (!in || !ref || !out) {
			fprintf(stderr, "bench_b64: out of memory\n");
			return 1;
		}
		/* each line the base64 of random bytes, as the generators write
		 * attachments (gen_common.h) */
		pcapw_rng_seed(&rng, 1);
		for (size_t l = 0; l < lines; l++) {
			gen_rng_bytes(&rng, raw, lens[k] / 4 * 3);
			gen_b64_encode(raw, lens[k] / 4 * 3, (char *)in + l * ll);
			in[l * ll + lens[k]] = '\r';
			in[l * ll + lens[k] + 1] = '\n';
		}
		if (nimpl > MIME_B64_IMPL_AVX2) {
			wref = run(MIME_B64_IMPL_SSSE3, in, n, ref);
			if (run(MIME_B64_IMPL_AVX2, in, n, out) != wref || memcmp(out, ref, wref)) {
				fprintf(stderr, "bench_b64: avx2 output differs (len %u)\n", lens[k]);
				return 1;
			}
		}
		for (int r = 0; r < reps; r++)
			for (int m = 0; m < nimpl; m++) {
				double t0 = now_ns();

				run((enum mime_b64_impl)m, in, n, out);
				t0 = now_ns() - t0;
				if (t0 < best[m])
					best[m] = t0;
			}
		printf("len %u:", lens[k]);
		for (int m = 0; m < nimpl; m++)
			printf("  %s %.3f ns/B", names[m], best[m] / (double)n);
		printf("  (%s/scalar %.2f)\n", names[nimpl - 1], best[nimpl - 1] / best[0]);
		free(in);
		free(ref);
		free(out);
	}
	return 0;
}
