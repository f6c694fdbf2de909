/*
 * bench_rules — what a rule set costs before the first packet: parsing,
 * compiling (without a cache, into an empty cache, from the cache), the
 * memory of the compiled databases and of one worker's matcher state, and
 * a reload (a new engine and worker state built from the rule files).
 *
 *   bench_rules [--reps N] [--max-flows N] [--cache-dir DIR] RULES...
 *
 * For each rules file, N repetitions of: parse; build without a cache;
 * build into an emptied cache directory (cold: compile + write every
 * entry); a reload from the cache, timed end to end — parse + build (every
 * database loaded) + sig_thread_new(max_flows), as the sensor does at
 * start-up (worker.c sizes the thread by max-flows, 65536 by default). The
 * compiling reload is the sum parse + compile + sig_thread_new of the same
 * repetition (parsing 10,000 rules twice more per repetition would only
 * lengthen the run). The memory figures are measured once, apart from the
 * timings. Times are CPU seconds of the process (see now_s). Medians are
 * printed as two Markdown tables.
 *
 * Memory: "DB" is sig_engine_db_bytes (hs_database_size summed); "cache"
 * the bytes of the entry files; "engine" the heap the set + engine keep
 * (malloc's in-use bytes, mallinfo2, before and after); scratch is
 * hs_scratch_size of the prototype (one clone per worker); stream state is
 * hs_stream_size summed over the streaming databases: what one flow costs
 * with every stream open; "thread" is the heap sig_thread_new takes (it
 * reserves stream state for max_flows flows per streaming database, set up
 * only as flows use it) and "thread RSS" the resident growth it caused
 * (after malloc_trim, so freed compile memory is not reused silently): at
 * start, with no flow yet, little of the reservation.
 *
 * The cache directory is a temporary one (removed at the end) unless
 * --cache-dir is given; its entries are deleted before each cold build.
 * Exit status 1 when a cached build does not load every database: the
 * cache would then be broken, and the figures meaningless. No timed
 * assertion anywhere: figures, for RESULTS.md (benchmarks/run_rules).
 */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hs.h>

#include "sig.h"
#include "sig_internal.h"

#define MAX_REPS 50

/* CPU seconds of this (single-threaded) process: on a shared machine wall
 * time would also count the waits for a core. Parsing, compiling and
 * loading are CPU work; the cache's file I/O is a few MB in the page cache. */
static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static size_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

static void quiet_diag(void *user, const char *file, unsigned line, uint32_t sid,
		       const char *text)
{
	unsigned *n = user;

	if ((*n)++ < 3)
		fprintf(stderr, "%s:%u: sid %u: %s\n", file, line, sid, text);
}

static struct sig_set *parse(const char *path, unsigned *loaded)
{
	struct sig_set *s = sig_set_new();
	unsigned bad = 0;
	int rc;

	if (!s)
		return NULL;
	rc = sig_set_load_file(s, path, quiet_diag, &bad);
	if (rc < 0) {
		fprintf(stderr, "bench_rules: %s: %s\n", path, strerror(-rc));
		sig_set_free(s);
		return NULL;
	}
	*loaded = sig_set_loaded(s);
	return s;
}

static struct sig_engine *build(struct sig_set *s, const char *cache_dir)
{
	struct sig_engine *e = NULL;
	char err[512];

	if (cache_dir) {
		int rc = sig_set_cache_dir(s, cache_dir);

		if (rc != 0)
			fprintf(stderr, "bench_rules: cache %s: %s\n", cache_dir, strerror(-rc));
	}
	if (sig_engine_build(s, &e, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_rules: build failed: %s\n", err);
		return NULL;
	}
	return e;
}

/* Delete the cache entries (and temporaries) in dir; bytes of what was there. */
static size_t clear_dir(const char *dir, bool remove)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t bytes = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char p[4096];
		struct stat st;
		size_t n = strlen(de->d_name);

		if (!((n == 69 && strcmp(de->d_name + 64, ".hsdb") == 0) ||
		      (n == 72 && de->d_name[0] == '.')))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (stat(p, &st) == 0)
			bytes += (size_t)st.st_size;
		if (remove)
			unlink(p);
	}
	closedir(d);
	return bytes;
}

static void noop_alert(void *user, void *ctx, const struct sig_rule_meta *rule,
		       enum sig_dir dir)
{
	(void)user, (void)ctx, (void)rule, (void)dir;
}

struct result {
	const char *name;
	unsigned loaded, ndb;
	double parse, nocache, cold, cached, reload, reload_cold, thread_new;
	size_t db_bytes, cache_bytes, engine_heap, scratch, stream_per_flow;
	size_t thread_heap, thread_rss;
	unsigned nstream_db;
};

/*
 * Memory, apart from the timings: the heap the set + engine keep (built
 * from the cache), then what sig_thread_new adds, in heap and in resident
 * pages. malloc_trim first returns freed memory, so that growth is not
 * hidden by reuse of what earlier builds freed.
 */
static int measure_memory(const char *path, const char *cache_dir, uint32_t max_flows,
			  struct result *r)
{
	struct sig_set *s;
	struct sig_engine *e;
	struct sig_thread *t;
	size_t h0, rb, ra;

	malloc_trim(0);
	h0 = heap_in_use();
	s = parse(path, &r->loaded);
	e = s ? build(s, cache_dir) : NULL;
	if (!e)
		return -1;
	r->engine_heap = heap_in_use() - h0;
	malloc_trim(0);
	h0 = heap_in_use();
	rb = rss_bytes();
	t = sig_thread_new(e, max_flows, noop_alert, NULL);
	ra = rss_bytes();
	if (!t) {
		sig_engine_free(e);
		return -1;
	}
	r->thread_heap = heap_in_use() - h0;
	r->thread_rss = ra > rb ? ra - rb : 0;
	sig_thread_free(t);
	sig_engine_free(e);
	return 0;
}

static int bench_one(const char *path, const char *cache_dir, int reps, uint32_t max_flows,
		     struct result *r)
{
	double tp[MAX_REPS], tn[MAX_REPS], tc[MAX_REPS], th[MAX_REPS], tr[MAX_REPS],
	       trc[MAX_REPS], tt[MAX_REPS];
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	for (int k = 0; k < reps; k++) {
		struct sig_set *s;
		struct sig_engine *e;
		struct sig_thread *t;
		unsigned hits = 0, misses = 0, errors = 0;
		double t0, t1;

		/* parse, then compile without a cache */
		t0 = now_s();
		s = parse(path, &r->loaded);
		tp[k] = now_s() - t0;
		if (!s)
			return -1;
		t0 = now_s();
		e = build(s, NULL);
		tn[k] = now_s() - t0;
		if (!e)
			return -1;
		sig_engine_free(e);
		/* cold: empty cache, compile and write */
		clear_dir(cache_dir, true);
		s = parse(path, &r->loaded);
		t0 = now_s();
		e = s ? build(s, cache_dir) : NULL;
		tc[k] = now_s() - t0;
		if (!e)
			return -1;
		sig_engine_cache_stats(e, &hits, &misses, &errors);
		r->ndb = misses;
		if (errors)
			fprintf(stderr, "bench_rules: cache: %s\n", sig_engine_cache_note(e));
		sig_engine_free(e);
		/* a reload from the cache, end to end: parse + build (every
		 * database loaded) + the worker's matcher state */
		t0 = now_s();
		s = parse(path, &r->loaded);
		t1 = now_s();
		e = s ? build(s, cache_dir) : NULL;
		th[k] = now_s() - t1;
		if (!e)
			return -1;
		t1 = now_s();
		t = sig_thread_new(e, max_flows, noop_alert, NULL);
		tt[k] = now_s() - t1;
		tr[k] = now_s() - t0;
		if (!t) {
			fprintf(stderr, "bench_rules: sig_thread_new(%u flows) failed\n", max_flows);
			sig_engine_free(e);
			return -1;
		}
		/* the same reload compiling: parse + compile + worker state */
		trc[k] = tp[k] + tn[k] + tt[k];
		sig_engine_cache_stats(e, &hits, &misses, &errors);
		if (hits != r->ndb || misses || errors) {
			fprintf(stderr, "bench_rules: %s: cached build: %u hits, %u misses, %u errors "
				"(%u databases): %s\n", path, hits, misses, errors, r->ndb,
				sig_engine_cache_note(e));
			rc = -1;
		}
		r->db_bytes = sig_engine_db_bytes(e);
		r->cache_bytes = clear_dir(cache_dir, false);
		r->scratch = 0;
		if (e->proto)
			hs_scratch_size((const hs_scratch_t *)e->proto, &r->scratch);
		r->stream_per_flow = 0;
		r->nstream_db = 0;
		for (unsigned b = 0; b < SIG_BUF_COUNT; b++)
			for (unsigned d = 0; d < 2; d++)
				if (e->db[b][d] && sig_buf_is_stream(b)) {
					r->stream_per_flow += e->stream_size[b][d];
					r->nstream_db++;
				}
		sig_thread_free(t);
		sig_engine_free(e);
		if (k == 0 && measure_memory(path, cache_dir, max_flows, r) != 0)
			return -1;
	}
	r->parse = median(tp, reps);
	r->nocache = median(tn, reps);
	r->cold = median(tc, reps);
	r->cached = median(th, reps);
	r->thread_new = median(tt, reps);
	r->reload = median(tr, reps);
	r->reload_cold = median(trc, reps);
	return rc;
}

static char tmp_dir[256];

static void remove_tmp(void)
{
	if (tmp_dir[0]) {
		clear_dir(tmp_dir, true);
		rmdir(tmp_dir);
	}
}

int main(int argc, char **argv)
{
	int reps = 3, a = 1;
	uint32_t max_flows = 65536;
	const char *cache_dir = NULL;
	struct result res[16];
	int nres = 0, status = 0;

	for (; a + 1 < argc && argv[a][0] == '-'; a += 2) {
		if (strcmp(argv[a], "--reps") == 0)
			reps = atoi(argv[a + 1]);
		else if (strcmp(argv[a], "--max-flows") == 0)
			max_flows = (uint32_t)strtoul(argv[a + 1], NULL, 10);
		else if (strcmp(argv[a], "--cache-dir") == 0)
			cache_dir = argv[a + 1];
		else
			break;
	}
	if (a >= argc || argc - a > 16 || reps < 1 || reps > MAX_REPS || max_flows < 1) {
		fprintf(stderr, "usage: bench_rules [--reps N] [--max-flows N] [--cache-dir DIR] "
			"RULES...\n");
		return 2;
	}
	if (!cache_dir) {
		const char *t = getenv("TMPDIR");

		snprintf(tmp_dir, sizeof(tmp_dir), "%s/bench_rules.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmp_dir)) {
			perror("bench_rules: mkdtemp");
			return 1;
		}
		cache_dir = tmp_dir;
		atexit(remove_tmp);
	}
	for (; a < argc; a++) {
		if (bench_one(argv[a], cache_dir, reps, max_flows, &res[nres]) != 0)
			status = 1;
		if (res[nres].name)
			nres++;
	}
	printf("| rules file | rules | databases | parse CPU s | compile CPU s (no cache) | "
	       "cold CPU s (empty cache) | from cache CPU s | cold / cache | reload CPU s "
	       "(compiling) | reload CPU s (from cache) |\n|---|---|---|---|---|---|---|---|---|---|\n");
	for (int i = 0; i < nres; i++) {
		const struct result *r = &res[i];

		printf("| %s | %u | %u | %.3f | %.3f | %.3f | %.3f | %.0fx | %.3f | %.3f |\n",
		       r->name, r->loaded, r->ndb, r->parse, r->nocache, r->cold, r->cached,
		       r->cached > 0 ? r->cold / r->cached : 0.0, r->reload_cold, r->reload);
	}
	printf("\n| rules file | DB MiB | cache files MiB | engine heap MiB | scratch KiB | "
	       "stream state B/flow (dbs) | thread heap MiB (%u flows) | thread RSS MiB | "
	       "sig_thread_new CPU s |\n|---|---|---|---|---|---|---|---|---|\n", max_flows);
	for (int i = 0; i < nres; i++) {
		const struct result *r = &res[i];

		printf("| %s | %.2f | %.2f | %.1f | %.1f | %zu (%u) | %.1f | %.1f | %.3f |\n",
		       r->name, (double)r->db_bytes / 1048576.0, (double)r->cache_bytes / 1048576.0,
		       (double)r->engine_heap / 1048576.0, (double)r->scratch / 1024.0,
		       r->stream_per_flow, r->nstream_db, (double)r->thread_heap / 1048576.0,
		       (double)r->thread_rss / 1048576.0, r->thread_new);
	}
	fprintf(stderr, "bench_rules: %d repetitions, medians; Hyperscan %s\n", reps, hs_version());
	return status;
}
