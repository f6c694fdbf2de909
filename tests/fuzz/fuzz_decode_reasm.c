/*
 * fuzz_decode_reasm — decode_packet(), defragmentation and the
 * reassembler together.
 *
 * Input: one option byte (bit 0: validate checksums; bit 7: defrag oracle
 * mode, below; bits 1-6: worker id), then records
 *   [kind][len hi][len lo][len bytes]   (len clamped to what is left)
 * kind low nibble: 0-9 a link type (Ethernet, SLL, SLL2, NULL, LOOP, raw,
 * DLT_RAW 12, DLT_RAW 14, IPv4, IPv6), 10 an unsupported link, 11-13 a
 * synthetic segment: the bytes are [flags][who][seq: 4 bytes][payload] on
 * one of four fixed connections (who bits 1-2; bit 0: server -> client;
 * with who bit 3, 8 more bytes follow seq: [ack: 4][window: 2][urgent
 * pointer][bytes the capture cut off], set in the packet's urg_ptr and
 * wire_payload_len), 14 / 15 a synthetic IPv4 / IPv6 fragment: [sel][off hi][off lo][data],
 * sel bit 0 more fragments, bits 1-2 the id, bits 3-5 the destination
 * (10.0.0.1-8 / fd00::1-8: each has its own overlap policy), bit 6 UDP
 * instead of TCP, bit 7 a longer header (IPv4 options / an IPv6
 * hop-by-hop header of 80 bytes); the offset is in 8-byte units.
 * Synthetic records skip decoding so the fuzzer spends its effort on
 * reassembly states instead of rediscovering matching addresses.
 * kind high nibble k: packet time advances by 4^k - 1 microseconds and
 * reasm_expire() / defrag_expire() run. At the end: expire, then
 * flush_all.
 *
 * Fragments (decoded ones and synthetic ones, each kind in its own
 * defragmenter) go through defrag_insert(); a datagram it hands out is
 * checked (length fields, IPv4 checksum, no fragment bits left), decoded
 * with decode_ip() and given to the reassembler like any packet, then
 * released. defrag_selfcheck() runs after every step.
 *
 * Oracle mode (bit 7) gives the synthetic defragmenter caps too large to
 * be hit and no timeout, and replays every synthetic fragment on a byte
 * model of the policies (each byte remembers which fragment gave it; a
 * piece is a run of bytes from one fragment): what defrag keeps, drops,
 * completes and hands out must be exactly what the model says. Offsets
 * are then kept below 4 KiB so the model stays small. Outside oracle
 * mode the caps are tiny, so eviction, refusal and timeouts are fuzzed.
 *
 * Each frame is decoded from its own exact-size heap copy, freed after
 * reasm_packet(), so reading past a frame or keeping a packet pointer is
 * an ASan error. Inputs of odd size instead keep every frame, in one copy
 * of the input given to the reassembler as stable payload memory
 * (reasm_set_stable_payload): its history then refers to those bytes. The consumer aborts on any broken contract:
 *   - data: len > 0, readable (all bytes summed), direction not at eof;
 *   - gap: len > 0 and below 2^31 per call, direction not at eof;
 *   - eof once per direction; flow_end once, after both eofs;
 *   - anomaly: a known name, for a flow not ended;
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
#include "defrag.h"
#include "../unit/defrag_model.h"
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

static void cb_anomaly(void *user, struct flow *f, enum flow_dir d, const char *name)
{
	static const char *const names[] = REASM_ANOMALY_NAMES;
	bool known = false;

	app_of(user, f);
	if (d != FLOW_TO_SERVER && d != FLOW_TO_CLIENT)
		fail("bad anomaly direction");
	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		known |= strcmp(name, names[i]) == 0;
	if (!known)
		fail("unknown anomaly name");
}

static const struct reasm_ops ops = {
	.flow_new = cb_new, .data = cb_data, .gap = cb_gap, .eof = cb_eof, .flow_end = cb_end,
	.anomaly = cb_anomaly,
};

/* ---- defragmentation ------------------------------------------------ */

#define ORACLE_SPAN 8192u       /* oracle mode: offsets + data below this */
#define ORACLE_KEYS 128         /* version x id x destination x protocol */
#define SYN_L3_MAX 120

/* Policy of synthetic destination i (10.0.0.1+i, fd00::1+i). */
static int dst_policy(unsigned i)
{
	return i < DEFRAG_POLICY_COUNT ? (int)i : DEFRAG_POLICY_BSD;  /* 7: default */
}

struct model {
	int16_t owner[ORACLE_SPAN];     /* fragment number, -1 none */
	uint8_t bytes[ORACLE_SPAN];
	uint32_t covered, hi, end, nfrags;
	bool have_end, given_up;
	int16_t next_frag;
	uint8_t l3[SYN_L3_MAX];
	uint32_t l3_len;
	uint8_t proto;
};

struct dz {
	struct defrag *syn, *dec;       /* synthetic and decoded fragments */
	bool oracle;
	struct model *m[ORACLE_KEYS];
	uint8_t l3[SYN_L3_MAX];
	uint8_t fragbuf[65536];
};

static void check_defrag(const struct defrag *d)
{
	const char *why = defrag_selfcheck(d);

	if (why) {
		fprintf(stderr, "defrag selfcheck: %s\n", why);
		fail("defrag invariant broken");
	}
}

/* A datagram defrag handed out must look like one never fragmented. */
static void check_datagram(const struct defrag_datagram *dg)
{
	const uint8_t *ip = dg->ip;

	if (dg->ip_version == 4) {
		uint32_t hl, sum = 0;

		if (dg->len < 20 || ip[0] >> 4 != 4)
			fail("defrag: not an IPv4 header");
		hl = (uint32_t)(ip[0] & 15) * 4;
		if (hl < 20 || hl > dg->len || ((uint32_t)ip[2] << 8 | ip[3]) != dg->len)
			fail("defrag: IPv4 lengths");
		if ((((uint32_t)ip[6] << 8 | ip[7]) & 0x3fff) != 0)
			fail("defrag: fragment bits left");
		for (uint32_t i = 0; i < hl; i += 2)
			sum += (uint32_t)ip[i] << 8 | ip[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		if (sum != 0xffff)
			fail("defrag: IPv4 checksum");
	} else if (dg->ip_version == 6) {
		if (dg->len < 40 || ip[0] >> 4 != 6 ||
		    ((uint32_t)ip[4] << 8 | ip[5]) != dg->len - 40)
			fail("defrag: IPv6 lengths");
	} else {
		fail("defrag: version");
	}
}

/* Process what defrag handed out (if anything) as a packet. */
static void datagram_out(struct fz *z, struct defrag *d, const struct defrag_datagram *dg,
			 struct reasm *r, const struct decode_opts *opts, struct decode_stats *dst,
			 uint64_t now)
{
	struct decoded_pkt q;

	if (!dg)
		return;
	check_datagram(dg);
	if (decode_ip(dg->ip, dg->len, opts, &q, dst) == DECODE_OK) {
		if (q.payload < dg->ip || q.payload + q.payload_len > dg->ip + dg->len)
			fail("decode_ip payload outside the datagram");
		z->fed += q.payload_len;
		reasm_packet(r, &q, now);
	}
	defrag_release(d, dg);
}

static void model_reset(struct model *m)
{
	memset(m, 0, sizeof(*m));
	for (uint32_t i = 0; i < ORACLE_SPAN; i++)
		m->owner[i] = -1;
}

/*
 * Replay fragment f on the model; compare with what defrag did (flags,
 * dg). The model follows defrag.h: drops for bad lengths (linux trims
 * IPv4), a known end, too many fragments; placement by policy; complete
 * when the end is known and every byte below it is held.
 */
static void model_check(struct model *m, const struct decoded_frag *f, int policy,
			uint32_t flags, const struct defrag_datagram *dg)
{
	uint32_t no = f->offset, len = f->data_len, ne;
	bool drop = false;

	if (no == 0 && !f->more) {      /* whole: handed out, state untouched */
		if (!dg || dg->len != f->l3_len + len ||
		    memcmp(dg->ip + f->l3_len, f->data, len) != 0)
			fail("oracle: atomic datagram");
		return;
	}
	if (len == 0 || (f->more && len % 8)) {
		if (len < 8 || f->ip_version != 4 || policy != DEFRAG_POLICY_LINUX)
			drop = true;
		len &= ~7u;
	}
	ne = no + len;
	if (!drop && m->given_up)
		drop = true;
	if (!drop && ++m->nfrags > 256) {
		m->given_up = true;
		drop = true;
		for (uint32_t i = 0; i < ORACLE_SPAN; i++)
			m->owner[i] = -1;
		m->covered = m->hi = 0;
		m->l3_len = 0;
	}
	if (!drop && (!f->more ? (m->have_end ? m->end != ne : m->hi > ne)
			       : (m->have_end && ne > m->end)))
		drop = true;
	if (drop != !!(flags & DEFRAG_DROPPED))
		fail("oracle: kept or dropped differently");
	if (drop) {
		if (dg)
			fail("oracle: a dropped fragment completed a datagram");
		return;
	}
	/* placement: decide every held run against [no, ne) first */
	{
		static bool win[ORACLE_SPAN];
		int16_t k = m->next_frag++;
		bool differ = false, overlap = false;

		for (uint32_t i = no; i < ne;) {
			uint32_t s = i, e = i;
			int16_t o = m->owner[i];

			if (o < 0) {
				win[i++] = true;
				continue;
			}
			while (s > 0 && m->owner[s - 1] == o)
				s--;
			while (e + 1 < ORACLE_SPAN && m->owner[e + 1] == o)
				e++;
			bool w = model_new_wins(policy, s, e + 1, no, ne);

			overlap = true;
			for (; i <= e && i < ne; i++) {
				win[i] = w;
				differ |= m->bytes[i] != f->data[i - no];
			}
		}
		if (overlap != !!(flags & DEFRAG_OVERLAP) ||
		    differ != !!(flags & DEFRAG_ANOM_BIT(DEFRAG_ANOM_OVERLAP_DIFFERENT)))
			fail("oracle: overlap flags");
		for (uint32_t i = no; i < ne; i++) {
			if (!win[i])
				continue;
			if (m->owner[i] < 0)
				m->covered++;
			m->owner[i] = k;
			m->bytes[i] = f->data[i - no];
		}
		if (no == 0 && win[0]) {
			memcpy(m->l3, f->l3, f->l3_len);
			m->l3_len = f->l3_len;
			m->proto = f->proto;
		}
		if (ne > m->hi)
			m->hi = ne;
		if (!f->more) {
			m->have_end = true;
			m->end = ne;
		}
	}
	if (m->have_end && m->covered == m->end) {
		if (!dg || dg->len != m->l3_len + m->end || dg->proto != m->proto ||
		    memcmp(dg->ip + m->l3_len, m->bytes, m->end) != 0)
			fail("oracle: reassembled datagram");
		/* the header is the offset-0 winner's, length fields aside */
		if (memcmp(dg->ip + 8, m->l3 + 8, f->ip_version == 4 ? 1 : 32) != 0)
			fail("oracle: header of another fragment");
		model_reset(m);
	} else if (dg) {
		fail("oracle: completed early");
	}
}

/* A synthetic fragment record: [sel][off hi][off lo][data]. */
static void synthetic_frag(struct fz *z, struct dz *x, bool v6, const uint8_t *b, uint32_t n,
			   struct reasm *r, const struct decode_opts *opts,
			   struct decode_stats *dst, uint64_t now)
{
	struct decoded_frag f;
	const struct defrag_datagram *dg;
	uint8_t sel = n > 0 ? b[0] : 0;
	unsigned id = (sel >> 1) & 3, dsti = (sel >> 3) & 7;
	bool udp = sel & 0x40, longhdr = sel & 0x80;
	uint32_t off = n >= 3 ? ((uint32_t)b[1] << 8 | b[2]) & 0x1fff : 0;
	uint32_t len = n > 3 ? n - 3 : 0, flags;
	uint8_t *h = x->l3;

	if (x->oracle) {
		off &= 0x1ff;                   /* below 4 KiB */
		if (len > 1024)
			len = 1024;
	}
	memset(&f, 0, sizeof(f));
	memset(h, 0, SYN_L3_MAX);
	f.ip_version = v6 ? 6 : 4;
	f.proto = udp ? 17 : 6;
	f.more = sel & 1;
	f.id = 0x100 + id;
	f.offset = off * 8;
	f.data = b + (n > 3 ? 3 : n);
	f.data_len = len;
	f.ttl = 64;
	f.l3 = h;
	if (!v6) {
		uint32_t hl = longhdr ? 40 : 20;

		f.src.b[10] = f.src.b[11] = f.dst.b[10] = f.dst.b[11] = 0xff;
		f.src.b[12] = f.dst.b[12] = 10;
		f.src.b[15] = 100;
		f.dst.b[15] = (uint8_t)(1 + dsti);
		h[0] = (uint8_t)(0x40 | hl / 4);
		h[4] = 1;
		h[5] = (uint8_t)f.id;
		h[6] = (uint8_t)((f.more ? 0x20 : 0) | off >> 8);
		h[7] = (uint8_t)off;
		h[8] = 64;
		h[9] = f.proto;
		memcpy(h + 12, f.src.b + 12, 4);
		memcpy(h + 16, f.dst.b + 12, 4);
		for (uint32_t i = 20; i < hl; i++)
			h[i] = 1;
		f.l3_len = hl;
	} else {
		uint32_t ext = longhdr ? 80 : 0;

		f.src.b[0] = f.dst.b[0] = 0xfd;
		f.src.b[15] = 100;
		f.dst.b[15] = (uint8_t)(1 + dsti);
		h[0] = 0x60;
		h[6] = ext ? 0 : 44;
		h[7] = 64;
		memcpy(h + 8, f.src.b, 16);
		memcpy(h + 24, f.dst.b, 16);
		if (ext) {
			h[40] = 44;
			h[41] = ext / 8 - 1;
			h[42] = 1;
			h[43] = ext - 4;
		}
		f.l3_len = 40 + ext;
	}
	flags = defrag_insert(x->syn, &f, now, &dg);
	check_defrag(x->syn);
	if (x->oracle) {
		unsigned key = (unsigned)v6 << 6 | id << 4 | dsti << 1 | (v6 ? 0 : udp);
		struct model *m = x->m[key];

		if (!m) {
			m = x->m[key] = malloc(sizeof(*m));
			if (!m)
				abort();
			model_reset(m);
		}
		model_check(m, &f, dst_policy(dsti), flags, dg);
	}
	datagram_out(z, x->syn, dg, r, opts, dst, now);
	check_defrag(x->syn);
}

static struct defrag *dz_create(bool oracle)
{
	struct defrag_config c;
	struct defrag *d;
	char spec[64];

	defrag_config_default(&c);
	for (unsigned i = 0; i < DEFRAG_POLICY_COUNT; i++) {
		snprintf(spec, sizeof(spec), "10.0.0.%u=%s,fd00::%u=%s", i + 1,
			 defrag_policy_name(dst_policy(i)), i + 1, defrag_policy_name(dst_policy(i)));
		if (defrag_config_parse_policies(&c, spec) != 0)
			abort();
	}
	c.out_buffers = 1;
	if (oracle) {
		c.max_datagrams = ORACLE_KEYS;
		c.max_bytes = (uint64_t)ORACLE_KEYS * (ORACLE_SPAN + 2048);
		c.max_frags = ORACLE_KEYS * 520;
		c.timeout_us = UINT64_MAX / 2;
	} else {
		c.max_datagrams = 4;
		c.max_bytes = 8 << 10;
		c.max_frags = 24;
		c.max_frags_per_datagram = 12;
		c.max_datagram_bytes = 30000;
		c.timeout_us = 3000;
	}
	d = defrag_create(&c);
	if (!d)
		abort();
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int links[10] = {
	DECODE_LINK_ETHERNET, DECODE_LINK_SLL, DECODE_LINK_SLL2, DECODE_LINK_NULL,
	DECODE_LINK_LOOP, DECODE_LINK_RAW, DECODE_LINK_DLT_RAW, DECODE_LINK_DLT_RAW14,
	DECODE_LINK_IPV4, DECODE_LINK_IPV6,
};

/* A synthetic segment. */
static void synthetic(struct decoded_pkt *p, const uint8_t *b, uint32_t n)
{
	unsigned who = n > 1 ? b[1] : 0, conn = (who >> 1) & 3;
	bool to_client = who & 1;
	uint32_t hdr = 6;

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
	if ((who & 8) && n >= 14) {
		p->ack = (uint32_t)b[6] << 24 | (uint32_t)b[7] << 16 | (uint32_t)b[8] << 8 | b[9];
		p->window = (uint16_t)(b[10] << 8 | b[11]);
		p->urg_ptr = b[12];
		p->wire_payload_len = b[13];
		hdr = 14;
	}
	p->payload = b + (n >= hdr ? hdr : n);
	p->payload_len = n >= hdr ? n - hdr : 0;
	p->wire_payload_len += p->payload_len;
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
	static struct dz x;
	uint64_t now = 1;
	size_t i = 1;
	uint8_t *all = NULL;            /* odd sizes: the stable frames */

	if (size < 1)
		return 0;
	memset(&z, 0, sizeof(z));
	x.oracle = data[0] & 0x80;
	x.syn = dz_create(x.oracle);
	x.dec = dz_create(false);
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
	cfg.worker_id = (data[0] >> 1) & 0x3f;
	/* the worker id picks the TCP policies too */
	cfg.policy_default = (uint8_t)(cfg.worker_id % REASM_POLICY_COUNT);
	cfg.urgent_policy = (uint8_t)((cfg.worker_id >> 4) % REASM_URGENT_COUNT);
	cfg.window_policy = (uint8_t)((cfg.worker_id / REASM_POLICY_COUNT) % REASM_WINDOW_POLICY_COUNT);
	cfg.max_history_bytes = 8 << 10;
	cfg.max_history_bytes_per_flow = 4 << 10;
	{
		/* the synthetic clients (0.0.0.1) get another policy than
		 * their server: each direction follows its receiver */
		struct mt_addr a;

		memset(&a, 0, sizeof(a));
		a.b[10] = a.b[11] = 0xff;
		a.b[15] = 1;
		reasm_config_add_policy(&cfg, &a, 32, (cfg.worker_id + 7) % REASM_POLICY_COUNT);
	}
	r = reasm_create(&cfg, &ops, &z);
	if (!r)
		abort();
	st = reasm_get_stats(r);
	if (size & 1) {
		all = malloc(size);
		if (!all)
			abort();
		memcpy(all, data, size);
		if (reasm_set_stable_payload(r, all, size) != 0)
			abort();
	}

	while (i + 3 <= size) {
		unsigned kind = data[i] & 15, k = data[i] >> 4;
		uint32_t len = (uint32_t)data[i + 1] << 8 | data[i + 2];
		uint8_t *frame;
		struct decoded_pkt p;
		bool ok;

		i += 3;
		if (len > size - i)
			len = (uint32_t)(size - i);
		if (all) {
			frame = all + i;
		} else {
			frame = malloc(len ? len : 1);
			if (!frame)
				abort();
			memcpy(frame, data + i, len);
		}
		i += len;

		if (kind >= 14) {
			synthetic_frag(&z, &x, kind == 15, frame, len, r, &opts, &dst, now);
			ok = false;
		} else if (kind >= 11) {
			synthetic(&p, frame, len);
			ok = true;
		} else {
			int link = kind < 10 ? links[kind] : 147;
			enum decode_result res;

			p.frag.l3 = NULL;
			res = decode_packet(link, frame, len, &opts, &p, &dst);
			ok = res == DECODE_OK;
			if (ok && (p.payload < frame || p.payload + p.payload_len > frame + len ||
				   p.ip_len > len))
				fail("decoded payload outside the frame");
			if (res == DECODE_FRAGMENT && p.frag.l3) {
				const struct decoded_frag *fr = &p.frag;
				const struct defrag_datagram *dg;

				if (fr->l3 < frame || fr->l3 + fr->l3_len > frame + len ||
				    (fr->data_len && (fr->data < frame ||
						      fr->data + fr->data_len > frame + len)))
					fail("decoded fragment outside the frame");
				defrag_insert(x.dec, fr, now, &dg);
				check_defrag(x.dec);
				datagram_out(&z, x.dec, dg, r, &opts, &dst, now);
			}
		}
		if (ok) {
			z.fed += p.payload_len;
			reasm_packet(r, &p, now);
		}
		if (!all)
			free(frame);
		if (k) {
			now += (UINT64_C(1) << (2 * k)) - 1;
			reasm_expire(r, now);
			defrag_expire(x.syn, now);
			defrag_expire(x.dec, now);
			check_defrag(x.syn);
			check_defrag(x.dec);
		}
		if (st->flows_active < z.live)
			fail("flows_active below live flows");
		if (st->flows_active > MAX_FLOWS || st->ooo_bytes_held > cfg.max_ooo_bytes ||
		    st->history_bytes_held > cfg.max_history_bytes)
			fail("a cap was exceeded");
	}
	if (dst.pkts != dst.result[DECODE_OK] + dst.result[DECODE_NOT_IP] +
	    dst.result[DECODE_NOT_TCP] + dst.result[DECODE_FRAGMENT] +
	    dst.result[DECODE_TRUNCATED] + dst.result[DECODE_INVALID] +
	    dst.result[DECODE_BAD_CHECKSUM] + dst.result[DECODE_UNSUPPORTED])
		fail("decode results do not add up");
	reasm_expire(r, now + 1000);
	reasm_flush_all(r);
	for (int j = 0; j < 2; j++) {
		struct defrag *d = j ? x.dec : x.syn;
		const struct defrag_stats *ds = defrag_get_stats(d);

#ifdef FUZZ_VERBOSE
		fprintf(stderr, "defrag %s: frags %llu reassembled %llu atomic %llu overlaps %llu/%llu "
			"evicted %llu expired %llu nomem %llu given-up %llu\n", j ? "decoded" : "synthetic",
			(unsigned long long)ds->frags, (unsigned long long)ds->reassembled,
			(unsigned long long)ds->atomic, (unsigned long long)ds->overlaps,
			(unsigned long long)ds->overlaps_different, (unsigned long long)ds->evicted,
			(unsigned long long)ds->expired, (unsigned long long)ds->drop_no_memory,
			(unsigned long long)ds->anomaly[DEFRAG_ANOM_TOO_MANY]);
#endif
		defrag_flush_all(d);
		check_defrag(d);
		if (ds->datagrams_active || ds->bytes_held || ds->frags_held)
			fail("defrag holds something after flush_all");
		if (ds->datagrams_created != ds->reassembled + ds->lost + ds->evicted +
		    ds->flushed + ds->expired ||
		    ds->reassembled != ds->reassembled_ipv4 + ds->reassembled_ipv6)
			fail("defrag datagram counters do not add up");
		defrag_destroy(d);
	}
	for (unsigned j = 0; j < ORACLE_KEYS; j++) {
		free(x.m[j]);
		x.m[j] = NULL;
	}
	if (z.live != 0 || st->flows_active != 0 || st->ooo_bytes_held != 0 ||
	    st->history_bytes_held != 0)
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
	free(all);
	return 0;
}
