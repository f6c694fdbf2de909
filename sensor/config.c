/*
 * config — defaults and small parsers for the command line (config.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void port_map(uint8_t *map, const uint16_t *ports, unsigned n)
{
	memset(map, 0, 65536 / 8);
	for (unsigned i = 0; i < n; i++)
		map[ports[i] >> 3] |= (uint8_t)(1u << (ports[i] & 7));
}

static void config_port_map(struct mt_config *c)
{
	port_map(c->smtp_port_map, c->smtp_ports, c->smtp_port_count);
	port_map(c->smtps_port_map, c->smtps_ports, c->smtps_port_count);
}

void config_defaults(struct mt_config *c)
{
	memset(c, 0, sizeof(*c));
	c->log_dir = ".";
	c->smtp_ports[0] = 25;
	c->smtp_ports[1] = 587;
	c->smtp_ports[2] = 2525;
	c->smtp_port_count = 3;
	c->smtps_ports[0] = 465;        /* RFC 8314 section 3.3 */
	c->smtps_port_count = 1;
	config_port_map(c);
	reasm_config_default(&c->reasm);
	defrag_config_default(&c->defrag);
	c->pool_block_size = 4096;
	c->pool_blocks = 65536;        /* 256 MiB of parser blocks at most */
	c->max_line = 4000;
	c->max_command_len = 512;      /* RFC 5321 4.5.3.1.4, CRLF included */
	c->max_reply_len = 512;        /* 4.5.3.1.5 */
	c->max_text_line = 1000;       /* 4.5.3.1.6 */
	c->max_rcpt = 1000;            /* capped by what one parser block holds */
	c->max_app_flows = c->reasm.max_flows;
	c->hash_md5 = c->hash_sha1 = c->hash_sha256 = true;
	/* libmagic walks its whole database for every file: about 0.25 ms
	 * whatever the file's size (a message of many small random parts
	 * makes it the sensor's dearest step), so it is opt-in as in
	 * Suricata (force-magic: no); file.magic rules turn it on. */
	c->file_magic = false;
	/* body_md5 hashes every message body again: opt-in, as Suricata's
	 * body-md5 (a third of the time of a run that hashes everything). */
	c->email_md5_subject = c->email_md5_text = true;
	c->rules_cache_auto = true;
	c->eve_alert = c->eve_smtp = c->eve_fileinfo = true;
	c->eve_anomaly = c->eve_tls = c->eve_stats = true;
}

/*
 * The rules cache when none is configured: /var/cache/mailtap for root,
 * else $XDG_CACHE_HOME/mailtap or ~/.cache/mailtap (the XDG base directory
 * rule). Suricata 8 caches its compiled Hyperscan databases by default the
 * same way: a restart or reload with unchanged rules then skips the
 * compile (0.4 s for 1,000 rules, 10 s for 10,000). Writes the path to buf
 * and returns it, or NULL when there is no such directory to use.
 */
const char *config_rules_cache_default(char *buf, size_t len)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	int n;

	if (geteuid() == 0)
		n = snprintf(buf, len, "/var/cache/mailtap");
	else if (x && x[0] == '/')
		n = snprintf(buf, len, "%s/mailtap", x);
	else if (h && h[0] == '/')
		n = snprintf(buf, len, "%s/.cache/mailtap", h);
	else
		return NULL;
	return n > 0 && (size_t)n < len ? buf : NULL;
}

/*
 * "a,b,c" of the names given, or "none": sets *flags[i] for each name
 * listed and clears the others. Nothing changes on error (-EINVAL: an
 * unknown or empty name, or an empty list).
 */
static int parse_flag_list(const char *list, const char *const names[],
			   bool *const flags[], unsigned n)
{
	bool want[8] = { false };
	const char *p = list;
	bool any = false;

	if (strcmp(list, "none") == 0 || strcmp(list, "all") == 0) {
		for (unsigned i = 0; i < n; i++)
			*flags[i] = list[0] == 'a';
		return 0;
	}
	while (*p) {
		size_t len = strcspn(p, ",");
		unsigned i;

		for (i = 0; i < n; i++)
			if (strlen(names[i]) == len && strncmp(p, names[i], len) == 0)
				break;
		if (i == n)
			return -EINVAL;
		want[i] = any = true;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!any)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		*flags[i] = want[i];
	return 0;
}

int config_parse_hashes(struct mt_config *c, const char *list)
{
	static const char *const names[] = { "md5", "sha1", "sha256" };
	bool *const flags[] = { &c->hash_md5, &c->hash_sha1, &c->hash_sha256 };

	return parse_flag_list(list, names, flags, 3);
}

int config_parse_email_md5(struct mt_config *c, const char *list)
{
	static const char *const names[] = { "body", "subject", "text" };
	bool *const flags[] = { &c->email_md5_body, &c->email_md5_subject,
				&c->email_md5_text };

	return parse_flag_list(list, names, flags, 3);
}

int config_parse_eve_types(struct mt_config *c, const char *list)
{
	static const char *const names[] = { "alert", "smtp", "fileinfo", "anomaly", "tls",
					     "stats" };
	bool *const flags[] = { &c->eve_alert, &c->eve_smtp, &c->eve_fileinfo,
				&c->eve_anomaly, &c->eve_tls, &c->eve_stats };

	return parse_flag_list(list, names, flags, 6);
}

int config_parse_ports(struct mt_config *c, const char *list, bool tls)
{
	uint16_t *ports = tls ? c->smtps_ports : c->smtp_ports;
	uint16_t parsed[CONFIG_MAX_PORTS];
	const char *p = list;
	unsigned n = 0;

	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p || v < 1 || v > 65535 || n >= CONFIG_MAX_PORTS)
			return -EINVAL;
		parsed[n++] = (uint16_t)v;
		if (*end == ',')
			end++;
		else if (*end != '\0')
			return -EINVAL;
		p = end;
	}
	if (n == 0 && !tls)
		return -EINVAL;
	memcpy(ports, parsed, n * sizeof(parsed[0]));
	if (tls)
		c->smtps_port_count = n;
	else
		c->smtp_port_count = n;
	config_port_map(c);
	return 0;
}
