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
 */
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
		if (f->dir[d].stream_bytes != r->data_bytes[d])
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

static const struct reasm_ops ops = { cb_new, cb_data, cb_gap, cb_eof, cb_end };

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
		     *s == 'P' ? TCP_PSH : *s == 'A' ? TCP_ACK : 0;
	return v;
}

/* One packet of endpoint pair e; to_client: sent by the server. */
static void sendp(struct reasm *r, const struct ep *e, bool to_client, const char *flags,
		  uint32_t seq, const void *data, uint32_t len, uint64_t t)
{
	struct decoded_pkt p;

	memset(&p, 0, sizeof(p));
	parse_addr(to_client ? e->saddr : e->caddr, &p.src);
	parse_addr(to_client ? e->caddr : e->saddr, &p.dst);
	p.sport = to_client ? e->sport : e->cport;
	p.dport = to_client ? e->cport : e->sport;
	p.ip_version = e->caddr[0] == 'v' ? 6 : 4;
	p.tcp_flags = (uint8_t)flag_bits(flags);
	p.seq = seq;
	p.wscale = 0xff;
	p.payload = data;
	p.payload_len = len;
	p.ip_len = 40 + len;
	p.frame_len = 54 + len;  /* Ethernet + IPv4 + TCP headers */
	T.pkt_lo = data;
	T.pkt_hi = data ? (const uint8_t *)data + len : NULL;
	reasm_packet(r, &p, t);
	T.pkt_lo = T.pkt_hi = NULL;
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
	c.max_flows = 16;
	c.max_ooo_segments = 256;
	c.max_ooo_bytes = 1 << 20;
	c.max_ooo_bytes_per_flow = 256 << 10;
	return c;
}

static struct reasm *mk(const struct reasm_config *c)
{
	struct reasm *r;

	tc_reset();
	r = reasm_create(c, &ops, &T);
	if (!r) {
		fprintf(stderr, "reasm_create failed\n");
		exit(1);
	}
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

/* Overlap table: segments {offset, bytes} after a handshake, then flush;
 * the whole log and the counters must match. */
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
		/* delivered bytes are not kept: a differing retransmission of
		 * them is counted as a retransmission, not as different */
		{ "delivered wins", { { 0, "abc" }, { 0, "xyz" }, { -1, 0 } },
		  "0:abc eof0 eof1 end:shutdown", 1, 0, 0, 0, 1 },
		{ "delivered wins, tail new", { { 0, "abc" }, { 1, "XYde" }, { -1, 0 } },
		  "0:abcde eof0 eof1 end:shutdown", 0, 1, 0, 0, 2 },
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
		struct reasm *r = mk(&c);
		const struct reasm_stats *st = reasm_get_stats(r);

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
		CHECK_EQ_U(st->rst, 0);
		CHECK_EQ_U(st->seq_out_of_window, 2);
		cdata(r, 2, "cd");
		CHECK_STR(T.recs[0].log, "0:abcd");
		/* ... one near them is */
		cli(r, "R", ISN_C + 5 + 1000, NULL, 3);
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
	/* RST answering a SYN (port closed) */
	{
		struct reasm *r = mk(&c);

		cli(r, "S", ISN_C, NULL, 1);
		srv(r, "RA", 0, NULL, 2);
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
		CHECK_STR(T.recs[0].log, "0:abcdefghijkl eof0");
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

		c.max_ooo_bytes_per_flow = 4096;        /* two chunks */
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
	/* a SYN with another ISN on an established flow: counted, ignored */
	cli(r, "S", 123456, NULL, 6);
	CHECK_EQ_U(st->syn_on_established, 1);
	/* the same SYN again (retransmission): not counted */
	cli(r, "S", 90000, NULL, 6);
	CHECK_EQ_U(st->syn_on_established, 1);
	sendp(r, &EP, false, "PA", 90004, "!", 1, 7);
	CHECK_STR(T.recs[1].log, "0:two!");
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
		snprintf(ca, sizeof(ca), "10.%d.%d.1", i / 200, i % 200);
		e.cport = (uint16_t)(1024 + i % 7);
		sendp(r, &e, true, "RA", 0, NULL, 0, 2);
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

int main(void)
{
	T.recs = calloc(MAX_RECS, sizeof(*T.recs));
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
	tc_reset();
	free(T.recs);
	return check_summary("test_reasm");
}
