/*
 * decode_frames — frames for test_decode, built from readable field tables
 * (included by test_decode.c only; all static).
 *
 *   build()    link header + IPv4/IPv6 (options, extension headers,
 *              fragment fields) + TCP (options) + payload, with deliberate
 *              damage (IHL, lengths, data offset, checksums) on request;
 *   tbuild()   an inner packet from build() wrapped in a tunnel layer list
 *              (MPLS, GRE, ERSPAN, VXLAN, Geneve, IP-in-IP, inner Ethernet
 *              and VLAN tags), every length and type field following from
 *              what is inside; tpoke() then damages one field of one layer;
 *   run()      decode_packet() on an exact-size heap copy (ASan sees any
 *              read past the frame).
 *
 * The checksums are computed with this file's own straightforward RFC 1071
 * code, independent of the decoder's.
 */
#ifndef MT_TEST_DECODE_FRAMES_H
#define MT_TEST_DECODE_FRAMES_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- tunnels ------------------------------------------------------- */

/*
 * A tunnel frame is written from a readable layer list, outermost first,
 * around an inner IP packet made by build() (link RAW):
 *   eth            Ethernet header, EtherType from the layer inside
 *   vlan:N         an 802.1Q tag (the Ethernet or tag outside says 8100)
 *   mpls:L         a label stack entry (bottom-of-stack set when the layer
 *                  inside is not MPLS)
 *   cw             a pseudowire control word (4 zero bytes)
 *   ip4 / ip6      an outer IP header, protocol from the layer inside
 *   gre[:cks]      GRE with checksum / key / sequence fields as listed
 *   udp:PORT       UDP to PORT (checksum 0)
 *   vxlan          VXLAN header, I flag set
 *   geneve[:N]     Geneve with N 4-byte option words
 *   erspan1        nothing (type I: GRE 0x88BE without sequence number)
 *   erspan2        ERSPAN type II header
 *   erspan3[o]     ERSPAN type III header [with the platform subheader];
 *                  frame type IP when the layer inside is IP
 * Each layer's type field follows from the one inside it, as on the wire.
 */
enum lkind { K_IP4, K_IP6, K_ETH, K_MPLS, K_VLAN, K_GRE, K_UDP, K_OTHER, K_ER2, K_ER3 };

struct tframe {
	uint8_t b[8192];
	uint32_t start, end;
	uint32_t layer_at[33];  /* offset of each layer, outermost first;
				 * [nlayers] is the inner packet */
	int nlayers;
	uint32_t inner_at;      /* the inner IP packet */
	uint32_t payload_at;    /* the inner TCP payload */
	int link;
};

static unsigned kind_type(enum lkind k)
{
	switch (k) {
	case K_IP4: return 0x0800;
	case K_IP6: return 0x86dd;
	case K_ETH: return 0x6558;
	case K_MPLS: return 0x8847;
	case K_VLAN: return 0x8100;
	case K_ER2: return 0x88be;
	case K_ER3: return 0x22eb;
	default: return 0xffff;
	}
}

static unsigned kind_proto(enum lkind k)
{
	switch (k) {
	case K_IP4: return 4;
	case K_IP6: return 41;
	case K_GRE: return 47;
	case K_UDP: return 17;
	default: return 253;
	}
}

static uint8_t *pre(struct tframe *t, uint32_t n)
{
	t->start -= n;
	memset(t->b + t->start, 0, n);
	return t->b + t->start;
}

static void wr16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v >> 16); wr16(p + 2, v & 0xffff); }

static void tbuild(const char *layers, const struct spec *in, struct tframe *t)
{
	char buf[512], *toks[32], *save = NULL;
	uint32_t abs_at[32];
	struct spec s = *in;
	struct frame f;
	enum lkind k;
	int n = 0;

	memset(t, 0, sizeof(*t));
	s.link = DECODE_LINK_RAW;
	build(&s, &f);
	t->start = t->end = 4096;
	memcpy(t->b + t->start, f.b, f.len);
	t->end += f.len;
	k = (f.b[0] >> 4) == 4 ? K_IP4 : K_IP6;
	snprintf(buf, sizeof(buf), "%s", layers);
	for (char *tok = strtok_r(buf, " ", &save); tok && n < 32; tok = strtok_r(NULL, " ", &save))
		toks[n++] = tok;
	for (int i = n - 1; i >= 0; i--) {
		const char *tok = toks[i];
		unsigned v = 0;
		uint8_t *h;

		if (!strcmp(tok, "eth")) {
			h = pre(t, 14);
			memcpy(h, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
			wr16(h + 12, kind_type(k));
			k = K_ETH;
		} else if (sscanf(tok, "vlan:%u", &v) == 1) {
			h = pre(t, 4);
			wr16(h, v);
			wr16(h + 2, kind_type(k));
			k = K_VLAN;
		} else if (sscanf(tok, "mpls:%u", &v) == 1) {
			h = pre(t, 4);
			wr32(h, v << 12 | (k == K_MPLS ? 0 : 0x100) | 64);
			k = K_MPLS;
		} else if (!strcmp(tok, "cw")) {
			pre(t, 4);
			k = K_OTHER;
		} else if (!strcmp(tok, "ip4")) {
			uint32_t len;
			uint16_t c;

			h = pre(t, 20);
			len = t->end - t->start;
			h[0] = 0x45;
			wr16(h + 2, len);
			wr16(h + 4, 0x4321);
			h[8] = 64;
			h[9] = (uint8_t)kind_proto(k);
			memcpy(h + 12, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
			c = fold(sum16(h, 20, 0));
			wr16(h + 10, c);
			k = K_IP4;
		} else if (!strcmp(tok, "ip6")) {
			uint8_t a[16];

			h = pre(t, 40);
			wr32(h, 0x60000000);
			wr16(h + 4, t->end - t->start - 40);
			h[6] = (uint8_t)kind_proto(k);
			h[7] = 64;
			addr6("2001:db8:ff::1", a);
			memcpy(h + 8, a, 16);
			addr6("2001:db8:ff::2", a);
			memcpy(h + 24, a, 16);
			k = K_IP6;
		} else if (!strncmp(tok, "gre", 3)) {
			const char *fl = tok[3] == ':' ? tok + 4 : "";
			bool ck = strchr(fl, 'c'), key = strchr(fl, 'k'), sq = strchr(fl, 's');
			uint32_t hl = 4 + 4 * (ck + key + sq), o = 4;

			h = pre(t, hl);
			wr16(h, (ck ? 0x8000 : 0) | (key ? 0x2000 : 0) | (sq ? 0x1000 : 0));
			wr16(h + 2, kind_type(k));
			if (ck)
				o += 4;
			if (key) {
				wr32(h + o, 0xabcd);
				o += 4;
			}
			if (sq)
				wr32(h + o, 77);
			if (ck)
				wr16(h + 4, fold(sum16(h, t->end - t->start, 0)));
			k = K_GRE;
		} else if (sscanf(tok, "udp:%u", &v) == 1) {
			h = pre(t, 8);
			wr16(h, 54321);
			wr16(h + 2, v);
			wr16(h + 4, t->end - t->start);
			k = K_UDP;
		} else if (!strcmp(tok, "vxlan")) {
			h = pre(t, 8);
			h[0] = 0x08;
			wr32(h + 4, 0x123400);
			k = K_OTHER;
		} else if (!strncmp(tok, "geneve", 6)) {
			unsigned words = 0;

			sscanf(tok, "geneve:%u", &words);
			h = pre(t, 8 + 4 * words);
			h[0] = (uint8_t)words;
			wr16(h + 2, kind_type(k));
			wr32(h + 4, 0x555500);
			for (unsigned w = 0; w < words; w++)
				wr32(h + 8 + 4 * w, 0x01028000u + w);
			k = K_OTHER;
		} else if (!strcmp(tok, "erspan1")) {
			k = K_ER2;
		} else if (!strcmp(tok, "erspan2")) {
			h = pre(t, 8);
			wr16(h, 0x1000 | 12);           /* version 1, VLAN 12 */
			wr16(h + 2, 0x0007);            /* session 7 */
			wr32(h + 4, 99);
			k = K_ER2;
		} else if (!strncmp(tok, "erspan3", 7)) {
			bool sub = tok[7] == 'o';
			bool ip = k == K_IP4 || k == K_IP6;

			h = pre(t, sub ? 20 : 12);
			wr16(h, 0x2000 | 12);           /* version 2, VLAN 12 */
			wr16(h + 2, 0x0007);
			wr32(h + 4, 0x11223344);        /* timestamp */
			wr16(h + 8, 0x0042);            /* SGT */
			h[10] = (uint8_t)((ip ? 2 : 0) << 2);
			h[11] = sub ? 0x01 : 0x00;
			if (sub)
				wr32(h + 12, 0x0c000000u);  /* platform id 3 */
			k = K_ER3;
		} else {
			fprintf(stderr, "bad layer %s\n", tok);
			exit(2);
		}
		abs_at[i] = t->start;
	}
	t->nlayers = n;
	for (int i = 0; i < n; i++)
		t->layer_at[i] = abs_at[i] - t->start;
	t->layer_at[n] = 4096 - t->start;     /* "layer" n: the inner packet */
	t->inner_at = 4096 - t->start;
	t->payload_at = t->inner_at + f.payload_at;
	memmove(t->b, t->b + t->start, t->end - t->start);
	t->end -= t->start;
	t->start = 0;
	t->link = !strncmp(layers, "eth", 3) ? DECODE_LINK_ETHERNET : DECODE_LINK_RAW;
}

/* Damage "L:OFF=HEX": at byte OFF of layer L (nlayers = the inner
 * packet), one byte (2 hex digits) or a 16-bit field (4 digits). */
static void tpoke(struct tframe *t, const char *poke)
{
	unsigned layer, off, v;
	char hex[8];

	if (!poke)
		return;
	if (sscanf(poke, "%u:%u=%7s", &layer, &off, hex) != 3 || (int)layer > t->nlayers)
		exit(2);
	v = (unsigned)strtoul(hex, NULL, 16);
	if (strlen(hex) == 4)
		wr16(t->b + t->layer_at[layer] + off, v);
	else
		t->b[t->layer_at[layer] + off] = (uint8_t)v;
}

#endif
