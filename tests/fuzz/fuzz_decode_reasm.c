/*
 * fuzz_decode_reasm — decode_packet() and the reassembler together.
 *
 * Input: one option byte (bit 0: validate checksums), then records
 *   [kind][len hi][len lo][len bytes]   (len clamped to what is left)
 * kind low nibble: 0-9 a link type (Ethernet, SLL, SLL2, NULL, LOOP, raw,
 * DLT_RAW 12, DLT_RAW 14, IPv4, IPv6), 10 an unsupported link, 11-15 a
 * synthetic segment: the bytes are [flags][who][seq: 4 bytes][payload] on
 * one of four fixed connections (who bits 1-2; bit 0: server -> client).
 * Synthetic segments skip decoding so the fuzzer spends its effort on
 * reassembly states instead of rediscovering matching addresses.
 * kind high nibble k: packet time advances by 4^k - 1 microseconds and
 * reasm_expire() runs. At the end: expire, then flush_all.
 *
 * Each frame is decoded from its own exact-size heap copy, freed after
 * reasm_packet(), so reading past a frame or keeping a packet pointer is
 * an ASan error. The consumer aborts on any broken contract:
 *   - data: len > 0, readable (all bytes summed), direction not at eof;
 *   - gap: len > 0 and below 2^31 per call, direction not at eof;
 *   - eof once per direction; flow_end once, after both eofs;
 *   - the flow's counters equal what the consumer was given;
 *   - bytes delivered, over all flows, never exceed the payload fed in
 *     (first data wins: a stream byte is delivered at most once);
 *   - flow ids nonzero, < 2^53, never repeated in one run;
 *   - reasm's gauges agree with the consumer and drop to 0 at the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "reasm.h"

#define MAX_FLOWS 4
#define MAX_IDS 4096

struct app {
	uint64_t id;
	uint64_t data[2], gap[2];
	bool eof[2];
};

struct fz {
	uint64_t fed, delivered;
	uint64_t live;
	uint64_t ids[MAX_IDS];
	unsigned nids;
	volatile uint8_t sink;
};

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_decode_reasm: %s\n", why);
	abort();
}

static struct app *app_of(struct fz *z, struct flow *f)
{
	struct app *a = f->app;

	if (!a) {
		if (f->id == 0 || f->id >= (UINT64_C(1) << 53))
			fail("flow id out of range");
		for (unsigned i = 0; i < z->nids; i++)
			if (z->ids[i] == f->id)
				fail("flow id reused");
		if (z->nids < MAX_IDS)
			z->ids[z->nids++] = f->id;
		a = calloc(1, sizeof(*a));
		if (!a)
			abort();
		a->id = f->id;
		f->app = a;
		z->live++;
	}
	if (a->id != f->id)
		fail("app of another flow");
	return a;
}

static bool cb_new(void *user, const struct decoded_pkt *p, bool *from_client)
{
	/* as the sensor does it: by SYN flag, else by port */
	if ((p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		*from_client = true;
	else if (p->tcp_flags & TCP_SYN)
		*from_client = false;
	else
		*from_client = p->dport <= p->sport;
	/* refuse some, to exercise that path */
	return (p->sport ^ p->dport) % 7 != 3;
}

static void cb_data(void *user, struct flow *f, enum flow_dir d, const uint8_t *p, uint32_t len)
{
	struct fz *z = user;
	struct app *a = app_of(z, f);
	uint8_t s = 0;

	if (d != FLOW_TO_SERVER && d != FLOW_TO_CLIENT)
		fail("bad direction");
	if (!p || len == 0)
		fail("empty data");
	if (a->eof[d])
		fail("data after eof");
	for (uint32_t i = 0; i < len; i++)
		s ^= p[i];
	z->sink ^= s;
	a->data[d] += len;
	z->delivered += len;
	if (z->delivered > z->fed)
		fail("more bytes delivered than fed");
}

static void cb_gap(void *user, struct flow *f, enum flow_dir d, uint64_t len)
{
	struct app *a = app_of(user, f);

	if (len == 0 || len >= (UINT64_C(1) << 31))
		fail("implausible gap");
	if (a->eof[d])
		fail("gap after eof");
	a->gap[d] += len;
}

static void cb_eof(void *user, struct flow *f, enum flow_dir d)
{
	struct app *a = app_of(user, f);

	if (a->eof[d])
		fail("second eof");
	a->eof[d] = true;
}

static void cb_end(void *user, struct flow *f, enum flow_end_reason why)
{
	struct fz *z = user;
	struct app *a = app_of(z, f);

	if (!a->eof[0] || !a->eof[1])
		fail("flow_end before both eofs");
	if ((unsigned)why > FLOW_END_SHUTDOWN)
		fail("bad end reason");
	for (int d = 0; d < 2; d++)
		if (f->dir[d].stream_bytes != a->data[d] || f->dir[d].gap_bytes != a->gap[d])
			fail("flow counters disagree with callbacks");
	free(a);
	f->app = NULL;
	z->live--;
}

static const struct reasm_ops ops = { cb_new, cb_data, cb_gap, cb_eof, cb_end };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int links[10] = {
	DECODE_LINK_ETHERNET, DECODE_LINK_SLL, DECODE_LINK_SLL2, DECODE_LINK_NULL,
	DECODE_LINK_LOOP, DECODE_LINK_RAW, DECODE_LINK_DLT_RAW, DECODE_LINK_DLT_RAW14,
	DECODE_LINK_IPV4, DECODE_LINK_IPV6,
};

static void synthetic(struct decoded_pkt *p, const uint8_t *b, uint32_t n)
{
	unsigned who = n > 1 ? b[1] : 0, conn = (who >> 1) & 3;
	bool to_client = who & 1;

	memset(p, 0, sizeof(*p));
	p->src.b[10] = p->src.b[11] = p->dst.b[10] = p->dst.b[11] = 0xff;
	p->src.b[15] = to_client ? 2 : 1;
	p->dst.b[15] = to_client ? 1 : 2;
	p->sport = to_client ? 25 : (uint16_t)(40000 + conn);
	p->dport = to_client ? (uint16_t)(40000 + conn) : 25;
	p->ip_version = 4;
	p->tcp_flags = n > 0 ? b[0] : 0;
	p->wscale = 0xff;
	if (n >= 6)
		p->seq = (uint32_t)b[2] << 24 | (uint32_t)b[3] << 16 | (uint32_t)b[4] << 8 | b[5];
	p->payload = b + (n >= 6 ? 6 : n);
	p->payload_len = n >= 6 ? n - 6 : 0;
	p->ip_len = 40 + p->payload_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reasm_config cfg;
	struct decode_stats dst;
	struct decode_opts opts;
	struct fz z;
	struct reasm *r;
	const struct reasm_stats *st;
	uint64_t now = 1;
	size_t i = 1;

	if (size < 1)
		return 0;
	memset(&z, 0, sizeof(z));
	memset(&dst, 0, sizeof(dst));
	opts.validate_checksums = data[0] & 1;
	reasm_config_default(&cfg);
	cfg.max_flows = MAX_FLOWS;
	cfg.max_ooo_segments = 6;
	cfg.max_ooo_bytes = 16 << 10;
	cfg.max_ooo_bytes_per_flow = 6 << 10;
	cfg.timeout_new_us = 1000;
	cfg.timeout_established_us = 5000;
	cfg.timeout_closed_us = 500;
	cfg.worker_id = data[0] >> 1;
	r = reasm_create(&cfg, &ops, &z);
	if (!r)
		abort();
	st = reasm_get_stats(r);

	while (i + 3 <= size) {
		unsigned kind = data[i] & 15, k = data[i] >> 4;
		uint32_t len = (uint32_t)data[i + 1] << 8 | data[i + 2];
		uint8_t *frame;
		struct decoded_pkt p;
		bool ok;

		i += 3;
		if (len > size - i)
			len = (uint32_t)(size - i);
		frame = malloc(len ? len : 1);
		if (!frame)
			abort();
		memcpy(frame, data + i, len);
		i += len;

		if (kind >= 11) {
			synthetic(&p, frame, len);
			ok = true;
		} else {
			int link = kind < 10 ? links[kind] : 147;

			ok = decode_packet(link, frame, len, &opts, &p, &dst) == DECODE_OK;
			if (ok && (p.payload < frame || p.payload + p.payload_len > frame + len ||
				   p.ip_len > len))
				fail("decoded payload outside the frame");
		}
		if (ok) {
			z.fed += p.payload_len;
			reasm_packet(r, &p, now);
		}
		free(frame);
		if (k) {
			now += (UINT64_C(1) << (2 * k)) - 1;
			reasm_expire(r, now);
		}
		if (st->flows_active < z.live)
			fail("flows_active below live flows");
		if (st->flows_active > MAX_FLOWS || st->ooo_bytes_held > cfg.max_ooo_bytes)
			fail("a cap was exceeded");
	}
	if (dst.pkts != dst.result[DECODE_OK] + dst.result[DECODE_NOT_IP] +
	    dst.result[DECODE_NOT_TCP] + dst.result[DECODE_FRAGMENT] +
	    dst.result[DECODE_TRUNCATED] + dst.result[DECODE_INVALID] +
	    dst.result[DECODE_BAD_CHECKSUM] + dst.result[DECODE_UNSUPPORTED])
		fail("decode results do not add up");
	reasm_expire(r, now + 1000);
	reasm_flush_all(r);
	if (z.live != 0 || st->flows_active != 0 || st->ooo_bytes_held != 0)
		fail("flows or held bytes left after flush_all");
	if (st->flows_created != st->flows_closed + st->flows_timeout + st->flows_evicted +
	    st->flows_shutdown)
		fail("flow end counters do not add up");
	if (st->bytes_delivered != z.delivered)
		fail("bytes_delivered disagrees");
#ifdef FUZZ_VERBOSE
	/* -DFUZZ_VERBOSE: what an input exercised, to judge seeds */
	fprintf(stderr, "ok %llu flows %llu in-order %llu ooo %llu retr %llu overlaps %llu "
		"diff %llu gaps %llu rst %llu capdrop %llu/%llu delivered %llu\n",
		(unsigned long long)dst.result[DECODE_OK], (unsigned long long)st->flows_created,
		(unsigned long long)st->segs_in_order, (unsigned long long)st->segs_ooo,
		(unsigned long long)st->segs_retransmitted, (unsigned long long)st->overlaps,
		(unsigned long long)st->overlaps_different, (unsigned long long)st->gaps,
		(unsigned long long)st->rst, (unsigned long long)st->ooo_drop_flow_cap,
		(unsigned long long)st->ooo_drop_total_cap, (unsigned long long)z.delivered);
#endif
	reasm_destroy(r);
	return 0;
}
