/*
 * fuzz_url — libFuzzer target for the streaming URL extractor
 * (sensor/url). The first two input bytes choose the mode, schemes,
 * defanging and caps; the rest is a part's decoded body.
 *
 * Invariants checked (abort on violation):
 * - the same input fed whole, split at pseudo-random offsets derived from
 *   the input, and (when short) byte by byte gives the same URLs with the
 *   same flags in the same order;
 * - every URL is non-empty, at most the length cap, and starts with the
 *   canonical prefix of an enabled scheme ("http://", "https://", "ftp://",
 *   "mailto:") or "www.";
 * - no more URLs than the count cap; work <= URL_WORK_FACTOR * bytes;
 * - every pool block is given back by url_finish().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

struct run {
	uint64_t hash;
	unsigned count;
	const struct url_config *cfg;
	uint32_t max_len;
};

static bool has_prefix(const uint8_t *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n >= l && memcmp(p, lit, l) == 0;
}

static void on_url(void *user, const uint8_t *url, size_t len, uint32_t flags)
{
	struct run *r = user;
	uint32_t sc = r->cfg->schemes;
	bool ok = false;

	if (len == 0 || len > r->max_len)
		abort();
	if ((sc & URL_SCHEME_HTTP) && has_prefix(url, len, "http://"))
		ok = true;
	if ((sc & URL_SCHEME_HTTPS) && has_prefix(url, len, "https://"))
		ok = true;
	if ((sc & URL_SCHEME_FTP) && has_prefix(url, len, "ftp://"))
		ok = true;
	if ((sc & URL_SCHEME_MAILTO) && has_prefix(url, len, "mailto:"))
		ok = true;
	if ((sc & URL_SCHEME_WWW) && has_prefix(url, len, "www."))
		ok = true;
	if (!ok)
		abort();
	if (!(r->cfg->flags & URL_CFG_DEFANG) && (flags & URL_F_DEFANGED))
		abort();
	r->count++;
	r->hash = (r->hash ^ flags ^ ((uint64_t)len << 8)) * 0x100000001b3ull;
	for (size_t i = 0; i < len; i++)
		r->hash = (r->hash ^ url[i]) * 0x100000001b3ull;
}

static struct mt_blockpool pool;

static void run_split(const struct url_config *cfg, enum url_mode mode,
		      const uint8_t *d, size_t n, uint32_t seed, size_t every,
		      struct run *r)
{
	struct url_state st;
	size_t at = 0;

	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	if (url_state_init(&st, cfg, &pool, mode, on_url, r) != 0)
		abort();
	r->max_len = st.max_len;
	while (at < n) {
		size_t k;

		if (every) {
			k = every;
		} else {
			seed = seed * 1103515245u + 12345u;
			k = 1 + (seed >> 16) % 64;
		}
		if (k > n - at)
			k = n - at;
		url_feed(&st, d + at, k);
		at += k;
	}
	url_finish(&st);
	if (st.stats.work > (uint64_t)URL_WORK_FACTOR * n + 64)
		abort();
	if (st.stats.emitted != r->count || r->count > st.max_urls)
		abort();
	if (pool.in_use != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct url_config cfg;
	struct run whole, split, bytes;
	enum url_mode mode;

	if (!pool.count && mt_blockpool_init(&pool, 1024, 4) != 0)
		abort();
	if (size < 2)
		return 0;
	url_config_default(&cfg);
	mode = (data[0] & 1) ? URL_MODE_HTML : URL_MODE_TEXT;
	cfg.flags = (data[0] & 2) ? 0 : URL_CFG_DEFANG;
	if (data[0] >> 3)
		cfg.schemes = data[0] >> 3;   /* 5 bits: URL_SCHEME_* */
	cfg.max_len = (data[1] & 0x0f) ? 8u + (data[1] & 0x0f) * 12u : 2048u;
	cfg.max_urls = (data[1] >> 4) ? (data[1] >> 4) : 256u;
	cfg.hash_seed = 42;
	data += 2;
	size -= 2;

	run_split(&cfg, mode, data, size, 0, size ? size : 1, &whole);
	run_split(&cfg, mode, data, size, (uint32_t)size, 0, &split);
	if (whole.count != split.count || whole.hash != split.hash)
		abort();
	if (size <= 4096) {
		run_split(&cfg, mode, data, size, 0, 1, &bytes);
		if (whole.count != bytes.count || whole.hash != bytes.hash)
			abort();
	}
	return 0;
}
