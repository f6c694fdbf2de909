/*
 * url_html — a small streaming HTML tokenizer for URL extraction: tags,
 * attributes (any quoting), comments, declarations and character
 * references, following the WHATWG HTML tokenizer closely enough that a
 * value a browser would follow is found. It produces three things for
 * url.c: text bytes (text content with character references decoded,
 * comments, declarations, attribute values that are not URLs), breaks
 * between them, and the bytes of URL attribute values, decoded.
 *
 * What it does not do: script/style raw-text states (a '<' inside a script
 * starts a "tag" here; no URL is lost by that, text is still scanned), the
 * full named-reference table (only the names that spell URL punctuation and
 * the usual ones; an unknown one stays as written), <base href>.
 *
 * Every byte passes url_html_byte() once; a character reference's bytes
 * (at most sizeof st->ent) are passed on once more when it ends, decoded
 * or as written. State between chunks is the HS_* state, the attribute
 * name (16 bytes), the pending reference and a count of pending '-' in a
 * comment; nothing is rescanned.
 */
#include "url_int.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

enum {
	HS_TEXT = 0,
	HS_TAG_OPEN,      /* after '<' */
	HS_END_TAG,       /* "</": skipped to '>' */
	HS_TAG_NAME,
	HS_BEFORE_ATTR,
	HS_ATTR_NAME,
	HS_AFTER_ATTR_NAME,
	HS_BEFORE_VALUE,
	HS_VALUE_DQ,
	HS_VALUE_SQ,
	HS_VALUE_UQ,
	HS_MARKUP,        /* after "<!" */
	HS_MARKUP_DASH,   /* after "<!-" */
	HS_COMMENT,       /* inside "<!-- ... -->" */
	HS_BOGUS,         /* "<!...>" "<?...>": to '>' */
};

/* Attributes whose value is a URL (HTML 4.01 appendix "%URI" attributes
 * plus HTML5's formaction/poster and SVG's xlink:href). */
static const char *const url_attrs[] = {
	"href", "src", "action", "background", "formaction", "poster", "cite",
	"longdesc", "lowsrc", "dynsrc", "data", "codebase", "xlink:href", NULL,
};

/* Named character references decoded (HTML5 section 13.5). The first
 * group is also decoded without ';' (the legacy names); nbsp becomes a
 * space since for URL purposes it separates words. */
struct url_entity {
	const char *name;
	const char *text;
	uint8_t legacy;
};

static const struct url_entity url_entities[] = {
	{ "amp", "&", 1 }, { "lt", "<", 1 }, { "gt", ">", 1 },
	{ "quot", "\"", 1 }, { "nbsp", " ", 1 },
	{ "AMP", "&", 1 }, { "LT", "<", 1 }, { "GT", ">", 1 }, { "QUOT", "\"", 1 },
	{ "apos", "'", 0 }, { "sol", "/", 0 }, { "bsol", "\\", 0 },
	{ "colon", ":", 0 }, { "period", ".", 0 }, { "comma", ",", 0 },
	{ "semi", ";", 0 }, { "lpar", "(", 0 }, { "rpar", ")", 0 },
	{ "lsqb", "[", 0 }, { "rsqb", "]", 0 }, { "lbrack", "[", 0 },
	{ "rbrack", "]", 0 }, { "lcub", "{", 0 }, { "rcub", "}", 0 },
	{ "equals", "=", 0 }, { "quest", "?", 0 }, { "num", "#", 0 },
	{ "percnt", "%", 0 }, { "commat", "@", 0 }, { "excl", "!", 0 },
	{ "plus", "+", 0 }, { "dollar", "$", 0 }, { "ast", "*", 0 },
	{ "lowbar", "_", 0 }, { "hyphen", "-", 0 }, { "dash", "-", 0 },
	{ "tilde", "~", 0 }, { "Tab", "\t", 0 }, { "NewLine", "\n", 0 },
	{ "shy", "", 0 },
	{ NULL, NULL, 0 },
};

static bool hs_is_ws(uint8_t c)
{
	/* HTML whitespace: TAB, LF, FF, CR, SPACE */
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool hs_in_value(const struct url_state *st)
{
	return st->hs == HS_VALUE_DQ || st->hs == HS_VALUE_SQ || st->hs == HS_VALUE_UQ;
}

/* Where decoded characters go: the URL value or the text scanner. */
static void hs_out(struct url_state *st, uint8_t c)
{
	if (hs_in_value(st) && st->attr_url)
		url_attr_byte(st, c);
	else
		url_text_byte(st, c);
}

static void hs_out_n(struct url_state *st, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hs_out(st, p[i]);
}

/* Code point -> UTF-8 (HTML5 13.2.5.80: 0, surrogates and values beyond
 * U+10FFFF become U+FFFD). */
static void hs_out_cp(struct url_state *st, uint32_t cp)
{
	uint8_t u[4];
	size_t n;

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xc0 | (cp >> 6));
		u[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xe0 | (cp >> 12));
		u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xf0 | (cp >> 18));
		u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	hs_out_n(st, u, n);
}

/* Decode st->ent ("&..." without the terminator). `semi`: it ended with
 * ';'; `next`: the byte that ended it otherwise. Returns true when it was
 * decoded (and output), false when it must be output as written. */
static bool hs_ent_decode(struct url_state *st, bool semi, uint8_t next)
{
	const char *e = st->ent + 1;
	size_t n = st->ent_len - 1u;

	if (n >= 2 && e[0] == '#') {
		bool hex = e[1] == 'x' || e[1] == 'X';
		size_t i = hex ? 2 : 1, digits = 0;
		uint32_t cp = 0;

		for (; i < n; i++) {
			uint8_t c = (uint8_t)e[i];
			uint32_t d;

			if (url_is_digit(c))
				d = c - '0';
			else if (hex && (uint8_t)((c | 0x20) - 'a') < 6)
				d = (uint32_t)((c | 0x20) - 'a' + 10);
			else
				return false;
			cp = cp * (hex ? 16 : 10) + d;
			if (cp > 0x10ffff)
				cp = 0x110000;   /* saturate: U+FFFD */
			digits++;
		}
		if (!digits)
			return false;
		hs_out_cp(st, cp);
		return true;
	}
	for (const struct url_entity *t = url_entities; t->name; t++) {
		if (strlen(t->name) != n || memcmp(t->name, e, n) != 0)
			continue;
		/* Without ';' only legacy names decode, and in an attribute
		 * not before '=' (HTML5 13.2.5.73, "historical reasons"). */
		if (!semi && (!t->legacy || (hs_in_value(st) && next == '=')))
			return false;
		hs_out_n(st, (const uint8_t *)t->text, strlen(t->text));
		return true;
	}
	return false;
}

/* A character reference ended. */
static void hs_ent_end(struct url_state *st, bool semi, uint8_t next)
{
	if (!hs_ent_decode(st, semi, next)) {
		st->stats.bad_entity++;
		hs_out_n(st, (const uint8_t *)st->ent, st->ent_len);
		if (semi)
			hs_out(st, ';');
	}
	st->ent_len = 0;
}

/* Feed c to a pending reference. Returns true when c was taken. */
static bool hs_ent_byte(struct url_state *st, uint8_t c)
{
	if (c == '#' && st->ent_len == 1) {
		st->ent[st->ent_len++] = (char)c;
		return true;
	}
	if (c == '0' && st->ent_len >= 3 && st->ent[1] == '#') {
		/* Leading zeros do not change a numeric reference and are
		 * unbounded ("&#x0000...068;"): keep one. */
		uint8_t d0 = (st->ent[2] == 'x' || st->ent[2] == 'X') ? 3 : 2;

		if (st->ent_len == d0 + 1 && st->ent[d0] == '0')
			return true;
	}
	if (url_is_alnum(c) && st->ent_len < sizeof(st->ent)) {
		st->ent[st->ent_len++] = (char)c;
		return true;
	}
	if (c == ';') {
		hs_ent_end(st, true, c);
		return true;
	}
	if (st->ent_len == 1) {
		/* A lone '&' is just text. */
		hs_out(st, '&');
		st->ent_len = 0;
		return false;
	}
	hs_ent_end(st, false, c);
	return false;
}

static void hs_ent_start(struct url_state *st)
{
	st->ent[0] = '&';
	st->ent_len = 1;
}

static void hs_attr_name_add(struct url_state *st, uint8_t c)
{
	if (st->attr_len < sizeof(st->attr))
		st->attr[st->attr_len] = (char)url_lower(c);
	if (st->attr_len <= sizeof(st->attr))
		st->attr_len++;
}

static void hs_value_begin(struct url_state *st)
{
	bool is_url = false;

	if (st->attr_len <= sizeof(st->attr)) {
		for (int i = 0; url_attrs[i]; i++)
			if (strlen(url_attrs[i]) == st->attr_len &&
			    memcmp(url_attrs[i], st->attr, st->attr_len) == 0)
				is_url = true;
	}
	if (is_url)
		url_attr_begin(st);
	else
		url_text_break(st);
}

static void hs_value_end(struct url_state *st)
{
	if (st->ent_len)
		hs_ent_end(st, false, ' ');
	if (st->attr_url)
		url_attr_end(st);
	else
		url_text_break(st);
}

/* Pending '-' in a comment turned out not to close it: they are text. */
static void hs_flush_dashes(struct url_state *st)
{
	for (; st->dashes; st->dashes--)
		url_text_byte(st, '-');
}

void url_html_byte(struct url_state *st, uint8_t c)
{
	st->stats.work++;
	if (st->ent_len && hs_ent_byte(st, c))
		return;
again:
	switch (st->hs) {
	case HS_TEXT:
		if (c == '<') {
			url_text_break(st);
			st->hs = HS_TAG_OPEN;
		} else if (c == '&') {
			hs_ent_start(st);
		} else {
			url_text_byte(st, c);
		}
		break;
	case HS_TAG_OPEN:
		if (c == '!') {
			st->hs = HS_MARKUP;
		} else if (c == '/') {
			st->hs = HS_END_TAG;
		} else if (c == '?') {
			st->hs = HS_BOGUS;
		} else if (url_is_alpha(c)) {
			st->hs = HS_TAG_NAME;
		} else {
			/* Not a tag: the '<' was text (it ends a word). */
			st->hs = HS_TEXT;
			goto again;
		}
		break;
	case HS_END_TAG:
		if (c == '>')
			st->hs = HS_TEXT;
		break;
	case HS_TAG_NAME:
		if (hs_is_ws(c) || c == '/')
			st->hs = HS_BEFORE_ATTR;
		else if (c == '>')
			st->hs = HS_TEXT;
		break;
	case HS_BEFORE_ATTR:
		if (c == '>') {
			st->hs = HS_TEXT;
		} else if (!hs_is_ws(c) && c != '/') {
			st->attr_len = 0;
			hs_attr_name_add(st, c);
			st->hs = HS_ATTR_NAME;
		}
		break;
	case HS_ATTR_NAME:
		if (hs_is_ws(c))
			st->hs = HS_AFTER_ATTR_NAME;
		else if (c == '/')
			st->hs = HS_BEFORE_ATTR;
		else if (c == '>')
			st->hs = HS_TEXT;
		else if (c == '=')
			st->hs = HS_BEFORE_VALUE;
		else
			hs_attr_name_add(st, c);
		break;
	case HS_AFTER_ATTR_NAME:
		if (c == '=') {
			st->hs = HS_BEFORE_VALUE;
		} else if (c == '>') {
			st->hs = HS_TEXT;
		} else if (c == '/') {
			st->hs = HS_BEFORE_ATTR;
		} else if (!hs_is_ws(c)) {
			st->attr_len = 0;
			hs_attr_name_add(st, c);
			st->hs = HS_ATTR_NAME;
		}
		break;
	case HS_BEFORE_VALUE:
		if (hs_is_ws(c))
			break;
		if (c == '>') {
			st->hs = HS_TEXT;     /* missing value */
			break;
		}
		st->hs = c == '"' ? HS_VALUE_DQ : c == '\'' ? HS_VALUE_SQ : HS_VALUE_UQ;
		hs_value_begin(st);
		if (st->hs == HS_VALUE_UQ)
			goto again;
		break;
	case HS_VALUE_DQ:
	case HS_VALUE_SQ:
		if (c == (st->hs == HS_VALUE_DQ ? '"' : '\'')) {
			hs_value_end(st);
			st->hs = HS_BEFORE_ATTR;
		} else if (c == '&') {
			hs_ent_start(st);
		} else {
			hs_out(st, c);
		}
		break;
	case HS_VALUE_UQ:
		if (hs_is_ws(c) || c == '>') {
			hs_value_end(st);
			st->hs = c == '>' ? HS_TEXT : HS_BEFORE_ATTR;
		} else if (c == '&') {
			hs_ent_start(st);
		} else {
			hs_out(st, c);
		}
		break;
	case HS_MARKUP:
		if (c == '-') {
			st->hs = HS_MARKUP_DASH;
		} else {
			st->hs = HS_BOGUS;
			goto again;
		}
		break;
	case HS_MARKUP_DASH:
		if (c == '-') {
			st->hs = HS_COMMENT;
			st->dashes = 0;
		} else {
			st->hs = HS_BOGUS;
			goto again;
		}
		break;
	case HS_COMMENT:
		/* Scanned as text: Outlook's conditional comments carry VML
		 * shapes with href attributes. "-->" ends it. */
		if (c == '-') {
			/* Only the last two can be part of "-->": earlier
			 * ones are text now (the order of the text is the
			 * same), so the count stays bounded. */
			if (st->dashes >= 2)
				url_text_byte(st, '-');
			else
				st->dashes++;
		} else if (c == '>' && st->dashes >= 2) {
			st->dashes = 0;
			url_text_break(st);
			st->hs = HS_TEXT;
		} else {
			hs_flush_dashes(st);
			url_text_byte(st, c);
		}
		break;
	default: /* HS_BOGUS */
		if (c == '>') {
			url_text_break(st);
			st->hs = HS_TEXT;
		} else {
			url_text_byte(st, c);
		}
		break;
	}
}

/* The first '<' or '&' in d[i..n), or n: where text content may stop
 * being text (a tag, a character reference). */
static size_t hs_text_end(const uint8_t *d, size_t i, size_t n)
{
#if defined(__SSE2__)
	const __m128i lt = _mm_set1_epi8('<'), amp = _mm_set1_epi8('&');

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(d + i));
		unsigned bits = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, amp)));

		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
#endif
	for (; i < n; i++)
		if (d[i] == '<' || d[i] == '&')
			break;
	return i;
}

/*
 * In text content, with no character reference open, url_html_byte hands
 * every byte but '<' and '&' to url_text_byte (counting one unit of work
 * for itself): the run up to the next of those goes to url_text_run at
 * once, which jumps over what cannot start a URL, with the same count.
 * Tags, values and references still go byte by byte.
 */
void url_html_feed(struct url_state *st, const uint8_t *d, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (st->hs == HS_TEXT && !st->ent_len) {
			size_t j = hs_text_end(d, i, n);

			if (j > i) {
				st->stats.work += j - i;
				url_text_run(st, d + i, j - i);
				i = j;
				if (i == n)
					break;
			}
		}
		url_html_byte(st, d[i++]);
	}
}

void url_html_finish(struct url_state *st)
{
	if (st->ent_len)
		hs_ent_end(st, false, ' ');
	if (st->hs == HS_COMMENT)
		hs_flush_dashes(st);
	/* An attribute value cut by the end of the part: a browser drops
	 * the tag, but the URL was sent, so report it. */
	if (hs_in_value(st))
		hs_value_end(st);
	st->hs = HS_TEXT;
}
