/*
 * test_sig_rules.c — the rule parser: metadata of valid rules, the exact
 * reason given for every rule that is skipped, header syntax (lists,
 * negation, variables, ranges, IPv6), variables, multi-line rule files,
 * every inspection buffer name and alias, bsize values (through the
 * library-internal sig_bsize_parse), and a smoke load of the shipped ET
 * Open SMTP rules when present.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hs.h>

#include "check.h"
#include "sig.h"
#include "sig_internal.h"

#define ET_RULES "/work/shared/rules/et-open-smtp.rules"

struct diag_rec {
	unsigned n;
	char file[256];
	unsigned line;
	uint32_t sid;
	char text[512];
	unsigned empty_texts;        /* reports with no reason */
};

static void on_diag(void *user, const char *file, unsigned line, uint32_t sid,
		    const char *text)
{
	struct diag_rec *d = user;

	d->n++;
	snprintf(d->file, sizeof(d->file), "%s", file);
	d->line = line;
	d->sid = sid;
	snprintf(d->text, sizeof(d->text), "%s", text);
	if (!text || !text[0])
		d->empty_texts++;
}

/* ---- valid rules and their metadata -------------------------------- */

struct valid_case {
	const char *rule;
	uint32_t sid, gid, rev, priority;
	const char *msg, *classtype, *category;
};

static const struct valid_case valid_cases[] = {
	{ "alert smtp any any -> any any (msg:\"plain\"; content:\"x\"; sid:1; rev:2;)",
	  1, 1, 2, 3, "plain", "", "" },
	/* msg escapes: \" \; \\ */
	{ "alert smtp any any -> any any (msg:\"a \\\"quoted\\\" word\\; back\\\\slash\"; "
	  "content:\"x\"; sid:2;)",
	  2, 1, 0, 3, "a \"quoted\" word; back\\slash", "", "" },
	{ "alert tcp any any -> any any (msg:\"trojan\"; content:\"x\"; "
	  "classtype:trojan-activity; sid:3; rev:1;)",
	  3, 1, 1, 1, "trojan", "trojan-activity", "A Network Trojan was detected" },
	{ "alert smtp any any -> any any (msg:\"bad\"; content:\"x\"; classtype:bad-unknown; "
	  "sid:4;)",
	  4, 1, 0, 2, "bad", "bad-unknown", "Potentially Bad Traffic" },
	/* priority: overrides the classtype's */
	{ "alert smtp any any -> any any (msg:\"p\"; content:\"x\"; classtype:bad-unknown; "
	  "priority:1; sid:5;)",
	  5, 1, 0, 1, "p", "bad-unknown", "Potentially Bad Traffic" },
	{ "alert smtp any any -> any any (msg:\"p4\"; content:\"x\"; priority:4; sid:6;)",
	  6, 1, 0, 4, "p4", "", "" },
	{ "alert smtp any any -> any any (msg:\"g\"; content:\"x\"; gid:3; sid:7;)",
	  7, 3, 0, 3, "g", "", "" },
	{ "alert smtp any any -> any any (msg:\"pup\"; content:\"x\"; classtype:pup-activity; sid:8;)",
	  8, 1, 0, 2, "pup", "pup-activity", "Possibly Unwanted Program Detected" },
	{ "alert smtp any any -> any any (msg:\"pv\"; content:\"x\"; classtype:policy-violation; sid:9;)",
	  9, 1, 0, 1, "pv", "policy-violation", "Potential Corporate Privacy Violation" },
	/* header forms */
	{ "alert tcp [10.0.0.0/8,!10.1.0.0/16] [1024:,!1080] -> ![$HOME_NET,1.2.3.4] "
	  "$HTTP_PORTS (msg:\"lists\"; content:\"x\"; sid:10;)",
	  10, 1, 0, 3, "lists", "", "" },
	{ "alert smtp $EXTERNAL_NET any <> $SMTP_SERVERS [25,587,465:466] (msg:\"bidir\"; "
	  "content:\"x\"; sid:11;)",
	  11, 1, 0, 3, "bidir", "", "" },
	{ "alert smtp 2001:db8::/32 :1023 -> [::1,fe80::/10,192.168.0.1-192.168.0.9] 25 "
	  "(msg:\"v6\"; content:\"x\"; sid:12;)",
	  12, 1, 0, 3, "v6", "", "" },
	{ "alert smtp [[1.1.1.1,2.2.2.2],!2.2.2.2] any -> 10.0.0.0/255.0.0.0 any "
	  "(msg:\"nested\"; content:\"x\"; sid:13;)",
	  13, 1, 0, 3, "nested", "", "" },
	{ "alert smtp [ 1.1.1.1 , 2.2.2.2 ] any -> any ![ 25 , 587 ] (msg:\"spaces in lists\"; "
	  "content:\"x\"; sid:14;)",
	  14, 1, 0, 3, "spaces in lists", "", "" },
	{ "alert smtp !$SMTP_SERVERS any -> !$HOME_NET $SHELLCODE_PORTS (msg:\"neg vars\"; "
	  "content:\"x\"; sid:15;)",
	  15, 1, 0, 3, "neg vars", "", "" },
	/* overlapping and adjacent elements merge */
	{ "alert smtp [10.0.0.0/8,10.1.0.0/16,11.0.0.0/8] [1:100,50:200,201] -> "
	  "[::/0,0.0.0.0/0] [0:65535] (msg:\"merge\"; content:\"x\"; sid:22;)",
	  22, 1, 0, 3, "merge", "", "" },
	/* options that are accepted */
	{ "alert smtp any any -> any any (msg:\"flow\"; flow:from_client, established; "
	  "content:\"MAIL|20|FROM\"; nocase; fast_pattern; content:\"a\\;b\\:c\\\\d\\\"e\"; "
	  "rawbytes; metadata:created_at 2020_01_01, deployment Perimeter; "
	  "reference:url,example.org/x; target:dest_ip; sid:16;)",
	  16, 1, 0, 3, "flow", "", "" },
	{ "alert smtp any any -> any any (msg:\"fp only\"; flow:to_client,only_stream; "
	  "content:\"|0d0a|550 \"; fast_pattern:only; sid:17;)",
	  17, 1, 0, 3, "fp only", "", "" },
	{ "alert smtp any any -> any any (msg:\"sticky\"; flow:established,to_server; "
	  "content:\"EHLO\"; smtp.helo; content:\"evil\"; nocase; smtp.mail_from; "
	  "content:\"@x\"; smtp.rcpt_to; content:\"bob\"; smtp.data; content:\"body\"; "
	  "sid:18;)",
	  18, 1, 0, 3, "sticky", "", "" },
	/* same sid, other gid: not a duplicate */
	{ "alert smtp any any -> any any (msg:\"gid2\"; content:\"x\"; sid:1; gid:2;)",
	  1, 2, 0, 3, "gid2", "", "" },
	/* no msg, no trailing ';', unquoted msg, upper-case keywords */
	{ "alert smtp any any -> any any (content:\"x\"; sid:19)",
	  19, 1, 0, 3, "", "", "" },
	{ "alert SMTP any any -> any any (MSG:unquoted words; CONTENT:\"x\"; SID:20;)",
	  20, 1, 0, 3, "unquoted words", "", "" },
	{ "alert smtp any any -> any any (msg:\"tail\"; content:\"x\"; sid:21; )   ",
	  21, 1, 0, 3, "tail", "", "" },
	/* payload modifiers that are honoured */
	{ "alert smtp any any -> any any (msg:\"pos\"; content:\"ab\"; offset:2; depth:4; "
	  "content:\"cd\"; distance:0; within:10; content:\"e\"; nocase; distance:-0; "
	  "content:\"st\"; startswith; sid:23;)",
	  23, 1, 0, 3, "pos", "", "" },
	{ "alert smtp any any -> any any (msg:\"pcre\"; smtp.data; content:\"A\"; "
	  "pcre:\"/^\\s*xy\\;z/Rismx\"; content:\"q\"; endswith; "
	  "pcre:!\"/zz$/\"; content:!\"w\"; offset:3; sid:24;)",
	  24, 1, 0, 3, "pcre", "", "" },
	{ "alert smtp any any -> any any (msg:\"neg helo\"; smtp.helo; content:!\"ok\"; "
	  "startswith; sid:25;)",
	  25, 1, 0, 3, "neg helo", "", "" },
	/* every email/file buffer, with bsize, in one rule */
	{ "alert smtp any any -> any any (msg:\"mail buffers\"; email.from; content:\"f\"; "
	  "email.to; content:\"t\"; email.cc; content:\"c\"; email.subject; content:\"s\"; "
	  "email.date; content:\"d\"; email.message_id; content:\"m\"; email.x_mailer; "
	  "content:\"x\"; email.received; content:\"r\"; email.url; content:\"u\"; "
	  "email.body; content:\"b\"; file.name; content:\"n\"; file.data; content:\"D\"; "
	  "bsize:>10; sid:26;)",
	  26, 1, 0, 3, "mail buffers", "", "" },
	/* aliases and content-like keywords */
	{ "alert smtp any any -> any any (msg:\"legacy\"; file_data; content:\"MZ\"; "
	  "startswith; filename:\"evil\"; fileext:\"exe\"; fileext:pdf; filename:x|2e|y; "
	  "content:\"raw\"; sid:27;)",
	  27, 1, 0, 3, "legacy", "", "" },
	/* modifiers after filename apply to it */
	{ "alert smtp any any -> any any (msg:\"fn mods\"; filename:\"abc\"; startswith; "
	  "filename:\"x\"; distance:0; sid:28;)",
	  28, 1, 0, 3, "fn mods", "", "" },
	/* several conditions and groups in multi-instance buffers */
	{ "alert smtp any any -> any any (msg:\"groups\"; smtp.rcpt_to; content:\"a\"; "
	  "content:\"b\"; bsize:<100; smtp.rcpt_to; content:\"c\"; file.name; "
	  "content:\"d\"; sid:29;)",
	  29, 1, 0, 3, "groups", "", "" },
	{ "alert smtp any any -> any any (msg:\"neg group\"; file.name; content:!\"d\"; "
	  "bsize:!5; content:\"e\"; sid:31;)",
	  31, 1, 0, 3, "neg group", "", "" },
	{ "alert smtp any any -> any any (msg:\"bsize only\"; email.subject; bsize:>=200; "
	  "sid:30;)",
	  30, 1, 0, 3, "bsize only", "", "" },
};

static void test_valid(void)
{
	struct sig_set *s = sig_set_new();
	struct diag_rec d = { 0 };
	size_t n = sizeof(valid_cases) / sizeof(valid_cases[0]);

	for (size_t i = 0; i < n; i++) {
		const struct valid_case *c = &valid_cases[i];
		unsigned before = sig_set_loaded(s);
		const struct sig_rule_meta *m;

		CHECK_EQ_U(sig_set_add_rule(s, c->rule, "valid.rules", (unsigned)i + 1,
					    on_diag, &d), 0);
		if (d.n) {
			fprintf(stderr, "case %zu: unexpected diag: %s\n", i, d.text);
			d.n = 0;
		}
		CHECK_EQ_U(sig_set_loaded(s), before + 1);
		m = sig_set_rule_meta(s, before);
		CHECK(m != NULL);
		if (!m)
			continue;
		CHECK_EQ_U(m->sid, c->sid);
		CHECK_EQ_U(m->gid, c->gid);
		CHECK_EQ_U(m->rev, c->rev);
		CHECK_EQ_U(m->priority, c->priority);
		CHECK_STR(m->msg, c->msg);
		CHECK_STR(m->classtype, c->classtype);
		CHECK_STR(m->category, c->category);
		CHECK_STR(m->action, "alert");
		CHECK_STR(m->file, "valid.rules");
		CHECK_EQ_U(m->line, i + 1);
	}
	CHECK_EQ_U(sig_set_skipped(s), 0);
	CHECK(sig_set_rule_meta(s, sig_set_loaded(s)) == NULL);
	sig_set_free(s);
}

/* ---- skipped rules and their exact reasons ------------------------- */

struct skip_case {
	const char *rule;
	const char *text;
	uint32_t sid;            /* reported sid (0 when unknown) */
};

#define HDR "alert smtp any any -> any any "

static const struct skip_case skip_cases[] = {
	{ "drop tcp any any -> any any (content:\"x\"; sid:100;)",
	  "unsupported action 'drop'", 100 },
	{ "reject smtp any any -> any any (content:\"x\"; sid:101;)",
	  "unsupported action 'reject'", 101 },
	{ "alert http any any -> any any (content:\"x\"; sid:102;)",
	  "unsupported protocol 'http'", 102 },
	{ "alert tcp-pkt any any -> any any (content:\"x\"; sid:103;)",
	  "unsupported protocol 'tcp-pkt'", 103 },
	{ "alert udp any any -> any any (content:\"x\"; sid:104;)",
	  "unsupported protocol 'udp'", 104 },
	{ "alert icmp any any -> any any (content:\"x\"; sid:105;)",
	  "unsupported protocol 'icmp'", 105 },
	/* semantics we cannot honour exactly: never loaded in a weaker form */
	{ HDR "(content:\"x\"; content:\"y\"; distance:-1; sid:110;)",
	  "negative distance not supported", 110 },
	{ HDR "(content:\"x\"; depth:4; distance:1; sid:111;)",
	  "distance/within on the first element of buffer 'stream' not supported", 111 },
	{ HDR "(content:\"x\"; content:\"y\"; distance:0; depth:5; sid:112;)",
	  "depth/offset cannot be combined with distance/within", 112 },
	{ HDR "(content:\"x\"; content:\"yyy\"; within:2; sid:113;)",
	  "within 2 smaller than content length 3", 113 },
	{ HDR "(content:\"x\"; pcre:\"/a\\;b/U\"; sid:114;)", "unsupported pcre flag 'U'", 114 },
	{ HDR "(content:\"x\"; lua:x.lua; sid:115;)",
	  "unsupported option 'lua'", 115 },
	{ HDR "(content:\"x\"; byte_test:1,>,2,0,bitmask 0xf; sid:116;)",
	  "unsupported byte_test option 'bitmask 0xf'", 116 },
	{ HDR "(content:\"x\"; byte_test:1,>,val,0; sid:241;)",
	  "invalid byte_test value 'val' (byte_extract variables not supported)", 241 },
	{ HDR "(content:\"x\"; byte_jump:2,0,relative; sid:242;)",
	  "byte_jump on a stream buffer not supported (its end is not known when the jump "
	  "is read)", 242 },
	{ HDR "(content:\"x\"; byte_test:1,>,2,0,relative; content:\"y\"; distance:0; sid:243;)",
	  "a relative match after byte_test/byte_jump not supported", 243 },
	{ HDR "(content:\"x\"; byte_test:9,>,2,0; sid:244;)",
	  "byte_test reads at most 8 bytes as a number", 244 },
	{ HDR "(content:\"x\"; byte_test:1,~,2,0; sid:245;)",
	  "invalid byte_test operator '~'", 245 },
	{ HDR "(content:\"x\"; byte_test:1,>,2,0,relative,big,relative,big,relative,big,relative,big,little; sid:254;)",
	  "too many byte_test options", 254 },
	{ HDR "(strip_whitespace; content:\"x\"; sid:246;)",
	  "transform 'strip_whitespace' needs a sticky buffer", 246 },
	{ HDR "(email.subject; to_lowercase; content:\"Xy\"; sid:247;)",
	  "content with uppercase never matches after to_lowercase", 247 },
	{ HDR "(email.subject; strip_whitespace; content:\"a b\"; sid:248;)",
	  "content with whitespace never matches after strip_whitespace", 248 },
	{ HDR "(email.subject; strip_whitespace; content:\"ab\"; startswith; sid:249;)",
	  "positions in a transformed buffer not supported", 249 },
	{ HDR "(email.subject; to_lowercase; pcre:\"/ab/\"; sid:250;)",
	  "pcre on a transformed buffer not supported", 250 },
	{ HDR "(email.subject; content:\"a\"; to_lowercase; sid:251;)",
	  "transform 'to_lowercase' after a content of its buffer not supported", 251 },
	{ HDR "(email.subject; to_lowercase; from_base64; content:\"a\"; sid:252;)",
	  "from_base64 after another transform not supported", 252 },
	{ HDR "(content:\"x\"; flowbits:set,foo|bar; sid:117;)",
	  "flowbits with combined names not supported", 117 },
	{ HDR "(content:\"x\"; startswith; depth:3; sid:118;)",
	  "startswith cannot be combined with depth/offset", 118 },
	{ HDR "(content:\"x\"; endswith; sid:119;)",
	  "endswith on the raw stream not supported (it has no end to anchor at)", 119 },
	{ HDR "(content:\"x\"; threshold:type limit, track by_hand, count 1, seconds 60; sid:120;)",
	  "invalid threshold 'type limit, track by_hand, count 1, seconds 60'", 120 },
	{ HDR "(content:\"x\"; threshold:type limit, count 1, seconds 60; sid:123;)",
	  "threshold needs type, track, count >= 1 and seconds >= 1", 123 },
	{ HDR "(content:\"x\"; detection_filter:track by_src, count 0, seconds 60; sid:124;)",
	  "detection_filter needs type, track, count >= 1 and seconds >= 1", 124 },
	{ HDR "(content:\"x\"; threshold:type both, track by_src, count 1, seconds 9; "
	  "detection_filter:track by_dst, count 2, seconds 9; sid:125;)",
	  "more than one threshold/detection_filter", 125 },
	{ HDR "(content:\"x\"; base64_decode; content:\"z\"; base64_data; content:\"y\"; "
	  "sid:121;)", "a match between base64_decode and base64_data not supported", 121 },
	{ HDR "(content:\"x\"; base64_data; content:\"y\"; sid:228;)",
	  "base64_data without base64_decode", 228 },
	{ HDR "(base64_decode:relative; base64_data; content:\"y\"; sid:229;)",
	  "base64_decode relative needs a preceding content or pcre", 229 },
	{ HDR "(content:\"x\"; base64_decode:bytes 0; base64_data; content:\"y\"; sid:230;)",
	  "invalid base64_decode bytes '0'", 230 },
	{ HDR "(content:\"x\"; base64_decode:relative; sid:231;)",
	  "base64_decode without base64_data contents", 231 },
	{ HDR "(content:\"x\"; base64_decode:relative; base64_data; content:!\"y\"; sid:232;)",
	  "base64_data: a negated match not supported", 232 },
	{ HDR "(filemagic:\"PE32\"; flow:to_client; sid:122;)",
	  "buffer 'file.magic' is to_server only but rule has flow:to_client", 122 },
	{ HDR "(app-layer-event:smtp.bare_lf; sid:123;)",
	  "unknown app-layer-event 'smtp.bare_lf'", 123 },
	{ HDR "(content:\"x\"; some_future_keyword:1; sid:124;)",
	  "unsupported option 'some_future_keyword'", 124 },
	{ HDR "(http.uri; content:\"x\"; sid:125;)", "unsupported option 'http.uri'", 125 },
	{ HDR "(content:!\"x\"; sid:126;)",
	  "negated match on the raw stream not supported (no end of inspection to decide at)", 126 },
	{ HDR "(smtp.helo; content:\"x\"; smtp.data; content: ! \"y\"; sid:127;)",
	  "negated match with conditions in other buffers not supported", 127 },
	{ HDR "(smtp.data; content:\"x\"; content:!\"y\"; distance:0; sid:128;)",
	  "negated relative content without within not supported", 128 },
	{ HDR "(smtp.data; content:\"x\"; content:!\"yz\"; within:5; sid:216;)",
	  "negated relative content longer than one byte not supported", 216 },
	{ HDR "(content:\"x\"; content:!\"|0a|\"; within:9000; sid:217;)",
	  "isdataat/within over 8192 after a match not supported", 217 },
	{ HDR "(content:\"x\"; isdataat:70000,relative; sid:253;)",
	  "invalid isdataat value '70000,relative'", 253 },
	{ HDR "(content:\"x\"; isdataat:5,relative; content:\"y\"; distance:0; sid:218;)",
	  "a match after isdataat or a negated relative content not supported", 218 },
	{ HDR "(isdataat:5,relative; content:\"y\"; sid:219;)",
	  "isdataat relative needs a preceding content or pcre", 219 },
	{ HDR "(content:\"x\"; isdataat:!5,relative; sid:220;)",
	  "negated isdataat relative on the raw stream not supported (it has no end)", 220 },
	{ HDR "(content:\"x\"; isdataat:5x; sid:221;)", "invalid isdataat value '5x'", 221 },
	{ HDR "(requires: keyword http.uri; content:\"x\"; sid:233;)",
	  "requires keyword 'http.uri', which mailtap does not have", 233 },
	{ HDR "(requires: feature geoip; content:\"x\"; sid:234;)",
	  "requires feature 'geoip', which mailtap does not have", 234 },
	{ HDR "(requires: version >= 9; content:\"x\"; sid:235;)",
	  "requires version '>= 9'; mailtap's rule language is Suricata 8.0's", 235 },
	{ HDR "(requires: version >= 7 < 8; content:\"x\"; sid:236;)",
	  "requires version '>= 7 < 8'; mailtap's rule language is Suricata 8.0's", 236 },
	{ HDR "(requires: lua; content:\"x\"; sid:237;)", "unsupported requires 'lua'", 237 },
	{ HDR "(content:\"x\"; flowint:n,+,other; sid:238;)",
	  "flowint with a variable or an invalid number 'other' not supported", 238 },
	{ HDR "(content:\"x\"; flowint:n,*,2; sid:239;)",
	  "unsupported flowint operator '*'", 239 },
	{ HDR "(content:\"x\"; flowint:n,isset,1; sid:240;)", "invalid flowint 'n,isset,1'", 240 },
	{ HDR "(content:\"x\"; flowbits:set,a|b; sid:224;)",
	  "flowbits with combined names not supported", 224 },
	{ HDR "(content:\"x\"; flowbits:isset; sid:225;)", "flowbits:isset needs a name", 225 },
	{ HDR "(content:\"x\"; flowbits:frob,a; sid:226;)",
	  "unsupported flowbits command 'frob'", 226 },
	{ HDR "(flowbits:isset,a; sid:227;)", "rule has no content", 227 },
	{ HDR "(content:\"x\"; isdataat:5,relativ; sid:222;)",
	  "unsupported isdataat option 'relativ'", 222 },
	{ HDR "(content:\"x\"; pcre:\"/y/R\"; isdataat:5,relative; sid:223;)",
	  "isdataat relative to a pcre not supported", 223 },
	{ HDR "(smtp.data; content:!\"x\"; content:\"y\"; distance:0; sid:129;)",
	  "relative match after a negated element not supported", 129 },
	{ HDR "(content:\"x\"; depth:0; sid:200;)", "depth 0 smaller than content length 1", 200 },
	{ HDR "(content:\"abc\"; depth:2; sid:201;)", "depth 2 smaller than content length 3", 201 },
	{ HDR "(content:\"x\"; depth:1; depth:2; sid:202;)", "duplicate option 'depth'", 202 },
	{ HDR "(content:\"x\"; offset:-1; sid:203;)", "invalid offset '-1'", 203 },
	{ HDR "(content:\"x\"; within:abc; sid:204;)", "invalid within 'abc'", 204 },
	{ HDR "(content:\"x\"; depth:70000; sid:205;)", "invalid depth '70000'", 205 },
	{ HDR "(depth:3; content:\"x\"; sid:206;)", "'depth' needs a preceding content", 206 },
	{ HDR "(pcre:\"/x/\"; depth:3; sid:207;)", "'depth' needs a preceding content", 207 },
	{ HDR "(pcre:\"/x/\"; nocase; sid:208;)", "'nocase' needs a preceding content", 208 },
	{ HDR "(pcre:\"/x/R\"; sid:209;)",
	  "pcre R on the first element of buffer 'stream' not supported", 209 },
	{ HDR "(pcre:\"/x/\"; content:\"y\"; distance:0; sid:210;)",
	  "content relative to a pcre not supported", 210 },
	{ HDR "(pcre:\"/x$/\"; sid:211;)",
	  "pcre end anchor on the raw stream not supported (it has no end to anchor at)", 211 },
	{ HDR "(pcre:\"/^(a)\\1/\"; sid:212;)",
	  "not supported by Hyperscan: Back-references are unsupported. "
	  "(PCRE2 confirmation on a stream needs a pattern anchored neither at its "
	  "start nor at its end)", 212 },
	{ HDR "(content:\"x\"; depth:5; content:\"y\"; distance:0; pcre:\"/a(?!b)/R\"; sid:213;)",
	  "not supported by Hyperscan: Zero-width assertions are not supported. "
	  "(PCRE2 confirmation on a stream needs a pattern anchored neither at its "
	  "start nor at its end)", 213 },
	{ HDR "(pcre:\"x\"; sid:214;)", "pcre must be of the form /regex/flags", 214 },
	{ HDR "(pcre:/x/; sid:215;)", "pcre must be a quoted string", 215 },
	{ HDR "(pcre:\"//\"; sid:216;)", "empty pcre", 216 },
	{ HDR "(pcre:\"/x/H\"; sid:217;)", "unsupported pcre flag 'H'", 217 },
	{ HDR "(content:\"x\"; pcre:\"/a^b/R\"; sid:218;)",
	  "relative pcre with an inner start anchor not supported", 218 },
	{ HDR "(content:\"x\"; pcre:\"/^a|b/R\"; sid:219;)",
	  "relative pcre with an inner start anchor not supported", 219 },
	{ HDR "(content:\"x\"; pcre:\"/\\bfoo/R\"; sid:224;)",
	  "relative pcre with \\b or \\B not supported", 224 },
	{ HDR "(content:\"x\"; content:\"y\"; distance:5000; sid:220;)",
	  "distance/within over 4096 not supported", 220 },
	{ HDR "(content:\"x\"; offset:5000; content:\"y\"; distance:0; sid:221;)",
	  "offset/depth over 4096 before a relative match not supported", 221 },
	{ HDR "(smtp.data; content:\"x\"; endswith; content:\"y\"; distance:0; sid:222;)",
	  "endswith on a content that a relative element follows", 222 },
	{ HDR "(pcre:\"/a*/\"; sid:223;)",
	  "not supported by Hyperscan: Pattern matches empty buffer; use HS_FLAG_ALLOWEMPTY "
	  "to enable support.", 223 },
	/* block buffers: PCRE2 confirms what Hyperscan prefilters */
	{ HDR "(smtp.helo; pcre:\"/a*/\"; sid:225;)",
	  "not supported by Hyperscan: Pattern matches empty buffer; use HS_FLAG_ALLOWEMPTY "
	  "to enable support.", 225 },
	{ HDR "(smtp.helo; pcre:\"/(?<=a+)b/\"; sid:226;)",
	  "invalid pcre: lookbehind assertion is not fixed length", 226 },
	{ HDR "(smtp.helo; content:\"x\"; pcre:\"/(?<=x)b/R\"; sid:227;)",
	  "relative pcre with a lookbehind not supported", 227 },
	{ HDR "(smtp.helo; pcre:\"/(a)/\"; pcre:\"/\\1/R\"; sid:228;)",
	  "not supported by Hyperscan: Back-references are unsupported. "
	  "(PCRE2 confirmation needs a single pcre per chain)", 228 },
	/* required parts */
	{ HDR "(msg:\"no content\"; sid:130;)", "rule has no content", 130 },
	{ HDR "(msg:\"no sid\"; content:\"x\";)", "rule has no sid", 0 },
	{ HDR "(content:\"x\"; sid:0;)", "invalid sid '0'", 0 },
	{ HDR "(content:\"x\"; sid:12ab;)", "invalid sid '12ab'", 0 },
	{ HDR "(content:\"x\"; sid:131; rev:x;)", "invalid rev 'x'", 131 },
	{ HDR "(content:\"x\"; sid:132; sid:133;)", "duplicate option 'sid'", 132 },
	{ HDR "(msg:\"a\"; msg:\"b\"; content:\"x\"; sid:134;)", "duplicate option 'msg'", 134 },
	/* flow */
	{ HDR "(flow:stateless; content:\"x\"; sid:140;)", "unsupported flow option 'stateless'", 140 },
	{ HDR "(flow:established,no_stream; content:\"x\"; sid:141;)",
	  "unsupported flow option 'no_stream'", 141 },
	{ HDR "(flow:not_established; content:\"x\"; sid:142;)",
	  "unsupported flow option 'not_established'", 142 },
	{ HDR "(flow:to_server,to_client; content:\"x\"; sid:143;)",
	  "conflicting flow directions", 143 },
	{ HDR "(flow:sideways; content:\"x\"; sid:144;)", "invalid flow option 'sideways'", 144 },
	{ HDR "(flow:to_client; smtp.helo; content:\"x\"; sid:145;)",
	  "buffer 'smtp.helo' is to_server only but rule has flow:to_client", 145 },
	{ HDR "(flow:from_server; smtp.data; content:\"x\"; sid:146;)",
	  "buffer 'smtp.data' is to_server only but rule has flow:to_client", 146 },
	/* classtype / priority */
	{ HDR "(content:\"x\"; classtype:no-such-class; sid:150;)",
	  "unknown classtype 'no-such-class'", 150 },
	{ HDR "(content:\"x\"; priority:0; sid:151;)", "invalid priority '0'", 151 },
	/* content syntax */
	{ HDR "(content:\"|0d 0|\"; sid:160;)", "odd number of hex digits in content", 160 },
	{ HDR "(content:\"|0d 0a\"; sid:161;)", "unterminated '|' in content", 161 },
	{ HDR "(content:\"|0g|\"; sid:162;)", "invalid hex character 'g' in content", 162 },
	{ HDR "(content:\"a\\x\"; sid:163;)", "invalid escape in content", 163 },
	{ HDR "(content:\"\"; sid:164;)", "empty content", 164 },
	{ HDR "(content:\"||\"; sid:165;)", "empty content", 165 },
	{ HDR "(content:x; sid:166;)", "content must be a quoted string", 166 },
	{ HDR "(content:\"a\"b\"; sid:167;)", "unescaped '\"' in content", 167 },
	{ HDR "(content:\"abc; sid:168;)", "unterminated quote in content", 168 },
	{ HDR "(content:\"x\"; nocase:1; sid:169;)", "option 'nocase' takes no value", 169 },
	{ HDR "(nocase; content:\"x\"; sid:170;)", "'nocase' needs a preceding content", 170 },
	{ HDR "(smtp.helo; nocase; content:\"x\"; sid:171;)",
	  "'nocase' needs a preceding content", 171 },
	{ HDR "(content:\"x\"; smtp.helo; sid:172;)", "sticky buffer 'smtp.helo' has no content", 172 },
	{ HDR "(smtp.helo; smtp.mail_from; content:\"x\"; sid:173;)",
	  "sticky buffer 'smtp.helo' has no content", 173 },
	/* new buffers, aliases, groups */
	{ HDR "(flow:to_client; email.subject; content:\"x\"; sid:300;)",
	  "buffer 'email.subject' is to_server only but rule has flow:to_client", 300 },
	{ HDR "(flow:to_client; fileext:\"exe\"; sid:301;)",
	  "buffer 'file.name' is to_server only but rule has flow:to_client", 301 },
	{ HDR "(email.to; email.cc; content:\"x\"; sid:302;)",
	  "sticky buffer 'email.to' has no content", 302 },
	{ HDR "(email.to; filename:\"x\"; sid:303;)",
	  "sticky buffer 'email.to' has no content", 303 },
	{ HDR "(file.name; content:\"a\"; file.name; content:\"b\"; distance:0; sid:304;)",
	  "distance/within on the first element of buffer 'file.name' not supported", 304 },
	{ HDR "(file.name; content:\"a\"; filename:\"b\"; content:\"c\"; distance:0; sid:305;)",
	  "distance/within on the first element of buffer 'stream' not supported", 305 },
	{ HDR "(file.name; content:\"a\"; file.name; content:!\"b\"; sid:306;)",
	  "negated match with a second 'file.name' buffer not supported", 306 },
	{ HDR "(filename:!\"a\"; smtp.helo; content:\"h\"; sid:307;)",
	  "negated match with conditions in other buffers not supported", 307 },
	{ HDR "(email.url; content:\"x\"; endswith; content:\"y\"; distance:0; sid:308;)",
	  "endswith on a content that a relative element follows", 308 },
	{ HDR "(filename:\"\"; sid:309;)", "empty content", 309 },
	{ HDR "(fileext:\"a\"b\"; sid:310;)", "unescaped '\"' in content", 310 },
	{ HDR "(filename; sid:311;)", "option 'filename' needs a value", 311 },
	{ HDR "(email.body; pcre:\"/(a)\\1$/\"; sid:312;)",
	  "not supported by Hyperscan: Back-references are unsupported. "
	  "(PCRE2 confirmation on a stream needs a pattern anchored neither at its "
	  "start nor at its end)", 312 },
	/* bsize */
	{ HDR "(content:\"x\"; bsize:5; sid:320;)",
	  "bsize on the raw stream not supported (it needs a sticky buffer)", 320 },
	{ HDR "(filename:\"x\"; bsize:5; sid:321;)",
	  "bsize on the raw stream not supported (it needs a sticky buffer)", 321 },
	{ HDR "(email.subject; bsize:0; sid:322;)",
	  "bsize '0' only matches an empty buffer, which is never inspected", 322 },
	{ HDR "(email.subject; bsize:<1; sid:323;)",
	  "bsize '<1' only matches an empty buffer, which is never inspected", 323 },
	{ HDR "(email.subject; bsize:<=0; sid:324;)",
	  "bsize '<=0' only matches an empty buffer, which is never inspected", 324 },
	{ HDR "(email.subject; bsize:&0xc0=0x80; sid:325;)", "bsize bitmask not supported", 325 },
	{ HDR "(email.subject; bsize:5x; sid:326;)", "invalid bsize '5x'", 326 },
	{ HDR "(email.subject; bsize:<0; sid:327;)", "invalid bsize '<0'", 327 },
	{ HDR "(email.subject; bsize:5-6; sid:328;)", "invalid bsize '5-6'", 328 },
	{ HDR "(email.subject; bsize:>5; bsize:<3; sid:329;)",
	  "bsize values of buffer 'email.subject' exclude each other", 329 },
	{ HDR "(email.subject; content:\"abcdef\"; bsize:<5; sid:330;)",
	  "content needs 6 bytes but bsize allows at most 4", 330 },
	{ HDR "(email.subject; content:\"ab\"; offset:3; bsize:4; sid:331;)",
	  "content needs 5 bytes but bsize allows at most 4", 331 },
	{ HDR "(smtp.helo; content:\"h\"; email.subject; bsize:!5; sid:332;)",
	  "negated match with conditions in other buffers not supported", 332 },
	{ HDR "(bsize:5; sid:333;)",
	  "bsize on the raw stream not supported (it needs a sticky buffer)", 333 },
	{ HDR "(email.subject; bsize; sid:334;)", "option 'bsize' needs a value", 334 },
	{ HDR "(email.subject; bsize:18446744073709551616; sid:335;)",
	  "invalid bsize '18446744073709551616'", 335 },
	{ HDR "(email.subject; bsize:20000000000gb; sid:336;)",
	  "invalid bsize '20000000000gb'", 336 },
	{ HDR "(msg:\"unterminated; content:\"x\"; sid:175;)", "unterminated quote in msg", 175 },
	{ HDR "(msg:\"bad \\q escape\"; content:\"x\"; sid:176;)", "invalid escape in msg", 176 },
	{ HDR "(content; sid:177;)", "option 'content' needs a value", 177 },
	/* header syntax */
	{ "alert smtp $FOO_NET any -> any any (content:\"x\"; sid:180;)",
	  "invalid source address: unknown variable '$FOO_NET'", 180 },
	{ "alert smtp 1.2.3.256 any -> any any (content:\"x\"; sid:181;)",
	  "invalid source address: invalid address '1.2.3.256'", 181 },
	{ "alert smtp any any -> any 70000 (content:\"x\"; sid:182;)",
	  "invalid destination port: invalid port '70000'", 182 },
	{ "alert smtp any 200:100 -> any any (content:\"x\"; sid:183;)",
	  "invalid source port: invalid port '200:100'", 183 },
	{ "alert smtp !any any -> any any (content:\"x\"; sid:184;)",
	  "invalid source address: '!any' matches no address", 184 },
	{ "alert smtp any any -> [1.1.1.1,!1.1.1.1] any (content:\"x\"; sid:185;)",
	  "invalid destination address: '[1.1.1.1,!1.1.1.1]' matches no address", 185 },
	{ "alert smtp [1.1.1.1,2.2.2.2 any -> any any (content:\"x\"; sid:186;)",
	  "incomplete rule header (want: action proto src_addr src_port direction dst_addr dst_port)",
	  0 /* the unbalanced '[' swallowed the options */ },
	{ "alert smtp [1.1.1.1,] any -> any any (content:\"x\"; sid:187;)",
	  "invalid source address: empty element in list '[1.1.1.1,]'", 187 },
	{ "alert smtp 10.0.0.0/33 any -> any any (content:\"x\"; sid:188;)",
	  "invalid source address: invalid address '10.0.0.0/33'", 188 },
	{ "alert smtp any any <- any any (content:\"x\"; sid:189;)", "invalid direction '<-'", 189 },
	{ "alert smtp [1.1.1.1]x any -> any any (content:\"x\"; sid:193;)",
	  "invalid source address: unexpected text after ']' in '[1.1.1.1]x'", 193 },
	{ "alert smtp 1.1.1.1] any -> any any (content:\"x\"; sid:194;)",
	  "invalid source address: unbalanced ']' in '1.1.1.1]'", 194 },
	{ "alert smtp $ any -> any any (content:\"x\"; sid:195;)",
	  "invalid source address: invalid variable '$'", 195 },
	{ "alert smtp $HOME-NET any -> any any (content:\"x\"; sid:196;)",
	  "invalid source address: invalid variable '$HOME-NET'", 196 },
	{ HDR "(msg:\"a\"b\"; content:\"x\"; sid:197;)", "unescaped '\"' in msg", 197 },
	{ "alert smtp any any -> any any", "missing '(' options", 0 },
	{ "alert smtp any any -> any", "incomplete rule header (want: action proto src_addr "
	  "src_port direction dst_addr dst_port)", 0 },
	{ "alert smtp any any -> any any extra (content:\"x\"; sid:190;)",
	  "unexpected 'extra' after rule header", 0 },
	{ "alert smtp any any -> any any (content:\"x\"; sid:191;",
	  "rule options not closed with ')'", 0 },
	{ HDR "(content:\"x\";; sid:192;)", "empty option name", 0 },
	{ "hello", "unsupported action 'hello'", 0 },
	/* duplicate sid: sid 1 gid 1 was loaded first by this test */
	{ HDR "(msg:\"dup\"; content:\"y\"; sid:1;)",
	  "duplicate sid 1 (gid 1), first defined at skip.rules:1", 1 },
};

static void test_skipped(void)
{
	struct sig_set *s = sig_set_new();
	struct diag_rec d = { 0 };
	size_t n = sizeof(skip_cases) / sizeof(skip_cases[0]);

	CHECK_EQ_U(sig_set_add_rule(s, HDR "(msg:\"first\"; content:\"x\"; sid:1;)",
				    "skip.rules", 1, on_diag, &d), 0);
	for (size_t i = 0; i < n; i++) {
		const struct skip_case *c = &skip_cases[i];
		unsigned before = d.n;

		CHECK_EQ_U(sig_set_add_rule(s, c->rule, "skip.rules", (unsigned)(i + 2),
					    on_diag, &d), (uint64_t)(int64_t)-EINVAL);
		CHECK_EQ_U(d.n, before + 1);
		if (strcmp(d.text, c->text) != 0)
			fprintf(stderr, "case %zu: %s\n", i, c->rule);
		CHECK_STR(d.text, c->text);
		CHECK_EQ_U(d.sid, c->sid);
		CHECK_EQ_U(d.line, i + 2);
		CHECK_STR(d.file, "skip.rules");
	}
	/* Longer than any content Suricata accepts. */
	{
		size_t big_len = 70000;
		char *big = malloc(big_len + 128);

		strcpy(big, HDR "(content:\"");
		memset(big + strlen(big), 'A', big_len);
		strcpy(big + strlen(HDR "(content:\"") + big_len, "\"; sid:198;)");
		CHECK_EQ_U(sig_set_add_rule(s, big, "skip.rules", 1000, on_diag, &d),
			   (uint64_t)(int64_t)-EINVAL);
		CHECK_STR(d.text, "content longer than 65535 bytes");
		free(big);
	}
	/* The good rules around them still load. */
	CHECK_EQ_U(sig_set_add_rule(s, HDR "(msg:\"last\"; content:\"x\"; sid:2;)",
				    "skip.rules", 999, on_diag, &d), 0);
	CHECK_EQ_U(sig_set_loaded(s), 2);
	CHECK_EQ_U(sig_set_skipped(s), n + 1);
	CHECK_EQ_U(d.empty_texts, 0);
	CHECK_STR(sig_set_rule_meta(s, 0)->msg, "first");
	CHECK_STR(sig_set_rule_meta(s, 1)->msg, "last");
	sig_set_free(s);
}

/* ---- buffer names and bsize values -------------------------------- */

static void test_buf_names(void)
{
	static const char *const names[SIG_BUF_COUNT] = {
		"stream", "smtp.helo", "smtp.mail_from", "smtp.rcpt_to", "smtp.data",
		"email.from", "email.to", "email.cc", "email.subject", "email.date",
		"email.message_id", "email.x_mailer", "email.received", "email.url",
		"email.body", "file.name", "file.data", "smtp.command", "file.magic",
		"app-layer-event", "base64_data", "email.body_md5",
		"frame:smtp.command_line", "frame:smtp.response_line", "frame:smtp.data",
	};

	for (unsigned b = 0; b < SIG_BUF_COUNT; b++)
		CHECK_STR(sig_buf_name((enum sig_buf)b), names[b]);
	CHECK_STR(sig_buf_name(SIG_BUF_COUNT), "invalid");
	/* each name (and the file_data alias) is accepted as a sticky buffer */
	for (unsigned b = 1; b <= SIG_BUF_COUNT; b++) {
		struct sig_set *s;
		struct diag_rec d = { 0 };

		/* app-layer-event is a keyword with a value, not a sticky
		 * buffer; the frames are named by frame: (test_sig_scan) */
		if (b == SIG_BUF_APP_EVENT || b == SIG_BUF_BASE64 ||
		    b == SIG_BUF_FRAME_COMMAND_LINE || b == SIG_BUF_FRAME_RESPONSE_LINE ||
		    b == SIG_BUF_FRAME_DATA)
			continue;
		s = sig_set_new();
		char rule[256];

		snprintf(rule, sizeof(rule), HDR "(%s; content:\"x\"; sid:1;)",
			 b < SIG_BUF_COUNT ? names[b] : "file_data");
		CHECK_EQ_U(sig_set_add_rule(s, rule, "names.rules", 1, on_diag, &d), 0);
		if (d.n)
			fprintf(stderr, "%s: %s\n", rule, d.text);
		sig_set_free(s);
	}
	/* requirements mailtap meets, and the protocols it accepts */
	{
		static const char *const ok[] = {
			HDR "(requires: keyword email.body_md5, version >= 7.0.3; email.body_md5; "
			"content:\"a\"; sid:1;)",
			HDR "(requires: version >= 8 < 9; content:\"x\"; sid:2;)",
			"alert ip any any -> any any (content:\"x\"; sid:3;)",
			"alert email any any -> any any (email.subject; content:\"x\"; sid:4;)",
			"alert file any any -> any any (file.data; content:\"x\"; sid:5;)",
		};

		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			struct sig_set *s = sig_set_new();
			struct diag_rec d = { 0 };

			CHECK_EQ_U(sig_set_add_rule(s, ok[i], "ok.rules", 1, on_diag, &d), 0);
			if (d.n)
				fprintf(stderr, "%s: %s\n", ok[i], d.text);
			sig_set_free(s);
		}
	}
}

#define INF SIG_BSIZE_INF

struct bsize_case {
	const char *text;
	int rc;
	uint64_t lo, hi;
	bool neg;
	const char *err;
};

static const struct bsize_case bsize_cases[] = {
	{ "5", 0, 5, 5, false, NULL },
	{ "=5", 0, 5, 5, false, NULL },
	{ "= 5", 0, 5, 5, false, NULL },
	{ " 5 ", 0, 5, 5, false, NULL },
	{ "0x10", 0, 16, 16, false, NULL },
	{ "2kb", 0, 2048, 2048, false, NULL },
	{ "1KiB", 0, 1024, 1024, false, NULL },
	{ "3mb", 0, 3u << 20, 3u << 20, false, NULL },
	{ "1gib", 0, 1u << 30, 1u << 30, false, NULL },
	{ "<5", 0, 1, 4, false, NULL },
	{ "<= 5", 0, 1, 5, false, NULL },
	{ ">5", 0, 6, INF, false, NULL },
	{ ">=5", 0, 5, INF, false, NULL },
	{ ">0", 0, 1, INF, false, NULL },
	{ "5-10", 0, 6, 9, false, NULL },
	{ "5<>10", 0, 6, 9, false, NULL },
	{ "5 <> 10", 0, 6, 9, false, NULL },
	{ "0-2", 0, 1, 1, false, NULL },
	/* != and negated ranges: a negated interval, or the part that is left */
	{ "!5", 0, 5, 5, true, NULL },
	{ "!=5", 0, 5, 5, true, NULL },
	{ "!= 5", 0, 5, 5, true, NULL },
	{ "!5-10", 0, 6, 9, true, NULL },
	{ "!0", 0, 1, INF, false, NULL },
	{ "!1", 0, 2, INF, false, NULL },
	{ "!0-4", 0, 4, INF, false, NULL },
	{ "!18446744073709551615", 0, 1, 18446744073709551614ull, false, NULL },
	{ "18446744073709551615", 0, 18446744073709551615ull, 18446744073709551615ull, false, NULL },
	/* refused */
	{ "0", -1, 0, 0, false, "bsize '0' only matches an empty buffer, which is never inspected" },
	{ "<1", -1, 0, 0, false, "bsize '<1' only matches an empty buffer, which is never inspected" },
	{ "0-1", -1, 0, 0, false, "invalid bsize '0-1'" },
	{ "<0", -1, 0, 0, false, "invalid bsize '<0'" },
	{ ">=0", -1, 0, 0, false, "invalid bsize '>=0'" },
	{ ">18446744073709551615", -1, 0, 0, false, "invalid bsize '>18446744073709551615'" },
	{ "<=18446744073709551615", -1, 0, 0, false, "invalid bsize '<=18446744073709551615'" },
	{ "10-5", -1, 0, 0, false, "invalid bsize '10-5'" },
	{ "5-", -1, 0, 0, false, "invalid bsize '5-'" },
	{ "", -1, 0, 0, false, "invalid bsize ''" },
	{ "x", -1, 0, 0, false, "invalid bsize 'x'" },
	{ "-5", -1, 0, 0, false, "invalid bsize '-5'" },
	{ "5 6", -1, 0, 0, false, "invalid bsize '5 6'" },
	{ "0x", -1, 0, 0, false, "invalid bsize '0x'" },
	{ "0x1ffffffffffffffff", -1, 0, 0, false, "invalid bsize '0x1ffffffffffffffff'" },
	{ "&0xc0!=0", -1, 0, 0, false, "bsize bitmask not supported" },
};

static void test_bsize_parse(void)
{
	for (size_t i = 0; i < sizeof(bsize_cases) / sizeof(bsize_cases[0]); i++) {
		const struct bsize_case *c = &bsize_cases[i];
		struct sig_bsize b;
		char err[128] = "";
		int rc = sig_bsize_parse(c->text, strlen(c->text), &b, err, sizeof(err));

		if (rc != c->rc)
			fprintf(stderr, "bsize '%s': rc %d (%s)\n", c->text, rc, err);
		CHECK_EQ_U(rc, c->rc);
		if (rc == 0 && c->rc == 0) {
			CHECK_EQ_U(b.lo, c->lo);
			CHECK_EQ_U(b.hi, c->hi);
			CHECK_EQ_U(b.neg, c->neg);
		} else if (c->err) {
			CHECK_STR(err, c->err);
		}
	}
}

/* ---- variables ------------------------------------------------------ */

static int add(struct sig_set *s, const char *rule, struct diag_rec *d)
{
	return sig_set_add_rule(s, rule, "vars.rules", 1, on_diag, d);
}

static void test_vars(void)
{
	struct sig_set *s = sig_set_new();
	struct diag_rec d = { 0 };

	CHECK_EQ_U(sig_set_var(s, "MY_PORTS", "[25,587,2525:2530]"), 0);
	CHECK_EQ_U(sig_set_var(s, "$MAIL_NET", "[10.1.0.0/16,$SMTP_SERVERS]"), 0);
	CHECK_EQ_U(sig_set_var(s, "BAD", "not-an-address"), (uint64_t)(int64_t)-EINVAL);
	CHECK_EQ_U(sig_set_var(s, "LOOP", "$LOOP"), (uint64_t)(int64_t)-EINVAL);
	CHECK_EQ_U(sig_set_var(s, "bad name", "any"), (uint64_t)(int64_t)-EINVAL);
	CHECK_EQ_U(sig_set_var(s, "UNDEF", "$NOT_DEFINED"), (uint64_t)(int64_t)-EINVAL);
	CHECK_EQ_U(sig_set_var(s, "OPEN", "[1.1.1.1"), (uint64_t)(int64_t)-EINVAL);
	CHECK_EQ_U(sig_set_var(s, "EMPTY", ""), (uint64_t)(int64_t)-EINVAL);
	/* Each level doubles the work: stopped by the budget, not by time. */
	{
		char name[16], val[64];
		int rc = 0, i;

		CHECK_EQ_U(sig_set_var(s, "X0", "1.1.1.1"), 0);
		for (i = 1; i <= 30 && rc == 0; i++) {
			snprintf(name, sizeof(name), "X%d", i);
			snprintf(val, sizeof(val), "[$X%d,$X%d]", i - 1, i - 1);
			rc = sig_set_var(s, name, val);
		}
		CHECK_EQ_U(rc, (uint64_t)(int64_t)-EINVAL);
		CHECK(i > 10);
	}
	/* HOME_NET -> EXTERNAL_NET -> HOME_NET is a cycle: refused, and
	 * the old HOME_NET stays in force. */
	CHECK_EQ_U(sig_set_var(s, "HOME_NET", "$EXTERNAL_NET"), (uint64_t)(int64_t)-EINVAL);
	CHECK_EQ_U(add(s, "alert smtp $HOME_NET any -> $MAIL_NET $MY_PORTS (content:\"x\"; sid:1;)",
		       &d), 0);
	CHECK_EQ_U(add(s, "alert smtp $BAD any -> any any (content:\"x\"; sid:2;)", &d),
		   (uint64_t)(int64_t)-EINVAL);
	CHECK_STR(d.text, "invalid source address: unknown variable '$BAD'");
	/* A port variable is not an address. */
	CHECK_EQ_U(add(s, "alert smtp $MY_PORTS any -> any any (content:\"x\"; sid:3;)", &d),
		   (uint64_t)(int64_t)-EINVAL);
	CHECK_STR(d.text, "invalid source address: invalid address '25'");
	/* Overriding HOME_NET changes what EXTERNAL_NET means for later rules. */
	CHECK_EQ_U(sig_set_var(s, "HOME_NET", "any"), 0);
	CHECK_EQ_U(add(s, "alert smtp $EXTERNAL_NET any -> any any (content:\"x\"; sid:4;)", &d),
		   (uint64_t)(int64_t)-EINVAL);
	CHECK_STR(d.text, "invalid source address: '$EXTERNAL_NET' matches no address");
	CHECK_EQ_U(sig_set_var(s, "HOME_NET", "[192.168.0.0/16]"), 0);
	CHECK_EQ_U(add(s, "alert smtp $EXTERNAL_NET any -> any $FILE_DATA_PORTS "
		       "(content:\"x\"; sid:5;)", &d), 0);
	CHECK_EQ_U(sig_set_loaded(s), 2);
	sig_set_free(s);
}

/* ---- files ---------------------------------------------------------- */

static const char rules_file[] =
	"# a comment line\n"
	"\n"
	"   # indented comment\n"
	"alert smtp any any -> any any (msg:\"one\"; content:\"x\"; sid:1;)\n"
	"alert smtp any any -> any any (msg:\"two lines\"; \\\n"
	"    content:\"y\"; \\\r\n"
	"    sid:2;)\r\n"
	"#alert smtp any any -> any any (msg:\"disabled\"; content:\"z\"; sid:3;)\n"
	"alert smtp any any -> any any (msg:\"skipped\"; content:\"x\"; lua:x.lua; \\\n"
	"   sid:4;)\n"
	"\t\n"
	"alert smtp any any -> any any (msg:\"trailing blanks after backslash\"; \\   \n"
	"  content:\"w\"; sid:5;)\n"
	"alert smtp any any -> any any (msg:\"last\"; content:\"v\"; sid:6;)\n"
	"alert smtp any any -> any any (msg:\"backslash at EOF\"; content:\"u\"; sid:7;)\\";

static void test_file(void)
{
	char path[] = "/tmp/test_sig_rules_XXXXXX";
	int fd = mkstemp(path);
	struct sig_set *s = sig_set_new();
	struct diag_rec d = { 0 };
	FILE *fp;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	fp = fdopen(fd, "w");
	fputs(rules_file, fp);
	fclose(fp);
	CHECK_EQ_U(sig_set_load_file(s, path, on_diag, &d), 0);
	CHECK_EQ_U(sig_set_loaded(s), 5);
	CHECK_EQ_U(sig_set_skipped(s), 1);
	CHECK_EQ_U(d.n, 1);
	CHECK_STR(d.text, "unsupported option 'lua'");
	CHECK_EQ_U(d.sid, 4);
	CHECK_EQ_U(d.line, 9);         /* the line the rule starts on */
	CHECK_STR(d.file, path);
	CHECK_STR(sig_set_rule_meta(s, 0)->msg, "one");
	CHECK_EQ_U(sig_set_rule_meta(s, 0)->line, 4);
	CHECK_STR(sig_set_rule_meta(s, 1)->msg, "two lines");
	CHECK_EQ_U(sig_set_rule_meta(s, 1)->line, 5);
	CHECK_EQ_U(sig_set_rule_meta(s, 1)->sid, 2);
	CHECK_EQ_U(sig_set_rule_meta(s, 2)->sid, 5);
	CHECK_EQ_U(sig_set_rule_meta(s, 2)->line, 12);
	CHECK_STR(sig_set_rule_meta(s, 3)->msg, "last");
	CHECK_STR(sig_set_rule_meta(s, 3)->file, path);
	CHECK_STR(sig_set_rule_meta(s, 4)->msg, "backslash at EOF");
	CHECK_EQ_U(sig_set_rule_meta(s, 4)->line, 15);
	unlink(path);
	/* A missing file is an error for the caller, not a diagnostic. */
	d.n = 0;
	CHECK_EQ_U(sig_set_load_file(s, path, on_diag, &d), (uint64_t)(int64_t)-ENOENT);
	CHECK_EQ_U(sig_set_load_file(s, "/tmp", on_diag, &d), (uint64_t)(int64_t)-EISDIR);
	CHECK_EQ_U(d.n, 0);
	sig_set_free(s);
}

/* ---- the real ET Open SMTP rules ------------------------------------ */

struct reason_count {
	char text[128];
	unsigned n;
};

struct et_diag {
	unsigned n, empty;
	struct reason_count r[64];
	unsigned nr;
};

static void et_on_diag(void *user, const char *file, unsigned line, uint32_t sid,
		       const char *text)
{
	struct et_diag *d = user;
	unsigned i;

	d->n++;
	if (!text || !text[0]) {
		d->empty++;
		return;
	}
	for (i = 0; i < d->nr; i++)
		if (strcmp(d->r[i].text, text) == 0)
			break;
	if (i == d->nr && d->nr < 64)
		snprintf(d->r[d->nr++].text, sizeof(d->r[0].text), "%s", text);
	if (i < d->nr)
		d->r[i].n++;
}

static void test_et_open(void)
{
	struct sig_set *s;
	struct sig_engine *e = NULL;
	struct et_diag d = { 0 };
	char err[512];

	if (access(ET_RULES, R_OK) != 0) {
		printf("test_sig_rules: %s not present, ET part skipped\n", ET_RULES);
		return;
	}
	s = sig_set_new();
	CHECK_EQ_U(sig_set_load_file(s, ET_RULES, et_on_diag, &d), 0);
	CHECK(sig_set_loaded(s) > 0);
	CHECK_EQ_U(d.n, sig_set_skipped(s));
	CHECK_EQ_U(d.empty, 0);
	printf("test_sig_rules: ET Open SMTP: %u loaded, %u skipped\n",
	       sig_set_loaded(s), sig_set_skipped(s));
	for (unsigned i = 0; i < d.nr; i++)
		printf("  %4u  %s\n", d.r[i].n, d.r[i].text);
	CHECK_EQ_U(sig_engine_build(s, &e, err, sizeof(err)), 0);
	if (e) {
		CHECK_EQ_U(sig_engine_rule_count(e), sig_set_loaded(s));
		CHECK(sig_engine_db_bytes(e) > 0);
		sig_engine_free(e);
	} else {
		fprintf(stderr, "build: %s\n", err);
	}
}

/* metadata: entries split at their first blank, in rule order, over
 * several keywords; an entry without a value keeps an empty one; blank
 * entries are dropped; past 64 entries the rest are not kept. */
static void test_metadata(void)
{
	struct sig_set *s = sig_set_new();
	const struct sig_rule_meta *m;
	char rule[4096];
	size_t n;

	CHECK_EQ_U(sig_set_add_rule(s, "alert smtp any any -> any any (content:\"x\"; "
				    "metadata:attack_target SMTP_Server,  created_at 2019_09_30 ,"
				    "deployment Perimeter, deployment Internal,,flag; "
				    "metadata: policy balanced-ips drop; sid:1;)", "m.rules", 1,
				    NULL, NULL), 0);
	m = sig_set_rule_meta(s, 0);
	CHECK(m != NULL);
	if (m) {
		static const char *const want[][2] = {
			{ "attack_target", "SMTP_Server" }, { "created_at", "2019_09_30" },
			{ "deployment", "Perimeter" }, { "deployment", "Internal" },
			{ "flag", "" }, { "policy", "balanced-ips drop" },
		};

		CHECK_EQ_U(m->nmd, 6);
		for (unsigned i = 0; i < 6 && i < m->nmd; i++) {
			CHECK_STR(m->md[i].key, want[i][0]);
			CHECK_STR(m->md[i].value, want[i][1]);
		}
	}
	n = (size_t)snprintf(rule, sizeof(rule), "alert smtp any any -> any any (content:\"y\"; metadata:");
	for (int i = 0; i < 70; i++)
		n += (size_t)snprintf(rule + n, sizeof(rule) - n, "%sk%d v", i ? "," : "", i);
	snprintf(rule + n, sizeof(rule) - n, "; sid:2;)");
	CHECK_EQ_U(sig_set_add_rule(s, rule, "m.rules", 2, NULL, NULL), 0);
	m = sig_set_rule_meta(s, 1);
	CHECK(m && m->nmd == 64);
	sig_set_free(s);
}

/*
 * sig_re_surely_exact() spares Hyperscan's analysis of an expression it
 * judges from the text alone; a text it passes that Hyperscan refuses, or
 * that can match empty, would fail a whole database at start. Random texts
 * from pieces Hyperscan takes and pieces it refuses (look-around,
 * back-references, empty and reversed classes, anchors inside, bad
 * escapes, quantifiers): every one passed must pass hs_expression_info
 * with a width of at least 1 and compile in block and stream mode.
 */
static uint32_t rx_state = 99;

static uint32_t rx_rnd(uint32_t n)
{
	rx_state = rx_state * 1103515245u + 12345u;
	return (rx_state >> 8) % n;
}

static void test_surely_exact(void)
{
	static const char *const tok[] = {
		"a", "B", "7", " ", "-", "_", "@", "%", "\\.", "\\/", "\\-", "\\x41", "\\x7b",
		"\\d", "\\W", "\\s", "\\n", "\\t", ".", "[a-c]", "[c-a]", "[^a]", "[]a]",
		"[[:alpha:]]", "[\\x00-\\xff]", "[a\\-z]", "[\\d-z]", "[\\x7a-\\x61]", "[a]",
		"[]", "[a-]", "[\\]]", "(", ")", "(?:", "(?i:", "(?ms:", "(?x:", "(?=a)",
		"(?!a)", "(?<=a)", "(?<!a)", "(?>a)", "(?i)", "\\1", "\\b", "\\B", "\\A",
		"\\z", "\\Z", "\\G", "\\K", "\\Q", "\\E", "\\p{L}", "\\xZZ", "\\", "|",
		"*", "+", "?", "{2}", "{1,3}", "^", "$", "#", "]", "}", "\xc3\xa9", "\x01",
		"(?i-s:", "(?#c)", "(*UTF8)", "\\<", "\\>", "\\#", "\\@", "\\%", "\\~",
		"\\\"", "\\'", "\\,", "\\;", "\\=", "\\!", "\\&", "\\_", "\\ ", "#",
		"'", "\"", "~", "()", "[\\<-\\>]", "[ -~]",
	};
	unsigned passed = 0, refused = 0, nt = sizeof(tok) / sizeof(tok[0]);

	for (unsigned round = 0; round < 20000; round++) {
		char re[256] = "";
		unsigned n = 1 + rx_rnd(6);
		hs_expr_info_t *info = NULL;
		hs_compile_error_t *ce = NULL;

		for (unsigned k = 0; k < n; k++)
			strcat(re, tok[rx_rnd(nt)]);
		if (!sig_re_surely_exact(re)) {
			refused++;
			continue;
		}
		passed++;
		for (unsigned fl = 0; fl < 2; fl++) {
			unsigned flags = fl ? HS_FLAG_CASELESS : 0;
			bool ok = hs_expression_info(re, flags, &info, &ce) == HS_SUCCESS;

			if (!ok || !info || info->min_width == 0)
				fprintf(stderr, "surely_exact passed '%s' (flags %u): %s\n", re, flags,
					ok ? "width 0" : ce->message);
			CHECK(ok && info && info->min_width > 0);
			free(info);
			hs_free_compile_error(ce);
			info = NULL;
			ce = NULL;
		}
		/* a real compile of every 20th, in both modes */
		if (passed % 20 == 0) {
			for (unsigned mode = 0; mode < 2; mode++) {
				hs_database_t *db = NULL;

				CHECK(hs_compile(re, HS_FLAG_SINGLEMATCH,
						 mode ? HS_MODE_STREAM : HS_MODE_BLOCK, NULL, &db,
						 &ce) == HS_SUCCESS);
				hs_free_compile_error(ce);
				ce = NULL;
				hs_free_database(db);
			}
		}
	}
	/* both sides exercised */
	CHECK(passed > 500);
	CHECK(refused > 5000);
	/* fixed cases */
	CHECK(sig_re_surely_exact("(?i:vngu)(?i:ekqxnupo)"));
	CHECK(sig_re_surely_exact("(?is:gqxgcshinkwbfy.kqnbh)"));
	CHECK(sig_re_surely_exact("(?i:lmwgi[w]kfngmfz)"));
	CHECK(!sig_re_surely_exact("(?i:^Q3 [a-z]+ report\\.pdf$)"));
	CHECK(!sig_re_surely_exact("a(?=b)"));
	CHECK(!sig_re_surely_exact("()"));
	CHECK(!sig_re_surely_exact("(a"));
	CHECK(!sig_re_surely_exact("a)"));
	CHECK(!sig_re_surely_exact("[z-a]"));
}

int main(void)
{
	test_valid();
	test_skipped();
	test_buf_names();
	test_bsize_parse();
	test_vars();
	test_file();
	test_et_open();
	test_metadata();
	test_surely_exact();
	return check_summary("test_sig_rules");
}
