/*
 * reasm — flow table and TCP stream reassembly.
 *
 * One `struct reasm` per worker: it owns a fixed pool of flows, a hash
 * table over them, per-timeout-class LRU lists and a fixed pool of
 * out-of-order segment storage, all sized at reasm_create() and never grown.
 *
 * The caller feeds decoded TCP packets in capture order; the reassembler
 * turns each direction of each tracked flow into a byte stream and hands it
 * to the consumer through `struct reasm_ops`:
 *
 *   data(dir, ptr, len)  contiguous in-order bytes. Bytes that arrived in
 *                        order are passed straight from the packet (no copy);
 *                        only out-of-order bytes were copied into the pool.
 *                        The pointer is valid only during the call; the
 *                        consumer takes every byte (it is a resumable parser
 *                        with its own bounded state).
 *   gap(dir, n)          n bytes are missing and will never come (hole
 *                        abandoned at flush or when a cap forces it).
 *   eof(dir)             no more bytes in this direction (FIN reached in
 *                        order, RST, timeout, eviction or end of input).
 *   flow_end(reason)     the flow is being recycled; after it returns the
 *                        flow's memory is reused. eof() was already called
 *                        for both directions.
 *
 * Sequence numbers become 64-bit stream offsets at the edge (offset 0 is the
 * byte after the SYN, or the first byte seen when the handshake was missed),
 * so wrap-around exists only in that conversion.
 *
 * Overlaps are resolved per direction by a target-based policy (below),
 * that of the stream's receiver: the server's for client -> server, chosen
 * from its address when the flow is created (reasm_config_add_policy).
 * In-order bytes are delivered at once, from the packet: a policy can only
 * choose between copies of bytes that are still queued. Bytes already
 * delivered stay as delivered; a later copy that differs from them is
 * reported (anomaly "tcp_overlap_different") as long as the reassembler
 * still holds a copy of them: the history, delivered bytes the receiver has
 * not acknowledged yet (once it has, a different copy is what every
 * receiver ignores anyway), bounded per direction and in total.
 *
 * Why not hold delivery back until the receiver acknowledges (as Suricata
 * and Zeek do) so that a policy could choose for every byte? Holding means
 * copying every byte, and a SPAN port often shows one side only, so ACKs
 * cannot be required. A real receiver takes in-order bytes when they come
 * and drops later copies of them (RFC 9293 section 3.10.7.4); only bytes
 * the receiver did not get in order (lost before it, or insertion tricks
 * like a TTL too short to reach it) make a delivered byte wrong, and those
 * are what the history reports. The history costs one copy of delivered
 * bytes into a chunk and a compare on retransmissions: measured on
 * smtpgen's mix (83,901 packets, 80 MB, best of 30 runs, with a consumer
 * that reads every byte as the sensor's does) 0.0155 s without and 0.0200 s
 * with, about 50 ns per packet: 2-3% of the sensor's per-packet time (1.6
 * to 3.1 us in benchmarks/RESULTS.md). max_history_bytes = 0 turns it off.
 * Where the payloads outlive the packet (a mapped capture file:
 * reasm_set_stable_payload), the history refers to them instead of copying.
 *
 * What each policy does (the names are Suricata's host-os-policy and Snort
 * 3's stream_tcp policy names; the semantics are those of Novak & Sturges,
 * "Target-Based TCP Stream Reassembly", 2007). A new segment N meets a
 * queued segment O (O as it arrived, not as later trimmed); for the bytes
 * they share, "new" means N's copy replaces O's:
 *
 *                          first  last  linux  old-   bsd   solaris
 *                          vista        hpux10 linux  macos hpux11
 *                          bsd-right    irix          windows
 *                                                     windows2k3
 *   N starts before O,
 *     ends inside O         old   new   new    new    new   old
 *     covers O              old   new   new    new    new   new
 *   N starts with O,
 *     ends before O's end   old   new   old    old    old   old
 *     ends with O           old   new   old    new    old   new
 *     ends after O          old   new   new    new    old   new
 *   N starts inside O,
 *     ends inside/with O    old   new   old    old    old   old
 *     ends after O          old   new   old    old    old   new
 *
 * So "first" (this reassembler's old behaviour) keeps the first copy
 * everywhere and "last" the last. bsd-right is a defragmentation policy:
 * Suricata's TCP reassembly treats it as first, and so does this one.
 * hpux10 and irix follow Snort (Sturges co-wrote the paper): like linux;
 * Suricata groups them with bsd. solaris and hpux11 take the new copy of
 * an exact duplicate always (Suricata); Snort keeps the old one when the
 * byte before it is missing. Novak & Sturges' own test (the segments of
 * test_reasm's test_policy_novak) gives the same stream either way.
 * For a segment that overlaps bytes already delivered, every policy behaves
 * like every real TCP receiver does for bytes below RCV.NXT: the old copy
 * stands (RFC 9293 section 3.10.7.4 trims a segment to the window). Only
 * "last" would differ, and it cannot un-deliver: the difference is reported.
 *
 * The policy also decides which RSTs are believed (see reasm_policy).
 *
 * TCP state a passive sensor can check (tcp_stream.c): RSTs by policy (an
 * ignored one is counted and raises "tcp_rst_invalid"), data beyond the
 * receiver's window (reasm_window_policy), a new SYN on a closed flow
 * (TIME-WAIT reuse: a new flow) or on a live one (reuse only once the peer
 * answers it with a SYN-ACK), simultaneous open, keep-alives and
 * zero-window probes (never overlaps or retransmissions), urgent data
 * (reasm_urgent_policy), segments cut by the capture's snap length
 * (wire_payload_len: the missing bytes are a gap). A flow whose other side
 * is never seen (one-sided SPAN) is delivered all the same; out-of-order
 * data waits within the per-flow cap, then the hole is given up (gap).
 *
 * Memory. Flows, segment descriptors, out-of-order and history chunks are
 * pools sized at create time: a flood never grows reasm_memory(). A full
 * flow pool evicts the flow that would time out soonest (closed, then
 * half-open, then idle established flows, counted in flows_evicted); a full
 * chunk pool gives up holes (ooo_drop_*) or history (history_no_memory).
 * Idle flows time out per state: timeout_new_us (SYN seen, or no stream
 * yet), timeout_established_us, timeout_closed_us (after FIN both ways or
 * RST). Each flow costs REASM_FLOW_BYTES whether idle or not.
 *
 * Time is packet time (microseconds) passed in by the caller; nothing here
 * reads a clock. No function on the packet path allocates or locks.
 */
#ifndef MT_REASM_H
#define MT_REASM_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

enum flow_dir {
	FLOW_TO_SERVER = 0,   /* client -> server */
	FLOW_TO_CLIENT = 1,   /* server -> client */
};

enum flow_end_reason {
	FLOW_END_CLOSED,      /* FIN both ways or RST, then the closed timeout;
	                       * or a new connection on the same ports */
	FLOW_END_TIMEOUT,     /* idle past its state's timeout */
	FLOW_END_EVICTED,     /* the flow pool was full; the oldest idle went */
	FLOW_END_SHUTDOWN,    /* reasm_flush_all() at end of input */
};

enum flow_tcp_state {
	FLOW_STATE_NEW,       /* SYN seen, no SYN-ACK yet */
	FLOW_STATE_ESTABLISHED,
	FLOW_STATE_CLOSING,   /* FIN seen in one direction */
	FLOW_STATE_CLOSED,    /* FIN both ways, or RST */
};

/*
 * Target-based policies (see the table above). Besides overlaps, the policy
 * decides which RST a server would accept (RFC 5961 section 3 made exact
 * matching the rule; older stacks accepted any RST inside the window):
 *   exact   first, last, bsd, bsd-right, macos, windows, windows2k3, vista,
 *           hpux10, irix: the RST's sequence number must be the next one
 *           the receiver expects;
 *   window  linux, old-linux, solaris: anywhere in the receive window;
 *   after   hpux11: anywhere at or after the next expected one.
 * A passive sensor does not know the receiver's RCV.NXT exactly, only that
 * it lies between the receiver's last ACK and the last byte the sender
 * sent: "exact" accepts that whole range.
 */
enum reasm_policy {
	REASM_POLICY_FIRST = 0,
	REASM_POLICY_LAST,
	REASM_POLICY_LINUX,
	REASM_POLICY_OLD_LINUX,
	REASM_POLICY_BSD,
	REASM_POLICY_BSD_RIGHT,
	REASM_POLICY_MACOS,
	REASM_POLICY_WINDOWS,
	REASM_POLICY_WINDOWS2K3,
	REASM_POLICY_VISTA,
	REASM_POLICY_SOLARIS,
	REASM_POLICY_HPUX10,
	REASM_POLICY_HPUX11,
	REASM_POLICY_IRIX,
	REASM_POLICY_COUNT,
};

/*
 * Urgent data (URG flag, urgent pointer; RFC 9293 section 3.8.5). Every
 * common stack reads the urgent pointer as pointing just past the urgent
 * byte (RFC 6093 section 4), and a socket without SO_OOBINLINE takes that
 * one byte out of the stream. Like Suricata's stream.reassembly.urgent:
 *   inline  the byte stays in the stream (SO_OOBINLINE; the default);
 *   oob     the byte is removed (what an application reading the socket
 *           normally sees); the stream closes up around it;
 *   gap     the byte is replaced by a 1-byte gap().
 * Only the urgent byte of a segment that carries it is affected; a pointer
 * beyond the segment's data marks a byte still to come (it is applied
 * when that byte is delivered, unless a later URG moves it).
 */
enum reasm_urgent_policy {
	REASM_URGENT_INLINE = 0,
	REASM_URGENT_OOB,
	REASM_URGENT_GAP,
	REASM_URGENT_COUNT,
};

/*
 * Data beyond the receiver's advertised window (right edge = its highest
 * ACK + window << scale, the highest edge seen, known only once both SYNs
 * were seen). A receiver drops such bytes (RFC 9293 section 3.10.7.4), so
 * an attacker can use them to show the sensor bytes the server never gets.
 *   check   a segment starting beyond the edge is counted and raises
 *           "tcp_window_exceeded"; its bytes are still reassembled (the
 *           default: a window update lost by the capture must not lose
 *           data);
 *   drop    as count, and bytes beyond the edge are discarded as the
 *           receiver would;
 *   ignore  no check.
 * A 1-byte segment at the edge of a zero window is a zero-window probe,
 * never an anomaly (see reasm_stats.zero_window_probes).
 */
enum reasm_window_policy {
	REASM_WINDOW_CHECK = 0,
	REASM_WINDOW_DROP,
	REASM_WINDOW_IGNORE,
	REASM_WINDOW_POLICY_COUNT,
};

/* Per-direction counters visible to the consumer (for EVE "flow" fields). */
struct flow_dir_stats {
	uint64_t pkts;
	uint64_t bytes;         /* captured bytes of the frames, link header
	                         * included (as Suricata's flow bytes) */
	uint64_t stream_bytes;  /* payload bytes delivered in order */
	uint64_t gap_bytes;     /* bytes declared missing */
};

/* The public part of a flow. The reassembler's private state follows it in
 * memory; the consumer must not touch anything but `app`. */
struct flow {
	uint64_t id;                /* unique, nonzero, < 2^53 (JSON-safe) */
	struct mt_addr client, server;
	uint16_t client_port, server_port;
	uint8_t ip_version;
	uint8_t state;              /* enum flow_tcp_state */
	bool midstream;             /* handshake not seen */
	bool bypass;                /* reasm_flow_bypass(): tracked, not delivered */
	uint16_t vlan;              /* outer VLAN id, 0 if none */
	uint8_t policy;             /* enum reasm_policy, from the server address */
	uint64_t first_us, last_us; /* packet times */
	struct flow_dir_stats dir[2];
	void *app;                  /* consumer's per-flow state, NULL at start */
};

/*
 * Anomaly names raised through reasm_ops.anomaly, each at most once per
 * flow (the counters in reasm_stats count every occurrence):
 *   tcp_overlap_different   a segment's bytes differ from the copy of the
 *                           same stream bytes already delivered (and still
 *                           in the history) or queued: one side of the
 *                           wire saw different data from the other;
 *   tcp_rst_invalid         a RST the server's policy would not accept
 *                           (sequence number not where the receiver
 *                           expects it); ignored;
 *   tcp_window_exceeded     data that starts beyond the receiver's
 *                           advertised window;
 *   tcp_syn_on_established  a SYN with a new initial sequence number on a
 *                           connection not closed: port reuse after an end
 *                           we did not see, or an injected SYN; the old
 *                           connection stands until the server answers it
 *                           with a SYN-ACK;
 *   tcp_urgent_data         a segment with the URG flag and an urgent
 *                           pointer (receivers disagree on urgent bytes).
 * REASM_ANOMALY_NAMES lists them all, for a registry.
 */
#define REASM_ANOMALY_OVERLAP_DIFFERENT  "tcp_overlap_different"
#define REASM_ANOMALY_RST_INVALID        "tcp_rst_invalid"
#define REASM_ANOMALY_WINDOW_EXCEEDED    "tcp_window_exceeded"
#define REASM_ANOMALY_SYN_ON_ESTABLISHED "tcp_syn_on_established"
#define REASM_ANOMALY_URGENT_DATA        "tcp_urgent_data"
#define REASM_ANOMALY_NAMES { REASM_ANOMALY_OVERLAP_DIFFERENT, REASM_ANOMALY_RST_INVALID, \
	REASM_ANOMALY_WINDOW_EXCEEDED, REASM_ANOMALY_SYN_ON_ESTABLISHED, REASM_ANOMALY_URGENT_DATA }

struct reasm_ops {
	/* A packet that matches no tracked flow. Return true to track it and
	 * set *from_client (true if this packet travels client -> server).
	 * Only SYN-less packets or SYNs reach here; called at most once per
	 * new flow candidate. (A SYN-ACK reaches it too when it confirms a new
	 * connection on the ports of a live one: the new flow's first packet
	 * is then that SYN-ACK.) */
	bool (*flow_new)(void *user, const struct decoded_pkt *p, bool *from_client);
	void (*data)(void *user, struct flow *f, enum flow_dir dir,
		     const uint8_t *data, uint32_t len);
	void (*gap)(void *user, struct flow *f, enum flow_dir dir, uint64_t len);
	void (*eof)(void *user, struct flow *f, enum flow_dir dir);
	void (*flow_end)(void *user, struct flow *f, enum flow_end_reason why);
	/* Optional (NULL: not told). `name` is one of REASM_ANOMALY_NAMES, a
	 * static string; `dir` is the direction of the packet that caused it.
	 * Called during reasm_packet() of that packet (after data() for the
	 * bytes that showed the difference, for tcp_overlap_different). */
	void (*anomaly)(void *user, struct flow *f, enum flow_dir dir, const char *name);
};

/* Server networks with their own policy: an entry matches a server address
 * whose first prefix_len bits equal net's (IPv4 prefixes are stored in
 * IPv4-mapped form, 96 + n bits); the longest match wins. */
#define REASM_MAX_POLICY_NETS 64

struct reasm_policy_net {
	struct mt_addr net;
	uint8_t prefix_len;             /* 0..128, over the 16-byte form */
	uint8_t policy;                 /* enum reasm_policy */
};

struct reasm_config {
	uint32_t max_flows;             /* flow pool size */
	uint32_t max_ooo_segments;      /* segment descriptors in the pool */
	uint64_t max_ooo_bytes;         /* bytes held out of order, all flows */
	uint32_t max_ooo_bytes_per_flow;/* per direction: the bytes of its
					 * queued segments, each counted as at
					 * least 256 (tcp_queue.c seg_charge) */
	uint64_t timeout_new_us;        /* SYN seen, not established */
	uint64_t timeout_established_us;
	uint64_t timeout_closed_us;     /* after FIN both ways / RST */
	uint32_t worker_id;             /* 0..255, put in flow id bits 45-52 so
					 * ids of different workers never collide */
	/* History: delivered bytes kept until the receiver acknowledges them,
	 * only to compare retransmissions with (tcp_overlap_different). Per
	 * direction and in total; 0 turns it off. Its memory is its own: it
	 * never takes room from out-of-order data. */
	uint32_t max_history_bytes_per_flow;
	uint64_t max_history_bytes;
	uint8_t policy_default;         /* enum reasm_policy: servers in no net */
	uint8_t urgent_policy;          /* enum reasm_urgent_policy */
	uint8_t window_policy;          /* enum reasm_window_policy */
	uint16_t n_policy_nets;
	struct reasm_policy_net policy_nets[REASM_MAX_POLICY_NETS];
};

/* Defaults suitable for a sensor: 65536 flows, 64 MiB out of order, 16 MiB
 * of history (16 KiB per direction), policy bsd (Suricata's and Snort's
 * default), urgent inline, window check. */
void reasm_config_default(struct reasm_config *c);

/* "first", "last", "linux", "old-linux", "bsd", "bsd-right", "macos",
 * "windows", "windows2k3", "vista", "solaris", "hpux10", "hpux11", "irix"
 * (case-insensitive; '_' for '-' and Snort's "old_linux", "win_2003",
 * "hpux" also accepted) -> enum reasm_policy, or -1. */
int reasm_policy_parse(const char *name);

/* The canonical name of a policy, or NULL if out of range. Static. */
const char *reasm_policy_name(int policy);

/* "inline", "oob", "gap" -> enum reasm_urgent_policy, or -1; and back. */
int reasm_urgent_policy_parse(const char *name);
const char *reasm_urgent_policy_name(int policy);

/* "check", "drop", "ignore" -> enum reasm_window_policy, or -1; and back. */
int reasm_window_policy_parse(const char *name);
const char *reasm_window_policy_name(int policy);

/*
 * Servers in net/prefix_len use `policy`. For an IPv4 net (IPv4-mapped
 * mt_addr) prefix_len counts IPv4 bits (0..32), otherwise 0..128. Host bits
 * of net are ignored. The same net again replaces its policy. Returns 0,
 * -EINVAL (prefix_len or policy out of range), or -ENOSPC (table full).
 * Start-up only: the table is read when a flow is created.
 */
int reasm_config_add_policy(struct reasm_config *c, const struct mt_addr *net,
			    unsigned prefix_len, int policy);

/* The policy a server address gets under c (longest prefix, else the
 * default). */
int reasm_config_policy_for(const struct reasm_config *c, const struct mt_addr *server);

struct reasm_stats {
	uint64_t flows_created;
	uint64_t flows_active;          /* gauge */
	uint64_t flows_refused;         /* flow_new() said no */
	uint64_t flows_closed, flows_timeout, flows_evicted, flows_shutdown;
	uint64_t flows_no_memory;       /* pool full and nothing evictable */
	uint64_t midstream;             /* flows picked up without handshake */
	uint64_t pkts;                  /* TCP packets on tracked flows */
	uint64_t segs_in_order;         /* delivered straight from the packet */
	uint64_t segs_ooo;              /* queued out of order */
	uint64_t segs_retransmitted;    /* entirely old data */
	uint64_t overlaps;              /* partially old data */
	uint64_t overlaps_different;    /* ... whose bytes differ from the first
					 * copy (queued, or delivered and still
					 * in the history) */
	uint64_t overlaps_replaced;     /* the policy took the new copy over
					 * queued bytes */
	uint64_t ooo_drop_flow_cap;     /* segments refused: per-flow cap */
	uint64_t ooo_drop_total_cap;    /* segments refused: global cap/pool */
	uint64_t gaps, gap_bytes;
	uint64_t bytes_delivered;
	uint64_t ooo_bytes_held;        /* gauge */
	uint64_t ooo_bytes_peak;        /* high-water mark */
	uint64_t syn_on_established;    /* SYN with a new ISN, flow not closed */
	uint64_t port_reuse;            /* flows ended by a new connection on
					 * the same addresses and ports */
	uint64_t simultaneous_open;     /* SYN both ways (RFC 9293 3.5) */
	uint64_t gaps_acked;            /* holes given up because the receiver
					 * acknowledged past them (lost by the
					 * capture, data queued behind them) */
	uint64_t flows_bypassed;        /* reasm_flow_bypass() calls */
	uint64_t bytes_bypassed;        /* payload of bypassed flows, not delivered */
	uint64_t rst;                   /* RSTs believed */
	uint64_t rst_invalid;           /* RSTs ignored: not acceptable under
					 * the flow's policy */
	uint64_t data_after_close;      /* payload after our FIN/RST */
	uint64_t seq_out_of_window;     /* segments dropped: seq implausible
					 * (more than 2^30 from the stream) */
	uint64_t window_exceeded;       /* segments starting beyond the
					 * receiver's window */
	uint64_t window_bytes_dropped;  /* bytes beyond it (window policy drop) */
	uint64_t keepalives;            /* 0/1 byte at SND.NXT - 1 (RFC 9293
					 * 3.8.4): not a retransmission */
	uint64_t zero_window_probes;    /* 1 byte at a zero window's edge: held
					 * until acked or sent again */
	uint64_t urgent;                /* segments with URG and a pointer */
	uint64_t urgent_bytes_removed;  /* urgent bytes taken out (oob/gap) */
	uint64_t snapped_segments;      /* captured payload shorter than the IP
					 * length says (snap length) */
	uint64_t snapped_bytes;         /* their missing bytes (become gaps) */
	uint64_t history_bytes_held;    /* gauge: history chunk bytes */
	uint64_t history_no_memory;     /* history dropped: total cap reached */
	uint64_t history_evicted_bytes; /* oldest history bytes dropped for
					 * the per-direction cap */
	uint64_t anomalies;             /* anomaly() calls */
};

struct reasm;

/*
 * Allocate everything for one worker. Returns NULL on allocation failure
 * or a config out of range (start-up only). `ops` and `user` are stored;
 * `ops` must outlive the reassembler. The config is copied.
 */
struct reasm *reasm_create(const struct reasm_config *cfg,
			   const struct reasm_ops *ops, void *user);
void reasm_destroy(struct reasm *r);

/*
 * Process one decoded TCP packet at packet time now_us. May call any of the
 * ops, several times. Times that go backwards are treated as "now" = the
 * latest seen. Besides the segment itself it reads:
 *   p->urg_ptr           the TCP urgent pointer (host order), used when
 *                        TCP_URG is set (urgent policy, anomaly
 *                        tcp_urgent_data);
 *   p->wire_payload_len  the TCP payload length the IP header gives: more
 *                        than p->payload_len when the capture's snap length
 *                        cut the frame. The missing bytes become a gap
 *                        where they are reached (never data that later
 *                        bytes would slide into); a value below payload_len
 *                        (0 in a hand-built packet) is taken as payload_len.
 */
void reasm_packet(struct reasm *r, const struct decoded_pkt *p, uint64_t now_us);

/*
 * For a caller that looks a burst up ahead: reasm_flow_hash() is the
 * packet's flow-table hash, reasm_packet_hashed() is reasm_packet() given
 * it (h must be reasm_flow_hash(r, p)), so it is computed once. The cache
 * hints let a burst's lookups overlap their memory latency instead of
 * paying it one after the other: REASM_PREFETCH_SLOT fetches the slot (a
 * few packets ahead); REASM_PREFETCH_FLOW reads that slot, by then in
 * cache, and fetches the flow it names (a packet or two ahead). Hints
 * change nothing.
 */
uint32_t reasm_flow_hash(const struct reasm *r, const struct decoded_pkt *p);
void reasm_packet_hashed(struct reasm *r, const struct decoded_pkt *p, uint32_t h,
			 uint64_t now_us);
enum reasm_prefetch { REASM_PREFETCH_SLOT, REASM_PREFETCH_FLOW };
void reasm_prefetch(const struct reasm *r, uint32_t h, enum reasm_prefetch what);

/*
 * The reassembler's pools as regions another thread may populate ahead of
 * their use (sensor/prefault.h): the flows and the chunks, each handed
 * out in address order until used once, with a watermark of the bytes
 * used so far that the reassembler stores atomically. Up to max into out;
 * the count (0 with MT_POOL_MALLOC, where each is a malloc).
 */
struct reasm_region {
	void *base;
	size_t len;
	const size_t *hwm;
};
unsigned reasm_regions(const struct reasm *r, struct reasm_region *out, unsigned max);

/* Expire flows idle past their timeout. Call once per burst or so. */
void reasm_expire(struct reasm *r, uint64_t now_us);

/*
 * End of input: for every flow, deliver what is held out of order (with a
 * gap() before each hole), eof() both directions, flow_end(SHUTDOWN).
 */
void reasm_flush_all(struct reasm *r);

/*
 * Payload memory [base, base + len) that stays valid and unchanged until
 * the reassembler is destroyed or given another range (a capture file
 * mapped into memory; reading its pages again after they were given back
 * faults them in from the file). The history of delivered bytes then
 * refers to payload bytes inside it instead of copying them: on xgen's
 * 201 MB capture the copies wrote every byte of the streams once more,
 * 7% of a like-for-like run. A len of 0 goes back to copying. Only while
 * no flow is open (before the first packet, or after reasm_flush_all()):
 * -EBUSY otherwise.
 */
int reasm_set_stable_payload(struct reasm *r, const void *base, size_t len);

/* The consumer has no more use for f's bytes (it is not the protocol it
 * inspects): from now on nothing of f is delivered, queued or reported as a
 * gap; the flow is still tracked (its packets do not create a new flow)
 * until it closes or times out, and flow_end() still comes. Safe to call
 * from inside the data() callback: the rest of that call's bytes are not
 * delivered. */
void reasm_flow_bypass(struct reasm *r, struct flow *f);

const struct reasm_stats *reasm_get_stats(const struct reasm *r);

/*
 * Memory the reassembler reserved at create time, in bytes. Per flow of the
 * pool that is REASM_FLOW_BYTES: the flow itself (public and private
 * state, both directions), its two hash table slots and its free-list
 * entry, whether the flow is idle or not; held data (out of order,
 * history) comes from the shared pools on top. Measured by test_reasm on
 * x86-64 (it fails if this number goes stale): 368 bytes of flow, 16 of
 * table, 4 of free list (8 more with -Dpool_malloc, for the pointer).
 */
#define REASM_FLOW_BYTES 388

uint64_t reasm_memory(const struct reasm *r);

#endif
