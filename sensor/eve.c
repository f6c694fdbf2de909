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

void eve_emit(struct eve_buf *e, json_t *obj)
{
	size_t need, room;

	if (!obj) {
		e->dump_errors++;
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
	time_t sec = (time_t)(ts_us / 1000000u);
	struct tm tm;
	char base[32];

	gmtime_r(&sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, outlen, "%s.%06u+0000", base, (unsigned)(ts_us % 1000000u));
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
	for (size_t i = 0; i < len; i++)
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			goto escape;
	j = json_stringn((const char *)p, len);
	if (j)
		return j;
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
