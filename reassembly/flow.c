/*
 * flow — the flow table of reasm.h: the flow pool, the hash table over it,
 * the per-timeout-class LRU lists, and the flow lifecycle (create, evict,
 * expire, end). Stream state lives in tcp_stream.c.
 *
 * Lookup is symmetric: the key is the unordered pair of endpoints
 * {(addr, port), (addr, port)}, put in a canonical order before hashing, so
 * both directions of a connection find the same flow; the stored client /
 * server pair then gives the direction. The VLAN id is not part of the key:
 * a SPAN port may show the two directions of one connection on different
 * VLANs (router on a stick), or one packet twice on two VLANs, and both
 * must land in one flow (the second copy is then a retransmission).
 *
 * The hash is a keyed multiply-xorshift mix with a random key per
 * instance, so a remote sender cannot aim its 5-tuples at one bucket
 * chain. Nothing observable depends on the key: iteration order (expiry,
 * eviction, flush) follows the LRU lists, never the table.
 *
 * Invariants:
 *   - a flow is in use iff it is in the table and on exactly one LRU list,
 *     the one of its timeout class;
 *   - each LRU list is ordered by last_us (packet time never goes
 *     backwards here: it is clamped to the latest seen), so expiry stops
 *     at the first flow that has not expired;
 *   - flow_end() always runs eof for both directions (tcp_stream_close)
 *     before ops->flow_end, and the flow is unlinked only after the
 *     callbacks return.
 *
 * Port reuse. A SYN with a new initial sequence number on a closed flow
 * (FIN both ways or RST: TIME-WAIT) starts a new connection at once (RFC
 * 9293 section 3.10.7.4 and RFC 6191 let a SYN reopen TIME-WAIT). On a flow
 * not closed it only marks the flow (tcp_stream.c): the old connection
 * stands until the peer answers that SYN with a SYN-ACK acknowledging it;
 * then the old flow ends and the new one starts with both packets. A
 * forged SYN alone never ends a connection we track.
 *
 * Policies. Each flow gets the target-based policy of its server (and its
 * client, for the other direction) once, at creation: the longest prefix
 * of the configured networks that matches, else the default.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "alloc_counted.h"
#include "reasm_int.h"

#define US_PER_S UINT64_C(1000000)

/* Flow ids: a 45-bit counter under an 8-bit worker id: < 2^53 (exact in a
 * JSON double) and unique across workers. */
#define REASM_ID_BITS 45
#define REASM_ID_MASK ((UINT64_C(1) << REASM_ID_BITS) - 1)

void reasm_config_default(struct reasm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->max_flows = 65536;
	c->max_ooo_segments = 65536;
	c->max_ooo_bytes = UINT64_C(64) << 20;
	/* Holds a 64 KiB super-segment plus a window's worth behind a hole. */
	c->max_ooo_bytes_per_flow = 1u << 20;
	c->timeout_new_us = 30 * US_PER_S;
	/* RFC 5321 section 4.5.3.2: an SMTP server waits 5 minutes for a
	 * command and 10 for the end of DATA; an idle session is legitimate
	 * that long. */
	c->timeout_established_us = 600 * US_PER_S;
	c->timeout_closed_us = 10 * US_PER_S;
	c->worker_id = 0;
	/* A retransmission normally comes within a few round trips; an
	 * insertion attack sends its two copies back to back. 16 KiB per
	 * direction holds both, and ACKs free it as the receiver takes it. */
	c->max_history_bytes_per_flow = 16u << 10;
	c->max_history_bytes = UINT64_C(16) << 20;
	/* Suricata's (OS_POLICY_DEFAULT) and Snort's default. */
	c->policy_default = REASM_POLICY_BSD;
	c->urgent_policy = REASM_URGENT_INLINE;
	c->window_policy = REASM_WINDOW_CHECK;
	c->n_policy_nets = 0;
}

/* ---- policies ------------------------------------------------------ */

static const char *const policy_names[REASM_POLICY_COUNT] = {
	[REASM_POLICY_FIRST] = "first",
	[REASM_POLICY_LAST] = "last",
	[REASM_POLICY_LINUX] = "linux",
	[REASM_POLICY_OLD_LINUX] = "old-linux",
	[REASM_POLICY_BSD] = "bsd",
	[REASM_POLICY_BSD_RIGHT] = "bsd-right",
	[REASM_POLICY_MACOS] = "macos",
	[REASM_POLICY_WINDOWS] = "windows",
	[REASM_POLICY_WINDOWS2K3] = "windows2k3",
	[REASM_POLICY_VISTA] = "vista",
	[REASM_POLICY_SOLARIS] = "solaris",
	[REASM_POLICY_HPUX10] = "hpux10",
	[REASM_POLICY_HPUX11] = "hpux11",
	[REASM_POLICY_IRIX] = "irix",
};

/* Other spellings: Snort's stream_tcp names. */
static const struct {
	const char *name;
	uint8_t policy;
} policy_aliases[] = {
	{ "win-2003", REASM_POLICY_WINDOWS2K3 },
	{ "win2003", REASM_POLICY_WINDOWS2K3 },
	{ "hpux", REASM_POLICY_HPUX11 },
	{ "old-solaris", REASM_POLICY_FIRST },  /* Suricata: first, for TCP */
};

/* Case-insensitive, '_' and '-' alike. */
static bool name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (x != y)
			return false;
	}
	return *a == *b;
}

int reasm_policy_parse(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < REASM_POLICY_COUNT; i++)
		if (name_eq(name, policy_names[i]))
			return i;
	for (size_t i = 0; i < sizeof(policy_aliases) / sizeof(policy_aliases[0]); i++)
		if (name_eq(name, policy_aliases[i].name))
			return policy_aliases[i].policy;
	return -1;
}

const char *reasm_policy_name(int policy)
{
	return policy >= 0 && policy < REASM_POLICY_COUNT ? policy_names[policy] : NULL;
}

static const char *const urgent_names[REASM_URGENT_COUNT] = { "inline", "oob", "gap" };
static const char *const window_names[REASM_WINDOW_POLICY_COUNT] = { "check", "drop", "ignore" };

int reasm_urgent_policy_parse(const char *name)
{
	for (int i = 0; name && i < REASM_URGENT_COUNT; i++)
		if (name_eq(name, urgent_names[i]))
			return i;
	return -1;
}

const char *reasm_urgent_policy_name(int policy)
{
	return policy >= 0 && policy < REASM_URGENT_COUNT ? urgent_names[policy] : NULL;
}

int reasm_window_policy_parse(const char *name)
{
	for (int i = 0; name && i < REASM_WINDOW_POLICY_COUNT; i++)
		if (name_eq(name, window_names[i]))
			return i;
	return -1;
}

const char *reasm_window_policy_name(int policy)
{
	return policy >= 0 && policy < REASM_WINDOW_POLICY_COUNT ? window_names[policy] : NULL;
}

int reasm_config_add_policy(struct reasm_config *c, const struct mt_addr *net,
			    unsigned prefix_len, int policy)
{
	struct reasm_policy_net e;

	if (!c || !net || policy < 0 || policy >= REASM_POLICY_COUNT)
		return -EINVAL;
	if (mt_addr_is_v4(net)) {
		if (prefix_len > 32)
			return -EINVAL;
		prefix_len += 96;       /* the ::ffff:0:0/96 mapping */
	} else if (prefix_len > 128) {
		return -EINVAL;
	}
	e.net = *net;
	mt_addr_mask(&e.net, prefix_len);
	e.prefix_len = (uint8_t)prefix_len;
	e.policy = (uint8_t)policy;
	for (unsigned i = 0; i < c->n_policy_nets; i++) {
		struct reasm_policy_net *x = &c->policy_nets[i];

		if (x->prefix_len == e.prefix_len && memcmp(x->net.b, e.net.b, 16) == 0) {
			x->policy = e.policy;
			return 0;
		}
	}
	if (c->n_policy_nets >= REASM_MAX_POLICY_NETS)
		return -ENOSPC;
	c->policy_nets[c->n_policy_nets++] = e;
	return 0;
}

static int policy_lookup(const struct reasm_policy_net *nets, unsigned n, unsigned dflt,
			 const struct mt_addr *a)
{
	int best = -1, best_len = -1;

	for (unsigned i = 0; i < n; i++) {
		struct mt_addr m = *a;

		if ((int)nets[i].prefix_len <= best_len)
			continue;
		mt_addr_mask(&m, nets[i].prefix_len);
		if (memcmp(m.b, nets[i].net.b, 16) == 0) {
			best = nets[i].policy;
			best_len = nets[i].prefix_len;
		}
	}
	return best >= 0 ? best : (int)dflt;
}

int reasm_config_policy_for(const struct reasm_config *c, const struct mt_addr *server)
{
	return policy_lookup(c->policy_nets, c->n_policy_nets, c->policy_default, server);
}

/* ---- hashing ------------------------------------------------------- */

static inline uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= UINT64_C(0x9e3779b97f4a7c15);
	return h ^ (h >> 29);
}

static inline uint32_t flow_hash(const struct reasm *r, const struct mt_addr *a, uint16_t ap,
				 const struct mt_addr *b, uint16_t bp)
{
	uint64_t a0, a1, b0, b1, h;

	memcpy(&a0, a->b, 8);
	memcpy(&a1, a->b + 8, 8);
	memcpy(&b0, b->b, 8);
	memcpy(&b1, b->b + 8, 8);
	/* Canonical order of the two endpoints: any total order will do. */
	if (a1 > b1 || (a1 == b1 && (a0 > b0 || (a0 == b0 && ap > bp)))) {
		uint64_t t;
		uint16_t tp;

		t = a0; a0 = b0; b0 = t;
		t = a1; a1 = b1; b1 = t;
		tp = ap; ap = bp; bp = tp;
	}
	h = mix(r->seed, a0);
	h = mix(h, a1);
	h = mix(h, b0);
	h = mix(h, b1);
	h = mix(h, (uint64_t)ap << 16 | bp);
	/* Final avalanche (the splitmix64 finaliser's constants). */
	h ^= h >> 31;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 27;
	return (uint32_t)(h >> 32);
}

static inline bool addr_eq(const struct mt_addr *x, const struct mt_addr *y)
{
	return memcmp(x->b, y->b, 16) == 0;
}

static inline bool flow_match(const struct flow *f, const struct decoded_pkt *p,
			      enum flow_dir *d)
{
	if (p->sport == f->client_port && p->dport == f->server_port &&
	    addr_eq(&p->src, &f->client) && addr_eq(&p->dst, &f->server)) {
		*d = FLOW_TO_SERVER;
		return true;
	}
	if (p->sport == f->server_port && p->dport == f->client_port &&
	    addr_eq(&p->src, &f->server) && addr_eq(&p->dst, &f->client)) {
		*d = FLOW_TO_CLIENT;
		return true;
	}
	return false;
}

/* ---- hash table (linear probing, backward-shift deletion) ----------- */

static uint32_t table_find(const struct reasm *r, uint32_t h, const struct decoded_pkt *p,
			   enum flow_dir *d)
{
	uint32_t i = h & r->slot_mask;

	for (;;) {
		const struct slot *s = &r->slots[i];

		if (slot_idx(s) == REASM_NIL)
			return REASM_NIL;
		if (s->hash == h && flow_match(&reasm_flow_at(r, slot_idx(s))->pub, p, d))
			return slot_idx(s);
		i = (i + 1) & r->slot_mask;
	}
}

static void table_insert(struct reasm *r, uint32_t h, uint32_t idx)
{
	slot_insert(r->slots, r->slot_mask, h, idx);
}

static void table_remove(struct reasm *r, uint32_t h, uint32_t idx)
{
	slot_remove(r->slots, r->slot_mask, h, idx);
}

/* ---- LRU lists ----------------------------------------------------- */

static void lru_unlink(struct reasm *r, struct reasm_flow *f)
{
	unsigned c = f->lru_class;

	if (f->lru_prev == REASM_NIL)
		r->lru_head[c] = f->lru_next;
	else
		reasm_flow_at(r, f->lru_prev)->lru_next = f->lru_next;
	if (f->lru_next == REASM_NIL)
		r->lru_tail[c] = f->lru_prev;
	else
		reasm_flow_at(r, f->lru_next)->lru_prev = f->lru_prev;
}

static void lru_append(struct reasm *r, struct reasm_flow *f, unsigned c)
{
	f->lru_class = (uint8_t)c;
	f->lru_next = REASM_NIL;
	f->lru_prev = r->lru_tail[c];
	if (r->lru_tail[c] == REASM_NIL)
		r->lru_head[c] = f->idx;
	else
		reasm_flow_at(r, r->lru_tail[c])->lru_next = f->idx;
	r->lru_tail[c] = f->idx;
}

/* A flow that has no stream in either direction yet (only bare ACKs
 * seen, e.g. stragglers of a connection that already expired) times out
 * like a half-open one: it must not hold a pool slot for the long
 * established timeout. */
static inline unsigned class_of(const struct reasm_flow *f)
{
	switch (f->pub.state) {
	case FLOW_STATE_NEW:
		return REASM_CLASS_NEW;
	case FLOW_STATE_CLOSED:
		return REASM_CLASS_CLOSED;
	default:
		if (!((f->dir[0].flags | f->dir[1].flags) & REASM_DIR_BASE))
			return REASM_CLASS_NEW;
		return REASM_CLASS_EST;
	}
}

/* ---- lifecycle ----------------------------------------------------- */

static void flow_end(struct reasm *r, struct reasm_flow *f, enum flow_end_reason why)
{
	tcp_stream_close(r, f, FLOW_TO_SERVER);
	tcp_stream_close(r, f, FLOW_TO_CLIENT);
	r->ops->flow_end(r->user, &f->pub, why);
	switch (why) {
	case FLOW_END_CLOSED:
		r->stats.flows_closed++;
		break;
	case FLOW_END_TIMEOUT:
		r->stats.flows_timeout++;
		break;
	case FLOW_END_EVICTED:
		r->stats.flows_evicted++;
		break;
	case FLOW_END_SHUTDOWN:
		r->stats.flows_shutdown++;
		break;
	}
	r->stats.flows_active--;
	table_remove(r, f->hash, f->idx);
	lru_unlink(r, f);
	r->free_flows[r->n_free_flows++] = f->idx;
#ifdef MT_POOL_MALLOC
	r->flow_ptrs[f->idx] = NULL;
	free(f);
#endif
}

/* Make room in a full pool: end the flow that would time out soonest (the
 * head of one LRU list). Among classes that means half-open flows of a SYN
 * flood and lingering closed ones go before idle established sessions,
 * unless those are truly older. Returns false if there is none. */
static bool flow_evict_one(struct reasm *r)
{
	static const unsigned order[] = { REASM_CLASS_CLOSED, REASM_CLASS_NEW, REASM_CLASS_EST };
	uint32_t best = REASM_NIL;
	uint64_t best_deadline = UINT64_MAX;

	for (unsigned i = 0; i < REASM_CLASS_COUNT; i++) {
		unsigned c = order[i];
		uint32_t h = r->lru_head[c];
		uint64_t dl;

		if (h == REASM_NIL)
			continue;
		dl = reasm_flow_at(r, h)->pub.last_us;
		dl = dl + r->timeout[c] < dl ? UINT64_MAX : dl + r->timeout[c];
		if (best == REASM_NIL || dl < best_deadline) {
			best = h;
			best_deadline = dl;
		}
	}
	if (best == REASM_NIL)
		return false;
	flow_end(r, reasm_flow_at(r, best), FLOW_END_EVICTED);
	return true;
}

static struct reasm_flow *flow_create(struct reasm *r, const struct decoded_pkt *p,
				      uint32_t h, uint64_t now, enum flow_dir *d)
{
	struct reasm_flow *f;
	bool from_client = true;
	uint32_t idx;

	if (!r->ops->flow_new(r->user, p, &from_client)) {
		r->stats.flows_refused++;
		return NULL;
	}
	if (r->n_free_flows == 0 && r->flow_fresh == r->max_flows && !flow_evict_one(r)) {
		r->stats.flows_no_memory++;
		return NULL;
	}
	/* A flow given back, else the lowest never used: touched memory
	 * stays compact, and how far it goes is the watermark
	 * (reasm_regions). */
	if (r->n_free_flows) {
		idx = r->free_flows[--r->n_free_flows];
	} else {
		idx = r->flow_fresh++;
		__atomic_store_n(&r->flows_hwm, (size_t)r->flow_fresh * sizeof(*f),
				 __ATOMIC_RELAXED);
	}
#ifdef MT_POOL_MALLOC
	f = malloc(sizeof(*f));
	if (!f) {
		r->free_flows[r->n_free_flows++] = idx;
		r->stats.flows_no_memory++;
		return NULL;
	}
	r->flow_ptrs[idx] = f;
#else
	f = &r->flows[idx];
#endif
	memset(&f->pub, 0, sizeof(f->pub));
	if (++r->next_id > REASM_ID_MASK)
		r->next_id = 1;
	f->pub.id = r->id_prefix | r->next_id;
	if (from_client) {
		f->pub.client = p->src;
		f->pub.server = p->dst;
		f->pub.client_port = p->sport;
		f->pub.server_port = p->dport;
		*d = FLOW_TO_SERVER;
	} else {
		f->pub.client = p->dst;
		f->pub.server = p->src;
		f->pub.client_port = p->dport;
		f->pub.server_port = p->sport;
		*d = FLOW_TO_CLIENT;
	}
	f->pub.ip_version = p->ip_version;
	f->pub.state = (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN ?
		       FLOW_STATE_NEW : FLOW_STATE_ESTABLISHED;
	f->pub.vlan = p->vlan_count ? p->vlan[0] : 0;
	f->pub.policy = (uint8_t)policy_lookup(r->policy_nets, r->n_policy_nets,
					       r->policy_default, &f->pub.server);
	f->policy_client = (uint8_t)policy_lookup(r->policy_nets, r->n_policy_nets,
						  r->policy_default, &f->pub.client);
	f->flags = 0;
	f->anomalies = 0;
	f->pub.first_us = now;
	f->pub.last_us = now;
	f->hash = h;
	f->idx = idx;
	tcp_stream_init_dir(&f->dir[0]);
	tcp_stream_init_dir(&f->dir[1]);
	table_insert(r, h, idx);
	lru_append(r, f, class_of(f));
	r->stats.flows_created++;
	r->stats.flows_active++;
	return f;
}

/* Account one packet of f and run it through the TCP state machine. */
static void flow_packet(struct reasm *r, struct reasm_flow *f, enum flow_dir d,
			const struct decoded_pkt *p)
{
	uint64_t idle_us = r->now - f->pub.last_us;
	unsigned c;

	r->stats.pkts++;
	f->pub.last_us = r->now;
	f->pub.dir[d].pkts++;
	f->pub.dir[d].bytes += p->frame_len;
	tcp_stream_packet(r, f, d, p, idle_us);

	/* Move to the tail of its (possibly new) class list. */
	c = class_of(f);
	if (c != f->lru_class || f->lru_next != REASM_NIL) {
		lru_unlink(r, f);
		lru_append(r, f, c);
	}
}

/* A SYN with a new ISN on a closed flow (RFC 9293 3.10.7.4, RFC 6191: a
 * SYN may reopen TIME-WAIT). The old SYN again is a retransmission. */
static bool reuse_of_closed(const struct reasm_flow *f, enum flow_dir d,
			    const struct decoded_pkt *p)
{
	const struct reasm_dir *D = &f->dir[d];

	return f->pub.state == FLOW_STATE_CLOSED &&
	       (p->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
	       !((D->flags & REASM_DIR_SYN) && D->isn == p->seq);
}

/* The peer's SYN-ACK acknowledges the new SYN tcp_stream.c put aside. */
static bool reuse_confirmed(const struct reasm_flow *f, enum flow_dir d,
			    const struct decoded_pkt *p)
{
	return (f->flags & REASM_FLOW_REUSE) && d != f->reuse_dir &&
	       (p->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) == (TCP_SYN | TCP_ACK) &&
	       p->ack == f->reuse_isn + 1;
}

uint32_t reasm_flow_hash(const struct reasm *r, const struct decoded_pkt *p)
{
	return flow_hash(r, &p->src, p->sport, &p->dst, p->dport);
}

void reasm_prefetch(const struct reasm *r, uint32_t h, enum reasm_prefetch what)
{
	const struct slot *s = &r->slots[h & r->slot_mask];

	if (what == REASM_PREFETCH_SLOT) {
		__builtin_prefetch(s);
	} else if (slot_idx(s) != REASM_NIL) {
		const char *f = (const char *)reasm_flow_at(r, slot_idx(s));

		__builtin_prefetch(f);
		__builtin_prefetch(f + 64);
	}
}

void reasm_packet(struct reasm *r, const struct decoded_pkt *p, uint64_t now_us)
{
	reasm_packet_hashed(r, p, reasm_flow_hash(r, p), now_us);
}

void reasm_packet_hashed(struct reasm *r, const struct decoded_pkt *p, uint32_t h,
			 uint64_t now_us)
{
	struct reasm_flow *f = NULL;
	enum flow_dir d = FLOW_TO_SERVER;
	struct decoded_pkt syn;
	bool with_syn = false;
	uint32_t idx;

	if (now_us > r->now)
		r->now = now_us;
	idx = table_find(r, h, p, &d);
	if (idx != REASM_NIL) {
		f = reasm_flow_at(r, idx);
		if (reuse_confirmed(f, d, p)) {
			/* The new connection's SYN, as it was seen, goes into
			 * the new flow ahead of this SYN-ACK. */
			memset(&syn, 0, sizeof(syn));
			syn.src = p->dst;
			syn.dst = p->src;
			syn.sport = p->dport;
			syn.dport = p->sport;
			syn.ip_version = p->ip_version;
			syn.tcp_flags = TCP_SYN;
			syn.seq = f->reuse_isn;
			syn.wscale = f->reuse_wscale;
			syn.payload = p->payload;
			with_syn = true;
		}
		if (with_syn || reuse_of_closed(f, d, p)) {
			r->stats.port_reuse++;
			flow_end(r, f, FLOW_END_CLOSED);
			f = NULL;
		}
	}
	if (!f) {
		/* A lone RST answers something we do not track: nothing to
		 * reassemble, and no reason to fill the pool. */
		if (p->tcp_flags & TCP_RST)
			return;
		f = flow_create(r, p, h, r->now, &d);
		if (!f)
			return;
		/* (idle_us: a SYN is never a keep-alive) */
		if (with_syn)
			tcp_stream_packet(r, f, (enum flow_dir)!d, &syn, 0);
	}
	flow_packet(r, f, d, p);
}

void reasm_expire(struct reasm *r, uint64_t now_us)
{
	if (now_us > r->now)
		r->now = now_us;
	for (unsigned c = 0; c < REASM_CLASS_COUNT; c++) {
		uint32_t h;

		while ((h = r->lru_head[c]) != REASM_NIL) {
			struct reasm_flow *f = reasm_flow_at(r, h);

			if (r->now - f->pub.last_us < r->timeout[c])
				break;
			flow_end(r, f, c == REASM_CLASS_CLOSED ? FLOW_END_CLOSED
							       : FLOW_END_TIMEOUT);
		}
	}
}

void reasm_flush_all(struct reasm *r)
{
	for (unsigned c = 0; c < REASM_CLASS_COUNT; c++)
		while (r->lru_head[c] != REASM_NIL)
			flow_end(r, reasm_flow_at(r, r->lru_head[c]), FLOW_END_SHUTDOWN);
}

void reasm_flow_bypass(struct reasm *r, struct flow *f)
{
	struct reasm_flow *rf = reasm_flow_of(f);

	if (f->bypass)
		return;
	f->bypass = true;
	r->stats.flows_bypassed++;
	/* A bypassed flow keeps no history: none is appended from now on
	 * (nxt moves without it), so what is held goes now and the chain
	 * stays empty; an ACK then has nothing to trim. It may be given up
	 * inside its data callback, with more queued bytes to deliver. */
	tcp_hist_reset(r, &rf->dir[FLOW_TO_SERVER]);
	tcp_hist_reset(r, &rf->dir[FLOW_TO_CLIENT]);
}

const struct reasm_stats *reasm_get_stats(const struct reasm *r)
{
	return &r->stats;
}

uint64_t reasm_memory(const struct reasm *r)
{
	return r->memory;
}

/* ---- create / destroy ---------------------------------------------- */

struct reasm *reasm_create(const struct reasm_config *cfg,
			   const struct reasm_ops *ops, void *user)
{
	struct reasm *r;
	uint64_t nslots = 16, nchunks, hist_chunks, hist_per_dir;
	uint32_t nsegs;

	if (!cfg || !ops || !ops->flow_new || !ops->data || !ops->gap || !ops->eof ||
	    !ops->flow_end || cfg->max_flows > (1u << 30) ||
	    cfg->policy_default >= REASM_POLICY_COUNT || cfg->urgent_policy >= REASM_URGENT_COUNT ||
	    cfg->window_policy >= REASM_WINDOW_POLICY_COUNT ||
	    cfg->n_policy_nets > REASM_MAX_POLICY_NETS)
		return NULL;
	for (unsigned i = 0; i < cfg->n_policy_nets; i++)
		if (cfg->policy_nets[i].policy >= REASM_POLICY_COUNT ||
		    cfg->policy_nets[i].prefix_len > 128)
			return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->memory = sizeof(*r);
	r->ops = ops;
	r->user = user;
	r->max_flows = cfg->max_flows;
	r->ooo_per_flow = cfg->max_ooo_bytes_per_flow;
	r->timeout[REASM_CLASS_NEW] = cfg->timeout_new_us;
	r->timeout[REASM_CLASS_EST] = cfg->timeout_established_us;
	r->timeout[REASM_CLASS_CLOSED] = cfg->timeout_closed_us;
	r->id_prefix = (uint64_t)(cfg->worker_id & 0xffu) << REASM_ID_BITS;
	r->urgent_policy = cfg->urgent_policy;
	r->window_policy = cfg->window_policy;
	r->policy_default = cfg->policy_default;
	r->n_policy_nets = cfg->n_policy_nets;
	memcpy(r->policy_nets, cfg->policy_nets, sizeof(r->policy_nets));
	if (getrandom(&r->seed, sizeof(r->seed), GRND_NONBLOCK) != (ssize_t)sizeof(r->seed))
		r->seed = (uint64_t)(uintptr_t)r ^ UINT64_C(0x2545f4914f6cdd1d);
	for (unsigned c = 0; c < REASM_CLASS_COUNT; c++)
		r->lru_head[c] = r->lru_tail[c] = REASM_NIL;

	/* At most half full: short probe runs. */
	while (nslots < 2 * (uint64_t)cfg->max_flows)
		nslots <<= 1;
	r->slot_mask = (uint32_t)(nslots - 1);
	r->slots = alloc_counted(&r->memory, nslots, sizeof(*r->slots), true);
	r->free_flows = alloc_counted(&r->memory, cfg->max_flows, sizeof(uint32_t), false);
#ifdef MT_POOL_MALLOC
	r->flow_ptrs = alloc_counted(&r->memory, cfg->max_flows, sizeof(*r->flow_ptrs), true);
	r->memory += (uint64_t)cfg->max_flows * sizeof(struct reasm_flow);
	if (!r->flow_ptrs)
		goto fail;
#else
	/* calloc: pages of the pool become resident only when used. */
	r->flows = alloc_counted(&r->memory, cfg->max_flows, sizeof(*r->flows), true);
	if (!r->flows)
		goto fail;
#endif
	if (!r->slots || !r->free_flows)
		goto fail;
	/* the slots are calloc'd: all empty (slot_table.h) */
	r->n_free_flows = 0;             /* and flow_fresh 0: all unused */

	nsegs = cfg->max_ooo_segments == REASM_NIL ? REASM_NIL - 1 : cfg->max_ooo_segments;
	r->segs = alloc_counted(&r->memory, nsegs, sizeof(*r->segs), false);
	if (!r->segs)
		goto fail;
	r->seg_free = REASM_NIL;        /* and seg_fresh 0: all unused */
	r->segs_avail = nsegs;

	nchunks = cfg->max_ooo_bytes / REASM_CHUNK_SIZE;
	hist_chunks = cfg->max_history_bytes / REASM_CHUNK_SIZE;
	hist_per_dir = cfg->max_history_bytes_per_flow / REASM_CHUNK_SIZE;
	if (hist_per_dir > UINT16_MAX)
		hist_per_dir = UINT16_MAX;
	if (hist_chunks == 0 || hist_per_dir == 0)
		hist_chunks = hist_per_dir = 0;
	if (nchunks >= REASM_NIL / 2)
		nchunks = REASM_NIL / 2 - 1;
	if (hist_chunks >= REASM_NIL / 2)
		hist_chunks = REASM_NIL / 2 - 1;
	r->chunks_avail = (uint32_t)nchunks;
	r->hist_avail = (uint32_t)hist_chunks;
	r->hist_per_dir = (uint32_t)hist_per_dir;
	nchunks += hist_chunks;
	r->chunk_next = alloc_counted(&r->memory, nchunks, sizeof(uint32_t), false);
	if (!r->chunk_next)
		goto fail;
#ifdef MT_POOL_MALLOC
	r->chunk_ptrs = alloc_counted(&r->memory, nchunks, sizeof(*r->chunk_ptrs), true);
	r->memory += nchunks * REASM_CHUNK_SIZE;
	if (!r->chunk_ptrs)
		goto fail;
#else
	r->chunk_mem = alloc_counted(&r->memory, nchunks, REASM_CHUNK_SIZE, false);
	if (!r->chunk_mem)
		goto fail;
#endif
	r->chunk_free = REASM_NIL;      /* and chunk_fresh 0: all unused */
	r->nchunks = (uint32_t)nchunks;
	return r;
fail:
	reasm_destroy(r);
	return NULL;
}

unsigned reasm_regions(const struct reasm *r, struct reasm_region *out, unsigned max)
{
	unsigned n = 0;

	/* with MT_POOL_MALLOC both bases are NULL: each is a malloc */
	if (n < max && r->flows)
		out[n++] = (struct reasm_region){ r->flows, (size_t)r->max_flows * sizeof(*r->flows),
						  &r->flows_hwm };
	if (n < max && r->chunk_mem)
		out[n++] = (struct reasm_region){ r->chunk_mem, (size_t)r->nchunks * REASM_CHUNK_SIZE,
						  &r->chunks_hwm };
	return n;
}

int reasm_set_stable_payload(struct reasm *r, const void *base, size_t len)
{
	if (r->stats.flows_active)
		return -EBUSY;
	r->stable_lo = len ? (uintptr_t)base : 0;
	r->stable_hi = len ? (uintptr_t)base + len : 0;
	return 0;
}

void reasm_destroy(struct reasm *r)
{
	if (!r)
		return;
#ifdef MT_POOL_MALLOC
	/* Live objects are exactly the non-NULL pointers. */
	if (r->flow_ptrs)
		for (uint32_t i = 0; i < r->max_flows; i++)
			free(r->flow_ptrs[i]);
	if (r->chunk_ptrs)
		for (uint32_t i = 0; i < r->nchunks; i++)
			free(r->chunk_ptrs[i]);
	free(r->chunk_ptrs);
	free(r->flow_ptrs);
#endif
	free(r->slots);
	free(r->free_flows);
	free(r->flows);
	free(r->segs);
	free(r->chunk_next);
	free(r->chunk_mem);
	free(r);
}
