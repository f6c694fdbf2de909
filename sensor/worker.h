/*
 * worker — one packet-processing pipeline and everything it owns.
 *
 * A worker owns, for the flows hashed to it, the whole path: decode, flow
 * table and reassembly, SMTP sessions, signature matching and event
 * serialisation. Nothing in it is shared with another worker except the
 * immutable configuration and signature engines, so the packet path takes
 * no lock. Every pool is sized at worker_init(); on the packet path an
 * empty pool is a counter, never an allocation.
 *
 * Rule reloads (reload.h): at a burst boundary the worker adopts the
 * newest published rules for the flows that start from then on; each flow
 * keeps the signature thread it was opened on (app_flow.sigt) until it
 * ends, so a session in progress keeps its rules and its partial matches.
 * A worker holds at most two generations: the current one and the one
 * before it, while flows still use it (worker.c, worker_sig_adopt).
 */
#ifndef MT_WORKER_H
#define MT_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "blockpool.h"
#include "capture.h"
#include "config.h"
#include "decode.h"
#include "defrag.h"
#include "eve.h"
#include "prefault.h"
#include "reasm.h"
#include "sig.h"
#include "smtp/smtp.h"
#include "anomaly.h"
#include "reload.h"
#include "app_email.h"
#include "tls/tls.h"

/* smtp.data frame alerts one message holds until its end (app_flow.fr_held;
 * more are logged at once, counted in frame_alerts_unheld). */
#define APP_FRAME_HELD 4

/* Per-flow application state: taken from the worker's pool the first time
 * a flow carries payload, returned at flow end. */
struct app_flow {
	struct smtp_session smtp;
	struct sig_flow *sig;       /* NULL if the signature pool was empty */
	struct sig_thread *sigt;    /* the thread (rules generation) sig is from:
				     * every scan of this flow goes to it */
	bool sig_reopen;            /* sig was closed by a reload (too many
				     * generations): opened again on the current
				     * rules at the next transaction */
	struct flow *flow;
	struct worker *w;
	struct app_flow *next_free;
	uint32_t alerts;
	struct anomaly_seen anomalies_seen; /* names already logged */
	uint32_t sig_scope;         /* tx id + 1 the signature scope is for, 0 none */
	struct app_email email;     /* the message of the current transaction */
	/* The email object of a message whose transaction still awaits its
	 * verdict when the next message begins (pipelining, one-sided
	 * captures): written then as JSON text (malloc'd at that message
	 * boundary), logged with its transaction (app_email.c). */
	char *email_done, *email_done_ext;
	uint32_t email_done_len, email_done_ext_len;
	uint32_t email_done_tx;
	struct tls_hs *tls;         /* after STARTTLS / on an implicit-TLS port:
	                             * the handshake being read (a pool block) */
	bool tls_done;              /* its tls event was logged (or given up) */
	/* TLS record walk per direction after STARTTLS (app_smtp.c
	 * tls_records): raw-stream inspection stops at the first encrypted
	 * record. */
	struct app_tlsrec {
		uint8_t hdr[5], nhdr;
		bool encrypted, not_tls;
		uint32_t left;      /* bytes of the current record still to skip */
	} tlsrec[2];
	bool cleartext;             /* went on in clear where TLS was due */
	/* The client chunk being parsed, and how much of it the raw-stream
	 * scan has seen (app_data, SMTP_EV_DATA_END). */
	const uint8_t *cli_chunk;
	size_t cli_len, cli_scanned;
	/* Small client segments held to be parsed and scanned as one chunk
	 * (app_smtp.c on_data): a pool block while any are held. */
	uint8_t *hold;
	uint32_t hold_len;
	bool starttls_sent;         /* STARTTLS sent, its reply not yet seen */
	bool starttls_tried;        /* STARTTLS was sent at some point */
	/* --detect-any-port (app_smtp.c, probe_data): a flow on a port that
	 * is not an SMTP port is held in probe until its greeting and first
	 * command show it is SMTP (by_protocol then). */
	uint8_t probe;              /* enum app_probe */
	bool by_protocol;
	uint8_t probe_cli_len;
	uint8_t probe_cli[5];       /* the client's first bytes */
	uint32_t probe_len;
	uint8_t *probe_buf;         /* the server's bytes so far (a pool block) */
	/* Commands of the session so far, per verb (smtp_verb), and the
	 * text of the rare ones worth reading (app_smtp.c cmd_note): unknown
	 * verbs and XCLIENT/XFORWARD lines, in one pool block taken on the
	 * first such command. */
	uint32_t verb_count[SMTP_VERB_COUNT];
	uint8_t *cmd_notes;
	uint16_t cmd_notes_len;
	uint8_t n_unknown, n_xclient, n_xforward;
	/*
	 * Frames (frame: rules, app_smtp.c). Per direction, the cleartext
	 * SMTP bytes fed before the chunk being parsed and where that chunk
	 * starts (stream_offset); frame ids in order of creation (the two
	 * raw streams at their first byte, +1; then each line and message);
	 * the message frame; the line frame being scanned, for its alerts;
	 * and the alerts of smtp.data frame rules, held until the message
	 * ends so that they carry its files (at most APP_FRAME_HELD, then
	 * logged at once).
	 */
	uint64_t fr_off[2];
	const uint8_t *fr_base[2];
	uint32_t fr_next, fr_stream[2];
	uint32_t fr_data_id;
	uint64_t fr_data_off, fr_data_len;
	bool fr_data_on;
	const struct app_frame *fr_cur;
	uint8_t fr_nheld;
	struct {
		const struct sig_rule_meta *rule;
		bool to_server;
	} fr_held[APP_FRAME_HELD];
};

/* A line frame being scanned (app_smtp.c frame_line). */
struct app_frame {
	uint8_t type;               /* enum sig_frame */
	bool to_server, complete, credential;
	uint32_t id, tx_id;
	uint64_t off, len;
	const uint8_t *p;           /* its bytes (plen of them) */
	size_t plen;
};

enum app_probe { PROBE_NONE = 0, PROBE_GREETING, PROBE_CLIENT };

struct worker_stats {
	uint64_t app_no_memory;     /* flows not inspected: app pool empty */
	uint64_t hold_segments;     /* small client segments held (app_smtp.c) */
	uint64_t hold_flushes;      /* ... handed on as one chunk */
	uint64_t smtp_sessions;     /* flows with SMTP state */
	uint64_t smtp_midstream;    /* ... picked up without their handshake */
	uint64_t implicit_tls;      /* ... on an implicit-TLS port, still TLS */
	uint64_t smtp_tx_logged;    /* smtp events */
	uint64_t alerts;            /* alert events */
	uint64_t anomalies;         /* anomaly events */
	uint64_t anomalies_repeated;/* same anomaly again in a flow: not logged */
	uint64_t anomaly_count[ANOMALY_MAX]; /* every occurrence, by anomaly_id */
	uint64_t decode_not_tcp;    /* frames that were not TCP (all reasons) */
	uint64_t files;             /* fileinfo events */
	uint64_t command_notes_dropped; /* unknown verbs / XCLIENT / XFORWARD
				     * lines not kept (over their caps) */
	uint64_t email_done_dropped;/* email objects of messages still awaiting
				     * their verdict, dropped for a newer one */
	uint64_t probe_flows;       /* --detect-any-port candidates */
	uint64_t probe_confirmed;   /* ... found to be SMTP */
	uint64_t probe_rejected;    /* ... given up (not SMTP, or unclear) */
	uint64_t tls_logged;        /* tls events */
	uint64_t tls_cleartext;     /* sessions that went on in clear where
				     * TLS was due (cleartext_after_starttls) */
	uint64_t url_parts;         /* text parts scanned for URLs */
	uint64_t urls, url_over_cap, url_truncated, url_no_mem, url_defanged;
	uint64_t reload_flows_reset;/* open flows whose signature state a
				     * reload closed (a third generation arrived
				     * while they were on the oldest) */
	uint64_t frame_alerts_unheld;/* smtp.data frame alerts logged before
				     * their message ended, the hold being
				     * full (APP_FRAME_HELD) */
};

struct worker {
	unsigned id;                /* 0.. : goes into flow ids */
	const struct mt_config *cfg;
	struct decode_opts dopts;
	struct decode_stats dstats;
	struct reasm *reasm;
	struct defrag *defrag;      /* IP fragments (stats: defrag_get_stats) */
	struct sig_thread *sig;     /* current rules: new flows open on it */
	uint32_t sig_flows;         /* flows open on sig */
	/* Hot reload; rl NULL: the rules never change (sig is the worker's). */
	struct reload_ctl *rl;
	unsigned rl_slot;
	struct reload_gen *sig_gen;     /* sig's generation */
	struct sig_thread *sig_old;     /* the generation before, while flows
					 * opened on it are still open */
	struct reload_gen *sig_old_gen;
	uint32_t sig_old_flows;
	struct sig_thread_stats sig_retired; /* threads given back, summed */
	struct mt_blockpool pool;
	struct smtp_config smtp_cfg;
	struct smtp_stats smtp_stats;
	struct app_flow *app_mem;   /* max_app_flows entries */
	struct app_flow *app_free;
	uint32_t app_fresh, app_in_use, app_peak;
	size_t app_carved;               /* app_fresh * sizeof, atomic (prefault.h) */
	struct mt_prefault prefault;     /* the pools' regions, for a pager */
	struct mime_ctx mime;       /* MIME parsers' configuration, stats, iconv */
	struct fileinfo_pool *files;  /* digests and types of attachments */
	struct fileinfo_pool *bodies; /* MD5 of message text bodies */
	struct url_config url_cfg;
	struct tls_stats tls_stats;
	struct eve_buf eve;
	struct eve_buf side;        /* email objects kept as text (fd -1) */
	uint64_t now_us;            /* time of the packet being processed */
	uint64_t pkt_num;           /* 1-based number of that packet (pcap_cnt) */
	struct worker_stats st;
	/* worker_packet_anomaly's event budget per anomaly name. */
	uint64_t anom_bucket_us[ANOMALY_MAX];
	uint32_t anom_tokens[ANOMALY_MAX];
	/* Optional: every alert is also reported here (the summary). */
	void (*alert_hook)(void *user, const struct sig_rule_meta *rule);
	void *alert_hook_user;
};

/* Start-up. id numbers the worker (0..255). eve_fd is shared by all workers (O_APPEND). Returns 0 or
 * -ENOMEM (nothing to free on failure beyond worker_destroy). */
int worker_init(struct worker *w, unsigned id, const struct mt_config *cfg,
		const struct sig_engine *engine, int eve_fd);
void worker_destroy(struct worker *w);

/* Take part in rule reloads (after worker_init, before the first burst):
 * registers with c, whose generation 1 must be the engine given to
 * worker_init. Returns 0 or -ENOSPC. */
int worker_reload_attach(struct worker *w, struct reload_ctl *c);

/* Process a burst of packets in order (first adopting newly published
 * rules, see above). */
void worker_burst(struct worker *w, const struct mt_pkt *pkts, unsigned n);

/* The source had no packet for a while: adopt newly published rules and
 * write out the buffered events (a quiet link must not hold them back). */
void worker_idle(struct worker *w);

/* A flow's signature state: opened on the current rules (app_smtp.c calls
 * this when a flow is known to be SMTP); closed on its own thread. */
void worker_sig_open(struct worker *w, struct app_flow *a);
void worker_sig_close(struct worker *w, struct app_flow *a);

/* Signature counters of every thread this worker used, freed ones
 * included. */
void worker_sig_stats(const struct worker *w, struct sig_thread_stats *sum);

/* End of input: finish every flow (its last transaction is logged). */
void worker_finish(struct worker *w);

/* Event writing shared by app_smtp.c and app_email.c (eve.h's direct
 * writer, into the worker's buffer): an event begun with the common
 * fields (to_server decides which side is src), Suricata's smtp{} object
 * for a transaction as its member "smtp", and an anomaly event (once per
 * name per flow). */
void app_event_begin(struct jb *b, struct worker *w, const struct flow *f, const char *type,
		     bool to_server, bool with_pcap_cnt);
void app_smtp_write(struct jb *b, const struct smtp_session *s, const struct smtp_tx *tx);
void app_emit_anomaly(struct worker *w, struct app_flow *a, const char *name);
/* Every anomaly goes through these two (worker.c): the per-name count
 * (returns the registry id), and the end of the event b — the `anomaly`
 * object of type/event/layer (and app_proto, if not NULL) — written and
 * counted. */
unsigned worker_anomaly_count(struct worker *w, const char *name);
void worker_anomaly_end(struct worker *w, struct jb *b, const char *type, const char *name,
			const char *layer, const char *app_proto);

/* The reassembly callbacks the worker gives reasm (app_smtp.c). */
extern const struct reasm_ops app_reasm_ops;
/* The SMTP event and signature alert handlers (app_smtp.c). */
void app_smtp_event(void *user, struct smtp_session *s, const struct smtp_event *ev);
/* Alerts of smtp.data frame rules held for the message's end, now. */
void app_frame_flush(struct worker *w, struct app_flow *a);
void app_sig_alert(void *user, void *ctx, const struct sig_rule_meta *rule,
		   enum sig_dir dir);

#endif
