/*
 * app_email — the message side of an SMTP transaction.
 *
 * The message bytes the SMTP parser delivers (DATA after unstuffing, or
 * BDAT chunks) go to the streaming MIME parser. From its events this module
 * keeps what the `email` object of the transaction's smtp event shows
 * (From, To, Cc, Subject decoded, Message-ID, Date, X-Mailer, Received,
 * attachment names, URLs, body and subject MD5), checks the sender (the
 * envelope against the header From, display-name spoofing, repeated From
 * headers: anomalies), hashes and types every file
 * as its decoded bytes pass (fileinfo) and emits one `fileinfo` event per
 * file, and extracts URLs from every text part.
 *
 * Only the top-level message's headers (MIME msg_depth 0) fill the email
 * object: an attached message never overwrites them (Zeek #1352).
 *
 * Memory: strings live in an arena of the worker's block pool, reset when
 * the transaction has been logged; lists are capped (dropped entries are
 * counted). The MIME parser, URL extractor and file slots come from fixed
 * per-worker pools. Nothing here allocates on the packet path.
 */
#ifndef MT_APP_EMAIL_H
#define MT_APP_EMAIL_H

#include <stdbool.h>
#include <stdint.h>


#include "blockpool.h"
#include "fileinfo/fileinfo.h"
#include "mime/mime.h"
#include "url/url.h"

#define EMAIL_LIST_MAX 64

struct email_item {
	struct email_item *next;
	uint32_t len;
	char str[];             /* NUL-terminated */
};

struct email_list {
	struct email_item *head, *tail;
	uint32_t count, dropped;
};

/* A file of the message once it is closed (app_email.c file_keep), for
 * the files[] of alerts: strings in the message's arena. */
struct email_file {
	struct email_file *next;
	const char *name;           /* NULL: no name */
	uint64_t size;
	bool truncated, gaps;
	char md5[33], sha1[41], sha256[65];
	const char *magic;          /* NULL: not typed */
};

struct app_email {
	struct mime_parser *mp;     /* message being parsed, NULL if none */
	struct mt_arena arena;      /* the strings below */
	uint32_t tx_id;             /* transaction the message belongs to */
	bool have;                  /* fields below describe tx_id's message */
	bool parse_error;           /* the MIME parser gave up somewhere */
	bool gaps;
	const char *from, *reply_to, *subject, *message_id, *date, *x_mailer;
	const char *subject_raw;    /* undecoded, for subject_md5 */
	struct email_list to, cc, received, attachment, urls;
	char body_md5[33];
	/* The leaf being decoded. */
	struct fileinfo_file *file; /* NULL: not a file or no slot */
	bool in_file;
	const char *file_name;
	uint64_t file_bytes;        /* decoded bytes of the open file so far */
	struct email_file *files, *files_tail; /* closed files, in order */
	uint32_t nfiles, files_dropped;        /* kept; not kept (arena full
						* or EMAIL_LIST_MAX) */
	bool url_on;
	bool in_body;               /* a text part's email.body stream is open */
	bool body_done;             /* the text part for text_md5 was chosen */
	uint64_t bytes;             /* message bytes fed */
	/* Suricata's body_md5: the MD5 of the message body as sent (the
	 * bytes after the top header section's empty line, undecoded).
	 * hdr_state finds that line across chunks (0 line start, 1 inside a
	 * line, 2 CR at a line start, 3 found). */
	uint8_t hdr_state;
	struct fileinfo_file *raw;
	char raw_md5[33];
	char subject_md5[33];
	struct url_state url;       /* extractor of the current text part */
	struct fileinfo_file *body; /* MD5 of the decoded text body */
	/* Sender checks, made once when the message ends (mime_addr.h):
	 * how the envelope sender relates to the header From, the From
	 * addr-spec, an address shown in the display name of another
	 * domain, and how many From headers the message had. */
	bool sender_checked;
	uint8_t sender_rel;         /* enum mime_sender_rel */
	const char *from_addr, *display_addr;
	uint32_t from_headers;
};

struct worker;
struct app_flow;

/* SMTP hooks, called by app_smtp.c. */
void app_email_begin(struct worker *w, struct app_flow *a, uint32_t tx_id);
void app_email_data(struct worker *w, struct app_flow *a, const uint8_t *p, size_t n);
void app_email_gap(struct worker *w, struct app_flow *a, uint64_t n);
void app_email_end(struct worker *w, struct app_flow *a);

/* The sender checks of tx's message (once; nothing if the message is not
 * tx's): call when the message's headers are complete — at the end of
 * its data, or before its smtp event if the data never ended. */
struct smtp_tx;
void app_email_sender_check(struct worker *w, struct app_flow *a,
			    const struct smtp_tx *tx);

/* The email{} object of tx_id's message as the member "email" of b;
 * false when no message was seen for it. */
struct jb;
bool app_email_write(struct jb *b, struct app_flow *a, uint32_t tx_id);
/* mailtap's extra email fields of tx_id's message, as the member "email"
 * of b (the smtp event's `mailtap` object), when it has any. */
void app_email_ext_write(struct jb *b, struct app_flow *a, uint32_t tx_id);
/* The files[] of an alert on tx_id as the member "files" of b: the
 * message's closed files, then the one being decoded (state OPEN, its size
 * so far); nothing when there are none or the message is not tx_id's. */
void app_email_files_write(struct jb *b, struct app_flow *a, uint32_t tx_id);
/* The flow ends: drop a kept email object whose transaction never came. */
void app_email_flow_end(struct app_flow *a);
/* After the transaction's smtp event: drop the message's fields. */
void app_email_reset(struct worker *w, struct app_flow *a);

/* The email object kept for transaction tx_id's smtp event (a message that
 * gave way to the next one, app_email_json), dropped when that event is
 * not written (--eve-types). */
void app_email_tx_drop(struct app_flow *a, uint32_t tx_id);

#endif
