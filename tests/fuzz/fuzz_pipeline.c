/*
 * fuzz_pipeline — the whole sensor on one hostile capture file: the pcap
 * reader (record headers, lengths, truncation), decode, reassembly, the
 * SMTP parser, the glue that drives signature scans and builds events, and
 * the EVE writer. The input is the file itself, so seeds are real captures.
 *
 * Small pools (64 flows, 256 parser blocks) make the limits and their
 * counters part of every run. Rules cover every kind of buffer (raw
 * stream, smtp.*, email.* block and stream, file.name, file.data with a
 * negation); odd-sized inputs turn --detect-any-port on. One worker serves every input, as one worker
 * serves every capture in the sensor. Events go to /dev/null; every event that is
 * built must serialise (dump_errors stays 0).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "anomaly.h"
#include "capture.h"
#include "config.h"
#include "sig.h"
#include "worker.h"

static const char *const rules[] = {
	"alert smtp any any -> any any (msg:\"helo\"; smtp.helo; content:\"evil\"; nocase; sid:1;)",
	"alert smtp any any -> any any (msg:\"from\"; smtp.mail_from; content:\"@\"; sid:2;)",
	"alert smtp any any -> any any (msg:\"rcpt\"; smtp.rcpt_to; content:\"<\"; sid:3;)",
	"alert smtp any any -> any any (msg:\"data\"; smtp.data; content:\"|0d 0a|\"; sid:4;)",
	"alert tcp any any -> any any (msg:\"stream\"; content:\"MAIL\"; content:\"DATA\"; sid:5;)",
	"alert tcp any 25 -> any any (msg:\"reply\"; flow:to_client; content:\"250\"; sid:6;)",
	"alert smtp any any -> any any (msg:\"from\"; email.from; content:\"@\"; sid:7;)",
	"alert smtp any any -> any any (msg:\"to\"; email.to; content:\"@\"; bsize:>3; sid:8;)",
	"alert smtp any any -> any any (msg:\"url\"; email.url; content:\"http\"; startswith; sid:9;)",
	"alert smtp any any -> any any (msg:\"body\"; email.body; content:\"a\"; endswith; sid:10;)",
	"alert smtp any any -> any any (msg:\"file\"; file.data; content:!\"MZ\"; sid:11;)",
	"alert smtp any any -> any any (msg:\"name\"; file.name; content:\".\"; fileext:\"exe\"; sid:12;)",
	"alert smtp any any -> any any (msg:\"subj\"; email.subject; content:\"a\"; email.received; content:\"by\"; sid:13;)",
	/* the issue-5 keywords, each on the path the sensor drives */
	"alert smtp any any -> any any (msg:\"b64\"; flow:to_server; content:\"|0d 0a 0d 0a|\"; base64_decode:bytes 200,relative; base64_data; content:\"MZ\"; sid:14;)",
	"alert smtp any any -> any any (msg:\"look-behind\"; flow:to_server; pcre:\"/(?<!X)MAIL(?!Y)/i\"; sid:15;)",
	"alert smtp any any -> any any (msg:\"set\"; flow:to_client; content:\"220\"; flowbits:set,g; flowint:n,+,1; flowbits:noalert; sid:16;)",
	"alert smtp any any -> any any (msg:\"check\"; flow:to_server; content:\"RCPT\"; flowbits:isset,g; flowint:n,>=,1; sid:17;)",
	"alert smtp any any -> any any (msg:\"event\"; app-layer-event:smtp.bare_lf; sid:18;)",
	"alert smtp any any -> any any (msg:\"cmd\"; smtp.command; content:\"BDAT \"; byte_test:4,>,10,0,relative,string,dec; sid:19;)",
	"alert smtp any any -> any any (msg:\"magic\"; file.magic; content:\"text\"; filesize:>2; sid:20;)",
	"alert smtp any any -> any any (msg:\"long\"; flow:to_server; content:\"DATA\"; isdataat:2000,relative; sid:21;)",
	"alert smtp any any -> any any (msg:\"xform\"; email.subject; strip_whitespace; to_lowercase; content:\"hello\"; sid:22;)",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sig_engine *engine;
static struct mt_config cfg;
static int devnull = -1;

static void setup(void)
{
	struct sig_set *set = sig_set_new();
	const char *const *names, *const *canon;
	unsigned nnames;
	char err[256];

	anomaly_event_names(&names, &canon, &nnames);
	sig_set_event_names(set, names, canon, nnames);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (sig_set_add_rule(set, rules[i], "fuzz", (unsigned)i + 1, NULL, NULL) != 0)
			abort();
	if (sig_engine_build(set, &engine, err, sizeof(err)) != 0)
		abort();
	config_defaults(&cfg);
	cfg.reasm.max_flows = 64;
	cfg.reasm.max_ooo_segments = 256;
	cfg.reasm.max_ooo_bytes = 256 * 1024;
	cfg.reasm.max_ooo_bytes_per_flow = 32 * 1024;
	cfg.max_app_flows = 64;
	cfg.pool_blocks = 256;
	devnull = open("/dev/null", O_WRONLY);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct worker w;
	struct capture_source *src;
	struct mt_pkt burst[CAPTURE_BURST];
	char path[64], err[256];
	int fd, n;

	if (!engine)
		setup();
	fd = memfd_create("fuzz-pcap", 0);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	src = capture_file_open(path, err, sizeof(err));
	close(fd);
	if (!src)
		return 0;
	/* One worker for every input, as in the sensor: worker_finish()
	 * must leave it ready for more (that is checked below too). */
	cfg.linktype = src->linktype;
	/* Odd-sized inputs also look for SMTP on every port (the probe). */
	cfg.detect_any_port = size & 1;
	if (!w.cfg && worker_init(&w, 0, &cfg, engine, devnull) != 0)
		abort();
	/* the mapped input: the history refers to it (every flow of the
	 * previous input was finished) */
	if (reasm_set_stable_payload(w.reasm, src->stable, src->stable_len) != 0)
		abort();
	while ((n = src->ops->rx_burst(src, burst, CAPTURE_BURST)) > 0)
		worker_burst(&w, burst, (unsigned)n);
	worker_finish(&w);
	if (w.eve.dump_errors)
		abort();
	/* Every parser block and session went back to its pool. */
	if (w.pool.in_use != 0 || w.app_in_use != 0)
		abort();
	src->ops->close(src);
	return 0;
}
