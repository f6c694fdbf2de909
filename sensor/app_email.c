/*
 * app_email — see app_email.h.
 */
#include "app_email.h"

#include <string.h>
#include <strings.h>

#include "mime/mime_addr.h"
#include "worker.h"

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
static json_t *file_json(const struct app_email *e, const char *name, bool gaps,
			 const char *state, uint64_t size, const char *md5, const char *sha1,
			 const char *sha256, const char *magic)
{
	json_t *fi = json_object();

	json_object_set_new(fi, "filename", eve_string(name ? name : "", name ? strlen(name) : 0));
	json_object_set_new(fi, "gaps", json_boolean(gaps));
	json_object_set_new(fi, "state", json_string(state));
	json_object_set_new(fi, "stored", json_false());
	json_object_set_new(fi, "size", json_integer((json_int_t)size));
	json_object_set_new(fi, "tx_id", json_integer(e->tx_id));
	if (md5 && md5[0])
		json_object_set_new(fi, "md5", json_string(md5));
	if (sha1 && sha1[0])
		json_object_set_new(fi, "sha1", json_string(sha1));
	if (sha256 && sha256[0])
		json_object_set_new(fi, "sha256", json_string(sha256));
	if (magic && magic[0])
		json_object_set_new(fi, "magic", eve_string(magic, strlen(magic)));
	return fi;
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

json_t *app_email_files_json(struct app_flow *a, uint32_t tx_id)
{
	const struct app_email *e = &a->email;
	json_t *arr;

	if (!e->have || e->tx_id != tx_id || (!e->files && !e->in_file))
		return NULL;
	arr = json_array();
	for (const struct email_file *f = e->files; f; f = f->next)
		json_array_append_new(arr, file_json(e, f->name, f->gaps,
						     f->truncated ? "TRUNCATED" : "CLOSED", f->size,
						     f->md5, f->sha1, f->sha256, f->magic));
	if (e->in_file)
		json_array_append_new(arr, file_json(e, e->file_name, e->gaps, "OPEN",
						     e->file_bytes, NULL, NULL, NULL, NULL));
	return arr;
}

static void emit_fileinfo(struct worker *w, struct app_flow *a, const struct fileinfo_result *r,
			  const struct mime_part_end *end)
{
	struct app_email *e = &a->email;
	json_t *o, *em;

	w->st.files++;
	if (!w->cfg->eve_fileinfo)
		return;         /* --eve-types: counted, not built */
	o = app_event_new(w, a->flow, "fileinfo", true, false);
	em = app_email_json(a, e->tx_id, NULL);

	json_object_set_new(o, "tx_id", json_integer(e->tx_id));
	json_object_set_new(o, "smtp", app_smtp_object(&a->smtp, &a->smtp.tx));
	if (em)
		json_object_set_new(o, "email", em);
	json_object_set_new(o, "app_proto", json_string("smtp"));
	json_object_set_new(o, "fileinfo",
			    file_json(e, e->file_name, e->gaps,
				      end->truncated ? "TRUNCATED" : "CLOSED", end->size,
				      r ? r->md5 : NULL, r ? r->sha1 : NULL, r ? r->sha256 : NULL,
				      r ? r->magic : NULL));
	eve_emit(&w->eve, o);
}

void app_email_tx_drop(struct app_flow *a, uint32_t tx_id)
{
	if (!a->email_done || a->email_done_tx != tx_id)
		return;
	json_decref(a->email_done);
	json_decref(a->email_done_ext);
	a->email_done = a->email_done_ext = NULL;
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
		json_t *ext = json_object();
		json_t *em = app_email_json(a, e->tx_id, ext);

		if (a->email_done) {
			json_decref(a->email_done);
			json_decref(a->email_done_ext);
			w->st.email_done_dropped++;
		}
		a->email_done = em;
		a->email_done_ext = json_object_get(ext, "email");
		json_incref(a->email_done_ext);
		json_decref(ext);
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

static json_t *list_json(const struct email_list *l)
{
	json_t *arr = json_array();

	for (const struct email_item *it = l->head; it; it = it->next)
		json_array_append_new(arr, eve_string(it->str, it->len));
	return arr;
}

#define SET_STR(o, k, v) do { if (v) json_object_set_new(o, k, eve_string(v, strlen(v))); } while (0)
#define SET_LIST(o, k, l) do { if ((l).count) json_object_set_new(o, k, list_json(&(l))); } while (0)

json_t *app_email_json(struct app_flow *a, uint32_t tx_id, json_t *ext)
{
	struct app_email *e = &a->email;
	json_t *o;

	/* DATA refused before any content (503, 554): there was no
	 * message, so no email object. */
	if (e->have && e->tx_id == tx_id && !e->bytes && !e->gaps)
		return NULL;
	if (!e->have || e->tx_id != tx_id) {
		/* A message that gave way (app_email_begin): the smtp event
		 * (ext given) takes it; others get a copy. */
		if (!a->email_done || a->email_done_tx != tx_id)
			return NULL;
		if (!ext)
			return json_deep_copy(a->email_done);
		o = a->email_done;
		if (a->email_done_ext)
			json_object_set_new(ext, "email", a->email_done_ext);
		a->email_done = a->email_done_ext = NULL;
		return o;
	}
	o = json_object();
	json_object_set_new(o, "status", json_string(e->parse_error ? "PARSE_ERROR" : "PARSE_DONE"));
	SET_STR(o, "from", e->from);
	SET_LIST(o, "to", e->to);
	SET_LIST(o, "cc", e->cc);
	SET_STR(o, "subject", e->subject);
	SET_STR(o, "message_id", e->message_id);
	SET_STR(o, "date", e->date);
	SET_STR(o, "x_mailer", e->x_mailer);
	SET_LIST(o, "received", e->received);
	SET_LIST(o, "attachment", e->attachment);
	SET_LIST(o, "url", e->urls);
	if (e->raw_md5[0])
		json_object_set_new(o, "body_md5", json_string(e->raw_md5));
	if (e->subject_md5[0])
		json_object_set_new(o, "subject_md5", json_string(e->subject_md5));
	if (ext) {
		json_t *x = json_object();

		/* MD5 of the first decoded text part (Suricata's body_md5
		 * is the raw body's, above; this one equals other tools'
		 * digest of that part and survives re-encoding). */
		if (e->body_md5[0])
			json_object_set_new(x, "text_md5", json_string(e->body_md5));

		SET_STR(x, "reply_to", e->reply_to);
		if (e->sender_checked) {
			json_t *snd = json_object();

			json_object_set_new(snd, "relation",
					    json_string(mime_sender_rel_name(e->sender_rel)));
			SET_STR(snd, "from_addr", e->from_addr);
			SET_STR(snd, "display_addr", e->display_addr);
			if (e->from_headers > 1)
				json_object_set_new(snd, "from_headers",
						    json_integer(e->from_headers));
			json_object_set_new(x, "sender", snd);
		}
		if (e->to.dropped || e->cc.dropped || e->received.dropped ||
		    e->attachment.dropped || e->urls.dropped || e->files_dropped)
			json_object_set_new(x, "dropped", json_pack("{s:i,s:i,s:i,s:i,s:i,s:i}",
				"to", e->to.dropped, "cc", e->cc.dropped,
				"received", e->received.dropped,
				"attachment", e->attachment.dropped, "url", e->urls.dropped,
				"alert_files", e->files_dropped));
		if (json_object_size(x))
			json_object_set_new(ext, "email", x);
		else
			json_decref(x);
	}
	return o;
}

void app_email_flow_end(struct app_flow *a)
{
	json_decref(a->email_done);
	json_decref(a->email_done_ext);
	a->email_done = a->email_done_ext = NULL;
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
