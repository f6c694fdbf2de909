/*
 * test_reasm — the flow table and TCP reassembly through reasm.h only.
 *
 * A recording consumer keeps, per flow, a log of what it was told, e.g.
 *   "0:helo; 1:250; gap0:3 0:quit; eof0 eof1 end:closed"
 * ("0:" data to the server, "1:" to the client, consecutive data of one
 * direction merged; gapD:N, eofD, end:REASON). Tests compare whole logs,
 * so order (data before eof before end) is checked too. The consumer also
 * enforces the callback contract on every call (no data after eof, eof
 * for both directions before flow_end, no empty data, per-direction byte
 * counters equal what was delivered) and counts data pointers that lie
 * inside the packet being processed (zero copy) vs elsewhere (copied).
 * Anomalies go to a second log per flow ("tcp_rst_invalid:1 ...") so the
 * byte logs stay as they were.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "reasm.h"

#define S_US UINT64_C(1000000)

struct rec {
	struct flow *fp;        /* valid until its flow_end */
	uint64_t id;
	char *log;              /* big for the first flows, small after */
	size_t n, cap;
	int last_data_dir;      /* -1: last entry was not data */
	uint64_t data_bytes[2], gap_bytes[2];
	bool eof[2], ended;
	uint8_t state_at_end;
	bool midstream;
	struct flow_dir_stats dir[2];
	char an[256];           /* anomalies raised: "name:dir ..." */
};

#define MAX_RECS 8192
#define BIG_LOGS 64

struct tc {
	struct rec *recs;       /* MAX_RECS of them */
	int nrecs;
	unsigned new_calls;
	bool refuse;
	const uint8_t *pkt_lo, *pkt_hi;
	const uint8_t *last_ptr;        /* data pointer of the last data() */
	unsigned direct, copied, data_calls;
	unsigned violations;
	uint64_t ends;
	uint64_t total_bytes[2];
	unsigned anomalies;
	struct reasm *bypass_in_data;   /* cb_data gives the flow up on it */
};

static struct tc T;

static void tc_reset(void)
{
	struct rec *keep = T.recs;

	for (int i = 0; i < T.nrecs; i++)
		free(keep[i].log);
	memset(&T, 0, sizeof(T));
	T.recs = keep;
	memset(T.recs, 0, sizeof(*T.recs) * MAX_RECS);
}

static void violation(const char *what)
{
	fprintf(stderr, "contract violation: %s\n", what);
	T.violations++;
}

/* The record of a flow, made at its first callback. */
static struct rec *rec_of(struct flow *f)
{
	struct rec *r = f->app;

	if (!r) {
		if (T.nrecs == MAX_RECS) {
			fprintf(stderr, "too many flows for the test\n");
			exit(1);
		}
		r = &T.recs[T.nrecs];
		r->cap = T.nrecs < BIG_LOGS ? 1 << 17 : 256;
		r->log = calloc(1, r->cap);
		T.nrecs++;
		r->fp = f;
		r->id = f->id;
		r->last_data_dir = -1;
		f->app = r;
	}
	if (r->id != f->id)
		violation("app pointer of another flow");
	return r;
}

static void logf_(struct rec *r, const char *s, size_t len)
{
	if (r->n + len + 1 < r->cap) {
		memcpy(r->log + r->n, s, len);
		r->n += len;
		r->log[r->n] = '\0';
	}
}

static void log_entry(struct rec *r, const char *s)
{
	if (r->n)
		logf_(r, " ", 1);
	logf_(r, s, strlen(s));
	r->last_data_dir = -1;
}

static bool cb_new(void *user, const struct decoded_pkt *p, bool *from_client)
{
	T.new_calls++;
	if (T.refuse)
		return false;
	/* As the sensor will: a SYN's sender is the client, a SYN-ACK's
	 * the server, otherwise whoever talks to port 25. */
	if ((p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		*from_client = true;
	else if (p->tcp_flags & TCP_SYN)
		*from_client = false;
	else
		*from_client = p->dport == 25 || p->dport < p->sport;
	return true;
}

static void cb_data(void *user, struct flow *f, enum flow_dir d, const uint8_t *data, uint32_t len)
{
	struct rec *r = rec_of(f);
	char hdr[8];

	T.data_calls++;
	T.last_ptr = data;
	if (len == 0)
		violation("empty data");
	if (r->eof[d] || r->ended)
		violation("data after eof");
	if (data >= T.pkt_lo && data < T.pkt_hi) {
		T.direct++;
		if (data + len > T.pkt_hi)
			violation("zero-copy data runs past the packet");
	} else {
		T.copied++;
	}
	if (r->last_data_dir != (int)d) {
		snprintf(hdr, sizeof(hdr), "%d:", d);
		if (r->n)
			logf_(r, " ", 1);
		logf_(r, hdr, strlen(hdr));
	}
	logf_(r, (const char *)data, len);
	r->last_data_dir = d;
	r->data_bytes[d] += len;
	T.total_bytes[d] += len;
	if (T.bypass_in_data)
		reasm_flow_bypass(T.bypass_in_data, f);
}

static void cb_gap(void *user, struct flow *f, enum flow_dir d, uint64_t len)
{
	struct rec *r = rec_of(f);
	char e[40];

	if (len == 0)
		violation("empty gap");
	if (r->eof[d] || r->ended)
		violation("gap after eof");
	snprintf(e, sizeof(e), "gap%d:%llu", d, (unsigned long long)len);
	log_entry(r, e);
	r->gap_bytes[d] += len;
}

static void cb_eof(void *user, struct flow *f, enum flow_dir d)
{
	struct rec *r = rec_of(f);

	if (r->eof[d] || r->ended)
		violation("second eof");
	r->eof[d] = true;
	log_entry(r, d ? "eof1" : "eof0");
}

static void cb_end(void *user, struct flow *f, enum flow_end_reason why)
{
	static const char *const names[] = { "end:closed", "end:timeout", "end:evicted",
					     "end:shutdown" };
	struct rec *r = rec_of(f);

	if (!r->eof[0] || !r->eof[1])
		violation("flow_end before eof of both directions");
	if (r->ended)
		violation("second flow_end");
	for (int d = 0; d < 2; d++) {
		/* a bypassed flow's bytes move on without being delivered */
		if (f->dir[d].stream_bytes != r->data_bytes[d] && !f->bypass)
			violation("stream_bytes differs from bytes delivered");
		if (f->dir[d].gap_bytes != r->gap_bytes[d])
			violation("gap_bytes differs from gaps declared");
		r->dir[d] = f->dir[d];
	}
	r->ended = true;
	r->state_at_end = f->state;
	r->midstream = f->midstream;
	r->fp = NULL;
	T.ends++;
	log_entry(r, names[why]);
}

static void cb_anomaly(void *user, struct flow *f, enum flow_dir d, const char *name)
{
	struct rec *r = rec_of(f);
	size_t n = strlen(r->an);

	T.anomalies++;
	if (r->eof[d] && strcmp(name, "tcp_rst_invalid") != 0 &&
	    strcmp(name, "tcp_syn_on_established") != 0)
		violation("stream anomaly after eof");
	snprintf(r->an + n, sizeof(r->an) - n, "%s%s:%d", n ? " " : "", name, d);
}

static const struct reasm_ops ops = { cb_new, cb_data, cb_gap, cb_eof, cb_end, cb_anomaly };

/* ---- packets ------------------------------------------------------- */

struct ep {
	const char *caddr, *saddr;      /* mapped-IPv4 "a.b.c.d" or IPv6 text */
	uint16_t cport, sport;
};

static const struct ep EP = { "10.0.0.1", "10.0.0.2", 40000, 25 };

#define ISN_C UINT32_C(1000)
#define ISN_S UINT32_C(5000)

static void parse_addr(const char *s, struct mt_addr *a)
{
	unsigned x[4];

	memset(a, 0, sizeof(*a));
	if (sscanf(s, "%u.%u.%u.%u", &x[0], &x[1], &x[2], &x[3]) == 4) {
		a->b[10] = a->b[11] = 0xff;
		for (int i = 0; i < 4; i++)
			a->b[12 + i] = (uint8_t)x[i];
	} else {
		/* "v6:N": 2001:db8::N, enough for these tests */
		unsigned n = (unsigned)atoi(s + 3);

		a->b[0] = 0x20; a->b[1] = 0x01; a->b[2] = 0x0d; a->b[3] = 0xb8;
		a->b[14] = (uint8_t)(n >> 8);
		a->b[15] = (uint8_t)n;
	}
}

static unsigned flag_bits(const char *s)
{
	unsigned v = 0;

	for (; *s; s++)
		v |= *s == 'F' ? TCP_FIN : *s == 'S' ? TCP_SYN : *s == 'R' ? TCP_RST :
		     *s == 'P' ? TCP_PSH : *s == 'A' ? TCP_ACK : *s == 'U' ? TCP_URG : 0;
	return v;
}

/* One packet, all fields. */
struct pk {
	const char *flags;
	uint32_t seq, ack;
	uint16_t win;
	const void *data;
	uint32_t len;
	uint16_t urg;           /* urgent pointer */
	uint32_t wire;          /* payload length on the wire; 0: len */
	uint8_t wscale;         /* SYN option; 0 = none (0xff in the packet) */
};

static void send_pk(struct reasm *r, const struct ep *e, bool to_client, const struct pk *k,
		    uint64_t t)
{
	struct decoded_pkt p;

	memset(&p, 0, sizeof(p));
	parse_addr(to_client ? e->saddr : e->caddr, &p.src);
	parse_addr(to_client ? e->caddr : e->saddr, &p.dst);
	p.sport = to_client ? e->sport : e->cport;
	p.dport = to_client ? e->cport : e->sport;
	p.ip_version = e->caddr[0] == 'v' ? 6 : 4;
	p.tcp_flags = (uint8_t)flag_bits(k->flags);
	p.seq = k->seq;
	p.ack = k->ack;
	p.window = k->win;
	p.wscale = k->wscale ? k->wscale : 0xff;
	p.payload = k->data;
	p.payload_len = k->len;
	p.ip_len = 40 + (k->wire ? k->wire : k->len);
	p.frame_len = 54 + k->len;  /* Ethernet + IPv4 + TCP headers */
	p.urg_ptr = k->urg;
	p.wire_payload_len = k->wire ? k->wire : k->len;
	T.pkt_lo = k->data;
	T.pkt_hi = k->data ? (const uint8_t *)k->data + k->len : NULL;
	reasm_packet(r, &p, t);
	T.pkt_lo = T.pkt_hi = NULL;
}

/* One packet of endpoint pair e; to_client: sent by the server. No ACK
 * number (0: never a plausible one here), an open window. */
static void sendp(struct reasm *r, const struct ep *e, bool to_client, const char *flags,
		  uint32_t seq, const void *data, uint32_t len, uint64_t t)
{
	struct pk k = { flags, seq, 0, 65535, data, len, 0, 0, 0 };

	send_pk(r, e, to_client, &k, t);
}

static void cli(struct reasm *r, const char *fl, uint32_t seq, const char *s, uint64_t t)
{
	sendp(r, &EP, false, fl, seq, s, s ? (uint32_t)strlen(s) : 0, t);
}

static void srv(struct reasm *r, const char *fl, uint32_t seq, const char *s, uint64_t t)
{
	sendp(r, &EP, true, fl, seq, s, s ? (uint32_t)strlen(s) : 0, t);
}

/* Client data at stream offset `off` (after a handshake with ISN_C). */
static void cdata(struct reasm *r, uint32_t off, const char *s)
{
	cli(r, "PA", ISN_C + 1 + off, s, 1);
}

static void handshake(struct reasm *r, const struct ep *e, uint32_t isn_c, uint32_t isn_s, uint64_t t)
{
	sendp(r, e, false, "S", isn_c, NULL, 0, t);
	sendp(r, e, true, "SA", isn_s, NULL, 0, t);
	sendp(r, e, false, "A", isn_c + 1, NULL, 0, t);
}

static struct reasm_config small_cfg(void)
{
	struct reasm_config c;

	reasm_config_default(&c);
	CHECK_EQ_U(c.policy_default, REASM_POLICY_BSD);
	c.max_flows = 16;
	c.max_ooo_segments = 256;
	c.max_ooo_bytes = 1 << 20;
	c.max_ooo_bytes_per_flow = 256 << 10;
	return c;
}

/* Set for the second pass over the tests: every reassembler is told that
 * all memory is stable payload (reasm_set_stable_payload), so its history
 * refers to the tests' buffers instead of copying them. */
static bool stable_pass;

static struct reasm *mk(const struct reasm_config *c)
{
	struct reasm *r;

	tc_reset();
	r = reasm_create(c, &ops, &T);
	if (!r) {
		fprintf(stderr, "reasm_create failed\n");
		exit(1);
	}
	if (stable_pass)
		CHECK_EQ_U(reasm_set_stable_payload(r, (const void *)(uintptr_t)1, SIZE_MAX - 1), 0);
	return r;
}

/* Tear down, checking the contract and that nothing leaked. */
static void done(struct reasm *r)
{
	const struct reasm_stats *st = reasm_get_stats(r);

	reasm_flush_all(r);
	CHECK_EQ_U(st->flows_active, 0);
	CHECK_EQ_U(st->ooo_bytes_held, 0);
	CHECK_EQ_U(st->flows_created, st->flows_closed + st->flows_timeout + st->flows_evicted +
		   st->flows_shutdown);
	CHECK_EQ_U(T.violations, 0);
	reasm_destroy(r);
}

/* ---- tests --------------------------------------------------------- */

static void test_in_order(void)
{
	struct reasm_config c = small_cfg();
	struct reasm *r = mk(&c);
	const struct reasm_stats *st = reasm_get_stats(r);
	struct rec *x = &T.recs[0];

	handshake(r, &EP, ISN_C, ISN_S, 1);
	CHECK_EQ_U(st->flows_created, 1);
	CHECK_EQ_U(T.new_calls, 1);
	cli(r, "PA", ISN_C + 1, "helo;", 2);
	CHECK(x->fp && x->fp->state == FLOW_STATE_ESTABLISHED);
	srv(r, "PA", ISN_S + 1, "250;", 3);
	cli(r, "PA", ISN_C + 6, "quit;", 4);
	srv(r, "FPA", ISN_S + 5, "221;", 5);
	CHECK_STR(x->log, "0:helo; 1:250; 0:quit; 1:221; eof1");
	CHECK(x->fp->state == FLOW_STATE_CLOSING);
	CHECK(!x->fp->midstream);
	cli(r, "FA", ISN_C + 11, NULL, 6);
	CHECK(x->fp->state == FLOW_STATE_CLOSED);
	CHECK_STR(x->log, "0:helo; 1:250; 0:quit; 1:221; eof1 eof0");
	/* the last ACK, then linger for the closed timeout */
	srv(r, "A", ISN_S + 10, NULL, 7);
	CHECK_EQ_U(x->fp->client_port, 40000);
	CHECK_EQ_U(x->fp->server_port, 25);
	CHECK_EQ_U(x->fp->ip_version, 4);
	CHECK_EQ_U(x->fp->first_us, 1);
	CHECK_EQ_U(x->fp->last_us, 7);
	reasm_expire(r, 7 + c.timeout_closed_us - 1);
	CHECK(!x->ended);
	reasm_expire(r, 7 + c.timeout_closed_us);
	CHECK_STR(x->log, "0:helo; 1:250; 0:quit; 1:221; eof1 eof0 end:closed");
	CHECK_EQ_U(x->dir[0].pkts, 5);
	CHECK_EQ_U(x->dir[1].pkts, 4);
	CHECK_EQ_U(x->dir[0].bytes, 5 * 54 + 10);  /* frame bytes, as Suricata counts */
	CHECK_EQ_U(x->dir[0].stream_bytes, 10);
	CHECK_EQ_U(x->dir[1].stream_bytes, 8);
	/* zero copy: every data pointer was inside the packet */
	CHECK_EQ_U(T.direct, 4);
	CHECK_EQ_U(T.copied, 0);
	CHECK_EQ_U(st->segs_in_order, 4);
	CHECK_EQ_U(st->bytes_delivered, 18);
	CHECK_EQ_U(st->pkts, 9);
	CHECK_EQ_U(st->flows_closed, 1);
	CHECK_EQ_U(st->flows_active, 0);
	CHECK_EQ_U(st->midstream, 0);
	done(r);
}

/* The data pointer is exactly the packet's payload pointer. */
static void test_zero_copy_pointer(void)
{
	struct reasm_config c = small_cfg();
	struct reasm *r = mk(&c);
	static const char payload[] = "MAIL FROM:<a@b>";

	handshake(r, &EP, ISN_C, ISN_S, 1);
	cli(r, "PA", ISN_C + 1, payload, 2);
	CHECK_EQ_U(T.data_calls, 1);
	CHECK(T.last_ptr == (const uint8_t *)payload);
	/* in order after a queued segment: the packet's own bytes still go
	 * out from the packet, the queued ones from the pool */
	sendp(r, &EP, false, "PA", ISN_C + 1 + 15 + 4, payload + 4, 4, 3);
	sendp(r, &EP, false, "PA", ISN_C + 1 + 15, payload, 4, 4);
	CHECK_EQ_U(T.data_calls, 3);
	CHECK(T.last_ptr != (const uint8_t *)payload + 4);
	CHECK_EQ_U(T.direct, 2);
	CHECK_EQ_U(T.copied, 1);
	CHECK_STR(T.recs[0].log, "0:MAIL FROM:<a@b>MAIL FRO");
	done(r);
}

/* Segments (offset, length) of one stream, fed in every order. */
struct seg {
	uint32_t off, len;
};

static bool next_perm(int *a, int n)
{
	int i = n - 2, j = n - 1;

	while (i >= 0 && a[i] >= a[i + 1])
		i--;
	if (i < 0)
		return false;
	while (a[j] <= a[i])
		j--;
	int t = a[i]; a[i] = a[j]; a[j] = t;
	for (int l = i + 1, h = n - 1; l < h; l++, h--) {
		t = a[l]; a[l] = a[h]; a[h] = t;
	}
	return true;
}

static void test_permutations(void)
{
	static const char stream[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	static const struct {
		const char *name;
		struct seg s[6];
		int n;
		bool overlapping;
	} sets[] = {
		{ "disjoint", { { 0, 5 }, { 5, 7 }, { 12, 3 }, { 15, 10 }, { 25, 11 } }, 5, false },
		{ "overlapping", { { 0, 6 }, { 4, 8 }, { 10, 10 }, { 18, 18 }, { 30, 6 } }, 5, true },
		{ "nested", { { 0, 36 }, { 3, 4 }, { 10, 1 }, { 20, 16 }, { 2, 30 }, { 35, 1 } }, 6, true },
		{ "bytes", { { 0, 1 }, { 1, 1 }, { 2, 1 }, { 3, 1 }, { 4, 1 }, { 5, 31 } }, 6, false },
	};
	char want[64];

	snprintf(want, sizeof(want), "0:%s eof0 eof1 end:shutdown", stream);
	for (size_t k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
		int perm[6], runs = 0, bad = 0;

		for (int i = 0; i < sets[k].n; i++)
			perm[i] = i;
		do {
			struct reasm_config c = small_cfg();
			struct reasm *r = mk(&c);
			const struct reasm_stats *st = reasm_get_stats(r);

			handshake(r, &EP, ISN_C, ISN_S, 1);
			for (int i = 0; i < sets[k].n; i++) {
				const struct seg *s = &sets[k].s[perm[i]];

				cli(r, "PA", ISN_C + 1 + s->off, NULL, 2);  /* bare ACK noise */
				sendp(r, &EP, false, "PA", ISN_C + 1 + s->off, stream + s->off,
				      s->len, 2);
			}
			reasm_flush_all(r);
			if (strcmp(T.recs[0].log, want) != 0) {
				if (bad++ < 3)
					fprintf(stderr, "%s perm %d: %s\n", sets[k].name, runs,
						T.recs[0].log);
			}
			if (!sets[k].overlapping &&
			    st->segs_in_order + st->segs_ooo != (uint64_t)sets[k].n)
				bad++;
			if (st->overlaps_different || st->gaps || st->ooo_bytes_held)
				bad++;
			if (T.violations)
				bad++;
			reasm_destroy(r);
			runs++;
		} while (next_perm(perm, sets[k].n));
		CHECK_EQ_U(bad, 0);
		CHECK_EQ_U(runs, sets[k].n == 5 ? 120 : 720);
	}
}

/* Overlap table under the "first" policy (every copy loses to the first):
 * segments {offset, bytes} after a handshake, then flush; the whole log
 * and the counters must match. test_policies has the other policies. */
static void test_overlaps(void)
{
	static const struct {
		const char *name;
		struct {
			int off;        /* -1 ends the list */
			const char *b;
		} s[6];
		const char *log;
		unsigned retrans, overlaps, different, ooo, in_order;
	} t[] = {
		{ "in order", { { 0, "abc" }, { 3, "def" }, { -1, 0 } },
		  "0:abcdef eof0 eof1 end:shutdown", 0, 0, 0, 0, 2 },
		{ "swap", { { 3, "def" }, { 0, "abc" }, { -1, 0 } },
		  "0:abcdef eof0 eof1 end:shutdown", 0, 0, 0, 1, 1 },
		{ "queued wins", { { 3, "DEF" }, { 0, "abcdef" }, { -1, 0 } },
		  "0:abcDEF eof0 eof1 end:shutdown", 0, 1, 1, 1, 1 },
		{ "queued wins, same bytes", { { 3, "def" }, { 0, "abcdef" }, { -1, 0 } },
		  "0:abcdef eof0 eof1 end:shutdown", 0, 1, 0, 1, 1 },
		/* delivered bytes stay delivered; the history still holds them
		 * (nothing acknowledged them), so the difference is seen */
		{ "delivered wins", { { 0, "abc" }, { 0, "xyz" }, { -1, 0 } },
		  "0:abc eof0 eof1 end:shutdown", 1, 0, 1, 0, 1 },
		{ "delivered wins, same", { { 0, "abc" }, { 0, "abc" }, { -1, 0 } },
		  "0:abc eof0 eof1 end:shutdown", 1, 0, 0, 0, 1 },
		{ "delivered wins, tail new", { { 0, "abc" }, { 1, "XYde" }, { -1, 0 } },
		  "0:abcde eof0 eof1 end:shutdown", 0, 1, 1, 0, 2 },
		{ "two queued inside", { { 2, "CD" }, { 6, "gh" }, { 0, "abcdefghij" }, { -1, 0 } },
		  "0:abCDefghij eof0 eof1 end:shutdown", 0, 1, 1, 2, 1 },
		{ "new spans queued", { { 3, "def" }, { 1, "bcDEFg" }, { 0, "a" }, { -1, 0 } },
		  "0:abcdefg eof0 eof1 end:shutdown", 0, 1, 1, 2, 1 },
		{ "overlap queued front", { { 4, "efgh" }, { 2, "cdEF" }, { 0, "ab" }, { -1, 0 } },
		  "0:abcdefgh eof0 eof1 end:shutdown", 0, 1, 1, 2, 1 },
		{ "queued duplicate", { { 4, "e" }, { 4, "X" }, { 0, "abcd" }, { -1, 0 } },
		  "0:abcde eof0 eof1 end:shutdown", 1, 0, 1, 1, 1 },
		{ "fill from the right", { { 5, "f" }, { 3, "d" }, { 1, "b" }, { 0, "abcdefg" }, { -1, 0 } },
		  "0:abcdefg eof0 eof1 end:shutdown", 0, 1, 0, 3, 1 },
		{ "hole at flush", { { 0, "ab" }, { 4, "ef" }, { -1, 0 } },
		  "0:ab gap0:2 0:ef eof0 eof1 end:shutdown", 0, 0, 0, 1, 1 },
		{ "two holes at flush", { { 9, "j" }, { 4, "ef" }, { -1, 0 } },
		  "gap0:4 0:ef gap0:3 0:j eof0 eof1 end:shutdown", 0, 0, 0, 2, 0 },
		{ "packet ends inside queued", { { 2, "CDEFG" }, { 0, "abcd" }, { -1, 0 } },
		  "0:abCDEFG eof0 eof1 end:shutdown", 0, 1, 1, 1, 1 },
		{ "exact retransmission of queued", { { 2, "cd" }, { 2, "cd" }, { 0, "ab" }, { -1, 0 } },
		  "0:abcd eof0 eof1 end:shutdown", 1, 0, 0, 1, 1 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct reasm_config c = small_cfg();
		struct reasm *r;
		const struct reasm_stats *st;

		c.policy_default = REASM_POLICY_FIRST;
		r = mk(&c);
		st = reasm_get_stats(r);
		handshake(r, &EP, ISN_C, ISN_S, 1);
		for (int k = 0; t[i].s[k].off >= 0; k++)
			cdata(r, (uint32_t)t[i].s[k].off, t[i].s[k].b);
		reasm_flush_all(r);
		if (strcmp(T.recs[0].log, t[i].log) != 0 || st->segs_retransmitted != t[i].retrans ||
		    st->overlaps != t[i].overlaps || st->overlaps_different != t[i].different ||
		    st->segs_ooo != t[i].ooo || st->segs_in_order != t[i].in_order)
			fprintf(stderr, "overlap row \"%s\": %s | retr %llu ov %llu diff %llu ooo %llu "
				"inord %llu\n", t[i].name, T.recs[0].log,
				(unsigned long long)st->segs_retransmitted,
				(unsigned long long)st->overlaps,
				(unsigned long long)st->overlaps_different,
				(unsigned long long)st->segs_ooo,
				(unsigned long long)st->segs_in_order);
		CHECK_STR(T.recs[0].log, t[i].log);
		CHECK_EQ_U(st->segs_retransmitted, t[i].retrans);
		CHECK_EQ_U(st->overlaps, t[i].overlaps);
		CHECK_EQ_U(st->overlaps_different, t[i].different);
		CHECK_EQ_U(st->segs_ooo, t[i].ooo);
		CHECK_EQ_U(st->segs_in_order, t[i].in_order);
		/* the anomaly comes with the counter, once per flow */
		CHECK_STR(T.recs[0].an, t[i].different ? "tcp_overlap_different:0" : "");
		done(r);
	}
}

/* ISNs just below 2^32: offsets keep counting across the wrap. */
static void test_wrap(void)
{
	static const char s[] = "0123456789ABCDEFGHIJ";
	static const uint32_t isns[] = { 0xfffffff0u, 0xfffffffeu, 0xffffffffu, 0x7fffffffu };

	for (size_t i = 0; i < sizeof(isns) / sizeof(isns[0]); i++) {
		struct reasm_config c = small_cfg();
		struct reasm *r = mk(&c);
		uint32_t isn = isns[i];

		handshake(r, &EP, isn, isn - 5, 1);
		/* the second half first (its sequence number has wrapped for
		 * most of these ISNs), then the first, then a retransmission */
		sendp(r, &EP, false, "PA", isn + 1 + 10, s + 10, 10, 2);
		sendp(r, &EP, false, "PA", isn + 1, s, 10, 3);
		sendp(r, &EP, false, "PA", isn + 1 + 5, s + 5, 10, 4);
		sendp(r, &EP, true, "PA", isn - 5 + 1, "ok", 2, 5);
		sendp(r, &EP, false, "FA", isn + 1 + 20, NULL, 0, 6);
		CHECK_STR(T.recs[0].log, "0:0123456789ABCDEFGHIJ 1:ok eof0");
		CHECK_EQ_U(reasm_get_stats(r)->segs_retransmitted, 1);
		done(r);
	}
	/* midstream pickup right at the wrap */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk(&c);

		sendp(r, &EP, false, "PA", 0xfffffffcu, s, 8, 1);
		sendp(r, &EP, false, "PA", 4, s + 8, 12, 2);
		reasm_flush_all(r);
		CHECK_STR(T.recs[0].log, "0:0123456789ABCDEFGHIJ eof0 eof1 end:shutdown");
		CHECK(T.recs[0].midstream);
		done(r);
	}
}

static void test_window(void)
{
	struct reasm_config c = small_cfg();
	struct reasm *r = mk(&c);
	const struct reasm_stats *st = reasm_get_stats(r);

	handshake(r, &EP, ISN_C, ISN_S, 1);
	cdata(r, 0, "abc");
	/* 2^31 away: neither ahead nor behind; 2^30 + 1 ahead or behind */
	cli(r, "PA", ISN_C + 1 + 0x80000000u, "XXX", 2);
	cli(r, "PA", ISN_C + 4 + 0x40000001u, "YYY", 2);
	cli(r, "PA", ISN_C + 4 - 0x40000001u, "ZZZ", 2);
	CHECK_EQ_U(st->seq_out_of_window, 3);
	CHECK_EQ_U(st->segs_ooo, 0);
	/* just inside the window: queued, a 1 GiB hole */
	cli(r, "PA", ISN_C + 4 + 0x3ffffff0u, "far", 2);
	CHECK_EQ_U(st->segs_ooo, 1);
	cdata(r, 3, "def");
	reasm_flush_all(r);
	CHECK_STR(T.recs[0].log, "0:abcdef gap0:1073741805 0:far eof0 eof1 end:shutdown");
	done(r);
}

static void test_fin_rst(void)
{
	struct reasm_config c = small_cfg();

	/* FIN out of order: eof waits for the hole */
	{
		struct reasm *r = mk(&c);

		handshake(r, &EP, ISN_C, ISN_S, 1);
		cdata(r, 0, "abc");
		cli(r, "FPA", ISN_C + 7, "ghi", 2);
		CHECK_STR(T.recs[0].log, "0:abc");
		cdata(r, 3, "def");
		CHECK_STR(T.recs[0].log, "0:abcdefghi eof0");
		/* data at or after the FIN: counted, not delivered */
		cdata(r, 9, "jkl");
		CHECK_EQ_U(reasm_get_stats(r)->data_after_close, 1);
		/* the last segment and FIN again (our ACK was lost): old */
		cli(r, "FPA", ISN_C + 7, "ghi", 3);
		CHECK_EQ_U(reasm_get_stats(r)->data_after_close, 1);
		CHECK_EQ_U(reasm_get_stats(r)->segs_retransmitted, 1);
		done(r);
		CHECK_STR(T.recs[0].log, "0:abcdefghi eof0 eof1 end:shutdown");
	}
	/* queued data beyond a FIN is cut at the FIN */
	{
		struct reasm *r = mk(&c);

		handshake(r, &EP, ISN_C, ISN_S, 1);
		cdata(r, 5, "fghij");
		cli(r, "FA", ISN_C + 1 + 7, NULL, 2);
		cdata(r, 0, "abcde");
		CHECK_STR(T.recs[0].log, "0:abcdefg eof0");
		CHECK_EQ_U(reasm_get_stats(r)->data_after_close, 1);
		done(r);
	}
	/* FIN beyond a hole, then the end of input: gap up to the FIN */
	{
		struct reasm *r = mk(&c);

		handshake(r, &EP, ISN_C, ISN_S, 1);
		cdata(r, 0, "abc");
		cli(r, "FA", ISN_C + 1 + 10, NULL, 2);
		reasm_flush_all(r);
		CHECK_STR(T.recs[0].log, "0:abc gap0:7 eof0 eof1 end:shutdown");
		done(r);
	}
	/* RST: eof both ways at once, queued data dropped, state closed */
	{
		struct reasm *r = mk(&c);
		const struct reasm_stats *st = reasm_get_stats(r);

		handshake(r, &EP, ISN_C, ISN_S, 1);
		cdata(r, 0, "ab");
		cdata(r, 4, "ef");
		srv(r, "PA", ISN_S + 1, "hi", 2);
		srv(r, "RA", ISN_S + 3, NULL, 3);
		CHECK_STR(T.recs[0].log, "0:ab 1:hi eof0 eof1");
		CHECK_EQ_U(st->rst, 1);
		CHECK_EQ_U(st->ooo_bytes_held, 0);
		CHECK(T.recs[0].fp && T.recs[0].fp->state == FLOW_STATE_CLOSED);
		cdata(r, 2, "cd");
		CHECK_EQ_U(st->data_after_close, 1);
		reasm_expire(r, 3 + c.timeout_closed_us);
		CHECK_STR(T.recs[0].log, "0:ab 1:hi eof0 eof1 end:closed");
		CHECK_EQ_U(st->flows_closed, 1);
		done(r);
	}
	/* a RST far from the sender's sequence numbers is not believed */
	{
		struct reasm *r = mk(&c);
		const struct reasm_stats *st = reasm_get_stats(r);

		handshake(r, &EP, ISN_C, ISN_S, 1);
		cdata(r, 0, "ab");
		cli(r, "R", ISN_C + 3 + (1u << 24), NULL, 2);
		cli(r, "R", ISN_C + 3 - (1u << 24), NULL, 2);
		/* bsd (the default) wants exactly the next sequence number */
		cli(r, "R", ISN_C + 3 + 1000, NULL, 2);
		cli(r, "R", ISN_C + 2, NULL, 2);
		CHECK_EQ_U(st->rst, 0);
		CHECK_EQ_U(st->rst_invalid, 4);
		CHECK_STR(T.recs[0].an, "tcp_rst_invalid:0");
		cdata(r, 2, "cd");
		CHECK_STR(T.recs[0].log, "0:abcd");
		/* ... the one at the next sequence number is */
		cli(r, "R", ISN_C + 5, NULL, 3);
		CHECK_EQ_U(st->rst, 1);
		CHECK_STR(T.recs[0].log, "0:abcd eof0 eof1");
		done(r);
	}
	/* a RST for nothing we track creates nothing */
	{
		struct reasm *r = mk(&c);

		cli(r, "RA", 77, NULL, 1);
		CHECK_EQ_U(T.new_calls, 0);
		CHECK_EQ_U(reasm_get_stats(r)->flows_created, 0);
		done(r);
	}
	/* RST answering a SYN (port closed): it must acknowledge the SYN
	 * (RFC 9293 section 3.10.7.3) */
	{
		struct reasm *r = mk(&c);
		struct pk rst = { "RA", 0, ISN_C, 0, NULL, 0, 0, 0, 0 };

		cli(r, "S", ISN_C, NULL, 1);
		srv(r, "RA", 0, NULL, 2);       /* acknowledges nothing */
		CHECK_EQ_U(reasm_get_stats(r)->rst_invalid, 1);
		send_pk(r, &EP, true, &rst, 2); /* acknowledges ISN_C - 1 */
		CHECK_EQ_U(reasm_get_stats(r)->rst_invalid, 2);
		CHECK_STR(T.recs[0].log, "");
		rst.ack = ISN_C + 1;
		send_pk(r, &EP, true, &rst, 2);
		CHECK_STR(T.recs[0].log, "eof0 eof1");
		reasm_expire(r, 2 + c.timeout_closed_us);
		CHECK_STR(T.recs[0].log, "eof0 eof1 end:closed");
		CHECK_EQ_U(T.recs[0].state_at_end, FLOW_STATE_CLOSED);
		done(r);
	}
}

/* A FIN cuts what is queued beyond it, whole segments and multi-chunk
 * tails, and the part of a later packet that runs past it. */
static void test_fin_trim(void)
{
	static uint8_t big[12000];
	struct reasm_config c = small_cfg();

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)('A' + i % 26);
	{
		struct reasm *r = mk(&c);
		const struct reasm_stats *st = reasm_get_stats(r);

		handshake(r, &EP, ISN_C, ISN_S, 1);
		cdata(r, 10, "klmno");
		cdata(r, 20, "uvwxy");
		cli(r, "FA", ISN_C + 1 + 12, NULL, 2);  /* FIN at 12 */
		CHECK_EQ_U(st->data_after_close, 2);
		CHECK_EQ_U(st->ooo_bytes_held, 2048);
		cdata(r, 5, "fghijKLMNO");              /* runs past the FIN */
		CHECK_EQ_U(st->data_after_close, 3);
		cdata(r, 0, "abcde");
		/* bsd: the new copy started before the queued "klmno" and
		 * covered it, so its bytes won (as they would over "kl") */
		CHECK_STR(T.recs[0].log, "0:abcdefghijKL eof0");
		done(r);
	}
	{
		struct reasm *r = mk(&c);
		const struct reasm_stats *st = reasm_get_stats(r);

		handshake(r, &EP, ISN_C, ISN_S, 1);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 100, big + 100, 10000, 2);
		CHECK_EQ_U(st->ooo_bytes_held, 5 * 2048);
		/* FIN inside the third chunk: two chunks are given back */
		sendp(r, &EP, false, "FA", ISN_C + 1 + 100 + 5000, NULL, 0, 3);
		CHECK_EQ_U(st->ooo_bytes_held, 3 * 2048);
		sendp(r, &EP, false, "PA", ISN_C + 1, big, 100, 4);
		CHECK_EQ_U(T.total_bytes[0], 5100);
		CHECK_MEM(T.recs[0].log + 2, 5100, big, 5100);
		CHECK(T.recs[0].eof[0]);
		done(r);
	}
	/* an overlap compared deep inside a multi-chunk queued segment */
	{
		struct reasm *r = mk(&c);
		const struct reasm_stats *st = reasm_get_stats(r);
		uint8_t other[100];

		memcpy(other, big + 4500, sizeof(other));
		other[99] ^= 1;
		handshake(r, &EP, ISN_C, ISN_S, 1);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 100, big + 100, 6000, 2);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 4500, big + 4500, 100, 2);
		CHECK_EQ_U(st->overlaps_different, 0);
		CHECK_EQ_U(st->segs_retransmitted, 1);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 4500, other, 100, 2);
		CHECK_EQ_U(st->overlaps_different, 1);
		CHECK_EQ_U(st->segs_retransmitted, 2);
		sendp(r, &EP, false, "PA", ISN_C + 1, big, 100, 3);
		CHECK_MEM(T.recs[0].log + 2, 6100, big, 6100);
		done(r);
	}
}

static void test_midstream(void)
{
	struct reasm_config c = small_cfg();
	struct reasm *r = mk(&c);
	const struct reasm_stats *st = reasm_get_stats(r);

	/* a bare ACK and a keepalive fix nothing */
	cli(r, "A", 7770, NULL, 1);
	cli(r, "A", 7776, "x", 1);
	cli(r, "PA", 7777, "rcpt;", 2);
	srv(r, "PA", 999, "250;", 3);
	cli(r, "PA", 7774, "xyzrcpt;", 4);      /* before offset 0 + old */
	cli(r, "PA", 7775, "yzrcpt;data;", 5);  /* before 0 + old + new */
	CHECK_EQ_U(T.new_calls, 1);
	CHECK_EQ_U(st->midstream, 1);
	CHECK_EQ_U(st->segs_retransmitted, 1);
	CHECK_EQ_U(st->overlaps, 1);
	reasm_flush_all(r);
	CHECK_STR(T.recs[0].log, "0:xrcpt; 1:250; 0:data; eof0 eof1 end:shutdown");
	CHECK(T.recs[0].midstream);
	done(r);
}

/* The keepalive "x" above became offset 0 of a midstream pickup (a
 * passive sensor cannot tell it apart from data); with the handshake
 * seen, a keepalive is an old byte. */
static void test_keepalive(void)
{
	struct reasm_config c = small_cfg();
	struct reasm *r = mk(&c);

	handshake(r, &EP, ISN_C, ISN_S, 1);
	cdata(r, 0, "abc");
	cdata(r, 2, "c");
	cli(r, "A", ISN_C + 3, NULL, 2);
	cdata(r, 3, "d");
	CHECK_STR(T.recs[0].log, "0:abcd");
	CHECK_EQ_U(reasm_get_stats(r)->segs_retransmitted, 1);
	done(r);
}

static void test_caps(void)
{
	static uint8_t big[200000];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)('a' + i % 26);

	/* per-flow cap: the hole is given up, nothing held is lost */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r;
		const struct reasm_stats *st;

		c.max_ooo_bytes_per_flow = 2048;        /* two 1000-byte segments */
		r = mk(&c);
		st = reasm_get_stats(r);
		handshake(r, &EP, ISN_C, ISN_S, 1);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 10, big + 10, 1000, 2);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 2000, big + 2000, 1000, 2);
		CHECK_EQ_U(st->ooo_bytes_held, 4096);
		CHECK_EQ_U(T.data_calls, 0);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 4000, big + 4000, 1000, 2);
		CHECK_EQ_U(st->ooo_drop_flow_cap, 1);
		CHECK_EQ_U(st->ooo_bytes_held, 0);
		CHECK_EQ_U(st->gaps, 3);
		CHECK_EQ_U(st->gap_bytes, 10 + 990 + 1000);
		CHECK_EQ_U(T.total_bytes[0], 3000);
		/* the last segment went out straight from its packet */
		CHECK_EQ_U(T.direct, 1);
		/* a late retransmission of the first hole is old now */
		sendp(r, &EP, false, "PA", ISN_C + 1, big, 10, 3);
		CHECK_EQ_U(st->segs_retransmitted, 1);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 5000, big + 5000, 100, 3);
		CHECK_EQ_U(T.total_bytes[0], 3100);
		done(r);
	}
	/* tiny segments behind a hole count their bytes, at least 256 each,
	 * not a 2 KiB chunk each: 1,000 segments of 20 bytes wait within a
	 * 1 MiB cap (they filled it at 512 when chunks counted), the hole is
	 * filled and everything goes out in order */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r;
		const struct reasm_stats *st;

		c.max_ooo_bytes_per_flow = 1 << 20;
		c.max_ooo_bytes = 4u << 20;
		c.max_ooo_segments = 2048;
		r = mk(&c);
		st = reasm_get_stats(r);
		handshake(r, &EP, ISN_C, ISN_S, 1);
		for (uint32_t i = 1000; i-- > 1;)
			sendp(r, &EP, false, "PA", ISN_C + 1 + 20 * i, big + 20 * i, 20, 2);
		CHECK_EQ_U(st->ooo_drop_flow_cap, 0);
		CHECK_EQ_U(T.total_bytes[0], 0);
		sendp(r, &EP, false, "PA", ISN_C + 1, big, 20, 2);
		CHECK_EQ_U(T.total_bytes[0], 20000);
		CHECK_EQ_U(st->gaps, 0);
		CHECK_EQ_U(st->ooo_bytes_held, 0);
		/* the 4,097th such segment passes the cap: refused (the pool
		 * has room for more: 8 MiB of chunks, 8,192 segments) */
		done(r);
		c.max_ooo_bytes = 16u << 20;
		c.max_ooo_segments = 8192;
		r = mk(&c);
		st = reasm_get_stats(r);
		handshake(r, &EP, ISN_C, ISN_S, 1);
		for (uint32_t i = 1; i <= 4097 && i * 20 + 20 <= sizeof(big); i++)
			sendp(r, &EP, false, "PA", ISN_C + 1 + 20 * i, big + 20 * i, 20, 2);
		CHECK_EQ_U(st->ooo_drop_flow_cap, 1);
		done(r);
	}
	/* a segment bigger than the per-flow cap */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r;

		c.max_ooo_bytes_per_flow = 4096;
		r = mk(&c);
		handshake(r, &EP, ISN_C, ISN_S, 1);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 100, big + 100, 60000, 2);
		CHECK_EQ_U(reasm_get_stats(r)->ooo_drop_flow_cap, 1);
		CHECK_EQ_U(T.recs[0].gap_bytes[0], 100);
		CHECK_EQ_U(T.total_bytes[0], 60000);
		done(r);
	}
	/* global cap: one flow holds the pool, another must skip its hole */
	{
		struct reasm_config c = small_cfg();
		struct ep e2 = EP;
		struct reasm *r;
		const struct reasm_stats *st;

		c.max_ooo_bytes = 4096;
		r = mk(&c);
		st = reasm_get_stats(r);
		e2.cport = 40001;
		handshake(r, &EP, ISN_C, ISN_S, 1);
		handshake(r, &e2, ISN_C, ISN_S, 1);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 10, big, 3000, 2);
		CHECK_EQ_U(st->ooo_bytes_held, 4096);
		sendp(r, &e2, false, "PA", ISN_C + 1 + 10, big, 100, 2);
		CHECK_EQ_U(st->ooo_drop_total_cap, 1);
		CHECK_EQ_U(st->ooo_drop_flow_cap, 0);
		CHECK_STR(T.recs[0].log, "gap0:10 0:abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
			  "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv");
		sendp(r, &EP, false, "PA", ISN_C + 1, big, 10, 3);
		CHECK_EQ_U(T.total_bytes[0], 3110);
		CHECK_EQ_U(st->ooo_bytes_peak, 4096);
		done(r);
	}
	/* out of descriptors */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r;
		const struct reasm_stats *st;

		c.max_ooo_segments = 1;
		r = mk(&c);
		st = reasm_get_stats(r);
		handshake(r, &EP, ISN_C, ISN_S, 1);
		cdata(r, 4, "ef");
		cdata(r, 8, "ij");
		CHECK_EQ_U(st->ooo_drop_total_cap, 1);
		CHECK_STR(T.recs[0].log, "gap0:4 0:ef gap0:2 0:ij");
		done(r);
	}
	/* no reordering memory at all: every hole is skipped at once */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r;

		c.max_ooo_bytes = 0;
		c.max_ooo_segments = 0;
		r = mk(&c);
		handshake(r, &EP, ISN_C, ISN_S, 1);
		cdata(r, 1, "b");
		cdata(r, 0, "a");
		CHECK_STR(T.recs[0].log, "gap0:1 0:b");
		CHECK_EQ_U(reasm_get_stats(r)->ooo_drop_total_cap, 1);
		done(r);
	}
	/* a 64 KiB super-segment held out of order, chunked and delivered */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r;
		const struct reasm_stats *st;

		r = mk(&c);
		st = reasm_get_stats(r);
		handshake(r, &EP, ISN_C, ISN_S, 1);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 1000, big + 1000, 65535, 2);
		CHECK_EQ_U(st->segs_ooo, 1);
		CHECK_EQ_U(st->ooo_bytes_held, 32 * 2048);
		sendp(r, &EP, false, "PA", ISN_C + 1, big, 1000, 3);
		CHECK_EQ_U(T.total_bytes[0], 66535);
		CHECK_EQ_U(T.recs[0].n, 2 + 66535);
		CHECK_MEM(T.recs[0].log + 2, 66535, big, 66535);
		CHECK_EQ_U(st->ooo_bytes_held, 0);
		done(r);
	}
}

static void test_eviction(void)
{
	struct reasm_config c = small_cfg();
	struct ep e[5];

	for (int i = 0; i < 5; i++) {
		e[i] = EP;
		e[i].cport = (uint16_t)(41000 + i);
	}
	/* all established: the least recently used goes */
	{
		struct reasm *r;
		const struct reasm_stats *st;

		c.max_flows = 3;
		r = mk(&c);
		st = reasm_get_stats(r);
		for (int i = 0; i < 4; i++)
			sendp(r, &e[i], false, "PA", 100, "x", 1, (uint64_t)(10 + i));
		CHECK_EQ_U(st->flows_evicted, 1);
		CHECK_STR(T.recs[0].log, "0:x eof0 eof1 end:evicted");
		CHECK_EQ_U(st->flows_active, 3);
		/* flow 1 was touched last-but-one... touch flow 2 (e[1]) */
		sendp(r, &e[1], false, "PA", 101, "y", 1, 20);
		sendp(r, &e[4], false, "PA", 100, "z", 1, 21);
		CHECK_STR(T.recs[2].log, "0:x eof0 eof1 end:evicted");
		CHECK(!T.recs[1].ended);
		CHECK_EQ_U(st->flows_evicted, 2);
		/* an evicted flow's next packet starts a new one */
		sendp(r, &e[0], false, "PA", 101, "w", 1, 22);
		CHECK_EQ_U(T.new_calls, 6);
		done(r);
	}
	/* half-open flows go before established ones (they would time out
	 * sooner), held data is delivered with gaps first */
	{
		struct reasm *r;

		c.max_flows = 2;
		r = mk(&c);
		sendp(r, &e[0], false, "PA", 100, "a", 1, 1);
		sendp(r, &e[0], false, "PA", 103, "d", 1, 1);
		sendp(r, &e[1], false, "S", 500, NULL, 0, 2 * S_US);
		sendp(r, &e[2], false, "PA", 100, "b", 1, 3 * S_US);
		CHECK_EQ_U(reasm_get_stats(r)->flows_evicted, 1);
		CHECK_EQ_U(T.recs[0].ended, false);
		CHECK_EQ_U(T.nrecs, 3);
		CHECK_STR(T.recs[1].log, "eof0 eof1 end:evicted");
		CHECK_EQ_U(T.recs[1].state_at_end, FLOW_STATE_NEW);
		sendp(r, &e[3], false, "PA", 100, "c", 1, 4 * S_US);
		CHECK_STR(T.recs[0].log, "0:a gap0:2 0:d eof0 eof1 end:evicted");
		done(r);
	}
	/* no pool at all */
	{
		struct reasm *r;

		c.max_flows = 0;
		r = mk(&c);
		sendp(r, &e[0], false, "PA", 100, "a", 1, 1);
		CHECK_EQ_U(reasm_get_stats(r)->flows_no_memory, 1);
		CHECK_EQ_U(reasm_get_stats(r)->flows_created, 0);
		done(r);
	}
}

static void test_timeouts(void)
{
	struct reasm_config c = small_cfg();
	struct ep e1 = EP, e2 = EP;
	struct reasm *r;
	const struct reasm_stats *st;

	c.timeout_new_us = 10 * S_US;
	c.timeout_established_us = 100 * S_US;
	c.timeout_closed_us = 5 * S_US;
	r = mk(&c);
	st = reasm_get_stats(r);
	e2.cport = 40001;
	sendp(r, &e1, false, "S", ISN_C, NULL, 0, 0);
	handshake(r, &e2, ISN_C, ISN_S, 0);
	sendp(r, &e2, false, "PA", ISN_C + 1, "ab", 2, 0);
	sendp(r, &e2, false, "PA", ISN_C + 5, "ef", 2, 0);
	reasm_expire(r, 10 * S_US - 1);
	CHECK_EQ_U(st->flows_timeout, 0);
	reasm_expire(r, 10 * S_US);
	CHECK_EQ_U(st->flows_timeout, 1);
	CHECK_STR(T.recs[1].log, "eof0 eof1 end:timeout");
	CHECK_EQ_U(T.recs[1].state_at_end, FLOW_STATE_NEW);
	/* a packet at 50 s keeps the other alive; one with an older time
	 * counts as "now" */
	sendp(r, &e2, true, "A", ISN_S + 1, NULL, 0, 50 * S_US);
	sendp(r, &e2, true, "A", ISN_S + 1, NULL, 0, 20 * S_US);
	reasm_expire(r, 149 * S_US);
	CHECK(!T.recs[0].ended);
	reasm_expire(r, 150 * S_US);
	CHECK_STR(T.recs[0].log, "0:ab gap0:2 0:ef eof0 eof1 end:timeout");
	CHECK_EQ_U(st->flows_timeout, 2);
	/* expire with an old time changes nothing */
	reasm_expire(r, 0);
	done(r);
	/* closed flows linger for the closed timeout, whatever the others */
	r = mk(&c);
	st = reasm_get_stats(r);
	handshake(r, &e1, ISN_C, ISN_S, 0);
	sendp(r, &e1, false, "FA", ISN_C + 1, NULL, 0, 0);
	sendp(r, &e1, true, "FA", ISN_S + 1, NULL, 0, 0);
	reasm_expire(r, 5 * S_US - 1);
	CHECK_EQ_U(st->flows_closed, 0);
	reasm_expire(r, 5 * S_US);
	CHECK_EQ_U(st->flows_closed, 1);
	CHECK_STR(T.recs[0].log, "eof0 eof1 end:closed");
	done(r);
}

/* A flow made by bare ACKs only (stragglers of an expired connection)
 * times out on the short timeout; once it carries data, the long one. */
static void test_straggler_ack(void)
{
	struct reasm_config c = small_cfg();
	struct ep e2 = EP;
	struct reasm *r;
	const struct reasm_stats *st;

	c.timeout_new_us = 10 * S_US;
	c.timeout_established_us = 100 * S_US;
	r = mk(&c);
	st = reasm_get_stats(r);
	e2.cport = 40001;
	cli(r, "A", 500, NULL, 0);
	sendp(r, &e2, false, "A", 500, NULL, 0, 0);
	sendp(r, &e2, false, "PA", 500, "x", 1, 1);
	CHECK_EQ_U(st->flows_created, 2);
	reasm_expire(r, 10 * S_US);
	CHECK_EQ_U(st->flows_timeout, 1);
	CHECK_STR(T.recs[1].log, "eof0 eof1 end:timeout");
	reasm_expire(r, 100 * S_US);
	CHECK_EQ_U(st->flows_timeout, 1);
	reasm_expire(r, 101 * S_US);
	CHECK_STR(T.recs[0].log, "0:x eof0 eof1 end:timeout");
	done(r);
}

static void test_port_reuse(void)
{
	struct reasm_config c = small_cfg();
	struct reasm *r = mk(&c);
	const struct reasm_stats *st = reasm_get_stats(r);

	handshake(r, &EP, ISN_C, ISN_S, 1);
	cdata(r, 0, "one");
	cli(r, "FA", ISN_C + 4, NULL, 2);
	srv(r, "FA", ISN_S + 1, NULL, 2);
	/* a retransmitted SYN-ACK and a late FIN change nothing */
	srv(r, "SA", ISN_S, NULL, 3);
	CHECK_EQ_U(st->flows_created, 1);
	/* new SYN on the closed flow: the old ends, a new one starts */
	handshake(r, &EP, 90000, 70000, 4);
	sendp(r, &EP, false, "PA", 90001, "two", 3, 5);
	CHECK_STR(T.recs[0].log, "0:one eof0 eof1 end:closed");
	CHECK_STR(T.recs[1].log, "0:two");
	CHECK(T.recs[1].id != T.recs[0].id);
	CHECK_EQ_U(st->flows_created, 2);
	CHECK_EQ_U(st->flows_closed, 1);
	CHECK_EQ_U(T.new_calls, 2);
	/* a SYN with another ISN on an established flow: counted, and the
	 * connection stands (the server answers it with a challenge ACK, RFC
	 * 5961 section 4) */
	cli(r, "S", 123456, NULL, 6);
	CHECK_EQ_U(st->syn_on_established, 1);
	CHECK_STR(T.recs[1].an, "tcp_syn_on_established:0");
	/* the same SYN again (retransmission): not counted */
	cli(r, "S", 90000, NULL, 6);
	CHECK_EQ_U(st->syn_on_established, 1);
	sendp(r, &EP, false, "PA", 90004, "!", 1, 7);
	CHECK_STR(T.recs[1].log, "0:two!");
	/* a SYN-ACK that acknowledges something else confirms nothing */
	{
		struct pk sa = { "SA", 33333, 999, 65535, NULL, 0, 0, 0, 0 };

		send_pk(r, &EP, true, &sa, 8);
		CHECK_EQ_U(st->flows_created, 2);
	}
	/* the server answers the new SYN: the old connection ended without
	 * our seeing it, the new one starts with that SYN and this SYN-ACK */
	{
		struct pk sa = { "SA", 33333, 123457, 65535, NULL, 0, 0, 0, 0 };

		send_pk(r, &EP, true, &sa, 9);
		CHECK_EQ_U(st->flows_created, 3);
		CHECK_EQ_U(st->port_reuse, 2);
		CHECK_STR(T.recs[1].log, "0:two! eof0 eof1 end:closed");
		sendp(r, &EP, false, "PA", 123457, "three", 5, 10);
		sendp(r, &EP, true, "PA", 33334, "ok", 2, 10);
		CHECK_STR(T.recs[2].log, "0:three 1:ok");
		CHECK(T.recs[2].fp && !T.recs[2].fp->midstream);
		CHECK_EQ_U(T.recs[2].fp ? T.recs[2].fp->client_port : 0, 40000);
	}
	/* on a closed flow, the old SYN once more is a retransmission */
	cli(r, "FA", ISN_C, NULL, 11);  /* (not in the window: ignored) */
	sendp(r, &EP, false, "FA", 123457 + 5, NULL, 0, 11);
	sendp(r, &EP, true, "FA", 33334 + 2, NULL, 0, 11);
	CHECK(T.recs[2].fp && T.recs[2].fp->state == FLOW_STATE_CLOSED);
	cli(r, "S", 123456, NULL, 12);
	CHECK_EQ_U(st->flows_created, 3);
	cli(r, "S", 123000, NULL, 12);
	CHECK_EQ_U(st->flows_created, 4);
	CHECK_EQ_U(st->port_reuse, 3);
	done(r);
}

static void test_refused(void)
{
	struct reasm_config c = small_cfg();
	struct reasm *r = mk(&c);
	const struct reasm_stats *st = reasm_get_stats(r);

	T.refuse = true;
	cli(r, "PA", 100, "a", 1);
	cli(r, "PA", 101, "b", 2);
	CHECK_EQ_U(T.new_calls, 2);
	CHECK_EQ_U(st->flows_refused, 2);
	CHECK_EQ_U(st->flows_created, 0);
	CHECK_EQ_U(st->pkts, 0);
	CHECK_EQ_U(T.nrecs, 0);
	T.refuse = false;
	cli(r, "PA", 102, "c", 3);
	CHECK_EQ_U(st->flows_created, 1);
	CHECK_EQ_U(st->midstream, 1);
	reasm_flush_all(r);
	CHECK_STR(T.recs[0].log, "0:c eof0 eof1 end:shutdown");
	done(r);
}

/* Directions come from flow_new, both ways; IPv6 endpoints. */
static void test_direction(void)
{
	struct reasm_config c = small_cfg();
	struct reasm *r = mk(&c);
	struct ep e6 = { "v6:1", "v6:2", 2525, 25 };

	/* first packet from the server: flow_new says "not from client" */
	sendp(r, &e6, true, "PA", 50, "220 hi;", 7, 1);
	sendp(r, &e6, false, "PA", 80, "ehlo;", 5, 2);
	CHECK_STR(T.recs[0].log, "1:220 hi; 0:ehlo;");
	CHECK(T.recs[0].fp && T.recs[0].fp->client_port == 2525);
	CHECK(T.recs[0].fp->ip_version == 6);
	CHECK_EQ_U(T.new_calls, 1);
	done(r);
}

static void test_flow_ids(void)
{
	struct reasm_config c = small_cfg();
	struct reasm *r;
	uint64_t seen[40];

	c.worker_id = 200;
	c.max_flows = 4;
	r = mk(&c);
	for (int i = 0; i < 40; i++) {
		struct ep e = EP;

		e.cport = (uint16_t)(50000 + i);
		sendp(r, &e, false, "PA", 1, "x", 1, (uint64_t)i);
	}
	reasm_flush_all(r);
	for (int i = 0; i < 40; i++) {
		const struct rec *x = &T.recs[i];

		seen[i] = x->id;
		CHECK(x->id != 0);
		CHECK(x->id < (UINT64_C(1) << 53));
		CHECK_EQ_U(x->id >> 45, 200);
		for (int k = 0; k < i; k++)
			CHECK(seen[k] != x->id);
	}
	done(r);
}

/* Many flows in and out of the table: every remaining one must still be
 * found from both directions (backward-shift deletion keeps probe runs
 * intact). */
static void test_table_churn(void)
{
	enum { N = 3000 };
	struct reasm_config c = small_cfg();
	struct reasm *r;
	const struct reasm_stats *st;
	struct ep e = { "0.0.0.0", "192.0.2.25", 0, 25 };
	char ca[32];

	c.max_flows = N;
	c.timeout_closed_us = 1;
	r = mk(&c);
	st = reasm_get_stats(r);
	e.caddr = ca;
	for (int i = 0; i < N; i++) {
		snprintf(ca, sizeof(ca), "10.%d.%d.1", i / 200, i % 200);
		e.cport = (uint16_t)(1024 + i % 7);
		sendp(r, &e, false, "S", 1, NULL, 0, 1);
	}
	CHECK_EQ_U(st->flows_active, N);
	for (int i = 0; i < N; i += 2) {
		struct pk rst = { "RA", 0, 2, 0, NULL, 0, 0, 0, 0 };     /* acks the SYN */

		snprintf(ca, sizeof(ca), "10.%d.%d.1", i / 200, i % 200);
		e.cport = (uint16_t)(1024 + i % 7);
		send_pk(r, &e, true, &rst, 2);
	}
	reasm_expire(r, 10);
	CHECK_EQ_U(st->flows_active, N / 2);
	CHECK_EQ_U(T.new_calls, N);
	for (int round = 0; round < 2; round++)
		for (int i = 1; i < N; i += 2) {
			snprintf(ca, sizeof(ca), "10.%d.%d.1", i / 200, i % 200);
			e.cport = (uint16_t)(1024 + i % 7);
			sendp(r, &e, round == 0, "SA", 7, NULL, 0, 20);
		}
	CHECK_EQ_U(T.new_calls, N);
	CHECK_EQ_U(st->flows_created, N);
	done(r);
}

static void test_create_args(void)
{
	struct reasm_config c = small_cfg();
	struct reasm_ops bad = ops;
	struct reasm *r;

	bad.gap = NULL;
	CHECK(reasm_create(&c, &bad, NULL) == NULL);
	CHECK(reasm_create(NULL, &ops, NULL) == NULL);
	r = reasm_create(&c, &ops, &T);
	CHECK(r != NULL);
	CHECK(reasm_memory(r) > c.max_ooo_bytes);
	reasm_flush_all(r);
	reasm_destroy(r);
	reasm_destroy(NULL);
}


/* ---- target-based policies ----------------------------------------- */

static const char *const all_policies[REASM_POLICY_COUNT] = {
	"first", "last", "linux", "old-linux", "bsd", "bsd-right", "macos", "windows",
	"windows2k3", "vista", "solaris", "hpux10", "hpux11", "irix",
};

static void test_policy_names(void)
{
	for (int i = 0; i < REASM_POLICY_COUNT; i++) {
		CHECK_EQ_U(reasm_policy_parse(all_policies[i]), i);
		CHECK_STR(reasm_policy_name(i), all_policies[i]);
	}
	CHECK_EQ_U(reasm_policy_parse("Old_Linux"), REASM_POLICY_OLD_LINUX);
	CHECK_EQ_U(reasm_policy_parse("WINDOWS"), REASM_POLICY_WINDOWS);
	CHECK_EQ_U(reasm_policy_parse("win_2003"), REASM_POLICY_WINDOWS2K3);
	CHECK_EQ_U(reasm_policy_parse("hpux"), REASM_POLICY_HPUX11);
	CHECK(reasm_policy_parse("linu") == -1);
	CHECK(reasm_policy_parse("linuxx") == -1);
	CHECK(reasm_policy_parse("") == -1);
	CHECK(reasm_policy_parse(NULL) == -1);
	CHECK(reasm_policy_name(-1) == NULL);
	CHECK(reasm_policy_name(REASM_POLICY_COUNT) == NULL);
	CHECK_EQ_U(reasm_urgent_policy_parse("oob"), REASM_URGENT_OOB);
	CHECK_EQ_U(reasm_urgent_policy_parse("gap"), REASM_URGENT_GAP);
	CHECK_STR(reasm_urgent_policy_name(REASM_URGENT_INLINE), "inline");
	CHECK(reasm_urgent_policy_parse("drop") == -1);
	CHECK(reasm_urgent_policy_name(3) == NULL);
	CHECK_EQ_U(reasm_window_policy_parse("drop"), REASM_WINDOW_DROP);
	CHECK_STR(reasm_window_policy_name(REASM_WINDOW_IGNORE), "ignore");
	CHECK(reasm_window_policy_parse("count") == -1);
}

static void test_policy_nets(void)
{
	struct reasm_config c;
	struct mt_addr a;
	struct reasm *r;

	reasm_config_default(&c);
	parse_addr("10.1.2.0", &a);
	CHECK_EQ_U(reasm_config_add_policy(&c, &a, 24, REASM_POLICY_LINUX), 0);
	parse_addr("10.1.99.99", &a);           /* host bits ignored */
	CHECK_EQ_U(reasm_config_add_policy(&c, &a, 16, REASM_POLICY_WINDOWS), 0);
	parse_addr("v6:0", &a);
	CHECK_EQ_U(reasm_config_add_policy(&c, &a, 32, REASM_POLICY_SOLARIS), 0);
	CHECK_EQ_U(reasm_config_add_policy(&c, &a, 129, REASM_POLICY_LAST), -EINVAL);
	parse_addr("10.1.2.3", &a);
	CHECK_EQ_U(reasm_config_add_policy(&c, &a, 33, REASM_POLICY_LAST), -EINVAL);
	CHECK_EQ_U(reasm_config_add_policy(&c, &a, 8, REASM_POLICY_COUNT), -EINVAL);
	CHECK_EQ_U(reasm_config_add_policy(&c, &a, 8, -1), -EINVAL);
	CHECK_EQ_U(c.n_policy_nets, 3);
	CHECK_EQ_U(reasm_config_policy_for(&c, &a), REASM_POLICY_LINUX);    /* /24 beats /16 */
	parse_addr("10.1.3.3", &a);
	CHECK_EQ_U(reasm_config_policy_for(&c, &a), REASM_POLICY_WINDOWS);
	parse_addr("10.2.0.1", &a);
	CHECK_EQ_U(reasm_config_policy_for(&c, &a), REASM_POLICY_BSD);      /* the default */
	parse_addr("v6:77", &a);
	CHECK_EQ_U(reasm_config_policy_for(&c, &a), REASM_POLICY_SOLARIS);
	/* an IPv4 /0 is every IPv4 address, and no IPv6 one */
	parse_addr("0.0.0.0", &a);
	CHECK_EQ_U(reasm_config_add_policy(&c, &a, 0, REASM_POLICY_IRIX), 0);
	parse_addr("192.0.2.1", &a);
	CHECK_EQ_U(reasm_config_policy_for(&c, &a), REASM_POLICY_IRIX);
	a.b[10] = 0;
	CHECK_EQ_U(reasm_config_policy_for(&c, &a), REASM_POLICY_BSD);
	/* the same net again replaces its policy */
	parse_addr("10.1.2.77", &a);
	CHECK_EQ_U(reasm_config_add_policy(&c, &a, 24, REASM_POLICY_HPUX10), 0);
	CHECK_EQ_U(c.n_policy_nets, 4);
	CHECK_EQ_U(reasm_config_policy_for(&c, &a), REASM_POLICY_HPUX10);
	/* the table is bounded */
	for (int i = 0; i < REASM_MAX_POLICY_NETS - 4; i++) {
		char t[32];

		snprintf(t, sizeof(t), "172.16.%d.0", i);
		parse_addr(t, &a);
		CHECK_EQ_U(reasm_config_add_policy(&c, &a, 24, REASM_POLICY_LAST), 0);
	}
	parse_addr("172.31.0.0", &a);
	CHECK_EQ_U(reasm_config_add_policy(&c, &a, 16, REASM_POLICY_LAST), -ENOSPC);
	CHECK_EQ_U(c.n_policy_nets, REASM_MAX_POLICY_NETS);

	/* flows take their server's policy, and their client's for the
	 * stream the client receives */
	reasm_config_default(&c);
	c.max_flows = 8;
	parse_addr("10.0.0.2", &a);
	reasm_config_add_policy(&c, &a, 32, REASM_POLICY_FIRST);
	parse_addr("10.0.0.1", &a);
	reasm_config_add_policy(&c, &a, 32, REASM_POLICY_LAST);
	r = mk(&c);
	handshake(r, &EP, ISN_C, ISN_S, 1);
	cdata(r, 3, "DEF");
	cdata(r, 0, "abcdef");                  /* first: the queued copy */
	srv(r, "PA", ISN_S + 1 + 3, "DEF", 1);
	srv(r, "PA", ISN_S + 1, "abcdef", 1);   /* last (the client): the new one */
	CHECK_STR(T.recs[0].log, "0:abcDEF 1:abcdef");
	CHECK_EQ_U(T.recs[0].fp ? T.recs[0].fp->policy : 99, REASM_POLICY_FIRST);
	done(r);
	/* a config out of range is refused */
	reasm_config_default(&c);
	c.policy_default = REASM_POLICY_COUNT;
	CHECK(reasm_create(&c, &ops, &T) == NULL);
	reasm_config_default(&c);
	c.urgent_policy = 9;
	CHECK(reasm_create(&c, &ops, &T) == NULL);
	reasm_config_default(&c);
	c.n_policy_nets = REASM_MAX_POLICY_NETS + 1;
	CHECK(reasm_create(&c, &ops, &T) == NULL);
}

/* Novak & Sturges' test: segments sent in this order (sequence numbers,
 * ISN 10), the hole at 11 filled last. The expected streams are the ones
 * Suricata's unit tests give for bsd, vista, linux, old-linux, solaris and
 * last (its stream-tcp-reassemble.c tests 4 to 24). */
static const struct {
	uint32_t seq;
	const char *b;
} novak[] = {
	{ 12, "AAA" }, { 16, "BB" }, { 18, "CCC" }, { 22, "D" }, { 25, "EE" }, { 27, "FFF" },
	{ 30, "GG" }, { 32, "HH" }, { 34, "I" }, { 13, "JJJJ" }, { 18, "KKK" }, { 21, "LLL" },
	{ 24, "MMM" }, { 28, "N" }, { 31, "O" }, { 32, "P" }, { 34, "QQ" }, { 11, "0" },
};

/* The groups of reasm.h's table and what each gives. */
enum { G_FIRST, G_LAST, G_LINUX, G_OLD_LINUX, G_BSD, G_SOLARIS };

static const uint8_t policy_group[REASM_POLICY_COUNT] = {
	[REASM_POLICY_FIRST] = G_FIRST, [REASM_POLICY_LAST] = G_LAST,
	[REASM_POLICY_LINUX] = G_LINUX, [REASM_POLICY_OLD_LINUX] = G_OLD_LINUX,
	[REASM_POLICY_BSD] = G_BSD, [REASM_POLICY_BSD_RIGHT] = G_FIRST,
	[REASM_POLICY_MACOS] = G_BSD, [REASM_POLICY_WINDOWS] = G_BSD,
	[REASM_POLICY_WINDOWS2K3] = G_BSD, [REASM_POLICY_VISTA] = G_FIRST,
	[REASM_POLICY_SOLARIS] = G_SOLARIS, [REASM_POLICY_HPUX10] = G_LINUX,
	[REASM_POLICY_HPUX11] = G_SOLARIS, [REASM_POLICY_IRIX] = G_LINUX,
};

static void test_policy_novak(void)
{
	static const char *const queued[] = {
		[G_FIRST] = "0AAAJBBCCCLDLMEEFFFGGHHIQ",
		[G_LAST] = "0AJJJJBKKKLLLMMMFNFGOPHQQ",
		[G_LINUX] = "0AAAJJBCCCLLLMMMFFFGGHHQQ",
		[G_OLD_LINUX] = "0AAAJJBKKKLLLMMMFFFGGHHQQ",
		[G_BSD] = "0AAAJJBCCCLLLMMMFFFGGHHIQ",
		[G_SOLARIS] = "0AJJJBBKKKLLLMMMFFFGGHHQQ",
	};
	/* The same segments with the "0" first: AAA and much else go out in
	 * order at once, and later copies of them cannot change them (worked
	 * out with a byte-level model of the table, independent of this code). */
	static const char *const zero_first[] = {
		[G_FIRST] = "0AAAJBBCCCLDLMEEFFFGGHHIQ",
		[G_LAST] = "0AAAJJBCCCLLLMMMFFFGGHHIQ",
		[G_LINUX] = "0AAAJJBCCCLLLMMMFFFGGHHIQ",
		[G_OLD_LINUX] = "0AAAJJBCCCLLLMMMFFFGGHHIQ",
		[G_BSD] = "0AAAJJBCCCLLLMMMFFFGGHHIQ",
		[G_SOLARIS] = "0AAAJBBCCCLLLMMMFFFGGHHIQ",
	};
	const size_t n = sizeof(novak) / sizeof(novak[0]);

	for (int pol = 0; pol < REASM_POLICY_COUNT; pol++) {
		for (int zf = 0; zf < 2; zf++) {
			struct reasm_config c = small_cfg();
			struct reasm *r;
			char want[80];

			c.policy_default = (uint8_t)pol;
			r = mk(&c);
			handshake(r, &EP, 10, 500, 1);
			for (size_t i = 0; i < n; i++) {
				size_t k = zf ? (i + n - 1) % n : i;

				cli(r, "PA", novak[k].seq, novak[k].b, 2);
			}
			snprintf(want, sizeof(want), "0:%s",
				 (zf ? zero_first : queued)[policy_group[pol]]);
			if (strcmp(T.recs[0].log, want) != 0)
				fprintf(stderr, "novak %s%s\n", all_policies[pol],
					zf ? " (0 first)" : "");
			CHECK_STR(T.recs[0].log, want);
			CHECK_STR(T.recs[0].an, "tcp_overlap_different:0");
			CHECK_EQ_U(T.recs[0].fp ? T.recs[0].fp->policy : 99, pol);
			done(r);
		}
	}
}

/* Each row of reasm.h's table, one at a time: O is queued, then N comes
 * (out of order: a hole before both), then the hole is filled. "N"/"O"
 * per group says whose bytes the overlap keeps, in the order of cases. */
static void test_policy_cases(void)
{
	static const struct {
		const char *name;
		uint32_t o_off;
		const char *o;
		uint32_t n_off;
		const char *n;
		const char *if_new, *if_old;
	} cases[] = {
		{ "N starts before O, ends inside", 3, "oooo", 1, "nnnn", "0nnnnoo", "0nnoooo" },
		{ "N starts before O, covers it", 3, "oo", 1, "nnnnnn", "0nnnnnn", "0nnoonn" },
		{ "N starts with O, ends before", 2, "oooo", 2, "nn", "01nnoo", "01oooo" },
		{ "N starts and ends with O", 2, "ooo", 2, "nnn", "01nnn", "01ooo" },
		{ "N starts with O, ends after", 2, "oo", 2, "nnnn", "01nnnn", "01oonn" },
		{ "N inside O", 2, "ooooo", 3, "nn", "01onnoo", "01ooooo" },
		{ "N starts inside O, ends after", 2, "ooo", 3, "nnnn", "01onnnn", "01ooonn" },
	};
	static const char *const wins[] = {
		[G_FIRST] = "OOOOOOO", [G_LAST] = "NNNNNNN", [G_LINUX] = "NNOONOO",
		[G_OLD_LINUX] = "NNONNOO", [G_BSD] = "NNOOOOO", [G_SOLARIS] = "ONONNON",
	};

	for (int pol = 0; pol < REASM_POLICY_COUNT; pol++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			/* queued path, and (when N can start at nxt) in order */
			for (int in_order = 0; in_order < 2; in_order++) {
				struct reasm_config c = small_cfg();
				const char *fill = "01";
				uint32_t lo = cases[i].o_off < cases[i].n_off ? cases[i].o_off
									     : cases[i].n_off;
				bool n_new = wins[policy_group[pol]][i] == 'N';
				const char *want = n_new ? cases[i].if_new : cases[i].if_old;
				struct reasm *r;
				char buf[16], wantlog[32];

				if (in_order && cases[i].n_off >= cases[i].o_off)
					continue;
				c.policy_default = (uint8_t)pol;
				r = mk(&c);
				handshake(r, &EP, ISN_C, ISN_S, 1);
				snprintf(buf, sizeof(buf), "%.*s", (int)lo, fill);
				if (in_order)
					cdata(r, 0, buf);
				cdata(r, cases[i].o_off, cases[i].o);
				cdata(r, cases[i].n_off, cases[i].n);
				if (!in_order)
					cdata(r, 0, buf);
				snprintf(wantlog, sizeof(wantlog), "0:%s", want);
				if (strcmp(T.recs[0].log, wantlog) != 0)
					fprintf(stderr, "case \"%s\" %s%s: %s\n", cases[i].name,
						all_policies[pol], in_order ? " in order" : "",
						T.recs[0].log);
				CHECK_STR(T.recs[0].log, wantlog);
				CHECK_EQ_U(reasm_get_stats(r)->overlaps_replaced, n_new ? 1 : 0);
				CHECK_STR(T.recs[0].an, "tcp_overlap_different:0");
				done(r);
			}
		}
	}
}


/* Random segment sets against a byte-level model of reasm.h's table: each
 * stream byte remembers the first segment that brought it (its range as
 * sent); a later copy replaces it where the policy says "new" against that
 * range; delivered bytes never change; at the end, what is held goes out
 * with a gap before each hole. */
struct rseg {
	int off, len;
	char c;                 /* its bytes: c, or the true stream if 0 */
};

static const char rstream[] = "The quick brown fox jumps over the lazy dog, twice!";

static bool model_new_wins(int pol, int ns, int ne, int os, int oe)
{
	static const char *const wins[] = {
		[G_FIRST] = "OOOOOOO", [G_LAST] = "NNNNNNN", [G_LINUX] = "NNOONOO",
		[G_OLD_LINUX] = "NNONNOO", [G_BSD] = "NNOOOOO", [G_SOLARIS] = "ONONNON",
	};
	int row = ns < os ? (ne < oe ? 0 : 1) : ns == os ? (ne < oe ? 2 : ne == oe ? 3 : 4)
					   : (ne <= oe ? 5 : 6);

	return wins[policy_group[pol]][row] == 'N';
}

static void model_log(int pol, const struct rseg *sg, int n, char *log, size_t cap)
{
	char b[64];
	bool have[64] = { false };
	int olo[64], ohi[64], nxt = 0, last = -1;       /* last: 0 data, 1 gap */
	size_t w = 0;

	log[0] = '\0';
	for (int k = 0; k < n; k++) {
		int s0 = sg[k].off, e0 = s0 + sg[k].len;

		for (int p = s0; p < e0; p++) {
			char c = sg[k].c ? sg[k].c : rstream[p];

			if (p < nxt)
				continue;
			if (!have[p]) {
				have[p] = true;
				b[p] = c;
				olo[p] = s0;
				ohi[p] = e0;
			} else if (model_new_wins(pol, s0, e0, olo[p], ohi[p])) {
				b[p] = c;
			}
		}
		while (nxt < 64 && have[nxt]) {
			if (last != 0)
				w += (size_t)snprintf(log + w, cap - w, "%s0:", w ? " " : "");
			w += (size_t)snprintf(log + w, cap - w, "%c", b[nxt]);
			last = 0;
			nxt++;
		}
	}
	for (int p = nxt; p < 64; p++) {
		if (!have[p])
			continue;
		if (p > nxt)
			w += (size_t)snprintf(log + w, cap - w, "%sgap0:%d", w ? " " : "", p - nxt);
		w += (size_t)snprintf(log + w, cap - w, "%s0:", w ? " " : "");
		while (p < 64 && have[p])
			w += (size_t)snprintf(log + w, cap - w, "%c", b[p++]);
		nxt = p;
	}
	snprintf(log + w, cap - w, "%seof0 eof1 end:shutdown", w ? " " : "");
}

static void test_policy_random(void)
{
	struct pcapw_rng_ {
		uint64_t s;
	} rng = { 12345 };
	int bad = 0, runs = 0;

	for (int round = 0; round < 400; round++) {
		struct rseg sg[8];
		int n = 2 + (int)((rng.s = rng.s * 6364136223846793005ull + 1442695040888963407ull) >> 60) % 6;

		for (int k = 0; k < n; k++) {
			uint64_t x = (rng.s = rng.s * 6364136223846793005ull + 1442695040888963407ull) >> 16;

			sg[k].off = (int)(x % 30);
			sg[k].len = 1 + (int)((x >> 8) % 14);
			sg[k].c = (x >> 16) % 2 ? (char)('A' + k) : 0;
		}
		for (int pol = 0; pol < REASM_POLICY_COUNT; pol++) {
			struct reasm_config c = small_cfg();
			struct reasm *r;
			char want[256];

			c.policy_default = (uint8_t)pol;
			r = mk(&c);
			handshake(r, &EP, ISN_C, ISN_S, 1);
			for (int k = 0; k < n; k++) {
				char buf[16];

				for (int i = 0; i < sg[k].len; i++)
					buf[i] = sg[k].c ? sg[k].c : rstream[sg[k].off + i];
				sendp(r, &EP, false, "PA", ISN_C + 1 + (uint32_t)sg[k].off, buf,
				      (uint32_t)sg[k].len, 2);
			}
			reasm_flush_all(r);
			model_log(pol, sg, n, want, sizeof(want));
			if (strcmp(T.recs[0].log, want) != 0 && bad++ < 5) {
				fprintf(stderr, "random round %d %s:", round, all_policies[pol]);
				for (int k = 0; k < n; k++)
					fprintf(stderr, " [%d,%d)%c", sg[k].off, sg[k].off + sg[k].len,
						sg[k].c ? sg[k].c : '=');
				fprintf(stderr, "\n  got  %s\n  want %s\n", T.recs[0].log, want);
			}
			if (T.violations)
				bad++;
			reasm_destroy(r);
			runs++;
		}
	}
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(runs, 400 * REASM_POLICY_COUNT);
}

/* ---- TCP state ----------------------------------------------------- */

/* Client data at offset off with an ACK of the server's offset sack and a
 * window; the server's ACK of the client's offset cack. */
static void cdata_at(struct reasm *r, uint32_t off, const char *s, uint64_t t)
{
	struct pk k = { "PA", ISN_C + 1 + off, 0, 65535, s, (uint32_t)strlen(s), 0, 0, 0 };

	send_pk(r, &EP, false, &k, t);
}

static void srv_ack(struct reasm *r, uint32_t cack, uint16_t win, uint64_t t)
{
	struct pk k = { "A", ISN_S + 1, ISN_C + 1 + cack, win, NULL, 0, 0, 0, 0 };

	send_pk(r, &EP, true, &k, t);
}

/* A handshake that carries ACK numbers and windows (and window scale
 * options when ws is not 0), so windows are known. */
static void handshake_w(struct reasm *r, uint16_t win, uint8_t ws)
{
	struct pk syn = { "S", ISN_C, 0, 65535, NULL, 0, 0, 0, ws };
	struct pk synack = { "SA", ISN_S, ISN_C + 1, win, NULL, 0, 0, 0, ws };
	struct pk ack = { "A", ISN_C + 1, ISN_S + 1, 65535, NULL, 0, 0, 0, 0 };

	send_pk(r, &EP, false, &syn, 1);
	send_pk(r, &EP, true, &synack, 1);
	send_pk(r, &EP, false, &ack, 1);
}

static void test_rst_policies(void)
{
	/* The client sent 6 bytes, the server acknowledged 4 with a window
	 * of 100: its RCV.NXT lies in [4, 6], its window ends at 104. */
	static const struct {
		int64_t off;
		bool exact, window, after;
	} rows[] = {
		{ 3, false, false, false },
		{ 4, true, true, true },
		{ 5, true, true, true },
		{ 6, true, true, true },
		{ 7, false, true, true },
		{ 103, false, true, true },
		{ 104, false, false, true },
		{ 5000, false, false, true },
		{ -2000, false, false, false },
	};

	for (int pol = 0; pol < REASM_POLICY_COUNT; pol++) {
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			struct reasm_config c = small_cfg();
			struct pk rst = { "R", (uint32_t)(ISN_C + 1 + rows[i].off), 0, 0, NULL, 0, 0, 0, 0 };
			struct reasm *r;
			bool want;

			c.policy_default = (uint8_t)pol;
			r = mk(&c);
			handshake_w(r, 100, 0);
			cdata_at(r, 0, "abcdef", 2);
			srv_ack(r, 4, 100, 2);
			send_pk(r, &EP, false, &rst, 3);
			want = pol == REASM_POLICY_LINUX || pol == REASM_POLICY_OLD_LINUX ||
			       pol == REASM_POLICY_SOLARIS ? rows[i].window :
			       pol == REASM_POLICY_HPUX11 ? rows[i].after : rows[i].exact;
			if (reasm_get_stats(r)->rst != (want ? 1u : 0u))
				fprintf(stderr, "rst %s at %lld: believed %llu\n", all_policies[pol],
					(long long)rows[i].off,
					(unsigned long long)reasm_get_stats(r)->rst);
			CHECK_EQ_U(reasm_get_stats(r)->rst, want ? 1 : 0);
			CHECK_EQ_U(reasm_get_stats(r)->rst_invalid, want ? 0 : 1);
			CHECK_STR(T.recs[0].log, want ? "0:abcdef eof0 eof1" : "0:abcdef");
			CHECK_STR(T.recs[0].an, want ? "" : "tcp_rst_invalid:0");
			done(r);
		}
	}
	/* without a known window, "window" accepts REASM_RST_SLACK (1 MiB) */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r;

		c.policy_default = REASM_POLICY_LINUX;
		r = mk(&c);
		handshake(r, &EP, ISN_C, ISN_S, 1);
		cdata(r, 0, "ab");
		cli(r, "R", ISN_C + 3 + (1u << 20), NULL, 2);
		CHECK_EQ_U(reasm_get_stats(r)->rst_invalid, 1);
		cli(r, "R", ISN_C + 3 + (1u << 20) - 1, NULL, 2);
		CHECK_EQ_U(reasm_get_stats(r)->rst, 1);
		done(r);
	}
	/* after a FIN, its sequence number + 1 is the exact one */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk(&c);

		handshake(r, &EP, ISN_C, ISN_S, 1);
		cdata(r, 0, "ab");
		cli(r, "FA", ISN_C + 3, NULL, 2);
		cli(r, "R", ISN_C + 4, NULL, 3);
		CHECK_EQ_U(reasm_get_stats(r)->rst, 1);
		done(r);
	}
}

static void test_window_policies(void)
{
	static const struct {
		uint8_t policy;
		const char *log;
		unsigned exceeded, dropped;
		const char *an;
	} rows[] = {
		{ REASM_WINDOW_CHECK, "0:0123456789ABCDEFGHIJKLMN", 1, 0, "tcp_window_exceeded:0" },
		{ REASM_WINDOW_DROP, "0:0123456789ABCDEFGHIJKLM", 1, 3 + 1, "tcp_window_exceeded:0" },
		{ REASM_WINDOW_IGNORE, "0:0123456789ABCDEFGHIJKLMN", 0, 0, "" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct reasm_config c = small_cfg();
		struct reasm *r;
		const struct reasm_stats *st;

		c.window_policy = rows[i].policy;
		r = mk(&c);
		st = reasm_get_stats(r);
		handshake_w(r, 10, 0);                  /* the client may send 10 */
		cdata_at(r, 0, "0123456789", 2);        /* fills it exactly */
		CHECK_EQ_U(st->window_exceeded, 0);
		cdata_at(r, 10, "ABC", 2);              /* starts at the edge */
		CHECK_EQ_U(st->window_exceeded, rows[i].exceeded);
		srv_ack(r, 10, 13, 3);                  /* now up to 23 */
		cdata_at(r, 10, "ABCDEFGHIJKLMN", 4);   /* 1 byte past the edge */
		CHECK_EQ_U(st->window_exceeded, rows[i].exceeded);
		CHECK_EQ_U(st->window_bytes_dropped, rows[i].dropped);
		CHECK_STR(T.recs[0].log, rows[i].log);
		CHECK_STR(T.recs[0].an, rows[i].an);
		done(r);
	}
	/* window scale: both SYNs carry it; the SYN-ACK's own window is not
	 * scaled (RFC 7323 section 2.2) */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk(&c);
		const struct reasm_stats *st = reasm_get_stats(r);
		static char big[400];

		memset(big, 'x', sizeof(big) - 1);
		handshake_w(r, 100, 7);                 /* edge 100, not 12800 */
		cdata_at(r, 150, "late", 2);
		CHECK_EQ_U(st->window_exceeded, 1);
		srv_ack(r, 0, 2, 3);                    /* 2 << 7 = 256 */
		cdata_at(r, 0, big, 3);                 /* 399 bytes: past 256 */
		CHECK_EQ_U(st->window_exceeded, 1);     /* starts inside */
		cdata_at(r, 300, "z", 3);
		CHECK_EQ_U(st->window_exceeded, 2);
		done(r);
	}
	/* no window known (midstream, or one SYN without the other): no check */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk(&c);
		struct pk k = { "A", ISN_S + 1, ISN_C + 1, 0, NULL, 0, 0, 0, 0 };

		cdata(r, 0, "abc");
		send_pk(r, &EP, true, &k, 1);           /* window 0, but no SYNs */
		cdata(r, 3, "def");
		CHECK_EQ_U(reasm_get_stats(r)->window_exceeded, 0);
		CHECK_EQ_U(reasm_get_stats(r)->zero_window_probes, 0);
		CHECK_STR(T.recs[0].log, "0:abcdef");
		done(r);
	}
}

/* Zero-window probes (RFC 9293 section 3.8.6.1) and keep-alives (3.8.4)
 * are not overlaps and not retransmissions. */
static void test_probes(void)
{
	/* a probe is held back; the same byte later is the data */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk(&c);
		const struct reasm_stats *st = reasm_get_stats(r);

		handshake_w(r, 10, 0);
		cdata_at(r, 0, "0123456789", 2);
		srv_ack(r, 10, 0, 3);                   /* window closed */
		cdata_at(r, 10, "X", 4);
		cdata_at(r, 10, "X", 5);
		CHECK_EQ_U(st->zero_window_probes, 2);
		CHECK_STR(T.recs[0].log, "0:0123456789");
		srv_ack(r, 10, 100, 6);                 /* open again */
		cdata_at(r, 10, "XYZ", 7);
		CHECK_STR(T.recs[0].log, "0:0123456789XYZ");
		CHECK_EQ_U(st->segs_retransmitted + st->overlaps + st->overlaps_different, 0);
		CHECK_STR(T.recs[0].an, "");
		done(r);
	}
	/* the receiver acknowledges the probe: it took the byte after all */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk(&c);

		handshake_w(r, 1000, 0);
		cdata_at(r, 0, "ab", 2);
		srv_ack(r, 2, 0, 3);
		cdata_at(r, 2, "c", 4);
		CHECK_STR(T.recs[0].log, "0:ab");
		srv_ack(r, 3, 0, 5);
		CHECK_STR(T.recs[0].log, "0:abc");
		cdata_at(r, 3, "d", 5);                 /* a probe again */
		CHECK_STR(T.recs[0].log, "0:abc");
		done(r);
	}
	/* probes that disagree: what the receiver finally takes may not be
	 * what was shown first */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk(&c);

		handshake_w(r, 2, 0);
		cdata_at(r, 0, "ab", 2);
		srv_ack(r, 2, 0, 3);
		cdata_at(r, 2, "X", 4);
		cdata_at(r, 2, "Y", 4);
		CHECK_STR(T.recs[0].an, "tcp_overlap_different:0");
		done(r);
		/* ... or the data after a probe does */
		r = mk(&c);
		handshake_w(r, 2, 0);
		cdata_at(r, 0, "ab", 2);
		srv_ack(r, 2, 0, 3);
		cdata_at(r, 2, "X", 4);
		CHECK_STR(T.recs[0].an, "");
		srv_ack(r, 2, 10, 5);
		cdata_at(r, 2, "cde", 6);
		CHECK_STR(T.recs[0].an, "tcp_overlap_different:0");
		CHECK_STR(T.recs[0].log, "0:abcde");
		done(r);
	}
	/* keep-alives after an idle second: 0 bytes, or 1 garbage byte, at
	 * SND.NXT - 1 */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk(&c);
		const struct reasm_stats *st = reasm_get_stats(r);
		struct pk ka0 = { "A", ISN_C + 2, ISN_S + 1, 65535, NULL, 0, 0, 0, 0 };
		struct pk ka1 = { "A", ISN_C + 2, ISN_S + 1, 65535, "", 1, 0, 0, 0 };

		handshake(r, &EP, ISN_C, ISN_S, 1);
		cdata_at(r, 0, "ab", 2);
		send_pk(r, &EP, false, &ka0, 2 + 75 * S_US);
		send_pk(r, &EP, false, &ka1, 2 + 150 * S_US);
		CHECK_EQ_U(st->keepalives, 2);
		CHECK_EQ_U(st->segs_retransmitted, 0);
		CHECK_STR(T.recs[0].an, "");
		/* the same right after data is a retransmission, and a
		 * different byte an overlap with different data */
		cdata_at(r, 2, "c", 2 + 151 * S_US);
		ka1.seq = ISN_C + 3;
		send_pk(r, &EP, false, &ka1, 2 + 151 * S_US);
		CHECK_EQ_U(st->keepalives, 2);
		CHECK_EQ_U(st->segs_retransmitted, 1);
		CHECK_STR(T.recs[0].an, "tcp_overlap_different:0");
		CHECK_STR(T.recs[0].log, "0:abc");
		done(r);
	}
}

static void test_urgent(void)
{
	static const struct {
		uint8_t policy;
		const char *log;
		unsigned removed;
	} rows[] = {
		{ REASM_URGENT_INLINE, "0:abcXdefghiYjk", 0 },
		{ REASM_URGENT_OOB, "0:abcdefghijk", 2 },
		{ REASM_URGENT_GAP, "0:abc gap0:1 0:defghi gap0:1 0:jk", 2 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct reasm_config c = small_cfg();
		struct reasm *r;
		struct pk u1 = { "PAU", ISN_C + 1, 0, 65535, "abcXde", 6, 4, 0, 0 };
		/* a pointer past its segment: the byte comes with a later one,
		 * and this one is queued out of order first */
		struct pk u2 = { "PAU", ISN_C + 1 + 6, 0, 65535, "fg", 2, 5, 0, 0 };

		c.urgent_policy = rows[i].policy;
		r = mk(&c);
		handshake(r, &EP, ISN_C, ISN_S, 1);
		send_pk(r, &EP, false, &u1, 2);
		cdata(r, 8, "hiYjk");
		send_pk(r, &EP, false, &u2, 2);
		CHECK_STR(T.recs[0].log, rows[i].log);
		CHECK_EQ_U(reasm_get_stats(r)->urgent, 2);
		CHECK_EQ_U(reasm_get_stats(r)->urgent_bytes_removed, rows[i].removed);
		CHECK_STR(T.recs[0].an, "tcp_urgent_data:0");
		/* a retransmission of the urgent segment changes nothing */
		send_pk(r, &EP, false, &u1, 3);
		CHECK_STR(T.recs[0].log, rows[i].log);
		CHECK_EQ_U(reasm_get_stats(r)->overlaps_different, 0);
		done(r);
	}
}

/* A packet cut by the capture's snap length: its missing bytes are a gap,
 * never data the next segment slides into. */
static void test_snapped(void)
{
	struct reasm_config c = small_cfg();
	struct reasm *r = mk(&c);
	const struct reasm_stats *st = reasm_get_stats(r);
	struct pk cut1 = { "PA", ISN_C + 1, 0, 65535, "abc", 3, 0, 10, 0 };
	struct pk cut2 = { "PA", ISN_C + 1 + 20, 0, 65535, "uvw", 3, 0, 10, 0 };
	struct pk full = { "PA", ISN_C + 1 + 30, 0, 65535, "0123456789", 10, 0, 0, 0 };

	handshake(r, &EP, ISN_C, ISN_S, 1);
	send_pk(r, &EP, false, &cut1, 2);       /* [0,10): 3 captured */
	CHECK_STR(T.recs[0].log, "0:abc gap0:7");
	cdata(r, 10, "KLM");
	/* out of order: the lost tail waits in the queue as a gap */
	send_pk(r, &EP, false, &cut2, 3);       /* [20,30): 3 captured */
	send_pk(r, &EP, false, &full, 3);       /* [30,40) */
	CHECK_EQ_U(st->snapped_segments, 2);
	CHECK_EQ_U(st->snapped_bytes, 14);
	cdata(r, 13, "NOPQRST");                /* fills [13,20) */
	CHECK_STR(T.recs[0].log, "0:abc gap0:7 0:KLMNOPQRSTuvw gap0:7 0:0123456789");
	CHECK_EQ_U(st->gap_bytes, 14);
	done(r);
	/* real bytes for a stretch known lost are taken when they come in
	 * order (a smaller retransmission fits in the snap length) */
	r = mk(&c);
	handshake(r, &EP, ISN_C, ISN_S, 1);
	cdata(r, 0, "ab");
	cut2.seq = ISN_C + 1 + 4;
	cut2.wire = 8;                          /* [4,12): "uvw" + 5 lost */
	send_pk(r, &EP, false, &cut2, 2);
	cdata(r, 2, "cduvwxyz");                /* [2,10) in order */
	/* what is still lost is a gap once reached */
	CHECK_STR(T.recs[0].log, "0:abcduvwxyz gap0:2");
	cdata(r, 10, "!!");
	CHECK_EQ_U(reasm_get_stats(r)->gaps, 1);
	CHECK_EQ_U(reasm_get_stats(r)->segs_retransmitted, 1);
	done(r);
}

/* Both sides send a SYN (RFC 9293 section 3.5, figure 8). */
static void test_simultaneous_open(void)
{
	struct reasm_config c = small_cfg();
	struct reasm *r = mk(&c);
	struct pk sa1 = { "SA", ISN_S, ISN_C + 1, 65535, NULL, 0, 0, 0, 0 };
	struct pk sa2 = { "SA", ISN_C, ISN_S + 1, 65535, NULL, 0, 0, 0, 0 };

	cli(r, "S", ISN_C, NULL, 1);
	srv(r, "S", ISN_S, NULL, 1);
	CHECK(T.recs[0].fp == NULL || T.recs[0].fp->state == FLOW_STATE_NEW);
	send_pk(r, &EP, true, &sa1, 2);
	send_pk(r, &EP, false, &sa2, 2);
	cdata(r, 0, "helo");
	srv(r, "PA", ISN_S + 1, "250", 3);
	CHECK_STR(T.recs[0].log, "0:helo 1:250");
	CHECK(T.recs[0].fp && T.recs[0].fp->state == FLOW_STATE_ESTABLISHED);
	CHECK(T.recs[0].fp && !T.recs[0].fp->midstream);
	CHECK_EQ_U(reasm_get_stats(r)->simultaneous_open, 1);
	CHECK_EQ_U(reasm_get_stats(r)->flows_created, 1);
	CHECK_EQ_U(reasm_get_stats(r)->syn_on_established, 0);
	done(r);
}

/* Only the client's packets are seen (one side of a SPAN): data goes out
 * without any ACK; a hole waits within the per-flow cap, then is skipped. */
static void test_one_sided(void)
{
	static uint8_t big[6000];
	struct reasm_config c = small_cfg();
	struct reasm *r;
	const struct reasm_stats *st;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)('a' + i % 26);
	c.max_ooo_bytes_per_flow = 2048;        /* two 1000-byte segments */
	r = mk(&c);
	st = reasm_get_stats(r);
	sendp(r, &EP, false, "PA", 7000, big, 100, 1);
	CHECK_EQ_U(T.recs[0].data_bytes[0], 100);       /* at once */
	sendp(r, &EP, false, "PA", 7000 + 200, big + 200, 1000, 2);
	sendp(r, &EP, false, "PA", 7000 + 1200, big + 1200, 1000, 3);
	CHECK_EQ_U(T.recs[0].data_bytes[0], 100);       /* behind the hole */
	CHECK_EQ_U(st->ooo_bytes_held, 4096);
	sendp(r, &EP, false, "PA", 7000 + 2200, big + 2200, 1000, 4);
	CHECK_EQ_U(st->ooo_drop_flow_cap, 1);
	CHECK_EQ_U(T.recs[0].gap_bytes[0], 100);
	CHECK_EQ_U(T.recs[0].data_bytes[0], 3100);
	CHECK_EQ_U(st->ooo_bytes_held, 0);
	CHECK(T.recs[0].fp && T.recs[0].fp->midstream);
	/* the missing stretch, late: old now */
	sendp(r, &EP, false, "PA", 7000 + 100, big + 100, 100, 5);
	CHECK_EQ_U(T.recs[0].data_bytes[0], 3100);
	CHECK_EQ_U(st->segs_retransmitted, 1);
	done(r);
}

/* The history: delivered bytes are kept until the receiver acknowledges
 * them, within a per-direction and a total cap. */
static void test_history(void)
{
	static char big[40000];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	big[sizeof(big) - 1] = 0;
	/* acknowledged bytes are forgotten: a different copy of them is
	 * what every receiver ignores (below RCV.NXT) */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk(&c);
		const struct reasm_stats *st = reasm_get_stats(r);

		handshake(r, &EP, ISN_C, ISN_S, 1);
		cdata(r, 0, "abcdef");
		/* stable: the extent ring and a copy (6 bytes are too few
		 * to refer to) */
		CHECK_EQ_U(st->history_bytes_held, stable_pass ? 4096 : 2048);
		srv_ack(r, 4, 1000, 2);
		cdata(r, 0, "XYZW");
		CHECK_EQ_U(st->overlaps_different, 0);
		cdata(r, 3, "dEf");             /* 'E' is not acknowledged yet */
		CHECK_EQ_U(st->overlaps_different, 1);
		srv_ack(r, 6, 1000, 3);
		/* copies: the chunk nxt is inside; references: the ring, the
		 * copy having gone with its last byte */
		CHECK_EQ_U(st->history_bytes_held, 2048);
		cdata(r, 6, "ghij");
		done(r);
	}
	/* the per-direction cap keeps the newest bytes */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk(&c);
		const struct reasm_stats *st = reasm_get_stats(r);
		char x[100];

		c.max_history_bytes_per_flow = 8192;
		reasm_destroy(r);
		r = mk(&c);
		st = reasm_get_stats(r);
		handshake(r, &EP, ISN_C, ISN_S, 1);
		for (uint32_t off = 0; off < 39000; off += 1000)
			sendp(r, &EP, false, "PA", ISN_C + 1 + off, big + off, 1000, 2);
		/* stable: references in the ring, nothing copied */
		CHECK_EQ_U(st->history_bytes_held, stable_pass ? 2048 : 8192);
		memset(x, '#', sizeof(x));
		sendp(r, &EP, false, "PA", ISN_C + 1 + 1000, x, 100, 3);     /* forgotten */
		CHECK_EQ_U(st->overlaps_different, 0);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 38800, x, 100, 3);    /* kept */
		CHECK_EQ_U(st->overlaps_different, 1);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 38800, big + 38800, 100, 3);
		CHECK_EQ_U(st->overlaps_different, 1);
		done(r);
	}
	/* the total cap: a direction that finds it empty keeps nothing */
	{
		struct reasm_config c = small_cfg();
		struct ep e2 = EP;
		struct reasm *r;
		const struct reasm_stats *st;

		c.max_history_bytes = 4096;     /* two chunks for everyone */
		r = mk(&c);
		st = reasm_get_stats(r);
		e2.cport = 40001;
		handshake(r, &EP, ISN_C, ISN_S, 1);
		handshake(r, &e2, ISN_C, ISN_S, 1);
		sendp(r, &EP, false, "PA", ISN_C + 1, big, 3000, 2);
		/* stable: the first flow's ring only; the second gets a ring
		 * but no chunk for its 10-byte copy */
		CHECK_EQ_U(st->history_bytes_held, stable_pass ? 2048 : 4096);
		sendp(r, &e2, false, "PA", ISN_C + 1, big, 10, 2);
		CHECK_EQ_U(st->history_no_memory, 1);
		sendp(r, &e2, false, "PA", ISN_C + 1, "X", 1, 2);
		CHECK_EQ_U(st->overlaps_different, 0);          /* not known */
		CHECK_EQ_U(st->history_bytes_held, stable_pass ? 2048 : 4096);
		CHECK_STR(T.recs[1].log, "0:abcdefghij");
		done(r);
	}
	/* a flow given up while its bytes are delivered (the sensor does in
	 * its data callback) keeps no history: an ACK past bytes delivered
	 * after that has nothing to trim (fuzz_pipeline found the trim
	 * walking off the chain: crash-bypass-history-trim) */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk(&c);
		const struct reasm_stats *st = reasm_get_stats(r);

		handshake(r, &EP, ISN_C, ISN_S, 1);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 3000, big + 3000, 5000, 2); /* queued */
		T.bypass_in_data = r;
		sendp(r, &EP, false, "PA", ISN_C + 1, big, 3000, 2);
		T.bypass_in_data = NULL;
		CHECK_EQ_U(T.recs[0].data_bytes[0], 3000);      /* then bypassed */
		CHECK_EQ_U(st->bytes_bypassed, 5000);
		CHECK_EQ_U(st->history_bytes_held, 0);
		srv_ack(r, 8000, 1000, 3);
		CHECK_EQ_U(st->history_bytes_held, 0);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 8000, big, 100, 4);
		CHECK_EQ_U(st->history_bytes_held, 0);
		done(r);
	}
	/* off */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r;

		c.max_history_bytes = 0;
		r = mk(&c);
		handshake(r, &EP, ISN_C, ISN_S, 1);
		cdata(r, 0, "abc");
		cdata(r, 0, "xyz");
		CHECK_EQ_U(reasm_get_stats(r)->history_bytes_held, 0);
		CHECK_EQ_U(reasm_get_stats(r)->overlaps_different, 0);
		CHECK_EQ_U(reasm_get_stats(r)->segs_retransmitted, 1);
		done(r);
	}
}

/* A flood of new flows, each with data out of order and in order, never
 * grows the memory: the pools were sized at create time; the oldest go,
 * counted. */
static void test_flood(void)
{
	struct reasm_config c = small_cfg();
	struct reasm *r;
	const struct reasm_stats *st;
	uint64_t mem;
	char ca[32];
	struct ep e = { "0.0.0.0", "192.0.2.25", 0, 25 };
	static char data[3000];

	memset(data, 'q', sizeof(data));
	c.max_flows = 64;
	c.max_ooo_bytes = 64 << 10;
	c.max_ooo_segments = 64;
	c.max_history_bytes = 32 << 10;
	r = mk(&c);
	st = reasm_get_stats(r);
	mem = reasm_memory(r);
	e.caddr = ca;
	for (int i = 0; i < 5000; i++) {
		snprintf(ca, sizeof(ca), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		e.cport = (uint16_t)(1024 + i % 50000);
		if (i % 3 == 0)
			sendp(r, &e, false, "S", 100, NULL, 0, (uint64_t)i);
		sendp(r, &e, false, "PA", 5000, data, 2000, (uint64_t)i);
		sendp(r, &e, false, "PA", 2000, data, 2000, (uint64_t)i);
		CHECK(st->flows_active <= 64);
		CHECK(st->ooo_bytes_held <= c.max_ooo_bytes);
		CHECK(st->history_bytes_held <= c.max_history_bytes);
	}
	CHECK_EQ_U(reasm_memory(r), mem);
	CHECK_EQ_U(st->flows_created, 5000);
	CHECK_EQ_U(st->flows_evicted, 5000 - 64);
	CHECK_EQ_U(st->flows_no_memory, 0);
	CHECK_EQ_U(T.ends, 5000 - 64);
	done(r);
	/* memory per flow, as reasm.h documents it */
	{
		struct reasm_config a = small_cfg(), b = small_cfg();
		struct reasm *ra, *rb;

		a.max_flows = 1 << 15;
		b.max_flows = 1 << 16;
		ra = reasm_create(&a, &ops, &T);
		rb = reasm_create(&b, &ops, &T);
		CHECK(ra && rb);
		if (ra && rb) {
			uint64_t per = (reasm_memory(rb) - reasm_memory(ra)) / (1u << 15);

#ifdef MT_POOL_MALLOC
			per -= sizeof(void *);  /* flow_ptrs[] */
#endif
			fprintf(stderr, "memory per flow: %llu bytes\n", (unsigned long long)per);
			CHECK_EQ_U(per, REASM_FLOW_BYTES);
		}
		reasm_destroy(ra);
		reasm_destroy(rb);
	}
}

/*
 * The history as references (reasm_set_stable_payload): bytes inside the
 * stable range are referred to, others copied; the extent ring's and the
 * copies' limits; the range can only change with no flow open. Every other
 * test also runs with all memory stable (main).
 */
/* A reassembler on config c whose payload memory [base, base + len) is
 * stable, with EP's handshake done. */
static struct reasm *mk_stable(struct reasm_config *c, const uint8_t *base, size_t len)
{
	struct reasm *r = mk(c);

	CHECK_EQ_U(reasm_set_stable_payload(r, base, len), 0);
	handshake(r, &EP, ISN_C, ISN_S, 1);
	return r;
}

static void test_history_refs(void)
{
	static uint8_t arena[1 << 20];
	static uint8_t outside[4000];

	for (size_t i = 0; i < sizeof(arena); i++)
		arena[i] = (uint8_t)('a' + i % 26);
	memcpy(outside, arena, sizeof(outside));
	/* inside: referred to; outside: copied; both compared */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk_stable(&c, arena, sizeof(arena));
		const struct reasm_stats *st = reasm_get_stats(r);
		uint8_t x[300];

		CHECK_EQ_U(reasm_set_stable_payload(r, NULL, 0), -EBUSY);
		sendp(r, &EP, false, "PA", ISN_C + 1, arena, 1000, 2);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 1000, arena + 1000, 1000, 2);
		CHECK_EQ_U(st->history_bytes_held, 2048);       /* the ring */
		sendp(r, &EP, false, "PA", ISN_C + 1 + 2000, outside + 2000, 1000, 2);
		CHECK_EQ_U(st->history_bytes_held, 4096);       /* and a copy */
		memcpy(x, arena + 900, sizeof(x));
		sendp(r, &EP, false, "PA", ISN_C + 1 + 900, x, 300, 3);   /* across two */
		CHECK_EQ_U(st->overlaps_different, 0);
		x[150] ^= 1;                    /* byte 1050: the second reference */
		sendp(r, &EP, false, "PA", ISN_C + 1 + 900, x, 300, 3);
		CHECK_EQ_U(st->overlaps_different, 1);
		done(r);
	}
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk_stable(&c, arena, sizeof(arena));
		const struct reasm_stats *st = reasm_get_stats(r);
		uint8_t x[300];

		sendp(r, &EP, false, "PA", ISN_C + 1, arena, 1000, 2);
		sendp(r, &EP, false, "PA", ISN_C + 1 + 1000, outside + 1000, 1000, 2);
		memcpy(x, outside + 1500, sizeof(x));
		x[299] ^= 1;                    /* byte 1799: the copy */
		sendp(r, &EP, false, "PA", ISN_C + 1 + 1500, x, 300, 3);
		CHECK_EQ_U(st->overlaps_different, 1);
		reasm_flush_all(r);
		CHECK_EQ_U(st->history_bytes_held, 0);
		done(r);
	}
	/* bytes delivered from the out-of-order queue are copies */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk_stable(&c, arena, sizeof(arena));
		const struct reasm_stats *st = reasm_get_stats(r);
		uint8_t x[400];

		sendp(r, &EP, false, "PA", ISN_C + 1 + 1000, arena + 1000, 1000, 2);   /* queued */
		sendp(r, &EP, false, "PA", ISN_C + 1, arena, 1000, 2);
		CHECK_EQ_U(T.recs[0].data_bytes[0], 2000);
		CHECK_EQ_U(st->history_bytes_held, 4096);       /* ring + copy */
		memcpy(x, arena + 1200, sizeof(x));
		sendp(r, &EP, false, "PA", ISN_C + 1 + 1200, x, 400, 3);
		CHECK_EQ_U(st->overlaps_different, 0);
		x[0] ^= 1;
		sendp(r, &EP, false, "PA", ISN_C + 1 + 1200, x, 400, 3);
		CHECK_EQ_U(st->overlaps_different, 1);
		done(r);
	}
	/* the ring holds 128 extents: the oldest go, counted */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r;
		const struct reasm_stats *st;
		uint8_t x[300];

		c.max_history_bytes_per_flow = 128 << 10;
		r = mk_stable(&c, arena, sizeof(arena));
		st = reasm_get_stats(r);
		for (uint32_t i = 0; i < 130; i++)
			sendp(r, &EP, false, "PA", ISN_C + 1 + i * 300, arena + i * 300, 300, 2);
		CHECK_EQ_U(st->history_evicted_bytes, 2 * 300);
		CHECK_EQ_U(st->history_bytes_held, 2048);
		memcpy(x, arena, sizeof(x));
		x[0] ^= 1;
		sendp(r, &EP, false, "PA", ISN_C + 1, x, 300, 3);           /* forgotten */
		CHECK_EQ_U(st->overlaps_different, 0);
		memcpy(x, arena + 600, sizeof(x));
		x[0] ^= 1;
		sendp(r, &EP, false, "PA", ISN_C + 1 + 600, x, 300, 3);     /* kept */
		CHECK_EQ_U(st->overlaps_different, 1);
		done(r);
	}
	/* copies between references: at most hist_per_dir copy chunks */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r;
		const struct reasm_stats *st;
		uint32_t off = 0;

		c.max_history_bytes_per_flow = 4 * 2048;
		r = mk_stable(&c, arena, sizeof(arena));
		st = reasm_get_stats(r);
		for (int i = 0; i < 6; i++) {
			sendp(r, &EP, false, "PA", ISN_C + 1 + off, arena + off, 300, 2);
			off += 300;
			sendp(r, &EP, false, "PA", ISN_C + 1 + off, arena + off, 10, 2);  /* copied */
			off += 10;
		}
		CHECK_EQ_U(st->history_bytes_held, 5 * 2048);  /* ring + 4 copies */
		CHECK_EQ_U(st->history_evicted_bytes, 2 * 310);
		done(r);
	}
	/* a range can be given again once every flow is finished */
	{
		struct reasm_config c = small_cfg();
		struct reasm *r = mk_stable(&c, arena, sizeof(arena));

		sendp(r, &EP, false, "PA", ISN_C + 1, arena, 1000, 2);
		CHECK_EQ_U(reasm_set_stable_payload(r, outside, sizeof(outside)), -EBUSY);
		reasm_flush_all(r);
		CHECK_EQ_U(reasm_get_stats(r)->history_bytes_held, 0);
		CHECK_EQ_U(reasm_set_stable_payload(r, outside, sizeof(outside)), 0);
		CHECK_EQ_U(reasm_set_stable_payload(r, NULL, 0), 0);
		done(r);
	}
}

static void run_all(void)
{
	test_in_order();
	test_zero_copy_pointer();
	test_permutations();
	test_overlaps();
	test_wrap();
	test_window();
	test_fin_rst();
	test_fin_trim();
	test_midstream();
	test_keepalive();
	test_caps();
	test_eviction();
	test_timeouts();
	test_straggler_ack();
	test_port_reuse();
	test_refused();
	test_direction();
	test_flow_ids();
	test_table_churn();
	test_create_args();
	test_policy_names();
	test_policy_nets();
	test_policy_novak();
	test_policy_cases();
	test_policy_random();
	test_rst_policies();
	test_window_policies();
	test_probes();
	test_urgent();
	test_snapped();
	test_simultaneous_open();
	test_one_sided();
	test_history();
	test_flood();
}

int main(void)
{
	T.recs = calloc(MAX_RECS, sizeof(*T.recs));
	run_all();
	stable_pass = true;
	run_all();
	stable_pass = false;
	test_history_refs();
	tc_reset();
	free(T.recs);
	return check_summary("test_reasm");
}
