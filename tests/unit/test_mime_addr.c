/*
 * test_mime_addr — RFC 5322 mailbox reading and the sender checks
 * (sensor/mime/mime_addr.c): tables of From values with the display name,
 * addr-spec and mailbox count expected; envelope/header relations; and
 * display names that do or do not spoof an address.
 */
#include <string.h>

#include "check.h"
#include "mime_addr.h"

static const struct {
	const char *in, *display, *addr;
	unsigned count;
	bool ok;
} mbox[] = {
	{ "Alice <alice@example.com>", "Alice", "alice@example.com", 1, true },
	{ "\"Doe, John\" <john@example.com>", "Doe, John", "john@example.com", 1, true },
	{ "bob@example.org", "", "bob@example.org", 1, true },
	{ "bob@example.org (Bob Smith)", "", "bob@example.org", 1, true },
	{ "(comment) bob@example.org", "", "bob@example.org", 1, true },
	{ "<carol@example.net>", "", "carol@example.net", 1, true },
	{ "a@x.example, b@y.example", "", "a@x.example", 2, true },
	{ "\"x,y\" <a@x.example>, B <b@y.example>, c@z", "x,y", "a@x.example", 3, true },
	{ "Team: a@x.example, b@x.example;", "", "a@x.example", 2, true },
	{ "Undisclosed recipients:;", "", "", 0, false },
	{ "", "", "", 0, false },
	{ "no address here", "", "no", 1, false },
	{ "Broken <unterminated@example.com", "Broken", "unterminated@example.com", 1, true },
	{ "\"quoted \\\" quote\" <q@example.com>", "quoted \\\" quote", "q@example.com", 1, true },
	{ "Eve (the <real> one) <eve@example.com>", "Eve (the <real> one)", "eve@example.com", 1, true },
};

static const struct {
	const char *env, *hdr, *rel;
} rel[] = {
	{ "<alice@example.com>", "alice@example.com", "same" },
	{ "<Alice@EXAMPLE.com>", "alice@example.com", "same" },
	{ "<bounce-123@example.com>", "alice@example.com", "same_domain" },
	{ "<b@bounce.example.com>", "alice@example.com", "related_domain" },
	{ "<b@example.com>", "alice@mail.example.com", "related_domain" },
	{ "<b@notexample.com>", "alice@example.com", "different" },
	{ "<security@paypa1-security.example>", "service@paypal.example", "different" },
	{ "<>", "alice@example.com", "null_sender" },
	{ "<a@example.com>", "", "no_header_from" },
	{ "<@relay.example:a@example.com>", "a@example.com", "same" },
	{ "a@example.com", "a@example.com.", "same_domain" },
};

static const struct {
	const char *from;
	bool spoof;
	const char *shown;
} spoof[] = {
	{ "\"ceo@bank.example\" <attacker@evil.example>", true, "ceo@bank.example" },
	{ "ceo@bank.example via Portal <noreply@portal.example>", true, "ceo@bank.example" },
	{ "\"support@bank.example\" <support@bank.example>", false, NULL },
	{ "\"billing@bank.example\" <mailer@mx.bank.example>", false, NULL },
	{ "Alice <alice@example.com>", false, NULL },
	{ "\"Alice @ home\" <alice@example.com>", false, NULL },
	{ "\"user@localhost\" <a@example.com>", false, NULL },
	{ "\"PayPal <service@paypal.example>\" <x@evil.example>", true, "service@paypal.example" },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(mbox) / sizeof(mbox[0]); i++) {
		struct mime_mailbox mb;
		bool ok = mime_mailbox_parse(mbox[i].in, strlen(mbox[i].in), &mb);

		CHECK(ok == mbox[i].ok);
		CHECK_MEM(mb.display.ptr ? mb.display.ptr : "", mb.display.len,
			  mbox[i].display, strlen(mbox[i].display));
		CHECK_MEM(mb.addr.ptr ? mb.addr.ptr : "", mb.addr.len,
			  mbox[i].addr, strlen(mbox[i].addr));
		CHECK_EQ_U(mb.count, mbox[i].count);
	}
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		struct mime_slice e = mime_path_addr(rel[i].env, strlen(rel[i].env));
		struct mime_slice h = { rel[i].hdr, strlen(rel[i].hdr) };

		if (!e.ptr)
			e.ptr = "";   /* "<>": present but empty */
		CHECK_STR(mime_sender_rel_name(mime_sender_relation(e, h)), rel[i].rel);
	}
	{
		struct mime_slice none = { NULL, 0 }, h = { "a@example.com", 13 };

		CHECK_STR(mime_sender_rel_name(mime_sender_relation(none, h)), "no_envelope");
	}
	for (size_t i = 0; i < sizeof(spoof) / sizeof(spoof[0]); i++) {
		struct mime_mailbox mb;
		struct mime_slice shown = { NULL, 0 };

		mime_mailbox_parse(spoof[i].from, strlen(spoof[i].from), &mb);
		CHECK(mime_display_spoof(&mb, &shown) == spoof[i].spoof);
		if (spoof[i].shown)
			CHECK_MEM(shown.ptr, shown.len, spoof[i].shown, strlen(spoof[i].shown));
	}
	return check_summary("test_mime_addr");
}
