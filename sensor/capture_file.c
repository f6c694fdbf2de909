/*
 * capture_file — pcap and pcapng files as a capture source.
 *
 * Classic pcap (the format most sensors' users replay) is read by
 * memory-mapping the file and walking its records: packets are handed to
 * the worker as pointers into the mapping, so nothing is copied and no
 * syscall is made per packet. Every record header is checked against the
 * file size; a record that claims more bytes than remain, or an absurd
 * length, ends the file cleanly with a counter set (a damaged capture must
 * still yield the sessions seen before the damage).
 *
 * pcapng and anything else libpcap understands go through libpcap; its
 * packet buffer is reused on every read, so those packets are copied into a
 * burst buffer allocated at open.
 */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_MAX_RECORD (256u * 1024u) /* libpcap's MAXIMUM_SNAPLEN */

struct file_source {
	struct capture_source src;
	/* mmap reader */
	const uint8_t *map;
	size_t map_len, pos;
	size_t released;         /* pages before this offset were given back */
	bool swapped, nanos;
	/* libpcap reader */
	pcap_t *pcap;
	uint8_t *burst_buf;
	size_t burst_cap;
};

static uint32_t rd32(const struct file_source *f, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return f->swapped ? __builtin_bswap32(v) : v;
}

/* Bytes read past before the pages behind are dropped from memory. */
#define RELEASE_STEP (32u << 20)

static int mmap_rx_burst(struct capture_source *s, struct mt_pkt *pkts, unsigned max)
{
	struct file_source *f = (struct file_source *)s;
	unsigned n = 0;

	/* The previous burst's packets are no longer referenced: give the
	 * clean file pages behind it back, so a capture of any size costs a
	 * bounded amount of memory (one madvise per 32 MiB, not per packet). */
	if (f->pos - f->released >= RELEASE_STEP) {
		size_t end = f->pos & ~(size_t)(RELEASE_STEP - 1);

		madvise((void *)(f->map + f->released), end - f->released, MADV_DONTNEED);
		f->released = end;
	}

	while (n < max) {
		const uint8_t *h = f->map + f->pos;
		uint32_t sec, frac, caplen, wirelen;

		if (f->map_len - f->pos < 16) {
			if (f->map_len != f->pos)
				s->stats.truncated_file = 1;
			f->pos = f->map_len;
			break;
		}
		sec = rd32(f, h);
		frac = rd32(f, h + 4);
		caplen = rd32(f, h + 8);
		wirelen = rd32(f, h + 12);
		if (caplen > PCAP_MAX_RECORD) {
			s->stats.bad_records++;
			f->pos = f->map_len;
			break;
		}
		if (f->map_len - f->pos - 16 < caplen) {
			s->stats.truncated_file = 1;
			f->pos = f->map_len;
			break;
		}
		pkts[n].ts_us = (uint64_t)sec * 1000000u + (f->nanos ? frac / 1000u : frac);
		pkts[n].data = h + 16;
		pkts[n].caplen = caplen;
		pkts[n].wirelen = wirelen;
		if (caplen < wirelen)
			s->stats.snapped++;
		s->stats.bytes += caplen;
		f->pos += 16 + (size_t)caplen;
		n++;
	}
	s->stats.packets += n;
	return (int)n;
}

static void mmap_close(struct capture_source *s)
{
	struct file_source *f = (struct file_source *)s;

	munmap((void *)f->map, f->map_len);
	free(f);
}

static const struct capture_ops mmap_ops = {
	.rx_burst = mmap_rx_burst,
	.close = mmap_close,
};

static int pcap_rx_burst(struct capture_source *s, struct mt_pkt *pkts, unsigned max)
{
	struct file_source *f = (struct file_source *)s;
	size_t used = 0;
	unsigned n = 0;

	while (n < max) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int rc = pcap_next_ex(f->pcap, &h, &d);

		if (rc == PCAP_ERROR_BREAK)
			break;
		if (rc != 1) {
			/* A damaged record ends the file but not the run. */
			s->stats.bad_records++;
			snprintf(s->errbuf, sizeof(s->errbuf), "%s", pcap_geterr(f->pcap));
			break;
		}
		if (h->caplen > PCAP_MAX_RECORD || used + h->caplen > f->burst_cap) {
			if (h->caplen > PCAP_MAX_RECORD) {
				s->stats.bad_records++;
				continue;
			}
			/* Cannot happen: burst_cap is max * PCAP_MAX_RECORD. */
			break;
		}
		memcpy(f->burst_buf + used, d, h->caplen);
		pkts[n].ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		pkts[n].data = f->burst_buf + used;
		pkts[n].caplen = h->caplen;
		pkts[n].wirelen = h->len;
		if (h->caplen < h->len)
			s->stats.snapped++;
		s->stats.bytes += h->caplen;
		used += h->caplen;
		n++;
	}
	s->stats.packets += n;
	return (int)n;
}

static void pcap_src_close(struct capture_source *s)
{
	struct file_source *f = (struct file_source *)s;

	pcap_close(f->pcap);
	free(f->burst_buf);
	free(f);
}

static const struct capture_ops pcap_ops = {
	.rx_burst = pcap_rx_burst,
	.close = pcap_src_close,
};

static struct capture_source *open_mmap(struct file_source *f, int fd, size_t len,
					char *errbuf, size_t errlen, const char *path)
{
	const uint8_t *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	uint32_t magic;

	if (m == MAP_FAILED) {
		snprintf(errbuf, errlen, "%s: cannot map: %s", path, strerror(errno));
		return NULL;
	}
	madvise((void *)m, len, MADV_SEQUENTIAL);
	memcpy(&magic, m, 4);
	f->swapped = magic == __builtin_bswap32(PCAP_MAGIC_US) ||
		     magic == __builtin_bswap32(PCAP_MAGIC_NS);
	f->nanos = magic == PCAP_MAGIC_NS || magic == __builtin_bswap32(PCAP_MAGIC_NS);
	f->map = m;
	f->map_len = len;
	f->pos = 24;
	f->src.ops = &mmap_ops;
	f->src.linktype = (int)(rd32(f, m + 20) & 0x0fffffffu);
	return &f->src;
}

struct capture_source *capture_file_open(const char *path, char *errbuf, size_t errlen)
{
	struct file_source *f = calloc(1, sizeof(*f));
	struct stat st;
	uint8_t hdr[24];
	uint32_t magic = 0;
	int fd;

	if (!f) {
		snprintf(errbuf, errlen, "%s: out of memory", path);
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(errbuf, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size >= 24 && pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr))
		memcpy(&magic, hdr, 4);
	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS ||
	    magic == __builtin_bswap32(PCAP_MAGIC_US) ||
	    magic == __builtin_bswap32(PCAP_MAGIC_NS)) {
		struct capture_source *s = open_mmap(f, fd, (size_t)st.st_size, errbuf, errlen, path);

		close(fd);
		if (!s)
			free(f);
		return s;
	}
	close(fd);
	fd = -1;

	char pe[PCAP_ERRBUF_SIZE];

	f->pcap = pcap_open_offline(path, pe);
	if (!f->pcap) {
		snprintf(errbuf, errlen, "%s: not a readable capture: %s", path, pe);
		goto fail;
	}
	f->burst_cap = (size_t)CAPTURE_BURST * PCAP_MAX_RECORD;
	f->burst_buf = malloc(f->burst_cap);
	if (!f->burst_buf) {
		pcap_close(f->pcap);
		snprintf(errbuf, errlen, "%s: out of memory", path);
		goto fail;
	}
	f->src.ops = &pcap_ops;
	f->src.linktype = pcap_datalink(f->pcap);
	return &f->src;
fail:
	if (fd >= 0)
		close(fd);
	free(f);
	return NULL;
}
