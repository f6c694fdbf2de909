/*
 * gen_common — the pieces smtpgen and lingen share; see gen_common.h for
 * what each holds and the invariant they keep (the random draws of every
 * helper are fixed: the generators' output depends on them).
 */
#include "gen_common.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* getopt_long's value for opts[i]: past every short option character. */
#define GEN_OPT_VAL 256

/* ------------------------------------------------------------------ */
/* Command line. */

/* A decimal in [min, max]; with size, an optional k or m suffix
 * multiplies it (a product past max is out of range, not wrapped); with
 * pct, an optional '%' follows. */
static int parse_value(const char *s, uint64_t min, uint64_t max, bool size, bool pct,
		       uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (size && (*end == 'k' || *end == 'K')) {
		shift = 10;
		end++;
	} else if (size && (*end == 'm' || *end == 'M')) {
		shift = 20;
		end++;
	} else if (pct && *end == '%') {
		end++;
	}
	if (*end || v > (max >> shift) || (v << shift) < min)
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int gen_opt_bad(const char *prog, const char *name, const char *arg, gen_usage_fn usage)
{
	fprintf(stderr, "%s: bad value for --%s: %s\n", prog, name, arg ? arg : "");
	usage(stderr);
	return 2;
}

int gen_opt_choice(const char *arg, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(arg, names[i]) == 0)
			return (int)i;
	return -1;
}

/* Store the argument of option o; returns 0, or the exit status after
 * saying what is wrong. */
static int opt_store(const char *prog, const struct gen_opt *o, int argc, char **argv,
		     gen_usage_fn usage)
{
	uint64_t v;

	switch (o->kind) {
	case GEN_OPT_STRING:
		*o->str = optarg;
		break;
	case GEN_OPT_NUMBER:
	case GEN_OPT_SIZE:
		if (parse_value(optarg, o->min, o->max, o->kind == GEN_OPT_SIZE, false, o->num))
			return gen_opt_bad(prog, o->name, optarg, usage);
		break;
	case GEN_OPT_PERCENT:
		if (parse_value(optarg, 0, 100, false, true, &v))
			return gen_opt_bad(prog, o->name, optarg, usage);
		*o->pct = (unsigned)v;
		break;
	case GEN_OPT_FILE_COUNT:
		if (optind >= argc || parse_value(argv[optind], o->min, o->max, false, false, o->num)) {
			fprintf(stderr, "%s: --%s takes a file and a count\n", prog, o->name);
			usage(stderr);
			return 2;
		}
		*o->str = optarg;
		optind++;
		break;
	}
	if (o->seen)
		*o->seen = true;
	return 0;
}

int gen_opts_parse(const char *prog, int argc, char **argv, const struct gen_opt *opts,
		   size_t nopts, gen_usage_fn usage)
{
	struct option lopts[GEN_OPTS_MAX + 2];
	bool given[GEN_OPTS_MAX] = { false };
	int opt, rc;

	assert(nopts <= GEN_OPTS_MAX);
	for (size_t i = 0; i < nopts; i++)
		lopts[i] = (struct option){ opts[i].name, required_argument, NULL,
					    GEN_OPT_VAL + (int)i };
	lopts[nopts] = (struct option){ "help", no_argument, NULL, 'h' };
	lopts[nopts + 1] = (struct option){ NULL, 0, NULL, 0 };
	/* '+': stop at the first operand, which is then an error. */
	while ((opt = getopt_long(argc, argv, "+h", lopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt < GEN_OPT_VAL) {        /* getopt said what it was */
			usage(stderr);
			return 2;
		}
		given[opt - GEN_OPT_VAL] = true;
		rc = opt_store(prog, &opts[opt - GEN_OPT_VAL], argc, argv, usage);
		if (rc)
			return rc;
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument: %s\n", prog, argv[optind]);
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < nopts; i++) {
		if (opts[i].required && !given[i]) {
			fprintf(stderr, "%s: --%s is required\n", prog, opts[i].name);
			usage(stderr);
			return 2;
		}
	}
	return GEN_OPTS_GO_ON;
}

/* ------------------------------------------------------------------ */
/* Encoding and random content. */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void gen_b64_quad(const uint8_t *in, size_t n, char out[4])
{
	uint32_t v;

	assert(n >= 1 && n <= 3);
	v = (uint32_t)in[0] << 16 | (n > 1 ? (uint32_t)in[1] << 8 : 0) | (n > 2 ? in[2] : 0);
	out[0] = b64_alphabet[v >> 18];
	out[1] = b64_alphabet[(v >> 12) & 63];
	out[2] = n > 1 ? b64_alphabet[(v >> 6) & 63] : '=';
	out[3] = n > 2 ? b64_alphabet[v & 63] : '=';
}

size_t gen_b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3, o += 4)
		gen_b64_quad(in + i, n - i < 3 ? n - i : 3, out + o);
	return o;
}

void gen_rng_bytes(struct pcapw_rng *r, uint8_t *p, size_t n)
{
	while (n) {
		uint64_t v = pcapw_rng_next(r);
		size_t k = n < 8 ? n : 8;

		for (size_t i = 0; i < k; i++)
			p[i] = (uint8_t)(v >> (8 * i));
		p += k;
		n -= k;
	}
}

const char *gen_pick(struct pcapw_rng *r, const char *const *list, size_t n)
{
	return list[pcapw_rng_below(r, n)];
}

/* ------------------------------------------------------------------ */
/* Sessions: the TCP side. */

uint64_t gen_sess_seed(uint64_t seed, uint32_t id)
{
	return seed * 0x9e3779b97f4a7c15ull + id * 0xda942042e4dd58b5ull + 1;
}

uint32_t gen_client_v4(uint32_t id)
{
	return 0x0a000001u + id;
}

void gen_endpoint_v4(struct pcapw_endpoint *e, uint32_t a, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->family = 4;
	e->addr[0] = (uint8_t)(a >> 24);
	e->addr[1] = (uint8_t)(a >> 16);
	e->addr[2] = (uint8_t)(a >> 8);
	e->addr[3] = (uint8_t)a;
	e->port = port;
}

void gen_conn_opts(struct pcapw_conn_opts *co, struct pcapw_rng *r)
{
	pcapw_conn_opts_default(co);
	co->isn[PCAPW_CLIENT] = (uint32_t)pcapw_rng_next(r);
	co->isn[PCAPW_SERVER] = (uint32_t)pcapw_rng_next(r);
	co->syn_options = PCAPW_SYN_MSS | PCAPW_SYN_SACKOK;
}

int gen_conn_ctl(struct pcapw_conn *c, enum gen_ctl k)
{
	switch (k) {
	case GEN_CTL_SYN:
		return pcapw_conn_syn(c, PCAPW_CLIENT);
	case GEN_CTL_SYNACK:
		return pcapw_conn_syn(c, PCAPW_SERVER);
	case GEN_CTL_ACK:
		return pcapw_conn_ack(c, PCAPW_CLIENT);
	case GEN_CTL_FIN_SERVER:
		return pcapw_conn_fin(c, PCAPW_SERVER);
	case GEN_CTL_FIN_CLIENT:
		return pcapw_conn_fin(c, PCAPW_CLIENT);
	case GEN_CTL_LAST_ACK:
		return pcapw_conn_ack(c, PCAPW_SERVER);
	}
	return -EINVAL;
}
