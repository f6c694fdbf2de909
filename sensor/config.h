/*
 * config — the sensor's settings, resolved once at start-up from the
 * command line into plain fields. Nothing on the packet path looks up a
 * key: workers read these fields (or flags derived from them) directly.
 */
#ifndef MT_CONFIG_H
#define MT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defrag.h"
#include "reasm.h"

#define CONFIG_MAX_RULE_FILES 64
#define CONFIG_MAX_PORTS 32

#define CONFIG_MAX_VARS 64
#define CONFIG_MAX_POLICIES 256

struct mt_config {
	const char *read_file;          /* -r */
	int linktype;                   /* of the capture source, set at open */
	const char *log_dir;            /* -l, default "." */
	const char *rule_files[CONFIG_MAX_RULE_FILES];  /* -S, repeatable */
	unsigned rule_file_count;
	const char *threshold_file;     /* --threshold-file: suppress and
					 * threshold lines (threshold.config) */
	const char *rules_cache;        /* --rules-cache DIR: compiled rule
					 * databases kept there (sig_set_cache_dir);
					 * NULL: none */
	bool eve_alert, eve_smtp, eve_fileinfo, eve_anomaly, eve_tls, eve_stats;
					/* --eve-types: the event types
					 * written (all by default); counters
					 * count what is not written too */
	bool rules_cache_auto;          /* not set: the per-user default
					 * (config_rules_cache_default), silently
					 * skipped when unusable */
	uint16_t smtp_ports[CONFIG_MAX_PORTS];          /* --smtp-ports */
	unsigned smtp_port_count;
	uint8_t smtp_port_map[65536 / 8];       /* derived from smtp_ports */
	uint16_t smtps_ports[CONFIG_MAX_PORTS]; /* --smtps-ports: implicit TLS */
	unsigned smtps_port_count;
	uint8_t smtps_port_map[65536 / 8];
	bool validate_checksums;        /* --validate-checksums */
	bool no_midstream;              /* --no-midstream: only sessions whose
					 * handshake is seen */
	bool detect_any_port;           /* --detect-any-port: SMTP found by its
					 * greeting and EHLO/HELO on any port */
	bool quiet;                     /* -q: no summary on stderr */
	bool summary_alerts;            /* --summary: list alerts on stderr */
	struct reasm_config reasm;      /* --max-flows etc. */
	struct defrag_config defrag;    /* IP defragmentation: caps, policies */
	uint32_t pool_blocks;           /* parser block pool size */
	uint32_t pool_block_size;
	uint32_t max_line;              /* longest SMTP line kept */
	/* RFC 5321 4.5.3.1 line limits, reported when passed (0 = off):
	 * --max-command-line, --max-reply-line, --max-text-line */
	uint32_t max_command_len, max_reply_len, max_text_line;
	uint32_t max_rcpt;              /* recipients kept per transaction */
	uint32_t max_app_flows;         /* flows with SMTP state at once */
	uint64_t stats_interval_us;     /* periodic stats events; 0 = only at exit */
	bool hash_md5, hash_sha1, hash_sha256;  /* --file-hash */
	bool file_magic;                /* file type by content (--file-magic) */
	bool email_md5_body, email_md5_subject, email_md5_text;  /* --email-md5 */
	const char *url_schemes;        /* --url-schemes, NULL: the default */
	/* Rule variables (vars.address-groups.X / vars.port-groups.X). */
	struct { const char *name, *value; } vars[CONFIG_MAX_VARS];
	unsigned var_count;
	/* host-os-policy.P: server networks ("10.0.0.0/8") and the target
	 * policy name their stacks follow, for TCP and IP reassembly. */
	struct { const char *policy, *net; } policies[CONFIG_MAX_POLICIES];
	unsigned policy_count;
};

/* Defaults: ports 25, 587, 2525; 65536 flows; log dir "."; the default
 * rules cache. */
void config_defaults(struct mt_config *c);

/* The default rules cache directory for this user (config.c), written to
 * buf; NULL when there is none. */
const char *config_rules_cache_default(char *buf, size_t len);

/* Parse "25,587,2525" into the SMTP ports (tls false) or the implicit-TLS
 * ports (tls true; "" allowed: none). Returns 0 or -EINVAL. */
int config_parse_ports(struct mt_config *c, const char *list, bool tls);

/*
 * Set one setting by its name (config_file.c): the command line's long
 * option names and the YAML file's (dotted) keys, e.g. "smtp-ports" =
 * "25,587", "flow-timeouts.new" = "30", "vars.address-groups.HOME_NET" =
 * "[10.0.0.0/8]", "host-os-policy.windows" = "192.0.2.0/24". Returns 0, or
 * -EINVAL with a message in err (the setting is unchanged).
 */
int config_set(struct mt_config *c, const char *key, const char *value,
	       char *err, size_t errlen);

/* Apply a YAML file of settings (nested mappings are dotted keys, lists
 * are comma-joined values). Returns 0, or -EINVAL with "FILE:LINE: ..."
 * in err. */
int config_load_yaml(struct mt_config *c, const char *path, char *err, size_t errlen);

/* Parse "body,subject,text" or "none" into the email MD5 flags. 0 or -EINVAL. */
int config_parse_email_md5(struct mt_config *c, const char *list);

/* "alert,smtp,fileinfo,anomaly,tls,stats" or a part of it, or "none": the
 * EVE event types written. Returns 0 or -EINVAL (nothing changed). */
int config_parse_eve_types(struct mt_config *c, const char *list);

/* Parse "md5,sha1,sha256" or "none" into the hash flags. 0 or -EINVAL. */
int config_parse_hashes(struct mt_config *c, const char *list);

/* True if port is one of the SMTP ports. */
static inline bool config_is_smtp_port(const struct mt_config *c, uint16_t port)
{
	return c->smtp_port_map[port >> 3] & (1u << (port & 7));
}

/* True if port is one of the implicit-TLS SMTP ports (465). */
static inline bool config_is_smtps_port(const struct mt_config *c, uint16_t port)
{
	return c->smtps_port_map[port >> 3] & (1u << (port & 7));
}

#endif
