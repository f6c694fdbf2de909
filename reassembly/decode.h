/*
 * decode — link, network and transport header decoding.
 *
 * Turns one captured frame into a `struct decoded_pkt`: addresses, ports,
 * TCP sequence numbers and flags, and a pointer to the TCP payload inside
 * the caller's frame. Nothing is copied and nothing is allocated: the
 * pointers in the result are valid exactly as long as the frame is.
 *
 * Every byte is hostile. A frame that cannot be decoded is not an error but
 * a counted outcome (`enum decode_result` and `struct decode_stats`); the
 * decoder never reads past `caplen` and never trusts a length field without
 * checking it against what was captured.
 *
 * Supported: Ethernet II, 802.1Q and stacked 802.1ad/QinQ tags, Linux
 * cooked v1 (SLL) and v2 (SLL2), raw IP, BSD loopback/NULL (both byte
 * orders), IPv4 with options, IPv6 with extension headers (hop-by-hop,
 * routing, destination options, fragment), TCP with options.
 *
 * Tunnels seen on taps and SPAN ports are removed and the inner packet is
 * the result (its flow is the one tracked): MPLS label stacks (with an
 * Ethernet pseudowire behind a control word), GRE carrying IP, Ethernet,
 * MPLS or ERSPAN type I/II/III, VXLAN (UDP 4789), Geneve (UDP 6081) and
 * IP-in-IP in all four combinations, up to DECODE_MAX_TUNNELS deep. VLAN
 * tags of inner Ethernet headers are recorded after the outer ones.
 *
 * IP fragments (of a protocol that could carry TCP: TCP, UDP, GRE, IP-in-
 * IP) come back as DECODE_FRAGMENT with `out->frag` describing them; the
 * caller reassembles them and hands the datagram to decode_ip(). An IPv6
 * atomic fragment (offset 0, M clear: RFC 6946) is not a fragment and is
 * decoded as the whole packet it is.
 */
#ifndef MT_DECODE_H
#define MT_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types, numbered as libpcap's DLT_/LINKTYPE_ values so a capture
 * backend can pass pcap_datalink() straight through. */
enum decode_link {
	DECODE_LINK_NULL = 0,       /* DLT_NULL: 4-byte host-order AF_ */
	DECODE_LINK_ETHERNET = 1,   /* DLT_EN10MB */
	DECODE_LINK_RAW = 101,      /* LINKTYPE_RAW: starts at the IP header */
	DECODE_LINK_LOOP = 108,     /* DLT_LOOP: 4-byte network-order AF_ */
	DECODE_LINK_SLL = 113,      /* LINKTYPE_LINUX_SLL */
	DECODE_LINK_IPV4 = 228,     /* LINKTYPE_IPV4 */
	DECODE_LINK_IPV6 = 229,     /* LINKTYPE_IPV6 */
	DECODE_LINK_SLL2 = 276,     /* LINKTYPE_LINUX_SLL2 */
	DECODE_LINK_DLT_RAW = 12,   /* DLT_RAW as some platforms write it */
	DECODE_LINK_DLT_RAW14 = 14, /* OpenBSD's DLT_RAW */
};

/* What happened to one frame. Only DECODE_OK carries a usable TCP packet. */
enum decode_result {
	DECODE_OK = 0,
	DECODE_NOT_IP,        /* ARP, LLDP, ... : not for us, not an anomaly */
	DECODE_NOT_TCP,       /* UDP, ICMP, ... */
	DECODE_FRAGMENT,      /* an IP fragment (defragmentation: issue 4) */
	DECODE_TRUNCATED,     /* a header runs past caplen */
	DECODE_INVALID,       /* a header contradicts itself (bad IHL, len) */
	DECODE_BAD_CHECKSUM,  /* only when checksum validation is on */
	DECODE_UNSUPPORTED,   /* link type or ethertype not supported */
	DECODE_RESULT_COUNT,
};

/* TCP flag bits as on the wire. */
enum {
	TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08,
	TCP_ACK = 0x10, TCP_URG = 0x20, TCP_ECE = 0x40, TCP_CWR = 0x80,
};

/* An IP address of either family. IPv4 addresses are stored as
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) so comparison and hashing are uniform. */
struct mt_addr {
	uint8_t b[16];
};

/*
 * Encapsulations removed on the way to the inner packet. The numbers index
 * decode_stats.tunnel[]; decoded_pkt.tunnels has bit (1u << kind) for each
 * kind removed.
 */
enum decode_tunnel {
	DECODE_TUNNEL_NONE = 0,
	DECODE_TUNNEL_MPLS,          /* label stack (RFC 3032), also in GRE (RFC 4023) */
	DECODE_TUNNEL_GRE,           /* GRE carrying IPv4, IPv6, Ethernet (0x6558)
				      * or MPLS (RFC 2784, RFC 2890) */
	DECODE_TUNNEL_ERSPAN,        /* GRE 0x88BE (type I/II) or 0x22EB (type III);
				      * counted here, not under GRE */
	DECODE_TUNNEL_VXLAN,         /* UDP port 4789 (RFC 7348) */
	DECODE_TUNNEL_GENEVE,        /* UDP port 6081 (RFC 8926) */
	DECODE_TUNNEL_IPIP,          /* IPv4/IPv6 in IPv4/IPv6 (RFC 2003, 4213, 2473) */
	DECODE_TUNNEL_COUNT,
};

/* Encapsulations removed at most; one more is DECODE_UNSUPPORTED and
 * counted in decode_stats.tunnel_too_deep. A whole MPLS label stack is one. */
#define DECODE_MAX_TUNNELS 4

/*
 * An IP fragment (result DECODE_FRAGMENT): what defragmentation needs.
 * Pointers are into the caller's frame (the inner packet's fragment when
 * it came through a tunnel).
 *
 * IPv4: l3 is the header with its options (l3_len = IHL * 4), as received:
 * Total Length, flags, Fragment Offset and checksum are this fragment's.
 *
 * IPv6: l3 is the fixed header plus every extension header that precedes
 * the Fragment header (the unfragmentable part, RFC 8200 section 4.5),
 * exactly as received. Two fields of that copy are this fragment's and
 * must be rewritten for the reassembled datagram: the Payload Length
 * (bytes 4-5: becomes l3_len - 40 + the reassembled data length) and the
 * Next Header byte at l3[l3_nh_off] (says 44, Fragment; becomes `proto`).
 * The Fragment header itself is not in l3 and not in data.
 *
 * Checked here, refused as DECODE_INVALID and counted in frag_invalid: an
 * empty fragment, one whose end would put the datagram past 65,535 bytes
 * (IPv4: IHL + offset + length; IPv6: the Payload Length it would give,
 * RFC 8200 section 4.5), and an IPv6 non-final fragment whose length is
 * not a multiple of 8 (RFC 8200 section 4.5). An IPv4 non-final fragment
 * of such a length has data_len cut down to a multiple of 8 instead, as
 * Linux does (ip_frag_queue), counted in frag_trimmed. What is left for
 * the defragmenter: overlaps, tiny first fragments, timeouts, limits.
 *
 * decode_ip() validates the IPv4 header checksum when checksum validation
 * is on: a rebuilt IPv4 header must carry a correct one.
 */
struct decoded_frag {
	struct mt_addr src, dst;
	uint8_t ip_version;          /* 4 or 6 */
	uint8_t proto;               /* protocol of the reassembled payload */
	bool more;                   /* MF: more fragments follow */
	uint32_t id;                 /* IPv4: 16-bit id; IPv6: 32-bit id */
	uint32_t offset;             /* of data in the original payload, bytes */
	const uint8_t *l3;           /* the (unfragmentable) IP header(s) */
	uint32_t l3_len;
	uint16_t l3_nh_off;          /* IPv6: offset in l3 of the Next Header
				      * byte that names the Fragment header
				      * (6 when none precede it); IPv4: 9 */
	const uint8_t *data;         /* this fragment's payload */
	uint32_t data_len;
	uint8_t ttl;
};

struct decoded_pkt {
	struct mt_addr src, dst;
	uint16_t sport, dport;       /* host byte order */
	uint8_t ip_version;          /* 4 or 6 */
	uint8_t tcp_flags;
	uint8_t vlan_count;          /* tags seen, up to 2 recorded */
	uint8_t wscale;              /* window scale option, 0xff if absent */
	uint16_t vlan[2];            /* VLAN ids, outermost first (tags of an
				      * inner Ethernet header follow the outer
				      * ones) */
	uint8_t tunnels;             /* bit 1u << DECODE_TUNNEL_x per kind removed */
	uint8_t tunnel_outer;        /* enum decode_tunnel of the outermost one,
				      * DECODE_TUNNEL_NONE if none */
	uint8_t tunnel_depth;        /* encapsulations removed, 0..DECODE_MAX_TUNNELS */
	uint16_t window;             /* raw window field */
	uint16_t mss;                /* MSS option, 0 if absent */
	uint32_t seq, ack;           /* host byte order */
	uint8_t ttl;                 /* IPv4 TTL or IPv6 hop limit */
	bool sack_permitted;
	bool has_timestamp;
	uint32_t ts_val, ts_ecr;     /* TCP timestamp option */
	const uint8_t *payload;      /* into the caller's frame */
	uint32_t payload_len;        /* captured payload bytes */
	uint32_t wire_payload_len;   /* payload the IP header says: more than
	                              * payload_len when the capture's snap
	                              * length cut the packet (the rest is a
	                              * gap to reassembly, never shifted data) */
	uint16_t urg_ptr;            /* TCP urgent pointer (used with TCP_URG) */
	uint32_t ip_len;             /* IP header + payload as the IP header says */
	uint32_t frame_len;          /* captured bytes of the whole frame (caplen):
	                              * what Suricata counts in flow bytes */
	struct decoded_frag frag;    /* set when the result is DECODE_FRAGMENT */
};
/* vlan_count, vlan[] and the tunnel fields are set whatever the result
 * (what was seen before decoding stopped); the rest only on DECODE_OK. */

struct decode_opts {
	bool validate_checksums;     /* off by default: offloaded captures */
};

/* Counters, one per outcome plus a few details. Owned by the worker. */
struct decode_stats {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t result[DECODE_RESULT_COUNT];
	uint64_t ipv4, ipv6, tcp, vlan;
	uint64_t ip_options;         /* IPv4 packets carrying options */
	uint64_t ipv6_ext_headers;   /* IPv6 extension headers walked */
	uint64_t trailer_bytes;      /* Ethernet padding beyond the IP length */
	uint64_t snapped;            /* TCP packets cut by the snap length,
	                              * decoded with their header whole */
	uint64_t snapped_bytes;      /* ... the bytes cut off */
	uint64_t tunnel[DECODE_TUNNEL_COUNT];  /* encapsulations removed, by kind
						* ([DECODE_TUNNEL_NONE] stays 0) */
	uint64_t ipip[4];            /* tunnel[IPIP] by kind, [outer v6 * 2 +
				      * inner v6]: 4in4, 6in4, 4in6, 6in6 */
	uint64_t tunnel_too_deep;    /* over DECODE_MAX_TUNNELS, or an MPLS
				      * stack over 16 labels (UNSUPPORTED) */
	uint64_t mpls_pw;            /* MPLS Ethernet pseudowires (control word) */
	uint64_t frag_invalid;       /* fragments refused (see decoded_frag) */
	uint64_t frag_trimmed;       /* IPv4 non-final fragments cut to 8n bytes */
	uint64_t frag_atomic;        /* IPv6 atomic fragments (RFC 6946) */
};

/*
 * Decode one frame.
 *   link     a DECODE_LINK_* value (pcap_datalink() of the source).
 *   frame    the captured bytes; caplen of them are readable.
 *   out      filled on DECODE_OK; its pointers point into `frame`.
 *   st       counters to update (pkts, bytes and result[] always).
 * Returns the outcome. Never reads beyond frame[caplen - 1].
 */
enum decode_result decode_packet(int link, const uint8_t *frame, uint32_t caplen,
				 const struct decode_opts *opts,
				 struct decoded_pkt *out, struct decode_stats *st);

/*
 * Decode a bare IP packet (version from its first nibble): a datagram
 * that defragmentation put back together, or an inner packet. Same
 * contract as decode_packet (pointers into `ip`; frame_len = len; st
 * counts it as a packet of its own). Tunnels inside it are removed as for
 * a frame; vlan_count and the tunnel fields start from zero, so a caller
 * reassembling the fragments of a tunnelled packet copies them over from
 * the fragment's decode if it wants them.
 */
enum decode_result decode_ip(const uint8_t *ip, uint32_t len,
			     const struct decode_opts *opts,
			     struct decoded_pkt *out, struct decode_stats *st);

/* Stable lower-case name of a result, for the stats event ("truncated"). */
const char *decode_result_name(enum decode_result r);

/* Stable lower-case name of a tunnel kind ("vxlan"; "none"; "unknown" out
 * of range), for stats and logs. */
const char *decode_tunnel_name(enum decode_tunnel t);

/* Format an address as text (dotted quad for mapped IPv4). Returns buf. */
char *mt_addr_format(const struct mt_addr *a, char *buf, size_t len);

/* True if the address is an IPv4-mapped address. */
bool mt_addr_is_v4(const struct mt_addr *a);

/* Zero the bits of a past the first `bits` (a prefix's network part). */
void mt_addr_mask(struct mt_addr *a, unsigned bits);

/*
 * Parse "10.0.0.0/8", "192.0.2.7", "2001:db8::/32" (no slash: a host).
 * *a gets the address (IPv4 mapped), *plen the prefix length in the
 * family's own bits (0..32 or 0..128). Returns 0 or -1.
 */
int mt_addr_parse_prefix(const char *text, struct mt_addr *a, unsigned *plen);

#endif
