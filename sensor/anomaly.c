/*
 * anomaly — see anomaly.h. The table is the single list of names; the
 * README's anomaly section documents the same names in the same groups.
 */
#include "anomaly.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const char *const names[] = {
	/* SMTP parser (sensor/smtp) */
	"line_too_long", "bare_cr", "invalid_reply", "unmatched_reply",
	"pending_overflow", "nested_mail", "no_memory", "too_many_rcpt",
	"invalid_mail_from", "invalid_rcpt_to", "invalid_bdat", "bdat_after_data",
	"data_after_bdat", "bdat_chunk_cut", "invalid_auth", "ehlo_caps_cut",
	"ehlo_masked_keyword", "invalid_mail_param",
	"smuggling_lf_dot_lf", "smuggling_lf_dot_crlf", "smuggling_crlf_dot_lf",
	"smuggling_cr_dot_cr", "smuggling_crlf_dot_cr", "smuggling_cr_dot_crlf",
	"smuggled_command",
	"command_line_too_long", "reply_line_too_long", "data_line_too_long",
	"bare_lf", "unknown_command", "invalid_command", "mail_without_helo",
	"data_without_rcpt", "message_size_exceeded", "bdat_size_exceeded",
	/* STARTTLS signs (app_smtp.c) */
	"starttls_refused", "starttls_not_used", "starttls_command_injection",
	"cleartext_after_starttls",
	/* sender checks (app_email.c) */
	"envelope_from_mismatch", "display_name_spoofing", "multiple_from_headers",
	/* TCP reassembly (reassembly/reasm.h REASM_ANOMALY_NAMES) */
	"tcp_overlap_different", "tcp_rst_invalid", "tcp_window_exceeded",
	"tcp_syn_on_established", "tcp_urgent_data",
	/* IP defragmentation (reassembly/defrag.c): defrag_anomaly_name() */
	"frag_overlap_different", "frag_tiny_first", "frag_too_large", "frag_too_many",
	"frag_timeout", "frag_bad_length", "frag_bad_end",
	/* MIME parser (sensor/mime): mime_anomaly_name() */
	"mime_depth_exceeded", "mime_header_too_long", "mime_header_line_too_long",
	"mime_header_truncated", "mime_invalid_header", "mime_boundary_too_long",
	"mime_missing_boundary", "mime_missing_boundary_end", "mime_too_many_parts",
	"mime_invalid_base64", "mime_invalid_qp", "mime_invalid_uuencode",
	"mime_uuencode_unterminated", "mime_invalid_encoded_word",
	"mime_unknown_charset", "mime_unknown_encoding", "mime_pool_exhausted",
	"mime_message_encoded", "mime_filename_truncated",
	/* a name missing above (a bug: see anomaly.h) */
	"other",
};

_Static_assert(sizeof(names) / sizeof(names[0]) <= ANOMALY_MAX, "anomaly set too small");

const unsigned ANOMALY_OTHER = sizeof(names) / sizeof(names[0]) - 1;

unsigned anomaly_id(const char *name)
{
	for (unsigned i = 0; i < ANOMALY_OTHER; i++)
		if (names[i][0] == name[0] && strcmp(names[i], name) == 0)
			return i;
	return ANOMALY_OTHER;
}

unsigned anomaly_count(void)
{
	return ANOMALY_OTHER + 1;
}

const char *anomaly_name(unsigned id)
{
	return id <= ANOMALY_OTHER ? names[id] : "other";
}

/* Suricata's SMTP app-layer events (app-layer-events.rules) that mean what
 * one of ours means. Its other events have no equivalent here
 * (bdat_chunk_len_exceeded: more bytes than the chunk size, which here are
 * read as the next command; no_server_welcome_message; ...): a rule using
 * one is skipped with its name. */
static const char *const suricata_alias[][2] = {
	{ "smtp.invalid_reply", "smtp.invalid_reply" },
	{ "smtp.unable_to_match_reply_with_request", "smtp.unmatched_reply" },
	{ "smtp.max_command_line_len_exceeded", "smtp.command_line_too_long" },
	{ "smtp.max_reply_line_len_exceeded", "smtp.reply_line_too_long" },
	{ "smtp.tls_rejected", "smtp.starttls_refused" },
	{ "smtp.mime_long_line", "smtp.data_line_too_long" },
	{ "smtp.mime_long_header_value", "smtp.mime_header_line_too_long" },
	{ "smtp.mime_long_boundary", "smtp.mime_boundary_too_long" },
};

#define NALIAS (sizeof(suricata_alias) / sizeof(suricata_alias[0]))
static char ev_buf[ANOMALY_MAX][48];
static const char *ev_names[ANOMALY_MAX + NALIAS], *ev_canon[ANOMALY_MAX + NALIAS];
static unsigned ev_n;
static pthread_once_t ev_once = PTHREAD_ONCE_INIT;

static void ev_build(void)
{
	for (unsigned i = 0; i < ANOMALY_OTHER; i++) {
		if (strncmp(names[i], "tcp_", 4) == 0 || strncmp(names[i], "frag_", 5) == 0)
			continue;
		snprintf(ev_buf[ev_n], sizeof(ev_buf[0]), "smtp.%s", names[i]);
		ev_names[ev_n] = ev_buf[ev_n];
		ev_canon[ev_n++] = NULL;
	}
	for (unsigned i = 0; i < NALIAS; i++) {
		ev_names[ev_n] = suricata_alias[i][0];
		ev_canon[ev_n++] = suricata_alias[i][1];
	}
}

void anomaly_event_names(const char *const **n, const char *const **c, unsigned *count)
{
	pthread_once(&ev_once, ev_build);
	*n = ev_names;
	*c = ev_canon;
	*count = ev_n;
}

bool anomaly_from_server(const char *name)
{
	static const char *const server[] = {
		"invalid_reply", "unmatched_reply", "reply_line_too_long", "ehlo_caps_cut",
		"ehlo_masked_keyword", "starttls_refused",
	};

	for (unsigned i = 0; i < sizeof(server) / sizeof(server[0]); i++)
		if (strcmp(server[i], name) == 0)
			return true;
	return false;
}
