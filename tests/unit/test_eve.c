/*
 * test_eve — EVE lines against jansson: thousands of generated event trees
 * (nested objects and arrays, integers at the edges, strings of every
 * control byte, quotes, backslashes and multi-byte UTF-8, keys alike) are
 * written through eve_emit, which serialises them itself, and must come out
 * byte for byte as json_dumpb(JSON_COMPACT) writes them; in a buffer
 * large enough, one that must be flushed first, and one too small (the
 * jansson path); a real falls back to jansson too.
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

/* A valid UTF-8 string of up to 40 pieces drawn from the hard ones. */
static json_t *rnd_string(char *buf, size_t *len)
{
	static const char *const pieces[] = {
		"a", "Z", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", "\x01", "\x1f",
		"\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xe2\x80\xa8", "\x00",
		/* clean runs, so an escape also falls in a later 16-byte block */
		"Received: from mx", "caf\xc3\xa9 d\xc3\xa9j\xc3\xa0 vu \xe2\x82\xac",
	};
	size_t n = 0, k = rnd(41);

	for (size_t i = 0; i < k; i++) {
		const char *p = pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))];
		size_t pl = p[0] ? strlen(p) : 1;

		memcpy(buf + n, p, pl);
		n += pl;
	}
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

int main(void)
{
	unsigned mismatches = 0;

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
