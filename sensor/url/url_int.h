/*
 * url_int.h — what url.c (text scanner, URL finishing, duplicate filter,
 * API) and url_html.c (HTML tokenizer and entity decoder) share.
 *
 * Layering: url_html.c turns HTML into three streams: text bytes
 * (url_text_byte, with url_text_break where a tag or value boundary
 * separates words), and the bytes of URL attribute values
 * (url_attr_begin / url_attr_byte / url_attr_end). In text mode the input
 * goes straight to url_text_byte. Every function here examines its byte a
 * bounded number of times and counts that in st->stats.work.
 */
#ifndef MT_URL_INT_H
#define MT_URL_INT_H

#include "url.h"

/* Text scanner states (st->ts). */
enum {
	TS_SCAN = 0,   /* looking for a scheme token or "www" */
	TS_PREFIX,     /* token seen; matching "://", "[:]//", "[.]"... */
	TS_URL,        /* collecting a URL into st->buf */
	TS_SKIP,       /* a URL with no block: discard to its end */
};

void url_text_byte(struct url_state *st, uint8_t c);
void url_text_break(struct url_state *st);
/* url_text_byte over d[0..n), jumping over what cannot start a URL. */
void url_text_run(struct url_state *st, const uint8_t *d, size_t n);

void url_attr_begin(struct url_state *st);
void url_attr_byte(struct url_state *st, uint8_t c);
void url_attr_end(struct url_state *st);

/* url_html.c */
void url_html_byte(struct url_state *st, uint8_t c);
/* url_html_byte over d[0..n), text content through url_text_run. */
void url_html_feed(struct url_state *st, const uint8_t *d, size_t n);
void url_html_finish(struct url_state *st);

static inline bool url_is_alpha(uint8_t c)
{
	return (uint8_t)((c | 0x20) - 'a') < 26;
}

static inline bool url_is_digit(uint8_t c)
{
	return (uint8_t)(c - '0') < 10;
}

static inline bool url_is_alnum(uint8_t c)
{
	return url_is_alpha(c) || url_is_digit(c);
}

static inline uint8_t url_lower(uint8_t c)
{
	return (uint8_t)(c - 'A') < 26 ? (uint8_t)(c | 0x20) : c;
}

#endif
