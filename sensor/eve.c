/*
 * eve — see eve.h.
 */
#include "eve.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

int eve_open_file(const char *log_dir, char *path_out, size_t path_len)
{
	int fd;

	snprintf(path_out, path_len, "%s/eve.json", log_dir);
	fd = open(path_out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	return fd < 0 ? -errno : fd;
}

int eve_buf_init(struct eve_buf *e, int fd, size_t cap)
{
	memset(e, 0, sizeof(*e));
	e->fd = fd;
	e->cap = cap;
	e->buf = malloc(cap);
	return e->buf ? 0 : -ENOMEM;
}

void eve_buf_destroy(struct eve_buf *e)
{
	eve_flush(e);
	free(e->buf);
	e->buf = NULL;
}

static void write_all(struct eve_buf *e, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(e->fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			e->write_errors++;
			return;
		}
		p += w;
		n -= (size_t)w;
		e->bytes += (uint64_t)w;
	}
}

void eve_flush(struct eve_buf *e)
{
	if (e->len) {
		write_all(e, e->buf, e->len);
		e->len = 0;
	}
}

/*
 * Compact JSON of an event tree, as jansson's json_dumpb(JSON_COMPACT)
 * writes it (keys in insertion order, the same escapes: \" \\ \b \f \n
 * \r \t, other control bytes as \u00XX, UTF-8 as it is), without its
 * per-character callback: jansson's dump was an eighth of a run over a
 * capture of many small messages (benchmarks/RESULTS.md). Reals (mailtap
 * logs none) make it give up, and jansson writes the event.
 */
struct jw {
	char *p;
	size_t n, cap;
	bool full, real;
};

static inline void jw_put(struct jw *w, const void *s, size_t k)
{
	if (w->n + k > w->cap) {
		w->full = true;
		return;
	}
	memcpy(w->p + w->n, s, k);
	w->n += k;
}

/* The first byte at or after i that JSON must escape (a control byte,
 * '"', '\\'), or k: 16 bytes at a time with SSE2. */
static size_t jw_special(const char *s, size_t i, size_t k)
{
#ifdef __SSE2__
	const __m128i ctl = _mm_set1_epi8(0x1f), q = _mm_set1_epi8('"'),
		      bs = _mm_set1_epi8('\\');

	for (; i + 16 <= k; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i hit = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v),
					   _mm_or_si128(_mm_cmpeq_epi8(v, q),
							_mm_cmpeq_epi8(v, bs)));
		int m = _mm_movemask_epi8(hit);

		if (m)
			return i + (size_t)__builtin_ctz((unsigned)m);
	}
#endif
	for (; i < k; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == '"' || c == '\\')
			return i;
	}
	return k;
}

static void jw_str(struct jw *w, const char *s, size_t k)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0;

	jw_put(w, "\"", 1);
	for (size_t i = 0; (i = jw_special(s, i, k)) < k; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t el = 2;

		jw_put(w, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			el = 6;
		}
		jw_put(w, esc, el);
	}
	jw_put(w, s + run, k - run);
	jw_put(w, "\"", 1);
}

static void jw_value(struct jw *w, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		bool first = true;

		jw_put(w, "{", 1);
		for (void *it = json_object_iter((json_t *)v); it;
		     it = json_object_iter_next((json_t *)v, it)) {
			const char *key = json_object_iter_key(it);

			if (!first)
				jw_put(w, ",", 1);
			first = false;
#if JANSSON_VERSION_HEX >= 0x020e00
			jw_str(w, key, json_object_iter_key_len(it));
#else
			jw_str(w, key, strlen(key));
#endif
			jw_put(w, ":", 1);
			jw_value(w, json_object_iter_value(it));
		}
		jw_put(w, "}", 1);
		break;
	}
	case JSON_ARRAY:
		jw_put(w, "[", 1);
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				jw_put(w, ",", 1);
			jw_value(w, json_array_get(v, i));
		}
		jw_put(w, "]", 1);
		break;
	case JSON_STRING:
		jw_str(w, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER: {
		json_int_t x = json_integer_value(v);
		/* digits from the end; the magnitude as unsigned (INT64_MIN) */
		unsigned long long u = x < 0 ? 0ull - (unsigned long long)x : (unsigned long long)x;
		char num[24];
		size_t k = sizeof(num);

		do {
			num[--k] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		if (x < 0)
			num[--k] = '-';
		jw_put(w, num + k, sizeof(num) - k);
		break;
	}
	case JSON_TRUE:
		jw_put(w, "true", 4);
		break;
	case JSON_FALSE:
		jw_put(w, "false", 5);
		break;
	case JSON_NULL:
		jw_put(w, "null", 4);
		break;
	default:
		w->real = true;
		break;
	}
}

/* The event at the end of the buffer (flushed first when it does not fit
 * behind what is there); 0 when it does not fit an empty buffer either,
 * or has a real: jansson then writes it. */
static size_t eve_write_fast(struct eve_buf *e, const json_t *obj)
{
	for (int pass = 0; pass < 2; pass++) {
		struct jw w = { e->buf + e->len, 0,
				e->cap - e->len > 0 ? e->cap - e->len - 1 : 0, false, false };

		jw_value(&w, obj);
		if (w.real)
			return 0;
		if (!w.full)
			return w.n;
		if (pass == 0 && e->len)
			eve_flush(e);
		else
			break;
	}
	return 0;
}

void eve_emit(struct eve_buf *e, json_t *obj)
{
	size_t need, room;

	if (!obj) {
		e->dump_errors++;
		return;
	}
	need = eve_write_fast(e, obj);
	if (need) {
		e->len += need;
		e->buf[e->len++] = '\n';
		e->events++;
		json_decref(obj);
		return;
	}
	room = e->cap - e->len;
	need = json_dumpb(obj, e->buf + e->len, room > 0 ? room - 1 : 0, JSON_COMPACT);
	if (need == 0) {
		e->dump_errors++;
	} else if (need < room) {
		e->len += need;
		e->buf[e->len++] = '\n';
		e->events++;
	} else {
		/* Did not fit: flush what is there and retry, or write a huge
		 * event on its own. */
		eve_flush(e);
		if (need < e->cap) {
			json_dumpb(obj, e->buf, e->cap - 1, JSON_COMPACT);
			e->len = need;
			e->buf[e->len++] = '\n';
		} else {
			char *s = json_dumps(obj, JSON_COMPACT);

			if (s) {
				size_t n = strlen(s);

				s[n] = '\n';  /* overwrite the NUL: length known */
				write_all(e, s, n + 1);
				free(s);
			} else {
				e->dump_errors++;
				json_decref(obj);
				return;
			}
		}
		e->events++;
	}
	json_decref(obj);
}

void eve_format_ts(uint64_t ts_us, char *out, size_t outlen)
{
	/* The date and time of the last second formatted, per thread: events
	 * come many to a second, so gmtime/strftime run once a second. */
	static __thread uint64_t last_sec = UINT64_MAX;
	static __thread char base[32];
	static __thread size_t blen;
	uint64_t sec = ts_us / 1000000u;
	unsigned us = (unsigned)(ts_us % 1000000u);
	char *o;

	if (sec != last_sec) {
		time_t t = (time_t)sec;
		struct tm tm;

		gmtime_r(&t, &tm);
		blen = strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
		last_sec = sec;
	}
	if (outlen < blen + 13) {
		snprintf(out, outlen, "%s.%06u+0000", base, us);
		return;
	}
	memcpy(out, base, blen);
	o = out + blen;
	*o++ = '.';
	for (int i = 5; i >= 0; i--) {
		o[i] = (char)('0' + us % 10);
		us /= 10;
	}
	memcpy(o + 6, "+0000", 6);
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629 section 4:
 * no overlongs, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	return n;
}

json_t *eve_string(const void *data, size_t len)
{
	const unsigned char *p = data;
	char small[512];
	char *tmp;
	size_t o = 0;
	json_t *j;

	/* Fast path: valid UTF-8 without control bytes goes straight in. */
	/* A tab is text (folded header lines keep theirs, RFC 5322 2.2.3):
	 * JSON carries it as \t. Other control bytes become \xHH. */
	{
		bool ascii = true;

		for (size_t i = 0; i < len; i++) {
			if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
				goto escape;
			ascii &= p[i] < 0x80;
		}
		/* printable ASCII is valid UTF-8: jansson need not check it
		 * again */
		j = ascii ? json_stringn_nocheck((const char *)p, len) :
			    json_stringn((const char *)p, len);
		if (j)
			return j;
	}
escape:
	tmp = len * 4 + 1 <= sizeof(small) ? small : malloc(len * 4 + 1);
	if (!tmp)
		return json_string("");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		if ((c >= 0x20 && c < 0x7f && c != '\\') || c == '\t') {
			tmp[o++] = (char)c;
		} else if (c == '\\') {
			tmp[o++] = '\\';
			tmp[o++] = '\\';
		} else if (c >= 0x80) {
			/* Keep valid UTF-8 sequences; escape stray bytes. */
			size_t n = utf8_seq_len(p + i, len - i);

			if (n) {
				memcpy(tmp + o, p + i, n);
				o += n;
				i += n - 1;
			} else {
				o += (size_t)sprintf(tmp + o, "\\x%02x", c);
			}
		} else {
			o += (size_t)sprintf(tmp + o, "\\x%02x", c);
		}
	}
	j = json_stringn(tmp, o);
	if (!j)
		j = json_string("");
	if (tmp != small)
		free(tmp);
	return j;
}
