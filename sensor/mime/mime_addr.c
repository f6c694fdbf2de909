/*
 * mime_addr — see mime_addr.h.
 *
 * The reader is a single left-to-right pass that knows the three RFC 5322
 * (section 3.2) constructs in which a comma or an angle bracket is not
 * structure: quoted strings (with quoted-pairs), comments (nested) and the
 * angle-addr itself. It is deliberately lenient — mail in the wild breaks
 * the grammar constantly — and only ever returns slices of its input.
 */
#include "mime_addr.h"

#include <string.h>
#include <strings.h>

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct mime_slice trimmed(const char *p, size_t n)
{
	while (n && blank(*p))
		p++, n--;
	while (n && blank(p[n - 1]))
		n--;
	return (struct mime_slice){ n ? p : NULL, n };
}

bool mime_mailbox_parse(const char *v, size_t n, struct mime_mailbox *out)
{
	size_t start = 0, lt = (size_t)-1, gt = (size_t)-1, end = n;
	int paren = 0;
	bool quoted = false, first_done = false;

	memset(out, 0, sizeof(*out));
	if (!v)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (quoted) {
			if (c == '\\')
				i++;
			else if (c == '"')
				quoted = false;
			continue;
		}
		if (paren) {
			if (c == '\\')
				i++;
			else if (c == '(')
				paren++;
			else if (c == ')')
				paren--;
			continue;
		}
		if (c == '"')
			quoted = true;
		else if (c == '(')
			paren = 1;
		else if (c == '<' && lt == (size_t)-1)
			lt = i;
		else if (c == '>' && lt != (size_t)-1 && gt == (size_t)-1)
			gt = i;
		else if (c == ':' && lt == (size_t)-1)
			start = i + 1;      /* group "name:" (section 3.4) */
		else if ((c == ',' || c == ';') && (lt == (size_t)-1 || gt != (size_t)-1)) {
			struct mime_slice rest = trimmed(v + start, i - start);

			if (!rest.len && lt == (size_t)-1) {
				start = i + 1;  /* empty list element */
				continue;
			}
			end = i;
			first_done = true;
			break;
		}
	}
	if (!first_done && trimmed(v + start, end - start).len)
		out->count = 1;
	else if (first_done) {
		/* Count the further non-empty elements (comments in them
		 * are not looked into: a count, not a parse). */
		size_t j = end + 1;
		unsigned more = 0;
		bool any = false;

		quoted = false;
		paren = 0;
		for (; j < n; j++) {
			char c = v[j];

			if (quoted) {
				if (c == '\\')
					j++;
				else if (c == '"')
					quoted = false;
				any = true;
				continue;
			}
			if (c == '"')
				quoted = any = true;
			else if (c == ',' || c == ';') {
				more += any;
				any = false;
			} else if (!blank(c))
				any = true;
		}
		out->count = 1 + more + any;
	}
	if (lt != (size_t)-1) {
		size_t close = gt != (size_t)-1 ? gt : end;
		struct mime_slice d = trimmed(v + start, lt - start);

		if (d.len >= 2 && d.ptr[0] == '"' && d.ptr[d.len - 1] == '"')
			d = trimmed(d.ptr + 1, d.len - 2);
		out->display = d;
		out->addr = trimmed(v + lt + 1, close > lt ? close - lt - 1 : 0);
	} else {
		/* A bare addr-spec: its first token, comments left out. */
		size_t i = start, j;

		while (i < end && (blank(v[i]) || v[i] == '(')) {
			if (v[i++] != '(')
				continue;
			while (i < end && v[i] != ')')
				i++;
			i += i < end;       /* the ')' */
		}
		j = i;
		while (j < end && !blank(v[j]) && v[j] != '(')
			j++;
		out->addr = (struct mime_slice){ j > i ? v + i : NULL, j - i };
	}
	return out->addr.len && memchr(out->addr.ptr, '@', out->addr.len);
}

struct mime_slice mime_path_addr(const char *v, size_t n)
{
	struct mime_slice s = trimmed(v, v ? n : 0);

	if (s.len && s.ptr[0] == '<') {
		const char *gt = memchr(s.ptr, '>', s.len);

		s = trimmed(s.ptr + 1, gt ? (size_t)(gt - s.ptr) - 1 : s.len - 1);
	}
	/* A source route (RFC 5321 4.1.2 "@a,@b:user@host") is obsolete;
	 * the mailbox is what follows the colon. */
	if (s.len && s.ptr[0] == '@') {
		const char *colon = memchr(s.ptr, ':', s.len);

		if (colon)
			s = trimmed(colon + 1, s.len - (size_t)(colon + 1 - s.ptr));
	}
	return s;
}

struct mime_slice mime_addr_domain(struct mime_slice a)
{
	for (size_t i = a.len; i-- > 0;)
		if (a.ptr[i] == '@') {
			struct mime_slice d = { a.ptr + i + 1, a.len - i - 1 };

			while (d.len && d.ptr[d.len - 1] == '.')
				d.len--;    /* "example.com." is example.com */
			return d.len ? d : (struct mime_slice){ NULL, 0 };
		}
	return (struct mime_slice){ NULL, 0 };
}

static bool ieq(struct mime_slice a, struct mime_slice b)
{
	return a.len == b.len && (a.len == 0 || strncasecmp(a.ptr, b.ptr, a.len) == 0);
}

/* a is b or a subdomain of b ("mx.example.com" under "example.com"). */
static bool under(struct mime_slice a, struct mime_slice b)
{
	if (!b.len || a.len <= b.len)
		return ieq(a, b) && a.len;
	return a.ptr[a.len - b.len - 1] == '.' &&
		strncasecmp(a.ptr + a.len - b.len, b.ptr, b.len) == 0;
}

static bool related(struct mime_slice a, struct mime_slice b)
{
	return under(a, b) || under(b, a);
}

enum mime_sender_rel mime_sender_relation(struct mime_slice env, struct mime_slice hdr)
{
	struct mime_slice de = mime_addr_domain(env), dh = mime_addr_domain(hdr);

	if (!hdr.len || !dh.len)
		return MIME_SENDER_NO_HEADER;
	if (!env.ptr)
		return MIME_SENDER_NO_ENVELOPE;
	if (!env.len)
		return MIME_SENDER_NULL;
	if (ieq(env, hdr))
		return MIME_SENDER_SAME;
	if (ieq(de, dh) && de.len)
		return MIME_SENDER_SAME_DOMAIN;
	if (de.len && related(de, dh))
		return MIME_SENDER_RELATED_DOMAIN;
	return MIME_SENDER_DIFFERENT;
}

const char *mime_sender_rel_name(enum mime_sender_rel r)
{
	static const char *const names[] = {
		[MIME_SENDER_SAME] = "same",
		[MIME_SENDER_SAME_DOMAIN] = "same_domain",
		[MIME_SENDER_RELATED_DOMAIN] = "related_domain",
		[MIME_SENDER_DIFFERENT] = "different",
		[MIME_SENDER_NULL] = "null_sender",
		[MIME_SENDER_NO_HEADER] = "no_header_from",
		[MIME_SENDER_NO_ENVELOPE] = "no_envelope",
	};
	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

static bool local_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-/=?^_`{|}~.", c));
}

static bool domain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '.';
}

bool mime_display_spoof(const struct mime_mailbox *mb, struct mime_slice *shown)
{
	struct mime_slice d = mb->display, own = mime_addr_domain(mb->addr);

	for (size_t i = 0; i < d.len; i++) {
		size_t l = i, r = i + 1;
		struct mime_slice addr, dom;

		if (d.ptr[i] != '@')
			continue;
		while (l > 0 && local_char(d.ptr[l - 1]))
			l--;
		while (r < d.len && domain_char(d.ptr[r]))
			r++;
		while (r > i + 1 && d.ptr[r - 1] == '.')
			r--;
		if (l == i || r == i + 1 || !memchr(d.ptr + i + 1, '.', r - i - 1))
			continue;
		addr = (struct mime_slice){ d.ptr + l, r - l };
		dom = mime_addr_domain(addr);
		if (own.len && related(dom, own))
			continue;
		if (shown)
			*shown = addr;
		return true;
	}
	return false;
}
