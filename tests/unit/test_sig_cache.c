/*
 * test_sig_cache.c — the compiled-database cache (sig_set_cache_dir):
 * a first build compiles and writes one entry per database, a second build
 * with the same rules loads them all and matches exactly as the first (and
 * as a build without a cache); changing one rule misses only its database;
 * damaged entries (truncated, bytes flipped, another entry's bytes, empty,
 * writable by others) are counted, recompiled and rewritten; an unusable or
 * read-only directory never fails a build; stale entries are pruned and
 * nothing else in the directory is touched; Hyperscan's verdicts on the
 * rules' expressions are remembered beside the databases.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sig.h"

/* One rule per kind of database input: raw stream, a nocase literal, an
 * offset (hs_expr_ext), a pcre, a relative chain in a stream, and a rule
 * that must not fire. */
static const char *const base_rules[] = {
	"alert tcp any any -> any any (msg:\"raw\"; content:\"XEXPN\"; sid:1;)",
	"alert smtp any any -> any any (msg:\"helo\"; smtp.helo; content:\"evil.example\"; "
	"nocase; sid:2;)",
	"alert smtp any any -> any any (msg:\"from\"; smtp.mail_from; content:\"spam\"; "
	"depth:10; sid:3;)",
	"alert smtp any any -> any any (msg:\"subject\"; email.subject; "
	"pcre:\"/inv[o0]ice\\s+\\d+/i\"; sid:4;)",
	"alert smtp any any -> any any (msg:\"zip\"; smtp.data; content:\"Content-Type\"; "
	"content:\"zip\"; distance:0; sid:5;)",
	"alert smtp any any -> any any (msg:\"never\"; smtp.helo; content:\"never-here\"; "
	"sid:6;)",
};
#define NRULES (sizeof(base_rules) / sizeof(base_rules[0]))
/* sids 1..5 fire on the transcript of scan_all(), 6 does not. */
#define EXPECT_MASK 0x3eu

static void on_alert(void *user, void *ctx, const struct sig_rule_meta *rule,
		     enum sig_dir dir)
{
	(void)ctx, (void)dir;
	if (rule->sid < 64)
		*(uint64_t *)user |= UINT64_C(1) << rule->sid;
}

static void print_diag(void *user, const char *file, unsigned line, uint32_t sid,
		       const char *text)
{
	fprintf(stderr, "%s:%u: sid %u: %s\n", file, line, sid, text);
	(*(unsigned *)user)++;
}

struct built {
	struct sig_engine *e;
	unsigned hits, misses, errors;
	unsigned vhits;                 /* expression checks the cache spared */
	int set_rc;                     /* sig_set_cache_dir's return */
};

/* Build rules (replacing rule index `swap` by `other` when other != NULL)
 * with cache directory dir (NULL: none). */
static struct built build(const char *dir, unsigned swap, const char *other)
{
	struct built r = { 0 };
	struct sig_set *s = sig_set_new();
	unsigned bad = 0;
	char err[256];

	if (!s) {
		CHECK(0);
		return r;
	}
	r.set_rc = sig_set_cache_dir(s, dir);
	for (unsigned i = 0; i < NRULES; i++)
		sig_set_add_rule(s, other && i == swap ? other : base_rules[i], "cache.rules",
				 i + 1, print_diag, &bad);
	CHECK_EQ_U(bad, 0);
	r.vhits = sig_set_verdict_hits(s);
	if (sig_engine_build(s, &r.e, err, sizeof(err)) != 0) {
		fprintf(stderr, "build failed: %s\n", err);
		CHECK(0);
		return r;
	}
	sig_engine_cache_stats(r.e, &r.hits, &r.misses, &r.errors);
	return r;
}

/* The sids an engine raises on one SMTP transaction (a bit per sid). */
static uint64_t scan_all(const struct sig_engine *e)
{
	static const char stream[] =
		"EHLO Evil.Example\r\nXEXPN root\r\nMAIL FROM:<spam@x.example>\r\n";
	static const char data[] =
		"Subject: Your Invoice 12345\r\n"
		"Content-Type: application/zip; name=\"a.zip\"\r\n\r\nPK\x03\x04\r\n";
	struct sig_tuple tup;
	uint64_t mask = 0;
	struct sig_thread *t = sig_thread_new(e, 4, on_alert, &mask);
	struct sig_flow *f;

	memset(&tup, 0, sizeof(tup));
	tup.client[15] = 1;
	tup.server[15] = 2;
	tup.client_port = 40000;
	tup.server_port = 25;
	if (!t)
		return UINT64_MAX;
	f = sig_flow_open(t, &tup);
	if (!f) {
		sig_thread_free(t);
		return UINT64_MAX;
	}
	sig_scan_stream(t, f, SIG_DIR_TO_SERVER, (const uint8_t *)stream, strlen(stream), NULL);
	sig_scan_buffer(t, f, SIG_BUF_SMTP_HELO, SIG_DIR_TO_SERVER,
			(const uint8_t *)"Evil.Example", 12, NULL);
	sig_scan_buffer(t, f, SIG_BUF_SMTP_MAIL_FROM, SIG_DIR_TO_SERVER,
			(const uint8_t *)"spam@x.example", 14, NULL);
	sig_scan_buffer(t, f, SIG_BUF_EMAIL_SUBJECT, SIG_DIR_TO_SERVER,
			(const uint8_t *)"Your Invoice 12345", 18, NULL);
	sig_data_begin(t, f);
	sig_scan_data(t, f, (const uint8_t *)data, sizeof(data) - 1, NULL);
	sig_data_end(t, f, NULL);
	sig_flow_close(t, f, NULL);
	sig_thread_free(t);
	return mask;
}

/* ---- directory helpers ----------------------------------------------- */

static char root[256];

static void path_in(char *out, size_t len, const char *dir, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static bool is_entry(const char *nm)
{
	size_t n = strlen(nm);

	return n == 69 && strcmp(nm + 64, ".hsdb") == 0;
}

/* Number of entries in dir; the name of the first (sorted) in first. */
static unsigned entries(const char *dir, char *first, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	if (first)
		first[0] = '\0';
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!is_entry(de->d_name))
			continue;
		n++;
		if (first && (!first[0] || strcmp(de->d_name, first) < 0))
			snprintf(first, len, "%s", de->d_name);
	}
	closedir(d);
	return n;
}

/* Number of verdict files ("<64 hex>.hsvd") in dir; the last name in name. */
static unsigned verdict_files(const char *dir, char *name, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l == 69 && strcmp(de->d_name + 64, ".hsvd") == 0) {
			n++;
			snprintf(name, len, "%s", de->d_name);
		}
	}
	closedir(d);
	return n;
}

static long file_size(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static bool exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

static void flip_byte(const char *p, long off)
{
	int fd = open(p, O_RDWR);
	uint8_t c = 0;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(pread(fd, &c, 1, off) == 1);
	c ^= 0x5a;
	CHECK(pwrite(fd, &c, 1, off) == 1);
	close(fd);
}

static void write_file(const char *p, const char *text, time_t age_s)
{
	FILE *f = fopen(p, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	if (age_s) {
		struct timespec ts[2];

		clock_gettime(CLOCK_REALTIME, &ts[0]);
		ts[0].tv_sec -= age_s;
		ts[1] = ts[0];
		CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
	}
}

static void copy_file(const char *from, const char *to)
{
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	char buf[65536];
	size_t n;

	CHECK(a && b);
	while (a && b && (n = fread(buf, 1, sizeof(buf), a)) > 0)
		CHECK(fwrite(buf, 1, n, b) == n);
	if (a)
		fclose(a);
	if (b)
		fclose(b);
}

static void rm_rf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* ---- tests -------------------------------------------------------------- */

static uint64_t nocache_mask;
static unsigned ndb;              /* databases of base_rules */

static void test_no_cache(void)
{
	struct built b = build(NULL, 0, NULL);

	CHECK(b.e != NULL);
	if (!b.e)
		return;
	nocache_mask = scan_all(b.e);
	CHECK_EQ_U(nocache_mask, EXPECT_MASK);
	CHECK_EQ_U(b.set_rc, 0);
	CHECK_EQ_U(b.hits + b.misses + b.errors, 0);
	CHECK_STR(sig_engine_cache_note(b.e), "");
	sig_engine_free(b.e);
	b = build("", 0, NULL);
	CHECK_EQ_U(b.hits + b.misses + b.errors, 0);
	sig_engine_free(b.e);
}

static void test_miss_then_hit(void)
{
	char dir[300], name[80], p[400];
	struct built a, b;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/c1/nested/deeper", root);   /* created */
	a = build(dir, 0, NULL);
	CHECK_EQ_U(a.set_rc, 0);
	CHECK(a.misses >= 5);          /* stream (one for both directions), helo, mail_from, subject, data */
	CHECK_EQ_U(a.hits, 0);
	CHECK_EQ_U(a.errors, 0);
	CHECK_STR(sig_engine_cache_note(a.e), "");
	CHECK_EQ_U(entries(dir, name, sizeof(name)), a.misses);
	ndb = a.misses;
	path_in(p, sizeof(p), dir, name);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0644);
	CHECK_EQ_U(scan_all(a.e), EXPECT_MASK);

	b = build(dir, 0, NULL);
	CHECK_EQ_U(b.hits, ndb);
	CHECK_EQ_U(b.misses, 0);
	CHECK_EQ_U(b.errors, 0);
	CHECK_EQ_U(scan_all(b.e), nocache_mask);
	CHECK_EQ_U(sig_engine_db_bytes(b.e), sig_engine_db_bytes(a.e));
	CHECK_EQ_U(entries(dir, NULL, 0), ndb);
	sig_engine_free(a.e);
	sig_engine_free(b.e);
}

/*
 * Hyperscan's verdicts on the rules' expressions: a build leaves them in
 * the directory (one "<key>.hsvd" file, not counted as a database), the
 * next set checks none of those expressions again and matches the same; a
 * damaged verdict file only costs the checks, and the build after rewrites
 * it. Without a cache nothing is remembered.
 */
static void test_verdicts(void)
{
	char dir[300], name[80] = "", p[400];
	struct built a, b, c, d, n;

	snprintf(dir, sizeof(dir), "%s/verdicts", root);
	a = build(dir, 0, NULL);
	CHECK_EQ_U(a.vhits, 0);
	CHECK_EQ_U(verdict_files(dir, name, sizeof(name)), 1);
	CHECK_EQ_U(entries(dir, NULL, 0), a.misses);
	b = build(dir, 0, NULL);
	CHECK(b.vhits >= 2);            /* the pcre (sid 4) and the chain (sid 5) */
	CHECK_EQ_U(scan_all(b.e), EXPECT_MASK);
	path_in(p, sizeof(p), dir, name);
	flip_byte(p, file_size(p) - 1);
	c = build(dir, 0, NULL);
	CHECK_EQ_U(c.vhits, 0);
	CHECK_EQ_U(c.errors, 0);        /* the databases are fine */
	CHECK_EQ_U(scan_all(c.e), EXPECT_MASK);
	d = build(dir, 0, NULL);
	CHECK_EQ_U(d.vhits, b.vhits);
	CHECK_EQ_U(scan_all(d.e), EXPECT_MASK);
	n = build(NULL, 0, NULL);
	CHECK_EQ_U(n.vhits, 0);
	sig_engine_free(a.e);
	sig_engine_free(b.e);
	sig_engine_free(c.e);
	sig_engine_free(d.e);
	sig_engine_free(n.e);
}

/* One rule changed: only its database is compiled. */
static void test_one_rule_changed(void)
{
	char dir[300];
	struct built a, b, c;

	snprintf(dir, sizeof(dir), "%s/c2", root);
	a = build(dir, 0, NULL);
	b = build(dir, 1, "alert smtp any any -> any any (msg:\"helo\"; smtp.helo; "
		  "content:\"evil.example.org\"; nocase; sid:2;)");
	CHECK_EQ_U(b.misses, 1);
	CHECK_EQ_U(b.hits, ndb - 1);
	CHECK_EQ_U(b.errors, 0);
	CHECK_EQ_U(entries(dir, NULL, 0), ndb + 1);
	CHECK_EQ_U(scan_all(b.e), EXPECT_MASK & ~(UINT64_C(1) << 2));
	/* An offset is part of the key too (depth:10 -> depth:11). */
	c = build(dir, 2, "alert smtp any any -> any any (msg:\"from\"; smtp.mail_from; "
		  "content:\"spam\"; depth:11; sid:3;)");
	CHECK_EQ_U(c.misses, 1);
	CHECK_EQ_U(c.hits, ndb - 1);
	CHECK_EQ_U(scan_all(c.e), EXPECT_MASK);
	sig_engine_free(a.e);
	sig_engine_free(b.e);
	sig_engine_free(c.e);
}

/* Damage an entry, build: error + miss, note names it, still matches, and
 * the entry is rewritten (the next build hits everything). */
static void damaged(const char *dir, const char *what, void (*harm)(const char *, const char *),
		    const char *note_has)
{
	char name[80], p[400];
	struct built b, c;

	CHECK_EQ_U(entries(dir, name, sizeof(name)), ndb);
	path_in(p, sizeof(p), dir, name);
	harm(p, dir);
	b = build(dir, 0, NULL);
	if (b.errors != 1 || b.misses != 1 || b.hits != ndb - 1)
		fprintf(stderr, "damage '%s': hits %u misses %u errors %u\n", what, b.hits,
			b.misses, b.errors);
	CHECK_EQ_U(b.errors, 1);
	CHECK_EQ_U(b.misses, 1);
	CHECK_EQ_U(b.hits, ndb - 1);
	if (!strstr(sig_engine_cache_note(b.e), note_has) ||
	    !strstr(sig_engine_cache_note(b.e), name)) {
		fprintf(stderr, "damage '%s': note '%s' lacks '%s'\n", what,
			sig_engine_cache_note(b.e), note_has);
		CHECK(0);
	}
	CHECK_EQ_U(scan_all(b.e), EXPECT_MASK);
	c = build(dir, 0, NULL);
	CHECK_EQ_U(c.hits, ndb);
	CHECK_EQ_U(c.errors, 0);
	sig_engine_free(b.e);
	sig_engine_free(c.e);
}

static void harm_truncate(const char *p, const char *dir)
{
	(void)dir;
	CHECK(truncate(p, file_size(p) - 100) == 0);
}

static void harm_flip_blob(const char *p, const char *dir)
{
	(void)dir;
	flip_byte(p, file_size(p) / 2);
}

static void harm_flip_last(const char *p, const char *dir)
{
	(void)dir;
	flip_byte(p, file_size(p) - 1);
}

static void harm_flip_magic(const char *p, const char *dir)
{
	(void)dir;
	flip_byte(p, 0);
}

static void harm_empty(const char *p, const char *dir)
{
	(void)dir;
	CHECK(truncate(p, 0) == 0);
}

/* Another entry's (valid) bytes under this name. */
static void harm_other(const char *p, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char other[400] = "";

	while (d && (de = readdir(d)) != NULL)
		if (is_entry(de->d_name) && !strstr(p, de->d_name)) {
			path_in(other, sizeof(other), dir, de->d_name);
			break;
		}
	if (d)
		closedir(d);
	CHECK(other[0] != '\0');
	copy_file(other, p);
}

static void harm_mode(const char *p, const char *dir)
{
	(void)dir;
	CHECK(chmod(p, 0666) == 0);
}

static void test_damaged_entries(void)
{
	char dir[300];
	struct built a;

	snprintf(dir, sizeof(dir), "%s/c3", root);
	a = build(dir, 0, NULL);
	CHECK_EQ_U(a.misses, ndb);
	sig_engine_free(a.e);
	damaged(dir, "truncated", harm_truncate, "truncated");
	damaged(dir, "byte flipped in the database", harm_flip_blob, "corrupt (checksum)");
	damaged(dir, "last byte flipped", harm_flip_last, "corrupt (checksum)");
	damaged(dir, "magic flipped", harm_flip_magic, "not a mailtap cache entry");
	damaged(dir, "empty file", harm_empty, "not a cache entry");
	damaged(dir, "another entry's bytes", harm_other, "key does not match");
	damaged(dir, "mode 0666", harm_mode, "writable by others");
}

/* The read-only directory case, run by a user that is not root: cdir is
 * created and filled, made read-only (0555), then used. */
static void readonly_checks(const char *cdir)
{
	struct built b;

	b = build(cdir, 0, NULL);
	sig_engine_free(b.e);
	CHECK(chmod(cdir, 0555) == 0);
	b = build(cdir, 0, NULL);
	CHECK_EQ_U(b.set_rc, -EACCES);
	CHECK_EQ_U(b.hits, ndb);
	CHECK_EQ_U(b.errors, 0);
	sig_engine_free(b.e);
	b = build(cdir, 1, "alert smtp any any -> any any (msg:\"helo\"; smtp.helo; "
		  "content:\"other\"; sid:2;)");
	CHECK_EQ_U(b.misses, 1);
	CHECK_EQ_U(b.errors, 0);
	CHECK_EQ_U(entries(cdir, NULL, 0), ndb);
	sig_engine_free(b.e);
	CHECK(chmod(cdir, 0755) == 0);
}

#define NOBODY 65534

/* As root: the same checks in a child that has become nobody, in a
 * directory of its own (root's 0700 temp dir opened to 0711 for the lookup,
 * every ancestor must already let others through). The child exits 1 on any
 * failed check; the parent checks its exit status. */
static void readonly_as_nobody(void)
{
	char own[300], cdir[320], anc[256];
	struct stat st;
	int status = -1;
	pid_t pid;

	/* every ancestor of root must let nobody through (/tmp: 1777) */
	snprintf(anc, sizeof(anc), "%s", root);
	for (char *sl = strrchr(anc, '/'); sl; sl = strrchr(anc, '/')) {
		*sl = '\0';
		if (stat(*anc ? anc : "/", &st) != 0 || !(st.st_mode & S_IXOTH)) {
			printf("test_sig_cache: running as root and %s is closed to others: "
			       "read-only directory case skipped\n", *anc ? anc : "/");
			return;
		}
	}
	snprintf(own, sizeof(own), "%s/nobody", root);
	CHECK(chmod(root, 0711) == 0);
	CHECK(mkdir(own, 0755) == 0);
	CHECK(chown(own, NOBODY, NOBODY) == 0);
	snprintf(cdir, sizeof(cdir), "%s/ro", own);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		unsigned failed = check_fail_;

		if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0 ||
		    geteuid() != NOBODY) {
			perror("test_sig_cache: becoming nobody");
			_exit(2);
		}
		readonly_checks(cdir);
		fflush(stdout);
		fflush(stderr);
		_exit(check_fail_ != failed ? 1 : 0);
	}
	if (pid > 0)
		CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(chmod(root, 0700) == 0);
}

static void test_unusable_dirs(void)
{
	char file[300], dir[400], cdir[300];
	struct built b;
	char longp[1100];

	/* Under a regular file: cannot be created; the cache is off. */
	snprintf(file, sizeof(file), "%s/plainfile", root);
	write_file(file, "x", 0);
	snprintf(dir, sizeof(dir), "%s/sub", file);
	b = build(dir, 0, NULL);
	CHECK_EQ_U(b.set_rc, -ENOTDIR);
	CHECK(b.e != NULL);
	CHECK_EQ_U(b.hits + b.misses + b.errors, 0);
	CHECK_EQ_U(scan_all(b.e), EXPECT_MASK);
	sig_engine_free(b.e);

	/* Too long a path: off. */
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	b = build(longp, 0, NULL);
	CHECK_EQ_U(b.set_rc, -ENAMETOOLONG);
	CHECK_EQ_U(b.hits + b.misses + b.errors, 0);
	sig_engine_free(b.e);

	/* Set, then gone before the build: one error, everything compiled. */
	{
		struct sig_set *s = sig_set_new();
		struct sig_engine *e = NULL;
		unsigned bad = 0, h = 9, m = 0, er = 0;
		char err[256];

		snprintf(cdir, sizeof(cdir), "%s/vanishing", root);
		CHECK_EQ_U(sig_set_cache_dir(s, cdir), 0);
		CHECK(rmdir(cdir) == 0);
		for (unsigned i = 0; i < NRULES; i++)
			sig_set_add_rule(s, base_rules[i], "cache.rules", i + 1, print_diag, &bad);
		CHECK_EQ_U(sig_engine_build(s, &e, err, sizeof(err)), 0);
		sig_engine_cache_stats(e, &h, &m, &er);
		CHECK_EQ_U(h, 0);
		CHECK_EQ_U(m, ndb);
		CHECK_EQ_U(er, 1);
		CHECK(strstr(sig_engine_cache_note(e), "compiling without it") != NULL);
		CHECK_EQ_U(scan_all(e), EXPECT_MASK);
		CHECK(!exists(cdir));
		sig_engine_free(e);
	}

	/* World-writable without the sticky bit: refused. */
	snprintf(cdir, sizeof(cdir), "%s/open", root);
	b = build(cdir, 0, NULL);
	sig_engine_free(b.e);
	CHECK(chmod(cdir, 0777) == 0);
	b = build(cdir, 0, NULL);
	CHECK_EQ_U(b.hits, 0);
	CHECK_EQ_U(b.misses, ndb);
	CHECK_EQ_U(b.errors, 1);
	CHECK(strstr(sig_engine_cache_note(b.e), "writable by anyone") != NULL);
	sig_engine_free(b.e);
	CHECK(chmod(cdir, 01777) == 0);  /* sticky, like /tmp: accepted */
	b = build(cdir, 0, NULL);
	CHECK_EQ_U(b.hits, ndb);
	CHECK_EQ_U(b.errors, 0);
	sig_engine_free(b.e);

	/* Read-only: entries are loaded, nothing written, no error. Root may
	 * write anywhere, so as root the checks run as another user (nobody)
	 * in a child process. */
	if (geteuid() != 0) {
		snprintf(cdir, sizeof(cdir), "%s/ro", root);
		readonly_checks(cdir);
	} else {
		readonly_as_nobody();
	}
}

/* Stale entries go; used, recent and foreign files stay. */
static void test_prune(void)
{
	static const char fake_old[] =
		"00000000000000000000000000000000000000000000000000000000000000aa.hsdb";
	static const char fake_new[] =
		"00000000000000000000000000000000000000000000000000000000000000bb.hsdb";
	static const char tmp_old[] =
		".00000000000000000000000000000000000000000000000000000000000000cc.Ab12Cd";
	char dir[300], p[400], name[80];
	struct built a, b;
	struct timespec ts[2];

	snprintf(dir, sizeof(dir), "%s/c4", root);
	a = build(dir, 0, NULL);
	sig_engine_free(a.e);
	/* Every real entry looks old too: a hit must keep it anyway. */
	CHECK_EQ_U(entries(dir, name, sizeof(name)), ndb);
	path_in(p, sizeof(p), dir, name);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 30 * 86400;
	ts[1] = ts[0];
	CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
	path_in(p, sizeof(p), dir, fake_old);
	write_file(p, "stale", 30 * 86400);
	path_in(p, sizeof(p), dir, fake_new);
	write_file(p, "recent", 3600);
	path_in(p, sizeof(p), dir, tmp_old);
	write_file(p, "torn", 30 * 86400);
	path_in(p, sizeof(p), dir, "notes.txt");
	write_file(p, "operator's", 30 * 86400);

	b = build(dir, 0, NULL);
	CHECK_EQ_U(b.hits, ndb);
	path_in(p, sizeof(p), dir, fake_old);
	CHECK(!exists(p));
	path_in(p, sizeof(p), dir, tmp_old);
	CHECK(!exists(p));
	path_in(p, sizeof(p), dir, fake_new);
	CHECK(exists(p));
	path_in(p, sizeof(p), dir, "notes.txt");
	CHECK(exists(p));
	CHECK_EQ_U(entries(dir, NULL, 0), ndb + 1);
	/* The hit refreshed the old-looking entry's time. */
	{
		struct stat st;

		path_in(p, sizeof(p), dir, name);
		CHECK(stat(p, &st) == 0 && time(NULL) - st.st_mtime < 3600);
	}
	sig_engine_free(b.e);
}

/* A rule set that compiles to no database: nothing cached, no error. */
static void test_empty_set(void)
{
	char dir[300];
	struct sig_set *s = sig_set_new();
	struct sig_engine *e = NULL;
	unsigned h = 1, m = 1, er = 1;

	snprintf(dir, sizeof(dir), "%s/c5", root);
	CHECK_EQ_U(sig_set_cache_dir(s, dir), 0);
	CHECK_EQ_U(sig_engine_build(s, &e, NULL, 0), 0);
	sig_engine_cache_stats(e, &h, &m, &er);
	CHECK_EQ_U(h + m + er, 0);
	CHECK_EQ_U(entries(dir, NULL, 0), 0);
	sig_engine_free(e);
	sig_engine_cache_stats(NULL, &h, NULL, NULL);
	CHECK_EQ_U(h, 0);
	CHECK_STR(sig_engine_cache_note(NULL), "");
	CHECK_EQ_U(sig_set_cache_dir(NULL, dir), -EINVAL);
}


/*
 * A pcre Hyperscan cannot compile exactly (look-around) is confirmed; that
 * the exact compile fails is remembered too, so the next start asks
 * Hyperscan for neither: two verdicts spared per such expression (the
 * failed exact check and the prefilter one), not one. The rule matches
 * the same either way.
 */
static void test_verdict_not_exact(void)
{
	static const char rule[] = "alert smtp any any -> any any (file.data; "
				   "pcre:\"/evil(?!ok)/\"; sid:7;)";
	char dir[300];
	unsigned hits[2];

	snprintf(dir, sizeof(dir), "%s/notexact", root);
	for (int round = 0; round < 2; round++) {
		struct sig_set *s = sig_set_new();
		struct sig_engine *e = NULL;
		unsigned bad = 0;
		char err[256];
		uint64_t mask = 0;
		struct sig_tuple tup;
		struct sig_thread *t;
		struct sig_flow *f;

		CHECK(s && sig_set_cache_dir(s, dir) == 0);
		if (!s)
			return;
		sig_set_add_rule(s, rule, "notexact.rules", 1, print_diag, &bad);
		CHECK_EQ_U(bad, 0);
		hits[round] = sig_set_verdict_hits(s);
		if (sig_engine_build(s, &e, err, sizeof(err)) != 0) {
			fprintf(stderr, "build failed: %s\n", err);
			CHECK(0);
			return;
		}
		memset(&tup, 0, sizeof(tup));
		t = sig_thread_new(e, 2, on_alert, &mask);
		f = t ? sig_flow_open(t, &tup) : NULL;
		if (f) {
			sig_stream_begin(t, f, SIG_BUF_FILE_DATA);
			sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)"x evilok", 8, NULL);
			sig_stream_end(t, f, SIG_BUF_FILE_DATA, NULL);
			CHECK_EQ_U(mask, 0);
			sig_stream_begin(t, f, SIG_BUF_FILE_DATA);
			sig_stream_scan(t, f, SIG_BUF_FILE_DATA, (const uint8_t *)"x evilo!", 8, NULL);
			sig_stream_end(t, f, SIG_BUF_FILE_DATA, NULL);
			CHECK_EQ_U(mask, UINT64_C(1) << 7);
			sig_flow_close(t, f, NULL);
		}
		sig_thread_free(t);
		sig_engine_free(e);
	}
	CHECK_EQ_U(hits[0], 0);
	CHECK_EQ_U(hits[1], 2);
}

/* The verdict file holds the rule set in use: verdicts another rule set
 * left there and this build did not use are not written back, so the file
 * does not grow with every rule set ever loaded. */
static unsigned verdict_round(const char *dir, const char *rule, uint64_t *vsize)
{
	struct sig_set *s = sig_set_new();
	struct sig_engine *e = NULL;
	char err[256], name[80] = "", p[400];
	unsigned bad = 0, hits;

	CHECK(s && sig_set_cache_dir(s, dir) == 0);
	if (!s)
		return 0;
	sig_set_add_rule(s, rule, "used.rules", 1, print_diag, &bad);
	CHECK_EQ_U(bad, 0);
	hits = sig_set_verdict_hits(s);
	CHECK_EQ_U(sig_engine_build(s, &e, err, sizeof(err)), 0);
	sig_engine_free(e);
	CHECK_EQ_U(verdict_files(dir, name, sizeof(name)), 1);
	path_in(p, sizeof(p), dir, name);
	*vsize = file_size(p);
	return hits;
}

static void test_verdicts_used_only(void)
{
	static const char a[] = "alert smtp any any -> any any (file.data; pcre:\"/ab+c\\d{2,5}x/\"; "
				"sid:1;)";
	static const char b[] = "alert smtp any any -> any any (file.data; pcre:\"/zz[0-9]+y/\"; sid:2;)";
	char dir[300];
	uint64_t sa, sb, sa2, sa3;

	snprintf(dir, sizeof(dir), "%s/usedonly", root);
	CHECK_EQ_U(verdict_round(dir, a, &sa), 0);
	CHECK_EQ_U(verdict_round(dir, a, &sa2), 1);     /* A's verdict is kept */
	CHECK_EQ_U(sa2, sa);
	CHECK_EQ_U(verdict_round(dir, b, &sb), 0);
	CHECK_EQ_U(sb, sa);             /* B's only: one key, as A had */
	CHECK_EQ_U(verdict_round(dir, a, &sa3), 0);     /* A's went with B's build */
	CHECK_EQ_U(sa3, sa);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/test_sig_cache.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_no_cache();
	test_miss_then_hit();
	test_verdicts();
	test_verdict_not_exact();
	test_verdicts_used_only();
	if (ndb) {
		test_one_rule_changed();
		test_damaged_entries();
		test_unusable_dirs();
		test_prune();
	}
	test_empty_set();
	rm_rf(root);
	return check_summary("test_sig_cache");
}
