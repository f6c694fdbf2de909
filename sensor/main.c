/*
 * main — mailtap's command line: resolve the configuration, load and
 * compile the rules, open the capture source and the event log, run the
 * worker, print the summary.
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
	      "      --file-hash LIST     digests of every file: md5,sha1,sha256 (default) or none\n"
	      "      --no-file-magic      do not type files by content (libmagic)\n"
	      "      --email-md5 LIST     email digests: body,subject,text or none (default subject,text)\n"
	      "      --url-schemes LIST   URLs taken from text: http,https,ftp (default),mailto,www\n"
	      "      --max-command-line N report command lines over N octets (default 512, 0 off)\n"
	      "      --max-reply-line N   report reply lines over N octets (default 512, 0 off)\n"
	      "      --max-text-line N    report DATA lines over N octets (default 1000, 0 off)\n"
	      "      --validate-checksums drop packets with bad TCP checksums\n"
	      "      --max-flows N        flows tracked at once (default 65536)\n"
	      "      --summary            list the alerts raised, per signature, on stderr\n"
	      "      --test-rules         check the -S rule files and exit (no capture): problems\n"
	      "                           on stderr, \"rules: loaded N, skipped M\" on stdout\n"
	      "      --strict-rules       a rule that cannot be loaded is an error (exit 2)\n"
	      "  -q, --quiet              no summary on stderr\n"
	      "  -V, --version            print the version\n"
	      "  -h, --help               this text\n", out);
}

static void rule_diag(void *user, const char *file, unsigned line, uint32_t sid,
		      const char *text)
{
	unsigned *count = user;

	(*count)++;
	if (sid)
		fprintf(stderr, "%s:%u: sid %" PRIu32 ": %s\n", file, line, sid, text);
	else
		fprintf(stderr, "%s:%u: %s\n", file, line, text);
}

/* Alerts per signature, for the summary. Sized for every rule at start-up;
 * open addressing on the rule pointer. */
struct alert_tally {
	const struct sig_rule_meta **rule;
	uint64_t *count;
	size_t cap;
};

static void tally_alert(void *user, const struct sig_rule_meta *rule)
{
	struct alert_tally *t = user;
	size_t i = ((uintptr_t)rule >> 4) % t->cap;

	while (t->rule[i] && t->rule[i] != rule)
		i = (i + 1) % t->cap;
	t->rule[i] = rule;
	t->count[i]++;
}

static int cmp_sid(const void *a, const void *b)
{
	const struct sig_rule_meta *const *x = a, *const *y = b;

	return (*x)->sid < (*y)->sid ? -1 : (*x)->sid > (*y)->sid;
}

static void print_tally(const struct alert_tally *t)
{
	const struct sig_rule_meta **list = calloc(t->cap, sizeof(*list));
	size_t n = 0;

	if (!list)
		return;
	for (size_t i = 0; i < t->cap; i++)
		if (t->rule[i])
			list[n++] = t->rule[i];
	qsort(list, n, sizeof(*list), cmp_sid);
	for (size_t k = 0; k < n; k++) {
		uint64_t c = 0;

		for (size_t i = 0; i < t->cap; i++)
			if (t->rule[i] == list[k])
				c = t->count[i];
		fprintf(stderr, "  %6" PRIu64 "  [%u:%u:%u] %s\n", c, list[k]->gid,
			list[k]->sid, list[k]->rev, list[k]->msg);
	}
	free(list);
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
		{"no-file-magic", no_argument, NULL, 3},
		{"email-md5", required_argument, NULL, 1},
		{"url-schemes", required_argument, NULL, 1},
		{"validate-checksums", no_argument, NULL, 2},
		{"detect-any-port", no_argument, NULL, 2},
		{"no-midstream", no_argument, NULL, 3},
		{"max-command-line", required_argument, NULL, 1},
		{"max-reply-line", required_argument, NULL, 1},
		{"max-text-line", required_argument, NULL, 1},
		{"max-flows", required_argument, NULL, 1},
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
	struct sig_set *set = NULL;
	struct sig_engine *engine = NULL;
	struct alert_tally tally = {0};
	struct mt_pkt burst[CAPTURE_BURST];
	char err[1024], eve_path[4096];
	unsigned problems = 0;
	int c, rc, eve_fd = -1, status = EXIT_USAGE, optidx = 0;
	bool test_rules = false, strict_rules = false;
	time_t started = time(NULL);
	struct stat st;

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
	 * rule files none of whose rules load, stop the start. */
	set = sig_set_new();
	if (!set) {
		fprintf(stderr, "mailtap: out of memory\n");
		return 1;
	}
	for (unsigned i = 0; i < cfg.var_count; i++) {
		if (sig_set_var(set, cfg.vars[i].name, cfg.vars[i].value) != 0) {
			fprintf(stderr, "mailtap: vars: %s: bad value '%s'\n", cfg.vars[i].name,
				cfg.vars[i].value);
			sig_set_free(set);
			return EXIT_USAGE;
		}
	}
	for (unsigned i = 0; i < cfg.rule_file_count; i++) {
		rc = sig_set_load_file(set, cfg.rule_files[i], rule_diag, &problems);
		if (rc < 0) {
			fprintf(stderr, "mailtap: %s: cannot read rules: %s\n", cfg.rule_files[i],
				strerror(-rc));
			goto out;
		}
	}
	if (cfg.rule_file_count && sig_set_loaded(set) == 0 && sig_set_skipped(set) > 0) {
		fprintf(stderr, "mailtap: no rule could be loaded from");
		for (unsigned i = 0; i < cfg.rule_file_count; i++)
			fprintf(stderr, "%s %s", i ? "," : "", cfg.rule_files[i]);
		fprintf(stderr, " (%u skipped, reasons above)\n", sig_set_skipped(set));
		goto out;
	}
	unsigned loaded = sig_set_loaded(set), skipped = sig_set_skipped(set);

	rc = sig_engine_build(set, &engine, err, sizeof(err));
	set = NULL; /* the engine owns it now, or it was freed */
	if (rc != 0) {
		fprintf(stderr, "mailtap: %s\n", err);
		goto out;
	}
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
	if (worker_init(&w, 0, &cfg, engine, eve_fd) != 0) {
		fprintf(stderr, "mailtap: out of memory setting up the worker\n");
		goto out;
	}
	tally.cap = (size_t)sig_engine_rule_count(engine) * 2 + 16;
	tally.rule = calloc(tally.cap, sizeof(*tally.rule));
	tally.count = calloc(tally.cap, sizeof(*tally.count));
	if (!tally.rule || !tally.count) {
		fprintf(stderr, "mailtap: out of memory\n");
		goto out;
	}
	w.alert_hook = tally_alert;
	w.alert_hook_user = &tally;

	while ((rc = src->ops->rx_burst(src, burst, CAPTURE_BURST)) > 0)
		worker_burst(&w, burst, (unsigned)rc);
	worker_finish(&w);
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
	status = 0;
out:
	if (w.cfg)
		worker_destroy(&w);
	free(tally.rule);
	free(tally.count);
	if (src)
		src->ops->close(src);
	if (eve_fd >= 0)
		close(eve_fd);
	if (engine)
		sig_engine_free(engine);
	if (set)
		sig_set_free(set);
	return status;
}
