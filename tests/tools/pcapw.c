/*
 * pcapw — synthetic TCP capture writer (see pcapw.h for the model).
 *
 * Layout of the work: every record is assembled in place at the tail of the
 * output buffer — record header, link header, IP header, TCP header, then
 * the payload copied once — and the record header's lengths are filled in
 * last. A tunnelled or fragmented packet is first built whole in a scratch
 * buffer (write_wrapped), then each fragment, or the packet, is copied
 * behind the link and tunnel headers of its own record (emit_ip). The buffer is always at least PCAPW_REC_MAX bytes larger than any
 * record, so "flush if the record might not fit" is the only check needed.
 * All multi-byte fields of the file format are written in host byte order,
 * as libpcap itself does (the magic number tells readers which order);
 * protocol headers are big-endian on the wire as usual.
 */
#include "pcapw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCAPW_DEFAULT_START_US  (1700000000ull * 1000000ull)
#define PCAPW_DEFAULT_SNAPLEN   262144u
#define PCAPW_DEFAULT_BUF       (1u << 20)
#define PCAPW_MIN_BUF           (256u << 10)
/* Largest record: pcapng EPB overhead 32 + padding 3 + link 20 + IP 40 +
 * TCP 60 + payload + what a tunnel adds (PCAPW_TUN_MAX); comfortably
 * below the minimum buffer. */
#define PCAPW_TUN_MAX           128u
#define PCAPW_REC_MAX           (32u + 3u + 20u + 40u + 60u + 65535u + PCAPW_TUN_MAX)
/* An IP packet pcapw builds: header, TCP header with options, payload. */
#define PCAPW_IP_MAX            (40u + 60u + 65535u)
/* Fragments of one packet at most: 8-byte fragments of the largest
 * packet, the tiny first one and the overlapping one. */
#define PCAPW_FRAGS_MAX         (PCAPW_IP_MAX / 8u + 3u)

/* One fragment to write: bytes [off, off + len) of the packet's IP
 * payload; alt = the overlapping copy with changed bytes. */
struct pcapw_piece {
	uint32_t off, len;
	bool more, alt;
};

struct pcapw {
	int fd;
	bool close_fd;
	enum pcapw_format format;
	enum pcapw_link link;
	uint8_t vlan_count;
	uint16_t vlan[2];
	uint32_t step_us;
	uint64_t clock_us;
	uint64_t packets;
	uint64_t bytes;
	int err;                    /* sticky first error, -errno */
	uint8_t *buf;
	size_t len, cap;
	/* Tunnels and fragmentation (pcapw_set_tunnel/_fragment). */
	enum pcapw_tunnel tunnel;
	struct pcapw_frag_opts frag;
	struct pcapw_rng frag_rng;
	uint16_t outer_id;          /* outer IPv4 ids */
	uint32_t frag_id6;          /* IPv6 fragment ids */
	uint8_t *pkt;               /* the packet being cut or wrapped */
	uint8_t *piece_pkt;         /* one fragment of it */
	struct pcapw_piece *pieces;
};

static const char *const link_names[PCAPW_LINK_COUNT] = {
	[PCAPW_LINK_ETHERNET] = "ethernet",
	[PCAPW_LINK_SLL] = "sll",
	[PCAPW_LINK_SLL2] = "sll2",
	[PCAPW_LINK_RAW] = "raw",
	[PCAPW_LINK_NULL] = "null",
	[PCAPW_LINK_IPV4] = "ipv4",
	[PCAPW_LINK_IPV6] = "ipv6",
};

static const unsigned link_dlts[PCAPW_LINK_COUNT] = {
	[PCAPW_LINK_ETHERNET] = 1,
	[PCAPW_LINK_SLL] = 113,
	[PCAPW_LINK_SLL2] = 276,
	[PCAPW_LINK_RAW] = 101,
	[PCAPW_LINK_NULL] = 0,
	[PCAPW_LINK_IPV4] = 228,
	[PCAPW_LINK_IPV6] = 229,
};

void pcapw_opts_default(struct pcapw_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->format = PCAPW_FORMAT_PCAP;
	o->link = PCAPW_LINK_ETHERNET;
	o->step_us = 1;
}

unsigned pcapw_link_dlt(enum pcapw_link link)
{
	return (unsigned)link < PCAPW_LINK_COUNT ? link_dlts[link] : 0;
}

const char *pcapw_link_name(enum pcapw_link link)
{
	return (unsigned)link < PCAPW_LINK_COUNT ? link_names[link] : "?";
}

int pcapw_link_parse(const char *name)
{
	for (int i = 0; i < PCAPW_LINK_COUNT; i++)
		if (strcmp(name, link_names[i]) == 0)
			return i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Byte helpers. */

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put_h16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static inline void put_h32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/*
 * Internet checksum (RFC 1071) accumulated in native byte order: the sum
 * of native 32-bit words folded to 16 bits equals the one's-complement sum
 * of the 16-bit words in the same order, and byte order commutes with
 * one's-complement addition (RFC 1071 section 2(B)), so the folded result
 * can be stored with memcpy without swapping. Only the last chunk of a
 * checksum may have an odd length.
 */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
	while (n >= 16) {
		uint32_t a, b, c, d;
		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		memcpy(&c, p + 8, 4);
		memcpy(&d, p + 12, 4);
		sum += (uint64_t)a + b + c + d;
		p += 16;
		n -= 16;
	}
	while (n >= 4) {
		uint32_t a;
		memcpy(&a, p, 4);
		sum += a;
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		uint16_t a;
		memcpy(&a, p, 2);
		sum += a;
		p += 2;
		n -= 2;
	}
	if (n) {
		uint8_t last[2] = { p[0], 0 };
		uint16_t a;
		memcpy(&a, last, 2);
		sum += a;
	}
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* ------------------------------------------------------------------ */
/* Output. */

static int sink_write(struct pcapw *w, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = write(w->fd, p, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int pcapw_flush(struct pcapw *w)
{
	if (w->err)
		return w->err;
	if (w->len) {
		int rc = sink_write(w, w->buf, w->len);
		if (rc) {
			w->err = rc;
			return rc;
		}
		w->len = 0;
	}
	return 0;
}

/* Room for one record of at most PCAPW_REC_MAX bytes at buf + len. */
static int reserve(struct pcapw *w, size_t need)
{
	if (w->err)
		return w->err;
	if (w->cap - w->len < need)
		return pcapw_flush(w);
	return 0;
}

static int write_file_header(struct pcapw *w, uint32_t snaplen)
{
	uint8_t *p = w->buf;
	unsigned dlt = pcapw_link_dlt(w->link);

	if (w->format == PCAPW_FORMAT_PCAP) {
		put_h32(p, 0xa1b2c3d4u);       /* microsecond magic */
		put_h16(p + 4, 2);
		put_h16(p + 6, 4);
		put_h32(p + 8, 0);             /* thiszone */
		put_h32(p + 12, 0);            /* sigfigs */
		put_h32(p + 16, snaplen);
		put_h32(p + 20, dlt);
		w->len = 24;
	} else {
		/* Section Header Block: no options, section length unknown. */
		put_h32(p, 0x0a0d0d0au);
		put_h32(p + 4, 28);
		put_h32(p + 8, 0x1a2b3c4du);
		put_h16(p + 12, 1);
		put_h16(p + 14, 0);
		put_h32(p + 16, 0xffffffffu);
		put_h32(p + 20, 0xffffffffu);
		put_h32(p + 24, 28);
		/* Interface Description Block: no options, so if_tsresol is
		 * the default 6 (microseconds). */
		p += 28;
		put_h32(p, 1);
		put_h32(p + 4, 20);
		put_h16(p + 8, (uint16_t)dlt);
		put_h16(p + 10, 0);
		put_h32(p + 12, snaplen);
		put_h32(p + 16, 20);
		w->len = 48;
	}
	w->bytes = w->len;
	return 0;
}

int pcapw_open(const char *path, const struct pcapw_opts *o, struct pcapw **out)
{
	struct pcapw_opts def;
	struct pcapw *w;
	int rc;

	*out = NULL;
	if (!o) {
		pcapw_opts_default(&def);
		o = &def;
	}
	if ((unsigned)o->link >= PCAPW_LINK_COUNT ||
	    (o->format != PCAPW_FORMAT_PCAP && o->format != PCAPW_FORMAT_PCAPNG) ||
	    o->vlan_count > 2 ||
	    (o->vlan_count && o->link != PCAPW_LINK_ETHERNET))
		return -EINVAL;
	for (unsigned i = 0; i < o->vlan_count; i++)
		if (o->vlan[i] > 4095)
			return -EINVAL;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->cap = o->buf_size ? o->buf_size : PCAPW_DEFAULT_BUF;
	if (w->cap < PCAPW_MIN_BUF)
		w->cap = PCAPW_MIN_BUF;
	w->buf = malloc(w->cap);
	if (!w->buf) {
		rc = -ENOMEM;
		goto fail;
	}
	w->format = o->format;
	w->link = o->link;
	w->vlan_count = o->vlan_count;
	w->vlan[0] = o->vlan[0];
	w->vlan[1] = o->vlan[1];
	w->step_us = o->step_us;
	w->clock_us = o->start_us ? o->start_us : PCAPW_DEFAULT_START_US;

	if (strcmp(path, "-") == 0) {
		w->fd = STDOUT_FILENO;
	} else {
		w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (w->fd < 0) {
			rc = -errno;
			goto fail;
		}
		w->close_fd = true;
	}
	write_file_header(w, o->snaplen ? o->snaplen : PCAPW_DEFAULT_SNAPLEN);
	*out = w;
	return 0;
fail:
	free(w->buf);
	free(w);
	return rc;
}

int pcapw_close(struct pcapw *w)
{
	int rc;

	if (!w)
		return 0;
	rc = pcapw_flush(w);
	if (w->close_fd && close(w->fd) != 0 && !rc)
		rc = -errno;
	free(w->buf);
	free(w->pkt);
	free(w->piece_pkt);
	free(w->pieces);
	free(w);
	return rc;
}

uint64_t pcapw_clock(const struct pcapw *w)
{
	return w->clock_us;
}

void pcapw_clock_set(struct pcapw *w, uint64_t us)
{
	w->clock_us = us;
}

void pcapw_clock_advance(struct pcapw *w, uint64_t us)
{
	w->clock_us += us;
}

uint64_t pcapw_packets(const struct pcapw *w)
{
	return w->packets;
}

uint64_t pcapw_bytes(const struct pcapw *w)
{
	return w->bytes;
}

/* Size of the record header that precedes the frame. */
static size_t rec_hdr_len(const struct pcapw *w)
{
	return w->format == PCAPW_FORMAT_PCAP ? 16 : 28;
}

/* Where the frame of the next record goes; reserve() must have run. */
static uint8_t *rec_frame(struct pcapw *w)
{
	return w->buf + w->len + rec_hdr_len(w);
}

/* Fill in the record header (and pcapng trailer) for a frame of `flen`
 * bytes already placed at rec_frame(), commit it, step the clock. */
static void rec_commit(struct pcapw *w, uint32_t flen)
{
	uint8_t *h = w->buf + w->len;
	uint64_t ts = w->clock_us;
	size_t total;

	if (w->format == PCAPW_FORMAT_PCAP) {
		put_h32(h, (uint32_t)(ts / 1000000u));
		put_h32(h + 4, (uint32_t)(ts % 1000000u));
		put_h32(h + 8, flen);
		put_h32(h + 12, flen);
		total = 16 + flen;
	} else {
		uint32_t padded = (flen + 3u) & ~3u;
		total = 32 + padded;
		put_h32(h, 6);                 /* Enhanced Packet Block */
		put_h32(h + 4, (uint32_t)total);
		put_h32(h + 8, 0);             /* interface 0 */
		put_h32(h + 12, (uint32_t)(ts >> 32));
		put_h32(h + 16, (uint32_t)ts);
		put_h32(h + 20, flen);
		put_h32(h + 24, flen);
		memset(h + 28 + flen, 0, padded - flen);
		put_h32(h + 28 + padded, (uint32_t)total);
	}
	w->len += total;
	w->bytes += total;
	w->packets++;
	w->clock_us += w->step_us;
}

int pcapw_write_frame(struct pcapw *w, const uint8_t *frame, uint32_t len)
{
	int rc;

	if (len > PCAPW_REC_MAX - 35u)
		return -EINVAL;
	rc = reserve(w, PCAPW_REC_MAX);
	if (rc)
		return rc;
	memcpy(rec_frame(w), frame, len);
	rec_commit(w, len);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Link headers. */

static size_t link_hdr_len(const struct pcapw *w)
{
	switch (w->link) {
	case PCAPW_LINK_ETHERNET: return 14u + 4u * w->vlan_count;
	case PCAPW_LINK_SLL: return 16;
	case PCAPW_LINK_SLL2: return 20;
	case PCAPW_LINK_NULL: return 4;
	default: return 0;
	}
}

/* A locally administered MAC derived from the host's address, so each host
 * keeps one MAC across a capture. */
static void endpoint_mac(const struct pcapw_endpoint *ep, uint8_t mac[6])
{
	const uint8_t *a = ep->family == 4 ? ep->addr : ep->addr + 12;

	mac[0] = 0x02;
	mac[1] = 0x00;
	memcpy(mac + 2, a, 4);
}

/* Write the link header at p for a packet from src to dst carrying
 * EtherType etype; `outgoing` picks the SLL packet type (sent by the
 * capturing host, or to it). */
static void write_link(struct pcapw *w, uint8_t *p, const struct pcapw_endpoint *src,
		       const struct pcapw_endpoint *dst, bool outgoing, uint16_t etype)
{
	uint8_t mac[6];

	switch (w->link) {
	case PCAPW_LINK_ETHERNET:
		endpoint_mac(dst, p);
		endpoint_mac(src, p + 6);
		p += 12;
		if (w->vlan_count == 2) {
			/* IEEE 802.1ad: S-tag outside, C-tag inside. */
			put_be16(p, 0x88a8);
			put_be16(p + 2, w->vlan[0]);
			put_be16(p + 4, 0x8100);
			put_be16(p + 6, w->vlan[1]);
			p += 8;
		} else if (w->vlan_count == 1) {
			put_be16(p, 0x8100);
			put_be16(p + 2, w->vlan[0]);
			p += 4;
		}
		put_be16(p, etype);
		break;
	case PCAPW_LINK_SLL:
		endpoint_mac(src, mac);
		put_be16(p, outgoing ? 4 : 0);     /* PACKET_OUTGOING / HOST */
		put_be16(p + 2, 1);                /* ARPHRD_ETHER */
		put_be16(p + 4, 6);
		memcpy(p + 6, mac, 6);
		memset(p + 12, 0, 2);
		put_be16(p + 14, etype);
		break;
	case PCAPW_LINK_SLL2:
		endpoint_mac(src, mac);
		put_be16(p, etype);
		put_be16(p + 2, 0);                /* reserved */
		put_be32(p + 4, 2);                /* interface index */
		put_be16(p + 8, 1);                /* ARPHRD_ETHER */
		p[10] = outgoing ? 4 : 0;
		p[11] = 6;
		memcpy(p + 12, mac, 6);
		memset(p + 18, 0, 2);
		break;
	case PCAPW_LINK_NULL:
		put_h32(p, etype == 0x0800 ? PCAPW_NULL_AF_INET : PCAPW_NULL_AF_INET6);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* TCP/IP packets. */

/* Is t a request pcapw can build? */
static bool tcp_ok(const struct pcapw *w, const struct pcapw_tcp *t)
{
	const struct pcapw_endpoint *s = t->src, *d = t->dst;

	return s->family == d->family && (s->family == 4 || s->family == 6) &&
	       (w->tunnel != PCAPW_TUNNEL_NONE ||
		((w->link != PCAPW_LINK_IPV4 || s->family == 4) &&
		 (w->link != PCAPW_LINK_IPV6 || s->family == 6))) &&
	       t->opts_len <= 40 && !(t->opts_len & 3) &&
	       t->payload_len <= PCAPW_MAX_PAYLOAD;
}

/* Build the IPv4/IPv6 + TCP packet of t at ip; returns its length. */
static uint32_t build_tcp_ip(const struct pcapw_tcp *t, uint8_t *ip)
{
	const struct pcapw_endpoint *s = t->src, *d = t->dst;
	size_t ihl, thl;
	uint8_t *tcp;
	uint64_t sum;
	uint16_t ck;

	ihl = s->family == 4 ? 20 : 40;
	thl = 20u + t->opts_len;
	tcp = ip + ihl;

	/* TCP header and payload first: the pseudo-header sum needs only
	 * addresses and the TCP length. */
	put_be16(tcp, s->port);
	put_be16(tcp + 2, d->port);
	put_be32(tcp + 4, t->seq);
	put_be32(tcp + 8, t->ack);
	tcp[12] = (uint8_t)((thl / 4) << 4);
	tcp[13] = t->flags;
	put_be16(tcp + 14, t->window);
	put_be16(tcp + 16, 0);
	put_be16(tcp + 18, 0);
	if (t->opts_len)
		memcpy(tcp + 20, t->opts, t->opts_len);
	if (t->payload_len)
		memcpy(tcp + thl, t->payload, t->payload_len);

	/* Pseudo-header, RFC 9293 section 3.1 (IPv4) / RFC 8200 section 8.1. */
	{
		uint8_t ph[40];
		size_t phl;
		uint32_t tcplen = (uint32_t)(thl + t->payload_len);

		if (s->family == 4) {
			memcpy(ph, s->addr, 4);
			memcpy(ph + 4, d->addr, 4);
			ph[8] = 0;
			ph[9] = 6;
			put_be16(ph + 10, (uint16_t)tcplen);
			phl = 12;
		} else {
			memcpy(ph, s->addr, 16);
			memcpy(ph + 16, d->addr, 16);
			put_be32(ph + 32, tcplen);
			memset(ph + 36, 0, 3);
			ph[39] = 6;
			phl = 40;
		}
		sum = csum_add(0, ph, phl);
		if (t->csum & PCAPW_CSUM_BAD_TCP) {
			/* What an offloading sender hands to its NIC. */
			uint16_t good = (uint16_t)~csum_fold(csum_add(sum, tcp, tcplen));
			uint16_t inv;
			ck = csum_fold(sum);
			inv = (uint16_t)~ck;
			if (ck == good || inv == good)
				ck = (uint16_t)(good ^ 0x0101);
		} else {
			ck = (uint16_t)~csum_fold(csum_add(sum, tcp, tcplen));
		}
		memcpy(tcp + 16, &ck, 2);
	}

	if (s->family == 4) {
		ip[0] = 0x45;
		ip[1] = 0;
		put_be16(ip + 2, (uint16_t)(ihl + thl + t->payload_len));
		put_be16(ip + 4, t->ip_id);
		put_be16(ip + 6, 0x4000);          /* DF */
		ip[8] = t->ttl ? t->ttl : 64;
		ip[9] = 6;
		put_be16(ip + 10, 0);
		memcpy(ip + 12, s->addr, 4);
		memcpy(ip + 16, d->addr, 4);
		ck = (uint16_t)~csum_fold(csum_add(0, ip, 20));
		if (t->csum & PCAPW_CSUM_BAD_IP)
			ck = ck ? 0 : 0x0101;
		memcpy(ip + 10, &ck, 2);
	} else {
		put_be32(ip, 0x60000000u);
		put_be16(ip + 4, (uint16_t)(thl + t->payload_len));
		ip[6] = 6;
		ip[7] = t->ttl ? t->ttl : 64;
		memcpy(ip + 8, s->addr, 16);
		memcpy(ip + 24, d->addr, 16);
	}
	return (uint32_t)(ihl + thl + t->payload_len);
}

static int write_wrapped(struct pcapw *w, const struct pcapw_tcp *t);

int pcapw_write_tcp(struct pcapw *w, const struct pcapw_tcp *t)
{
	size_t lhl;
	uint8_t *f;
	uint32_t iplen;
	int rc;

	if (!tcp_ok(w, t))
		return -EINVAL;
	if (w->tunnel != PCAPW_TUNNEL_NONE || (w->frag.size && t->payload_len))
		return write_wrapped(w, t);
	rc = reserve(w, PCAPW_REC_MAX);
	if (rc)
		return rc;

	/* The common case: built in place in the output buffer. */
	lhl = link_hdr_len(w);
	f = rec_frame(w);
	write_link(w, f, t->src, t->dst, t->outgoing, t->src->family == 4 ? 0x0800 : 0x86dd);
	iplen = build_tcp_ip(t, f + lhl);
	rec_commit(w, (uint32_t)(lhl + iplen));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tunnels and fragmentation. */

static const char *const tunnel_names[PCAPW_TUNNEL_COUNT] = {
	[PCAPW_TUNNEL_NONE] = "none",
	[PCAPW_TUNNEL_MPLS] = "mpls",
	[PCAPW_TUNNEL_GRE] = "gre",
	[PCAPW_TUNNEL_GRE_ETH] = "gre-eth",
	[PCAPW_TUNNEL_ERSPAN2] = "erspan2",
	[PCAPW_TUNNEL_ERSPAN3] = "erspan3",
	[PCAPW_TUNNEL_VXLAN] = "vxlan",
	[PCAPW_TUNNEL_GENEVE] = "geneve",
	[PCAPW_TUNNEL_IPIP] = "ipip",
	[PCAPW_TUNNEL_IP6IP6] = "ip6ip6",
	[PCAPW_TUNNEL_IP4IN6] = "ip4in6",
};

const char *pcapw_tunnel_name(enum pcapw_tunnel t)
{
	return (unsigned)t < PCAPW_TUNNEL_COUNT ? tunnel_names[t] : "?";
}

int pcapw_tunnel_parse(const char *name)
{
	for (int i = 0; i < PCAPW_TUNNEL_COUNT; i++)
		if (strcmp(name, tunnel_names[i]) == 0)
			return i;
	return -1;
}

/* Scratch space for wrapping and cutting, allocated once. */
static int scratch_alloc(struct pcapw *w)
{
	if (!w->pkt)
		w->pkt = malloc(PCAPW_IP_MAX);
	if (!w->piece_pkt)
		w->piece_pkt = malloc(PCAPW_IP_MAX + 8u);
	if (!w->pieces)
		w->pieces = malloc(PCAPW_FRAGS_MAX * sizeof(*w->pieces));
	return w->pkt && w->piece_pkt && w->pieces ? 0 : -ENOMEM;
}

int pcapw_set_tunnel(struct pcapw *w, enum pcapw_tunnel t)
{
	if ((unsigned)t >= PCAPW_TUNNEL_COUNT)
		return -EINVAL;
	if (t != PCAPW_TUNNEL_NONE && scratch_alloc(w))
		return -ENOMEM;
	w->tunnel = t;
	return 0;
}

int pcapw_set_fragment(struct pcapw *w, const struct pcapw_frag_opts *fo)
{
	if (!fo || !fo->size) {
		memset(&w->frag, 0, sizeof(w->frag));
		return 0;
	}
	if ((fo->size & 7u) || fo->size > 65528u || (fo->overlap & 7u) ||
	    (unsigned)fo->order > PCAPW_FRAG_SHUFFLE)
		return -EINVAL;
	if (scratch_alloc(w))
		return -ENOMEM;
	w->frag = *fo;
	pcapw_rng_seed(&w->frag_rng, fo->seed);
	return 0;
}

/* The outer IP version a tunnel adds, 0 for none. */
static int tunnel_outer_family(enum pcapw_tunnel t)
{
	switch (t) {
	case PCAPW_TUNNEL_NONE:
	case PCAPW_TUNNEL_MPLS:
		return 0;
	case PCAPW_TUNNEL_IP6IP6:
	case PCAPW_TUNNEL_IP4IN6:
		return 6;
	default:
		return 4;
	}
}

/* Bytes a tunnel puts between the link header and the inner packet:
 * outer IP, its own headers, an inner Ethernet header. */
static uint32_t tunnel_hdr_len(enum pcapw_tunnel t)
{
	switch (t) {
	case PCAPW_TUNNEL_MPLS: return 8;
	case PCAPW_TUNNEL_GRE: return 20 + 16;
	case PCAPW_TUNNEL_GRE_ETH: return 20 + 8 + 14;
	case PCAPW_TUNNEL_ERSPAN2: return 20 + 8 + 8 + 14;
	case PCAPW_TUNNEL_ERSPAN3: return 20 + 8 + 20 + 14;
	case PCAPW_TUNNEL_VXLAN: return 20 + 8 + 8 + 14;
	case PCAPW_TUNNEL_GENEVE: return 20 + 8 + 16 + 14;
	case PCAPW_TUNNEL_IPIP: return 20;
	case PCAPW_TUNNEL_IP6IP6:
	case PCAPW_TUNNEL_IP4IN6: return 40;
	default: return 0;
	}
}

/*
 * One frame: the link header, w's tunnel around the IP packet ip[0..len),
 * then the packet. Header layouts: MPLS RFC 3032, GRE RFC 2784/2890,
 * ERSPAN draft-foschiano-erspan-03, VXLAN RFC 7348, Geneve RFC 8926.
 */
static int emit_ip(struct pcapw *w, const struct pcapw_tcp *t, const uint8_t *ip, uint32_t len)
{
	static const uint8_t out4[2][4] = { { 192, 0, 2, 1 }, { 192, 0, 2, 2 } };
	static const uint8_t out6[2][16] = {
		{ 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 },
	};
	const enum pcapw_tunnel tun = w->tunnel;
	const int fam = ip[0] >> 4, outer = tunnel_outer_family(tun);
	const uint16_t inner_etype = fam == 4 ? 0x0800 : 0x86dd;
	const uint32_t th = tunnel_hdr_len(tun);
	const int from = t->outgoing ? 1 : 0;
	size_t lhl = link_hdr_len(w);
	uint8_t *f, *p, *gre = NULL;
	uint16_t etype, ck;
	int rc;

	switch (tun) {
	case PCAPW_TUNNEL_NONE:
		etype = inner_etype;
		break;
	case PCAPW_TUNNEL_MPLS:
		if (w->link != PCAPW_LINK_ETHERNET && w->link != PCAPW_LINK_SLL &&
		    w->link != PCAPW_LINK_SLL2)
			return -EINVAL;
		etype = 0x8847;
		break;
	case PCAPW_TUNNEL_IP6IP6:
	case PCAPW_TUNNEL_IP4IN6:
		if (fam != (tun == PCAPW_TUNNEL_IP6IP6 ? 6 : 4))
			return -EINVAL;
		etype = 0x86dd;
		break;
	default:
		etype = 0x0800;
		break;
	}
	if ((w->link == PCAPW_LINK_IPV4 && etype != 0x0800) ||
	    (w->link == PCAPW_LINK_IPV6 && etype != 0x86dd) ||
	    (outer && th + len > 65535u))
		return -EINVAL;
	rc = reserve(w, PCAPW_REC_MAX);
	if (rc)
		return rc;
	f = rec_frame(w);
	write_link(w, f, t->src, t->dst, t->outgoing, etype);
	p = f + lhl;

	if (outer == 4) {
		p[0] = 0x45;
		p[1] = 0;
		put_be16(p + 2, (uint16_t)(th + len));
		put_be16(p + 4, w->outer_id++);
		put_be16(p + 6, 0);
		p[8] = 64;
		switch (tun) {
		case PCAPW_TUNNEL_VXLAN:
		case PCAPW_TUNNEL_GENEVE: p[9] = 17; break;
		case PCAPW_TUNNEL_IPIP: p[9] = fam == 4 ? 4 : 41; break;
		default: p[9] = 47; break;
		}
		put_be16(p + 10, 0);
		memcpy(p + 12, out4[from], 4);
		memcpy(p + 16, out4[!from], 4);
		ck = (uint16_t)~csum_fold(csum_add(0, p, 20));
		memcpy(p + 10, &ck, 2);
		p += 20;
	} else if (outer == 6) {
		put_be32(p, 0x60000000u);
		put_be16(p + 4, (uint16_t)(th - 40 + len));
		p[6] = fam == 4 ? 4 : 41;
		p[7] = 64;
		memcpy(p + 8, out6[from], 16);
		memcpy(p + 24, out6[!from], 16);
		p += 40;
	}

	switch (tun) {
	case PCAPW_TUNNEL_MPLS:
		put_be32(p, 16u << 12 | 64);            /* transport label */
		put_be32(p + 4, 1000u << 12 | 0x100 | 64);  /* bottom of stack */
		p += 8;
		break;
	case PCAPW_TUNNEL_GRE:
		gre = p;
		put_be16(p, 0xb000);                    /* C, K, S */
		put_be16(p + 2, inner_etype);
		put_be32(p + 4, 0);                     /* checksum, reserved1 */
		put_be32(p + 8, 0x1234);                /* key */
		put_be32(p + 12, w->outer_id);          /* sequence */
		p += 16;
		break;
	case PCAPW_TUNNEL_GRE_ETH:
		put_be16(p, 0x2000);                    /* K */
		put_be16(p + 2, 0x6558);
		put_be32(p + 4, 0x1234);
		p += 8;
		break;
	case PCAPW_TUNNEL_ERSPAN2:
	case PCAPW_TUNNEL_ERSPAN3:
		put_be16(p, 0x1000);                    /* S */
		put_be16(p + 2, tun == PCAPW_TUNNEL_ERSPAN2 ? 0x88be : 0x22eb);
		put_be32(p + 4, w->outer_id);
		p += 8;
		if (tun == PCAPW_TUNNEL_ERSPAN2) {
			/* Ver 1, VLAN 0, COS 0, En 0, T 0, session 1; index 0 */
			put_be16(p, 0x1000);
			put_be16(p + 2, 1);
			put_be32(p + 4, 0);
			p += 8;
		} else {
			/* Ver 2, VLAN 0, session 1, timestamp, SGT 0, FT 0
			 * (Ethernet), O set: platform subheader, id 3 */
			put_be16(p, 0x2000);
			put_be16(p + 2, 1);
			put_be32(p + 4, (uint32_t)w->clock_us);
			put_be16(p + 8, 0);
			p[10] = 0;
			p[11] = 0x01;
			put_be32(p + 12, 3u << 26);
			put_be32(p + 16, 0);
			p += 20;
		}
		break;
	case PCAPW_TUNNEL_VXLAN:
	case PCAPW_TUNNEL_GENEVE:
		/* UDP: the source port is the flow-entropy hash of RFC 7348. */
		put_be16(p, (uint16_t)(0xc000u | (t->src->port & 0x3fffu)));
		put_be16(p + 2, tun == PCAPW_TUNNEL_VXLAN ? 4789 : 6081);
		put_be16(p + 4, (uint16_t)(th - 20 + len));
		put_be16(p + 6, 0);
		p += 8;
		if (tun == PCAPW_TUNNEL_VXLAN) {
			put_be32(p, 0x08000000u);       /* I flag */
			put_be32(p + 4, 0x1234u << 8);  /* VNI */
			p += 8;
		} else {
			p[0] = 2;                       /* Ver 0, 2 option words */
			p[1] = 0;
			put_be16(p + 2, 0x6558);
			put_be32(p + 4, 0x1234u << 8);
			put_be16(p + 8, 0x0101);        /* option class */
			p[10] = 0x01;                   /* type */
			p[11] = 1;                      /* 4 bytes of data */
			put_be32(p + 12, 0xdeadbeef);
			p += 16;
		}
		break;
	default:
		break;
	}
	if (tun == PCAPW_TUNNEL_GRE_ETH || tun == PCAPW_TUNNEL_ERSPAN2 ||
	    tun == PCAPW_TUNNEL_ERSPAN3 || tun == PCAPW_TUNNEL_VXLAN ||
	    tun == PCAPW_TUNNEL_GENEVE) {
		endpoint_mac(t->dst, p);
		endpoint_mac(t->src, p + 6);
		put_be16(p + 12, inner_etype);
		p += 14;
	}
	memcpy(p, ip, len);
	if (gre) {
		/* RFC 2784 section 2.5: over the GRE header and payload. */
		ck = (uint16_t)~csum_fold(csum_add(0, gre, (size_t)(p + len - gre)));
		memcpy(gre + 4, &ck, 2);
	}
	rec_commit(w, (uint32_t)(lhl + th + len));
	return 0;
}

/* The fragment list of a packet whose IP payload is `total` bytes with a
 * `thl`-byte TCP header, in the order to send; returns how many. */
static uint32_t frag_plan(struct pcapw *w, uint32_t total, uint32_t thl)
{
	const struct pcapw_frag_opts *fo = &w->frag;
	struct pcapw_piece *pc = w->pieces;
	uint32_t n = 0, off = 0, k;

	while (off < total) {
		uint32_t len = off == 0 && fo->tiny ? 8u : fo->size;

		if (len > total - off)
			len = total - off;
		pc[n].off = off;
		pc[n].len = len;
		pc[n].more = off + len < total;
		pc[n].alt = false;
		n++;
		off += len;
	}
	if (fo->overlap) {
		/* Only a fragment that is neither the first nor the last: the
		 * extra copy then lands while the datagram is incomplete and
		 * never touches the TCP header or the datagram's end. */
		for (k = 1; k + 1 < n && pc[k].off < thl; k++)
			;
		if (k + 1 < n) {
			uint32_t o = pc[k].off, len = fo->overlap, at;

			if (len > pc[n - 1].off - o)
				len = pc[n - 1].off - o;
			/* after the last fragment it covers */
			for (at = k + 1; at < n && pc[at].off < o + len; at++)
				;
			memmove(&pc[at + 1], &pc[at], (n - at) * sizeof(*pc));
			pc[at].off = o;
			pc[at].len = len;
			pc[at].more = true;
			pc[at].alt = true;
			n++;
		}
	}
	if (fo->order == PCAPW_FRAG_REVERSE) {
		for (uint32_t i = 0; i < n / 2; i++) {
			struct pcapw_piece x = pc[i];

			pc[i] = pc[n - 1 - i];
			pc[n - 1 - i] = x;
		}
	} else if (fo->order == PCAPW_FRAG_SHUFFLE) {
		for (uint32_t i = n - 1; i > 0; i--) {
			uint32_t j = (uint32_t)pcapw_rng_below(&w->frag_rng, i + 1u);
			struct pcapw_piece x = pc[i];

			pc[i] = pc[j];
			pc[j] = x;
		}
	}
	return n;
}

/* A TCP packet that is tunnelled, fragmented, or both. */
static int write_wrapped(struct pcapw *w, const struct pcapw_tcp *t)
{
	const bool v4 = t->src->family == 4;
	const uint32_t ihl = v4 ? 20 : 40, thl = 20u + t->opts_len;
	uint32_t len = build_tcp_ip(t, w->pkt), total = len - ihl, n, id6;
	int rc = 0;

	if (!w->frag.size || !t->payload_len ||
	    total <= (w->frag.tiny ? 8u : w->frag.size))
		return emit_ip(w, t, w->pkt, len);
	n = frag_plan(w, total, thl);
	id6 = w->frag_id6++;
	for (uint32_t i = 0; i < n && !rc; i++) {
		const struct pcapw_piece *pc = &w->pieces[i];
		uint8_t *q = w->piece_pkt, *data;
		uint16_t ck;

		if (v4) {
			/* RFC 791 section 3.2: the same header, this piece's
			 * length, MF and offset in 8-byte units, DF cleared. */
			memcpy(q, w->pkt, 20);
			put_be16(q + 2, (uint16_t)(20 + pc->len));
			put_be16(q + 6, (uint16_t)((pc->more ? 0x2000u : 0u) | pc->off / 8u));
			put_be16(q + 10, 0);
			ck = (uint16_t)~csum_fold(csum_add(0, q, 20));
			if (t->csum & PCAPW_CSUM_BAD_IP)
				ck = ck ? 0 : 0x0101;
			memcpy(q + 10, &ck, 2);
			data = q + 20;
		} else {
			/* RFC 8200 section 4.5: the fixed header (no
			 * extension headers here) then the Fragment header. */
			memcpy(q, w->pkt, 40);
			put_be16(q + 4, (uint16_t)(8 + pc->len));
			q[6] = 44;
			q[40] = 6;
			q[41] = 0;
			put_be16(q + 42, (uint16_t)(pc->off | (pc->more ? 1u : 0u)));
			put_be32(q + 44, id6);
			data = q + 48;
		}
		memcpy(data, w->pkt + ihl + pc->off, pc->len);
		if (pc->alt)
			for (uint32_t k = 0; k < pc->len; k++)
				data[k] ^= 0x20;
		rc = emit_ip(w, t, q, (uint32_t)(data - q) + pc->len);
	}
	return rc;
}

int pcapw_endpoint_parse(const char *text, struct pcapw_endpoint *ep)
{
	char host[64];
	const char *port, *end;
	size_t hl;
	char *stop;
	unsigned long v;

	memset(ep, 0, sizeof(*ep));
	if (text[0] == '[') {
		end = strchr(text, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		hl = (size_t)(end - text - 1);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, hl);
		host[hl] = 0;
		port = end + 2;
		if (inet_pton(AF_INET6, host, ep->addr) != 1)
			return -EINVAL;
		ep->family = 6;
	} else {
		end = strrchr(text, ':');
		if (!end)
			return -EINVAL;
		hl = (size_t)(end - text);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, text, hl);
		host[hl] = 0;
		port = end + 1;
		if (inet_pton(AF_INET, host, ep->addr) != 1)
			return -EINVAL;
		ep->family = 4;
	}
	if (*port < '0' || *port > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(port, &stop, 10);
	if (errno || *stop || v > 65535)
		return -EINVAL;
	ep->port = (uint16_t)v;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Connections. */

void pcapw_conn_opts_default(struct pcapw_conn_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->isn[PCAPW_CLIENT] = 1000;
	o->isn[PCAPW_SERVER] = 5000;
	o->window[PCAPW_CLIENT] = 64240;
	o->window[PCAPW_SERVER] = 65160;
	o->mss = 1460;
	o->wscale = 7;
	o->emit = 3;
}

int pcapw_conn_init(struct pcapw_conn *c, struct pcapw *w,
		    const struct pcapw_endpoint *client,
		    const struct pcapw_endpoint *server,
		    const struct pcapw_conn_opts *o)
{
	memset(c, 0, sizeof(*c));
	if (client->family != server->family ||
	    (client->family != 4 && client->family != 6))
		return -EINVAL;
	c->w = w;
	c->ep[PCAPW_CLIENT] = *client;
	c->ep[PCAPW_SERVER] = *server;
	if (o)
		c->o = *o;
	else
		pcapw_conn_opts_default(&c->o);
	/* IP ids start somewhere different per side, as real stacks do. */
	c->ip_id[PCAPW_CLIENT] = (uint16_t)(c->o.isn[PCAPW_CLIENT] >> 7);
	c->ip_id[PCAPW_SERVER] = (uint16_t)(c->o.isn[PCAPW_SERVER] >> 7);
	return 0;
}

uint32_t pcapw_conn_seq(const struct pcapw_conn *c, enum pcapw_dir dir, uint64_t off)
{
	return c->o.isn[dir] + 1u + (uint32_t)off;
}

/* What dir acknowledges: all of the peer's data, and its FIN if sent. */
static uint32_t conn_ack(const struct pcapw_conn *c, enum pcapw_dir dir)
{
	enum pcapw_dir p = (enum pcapw_dir)!dir;
	return pcapw_conn_seq(c, p, c->off[p]) + (c->fin[p] ? 1u : 0u);
}

/* Timestamp option value (RFC 7323 section 5.4: a millisecond-ish clock,
 * with a per-host random base). */
static uint32_t conn_tsval(const struct pcapw_conn *c, enum pcapw_dir dir)
{
	return (uint32_t)(c->w->clock_us / 1000u) + c->o.isn[dir] * 7u;
}

/* Emit one segment with explicit sequence/ack. */
static int conn_emit(struct pcapw_conn *c, enum pcapw_dir dir, uint32_t seq,
		     uint32_t ack, uint8_t flags, const uint8_t *data, uint32_t len)
{
	uint8_t opts[40];
	uint8_t ol = 0;
	struct pcapw_tcp t;
	enum pcapw_dir p = (enum pcapw_dir)!dir;

	c->segments++;
	if (!(c->o.emit & (1u << dir))) {
		/* Not captured, but the sender's clock and IP ids still move
		 * so both halves of a split capture line up. */
		c->ip_id[dir]++;
		pcapw_clock_advance(c->w, c->w->step_us);
		return 0;
	}
	if (flags & PCAPW_SYN) {
		/* Linux's order: MSS, SACK-perm, TS, NOP, WS. */
		if (c->o.syn_options & PCAPW_SYN_MSS) {
			opts[ol++] = 2; opts[ol++] = 4;
			put_be16(opts + ol, c->o.mss);
			ol += 2;
		}
		if (c->o.syn_options & PCAPW_SYN_SACKOK) {
			if (!(c->o.syn_options & PCAPW_SYN_TS)) {
				opts[ol++] = 1; opts[ol++] = 1;
			}
			opts[ol++] = 4; opts[ol++] = 2;
		}
		if (c->o.syn_options & PCAPW_SYN_TS) {
			if (!(c->o.syn_options & PCAPW_SYN_SACKOK)) {
				opts[ol++] = 1; opts[ol++] = 1;
			}
			opts[ol++] = 8; opts[ol++] = 10;
			put_be32(opts + ol, conn_tsval(c, dir));
			put_be32(opts + ol + 4, (flags & PCAPW_ACK) ? conn_tsval(c, p) : 0);
			ol += 8;
		}
		if (c->o.syn_options & PCAPW_SYN_WSCALE) {
			opts[ol++] = 1;
			opts[ol++] = 3; opts[ol++] = 3;
			opts[ol++] = c->o.wscale;
		}
		while (ol & 3)
			opts[ol++] = 1;
	} else if (c->o.syn_options & PCAPW_SYN_TS) {
		opts[ol++] = 1; opts[ol++] = 1;
		opts[ol++] = 8; opts[ol++] = 10;
		put_be32(opts + ol, conn_tsval(c, dir));
		put_be32(opts + ol + 4, conn_tsval(c, p));
		ol += 8;
	}

	t.src = &c->ep[dir];
	t.dst = &c->ep[p];
	t.seq = seq;
	t.ack = (flags & PCAPW_ACK) ? ack : 0;
	t.flags = flags;
	t.window = c->o.window[dir];
	t.ip_id = c->ip_id[dir]++;
	t.ttl = 64;
	t.csum = c->o.csum;
	t.opts = opts;
	t.opts_len = ol;
	t.payload = data;
	t.payload_len = len;
	t.outgoing = dir == PCAPW_SERVER;      /* as if captured on the server */
	return pcapw_write_tcp(c->w, &t);
}

int pcapw_conn_syn(struct pcapw_conn *c, enum pcapw_dir dir)
{
	uint32_t isn = c->o.isn[dir];

	if (dir == PCAPW_CLIENT)
		return conn_emit(c, dir, isn, 0, PCAPW_SYN, NULL, 0);
	return conn_emit(c, dir, isn, c->o.isn[PCAPW_CLIENT] + 1u,
			 PCAPW_SYN | PCAPW_ACK, NULL, 0);
}

int pcapw_conn_handshake(struct pcapw_conn *c)
{
	int rc = pcapw_conn_syn(c, PCAPW_CLIENT);

	if (!rc)
		rc = pcapw_conn_syn(c, PCAPW_SERVER);
	if (!rc)
		rc = pcapw_conn_ack(c, PCAPW_CLIENT);
	return rc;
}

int pcapw_conn_segment(struct pcapw_conn *c, enum pcapw_dir dir, uint64_t off,
		       const uint8_t *data, uint32_t len, uint8_t flags)
{
	return conn_emit(c, dir, pcapw_conn_seq(c, dir, off), conn_ack(c, dir),
			 flags, data, len);
}

void pcapw_conn_advance(struct pcapw_conn *c, enum pcapw_dir dir, uint64_t n)
{
	c->off[dir] += n;
}

int pcapw_conn_send(struct pcapw_conn *c, enum pcapw_dir dir,
		    const uint8_t *data, size_t len,
		    const struct pcapw_send_opts *so)
{
	uint32_t segmax = so && so->seg_max ? so->seg_max : 1460;
	unsigned reorder = so && so->rng ? so->reorder_pct : 0;
	unsigned retrans = so && so->rng ? so->retransmit_pct : 0;
	unsigned lose = so && so->rng ? so->lose_pct : 0;
	uint64_t base = c->off[dir];
	size_t pos = 0;
	int rc = 0;

	if (segmax > PCAPW_MAX_PAYLOAD)
		segmax = PCAPW_MAX_PAYLOAD;
	while (pos < len && !rc) {
		uint32_t n1 = (uint32_t)(len - pos < segmax ? len - pos : segmax);
		size_t next = pos + n1;
		uint8_t f1 = PCAPW_ACK | (next == len ? PCAPW_PSH : 0);

		if (next < len && reorder && pcapw_rng_pct(so->rng, reorder)) {
			/* Segment k+1 overtakes segment k. */
			uint32_t n2 = (uint32_t)(len - next < segmax ? len - next : segmax);
			uint8_t f2 = PCAPW_ACK | (next + n2 == len ? PCAPW_PSH : 0);

			rc = pcapw_conn_segment(c, dir, base + next, data + next, n2, f2);
			if (!rc && retrans && pcapw_rng_pct(so->rng, retrans))
				rc = pcapw_conn_segment(c, dir, base + next, data + next, n2, f2);
			if (!rc)
				rc = pcapw_conn_segment(c, dir, base + pos, data + pos, n1, f1);
			if (!rc && retrans && pcapw_rng_pct(so->rng, retrans))
				rc = pcapw_conn_segment(c, dir, base + pos, data + pos, n1, f1);
			pos = next + n2;
			continue;
		}
		/* A segment the capture missed: a gap for the sensor (the
		 * write's last segment always comes, so the peer's view of
		 * the conversation goes on). */
		if (next < len && lose && pcapw_rng_pct(so->rng, lose)) {
			c->segments++;
			pos = next;
			continue;
		}
		rc = pcapw_conn_segment(c, dir, base + pos, data + pos, n1, f1);
		if (!rc && retrans && pcapw_rng_pct(so->rng, retrans))
			rc = pcapw_conn_segment(c, dir, base + pos, data + pos, n1, f1);
		pos = next;
	}
	c->off[dir] = base + len;
	return rc;
}

/* dir's next sequence as a stream offset: a sent FIN takes one number. */
static uint64_t conn_nxt(const struct pcapw_conn *c, enum pcapw_dir dir)
{
	return c->off[dir] + (c->fin[dir] ? 1u : 0u);
}

int pcapw_conn_ack(struct pcapw_conn *c, enum pcapw_dir dir)
{
	return pcapw_conn_segment(c, dir, conn_nxt(c, dir), NULL, 0, PCAPW_ACK);
}

int pcapw_conn_fin(struct pcapw_conn *c, enum pcapw_dir dir)
{
	int rc = pcapw_conn_segment(c, dir, conn_nxt(c, dir), NULL, 0,
				    PCAPW_FIN | PCAPW_ACK);
	c->fin[dir] = true;
	return rc;
}

int pcapw_conn_rst(struct pcapw_conn *c, enum pcapw_dir dir)
{
	return pcapw_conn_segment(c, dir, conn_nxt(c, dir), NULL, 0,
				  PCAPW_RST | PCAPW_ACK);
}

int pcapw_conn_close(struct pcapw_conn *c, enum pcapw_dir first)
{
	enum pcapw_dir second = (enum pcapw_dir)!first;
	int rc = pcapw_conn_fin(c, first);

	if (!rc)
		rc = pcapw_conn_fin(c, second);
	if (!rc)
		rc = pcapw_conn_ack(c, first);
	return rc;
}
