/*
 * pcap_floor — the throughput floor for reading a capture file.
 *
 *   pcap_floor FILE
 *
 * Reads every packet of FILE (pcap or pcapng) with libpcap's pcap_next_ex
 * and touches the first and last byte of each, so the data really crosses
 * the memory bus; nothing else. No sensor can read the same file faster
 * than this, so benchmark results are reported against it. Prints one JSON
 * line: {"packets":N,"bytes":N,"seconds":S}, bytes being the captured
 * bytes of all packets and seconds the wall time from opening the file to
 * the end of the loop.
 *
 * Exit status: 0, 1 if the file cannot be read, 2 for bad usage.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct timespec t0, t1;
	uint64_t packets = 0, bytes = 0;
	unsigned touch = 0;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: pcap_floor FILE\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p = pcap_open_offline(argv[1], errbuf);
	if (!p) {
		fprintf(stderr, "pcap_floor: %s\n", errbuf);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		bytes += h->caplen;
		if (h->caplen)
			touch += data[0] + data[h->caplen - 1];
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "pcap_floor: %s: %s\n", argv[1], pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pcap_close(p);
	/* Keep the touched bytes observable so the reads cannot be elided. */
	__asm__ volatile("" : : "r"(touch));
	printf("{\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"seconds\":%.6f}\n",
	       packets, bytes,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
