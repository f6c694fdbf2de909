/*
 * config_file — every setting by name, from the command line or a YAML
 * file (config.h: config_set, config_load_yaml).
 *
 * One table names each setting once; the command line's long options and
 * the file's keys are the same words ("smtp-ports", "max-flows"), so a
 * setting is documented, parsed and checked in one place. Nested file keys
 * are joined with dots ("flow-timeouts.new", "vars.address-groups.HOME_NET",
 * "host-os-policy.windows"), and `--set key=value` reaches any of them from
 * the command line. A list in the file is the comma-separated value of the
 * command line ("[25, 587]" is "25,587").
 *
 * Order: defaults, then the file (-c), then the other options in the order
 * given: the last word wins. Every error names the setting and, for the
 * file, its line; nothing is applied half-way (a value that does not parse
 * leaves the setting as it was and fails the start).
 *
 * Strings that must outlive parsing (file names, variable values) are
 * copied and kept for the life of the process (struct mt_config is
 * static in main()). Rule files named in a file are relative to that
 * file's directory; on the command line, to the current one.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "url/url.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (unsigned i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, 0;
	}
	return -EINVAL;
}

static int parse_u64(const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (!*v || *v == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -EINVAL;
	*out = x;
	return 0;
}

/*
 * The process keeps these (see the file comment). Every copy stays listed
 * here, also when a later setting replaces it (the file's log-dir, then
 * -l): memory that lives until exit, and stays reachable, so a leak
 * checker sees no leak.
 */
static char **kept;
static size_t nkept, capkept;

static const char *keep(const char *v)
{
	char *p = strdup(v);

	if (p && nkept == capkept) {
		size_t cap = capkept ? 2 * capkept : 32;
		char **k = realloc(kept, cap * sizeof(*k));

		if (k) {
			kept = k;
			capkept = cap;
		}
	}
	if (!p || nkept == capkept) {
		fprintf(stderr, "mailtap: out of memory\n");
		exit(1);
	}
	kept[nkept++] = p;
	return p;
}

enum kind { K_BOOL, K_NOT_BOOL, K_U32, K_FLOWS, K_SECONDS, K_BYTES, K_FN };

struct setting {
	const char *name;
	enum kind kind;
	size_t off;                 /* into struct mt_config */
	uint64_t lo, hi;            /* numbers */
	int (*fn)(struct mt_config *c, const char *v);
	const char *expect;         /* for the error message */
};

#define OFF(f) offsetof(struct mt_config, f)

static int set_read(struct mt_config *c, const char *v)
{
	c->read_file = keep(v);
	return 0;
}

/* While a file is read: its directory, for relative rule file names (a
 * configuration shipped with its rules finds them wherever it is run). */
static const char *file_dir;

static int set_rules(struct mt_config *c, const char *v)
{
	/* A list from the file: each element is a file. */
	char *copy = strdup(v), *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (c->rule_file_count >= CONFIG_MAX_RULE_FILES) {
			free(copy);
			return -E2BIG;
		}
		if (file_dir && t[0] != '/') {
			char full[4096];

			if ((size_t)snprintf(full, sizeof(full), "%s/%s", file_dir, t) >= sizeof(full)) {
				free(copy);
				return -ENAMETOOLONG;
			}
			c->rule_files[c->rule_file_count++] = keep(full);
		} else {
			c->rule_files[c->rule_file_count++] = keep(t);
		}
	}
	free(copy);
	return 0;
}

/* threshold.config: relative to the configuration file like rule files. */
static int set_threshold_file(struct mt_config *c, const char *v)
{
	if (file_dir && v[0] != '/' && v[0]) {
		char full[4096];

		if ((size_t)snprintf(full, sizeof(full), "%s/%s", file_dir, v) >= sizeof(full))
			return -ENAMETOOLONG;
		c->threshold_file = keep(full);
	} else {
		c->threshold_file = v[0] ? keep(v) : NULL;
	}
	return 0;
}

/* "" or "none" turns the cache off (the default directory included). */
static int set_rules_cache(struct mt_config *c, const char *v)
{
	c->rules_cache = *v && strcmp(v, "none") != 0 ? keep(v) : NULL;
	c->rules_cache_auto = false;
	return 0;
}

static int set_log_dir(struct mt_config *c, const char *v)
{
	c->log_dir = keep(v);
	return 0;
}

static int set_smtp_ports(struct mt_config *c, const char *v)
{
	return config_parse_ports(c, v, false);
}

static int set_smtps_ports(struct mt_config *c, const char *v)
{
	return config_parse_ports(c, v, true);
}

static int set_hashes(struct mt_config *c, const char *v)
{
	return config_parse_hashes(c, v);
}

static int set_email_md5(struct mt_config *c, const char *v)
{
	return config_parse_email_md5(c, v);
}

static int set_eve_types(struct mt_config *c, const char *v)
{
	return config_parse_eve_types(c, v);
}

static int set_url_schemes(struct mt_config *c, const char *v)
{
	struct url_config uc;

	url_config_default(&uc);
	if (url_config_set_schemes(&uc, v) != 0)
		return -EINVAL;
	c->url_schemes = keep(v);
	return 0;
}

static int set_urgent(struct mt_config *c, const char *v)
{
	int p = reasm_urgent_policy_parse(v);

	if (p < 0)
		return -EINVAL;
	c->reasm.urgent_policy = (uint8_t)p;
	return 0;
}

static int set_window(struct mt_config *c, const char *v)
{
	int p = reasm_window_policy_parse(v);

	if (p < 0)
		return -EINVAL;
	c->reasm.window_policy = (uint8_t)p;
	return 0;
}

static const struct setting settings[] = {
	{ "read", K_FN, 0, 0, 0, set_read, "a capture file" },
	{ "rules", K_FN, 0, 0, 0, set_rules, "rule files" },
	{ "rules-cache", K_FN, 0, 0, 0, set_rules_cache, "a directory (\"none\" or \"\" for none)" },
	{ "threshold-file", K_FN, 0, 0, 0, set_threshold_file, "a threshold.config file" },
	{ "log-dir", K_FN, 0, 0, 0, set_log_dir, "a directory" },
	{ "smtp-ports", K_FN, 0, 0, 0, set_smtp_ports, "a port list" },
	{ "smtps-ports", K_FN, 0, 0, 0, set_smtps_ports, "a port list (or \"\")" },
	{ "file-hash", K_FN, 0, 0, 0, set_hashes, "md5,sha1,sha256, all or none" },
	{ "file-magic", K_BOOL, OFF(file_magic), 0, 0, NULL, "true or false" },
	{ "email-md5", K_FN, 0, 0, 0, set_email_md5, "body,subject,text, all or none" },
	{ "eve-types", K_FN, 0, 0, 0, set_eve_types,
	  "alert,smtp,fileinfo,anomaly,tls,stats, all or none" },
	{ "url-schemes", K_FN, 0, 0, 0, set_url_schemes,
	  "names from http,https,ftp,mailto,www" },
	{ "validate-checksums", K_BOOL, OFF(validate_checksums), 0, 0, NULL, "true or false" },
	{ "detect-any-port", K_BOOL, OFF(detect_any_port), 0, 0, NULL, "true or false" },
	{ "midstream", K_NOT_BOOL, OFF(no_midstream), 0, 0, NULL, "true or false" },
	{ "max-command-line", K_U32, OFF(max_command_len), 0, 1u << 20, NULL, "0..1048576" },
	{ "max-reply-line", K_U32, OFF(max_reply_len), 0, 1u << 20, NULL, "0..1048576" },
	{ "max-text-line", K_U32, OFF(max_text_line), 0, 1u << 20, NULL, "0..1048576" },
	{ "max-flows", K_FLOWS, 0, 16, 16u * 1024 * 1024, NULL, "16..16777216" },
	{ "parser-blocks", K_U32, OFF(pool_blocks), 64, 1u << 24, NULL, "64..16777216" },
	{ "flow-timeouts.new", K_SECONDS, OFF(reasm.timeout_new_us), 1, 86400, NULL,
	  "1..86400 seconds" },
	{ "flow-timeouts.established", K_SECONDS, OFF(reasm.timeout_established_us), 1,
	  7 * 86400, NULL, "1..604800 seconds" },
	{ "flow-timeouts.closed", K_SECONDS, OFF(reasm.timeout_closed_us), 1, 86400, NULL,
	  "1..86400 seconds" },
	{ "stream.max-ooo-bytes", K_BYTES, OFF(reasm.max_ooo_bytes), 4096,
	  UINT64_C(1) << 40, NULL, "4096 bytes or more" },
	{ "stream.max-ooo-bytes-per-flow", K_U32, OFF(reasm.max_ooo_bytes_per_flow), 4096,
	  1u << 30, NULL, "4096..1073741824 bytes" },
	{ "stream.max-ooo-segments", K_U32, OFF(reasm.max_ooo_segments), 16, 1u << 26, NULL,
	  "16..67108864" },
	{ "stream.urgent-policy", K_FN, 0, 0, 0, set_urgent, "inline, oob or gap" },
	{ "stream.window-policy", K_FN, 0, 0, 0, set_window, "check, drop or ignore" },
	{ "stream.history-bytes-per-flow", K_U32, OFF(reasm.max_history_bytes_per_flow), 0,
	  1u << 24, NULL, "0..16777216 bytes" },
	{ "stream.history-bytes", K_BYTES, OFF(reasm.max_history_bytes), 0, UINT64_C(1) << 40,
	  NULL, "bytes (0 = off)" },
	{ "defrag.max-datagrams", K_U32, OFF(defrag.max_datagrams), 16, 1u << 24, NULL,
	  "16..16777216" },
	{ "defrag.memcap", K_BYTES, OFF(defrag.max_bytes), 65536, UINT64_C(1) << 40, NULL,
	  "65536 bytes or more" },
	{ "defrag.max-fragments", K_U32, OFF(defrag.max_frags), 16, 1u << 26, NULL,
	  "16..67108864" },
	{ "defrag.max-fragments-per-datagram", K_U32, OFF(defrag.max_frags_per_datagram), 2,
	  65535, NULL, "2..65535" },
	{ "defrag.timeout", K_SECONDS, OFF(defrag.timeout_us), 1, 3600, NULL, "1..3600 seconds" },
	{ "summary", K_BOOL, OFF(summary_alerts), 0, 0, NULL, "true or false" },
	{ "quiet", K_BOOL, OFF(quiet), 0, 0, NULL, "true or false" },
};

/* vars.address-groups.NAME / vars.port-groups.NAME: rule variables. */
static int set_var(struct mt_config *c, const char *name, const char *v,
		   char *err, size_t errlen)
{
	if (!*name || strchr(name, '.'))
		return fail(err, errlen, "bad variable name '%s'", name);
	for (unsigned i = 0; i < c->var_count; i++)
		if (strcmp(c->vars[i].name, name) == 0) {
			c->vars[i].value = keep(v);
			return 0;
		}
	if (c->var_count >= CONFIG_MAX_VARS)
		return fail(err, errlen, "too many variables (max %d)", CONFIG_MAX_VARS);
	c->vars[c->var_count].name = keep(name);
	c->vars[c->var_count].value = keep(v);
	c->var_count++;
	return 0;
}

/* host-os-policy.POLICY: the server networks that behave like POLICY. The
 * names are checked where they are applied (worker start). */
static int set_policy(struct mt_config *c, const char *policy, const char *v,
		      char *err, size_t errlen)
{
	char *copy = strdup(v), *save = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ", ", &save); t && !rc; t = strtok_r(NULL, ", ", &save)) {
		if (c->policy_count >= CONFIG_MAX_POLICIES) {
			rc = fail(err, errlen, "too many host-os-policy networks (max %d)",
				  CONFIG_MAX_POLICIES);
			break;
		}
		c->policies[c->policy_count].policy = keep(policy);
		c->policies[c->policy_count].net = keep(t);
		c->policy_count++;
	}
	free(copy);
	return rc;
}

int config_set(struct mt_config *c, const char *key, const char *value,
	       char *err, size_t errlen)
{
	const struct setting *s = NULL;
	uint64_t n;
	bool b;
	int rc;

	if (strncmp(key, "vars.address-groups.", 20) == 0)
		return set_var(c, key + 20, value, err, errlen);
	if (strncmp(key, "vars.port-groups.", 17) == 0)
		return set_var(c, key + 17, value, err, errlen);
	if (strncmp(key, "host-os-policy.", 15) == 0)
		return set_policy(c, key + 15, value, err, errlen);
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (strcmp(settings[i].name, key) == 0)
			s = &settings[i];
	if (!s)
		return fail(err, errlen, "unknown setting '%s'", key);
	switch (s->kind) {
	case K_BOOL:
	case K_NOT_BOOL:
		if (parse_bool(value, &b) != 0)
			break;
		*(bool *)((char *)c + s->off) = s->kind == K_BOOL ? b : !b;
		return 0;
	case K_U32:
		if (parse_u64(value, s->lo, s->hi, &n) != 0)
			break;
		*(uint32_t *)((char *)c + s->off) = (uint32_t)n;
		return 0;
	case K_BYTES:
		if (parse_u64(value, s->lo, s->hi, &n) != 0)
			break;
		*(uint64_t *)((char *)c + s->off) = n;
		return 0;
	case K_SECONDS:
		if (parse_u64(value, s->lo, s->hi, &n) != 0)
			break;
		*(uint64_t *)((char *)c + s->off) = n * 1000000u;
		return 0;
	case K_FLOWS:
		if (parse_u64(value, s->lo, s->hi, &n) != 0)
			break;
		c->reasm.max_flows = (uint32_t)n;
		c->max_app_flows = (uint32_t)n;
		return 0;
	case K_FN:
		rc = s->fn(c, value);
		if (rc == -E2BIG)
			return fail(err, errlen, "%s: too many (max %d)", key, CONFIG_MAX_RULE_FILES);
		if (rc == 0)
			return 0;
		break;
	}
	return fail(err, errlen, "%s: expected %s, got '%s'", key, s->expect, value);
}

/* ---- YAML --------------------------------------------------------------- */

/*
 * Walk a node: mappings extend the dotted key, a sequence of scalars is one
 * comma-joined value, a scalar is a value. Anything else (a sequence of
 * mappings, an alias loop) is an error at its line.
 */
static int walk(struct mt_config *c, yaml_document_t *doc, yaml_node_t *node,
		char *key, size_t keylen, size_t used, const char *path,
		char *err, size_t errlen)
{
	char msg[512];
	int rc;

	switch (node->type) {
	case YAML_SCALAR_NODE:
		if (!used)
			return fail(err, errlen, "%s:%zu: expected a mapping of settings",
				    path, node->start_mark.line + 1);
		rc = config_set(c, key, (const char *)node->data.scalar.value, msg, sizeof(msg));
		if (rc)
			return fail(err, errlen, "%s:%zu: %s", path, node->start_mark.line + 1, msg);
		return 0;
	case YAML_SEQUENCE_NODE: {
		char joined[8192];
		size_t jl = 0;

		joined[0] = '\0';
		for (yaml_node_item_t *it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(doc, *it);
			size_t l;

			if (!e || e->type != YAML_SCALAR_NODE)
				return fail(err, errlen, "%s:%zu: %s: a list of values expected",
					    path, node->start_mark.line + 1, key);
			l = e->data.scalar.length;
			if (jl + l + 2 > sizeof(joined))
				return fail(err, errlen, "%s:%zu: %s: list too long",
					    path, node->start_mark.line + 1, key);
			if (jl)
				joined[jl++] = ',';
			memcpy(joined + jl, e->data.scalar.value, l);
			jl += l;
			joined[jl] = '\0';
		}
		rc = config_set(c, key, joined, msg, sizeof(msg));
		if (rc)
			return fail(err, errlen, "%s:%zu: %s", path, node->start_mark.line + 1, msg);
		return 0;
	}
	case YAML_MAPPING_NODE:
		for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
		     p < node->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);
			yaml_node_t *v = yaml_document_get_node(doc, p->value);
			size_t l, nused;

			if (!k || !v || k->type != YAML_SCALAR_NODE)
				return fail(err, errlen, "%s:%zu: keys must be plain words",
					    path, node->start_mark.line + 1);
			l = k->data.scalar.length;
			nused = used + (used ? 1 : 0) + l;
			if (nused + 1 > keylen)
				return fail(err, errlen, "%s:%zu: key too long",
					    path, k->start_mark.line + 1);
			if (used)
				key[used] = '.';
			memcpy(key + used + (used ? 1 : 0), k->data.scalar.value, l);
			key[nused] = '\0';
			rc = walk(c, doc, v, key, keylen, nused, path, err, errlen);
			key[used] = '\0';
			if (rc)
				return rc;
		}
		return 0;
	default:
		return fail(err, errlen, "%s:%zu: empty value", path, node->start_mark.line + 1);
	}
}

int config_load_yaml(struct mt_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	char key[256] = "";
	int rc;

	if (!f)
		return fail(err, errlen, "%s: %s", path, strerror(errno));
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return fail(err, errlen, "%s: out of memory", path);
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = fail(err, errlen, "%s:%zu: %s", path, parser.problem_mark.line + 1,
			  parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		fclose(f);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	{
		char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;

		if (slash)
			*slash = '\0';
		file_dir = slash ? dir : ".";
		rc = root ? walk(c, &doc, root, key, sizeof(key), 0, path, err, errlen) : 0;
		file_dir = NULL;
		free(dir);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}
