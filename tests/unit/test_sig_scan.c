/*
 * test_sig_scan.c — matching: engines built from small rule sets, fed
 * through the scan calls the sensor uses. Covers patterns split across
 * stream calls at every offset, nocase, hex, conjunctions across calls and
 * buffers, direction handling, header address/port checks, transaction and
 * session scope, once-per-transaction firing, per-recipient scanning, the
 * message-data stream lifecycle, pool exhaustion and the empty engine; the
 * email.* and file.* buffers and their aliases (filename, fileext,
 * file_data), multi-buffer instances (same instance vs across instances,
 * repeated sticky keywords, groups combined with other buffers), bsize in
 * every form on block buffers and streams, and the file.data / email.body
 * streams (split at every offset, negation and endswith decided at the
 * end, lost matches).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <hs.h>

#include "check.h"
#include "sig.h"

#define MAX_ALERTS 64

struct alert_rec {
	uint32_t sid;
	enum sig_dir dir;
	void *ctx;
};

struct alerts {
	struct alert_rec a[MAX_ALERTS];
	unsigned n;
};

static void on_alert(void *user, void *ctx, const struct sig_rule_meta *rule,
		     enum sig_dir dir)
{
	struct alerts *al = user;

	if (al->n < MAX_ALERTS) {
		al->a[al->n].sid = rule->sid;
		al->a[al->n].dir = dir;
		al->a[al->n].ctx = ctx;
	}
	al->n++;
}

static unsigned count_sid(const struct alerts *al, uint32_t sid)
{
	unsigned n = 0;

	for (unsigned i = 0; i < al->n && i < MAX_ALERTS; i++)
		n += al->a[i].sid == sid;
	return n;
}

static void print_diag(void *user, const char *file, unsigned line, uint32_t sid,
		       const char *text)
{
	fprintf(stderr, "%s:%u: sid %u: %s\n", file, line, sid, text);
	(*(unsigned *)user)++;
}

/* Engine from rule texts; every rule must load. */
static struct sig_engine *engine(const char *const *rules, size_t n)
{
	struct sig_set *s = sig_set_new();
	struct sig_engine *e = NULL;
	unsigned bad = 0;
	char err[256];

	for (size_t i = 0; i < n; i++)
		sig_set_add_rule(s, rules[i], "scan.rules", (unsigned)i + 1,
				 print_diag, &bad);
	CHECK_EQ_U(bad, 0);
	if (sig_engine_build(s, &e, err, sizeof(err)) != 0) {
		fprintf(stderr, "build failed: %s\n", err);
		CHECK(0);
		return NULL;
	}
	return e;
}

#define ENGINE(arr) engine(arr, sizeof(arr) / sizeof(arr[0]))

/* 8.8.8.8:40000 (external client) -> 192.168.1.10:25 (home server) */
static struct sig_tuple tuple_v4(const char *client, uint16_t cport,
				 const char *server, uint16_t sport)
{
	struct sig_tuple t;
	unsigned a, b, c, d;

	memset(&t, 0, sizeof(t));
	t.client[10] = t.client[11] = 0xff;
	t.server[10] = t.server[11] = 0xff;
	if (sscanf(client, "%u.%u.%u.%u", &a, &b, &c, &d) == 4) {
		t.client[12] = (uint8_t)a; t.client[13] = (uint8_t)b;
		t.client[14] = (uint8_t)c; t.client[15] = (uint8_t)d;
	}
	if (sscanf(server, "%u.%u.%u.%u", &a, &b, &c, &d) == 4) {
		t.server[12] = (uint8_t)a; t.server[13] = (uint8_t)b;
		t.server[14] = (uint8_t)c; t.server[15] = (uint8_t)d;
	}
	t.client_port = cport;
	t.server_port = sport;
	return t;
}

static const struct sig_tuple *default_tuple(void)
{
	static struct sig_tuple t;
	static int init;

	if (!init) {
		t = tuple_v4("8.8.8.8", 40000, "192.168.1.10", 25);
		init = 1;
	}
	return &t;
}

static void scan_s(struct sig_thread *t, struct sig_flow *f, enum sig_dir dir,
		   const char *s)
{
	sig_scan_stream(t, f, dir, (const uint8_t *)s, strlen(s), NULL);
}

static void scan_b(struct sig_thread *t, struct sig_flow *f, enum sig_buf b,
		   const char *s)
{
	sig_scan_buffer(t, f, b, SIG_DIR_TO_SERVER, (const uint8_t *)s, strlen(s), NULL);
}

static void scan_d(struct sig_thread *t, struct sig_flow *f, const char *s)
{
	sig_scan_data(t, f, (const uint8_t *)s, strlen(s), NULL);
}

/* ---- stream: split at every offset ---------------------------------- */

static void test_split_every_offset(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (msg:\"exim\"; flow:to_server; "
		"content:\"${run{/bin/sh}}\"; sid:1;)",
	};
	static const char stream[] =
		"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<${run{/bin/sh}}@victim>\r\nDATA\r\n";
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
	size_t len = strlen(stream);
	unsigned bad = 0;

	CHECK(t != NULL);
	if (!t)
		return;
	for (size_t k = 0; k <= len; k++) {
		struct sig_flow *f = sig_flow_open(t, default_tuple());

		al.n = 0;
		sig_scan_stream(t, f, SIG_DIR_TO_SERVER, (const uint8_t *)stream, k, NULL);
		sig_scan_stream(t, f, SIG_DIR_TO_SERVER, (const uint8_t *)stream + k,
				len - k, NULL);
		sig_flow_close(t, f, NULL);
		bad += al.n != 1;
	}
	CHECK_EQ_U(bad, 0);
	/* Byte by byte, and three-way splits. */
	{
		struct sig_flow *f = sig_flow_open(t, default_tuple());

		al.n = 0;
		for (size_t i = 0; i < len; i++)
			sig_scan_stream(t, f, SIG_DIR_TO_SERVER,
					(const uint8_t *)stream + i, 1, NULL);
		sig_flow_close(t, f, NULL);
		CHECK_EQ_U(al.n, 1);
		CHECK_EQ_U(al.a[0].sid, 1);
		CHECK_EQ_U(al.a[0].dir, SIG_DIR_TO_SERVER);
	}
	bad = 0;
	for (size_t i = 0; i <= len; i += 3) {
		for (size_t j = i; j <= len; j += 5) {
			struct sig_flow *f = sig_flow_open(t, default_tuple());

			al.n = 0;
			sig_scan_stream(t, f, SIG_DIR_TO_SERVER, (const uint8_t *)stream, i, NULL);
			sig_scan_stream(t, f, SIG_DIR_TO_SERVER, (const uint8_t *)stream + i,
					j - i, NULL);
			sig_scan_stream(t, f, SIG_DIR_TO_SERVER, (const uint8_t *)stream + j,
					len - j, NULL);
			sig_flow_close(t, f, NULL);
			bad += al.n != 1;
		}
	}
	CHECK_EQ_U(bad, 0);
	/* a gap between the halves: the pattern must not match across it */
	{
		struct sig_flow *f = sig_flow_open(t, default_tuple());

		al.n = 0;
		scan_s(t, f, SIG_DIR_TO_SERVER, "RCPT TO:<${run{/bi");
		sig_stream_gap(t, f, SIG_DIR_TO_SERVER);
		scan_s(t, f, SIG_DIR_TO_SERVER, "n/sh}}@victim>\r\n");
		CHECK_EQ_U(al.n, 0);
		/* the stream goes on after the gap */
		scan_s(t, f, SIG_DIR_TO_SERVER, "RCPT TO:<${run{/bi");
		scan_s(t, f, SIG_DIR_TO_SERVER, "n/sh}}@victim>\r\n");
		CHECK_EQ_U(al.n, 1);
		sig_flow_close(t, f, NULL);
	}
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- content forms -------------------------------------------------- */

static void test_content_forms(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (content:\"hello\"; nocase; sid:1;)",
		"alert smtp any any -> any any (content:\"World\"; sid:2;)",
		"alert smtp any any -> any any (content:\"|0d 0a|QUIT|0d0a|\"; sid:3;)",
		"alert smtp any any -> any any (content:\"a\\;b\\:c\\\\d\\\"e\"; sid:4;)",
		/* same bytes as sid 1 but case-sensitive: a different pattern */
		"alert smtp any any -> any any (content:\"hello\"; sid:5;)",
		/* shared with sid 1 (dedup): both must fire */
		"alert smtp any any -> any any (content:\"HELLO\"; nocase; sid:6;)",
		/* regex metacharacters are literal */
		"alert smtp any any -> any any (content:\".*(x)+[y]\"; sid:7;)",
		"alert smtp any any -> any any (content:\"|00 ff|\"; sid:8;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
	struct sig_flow *f;
	static const uint8_t bin[] = { 'x', 0x00, 0xff, 'y' };

	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_SERVER, "say HeLLo to the world");
	CHECK_EQ_U(count_sid(&al, 1), 1);
	CHECK_EQ_U(count_sid(&al, 6), 1);
	CHECK_EQ_U(count_sid(&al, 2), 0);     /* "world" != "World" */
	CHECK_EQ_U(count_sid(&al, 5), 0);     /* "HeLLo" != "hello" */
	scan_s(t, f, SIG_DIR_TO_SERVER, "\r\nQUIT\r\n a;b:c\\d\"e .*(x)+[y]");
	CHECK_EQ_U(count_sid(&al, 3), 1);
	CHECK_EQ_U(count_sid(&al, 4), 1);
	CHECK_EQ_U(count_sid(&al, 7), 1);
	scan_s(t, f, SIG_DIR_TO_SERVER, "xxxxxxxx.*xy");  /* not as a regex */
	CHECK_EQ_U(count_sid(&al, 7), 1);
	sig_scan_stream(t, f, SIG_DIR_TO_SERVER, bin, sizeof(bin), NULL);
	CHECK_EQ_U(count_sid(&al, 8), 1);
	CHECK_EQ_U(al.n, 6);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- conjunctions --------------------------------------------------- */

static void test_conjunction(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (flow:to_server; content:\"alpha\"; "
		"content:\"beta\"; sid:1;)",
		"alert smtp any any -> any any (smtp.mail_from; content:\"evil.example\"; "
		"smtp.data; content:\"payload\"; sid:2;)",
		"alert smtp any any -> any any (content:\"MAIL FROM\"; smtp.mail_from; "
		"content:\"evil.example\"; sid:3;)",
		/* no flow direction: both contents needed in the same direction */
		"alert smtp any any -> any any (content:\"ping\"; content:\"pong\"; sid:4;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
	struct sig_flow *f;

	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_SERVER, "here is alpha");
	CHECK_EQ_U(al.n, 0);
	scan_s(t, f, SIG_DIR_TO_SERVER, "and then beta");
	CHECK_EQ_U(count_sid(&al, 1), 1);
	/* both in one call, other order, next tx */
	sig_flow_tx_end(t, f);
	scan_s(t, f, SIG_DIR_TO_SERVER, "beta alpha");
	CHECK_EQ_U(count_sid(&al, 1), 2);
	sig_flow_tx_end(t, f);

	/* different buffers, and the raw stream + a sticky buffer */
	scan_s(t, f, SIG_DIR_TO_SERVER, "MAIL FROM:<x@evil.example>\r\n");
	scan_b(t, f, SIG_BUF_SMTP_MAIL_FROM, "<x@evil.example>");
	CHECK_EQ_U(count_sid(&al, 3), 1);
	CHECK_EQ_U(count_sid(&al, 2), 0);
	sig_data_begin(t, f);
	scan_d(t, f, "Subject: hi\r\n\r\nthe pay");
	CHECK_EQ_U(count_sid(&al, 2), 0);
	scan_d(t, f, "load is here\r\n");
	CHECK_EQ_U(count_sid(&al, 2), 1);
	sig_data_end(t, f, NULL);
	sig_flow_tx_end(t, f);

	/* the data content alone (no mail_from this tx) is not enough */
	sig_data_begin(t, f);
	scan_d(t, f, "payload");
	sig_data_end(t, f, NULL);
	CHECK_EQ_U(count_sid(&al, 2), 1);
	sig_flow_tx_end(t, f);

	/* ping to_server + pong to_client: no alert; both to_client: alert */
	scan_s(t, f, SIG_DIR_TO_SERVER, "ping");
	scan_s(t, f, SIG_DIR_TO_CLIENT, "pong");
	CHECK_EQ_U(count_sid(&al, 4), 0);
	scan_s(t, f, SIG_DIR_TO_CLIENT, "ping");
	CHECK_EQ_U(count_sid(&al, 4), 1);
	CHECK_EQ_U(al.a[al.n - 1].dir, SIG_DIR_TO_CLIENT);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- flowbits and pass ---------------------------------------------- */

static void test_flowbits(void)
{
	static const char *const rules[] = {
		/* the server banner sets a bit, silently (ET's Exim pair) */
		"alert smtp any any -> any any (flow:to_client; content:\"ESMTP Exim\"; "
		"flowbits:set,exim; flowbits:noalert; sid:1;)",
		"alert smtp any any -> any any (flow:to_server; content:\"AUTH \"; "
		"flowbits:isset,exim; sid:2;)",
		"alert smtp any any -> any any (flow:to_server; content:\"AUTH \"; "
		"flowbits:isnotset,exim; sid:3;)",
		"alert smtp any any -> any any (flow:to_server; content:\"RSET\"; "
		"flowbits:unset,exim; flowbits:noalert; sid:4;)",
		"alert smtp any any -> any any (flow:to_server; content:\"NOOP\"; "
		"flowbits:toggle,t; flowbits:noalert; sid:5;)",
		"alert smtp any any -> any any (flow:to_server; content:\"VRFY\"; "
		"flowbits:isset,t; sid:6;)",
		/* setter and checker completed by one scan: the setter goes first */
		"alert smtp any any -> any any (flow:to_server; content:\"zz-set\"; "
		"flowbits:set,same; flowbits:noalert; sid:7;)",
		"alert smtp any any -> any any (flow:to_server; content:\"zz-chk\"; "
		"flowbits:isset,same; sid:8;)",
		/* pass: this flow alerts no more, whatever the order in the scan */
		"alert smtp any any -> any any (flow:to_server; content:\"EVIL\"; sid:9;)",
		"pass smtp any any -> any any (flow:to_server; content:\"trusted-relay\"; sid:10;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
	struct sig_flow *f, *g;

	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	g = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_CLIENT, "220 mx ESMTP Exim 4.96\r\n");
	CHECK_EQ_U(count_sid(&al, 1), 0);
	scan_s(t, f, SIG_DIR_TO_SERVER, "AUTH PLAIN x\r\n");
	CHECK_EQ_U(count_sid(&al, 2), 1);
	CHECK_EQ_U(count_sid(&al, 3), 0);
	/* the bit is the flow's: another flow does not have it */
	scan_s(t, g, SIG_DIR_TO_SERVER, "AUTH PLAIN x\r\n");
	CHECK_EQ_U(count_sid(&al, 2), 1);
	CHECK_EQ_U(count_sid(&al, 3), 1);
	/* unset: the next transaction's AUTH finds it gone */
	sig_flow_tx_end(t, f);
	scan_s(t, f, SIG_DIR_TO_SERVER, "RSET\r\n");
	scan_s(t, f, SIG_DIR_TO_SERVER, "AUTH LOGIN\r\n");
	CHECK_EQ_U(count_sid(&al, 2), 1);
	CHECK_EQ_U(count_sid(&al, 3), 2);
	/* toggle: on, check fires; off again, check does not */
	sig_flow_tx_end(t, f);
	scan_s(t, f, SIG_DIR_TO_SERVER, "NOOP\r\n");
	scan_s(t, f, SIG_DIR_TO_SERVER, "VRFY a\r\n");
	CHECK_EQ_U(count_sid(&al, 6), 1);
	sig_flow_tx_end(t, f);
	scan_s(t, f, SIG_DIR_TO_SERVER, "NOOP\r\n");
	scan_s(t, f, SIG_DIR_TO_SERVER, "VRFY a\r\n");
	CHECK_EQ_U(count_sid(&al, 6), 1);
	/* checker before setter in the same buffer, one scan */
	scan_s(t, f, SIG_DIR_TO_SERVER, "zz-chk zz-set");
	CHECK_EQ_U(count_sid(&al, 8), 1);
	/* noalert rules never alert */
	CHECK_EQ_U(count_sid(&al, 1) + count_sid(&al, 4) + count_sid(&al, 5) +
		   count_sid(&al, 7), 0);
	/* pass after the alert's content in one scan: still no alert */
	scan_s(t, g, SIG_DIR_TO_SERVER, "EVIL trusted-relay");
	CHECK_EQ_U(count_sid(&al, 9), 0);
	sig_flow_tx_end(t, g);
	scan_s(t, g, SIG_DIR_TO_SERVER, "EVIL again");
	CHECK_EQ_U(count_sid(&al, 9), 0);
	CHECK_EQ_U(count_sid(&al, 10), 0);
	/* the other flow is not passed */
	scan_s(t, f, SIG_DIR_TO_SERVER, "EVIL");
	CHECK_EQ_U(count_sid(&al, 9), 1);
	sig_flow_close(t, f, NULL);
	sig_flow_close(t, g, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- app-layer-event and file digest lists -------------------------- */

static const char *const ev_names[] = {
	"smtp.bare_lf", "smtp.max_command_line_len_exceeded", "smtp.invalid_reply",
};
static const char *const ev_canon[] = {
	NULL, "smtp.command_line_too_long", NULL,
};

static struct sig_engine *engine_ev(const char *const *rules, size_t n, const char *file)
{
	struct sig_set *s = sig_set_new();
	struct sig_engine *e = NULL;
	unsigned bad = 0;
	char err[256];

	sig_set_event_names(s, ev_names, ev_canon, 3);
	for (size_t i = 0; i < n; i++)
		sig_set_add_rule(s, rules[i], file, (unsigned)i + 1, print_diag, &bad);
	CHECK_EQ_U(bad, 0);
	if (sig_engine_build(s, &e, err, sizeof(err)) != 0) {
		fprintf(stderr, "build failed: %s\n", err);
		CHECK(0);
		return NULL;
	}
	return e;
}

static void test_app_events(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (flow:to_server; app-layer-event:smtp.bare_lf; sid:1;)",
		"alert smtp any any -> any any (app-layer-event:smtp.max_command_line_len_exceeded; "
		"sid:2;)",
		"alert smtp any any -> any any (flow:to_client; app-layer-event:smtp.invalid_reply; "
		"sid:3;)",
		/* with a content: both in the transaction */
		"alert smtp any any -> any any (flow:to_server; content:\"XEXCH50\"; "
		"app-layer-event:smtp.bare_lf; sid:4;)",
	};
	struct sig_engine *e = engine_ev(rules, 4, "ev.rules");
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
	struct sig_flow *f;
	struct sig_set *s = sig_set_new();
	unsigned bad = 0;

	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	sig_scan_buffer(t, f, SIG_BUF_APP_EVENT, SIG_DIR_TO_SERVER,
			(const uint8_t *)"smtp.bare_lfx", 13, NULL);
	CHECK_EQ_U(al.n, 0);
	sig_scan_buffer(t, f, SIG_BUF_APP_EVENT, SIG_DIR_TO_SERVER,
			(const uint8_t *)"smtp.bare_lf", 12, NULL);
	CHECK_EQ_U(count_sid(&al, 1), 1);
	CHECK_EQ_U(count_sid(&al, 4), 0);
	scan_s(t, f, SIG_DIR_TO_SERVER, "XEXCH50 1 2\r\n");
	CHECK_EQ_U(count_sid(&al, 4), 1);
	/* Suricata's name, the sensor's event */
	sig_scan_buffer(t, f, SIG_BUF_APP_EVENT, SIG_DIR_TO_SERVER,
			(const uint8_t *)"smtp.command_line_too_long", 26, NULL);
	CHECK_EQ_U(count_sid(&al, 2), 1);
	/* direction: a to_client rule and a to_server event */
	sig_scan_buffer(t, f, SIG_BUF_APP_EVENT, SIG_DIR_TO_SERVER,
			(const uint8_t *)"smtp.invalid_reply", 18, NULL);
	CHECK_EQ_U(count_sid(&al, 3), 0);
	sig_scan_buffer(t, f, SIG_BUF_APP_EVENT, SIG_DIR_TO_CLIENT,
			(const uint8_t *)"smtp.invalid_reply", 18, NULL);
	CHECK_EQ_U(count_sid(&al, 3), 1);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
	/* an unknown name skips the rule */
	sig_set_event_names(s, ev_names, ev_canon, 3);
	CHECK_EQ_U(sig_set_add_rule(s, "alert smtp any any -> any any "
				    "(app-layer-event:smtp.nope; sid:9;)", "x", 1, print_diag, &bad),
		   (uint64_t)(int64_t)-EINVAL);
	CHECK_EQ_U(bad, 1);
	sig_set_free(s);
}

static void test_file_hashes(void)
{
	char dir[] = "/tmp/test_sig_hash_XXXXXX", path[256], rfile[256];
	FILE *fp;
	uint8_t md5a[16], md5b[16], sha256[32];
	struct sig_engine *e;
	struct alerts al = { 0 };
	struct sig_thread *t;
	struct sig_flow *f;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	memset(md5a, 0x11, 16);
	memset(md5b, 0x22, 16);
	memset(sha256, 0xab, 32);
	snprintf(path, sizeof(path), "%s/bad.md5", dir);
	fp = fopen(path, "w");
	fprintf(fp, "# known bad\n\n44d88612fea8a8f36de82e1278abb02f  eicar\n"
		"11111111111111111111111111111111\n");
	fclose(fp);
	snprintf(path, sizeof(path), "%s/bad.sha256", dir);
	fp = fopen(path, "w");
	for (int i = 0; i < 32; i++)
		fprintf(fp, "ab");
	fprintf(fp, "\n");
	fclose(fp);
	snprintf(path, sizeof(path), "%s/broken.md5", dir);
	fp = fopen(path, "w");
	fprintf(fp, "44d88612fea8a8f36de82e1278abb02f\n44d88612fea8\n");
	fclose(fp);
	/* relative list names are beside the rule file */
	snprintf(rfile, sizeof(rfile), "%s/local.rules", dir);
	{
		static const char *const rules[] = {
			"alert smtp any any -> any any (filemd5:bad.md5; sid:1;)",
			"alert smtp any any -> any any (filemd5:!bad.md5; sid:2;)",
			"alert smtp any any -> any any (filesha256:bad.sha256; "
			"file.name; content:\".exe\"; sid:3;)",
		};

		e = engine_ev(rules, 3, rfile);
	}
	t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
	if (t) {
		CHECK(sig_engine_needs_hash(e, SIG_HASH_MD5));
		CHECK(!sig_engine_needs_hash(e, SIG_HASH_SHA1));
		CHECK(sig_engine_needs_hash(e, SIG_HASH_SHA256));
		f = sig_flow_open(t, default_tuple());
		sig_scan_file_hashes(t, f, md5a, NULL, NULL, NULL);
		CHECK_EQ_U(count_sid(&al, 1), 1);
		CHECK_EQ_U(count_sid(&al, 2), 0);
		sig_flow_tx_end(t, f);
		sig_scan_file_hashes(t, f, md5b, NULL, NULL, NULL);
		CHECK_EQ_U(count_sid(&al, 1), 1);
		CHECK_EQ_U(count_sid(&al, 2), 1);
		/* the digest and a file name in the same transaction */
		sig_flow_tx_end(t, f);
		sig_scan_file_hashes(t, f, NULL, NULL, sha256, NULL);
		CHECK_EQ_U(count_sid(&al, 3), 0);
		scan_b(t, f, SIG_BUF_FILE_NAME, "x.exe");
		CHECK_EQ_U(count_sid(&al, 3), 1);
		/* no digest computed: nothing decided */
		sig_flow_tx_end(t, f);
		sig_scan_file_hashes(t, f, NULL, NULL, NULL, NULL);
		CHECK_EQ_U(count_sid(&al, 2), 1);
		sig_flow_close(t, f, NULL);
		sig_thread_free(t);
	}
	sig_engine_free(e);
	{
		struct sig_set *s = sig_set_new();
		struct diag_last { unsigned n; } d = { 0 };

		CHECK_EQ_U(sig_set_add_rule(s, "alert smtp any any -> any any "
					    "(filemd5:broken.md5; sid:5;)", rfile, 1, print_diag, &d.n),
			   (uint64_t)(int64_t)-EINVAL);
		CHECK_EQ_U(sig_set_add_rule(s, "alert smtp any any -> any any "
					    "(filemd5:missing.md5; sid:6;)", rfile, 2, print_diag, &d.n),
			   (uint64_t)(int64_t)-EINVAL);
		/* not a regular file: refused at once, never read (a FIFO with
		 * no writer, which fuzz_rules found as /dev/stdin, would block) */
		{
			char fifo[600], rule[700];

			snprintf(fifo, sizeof(fifo), "%s/list.fifo", dir);
			CHECK_EQ_U(mkfifo(fifo, 0600), 0);
			snprintf(rule, sizeof(rule),
				 "alert smtp any any -> any any (filemd5:%s; sid:7;)", fifo);
			CHECK_EQ_U(sig_set_add_rule(s, rule, rfile, 3, print_diag, &d.n),
				   (uint64_t)(int64_t)-EINVAL);
		}
		CHECK_EQ_U(d.n, 3);
		sig_set_free(s);
	}
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	CHECK_EQ_U(system(path), 0);
}

/* ---- base64_decode / base64_data ------------------------------------ */

static void test_base64(void)
{
	static const char *const rules[] = {
		/* raw stream: the window follows the blank line */
		"alert smtp any any -> any any (flow:to_server; content:\"|0d 0a 0d 0a|\"; "
		"base64_decode:relative; base64_data; content:\"secret data\"; startswith; sid:1;)",
		/* bytes: only the first 8 input bytes are decoded */
		"alert smtp any any -> any any (flow:to_server; content:\"|0d 0a 0d 0a|\"; "
		"base64_decode:bytes 8, relative; base64_data; content:\"secret\"; "
		"content:!\"data\"; sid:2;)",
		/* a block buffer, offset from the match */
		"alert smtp any any -> any any (smtp.command; content:\"AUTH PLAIN\"; "
		"base64_decode:offset 1,relative; base64_data; content:\"|00|admin|00|\"; sid:3;)",
		/* from the start of the buffer */
		"alert smtp any any -> any any (email.subject; base64_decode; base64_data; "
		"content:\"hidden\"; sid:4;)",
	};
	struct sig_engine *e;
	struct alerts al = { 0 };
	struct sig_thread *t;
	struct sig_flow *f;

	/* a negated base64_data content is refused (rule 2 must not load) */
	{
		struct sig_set *s = sig_set_new();
		unsigned bad = 0;

		CHECK_EQ_U(sig_set_add_rule(s, rules[1], "b.rules", 1, NULL, &bad),
			   (uint64_t)(int64_t)-EINVAL);
		sig_set_free(s);
	}
	{
		const char *const ok[] = { rules[0], rules[2], rules[3],
			"alert smtp any any -> any any (flow:to_server; content:\"|0d 0a 0d 0a|\"; "
			"base64_decode:bytes 8, relative; base64_data; content:\"secr\"; "
			"bsize:4; sid:2;)" };

		e = engine(ok, 4);
	}
	t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
	if (!t) {
		sig_engine_free(e);
		return;
	}
	/* the window spans three chunks; the trigger ends a chunk */
	f = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_SERVER, "DATA\r\nSubject: x\r\n\r\n");
	scan_s(t, f, SIG_DIR_TO_SERVER, "c2Vj\r\n");
	CHECK_EQ_U(count_sid(&al, 1), 0);   /* "sec" so far */
	scan_s(t, f, SIG_DIR_TO_SERVER, "cmV0IGRhdGE=\r\n.\r\n");
	CHECK_EQ_U(count_sid(&al, 1), 1);   /* decoded as it arrives */
	sig_flow_tx_end(t, f);
	/* 8 input bytes, CRLF included: "c2Vj\r\ncm" -> "secr" */
	CHECK_EQ_U(count_sid(&al, 2), 1);
	sig_flow_close(t, f, NULL);
	/* not base64 of the text: no alert; a window decided at flow close */
	al.n = 0;
	f = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_SERVER, "x\r\n\r\nc2VjcmV0IGRhdGF=");
	sig_flow_close(t, f, NULL);
	CHECK_EQ_U(count_sid(&al, 1), 1);
	al.n = 0;
	f = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_SERVER, "x\r\n\r\nbm90IGl0");
	sig_flow_close(t, f, NULL);
	CHECK_EQ_U(al.n, 0);
	/* block buffers */
	f = sig_flow_open(t, default_tuple());
	scan_b(t, f, SIG_BUF_SMTP_COMMAND, "AUTH PLAIN AGFkbWluAHMzY3JldA==");
	CHECK_EQ_U(count_sid(&al, 3), 1);
	scan_b(t, f, SIG_BUF_EMAIL_SUBJECT, "aGlkZGVu");
	CHECK_EQ_U(count_sid(&al, 4), 1);
	sig_flow_tx_end(t, f);
	scan_b(t, f, SIG_BUF_SMTP_COMMAND, "AUTH PLAIN AHVzZXIAcGFzcw==");
	scan_b(t, f, SIG_BUF_EMAIL_SUBJECT, "hidden");
	CHECK_EQ_U(count_sid(&al, 3) + count_sid(&al, 4), 2);
	sig_flow_close(t, f, NULL);
	CHECK(sig_thread_get_stats(t)->base64_decodes >= 6);
	CHECK_EQ_U(sig_thread_get_stats(t)->base64_no_slot, 0);
	sig_thread_free(t);
	sig_engine_free(e);
}

/*
 * frame: (Suricata 7+). A line frame rule fires once per line, however
 * many lines of the transaction match; response_line is to_client; the
 * data frame is a stream fired once per transaction; smtp.stream is the
 * raw stream; a frame rule reports its frame in the meta. from_base64
 * decodes the buffer from its start: RFC 4648 stops at the first byte
 * outside the alphabet, rfc2045 skips it. What cannot be honoured is
 * refused.
 */
/* Each rule is skipped (its reason printed). */
static void check_refused(const char *const *rules, size_t n, const char *file)
{
	for (size_t i = 0; i < n; i++) {
		struct sig_set *s = sig_set_new();
		unsigned bad = 0;

		CHECK_EQ_U(sig_set_add_rule(s, rules[i], file, (unsigned)i + 1, print_diag, &bad),
			   (uint64_t)(int64_t)-EINVAL);
		sig_set_free(s);
	}
}

static struct sig_rule_meta last_meta;

static void on_alert_meta(void *user, void *ctx, const struct sig_rule_meta *rule,
			  enum sig_dir dir)
{
	last_meta = *rule;
	on_alert(user, ctx, rule, dir);
}

static void scan_dir(struct sig_thread *t, struct sig_flow *f, enum sig_buf b,
		     enum sig_dir dir, const char *s)
{
	sig_scan_buffer(t, f, b, dir, (const uint8_t *)s, strlen(s), NULL);
}

static void test_frames(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (frame:smtp.command_line; content:\"MAIL|20|FROM:\"; "
		"startswith; content:\">|0d 0a|\"; endswith; sid:1;)",
		"alert smtp any any -> any any (frame:smtp.response_line; content:\"250 ok\"; "
		"startswith; sid:2;)",
		"alert smtp any any -> any any (frame:smtp.data; content:\"|0d 0a|..hidden\"; sid:3;)",
		"alert smtp any any -> any any (frame:smtp.stream; content:\"|0d 0a|.|0d 0a|\"; sid:4;)",
		"alert smtp any any -> any any (frame:command_line; from_base64; content:\"galunt\"; "
		"sid:5;)",
		"alert smtp any any -> any any (frame:smtp.command_line; from_base64:mode rfc2045; "
		"content:\"galunt\"; sid:6;)",
		"alert smtp any any -> any any (smtp.command; content:\"MAIL\"; sid:7;)",
	};
	static const char *const refused[] = {
		/* another protocol's frame; an unknown SMTP frame */
		"alert smtp any any -> any any (frame:http1.request; content:\"x\"; sid:10;)",
		"alert smtp any any -> any any (frame:smtp.pdu; content:\"x\"; sid:11;)",
		/* a frame rule inspects its frame only */
		"alert smtp any any -> any any (frame:smtp.command_line; content:\"x\"; "
		"smtp.helo; content:\"y\"; sid:12;)",
		"alert smtp any any -> any any (content:\"x\"; frame:smtp.command_line; "
		"content:\"y\"; sid:13;)",
		/* response lines are server data */
		"alert smtp any any -> any any (flow:to_server; frame:smtp.response_line; "
		"content:\"250\"; sid:14;)",
		/* from_base64 strict; on the raw stream; twice */
		"alert smtp any any -> any any (frame:smtp.command_line; from_base64:mode strict; "
		"content:\"x\"; sid:15;)",
		"alert smtp any any -> any any (from_base64; content:\"x\"; sid:16;)",
		"alert smtp any any -> any any (frame:smtp.command_line; from_base64; from_base64; "
		"content:\"x\"; sid:17;)",
		"alert smtp any any -> any any (frame:smtp.command_line; sid:18;)",
	};
	struct sig_engine *e;
	struct alerts al = { 0 };
	struct sig_thread *t;
	struct sig_flow *f;

	check_refused(refused, sizeof(refused) / sizeof(refused[0]), "frames.rules");
	e = ENGINE(rules);
	t = e ? sig_thread_new(e, 4, on_alert_meta, &al) : NULL;
	if (!t) {
		sig_engine_free(e);
		return;
	}
	CHECK(sig_engine_has_buf(e, SIG_BUF_FRAME_COMMAND_LINE));
	CHECK(sig_engine_has_buf(e, SIG_BUF_FRAME_RESPONSE_LINE));
	CHECK(sig_engine_has_buf(e, SIG_BUF_FRAME_DATA));
	f = sig_flow_open(t, default_tuple());
	/* three 250 lines in one transaction: three alerts */
	scan_dir(t, f, SIG_BUF_FRAME_RESPONSE_LINE, SIG_DIR_TO_CLIENT, "220 hi\r\n");
	scan_dir(t, f, SIG_BUF_FRAME_RESPONSE_LINE, SIG_DIR_TO_CLIENT, "250 ok\r\n");
	CHECK_EQ_U(last_meta.frame, SIG_FRAME_RESPONSE_LINE);
	scan_dir(t, f, SIG_BUF_FRAME_RESPONSE_LINE, SIG_DIR_TO_CLIENT, "250 ok\r\n");
	scan_dir(t, f, SIG_BUF_FRAME_RESPONSE_LINE, SIG_DIR_TO_CLIENT, "250 ok\r\n");
	/* the same bytes sent by the client are not a response line */
	scan_dir(t, f, SIG_BUF_FRAME_RESPONSE_LINE, SIG_DIR_TO_SERVER, "250 ok\r\n");
	CHECK_EQ_U(count_sid(&al, 2), 3);
	/* command lines: with the line end; each line is a frame */
	scan_dir(t, f, SIG_BUF_FRAME_COMMAND_LINE, SIG_DIR_TO_SERVER, "MAIL FROM:<a@b>\r\n");
	scan_dir(t, f, SIG_BUF_FRAME_COMMAND_LINE, SIG_DIR_TO_SERVER, "MAIL FROM:<a@b> X\r\n");
	scan_dir(t, f, SIG_BUF_FRAME_COMMAND_LINE, SIG_DIR_TO_SERVER, "MAIL FROM:<c@d>\r\n");
	CHECK_EQ_U(count_sid(&al, 1), 2);
	CHECK_EQ_U(last_meta.frame, SIG_FRAME_COMMAND_LINE);
	/* an ordinary buffer's rule still fires once per transaction */
	scan_b(t, f, SIG_BUF_SMTP_COMMAND, "MAIL FROM:<a@b>");
	scan_b(t, f, SIG_BUF_SMTP_COMMAND, "MAIL FROM:<c@d>");
	CHECK_EQ_U(count_sid(&al, 7), 1);
	CHECK_EQ_U(last_meta.frame, SIG_FRAME_NONE);
	/* from_base64: "Z2FsdW50" is "galunt"; RFC 4648 stops at the CR, so
	 * what follows it is not decoded; rfc2045 skips it */
	scan_dir(t, f, SIG_BUF_FRAME_COMMAND_LINE, SIG_DIR_TO_SERVER, "Z2FsdW50\r\n");
	CHECK_EQ_U(count_sid(&al, 5), 1);
	CHECK_EQ_U(count_sid(&al, 6), 1);
	scan_dir(t, f, SIG_BUF_FRAME_COMMAND_LINE, SIG_DIR_TO_SERVER, "Z2Fs\r\ndW50\r\n");
	CHECK_EQ_U(count_sid(&al, 5), 1);
	/* data frame: as sent, dot-stuffing included; once per transaction */
	sig_stream_begin(t, f, SIG_BUF_FRAME_DATA);
	sig_stream_scan(t, f, SIG_BUF_FRAME_DATA, (const uint8_t *)"x\r\n.", 4, NULL);
	sig_stream_scan(t, f, SIG_BUF_FRAME_DATA, (const uint8_t *)".hidden\r\n..hidden", 17, NULL);
	sig_stream_end(t, f, SIG_BUF_FRAME_DATA, NULL);
	CHECK_EQ_U(count_sid(&al, 3), 1);
	CHECK_EQ_U(last_meta.frame, SIG_FRAME_DATA);
	/* smtp.stream: the raw stream */
	scan_s(t, f, SIG_DIR_TO_SERVER, "body\r\n.\r\n");
	CHECK_EQ_U(count_sid(&al, 4), 1);
	CHECK_EQ_U(last_meta.frame, SIG_FRAME_STREAM);
	sig_flow_tx_end(t, f);
	/* the next transaction: per-tx rules fire again */
	scan_b(t, f, SIG_BUF_SMTP_COMMAND, "MAIL FROM:<a@b>");
	CHECK_EQ_U(count_sid(&al, 7), 2);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/*
 * pcre with m on the raw stream: '$' is the end of a line, which the
 * stream has, so the rule loads and matches before a line end, across
 * packets; without m, or with \z, it looks for the stream's end and is
 * refused (ET's server-greeting rules use /^220 ...$/m).
 */
static void test_stream_multiline_dollar(void)
{
	static const char *const rules[] = {
		"alert tcp any any -> any any (flow:to_client; "
		"pcre:\"/^220 [^\\r\\n]+ badhost\\r?$/mi\"; sid:1;)",
	};
	static const char *const refused[] = {
		"alert tcp any any -> any any (pcre:\"/badhost$/\"; sid:2;)",
		"alert tcp any any -> any any (pcre:\"/badhost\\z/m\"; sid:3;)",
	};
	struct sig_engine *e;
	struct alerts al = { 0 };
	struct sig_thread *t;
	struct sig_flow *f;

	check_refused(refused, sizeof(refused) / sizeof(refused[0]), "m.rules");
	e = ENGINE(rules);
	t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
	if (!t) {
		sig_engine_free(e);
		return;
	}
	/* not at a line end: no match; then a greeting split across two
	 * packets, its CRLF in the second */
	f = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_CLIENT, "220 mx.example.org badhost ESMTP\r\n");
	CHECK_EQ_U(count_sid(&al, 1), 0);
	sig_flow_close(t, f, NULL);
	f = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_CLIENT, "220 mx.example.org BadHost");
	scan_s(t, f, SIG_DIR_TO_CLIENT, "\r\n250 ok\r\n");
	CHECK_EQ_U(count_sid(&al, 1), 1);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/*
 * The raw stream's two directions share one database, the union of their
 * patterns: a match id is mapped to the scanned direction's pattern, and a
 * pattern of the other direction only is dropped. Alerts keep their
 * direction and rule, in the middle of a stream, at its end (a pcre
 * confirmed by PCRE2 on its window) and with a direction-specific rule
 * beside them; the shared patterns are counted once. The split set has
 * the same content in a to_server and a to_client rule, and one pattern
 * in each direction only: each alerts on its own direction alone.
 */
static void test_stream_shared_db(void)
{
	static const char *const both[] = {
		"alert tcp any any -> any any (content:\"needle\"; sid:1;)",
		"alert tcp any any -> any any (pcre:\"/hay(?!stack)/\"; sid:2;)",
	};
	static const char *const mixed[] = {
		"alert tcp any any -> any any (content:\"needle\"; sid:1;)",
		"alert tcp any any -> any any (pcre:\"/hay(?!stack)/\"; sid:2;)",
		"alert tcp any any -> any any (flow:to_client; content:\"here\"; sid:3;)",
	};
	struct sig_engine *e = ENGINE(both), *m = ENGINE(mixed);
	struct alerts al = { 0 };
	struct sig_thread *t;
	struct sig_flow *f;

	if (!e || !m) {
		sig_engine_free(e);
		sig_engine_free(m);
		return;
	}
	/* one database for two directions; the mixed set has a second,
	 * different one */
	CHECK(sig_engine_db_bytes(e) > 0);
	CHECK(sig_engine_db_bytes(e) < sig_engine_db_bytes(m));
	for (int pass = 0; pass < 2; pass++) {
		t = sig_thread_new(pass ? m : e, 4, on_alert, &al);
		if (!t)
			break;
		al.n = 0;
		f = sig_flow_open(t, default_tuple());
		scan_s(t, f, SIG_DIR_TO_CLIENT, "220 nee");
		scan_s(t, f, SIG_DIR_TO_CLIENT, "dle here\r\n");
		scan_s(t, f, SIG_DIR_TO_SERVER, "EHLO haystack\r\n");
		CHECK_EQ_U(count_sid(&al, 1), 1);
		CHECK(al.n >= 1 && al.a[0].sid == 1 && al.a[0].dir == SIG_DIR_TO_CLIENT);
		CHECK_EQ_U(count_sid(&al, 2), 0);
		CHECK_EQ_U(count_sid(&al, 3), pass ? 1u : 0u);
		/* "hay" at the very end of the to_client stream: decided when
		 * it closes */
		scan_s(t, f, SIG_DIR_TO_CLIENT, "250 hay");
		sig_flow_close(t, f, NULL);
		CHECK_EQ_U(count_sid(&al, 2), 1);
		for (unsigned i = 0; i < al.n && i < MAX_ALERTS; i++)
			if (al.a[i].sid == 2)
				CHECK(al.a[i].dir == SIG_DIR_TO_CLIENT);
		sig_thread_free(t);
	}
	sig_engine_free(e);
	sig_engine_free(m);

	static const char *const split[] = {
		"alert tcp any any -> any any (flow:to_server; content:\"alpha\"; sid:4;)",
		"alert tcp any any -> any any (flow:to_client; content:\"alpha\"; sid:5;)",
		"alert tcp any any -> any any (flow:to_client; content:\"beta\"; sid:6;)",
		"alert tcp any any -> any any (flow:to_server; content:\"gamma\"; sid:7;)",
		"alert tcp any any -> any any (flow:to_client; pcre:\"/del+ta/\"; sid:8;)",
	};
	struct sig_engine *sp = ENGINE(split);

	if (!sp)
		return;
	t = sig_thread_new(sp, 4, on_alert, &al);
	if (t) {
		al.n = 0;
		f = sig_flow_open(t, default_tuple());
		scan_s(t, f, SIG_DIR_TO_SERVER, "MAIL alpha beta gamma dellta\r\n");
		CHECK_EQ_U(al.n, 2);
		CHECK_EQ_U(count_sid(&al, 4), 1);
		CHECK_EQ_U(count_sid(&al, 7), 1);
		for (unsigned i = 0; i < al.n && i < MAX_ALERTS; i++)
			CHECK(al.a[i].dir == SIG_DIR_TO_SERVER);
		al.n = 0;
		scan_s(t, f, SIG_DIR_TO_CLIENT, "250 alpha beta gamma dellta\r\n");
		CHECK_EQ_U(al.n, 3);
		CHECK_EQ_U(count_sid(&al, 5), 1);
		CHECK_EQ_U(count_sid(&al, 6), 1);
		CHECK_EQ_U(count_sid(&al, 8), 1);
		for (unsigned i = 0; i < al.n && i < MAX_ALERTS; i++)
			CHECK(al.a[i].dir == SIG_DIR_TO_CLIENT);
		sig_flow_close(t, f, NULL);
		CHECK_EQ_U(al.n, 3);
		sig_thread_free(t);
	}
	sig_engine_free(sp);
}

/* flowint: a counter added to once per transaction, checked by another
 * rule; unset variables fail comparisons. */
static void test_flowint(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (flow:to_server; content:\"ERR\"; "
		"flowint:errs,+,1; flowbits:noalert; sid:1;)",
		"alert smtp any any -> any any (flow:to_server; content:\"ERR\"; "
		"flowint:errs,>=,3; sid:2;)",
		"alert smtp any any -> any any (flow:to_server; content:\"PING\"; "
		"flowint:errs,notset; sid:3;)",
		"alert smtp any any -> any any (flow:to_server; content:\"PING\"; "
		"flowint:errs,==,1; sid:4;)",
		"alert smtp any any -> any any (flow:to_server; content:\"RESET\"; "
		"flowint:errs,=,0; flowbits:noalert; sid:5;)",
		"alert smtp any any -> any any (flow:to_server; content:\"PING\"; "
		"flowint:errs,isset; flowint:errs,<,1; sid:6;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
	struct sig_flow *f;

	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_SERVER, "PING\r\n");
	CHECK_EQ_U(count_sid(&al, 3), 1);     /* not set yet */
	CHECK_EQ_U(count_sid(&al, 4), 0);
	sig_flow_tx_end(t, f);
	scan_s(t, f, SIG_DIR_TO_SERVER, "ERR 1\r\nPING\r\n");
	CHECK_EQ_U(count_sid(&al, 4), 1);     /* errs == 1 */
	CHECK_EQ_U(count_sid(&al, 2), 0);
	for (int i = 0; i < 2; i++) {
		sig_flow_tx_end(t, f);
		scan_s(t, f, SIG_DIR_TO_SERVER, "ERR\r\n");
	}
	CHECK_EQ_U(count_sid(&al, 2), 1);     /* the third: errs >= 3 */
	sig_flow_tx_end(t, f);
	scan_s(t, f, SIG_DIR_TO_SERVER, "RESET\r\n");
	scan_s(t, f, SIG_DIR_TO_SERVER, "PING\r\n");
	CHECK_EQ_U(count_sid(&al, 6), 1);     /* set, and 0 < 1 */
	CHECK_EQ_U(count_sid(&al, 1) + count_sid(&al, 5), 0);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- PCRE2 confirmation on streams ---------------------------------- */

/* Look-around and back-references on the raw stream and smtp.data:
 * Hyperscan prefilters, PCRE2 decides on the stream's recent bytes plus
 * the packet; a look-ahead past the packet's end waits for the next one. */
static void test_stream_confirm(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (flow:to_server; "
		"pcre:\"/\\Wprivate\\W(?!\\/X)/i\"; sid:1;)",
		"alert smtp any any -> any any (flow:to_server; "
		"pcre:\"/(?<!TOP\\s)SECRET\\/\\//\"; sid:2;)",
		"alert smtp any any -> any any (smtp.data; pcre:\"/(ab)\\1c/\"; sid:3;)",
	};
	static const struct {
		const char *chunks[3];
		uint32_t sid;
		int fire;
	} cases[] = {
		{ { "a private thing", NULL, NULL }, 1, 1 },
		{ { "a private /X", NULL, NULL }, 1, 0 },
		{ { "a priv", "ate /X here", NULL }, 1, 0 },
		{ { "a priv", "ate thing", NULL }, 1, 1 },
		/* the look-ahead's byte comes with the next packet */
		{ { "a private ", "/X", NULL }, 1, 0 },
		{ { "a private ", "xx", NULL }, 1, 1 },
		{ { "SECRET//X1", NULL, NULL }, 2, 1 },
		{ { "TOP SECRET//X1", NULL, NULL }, 2, 0 },
		/* the look-behind's bytes are in the previous packet */
		{ { "TOP ", "SECRET//X1", NULL }, 2, 0 },
		{ { "TOP!", "SECRET//X1", NULL }, 2, 1 },
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
	unsigned bad = 0;

	if (!t) {
		sig_engine_free(e);
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sig_flow *f = sig_flow_open(t, default_tuple());

		al.n = 0;
		for (int c = 0; c < 3 && cases[i].chunks[c]; c++)
			scan_s(t, f, SIG_DIR_TO_SERVER, cases[i].chunks[c]);
		sig_flow_close(t, f, NULL);
		if ((count_sid(&al, cases[i].sid) > 0) != cases[i].fire) {
			fprintf(stderr, "stream confirm case %zu: sid %u fired %u, want %d\n", i,
				cases[i].sid, count_sid(&al, cases[i].sid), cases[i].fire);
			bad++;
		}
	}
	CHECK_EQ_U(bad, 0);
	/* chunks too large for tail + chunk (64 KiB): the chunk alone, or a
	 * window around the first match */
	{
		static char big[100000];
		struct sig_flow *f = sig_flow_open(t, default_tuple());
		static const size_t sizes[] = { 65400, 99990 };

		for (size_t z = 0; z < 2; z++) {
			al.n = 0;
			memset(big, 'y', sizeof(big));
			big[600] = '\0';
			scan_s(t, f, SIG_DIR_TO_SERVER, big);        /* fills the tail */
			memset(big, 'y', sizeof(big));
			memcpy(big + sizes[z] - 300, "ab SECRET//X1", 13);
			big[sizes[z]] = '\0';
			scan_s(t, f, SIG_DIR_TO_SERVER, big);
			CHECK_EQ_U(count_sid(&al, 2), 1);
			sig_flow_tx_end(t, f);
		}
		sig_flow_close(t, f, NULL);
	}
	/* smtp.data: a back-reference across two data chunks */
	{
		struct sig_flow *f = sig_flow_open(t, default_tuple());

		al.n = 0;
		sig_data_begin(t, f);
		scan_d(t, f, "xxa");
		scan_d(t, f, "babc\r\n");
		sig_data_end(t, f, NULL);
		CHECK_EQ_U(count_sid(&al, 3), 1);
		sig_flow_tx_end(t, f);
		sig_data_begin(t, f);
		scan_d(t, f, "abac\r\n");
		sig_data_end(t, f, NULL);
		CHECK_EQ_U(count_sid(&al, 3), 1);
		sig_flow_close(t, f, NULL);
	}
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- byte_test / byte_jump ------------------------------------------ */

static void test_probes(void)
{
	static const char *const rules[] = {
		/* a BDAT chunk size over 100000, read as ASCII after "BDAT " */
		"alert smtp any any -> any any (smtp.command; content:\"BDAT \"; startswith; "
		"byte_test:7,>,100000,0,relative,string,dec; sid:1;)",
		/* binary, little endian, from the buffer's start */
		"alert smtp any any -> any any (email.subject; byte_test:2,=,0x4241,0,little; "
		"sid:2;)",
		/* negated operator */
		"alert smtp any any -> any any (smtp.helo; content:\"x\"; "
		"byte_test:1,!=,0x41,0,relative; sid:3;)",
		/* jump inside the buffer: a length prefix that fits */
		"alert smtp any any -> any any (file.name; content:\"L\"; "
		"byte_jump:1,0,relative,string,dec; sid:4;)",
		/* the raw stream, hex digits */
		"alert smtp any any -> any any (flow:to_server; content:\"SIZE=\"; "
		"byte_test:4,>=,0x1000,0,relative,string,hex; sid:5;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
	struct sig_flow *f;

	if (!t) {
		sig_engine_free(e);
		return;
	}
	f = sig_flow_open(t, default_tuple());
	scan_b(t, f, SIG_BUF_SMTP_COMMAND, "BDAT 99999 LAST");
	CHECK_EQ_U(count_sid(&al, 1), 0);
	scan_b(t, f, SIG_BUF_SMTP_COMMAND, "BDAT 4294967296 LAST");
	CHECK_EQ_U(count_sid(&al, 1), 1);
	scan_b(t, f, SIG_BUF_EMAIL_SUBJECT, "ABcd");
	CHECK_EQ_U(count_sid(&al, 2), 1);          /* 0x4241 little-endian */
	sig_flow_tx_end(t, f);
	scan_b(t, f, SIG_BUF_EMAIL_SUBJECT, "BAcd");
	CHECK_EQ_U(count_sid(&al, 2), 1);
	scan_b(t, f, SIG_BUF_SMTP_HELO, "xA");
	CHECK_EQ_U(count_sid(&al, 3), 0);
	scan_b(t, f, SIG_BUF_SMTP_HELO, "xB");
	CHECK_EQ_U(count_sid(&al, 3), 1);
	/* "L3abc": jump to 2 + 3 = 5 = the end: outside (Suricata: < len) */
	scan_b(t, f, SIG_BUF_FILE_NAME, "L3abc");
	CHECK_EQ_U(count_sid(&al, 4), 0);
	scan_b(t, f, SIG_BUF_FILE_NAME, "L2abc");
	CHECK_EQ_U(count_sid(&al, 4), 1);
	scan_s(t, f, SIG_DIR_TO_SERVER, "MAIL FROM:<a@b> SIZE=0fff\r\n");
	CHECK_EQ_U(count_sid(&al, 5), 0);
	sig_flow_tx_end(t, f);
	scan_s(t, f, SIG_DIR_TO_SERVER, "MAIL FROM:<a@b> SIZE=1000\r\n");
	CHECK_EQ_U(count_sid(&al, 5), 1);
	/* the number in the next packet: not decided (counted) */
	sig_flow_tx_end(t, f);
	scan_s(t, f, SIG_DIR_TO_SERVER, "MAIL FROM:<a@b> SIZE=");
	scan_s(t, f, SIG_DIR_TO_SERVER, "2000\r\n");
	CHECK_EQ_U(count_sid(&al, 5), 1);
	CHECK_EQ_U(sig_thread_get_stats(t)->probe_split, 1);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- long isdataat: a delayed match ---------------------------------- */

static void test_delay(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (flow:to_server; content:\"|0a 0a 0a|\"; "
		"isdataat:5000,relative; sid:1;)",
		"alert smtp any any -> any any (email.subject; content:\"AAA\"; "
		"isdataat:2000,relative; sid:2;)",
		"alert smtp any any -> any any (flow:to_server; content:\"EHLO \"; depth:5; "
		"isdataat:3000,relative; content:!\"|0a|\"; within:500; sid:3;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
	struct sig_flow *f;
	static char big[6000];

	if (!t) {
		sig_engine_free(e);
		return;
	}
	memset(big, 'x', sizeof(big) - 1);
	f = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_SERVER, "data\n\n\n");
	big[4000] = '\0';
	scan_s(t, f, SIG_DIR_TO_SERVER, big);
	CHECK_EQ_U(count_sid(&al, 1), 0);         /* 4000 of 5000 */
	big[4000] = 'x';
	big[1000] = '\0';
	scan_s(t, f, SIG_DIR_TO_SERVER, big);
	CHECK_EQ_U(count_sid(&al, 1), 1);         /* 5000: the bytes are there */
	big[1000] = 'x';
	sig_flow_close(t, f, NULL);
	/* a gap: the bytes never arrive */
	f = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_SERVER, "\n\n\n");
	sig_stream_gap(t, f, SIG_DIR_TO_SERVER);
	big[5500] = '\0';
	scan_s(t, f, SIG_DIR_TO_SERVER, big);
	big[5500] = 'x';
	CHECK_EQ_U(count_sid(&al, 1), 1);
	sig_flow_close(t, f, NULL);
	/* a block buffer */
	f = sig_flow_open(t, default_tuple());
	big[0] = 'A'; big[1] = 'A'; big[2] = 'A';
	big[1500] = '\0';
	scan_b(t, f, SIG_BUF_EMAIL_SUBJECT, big);
	CHECK_EQ_U(count_sid(&al, 2), 0);
	big[1500] = 'x';
	big[2003] = '\0';
	scan_b(t, f, SIG_BUF_EMAIL_SUBJECT, big);
	CHECK_EQ_U(count_sid(&al, 2), 1);
	big[2003] = 'x';
	sig_flow_close(t, f, NULL);
	/* the overflow idiom: 500 bytes without a newline, then 2500 more */
	f = sig_flow_open(t, default_tuple());
	memcpy(big, "EHLO ", 5);
	big[3005] = '\0';
	scan_s(t, f, SIG_DIR_TO_SERVER, big);
	CHECK_EQ_U(count_sid(&al, 3), 1);
	big[3005] = 'x';
	sig_flow_close(t, f, NULL);
	f = sig_flow_open(t, default_tuple());
	big[100] = '\n';
	big[3005] = '\0';
	scan_s(t, f, SIG_DIR_TO_SERVER, big);
	CHECK_EQ_U(count_sid(&al, 3), 1);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* sig_flow_discard: the state goes without deciding what waits for an end
 * (an endswith on an open file, a negation, a base64 window); close decides. */
static void test_flow_discard(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (file.data; content:\"END\"; endswith; sid:1;)",
		"alert smtp any any -> any any (smtp.data; content:!\"zzz\"; sid:2;)",
		"alert smtp any any -> any any (flow:to_server; content:\"|0d 0a 0d 0a|\"; "
		"base64_decode:relative; base64_data; content:\"hi\"; bsize:2; sid:3;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;

	if (!t) {
		sig_engine_free(e);
		return;
	}
	for (int discard = 1; discard >= 0; discard--) {
		struct sig_flow *f = sig_flow_open(t, default_tuple());

		al.n = 0;
		sig_stream_begin(t, f, SIG_BUF_FILE_DATA);
		sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)"xEND", 4, NULL);
		sig_data_begin(t, f);
		scan_d(t, f, "abc");
		scan_s(t, f, SIG_DIR_TO_SERVER, "x\r\n\r\naGk");
		if (discard)
			sig_flow_discard(t, f);
		else
			sig_flow_close(t, f, NULL);
		CHECK_EQ_U(al.n, discard ? 0u : 2u);      /* sid 1 and 3; sid 2 needs its end */
	}
	CHECK_EQ_U(sig_thread_get_stats(t)->flows_no_state, 0);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- directions ----------------------------------------------------- */

static void test_directions(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (flow:to_server; content:\"XSRV\"; sid:1;)",
		"alert smtp any any -> any any (flow:from_server; content:\"XCLI\"; sid:2;)",
		"alert smtp any any -> any any (content:\"XANY\"; sid:3;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
	struct sig_flow *f;
	int ctx_token;

	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_CLIENT, "XSRV");
	scan_s(t, f, SIG_DIR_TO_SERVER, "XCLI");
	CHECK_EQ_U(al.n, 0);
	sig_scan_stream(t, f, SIG_DIR_TO_SERVER, (const uint8_t *)"XSRV", 4, &ctx_token);
	CHECK_EQ_U(al.n, 1);
	CHECK_EQ_U(al.a[0].sid, 1);
	CHECK_EQ_U(al.a[0].dir, SIG_DIR_TO_SERVER);
	CHECK(al.a[0].ctx == &ctx_token);
	scan_s(t, f, SIG_DIR_TO_CLIENT, "XCLI");
	CHECK_EQ_U(al.n, 2);
	CHECK_EQ_U(al.a[1].sid, 2);
	CHECK_EQ_U(al.a[1].dir, SIG_DIR_TO_CLIENT);
	/* no flow direction: fires in whichever direction first, once per tx */
	scan_s(t, f, SIG_DIR_TO_CLIENT, "XANY");
	scan_s(t, f, SIG_DIR_TO_SERVER, "XANY");
	CHECK_EQ_U(count_sid(&al, 3), 1);
	CHECK_EQ_U(al.a[2].dir, SIG_DIR_TO_CLIENT);
	sig_flow_tx_end(t, f);
	scan_s(t, f, SIG_DIR_TO_SERVER, "XANY");
	CHECK_EQ_U(count_sid(&al, 3), 2);
	CHECK_EQ_U(al.a[3].dir, SIG_DIR_TO_SERVER);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- header addresses and ports ------------------------------------- */

struct hdr_case {
	const char *client;
	uint16_t cport;
	const char *server;
	uint16_t sport;
	enum sig_dir dir;
	uint32_t sids[6];          /* expected to fire, 0-terminated */
};

static void test_header(void)
{
	static const char *const rules[] = {
		/* inbound mail to a home server */
		"alert smtp $EXTERNAL_NET any -> $HOME_NET 25 (content:\"HIT\"; sid:1;)",
		/* server reply seen to_client: the packet source is the server */
		"alert smtp $HOME_NET 25 -> $EXTERNAL_NET any (content:\"HIT\"; sid:2;)",
		/* negation and port range */
		"alert smtp any [1024:,!40001] -> !192.168.1.10 any (content:\"HIT\"; sid:3;)",
		/* bidirectional */
		"alert smtp 192.168.1.10 25 <> 8.8.8.8 any (content:\"HIT\"; sid:4;)",
		/* IPv4 lists never match IPv6 hosts, any does */
		"alert smtp [2001:db8::/32] any -> any 587 (content:\"HIT\"; sid:5;)",
	};
	static const struct hdr_case cases[] = {
		{ "8.8.8.8", 40000, "192.168.1.10", 25, SIG_DIR_TO_SERVER, { 1, 4 } },
		{ "8.8.8.8", 40000, "192.168.1.10", 25, SIG_DIR_TO_CLIENT, { 2, 4 } },
		{ "8.8.8.8", 40000, "192.168.1.10", 26, SIG_DIR_TO_SERVER, { 0 } },
		{ "10.0.0.1", 40000, "192.168.1.10", 25, SIG_DIR_TO_SERVER, { 0 } },
		{ "8.8.8.8", 40000, "192.168.1.11", 25, SIG_DIR_TO_SERVER, { 1, 3 } },
		{ "8.8.8.8", 40001, "192.168.1.11", 25, SIG_DIR_TO_SERVER, { 1 } },
		{ "8.8.8.8", 1000, "1.1.1.1", 25, SIG_DIR_TO_SERVER, { 0 } },
		{ "8.8.8.8", 1024, "1.1.1.1", 25, SIG_DIR_TO_SERVER, { 3 } },
		/* home client talking out: to_server source is home */
		{ "192.168.1.10", 25, "8.8.8.8", 40000, SIG_DIR_TO_SERVER, { 2, 4 } },
		{ "172.16.5.5", 5555, "8.8.4.4", 25, SIG_DIR_TO_SERVER, { 3 } },
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;

	if (!t)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hdr_case *c = &cases[i];
		struct sig_tuple tup = tuple_v4(c->client, c->cport, c->server, c->sport);
		struct sig_flow *f = sig_flow_open(t, &tup);
		unsigned want = 0;

		al.n = 0;
		scan_s(t, f, c->dir, "HIT");
		for (unsigned k = 0; k < 6 && c->sids[k]; k++, want++)
			if (count_sid(&al, c->sids[k]) != 1)
				fprintf(stderr, "header case %zu: sid %u did not fire\n",
					i, c->sids[k]);
		if (al.n != want)
			fprintf(stderr, "header case %zu: %u alerts, want %u\n", i, al.n, want);
		CHECK_EQ_U(al.n, want);
		sig_flow_close(t, f, NULL);
	}
	/* IPv6 client -> IPv6 server on 587 */
	{
		struct sig_tuple tup;
		struct sig_flow *f;

		memset(&tup, 0, sizeof(tup));
		tup.client[0] = 0x20; tup.client[1] = 0x01;
		tup.client[2] = 0x0d; tup.client[3] = 0xb8; tup.client[15] = 1;
		tup.server[0] = 0xfe; tup.server[1] = 0x80; tup.server[15] = 2;
		tup.client_port = 50000;
		tup.server_port = 587;
		f = sig_flow_open(t, &tup);
		al.n = 0;
		scan_s(t, f, SIG_DIR_TO_SERVER, "HIT");
		CHECK_EQ_U(count_sid(&al, 5), 1);
		/* the IPv4-only HOME_NET does not contain an IPv6 server */
		CHECK_EQ_U(count_sid(&al, 1), 0);
		CHECK_EQ_U(count_sid(&al, 3), 1);
		CHECK_EQ_U(al.n, 2);
		sig_flow_close(t, f, NULL);
	}
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- transaction scope, once per tx, session scope ------------------- */

static void test_scopes(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (flow:to_server; content:\"AAA\"; "
		"content:\"BBB\"; sid:1;)",
		"alert smtp any any -> any any (flow:to_server; content:\"ONCE\"; sid:2;)",
		"alert smtp any any -> any any (smtp.helo; content:\"evil.example\"; "
		"smtp.mail_from; content:\"@spam\"; sid:3;)",
		"alert smtp any any -> any any (smtp.helo; content:\"evil.example\"; sid:4;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
	struct sig_flow *f;

	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	/* AAA in tx 1, BBB in tx 2: no alert; AAA again in tx 2: alert */
	scan_s(t, f, SIG_DIR_TO_SERVER, "AAA");
	sig_flow_tx_end(t, f);
	scan_s(t, f, SIG_DIR_TO_SERVER, "BBB");
	CHECK_EQ_U(count_sid(&al, 1), 0);
	scan_s(t, f, SIG_DIR_TO_SERVER, "AAA");
	CHECK_EQ_U(count_sid(&al, 1), 1);
	scan_s(t, f, SIG_DIR_TO_SERVER, "AAA BBB AAA");
	CHECK_EQ_U(count_sid(&al, 1), 1);

	/* once per tx */
	for (int i = 0; i < 5; i++)
		scan_s(t, f, SIG_DIR_TO_SERVER, "ONCE ONCE");
	CHECK_EQ_U(count_sid(&al, 2), 1);
	sig_flow_tx_end(t, f);
	scan_s(t, f, SIG_DIR_TO_SERVER, "ONCE");
	CHECK_EQ_U(count_sid(&al, 2), 2);
	sig_flow_tx_end(t, f);

	/* helo persists across transactions */
	scan_b(t, f, SIG_BUF_SMTP_HELO, "mx.evil.example");
	CHECK_EQ_U(count_sid(&al, 4), 1);
	scan_b(t, f, SIG_BUF_SMTP_MAIL_FROM, "<a@good>");
	sig_flow_tx_end(t, f);
	scan_b(t, f, SIG_BUF_SMTP_MAIL_FROM, "<b@spam.example>");
	CHECK_EQ_U(count_sid(&al, 3), 1);
	sig_flow_tx_end(t, f);
	scan_b(t, f, SIG_BUF_SMTP_MAIL_FROM, "<c@spam.example>");
	CHECK_EQ_U(count_sid(&al, 3), 2);
	sig_flow_tx_end(t, f);
	/* a new HELO replaces the old one */
	scan_b(t, f, SIG_BUF_SMTP_HELO, "mx.good.example");
	scan_b(t, f, SIG_BUF_SMTP_MAIL_FROM, "<d@spam.example>");
	CHECK_EQ_U(count_sid(&al, 3), 2);
	CHECK_EQ_U(count_sid(&al, 4), 1);
	/* smtp.helo is to_server only */
	sig_scan_buffer(t, f, SIG_BUF_SMTP_HELO, SIG_DIR_TO_CLIENT,
			(const uint8_t *)"evil.example", 12, NULL);
	CHECK_EQ_U(count_sid(&al, 4), 1);
	sig_flow_close(t, f, NULL);

	/* session scope is per flow */
	f = sig_flow_open(t, default_tuple());
	scan_b(t, f, SIG_BUF_SMTP_MAIL_FROM, "<e@spam.example>");
	CHECK_EQ_U(count_sid(&al, 3), 2);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- recipients ----------------------------------------------------- */

static void test_rcpt(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (smtp.rcpt_to; content:\"bob@\"; sid:1;)",
		"alert smtp any any -> any any (smtp.rcpt_to; content:\"x>bob\"; sid:2;)",
		("alert smtp any any -> any any (smtp.rcpt_to; content:\"carol\"; "
		 "smtp.data; content:\"invoice\"; nocase; sid:3;)"),
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
	struct sig_flow *f;

	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "<alice@x>");
	CHECK_EQ_U(al.n, 0);
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "bob@x>");
	CHECK_EQ_U(count_sid(&al, 1), 1);
	/* each recipient is scanned alone: "x>" + "bob" never joins */
	CHECK_EQ_U(count_sid(&al, 2), 0);
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "<bob@z>");
	CHECK_EQ_U(count_sid(&al, 1), 1);
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "<carol@y>");
	sig_data_begin(t, f);
	scan_d(t, f, "Your INVOICE");
	CHECK_EQ_U(count_sid(&al, 3), 1);  /* reported as the data arrives */
	sig_data_end(t, f, NULL);
	CHECK_EQ_U(count_sid(&al, 3), 1);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- message data stream -------------------------------------------- */

static void test_data_stream(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (smtp.data; content:\"attachment\"; sid:1;)",
		"alert smtp any any -> any any (content:\"RAWONLY\"; sid:2;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
	struct sig_flow *f;

	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	/* split across chunks */
	sig_data_begin(t, f);
	scan_d(t, f, "see the attach");
	scan_d(t, f, "ment RAWONLY");
	sig_data_end(t, f, NULL);
	CHECK_EQ_U(count_sid(&al, 1), 1);
	CHECK_EQ_U(count_sid(&al, 2), 0);    /* data is not the raw stream */
	scan_s(t, f, SIG_DIR_TO_SERVER, "attachment");
	CHECK_EQ_U(count_sid(&al, 1), 1);    /* raw stream is not data */
	sig_flow_tx_end(t, f);
	/* a message that is abandoned (no data_end): begin resets the stream */
	sig_data_begin(t, f);
	scan_d(t, f, "attach");
	sig_data_begin(t, f);
	scan_d(t, f, "ment");
	sig_data_end(t, f, NULL);
	CHECK_EQ_U(count_sid(&al, 1), 1);
	/* end resets too: the next message starts clean */
	sig_data_begin(t, f);
	scan_d(t, f, "attach");
	sig_data_end(t, f, NULL);
	sig_data_begin(t, f);
	scan_d(t, f, "ment");
	sig_data_end(t, f, NULL);
	CHECK_EQ_U(count_sid(&al, 1), 1);
	/* data without an explicit begin opens the stream lazily */
	sig_flow_tx_end(t, f);
	scan_d(t, f, "attachment");
	CHECK_EQ_U(count_sid(&al, 1), 2);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}


/* A content that a pcre of its rule implies gets no pattern of its own
 * (sig_expr.c content_implied); the rule fires exactly as with it. */
static void test_implied_content(void)
{
	static const struct {
		const char *rule;
		unsigned npat;          /* patterns of the engine */
	} cases[] = {
		/* implied: one pattern */
		{ "file.data; content:\"pdlckj\"; pcre:\"/ypdlckjxp[w]r/\";", 1 },
		{ "file.data; content:\"PDLckj\"; nocase; pcre:\"/ypdlckjxp[w]r/\";", 1 },
		{ "file.data; content:\"pdlckj\"; nocase; pcre:\"/YPDLCKJ/i\";", 1 },
		{ "file.data; pcre:\"/a\\;b(?:c)d/\"; content:\"a|3b|b\";", 1 },
		{ "file.data; content:\"kj\"; pcre:\"/^x+kjz*$/m\";", 1 },
		{ "file.data; content:\"npobhz\"; nocase; pcre:\"/zkaq[n]pobhzp/i\";", 1 },
		{ "file.data; content:\"evil.com\"; pcre:\"/www[.]evil[\\.]com/\";", 1 },
		/* not implied: two */
		{ "file.data; content:\"pdlckj\"; pcre:\"/YPDLCKJ/i\";", 2 },
		{ "file.data; content:\"pdlckj\"; pcre:\"/pdlck?j/\";", 2 },
		{ "file.data; content:\"pdlckj\"; pcre:\"/pdlckj|zz/\";", 2 },
		{ "file.data; content:\"pdlckj\"; pcre:\"/(?:pdlckj)+z/\";", 2 },
		{ "file.data; content:\"ab\"; pcre:\"/a[x]b/\";", 2 },
		{ "file.data; content:\"ab\"; pcre:\"/[ab]b/\";", 2 },
		{ "file.data; content:\"ab\"; pcre:\"/[^a]b/\";", 2 },
		{ "file.data; content:\"ab\"; pcre:\"/[a]?b/\";", 2 },
		{ "file.data; content:\"ab\"; pcre:\"/a b/x\";", 2 },
		{ "file.data; content:\"ab\"; content:\"zz\"; distance:0; pcre:\"/abzz/\";", 2 },
		{ "file.data; content:\"ab\"; offset:2; pcre:\"/xab/\";", 2 },
		{ "file.data; content:!\"ab\"; pcre:\"/xab/\";", 2 },
		/* the raw stream (a database per direction) */
		{ "content:\"ab\"; pcre:\"/xab/\";", 4 },
		{ "file.data; content:\"ab\"; file.name; pcre:\"/xab/\";", 2 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		const char *rules[1] = { text };
		struct sig_engine *e;

		snprintf(text, sizeof(text), "alert smtp any any -> any any (%s sid:1;)",
			 cases[i].rule);
		e = engine(rules, 1);
		if (!e)
			continue;
		if (sig_engine_pattern_count(e) != cases[i].npat)
			fprintf(stderr, "implied: %s: %u patterns\n", cases[i].rule,
				sig_engine_pattern_count(e));
		CHECK_EQ_U(sig_engine_pattern_count(e), cases[i].npat);
		sig_engine_free(e);
	}
	/* the rule fires where the pcre matches, and only there */
	{
		static const char *const rules[] = {
			"alert smtp any any -> any any (file.data; content:\"lckj\"; nocase; "
			"pcre:\"/ypdlckjx/\"; sid:1;)",
		};
		struct sig_engine *e = ENGINE(rules);
		struct alerts al = { 0 };
		struct sig_thread *t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
		struct sig_flow *f = t ? sig_flow_open(t, default_tuple()) : NULL;

		if (f) {
			sig_stream_begin(t, f, SIG_BUF_FILE_DATA);
			sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)"LCKJ alone", 10,
					NULL);
			sig_stream_end(t, f, SIG_BUF_FILE_DATA, NULL);
			CHECK_EQ_U(al.n, 0);
			sig_stream_begin(t, f, SIG_BUF_FILE_DATA);
			sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)"..ypdl", 6, NULL);
			sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)"ckjx..", 6, NULL);
			sig_stream_end(t, f, SIG_BUF_FILE_DATA, NULL);
			CHECK_EQ_U(count_sid(&al, 1), 1);
			sig_flow_close(t, f, NULL);
		}
		sig_thread_free(t);
		sig_engine_free(e);
	}
}

/* ---- pools and counters --------------------------------------------- */

static void test_pools(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (content:\"X1\"; sid:1;)",
		"alert smtp any any -> any any (smtp.data; content:\"D1\"; sid:2;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
	struct sig_flow *f1, *f2, *f3;
	const struct sig_thread_stats *st;

	if (!t)
		return;
	st = sig_thread_get_stats(t);
	f1 = sig_flow_open(t, default_tuple());
	f2 = sig_flow_open(t, default_tuple());
	f3 = sig_flow_open(t, default_tuple());
	CHECK(f1 != NULL && f2 != NULL && f1 != f2);
	CHECK(f3 == NULL);
	CHECK_EQ_U(st->flows_no_state, 1);
	/* a NULL flow is simply not inspected */
	scan_s(t, f3, SIG_DIR_TO_SERVER, "X1");
	scan_b(t, f3, SIG_BUF_SMTP_HELO, "X1");
	sig_data_begin(t, f3);
	scan_d(t, f3, "D1");
	sig_data_end(t, f3, NULL);
	sig_flow_tx_end(t, f3);
	sig_flow_close(t, f3, NULL);
	CHECK_EQ_U(al.n, 0);
	/* both flows keep their own streams */
	scan_s(t, f1, SIG_DIR_TO_SERVER, "X");
	scan_s(t, f2, SIG_DIR_TO_SERVER, "1");
	CHECK_EQ_U(al.n, 0);
	scan_s(t, f1, SIG_DIR_TO_SERVER, "1");
	CHECK_EQ_U(al.n, 1);
	scan_d(t, f1, "D");
	scan_d(t, f2, "D1");
	CHECK_EQ_U(count_sid(&al, 2), 1);
	scan_s(t, f2, SIG_DIR_TO_SERVER, "X");
	sig_flow_close(t, f2, NULL);
	f3 = sig_flow_open(t, default_tuple());
	CHECK(f3 != NULL);
	CHECK_EQ_U(st->flows_no_state, 1);
	/* f3 takes f2's slot and its raw stream, reset: f2's "X" does not
	 * meet f3's "1" */
	scan_s(t, f3, SIG_DIR_TO_SERVER, "1");
	CHECK_EQ_U(al.n, 2);
	{
		/* a Hyperscan stream opened outside the pools goes through
		 * the same process-wide allocator hook (malloc there) */
		hs_database_t *db = NULL;
		hs_compile_error_t *ce = NULL;
		hs_scratch_t *scr = NULL;
		hs_stream_t *hs = NULL;

		CHECK(hs_compile("ab", 0, HS_MODE_STREAM, NULL, &db, &ce) == HS_SUCCESS);
		CHECK(db && hs_alloc_scratch(db, &scr) == HS_SUCCESS);
		CHECK(db && hs_open_stream(db, 0, &hs) == HS_SUCCESS);
		CHECK(hs && hs_scan_stream(hs, "xa", 2, 0, scr, NULL, NULL) == HS_SUCCESS);
		CHECK(hs && hs_close_stream(hs, scr, NULL, NULL) == HS_SUCCESS);
		hs_free_scratch(scr);
		hs_free_database(db);
		hs_free_compile_error(ce);
	}
	CHECK_EQ_U(st->streams_no_state, 0);
	CHECK_EQ_U(st->scan_errors, 0);
	CHECK_EQ_U(st->scans, 7);
	CHECK_EQ_U(st->bytes_scanned, 8);
	CHECK_EQ_U(st->alerts, 2);
	CHECK_EQ_U(st->matches, 2);
	/* flows still open at thread end are released by sig_thread_free */
	sig_thread_free(t);
	sig_engine_free(e);
}

/* Many multi-content rules half-matched in one tx fill the flow's entries. */
static void test_match_state_full(void)
{
	enum { N = 60 };   /* more patterns than SIG_FLOW_SLOTS (48) */
	struct sig_set *s = sig_set_new();
	struct sig_engine *e = NULL;
	struct alerts al = { 0 };
	struct sig_thread *t;
	struct sig_flow *f;
	char rule[256], err[256], data[16];

	for (int i = 0; i < N; i++) {
		snprintf(rule, sizeof(rule), "alert smtp any any -> any any "
			 "(flow:to_server; content:\"K%02dK\"; content:\"TAIL%02d\"; sid:%d;)",
			 i, i, i + 1);
		CHECK_EQ_U(sig_set_add_rule(s, rule, "full.rules", 1, NULL, NULL), 0);
	}
	CHECK_EQ_U(sig_engine_build(s, &e, err, sizeof(err)), 0);
	if (!e)
		return;
	t = sig_thread_new(e, 1, on_alert, &al);
	f = sig_flow_open(t, default_tuple());
	for (int i = 0; i < N; i++) {
		snprintf(data, sizeof(data), "K%02dK", i);
		scan_s(t, f, SIG_DIR_TO_SERVER, data);
	}
	CHECK(sig_thread_get_stats(t)->match_state_full > 0);
	/* the first rules were recorded and can still complete */
	scan_s(t, f, SIG_DIR_TO_SERVER, "TAIL00");
	CHECK_EQ_U(count_sid(&al, 1), 1);
	/* tx_end frees the entries again */
	sig_flow_tx_end(t, f);
	scan_s(t, f, SIG_DIR_TO_SERVER, "K39K TAIL39");
	CHECK_EQ_U(count_sid(&al, 40), 1);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

static void test_empty_engine(void)
{
	struct sig_set *s = sig_set_new();
	struct sig_engine *e = NULL;
	struct alerts al = { 0 };
	struct sig_thread *t;
	struct sig_flow *f;
	char err[64];

	/* a set whose only rule was skipped is empty */
	CHECK_EQ_U(sig_set_add_rule(s, "alert smtp any any -> any any (lua:x.lua; sid:1;)",
				    "e.rules", 1, NULL, NULL), (uint64_t)(int64_t)-EINVAL);
	CHECK_EQ_U(sig_engine_build(s, &e, err, sizeof(err)), 0);
	if (!e)
		return;
	CHECK_EQ_U(sig_engine_rule_count(e), 0);
	CHECK_EQ_U(sig_engine_db_bytes(e), 0);
	t = sig_thread_new(e, 8, on_alert, &al);
	CHECK(t != NULL);
	if (!t) {
		sig_engine_free(e);
		return;
	}
	f = sig_flow_open(t, default_tuple());
	CHECK(f != NULL);
	scan_s(t, f, SIG_DIR_TO_SERVER, "anything");
	scan_b(t, f, SIG_BUF_SMTP_HELO, "anything");
	sig_data_begin(t, f);
	scan_d(t, f, "anything");
	sig_data_end(t, f, NULL);
	sig_flow_tx_end(t, f);
	sig_flow_close(t, f, NULL);
	CHECK_EQ_U(al.n, 0);
	CHECK_EQ_U(sig_thread_get_stats(t)->scans, 0);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* Every block-mode database carries a pattern that keeps Hyperscan from
 * building its small-write engine (sig_engine.c): its bytes in a buffer
 * match no rule and do not disturb the rules' own matches. */
static void test_no_small_write(void)
{
	static const uint8_t probe[] = "\x00\xff\xfe\x01\x02\xfd\x01" "ehlo.example";
	static const char *const rules[] = {
		"alert smtp any any -> any any (smtp.helo; content:\"ehlo.example\"; sid:1;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t;
	struct sig_flow *f;

	if (!e)
		return;
	t = sig_thread_new(e, 8, on_alert, &al);
	CHECK(t != NULL);
	if (!t) {
		sig_engine_free(e);
		return;
	}
	f = sig_flow_open(t, default_tuple());
	sig_scan_buffer(t, f, SIG_BUF_SMTP_HELO, SIG_DIR_TO_SERVER, probe, 7, NULL);
	sig_flow_tx_end(t, f);
	CHECK_EQ_U(al.n, 0);
	sig_scan_buffer(t, f, SIG_BUF_SMTP_HELO, SIG_DIR_TO_SERVER, probe, sizeof(probe) - 1, NULL);
	sig_flow_tx_end(t, f);
	CHECK_EQ_U(al.n, 1);
	CHECK_EQ_U(sig_thread_get_stats(t)->scan_errors, 0);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* Wrong buffer for the call, out-of-range enums: ignored, not crashed. */
static void test_misuse(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (content:\"Z9\"; sid:1;)",
		"alert smtp any any -> any any (smtp.data; content:\"Z9\"; sid:2;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 1, on_alert, &al) : NULL;
	struct sig_flow *f;

	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	scan_b(t, f, SIG_BUF_STREAM, "Z9");
	scan_b(t, f, SIG_BUF_SMTP_DATA, "Z9");
	sig_scan_buffer(t, f, (enum sig_buf)99, SIG_DIR_TO_SERVER, (const uint8_t *)"Z9", 2, NULL);
	sig_scan_stream(t, f, (enum sig_dir)7, (const uint8_t *)"Z9", 2, NULL);
	CHECK_EQ_U(al.n, 0);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* Enough rules to grow every build table; shared and distinct patterns. */
static void test_many_rules(void)
{
	enum { N = 3000 };
	struct sig_set *s = sig_set_new();
	struct sig_engine *e = NULL;
	struct alerts al = { 0 };
	struct sig_thread *t;
	struct sig_flow *f;
	char rule[256], err[256];
	unsigned bad = 0;

	for (int i = 0; i < N; i++) {
		snprintf(rule, sizeof(rule), "alert smtp any any -> any any (flow:to_server; "
			 "content:\"word%04dz\"; %s content:\"common\"; sid:%d;)", i,
			 i % 2 ? "nocase;" : "", i + 1);
		bad += sig_set_add_rule(s, rule, "many.rules", (unsigned)i, NULL, NULL) != 0;
	}
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(sig_engine_build(s, &e, err, sizeof(err)), 0);
	if (!e)
		return;
	CHECK_EQ_U(sig_engine_rule_count(e), N);
	t = sig_thread_new(e, 1, on_alert, &al);
	f = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_SERVER, "common word0100z WORD0101Z WORD0102Z word2999z");
	CHECK_EQ_U(al.n, 3);
	CHECK_EQ_U(count_sid(&al, 101), 1);
	CHECK_EQ_U(count_sid(&al, 102), 1);  /* nocase */
	CHECK_EQ_U(count_sid(&al, 103), 0);  /* case-sensitive */
	CHECK_EQ_U(count_sid(&al, 3000), 1);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* A Hyperscan compile error names the rule that caused it. */
static void test_compile_error(void)
{
	enum { HUGE = 6000 };    /* 24,000 chars as \xHH: over Hyperscan's limit */
	struct sig_set *s = sig_set_new();
	struct sig_engine *e = NULL;
	char *rule = malloc(HUGE * 4 + 128), *w = rule, err[256];
	const char *want = "big.rules:7: sid 42: ";

	w += sprintf(w, "alert smtp any any -> any any (content:\"");
	for (int i = 0; i < HUGE; i++)
		w += sprintf(w, "|%02x|", (unsigned)(i * 7 + 1) & 0xff);
	sprintf(w, "\"; sid:42;)");
	CHECK_EQ_U(sig_set_add_rule(s, "alert smtp any any -> any any (content:\"ok\"; sid:1;)",
				    "big.rules", 6, NULL, NULL), 0);
	CHECK_EQ_U(sig_set_add_rule(s, rule, "big.rules", 7, NULL, NULL), 0);
	CHECK_EQ_U(sig_engine_build(s, &e, err, sizeof(err)), (uint64_t)(int64_t)-EINVAL);
	CHECK(e == NULL);
	CHECK(strncmp(err, want, strlen(want)) == 0 && strlen(err) > strlen(want));
	if (strncmp(err, want, strlen(want)) != 0)
		fprintf(stderr, "compile error: %s\n", err);
	/* the set was consumed (ASan would report a leak otherwise) */
	free(rule);
}

/* ---- payload modifiers: positions, chains, pcre, negation ----------- */

enum { MB_BLOCK = 1, MB_DATA = 2, MB_STREAM = 4, MB_ALL = 7, MB_NOSTREAM = 3 };

struct mod_case {
	const char *opts;        /* options between the sticky buffer and sid */
	const char *data;
	int fire;
	unsigned where;          /* MB_*: buffers the case applies to */
};

static const struct mod_case mod_cases[] = {
	/* depth / offset: the match end lies in [offset + len, offset + depth] */
	{ "content:\"abc\"; depth:3;", "abcx", 1, MB_ALL },
	{ "content:\"abc\"; depth:3;", "xabc", 0, MB_ALL },
	{ "content:\"abc\"; depth:4;", "xabc", 1, MB_ALL },
	{ "content:\"abc\"; depth:4;", "xxabc", 0, MB_ALL },
	{ "content:\"abc\"; depth:4;", "xxabcabc", 0, MB_ALL },
	{ "content:\"abc\"; offset:1;", "abc", 0, MB_ALL },
	{ "content:\"abc\"; offset:1;", "abcabc", 1, MB_ALL },
	{ "content:\"abc\"; offset:1;", "xabc", 1, MB_ALL },
	{ "content:\"abc\"; offset:2; depth:3;", "xxabc", 1, MB_ALL },
	{ "content:\"abc\"; offset:2; depth:3;", "xabcx", 0, MB_ALL },
	{ "content:\"abc\"; offset:2; depth:3;", "xxxabc", 0, MB_ALL },
	{ "content:\"abc\"; offset:2; depth:4;", "xxxabc", 1, MB_ALL },
	{ "content:\"abc\"; startswith;", "abcd", 1, MB_ALL },
	{ "content:\"abc\"; startswith;", "xabc", 0, MB_ALL },
	{ "content:\"ABC\"; nocase; depth:3;", "aBc", 1, MB_ALL },
	/* endswith: the end of the buffer / message */
	{ "content:\"abc\"; endswith;", "xabc", 1, MB_NOSTREAM },
	{ "content:\"abc\"; endswith;", "abcx", 0, MB_NOSTREAM },
	{ "content:\"abc\"; endswith;", "abcxabc", 1, MB_NOSTREAM },
	{ "content:\"abc\"; endswith;", "abc\n", 0, MB_NOSTREAM },
	{ "content:\"abc\"; offset:2; endswith;", "xabc", 0, MB_NOSTREAM },
	{ "content:\"abc\"; offset:1; endswith;", "xabc", 1, MB_NOSTREAM },
	{ "content:\"abc\"; startswith; endswith;", "abc", 1, MB_NOSTREAM },
	{ "content:\"abc\"; startswith; endswith;", "abcabc", 0, MB_NOSTREAM },
	/* distance / within, relative to the end of the previous match */
	{ "content:\"ab\"; content:\"cd\"; distance:0;", "abcd", 1, MB_ALL },
	{ "content:\"ab\"; content:\"cd\"; distance:0;", "cdab", 0, MB_ALL },
	{ "content:\"ab\"; content:\"cd\"; distance:0;", "abxxcd", 1, MB_ALL },
	{ "content:\"ab\"; content:\"cd\"; distance:1;", "abcd", 0, MB_ALL },
	{ "content:\"ab\"; content:\"cd\"; distance:1;", "abxcd", 1, MB_ALL },
	{ "content:\"ab\"; content:\"cd\"; within:2;", "abcd", 1, MB_ALL },
	{ "content:\"ab\"; content:\"cd\"; within:2;", "abxcd", 0, MB_ALL },
	{ "content:\"ab\"; content:\"cd\"; within:3;", "abxcd", 1, MB_ALL },
	{ "content:\"ab\"; content:\"cd\"; distance:1; within:2;", "abxcd", 1, MB_ALL },
	{ "content:\"ab\"; content:\"cd\"; distance:1; within:2;", "abcd", 0, MB_ALL },
	{ "content:\"ab\"; content:\"cd\"; distance:1; within:2;", "abxxcd", 0, MB_ALL },
	{ "content:\"ab\"; content:\"cd\"; distance:1; within:3;", "abxxcd", 1, MB_ALL },
	/* some occurrence of the previous content will do */
	{ "content:\"ab\"; content:\"cd\"; within:3;", "abxxxxabxcd", 1, MB_ALL },
	/* chains of three */
	{ "content:\"a1\"; content:\"b2\"; distance:0; within:4; content:\"c3\"; distance:1;",
	  "a1b2xc3", 1, MB_ALL },
	{ "content:\"a1\"; content:\"b2\"; distance:0; within:4; content:\"c3\"; distance:1;",
	  "a1b2c3", 0, MB_ALL },
	{ "content:\"a1\"; content:\"b2\"; distance:0; within:4; content:\"c3\"; distance:1;",
	  "a1xxxb2xc3", 0, MB_ALL },
	{ "content:\"a1\"; content:\"b2\"; distance:0; within:4; content:\"c3\"; distance:1;",
	  "a1xxb2xc3", 1, MB_ALL },
	/* an independent content between chains */
	{ "content:\"ab\"; content:\"zz\"; content:\"cd\"; distance:0;", "cdzzab", 0, MB_ALL },
	{ "content:\"ab\"; content:\"zz\"; content:\"cd\"; within:2;", "zzabcd", 0, MB_ALL },
	{ "content:\"ab\"; content:\"zz\"; content:\"cd\"; within:2;", "abzzcd", 1, MB_ALL },
	/* nocase per element */
	{ "content:\"AB\"; nocase; content:\"cd\"; distance:0;", "abcd", 1, MB_ALL },
	{ "content:\"AB\"; nocase; content:\"cd\"; distance:0;", "ABCD", 0, MB_ALL },
	{ "content:\"AB\"; nocase; content:\"cd\"; distance:0;", "aBcd", 1, MB_ALL },
	/* absolute first element of a chain */
	{ "content:\"ab\"; depth:3; content:\"cd\"; distance:0;", "xabcd", 1, MB_ALL },
	{ "content:\"ab\"; depth:3; content:\"cd\"; distance:0;", "xxabcd", 0, MB_ALL },
	{ "content:\"ab\"; offset:1; content:\"cd\"; within:2;", "abcdxabcd", 1, MB_ALL },
	{ "content:\"ab\"; offset:1; content:\"cd\"; within:2;", "abcdxabxcd", 0, MB_ALL },
	{ "content:\"ab\"; content:\"cd\"; distance:0; endswith;", "abxcd", 1, MB_NOSTREAM },
	{ "content:\"ab\"; content:\"cd\"; distance:0; endswith;", "abxcdx", 0, MB_NOSTREAM },
	/* pcre and its flags */
	{ "pcre:\"/a.c/\";", "abc", 1, MB_ALL },
	{ "pcre:\"/a.c/\";", "a\nc", 0, MB_ALL },
	{ "pcre:\"/a.c/s\";", "a\nc", 1, MB_ALL },
	{ "pcre:\"/ABC/i\";", "xabcx", 1, MB_ALL },
	{ "pcre:\"/ABC/\";", "xabcx", 0, MB_ALL },
	{ "pcre:\"/^abc/\";", "abc", 1, MB_ALL },
	{ "pcre:\"/^abc/\";", "x\nabc", 0, MB_ALL },
	{ "pcre:\"/^abc/m\";", "x\nabc", 1, MB_ALL },
	{ "pcre:\"/a b c # comment/x\";", "abc", 1, MB_ALL },
	{ "pcre:\"/a\\;b/\";", "a;b", 1, MB_ALL },
	{ "pcre:\"/cd$/\";", "abcd", 1, MB_NOSTREAM },
	{ "pcre:\"/cd$/\";", "cdx", 0, MB_NOSTREAM },
	{ "pcre:\"/cd$/\";", "abcd\n", 1, MB_NOSTREAM },   /* PCRE: before a final newline */
	{ "pcre:\"/cd\\z/\";", "abcd\n", 0, MB_NOSTREAM },
	{ "pcre:\"/x\\d{2,3}y/\";", "x123y", 1, MB_ALL },
	{ "pcre:\"/x\\d{2,3}y/\";", "x1234y", 0, MB_ALL },
	/* pcre R: from the end of the previous match; '^' anchors there */
	{ "content:\"ab\"; pcre:\"/^cd/R\";", "abcd", 1, MB_ALL },
	{ "content:\"ab\"; pcre:\"/^cd/R\";", "abxcd", 0, MB_ALL },
	{ "content:\"ab\"; pcre:\"/^cd/R\";", "abxcdabcd", 1, MB_ALL },
	{ "content:\"ab\"; pcre:\"/cd/R\";", "abxxcd", 1, MB_ALL },
	{ "content:\"ab\"; pcre:\"/cd/R\";", "cdab", 0, MB_ALL },
	{ "content:\"ab\"; pcre:\"/^cd/mR\";", "abx\ncd", 1, MB_ALL },
	{ "content:\"ab\"; pcre:\"/^cd/mR\";", "abxcd", 0, MB_ALL },
	{ "content:\"ab\"; content:\"cd\"; distance:0; pcre:\"/^E/iR\";", "abcde", 1, MB_ALL },
	/* block buffers: Hyperscan prefilter, PCRE2 confirmation */
	{ "pcre:\"/(a)\\1/\";", "xaa", 1, MB_BLOCK },
	{ "pcre:\"/(a)\\1/\";", "xab", 0, MB_BLOCK },
	{ "pcre:\"/a(?=b)/\";", "ab", 1, MB_BLOCK },
	{ "pcre:\"/a(?=b)/\";", "ac", 0, MB_BLOCK },
	{ "pcre:\"/(?<=x)b/\";", "xb", 1, MB_BLOCK },
	{ "pcre:\"/(?<=x)b/\";", "yb", 0, MB_BLOCK },
	{ "content:\"x\"; pcre:\"/^(\\d)\\1/R\";", "yx11", 1, MB_BLOCK },
	{ "content:\"x\"; pcre:\"/^(\\d)\\1/R\";", "yx12", 0, MB_BLOCK },
	{ "content:\"x\"; pcre:\"/^(\\d)\\1/R\";", "x12x33", 1, MB_BLOCK },
	{ "content:\"ab\"; pcre:\"/(?i)(c)\\1/R\";", "abxCc", 1, MB_BLOCK },
	{ "pcre:!\"/(a)\\1/\";", "ab", 1, MB_BLOCK },
	{ "pcre:!\"/(a)\\1/\";", "aa", 0, MB_BLOCK },
	{ "content:\"q\"; pcre:!\"/(a)\\1/\";", "qab", 1, MB_BLOCK },
	{ "content:\"q\"; pcre:!\"/(a)\\1/\";", "qaa", 0, MB_BLOCK },
	/* negation: decided once the buffer is complete */
	{ "content:!\"xyz\";", "abc", 1, MB_NOSTREAM },
	{ "content:!\"xyz\";", "axyzb", 0, MB_NOSTREAM },
	{ "content:\"ab\"; content:!\"xyz\";", "ab", 1, MB_NOSTREAM },
	{ "content:\"ab\"; content:!\"xyz\";", "abxyz", 0, MB_NOSTREAM },
	{ "content:\"ab\"; content:!\"xyz\";", "cd", 0, MB_NOSTREAM },
	{ "content:!\"ab\"; depth:2;", "xab", 1, MB_NOSTREAM },
	{ "content:!\"ab\"; depth:2;", "abx", 0, MB_NOSTREAM },
	{ "content:!\"AB\"; nocase;", "xaBx", 0, MB_NOSTREAM },
	{ "content:!\"AB\";", "xaBx", 1, MB_NOSTREAM },
	{ "pcre:!\"/a.c/\";", "abd", 1, MB_NOSTREAM },
	{ "pcre:!\"/a.c/\";", "abc", 0, MB_NOSTREAM },
	{ "content:\"ab\"; content:\"cd\"; distance:0; content:!\"ef\"; endswith;",
	  "abcdef", 0, MB_NOSTREAM },
	{ "content:\"ab\"; content:\"cd\"; distance:0; content:!\"ef\"; endswith;",
	  "abcdefx", 1, MB_NOSTREAM },
	/* a trailing lookahead: compiled as a group (stream buffers too) */
	{ "pcre:\"/ab(?=c(d|e))/\";", "xabce", 1, MB_ALL },
	{ "pcre:\"/ab(?=c(d|e))/\";", "xabcf", 0, MB_ALL },
	{ "content:\"q\"; pcre:\"/^ab(?=cd)/R\";", "qabcd", 1, MB_ALL },
	{ "content:\"q\"; pcre:\"/^ab(?=cd)/R\";", "qabc", 0, MB_ALL },
	/* isdataat absolute: a byte at offset N (N < length) */
	{ "content:\"ab\"; isdataat:4;", "abxxx", 1, MB_ALL },
	{ "content:\"ab\"; isdataat:4;", "abxx", 0, MB_ALL },
	{ "content:\"ab\"; isdataat:!4;", "abxx", 1, MB_NOSTREAM },
	{ "content:\"ab\"; isdataat:!4;", "abxxx", 0, MB_NOSTREAM },
	/* isdataat relative: at least N bytes after the match (some match) */
	{ "content:\"ab\"; isdataat:3,relative;", "abxyz", 1, MB_ALL },
	{ "content:\"ab\"; isdataat:3,relative;", "xxxabxy", 0, MB_ALL },
	{ "content:\"ab\"; isdataat:3,relative;", "abxxabx", 1, MB_ALL },
	{ "content:\"ab\"; isdataat:!3,relative;", "xxxxabxy", 1, MB_NOSTREAM },
	{ "content:\"ab\"; isdataat:!3,relative;", "abxyz", 0, MB_NOSTREAM },
	/* the overflow idiom: N bytes follow and no newline among the first M */
	{ "content:\"AB\"; isdataat:5,relative; content:!\"|0a|\"; within:3;",
	  "ABxxx\nz", 1, MB_ALL },
	{ "content:\"AB\"; isdataat:5,relative; content:!\"|0a|\"; within:3;",
	  "ABx\nxxz", 0, MB_ALL },
	{ "content:\"AB\"; isdataat:5,relative; content:!\"|0a|\"; within:3;",
	  "ABxxxx", 0, MB_ALL },
	{ "content:\"AB\"; content:!\"|0a|\"; within:3; isdataat:2,relative;",
	  "ABxxx\n", 1, MB_ALL },
	{ "content:\"AB\"; content:!\"|0a|\"; within:3; isdataat:2,relative;",
	  "ABx\nxx", 0, MB_ALL },
	/* the window clipped at the end of the buffer (not on the raw stream) */
	{ "content:\"AB\"; content:!\"|0a|\"; within:4; isdataat:2,relative;",
	  "ABxx", 1, MB_NOSTREAM },
	{ "content:\"AB\"; content:!\"|0a|\"; within:4; isdataat:2,relative;",
	  "ABx", 0, MB_NOSTREAM },
	{ "content:\"AB\"; content:!\"x\"; nocase; within:2;", "ABX", 0, MB_NOSTREAM },
	{ "content:\"AB\"; content:!\"x\"; nocase; within:2;", "ABab", 1, MB_ALL },
};

/* The block and streaming buffers a modifier case runs in, by case
 * number: the cases rotate over them (all behave alike; each is covered). */
static const enum sig_buf mod_block_bufs[] = {
	SIG_BUF_SMTP_MAIL_FROM, SIG_BUF_EMAIL_SUBJECT, SIG_BUF_FILE_NAME, SIG_BUF_EMAIL_URL,
};
static const enum sig_buf mod_stream_bufs[] = {
	SIG_BUF_SMTP_DATA, SIG_BUF_FILE_DATA, SIG_BUF_EMAIL_BODY,
};

/* Whether the rule fires on data in buffer kind mb (buffer b); data is fed
 * in two chunks split at `split` (streaming kinds) or whole (block). */
static int mod_run(struct sig_thread *t, unsigned mb, enum sig_buf b, const char *data,
		   size_t split)
{
	struct sig_flow *f;
	size_t len = strlen(data);

	f = sig_flow_open(t, default_tuple());
	if (!f)
		return -1;
	if (mb == MB_BLOCK) {
		scan_b(t, f, b, data);
	} else if (mb == MB_DATA) {
		sig_stream_begin(t, f, b);
		sig_stream_scan(t, f, b, (const uint8_t *)data, split, NULL);
		sig_stream_scan(t, f, b, (const uint8_t *)data + split, len - split, NULL);
		sig_stream_end(t, f, b, NULL);
	} else {
		sig_scan_stream(t, f, SIG_DIR_TO_SERVER, (const uint8_t *)data, split, NULL);
		sig_scan_stream(t, f, SIG_DIR_TO_SERVER, (const uint8_t *)data + split,
				len - split, NULL);
	}
	sig_flow_tx_end(t, f);
	sig_flow_close(t, f, NULL);
	return 0;
}

static void test_modifiers(void)
{
	unsigned bad = 0, runs = 0;

	for (size_t i = 0; i < sizeof(mod_cases) / sizeof(mod_cases[0]); i++) {
		const struct mod_case *c = &mod_cases[i];

		for (unsigned mb = 1; mb <= MB_STREAM; mb <<= 1) {
			char rule[512], sticky[32];
			const char *rules[1] = { rule };
			struct sig_engine *e;
			struct alerts al = { 0 };
			struct sig_thread *t;
			size_t len = strlen(c->data);
			enum sig_buf b = mb == MB_BLOCK ? mod_block_bufs[i % 4] :
				mb == MB_DATA ? mod_stream_bufs[i % 3] : SIG_BUF_STREAM;

			if (!(c->where & mb))
				continue;
			if (mb == MB_STREAM)
				snprintf(sticky, sizeof(sticky), "flow:to_server;");
			else
				snprintf(sticky, sizeof(sticky), "%s;", sig_buf_name(b));
			snprintf(rule, sizeof(rule), "alert smtp any any -> any any "
				 "(%s %s sid:1;)", sticky, c->opts);
			e = engine(rules, 1);
			t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
			if (!t) {
				fprintf(stderr, "case %zu: %s\n", i, rule);
				CHECK(0);
				sig_engine_free(e);
				continue;
			}
			/* block: once; streaming: split at every offset */
			for (size_t k = 0; k <= (mb == MB_BLOCK ? 0 : len); k++) {
				al.n = 0;
				mod_run(t, mb, b, c->data, k);
				runs++;
				if ((int)al.n != c->fire) {
					bad++;
					fprintf(stderr, "case %zu (%s, split %zu): %s on \"%s\": "
						"%u alerts, want %d\n", i, sig_buf_name(b),
						k, c->opts, c->data, al.n, c->fire);
				}
			}
			/* byte by byte */
			if (mb != MB_BLOCK) {
				struct sig_flow *f = sig_flow_open(t, default_tuple());

				al.n = 0;
				if (mb == MB_DATA)
					sig_stream_begin(t, f, b);
				for (size_t k = 0; k < len; k++) {
					if (mb == MB_DATA)
						sig_stream_scan(t, f, b, (const uint8_t *)c->data + k,
								1, NULL);
					else
						sig_scan_stream(t, f, SIG_DIR_TO_SERVER,
								(const uint8_t *)c->data + k, 1, NULL);
				}
				if (mb == MB_DATA)
					sig_stream_end(t, f, b, NULL);
				sig_flow_close(t, f, NULL);
				bad += (int)al.n != c->fire;
			}
			sig_thread_free(t);
			sig_engine_free(e);
		}
	}
	CHECK_EQ_U(bad, 0);
	CHECK(runs > 500);
}

/* Absolute positions on the raw stream count from its start; after a gap
 * they are unknown, so a position-dependent condition no longer matches
 * while a free-floating one does. */
static void test_positions_after_gap(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (flow:to_server; content:\"abc\"; depth:3; sid:1;)",
		"alert smtp any any -> any any (flow:to_server; content:\"abc\"; sid:2;)",
		"alert smtp any any -> any any (flow:to_server; pcre:\"/^abc/\"; sid:3;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
	struct sig_flow *f;

	CHECK(t != NULL);
	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_SERVER, "xy");
	sig_stream_gap(t, f, SIG_DIR_TO_SERVER);
	scan_s(t, f, SIG_DIR_TO_SERVER, "abc");
	CHECK_EQ_U(al.n, 1);
	CHECK_EQ_U(count_sid(&al, 2), 1);
	sig_flow_close(t, f, NULL);
	al.n = 0;
	f = sig_flow_open(t, default_tuple());
	scan_s(t, f, SIG_DIR_TO_SERVER, "abc");
	CHECK_EQ_U(al.n, 3);
	/* the to_client stream is its own: no gap there */
	sig_stream_gap(t, f, SIG_DIR_TO_SERVER);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* Negated smtp.data conditions: an uninspected (empty) message decides
 * nothing, a message whose matches could not all be recorded neither. */
static void test_negation_scope(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (smtp.data; content:!\"xyz\"; sid:1;)",
		"alert smtp any any -> any any (smtp.rcpt_to; content:!\"@good\"; sid:2;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
	struct sig_flow *f;

	CHECK(t != NULL);
	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	sig_data_begin(t, f);
	sig_data_end(t, f, NULL);
	CHECK_EQ_U(al.n, 0);
	sig_data_begin(t, f);
	scan_d(t, f, "hello");
	sig_data_end(t, f, NULL);
	CHECK_EQ_U(count_sid(&al, 1), 1);
	/* once per transaction */
	sig_data_begin(t, f);
	scan_d(t, f, "hello");
	sig_data_end(t, f, NULL);
	CHECK_EQ_U(count_sid(&al, 1), 1);
	sig_flow_tx_end(t, f);
	/* per recipient: fires when some recipient lacks it */
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "a@good");
	CHECK_EQ_U(count_sid(&al, 2), 0);
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "b@bad");
	CHECK_EQ_U(count_sid(&al, 2), 1);
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "");
	CHECK_EQ_U(count_sid(&al, 2), 1);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* A confirmation that runs into PCRE2's match limit is a non-match, and
 * counted. */
static void test_pcre_limit(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (smtp.helo; pcre:\"/^(a+)+(?=b)\\1x/\"; sid:1;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 4, on_alert, &al) : NULL;
	struct sig_flow *f;

	CHECK(t != NULL);
	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	scan_b(t, f, SIG_BUF_SMTP_HELO, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaax");
	CHECK_EQ_U(al.n, 0);
	CHECK_EQ_U(sig_thread_get_stats(t)->pcre_limit, 1);
	CHECK_EQ_U(sig_thread_get_stats(t)->scan_errors, 0);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- differential: engine vs a naive reference matcher -------------- */

/*
 * An element: a content (kind 0), a pcre (kind 1: re, with flags i/s; only
 * last, as a chain ends with it), or an isdataat (kind 2: n bytes after
 * the cursor, neg: fewer). A relative negated content is a one-byte tail
 * window (within) after a positive content, like isdataat it does not
 * move the cursor.
 */
struct ref_el {
	int kind;
	char c[4];
	unsigned len;
	bool nocase, neg, sw, ew, rel;
	int depth, offset, distance, within;   /* -1 unset */
	const char *re;
	bool re_i, re_s;
	unsigned n;
};

struct ref_rule {
	struct ref_el el[4];
	unsigned n;
};

static uint32_t rng_state = 12345;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) % n;
}

static bool ref_at(const struct ref_el *e, const char *b, size_t pos)
{
	for (unsigned i = 0; i < e->len; i++) {
		char x = b[pos + i], y = e->c[i];

		if (e->nocase) {
			x = (char)((x >= 'A' && x <= 'Z') ? x + 32 : x);
			y = (char)((y >= 'A' && y <= 'Z') ? y + 32 : y);
		}
		if (x != y)
			return false;
	}
	return true;
}

/* Is element e at pos allowed (Suricata's window), given prev_end? */
static bool ref_window(const struct ref_el *e, size_t blen, long pos, long prev_end)
{
	long end = pos + (long)e->len;

	if (e->rel) {
		long d = e->distance < 0 ? 0 : e->distance;

		if (pos < prev_end + d)
			return false;
		if (e->within >= 0 && end > prev_end + d + e->within)
			return false;
	} else {
		long o = e->offset < 0 ? 0 : e->offset, dp = e->depth;

		if (e->sw) {
			o = 0;
			dp = (long)e->len;
		}
		if (pos < o)
			return false;
		if (dp >= 0 && end > o + dp)
			return false;
	}
	return !e->ew || end == (long)blen;
}

/* PCRE2 on b[from, blen): the reference for a pcre element. */
static bool ref_pcre(const struct ref_el *e, const char *b, size_t blen, size_t from)
{
	pcre2_code *re;
	pcre2_match_data *md;
	int ec, rc;
	PCRE2_SIZE eo;

	re = pcre2_compile((PCRE2_SPTR)e->re, PCRE2_ZERO_TERMINATED,
			   (e->re_i ? PCRE2_CASELESS : 0) | (e->re_s ? PCRE2_DOTALL : 0),
			   &ec, &eo, NULL);
	if (!re)
		return false;
	md = pcre2_match_data_create_from_pattern(re, NULL);
	rc = pcre2_match(re, (PCRE2_SPTR)(b + from), blen - from, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return rc >= 0;
}

static bool ref_lower_eq(char x, char y, bool nocase)
{
	if (nocase) {
		x = (char)((x >= 'A' && x <= 'Z') ? x + 32 : x);
		y = (char)((y >= 'A' && y <= 'Z') ? y + 32 : y);
	}
	return x == y;
}

/* Suricata's inspection: elements in order; a relative one is tried after
 * every match of the one before it (recursion = its retries). */
static bool ref_match(const struct ref_rule *r, unsigned k, const char *b,
		      size_t blen, long prev_end)
{
	const struct ref_el *e;
	bool any = false;

	if (k == r->n)
		return true;
	e = &r->el[k];
	if (e->kind == 1)
		return ref_pcre(e, b, blen, e->rel ? (size_t)prev_end : 0) &&
			ref_match(r, k + 1, b, blen, prev_end);
	if (e->kind == 2) {
		bool have = (long)blen - prev_end >= (long)e->n;

		return have != e->neg && ref_match(r, k + 1, b, blen, prev_end);
	}
	if (e->neg && e->rel) {
		/* a one-byte window clipped to the buffer */
		for (long i = prev_end; i < prev_end + e->within && i < (long)blen; i++)
			if (ref_lower_eq(b[i], e->c[0], e->nocase))
				return false;
		return ref_match(r, k + 1, b, blen, prev_end);
	}
	for (long pos = 0; pos + (long)e->len <= (long)blen; pos++) {
		if (!ref_window(e, blen, pos, prev_end) || !ref_at(e, b, (size_t)pos))
			continue;
		if (e->neg) {
			any = true;
			break;
		}
		if (ref_match(r, k + 1, b, blen, pos + (long)e->len))
			return true;
	}
	if (e->neg)
		return !any && ref_match(r, k + 1, b, blen, prev_end);
	return false;
}

static const char *const ref_res[] = {
	"a.b", "[ab]+B", "ab|Bb", "b{2}", "(a|B)b", "a[^b]a", "ba?B", "^ab", "^(a|b)B",
	/* what Hyperscan prefilters and PCRE2 confirms (block: the buffer;
	 * stream: its window) */
	"a(?!b)", "(?<=B)a", "(a|b)\\1", "b(?=a)B?",
};

static unsigned gen_pcre, gen_tail;   /* elements of those kinds generated */

static void gen_rule(struct ref_rule *r)
{
	static const char alpha[] = "abB";

	memset(r, 0, sizeof(*r));
	r->n = 1 + rnd(3);
	for (unsigned k = 0; k < r->n; k++) {
		struct ref_el *e = &r->el[k];
		const struct ref_el *p = k ? &r->el[k - 1] : NULL;

		e->len = 1 + rnd(3);
		for (unsigned i = 0; i < e->len; i++)
			e->c[i] = alpha[rnd(3)];
		e->nocase = rnd(3) == 0;
		e->depth = e->offset = e->distance = e->within = -1;
		/* relative only after a positive element without endswith */
		if (p && !p->neg && !p->ew && rnd(2)) {
			e->rel = true;
			if (rnd(3))
				e->distance = (int)rnd(4);
			if (e->distance < 0 || rnd(2))
				e->within = (int)(e->len + rnd(5));
		} else {
			if (rnd(4) == 0)
				e->sw = true;
			else {
				if (rnd(3) == 0)
					e->offset = (int)rnd(5);
				if (rnd(3) == 0)
					e->depth = (int)(e->len + rnd(6));
			}
			e->neg = rnd(6) == 0;
		}
		e->ew = rnd(6) == 0;
	}
	/* a negated element or an endswith cannot be followed by a relative
	 * one (skipped rules; the generator avoids them) */
	for (unsigned k = 1; k < r->n; k++)
		if (r->el[k].rel && (r->el[k - 1].neg || r->el[k - 1].ew))
			r->el[k - 1].neg = r->el[k - 1].ew = false;
	/* a tail after the last element, if it is a positive content without
	 * endswith: isdataat and/or a negated one-byte window */
	if (r->n < 4 && !r->el[r->n - 1].neg && !r->el[r->n - 1].ew && rnd(3) == 0) {
		struct ref_el *e = &r->el[r->n++];

		gen_tail++;
		memset(e, 0, sizeof(*e));
		e->depth = e->offset = e->distance = e->within = -1;
		e->rel = true;
		if (rnd(2)) {
			e->kind = 2;
			e->n = rnd(6);
			e->neg = e->n > 0 && rnd(3) == 0;
		} else {
			e->c[0] = alpha[rnd(3)];
			e->len = 1;
			e->neg = true;
			e->nocase = rnd(3) == 0;
			e->within = 1 + (int)rnd(5);
			if (r->n < 4 && rnd(2)) {
				struct ref_el *i2 = &r->el[r->n++];

				memset(i2, 0, sizeof(*i2));
				i2->depth = i2->offset = i2->distance = i2->within = -1;
				i2->rel = true;
				i2->kind = 2;
				i2->n = rnd(7);
			}
		}
	} else if (r->n < 4 && !r->el[r->n - 1].neg && !r->el[r->n - 1].ew && rnd(3) == 0) {
		/* a pcre last: alone (absolute) or relative to the content */
		struct ref_el *e = &r->el[r->n++];

		memset(e, 0, sizeof(*e));
		e->depth = e->offset = e->distance = e->within = -1;
		gen_pcre++;
		e->kind = 1;
		e->re = ref_res[rnd(sizeof(ref_res) / sizeof(ref_res[0]))];
		e->re_i = rnd(3) == 0;
		e->re_s = rnd(4) == 0;
		/* look-around and back-references: PCRE2 confirms them on the
		 * whole pattern, which a chain anchored by its content's
		 * offset or a relative look-behind would not be: standalone */
		e->rel = strpbrk(e->re, "(\\") && strchr(e->re, '?') ? false :
			strchr(e->re, '\\') ? false : rnd(2);
	}
}

static void rule_text(const struct ref_rule *r, unsigned sid, const char *sticky,
		      char *out, size_t cap)
{
	size_t w = (size_t)snprintf(out, cap, "alert smtp any any -> any any (%s ", sticky);

	for (unsigned k = 0; k < r->n; k++) {
		const struct ref_el *e = &r->el[k];

		if (e->kind == 1) {
			w += (size_t)snprintf(out + w, cap - w, "pcre:\"/%s/%s%s%s\"; ", e->re,
					      e->re_i ? "i" : "", e->re_s ? "s" : "",
					      e->rel ? "R" : "");
			continue;
		}
		if (e->kind == 2) {
			w += (size_t)snprintf(out + w, cap - w, "isdataat:%s%u,relative; ",
					      e->neg ? "!" : "", e->n);
			continue;
		}
		w += (size_t)snprintf(out + w, cap - w, "content:%s\"%.*s\";", e->neg ? "!" : "",
				      (int)e->len, e->c);
		if (e->nocase)
			w += (size_t)snprintf(out + w, cap - w, " nocase;");
		if (e->offset >= 0)
			w += (size_t)snprintf(out + w, cap - w, " offset:%d;", e->offset);
		if (e->depth >= 0)
			w += (size_t)snprintf(out + w, cap - w, " depth:%d;", e->depth);
		if (e->distance >= 0)
			w += (size_t)snprintf(out + w, cap - w, " distance:%d;", e->distance);
		if (e->within >= 0)
			w += (size_t)snprintf(out + w, cap - w, " within:%d;", e->within);
		if (e->sw)
			w += (size_t)snprintf(out + w, cap - w, " startswith;");
		if (e->ew)
			w += (size_t)snprintf(out + w, cap - w, " endswith;");
		w += (size_t)snprintf(out + w, cap - w, " ");
	}
	snprintf(out + w, cap - w, "sid:%u;)", sid);
}


/* Random content + pcre pairs in file.data against PCRE2 and a plain
 * search: the rule fires on a buffer exactly when both are in it, whether
 * or not the engine left the content out as implied (most of the pairs
 * below are built so that it can). */
static void test_implied_random(void)
{
	static const char *const tok[] = {
		"a", "b", "B", "\\;", "ab", "Ba", ".", "[ab]", "[a]", "[B]?", "[\\;]", "a?",
		"b*", "B+", "(?:ab)",
		"(a|b)", "|", "^", "$", "x{0,2}", "(?i)", "(?i:a)", "\\d", "\\x61",
	};
	static const char alpha[] = "abB;x1";
	unsigned implied = 0, mismatch = 0, rules = 0;

	for (unsigned round = 0; round < 1500; round++) {
		char re[96] = "", ct[8], hex[32], text[512];
		unsigned nt = 1 + rnd(5), cl = 1 + rnd(3);
		bool re_i = rnd(4) == 0, nocase = rnd(3) == 0;
		struct sig_set *set = sig_set_new();
		struct sig_engine *e = NULL;
		unsigned bad = 0;
		char err[256];

		for (unsigned k = 0; k < nt; k++)
			strcat(re, tok[rnd(sizeof(tok) / sizeof(tok[0]))]);
		/* the content: often a piece of the regex's text */
		if (rnd(3)) {
			size_t rl = strlen(re), st = rnd((unsigned)rl);

			cl = 0;
			for (size_t k = st; k < rl && cl < 3; k++)
				if (strchr("abB;", re[k]))
					ct[cl++] = re[k];
			if (!cl)
				ct[cl++] = 'a';
		} else {
			for (unsigned k = 0; k < cl; k++)
				ct[k] = alpha[rnd(4)];
		}
		ct[cl] = 0;
		hex[0] = 0;
		for (unsigned k = 0; k < cl; k++) {
			char h[8];

			snprintf(h, sizeof(h), ct[k] == ';' ? "|3b|" : "%c", ct[k]);
			strcat(hex, h);
		}
		snprintf(text, sizeof(text),
			 "alert smtp any any -> any any (file.data; content:\"%s\";%s "
			 "pcre:\"/%s/%s\"; sid:1;)", hex, nocase ? " nocase;" : "", re,
			 re_i ? "i" : "");
		if (sig_set_add_rule(set, text, "implied.rules", 1, NULL, &bad) != 0) {
			sig_set_free(set);      /* a pattern the engine refuses */
			continue;
		}
		/* the set is the engine's now, or freed */
		if (sig_engine_build(set, &e, err, sizeof(err)) != 0)
			continue;
		rules++;
		implied += sig_engine_pattern_count(e) == 1;
		for (unsigned bi = 0; bi < 30; bi++) {
			char b[16];
			size_t bl = rnd(12);
			struct ref_el pe = { .re = re, .re_i = re_i };
			struct alerts al = { 0 };
			struct sig_thread *t = sig_thread_new(e, 1, on_alert, &al);
			struct sig_flow *f = t ? sig_flow_open(t, default_tuple()) : NULL;
			bool has_c = false, want;

			for (size_t k = 0; k < bl; k++)
				b[k] = alpha[rnd(sizeof(alpha) - 1)];
			for (size_t k = 0; k + cl <= bl && !has_c; k++) {
				size_t m = 0;

				while (m < cl && ref_lower_eq(b[k + m], ct[m], nocase))
					m++;
				has_c = m == cl;
			}
			/* PCRE2 sees the rule's "\;" as ';' too */
			want = has_c && ref_pcre(&pe, b, bl, 0);
			if (f) {
				sig_stream_begin(t, f, SIG_BUF_FILE_DATA);
				if (bl)
					sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)b, bl,
							NULL);
				sig_stream_end(t, f, SIG_BUF_FILE_DATA, NULL);
				if ((al.n > 0) != want && mismatch++ < 5)
					fprintf(stderr, "implied random: %s on \"%.*s\": %u alerts, "
						"want %d\n", text, (int)bl, b, al.n, want);
				sig_flow_close(t, f, NULL);
			}
			sig_thread_free(t);
		}
		sig_engine_free(e);
	}
	CHECK_EQ_U(mismatch, 0);
	/* the generator reached the implied case often, and the other one */
	CHECK(implied > 100);
	CHECK(rules - implied > 100);
	fprintf(stderr, "test_sig_scan: implied contents: %u rules, %u with the content "
		"implied, 0 mismatches needed, %u found\n", rules, implied, mismatch);
}

#define DIFF_RULES 6             /* per engine: fits the flow's match slots */
#define DIFF_ENGINES 500
#define DIFF_BUFS 40

static void test_differential(void)
{
	unsigned mismatch = 0, fired = 0, checked = 0, skipped = 0;

	for (unsigned round = 0; round < DIFF_ENGINES; round++) {
		struct ref_rule rr[DIFF_RULES];
		unsigned mb = round & 1 ? MB_DATA : MB_BLOCK;
		enum sig_buf db = mb == MB_DATA ? mod_stream_bufs[(round / 2) % 3] :
			mod_block_bufs[(round / 2) % 4];
		char sticky[32];
		struct sig_set *s = sig_set_new();
		struct sig_engine *e = NULL;
		struct sig_thread *t;
		struct alerts al = { 0 };
		char err[256];

		for (unsigned i = 0; i < DIFF_RULES; i++) {
			char text[512];
			unsigned bad = 0;

			gen_rule(&rr[i]);
			snprintf(sticky, sizeof(sticky), "%s;", sig_buf_name(db));
			rule_text(&rr[i], i + 1, sticky, text, sizeof(text));
			if (sig_set_add_rule(s, text, "diff.rules", i + 1, print_diag, &bad) != 0) {
				fprintf(stderr, "  %s\n", text);
				skipped++;
				rr[i].n = 0;
			}
		}
		if (sig_engine_build(s, &e, err, sizeof(err)) != 0) {
			fprintf(stderr, "diff build: %s\n", err);
			CHECK(0);
			return;
		}
		t = sig_thread_new(e, 2, on_alert, &al);
		for (unsigned bi = 0; t && bi < DIFF_BUFS; bi++) {
			static const char alpha[] = "abBx";
			char buf[24];
			size_t blen = rnd(17);
			struct sig_flow *f;

			for (size_t i = 0; i < blen; i++)
				buf[i] = alpha[rnd(4)];
			buf[blen] = '\0';
			al.n = 0;
			f = sig_flow_open(t, default_tuple());
			if (mb == MB_BLOCK) {
				sig_scan_buffer(t, f, db, SIG_DIR_TO_SERVER,
						(const uint8_t *)buf, blen, NULL);
			} else {
				size_t pos = 0;

				sig_stream_begin(t, f, db);
				while (pos < blen) {
					size_t n = 1 + rnd((uint32_t)(blen - pos));

					sig_stream_scan(t, f, db, (const uint8_t *)buf + pos, n, NULL);
					pos += n;
				}
				sig_stream_end(t, f, db, NULL);
			}
			sig_flow_tx_end(t, f);
			sig_flow_close(t, f, NULL);
			for (unsigned i = 0; i < DIFF_RULES; i++) {
				bool want = rr[i].n && blen > 0 && ref_match(&rr[i], 0, buf, blen, 0);
				bool got = count_sid(&al, i + 1) > 0;

				checked++;
				fired += got;
				if (want != got && mismatch++ < 10) {
					char text[512];

					rule_text(&rr[i], i + 1, sticky, text, sizeof(text));
					fprintf(stderr, "diff: %s on \"%s\": engine %d, reference %d\n",
						text, buf, got, want);
				}
			}
		}
		CHECK(t != NULL);
		if (t) {
			CHECK_EQ_U(sig_thread_get_stats(t)->match_state_full, 0);
			sig_thread_free(t);
		}
		sig_engine_free(e);
	}
	printf("test_sig_scan: differential: %u decisions, %u fired, %u mismatches, "
	       "%u rules skipped (%u pcre, %u isdataat/negated-window elements)\n",
	       checked, fired, mismatch, skipped, gen_pcre, gen_tail);
	CHECK(gen_pcre > 100 && gen_tail > 100);
	CHECK_EQ_U(mismatch, 0);
	CHECK_EQ_U(skipped, 0);
	CHECK(fired > checked / 50);
}

/* ---- email.* and file.* buffers, aliases ---------------------------- */

static bool is_stream_buf(enum sig_buf b)
{
	return b == SIG_BUF_SMTP_DATA || b == SIG_BUF_EMAIL_BODY || b == SIG_BUF_FILE_DATA;
}

/* One instance of buffer b: a block scan, or a whole stream split at
 * `split` (begin, two scans, end). */
static void feed(struct sig_thread *t, struct sig_flow *f, enum sig_buf b,
		 const char *data, size_t split, void *ctx)
{
	size_t len = strlen(data);

	if (is_stream_buf(b)) {
		if (split > len)
			split = len;
		sig_stream_begin(t, f, b);
		sig_stream_scan(t, f, b, (const uint8_t *)data, split, ctx);
		sig_stream_scan(t, f, b, (const uint8_t *)data + split, len - split, ctx);
		sig_stream_end(t, f, b, ctx);
	} else {
		sig_scan_buffer(t, f, b, SIG_DIR_TO_SERVER, (const uint8_t *)data, len, ctx);
	}
}

struct buf_case {
	const char *opts;        /* rule options before sid */
	enum sig_buf feed;
	const char *data;
	int fire;
};

static const struct buf_case buf_cases[] = {
	{ "email.from; content:\"evil.example\";", SIG_BUF_EMAIL_FROM, "Eve <e@evil.example>", 1 },
	{ "email.from; content:\"evil.example\";", SIG_BUF_EMAIL_TO, "e@evil.example", 0 },
	{ "email.to; content:\"bob@\";", SIG_BUF_EMAIL_TO, "bob@x", 1 },
	{ "email.to; content:\"bob@\";", SIG_BUF_EMAIL_CC, "bob@x", 0 },
	{ "email.cc; content:\"bob@\";", SIG_BUF_EMAIL_CC, "bob@x", 1 },
	{ "email.cc; content:\"bob@\";", SIG_BUF_SMTP_RCPT_TO, "bob@x", 0 },
	{ "email.subject; content:\"Invoice\"; startswith;", SIG_BUF_EMAIL_SUBJECT,
	  "Invoice 42", 1 },
	{ "email.subject; content:\"Invoice\"; startswith;", SIG_BUF_EMAIL_SUBJECT,
	  "Re: Invoice 42", 0 },
	{ "email.date; content:\"1970\";", SIG_BUF_EMAIL_DATE, "Thu, 1 Jan 1970", 1 },
	{ "email.date; content:\"1970\";", SIG_BUF_EMAIL_SUBJECT, "1970", 0 },
	{ "email.message_id; content:\"@evil>\"; endswith;", SIG_BUF_EMAIL_MESSAGE_ID,
	  "<1@evil>", 1 },
	{ "email.message_id; content:\"@evil>\"; endswith;", SIG_BUF_EMAIL_MESSAGE_ID,
	  "<1@evil>x", 0 },
	{ "email.x_mailer; content:\"PHPMailer\"; nocase;", SIG_BUF_EMAIL_X_MAILER,
	  "phpmailer 5.2", 1 },
	{ "email.x_mailer; content:\"PHPMailer\";", SIG_BUF_EMAIL_FROM, "PHPMailer", 0 },
	{ "email.received; content:\"from evil\";", SIG_BUF_EMAIL_RECEIVED,
	  "from evil (1.2.3.4) by mx", 1 },
	{ "email.received; content:\"from evil\";", SIG_BUF_SMTP_HELO, "from evil", 0 },
	{ "email.url; pcre:\"/^https?:\\/\\/[^\\/]*\\.zip\\//\";", SIG_BUF_EMAIL_URL,
	  "https://a.zip/x", 1 },
	{ "email.url; pcre:\"/^https?:\\/\\/[^\\/]*\\.zip\\//\";", SIG_BUF_EMAIL_URL,
	  "https://a.com/x.zip/", 0 },
	{ "email.body; content:\"wire transfer\";", SIG_BUF_EMAIL_BODY,
	  "please do a wire transfer today", 1 },
	{ "email.body; content:\"wire transfer\";", SIG_BUF_FILE_DATA, "wire transfer", 0 },
	{ "email.body; content:\"wire transfer\";", SIG_BUF_SMTP_DATA, "wire transfer", 0 },
	{ "file.name; content:\".exe\"; endswith;", SIG_BUF_FILE_NAME, "a.exe", 1 },
	{ "file.name; content:\".exe\"; endswith;", SIG_BUF_FILE_NAME, "a.EXE", 0 },
	{ "file.data; content:\"MZ\"; startswith;", SIG_BUF_FILE_DATA, "MZ\x90", 1 },
	{ "file.data; content:\"MZ\"; startswith;", SIG_BUF_FILE_DATA, "xMZ", 0 },
	{ "file.data; content:\"MZ\"; startswith;", SIG_BUF_EMAIL_BODY, "MZ", 0 },
	/* file_data: the legacy name of file.data */
	{ "file_data; content:\"MZ\"; startswith;", SIG_BUF_FILE_DATA, "MZ\x90", 1 },
	{ "file_data; content:\"MZ\"; startswith;", SIG_BUF_SMTP_DATA, "MZ\x90", 0 },
	/* filename: a file.name content, nocase, anywhere in the name */
	{ "filename:\"Invoice\";", SIG_BUF_FILE_NAME, "my_INVOICE.pdf", 1 },
	{ "filename:\"Invoice\";", SIG_BUF_FILE_NAME, "inv.pdf", 0 },
	{ "filename:Invoice;", SIG_BUF_FILE_NAME, "invoice", 1 },
	{ "filename:\"|2e|js\";", SIG_BUF_FILE_NAME, "a.JS", 1 },
	{ "filename:!\"good\";", SIG_BUF_FILE_NAME, "bad.pdf", 1 },
	{ "filename:!\"good\";", SIG_BUF_FILE_NAME, "Good.pdf", 0 },
	{ "filename:\"inv\"; startswith;", SIG_BUF_FILE_NAME, "Inv.pdf", 1 },
	{ "filename:\"inv\"; startswith;", SIG_BUF_FILE_NAME, "my inv.pdf", 0 },
	/* fileext: ".ext" at the end of the name, nocase, no partial match */
	{ "fileext:\"exe\";", SIG_BUF_FILE_NAME, "a.exe", 1 },
	{ "fileext:\"exe\";", SIG_BUF_FILE_NAME, "A.EXE", 1 },
	{ "fileext:\"exe\";", SIG_BUF_FILE_NAME, ".exe", 1 },
	{ "fileext:\"exe\";", SIG_BUF_FILE_NAME, "a.exe.txt", 0 },
	{ "fileext:\"exe\";", SIG_BUF_FILE_NAME, "aexe", 0 },
	{ "fileext:\"exe\";", SIG_BUF_FILE_NAME, "a.xexe", 0 },
	{ "fileext:\"pd\";", SIG_BUF_FILE_NAME, "a.pdf", 0 },
	{ "fileext:\"tar.gz\";", SIG_BUF_FILE_NAME, "x.TAR.GZ", 1 },
	{ "fileext:exe;", SIG_BUF_FILE_NAME, "a.exe", 1 },
	{ "fileext:!\"pdf\";", SIG_BUF_FILE_NAME, "a.exe", 1 },
	{ "fileext:!\"pdf\";", SIG_BUF_FILE_NAME, "a.PDF", 0 },
	{ "fileext:\"exe\";", SIG_BUF_FILE_DATA, "a.exe", 0 },
	/* two filename keywords: the same file name (one group) */
	{ "filename:\"inv\"; filename:\"2024\";", SIG_BUF_FILE_NAME, "inv-2024.pdf", 1 },
	/* after filename no sticky buffer is set: "x.y" is a raw-stream content */
	{ "filename:\"a\"; content:\"x.y\";", SIG_BUF_FILE_NAME, "a x.y", 0 },
	/* smtp.rcpt_to, block buffer */
	{ "smtp.rcpt_to; content:\"@victim\";", SIG_BUF_SMTP_RCPT_TO, "<a@victim>", 1 },
	/* smtp.command: each command line */
	{ "smtp.command; content:\"EXPN \"; startswith; nocase;", SIG_BUF_SMTP_COMMAND,
	  "expn root", 1 },
	{ "smtp.command; content:\"EXPN \"; startswith;", SIG_BUF_SMTP_COMMAND,
	  "VRFY EXPN x", 0 },
	{ "smtp.command; content:\"EXPN\";", SIG_BUF_SMTP_HELO, "EXPN", 0 },
	/* file.magic and Suricata 5's filemagic (nocase, substring) */
	{ "file.magic; content:\"PE32\";", SIG_BUF_FILE_MAGIC,
	  "PE32 executable (GUI) Intel 80386, for MS Windows", 1 },
	{ "file.magic; content:\"PE32\";", SIG_BUF_FILE_NAME, "PE32", 0 },
	{ "filemagic:\"pdf document\";", SIG_BUF_FILE_MAGIC, "PDF document, version 1.4", 1 },
	{ "filemagic:\"pdf document\";", SIG_BUF_FILE_MAGIC, "ASCII text", 0 },
	{ "filemagic:!\"text\";", SIG_BUF_FILE_MAGIC, "Zip archive data", 1 },
	{ "filemagic:!\"text\";", SIG_BUF_FILE_MAGIC, "ASCII text", 0 },
	/* filesize: the length of the file (file.data) */
	{ "filesize:>3;", SIG_BUF_FILE_DATA, "abcd", 1 },
	{ "filesize:>3;", SIG_BUF_FILE_DATA, "abc", 0 },
	{ "filesize:2<>5;", SIG_BUF_FILE_DATA, "abcd", 1 },
	{ "filesize:2<>5;", SIG_BUF_FILE_DATA, "abcde", 0 },
	{ "filesize:3;", SIG_BUF_FILE_DATA, "abc", 1 },
	{ "filesize:3;", SIG_BUF_EMAIL_BODY, "abc", 0 },
	{ "file.data; content:\"MZ\"; filesize:<10;", SIG_BUF_FILE_DATA, "MZxx", 1 },
	{ "file.data; content:\"MZ\"; filesize:<10;", SIG_BUF_FILE_DATA, "MZxxxxxxxxxx", 0 },
	/* transforms, as a regex on the untransformed bytes */
	{ "email.subject; strip_whitespace; content:\"Invoice2024\";", SIG_BUF_EMAIL_SUBJECT,
	  "Invoice 20\t24", 1 },
	{ "email.subject; strip_whitespace; content:\"Invoice2024\";", SIG_BUF_EMAIL_SUBJECT,
	  "Invoice-2024", 0 },
	{ "email.subject; to_lowercase; content:\"urgent\";", SIG_BUF_EMAIL_SUBJECT, "URGENT", 1 },
	{ "email.subject; to_uppercase; content:\"URGENT\";", SIG_BUF_EMAIL_SUBJECT, "urgent", 1 },
	{ "email.subject; compress_whitespace; content:\"a b\";", SIG_BUF_EMAIL_SUBJECT,
	  "xa \t\r bx", 1 },
	{ "email.subject; compress_whitespace; content:\"a b\";", SIG_BUF_EMAIL_SUBJECT, "ab", 0 },
	{ "file.data; strip_whitespace; content:\"Version4.9.9.0\";", SIG_BUF_FILE_DATA,
	  "* Version 4.9.9.0\r\n", 1 },
	{ "file.data; strip_whitespace; to_lowercase; content:!\"evil\";", SIG_BUF_FILE_DATA,
	  "e V i L", 0 },
	{ "file.data; strip_whitespace; to_lowercase; content:!\"evil\";", SIG_BUF_FILE_DATA,
	  "e V i x L", 1 },
};

static void test_new_buffers(void)
{
	unsigned bad = 0, runs = 0;

	for (size_t i = 0; i < sizeof(buf_cases) / sizeof(buf_cases[0]); i++) {
		const struct buf_case *c = &buf_cases[i];
		char rule[512];
		const char *rules[1] = { rule };
		struct sig_engine *e;
		struct alerts al = { 0 };
		struct sig_thread *t;
		size_t len = strlen(c->data);

		snprintf(rule, sizeof(rule), "alert smtp any any -> any any (%s sid:1;)", c->opts);
		e = engine(rules, 1);
		t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
		if (!t) {
			fprintf(stderr, "buf case %zu: %s\n", i, rule);
			CHECK(0);
			sig_engine_free(e);
			continue;
		}
		for (size_t k = 0; k <= (is_stream_buf(c->feed) ? len : 0); k++) {
			struct sig_flow *f = sig_flow_open(t, default_tuple());

			al.n = 0;
			feed(t, f, c->feed, c->data, k, NULL);
			sig_flow_close(t, f, NULL);
			runs++;
			if ((int)al.n != c->fire) {
				bad++;
				fprintf(stderr, "buf case %zu (split %zu): %s in %s \"%s\": %u alerts, "
					"want %d\n", i, k, c->opts, sig_buf_name(c->feed), c->data,
					al.n, c->fire);
			}
		}
		sig_thread_free(t);
		sig_engine_free(e);
	}
	CHECK_EQ_U(bad, 0);
	CHECK(runs > 100);
}

/* filename leaves no sticky buffer: the next content is on the raw stream. */
static void test_filename_resets_sticky(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (smtp.helo; content:\"h\"; filename:\"a\"; "
		"content:\"RAW\"; sid:1;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
	struct sig_flow *f;

	CHECK(t != NULL);
	if (!t)
		return;
	CHECK(sig_engine_has_buf(e, SIG_BUF_STREAM));
	CHECK(sig_engine_has_buf(e, SIG_BUF_FILE_NAME));
	CHECK(sig_engine_has_buf(e, SIG_BUF_SMTP_HELO));
	f = sig_flow_open(t, default_tuple());
	scan_b(t, f, SIG_BUF_SMTP_HELO, "h RAW");
	scan_b(t, f, SIG_BUF_FILE_NAME, "A RAW");
	CHECK_EQ_U(al.n, 0);
	scan_s(t, f, SIG_DIR_TO_SERVER, "RAW");
	CHECK_EQ_U(count_sid(&al, 1), 1);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- instances: same instance vs across instances -------------------- */

static const enum sig_buf instanced_bufs[] = {
	SIG_BUF_SMTP_RCPT_TO, SIG_BUF_EMAIL_TO, SIG_BUF_EMAIL_CC, SIG_BUF_EMAIL_RECEIVED,
	SIG_BUF_EMAIL_URL, SIG_BUF_FILE_NAME, SIG_BUF_EMAIL_BODY, SIG_BUF_FILE_DATA,
};

static void test_instances(void)
{
	for (size_t i = 0; i < sizeof(instanced_bufs) / sizeof(instanced_bufs[0]); i++) {
		enum sig_buf b = instanced_bufs[i];
		const char *n = sig_buf_name(b);
		bool multi = !is_stream_buf(b);
		char r1[256], r2[256], r3[256], r4[256];
		const char *rules[4] = { r1, r2, r3, r4 };
		struct sig_engine *e;
		struct alerts al = { 0 };
		struct sig_thread *t;
		struct sig_flow *f;
		unsigned before;

		/* two conditions under one sticky keyword: one instance */
		snprintf(r1, sizeof(r1), "alert smtp any any -> any any (%s; content:\"alpha\"; "
			 "content:\"beta\"; sid:1;)", n);
		/* the keyword written twice: independent groups (multi-buffers) */
		snprintf(r2, sizeof(r2), "alert smtp any any -> any any (%s; content:\"gamma\"; "
			 "%s; content:\"delta\"; sid:2;)", n, n);
		/* a per-instance condition with bsize */
		snprintf(r3, sizeof(r3), "alert smtp any any -> any any (%s; content:\"eps\"; "
			 "bsize:<6; sid:3;)", n);
		/* a relative chain is one condition */
		snprintf(r4, sizeof(r4), "alert smtp any any -> any any (%s; content:\"zeta\"; "
			 "content:\"eta\"; distance:0; sid:4;)", n);
		e = engine(rules, 4);
		t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
		CHECK(t != NULL);
		if (!t) {
			sig_engine_free(e);
			continue;
		}
		f = sig_flow_open(t, default_tuple());
		/* across two instances: no */
		feed(t, f, b, "alpha", 2, NULL);
		feed(t, f, b, "beta", 2, NULL);
		feed(t, f, b, "xbeta", 2, NULL);
		CHECK_EQ_U(count_sid(&al, 1), 0);
		/* in one instance: yes, whichever order */
		feed(t, f, b, "beta+alpha", 3, NULL);
		CHECK_EQ_U(count_sid(&al, 1), 1);
		sig_flow_tx_end(t, f);
		feed(t, f, b, "alpha,beta", 7, NULL);
		CHECK_EQ_U(count_sid(&al, 1), 2);
		sig_flow_tx_end(t, f);

		/* repeated keyword: any instances for a multi-buffer; for
		 * file.data / email.body (one buffer in Suricata) the same */
		before = count_sid(&al, 2);
		feed(t, f, b, "gamma", 1, NULL);
		feed(t, f, b, "other", 1, NULL);
		feed(t, f, b, "delta", 1, NULL);
		CHECK_EQ_U(count_sid(&al, 2), before + (multi ? 1 : 0));
		feed(t, f, b, "delta gamma", 4, NULL);
		CHECK_EQ_U(count_sid(&al, 2), before + 1);
		sig_flow_tx_end(t, f);

		/* bsize holds per instance */
		feed(t, f, b, "eps and more", 3, NULL);
		feed(t, f, b, "short", 3, NULL);
		CHECK_EQ_U(count_sid(&al, 3), 0);
		feed(t, f, b, "xeps", 3, NULL);
		CHECK_EQ_U(count_sid(&al, 3), 1);
		sig_flow_tx_end(t, f);

		/* a chain across instances: no; in one: yes */
		feed(t, f, b, "zeta", 2, NULL);
		feed(t, f, b, "eta", 2, NULL);
		CHECK_EQ_U(count_sid(&al, 4), 0);
		feed(t, f, b, "zeta-eta", 2, NULL);
		CHECK_EQ_U(count_sid(&al, 4), 1);
		CHECK_EQ_U(sig_thread_get_stats(t)->match_state_full, 0);
		if (al.n != 5)
			fprintf(stderr, "instances in %s: %u alerts\n", n, al.n);
		CHECK_EQ_U(al.n, 5);
		sig_flow_close(t, f, NULL);
		sig_thread_free(t);
		sig_engine_free(e);
	}
}

/* Groups combined with other buffers, in any order; a tx-scoped use of the
 * same expression stays tx-scoped. */
static void test_groups_compound(void)
{
	static const char *const rules[] = {
		/* a group of two recipients' conditions plus mail_from */
		"alert smtp any any -> any any (smtp.rcpt_to; content:\"a1\"; content:\"b1\"; "
		"smtp.mail_from; content:\"m1\"; sid:1;)",
		/* one condition per buffer: any recipient, any later data */
		"alert smtp any any -> any any (smtp.rcpt_to; content:\"carol\"; smtp.data; "
		"content:\"invoice\"; sid:2;)",
		/* the same expression as a group member (sid 3) and tx-scoped (sid 4) */
		"alert smtp any any -> any any (email.to; content:\"sh1\"; content:\"sh2\"; sid:3;)",
		"alert smtp any any -> any any (email.to; content:\"sh1\"; smtp.helo; "
		"content:\"hh\"; sid:4;)",
		/* two groups in two instanced buffers: each in its own file */
		"alert smtp any any -> any any (file.name; content:\".exe\"; endswith; "
		"content:\"inv\"; file.data; content:\"MZ\"; startswith; content:\"PE\"; sid:5;)",
		/* two groups in one multi-buffer */
		"alert smtp any any -> any any (email.url; content:\"http:\"; content:\"evil\"; "
		"email.url; content:\"https:\"; content:\"bank\"; sid:6;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
	struct sig_flow *f;
	int ctx_token;

	CHECK(t != NULL);
	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	/* mail_from first, then the group */
	scan_b(t, f, SIG_BUF_SMTP_MAIL_FROM, "<m1@x>");
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "<a1.b1@y>");
	CHECK_EQ_U(count_sid(&al, 1), 1);
	sig_flow_tx_end(t, f);
	/* the group, another recipient, then mail_from: the group stays matched */
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "<b1a1@y>");
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "<zz@y>");
	CHECK_EQ_U(count_sid(&al, 1), 1);
	scan_b(t, f, SIG_BUF_SMTP_MAIL_FROM, "<m1@x>");
	CHECK_EQ_U(count_sid(&al, 1), 2);
	sig_flow_tx_end(t, f);
	/* the group split over two recipients: no */
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "<a1@y>");
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "<b1@y>");
	scan_b(t, f, SIG_BUF_SMTP_MAIL_FROM, "<m1@x>");
	CHECK_EQ_U(count_sid(&al, 1), 2);
	/* ... and the group alone is not the rule */
	sig_flow_tx_end(t, f);
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "<a1b1@y>");
	CHECK_EQ_U(count_sid(&al, 1), 2);
	sig_flow_tx_end(t, f);

	/* carol, then another recipient, then the data */
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "<carol@y>");
	scan_b(t, f, SIG_BUF_SMTP_RCPT_TO, "<dave@y>");
	sig_data_begin(t, f);
	sig_scan_data(t, f, (const uint8_t *)"an invoice", 10, &ctx_token);
	sig_data_end(t, f, &ctx_token);
	CHECK_EQ_U(count_sid(&al, 2), 1);
	CHECK(al.a[al.n - 1].ctx == &ctx_token);
	sig_flow_tx_end(t, f);

	/* sh1 and sh2 in two To addresses: sid 3 no; sh1 counts for sid 4 */
	scan_b(t, f, SIG_BUF_EMAIL_TO, "sh1@x");
	scan_b(t, f, SIG_BUF_EMAIL_TO, "sh2@x");
	CHECK_EQ_U(count_sid(&al, 3), 0);
	scan_b(t, f, SIG_BUF_SMTP_HELO, "hh");
	CHECK_EQ_U(count_sid(&al, 4), 1);
	scan_b(t, f, SIG_BUF_EMAIL_TO, "sh2+sh1@x");
	CHECK_EQ_U(count_sid(&al, 3), 1);
	sig_flow_tx_end(t, f);

	/* file 1: inv.exe with MZ but no PE; file 2: other.txt with MZ..PE */
	scan_b(t, f, SIG_BUF_FILE_NAME, "inv.exe");
	feed(t, f, SIG_BUF_FILE_DATA, "MZ no header", 4, NULL);
	scan_b(t, f, SIG_BUF_FILE_NAME, "other.txt");
	CHECK_EQ_U(count_sid(&al, 5), 0);
	feed(t, f, SIG_BUF_FILE_DATA, "xx PE MZ", 4, NULL);      /* MZ not at start */
	CHECK_EQ_U(count_sid(&al, 5), 0);
	feed(t, f, SIG_BUF_FILE_DATA, "MZ..PE..", 4, NULL);
	CHECK_EQ_U(count_sid(&al, 5), 1);
	sig_flow_tx_end(t, f);
	/* the name group split over two names: no */
	scan_b(t, f, SIG_BUF_FILE_NAME, "inv.txt");
	scan_b(t, f, SIG_BUF_FILE_NAME, "a.exe");
	feed(t, f, SIG_BUF_FILE_DATA, "MZPE", 1, NULL);
	CHECK_EQ_U(count_sid(&al, 5), 1);
	sig_flow_tx_end(t, f);

	/* two URL groups, each in its own URL */
	scan_b(t, f, SIG_BUF_EMAIL_URL, "http://evil.example/");
	scan_b(t, f, SIG_BUF_EMAIL_URL, "https://evil.example/");
	CHECK_EQ_U(count_sid(&al, 6), 0);
	scan_b(t, f, SIG_BUF_EMAIL_URL, "https://bank.example/");
	CHECK_EQ_U(count_sid(&al, 6), 1);
	CHECK_EQ_U(al.n, 7);
	CHECK_EQ_U(sig_thread_get_stats(t)->match_state_full, 0);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- bsize ---------------------------------------------------------- */

struct bsize_case {
	const char *bsize;
	const char *data;
	int fire;
};

static const struct bsize_case bsize_cases[] = {
	{ "bsize:5;", "abcde", 1 },
	{ "bsize:5;", "abcd", 0 },
	{ "bsize:5;", "abcdef", 0 },
	{ "bsize:=5;", "abcde", 1 },
	{ "bsize:0x5;", "abcde", 1 },
	{ "bsize:<5;", "abcd", 1 },
	{ "bsize:<5;", "abcde", 0 },
	{ "bsize:<=5;", "abcde", 1 },
	{ "bsize:<=5;", "abcdef", 0 },
	{ "bsize:>5;", "abcdef", 1 },
	{ "bsize:>5;", "abcde", 0 },
	{ "bsize:>=5;", "abcde", 1 },
	{ "bsize:>=5;", "abcd", 0 },
	{ "bsize:3<>6;", "abc", 0 },
	{ "bsize:3<>6;", "abcd", 1 },
	{ "bsize:3<>6;", "abcde", 1 },
	{ "bsize:3<>6;", "abcdef", 0 },
	{ "bsize:3-6;", "abcde", 1 },
	{ "bsize:!5;", "abcde", 0 },
	{ "bsize:!5;", "abcd", 1 },
	{ "bsize:!=5;", "abcdef", 1 },
	{ "bsize:!3-6;", "abcd", 0 },
	{ "bsize:!3-6;", "abc", 1 },
	{ "bsize:!3-6;", "abcdef", 1 },
	{ "bsize:!0;", "a", 1 },
	{ "bsize:1kb;", "a", 0 },
	/* with contents: both in the one buffer */
	{ "content:\"bc\"; bsize:<5;", "abcd", 1 },
	{ "content:\"bc\"; bsize:<5;", "abcde", 0 },
	{ "content:\"bc\"; bsize:<5;", "axyz", 0 },
	{ "content:\"bc\"; bsize:!4;", "abcde", 1 },
	{ "content:\"bc\"; bsize:!4;", "abcd", 0 },
	{ "content:\"bc\"; bsize:!4;", "axyze", 0 },
	{ "content:!\"bc\"; bsize:>2;", "axyz", 1 },
	{ "content:!\"bc\"; bsize:>2;", "ax", 0 },
	{ "content:\"de\"; endswith; bsize:5;", "abcde", 1 },
	{ "bsize:>2; bsize:<5;", "abcd", 1 },
	{ "bsize:>2; bsize:<5;", "abcde", 0 },
};

static const enum sig_buf bsize_bufs[] = {
	SIG_BUF_SMTP_HELO, SIG_BUF_SMTP_MAIL_FROM, SIG_BUF_SMTP_RCPT_TO, SIG_BUF_EMAIL_SUBJECT,
	SIG_BUF_FILE_NAME, SIG_BUF_SMTP_DATA, SIG_BUF_EMAIL_BODY, SIG_BUF_FILE_DATA,
};

static void test_bsize(void)
{
	unsigned bad = 0, runs = 0;

	for (size_t i = 0; i < sizeof(bsize_cases) / sizeof(bsize_cases[0]); i++) {
		const struct bsize_case *c = &bsize_cases[i];

		for (size_t j = 0; j < sizeof(bsize_bufs) / sizeof(bsize_bufs[0]); j++) {
			enum sig_buf b = bsize_bufs[j];
			char rule[256];
			const char *rules[1] = { rule };
			struct sig_engine *e;
			struct alerts al = { 0 };
			struct sig_thread *t;
			size_t len = strlen(c->data);

			snprintf(rule, sizeof(rule), "alert smtp any any -> any any (%s; %s sid:1;)",
				 sig_buf_name(b), c->bsize);
			e = engine(rules, 1);
			t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
			if (!t) {
				fprintf(stderr, "bsize case %zu: %s\n", i, rule);
				CHECK(0);
				sig_engine_free(e);
				continue;
			}
			for (size_t k = 0; k <= (is_stream_buf(b) ? len : 0); k++) {
				struct sig_flow *f = sig_flow_open(t, default_tuple());

				al.n = 0;
				feed(t, f, b, c->data, k, NULL);
				runs++;
				if ((int)al.n != c->fire) {
					bad++;
					fprintf(stderr, "bsize case %zu (split %zu): %s on \"%s\": %u "
						"alerts, want %d\n", i, k, rule, c->data, al.n, c->fire);
				}
				sig_flow_close(t, f, NULL);
			}
			sig_thread_free(t);
			sig_engine_free(e);
		}
	}
	CHECK_EQ_U(bad, 0);
	CHECK(runs > 500);
}

/* On a stream bsize is the whole instance's length, known at its end. */
static void test_bsize_stream_end(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (file.data; bsize:>3; sid:1;)",
		"alert smtp any any -> any any (email.body; content:\"x\"; bsize:<4; sid:2;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
	struct sig_flow *f;

	CHECK(t != NULL);
	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	sig_stream_begin(t, f, SIG_BUF_FILE_DATA);
	sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)"abcdef", 6, NULL);
	CHECK_EQ_U(al.n, 0);
	sig_stream_end(t, f, SIG_BUF_FILE_DATA, NULL);
	CHECK_EQ_U(count_sid(&al, 1), 1);
	/* x in a 3-byte part... */
	sig_stream_begin(t, f, SIG_BUF_EMAIL_BODY);
	sig_stream_scan(t, f, SIG_BUF_EMAIL_BODY, (const uint8_t *)"axb", 3, NULL);
	sig_stream_end(t, f, SIG_BUF_EMAIL_BODY, NULL);
	CHECK_EQ_U(count_sid(&al, 2), 1);
	sig_flow_tx_end(t, f);
	/* ... but not x in a long part and a short part without x */
	feed(t, f, SIG_BUF_EMAIL_BODY, "x long part", 3, NULL);
	feed(t, f, SIG_BUF_EMAIL_BODY, "ab", 1, NULL);
	CHECK_EQ_U(count_sid(&al, 2), 1);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* ---- file.data / email.body streams -------------------------------- */

/* A file split at every offset, byte by byte, and in three pieces. */
static void test_file_data_split(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (file.data; content:\"attach\"; "
		"content:\"ment\"; distance:0; within:10; content:\"END\"; endswith; sid:1;)",
		"alert smtp any any -> any any (file.data; pcre:\"/t[0-9]+\\r?$/\"; sid:2;)",
		"alert smtp any any -> any any (file.data; content:\"PK\"; startswith; "
		"content:!\"evil\"; sid:3;)",
	};
	static const char file[] = "PK attach ment t42\nmore END";
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
	size_t len = strlen(file);
	unsigned bad = 0;

	CHECK(t != NULL);
	if (!t)
		return;
	for (size_t i = 0; i <= len; i++) {
		for (size_t j = i; j <= len; j += (i % 3) + 1) {
			struct sig_flow *f = sig_flow_open(t, default_tuple());

			al.n = 0;
			sig_stream_begin(t, f, SIG_BUF_FILE_DATA);
			sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)file, i, NULL);
			sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)file + i, j - i, NULL);
			/* the negated rule is decided at the end only */
			bad += count_sid(&al, 3) != 0;
			sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)file + j, len - j, NULL);
			sig_stream_end(t, f, SIG_BUF_FILE_DATA, NULL);
			/* pcre $ is at the end of the file, not at a line end */
			bad += count_sid(&al, 1) != 1 || count_sid(&al, 2) != 0 ||
				count_sid(&al, 3) != 1 || al.n != 2;
			sig_flow_close(t, f, NULL);
		}
	}
	CHECK_EQ_U(bad, 0);
	{
		struct sig_flow *f = sig_flow_open(t, default_tuple());

		al.n = 0;
		sig_stream_begin(t, f, SIG_BUF_FILE_DATA);
		for (size_t i = 0; i < len; i++)
			sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)file + i, 1, NULL);
		sig_stream_end(t, f, SIG_BUF_FILE_DATA, NULL);
		CHECK_EQ_U(count_sid(&al, 1), 1);
		CHECK_EQ_U(count_sid(&al, 3), 1);
		/* pcre $ at the very end of another file */
		feed(t, f, SIG_BUF_FILE_DATA, "x t7", 2, NULL);
		CHECK_EQ_U(count_sid(&al, 2), 1);
		sig_flow_close(t, f, NULL);
	}
	sig_thread_free(t);
	sig_engine_free(e);
}

/* Negated file.data conditions: per file, at its end, only if inspected
 * and completely recorded. */
static void test_file_data_negation(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (file.data; content:\"PK\"; startswith; "
		"content:!\"evil\"; sid:1;)",
		"alert smtp any any -> any any (email.body; content:!\"unsubscribe\"; sid:2;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
	struct sig_flow *f;

	CHECK(t != NULL);
	if (!t)
		return;
	f = sig_flow_open(t, default_tuple());
	/* file 1 has evil; file 2 does not: fires at file 2's end */
	feed(t, f, SIG_BUF_FILE_DATA, "PK evil", 3, NULL);
	CHECK_EQ_U(al.n, 0);
	sig_stream_begin(t, f, SIG_BUF_FILE_DATA);
	sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)"PK ok", 5, NULL);
	CHECK_EQ_U(al.n, 0);
	sig_stream_end(t, f, SIG_BUF_FILE_DATA, NULL);
	CHECK_EQ_U(count_sid(&al, 1), 1);
	sig_flow_tx_end(t, f);
	/* evil split across calls */
	sig_stream_begin(t, f, SIG_BUF_FILE_DATA);
	sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)"PK ev", 5, NULL);
	sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)"il", 2, NULL);
	sig_stream_end(t, f, SIG_BUF_FILE_DATA, NULL);
	CHECK_EQ_U(count_sid(&al, 1), 1);
	/* an abandoned file (begin again without end) decides nothing */
	sig_stream_begin(t, f, SIG_BUF_FILE_DATA);
	sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)"PK ok", 5, NULL);
	sig_stream_begin(t, f, SIG_BUF_FILE_DATA);
	CHECK_EQ_U(count_sid(&al, 1), 1);
	/* an empty file decides nothing */
	sig_stream_end(t, f, SIG_BUF_FILE_DATA, NULL);
	CHECK_EQ_U(count_sid(&al, 1), 1);
	/* a part and a file open at the same time, interleaved */
	sig_stream_begin(t, f, SIG_BUF_EMAIL_BODY);
	sig_stream_begin(t, f, SIG_BUF_FILE_DATA);
	sig_stream_scan(t, f, SIG_BUF_EMAIL_BODY, (const uint8_t *)"hello, to unsub", 15, NULL);
	sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)"PK", 2, NULL);
	sig_stream_scan(t, f, SIG_BUF_EMAIL_BODY, (const uint8_t *)"scribe click", 12, NULL);
	sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)" data", 5, NULL);
	sig_stream_end(t, f, SIG_BUF_FILE_DATA, NULL);
	sig_stream_end(t, f, SIG_BUF_EMAIL_BODY, NULL);
	CHECK_EQ_U(count_sid(&al, 1), 2);   /* this file: PK, no evil */
	CHECK_EQ_U(count_sid(&al, 2), 0);   /* the part: unsub|scribe */
	sig_flow_tx_end(t, f);
	feed(t, f, SIG_BUF_EMAIL_BODY, "part one: unsubscribe", 9, NULL);
	feed(t, f, SIG_BUF_EMAIL_BODY, "part two", 4, NULL);
	CHECK_EQ_U(count_sid(&al, 2), 1);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* A stream match that cannot be recorded (flow slots full) suppresses that
 * instance's negated decisions, and only that stream kind's. */
static void test_stream_lost(void)
{
	enum { N = 55 };   /* more patterns than SIG_FLOW_SLOTS (48) */
	struct sig_set *s = sig_set_new();
	struct sig_engine *e = NULL;
	struct alerts al = { 0 };
	struct sig_thread *t;
	struct sig_flow *f;
	char rule[256], err[256], data[16];

	for (int i = 0; i < N; i++) {
		snprintf(rule, sizeof(rule), "alert smtp any any -> any any "
			 "(flow:to_server; content:\"K%02dK\"; content:\"TAIL%02d\"; sid:%d;)",
			 i, i, i + 1);
		CHECK_EQ_U(sig_set_add_rule(s, rule, "lost.rules", 1, NULL, NULL), 0);
	}
	CHECK_EQ_U(sig_set_add_rule(s, "alert smtp any any -> any any (file.data; "
				    "content:!\"zzz\"; sid:100;)", "lost.rules", 2, NULL, NULL), 0);
	CHECK_EQ_U(sig_set_add_rule(s, "alert smtp any any -> any any (smtp.data; "
				    "content:!\"qqq\"; sid:101;)", "lost.rules", 3, NULL, NULL), 0);
	CHECK_EQ_U(sig_engine_build(s, &e, err, sizeof(err)), 0);
	if (!e)
		return;
	t = sig_thread_new(e, 1, on_alert, &al);
	f = sig_flow_open(t, default_tuple());
	for (int i = 0; i < N; i++) {
		snprintf(data, sizeof(data), "K%02dK", i);
		scan_s(t, f, SIG_DIR_TO_SERVER, data);
	}
	CHECK(sig_thread_get_stats(t)->match_state_full > 0);
	/* zzz is present but cannot be recorded: no decision, no false alert */
	feed(t, f, SIG_BUF_FILE_DATA, "a zzz b", 3, NULL);
	CHECK_EQ_U(count_sid(&al, 100), 0);
	/* the message data stream was not affected */
	feed(t, f, SIG_BUF_SMTP_DATA, "message", 3, NULL);
	CHECK_EQ_U(count_sid(&al, 101), 1);
	sig_flow_tx_end(t, f);
	/* room again: the next file is decided */
	feed(t, f, SIG_BUF_FILE_DATA, "a zzz b", 3, NULL);
	CHECK_EQ_U(count_sid(&al, 100), 0);
	feed(t, f, SIG_BUF_FILE_DATA, "clean", 3, NULL);
	CHECK_EQ_U(count_sid(&al, 100), 1);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

/* email.body endswith: the end of the part, across chunks. */
static void test_body_endswith(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (email.body; content:\"Regards\"; nocase; "
		"endswith; sid:1;)",
	};
	static const char part[] = "Hello,\r\nsee attached.\r\nregards";
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
	size_t len = strlen(part);
	unsigned bad = 0;

	CHECK(t != NULL);
	if (!t)
		return;
	for (size_t k = 0; k <= len; k++) {
		struct sig_flow *f = sig_flow_open(t, default_tuple());

		al.n = 0;
		sig_stream_begin(t, f, SIG_BUF_EMAIL_BODY);
		sig_stream_scan(t, f, SIG_BUF_EMAIL_BODY, (const uint8_t *)part, k, NULL);
		sig_stream_scan(t, f, SIG_BUF_EMAIL_BODY, (const uint8_t *)part + k, len - k, NULL);
		bad += al.n != 0;            /* not before the part ends */
		sig_stream_end(t, f, SIG_BUF_EMAIL_BODY, NULL);
		bad += al.n != 1;
		/* "regards" followed by more text in the next part: no */
		sig_flow_tx_end(t, f);
		feed(t, f, SIG_BUF_EMAIL_BODY, "regards\r\n", k % 9, NULL);
		feed(t, f, SIG_BUF_EMAIL_BODY, "x regards y", k % 11, NULL);
		bad += al.n != 1;
		sig_flow_close(t, f, NULL);
	}
	CHECK_EQ_U(bad, 0);
	/* the end of a part is not the end of the next one: each is its own */
	{
		struct sig_flow *f = sig_flow_open(t, default_tuple());

		al.n = 0;
		sig_stream_begin(t, f, SIG_BUF_EMAIL_BODY);
		sig_stream_scan(t, f, SIG_BUF_EMAIL_BODY, (const uint8_t *)"Regards", 7, NULL);
		sig_stream_begin(t, f, SIG_BUF_EMAIL_BODY);   /* abandoned */
		sig_stream_scan(t, f, SIG_BUF_EMAIL_BODY, (const uint8_t *)"no", 2, NULL);
		sig_stream_end(t, f, SIG_BUF_EMAIL_BODY, NULL);
		CHECK_EQ_U(al.n, 0);
		/* lazily opened without begin */
		sig_stream_scan(t, f, SIG_BUF_EMAIL_BODY, (const uint8_t *)"REGARDS", 7, NULL);
		sig_stream_end(t, f, SIG_BUF_EMAIL_BODY, NULL);
		CHECK_EQ_U(al.n, 1);
		sig_flow_close(t, f, NULL);
	}
	sig_thread_free(t);
	sig_engine_free(e);
}

/* Buffers without rules cost nothing: no database, no stream pool, no
 * scan; sig_engine_has_buf says which ones to build. */
static void test_has_buf(void)
{
	static const char *const rules[] = {
		"alert smtp any any -> any any (file.name; content:\"x\"; sid:1;)",
		"alert smtp any any -> any any (email.body; content:\"y\"; sid:2;)",
	};
	struct sig_engine *e = ENGINE(rules);
	struct alerts al = { 0 };
	struct sig_thread *t = e ? sig_thread_new(e, 2, on_alert, &al) : NULL;
	struct sig_flow *f;
	const struct sig_thread_stats *st;

	CHECK(t != NULL);
	if (!t)
		return;
	st = sig_thread_get_stats(t);
	for (unsigned b = 0; b < SIG_BUF_COUNT; b++)
		CHECK_EQ_U(sig_engine_has_buf(e, (enum sig_buf)b),
			   b == SIG_BUF_FILE_NAME || b == SIG_BUF_EMAIL_BODY);
	CHECK(!sig_engine_has_buf(e, SIG_BUF_COUNT));
	CHECK(!sig_engine_has_buf(NULL, SIG_BUF_FILE_NAME));
	f = sig_flow_open(t, default_tuple());
	feed(t, f, SIG_BUF_FILE_DATA, "x y", 1, NULL);
	feed(t, f, SIG_BUF_SMTP_DATA, "x y", 1, NULL);
	scan_b(t, f, SIG_BUF_EMAIL_SUBJECT, "x y");
	CHECK_EQ_U(st->scans, 0);
	/* wrong call for the buffer: ignored */
	scan_b(t, f, SIG_BUF_EMAIL_BODY, "y");
	sig_stream_scan(t, f, SIG_BUF_FILE_NAME, (const uint8_t *)"x", 1, NULL);
	sig_stream_begin(t, f, SIG_BUF_STREAM);
	sig_stream_end(t, f, (enum sig_buf)99, NULL);
	CHECK_EQ_U(st->scans, 0);
	CHECK_EQ_U(al.n, 0);
	feed(t, f, SIG_BUF_EMAIL_BODY, "y", 1, NULL);
	scan_b(t, f, SIG_BUF_FILE_NAME, "x");
	CHECK_EQ_U(al.n, 2);
	CHECK_EQ_U(st->streams_no_state, 0);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	sig_engine_free(e);
}

int main(void)
{
	test_implied_content();
	test_implied_random();
	test_split_every_offset();
	test_content_forms();
	test_conjunction();
	test_directions();
	test_header();
	test_scopes();
	test_rcpt();
	test_data_stream();
	test_pools();
	test_match_state_full();
	test_empty_engine();
	test_no_small_write();
	test_misuse();
	test_compile_error();
	test_many_rules();
	test_modifiers();
	test_positions_after_gap();
	test_negation_scope();
	test_pcre_limit();
	test_differential();
	test_flowbits();
	test_flowint();
	test_stream_confirm();
	test_probes();
	test_delay();
	test_flow_discard();
	test_app_events();
	test_file_hashes();
	test_base64();
	test_frames();
	test_stream_multiline_dollar();
	test_stream_shared_db();
	test_new_buffers();
	test_filename_resets_sticky();
	test_instances();
	test_groups_compound();
	test_bsize();
	test_bsize_stream_end();
	test_file_data_split();
	test_file_data_negation();
	test_stream_lost();
	test_body_endswith();
	test_has_buf();
	return check_summary("test_sig_scan");
}
