/*
 * test_pcapw — the capture writer and the mtpcap transcript language.
 *
 * Every case writes a real file to a temporary directory and reads it back
 * with an independent reader: the pcap/pcapng container is parsed here,
 * frames go through the project's decoder (decode_packet, with checksum
 * validation), and the TCP streams are reassembled by sequence number. The
 * checks are on what a consumer sees: the file's link type, packet count,
 * addresses, ports, VLAN ids, sequence/ack continuity, the reassembled bytes
 * against the transcript, checksum validity, timestamps, and that reordering
 * and retransmission really happen (and never when not asked for).
 */
#include "check.h"
#include "decode.h"
#include "pcapw.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/test_pcapw.XXXXXX";

/* ------------------------------------------------------------------ */
/* An independent reader of what pcapw writes. */

struct frame {
	const uint8_t *p;
	uint32_t len;
	uint64_t ts_us;
	bool raw_ip;                /* a bare IP datagram (reassembled here) */
};

struct cap {
	uint8_t *buf;
	size_t len;
	bool pcapng;
	unsigned link;              /* LINKTYPE_ from the file */
	unsigned n;
	struct frame f[4096];
};

static uint32_t rd_h32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd_h16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* Load and parse a capture; returns 0 or -1 (and says why). Every length
 * in the file is checked against the file size. */
static int cap_load(const char *path, struct cap *c)
{
	FILE *f = fopen(path, "rb");
	long sz;
	size_t pos;

	memset(c, 0, sizeof(*c));
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	c->buf = malloc((size_t)sz + 1);
	c->len = fread(c->buf, 1, (size_t)sz, f);
	fclose(f);
	if (c->len < 24)
		return -1;
	if (rd_h32(c->buf) == 0xa1b2c3d4u) {
		if (rd_h16(c->buf + 4) != 2 || rd_h16(c->buf + 6) != 4)
			return -1;
		c->link = rd_h32(c->buf + 20);
		for (pos = 24; pos < c->len; ) {
			uint32_t incl, orig;
			if (c->len - pos < 16 || c->n == 4096)
				return -1;
			incl = rd_h32(c->buf + pos + 8);
			orig = rd_h32(c->buf + pos + 12);
			if (incl != orig || incl > c->len - pos - 16 ||
			    rd_h32(c->buf + pos + 4) >= 1000000u)
				return -1;
			c->f[c->n].ts_us = rd_h32(c->buf + pos) * 1000000ull +
					   rd_h32(c->buf + pos + 4);
			c->f[c->n].p = c->buf + pos + 16;
			c->f[c->n++].len = incl;
			pos += 16 + incl;
		}
		return 0;
	}
	/* pcapng: SHB, IDB, then EPBs only. */
	c->pcapng = true;
	if (rd_h32(c->buf) != 0x0a0d0d0au || rd_h32(c->buf + 8) != 0x1a2b3c4du)
		return -1;
	for (pos = 0; pos < c->len; ) {
		uint32_t type, blen;
		if (c->len - pos < 12)
			return -1;
		type = rd_h32(c->buf + pos);
		blen = rd_h32(c->buf + pos + 4);
		if (blen < 12 || (blen & 3) || blen > c->len - pos ||
		    rd_h32(c->buf + pos + blen - 4) != blen)
			return -1;
		if (type == 1) {
			if (blen != 20)         /* no options: if_tsresol default */
				return -1;
			c->link = rd_h16(c->buf + pos + 8);
		} else if (type == 6) {
			uint32_t caplen = rd_h32(c->buf + pos + 20);
			if (blen < 32 || caplen > blen - 32 || c->n == 4096 ||
			    rd_h32(c->buf + pos + 24) != caplen ||
			    rd_h32(c->buf + pos + 8) != 0)
				return -1;
			c->f[c->n].ts_us = (uint64_t)rd_h32(c->buf + pos + 12) << 32 |
					   rd_h32(c->buf + pos + 16);
			c->f[c->n].p = c->buf + pos + 28;
			c->f[c->n++].len = caplen;
		} else if (type != 0x0a0d0d0au) {
			return -1;
		}
		pos += blen;
	}
	return 0;
}

static void cap_free(struct cap *c)
{
	free(c->buf);
	c->buf = NULL;
}

/* Where the IP header of a frame starts, for the IPv4 header-checksum check
 * (decode_packet folds both checksums into one outcome). */
static const uint8_t *frame_ip(const struct cap *c, const struct frame *f)
{
	size_t off = 0;
	if (f->raw_ip)
		return f->p;
	switch (c->link) {
	case 1:
		off = 12;
		while (off + 2 <= f->len && (f->p[off] == 0x81 || f->p[off] == 0x88) &&
		       (f->p[off + 1] == 0x00 || f->p[off + 1] == 0xa8))
			off += 4;
		off += 2;
		break;
	case 113: off = 16; break;
	case 276: off = 20; break;
	case 0: off = 4; break;
	default: off = 0; break;
	}
	return off < f->len ? f->p + off : NULL;
}

static bool ipv4_hdr_csum_ok(const uint8_t *ip)
{
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* ------------------------------------------------------------------ */
/* Decoding and stream reconstruction. */

#define STREAM_CAP 65536

struct flow {
	unsigned pkts, decoded, csum_ok, ip_csum_ok, ipv4;
	unsigned syn, synack, fin[2], rst[2], pure_acks[2], data_segs[2];
	unsigned out_of_order[2], dups[2], ack_regress, max_seg[2], min_seg[2];
	bool seq_known[2];
	uint32_t isn[2];            /* sequence of offset 0 is isn + 1 */
	uint32_t last_end[2];       /* highest end offset seen */
	uint8_t data[2][STREAM_CAP];
	uint8_t have[2][STREAM_CAP];
	uint32_t len[2];            /* highest end offset */
	struct mt_addr cli_addr, srv_addr;
	uint16_t cli_port, srv_port;
	uint8_t vlan_count, vlan[2][2];
	uint16_t vlan_id[2];
	uint8_t syn_mss_ok, syn_ws, syn_sack, syn_ts, ts_on_data;
	uint32_t first_ack[2], last_ack[2];
	bool ts_monotonic;
	uint64_t first_ts, last_ts;
	unsigned tunneled;          /* packets that came through a tunnel */
	uint8_t tunnel_outer, tunnel_depth;
};

/*
 * Decode every frame of c as one TCP connection whose client is the sender
 * of the first packet (or `client_port` when non-zero), reassembling both
 * directions. A midstream capture takes the first data segment of each
 * direction as offset 0 unless reordering came first (tests avoid that).
 */
static void flow_build(const struct cap *c, struct flow *fl, uint16_t client_port)
{
	struct decode_opts opts = { .validate_checksums = true };
	struct decode_opts nocheck = { .validate_checksums = false };
	struct decode_stats st;

	memset(fl, 0, sizeof(*fl));
	memset(&st, 0, sizeof(st));
	fl->ts_monotonic = true;
	fl->min_seg[0] = fl->min_seg[1] = UINT32_MAX;
	for (unsigned i = 0; i < c->n; i++) {
		const struct frame *f = &c->f[i];
		struct decoded_pkt d;
		enum decode_result r;
		int dir;

		fl->pkts++;
		if (i == 0)
			fl->first_ts = f->ts_us;
		else if (f->ts_us <= fl->last_ts)
			fl->ts_monotonic = false;
		fl->last_ts = f->ts_us;
		r = f->raw_ip ? decode_ip(f->p, f->len, &opts, &d, &st)
			      : decode_packet((int)c->link, f->p, f->len, &opts, &d, &st);
		if (r == DECODE_OK)
			fl->csum_ok++;
		else if (r != DECODE_BAD_CHECKSUM ||
			 (f->raw_ip ? decode_ip(f->p, f->len, &nocheck, &d, &st)
				    : decode_packet((int)c->link, f->p, f->len, &nocheck, &d, &st))
			 != DECODE_OK)
			continue;
		fl->decoded++;
		if (d.tunnel_depth) {
			fl->tunneled++;
			fl->tunnel_outer = d.tunnel_outer;
			fl->tunnel_depth = d.tunnel_depth;
		}
		if (d.ip_version == 4) {
			const uint8_t *ip = frame_ip(c, f);
			fl->ipv4++;
			if (ip && ipv4_hdr_csum_ok(ip))
				fl->ip_csum_ok++;
		}
		if (fl->decoded == 1) {
			bool first_is_client = client_port ? d.sport == client_port : true;
			fl->cli_addr = first_is_client ? d.src : d.dst;
			fl->srv_addr = first_is_client ? d.dst : d.src;
			fl->cli_port = first_is_client ? d.sport : d.dport;
			fl->srv_port = first_is_client ? d.dport : d.sport;
			fl->vlan_count = d.vlan_count;
			fl->vlan_id[0] = d.vlan[0];
			fl->vlan_id[1] = d.vlan[1];
		}
		dir = d.sport == fl->cli_port ? 0 : 1;
		if ((d.tcp_flags & TCP_ACK) && fl->last_ack[dir] &&
		    (int32_t)(d.ack - fl->last_ack[dir]) < 0)
			fl->ack_regress++;
		if ((d.tcp_flags & TCP_ACK) && !fl->first_ack[dir])
			fl->first_ack[dir] = d.ack;
		if (d.tcp_flags & TCP_ACK)
			fl->last_ack[dir] = d.ack;
		if (d.tcp_flags & TCP_SYN) {
			if (d.tcp_flags & TCP_ACK)
				fl->synack++;
			else
				fl->syn++;
			fl->isn[dir] = d.seq;
			fl->seq_known[dir] = true;
			if (d.mss == 1460 || d.mss == 1440)
				fl->syn_mss_ok++;
			if (d.wscale == 7)
				fl->syn_ws++;
			if (d.sack_permitted)
				fl->syn_sack++;
			if (d.has_timestamp)
				fl->syn_ts++;
			continue;
		}
		if (d.has_timestamp)
			fl->ts_on_data++;
		if (d.tcp_flags & TCP_RST)
			fl->rst[dir]++;
		if (d.tcp_flags & TCP_FIN)
			fl->fin[dir]++;
		if (d.payload_len == 0) {
			if (!(d.tcp_flags & (TCP_FIN | TCP_RST)))
				fl->pure_acks[dir]++;
			continue;
		}
		if (!fl->seq_known[dir]) {
			fl->isn[dir] = d.seq - 1;
			fl->seq_known[dir] = true;
		}
		fl->data_segs[dir]++;
		if (d.payload_len > fl->max_seg[dir])
			fl->max_seg[dir] = d.payload_len;
		if (d.payload_len < fl->min_seg[dir])
			fl->min_seg[dir] = d.payload_len;
		{
			uint32_t off = d.seq - fl->isn[dir] - 1;
			uint32_t end = off + d.payload_len;
			bool dup = true;
			if (off > fl->last_end[dir])
				fl->out_of_order[dir]++;   /* a gap: something overtook */
			if (end > fl->last_end[dir])
				fl->last_end[dir] = end;
			if (off >= STREAM_CAP || end > STREAM_CAP || end < off)
				continue;
			for (uint32_t k = 0; k < d.payload_len; k++) {
				if (!fl->have[dir][off + k])
					dup = false;
				fl->have[dir][off + k] = 1;
				fl->data[dir][off + k] = d.payload[k];
			}
			if (dup)
				fl->dups[dir]++;
			if (end > fl->len[dir])
				fl->len[dir] = end;
		}
	}
}

/* The reassembled stream of dir is exactly `want` with no holes. */
static bool flow_stream_is(const struct flow *fl, int dir, const void *want, size_t n)
{
	if (fl->len[dir] != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!fl->have[dir][i])
			return false;
	return memcmp(fl->data[dir], want, n) == 0;
}

static char *tpath(const char *name)
{
	static char buf[8][256];
	static unsigned k;
	char *p = buf[k++ & 7];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

/* Run a transcript into `name`; returns pcapw_txn_run's result. */
static int run_txn(const char *name, const char *text, char *err, size_t errlen,
		   struct pcapw_txn_stats *st)
{
	return pcapw_txn_run(text, strlen(text), tmpdir, tpath(name), err, errlen, st);
}

static struct cap cap;          /* large: static */
static struct flow flow;

/* ------------------------------------------------------------------ */
/* Cases. */

/* The client and server bytes of the reference session below. */
static const char ref_client[] =
	"EHLO client.example\r\n"
	"MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n"
	"Subject: hi\r\n\r\nhello\r\n.\r\n"
	"QUIT\r\n";
static const char ref_server[] =
	"220 mx.example.net ESMTP\r\n"
	"250-mx.example.net\r\n250 PIPELINING\r\n"
	"250 ok\r\n250 ok\r\n354 go\r\n"
	"250 queued\r\n"
	"221 bye\r\n";
static const char ref_body[] =
	"S: 220 mx.example.net ESMTP\n"
	"C: EHLO client.example\n"
	"S< 250-mx.example.net\\r\\n250 PIPELINING\\r\\n\n"
	"C: MAIL FROM:<alice@example.org>\\r\\nRCPT TO:<bob@example.net>\\r\\nDATA\n"
	"S: 250 ok\\r\\n250 ok\\r\\n354 go\n"
	"C< Subject: hi\\r\\n\\r\\nhello\\r\\n.\\r\\n\n"
	"S: 250 queued\n"
	"C: QUIT\n"
	"S: 221 bye\n";
/* The same writes, decoded, in order: packet counts follow from them. */
static const char *const ref_writes[] = {
	"220 mx.example.net ESMTP\r\n", "EHLO client.example\r\n",
	"250-mx.example.net\r\n250 PIPELINING\r\n",
	"MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n",
	"250 ok\r\n250 ok\r\n354 go\r\n", "Subject: hi\r\n\r\nhello\r\n.\r\n",
	"250 queued\r\n", "QUIT\r\n", "221 bye\r\n",
};
#define REF_WRITES (sizeof(ref_writes) / sizeof(ref_writes[0]))

static void test_links_and_formats(void)
{
	static const struct {
		const char *format, *link, *vlan;
		unsigned dlt;
		int family;
		unsigned vlans;
	} cases[] = {
		{ "pcap", "ethernet", "", 1, 4, 0 },
		{ "pcap", "ethernet", "@vlan 100", 1, 4, 1 },
		{ "pcap", "ethernet", "@vlan 100 200", 1, 6, 2 },
		{ "pcap", "sll", "", 113, 4, 0 },
		{ "pcap", "sll2", "", 276, 6, 0 },
		{ "pcap", "raw", "", 101, 4, 0 },
		{ "pcap", "raw", "", 101, 6, 0 },
		{ "pcap", "null", "", 0, 4, 0 },
		{ "pcap", "null", "", 0, 6, 0 },
		{ "pcap", "ipv4", "", 228, 4, 0 },
		{ "pcap", "ipv6", "", 229, 6, 0 },
		{ "pcapng", "ethernet", "@vlan 7 4095", 1, 4, 2 },
		{ "pcapng", "ethernet", "", 1, 6, 0 },
		{ "pcapng", "sll", "", 113, 6, 0 },
		{ "pcapng", "sll2", "", 276, 4, 0 },
		{ "pcapng", "raw", "", 101, 4, 0 },
		{ "pcapng", "null", "", 0, 6, 0 },
		{ "pcapng", "ipv4", "", 228, 4, 0 },
		{ "pcapng", "ipv6", "", 229, 6, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[4096], err[256], name[64];
		struct pcapw_txn_stats st;
		const bool v6 = cases[i].family == 6;
		struct mt_addr want_cli;

		snprintf(text, sizeof(text),
			 "# case %zu\n@format %s\n@link %s\n%s\n@client %s\n@server %s\n"
			 "@segment 16\n%s",
			 i, cases[i].format, cases[i].link, cases[i].vlan,
			 v6 ? "[2001:db8::1]:40000" : "10.0.0.1:40000",
			 v6 ? "[2001:db8::2]:25" : "10.0.0.2:25", ref_body);
		snprintf(name, sizeof(name), "links_%zu.%s", i, cases[i].format);
		CHECK_EQ_U(run_txn(name, text, err, sizeof(err), &st), 0);
		CHECK_EQ_U(cap_load(tpath(name), &cap), 0);
		CHECK_EQ_U(cap.pcapng, strcmp(cases[i].format, "pcapng") == 0);
		CHECK_EQ_U(cap.link, cases[i].dlt);
		flow_build(&cap, &flow, 0);

		/* Handshake 3, close 3, and per write its segments plus the
		 * peer's ACK: segments of 16 bytes. */
		size_t segs = 0;
		for (size_t k = 0; k < REF_WRITES; k++)
			segs += (strlen(ref_writes[k]) + 15) / 16 + 1;
		CHECK_EQ_U(cap.n, 6 + segs);
		CHECK_EQ_U(st.packets, cap.n);
		CHECK_EQ_U(st.sessions, 1);
		CHECK_EQ_U(flow.decoded, cap.n);
		CHECK_EQ_U(flow.csum_ok, cap.n);
		CHECK_EQ_U(flow.ip_csum_ok, flow.ipv4);
		CHECK_EQ_U(flow.ipv4, v6 ? 0 : cap.n);
		CHECK_EQ_U(flow.syn, 1);
		CHECK_EQ_U(flow.synack, 1);
		CHECK_EQ_U(flow.fin[0], 1);
		CHECK_EQ_U(flow.fin[1], 1);
		CHECK_EQ_U(flow.out_of_order[0] + flow.out_of_order[1], 0);
		CHECK_EQ_U(flow.dups[0] + flow.dups[1], 0);
		CHECK_EQ_U(flow.ack_regress, 0);
		CHECK_EQ_U(flow.max_seg[0], 16);
		CHECK_EQ_U(flow.cli_port, 40000);
		CHECK_EQ_U(flow.srv_port, 25);
		memset(&want_cli, 0, sizeof(want_cli));
		if (v6) {
			want_cli.b[0] = 0x20; want_cli.b[1] = 0x01;
			want_cli.b[2] = 0x0d; want_cli.b[3] = 0xb8;
			want_cli.b[15] = 1;
		} else {
			want_cli.b[10] = want_cli.b[11] = 0xff;
			want_cli.b[12] = 10;
			want_cli.b[15] = 1;
		}
		CHECK_MEM(flow.cli_addr.b, 16, want_cli.b, 16);
		CHECK_EQ_U(flow.srv_addr.b[15], 2);
		CHECK_EQ_U(flow.vlan_count, cases[i].vlans);
		if (cases[i].vlans == 2 && cases[i].format[4] == 0) {
			CHECK_EQ_U(flow.vlan_id[0], 100);
			CHECK_EQ_U(flow.vlan_id[1], 200);
		}
		if (cases[i].vlans == 2 && cases[i].format[4] == 'n') {
			CHECK_EQ_U(flow.vlan_id[0], 7);
			CHECK_EQ_U(flow.vlan_id[1], 4095);
		}
		if (cases[i].vlans == 1)
			CHECK_EQ_U(flow.vlan_id[0], 100);
		CHECK(flow_stream_is(&flow, 0, ref_client, strlen(ref_client)));
		CHECK(flow_stream_is(&flow, 1, ref_server, strlen(ref_server)));
		/* The final ACK acknowledges the server's FIN. */
		CHECK_EQ_U(flow.last_ack[0], flow.isn[1] + 1 + strlen(ref_server) + 1);
		CHECK_EQ_U(flow.last_ack[1], flow.isn[0] + 1 + strlen(ref_client) + 1);
		CHECK(flow.ts_monotonic);
		/* Default start time, 1 ms per write. */
		CHECK_EQ_U(flow.first_ts, 1700000000ull * 1000000);
		CHECK(flow.last_ts >= flow.first_ts + REF_WRITES * 1000 &&
		      flow.last_ts < flow.first_ts + (REF_WRITES + 2) * 1000);
		cap_free(&cap);
	}
}

static void test_checksum_modes(void)
{
	static const struct {
		const char *mode;
		bool tcp_ok, ip_ok;
	} cases[] = {
		{ "no", true, true },
		{ "yes", false, true },
		{ "all", false, false },
	};
	static const char *const links[] = { "ethernet\n@client [2001:db8::1]:1\n@server [2001:db8::2]:2", "sll", "raw" };

	for (size_t l = 0; l < 3; l++) {
		for (size_t i = 0; i < 3; i++) {
			char text[1024], err[256];
			snprintf(text, sizeof(text), "@link %s\n@bad-checksums %s\n%s",
				 links[l], cases[i].mode, ref_body);
			CHECK_EQ_U(run_txn("csum.pcap", text, err, sizeof(err), NULL), 0);
			CHECK_EQ_U(cap_load(tpath("csum.pcap"), &cap), 0);
			flow_build(&cap, &flow, 0);
			CHECK(cap.n > 20);
			CHECK_EQ_U(flow.decoded, cap.n);
			/* IPv6 has no header checksum, so "all" is just TCP. */
			CHECK_EQ_U(flow.csum_ok, cases[i].tcp_ok ? cap.n : 0);
			CHECK_EQ_U(flow.ip_csum_ok, cases[i].ip_ok ? flow.ipv4 : 0);
			CHECK(flow_stream_is(&flow, 0, ref_client, strlen(ref_client)));
			cap_free(&cap);
		}
	}
}

/* A long write in small segments, disturbed or not. */
static void test_reorder_retransmit(void)
{
	static const struct {
		const char *opts;
		bool reordered, dups;
	} cases[] = {
		{ "@segment 8", false, false },
		{ "@segment 8\n@reorder 0\n@retransmit 0", false, false },
		{ "@segment 8\n@reorder 50\n@seed 3", true, false },
		{ "@segment 8\n@reorder 100\n@seed 9", true, false },
		{ "@segment 8\n@retransmit 30\n@seed 3", false, true },
		{ "@segment 8\n@reorder 40\n@retransmit 40\n@seed 11", true, true },
		{ "@segment 1\n@reorder 25\n@seed 5", true, false },
	};
	static const char line[] =
		"the quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	char want[1024];

	snprintf(want, sizeof(want), "%s\r\n%s\r\n", line, line);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024], err[256];
		snprintf(text, sizeof(text), "%s\nS: 220 hi\nC: %s\nC: %s\n",
			 cases[i].opts, line, line);
		CHECK_EQ_U(run_txn("reorder.pcap", text, err, sizeof(err), NULL), 0);
		CHECK_EQ_U(cap_load(tpath("reorder.pcap"), &cap), 0);
		flow_build(&cap, &flow, 0);
		CHECK_EQ_U(flow.csum_ok, cap.n);
		CHECK(flow_stream_is(&flow, 0, want, strlen(want)));
		CHECK(flow_stream_is(&flow, 1, "220 hi\r\n", 8));
		CHECK_EQ_U(flow.out_of_order[0] > 0, cases[i].reordered);
		CHECK_EQ_U(flow.dups[0] > 0, cases[i].dups);
		if (strncmp(cases[i].opts, "@segment 1\n", 11) == 0) {
			CHECK_EQ_U(flow.max_seg[0], 1);
			CHECK_EQ_U(flow.data_segs[1], 8);
			CHECK_EQ_U(flow.data_segs[0], strlen(want));
		} else {
			/* The server's one segment has nothing to swap with. */
			CHECK_EQ_U(flow.out_of_order[1], 0);
			CHECK_EQ_U(flow.max_seg[0], 8);
		}
		cap_free(&cap);
	}

	/* Same seed, same file; different seed, different order. */
	{
		char err[256];
		struct cap a;
		const char *t1 = "@segment 4\n@reorder 50\n@seed 42\nC: abcdefghijklmnopqrstuvwxyz0123456789\n";
		const char *t2 = "@segment 4\n@reorder 50\n@seed 43\nC: abcdefghijklmnopqrstuvwxyz0123456789\n";
		CHECK_EQ_U(run_txn("s1.pcap", t1, err, sizeof(err), NULL), 0);
		CHECK_EQ_U(run_txn("s2.pcap", t1, err, sizeof(err), NULL), 0);
		CHECK_EQ_U(run_txn("s3.pcap", t2, err, sizeof(err), NULL), 0);
		CHECK_EQ_U(cap_load(tpath("s1.pcap"), &a), 0);
		CHECK_EQ_U(cap_load(tpath("s2.pcap"), &cap), 0);
		CHECK_MEM(a.buf, a.len, cap.buf, cap.len);
		cap_free(&cap);
		CHECK_EQ_U(cap_load(tpath("s3.pcap"), &cap), 0);
		CHECK(a.len != cap.len || memcmp(a.buf, cap.buf, a.len) != 0);
		cap_free(&cap);
		cap_free(&a);
	}
}

static void test_session_shapes(void)
{
	char err[256];
	struct pcapw_txn_stats st;

	/* Midstream: no SYNs, data first; RST close. */
	CHECK_EQ_U(run_txn("mid.pcap", "@handshake no\n@close rst\nC: NOOP\nS: 250 ok\n",
			   err, sizeof(err), NULL), 0);
	CHECK_EQ_U(cap_load(tpath("mid.pcap"), &cap), 0);
	flow_build(&cap, &flow, 0);
	CHECK_EQ_U(cap.n, 5);
	CHECK_EQ_U(flow.syn + flow.synack, 0);
	CHECK_EQ_U(flow.rst[0], 1);
	CHECK_EQ_U(flow.fin[0] + flow.fin[1], 0);
	CHECK(flow_stream_is(&flow, 0, "NOOP\r\n", 6));
	CHECK(flow_stream_is(&flow, 1, "250 ok\r\n", 8));
	cap_free(&cap);

	/* No close at all; server-first FIN. */
	CHECK_EQ_U(run_txn("none.pcap", "@close none\nC: NOOP\n", err, sizeof(err), NULL), 0);
	CHECK_EQ_U(cap_load(tpath("none.pcap"), &cap), 0);
	CHECK_EQ_U(cap.n, 5);
	cap_free(&cap);
	CHECK_EQ_U(run_txn("fins.pcap", "@close fin-server\nC: NOOP\n", err, sizeof(err), NULL), 0);
	CHECK_EQ_U(cap_load(tpath("fins.pcap"), &cap), 0);
	flow_build(&cap, &flow, 0);
	CHECK_EQ_U(cap.n, 8);
	CHECK_EQ_U(flow.fin[0] + flow.fin[1], 2);
	{
		struct decoded_pkt d;
		struct decode_stats ds;
		memset(&ds, 0, sizeof(ds));
		CHECK_EQ_U(decode_packet(1, cap.f[5].p, cap.f[5].len, NULL, &d, &ds), DECODE_OK);
		CHECK_EQ_U(d.sport, 25);
		CHECK_EQ_U(d.tcp_flags, TCP_FIN | TCP_ACK);
	}
	cap_free(&cap);

	/* One-sided captures. */
	CHECK_EQ_U(run_txn("only.pcap", "@only client\n" "S: 220 hi\nC: EHLO x\nS: 250 ok\n",
			   err, sizeof(err), NULL), 0);
	CHECK_EQ_U(cap_load(tpath("only.pcap"), &cap), 0);
	flow_build(&cap, &flow, 40000);
	/* SYN, ACK, ack of 220, EHLO, ack of 250, FIN, last ACK. */
	CHECK_EQ_U(cap.n, 7);
	CHECK_EQ_U(flow.synack + flow.data_segs[1] + flow.pure_acks[1] + flow.fin[1], 0);
	CHECK(flow_stream_is(&flow, 0, "EHLO x\r\n", 8));
	/* The client still acknowledges the server data (and FIN) that the
	 * capture does not show. */
	CHECK_EQ_U(flow.last_ack[0] - flow.first_ack[0], 16 + 1);
	cap_free(&cap);
	CHECK_EQ_U(run_txn("onlys.pcap", "@only server\n" "S: 220 hi\nC: EHLO x\nS: 250 ok\n",
			   err, sizeof(err), NULL), 0);
	CHECK_EQ_U(cap_load(tpath("onlys.pcap"), &cap), 0);
	flow_build(&cap, &flow, 40000);
	/* SYN-ACK, 220, ACK of EHLO, 250, FIN. */
	CHECK_EQ_U(cap.n, 5);
	CHECK(flow_stream_is(&flow, 1, "220 hi\r\n250 ok\r\n", 16));
	CHECK_EQ_U(flow.data_segs[0] + flow.syn, 0);
	cap_free(&cap);

	/* Sessions: port + 1, then an explicit @client. */
	CHECK_EQ_U(run_txn("sess.pcap",
			   "@client 10.1.1.1:5000\nC: A\n@session\nC: B\n@session\n"
			   "@client 10.1.1.9:7000\nC: C\n", err, sizeof(err), &st), 0);
	CHECK_EQ_U(st.sessions, 3);
	CHECK_EQ_U(cap_load(tpath("sess.pcap"), &cap), 0);
	CHECK_EQ_U(cap.n, 3 * 8);
	{
		static const uint16_t ports[3] = { 5000, 5001, 7000 };
		static const uint8_t last[3] = { 1, 1, 9 };
		struct decode_stats ds;
		memset(&ds, 0, sizeof(ds));
		for (unsigned s = 0; s < 3; s++) {
			struct decoded_pkt d;
			CHECK_EQ_U(decode_packet(1, cap.f[s * 8].p, cap.f[s * 8].len, NULL, &d, &ds),
				   DECODE_OK);
			CHECK_EQ_U(d.tcp_flags, TCP_SYN);
			CHECK_EQ_U(d.sport, ports[s]);
			CHECK_EQ_U(d.src.b[15], last[s]);
			CHECK_EQ_U(decode_packet(1, cap.f[s * 8 + 3].p, cap.f[s * 8 + 3].len,
						 NULL, &d, &ds), DECODE_OK);
			CHECK_EQ_U(d.payload_len, 3);
			CHECK_EQ_U(d.payload[0], "ABC"[s]);
		}
	}
	cap_free(&cap);
}

/* TCP options on SYNs and timestamps on every later segment. */
static void test_tcp_options(void)
{
	char err[256];

	CHECK_EQ_U(run_txn("opt.pcap", "@tcp-options mss,wscale,sackok,ts\nC: HELO x\nS: 250 ok\n",
			   err, sizeof(err), NULL), 0);
	CHECK_EQ_U(cap_load(tpath("opt.pcap"), &cap), 0);
	flow_build(&cap, &flow, 0);
	CHECK_EQ_U(flow.csum_ok, cap.n);
	CHECK_EQ_U(flow.syn_mss_ok, 2);
	CHECK_EQ_U(flow.syn_ws, 2);
	CHECK_EQ_U(flow.syn_sack, 2);
	CHECK_EQ_U(flow.syn_ts, 2);
	CHECK_EQ_U(flow.ts_on_data, cap.n - 2);
	CHECK(flow_stream_is(&flow, 0, "HELO x\r\n", 8));
	cap_free(&cap);

	CHECK_EQ_U(run_txn("opt2.pcap", "@tcp-options mss\nC: HELO x\n", err, sizeof(err), NULL), 0);
	CHECK_EQ_U(cap_load(tpath("opt2.pcap"), &cap), 0);
	flow_build(&cap, &flow, 0);
	CHECK_EQ_U(flow.syn_mss_ok, 2);
	CHECK_EQ_U(flow.syn_ws + flow.syn_sack + flow.syn_ts + flow.ts_on_data, 0);
	cap_free(&cap);
}

/* Escapes, files and the low-level segment. */
static void test_payloads(void)
{
	char err[256];
	FILE *f;

	CHECK_EQ_U(run_txn("esc.pcap", "C< a\\x41\\x7e\\t\\\\b\\r\\n\nC:\nC:  two\n",
			   err, sizeof(err), NULL), 0);
	CHECK_EQ_U(cap_load(tpath("esc.pcap"), &cap), 0);
	flow_build(&cap, &flow, 0);
	CHECK(flow_stream_is(&flow, 0, "aA~\t\\b\r\n\r\n two\r\n", 16));
	cap_free(&cap);

	f = fopen(tpath("msg.eml"), "wb");
	CHECK(f != NULL);
	if (f) {
		for (int i = 0; i < 300; i++)
			fprintf(f, "line %03d of the message\r\n", i);
		fputc(0, f);
		fputc(0xff, f);
		fclose(f);
	}
	CHECK_EQ_U(run_txn("file.pcap", "C: DATA\nC@ msg.eml\n", err, sizeof(err), NULL), 0);
	CHECK_EQ_U(cap_load(tpath("file.pcap"), &cap), 0);
	flow_build(&cap, &flow, 0);
	{
		char want[16384];
		size_t n = (size_t)snprintf(want, sizeof(want), "DATA\r\n");
		for (int i = 0; i < 300; i++)
			n += (size_t)snprintf(want + n, sizeof(want) - n, "line %03d of the message\r\n", i);
		want[n++] = 0;
		want[n++] = (char)0xff;
		CHECK(flow_stream_is(&flow, 0, want, n));
		CHECK_EQ_U(flow.max_seg[0], 1460);
		CHECK_EQ_U(flow.data_segs[0], 1 + (n - 6 + 1459) / 1460);
	}
	cap_free(&cap);

	/* C! rewrites bytes 2..5 of "hello world\r\n" with different data
	 * (an overlap) and sends a segment at offset 20, past the end (a
	 * gap); neither moves the send offset, so "next" lands at 13. */
	CHECK_EQ_U(run_txn("raw.pcap", "C: hello world\nC! 2 XYZW\nC! 20 far\nC: next\n",
			   err, sizeof(err), NULL), 0);
	CHECK_EQ_U(cap_load(tpath("raw.pcap"), &cap), 0);
	{
		struct decode_stats ds;
		struct decoded_pkt d, first;
		memset(&ds, 0, sizeof(ds));
		CHECK_EQ_U(decode_packet(1, cap.f[3].p, cap.f[3].len, NULL, &first, &ds), DECODE_OK);
		CHECK_EQ_U(decode_packet(1, cap.f[5].p, cap.f[5].len, NULL, &d, &ds), DECODE_OK);
		CHECK_EQ_U(d.seq, first.seq + 2);
		CHECK_MEM(d.payload, d.payload_len, "XYZW", 4);
		CHECK_EQ_U(d.tcp_flags, TCP_ACK | TCP_PSH);
		CHECK_EQ_U(decode_packet(1, cap.f[6].p, cap.f[6].len, NULL, &d, &ds), DECODE_OK);
		CHECK_EQ_U(d.seq, first.seq + 20);
		CHECK_EQ_U(decode_packet(1, cap.f[7].p, cap.f[7].len, NULL, &d, &ds), DECODE_OK);
		CHECK_EQ_U(d.seq, first.seq + 13);
		CHECK_MEM(d.payload, d.payload_len, "next\r\n", 6);
	}
	cap_free(&cap);
}

static void test_time(void)
{
	char err[256];

	CHECK_EQ_U(run_txn("time.pcap", "@time 1234567890.25\nC: a\n@time 1300000000\nC: b\n",
			   err, sizeof(err), NULL), 0);
	CHECK_EQ_U(cap_load(tpath("time.pcap"), &cap), 0);
	CHECK_EQ_U(cap.n, 3 + 2 + 2 + 3);
	CHECK_EQ_U(cap.f[0].ts_us, 1234567890250000ull);
	CHECK_EQ_U(cap.f[1].ts_us, 1234567890250001ull);
	CHECK_EQ_U(cap.f[3].ts_us, 1234567890250000ull + 3 + 1000);
	CHECK_EQ_U(cap.f[5].ts_us, 1300000000000000ull + 1000);
	cap_free(&cap);
	CHECK_EQ_U(run_txn("time.pcapng", "@format pcapng\n@time 1234567890.000007\nC: a\n",
			   err, sizeof(err), NULL), 0);
	CHECK_EQ_U(cap_load(tpath("time.pcapng"), &cap), 0);
	CHECK_EQ_U(cap.f[0].ts_us, 1234567890000007ull);
	cap_free(&cap);
}

/* Every tunnel around the reference session: every frame decodes (with
 * checksums) to the inner packet, the streams are whole, and the outer
 * header is what pcapw.h promises. */
static void test_tunnels(void)
{
	static const struct {
		const char *tunnel, *link;
		int family;
		enum decode_tunnel kind;
		int outer;              /* outer IP version at the link payload */
	} cases[] = {
		{ "mpls", "ethernet", 4, DECODE_TUNNEL_MPLS, 0 },
		{ "mpls", "sll", 6, DECODE_TUNNEL_MPLS, 0 },
		{ "mpls", "sll2", 4, DECODE_TUNNEL_MPLS, 0 },
		{ "gre", "ethernet", 4, DECODE_TUNNEL_GRE, 4 },
		{ "gre", "raw", 6, DECODE_TUNNEL_GRE, 4 },
		{ "gre-eth", "ethernet", 4, DECODE_TUNNEL_GRE, 4 },
		{ "gre-eth", "ipv4", 6, DECODE_TUNNEL_GRE, 4 },
		{ "erspan2", "ethernet", 4, DECODE_TUNNEL_ERSPAN, 4 },
		{ "erspan3", "ethernet", 6, DECODE_TUNNEL_ERSPAN, 4 },
		{ "erspan3", "null", 4, DECODE_TUNNEL_ERSPAN, 4 },
		{ "vxlan", "ethernet", 4, DECODE_TUNNEL_VXLAN, 4 },
		{ "vxlan", "sll", 6, DECODE_TUNNEL_VXLAN, 4 },
		{ "geneve", "ethernet", 4, DECODE_TUNNEL_GENEVE, 4 },
		{ "geneve", "sll2", 6, DECODE_TUNNEL_GENEVE, 4 },
		{ "ipip", "ethernet", 4, DECODE_TUNNEL_IPIP, 4 },
		{ "ipip", "raw", 6, DECODE_TUNNEL_IPIP, 4 },
		{ "ip6ip6", "ethernet", 6, DECODE_TUNNEL_IPIP, 6 },
		{ "ip6ip6", "ipv6", 6, DECODE_TUNNEL_IPIP, 6 },
		{ "ip4in6", "ethernet", 4, DECODE_TUNNEL_IPIP, 6 },
		{ "ip4in6", "null", 4, DECODE_TUNNEL_IPIP, 6 },
		{ "none", "ethernet", 4, DECODE_TUNNEL_NONE, 4 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[4096], err[256];
		const bool v6 = cases[i].family == 6;
		unsigned outer_ok = 0;

		snprintf(text, sizeof(text), "@link %s\n@tunnel %s\n@client %s\n@server %s\n"
			 "@segment 16\n%s", cases[i].link, cases[i].tunnel,
			 v6 ? "[2001:db8::1]:40000" : "10.0.0.1:40000",
			 v6 ? "[2001:db8::2]:25" : "10.0.0.2:25", ref_body);
		CHECK_EQ_U(run_txn("tun.pcap", text, err, sizeof(err), NULL), 0);
		if (err[0])
			fprintf(stderr, "tunnel case %zu: %s\n", i, err);
		CHECK_EQ_U(cap_load(tpath("tun.pcap"), &cap), 0);
		flow_build(&cap, &flow, 0);
		CHECK(cap.n > 30);
		CHECK_EQ_U(flow.decoded, cap.n);
		CHECK_EQ_U(flow.csum_ok, cap.n);
		CHECK_EQ_U(flow.tunneled, cases[i].kind ? cap.n : 0);
		CHECK_EQ_U(flow.tunnel_outer, cases[i].kind);
		CHECK_EQ_U(flow.tunnel_depth, cases[i].kind ? 1 : 0);
		CHECK_EQ_U(flow.cli_port, 40000);
		CHECK_EQ_U(flow.srv_addr.b[15], 2);
		CHECK(flow_stream_is(&flow, 0, ref_client, strlen(ref_client)));
		CHECK(flow_stream_is(&flow, 1, ref_server, strlen(ref_server)));
		/* The outer header: fixed addresses, the client's end first. */
		for (unsigned k = 0; k < cap.n && cases[i].kind; k++) {
			const uint8_t *ip = frame_ip(&cap, &cap.f[k]);

			if (cases[i].outer == 4 && ip[0] == 0x45 && ip[12] == 192 && ip[15] >= 1 &&
			    ip[15] <= 2 && ip[19] == 3 - ip[15] && ipv4_hdr_csum_ok(ip))
				outer_ok++;
			if (cases[i].outer == 6 && ip[0] >> 4 == 6 && ip[4 + 4] == 0x20 &&
			    ip[8 + 4] == 0xff && ip[23] + ip[39] == 3)
				outer_ok++;
			if (cases[i].outer == 0 && ip[0] == 0x00 && ip[1] == 0x01 && ip[2] == 0x00)
				outer_ok++;     /* label 16 */
		}
		CHECK_EQ_U(outer_ok, cases[i].kind ? cap.n : 0);
		cap_free(&cap);
	}
}

/* ------------------------------------------------------------------ */
/* An independent reassembler of what @fragment writes: fragments found by
 * decode_packet() are put back together as decode.h's decoded_frag
 * describes (first or last copy of a byte wins) and decode_ip() reads the
 * datagram, as the sensor will. */

#define DG_MAX 70000

struct dgram {
	bool used;
	struct mt_addr src, dst;
	uint32_t id;
	uint8_t ver, proto;
	uint8_t hdr[256];
	uint32_t hdr_len, nh_off;
	bool have_first, end_known;
	uint32_t end;
	uint8_t data[DG_MAX], have[DG_MAX];
};

struct frag_seen {
	unsigned frags, datagrams, overlap_diff, tiny_first, tunneled, not_first_first;
	unsigned max_data, bad;     /* bad: offset not 8n, DF set, ... */
	bool complete;              /* nothing left half-done */
};

static struct dgram dgs[4];
static uint8_t arena[1 << 22];
static struct cap dcap;

/* Rebuild `c` into dcap: whole frames as they are, each datagram as a
 * raw_ip entry where its last fragment was. */
static void cap_defrag(const struct cap *c, bool last_wins, struct frag_seen *fs)
{
	size_t used = 0;

	memset(fs, 0, sizeof(*fs));
	memset(dgs, 0, sizeof(dgs));
	dcap = *c;
	dcap.buf = NULL;
	dcap.n = 0;
	for (unsigned i = 0; i < c->n; i++) {
		const struct frame *f = &c->f[i];
		struct decode_stats st;
		struct decoded_pkt d;
		const struct decoded_frag *fr = &d.frag;
		struct dgram *g = NULL;
		bool diff = false;

		memset(&st, 0, sizeof(st));
		if (decode_packet((int)c->link, f->p, f->len, NULL, &d, &st) != DECODE_FRAGMENT) {
			dcap.f[dcap.n++] = *f;
			continue;
		}
		fs->frags++;
		if (d.tunnel_depth)
			fs->tunneled++;
		if (fr->data_len > fs->max_data)
			fs->max_data = fr->data_len;
		if ((fr->offset & 7) || (fr->ip_version == 4 && (fr->l3[6] & 0x40)))
			fs->bad++;
		if (fr->offset == 0 && fr->data_len == 8)
			fs->tiny_first++;
		for (unsigned k = 0; k < 4 && !g; k++)
			if (dgs[k].used && dgs[k].id == fr->id && dgs[k].ver == fr->ip_version &&
			    !memcmp(&dgs[k].src, &fr->src, 16) && !memcmp(&dgs[k].dst, &fr->dst, 16))
				g = &dgs[k];
		for (unsigned k = 0; k < 4 && !g; k++)
			if (!dgs[k].used) {
				g = &dgs[k];
				memset(g, 0, sizeof(*g));
				g->used = true;
				g->id = fr->id;
				g->ver = fr->ip_version;
				g->src = fr->src;
				g->dst = fr->dst;
				if (fr->offset != 0)
					fs->not_first_first++;
			}
		if (!g || fr->offset + fr->data_len > DG_MAX) {
			fs->bad++;
			continue;
		}
		for (uint32_t k = 0; k < fr->data_len; k++) {
			uint32_t o = fr->offset + k;

			if (g->have[o] && g->data[o] != fr->data[k])
				diff = true;
			if (!g->have[o] || last_wins)
				g->data[o] = fr->data[k];
			g->have[o] = 1;
		}
		fs->overlap_diff += diff;
		if (fr->offset == 0) {
			memcpy(g->hdr, fr->l3, fr->l3_len);
			g->hdr_len = fr->l3_len;
			g->nh_off = fr->l3_nh_off;
			g->proto = fr->proto;
			g->have_first = true;
		}
		if (!fr->more) {
			g->end = fr->offset + fr->data_len;
			g->end_known = true;
		}
		if (g->have_first && g->end_known) {
			uint32_t k, n = g->hdr_len + g->end;
			uint8_t *o = arena + used;

			for (k = 0; k < g->end && g->have[k]; k++)
				;
			if (k < g->end || used + n > sizeof(arena))
				continue;
			memcpy(o, g->hdr, g->hdr_len);
			memcpy(o + g->hdr_len, g->data, g->end);
			if (g->ver == 4) {
				uint32_t sum = 0;

				o[2] = (uint8_t)(n >> 8);
				o[3] = (uint8_t)n;
				o[6] &= 0x40;   /* keep DF, clear MF and the offset */
				o[7] = 0;
				o[10] = o[11] = 0;
				for (uint32_t b = 0; b < g->hdr_len; b += 2)
					sum += (uint32_t)o[b] << 8 | o[b + 1];
				while (sum >> 16)
					sum = (sum & 0xffff) + (sum >> 16);
				o[10] = (uint8_t)(~sum >> 8);
				o[11] = (uint8_t)~sum;
			} else {
				o[4] = (uint8_t)((n - 40) >> 8);
				o[5] = (uint8_t)(n - 40);
				o[g->nh_off] = g->proto;
			}
			used += n;
			dcap.f[dcap.n].p = o;
			dcap.f[dcap.n].len = n;
			dcap.f[dcap.n].ts_us = f->ts_us;
			dcap.f[dcap.n].raw_ip = true;
			dcap.n++;
			fs->datagrams++;
			g->used = false;
		}
	}
	fs->complete = true;
	for (unsigned k = 0; k < 4; k++)
		if (dgs[k].used)
			fs->complete = false;
}

static void test_fragments(void)
{
	static const struct {
		const char *opts;
		int family;
		bool overlap, tiny, tunnel;
		unsigned max_data;
	} cases[] = {
		{ "@fragment 16", 4, false, false, false, 16 },
		{ "@fragment 16", 6, false, false, false, 16 },
		{ "@fragment 8 reverse", 4, false, false, false, 8 },
		{ "@fragment 24 reverse", 6, false, false, false, 24 },
		{ "@fragment 8 shuffle\n@seed 7", 4, false, false, false, 8 },
		{ "@fragment 16 shuffle\n@seed 8", 6, false, false, false, 16 },
		{ "@fragment 16 overlap 16", 4, true, false, false, 16 },
		{ "@fragment 8 overlap 24", 6, true, false, false, 24 },
		{ "@fragment 16 tiny", 4, false, true, false, 16 },
		{ "@fragment 32 tiny reverse", 6, false, true, false, 32 },
		{ "@fragment 16 tiny overlap 8 shuffle", 4, true, true, false, 16 },
		{ "@tunnel vxlan\n@fragment 16", 4, false, false, true, 16 },
		{ "@tunnel ip6ip6\n@fragment 16 reverse", 6, false, false, true, 16 },
		{ "@tunnel mpls\n@fragment 8 tiny", 6, false, true, true, 8 },
		{ "@fragment 1456", 4, false, false, false, 0 },
		{ "@fragment 16\n@fragment none", 4, false, false, false, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[4096], err[256];
		const bool v6 = cases[i].family == 6;
		struct frag_seen fs, fs2;
		size_t data_writes = REF_WRITES;

		snprintf(text, sizeof(text), "%s\n@client %s\n@server %s\n%s", cases[i].opts,
			 v6 ? "[2001:db8::1]:40000" : "10.0.0.1:40000",
			 v6 ? "[2001:db8::2]:25" : "10.0.0.2:25", ref_body);
		CHECK_EQ_U(run_txn("frag.pcap", text, err, sizeof(err), NULL), 0);
		CHECK_EQ_U(cap_load(tpath("frag.pcap"), &cap), 0);
		cap_defrag(&cap, false, &fs);
		if (fs.bad || !fs.complete)
			fprintf(stderr, "fragment case %zu: bad %u complete %d\n", i, fs.bad, fs.complete);
		CHECK_EQ_U(fs.bad, 0);
		CHECK(fs.complete);
		/* every write is one segment, cut unless fragmentation is off */
		CHECK_EQ_U(fs.datagrams, cases[i].max_data ? data_writes : 0);
		CHECK_EQ_U(fs.max_data, cases[i].max_data);
		/* (8-byte fragments make every first one "tiny") */
		CHECK_EQ_U(fs.tiny_first > 0, cases[i].tiny || strstr(cases[i].opts, "@fragment 8 "));
		if (cases[i].tiny)
			CHECK_EQ_U(fs.tiny_first, data_writes);
		CHECK_EQ_U(fs.tunneled, cases[i].tunnel ? fs.frags : 0);
		CHECK_EQ_U(fs.overlap_diff > 0, cases[i].overlap);
		if (strstr(cases[i].opts, "reverse"))
			CHECK_EQ_U(fs.not_first_first, data_writes);
		else if (!strstr(cases[i].opts, "shuffle"))
			CHECK_EQ_U(fs.not_first_first, 0);
		if (cases[i].overlap && strstr(cases[i].opts, "shuffle")) {
			/* the changed copy may come first in some datagrams and
			 * last in others: no policy gives the original back */
			cap_free(&cap);
			continue;
		}
		flow_build(&dcap, &flow, 0);
		if (flow.csum_ok != dcap.n)
			fprintf(stderr, "fragment case %zu: %u of %u checksums right\n", i,
				flow.csum_ok, dcap.n);
		/* the reassembled segments carry right TCP checksums */
		CHECK_EQ_U(flow.decoded, dcap.n);
		CHECK_EQ_U(flow.csum_ok, dcap.n);
		CHECK(flow_stream_is(&flow, 0, ref_client, strlen(ref_client)));
		CHECK(flow_stream_is(&flow, 1, ref_server, strlen(ref_server)));
		if (cases[i].overlap) {
			/* the other copy wins: streams differ by case flips */
			cap_defrag(&cap, true, &fs2);
			flow_build(&dcap, &flow, 0);
			CHECK(!flow_stream_is(&flow, 0, ref_client, strlen(ref_client)) ||
			      !flow_stream_is(&flow, 1, ref_server, strlen(ref_server)));
			CHECK_EQ_U(flow.csum_ok < dcap.n, 1);
		}
		cap_free(&cap);
	}

	/* shuffle: the same seed gives the same file, another seed another */
	{
		char err[256];
		struct cap a;
		const char *t1 = "@fragment 8 shuffle\n@seed 42\nC: abcdefghijklmnopqrstuvwxyz0123456789\n";
		const char *t2 = "@fragment 8 shuffle\n@seed 43\nC: abcdefghijklmnopqrstuvwxyz0123456789\n";

		CHECK_EQ_U(run_txn("f1.pcap", t1, err, sizeof(err), NULL), 0);
		CHECK_EQ_U(run_txn("f2.pcap", t1, err, sizeof(err), NULL), 0);
		CHECK_EQ_U(run_txn("f3.pcap", t2, err, sizeof(err), NULL), 0);
		CHECK_EQ_U(cap_load(tpath("f1.pcap"), &a), 0);
		CHECK_EQ_U(cap_load(tpath("f2.pcap"), &cap), 0);
		CHECK_MEM(a.buf, a.len, cap.buf, cap.len);
		cap_free(&cap);
		CHECK_EQ_U(cap_load(tpath("f3.pcap"), &cap), 0);
		CHECK(a.len == cap.len && memcmp(a.buf, cap.buf, a.len) != 0);
		cap_free(&cap);
		cap_free(&a);
	}

	/* the exact fragments of one segment: 20 + 38 TCP bytes, size 16,
	 * tiny and overlap: offsets 0 (8), 8 (16), 24 (16), the overlap at 24
	 * (8, XOR 0x20), 40 (16), 56 (2, last) */
	{
		char err[256];
		static const uint32_t want_off[] = { 0, 8, 24, 24, 40, 56 };
		static const uint32_t want_len[] = { 8, 16, 16, 8, 16, 2 };
		struct decode_stats st;
		struct decoded_pkt d;

		CHECK_EQ_U(run_txn("f4.pcap", "@fragment 16 tiny overlap 8\n"
				   "C< abcdefghijklmnopqrstuvwxyz0123456789ab\n", err, sizeof(err), NULL), 0);
		CHECK_EQ_U(cap_load(tpath("f4.pcap"), &cap), 0);
		CHECK_EQ_U(cap.n, 3 + 6 + 1 + 3);
		memset(&st, 0, sizeof(st));
		for (unsigned k = 0; k < 6; k++) {
			CHECK_EQ_U(decode_packet(1, cap.f[3 + k].p, cap.f[3 + k].len, NULL, &d, &st),
				   DECODE_FRAGMENT);
			CHECK_EQ_U(d.frag.offset, want_off[k]);
			CHECK_EQ_U(d.frag.data_len, want_len[k]);
			CHECK_EQ_U(d.frag.more, k < 5);
			CHECK_EQ_U(d.frag.l3[6] & 0x40, 0);     /* DF cleared */
			if (k == 3)     /* data bytes 4..11: "efghijkl" flipped */
				CHECK_MEM(d.frag.data, 8, "EFGHIJKL", 8);
			if (k == 2)
				CHECK_MEM(d.frag.data, 8, "efghijkl", 8);
		}
		cap_free(&cap);
	}
}

static void test_errors(void)
{
	static const struct {
		const char *text;
		const char *err_prefix;
	} cases[] = {
		{ "C: a\nX: b\n", "line 2: unrecognised" },
		{ "@link tokenring\n", "line 1: unknown link type" },
		{ "@format pcapx\n", "line 1: unknown format" },
		{ "C: a\n@link raw\n", "line 2: @link must come before" },
		{ "@link raw\n@vlan 5\n", "line 2: @vlan needs" },
		{ "@vlan 4096\n", "line 1: VLAN id" },
		{ "@vlan 1 2 3\n", "line 1: @vlan takes" },
		{ "# c\n\n@client 10.0.0.1\n", "line 3: bad endpoint" },
		{ "@client [::1:25\n", "line 1: bad endpoint" },
		{ "@client 10.0.0.1:70000\n", "line 1: bad endpoint" },
		{ "@server [2001:db8::2]:25\nC: x\n", "line 2: @client and @server" },
		{ "C: a\n@client 10.0.0.9:1\n", "line 2: @client inside a session" },
		{ "@segment 0\n", "line 1: @segment must be" },
		{ "@reorder 101\n", "line 1: @reorder takes" },
		{ "@retransmit x\n", "line 1: @retransmit takes" },
		{ "@handshake maybe\n", "line 1: @handshake takes" },
		{ "@bad-checksums sometimes\n", "line 1: @bad-checksums takes" },
		{ "@close slam\n", "line 1: @close takes" },
		{ "@only nobody\n", "line 1: @only takes" },
		{ "@time yesterday\n", "line 1: @time takes" },
		{ "@tcp-options mss,jumbo\n", "line 1: @tcp-options takes" },
		{ "@bogus\n", "line 1: unknown directive @bogus" },
		{ "@session now\n", "line 1: @session takes" },
		{ "C: a\\q\n", "line 1: unknown escape" },
		{ "C: a\\x4\n", "line 1: \\x needs" },
		{ "C: a\\\n", "line 1: backslash at end" },
		{ "C@ does-not-exist.bin\n", "line 1: cannot open" },
		{ "C@\n", "line 1: C@ needs" },
		{ "C! x abc\n", "line 1: expected a stream offset" },
		{ "C! 5x abc\n", "line 1: expected a blank" },
		{ "@link ipv4\n@client [::1]:1\n@server [::2]:2\nC: a\n", "line 4: packet not allowed" },
		{ "@client 10.0.0.1:65535\n@session\n", "line 2: client port" },
		{ "@tunnel pigeon\n", "line 1: @tunnel takes" },
		{ "@fragment 12\n", "line 1: @fragment takes" },
		{ "@fragment 0\n", "line 1: @fragment takes" },
		{ "@fragment 16 sideways\n", "line 1: @fragment takes" },
		{ "@fragment 16 overlap\n", "line 1: @fragment takes" },
		{ "@fragment 16 overlap 4\n", "line 1: @fragment takes" },
		{ "@fragment 65536\n", "line 1: @fragment takes" },
		{ "@link raw\n@tunnel mpls\nC: a\n", "line 3: packet not allowed" },
		{ "@tunnel ip6ip6\nC: a\n", "line 2: packet not allowed" },
		{ "@link ipv4\n@tunnel ip4in6\nC: a\n", "line 3: packet not allowed" },
		{ "@link ipv6\n@tunnel vxlan\n@client [::1]:1\n@server [::2]:2\nC: a\n",
		  "line 5: packet not allowed" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256];
		int rc = run_txn("err.pcap", cases[i].text, err, sizeof(err), NULL);
		CHECK_EQ_U(rc, (uint64_t)(int64_t)-EINVAL);
		if (strncmp(err, cases[i].err_prefix, strlen(cases[i].err_prefix)) != 0) {
			fprintf(stderr, "case %zu: got \"%s\", want \"%s...\"\n", i, err,
				cases[i].err_prefix);
			CHECK(0);
		} else {
			CHECK(1);
		}
	}
	/* A write failure is not a transcript error. */
	{
		char err[256];
		int rc = pcapw_txn_run("C: a\n", 5, NULL, "/nonexistent-dir/x.pcap",
				       err, sizeof(err), NULL);
		CHECK(rc != 0 && rc != -EINVAL);
	}
	/* CRLF transcript lines, no final newline, an empty transcript. */
	{
		char err[256];
		struct pcapw_txn_stats st;
		CHECK_EQ_U(run_txn("crlf.pcap", "@segment 100\r\nC: a\r\nC: b", err, sizeof(err), &st), 0);
		CHECK_EQ_U(cap_load(tpath("crlf.pcap"), &cap), 0);
		flow_build(&cap, &flow, 0);
		CHECK(flow_stream_is(&flow, 0, "a\r\nb\r\n", 6));
		cap_free(&cap);
		CHECK_EQ_U(run_txn("empty.pcap", "", err, sizeof(err), &st), 0);
		CHECK_EQ_U(st.packets, 0);
		CHECK_EQ_U(cap_load(tpath("empty.pcap"), &cap), 0);
		CHECK_EQ_U(cap.n, 0);
		CHECK_EQ_U(cap.link, 1);
		cap_free(&cap);
	}
}

/* The library directly: raw frames, a conn used by a generator, limits. */
static void test_library(void)
{
	struct pcapw_opts o;
	struct pcapw *w;
	struct pcapw_endpoint c4, s4, s6;
	struct pcapw_conn conn;
	static uint8_t big[200000];
	static const uint8_t arp[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06 };

	CHECK_EQ_U(pcapw_endpoint_parse("192.0.2.1:1025", &c4), 0);
	CHECK_EQ_U(pcapw_endpoint_parse("192.0.2.2:25", &s4), 0);
	CHECK_EQ_U(pcapw_endpoint_parse("[2001:db8::25]:25", &s6), 0);
	CHECK_EQ_U(s6.family, 6);
	CHECK_EQ_U(s6.addr[15], 0x25);
	CHECK(pcapw_endpoint_parse("192.0.2.1", &c4) != 0);
	CHECK(pcapw_endpoint_parse("192.0.2.1:", &c4) != 0);
	CHECK(pcapw_endpoint_parse("2001:db8::1:25", &c4) != 0);
	CHECK_EQ_U(pcapw_endpoint_parse("192.0.2.1:1025", &c4), 0);
	CHECK_EQ_U(pcapw_link_parse("sll2"), PCAPW_LINK_SLL2);
	CHECK_EQ_U(pcapw_link_parse("SLL2") < 0, 1);
	CHECK_STR(pcapw_link_name(PCAPW_LINK_NULL), "null");
	CHECK_EQ_U(pcapw_link_dlt(PCAPW_LINK_RAW), 101);
	for (int t = 0; t < PCAPW_TUNNEL_COUNT; t++)
		CHECK_EQ_U(pcapw_tunnel_parse(pcapw_tunnel_name((enum pcapw_tunnel)t)), t);
	CHECK_STR(pcapw_tunnel_name(PCAPW_TUNNEL_GRE_ETH), "gre-eth");
	CHECK_EQ_U(pcapw_tunnel_parse("VXLAN") < 0, 1);

	pcapw_opts_default(&o);
	o.link = PCAPW_LINK_SLL;
	o.vlan_count = 1;
	CHECK_EQ_U(pcapw_open(tpath("x.pcap"), &o, &w), (uint64_t)(int64_t)-EINVAL);
	o.link = PCAPW_LINK_ETHERNET;
	o.vlan[0] = 5000;
	CHECK_EQ_U(pcapw_open(tpath("x.pcap"), &o, &w), (uint64_t)(int64_t)-EINVAL);
	o.vlan_count = 0;
	o.step_us = 10;
	o.start_us = 5000000;
	o.buf_size = 1;             /* raised to the minimum: many flushes */
	CHECK_EQ_U(pcapw_open(tpath("lib.pcap"), &o, &w), 0);
	CHECK_EQ_U(pcapw_write_frame(w, arp, sizeof(arp)), 0);
	CHECK_EQ_U(pcapw_conn_init(&conn, w, &c4, &s6, NULL), (uint64_t)(int64_t)-EINVAL);
	CHECK_EQ_U(pcapw_conn_init(&conn, w, &c4, &s4, NULL), 0);
	CHECK_EQ_U(pcapw_conn_handshake(&conn), 0);
	/* 2 x 200 KB in 64000-byte segments and 200 KB back: more than the
	 * buffer, so it flushes in the middle of the connection. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + (i >> 9));
	{
		struct pcapw_send_opts so = { .seg_max = 64000 };
		CHECK_EQ_U(pcapw_conn_send(&conn, PCAPW_CLIENT, big, sizeof(big), &so), 0);
		CHECK_EQ_U(pcapw_conn_send(&conn, PCAPW_CLIENT, big, sizeof(big), &so), 0);
		so.seg_max = 100000;    /* clamped to the maximum */
		CHECK_EQ_U(pcapw_conn_send(&conn, PCAPW_SERVER, big, sizeof(big), &so), 0);
	}
	CHECK_EQ_U(conn.off[PCAPW_CLIENT], 2 * sizeof(big));
	CHECK_EQ_U(pcapw_conn_segment(&conn, PCAPW_CLIENT, 0, big, PCAPW_MAX_PAYLOAD + 1, PCAPW_ACK),
		   (uint64_t)(int64_t)-EINVAL);
	CHECK_EQ_U(pcapw_conn_ack(&conn, PCAPW_SERVER), 0);
	CHECK_EQ_U(pcapw_conn_close(&conn, PCAPW_SERVER), 0);
	CHECK_EQ_U(pcapw_packets(w), 1 + 3 + 8 + 4 + 1 + 3);
	CHECK_EQ_U(pcapw_clock(w), 5000000 + 10 * pcapw_packets(w));
	{
		struct pcapw_frag_opts fo = { .size = 12 };

		CHECK_EQ_U(pcapw_set_fragment(w, &fo), (uint64_t)(int64_t)-EINVAL);
		fo.size = 16;
		fo.overlap = 4;
		CHECK_EQ_U(pcapw_set_fragment(w, &fo), (uint64_t)(int64_t)-EINVAL);
		fo.overlap = 0;
		fo.order = (enum pcapw_frag_order)3;
		CHECK_EQ_U(pcapw_set_fragment(w, &fo), (uint64_t)(int64_t)-EINVAL);
		fo.size = 65536;
		fo.order = PCAPW_FRAG_IN_ORDER;
		CHECK_EQ_U(pcapw_set_fragment(w, &fo), (uint64_t)(int64_t)-EINVAL);
		CHECK_EQ_U(pcapw_set_fragment(w, NULL), 0);
		CHECK_EQ_U(pcapw_set_tunnel(w, PCAPW_TUNNEL_COUNT), (uint64_t)(int64_t)-EINVAL);
		/* a largest segment cannot get a tunnel around it: the outer
		 * IPv4 length would pass 65535 */
		CHECK_EQ_U(pcapw_set_tunnel(w, PCAPW_TUNNEL_VXLAN), 0);
		CHECK_EQ_U(pcapw_conn_segment(&conn, PCAPW_CLIENT, 0, big, PCAPW_MAX_PAYLOAD,
					      PCAPW_ACK), (uint64_t)(int64_t)-EINVAL);
		CHECK_EQ_U(pcapw_set_tunnel(w, PCAPW_TUNNEL_NONE), 0);
	}
	CHECK_EQ_U(pcapw_packets(w), 1 + 3 + 8 + 4 + 1 + 3);
	CHECK_EQ_U(pcapw_close(w), 0);

	CHECK_EQ_U(cap_load(tpath("lib.pcap"), &cap), 0);
	CHECK_EQ_U(cap.n, 20);
	CHECK_MEM(cap.f[0].p, cap.f[0].len, arp, sizeof(arp));
	CHECK_EQ_U(cap.f[0].ts_us, 5000000);
	CHECK_EQ_U(cap.f[19].ts_us, 5000000 + 190);
	{
		struct decode_stats ds;
		struct decoded_pkt d;
		memset(&ds, 0, sizeof(ds));
		CHECK_EQ_U(decode_packet(1, cap.f[0].p, cap.f[0].len, NULL, &d, &ds), DECODE_NOT_IP);
	}
	/* Skip the ARP frame and reassemble the rest. */
	cap.f[0] = cap.f[1];
	memmove(&cap.f[1], &cap.f[2], (cap.n - 2) * sizeof(cap.f[0]));
	cap.n--;
	flow_build(&cap, &flow, 0);
	CHECK_EQ_U(flow.csum_ok, cap.n);
	CHECK_EQ_U(flow.last_end[0], 2 * sizeof(big));
	CHECK_EQ_U(flow.last_end[1], sizeof(big));
	CHECK_EQ_U(flow.max_seg[0], 64000);
	CHECK_EQ_U(flow.max_seg[1], PCAPW_MAX_PAYLOAD);
	CHECK_MEM(flow.data[0], 64000, big, 64000);
	CHECK_EQ_U(flow.data_segs[0], 8);
	CHECK_EQ_U(flow.data_segs[1], 4);
	CHECK_EQ_U(flow.fin[0] + flow.fin[1], 2);
	cap_free(&cap);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_links_and_formats();
	test_checksum_modes();
	test_reorder_retransmit();
	test_session_shapes();
	test_tcp_options();
	test_payloads();
	test_time();
	test_tunnels();
	test_fragments();
	test_errors();
	test_library();

	/* Best-effort cleanup of the temporary directory. */
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return check_summary("test_pcapw");
}
