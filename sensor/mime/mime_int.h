/*
 * mime_int.h — internals of the MIME parser, shared by its files:
 *   mime.c         entity stack, header section, boundary lines, events
 *   mime_decode.c  transfer decoders (base64, QP, identity) and the
 *                  text-line filter that finds uuencoded files
 *   mime_header.c  Content-Type/-Disposition parameters (RFC 2045, 2231),
 *                  RFC 2047 encoded words, charset conversion (iconv)
 *
 * Invariants: the entity stack holds at most cfg.max_depth + 1 entries;
 * ent[n_ent - 1] is the entity whose bytes are being parsed. Decoded bytes
 * collect in the context's out[] (one per worker, not per parser) and are
 * flushed as BODY before any other event and before feed() or end()
 * returns, so nothing decoded outlives the call and parsers fed one after
 * the other share the buffer.
 */
#ifndef MT_MIME_INT_H
#define MT_MIME_INT_H

#include "mime.h"

#define MIME_UU_LINE    160     /* uuencoded lines are at most 62 bytes */
#define MIME_NAME_MAX   1024    /* decoded filename / name, bytes */
#define MIME_LP_SIZE    (2 + MIME_BOUNDARY_HARD_MAX + 2)

enum mime_kind { ENT_LEAF, ENT_MULTI, ENT_MESSAGE, ENT_SKIP };
enum mime_mstate { MS_PREAMBLE, MS_PARTS, MS_EPILOGUE };

struct mime_entity {
	uint32_t index;
	uint32_t parent;
	uint64_t size;
	uint32_t b64_invalid;
	uint32_t qp_invalid;
	uint32_t hdr_bytes;
	const char *boundary;       /* arena copy, multipart only */
	uint16_t blen;
	uint16_t depth;
	uint16_t msg_depth;
	uint8_t kind;               /* enum mime_kind */
	uint8_t mstate;             /* enum mime_mstate */
	uint8_t encoding;           /* enum mime_encoding */
	uint8_t is_file;
	uint8_t is_text_body;
	uint8_t uu_scan;            /* text/plain: look for begin/end blocks */
	uint8_t digest;             /* multipart/digest: children default to message/rfc822 */
	uint8_t default_msg;        /* this entity's default type is message/rfc822 */
	uint8_t truncated;
	uint8_t hdr_over;           /* header section passed max_header_bytes */
	uint8_t began;              /* PART_BEGIN emitted */
	uint8_t b64_reported, qp_reported;
};

/* What the header section of one entity says; lives in a pool block. */
struct mime_pinfo {
	char type[64], subtype[64], charset[64], disposition[32], cte[32];
	char boundary[MIME_BOUNDARY_HARD_MAX + 1];
	char filename[MIME_NAME_MAX];
	char name[MIME_NAME_MAX];
	uint32_t boundary_wire_len; /* length as sent, may exceed the buffer */
	uint16_t filename_len, name_len;
	uint16_t boundary_len;      /* bytes kept in boundary[] */
	uint8_t have_ctype;
	uint8_t have_boundary;
};

enum { P_HDR, P_BODY };
enum { BM_PREFIX, BM_REST, BM_SKIPLINE };
enum { TF_LS, TF_PASS, TF_BEGIN, TF_UU, TF_UUSKIP };

struct mime_parser {
	struct mime_ctx *ctx;
	mime_event_fn cb;
	void *user;
	struct mt_arena arena;      /* boundaries */

	uint32_t n_ent;
	uint32_t next_index;
	uint8_t state;              /* P_HDR / P_BODY */
	uint8_t parts_reported;     /* mime_too_many_parts sent */

	/* header section */
	uint8_t *hdr;               /* pool block: pending field + current line */
	struct mime_pinfo *pi;      /* pool block */
	uint32_t hdr_len;           /* bytes in hdr */
	uint32_t hdr_line;          /* offset of the current physical line */
	uint32_t hdr_phys;          /* bytes of the current physical line so far */
	uint8_t hdr_line_over;      /* line cap reported for this line */
	uint8_t hdr_trunc;          /* pending field lost bytes */
	uint8_t hdr_skip;           /* section cap hit: discard until blank line */
	uint8_t hdr_line_cr;        /* the current line so far is a lone CR */
	uint8_t hdr_line_first;     /* the current line starts a field */
	uint8_t hdr_skip_line;      /* rest of a delimiter line still to discard */

	/* body lines */
	uint8_t bmode;
	uint8_t pend_eol;           /* 0, 1 = "\n", 2 = "\r\n" withheld */
	uint8_t cr_held;
	uint16_t lp_len;
	uint16_t lp_cap;            /* 2 + longest active boundary + 2 */
	uint8_t lp[MIME_LP_SIZE];

	/* transfer decoders */
	uint32_t b64_acc;
	uint8_t b64_n;
	uint8_t qp_state;           /* 0, 1 after '=', 2 after '=X', 3 after '=' CR,
	                               4 after '=' WSP (transport padding) */
	uint8_t qp_c1;
	uint8_t qp_ws_n;
	uint8_t qp_ws[16];

	/* text filter / uuencode child */
	uint8_t tf_state;
	uint8_t uu_active;
	uint8_t uu_trunc;           /* a gap hit the uuencoded file */
	uint16_t tf_len;
	uint8_t tf[MIME_UU_LINE];
	uint32_t uu_index;
	uint64_t uu_size;
	uint32_t uu_invalid;

	struct mime_entity ent[MIME_DEPTH_HARD_MAX + 1];
};

static inline struct mime_entity *mime_top(struct mime_parser *p)
{
	return &p->ent[p->n_ent - 1];
}

/* mime.c */
void mime_anomaly(struct mime_parser *p, enum mime_anomaly id);
void mime_out_flush(struct mime_parser *p);
void mime_out_put(struct mime_parser *p, const uint8_t *d, size_t n);
void mime_uu_begin(struct mime_parser *p, const char *name, size_t nlen);
void mime_uu_end(struct mime_parser *p, int truncated);

/* mime_decode.c */
void mime_decode_reset(struct mime_parser *p);
void mime_decode(struct mime_parser *p, const uint8_t *d, size_t n);
void mime_decode_finish(struct mime_parser *p);

/* mime_header.c */
int mime_charsets_open(struct mime_ctx *ctx);
void mime_charsets_close(struct mime_ctx *ctx);
/* Convert n bytes in charset cs to UTF-8 into out (cap bytes). Returns the
 * bytes written, or -1 for an unknown charset (out untouched). */
long mime_charset_to_utf8(struct mime_ctx *ctx, const char *cs, size_t cslen,
			  const uint8_t *in, size_t n, char *out, size_t cap);
/* RFC 2047 decode of v[0..n) into out; returns bytes written (<= cap). */
size_t mime_ew_decode(struct mime_parser *p, const char *v, size_t n,
		      char *out, size_t cap);
void mime_parse_ctype(struct mime_parser *p, const char *v, size_t n);
void mime_parse_disposition(struct mime_parser *p, const char *v, size_t n);
void mime_parse_cte(struct mime_parser *p, const char *v, size_t n);
int mime_ieq(const char *a, size_t alen, const char *lit);
/* Append d[0..n) to out[o..cap) as valid UTF-8 (bad bytes -> U+FFFD);
 * returns the new o. */
size_t mime_utf8_put(char *out, size_t cap, size_t o, const void *d, size_t n);

#endif
