/*
 * capture — the boundary between packet sources and workers.
 *
 * A backend hands packets to a worker in bursts through a small function
 * table: one indirect call per burst, never per packet. Each packet is
 * {timestamp, data, caplen, wirelen}; its data stays valid until the next
 * rx_burst() on the same source. Packet time drives every clock in the
 * pipeline, so replaying a file is deterministic.
 *
 * Backends today: pcap/pcapng files (capture_file.c). Live libpcap,
 * AF_PACKET fanout and DPDK plug in behind the same table.
 */
#ifndef MT_CAPTURE_H
#define MT_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPTURE_BURST 64

struct mt_pkt {
	uint64_t ts_us;          /* packet time, microseconds since the epoch */
	const uint8_t *data;
	uint32_t caplen, wirelen;
};

struct capture_stats {
	uint64_t packets;        /* handed to the worker */
	uint64_t bytes;          /* captured bytes handed over */
	uint64_t truncated_file; /* 1 if the file ended inside a record */
	uint64_t bad_records;    /* records with impossible lengths (stops the file) */
	uint64_t snapped;        /* packets with caplen < wirelen */
};

struct capture_source;

struct capture_ops {
	/* Fill up to max packets; 0 = end of input, -EAGAIN = nothing arrived
	 * for a while (a stream or live source; call again), other <0 =
	 * fatal error (errbuf says why). */
	int (*rx_burst)(struct capture_source *src, struct mt_pkt *pkts, unsigned max);
	void (*close)(struct capture_source *src);
};

struct capture_source {
	const struct capture_ops *ops;
	int linktype;            /* DLT/LINKTYPE value for decode_packet() */
	struct capture_stats stats;
	char errbuf[512];        /* why rx_burst failed / why open failed */
	/* Where every packet's bytes stay valid and unchanged until close
	 * (a mapped capture file), so the reassembler may refer to them
	 * rather than copy them (reasm_set_stable_payload); len 0: no such
	 * promise, a packet's bytes last until the next rx_burst. */
	const uint8_t *stable;
	size_t stable_len;
};

/*
 * Give a source's pager thread, where it has one (a large mapped file:
 * capture_file.c), more to do while it waits for the reader: fn(arg) is
 * called between its own steps, on its thread, and returns whether it
 * did anything (it naps otherwise). NULL fn stops the calls; when this
 * returns, no call is running or will run, so arg may be freed. Returns
 * whether the source has a pager (false: fn is never called).
 */
bool capture_set_pager_hook(struct capture_source *s, bool (*fn)(void *), void *arg);

/*
 * Open a pcap or pcapng file. Classic pcap files are memory-mapped and
 * their packets handed over without a copy; pcapng goes through libpcap.
 * A FIFO or pipe carrying classic pcap is read as it is written (its
 * rx_burst returns -EAGAIN while the writer is quiet).
 * Returns NULL with a message (naming the file) in errbuf.
 */
struct capture_source *capture_file_open(const char *path, char *errbuf, size_t errlen);

#endif
