/*
 * app_smtp — wires reassembly, the SMTP parser and the signature engine
 * together, and turns what they report into EVE events.
 *
 * Per chunk of reassembled bytes: client bytes are parsed, then scanned
 * (an alert on them carries the envelope they contain); server bytes are
 * scanned, then parsed (the reply that ends a transaction is matched
 * inside it). SMTP events drive the short-buffer scans
 * (helo, mail_from, each rcpt_to), the message-data stream, and the end of
 * the signature engine's transaction scope.
 *
 * The flow's application state (struct app_flow) comes from a fixed pool
 * in the worker the first time a flow carries payload; a flow that finds
 * the pool empty is counted and passed over (its bytes are not parsed),
 * which is marked by pointing flow->app at a shared sentinel.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include <openssl/evp.h>

#include "worker.h"

/* flow->app for flows that could not get state: never dereferenced. */
static struct app_flow app_none;

static inline struct app_flow *app_of_session(struct smtp_session *s)
{
	return (struct app_flow *)((char *)s - offsetof(struct app_flow, smtp));
}

static void tls_begin(struct worker *w, struct app_flow *a);
static void commands_write(const struct app_flow *a, struct jb *b);

static struct app_flow *app_get(struct worker *w, struct flow *f)
{
	struct app_flow *a = f->app;

	if (a)
		return a == &app_none ? NULL : a;
	if (w->app_free) {
		a = w->app_free;
		w->app_free = a->next_free;
	} else if (w->app_fresh < w->cfg->max_app_flows) {
		a = &w->app_mem[w->app_fresh++];
		__atomic_store_n(&w->app_carved, (size_t)w->app_fresh * sizeof(*a), __ATOMIC_RELAXED);
	} else {
		w->st.app_no_memory++;
		f->app = &app_none;
		return NULL;
	}
	if (++w->app_in_use > w->app_peak)
		w->app_peak = w->app_in_use;
	memset(a, 0, sizeof(*a));
	a->w = w;
	a->flow = f;
	smtp_session_init(&a->smtp, &w->smtp_cfg, &w->smtp_stats);
	f->app = a;
	/* Not an SMTP port (--detect-any-port): SMTP until proven, by the
	 * first bytes of each side (probe_data). */
	if (!config_is_smtp_port(w->cfg, f->server_port) &&
	    !config_is_smtps_port(w->cfg, f->server_port)) {
		a->probe = PROBE_GREETING;
		w->st.probe_flows++;
		return a;
	}
	worker_sig_open(w, a);
	w->st.smtp_sessions++;
	/*
	 * Picked up midstream (no handshake seen): the first bytes may be
	 * the middle of a line, a message, a reply; the parser syncs on
	 * the server's first reply line (smtp_session_midstream). Nothing
	 * is known to be lost, so no gap is marked; logged as midstream.
	 */
	if (f->midstream) {
		smtp_session_midstream(&a->smtp);
		w->st.smtp_midstream++;
	}
	/* RFC 8314: on an implicit-TLS port the session is TLS from the
	 * first byte; only the handshake can be read. */
	if (config_is_smtps_port(w->cfg, f->server_port)) {
		w->st.implicit_tls++;
		a->smtp.tls = true;
		tls_begin(w, a);
	}
	return a;
}

static void app_put(struct worker *w, struct app_flow *a)
{
	a->next_free = w->app_free;
	w->app_free = a;
	w->app_in_use--;
}

/* ---- TLS after STARTTLS, or from the start on an implicit-TLS port ------- */

static void tls_begin(struct worker *w, struct app_flow *a)
{
	if (a->tls)
		return;
	a->tls = mt_block_get(&w->pool);    /* counted in pool.exhausted if none */
	if (a->tls)
		tls_hs_init(a->tls, &w->tls_stats);
}

static void emit_tls(struct worker *w, struct app_flow *a);

/* Log what was seen (a ClientHello at least) and stop inspecting. */
static void tls_done(struct worker *w, struct app_flow *a)
{
	if (!a->tls)
		return;
	tls_hs_end(a->tls);
	if (tls_hs_verdict(a->tls, TLS_DIR_TO_SERVER) == TLS_HELLO && w->cfg->eve_tls)
		emit_tls(w, a);
	mt_block_put(&w->pool, a->tls);
	a->tls = NULL;
	a->tls_done = true;
}

/* ---- reassembly callbacks ------------------------------------------------ */

static bool on_flow_new(void *user, const struct decoded_pkt *p, bool *from_client)
{
	const struct worker *w = user;
	const struct mt_config *c = w->cfg;
	bool syn = p->tcp_flags & TCP_SYN, ack = p->tcp_flags & TCP_ACK;

	if (p->tcp_flags & TCP_RST)
		return false;
	/* With --detect-any-port every connection whose handshake is seen is
	 * a candidate: the protocol, not the port, decides (probe_data). */
	if (syn && !ack) {
		*from_client = true;
		return c->detect_any_port || config_is_smtp_port(c, p->dport) ||
			config_is_smtps_port(c, p->dport);
	}
	if (syn && ack) {
		*from_client = false;
		return c->detect_any_port || config_is_smtp_port(c, p->sport) ||
			config_is_smtps_port(c, p->sport);
	}
	/* Midstream: the SMTP port says which side is the server. */
	if (c->no_midstream)
		return false;
	if (config_is_smtp_port(c, p->dport) || config_is_smtps_port(c, p->dport)) {
		*from_client = true;
		return true;
	}
	if (config_is_smtp_port(c, p->sport) || config_is_smtps_port(c, p->sport)) {
		*from_client = false;
		return true;
	}
	return false;
}

static void app_data(struct worker *w, struct app_flow *a, enum flow_dir dir,
		     const uint8_t *data, uint32_t len);

/* ---- SMTP on any port (--detect-any-port) --------------------------------
 *
 * A connection on a port that is not an SMTP port is SMTP when the server
 * speaks first with a 220 greeting (RFC 5321 section 4.3.1) and the
 * client's first command is EHLO or HELO (section 4.1.1.1). The greeting
 * alone is not enough: FTP greets with 220 too; its client then sends
 * USER, AUTH or FEAT. Until both are seen nothing is parsed or scanned:
 * the server's bytes wait in one pool block and the client's first five
 * in the flow, then everything is replayed through the normal path, so a
 * detected session gives the same events as one on port 25. Anything
 * else — the client speaking first, another reply code, a gap, a greeting
 * longer than a block — gives the flow up: reassembly stops delivering it
 * (reasm_flow_bypass) and its state goes back to the pool.
 */
static void probe_release(struct worker *w, struct app_flow *a)
{
	if (a->probe_buf)
		mt_block_put(&w->pool, a->probe_buf);
	a->probe_buf = NULL;
}

static void probe_reject(struct worker *w, struct app_flow *a)
{
	struct flow *f = a->flow;

	/* The session was never fed: it holds no block and has nothing to
	 * log, so it is not finished (that would log an empty transaction). */
	probe_release(w, a);
	w->st.probe_rejected++;
	reasm_flow_bypass(w->reasm, f);
	f->app = &app_none;
	app_put(w, a);
}

static bool ascii_prefix_ci(const uint8_t *p, size_t n, const char *want)
{
	for (size_t i = 0; i < n && want[i]; i++) {
		uint8_t c = p[i];

		if (c >= 'a' && c <= 'z')
			c -= 32;
		if (c != (uint8_t)want[i])
			return false;
	}
	return true;
}

/* Returns true when the probe is over and app_data() takes the bytes. */
static bool probe_data(struct worker *w, struct app_flow *a, enum flow_dir dir,
		       const uint8_t *data, uint32_t len)
{
	uint32_t room;

	if (dir == FLOW_TO_CLIENT) {
		if (!a->probe_buf && !(a->probe_buf = mt_block_get(&w->pool))) {
			probe_reject(w, a);     /* counted in pool.exhausted */
			return false;
		}
		room = w->pool.block_size - a->probe_len;
		if (len > room) {
			probe_reject(w, a);
			return false;
		}
		memcpy(a->probe_buf + a->probe_len, data, len);
		a->probe_len += len;
		if (!ascii_prefix_ci(a->probe_buf, a->probe_len, "220") ||
		    (a->probe_len > 3 && a->probe_buf[3] != ' ' && a->probe_buf[3] != '-' &&
		     a->probe_buf[3] != '\r')) {
			probe_reject(w, a);
			return false;
		}
		a->probe = PROBE_CLIENT;
		return false;
	}
	/* The client. It must wait for the greeting. */
	if (a->probe != PROBE_CLIENT || a->probe_len < 4) {
		probe_reject(w, a);
		return false;
	}
	while (len && a->probe_cli_len < sizeof(a->probe_cli)) {
		a->probe_cli[a->probe_cli_len++] = *data++;
		len--;
	}
	if (!ascii_prefix_ci(a->probe_cli, a->probe_cli_len, "EHLO ") &&
	    !ascii_prefix_ci(a->probe_cli, a->probe_cli_len, "HELO ")) {
		/* "EHLO\t" is a command too (RFC 5321 grammar: SP, but
		 * receivers accept tabs); anything else is not SMTP. */
		if (!(a->probe_cli_len == 5 && a->probe_cli[4] == '\t' &&
		      (ascii_prefix_ci(a->probe_cli, 4, "EHLO") ||
		       ascii_prefix_ci(a->probe_cli, 4, "HELO")))) {
			probe_reject(w, a);
			return false;
		}
	}
	if (a->probe_cli_len < sizeof(a->probe_cli))
		return false;
	/* Confirmed: replay and carry on. */
	a->probe = PROBE_NONE;
	a->by_protocol = true;
	w->st.probe_confirmed++;
	w->st.smtp_sessions++;
	worker_sig_open(w, a);
	{
		uint8_t *buf = a->probe_buf;

		a->probe_buf = NULL;
		app_data(w, a, FLOW_TO_CLIENT, buf, a->probe_len);
		mt_block_put(&w->pool, buf);
	}
	app_data(w, a, FLOW_TO_SERVER, a->probe_cli, a->probe_cli_len);
	if (len)
		app_data(w, a, FLOW_TO_SERVER, data, len);
	return false;
}

/*
 * Small client segments are held and handed on together. Each data call
 * costs about 900 cycles whatever its size (the SMTP and MIME path, one
 * Hyperscan stream call for the raw stream and one for file.data, and the
 * cache misses on a session's state), against 2.8 a byte: an xgen capture
 * whose clients send 136,171 segments of 31 bytes spent an eighth of its
 * time on them (benchmarks/RESULTS.md). A client segment under HOLD_SMALL
 * bytes is copied into a pool block instead; the block goes on as one
 * chunk when HOLD_MAX bytes would not fit, before any other data of the
 * flow (a larger segment, the server's bytes: the parser sees both
 * directions in order), and before a gap, the end of a direction or of
 * the flow. Only a message after DATA is held (not a BDAT chunk, which
 * ends by count: the parser, which has not seen the held bytes yet, could
 * not tell a command after it), and no segment with a '.' that may start
 * a line (the end of the data, a dot-stuffed line: what ends a transaction
 * goes on at once, with the packet that carries it); nothing in TLS, in a
 * probed flow, or when the pool is half used. The bytes and their order
 * are unchanged; what changes is the packet an alert or an anomaly on
 * held content names, the one that let it go on, and the size so far of
 * an open file an alert lists (Suricata inspects the raw stream in
 * 2,560-byte chunks and SMTP file data from 32 KiB on, named by the packet
 * that completes them).
 */
#define HOLD_SMALL 256u
#define HOLD_MAX 2048u

/* Whether d[0..n) may hold a '.' that starts a line (the end of the data,
 * or a stuffed line): a first byte '.', or "\n.". From dot to dot (a
 * base64 segment has none: one memchr), not memmem, whose setup for a
 * two-byte needle cost more than the search on these short segments. */
static bool line_dot(const uint8_t *d, uint32_t n)
{
	const uint8_t *end = d + n;

	for (const uint8_t *p = memchr(d, '.', n); p;
	     p = memchr(p + 1, '.', (size_t)(end - p - 1)))
		if (p == d || p[-1] == '\n')
			return true;
	return false;
}

static void hold_flush(struct worker *w, struct app_flow *a)
{
	uint8_t *b = a->hold;
	uint32_t n = a->hold_len;

	if (!b)
		return;
	a->hold = NULL;
	a->hold_len = 0;
	app_data(w, a, FLOW_TO_SERVER, b, n);
	mt_block_put(&w->pool, b);
	w->st.hold_flushes++;
}

static void on_data(void *user, struct flow *f, enum flow_dir dir,
		    const uint8_t *data, uint32_t len)
{
	struct worker *w = user;
	struct app_flow *a = app_get(w, f);

	if (!a)
		return;
	if (a->probe) {
		probe_data(w, a, dir, data, len);
		return;
	}
	if (dir == FLOW_TO_SERVER && len < HOLD_SMALL && !a->smtp.tls &&
	    smtp_session_in_data(&a->smtp) && !line_dot(data, len)) {
		if (a->hold && a->hold_len + len > HOLD_MAX)
			hold_flush(w, a);
		/* a block takes HOLD_MAX bytes and one more segment */
		if (!a->hold && w->pool.in_use < w->pool.count / 2 &&
		    w->pool.block_size >= HOLD_MAX + HOLD_SMALL)
			a->hold = mt_block_get(&w->pool);
		if (a->hold) {
			memcpy(a->hold + a->hold_len, data, len);
			a->hold_len += len;
			w->st.hold_segments++;
			return;
		}
	}
	hold_flush(w, a);
	app_data(w, a, dir, data, len);
}

/*
 * The client's bytes after a 220 to STARTTLS (or its first bytes on an
 * implicit-TLS port) are not a TLS record: the session goes on in clear. Two real causes: a capture whose TLS part was
 * decrypted and written back (Arkime's smtp-decrypted case), and a client
 * or a man in the middle that never started TLS although the server was
 * ready — which a sensor must read rather than wave through as encrypted.
 * RFC 3207 section 4.2: after TLS the client starts over with EHLO, so the
 * parser simply takes the next command; the anomaly says it happened.
 */
/* Whether the session logs smtp records: not on an implicit-TLS port,
 * where there is no SMTP to log (only the tls event), unless it went on
 * in clear. */
static inline bool logs_smtp(const struct worker *w, const struct app_flow *a)
{
	return !config_is_smtps_port(w->cfg, a->flow->server_port) || a->cleartext;
}

static void cleartext_resume(struct worker *w, struct app_flow *a)
{
	mt_block_put(&w->pool, a->tls);
	a->tls = NULL;
	a->smtp.tls = false;
	a->starttls_sent = false;
	a->cleartext = true;
	w->st.tls_cleartext++;
	if (config_is_smtps_port(w->cfg, a->flow->server_port))
		w->st.implicit_tls--;       /* SMTP after all */
	app_emit_anomaly(w, a, "cleartext_after_starttls");
}

/*
 * After STARTTLS (or on an implicit-TLS port): walk the direction's TLS
 * record headers (RFC 8446 5.1, RFC 5246 6.2.1: type, version, 16-bit
 * length). True once an application_data record (type 23) has begun
 * before this chunk: what follows is encrypted. A byte that cannot start
 * a record (type outside 20..24, a length over 2^14 + 2048) means the
 * bytes are not TLS: the direction is never taken as encrypted. TLS 1.3
 * sends everything after the ServerHello as type 23, so its encrypted
 * handshake is not scanned either.
 */
static bool tls_records(struct app_flow *a, enum flow_dir dir, const uint8_t *p, uint32_t n)
{
	struct app_tlsrec *r = &a->tlsrec[dir];
	bool was = r->encrypted;

	for (uint32_t i = 0; i < n && !r->encrypted && !r->not_tls;) {
		if (r->left) {
			uint32_t k = n - i < r->left ? n - i : r->left;

			r->left -= k;
			i += k;
			continue;
		}
		r->hdr[r->nhdr++] = p[i++];
		if (r->nhdr == 1 && (r->hdr[0] < 20 || r->hdr[0] > 24))
			r->not_tls = true;
		if (r->nhdr < 5)
			continue;
		r->nhdr = 0;
		r->left = (uint32_t)r->hdr[3] << 8 | r->hdr[4];
		if (r->hdr[1] != 3 || r->left > 16384 + 2048)
			r->not_tls = true;
		else if (r->hdr[0] == 23)
			r->encrypted = true;
	}
	return was;
}

static void app_data(struct worker *w, struct app_flow *a, enum flow_dir dir,
		     const uint8_t *data, uint32_t len)
{
	if (a->smtp.tls) {
		if (a->tls) {
			enum tls_dir td = dir == FLOW_TO_SERVER ? TLS_DIR_TO_SERVER :
				TLS_DIR_TO_CLIENT;

			/* The client decides: its hello is what TLS needs. A
			 * server greeting in clear on port 465 answered by a
			 * ClientHello (suricata-verify smtp-errors) stays TLS:
			 * the hello is what there is to read. */
			if (tls_hs_feed(a->tls, td, data, len) == TLS_NOT_TLS &&
			    td == TLS_DIR_TO_SERVER) {
				cleartext_resume(w, a);
				app_data(w, a, dir, data, len);
				return;
			}
			if (tls_hs_finished(a->tls))
				tls_done(w, a);
		}
		/* Raw-stream rules go on seeing a direction's bytes until its
		 * first encrypted record (Suricata's default encryption
		 * handling inspects the handshake, then stops): a session that
		 * only says STARTTLS and sends something else stays inspected. */
		if (a->sig && !tls_records(a, dir, data, len))
			sig_scan_stream(a->sigt, a->sig, (enum sig_dir)dir, data, len, a);
		return;
	}
	/*
	 * Scan while the transaction the bytes belong to is current. A
	 * client chunk is parsed first, so an alert on it carries the
	 * envelope it holds (MAIL FROM and RCPT TO pipelined in the same
	 * segment). A server chunk is scanned first: the reply that ends a
	 * transaction (250 to ".") still belongs to it.
	 */
	if (dir == FLOW_TO_CLIENT && a->sig)
		sig_scan_stream(a->sigt, a->sig, SIG_DIR_TO_CLIENT, data, len, a);
	if (dir == FLOW_TO_SERVER) {
		/* A message that ends inside this chunk takes its bytes
		 * with it: they are scanned at its DATA_END, while it is
		 * still the current transaction (cli_scan_upto), and the
		 * rest after the parse. */
		a->cli_chunk = data;
		a->cli_len = len;
		a->cli_scanned = 0;
	}
	if (!a->fr_stream[dir])
		a->fr_stream[dir] = ++a->fr_next;
	a->fr_base[dir] = data;
	smtp_session_feed(&a->smtp, (enum smtp_dir)dir, data, len);
	a->fr_off[dir] += len;
	if (dir == FLOW_TO_SERVER) {
		if (a->sig && !a->smtp.tls && a->cli_scanned < len)
			sig_scan_stream(a->sigt, a->sig, SIG_DIR_TO_SERVER,
					data + a->cli_scanned, len - a->cli_scanned, a);
		a->cli_chunk = NULL;
	}
}

static void on_gap(void *user, struct flow *f, enum flow_dir dir, uint64_t len)
{
	struct worker *w = user;
	struct app_flow *a = app_get(w, f);

	if (!a)
		return;
	if (a->probe) {
		probe_reject(w, a);     /* cannot tell what was lost */
		return;
	}
	hold_flush(w, a);
	smtp_session_gap(&a->smtp, (enum smtp_dir)dir, len);
	a->fr_off[dir] += len;
	if (dir == FLOW_TO_SERVER && a->email.mp)
		app_email_gap(w, a, len);
	/* No raw-stream pattern may match across the lost bytes. */
	if (a->sig)
		sig_stream_gap(a->sigt, a->sig, (enum sig_dir)dir);
}

static void on_eof(void *user, struct flow *f, enum flow_dir dir)
{
	struct app_flow *a = f->app;

	if (a && a != &app_none && !a->probe) {
		hold_flush(user, a);
		smtp_session_eof(&a->smtp, (enum smtp_dir)dir);
	}
}

static void on_flow_end(void *user, struct flow *f, enum flow_end_reason why)
{
	struct worker *w = user;
	struct app_flow *a = f->app;

	f->app = NULL;
	if (!a || a == &app_none)
		return;
	if (a->probe) {
		/* Ended before it showed what it is: nothing to log. */
		probe_release(w, a);
		w->st.probe_rejected++;
		app_put(w, a);
		return;
	}
	hold_flush(w, a);
	/* Close the signature streams first: matches reported at end of
	 * stream still see the session's envelope. The transactions that
	 * smtp_session_finish() ends then only produce smtp events. */
	worker_sig_close(w, a);
	app_frame_flush(w, a);
	tls_done(w, a);
	smtp_session_finish(&a->smtp);
	app_email_reset(w, a);
	app_email_flow_end(a);
	if (a->cmd_notes)
		mt_block_put(&w->pool, a->cmd_notes);
	app_put(w, a);
}

/*
 * A TCP-level sign from reassembly (reasm.h REASM_ANOMALY_*: overlapping
 * bytes that differ, an RST outside the window, a SYN on a live flow...).
 * Reassembly raises each name once per flow; it is an anomaly event of
 * type "stream" about the flow, whether or not it carried SMTP yet.
 */
static void on_stream_anomaly(void *user, struct flow *f, enum flow_dir dir, const char *name)
{
	struct worker *w = user;

	worker_anomaly_count(w, name);
	if (w->cfg->eve_anomaly) {
		struct jb b;

		app_event_begin(&b, w, f, "anomaly", dir == FLOW_TO_SERVER, true);
		worker_anomaly_end(w, &b, "stream", name, "reassembly", NULL);
	}
}

const struct reasm_ops app_reasm_ops = {
	.flow_new = on_flow_new,
	.data = on_data,
	.gap = on_gap,
	.eof = on_eof,
	.flow_end = on_flow_end,
	.anomaly = on_stream_anomaly,
};

/* ---- events ------------------------------------------------------------- */

/* The fields every event about a flow starts with. to_server decides
 * which side is src. */
void app_event_begin(struct jb *b, struct worker *w, const struct flow *f, const char *type,
		     bool to_server, bool with_pcap_cnt)
{
	char ts[48], ip[64];
	const struct mt_addr *src = to_server ? &f->client : &f->server;
	const struct mt_addr *dst = to_server ? &f->server : &f->client;

	jb_begin(b, &w->eve);
	eve_format_ts(w->now_us, ts, sizeof(ts));
	jb_str(b, "timestamp", ts);
	jb_int(b, "flow_id", (int64_t)f->id);
	if (with_pcap_cnt)
		jb_int(b, "pcap_cnt", (int64_t)w->pkt_num);
	jb_str(b, "event_type", type);
	jb_str(b, "src_ip", mt_addr_format(src, ip, sizeof(ip)));
	jb_int(b, "src_port", to_server ? f->client_port : f->server_port);
	jb_str(b, "dest_ip", mt_addr_format(dst, ip, sizeof(ip)));
	jb_int(b, "dest_port", to_server ? f->server_port : f->client_port);
	jb_str(b, "proto", "TCP");
	if (f->vlan) {
		jb_arr(b, "vlan");
		jb_int(b, NULL, f->vlan);
		jb_arr_end(b);
	}
}

static void str_write(struct jb *b, const char *key, const struct smtp_str *s)
{
	jb_wire(b, key, s->ptr, s->len);
}

/* Suricata's smtp{} object: helo, mail_from, rcpt_to (only fields that
 * have a value: the schema wants rcpt_to non-empty). */
void app_smtp_write(struct jb *b, const struct smtp_session *s, const struct smtp_tx *tx)
{
	jb_obj(b, "smtp");
	if (s->helo.ptr)
		str_write(b, "helo", &s->helo);
	if (tx->mail_from.ptr)
		str_write(b, "mail_from", &tx->mail_from);
	if (tx->rcpt_count && tx->rcpt) {
		jb_arr(b, "rcpt_to");
		for (uint32_t i = 0; i < tx->rcpt_count; i++)
			str_write(b, NULL, &tx->rcpt[i].addr);
		jb_arr_end(b);
	}
	jb_obj_end(b);
}

static void flow_write(struct jb *b, const struct flow *f)
{
	char ts[48];

	eve_format_ts(f->first_us, ts, sizeof(ts));
	jb_obj(b, "flow");
	jb_int(b, "pkts_toserver", (int64_t)f->dir[FLOW_TO_SERVER].pkts);
	jb_int(b, "pkts_toclient", (int64_t)f->dir[FLOW_TO_CLIENT].pkts);
	jb_int(b, "bytes_toserver", (int64_t)f->dir[FLOW_TO_SERVER].bytes);
	jb_int(b, "bytes_toclient", (int64_t)f->dir[FLOW_TO_CLIENT].bytes);
	jb_str(b, "start", ts);
	jb_obj_end(b);
}

/* The smtp event of a transaction (emit_smtp_tx). */
static void smtp_tx_event(struct worker *w, struct app_flow *a, const struct smtp_tx *tx)
{
	struct jb jb, *b = &jb;

	app_event_begin(b, w, a->flow, "smtp", true, false);
	jb_int(b, "tx_id", tx->id);
	app_smtp_write(b, &a->smtp, tx);
	app_email_write(b, a, tx->id);
	jb_str(b, "app_proto", "smtp");

	/* mailtap's own fields: outside Suricata's closed smtp{} object. */
	jb_obj(b, "mailtap");
	app_email_ext_write(b, a, tx->id);
	jb_obj(b, "smtp");
	jb_str(b, "state", smtp_tx_state_name(tx->state));
	jb_int(b, "message_size", (int64_t)tx->data_bytes);
	if (tx->mail_reply_code)
		jb_int(b, "mail_reply", tx->mail_reply_code);
	if (tx->rcpt_count && tx->rcpt) {
		jb_arr(b, "rcpt_reply");
		for (uint32_t i = 0; i < tx->rcpt_count; i++)
			jb_int(b, NULL, tx->rcpt[i].reply_code);
		jb_arr_end(b);
	}
	if (tx->rcpt_dropped)
		jb_int(b, "rcpt_dropped", tx->rcpt_dropped);
	if (tx->data_reply_code)
		jb_int(b, "data_reply", tx->data_reply_code);
	if (tx->end_reply_code) {
		jb_obj(b, "message_reply");
		jb_int(b, "code", tx->end_reply_code);
		if (tx->end_reply.ptr)
			str_write(b, "text", &tx->end_reply);
		jb_obj_end(b);
	}
	jb_bool(b, "gaps", tx->gap);
	commands_write(a, b);
	if (tx->bdat) {
		jb_bool(b, "bdat", true);
		jb_int(b, "chunks", tx->chunks);
	}
	/* MAIL parameters (RFC 1870, 6152, 3030, 6531, 3461, 4954). */
	if (tx->mail_size_set || tx->mail_body || tx->mail_smtputf8 || tx->mail_ret ||
	    tx->mail_auth.ptr || tx->mail_envid.ptr) {
		static const char *const body[] = { "", "7BIT", "8BITMIME", "BINARYMIME", "other" };
		static const char *const ret[] = { "", "FULL", "HDRS", "other" };

		jb_obj(b, "mail_params");
		if (tx->mail_size_set)
			jb_int(b, "size", (int64_t)tx->mail_size);
		if (tx->mail_body && tx->mail_body < 5)
			jb_str(b, "body", body[tx->mail_body]);
		if (tx->mail_smtputf8)
			jb_bool(b, "smtputf8", true);
		if (tx->mail_ret && tx->mail_ret < 4)
			jb_str(b, "ret", ret[tx->mail_ret]);
		if (tx->mail_auth.ptr)
			str_write(b, "auth", &tx->mail_auth);
		if (tx->mail_envid.ptr)
			str_write(b, "envid", &tx->mail_envid);
		jb_obj_end(b);
	}
	/* The session around the transaction: banner, what the server
	 * offered, who authenticated, whether TLS started. */
	{
		const struct smtp_session *s = &a->smtp;

		if (s->banner.ptr)
			str_write(b, "banner", &s->banner);
		if (a->by_protocol)
			jb_str(b, "detected", "protocol");
		if (a->flow->midstream)
			jb_bool(b, "midstream", true);
		if (s->ehlo_caps.ptr) {
			const char *p = s->ehlo_caps.ptr, *end = p + s->ehlo_caps.len;

			jb_arr(b, "ehlo_capabilities");
			while (p < end) {
				const char *nl = memchr(p, '\n', (size_t)(end - p));
				size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

				jb_wire(b, NULL, p, n);
				p += n + 1;
			}
			jb_arr_end(b);
		}
		if (s->auth_state) {
			jb_obj(b, "auth");
			jb_str(b, "state",
			       smtp_auth_state_name((enum smtp_auth_state)s->auth_state));
			if (s->auth_mech.ptr)
				str_write(b, "mechanism", &s->auth_mech);
			if (s->auth_user.ptr)
				str_write(b, "user", &s->auth_user);
			if (s->auth_reply)
				jb_int(b, "reply", s->auth_reply);
			jb_obj_end(b);
		}
		if (s->tls)
			jb_bool(b, "starttls", true);
	}
	jb_obj_end(b);  /* smtp */
	jb_obj_end(b);  /* mailtap */
	jb_event_end(b);
}

/* A transaction is done: its smtp event (unless --eve-types leaves it out:
 * then the email object kept for it is dropped), and its message released. */
static void emit_smtp_tx(struct worker *w, struct app_flow *a, const struct smtp_tx *tx)
{
	/* A message whose data never ended (connection lost): its headers
	 * are what they are now. */
	app_email_sender_check(w, a, tx);
	if (w->cfg->eve_smtp)
		smtp_tx_event(w, a, tx);
	app_email_tx_drop(a, tx->id);   /* a kept email object: logged now */
	w->st.smtp_tx_logged++;
	if (a->email.have && a->email.tx_id == tx->id)
		app_email_reset(w, a);
}

void app_emit_anomaly(struct worker *w, struct app_flow *a, const char *name)
{
	/* Every occurrence is counted; each name is logged once per flow
	 * (a one-sided capture would otherwise log one per reply). */
	unsigned id = worker_anomaly_count(w, name);
	struct jb b;

	if (!anomaly_first(&a->anomalies_seen, id)) {
		w->st.anomalies_repeated++;
		return;
	}
	/* app-layer-event rules: the event, once per flow like its log, in
	 * the direction it arose in */
	if (a->sig) {
		char ev[64];
		int n = snprintf(ev, sizeof(ev), "smtp.%s", name);

		if (n > 0 && (size_t)n < sizeof(ev))
			sig_scan_buffer(a->sigt, a->sig, SIG_BUF_APP_EVENT,
					anomaly_from_server(name) ? SIG_DIR_TO_CLIENT :
					SIG_DIR_TO_SERVER, (const uint8_t *)ev, (size_t)n, a);
	}
	if (!w->cfg->eve_anomaly)
		return;
	app_event_begin(&b, w, a->flow, "anomaly", true, true);
	jb_int(&b, "tx_id", a->smtp.tx.id);
	jb_str(&b, "app_proto", "smtp");
	worker_anomaly_end(w, &b, "applayer", name, "proto_parser", "smtp");
}

static void alpn_write(struct jb *b, const char *key, const uint8_t *lens,
		       const uint8_t *bytes, unsigned n)
{
	size_t off = 0;

	jb_arr(b, key);
	for (unsigned i = 0; i < n; i++) {
		if (off + lens[i] > TLS_ALPN_BYTES)
			break;
		jb_wire(b, NULL, bytes + off, lens[i]);
		off += lens[i];
	}
	jb_arr_end(b);
}

/* Suricata's tls{} object from the hellos: SNI, version, JA3/JA3S, JA4,
 * ALPNs; from_proto says the session began as SMTP (STARTTLS). */
static void emit_tls(struct worker *w, struct app_flow *a)
{
	const struct tls_hs *hs = a->tls;
	char ja3[TLS_JA3_STR_MAX], ja3s[TLS_JA3S_STR_MAX], h[TLS_MD5_HEX], ja4[TLS_JA4_LEN];
	bool server = tls_hs_verdict(hs, TLS_DIR_TO_CLIENT) == TLS_HELLO;
	struct jb b;

	app_event_begin(&b, w, a->flow, "tls", true, false);
	jb_obj(&b, "tls");
	if (hs->ch.has_sni && hs->ch.sni_len)
		jb_wire(&b, "sni", hs->ch.sni, hs->ch.sni_len);
	jb_str(&b, "version", tls_version_name(tls_hs_version(hs)));
	if (tls_ja3_string(hs, ja3, sizeof(ja3)) && tls_ja3_hash(hs, h)) {
		jb_obj(&b, "ja3");
		jb_str(&b, "hash", h);
		jb_str(&b, "string", ja3);
		jb_obj_end(&b);
	}
	if (server && tls_ja3s_string(hs, ja3s, sizeof(ja3s)) && tls_ja3s_hash(hs, h)) {
		jb_obj(&b, "ja3s");
		jb_str(&b, "hash", h);
		jb_str(&b, "string", ja3s);
		jb_obj_end(&b);
	}
	if (tls_ja4(hs, ja4))
		jb_str(&b, "ja4", ja4);
	if (hs->ch.n_alpn)
		alpn_write(&b, "client_alpns", hs->ch.alpn_len, hs->ch.alpn, hs->ch.n_alpn);
	if (server && hs->sh.alpn_len) {
		jb_arr(&b, "server_alpns");
		jb_wire(&b, NULL, hs->sh.alpn, hs->sh.alpn_len);
		jb_arr_end(&b);
	}
	if (!config_is_smtps_port(w->cfg, a->flow->server_port))
		jb_str(&b, "from_proto", "smtp");
	jb_obj_end(&b);
	jb_str(&b, "app_proto", "tls");
	jb_event_end(&b);
	w->st.tls_logged++;
}

/*
 * Commands, for the smtp event's mailtap.smtp.commands (counts per verb
 * in the session so far: VRFY/EXPN harvesting, RSET storms, probing with
 * HELP/NOOP show here) and the text of the commands an operator wants to
 * read: unknown verbs (distinct, first token, up to 8) and XCLIENT /
 * XFORWARD lines (Postfix's proxy attribute commands, which let a client
 * claim another client's address: up to 4 each, cut at 200 bytes). The
 * notes are NUL-separated entries "<kind><text>" in one pool block.
 */
#define CMD_NOTE_MAX 200

static bool note_has(const struct app_flow *a, char kind, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < a->cmd_notes_len;) {
		const char *e = (const char *)a->cmd_notes + i;
		size_t l = strlen(e);

		if (e[0] == kind && l - 1 == n && memcmp(e + 1, p, n) == 0)
			return true;
		i += l + 1;
	}
	return false;
}

static void cmd_note(struct worker *w, struct app_flow *a, const struct smtp_event *ev)
{
	const uint8_t *p = ev->data, *nul;
	size_t n = ev->len;
	uint8_t *count;
	unsigned cap;
	char kind;

	if ((unsigned)ev->verb < SMTP_VERB_COUNT)
		a->verb_count[ev->verb]++;
	if (ev->verb == SMTP_VERB_UNKNOWN) {
		const uint8_t *sp = memchr(p, ' ', n);

		if (sp)
			n = (size_t)(sp - p);
		kind = 'U', count = &a->n_unknown, cap = 8;
	} else if (ev->verb == SMTP_VERB_XCLIENT) {
		kind = 'C', count = &a->n_xclient, cap = 4;
	} else if (ev->verb == SMTP_VERB_XFORWARD) {
		kind = 'F', count = &a->n_xforward, cap = 4;
	} else {
		return;
	}
	if (n > CMD_NOTE_MAX)
		n = CMD_NOTE_MAX;
	if ((nul = memchr(p, '\0', n)))
		n = (size_t)(nul - p);
	if (kind == 'U' && a->cmd_notes && note_has(a, kind, p, n))
		return;             /* listed already */
	if (*count >= cap || (!a->cmd_notes && !(a->cmd_notes = mt_block_get(&w->pool))) ||
	    a->cmd_notes_len + n + 2 > w->pool.block_size) {
		w->st.command_notes_dropped++;  /* over the cap, or no room */
		return;
	}
	a->cmd_notes[a->cmd_notes_len] = (uint8_t)kind;
	memcpy(a->cmd_notes + a->cmd_notes_len + 1, p, n);
	a->cmd_notes[a->cmd_notes_len + 1 + n] = 0;
	a->cmd_notes_len += (uint16_t)(n + 2);
	(*count)++;
}

static void commands_write(const struct app_flow *a, struct jb *b)
{
	static const struct { char kind; const char *key; } lists[] = {
		{ 'U', "unknown_commands" }, { 'C', "xclient" }, { 'F', "xforward" },
	};
	bool any = false;

	for (unsigned v = SMTP_VERB_UNKNOWN; v < SMTP_VERB_COUNT; v++)
		any |= a->verb_count[v] != 0;
	if (any) {
		jb_obj(b, "commands");
		for (unsigned v = SMTP_VERB_UNKNOWN; v < SMTP_VERB_COUNT; v++)
			if (a->verb_count[v] && smtp_verb_name((enum smtp_verb)v))
				jb_int(b, smtp_verb_name((enum smtp_verb)v), a->verb_count[v]);
		jb_obj_end(b);
	}
	for (unsigned k = 0; k < 3; k++) {
		bool open = false;

		for (size_t i = 0; i < a->cmd_notes_len;) {
			const char *e = (const char *)a->cmd_notes + i;
			size_t l = strlen(e);

			if (e[0] == lists[k].kind) {
				if (!open)
					jb_arr(b, lists[k].key);
				open = true;
				jb_wire(b, NULL, e + 1, l - 1);
			}
			i += l + 1;
		}
		if (open)
			jb_arr_end(b);
	}
}

/* ---- frames -------------------------------------------------------------
 *
 * Suricata's SMTP frames, for frame: rules and the frame{} of their alerts:
 * each client line outside message data and each server line (the parser's
 * SMTP_EV_CLIENT_LINE / SERVER_LINE, line end included), the message as
 * sent (SMTP_EV_DATA_RAW, or a BDAT chunk's bytes), and each direction's
 * raw stream. A line is scanned as one instance of its frame buffer: a
 * rule on it fires per line. An AUTH line is scanned, but its bytes are
 * never logged (no payload in its alerts): it carries a credential.
 */
static void frame_line(struct app_flow *a, const struct smtp_event *ev)
{
	bool to_server = ev->kind == SMTP_EV_CLIENT_LINE;
	int d = to_server ? FLOW_TO_SERVER : FLOW_TO_CLIENT;
	/* the end of the line in the direction's stream (a line cut by
	 * the end of the direction ends with what was fed) */
	uint64_t end = ev->end ? a->fr_off[d] + (uint64_t)(ev->end - a->fr_base[d]) :
			       a->fr_off[d];
	struct app_frame fr = {
		.type = to_server ? SIG_FRAME_COMMAND_LINE : SIG_FRAME_RESPONSE_LINE,
		.to_server = to_server, .complete = !ev->truncated,
		.credential = ev->verb == SMTP_VERB_AUTH,
		.id = a->fr_next++, .tx_id = a->smtp.tx.id,
		.off = end >= ev->wire_len ? end - ev->wire_len : 0, .len = ev->wire_len,
		.p = ev->data, .plen = ev->len,
	};

	if (!a->sig || !ev->len)
		return;
	a->fr_cur = &fr;
	sig_scan_buffer(a->sigt, a->sig, to_server ? SIG_BUF_FRAME_COMMAND_LINE :
			SIG_BUF_FRAME_RESPONSE_LINE, to_server ? SIG_DIR_TO_SERVER :
			SIG_DIR_TO_CLIENT, ev->data, ev->len, a);
	a->fr_cur = NULL;
}

static void frame_data(struct app_flow *a, const struct smtp_event *ev)
{
	if (!a->fr_data_on || !ev->len)
		return;
	if (!a->fr_data_len && ev->data >= a->fr_base[FLOW_TO_SERVER])
		a->fr_data_off = a->fr_off[FLOW_TO_SERVER] +
				 (uint64_t)(ev->data - a->fr_base[FLOW_TO_SERVER]);
	a->fr_data_len += ev->len;
	if (a->sig)
		sig_stream_scan(a->sigt, a->sig, SIG_BUF_FRAME_DATA, ev->data, ev->len, a);
}

/* EVE's frame{} of an alert of a frame rule (NULL: not known). Payloads
 * are logged up to FRAME_PAYLOAD_MAX bytes, for line frames. */
#define FRAME_PAYLOAD_MAX 4096

static void frame_head(struct jb *b, const char *type, uint64_t id, bool to_server,
		       uint64_t off, uint64_t len, bool complete)
{
	jb_obj(b, "frame");
	jb_str(b, "type", type);
	jb_int(b, "id", (int64_t)id);
	jb_str(b, "direction", to_server ? "to_server" : "to_client");
	jb_int(b, "stream_offset", (int64_t)off);
	jb_int(b, "length", (int64_t)len);
	jb_bool(b, "complete", complete);
}

/* EVE's frame{} of an alert of a frame rule, as the member "frame" of b
 * (nothing when it is not known). */
static void frame_write(struct jb *b, struct app_flow *a, const struct sig_rule_meta *rule,
			bool to_server)
{
	const struct app_frame *f = a->fr_cur;
	int d = to_server ? FLOW_TO_SERVER : FLOW_TO_CLIENT;

	switch (rule->frame) {
	case SIG_FRAME_COMMAND_LINE:
	case SIG_FRAME_RESPONSE_LINE:
		if (!f)
			return;
		frame_head(b, sig_frame_name(f->type), f->id, f->to_server, f->off, f->len,
			   f->complete);
		jb_int(b, "tx_id", (int64_t)f->tx_id);
		if (!f->credential) {
			size_t n = f->plen < FRAME_PAYLOAD_MAX ? f->plen : FRAME_PAYLOAD_MAX;
			unsigned char b64[(FRAME_PAYLOAD_MAX + 2) / 3 * 4 + 1];
			char pr[FRAME_PAYLOAD_MAX + 1];

			EVP_EncodeBlock(b64, f->p, (int)n);
			/* Suricata's payload_printable: CR and LF as they are */
			for (size_t i = 0; i < n; i++)
				pr[i] = (char)(isprint(f->p[i]) || f->p[i] == '\r' ||
					       f->p[i] == '\n' ? f->p[i] : '.');
			jb_str(b, "payload", (const char *)b64);
			jb_strn(b, "payload_printable", pr, n);
		}
		jb_obj_end(b);
		return;
	case SIG_FRAME_DATA:
		frame_head(b, "data", a->fr_data_id, true, a->fr_data_off, a->fr_data_len,
			   !a->fr_data_on);
		jb_int(b, "tx_id", (int64_t)a->smtp.tx.id);
		jb_obj_end(b);
		return;
	case SIG_FRAME_STREAM:
		frame_head(b, "stream", a->fr_stream[d] ? a->fr_stream[d] - 1 : 0, to_server,
			   0, a->fr_off[d], false);
		jb_obj_end(b);
		return;
	default:
		return;
	}
}

void app_smtp_event(void *user, struct smtp_session *s, const struct smtp_event *ev)
{
	struct worker *w = user;
	struct app_flow *a = app_of_session(s);
	struct sig_flow *sf;
	struct sig_thread *st;

	/*
	 * A reload closed this flow's signature state in the middle of a
	 * transaction (worker.c, sig_reset_old): it is inspected again, on
	 * the current rules, from the first event of the next transaction.
	 */
	if (a->sig_reopen && ev->tx == &s->tx && ev->kind != SMTP_EV_TX_END &&
	    a->sig_scope != ev->tx->id + 1) {
		a->sig_reopen = false;
		a->sig_scope = 0;
		worker_sig_open(w, a);
	}
	sf = a->sig;
	st = a->sigt;
	/*
	 * The signature engine's transaction scope follows the parser's
	 * current transaction. A transaction that waits for its last replies
	 * (pipelining) is logged after the next one has begun, so its TX_END
	 * must not clear the new one's matches: the scope moves on when an
	 * event first names a new current transaction, and ends at the TX_END
	 * of the current one.
	 */
	if (sf && ev->tx == &s->tx && ev->kind != SMTP_EV_TX_END &&
	    a->sig_scope != ev->tx->id + 1) {
		if (a->sig_scope)
			sig_flow_tx_end(st, sf);
		a->sig_scope = ev->tx->id + 1;
	}

	switch (ev->kind) {
	case SMTP_EV_HELO:
		if (sf)
			sig_scan_buffer(st, sf, SIG_BUF_SMTP_HELO, SIG_DIR_TO_SERVER,
					ev->data, ev->len, a);
		break;
	case SMTP_EV_MAIL_FROM:
		if (sf)
			sig_scan_buffer(st, sf, SIG_BUF_SMTP_MAIL_FROM, SIG_DIR_TO_SERVER,
					ev->data, ev->len, a);
		break;
	case SMTP_EV_RCPT_TO:
		if (sf)
			sig_scan_buffer(st, sf, SIG_BUF_SMTP_RCPT_TO, SIG_DIR_TO_SERVER,
					ev->data, ev->len, a);
		break;
	case SMTP_EV_CLIENT_LINE:
	case SMTP_EV_SERVER_LINE:
		frame_line(a, ev);
		break;
	case SMTP_EV_DATA_RAW:
		frame_data(a, ev);
		break;
	case SMTP_EV_DATA_BEGIN:
		a->fr_data_on = true;
		a->fr_data_id = a->fr_next++;
		a->fr_data_len = 0;
		if (sf) {
			sig_data_begin(st, sf);
			sig_stream_begin(st, sf, SIG_BUF_FRAME_DATA);
		}
		app_email_begin(w, a, ev->tx ? ev->tx->id : 0);
		break;
	case SMTP_EV_DATA:
		if (sf)
			sig_scan_data(st, sf, ev->data, ev->len, a);
		if (ev->verb == SMTP_VERB_BDAT)
			frame_data(a, ev);      /* a chunk is sent as it is */
		app_email_data(w, a, ev->data, ev->len);
		break;
	case SMTP_EV_DATA_END:
		/* The chunk's bytes up to the end of the message are the
		 * message's: scanned now, while it is the current tx. */
		if (a->cli_chunk && ev->data >= a->cli_chunk + a->cli_scanned &&
		    ev->data <= a->cli_chunk + a->cli_len) {
			size_t upto = (size_t)(ev->data - a->cli_chunk);

			/* Passed over without state too: a flow reopened
			 * later in this chunk must not see this message. */
			if (sf)
				sig_scan_stream(st, sf, SIG_DIR_TO_SERVER, a->cli_chunk + a->cli_scanned,
						upto - a->cli_scanned, a);
			a->cli_scanned = upto;
		}
		if (sf) {
			sig_data_end(st, sf, a);
			sig_stream_end(st, sf, SIG_BUF_FRAME_DATA, a);
		}
		app_email_end(w, a);
		app_email_sender_check(w, a, ev->tx);
		a->fr_data_on = false;
		app_frame_flush(w, a);
		break;
	case SMTP_EV_TX_END:
		/* ev->tx, not s->tx: a message waiting for its verdict while
		 * the next transaction runs sits in another slot. On an
		 * implicit-TLS port there is no SMTP to log, only the tls
		 * event. */
		if (logs_smtp(w, a))
			emit_smtp_tx(w, a, ev->tx);
		app_frame_flush(w, a);
		if (sf && ev->tx == &s->tx) {
			sig_flow_tx_end(st, sf);
			a->sig_scope = 0;
		}
		break;
	case SMTP_EV_ANOMALY:
		app_emit_anomaly(w, a, ev->anomaly);
		break;
	case SMTP_EV_TLS:
		tls_begin(w, a);
		break;
	case SMTP_EV_COMMAND:
		cmd_note(w, a, ev);
		if (sf)
			sig_scan_buffer(st, sf, SIG_BUF_SMTP_COMMAND, SIG_DIR_TO_SERVER,
					ev->data, ev->len, a);
		/*
		 * STARTTLS stripping and injection signs (RFC 3207 section 4:
		 * the client sends nothing after STARTTLS until the 220, and
		 * everything before TLS must be discarded). A command behind
		 * STARTTLS before its reply is the CVE-2011-0411 injection; a
		 * MAIL in cleartext although the server offered STARTTLS means
		 * the client did not use it (or someone removed the offer on
		 * the way: compare ehlo_masked_keyword).
		 */
		if (a->starttls_sent && !s->tls)
			app_emit_anomaly(w, a, "starttls_command_injection");
		if (ev->verb == SMTP_VERB_STARTTLS)
			a->starttls_sent = a->starttls_tried = true;
		else if (ev->verb == SMTP_VERB_MAIL && !s->tls && !a->starttls_tried &&
			 (s->ehlo_flags & SMTP_CAP_STARTTLS))
			app_emit_anomaly(w, a, "starttls_not_used");
		break;
	case SMTP_EV_REPLY:
		if (ev->verb == SMTP_VERB_STARTTLS) {
			a->starttls_sent = false;
			if (ev->code != 220)
				app_emit_anomaly(w, a, "starttls_refused");
		}
		break;
	case SMTP_EV_AUTH:
	case SMTP_EV_EHLO_CAPS:
		break;
	}
}

/* The alert event of one match (app_sig_alert). */
static void emit_alert(struct worker *w, struct app_flow *a, const struct sig_rule_meta *rule,
		       bool to_server)
{
	const struct smtp_tx *tx = &a->smtp.tx;
	struct jb b;

	app_event_begin(&b, w, a->flow, "alert", to_server, true);

	/* A match inside a transaction names it. Before the session's first
	 * record (greeting, EHLO, AUTH) the match names that record, tx 0,
	 * which is always logged (the session's first transaction, or the
	 * record of a session that had none), as Suricata's SMTP alerts do:
	 * the alert joins the smtp event that carries the helo. Between and
	 * after transactions (RSET, QUIT after the last message), and on an
	 * implicit-TLS port, it names none: that id may never be logged. */
	if ((tx->state == SMTP_TX_OPEN && (tx->mail_seen || tx->rcpt_count || tx->data_seen)) ||
	    (a->smtp.tx_logged == 0 && logs_smtp(w, a)))
		jb_int(&b, "tx_id", tx->id);
	jb_obj(&b, "alert");
	jb_str(&b, "action", "allowed");
	jb_int(&b, "gid", (int)rule->gid);
	jb_int(&b, "signature_id", (int64_t)rule->sid);
	jb_int(&b, "rev", (int)rule->rev);
	jb_text(&b, "signature", rule->msg ? rule->msg : "");
	jb_text(&b, "category", rule->category ? rule->category : "");
	jb_int(&b, "severity", (int)rule->priority);
	if (rule->nmd) {
		/* the rule's metadata as Suricata logs it: each key once (at
		 * its first place), its values in order; a key that is not
		 * UTF-8 is left out */
		jb_obj(&b, "metadata");
		for (uint16_t i = 0; i < rule->nmd; i++) {
			const char *key = rule->md[i].key;
			bool seen = false;

			for (uint16_t j = 0; j < i && !seen; j++)
				seen = strcmp(rule->md[j].key, key) == 0;
			if (seen || !eve_utf8_valid(key, strlen(key)))
				continue;
			jb_arr(&b, key);
			for (uint16_t k = i; k < rule->nmd; k++)
				if (strcmp(rule->md[k].key, key) == 0)
					jb_wire(&b, NULL, rule->md[k].value,
						strlen(rule->md[k].value));
			jb_arr_end(&b);
		}
		jb_obj_end(&b);
	}
	jb_obj_end(&b);
	if (rule->frame)
		frame_write(&b, a, rule, to_server);
	app_smtp_write(&b, &a->smtp, &a->smtp.tx);
	/* What of the message is known when the rule fired (Suricata puts
	 * the email object in SMTP alerts too), and Suricata's files[]: the
	 * message's files known now. */
	app_email_write(&b, a, tx->id);
	if (tx->state == SMTP_TX_OPEN && tx->data_seen)
		app_email_files_write(&b, a, tx->id);
	jb_str(&b, "app_proto", "smtp");
	jb_str(&b, "direction", to_server ? "to_server" : "to_client");
	flow_write(&b, a->flow);
	jb_event_end(&b);
}

static void alert_out(struct worker *w, struct app_flow *a, const struct sig_rule_meta *rule,
		      bool to_server)
{
	/* --eve-types without alert: counted (and summarised), not built */
	if (w->cfg->eve_alert)
		emit_alert(w, a, rule, to_server);
	a->alerts++;
	w->st.alerts++;
	if (w->alert_hook)
		w->alert_hook(w->alert_hook_user, rule);
}

/* The held alerts of smtp.data frame rules, once the message ended (or
 * before the rules they point into may go: worker.c sig_reset_old). */
void app_frame_flush(struct worker *w, struct app_flow *a)
{
	uint8_t n = a->fr_nheld;

	a->fr_nheld = 0;
	for (uint8_t i = 0; i < n; i++)
		alert_out(w, a, a->fr_held[i].rule, a->fr_held[i].to_server);
}

void app_sig_alert(void *user, void *ctx, const struct sig_rule_meta *rule,
		   enum sig_dir dir)
{
	struct worker *w = user;
	struct app_flow *a = ctx;

	/* A message frame is inspected as it arrives; its alert waits for
	 * the message's end (Suricata inspects a complete frame), so that
	 * it carries the message's files. */
	if (rule->frame == SIG_FRAME_DATA && a->fr_data_on) {
		if (a->fr_nheld < APP_FRAME_HELD) {
			a->fr_held[a->fr_nheld].rule = rule;
			a->fr_held[a->fr_nheld++].to_server = dir == SIG_DIR_TO_SERVER;
			return;
		}
		w->st.frame_alerts_unheld++;
	}
	alert_out(w, a, rule, dir == SIG_DIR_TO_SERVER);
}
