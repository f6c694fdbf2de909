/*
 * gen_evasion — captures of TCP evasions against a passive SMTP sensor,
 * built with pcapw's connection API (pcapw_conn_segment() writes a segment
 * at any stream offset with any bytes).
 *
 *   gen_evasion SCENARIO -o out.pcap [--policy NAME] [--seed N]
 *   gen_evasion --list
 *
 * Every session is one SMTP transaction from 10.0.0.1 to 10.0.0.2:25 whose
 * message carries the signature EVIL-PAYLOAD-742 (GEN_SIG), and whose
 * client port is unique in the file (50000 + session number), so a test
 * can count one alert per session that the sensor reassembled as the
 * server did. Scenarios:
 *
 *   1byte        every client byte in its own segment
 *   overlap      21 sessions: the seven ways two segments can overlap
 *                (reasm.h's table), each with the overlap at three places
 *                of the signature; the copy the server keeps under
 *                --policy (default bsd) carries the signature, the other
 *                junk in the overlapping bytes. Both copies arrive out of
 *                order (a 1-byte hole before them, filled last), so the
 *                sensor must choose as the server does
 *   ooo-storm    2 sessions: the message in 64-byte and in 7-byte segments,
 *                shuffled, a quarter of them sent twice
 *   split        31 sessions: the signature cut in two at every place, in
 *                order and second part first, and one byte per segment in
 *                reverse order
 *   rst-bad-seq  5 sessions: a RST injected before the message, far ahead,
 *                in the window but not at the next sequence number, behind,
 *                and from the server's side; the last session's RST is
 *                exact (the control: that stream really ends, no alert)
 *   port-reuse   3 connections on reused ports: a new connection after a
 *                closed one (TIME-WAIT), a forged SYN inside an established
 *                one (no SYN-ACK: the old stream goes on), and a new
 *                connection answered by a SYN-ACK on ports whose old
 *                connection never closed
 *
 * Output is a pure function of the arguments (pcapw's clock, seeded
 * shuffles). Exit 0, 1 on an I/O error, 2 on bad usage.
 */
#include "pcapw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GEN_SIG "EVIL-PAYLOAD-742"
#define GEN_SIG_LEN 16u

/* The message: headers, a line with the signature, an end. */
static const char gen_body[] =
	"Subject: evasion test\r\n"
	"From: <a@evasion.test>\r\n"
	"\r\n"
	"First line of the message, nothing to see.\r\n"
	"The signature " GEN_SIG " sits in this line.\r\n"
	"Last line.\r\n"
	".\r\n";

/* Which copy the receiver keeps, for the seven cases in the order of
 * reasm.h's table (N: the new one), per policy: the same table as
 * reassembly/tcp_queue.c's, from Novak & Sturges. */
static const struct {
	const char *names;
	const char *wins;
} policy_groups[] = {
	{ "first vista bsd-right", "OOOOOOO" },
	{ "last", "NNNNNNN" },
	{ "linux hpux10 irix", "NNOONOO" },
	{ "old-linux", "NNONNOO" },
	{ "bsd macos windows windows2k3", "NNOOOOO" },
	{ "solaris hpux11", "ONONNON" },
};

struct gen {
	struct pcapw *w;
	const char *wins;       /* the policy's row of policy_groups */
	struct pcapw_rng rng;
	unsigned sessions;
};

static int check(int rc)
{
	if (rc) {
		fprintf(stderr, "gen_evasion: write failed: %s\n", strerror(-rc));
		exit(1);
	}
	return rc;
}

static void conn_start(struct gen *g, struct pcapw_conn *c, uint16_t port,
		       uint32_t isn_c, uint32_t isn_s)
{
	struct pcapw_endpoint cl, sv;
	struct pcapw_conn_opts o;
	char t[32];

	snprintf(t, sizeof(t), "10.0.0.1:%u", port);
	pcapw_endpoint_parse(t, &cl);
	pcapw_endpoint_parse("10.0.0.2:25", &sv);
	pcapw_conn_opts_default(&o);
	o.isn[PCAPW_CLIENT] = isn_c;
	o.isn[PCAPW_SERVER] = isn_s;
	check(pcapw_conn_init(c, g->w, &cl, &sv, &o));
	check(pcapw_conn_handshake(c));
}

static void say(struct pcapw_conn *c, enum pcapw_dir d, const char *text)
{
	check(pcapw_conn_send(c, d, (const uint8_t *)text, strlen(text), NULL));
	pcapw_clock_advance(c->w, 1000);
}

/* A new connection's dialogue up to the server's 354 (hello: HELO or EHLO). */
static void smtp_to_data(struct pcapw_conn *c, const char *hello)
{
	char line[64];

	snprintf(line, sizeof(line), "%s client.evasion.test\r\n", hello);
	say(c, PCAPW_SERVER, "220 mx.evasion.test ESMTP\r\n");
	say(c, PCAPW_CLIENT, line);
	say(c, PCAPW_SERVER, "250 mx.evasion.test\r\n");
	say(c, PCAPW_CLIENT, "MAIL FROM:<a@evasion.test>\r\n");
	say(c, PCAPW_SERVER, "250 2.1.0 Ok\r\n");
	say(c, PCAPW_CLIENT, "RCPT TO:<b@evasion.test>\r\n");
	say(c, PCAPW_SERVER, "250 2.1.5 Ok\r\n");
	say(c, PCAPW_CLIENT, "DATA\r\n");
	say(c, PCAPW_SERVER, "354 go ahead\r\n");
}

/* A new session (its own client port) up to the 354 after DATA. */
static void smtp_open(struct gen *g, struct pcapw_conn *c)
{
	uint16_t port = (uint16_t)(50000 + g->sessions);

	g->sessions++;
	conn_start(g, c, port, 1000000u * g->sessions, 7000000u + 1000000u * g->sessions);
	smtp_to_data(c, "EHLO");
}

/* After the message (already sent and accounted for): reply, QUIT, close. */
static void smtp_finish(struct pcapw_conn *c)
{
	say(c, PCAPW_SERVER, "250 2.0.0 Ok: queued\r\n");
	say(c, PCAPW_CLIENT, "QUIT\r\n");
	say(c, PCAPW_SERVER, "221 2.0.0 Bye\r\n");
	check(pcapw_conn_close(c, PCAPW_CLIENT));
}

/* Bytes [a, b) of `msg` as one client segment at message offset a. */
static void seg(struct pcapw_conn *c, uint64_t base, const uint8_t *msg, size_t a, size_t b)
{
	check(pcapw_conn_segment(c, PCAPW_CLIENT, base + a, msg + a, (uint32_t)(b - a),
				 PCAPW_ACK | PCAPW_PSH));
}

static size_t sig_at(void)
{
	return (size_t)(strstr(gen_body, GEN_SIG) - gen_body);
}

/* ---- scenarios ----------------------------------------------------- */

static void gen_1byte(struct gen *g)
{
	struct pcapw_conn c;
	struct pcapw_send_opts so = { .seg_max = 1 };
	static const char *const cmds[] = {
		"EHLO client.evasion.test\r\n", "MAIL FROM:<a@evasion.test>\r\n",
		"RCPT TO:<b@evasion.test>\r\n", "DATA\r\n",
	};
	static const char *const replies[] = {
		"250 mx.evasion.test\r\n", "250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n", "354 go ahead\r\n",
	};

	g->sessions++;
	conn_start(g, &c, (uint16_t)(50000 + g->sessions - 1), 1000000u, 7000000u);
	say(&c, PCAPW_SERVER, "220 mx.evasion.test ESMTP\r\n");
	for (size_t i = 0; i < 4; i++) {
		check(pcapw_conn_send(&c, PCAPW_CLIENT, (const uint8_t *)cmds[i], strlen(cmds[i]), &so));
		say(&c, PCAPW_SERVER, replies[i]);
	}
	check(pcapw_conn_send(&c, PCAPW_CLIENT, (const uint8_t *)gen_body, strlen(gen_body), &so));
	smtp_finish(&c);
}

/* The seven cases of reasm.h's table as (O, N) relative to an overlap
 * [a, a + 4) both share: {o_lo, o_hi, n_lo, n_hi} offsets from a. */
static const struct {
	const char *name;
	int o_lo, o_hi, n_lo, n_hi;
} overlap_cases[7] = {
	{ "N starts before O, ends inside", 0, 7, -3, 4 },
	{ "N starts before O, covers it", 0, 4, -3, 7 },
	{ "N starts with O, ends before", 0, 7, 0, 4 },
	{ "N starts and ends with O", 0, 4, 0, 4 },
	{ "N starts with O, ends after", 0, 4, 0, 7 },
	{ "N inside O", -3, 7, 0, 4 },
	{ "N starts inside O, ends after", -3, 4, 0, 7 },
};

static void gen_overlap(struct gen *g)
{
	const uint8_t *body = (const uint8_t *)gen_body;
	size_t len = strlen(gen_body), s0 = sig_at();
	const size_t places[3] = { s0, s0 + GEN_SIG_LEN / 2 - 2, s0 + GEN_SIG_LEN - 4 };

	for (int k = 0; k < 7; k++) {
		for (int pl = 0; pl < 3; pl++) {
			struct pcapw_conn c;
			uint8_t o[sizeof(gen_body)], n[sizeof(gen_body)];
			size_t a = places[pl];
			size_t o_lo = a + overlap_cases[k].o_lo, o_hi = a + overlap_cases[k].o_hi;
			size_t n_lo = a + overlap_cases[k].n_lo, n_hi = a + overlap_cases[k].n_hi;
			size_t lo = o_lo < n_lo ? o_lo : n_lo, hi = o_hi > n_hi ? o_hi : n_hi;
			bool new_wins = g->wins[k] == 'N';
			uint64_t base;

			/* the loser's copy has junk where the two overlap */
			memcpy(o, body, len);
			memcpy(n, body, len);
			memset((new_wins ? o : n) + a, 'x', 4);
			smtp_open(g, &c);
			base = c.off[PCAPW_CLIENT];
			seg(&c, base, body, 0, lo - 1);         /* in order */
			seg(&c, base, o, o_lo, o_hi);           /* first copy */
			seg(&c, base, n, n_lo, n_hi);           /* second copy */
			seg(&c, base, body, hi, len);           /* the rest */
			seg(&c, base, body, lo - 1, lo);        /* the hole, last */
			pcapw_conn_advance(&c, PCAPW_CLIENT, len);
			smtp_finish(&c);
		}
	}
}

static void shuffle(struct pcapw_rng *rng, size_t *v, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)pcapw_rng_below(rng, i), t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

static void gen_ooo_storm(struct gen *g)
{
	static const size_t sizes[2] = { 64, 7 };
	static char msg[4096];
	size_t len = 0;

	/* a longer message: 20 filler lines, then the usual body */
	for (int i = 0; i < 20; i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len,
					"X-Filler-%02d: some header text to make the message longer\r\n", i);
	len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s", gen_body);
	for (int k = 0; k < 2; k++) {
		struct pcapw_conn c;
		size_t nseg = (len + sizes[k] - 1) / sizes[k], order[1200];
		uint64_t base;

		smtp_open(g, &c);
		base = c.off[PCAPW_CLIENT];
		for (size_t i = 0; i < nseg; i++)
			order[i] = i;
		shuffle(&g->rng, order, nseg);
		for (size_t i = 0; i < nseg; i++) {
			size_t a = order[i] * sizes[k], b = a + sizes[k] < len ? a + sizes[k] : len;

			seg(&c, base, (const uint8_t *)msg, a, b);
			if (pcapw_rng_pct(&g->rng, 25)) {     /* and again, later */
				size_t j = order[(size_t)pcapw_rng_below(&g->rng, nseg)];
				size_t ja = j * sizes[k], jb = ja + sizes[k] < len ? ja + sizes[k] : len;

				seg(&c, base, (const uint8_t *)msg, ja, jb);
			}
		}
		/* every segment went out at least once (the shuffle is a
		 * permutation); the duplicates are extra */
		pcapw_conn_advance(&c, PCAPW_CLIENT, len);
		smtp_finish(&c);
	}
}

static void gen_split(struct gen *g)
{
	const uint8_t *body = (const uint8_t *)gen_body;
	size_t len = strlen(gen_body), s0 = sig_at();

	for (int rev = 0; rev < 2; rev++) {
		for (size_t k = 1; k < GEN_SIG_LEN; k++) {
			struct pcapw_conn c;
			uint64_t base;

			smtp_open(g, &c);
			base = c.off[PCAPW_CLIENT];
			if (!rev) {
				seg(&c, base, body, 0, s0 + k);
				seg(&c, base, body, s0 + k, len);
			} else {
				seg(&c, base, body, s0 + k, len);
				seg(&c, base, body, 0, s0 + k);
			}
			pcapw_conn_advance(&c, PCAPW_CLIENT, len);
			smtp_finish(&c);
		}
	}
	{
		struct pcapw_conn c;
		uint64_t base;

		smtp_open(g, &c);
		base = c.off[PCAPW_CLIENT];
		seg(&c, base, body, s0 + GEN_SIG_LEN, len);
		for (size_t i = GEN_SIG_LEN; i-- > 0;)
			seg(&c, base, body, s0 + i, s0 + i + 1);
		seg(&c, base, body, 0, s0);
		pcapw_conn_advance(&c, PCAPW_CLIENT, len);
		smtp_finish(&c);
	}
}

/* A RST written by hand: from dir, `delta` away from its next sequence
 * number. */
static void rst_at(struct pcapw_conn *c, enum pcapw_dir d, int64_t delta)
{
	struct pcapw_tcp t;

	memset(&t, 0, sizeof(t));
	t.src = &c->ep[d];
	t.dst = &c->ep[!d];
	t.seq = pcapw_conn_seq(c, d, c->off[d]) + (uint32_t)delta;
	t.ack = pcapw_conn_seq(c, (enum pcapw_dir)!d, c->off[!d]);
	t.flags = PCAPW_RST | PCAPW_ACK;
	check(pcapw_write_tcp(c->w, &t));
}

static void gen_rst(struct gen *g)
{
	static const struct {
		enum pcapw_dir d;
		int64_t delta;
	} rsts[] = {
		{ PCAPW_CLIENT, 1 << 20 },      /* far ahead */
		{ PCAPW_CLIENT, 100 },          /* in the window, not next */
		{ PCAPW_CLIENT, -1000 },        /* behind */
		{ PCAPW_SERVER, 1 << 20 },      /* towards the client */
		{ PCAPW_CLIENT, 0 },            /* the control: exact */
	};

	for (size_t i = 0; i < sizeof(rsts) / sizeof(rsts[0]); i++) {
		struct pcapw_conn c;

		smtp_open(g, &c);
		rst_at(&c, rsts[i].d, rsts[i].delta);
		check(pcapw_conn_send(&c, PCAPW_CLIENT, (const uint8_t *)gen_body,
				      strlen(gen_body), NULL));
		smtp_finish(&c);
	}
}

static void gen_port_reuse(struct gen *g)
{
	static const char clean[] = "Subject: clean\r\n\r\nnothing here\r\n.\r\n";
	struct pcapw_conn c;
	struct pcapw_tcp t;
	uint16_t port;

	/* 1: a clean transaction, closed; then a new connection (new ISNs)
	 * on the same ports carries the signature */
	smtp_open(g, &c);
	port = c.ep[PCAPW_CLIENT].port;
	say(&c, PCAPW_CLIENT, clean);
	smtp_finish(&c);
	conn_start(g, &c, port, 55000000u, 66000000u);
	smtp_to_data(&c, "HELO");
	say(&c, PCAPW_CLIENT, gen_body);
	smtp_finish(&c);

	/* 2: a forged SYN (new ISN) inside the message; the server only
	 * answers with an ACK (RFC 5961 section 4), the old stream goes on */
	smtp_open(g, &c);
	memset(&t, 0, sizeof(t));
	t.src = &c.ep[PCAPW_CLIENT];
	t.dst = &c.ep[PCAPW_SERVER];
	t.seq = 123456789u;
	t.flags = PCAPW_SYN;
	check(pcapw_write_tcp(g->w, &t));
	check(pcapw_conn_ack(&c, PCAPW_SERVER));
	say(&c, PCAPW_CLIENT, gen_body);
	smtp_finish(&c);

	/* 3: a clean transaction whose connection never closes (the end was
	 * not captured); a new SYN on its ports, answered by a SYN-ACK */
	smtp_open(g, &c);
	port = c.ep[PCAPW_CLIENT].port;
	say(&c, PCAPW_CLIENT, clean);
	say(&c, PCAPW_SERVER, "250 2.0.0 Ok: queued\r\n");
	conn_start(g, &c, port, 77000000u, 88000000u);
	smtp_to_data(&c, "HELO");
	say(&c, PCAPW_CLIENT, gen_body);
	smtp_finish(&c);
}

static const struct {
	const char *name;
	void (*fn)(struct gen *g);
} scenarios[] = {
	{ "1byte", gen_1byte },
	{ "overlap", gen_overlap },
	{ "ooo-storm", gen_ooo_storm },
	{ "split", gen_split },
	{ "rst-bad-seq", gen_rst },
	{ "port-reuse", gen_port_reuse },
};

static void usage(void)
{
	fprintf(stderr, "usage: gen_evasion SCENARIO -o out.pcap [--policy NAME] [--seed N]\n"
			"       gen_evasion --list\n");
}

int main(int argc, char **argv)
{
	const char *out = NULL, *scen = NULL, *policy = "bsd";
	struct pcapw_opts wo;
	struct gen g;
	uint64_t seed = 1;
	int which = -1, rc;

	memset(&g, 0, sizeof(g));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--list")) {
			for (size_t k = 0; k < sizeof(scenarios) / sizeof(scenarios[0]); k++)
				printf("%s\n", scenarios[k].name);
			return 0;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(argv[i], "--policy") && i + 1 < argc) {
			policy = argv[++i];
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 0);
		} else if (argv[i][0] != '-' && !scen) {
			scen = argv[i];
		} else {
			usage();
			return 2;
		}
	}
	for (size_t k = 0; scen && k < sizeof(scenarios) / sizeof(scenarios[0]); k++)
		if (!strcmp(scen, scenarios[k].name))
			which = (int)k;
	for (size_t k = 0; k < sizeof(policy_groups) / sizeof(policy_groups[0]); k++) {
		const char *p = policy_groups[k].names;
		size_t n = strlen(policy);

		while ((p = strstr(p, policy)) != NULL) {
			if ((p == policy_groups[k].names || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
				g.wins = policy_groups[k].wins;
			p += n;
		}
	}
	if (which < 0 || !out || !g.wins) {
		usage();
		return 2;
	}
	pcapw_rng_seed(&g.rng, seed);
	pcapw_opts_default(&wo);
	rc = pcapw_open(out, &wo, &g.w);
	if (rc) {
		fprintf(stderr, "gen_evasion: %s: %s\n", out, strerror(-rc));
		return 1;
	}
	scenarios[which].fn(&g);
	rc = pcapw_close(g.w);
	if (rc) {
		fprintf(stderr, "gen_evasion: %s: %s\n", out, strerror(-rc));
		return 1;
	}
	return 0;
}
