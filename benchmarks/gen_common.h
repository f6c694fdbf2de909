/*
 * gen_common — what the benchmark capture generators (smtpgen, lingen)
 * share: their command-line parsing (a table of --name ARG options:
 * decimal counts, k/m sizes, percentages, strings), base64 encoding,
 * seeded random bytes and word picks, and the TCP side of an SMTP
 * session written packet by packet (endpoints, connection options, the
 * handshake and close packets).
 *
 * Invariants. Everything is a pure function of its arguments and of the
 * pcapw_rng passed in, whose draws are part of the contract: a generator's
 * output is byte-identical as long as the helpers draw the same numbers in
 * the same order, so they never draw more or fewer than documented (a
 * change here changes what both generators write for a given seed).
 * Random bytes are taken from each 64-bit draw low byte first, on any
 * host. Nothing allocates; the option parser prints its messages and
 * never exits.
 */
#ifndef MT_GEN_COMMON_H
#define MT_GEN_COMMON_H

#include "pcapw.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------------ */
/* Command line. */

enum gen_opt_kind {
	GEN_OPT_STRING,         /* *str = ARG */
	GEN_OPT_NUMBER,         /* *num = ARG, a decimal in [min, max] */
	GEN_OPT_SIZE,           /* *num = ARG, a decimal with an optional k or m
				 * suffix (x 1024, x 1048576), in [min, max] */
	GEN_OPT_PERCENT,        /* *pct = ARG, a decimal 0..100, '%' optional */
	GEN_OPT_FILE_COUNT,     /* *str = ARG, *num = the word after it, a
				 * decimal in [min, max] ("--rules-out R N") */
};

/* One --name ARG option. Unused pointers stay NULL; seen, if set, is made
 * true when the option is given; required options missing are an error. */
struct gen_opt {
	const char *name;
	enum gen_opt_kind kind;
	const char **str;
	uint64_t *num;
	unsigned *pct;
	uint64_t min, max;
	bool *seen;
	bool required;
};

#define GEN_OPTS_MAX    32u
#define GEN_OPTS_GO_ON  (-1)

typedef void (*gen_usage_fn)(FILE *f);

/*
 * Parse argv[1..argc) against opts[0..nopts) (at most GEN_OPTS_MAX), plus
 * --help / -h; no operands are allowed. prog prefixes the messages, usage
 * prints the program's help. Returns GEN_OPTS_GO_ON when every option was
 * parsed and stored, else the status main should exit with: 0 after
 * --help (usage on stdout), 2 after an unknown option, a bad or missing
 * value or an operand (said on stderr, then the usage). Stored values
 * point into argv or are copies.
 */
int gen_opts_parse(const char *prog, int argc, char **argv, const struct gen_opt *opts,
		   size_t nopts, gen_usage_fn usage);

/* Report a bad value for --name found after parsing ("prog: bad value for
 * --name: arg", then the usage on stderr); returns 2, the exit status. */
int gen_opt_bad(const char *prog, const char *name, const char *arg, gen_usage_fn usage);

/* The index of arg among names[0..n), or -1. */
int gen_opt_choice(const char *arg, const char *const *names, size_t n);

/* ------------------------------------------------------------------ */
/* Encoding and random content. */

/* Base64 (RFC 2045 6.8) of in[0..n), n of 1..3, as the 4 characters of
 * out, '='-padded when n < 3. */
void gen_b64_quad(const uint8_t *in, size_t n, char out[4]);

/* Base64 of in[0..n) into out, which has room for 4 * ceil(n / 3)
 * characters; no line breaks, no NUL. Returns the characters written. */
size_t gen_b64_encode(const uint8_t *in, size_t n, char *out);

/* n bytes from ceil(n / 8) draws of r, each draw's low byte first. */
void gen_rng_bytes(struct pcapw_rng *r, uint8_t *p, size_t n);

/* One of list[0..n), uniformly: one draw of r. */
const char *gen_pick(struct pcapw_rng *r, const char *const *list, size_t n);

#define GEN_PICK(r, list) gen_pick((r), (list), sizeof(list) / sizeof((list)[0]))

/* ------------------------------------------------------------------ */
/* Sessions: the TCP side. */

/* The seed of session id's own generator: sessions differ, and session
 * content does not depend on which others run beside it. */
uint64_t gen_sess_seed(uint64_t seed, uint32_t id);

/* Session id's IPv4 client address, host order: 10.0.0.1 + id. */
uint32_t gen_client_v4(uint32_t id);

/* e = the IPv4 address a (host order) and port. */
void gen_endpoint_v4(struct pcapw_endpoint *e, uint32_t a, uint16_t port);

/* co = pcapw's defaults with MSS and SACK-permitted on the SYNs and the
 * ISNs drawn from r (two draws: client, then server). */
void gen_conn_opts(struct pcapw_conn_opts *co, struct pcapw_rng *r);

/* The packets that open and close a connection, in order: the three-way
 * handshake (RFC 9293 3.5), then a server-first close, as an SMTP server
 * closes after its 221 (RFC 5321 4.1.1.10). */
enum gen_ctl {
	GEN_CTL_SYN, GEN_CTL_SYNACK, GEN_CTL_ACK,
	GEN_CTL_FIN_SERVER, GEN_CTL_FIN_CLIENT, GEN_CTL_LAST_ACK,
};

/* Write the packet k of c. Returns 0 or -errno (as pcapw_write_tcp). */
int gen_conn_ctl(struct pcapw_conn *c, enum gen_ctl k);

#endif
