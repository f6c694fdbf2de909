/*
 * sig_tconf — Suricata's threshold.config: `threshold` / `event_filter`
 * (a rate limit replacing the rule's own threshold:) and `suppress` (no
 * alert for given source or destination addresses, or none at all), by
 * gen_id and sig_id, applied to the rules already in the set. The rate
 * limits themselves are sig_threshold.c's; suppression is checked where a
 * rule fires (sig_scan.c). `rate_filter` changes actions (IPS) and is
 * reported as unsupported.
 *
 * Start-up code: plain malloc. A line is split on commas outside [...]
 * (an address list holds commas).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sig_internal.h"

#define TCONF_FIELDS 12

struct field {
	const char *k, *v;
	size_t kl, vl;
};

/* "name value, name value, ..." -> fields; -1 if more than fit. */
static int split_fields(const char *p, size_t len, struct field *f, unsigned *nf)
{
	size_t i = 0;

	*nf = 0;
	while (i < len) {
		size_t j = i, k;
		int depth = 0;

		while (j < len && (p[j] != ',' || depth > 0)) {
			depth += p[j] == '[' ? 1 : p[j] == ']' ? -1 : 0;
			j++;
		}
		if (*nf == TCONF_FIELDS)
			return -1;
		k = i;
		while (k < j && is_space(p[k]))
			k++;
		f[*nf].k = p + k;
		while (k < j && !is_space(p[k]))
			k++;
		f[*nf].kl = (size_t)(p + k - f[*nf].k);
		f[*nf].v = p + k;
		f[*nf].vl = j - k;
		trim(&f[*nf].v, &f[*nf].vl);
		if (f[*nf].kl)
			(*nf)++;
		i = j + 1;
	}
	return 0;
}

static bool key_is(const struct field *f, const char *k)
{
	return f->kl == strlen(k) && strncmp(f->k, k, f->kl) == 0;
}

static bool num(const struct field *f, uint32_t *out)
{
	return sig_parse_uint(f->v, f->vl, UINT32_MAX, out);
}

static int apply_line(struct sig_set *s, const char *line, char *err, size_t errlen,
		      unsigned *matched)
{
	const char *p = line, *kw;
	size_t len = strlen(line), kwl;
	struct field f[TCONF_FIELDS];
	unsigned nf, gid = 0, sid = 0;
	bool have_gid = false, have_sid = false, is_sup;
	char rest[512];
	size_t rl = 0;
	struct sig_threshold th = { 0 };
	struct sig_suppress sup = { .track = SIG_SUP_ALL };
	bool have_ip = false;

	trim(&p, &len);
	kw = p;
	while (len && !is_space(*p)) {
		p++;
		len--;
	}
	kwl = (size_t)(p - kw);
	is_sup = kwl == 8 && strncmp(kw, "suppress", 8) == 0;
	if (!is_sup && !(kwl == 9 && strncmp(kw, "threshold", 9) == 0) &&
	    !(kwl == 12 && strncmp(kw, "event_filter", 12) == 0)) {
		snprintf(err, errlen, "unsupported threshold.config entry '%.*s'", (int)kwl, kw);
		return -1;
	}
	if (split_fields(p, len, f, &nf) != 0) {
		snprintf(err, errlen, "too many fields");
		return -1;
	}
	rest[0] = '\0';
	for (unsigned i = 0; i < nf; i++) {
		uint32_t v;

		if (key_is(&f[i], "gen_id") || key_is(&f[i], "sig_id")) {
			if (!num(&f[i], &v)) {
				snprintf(err, errlen, "invalid %.*s", (int)f[i].kl, f[i].k);
				return -1;
			}
			if (f[i].k[0] == 'g') {
				gid = v;
				have_gid = true;
			} else {
				sid = v;
				have_sid = true;
			}
		} else if (is_sup && key_is(&f[i], "track")) {
			if (f[i].vl == 6 && strncmp(f[i].v, "by_src", 6) == 0)
				sup.track = SIG_SUP_SRC;
			else if (f[i].vl == 6 && strncmp(f[i].v, "by_dst", 6) == 0)
				sup.track = SIG_SUP_DST;
			else if (f[i].vl == 9 && strncmp(f[i].v, "by_either", 9) == 0)
				sup.track = SIG_SUP_EITHER;
			else {
				snprintf(err, errlen, "invalid suppress track '%.*s'",
					 (int)f[i].vl, f[i].v);
				return -1;
			}
		} else if (is_sup && key_is(&f[i], "ip")) {
			char e2[128];

			if (have_ip || sig_rset_parse(s, SIG_RSET_ADDR, f[i].v, f[i].vl, &sup.addrs,
						      e2, sizeof(e2)) != 0) {
				snprintf(err, errlen, "invalid suppress ip: %s",
					 have_ip ? "given twice" : e2);
				if (have_ip)
					sig_rset_free(&sup.addrs);
				return -1;
			}
			have_ip = true;
		} else if (!is_sup) {
			/* the rule keyword's syntax: type, track, count, seconds */
			int n = snprintf(rest + rl, sizeof(rest) - rl, "%s%.*s %.*s", rl ? ", " : "",
					 (int)f[i].kl, f[i].k, (int)f[i].vl, f[i].v);

			if (n < 0 || (size_t)n >= sizeof(rest) - rl) {
				snprintf(err, errlen, "line too long");
				return -1;
			}
			rl += (size_t)n;
		} else {
			snprintf(err, errlen, "unsupported suppress option '%.*s'", (int)f[i].kl,
				 f[i].k);
			goto fail;
		}
	}
	if (!have_gid || !have_sid) {
		snprintf(err, errlen, "gen_id and sig_id are required");
		goto fail;
	}
	if (is_sup && (sup.track == SIG_SUP_ALL) != !have_ip) {
		snprintf(err, errlen, "suppress needs both track and ip, or neither");
		goto fail;
	}
	if (!is_sup && sig_threshold_parse(rest, rl, false, &th, err, errlen) != 0)
		return -1;
	*matched = 0;
	for (uint32_t i = 0; i < s->nrules; i++) {
		struct sig_rule *r = &s->rules[i];
		struct sig_suppress *ns;

		if ((gid && r->meta.gid != gid) || (sid && r->meta.sid != sid))
			continue;
		(*matched)++;
		if (!is_sup) {
			r->thr = th;
			continue;
		}
		if (r->nsup == UINT8_MAX ||
		    !(ns = realloc(r->sup, (r->nsup + 1u) * sizeof(*ns)))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		r->sup = ns;
		r->sup[r->nsup] = sup;
		/* each rule owns its copy of the address set */
		if (have_ip) {
			struct sig_range *rr = malloc(sup.addrs.n * sizeof(*rr));

			if (!rr) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			memcpy(rr, sup.addrs.r, sup.addrs.n * sizeof(*rr));
			r->sup[r->nsup].addrs.r = rr;
		}
		r->nsup++;
	}
	if (have_ip)
		sig_rset_free(&sup.addrs);
	return 0;
fail:
	if (have_ip)
		sig_rset_free(&sup.addrs);
	return -1;
}

int sig_set_load_threshold_file(struct sig_set *s, const char *path,
				sig_diag_fn diag, void *diag_user)
{
	FILE *fp = fopen(path, "r");
	char line[1024], err[256];
	unsigned lineno = 0;

	if (!fp)
		return -errno;
	while (fgets(line, sizeof(line), fp)) {
		const char *p = line;
		size_t len = strlen(line);
		unsigned matched = 0;

		lineno++;
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			int ch;
			bool comment;

			/* the rest of an over-long line is not a line of its own */
			while ((ch = fgetc(fp)) != EOF && ch != '\n')
				;
			trim(&p, &len);
			comment = *p == '#';
			if (!comment && diag)
				diag(diag_user, path, lineno, 0, "line too long");
			continue;
		}
		trim(&p, &len);
		if (len == 0 || *p == '#')
			continue;
		((char *)p)[len] = '\0';
		err[0] = '\0';
		if (apply_line(s, p, err, sizeof(err), &matched) != 0) {
			if (diag)
				diag(diag_user, path, lineno, 0, err);
		} else if (matched == 0 && diag) {
			diag(diag_user, path, lineno, 0, "no loaded rule has this gen_id/sig_id");
		}
	}
	fclose(fp);
	return 0;
}
