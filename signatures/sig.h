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
 * sig_scan_buffer() for a block buffer, at sig_stream_end() for smtp.data,
 * email.body and file.data.
 *
 * Buffer instances (Suricata's multi-buffer matching). Some buffers occur
 * several times in one transaction: smtp.rcpt_to, email.to, email.cc,
 * email.received, email.url and file.name are scanned once per recipient,
 * address, header, URL or file name (one sig_scan_buffer() call each);
 * email.body is one stream per decoded text part and file.data one stream
 * per decoded file (sig_stream_begin() .. sig_stream_end() each). The
 * conditions a rule writes under one sticky-buffer keyword must all match in
 * the SAME instance; bsize and negated conditions hold per instance too.
 * Writing the sticky keyword again (file.name; content:"a"; file.name;
 * content:"b";) starts an independent group that another instance may
 * satisfy, as in Suricata; for file.data and email.body (not multi-buffers in
 * Suricata) all of a rule's conditions form one group. Each group is decided
 * inside its instance; what persists for the transaction is only "this
 * group matched in some instance", so a rule can combine groups and other
 * buffers in any order.
 *
 * Long buffers (raw stream per direction, message data, body parts, files)
 * use Hyperscan streaming mode: bytes are scanned as they arrive, and a
 * pattern split across any number of calls still matches; the end of the
 * stream (sig_stream_end) is the end that endswith, pcre $ and bsize see.
 * Short buffers (helo, mail_from, each rcpt_to, the email.* headers, each
 * file name) are scanned in block mode when complete.
 *
 * This library knows rule text, Hyperscan and buffer names; it knows nothing
 * of packets, flows or JSON. Addresses are 16-byte IPv6 or IPv4-mapped IPv6.
 */
#ifndef MT_SIG_H
#define MT_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Inspection buffers. The string names are what rules use. All but the
 * raw stream carry client data only (SIG_DIR_TO_SERVER). "multi": one
 * instance per call, see the instance rule above. */
enum sig_buf {
	SIG_BUF_STREAM = 0,     /* raw reassembled stream (no sticky buffer) */
	SIG_BUF_SMTP_HELO,      /* "smtp.helo": HELO/EHLO argument (session) */
	SIG_BUF_SMTP_MAIL_FROM, /* "smtp.mail_from": MAIL FROM argument */
	SIG_BUF_SMTP_RCPT_TO,   /* "smtp.rcpt_to": each RCPT TO argument; multi */
	SIG_BUF_SMTP_DATA,      /* "smtp.data": message after dot-unstuffing; stream */
	SIG_BUF_EMAIL_FROM,     /* "email.from": From header value */
	SIG_BUF_EMAIL_TO,       /* "email.to": each To address; multi */
	SIG_BUF_EMAIL_CC,       /* "email.cc": each Cc address; multi */
	SIG_BUF_EMAIL_SUBJECT,  /* "email.subject" */
	SIG_BUF_EMAIL_DATE,     /* "email.date" */
	SIG_BUF_EMAIL_MESSAGE_ID, /* "email.message_id" */
	SIG_BUF_EMAIL_X_MAILER, /* "email.x_mailer" */
	SIG_BUF_EMAIL_RECEIVED, /* "email.received": each Received header; multi */
	SIG_BUF_EMAIL_URL,      /* "email.url": each URL found in the message; multi */
	SIG_BUF_EMAIL_BODY,     /* "email.body": decoded text of one text part; stream */
	SIG_BUF_FILE_NAME,      /* "file.name" (filename, fileext): each file name; multi */
	SIG_BUF_FILE_DATA,      /* "file.data" (file_data): decoded bytes of one file; stream */
	SIG_BUF_SMTP_COMMAND,   /* "smtp.command": each client command line
				 * (no CRLF), DATA/BDAT payload excluded; multi */
	SIG_BUF_FILE_MAGIC,     /* "file.magic" (filemagic): each file's libmagic
				 * description; multi */
	SIG_BUF_APP_EVENT,      /* app-layer-event: each event name the sensor
				 * raises ("smtp.bare_lf"), in the direction
				 * it arose in (the only buffer of both); multi */
	SIG_BUF_BASE64,         /* "base64_data": bytes a rule's base64_decode
				 * decoded; internal (sig_scan.c feeds it) */
	SIG_BUF_EMAIL_BODY_MD5, /* "email.body_md5": the message body's MD5, 32
				 * lowercase hex digits (Suricata 8) */
	/* Frames (Suricata 7+'s `frame:` keyword): slices of the raw stream
	 * the SMTP parser delimits. A rule on a line frame fires once per
	 * frame (once per line), not once per transaction. */
	SIG_BUF_FRAME_COMMAND_LINE,  /* frame:smtp.command_line: each client
				      * line outside message data (commands,
				      * AUTH responses) as sent, line end
				      * included; multi */
	SIG_BUF_FRAME_RESPONSE_LINE, /* frame:smtp.response_line: each server
				      * reply line with its line end; the only
				      * to_client buffer besides the raw stream
				      * and app-layer-event; multi */
	SIG_BUF_FRAME_DATA,          /* frame:smtp.data: the message as sent
				      * (dot-stuffed) through its terminating
				      * ".\r\n"; a BDAT message's chunk
				      * payloads; stream */
	SIG_BUF_COUNT,
};

enum sig_dir {
	SIG_DIR_TO_SERVER = 0,
	SIG_DIR_TO_CLIENT = 1,
};

/* Name used in rules for a buffer, e.g. "smtp.helo"; "stream" for raw. */
const char *sig_buf_name(enum sig_buf b);

/* The frame a rule inspects (`frame:`), reported in its alerts. The
 * smtp.stream frame is the raw stream of the rule's direction(s). */
enum sig_frame {
	SIG_FRAME_NONE = 0,
	SIG_FRAME_COMMAND_LINE,
	SIG_FRAME_RESPONSE_LINE,
	SIG_FRAME_DATA,
	SIG_FRAME_STREAM,
};

/* "command_line", "response_line", "data", "stream" (EVE frame.type);
 * "" for SIG_FRAME_NONE. */
const char *sig_frame_name(enum sig_frame f);

/* One entry of a rule's `metadata:` ("key value"), as Suricata logs them:
 * alert.metadata{key: [value, ...]}. */
struct sig_meta_kv {
	const char *key, *value;
};

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
	uint8_t frame;              /* enum sig_frame: the rule's frame */
	const struct sig_meta_kv *md; /* metadata entries, in rule order */
	uint16_t nmd;
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

/*
 * A threshold.config (Suricata's format), after the rule files:
 *   threshold|event_filter gen_id G, sig_id S, type T, track X, count C, seconds N
 *   suppress gen_id G, sig_id S[, track by_src|by_dst|by_either, ip ADDRS]
 * sig_id 0 means every rule (of gen_id, or of all when gen_id is 0). A
 * threshold replaces the rule's own; a suppress keeps the rule matching
 * (flowbits still set) but silent for those addresses (or always). Each
 * line that cannot be honoured is reported through diag (file, line) and
 * ignored; a line naming no loaded rule is reported too. Returns 0, or
 * -errno if the file cannot be read.
 */
int sig_set_load_threshold_file(struct sig_set *s, const char *path,
				sig_diag_fn diag, void *diag_user);

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
/* Distinct Hyperscan patterns over all databases (rules share equal ones;
 * a content implied by a pcre of its rule has none: sig_expr.c). */
unsigned sig_engine_pattern_count(const struct sig_engine *e);
/* Whether some rule inspects buffer b (a database exists for it in either
 * direction): the caller can skip building a buffer nobody looks at. */
bool sig_engine_has_buf(const struct sig_engine *e, enum sig_buf b);
/* Bytes of compiled databases (hs_database_size summed). */
size_t sig_engine_db_bytes(const struct sig_engine *e);

/*
 * Compiled-database cache (sig_cache.c). With a cache directory set,
 * sig_engine_build looks each database up in DIR/<sha256>.hsdb before
 * compiling it, and writes what it compiles there. The key covers
 * everything the compiled database depends on: the patterns (expression,
 * flags, id, offsets, in order), the mode, the Hyperscan version and the
 * host's platform (CPU features), so a restart with the same rules loads
 * instead of compiling, and any change is simply a different file. A file
 * that is truncated, corrupt or from another version is a miss: the
 * database is compiled and the file rewritten. The cache never makes a
 * build fail. Files are written atomically (temporary file, rename), mode
 * 0644. Entries not used by a build and older than 7 days are deleted by
 * that build (a hit refreshes an entry's time), so the directory holds the
 * current rules plus the versions of the past week.
 *
 * dir: NULL or "" turns the cache off (the default). The directory is
 * created if missing (mode 0755, parents too); the path is copied.
 * Returns 0; -EINVAL (s NULL), -ENAMETOOLONG (the cache stays off);
 * -errno if the directory cannot be created (the cache stays off), or
 * -EACCES / -EROFS if it exists but cannot be written (the cache is used
 * read-only: entries are loaded, none written). A caller warns on any
 * non-zero return and goes on: the cache is an optimisation.
 */
int sig_set_cache_dir(struct sig_set *s, const char *dir);

/* What the cache did in the build of e: databases loaded (hits), compiled
 * while the cache was on (misses), and problems (a bad entry, an unusable
 * directory, a failed write; each also a miss when a database was then
 * compiled). All 0 without a cache. Any pointer may be NULL. */
void sig_engine_cache_stats(const struct sig_engine *e, unsigned *hits,
			    unsigned *misses, unsigned *errors);

/* The first cache problem of e's build as one line for a warning
 * ("rules cache DIR/X.hsdb: corrupt (checksum), recompiled"), or "" if
 * none. Valid while e lives. */
const char *sig_engine_cache_note(const struct sig_engine *e);

/* Expressions of s whose check by Hyperscan the cache spared (Hyperscan's
 * verdict remembered from an earlier start: rule checking is most of a
 * start whose databases come from the cache). */
unsigned sig_set_verdict_hits(const struct sig_set *s);

/*
 * app-layer-event names rules may use: names[i] is accepted in
 * `app-layer-event:NAME` and matches when the sensor scans canon[i] in
 * SIG_BUF_APP_EVENT (canon NULL: names[i] itself), so Suricata's names can
 * alias the sensor's ("smtp.max_command_line_len_exceeded" for
 * "smtp.command_line_too_long"). An unknown name skips the rule. The
 * strings must outlive the set. Call before loading rules.
 */
void sig_set_event_names(struct sig_set *s, const char *const *names,
			 const char *const *canon, unsigned n);

/* File digests rules ask for (filemd5, filesha1, filesha256): the caller
 * must compute them for sig_scan_file_hashes. */
enum sig_hash { SIG_HASH_MD5 = 0, SIG_HASH_SHA1, SIG_HASH_SHA256, SIG_HASH_COUNT };
bool sig_engine_needs_hash(const struct sig_engine *e, enum sig_hash h);

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
	uint64_t threshold_suppressed; /* matches threshold/detection_filter
					* kept from being alerts */
	uint64_t threshold_evicted;    /* their tracking table was full: an
					* older key's window was dropped */
	uint64_t base64_decodes;       /* base64_decode windows decoded */
	uint64_t base64_no_slot;       /* a base64_decode window could not be
					* kept (all slots busy): not decided */
	uint64_t suppressed;           /* matches a suppress kept silent */
	uint64_t pcre_window;          /* a stream match PCRE2 could not decide
					* within its window (taken as no match) */
	uint64_t probe_split;          /* byte_test bytes not in the packet of
					* the match they follow (no match) */
	uint64_t delay_full;           /* a long isdataat could not wait (the
					* flow's two slots were taken): no match */
	uint64_t match_pos_full;       /* a match end that base64_decode,
					* byte_test, a stream PCRE2 check or a long
					* isdataat needed was not kept (over 32 in
					* one scan): that rule part not decided */
};

struct sig_thread;

/* One per worker. max_flows bounds the per-flow state pool. */
struct sig_thread *sig_thread_new(const struct sig_engine *e,
				  uint32_t max_flows,
				  sig_alert_fn on_alert, void *alert_user);
void sig_thread_free(struct sig_thread *t);
const struct sig_thread_stats *sig_thread_get_stats(const struct sig_thread *t);

/* The capture clock (µs), for threshold/detection_filter windows: read
 * when a rule fires; it must outlive the thread. NULL (the default): 0. */
void sig_thread_set_clock(struct sig_thread *t, const uint64_t *now_us);

struct sig_flow;

/* Per-flow state from the thread's pool; NULL if the pool is empty
 * (counted; the flow is then not inspected). No allocation. */
struct sig_flow *sig_flow_open(struct sig_thread *t, const struct sig_tuple *tup);
/* Close open streams (their end-anchored matches are reported) and
 * return the state to the pool. */
void sig_flow_close(struct sig_thread *t, struct sig_flow *f, void *ctx);

/* Return the state to the pool without deciding anything that waits for
 * an end (open streams, base64 windows, pending confirmations are dropped
 * unreported, as after a gap): for a flow whose state must go while the
 * flow goes on (a reload retiring old rules). No alert is raised. */
void sig_flow_discard(struct sig_thread *t, struct sig_flow *f);

/* Raw stream bytes, as they arrive (streaming mode). */
void sig_scan_stream(struct sig_thread *t, struct sig_flow *f, enum sig_dir dir,
		     const uint8_t *data, size_t len, void *ctx);

/* Bytes were lost in this direction of the raw stream: partial matches
 * are dropped (unreported) so no pattern matches across the hole; the
 * stream restarts with the next bytes. Recorded matches are kept. */
void sig_stream_gap(struct sig_thread *t, struct sig_flow *f, enum sig_dir dir);

/*
 * A complete short buffer (block mode), any buffer except the raw stream
 * and the streaming ones (smtp.data, email.body, file.data), which are
 * ignored here. For a multi-instance buffer call once per instance (per
 * recipient, address, Received header, URL, file name); each call is one
 * instance. An empty buffer (len 0) is not inspected.
 */
void sig_scan_buffer(struct sig_thread *t, struct sig_flow *f, enum sig_buf b,
		     enum sig_dir dir, const uint8_t *data, size_t len,
		     void *ctx);

/*
 * Streaming buffers SIG_BUF_SMTP_DATA (one per message), SIG_BUF_EMAIL_BODY
 * (one per decoded text part) and SIG_BUF_FILE_DATA (one per decoded file):
 * begin, any number of scans, end — in the to_server direction. Other
 * buffers are ignored. Each buffer has its own stream, so a body part and a
 * file may be open at the same time; one stream per buffer per flow.
 *  - sig_stream_begin starts an instance: a stream still open for b is
 *    dropped unreported, and the previous instance's matches are forgotten.
 *  - sig_stream_scan without a begin opens the stream lazily (a fresh
 *    instance if none was open).
 *  - sig_stream_end is the end of the part/file/message: end-anchored
 *    conditions (endswith, pcre $, bsize) are reported, then rules with
 *    negated conditions in b are decided (only if bytes were scanned and
 *    every match could be recorded). Then the instance is closed.
 * ctx is passed to the alert callback of any rule that fires.
 */
void sig_stream_begin(struct sig_thread *t, struct sig_flow *f, enum sig_buf b);
void sig_stream_scan(struct sig_thread *t, struct sig_flow *f, enum sig_buf b,
		     const uint8_t *data, size_t len, void *ctx);
void sig_stream_end(struct sig_thread *t, struct sig_flow *f, enum sig_buf b,
		    void *ctx);

/* Message data of one message: the stream calls for SIG_BUF_SMTP_DATA. */
void sig_data_begin(struct sig_thread *t, struct sig_flow *f);
void sig_scan_data(struct sig_thread *t, struct sig_flow *f,
		   const uint8_t *data, size_t len, void *ctx);
void sig_data_end(struct sig_thread *t, struct sig_flow *f, void *ctx);

/*
 * A file is complete and these are its digests (raw bytes: 16, 20, 32;
 * NULL when not computed): the filemd5 / filesha1 / filesha256 list
 * conditions are decided for it (to_server, transaction-scoped).
 */
void sig_scan_file_hashes(struct sig_thread *t, struct sig_flow *f,
			  const uint8_t *md5, const uint8_t *sha1,
			  const uint8_t *sha256, void *ctx);

/* A transaction ended: transaction-scoped matches and the per-transaction
 * "already fired" set are cleared. */
void sig_flow_tx_end(struct sig_thread *t, struct sig_flow *f);

#endif
