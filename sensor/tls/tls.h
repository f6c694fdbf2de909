/*
 * tls — passive TLS handshake inspector: the ClientHello and ServerHello
 * of one connection, their fields, and the JA3, JA3S and JA4 fingerprints.
 *
 * Used after an SMTP STARTTLS was accepted (RFC 3207 section 4: the TLS
 * negotiation starts right after the 220) and on implicit-TLS ports (465,
 * RFC 8314 section 3.3). One `struct tls_hs` per connection holds both
 * directions. Each direction is fed its reassembled bytes as they arrive,
 * in chunks of any size: the parser is a byte-at-a-time state machine over
 * the record layer (RFC 8446 section 5.1, RFC 5246 section 6.2), the
 * handshake layer (a message may span records, several messages may share
 * one) and the hello body, so every split of the input gives the same
 * result. When a direction's hello has been read the direction is
 * finished and the caller stops feeding it; tls_hs_finished() says when
 * both are.
 *
 * Memory: the hellos are never buffered whole. The fixed fields are read
 * as they stream past; the only bytes kept are the lists the fingerprints
 * need (capped, excess counted) and, one at a time, the body of an
 * extension that is decoded (SNI, groups, point formats, signature
 * algorithms, ALPN, supported_versions) in a TLS_EXT_SCRATCH-byte buffer
 * per direction. So a ClientHello of any size (post-quantum key shares,
 * padding, 16 KiB or more) costs nothing extra, and sizeof(struct tls_hs)
 * is fixed and fits one default 4 KiB blockpool block (checked at compile
 * time in tls.c): the caller can take it from its worker's pool when a
 * STARTTLS is accepted. No allocation, no syscalls, no locks.
 *
 * Hostile input is never an error: every malformation ends that
 * direction's inspection with a verdict and a counter in the caller's
 * `struct tls_stats`, never anything that stops the sensor.
 */
#ifndef MT_TLS_H
#define MT_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tls_dir {
	TLS_DIR_TO_SERVER = 0,   /* client: ClientHello */
	TLS_DIR_TO_CLIENT = 1,   /* server: ServerHello */
};

/* Where one direction stands. Every value but TLS_MORE is final: further
 * bytes for that direction are ignored (and cost nothing). */
enum tls_verdict {
	TLS_MORE = 0,        /* feed more bytes */
	TLS_HELLO,           /* the hello was read (see .malformed) */
	TLS_NOT_TLS,         /* the first bytes are not a TLS record: a refused
	                        STARTTLS, plain text on port 465 */
	TLS_SSLV2,           /* an SSLv2-compatible ClientHello (RFC 5246
	                        appendix E.2): reported, not fingerprinted */
	TLS_ALERT,           /* an alert record came before the hello */
	TLS_GAVE_UP,         /* malformed records, application data before the
	                        hello, or no hello within TLS_DIR_BUDGET bytes */
};
const char *tls_verdict_name(enum tls_verdict v);

/* Caps. A list longer than its cap keeps its first entries (the
 * fingerprints then describe a prefix: .truncated is set and counted). */
#define TLS_MAX_CIPHERS   256  /* a ClientHello's cipher suites */
#define TLS_MAX_EXTS      64   /* extensions, per hello */
#define TLS_MAX_GROUPS    64
#define TLS_MAX_SIGALGS   64
#define TLS_MAX_VERSIONS  16   /* supported_versions entries */
#define TLS_MAX_POINTFMTS 16
#define TLS_MAX_ALPN      8    /* ALPN protocol names kept */
#define TLS_ALPN_BYTES    256  /* their bytes together; the first always fits */
#define TLS_SNI_MAX       255  /* RFC 6066 section 3: a DNS name fits */
#define TLS_EXT_SCRATCH   512  /* one decoded extension's body */
/* Bytes of one direction read without completing its hello before giving
 * up. Real ClientHellos are a few KiB even with post-quantum key shares. */
#define TLS_DIR_BUDGET    65536

/* What the client offered. Lists are in wire order and include GREASE
 * values (RFC 8701); the fingerprints skip those. */
struct tls_client_hello {
	uint16_t version;              /* legacy_version (ClientHello.client_version) */
	uint16_t n_ciphers, n_exts, n_groups, n_sigalgs, n_versions;
	uint8_t n_pointfmts, n_alpn;
	uint16_t ciphers[TLS_MAX_CIPHERS];
	uint16_t exts[TLS_MAX_EXTS];
	uint16_t groups[TLS_MAX_GROUPS];
	uint16_t sigalgs[TLS_MAX_SIGALGS];
	uint16_t versions[TLS_MAX_VERSIONS];
	uint8_t pointfmts[TLS_MAX_POINTFMTS];
	uint16_t ciphers_total;        /* non-GREASE entries on the wire (a */
	uint16_t exts_total;           /* cap does not stop the count) */
	bool has_sni;                  /* the server_name extension is present */
	bool has_alpn;
	uint8_t sni_len;
	char sni[TLS_SNI_MAX + 1];     /* first host_name, NUL-terminated; raw
	                                  bytes (may hold anything but NUL) */
	uint8_t alpn_len[TLS_MAX_ALPN];
	uint8_t alpn[TLS_ALPN_BYTES];  /* protocol names back to back */
	uint16_t sslv2_version;        /* TLS_SSLV2: the version it asked for */
};

/* What the server chose. */
struct tls_server_hello {
	uint16_t version;              /* legacy_version */
	uint16_t selected_version;     /* supported_versions extension, or 0 */
	uint16_t cipher;
	uint8_t compression;
	uint8_t n_exts;
	uint16_t exts[TLS_MAX_EXTS];
	bool hello_retry;              /* a HelloRetryRequest (RFC 8446 4.1.3) */
	uint8_t alpn_len;              /* the protocol it selected, or 0 */
	uint8_t alpn[255];
};

/* The parser's per-direction position; opaque to callers. */
struct tls_dir_state {
	uint8_t verdict;               /* enum tls_verdict */
	uint8_t rec_hdr[5];            /* record header being read */
	uint8_t rec_hdr_n;
	uint8_t rec_type;              /* content type of the current record */
	uint16_t rec_left;             /* payload bytes left in it */
	uint8_t hs_hdr[4];             /* handshake header being read */
	uint8_t hs_hdr_n;
	bool in_hello;                 /* the current message is our hello */
	uint32_t msg_left;             /* bytes left in the handshake message */
	uint8_t step;                  /* position inside the hello body */
	uint8_t acc_n;
	uint8_t acc[32];               /* fixed-size field being read */
	uint32_t need;                 /* bytes left in the current field */
	uint32_t exts_left;            /* bytes left in the extensions block */
	uint16_t ext_type;
	uint16_t ext_len;              /* the current extension's length */
	uint16_t scratch_n;
	uint32_t fed;                  /* bytes seen (capped at the budget) */
	uint8_t scratch[TLS_EXT_SCRATCH];
};

struct tls_stats {
	uint64_t connections;          /* tls_hs_init calls */
	uint64_t records;              /* record headers read */
	uint64_t client_hellos;        /* TLS_HELLO verdicts, per direction */
	uint64_t server_hellos;
	uint64_t hello_retry;          /* HelloRetryRequests seen */
	uint64_t not_tls;              /* TLS_NOT_TLS verdicts */
	uint64_t sslv2;                /* SSLv2-compatible ClientHellos */
	uint64_t alert;                /* alerts before a hello */
	uint64_t gave_up;              /* TLS_GAVE_UP verdicts while feeding
	                                  (tls_hs_end's are in truncated) */
	uint64_t bad_record;           /* record with a bad type, version or length */
	uint64_t empty_record;         /* zero-length handshake record (RFC 8446 5.1) */
	uint64_t interleaved;          /* other record types inside a handshake message */
	uint64_t appdata_early;        /* application data before the hello */
	uint64_t ccs_early;            /* change_cipher_spec before the hello (skipped) */
	uint64_t other_msg;            /* handshake messages other than the hello (skipped) */
	uint64_t hello_malformed;      /* a length field that does not fit, odd list */
	uint64_t ext_malformed;        /* a decoded extension's inner lengths wrong */
	uint64_t ext_oversize;         /* a decoded extension over TLS_EXT_SCRATCH */
	uint64_t list_capped;          /* a list over its TLS_MAX_* cap (once per list;
	                                  once per hello for the ciphers) */
	uint64_t budget;               /* TLS_DIR_BUDGET bytes without a hello */
	uint64_t truncated;            /* tls_hs_end with a direction still TLS_MORE */
};

struct tls_hs {
	struct tls_stats *stats;       /* the worker's counters */
	struct tls_dir_state dir[2];
	struct tls_client_hello ch;    /* valid when dir[0] verdict is TLS_HELLO
	                                  (.sslv2_version with TLS_SSLV2) */
	struct tls_server_hello sh;    /* valid when dir[1] verdict is TLS_HELLO */
	bool ch_malformed;             /* the hello had a bad length somewhere:
	                                  fields read before it are kept */
	bool sh_malformed;
	bool truncated;                /* a list hit its cap or an extension its
	                                  scratch: fingerprints cover a prefix */
	uint8_t alert_level;           /* TLS_ALERT: the alert (RFC 8446 6) */
	uint8_t alert_desc;
};

/* Start inspecting a connection. stats must outlive hs and is shared by
 * every connection of a worker. hs may be uninitialised memory. */
void tls_hs_init(struct tls_hs *hs, struct tls_stats *stats);

/* Feed the next len bytes of one direction (any chunking). Returns that
 * direction's verdict after these bytes; once final, further calls change
 * nothing and return it again. data may be NULL when len is 0. */
enum tls_verdict tls_hs_feed(struct tls_hs *hs, enum tls_dir dir,
			     const uint8_t *data, size_t len);

/* The direction's current verdict. */
enum tls_verdict tls_hs_verdict(const struct tls_hs *hs, enum tls_dir dir);

/* True when both directions are final: the caller can stop feeding and
 * log. (A caller may also log as soon as the client's hello is read.) */
bool tls_hs_finished(const struct tls_hs *hs);

/* The connection ended (or the caller stops inspecting): a direction still
 * TLS_MORE counts as truncated. Verdicts are kept; the hs can be logged. */
void tls_hs_end(struct tls_hs *hs);

/* Version names as Suricata's EVE writes them: "TLS 1.3", "TLS 1.2",
 * "TLS 1.1", "TLSv1", "SSLv3", "SSLv2"; NULL for anything else (Suricata
 * then writes "UNDETERMINED" or "0x%04x"). Static strings. */
const char *tls_version_name(uint16_t v);

/* The version actually spoken: the server's selected supported_version,
 * else its legacy version; 0 when no ServerHello was read. */
uint16_t tls_hs_version(const struct tls_hs *hs);

/* True for RFC 8701 GREASE values (0x0a0a, 0x1a1a, ... 0xfafa). */
bool tls_is_grease(uint16_t v);

/* Sizes of the fingerprint buffers, NUL included. A JA3 string at its
 * caps is about 2.5 KiB. */
#define TLS_JA3_STR_MAX  3072
#define TLS_JA3S_STR_MAX 512
#define TLS_MD5_HEX      33
#define TLS_JA4_LEN      37   /* "t13d1516h2_8daaf6152771_e5627efa2ab1" + NUL */

/*
 * Fingerprints, computed on demand from hs->ch / hs->sh (so they cost
 * nothing until logged). Each writes a NUL-terminated string into out and
 * returns its length, or 0 (out = "") when the hello it needs was not
 * read (verdict other than TLS_HELLO). The string functions truncate to
 * cap - 1; with the sizes above they never do.
 *
 * JA3 (Salesforce): "version,ciphers,extensions,groups,point_formats" in
 * decimal, list items joined by '-', GREASE left out; its hash is the
 * lower-case hex MD5 of that string. JA3S: "version,cipher,extensions".
 * JA4 (FoxIO): see tls_ja.c.
 */
size_t tls_ja3_string(const struct tls_hs *hs, char *out, size_t cap);
size_t tls_ja3_hash(const struct tls_hs *hs, char out[TLS_MD5_HEX]);
size_t tls_ja3s_string(const struct tls_hs *hs, char *out, size_t cap);
size_t tls_ja3s_hash(const struct tls_hs *hs, char out[TLS_MD5_HEX]);
size_t tls_ja4(const struct tls_hs *hs, char out[TLS_JA4_LEN]);

#endif
