/*
 * sig_internal.h — private types shared by the files of signatures/.
 *
 * The pipeline is: text --sig_rule.c--> struct sig_rule (in a sig_set)
 * --sig_engine.c--> patterns, rule instances and Hyperscan databases (in a
 * sig_engine) --sig_scan.c--> alerts. sig_addr.c holds the address/port set
 * algebra and variable expansion; sig_class.c the classification table.
 *
 * Invariants:
 *  - A struct sig_rule in a set is complete and supported: every condition
 *    it carries is one the engine can honour exactly. Anything else was
 *    skipped at parse time with a reason.
 *  - Address and port sets are normalised: ranges sorted, disjoint and not
 *    adjacent, and never empty (an empty set is a parse error, since the
 *    rule could never match).
 *  - Pattern ids are dense 0..npat-1 across all databases, so one bitmap
 *    and one table index them; they are < 2^30 so a flow-state entry can
 *    carry a 2-bit kind tag next to the id. Some ids are virtual (no
 *    database): "this group of conditions matched in one buffer instance".
 *  - Groups: a condition's (buf, group) names the buffer instance its
 *    conditions must share (see sig.h). group is 0 except in multi-instance
 *    block buffers, where each sticky-buffer keyword opens a new group.
 */
#ifndef MT_SIG_INTERNAL_H
#define MT_SIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sig.h"

/* ---- 128-bit values: IPv6 / IPv4-mapped addresses, and ports ---------- */

struct sig_u128 {
	uint64_t hi, lo;
};

/*
 * Room for need elements of elem bytes in the growing array whose pointer
 * is at *pp (any element type) and capacity at *cap: doubled from first
 * until it fits. 0, or -1 when out of memory or past UINT32_MAX elements
 * (nothing changed). Start-up code: rule parsing and engine building.
 */
static inline int sig_reserve(void *pp, uint32_t *cap, uint32_t need, size_t elem,
			      uint32_t first)
{
	uint64_t c = *cap ? *cap : first;
	void *p, *np;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if (c > UINT32_MAX)
		return -1;
	memcpy(&p, pp, sizeof(p));      /* the pointer, whatever it points to */
	np = realloc(p, (size_t)c * elem);
	if (!np)
		return -1;
	memcpy(pp, &np, sizeof(np));
	*cap = (uint32_t)c;
	return 0;
}

static inline int sig_u128_cmp(struct sig_u128 a, struct sig_u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* Big-endian 16 bytes (the sig_tuple form) to a sig_u128. */
static inline struct sig_u128 sig_u128_from_bytes(const uint8_t b[16])
{
	struct sig_u128 v = { 0, 0 };

	for (int i = 0; i < 8; i++) {
		v.hi = (v.hi << 8) | b[i];
		v.lo = (v.lo << 8) | b[8 + i];
	}
	return v;
}

/* ---- range sets (sig_addr.c) ------------------------------------------ */

struct sig_range {
	struct sig_u128 lo, hi;          /* inclusive */
};

/*
 * A set of addresses (the whole IPv6 space, IPv4 mapped into
 * ::ffff:0:0/96) or of ports (0..65535 in .lo), as normalised ranges.
 * `any` is set when the set is the whole domain so matching can skip it.
 */
struct sig_rset {
	struct sig_range *r;
	uint32_t n;
	bool any;
};

enum sig_rset_kind {
	SIG_RSET_ADDR = 0,
	SIG_RSET_PORT = 1,
};

struct sig_set;

/* Parse an address or port expression (any, literals, CIDR, ranges,
 * lists, negation, $VARS resolved through s). Returns 0, or -1 with a
 * reason in err. out is owned by the caller (sig_rset_free). */
int sig_rset_parse(const struct sig_set *s, enum sig_rset_kind kind,
		   const char *text, size_t len, struct sig_rset *out,
		   char *err, size_t errlen);
void sig_rset_free(struct sig_rset *rs);
bool sig_rset_has(const struct sig_rset *rs, struct sig_u128 v);

/* Variable value as stored in the set, NULL if undefined. */
const char *sig_set_var_get(const struct sig_set *s, const char *name,
			    size_t namelen);

/* ---- classification table (sig_class.c) -------------------------------- */

struct sig_class {
	const char *name, *desc;
	uint32_t priority;
};

/* Built-in classtype by name (case-sensitive, as classification.config). */
const struct sig_class *sig_class_find(const char *name, size_t len);

/* ---- parsed rules (sig_rule.c) ------------------------------------------ */

/*
 * base64_decode[:bytes N][,offset M][,relative] then base64_data (Suricata's
 * detect-base64-decode.c, relaxed decoding as in Suricata 7: bytes outside
 * the alphabet are skipped, '=' ends). The window starts M bytes after the
 * end of the previous element's match (relative) or after the start of
 * buf, and is N input bytes long (default and cap SIG_B64_MAX) or ends with
 * the buffer. The contents after base64_data are one group in the decoded
 * bytes (SIG_BUF_BASE64), with their own small database per rule.
 */
#define SIG_B64_MAX 65535

/*
 * byte_test / byte_jump (Suricata's detect-bytetest.c, detect-bytejump.c),
 * "probes": read nbytes at an offset from the end of the previous match
 * (relative) or from the buffer's start, as a big/little-endian integer or
 * as ASCII digits (string, base 10/16/8); byte_test compares it (op, value,
 * neg), byte_jump holds when the jump (offset + nbytes + value * mult,
 * aligned to 4, + post_offset; from_beginning: from the buffer's start)
 * lands inside the buffer. Neither moves anything later rules see: a
 * relative match after one is refused, and byte_jump is for block buffers.
 */
enum sig_probe_op { SIG_PO_LT = 1, SIG_PO_GT, SIG_PO_EQ, SIG_PO_LE, SIG_PO_GE,
		    SIG_PO_AND, SIG_PO_OR };
struct sig_probe {
	bool jump, relative, little, neg, from_beginning, align;
	uint8_t nbytes, base;            /* base 0: binary; 8, 10, 16: string */
	uint8_t op;                      /* enum sig_probe_op (byte_test) */
	uint8_t buf;
	uint16_t group;
	int32_t trig;                    /* cond[] index it follows, -1: start */
	int32_t offset, post_offset;
	uint32_t mult;
	uint64_t value;
};
#define SIG_PROBE_MAX 4
struct sig_b64 {
	bool on, relative;
	uint8_t buf;                     /* the buffer decoded */
	uint16_t group;
	int32_t trig;                    /* index in cond[] of the element the
					  * window follows, -1: buffer start */
	uint32_t bytes, offset;
	uint32_t at;                     /* cond[] entries before base64_decode */
	bool stop;                       /* from_base64's RFC 4648 mode: the data
					  * ends at the first byte outside the
					  * alphabet (base64_decode skips them) */
};

/* Unset numeric modifier (depth, offset, distance, within). */
#define SIG_COND_UNSET INT32_MIN

enum sig_cond_flag {
	SIG_COND_NOCASE     = 1u << 0,
	SIG_COND_NEGATED    = 1u << 1,   /* content:!"x" / pcre:!"/x/" */
	SIG_COND_RAWBYTES   = 1u << 2,
	SIG_COND_STARTSWITH = 1u << 3,
	SIG_COND_ENDSWITH   = 1u << 4,
	SIG_COND_PCRE       = 1u << 5,   /* bytes is the regex text */
	SIG_COND_RELATIVE   = 1u << 6,   /* pcre R, isdataat relative */
	SIG_COND_ISDATAAT   = 1u << 7,   /* isdataat:N,relative (N in offset);
					  * no bytes, does not move the cursor */
};

/* pcre flags kept (i s m x), as inline-modifier letters. */
enum sig_pcre_flag {
	SIG_PCRE_I = 1u << 0,
	SIG_PCRE_S = 1u << 1,
	SIG_PCRE_M = 1u << 2,
	SIG_PCRE_X = 1u << 3,
};

/*
 * One element of a rule as written: a content (with its modifiers) or a
 * pcre, in one inspection buffer. Consecutive relative elements (distance,
 * within, pcre R) in one buffer form a chain that sig_expr.c turns into one
 * Hyperscan expression (struct sig_expr); those are the rule's conditions.
 */
struct sig_cond {
	uint8_t *bytes;                  /* content bytes or pcre regex text */
	uint32_t len;
	uint8_t buf;                     /* enum sig_buf */
	uint8_t flags;                   /* enum sig_cond_flag */
	uint8_t pflags;                  /* enum sig_pcre_flag */
	uint16_t group;                  /* instance group within buf */
	uint8_t xform;                   /* enum sig_xform: the sticky buffer's
					  * transforms (sig_expr.c) */
	int32_t depth, offset, distance, within;
};

/* A condition anchored to the previous one of its buffer: distance/within
 * on a content, the R flag on a pcre, relative on an isdataat. */
static inline bool sig_cond_is_relative(const struct sig_cond *c)
{
	if (c->flags & (SIG_COND_PCRE | SIG_COND_ISDATAAT))
		return (c->flags & SIG_COND_RELATIVE) != 0;
	return c->distance != SIG_COND_UNSET || c->within != SIG_COND_UNSET;
}

/*
 * Transforms (Suricata's strip_whitespace, compress_whitespace,
 * to_lowercase, to_uppercase) on a sticky buffer. They are per-byte, so a
 * plain content in the transformed buffer is a regex on the buffer as it
 * is: "ab" after strip_whitespace is a\s*b, after compress_whitespace a
 * space is \s+, after to_lowercase the content nocase (sig_expr.c). What a
 * regex cannot say that way (positions, pcre, lengths) is refused.
 */
enum sig_xform {
	SIG_XF_STRIP = 1u << 0, SIG_XF_COMPRESS = 1u << 1,
	SIG_XF_LOWER = 1u << 2, SIG_XF_UPPER = 1u << 3,
};

/*
 * bsize: the length L of the buffer (instance) lies in [lo, hi] (neg: does
 * not). lo >= 1 always (an empty buffer is never scanned); hi is
 * SIG_BSIZE_INF when unbounded.
 */
#define SIG_BSIZE_INF UINT64_MAX

struct sig_bsize {
	uint64_t lo, hi;
	uint8_t buf;
	uint16_t group;
	bool neg;
	bool at_least;                   /* absolute isdataat: "a byte at offset
					  * lo - 1 exists" (hi is INF), so
					  * no end of buffer is needed */
};

/*
 * One condition as compiled: a Hyperscan expression in one buffer, with
 * hs_expr_ext offsets (0 = unset). neg: the rule needs it NOT to match in
 * the buffer. absolute: it depends on where the buffer starts (offsets,
 * \A, ^), so on the raw stream it cannot match after a gap.
 */
struct sig_expr {
	char *re;                        /* NUL-terminated Hyperscan expression */
	unsigned hsflags;                /* HS_FLAG_CASELESS etc. */
	unsigned long long min_off, max_off;
	uint8_t buf;
	uint16_t group;
	bool neg, absolute;
	bool confirm;                    /* HS_FLAG_PREFILTER; PCRE2 confirms re */
	bool iscope;                     /* instance-scoped: only meaningful
					  * together with the other conditions
					  * of its group in one instance */
	uint32_t delay;                  /* isdataat too long for a repeat: the
					  * match counts once `delay` more bytes
					  * of the buffer have arrived (sig_scan.c) */
	bool once;                       /* true from its first match for the
					  * rest of the stream (isdataat's "a
					  * byte at offset N"): reported once,
					  * kept for the session */
	uint8_t probe;                   /* rule probe index + 1 whose position this
					  * expression's match end gives, 0 none */
	bool b64;                        /* its match end starts the rule's
					  * base64_decode window */
};

enum sig_dirmask {
	SIG_DM_TO_SERVER = 1u << SIG_DIR_TO_SERVER,
	SIG_DM_TO_CLIENT = 1u << SIG_DIR_TO_CLIENT,
	SIG_DM_BOTH = SIG_DM_TO_SERVER | SIG_DM_TO_CLIENT,
};

/* threshold / detection_filter (sig_threshold.c). */
enum sig_thr_type { SIG_THR_LIMIT = 1, SIG_THR_THRESHOLD, SIG_THR_BOTH, SIG_THR_DETECTION };
enum sig_thr_track { SIG_TRACK_SRC = 0, SIG_TRACK_DST, SIG_TRACK_BOTH, SIG_TRACK_RULE };
struct sig_threshold {
	uint8_t type;                    /* enum sig_thr_type, 0: none */
	uint8_t track;                   /* enum sig_thr_track */
	uint32_t count, seconds;
};
/* Parse the value of `threshold:` (detection_filter false) or
 * `detection_filter:`. 0, or -1 with a reason in err. */
int sig_threshold_parse(const char *v, size_t len, bool detection_filter,
			struct sig_threshold *out, char *err, size_t errlen);
struct sig_thr_table;
struct sig_thr_table *sig_thr_new(uint32_t slots);
void sig_thr_free(struct sig_thr_table *t);
/* One match of rule for (src, dst) at now_us: true if it is an alert. */
bool sig_thr_allow(struct sig_thr_table *t, const struct sig_threshold *th, uint32_t rule,
		   const uint8_t src[16], const uint8_t dst[16], uint64_t now_us,
		   uint64_t *evicted);

/*
 * flowbits (Suricata's detect-flowbits.c): named bits kept per flow for the
 * flow's whole life. A rule's checks (isset, isnotset) are tested when its
 * other conditions have all matched; its actions (set, unset, toggle) run
 * when it fires, before threshold decides whether that is an alert; noalert
 * makes it silent. Names are interned per set, at most SIG_FLOWBITS_MAX.
 */
#define SIG_FLOWBITS_MAX 256
/* flowint (detect-flowint.c): up to SIG_FLOWINT_MAX named integers per
 * flow, the same life; checks compare (an unset variable fails every
 * comparison), actions assign, add, subtract (an unset one counts as 0). */
#define SIG_FLOWINT_MAX 16
enum sig_fb_op {
	SIG_FB_SET = 1, SIG_FB_UNSET, SIG_FB_TOGGLE,           /* flowbits actions */
	SIG_FB_ISSET, SIG_FB_ISNOTSET,                         /* flowbits checks */
	SIG_FI_ASSIGN, SIG_FI_ADD, SIG_FI_SUB,                 /* flowint actions */
	SIG_FI_EQ, SIG_FI_NE, SIG_FI_LT, SIG_FI_GT, SIG_FI_LE, SIG_FI_GE,
	SIG_FI_ISSET, SIG_FI_NOTSET,                           /* flowint checks */
};
struct sig_fb {
	uint16_t bit;                    /* flowbit, or flowint variable */
	uint8_t op;                      /* enum sig_fb_op */
	int32_t val;                     /* flowint operand */
};

static inline bool sig_fb_is_check(uint8_t op)
{
	return op == SIG_FB_ISSET || op == SIG_FB_ISNOTSET || op >= SIG_FI_EQ;
}

/*
 * filemd5 / filesha1 / filesha256 list: the file's digest is (neg: is not)
 * one of n sorted digests of sig_hash_len[kind] bytes. Decided per file by
 * sig_scan_file_hashes through a virtual pattern (no Hyperscan: a list of
 * a million digests is a binary search, not an expression).
 */
struct sig_hashlist {
	uint8_t kind;                    /* enum sig_hash */
	bool neg;
	uint32_t n;
	uint8_t *d;                      /* n * digest length, sorted */
};

/* The digest length of each enum sig_hash, in bytes. */
static const unsigned sig_hash_len[SIG_HASH_COUNT] = { 16, 20, 32 };

/* suppress (threshold.config, sig_tconf.c): no alert from the rule when
 * the tracked address is in addrs (track none: never). */
enum sig_sup_track { SIG_SUP_ALL = 0, SIG_SUP_SRC, SIG_SUP_DST, SIG_SUP_EITHER };
struct sig_suppress {
	uint8_t track;
	struct sig_rset addrs;
};

struct sig_rule {
	struct sig_rule_meta meta;       /* strings: msg owned, others static/interned */
	struct sig_rset src, sport, dst, dport;
	bool bidir;                      /* "<>" */
	bool hdr_any;                    /* all four sets are "any" */
	uint8_t dirs;                    /* enum sig_dirmask the rule can fire in */
	struct sig_cond *cond;
	uint32_t ncond;
	struct sig_bsize *bsz;
	uint32_t nbsz;
	struct sig_expr *expr;           /* built by sig_rule_exprs() */
	uint32_t nexpr;
	int8_t neg_buf;                  /* buffer of the negated conditions, -1 none */
	struct sig_threshold thr;        /* thr.type 0: no rate limit */
	struct sig_fb *fb;               /* flowbits checks and actions */
	uint8_t nfb;
	bool fb_check;                   /* some isset/isnotset */
	bool noalert;                    /* flowbits:noalert */
	bool pass;                       /* action pass: the flow alerts no more */
	struct sig_hashlist *hl;         /* file digest lists */
	uint8_t nhl;
	struct sig_b64 b64;
	struct sig_probe probe[SIG_PROBE_MAX];
	uint8_t nprobe;
	struct sig_suppress *sup;
	uint8_t nsup;
};

/* Longest cache directory path kept (sig_set_cache_dir), with its NUL. */
#define SIG_CACHE_DIR_MAX 1024

/* The parsed rule set. Owned by the caller until sig_engine_build. */
struct sig_set {
	struct sig_rule *rules;
	uint32_t nrules, caprules;
	unsigned skipped;

	struct sig_var { char *name, *value; } *vars;
	uint32_t nvars, capvars;

	char **files;                    /* interned rule file names */
	uint32_t nfiles, capfiles;

	char *fbname[SIG_FLOWBITS_MAX];  /* interned flowbit names */
	uint32_t nfbname;
	char *finame[SIG_FLOWINT_MAX];   /* interned flowint names */
	uint32_t nfiname;

	const char *const *ev_names;     /* sig_set_event_names */
	const char *const *ev_canon;
	unsigned nev;

	uint32_t *sidhash;               /* open addressing: rule index + 1, 0 empty */
	uint32_t sidhash_cap;            /* power of two */

	/* sig_set_cache_dir (sig_cache.c): "" = no cache. A fixed array so
	 * that sig_set_free has nothing more to free. cache_ro: the directory
	 * exists but is not writable; entries are only loaded. */
	char cache_dir[SIG_CACHE_DIR_MAX];
	bool cache_ro;
	/* Expressions Hyperscan is known to accept (sig_cache.c, verdicts):
	 * 16-byte keys in an open-addressing set (vcap 0 or a power of two,
	 * an all-zero key is free), loaded with the cache directory and
	 * written back to it after a build that added some or left some
	 * unused. vused[slot]: this build looked the key up or added it;
	 * only those are written back, so the file holds the rule set in use
	 * and does not grow with every rule set ever loaded. */
	uint8_t (*vkey)[16];
	uint8_t *vused;
	uint32_t vcap, vcount, vnused;
	bool vdirty;
	uint32_t vhits;                  /* analyses the set spared */
};

/* Session-scoped buffers (smtp.helo) survive sig_flow_tx_end(). */
bool sig_buf_is_session(enum sig_buf b);

/* ---- rule elements -> expressions (sig_expr.c) ------------------------ */

/*
 * Build r->expr from r->cond, checking that every element can be honoured
 * exactly (and that Hyperscan accepts each expression in its buffer's
 * mode). Returns 0, or -1 with the reason in err; r->expr is freed by
 * sig_rule_exprs_free in every case.
 */
int sig_rule_exprs(struct sig_rule *r, struct sig_set *s, char *err, size_t errlen);
void sig_rule_exprs_free(struct sig_rule *r);

/*
 * bsize value (text as written, len bytes) to the allowed lengths: out->lo,
 * hi, neg are set (buf and group are left to the caller). Returns 0, or -1
 * with the reason in err (invalid syntax, bitmask forms, or a set of lengths
 * that no inspected, i.e. non-empty, buffer can have).
 */
int sig_bsize_parse(const char *p, size_t len, struct sig_bsize *out,
		    char *err, size_t errlen);

/* Streaming (raw stream, smtp.data, email.body, file.data) or block mode
 * for a buffer. */
static inline bool sig_buf_is_stream(unsigned b)
{
	return b == SIG_BUF_STREAM || b == SIG_BUF_SMTP_DATA ||
		b == SIG_BUF_EMAIL_BODY || b == SIG_BUF_FILE_DATA || b == SIG_BUF_FRAME_DATA;
}

/* Multi-instance block buffers: each sticky keyword is its own group. */
static inline bool sig_buf_is_multi(unsigned b)
{
	return b == SIG_BUF_SMTP_RCPT_TO || b == SIG_BUF_EMAIL_TO ||
		b == SIG_BUF_EMAIL_CC || b == SIG_BUF_EMAIL_RECEIVED ||
		b == SIG_BUF_EMAIL_URL || b == SIG_BUF_FILE_NAME ||
		b == SIG_BUF_SMTP_COMMAND || b == SIG_BUF_FILE_MAGIC ||
		b == SIG_BUF_APP_EVENT || b == SIG_BUF_BASE64 ||
		b == SIG_BUF_FRAME_COMMAND_LINE || b == SIG_BUF_FRAME_RESPONSE_LINE;
}

/* Buffers with several instances per transaction (multi-instance block
 * buffers, and the per-part / per-file streams). */
static inline bool sig_buf_is_instanced(unsigned b)
{
	return sig_buf_is_multi(b) || b == SIG_BUF_EMAIL_BODY ||
		b == SIG_BUF_FILE_DATA;
}

/* ---- compiled engine (sig_engine.c) ------------------------------------- */

struct hs_database;
struct hs_scratch;

/* A deduplicated pattern: (bytes, nocase, buffer, direction). */
struct sig_pat {
	uint8_t buf, dir;
	bool session;                    /* smtp.helo: survives tx_end */
	bool recorded;                   /* some multi-condition instance needs it */
	bool absolute;                   /* ignored on a raw stream after a gap */
	bool iscope;                     /* instance-scoped (sig_expr.iscope):
					  * forgotten when its instance ends */
	uint32_t b64;                    /* decoder index + 1 whose window this
					  * pattern's match end starts, 0 none */
	uint32_t probe;                  /* engine probe index + 1, 0 none */
	uint32_t delay;                  /* sig_expr.delay */
	bool pos;                        /* its match end is kept for the scan
					  * (b64, probe, delay, or a PCRE2
					  * candidate on a stream) */
	void *re2;                       /* pcre2_code: confirms a prefilter match */
	uint32_t inst_off, inst_n;       /* into sig_engine.pat_inst */
};

/*
 * A rule in one direction: the unit that fires. Or, when virt is set, one
 * group of a rule that also has other conditions: when its conditions all
 * match in one instance it "matches" the virtual pattern virt, which the
 * rule's own instance lists as a condition.
 */
struct sig_inst {
	uint32_t rule;                   /* index into set->rules */
	uint8_t dir;                     /* enum sig_dir */
	uint32_t cond_off, ncond;        /* pattern ids into sig_engine.inst_cond;
					  * SIG_COND_NEG set on negated ones */
	int8_t neg_buf;                  /* decided at the end of this buffer, -1 no */
	uint32_t virt;                   /* SIG_NO_VIRT, or the group's pattern */
};

#define SIG_COND_NEG 0x80000000u
#define SIG_NO_VIRT UINT32_MAX
#define SIG_NO_PAT UINT32_MAX

struct sig_engine {
	struct sig_set *set;
	struct hs_database *db[SIG_BUF_COUNT][2];
	struct hs_scratch *proto;        /* NULL when no database */
	uint32_t *stream_remap[2];       /* the raw stream's one database for
					  * both directions: match id -> the
					  * direction's pattern, SIG_NO_PAT when
					  * not one of its own (sig_engine.c
					  * stream_merge); NULL: the id itself */
	size_t db_bytes;
	size_t stream_size[SIG_BUF_COUNT][2];

	struct sig_pat *pat;
	uint32_t npat;
	uint32_t *pat_inst;              /* instance ids, grouped by pattern */
	struct sig_inst *inst;
	uint32_t ninst;
	uint32_t *inst_cond;             /* pattern ids, grouped by instance */
	/* Instances with negated conditions, per (buffer, direction): they
	 * are decided when that buffer's inspection ends. */
	uint32_t *neg_inst;
	uint32_t neg_off[SIG_BUF_COUNT][2], neg_n[SIG_BUF_COUNT][2];
	uint32_t nconfirm;               /* patterns with re2 */
	/* Hash-list conditions: virtual pattern hash_pid[i] matches when a
	 * file's digest satisfies hash_list[i]. */
	uint32_t *hash_pid;
	const struct sig_hashlist **hash_list;
	uint32_t nhash;
	uint8_t need_hash;               /* bit per enum sig_hash */
	/* base64_decode windows: one decoder per rule and direction. */
	struct sig_b64dec {
		bool from_start;         /* the trigger is the buffer's first byte */
		bool stop;               /* struct sig_b64 stop */
		uint32_t offset, bytes;
		struct hs_database *db;  /* its base64_data conditions */
	} *b64dec;
	uint32_t nb64dec;
	/* probes (byte_test/byte_jump): one per rule, direction and probe */
	struct sig_eprobe {
		const struct sig_probe *p;
		uint32_t vpid;           /* virtual pattern: the probe held */
	} *probes;
	uint32_t nprobes;

	/* Compiled-database cache, during and after the build (sig_cache.c):
	 * counts, the first problem, and the keys this build used (so a prune
	 * keeps them). cache_state: SIG_CACHE_* bits of sig_cache.c (directory
	 * checked, unusable, no more writes). */
	unsigned cache_hits, cache_misses, cache_errors;
	uint8_t cache_state;
	char cache_note[320];
	uint8_t cache_key[SIG_BUF_COUNT * 2][32];
	unsigned ncache_key;
};

/* ---- compiled-database cache (sig_cache.c) ------------------------------ */

struct hs_expr_ext;

/* The inputs of one hs_compile_ext_multi call: what the cache key covers. */
struct sig_cache_req {
	unsigned mode;                   /* HS_MODE_BLOCK or HS_MODE_STREAM */
	unsigned n;
	const char *const *expr;
	const unsigned *flags, *ids;
	const struct hs_expr_ext *const *ext;   /* entries may be NULL */
};

/*
 * The database for rq from set s's cache directory, or NULL: no cache, a
 * miss, or a bad entry (counted in e, noted; never fatal). key receives the
 * request's key for sig_cache_store. The database is the caller's.
 */
struct hs_database *sig_cache_load(struct sig_engine *e, const struct sig_set *s,
				   const struct sig_cache_req *rq, uint8_t key[32]);
/* Write db under key (after a miss). Failures are counted and noted. */
void sig_cache_store(struct sig_engine *e, const struct sig_set *s,
		     const uint8_t key[32], const struct hs_database *db);
/* After a successful build: delete stale entries (see sig.h). */
void sig_cache_prune(struct sig_engine *e, const struct sig_set *s);

/* Whether Hyperscan surely compiles re exactly, judged from its text
 * (sig_expr.c): such an expression needs no hs_expression_ext_info. */
bool sig_re_surely_exact(const char *re);

/* The bounded repeats of an expression's text (sig_expr.c): the sum of
 * their upper bounds, and the largest in *max (max may be NULL). */
uint64_t sig_re_repeats(const char *re, unsigned long *max);

/*
 * Hyperscan's verdict on one expression, remembered: checking a rule's
 * expressions (hs_expression_ext_info, sig_expr.c) is most of a start-up
 * whose databases come from the cache. sig_verdict_key() names an
 * expression as compiled (pattern, flags, offsets, mode, Hyperscan's
 * version); sig_verdict_known() says whether it passed before (counted in
 * s->vhits), sig_verdict_add() records one that passed now. Only passes
 * are kept: a refusal is always asked again, with its message. The set
 * comes from the cache directory (sig_verdicts_load, called by
 * sig_set_cache_dir) and goes back to it with sig_verdicts_store() after
 * a build, as a cache entry of its own (same checks, same atomic write).
 */
int sig_verdict_key(const char *re, unsigned flags, uint64_t min_off, uint64_t max_off,
		    bool stream, uint8_t key[16]);
bool sig_verdict_known(struct sig_set *s, const uint8_t key[16]);
void sig_verdict_add(struct sig_set *s, const uint8_t key[16]);
void sig_verdicts_load(struct sig_set *s);
void sig_verdicts_store(struct sig_engine *e, const struct sig_set *s);

/* PCRE2 match limits for confirmations (Suricata's defaults are 3500 /
 * 1500; a confirmation that hits one is a non-match, counted). */
#define SIG_PCRE_MATCH_LIMIT 3500
#define SIG_PCRE_DEPTH_LIMIT 1500

#define SIG_ID_MAX (1u << 30)

/* Hex digit value, -1 for anything else. */
static inline int sig_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A decimal number of at most 10 digits, up to max; false on anything else. */
static inline bool sig_parse_uint(const char *p, size_t len, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Rule-text white space, and trimming it from both ends of a slice. */
/* p[0..len) is the word lit, in any case. */
static inline bool tok_eq(const char *p, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(p, lit, len) == 0;
}

static inline bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline void trim(const char **p, size_t *len)
{
	while (*len && is_space(**p)) {
		(*p)++;
		(*len)--;
	}
	while (*len && is_space((*p)[*len - 1]))
		(*len)--;
}

#endif
