/*
 * test_decode — decode_packet() and decode_ip() over frames assembled in
 * the test from readable field tables (decode_frames.h): every link type,
 * VLAN/QinQ, IPv4 options, IPv6 extension headers, TCP options, checksums
 * on and off, every tunnel (valid, damaged fields, nesting over the cap),
 * fragment field extraction, and every truncation of valid frames (each
 * copied into a buffer of exactly caplen bytes, so ASan catches any read
 * past it).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "decode.h"
#include "decode_frames.h"

/* ---- the tables ---------------------------------------------------- */

#define V4 .ipv = 4, .src = "192.0.2.1", .dst = "198.51.100.25"
#define V6 .ipv = 6, .src = "2001:db8::1", .dst = "2001:db8:1::25"
#define SEG .sport = 40000, .dport = 25, .seq = 1000, .ack = 2000, .flags = "PA", \
	    .payload = "EHLO mail.example.org\r\n"
/* the same with a TCP segment of 48 bytes: a valid non-final fragment */
#define SEG8 .sport = 40000, .dport = 25, .seq = 1000, .ack = 2000, .flags = "PA", \
	    .payload = "EHLO mail.example.org.test\r\n"
/* a row: name, expected result, then the frame's fields */
#define ROW(n, w, ...) { .name = n, .want = w, .s = { __VA_ARGS__ } }
/* ... with the VLAN tags expected: count, outer id, inner id */
#define ROWV(n, w, nv, v0, v1, ...) \
	{ .name = n, .want = w, .vlans = nv, .vlan0 = v0, .vlan1 = v1, .s = { __VA_ARGS__ } }

struct row {
	const char *name;
	struct spec s;
	enum decode_result want;
	uint8_t vlans;
	uint16_t vlan0, vlan1;
};

static const struct row rows[] = {
	/* every link type */
	ROW("eth v4", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V4, SEG),
	ROW("eth v6", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V6, SEG),
	ROW("sll v4", DECODE_OK,
	    .link = DECODE_LINK_SLL, V4, SEG),
	ROW("sll v6", DECODE_OK,
	    .link = DECODE_LINK_SLL, V6, SEG),
	ROW("sll2 v4", DECODE_OK,
	    .link = DECODE_LINK_SLL2, V4, SEG),
	ROW("sll2 v6", DECODE_OK,
	    .link = DECODE_LINK_SLL2, V6, SEG),
	ROW("null le v4", DECODE_OK,
	    .link = DECODE_LINK_NULL, V4, SEG),
	ROW("null be v4", DECODE_OK,
	    .link = DECODE_LINK_NULL, .af_be = true, V4, SEG),
	ROW("null le v6 24", DECODE_OK,
	    .link = DECODE_LINK_NULL, .af = 24, V6, SEG),
	ROW("null le v6 28", DECODE_OK,
	    .link = DECODE_LINK_NULL, .af = 28, V6, SEG),
	ROW("null be v6 30", DECODE_OK,
	    .link = DECODE_LINK_NULL, .af = 30, .af_be = true, V6, SEG),
	ROW("null af 7", DECODE_NOT_IP,
	    .link = DECODE_LINK_NULL, .af = 7, V4, SEG),
	ROW("null af 2 carrying v6", DECODE_INVALID,
	    .link = DECODE_LINK_NULL, .af = 2, V6, SEG),
	ROW("loop v4", DECODE_OK,
	    .link = DECODE_LINK_LOOP, .af_be = true, V4, SEG),
	ROW("loop v6", DECODE_OK,
	    .link = DECODE_LINK_LOOP, .af = 24, .af_be = true, V6, SEG),
	ROW("raw101 v4", DECODE_OK,
	    .link = DECODE_LINK_RAW, V4, SEG),
	ROW("raw101 v6", DECODE_OK,
	    .link = DECODE_LINK_RAW, V6, SEG),
	ROW("raw12 v4", DECODE_OK,
	    .link = DECODE_LINK_DLT_RAW, V4, SEG),
	ROW("raw14 v6", DECODE_OK,
	    .link = DECODE_LINK_DLT_RAW14, V6, SEG),
	ROW("ipv4 link", DECODE_OK,
	    .link = DECODE_LINK_IPV4, V4, SEG),
	ROW("ipv6 link", DECODE_OK,
	    .link = DECODE_LINK_IPV6, V6, SEG),
	ROW("ipv4 link carrying v6", DECODE_INVALID,
	    .link = DECODE_LINK_IPV4, V6, SEG),
	ROW("ipv6 link carrying v4", DECODE_INVALID,
	    .link = DECODE_LINK_IPV6, V4, SEG),
	ROW("unknown link 147", DECODE_UNSUPPORTED,
	    .link = 147, V4, SEG),

	/* VLAN tags */
	ROWV("802.1q", DECODE_OK, 1, 10, 0,
	     .link = DECODE_LINK_ETHERNET, .vlans = "8100/10", V4, SEG),
	ROWV("qinq 88a8", DECODE_OK, 2, 100, 200,
	     .link = DECODE_LINK_ETHERNET, .vlans = "88a8/100 8100/200", V6, SEG),
	ROWV("qinq 9100", DECODE_OK, 2, 7, 4094,
	     .link = DECODE_LINK_ETHERNET, .vlans = "9100/7 8100/4094", V4, SEG),
	ROWV("three tags", DECODE_OK, 3, 1, 2,
	     .link = DECODE_LINK_ETHERNET, .vlans = "88a8/1 8100/2 8100/3", V4, SEG),
	ROW("nine tags", DECODE_UNSUPPORTED,
	    .link = DECODE_LINK_ETHERNET, .vlans = "8100/1 8100/2 8100/3 8100/4 8100/5 8100/6 8100/7 8100/8 8100/9", V4, SEG),
	ROWV("sll with tag", DECODE_OK, 1, 33, 0,
	     .link = DECODE_LINK_SLL, .vlans = "8100/33", V4, SEG),

	/* not ours */
	ROW("arp", DECODE_NOT_IP,
	    .link = DECODE_LINK_ETHERNET, .ethertype = 0x0806, V4, SEG),
	ROW("802.3 llc", DECODE_NOT_IP,
	    .link = DECODE_LINK_ETHERNET, .ethertype = 0x0040, V4, SEG),
	/* MPLS ethertype, but an IPv4 header where the label stack should
	 * be: the bottom label read from it is reserved (router alert). */
	ROW("mpls with no label stack", DECODE_INVALID,
	    .link = DECODE_LINK_ETHERNET, .ethertype = 0x8847, V4, SEG),
	ROW("pppoe", DECODE_UNSUPPORTED,
	    .link = DECODE_LINK_ETHERNET, .ethertype = 0x8864, V4, SEG),
	ROW("ethertype v4 carrying v6", DECODE_INVALID,
	    .link = DECODE_LINK_ETHERNET, .ethertype = 0x0800, V6, SEG),
	ROW("udp v4", DECODE_NOT_TCP,
	    .link = DECODE_LINK_ETHERNET, .proto = 17, V4, SEG),
	ROW("icmpv6", DECODE_NOT_TCP,
	    .link = DECODE_LINK_ETHERNET, .proto = 58, V6, SEG),

	/* IPv4 header */
	ROW("v4 options nop+rr", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V4, SEG, .ipopts = "\x01\x07\x07\x04\x00\x00\x00\x00", .ipopts_len = 8),
	ROW("v4 options max ihl", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V4, SEG, .ipopts = "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" "\x01\x01\x01\x01\x01\x01\x01\x00", .ipopts_len = 40),
	ROW("v4 ihl 4", DECODE_INVALID,
	    .link = DECODE_LINK_ETHERNET, V4, SEG, .ihl = 4),
	ROW("v4 ihl 0", DECODE_INVALID,
	    .link = DECODE_LINK_RAW, V4, SEG, .ihl = 16),
	ROW("v4 total < ihl", DECODE_INVALID,
	    .link = DECODE_LINK_ETHERNET, V4, SEG, .tot_delta = -60),
	/* The IP length says one byte more than was captured: a packet cut
	 * by the snap length, decoded (its TCP header is whole) with the
	 * byte it lacks in wire_payload_len (test_snapped). */
	ROW("v4 total > captured", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V4, SEG, .tot_delta = 1),
	ROW("v4 total cuts tcp header", DECODE_INVALID,
	    .link = DECODE_LINK_ETHERNET, V4, SEG, .tot_delta = -35),
	ROW("v4 ethernet padding", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V4, .sport = 1, .dport = 2, .flags = "A", .pad = 6),
	ROW("v4 MF", DECODE_FRAGMENT,
	    .link = DECODE_LINK_ETHERNET, V4, SEG, .frag = 0x2000),
	ROW("v4 offset", DECODE_FRAGMENT,
	    .link = DECODE_LINK_ETHERNET, V4, SEG, .frag = 0x0010),
	ROW("v4 DF only", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V4, SEG, .frag = 0x4000),
	/* UDP may be a tunnel: its fragments are reassembled too */
	ROW("v4 udp fragment", DECODE_FRAGMENT,
	    .link = DECODE_LINK_ETHERNET, V4, SEG, .frag = 0x2000, .proto = 17),
	ROW("v4 icmp fragment", DECODE_NOT_TCP,
	    .link = DECODE_LINK_ETHERNET, V4, SEG, .frag = 0x2000, .proto = 1),
	ROW("v4 gre fragment", DECODE_FRAGMENT,
	    .link = DECODE_LINK_ETHERNET, V4, SEG, .frag = 0x0020, .proto = 47),

	/* IPv6 extension headers */
	ROW("v6 hop", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "hop"),
	ROW("v6 hop,dst,rt,dst", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "hop,dst,rt2:0=2001:db8::99,dst"),
	ROW("v6 ah", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "ah"),
	ROW("v6 atomic fragment", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "frag:0:0"),
	ROW("v6 first fragment", DECODE_FRAGMENT,
	    .link = DECODE_LINK_ETHERNET, V6, SEG8, .ext = "frag:0:1"),
	ROW("v6 first fragment, 43 bytes", DECODE_INVALID,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "frag:0:1"),
	ROW("v6 later fragment", DECODE_FRAGMENT,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "hop,frag:185:0"),
	ROW("v6 udp fragment", DECODE_FRAGMENT,
	    .link = DECODE_LINK_ETHERNET, V6, SEG8, .ext = "frag:0:1", .proto = 17),
	ROW("v6 icmpv6 fragment", DECODE_NOT_TCP,
	    .link = DECODE_LINK_ETHERNET, V6, SEG8, .ext = "frag:0:1", .proto = 58),
	ROW("v6 hop not first", DECODE_INVALID,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "dst,hop"),
	ROW("v6 8 headers", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "hop,dst,dst,dst,dst,dst,dst,dst"),
	ROW("v6 9 headers", DECODE_INVALID,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "hop,dst,dst,dst,dst,dst,dst,dst,dst"),
	ROW("v6 header past payload", DECODE_INVALID,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "big"),
	ROW("v6 no next header", DECODE_NOT_TCP,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "none"),
	ROW("v6 esp", DECODE_NOT_TCP,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "esp"),
	ROW("v6 payload > captured", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .tot_delta = 1),
	ROW("v6 payload cuts tcp", DECODE_INVALID,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .tot_delta = -30),
	ROW("v6 padding", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .pad = 5),

	/* TCP header */
	ROW("tcp doff 4", DECODE_INVALID,
	    .link = DECODE_LINK_ETHERNET, V4, SEG, .doff = 4),
	ROW("tcp doff past segment", DECODE_INVALID,
	    .link = DECODE_LINK_ETHERNET, V4, .sport = 1, .dport = 2, .flags = "A", .doff = 15),
	ROW("tcp no payload", DECODE_OK,
	    .link = DECODE_LINK_ETHERNET, V6, .sport = 1, .dport = 2, .seq = 7, .flags = "S"),

};

static void test_rows(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *t = &rows[i];
		struct decode_stats st;
		struct decoded_pkt out;
		struct frame f;
		enum decode_result r;
		char a[64];

		memset(&st, 0, sizeof(st));
		memset(&out, 0xee, sizeof(out));
		build(&t->s, &f);
		r = run(t->s.link, f.b, f.len, false, &out, &st);
		if (r != t->want)
			fprintf(stderr, "row \"%s\": got %s want %s\n", t->name,
				decode_result_name(r), decode_result_name(t->want));
		CHECK_EQ_U(r, t->want);
		CHECK_EQ_U(st.pkts, 1);
		CHECK_EQ_U(st.bytes, f.len);
		CHECK_EQ_U(st.result[t->want], 1);
		if (r != DECODE_OK || t->want != DECODE_OK)
			continue;
		CHECK_EQ_U(out.ip_version, t->s.ipv);
		CHECK_STR(mt_addr_format(&out.src, a, sizeof(a)), t->s.src);
		CHECK_STR(mt_addr_format(&out.dst, a, sizeof(a)), t->s.dst);
		CHECK_EQ_U(mt_addr_is_v4(&out.src), t->s.ipv == 4);
		CHECK_EQ_U(out.sport, t->s.sport);
		CHECK_EQ_U(out.dport, t->s.dport);
		CHECK_EQ_U(out.seq, t->s.seq);
		CHECK_EQ_U(out.ack, t->s.ack);
		CHECK_EQ_U(out.tcp_flags, tcp_flag_bits(t->s.flags));
		CHECK_EQ_U(out.ttl, 64);
		CHECK(out.payload == f.b + f.payload_at);
		CHECK_MEM(out.payload, out.payload_len, t->s.payload ? t->s.payload : "",
			  t->s.payload ? strlen(t->s.payload) : 0);
		CHECK_EQ_U(out.ip_len, f.len - t->s.pad - f.ip_at);
		CHECK_EQ_U(st.trailer_bytes, t->s.pad);
		CHECK_EQ_U(out.vlan_count, t->vlans);
		if (t->vlans) {
			CHECK_EQ_U(out.vlan[0], t->vlan0);
			CHECK_EQ_U(out.vlan[1], t->vlan1);
			CHECK_EQ_U(st.vlan, 1);
		}
		CHECK_EQ_U(st.tcp, 1);
		CHECK_EQ_U(t->s.ipv == 4 ? st.ipv4 : st.ipv6, 1);
		CHECK_EQ_U(st.ip_options, t->s.ipopts_len ? 1 : 0);
	}
}

/* Every prefix of a valid frame is TRUNCATED: nothing before the end of
 * the TCP payload is optional. (Each prefix is its own exact-size heap
 * buffer, so an over-read is an ASan error, not a silent pass.) */
static void test_truncation(void)
{
	static const struct spec specs[] = {
		{ .link = DECODE_LINK_ETHERNET, .vlans = "88a8/100 8100/200", V4, SEG,
		  .ipopts = "\x01\x01\x01\x00", .ipopts_len = 4,
		  .tcpopts = "\x02\x04\x05\xb4\x01\x03\x03\x07", .tcpopts_len = 8 },
		{ .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "hop,rt2:1=2001:db8::99,frag:0:0,ah,dst" },
		{ .link = DECODE_LINK_SLL, .vlans = "8100/5", V6, SEG },
		{ .link = DECODE_LINK_SLL2, V4, SEG },
		{ .link = DECODE_LINK_NULL, V6, SEG, .ext = "dst" },
		{ .link = DECODE_LINK_LOOP, .af_be = true, V4, SEG },
		{ .link = DECODE_LINK_RAW, V6, SEG },
		{ .link = DECODE_LINK_IPV4, V4, SEG },
		{ .link = DECODE_LINK_IPV6, V6, .sport = 1, .dport = 2, .flags = "S" },
	};

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct decode_stats st;
		struct decoded_pkt out;
		struct frame f;
		unsigned bad = 0;

		uint32_t pay_off, pay_len, cut_ok = 0;

		memset(&st, 0, sizeof(st));
		build(&specs[i], &f);
		CHECK_EQ_U(run(specs[i].link, f.b, f.len, true, &out, &st), DECODE_OK);
		pay_off = (uint32_t)(out.payload - f.b);
		pay_len = out.payload_len;
		CHECK_EQ_U(out.wire_payload_len, pay_len);
		/* A prefix that keeps the whole TCP header is a snapped packet:
		 * decoded, what was cut in wire_payload_len. Shorter ones lack
		 * a header: truncated. */
		for (uint32_t cap = 0; cap < f.len; cap++) {
			enum decode_result r = run(specs[i].link, f.b, cap, cap & 1, &out, &st);
			enum decode_result want = cap >= pay_off && pay_len ? DECODE_OK : DECODE_TRUNCATED;

			if (r != want || (r == DECODE_OK &&
					  (out.payload_len != cap - pay_off ||
					   out.wire_payload_len != pay_len))) {
				fprintf(stderr, "spec %zu caplen %u/%u: %s\n", i, cap, f.len,
					decode_result_name(r));
				bad++;
			}
			cut_ok += r == DECODE_OK;
		}
		CHECK_EQ_U(bad, 0);
		CHECK_EQ_U(st.result[DECODE_TRUNCATED], f.len - cut_ok);
		CHECK_EQ_U(st.snapped, cut_ok);
		CHECK_EQ_U(st.pkts, f.len + 1);
	}
}

/* Random damage to valid frames: whatever comes out, nothing crashes and
 * an OK packet's payload lies inside the frame. */
static void test_garbage(void)
{
	static const struct spec base = { .link = DECODE_LINK_ETHERNET, V6, SEG,
					  .ext = "hop,rt0:1=2001:db8::99,ah" };
	uint32_t x = 12345;
	unsigned outside = 0;
	struct frame f;

	build(&base, &f);
	for (int n = 0; n < 20000; n++) {
		uint8_t b[sizeof(f.b)];
		struct decode_stats st;
		struct decoded_pkt out;
		int flips;

		memcpy(b, f.b, f.len);
		x = x * 1103515245u + 12345u;
		flips = 1 + (int)(x >> 28);
		for (int k = 0; k < flips; k++) {
			x = x * 1103515245u + 12345u;
			b[(x >> 8) % f.len] = (uint8_t)(x >> 24);
		}
		memset(&st, 0, sizeof(st));
		if (run(DECODE_LINK_ETHERNET, b, f.len, n & 1, &out, &st) == DECODE_OK &&
		    (out.payload < b || out.payload + out.payload_len > b + f.len))
			outside++;
	}
	CHECK_EQ_U(outside, 0);
}

static void test_checksums(void)
{
	static const struct {
		const char *name;
		struct spec s;
		enum decode_result on, off;
	} t[] = {
		{ "v4 good", { .link = DECODE_LINK_ETHERNET, V4, SEG }, DECODE_OK, DECODE_OK },
		{ "v4 odd length", { .link = DECODE_LINK_ETHERNET, V4, .sport = 9, .dport = 25,
		  .flags = "PA", .payload = "odd" }, DECODE_OK, DECODE_OK },
		{ "v4 bad tcp", { .link = DECODE_LINK_ETHERNET, V4, SEG, .bad_tcp_csum = true },
		  DECODE_BAD_CHECKSUM, DECODE_OK },
		{ "v4 bad ip", { .link = DECODE_LINK_ETHERNET, V4, SEG, .bad_ip_csum = true },
		  DECODE_BAD_CHECKSUM, DECODE_OK },
		{ "v4 options good", { .link = DECODE_LINK_ETHERNET, V4, SEG,
		  .ipopts = "\x01\x01\x01\x00", .ipopts_len = 4 }, DECODE_OK, DECODE_OK },
		{ "v4 padded good", { .link = DECODE_LINK_ETHERNET, V4, .sport = 1, .dport = 2,
		  .flags = "A", .pad = 6 }, DECODE_OK, DECODE_OK },
		{ "v6 good", { .link = DECODE_LINK_ETHERNET, V6, SEG }, DECODE_OK, DECODE_OK },
		{ "v6 odd length", { .link = DECODE_LINK_ETHERNET, V6, .sport = 9, .dport = 25,
		  .flags = "PA", .payload = "odd" }, DECODE_OK, DECODE_OK },
		{ "v6 bad tcp", { .link = DECODE_LINK_ETHERNET, V6, SEG, .bad_tcp_csum = true },
		  DECODE_BAD_CHECKSUM, DECODE_OK },
		{ "v6 ext good", { .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "hop,dst,ah" },
		  DECODE_OK, DECODE_OK },
		/* RFC 8200 section 8.1: the final destination of a routing
		 * header is in the pseudo-header (the builder uses it too). */
		{ "v6 rt0 final dst", { .link = DECODE_LINK_ETHERNET, V6, SEG,
		  .ext = "rt0:1=2001:db8::99" }, DECODE_OK, DECODE_OK },
		{ "v6 rt0 three addresses", { .link = DECODE_LINK_ETHERNET, V6, SEG,
		  .ext = "rt0:2=2001:db8::7+2001:db8::8+2001:db8::99" }, DECODE_OK, DECODE_OK },
		{ "v6 srh two segments", { .link = DECODE_LINK_ETHERNET, V6, SEG,
		  .ext = "rt4:1=2001:db8::99+2001:db8::7" }, DECODE_OK, DECODE_OK },
		{ "v6 rt2 final dst", { .link = DECODE_LINK_ETHERNET, V6, SEG,
		  .ext = "hop,rt2:1=2001:db8::98" }, DECODE_OK, DECODE_OK },
		{ "v6 srh final dst", { .link = DECODE_LINK_ETHERNET, V6, SEG,
		  .ext = "rt4:1=2001:db8::97" }, DECODE_OK, DECODE_OK },
		{ "v6 rt segleft 0", { .link = DECODE_LINK_ETHERNET, V6, SEG,
		  .ext = "rt0:0=2001:db8::96" }, DECODE_OK, DECODE_OK },
		{ "v6 srh bad", { .link = DECODE_LINK_ETHERNET, V6, SEG,
		  .ext = "rt4:1=2001:db8::97", .bad_tcp_csum = true }, DECODE_BAD_CHECKSUM, DECODE_OK },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct decode_stats st;
		struct decoded_pkt out;
		struct frame f;
		enum decode_result on, off;

		memset(&st, 0, sizeof(st));
		build(&t[i].s, &f);
		on = run(t[i].s.link, f.b, f.len, true, &out, &st);
		off = run(t[i].s.link, f.b, f.len, false, &out, &st);
		if (on != t[i].on || off != t[i].off)
			fprintf(stderr, "checksum row \"%s\": on %s off %s\n", t[i].name,
				decode_result_name(on), decode_result_name(off));
		CHECK_EQ_U(on, t[i].on);
		CHECK_EQ_U(off, t[i].off);
	}

	/* The routing header's address really is used: the same frame with
	 * the pseudo-header over the header's own dst must fail. */
	{
		static const struct spec s = { .link = DECODE_LINK_ETHERNET, V6, SEG,
					       .ext = "rt0:1=2001:db8::99" };
		struct decode_stats st;
		struct decoded_pkt out;
		struct frame f;

		memset(&st, 0, sizeof(st));
		build(&s, &f);
		/* segments left 1 -> 0: now the header's dst is final */
		f.b[f.ip_at + 40 + 3] = 0;
		CHECK_EQ_U(run(s.link, f.b, f.len, true, &out, &st), DECODE_BAD_CHECKSUM);
		CHECK_EQ_U(run(s.link, f.b, f.len, false, &out, &st), DECODE_OK);
	}
}

static void test_tcp_options(void)
{
	static const struct {
		const char *name;
		const char *opts;
		uint32_t len;
		uint16_t mss;
		uint8_t ws;
		bool sack, ts;
		uint32_t tsval, tsecr;
	} t[] = {
		{ "none", "", 0, 0, 0xff, false, false, 0, 0 },
		/* Linux SYN: mss 1460, sackOK, TS, nop, wscale 7 */
		{ "linux syn", "\x02\x04\x05\xb4" "\x04\x02" "\x08\x0a\x00\x00\x10\x00\x00\x00\x00\x00"
		  "\x01" "\x03\x03\x07", 20, 1460, 7, true, true, 4096, 0 },
		{ "ts only", "\x01\x01\x08\x0a\x11\x22\x33\x44\x55\x66\x77\x88", 12, 0, 0xff, false,
		  true, 0x11223344, 0x55667788 },
		{ "wscale 15 clamps", "\x03\x03\x0f", 3, 0, 14, false, false, 0, 0 },
		{ "eol stops", "\x00\x02\x04\x05\xb4", 5, 0, 0xff, false, false, 0, 0 },
		{ "zero length stops", "\x02\x04\x01\x00\x22\x00\x03\x03\x02", 9, 256, 0xff, false,
		  false, 0, 0 },
		{ "overlong stops", "\x04\x02\x08\x30\x00\x00", 6, 0, 0xff, true, false, 0, 0 },
		{ "wrong mss length ignored", "\x02\x03\x05\x03\x03\x05", 6, 0, 5, false, false, 0, 0 },
		{ "unknown skipped", "\x1e\x04\xab\xcd\x02\x04\x02\x18", 8, 536, 0xff, false, false, 0, 0 },
		{ "lone kind at end", "\x01\x01\x01\x02", 4, 0, 0xff, false, false, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct spec s = { .link = DECODE_LINK_RAW, V4, .flags = "S",
				  .tcpopts = t[i].opts, .tcpopts_len = t[i].len };
		struct decode_stats st;
		struct decoded_pkt out;
		struct frame f;

		memset(&st, 0, sizeof(st));
		build(&s, &f);
		CHECK_EQ_U(run(s.link, f.b, f.len, true, &out, &st), DECODE_OK);
		if (out.mss != t[i].mss || out.wscale != t[i].ws)
			fprintf(stderr, "options \"%s\"\n", t[i].name);
		CHECK_EQ_U(out.mss, t[i].mss);
		CHECK_EQ_U(out.wscale, t[i].ws);
		CHECK_EQ_U(out.sack_permitted, t[i].sack);
		CHECK_EQ_U(out.has_timestamp, t[i].ts);
		CHECK_EQ_U(out.ts_val, t[i].tsval);
		CHECK_EQ_U(out.ts_ecr, t[i].tsecr);
		CHECK_EQ_U(out.payload_len, 0);
	}
}

/* A sender-side capture of a GSO super-packet above 64 KiB: IPv4 total
 * length 0 / IPv6 payload length 0; the capture length is what counts. */
static void test_big_tcp(void)
{
	static const struct spec v4 = { .link = DECODE_LINK_RAW, V4, SEG };
	static const struct spec v6 = { .link = DECODE_LINK_RAW, V6, SEG };
	const uint32_t big = 70000;
	uint8_t *b = calloc(1, big + 100);
	struct decode_stats st;
	struct decoded_pkt out;
	struct frame f;

	memset(&st, 0, sizeof(st));
	build(&v4, &f);
	memcpy(b, f.b, f.payload_at);
	b[2] = b[3] = 0;
	CHECK_EQ_U(run(DECODE_LINK_RAW, b, big, false, &out, &st), DECODE_OK);
	CHECK_EQ_U(out.payload_len, big - f.payload_at);
	CHECK_EQ_U(out.ip_len, big);
	/* ... but not when the packet is small: then 0 is just wrong */
	CHECK_EQ_U(run(DECODE_LINK_RAW, b, 1000, false, &out, &st), DECODE_INVALID);

	build(&v6, &f);
	memset(b, 0, big);
	memcpy(b, f.b, f.payload_at);
	b[4] = b[5] = 0;
	CHECK_EQ_U(run(DECODE_LINK_RAW, b, big, false, &out, &st), DECODE_OK);
	CHECK_EQ_U(out.payload_len, big - f.payload_at);
	CHECK_EQ_U(run(DECODE_LINK_RAW, b, 1000, false, &out, &st), DECODE_INVALID);
	free(b);
}

static void test_addr_format(void)
{
	static const struct {
		const char *v6form;     /* what goes in */
		const char *text;       /* what comes out */
		bool v4;
	} t[] = {
		{ "::ffff:192.0.2.1", "192.0.2.1", true },
		{ "::ffff:0.0.0.0", "0.0.0.0", true },
		{ "::ffff:255.255.255.255", "255.255.255.255", true },
		{ "2001:db8::1", "2001:db8::1", false },
		{ "2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1", false },
		{ "::1", "::1", false },
		{ "::", "::", false },
		{ "fe80::1:2:3:4", "fe80::1:2:3:4", false },
		{ "::fffe:192.0.2.1", "::fffe:c000:201", false },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mt_addr a;

		addr6(t[i].v6form, a.b);
		CHECK_STR(mt_addr_format(&a, buf, sizeof(buf)), t[i].text);
		CHECK_EQ_U(mt_addr_is_v4(&a), t[i].v4);
	}
	{
		struct mt_addr a;

		addr6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", a.b);
		CHECK_STR(mt_addr_format(&a, buf, 46), "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff");
		/* too small: an empty string, still a string */
		CHECK_STR(mt_addr_format(&a, buf, 10), "");
		addr6("::ffff:192.0.2.1", a.b);
		CHECK_STR(mt_addr_format(&a, buf, 10), "192.0.2.1");
		CHECK_STR(mt_addr_format(&a, buf, 9), "");
	}
}

static void test_names_and_stats(void)
{
	static const struct spec s = { .link = DECODE_LINK_ETHERNET, .vlans = "8100/3", V6, SEG,
				       .ext = "hop,dst" };
	struct decode_stats st;
	struct decoded_pkt out;
	struct frame f;

	CHECK_STR(decode_result_name(DECODE_OK), "ok");
	CHECK_STR(decode_result_name(DECODE_TRUNCATED), "truncated");
	CHECK_STR(decode_result_name(DECODE_BAD_CHECKSUM), "bad_checksum");
	CHECK_STR(decode_result_name(DECODE_UNSUPPORTED), "unsupported");
	CHECK_STR(decode_result_name(DECODE_RESULT_COUNT), "unknown");
	for (int r = 0; r < DECODE_RESULT_COUNT; r++)
		CHECK(strcmp(decode_result_name((enum decode_result)r), "unknown") != 0);

	memset(&st, 0, sizeof(st));
	build(&s, &f);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_U(run(s.link, f.b, f.len, false, &out, &st), DECODE_OK);
	CHECK_EQ_U(run(s.link, f.b, 20, false, &out, &st), DECODE_TRUNCATED);
	CHECK_EQ_U(st.pkts, 4);
	CHECK_EQ_U(st.bytes, 3 * f.len + 20);
	CHECK_EQ_U(st.result[DECODE_OK], 3);
	CHECK_EQ_U(st.result[DECODE_TRUNCATED], 1);
	CHECK_EQ_U(st.ipv6, 3);
	CHECK_EQ_U(st.ipv4, 0);
	CHECK_EQ_U(st.tcp, 3);
	CHECK_EQ_U(st.vlan, 4);
	CHECK_EQ_U(st.ipv6_ext_headers, 6);
	/* a NULL frame is a zero-length one */
	CHECK_EQ_U(decode_packet(DECODE_LINK_ETHERNET, NULL, 100, NULL, &out, &st), DECODE_TRUNCATED);
}

#define TB(k) (1u << DECODE_TUNNEL_##k)
#define TROW(n, l, v6_, p, w, d, o, k) \
	{ .name = n, .layers = l, .v6 = v6_, .poke = p, .want = w, .depth = d, \
	  .outer = DECODE_TUNNEL_##o, .kinds = k }
#define TROWV(n, l, v6_, w, d, o, k, nv, v0, v1) \
	{ .name = n, .layers = l, .v6 = v6_, .want = w, .depth = d, \
	  .outer = DECODE_TUNNEL_##o, .kinds = k, .vlans = nv, .vlan0 = v0, .vlan1 = v1 }

struct trow {
	const char *name;
	const char *layers;
	bool v6;                /* inner packet IPv6 */
	const char *poke;
	enum decode_result want;
	uint8_t depth;
	enum decode_tunnel outer;
	uint8_t kinds;
	uint8_t vlans;
	uint16_t vlan0, vlan1;
};

static const struct spec inner4 = { V4, SEG };
static const struct spec inner6 = { V6, SEG };

static const struct trow trows[] = {
	/* MPLS */
	TROW("mpls v4", "eth mpls:16 mpls:1000", false, NULL, DECODE_OK, 1, MPLS, TB(MPLS)),
	TROW("mpls v6", "eth mpls:1000", true, NULL, DECODE_OK, 1, MPLS, TB(MPLS)),
	TROW("mpls ipv4 explicit null", "eth mpls:0", false, NULL, DECODE_OK, 1, MPLS, TB(MPLS)),
	TROW("mpls ipv6 explicit null", "eth mpls:100 mpls:2", true, NULL, DECODE_OK, 1, MPLS, TB(MPLS)),
	TROW("mpls ipv4 null carrying v6", "eth mpls:0", true, NULL, DECODE_INVALID, 0, NONE, 0),
	TROW("mpls ipv6 null carrying v4", "eth mpls:2", false, NULL, DECODE_INVALID, 0, NONE, 0),
	TROW("mpls router alert at bottom", "eth mpls:1", false, NULL, DECODE_INVALID, 0, NONE, 0),
	TROW("mpls implicit null", "eth mpls:3", false, NULL, DECODE_INVALID, 0, NONE, 0),
	TROW("mpls gal at bottom", "eth mpls:13", false, NULL, DECODE_NOT_IP, 0, NONE, 0),
	TROW("mpls router alert on top", "eth mpls:1 mpls:500", false, NULL, DECODE_OK, 1, MPLS, TB(MPLS)),
	TROW("mpls nibble 2", "eth mpls:1000", false, "2:0=25", DECODE_UNSUPPORTED, 0, NONE, 0),
	TROW("mpls pw associated channel", "eth mpls:1000", false, "2:0=10", DECODE_NOT_IP, 0, NONE, 0),
	TROW("mpls pw control word + ethernet", "eth mpls:1000 cw eth", false, NULL, DECODE_OK, 1, MPLS,
	     TB(MPLS)),
	TROWV("mpls pw, vlans outside and in", "eth vlan:10 mpls:1000 cw eth vlan:20 vlan:30", true,
	      DECODE_OK, 1, MPLS, TB(MPLS), 3, 10, 20),
	TROW("mpls 16 labels", "eth mpls:1 mpls:2 mpls:3 mpls:4 mpls:5 mpls:6 mpls:7 mpls:8 mpls:9 "
	     "mpls:10 mpls:11 mpls:12 mpls:13 mpls:14 mpls:15 mpls:16", false, NULL, DECODE_OK, 1, MPLS,
	     TB(MPLS)),
	TROW("mpls 17 labels", "eth mpls:1 mpls:2 mpls:3 mpls:4 mpls:5 mpls:6 mpls:7 mpls:8 mpls:9 "
	     "mpls:10 mpls:11 mpls:12 mpls:13 mpls:14 mpls:15 mpls:16 mpls:17", false, NULL,
	     DECODE_UNSUPPORTED, 0, NONE, 0),
	TROWV("mpls after vlan", "eth vlan:5 mpls:100", false, DECODE_OK, 1, MPLS, TB(MPLS), 1, 5, 0),

	/* GRE */
	TROW("gre v4 in v4", "eth ip4 gre", false, NULL, DECODE_OK, 1, GRE, TB(GRE)),
	TROW("gre v6 in v6", "eth ip6 gre", true, NULL, DECODE_OK, 1, GRE, TB(GRE)),
	TROW("gre v6 in v4, raw link", "ip4 gre", true, NULL, DECODE_OK, 1, GRE, TB(GRE)),
	TROW("gre checksum key seq", "eth ip4 gre:cks", false, NULL, DECODE_OK, 1, GRE, TB(GRE)),
	TROW("gre key", "eth ip4 gre:k", true, NULL, DECODE_OK, 1, GRE, TB(GRE)),
	TROW("gre ethernet", "eth ip4 gre:k eth", false, NULL, DECODE_OK, 1, GRE, TB(GRE)),
	TROWV("gre ethernet with vlan", "eth ip4 gre eth vlan:7", false, DECODE_OK, 1, GRE, TB(GRE),
	      1, 7, 0),
	TROW("gre mpls", "eth ip4 gre mpls:100", false, NULL, DECODE_OK, 2, GRE, TB(GRE) | TB(MPLS)),
	TROW("gre version 1 (pptp)", "eth ip4 gre", false, "2:1=01", DECODE_UNSUPPORTED, 0, NONE, 0),
	TROW("gre version 2", "eth ip4 gre", false, "2:1=02", DECODE_INVALID, 0, NONE, 0),
	TROW("gre routing present", "eth ip4 gre", false, "2:0=40", DECODE_UNSUPPORTED, 0, NONE, 0),
	TROW("gre recursion bits ignored", "eth ip4 gre", false, "2:0=07", DECODE_OK, 1, GRE, TB(GRE)),
	TROW("gre unknown protocol", "eth ip4 gre", false, "2:2=883e", DECODE_UNSUPPORTED, 0, NONE, 0),
	TROW("gre says v4, carries v6", "eth ip4 gre", true, "2:2=0800", DECODE_INVALID, 1, GRE, TB(GRE)),
	TROW("gre optional fields claimed", "eth ip4 gre", false, "2:0=20", DECODE_INVALID, 1, GRE,
	     TB(GRE)),

	/* ERSPAN */
	TROW("erspan type I", "eth ip4 gre erspan1 eth", false, NULL, DECODE_OK, 1, ERSPAN, TB(ERSPAN)),
	TROW("erspan type II", "eth ip4 gre:s erspan2 eth", false, NULL, DECODE_OK, 1, ERSPAN,
	     TB(ERSPAN)),
	TROWV("erspan type II, tagged frame", "eth ip4 gre:s erspan2 eth vlan:300", true, DECODE_OK, 1,
	      ERSPAN, TB(ERSPAN), 1, 300, 0),
	TROW("erspan type II version 2", "eth ip4 gre:s erspan2 eth", false, "3:0=20",
	     DECODE_UNSUPPORTED, 0, NONE, 0),
	TROW("erspan type III", "eth ip4 gre:s erspan3 eth", false, NULL, DECODE_OK, 1, ERSPAN,
	     TB(ERSPAN)),
	TROW("erspan type III platform subheader", "eth ip4 gre:s erspan3o eth", true, NULL, DECODE_OK,
	     1, ERSPAN, TB(ERSPAN)),
	TROW("erspan type III ip frame", "eth ip4 gre:s erspan3", false, NULL, DECODE_OK, 1, ERSPAN,
	     TB(ERSPAN)),
	TROW("erspan type III ip6 frame, subheader", "eth ip6 gre:s erspan3o", true, NULL, DECODE_OK, 1,
	     ERSPAN, TB(ERSPAN)),
	TROW("erspan type III frame type 3", "eth ip4 gre:s erspan3 eth", false, "3:10=0c",
	     DECODE_UNSUPPORTED, 0, NONE, 0),
	TROW("erspan type III version 1", "eth ip4 gre:s erspan3 eth", false, "3:0=10",
	     DECODE_UNSUPPORTED, 0, NONE, 0),

	/* VXLAN */
	TROW("vxlan", "eth ip4 udp:4789 vxlan eth", false, NULL, DECODE_OK, 1, VXLAN, TB(VXLAN)),
	TROW("vxlan over ip6", "eth ip6 udp:4789 vxlan eth", true, NULL, DECODE_OK, 1, VXLAN, TB(VXLAN)),
	TROWV("vxlan, vlans outside and in", "eth vlan:10 ip4 udp:4789 vxlan eth vlan:20 vlan:30", false,
	      DECODE_OK, 1, VXLAN, TB(VXLAN), 3, 10, 20),
	TROW("vxlan I flag clear", "eth ip4 udp:4789 vxlan eth", false, "3:0=00", DECODE_INVALID, 0,
	     NONE, 0),
	TROW("vxlan reserved bits ignored", "eth ip4 udp:4789 vxlan eth", false, "3:0=ff", DECODE_OK, 1,
	     VXLAN, TB(VXLAN)),
	TROW("vxlan udp length past ip", "eth ip4 udp:4789 vxlan eth", false, "2:4=ffff",
	     DECODE_INVALID, 0, NONE, 0),
	TROW("vxlan udp length 7", "eth ip4 udp:4789 vxlan eth", false, "2:4=0007", DECODE_INVALID, 0,
	     NONE, 0),
	TROW("vxlan udp length cuts header", "eth ip4 udp:4789 vxlan eth", false, "2:4=000c",
	     DECODE_INVALID, 0, NONE, 0),
	TROW("vxlan udp length cuts inner", "eth ip4 udp:4789 vxlan eth", false, "2:4=0030",
	     DECODE_INVALID, 1, VXLAN, TB(VXLAN)),
	TROW("udp 4790 is not vxlan", "eth ip4 udp:4790 vxlan eth", false, NULL, DECODE_NOT_TCP, 0,
	     NONE, 0),

	/* Geneve */
	TROW("geneve ethernet", "eth ip4 udp:6081 geneve eth", false, NULL, DECODE_OK, 1, GENEVE,
	     TB(GENEVE)),
	TROW("geneve options", "eth ip6 udp:6081 geneve:3 eth", true, NULL, DECODE_OK, 1, GENEVE,
	     TB(GENEVE)),
	TROW("geneve ipv4", "eth ip4 udp:6081 geneve:1", false, NULL, DECODE_OK, 1, GENEVE, TB(GENEVE)),
	TROW("geneve ipv6", "eth ip4 udp:6081 geneve", true, NULL, DECODE_OK, 1, GENEVE, TB(GENEVE)),
	TROW("geneve version 1", "eth ip4 udp:6081 geneve eth", false, "3:0=40", DECODE_UNSUPPORTED, 0,
	     NONE, 0),
	TROW("geneve options past the end", "eth ip4 udp:6081 geneve eth", false, "3:0=3f",
	     DECODE_INVALID, 0, NONE, 0),
	TROW("geneve control packet", "eth ip4 udp:6081 geneve eth", false, "3:1=80", DECODE_NOT_IP, 0,
	     NONE, 0),
	TROW("geneve critical options", "eth ip4 udp:6081 geneve:2 eth", false, "3:1=40", DECODE_OK, 1,
	     GENEVE, TB(GENEVE)),
	TROW("geneve unknown protocol", "eth ip4 udp:6081 geneve eth", false, "3:2=88cc",
	     DECODE_UNSUPPORTED, 0, NONE, 0),

	/* IP in IP */
	TROW("ipip 4in4", "eth ip4", false, NULL, DECODE_OK, 1, IPIP, TB(IPIP)),
	TROW("ipip 6in4", "eth ip4", true, NULL, DECODE_OK, 1, IPIP, TB(IPIP)),
	TROW("ipip 4in6", "eth ip6", false, NULL, DECODE_OK, 1, IPIP, TB(IPIP)),
	TROW("ipip 6in6", "eth ip6", true, NULL, DECODE_OK, 1, IPIP, TB(IPIP)),
	TROW("ipip raw link", "ip6", false, NULL, DECODE_OK, 1, IPIP, TB(IPIP)),
	TROW("ipip proto 4 carrying v6", "eth ip4", true, "1:9=04", DECODE_INVALID, 0, NONE, 0),
	TROW("ipip proto 41 carrying v4", "eth ip6", false, "1:6=29", DECODE_INVALID, 0, NONE, 0),
	TROW("ipip inner v4 longer than outer", "eth ip4", false, "2:2=ffff", DECODE_INVALID, 1, IPIP,
	     TB(IPIP)),
	TROW("ipip inner v6 longer than outer", "eth ip6", true, "2:4=0400", DECODE_INVALID, 1, IPIP,
	     TB(IPIP)),

	/* nesting */
	TROW("4 deep ipip", "ip4 ip4 ip4 ip4", false, NULL, DECODE_OK, 4, IPIP, TB(IPIP)),
	TROW("5 deep ipip", "ip4 ip4 ip4 ip4 ip4", false, NULL, DECODE_UNSUPPORTED, 4, IPIP, TB(IPIP)),
	TROW("4 deep mixed", "eth mpls:100 ip4 gre eth ip4 udp:4789 vxlan eth ip6", false, NULL,
	     DECODE_OK, 4, MPLS, TB(MPLS) | TB(GRE) | TB(VXLAN) | TB(IPIP)),
	TROW("5 deep mixed", "eth ip4 gre:s erspan2 eth ip4 udp:6081 geneve eth ip4 udp:4789 vxlan eth "
	     "mpls:700 ip6", false, NULL, DECODE_UNSUPPORTED, 4, ERSPAN,
	     TB(ERSPAN) | TB(GENEVE) | TB(VXLAN) | TB(MPLS)),
};

static void test_tunnels(void)
{
	for (size_t i = 0; i < sizeof(trows) / sizeof(trows[0]); i++) {
		const struct trow *t = &trows[i];
		const struct spec *in = t->v6 ? &inner6 : &inner4;
		static struct tframe f;
		struct decode_stats st;
		struct decoded_pkt out;
		enum decode_result r;
		uint64_t sum = 0;
		char a[64];

		tbuild(t->layers, in, &f);
		tpoke(&f, t->poke);
		memset(&st, 0, sizeof(st));
		memset(&out, 0xee, sizeof(out));
		r = run(f.link, f.b, f.end, false, &out, &st);
		if (r != t->want || out.tunnel_depth != t->depth)
			fprintf(stderr, "tunnel row \"%s\": got %s depth %u, want %s depth %u\n", t->name,
				decode_result_name(r), out.tunnel_depth, decode_result_name(t->want),
				t->depth);
		CHECK_EQ_U(r, t->want);
		CHECK_EQ_U(st.result[t->want], 1);
		CHECK_EQ_U(out.tunnel_depth, t->depth);
		CHECK_EQ_U(out.tunnel_outer, t->outer);
		CHECK_EQ_U(out.tunnels, t->kinds);
		for (int k = 0; k < DECODE_TUNNEL_COUNT; k++)
			sum += st.tunnel[k];
		CHECK_EQ_U(sum, t->depth);
		CHECK_EQ_U(st.tunnel_too_deep,
			   t->want == DECODE_UNSUPPORTED && (t->depth == DECODE_MAX_TUNNELS ||
							     strstr(t->name, "17 labels")));
		CHECK_EQ_U(st.mpls_pw, strstr(t->layers, "cw") ? 1 : 0);
		CHECK_EQ_U(st.ipip[0] + st.ipip[1] + st.ipip[2] + st.ipip[3],
			   st.tunnel[DECODE_TUNNEL_IPIP]);
		if (r != DECODE_OK)
			continue;
		/* with checksums validated too (the inner TCP's; no pokes on OK
		 * rows touch a checksummed header but the outer IPv4's) */
		if (!t->poke)
			CHECK_EQ_U(run(f.link, f.b, f.end, true, &out, &st), DECODE_OK);
		CHECK_EQ_U(out.ip_version, t->v6 ? 6 : 4);
		CHECK_STR(mt_addr_format(&out.src, a, sizeof(a)), in->src);
		CHECK_STR(mt_addr_format(&out.dst, a, sizeof(a)), in->dst);
		CHECK_EQ_U(out.sport, 40000);
		CHECK_EQ_U(out.dport, 25);
		CHECK_EQ_U(out.seq, 1000);
		CHECK(out.payload == f.b + f.payload_at);
		CHECK_MEM(out.payload, out.payload_len, in->payload, strlen(in->payload));
		CHECK_EQ_U(out.ip_len, f.end - f.inner_at);
		CHECK_EQ_U(out.frame_len, f.end);
		CHECK_EQ_U(out.vlan_count, t->vlans);
		CHECK_EQ_U(out.vlan[0], t->vlan0);
		CHECK_EQ_U(out.vlan[1], t->vlan1);
		CHECK_EQ_U(st.vlan, t->vlans ? 2 : 0);  /* two runs */
		CHECK_EQ_U(st.trailer_bytes, 0);
	}
}

/* Random damage to deeply tunnelled frames (each decoded from an
 * exact-size copy): nothing crashes or reads past the frame, an OK
 * packet's payload and a fragment's pieces lie inside it. */
static void test_tunnel_garbage(void)
{
	static const char *const stacks[] = {
		"eth mpls:100 ip4 gre:s erspan3o eth ip4 udp:6081 geneve:2 eth vlan:5 ip6",
		"eth vlan:10 ip6 udp:4789 vxlan eth ip4 gre:cks mpls:16 cw eth",
		"ip4 gre eth ip6 udp:4789 vxlan eth",
	};
	static const struct spec in = { V6, SEG8, .ext = "hop,frag:0:1" };
	uint32_t x = 777;
	unsigned outside = 0, ok = 0;

	for (size_t i = 0; i < sizeof(stacks) / sizeof(stacks[0]); i++) {
		static struct tframe f;
		static uint8_t b[8192];

		tbuild(stacks[i], i == 2 ? &in : &inner4, &f);
		for (int n = 0; n < 20000; n++) {
			struct decode_stats st;
			struct decoded_pkt out;
			enum decode_result r;
			uint8_t *copy;
			int flips;

			memcpy(b, f.b, f.end);
			x = x * 1103515245u + 12345u;
			flips = 1 + (int)(x >> 29);
			for (int k = 0; k < flips; k++) {
				x = x * 1103515245u + 12345u;
				b[(x >> 8) % f.end] = (uint8_t)(x >> 24);
			}
			memset(&st, 0, sizeof(st));
			copy = malloc(f.end);
			memcpy(copy, b, f.end);
			r = decode_packet(f.link, copy, f.end, NULL, &out, &st);
			if (r == DECODE_OK) {
				ok++;
				if (out.payload < copy || out.payload + out.payload_len > copy + f.end)
					outside++;
			}
			if (r == DECODE_FRAGMENT &&
			    (out.frag.l3 < copy || out.frag.l3 + out.frag.l3_len > copy + f.end ||
			     out.frag.data + out.frag.data_len > copy + f.end ||
			     out.frag.data < out.frag.l3 + out.frag.l3_len))
				outside++;
			if (out.tunnel_depth > DECODE_MAX_TUNNELS)
				outside++;
			free(copy);
		}
	}
	CHECK_EQ_U(outside, 0);
	CHECK(ok > 1000);               /* the damage often spares the headers */
}

/* Valid tunnel frames: every capture prefix is TRUNCATED (the outermost
 * length is checked first); every cut of the outermost IP payload, with
 * that IP length saying so, is INVALID (an inner length lies). */
static void test_tunnel_cuts(void)
{
	static struct tframe f;
	static uint8_t b[8192];

	for (size_t i = 0; i < sizeof(trows) / sizeof(trows[0]); i++) {
		const struct trow *t = &trows[i];
		unsigned bad = 0, ip_layer = 99, cuts = 0;
		struct decode_stats st;
		struct decoded_pkt out;

		if (t->want != DECODE_OK || t->poke)
			continue;
		tbuild(t->layers, t->v6 ? &inner6 : &inner4, &f);
		memset(&st, 0, sizeof(st));
		for (uint32_t cap = 0; cap < f.end; cap++) {
			enum decode_result r = run(f.link, f.b, cap, cap & 1, &out, &st);

			/* truncated, or decoded as snapped (the TCP header whole,
			 * the cut bytes in wire_payload_len) */
			if (r != DECODE_TRUNCATED &&
			    !(r == DECODE_OK && out.wire_payload_len > out.payload_len)) {
				fprintf(stderr, "\"%s\" caplen %u/%u: %s\n", t->name, cap, f.end,
					decode_result_name(r));
				bad++;
			}
		}
		CHECK_EQ_U(bad, 0);

		/* the outermost IP header: the first ip4/ip6 layer */
		{
			char buf[512], *save = NULL, *tok;
			int l = 0;

			snprintf(buf, sizeof(buf), "%s", t->layers);
			for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save), l++)
				if (!strcmp(tok, "ip4") || !strcmp(tok, "ip6")) {
					ip_layer = (unsigned)l;
					break;
				}
		}
		if (ip_layer == 99)
			continue;
		{
			uint32_t at = f.layer_at[ip_layer];
			bool v4 = f.b[at] >> 4 == 4;
			uint32_t from = at + (v4 ? 20 : 40);

			for (uint32_t cut = from; cut < f.end; cut++) {
				enum decode_result r;

				memcpy(b, f.b, cut);
				if (v4)
					wr16(b + at + 2, cut - at);
				else
					wr16(b + at + 4, cut - at - 40);
				/* (no validation: the outer IPv4 checksum is stale) */
				r = run(f.link, b, cut, false, &out, &st);
				cuts++;
				if (r != DECODE_INVALID) {
					fprintf(stderr, "\"%s\" ip payload cut at %u/%u: %s\n", t->name,
						cut, f.end, decode_result_name(r));
					bad++;
				}
			}
		}
		CHECK(cuts > 20);
		CHECK_EQ_U(bad, 0);
	}
}

/* decode_ip(): a bare IP packet, same results as a raw-link frame. */
static void test_decode_ip(void)
{
	static const struct spec specs[] = {
		{ V4, SEG, .ipopts = "\x01\x01\x01\x00", .ipopts_len = 4 },
		{ V6, SEG, .ext = "hop,dst" },
		{ V4, SEG8, .frag = 0x2000 },
		{ V6, .sport = 1, .dport = 2, .flags = "S" },
		{ V4, SEG, .proto = 17 },
	};
	static const enum decode_result want[] = {
		DECODE_OK, DECODE_OK, DECODE_FRAGMENT, DECODE_OK, DECODE_NOT_TCP,
	};

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct spec s = specs[i];
		struct decode_stats st, st2;
		struct decoded_pkt a, b;
		struct frame f;
		uint8_t *copy;
		unsigned bad = 0;

		s.link = DECODE_LINK_RAW;
		build(&s, &f);
		copy = malloc(f.len);
		memcpy(copy, f.b, f.len);
		memset(&st, 0, sizeof(st));
		memset(&st2, 0, sizeof(st2));
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		CHECK_EQ_U(decode_ip(copy, f.len, NULL, &a, &st), want[i]);
		CHECK_EQ_U(decode_packet(DECODE_LINK_RAW, copy, f.len, NULL, &b, &st2), want[i]);
		CHECK_EQ_U(st.pkts, 1);
		CHECK_EQ_U(st.bytes, f.len);
		CHECK_EQ_U(st.result[want[i]], 1);
		CHECK_EQ_U(a.frame_len, f.len);
		CHECK_EQ_U(a.vlan_count, 0);
		CHECK_EQ_U(a.tunnel_depth, 0);
		if (want[i] == DECODE_OK) {
			CHECK(a.payload == copy + f.payload_at);
			CHECK_EQ_U(a.payload_len, b.payload_len);
			CHECK_MEM(&a.src, 16, &b.src, 16);
			CHECK_EQ_U(a.seq, b.seq);
			CHECK_EQ_U(a.ip_len, f.len);
			/* checksums validated: the builder's are right */
			struct decode_opts o = { .validate_checksums = true };
			CHECK_EQ_U(decode_ip(copy, f.len, &o, &a, &st), DECODE_OK);
		}
		if (want[i] == DECODE_FRAGMENT) {
			CHECK(a.frag.l3 == copy);
			CHECK(a.frag.data == copy + 20);
		}
		free(copy);
		for (uint32_t cap = 0; cap < f.len && want[i] != DECODE_INVALID; cap++) {
			struct decoded_pkt o;

			copy = malloc(cap ? cap : 1);
			memcpy(copy, f.b, cap);
			enum decode_result r = decode_ip(copy, cap, NULL, &o, &st);

			if (r != DECODE_TRUNCATED &&
			    !(r == DECODE_OK && o.wire_payload_len > o.payload_len))
				bad++;
			free(copy);
		}
		CHECK_EQ_U(bad, 0);
	}

	/* a tunnel inside, an unknown version, NULL */
	{
		static struct tframe t;
		struct decode_stats st;
		struct decoded_pkt o;
		uint8_t junk[40] = { 0x55 };

		memset(&st, 0, sizeof(st));
		tbuild("ip4 udp:4789 vxlan eth ip6", &inner4, &t);
		CHECK_EQ_U(decode_ip(t.b, t.end, NULL, &o, &st), DECODE_OK);
		CHECK_EQ_U(o.tunnel_depth, 2);
		CHECK_EQ_U(o.tunnel_outer, DECODE_TUNNEL_VXLAN);
		CHECK(o.payload == t.b + t.payload_at);
		CHECK_EQ_U(decode_ip(junk, sizeof(junk), NULL, &o, &st), DECODE_INVALID);
		CHECK_EQ_U(decode_ip(NULL, 100, NULL, &o, &st), DECODE_TRUNCATED);
		CHECK_EQ_U(o.frame_len, 0);
		CHECK_EQ_U(st.pkts, 3);
		CHECK_EQ_U(st.bytes, t.end + sizeof(junk) + 100);
		CHECK_EQ_U(st.tunnel[DECODE_TUNNEL_VXLAN], 1);
		CHECK_EQ_U(st.tunnel[DECODE_TUNNEL_IPIP], 1);
	}
}

/* ---- fragments ------------------------------------------------------ */

struct frow {
	const char *name;
	const char *layers;     /* around the packet: at least "eth" */
	struct spec s;
	enum decode_result want;
	uint8_t proto;
	bool more;
	uint32_t offset, l3_len, l3_nh_off, data_len;
	uint64_t invalid, trimmed, atomic;
};

#define FROW(n, l, w, pr, m, off, l3, nh, dl, ...) \
	{ .name = n, .layers = l, .want = w, .proto = pr, .more = m, .offset = off, \
	  .l3_len = l3, .l3_nh_off = nh, .data_len = dl, .s = { __VA_ARGS__ } }
#define FBAD(n, l, w, inv, tr, ...) \
	{ .name = n, .layers = l, .want = w, .invalid = inv, .trimmed = tr, .s = { __VA_ARGS__ } }

static const struct frow frows[] = {
	/* IPv4: the 13-bit offset field counts 8-byte units */
	FROW("v4 first", "eth", DECODE_FRAGMENT, 6, true, 0, 20, 9, 48, V4, SEG8, .frag = 0x2000),
	FROW("v4 middle", "eth", DECODE_FRAGMENT, 6, true, 40, 20, 9, 48, V4, SEG8, .frag = 0x2005),
	FROW("v4 last, any length", "eth", DECODE_FRAGMENT, 6, false, 40, 20, 9, 43, V4, SEG,
	     .frag = 0x0005),
	FROW("v4 DF is not MF", "eth", DECODE_FRAGMENT, 6, false, 8, 20, 9, 43, V4, SEG,
	     .frag = 0x4001),
	FROW("v4 with options", "eth", DECODE_FRAGMENT, 6, true, 0, 28, 9, 48, V4, SEG8,
	     .frag = 0x2000, .ipopts = "\x01\x01\x01\x01\x01\x01\x01\x00", .ipopts_len = 8),
	FROW("v4 udp", "eth", DECODE_FRAGMENT, 17, true, 0, 20, 9, 48, V4, SEG8, .frag = 0x2000,
	     .proto = 17),
	FROW("v4 ending at 65535", "eth", DECODE_FRAGMENT, 6, false, 65472, 20, 9, 43, V4, SEG,
	     .frag = 0x1ff8),
	FROW("v4 inside gre", "eth ip4 gre", DECODE_FRAGMENT, 6, true, 0, 20, 9, 48, V4, SEG8,
	     .frag = 0x2000),
	FROW("v4 inside vxlan over v6", "eth ip6 udp:4789 vxlan eth", DECODE_FRAGMENT, 6, false, 800,
	     20, 9, 48, V4, SEG8, .frag = 100),
	/* a non-final fragment of 43 bytes keeps 40 (Linux's ip_frag_queue) */
	{ .name = "v4 unaligned non-final", .layers = "eth", .want = DECODE_FRAGMENT, .proto = 6,
	  .more = true, .l3_len = 20, .l3_nh_off = 9, .data_len = 40, .trimmed = 1,
	  .s = { V4, SEG, .frag = 0x2000 } },
	FBAD("v4 non-final of 5 bytes", "eth", DECODE_INVALID, 1, 0, V4, SEG, .frag = 0x2000,
	     .tot_delta = -38),
	FBAD("v4 empty", "eth", DECODE_INVALID, 1, 0, V4, SEG, .frag = 0x0003, .tot_delta = -43),
	FBAD("v4 past 65535", "eth", DECODE_INVALID, 1, 0, V4, SEG, .frag = 0x1fff),
	FBAD("v4 past 65535 by one", "eth", DECODE_INVALID, 1, 0, V4, SEG, .frag = 0x1ff8,
	     .ipopts = "\x01\x01\x01\x00", .ipopts_len = 4),
	FBAD("v4 icmp", "eth", DECODE_NOT_TCP, 0, 0, V4, SEG, .frag = 0x2000, .proto = 1),

	/* IPv6: the Fragment header anywhere in the chain */
	FROW("v6 first", "eth", DECODE_FRAGMENT, 6, true, 0, 40, 6, 48, V6, SEG8, .ext = "frag:0:1"),
	FROW("v6 after hop,dst", "eth", DECODE_FRAGMENT, 6, true, 24, 56, 48, 48, V6, SEG8,
	     .ext = "hop,dst,frag:3:1"),
	FROW("v6 after routing", "eth", DECODE_FRAGMENT, 6, false, 8, 64, 40, 48, V6, SEG8,
	     .ext = "rt0:1=2001:db8::99,frag:1:0"),
	FROW("v6 dst options fragmentable", "eth", DECODE_FRAGMENT, 60, true, 0, 40, 6, 56, V6, SEG8,
	     .ext = "frag:0:1,dst"),
	FROW("v6 last, any length", "eth", DECODE_FRAGMENT, 6, false, 40, 40, 6, 43, V6, SEG,
	     .ext = "frag:5:0"),
	FROW("v6 udp", "eth", DECODE_FRAGMENT, 17, true, 0, 40, 6, 48, V6, SEG8, .ext = "frag:0:1",
	     .proto = 17),
	FROW("v6 ending at 65535", "eth", DECODE_FRAGMENT, 6, false, 65488, 40, 6, 43, V6, SEG,
	     .ext = "frag:8186:0"),
	FROW("v6 inside ipip", "eth ip4", DECODE_FRAGMENT, 6, true, 8, 40, 6, 48, V6, SEG8,
	     .ext = "frag:1:1"),
	/* atomic fragments are whole packets; a real one may follow */
	{ .name = "v6 atomic", .layers = "eth", .want = DECODE_OK, .atomic = 1,
	  .s = { V6, SEG, .ext = "frag:0:0" } },
	{ .name = "v6 atomic then real", .layers = "eth", .want = DECODE_FRAGMENT, .proto = 6,
	  .more = true, .l3_len = 48, .l3_nh_off = 40, .data_len = 48, .atomic = 1,
	  .s = { V6, SEG8, .ext = "frag:0:0,frag:0:1" } },
	FBAD("v6 unaligned non-final", "eth", DECODE_INVALID, 1, 0, V6, SEG, .ext = "frag:0:1"),
	FBAD("v6 empty", "eth", DECODE_INVALID, 1, 0, V6, SEG, .ext = "frag:5:0", .tot_delta = -43),
	FBAD("v6 past 65535", "eth", DECODE_INVALID, 1, 0, V6, SEG, .ext = "frag:8191:0"),
	FBAD("v6 past 65535 with hop", "eth", DECODE_INVALID, 1, 0, V6, SEG, .ext = "hop,frag:8186:0"),
	FBAD("v6 esp", "eth", DECODE_NOT_TCP, 0, 0, V6, SEG8, .ext = "frag:0:1", .proto = 50),
};

static void test_fragments(void)
{
	for (size_t i = 0; i < sizeof(frows) / sizeof(frows[0]); i++) {
		const struct frow *t = &frows[i];
		static struct tframe f;
		struct decode_stats st;
		struct decoded_pkt out;
		enum decode_result r;
		const struct decoded_frag *fr = &out.frag;
		bool v6 = t->s.ipv == 6;
		char a[64];

		tbuild(t->layers, &t->s, &f);
		memset(&st, 0, sizeof(st));
		memset(&out, 0xee, sizeof(out));
		r = decode_packet(f.link, f.b, f.end, NULL, &out, &st);
		if (r != t->want)
			fprintf(stderr, "fragment row \"%s\": got %s want %s\n", t->name,
				decode_result_name(r), decode_result_name(t->want));
		CHECK_EQ_U(r, t->want);
		CHECK_EQ_U(st.frag_invalid, t->invalid);
		CHECK_EQ_U(st.frag_trimmed, t->trimmed);
		CHECK_EQ_U(st.frag_atomic, t->atomic);
		if (r != DECODE_FRAGMENT)
			continue;
		CHECK_EQ_U(fr->ip_version, t->s.ipv);
		CHECK_STR(mt_addr_format(&fr->src, a, sizeof(a)), t->s.src);
		CHECK_STR(mt_addr_format(&fr->dst, a, sizeof(a)), t->s.dst);
		CHECK_EQ_U(fr->proto, t->proto);
		CHECK_EQ_U(fr->more, t->more);
		CHECK_EQ_U(fr->id, v6 ? 0x12345678u : 0x1234u);
		CHECK_EQ_U(fr->offset, t->offset);
		CHECK(fr->l3 == f.b + f.inner_at);
		CHECK_EQ_U(fr->l3_len, t->l3_len);
		CHECK_EQ_U(fr->l3_nh_off, t->l3_nh_off);
		if (v6)
			CHECK_EQ_U(fr->l3[fr->l3_nh_off], 44);
		CHECK(fr->data == fr->l3 + fr->l3_len + (v6 ? 8 : 0));
		CHECK_EQ_U(fr->data_len, t->data_len);
		CHECK_EQ_U(fr->ttl, 64);
		CHECK_EQ_U(out.tunnel_depth, strcmp(t->layers, "eth") ? 1 : 0);
	}
}

/* Fragments cut and put back together the way a defragmenter would, per
 * the contract in decode.h, then decode_ip(): the TCP segment is whole and
 * its checksum right. */
static void test_fragment_roundtrip(void)
{
	static const struct spec specs[] = {
		{ V4, SEG8, .ipopts = "\x01\x01\x01\x00", .ipopts_len = 4 },
		{ V6, SEG8, .ext = "hop,dst" },
	};

	for (size_t i = 0; i < 2; i++) {
		struct spec s = specs[i];
		struct decode_opts o = { .validate_checksums = true };
		struct frame whole, piece[2];
		struct decode_stats st;
		struct decoded_pkt d;
		uint8_t re[4096];
		uint32_t hl, l4, rl = 0, first_l3 = 0;
		bool v6 = s.ipv == 6;

		s.link = DECODE_LINK_RAW;
		build(&s, &whole);
		hl = v6 ? 56 : 24;              /* header(s) before the TCP header */
		l4 = whole.len - hl;            /* 48 bytes: two fragments of 24 */
		for (int k = 0; k < 2; k++) {
			struct frame *p = &piece[k];
			uint32_t off = 24u * (uint32_t)k, n = 24;

			memcpy(p->b, whole.b, hl);
			p->len = hl;
			if (v6) {
				uint8_t fh[8] = { 6, 0, (uint8_t)((off | (k == 0)) >> 8),
						  (uint8_t)(off | (k == 0)), 0, 0, 0, 9 };
				p->b[48] = 44;  /* dst's next header: Fragment */
				memcpy(p->b + p->len, fh, 8);
				p->len += 8;
				wr16(p->b + 4, p->len - 40 + n);
			} else {
				wr16(p->b + 2, hl + n);
				wr16(p->b + 6, (k == 0 ? 0x2000 : 0) | off / 8);
				wr16(p->b + 10, 0);
				wr16(p->b + 10, fold(sum16(p->b, hl, 0)));
			}
			memcpy(p->b + p->len, whole.b + hl + off, n);
			p->len += n;
		}
		CHECK_EQ_U(l4, 48);
		/* second fragment first: order does not matter */
		memset(&st, 0, sizeof(st));
		for (int k = 1; k >= 0; k--) {
			CHECK_EQ_U(decode_ip(piece[k].b, piece[k].len, &o, &d, &st), DECODE_FRAGMENT);
			if (d.frag.offset == 0) {
				memcpy(re, d.frag.l3, d.frag.l3_len);
				first_l3 = d.frag.l3_len;
				if (v6) {
					re[d.frag.l3_nh_off] = d.frag.proto;
				} else {
					wr16(re + 6, 0);
				}
			}
			memcpy(re + 200 + d.frag.offset, d.frag.data, d.frag.data_len);
			rl += d.frag.data_len;
		}
		CHECK_EQ_U(first_l3, v6 ? 56 : 24);
		memmove(re + first_l3, re + 200, rl);
		if (v6) {
			wr16(re + 4, first_l3 - 40 + rl);
		} else {
			wr16(re + 2, first_l3 + rl);
			wr16(re + 10, 0);
			wr16(re + 10, fold(sum16(re, first_l3, 0)));
		}
		CHECK_EQ_U(first_l3 + rl, whole.len);
		CHECK_MEM(re, first_l3 + rl, whole.b, whole.len);
		CHECK_EQ_U(decode_ip(re, first_l3 + rl, &o, &d, &st), DECODE_OK);
		CHECK_MEM(d.payload, d.payload_len, s.payload, strlen(s.payload));
	}
}

/* IP-in-IP counted by combination, as Suricata's decoder.ipvX_in_ipvY. */
static void test_ipip_kinds(void)
{
	static const struct {
		const char *layers;
		bool v6;
		unsigned idx;
	} t[] = {
		{ "ip4", false, 0 }, { "ip4", true, 1 }, { "ip6", false, 2 }, { "ip6", true, 3 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		static struct tframe f;
		struct decode_stats st;
		struct decoded_pkt out;

		memset(&st, 0, sizeof(st));
		tbuild(t[i].layers, t[i].v6 ? &inner6 : &inner4, &f);
		CHECK_EQ_U(run(f.link, f.b, f.end, true, &out, &st), DECODE_OK);
		for (unsigned k = 0; k < 4; k++)
			CHECK_EQ_U(st.ipip[k], k == t[i].idx);
	}
}

static void test_tunnel_names(void)
{
	CHECK_STR(decode_tunnel_name(DECODE_TUNNEL_NONE), "none");
	CHECK_STR(decode_tunnel_name(DECODE_TUNNEL_MPLS), "mpls");
	CHECK_STR(decode_tunnel_name(DECODE_TUNNEL_GRE), "gre");
	CHECK_STR(decode_tunnel_name(DECODE_TUNNEL_ERSPAN), "erspan");
	CHECK_STR(decode_tunnel_name(DECODE_TUNNEL_VXLAN), "vxlan");
	CHECK_STR(decode_tunnel_name(DECODE_TUNNEL_GENEVE), "geneve");
	CHECK_STR(decode_tunnel_name(DECODE_TUNNEL_IPIP), "ipip");
	CHECK_STR(decode_tunnel_name(DECODE_TUNNEL_COUNT), "unknown");
}

int main(void)
{
	test_rows();
	test_truncation();
	test_garbage();
	test_checksums();
	test_tcp_options();
	test_big_tcp();
	test_addr_format();
	test_names_and_stats();
	test_tunnels();
	test_tunnel_cuts();
	test_tunnel_garbage();
	test_decode_ip();
	test_fragments();
	test_fragment_roundtrip();
	test_ipip_kinds();
	test_tunnel_names();
	return check_summary("test_decode");
}
