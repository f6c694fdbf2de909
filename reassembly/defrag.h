/*
 * defrag — IPv4 and IPv6 fragment reassembly with target-based overlap
 * policies.
 *
 * The worker gives every fragment decode_packet() reported
 * (DECODE_FRAGMENT, `struct decoded_frag`) to defrag_insert(). When a
 * datagram is complete, defrag_insert() hands back a contiguous copy of it
 * (header first, fixed up as if it had never been fragmented); the caller
 * decodes it with decode_ip(), processes it like any packet, then gives
 * the buffer back with defrag_release().
 *
 * Memory. Everything is sized at defrag_create() and never grows: a
 * table of datagrams in progress, a pool of 1 KiB pages holding their
 * bytes (counted against max_bytes, by the page, as tcp_stream counts its
 * chunks), a pool of fragment descriptors and a few output buffers. A
 * fragment that does not fit is dropped and counted; when the datagram
 * table is full the oldest datagram is evicted and counted. Nothing on
 * the packet path allocates.
 *
 * Datagrams are told apart by (src, dst, id, version) and, for IPv4, the
 * protocol (RFC 791 section 3.2). IPv6 leaves the protocol out: RFC 8200
 * section 4.5 lets the Fragment headers of one packet carry different
 * Next Header values and takes the one of offset zero, so a key with the
 * protocol in it would let a sender split one datagram into two trackers
 * that the target joins. The table's hash is keyed with a random seed per
 * instance, so a sender cannot aim its fragments at one probe chain.
 *
 * Overlaps. Operating systems disagree on whose bytes win when fragments
 * overlap (Ptacek & Newsham 1998; Novak, "Target-Based Fragmentation
 * Reassembly", 2005), so a sensor must reassemble the way the destination
 * host does or it inspects bytes the host never sees. The policy is
 * chosen per destination address (longest matching prefix of the table
 * in defrag_config, else the default), with the names Snort 3 and
 * Suricata use:
 *
 *   Held bytes are kept as pieces: runs of bytes from one fragment,
 *   trimmed by what later fragments took. A new fragment N = [no, ne) is
 *   compared with every held piece E = [eo, ee) it overlaps; in the
 *   overlap N's bytes win when
 *
 *     first      never (the bytes received first stay)
 *     last       always (the bytes received last win)
 *     linux      eo >= no (N wins over pieces that start at or after it;
 *                a piece that starts before N keeps its bytes)
 *     bsd        eo > no (as linux, but a piece starting at the same
 *                offset as N keeps its bytes)
 *     bsd-right  ne > ee, or ne == ee and no <= eo (the one reaching
 *                further right wins; at equal ends the one starting
 *                further left; an exact duplicate replaces) — HP JetDirect
 *     windows    no < eo and ne > ee (N must strictly contain the piece;
 *                otherwise first)
 *     solaris    no < eo and ne >= ee (N starts before the piece and ends
 *                at or after it; otherwise first)
 *
 *   linux and bsd are Linux's and 4.4BSD's ip_reass trimming rules (the
 *   fragment in front of N trims N, N trims the ones behind it); windows
 *   and solaris are "first" with the exceptions frag3 documents; bsd-right
 *   follows Snort's frag3 description of HP JetDirect printers. The unit
 *   test reproduces the Sturges/Novak overlap pattern for every policy.
 *   IPv6 forbids overlaps (RFC 5722); hosts that follow it drop the whole
 *   datagram, older ones reassemble it, so the policy applies to IPv6 too
 *   (inspecting bytes the host drops costs a false alarm at worst) and the
 *   overlap is counted either way.
 *
 * The header of the reassembled datagram is the one of the fragment whose
 * bytes hold offset 0 (RFC 791 section 3.2; RFC 8200 section 4.5 for the
 * unfragmentable part and the Next Header). IPv4: total length set, MF and
 * offset cleared (DF kept), header checksum recomputed, so decode_ip()
 * accepts it with checksum validation on. IPv6: payload length set, the
 * Fragment header removed and the Next Header of the header before it set
 * to the offset-zero fragment's Next Header.
 *
 * Time is packet time passed in by the caller; a datagram times out
 * timeout_us after its first fragment (as Linux and frag3 do: later
 * fragments do not extend it), and expiry costs O(expired).
 */
#ifndef MT_DEFRAG_H
#define MT_DEFRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

enum defrag_policy {
	DEFRAG_POLICY_FIRST = 0,
	DEFRAG_POLICY_LAST,
	DEFRAG_POLICY_BSD,
	DEFRAG_POLICY_BSD_RIGHT,
	DEFRAG_POLICY_LINUX,
	DEFRAG_POLICY_WINDOWS,
	DEFRAG_POLICY_SOLARIS,
	DEFRAG_POLICY_COUNT,
};

/*
 * What one fragment showed, as bits of defrag_insert()'s result. The
 * anomalies (bits 0..DEFRAG_ANOM_COUNT-1) are evasion or attack signs,
 * each with a stable name (defrag_anomaly_name) and a counter
 * (defrag_stats.anomaly[]). decode_packet() already refuses fragments
 * past 65535 and empty ones, and trims IPv4 lengths (its frag_invalid and
 * frag_trimmed): frag_too_large and frag_bad_length are defrag's own
 * check of what any caller gives it, and fire in the sensor only if the
 * decoder let such a fragment through.
 */
enum defrag_anomaly {
	DEFRAG_ANOM_OVERLAP_DIFFERENT = 0, /* "frag_overlap_different": an overlap
					    * whose bytes differ from those held */
	DEFRAG_ANOM_TINY_FIRST,        /* "frag_tiny_first": offset-0 fragment
					* shorter than its transport header
					* (RFC 1858 section 3.1) */
	DEFRAG_ANOM_TOO_LARGE,         /* "frag_too_large": offset + length past
					* 65535 ("ping of death"); dropped */
	DEFRAG_ANOM_TOO_MANY,          /* "frag_too_many": more fragments than
					* max_frags_per_datagram; the datagram
					* is given up */
	DEFRAG_ANOM_TIMEOUT,           /* "frag_timeout": a datagram never
					* completed (counted at expiry) */
	DEFRAG_ANOM_BAD_LENGTH,        /* "frag_bad_length": empty fragment, or a
					* non-last one not a multiple of 8
					* (RFC 791 3.2, RFC 8200 4.5) */
	DEFRAG_ANOM_BAD_END,           /* "frag_bad_end": data past the last
					* fragment's end, or two last fragments
					* that disagree; dropped */
	DEFRAG_ANOM_COUNT,
};

/* Outcome bits of defrag_insert() beside the anomaly bits. */
enum {
	DEFRAG_OVERLAP = 1u << 16,     /* overlapped held bytes (same or not) */
	DEFRAG_DROPPED = 1u << 17,     /* the fragment was not kept */
};

#define DEFRAG_ANOM_BIT(a) (1u << (a))

/* A prefix of the per-destination policy table. Addresses are in the
 * mapped form of mt_addr, so an IPv4 /8 is bits = 96 + 8. */
struct defrag_prefix {
	struct mt_addr addr;          /* bits past `bits` are zero */
	uint8_t bits;                 /* 0..128 */
	uint8_t policy;               /* enum defrag_policy */
};

#define DEFRAG_MAX_PREFIXES 64

struct defrag_config {
	uint32_t max_datagrams;       /* datagrams in progress (table size) */
	uint64_t max_bytes;           /* bytes held, all datagrams, counted
				       * in 1 KiB pages */
	uint32_t max_frags;           /* fragment pieces held, all datagrams */
	uint32_t max_frags_per_datagram; /* fragments one datagram may take */
	uint32_t max_datagram_bytes;  /* largest reassembled datagram, IP
				       * header(s) included; at most
				       * DEFRAG_DATAGRAM_MAX */
	uint64_t timeout_us;          /* from the first fragment */
	uint32_t out_buffers;         /* reassembled datagrams out at once */
	uint8_t default_policy;       /* enum defrag_policy */
	uint32_t n_prefixes;
	struct defrag_prefix prefixes[DEFRAG_MAX_PREFIXES];
};

/* IPv6's largest packet: a 65535-byte payload behind its fixed header. */
#define DEFRAG_DATAGRAM_MAX (40u + 65535u)

/* Defaults: 4096 datagrams, 16 MiB, 65536 pieces, 256 fragments per
 * datagram, 60 s (Snort's and Suricata's default), 4 output buffers,
 * policy bsd (frag3's default), no prefixes. */
void defrag_config_default(struct defrag_config *c);

/*
 * Add policies from text: a comma-separated list of entries, each either
 * POLICY (sets the default) or ADDR[/LEN]=POLICY, e.g.
 * "linux,10.0.0.0/8=windows,2001:db8::/32=bsd-right". A later entry for
 * the same prefix replaces the earlier. Returns 0, -EINVAL (bad entry;
 * nothing changed) or -ENOSPC (more than DEFRAG_MAX_PREFIXES prefixes).
 */
int defrag_config_parse_policies(struct defrag_config *c, const char *list);

/*
 * One prefix of the policy table: net is "10.0.0.0/8", "2001:db8::/32"
 * or one address; policy a name defrag_policy_from_name() knows. For
 * Suricata's host-os-policy table. Returns 0, -EINVAL or -ENOSPC, as
 * defrag_config_parse_policies().
 */
int defrag_config_add_prefix(struct defrag_config *c, const char *net, const char *policy);

/* "first", "last", "bsd", "bsd-right", "linux", "windows", "solaris";
 * "?" for an unknown value. */
const char *defrag_policy_name(enum defrag_policy p);
/* The policy of that name, or -1. Also "bsd_right" and the operating
 * systems of Suricata's host-os-policy, mapped as Suricata's defrag maps
 * them: old-linux -> linux; hpux10, irix -> bsd; old-solaris, hpux11,
 * macos -> first; vista, windows2k3 -> windows. */
int defrag_policy_from_name(const char *name);

/* Stable name of an anomaly ("frag_tiny_first"), for events and stats. */
const char *defrag_anomaly_name(enum defrag_anomaly a);

struct defrag_stats {
	uint64_t frags;               /* fragments given to defrag_insert() */
	uint64_t frags_ipv4, frags_ipv6;
	uint64_t atomic;              /* offset 0 and no more: passed whole */
	uint64_t datagrams_created;
	uint64_t reassembled;         /* datagrams put together and handed out
				       * (atomic ones not included) */
	uint64_t reassembled_ipv4, reassembled_ipv6;
	uint64_t reassembled_bytes;   /* their size, headers included */
	uint64_t overlaps;            /* fragments overlapping held bytes */
	uint64_t overlaps_different;  /* ... whose bytes differ */
	uint64_t anomaly[DEFRAG_ANOM_COUNT]; /* by enum defrag_anomaly;
				       * anomaly[TIMEOUT] counts datagrams */
	uint64_t evicted;             /* table full: the oldest datagram went */
	uint64_t expired;             /* dropped at their timeout (those given
				       * up included) */
	uint64_t flushed;             /* incomplete at defrag_flush_all() */
	uint64_t lost;                /* complete, but not handed out (no
				       * output buffer, size cap) */
	uint64_t drop_no_memory;      /* fragment refused: pages or pieces */
	uint64_t drop_datagram_cap;   /* fragment past max_datagram_bytes */
	uint64_t drop_invalid;        /* inconsistent fragment or header (also
				       * an IPv6 unfragmentable part over 1 KiB) */
	uint64_t drop_given_up;       /* fragments of a datagram given up
				       * (too many fragments) */
	uint64_t drop_no_output;      /* complete, but no output buffer */
	uint64_t datagrams_active;    /* gauge */
	uint64_t frags_held;          /* gauge: pieces */
	uint64_t bytes_held;          /* gauge: page bytes */
	uint64_t bytes_peak;          /* high-water mark of bytes_held */
};

/* A reassembled datagram handed to the caller. */
struct defrag_datagram {
	const uint8_t *ip;            /* the datagram, IP header first */
	uint32_t len;
	uint8_t ip_version;           /* 4 or 6 */
	uint8_t proto;                /* transport protocol */
	uint8_t policy;               /* enum defrag_policy it was built with */
	uint16_t frags;               /* fragments received for it */
};

struct defrag;

/*
 * Allocate everything (start-up only). Returns NULL on allocation failure
 * or an unusable config (zero datagrams, pages, pieces or output buffers,
 * an unknown policy, a prefix longer than 128 bits). The config is copied.
 */
struct defrag *defrag_create(const struct defrag_config *cfg);
void defrag_destroy(struct defrag *d);

/*
 * One fragment at packet time now_us (times that go backwards count as
 * the latest seen). f's pointers (l3, data) need only be valid during the
 * call: the bytes kept are copied.
 *
 * Returns the DEFRAG_ANOM_BIT()s this fragment raised plus DEFRAG_OVERLAP
 * / DEFRAG_DROPPED. When the fragment completes a datagram (or is a whole
 * datagram: offset 0, no more fragments), *out points to it; the caller
 * must pass it to defrag_release() before the output buffers run out (the
 * sensor releases it at once, after processing it). Otherwise *out is
 * NULL.
 */
uint32_t defrag_insert(struct defrag *d, const struct decoded_frag *f, uint64_t now_us,
		       const struct defrag_datagram **out);

/* Give back a datagram defrag_insert() handed out. */
void defrag_release(struct defrag *d, const struct defrag_datagram *dg);

/* Drop datagrams whose timeout passed (counted as anomaly frag_timeout).
 * Returns how many. O(expired). */
uint32_t defrag_expire(struct defrag *d, uint64_t now_us);

/* End of input: drop every datagram in progress (counted in flushed). */
void defrag_flush_all(struct defrag *d);

/* The policy used for datagrams to dst. */
enum defrag_policy defrag_policy_for(const struct defrag *d, const struct mt_addr *dst);

const struct defrag_stats *defrag_get_stats(const struct defrag *d);

/* Memory reserved at create time, in bytes. */
uint64_t defrag_memory(const struct defrag *d);

/* Debug and tests: check every internal invariant (pieces sorted and
 * disjoint, byte and page accounting, pools, table). Returns NULL if all
 * hold, else what broke. O(everything held). */
const char *defrag_selfcheck(const struct defrag *d);

#endif
