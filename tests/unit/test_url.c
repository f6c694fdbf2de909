/*
 * test_url — the streaming URL extractor (sensor/url): plain-text and HTML
 * cases from a table, each fed whole, byte by byte, split at every offset
 * and at every pair of offsets (identical URL lists required); caps, pool
 * exhaustion, scheme configuration; and linear work on adversarial input
 * (the Suricata CVE-2026-31934 class), measured by the extractor's own
 * count of bytes examined, not by time.
 *
 * Expected output: one line per URL, "url" or "url FLAGS" with FLAGS the
 * letters T (truncated), D (defanged), A (HTML attribute), W (www.).
 */
#include <stdlib.h>

#include "check.h"
#include "url.h"

#define OUT_MAX (1u << 16)

struct out {
	char s[OUT_MAX];
	size_t n;
	unsigned count;
	int bad;            /* a URL broke an invariant */
};

static void collect(void *user, const uint8_t *url, size_t len, uint32_t flags)
{
	struct out *o = user;
	char fl[8];
	size_t k = 0;

	if (flags & URL_F_TRUNCATED) fl[k++] = 'T';
	if (flags & URL_F_DEFANGED) fl[k++] = 'D';
	if (flags & URL_F_ATTR) fl[k++] = 'A';
	if (flags & URL_F_WWW) fl[k++] = 'W';
	fl[k] = 0;
	o->count++;
	if (len == 0)
		o->bad = 1;
	if (o->n + len + 16 >= OUT_MAX) {
		o->bad = 1;
		return;
	}
	memcpy(o->s + o->n, url, len);
	o->n += len;
	if (k) {
		o->s[o->n++] = ' ';
		memcpy(o->s + o->n, fl, k);
		o->n += k;
	}
	o->s[o->n++] = '\n';
	o->s[o->n] = 0;
}

static struct mt_blockpool pool;

/* Feed `in` cut at the offsets in cuts[0..ncuts) (ascending). */
static void run_cuts(const struct url_config *cfg, enum url_mode mode,
		     const char *in, size_t len, const size_t *cuts, int ncuts,
		     struct out *o, struct url_stats *stats)
{
	struct url_state st;
	size_t at = 0;

	memset(o, 0, sizeof(*o));
	if (url_state_init(&st, cfg, &pool, mode, collect, o) != 0) {
		o->bad = 1;
		return;
	}
	for (int i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		url_feed(&st, (const uint8_t *)in + at, end - at);
		at = end;
	}
	url_finish(&st);
	if (stats)
		*stats = st.stats;
	if (pool.in_use != 0)
		o->bad = 2;   /* a block was not given back */
}

static void run_whole(const struct url_config *cfg, enum url_mode mode,
		      const char *in, struct out *o, struct url_stats *stats)
{
	run_cuts(cfg, mode, in, strlen(in), NULL, 0, o, stats);
}

struct tcase {
	int line;
	enum url_mode mode;
	const char *schemes;      /* NULL: default */
	const char *in;
	const char *want;         /* lines "url [FLAGS]\n" */
};

#define T URL_MODE_TEXT
#define H URL_MODE_HTML

static const struct tcase cases[] = {
	/* plain text, punctuation */
	{ __LINE__, T, NULL, "Visit http://example.com/path. Now!", "http://example.com/path\n" },
	{ __LINE__, T, NULL, "a http://a.example/x, b http://b.example/y; c http://c.example/z?!",
	  "http://a.example/x\nhttp://b.example/y\nhttp://c.example/z\n" },
	{ __LINE__, T, NULL, "see (http://en.wikipedia.org/wiki/Foo_(bar)), ok",
	  "http://en.wikipedia.org/wiki/Foo_(bar)\n" },
	{ __LINE__, T, NULL, "(http://w.example/a)", "http://w.example/a\n" },
	{ __LINE__, T, NULL, "[link](http://md.example/c) {http://cu.example/}",
	  "http://md.example/c\nhttp://cu.example/\n" },
	{ __LINE__, T, NULL, "mail <http://x.example/a>, 'http://q.example/b' \"http://d.example/\"",
	  "http://x.example/a\nhttp://q.example/b\nhttp://d.example/\n" },
	{ __LINE__, T, NULL, "HTTP://WWW.Example.COM/Path?Q=A#F", "http://www.example.com/Path?Q=A#F\n" },
	{ __LINE__, T, NULL, "https://User:Pw@Host.EXAMPLE:8080/X",
	  "https://User:Pw@host.example:8080/X\n" },
	{ __LINE__, T, NULL, "ftp://FTP.example.org/file.txt\r\nhttps://s.example\tend",
	  "ftp://ftp.example.org/file.txt\nhttps://s.example\n" },
	{ __LINE__, T, NULL, "ipv6 http://[2001:DB8::1]:80/x", "http://[2001:db8::1]:80/x\n" },
	{ __LINE__, T, NULL, "idn http://B\xc3\xbc" "cher.DE/\xc3\xbc ok",
	  "http://b\xc3\xbc" "cher.de/\xc3\xbc\n" },
	/* not URLs */
	{ __LINE__, T, NULL, "http:// http:///x http:/a.b https//c.d http:x", "" },
	{ __LINE__, T, NULL, "xhttp://a.example a_http://b.example 9http://c.example", "" },
	{ __LINE__, T, NULL, "http:http://ok.example", "http://ok.example\n" },
	{ __LINE__, T, NULL, "javascript:alert(1) file:///etc/passwd gopher://g.example", "" },
	/* duplicates */
	{ __LINE__, T, NULL, "http://a.b http://A.B http://a.b. http://c.d",
	  "http://a.b\nhttp://c.d\n" },
	/* www. */
	{ __LINE__, T, NULL, "go to www.Example.com/a; then", "www.example.com/a W\n" },
	{ __LINE__, T, NULL, "(www.x.example)", "www.x.example W\n" },
	{ __LINE__, T, NULL, "foo.www.example.com a@www.b.com /www.c.com www. www..x", "" },
	/* defanged */
	{ __LINE__, T, NULL, "hxxp://evil[.]example[.]com/x", "http://evil.example.com/x D\n" },
	{ __LINE__, T, NULL, "HXXPS[:]//a(.)B{.}c/P", "https://a.b.c/P D\n" },
	{ __LINE__, T, NULL, "http[://]evil[DOT]com", "http://evil.com D\n" },
	{ __LINE__, T, NULL, "fxp://f.example www[.]bad[.]com",
	  "ftp://f.example D\nwww.bad.com DW\n" },
	{ __LINE__, T, NULL, "hxxp[:/x hxxp[:]/ www[d www[dox", "" },
	{ __LINE__, T, NULL, "www[dohttp://a.example www[http://b.example",
	  "http://b.example\n" },
	/* scheme filtering */
	{ __LINE__, T, "https", "http://a.b https://c.d ftp://e.f www.g.h", "https://c.d\n" },
	{ __LINE__, T, "http,mailto", "mailto:Bob@Example.COM?subject=Hi, mailto: http://x.y",
	  "mailto:Bob@example.com?subject=Hi\nhttp://x.y\n" },
	{ __LINE__, T, NULL, "mailto:bob@example.com", "" },
	{ __LINE__, T, "http www", "hxxp://a.b www.c.d ftp://e.f", "http://a.b D\nwww.c.d W\n" },

	/* HTML attributes */
	{ __LINE__, H, NULL, "<a href=\"http://a.example/?x=1&amp;y=2\">t</a>",
	  "http://a.example/?x=1&y=2 A\n" },
	{ __LINE__, H, NULL, "<A HREF='HTTP://B.Example/&#x2F;p&#47;q&#X2f;'>",
	  "http://b.example//p/q/ A\n" },
	{ __LINE__, H, NULL, "<a href=http://c.example/u>x</a>", "http://c.example/u A\n" },
	{ __LINE__, H, NULL, "<a title=x href = \"http://sp.example/\" >", "http://sp.example/ A\n" },
	{ __LINE__, H, NULL, "<img width=1 SRC=\"https://img.example/i.png\"/>",
	  "https://img.example/i.png A\n" },
	{ __LINE__, H, NULL, "<form action='http://f.example/post'><td background=http://bg.example/b.gif>",
	  "http://f.example/post A\nhttp://bg.example/b.gif A\n" },
	{ __LINE__, H, NULL, "<a href=\"javascript:alert('http://no.example')\">"
	  "<a href=\"/rel\"><a href=\"#top\"><a href=\"cid:img1\"><a href=\"\">", "" },
	{ __LINE__, H, NULL, "<a href=\"  http://ws.example/a\n/b  \">", "http://ws.example/a/b A\n" },
	{ __LINE__, H, NULL, "<a href=\"http&colon;&sol;&sol;obf&period;example\">",
	  "http://obf.example A\n" },
	{ __LINE__, H, NULL, "<a href=\"&#104;&#x74;tp://ent.example\">", "http://ent.example A\n" },
	{ __LINE__, H, NULL, "<a href=\"http:\\\\Evil.Example\\X\">", "http://evil.example\\X A\n" },
	{ __LINE__, H, NULL, "<a href=\"HTTPS:Evil.Example\">", "https://evil.example A\n" },
	{ __LINE__, H, NULL, "<a href=\"http://a.example/?a=1&ampb=2&amp=3\">",
	  "http://a.example/?a=1&ampb=2&amp=3 A\n" },
	{ __LINE__, H, NULL, "<a href=http://uq.example/&amp;q&lt;>", "http://uq.example/&q< A\n" },
	{ __LINE__, H, NULL, "<a href=\"www.W.example/p\">", "www.w.example/p AW\n" },
	{ __LINE__, H, NULL, "<a href=\"hxxp://d.example/\">", "http://d.example/ DA\n" },
	{ __LINE__, H, "http,mailto", "<a href=\"MAILTO:x@Y.com\">", "mailto:x@y.com A\n" },
	{ __LINE__, H, NULL, "<a href=\"mailto:x@Y.com\">", "" },
	/* HTML text, comments, other attributes */
	{ __LINE__, H, NULL, "<p>Go to http://t.example/a&amp;b&lt;br&gt; now",
	  "http://t.example/a&b\n" },
	{ __LINE__, H, NULL, "<b>http://x.example</b>http://y.example<br>",
	  "http://x.example\nhttp://y.example\n" },
	{ __LINE__, H, NULL, "&#104;&#116;&#116;&#112;://dec.example&nbsp;x", "http://dec.example\n" },
	{ __LINE__, H, NULL, "&#x0000000000000000000000000000068;&#0000000000000000000000000116;tp://z.example",
	  "http://z.example\n" },
	{ __LINE__, H, NULL, "http://r.example/&#1114112;&#xD800;&#0;",
	  "http://r.example/\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\n" },
	{ __LINE__, H, NULL, "&#xA0;http://nb.example/\xc2\xa1&#xa0;http://nb2.example/\xc2",
	  "http://nb.example/\xc2\xa1\nhttp://nb2.example/\xc2\n" },
	{ __LINE__, T, NULL, "http://u.example/\xc2\xa0http://v.example/\xc2\xc2\xa0 \xc2",
	  "http://u.example/\nhttp://v.example/\xc2\n" },
	{ __LINE__, H, NULL, "<!--[if mso]><v:roundrect href=\"http://vml.example/\"></v:roundrect>"
	  "<![endif]-->", "http://vml.example/\n" },
	{ __LINE__, H, NULL, "<!-- http://c.example/---> http://d.example/-- >x-->",
	  "http://c.example/-\nhttp://d.example/--\n" },
	{ __LINE__, H, NULL, "<img srcset=\"http://s1.example/a.png 1x, http://s2.example/b.png 2x\">",
	  "http://s1.example/a.png\nhttp://s2.example/b.png\n" },
	{ __LINE__, H, NULL, "<meta http-equiv=refresh content=\"0;url=http://m.example/x\">",
	  "http://m.example/x\n" },
	{ __LINE__, H, NULL, "<div style=\"background:url(http://st.example/i.png)\">",
	  "http://st.example/i.png\n" },
	{ __LINE__, H, NULL, "a < b http://lt.example/ & c &bogus; &#;",
	  "http://lt.example/\n" },
	{ __LINE__, H, NULL, "<a href=\"http://dup.example/\">http://dup.example/</a>",
	  "http://dup.example/ A\n" },
	{ __LINE__, H, NULL, "<a href=\"http://cut.example/p", "http://cut.example/p A\n" },
	{ __LINE__, H, NULL, "x http://e.example/&amp", "http://e.example/&\n" },
	{ __LINE__, T, NULL, "text mode: <a href=\"http://t.example/&amp;x\">",
	  "http://t.example/&amp;x\n" },
};

static const char *flag_str(const char *schemes, struct url_config *cfg)
{
	url_config_default(cfg);
	cfg->hash_seed = 0x1234;
	if (schemes && url_config_set_schemes(cfg, schemes) != 0)
		return "bad schemes";
	return NULL;
}

static void test_table(void)
{
	static struct out whole, split;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];
		size_t len = strlen(c->in);
		struct url_config cfg;
		bool same = true;

		CHECK(flag_str(c->schemes, &cfg) == NULL);
		run_whole(&cfg, c->mode, c->in, &whole, NULL);
		CHECK_EQ_U(whole.bad, 0);
		if (strcmp(whole.s, c->want) != 0)
			fprintf(stderr, "case at line %d:\n", c->line);
		CHECK_STR(whole.s, c->want);

		/* byte by byte */
		{
			size_t cuts[512];
			int n = 0;

			for (size_t k = 1; k < len && n < 512; k++)
				cuts[n++] = k;
			run_cuts(&cfg, c->mode, c->in, len, cuts, n, &split, NULL);
			same = same && split.bad == 0 && strcmp(split.s, whole.s) == 0;
		}
		/* every offset, and every pair of offsets */
		for (size_t a = 1; a < len; a++) {
			size_t cut2[2] = { a, 0 };

			run_cuts(&cfg, c->mode, c->in, len, cut2, 1, &split, NULL);
			same = same && split.bad == 0 && strcmp(split.s, whole.s) == 0;
			for (size_t b = a + 1; b < len && len <= 160; b++) {
				cut2[1] = b;
				run_cuts(&cfg, c->mode, c->in, len, cut2, 2, &split, NULL);
				same = same && split.bad == 0 && strcmp(split.s, whole.s) == 0;
			}
		}
		if (!same)
			fprintf(stderr, "case at line %d: split output differs\n", c->line);
		CHECK(same);
	}
}

static void test_config(void)
{
	struct url_config cfg;

	url_config_default(&cfg);
	CHECK_EQ_U(cfg.schemes, URL_SCHEMES_DEFAULT);
	CHECK_EQ_U(url_config_set_schemes(&cfg, "HTTPS, mailto"), 0);
	CHECK_EQ_U(cfg.schemes, URL_SCHEME_HTTPS | URL_SCHEME_MAILTO);
	CHECK(url_config_set_schemes(&cfg, "http,gopher") < 0);
	CHECK(url_config_set_schemes(&cfg, " , ") < 0);
	CHECK(url_config_set_schemes(&cfg, "httpx") < 0);
	CHECK_EQ_U(cfg.schemes, URL_SCHEME_HTTPS | URL_SCHEME_MAILTO);
}

static void test_counters(void)
{
	static struct out o;
	struct url_config cfg;
	struct url_stats s;

	url_config_default(&cfg);
	run_whole(&cfg, H, "<a href=\"javascript:x\"><a href=\"data:,x\">http://a.b http://a.b "
		  "hxxp://c.d &zzz; &#x;", &o, &s);
	CHECK_STR(o.s, "http://a.b\nhttp://c.d D\n");
	CHECK_EQ_U(s.rejected_scheme, 2);
	CHECK_EQ_U(s.emitted, 2);
	CHECK_EQ_U(s.duplicates, 1);
	CHECK_EQ_U(s.defanged, 1);
	CHECK_EQ_U(s.bad_entity, 2);

	/* defanging off: defanged forms are not URLs, brackets stay */
	cfg.flags = 0;
	run_whole(&cfg, T, "hxxp://a.b http://c[.]d/x www[.]e.f", &o, &s);
	CHECK_STR(o.s, "http://c[.]d/x\n");
	CHECK_EQ_U(s.defanged, 0);
}

static void test_caps(void)
{
	static struct out o;
	static char in[8192];
	struct url_config cfg;
	struct url_stats s;

	/* length cap: cut, flagged, not trimmed */
	url_config_default(&cfg);
	cfg.max_len = 32;
	snprintf(in, sizeof(in), "x http://example.com/%0100d. y http://short.example.", 0);
	run_whole(&cfg, T, in, &o, &s);
	CHECK_STR(o.s, "http://example.com/0000000000000 T\nhttp://short.example\n");
	CHECK_EQ_U(s.truncated, 1);
	run_whole(&cfg, H, "<a href=\"http://example.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">",
		  &o, &s);
	CHECK_STR(o.s, "http://example.com/aaaaaaaaaaaaa TA\n");
	/* "http:" grows to "http://" by the rewrite: still within the cap */
	run_whole(&cfg, H, "<a href=\"http:example.com/aaaaaaaaaaaaaaaaaaaaaaaaa\">", &o, &s);
	CHECK_STR(o.s, "http://example.com/aaaaaaaaaaaaa TA\n");

	/* count cap */
	url_config_default(&cfg);
	cfg.max_urls = 2;
	run_whole(&cfg, T, "http://1.x http://2.x http://1.x http://3.x http://4.x", &o, &s);
	CHECK_STR(o.s, "http://1.x\nhttp://2.x\n");
	CHECK_EQ_U(s.emitted, 2);
	CHECK_EQ_U(s.duplicates, 1);
	CHECK_EQ_U(s.over_cap, 2);

	/* the default count cap is honoured too (256 distinct) */
	url_config_default(&cfg);
	{
		size_t n = 0;

		for (int i = 0; i < 300; i++)
			n += (size_t)snprintf(in + n, sizeof(in) - n, "http://%d.x ", i);
	}
	run_whole(&cfg, T, in, &o, &s);
	CHECK_EQ_U(o.count, 256);
	CHECK_EQ_U(s.over_cap, 44);
}

static void test_pool_exhausted(void)
{
	static struct out o;
	struct mt_blockpool small;
	struct url_config cfg;
	struct url_state st;
	const char *in = "http://a.example http://b.example";

	url_config_default(&cfg);
	CHECK_EQ_U(mt_blockpool_init(&small, 4096, 1), 0);
	memset(&o, 0, sizeof(o));
	CHECK_EQ_U(url_state_init(&st, &cfg, &small, T, collect, &o), 0);
	/* one block: the URL fits, the duplicate filter cannot be had */
	url_feed(&st, (const uint8_t *)in, strlen(in));
	url_finish(&st);
	CHECK_EQ_U(o.count, 0);
	CHECK_EQ_U(st.stats.no_mem, 2);
	CHECK_EQ_U(small.in_use, 0);
	mt_blockpool_destroy(&small);

	/* a block too small for the state is refused at init */
	CHECK_EQ_U(mt_blockpool_init(&small, 128, 4), 0);
	CHECK(url_state_init(&st, &cfg, &small, T, collect, &o) < 0);
	mt_blockpool_destroy(&small);
}

/* A block is held only while a URL spans chunks. */
static void test_block_release(void)
{
	static struct out o;
	struct url_config cfg;
	struct url_state st;

	url_config_default(&cfg);
	memset(&o, 0, sizeof(o));
	CHECK_EQ_U(url_state_init(&st, &cfg, &pool, H, collect, &o), 0);
	url_feed(&st, (const uint8_t *)"<a href=\"http://x", 17);
	CHECK(st.buf != NULL);
	CHECK_EQ_U(pool.in_use, 1);
	url_feed(&st, (const uint8_t *)".example/\"> text ", 17);
	CHECK(st.buf == NULL);
	CHECK_EQ_U(pool.in_use, 1);   /* the duplicate filter */
	url_finish(&st);
	CHECK_EQ_U(pool.in_use, 0);
	CHECK_STR(o.s, "http://x.example/ A\n");
}

/*
 * Linear work: 10 MB of patterns that make a naive extractor rescan (each
 * "http:" starts a match that fails a few bytes later; each "<a href="
 * opens a value that never closes; one endless URL). stats.work counts
 * every byte examined by every pass, so a rescan would show.
 */
static void test_linear(void)
{
	static const struct {
		enum url_mode mode;
		const char *unit;
	} adv[] = {
		{ T, "http:" }, { T, "http://" }, { T, "www." }, { T, "hxxp[:]/" },
		{ T, "http://a.b/[.](" }, { T, "https://x.example/ " }, { H, "<a href=" },
		{ H, "<a href=\"http:" }, { H, "&#x" }, { H, "&amp" }, { H, "<!--" },
		{ H, "<a href=http://a.b/ " }, { H, "-" }, { T, "www[dot" },
		{ H, "<a href='www." },
	};
	const size_t total = 10u << 20;
	char *big = malloc(total + 1);
	struct url_config cfg;

	url_config_default(&cfg);
	CHECK(big != NULL);
	if (!big)
		return;
	for (size_t a = 0; a < sizeof(adv) / sizeof(adv[0]); a++) {
		static struct out o;
		size_t ul = strlen(adv[a].unit), n = 0;
		struct url_stats s;
		size_t cuts[3] = { 1, total / 3, total / 3 * 2 + 7 };

		while (n + ul <= total) {
			memcpy(big + n, adv[a].unit, ul);
			n += ul;
		}
		big[n] = 0;
		run_cuts(&cfg, adv[a].mode, big, n, cuts, 3, &o, &s);
		CHECK_EQ_U(s.bytes, n);
		if (s.work > (uint64_t)URL_WORK_FACTOR * n)
			fprintf(stderr, "adversarial '%s': work %" PRIu64 " for %zu bytes\n",
				adv[a].unit, s.work, n);
		CHECK(s.work <= (uint64_t)URL_WORK_FACTOR * n);
		CHECK(o.bad == 0);
	}
	free(big);
}

/* The work counter counts: a URL costs more than one unit per byte (the
 * finishing passes), so the bound in test_linear can fail. */
static void test_work_counts(void)
{
	static struct out o;
	struct url_config cfg;
	struct url_stats s;

	url_config_default(&cfg);
	run_whole(&cfg, T, "http://a.example/", &o, &s);
	CHECK(s.work > s.bytes);
	CHECK_EQ_U(s.bytes, 17);
}

int main(void)
{
	CHECK_EQ_U(mt_blockpool_init(&pool, 4096, 8), 0);
	test_config();
	test_table();
	test_counters();
	test_caps();
	test_pool_exhausted();
	test_block_release();
	test_work_counts();
	test_linear();
	mt_blockpool_destroy(&pool);
	return check_summary("test_url");
}
