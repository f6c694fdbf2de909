/*
 * test_decode — decode_packet() over frames assembled in the test from
 * readable field tables: every link type, VLAN/QinQ, IPv4 options, IPv6
 * extension headers, fragments, TCP options, checksums on and off, and
 * every truncation of valid frames (each copied into a buffer of exactly
 * caplen bytes, so ASan catches any read past it).
 *
 * The builder computes checksums with its own straightforward RFC 1071
 * code, independent of the decoder's.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "decode.h"

/* ---- frame builder ------------------------------------------------- */

struct spec {
	int link;               /* DECODE_LINK_* */
	uint32_t af;            /* NULL/LOOP family (0: 2 or 28 by ipv) */
	bool af_be;             /* write the AF big-endian */
	const char *vlans;      /* "88a8/100 8100/200": outermost first */
	uint16_t ethertype;     /* 0: by ipv */
	int ipv;                /* 4 or 6 */
	const char *src, *dst;
	const char *ipopts;     /* IPv4 option bytes */
	uint32_t ipopts_len;
	const char *ext;        /* IPv6 extension headers, see put_ext() */
	uint8_t proto;          /* 0: TCP */
	uint16_t frag;          /* IPv4 flags + fragment offset field */
	uint16_t sport, dport;
	uint32_t seq, ack;
	const char *flags;      /* "S", "SA", "PA", "F", "R" ... */
	uint16_t window;
	const char *tcpopts;    /* raw TCP option bytes (padded to 4) */
	uint32_t tcpopts_len;
	const char *payload;
	uint32_t pad;           /* Ethernet trailer bytes after the IP packet */
	/* deliberate damage */
	int ihl;                /* nonzero: IHL field = ihl & 15 (16: IHL 0) */
	int tot_delta;          /* added to the IPv4 total / IPv6 payload length */
	int doff;               /* nonzero: TCP data offset field */
	bool bad_tcp_csum, bad_ip_csum;
};

struct frame {
	uint8_t b[4096];
	uint32_t len;
	uint32_t ip_at;         /* offset of the IP header */
	uint32_t payload_at;    /* offset of the TCP payload */
};

static void put8(struct frame *f, unsigned v) { f->b[f->len++] = (uint8_t)v; }
static void put16(struct frame *f, unsigned v) { put8(f, v >> 8); put8(f, v); }
static void put32(struct frame *f, uint32_t v) { put16(f, v >> 16); put16(f, v & 0xffff); }
static void putmem(struct frame *f, const void *p, size_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += (uint32_t)n;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)(~s & 0xffff);
}

static void addr6(const char *text, uint8_t out[16])
{
	if (inet_pton(AF_INET6, text, out) != 1) {
		fprintf(stderr, "bad test address %s\n", text);
		exit(2);
	}
}

/* One IPv6 extension header per comma-separated token:
 *   hop / dst        8 bytes of PadN
 *   rtT:S=A1+A2      routing header type T, segments left S, addresses
 *   frag:OFF:M       fragment header
 *   ah               24-byte authentication header
 *   big              hop-by-hop claiming 2 KiB (runs past the packet)
 * Returns the protocol number of the first header, writes the chain. The
 * final destination for the pseudo-header goes to final_dst. */
static uint8_t put_ext(struct frame *f, const char *ext, uint8_t last, uint8_t final_dst[16])
{
	char buf[256], *tok, *save = NULL;
	uint8_t types[16];
	char *toks[16];
	int n = 0;

	if (!ext || !*ext)
		return last;
	snprintf(buf, sizeof(buf), "%s", ext);
	for (tok = strtok_r(buf, ",", &save); tok && n < 16; tok = strtok_r(NULL, ",", &save)) {
		toks[n] = tok;
		if (!strcmp(tok, "hop") || !strcmp(tok, "big"))
			types[n] = 0;
		else if (!strcmp(tok, "dst"))
			types[n] = 60;
		else if (!strncmp(tok, "rt", 2))
			types[n] = 43;
		else if (!strncmp(tok, "frag", 4))
			types[n] = 44;
		else if (!strcmp(tok, "ah"))
			types[n] = 51;
		else if (!strcmp(tok, "esp"))
			types[n] = 50;
		else if (!strcmp(tok, "none"))
			types[n] = 59;
		else
			exit(2);
		n++;
	}
	for (int i = 0; i < n; i++) {
		uint8_t nh = i + 1 < n ? types[i + 1] : last;

		switch (types[i]) {
		case 0:
		case 60:
			if (!strcmp(toks[i], "big")) {
				put8(f, nh); put8(f, 255); put16(f, 0); put32(f, 0);
			} else {
				put8(f, nh); put8(f, 0); put8(f, 1); put8(f, 4); put32(f, 0);
			}
			break;
		case 43: {
			/* rtT:S=A1+A2+...: type T, segments left S */
			unsigned type = 0, left = 0, na = 0;
			char addrs[200], *a, *asave = NULL;
			uint8_t list[4][16];

			sscanf(toks[i], "rt%u:%u", &type, &left);
			snprintf(addrs, sizeof(addrs), "%s", strchr(toks[i], '=') + 1);
			for (a = strtok_r(addrs, "+", &asave); a && na < 4; a = strtok_r(NULL, "+", &asave))
				addr6(a, list[na++]);
			put8(f, nh); put8(f, 2 * na); put8(f, type); put8(f, left);
			put32(f, 0);
			for (unsigned k = 0; k < na; k++)
				putmem(f, list[k], 16);
			/* the final destination: type 0 lists it last, type 2
			 * has one, SRH stores the path reversed (list[0]) */
			if (left)
				memcpy(final_dst, list[type == 0 ? na - 1 : 0], 16);
			break;
		}
		case 44: {
			unsigned off = 0, m = 0;

			sscanf(toks[i], "frag:%u:%u", &off, &m);
			put8(f, nh); put8(f, 0); put16(f, off << 3 | m); put32(f, 0x12345678);
			break;
		}
		case 51:
			put8(f, nh); put8(f, 4); put16(f, 0); put32(f, 0x100); put32(f, 1);
			for (int k = 0; k < 12; k++)
				put8(f, 0xaa);
			break;
		default:                /* esp, none: opaque bytes follow */
			for (int k = 0; k < 8; k++)
				put8(f, 0);
			break;
		}
	}
	return types[0];
}

static unsigned tcp_flag_bits(const char *s)
{
	unsigned v = 0;

	for (; s && *s; s++)
		switch (*s) {
		case 'F': v |= TCP_FIN; break;
		case 'S': v |= TCP_SYN; break;
		case 'R': v |= TCP_RST; break;
		case 'P': v |= TCP_PSH; break;
		case 'A': v |= TCP_ACK; break;
		case 'U': v |= TCP_URG; break;
		}
	return v;
}

static void build(const struct spec *s, struct frame *f)
{
	uint8_t src6[16], dst6[16], final_dst[16];
	struct in_addr src4, dst4;
	uint32_t ip_at, tcp_at, olen, doff, tcp_len;
	uint8_t proto = s->proto ? s->proto : 6;
	int ipv = s->ipv ? s->ipv : 4;
	uint16_t et = s->ethertype ? s->ethertype : (ipv == 4 ? 0x0800 : 0x86dd);
	uint32_t sum;

	memset(f, 0, sizeof(*f));
	/* link header */
	switch (s->link) {
	case DECODE_LINK_ETHERNET:
		putmem(f, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb", 12);
		break;
	case DECODE_LINK_SLL:
		/* outgoing, ARPHRD_ETHER, 6-byte address */
		put16(f, 4); put16(f, 1); put16(f, 6);
		putmem(f, "\x66\x77\x88\x99\xaa\xbb\x00\x00", 8);
		break;
	case DECODE_LINK_SLL2:
		put16(f, et); put16(f, 0); put32(f, 2); put16(f, 1); put8(f, 0); put8(f, 6);
		putmem(f, "\x66\x77\x88\x99\xaa\xbb\x00\x00", 8);
		break;
	case DECODE_LINK_NULL:
	case DECODE_LINK_LOOP: {
		uint32_t af = s->af ? s->af : (ipv == 4 ? 2 : 28);

		if (s->af_be) {
			put32(f, af);
		} else {
			put8(f, af); put8(f, af >> 8); put8(f, af >> 16); put8(f, af >> 24);
		}
		break;
	}
	default:
		break;
	}
	if (s->link == DECODE_LINK_ETHERNET || s->link == DECODE_LINK_SLL) {
		/* Each tag is TPID + TCI, the TPID where an EtherType (SLL:
		 * the protocol field) would be; the real EtherType follows
		 * the last tag. */
		const char *v = s->vlans ? s->vlans : "";
		unsigned tpid, id;
		int used;

		while (sscanf(v, "%x/%u%n", &tpid, &id, &used) == 2) {
			put16(f, tpid);
			put16(f, id);   /* TCI: priority 0, the VLAN id */
			v += used;
		}
		put16(f, et);
	}

	/* network header */
	ip_at = f->len;
	f->ip_at = ip_at;
	if (ipv == 4) {
		uint32_t ihl_bytes;

		inet_pton(AF_INET, s->src, &src4);
		inet_pton(AF_INET, s->dst, &dst4);
		olen = (s->ipopts_len + 3) & ~3u;
		ihl_bytes = 20 + olen;
		put8(f, 0x40 | (s->ihl ? (unsigned)s->ihl & 15 : ihl_bytes / 4));
		put8(f, 0);
		put16(f, 0);            /* total length, below */
		put16(f, 0x1234);
		put16(f, s->frag);
		put8(f, 64);
		put8(f, proto);
		put16(f, 0);            /* checksum, below */
		putmem(f, &src4, 4);
		putmem(f, &dst4, 4);
		putmem(f, s->ipopts ? s->ipopts : "", s->ipopts_len);
		for (uint32_t i = s->ipopts_len; i < olen; i++)
			put8(f, 0);
	} else {
		addr6(s->src, src6);
		addr6(s->dst, dst6);
		memcpy(final_dst, dst6, 16);
		put32(f, 0x60000000);
		put16(f, 0);            /* payload length, below */
		put8(f, 0);             /* next header, below */
		put8(f, 64);
		putmem(f, src6, 16);
		putmem(f, dst6, 16);
		f->b[ip_at + 6] = put_ext(f, s->ext, proto, final_dst);
	}

	/* TCP */
	tcp_at = f->len;
	olen = (s->tcpopts_len + 3) & ~3u;
	doff = s->doff ? (uint32_t)s->doff : (20 + olen) / 4;
	put16(f, s->sport);
	put16(f, s->dport);
	put32(f, s->seq);
	put32(f, s->ack);
	put8(f, doff << 4);
	put8(f, tcp_flag_bits(s->flags));
	put16(f, s->window ? s->window : 65535);
	put16(f, 0);                    /* checksum, below */
	put16(f, 0);
	putmem(f, s->tcpopts ? s->tcpopts : "", s->tcpopts_len);
	for (uint32_t i = s->tcpopts_len; i < olen; i++)
		put8(f, 1);             /* NOP padding */
	f->payload_at = f->len;
	putmem(f, s->payload ? s->payload : "", s->payload ? strlen(s->payload) : 0);
	tcp_len = f->len - tcp_at;

	/* lengths and checksums */
	if (ipv == 4) {
		uint32_t ihl_bytes = (f->b[ip_at] & 0x0f) * 4u;
		uint32_t tot = f->len - ip_at + (uint32_t)s->tot_delta;

		f->b[ip_at + 2] = (uint8_t)(tot >> 8);
		f->b[ip_at + 3] = (uint8_t)tot;
		if (ihl_bytes >= 20 && ihl_bytes <= f->len - ip_at) {
			uint16_t c = fold(sum16(f->b + ip_at, ihl_bytes, 0));

			if (s->bad_ip_csum)
				c ^= 0x0100;
			f->b[ip_at + 10] = (uint8_t)(c >> 8);
			f->b[ip_at + 11] = (uint8_t)c;
		}
		sum = sum16((uint8_t *)&src4, 4, 0);
		sum = sum16((uint8_t *)&dst4, 4, sum);
		sum += 6 + tcp_len;
	} else {
		uint32_t plen = f->len - ip_at - 40 + (uint32_t)s->tot_delta;

		f->b[ip_at + 4] = (uint8_t)(plen >> 8);
		f->b[ip_at + 5] = (uint8_t)plen;
		sum = sum16(src6, 16, 0);
		sum = sum16(final_dst, 16, sum);
		sum += 6 + tcp_len;
	}
	{
		uint16_t c = fold(sum16(f->b + tcp_at, tcp_len, sum));

		if (s->bad_tcp_csum)
			c ^= 0x0001;
		f->b[tcp_at + 16] = (uint8_t)(c >> 8);
		f->b[tcp_at + 17] = (uint8_t)c;
	}
	for (uint32_t i = 0; i < s->pad; i++)
		put8(f, 0);
}

/* Decode from a heap copy of exactly caplen bytes. */
static enum decode_result run(int link, const uint8_t *b, uint32_t caplen, bool csum,
			      struct decoded_pkt *out, struct decode_stats *st)
{
	struct decode_opts o = { .validate_checksums = csum };
	uint8_t *copy = malloc(caplen ? caplen : 1);
	enum decode_result r;

	memcpy(copy, b, caplen);
	r = decode_packet(link, copy, caplen, &o, out, st);
	/* pointers into the frame must be translated before the free */
	if (r == DECODE_OK)
		out->payload = b + (out->payload - copy);
	free(copy);
	return r;
}

/* ---- the tables ---------------------------------------------------- */

#define V4 .ipv = 4, .src = "192.0.2.1", .dst = "198.51.100.25"
#define V6 .ipv = 6, .src = "2001:db8::1", .dst = "2001:db8:1::25"
#define SEG .sport = 40000, .dport = 25, .seq = 1000, .ack = 2000, .flags = "PA", \
	    .payload = "EHLO mail.example.org\r\n"
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
	ROW("mpls", DECODE_UNSUPPORTED,
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
	ROW("v4 total > captured", DECODE_TRUNCATED,
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
	ROW("v4 udp fragment", DECODE_NOT_TCP,
	    .link = DECODE_LINK_ETHERNET, V4, SEG, .frag = 0x2000, .proto = 17),

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
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "frag:0:1"),
	ROW("v6 later fragment", DECODE_FRAGMENT,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "hop,frag:185:0"),
	ROW("v6 udp fragment", DECODE_NOT_TCP,
	    .link = DECODE_LINK_ETHERNET, V6, SEG, .ext = "frag:0:1", .proto = 17),
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
	ROW("v6 payload > captured", DECODE_TRUNCATED,
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

		memset(&st, 0, sizeof(st));
		build(&specs[i], &f);
		CHECK_EQ_U(run(specs[i].link, f.b, f.len, true, &out, &st), DECODE_OK);
		for (uint32_t cap = 0; cap < f.len; cap++) {
			enum decode_result r = run(specs[i].link, f.b, cap, cap & 1, &out, &st);

			if (r != DECODE_TRUNCATED) {
				fprintf(stderr, "spec %zu caplen %u/%u: %s\n", i, cap, f.len,
					decode_result_name(r));
				bad++;
			}
		}
		CHECK_EQ_U(bad, 0);
		CHECK_EQ_U(st.result[DECODE_TRUNCATED], f.len);
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
	return check_summary("test_decode");
}
