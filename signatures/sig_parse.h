/*
 * sig_parse.h — the rule parser's state and helpers, shared by sig_rule.c
 * (rule text, header, meta, content and pcre keywords, the keyword table)
 * and sig_kw.c (the other payload, flow-state, file and event keywords).
 * Private to signatures/.
 */
#ifndef MT_SIG_PARSE_H
#define MT_SIG_PARSE_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sig_internal.h"

#define SIG_ERR_MAX 256
#define SIG_CONTENT_MAX 65535u     /* Suricata's limit too (16-bit length) */
#define SIG_NAME_SHOW 64           /* longest token quoted in a diagnostic */

struct opt {
	const char *name, *val;
	size_t nlen, vlen;
	bool has_val;
};

struct rp {
	struct sig_set *s;
	struct sig_rule r;
	char err[SIG_ERR_MAX];

	int last;                     /* index of the latest content, -1 none */
	uint8_t cur_buf;              /* buffer of the next content */
	uint16_t cur_group;           /* its group (0 outside multi buffers) */
	uint16_t next_group;          /* next free group id (from 1) */
	uint16_t fname_group;         /* the rule's first file.name group, 0 none */
	const char *sticky_pending;   /* sticky buffer still waiting for content */
	uint8_t xform;                /* transforms on the current sticky buffer */
	uint8_t frame_buf;            /* the buffer frame: chose (r.meta.frame) */
	bool have_sid, have_rev, have_gid, have_msg, have_class, have_prio, have_flow;
	uint32_t prio;
	const struct sig_class *cls;
	uint8_t flow_dirs;            /* 0 = no direction given */
};

static inline int fail(struct rp *rp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline int fail(struct rp *rp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rp->err, sizeof(rp->err), fmt, ap);
	va_end(ap);
	return -1;
}

static inline int show(size_t len)
{
	return (int)(len > SIG_NAME_SHOW ? SIG_NAME_SHOW : len);
}

static inline bool parse_u32(const char *p, size_t len, uint32_t *out)
{
	return sig_parse_uint(p, len, UINT32_MAX, out);
}

/* sig_rule.c: a content's text to bytes; an element appended to the rule
 * (its bytes owned by the rule from then on); a new instance group. */
int sig_content_decode(struct rp *rp, const char *p, size_t len, uint8_t **out,
		       uint32_t *outlen);
int sig_cond_push(struct rp *rp, struct sig_cond *cp);
/* A content-like option value: '!' sets SIG_COND_NEGATED in c, the rest
 * (unquoted text too when bare) is decoded into c->bytes / c->len. */
int sig_content_arg(struct rp *rp, const struct opt *o, bool bare, struct sig_cond *c);
int sig_new_group(struct rp *rp, uint16_t *g);
/* A length condition (bsize, filesize, isdataat) appended to the rule. */
int sig_bsize_push(struct rp *rp, const struct sig_bsize *b);

/* sig_kw.c: keyword handlers of the table in sig_rule.c. */
int kw_isdataat(struct rp *rp, const struct opt *o);
int kw_flowbits(struct rp *rp, const struct opt *o);
int kw_flowint(struct rp *rp, const struct opt *o);
int kw_app_event(struct rp *rp, const struct opt *o);
int kw_filemagic(struct rp *rp, const struct opt *o);
int kw_filehash(struct rp *rp, const struct opt *o);
int kw_filesize(struct rp *rp, const struct opt *o);
int kw_base64_decode(struct rp *rp, const struct opt *o);
int kw_base64_data(struct rp *rp, const struct opt *o);
int kw_probe(struct rp *rp, const struct opt *o);
int kw_xform(struct rp *rp, const struct opt *o);
int kw_frame(struct rp *rp, const struct opt *o);
int kw_from_base64(struct rp *rp, const struct opt *o);

#endif
