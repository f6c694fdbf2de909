/*
 * url — the text scanner, URL finishing (refang, trim, case), the
 * per-part duplicate filter and the public API. See url.h for what is
 * found; url_html.c holds the HTML tokenizer.
 *
 * The text scanner is one byte loop with no lookbehind and no rescan. It
 * keeps the current run of letters (at most 8) as a scheme token; when a
 * non-letter follows a token naming an enabled scheme at a word start, it
 * matches that byte and the next few against the scheme's separators
 * ("://", "[:]//", ".", "[.]"...). The bytes consumed while matching are
 * kept (at most 6); if the match fails they are replayed once through the
 * scanner, which cannot start another separator match from them (they hold
 * no scheme token), so every input byte is scanned at most twice. A
 * matched URL is collected into a pool block up to max_len, and finished
 * once at its end: a constant number of passes over at most max_len bytes.
 *
 * Invariants: st->len <= st->max_len <= block_size - 16 (room for the
 * canonical prefix rewrite in url_attr_end); st->buf is non-NULL whenever
 * ts == TS_URL or an attribute URL is being collected; the duplicate
 * filter is at most 3/4 full, so a probe always ends.
 */
#include "url_int.h"

#include <errno.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The scheme tokens recognised, fanged and defanged. `canon` is what is
 * logged in place of the token and its separator. */
struct url_scheme {
	const char *tok;
	uint8_t toklen;
	uint8_t defanged;        /* the token itself is a defanged form */
	uint32_t bit;            /* URL_SCHEME_* */
	const char *canon;
	uint8_t canon_len;
	const char *const *seps; /* separators; seps[0] is the fanged one */
};

static const char *const seps_slash[] = { "://", "[:]//", "[://]", NULL };
static const char *const seps_mailto[] = { ":", "[:]", NULL };
static const char *const seps_www[] = { ".", "[.]", "(.)", "{.}", "[dot]", NULL };

enum { K_HTTP, K_HTTPS, K_FTP, K_MAILTO, K_HXXP, K_HXXPS, K_FXP, K_WWW, K_COUNT };

static const struct url_scheme url_schemes[K_COUNT] = {
	[K_HTTP] = { "http", 4, 0, URL_SCHEME_HTTP, "http://", 7, seps_slash },
	[K_HTTPS] = { "https", 5, 0, URL_SCHEME_HTTPS, "https://", 8, seps_slash },
	[K_FTP] = { "ftp", 3, 0, URL_SCHEME_FTP, "ftp://", 6, seps_slash },
	[K_MAILTO] = { "mailto", 6, 0, URL_SCHEME_MAILTO, "mailto:", 7, seps_mailto },
	[K_HXXP] = { "hxxp", 4, 1, URL_SCHEME_HTTP, "http://", 7, seps_slash },
	[K_HXXPS] = { "hxxps", 5, 1, URL_SCHEME_HTTPS, "https://", 8, seps_slash },
	[K_FXP] = { "fxp", 3, 1, URL_SCHEME_FTP, "ftp://", 6, seps_slash },
	[K_WWW] = { "www", 3, 0, URL_SCHEME_WWW, "www.", 4, seps_www },
};

#define URL_TOK_MAX 6u            /* longest token in url_schemes */
#define URL_BLOCK_MIN 256u
#define URL_BLOCK_SLACK 16u
#define URL_MAX_LEN_MIN 16u

void url_config_default(struct url_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->schemes = URL_SCHEMES_DEFAULT;
	cfg->flags = URL_CFG_DEFANG;
	cfg->max_len = URL_MAX_LEN_DEFAULT;
	cfg->max_urls = URL_MAX_URLS_DEFAULT;
}

int url_config_set_schemes(struct url_config *cfg, const char *list)
{
	static const struct { const char *name; uint32_t bit; } names[] = {
		{ "http", URL_SCHEME_HTTP }, { "https", URL_SCHEME_HTTPS },
		{ "ftp", URL_SCHEME_FTP }, { "mailto", URL_SCHEME_MAILTO },
		{ "www", URL_SCHEME_WWW },
	};
	uint32_t bits = 0;
	const char *p = list;

	if (!p)
		return -EINVAL;
	while (*p) {
		size_t n = 0;
		bool found = false;

		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		while (p[n] && p[n] != ',' && p[n] != ' ' && p[n] != '\t')
			n++;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strlen(names[i].name) == n &&
			    strncasecmp(names[i].name, p, n) == 0) {
				bits |= names[i].bit;
				found = true;
			}
		}
		if (!found)
			return -EINVAL;
		p += n;
	}
	if (!bits)
		return -EINVAL;
	cfg->schemes = bits;
	return 0;
}

int url_state_init(struct url_state *st, const struct url_config *cfg,
		   struct mt_blockpool *pool, enum url_mode mode,
		   url_emit_fn emit, void *user)
{
	uint32_t slots;

	memset(st, 0, sizeof(*st));
	if (!pool || pool->block_size < URL_BLOCK_MIN || !cfg || !emit)
		return -EINVAL;
	st->cfg = cfg;
	st->pool = pool;
	st->emit = emit;
	st->user = user;
	st->mode = mode == URL_MODE_HTML ? URL_MODE_HTML : URL_MODE_TEXT;
	st->max_len = cfg->max_len;
	if (st->max_len == 0 || st->max_len > pool->block_size - URL_BLOCK_SLACK)
		st->max_len = pool->block_size - URL_BLOCK_SLACK;
	if (st->max_len < URL_MAX_LEN_MIN)   /* room for "https://" and a host */
		st->max_len = URL_MAX_LEN_MIN;
	/* The duplicate filter is one block of 64-bit hashes, a power of two
	 * of them, kept at most 3/4 full so linear probing stays short. */
	slots = 1;
	while (slots * 2 <= pool->block_size / 8)
		slots *= 2;
	st->seen_mask = slots - 1;
	st->max_urls = cfg->max_urls;
	if (st->max_urls > slots / 4 * 3)
		st->max_urls = slots / 4 * 3;
	st->prev = ' ';
	return 0;
}

/* ---- duplicate filter and reporting ---------------------------------- */

static uint64_t url_hash(uint64_t seed, const uint8_t *p, uint32_t n)
{
	uint64_t h = seed ^ 0x9e3779b97f4a7c15ull ^ n;

	for (uint32_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	/* Final avalanche so the low bits (the slot) depend on every byte. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h ? h : 1;
}

/* Report st->buf[0..len) with st->ufl unless seen before in this part. */
static void url_report(struct url_state *st)
{
	uint64_t h;
	uint32_t i;

	if (!st->seen) {
		st->seen = mt_block_get(st->pool);
		if (!st->seen) {
			st->stats.no_mem++;
			return;
		}
		memset(st->seen, 0, (size_t)(st->seen_mask + 1) * 8);
	}
	h = url_hash(st->cfg->hash_seed, st->buf, st->len);
	st->stats.work += st->len;
	for (i = (uint32_t)h & st->seen_mask; st->seen[i]; i = (i + 1) & st->seen_mask) {
		st->stats.work++;
		if (st->seen[i] == h) {
			st->stats.duplicates++;
			return;
		}
	}
	if (st->stats.emitted >= st->max_urls) {
		st->stats.over_cap++;
		return;
	}
	st->seen[i] = h;
	st->stats.emitted++;
	if (st->ufl & URL_F_TRUNCATED)
		st->stats.truncated++;
	if (st->ufl & URL_F_DEFANGED)
		st->stats.defanged++;
	st->emit(st->user, st->buf, st->len, st->ufl);
}

/* ---- finishing a URL ------------------------------------------------- */

static void url_append(struct url_state *st, uint8_t c)
{
	if (st->len < st->max_len)
		st->buf[st->len++] = c;
	else
		st->ufl |= URL_F_TRUNCATED;
}

static bool url_ci_eq(const uint8_t *p, const char *lit, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (url_lower(p[i]) != (uint8_t)lit[i])
			return false;
	return true;
}

/* Replace "[.]" "(.)" "{.}" "[dot]" after `from` by '.', in place. */
static void url_refang(struct url_state *st, uint32_t from)
{
	uint8_t *b = st->buf;
	uint32_t i = from, j = from, n = st->len;

	st->stats.work += n;
	while (i < n) {
		uint8_t c = b[i];

		if (i + 2 < n && b[i + 1] == '.' &&
		    ((c == '[' && b[i + 2] == ']') || (c == '(' && b[i + 2] == ')') ||
		     (c == '{' && b[i + 2] == '}'))) {
			b[j++] = '.';
			i += 3;
			st->ufl |= URL_F_DEFANGED;
		} else if (c == '[' && i + 4 < n && url_ci_eq(b + i + 1, "dot]", 4)) {
			b[j++] = '.';
			i += 5;
			st->ufl |= URL_F_DEFANGED;
		} else {
			b[j++] = c;
			i++;
		}
	}
	st->len = j;
}

/* Drop trailing punctuation the URL was written next to. */
static void url_trim(struct url_state *st, uint32_t from)
{
	int32_t paren = 0, square = 0, curly = 0;
	uint8_t *b = st->buf;

	st->stats.work += st->len;
	for (uint32_t i = from; i < st->len; i++) {
		switch (b[i]) {
		case '(': paren++; break;
		case ')': paren--; break;
		case '[': square++; break;
		case ']': square--; break;
		case '{': curly++; break;
		case '}': curly--; break;
		default: break;
		}
	}
	while (st->len > from) {
		uint8_t c = b[st->len - 1];

		if (strchr(".,;:!?'\"*", c) && c != 0) {
			st->len--;
		} else if (c == ')' && paren < 0) {
			paren++;
			st->len--;
		} else if (c == ']' && square < 0) {
			square++;
			st->len--;
		} else if (c == '}' && curly < 0) {
			curly++;
			st->len--;
		} else {
			break;
		}
		st->stats.work++;
	}
}

/*
 * Check the URL has a host (or address) and lower-case the host. `from` is
 * where the part after the canonical prefix starts. Returns false to drop.
 */
static bool url_host(struct url_state *st, uint32_t from)
{
	uint8_t *b = st->buf;
	uint32_t end = from, host = from;

	if (st->len <= from)
		return false;
	if (st->kind == K_WWW) {
		/* "www." then at least one host byte. */
		if (!url_is_alnum(b[from]) && b[from] < 0x80)
			return false;
		host = 0;
	} else if (st->kind != K_MAILTO && strchr("/?#\\@:", b[from])) {
		return false;
	}
	st->stats.work += st->len;
	/* The authority ends at the path, query or fragment (RFC 3986
	 * section 3.2); the host follows the last '@' in it (userinfo). For
	 * mailto the domain follows the last '@' before the headers ('?'). */
	while (end < st->len && !strchr(st->kind == K_MAILTO ? "?" : "/?#\\", b[end]))
		end++;
	for (uint32_t i = from; i < end; i++)
		if (b[i] == '@')
			host = i + 1;
	if (st->kind == K_MAILTO && host == from)
		host = end;   /* no domain: nothing to fold */
	for (uint32_t i = host; i < end; i++)
		b[i] = url_lower(b[i]);
	return true;
}

/* A text candidate ended (by a terminator, a break or the part's end). */
static void url_finish_text(struct url_state *st)
{
	uint32_t from = url_schemes[st->kind].canon_len;

	if (st->pend_c2) {
		st->pend_c2 = 0;
		url_append(st, 0xc2);
	}
	if (st->cfg->flags & URL_CFG_DEFANG)
		url_refang(st, from);
	if (!(st->ufl & URL_F_TRUNCATED))
		url_trim(st, from);
	if (url_host(st, from))
		url_report(st);
	st->len = 0;
	st->ufl = 0;
}

static bool url_get_buf(struct url_state *st)
{
	if (!st->buf)
		st->buf = mt_block_get(st->pool);
	if (!st->buf) {
		st->stats.no_mem++;
		return false;
	}
	return true;
}

/* ---- text scanner ----------------------------------------------------- */

/* Bytes that end a URL in text: whitespace, controls and the characters
 * that delimit URLs in prose and markup (RFC 3986 appendix C). */
static bool url_text_term(uint8_t c)
{
	return c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"';
}

/* The scheme table entry the current token names, if it may start a URL
 * here; -1 otherwise. */
static int url_token_kind(const struct url_state *st)
{
	uint8_t p = st->tok_prev;

	if (st->toklen == 0 || st->toklen > URL_TOK_MAX)
		return -1;
	for (int k = 0; k < K_COUNT; k++) {
		const struct url_scheme *s = &url_schemes[k];

		if (s->toklen != st->toklen || memcmp(s->tok, st->tok, s->toklen) != 0)
			continue;
		if (!(st->cfg->schemes & s->bit))
			return -1;
		if (s->defanged && !(st->cfg->flags & URL_CFG_DEFANG))
			return -1;
		/* A scheme starts a word; "www." also must not be inside a
		 * host name, a path or an address. */
		if (url_is_alnum(p) || p == '_')
			return -1;
		if (k == K_WWW && (p == '.' || p == '-' || p == '@' || p == '/'))
			return -1;
		return k;
	}
	return -1;
}

static void url_start(struct url_state *st, bool defanged_sep)
{
	const struct url_scheme *s = &url_schemes[st->pfx_kind];

	st->toklen = 0;
	if (!url_get_buf(st)) {
		st->ts = TS_SKIP;
		return;
	}
	memcpy(st->buf, s->canon, s->canon_len);
	st->len = s->canon_len;
	st->kind = st->pfx_kind;
	st->ufl = (s->defanged || defanged_sep) ? URL_F_DEFANGED : 0;
	if (st->kind == K_WWW)
		st->ufl |= URL_F_WWW;
	st->ts = TS_URL;
}

static void url_scan_byte(struct url_state *st, uint8_t c);

/* The separator match failed: scan again what it consumed after its first
 * byte (which, being no letter, only ended the token). */
static void url_prefix_fail(struct url_state *st)
{
	uint8_t replay[sizeof(st->pfx)];
	uint8_t n = st->pfxlen ? (uint8_t)(st->pfxlen - 1) : 0;

	memcpy(replay, st->pfx + 1, n);
	st->ts = TS_SCAN;
	st->toklen = 0;
	st->prev = st->pfx[0];
	st->pfxlen = 0;
	for (uint8_t i = 0; i < n; i++)
		url_text_byte(st, replay[i]);
}

/* st->pfx[0..pfxlen) grew by a byte: a whole separator, a prefix of one,
 * or neither. */
static void url_prefix_check(struct url_state *st)
{
	const struct url_scheme *s = &url_schemes[st->pfx_kind];
	bool partial = false;

	for (int i = 0; s->seps[i]; i++) {
		size_t n = strlen(s->seps[i]);

		if (i > 0 && !(st->cfg->flags & URL_CFG_DEFANG))
			break;
		if (n < st->pfxlen || !url_ci_eq(st->pfx, s->seps[i], st->pfxlen))
			continue;
		if (n == st->pfxlen) {
			url_start(st, i > 0);
			return;
		}
		partial = true;
	}
	if (!partial)
		url_prefix_fail(st);
}

static void url_scan_byte(struct url_state *st, uint8_t c)
{
	int k;

	if (url_is_alpha(c)) {
		if (st->toklen == 0)
			st->tok_prev = st->prev;
		if (st->toklen < sizeof(st->tok))
			st->tok[st->toklen] = (char)url_lower(c);
		if (st->toklen <= sizeof(st->tok))
			st->toklen++;
		st->prev = c;
		return;
	}
	k = url_token_kind(st);
	st->toklen = 0;
	st->prev = c;
	if (k < 0)
		return;
	st->pfx_kind = (uint8_t)k;
	st->pfx[0] = c;
	st->pfxlen = 1;
	st->ts = TS_PREFIX;
	url_prefix_check(st);
}

void url_text_byte(struct url_state *st, uint8_t c)
{
	st->stats.work++;
	switch (st->ts) {
	case TS_SCAN:
		url_scan_byte(st, c);
		break;
	case TS_PREFIX:
		st->pfx[st->pfxlen++] = c;   /* pfxlen < longest separator */
		url_prefix_check(st);
		break;
	case TS_URL:
		if (st->pend_c2) {
			st->pend_c2 = 0;
			if (c == 0xa0) {
				/* U+00A0 NO-BREAK SPACE: text editors put it
				 * after a URL as readily as a space. */
				url_finish_text(st);
				st->ts = TS_SCAN;
				st->prev = ' ';
				break;
			}
			url_append(st, 0xc2);
		}
		if (c == 0xc2) {
			st->pend_c2 = 1;
			break;
		}
		if (!url_text_term(c)) {
			url_append(st, c);
			break;
		}
		url_finish_text(st);
		st->ts = TS_SCAN;
		url_scan_byte(st, c);
		break;
	default: /* TS_SKIP */
		if (url_text_term(c)) {
			st->ts = TS_SCAN;
			url_scan_byte(st, c);
		}
		break;
	}
}

void url_text_break(struct url_state *st)
{
	if (st->ts == TS_PREFIX) {
		/* Drop the byte that would fail it: replay only what was
		 * consumed, then end. */
		url_prefix_fail(st);
	}
	if (st->ts == TS_URL)
		url_finish_text(st);
	st->ts = TS_SCAN;
	st->toklen = 0;
	st->pfxlen = 0;
	st->prev = ' ';
}

/* ---- HTML attribute values ------------------------------------------- */

void url_attr_begin(struct url_state *st)
{
	/* The tokenizer ends text before any tag, so nothing is open here;
	 * make sure of it, since the value reuses st->buf. */
	url_text_break(st);
	st->len = 0;
	st->ufl = URL_F_ATTR;
	st->attr_url = 1;
	st->attr_skip = !url_get_buf(st);
}

void url_attr_byte(struct url_state *st, uint8_t c)
{
	st->stats.work++;
	if (st->attr_skip)
		return;
	/* WHATWG URL parsing: leading C0 controls and spaces are stripped,
	 * ASCII tab and newline removed anywhere. */
	if (c == '\t' || c == '\n' || c == '\r')
		return;
	if (st->len == 0 && c <= 0x20)
		return;
	url_append(st, c);
}

/* Rewrite buf[0..j) (the scheme as written, its ':' and slashes) as the
 * canonical prefix of `kind`. */
static void url_attr_canon(struct url_state *st, int kind, uint32_t j)
{
	const struct url_scheme *s = &url_schemes[kind];
	uint32_t rest = st->len - j;

	/* canon_len <= j + 2 and max_len <= block_size - 16: fits. */
	memmove(st->buf + s->canon_len, st->buf + j, rest);
	memcpy(st->buf, s->canon, s->canon_len);
	st->len = s->canon_len + rest;
	if (st->len > st->max_len) {
		st->len = st->max_len;
		st->ufl |= URL_F_TRUNCATED;
	}
	st->kind = (uint8_t)kind;
	if (s->defanged)
		st->ufl |= URL_F_DEFANGED;
}

void url_attr_end(struct url_state *st)
{
	uint8_t *b = st->buf;
	uint32_t i = 0;
	int kind = -1;

	st->attr_url = 0;
	if (st->attr_skip) {
		st->attr_skip = 0;
		return;
	}
	st->stats.work += st->len;
	while (st->len && b[st->len - 1] <= 0x20)
		st->len--;
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
	 * (RFC 3986 section 3.1) */
	while (i < st->len && i <= 32 &&
	       (url_is_alnum(b[i]) || b[i] == '+' || b[i] == '-' || b[i] == '.'))
		i++;
	if (i > 0 && i < st->len && b[i] == ':' && url_is_alpha(b[0])) {
		for (int k = 0; k < K_COUNT; k++) {
			const struct url_scheme *s = &url_schemes[k];

			if (k != K_WWW && s->toklen == i && url_ci_eq(b, s->tok, i) &&
			    (st->cfg->schemes & s->bit) &&
			    (!s->defanged || (st->cfg->flags & URL_CFG_DEFANG)))
				kind = k;
		}
		if (kind < 0) {
			st->stats.rejected_scheme++;
			goto out;
		}
		i++;
		if (kind != K_MAILTO)
			while (i < st->len && (b[i] == '/' || b[i] == '\\'))
				i++;
		url_attr_canon(st, kind, i);
	} else if (st->len > 4 && url_ci_eq(b, "www.", 4) &&
		   (st->cfg->schemes & URL_SCHEME_WWW)) {
		st->kind = K_WWW;
		st->ufl |= URL_F_WWW;
	} else {
		goto out;   /* relative reference, fragment, empty */
	}
	if (st->cfg->flags & URL_CFG_DEFANG)
		url_refang(st, url_schemes[st->kind].canon_len);
	if (url_host(st, url_schemes[st->kind].canon_len))
		url_report(st);
out:
	st->len = 0;
	st->ufl = 0;
}

/* ---- API -------------------------------------------------------------- */

/*
 * Text in TS_SCAN only matters where a scheme's token meets the first byte
 * of a separator (':' '[' '.' '(' '{', seps_* above): anything else ends
 * the token and starts nothing. So the scan jumps from one such byte to
 * the next (a vector compare, SSE2 being part of x86-64) and rebuilds the
 * token state at the jump from the letters just before it, instead of a
 * call per byte: a text body's cost is then mostly this search.
 */
static size_t url_sep_next(const uint8_t *d, size_t i, size_t n)
{
#if defined(__SSE2__)
	const __m128i c1 = _mm_set1_epi8(':'), c2 = _mm_set1_epi8('['),
		      c3 = _mm_set1_epi8('.'), c4 = _mm_set1_epi8('('), c5 = _mm_set1_epi8('{');

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(d + i));
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, c1), _mm_cmpeq_epi8(v, c2)),
					 _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, c3),
								   _mm_cmpeq_epi8(v, c4)),
						      _mm_cmpeq_epi8(v, c5)));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);

		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
#endif
	for (; i < n; i++)
		if (d[i] == ':' || d[i] == '[' || d[i] == '.' || d[i] == '(' || d[i] == '{')
			break;
	return i;
}

/* The state url_text_byte() would leave after d[i..j), which holds no
 * separator's first byte, with the scanner in TS_SCAN: only the letters
 * that end right at j can be a token; the bytes before them are counted,
 * not examined. */
static void url_skip(struct url_state *st, const uint8_t *d, size_t i, size_t j)
{
	size_t r = j;

	while (r > i && url_is_alpha(d[r - 1]) && j - r <= URL_TOK_MAX)
		r--;
	if (j - r > URL_TOK_MAX) {
		/* a run of letters too long to be a scheme */
		st->stats.work += j - i;
		st->toklen = sizeof(st->tok) + 1;
		st->prev = d[j - 1];
		return;
	}
	if (r > i) {
		/* d[r - 1] ended whatever token came before */
		st->stats.work += r - i;
		st->toklen = 0;
		st->prev = d[r - 1];
		i = r;
	}
	for (; i < j; i++)
		url_text_byte(st, d[i]);
}

void url_text_run(struct url_state *st, const uint8_t *d, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (st->ts == TS_SCAN) {
			size_t j = url_sep_next(d, i, n);

			if (j - i > URL_TOK_MAX + 1) {
				url_skip(st, d, i, j);
				i = j;
				if (i == n)
					break;
			}
		}
		url_text_byte(st, d[i++]);
	}
}

void url_feed(struct url_state *st, const uint8_t *data, size_t len)
{
	if (!st->cfg)
		return;
	st->stats.bytes += len;
	if (st->mode == URL_MODE_HTML)
		url_html_feed(st, data, len);
	else
		url_text_run(st, data, len);
	/* Memory follows what is in flight: keep the block only while a URL
	 * is open across the chunk boundary. */
	if (st->buf && st->ts != TS_URL && !st->attr_url) {
		mt_block_put(st->pool, st->buf);
		st->buf = NULL;
	}
}

void url_finish(struct url_state *st)
{
	if (!st->cfg)
		return;
	if (st->mode == URL_MODE_HTML)
		url_html_finish(st);
	url_text_break(st);
	if (st->buf)
		mt_block_put(st->pool, st->buf);
	if (st->seen)
		mt_block_put(st->pool, st->seen);
	st->buf = NULL;
	st->seen = NULL;
}
