/*
 * mime — streaming MIME parser (RFC 2045-2049, 5322, 2047, 2231).
 *
 * Push bytes, receive events: the SMTP layer feeds a message's content
 * (after dot-unstuffing, CRLF line ends) in chunks of any size with
 * mime_parser_feed(); the parser calls one callback per event (HEADER,
 * PART_BEGIN, BODY, PART_END, ANOMALY). Any chunk boundary gives the same
 * events (BODY slices may be cut differently; their concatenation per part
 * is identical).
 *
 * Entities: the message is entity index 0, depth 0. Each part of a multipart
 * is an entity at the multipart's depth + 1. The message inside a
 * message/rfc822 part is an entity of its own at the wrapper's depth + 1 with
 * msg_depth + 1: `msg_depth` says which message a header belongs to (0 = the
 * top-level message, so an attached message never overwrites its fields).
 * `index` numbers entities in order of appearance, `parent` is the
 * enclosing entity's index (UINT32_MAX for the top). A uuencoded file found
 * in a text/plain part is reported as a child entity (PART_BEGIN, BODY,
 * PART_END) nested inside that text part's BODY events.
 *
 * Event order per entity: its HEADER events (each field once complete,
 * unfolded), then PART_BEGIN (what the headers say: type, encoding,
 * filename, whether it is a file), then BODY events (leaves only) or its
 * children, then PART_END. Containers (multipart, message/rfc822) get
 * PART_BEGIN/PART_END too. The text body is a text/plain or text/html leaf
 * of the top-level message (msg_depth 0) without an attachment disposition
 * or a name; every other leaf is a file (also nameless ones). A container at
 * cfg.max_depth is parsed as a leaf (mime_depth_exceeded) so its bytes
 * still reach the consumer as a file; parts past cfg.max_parts are skipped
 * without events (mime_too_many_parts, once).
 *
 * Memory: one `struct mime_ctx` per worker (configuration, statistics,
 * iconv descriptors, the block pool), set up at start-up; one
 * `struct mime_parser` per message in flight, itself one pool block.
 * Everything a parser keeps between chunks sits in fixed fields or pool
 * blocks; a part is never buffered whole. An empty pool degrades (counted
 * as the anomaly mime_pool_exhausted), never grows. No malloc after
 * mime_ctx_init() (iconv_open happens there). Not thread-safe: one ctx per
 * worker.
 */
#ifndef MT_MIME_H
#define MT_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "blockpool.h"

/* Hard ceilings the configuration is clamped to (fixed field sizes). */
#define MIME_DEPTH_HARD_MAX     48
#define MIME_BOUNDARY_HARD_MAX  256

struct mime_config {
	uint32_t max_depth;         /* deepest entity (default 48) */
	uint32_t max_header_line;   /* physical header line (default 998, RFC 5322 2.1.1) */
	uint32_t max_header_bytes;  /* header section per entity (default 65536) */
	uint32_t max_boundary;      /* boundary length (default 70, RFC 2046 5.1.1) */
	uint32_t max_parts;         /* entities per message (default 10000) */
};

/* Stable anomaly ids; names via mime_anomaly_name(). */
enum mime_anomaly {
	MIME_ANOM_DEPTH_EXCEEDED,       /* mime_depth_exceeded */
	MIME_ANOM_HEADER_TOO_LONG,      /* mime_header_too_long: section > max_header_bytes */
	MIME_ANOM_HEADER_LINE_TOO_LONG, /* mime_header_line_too_long */
	MIME_ANOM_HEADER_TRUNCATED,     /* mime_header_truncated: unfolded field > one block */
	MIME_ANOM_INVALID_HEADER,       /* mime_invalid_header: line with no name/colon */
	MIME_ANOM_BOUNDARY_TOO_LONG,    /* mime_boundary_too_long */
	MIME_ANOM_MISSING_BOUNDARY,     /* mime_missing_boundary: multipart without boundary= */
	MIME_ANOM_MISSING_BOUNDARY_END, /* mime_missing_boundary_end */
	MIME_ANOM_TOO_MANY_PARTS,       /* mime_too_many_parts */
	MIME_ANOM_INVALID_BASE64,       /* mime_invalid_base64 (once per part) */
	MIME_ANOM_INVALID_QP,           /* mime_invalid_qp (once per part) */
	MIME_ANOM_INVALID_UUENCODE,     /* mime_invalid_uuencode */
	MIME_ANOM_UUENCODE_UNTERMINATED,/* mime_uuencode_unterminated */
	MIME_ANOM_INVALID_ENCODED_WORD, /* mime_invalid_encoded_word */
	MIME_ANOM_UNKNOWN_CHARSET,      /* mime_unknown_charset */
	MIME_ANOM_UNKNOWN_ENCODING,     /* mime_unknown_encoding */
	MIME_ANOM_POOL_EXHAUSTED,       /* mime_pool_exhausted */
	MIME_ANOM_MESSAGE_ENCODED,      /* mime_message_encoded: message/rfc822
	                                   labelled base64/QP (RFC 2046 5.2.1) */
	MIME_ANOM_NAME_TRUNCATED,       /* mime_filename_truncated: a file name
					 * (filename= or name=) cut at
					 * MIME_NAME_MAX - 1 bytes, or RFC 2231
					 * continuations past the 64th dropped */
	MIME_ANOM_COUNT
};

struct mime_stats {
	uint64_t messages;
	uint64_t entities;
	uint64_t files;
	uint64_t headers;
	uint64_t bytes_in;
	uint64_t body_bytes;            /* decoded bytes delivered in BODY */
	uint64_t encoded_words;         /* RFC 2047 words decoded */
	uint64_t charset_unknown;       /* conversions left raw */
	uint64_t anomalies[MIME_ANOM_COUNT];
};

enum mime_encoding {
	MIME_ENC_7BIT,          /* also: no Content-Transfer-Encoding */
	MIME_ENC_8BIT,
	MIME_ENC_BINARY,
	MIME_ENC_BASE64,
	MIME_ENC_QP,
	MIME_ENC_UUENCODE,      /* x-uuencode CTE, or an embedded begin/end block */
	MIME_ENC_UNKNOWN        /* passed through undecoded (anomaly) */
};

enum mime_event_type {
	MIME_EV_HEADER,
	MIME_EV_PART_BEGIN,
	MIME_EV_BODY,
	MIME_EV_PART_END,
	MIME_EV_ANOMALY
};

/* A byte string; NUL-terminated where noted, never containing the NUL. */
struct mime_str {
	const char *ptr;
	size_t len;
};

struct mime_part_desc {
	struct mime_str type;       /* lower-case, e.g. "text" (NUL-terminated) */
	struct mime_str subtype;    /* lower-case, e.g. "plain" */
	struct mime_str charset;    /* as given (empty if none) */
	struct mime_str boundary;   /* multipart only */
	struct mime_str disposition;/* lower-case "attachment"/"inline"/"" */
	struct mime_str filename;   /* decoded, valid UTF-8 (RFC 2231 / 2047); empty if none */
	enum mime_encoding encoding;
	uint8_t is_multipart;       /* children follow; no BODY of its own */
	uint8_t is_message;         /* message/rfc822: one child entity follows */
	uint8_t is_file;            /* leaf that is not the message's text body */
	uint8_t is_text_body;       /* leaf text/plain or text/html of the top message */
	uint8_t type_defaulted;     /* no (valid) Content-Type: RFC 2045 5.2 default used */
};

struct mime_part_end {
	uint64_t size;              /* decoded bytes delivered in BODY */
	uint32_t b64_invalid;       /* characters skipped by the base64 (or, for a
	                               uuencoded file, the uudecode) decoder */
	uint32_t qp_invalid;        /* bad '=' escapes passed through */
	uint8_t truncated;          /* ended without its closing boundary / by a gap /
	                               pool exhaustion / end of input in headers */
	uint8_t is_file;
	uint8_t is_multipart;
};

struct mime_event {
	enum mime_event_type type;
	uint16_t depth;
	uint16_t msg_depth;
	uint32_t index;
	uint32_t parent;
	union {
		struct {
			struct mime_str name;     /* as on the wire */
			struct mime_str value;    /* unfolded (CRLFs of folds removed), trimmed */
			struct mime_str decoded;  /* RFC 2047 words decoded; always
			                             valid UTF-8 (bad bytes become
			                             U+FFFD); == value when pure ASCII
			                             without encoded words */
			uint8_t truncated;
		} header;
		struct mime_part_desc part;
		struct {
			const uint8_t *data;
			size_t len;
			uint8_t is_file;
		} body;
		struct mime_part_end end;
		struct {
			enum mime_anomaly id;
			const char *name;         /* static string */
		} anomaly;
	} u;
};

/*
 * Called for each event. Every pointer in *ev is valid only during the call.
 * The callback must not call back into the same parser.
 */
typedef void (*mime_event_fn)(void *user, const struct mime_event *ev);

struct mime_charsets;

/* Decoded bytes per BODY event at most: a TCP segment's worth of base64
 * decodes into one event. */
#define MIME_OUT_SIZE 16384

struct mime_ctx {
	struct mime_config cfg;
	struct mt_blockpool *pool;
	struct mime_stats stats;
	struct mime_charsets *cs;   /* iconv descriptors (opened at init) */
	/* decoded bytes of the parser being fed, not yet delivered (empty
	 * between calls: mime_int.h) */
	uint16_t out_len;
	uint8_t out[MIME_OUT_SIZE];
};

/*
 * Start-up: resolve cfg (NULL or zero fields = defaults, clamped to the hard
 * maxima) and open the iconv converters. pool->block_size must hold a
 * struct mime_parser (about 3.7 KiB; 4096 is enough).
 * Returns 0, -EINVAL (block size too small) or -ENOMEM.
 */
int mime_ctx_init(struct mime_ctx *ctx, const struct mime_config *cfg,
		  struct mt_blockpool *pool);
void mime_ctx_destroy(struct mime_ctx *ctx);

/* Per-message parser state. Opaque: use the functions below. */
struct mime_parser;

/*
 * Start a message: the parser is one block from ctx->pool. cb/user receive
 * events until mime_parser_end(). Returns NULL when the pool is empty
 * (counted in ctx->stats.anomalies[MIME_ANOM_POOL_EXHAUSTED]; no event).
 */
struct mime_parser *mime_parser_new(struct mime_ctx *ctx, mime_event_fn cb,
				    void *user);

/* Push len bytes of message content. Emits events before returning. */
void mime_parser_feed(struct mime_parser *p, const uint8_t *data, size_t len);

/* The SMTP layer lost n bytes (TCP gap): the open part is marked truncated. */
void mime_parser_gap(struct mime_parser *p, uint64_t n);

/*
 * End of message: flushes, closes every open entity (PART_END, anomalies for
 * missing closing boundaries) and returns every pool block, p's own too:
 * p is invalid afterwards. Also the way to abort a message early.
 */
void mime_parser_end(struct mime_parser *p);

/* "mime_depth_exceeded", ... ; "mime_unknown" for an out-of-range id. */
const char *mime_anomaly_name(enum mime_anomaly id);
const char *mime_encoding_name(enum mime_encoding e);

#endif
