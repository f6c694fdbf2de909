/*
 * app_email — see app_email.h.
 */
#include "app_email.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime/mime_addr.h"
#include "worker.h"

/* The email object a transaction has (email_which). */
enum { EMAIL_NONE, EMAIL_CURRENT, EMAIL_KEPT };

static int email_which(const struct app_flow *a, uint32_t tx_id);
static bool email_ext_any(const struct app_email *e);
static char *email_keep(struct worker *w, const struct app_email *e, bool ext, uint32_t *len);

/* ---- small helpers ------------------------------------------------------ */

static const char *keep(struct app_email *e, const char *p, size_t n)
{
	return mt_arena_memdup(&e->arena, p, n);
}

static void md5_close(struct worker *w, struct fileinfo_file **f, char out[33])
{
	struct fileinfo_result r;

	if (!*f)
		return;
	fileinfo_close(w->bodies, *f, &r);
	memcpy(out, r.md5, 33);
	*f = NULL;
}

static void list_add(struct app_email *e, struct email_list *l, const char *p, size_t n)
{
	struct email_item *it;

	if (l->count >= EMAIL_LIST_MAX) {
		l->dropped++;
		return;
	}
	it = mt_arena_alloc(&e->arena, sizeof(*it) + n + 1);
	if (!it) {
		l->dropped++;
		return;
	}
	it->next = NULL;
	it->len = (uint32_t)n;
	memcpy(it->str, p, n);
	it->str[n] = '\0';
	if (l->tail)
		l->tail->next = it;
	else
		l->head = it;
	l->tail = it;
	l->count++;
}

static bool list_has(const struct email_list *l, const char *p, size_t n)
{
	for (const struct email_item *it = l->head; it; it = it->next)
		if (it->len == n && memcmp(it->str, p, n) == 0)
			return true;
	return false;
}

static void trim(const char **p, size_t *n)
{
	while (*n && (**p == ' ' || **p == '\t'))
		(*p)++, (*n)--;
	while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
}

/* ---- signature buffers --------------------------------------------------- */

/* One instance of a short email/file buffer (sig.h: block mode; the list
 * buffers are scanned once per entry). */
static void sig_buf(struct app_flow *a, enum sig_buf b, const char *p, size_t n)
{
	if (a->sig)
		sig_scan_buffer(a->sigt, a->sig, b, SIG_DIR_TO_SERVER,
				(const uint8_t *)p, n, a);
}

/*
 * RFC 5322 section 3.4: an address-list is split on commas that are not
 * inside a quoted display name, an angle-addr or a comment — the mistake
 * behind Suricata's smtp-to-comma case. A group ("Team: a@x, b@y;") gives
 * its members: the name before the colon and the closing semicolon go.
 */
static void add_addresses(struct app_flow *a, struct email_list *l, enum sig_buf b,
			  const char *v, size_t n)
{
	struct app_email *e = &a->email;
	size_t start = 0;
	int depth_paren = 0;
	bool quoted = false, angle = false;

	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? v[i] : ',';

		if (quoted) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (c == '"')
				quoted = false;
			if (i < n)
				continue;
		}
		if (c == '"')
			quoted = true;
		else if (c == '(')
			depth_paren++;
		else if (c == ')' && depth_paren)
			depth_paren--;
		else if (c == '<')
			angle = true;
		else if (c == '>')
			angle = false;
		else if (c == ':' && !depth_paren && !angle)
			start = i + 1;      /* a group's display name (RFC 5322 3.4) */
		else if ((c == ',' || c == ';') && !depth_paren && !angle) {
			const char *p = v + start;
			size_t len = i - start;

			trim(&p, &len);
			if (len) {
				list_add(e, l, p, len);
				sig_buf(a, b, p, len);
			}
			start = i + 1;
		}
	}
}

/* ---- MIME events -------------------------------------------------------- */

static void on_url(void *user, const uint8_t *url, size_t len, uint32_t flags)
{
	struct app_flow *a = user;
	struct app_email *e = &a->email;

	if (!list_has(&e->urls, (const char *)url, len)) {
		list_add(e, &e->urls, (const char *)url, len);
		sig_buf(a, SIG_BUF_EMAIL_URL, (const char *)url, len);
	}
}

/*
 * A header of the top-level message: kept for the email object and
 * scanned as its email.* buffer (decoded: encoded words in UTF-8, folding
 * removed). Single-valued headers keep their first occurrence, as
 * Suricata logs them; every From is scanned, though — a second From is an
 * evasion (multiple_from_headers) and must not hide from rules.
 */
static void header(struct app_flow *a, const struct mime_event *ev)
{
	struct app_email *e = &a->email;
	const struct mime_str *name = &ev->u.header.name;
	const char *v = ev->u.header.decoded.ptr;
	size_t n = ev->u.header.decoded.len;

	/* Only the top-level message's header: an attached message's From
	 * is not this message's From. */
	if (ev->msg_depth != 0 || ev->depth != 0)
		return;
#define IS(h) (name->len == sizeof(h) - 1 && strncasecmp(name->ptr, h, name->len) == 0)
	if (IS("from")) {
		if (e->from_headers++ == 0)
			e->from = keep(e, v, n);
		sig_buf(a, SIG_BUF_EMAIL_FROM, v, n);
	} else if (IS("reply-to") && !e->reply_to)
		e->reply_to = keep(e, v, n);
	else if (IS("subject") && !e->subject) {
		struct fileinfo_file *subject_f;

		e->subject = keep(e, v, n);
		e->subject_raw = keep(e, ev->u.header.value.ptr, ev->u.header.value.len);
		/* Suricata's subject_md5: of the value as written (undecoded). */
		if (a->w->cfg->email_md5_subject && (subject_f = fileinfo_open(a->w->bodies))) {
			fileinfo_update(a->w->bodies, subject_f,
					(const uint8_t *)ev->u.header.value.ptr, ev->u.header.value.len);
			md5_close(a->w, &subject_f, e->subject_md5);
		}
		sig_buf(a, SIG_BUF_EMAIL_SUBJECT, v, n);
	} else if (IS("message-id") && !e->message_id) {
		e->message_id = keep(e, v, n);
		sig_buf(a, SIG_BUF_EMAIL_MESSAGE_ID, v, n);
	} else if (IS("date") && !e->date) {
		e->date = keep(e, v, n);
		sig_buf(a, SIG_BUF_EMAIL_DATE, v, n);
	} else if (IS("x-mailer") && !e->x_mailer) {
		e->x_mailer = keep(e, v, n);
		sig_buf(a, SIG_BUF_EMAIL_X_MAILER, v, n);
	} else if (IS("to"))
		add_addresses(a, &e->to, SIG_BUF_EMAIL_TO, v, n);
	else if (IS("cc"))
		add_addresses(a, &e->cc, SIG_BUF_EMAIL_CC, v, n);
	else if (IS("received")) {
		list_add(e, &e->received, v, n);
		sig_buf(a, SIG_BUF_EMAIL_RECEIVED, v, n);
	}
#undef IS
}

/* A file is complete: file.magic, and the digest lists (filemd5 ...). */
static void sig_file_facts(struct app_flow *a, const struct fileinfo_result *r)
{
	if (r->magic[0])
		sig_scan_buffer(a->sigt, a->sig, SIG_BUF_FILE_MAGIC, SIG_DIR_TO_SERVER,
				(const uint8_t *)r->magic, strlen(r->magic), a);
	sig_scan_file_hashes(a->sigt, a->sig, r->md5[0] ? r->md5_raw : NULL,
			     r->sha1[0] ? r->sha1_raw : NULL, r->sha256[0] ? r->sha256_raw : NULL, a);
}

/* One file as EVE's fileinfo object (the fileinfo event's, and an item of
 * an alert's files[]); state OPEN, CLOSED or TRUNCATED. */
static void file_write(struct jb *b, const char *key, const struct app_email *e,
		       const char *name, bool gaps, const char *state, uint64_t size,
		       const char *md5, const char *sha1, const char *sha256, const char *magic)
{
	jb_obj(b, key);
	jb_wire(b, "filename", name ? name : "", name ? strlen(name) : 0);
	jb_bool(b, "gaps", gaps);
	jb_str(b, "state", state);
	jb_bool(b, "stored", false);
	jb_int(b, "size", (int64_t)size);
	jb_int(b, "tx_id", e->tx_id);
	if (md5 && md5[0])
		jb_str(b, "md5", md5);
	if (sha1 && sha1[0])
		jb_str(b, "sha1", sha1);
	if (sha256 && sha256[0])
		jb_str(b, "sha256", sha256);
	if (magic && magic[0])
		jb_wire(b, "magic", magic, strlen(magic));
	jb_obj_end(b);
}

/* Keep a closed file for the files[] of later alerts on the message. */
static void file_keep(struct app_email *e, const struct fileinfo_result *r,
		      const struct mime_part_end *end)
{
	struct email_file *f;

	if (e->nfiles >= EMAIL_LIST_MAX ||
	    !(f = mt_arena_alloc(&e->arena, sizeof(*f)))) {
		e->files_dropped++;
		return;
	}
	memset(f, 0, sizeof(*f));
	f->name = e->file_name;
	f->size = end->size;
	f->truncated = end->truncated;
	f->gaps = e->gaps;
	if (r) {
		memcpy(f->md5, r->md5, sizeof(f->md5));
		memcpy(f->sha1, r->sha1, sizeof(f->sha1));
		memcpy(f->sha256, r->sha256, sizeof(f->sha256));
		if (r->magic[0])
			f->magic = keep(e, r->magic, strlen(r->magic));
	}
	if (e->files_tail)
		e->files_tail->next = f;
	else
		e->files = f;
	e->files_tail = f;
	e->nfiles++;
}

void app_email_files_write(struct jb *b, struct app_flow *a, uint32_t tx_id)
{
	const struct app_email *e = &a->email;

	if (!e->have || e->tx_id != tx_id || (!e->files && !e->in_file))
		return;
	jb_arr(b, "files");
	for (const struct email_file *f = e->files; f; f = f->next)
		file_write(b, NULL, e, f->name, f->gaps, f->truncated ? "TRUNCATED" : "CLOSED",
			   f->size, f->md5, f->sha1, f->sha256, f->magic);
	if (e->in_file)
		file_write(b, NULL, e, e->file_name, e->gaps, "OPEN", e->file_bytes,
			   NULL, NULL, NULL, NULL);
	jb_arr_end(b);
}

static void emit_fileinfo(struct worker *w, struct app_flow *a, const struct fileinfo_result *r,
			  const struct mime_part_end *end)
{
	struct app_email *e = &a->email;
	struct jb b;

	w->st.files++;
	if (!w->cfg->eve_fileinfo)
		return;         /* --eve-types: counted, not built */
	app_event_begin(&b, w, a->flow, "fileinfo", true, false);
	jb_int(&b, "tx_id", e->tx_id);
	app_smtp_write(&b, &a->smtp, &a->smtp.tx);
	app_email_write(&b, a, e->tx_id);
	jb_str(&b, "app_proto", "smtp");
	file_write(&b, "fileinfo", e, e->file_name, e->gaps,
		   end->truncated ? "TRUNCATED" : "CLOSED", end->size,
		   r ? r->md5 : NULL, r ? r->sha1 : NULL, r ? r->sha256 : NULL,
		   r ? r->magic : NULL);
	jb_event_end(&b);
}

static void email_done_free(struct app_flow *a)
{
	free(a->email_done);
	free(a->email_done_ext);
	a->email_done = a->email_done_ext = NULL;
	a->email_done_len = a->email_done_ext_len = 0;
}

void app_email_tx_drop(struct app_flow *a, uint32_t tx_id)
{
	if (!a->email_done || a->email_done_tx != tx_id)
		return;
	email_done_free(a);
}

static void url_count(struct worker *w, const struct url_state *u)
{
	w->st.url_parts++;
	w->st.urls += u->stats.emitted;
	w->st.url_over_cap += u->stats.over_cap;
	w->st.url_truncated += u->stats.truncated;
	w->st.url_no_mem += u->stats.no_mem;
	w->st.url_defanged += u->stats.defanged;
}

static void on_mime(void *user, const struct mime_event *ev)
{
	struct app_flow *a = user;
	struct worker *w = a->w;
	struct app_email *e = &a->email;

	switch (ev->type) {
	case MIME_EV_HEADER:
		header(a, ev);
		break;
	case MIME_EV_PART_BEGIN: {
		const struct mime_part_desc *d = &ev->u.part;

		/* An attached message is not a file (its parts are), but
		 * its name is what a reader sees: "test.msg". */
		if (d->is_message && d->filename.len && ev->depth > 0)
			list_add(e, &e->attachment, d->filename.ptr, d->filename.len);
		if (d->is_multipart || d->is_message)
			break;
		if (d->is_file) {
			e->in_file = true;
			e->file_bytes = 0;
			e->file = fileinfo_open(w->files);
			e->file_name = d->filename.len ? keep(e, d->filename.ptr, d->filename.len) : NULL;
			if (d->filename.len) {
				list_add(e, &e->attachment, d->filename.ptr, d->filename.len);
				sig_buf(a, SIG_BUF_FILE_NAME, d->filename.ptr, d->filename.len);
			}
			if (a->sig)
				sig_stream_begin(a->sigt, a->sig, SIG_BUF_FILE_DATA);
		}
		if (d->type.len == 4 && memcmp(d->type.ptr, "text", 4) == 0 && !d->is_file) {
			bool html = d->subtype.len == 4 && memcmp(d->subtype.ptr, "html", 4) == 0;

			e->url_on = url_state_init(&e->url, &w->url_cfg, &w->pool,
						   html ? URL_MODE_HTML : URL_MODE_TEXT, on_url, a) == 0;
			/* email.body: each decoded text part is one instance. */
			e->in_body = true;
			if (a->sig)
				sig_stream_begin(a->sigt, a->sig, SIG_BUF_EMAIL_BODY);
		}
		/* text_md5: the first text body part alone (a text/plain
		 * and its text/html alternative are two texts; hashing them
		 * together would match no other tool's hash of either). */
		if (d->is_text_body && !e->body_done && w->cfg->email_md5_text) {
			e->body = fileinfo_open(w->bodies);
			e->body_done = true;
		}
		break;
	}
	case MIME_EV_BODY:
		if (e->in_file) {
			e->file_bytes += ev->u.body.len;
			fileinfo_update(w->files, e->file, ev->u.body.data, ev->u.body.len);
			if (a->sig)
				sig_stream_scan(a->sigt, a->sig, SIG_BUF_FILE_DATA,
						ev->u.body.data, ev->u.body.len, a);
		} else {
			if (e->url_on)
				url_feed(&e->url, ev->u.body.data, ev->u.body.len);
			if (e->body)
				fileinfo_update(w->bodies, e->body, ev->u.body.data, ev->u.body.len);
			if (e->in_body && a->sig)
				sig_stream_scan(a->sigt, a->sig, SIG_BUF_EMAIL_BODY,
						ev->u.body.data, ev->u.body.len, a);
		}
		break;
	case MIME_EV_PART_END:
		if (e->in_file) {
			struct fileinfo_result r;

			if (e->file)
				fileinfo_close(w->files, e->file, &r);
			/* complete: the alerts decided at its end list it
			 * closed, with its digests */
			file_keep(e, e->file ? &r : NULL, &ev->u.end);
			e->in_file = false;
			if (a->sig) {
				sig_stream_end(a->sigt, a->sig, SIG_BUF_FILE_DATA, a);
				if (e->file)
					sig_file_facts(a, &r);
			}
			emit_fileinfo(w, a, e->file ? &r : NULL, &ev->u.end);
			e->file = NULL;
			e->file_name = NULL;
		}
		else {
			/* Not "if": a uuencoded file ends inside its text
			 * part, whose URL extraction and body go on. */
			if (e->url_on) {
				url_finish(&e->url);
				e->url_on = false;
				url_count(w, &e->url);
			}
			if (e->in_body) {
				e->in_body = false;
				if (a->sig)
					sig_stream_end(a->sigt, a->sig, SIG_BUF_EMAIL_BODY, a);
			}
			md5_close(w, &e->body, e->body_md5);
		}
		break;
	case MIME_EV_ANOMALY:
		if (ev->u.anomaly.id != MIME_ANOM_MISSING_BOUNDARY_END &&
		    ev->u.anomaly.id != MIME_ANOM_UNKNOWN_CHARSET)
			e->parse_error = ev->u.anomaly.id == MIME_ANOM_POOL_EXHAUSTED ||
					 e->parse_error;
		app_emit_anomaly(w, a, ev->u.anomaly.name);
		break;
	}
}

/* ---- SMTP hooks --------------------------------------------------------- */

void app_email_begin(struct worker *w, struct app_flow *a, uint32_t tx_id)
{
	struct app_email *e = &a->email;

	if (e->mp)
		app_email_end(w, a);
	/* The previous message's transaction is not logged yet (its verdict
	 * is still due: the client pipelined the next MAIL..DATA behind the
	 * ".", or the server side is not in the capture). Its email object
	 * is built now and kept for that transaction's smtp event; its slot
	 * gives way to the new message. One such message is kept per flow:
	 * an older one still waiting is dropped (counted). */
	if (e->have) {
		if (a->email_done) {
			email_done_free(a);
			w->st.email_done_dropped++;
		}
		if (email_which(a, e->tx_id) == EMAIL_CURRENT) {
			a->email_done = email_keep(w, e, false, &a->email_done_len);
			if (email_ext_any(e))
				a->email_done_ext = email_keep(w, e, true,
							       &a->email_done_ext_len);
		}
		a->email_done_tx = e->tx_id;
		app_email_reset(w, a);
	}
	e->arena.pool = &w->pool;
	e->arena.max_blocks = 16;
	e->tx_id = tx_id;
	e->have = true;
	e->mp = mime_parser_new(&w->mime, on_mime, a);
	if (!e->mp)
		e->parse_error = true;
}

/* Find the end of the top header section (the first empty line, CRLF or
 * bare LF) in the raw message; what follows goes into body_md5. Header
 * bytes are walked line by line (memchr to each LF), never hashed. */
static void raw_body(struct worker *w, struct app_email *e, const uint8_t *p, size_t n)
{
	if (!w->cfg->email_md5_body)
		return;
	while (n && e->hdr_state != 3) {
		uint8_t c = *p;

		if (e->hdr_state == 1) {
			const uint8_t *lf = memchr(p, '\n', n);

			if (!lf)
				return;
			n -= (size_t)(lf + 1 - p);
			p = lf + 1;
			e->hdr_state = 0;
			continue;
		}
		p++, n--;
		if (c == '\n')
			e->hdr_state = 3;
		else if (c == '\r' && e->hdr_state == 0)
			e->hdr_state = 2;
		else
			e->hdr_state = 1;
		if (e->hdr_state == 3)
			e->raw = fileinfo_open(w->bodies);
	}
	if (n && e->raw)
		fileinfo_update(w->bodies, e->raw, p, n);
}

void app_email_data(struct worker *w, struct app_flow *a, const uint8_t *p, size_t n)
{
	a->email.bytes += n;
	raw_body(w, &a->email, p, n);
	if (a->email.mp)
		mime_parser_feed(a->email.mp, p, n);
}

void app_email_gap(struct worker *w, struct app_flow *a, uint64_t n)
{
	a->email.gaps = true;
	if (a->email.mp)
		mime_parser_gap(a->email.mp, n);
}

/*
 * The sender checks (once per message, when its headers are all known).
 * Anomalies:
 *  - multiple_from_headers: RFC 5322 section 3.6 allows one From; two
 *    let a signer and a reader each see a different sender (DMARC
 *    bypasses rely on it);
 *  - envelope_from_mismatch: the envelope sender's domain is unrelated to
 *    the header From's — the shape of most spoofed mail, but also of
 *    mailing lists and bulk senders with their own bounce domains: a
 *    weak sign on its own, logged with the relation so a SIEM can weigh
 *    it;
 *  - display_name_spoofing: the display name shows an address of another
 *    domain than the mailbox's ("ceo@bank.example" <x@evil.example>).
 */
void app_email_sender_check(struct worker *w, struct app_flow *a,
			    const struct smtp_tx *tx)
{
	struct app_email *e = &a->email;
	struct mime_mailbox mb;
	struct mime_slice env = { NULL, 0 }, hdr = { NULL, 0 }, shown;

	if (!e->have || e->sender_checked || !tx || tx->id != e->tx_id)
		return;
	e->sender_checked = true;
	if (tx->mail_seen && tx->mail_from.ptr) {
		env = mime_path_addr(tx->mail_from.ptr, tx->mail_from.len);
		if (!env.ptr)
			env.ptr = "";   /* MAIL FROM:<> */
	}
	if (e->from && mime_mailbox_parse(e->from, strlen(e->from), &mb)) {
		hdr = mb.addr;
		e->from_addr = keep(e, mb.addr.ptr, mb.addr.len);
		if (mime_display_spoof(&mb, &shown)) {
			e->display_addr = keep(e, shown.ptr, shown.len);
			app_emit_anomaly(w, a, "display_name_spoofing");
		}
	}
	e->sender_rel = (uint8_t)mime_sender_relation(env, hdr);
	if (e->sender_rel == MIME_SENDER_DIFFERENT)
		app_emit_anomaly(w, a, "envelope_from_mismatch");
	if (e->from_headers > 1)
		app_emit_anomaly(w, a, "multiple_from_headers");
}

void app_email_end(struct worker *w, struct app_flow *a)
{
	struct app_email *e = &a->email;

	if (!e->mp)
		return;
	mime_parser_end(e->mp);     /* closes open parts: their events come now */
	e->mp = NULL;
	md5_close(w, &e->raw, e->raw_md5);
	md5_close(w, &e->body, e->body_md5);
	if (a->sig && e->raw_md5[0])
		sig_scan_buffer(a->sigt, a->sig, SIG_BUF_EMAIL_BODY_MD5, SIG_DIR_TO_SERVER,
				(const uint8_t *)e->raw_md5, strlen(e->raw_md5), a);
}

static void list_write(struct jb *b, const char *key, const struct email_list *l)
{
	if (!l->count)
		return;
	jb_arr(b, key);
	for (const struct email_item *it = l->head; it; it = it->next)
		jb_wire(b, NULL, it->str, it->len);
	jb_arr_end(b);
}

static void wire_str(struct jb *b, const char *key, const char *v)
{
	if (v)
		jb_wire(b, key, v, strlen(v));
}

/* Suricata's email object: the members of the current message's. */
static void email_fields(struct jb *b, const struct app_email *e)
{
	jb_str(b, "status", e->parse_error ? "PARSE_ERROR" : "PARSE_DONE");
	wire_str(b, "from", e->from);
	list_write(b, "to", &e->to);
	list_write(b, "cc", &e->cc);
	wire_str(b, "subject", e->subject);
	wire_str(b, "message_id", e->message_id);
	wire_str(b, "date", e->date);
	wire_str(b, "x_mailer", e->x_mailer);
	list_write(b, "received", &e->received);
	list_write(b, "attachment", &e->attachment);
	list_write(b, "url", &e->urls);
	if (e->raw_md5[0])
		jb_str(b, "body_md5", e->raw_md5);
	if (e->subject_md5[0])
		jb_str(b, "subject_md5", e->subject_md5);
}

static bool email_dropped_any(const struct app_email *e)
{
	return e->to.dropped || e->cc.dropped || e->received.dropped ||
	       e->attachment.dropped || e->urls.dropped || e->files_dropped;
}

/* Whether mailtap's email fields (email_ext_fields) have anything. */
static bool email_ext_any(const struct app_email *e)
{
	return e->body_md5[0] || e->reply_to || e->sender_checked || email_dropped_any(e);
}

/* mailtap's own email fields, for the smtp event's mailtap.email. */
static void email_ext_fields(struct jb *b, const struct app_email *e)
{
	/* MD5 of the first decoded text part (Suricata's body_md5 is the
	 * raw body's, above; this one equals other tools' digest of that
	 * part and survives re-encoding). */
	if (e->body_md5[0])
		jb_str(b, "text_md5", e->body_md5);
	wire_str(b, "reply_to", e->reply_to);
	if (e->sender_checked) {
		jb_obj(b, "sender");
		jb_str(b, "relation", mime_sender_rel_name(e->sender_rel));
		wire_str(b, "from_addr", e->from_addr);
		wire_str(b, "display_addr", e->display_addr);
		if (e->from_headers > 1)
			jb_int(b, "from_headers", e->from_headers);
		jb_obj_end(b);
	}
	if (email_dropped_any(e)) {
		jb_obj(b, "dropped");
		jb_int(b, "to", e->to.dropped);
		jb_int(b, "cc", e->cc.dropped);
		jb_int(b, "received", e->received.dropped);
		jb_int(b, "attachment", e->attachment.dropped);
		jb_int(b, "url", e->urls.dropped);
		jb_int(b, "alert_files", e->files_dropped);
		jb_obj_end(b);
	}
}

/* Which email object transaction tx_id has. DATA refused before any
 * content (503, 554) had no message: none. */
static int email_which(const struct app_flow *a, uint32_t tx_id)
{
	const struct app_email *e = &a->email;

	if (e->have && e->tx_id == tx_id)
		return e->bytes || e->gaps ? EMAIL_CURRENT : EMAIL_NONE;
	return a->email_done && a->email_done_tx == tx_id ? EMAIL_KEPT : EMAIL_NONE;
}

/* The email object (or mailtap's fields, ext) of the current message as
 * JSON text (malloc'd, *len bytes), kept for its transaction's events:
 * written into the worker's side buffer, then copied at its size. */
static char *email_keep(struct worker *w, const struct app_email *e, bool ext, uint32_t *len)
{
	struct jb b;
	char *p;

	w->side.len = 0;
	jb_begin(&b, &w->side);
	if (ext)
		email_ext_fields(&b, e);
	else
		email_fields(&b, e);
	if (!jb_end(&b) || w->side.len > UINT32_MAX || !(p = malloc(w->side.len))) {
		w->st.email_done_dropped++;
		return NULL;
	}
	memcpy(p, w->side.buf, w->side.len);
	*len = (uint32_t)w->side.len;
	return p;
}

bool app_email_write(struct jb *b, struct app_flow *a, uint32_t tx_id)
{
	switch (email_which(a, tx_id)) {
	case EMAIL_CURRENT:
		jb_obj(b, "email");
		email_fields(b, &a->email);
		jb_obj_end(b);
		return true;
	case EMAIL_KEPT:
		jb_raw(b, "email", a->email_done, a->email_done_len);
		return true;
	default:
		return false;
	}
}

void app_email_ext_write(struct jb *b, struct app_flow *a, uint32_t tx_id)
{
	switch (email_which(a, tx_id)) {
	case EMAIL_CURRENT:
		if (email_ext_any(&a->email)) {
			jb_obj(b, "email");
			email_ext_fields(b, &a->email);
			jb_obj_end(b);
		}
		break;
	case EMAIL_KEPT:
		if (a->email_done_ext)
			jb_raw(b, "email", a->email_done_ext, a->email_done_ext_len);
		break;
	default:
		break;
	}
}

void app_email_flow_end(struct app_flow *a)
{
	email_done_free(a);
}

void app_email_reset(struct worker *w, struct app_flow *a)
{
	struct app_email *e = &a->email;

	if (e->mp)
		app_email_end(w, a);
	/* digests still open (a message whose parser could not start) */
	md5_close(w, &e->raw, e->raw_md5);
	md5_close(w, &e->body, e->body_md5);
	mt_arena_reset(&e->arena);
	memset(e, 0, sizeof(*e));
}
