/*
 * sig_threshold — Suricata's `threshold:` and `detection_filter:` (rate
 * limits on a rule's alerts), parsed here and enforced per worker thread.
 *
 * A rule "matches" once per transaction (sig_scan.c fire()); these options
 * decide whether that match is an alert, from how many matches of the rule
 * the tracked key (source address, destination address, both, or the rule
 * alone) had in the current window of `seconds`:
 *   threshold type limit      the first `count` matches of each window alert
 *   threshold type threshold  every `count`-th match in a window alerts
 *   threshold type both       the `count`-th match of a window alerts, once
 *   detection_filter          every match after the `count`-th of a window
 * A window starts with the first match of its key and lasts `seconds` of
 * capture time (sig_thread_set_clock).
 *
 * Memory: a fixed table per thread (SIG_THR_SLOTS entries, allocated only
 * when some rule has such an option), open addressing over a short probe;
 * when every probed slot is taken the entry whose window started first is
 * replaced and counted (threshold_evicted): an attacker spraying source
 * addresses can reset a limit — never grow memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sig_internal.h"

int sig_threshold_parse(const char *v, size_t len, bool detection_filter,
			struct sig_threshold *out, char *err, size_t errlen)
{
	struct sig_threshold t = { 0 };
	bool have_type = detection_filter, have_track = false, have_count = false,
	     have_sec = false;
	size_t i = 0;

	t.type = detection_filter ? SIG_THR_DETECTION : 0;
	while (i < len) {
		size_t j = i, k, vs, ve;
		const char *key;
		size_t klen;

		while (j < len && v[j] != ',')
			j++;
		/* "key value" */
		k = i;
		while (k < j && is_space(v[k]))
			k++;
		key = v + k;
		while (k < j && !is_space(v[k]))
			k++;
		klen = (size_t)(key - v) <= k ? k - (size_t)(key - v) : 0;
		vs = k;
		while (vs < j && is_space(v[vs]))
			vs++;
		ve = j;
		while (ve > vs && is_space(v[ve - 1]))
			ve--;
		if (tok_eq(key, klen, "type") && !detection_filter) {
			if (tok_eq(v + vs, ve - vs, "limit"))
				t.type = SIG_THR_LIMIT;
			else if (tok_eq(v + vs, ve - vs, "threshold"))
				t.type = SIG_THR_THRESHOLD;
			else if (tok_eq(v + vs, ve - vs, "both"))
				t.type = SIG_THR_BOTH;
			else
				goto bad;
			have_type = true;
		} else if (tok_eq(key, klen, "track")) {
			if (tok_eq(v + vs, ve - vs, "by_src"))
				t.track = SIG_TRACK_SRC;
			else if (tok_eq(v + vs, ve - vs, "by_dst"))
				t.track = SIG_TRACK_DST;
			else if (tok_eq(v + vs, ve - vs, "by_both"))
				t.track = SIG_TRACK_BOTH;
			else if (tok_eq(v + vs, ve - vs, "by_rule"))
				t.track = SIG_TRACK_RULE;
			else
				goto bad;
			have_track = true;
		} else if (tok_eq(key, klen, "count") || tok_eq(key, klen, "seconds")) {
			uint32_t x;

			if (!sig_parse_uint(v + vs, ve - vs, 1000000000u, &x))
				goto bad;
			if (key[0] == 'c' || key[0] == 'C') {
				t.count = (uint32_t)x;
				have_count = true;
			} else {
				t.seconds = (uint32_t)x;
				have_sec = true;
			}
		} else {
			goto bad;
		}
		i = j + 1;
	}
	if (!have_type || !have_track || !have_count || !have_sec || t.count == 0 ||
	    t.seconds == 0) {
		snprintf(err, errlen, "%s needs type, track, count >= 1 and seconds >= 1",
			 detection_filter ? "detection_filter" : "threshold");
		return -1;
	}
	*out = t;
	return 0;
bad:
	snprintf(err, errlen, "invalid %s '%.*s'",
		 detection_filter ? "detection_filter" : "threshold", (int)(len > 80 ? 80 : len), v);
	return -1;
}

/* ---- per-thread table --------------------------------------------------- */

#define SIG_THR_PROBE 8

struct sig_thr_entry {
	uint32_t rule_plus1;             /* 0: free */
	uint32_t count;
	uint64_t start_us;
	uint8_t key[32];
	bool fired;                      /* "both": this window alerted */
};

struct sig_thr_table {
	struct sig_thr_entry *e;
	uint32_t mask;
	uint64_t seed;
};

struct sig_thr_table *sig_thr_new(uint32_t slots)
{
	struct sig_thr_table *t = calloc(1, sizeof(*t));
	uint32_t n = 1024;

	while (n < slots && n < (1u << 24))
		n <<= 1;
	if (!t || !(t->e = calloc(n, sizeof(*t->e)))) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	t->seed = (uint64_t)(uintptr_t)t * 0x9e3779b97f4a7c15ull;
	return t;
}

void sig_thr_free(struct sig_thr_table *t)
{
	if (t)
		free(t->e);
	free(t);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

bool sig_thr_allow(struct sig_thr_table *t, const struct sig_threshold *th, uint32_t rule,
		   const uint8_t src[16], const uint8_t dst[16], uint64_t now_us,
		   uint64_t *evicted)
{
	uint8_t key[32] = { 0 };
	uint64_t h = mix(t->seed, rule), win = (uint64_t)th->seconds * 1000000u;
	struct sig_thr_entry *e = NULL, *oldest = NULL;

	if (th->track == SIG_TRACK_SRC || th->track == SIG_TRACK_BOTH)
		memcpy(key, src, 16);
	if (th->track == SIG_TRACK_DST)
		memcpy(key, dst, 16);
	if (th->track == SIG_TRACK_BOTH)
		memcpy(key + 16, dst, 16);
	for (unsigned i = 0; i < 32; i += 8) {
		uint64_t w;

		memcpy(&w, key + i, 8);
		h = mix(h, w);
	}
	for (unsigned p = 0; p < SIG_THR_PROBE; p++) {
		struct sig_thr_entry *c = &t->e[(h + p) & t->mask];

		if (c->rule_plus1 == rule + 1 && memcmp(c->key, key, 32) == 0) {
			e = c;
			break;
		}
		if (!c->rule_plus1 && !e)
			e = c;         /* the first free slot, unless the key follows */
		if (!oldest || c->start_us < oldest->start_us)
			oldest = c;
	}
	if (!e) {
		e = oldest;
		(*evicted)++;
	}
	if (e->rule_plus1 != rule + 1 || memcmp(e->key, key, 32) != 0 ||
	    now_us >= e->start_us + win || now_us < e->start_us) {
		e->rule_plus1 = rule + 1;
		memcpy(e->key, key, 32);
		e->start_us = now_us;
		e->count = 0;
		e->fired = false;
	}
	e->count++;
	switch (th->type) {
	case SIG_THR_LIMIT:
		return e->count <= th->count;
	case SIG_THR_THRESHOLD:
		if (e->count < th->count)
			return false;
		e->count = 0;
		return true;
	case SIG_THR_BOTH:
		if (e->count < th->count || e->fired)
			return false;
		e->fired = true;
		return true;
	default:                        /* detection_filter */
		return e->count > th->count;
	}
}
