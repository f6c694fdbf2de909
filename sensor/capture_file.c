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
 *
 * A FIFO or pipe (`mkfifo f; tcpdump -w f`, /dev/stdin) cannot be mapped:
 * its classic pcap is read through a buffer allocated at open, filled by
 * one read() for as many packets as have arrived, and the packets are
 * handed over as pointers into it. A burst returns what has arrived rather
 * than waiting for a full one, and when nothing arrives for
 * STREAM_IDLE_MS (or a signal interrupts the wait) rx_burst returns
 * -EAGAIN, so the caller can serve a rule reload and write out its events
 * while the writer is quiet. pcapng is refused there: libpcap's reader
 * would block inside a record.
 */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
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
#define STREAM_BUF (4u << 20)          /* holds any record, many small ones */
#define STREAM_IDLE_MS 200

struct file_source {
	struct capture_source src;
	/* mmap reader */
	const uint8_t *map;
	size_t map_len, pos;
	size_t released;         /* pages before this offset were given back */
	size_t populated;        /* page tables are filled up to this offset */
	size_t prefetched;       /* cache lines requested up to this offset */
	bool swapped, nanos;
	size_t ahead;            /* populate when the reader is this near */
	/* pager thread (large files): populates and releases instead of the
	 * reader, which only publishes where it is */
	pthread_t pager;
	bool pager_on;
	size_t reader_pos;       /* atomic: the current burst's first record */
	int pager_stop;          /* atomic */
	/* its spare work (capture_set_pager_hook): hook atomic, arg set
	 * before it; in_hook (atomic) while a call runs */
	bool (*hook)(void *);
	void *hook_arg;
	int in_hook;
	/* libpcap reader */
	pcap_t *pcap;
	uint8_t *burst_buf;
	size_t burst_cap;
	/* stream reader: sbuf[spos, slen) not yet handed over */
	int fd;
	uint8_t *sbuf;
	size_t slen, spos;
	bool seof;
};

static uint32_t rd32(const struct file_source *f, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return f->swapped ? __builtin_bswap32(v) : v;
}

/* The pcap record at h (avail bytes from there on), for both readers: a
 * whole one into *p, counted (snapped, bytes): 1; one cut short (header
 * or data): 0, nothing counted; an impossible length: -1 (bad_records
 * counted). The caller moves past the record (16 + p->caplen) and
 * decides what an incomplete one means. */
static int parse_record(struct file_source *f, const uint8_t *h, size_t avail, struct mt_pkt *p)
{
	uint32_t sec, frac, caplen, wirelen;

	if (avail < 16)
		return 0;
	sec = rd32(f, h);
	frac = rd32(f, h + 4);
	caplen = rd32(f, h + 8);
	wirelen = rd32(f, h + 12);
	if (caplen > PCAP_MAX_RECORD) {
		f->src.stats.bad_records++;
		return -1;
	}
	if (avail - 16 < caplen)
		return 0;
	p->ts_us = (uint64_t)sec * 1000000u + (f->nanos ? frac / 1000u : frac);
	p->data = h + 16;
	p->caplen = caplen;
	p->wirelen = wirelen;
	if (caplen < wirelen)
		f->src.stats.snapped++;
	f->src.stats.bytes += caplen;
	return 1;
}

/* Bytes read past before the pages behind are dropped from memory. */
#define RELEASE_STEP (32u << 20)
/* Bytes of the file requested into the cache ahead of the reader. */
#define PREFETCH_AHEAD (16u << 10)
/* Pages mapped ahead of the reader per call (one call per 4 MiB). */
#define POPULATE_STEP (4u << 20)
/* How far ahead the pager keeps the mapping populated. */
#define PAGER_AHEAD (16u << 20)
/* Files this large get a pager thread; smaller ones are populated by the
 * reader, in a call or two (a thread per fuzz input would cost more). */
#define PAGER_MIN_FILE (32u << 20)
/* The pager's nap when the reader has not moved (no work is lost: the
 * reader takes a fault where the pager is late). */
#define PAGER_NAP_US 250

/* Keep the mapping populated ahead of pos and give back the pages well
 * behind it: the reader calls this at each burst, or the pager does. */
static void page_step(struct file_source *f, size_t pos)
{
	/* The previous burst's packets are no longer referenced: give the
	 * clean file pages behind it back, so a capture of any size costs a
	 * bounded amount of memory (one madvise per 32 MiB, not per packet). */
	if (pos - f->released >= RELEASE_STEP) {
		size_t end = pos & ~(size_t)(RELEASE_STEP - 1);

		madvise((void *)(f->map + f->released), end - f->released, MADV_DONTNEED);
		f->released = end;
	}
	/* Map the next step's pages in one call ahead of the reader instead of
	 * taking a page fault every few pages (fault-around maps 16): a
	 * tenth of a 0-rule run went to those faults. Kernels before 5.14
	 * refuse MADV_POPULATE_READ; the faults then happen as before. */
#ifdef MADV_POPULATE_READ
	if (f->populated < f->map_len && pos + f->ahead >= f->populated) {
		size_t from = f->populated & ~(size_t)4095, to = f->populated + POPULATE_STEP;

		if (to > f->map_len)
			to = f->map_len;
		if (madvise((void *)(f->map + from), to - from, MADV_POPULATE_READ) != 0)
			to = f->map_len;        /* unsupported: stop trying */
		f->populated = to;
	}
#endif
}

/*
 * The pager: the same steps on its own thread, so that filling page tables
 * (the kernel's next_uptodate_folio, 3-4% of a run) and dropping them
 * behind the reader (1%) happen on the machine's other core instead of
 * the worker's. It is not on the packet path: it touches no packet and
 * shares only the reader's published position (one atomic store per
 * burst, no lock), and it takes no signal (the main thread's). Releasing
 * behind that position is what the reader did itself: the packets before
 * its current burst are no longer referenced, and bytes the reassembler
 * still refers to come back from the file when read (a minor fault).
 * Between its steps it runs the hook the source's user gave it
 * (capture_set_pager_hook: the worker's pools, prefault.h).
 */
static void *pager_main(void *arg)
{
	struct file_source *f = arg;

	while (!__atomic_load_n(&f->pager_stop, __ATOMIC_ACQUIRE)) {
		size_t pos = __atomic_load_n(&f->reader_pos, __ATOMIC_ACQUIRE);
		size_t pop = f->populated, rel = f->released;
		bool worked = false;
		bool (*fn)(void *);

		page_step(f, pos);
		/* the hook: seq_cst against capture_set_pager_hook() (one of
		 * the two sees the other's store) */
		__atomic_store_n(&f->in_hook, 1, __ATOMIC_SEQ_CST);
		fn = __atomic_load_n(&f->hook, __ATOMIC_SEQ_CST);
		if (fn)
			worked = fn(f->hook_arg);
		__atomic_store_n(&f->in_hook, 0, __ATOMIC_SEQ_CST);
		if (!worked && pop == f->populated && rel == f->released)
			usleep(PAGER_NAP_US);
	}
	return NULL;
}

static int mmap_rx_burst(struct capture_source *s, struct mt_pkt *pkts, unsigned max)
{
	struct file_source *f = (struct file_source *)s;
	unsigned n = 0;

	if (f->pager_on)
		__atomic_store_n(&f->reader_pos, f->pos, __ATOMIC_RELEASE);
	else
		page_step(f, f->pos);

	while (n < max) {
		size_t avail = f->map_len - f->pos;
		size_t ahead = f->pos + (avail < PREFETCH_AHEAD ? avail : PREFETCH_AHEAD);
		int rc;

		/* Each record's header gives the next one's place, so reading
		 * them is a chain of cache misses; the file is read in order,
		 * so ask for the lines ahead of the chain (the payloads too,
		 * which reassembly reads next). */
		for (; f->prefetched < ahead; f->prefetched += 64)
			__builtin_prefetch(f->map + f->prefetched);
		rc = parse_record(f, f->map + f->pos, avail, &pkts[n]);

		if (rc <= 0) {
			/* a record cut short is the file's end */
			if (rc == 0 && avail)
				s->stats.truncated_file = 1;
			f->pos = f->map_len;
			break;
		}
		f->pos += 16 + (size_t)pkts[n].caplen;
		n++;
	}
	s->stats.packets += n;
	return (int)n;
}

static void mmap_close(struct capture_source *s)
{
	struct file_source *f = (struct file_source *)s;

	if (f->pager_on) {
		__atomic_store_n(&f->pager_stop, 1, __ATOMIC_RELEASE);
		pthread_join(f->pager, NULL);
	}
	munmap((void *)f->map, f->map_len);
	free(f);
}

static const struct capture_ops mmap_ops = {
	.rx_burst = mmap_rx_burst,
	.close = mmap_close,
};

bool capture_set_pager_hook(struct capture_source *s, bool (*fn)(void *), void *arg)
{
	struct file_source *f = (struct file_source *)s;

	if (s->ops != &mmap_ops || !f->pager_on)
		return false;
	__atomic_store_n(&f->hook, NULL, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&f->in_hook, __ATOMIC_SEQ_CST))
		sched_yield();
	if (fn) {
		f->hook_arg = arg;
		__atomic_store_n(&f->hook, fn, __ATOMIC_SEQ_CST);
	}
	return true;
}

/* One whole record at sbuf + spos into *p: 1; an incomplete one: 0; an
 * impossible length: -1 (counted; the stream is given up, as a file is). */
static int stream_record(struct file_source *f, struct mt_pkt *p)
{
	int rc = parse_record(f, f->sbuf + f->spos, f->slen - f->spos, p);

	if (rc == 1)
		f->spos += 16 + (size_t)p->caplen;
	return rc;
}

static int stream_rx_burst(struct capture_source *s, struct mt_pkt *pkts, unsigned max)
{
	struct file_source *f = (struct file_source *)s;
	unsigned n = 0;

	for (;;) {
		int r = 1;

		while (n < max && (r = stream_record(f, &pkts[n])) == 1)
			n++;
		if (r < 0) {
			f->seof = true;
			f->spos = f->slen;
		}
		if (n || f->seof)
			break;
		/* Nothing whole is left: what remains is the start of a record
		 * (the previous burst's packets are no longer referenced), so
		 * the move is short and a record always fits after it. */
		memmove(f->sbuf, f->sbuf + f->spos, f->slen - f->spos);
		f->slen -= f->spos;
		f->spos = 0;

		struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
		int pr = poll(&pfd, 1, STREAM_IDLE_MS);

		if (pr == 0 || (pr < 0 && errno == EINTR))
			return -EAGAIN;
		if (pr < 0) {
			snprintf(s->errbuf, sizeof(s->errbuf), "reading: %s", strerror(errno));
			return -EIO;
		}
		ssize_t got = read(f->fd, f->sbuf + f->slen, STREAM_BUF - f->slen);

		if (got > 0)
			f->slen += (size_t)got;
		else if (got == 0)
			f->seof = true;
		else if (errno == EINTR || errno == EAGAIN)
			return -EAGAIN;
		else {
			snprintf(s->errbuf, sizeof(s->errbuf), "reading: %s", strerror(errno));
			return -EIO;
		}
	}
	if (!n && f->spos < f->slen) {
		/* The writer stopped inside a record. */
		s->stats.truncated_file = 1;
		f->spos = f->slen;
	}
	s->stats.packets += n;
	return (int)n;
}

static void stream_close(struct capture_source *s)
{
	struct file_source *f = (struct file_source *)s;

	close(f->fd);
	free(f->sbuf);
	free(f);
}

static const struct capture_ops stream_ops = {
	.rx_burst = stream_rx_burst,
	.close = stream_close,
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

/* Set swapped, nanos and the link type from a classic pcap header. */
static void pcap_header(struct file_source *f, const uint8_t *hdr)
{
	uint32_t magic;

	memcpy(&magic, hdr, 4);
	f->swapped = magic == __builtin_bswap32(PCAP_MAGIC_US) ||
		     magic == __builtin_bswap32(PCAP_MAGIC_NS);
	f->nanos = magic == PCAP_MAGIC_NS || magic == __builtin_bswap32(PCAP_MAGIC_NS);
	f->src.linktype = (int)(rd32(f, hdr + 20) & 0x0fffffffu);
}

static bool is_pcap_magic(uint32_t magic)
{
	return magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS ||
	       magic == __builtin_bswap32(PCAP_MAGIC_US) ||
	       magic == __builtin_bswap32(PCAP_MAGIC_NS);
}

/* A FIFO, pipe or character device: the header is read (waiting for the
 * writer), then packets as they come. Takes fd. */
static struct capture_source *open_stream(struct file_source *f, int fd, char *errbuf,
					  size_t errlen, const char *path)
{
	uint8_t hdr[24];
	uint32_t magic;
	size_t have = 0;

	while (have < sizeof(hdr)) {
		ssize_t r = read(fd, hdr + have, sizeof(hdr) - have);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0)
				snprintf(errbuf, errlen, "%s: cannot read: %s", path, strerror(errno));
			else
				snprintf(errbuf, errlen, "%s: not a readable capture: "
					 "ended before its header", path);
			goto fail;
		}
		have += (size_t)r;
	}
	memcpy(&magic, hdr, 4);
	if (!is_pcap_magic(magic)) {
		snprintf(errbuf, errlen, "%s: not a readable capture: a pipe must carry "
			 "classic pcap (pcapng is read from files only)", path);
		goto fail;
	}
	f->sbuf = malloc(STREAM_BUF);
	if (!f->sbuf) {
		snprintf(errbuf, errlen, "%s: out of memory", path);
		goto fail;
	}
	pcap_header(f, hdr);
	f->fd = fd;
	f->src.ops = &stream_ops;
	return &f->src;
fail:
	close(fd);
	free(f);
	return NULL;
}

static struct capture_source *open_mmap(struct file_source *f, int fd, size_t len,
					char *errbuf, size_t errlen, const char *path)
{
	const uint8_t *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);

	if (m == MAP_FAILED) {
		snprintf(errbuf, errlen, "%s: cannot map: %s", path, strerror(errno));
		return NULL;
	}
	madvise((void *)m, len, MADV_SEQUENTIAL);
	pcap_header(f, m);
	f->map = m;
	f->map_len = len;
	f->pos = 24;
	f->src.ops = &mmap_ops;
	/* The mapping lasts until close; the pages given back behind the
	 * reader (RELEASE_STEP) come back from the file when read again.
	 * A file rewritten while it is read is not supported anyway. */
	f->src.stable = m;
	f->src.stable_len = len;
	f->ahead = POPULATE_STEP;
	if (len >= PAGER_MIN_FILE) {
		sigset_t all, old;

		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		f->ahead = PAGER_AHEAD;
		f->pager_on = pthread_create(&f->pager, NULL, pager_main, f) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (!f->pager_on)
			f->ahead = POPULATE_STEP;     /* the reader does it */
	}
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
	if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode))
		return open_stream(f, fd, errbuf, errlen, path);
	if (!S_ISREG(st.st_mode)) {
		snprintf(errbuf, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size >= 24 && pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr))
		memcpy(&magic, hdr, 4);
	if (is_pcap_magic(magic)) {
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
