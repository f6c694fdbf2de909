/*
 * gen_flood — captures that try to exhaust a sensor, with real SMTP
 * sessions among them, for the flood tests (tests/flood/) and for
 * measuring memory under attack.
 *
 *   gen_flood -o OUT.pcap --mode syn --count N [--sessions K] [--seed S]
 *       N half-open connections: a SYN to port 25 from N distinct
 *       client address/port pairs, never answered or completed (the
 *       classic SYN flood as a tap sees it). K complete SMTP sessions
 *       (handshake, EHLO, MAIL, RCPT, DATA with the marker
 *       "FLOOD-MARKER-<i>", QUIT, FIN) run during it, each step of each
 *       session N/10 flood packets after the previous one, so each
 *       session spans the whole flood.
 *   gen_flood -o OUT.pcap --mode ooo --count N [--sessions K] [--seed S]
 *       An out-of-order storm: N 1000-byte segments, spread over flows of
 *       64 segments each, every one sent after a hole that is never
 *       filled, so a reassembler must hold them or give up; the SMTP
 *       sessions spread over it as above.
 *
 *   gen_flood -o OUT.pcap --mode sessions --count N [--phase idle|data]
 *       N real SMTP sessions open at the same time, for measuring what a
 *       session costs: all N connect and are greeted, then each says EHLO
 *       (idle: they stop there) or also MAIL, RCPT, DATA and 1 KiB of a
 *       message without its end (data: mid-message); only then do they
 *       all close. The sensor's peak memory holds all N at once.
 *
 * The output is a pure function of the arguments. Everything goes to
 * 192.0.2.25:25; flood clients are 10.x.y.z, session clients 198.51.100.x.
 */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapw.h"

/*
 * A real SMTP session, written one step at a time so that its packets are
 * spread over the whole flood: a sensor must keep the session's state
 * while the flood churns through its tables. Steps: 0 handshake, then the
 * greeting and each command with its reply, then the close.
 */
struct session {
	struct pcapw_conn c;
	unsigned idx, step;
};

#define SESSION_STEPS 9

static int session_start(struct pcapw *w, struct session *ss, unsigned i)
{
	struct pcapw_endpoint cli = { 0 }, srv = { 0 };
	char buf[64];

	snprintf(buf, sizeof(buf), "198.51.100.%u:%u", 1 + i % 250, 20000 + i % 40000);
	if (pcapw_endpoint_parse(buf, &cli) != 0 ||
	    pcapw_endpoint_parse("192.0.2.25:25", &srv) != 0)
		return -EINVAL;
	ss->idx = i;
	ss->step = 0;
	return pcapw_conn_init(&ss->c, w, &cli, &srv, NULL);
}

static int say(struct pcapw_conn *c, enum pcapw_dir d, const char *text)
{
	return pcapw_conn_send(c, d, (const uint8_t *)text, strlen(text), NULL);
}

/* The next step; returns 1 when the session is over. */
static int session_step(struct session *ss)
{
	struct pcapw_conn *c = &ss->c;
	char buf[256];
	int rc = 0;

	switch (ss->step++) {
	case 0: rc = pcapw_conn_handshake(c); break;
	case 1: rc = say(c, PCAPW_SERVER, "220 mx.flood.example ESMTP\r\n"); break;
	case 2:
		if (!(rc = say(c, PCAPW_CLIENT, "EHLO client.flood.example\r\n")))
			rc = say(c, PCAPW_SERVER, "250 mx.flood.example\r\n");
		break;
	case 3:
		snprintf(buf, sizeof(buf), "MAIL FROM:<sender%u@flood.example>\r\n", ss->idx);
		if (!(rc = say(c, PCAPW_CLIENT, buf)))
			rc = say(c, PCAPW_SERVER, "250 ok\r\n");
		break;
	case 4:
		if (!(rc = say(c, PCAPW_CLIENT, "RCPT TO:<victim@flood.example>\r\n")))
			rc = say(c, PCAPW_SERVER, "250 ok\r\n");
		break;
	case 5:
		if (!(rc = say(c, PCAPW_CLIENT, "DATA\r\n")))
			rc = say(c, PCAPW_SERVER, "354 go\r\n");
		break;
	case 6:
		snprintf(buf, sizeof(buf), "Subject: session %u\r\n\r\nFLOOD-MARKER-%u\r\n.\r\n",
			 ss->idx, ss->idx);
		if (!(rc = say(c, PCAPW_CLIENT, buf)))
			rc = say(c, PCAPW_SERVER, "250 queued\r\n");
		break;
	case 7:
		if (!(rc = say(c, PCAPW_CLIENT, "QUIT\r\n")))
			rc = say(c, PCAPW_SERVER, "221 bye\r\n");
		break;
	default:
		rc = pcapw_conn_close(c, PCAPW_SERVER);
		return rc ? rc : 1;
	}
	return rc;
}

static int syn(struct pcapw *w, struct pcapw_rng *rng, unsigned long i)
{
	struct pcapw_endpoint cli = { 0 }, srv = { 0 };
	struct pcapw_conn c;
	struct pcapw_conn_opts o;
	char a[64];

	/* distinct (address, port) per i: 2^24 addresses x 1 port each */
	snprintf(a, sizeof(a), "10.%lu.%lu.%lu:%lu", (i >> 16) & 255, (i >> 8) & 255, i & 255,
		 1024 + (i >> 24) % 60000);
	if (pcapw_endpoint_parse(a, &cli) != 0 || pcapw_endpoint_parse("192.0.2.25:25", &srv) != 0)
		return -EINVAL;
	pcapw_conn_opts_default(&o);
	o.isn[0] = (uint32_t)pcapw_rng_below(rng, 0xffffffffu);
	if (pcapw_conn_init(&c, w, &cli, &srv, &o) != 0)
		return -EINVAL;
	return pcapw_conn_syn(&c, PCAPW_CLIENT);
}

/* One flow of the storm: handshake, then `segs` segments each after a
 * hole (offsets 1000, 3000, 5000, ...: the bytes 0-999, 2000-2999, ...
 * never come). */
static int storm_flow(struct pcapw *w, unsigned long f, unsigned segs, unsigned long *left)
{
	struct pcapw_endpoint cli = { 0 }, srv = { 0 };
	struct pcapw_conn c;
	uint8_t data[1000];
	char a[64];
	int rc;

	snprintf(a, sizeof(a), "10.%lu.%lu.%lu:%lu", (f >> 16) & 255, (f >> 8) & 255, f & 255,
		 1024 + (f >> 24) % 60000);
	if (pcapw_endpoint_parse(a, &cli) != 0 || pcapw_endpoint_parse("192.0.2.25:25", &srv) != 0)
		return -EINVAL;
	if ((rc = pcapw_conn_init(&c, w, &cli, &srv, NULL)) != 0 ||
	    (rc = pcapw_conn_handshake(&c)) != 0)
		return rc;
	memset(data, 'x', sizeof(data));
	for (unsigned k = 0; k < segs && *left; k++, (*left)--)
		if ((rc = pcapw_conn_segment(&c, PCAPW_CLIENT, 1000 + 2000ull * k, data,
					     sizeof(data), 0x18 /* PSH|ACK */)) != 0)
			return rc;
	return 0;
}

/* --mode sessions: n sessions brought to a phase together, then closed. */
static int concurrent(struct pcapw *w, unsigned long n, bool data)
{
	struct session *ss = calloc(n, sizeof(*ss));
	static char body[1100];
	int rc = 0;

	if (!ss)
		return -ENOMEM;
	memset(body, 'b', sizeof(body));
	memcpy(body, "Subject: open\r\n\r\n", 17);
	body[sizeof(body) - 2] = '\r';
	body[sizeof(body) - 1] = '\n';
	for (unsigned long i = 0; i < n && !rc; i++) {
		char a[64];
		struct pcapw_endpoint cli = { 0 }, srv = { 0 };

		/* distinct clients: 198.18.0.0/15 (RFC 2544 benchmarking) */
		snprintf(a, sizeof(a), "198.%lu.%lu.%lu:%lu", 18 + ((i >> 16) & 1), (i >> 8) & 255,
			 i & 255, 1024 + (i >> 17));
		if (pcapw_endpoint_parse(a, &cli) != 0 ||
		    pcapw_endpoint_parse("192.0.2.25:25", &srv) != 0 ||
		    pcapw_conn_init(&ss[i].c, w, &cli, &srv, NULL) != 0)
			rc = -EINVAL;
		ss[i].idx = (unsigned)i;
	}
	/* each step for every session before the next step of any */
	for (unsigned step = 0; step < (data ? 6u : 3u) && !rc; step++)
		for (unsigned long i = 0; i < n && !rc; i++)
			rc = session_step(&ss[i]) < 0 ? -EIO : 0;
	for (unsigned long i = 0; data && i < n && !rc; i++)
		rc = pcapw_conn_send(&ss[i].c, PCAPW_CLIENT, (const uint8_t *)body, sizeof(body),
				     NULL);
	for (unsigned long i = 0; i < n && !rc; i++)
		rc = pcapw_conn_close(&ss[i].c, PCAPW_CLIENT);
	free(ss);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' }, { "mode", required_argument, NULL, 'm' },
		{ "count", required_argument, NULL, 'n' }, { "sessions", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' }, { "phase", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *mode = "syn", *phase = "idle";
	unsigned long count = 1000000, sessions = 10, seed = 1, every;
	struct pcapw_opts po;
	struct pcapw *w;
	struct pcapw_rng rng;
	unsigned done = 0;
	struct session *ss;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "o:m:n:k:s:p:", opts, NULL)) != -1) {
		switch (c) {
		case 'p': phase = optarg; break;
		case 'o': out = optarg; break;
		case 'm': mode = optarg; break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'k': sessions = strtoul(optarg, NULL, 10); break;
		case 's': seed = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: gen_flood -o OUT --mode syn|ooo|sessions --count N "
				"[--sessions K] [--seed S] [--phase idle|data]\n");
			return 2;
		}
	}
	if (!out || (strcmp(mode, "syn") && strcmp(mode, "ooo") && strcmp(mode, "sessions")) ||
	    !count || (strcmp(phase, "idle") && strcmp(phase, "data"))) {
		fprintf(stderr, "gen_flood: -o OUT and --mode syn|ooo|sessions are required\n");
		return 2;
	}
	pcapw_opts_default(&po);
	po.buf_size = 4u << 20;
	if (pcapw_open(out, &po, &w) != 0) {
		fprintf(stderr, "gen_flood: %s: cannot write\n", out);
		return 1;
	}
	pcapw_rng_seed(&rng, seed);
	if (!strcmp(mode, "sessions")) {
		rc = concurrent(w, count, !strcmp(phase, "data"));
		if (pcapw_close(w) != 0 || rc) {
			fprintf(stderr, "gen_flood: %s: write failed (%d)\n", out, rc);
			return 1;
		}
		printf("gen_flood: %s: %lu concurrent sessions, phase %s\n", out, count, phase);
		return 0;
	}
	ss = calloc(sessions ? sessions : 1, sizeof(*ss));
	if (!ss)
		return 1;
	for (unsigned i = 0; i < sessions && !rc; i++)
		rc = session_start(w, &ss[i], i);
	/* Each session's steps are spread evenly over the flood. */
	every = count / (SESSION_STEPS + 1);
	if (!every)
		every = 1;
	{
		unsigned long left = count, f = 0, sent = 0, next = every;

		while (left && !rc) {
			if (!strcmp(mode, "syn")) {
				rc = syn(w, &rng, f++);
				left--;
			} else {
				rc = storm_flow(w, f++, 64, &left);
			}
			sent = count - left;
			while (!rc && sent >= next) {
				for (unsigned i = 0; i < sessions && !rc; i++)
					if (ss[i].step < SESSION_STEPS) {
						int r = session_step(&ss[i]);

						if (r < 0)
							rc = r;
					}
				next += every;
			}
		}
	}
	for (unsigned i = 0; i < sessions && !rc; i++)
		while (!rc && ss[i].step < SESSION_STEPS) {
			int r = session_step(&ss[i]);

			if (r < 0)
				rc = r;
		}
	/* A session is done once its last step (the close) has run. */
	for (unsigned i = 0; i < sessions; i++)
		done += ss[i].step >= SESSION_STEPS;
	free(ss);
	{
		unsigned long long pkts = pcapw_packets(w);

		if (pcapw_close(w) != 0 || rc) {
			fprintf(stderr, "gen_flood: %s: write failed (%d)\n", out, rc);
			return 1;
		}
		printf("gen_flood: %s: mode %s, %lu, %u sessions, %llu packets\n", out, mode,
		       count, done, pkts);
	}
	return 0;
}
