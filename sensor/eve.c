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
	if (e->fd < 0) {
		e->len = 0;     /* a side buffer: nothing to write to */
		return;
	}
	if (e->len) {
		write_all(e, e->buf, e->len);
		e->len = 0;
	}
}

/*
 * The writer: compact JSON as jansson's json_dumpb(JSON_COMPACT) writes it
 * (keys in order, the same escapes: \" \\ \b \f \n \r \t, other control
 * bytes as \u00XX, UTF-8 as it is), straight into the buffer. jansson's
 * own dump was an eighth of a run over a capture of many small messages
 * (per-character callback), and building the tree it dumps as much again.
 */

/* Room for k more bytes of the event and its line end: write out what
 * precedes the event, then grow. */
static bool jb_grow(struct jb *b, size_t k)
{
	struct eve_buf *e = b->e;
	size_t nc;
	char *nb;

	if (b->failed)
		return false;
	if (e->fd >= 0 && b->start > 0) {
		write_all(e, e->buf, b->start);
		memmove(e->buf, e->buf + b->start, e->len - b->start);
		e->len -= b->start;
		b->start = 0;
		if (e->len + k + 1 <= e->cap)
			return true;
	}
	nc = e->cap ? e->cap : 4096;
	while (nc < e->len + k + 1) {
		if (nc >= EVE_EVENT_MAX) {
			b->failed = true;
			return false;
		}
		nc *= 2;
	}
	nb = realloc(e->buf, nc);
	if (!nb) {
		b->failed = true;
		return false;
	}
	e->buf = nb;
	e->cap = nc;
	return true;
}

static inline void jb_put(struct jb *b, const void *s, size_t k)
{
	struct eve_buf *e = b->e;

	if (__builtin_expect(e->len + k + 1 > e->cap, 0) && !jb_grow(b, k))
		return;
	memcpy(e->buf + e->len, s, k);
	e->len += k;
}

static inline void jb_c(struct jb *b, char c)
{
	struct eve_buf *e = b->e;

	if (__builtin_expect(e->len + 2 > e->cap, 0) && !jb_grow(b, 1))
		return;
	e->buf[e->len++] = c;
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

/* One byte JSON must escape, escaped. */
static void jw_escape(struct jb *b, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[6];
	size_t el = 2;

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
	jb_put(b, esc, el);
}

/* The JSON string of k bytes of UTF-8. */
static void jw_str(struct jb *b, const char *s, size_t k)
{
	size_t run = 0;

	jb_c(b, '"');
	for (size_t i = 0; (i = jw_special(s, i, k)) < k; i++) {
		jb_put(b, s + run, i - run);
		run = i + 1;
		jw_escape(b, (unsigned char)s[i]);
	}
	jb_put(b, s + run, k - run);
	jb_c(b, '"');
}

/* Before a member: the comma after the previous one, and the key. */
static inline void jb_sep(struct jb *b, const char *key)
{
	uint32_t bit = 1u << b->depth;

	if (b->more & bit)
		jb_c(b, ',');
	b->more |= bit;
	if (key) {
		jw_str(b, key, strlen(key));
		jb_c(b, ':');
	}
}

static void jb_open(struct jb *b, const char *key, char c)
{
	jb_sep(b, key);
	jb_c(b, c);
	if (b->depth + 1 > JB_DEPTH_MAX) {
		b->failed = true;
		return;
	}
	b->depth++;
	b->more &= ~(1u << b->depth);
}

static void jb_close(struct jb *b, char c)
{
	jb_c(b, c);
	if (b->depth)
		b->depth--;
}

void jb_begin(struct jb *b, struct eve_buf *e)
{
	memset(b, 0, sizeof(*b));
	b->e = e;
	b->start = e->len;
	jb_c(b, '{');
}

bool jb_end(struct jb *b)
{
	jb_c(b, '}');
	if (b->failed) {
		b->e->len = b->start;
		b->e->dump_errors++;
		return false;
	}
	return true;
}

void jb_event_end(struct jb *b)
{
	if (!jb_end(b))
		return;
	/* jb_put always leaves room for this byte */
	b->e->buf[b->e->len++] = '\n';
	b->e->events++;
}

void jb_obj(struct jb *b, const char *key) { jb_open(b, key, '{'); }
void jb_obj_end(struct jb *b) { jb_close(b, '}'); }
void jb_arr(struct jb *b, const char *key) { jb_open(b, key, '['); }
void jb_arr_end(struct jb *b) { jb_close(b, ']'); }

void jb_strn(struct jb *b, const char *key, const char *s, size_t n)
{
	jb_sep(b, key);
	jw_str(b, s, n);
}

void jb_str(struct jb *b, const char *key, const char *s)
{
	if (s)          /* as json_string(NULL): no member */
		jb_strn(b, key, s, strlen(s));
}

void jb_int(struct jb *b, const char *key, int64_t x)
{
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
	jb_sep(b, key);
	jb_put(b, num + k, sizeof(num) - k);
}

void jb_bool(struct jb *b, const char *key, bool v)
{
	jb_sep(b, key);
	jb_put(b, v ? "true" : "false", v ? 4 : 5);
}

void jb_raw(struct jb *b, const char *key, const char *json, size_t n)
{
	jb_sep(b, key);
	jb_put(b, json, n);
}

static void jb_value(struct jb *b, const char *key, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		jb_open(b, key, '{');
		for (void *it = json_object_iter((json_t *)v); it;
		     it = json_object_iter_next((json_t *)v, it)) {
			const char *k = json_object_iter_key(it);
			const json_t *val = json_object_iter_value(it);

			/* keys may hold any UTF-8 but NUL: jb_sep's strlen
			 * sees the whole key */
			jb_value(b, k, val);
		}
		jb_close(b, '}');
		break;
	case JSON_ARRAY:
		jb_open(b, key, '[');
		for (size_t i = 0; i < json_array_size(v); i++)
			jb_value(b, NULL, json_array_get(v, i));
		jb_close(b, ']');
		break;
	case JSON_STRING:
		jb_strn(b, key, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		jb_int(b, key, (int64_t)json_integer_value(v));
		break;
	case JSON_TRUE:
		jb_bool(b, key, true);
		break;
	case JSON_FALSE:
		jb_bool(b, key, false);
		break;
	case JSON_NULL:
		jb_sep(b, key);
		jb_put(b, "null", 4);
		break;
	default:
		b->real = true;
		break;
	}
}

void eve_emit(struct eve_buf *e, json_t *obj)
{
	struct jb b = { .e = e, .start = e->len };
	char *s;

	if (!obj) {
		e->dump_errors++;
		return;
	}
	if (!json_is_object(obj)) {
		b.real = true;
	} else {
		jb_value(&b, NULL, obj);
		if (!b.failed && !b.real) {
			e->buf[e->len++] = '\n';
			e->events++;
			json_decref(obj);
			return;
		}
	}
	/* a real (mailtap logs none), or no memory: jansson writes it */
	e->len = b.start;
	s = b.failed ? NULL : json_dumps(obj, JSON_COMPACT);
	if (s) {
		struct jb r = { .e = e, .start = e->len };

		jb_put(&r, s, strlen(s));
		if (!r.failed) {
			e->buf[e->len++] = '\n';
			e->events++;
		} else {
			e->len = r.start;
			e->dump_errors++;
		}
		free(s);
	} else {
		e->dump_errors++;
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

bool eve_utf8_valid(const void *data, size_t n)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < n;) {
		size_t k;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq_len(p + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

/* Whether eve_string keeps the bytes as they are: no control byte (a tab
 * is text), no DEL, valid UTF-8. 16 plain ASCII bytes at a time. */
static bool wire_plain(const unsigned char *p, size_t n)
{
	size_t i = 0;

#ifdef __SSE2__
	const __m128i ctl = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8('\t'),
		      del = _mm_set1_epi8(0x7f);

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i c = _mm_andnot_si128(_mm_cmpeq_epi8(v, tab),
					     _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));

		if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(c, _mm_cmpeq_epi8(v, del)), v)))
			break;
	}
#endif
	while (i < n) {
		unsigned char c = p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
		if (c < 0x80) {
			i++;
		} else {
			size_t k = utf8_seq_len(p + i, n - i);

			if (!k)
				return false;
			i += k;
		}
	}
	return true;
}

void jb_wire(struct jb *b, const char *key, const void *data, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t run = 0, i = 0;

	jb_sep(b, key);
	if (wire_plain(p, n)) {
		jw_str(b, (const char *)p, n);
		return;
	}
	/* eve_string's escaped form, then JSON's escapes of it */
	jb_c(b, '"');
	while (i < n) {
		unsigned char c = p[i];
		size_t k;

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			i++;
			continue;
		}
		jb_put(b, p + run, i - run);
		if (c == '"') {
			jb_put(b, "\\\"", 2);
		} else if (c == '\\') {
			jb_put(b, "\\\\\\\\", 4);
		} else if (c == '\t') {
			jb_put(b, "\\t", 2);
		} else if (c >= 0x80 && (k = utf8_seq_len(p + i, n - i)) != 0) {
			jb_put(b, p + i, k);
			i += k;
			run = i;
			continue;
		} else {
			char x[5] = { '\\', '\\', 'x', hex[c >> 4], hex[c & 15] };

			jb_put(b, x, 5);
		}
		i++;
		run = i;
	}
	jb_put(b, p + run, n - run);
	jb_c(b, '"');
}

void jb_text(struct jb *b, const char *key, const char *s)
{
	size_t n = strlen(s);

	if (eve_utf8_valid(s, n))
		jb_strn(b, key, s, n);
	else
		jb_wire(b, key, s, n);
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
