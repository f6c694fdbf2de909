/*
 * sig — Suricata-syntax rules compiled to Hyperscan, and matching.
 *
 * Three lifetimes:
 *   struct sig_set     rules as parsed from text (start-up or reload; owns
 *                      the rule metadata that alerts point to).
 *   struct sig_engine  the compiled, immutable Hyperscan databases — one per
 *                      inspection buffer and direction — plus the rule
 *                      decision tables. Shared read-only by every worker.
 *   struct sig_thread  one per worker: Hyperscan scratch, a pool of stream
 *                      states and of per-flow match state, counters.
 *   struct sig_flow    one per tracked flow, from the thread's pool: open
 *                      Hyperscan streams and which rule conditions matched.
 *
 * Matching model. A rule is a conjunction of conditions; each condition is a
 * pattern in one inspection buffer (enum sig_buf) in one direction. Hyperscan
 * callbacks only record that a pattern matched; after each scan returns, the
 * rules that use a newly matched pattern are checked, and a rule whose
 * conditions have all matched fires through the thread's alert callback.
 * Conditions on session buffers (smtp.helo) persist for the flow; all
 * others are transaction-scoped and reset by sig_flow_tx_end(). A rule fires
 * at most once per transaction. A rule with a negated condition
 * (content:!"x") is decided when its buffer is complete: at the end of
 * sig_scan_buffer() for a block buffer, at sig_data_end() for smtp.data.
 *
 * Long buffers (raw stream per direction, message data) use Hyperscan
 * streaming mode: bytes are scanned as they arrive, and a pattern split
 * across any number of calls still matches. Short buffers (helo, mail_from,
 * each rcpt_to) are scanned in block mode when complete.
 *
 * This library knows rule text, Hyperscan and buffer names; it knows nothing
 * of packets, flows or JSON. Addresses are 16-byte IPv6 or IPv4-mapped IPv6.
 */
#ifndef MT_SIG_H
#define MT_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Inspection buffers. The string names are what rules use. */
enum sig_buf {
	SIG_BUF_STREAM = 0,     /* raw reassembled stream (no sticky buffer) */
	SIG_BUF_SMTP_HELO,      /* "smtp.helo": HELO/EHLO argument */
	SIG_BUF_SMTP_MAIL_FROM, /* "smtp.mail_from": MAIL FROM argument */
	SIG_BUF_SMTP_RCPT_TO,   /* "smtp.rcpt_to": each RCPT TO argument */
	SIG_BUF_SMTP_DATA,      /* "smtp.data": message after dot-unstuffing */
	SIG_BUF_COUNT,
};

enum sig_dir {
	SIG_DIR_TO_SERVER = 0,
	SIG_DIR_TO_CLIENT = 1,
};

/* Name used in rules for a buffer, e.g. "smtp.helo"; "stream" for raw. */
const char *sig_buf_name(enum sig_buf b);

/* What an alert reports. Points into the engine; valid while it lives. */
struct sig_rule_meta {
	uint32_t sid, gid, rev;
	uint32_t priority;          /* 1 = high; from priority: or classtype */
	const char *msg;
	const char *classtype;      /* "" if none */
	const char *category;       /* classtype description, "" if none */
	const char *action;         /* "alert" */
	const char *file;           /* where the rule came from */
	unsigned line;
};

/* One problem with one rule: file, line, sid (0 if unknown), and a text
 * such as "unsupported option 'byte_test'". */
typedef void (*sig_diag_fn)(void *user, const char *file, unsigned line,
			    uint32_t sid, const char *text);

struct sig_set;

struct sig_set *sig_set_new(void);
void sig_set_free(struct sig_set *s);

/* Define or override an address or port variable ("HOME_NET",
 * "[10.0.0.0/8,192.168.0.0/16]"). Defaults exist for HOME_NET,
 * EXTERNAL_NET, SMTP_SERVERS, HTTP_SERVERS, DNS_SERVERS and the usual
 * *_PORTS. Returns 0 or -EINVAL if the value does not parse. */
int sig_set_var(struct sig_set *s, const char *name, const char *value);

/*
 * Parse a rules file. Comment and blank lines are skipped; a rule may span
 * lines with a trailing backslash. Each rule that cannot be honoured exactly
 * is reported through diag and skipped; the others are kept.
 * Returns 0, or -errno if the file cannot be opened or read (nothing
 * reported through diag in that case).
 */
int sig_set_load_file(struct sig_set *s, const char *path,
		      sig_diag_fn diag, void *diag_user);

/* Parse one rule from text (tests, command line). Returns 0 if loaded,
 * -EINVAL if skipped (and reported through diag). */
int sig_set_add_rule(struct sig_set *s, const char *text, const char *file,
		     unsigned line, sig_diag_fn diag, void *diag_user);

unsigned sig_set_loaded(const struct sig_set *s);
unsigned sig_set_skipped(const struct sig_set *s);

/* Metadata of the i-th loaded rule (0 <= i < sig_set_loaded()), NULL if
 * out of range. Valid until another rule is added to the set; after
 * sig_engine_build, for as long as the engine lives. */
const struct sig_rule_meta *sig_set_rule_meta(const struct sig_set *s,
					      unsigned i);

struct sig_engine;

/*
 * Compile the set into Hyperscan databases. The set is consumed in every
 * case: on success the engine owns it (do not free it) and *out is set; on
 * failure it has been freed. An empty set gives a valid engine that
 * matches nothing. On failure returns -EINVAL (-ENOMEM) with a message in
 * err (a Hyperscan compile error names the rule's file:line and sid).
 */
int sig_engine_build(struct sig_set *s, struct sig_engine **out,
		     char *err, size_t errlen);
void sig_engine_free(struct sig_engine *e);
unsigned sig_engine_rule_count(const struct sig_engine *e);
/* Bytes of compiled databases (hs_database_size summed). */
size_t sig_engine_db_bytes(const struct sig_engine *e);

/* Flow tuple for rule headers (addresses and ports). */
struct sig_tuple {
	uint8_t client[16], server[16];
	uint16_t client_port, server_port;
};

/* Called when a rule fires. `ctx` is what the scan call was given. */
typedef void (*sig_alert_fn)(void *user, void *ctx,
			     const struct sig_rule_meta *rule,
			     enum sig_dir dir);

struct sig_thread_stats {
	uint64_t scans;             /* scan calls */
	uint64_t bytes_scanned;
	uint64_t matches;           /* pattern matches recorded */
	uint64_t alerts;
	uint64_t flows_no_state;    /* sig_flow_open found the pool empty */
	uint64_t streams_no_state;  /* a stream could not be opened */
	uint64_t match_state_full;  /* a match could not be recorded */
	uint64_t scan_errors;       /* Hyperscan errors other than terminate */
	uint64_t pcre_limit;        /* PCRE2 confirmations stopped by a match
				     * limit (taken as no match) */
};

struct sig_thread;

/* One per worker. max_flows bounds the per-flow state pool. */
struct sig_thread *sig_thread_new(const struct sig_engine *e,
				  uint32_t max_flows,
				  sig_alert_fn on_alert, void *alert_user);
void sig_thread_free(struct sig_thread *t);
const struct sig_thread_stats *sig_thread_get_stats(const struct sig_thread *t);

struct sig_flow;

/* Per-flow state from the thread's pool; NULL if the pool is empty
 * (counted; the flow is then not inspected). No allocation. */
struct sig_flow *sig_flow_open(struct sig_thread *t, const struct sig_tuple *tup);
/* Close open streams (their end-anchored matches are reported) and
 * return the state to the pool. */
void sig_flow_close(struct sig_thread *t, struct sig_flow *f, void *ctx);

/* Raw stream bytes, as they arrive (streaming mode). */
void sig_scan_stream(struct sig_thread *t, struct sig_flow *f, enum sig_dir dir,
		     const uint8_t *data, size_t len, void *ctx);

/* Bytes were lost in this direction of the raw stream: partial matches
 * are dropped (unreported) so no pattern matches across the hole; the
 * stream restarts with the next bytes. Recorded matches are kept. */
void sig_stream_gap(struct sig_thread *t, struct sig_flow *f, enum sig_dir dir);

/* A complete short buffer (block mode). For SIG_BUF_SMTP_RCPT_TO call once
 * per recipient. */
void sig_scan_buffer(struct sig_thread *t, struct sig_flow *f, enum sig_buf b,
		     enum sig_dir dir, const uint8_t *data, size_t len,
		     void *ctx);

/* Message data of one message: begin, any number of chunks, end. */
void sig_data_begin(struct sig_thread *t, struct sig_flow *f);
void sig_scan_data(struct sig_thread *t, struct sig_flow *f,
		   const uint8_t *data, size_t len, void *ctx);
void sig_data_end(struct sig_thread *t, struct sig_flow *f, void *ctx);

/* A transaction ended: transaction-scoped matches and the per-transaction
 * "already fired" set are cleared. */
void sig_flow_tx_end(struct sig_thread *t, struct sig_flow *f);

#endif
