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
 * Overlaps: for now "first data wins" — bytes already received (delivered
 * or queued) are never replaced by a retransmission; a differing overlap is
 * counted. Target-based policies arrive with issue 4 behind the same API.
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
	FLOW_END_CLOSED,      /* FIN both ways or RST, then the closed timeout */
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
	uint64_t first_us, last_us; /* packet times */
	struct flow_dir_stats dir[2];
	void *app;                  /* consumer's per-flow state, NULL at start */
};

struct reasm_ops {
	/* A packet that matches no tracked flow. Return true to track it and
	 * set *from_client (true if this packet travels client -> server).
	 * Only SYN-less packets or SYNs reach here; called at most once per
	 * new flow candidate. */
	bool (*flow_new)(void *user, const struct decoded_pkt *p, bool *from_client);
	void (*data)(void *user, struct flow *f, enum flow_dir dir,
		     const uint8_t *data, uint32_t len);
	void (*gap)(void *user, struct flow *f, enum flow_dir dir, uint64_t len);
	void (*eof)(void *user, struct flow *f, enum flow_dir dir);
	void (*flow_end)(void *user, struct flow *f, enum flow_end_reason why);
};

struct reasm_config {
	uint32_t max_flows;             /* flow pool size */
	uint32_t max_ooo_segments;      /* segment descriptors in the pool */
	uint64_t max_ooo_bytes;         /* bytes held out of order, all flows */
	uint32_t max_ooo_bytes_per_flow;/* per direction */
	uint64_t timeout_new_us;        /* SYN seen, not established */
	uint64_t timeout_established_us;
	uint64_t timeout_closed_us;     /* after FIN both ways / RST */
	uint32_t worker_id;             /* 0..255, put in flow id bits 45-52 so
					 * ids of different workers never collide */
};

/* Defaults suitable for a sensor: 65536 flows, 64 MiB out of order. */
void reasm_config_default(struct reasm_config *c);

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
	uint64_t overlaps_different;    /* ... whose bytes differ from the first */
	uint64_t ooo_drop_flow_cap;     /* segments refused: per-flow cap */
	uint64_t ooo_drop_total_cap;    /* segments refused: global cap/pool */
	uint64_t gaps, gap_bytes;
	uint64_t bytes_delivered;
	uint64_t ooo_bytes_held;        /* gauge */
	uint64_t ooo_bytes_peak;        /* high-water mark */
	uint64_t syn_on_established;    /* possible port reuse */
	uint64_t flows_bypassed;        /* reasm_flow_bypass() calls */
	uint64_t bytes_bypassed;        /* payload of bypassed flows, not delivered */
	uint64_t rst;
	uint64_t data_after_close;      /* payload after our FIN/RST */
	uint64_t seq_out_of_window;     /* segments/RSTs dropped: seq implausible */
};

struct reasm;

/*
 * Allocate everything for one worker. Returns NULL on allocation failure
 * (start-up only). `ops` and `user` are stored; `ops` must outlive the
 * reassembler.
 */
struct reasm *reasm_create(const struct reasm_config *cfg,
			   const struct reasm_ops *ops, void *user);
void reasm_destroy(struct reasm *r);

/*
 * Process one decoded TCP packet at packet time now_us. May call any of the
 * ops, several times. Times that go backwards are treated as "now" = the
 * latest seen.
 */
void reasm_packet(struct reasm *r, const struct decoded_pkt *p, uint64_t now_us);

/* Expire flows idle past their timeout. Call once per burst or so. */
void reasm_expire(struct reasm *r, uint64_t now_us);

/*
 * End of input: for every flow, deliver what is held out of order (with a
 * gap() before each hole), eof() both directions, flow_end(SHUTDOWN).
 */
void reasm_flush_all(struct reasm *r);

/* The consumer has no more use for f's bytes (it is not the protocol it
 * inspects): from now on nothing of f is delivered, queued or reported as a
 * gap; the flow is still tracked (its packets do not create a new flow)
 * until it closes or times out, and flow_end() still comes. Safe to call
 * from inside the data() callback: the rest of that call's bytes are not
 * delivered. */
void reasm_flow_bypass(struct reasm *r, struct flow *f);

const struct reasm_stats *reasm_get_stats(const struct reasm *r);

/* Memory the reassembler reserved at create time, in bytes. */
uint64_t reasm_memory(const struct reasm *r);

#endif
