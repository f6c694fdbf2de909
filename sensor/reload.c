/*
 * reload — see reload.h. The rules build shared by start-up and reload,
 * the generation list, and the reload thread that builds, publishes and
 * frees generations off the packet path.
 *
 * Threads: the packet thread(s) and at most one reload thread. The
 * controller's mutex guards the request flag, the free list and the
 * thread's running state; it is taken once per reload request and once
 * per generation freed, never per packet or per burst. Generations are
 * handed to workers through their `next` pointer (release/acquire) and
 * counted with an atomic reference count.
 */
#include "reload.h"
#include "anomaly.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the rules build ----------------------------------------------------- */

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void reload_print_diag(void *user, const char *file, unsigned line, uint32_t sid,
		       const char *text)
{
	(void)user;
	if (sid)
		fprintf(stderr, "%s:%u: sid %" PRIu32 ": %s\n", file, line, sid, text);
	else
		fprintf(stderr, "%s:%u: %s\n", file, line, text);
}

/* "a.rules, b.rules" into err after prefix, cut at errlen. */
static void file_list(const struct mt_config *cfg, char *err, size_t errlen, size_t at)
{
	for (unsigned i = 0; i < cfg->rule_file_count && at < errlen; i++) {
		int n = snprintf(err + at, errlen - at, "%s%s", i ? ", " : "", cfg->rule_files[i]);

		if (n < 0)
			break;
		at += (size_t)n;
	}
}

/* The features rules can need that are set up at start-up: a file
 * digest (a hash the rules use) or a buffer (libmagic, body_md5); the
 * mt_config bool that turns it on; and words for a message. */
static const struct engine_need {
	bool is_hash;
	int what;                   /* enum sig_hash or enum sig_buf */
	size_t cfg_off;             /* offsetof(struct mt_config, a bool) */
	const char *desc;
} engine_needs[] = {
	{ true, SIG_HASH_MD5, offsetof(struct mt_config, hash_md5), "file MD5 digests (filemd5)" },
	{ true, SIG_HASH_SHA1, offsetof(struct mt_config, hash_sha1),
	  "file SHA-1 digests (filesha1)" },
	{ true, SIG_HASH_SHA256, offsetof(struct mt_config, hash_sha256),
	  "file SHA-256 digests (filesha256)" },
	{ false, SIG_BUF_FILE_MAGIC, offsetof(struct mt_config, file_magic),
	  "libmagic file types (file.magic)" },
	{ false, SIG_BUF_EMAIL_BODY_MD5, offsetof(struct mt_config, email_md5_body),
	  "the message body's MD5 (email.body_md5)" },
};

static bool engine_needs_one(const struct sig_engine *e, const struct engine_need *n)
{
	return n->is_hash ? sig_engine_needs_hash(e, (enum sig_hash)n->what)
			  : sig_engine_has_buf(e, (enum sig_buf)n->what);
}

void reload_engine_enable(struct mt_config *cfg, const struct sig_engine *e)
{
	for (size_t i = 0; i < sizeof(engine_needs) / sizeof(engine_needs[0]); i++)
		if (engine_needs_one(e, &engine_needs[i]))
			*(bool *)((char *)cfg + engine_needs[i].cfg_off) = true;
}

/* A feature the engine's rules need that cfg has off (a file digest,
 * libmagic), as words for a message, or NULL. */
static const char *reload_engine_missing(const struct mt_config *cfg, const struct sig_engine *e)
{
	for (size_t i = 0; i < sizeof(engine_needs) / sizeof(engine_needs[0]); i++) {
		const struct engine_need *n = &engine_needs[i];

		if (engine_needs_one(e, n) &&
		    !*(const bool *)((const char *)cfg + n->cfg_off))
			return n->desc;
	}
	return NULL;
}

int reload_build_engine(const struct mt_config *cfg, sig_diag_fn diag, void *diag_user,
			bool refuse_empty, struct sig_engine **out,
			struct reload_info *info, char *err, size_t errlen)
{
	uint64_t t0 = mono_us();
	struct sig_set *set = sig_set_new();
	unsigned loaded, skipped;
	int rc;

	*out = NULL;
	if (!set) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	{
		const char *const *names, *const *canon;
		unsigned n;

		anomaly_event_names(&names, &canon, &n);
		sig_set_event_names(set, names, canon, n);
	}
	/* An optimisation only: a cache that cannot be used is a warning,
	 * or nothing when it is the default one. */
	if (cfg->rules_cache_auto) {
		char def[512];
		const char *dir = config_rules_cache_default(def, sizeof(def));

		/* unusable: off; unwritable: read only (sig_set_cache_dir) */
		if (dir)
			(void)sig_set_cache_dir(set, dir);
	} else if (cfg->rules_cache) {
		rc = sig_set_cache_dir(set, cfg->rules_cache);
		if (rc == -EACCES || rc == -EROFS)
			fprintf(stderr, "mailtap: warning: rules cache %s: %s; used read-only\n",
				cfg->rules_cache, strerror(-rc));
		else if (rc)
			fprintf(stderr, "mailtap: warning: rules cache %s: %s; compiling without it\n",
				cfg->rules_cache, strerror(-rc));
	}
	for (unsigned i = 0; i < cfg->var_count; i++) {
		if (sig_set_var(set, cfg->vars[i].name, cfg->vars[i].value) != 0) {
			snprintf(err, errlen, "vars: %s: bad value '%s'", cfg->vars[i].name,
				 cfg->vars[i].value);
			sig_set_free(set);
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < cfg->rule_file_count; i++) {
		rc = sig_set_load_file(set, cfg->rule_files[i], diag, diag_user);
		if (rc < 0) {
			snprintf(err, errlen, "%s: cannot read rules: %s", cfg->rule_files[i],
				 strerror(-rc));
			sig_set_free(set);
			return rc;
		}
	}
	if (cfg->threshold_file) {
		rc = sig_set_load_threshold_file(set, cfg->threshold_file, diag, diag_user);
		if (rc < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", cfg->threshold_file,
				 strerror(-rc));
			sig_set_free(set);
			return rc;
		}
	}
	loaded = sig_set_loaded(set);
	skipped = sig_set_skipped(set);
	if (cfg->rule_file_count && loaded == 0 && (skipped > 0 || refuse_empty)) {
		int n = snprintf(err, errlen, "no rule could be loaded from ");

		if (n > 0)
			file_list(cfg, err, errlen, (size_t)n);
		n = (int)strlen(err);
		if (skipped)
			snprintf(err + n, errlen - (size_t)n, " (%u skipped, reasons above)", skipped);
		else
			snprintf(err + n, errlen - (size_t)n, " (no rules in them)");
		sig_set_free(set);
		return -EINVAL;
	}
	rc = sig_engine_build(set, out, err, errlen);  /* consumes set */
	if (rc != 0) {
		*out = NULL;
		return rc;
	}
	{
		const char *note = sig_engine_cache_note(*out);

		if (note && *note)
			fprintf(stderr, "mailtap: warning: %s\n", note);
	}
	info->loaded = loaded;
	info->skipped = skipped;
	info->build_us = mono_us() - t0;
	return 0;
}

/* ---- generations --------------------------------------------------------- */

struct reload_gen {
	struct sig_engine *engine;
	uint32_t id;
	atomic_uint refs;               /* workers that have not released it */
	_Atomic(struct reload_gen *) next;
	struct reload_gen *free_next;   /* the reload thread's free list */
	struct sig_thread *thr[RELOAD_MAX_WORKERS];
};

struct reload_worker {
	sig_alert_fn on_alert;
	void *alert_user;
	const uint64_t *clock;
	uint32_t max_flows;
};

struct reload_ctl {
	const struct mt_config *cfg;
	bool strict;
	struct reload_worker w[RELOAD_MAX_WORKERS];
	unsigned nworkers;
	struct reload_gen *first;       /* generation 1 (freed here if no worker
					 * ever registered) */
	struct reload_gen *newest;      /* the reload thread's (start-up's) only */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Under mu: */
	bool started, running, quit, request;
	struct reload_gen *to_free;
	pthread_t thread;
	atomic_uint_fast64_t reloads, failures;
};

static volatile sig_atomic_t reload_sighup;

static void on_sighup(int sig)
{
	(void)sig;
	reload_sighup = 1;
}

int reload_signal_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sighup;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGHUP, &sa, NULL) == 0 ? 0 : -errno;
}

static void gen_free(struct reload_gen *g)
{
	for (unsigned i = 0; i < RELOAD_MAX_WORKERS; i++)
		if (g->thr[i])
			sig_thread_free(g->thr[i]);
	sig_engine_free(g->engine);
	free(g);
}

struct reload_ctl *reload_ctl_new(const struct mt_config *cfg, struct sig_engine *engine,
				  bool strict)
{
	struct reload_ctl *c = calloc(1, sizeof(*c));
	struct reload_gen *g = calloc(1, sizeof(*g));

	if (!c || !g || pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		free(g);
		sig_engine_free(engine);
		return NULL;
	}
	if (pthread_cond_init(&c->cv, NULL) != 0) {
		pthread_mutex_destroy(&c->mu);
		free(c);
		free(g);
		sig_engine_free(engine);
		return NULL;
	}
	g->engine = engine;
	g->id = 1;
	atomic_init(&g->refs, 0);
	atomic_init(&g->next, NULL);
	c->cfg = cfg;
	c->strict = strict;
	c->first = c->newest = g;
	atomic_init(&c->reloads, 0);
	atomic_init(&c->failures, 0);
	return c;
}

int reload_ctl_add_worker(struct reload_ctl *c, sig_alert_fn on_alert, void *alert_user,
			  const uint64_t *clock, uint32_t max_flows, struct reload_gen **gen)
{
	unsigned slot = c->nworkers;

	if (slot >= RELOAD_MAX_WORKERS)
		return -ENOSPC;
	c->w[slot] = (struct reload_worker){ on_alert, alert_user, clock, max_flows };
	c->nworkers++;
	/* Start-up only: the reload thread does not exist yet, so generation
	 * 1 is still the newest and nobody else counts on it. */
	atomic_fetch_add_explicit(&c->first->refs, 1, memory_order_relaxed);
	*gen = c->first;
	return (int)slot;
}

void reload_ctl_counters(const struct reload_ctl *c, uint64_t *reloads, uint64_t *failures)
{
	*reloads = atomic_load_explicit(&c->reloads, memory_order_relaxed);
	*failures = atomic_load_explicit(&c->failures, memory_order_relaxed);
}

struct reload_gen *reload_gen_next(const struct reload_gen *g)
{
	return atomic_load_explicit(&((struct reload_gen *)g)->next, memory_order_acquire);
}

struct sig_thread *reload_gen_thread(const struct reload_gen *g, unsigned slot)
{
	return slot < RELOAD_MAX_WORKERS ? g->thr[slot] : NULL;
}

uint32_t reload_gen_id(const struct reload_gen *g)
{
	return g->id;
}

void reload_gen_release(struct reload_ctl *c, struct reload_gen *g, unsigned slot,
			struct sig_thread *t)
{
	/* The worker's own thread of generation 1 becomes the generation's,
	 * so it is freed with it. */
	if (t && slot < RELOAD_MAX_WORKERS)
		g->thr[slot] = t;
	/* acq_rel: whoever drops the last reference sees every worker's
	 * writes (its thread, its last use of the pools) before freeing. */
	if (atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
		return;
	pthread_mutex_lock(&c->mu);
	if (c->running) {
		g->free_next = c->to_free;
		c->to_free = g;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		return;
	}
	pthread_mutex_unlock(&c->mu);
	gen_free(g);
}

/* ---- the reload thread ------------------------------------------------- */

static void reload_fail(struct reload_ctl *c, const char *why)
{
	atomic_fetch_add_explicit(&c->failures, 1, memory_order_relaxed);
	fprintf(stderr, "mailtap: rules reload failed, keeping the old rules: %s\n", why);
	fflush(stderr);
}

/* One reload: build, give every worker its thread, publish. */
static void reload_once(struct reload_ctl *c)
{
	struct sig_engine *engine = NULL;
	struct reload_info info = {0};
	struct reload_gen *g;
	char err[1024];
	int rc;

	rc = reload_build_engine(c->cfg, reload_print_diag, NULL, true, &engine, &info,
				 err, sizeof(err));
	if (rc != 0) {
		reload_fail(c, err);
		return;
	}
	if (c->strict && info.skipped) {
		snprintf(err, sizeof(err), "--strict-rules: %u rule%s skipped (reasons above)",
			 info.skipped, info.skipped == 1 ? "" : "s");
		sig_engine_free(engine);
		reload_fail(c, err);
		return;
	}
	/* The workers' file digests and libmagic were set up at start-up:
	 * rules that need one that is off would never match. */
	{
		const char *missing = reload_engine_missing(c->cfg, engine);

		if (missing) {
			snprintf(err, sizeof(err), "the rules need %s, which is off since "
				 "start-up (restart mailtap to turn it on)", missing);
			sig_engine_free(engine);
			reload_fail(c, err);
			return;
		}
	}
	g = calloc(1, sizeof(*g));
	if (!g) {
		sig_engine_free(engine);
		reload_fail(c, "out of memory");
		return;
	}
	g->engine = engine;
	/* The workers' pools are made here, not on the packet path: with the
	 * default 65,536 flows a sig_thread takes milliseconds to build. */
	for (unsigned i = 0; i < c->nworkers; i++) {
		const struct reload_worker *w = &c->w[i];

		g->thr[i] = sig_thread_new(engine, w->max_flows, w->on_alert, w->alert_user);
		if (!g->thr[i]) {
			gen_free(g);
			reload_fail(c, "out of memory for the workers' signature state");
			return;
		}
		sig_thread_set_clock(g->thr[i], w->clock);
	}
	g->id = c->newest->id + 1;
	atomic_init(&g->refs, c->nworkers);
	atomic_init(&g->next, NULL);
	/* Publish: everything above is visible to a worker that loads next. */
	atomic_store_explicit(&c->newest->next, g, memory_order_release);
	c->newest = g;
	atomic_fetch_add_explicit(&c->reloads, 1, memory_order_relaxed);
	fprintf(stderr, "mailtap: rules reloaded: loaded %u, skipped %u (compiled in %" PRIu64
		" ms)\n", info.loaded, info.skipped, (info.build_us + 500) / 1000);
	fflush(stderr);
}

static void *reload_thread(void *arg)
{
	struct reload_ctl *c = arg;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		if (c->to_free) {
			struct reload_gen *list = c->to_free;

			c->to_free = NULL;
			pthread_mutex_unlock(&c->mu);
			while (list) {
				struct reload_gen *n = list->free_next;

				gen_free(list);
				list = n;
			}
#ifdef __GLIBC__
			/* Hand the freed pools back to the system: they were
			 * many small blocks (a stream state each), which malloc
			 * would otherwise keep for the next reload. */
			malloc_trim(0);
#endif
			pthread_mutex_lock(&c->mu);
			continue;
		}
		if (c->quit)
			break;
		if (c->request) {
			c->request = false;
			pthread_mutex_unlock(&c->mu);
			reload_once(c);
			pthread_mutex_lock(&c->mu);
			continue;
		}
		pthread_cond_wait(&c->cv, &c->mu);
	}
	c->running = false;
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* Ask for a reload as SIGHUP does. Several requests while one builds
 * give one more build after it. */
static void reload_request(struct reload_ctl *c)
{
	pthread_mutex_lock(&c->mu);
	if (c->quit) {                  /* stopping: no more reloads */
		pthread_mutex_unlock(&c->mu);
		return;
	}
	if (!c->started) {
		sigset_t all, old;
		int rc;

		/* The thread blocks every signal (it inherits the mask), so a
		 * SIGHUP always lands in the packet thread and interrupts its
		 * wait for packets. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		rc = pthread_create(&c->thread, NULL, reload_thread, c);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc != 0) {
			char why[128];

			pthread_mutex_unlock(&c->mu);
			snprintf(why, sizeof(why), "cannot start the reload thread: %s", strerror(rc));
			reload_fail(c, why);
			return;
		}
		c->started = c->running = true;
	}
	c->request = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

void reload_poll(struct reload_ctl *c)
{
	if (!reload_sighup)
		return;
	reload_sighup = 0;
	reload_request(c);
}

void reload_ctl_stop(struct reload_ctl *c)
{
	bool started;

	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	started = c->started;
	c->quit = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (started) {
		pthread_join(c->thread, NULL);
		c->started = false;
	}
}

void reload_ctl_free(struct reload_ctl *c)
{
	if (!c)
		return;
	reload_ctl_stop(c);
	/* Never handed to a worker (start-up failed before one registered). */
	if (c->first && c->nworkers == 0)
		gen_free(c->first);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
