/*
 * fuzz_mime.c — libFuzzer target for the streaming MIME parser.
 *
 * Input: byte 0 picks the configuration (small or default limits); byte 1
 * seeds the chunking; the rest is the message. The message is parsed
 * twice: once whole and once cut into chunks of 1..16 bytes chosen from the
 * seed.
 *
 * Checked, abort() on failure:
 *  - both runs give the same event hash (non-BODY events in order, BODY
 *    bytes hashed per entity and folded in at its PART_END);
 *  - every PART_END's size equals the BODY bytes seen for that entity;
 *  - depth <= max_depth + 1 (a uuencoded child sits one below its text);
 *    slices non-NULL when non-empty; anomaly names non-NULL;
 *  - after mime_parser_end() the pool's in_use is back to 0.
 */
#include "mime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NB 4096

struct fz {
	uint64_t h;
	uint64_t bh[NB];
	uint64_t bl[NB];
	uint32_t max_depth;
};

static uint64_t mix(uint64_t h, const void *d, size_t n)
{
	const uint8_t *p = d;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static void on_event(void *user, const struct mime_event *ev)
{
	struct fz *f = user;
	uint32_t i = ev->index % NB;
	if (ev->depth > f->max_depth + 1)
		abort();
	uint32_t hdr[4] = { ev->type, ev->depth, ev->msg_depth, ev->index };
	switch (ev->type) {
	case MIME_EV_BODY:
		if (!ev->u.body.data || !ev->u.body.len)
			abort();
		f->bh[i] = mix(f->bh[i], ev->u.body.data, ev->u.body.len);
		f->bl[i] += ev->u.body.len;
		return;
	case MIME_EV_HEADER:
		if (!ev->u.header.name.ptr || !ev->u.header.value.ptr ||
		    !ev->u.header.decoded.ptr)
			abort();
		f->h = mix(f->h, hdr, sizeof(hdr));
		f->h = mix(f->h, ev->u.header.name.ptr, ev->u.header.name.len);
		f->h = mix(f->h, ev->u.header.value.ptr, ev->u.header.value.len);
		f->h = mix(f->h, ev->u.header.decoded.ptr, ev->u.header.decoded.len);
		return;
	case MIME_EV_PART_BEGIN: {
		const struct mime_part_desc *d = &ev->u.part;
		if (!d->type.ptr || !d->subtype.ptr || !d->filename.ptr ||
		    !d->charset.ptr || !d->boundary.ptr)
			abort();
		f->h = mix(f->h, hdr, sizeof(hdr));
		f->h = mix(f->h, d->type.ptr, d->type.len);
		f->h = mix(f->h, d->subtype.ptr, d->subtype.len);
		f->h = mix(f->h, d->filename.ptr, d->filename.len);
		f->h = mix(f->h, d->boundary.ptr, d->boundary.len);
		uint8_t fl[4] = { d->is_file, d->is_multipart, d->is_message,
				  (uint8_t)d->encoding };
		f->h = mix(f->h, fl, sizeof(fl));
		f->bh[i] = 0;
		f->bl[i] = 0;
		return;
	}
	case MIME_EV_PART_END:
		if (ev->u.end.size != f->bl[i])
			abort();
		f->h = mix(f->h, hdr, sizeof(hdr));
		f->h = mix(f->h, &f->bh[i], sizeof(f->bh[i]));
		f->h = mix(f->h, &ev->u.end, sizeof(ev->u.end.size));
		f->h = mix(f->h, &ev->u.end.truncated, 1);
		f->bh[i] = 0;
		f->bl[i] = 0;
		return;
	case MIME_EV_ANOMALY:
		if (!ev->u.anomaly.name)
			abort();
		f->h = mix(f->h, hdr, sizeof(hdr));
		f->h = mix(f->h, ev->u.anomaly.name, strlen(ev->u.anomaly.name));
		return;
	}
	abort();
}

static struct mt_blockpool pool;
static int pool_ready;

static uint64_t run(struct mime_ctx *ctx, const uint8_t *d, size_t n,
		    uint32_t seed)
{
	static struct fz f;
	memset(&f, 0, sizeof(f));
	f.h = 0xcbf29ce484222325ULL;
	f.max_depth = ctx->cfg.max_depth;
	struct mime_parser *p = mime_parser_new(ctx, on_event, &f);
	if (!p)
		abort();
	size_t at = 0;
	while (at < n) {
		size_t k = n - at;
		if (seed) {
			seed = seed * 1103515245u + 12345u;
			size_t c = 1 + ((seed >> 16) & 15);
			if (c < k)
				k = c;
		}
		mime_parser_feed(p, d + at, k);
		at += k;
	}
	mime_parser_end(p);
	if (pool.in_use != 0)
		abort();
	return f.h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (!pool_ready) {
		if (mt_blockpool_init(&pool, 4096, 512))
			abort();
		pool_ready = 1;
	}
	/* one context (iconv descriptors) for the whole run; the limits
	 * are set per input, already within the hard maxima */
	static struct mime_ctx ctx;
	static struct mime_config defaults;
	if (!ctx.pool) {
		if (mime_ctx_init(&ctx, NULL, &pool))
			abort();
		defaults = ctx.cfg;
	}
	ctx.cfg = defaults;
	if (data[0] & 1) {
		ctx.cfg.max_depth = 1 + (data[0] >> 1 & 7);
		ctx.cfg.max_header_line = 20 + data[0];
		ctx.cfg.max_header_bytes = 200 + 4u * data[0];
		ctx.cfg.max_boundary = 8 + (data[0] >> 4);
		ctx.cfg.max_parts = 3 + (data[0] >> 3);
	}
	uint32_t seed = data[1] | 1u;
	uint64_t a = run(&ctx, data + 2, size - 2, 0);
	uint64_t b = run(&ctx, data + 2, size - 2, seed);
	if (a != b)
		abort();
	return 0;
}
