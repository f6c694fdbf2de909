/*
 * pcapw — a small, fast writer of synthetic TCP captures for tests and
 * benchmarks.
 *
 * Three layers:
 *   struct pcapw        one output file: classic pcap (microsecond) or
 *                       pcapng (SHB + one IDB, default if_tsresol = µs, EPBs),
 *                       one link type for the whole file, an output buffer,
 *                       and a deterministic clock.
 *   pcapw_write_tcp()   one TCP segment: link header (Ethernet with 0-2 VLAN
 *                       tags, Linux SLL/SLL2, raw IP, BSD NULL, LINKTYPE_IPV4/
 *                       IPV6) + IPv4/IPv6 + TCP header + payload, checksums
 *                       right or deliberately wrong; optionally wrapped in a
 *                       tunnel (MPLS, GRE, ERSPAN, VXLAN, Geneve, IP-in-IP)
 *                       and cut into IP fragments (pcapw_set_tunnel,
 *                       pcapw_set_fragment).
 *   struct pcapw_conn   one TCP connection: both sides' ISNs and stream
 *                       offsets, so handshake, data, ACKs, FIN and RST get
 *                       consistent sequence and acknowledgement numbers, plus
 *                       a low-level "segment at stream offset X" for crafting
 *                       retransmissions, overlaps and reordering.
 *
 * Invariants. The file format is written by hand (not with libpcap) so any
 * link type can be produced. Frames are built directly inside the output
 * buffer: there is no allocation per packet (tunnels and fragmentation
 * allocate their scratch space once, when first switched on), one memcpy
 * of the payload per packet (two when tunnelled or fragmented), and one
 * write(2) per buffer-full, so generators can
 * write GB-scale files with many connections interleaved. Every timestamp
 * comes from the writer's clock, which only moves when told to (a fixed step
 * after each packet, pcapw_clock_set/advance), so output is a pure function
 * of the calls made. Errors are sticky: after the first I/O error every call
 * returns it and pcapw_close() reports it.
 *
 * Everything here is test tooling: it trusts its caller, and malformed
 * requests (payload too big, IPv6 on an IPv4 link) return -EINVAL.
 */
#ifndef MT_PCAPW_H
#define MT_PCAPW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pcapw_format {
	PCAPW_FORMAT_PCAP = 0,      /* classic libpcap, microsecond timestamps */
	PCAPW_FORMAT_PCAPNG,        /* pcapng: SHB, one IDB, EPBs */
};

/* Link types. The values are this library's, not DLT numbers: see
 * pcapw_link_dlt(). */
enum pcapw_link {
	PCAPW_LINK_ETHERNET = 0,    /* DLT_EN10MB, optional 802.1Q/802.1ad tags */
	PCAPW_LINK_SLL,             /* LINKTYPE_LINUX_SLL (113), 16-byte header */
	PCAPW_LINK_SLL2,            /* LINKTYPE_LINUX_SLL2 (276), 20-byte header */
	PCAPW_LINK_RAW,             /* LINKTYPE_RAW (101): the IP header first */
	PCAPW_LINK_NULL,            /* DLT_NULL (0): 4-byte host-order AF value */
	PCAPW_LINK_IPV4,            /* LINKTYPE_IPV4 (228): IPv4 packets only */
	PCAPW_LINK_IPV6,            /* LINKTYPE_IPV6 (229): IPv6 packets only */
	PCAPW_LINK_COUNT,
};

/* AF values written in DLT_NULL headers (host byte order). AF_INET is 2
 * everywhere; AF_INET6 differs per OS, 24 (NetBSD/OpenBSD) is the value
 * libpcap and tcpdump recognise on every platform. */
#define PCAPW_NULL_AF_INET   2u
#define PCAPW_NULL_AF_INET6  24u

/* The largest TCP payload one segment can carry (IPv4 total length is 16
 * bits; kept the same for IPv6 so one limit fits both). */
#define PCAPW_MAX_PAYLOAD    (65535u - 20u - 60u)

struct pcapw_opts {
	enum pcapw_format format;
	enum pcapw_link link;
	uint8_t vlan_count;         /* Ethernet only: 0, 1 (802.1Q) or 2
				     * (802.1ad outer, 802.1Q inner) */
	uint16_t vlan[2];           /* VLAN ids, outermost first */
	uint32_t snaplen;           /* written in the header; 0 = 262144.
				     * Frames are never truncated. */
	uint64_t start_us;          /* clock start, µs since the epoch;
				     * 0 = 1700000000 s */
	uint32_t step_us;           /* clock step after each packet */
	size_t buf_size;            /* output buffer; 0 = 1 MiB, min 256 KiB */
};

/* Default options: classic pcap, Ethernet, no VLAN, 1 µs step. */
void pcapw_opts_default(struct pcapw_opts *o);

/* The LINKTYPE_ value written in the file for a link. */
unsigned pcapw_link_dlt(enum pcapw_link link);

/* Name <-> value for "ethernet", "sll", "sll2", "raw", "null", "ipv4",
 * "ipv6". pcapw_link_parse returns -1 for an unknown name. */
const char *pcapw_link_name(enum pcapw_link link);
int pcapw_link_parse(const char *name);

struct pcapw;

/*
 * Create (truncate) `path`, or write to standard output if path is "-",
 * and write the file header. On success *out owns the file and the buffer
 * until pcapw_close(). Returns 0, -EINVAL for bad options, or -errno.
 */
int pcapw_open(const char *path, const struct pcapw_opts *o, struct pcapw **out);

/* Flush, close and free. Returns 0 or the first error seen on this writer
 * (-errno). NULL is accepted. */
int pcapw_close(struct pcapw *w);

/* Write out the buffer now. Returns 0 or the sticky error. */
int pcapw_flush(struct pcapw *w);

/* Clock: the timestamp the next packet gets, in µs since the epoch. */
uint64_t pcapw_clock(const struct pcapw *w);
void pcapw_clock_set(struct pcapw *w, uint64_t us);
void pcapw_clock_advance(struct pcapw *w, uint64_t us);

/* Packets and bytes written so far (bytes = file bytes including headers,
 * flushed or still buffered). */
uint64_t pcapw_packets(const struct pcapw *w);
uint64_t pcapw_bytes(const struct pcapw *w);

/*
 * Write one complete link-layer frame exactly as given (for hand-crafted
 * packets the TCP helpers cannot express). Takes the clock's timestamp and
 * steps it. Returns 0 or -errno.
 */
int pcapw_write_frame(struct pcapw *w, const uint8_t *frame, uint32_t len);

/* An IP address and port. family is 4 or 6; an IPv4 address sits in
 * addr[0..3]. */
struct pcapw_endpoint {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;              /* host byte order */
};

/* Parse "10.0.0.1:25" or "[2001:db8::1]:25". Returns 0 or -EINVAL. */
int pcapw_endpoint_parse(const char *text, struct pcapw_endpoint *ep);

/* Checksum modes. Offloading hosts capture their own outgoing segments
 * before the NIC fills in the TCP checksum, so the field holds the
 * pseudo-header sum only: PCAPW_CSUM_BAD_TCP reproduces that. */
enum {
	PCAPW_CSUM_GOOD = 0,
	PCAPW_CSUM_BAD_TCP = 1,     /* TCP checksum = uncomplemented pseudo sum */
	PCAPW_CSUM_BAD_IP = 2,      /* IPv4 header checksum wrong (zero) */
};

/* TCP flag bits as on the wire (same values as decode.h's TCP_*). */
enum {
	PCAPW_FIN = 0x01, PCAPW_SYN = 0x02, PCAPW_RST = 0x04, PCAPW_PSH = 0x08,
	PCAPW_ACK = 0x10, PCAPW_URG = 0x20,
};

/* One TCP segment as pcapw_write_tcp() builds it. */
struct pcapw_tcp {
	const struct pcapw_endpoint *src, *dst;  /* same family */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	uint16_t ip_id;             /* IPv4 identification */
	uint8_t ttl;                /* 0 = 64 */
	uint8_t csum;               /* PCAPW_CSUM_* bits */
	const uint8_t *opts;        /* TCP options, already padded to 4 bytes */
	uint8_t opts_len;           /* multiple of 4, at most 40 */
	const uint8_t *payload;
	uint32_t payload_len;       /* at most PCAPW_MAX_PAYLOAD */
	bool outgoing;              /* SLL/SLL2 packet type: sent by the
				     * capturing host (4) rather than to it (0) */
};

/*
 * Build and write one TCP/IP packet with this file's link header. The frame
 * is assembled in the output buffer; `payload` is copied once. Takes the
 * clock's timestamp and steps it. Returns 0, -EINVAL (family not allowed by
 * the link type, options or payload too long), or the sticky -errno.
 */
int pcapw_write_tcp(struct pcapw *w, const struct pcapw_tcp *t);

/* ------------------------------------------------------------------ */
/* Tunnels and IP fragmentation, for every TCP packet written after the
 * call (pcapw_write_frame is never touched). */

/*
 * Encapsulations, as seen on taps and SPAN ports. The outer addresses are
 * fixed: IPv4 192.0.2.1 <-> 192.0.2.2, IPv6 2001:db8:ffff::1 <-> ::2, the
 * ".1" end being the sender of packets that are not `outgoing` (the
 * client's side for pcapw_conn). Inner Ethernet frames use the endpoints'
 * MACs. Checksums of what is added are right (the UDP ones are 0).
 */
enum pcapw_tunnel {
	PCAPW_TUNNEL_NONE = 0,
	PCAPW_TUNNEL_MPLS,          /* labels 16 and 1000 (bottom of stack) then
				     * the IP packet; needs an Ethernet, SLL or
				     * SLL2 link (EtherType 0x8847) */
	PCAPW_TUNNEL_GRE,           /* IPv4 + GRE with checksum, key and
				     * sequence number, protocol IPv4/IPv6 */
	PCAPW_TUNNEL_GRE_ETH,       /* IPv4 + GRE with key, 0x6558 + Ethernet */
	PCAPW_TUNNEL_ERSPAN2,       /* IPv4 + GRE with sequence, 0x88BE +
				     * ERSPAN type II + Ethernet */
	PCAPW_TUNNEL_ERSPAN3,       /* IPv4 + GRE with sequence, 0x22EB +
				     * ERSPAN type III with the platform
				     * subheader + Ethernet */
	PCAPW_TUNNEL_VXLAN,         /* IPv4 + UDP 4789 + VXLAN + Ethernet */
	PCAPW_TUNNEL_GENEVE,        /* IPv4 + UDP 6081 + Geneve with one 8-byte
				     * option + Ethernet */
	PCAPW_TUNNEL_IPIP,          /* IPv4 + the packet (4in4 or 6in4) */
	PCAPW_TUNNEL_IP6IP6,        /* IPv6 + an IPv6 packet */
	PCAPW_TUNNEL_IP4IN6,        /* IPv6 + an IPv4 packet */
	PCAPW_TUNNEL_COUNT,
};

/* "none", "mpls", "gre", "gre-eth", "erspan2", "erspan3", "vxlan",
 * "geneve", "ipip", "ip6ip6", "ip4in6". pcapw_tunnel_parse returns -1 for
 * an unknown name. */
const char *pcapw_tunnel_name(enum pcapw_tunnel t);
int pcapw_tunnel_parse(const char *name);

/*
 * Wrap every later TCP packet. Returns 0, -EINVAL (unknown value) or
 * -ENOMEM. A packet the combination cannot carry (MPLS on a raw link, an
 * IPv6 outer header on LINKTYPE_IPV4, an IPv4 packet in ip6ip6, a packet
 * whose outer IP length would pass 65535) makes pcapw_write_tcp return
 * -EINVAL.
 */
int pcapw_set_tunnel(struct pcapw *w, enum pcapw_tunnel t);

enum pcapw_frag_order {
	PCAPW_FRAG_IN_ORDER = 0,
	PCAPW_FRAG_REVERSE,         /* last fragment first */
	PCAPW_FRAG_SHUFFLE,         /* random order from `seed` */
};

/*
 * IP fragmentation of every later TCP packet that carries data and does
 * not fit in one fragment (handshake, pure ACKs, FIN and RST are never
 * cut). With a tunnel, the inner packet is cut and each fragment wrapped.
 * IPv4 fragments clear DF and share the packet's IP id; IPv6 fragments
 * carry a Fragment header (next header TCP, a fresh 32-bit id per packet).
 */
struct pcapw_frag_opts {
	uint32_t size;              /* data bytes per fragment, a multiple of 8
				     * (the last one takes what is left);
				     * 0 = no fragmentation */
	enum pcapw_frag_order order;
	uint32_t overlap;           /* 0, or a multiple of 8: one more fragment
				     * with the same bytes XOR 0x20 (so which
				     * copy a reassembler keeps shows). It
				     * starts where the first fragment that is
				     * past the TCP header and not the last
				     * one starts, covers this many bytes but
				     * stops where the last fragment starts
				     * (MF always set), and is sent right after
				     * the last fragment it overlaps, before
				     * `order` is applied. Packets with no such
				     * fragment get none. In order, a first-
				     * wins (or bsd, windows, solaris)
				     * reassembler keeps the original bytes, a
				     * last-wins or linux one the changed. */
	bool tiny;                  /* the first fragment carries only 8 bytes:
				     * the TCP ports and sequence number, the
				     * rest of the header in the next one
				     * (RFC 1858's tiny fragment) */
	uint64_t seed;              /* for PCAPW_FRAG_SHUFFLE */
};

/* Set (fo->size != 0) or clear (fo NULL or size 0) fragmentation. Returns
 * 0, -EINVAL (size or overlap not a multiple of 8, size over 65528, an
 * unknown order) or -ENOMEM. */
int pcapw_set_fragment(struct pcapw *w, const struct pcapw_frag_opts *fo);

/* ------------------------------------------------------------------ */
/* Deterministic random numbers (splitmix64), shared by the generators. */

struct pcapw_rng {
	uint64_t s;
};

static inline void pcapw_rng_seed(struct pcapw_rng *r, uint64_t seed)
{
	r->s = seed;
}

static inline uint64_t pcapw_rng_next(struct pcapw_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n = 0 gives 0. The modulo bias is irrelevant here. */
static inline uint64_t pcapw_rng_below(struct pcapw_rng *r, uint64_t n)
{
	return n ? pcapw_rng_next(r) % n : 0;
}

/* True with probability pct/100. */
static inline bool pcapw_rng_pct(struct pcapw_rng *r, unsigned pct)
{
	return pcapw_rng_below(r, 100) < pct;
}

/* ------------------------------------------------------------------ */
/* TCP connections. */

/* Direction = the sending side. */
enum pcapw_dir {
	PCAPW_CLIENT = 0,           /* client -> server */
	PCAPW_SERVER = 1,           /* server -> client */
};

/* Options put on SYN and SYN-ACK (RFC 7323, RFC 2018, RFC 9293 3.7.1). */
enum {
	PCAPW_SYN_MSS = 1,
	PCAPW_SYN_WSCALE = 2,
	PCAPW_SYN_SACKOK = 4,
	PCAPW_SYN_TS = 8,           /* also puts a timestamp on every later
				     * segment, as RFC 7323 section 3.2 asks */
};

struct pcapw_conn_opts {
	uint32_t isn[2];            /* initial sequence numbers per side */
	uint16_t window[2];         /* window field per side */
	uint16_t mss;               /* MSS option value (SYNs) */
	uint8_t wscale;             /* window scale shift (SYNs) */
	uint8_t syn_options;        /* PCAPW_SYN_* bits */
	uint8_t csum;               /* PCAPW_CSUM_* bits for every segment */
	uint8_t emit;               /* bit (1 << dir): write segments sent by
				     * that side; others are only accounted
				     * for (a one-sided SPAN capture) */
};

/* Defaults: ISNs 1000/5000, windows 64240/65160, MSS 1460, no SYN options,
 * good checksums, both directions written. */
void pcapw_conn_opts_default(struct pcapw_conn_opts *o);

/* A connection. Caller-owned (embed it anywhere); no allocation. Fields
 * are private to pcapw.c apart from reading `off` and `fin`. */
struct pcapw_conn {
	struct pcapw *w;
	struct pcapw_endpoint ep[2];    /* [PCAPW_CLIENT], [PCAPW_SERVER] */
	struct pcapw_conn_opts o;
	uint64_t off[2];                /* data bytes sent (next offset) */
	bool fin[2];                    /* FIN sent by that side */
	uint16_t ip_id[2];
	uint64_t segments;              /* segments accounted (incl. unwritten) */
};

/*
 * Set up a connection between two endpoints of the same family, with the
 * data stream of each side starting at offset 0 (sequence ISN + 1).
 * Nothing is written: call pcapw_conn_handshake() for a full capture or
 * start sending at once for a midstream one. o may be NULL for defaults.
 * Returns 0 or -EINVAL (families differ or are unknown).
 */
int pcapw_conn_init(struct pcapw_conn *c, struct pcapw *w,
		    const struct pcapw_endpoint *client,
		    const struct pcapw_endpoint *server,
		    const struct pcapw_conn_opts *o);

/* SYN, SYN-ACK, ACK. Returns 0 or -errno (as pcapw_write_tcp). */
int pcapw_conn_handshake(struct pcapw_conn *c);

/* One packet of the handshake, for generators that interleave packet by
 * packet: PCAPW_CLIENT sends the SYN, PCAPW_SERVER the SYN-ACK; the third
 * packet is pcapw_conn_ack(c, PCAPW_CLIENT). */
int pcapw_conn_syn(struct pcapw_conn *c, enum pcapw_dir dir);

/*
 * Low level: one segment from `dir` whose first byte is at stream offset
 * `off` (sequence ISN + 1 + off), with these flags; if PCAPW_ACK is set the
 * acknowledgement covers everything the peer has sent. Does not move the
 * send offset: use it for retransmissions, overlaps, out-of-order data.
 * len may be 0 (a pure ACK at an arbitrary sequence).
 */
int pcapw_conn_segment(struct pcapw_conn *c, enum pcapw_dir dir, uint64_t off,
		       const uint8_t *data, uint32_t len, uint8_t flags);

/* Move dir's send offset forward by n bytes (after sending them with
 * pcapw_conn_segment, e.g. in an order of the caller's choosing). */
void pcapw_conn_advance(struct pcapw_conn *c, enum pcapw_dir dir, uint64_t n);

/* How a write is cut into segments and disturbed. */
struct pcapw_send_opts {
	uint32_t seg_max;           /* max payload per segment; 0 = 1460 */
	unsigned reorder_pct;       /* chance that a segment and the next one
				     * of the same write are swapped */
	unsigned retransmit_pct;    /* chance that a segment is sent twice */
	unsigned lose_pct;          /* chance that a segment (not the last of
				     * the write) is missing from the capture */
	struct pcapw_rng *rng;      /* required if either pct is non-zero */
};

/*
 * Send `len` bytes from `dir` at its current offset, in segments of at most
 * seg_max bytes, each with ACK (of all peer data) and PSH on the last one,
 * then advance the offset by len. so may be NULL (1460, no disturbance).
 * The clock steps once per segment. Returns 0 or -errno.
 */
int pcapw_conn_send(struct pcapw_conn *c, enum pcapw_dir dir,
		    const uint8_t *data, size_t len,
		    const struct pcapw_send_opts *so);

/* A pure ACK from dir covering all the peer's data (and FIN). */
int pcapw_conn_ack(struct pcapw_conn *c, enum pcapw_dir dir);

/* FIN|ACK from dir; the FIN takes one sequence number. */
int pcapw_conn_fin(struct pcapw_conn *c, enum pcapw_dir dir);

/* RST|ACK from dir at its current sequence. */
int pcapw_conn_rst(struct pcapw_conn *c, enum pcapw_dir dir);

/* Orderly close started by `first`: FIN, FIN from the peer (acking the
 * first FIN), final ACK. */
int pcapw_conn_close(struct pcapw_conn *c, enum pcapw_dir first);

/* Absolute sequence number of dir's stream offset `off`. */
uint32_t pcapw_conn_seq(const struct pcapw_conn *c, enum pcapw_dir dir, uint64_t off);

/* ------------------------------------------------------------------ */
/* Transcripts (the mtpcap language, implemented in mtpcap.c). */

struct pcapw_txn_stats {
	uint64_t packets;           /* packets written */
	uint32_t sessions;          /* connections started */
};

/*
 * Run a transcript (see mtpcap.c for the language) and write the capture
 * to out_path ("-" = standard output). `text` need not be NUL-terminated.
 * C@/S@ paths are relative to base_dir (NULL = current directory).
 * Returns 0; -EINVAL for an error in the transcript, with "line N: what"
 * in err; or -errno for an I/O error, with a message in err. st may be NULL.
 */
int pcapw_txn_run(const char *text, size_t len, const char *base_dir,
		  const char *out_path, char *err, size_t errlen,
		  struct pcapw_txn_stats *st);

#endif
