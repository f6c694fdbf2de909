/*
 * bench_reasm — the reassembly stage alone: decode + flow table + TCP
 * reassembly, delivering to a consumer that only counts bytes, against
 * decode alone on the same packets in the same run (the baseline).
 *
 *   bench_reasm [--reps N] CAPTURE...
 *
 * Each capture is read into memory once (libpcap), then the two passes
 * alternate N times; the medians are printed with bytes/s, packets/s and
 * the reassembly's cost over decoding. Run it on an in-order capture and
 * on one with reordering (smtpgen --reorder 1%) to see what out-of-order
 * data costs. No timed assertion anywhere: figures, for RESULTS.md.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "reasm.h"

struct pkt {
	const uint8_t *data;
	uint32_t caplen;
	uint64_t ts_us;
};

struct counts {
	uint64_t bytes, gaps, flows;
};

static bool on_new(void *user, const struct decoded_pkt *p, bool *from_client)
{
	(void)user;
	*from_client = p->dport == 25 || (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
	return true;
}

static void on_data(void *user, struct flow *f, enum flow_dir d, const uint8_t *p, uint32_t n)
{
	struct counts *c = user;

	(void)f, (void)d;
	c->bytes += n;
	if (n)
		c->bytes += p[n - 1] & 0;   /* touch the data, as a parser would */
}

static void on_gap(void *user, struct flow *f, enum flow_dir d, uint64_t n)
{
	struct counts *c = user;

	(void)f, (void)d, (void)n;
	c->gaps++;
}

static void on_eof(void *user, struct flow *f, enum flow_dir d)
{
	(void)user, (void)f, (void)d;
}

static void on_end(void *user, struct flow *f, enum flow_end_reason why)
{
	struct counts *c = user;

	(void)f, (void)why;
	c->flows++;
}

static const struct reasm_ops ops = {
	.flow_new = on_new, .data = on_data, .gap = on_gap, .eof = on_eof, .flow_end = on_end,
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int reps = 5, first = 1;

	if (argc > 2 && strcmp(argv[1], "--reps") == 0) {
		reps = atoi(argv[2]);
		first = 3;
	}
	if (first >= argc || reps < 1 || reps > 100) {
		fprintf(stderr, "usage: bench_reasm [--reps N] CAPTURE...\n");
		return 2;
	}
	printf("| capture | packets | MB | decode s | decode+reasm s | reasm Gbit/s | reasm Mpkt/s | cost vs decode |\n"
	       "|---|---|---|---|---|---|---|---|\n");
	for (int a = first; a < argc; a++) {
		char err[PCAP_ERRBUF_SIZE];
		pcap_t *pc = pcap_open_offline(argv[a], err);
		struct pcap_pkthdr *h;
		const u_char *d;
		struct pkt *pk = NULL;
		size_t n = 0, cap = 0;
		uint64_t bytes = 0;
		int link;
		double td[100], tr[100];
		struct decode_opts dopts = { 0 };

		if (!pc) {
			fprintf(stderr, "bench_reasm: %s: %s\n", argv[a], err);
			return 1;
		}
		link = pcap_datalink(pc);
		while (pcap_next_ex(pc, &h, &d) == 1) {
			uint8_t *copy = malloc(h->caplen ? h->caplen : 1);

			if (n == cap) {
				cap = cap ? cap * 2 : 65536;
				pk = realloc(pk, cap * sizeof(*pk));
			}
			if (!copy || !pk)
				return 1;
			memcpy(copy, d, h->caplen);
			pk[n].data = copy;
			pk[n].caplen = h->caplen;
			pk[n].ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
			bytes += h->caplen;
			n++;
		}
		pcap_close(pc);
		for (int r = 0; r < reps; r++) {
			struct decode_stats ds;
			struct decoded_pkt p;
			struct counts c = { 0 };
			struct reasm_config rc;
			struct reasm *rs;
			double t0;
			uint64_t sink = 0;

			memset(&ds, 0, sizeof(ds));
			t0 = now_s();
			for (size_t i = 0; i < n; i++)
				if (decode_packet(link, pk[i].data, pk[i].caplen, &dopts, &p, &ds) == DECODE_OK)
					sink += p.payload_len;
			td[r] = now_s() - t0;

			reasm_config_default(&rc);
			rs = reasm_create(&rc, &ops, &c);
			if (!rs)
				return 1;
			memset(&ds, 0, sizeof(ds));
			t0 = now_s();
			for (size_t i = 0; i < n; i++)
				if (decode_packet(link, pk[i].data, pk[i].caplen, &dopts, &p, &ds) == DECODE_OK)
					reasm_packet(rs, &p, pk[i].ts_us);
			reasm_flush_all(rs);
			tr[r] = now_s() - t0;
			reasm_destroy(rs);
			if (r == reps - 1)
				fprintf(stderr, "%s: %llu payload bytes decoded, %llu delivered, %llu gaps, %llu flows\n",
					argv[a], (unsigned long long)sink, (unsigned long long)c.bytes,
					(unsigned long long)c.gaps, (unsigned long long)c.flows);
		}
		qsort(td, (size_t)reps, sizeof(double), cmp_d);
		qsort(tr, (size_t)reps, sizeof(double), cmp_d);
		{
			double md = td[reps / 2], mr = tr[reps / 2];
			const char *base = strrchr(argv[a], '/');

			printf("| %s | %zu | %.0f | %.3f | %.3f | %.2f | %.2f | %.2fx |\n",
			       base ? base + 1 : argv[a], n, (double)bytes / 1e6, md, mr,
			       (double)bytes * 8 / mr / 1e9, (double)n / mr / 1e6, mr / md);
		}
		for (size_t i = 0; i < n; i++)
			free((void *)pk[i].data);
		free(pk);
	}
	return 0;
}
