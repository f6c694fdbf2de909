/*
 * main — mailtap's command line: resolve the configuration, load and
 * compile the rules (reload.c, which also reloads them on SIGHUP), open
 * the capture source and the event log, run the worker, print the summary.
 *
 * Start-up errors follow one regime: a clear line on stderr naming the
 * file (and line, for rules) and exit code 2 for bad usage, configuration,
 * rules, input or log directory; 1 for a failure while running. Hostile
 * traffic is never an error: it becomes counters and anomaly events.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "config.h"
#include "eve.h"
#include "reload.h"
#include "sig.h"
#include "stats.h"
#include "worker.h"

#define EXIT_USAGE 2

static void usage(FILE *out)
{
	fputs("usage: mailtap -r FILE [-S RULES]... [-l LOGDIR] [options]\n"
	      "\n"
	      "  -r, --read FILE          read packets from a pcap or pcapng file\n"
	      "  -S, --rules FILE         load signatures (repeatable)\n"
	      "  -l, --log-dir DIR        write DIR/eve.json (default: .)\n"
	      "  -c, --config FILE        settings from a YAML file (options below override it)\n"
	      "      --set KEY=VALUE      any setting by its file key (e.g. flow-timeouts.new=30)\n"
	      "      --smtp-ports LIST    ports that carry SMTP (default 25,587,2525)\n"
	      "      --smtps-ports LIST   ports of SMTP over implicit TLS (default 465; \"\" none)\n"
	      "      --detect-any-port    also find SMTP on other ports, by its greeting and EHLO/HELO\n"
	      "      --no-midstream       ignore sessions whose handshake was not captured\n"
	      "      --file-hash LIST     digests of every file: md5,sha1,sha256 (default), all or none\n"
	      "      --file-magic         type every file by content (libmagic); by default\n"
	      "                           only when a rule uses file.magic (--no-file-magic)\n"
	      "      --email-md5 LIST     email digests: body,subject,text, all or none\n"
	      "                           (default subject,text)\n"
	      "      --eve-types LIST     events written: alert,smtp,fileinfo,anomaly,tls,stats\n"
	      "                           (default all), all or none; the others are not built\n"
	      "      --url-schemes LIST   URLs taken from text: http,https,ftp (default),mailto,www\n"
	      "      --max-command-line N report command lines over N octets (default 512, 0 off)\n"
	      "      --max-reply-line N   report reply lines over N octets (default 512, 0 off)\n"
	      "      --max-text-line N    report DATA lines over N octets (default 1000, 0 off)\n"
	      "      --validate-checksums drop packets with bad TCP checksums\n"
	      "      --max-flows N        flows tracked at once (default 65536)\n"
	      "      --parser-blocks N    4 KiB blocks for parser state (default 65536; pages\n"
	      "                           are touched only when used)\n"
	      "      --summary            list the alerts raised, per signature, on stderr\n"
	      "      --test-rules         check the -S rule files and exit (no capture): problems\n"
	      "                           on stderr, \"rules: loaded N, skipped M\" on stdout\n"
	      "      --strict-rules       a rule that cannot be loaded is an error (exit 2)\n"
	      "      --rules-cache DIR    keep compiled rule databases in DIR (reused at start and\n"
	      "                           reload; default /var/cache/mailtap for root, else\n"
	      "                           ~/.cache/mailtap; \"none\": off)\n"
	      "      --threshold-file F   suppress / threshold lines (Suricata's threshold.config)\n"
	      "  -q, --quiet              no summary on stderr\n"
	      "  -V, --version            print the version\n"
	      "  -h, --help               this text\n", out);
}

/*
 * Alerts per signature, for the summary: open addressing on gid:sid:rev.
 * An entry copies what it prints, since a reload frees the rules alerts
 * point into; so an entry is made (and the table doubled past half full)
 * only when a rule fires for the first time, never per packet. Out of
 * memory: the summary misses that rule (counted in lost).
 */
struct tally_entry {
	uint32_t gid, sid, rev;
	uint64_t count;
	char *msg;                  /* NULL: free entry */
};

struct alert_tally {
	struct tally_entry *e;
	size_t cap, used;           /* cap: a power of two */
	uint64_t lost;
};

static size_t tally_slot(const struct tally_entry *e, size_t cap, uint32_t gid,
			 uint32_t sid, uint32_t rev)
{
	size_t i = (size_t)(((uint64_t)sid * 0x9e3779b97f4a7c15ull) ^ gid ^
			    ((uint64_t)rev << 32)) & (cap - 1);

	while (e[i].msg && (e[i].gid != gid || e[i].sid != sid || e[i].rev != rev))
		i = (i + 1) & (cap - 1);
	return i;
}

static int tally_grow(struct alert_tally *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct tally_entry *e = calloc(cap, sizeof(*e));

	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->e[i].msg)
			e[tally_slot(e, cap, t->e[i].gid, t->e[i].sid, t->e[i].rev)] = t->e[i];
	free(t->e);
	t->e = e;
	t->cap = cap;
	return 0;
}

static void tally_alert(void *user, const struct sig_rule_meta *rule)
{
	struct alert_tally *t = user;
	struct tally_entry *x;

	if ((t->used + 1) * 2 > t->cap && tally_grow(t) != 0 && t->used + 1 >= t->cap) {
		t->lost++;
		return;
	}
	x = &t->e[tally_slot(t->e, t->cap, rule->gid, rule->sid, rule->rev)];
	if (!x->msg) {
		x->msg = strdup(rule->msg ? rule->msg : "");
		if (!x->msg) {
			t->lost++;
			return;
		}
		x->gid = rule->gid;
		x->sid = rule->sid;
		x->rev = rule->rev;
		t->used++;
	}
	x->count++;
}

static int cmp_sid(const void *a, const void *b)
{
	const struct tally_entry *x = a, *y = b;

	if (x->sid != y->sid)
		return x->sid < y->sid ? -1 : 1;
	if (x->gid != y->gid)
		return x->gid < y->gid ? -1 : 1;
	return x->rev < y->rev ? -1 : x->rev > y->rev;
}

static void print_tally(struct alert_tally *t)
{
	size_t n = 0;

	/* Packed to the front, then sorted: the table is not used again. */
	for (size_t i = 0; i < t->cap; i++)
		if (t->e[i].msg)
			t->e[n++] = t->e[i];
	qsort(t->e, n, sizeof(*t->e), cmp_sid);
	for (size_t k = 0; k < n; k++)
		fprintf(stderr, "  %6" PRIu64 "  [%u:%u:%u] %s\n", t->e[k].count, t->e[k].gid,
			t->e[k].sid, t->e[k].rev, t->e[k].msg);
	if (t->lost)
		fprintf(stderr, "  (%" PRIu64 " alerts not listed: out of memory)\n", t->lost);
	t->cap = n;
}

static void tally_free(struct alert_tally *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->e[i].msg);
	free(t->e);
}

int main(int argc, char **argv)
{
	/* Long options whose name is a setting (config_file.c): their value
	 * goes to config_set() under that name. val 1: takes a value; 2: a
	 * flag meaning "true"; 3: a flag meaning "false" of the setting in
	 * flag_setting[]. */
	static const struct option opts[] = {
		{"read", required_argument, NULL, 'r'},
		{"rules", required_argument, NULL, 'S'},
		{"log-dir", required_argument, NULL, 'l'},
		{"config", required_argument, NULL, 'c'},
		{"set", required_argument, NULL, 4},
		{"smtp-ports", required_argument, NULL, 1},
		{"smtps-ports", required_argument, NULL, 1},
		{"file-hash", required_argument, NULL, 1},
		{"file-magic", no_argument, NULL, 2},
		{"no-file-magic", no_argument, NULL, 3},
		{"email-md5", required_argument, NULL, 1},
		{"eve-types", required_argument, NULL, 1},
		{"rules-cache", required_argument, NULL, 1},
		{"threshold-file", required_argument, NULL, 1},
		{"url-schemes", required_argument, NULL, 1},
		{"validate-checksums", no_argument, NULL, 2},
		{"detect-any-port", no_argument, NULL, 2},
		{"no-midstream", no_argument, NULL, 3},
		{"max-command-line", required_argument, NULL, 1},
		{"max-reply-line", required_argument, NULL, 1},
		{"max-text-line", required_argument, NULL, 1},
		{"max-flows", required_argument, NULL, 1},
		{"parser-blocks", required_argument, NULL, 1},
		{"summary", no_argument, NULL, 2},
		{"test-rules", no_argument, NULL, 5},
		{"strict-rules", no_argument, NULL, 6},
		{"quiet", no_argument, NULL, 'q'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct mt_config cfg;
	static struct worker w;
	struct capture_source *src = NULL;
	struct sig_engine *engine = NULL;
	struct reload_ctl *rl = NULL;
	struct reload_info info = {0};
	struct alert_tally tally = {0};
	struct mt_pkt burst[CAPTURE_BURST];
	char err[1024], eve_path[4096];
	int c, rc, eve_fd = -1, status = EXIT_USAGE, optidx = 0;
	bool test_rules = false, strict_rules = false, read_failed = false;
	time_t started = time(NULL);
	struct stat st;

	/* SIGHUP reloads the rules. Handled from the start: one that comes
	 * while mailtap starts is served when the packet loop begins rather
	 * than ending the process (SIGHUP's default). */
	if (reload_signal_install() != 0) {
		fprintf(stderr, "mailtap: cannot handle SIGHUP: %s\n", strerror(errno));
		return 1;
	}
	config_defaults(&cfg);
	/* The file first (-c), wherever it is on the line: the other options
	 * override it. */
	for (int i = 1; i < argc; i++) {
		const char *path = NULL;

		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
		    i + 1 < argc)
			path = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
		if (path && config_load_yaml(&cfg, path, err, sizeof(err)) != 0) {
			fprintf(stderr, "mailtap: %s\n", err);
			return EXIT_USAGE;
		}
	}
	while ((c = getopt_long(argc, argv, "r:S:l:c:qVh", opts, &optidx)) != -1) {
		const char *key = NULL, *val = optarg;
		char kv[256];

		switch (c) {
		case 'r': key = "read"; break;
		case 'S': key = "rules"; break;
		case 'l': key = "log-dir"; break;
		case 'q': key = "quiet"; val = "true"; break;
		case 'c': continue;             /* read above */
		case 5: test_rules = true; continue;
		case 6: strict_rules = true; continue;
		case 1: key = opts[optidx].name; break;
		case 2: key = opts[optidx].name; val = "true"; break;
		case 3: key = opts[optidx].name + 3; val = "false"; break;  /* "no-" */
		case 4: {
			/* --set key=value: any setting, dotted keys too. */
			const char *eq = strchr(optarg, '=');

			if (!eq || eq == optarg || (size_t)(eq - optarg) >= sizeof(kv)) {
				fprintf(stderr, "mailtap: --set: expected KEY=VALUE, got '%s'\n", optarg);
				return EXIT_USAGE;
			}
			memcpy(kv, optarg, (size_t)(eq - optarg));
			kv[eq - optarg] = '\0';
			key = kv;
			val = eq + 1;
			break;
		}
		case 'V':
			printf("mailtap %s\n", MAILTAP_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
		if (config_set(&cfg, key, val, err, sizeof(err)) != 0) {
			/* "--smtp-ports: expected a port list, got 'x'" */
			fprintf(stderr, "mailtap: %s%s\n", c == 4 ? "--set " : "--", err);
			return EXIT_USAGE;
		}
	}
	/* host-os-policy: the target policy of each server network, for IP
	 * defragmentation (and TCP reassembly); "default" is the rest. */
	for (unsigned i = 0; i < cfg.policy_count; i++) {
		const char *pol = cfg.policies[i].policy, *net = cfg.policies[i].net;
		int prc;

		if (strcmp(pol, "default") == 0) {
			int id = defrag_policy_from_name(net), tid = reasm_policy_parse(net);

			prc = id < 0 || tid < 0 ? -EINVAL : 0;
			if (!prc) {
				cfg.defrag.default_policy = (uint8_t)id;
				cfg.reasm.policy_default = (uint8_t)tid;
			}
		} else {
			struct mt_addr a;
			unsigned plen;
			int tid = reasm_policy_parse(pol);

			prc = defrag_config_add_prefix(&cfg.defrag, net, pol);
			if (!prc)
				prc = tid < 0 || mt_addr_parse_prefix(net, &a, &plen) != 0 ? -EINVAL :
					reasm_config_add_policy(&cfg.reasm, &a, plen, tid);
		}
		if (prc != 0) {
			fprintf(stderr, "mailtap: host-os-policy.%s: %s '%s'\n", pol,
				prc == -ENOSPC ? "too many networks at" :
				strcmp(pol, "default") == 0 ? "unknown policy" : "bad network or policy",
				net);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mailtap: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (test_rules && !cfg.rule_file_count) {
		fprintf(stderr, "mailtap: --test-rules: give the rule files with -S\n");
		return EXIT_USAGE;
	}
	if (!cfg.read_file && !test_rules) {
		fprintf(stderr, "mailtap: nothing to read: give -r FILE\n");
		usage(stderr);
		return EXIT_USAGE;
	}

	/* Rules: every problem is reported; a file that cannot be read, or
	 * rule files none of whose rules load, stop the start. The same
	 * build serves each reload. */
	rc = reload_build_engine(&cfg, reload_print_diag, NULL, false, &engine, &info,
				 err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "mailtap: %s\n", err);
		return rc == -ENOMEM ? 1 : EXIT_USAGE;
	}
	unsigned loaded = info.loaded, skipped = info.skipped;

	/* Rules that need a file digest or libmagic turn it on (Suricata does
	 * the same for filemd5): off, they would silently never match. */
	reload_engine_enable(&cfg, engine);

	/* --test-rules: the rules are parsed and compiled (so a Hyperscan
	 * refusal shows too), nothing is read; --strict-rules: any rule
	 * skipped is a failure. */
	if (strict_rules && skipped) {
		fprintf(stderr, "mailtap: --strict-rules: %u rule%s skipped (reasons above)\n",
			skipped, skipped == 1 ? "" : "s");
		if (test_rules)
			printf("rules: loaded %u, skipped %u\n", loaded, skipped);
		goto out;
	}
	if (test_rules) {
		printf("rules: loaded %u, skipped %u\n", loaded, skipped);
		status = 0;
		goto out;
	}

	/* Input and output. */
	src = capture_file_open(cfg.read_file, err, sizeof(err));
	if (!src) {
		fprintf(stderr, "mailtap: %s\n", err);
		goto out;
	}
	cfg.linktype = src->linktype;
	if (stat(cfg.log_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "mailtap: %s: log directory does not exist\n", cfg.log_dir);
		goto out;
	}
	eve_fd = eve_open_file(cfg.log_dir, eve_path, sizeof(eve_path));
	if (eve_fd < 0) {
		fprintf(stderr, "mailtap: %s: cannot write: %s\n", eve_path, strerror(-eve_fd));
		goto out;
	}

	status = 1;
	{
		/* From here the reload machinery owns the engine (generation
		 * 1); it outlives the worker's thread on it. */
		const struct sig_engine *first = engine;

		rl = reload_ctl_new(&cfg, engine, strict_rules);
		engine = NULL;
		if (!rl) {
			fprintf(stderr, "mailtap: out of memory\n");
			goto out;
		}
		if (worker_init(&w, 0, &cfg, first, eve_fd) != 0) {
			fprintf(stderr, "mailtap: out of memory setting up the worker\n");
			goto out;
		}
	}
	/* A mapped file's packets outlive the burst: the reassembler keeps
	 * references to delivered bytes instead of copies (first packet
	 * not yet read, so this cannot fail). */
	reasm_set_stable_payload(w.reasm, src->stable, src->stable_len);
	/* A large mapped file has a pager thread: it also populates the
	 * worker's pools ahead of their use (prefault.h). */
	capture_set_pager_hook(src, mt_prefault_run, &w.prefault);
	if (worker_reload_attach(&w, rl) != 0 || tally_grow(&tally) != 0) {
		fprintf(stderr, "mailtap: out of memory\n");
		goto out;
	}
	if (cfg.summary_alerts) {
		w.alert_hook = tally_alert;
		w.alert_hook_user = &tally;
	}

	/*
	 * The packet loop. Between bursts: a SIGHUP starts a reload (a flag
	 * test), and the worker moves to rules published since the last
	 * burst. A stream source with nothing to read returns -EAGAIN now
	 * and then: the same, plus the buffered events are written out.
	 */
	while ((rc = src->ops->rx_burst(src, burst, CAPTURE_BURST)) > 0 || rc == -EAGAIN) {
		reload_poll(rl);
		if (rc > 0)
			worker_burst(&w, burst, (unsigned)rc);
		else
			worker_idle(&w);
	}
	if (rc < 0) {
		/* A stream that failed mid-way: what came before is logged. */
		fprintf(stderr, "mailtap: %s\n", src->errbuf[0] ? src->errbuf : strerror(-rc));
		read_failed = true;
	}
	/* No generation is published after this: the worker can let go. */
	reload_ctl_stop(rl);
	worker_finish(&w);
	if (cfg.eve_stats)
		eve_emit(&w.eve, stats_event(&w, src, (uint64_t)(time(NULL) - started)));
	eve_flush(&w.eve);

	if (!cfg.quiet) {
		stats_summary(stderr, &w, src);
		fprintf(stderr, "mailtap: rules loaded %u, skipped %u; events in %s\n",
			loaded, skipped, eve_path);
		if (cfg.summary_alerts && w.st.alerts)
			print_tally(&tally);
	}
	if (w.eve.write_errors) {
		fprintf(stderr, "mailtap: %s: %" PRIu64 " writes failed\n", eve_path,
			w.eve.write_errors);
		goto out;
	}
	status = read_failed ? 1 : 0;
out:
	reload_ctl_stop(rl);
	if (src)
		capture_set_pager_hook(src, NULL, NULL);        /* before the pools go */
	if (w.cfg)
		worker_destroy(&w);
	reload_ctl_free(rl);
	tally_free(&tally);
	if (src)
		src->ops->close(src);
	if (eve_fd >= 0)
		close(eve_fd);
	if (engine)
		sig_engine_free(engine);
	return status;
}
