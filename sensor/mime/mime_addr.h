/*
 * mime_addr — RFC 5322 mailbox reading for the sender checks: the first
 * mailbox of a From header (display name and addr-spec), the relation
 * between the envelope sender (RFC 5321 MAIL FROM reverse-path) and the
 * header From, and display names that carry an address of their own.
 *
 * Pure functions over caller memory: nothing is allocated, nothing kept.
 * Inputs are hostile bytes of any length; outputs are slices of the input
 * (never NUL-terminated) or fixed-size copies.
 */
#ifndef MT_MIME_ADDR_H
#define MT_MIME_ADDR_H

#include <stdbool.h>
#include <stddef.h>

struct mime_slice {
	const char *ptr;
	size_t len;
};

/* The first mailbox of an address list. */
struct mime_mailbox {
	struct mime_slice display;  /* phrase before <...>, quotes and outer
				     * blanks removed ({NULL,0} when none) */
	struct mime_slice addr;     /* addr-spec: inside <...>, or the bare
				     * token; comments and blanks dropped */
	unsigned count;             /* mailboxes in the list (1 = one) */
};

/*
 * Read the mailbox list of a header value (already unfolded, encoded
 * words decoded). Returns false when no addr-spec with an '@' is found in
 * the first mailbox (out->addr may then hold what was there).
 */
bool mime_mailbox_parse(const char *v, size_t n, struct mime_mailbox *out);

/* The addr-spec of a reverse-path ("<a@b>", "a@b", "<>" -> empty). */
struct mime_slice mime_path_addr(const char *v, size_t n);

/* How the envelope sender relates to the header From. */
enum mime_sender_rel {
	MIME_SENDER_SAME = 0,        /* the same address (domain case-folded) */
	MIME_SENDER_SAME_DOMAIN,     /* other local part, same domain */
	MIME_SENDER_RELATED_DOMAIN,  /* one domain is a subdomain of the other
				      * (bounce.example.com / example.com) */
	MIME_SENDER_DIFFERENT,       /* unrelated domains */
	MIME_SENDER_NULL,            /* MAIL FROM:<> (a bounce, RFC 5321 4.5.5) */
	MIME_SENDER_NO_HEADER,       /* the message has no usable From */
	MIME_SENDER_NO_ENVELOPE,     /* no MAIL FROM was seen */
};
const char *mime_sender_rel_name(enum mime_sender_rel r);

enum mime_sender_rel mime_sender_relation(struct mime_slice envelope,
					  struct mime_slice header);

/*
 * Display-name spoofing: the display name holds an address (x@y.tld)
 * whose domain is neither the mailbox's own domain nor related to it
 * ("ceo@bank.example" <attacker@evil.example>). If so, *shown is set to
 * that address and true returned.
 */
bool mime_display_spoof(const struct mime_mailbox *mb, struct mime_slice *shown);

/* Domain part of an addr-spec (after the last '@'), {NULL,0} if none. */
struct mime_slice mime_addr_domain(struct mime_slice addr);

#endif
