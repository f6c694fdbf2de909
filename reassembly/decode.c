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
 *
 * Invariants: no read beyond frame[caplen - 1]; `out` is written only on
 * the way to DECODE_OK (its contents are unspecified otherwise); every call
 * bumps st->pkts, st->bytes and exactly one st->result[].
 */
#include "decode.h"

#include <arpa/inet.h>
#include <string.h>

/* EtherTypes (IEEE 802 numbers). */
#define ETH_IPV4        0x0800u
#define ETH_IPV6        0x86ddu
#define ETH_VLAN        0x8100u   /* 802.1Q C-tag */
#define ETH_QINQ        0x88a8u   /* 802.1ad S-tag */
#define ETH_QINQ_OLD    0x9100u   /* pre-standard QinQ */
#define ETH_MPLS_UC     0x8847u
#define ETH_MPLS_MC     0x8848u
#define ETH_PPPOE_SESS  0x8864u
#define ETH_MIN_TYPE    0x0600u   /* below: an 802.3 length, LLC follows */

/* More tags than this is not a network, it is an attack on the decoder. */
#define DECODE_MAX_VLAN_TAGS 8

/* IPv6 extension headers walked before giving up (RFC 8200 section 4.1
 * lists at most 8 kinds, each normally present once). */
#define DECODE_MAX_IPV6_EXT 8

#define IPPROTO_TCP_    6
#define IP6_HOPOPTS     0
#define IP6_ROUTING     43
#define IP6_FRAGMENT    44
#define IP6_AH          51
#define IP6_NONE        59
#define IP6_DSTOPTS     60

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

/*
 * TCP header at t, `len` bytes of TCP segment as the IP layer says (all of
 * them captured: the IP layer checked that). `sum` is the pseudo-header
 * checksum so far, used only when validating.
 */
static enum decode_result decode_tcp(const uint8_t *t, uint32_t len, uint64_t sum,
				     const struct decode_opts *opts,
				     struct decoded_pkt *out, struct decode_stats *st)
{
	uint32_t doff;

	/* The IP length ends the packet inside the TCP header: the headers
	 * disagree, it is not a short capture. */
	if (len < 20)
		return DECODE_INVALID;
	doff = (uint32_t)(t[12] >> 4) * 4;
	if (doff < 20 || doff > len)
		return DECODE_INVALID;
	if (opts && opts->validate_checksums && !csum_ok(csum_add(sum, t, len)))
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
	out->payload = t + doff;
	out->payload_len = len - doff;
	st->tcp++;
	return DECODE_OK;
}

static enum decode_result decode_ipv4(const uint8_t *ip, uint32_t avail,
				      const struct decode_opts *opts,
				      struct decoded_pkt *out, struct decode_stats *st)
{
	uint32_t ihl, tot;
	uint64_t sum = 0;

	if (avail < 20)
		return DECODE_TRUNCATED;
	if (ip[0] >> 4 != 4)
		return DECODE_INVALID;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20)                   /* RFC 791: IHL minimum is 5 */
		return DECODE_INVALID;
	if (ihl > avail)
		return DECODE_TRUNCATED;
	tot = rd16(ip + 2);
	/* A sending host's capture of a GSO super-packet above 64 KiB (Linux
	 * "BIG TCP") carries total length 0; the captured length is then the
	 * only length there is. */
	if (tot == 0 && avail > 0xffffu)
		tot = avail;
	if (tot < ihl)
		return DECODE_INVALID;
	if (tot > avail)
		return DECODE_TRUNCATED;
	if (avail > tot)
		st->trailer_bytes += avail - tot;
	st->ipv4++;
	if (ihl > 20)
		st->ip_options++;
	if (opts && opts->validate_checksums && !csum_ok(csum_add(0, ip, ihl)))
		return DECODE_BAD_CHECKSUM;
	if (ip[9] != IPPROTO_TCP_)
		return DECODE_NOT_TCP;
	/* MF set or a nonzero offset: a piece of a larger datagram
	 * (RFC 791 section 3.2). Reassembly comes in issue 4. */
	if (rd16(ip + 6) & 0x3fffu)
		return DECODE_FRAGMENT;

	addr_from_v4(&out->src, ip + 12);
	addr_from_v4(&out->dst, ip + 16);
	out->ip_version = 4;
	out->ttl = ip[8];
	out->ip_len = tot;
	if (opts && opts->validate_checksums) {
		/* Pseudo-header: RFC 9293 section 3.1. */
		uint8_t ph[4] = { 0, IPPROTO_TCP_, (uint8_t)((tot - ihl) >> 8),
				  (uint8_t)(tot - ihl) };

		sum = csum_add(0, ip + 12, 8);
		sum = csum_add(sum, ph, 4);
	}
	return decode_tcp(ip + ihl, tot - ihl, sum, opts, out, st);
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

static enum decode_result decode_ipv6(const uint8_t *ip, uint32_t avail,
				      const struct decode_opts *opts,
				      struct decoded_pkt *out, struct decode_stats *st)
{
	uint32_t plen, end, off = 40, n_ext = 0;
	const uint8_t *final_dst = ip + 24;
	uint64_t sum = 0;
	uint8_t nh;

	if (avail < 40)
		return DECODE_TRUNCATED;
	if (ip[0] >> 4 != 6)
		return DECODE_INVALID;
	plen = rd16(ip + 4);
	/* Payload length 0 is a jumbogram (RFC 2675) or a sender-side GSO
	 * capture above 64 KiB; trust the capture then, as for IPv4. */
	if (plen == 0 && avail - 40 > 0xffffu)
		plen = avail - 40;
	if (plen > avail - 40)
		return DECODE_TRUNCATED;
	end = 40 + plen;
	if (avail > end)
		st->trailer_bytes += avail - end;
	st->ipv6++;

	nh = ip[6];
	while (nh != IPPROTO_TCP_) {
		uint32_t hlen;

		if (!ipv6_is_ext(nh))
			return DECODE_NOT_TCP;      /* UDP, ICMPv6, ESP, none... */
		if (++n_ext > DECODE_MAX_IPV6_EXT)
			return DECODE_INVALID;
		st->ipv6_ext_headers++;
		/* Every extension header is at least 8 bytes; all of it must
		 * lie inside the IPv6 payload length. */
		if (end - off < 8)
			return DECODE_INVALID;
		switch (nh) {
		case IP6_HOPOPTS:
			/* RFC 8200 section 4.1: only right after the IPv6 header.
			 * Hosts drop it elsewhere, so must we (evasion). */
			if (n_ext != 1)
				return DECODE_INVALID;
			hlen = ((uint32_t)ip[off + 1] + 1) * 8;
			break;
		case IP6_FRAGMENT: {
			uint16_t fo = rd16(ip + off + 2);

			/* An atomic fragment (offset 0, M clear) is a whole
			 * packet (RFC 6946 section 4); anything else waits
			 * for defragmentation. */
			if (fo & 0xfff9u) {
				uint8_t inner = ip[off];

				return inner == IPPROTO_TCP_ || ipv6_is_ext(inner) ?
				       DECODE_FRAGMENT : DECODE_NOT_TCP;
			}
			hlen = 8;
			break;
		}
		case IP6_AH:
			/* RFC 4302 section 2.2: length in 4-octet units minus 2. */
			hlen = ((uint32_t)ip[off + 1] + 2) * 4;
			break;
		default:                /* routing, destination options */
			hlen = ((uint32_t)ip[off + 1] + 1) * 8;
			break;
		}
		if (hlen > end - off)
			return DECODE_INVALID;
		if (nh == IP6_ROUTING)
			final_dst = ipv6_final_dst(ip + off, hlen, final_dst);
		nh = ip[off];
		off += hlen;
	}

	memcpy(out->src.b, ip + 8, 16);
	memcpy(out->dst.b, ip + 24, 16);
	out->ip_version = 6;
	out->ttl = ip[7];
	out->ip_len = end;
	if (opts && opts->validate_checksums) {
		/* Pseudo-header: RFC 8200 section 8.1. */
		uint32_t ulen = end - off;
		uint8_t ph[8] = { (uint8_t)(ulen >> 24), (uint8_t)(ulen >> 16),
				  (uint8_t)(ulen >> 8), (uint8_t)ulen, 0, 0, 0,
				  IPPROTO_TCP_ };

		sum = csum_add(0, ip + 8, 16);
		sum = csum_add(sum, final_dst, 16);
		sum = csum_add(sum, ph, 8);
	}
	return decode_tcp(ip + off, end - off, sum, opts, out, st);
}

/* An IP packet whose version we only know from its first nibble. */
static enum decode_result decode_ip_any(const uint8_t *ip, uint32_t avail,
					const struct decode_opts *opts,
					struct decoded_pkt *out, struct decode_stats *st)
{
	if (avail < 1)
		return DECODE_TRUNCATED;
	switch (ip[0] >> 4) {
	case 4:
		return decode_ipv4(ip, avail, opts, out, st);
	case 6:
		return decode_ipv6(ip, avail, opts, out, st);
	default:
		return DECODE_INVALID;
	}
}

/*
 * From an EtherType on: walk VLAN tags, then dispatch. Used by Ethernet and
 * both cooked-capture headers (libpcap re-inserts the tag after an SLL
 * header when the kernel stripped it).
 */
static enum decode_result decode_ethertype(const uint8_t *frame, uint32_t caplen,
					   uint32_t off, uint16_t etype,
					   const struct decode_opts *opts,
					   struct decoded_pkt *out, struct decode_stats *st)
{
	unsigned tags = 0;

	out->vlan[0] = 0;
	out->vlan[1] = 0;
	while (etype == ETH_VLAN || etype == ETH_QINQ || etype == ETH_QINQ_OLD) {
		if (caplen - off < 4)
			return DECODE_TRUNCATED;
		if (tags == DECODE_MAX_VLAN_TAGS)
			return DECODE_UNSUPPORTED;
		if (tags < 2)
			out->vlan[tags] = rd16(frame + off) & 0x0fffu;
		tags++;
		etype = rd16(frame + off + 2);
		off += 4;
	}
	out->vlan_count = (uint8_t)tags;
	if (tags)
		st->vlan++;

	switch (etype) {
	case ETH_IPV4:
		return decode_ipv4(frame + off, caplen - off, opts, out, st);
	case ETH_IPV6:
		return decode_ipv6(frame + off, caplen - off, opts, out, st);
	case ETH_MPLS_UC:
	case ETH_MPLS_MC:
	case ETH_PPPOE_SESS:
		/* These may well carry IP we are missing: say so. */
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
static enum decode_result decode_null(const uint8_t *frame, uint32_t caplen,
				      const struct decode_opts *opts,
				      struct decoded_pkt *out, struct decode_stats *st)
{
	uint32_t af;

	if (caplen < 4)
		return DECODE_TRUNCATED;
	af = rd32(frame);
	if (af > 0xffffu)
		af = __builtin_bswap32(af);
	out->vlan_count = 0;
	out->vlan[0] = out->vlan[1] = 0;
	switch (af) {
	case 2:
		if (caplen < 5 || frame[4] >> 4 != 4)
			return caplen < 5 ? DECODE_TRUNCATED : DECODE_INVALID;
		return decode_ipv4(frame + 4, caplen - 4, opts, out, st);
	case 24:
	case 28:
	case 30:
		if (caplen < 5 || frame[4] >> 4 != 6)
			return caplen < 5 ? DECODE_TRUNCATED : DECODE_INVALID;
		return decode_ipv6(frame + 4, caplen - 4, opts, out, st);
	default:
		return DECODE_NOT_IP;
	}
}

static enum decode_result decode_frame(int link, const uint8_t *frame, uint32_t caplen,
				       const struct decode_opts *opts,
				       struct decoded_pkt *out, struct decode_stats *st)
{
	switch (link) {
	case DECODE_LINK_ETHERNET:
		if (caplen < 14)
			return DECODE_TRUNCATED;
		return decode_ethertype(frame, caplen, 14, rd16(frame + 12), opts, out, st);
	case DECODE_LINK_SLL:
		/* type(2) arphrd(2) addrlen(2) addr(8) protocol(2) */
		if (caplen < 16)
			return DECODE_TRUNCATED;
		return decode_ethertype(frame, caplen, 16, rd16(frame + 14), opts, out, st);
	case DECODE_LINK_SLL2:
		/* protocol(2) reserved(2) ifindex(4) arphrd(2) type(1)
		 * addrlen(1) addr(8) */
		if (caplen < 20)
			return DECODE_TRUNCATED;
		return decode_ethertype(frame, caplen, 20, rd16(frame), opts, out, st);
	case DECODE_LINK_NULL:
	case DECODE_LINK_LOOP:
		return decode_null(frame, caplen, opts, out, st);
	case DECODE_LINK_RAW:
	case DECODE_LINK_DLT_RAW:
	case DECODE_LINK_DLT_RAW14:
		out->vlan_count = 0;
		out->vlan[0] = out->vlan[1] = 0;
		return decode_ip_any(frame, caplen, opts, out, st);
	case DECODE_LINK_IPV4:
		out->vlan_count = 0;
		out->vlan[0] = out->vlan[1] = 0;
		if (caplen >= 1 && frame[0] >> 4 != 4)
			return DECODE_INVALID;
		return decode_ipv4(frame, caplen, opts, out, st);
	case DECODE_LINK_IPV6:
		out->vlan_count = 0;
		out->vlan[0] = out->vlan[1] = 0;
		if (caplen >= 1 && frame[0] >> 4 != 6)
			return DECODE_INVALID;
		return decode_ipv6(frame, caplen, opts, out, st);
	default:
		return DECODE_UNSUPPORTED;
	}
}

enum decode_result decode_packet(int link, const uint8_t *frame, uint32_t caplen,
				 const struct decode_opts *opts,
				 struct decoded_pkt *out, struct decode_stats *st)
{
	enum decode_result r;

	st->pkts++;
	st->bytes += caplen;
	if (!frame)
		caplen = 0;
	r = decode_frame(link, frame, caplen, opts, out, st);
	out->frame_len = caplen;
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

bool mt_addr_is_v4(const struct mt_addr *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a->b, prefix, 12) == 0;
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
