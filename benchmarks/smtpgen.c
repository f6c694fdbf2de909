/*
 * smtpgen — deterministic generator of realistic SMTP traffic captures for
 * benchmarks.
 *
 *   smtpgen --out F.pcap [--seed N] [--sessions N] [--concurrency C]
 *           [--target-mb M] [--reorder P%] [--ipv6 P%]
 *           [--retransmit P%] [--starttls P%] [--bdat P%]
 *           [--rules-out R.rules N] [--markers-out F.tsv] [--rule-buffers L]
 *           [--format pcap|pcapng] [--link ethernet|sll|sll2|raw|null]
 *
 * Each session is a full ESMTP conversation: handshake, 220 greeting, EHLO
 * and a multi-line capability reply (PIPELINING, SIZE, 8BITMIME, CHUNKING,
 * ...), a NOOP, a HELP, then 1..3 transactions — MAIL FROM, 1..3 RCPT TO
 * and DATA pipelined in one write (RFC 2920), the replies in one write, the
 * message, 250 — then QUIT/221 and a server-first FIN close. --bdat P%
 * (default 15%) of the transactions use BDAT instead (RFC 3030): MAIL and
 * the RCPTs pipelined without DATA, then the message without dot-stuffing
 * or end line as 1..3 chunks, each one write "BDAT n" + n octets (the last
 * "BDAT n LAST") answered by its own 250. --starttls P% (default 5%) of
 * the sessions are STARTTLS ones (RFC 3207): EHLO (offering STARTTLS),
 * STARTTLS, 220, then 5..11 writes of TLS-framed random records alternating
 * client/server (handshake type 22 first, application data 23, a final
 * client alert 21) and the FIN close; they carry no markers. Messages are
 * multipart/mixed: a text/plain and a text/html part (with <a href> URLs),
 * sometimes wrapped in multipart/alternative, 7bit or quoted-printable
 * (the first message's text part always quoted-printable), and one or two
 * base64 attachments (5 KB .. 3 MB decoded, log-uniform, 76-character
 * lines) whose first line encodes a real file magic; the first message
 * also has a small base64 attachment holding the file.data marker.
 *
 * Size: --sessions N writes N sessions; --target-mb M starts sessions
 * while the bytes written plus the bytes the active sessions still plan to
 * write (attachment sizes are drawn when a session starts) stay under
 * M MiB, so the file ends within about one session of M MiB at any
 * concurrency; --sessions is then only an upper bound.
 *
 * C sessions are active at once and a seeded scheduler picks one of them
 * for every packet, so the connections are interleaved packet by packet.
 * Data segments carry at most 1460 bytes; the receiver ACKs every second
 * segment and the end of each write (delayed ACK); --reorder swaps
 * adjacent segments of a write with that probability; --retransmit sends
 * a data segment again (same sequence number, same bytes) on the
 * session's next step, so other sessions' packets come in between.
 *
 * Markers: each session n (counted from 0) that is not a STARTTLS one
 * carries thirteen unique strings "MTMARK-<name>-%08u", each aimed at one
 * inspection buffer (the raw stream, and smtp.data for what is in the
 * message, necessarily hold the others too; no other buffer does):
 *   helo      smtp.helo       EHLO argument
 *   mailfrom  smtp.mail_from  first MAIL FROM
 *   rcptto    smtp.rcpt_to    first RCPT TO
 *   stream    stream          NOOP argument (raw client stream only)
 *   body      smtp.data       an X-Reference header of the first message
 *   subject   email.subject   end of its Subject
 *   hdrfrom   email.from      From display name
 *   hdrto     email.to        To display name
 *   url       email.url       path of an https link in the HTML part
 *   ebody     email.body      text part, split by a quoted-printable soft
 *                             line break "=\r\n": whole only decoded
 *   filename  file.name       name of the first attachment
 *   filedata  file.data       inside a small attachment's decoded bytes
 *                             (on the wire only base64-encoded)
 *   command   smtp.command    HELP argument (RFC 5321 4.1.1.8)
 * The names are distinct and followed by '-' and a fixed width number, so
 * no marker is a prefix of another. --markers-out lists them as
 * "buffer<TAB>marker<TAB>session<TAB>sid<TAB>client address", buffer as
 * the rule keyword and sid the rule written for it by --rules-out (0 if
 * none). --rules-out writes N rules: up to half of them (at most one per
 * marker) target markers spread evenly over the sessions and buffers,
 * with the marker's sticky buffer (none for stream), in turn as a plain
 * content, a lower-cased content with nocase, a pcre alone matching
 * exactly that marker, and a content prefix shared by all sessions plus
 * a case-insensitive pcre for the marker; the rest are decoys, in the
 * same four forms, whose content never occurs. --rule-buffers limits the
 * rules (markers and decoys) to some buffers: "stream,file.data,file.name"
 * gives a set Suricata 7 loads as well (benchmarks/run --suricata).
 * benchmarks/check_recall.py checks a mailtap run against the sidecar.
 *
 * Speed: the base64 text of all attachments is encoded once per run into a
 * pool and attachments are slices of it; each session slot has fixed
 * buffers reused from session to session; frames are built in pcapw's
 * output buffer. Nothing is allocated per packet or per session.
 * Everything is a function of the seed (session content of the session's
 * own seed, interleaving of the scheduler's).
 *
 * The option table, base64, random bytes and word picks and the packets
 * that open and close a connection are gen_common's, shared with lingen:
 * their random draws are part of this output.
 */
#include "gen_common.h"
#include "pcapw.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GEN_SEG_MAX        1460u
#define GEN_ATT_MIN        (5u * 1024u)          /* decoded attachment bytes */
#define GEN_ATT_OCTAVES    9u                    /* sizes up to MIN << 9 */
#define GEN_ATT_MAX        (GEN_ATT_MIN << GEN_ATT_OCTAVES)
#define GEN_B64_RAW_LINE   57u                   /* 57 bytes -> 76 chars */
#define GEN_B64_LINE       78u                   /* 76 chars + CRLF */
#define GEN_POOL_LINES     (GEN_ATT_MAX / GEN_B64_RAW_LINE + 64u)
#define GEN_HEAD_CAP       12288u
#define GEN_SMALL_CAP      2048u
#define GEN_PART_CAP       2048u
#define GEN_STEP_US        20u
#define GEN_MARKER_KINDS   13u
#define GEN_TLS_CAP        6144u                 /* one write of TLS records */
#define GEN_CHUNKS_MAX     3u                    /* BDAT chunks per message */
#define GEN_SID_BASE       3000001u

enum phase {
	PH_SYN, PH_SYNACK, PH_ACK, PH_GREETING, PH_EHLO, PH_EHLO_REPLY,
	PH_NOOP, PH_NOOP_REPLY, PH_MAIL, PH_MAIL_REPLY, PH_MESSAGE,
	PH_MESSAGE_REPLY, PH_QUIT, PH_QUIT_REPLY, PH_FIN_SERVER, PH_FIN_CLIENT,
	PH_LAST_ACK, PH_DONE,
	/* Out of the +1 order (next_phase() moves to and from them). */
	PH_HELP, PH_HELP_REPLY, PH_STARTTLS, PH_STARTTLS_REPLY, PH_TLS,
};

/* Marker kinds, in the order of marker_bufs[]. */
enum {
	MK_HELO, MK_MAILFROM, MK_RCPTTO, MK_STREAM, MK_BODY, MK_SUBJECT, MK_HDRFROM,
	MK_HDRTO, MK_URL, MK_EBODY, MK_FILENAME, MK_FILEDATA, MK_COMMAND,
};

struct slice {
	const uint8_t *p;
	size_t n;
};

/* A text buffer that never overflows: appends past the end set `full`,
 * which is a bug in the size estimates (checked by the caller). */
struct sbuf {
	char *p;
	size_t len, cap;
	bool full;
};

struct sess {
	struct pcapw_conn conn;
	struct pcapw_rng rng;           /* content: a function of (seed, id) */
	uint32_t id;
	enum phase phase;
	unsigned tx_total, tx_done;
	unsigned nrcpt;
	bool rcpt_rejected[3];
	bool tls;                       /* STARTTLS session: no SMTP after the 220 */
	unsigned tls_total, tls_left;   /* TLS record writes, still to send */
	bool bdat;                      /* this transaction uses BDAT (RFC 3030) */
	unsigned nchunks, chunk;        /* BDAT chunks of the message, current */
	uint64_t chunk_end[GEN_CHUNKS_MAX];
	/* A data segment to send again on the session's next step. */
	uint32_t rtx_len;
	uint64_t rtx_off;
	enum pcapw_dir rtx_dir;
	/* The write in progress. */
	enum pcapw_dir wdir;
	struct slice wsl[8];
	unsigned nwsl, wi;
	size_t woff;                    /* offset inside wsl[wi] */
	uint64_t wleft;
	unsigned unacked;               /* data segments the peer has not ACKed */
	bool ack_due;                   /* the peer ACKs on the next step */
	/* Fixed buffers, reused by every session of this slot. */
	struct sbuf small, head, mid, tail;
	char small_b[GEN_SMALL_CAP], head_b[GEN_HEAD_CAP];
	char mid_b[GEN_PART_CAP], tail_b[GEN_PART_CAP];
	struct slice msg[6];
	unsigned nmsg;
	uint64_t msg_len;
	uint64_t bytes;                 /* file bytes of this session so far */
	uint64_t planned;               /* estimate of its total file bytes */
	/* Attachment plan, drawn at the start so the size is known early. */
	uint8_t plan_natt[3];
	uint32_t plan_lines[3][2];
	uint8_t scratch[2][GEN_SEG_MAX];
	uint8_t rtx[GEN_SEG_MAX];
	uint8_t tls_b[GEN_TLS_CAP];
};

struct gen {
	struct pcapw *w;
	struct pcapw_rng sched;
	uint64_t seed;
	unsigned reorder_pct, ipv6_pct;
	unsigned retransmit_pct, starttls_pct, bdat_pct;
	uint8_t *pool;                  /* GEN_POOL_LINES base64 lines */
	struct sess *slots;
	unsigned *active, nactive;
	unsigned *free_slots, nfree;
	uint32_t started;
	int err;
};

/* ------------------------------------------------------------------ */
/* Small helpers. */

static void sb_init(struct sbuf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->cap = cap;
	b->len = 0;
	b->full = false;
}

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->full || n > b->cap - b->len) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->full = true;
	else
		b->len += (size_t)n;
}

static struct slice sb_slice(const struct sbuf *b)
{
	return (struct slice){ (const uint8_t *)b->p, b->len };
}

/* ------------------------------------------------------------------ */
/* Vocabulary. */

static const char *const words[] = {
	"the", "report", "meeting", "invoice", "attached", "please", "review",
	"quarterly", "numbers", "project", "update", "schedule", "team", "budget",
	"customer", "shipment", "delivery", "contract", "signed", "draft", "final",
	"version", "thanks", "regards", "tomorrow", "morning", "afternoon",
	"agenda", "minutes", "notes", "follow", "up", "on", "our", "call", "about",
	"the", "new", "office", "policy", "and", "for", "with", "from", "to", "a",
	"payment", "account", "statement", "balance", "details", "below", "see",
	"order", "confirmation", "tracking", "number", "available", "online",
	"security", "password", "expires", "soon", "training", "session",
	"presentation", "slides", "photos", "summer", "holiday", "conference",
	"travel", "hotel", "booking", "receipt", "refund", "request", "approved",
	"pending", "deadline", "Friday", "Monday", "week", "month", "year",
};

/* Accented words already in quoted-printable form (UTF-8 octets). */
static const char *const qp_words[] = {
	"caf=C3=A9", "na=C3=AFve", "r=C3=A9sum=C3=A9", "d=C3=A9j=C3=A0",
	"Z=C3=BCrich", "M=C3=BCnchen", "S=C3=A3o", "se=C3=B1or", "=E2=82=AC100",
};

static const char *const first_names[] = {
	"Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi",
	"Ivan", "Judy", "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil",
	"Trent", "Victor", "Walter", "Yvonne",
};

static const char *const domains[] = {
	"example.com", "example.org", "example.net", "corp.example",
	"mail.example.co.uk", "shop.example", "bank.example", "univ.example.edu",
};

static const char *const url_hosts[] = {
	"www.example.com", "portal.example.org", "login.example.net",
	"cdn.example.edu", "track.shop.example", "secure-update.example",
	"docs.corp.example", "files.example.co.uk",
};

static const char *const mailers[] = {
	"Microsoft Outlook 16.0", "Apple Mail (2.3654)", "Thunderbird 115.4.1",
	"Roundcube Webmail/1.6.4", "PHPMailer 6.8.1",
};

struct att_type {
	const char *ctype, *ext;
	const char *magic;
	size_t magic_len;
};

static const struct att_type att_types[] = {
	{ "application/pdf", "pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 15 },
	{ "application/zip", "zip", "PK\x03\x04\x14\x00\x00\x00\x08\x00", 10 },
	{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	  "docx", "PK\x03\x04\x14\x00\x06\x00", 8 },
	{ "application/x-msdownload", "exe", "MZ\x90\x00\x03\x00\x00\x00\x04\x00", 10 },
	{ "image/png", "png", "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", 16 },
	{ "image/jpeg", "jpg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00", 11 },
};

static const char *const marker_bufs[GEN_MARKER_KINDS] = {
	"smtp.helo", "smtp.mail_from", "smtp.rcpt_to", "stream", "smtp.data",
	"email.subject", "email.from", "email.to", "email.url", "email.body",
	"file.name", "file.data", "smtp.command",
};
/* Distinct names, each followed by '-' and 8 digits: no marker is a
 * prefix of another. */
static const char *const marker_names[GEN_MARKER_KINDS] = {
	"helo", "mailfrom", "rcptto", "stream", "body", "subject", "hdrfrom",
	"hdrto", "url", "ebody", "filename", "filedata", "command",
};

static int marker_format(char *buf, size_t len, unsigned kind, uint32_t session)
{
	return snprintf(buf, len, "MTMARK-%s-%08" PRIu32, marker_names[kind], session);
}

/* ------------------------------------------------------------------ */
/* Message composition. */

/* One line of prose, about `target` characters, without CRLF. */
static void text_line(struct sess *s, struct sbuf *b, size_t target, bool qp)
{
	size_t start = b->len;

	while (b->len - start < target && !b->full) {
		if (b->len > start)
			sb_add(b, " ", 1);
		if (qp && pcapw_rng_pct(&s->rng, 6))
			sb_puts(b, GEN_PICK(&s->rng, qp_words));
		else
			sb_puts(b, GEN_PICK(&s->rng, words));
	}
}

static void text_part_body(struct sess *s, struct sbuf *b, bool qp, bool marker)
{
	unsigned paras = 1 + (unsigned)pcapw_rng_below(&s->rng, 4);
	char m[48];

	sb_printf(b, "Hello %s,\r\n\r\n", GEN_PICK(&s->rng, first_names));
	if (marker) {
		/* The email.body marker, cut by a quoted-printable soft line
		 * break (RFC 2045 section 6.7 rule 5): whole only once decoded. */
		marker_format(m, sizeof(m), MK_EBODY, s->id);
		sb_printf(b, "Reference: %.9s=\r\n%s\r\n\r\n", m, m + 9);
	}
	for (unsigned p = 0; p < paras; p++) {
		unsigned lines = 2 + (unsigned)pcapw_rng_below(&s->rng, 8);
		for (unsigned l = 0; l < lines; l++) {
			text_line(s, b, 50 + pcapw_rng_below(&s->rng, 20), qp);
			sb_add(b, "\r\n", 2);
		}
		sb_add(b, "\r\n", 2);
	}
	if (qp) {
		/* A long line with RFC 2045 section 6.7 rule 5 soft breaks. */
		for (unsigned k = 0; k < 3; k++) {
			text_line(s, b, 60, qp);
			sb_add(b, " =\r\n", 4);
		}
		sb_add(b, "end\r\n", 5);
	}
	if (pcapw_rng_pct(&s->rng, 10))
		sb_puts(b, "..end of forwarded text\r\n");   /* dot-stuffed */
	sb_printf(b, "\r\n-- \r\n%s\r\n", GEN_PICK(&s->rng, first_names));
}

static void html_part_body(struct sess *s, struct sbuf *b, bool qp, bool marker)
{
	unsigned paras = 1 + (unsigned)pcapw_rng_below(&s->rng, 4);
	const char *eq = qp ? "=3D" : "=";
	char m[48];

	sb_puts(b, "<html><head><meta charset");
	sb_printf(b, "%s\"utf-8\"></head><body>\r\n", eq);
	if (marker) {
		/* The email.url marker, in the path of an https link. */
		marker_format(m, sizeof(m), MK_URL, s->id);
		sb_printf(b, "<p><a href%s\"https://%s/%s/index.html\">details</a></p>\r\n",
			  eq, GEN_PICK(&s->rng, url_hosts), m);
	}
	for (unsigned p = 0; p < paras; p++) {
		sb_puts(b, "<p>");
		text_line(s, b, 40 + pcapw_rng_below(&s->rng, 30), qp);
		sb_puts(b, "</p>\r\n");
		if (pcapw_rng_pct(&s->rng, 70)) {
			sb_printf(b, "<p><a href%s\"https://%s/%s/%" PRIu64 "?id%s%08" PRIx64 "\">",
				  eq, GEN_PICK(&s->rng, url_hosts), GEN_PICK(&s->rng, words),
				  pcapw_rng_below(&s->rng, 100000), eq,
				  pcapw_rng_next(&s->rng) & 0xffffffffu);
			text_line(s, b, 10, false);
			sb_puts(b, "</a></p>\r\n");
		}
	}
	sb_puts(b, "</body></html>\r\n");
}

/* Attachment part header and its first base64 line, which encodes the
 * type's magic so content sniffing has something real to find. */
static void attachment_header(struct sess *s, struct sbuf *b, const char *boundary,
			      const struct att_type *t, unsigned k, bool marker)
{
	uint8_t raw[GEN_B64_RAW_LINE];
	char line[80], name[64];

	/* The file.name marker is the file's name (both parameters). */
	if (marker)
		marker_format(name, sizeof(name), MK_FILENAME, s->id);
	else
		snprintf(name, sizeof(name), "%s-%" PRIu32 "-%u", GEN_PICK(&s->rng, words), s->id, k);
	sb_printf(b, "--%s\r\nContent-Type: %s; name=\"%s.%s\"\r\n"
		  "Content-Transfer-Encoding: base64\r\n"
		  "Content-Disposition: attachment; filename=\"%s.%s\"\r\n\r\n",
		  boundary, t->ctype, name, t->ext, name, t->ext);
	memcpy(raw, t->magic, t->magic_len);
	gen_rng_bytes(&s->rng, raw + t->magic_len, sizeof(raw) - t->magic_len);
	gen_b64_encode(raw, sizeof(raw), line);
	sb_add(b, line, 76);
	sb_add(b, "\r\n", 2);
}

/* A small application/octet-stream attachment whose decoded bytes hold
 * the file.data marker between random bytes: on the wire it exists only
 * base64-encoded (RFC 2045 section 6.8), so only a decoder finds it. */
static void marker_attachment(struct sess *s, struct sbuf *b, const char *boundary)
{
	uint8_t raw[256];
	char enc[((sizeof(raw) + 2) / 3) * 4 + 4];
	size_t pre = 16 + pcapw_rng_below(&s->rng, 48), n, len;
	int ml;

	gen_rng_bytes(&s->rng, raw, sizeof(raw));
	ml = marker_format((char *)raw + pre, sizeof(raw) - pre, MK_FILEDATA, s->id);
	raw[pre + (size_t)ml] = '\n';     /* overwrite snprintf's NUL */
	n = pre + (size_t)ml + 1 + pcapw_rng_below(&s->rng, 64);
	len = gen_b64_encode(raw, n, enc);
	sb_printf(b, "--%s\r\nContent-Type: application/octet-stream; name=\"ref-%" PRIu32
		  ".bin\"\r\nContent-Transfer-Encoding: base64\r\n"
		  "Content-Disposition: attachment; filename=\"ref-%" PRIu32 ".bin\"\r\n\r\n",
		  boundary, s->id, s->id);
	for (size_t o = 0; o < len; o += 76) {
		sb_add(b, enc + o, len - o < 76 ? len - o : 76);
		sb_add(b, "\r\n", 2);
	}
	sb_add(b, "\r\n", 2);
}

/* A short, padded last base64 line. */
static void attachment_last_line(struct sess *s, struct sbuf *b)
{
	uint8_t raw[GEN_B64_RAW_LINE];
	char line[80];
	size_t n = 1 + pcapw_rng_below(&s->rng, GEN_B64_RAW_LINE - 1);

	gen_rng_bytes(&s->rng, raw, n);
	sb_add(b, line, gen_b64_encode(raw, n, line));
	sb_add(b, "\r\n", 2);
}

/* Pool slice of `lines` full base64 lines. */
static struct slice pool_slice(struct gen *g, struct sess *s, size_t lines)
{
	size_t start = pcapw_rng_below(&s->rng, GEN_POOL_LINES - lines + 1);
	return (struct slice){ g->pool + start * GEN_B64_LINE, lines * GEN_B64_LINE };
}

static size_t attachment_lines(struct sess *s)
{
	/* Roughly log-uniform decoded size: an octave [MIN << k, MIN << k+1)
	 * chosen uniformly, then a uniform size inside it. Many small files,
	 * a few large ones; mean about 430 KB. */
	size_t size = (size_t)GEN_ATT_MIN << pcapw_rng_below(&s->rng, GEN_ATT_OCTAVES);
	size += pcapw_rng_below(&s->rng, size);
	return size / GEN_B64_RAW_LINE;
}

/*
 * Build the message of the current transaction as slices: head (headers,
 * text parts, first attachment's header and first line), pool lines, mid
 * (second attachment), pool lines, tail (closing boundaries and ".").
 */
static void compose_message(struct gen *g, struct sess *s, const char *to,
			    uint64_t now_us)
{
	const bool first_tx = s->tx_done == 0;
	const bool alt = pcapw_rng_pct(&s->rng, 70);
	/* The first message's text part is always quoted-printable: it
	 * carries the soft-broken email.body marker. */
	const bool qp_text = pcapw_rng_pct(&s->rng, 30) || first_tx;
	const bool qp_html = pcapw_rng_pct(&s->rng, 40);
	const unsigned natt = s->plan_natt[s->tx_done];
	char outer[64], inner[64], date[64];
	time_t t = (time_t)(now_us / 1000000u);
	struct tm tm;
	struct sbuf *h = &s->head;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(outer, sizeof(outer), "----=_Part_%" PRIu32 "_%u.%08" PRIx64, s->id,
		 s->tx_done, pcapw_rng_next(&s->rng) & 0xffffffffu);
	snprintf(inner, sizeof(inner), "----=_Alt_%" PRIu32 "_%u", s->id, s->tx_done);
	sb_init(h, s->head_b, sizeof(s->head_b));
	sb_init(&s->mid, s->mid_b, sizeof(s->mid_b));
	sb_init(&s->tail, s->tail_b, sizeof(s->tail_b));

	/* RFC 5322 header section. */
	sb_printf(h, "Received: from client.%s (client.%s [192.0.2.%u])\r\n"
		  "\tby mx.example.net (Postfix) with ESMTPS id %08" PRIX64 "\r\n"
		  "\tfor <%s>; %s\r\n",
		  GEN_PICK(&s->rng, domains), GEN_PICK(&s->rng, domains),
		  (unsigned)pcapw_rng_below(&s->rng, 250) + 1,
		  pcapw_rng_next(&s->rng) & 0xffffffffu, to, date);
	sb_printf(h, "Date: %s\r\n", date);
	/* The header From differs from the envelope sender (as it often
	 * does), so the mail_from marker stays out of smtp.data. */
	if (first_tx) {
		char m[48];
		/* Markers of the first message, each where only its buffer
		 * (besides the raw smtp.data and stream) holds it: From and To
		 * display names, the Subject, and an X- header no email.*
		 * buffer exposes (smtp.data). */
		marker_format(m, sizeof(m), MK_HDRFROM, s->id);
		sb_printf(h, "From: \"%s\" <%s@%s>\r\n", m, GEN_PICK(&s->rng, words),
			  GEN_PICK(&s->rng, domains));
		marker_format(m, sizeof(m), MK_HDRTO, s->id);
		sb_printf(h, "To: \"%s\" <%s>\r\n", m, to);
		marker_format(m, sizeof(m), MK_BODY, s->id);
		sb_printf(h, "X-Reference: %s\r\n", m);
	} else {
		sb_printf(h, "From: \"%s\" <%s@%s>\r\n", GEN_PICK(&s->rng, first_names),
			  GEN_PICK(&s->rng, words), GEN_PICK(&s->rng, domains));
		sb_printf(h, "To: <%s>\r\n", to);
	}
	if (pcapw_rng_pct(&s->rng, 30))
		sb_printf(h, "Cc: %s <%s.cc@%s>\r\n", GEN_PICK(&s->rng, first_names),
			  GEN_PICK(&s->rng, words), GEN_PICK(&s->rng, domains));
	sb_puts(h, "Subject: ");
	text_line(s, h, 20 + pcapw_rng_below(&s->rng, 30), false);
	if (first_tx) {
		char m[48];
		marker_format(m, sizeof(m), MK_SUBJECT, s->id);
		sb_printf(h, " %s", m);
	}
	sb_printf(h, "\r\nMessage-ID: <%016" PRIx64 ".%" PRIu32 ".%u@%s>\r\n",
		  pcapw_rng_next(&s->rng), s->id, s->tx_done, GEN_PICK(&s->rng, domains));
	sb_printf(h, "X-Mailer: %s\r\n", GEN_PICK(&s->rng, mailers));
	sb_printf(h, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n"
		  "\tboundary=\"%s\"\r\n\r\n"
		  "This is a multi-part message in MIME format.\r\n\r\n", outer);

	/* Text parts, RFC 2046 section 5.1. */
	if (alt)
		sb_printf(h, "--%s\r\nContent-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
			  outer, inner);
	sb_printf(h, "--%s\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n"
		  "Content-Transfer-Encoding: %s\r\n\r\n", alt ? inner : outer,
		  qp_text ? "quoted-printable" : "7bit");
	text_part_body(s, h, qp_text, first_tx);
	sb_printf(h, "\r\n--%s\r\nContent-Type: text/html; charset=\"utf-8\"\r\n"
		  "Content-Transfer-Encoding: %s\r\n\r\n", alt ? inner : outer,
		  qp_html ? "quoted-printable" : "7bit");
	html_part_body(s, h, qp_html, first_tx);
	if (alt)
		sb_printf(h, "\r\n--%s--\r\n", inner);
	sb_add(h, "\r\n", 2);

	/* Attachments. */
	s->nmsg = 0;
	if (first_tx)
		marker_attachment(s, h, outer);
	attachment_header(s, h, outer, &att_types[pcapw_rng_below(&s->rng, 6)], 1, first_tx);
	s->msg[s->nmsg++] = sb_slice(h);
	s->msg[s->nmsg++] = pool_slice(g, s, s->plan_lines[s->tx_done][0] - 2);
	attachment_last_line(s, &s->mid);
	if (natt == 2) {
		sb_add(&s->mid, "\r\n", 2);
		attachment_header(s, &s->mid, outer, &att_types[pcapw_rng_below(&s->rng, 6)], 2,
				  false);
		s->msg[s->nmsg++] = sb_slice(&s->mid);
		s->msg[s->nmsg++] = pool_slice(g, s, s->plan_lines[s->tx_done][1] - 2);
		attachment_last_line(s, &s->tail);
	} else {
		s->msg[s->nmsg++] = sb_slice(&s->mid);
	}
	/* BDAT carries the message as is: no end-of-data line (RFC 3030
	 * section 2). */
	sb_printf(&s->tail, "\r\n--%s--\r\n%s", outer, s->bdat ? "" : ".\r\n");
	s->msg[s->nmsg++] = sb_slice(&s->tail);

	s->msg_len = 0;
	for (unsigned i = 0; i < s->nmsg; i++)
		s->msg_len += s->msg[i].n;
	if (s->bdat) {
		/* 1..3 chunks of about equal size with a random jitter. */
		s->nchunks = 1 + (unsigned)pcapw_rng_below(&s->rng, GEN_CHUNKS_MAX);
		s->chunk = 0;
		for (unsigned k = 0; k + 1 < s->nchunks; k++)
			s->chunk_end[k] = s->msg_len * (k + 1) / s->nchunks -
					  pcapw_rng_below(&s->rng, s->msg_len / (4 * s->nchunks) + 1);
		s->chunk_end[s->nchunks - 1] = s->msg_len;
	}
	if (h->full || s->mid.full || s->tail.full) {
		fprintf(stderr, "smtpgen: internal error: message buffer too small\n");
		abort();
	}
}

/* ------------------------------------------------------------------ */
/* Session state machine: every step writes one packet (two when a
 * reordered pair is sent). */

static void write_begin(struct sess *s, enum pcapw_dir dir, const struct slice *sl, unsigned n)
{
	s->wdir = dir;
	s->nwsl = n;
	s->wi = 0;
	s->woff = 0;
	s->wleft = 0;
	for (unsigned i = 0; i < n; i++) {
		s->wsl[i] = sl[i];
		s->wleft += sl[i].n;
	}
	s->unacked = 0;
}

static void write_small(struct sess *s, enum pcapw_dir dir)
{
	struct slice sl = sb_slice(&s->small);
	write_begin(s, dir, &sl, 1);
}

/* The next n bytes of the write: a pointer into the slice when they are
 * contiguous, else copied into `scratch`. */
static const uint8_t *write_take(struct sess *s, uint32_t n, uint8_t *scratch)
{
	const struct slice *sl = &s->wsl[s->wi];
	const uint8_t *p;

	if (sl->n - s->woff >= n) {
		p = sl->p + s->woff;
		s->woff += n;
	} else {
		uint32_t got = 0;
		while (got < n) {
			size_t k = s->wsl[s->wi].n - s->woff;
			if (k > n - got)
				k = n - got;
			memcpy(scratch + got, s->wsl[s->wi].p + s->woff, k);
			got += (uint32_t)k;
			s->woff += k;
			if (s->woff == s->wsl[s->wi].n && got < n) {
				s->wi++;
				s->woff = 0;
			}
		}
		p = scratch;
	}
	while (s->woff == s->wsl[s->wi].n && s->wi + 1 < s->nwsl) {
		s->wi++;
		s->woff = 0;
	}
	s->wleft -= n;
	return p;
}

/* Send the next segment (or a reordered pair). */
static int write_segment(struct gen *g, struct sess *s)
{
	struct pcapw_conn *c = &s->conn;
	enum pcapw_dir d = s->wdir;
	uint64_t base = c->off[d];
	uint32_t n1 = s->wleft < GEN_SEG_MAX ? (uint32_t)s->wleft : GEN_SEG_MAX;
	const uint8_t *p1 = write_take(s, n1, s->scratch[0]);
	int rc;

	if (s->wleft && g->reorder_pct && pcapw_rng_pct(&s->rng, g->reorder_pct)) {
		uint32_t n2 = s->wleft < GEN_SEG_MAX ? (uint32_t)s->wleft : GEN_SEG_MAX;
		const uint8_t *p2 = write_take(s, n2, s->scratch[1]);
		uint8_t f2 = PCAPW_ACK | (s->wleft == 0 ? PCAPW_PSH : 0);

		rc = pcapw_conn_segment(c, d, base + n1, p2, n2, f2);
		if (!rc)
			rc = pcapw_conn_segment(c, d, base, p1, n1, PCAPW_ACK);
		pcapw_conn_advance(c, d, (uint64_t)n1 + n2);
		s->unacked += 2;
	} else {
		rc = pcapw_conn_segment(c, d, base, p1, n1,
					PCAPW_ACK | (s->wleft == 0 ? PCAPW_PSH : 0));
		pcapw_conn_advance(c, d, n1);
		s->unacked++;
	}
	/* --retransmit: the first segment again, same offset and bytes, on
	 * this session's next step (other sessions' packets in between, as
	 * after a retransmission timeout). */
	if (!rc && g->retransmit_pct && pcapw_rng_pct(&s->rng, g->retransmit_pct)) {
		memcpy(s->rtx, p1, n1);
		s->rtx_len = n1;
		s->rtx_off = base;
		s->rtx_dir = d;
	}
	if (s->unacked >= 2 || s->wleft == 0)
		s->ack_due = true;
	return rc;
}

/* The bytes [from, to) of the message as slices appended to out. */
static unsigned msg_range(const struct sess *s, uint64_t from, uint64_t to,
			  struct slice *out, unsigned n)
{
	uint64_t at = 0;

	for (unsigned i = 0; i < s->nmsg && at < to; i++) {
		uint64_t a = at, e = at + s->msg[i].n;
		at = e;
		if (e <= from)
			continue;
		if (a < from)
			a = from;
		if (e > to)
			e = to;
		out[n++] = (struct slice){ s->msg[i].p + (a - (at - s->msg[i].n)), e - a };
	}
	return n;
}

/* A write of 1..3 TLS records (RFC 8446 section 5.1 framing: type,
 * legacy version 0x0303, length) of random bytes. The first client and
 * server writes are handshake records (22), the last client write an
 * alert (21), the rest application data (23). */
static void compose_tls(struct sess *s, enum pcapw_dir dir, bool first, bool last)
{
	unsigned nrec = first || last ? 1 : 1 + (unsigned)pcapw_rng_below(&s->rng, 3);
	size_t o = 0;

	for (unsigned r = 0; r < nrec; r++) {
		size_t len = last ? 26 : 40 + pcapw_rng_below(&s->rng, 1800);
		s->tls_b[o] = first ? 0x16 : last ? 0x15 : 0x17;
		s->tls_b[o + 1] = 0x03;
		s->tls_b[o + 2] = 0x03;
		s->tls_b[o + 3] = (uint8_t)(len >> 8);
		s->tls_b[o + 4] = (uint8_t)len;
		gen_rng_bytes(&s->rng, s->tls_b + o + 5, len);
		o += 5 + len;
	}
	struct slice sl = { s->tls_b, o };
	write_begin(s, dir, &sl, 1);
}

static void compose_phase(struct gen *g, struct sess *s)
{
	struct sbuf *b = &s->small;
	char m[48];

	sb_init(b, s->small_b, sizeof(s->small_b));
	switch (s->phase) {
	case PH_GREETING:
		sb_printf(b, "220 mx%u.example.net ESMTP Postfix (Debian/GNU)\r\n", s->id % 4 + 1);
		write_small(s, PCAPW_SERVER);
		break;
	case PH_EHLO:
		if (s->tls)
			sb_printf(b, "EHLO client%" PRIu32 ".%s\r\n", s->id, GEN_PICK(&s->rng, domains));
		else {
			marker_format(m, sizeof(m), MK_HELO, s->id);
			sb_printf(b, "EHLO %s.%s\r\n", m, GEN_PICK(&s->rng, domains));
		}
		write_small(s, PCAPW_CLIENT);
		break;
	case PH_EHLO_REPLY:
		/* RFC 5321 section 4.1.1.1 multi-line reply. */
		sb_printf(b, "250-mx%u.example.net\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n"
			  "250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n"
			  "250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
			  s->id % 4 + 1);
		write_small(s, PCAPW_SERVER);
		break;
	case PH_NOOP:
		/* RFC 5321 section 4.1.1.9: NOOP may carry a string. */
		marker_format(m, sizeof(m), MK_STREAM, s->id);
		sb_printf(b, "NOOP %s\r\n", m);
		write_small(s, PCAPW_CLIENT);
		break;
	case PH_NOOP_REPLY:
		sb_puts(b, "250 2.0.0 Ok\r\n");
		write_small(s, PCAPW_SERVER);
		break;
	case PH_HELP:
		/* RFC 5321 section 4.1.1.8: HELP may name a topic; the server
		 * answers 214 and the session goes on unchanged. The marker is
		 * in no buffer but smtp.command (and the raw stream). */
		marker_format(m, sizeof(m), MK_COMMAND, s->id);
		sb_printf(b, "HELP %s\r\n", m);
		write_small(s, PCAPW_CLIENT);
		break;
	case PH_HELP_REPLY:
		sb_puts(b, "214 2.0.0 See https://www.postfix.org/\r\n");
		write_small(s, PCAPW_SERVER);
		break;
	case PH_STARTTLS:
		/* RFC 3207 section 4. */
		sb_puts(b, "STARTTLS\r\n");
		write_small(s, PCAPW_CLIENT);
		break;
	case PH_STARTTLS_REPLY:
		sb_puts(b, "220 2.0.0 Ready to start TLS\r\n");
		write_small(s, PCAPW_SERVER);
		/* An odd count: the client writes first and last. */
		s->tls_total = s->tls_left = 5 + 2 * (unsigned)pcapw_rng_below(&s->rng, 4);
		break;
	case PH_TLS: {
		unsigned i = s->tls_total - s->tls_left;
		compose_tls(s, i % 2 == 0 ? PCAPW_CLIENT : PCAPW_SERVER, i < 2, s->tls_left == 1);
		break;
	}
	case PH_MAIL: {
		/* MAIL, RCPTs and DATA in one pipelined group (RFC 2920 3.1);
		 * with BDAT the group ends after the RCPTs and each chunk is
		 * its own write (RFC 3030 section 4). */
		char from[96], to[96];
		s->bdat = g->bdat_pct && pcapw_rng_pct(&s->rng, g->bdat_pct);
		if (s->tx_done == 0) {
			marker_format(m, sizeof(m), MK_MAILFROM, s->id);
			snprintf(from, sizeof(from), "%s@%s", m, GEN_PICK(&s->rng, domains));
		} else {
			snprintf(from, sizeof(from), "%s.%s@%s", GEN_PICK(&s->rng, first_names),
				 GEN_PICK(&s->rng, words), GEN_PICK(&s->rng, domains));
		}
		snprintf(to, sizeof(to), "%s@%s", GEN_PICK(&s->rng, first_names),
			 GEN_PICK(&s->rng, domains));
		compose_message(g, s, to, pcapw_clock(g->w));
		sb_printf(b, "MAIL FROM:<%s> SIZE=%" PRIu64 "%s\r\n", from, s->msg_len,
			  pcapw_rng_pct(&s->rng, 50) ? " BODY=8BITMIME" : "");
		s->nrcpt = 1 + (unsigned)pcapw_rng_below(&s->rng, 3);
		for (unsigned i = 0; i < s->nrcpt; i++) {
			s->rcpt_rejected[i] = i > 0 && pcapw_rng_pct(&s->rng, 10);
			if (i == 0 && s->tx_done == 0) {
				marker_format(m, sizeof(m), MK_RCPTTO, s->id);
				sb_printf(b, "RCPT TO:<%s@%s>\r\n", m, GEN_PICK(&s->rng, domains));
			} else {
				sb_printf(b, "RCPT TO:<%s@%s>\r\n", GEN_PICK(&s->rng, first_names),
					  GEN_PICK(&s->rng, domains));
			}
		}
		if (!s->bdat)
			sb_puts(b, "DATA\r\n");
		write_small(s, PCAPW_CLIENT);
		break;
	}
	case PH_MAIL_REPLY:
		sb_puts(b, "250 2.1.0 Ok\r\n");
		for (unsigned i = 0; i < s->nrcpt; i++)
			sb_puts(b, s->rcpt_rejected[i] ?
				"550 5.1.1 Recipient address rejected: User unknown\r\n" :
				"250 2.1.5 Ok\r\n");
		if (!s->bdat)
			sb_puts(b, "354 End data with <CR><LF>.<CR><LF>\r\n");
		write_small(s, PCAPW_SERVER);
		break;
	case PH_MESSAGE:
		if (s->bdat) {
			/* RFC 3030 section 2: "BDAT <size> [LAST]" then exactly
			 * <size> octets, in one write. */
			struct slice sl[8];
			uint64_t from = s->chunk ? s->chunk_end[s->chunk - 1] : 0;
			uint64_t to = s->chunk_end[s->chunk];
			bool last = s->chunk + 1 == s->nchunks;
			unsigned n;

			sb_printf(b, "BDAT %" PRIu64 "%s\r\n", to - from, last ? " LAST" : "");
			sl[0] = sb_slice(b);
			n = msg_range(s, from, to, sl, 1);
			write_begin(s, PCAPW_CLIENT, sl, n);
		} else {
			write_begin(s, PCAPW_CLIENT, s->msg, s->nmsg);
		}
		break;
	case PH_MESSAGE_REPLY:
		if (s->bdat && s->chunk + 1 < s->nchunks)
			sb_printf(b, "250 2.0.0 %" PRIu64 " octets received\r\n",
				  s->chunk_end[s->chunk] - (s->chunk ? s->chunk_end[s->chunk - 1] : 0));
		else
			sb_printf(b, "250 2.0.0 Ok: queued as %010" PRIX64 "\r\n",
				  (uint64_t)(pcapw_rng_next(&s->rng) & 0xffffffffffull));
		write_small(s, PCAPW_SERVER);
		break;
	case PH_QUIT:
		sb_puts(b, "QUIT\r\n");
		write_small(s, PCAPW_CLIENT);
		break;
	case PH_QUIT_REPLY:
		sb_puts(b, "221 2.0.0 Bye\r\n");
		write_small(s, PCAPW_SERVER);
		break;
	default:
		break;
	}
}

static enum phase next_phase(struct sess *s)
{
	switch (s->phase) {
	case PH_EHLO_REPLY:
		return s->tls ? PH_STARTTLS : PH_NOOP;
	case PH_NOOP_REPLY:
		return PH_HELP;
	case PH_HELP_REPLY:
		return PH_MAIL;
	case PH_STARTTLS_REPLY:
		return PH_TLS;
	case PH_TLS:
		return --s->tls_left ? PH_TLS : PH_FIN_SERVER;
	case PH_MESSAGE_REPLY:
		if (s->bdat && ++s->chunk < s->nchunks)
			return PH_MESSAGE;
		s->tx_done++;
		return s->tx_done < s->tx_total ? PH_MAIL : PH_QUIT;
	default:
		return (enum phase)(s->phase + 1);
	}
}

static int sess_step(struct gen *g, struct sess *s)
{
	struct pcapw_conn *c = &s->conn;
	int rc, k;

	if (s->rtx_len) {
		uint32_t n = s->rtx_len;
		s->rtx_len = 0;
		return pcapw_conn_segment(c, s->rtx_dir, s->rtx_off, s->rtx, n, PCAPW_ACK);
	}
	if (s->ack_due) {
		s->ack_due = false;
		s->unacked = 0;
		rc = pcapw_conn_ack(c, (enum pcapw_dir)!s->wdir);
		if (!rc && s->wleft == 0) {
			s->phase = next_phase(s);
			compose_phase(g, s);
		}
		return rc;
	}
	if (s->wleft)
		return write_segment(g, s);

	/* No bytes to write: a packet of the handshake or of the close
	 * (text phases always have bytes). */
	if (s->phase <= PH_ACK)
		k = GEN_CTL_SYN + (s->phase - PH_SYN);
	else if (s->phase >= PH_FIN_SERVER && s->phase <= PH_LAST_ACK)
		k = GEN_CTL_FIN_SERVER + (s->phase - PH_FIN_SERVER);
	else
		return -EINVAL;
	rc = gen_conn_ctl(c, (enum gen_ctl)k);
	s->phase = next_phase(s);
	if (s->phase == PH_GREETING)
		compose_phase(g, s);
	return rc;
}

/* Whether session id is a STARTTLS one: drawn from its own generator so
 * the side files can tell without replaying the session. */
static bool sess_is_tls(uint64_t seed, unsigned pct, uint32_t id)
{
	struct pcapw_rng r;

	pcapw_rng_seed(&r, gen_sess_seed(seed, id) ^ 0x7157a2d0c0ffeeull);
	return pct && pcapw_rng_pct(&r, pct);
}

/* The client address of session id, as mailtap's eve.json writes it. */
static void sess_client_ip(uint64_t seed, unsigned ipv6_pct, uint32_t id, char *out, size_t len)
{
	struct pcapw_rng r;

	pcapw_rng_seed(&r, gen_sess_seed(seed, id));
	if (pcapw_rng_pct(&r, ipv6_pct))
		snprintf(out, len, "2001:db8:c00:0:0:0:%x:%x", (unsigned)(id >> 16),
			 (unsigned)(id & 0xffff));
	else {
		uint32_t a = gen_client_v4(id);
		snprintf(out, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	}
}

static void sess_start(struct gen *g, struct sess *s, uint32_t id)
{
	struct pcapw_endpoint cli, srv;
	struct pcapw_conn_opts co;
	uint16_t cport;
	bool v6;

	s->id = id;
	s->bytes = 0;
	pcapw_rng_seed(&s->rng, gen_sess_seed(g->seed, id));
	v6 = pcapw_rng_pct(&s->rng, g->ipv6_pct);
	cport = (uint16_t)(32768 + (id * 7919u) % 28000u);
	if (v6) {
		static const uint8_t pfx_c[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x0c, 0x00 };
		static const uint8_t pfx_s[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x25 };
		memset(&cli, 0, sizeof(cli));
		memset(&srv, 0, sizeof(srv));
		cli.family = srv.family = 6;
		memcpy(cli.addr, pfx_c, 6);
		memcpy(srv.addr, pfx_s, 6);
		cli.addr[12] = (uint8_t)(id >> 24);
		cli.addr[13] = (uint8_t)(id >> 16);
		cli.addr[14] = (uint8_t)(id >> 8);
		cli.addr[15] = (uint8_t)id;
		srv.addr[15] = (uint8_t)(1 + id % 8);
		cli.port = cport;
		srv.port = 25;
	} else {
		gen_endpoint_v4(&cli, gen_client_v4(id), cport);
		gen_endpoint_v4(&srv, 0xc0000200u + 1 + id % 8, 25);   /* 192.0.2.1..8 */
	}

	gen_conn_opts(&co, &s->rng);
	co.mss = v6 ? 1440 : 1460;
	co.syn_options |= PCAPW_SYN_WSCALE;
	co.window[PCAPW_CLIENT] = 502;     /* scaled by 2^7 after the SYN */
	co.window[PCAPW_SERVER] = 509;
	(void)pcapw_conn_init(&s->conn, g->w, &cli, &srv, &co);   /* same family */
	s->phase = PH_SYN;
	s->tx_total = 1 + (unsigned)pcapw_rng_below(&s->rng, 3);
	s->tx_done = 0;
	/* Attachments dominate the size: plan them now. The estimate adds
	 * ~12 KB of text per message and the frame and ACK overhead (70 + 43
	 * bytes per 1460). */
	uint64_t att = 0;
	for (unsigned t = 0; t < s->tx_total; t++) {
		s->plan_natt[t] = pcapw_rng_pct(&s->rng, 20) ? 2 : 1;
		for (unsigned a = 0; a < s->plan_natt[t]; a++) {
			s->plan_lines[t][a] = (uint32_t)attachment_lines(s);
			att += (uint64_t)s->plan_lines[t][a] * GEN_B64_LINE;
		}
	}
	s->planned = (att + s->tx_total * 12000u + 3000u) * 1573u / 1460u;
	s->tls = sess_is_tls(g->seed, g->starttls_pct, id);
	if (s->tls)
		s->planned = 30000;
	s->bdat = false;
	s->rtx_len = 0;
	s->wleft = 0;
	s->nwsl = 0;
	s->ack_due = false;
	s->unacked = 0;
}

/* ------------------------------------------------------------------ */
/* Output side files. */

/* One marker rule in form k % 4: plain content, content with nocase (the
 * literal lower-cased), pcre alone matching exactly the marker, or a
 * content prefix shared by all sessions plus a case-insensitive pcre that
 * singles this marker out. Raw stream markers get no sticky buffer. */
static void write_marker_rule(FILE *rf, uint64_t k, unsigned kind, uint32_t sess, uint32_t sid)
{
	char m[48], opts[160];
	const char *name = marker_names[kind];

	marker_format(m, sizeof(m), kind, sess);
	switch (k % 4) {
	case 0:
		snprintf(opts, sizeof(opts), "content:\"%s\";", m);
		break;
	case 1:
		for (char *c = m; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		snprintf(opts, sizeof(opts), "content:\"%s\"; nocase;", m);
		break;
	case 2:
		/* Fixed width: 0* then the number, then no further digit. */
		snprintf(opts, sizeof(opts), "pcre:\"/MTMARK-%s-0*%" PRIu32 "(?![0-9])/\";",
			 name, sess);
		break;
	default: {
		int digits = snprintf(NULL, 0, "%" PRIu32, sess);
		snprintf(opts, sizeof(opts), "content:\"MTMARK-%s-\"; "
			 "pcre:\"/mtmark-%s-0{%d}%" PRIu32 "(?!\\d)/i\";", name, name,
			 8 - digits, sess);
		break;
	}
	}
	if (kind == MK_STREAM)
		fprintf(rf, "alert tcp any any -> any any (msg:\"smtpgen %s marker "
			"session %" PRIu32 "\"; %s sid:%" PRIu32 "; rev:1;)\n", name, sess, opts, sid);
	else
		fprintf(rf, "alert smtp any any -> any any (msg:\"smtpgen %s marker "
			"session %" PRIu32 "\"; %s; %s sid:%" PRIu32 "; rev:1;)\n", name, sess,
			marker_bufs[kind], opts, sid);
}

/*
 * The side files. Markers are in the sessions that are not STARTTLS ones
 * (msess[] lists them); --markers-out has one line per marker:
 * buffer, marker, session, sid (0 if no rule), client address.
 */
static int write_markers_and_rules(const struct gen *g, const char *markers_path,
				   const char *rules_path, unsigned nrules, uint32_t sessions,
				   uint32_t kinds_mask)
{
	uint32_t *msess = malloc(((size_t)sessions + 1) * sizeof(*msess)), nms = 0;
	uint64_t total, real = nrules ? (nrules + 1u) / 2u : 0;
	unsigned kinds[GEN_MARKER_KINDS], nk = 0, rank[GEN_MARKER_KINDS];
	FILE *mf = NULL, *rf = NULL;
	char m[48], ip[64];
	int rc = 0;

	if (!msess) {
		fprintf(stderr, "smtpgen: out of memory\n");
		return -1;
	}
	/* The kinds rules are written for (--rule-buffers), in marker order;
	 * rank[kind] is a kind's place among them. */
	for (unsigned kind = 0; kind < GEN_MARKER_KINDS; kind++) {
		rank[kind] = nk;
		if (kinds_mask & (1u << kind))
			kinds[nk++] = kind;
	}
	for (uint32_t i = 0; i < sessions; i++)
		if (!sess_is_tls(g->seed, g->starttls_pct, i))
			msess[nms++] = i;
	total = (uint64_t)nms * nk;
	if (real > total)
		real = total;
	if (markers_path && !(mf = fopen(markers_path, "w"))) {
		fprintf(stderr, "smtpgen: %s: %s\n", markers_path, strerror(errno));
		free(msess);
		return -1;
	}
	if (rules_path && !(rf = fopen(rules_path, "w"))) {
		fprintf(stderr, "smtpgen: %s: %s\n", rules_path, strerror(errno));
		if (mf)
			fclose(mf);
		free(msess);
		return -1;
	}
	if (rf)
		fprintf(rf, "# smtpgen seed %" PRIu64 ", %" PRIu32 " sessions (%" PRIu32
			" with markers): %u rules, %" PRIu64 " on markers\n", g->seed, sessions,
			nms, nrules, real);

	/* Rule k < real targets marker mi = floor(k * total / real), markers
	 * of the chosen kinds numbered kind-major (mi = rank * nms + i,
	 * session msess[i]): an even spread over sessions and kinds, at most
	 * one rule per marker. */
	for (uint64_t k = 0; rf && k < real; k++) {
		uint64_t mi = k * total / real;
		write_marker_rule(rf, k, kinds[mi / nms], msess[mi % nms],
				  GEN_SID_BASE + (uint32_t)k);
	}
	for (uint32_t i = 0; mf && i < nms; i++) {
		sess_client_ip(g->seed, g->ipv6_pct, msess[i], ip, sizeof(ip));
		for (unsigned kind = 0; kind < GEN_MARKER_KINDS; kind++) {
			/* The rule for marker mi, if any, is k = ceil(mi * real / total). */
			uint64_t mi = (uint64_t)rank[kind] * nms + i;
			uint64_t k = real ? (mi * real + total - 1) / total : 0;
			uint32_t sid = (kinds_mask & (1u << kind)) && real && k < real &&
				       k * total / real == mi ? GEN_SID_BASE + (uint32_t)k : 0;

			marker_format(m, sizeof(m), kind, msess[i]);
			fprintf(mf, "%s\t%s\t%" PRIu32 "\t%" PRIu32 "\t%s\n", marker_bufs[kind], m,
				msess[i], sid, ip);
		}
	}
	/* Decoys: plausible literals that never occur in the traffic (the
	 * generator never writes "xq" followed by a lower-case run and '-'),
	 * in the four forms of the marker rules. */
	if (rf) {
		struct pcapw_rng r;
		pcapw_rng_seed(&r, g->seed ^ 0x5eed5eed5eedull);
		for (uint64_t k = real; k < nrules; k++) {
			char lit[40], opts[160];
			unsigned len = 6 + (unsigned)pcapw_rng_below(&r, 14), kind = kinds[k % nk];
			lit[0] = 'x';
			lit[1] = 'q';
			for (unsigned i = 2; i < len; i++)
				lit[i] = (char)('a' + pcapw_rng_below(&r, 26));
			snprintf(lit + len, sizeof(lit) - len, "-%" PRIu64, k);
			switch (k % 4) {
			case 0:
				snprintf(opts, sizeof(opts), "content:\"%s\";", lit);
				break;
			case 1:
				snprintf(opts, sizeof(opts), "content:\"%s\"; nocase;", lit);
				break;
			case 2:
				/* the literal's letters as a class run: no fixed
				 * string beyond "xq" for a prefilter to key on */
				snprintf(opts, sizeof(opts), "pcre:\"/xq[a-z]{%u}-%" PRIu64 "(?![0-9])/\";",
					 len - 2, k);
				break;
			default:
				lit[len] = '\0';
				snprintf(opts, sizeof(opts), "content:\"%s\"; nocase; "
					 "pcre:\"/%s-0*%" PRIu64 "(?!\\d)/i\";", lit, lit, k);
				break;
			}
			if (kind == MK_STREAM)
				fprintf(rf, "alert tcp any any -> any any (msg:\"smtpgen decoy %" PRIu64 "\"; "
					"%s sid:%" PRIu64 "; rev:1;)\n", k, opts, GEN_SID_BASE + k);
			else
				fprintf(rf, "alert smtp any any -> any any (msg:\"smtpgen decoy %" PRIu64 "\"; "
					"%s; %s sid:%" PRIu64 "; rev:1;)\n", k,
					marker_bufs[kind], opts, GEN_SID_BASE + k);
		}
	}
	free(msess);
	if (mf && fclose(mf) != 0)
		rc = -1;
	if (rf && fclose(rf) != 0)
		rc = -1;
	if (rc)
		fprintf(stderr, "smtpgen: writing the side files failed\n");
	return rc;
}

/* ------------------------------------------------------------------ */
/* Driver. */

static int build_pool(struct gen *g)
{
	struct pcapw_rng r;
	uint8_t raw[GEN_B64_RAW_LINE];

	g->pool = malloc((size_t)GEN_POOL_LINES * GEN_B64_LINE);
	if (!g->pool)
		return -ENOMEM;
	pcapw_rng_seed(&r, g->seed ^ 0xa77ac4ull);
	for (size_t i = 0; i < GEN_POOL_LINES; i++) {
		char *line = (char *)g->pool + i * GEN_B64_LINE;
		gen_rng_bytes(&r, raw, sizeof(raw));
		gen_b64_encode(raw, sizeof(raw), line);
		line[76] = '\r';
		line[77] = '\n';
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: smtpgen --out F.pcap [--seed N] [--sessions N] [--concurrency C]\n"
		"               [--target-mb M] [--reorder P%%] [--ipv6 P%%]\n"
		"               [--retransmit P%%] [--starttls P%%] [--bdat P%%]\n"
		"               [--rules-out R.rules N] [--markers-out F.tsv] [--rule-buffers L]\n"
		"               [--format pcap|pcapng] [--link ethernet|sll|sll2|raw|null]\n"
		"  --sessions N     sessions to write (default 100)\n"
		"  --target-mb M    start sessions until the file will reach about M MiB;\n"
		"                   --sessions, if also given, is then an upper bound\n"
		"  --concurrency C  sessions active at once, interleaved per packet (default 10)\n"
		"  --reorder P%%     swap adjacent data segments with chance P (default 0)\n"
		"  --retransmit P%%  send a data segment again (same seq, same bytes) on the\n"
		"                   session's next step with chance P (default 0)\n"
		"  --starttls P%%    STARTTLS sessions: TLS records after the 220, no markers\n"
		"                   (default 5)\n"
		"  --bdat P%%        transactions sent with BDAT chunks instead of DATA (default 15)\n"
		"  --ipv6 P%%        IPv6 sessions (default 0)\n"
		"  --rules-out R N  write N rules to R: half on markers, the rest decoys\n"
		"  --markers-out F  list the markers: buffer, marker, session, sid, client\n"
		"  --rule-buffers L write rules only for the buffers in L, comma-separated\n"
		"                   (e.g. stream,file.data,file.name: what Suricata 7 has);\n"
		"                   default all\n");
}

/* --rule-buffers: a comma-separated list of marker buffers (the rule
 * keyword, "stream" for the raw stream), "all" for every one. */
static int parse_kinds(const char *s, uint32_t *mask)
{
	uint32_t m = 0;

	if (strcmp(s, "all") == 0) {
		*mask = (1u << GEN_MARKER_KINDS) - 1;
		return 0;
	}
	while (*s) {
		size_t n = strcspn(s, ",");
		unsigned kind;

		for (kind = 0; kind < GEN_MARKER_KINDS; kind++)
			if (strlen(marker_bufs[kind]) == n && strncmp(s, marker_bufs[kind], n) == 0)
				break;
		if (kind == GEN_MARKER_KINDS)
			return -1;
		m |= 1u << kind;
		s += n;
		if (*s == ',')
			s++;
	}
	if (!m)
		return -1;
	*mask = m;
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *rules_path = NULL, *markers_path = NULL;
	const char *rule_buffers = NULL, *format = NULL, *link = NULL;
	uint64_t sessions = 100, conc = 10, target_mb = 0, nrules = 0;
	struct pcapw_opts wo;
	struct gen g;
	struct timespec t0, t1;
	int rc;
	bool sessions_set = false;
	uint32_t kinds_mask = (1u << GEN_MARKER_KINDS) - 1;
	const struct gen_opt opts[] = {
		{ "out", GEN_OPT_STRING, .str = &out, .required = true },
		{ "seed", GEN_OPT_NUMBER, .num = &g.seed, .max = UINT64_MAX },
		{ "sessions", GEN_OPT_NUMBER, .num = &sessions, .max = UINT32_MAX,
		  .seen = &sessions_set },
		{ "concurrency", GEN_OPT_NUMBER, .num = &conc, .min = 1, .max = 20000 },
		{ "target-mb", GEN_OPT_NUMBER, .num = &target_mb, .min = 1, .max = 1u << 20 },
		{ "reorder", GEN_OPT_PERCENT, .pct = &g.reorder_pct },
		{ "ipv6", GEN_OPT_PERCENT, .pct = &g.ipv6_pct },
		{ "retransmit", GEN_OPT_PERCENT, .pct = &g.retransmit_pct },
		{ "starttls", GEN_OPT_PERCENT, .pct = &g.starttls_pct },
		{ "bdat", GEN_OPT_PERCENT, .pct = &g.bdat_pct },
		{ "rules-out", GEN_OPT_FILE_COUNT, .str = &rules_path, .num = &nrules,
		  .max = 10000000 },
		{ "markers-out", GEN_OPT_STRING, .str = &markers_path },
		{ "rule-buffers", GEN_OPT_STRING, .str = &rule_buffers },
		{ "format", GEN_OPT_STRING, .str = &format },
		{ "link", GEN_OPT_STRING, .str = &link },
	};
	static const char *const formats[] = { "pcap", "pcapng" };

	memset(&g, 0, sizeof(g));
	g.seed = 1;
	g.starttls_pct = 5;
	g.bdat_pct = 15;
	pcapw_opts_default(&wo);
	wo.step_us = GEN_STEP_US;
	wo.buf_size = 4u << 20;
	rc = gen_opts_parse("smtpgen", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), usage);
	if (rc != GEN_OPTS_GO_ON)
		return rc;
	if (rule_buffers && parse_kinds(rule_buffers, &kinds_mask))
		return gen_opt_bad("smtpgen", "rule-buffers", rule_buffers, usage);
	if (format) {
		rc = gen_opt_choice(format, formats, sizeof(formats) / sizeof(formats[0]));
		if (rc < 0)
			return gen_opt_bad("smtpgen", "format", format, usage);
		wo.format = rc == 0 ? PCAPW_FORMAT_PCAP : PCAPW_FORMAT_PCAPNG;
	}
	if (link) {
		rc = pcapw_link_parse(link);
		if (rc < 0 || rc == PCAPW_LINK_IPV4 || rc == PCAPW_LINK_IPV6)
			return gen_opt_bad("smtpgen", "link", link, usage);
		wo.link = (enum pcapw_link)rc;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (build_pool(&g)) {
		fprintf(stderr, "smtpgen: out of memory\n");
		return 1;
	}
	g.slots = calloc(conc, sizeof(*g.slots));
	g.active = calloc(conc, sizeof(*g.active));
	g.free_slots = calloc(conc, sizeof(*g.free_slots));
	if (!g.slots || !g.active || !g.free_slots) {
		fprintf(stderr, "smtpgen: cannot allocate %" PRIu64 " session slots\n", conc);
		return 1;
	}
	for (unsigned i = 0; i < conc; i++)
		g.free_slots[g.nfree++] = (unsigned)(conc - 1 - i);
	pcapw_rng_seed(&g.sched, g.seed ^ 0x5c4ed01eull);
	rc = pcapw_open(out, &wo, &g.w);
	if (rc) {
		fprintf(stderr, "smtpgen: %s: %s\n", out, strerror(-rc));
		return 1;
	}

	const uint64_t target_bytes = target_mb << 20;
	bool target_hit = false;
	if (target_mb && !sessions_set)
		sessions = UINT32_MAX;
	for (;;) {
		/* Fill free slots while sessions remain. With a size target,
		 * start sessions while what is written plus what the active
		 * sessions still plan to write stays under it (O(active) per
		 * start, not per packet). */
		while (g.nfree && !target_hit && g.started < sessions) {
			if (target_mb) {
				uint64_t est = pcapw_bytes(g.w);
				for (unsigned i = 0; i < g.nactive; i++) {
					const struct sess *a = &g.slots[g.active[i]];
					est += a->planned > a->bytes ? a->planned - a->bytes : 0;
				}
				if (est >= target_bytes) {
					target_hit = true;
					break;
				}
			}
			unsigned slot = g.free_slots[--g.nfree];
			sess_start(&g, &g.slots[slot], g.started++);
			g.active[g.nactive++] = slot;
		}
		if (!g.nactive)
			break;
		unsigned ai = (unsigned)pcapw_rng_below(&g.sched, g.nactive);
		struct sess *s = &g.slots[g.active[ai]];
		uint64_t before = pcapw_bytes(g.w);
		rc = sess_step(&g, s);
		s->bytes += pcapw_bytes(g.w) - before;
		if (rc) {
			fprintf(stderr, "smtpgen: %s: %s\n", out, strerror(-rc));
			return 1;
		}
		if (s->phase == PH_DONE) {
			g.free_slots[g.nfree++] = g.active[ai];
			g.active[ai] = g.active[--g.nactive];
		}
	}
	uint64_t packets = pcapw_packets(g.w), bytes = pcapw_bytes(g.w);
	rc = pcapw_close(g.w);
	if (rc) {
		fprintf(stderr, "smtpgen: %s: %s\n", out, strerror(-rc));
		return 1;
	}
	if ((rules_path || markers_path) &&
	    write_markers_and_rules(&g, markers_path, rules_path, (unsigned)nrules, g.started,
				    kinds_mask))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "smtpgen: %" PRIu32 " sessions, %" PRIu64 " packets, %.1f MB in %.2f s "
		"(%.0f MB/s)\n", g.started, packets, (double)bytes / 1e6, secs,
		secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
	free(g.pool);
	free(g.slots);
	free(g.active);
	free(g.free_slots);
	return 0;
}
