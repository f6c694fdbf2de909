/*
 * test_eve — EVE lines against jansson:
 *  - thousands of generated event trees (nested objects and arrays,
 *    integers at the edges, strings of every control byte, quotes,
 *    backslashes and multi-byte UTF-8, keys alike) are written through
 *    eve_emit, which serialises them itself, and must come out byte for
 *    byte as json_dumpb(JSON_COMPACT) writes them; in a buffer large
 *    enough, one that must be flushed first, and one too small (it grows);
 *    a real falls back to jansson;
 *  - the direct writer (struct jb): generated events written member by
 *    member must equal the jansson tree the same members make, wire bytes
 *    (jb_wire) equal to eve_string's string of them: random bytes with
 *    invalid, overlong, surrogate and cut UTF-8, control bytes, DEL,
 *    quotes and backslashes; kept objects (jb_end, jb_raw) inside;
 *    events larger than the buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "eve.h"

static unsigned long long rng = 88172645463325252ull;
/* generated strings whose first byte to escape lies past the first 16:
 * eve.c's SSE2 scan must step over a whole clean block to find it */
static unsigned past_first_block;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* k pieces drawn at random, joined into buf ("" stands for one NUL). */
static size_t join_pieces(char *buf, const char *const *pieces, size_t np, size_t k)
{
	size_t n = 0;

	for (size_t i = 0; i < k; i++) {
		const char *p = pieces[rnd((unsigned)np)];
		size_t pl = p[0] ? strlen(p) : 1;

		memcpy(buf + n, p, pl);
		n += pl;
	}
	return n;
}

/* A valid UTF-8 string of up to 40 pieces drawn from the hard ones. */
static json_t *rnd_string(char *buf, size_t *len)
{
	static const char *const pieces[] = {
		"a", "Z", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", "\x01", "\x1f",
		"\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xe2\x80\xa8", "\x00",
		/* clean runs, so an escape also falls in a later 16-byte block */
		"Received: from mx", "caf\xc3\xa9 d\xc3\xa9j\xc3\xa0 vu \xe2\x82\xac",
	};
	size_t n = join_pieces(buf, pieces, sizeof(pieces) / sizeof(pieces[0]), rnd(41));

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == '"' || buf[i] == '\\') {
			past_first_block += i >= 16;
			break;
		}
	*len = n;
	return json_stringn(buf, n);
}

static json_t *rnd_value(int depth)
{
	char s[1024]; /* 40 pieces of at most 24 bytes, and a NUL */
	size_t n;

	switch (depth > 3 ? 2 + rnd(5) : rnd(7)) {
	case 0: {
		json_t *o = json_object();

		for (unsigned i = rnd(6); i > 0; i--) {
			json_t *k = rnd_string(s, &n);

			/* keys are C strings: no NUL inside */
			if (!memchr(s, 0, n)) {
				s[n] = 0;
				json_object_set_new(o, s, rnd_value(depth + 1));
			}
			json_decref(k);
		}
		return o;
	}
	case 1: {
		json_t *a = json_array();

		for (unsigned i = rnd(6); i > 0; i--)
			json_array_append_new(a, rnd_value(depth + 1));
		return a;
	}
	case 2:
		return rnd_string(s, &n);
	case 3: {
		static const json_int_t edges[] = { 0, 1, -1, 9, 10, -10, 2147483648LL,
						    INT64_MAX, INT64_MIN, 1234567890123LL };

		return json_integer(rnd(2) ? edges[rnd(10)] : (json_int_t)rnd(1000000) - 500000);
	}
	case 4:
		return json_true();
	case 5:
		return json_false();
	default:
		return json_null();
	}
}

/* What eve_emit wrote for obj with a buffer of cap bytes already holding
 * `fill` bytes, as a string (malloc'd). */
static char *through_eve(json_t *obj, size_t cap, size_t fill, size_t *outlen)
{
	FILE *f = tmpfile();
	struct eve_buf e;
	char *out;
	long n;

	if (!f || eve_buf_init(&e, fileno(f), cap) != 0)
		return NULL;
	memset(e.buf, 'x', fill);
	e.len = fill;
	eve_emit(&e, obj);
	eve_buf_destroy(&e);
	n = ftell(f);
	out = malloc((size_t)n + 1);
	rewind(f);
	if (out && fread(out, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	fclose(f);
	*outlen = (size_t)n;
	return out;
}

/* Random wire bytes: pieces that are valid and invalid UTF-8 of every
 * kind, control bytes, DEL, quotes, backslashes, plain runs. */
static size_t rnd_wire(unsigned char *buf)
{
	static const char *const pieces[] = {
		"a", " ", "\"", "\\", "\t", "\r\n", "\x01", "\x1f", "\x7f", "\x80", "\xbf",
		"\xc0\xaf", "\xc2", "\xc3\xa9", "\xe0\x80\x80", "\xe2\x82\xac", "\xe2\x82",
		"\xed\xa0\x80", "\xef\xbf\xbf", "\xf0\x9f\x98\x80", "\xf4\x90\x80\x80",
		"\xf5", "\xff", "\x00", "Subject: hello world, ",
		"plain ASCII text long enough to fill a vector",
	};
	return join_pieces((char *)buf, pieces, sizeof(pieces) / sizeof(pieces[0]), rnd(30));
}

/* Members of one object written both ways: into the tree `o` and through
 * b. Keys are distinct (a tree replaces a repeated key in place). */
static void rnd_members(json_t *o, struct jb *b, int depth)
{
	unsigned n = rnd(7);

	for (unsigned i = 0; i < n; i++) {
		char key[16];
		unsigned char w[2048];
		size_t wl;

		snprintf(key, sizeof(key), "k%u", i);
		switch (depth > 2 ? rnd(4) : rnd(7)) {
		case 0:
			wl = rnd_wire(w);
			json_object_set_new(o, key, eve_string(w, wl));
			jb_wire(b, key, w, wl);
			break;
		case 1: {
			int64_t v = rnd(2) ? INT64_MIN + (int64_t)rnd(3) : (int64_t)rnd(100000) - 50000;

			json_object_set_new(o, key, json_integer(v));
			jb_int(b, key, v);
			break;
		}
		case 2:
			json_object_set_new(o, key, json_boolean(rnd(2)));
			jb_bool(b, key, json_is_true(json_object_get(o, key)));
			break;
		case 3: {
			static const char *const texts[] = { "smtp", "PARSE_DONE", "caf\xc3\xa9",
							     "tab\there", "q\"uote\\" };
			const char *t = texts[rnd(5)];

			json_object_set_new(o, key, json_string(t));
			jb_str(b, key, t);
			break;
		}
		case 4: {
			json_t *c = json_object();

			jb_obj(b, key);
			rnd_members(c, b, depth + 1);
			jb_obj_end(b);
			json_object_set_new(o, key, c);
			break;
		}
		case 5: {
			json_t *a = json_array();

			jb_arr(b, key);
			for (unsigned j = rnd(5); j > 0; j--) {
				wl = rnd_wire(w);
				json_array_append_new(a, eve_string(w, wl));
				jb_wire(b, NULL, w, wl);
			}
			jb_arr_end(b);
			json_object_set_new(o, key, a);
			break;
		}
		default: {
			/* an object kept as text (jb_end into a side buffer) */
			json_t *c = json_object();
			struct eve_buf kept;
			struct jb sb;

			if (eve_buf_init(&kept, -1, 32) != 0)
				break;
			jb_begin(&sb, &kept);
			rnd_members(c, &sb, depth + 1);
			if (jb_end(&sb))
				jb_raw(b, key, kept.buf, kept.len);
			eve_buf_destroy(&kept);
			json_object_set_new(o, key, c);
			break;
		}
		}
	}
}

/* Generated events through the direct writer, against jansson. */
static void test_direct(void)
{
	unsigned mismatches = 0, escaped = 0;

	for (int i = 0; i < 4000; i++) {
		FILE *f = tmpfile();
		struct eve_buf e;
		/* roomy; small enough that events flush and grow */
		size_t cap = i % 2 ? 1 << 16 : 64;
		json_t *o = json_object();
		char *want, *got;
		struct jb b;
		long n;

		if (!f || eve_buf_init(&e, fileno(f), cap) != 0)
			return;
		jb_begin(&b, &e);
		rnd_members(o, &b, 0);
		jb_event_end(&b);
		eve_buf_destroy(&e);
		want = json_dumps(o, JSON_COMPACT);
		n = ftell(f);
		got = malloc((size_t)n + 1);
		rewind(f);
		if (!want || !got || fread(got, 1, (size_t)n, f) != (size_t)n ||
		    (size_t)n != strlen(want) + 1 || memcmp(got, want, (size_t)n - 1) != 0 ||
		    got[n - 1] != '\n') {
			if (mismatches++ < 3)
				fprintf(stderr, "direct mismatch (cap %zu):\n  jansson %s\n  jb      %.*s\n",
					cap, want ? want : "", (int)n, got ? got : "");
		}
		escaped += want && strstr(want, "\\\\x") != NULL;
		free(want);
		free(got);
		json_decref(o);
		fclose(f);
	}
	CHECK_EQ_U(mismatches, 0);
	/* the wire strings took eve_string's escaped form often */
	CHECK(escaped > 500);
	fprintf(stderr, "test_eve: direct writer, 4000 events, %u with escaped wire bytes\n",
		escaped);
}

int main(void)
{
	unsigned mismatches = 0;

	test_direct();

	for (int i = 0; i < 4000; i++) {
		/* an event is an object */
		json_t *v = json_pack("{s:o,s:o}", "a", rnd_value(0), "b", rnd_value(1));
		char *want = json_dumps(v, JSON_COMPACT);
		size_t wl = want ? strlen(want) : 0;
		/* roomy; needing a flush first; smaller than the event */
		size_t caps[3] = { 1 << 16, wl + 8, wl > 4 ? wl / 2 : 2 };
		size_t fills[3] = { 0, 6, 0 };

		for (int k = 0; k < 3; k++) {
			size_t gl;
			char *got;

			json_incref(v);
			got = through_eve(v, caps[k], fills[k], &gl);
			if (!got || gl != fills[k] + wl + 1 || got[gl - 1] != '\n' ||
			    memcmp(got + fills[k], want, wl) != 0) {
				if (mismatches++ < 3)
					fprintf(stderr, "mismatch (cap %zu):\n  jansson %s\n  eve     %.*s",
						caps[k], want, (int)gl, got ? got : "");
			}
			free(got);
		}
		free(want);
		json_decref(v);
	}
	CHECK_EQ_U(mismatches, 0);
	/* the corpus reached the vector scan's second block, not just its
	 * first (a generator drawing escapes too often never would) */
	CHECK(past_first_block > 100);
	/* a real: jansson writes the event */
	{
		json_t *o = json_pack("{s:f,s:i}", "rate", 0.5, "n", 3);
		size_t gl;
		char *got = through_eve(o, 4096, 0, &gl);

		CHECK(got && gl == strlen("{\"rate\":0.5,\"n\":3}\n") &&
		      memcmp(got, "{\"rate\":0.5,\"n\":3}\n", gl) == 0);
		free(got);
	}
	return check_summary("test_eve");
}
