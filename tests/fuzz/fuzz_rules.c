/*
 * fuzz_rules.c — libFuzzer target for the rule parser and the matcher.
 *
 * The input is a rules file: lines "$NAME=value" first set variables, the
 * whole input is then loaded as a rules file (through a memfd, so the file
 * reader with its comment and continuation handling is exercised too). If
 * anything loads, the engine is built and the input bytes themselves are
 * scanned through every buffer (rule contents usually occur in their own
 * text, so matches and alerts happen), across transactions, with a flow
 * pool small enough to run out.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned alerts;

static void on_alert(void *user, void *ctx, const struct sig_rule_meta *rule,
		     enum sig_dir dir)
{
	/* Metadata must be complete for every alert. */
	if (!rule || rule->sid == 0 || !rule->msg || !rule->classtype ||
	    !rule->category || !rule->file || (unsigned)dir > SIG_DIR_TO_CLIENT)
		abort();
	alerts++;
}

static void on_diag(void *user, const char *file, unsigned line, uint32_t sid,
		    const char *text)
{
	if (!file || !text || !text[0])
		abort();
}

static void set_vars(struct sig_set *s, const uint8_t *data, size_t size)
{
	size_t i = 0;

	while (i < size && data[i] == '$') {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t len = nl ? (size_t)(nl - (data + i)) : size - i;
		char *line = malloc(len + 1), *eq;

		if (!line)
			return;
		memcpy(line, data + i + 1, len ? len - 1 : 0);
		line[len ? len - 1 : 0] = '\0';
		eq = strchr(line, '=');
		if (eq) {
			*eq = '\0';
			sig_set_var(s, line, eq + 1);
		}
		free(line);
		i += len + 1;
	}
}

static void scan_lines(struct sig_thread *t, struct sig_flow *f, enum sig_buf b,
		       const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < size;) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t len = nl ? (size_t)(nl - (data + i)) : size - i;

		sig_scan_buffer(t, f, b, SIG_DIR_TO_SERVER, data + i, len, NULL);
		i += len + 1;
	}
}

static void stream_chunks(struct sig_thread *t, struct sig_flow *f, enum sig_buf b,
			  const uint8_t *data, size_t size, size_t step, bool begin, bool end)
{
	if (begin)
		sig_stream_begin(t, f, b);
	for (size_t i = 0; i < size; i += step)
		sig_stream_scan(t, f, b, data + i, size - i < step ? size - i : step, NULL);
	if (end)
		sig_stream_end(t, f, b, NULL);
}

static void scan_all(struct sig_thread *t, struct sig_flow *f,
		     const uint8_t *data, size_t size)
{
	size_t half = size / 2;

	sig_scan_stream(t, f, SIG_DIR_TO_SERVER, data, half, NULL);
	sig_scan_stream(t, f, SIG_DIR_TO_SERVER, data + half, size - half, NULL);
	sig_stream_gap(t, f, SIG_DIR_TO_SERVER);
	sig_scan_stream(t, f, SIG_DIR_TO_SERVER, data, half, NULL);
	sig_scan_stream(t, f, SIG_DIR_TO_CLIENT, data, size, NULL);
	for (unsigned b = SIG_BUF_SMTP_HELO; b < SIG_BUF_COUNT; b++) {
		if (b == SIG_BUF_SMTP_DATA || b == SIG_BUF_EMAIL_BODY || b == SIG_BUF_FILE_DATA ||
		    b == SIG_BUF_FRAME_DATA) {
			stream_chunks(t, f, (enum sig_buf)b, data, size, 7, true, true);
			stream_chunks(t, f, (enum sig_buf)b, data, half, 3, true, true);
			stream_chunks(t, f, (enum sig_buf)b, data + half, size - half, 11, true, true);
			stream_chunks(t, f, (enum sig_buf)b, data, half, 5, true, false);
			continue;
		}
		sig_scan_buffer(t, f, (enum sig_buf)b, SIG_DIR_TO_SERVER, data, size, NULL);
		sig_scan_buffer(t, f, (enum sig_buf)b, SIG_DIR_TO_CLIENT, data, size, NULL);
		scan_lines(t, f, (enum sig_buf)b, data, size);
		(void)sig_engine_has_buf(NULL, (enum sig_buf)b);
	}
	/* file digests taken from the input (a list entry may be in it) */
	{
		uint8_t d[32] = { 0 };

		memcpy(d, data, size < sizeof(d) ? size : sizeof(d));
		sig_scan_file_hashes(t, f, d, d, d, NULL);
		sig_scan_file_hashes(t, f, NULL, d, NULL, NULL);
	}
	/* interleaved part and file, lazily opened data */
	sig_stream_begin(t, f, SIG_BUF_EMAIL_BODY);
	sig_stream_scan(t, f, SIG_BUF_FILE_DATA, data, half, NULL);
	sig_stream_scan(t, f, SIG_BUF_EMAIL_BODY, data + half, size - half, NULL);
	sig_stream_end(t, f, SIG_BUF_FILE_DATA, NULL);
	sig_stream_end(t, f, SIG_BUF_EMAIL_BODY, NULL);
	sig_data_begin(t, f);
	for (size_t i = 0; i < size; i += 7)
		sig_scan_data(t, f, data + i, size - i < 7 ? size - i : 7, NULL);
	sig_data_end(t, f, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sig_set *s = sig_set_new();
	struct sig_engine *e = NULL;
	struct sig_thread *t;
	struct sig_flow *f, *g, *h;
	struct sig_tuple tup;
	char path[64], err[512];
	int fd;

	static const char *const ev[] = { "smtp.bare_lf", "smtp.invalid_reply",
					  "smtp.max_command_line_len_exceeded" };
	static const char *const canon[] = { NULL, NULL, "smtp.command_line_too_long" };

	if (!s)
		return 0;
	sig_set_event_names(s, ev, canon, 3);
	set_vars(s, data, size);
	fd = memfd_create("fuzz_rules", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		sig_set_free(s);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	sig_set_load_file(s, path, on_diag, NULL);
	/* the same bytes as a threshold.config, on the rules just loaded */
	sig_set_load_threshold_file(s, path, on_diag, NULL);
	close(fd);
	/* Also the single-rule entry point, on the input as one string. */
	{
		char *text = malloc(size + 1);

		if (text) {
			memcpy(text, data, size);
			text[size] = '\0';
			sig_set_add_rule(s, text, "inline", 1, on_diag, NULL);
			free(text);
		}
	}
	if (sig_engine_build(s, &e, err, sizeof(err)) != 0) {
		if (!err[0])
			abort();
		return 0;       /* the set was consumed */
	}
	t = sig_thread_new(e, 2, on_alert, NULL);
	if (!t) {
		sig_engine_free(e);
		return 0;
	}
	memset(&tup, 0, sizeof(tup));
	memcpy(&tup, data, size < sizeof(tup) ? size : sizeof(tup));
	f = sig_flow_open(t, &tup);
	g = sig_flow_open(t, &tup);
	h = sig_flow_open(t, &tup);     /* pool of 2: NULL */
	if (h || !f || !g)
		abort();
	scan_all(t, f, data, size);
	sig_flow_tx_end(t, f);
	scan_all(t, f, data, size);
	scan_all(t, g, data, size);
	scan_all(t, h, data, size);
	sig_flow_close(t, g, NULL);
	sig_flow_tx_end(t, f);
	sig_data_begin(t, f);
	sig_scan_data(t, f, data, size, NULL);
	/* f is left open: sig_thread_free must release it */
	if (sig_thread_get_stats(t)->scan_errors)
		abort();
	sig_thread_free(t);
	sig_engine_free(e);
	return 0;
}
