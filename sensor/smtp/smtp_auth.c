/*
 * smtp_auth.c — AUTH (RFC 4954): the mechanism, the user name, the outcome.
 * Never a password: credentials are decoded into a stack buffer that is
 * wiped before return, the COMMAND event of an AUTH line stops after the
 * mechanism, and a pool block that held an AUTH line goes back wiped
 * (smtp.c, s->auth_wipe).
 *
 * The exchange (section 4): "AUTH mech [initial-response]", then the
 * server sends 334 challenges and each client line answers one, until a
 * final reply: 235 success, 4xx/5xx failure; a client line "*" cancels
 * (the server then says 501). The client's answer lines are not commands
 * (s->cli_state SMTP_CLI_AUTH; no COMMAND event, no FIFO entry), and the
 * 334s do not take the AUTH off the FIFO (smtp_reply.c).
 *
 * How many answer lines: a passive sensor cannot rely on seeing the 334s
 * in time, so each mechanism has the count a successful exchange needs
 * (PLAIN 1 with no initial response, LOGIN 2 (user, password) or 1 after
 * an initial response, CRAM-MD5 1, XOAUTH2/OAUTHBEARER 1 without an
 * initial response), taken even before the 334s are seen (a client that
 * pipelines a command behind "AUTH PLAIN" has it read as the response by
 * the server too). The final reply ends the exchange early; the count
 * caps it, so a server that never answers cannot make commands disappear.
 * Beyond the count, and for the other mechanisms (GSSAPI, SCRAM, NTLM)
 * from the start, each 334 seen asks for exactly one more line (an
 * OAUTHBEARER/XOAUTH2 error challenge, a SCRAM step): commands sent
 * behind an AUTH the server refuses at once (504) stay commands. At most
 * 32 lines per exchange.
 *
 * User names: PLAIN "authzid NUL authcid NUL passwd" (RFC 4616): the
 * authcid, else the authzid; LOGIN: its first answer; CRAM-MD5 (RFC 2195):
 * "user digest" up to the space; XOAUTH2: "user=" up to ^A; OAUTHBEARER
 * (RFC 7628): "a=" in the GS2 header up to ','.
 *
 * SMTP_EV_AUTH fires once per exchange: at its final reply, or, with no
 * server side, when the client's part is over (state PENDING), or when
 * the server's direction ends first.
 */
#include "smtp_int.h"

#include <string.h>

enum auth_mech_id {
	AUTH_OTHER = 0, AUTH_PLAIN, AUTH_LOGIN, AUTH_CRAM_MD5, AUTH_XOAUTH2,
	AUTH_OAUTHBEARER,
};

/* SASL mechanism names are at most 20 characters (RFC 4422 section 3.1);
 * a longer word is kept cut. */
#define AUTH_MECH_MAX 32
#define AUTH_USER_MAX 255
/* Client lines one exchange may take, 334s or not. */
#define AUTH_STEPS_MAX 32

const char *smtp_auth_state_name(enum smtp_auth_state st)
{
	switch (st) {
	case SMTP_AUTH_NONE: return "NONE";
	case SMTP_AUTH_PENDING: return "PENDING";
	case SMTP_AUTH_SUCCESS: return "SUCCESS";
	case SMTP_AUTH_FAILURE: return "FAILURE";
	case SMTP_AUTH_CANCELLED: return "CANCELLED";
	}
	return "?";
}

static bool is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* base64 value of c, -1 for anything else. */
static int b64_val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode base64 (RFC 4648 section 4) into out[0..cap): stops at '=', at
 * any other non-alphabet byte and when out is full. Returns the length. */
static size_t b64_decode(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n && o < cap; i++) {
		int v = b64_val(p[i]);

		if (v < 0)
			break;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o;
}

/* A user name ends at a control byte: whatever follows a NUL or ^A in a
 * decoded response is another field, maybe the password. */
static void set_user(struct smtp_session *s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f) {
			n = i;
			break;
		}
	if (s->auth_user.ptr || n == 0)
		return;
	smtp_strdup(s, &s->auth_arena, &s->auth_user, p,
		    n < AUTH_USER_MAX ? n : AUTH_USER_MAX);
}

/* Bytes of d[0..n) from `from` up to the first byte in stop (or the end). */
static size_t span_until(const uint8_t *d, size_t n, size_t from, const char *stop)
{
	size_t i = from;

	while (i < n && !strchr(stop, d[i]))
		i++;
	return i - from;
}

/* One client response (the initial response or an answer line), base64,
 * CR LF stripped. step: its index in the exchange. */
static void auth_response(struct smtp_session *s, const uint8_t *p, size_t n,
			  unsigned step)
{
	uint8_t d[512] = { 0 };
	size_t dn, a, b, at;

	if (step != 0 || !p)
		return;         /* only first responses name the user */
	dn = b64_decode(p, n, d, sizeof(d));
	switch (s->auth_mech_id) {
	case AUTH_PLAIN:
		/* Not "x NUL y NUL z" (a response cut by a gap, or not
		 * PLAIN at all): no field can be told from the password. */
		a = span_until(d, dn, 0, "");           /* up to the NUL */
		b = a < dn ? span_until(d, dn, a + 1, "") : 0;
		if (a + 1 + b >= dn)
			break;
		if (b)
			set_user(s, d + a + 1, b);
		else
			set_user(s, d, a);
		break;
	case AUTH_LOGIN:
		set_user(s, d, dn);
		break;
	case AUTH_CRAM_MD5:
		a = span_until(d, dn, 0, " ");
		if (a < dn)
			set_user(s, d, a);
		break;
	case AUTH_XOAUTH2:
		/* "user=" name ^A "auth=Bearer " token ^A ^A. The name is a
		 * mail address: it ends at ^A, and a blank is no part of it
		 * (the token follows one). */
		if (dn > 5 && memcmp(d, "user=", 5) == 0) {
			a = span_until(d, dn, 5, "\001 ");
			if (5 + a < dn && d[5 + a] == '\001')
				set_user(s, d + 5, a);
		}
		break;
	case AUTH_OAUTHBEARER:
		/* RFC 7628 section 3.1: gs2-header = cbind-flag "," ["a="
		 * saslname] "," and then ^A key=value pairs. */
		a = span_until(d, dn, 0, ",\001");
		if (a < dn && d[a] == ',' && dn - a > 3 && d[a + 1] == 'a' &&
		    d[a + 2] == '=') {
			at = a + 3;
			b = span_until(d, dn, at, ",\001 ");
			if (at + b < dn && d[at + b] == ',')
				set_user(s, d + at, b);
		}
		break;
	default:
		break;
	}
	/* The rest of d is a password or a token. */
	memset(d, 0, sizeof(d));
	__asm__ __volatile__("" : : "r"(d) : "memory");
}

static void auth_emit(struct smtp_session *s)
{
	if (s->auth_done || s->auth_state == SMTP_AUTH_NONE)
		return;
	s->auth_done = true;
	smtp_emit(s, SMTP_EV_AUTH, SMTP_VERB_AUTH, s->auth_reply,
		  (const uint8_t *)s->auth_mech.ptr, s->auth_mech.len,
		  smtp_current_tx(s));
}

/* The client's part is over: without a server side nothing else will
 * tell the outcome. */
static void client_done(struct smtp_session *s)
{
	if (s->cli_state == SMTP_CLI_AUTH)
		s->cli_state = SMTP_CLI_CMD;
	if (!smtp_replies_expected(s))
		auth_emit(s);
}

size_t smtp_auth_visible_len(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len && !is_blank(p[i]))
		i++;
	while (i < len && is_blank(p[i]))
		i++;
	while (i < len && !is_blank(p[i]))
		i++;
	return i;
}

void smtp_auth_command(struct smtp_session *s, const struct smtp_cmd *c)
{
	uint8_t mech[AUTH_MECH_MAX];
	size_t m = 0, i = 0, ir_len;
	const uint8_t *ir;
	bool has_ir;
	unsigned lines;

	s->auth_wipe = true;
	/* An exchange whose outcome was never seen. */
	auth_emit(s);
	s->stats->auth++;
	mt_arena_reset(&s->auth_arena);
	s->auth_mech = s->auth_user = (struct smtp_str){ 0 };
	s->auth_reply = 0;
	s->auth_state = SMTP_AUTH_PENDING;
	s->auth_done = false;
	s->auth_step = 0;

	for (; i < c->arg_len && !is_blank(c->arg[i]); i++)
		if (m < sizeof(mech))
			mech[m++] = c->arg[i] >= 'a' && c->arg[i] <= 'z'
				    ? (uint8_t)(c->arg[i] - 'a' + 'A') : c->arg[i];
	while (i < c->arg_len && is_blank(c->arg[i]))
		i++;
	ir = c->arg + i;
	ir_len = c->arg_len - i;
	has_ir = ir_len > 0;
	smtp_strdup(s, &s->auth_arena, &s->auth_mech, mech, m);

#define MECH(name) (m == sizeof(name) - 1 && memcmp(mech, name, m) == 0)
	if (MECH("PLAIN")) {
		s->auth_mech_id = AUTH_PLAIN;
		lines = 1;
	} else if (MECH("LOGIN")) {
		s->auth_mech_id = AUTH_LOGIN;
		lines = 2;
	} else if (MECH("CRAM-MD5")) {
		s->auth_mech_id = AUTH_CRAM_MD5;
		lines = 1;
	} else if (MECH("XOAUTH2")) {
		s->auth_mech_id = AUTH_XOAUTH2;
		lines = 1;
	} else if (MECH("OAUTHBEARER")) {
		s->auth_mech_id = AUTH_OAUTHBEARER;
		lines = 1;
	} else {
		s->auth_mech_id = AUTH_OTHER;
		lines = 0;      /* paced by the 334s */
	}
#undef MECH
	if (m == 0)
		smtp_anomaly(s, "invalid_auth");
	/* RFC 4954 section 4: "=" is an empty initial response. */
	if (has_ir) {
		if (!(ir_len == 1 && ir[0] == '='))
			auth_response(s, ir, ir_len, 0);
		s->auth_step = 1;
		lines = s->auth_mech_id == AUTH_LOGIN ? 2 : 1;
	}
	s->auth_lines = (uint8_t)lines;
	if (s->auth_step < s->auth_lines)
		s->cli_state = SMTP_CLI_AUTH;
	else
		client_done(s);
}

void smtp_auth_line(struct smtp_session *s, const uint8_t *p, size_t len)
{
	s->auth_wipe = true;
	if (p && len && p[len - 1] == '\r')
		len--;
	if (p && len == 1 && p[0] == '*') {
		/* Section 4: the client cancels. */
		s->auth_state = SMTP_AUTH_CANCELLED;
		client_done(s);
		return;
	}
	auth_response(s, p, len, s->auth_step);
	if (s->auth_step < AUTH_STEPS_MAX)
		s->auth_step++;
	if (s->auth_step >= s->auth_lines)
		client_done(s);
}

void smtp_auth_challenge(struct smtp_session *s)
{
	if (s->auth_state == SMTP_AUTH_NONE || s->auth_done ||
	    s->cli_state != SMTP_CLI_CMD || s->auth_step >= AUTH_STEPS_MAX)
		return;
	/* RFC 7628 section 3.2.3: after an error challenge the client
	 * sends one more (dummy) line; XOAUTH2 clients an empty one. */
	s->auth_lines = (uint8_t)(s->auth_step + 1);
	s->cli_state = SMTP_CLI_AUTH;
}

void smtp_auth_reply(struct smtp_session *s, uint16_t code)
{
	if (s->auth_state == SMTP_AUTH_NONE || s->auth_done)
		return;
	if (s->cli_state == SMTP_CLI_AUTH)
		s->cli_state = SMTP_CLI_CMD;
	s->auth_reply = code;
	if (code >= 200 && code < 300) {
		s->auth_state = SMTP_AUTH_SUCCESS;
		s->stats->auth_success++;
	} else if (code >= 400) {
		if (s->auth_state != SMTP_AUTH_CANCELLED) {
			s->auth_state = SMTP_AUTH_FAILURE;
			s->stats->auth_failure++;
		}
	}
	auth_emit(s);
}

void smtp_auth_flush(struct smtp_session *s)
{
	auth_emit(s);
}
