/*
 * defrag — IPv4/IPv6 fragment reassembly (defrag.h): the datagram table,
 * the page and piece pools, the overlap engine and the output.
 *
 * Storage. A datagram's payload bytes live in 1 KiB pages addressed by
 * payload offset (page i holds offsets [i KiB, (i+1) KiB)), taken from
 * the pool the first time a byte of that page is written. Bytes are thus
 * written once, in place, and the output is a copy of whole pages; a
 * piece that loses bytes to a later fragment is only re-bounded, never
 * moved. The header of the fragment holding offset 0 is kept inline when
 * short (every IPv4 header) or in a page of its own.
 *
 * Pieces. What a datagram holds is a list of pieces sorted by offset:
 * disjoint, non-empty runs [off, end) of bytes that came from one
 * fragment. The overlap policies (defrag.h) decide between a new fragment
 * and each piece it overlaps from the two ranges alone; the new
 * fragment's bytes go where no held piece keeps its own, which may cut
 * the fragment into several pieces (first-like policies filling holes) or
 * cut a piece in two ("last" overwriting its middle). Every piece bound
 * is the bound of some fragment, so k fragments make at most 2k - 1
 * pieces.
 *
 * A fragment is placed in two passes over the pieces it overlaps: a
 * plan that counts what it needs (pieces, pages) and whether its bytes
 * differ from those held, then, only if the pools can give all of it,
 * the changes. So a fragment that does not fit changes nothing.
 *
 * Invariants (defrag_selfcheck() checks them all):
 *   - pieces of a datagram are sorted, disjoint, non-empty, below `end`
 *     once the last fragment is known; `covered` is the sum of their
 *     lengths, `hi` the end of the last one, `tail` the last one;
 *   - every byte of a piece lies in an allocated page of the datagram;
 *   - the datagram is complete exactly when the end is known and
 *     covered == end, and it is then handed out at once and freed;
 *   - a datagram in use is in the hash table and on the FIFO list, which
 *     is ordered by creation time (packet time never goes backwards
 *     here), so expiry and eviction take from its head.
 */
#include "defrag.h"
#include "alloc_counted.h"
#include "slot_table.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NIL UINT32_MAX

#define PAGE_SIZE_ 1024u
#define PAGES_PER_DGRAM 64u          /* offsets 0..65535 */
#define L3_INLINE 64u                /* IPv4's 60 and IPv6 + 24 bytes */
#define L3_MAX PAGE_SIZE_            /* longest unfragmentable part kept */

#define IP_MAXPACKET_ 65535u

enum { DG_HAVE_END = 0x01, DG_GIVEN_UP = 0x02 };

struct piece {
	uint32_t off, end;
	uint32_t next;
};

struct dgram {
	struct mt_addr src, dst;
	uint32_t id;
	uint32_t hash;
	uint64_t created;
	uint32_t idx;
	uint32_t fifo_prev, fifo_next;
	uint32_t head, tail;            /* pieces sorted by offset */
	uint32_t covered;               /* bytes held in pieces */
	uint32_t hi;                    /* end of the last piece, 0 if none */
	uint32_t end;                   /* payload size (DG_HAVE_END) */
	uint32_t nfrags;                /* fragments received */
	uint32_t npieces;
	uint32_t npages;                /* pages taken, header page included */
	uint16_t l3_len;                /* 0: no offset-0 header kept yet */
	uint16_t nh_at;                 /* IPv6: the Next Header byte to
					 * rewrite (hdr_usable, when kept) */
	uint8_t version;
	uint8_t proto;                  /* IPv4: part of the key */
	uint8_t out_proto;              /* of the offset-0 fragment */
	uint8_t policy;
	uint8_t flags;
	uint32_t hdr_page;              /* header longer than L3_INLINE */
	uint8_t l3[L3_INLINE];
	uint32_t page[PAGES_PER_DGRAM];
};


struct out_slot {
	struct defrag_datagram dg;      /* first: the caller's pointer */
	uint8_t *buf;
	bool busy;
};

struct defrag {
	struct defrag_config cfg;       /* prefixes sorted, longest first */
	uint64_t now;
	uint64_t seed;
	uint64_t memory;

	struct slot *slots;
	uint32_t slot_mask;

	struct dgram *dgrams;
	uint32_t *free_dgrams;
	uint32_t n_free_dgrams;
	uint32_t fifo_head, fifo_tail;

	struct piece *pieces;
	uint32_t piece_free, pieces_avail, piece_fresh;

	uint8_t *page_mem;
	uint8_t **page_ptrs;            /* MT_POOL_MALLOC: one malloc each */
	uint32_t *page_next;
	uint32_t page_free, pages_avail, npages, page_fresh;

	struct out_slot *outs;
	uint32_t nouts;

	struct defrag_stats st;
};

/* ---- names and configuration -------------------------------------- */

static const char *const policy_names[DEFRAG_POLICY_COUNT] = {
	[DEFRAG_POLICY_FIRST] = "first",
	[DEFRAG_POLICY_LAST] = "last",
	[DEFRAG_POLICY_BSD] = "bsd",
	[DEFRAG_POLICY_BSD_RIGHT] = "bsd-right",
	[DEFRAG_POLICY_LINUX] = "linux",
	[DEFRAG_POLICY_WINDOWS] = "windows",
	[DEFRAG_POLICY_SOLARIS] = "solaris",
};

static const char *const anomaly_names[DEFRAG_ANOM_COUNT] = {
	[DEFRAG_ANOM_OVERLAP_DIFFERENT] = "frag_overlap_different",
	[DEFRAG_ANOM_TINY_FIRST] = "frag_tiny_first",
	[DEFRAG_ANOM_TOO_LARGE] = "frag_too_large",
	[DEFRAG_ANOM_TOO_MANY] = "frag_too_many",
	[DEFRAG_ANOM_TIMEOUT] = "frag_timeout",
	[DEFRAG_ANOM_BAD_LENGTH] = "frag_bad_length",
	[DEFRAG_ANOM_BAD_END] = "frag_bad_end",
};

const char *defrag_policy_name(enum defrag_policy p)
{
	return (unsigned)p < DEFRAG_POLICY_COUNT ? policy_names[p] : "?";
}

int defrag_policy_from_name(const char *name)
{
	static const struct {
		const char *name;
		uint8_t policy;
	} alias[] = {
		{ "bsd_right", DEFRAG_POLICY_BSD_RIGHT },
		{ "old-linux", DEFRAG_POLICY_LINUX },
		{ "hpux10", DEFRAG_POLICY_BSD },
		{ "irix", DEFRAG_POLICY_BSD },
		{ "old-solaris", DEFRAG_POLICY_FIRST },
		{ "hpux11", DEFRAG_POLICY_FIRST },
		{ "macos", DEFRAG_POLICY_FIRST },
		{ "vista", DEFRAG_POLICY_WINDOWS },
		{ "windows2k3", DEFRAG_POLICY_WINDOWS },
	};

	for (int i = 0; i < DEFRAG_POLICY_COUNT; i++)
		if (strcmp(name, policy_names[i]) == 0)
			return i;
	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (strcmp(name, alias[i].name) == 0)
			return alias[i].policy;
	return -1;
}

const char *defrag_anomaly_name(enum defrag_anomaly a)
{
	return (unsigned)a < DEFRAG_ANOM_COUNT ? anomaly_names[a] : "?";
}

void defrag_config_default(struct defrag_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_datagrams = 4096;
	c->max_bytes = UINT64_C(16) << 20;
	c->max_frags = 65536;
	/* A 64 KiB datagram over IPv6's minimum MTU (1280) is 52 fragments,
	 * over IPv4's 576 about 120: 256 leaves room for odd paths. */
	c->max_frags_per_datagram = 256;
	c->max_datagram_bytes = DEFRAG_DATAGRAM_MAX;
	c->timeout_us = UINT64_C(60) * 1000000;
	c->out_buffers = 4;
	c->default_policy = DEFRAG_POLICY_BSD;
}

/* An IPv4 prefix (mapped, 96 bits or more) covers IPv4 addresses only,
 * an IPv6 one IPv6 addresses only: "::/0" is every IPv6 host, not every
 * host. */
static bool prefix_match(const struct defrag_prefix *p, const struct mt_addr *a)
{
	unsigned full = p->bits / 8, rest = p->bits % 8;

	if ((p->bits >= 96 && mt_addr_is_v4(&p->addr)) != mt_addr_is_v4(a))
		return false;
	if (memcmp(p->addr.b, a->b, full) != 0)
		return false;
	return rest == 0 || ((p->addr.b[full] ^ a->b[full]) & (0xff00u >> rest)) == 0;
}

/* One "ADDR[/LEN]=POLICY" or "POLICY" entry of n bytes into c. */
static int parse_policy_entry(struct defrag_config *c, const char *s, size_t n)
{
	char buf[128], *eq;
	struct defrag_prefix p;
	int pol;

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	eq = strchr(buf, '=');
	if (!eq) {
		pol = defrag_policy_from_name(buf);
		if (pol < 0)
			return -EINVAL;
		c->default_policy = (uint8_t)pol;
		return 0;
	}
	*eq = '\0';
	pol = defrag_policy_from_name(eq + 1);
	if (pol < 0)
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	p.policy = (uint8_t)pol;
	{
		unsigned plen;

		if (mt_addr_parse_prefix(buf, &p.addr, &plen) != 0)
			return -EINVAL;
		p.bits = (uint8_t)(plen + (mt_addr_is_v4(&p.addr) ? 96 : 0));
	}
	mt_addr_mask(&p.addr, p.bits);
	for (uint32_t i = 0; i < c->n_prefixes; i++) {
		if (c->prefixes[i].bits == p.bits &&
		    memcmp(c->prefixes[i].addr.b, p.addr.b, 16) == 0) {
			c->prefixes[i].policy = p.policy;
			return 0;
		}
	}
	if (c->n_prefixes >= DEFRAG_MAX_PREFIXES)
		return -ENOSPC;
	c->prefixes[c->n_prefixes++] = p;
	return 0;
}

int defrag_config_parse_policies(struct defrag_config *c, const char *list)
{
	struct defrag_config tmp = *c;
	const char *p = list;

	for (;;) {
		size_t n = strcspn(p, ",");
		int rc = parse_policy_entry(&tmp, p, n);

		if (rc)
			return rc;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	*c = tmp;
	return 0;
}

int defrag_config_add_prefix(struct defrag_config *c, const char *net, const char *policy)
{
	char entry[160];
	int n = snprintf(entry, sizeof(entry), "%s=%s", net, policy);

	if (n < 0 || (size_t)n >= sizeof(entry) || strchr(net, '=') || strchr(net, ',') ||
	    strchr(policy, ','))
		return -EINVAL;
	return defrag_config_parse_policies(c, entry);
}

enum defrag_policy defrag_policy_for(const struct defrag *d, const struct mt_addr *dst)
{
	for (uint32_t i = 0; i < d->cfg.n_prefixes; i++)
		if (prefix_match(&d->cfg.prefixes[i], dst))
			return d->cfg.prefixes[i].policy;
	return d->cfg.default_policy;
}

/* ---- pools --------------------------------------------------------- */

static inline uint8_t *page_at(const struct defrag *d, uint32_t p)
{
#ifdef MT_POOL_MALLOC
	return d->page_ptrs[p];
#else
	return d->page_mem + (size_t)p * PAGE_SIZE_;
#endif
}

/* Callers reserve first (pages_avail), so this cannot fail. */
static uint32_t page_get(struct defrag *d, struct dgram *g)
{
	uint32_t p = d->page_free;

	if (p == NIL)
		p = d->page_fresh++;    /* one never used */
	else
		d->page_free = d->page_next[p];
#ifdef MT_POOL_MALLOC
	/* The debug pool: a failed malloc here is the build machine's
	 * problem, not traffic's. */
	d->page_ptrs[p] = malloc(PAGE_SIZE_);
	if (!d->page_ptrs[p])
		abort();
#endif
	d->page_next[p] = NIL;
	d->pages_avail--;
	g->npages++;
	d->st.bytes_held += PAGE_SIZE_;
	if (d->st.bytes_held > d->st.bytes_peak)
		d->st.bytes_peak = d->st.bytes_held;
	return p;
}

static void page_put(struct defrag *d, uint32_t p)
{
#ifdef MT_POOL_MALLOC
	free(d->page_ptrs[p]);
	d->page_ptrs[p] = NULL;
#endif
	d->page_next[p] = d->page_free;
	d->page_free = p;
	d->pages_avail++;
	d->st.bytes_held -= PAGE_SIZE_;
}

static uint32_t piece_get(struct defrag *d, struct dgram *g, uint32_t off, uint32_t end,
			  uint32_t next)
{
	uint32_t i = d->piece_free;
	struct piece *P;

	if (i == NIL)
		i = d->piece_fresh++;   /* one never used */
	else
		d->piece_free = d->pieces[i].next;
	P = &d->pieces[i];
	d->pieces_avail--;
	P->off = off;
	P->end = end;
	P->next = next;
	g->npieces++;
	d->st.frags_held++;
	return i;
}

static void piece_put(struct defrag *d, struct dgram *g, uint32_t i)
{
	d->pieces[i].next = d->piece_free;
	d->piece_free = i;
	d->pieces_avail++;
	g->npieces--;
	d->st.frags_held--;
}

/* Release every piece and page of g (not the tracker). */
static void dgram_drop_data(struct defrag *d, struct dgram *g)
{
	uint32_t i = g->head;

	while (i != NIL) {
		uint32_t next = d->pieces[i].next;

		piece_put(d, g, i);
		i = next;
	}
	for (unsigned p = 0; p < PAGES_PER_DGRAM; p++) {
		if (g->page[p] != NIL) {
			page_put(d, g->page[p]);
			g->page[p] = NIL;
		}
	}
	if (g->hdr_page != NIL) {
		page_put(d, g->hdr_page);
		g->hdr_page = NIL;
	}
	g->npages = 0;
	g->head = g->tail = NIL;
	g->covered = g->hi = 0;
	g->l3_len = 0;
}

/* ---- hashing and the table ----------------------------------------- */

static inline uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= UINT64_C(0x9e3779b97f4a7c15);
	return h ^ (h >> 29);
}

static inline uint8_t key_proto(const struct decoded_frag *f)
{
	return f->ip_version == 4 ? f->proto : 0;
}

static uint32_t frag_hash(const struct defrag *d, const struct decoded_frag *f)
{
	uint64_t w[4], h;

	memcpy(w, f->src.b, 16);
	memcpy(w + 2, f->dst.b, 16);
	h = mix(d->seed, w[0]);
	h = mix(h, w[1]);
	h = mix(h, w[2]);
	h = mix(h, w[3]);
	h = mix(h, (uint64_t)f->id << 16 | (uint64_t)key_proto(f) << 8 | f->ip_version);
	/* splitmix64's finaliser */
	h ^= h >> 31;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 27;
	return (uint32_t)(h >> 32);
}

static inline bool dgram_match(const struct dgram *g, const struct decoded_frag *f)
{
	return g->id == f->id && g->version == f->ip_version && g->proto == key_proto(f) &&
	       memcmp(g->src.b, f->src.b, 16) == 0 && memcmp(g->dst.b, f->dst.b, 16) == 0;
}

static struct dgram *table_find(struct defrag *d, uint32_t h, const struct decoded_frag *f)
{
	for (uint32_t i = h & d->slot_mask;; i = (i + 1) & d->slot_mask) {
		const struct slot *s = &d->slots[i];

		if (slot_idx(s) == NIL)
			return NULL;
		if (s->hash == h && dgram_match(&d->dgrams[slot_idx(s)], f))
			return &d->dgrams[slot_idx(s)];
	}
}

static void table_insert(struct defrag *d, uint32_t h, uint32_t idx)
{
	slot_insert(d->slots, d->slot_mask, h, idx);
}

static void table_remove(struct defrag *d, uint32_t h, uint32_t idx)
{
	slot_remove(d->slots, d->slot_mask, h, idx);
}

/* ---- datagram lifecycle -------------------------------------------- */

static void fifo_unlink(struct defrag *d, struct dgram *g)
{
	if (g->fifo_prev == NIL)
		d->fifo_head = g->fifo_next;
	else
		d->dgrams[g->fifo_prev].fifo_next = g->fifo_next;
	if (g->fifo_next == NIL)
		d->fifo_tail = g->fifo_prev;
	else
		d->dgrams[g->fifo_next].fifo_prev = g->fifo_prev;
}

static void dgram_free(struct defrag *d, struct dgram *g)
{
	dgram_drop_data(d, g);
	table_remove(d, g->hash, g->idx);
	fifo_unlink(d, g);
	d->free_dgrams[d->n_free_dgrams++] = g->idx;
	d->st.datagrams_active--;
}

static struct dgram *dgram_new(struct defrag *d, const struct decoded_frag *f, uint32_t h)
{
	struct dgram *g;
	uint32_t idx;

	if (d->n_free_dgrams == 0) {
		/* Full: the oldest goes. It is also the one closest to its
		 * timeout, the least likely to still complete. */
		dgram_free(d, &d->dgrams[d->fifo_head]);
		d->st.evicted++;
	}
	idx = d->free_dgrams[--d->n_free_dgrams];
	g = &d->dgrams[idx];
	memset(g, 0, offsetof(struct dgram, l3));
	g->src = f->src;
	g->dst = f->dst;
	g->id = f->id;
	g->version = f->ip_version;
	g->proto = key_proto(f);
	g->hash = h;
	g->idx = idx;
	g->created = d->now;
	g->head = g->tail = NIL;
	g->hdr_page = NIL;
	for (unsigned p = 0; p < PAGES_PER_DGRAM; p++)
		g->page[p] = NIL;
	g->policy = (uint8_t)defrag_policy_for(d, &f->dst);
	table_insert(d, h, idx);
	g->fifo_next = NIL;
	g->fifo_prev = d->fifo_tail;
	if (d->fifo_tail == NIL)
		d->fifo_head = idx;
	else
		d->dgrams[d->fifo_tail].fifo_next = idx;
	d->fifo_tail = idx;
	d->st.datagrams_created++;
	d->st.datagrams_active++;
	return g;
}

static uint32_t expire(struct defrag *d)
{
	uint32_t n = 0;

	while (d->fifo_head != NIL) {
		struct dgram *g = &d->dgrams[d->fifo_head];

		if (d->now - g->created < d->cfg.timeout_us)
			break;
		/* A datagram given up was reported then (frag_too_many). */
		if (!(g->flags & DG_GIVEN_UP))
			d->st.anomaly[DEFRAG_ANOM_TIMEOUT]++;
		d->st.expired++;
		dgram_free(d, g);
		n++;
	}
	return n;
}

uint32_t defrag_expire(struct defrag *d, uint64_t now_us)
{
	if (now_us > d->now)
		d->now = now_us;
	return expire(d);
}

void defrag_flush_all(struct defrag *d)
{
	while (d->fifo_head != NIL) {
		dgram_free(d, &d->dgrams[d->fifo_head]);
		d->st.flushed++;
	}
}

/* ---- headers ------------------------------------------------------- */

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Is l3 a header the output can be built on? IPv4: version 4 and an IHL
 * that is its length. IPv6: version 6 and a chain of extension headers
 * that ends exactly at l3_len with a Next Header of 44 (Fragment): the
 * decoder cut l3 just before the Fragment header. *nh_at is then where
 * that Next Header byte is (to be rewritten).
 */
static bool hdr_usable(uint8_t version, const uint8_t *l3, uint32_t l3_len, uint32_t *nh_at)
{
	uint32_t pos = 40, at = 6;
	uint8_t nh;

	if (version == 4)
		return l3_len >= 20 && l3[0] >> 4 == 4 && (uint32_t)(l3[0] & 15) * 4 == l3_len;
	if (l3_len < 40 || l3[0] >> 4 != 6)
		return false;
	nh = l3[6];
	while (pos < l3_len) {
		uint32_t hl;

		switch (nh) {
		case 0: case 43: case 60: case 135: case 139: case 140: case 253: case 254:
			if (l3_len - pos < 2)
				return false;
			hl = ((uint32_t)l3[pos + 1] + 1) * 8;
			break;
		case 51:        /* AH, RFC 4302 section 2.2 */
			if (l3_len - pos < 2)
				return false;
			hl = ((uint32_t)l3[pos + 1] + 2) * 4;
			break;
		default:
			return false;
		}
		at = pos;
		nh = l3[pos];
		pos += hl;
	}
	if (pos != l3_len || nh != 44)
		return false;
	*nh_at = at;
	return true;
}

static uint16_t ipv4_checksum(const uint8_t *h, uint32_t len)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += rd16(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Fix the copied header of a datagram of `total` bytes at buf; nh_at
 * (IPv6) is where hdr_usable found the Next Header byte. */
static void hdr_fixup(uint8_t *buf, uint8_t version, uint32_t l3_len, uint32_t total,
		      uint8_t proto, uint32_t nh_at)
{
	if (version == 4) {
		wr16(buf + 2, total);
		/* RFC 791 3.1: keep DF (and the reserved bit), clear MF
		 * and the offset. */
		wr16(buf + 6, rd16(buf + 6) & 0xc000u);
		wr16(buf + 10, 0);
		wr16(buf + 10, ipv4_checksum(buf, l3_len));
		return;
	}
	wr16(buf + 4, total - 40);
	buf[nh_at] = proto;
}

/* The transport header bytes an offset-0 fragment must carry to be
 * inspectable on its own (RFC 1858 section 3.1 for TCP's flags). */
static uint32_t transport_min(const struct decoded_frag *f)
{
	switch (f->proto) {
	case 6:
		/* The whole TCP header, options included, once its data
		 * offset is there to say how long that is. */
		if (f->data_len >= 13 && (uint32_t)(f->data[12] >> 4) * 4 > 20)
			return (uint32_t)(f->data[12] >> 4) * 4;
		return 20;
	case 17: case 1: case 58:
		return 8;
	case 132:
		return 12;
	default:
		return 0;
	}
}

/* ---- output -------------------------------------------------------- */

static struct out_slot *out_get(struct defrag *d, uint32_t len)
{
	for (uint32_t i = 0; i < d->nouts; i++) {
		struct out_slot *o = &d->outs[i];

		if (o->busy)
			continue;
#ifdef MT_POOL_MALLOC
		/* Exactly the datagram's size, so a consumer reading past
		 * it is an ASan error. */
		o->buf = malloc(len ? len : 1);
		if (!o->buf)
			abort();
#else
		(void)len;
#endif
		o->busy = true;
		return o;
	}
	return NULL;
}

static const struct defrag_datagram *out_done(struct defrag *d, struct out_slot *o,
					      uint32_t len, uint8_t version, uint8_t proto,
					      uint8_t policy, uint32_t frags, bool atomic)
{
	o->dg.ip = o->buf;
	o->dg.len = len;
	o->dg.ip_version = version;
	o->dg.proto = proto;
	o->dg.policy = policy;
	o->dg.frags = frags > UINT16_MAX ? UINT16_MAX : (uint16_t)frags;
	if (!atomic) {
		d->st.reassembled++;
		d->st.reassembled_bytes += len;
		if (version == 4)
			d->st.reassembled_ipv4++;
		else
			d->st.reassembled_ipv6++;
	}
	return &o->dg;
}

void defrag_release(struct defrag *d, const struct defrag_datagram *dg)
{
	for (uint32_t i = 0; i < d->nouts; i++) {
		struct out_slot *o = &d->outs[i];

		if (&o->dg != dg || !o->busy)
			continue;
		o->busy = false;
#ifdef MT_POOL_MALLOC
		free(o->buf);
		o->buf = NULL;
#endif
		return;
	}
}

static inline uint32_t anomaly(struct defrag *d, enum defrag_anomaly a)
{
	d->st.anomaly[a]++;
	return DEFRAG_ANOM_BIT(a);
}

/* Copy g's header and payload out; g is complete. NULL if it cannot be
 * (counted; *flags says so when it is an anomaly). */
static const struct defrag_datagram *dgram_output(struct defrag *d, struct dgram *g,
						  uint32_t *flags)
{
	uint32_t total = g->l3_len + g->end;
	const uint8_t *l3 = g->hdr_page != NIL ? page_at(d, g->hdr_page) : g->l3;
	struct out_slot *o;

	/* Each fragment was within the limits with its own header; the
	 * offset-0 one may carry a longer one (IPv4 options that are not
	 * copied into later fragments). */
	if (total > (g->version == 4 ? IP_MAXPACKET_ : DEFRAG_DATAGRAM_MAX)) {
		*flags |= anomaly(d, DEFRAG_ANOM_TOO_LARGE);
		return NULL;
	}
	if (total > d->cfg.max_datagram_bytes) {
		d->st.drop_datagram_cap++;
		return NULL;
	}
	o = out_get(d, total);
	if (!o) {
		d->st.drop_no_output++;
		return NULL;
	}
	memcpy(o->buf, l3, g->l3_len);
	for (uint32_t off = 0; off < g->end; off += PAGE_SIZE_) {
		uint32_t n = g->end - off < PAGE_SIZE_ ? g->end - off : PAGE_SIZE_;

		memcpy(o->buf + g->l3_len + off, page_at(d, g->page[off / PAGE_SIZE_]), n);
	}
	hdr_fixup(o->buf, g->version, g->l3_len, total, g->out_proto, g->nh_at);
	return out_done(d, o, total, g->version, g->out_proto, g->policy, g->nfrags, false);
}

/* Offset 0 and no more fragments: a datagram in one piece. */
static const struct defrag_datagram *atomic_output(struct defrag *d, const struct decoded_frag *f)
{
	uint32_t total = f->l3_len + f->data_len, nh_at = 6;
	struct out_slot *o;

	if (!hdr_usable(f->ip_version, f->l3, f->l3_len, &nh_at)) {
		d->st.drop_invalid++;
		return NULL;
	}
	o = out_get(d, total);
	if (!o) {
		d->st.drop_no_output++;
		return NULL;
	}
	memcpy(o->buf, f->l3, f->l3_len);
	memcpy(o->buf + f->l3_len, f->data, f->data_len);
	hdr_fixup(o->buf, f->ip_version, f->l3_len, total, f->proto, nh_at);
	d->st.atomic++;
	return out_done(d, o, total, f->ip_version, f->proto,
			(uint8_t)defrag_policy_for(d, &f->dst), 1, true);
}

/* ---- the overlap engine -------------------------------------------- */

/* In the overlap of held piece [eo, ee) and new fragment [no, ne), do
 * the new fragment's bytes win? (defrag.h has the table.) */
static bool new_wins(unsigned policy, uint32_t eo, uint32_t ee, uint32_t no, uint32_t ne)
{
	switch (policy) {
	case DEFRAG_POLICY_LAST:
		return true;
	case DEFRAG_POLICY_LINUX:
		return eo >= no;
	case DEFRAG_POLICY_BSD:
		return eo > no;
	case DEFRAG_POLICY_BSD_RIGHT:
		return ne > ee || (ne == ee && no <= eo);
	case DEFRAG_POLICY_WINDOWS:
		return no < eo && ne > ee;
	case DEFRAG_POLICY_SOLARIS:
		return no < eo && ne >= ee;
	default:
		return false;   /* first */
	}
}

/* Do the held bytes [a, b) of g differ from p[0 .. b-a)? */
static bool held_differs(const struct defrag *d, const struct dgram *g, uint32_t a, uint32_t b,
			 const uint8_t *p)
{
	while (a < b) {
		uint32_t in = a % PAGE_SIZE_, n = PAGE_SIZE_ - in;

		if (n > b - a)
			n = b - a;
		if (memcmp(page_at(d, g->page[a / PAGE_SIZE_]) + in, p, n) != 0)
			return true;
		a += n;
		p += n;
	}
	return false;
}

/* What placing a fragment takes, and what it showed. */
struct plan {
	uint32_t pieces;        /* new pieces: regions plus splits */
	uint32_t pages;         /* pages to take */
	uint32_t first_region;  /* start of the first region, NIL if none */
	bool overlap, differ;
};

static void plan_region(const struct dgram *g, struct plan *pl, uint32_t a, uint32_t b,
			uint32_t *last_page)
{
	pl->pieces++;
	if (pl->first_region == NIL)
		pl->first_region = a;
	for (uint32_t p = a / PAGE_SIZE_; p <= (b - 1) / PAGE_SIZE_; p++) {
		if (g->page[p] == NIL && p != *last_page) {
			pl->pages++;
			*last_page = p;
		}
	}
}

/* The first piece that may overlap [no, ...): none when the last piece
 * ends at or before no (in-order arrival costs O(1), not a walk). */
static inline uint32_t walk_start(const struct defrag *d, const struct dgram *g, uint32_t no)
{
	return g->tail != NIL && d->pieces[g->tail].end <= no ? NIL : g->head;
}

static void plan_fragment(const struct defrag *d, const struct dgram *g, const uint8_t *data,
			  uint32_t no, uint32_t ne, struct plan *pl)
{
	uint32_t cursor = no, last_page = NIL;

	memset(pl, 0, sizeof(*pl));
	pl->first_region = NIL;
	for (uint32_t i = walk_start(d, g, no); i != NIL; i = d->pieces[i].next) {
		const struct piece *E = &d->pieces[i];
		uint32_t os, oe;

		if (E->end <= no)
			continue;
		if (E->off >= ne)
			break;
		pl->overlap = true;
		os = E->off > no ? E->off : no;
		oe = E->end < ne ? E->end : ne;
		if (!pl->differ && held_differs(d, g, os, oe, data + (os - no)))
			pl->differ = true;
		if (new_wins(g->policy, E->off, E->end, no, ne)) {
			if (E->off < no && E->end > ne)
				pl->pieces++;           /* cut in two */
			continue;
		}
		if (os > cursor)
			plan_region(g, pl, cursor, os, &last_page);
		cursor = oe;
	}
	if (cursor < ne)
		plan_region(g, pl, cursor, ne, &last_page);
}

/* Make [a, b) of the new fragment a piece after `*prev`, copying its
 * bytes into place. */
static void put_region(struct defrag *d, struct dgram *g, uint32_t *prev, uint32_t a, uint32_t b,
		       const uint8_t *src)
{
	uint32_t next = *prev == NIL ? g->head : d->pieces[*prev].next;
	uint32_t n = piece_get(d, g, a, b, next);

	if (*prev == NIL)
		g->head = n;
	else
		d->pieces[*prev].next = n;
	*prev = n;
	g->covered += b - a;
	if (b >= g->hi) {
		g->hi = b;
		g->tail = n;
	}
	while (a < b) {
		uint32_t p = a / PAGE_SIZE_, in = a % PAGE_SIZE_, k = PAGE_SIZE_ - in;

		if (k > b - a)
			k = b - a;
		if (g->page[p] == NIL)
			g->page[p] = page_get(d, g);
		memcpy(page_at(d, g->page[p]) + in, src, k);
		a += k;
		src += k;
	}
}

/* Apply the plan: trim or drop the pieces the new fragment wins over,
 * cut a piece it overwrites inside, and add its regions. */
static void place_fragment(struct defrag *d, struct dgram *g, const uint8_t *data,
			   uint32_t no, uint32_t ne)
{
	uint32_t prev = NIL, cursor = no, i = walk_start(d, g, no);

	if (i == NIL)
		prev = g->tail;
	while (i != NIL) {
		struct piece *E = &d->pieces[i];
		uint32_t next = E->next, os, oe;

		if (E->end <= no) {
			prev = i;
			i = next;
			continue;
		}
		if (E->off >= ne)
			break;
		if (new_wins(g->policy, E->off, E->end, no, ne)) {
			if (E->off >= no && E->end <= ne) {
				/* all of it goes */
				if (prev == NIL)
					g->head = next;
				else
					d->pieces[prev].next = next;
				if (g->tail == i)
					g->tail = prev;
				g->covered -= E->end - E->off;
				piece_put(d, g, i);
				i = next;
				continue;
			}
			if (E->off >= no) {
				/* its front goes; it now starts where the
				 * fragment ends, so nothing further overlaps */
				g->covered -= ne - E->off;
				E->off = ne;
				break;
			}
			if (E->end <= ne) {
				/* its tail goes */
				g->covered -= E->end - no;
				E->end = no;
				prev = i;
				i = next;
				continue;
			}
			/* the fragment lands inside it: cut in two */
			uint32_t r = piece_get(d, g, ne, E->end, next);

			E = &d->pieces[i];
			E->end = no;
			E->next = r;
			g->covered -= ne - no;
			if (g->tail == i)
				g->tail = r;
			prev = i;
			break;
		}
		os = E->off > no ? E->off : no;
		oe = E->end < ne ? E->end : ne;
		if (os > cursor)
			put_region(d, g, &prev, cursor, os, data + (cursor - no));
		cursor = oe;
		prev = i;
		i = next;
	}
	if (cursor < ne)
		put_region(d, g, &prev, cursor, ne, data + (cursor - no));
}

/* Keep f's header as the datagram's (f's bytes hold offset 0 now), nh_at
 * as hdr_usable found it. The header page, when one is needed, was
 * reserved by the caller. */
static void keep_header(struct defrag *d, struct dgram *g, const struct decoded_frag *f,
			uint32_t nh_at)
{
	uint8_t *dst = g->l3;

	if (f->l3_len > L3_INLINE) {
		if (g->hdr_page == NIL)
			g->hdr_page = page_get(d, g);
		dst = page_at(d, g->hdr_page);
	} else if (g->hdr_page != NIL) {
		page_put(d, g->hdr_page);
		g->hdr_page = NIL;
		g->npages--;
	}
	memcpy(dst, f->l3, f->l3_len);
	g->l3_len = (uint16_t)f->l3_len;
	g->out_proto = f->proto;
	g->nh_at = (uint16_t)nh_at;
}

/* ---- insert -------------------------------------------------------- */

static bool frag_sane(const struct decoded_frag *f)
{
	if (!f->l3 || (!f->data && f->data_len))
		return false;
	if (f->ip_version == 4)
		return f->l3_len >= 20 && f->l3_len <= 60 && f->offset % 8 == 0 &&
		       f->offset <= IP_MAXPACKET_ && f->data_len <= IP_MAXPACKET_;
	if (f->ip_version == 6)
		return f->l3_len >= 40 && f->l3_len <= L3_MAX && f->offset % 8 == 0 &&
		       f->offset <= IP_MAXPACKET_ && f->data_len <= IP_MAXPACKET_;
	return false;
}

uint32_t defrag_insert(struct defrag *d, const struct decoded_frag *f, uint64_t now_us,
		       const struct defrag_datagram **out)
{
	uint32_t flags = 0, no, ne, len, nh_at = 6;
	struct dgram *g;
	struct plan pl;
	bool hdr_page;

	*out = NULL;
	if (now_us > d->now)
		d->now = now_us;
	d->st.frags++;
	if (!frag_sane(f)) {
		d->st.drop_invalid++;
		return DEFRAG_DROPPED;
	}
	if (f->ip_version == 4)
		d->st.frags_ipv4++;
	else
		d->st.frags_ipv6++;
	no = f->offset;
	len = f->data_len;
	ne = no + len;
	/* The reassembled datagram's length field must hold it: IPv4's
	 * total length counts the header, IPv6's payload length the
	 * unfragmentable extension headers (RFC 791 3.1, RFC 8200 4.5). */
	if (ne + (f->ip_version == 4 ? f->l3_len : f->l3_len - 40) > IP_MAXPACKET_)
		return anomaly(d, DEFRAG_ANOM_TOO_LARGE) | DEFRAG_DROPPED;
	if (ne + f->l3_len > d->cfg.max_datagram_bytes) {
		d->st.drop_datagram_cap++;
		return DEFRAG_DROPPED;
	}
	if (no == 0 && !f->more) {
		*out = atomic_output(d, f);
		return *out ? 0 : DEFRAG_DROPPED;
	}
	/* RFC 791 3.2 / RFC 8200 4.5: every fragment but the last carries
	 * a multiple of 8 bytes. BSD and IPv6 hosts drop one that does
	 * not; Linux (IPv4) trims it to the multiple below. */
	if (len == 0 || (f->more && len % 8)) {
		flags |= anomaly(d, DEFRAG_ANOM_BAD_LENGTH);
		if (len < 8 || f->ip_version != 4 ||
		    defrag_policy_for(d, &f->dst) != DEFRAG_POLICY_LINUX)
			return flags | DEFRAG_DROPPED;
		len &= ~7u;
		ne = no + len;
	}
	if (no == 0 && len < transport_min(f))
		flags |= anomaly(d, DEFRAG_ANOM_TINY_FIRST);
	if (no == 0 && !hdr_usable(f->ip_version, f->l3, f->l3_len, &nh_at)) {
		d->st.drop_invalid++;
		return flags | DEFRAG_DROPPED;
	}

	expire(d);
	{
		uint32_t h = frag_hash(d, f);

		g = table_find(d, h, f);
		if (!g)
			g = dgram_new(d, f, h);
	}
	if (g->flags & DG_GIVEN_UP) {
		d->st.drop_given_up++;
		return flags | DEFRAG_DROPPED;
	}
	if (++g->nfrags > d->cfg.max_frags_per_datagram) {
		/* Give it up, but keep the tracker until its timeout so the
		 * rest of the flood is dropped without storing anything. */
		dgram_drop_data(d, g);
		g->flags |= DG_GIVEN_UP;
		return flags | anomaly(d, DEFRAG_ANOM_TOO_MANY) | DEFRAG_DROPPED;
	}
	/* The end: RFC 791 3.2 / RFC 8200 4.5. Bytes past a known end, or
	 * a second last fragment with another end, are inconsistent: the
	 * fragment is dropped (as Linux does). */
	if (!f->more) {
		if ((g->flags & DG_HAVE_END) ? g->end != ne : g->hi > ne)
			return flags | anomaly(d, DEFRAG_ANOM_BAD_END) | DEFRAG_DROPPED;
	} else if ((g->flags & DG_HAVE_END) && ne > g->end) {
		return flags | anomaly(d, DEFRAG_ANOM_BAD_END) | DEFRAG_DROPPED;
	}

	plan_fragment(d, g, f->data, no, ne, &pl);
	if (pl.overlap) {
		flags |= DEFRAG_OVERLAP;
		d->st.overlaps++;
	}
	if (pl.differ) {
		d->st.overlaps_different++;
		flags |= anomaly(d, DEFRAG_ANOM_OVERLAP_DIFFERENT);
	}
	hdr_page = no == 0 && pl.first_region == 0 && f->l3_len > L3_INLINE &&
		   g->hdr_page == NIL;
	if (d->pieces_avail < pl.pieces || d->pages_avail < pl.pages + hdr_page) {
		d->st.drop_no_memory++;
		return flags | DEFRAG_DROPPED;
	}
	place_fragment(d, g, f->data, no, ne);
	if (no == 0 && pl.first_region == 0)
		keep_header(d, g, f, nh_at);
	if (!f->more) {
		g->flags |= DG_HAVE_END;
		g->end = ne;
	}
	if ((g->flags & DG_HAVE_END) && g->covered == g->end) {
		*out = dgram_output(d, g, &flags);
		if (!*out) {
			d->st.lost++;
			flags |= DEFRAG_DROPPED;
		}
		dgram_free(d, g);
	}
	return flags;
}

/* ---- create / destroy / stats --------------------------------------- */

struct defrag *defrag_create(const struct defrag_config *cfg)
{
	struct defrag *d;
	uint64_t nslots = 16, npages;

	if (!cfg || cfg->max_datagrams == 0 || cfg->max_datagrams > (1u << 24) ||
	    cfg->max_frags == 0 || cfg->max_frags >= NIL || cfg->max_frags_per_datagram == 0 ||
	    cfg->out_buffers == 0 ||
	    cfg->out_buffers > 1024 || cfg->default_policy >= DEFRAG_POLICY_COUNT ||
	    cfg->n_prefixes > DEFRAG_MAX_PREFIXES)
		return NULL;
	npages = cfg->max_bytes / PAGE_SIZE_;
	if (npages == 0)
		return NULL;
	if (npages >= NIL)
		npages = NIL - 1;
	for (uint32_t i = 0; i < cfg->n_prefixes; i++)
		if (cfg->prefixes[i].bits > 128 || cfg->prefixes[i].policy >= DEFRAG_POLICY_COUNT)
			return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->memory = sizeof(*d);
	d->cfg = *cfg;
	if (d->cfg.max_datagram_bytes > DEFRAG_DATAGRAM_MAX)
		d->cfg.max_datagram_bytes = DEFRAG_DATAGRAM_MAX;
	/* Longest prefix first, so the first match is the most specific
	 * (insertion sort: stable, so of equal prefixes the first added
	 * stays first). */
	for (uint32_t i = 0; i < d->cfg.n_prefixes; i++)
		mt_addr_mask(&d->cfg.prefixes[i].addr, d->cfg.prefixes[i].bits);
	for (uint32_t i = 1; i < d->cfg.n_prefixes; i++) {
		struct defrag_prefix p = d->cfg.prefixes[i];
		uint32_t j = i;

		while (j > 0 && d->cfg.prefixes[j - 1].bits < p.bits) {
			d->cfg.prefixes[j] = d->cfg.prefixes[j - 1];
			j--;
		}
		d->cfg.prefixes[j] = p;
	}
	if (getrandom(&d->seed, sizeof(d->seed), GRND_NONBLOCK) != (ssize_t)sizeof(d->seed))
		d->seed = (uint64_t)(uintptr_t)d ^ UINT64_C(0x2545f4914f6cdd1d);
	d->fifo_head = d->fifo_tail = NIL;

	/* At most half full: short probe runs. */
	while (nslots < 2 * (uint64_t)cfg->max_datagrams)
		nslots <<= 1;
	d->slot_mask = (uint32_t)(nslots - 1);
	d->slots = alloc_counted(&d->memory, nslots, sizeof(*d->slots), true);
	d->dgrams = alloc_counted(&d->memory, cfg->max_datagrams, sizeof(*d->dgrams), true);
	d->free_dgrams = alloc_counted(&d->memory, cfg->max_datagrams, sizeof(uint32_t), false);
	d->pieces = alloc_counted(&d->memory, cfg->max_frags, sizeof(*d->pieces), false);
	d->page_next = alloc_counted(&d->memory, npages, sizeof(uint32_t), false);
	d->outs = alloc_counted(&d->memory, cfg->out_buffers, sizeof(*d->outs), true);
	if (!d->slots || !d->dgrams || !d->free_dgrams || !d->pieces || !d->page_next || !d->outs)
		goto fail;
#ifdef MT_POOL_MALLOC
	d->page_ptrs = alloc_counted(&d->memory, npages, sizeof(*d->page_ptrs), true);
	d->memory += npages * PAGE_SIZE_ + (uint64_t)cfg->out_buffers * d->cfg.max_datagram_bytes;
	if (!d->page_ptrs)
		goto fail;
#else
	d->page_mem = alloc_counted(&d->memory, npages, PAGE_SIZE_, false);
	if (!d->page_mem)
		goto fail;
	for (uint32_t i = 0; i < cfg->out_buffers; i++) {
		d->outs[i].buf = alloc_counted(&d->memory, d->cfg.max_datagram_bytes, 1, false);
		if (!d->outs[i].buf)
			goto fail;
	}
#endif
	d->nouts = cfg->out_buffers;
	/* the slots are calloc'd: all empty (slot_table.h) */
	/* Hand out low indexes first: touched memory stays compact. */
	for (uint32_t i = 0; i < cfg->max_datagrams; i++)
		d->free_dgrams[i] = cfg->max_datagrams - 1 - i;
	d->n_free_dgrams = cfg->max_datagrams;
	/* Pieces and pages: a free list, and past *_fresh the never used
	 * ones, so their arrays are not walked here and become resident as
	 * they are used (1 MB of pieces with the defaults). */
	d->piece_free = NIL;
	d->pieces_avail = cfg->max_frags;
	d->page_free = NIL;
	d->pages_avail = d->npages = (uint32_t)npages;
	return d;
fail:
	defrag_destroy(d);
	return NULL;
}

void defrag_destroy(struct defrag *d)
{
	if (!d)
		return;
	if (d->outs)
		for (uint32_t i = 0; i < d->cfg.out_buffers; i++)
			free(d->outs[i].buf);
#ifdef MT_POOL_MALLOC
	if (d->page_ptrs)
		for (uint32_t i = 0; i < d->npages; i++)
			free(d->page_ptrs[i]);
	free(d->page_ptrs);
#endif
	free(d->page_mem);
	free(d->page_next);
	free(d->pieces);
	free(d->free_dgrams);
	free(d->dgrams);
	free(d->slots);
	free(d->outs);
	free(d);
}

const struct defrag_stats *defrag_get_stats(const struct defrag *d)
{
	return &d->st;
}

uint64_t defrag_memory(const struct defrag *d)
{
	return d->memory;
}

/* ---- self-check ---------------------------------------------------- */

static const char *check_dgram(const struct defrag *d, const struct dgram *g, uint32_t *pieces,
			       uint32_t *pages)
{
	uint32_t covered = 0, n = 0, last = NIL, prev_end = 0, np = 0;

	if (g->flags & DG_GIVEN_UP && (g->head != NIL || g->npages))
		return "a datagram given up holds data";
	for (uint32_t i = g->head; i != NIL; i = d->pieces[i].next) {
		const struct piece *P = &d->pieces[i];

		if (++n > d->cfg.max_frags)
			return "piece list loops";
		if (P->off >= P->end)
			return "empty piece";
		if (last != NIL && P->off < prev_end)
			return "pieces unsorted or overlapping";
		if ((g->flags & DG_HAVE_END) && P->end > g->end)
			return "piece past the end";
		for (uint32_t p = P->off / PAGE_SIZE_; p <= (P->end - 1) / PAGE_SIZE_; p++)
			if (g->page[p] == NIL)
				return "piece bytes in no page";
		covered += P->end - P->off;
		prev_end = P->end;
		last = i;
	}
	if (n != g->npieces)
		return "piece count";
	if (covered != g->covered)
		return "covered bytes";
	if (last != g->tail || (last == NIL ? g->hi != 0 : g->hi != prev_end))
		return "tail or hi";
	if ((g->flags & DG_HAVE_END) && g->covered >= g->end)
		return "a complete datagram still held";
	for (unsigned p = 0; p < PAGES_PER_DGRAM; p++)
		np += g->page[p] != NIL;
	np += g->hdr_page != NIL;
	if (np != g->npages)
		return "page count";
	if (g->hdr_page != NIL && g->l3_len <= L3_INLINE)
		return "header page for a short header";
	*pieces += n;
	*pages += np;
	return NULL;
}

const char *defrag_selfcheck(const struct defrag *d)
{
	uint32_t n = 0, pieces = 0, pages = 0, in_table = 0;
	uint64_t prev_created = 0;

	for (uint32_t i = d->fifo_head; i != NIL; i = d->dgrams[i].fifo_next) {
		const struct dgram *g = &d->dgrams[i];
		const char *why;

		if (++n > d->cfg.max_datagrams)
			return "fifo loops";
		if (g->idx != i)
			return "datagram index";
		if (g->created < prev_created || g->created > d->now)
			return "fifo out of time order";
		prev_created = g->created;
		if ((g->fifo_next == NIL) != (d->fifo_tail == i))
			return "fifo tail";
		why = check_dgram(d, g, &pieces, &pages);
		if (why)
			return why;
	}
	if (n != d->st.datagrams_active || n + d->n_free_dgrams != d->cfg.max_datagrams)
		return "datagram accounting";
	for (uint64_t s = 0; s <= d->slot_mask; s++) {
		const struct slot *sl = &d->slots[s];

		if (slot_idx(sl) == NIL)
			continue;
		in_table++;
		if (slot_idx(sl) >= d->cfg.max_datagrams || d->dgrams[slot_idx(sl)].hash != sl->hash)
			return "table slot";
	}
	if (in_table != n)
		return "table count";
	if (pieces != d->st.frags_held || pieces + d->pieces_avail != d->cfg.max_frags)
		return "piece accounting";
	if (pages + d->pages_avail != d->npages || d->st.bytes_held != (uint64_t)pages * PAGE_SIZE_)
		return "page accounting";
	return NULL;
}
