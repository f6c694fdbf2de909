/*
 * decode — see decode.h.
 *
 * One pass over the frame, outermost header first. Each layer is handed the
 * pointer to its first byte and `avail`, the number of captured bytes from
 * there on; it checks its fixed part against `avail` before reading it and
 * hands the next layer a smaller `avail`. Once the IP header has been
 * checked, the IP length (not the capture length) bounds everything above
 * it, so Ethernet padding is never taken for payload.
 *
 * Outcomes are chosen so a counter means one thing:
 *   TRUNCATED  the capture ended before what the headers promise (snaplen);
 *   INVALID    the headers contradict themselves or an RFC "MUST";
 *   NOT_IP / NOT_TCP / UNSUPPORTED  valid traffic we do not look at.
 * Inside an IP payload every length has already been checked against the
 * capture, so a header there that runs past its enclosing length is
 * INVALID (a lying length field), never TRUNCATED (struct dctx.inner).
 *
 * Tunnels recurse: an outer IP payload or an inner Ethernet frame is
 * decoded by the same functions as the outermost one. The recursion is
 * bounded because every step inward goes through tunnel_enter(), which
 * refuses the (DECODE_MAX_TUNNELS + 1)th encapsulation; the loops inside a
 * layer (VLAN tags, MPLS labels, IPv6 extension headers) have caps too.
 *
 * Invariants: no read beyond frame[caplen - 1]; `out` is written only on
 * the way to DECODE_OK or DECODE_FRAGMENT (its other contents are
 * unspecified otherwise) apart from the VLAN and tunnel fields, which are
 * reset first; every call bumps st->pkts, st->bytes and exactly one
 * st->result[].
 */
#include "decode.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* EtherTypes (IEEE 802 numbers), also GRE's and Geneve's protocol types. */
#define ETH_IPV4        0x0800u
#define ETH_IPV6        0x86ddu
#define ETH_VLAN        0x8100u   /* 802.1Q C-tag */
#define ETH_QINQ        0x88a8u   /* 802.1ad S-tag */
#define ETH_QINQ_OLD    0x9100u   /* pre-standard QinQ */
#define ETH_MPLS_UC     0x8847u
#define ETH_MPLS_MC     0x8848u
#define ETH_PPPOE_SESS  0x8864u
#define ETH_TEB         0x6558u   /* transparent Ethernet bridging */
#define ETH_ERSPAN_2    0x88beu   /* ERSPAN type I and II */
#define ETH_ERSPAN_3    0x22ebu   /* ERSPAN type III */
#define ETH_MIN_TYPE    0x0600u   /* below: an 802.3 length, LLC follows */

/* More tags than this is not a network, it is an attack on the decoder. */
#define DECODE_MAX_VLAN_TAGS 8

/* MPLS label stack entries walked before giving up: real stacks have a
 * handful (transport, service, entropy label pair). */
#define DECODE_MAX_MPLS_LABELS 16

/* IPv6 extension headers walked before giving up (RFC 8200 section 4.1
 * lists at most 8 kinds, each normally present once). */
#define DECODE_MAX_IPV6_EXT 8

#define IPPROTO_IPIP_   4
#define IPPROTO_TCP_    6
#define IPPROTO_UDP_    17
#define IPPROTO_IPV6_   41
#define IPPROTO_GRE_    47
#define IP6_HOPOPTS     0
#define IP6_ROUTING     43
#define IP6_FRAGMENT    44
#define IP6_AH          51
#define IP6_NONE        59
#define IP6_DSTOPTS     60

#define UDP_PORT_VXLAN  4789u     /* RFC 7348 section 5 */
#define UDP_PORT_GENEVE 6081u     /* RFC 8926 section 3.3 */

/* Where the decoding of one frame stands. */
struct dctx {
	const struct decode_opts *opts;
	struct decoded_pkt *out;
	struct decode_stats *st;
	bool inner;                 /* inside an IP payload: see the top */
	uint32_t cut;               /* IP bytes the snap length cut off */
};

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * Internet checksum (RFC 1071). Summing native-order 32-bit words into a
 * 64-bit accumulator and folding at the end gives the same 16-bit result
 * in either byte order (RFC 1071 section 2(B)), so no per-word swapping.
 * Every call but the last must pass an even length.
 */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, uint32_t len)
{
	uint32_t w;
	uint16_t h;

	while (len >= 4) {
		memcpy(&w, p, 4);
		sum += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		sum += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint8_t last[2] = { p[0], 0 };

		memcpy(&h, last, 2);
		sum += h;
	}
	return sum;
}

static bool csum_ok(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return sum == 0xffffu;
}

static void addr_from_v4(struct mt_addr *a, const uint8_t *v4)
{
	memset(a->b, 0, 10);
	a->b[10] = 0xff;
	a->b[11] = 0xff;
	memcpy(a->b + 12, v4, 4);
}

/* TCP options (RFC 9293 section 3.2; MSS RFC 6691, window scale and
 * timestamps RFC 7323, SACK-permitted RFC 2018). A malformed option list
 * ends parsing the way Linux does (tcp_parse_options): what was parsed so
 * far stands and the segment is still processed. */
static void tcp_options(const uint8_t *o, uint32_t len, struct decoded_pkt *out)
{
	uint32_t i = 0;

	while (i < len) {
		uint8_t kind = o[i], olen;

		if (kind == 0)          /* end of option list */
			return;
		if (kind == 1) {        /* no-operation */
			i++;
			continue;
		}
		if (len - i < 2)
			return;
		olen = o[i + 1];
		if (olen < 2 || olen > len - i)
			return;
		switch (kind) {
		case 2:
			if (olen == 4)
				out->mss = rd16(o + i + 2);
			break;
		case 3:
			/* RFC 7323 section 2.3: a shift above 14 is used as 14. */
			if (olen == 3)
				out->wscale = o[i + 2] > 14 ? 14 : o[i + 2];
			break;
		case 4:
			if (olen == 2)
				out->sack_permitted = true;
			break;
		case 8:
			if (olen == 10) {
				out->has_timestamp = true;
				out->ts_val = rd32(o + i + 2);
				out->ts_ecr = rd32(o + i + 6);
			}
			break;
		default:
			break;
		}
		i += olen;
	}
}

/* A header needs more bytes than there are. */
static enum decode_result short_of(const struct dctx *c)
{
	return c->inner ? DECODE_INVALID : DECODE_TRUNCATED;
}

/* Step into one more encapsulation of `kind`: false when that would pass
 * DECODE_MAX_TUNNELS (the caller returns DECODE_UNSUPPORTED). */
static bool tunnel_enter(struct dctx *c, enum decode_tunnel kind)
{
	struct decoded_pkt *o = c->out;

	if (o->tunnel_depth >= DECODE_MAX_TUNNELS) {
		c->st->tunnel_too_deep++;
		return false;
	}
	if (o->tunnel_depth++ == 0)
		o->tunnel_outer = (uint8_t)kind;
	o->tunnels |= (uint8_t)(1u << kind);
	c->st->tunnel[kind]++;
	return true;
}

/* Mutual recursion through tunnels. */
static enum decode_result decode_ipv4(struct dctx *c, const uint8_t *ip, uint32_t avail);
static enum decode_result decode_ipv6(struct dctx *c, const uint8_t *ip, uint32_t avail);
static enum decode_result decode_ethertype(struct dctx *c, const uint8_t *p, uint32_t avail,
					   uint16_t etype);
static enum decode_result decode_mpls(struct dctx *c, const uint8_t *p, uint32_t avail);

/*
 * TCP header at t, `len` bytes of TCP segment as the IP layer says (all of
 * them captured: the IP layer checked that). `sum` is the pseudo-header
 * checksum so far, used only when validating.
 */
static enum decode_result decode_tcp(struct dctx *c, const uint8_t *t, uint32_t len,
				     uint64_t sum)
{
	struct decoded_pkt *out = c->out;
	uint32_t doff;

	/* The IP length ends the packet inside the TCP header: the headers
	 * disagree, it is not a short capture — unless the capture cut it
	 * (then the header is what is missing: truncated). */
	if (len < 20)
		return c->cut ? DECODE_TRUNCATED : DECODE_INVALID;
	doff = (uint32_t)(t[12] >> 4) * 4;
	if (doff < 20)
		return DECODE_INVALID;
	if (doff > len)
		return c->cut ? DECODE_TRUNCATED : DECODE_INVALID;
	/* A cut packet's checksum cannot be checked: it is taken as is. */
	if (c->opts && c->opts->validate_checksums && !c->cut &&
	    !csum_ok(csum_add(sum, t, len)))
		return DECODE_BAD_CHECKSUM;

	out->sport = rd16(t);
	out->dport = rd16(t + 2);
	out->seq = rd32(t + 4);
	out->ack = rd32(t + 8);
	out->tcp_flags = t[13];
	out->window = rd16(t + 14);
	out->mss = 0;
	out->wscale = 0xff;
	out->sack_permitted = false;
	out->has_timestamp = false;
	out->ts_val = 0;
	out->ts_ecr = 0;
	if (doff > 20)
		tcp_options(t + 20, doff - 20, out);
	out->urg_ptr = rd16(t + 18);
	out->payload = t + doff;
	out->payload_len = len - doff;
	out->wire_payload_len = out->payload_len + c->cut;
	if (c->cut) {
		c->st->snapped++;
		c->st->snapped_bytes += c->cut;
	}
	c->st->tcp++;
	return DECODE_OK;
}

/* An IP packet whose version we only know from its first nibble. */
static enum decode_result decode_ip_any(struct dctx *c, const uint8_t *ip, uint32_t avail)
{
	if (avail < 1)
		return short_of(c);
	switch (ip[0] >> 4) {
	case 4:
		return decode_ipv4(c, ip, avail);
	case 6:
		return decode_ipv6(c, ip, avail);
	default:
		return DECODE_INVALID;
	}
}

/* An Ethernet frame carried inside a tunnel (no FCS: RFC 7348 section 5,
 * RFC 1701 TEB, ERSPAN all strip it). */
static enum decode_result decode_eth(struct dctx *c, const uint8_t *p, uint32_t avail)
{
	if (avail < 14)
		return short_of(c);
	return decode_ethertype(c, p + 14, avail - 14, rd16(p + 12));
}

/*
 * VXLAN (RFC 7348 section 5): flags(8) reserved(24) VNI(24) reserved(8),
 * then an Ethernet frame. The I flag MUST be set for a valid VNI; the
 * reserved bits are ignored on receipt, as the RFC says.
 */
static enum decode_result decode_vxlan(struct dctx *c, const uint8_t *p, uint32_t len)
{
	if (len < 8)
		return DECODE_INVALID;
	if (!(p[0] & 0x08))
		return DECODE_INVALID;
	if (!tunnel_enter(c, DECODE_TUNNEL_VXLAN))
		return DECODE_UNSUPPORTED;
	return decode_eth(c, p + 8, len - 8);
}

/*
 * Geneve (RFC 8926 section 3.4): Ver(2) OptLen(6, 4-byte words) O C
 * Rsvd(6) ProtocolType(16) VNI(24) Rsvd(8), options, then the payload of
 * that protocol type. An unknown version MUST be dropped; a control (O)
 * packet's payload is not forwarded to any host, so it is not ours.
 */
static enum decode_result decode_geneve(struct dctx *c, const uint8_t *p, uint32_t len)
{
	uint32_t hlen;
	uint16_t ptype;

	if (len < 8)
		return DECODE_INVALID;
	if (p[0] >> 6 != 0)
		return DECODE_UNSUPPORTED;
	hlen = 8 + (uint32_t)(p[0] & 0x3f) * 4;
	if (hlen > len)
		return DECODE_INVALID;
	if (p[1] & 0x80)
		return DECODE_NOT_IP;
	ptype = rd16(p + 2);
	if (ptype != ETH_TEB && ptype != ETH_IPV4 && ptype != ETH_IPV6)
		return DECODE_UNSUPPORTED;
	if (!tunnel_enter(c, DECODE_TUNNEL_GENEVE))
		return DECODE_UNSUPPORTED;
	p += hlen;
	len -= hlen;
	if (ptype == ETH_TEB)
		return decode_eth(c, p, len);
	return ptype == ETH_IPV4 ? decode_ipv4(c, p, len) : decode_ipv6(c, p, len);
}

/*
 * UDP: only the tunnel ports are looked at, by destination port (the
 * source port is the sender's flow-entropy hash, RFC 7348 section 5). Other
 * UDP is NOT_TCP without judging its length field (only an IP payload too
 * short for the 8-byte header is INVALID). The checksum is not checked:
 * VXLAN and Geneve senders commonly send zero over IPv4, and IPv6
 * zero-checksum tunnels are allowed by RFC 6935.
 */
static enum decode_result decode_udp(struct dctx *c, const uint8_t *u, uint32_t len)
{
	uint32_t ulen;
	uint16_t dport;

	if (len < 8)
		return DECODE_INVALID;
	dport = rd16(u + 2);
	if (dport != UDP_PORT_VXLAN && dport != UDP_PORT_GENEVE)
		return DECODE_NOT_TCP;
	ulen = rd16(u + 4);
	if (ulen < 8 || ulen > len)
		return DECODE_INVALID;
	if (dport == UDP_PORT_VXLAN)
		return decode_vxlan(c, u + 8, ulen - 8);
	return decode_geneve(c, u + 8, ulen - 8);
}

/*
 * ERSPAN inside GRE (draft-foschiano-erspan-03; header layouts as in
 * Linux's include/net/erspan.h). `seq` says whether the GRE header had a
 * sequence number: type I (GRE 0x88BE without one) has no ERSPAN header at
 * all; type II has 8 bytes, version 1; type III (0x22EB) has 12, version
 * 2, plus an 8-byte platform-specific subheader when its O bit (the last
 * bit of the third word) is set, and its FT field says whether an Ethernet
 * frame (0) or an IP packet (2) follows. An unknown version or frame type
 * is UNSUPPORTED. The session's VLAN field is metadata about the mirrored
 * port and is not recorded.
 */
static enum decode_result decode_erspan(struct dctx *c, uint16_t ptype, bool seq,
					const uint8_t *p, uint32_t len)
{
	uint32_t hlen;
	unsigned ft = 0;

	if (ptype == ETH_ERSPAN_2 && !seq) {
		hlen = 0;
	} else if (ptype == ETH_ERSPAN_2) {
		if (len < 8)
			return DECODE_INVALID;
		if (p[0] >> 4 != 1)
			return DECODE_UNSUPPORTED;
		hlen = 8;
	} else {
		if (len < 12)
			return DECODE_INVALID;
		if (p[0] >> 4 != 2)
			return DECODE_UNSUPPORTED;
		hlen = 12 + ((p[11] & 0x01) ? 8u : 0u);
		ft = (p[10] >> 2) & 0x1fu;
		if (hlen > len)
			return DECODE_INVALID;
		if (ft != 0 && ft != 2)
			return DECODE_UNSUPPORTED;
	}
	if (!tunnel_enter(c, DECODE_TUNNEL_ERSPAN))
		return DECODE_UNSUPPORTED;
	if (ft == 2)
		return decode_ip_any(c, p + hlen, len - hlen);
	return decode_eth(c, p + hlen, len - hlen);
}

/*
 * GRE (RFC 2784, key and sequence number RFC 2890): C R K S s Recur(3)
 * Flags(5) Ver(3), Protocol Type; then checksum+reserved if C, key if K,
 * sequence number if S. Version 1 is PPTP's enhanced GRE carrying PPP
 * (RFC 2637): not decoded. A routing-present header (R, RFC 1701's source
 * routes) is dropped by Linux and deprecated by RFC 2784: not decoded.
 * The strict-route and recursion bits are ignored, as Linux ignores them.
 * The optional checksum is not verified (senders rarely set it; a bad one
 * would only hide traffic the receiver may still accept).
 */
static enum decode_result decode_gre(struct dctx *c, const uint8_t *p, uint32_t len)
{
	uint32_t hlen = 4;
	uint16_t flags, ptype;

	if (len < 4)
		return DECODE_INVALID;
	flags = rd16(p);
	ptype = rd16(p + 2);
	switch (flags & 7u) {
	case 0:
		break;
	case 1:
		return DECODE_UNSUPPORTED;
	default:
		return DECODE_INVALID;      /* RFC 2784 section 2.3.1 */
	}
	if (flags & 0x4000u)
		return DECODE_UNSUPPORTED;
	if (flags & 0x8000u)
		hlen += 4;
	if (flags & 0x2000u)
		hlen += 4;
	if (flags & 0x1000u)
		hlen += 4;
	if (hlen > len)
		return DECODE_INVALID;
	p += hlen;
	len -= hlen;
	switch (ptype) {
	case ETH_ERSPAN_2:
	case ETH_ERSPAN_3:
		return decode_erspan(c, ptype, (flags & 0x1000u) != 0, p, len);
	case ETH_IPV4:
	case ETH_IPV6:
	case ETH_TEB:
	case ETH_MPLS_UC:
	case ETH_MPLS_MC:
		break;
	default:
		return DECODE_UNSUPPORTED;  /* WCCP, keepalives, NSH, ... */
	}
	if (!tunnel_enter(c, DECODE_TUNNEL_GRE))
		return DECODE_UNSUPPORTED;
	switch (ptype) {
	case ETH_IPV4:
		return decode_ipv4(c, p, len);
	case ETH_IPV6:
		return decode_ipv6(c, p, len);
	case ETH_TEB:
		return decode_eth(c, p, len);
	default:
		return decode_mpls(c, p, len);
	}
}

/*
 * The payload of an IP packet whose protocol is not TCP: a tunnel, or not
 * ours. `len` is the payload length the IP header gives (all captured).
 */
static enum decode_result decode_ip_payload(struct dctx *c, uint8_t proto, const uint8_t *p,
					    uint32_t len)
{
	c->inner = true;
	switch (proto) {
	case IPPROTO_UDP_:
		return decode_udp(c, p, len);
	case IPPROTO_GRE_:
		return decode_gre(c, p, len);
	case IPPROTO_IPIP_:
	case IPPROTO_IPV6_:
		/* RFC 2003 / RFC 4213 / RFC 2473: the inner header follows
		 * at once, and its version must be the one announced. */
		if (len < 1)
			return DECODE_INVALID;
		if (p[0] >> 4 != (proto == IPPROTO_IPIP_ ? 4 : 6))
			return DECODE_INVALID;
		if (!tunnel_enter(c, DECODE_TUNNEL_IPIP))
			return DECODE_UNSUPPORTED;
		c->st->ipip[(c->out->ip_version == 6) * 2 + (proto == IPPROTO_IPV6_)]++;
		return proto == IPPROTO_IPIP_ ? decode_ipv4(c, p, len) : decode_ipv6(c, p, len);
	default:
		return DECODE_NOT_TCP;
	}
}

/* Fragments worth reassembling: those whose datagram may hold TCP, either
 * directly or through a tunnel (a non-first UDP fragment does not say its
 * port, so every UDP datagram qualifies). */
static bool frag_wanted(uint8_t proto)
{
	return proto == IPPROTO_TCP_ || proto == IPPROTO_UDP_ || proto == IPPROTO_GRE_ ||
	       proto == IPPROTO_IPIP_ || proto == IPPROTO_IPV6_;
}

/* Common checks of a fragment's extent (see struct decoded_frag). `unfrag`
 * is what the reassembled length adds to offset + data: the IPv4 header,
 * or the IPv6 extension headers before the Fragment header. */
static enum decode_result frag_fill(struct dctx *c, uint32_t unfrag, uint32_t off,
				    uint32_t len, bool more, bool trim)
{
	struct decoded_frag *fr = &c->out->frag;

	/* A fragment the snap length cut cannot be put back together. */
	if (c->cut)
		return DECODE_TRUNCATED;
	if (len == 0 || unfrag + off + len > 0xffffu) {
		c->st->frag_invalid++;
		return DECODE_INVALID;
	}
	if (more && (len & 7u)) {
		if (!trim || len < 8) {
			c->st->frag_invalid++;
			return DECODE_INVALID;
		}
		len &= ~7u;
		c->st->frag_trimmed++;
	}
	fr->offset = off;
	fr->data_len = len;
	fr->more = more;
	return DECODE_FRAGMENT;
}

/* An IPv4 fragment (MF set or a nonzero offset, RFC 791 section 3.2):
 * header checked, `tot` bytes of it captured. */
static enum decode_result ipv4_fragment(struct dctx *c, const uint8_t *ip, uint32_t ihl,
					uint32_t tot)
{
	struct decoded_frag *fr = &c->out->frag;
	uint16_t fo = rd16(ip + 6);
	enum decode_result r;

	if (!frag_wanted(ip[9]))
		return DECODE_NOT_TCP;
	r = frag_fill(c, ihl, (uint32_t)(fo & 0x1fffu) * 8, tot - ihl, (fo & 0x2000u) != 0, true);
	if (r != DECODE_FRAGMENT)
		return r;
	addr_from_v4(&fr->src, ip + 12);
	addr_from_v4(&fr->dst, ip + 16);
	fr->ip_version = 4;
	fr->proto = ip[9];
	fr->id = rd16(ip + 4);
	fr->l3 = ip;
	fr->l3_len = ihl;
	fr->l3_nh_off = 9;
	fr->data = ip + ihl;
	fr->ttl = ip[8];
	return DECODE_FRAGMENT;
}

static enum decode_result decode_ipv4(struct dctx *c, const uint8_t *ip, uint32_t avail)
{
	struct decoded_pkt *out = c->out;
	struct decode_stats *st = c->st;
	uint32_t ihl, tot;
	uint64_t sum = 0;

	if (avail < 20)
		return short_of(c);
	if (ip[0] >> 4 != 4)
		return DECODE_INVALID;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20)                   /* RFC 791: IHL minimum is 5 */
		return DECODE_INVALID;
	if (ihl > avail)
		return short_of(c);
	tot = rd16(ip + 2);
	/* A sending host's capture of a GSO super-packet above 64 KiB (Linux
	 * "BIG TCP") carries total length 0; the captured length is then the
	 * only length there is. */
	if (tot == 0 && avail > 0xffffu)
		tot = avail;
	if (tot < ihl)
		return DECODE_INVALID;
	if (tot > avail) {
		/* The capture's snap length cut the packet (never inside a
		 * tunnel: an inner packet longer than its carrier lies; and
		 * only for TCP — a cut tunnel or fragment is truncated). A
		 * whole TCP header can still be read; the bytes after the cut
		 * become a gap (snapped_cut). Fragments must be whole. */
		if (c->inner || ip[9] != IPPROTO_TCP_ || (rd16(ip + 6) & 0x3fffu))
			return short_of(c);
		c->cut = tot - avail;
		tot = avail;
	}
	if (avail > tot)
		st->trailer_bytes += avail - tot;
	st->ipv4++;
	if (ihl > 20)
		st->ip_options++;
	if (c->opts && c->opts->validate_checksums && !csum_ok(csum_add(0, ip, ihl)))
		return DECODE_BAD_CHECKSUM;
	/* MF set or a nonzero offset: a piece of a larger datagram. */
	if (rd16(ip + 6) & 0x3fffu)
		return ipv4_fragment(c, ip, ihl, tot);

	addr_from_v4(&out->src, ip + 12);
	addr_from_v4(&out->dst, ip + 16);
	out->ip_version = 4;
	out->ttl = ip[8];
	out->ip_len = tot;
	if (ip[9] != IPPROTO_TCP_)
		return decode_ip_payload(c, ip[9], ip + ihl, tot - ihl);
	if (c->opts && c->opts->validate_checksums) {
		/* Pseudo-header: RFC 9293 section 3.1. */
		uint8_t ph[4] = { 0, IPPROTO_TCP_, (uint8_t)((tot - ihl) >> 8),
				  (uint8_t)(tot - ihl) };

		sum = csum_add(0, ip + 12, 8);
		sum = csum_add(sum, ph, 4);
	}
	return decode_tcp(c, ip + ihl, tot - ihl, sum);
}

/*
 * The destination the sender addressed in the end: with a Routing header
 * that still has segments left, the TCP pseudo-header uses the final
 * destination, not the current one (RFC 8200 section 8.1). `rh` has `hlen`
 * bytes inside the packet. Types 0 (RFC 2460, deprecated but still seen)
 * and 2 (RFC 6275) list it last; SRH (type 4, RFC 8754) stores segments in
 * reverse, so the final one is Segment List[0]. Others (RPL's compressed
 * type 3) keep the header's address.
 */
static const uint8_t *ipv6_final_dst(const uint8_t *rh, uint32_t hlen, const uint8_t *cur)
{
	uint32_t n = (hlen - 8) / 16;

	if (rh[3] == 0 || n == 0)       /* segments left 0: dst is final */
		return cur;
	switch (rh[2]) {
	case 0:
		return rh + 8 + (n - 1) * 16;
	case 2:
	case 4:
		return rh + 8;
	default:
		return cur;
	}
}

static bool ipv6_is_ext(uint8_t nh)
{
	return nh == IP6_HOPOPTS || nh == IP6_ROUTING || nh == IP6_FRAGMENT ||
	       nh == IP6_AH || nh == IP6_DSTOPTS;
}

/*
 * An IPv6 fragment: the Fragment header at ip + off, its data up to `end`,
 * the Next Header byte naming it at ip[nh_at] (RFC 8200 section 4.5).
 * The fragmentable part may start with more extension headers, so a
 * Next Header that is one is worth reassembling too.
 */
static enum decode_result ipv6_fragment(struct dctx *c, const uint8_t *ip, uint32_t off,
					uint32_t end, uint32_t nh_at)
{
	struct decoded_frag *fr = &c->out->frag;
	uint16_t fo = rd16(ip + off + 2);
	uint8_t inner = ip[off];
	enum decode_result r;

	if (!frag_wanted(inner) && !ipv6_is_ext(inner))
		return DECODE_NOT_TCP;
	r = frag_fill(c, off - 40, fo & 0xfff8u, end - off - 8, (fo & 1u) != 0, false);
	if (r != DECODE_FRAGMENT)
		return r;
	memcpy(fr->src.b, ip + 8, 16);
	memcpy(fr->dst.b, ip + 24, 16);
	fr->ip_version = 6;
	fr->proto = inner;
	fr->id = rd32(ip + off + 4);
	fr->l3 = ip;
	fr->l3_len = off;
	fr->l3_nh_off = (uint16_t)nh_at;
	fr->data = ip + off + 8;
	fr->ttl = ip[7];
	return DECODE_FRAGMENT;
}

static enum decode_result decode_ipv6(struct dctx *c, const uint8_t *ip, uint32_t avail)
{
	struct decoded_pkt *out = c->out;
	struct decode_stats *st = c->st;
	uint32_t plen, end, off = 40, n_ext = 0, nh_at = 6;
	const uint8_t *final_dst = ip + 24;
	uint64_t sum = 0;
	uint8_t nh;

	if (avail < 40)
		return short_of(c);
	if (ip[0] >> 4 != 6)
		return DECODE_INVALID;
	plen = rd16(ip + 4);
	/* Payload length 0 is a jumbogram (RFC 2675) or a sender-side GSO
	 * capture above 64 KiB; trust the capture then, as for IPv4. */
	if (plen == 0 && avail - 40 > 0xffffu)
		plen = avail - 40;
	if (plen > avail - 40) {
		/* Snapped (see decode_ipv4); a cut fragment is refused where
		 * its header is read (frag_fill). */
		if (c->inner)
			return short_of(c);
		c->cut = plen - (avail - 40);
		plen = avail - 40;
	}
	end = 40 + plen;
	if (avail > end)
		st->trailer_bytes += avail - end;
	st->ipv6++;

	nh = ip[6];
	while (ipv6_is_ext(nh)) {
		uint32_t hlen;

		if (++n_ext > DECODE_MAX_IPV6_EXT)
			return DECODE_INVALID;
		st->ipv6_ext_headers++;
		/* Every extension header is at least 8 bytes; all of it must
		 * lie inside the IPv6 payload length. */
		if (end - off < 8)
			return c->cut ? DECODE_TRUNCATED : DECODE_INVALID;
		switch (nh) {
		case IP6_HOPOPTS:
			/* RFC 8200 section 4.1: only right after the IPv6 header.
			 * Hosts drop it elsewhere, so must we (evasion). */
			if (n_ext != 1)
				return DECODE_INVALID;
			hlen = ((uint32_t)ip[off + 1] + 1) * 8;
			break;
		case IP6_FRAGMENT:
			/* An atomic fragment (offset 0, M clear) is a whole
			 * packet (RFC 6946 section 4); anything else waits
			 * for defragmentation. */
			if (rd16(ip + off + 2) & 0xfff9u)
				return ipv6_fragment(c, ip, off, end, nh_at);
			st->frag_atomic++;
			hlen = 8;
			break;
		case IP6_AH:
			/* RFC 4302 section 2.2: length in 4-octet units minus 2. */
			hlen = ((uint32_t)ip[off + 1] + 2) * 4;
			break;
		default:                /* routing, destination options */
			hlen = ((uint32_t)ip[off + 1] + 1) * 8;
			break;
		}
		if (hlen > end - off)
			return c->cut ? DECODE_TRUNCATED : DECODE_INVALID;
		if (nh == IP6_ROUTING)
			final_dst = ipv6_final_dst(ip + off, hlen, final_dst);
		nh = ip[off];
		nh_at = off;
		off += hlen;
	}

	memcpy(out->src.b, ip + 8, 16);
	memcpy(out->dst.b, ip + 24, 16);
	out->ip_version = 6;
	out->ttl = ip[7];
	out->ip_len = end;
	if (nh != IPPROTO_TCP_ && c->cut)
		return DECODE_TRUNCATED;        /* only TCP is decoded snapped */
	if (nh != IPPROTO_TCP_)         /* UDP, ICMPv6, ESP, none, a tunnel... */
		return decode_ip_payload(c, nh, ip + off, end - off);
	if (c->opts && c->opts->validate_checksums) {
		/* Pseudo-header: RFC 8200 section 8.1. */
		uint32_t ulen = end - off;
		uint8_t ph[8] = { (uint8_t)(ulen >> 24), (uint8_t)(ulen >> 16),
				  (uint8_t)(ulen >> 8), (uint8_t)ulen, 0, 0, 0,
				  IPPROTO_TCP_ };

		sum = csum_add(0, ip + 8, 16);
		sum = csum_add(sum, final_dst, 16);
		sum = csum_add(sum, ph, 8);
	}
	return decode_tcp(c, ip + off, end - off, sum);
}

/*
 * MPLS (RFC 3032 section 2.1): 4-byte entries Label(20) TC(3) S(1) TTL(8)
 * up to the one with S (bottom of stack) set. MPLS does not say what it
 * carries, so:
 *   - a bottom label 0 / 2 (IPv4 / IPv6 explicit null) says it;
 *   - a bottom label 1 (router alert) or 3 (implicit null) is invalid
 *     there (RFC 3032 section 2.1: never at the bottom / never sent), and
 *     4-15 (GAL, OAM, entropy indicator...) carry no user traffic;
 *   - otherwise the first nibble decides: 4 or 6 is IP (what every LSR's
 *     ECMP hashing also assumes, RFC 4928); 0 is the pseudowire control
 *     word (RFC 4385 section 3: its first nibble is 0 precisely so it is
 *     not taken for IP), followed here by an Ethernet frame (RFC 4448,
 *     the pseudowire type seen on SPANs); 1 is a PW associated channel
 *     (RFC 4385, OAM, not ours). An Ethernet pseudowire without control
 *     word cannot be told from IP safely and is not decoded: its first
 *     nibble is the destination MAC's, so it comes out UNSUPPORTED, as
 *     INVALID if the MAC starts with 4 or 6, or, if the MAC starts with 0,
 *     as a misparse that the inner Ethernet/IP checks reject almost always.
 */
static enum decode_result decode_mpls(struct dctx *c, const uint8_t *p, uint32_t avail)
{
	uint32_t e, label, n = 0;
	unsigned want = 0;

	do {
		if (avail < 4)
			return short_of(c);
		if (n++ == DECODE_MAX_MPLS_LABELS) {
			c->st->tunnel_too_deep++;
			return DECODE_UNSUPPORTED;
		}
		e = rd32(p);
		p += 4;
		avail -= 4;
	} while (!(e & 0x100u));
	label = e >> 12;
	switch (label) {
	case 0:
		want = 4;
		break;
	case 2:
		want = 6;
		break;
	case 1:
	case 3:
		return DECODE_INVALID;
	default:
		if (label < 16)
			return DECODE_NOT_IP;
		break;
	}
	if (avail < 1)
		return short_of(c);
	if (want && p[0] >> 4 != want)
		return DECODE_INVALID;
	switch (p[0] >> 4) {
	case 4:
	case 6:
		if (!tunnel_enter(c, DECODE_TUNNEL_MPLS))
			return DECODE_UNSUPPORTED;
		return decode_ip_any(c, p, avail);
	case 0:
		if (avail < 4)
			return short_of(c);
		if (!tunnel_enter(c, DECODE_TUNNEL_MPLS))
			return DECODE_UNSUPPORTED;
		c->st->mpls_pw++;
		return decode_eth(c, p + 4, avail - 4);
	case 1:
		return DECODE_NOT_IP;
	default:
		return DECODE_UNSUPPORTED;
	}
}

/*
 * From an EtherType on (`p` just after it): walk VLAN tags, then dispatch.
 * Used by Ethernet, both cooked-capture headers (libpcap re-inserts the tag
 * after an SLL header when the kernel stripped it) and inner Ethernet
 * frames, whose tags are recorded after the outer ones.
 */
static enum decode_result decode_ethertype(struct dctx *c, const uint8_t *p, uint32_t avail,
					   uint16_t etype)
{
	struct decoded_pkt *out = c->out;
	unsigned tags = 0;

	while (etype == ETH_VLAN || etype == ETH_QINQ || etype == ETH_QINQ_OLD) {
		if (avail < 4)
			return short_of(c);
		if (tags == DECODE_MAX_VLAN_TAGS)
			return DECODE_UNSUPPORTED;
		if (out->vlan_count < 2)
			out->vlan[out->vlan_count] = rd16(p) & 0x0fffu;
		if (out->vlan_count == 0)
			c->st->vlan++;          /* packets with tags, once */
		if (out->vlan_count < UINT8_MAX)
			out->vlan_count++;
		tags++;
		etype = rd16(p + 2);
		p += 4;
		avail -= 4;
	}

	switch (etype) {
	case ETH_IPV4:
		return decode_ipv4(c, p, avail);
	case ETH_IPV6:
		return decode_ipv6(c, p, avail);
	case ETH_MPLS_UC:
	case ETH_MPLS_MC:
		return decode_mpls(c, p, avail);
	case ETH_PPPOE_SESS:
		/* This may well carry IP we are missing: say so. */
		return DECODE_UNSUPPORTED;
	default:
		/* ARP, LLDP, 802.3 length + LLC, ...: not ours. */
		return DECODE_NOT_IP;
	}
}

/* BSD loopback: AF_ value in the capturing host's byte order (DLT_NULL) or
 * network order (DLT_LOOP). Accept either order for both: the values are
 * small, so the order is the one that gives a small number. AF_INET6 is
 * 24 (NetBSD, OpenBSD), 28 (FreeBSD, DragonFly) or 30 (Darwin). */
static enum decode_result decode_null(struct dctx *c, const uint8_t *frame, uint32_t caplen)
{
	uint32_t af;

	if (caplen < 4)
		return DECODE_TRUNCATED;
	af = rd32(frame);
	if (af > 0xffffu)
		af = __builtin_bswap32(af);
	switch (af) {
	case 2:
		if (caplen < 5 || frame[4] >> 4 != 4)
			return caplen < 5 ? DECODE_TRUNCATED : DECODE_INVALID;
		return decode_ipv4(c, frame + 4, caplen - 4);
	case 24:
	case 28:
	case 30:
		if (caplen < 5 || frame[4] >> 4 != 6)
			return caplen < 5 ? DECODE_TRUNCATED : DECODE_INVALID;
		return decode_ipv6(c, frame + 4, caplen - 4);
	default:
		return DECODE_NOT_IP;
	}
}

static enum decode_result decode_frame(struct dctx *c, int link, const uint8_t *frame,
				       uint32_t caplen)
{
	switch (link) {
	case DECODE_LINK_ETHERNET:
		if (caplen < 14)
			return DECODE_TRUNCATED;
		return decode_ethertype(c, frame + 14, caplen - 14, rd16(frame + 12));
	case DECODE_LINK_SLL:
		/* type(2) arphrd(2) addrlen(2) addr(8) protocol(2) */
		if (caplen < 16)
			return DECODE_TRUNCATED;
		return decode_ethertype(c, frame + 16, caplen - 16, rd16(frame + 14));
	case DECODE_LINK_SLL2:
		/* protocol(2) reserved(2) ifindex(4) arphrd(2) type(1)
		 * addrlen(1) addr(8) */
		if (caplen < 20)
			return DECODE_TRUNCATED;
		return decode_ethertype(c, frame + 20, caplen - 20, rd16(frame));
	case DECODE_LINK_NULL:
	case DECODE_LINK_LOOP:
		return decode_null(c, frame, caplen);
	case DECODE_LINK_RAW:
	case DECODE_LINK_DLT_RAW:
	case DECODE_LINK_DLT_RAW14:
		return decode_ip_any(c, frame, caplen);
	case DECODE_LINK_IPV4:
		if (caplen >= 1 && frame[0] >> 4 != 4)
			return DECODE_INVALID;
		return decode_ipv4(c, frame, caplen);
	case DECODE_LINK_IPV6:
		if (caplen >= 1 && frame[0] >> 4 != 6)
			return DECODE_INVALID;
		return decode_ipv6(c, frame, caplen);
	default:
		return DECODE_UNSUPPORTED;
	}
}

/* What every decode starts with; counts the packet. */
static void decode_begin(struct dctx *c, const struct decode_opts *opts,
			 struct decoded_pkt *out, struct decode_stats *st, uint32_t len)
{
	c->opts = opts;
	c->out = out;
	c->st = st;
	c->inner = false;
	c->cut = 0;
	out->vlan_count = 0;
	out->vlan[0] = out->vlan[1] = 0;
	out->tunnels = 0;
	out->tunnel_outer = DECODE_TUNNEL_NONE;
	out->tunnel_depth = 0;
	st->pkts++;
	st->bytes += len;
}

enum decode_result decode_packet(int link, const uint8_t *frame, uint32_t caplen,
				 const struct decode_opts *opts,
				 struct decoded_pkt *out, struct decode_stats *st)
{
	enum decode_result r;
	struct dctx c;

	decode_begin(&c, opts, out, st, caplen);
	if (!frame)
		caplen = 0;
	r = decode_frame(&c, link, frame, caplen);
	out->frame_len = caplen;
	st->result[r]++;
	return r;
}

enum decode_result decode_ip(const uint8_t *ip, uint32_t len,
			     const struct decode_opts *opts,
			     struct decoded_pkt *out, struct decode_stats *st)
{
	enum decode_result r;
	struct dctx c;

	decode_begin(&c, opts, out, st, len);
	if (!ip)
		len = 0;
	r = decode_ip_any(&c, ip, len);
	out->frame_len = len;
	st->result[r]++;
	return r;
}

const char *decode_result_name(enum decode_result r)
{
	static const char *const names[DECODE_RESULT_COUNT] = {
		[DECODE_OK] = "ok",
		[DECODE_NOT_IP] = "not_ip",
		[DECODE_NOT_TCP] = "not_tcp",
		[DECODE_FRAGMENT] = "fragment",
		[DECODE_TRUNCATED] = "truncated",
		[DECODE_INVALID] = "invalid",
		[DECODE_BAD_CHECKSUM] = "bad_checksum",
		[DECODE_UNSUPPORTED] = "unsupported",
	};

	if ((unsigned)r >= DECODE_RESULT_COUNT)
		return "unknown";
	return names[r];
}

const char *decode_tunnel_name(enum decode_tunnel t)
{
	static const char *const names[DECODE_TUNNEL_COUNT] = {
		[DECODE_TUNNEL_NONE] = "none",
		[DECODE_TUNNEL_MPLS] = "mpls",
		[DECODE_TUNNEL_GRE] = "gre",
		[DECODE_TUNNEL_ERSPAN] = "erspan",
		[DECODE_TUNNEL_VXLAN] = "vxlan",
		[DECODE_TUNNEL_GENEVE] = "geneve",
		[DECODE_TUNNEL_IPIP] = "ipip",
	};

	if ((unsigned)t >= DECODE_TUNNEL_COUNT)
		return "unknown";
	return names[t];
}

int mt_addr_parse_prefix(const char *text, struct mt_addr *a, unsigned *plen)
{
	char buf[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	unsigned max;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->b + 12) == 1) {
		a->b[10] = a->b[11] = 0xff;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, a->b) == 1) {
		max = 128;
	} else {
		return -1;
	}
	*plen = max;
	if (slash) {
		char *end;
		unsigned long l = strtoul(slash + 1, &end, 10);

		if (!slash[1] || *end || slash[1] == '-' || l > max)
			return -1;
		*plen = (unsigned)l;
	}
	return 0;
}

bool mt_addr_is_v4(const struct mt_addr *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a->b, prefix, 12) == 0;
}

void mt_addr_mask(struct mt_addr *a, unsigned bits)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = bits > 8 * i ? bits - 8 * i : 0;

		if (keep < 8)
			a->b[i] &= (uint8_t)(0xff00u >> keep);
	}
}

/* inet_ntop(3) text (RFC 5952 form for IPv6); a mapped IPv4 address prints
 * as a dotted quad, as EVE's src_ip does. A buffer too small for the text
 * (INET6_ADDRSTRLEN = 46 always suffices) gets "" rather than a NULL the
 * caller might print. */
char *mt_addr_format(const struct mt_addr *a, char *buf, size_t len)
{
	const char *r;

	if (!buf || len == 0)
		return buf;
	if (mt_addr_is_v4(a))
		r = inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)(len > 0x7fffffff ? 0x7fffffff : len));
	else
		r = inet_ntop(AF_INET6, a->b, buf, (socklen_t)(len > 0x7fffffff ? 0x7fffffff : len));
	if (!r)
		buf[0] = '\0';
	return buf;
}
