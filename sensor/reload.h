/*
 * reload — loading the rules, at start-up and again on SIGHUP while the
 * capture goes on.
 *
 * reload_build_engine() is the one path from the configuration (rule files,
 * rule variables, the compiled-database cache) to a compiled engine: main
 * calls it at start-up, the reload thread on each SIGHUP.
 *
 * Generations. Each successful reload publishes a generation: the engine
 * plus one ready-made sig_thread (scratch, flow and stream pools) for each
 * registered worker, built off the packet path by the reload thread. The
 * generations form a list (each points to the one published after it,
 * written once with release order); a worker follows the list at a burst
 * boundary with an acquire load, adopts the newest generation's thread for
 * the flows that start from then on, and keeps the previous one for the
 * flows already open on it. When a worker has no flow left on a
 * generation it releases it; the generation (engine and every worker's
 * thread) is freed when every worker has released it — by the reload
 * thread, so no free of a Hyperscan pool runs on the packet path either.
 * A worker holds at most two generations: what a third reload does to the
 * sessions still open on the oldest is worker.c's business (see there).
 *
 * Invariants: only the reload thread (or start-up, before it exists)
 * publishes; a worker releases a generation only after it has moved past
 * it, so the newest generation is never freed while the reload thread may
 * link a new one behind it; workers are registered at start-up only.
 *
 * SIGHUP. The handler only sets a flag (sig_atomic_t: the one mutable
 * global, as a signal handler needs). The packet loop calls reload_poll()
 * between bursts — a plain load, no syscall — which hands the request to
 * the reload thread (started at the first request, signals blocked in it
 * so they keep interrupting the packet loop's waits).
 *
 * Memory: while a reload builds, and until every worker has left the old
 * generation, two engines and two sets of per-worker signature pools exist
 * (three engines if a reload arrives while a previous one's old sessions
 * are still open, until the worker adopts it).
 */
#ifndef MT_RELOAD_H
#define MT_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "sig.h"

/* Upper bound of workers (worker ids are 0..255). */
#define RELOAD_MAX_WORKERS 256

/* What a build loaded. */
struct reload_info {
	unsigned loaded, skipped;   /* rules, as sig_set_loaded/_skipped */
	uint64_t build_us;          /* parsing and compiling, wall clock */
};

/*
 * Read cfg's rule files with its rule variables and compile them.
 * Each rule that cannot be loaded is reported through diag (may be NULL)
 * and skipped. refuse_empty: rule files that yield no rule at all are a
 * failure even when none was skipped (at reload: a file caught empty
 * while being rewritten must not silently disable detection); without
 * it only files whose every rule was skipped are.
 * Warnings that do not stop the build (the compiled-database cache) go to
 * stderr.
 * Returns 0 with *out set (the caller owns it: sig_engine_free) and *info
 * filled; or, with a one-line reason in err (no "mailtap: " prefix) and
 * nothing to free: -ENOMEM; -errno of a rule file that cannot be read
 * ("FILE: cannot read rules: ..."); -EINVAL for a bad rule variable, no
 * rule loaded, or a compile failure (Hyperscan's message names the rule).
 */
int reload_build_engine(const struct mt_config *cfg, sig_diag_fn diag, void *diag_user,
			bool refuse_empty, struct sig_engine **out,
			struct reload_info *info, char *err, size_t errlen);

/* Turn on in cfg each feature set up at start-up (a file digest,
 * libmagic, the message body's MD5) that the engine's rules need:
 * off, those rules would silently never match. */
void reload_engine_enable(struct mt_config *cfg, const struct sig_engine *e);

/* A sig_diag_fn printing "FILE:LINE: sid N: TEXT" on stderr; user is
 * unused. */
void reload_print_diag(void *user, const char *file, unsigned line, uint32_t sid,
		       const char *text);

struct reload_ctl;
struct reload_gen;

/*
 * The reload machinery around the start-up engine, which becomes
 * generation 1 (the controller owns it from now on, even on failure).
 * cfg must outlive the controller; its rule files and variables are
 * re-read on each reload (other settings are not). strict: a reload with
 * a skipped rule fails (--strict-rules). Returns NULL if out of memory.
 */
struct reload_ctl *reload_ctl_new(const struct mt_config *cfg, struct sig_engine *engine,
				  bool strict);

/*
 * Register a worker (start-up, before the first reload_poll). The reload
 * thread builds its sig_thread for each new generation with these:
 * on_alert/alert_user, max_flows flow states, and the clock for
 * threshold windows (must outlive the controller). The worker starts on
 * generation 1 with a thread it made itself (worker_init), which it hands
 * back with reload_gen_release. Returns the worker's slot (0..) with *gen
 * set to generation 1, or -ENOSPC.
 */
int reload_ctl_add_worker(struct reload_ctl *c, sig_alert_fn on_alert, void *alert_user,
			  const uint64_t *clock, uint32_t max_flows, struct reload_gen **gen);

/* Install the SIGHUP handler (SA_RESTART; it only sets a flag). Returns 0
 * or -errno. Safe to call before the controller exists: a SIGHUP that
 * arrives before the packet loop starts is served at its first poll. */
int reload_signal_install(void);

/* The packet loop, between bursts (and when the source is idle): if a
 * SIGHUP came, start a reload. No syscall unless one came. */
void reload_poll(struct reload_ctl *c);

/* Counters, for the stats event: reloads published, reloads refused. */
void reload_ctl_counters(const struct reload_ctl *c, uint64_t *reloads, uint64_t *failures);

/* Wait for a reload in progress and stop the reload thread: no generation
 * is published after this; released generations are freed at once by the
 * releasing thread from then on. Call before the workers are destroyed. */
void reload_ctl_stop(struct reload_ctl *c);

/* Free the controller (after reload_ctl_stop and after every worker
 * released its generations; if no worker was ever registered, generation
 * 1 is freed here). NULL is a no-op. */
void reload_ctl_free(struct reload_ctl *c);

/* ---- worker side ---------------------------------------------------- */

/* The generation published after g, or NULL (acquire: what it carries is
 * visible). */
struct reload_gen *reload_gen_next(const struct reload_gen *g);

/* The thread the reload thread built for this worker's slot in g (NULL
 * for generation 1, whose thread each worker made). The worker uses it
 * from adoption until it releases g. */
struct sig_thread *reload_gen_thread(const struct reload_gen *g, unsigned slot);

/* The generation's number: 1 for the start-up rules, +1 per reload. */
uint32_t reload_gen_id(const struct reload_gen *g);

/*
 * The worker is done with g: t is its thread for g (or NULL if it never
 * used g), which it must not touch again. Once every worker released g,
 * g is freed (engine, threads) by the reload thread, or right here if the
 * reload thread is not running.
 */
void reload_gen_release(struct reload_ctl *c, struct reload_gen *g, unsigned slot,
			struct sig_thread *t);

#endif
