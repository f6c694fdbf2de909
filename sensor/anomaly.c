/*
 * anomaly — see anomaly.h. The table is the single list of names; the
 * README's anomaly section documents the same names in the same groups.
 */
#include "anomaly.h"

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
	"mime_message_encoded",
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
