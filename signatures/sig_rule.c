/*
 * sig_rule.c — Suricata-syntax rule parser and the rule set (struct sig_set).
 *
 * A rule is `action proto src sport dir dst dport (name[:value]; ...)`.
 * Parsing is in three passes over one logical line: split the header into
 * seven tokens (brackets may contain spaces), split the options at
 * unescaped ';' (the way Suricata does: a ';' inside quotes must be
 * written "\;"), then dispatch each option through the keyword table.
 * The sid is looked up before the third pass so every diagnostic for the
 * rule can name it.
 *
 * Safety rule of this file: a keyword absent from the table is reported
 * as "unsupported option 'X'" and the rule is skipped. Every keyword that
 * changes what matches and is not honoured (lua, byte_extract, dataset,
 * ...) is therefore refused; a rule is never loaded
 * in a weaker form. The keywords beyond content and pcre (isdataat,
 * byte_test, base64_decode, transforms, flowbits, flowint, app-layer-event,
 * the file keywords) are sig_kw.c's; the parser state they share is
 * sig_parse.h. Content modifiers (depth, offset, distance, within,
 * startswith, endswith), negation, pcre and bsize are recorded here as
 * written; sig_expr.c decides whether the combination can be honoured
 * exactly.
 *
 * Buffer groups (Suricata 7+ multi-buffer matching): each sticky keyword of
 * a multi-instance buffer (sig_buf_is_multi) opens a new group; the legacy
 * content-like keywords filename and fileext (Suricata 8:
 * DetectEngineContentModifierBufferSetup) join the file.name group in force,
 * else the rule's first one, and leave no sticky buffer set, so a content
 * after them is a raw-stream content again, as in Suricata.
 *
 * Memory: start-up only. A kept rule owns its msg and its conditions'
 * bytes; file names are interned in the set; classtype strings point into
 * the static classification table.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sig_parse.h"


/* ---- buffers -------------------------------------------------------- */

static const char *const sig_buf_names[SIG_BUF_COUNT] = {
	[SIG_BUF_STREAM] = "stream",
	[SIG_BUF_SMTP_HELO] = "smtp.helo",
	[SIG_BUF_SMTP_MAIL_FROM] = "smtp.mail_from",
	[SIG_BUF_SMTP_RCPT_TO] = "smtp.rcpt_to",
	[SIG_BUF_SMTP_DATA] = "smtp.data",
	[SIG_BUF_EMAIL_FROM] = "email.from",
	[SIG_BUF_EMAIL_TO] = "email.to",
	[SIG_BUF_EMAIL_CC] = "email.cc",
	[SIG_BUF_EMAIL_SUBJECT] = "email.subject",
	[SIG_BUF_EMAIL_DATE] = "email.date",
	[SIG_BUF_EMAIL_MESSAGE_ID] = "email.message_id",
	[SIG_BUF_EMAIL_X_MAILER] = "email.x_mailer",
	[SIG_BUF_EMAIL_RECEIVED] = "email.received",
	[SIG_BUF_EMAIL_URL] = "email.url",
	[SIG_BUF_EMAIL_BODY] = "email.body",
	[SIG_BUF_FILE_NAME] = "file.name",
	[SIG_BUF_FILE_DATA] = "file.data",
	[SIG_BUF_SMTP_COMMAND] = "smtp.command",
	[SIG_BUF_FILE_MAGIC] = "file.magic",
	[SIG_BUF_APP_EVENT] = "app-layer-event",
	[SIG_BUF_BASE64] = "base64_data",
	[SIG_BUF_EMAIL_BODY_MD5] = "email.body_md5",
	/* not sticky keywords: `frame:` names them (kw_frame) */
	[SIG_BUF_FRAME_COMMAND_LINE] = "frame:smtp.command_line",
	[SIG_BUF_FRAME_RESPONSE_LINE] = "frame:smtp.response_line",
	[SIG_BUF_FRAME_DATA] = "frame:smtp.data",
};

const char *sig_frame_name(enum sig_frame f)
{
	static const char *const names[] = {
		[SIG_FRAME_NONE] = "", [SIG_FRAME_COMMAND_LINE] = "command_line",
		[SIG_FRAME_RESPONSE_LINE] = "response_line", [SIG_FRAME_DATA] = "data",
		[SIG_FRAME_STREAM] = "stream",
	};

	return (unsigned)f <= SIG_FRAME_STREAM ? names[f] : "";
}

const char *sig_buf_name(enum sig_buf b)
{
	if ((unsigned)b >= SIG_BUF_COUNT)
		return "invalid";
	return sig_buf_names[b];
}

bool sig_buf_is_session(enum sig_buf b)
{
	return b == SIG_BUF_SMTP_HELO;
}

/* ---- variables ------------------------------------------------------ */

/* The defaults of Suricata's suricata.yaml (address-groups, port-groups). */
static const char *const sig_default_vars[][2] = {
	{ "HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" },
	{ "EXTERNAL_NET", "!$HOME_NET" },
	{ "HTTP_SERVERS", "$HOME_NET" },
	{ "SMTP_SERVERS", "$HOME_NET" },
	{ "SQL_SERVERS", "$HOME_NET" },
	{ "DNS_SERVERS", "$HOME_NET" },
	{ "TELNET_SERVERS", "$HOME_NET" },
	{ "AIM_SERVERS", "$EXTERNAL_NET" },
	{ "DC_SERVERS", "$HOME_NET" },
	{ "DNP3_SERVER", "$HOME_NET" },
	{ "DNP3_CLIENT", "$HOME_NET" },
	{ "MODBUS_CLIENT", "$HOME_NET" },
	{ "MODBUS_SERVER", "$HOME_NET" },
	{ "ENIP_CLIENT", "$HOME_NET" },
	{ "ENIP_SERVER", "$HOME_NET" },
	{ "HTTP_PORTS", "80" },
	{ "SHELLCODE_PORTS", "!80" },
	{ "ORACLE_PORTS", "1521" },
	{ "SSH_PORTS", "22" },
	{ "DNP3_PORTS", "20000" },
	{ "MODBUS_PORTS", "502" },
	{ "FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]" },
	{ "FTP_PORTS", "21" },
	{ "GENEVE_PORTS", "6081" },
	{ "VXLAN_PORTS", "4789" },
	{ "TEREDO_PORTS", "3544" },
};

const char *sig_set_var_get(const struct sig_set *s, const char *name,
			    size_t namelen)
{
	for (uint32_t i = 0; i < s->nvars; i++)
		if (strlen(s->vars[i].name) == namelen &&
		    memcmp(s->vars[i].name, name, namelen) == 0)
			return s->vars[i].value;
	return NULL;
}

static int var_store(struct sig_set *s, const char *name, const char *value)
{
	char *v = strdup(value);

	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nvars; i++) {
		if (strcmp(s->vars[i].name, name) == 0) {
			free(s->vars[i].value);
			s->vars[i].value = v;
			return 0;
		}
	}
	if (sig_reserve(&s->vars, &s->capvars, s->nvars + 1, sizeof(*s->vars), 32) != 0) {
		free(v);
		return -ENOMEM;
	}
	s->vars[s->nvars].name = strdup(name);
	if (!s->vars[s->nvars].name) {
		free(v);
		return -ENOMEM;
	}
	s->vars[s->nvars].value = v;
	s->nvars++;
	return 0;
}

/* A value is valid if it parses as an address set or as a port set. */
static bool var_valid(const struct sig_set *s, const char *value)
{
	struct sig_rset rs;
	char err[SIG_ERR_MAX];

	if (sig_rset_parse(s, SIG_RSET_ADDR, value, strlen(value), &rs,
			   err, sizeof(err)) == 0) {
		sig_rset_free(&rs);
		return true;
	}
	if (sig_rset_parse(s, SIG_RSET_PORT, value, strlen(value), &rs,
			   err, sizeof(err)) == 0) {
		sig_rset_free(&rs);
		return true;
	}
	return false;
}

int sig_set_var(struct sig_set *s, const char *name, const char *value)
{
	const char *old;
	char *saved = NULL;

	if (!s || !name || !value)
		return -EINVAL;
	if (name[0] == '$')
		name++;
	if (!name[0])
		return -EINVAL;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return -EINVAL;
	/* Store, then validate through the set so self-references and
	 * cycles (A -> B -> A) are caught; restore the old value if bad. */
	old = sig_set_var_get(s, name, strlen(name));
	if (old && !(saved = strdup(old)))
		return -ENOMEM;
	if (var_store(s, name, value) != 0) {
		free(saved);
		return -ENOMEM;
	}
	if (!var_valid(s, value)) {
		if (saved) {
			var_store(s, name, saved);
		} else {
			s->nvars--;
			free(s->vars[s->nvars].name);
			free(s->vars[s->nvars].value);
		}
		free(saved);
		return -EINVAL;
	}
	free(saved);
	return 0;
}

/* ---- set lifetime --------------------------------------------------- */

struct sig_set *sig_set_new(void)
{
	struct sig_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	for (size_t i = 0; i < sizeof(sig_default_vars) / sizeof(sig_default_vars[0]); i++) {
		if (var_store(s, sig_default_vars[i][0], sig_default_vars[i][1]) != 0) {
			sig_set_free(s);
			return NULL;
		}
	}
	return s;
}

static void rule_free(struct sig_rule *r)
{
	free((char *)r->meta.msg);
	for (uint16_t i = 0; i < r->meta.nmd; i++) {
		free((char *)r->meta.md[i].key);
		free((char *)r->meta.md[i].value);
	}
	free((void *)r->meta.md);
	sig_rset_free(&r->src);
	sig_rset_free(&r->sport);
	sig_rset_free(&r->dst);
	sig_rset_free(&r->dport);
	for (uint32_t i = 0; i < r->ncond; i++)
		free(r->cond[i].bytes);
	free(r->cond);
	free(r->bsz);
	free(r->fb);
	for (unsigned i = 0; i < r->nsup; i++)
		sig_rset_free(&r->sup[i].addrs);
	free(r->sup);
	for (unsigned i = 0; i < r->nhl; i++)
		free(r->hl[i].d);
	free(r->hl);
	sig_rule_exprs_free(r);
	memset(r, 0, sizeof(*r));
}

void sig_set_free(struct sig_set *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->nrules; i++)
		rule_free(&s->rules[i]);
	free(s->rules);
	for (uint32_t i = 0; i < s->nvars; i++) {
		free(s->vars[i].name);
		free(s->vars[i].value);
	}
	free(s->vars);
	for (uint32_t i = 0; i < s->nfiles; i++)
		free(s->files[i]);
	free(s->files);
	for (uint32_t i = 0; i < s->nfbname; i++)
		free(s->fbname[i]);
	for (uint32_t i = 0; i < s->nfiname; i++)
		free(s->finame[i]);
	free(s->sidhash);
	free(s->vkey);
	free(s->vused);
	free(s);
}

unsigned sig_set_loaded(const struct sig_set *s)
{
	return s ? s->nrules : 0;
}

unsigned sig_set_skipped(const struct sig_set *s)
{
	return s ? s->skipped : 0;
}

const struct sig_rule_meta *sig_set_rule_meta(const struct sig_set *s,
					      unsigned i)
{
	if (!s || i >= s->nrules)
		return NULL;
	return &s->rules[i].meta;
}

static const char *file_intern(struct sig_set *s, const char *file)
{
	char *f;

	if (!file)
		file = "";
	for (uint32_t i = s->nfiles; i-- > 0;)
		if (strcmp(s->files[i], file) == 0)
			return s->files[i];
	if (sig_reserve(&s->files, &s->capfiles, s->nfiles + 1, sizeof(*s->files), 4) != 0)
		return NULL;
	f = strdup(file);
	if (!f)
		return NULL;
	s->files[s->nfiles++] = f;
	return f;
}

/* ---- (gid, sid) index: duplicate detection -------------------------- */

static uint32_t sid_hash(uint32_t gid, uint32_t sid)
{
	uint64_t k = ((uint64_t)gid << 32 | sid) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(k >> 32);
}

/* Index of the rule with (gid, sid), or -1. */
static int64_t sid_find(const struct sig_set *s, uint32_t gid, uint32_t sid)
{
	if (!s->sidhash_cap)
		return -1;
	for (uint32_t h = sid_hash(gid, sid) & (s->sidhash_cap - 1);;
	     h = (h + 1) & (s->sidhash_cap - 1)) {
		uint32_t v = s->sidhash[h];

		if (v == 0)
			return -1;
		if (s->rules[v - 1].meta.sid == sid && s->rules[v - 1].meta.gid == gid)
			return v - 1;
	}
}

static int sid_insert(struct sig_set *s, uint32_t idx)
{
	if ((s->nrules + 1) * 2 > s->sidhash_cap) {
		uint32_t cap = s->sidhash_cap ? s->sidhash_cap * 2 : 64;
		uint32_t *nh = calloc(cap, sizeof(*nh));

		if (!nh)
			return -1;
		free(s->sidhash);
		s->sidhash = nh;
		s->sidhash_cap = cap;
		/* Rehash every kept rule (idx itself is inserted below). */
		for (uint32_t i = 0; i < s->nrules; i++) {
			if (i == idx)
				continue;
			uint32_t h = sid_hash(s->rules[i].meta.gid, s->rules[i].meta.sid) & (cap - 1);

			while (nh[h])
				h = (h + 1) & (cap - 1);
			nh[h] = i + 1;
		}
	}
	uint32_t h = sid_hash(s->rules[idx].meta.gid, s->rules[idx].meta.sid) &
		(s->sidhash_cap - 1);

	while (s->sidhash[h])
		h = (h + 1) & (s->sidhash_cap - 1);
	s->sidhash[h] = idx + 1;
	return 0;
}

/* ---- parser state --------------------------------------------------- */

/* Value of a string option: quotes (optional) stripped, \" \; \\ \: \,
 * unescaped. Returns a malloc'd NUL-terminated string or NULL (reason in
 * rp->err). */
static char *parse_string(struct rp *rp, const struct opt *o, const char *what)
{
	const char *p = o->val;
	size_t len = o->vlen;
	bool quoted = len && p[0] == '"', closed = false;
	char *out, *w;

	out = w = malloc(len + 1);
	if (!out) {
		fail(rp, "out of memory");
		return NULL;
	}
	for (size_t i = quoted ? 1 : 0; i < len; i++) {
		char c = p[i];

		if (c == '\\') {
			if (i + 1 == len || !p[i + 1] || !strchr("\";\\:,", p[i + 1])) {
				fail(rp, "invalid escape in %s", what);
				goto err;
			}
			c = p[++i];
		} else if (c == '"') {
			if (quoted && i == len - 1) {
				closed = true;
				break;
			}
			fail(rp, "unescaped '\"' in %s", what);
			goto err;
		}
		*w++ = c;
	}
	if (quoted && !closed) {
		fail(rp, "unterminated quote in %s", what);
		goto err;
	}
	*w = '\0';
	return out;
err:
	free(out);
	return NULL;
}

/*
 * content:"..." — text with \" \; \\ \: escapes and |hex| blocks (hex
 * digit pairs, blanks allowed between bytes). The output is never longer
 * than the quoted text.
 */
int sig_content_decode(struct rp *rp, const char *p, size_t len,
			  uint8_t **out, uint32_t *outlen)
{
	uint8_t *buf, *w;
	bool hex = false, closed = false;
	int nib = -1;

	if (len == 0 || p[0] != '"')
		return fail(rp, "content must be a quoted string");
	buf = w = malloc(len);
	if (!buf)
		return fail(rp, "out of memory");
	for (size_t i = 1; i < len; i++) {
		char c = p[i];

		if (c == '"') {
			if (i != len - 1) {
				fail(rp, "unescaped '\"' in content");
				goto err;
			}
			closed = true;
			break;
		}
		if (hex) {
			if (c == '|' || c == ' ' || c == '\t') {
				if (nib >= 0)
					goto odd;
				hex = c != '|';
			} else if (sig_hexval(c) < 0) {
				fail(rp, "invalid hex character '%c' in content",
				     isprint((unsigned char)c) ? c : '?');
				goto err;
			} else if (nib < 0) {
				nib = sig_hexval(c);
			} else {
				*w++ = (uint8_t)(nib << 4 | sig_hexval(c));
				nib = -1;
			}
		} else if (c == '|') {
			hex = true;
		} else if (c == '\\') {
			if (i + 1 == len || !p[i + 1] || !strchr("\";\\:", p[i + 1])) {
				fail(rp, "invalid escape in content");
				goto err;
			}
			*w++ = (uint8_t)p[++i];
		} else {
			*w++ = (uint8_t)c;
		}
	}
	if (!closed) {
		fail(rp, "unterminated quote in content");
		goto err;
	}
	if (hex) {
		fail(rp, "unterminated '|' in content");
		goto err;
	}
	if (w == buf) {
		fail(rp, "empty content");
		goto err;
	}
	if ((size_t)(w - buf) > SIG_CONTENT_MAX) {
		fail(rp, "content longer than %u bytes", SIG_CONTENT_MAX);
		goto err;
	}
	*out = buf;
	*outlen = (uint32_t)(w - buf);
	return 0;
odd:
	fail(rp, "odd number of hex digits in content");
err:
	free(buf);
	return -1;
}

/* ---- keywords ------------------------------------------------------- */

static int kw_dup(struct rp *rp, bool *seen, const struct opt *o)
{
	if (*seen)
		return fail(rp, "duplicate option '%.*s'", show(o->nlen), o->name);
	*seen = true;
	return 0;
}

static int kw_msg(struct rp *rp, const struct opt *o)
{
	char *m;

	if (kw_dup(rp, &rp->have_msg, o) != 0)
		return -1;
	m = parse_string(rp, o, "msg");
	if (!m)
		return -1;
	free((char *)rp->r.meta.msg);
	rp->r.meta.msg = m;
	return 0;
}

static int kw_u32(struct rp *rp, const struct opt *o, bool *seen,
		  uint32_t *dst, const char *name)
{
	if (kw_dup(rp, seen, o) != 0)
		return -1;
	if (!parse_u32(o->val, o->vlen, dst))
		return fail(rp, "invalid %s '%.*s'", name, show(o->vlen), o->val);
	return 0;
}

static int kw_sid(struct rp *rp, const struct opt *o)
{
	if (kw_u32(rp, o, &rp->have_sid, &rp->r.meta.sid, "sid") != 0)
		return -1;
	if (rp->r.meta.sid == 0)
		return fail(rp, "invalid sid '0'");
	return 0;
}

static int kw_rev(struct rp *rp, const struct opt *o)
{
	return kw_u32(rp, o, &rp->have_rev, &rp->r.meta.rev, "rev");
}

static int kw_gid(struct rp *rp, const struct opt *o)
{
	return kw_u32(rp, o, &rp->have_gid, &rp->r.meta.gid, "gid");
}

static int kw_priority(struct rp *rp, const struct opt *o)
{
	if (kw_u32(rp, o, &rp->have_prio, &rp->prio, "priority") != 0)
		return -1;
	if (rp->prio < 1 || rp->prio > 255)
		return fail(rp, "invalid priority '%.*s'", show(o->vlen), o->val);
	return 0;
}

static int kw_classtype(struct rp *rp, const struct opt *o)
{
	if (kw_dup(rp, &rp->have_class, o) != 0)
		return -1;
	rp->cls = sig_class_find(o->val, o->vlen);
	if (!rp->cls)
		return fail(rp, "unknown classtype '%.*s'", show(o->vlen), o->val);
	return 0;
}

/* threshold: / detection_filter: (sig_threshold.c); one per rule. */
static int kw_threshold(struct rp *rp, const struct opt *o)
{
	bool df = o->nlen == 16;        /* "detection_filter" */

	if (rp->r.thr.type)
		return fail(rp, "more than one threshold/detection_filter");
	if (sig_threshold_parse(o->val, o->vlen, df, &rp->r.thr, rp->err, sizeof(rp->err)) != 0)
		return -1;
	return 0;
}

/* reference, target: informational, no effect on matching. */
static int kw_ignore(struct rp *rp, const struct opt *o)
{
	return 0;
}

/* At most this many metadata entries are kept per rule (ET's have 6 to
 * 12); more are dropped, as informational entries may be. */
#define SIG_META_MAX 64

/*
 * metadata:key value[, key value]... (repeatable): kept for the alert's
 * metadata object, as Suricata logs it. Each entry splits at its first
 * blank: the key, then the value (the rest, trimmed; empty when none).
 * No effect on matching.
 */
static int kw_metadata(struct rp *rp, const struct opt *o)
{
	const char *p = o->val, *end = o->val + o->vlen;
	struct sig_rule_meta *m = &rp->r.meta;

	while (p < end) {
		const char *c = memchr(p, ',', (size_t)(end - p)), *q = p, *v;
		size_t ql = (size_t)((c ? c : end) - p), kl = 0;
		struct sig_meta_kv *nm;
		char *key, *val;

		p = c ? c + 1 : end;
		trim(&q, &ql);
		if (!ql || m->nmd >= SIG_META_MAX)
			continue;
		while (kl < ql && !is_space(q[kl]))
			kl++;
		v = q + kl;
		ql -= kl;
		trim(&v, &ql);
		nm = realloc((void *)m->md, (m->nmd + 1u) * sizeof(*nm));
		if (!nm)
			return fail(rp, "out of memory");
		m->md = nm;
		key = strndup(q, kl);
		val = strndup(v, ql);
		if (!key || !val) {
			free(key);
			free(val);
			return fail(rp, "out of memory");
		}
		nm[m->nmd].key = key;
		nm[m->nmd++].value = val;
	}
	return 0;
}

static int kw_flow(struct rp *rp, const struct opt *o)
{
	const char *p = o->val, *end = o->val + o->vlen;

	if (kw_dup(rp, &rp->have_flow, o) != 0)
		return -1;
	while (p <= end) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		const char *e = c ? c : end;
		const char *w = p;
		size_t wl = (size_t)(e - p);
		uint8_t d = 0;

		trim(&w, &wl);
		if (tok_eq(w, wl, "to_server") || tok_eq(w, wl, "from_client"))
			d = SIG_DM_TO_SERVER;
		else if (tok_eq(w, wl, "to_client") || tok_eq(w, wl, "from_server"))
			d = SIG_DM_TO_CLIENT;
		else if (tok_eq(w, wl, "established") || tok_eq(w, wl, "only_stream"))
			; /* every byte we inspect is reassembled stream data */
		else if (tok_eq(w, wl, "stateless") || tok_eq(w, wl, "not_established") ||
			 tok_eq(w, wl, "no_stream") || tok_eq(w, wl, "only_frag") ||
			 tok_eq(w, wl, "no_frag"))
			return fail(rp, "unsupported flow option '%.*s'", show(wl), w);
		else
			return fail(rp, "invalid flow option '%.*s'", show(wl), w);
		if (d && rp->flow_dirs && rp->flow_dirs != d)
			return fail(rp, "conflicting flow directions");
		if (d)
			rp->flow_dirs = d;
		if (!c)
			break;
		p = c + 1;
	}
	return 0;
}

int sig_content_arg(struct rp *rp, const struct opt *o, bool bare, struct sig_cond *c)
{
	const char *p = o->val;
	size_t len = o->vlen;
	char *q = NULL;
	int rc;

	if (len && p[0] == '!') {
		c->flags |= SIG_COND_NEGATED;
		p++;
		len--;
		trim(&p, &len);
	}
	if (bare && (len == 0 || p[0] != '"')) {
		/* unquoted: the same text as a quoted content */
		q = malloc(len + 3);
		if (!q)
			return fail(rp, "out of memory");
		q[0] = '"';
		memcpy(q + 1, p, len);
		q[len + 1] = '"';
		q[len + 2] = '\0';
		p = q;
		len += 2;
	}
	rc = sig_content_decode(rp, p, len, &c->bytes, &c->len);
	free(q);
	return rc;
}

static int kw_content(struct rp *rp, const struct opt *o)
{
	struct sig_cond c = {
		.buf = rp->cur_buf, .group = rp->cur_group, .xform = rp->xform,
		.depth = SIG_COND_UNSET, .offset = SIG_COND_UNSET,
		.distance = SIG_COND_UNSET, .within = SIG_COND_UNSET,
	};

	if (sig_content_arg(rp, o, false, &c) != 0)
		return -1;
	return sig_cond_push(rp, &c);
}

int sig_new_group(struct rp *rp, uint16_t *g)
{
	if (rp->next_group == UINT16_MAX)
		return fail(rp, "too many sticky buffers");
	*g = rp->next_group++;
	return 0;
}

/*
 * filename:"x" / fileext:"x" (quotes optional, '!' negates). Suricata 8
 * makes them file.name contents: filename is `file.name; content:"x";
 * nocase;` and fileext is `file.name; content:".x"; nocase; endswith;`
 * (detect-filename.c). The content joins the file.name group in force, else
 * the rule's first file.name group; no sticky buffer is set afterwards.
 * Modifiers after it (depth, startswith, distance, ...) apply to it.
 */
static int kw_filename(struct rp *rp, const struct opt *o)
{
	bool ext = tok_eq(o->name, o->nlen, "fileext");
	struct sig_cond c = {
		.buf = SIG_BUF_FILE_NAME, .flags = SIG_COND_NOCASE,
		.depth = SIG_COND_UNSET, .offset = SIG_COND_UNSET,
		.distance = SIG_COND_UNSET, .within = SIG_COND_UNSET,
	};

	if (rp->sticky_pending && rp->cur_buf != SIG_BUF_FILE_NAME)
		return fail(rp, "sticky buffer '%s' has no content", rp->sticky_pending);
	if (sig_content_arg(rp, o, true, &c) != 0)
		return -1;
	if (ext) {
		uint8_t *b;

		if (c.len + 1 > SIG_CONTENT_MAX) {
			free(c.bytes);
			return fail(rp, "content longer than %u bytes", SIG_CONTENT_MAX);
		}
		b = malloc(c.len + 1);
		if (!b) {
			free(c.bytes);
			return fail(rp, "out of memory");
		}
		b[0] = '.';
		memcpy(b + 1, c.bytes, c.len);
		free(c.bytes);
		c.bytes = b;
		c.len++;
		c.flags |= SIG_COND_ENDSWITH;
	}
	if (rp->cur_buf == SIG_BUF_FILE_NAME) {
		c.group = rp->cur_group;
	} else if (rp->fname_group) {
		c.group = rp->fname_group;
	} else if (sig_new_group(rp, &c.group) != 0) {
		free(c.bytes);
		return -1;
	} else {
		rp->fname_group = c.group;
	}
	if (sig_cond_push(rp, &c) != 0)
		return -1;
	rp->cur_buf = SIG_BUF_STREAM;
	rp->cur_group = 0;
	return 0;
}

/* Append an element (its bytes are owned by the rule from here on). */
int sig_cond_push(struct rp *rp, struct sig_cond *cp)
{
	struct sig_cond c = *cp;
	struct sig_cond *nc;

	nc = realloc(rp->r.cond, (rp->r.ncond + 1) * sizeof(*nc));
	if (!nc) {
		free(c.bytes);
		return fail(rp, "out of memory");
	}
	rp->r.cond = nc;
	rp->r.cond[rp->r.ncond] = c;
	rp->last = (int)rp->r.ncond++;
	rp->sticky_pending = NULL;
	return 0;
}

static int need_content(struct rp *rp, const struct opt *o)
{
	if (rp->last < 0)
		return fail(rp, "'%.*s' needs a preceding content", show(o->nlen), o->name);
	return 0;
}

static int kw_nocase(struct rp *rp, const struct opt *o)
{
	if (need_content(rp, o) != 0)
		return -1;
	if (rp->r.cond[rp->last].flags & SIG_COND_PCRE)
		return fail(rp, "'nocase' needs a preceding content");
	rp->r.cond[rp->last].flags |= SIG_COND_NOCASE;
	return 0;
}

static int kw_rawbytes(struct rp *rp, const struct opt *o)
{
	if (need_content(rp, o) != 0)
		return -1;
	rp->r.cond[rp->last].flags |= SIG_COND_RAWBYTES;
	return 0;
}

/* Hyperscan scans all patterns at once; the hint has nothing to select. */
static int kw_fast_pattern(struct rp *rp, const struct opt *o)
{
	return need_content(rp, o);
}

/* Signed decimal; byte_extract variable names are not supported. */
static bool parse_i32(const char *p, size_t len, int32_t *out)
{
	bool neg = len && p[0] == '-';
	uint32_t v;

	if (neg) {
		p++;
		len--;
	}
	if (!parse_u32(p, len, &v) || v > 65535)
		return false;
	*out = neg ? -(int32_t)v : (int32_t)v;
	return true;
}

/* The content these modifiers apply to: the latest element, a content. */
static struct sig_cond *mod_target(struct rp *rp, const struct opt *o)
{
	struct sig_cond *c;

	if (need_content(rp, o) != 0)
		return NULL;
	c = &rp->r.cond[rp->last];
	if (c->flags & SIG_COND_PCRE) {
		fail(rp, "'%.*s' needs a preceding content", show(o->nlen), o->name);
		return NULL;
	}
	return c;
}

/* depth, offset, distance, within: one number each, once per content. */
static int kw_position(struct rp *rp, const struct opt *o)
{
	struct sig_cond *c = mod_target(rp, o);
	int32_t v, *dst;
	bool isdepth = tok_eq(o->name, o->nlen, "depth");
	bool isoff = tok_eq(o->name, o->nlen, "offset");
	bool isdist = tok_eq(o->name, o->nlen, "distance");

	if (!c)
		return -1;
	dst = isdepth ? &c->depth : isoff ? &c->offset : isdist ? &c->distance : &c->within;
	if (*dst != SIG_COND_UNSET)
		return fail(rp, "duplicate option '%.*s'", show(o->nlen), o->name);
	if (!parse_i32(o->val, o->vlen, &v))
		return fail(rp, "invalid %.*s '%.*s'", show(o->nlen), o->name,
			    show(o->vlen), o->val);
	if (v < 0 && !isdist)
		return fail(rp, "invalid %.*s '%.*s'", show(o->nlen), o->name,
			    show(o->vlen), o->val);
	*dst = v;
	return 0;
}

static int kw_startend(struct rp *rp, const struct opt *o)
{
	struct sig_cond *c = mod_target(rp, o);
	uint8_t f = tok_eq(o->name, o->nlen, "startswith") ? SIG_COND_STARTSWITH :
		SIG_COND_ENDSWITH;

	if (!c)
		return -1;
	c->flags |= f;
	return 0;
}

/*
 * pcre:"/re/flags" (or pcre:!"..."). The regex text is kept as written
 * (Suricata hands it to PCRE unchanged, so "\;" is an escaped ';' to the
 * regex engine too). Only the i s m x R flags are honoured.
 */
static int kw_pcre(struct rp *rp, const struct opt *o)
{
	const char *p = o->val, *slash;
	size_t len = o->vlen;
	struct sig_cond c = {
		.buf = rp->cur_buf, .group = rp->cur_group, .flags = SIG_COND_PCRE,
		.depth = SIG_COND_UNSET, .offset = SIG_COND_UNSET,
		.distance = SIG_COND_UNSET, .within = SIG_COND_UNSET,
	};

	if (len && p[0] == '!') {
		c.flags |= SIG_COND_NEGATED;
		p++;
		len--;
		trim(&p, &len);
	}
	if (rp->xform)
		return fail(rp, "pcre on a transformed buffer not supported");
	if (len < 2 || p[0] != '"' || p[len - 1] != '"')
		return fail(rp, "pcre must be a quoted string");
	p++;
	len -= 2;
	if (len < 2 || p[0] != '/')
		return fail(rp, "pcre must be of the form /regex/flags");
	slash = p + len;
	while (slash > p + 1 && slash[-1] != '/')
		slash--;
	if (slash <= p + 1)
		return fail(rp, "pcre must be of the form /regex/flags");
	for (const char *f = slash; f < p + len; f++) {
		switch (*f) {
		case 'i': c.pflags |= SIG_PCRE_I; break;
		case 's': c.pflags |= SIG_PCRE_S; break;
		case 'm': c.pflags |= SIG_PCRE_M; break;
		case 'x': c.pflags |= SIG_PCRE_X; break;
		case 'R': c.flags |= SIG_COND_RELATIVE; break;
		default:
			return fail(rp, "unsupported pcre flag '%c'",
				    isprint((unsigned char)*f) ? *f : '?');
		}
	}
	c.len = (uint32_t)(slash - 1 - (p + 1));
	if (c.len == 0)
		return fail(rp, "empty pcre");
	c.bytes = malloc(c.len + 1);
	if (!c.bytes)
		return fail(rp, "out of memory");
	memcpy(c.bytes, p + 1, c.len);
	c.bytes[c.len] = '\0';
	return sig_cond_push(rp, &c);
}

/* bsize: a condition on the length of the current sticky buffer (group);
 * the value's syntax and meaning are sig_bsize_parse()'s. */
static int kw_bsize(struct rp *rp, const struct opt *o)
{
	struct sig_bsize b;

	if (rp->xform)
		return fail(rp, "'%.*s' on a transformed buffer not supported", show(o->nlen), o->name);

	if (rp->cur_buf == SIG_BUF_STREAM)
		return fail(rp, "bsize on the raw stream not supported (it needs a sticky buffer)");
	if (sig_bsize_parse(o->val, o->vlen, &b, rp->err, sizeof(rp->err)) != 0)
		return -1;
	b.buf = rp->cur_buf;
	b.group = rp->cur_group;
	return sig_bsize_push(rp, &b);
}

int sig_bsize_push(struct rp *rp, const struct sig_bsize *b)
{
	struct sig_bsize *nb = realloc(rp->r.bsz, (rp->r.nbsz + 1) * sizeof(*nb));

	if (!nb)
		return fail(rp, "out of memory");
	rp->r.bsz = nb;
	rp->r.bsz[rp->r.nbsz++] = *b;
	rp->sticky_pending = NULL;
	return 0;
}

static int kw_sticky(struct rp *rp, const struct opt *o);
static int kw_requires(struct rp *rp, const struct opt *o);

enum { KW_VAL_NONE, KW_VAL_REQ, KW_VAL_OPT };

struct kw {
	const char *name;
	int (*fn)(struct rp *rp, const struct opt *o);
	uint8_t val;                   /* KW_VAL_* */
};

static const struct kw sig_keywords[] = {
	{ "msg", kw_msg, KW_VAL_REQ },
	{ "sid", kw_sid, KW_VAL_REQ },
	{ "rev", kw_rev, KW_VAL_REQ },
	{ "gid", kw_gid, KW_VAL_REQ },
	{ "classtype", kw_classtype, KW_VAL_REQ },
	{ "priority", kw_priority, KW_VAL_REQ },
	{ "metadata", kw_metadata, KW_VAL_REQ },
	{ "threshold", kw_threshold, KW_VAL_REQ },
	{ "detection_filter", kw_threshold, KW_VAL_REQ },
	{ "reference", kw_ignore, KW_VAL_REQ },
	{ "target", kw_ignore, KW_VAL_REQ },
	{ "flow", kw_flow, KW_VAL_REQ },
	{ "content", kw_content, KW_VAL_REQ },
	{ "nocase", kw_nocase, KW_VAL_NONE },
	{ "fast_pattern", kw_fast_pattern, KW_VAL_OPT },
	{ "rawbytes", kw_rawbytes, KW_VAL_NONE },
	{ "depth", kw_position, KW_VAL_REQ },
	{ "offset", kw_position, KW_VAL_REQ },
	{ "distance", kw_position, KW_VAL_REQ },
	{ "within", kw_position, KW_VAL_REQ },
	{ "startswith", kw_startend, KW_VAL_NONE },
	{ "endswith", kw_startend, KW_VAL_NONE },
	{ "pcre", kw_pcre, KW_VAL_REQ },
	{ "bsize", kw_bsize, KW_VAL_REQ },
	{ "isdataat", kw_isdataat, KW_VAL_REQ },
	{ "flowbits", kw_flowbits, KW_VAL_REQ },
	{ "flowint", kw_flowint, KW_VAL_REQ },
	{ "app-layer-event", kw_app_event, KW_VAL_REQ },
	{ "filemagic", kw_filemagic, KW_VAL_REQ },
	{ "filemd5", kw_filehash, KW_VAL_REQ },
	{ "filesha1", kw_filehash, KW_VAL_REQ },
	{ "filesha256", kw_filehash, KW_VAL_REQ },
	{ "filesize", kw_filesize, KW_VAL_REQ },
	{ "base64_decode", kw_base64_decode, KW_VAL_OPT },
	{ "base64_data", kw_base64_data, KW_VAL_NONE },
	{ "frame", kw_frame, KW_VAL_REQ },
	{ "from_base64", kw_from_base64, KW_VAL_OPT },
	{ "byte_test", kw_probe, KW_VAL_REQ },
	{ "strip_whitespace", kw_xform, KW_VAL_NONE },
	{ "compress_whitespace", kw_xform, KW_VAL_NONE },
	{ "to_lowercase", kw_xform, KW_VAL_NONE },
	{ "to_uppercase", kw_xform, KW_VAL_NONE },
	{ "byte_jump", kw_probe, KW_VAL_REQ },
	{ "requires", kw_requires, KW_VAL_REQ },
	{ "filename", kw_filename, KW_VAL_REQ },
	{ "fileext", kw_filename, KW_VAL_REQ },
	/* Sticky buffers: sig_buf_names[1..], and Suricata's legacy alias */
	{ "smtp.helo", kw_sticky, KW_VAL_NONE },
	{ "smtp.mail_from", kw_sticky, KW_VAL_NONE },
	{ "smtp.rcpt_to", kw_sticky, KW_VAL_NONE },
	{ "smtp.data", kw_sticky, KW_VAL_NONE },
	{ "email.from", kw_sticky, KW_VAL_NONE },
	{ "email.to", kw_sticky, KW_VAL_NONE },
	{ "email.cc", kw_sticky, KW_VAL_NONE },
	{ "email.subject", kw_sticky, KW_VAL_NONE },
	{ "email.date", kw_sticky, KW_VAL_NONE },
	{ "email.message_id", kw_sticky, KW_VAL_NONE },
	{ "email.x_mailer", kw_sticky, KW_VAL_NONE },
	{ "email.received", kw_sticky, KW_VAL_NONE },
	{ "email.url", kw_sticky, KW_VAL_NONE },
	{ "email.body", kw_sticky, KW_VAL_NONE },
	{ "file.name", kw_sticky, KW_VAL_NONE },
	{ "file.data", kw_sticky, KW_VAL_NONE },
	{ "file_data", kw_sticky, KW_VAL_NONE },
	{ "smtp.command", kw_sticky, KW_VAL_NONE },
	{ "email.body_md5", kw_sticky, KW_VAL_NONE },
	{ "file.magic", kw_sticky, KW_VAL_NONE },
};

static int kw_sticky(struct rp *rp, const struct opt *o)
{
	if (rp->sticky_pending)
		return fail(rp, "sticky buffer '%s' has no content", rp->sticky_pending);
	for (unsigned b = SIG_BUF_STREAM + 1; b < SIG_BUF_COUNT; b++) {
		if (tok_eq(o->name, o->nlen, sig_buf_names[b]) ||
		    (b == SIG_BUF_FILE_DATA && tok_eq(o->name, o->nlen, "file_data"))) {
			rp->cur_buf = (uint8_t)b;
			rp->cur_group = 0;
			rp->xform = 0;
			/* Suricata: a repeated multi-buffer keyword is a new
			 * buffer; other buffers are reused. */
			if (sig_buf_is_multi(b) && sig_new_group(rp, &rp->cur_group) != 0)
				return -1;
			if (b == SIG_BUF_FILE_NAME && !rp->fname_group)
				rp->fname_group = rp->cur_group;
			rp->sticky_pending = sig_buf_names[b];
			rp->last = -1;
			return 0;
		}
	}
	return fail(rp, "unsupported option '%.*s'", show(o->nlen), o->name);
}

/*
 * requires: (Suricata 7.0.3+): "keyword NAME", "feature NAME" and
 * "version OP X[.Y[.Z]] [OP X...]", comma-separated. Suricata skips a rule
 * whose requirements it does not meet; mailtap does the same, with the
 * requirement as the reason. Keywords are mailtap's (this table); it has
 * none of Suricata's optional features; its rule language is Suricata
 * 8.0's (the email.* and file.* names), which versions compare against.
 */
#define SIG_COMPAT_VERSION 80000u      /* 8.0.0 as major * 10000 + minor * 100 + patch */

static bool version_ok(const char *p, size_t len)
{
	while (len) {
		unsigned part[3] = { 0, 0, 0 }, np = 0;
		char op[3] = "";
		uint32_t v;
		bool ok;

		while (len && is_space(*p)) {
			p++;
			len--;
		}
		for (unsigned k = 0; len && k < 2 && strchr("<>=!", *p); k++, len--)
			op[k] = *p++;
		while (len && is_space(*p)) {
			p++;
			len--;
		}
		while (len && np < 3 && isdigit((unsigned char)*p)) {
			while (len && isdigit((unsigned char)*p)) {
				part[np] = part[np] * 10 + (unsigned)(*p - '0');
				p++;
				len--;
			}
			np++;
			if (len && *p == '.') {
				p++;
				len--;
			}
		}
		if (!op[0] || !np)
			return false;
		v = part[0] * 10000 + part[1] * 100 + part[2];
		if (strcmp(op, ">=") == 0)
			ok = SIG_COMPAT_VERSION >= v;
		else if (strcmp(op, ">") == 0)
			ok = SIG_COMPAT_VERSION > v;
		else if (strcmp(op, "<=") == 0)
			ok = SIG_COMPAT_VERSION <= v;
		else if (strcmp(op, "<") == 0)
			ok = SIG_COMPAT_VERSION < v;
		else if (strcmp(op, "=") == 0 || strcmp(op, "==") == 0)
			ok = SIG_COMPAT_VERSION == v;
		else
			return false;
		if (!ok)
			return false;
	}
	return true;
}

static int kw_requires(struct rp *rp, const struct opt *o)
{
	const char *p = o->val, *end = o->val + o->vlen;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p)), *q = p, *arg;
		size_t ql = (size_t)((comma ? comma : end) - p), al;

		trim(&q, &ql);
		arg = q;
		while (arg < q + ql && !is_space(*arg))
			arg++;
		al = (size_t)(q + ql - arg);
		trim(&arg, &al);
		if (ql > 8 && strncmp(q, "keyword", 7) == 0 && is_space(q[7])) {
			bool have = false;

			for (size_t i = 0; i < sizeof(sig_keywords) / sizeof(sig_keywords[0]); i++)
				have = have || tok_eq(arg, al, sig_keywords[i].name);
			if (!have)
				return fail(rp, "requires keyword '%.*s', which mailtap does not have",
					    show(al), arg);
		} else if (ql > 8 && strncmp(q, "feature", 7) == 0 && is_space(q[7])) {
			return fail(rp, "requires feature '%.*s', which mailtap does not have",
				    show(al), arg);
		} else if (ql > 8 && strncmp(q, "version", 7) == 0 && is_space(q[7])) {
			if (!version_ok(arg, al))
				return fail(rp, "requires version '%.*s'; mailtap's rule language "
					    "is Suricata 8.0's", show(al), arg);
		} else if (ql) {
			return fail(rp, "unsupported requires '%.*s'", show(ql), q);
		}
		p = comma ? comma + 1 : end;
	}
	return 0;
}

static int run_option(struct rp *rp, const struct opt *o)
{
	for (size_t i = 0; i < sizeof(sig_keywords) / sizeof(sig_keywords[0]); i++) {
		const struct kw *k = &sig_keywords[i];

		if (!tok_eq(o->name, o->nlen, k->name))
			continue;
		if (k->val == KW_VAL_REQ && (!o->has_val || o->vlen == 0))
			return fail(rp, "option '%s' needs a value", k->name);
		if (k->val == KW_VAL_NONE && o->has_val)
			return fail(rp, "option '%s' takes no value", k->name);
		return k->fn(rp, o);
	}
	return fail(rp, "unsupported option '%.*s'", show(o->nlen), o->name);
}

/* ---- rule text ------------------------------------------------------ */

enum { H_ACTION, H_PROTO, H_SRC, H_SPORT, H_DIR, H_DST, H_DPORT, H_COUNT };

struct split {
	const char *tok[H_COUNT];
	size_t len[H_COUNT];
	unsigned ntok;
	struct opt *opts;
	unsigned nopts, capopts;
};

/* Header tokens; *pos is left at the '(' that opens the options. */
static int split_header(struct rp *rp, const char *text, struct split *sp,
			const char **pos)
{
	const char *p = text;

	for (;;) {
		const char *t;
		int depth = 0;

		while (is_space(*p))
			p++;
		if (!*p || *p == '(')
			break;
		if (sp->ntok == H_COUNT)
			return fail(rp, "unexpected '%.*s' after rule header",
				    show(strcspn(p, " \t(")), p);
		t = p;
		while (*p && (depth > 0 || (!is_space(*p) && *p != '('))) {
			if (*p == '[')
				depth++;
			else if (*p == ']' && depth > 0)
				depth--;
			p++;
		}
		sp->tok[sp->ntok] = t;
		sp->len[sp->ntok] = (size_t)(p - t);
		sp->ntok++;
	}
	*pos = p;
	if (sp->ntok < H_COUNT)
		return fail(rp, "incomplete rule header (want: action proto "
			    "src_addr src_port direction dst_addr dst_port)");
	if (*p != '(')
		return fail(rp, "missing '(' options");
	return 0;
}

static int split_options(struct rp *rp, const char *open, struct split *sp)
{
	const char *end = open + strlen(open);
	const char *q = open + 1;

	while (end > q && is_space(end[-1]))
		end--;
	if (end <= q || end[-1] != ')')
		return fail(rp, "rule options not closed with ')'");
	end--;
	while (q < end) {
		struct opt o = { 0 };

		while (q < end && is_space(*q))
			q++;
		if (q == end)
			break;
		o.name = q;
		while (q < end && *q != ':' && *q != ';')
			q++;
		o.nlen = (size_t)(q - o.name);
		trim(&o.name, &o.nlen);
		if (q < end && *q == ':') {
			o.has_val = true;
			o.val = ++q;
			while (q < end && *q != ';')
				q += (*q == '\\' && q + 1 < end) ? 2 : 1;
			o.vlen = (size_t)(q - o.val);
			trim(&o.val, &o.vlen);
		}
		if (q < end)
			q++;    /* the ';' */
		if (o.nlen == 0)
			return fail(rp, "empty option name");
		if (sig_reserve(&sp->opts, &sp->capopts, sp->nopts + 1, sizeof(*sp->opts), 32) != 0)
			return fail(rp, "out of memory");
		sp->opts[sp->nopts++] = o;
	}
	return 0;
}

/*
 * Protocols. mailtap inspects the TCP sessions it decodes as SMTP, so smtp,
 * tcp and ip rules all see those sessions' streams and buffers (an ip or
 * tcp rule meant for other traffic simply has nothing here to match);
 * email and file (the protocol names of Suricata's email and file rule
 * types) are the same sessions' messages and files. Packet-level
 * protocols (tcp-pkt, udp, icmp, ...) are refused.
 */
static int parse_proto_dir(struct rp *rp, const struct split *sp)
{
	static const char *const ok[] = { "smtp", "tcp", "ip", "email", "file", "tcp-stream" };
	bool known = false;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		known = known || tok_eq(sp->tok[H_PROTO], sp->len[H_PROTO], ok[i]);
	if (!known)
		return fail(rp, "unsupported protocol '%.*s'",
			    show(sp->len[H_PROTO]), sp->tok[H_PROTO]);
	if (tok_eq(sp->tok[H_DIR], sp->len[H_DIR], "->"))
		rp->r.bidir = false;
	else if (tok_eq(sp->tok[H_DIR], sp->len[H_DIR], "<>"))
		rp->r.bidir = true;
	else
		return fail(rp, "invalid direction '%.*s'",
			    show(sp->len[H_DIR]), sp->tok[H_DIR]);
	return 0;
}

static int parse_addrs(struct rp *rp, const struct split *sp)
{
	char err[SIG_ERR_MAX];
	static const struct {
		int tok;
		enum sig_rset_kind kind;
		size_t off;
		const char *what;
	} fields[] = {
		{ H_SRC, SIG_RSET_ADDR, offsetof(struct sig_rule, src), "source address" },
		{ H_SPORT, SIG_RSET_PORT, offsetof(struct sig_rule, sport), "source port" },
		{ H_DST, SIG_RSET_ADDR, offsetof(struct sig_rule, dst), "destination address" },
		{ H_DPORT, SIG_RSET_PORT, offsetof(struct sig_rule, dport), "destination port" },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct sig_rset *rs = (struct sig_rset *)((char *)&rp->r + fields[i].off);

		if (sig_rset_parse(rp->s, fields[i].kind, sp->tok[fields[i].tok],
				   sp->len[fields[i].tok], rs, err, sizeof(err)) != 0)
			return fail(rp, "invalid %s: %s", fields[i].what, err);
	}
	rp->r.hdr_any = rp->r.src.any && rp->r.sport.any && rp->r.dst.any &&
		rp->r.dport.any;
	return 0;
}

/* Checks that need the whole rule, then the meta that alerts report. */
static int finish_rule(struct rp *rp)
{
	struct sig_rule *r = &rp->r;
	int64_t dup;
	uint8_t smtp_buf = 0;

	if (rp->sticky_pending)
		return fail(rp, "sticky buffer '%s' has no content", rp->sticky_pending);
	if (!rp->have_sid)
		return fail(rp, "rule has no sid");
	if (r->ncond == 0 && r->nbsz == 0 && r->nhl == 0 && r->nprobe == 0)
		return fail(rp, "rule has no content");
	/* nothing relative may follow a probe's reference match (it would
	 * chain past it): the probe reads where that match ends */
	for (unsigned k = 0; k < r->nprobe; k++) {
		int32_t tg = r->probe[k].trig;

		if (tg >= 0 && (uint32_t)tg + 1 < r->ncond && r->cond[tg + 1].buf == r->cond[tg].buf &&
		    r->cond[tg + 1].group == r->cond[tg].group &&
		    sig_cond_is_relative(&r->cond[tg + 1]))
			return fail(rp, "a relative match after byte_test/byte_jump not supported");
		for (unsigned j = 0; j < k; j++)
			if (r->probe[j].trig == tg && tg >= 0)
				return fail(rp, "two byte_test/byte_jump after one match not supported");
	}
	/* A frame rule inspects its frame and nothing else (as Suricata's
	 * frame rules do): one frame at a time, so no other buffer could be
	 * combined with it per frame. */
	if (r->meta.frame) {
		for (uint32_t i = 0; i < r->ncond; i++)
			if (r->cond[i].buf != rp->frame_buf && r->cond[i].buf != SIG_BUF_BASE64)
				return fail(rp, "buffer '%s' in a frame rule not supported",
					    sig_buf_names[r->cond[i].buf]);
		for (uint32_t i = 0; i < r->nbsz; i++)
			if (r->bsz[i].buf != rp->frame_buf && r->bsz[i].buf != SIG_BUF_BASE64)
				return fail(rp, "bsize on buffer '%s' in a frame rule not supported",
					    sig_buf_names[r->bsz[i].buf]);
		if (r->nhl)
			return fail(rp, "file digest lists in a frame rule not supported");
	}
	if (r->b64.on) {
		bool data = false;

		for (uint32_t i = 0; i < r->ncond; i++)
			data = data || r->cond[i].buf == SIG_BUF_BASE64;
		if (!data)
			return fail(rp, "base64_decode without base64_data contents");
	}
	if (sig_rule_exprs(r, rp->s, rp->err, sizeof(rp->err)) != 0)
		return -1;
	for (uint32_t i = 0; i < r->nexpr; i++)
		if (r->expr[i].buf != SIG_BUF_STREAM && r->expr[i].buf != SIG_BUF_APP_EVENT &&
		    r->expr[i].buf != SIG_BUF_BASE64 && !smtp_buf)
			smtp_buf = r->expr[i].buf;
	if (r->nhl && !smtp_buf)
		smtp_buf = SIG_BUF_FILE_DATA;
	r->dirs = rp->flow_dirs ? rp->flow_dirs : SIG_DM_BOTH;
	if (smtp_buf == SIG_BUF_FRAME_RESPONSE_LINE) {
		if (r->dirs == SIG_DM_TO_SERVER)
			return fail(rp, "frame:smtp.response_line is to_client only but rule "
				    "has flow:to_server");
		r->dirs = SIG_DM_TO_CLIENT;
	} else if (smtp_buf) {
		/* The smtp.*, email.* and file.* buffers are client data: the
		 * rule can only complete in the to_server direction. */
		if (r->dirs == SIG_DM_TO_CLIENT)
			return fail(rp, "buffer '%s' is to_server only but rule has flow:to_client",
				    sig_buf_names[smtp_buf]);
		r->dirs = SIG_DM_TO_SERVER;
	}
	if (!rp->have_gid)
		r->meta.gid = 1;
	dup = sid_find(rp->s, r->meta.gid, r->meta.sid);
	if (dup >= 0)
		return fail(rp, "duplicate sid %u (gid %u), first defined at %s:%u",
			    r->meta.sid, r->meta.gid, rp->s->rules[dup].meta.file,
			    rp->s->rules[dup].meta.line);
	if (!r->meta.msg && !(r->meta.msg = strdup("")))
		return fail(rp, "out of memory");
	r->meta.classtype = rp->cls ? rp->cls->name : "";
	r->meta.category = rp->cls ? rp->cls->desc : "";
	r->meta.priority = rp->have_prio ? rp->prio : rp->cls ? rp->cls->priority : 3;
	r->meta.action = r->pass ? "pass" : "alert";
	return 0;
}

static int parse_rule(struct rp *rp, const char *text, uint32_t *diag_sid)
{
	struct split sp = { 0 };
	const char *open = NULL;
	int hrc, orc = -1, rc = -1;
	char herr[SIG_ERR_MAX], oerr[SIG_ERR_MAX];

	hrc = split_header(rp, text, &sp, &open);
	memcpy(herr, rp->err, sizeof(herr));
	if (hrc == 0)
		orc = split_options(rp, open, &sp);
	memcpy(oerr, rp->err, sizeof(oerr));
	/* Learn the sid first so that every report can name it. */
	for (unsigned i = 0; i < sp.nopts; i++) {
		if (tok_eq(sp.opts[i].name, sp.opts[i].nlen, "sid") &&
		    parse_u32(sp.opts[i].val, sp.opts[i].vlen, diag_sid))
			break;
	}
	/* pass (Suricata): a match makes the flow alert no more */
	if (sp.ntok > 0 && tok_eq(sp.tok[H_ACTION], sp.len[H_ACTION], "pass"))
		rp->r.pass = true;
	else if (sp.ntok > 0 && !tok_eq(sp.tok[H_ACTION], sp.len[H_ACTION], "alert")) {
		fail(rp, "unsupported action '%.*s'", show(sp.len[H_ACTION]),
		     sp.tok[H_ACTION]);
		goto out;
	}
	if (hrc != 0) {
		memcpy(rp->err, herr, sizeof(herr));
		goto out;
	}
	if (parse_proto_dir(rp, &sp) != 0)
		goto out;
	if (orc != 0) {
		memcpy(rp->err, oerr, sizeof(oerr));
		goto out;
	}
	if (parse_addrs(rp, &sp) != 0)
		goto out;
	for (unsigned i = 0; i < sp.nopts; i++)
		if (run_option(rp, &sp.opts[i]) != 0)
			goto out;
	rc = finish_rule(rp);
out:
	free(sp.opts);
	return rc;
}

int sig_set_add_rule(struct sig_set *s, const char *text, const char *file,
		     unsigned line, sig_diag_fn diag, void *diag_user)
{
	struct rp rp;
	uint32_t diag_sid = 0;
	const char *f;

	if (!s || !text)
		return -EINVAL;
	memset(&rp, 0, sizeof(rp));
	rp.s = s;
	rp.last = -1;
	rp.cur_buf = SIG_BUF_STREAM;
	rp.next_group = 1;
	f = file_intern(s, file);
	if (!f) {
		snprintf(rp.err, sizeof(rp.err), "out of memory");
		goto skip;
	}
	rp.r.meta.file = f;
	rp.r.meta.line = line;
	if (parse_rule(&rp, text, &diag_sid) != 0)
		goto skip;
	if (sig_reserve(&s->rules, &s->caprules, s->nrules + 1, sizeof(*s->rules), 64) != 0) {
		snprintf(rp.err, sizeof(rp.err), "out of memory");
		goto skip;
	}
	s->rules[s->nrules] = rp.r;
	if (sid_insert(s, s->nrules) != 0) {
		snprintf(rp.err, sizeof(rp.err), "out of memory");
		goto skip;
	}
	s->nrules++;
	return 0;
skip:
	rule_free(&rp.r);
	s->skipped++;
	if (diag)
		diag(diag_user, f ? f : (file ? file : ""), line, diag_sid, rp.err);
	return -EINVAL;
}

/* ---- files ---------------------------------------------------------- */

static int buf_append(char **buf, size_t *len, size_t *cap, const char *p,
		      size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = (*cap ? *cap * 2 : 1024);
		char *nb;

		while (nc < *len + n + 1)
			nc *= 2;
		nb = realloc(*buf, nc);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

int sig_set_load_file(struct sig_set *s, const char *path, sig_diag_fn diag,
		      void *diag_user)
{
	FILE *fp;
	char *line = NULL, *rule = NULL;
	size_t linecap = 0, rlen = 0, rcap = 0;
	unsigned lineno = 0, start = 0;
	bool cont = false;
	int rc = 0;

	if (!s || !path)
		return -EINVAL;
	fp = fopen(path, "r");
	if (!fp)
		return -errno;
	errno = 0;
	for (;;) {
		ssize_t got = getline(&line, &linecap, fp);
		size_t n;
		const char *p;

		if (got < 0)
			break;
		lineno++;
		n = strlen(line);    /* an embedded NUL ends the line */
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		line[n] = '\0';
		if (!cont) {
			p = line;
			while (is_space(*p))
				p++;
			if (*p == '\0' || *p == '#')
				continue;
			start = lineno;
			rlen = 0;
		}
		/* A trailing backslash (trailing blanks tolerated) continues
		 * the rule on the next line. */
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		cont = n && line[n - 1] == '\\';
		if (cont)
			n--;
		if (buf_append(&rule, &rlen, &rcap, line, n) != 0) {
			rc = -ENOMEM;
			goto out;
		}
		if (!cont)
			sig_set_add_rule(s, rule, path, start, diag, diag_user);
	}
	if (ferror(fp)) {
		rc = errno ? -errno : -EIO;   /* e.g. -EISDIR */
		goto out;
	}
	if (cont && rlen)
		sig_set_add_rule(s, rule, path, start, diag, diag_user);
out:
	free(line);
	free(rule);
	fclose(fp);
	return rc;
}
