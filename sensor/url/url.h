/*
 * url — streaming URL extractor for the decoded text of one MIME part.
 *
 * One `struct url_state` per text part (text/plain or text/html), fed the
 * part's DECODED body bytes (after base64/QP) in chunks of any size. Any
 * split of the input gives the same URLs in the same order: every partial
 * construct (a scheme being matched, an HTML tag, an entity, a URL being
 * collected) is kept in the state, the URL bytes in a block from the
 * worker's pool. Each URL is reported once per part through a callback.
 *
 * What is found:
 * - Plain text (both modes): "scheme://..." for the enabled schemes
 *   (default http, https, ftp; mailto: optional) and scheme-less hosts
 *   starting with "www." (URL_SCHEME_WWW, on by default), logged as found,
 *   "www.example.com/x", flagged URL_F_WWW: the form Suricata's url[]
 *   shows when `log-url-scheme` is off (it strips the scheme it searched
 *   for), but found here also when the mail never wrote a scheme (and
 *   the "www." inside "http://www.x" is part of that URL, not a second
 *   one). Schemes match in any case and must start a word (not follow a
 *   letter, digit or '_'); "www." must not follow a letter, digit or one
 *   of "._-@/". A URL ends at whitespace, a control byte, a no-break space
 *   (U+00A0 in UTF-8, or &nbsp; in HTML), '<', '>' or '"' (RFC 3986
 *   appendix C); then trailing ". , ; : ! ? ' \" *" are trimmed, and a
 *   trailing ')' ']' '}' when the URL holds more closing than opening ones
 *   (so "(see http://w.org/A_(b))." gives "http://w.org/A_(b)").
 * - HTML mode, in addition: the values of href, src, action, background,
 *   formaction, poster, cite, longdesc, lowsrc, dynsrc, data, codebase and
 *   xlink:href (names in any case; double, single or no quotes), with HTML
 *   entities decoded (&amp; &#47; &#x2F; and a set of named ones), leading
 *   and trailing whitespace removed and tab/CR/LF inside dropped, as a
 *   browser does (WHATWG URL). Such a value is a URL when its scheme is
 *   enabled ("javascript:", "data:", "cid:", relative links are not; they
 *   are counted in `rejected_scheme` when they have a scheme) or when it
 *   starts with "www.". "http:\\\\x" and "http:x" are logged as
 *   "http://x". Text content, other attribute values (srcset, style,
 *   meta refresh content), comments (Outlook's conditional comments hold
 *   VML links) and <!...> declarations are scanned as plain text, text
 *   content with entities decoded.
 * - Defanged forms (URL_CFG_DEFANG, on by default): schemes hxxp, hxxps,
 *   fxp (any case), "[:]" or "[://]" for "://", and "[.]" "(.)" "{.}"
 *   "[dot]" for a dot anywhere in the URL; they are logged refanged and
 *   flagged URL_F_DEFANGED.
 *
 * Normalisation for logging: scheme and host lower-cased (ASCII only: a
 * UTF-8 / IDN host is kept as its bytes), nothing else is changed (no
 * percent-decoding, no path folding).
 *
 * Bounds: a URL longer than max_len is cut there and flagged
 * URL_F_TRUNCATED (no trimming then); at most max_urls distinct URLs are
 * reported per part, the rest counted in `over_cap`. Work is linear in the
 * input: every byte is examined a bounded number of times (never a rescan
 * from an earlier position), which `stats.work` counts, every pass
 * included: work <= URL_WORK_FACTOR * bytes fed (plus the duplicate
 * filter's probes, a few per URL). test_url checks it on 10 MB adversarial
 * inputs, fuzz_url on every input.
 *
 * Memory: the state is a small plain struct; while a URL is being collected
 * it holds one pool block (given back at the end of a url_feed() call when
 * nothing is in progress), and from the first URL one block for the
 * duplicate filter (a table of 64-bit hashes, seeded by the caller; two
 * different URLs with the same hash would be reported once). An empty pool
 * loses that URL, counted in `no_mem`. Not thread-safe: one pool per
 * worker.
 */
#ifndef MT_URL_H
#define MT_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blockpool.h"

/* Scheme set (struct url_config.schemes). */
#define URL_SCHEME_HTTP    0x01u
#define URL_SCHEME_HTTPS   0x02u
#define URL_SCHEME_FTP     0x04u
#define URL_SCHEME_MAILTO  0x08u
#define URL_SCHEME_WWW     0x10u  /* scheme-less "www." hosts */
#define URL_SCHEMES_DEFAULT (URL_SCHEME_HTTP | URL_SCHEME_HTTPS | \
			     URL_SCHEME_FTP | URL_SCHEME_WWW)

/* struct url_config.flags */
#define URL_CFG_DEFANG     0x01u  /* recognise and refang defanged forms */

/* Flags of one reported URL. */
#define URL_F_TRUNCATED    0x01u  /* longer than max_len: cut */
#define URL_F_DEFANGED     0x02u  /* written defanged, logged refanged */
#define URL_F_ATTR         0x04u  /* from an HTML attribute value */
#define URL_F_WWW          0x08u  /* no scheme: starts with "www." */

#define URL_MAX_LEN_DEFAULT   2048u
#define URL_MAX_URLS_DEFAULT  256u
/* Bound on stats.work / bytes fed, whatever the input. */
#define URL_WORK_FACTOR       8u

/* Resolved at start-up; shared read-only by every state that uses it. */
struct url_config {
	uint32_t schemes;       /* URL_SCHEME_* */
	uint32_t flags;         /* URL_CFG_* */
	uint32_t max_len;       /* bytes per URL; clamped to 16..block_size-16 */
	uint32_t max_urls;      /* distinct URLs per part; clamped to the
				 * duplicate filter's capacity: 3/4 of
				 * block_size / 8 rounded down to a power
				 * of two (384 with 4 KiB blocks) */
	uint64_t hash_seed;     /* per-process random value, so the duplicate
				 * filter's collisions cannot be chosen */
};

/* Counters of one part (they only grow until url_state_init()). */
struct url_stats {
	uint64_t bytes;           /* input bytes fed */
	uint64_t work;            /* bytes examined, all passes */
	uint32_t emitted;         /* URLs reported */
	uint32_t duplicates;      /* not reported: seen before in this part */
	uint32_t over_cap;        /* not reported: max_urls reached */
	uint32_t truncated;       /* reported cut at max_len */
	uint32_t defanged;        /* reported refanged */
	uint32_t rejected_scheme; /* attribute URLs with a scheme not enabled */
	uint32_t no_mem;          /* URLs lost: pool empty */
	uint32_t bad_entity;      /* '&' sequences that decode to nothing */
};

enum url_mode {
	URL_MODE_TEXT = 0,        /* text/plain (and anything not HTML) */
	URL_MODE_HTML = 1,        /* text/html */
};

/*
 * Called once per distinct URL, in input order. `url` (not NUL-terminated)
 * is valid only during the call; `flags` is URL_F_*. Must not call back
 * into the same state.
 */
typedef void (*url_emit_fn)(void *user, const uint8_t *url, size_t len,
			    uint32_t flags);

/* The private part of the state; fields are internal (see url_int.h). */
struct url_state {
	const struct url_config *cfg;
	struct mt_blockpool *pool;
	url_emit_fn emit;
	void *user;
	uint8_t *buf;             /* URL being collected (pool block) */
	uint64_t *seen;           /* duplicate filter (pool block) */
	uint32_t seen_mask;       /* slots - 1 */
	uint32_t max_len;         /* effective caps */
	uint32_t max_urls;
	uint32_t len;             /* bytes in buf */
	uint32_t ufl;             /* URL_F_* of the URL being collected */
	uint8_t mode;
	/* text scanner */
	uint8_t ts;               /* TS_* */
	uint8_t kind;             /* scheme table index of the candidate */
	uint8_t toklen;           /* letters in tok; > sizeof tok: too long */
	uint8_t tok_prev;         /* byte before the token */
	uint8_t prev;             /* last byte seen by the scanner */
	uint8_t pfxlen;
	uint8_t pfx_kind;
	uint8_t pend_c2;          /* URL byte 0xC2 held: U+00A0 ends a URL */
	char tok[8];
	uint8_t pfx[8];           /* bytes after the scheme token, matching */
	/* HTML tokenizer */
	uint8_t hs;               /* HS_* */
	uint8_t attr_len;         /* bytes in attr; > sizeof attr: too long */
	uint8_t attr_url;         /* current value is a URL attribute */
	uint8_t attr_skip;        /* no block for it: discard the value */
	uint8_t ent_len;          /* bytes in ent, 0 = no entity pending */
	uint8_t dashes;           /* '-' pending inside a comment (<= 2) */
	char attr[16];
	char ent[24];
	struct url_stats stats;
};

/* Defaults: URL_SCHEMES_DEFAULT, URL_CFG_DEFANG, 2048, 256, seed 0. */
void url_config_default(struct url_config *cfg);

/*
 * Set cfg->schemes from a comma- or space-separated list of names: http,
 * https, ftp, mailto, www (case-insensitive). Returns 0, or -EINVAL on an
 * unknown or empty name (cfg unchanged). Start-up only.
 */
int url_config_set_schemes(struct url_config *cfg, const char *list);

/*
 * Start a part. `cfg` and `pool` must outlive the state; pool blocks must be
 * at least 256 bytes. Returns 0 or -EINVAL (bad block size). Takes no
 * memory yet. A state may be re-initialised after url_finish().
 */
int url_state_init(struct url_state *st, const struct url_config *cfg,
		   struct mt_blockpool *pool, enum url_mode mode,
		   url_emit_fn emit, void *user);

/* Feed the next `len` decoded bytes of the part. Never fails. */
void url_feed(struct url_state *st, const uint8_t *data, size_t len);

/*
 * End of part: report a URL still being collected (the part's end ends
 * it) and give every block back. st->stats stays readable.
 */
void url_finish(struct url_state *st);

#endif
