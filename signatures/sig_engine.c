/*
 * sig_engine.c — compile a rule set into Hyperscan databases and the
 * tables the matcher uses to turn pattern matches into rule decisions.
 *
 * Model:
 *  - pattern: one Hyperscan expression, deduplicated on (expression,
 *    flags, offsets, buffer, direction) so that a condition shared by many
 *    rules is scanned once (nocase literals are written lower-cased).
 *  - instance: a rule in one direction. A rule with no flow direction
 *    becomes two instances (to_server and to_client), each needing all of
 *    its contents in that direction's stream, which is what an
 *    IDS inspecting one direction at a time means; smtp.* buffers are
 *    client data, so such rules only have a to_server instance.
 *  - one database per (buffer, direction) that has patterns: the raw
 *    stream, smtp.data, email.body and file.data in streaming mode, the
 *    short buffers in block mode. Pattern ids are dense and global across
 *    databases.
 *  - groups: a rule whose conditions in a multi-instance buffer group must
 *    match in one instance (sig_expr.iscope) and which also has other
 *    conditions is split: a group instance (sig_inst.virt set) holds the
 *    group's conditions, and when they all match in one instance it
 *    "matches" a virtual pattern (an id with no database) that the rule's
 *    instance lists in their place. A rule that is only that group needs no
 *    virtual pattern: it fires when the group matches. Instance-scoped
 *    patterns are distinct from transaction-scoped ones with the same
 *    expression (the scope is part of the dedup key), since only the
 *    former are forgotten when an instance ends.
 *
 * Patterns are the conditions sig_expr.c built for each rule (a literal,
 * a relative chain or a pcre, with hs_expr_ext offsets); a negated
 * condition shares its pattern with positive uses and is marked with
 * SIG_COND_NEG in the instance's condition list.
 * Buffers other than the raw stream use HS_FLAG_SINGLEMATCH: their stream
 * or block lifetime is within one transaction, so one report per pattern
 * is all the matcher needs. The raw stream lives across transactions, so
 * a pattern must be able to report again after sig_flow_tx_end().
 *
 * Start-up code: plain malloc, freed on every failure path. The engine is
 * immutable after sig_engine_build returns.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hs.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sig_internal.h"

struct bpat {
	char *re;                 /* owned copy of the expression; NULL virtual */
	unsigned flags;
	unsigned long long min_off, max_off;
	uint8_t buf, dir;
	bool absolute, confirm, iscope, virt;
	uint32_t hash;
	uint32_t b64;             /* decoder + 1 this match end starts, 0 none */
	uint32_t dec;             /* base64_data pattern of decoder dec - 1 */
	bool trig;                /* sig_expr.b64: a decoder's trigger */
	uint8_t rprobe;           /* sig_expr.probe: the rule's probe + 1 */
	uint32_t probe;           /* engine probe + 1 */
	bool once;                /* sig_expr.once */
	uint32_t delay;           /* sig_expr.delay */
};

struct build {
	struct sig_set *s;
	struct sig_engine *e;
	char *err;
	size_t errlen;

	struct bpat *pat;
	uint32_t npat, cappat;
	uint32_t *ht;             /* pattern index + 1, 0 empty */
	uint32_t htcap;

	struct sig_inst *inst;
	uint32_t ninst, capinst;
	uint32_t *cond;
	uint32_t ncond, capcond;

	uint32_t nhash, caphash;         /* -> e->hash_pid / hash_list */
	uint32_t capdec;                 /* -> e->b64dec */
	uint32_t dec_from;               /* first pattern of the rule being added */
};

static void berr(struct build *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void berr(struct build *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->err, b->errlen, fmt, ap);
	va_end(ap);
}

/* One FNV-1a step over a whole value, and over a string, from h. */
static uint32_t fnv_u32(uint32_t h, uint32_t v)
{
	return (h ^ v) * 16777619u;
}

static uint32_t fnv_str(uint32_t h, const char *p)
{
	for (; *p; p++)
		h = fnv_u32(h, (uint8_t)*p);
	return h;
}

static uint32_t pat_hash(const struct sig_expr *x, uint8_t dir)
{
	uint32_t h = fnv_str(2166136261u, x->re);

	h = fnv_u32(h, x->hsflags);
	h = fnv_u32(h, (uint32_t)x->min_off);
	h = fnv_u32(h, (uint32_t)x->max_off);
	h = fnv_u32(h, x->buf);
	h = fnv_u32(h, dir);
	return fnv_u32(h, x->iscope);
}

static bool pat_eq(const struct bpat *bp, const struct sig_expr *x, uint8_t dir)
{
	return !bp->virt && bp->flags == x->hsflags && bp->min_off == x->min_off &&
		bp->max_off == x->max_off && bp->buf == x->buf && bp->dir == dir &&
		bp->iscope == x->iscope && bp->once == x->once && bp->delay == x->delay &&
		strcmp(bp->re, x->re) == 0;
}

/* A base64_decode trigger, a byte_test/byte_jump probe trigger and
 * base64_data patterns belong to one rule's decoder or probe: never shared,
 * so never in the hash (nor are virtual patterns). */
static bool pat_shared(bool virt, bool trig, uint32_t probe, uint8_t buf)
{
	return !virt && !trig && !probe && buf != SIG_BUF_BASE64;
}

static int ht_grow(struct build *b)
{
	uint32_t cap = b->htcap ? b->htcap * 2 : 1024;
	uint32_t *ht = calloc(cap, sizeof(*ht));

	if (!ht)
		return -1;
	for (uint32_t i = 0; i < b->npat; i++) {
		const struct bpat *bp = &b->pat[i];
		uint32_t h = bp->hash & (cap - 1);

		if (!pat_shared(bp->virt, bp->trig, bp->rprobe, bp->buf))
			continue;
		while (ht[h])
			h = (h + 1) & (cap - 1);
		ht[h] = i + 1;
	}
	free(b->ht);
	b->ht = ht;
	b->htcap = cap;
	return 0;
}

/* A new pattern slot (zeroed), or NULL. */
static struct bpat *pat_new(struct build *b)
{
	if (b->npat >= SIG_ID_MAX)
		return NULL;
	if (sig_reserve(&b->pat, &b->cappat, b->npat + 1, sizeof(*b->pat), 256) != 0)
		return NULL;
	memset(&b->pat[b->npat], 0, sizeof(b->pat[0]));
	return &b->pat[b->npat];
}

/* Id of a new virtual pattern (a group of buf matched), never shared. */
static int64_t pat_virtual(struct build *b, uint8_t buf, uint8_t dir)
{
	struct bpat *bp = pat_new(b);

	if (!bp)
		return -1;
	bp->buf = buf;
	bp->dir = dir;
	bp->virt = true;
	return b->npat++;
}

/* Id of the pattern for this condition in this direction, interned. */
static int64_t pat_intern(struct build *b, const struct sig_expr *x, uint8_t dir)
{
	uint32_t hash = pat_hash(x, dir), h;
	struct bpat *bp;
	bool unique = !pat_shared(false, x->b64, x->probe, x->buf);

	if ((b->npat + 1) * 2 > b->htcap && ht_grow(b) != 0)
		return -1;
	for (h = hash & (b->htcap - 1); !unique && b->ht[h]; h = (h + 1) & (b->htcap - 1)) {
		bp = &b->pat[b->ht[h] - 1];
		if (bp->hash == hash && pat_eq(bp, x, dir))
			return b->ht[h] - 1;
	}
	bp = pat_new(b);
	if (!bp)
		return -1;
	bp->re = strdup(x->re);
	if (!bp->re)
		return -1;
	bp->flags = x->hsflags;
	bp->min_off = x->min_off;
	bp->max_off = x->max_off;
	bp->buf = x->buf;
	bp->dir = dir;
	bp->absolute = x->absolute;
	bp->confirm = x->confirm;
	bp->iscope = x->iscope;
	bp->trig = x->b64;
	bp->rprobe = x->probe;
	bp->once = x->once;
	bp->delay = x->delay;
	bp->hash = hash;
	if (!unique)
		b->ht[h] = b->npat + 1;
	return b->npat++;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Append an instance whose conditions are conds[0..n) (pattern ids, with
 * SIG_COND_NEG on negated ones), sorted and deduplicated: a condition
 * repeated in a rule is one condition.
 */
static int push_inst(struct build *b, uint32_t ri, uint8_t dir, const uint32_t *conds,
		     uint32_t n, int8_t neg_buf, uint32_t virt)
{
	struct sig_inst *in;
	uint32_t off = b->ncond, k = 0;

	if (b->ninst >= SIG_ID_MAX)
		return -1;
	if (sig_reserve(&b->cond, &b->capcond, b->ncond + n, sizeof(*b->cond), 1024) != 0)
		return -1;
	memcpy(b->cond + off, conds, n * sizeof(*conds));
	qsort(b->cond + off, n, sizeof(uint32_t), u32_cmp);
	for (uint32_t i = 0; i < n; i++)
		if (k == 0 || b->cond[off + k - 1] != b->cond[off + i])
			b->cond[off + k++] = b->cond[off + i];
	b->ncond += k;

	if (sig_reserve(&b->inst, &b->capinst, b->ninst + 1, sizeof(*b->inst), 256) != 0)
		return -1;
	in = &b->inst[b->ninst++];
	in->rule = ri;
	in->dir = dir;
	in->cond_off = off;
	in->ncond = k;
	in->neg_buf = neg_buf;
	in->virt = virt;
	return 0;
}

/*
 * The base64_decode decoder of rule ri in the direction being added: its
 * trigger is
 * the pattern of the expression flagged b64 (for a decode from the
 * buffer's start, the buffer's first byte: sig_expr.c), its base64_data
 * patterns are the rule's SIG_BUF_BASE64 patterns interned for this
 * direction (those from b->dec_from on). Patterns of both kinds are unique
 * to the rule (pat_intern), so they can carry the decoder index.
 */
static int add_decoder(struct build *b, uint32_t ri)
{
	const struct sig_rule *r = &b->s->rules[ri];
	struct sig_engine *e = b->e;
	struct sig_b64dec *d;
	uint32_t k = e->nb64dec;

	if (sig_reserve(&e->b64dec, &b->capdec, k + 1, sizeof(*e->b64dec), 8) != 0)
		return -1;
	d = &e->b64dec[k];
	memset(d, 0, sizeof(*d));
	d->offset = r->b64.offset;
	d->from_start = !r->b64.relative;
	d->bytes = r->b64.bytes;
	d->stop = r->b64.stop;
	for (uint32_t p = b->dec_from; p < b->npat; p++) {
		if (b->pat[p].virt)
			continue;
		if (b->pat[p].buf == SIG_BUF_BASE64)
			b->pat[p].dec = k + 1;
		if (b->pat[p].trig)
			b->pat[p].b64 = k + 1;
	}
	e->nb64dec = k + 1;
	return 0;
}

/*
 * The instances of rule ri in direction dir: one for the rule, plus one
 * per instance-scoped group when the rule has conditions outside that group
 * (see the top of the file). A negated rule is a single group (sig_expr.c).
 */
static int add_instance(struct build *b, uint32_t ri, uint8_t dir)
{
	const struct sig_rule *r = &b->s->rules[ri];
	uint32_t *rc = malloc((r->nexpr + r->nhl + r->nprobe + 1u) * sizeof(*rc));
	uint32_t *gc = malloc((r->nexpr ? r->nexpr : 1) * sizeof(*gc));
	bool *done = calloc(r->nexpr ? r->nexpr : 1, sizeof(*done));
	uint32_t nrc = 0;
	int ret = -1;

	if (!rc || !gc || !done)
		goto out;
	b->dec_from = b->npat;
	for (uint32_t i = 0; i < r->nexpr; i++) {
		const struct sig_expr *x = &r->expr[i];
		uint32_t ngc = 0;
		int64_t id;

		if (done[i])
			continue;
		if (!x->iscope || r->neg_buf >= 0) {
			id = pat_intern(b, x, dir);
			if (id < 0)
				goto out;
			rc[nrc++] = (uint32_t)id | (x->neg ? SIG_COND_NEG : 0);
			continue;
		}
		for (uint32_t j = i; j < r->nexpr; j++) {
			if (r->expr[j].buf != x->buf || r->expr[j].group != x->group)
				continue;
			id = pat_intern(b, &r->expr[j], dir);
			if (id < 0)
				goto out;
			gc[ngc++] = (uint32_t)id;
			done[j] = true;
		}
		if (ngc == r->nexpr) {
			/* the whole rule is this group */
			memcpy(rc, gc, ngc * sizeof(*gc));
			nrc = ngc;
			continue;
		}
		id = pat_virtual(b, x->buf, dir);
		if (id < 0 || push_inst(b, ri, dir, gc, ngc, -1, (uint32_t)id) != 0)
			goto out;
		rc[nrc++] = (uint32_t)id;
	}
	/* Digest lists: one virtual pattern each, decided by
	 * sig_scan_file_hashes (rc has room: the rule's conditions are at
	 * most nexpr + nhl; see the allocation). */
	for (unsigned k = 0; k < r->nhl; k++) {
		int64_t id = pat_virtual(b, SIG_BUF_FILE_DATA, dir);
		struct sig_engine *e = b->e;

		if (id < 0)
			goto out;
		if (b->nhash == b->caphash) {
			uint32_t cap = b->caphash ? b->caphash * 2 : 16;
			uint32_t *np = realloc(e->hash_pid, cap * sizeof(*np));
			const struct sig_hashlist **nl;

			if (!np)
				goto out;
			e->hash_pid = np;
			nl = realloc(e->hash_list, cap * sizeof(*nl));
			if (!nl)
				goto out;
			e->hash_list = nl;
			b->caphash = cap;
		}
		e->hash_pid[b->nhash] = (uint32_t)id;
		e->hash_list[b->nhash++] = &r->hl[k];
		e->nhash = b->nhash;
		e->need_hash |= (uint8_t)(1u << r->hl[k].kind);
		rc[nrc++] = (uint32_t)id;
	}
	if (r->b64.on && add_decoder(b, ri) != 0)
		goto out;
	/* probes: a virtual pattern each ("it held"), set off by the unique
	 * pattern of the expression whose match end it reads from */
	for (unsigned k = 0; k < r->nprobe; k++) {
		struct sig_engine *e = b->e;
		int64_t id = pat_virtual(b, r->probe[k].buf, dir);
		struct sig_eprobe *np;

		if (id < 0)
			goto out;
		np = realloc(e->probes, (e->nprobes + 1) * sizeof(*np));
		if (!np)
			goto out;
		e->probes = np;
		e->probes[e->nprobes] = (struct sig_eprobe){ &r->probe[k], (uint32_t)id };
		for (uint32_t p = b->dec_from; p < b->npat; p++)
			if (!b->pat[p].virt && b->pat[p].rprobe == k + 1 && b->pat[p].dir == dir)
				b->pat[p].probe = e->nprobes + 1;
		e->nprobes++;
		rc[nrc++] = (uint32_t)id;
	}
	ret = push_inst(b, ri, dir, rc, nrc, r->neg_buf, SIG_NO_VIRT);
out:
	free(rc);
	free(gc);
	free(done);
	return ret;
}

/* Pattern -> instances index, and the per-pattern flags. */
static int build_index(struct build *b)
{
	struct sig_engine *e = b->e;
	uint32_t *fill;

	e->pat = calloc(b->npat ? b->npat : 1, sizeof(*e->pat));
	e->pat_inst = malloc((b->ncond ? b->ncond : 1) * sizeof(uint32_t));
	fill = calloc(b->npat ? b->npat : 1, sizeof(*fill));
	if (!e->pat || !e->pat_inst || !fill) {
		free(fill);
		return -1;
	}
	e->npat = b->npat;
	for (uint32_t i = 0; i < b->npat; i++) {
		e->pat[i].buf = b->pat[i].buf;
		e->pat[i].dir = b->pat[i].dir;
		e->pat[i].session = sig_buf_is_session(b->pat[i].buf) ||
			(b->pat[i].once && b->pat[i].buf == SIG_BUF_STREAM);
		e->pat[i].absolute = b->pat[i].absolute;
		e->pat[i].iscope = b->pat[i].iscope;
		e->pat[i].b64 = b->pat[i].b64;
		e->pat[i].probe = b->pat[i].probe;
		e->pat[i].delay = b->pat[i].delay;
		e->pat[i].pos = b->pat[i].b64 || b->pat[i].probe || b->pat[i].delay ||
			(b->pat[i].confirm && sig_buf_is_stream(b->pat[i].buf));
		if (b->pat[i].confirm) {
			int ec;
			PCRE2_SIZE eo;

			/* checked at parse time; only memory can fail here */
			e->pat[i].re2 = pcre2_compile((PCRE2_SPTR)b->pat[i].re,
						      PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
			if (!e->pat[i].re2) {
				free(fill);
				return -1;
			}
			e->nconfirm++;
		}
	}
	for (uint32_t i = 0; i < b->ninst; i++) {
		const struct sig_inst *in = &b->inst[i];

		for (uint32_t j = 0; j < in->ncond; j++) {
			struct sig_pat *p = &e->pat[b->cond[in->cond_off + j] & ~SIG_COND_NEG];

			p->inst_n++;
			/* Instances decided at the end of a stream (smtp.data,
			 * email.body, file.data) read every condition from the
			 * flow's record. */
			if ((in->ncond > 1 && in->neg_buf < 0) ||
			    (in->neg_buf >= 0 && sig_buf_is_stream((unsigned)in->neg_buf)))
				p->recorded = true;
		}
	}
	/* An instance of a block buffer is one scan: its instance-scoped
	 * conditions are all seen by that scan and never need recording
	 * (recording them would make them outlive their instance). */
	for (uint32_t i = 0; i < b->npat; i++)
		if (e->pat[i].iscope && !sig_buf_is_stream(e->pat[i].buf) &&
		    e->pat[i].buf != SIG_BUF_BASE64)   /* decoded as it streams */
			e->pat[i].recorded = false;
	for (uint32_t i = 0, off = 0; i < b->npat; i++) {
		e->pat[i].inst_off = off;
		off += e->pat[i].inst_n;
	}
	for (uint32_t i = 0; i < b->ninst; i++) {
		const struct sig_inst *in = &b->inst[i];

		for (uint32_t j = 0; j < in->ncond; j++) {
			uint32_t pid = b->cond[in->cond_off + j] & ~SIG_COND_NEG;

			e->pat_inst[e->pat[pid].inst_off + fill[pid]++] = i;
		}
	}
	free(fill);
	/* Negation instances, grouped by (buffer, direction). */
	{
		uint32_t nneg = 0, w = 0;

		for (uint32_t i = 0; i < b->ninst; i++)
			nneg += b->inst[i].neg_buf >= 0;
		e->neg_inst = malloc((nneg ? nneg : 1) * sizeof(uint32_t));
		if (!e->neg_inst)
			return -1;
		for (unsigned bf = 0; bf < SIG_BUF_COUNT; bf++) {
			for (unsigned d = 0; d < 2; d++) {
				e->neg_off[bf][d] = w;
				for (uint32_t i = 0; i < b->ninst; i++)
					if (b->inst[i].neg_buf == (int8_t)bf && b->inst[i].dir == d)
						e->neg_inst[w++] = i;
				e->neg_n[bf][d] = w - e->neg_off[bf][d];
			}
		}
	}
	/* Hand the instance tables over to the engine. */
	e->inst = b->inst;
	e->ninst = b->ninst;
	e->inst_cond = b->cond;
	b->inst = NULL;
	b->cond = NULL;
	return 0;
}

static void report_pattern(struct build *b, uint32_t pid, const char *msg)
{
	const struct sig_engine *e = b->e;

	if (e->pat[pid].inst_n) {
		const struct sig_inst *in = &e->inst[e->pat_inst[e->pat[pid].inst_off]];
		const struct sig_rule_meta *m = &b->s->rules[in->rule].meta;

		berr(b, "%s:%u: sid %u: %s", m->file, m->line, m->sid, msg);
	} else {
		berr(b, "pattern %u: %s", pid, msg);
	}
}

/*
 * The databases (compile_dbs): one per buffer and direction (dec 0), and
 * one per base64 decoder dec - 1 for its base64_data patterns (streaming:
 * a window is decoded and scanned as its bytes arrive, sig_scan_win.c). A
 * buffer's database is loaded from the set's cache directory (sig_cache.c)
 * when an entry for exactly these inputs is there; a decoder's is not
 * cached (a rule's few contents, quick to compile). The rest compile in
 * parallel; on a Hyperscan error the rule is named (job_finish).
 */
static bool db_has(const struct bpat *p, uint8_t buf, uint8_t dir, uint32_t dec)
{
	if (dec)
		return p->dec == dec;
	return p->buf == buf && p->dir == dir && !p->virt;
}

/* One database to build (compile_db): its inputs, then its result. */
struct db_job {
	uint8_t buf, dir;
	uint32_t dec;
	unsigned mode;
	bool use_cache, cached;
	unsigned n;                      /* patterns; 0: no database */
	char **expr;
	unsigned *flags, *ids;
	hs_expr_ext_t *ext;
	const hs_expr_ext_t **extp;
	uint8_t key[32];
	hs_database_t *db;
	hs_compile_error_t *cerr;
	hs_error_t hrc;
	bool alias;                      /* the raw stream to_client: its
					  * patterns are in the to_server job's
					  * database, which it shares (stream_merge) */
};

static void job_free(struct db_job *j)
{
	free(j->expr);
	free(j->ext);
	free(j->extp);
	free(j->flags);
	free(j->ids);
	hs_free_compile_error(j->cerr);
	hs_free_database(j->db);        /* NULL once installed */
	memset(j, 0, sizeof(*j));
}

/* The job's pattern list. -1 only when out of memory (reported). */
static int job_prepare(struct build *b, struct db_job *j, uint8_t buf, uint8_t dir,
		       uint32_t dec)
{
	unsigned n = 0;

	memset(j, 0, sizeof(*j));
	j->buf = buf;
	j->dir = dir;
	j->dec = dec;
	j->mode = dec || sig_buf_is_stream(buf) ? HS_MODE_STREAM : HS_MODE_BLOCK;
	j->use_cache = !dec && b->s->cache_dir[0];
	for (uint32_t i = 0; i < b->npat; i++)
		n += db_has(&b->pat[i], buf, dir, dec);
	if (n == 0)
		return 0;
	j->expr = calloc(n, sizeof(*j->expr));
	j->flags = calloc(n, sizeof(*j->flags));
	j->ids = calloc(n, sizeof(*j->ids));
	j->ext = calloc(n, sizeof(*j->ext));
	j->extp = calloc(n, sizeof(*j->extp));
	if (!j->expr || !j->flags || !j->ids || !j->ext || !j->extp) {
		berr(b, "out of memory");
		return -1;
	}
	for (uint32_t i = 0; i < b->npat; i++) {
		if (!db_has(&b->pat[i], buf, dir, dec))
			continue;
		j->expr[j->n] = b->pat[i].re;
		j->flags[j->n] = b->pat[i].flags;
		if (b->pat[i].min_off) {
			j->ext[j->n].flags |= HS_EXT_FLAG_MIN_OFFSET;
			j->ext[j->n].min_offset = b->pat[i].min_off;
		}
		if (b->pat[i].max_off) {
			j->ext[j->n].flags |= HS_EXT_FLAG_MAX_OFFSET;
			j->ext[j->n].max_offset = b->pat[i].max_off;
		}
		j->extp[j->n] = (j->ext[j->n].flags) ? &j->ext[j->n] : NULL;
		/* A prefilter pattern on a stream must report every match:
		 * PCRE2 judges each against the bytes around it, and the
		 * first may be rejected where a later one holds. A decoder's
		 * patterns are plain contents: the first match decides. */
		if (dec || (buf != SIG_BUF_STREAM && !(sig_buf_is_stream(buf) && b->pat[i].confirm)) ||
		    b->pat[i].once)
			j->flags[j->n] |= HS_FLAG_SINGLEMATCH;
		j->ids[j->n] = i;
		j->n++;
	}
	return 0;
}

/* The job's database from the cache, when there (an alias has none of its
 * own to look up). */
static void job_cache_load(struct build *b, struct db_job *j)
{
	if (j->use_cache && j->n && !j->alias) {
		const struct sig_cache_req rq = {
			.mode = j->mode, .n = j->n, .expr = (const char *const *)j->expr,
			.flags = j->flags, .ids = j->ids,
			.ext = (const struct hs_expr_ext *const *)j->extp,
		};

		j->db = (hs_database_t *)sig_cache_load(b->e, b->s, &rq, j->key);
		j->cached = j->db != NULL;
	}
}

/* Give job j room for n patterns (its arrays are sized to its own). */
static int job_grow(struct db_job *j, unsigned n)
{
	char **expr = realloc(j->expr, n * sizeof(*expr));

	if (expr)
		j->expr = expr;
	unsigned *flags = realloc(j->flags, n * sizeof(*flags));

	if (flags)
		j->flags = flags;
	unsigned *ids = realloc(j->ids, n * sizeof(*ids));

	if (ids)
		j->ids = ids;
	const hs_expr_ext_t **extp = realloc(j->extp, n * sizeof(*extp));

	if (extp)
		j->extp = extp;
	hs_expr_ext_t *ext = realloc(j->ext, n * sizeof(*ext));

	/* Each array is the job's own whether its realloc worked or not (a
	 * failed one leaves the old array), so job_free() frees what is
	 * there; extp points into ext, which may have moved. */
	if (ext) {
		for (unsigned i = 0; i < j->n; i++)
			if (j->extp[i])
				j->extp[i] = &ext[i];
		j->ext = ext;
	}
	return expr && flags && ids && extp && ext ? 0 : -1;
}

/*
 * For a block-mode database Hyperscan also builds a "small write" engine, a
 * DFA of every pattern for inputs of a few dozen bytes, unless some pattern
 * cannot be part of it: one with a minimum length does not. That DFA is
 * most of a block database's compile: the xgen rules' 236-pattern one took
 * 33 ms with it and 7 without (smtpgen's header databases, whose patterns
 * already keep Hyperscan from building it, are unchanged). Block scans
 * (header values, names: short buffers) are under 1% of a run, and the
 * DFA saves them only a few ns each (30 against 32 ns on 16 bytes, 42
 * against 48 on 64), so every block database gets this pattern, which
 * nothing matches in practice and whose id no rule has (a scan ignores
 * ids past the engine's patterns).
 */
#define NO_SMALL_WRITE_RE "\\x00\\xff\\xfe[\\x00-\\xff]{0,4}\\xfd\\x01"
#define NO_SMALL_WRITE_ID UINT32_MAX

/* Hyperscan's compile of a job not found in the cache: no shared state, so
 * jobs compile in parallel (hs_compile is thread-safe). A block database
 * gets the no-small-write pattern after the job's own (past j->n: the
 * job's key and its error reports are about its patterns); without memory
 * for it, the database is compiled as it is. */
static void job_compile(struct db_job *j)
{
	static char no_smwr_re[] = NO_SMALL_WRITE_RE;
	unsigned n = j->n;

	if (!j->n || j->db || j->alias)
		return;
	if (j->mode == HS_MODE_BLOCK && job_grow(j, n + 1) == 0) {
		j->expr[n] = no_smwr_re;
		j->flags[n] = HS_FLAG_SINGLEMATCH;
		j->ids[n] = NO_SMALL_WRITE_ID;
		j->ext[n] = (hs_expr_ext_t){ .flags = HS_EXT_FLAG_MIN_LENGTH, .min_length = 6 };
		j->extp[n] = &j->ext[n];
		n++;
	}
	j->hrc = hs_compile_ext_multi((const char *const *)j->expr, j->flags, j->ids, j->extp, n,
				      j->mode, NULL, &j->db, &j->cerr);
}

/*
 * What compiling job j is guessed to cost, to start the dearest first
 * (below). Measured per database on the xgen, smtpgen and ET Open rule
 * sets, Hyperscan's compile time follows the expressions' length plus their
 * bounded repeats' upper bounds (a {0,329} costs more than its text), and
 * a block-mode database takes about four times a stream one of the same
 * patterns: smtpgen's 78-pattern header databases 50-84 ms, its raw stream
 * ones 17-20 ms.
 */
static uint64_t job_cost(const struct db_job *j)
{
	uint64_t c = 0;

	if (!j->n || j->db || j->alias)
		return 0;
	for (unsigned i = 0; i < j->n; i++)
		c += 4 * sig_re_repeats(j->expr[i], NULL) + strlen(j->expr[i]);
	return j->mode == HS_MODE_BLOCK ? 4 * c : c;
}

struct compile_pool {
	struct db_job *jobs;
	const unsigned *order;           /* dearest first */
	unsigned njobs, next;            /* next: taken atomically */
};

static void *compile_worker(void *arg)
{
	struct compile_pool *p = arg;

	for (;;) {
		unsigned i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);

		if (i >= p->njobs)
			return NULL;
		job_compile(&p->jobs[p->order[i]]);
	}
}

/* Compile the jobs on up to one thread per CPU (at most 8; start-up and
 * reload only, never the packet path): a rule set's databases are
 * independent, and compiling is most of a start without a cache. Fewer
 * threads when they cannot be made; the calling thread is one of them.
 * The dearest job goes first (job_cost), so the longest one does not
 * start last while the other threads have run out of work: on the xgen
 * rules, before the small-write change above, the block database that
 * took 45 ms began after the 11 ms one and 58 ms passed where 46 do.
 * Without memory for the costs, the order is the jobs' own. */
static void compile_all(struct db_job *jobs, unsigned njobs, unsigned *order)
{
	struct compile_pool p = { jobs, order, njobs, 0 };
	pthread_t th[7];
	unsigned want = 0, started = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t *cost = calloc(njobs ? njobs : 1, sizeof(*cost));

	for (unsigned i = 0; i < njobs; i++) {
		want += jobs[i].n && !jobs[i].db && !jobs[i].alias;
		order[i] = i;
		if (cost)
			cost[i] = job_cost(&jobs[i]);
	}
	/* insertion sort, dearest first: a few dozen jobs */
	for (unsigned i = 1; cost && i < njobs; i++)
		for (unsigned k = i; k > 0 && cost[order[k]] > cost[order[k - 1]]; k--) {
			unsigned t = order[k];

			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	free(cost);
	if (cpus < 1)
		cpus = 1;
	if (want > (unsigned)cpus)
		want = (unsigned)cpus;
	if (want > 8)
		want = 8;
	while (started + 1 < want && pthread_create(&th[started], NULL, compile_worker, &p) == 0)
		started++;
	compile_worker(&p);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}

/*
 * Install a compiled (or cached) job's database, or report why it failed:
 * the error usually carries the expression index; when it does not
 * (resource limits), compile each pattern alone to find one that fails by
 * itself. Jobs are finished in order, so the first failure reported is the
 * one a one-by-one build would have met.
 */
static int job_finish(struct build *b, struct db_job *j)
{
	struct sig_engine *e = b->e;
	hs_database_t *db = j->db;
	size_t sz = 0;

	if (j->n == 0)
		return 0;
	if (j->alias) {
		/* installed after its to_server twin (jobs finish in order) */
		e->db[j->buf][j->dir] = e->db[j->buf][SIG_DIR_TO_SERVER];
		e->stream_size[j->buf][j->dir] = e->stream_size[j->buf][SIG_DIR_TO_SERVER];
		return 0;
	}
	if (!db) {
		int bad = j->cerr ? j->cerr->expression : -1;

		for (unsigned i = 0; bad < 0 && i < j->n; i++) {
			hs_database_t *one = NULL;
			hs_compile_error_t *e1 = NULL;

			if (hs_compile_ext_multi((const char *const *)&j->expr[i], &j->flags[i],
						 &j->ids[i], &j->extp[i], 1, j->mode, NULL, &one,
						 &e1) != HS_SUCCESS)
				bad = (int)i;
			hs_free_database(one);
			hs_free_compile_error(e1);
		}
		if (bad >= 0 && (unsigned)bad < j->n)
			report_pattern(b, j->ids[bad], j->cerr ? j->cerr->message : "compile failed");
		else if (j->dec)
			report_pattern(b, j->ids[0], j->cerr ? j->cerr->message : "compile failed");
		else
			berr(b, "buffer %s (%s): %s", sig_buf_name(j->buf),
			     j->dir == SIG_DIR_TO_SERVER ? "to_server" : "to_client",
			     j->cerr ? j->cerr->message : "compile failed");
		return -1;
	}
	j->db = NULL;                   /* the engine's from here */
	if (j->dec)
		e->b64dec[j->dec - 1].db = (struct hs_database *)db;
	else
		e->db[j->buf][j->dir] = (struct hs_database *)db;
	if (j->use_cache && !j->cached)
		sig_cache_store(e, b->s, j->key, (struct hs_database *)db);
	if (hs_database_size(db, &sz) == HS_SUCCESS)
		e->db_bytes += sz;
	if (!j->dec && j->mode == HS_MODE_STREAM && hs_stream_size(db, &sz) == HS_SUCCESS)
		e->stream_size[j->buf][j->dir] = sz;
	if (hs_alloc_scratch(db, (hs_scratch_t **)&e->proto) != HS_SUCCESS) {
		berr(b, "hs_alloc_scratch failed");
		return -1;
	}
	return 0;
}

/* Pattern i of job a is pattern k of job c for Hyperscan. */
static bool job_pat_eq(const struct db_job *a, unsigned i, const struct db_job *c, unsigned k)
{
	const hs_expr_ext_t *x = a->extp[i], *y = c->extp[k];

	return a->flags[i] == c->flags[k] && strcmp(a->expr[i], c->expr[k]) == 0 && !x == !y &&
		(!x || (x->flags == y->flags && x->min_offset == y->min_offset &&
			x->max_offset == y->max_offset));
}

static uint32_t job_pat_hash(const struct db_job *j, unsigned i)
{
	uint32_t h = fnv_u32(fnv_str(2166136261u, j->expr[i]), j->flags[i]);

	if (j->extp[i])
		h = fnv_u32(h, (uint32_t)j->extp[i]->min_offset ^ (uint32_t)j->extp[i]->max_offset);
	return h;
}

/*
 * The raw stream's two directions share one database, compiled (or loaded)
 * once: the union of their pattern lists. A rule without a direction
 * (`alert tcp any any -> any any`, the usual form) puts its patterns in
 * both, a `flow:to_client` one only in the second. Hyperscan's compile is
 * mostly a fixed cost per database: on the xgen rules the to_server list
 * (435 patterns) took 18 ms and the to_client one (83, 59 of them also
 * to_server) 10, their union 19. A first start saves the second compile;
 * the server's replies, a small part of a session's bytes, are scanned
 * against the larger database.
 *
 * The union's ids are to_server pattern ids, and the ids of to_client
 * patterns without a to_server twin. e->stream_remap[dir] turns a match id
 * into that direction's pattern, or SIG_NO_PAT when the pattern belongs
 * to the other direction only (sig_scan.c drops the match); NULL when
 * every id is that direction's own.
 */
static int stream_merge(struct build *b, struct db_job *ts, struct db_job *tc)
{
	struct sig_engine *e = b->e;
	uint32_t cap = 16, *ht = NULL, *rts = NULL, *rtc = NULL;
	unsigned n0 = ts->n;

	if (ts->n == 0 || tc->n == 0)
		return 0;
	while (cap < 2u * ts->n)
		cap *= 2;
	ht = calloc(cap, sizeof(*ht));
	rts = malloc((size_t)b->npat * sizeof(*rts));
	rtc = malloc((size_t)b->npat * sizeof(*rtc));
	if (!ht || !rts || !rtc || job_grow(ts, ts->n + tc->n) != 0)
		goto oom;
	for (uint32_t i = 0; i < b->npat; i++)
		rts[i] = rtc[i] = SIG_NO_PAT;
	for (unsigned i = 0; i < n0; i++) {
		uint32_t h = job_pat_hash(ts, i) & (cap - 1);

		while (ht[h])
			h = (h + 1) & (cap - 1);
		ht[h] = i + 1;
		rts[ts->ids[i]] = ts->ids[i];
	}
	for (unsigned k = 0; k < tc->n; k++) {
		uint32_t h = job_pat_hash(tc, k) & (cap - 1);
		unsigned i;

		for (; ht[h]; h = (h + 1) & (cap - 1))
			if (job_pat_eq(ts, ht[h] - 1, tc, k) && rtc[ts->ids[ht[h] - 1]] == SIG_NO_PAT)
				break;
		if (ht[h]) {
			rtc[ts->ids[ht[h] - 1]] = tc->ids[k];
			continue;
		}
		i = ts->n++;
		ts->expr[i] = tc->expr[k];
		ts->flags[i] = tc->flags[k];
		ts->ids[i] = tc->ids[k];
		ts->extp[i] = NULL;
		if (tc->extp[k]) {
			ts->ext[i] = *tc->extp[k];
			ts->extp[i] = &ts->ext[i];
		}
		rtc[tc->ids[k]] = tc->ids[k];
	}
	free(ht);
	/* to_server needs its map only for to_client patterns in the union */
	if (ts->n == n0) {
		free(rts);
		rts = NULL;
	}
	e->stream_remap[SIG_DIR_TO_SERVER] = rts;
	e->stream_remap[SIG_DIR_TO_CLIENT] = rtc;
	tc->alias = true;
	return 0;
oom:
	free(ht);
	free(rts);
	free(rtc);
	berr(b, "out of memory");
	return -1;
}

/* Every database of the build: the buffers' (but the base64 decoders'
 * buffer, which has one small database per decoder instead), then the
 * decoders'. */
static int compile_dbs(struct build *b)
{
	unsigned nj = 0, max = SIG_BUF_COUNT * 2 + b->e->nb64dec;
	struct db_job *jobs = calloc(max ? max : 1, sizeof(*jobs));
	unsigned *order = calloc(max ? max : 1, sizeof(*order));
	int rc = 0;

	if (!jobs || !order) {
		free(jobs);
		free(order);
		berr(b, "out of memory");
		return -1;
	}
	for (uint8_t buf = 0; buf < SIG_BUF_COUNT && !rc; buf++)
		for (uint8_t d = 0; d < 2 && !rc; d++)
			if (buf != SIG_BUF_BASE64)
				rc = job_prepare(b, &jobs[nj++], buf, d, 0);
	for (uint32_t k = 0; k < b->e->nb64dec && !rc; k++)
		rc = job_prepare(b, &jobs[nj++], SIG_BUF_BASE64, SIG_DIR_TO_SERVER, k + 1);
	/* jobs[0], jobs[1]: the raw stream to_server, to_client */
	if (!rc)
		rc = stream_merge(b, &jobs[SIG_DIR_TO_SERVER], &jobs[SIG_DIR_TO_CLIENT]);
	for (unsigned i = 0; i < nj && !rc; i++)
		job_cache_load(b, &jobs[i]);
	if (!rc)
		compile_all(jobs, nj, order);
	for (unsigned i = 0; i < nj && !rc; i++)
		rc = job_finish(b, &jobs[i]);
	for (unsigned i = 0; i < nj; i++)
		job_free(&jobs[i]);
	free(jobs);
	free(order);
	return rc;
}

static void build_free(struct build *b)
{
	for (uint32_t i = 0; i < b->npat; i++)
		free(b->pat[i].re);
	free(b->pat);
	free(b->ht);
	free(b->inst);
	free(b->cond);
}

static void engine_free_parts(struct sig_engine *e)
{
	for (int i = 0; i < SIG_BUF_COUNT; i++)
		for (int d = 0; d < 2; d++)
			if (d == 0 || e->db[i][1] != e->db[i][0])
				hs_free_database((hs_database_t *)e->db[i][d]);
	free(e->stream_remap[0]);
	free(e->stream_remap[1]);
	hs_free_scratch((hs_scratch_t *)e->proto);
	for (uint32_t i = 0; e->pat && i < e->npat; i++)
		pcre2_code_free(e->pat[i].re2);
	free(e->pat);
	free(e->pat_inst);
	free(e->inst);
	free(e->inst_cond);
	free(e->neg_inst);
	free(e->hash_pid);
	free(e->hash_list);
	free(e->probes);
	for (uint32_t k = 0; e->b64dec && k < e->nb64dec; k++)
		hs_free_database((hs_database_t *)e->b64dec[k].db);
	free(e->b64dec);
	free(e);
}

int sig_engine_build(struct sig_set *s, struct sig_engine **out,
		     char *err, size_t errlen)
{
	struct build b = { .s = s, .err = err, .errlen = errlen };
	char dummy[1];

	if (!b.err || !b.errlen) {
		b.err = dummy;
		b.errlen = sizeof(dummy);
	}
	b.err[0] = '\0';
	if (!s || !out) {
		berr(&b, "invalid arguments");
		return -EINVAL;
	}
	*out = NULL;
	b.e = calloc(1, sizeof(*b.e));
	if (!b.e) {
		berr(&b, "out of memory");
		sig_set_free(s);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < s->nrules; i++) {
		for (uint8_t d = 0; d < 2; d++) {
			if (!(s->rules[i].dirs & (1u << d)))
				continue;
			if (add_instance(&b, i, d) != 0) {
				berr(&b, "out of memory (or more than %u patterns)", SIG_ID_MAX);
				goto fail;
			}
		}
	}
	if (build_index(&b) != 0) {
		berr(&b, "out of memory");
		goto fail;
	}
	if (compile_dbs(&b) != 0)
		goto fail;
	sig_verdicts_store(b.e, s);
	sig_cache_prune(b.e, s);
	build_free(&b);
	b.e->set = s;
	*out = b.e;
	return 0;
fail:
	build_free(&b);
	engine_free_parts(b.e);
	sig_set_free(s);
	return -EINVAL;
}

void sig_engine_free(struct sig_engine *e)
{
	if (!e)
		return;
	sig_set_free(e->set);
	engine_free_parts(e);
}

bool sig_engine_has_buf(const struct sig_engine *e, enum sig_buf b)
{
	if (!e || (unsigned)b >= SIG_BUF_COUNT)
		return false;
	return e->db[b][SIG_DIR_TO_SERVER] || e->db[b][SIG_DIR_TO_CLIENT];
}

bool sig_engine_needs_hash(const struct sig_engine *e, enum sig_hash h)
{
	return e && (unsigned)h < SIG_HASH_COUNT && (e->need_hash >> h) & 1;
}

unsigned sig_engine_rule_count(const struct sig_engine *e)
{
	return e ? e->set->nrules : 0;
}

unsigned sig_engine_pattern_count(const struct sig_engine *e)
{
	return e ? e->npat : 0;
}

size_t sig_engine_db_bytes(const struct sig_engine *e)
{
	return e ? e->db_bytes : 0;
}
