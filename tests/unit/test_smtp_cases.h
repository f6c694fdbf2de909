/*
 * test_smtp_cases.h — the transcript table of test_smtp.c (included once,
 * from there; split off for length). Format: see test_smtp.c.
 */

/* ---- the transcripts ---------------------------------------------------- */

#define GREET "220 mx.example.org ESMTP\r\n"
#define EHLO_REPLY "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n"

static const struct tcase cases[] = {
{
	"basic EHLO session",
	{
		SRV(GREET),
		CLI("EHLO client.example.com\r\n"),
		SRV(EHLO_REPLY),
		CLI("MAIL FROM:<alice@example.com>\r\n"),
		SRV("250 2.1.0 Ok\r\n"),
		CLI("RCPT TO:<bob@example.org>\r\n"),
		SRV("250 2.1.5 Ok\r\n"),
		CLI("DATA\r\n"),
		SRV("354 End data with <CR><LF>.<CR><LF>\r\n"),
		CLI("Subject: hi\r\n\r\nHello Bob.\r\n.\r\n"),
		SRV("250 2.0.0 Ok: queued as 4F1\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 2.0.0 Bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO client.example.com]\n"
	"REPLY@0 250 EHLO [250 8BITMIME]\n"
	"HELO [client.example.com]\n"
	"CMD@0 MAIL [MAIL FROM:<alice@example.com>]\n"
	"MAIL_FROM [<alice@example.com>]\n"
	"REPLY@0 250 MAIL [250 2.1.0 Ok]\n"
	"CMD@0 RCPT [RCPT TO:<bob@example.org>]\n"
	"RCPT_TO [<bob@example.org>]\n"
	"REPLY@0 250 RCPT [250 2.1.5 Ok]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 354 DATA [354 End data with <CR><LF>.<CR><LF>]\n"
	"DATA [Subject: hi\\r\\n\\r\\nHello Bob.\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 2.0.0 Ok: queued as 4F1]\n"
	"TX_END 0 COMPLETE helo=[client.example.com] from=[<alice@example.com>]250"
	" rcpt=[<bob@example.org>]250 data=354 end=250[2.0.0 Ok: queued as 4F1] bytes=27\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 2.0.0 Bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"HELO, lower-case verbs, space after the colon",
	{
		SRV("220 mx ready\r\n"),
		CLI("helo  old.example  \r\n"),
		SRV("250 mx\r\n"),
		CLI("mail from: <alice@example.com> SIZE=100\r\n"),
		SRV("250 ok\r\n"),
		CLI("Rcpt To:   <bob@example.org> NOTIFY=NEVER\r\n"),
		SRV("250 ok\r\n"),
		CLI("data\r\n"),
		SRV("354 go\r\n"),
		CLI("x\r\n.\r\n"),
		SRV("250 queued\r\n"),
		CLI("quit\r\n"),
	},
	"REPLY@0 220 NONE [220 mx ready]\n"
	"CMD@0 HELO [helo  old.example  ]\n"
	"REPLY@0 250 HELO [250 mx]\n"
	"HELO [old.example]\n"
	"CMD@0 MAIL [mail from: <alice@example.com> SIZE=100]\n"
	"MAIL_FROM [<alice@example.com>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RCPT [Rcpt To:   <bob@example.org> NOTIFY=NEVER]\n"
	"RCPT_TO [<bob@example.org>]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"CMD@0 DATA [data]\n"
	"DATA_BEGIN\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [x\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE helo=[old.example] from=[<alice@example.com>]250"
	" rcpt=[<bob@example.org>]250 data=354 end=250[queued] bytes=3 size=100\n"
	"CMD@1 QUIT [quit]\n",
	0, 0, false, 0, 0, 0,
},
{
	"null sender, path without brackets, multi-line greeting",
	{
		SRV("220-mx.example.org\r\n220-no UCE\r\n220 ready\r\n"),
		CLI("EHLO [192.0.2.1]\r\n"),
		SRV("250-mx\r\n250 HELP\r\n"),
		CLI("MAIL FROM:<>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:postmaster\r\n"),
		SRV("250 ok\r\n"),
		CLI("RSET\r\n"),
		SRV("250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 ready]\n"
	"CMD@0 EHLO [EHLO [192.0.2.1]]\n"
	"REPLY@0 250 EHLO [250 HELP]\n"
	"HELO [[192.0.2.1]]\n"
	"CMD@0 MAIL [MAIL FROM:<>]\n"
	"MAIL_FROM [<>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RCPT [RCPT TO:postmaster]\n"
	"RCPT_TO [postmaster]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"CMD@0 RSET [RSET]\n"
	"TX_END 0 ABORTED helo=[[192.0.2.1]] from=[<>]250 rcpt=[postmaster]250\n"
	"REPLY@- 250 RSET [250 ok]\n",
	0, 0, false, 0, 0, 0,
},
{
	"several recipients, one rejected",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<b@y>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<nobody@y>\r\n"),
		SRV("550 5.1.1 <nobody@y>: Recipient address rejected\r\n"),
		CLI("RCPT TO:<c@y>\r\n"),
		SRV("250 ok\r\n"),
		CLI("DATA\r\n"),
		SRV("354 go\r\n"),
		CLI(".\r\n"),
		SRV("250 ok id=1\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"CMD@0 RCPT [RCPT TO:<nobody@y>]\n"
	"RCPT_TO [<nobody@y>]\n"
	"REPLY@0 550 RCPT [550 5.1.1 <nobody@y>: Recipient address rejected]\n"
	"CMD@0 RCPT [RCPT TO:<c@y>]\n"
	"RCPT_TO [<c@y>]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 ok id=1]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250"
	" rcpt=[<b@y>]250,[<nobody@y>]550,[<c@y>]250 data=354 end=250[ok id=1] bytes=0\n",
	0, 0, false, 0, 0, 0,
},
{
	"pipelined envelope and replies, each in one chunk",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV(EHLO_REPLY),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n"),
		SRV("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n450 4.2.0 <c@y>: greylisted\r\n354 go ahead\r\n"),
		CLI("line 1\r\n.\r\nQUIT\r\n"),
		SRV("250 2.0.0 Ok: queued as ABC\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 8BITMIME]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 RCPT [RCPT TO:<c@y>]\n"
	"RCPT_TO [<c@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 MAIL [250 2.1.0 Ok]\n"
	"REPLY@0 250 RCPT [250 2.1.5 Ok]\n"
	"REPLY@0 450 RCPT [450 4.2.0 <c@y>: greylisted]\n"
	"REPLY@0 354 DATA [354 go ahead]\n"
	"DATA [line 1\\r\\n]\n"
	"DATA_END\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@0 250 DATA_END [250 2.0.0 Ok: queued as ABC]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250,[<c@y>]450 data=354"
	" end=250[2.0.0 Ok: queued as ABC] bytes=8\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"DATA rejected, then RSET and QUIT",
	{
		SRV(GREET),
		CLI("HELO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<b@y>\r\n"),
		SRV("550 no such user\r\n"),
		CLI("DATA\r\n"),
		SRV("554 5.5.1 Error: no valid recipients\r\n"),
		CLI("RSET\r\n"),
		SRV("250 ok\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 HELO [HELO c]\n"
	"REPLY@0 250 HELO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 550 RCPT [550 no such user]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 554 DATA [554 5.5.1 Error: no valid recipients]\n"
	"ANOMALY data_without_rcpt\n"
	"TX_END 0 REJECTED helo=[c] from=[<a@x>]250 rcpt=[<b@y>]550 data=554 bytes=0\n"
	"CMD@1 RSET [RSET]\n"
	"REPLY@1 250 RSET [250 ok]\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"dot-unstuffing, dots that do not end the data",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI(".first line\r\n..leading\r\na.\r\n.a\r\n\r\n.\rx\r\nb\n.\nc\r\n.\n"
		     "d\r\n. \r\n..\r\n...\r\n.\r\n"),
		SRV("250 queued\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [first line\\r\\n.leading\\r\\na.\\r\\na\\r\\n\\r\\n\\r]\n"
	"ANOMALY smuggling_crlf_dot_cr\n"
	"DATA [x\\r\\nb\\n.\\n]\n"
	"ANOMALY smuggling_lf_dot_lf\n"
	"DATA [c\\r\\n\\n]\n"
	"ANOMALY smuggling_crlf_dot_lf\n"
	"DATA [d\\r\\n \\r\\n.\\r\\n..\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354"
	" end=250[queued] bytes=56\n",
	0, 0, false, 0, 0, 0,
},
{
	"empty message, then a second transaction",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI(".\r\n"),
		SRV("250 queued as 1\r\n"),
		CLI("MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("second\r\n.\r\n"),
		SRV("451 4.3.0 try later\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued as 1]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354"
	" end=250[queued as 1] bytes=0\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@1 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"REPLY@1 354 DATA [354 go]\n"
	"DATA [second\\r\\n]\n"
	"DATA_END\n"
	"REPLY@1 451 DATA_END [451 4.3.0 try later]\n"
	"TX_END 1 REJECTED helo=[c] from=[<c@x>]250 rcpt=[<d@y>]250 data=354"
	" end=451[4.3.0 try later] bytes=8\n"
	"CMD@2 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"RSET mid-transaction, EHLO ends a transaction too",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RSET\r\n"),
		SRV("250 ok\r\n"),
		CLI("MAIL FROM:<b@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<c@y>\r\n"),
		SRV("250 ok\r\n"),
		CLI("EHLO again\r\n"),
		SRV("250 mx\r\n"),
		CLI("QUIT\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RSET [RSET]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@x>]250\n"
	"REPLY@- 250 RSET [250 ok]\n"
	"CMD@1 MAIL [MAIL FROM:<b@x>]\n"
	"MAIL_FROM [<b@x>]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"CMD@1 RCPT [RCPT TO:<c@y>]\n"
	"RCPT_TO [<c@y>]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"CMD@1 EHLO [EHLO again]\n"
	"REPLY@1 250 EHLO [250 mx]\n"
	"TX_END 1 ABORTED helo=[c] from=[<b@x>]250 rcpt=[<c@y>]250\n"
	"HELO [again]\n"
	"CMD@2 QUIT [QUIT]\n",
	0, 0, false, 0, 0, 0,
},
{
	"STARTTLS, then nothing is parsed",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250-mx\r\n250 STARTTLS\r\n"),
		CLI("STARTTLS\r\n"),
		SRV("220 2.0.0 Ready to start TLS\r\n\x16\x03\x03\x00\x5a\x02\x00\r\n250 x\r\n"),
		CLI("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\nMAIL FROM:<x@y>\r\n"),
		SRV("\x17\x03\x03\x00\x20garbage\r\n"),
		CLI("QUIT\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 STARTTLS]\n"
	"HELO [c]\n"
	"CMD@0 STARTTLS [STARTTLS]\n"
	"REPLY@0 220 STARTTLS [220 2.0.0 Ready to start TLS]\n"
	"TLS\n"
	"TX_END 0 INCOMPLETE helo=[c]\n",
	0, 0, false, 0, 0, 0,
},
{
	"STARTTLS refused: the session goes on in clear",
	{
		SRV(GREET),
		CLI("EHLO c\r\nSTARTTLS\r\n"),
		SRV("250 mx\r\n454 4.7.0 TLS not available\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 STARTTLS [STARTTLS]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 454 STARTTLS [454 4.7.0 TLS not available]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n"
	"TX_END 0 ABORTED helo=[c]\n",
	0, 0, false, 0, 0, 0,
},
{
	"EHLO and QUIT only: one TX_END at the end",
	{
		SRV(GREET),
		CLI("EHLO scanner\r\n"),
		SRV(EHLO_REPLY),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
		EOF_S, EOF_C,
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO scanner]\n"
	"REPLY@0 250 EHLO [250 8BITMIME]\n"
	"HELO [scanner]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n"
	"TX_END 0 ABORTED helo=[scanner]\n",
	0, 0, false, 0, 0, 0,
},
{
	"unknown verbs, empty line, bare CR, odd commands",
	{
		SRV(GREET),
		CLI("XYZZY plugh\r\n\r\nNOOP\r\nVRFY bob\r\nE\rHLO x\r\nSTARTTLSX\r\n"),
		SRV("500 unknown\r\n500 empty\r\n250 ok\r\n252 maybe\r\n500 bad\r\n500 bad\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"ANOMALY unknown_command\n"
	"CMD@0 UNKNOWN [XYZZY plugh]\n"
	"ANOMALY invalid_command\n"
	"CMD@0 UNKNOWN []\n"
	"CMD@0 NOOP [NOOP]\n"
	"CMD@0 VRFY [VRFY bob]\n"
	"ANOMALY bare_cr\n"
	"ANOMALY invalid_command\n"
	"CMD@0 UNKNOWN [E\\rHLO x]\n"
	"ANOMALY unknown_command\n"
	"CMD@0 UNKNOWN [STARTTLSX]\n"
	"REPLY@0 500 UNKNOWN [500 unknown]\n"
	"REPLY@0 500 UNKNOWN [500 empty]\n"
	"REPLY@0 250 NOOP [250 ok]\n"
	"REPLY@0 252 VRFY [252 maybe]\n"
	"REPLY@0 500 UNKNOWN [500 bad]\n"
	"REPLY@0 500 UNKNOWN [500 bad]\n"
	"TX_END 0 INCOMPLETE\n",
	0, 0, false, 0, 0, 0,
},
{
	"line too long: first max_line bytes parsed, rest dropped to LF",
	{
		SRV(GREET),
		CLI("MAIL FROM:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x>\r\nRCPT TO:<b@y>\r\n"),
		SRV("250 ok\r\n250 ok but this reply line is far too long to keep\r\n"),
		CLI("QUIT\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"ANOMALY line_too_long\n"
	"CMD@0 MAIL [MAIL FROM:<aaaaaaaaaaaaaaaaaaaaa]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<aaaaaaaaaaaaaaaaaaaaa]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"ANOMALY line_too_long\n"
	"REPLY@0 250 RCPT [250 ok but this reply line is fa]\n"
	"CMD@0 QUIT [QUIT]\n"
	"TX_END 0 ABORTED from=[<aaaaaaaaaaaaaaaaaaaaa]250 rcpt=[<b@y>]250\n",
	32, 0, false, 0, 0, 0,
},
{
	"unmatched and invalid replies",
	{
		SRV(GREET),
		CLI("NOOP\r\n"),
		SRV("250 ok\r\n250 extra\r\nhello\r\n25\r\n2500 x\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 NOOP [NOOP]\n"
	"REPLY@0 250 NOOP [250 ok]\n"
	"ANOMALY unmatched_reply\n"
	"REPLY@0 250 NONE [250 extra]\n"
	"ANOMALY invalid_reply\n"
	"ANOMALY invalid_reply\n"
	"ANOMALY invalid_reply\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n"
	"TX_END 0 ABORTED\n",
	0, 0, false, 0, 0, 0,
},
{
	"gaps: command mode resynchronises at the next line, data marks the tx",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FR"),
		GAP_C(100),
		CLI("OM:<lost@x>\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("part one\r\n"),
		GAP_C(1460),
		CLI("part two\r\n.\r\n"),
		SRV("250 queued\r\n"),
		GAP_S(10),
		SRV("lost reply tail\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 250 DATA [250 ok]\n"
	"ANOMALY unmatched_reply\n"
	"REPLY@0 354 NONE [354 go]\n"
	"DATA [part one\\r\\npart two\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=250"
	" end=250[queued] bytes=20 gap\n"
	"ANOMALY unmatched_reply\n"
	"REPLY@- 221 NONE [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"a gap that swallows the final dot: the server's reply ends the data",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("part one\r\n"),
		GAP_C(5),
		SRV("250 2.0.0 queued as Z\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [part one\\r\\n]\n"
	"REPLY@0 250 DATA_END [250 2.0.0 queued as Z]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354"
	" end=250[2.0.0 queued as Z] bytes=10 gap\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"EOF in the middle of the data: INCOMPLETE",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("Subject: cut\r\n\r\nsome text\r\n."),
		EOF_C,
		SRV("421 timeout\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [Subject: cut\\r\\n\\r\\nsome text\\r\\n]\n"
	"ANOMALY unmatched_reply\n"
	"REPLY@0 421 NONE [421 timeout]\n"
	"TX_END 0 INCOMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 bytes=27\n",
	0, 0, false, 0, 0, 0,
},
{
	"client dies mid-line: the partial line is a command",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b"),
		EOF_C,
		SRV("250 mx\r\n250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b]\n"
	"RCPT_TO [<b]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"TX_END 0 INCOMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b]0\n",
	0, 0, false, 0, 0, 0,
},
{
	"pipelining past the dot: next MAIL before the verdict",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("one\r\n.\r\nMAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n"),
		SRV("250 queued as 1\r\n250 ok\r\n550 no\r\n554 no valid recipients\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [one\\r\\n]\n"
	"DATA_END\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@1 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 DATA_END [250 queued as 1]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354"
	" end=250[queued as 1] bytes=5\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"REPLY@1 550 RCPT [550 no]\n"
	"REPLY@1 554 DATA [554 no valid recipients]\n"
	"ANOMALY data_without_rcpt\n"
	"TX_END 1 REJECTED helo=[c] from=[<c@x>]250 rcpt=[<d@y>]550 data=554 bytes=0\n"
	"CMD@2 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"EHLO and two nested MAILs pipelined: the EHLO is forced, replies decide the MAILs; RCPT cap",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nMAIL FROM:<b@x>\r\n"),
		SRV("250 mx\r\n250 ok\r\n503 nested MAIL command\r\n"),
		CLI("MAIL FROM:<c@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<1>\r\nRCPT TO:<2>\r\nRCPT TO:<3>\r\nRCPT TO:<4>\r\n"),
		SRV("250 ok\r\n251 ok\r\n252 ok\r\n253 ok\r\n"),
		CLI("QUIT\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"HELO [c]\n"
	"ANOMALY nested_mail\n"
	"CMD@0 MAIL [MAIL FROM:<b@x>]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 503 MAIL [503 nested MAIL command]\n"
	"ANOMALY nested_mail\n"
	"CMD@0 MAIL [MAIL FROM:<c@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@x>]250\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<1>]\n"
	"RCPT_TO [<1>]\n"
	"CMD@1 RCPT [RCPT TO:<2>]\n"
	"RCPT_TO [<2>]\n"
	"CMD@1 RCPT [RCPT TO:<3>]\n"
	"ANOMALY too_many_rcpt\n"
	"RCPT_TO [<3>]\n"
	"CMD@1 RCPT [RCPT TO:<4>]\n"
	"RCPT_TO [<4>]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"REPLY@1 251 RCPT [251 ok]\n"
	"REPLY@1 252 RCPT [252 ok]\n"
	"REPLY@1 253 RCPT [253 ok]\n"
	"CMD@1 QUIT [QUIT]\n"
	"TX_END 1 ABORTED helo=[c] from=[<c@x>]250 rcpt=[<1>]250,[<2>]251 dropped=2\n",
	0, 2, false, 0, 0, 0,
},
{
	"DATA refused after the client already sent content: stays in data",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nRSET\r\n"),
		SRV("250 ok\r\n550 no\r\n554 no valid recipients\r\n"),
		CLI(".\r\nQUIT\r\n"),
		SRV("250 ok\r\n500 what\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"DATA [RSET\\r\\n]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 550 RCPT [550 no]\n"
	"REPLY@0 554 DATA [554 no valid recipients]\n"
	"ANOMALY data_without_rcpt\n"
	"DATA_END\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@0 250 DATA_END [250 ok]\n"
	"TX_END 0 REJECTED from=[<a@x>]250 rcpt=[<b@y>]550 data=554 end=250[ok] bytes=6\n"
	"REPLY@- 500 QUIT [500 what]\n"
	"ANOMALY unmatched_reply\n"
	"REPLY@- 221 NONE [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"greeting refused with 554; a client that talks first",
	{
		CLI("EHLO early\r\n"),
		SRV("554 5.7.1 go away\r\n"),
		SRV("503 bad sequence\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"CMD@0 EHLO [EHLO early]\n"
	"HELO [early]\n"
	"REPLY@0 554 NONE [554 5.7.1 go away]\n"
	"REPLY@0 503 EHLO [503 bad sequence]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n"
	"TX_END 0 ABORTED helo=[early]\n",
	0, 0, false, 0, 0, 0,
},
{
	"capture starts mid-session: no greeting",
	{
		CLI("RCPT TO:<b@y>\r\n"),
		SRV("250 ok\r\n"),
	},
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"TX_END 0 INCOMPLETE rcpt=[<b@y>]250\n",
	0, 0, false, 0, 0, 0,
},
{
	"bare LF as line end in commands and replies, NUL bytes",
	{
		SRV("220 mx\n"),
		CLI("EHLO c\nMAIL FROM:<a\0b@x>\nRCPT TO:<b@y> \n"),
		SRV("250-mx\n250 ok\n250 ok\n250 ok\n"),
	},
	"ANOMALY bare_lf\n"
	"REPLY@0 220 NONE [220 mx]\n"
	"ANOMALY bare_lf\n"
	"CMD@0 EHLO [EHLO c]\n"
	"ANOMALY bare_lf\n"
	"CMD@0 MAIL [MAIL FROM:<a\\x00b@x>]\n"
	"MAIL_FROM [<a\\x00b@x>]\n"
	"ANOMALY bare_lf\n"
	"CMD@0 RCPT [RCPT TO:<b@y> ]\n"
	"RCPT_TO [<b@y>]\n"
	"ANOMALY bare_lf\n"
	"ANOMALY bare_lf\n"
	"REPLY@0 250 EHLO [250 ok]\n"
	"HELO [c]\n"
	"ANOMALY bare_lf\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"ANOMALY bare_lf\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"TX_END 0 INCOMPLETE helo=[c] from=[<a\\x00b@x>]250 rcpt=[<b@y>]250\n",
	0, 0, false, 0, 0, 0,
},
{
	"client side only: a verdict never comes, each message ends INCOMPLETE",
	{
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\none\r\n.\r\n"
		    "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\ntwo\r\n.\r\nQUIT\r\n"),
	},
	"CMD@0 EHLO [EHLO c]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"DATA [one\\r\\n]\n"
	"DATA_END\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@1 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"DATA [two\\r\\n]\n"
	"DATA_END\n"
	"TX_END 0 INCOMPLETE helo=[c] from=[<a@x>]0 rcpt=[<b@y>]0 bytes=5\n"
	"CMD@2 QUIT [QUIT]\n"
	"TX_END 1 INCOMPLETE helo=[c] from=[<c@x>]0 rcpt=[<d@y>]0 bytes=5\n",
	0, 0, false, 0, 0, 0,
},
{
	"smuggling attempt: <LF>.<LF> does not end the data",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("Hi\r\n\n.\nMAIL FROM:<ceo@victim.example>\r\nRCPT TO:<b@y>\r\nDATA\r\n"
		    "Fake\r\n.\r\n"),
		SRV("250 queued as ONE\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [Hi\\r\\n\\n.\\n]\n"
	"ANOMALY smuggling_lf_dot_lf\n"
	"DATA [MAIL FROM:]\n"
	"ANOMALY smuggled_command\n"
	"DATA [<ceo@victim.example>\\r\\nRCPT TO:<b@y>\\r\\nDATA\\r\\nFake\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued as ONE]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354"
	" end=250[queued as ONE] bytes=66\n",
	0, 0, false, 0, 0, 0,
},
/* ---- replies decide HELO/EHLO and nested MAIL (RFC 5321 section 4.1.4) -- */
{
	"refused EHLO keeps the envelope and the helo (sv smtp-rejected-ehlo-preserves-envelope)",
	{
		SRV("220 mail.example.com ESMTP Postfix\r\n"),
		CLI("helo client.example.com\r\n"),
		SRV("250 mail.example.com\r\n"),
		CLI("mail from:<alice@example.com>\r\n"),
		SRV("250 2.1.0 Ok\r\n"),
		CLI("ehlo\r\n"),
		SRV("501 Syntax: EHLO hostname\r\n"),
		CLI("rcpt to:<bob@example.com>\r\n"),
		SRV("250 2.1.5 Ok\r\n"),
		CLI("data\r\n"),
		SRV("354 End data with <CR><LF>.<CR><LF>\r\n"),
		CLI("Subject: x\r\n\r\nhello\r\n.\r\n"),
		SRV("250 2.0.0 Ok: queued as 9A\r\n"),
		CLI("quit\r\n"),
		SRV("221 2.0.0 Bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mail.example.com ESMTP Postfix]\n"
	"CMD@0 HELO [helo client.example.com]\n"
	"REPLY@0 250 HELO [250 mail.example.com]\n"
	"HELO [client.example.com]\n"
	"CMD@0 MAIL [mail from:<alice@example.com>]\n"
	"MAIL_FROM [<alice@example.com>]\n"
	"REPLY@0 250 MAIL [250 2.1.0 Ok]\n"
	"CMD@0 EHLO [ehlo]\n"
	"REPLY@0 501 EHLO [501 Syntax: EHLO hostname]\n"
	"CMD@0 RCPT [rcpt to:<bob@example.com>]\n"
	"RCPT_TO [<bob@example.com>]\n"
	"REPLY@0 250 RCPT [250 2.1.5 Ok]\n"
	"CMD@0 DATA [data]\n"
	"DATA_BEGIN\n"
	"REPLY@0 354 DATA [354 End data with <CR><LF>.<CR><LF>]\n"
	"DATA [Subject: x\\r\\n\\r\\nhello\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 2.0.0 Ok: queued as 9A]\n"
	"TX_END 0 COMPLETE helo=[client.example.com] from=[<alice@example.com>]250"
	" rcpt=[<bob@example.com>]250 data=354 end=250[2.0.0 Ok: queued as 9A] bytes=21\n"
	"CMD@1 QUIT [quit]\n"
	"REPLY@- 221 QUIT [221 2.0.0 Bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"refused EHLO, client side only: it takes effect when sent",
	{
		CLI("helo client.example.com\r\nmail from:<alice@example.com>\r\nehlo\r\n"
		    "rcpt to:<bob@example.com>\r\ndata\r\nhello\r\n.\r\nquit\r\n"),
	},
	"CMD@0 HELO [helo client.example.com]\n"
	"HELO [client.example.com]\n"
	"CMD@0 MAIL [mail from:<alice@example.com>]\n"
	"MAIL_FROM [<alice@example.com>]\n"
	"CMD@0 EHLO [ehlo]\n"
	"TX_END 0 ABORTED helo=[client.example.com] from=[<alice@example.com>]0\n"
	"HELO []\n"
	"CMD@1 RCPT [rcpt to:<bob@example.com>]\n"
	"RCPT_TO [<bob@example.com>]\n"
	"CMD@1 DATA [data]\n"
	"DATA_BEGIN\n"
	"DATA [hello\\r\\n]\n"
	"DATA_END\n"
	"CMD@2 QUIT [quit]\n"
	"TX_END 1 INCOMPLETE helo=[] rcpt=[<bob@example.com>]0 bytes=7\n",
	0, 0, false, 0, 0, 0,
},
{
	"refused nested MAIL changes nothing (sv firewall 132)",
	{
		SRV("220 mail.example.com ESMTP Postfix\r\n"),
		CLI("helo client.example.com\r\n"),
		SRV("250 mail.example.com\r\n"),
		CLI("mail from:<alice@example.com>\r\n"),
		SRV("250 2.1.0 Ok\r\n"),
		CLI("mail from:<bob@example.com>\r\n"),
		SRV("503 5.5.1 Error: nested MAIL command\r\n"),
		CLI("rcpt to:<bob@example.com>\r\n"),
		SRV("250 2.1.5 Ok\r\n"),
		CLI("data\r\n"),
		SRV("354 End data with <CR><LF>.<CR><LF>\r\n"),
		CLI("hello\r\n.\r\n"),
		SRV("250 2.0.0 Ok: queued as 9B\r\n"),
		CLI("quit\r\n"),
		SRV("221 2.0.0 Bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mail.example.com ESMTP Postfix]\n"
	"CMD@0 HELO [helo client.example.com]\n"
	"REPLY@0 250 HELO [250 mail.example.com]\n"
	"HELO [client.example.com]\n"
	"CMD@0 MAIL [mail from:<alice@example.com>]\n"
	"MAIL_FROM [<alice@example.com>]\n"
	"REPLY@0 250 MAIL [250 2.1.0 Ok]\n"
	"ANOMALY nested_mail\n"
	"CMD@0 MAIL [mail from:<bob@example.com>]\n"
	"REPLY@0 503 MAIL [503 5.5.1 Error: nested MAIL command]\n"
	"CMD@0 RCPT [rcpt to:<bob@example.com>]\n"
	"RCPT_TO [<bob@example.com>]\n"
	"REPLY@0 250 RCPT [250 2.1.5 Ok]\n"
	"CMD@0 DATA [data]\n"
	"DATA_BEGIN\n"
	"REPLY@0 354 DATA [354 End data with <CR><LF>.<CR><LF>]\n"
	"DATA [hello\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 2.0.0 Ok: queued as 9B]\n"
	"TX_END 0 COMPLETE helo=[client.example.com] from=[<alice@example.com>]250"
	" rcpt=[<bob@example.com>]250 data=354 end=250[2.0.0 Ok: queued as 9B] bytes=7\n"
	"CMD@1 QUIT [quit]\n"
	"REPLY@- 221 QUIT [221 2.0.0 Bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"nested MAIL, client side only: it begins a new transaction when sent",
	{
		CLI("helo c\r\nmail from:<alice@example.com>\r\nmail from:<bob@example.com>\r\n"
		    "rcpt to:<bob@example.com>\r\nquit\r\n"),
	},
	"CMD@0 HELO [helo c]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [mail from:<alice@example.com>]\n"
	"MAIL_FROM [<alice@example.com>]\n"
	"ANOMALY nested_mail\n"
	"TX_END 0 ABORTED helo=[c] from=[<alice@example.com>]0\n"
	"CMD@1 MAIL [mail from:<bob@example.com>]\n"
	"MAIL_FROM [<bob@example.com>]\n"
	"CMD@1 RCPT [rcpt to:<bob@example.com>]\n"
	"RCPT_TO [<bob@example.com>]\n"
	"CMD@1 QUIT [quit]\n"
	"TX_END 1 ABORTED helo=[c] from=[<bob@example.com>]0 rcpt=[<bob@example.com>]0\n",
	0, 0, false, 0, 0, 0,
},
{
	"refused nested MAIL with RCPT and DATA pipelined behind it",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("MAIL FROM:<b@x>\r\nRCPT TO:<c@y>\r\nDATA\r\n"),
		SRV("503 nested MAIL command\r\n250 ok\r\n354 go\r\n"),
		CLI("hi\r\n.\r\n"),
		SRV("250 queued\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"ANOMALY nested_mail\n"
	"CMD@0 MAIL [MAIL FROM:<b@x>]\n"
	"CMD@0 RCPT [RCPT TO:<c@y>]\n"
	"RCPT_TO [<c@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 503 MAIL [503 nested MAIL command]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [hi\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<c@y>]250 data=354"
	" end=250[queued] bytes=4\n",
	0, 0, false, 0, 0, 0,
},
{
	"accepted nested MAIL (a lenient server) begins a new transaction",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<b@y>\r\n"),
		SRV("250 ok\r\n"),
		CLI("MAIL FROM:<c@x>\r\n"),
		SRV("250 ok, sender replaced\r\n"),
		CLI("RCPT TO:<d@y>\r\nQUIT\r\n"),
		SRV("250 ok\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"ANOMALY nested_mail\n"
	"CMD@0 MAIL [MAIL FROM:<c@x>]\n"
	"REPLY@0 250 MAIL [250 ok, sender replaced]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"TX_END 1 ABORTED helo=[c] from=[<c@x>]250 rcpt=[<d@y>]250\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"refused MAIL retried: not nested, a new transaction at once",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("550 5.7.1 sender rejected\r\n"),
		CLI("MAIL FROM:<b@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<c@y>\r\n"),
		SRV("250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 550 MAIL [550 5.7.1 sender rejected]\n"
	"TX_END 0 REJECTED helo=[c] from=[<a@x>]550\n"
	"CMD@1 MAIL [MAIL FROM:<b@x>]\n"
	"MAIL_FROM [<b@x>]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"CMD@1 RCPT [RCPT TO:<c@y>]\n"
	"RCPT_TO [<c@y>]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"TX_END 1 INCOMPLETE helo=[c] from=[<b@x>]250 rcpt=[<c@y>]250\n",
	0, 0, false, 0, 0, 0,
},
{
	"bare HELO refused, envelope pipelined behind it (arkime smtp-nospaces)",
	{
		SRV("220 localhost ESMTP Sendmail 8.14.4/8.14.4\r\n"),
		CLI("HELO\r\n"),
		CLI("MAIL FROM:random@example.com\r\n"),
		CLI("RCPT TO:reciever@example.com\r\n"),
		CLI("DATA\r\n"),
		CLI("test\r\n"),
		SRV("501 5.0.0 HELO requires domain address\r\n"
		    "250 2.1.0 random@example.com... Sender ok\r\n"
		    "250 2.1.5 reciever@example.com... Recipient ok\r\n"
		    "354 Enter mail, end with \".\" on a line by itself\r\n"),
		CLI("..\r\n"),
	},
	"REPLY@0 220 NONE [220 localhost ESMTP Sendmail 8.14.4/8.14.4]\n"
	"CMD@0 HELO [HELO]\n"
	"CMD@0 MAIL [MAIL FROM:random@example.com]\n"
	"MAIL_FROM [random@example.com]\n"
	"CMD@0 RCPT [RCPT TO:reciever@example.com]\n"
	"RCPT_TO [reciever@example.com]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"DATA [test\\r\\n]\n"
	"REPLY@0 501 HELO [501 5.0.0 HELO requires domain address]\n"
	"REPLY@0 250 MAIL [250 2.1.0 random@example.com... Sender ok]\n"
	"REPLY@0 250 RCPT [250 2.1.5 reciever@example.com... Recipient ok]\n"
	"REPLY@0 354 DATA [354 Enter mail, end with \".\" on a line by itself]\n"
	"DATA [.\\r\\n]\n"
	"TX_END 0 INCOMPLETE from=[random@example.com]250 rcpt=[reciever@example.com]250"
	" data=354 bytes=9\n",
	0, 0, false, 0, 0, 0,
},
{
	"bare HELO, client side only: helo set to \"\" when sent",
	{
		CLI("HELO\r\nMAIL FROM:random@example.com\r\nRCPT TO:reciever@example.com\r\n"),
	},
	"CMD@0 HELO [HELO]\n"
	"HELO []\n"
	"CMD@0 MAIL [MAIL FROM:random@example.com]\n"
	"MAIL_FROM [random@example.com]\n"
	"CMD@0 RCPT [RCPT TO:reciever@example.com]\n"
	"RCPT_TO [reciever@example.com]\n"
	"TX_END 0 INCOMPLETE helo=[] from=[random@example.com]0"
	" rcpt=[reciever@example.com]0\n",
	0, 0, false, 0, 0, 0,
},
{
	"refused HELO, then an accepted one",
	{
		SRV(GREET),
		CLI("HELO\r\n"),
		SRV("501 HELO requires domain address\r\n"),
		CLI("HELO good.example\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\nQUIT\r\n"),
		SRV("250 ok\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 HELO [HELO]\n"
	"REPLY@0 501 HELO [501 HELO requires domain address]\n"
	"CMD@0 HELO [HELO good.example]\n"
	"REPLY@0 250 HELO [250 mx]\n"
	"HELO [good.example]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"TX_END 0 ABORTED helo=[good.example] from=[<a@x>]250\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"two EHLOs before the first reply: the older one is taken as accepted",
	{
		SRV(GREET),
		CLI("EHLO one\r\nEHLO two\r\n"),
		SRV("250 mx\r\n501 no\r\n"),
		CLI("EHLO three\r\nEHLO four\r\n"),
		SRV("501 no\r\n250 mx\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO one]\n"
	"HELO [one]\n"
	"CMD@0 EHLO [EHLO two]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"REPLY@0 501 EHLO [501 no]\n"
	"CMD@0 EHLO [EHLO three]\n"
	"HELO [three]\n"
	"CMD@0 EHLO [EHLO four]\n"
	"REPLY@0 501 EHLO [501 no]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [four]\n"
	"TX_END 0 INCOMPLETE helo=[four]\n",
	0, 0, false, 0, 0, 0,
},
{
	"EHLO in a transaction, MAIL pipelined behind it: the EHLO ends the tx first",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("EHLO d\r\nMAIL FROM:<b@x>\r\n"),
		SRV("250 mx\r\n250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 EHLO [EHLO d]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@x>]250\n"
	"HELO [d]\n"
	"CMD@1 MAIL [MAIL FROM:<b@x>]\n"
	"MAIL_FROM [<b@x>]\n"
	"REPLY@- 250 EHLO [250 mx]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"TX_END 1 INCOMPLETE helo=[d] from=[<b@x>]250\n",
	0, 0, false, 0, 0, 0,
},
{
	"EHLO in a transaction, RSET pipelined behind it, EHLO refused",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n"),
		CLI("EHLO\r\nRSET\r\nMAIL FROM:<c@x>\r\n"),
		SRV("501 syntax\r\n250 ok\r\n250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"CMD@0 EHLO [EHLO]\n"
	"CMD@0 RSET [RSET]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"REPLY@- 501 EHLO [501 syntax]\n"
	"REPLY@- 250 RSET [250 ok]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"TX_END 1 INCOMPLETE helo=[c] from=[<c@x>]250\n",
	0, 0, false, 0, 0, 0,
},
{
	"deferred EHLO whose reply never comes: taken as accepted when the server's side ends",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\n"),
		EOF_S,
		CLI("RCPT TO:<b@y>\r\nEHLO d\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"HELO [c]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 EHLO [EHLO d]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@x>]0 rcpt=[<b@y>]0\n"
	"HELO [d]\n",
	0, 0, false, 0, 0, 0,
},
{
	"replies out of step (greeting without CRLF swallows the EHLO reply): a 334 decides nothing",
	{
		SRV("220 mx ESMTP AAAAAAAA"),
		CLI("EHLO Simone\r\n"),
		SRV("250-mx.example\r\n"),
		CLI("AUTH LOGIN\r\n"),
		SRV("334 VXNlcm5hbWU6\r\n"),
		CLI("Z2FsdW50\r\n"),
		SRV("235 ok\r\n"),
		CLI("MAIL FROM: <x@y.example>\r\n"),
		SRV("250 ok\r\n"),
	},
	"CMD@0 EHLO [EHLO Simone]\n"
	"REPLY@0 220 NONE [220 mx ESMTP AAAAAAAA250-mx.example]\n"
	"CMD@0 AUTH [AUTH LOGIN]\n"
	"REPLY@0 334 EHLO [334 VXNlcm5hbWU6]\n"
	"HELO [Simone]\n"
	"REPLY@0 235 AUTH [235 ok]\n"
	"AUTH SUCCESS 235 mech=[LOGIN] user=[galunt]\n"
	"CMD@0 MAIL [MAIL FROM: <x@y.example>]\n"
	"MAIL_FROM [<x@y.example>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"TX_END 0 INCOMPLETE helo=[Simone] from=[<x@y.example>]250\n",
	0, 0, false, 0, 0, 0,
},
/* ---- a transaction waits for the replies it is owed -------------------- */
{
	"pipelined MAIL, RCPT, QUIT: the record waits for the 550",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nQUIT\r\n"),
		SRV("250 ok\r\n550 5.1.1 no such user\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@b>]\n"
	"MAIL_FROM [<a@b>]\n"
	"CMD@0 RCPT [RCPT TO:<c@d>]\n"
	"RCPT_TO [<c@d>]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 550 RCPT [550 5.1.1 no such user]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@b>]250 rcpt=[<c@d>]550\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"pipelined MAIL refused, RCPT, QUIT: REJECTED",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nQUIT\r\n"),
		SRV("550 sender no\r\n503 need MAIL\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@b>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@b>]\n"
	"CMD@0 RCPT [RCPT TO:<c@d>]\n"
	"RCPT_TO [<c@d>]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@0 550 MAIL [550 sender no]\n"
	"REPLY@0 503 RCPT [503 need MAIL]\n"
	"TX_END 0 REJECTED from=[<a@b>]550 rcpt=[<c@d>]503\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"RSET and a second envelope pipelined: both records get their replies",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRSET\r\nMAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nQUIT\r\n"),
		SRV("250 ok\r\n550 no\r\n250 reset\r\n250 ok\r\n250 ok\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 RSET [RSET]\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 550 RCPT [550 no]\n"
	"TX_END 0 ABORTED helo=[c] from=[<a@x>]250 rcpt=[<b@y>]550\n"
	"REPLY@- 250 RSET [250 reset]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"TX_END 1 ABORTED helo=[c] from=[<c@x>]250 rcpt=[<d@y>]250\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"RSET and a second envelope with its message pipelined",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRSET\r\nMAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n250 reset\r\n250 ok\r\n"),
		SRV("250 ok\r\n354 go\r\n"),
		CLI("m\r\n.\r\n"),
		SRV("250 queued\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 RSET [RSET]\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@1 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"TX_END 0 ABORTED from=[<a@x>]250 rcpt=[<b@y>]250\n"
	"REPLY@- 250 RSET [250 reset]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"REPLY@1 354 DATA [354 go]\n"
	"DATA [m\\r\\n]\n"
	"DATA_END\n"
	"REPLY@1 250 DATA_END [250 queued]\n"
	"TX_END 1 COMPLETE from=[<c@x>]250 rcpt=[<d@y>]250 data=354 end=250[queued] bytes=3\n",
	0, 0, false, 0, 0, 0,
},
{
	"three envelopes ended before any reply: the slot is needed again",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRSET\r\nMAIL FROM:<b@x>\r\nRSET\r\nMAIL FROM:<c@x>\r\nQUIT\r\n"),
		SRV("250 ok\r\n250 ok\r\n251 ok\r\n250 ok\r\n252 ok\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RSET [RSET]\n"
	"CMD@1 MAIL [MAIL FROM:<b@x>]\n"
	"MAIL_FROM [<b@x>]\n"
	"CMD@1 RSET [RSET]\n"
	"TX_END 0 ABORTED from=[<a@x>]0\n"
	"CMD@2 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@2 QUIT [QUIT]\n"
	"REPLY@- 250 MAIL [250 ok]\n"
	"REPLY@- 250 RSET [250 ok]\n"
	"REPLY@1 251 MAIL [251 ok]\n"
	"TX_END 1 ABORTED from=[<b@x>]251\n"
	"REPLY@- 250 RSET [250 ok]\n"
	"REPLY@2 252 MAIL [252 ok]\n"
	"TX_END 2 ABORTED from=[<c@x>]252\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"RCPT's reply after the QUIT (sv smtp-bug-6053)",
	{
		SRV(GREET),
		CLI("EHLO Simone\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM: <x@y.example>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO: <z@aba.example>\r\n"),
		CLI("QUIT\r\n"),
		SRV("250 ok\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO Simone]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [Simone]\n"
	"CMD@0 MAIL [MAIL FROM: <x@y.example>]\n"
	"MAIL_FROM [<x@y.example>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RCPT [RCPT TO: <z@aba.example>]\n"
	"RCPT_TO [<z@aba.example>]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"TX_END 0 ABORTED helo=[Simone] from=[<x@y.example>]250 rcpt=[<z@aba.example>]250\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"a tx waiting for its replies when the server's side ends is logged then",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nQUIT\r\n"),
		SRV("250 ok\r\n"),
		EOF_S,
		EOF_C,
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 QUIT [QUIT]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"TX_END 0 ABORTED from=[<a@x>]250 rcpt=[<b@y>]0\n",
	0, 0, false, 0, 0, 0,
},
{
	"a closed tx waits behind an older one awaiting its verdict",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("one\r\n.\r\nMAIL FROM:<c@x>\r\nQUIT\r\n"),
		SRV("250 queued\r\n250 ok\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [one\\r\\n]\n"
	"DATA_END\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued] bytes=5\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"TX_END 1 ABORTED from=[<c@x>]250\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
/* ---- gaps in command mode ------------------------------------------------ */
{
	"gap in command mode: the tx is marked, a command after the gap is parsed",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRC"),
		GAP_C(13),
		CLI("rcpt TO:<d@y>\r\nRCPT TO:<e@y>\r\n"),
		SRV("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n"),
		CLI("QUIT\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 RCPT [rcpt TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@0 RCPT [RCPT TO:<e@y>]\n"
	"RCPT_TO [<e@y>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"ANOMALY unmatched_reply\n"
	"REPLY@0 250 NONE [250 ok]\n"
	"CMD@0 QUIT [QUIT]\n"
	"TX_END 0 ABORTED from=[<a@x>]250 rcpt=[<b@y>]250,[<d@y>]250,[<e@y>]250 gap\n",
	0, 0, false, 0, 0, 0,
},
{
	"gap in command mode: tails that are not commands are dropped",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nNO"),
		GAP_C(5),
		CLI("DATAx\r\nNOOP\r\n"),
		GAP_C(5),
		CLI("rcpt\tTO:<b@y>\r\nNOOP\r\n"),
		GAP_C(5),
		CLI("XYZZY\r\nNOOP\r\n"),
		GAP_C(5),
		CLI("RCPT TO:<this line is far too long to be kept at all>\r\nNOOP\r\n"),
		GAP_C(5),
		CLI("quit\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 NOOP [NOOP]\n"
	"CMD@0 NOOP [NOOP]\n"
	"CMD@0 NOOP [NOOP]\n"
	"CMD@0 NOOP [NOOP]\n"
	"CMD@0 QUIT [quit]\n"
	"TX_END 0 ABORTED from=[<a@x>]0 gap\n",
	32, 0, false, 0, 0, 0,
},
{
	"gap between transactions: the next one is marked",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("one\r\n.\r\n"),
		SRV("250 queued\r\n"),
		GAP_C(30),
		CLI("MAIL FROM:<c@x>\r\nQUIT\r\n"),
		SRV("250 ok\r\n250 ok\r\n221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [one\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued] bytes=5\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"TX_END 1 ABORTED from=[<c@x>]250 gap\n"
	"REPLY@- 250 QUIT [250 ok]\n"
	"ANOMALY unmatched_reply\n"
	"REPLY@- 221 NONE [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
/* ---- BDAT / CHUNKING (RFC 3030) ------------------------------------------ */
{
	"BDAT: chunks end mid-line, no terminator or stuffing inside, LAST reply is the verdict",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250-mx\r\n250-CHUNKING\r\n250 PIPELINING\r\n"),
		CLI("MAIL FROM:<a@x> BODY=BINARYMIME SIZE=16\r\n"),
		SRV("250 ok\r\n"),
		CLI("RCPT TO:<b@y>\r\n"),
		SRV("250 ok\r\n"),
		CLI("BDAT 10\r\nab\r\n.\r\n..d"),
		SRV("250 2.0.0 10 octets\r\n"),
		CLI("BDAT 6 LAST\r\nQUIT\r\n"),
		SRV("250 2.0.0 Ok: queued as B1\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 PIPELINING]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x> BODY=BINARYMIME SIZE=16]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"CMD@0 BDAT [BDAT 10]\n"
	"DATA_BEGIN\n"
	"DATA [ab\\r\\n.\\r\\n..d]\n"
	"REPLY@0 250 BDAT [250 2.0.0 10 octets]\n"
	"CMD@0 BDAT [BDAT 6 LAST]\n"
	"DATA [QUIT\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 BDAT_LAST [250 2.0.0 Ok: queued as B1]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=250 end=250[2.0.0 Ok: queued as B1] bytes=16 bdat=2 size=16 body=3\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
{
	"BDAT 0 LAST ends the message with no bytes; pipelined with the envelope",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 3\r\nxyzBDAT 0 LAST\r\nMAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nbdat 2 last\r\nhi"),
		SRV("250 ok\r\n250 ok\r\n250 3 octets\r\n250 queued as Q1\r\n250 ok\r\n250 ok\r\n250 queued as Q2\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 BDAT [BDAT 3]\n"
	"DATA_BEGIN\n"
	"DATA [xyz]\n"
	"CMD@0 BDAT [BDAT 0 LAST]\n"
	"DATA_END\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 RCPT [RCPT TO:<d@y>]\n"
	"RCPT_TO [<d@y>]\n"
	"CMD@1 BDAT [bdat 2 last]\n"
	"DATA_BEGIN\n"
	"DATA [hi]\n"
	"DATA_END\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 250 BDAT [250 3 octets]\n"
	"REPLY@0 250 BDAT_LAST [250 queued as Q1]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=250 end=250[queued as Q1] bytes=3 bdat=2\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"REPLY@1 250 BDAT_LAST [250 queued as Q2]\n"
	"TX_END 1 COMPLETE helo=[c] from=[<c@x>]250 rcpt=[<d@y>]250 end=250[queued as Q2] bytes=2 bdat=1\n",
	0, 0, false, 0, 0, 0,
},
{
	"BDAT refused: its octets are still chunk data, the tx is REJECTED; a MAIL after it is a new tx",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250 mx\r\n"),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n"),
		SRV("250 ok\r\n250 ok\r\n"),
		CLI("BDAT 12\r\nRSET\r\nQUIT\r\n"),
		SRV("552 5.3.4 too big\r\n"),
		CLI("MAIL FROM:<c@x>\r\n"),
		SRV("250 ok\r\n"),
		CLI("RSET\r\n"),
		SRV("250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"CMD@0 BDAT [BDAT 12]\n"
	"DATA_BEGIN\n"
	"DATA [RSET\\r\\nQUIT\\r\\n]\n"
	"REPLY@0 552 BDAT [552 5.3.4 too big]\n"
	"TX_END 0 REJECTED helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=552 bytes=12 bdat=1\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"CMD@1 RSET [RSET]\n"
	"TX_END 1 ABORTED helo=[c] from=[<c@x>]250\n"
	"REPLY@- 250 RSET [250 ok]\n",
	0, 0, false, 0, 0, 0,
},
{
	"BDAT with bad arguments: invalid_bdat, no octets taken",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n"),
		SRV("250 ok\r\n250 ok\r\n"),
		CLI("BDAT\r\nBDAT -1 LAST\r\nBDAT 1099511627777 LAST\r\nBDAT 5 X\r\nBDAT x\r\nBDAT 18446744073709551621\r\nNOOP\r\n"),
		SRV("501 a\r\n501 b\r\n501 c\r\n501 d\r\n501 e\r\n501 f\r\n250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"CMD@0 BDAT [BDAT]\n"
	"ANOMALY invalid_bdat\n"
	"CMD@0 BDAT [BDAT -1 LAST]\n"
	"ANOMALY invalid_bdat\n"
	"CMD@0 BDAT [BDAT 1099511627777 LAST]\n"
	"ANOMALY invalid_bdat\n"
	"CMD@0 BDAT [BDAT 5 X]\n"
	"ANOMALY invalid_bdat\n"
	"CMD@0 BDAT [BDAT x]\n"
	"ANOMALY invalid_bdat\n"
	"CMD@0 BDAT [BDAT 18446744073709551621]\n"
	"ANOMALY invalid_bdat\n"
	"CMD@0 NOOP [NOOP]\n"
	"REPLY@0 501 BDAT [501 a]\n"
	"REPLY@0 501 BDAT [501 b]\n"
	"REPLY@0 501 BDAT [501 c]\n"
	"REPLY@0 501 BDAT [501 d]\n"
	"REPLY@0 501 BDAT [501 e]\n"
	"REPLY@0 501 BDAT [501 f]\n"
	"REPLY@0 250 NOOP [250 ok]\n"
	"TX_END 0 REJECTED from=[<a@x>]250 rcpt=[<b@y>]250 data=501\n",
	0, 0, false, 0, 0, 0,
},
{
	"BDAT: a gap inside a chunk is counted off it; DATA after BDAT is an anomaly",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 20\r\n0123"),
		GAP_C(10),
		CLI("456789MAIL FROM:<z@z>\r\n"),
		CLI("BDAT 4\r\nabcdDATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n250 20\r\n503 nested\r\n250 4\r\n503 no DATA in BDAT\r\n"),
		CLI("BDAT 1 LAST\r\nz"),
		SRV("250 queued\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 BDAT [BDAT 20]\n"
	"DATA_BEGIN\n"
	"DATA [0123456789]\n"
	"ANOMALY nested_mail\n"
	"CMD@0 MAIL [MAIL FROM:<z@z>]\n"
	"CMD@0 BDAT [BDAT 4]\n"
	"DATA [abcd]\n"
	"CMD@0 DATA [DATA]\n"
	"ANOMALY data_after_bdat\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 250 BDAT [250 20]\n"
	"REPLY@0 503 MAIL [503 nested]\n"
	"REPLY@0 250 BDAT [250 4]\n"
	"REPLY@0 503 DATA [503 no DATA in BDAT]\n"
	"CMD@0 BDAT [BDAT 1 LAST]\n"
	"DATA [z]\n"
	"DATA_END\n"
	"REPLY@0 250 BDAT_LAST [250 queued]\n"
	"TX_END 0 COMPLETE from=[<a@x>]250 rcpt=[<b@y>]250 data=250 end=250[queued] bytes=15 gap bdat=3\n",
	0, 0, false, 0, 0, 0,
},
{
	"BDAT without the server side: chunks still counted exactly",
	{
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 5\r\n\r\n.\r\nBDAT 2 LAST\r\n\r\nQUIT\r\n"),
	},
	"CMD@0 EHLO [EHLO c]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 BDAT [BDAT 5]\n"
	"DATA_BEGIN\n"
	"DATA [\\r\\n.\\r\\n]\n"
	"CMD@0 BDAT [BDAT 2 LAST]\n"
	"DATA [\\r\\n]\n"
	"DATA_END\n"
	"CMD@1 QUIT [QUIT]\n"
	"TX_END 0 INCOMPLETE helo=[c] from=[<a@x>]0 rcpt=[<b@y>]0 bytes=7 bdat=2\n",
	0, 0, false, 0, 0, 0,
},
/* ---- AUTH (RFC 4954) ------------------------------------------------------ */
{
	"AUTH PLAIN with an initial response: user, no password anywhere",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250-mx\r\n250 AUTH PLAIN LOGIN\r\n"),
		CLI("auth plain YWRtaW4AYWxpY2UAczNjcjN0UFc=\r\n"),
		SRV("235 2.7.0 ok\r\n"),
		CLI("MAIL FROM:<a@x> AUTH=<alice@x>\r\n"),
		SRV("250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 AUTH PLAIN LOGIN]\n"
	"HELO [c]\n"
	"CMD@0 AUTH [auth plain]\n"
	"REPLY@0 235 AUTH [235 2.7.0 ok]\n"
	"AUTH SUCCESS 235 mech=[PLAIN] user=[alice]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x> AUTH=<alice@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"TX_END 0 INCOMPLETE helo=[c] from=[<a@x>]250 mauth=[<alice@x>]\n",
	0, 0, false, 0, 0, 0,
},
{
	"AUTH PLAIN after 334, then AUTH LOGIN failing, then cancelled",
	{
		SRV(GREET),
		CLI("AUTH PLAIN\r\n"),
		SRV("334 \r\n"),
		CLI("AGFsaWNlAHMzY3IzdFBX\r\n"),
		SRV("535 5.7.8 bad\r\n"),
		CLI("AUTH LOGIN\r\n"),
		SRV("334 VXNlcm5hbWU6\r\n"),
		CLI("YWxpY2U=\r\n"),
		SRV("334 UGFzc3dvcmQ6\r\n"),
		CLI("czNjcjN0UFc=\r\n"),
		SRV("235 ok\r\n"),
		CLI("AUTH CRAM-MD5\r\n"),
		SRV("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"),
		CLI("*\r\n"),
		SRV("501 cancelled\r\n"),
		CLI("NOOP\r\n"),
		SRV("250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 AUTH [AUTH PLAIN]\n"
	"REPLY@0 334 AUTH [334 ]\n"
	"REPLY@0 535 AUTH [535 5.7.8 bad]\n"
	"AUTH FAILURE 535 mech=[PLAIN] user=[alice]\n"
	"CMD@0 AUTH [AUTH LOGIN]\n"
	"REPLY@0 334 AUTH [334 VXNlcm5hbWU6]\n"
	"REPLY@0 334 AUTH [334 UGFzc3dvcmQ6]\n"
	"REPLY@0 235 AUTH [235 ok]\n"
	"AUTH SUCCESS 235 mech=[LOGIN] user=[alice]\n"
	"CMD@0 AUTH [AUTH CRAM-MD5]\n"
	"REPLY@0 334 AUTH [334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+]\n"
	"REPLY@0 501 AUTH [501 cancelled]\n"
	"AUTH CANCELLED 501 mech=[CRAM-MD5] user=[]\n"
	"CMD@0 NOOP [NOOP]\n"
	"REPLY@0 250 NOOP [250 ok]\n"
	"TX_END 0 INCOMPLETE\n",
	0, 0, false, 0, 0, 0,
},
{
	"AUTH refused at once: the next line is a command",
	{
		SRV(GREET),
		CLI("AUTH GSSAPI\r\n"),
		SRV("504 5.5.4 unrecognized\r\n"),
		CLI("AUTH XOAUTH2 dXNlcj1ib2JAZXhhbXBsZS5jb20BYXV0aD1CZWFyZXIgczNjcjN0UFcBAQ==\r\n"),
		SRV("235 ok\r\n"),
		CLI("AUTH OAUTHBEARER bixhPWRhdmVAZXhhbXBsZS5jb20sAWhvc3Q9bXgBYXV0aD1CZWFyZXIgczNjcjN0UFcBAQ==\r\n"),
		SRV("334 eyJzdGF0dXMiOiI0MDEifQ==\r\n"),
		CLI("\r\n"),
		SRV("535 no\r\n"),
		CLI("QUIT\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 AUTH [AUTH GSSAPI]\n"
	"REPLY@0 504 AUTH [504 5.5.4 unrecognized]\n"
	"AUTH FAILURE 504 mech=[GSSAPI] user=[]\n"
	"CMD@0 AUTH [AUTH XOAUTH2]\n"
	"REPLY@0 235 AUTH [235 ok]\n"
	"AUTH SUCCESS 235 mech=[XOAUTH2] user=[bob@example.com]\n"
	"CMD@0 AUTH [AUTH OAUTHBEARER]\n"
	"REPLY@0 334 AUTH [334 eyJzdGF0dXMiOiI0MDEifQ==]\n"
	"REPLY@0 535 AUTH [535 no]\n"
	"AUTH FAILURE 535 mech=[OAUTHBEARER] user=[dave@example.com]\n"
	"CMD@0 QUIT [QUIT]\n"
	"TX_END 0 ABORTED\n",
	0, 0, false, 0, 0, 0,
},
{
	"AUTH without the server side: LOGIN takes two lines, CRAM-MD5 one",
	{
		CLI("EHLO c\r\nAUTH LOGIN\r\nYWxpY2U=\r\nczNjcjN0UFc=\r\nAUTH CRAM-MD5\r\nY2Fyb2wgMDEyMzQ1Njc4OWFiY2RlZg==\r\nAUTH SCRAM-SHA-1 biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM\r\nMAIL FROM:<a@x>\r\n"),
	},
	"CMD@0 EHLO [EHLO c]\n"
	"HELO [c]\n"
	"CMD@0 AUTH [AUTH LOGIN]\n"
	"AUTH PENDING 0 mech=[LOGIN] user=[alice]\n"
	"CMD@0 AUTH [AUTH CRAM-MD5]\n"
	"AUTH PENDING 0 mech=[CRAM-MD5] user=[carol]\n"
	"CMD@0 AUTH [AUTH SCRAM-SHA-1]\n"
	"AUTH PENDING 0 mech=[SCRAM-SHA-1] user=[]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"TX_END 0 INCOMPLETE helo=[c] from=[<a@x>]0\n",
	0, 0, false, 0, 0, 0,
},
/* ---- EHLO capabilities, banner, MAIL parameters ------------------------- */
{
	"EHLO capabilities: keywords, flags, SIZE, old AUTH=, masked STARTTLS, banner",
	{
		SRV("220-mx.example.org ESMTP Postfix\r\n220 second line\r\n"),
		CLI("EHLO c\r\n"),
		SRV("250-mx.example.org Hello\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-XXXXXXXA\r\n"
		    "250-auth PLAIN LOGIN\r\n250-AUTH=LOGIN\r\n250-8BITMIME\r\n250-CHUNKING \r\n250 SMTPUTF8\r\n"),
		CLI("EHLO again\r\n"),
		SRV("550 no\r\n"),
		CLI("MAIL FROM:<a@x> SIZE=1000 BODY=8bitmime SMTPUTF8 RET=HDRS ENVID=QQ314159 X=Y\r\n"),
		SRV("250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 second line]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"ANOMALY ehlo_masked_keyword\n"
	"REPLY@0 250 EHLO [250 SMTPUTF8]\n"
	"HELO [c]\n"
	"EHLO_CAPS 8 flags=0xcf size=52428800 [PIPELINING\\nSIZE 52428800\\nXXXXXXXA\\nauth PLAIN LOGIN\\nAUTH=LOGIN\\n8BITMIME\\nCHUNKING\\nSMTPUTF8]\n"
	"CMD@0 EHLO [EHLO again]\n"
	"REPLY@0 550 EHLO [550 no]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x> SIZE=1000 BODY=8bitmime SMTPUTF8 RET=HDRS ENVID=QQ314159 X=Y]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"BANNER [mx.example.org ESMTP Postfix]\n"
	"TX_END 0 INCOMPLETE helo=[c] from=[<a@x>]250 size=1000 body=2 utf8 ret=2 envid=[QQ314159]\n",
	0, 0, true, 0, 0, 0,
},
{
	"EHLO reply with more capabilities than are kept; a bare 250 has none",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250-mx\r\n250-K1\r\n250-K2\r\n250-K3\r\n250-K4\r\n250-K5\r\n250-K6\r\n250-K7\r\n250-K8\r\n"
		    "250-K9\r\n250-K10\r\n250-K11\r\n250-K12\r\n250-K13\r\n250-K14\r\n250-K15\r\n250-K16\r\n"
		    "250-K17\r\n250-K18\r\n250-K19\r\n250-K20\r\n250-K21\r\n250-K22\r\n250-K23\r\n250-K24\r\n"
		    "250-K25\r\n250-K26\r\n250-K27\r\n250-K28\r\n250-K29\r\n250-K30\r\n250-K31\r\n250-K32\r\n250 K33\r\n"),
		CLI("EHLO d\r\n"),
		SRV("250 mx\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"ANOMALY ehlo_caps_cut\n"
	"REPLY@0 250 EHLO [250 K33]\n"
	"HELO [c]\n"
	"EHLO_CAPS 32 flags=0x0 size=0 cut [K1\\nK2\\nK3\\nK4\\nK5\\nK6\\nK7\\nK8\\nK9\\nK10\\nK11\\nK12\\nK13\\nK14\\nK15\\nK16\\nK17\\nK18\\nK19\\nK20\\nK21\\nK22\\nK23\\nK24\\nK25\\nK26\\nK27\\nK28\\nK29\\nK30\\nK31\\nK32]\n"
	"CMD@0 EHLO [EHLO d]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [d]\n"
	"EHLO_CAPS 0 flags=0x0 size=0 []\n"
	"BANNER [mx.example.org ESMTP]\n"
	"TX_END 0 INCOMPLETE helo=[d]\n",
	0, 0, true, 0, 0, 0,
},
{
	"MAIL parameters ride with a deferred nested MAIL",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x> SIZE=5\r\n"),
		SRV("250 ok\r\n"),
		CLI("MAIL FROM:<b@x> SIZE=77 BODY=7BIT AUTH=<>\r\n"),
		SRV("250 ok\r\n"),
		CLI("MAIL FROM:<c@x> SIZE=12x\r\n"),
		SRV("503 nested\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x> SIZE=5]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"ANOMALY nested_mail\n"
	"CMD@0 MAIL [MAIL FROM:<b@x> SIZE=77 BODY=7BIT AUTH=<>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"TX_END 0 ABORTED from=[<a@x>]250 size=5\n"
	"MAIL_FROM [<b@x>]\n"
	"ANOMALY nested_mail\n"
	"CMD@1 MAIL [MAIL FROM:<c@x> SIZE=12x]\n"
	"REPLY@1 503 MAIL [503 nested]\n"
	"TX_END 1 INCOMPLETE from=[<b@x>]250 size=77 body=1 mauth=[<>]\n",
	0, 0, false, 0, 0, 0,
},
{
	"AUTH: a gap in the exchange; a PLAIN response that is not PLAIN names no one",
	{
		SRV(GREET),
		CLI("AUTH PLAIN\r\n"),
		SRV("334 \r\n"),
		CLI("YWxp"),
		GAP_C(5),
		CLI("Y2UAczNjcjN0UFc=\r\n"),
		SRV("535 no\r\n"),
		CLI("AUTH PLAIN czNjcjN0UFc=\r\nNOOP\r\n"),
		SRV("535 no\r\n250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 AUTH [AUTH PLAIN]\n"
	"REPLY@0 334 AUTH [334 ]\n"
	"REPLY@0 535 AUTH [535 no]\n"
	"AUTH FAILURE 535 mech=[PLAIN] user=[]\n"
	"CMD@0 AUTH [AUTH PLAIN]\n"
	"CMD@0 NOOP [NOOP]\n"
	"REPLY@0 535 AUTH [535 no]\n"
	"AUTH FAILURE 535 mech=[PLAIN] user=[]\n"
	"REPLY@0 250 NOOP [250 ok]\n"
	"TX_END 0 INCOMPLETE gap\n",
	0, 0, false, 0, 0, 0,
},
{
	"BDAT: the verdict on a LAST chunk comes before its octets are all in",
	{
		SRV(GREET),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 10 LAST\r\nabc"),
		SRV("250 ok\r\n250 ok\r\n250 queued\r\n"),
		CLI("defg\r\nNOOP\r\n"),
		SRV("500 what\r\n250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 BDAT [BDAT 10 LAST]\n"
	"DATA_BEGIN\n"
	"DATA [abc]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 250 BDAT_LAST [250 queued]\n"
	"ANOMALY bdat_chunk_cut\n"
	"DATA_END\n"
	"TX_END 0 COMPLETE from=[<a@x>]250 rcpt=[<b@y>]250 end=250[queued] bytes=3 bdat=1\n"
	"ANOMALY unknown_command\n"
	"CMD@1 UNKNOWN [defg]\n"
	"CMD@1 NOOP [NOOP]\n"
	"REPLY@1 500 UNKNOWN [500 what]\n"
	"REPLY@1 250 NOOP [250 ok]\n",
	0, 0, false, 0, 0, 0,
},
{
	"AUTH of another mechanism is paced by the 334s: commands behind a refused one stay commands",
	{
		SRV(GREET),
		CLI("AUTH FOO\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n"),
		SRV("504 5.5.4 no FOO\r\n250 ok\r\n250 ok\r\n"),
		CLI("RSET\r\nAUTH SCRAM-SHA-1 biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM\r\n"),
		SRV("250 ok\r\n334 cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==\r\n"),
		CLI("Yz1iaXdzLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdMM3JmY05IWUpZMVpWdldWczdqLHA9djBYOHYzQnoyVDBDSkdiSlF5RjBYK0hJNFRzPQ==\r\n"),
		SRV("334 dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9\r\n"),
		CLI("\r\n"),
		SRV("235 ok\r\n"),
		CLI("NOOP\r\n"),
		SRV("250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 AUTH [AUTH FOO]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 504 AUTH [504 5.5.4 no FOO]\n"
	"AUTH FAILURE 504 mech=[FOO] user=[]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"CMD@0 RSET [RSET]\n"
	"TX_END 0 ABORTED from=[<a@x>]250 rcpt=[<b@y>]250\n"
	"CMD@1 AUTH [AUTH SCRAM-SHA-1]\n"
	"REPLY@- 250 RSET [250 ok]\n"
	"REPLY@1 334 AUTH [334 cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==]\n"
	"REPLY@1 334 AUTH [334 dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9]\n"
	"REPLY@1 235 AUTH [235 ok]\n"
	"AUTH SUCCESS 235 mech=[SCRAM-SHA-1] user=[]\n"
	"CMD@1 NOOP [NOOP]\n"
	"REPLY@1 250 NOOP [250 ok]\n",
	0, 0, false, 0, 0, 0,
},
{
	"PRDR: 353 after the last chunk, one reply per accepted recipient, then the verdict (Exim)",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250-mx\r\n250-CHUNKING\r\n250 PRDR\r\n"),
		CLI("MAIL FROM:<a@x> PRDR\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nRCPT TO:<no@y>\r\nBDAT 2 LAST\r\nhi"),
		SRV("250 ok\r\n250 ok\r\n250 ok\r\n550 no\r\n353 PRDR content analysis beginning\r\n250 <b@y> ok\r\n550 <c@y> refused\r\n250 id=X1 accepted\r\n"),
		CLI("QUIT\r\n"),
		SRV("221 bye\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 PRDR]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x> PRDR]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 RCPT [RCPT TO:<c@y>]\n"
	"RCPT_TO [<c@y>]\n"
	"CMD@0 RCPT [RCPT TO:<no@y>]\n"
	"RCPT_TO [<no@y>]\n"
	"CMD@0 BDAT [BDAT 2 LAST]\n"
	"DATA_BEGIN\n"
	"DATA [hi]\n"
	"DATA_END\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 550 RCPT [550 no]\n"
	"REPLY@0 353 BDAT_LAST [353 PRDR content analysis beginning]\n"
	"REPLY@0 250 BDAT_LAST [250 <b@y> ok]\n"
	"REPLY@0 550 BDAT_LAST [550 <c@y> refused]\n"
	"REPLY@0 250 BDAT_LAST [250 id=X1 accepted]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250,[<c@y>]250,[<no@y>]550 end=250[id=X1 accepted] bytes=2 bdat=1\n"
	"CMD@1 QUIT [QUIT]\n"
	"REPLY@- 221 QUIT [221 bye]\n",
	0, 0, false, 0, 0, 0,
},
/* ---- SMTP smuggling (CVE-2023-51764/51765/51766) --------------------- */
{
	"smuggling: <LF>.<LF> inside the message, a second envelope behind it",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("From: a@x\r\nSubject: hi\r\n\r\nHello\n.\nMAIL FROM:<admin@x>\r\n"
		    "RCPT TO:<c@y>\r\nDATA\r\nFrom: admin@x\r\n\r\nSmuggled\r\n.\r\n"),
		SRV("250 queued as ONE\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [From: a@x\\r\\nSubject: hi\\r\\n\\r\\nHello\\n.\\n]\n"
	"ANOMALY smuggling_lf_dot_lf\n"
	"DATA [MAIL FROM:]\n"
	"ANOMALY smuggled_command\n"
	"DATA [<admin@x>\\r\\nRCPT TO:<c@y>\\r\\nDATA\\r\\nFrom: admin@x\\r\\n\\r\\nSmuggled\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued as ONE]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued as ONE] bytes=103\n",
	0, 0, false, 0, 0, 0,
},
{
	"smuggling: <LF>.<CRLF> inside the message, a second envelope behind it",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("From: a@x\r\nSubject: hi\r\n\r\nHello\n.\r\nMAIL FROM:<admin@x>\r\n"
		    "RCPT TO:<c@y>\r\nDATA\r\nFrom: admin@x\r\n\r\nSmuggled\r\n.\r\n"),
		SRV("250 queued as ONE\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [From: a@x\\r\\nSubject: hi\\r\\n\\r\\nHello\\n.\\r\\n]\n"
	"ANOMALY smuggling_lf_dot_crlf\n"
	"DATA [MAIL FROM:]\n"
	"ANOMALY smuggled_command\n"
	"DATA [<admin@x>\\r\\nRCPT TO:<c@y>\\r\\nDATA\\r\\nFrom: admin@x\\r\\n\\r\\nSmuggled\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued as ONE]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued as ONE] bytes=104\n",
	0, 0, false, 0, 0, 0,
},
{
	"smuggling: <CRLF>.<LF> inside the message, a second envelope behind it",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("From: a@x\r\nSubject: hi\r\n\r\nHello\r\n.\nMAIL FROM:<admin@x>\r\n"
		    "RCPT TO:<c@y>\r\nDATA\r\nFrom: admin@x\r\n\r\nSmuggled\r\n.\r\n"),
		SRV("250 queued as ONE\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [From: a@x\\r\\nSubject: hi\\r\\n\\r\\nHello\\r\\n\\n]\n"
	"ANOMALY smuggling_crlf_dot_lf\n"
	"DATA [MAIL FROM:]\n"
	"ANOMALY smuggled_command\n"
	"DATA [<admin@x>\\r\\nRCPT TO:<c@y>\\r\\nDATA\\r\\nFrom: admin@x\\r\\n\\r\\nSmuggled\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued as ONE]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued as ONE] bytes=103\n",
	0, 0, false, 0, 0, 0,
},
{
	"smuggling: <CR>.<CR> inside the message, a second envelope behind it",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("From: a@x\r\nSubject: hi\r\n\r\nHello\r.\rMAIL FROM:<admin@x>\r\n"
		    "RCPT TO:<c@y>\r\nDATA\r\nFrom: admin@x\r\n\r\nSmuggled\r\n.\r\n"),
		SRV("250 queued as ONE\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [From: a@x\\r\\nSubject: hi\\r\\n\\r\\nHello\\r.\\r]\n"
	"ANOMALY smuggling_cr_dot_cr\n"
	"DATA [MAIL FROM:]\n"
	"ANOMALY smuggled_command\n"
	"DATA [<admin@x>\\r\\nRCPT TO:<c@y>\\r\\nDATA\\r\\nFrom: admin@x\\r\\n\\r\\nSmuggled\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued as ONE]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued as ONE] bytes=103\n",
	0, 0, false, 0, 0, 0,
},
{
	"smuggling: <CRLF>.<CR> inside the message, a second envelope behind it",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("From: a@x\r\nSubject: hi\r\n\r\nHello\r\n.\rMAIL FROM:<admin@x>\r\n"
		    "RCPT TO:<c@y>\r\nDATA\r\nFrom: admin@x\r\n\r\nSmuggled\r\n.\r\n"),
		SRV("250 queued as ONE\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [From: a@x\\r\\nSubject: hi\\r\\n\\r\\nHello\\r\\n\\r]\n"
	"ANOMALY smuggling_crlf_dot_cr\n"
	"DATA [MAIL FROM:]\n"
	"ANOMALY smuggled_command\n"
	"DATA [<admin@x>\\r\\nRCPT TO:<c@y>\\r\\nDATA\\r\\nFrom: admin@x\\r\\n\\r\\nSmuggled\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued as ONE]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued as ONE] bytes=103\n",
	0, 0, false, 0, 0, 0,
},
{
	"smuggling: <CR>.<CRLF> inside the message, a second envelope behind it",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("From: a@x\r\nSubject: hi\r\n\r\nHello\r.\r\nMAIL FROM:<admin@x>\r\n"
		    "RCPT TO:<c@y>\r\nDATA\r\nFrom: admin@x\r\n\r\nSmuggled\r\n.\r\n"),
		SRV("250 queued as ONE\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [From: a@x\\r\\nSubject: hi\\r\\n\\r\\nHello\\r.\\r\\n]\n"
	"ANOMALY smuggling_cr_dot_crlf\n"
	"DATA [MAIL FROM:]\n"
	"ANOMALY smuggled_command\n"
	"DATA [<admin@x>\\r\\nRCPT TO:<c@y>\\r\\nDATA\\r\\nFrom: admin@x\\r\\n\\r\\nSmuggled\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued as ONE]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued as ONE] bytes=104\n",
	0, 0, false, 0, 0, 0,
},
{
	"smuggling: none of the sequences in an ordinary message",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("Subject: a.b\r\n\r\n..\r\n.x\r\na.b\r\nx.\ry\r\nend.\r\n...\r\n"
		    ". \r\n.\t\r\nMAIL FROM:<c@y>\r\n.\r\n"),
		SRV("250 queued\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [Subject: a.b\\r\\n\\r\\n.\\r\\nx\\r\\na.b\\r\\nx.\\ry\\r\\nend.\\r\\n..\\r\\n \\r\\n\\x09\\r\\nMAIL FROM:<c@y>\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued] bytes=66\n",
	0, 0, false, 0, 0, 0,
},
{
	"smuggling: <LF>.<CR> and <CR>.<LF> are not reported, nor MAILBOX after a sequence",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("a\n.\rb\r.\nc\n.\r\nMAILBOX full\r\nRCPT\r\n.\r\n"),
		SRV("250 queued\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [a\\n.\\rb\\r.\\nc\\n.\\r\\n]\n"
	"ANOMALY smuggling_lf_dot_crlf\n"
	"DATA [MAILBOX full\\r\\nRCPT\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued] bytes=33\n",
	0, 0, false, 0, 0, 0,
},
{
	"smuggling: chained sequences, lower-case command once per message, reset for the next",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("x\n.\n.\nquit\r\n\r\n.\nRSET\r\n\r.\r.\rhelo c\r\n.\r\n"),
		SRV("250 queued as ONE\r\n"),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI(".\nrcpt to:<c@y>\r\n.\r\n"),
		SRV("250 queued as TWO\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [x\\n.\\n]\n"
	"ANOMALY smuggling_lf_dot_lf\n"
	"DATA [.\\n]\n"
	"ANOMALY smuggling_lf_dot_lf\n"
	"DATA [quit]\n"
	"ANOMALY smuggled_command\n"
	"DATA [\\r\\n\\r\\n\\n]\n"
	"ANOMALY smuggling_crlf_dot_lf\n"
	"DATA [RSET\\r\\n\\r.\\r]\n"
	"ANOMALY smuggling_cr_dot_cr\n"
	"DATA [.\\r]\n"
	"ANOMALY smuggling_cr_dot_cr\n"
	"DATA [helo c\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued as ONE]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued as ONE] bytes=34\n"
	"CMD@1 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@1 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@1 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"REPLY@1 354 DATA [354 go]\n"
	"DATA [\\n]\n"
	"ANOMALY smuggling_crlf_dot_lf\n"
	"DATA [rcpt to:]\n"
	"ANOMALY smuggled_command\n"
	"DATA [<c@y>\\r\\n]\n"
	"DATA_END\n"
	"REPLY@1 250 DATA_END [250 queued as TWO]\n"
	"TX_END 1 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued as TWO] bytes=16\n",
	0, 0, false, 0, 0, 0,
},
/* ---- RFC 5321 section 4.5.3.1 line limits, small here (40/30/20) ------- */
{
	"line limits: command, reply and DATA lines past them are reported and parsed",
	{
		SRV("220 mx.example.org ESMTP  ok\r\n"),
		CLI("EHLO client.example.com\r\n"),
		SRV("250-mx.example.org\r\n250-SIZE 1000\r\n250 a-long-capability-line-xy\r\n"),
		CLI("MAIL FROM:<alice.b@example.com> SIZE=1000\r\n"
		    "RCPT TO:<robert.long.name@example.org>\r\n"
		    "RCPT TO:<roberta.long.name@example.org>\r\n"
		    "NOOP xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"
		    "DATA\r\n"),
		SRV("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("0123456789abcdefgh\r\n0123456789abcdefghi\r\n..123456789abcdefgh\r\n"
		    "..123456789abcdefghi\r\n0123456789abcdefghijklmnop\r\n"
		    "0123456789abcdefghi\n0123456789abcdefghij\n\r\n.\r\n"),
		SRV("250 queued\r\n"),
		CLI("MAIL FROM:<alice.b@example.com> BODY=8BITMIME\r\nRCPT TO:<b@y>\r\n"
		    "BDAT 30 LAST\r\n0123456789012345678901234567\r\n"),
		SRV("250 ok\r\n250 ok\r\n250 queued\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP  ok]\n"
	"CMD@0 EHLO [EHLO client.example.com]\n"
	"ANOMALY reply_line_too_long\n"
	"REPLY@0 250 EHLO [250 a-long-capability-line-xy]\n"
	"HELO [client.example.com]\n"
	"CMD@0 MAIL [MAIL FROM:<alice.b@example.com> SIZE=1000]\n"
	"MAIL_FROM [<alice.b@example.com>]\n"
	"CMD@0 RCPT [RCPT TO:<robert.long.name@example.org>]\n"
	"RCPT_TO [<robert.long.name@example.org>]\n"
	"ANOMALY command_line_too_long\n"
	"CMD@0 RCPT [RCPT TO:<roberta.long.name@example.org>]\n"
	"RCPT_TO [<roberta.long.name@example.org>]\n"
	"ANOMALY line_too_long\n"
	"ANOMALY command_line_too_long\n"
	"CMD@0 NOOP [NOOP xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 250 NOOP [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [0123456789abcdefgh\\r\\n0123456789abcdefghi\\r\\n]\n"
	"ANOMALY data_line_too_long\n"
	"DATA [.123456789abcdefgh\\r\\n.123456789abcdefghi\\r\\n]\n"
	"ANOMALY data_line_too_long\n"
	"DATA [0123456789abcdefghijk]\n"
	"ANOMALY data_line_too_long\n"
	"DATA [lmnop\\r\\n0123456789abcdefghi\\n0123456789abcdefghij\\n]\n"
	"ANOMALY data_line_too_long\n"
	"DATA [\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE helo=[client.example.com] from=[<alice.b@example.com>]250"
	" rcpt=[<robert.long.name@example.org>]250,[<roberta.long.name@example.org>]250 data=354"
	" end=250[queued] bytes=153 size=1000\n"
	"ANOMALY command_line_too_long\n"
	"CMD@1 MAIL [MAIL FROM:<alice.b@example.com> BODY=8BITMIME]\n"
	"MAIL_FROM [<alice.b@example.com>]\n"
	"CMD@1 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@1 BDAT [BDAT 30 LAST]\n"
	"DATA_BEGIN\n"
	"DATA [0123456789012345678901234567\\r\\n]\n"
	"DATA_END\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"REPLY@1 250 BDAT_LAST [250 queued]\n"
	"TX_END 1 COMPLETE helo=[client.example.com] from=[<alice.b@example.com>]250"
	" rcpt=[<b@y>]250 end=250[queued] bytes=30 bdat=1 body=2\n",
	64, 0, false, 40, 30, 20,
},
{
	"line limits: a DATA line split anywhere is judged the same; a gap is not judged",
	{
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nabcdefghijklmnopqrstuvwxyz"),
		CLI("0123456789\r\nshort\r\nABCDEFGHIJ"),
		GAP_C(5),
		CLI("KLMNOPQRSTUVWXYZ0123456789\r\nok\r\nabcdefghijklmnopqrs\r\n.\r\n"),
		CLI("QUIT\r\n"),
	},
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"DATA [abcdefghijklmnopqrstu]\n"
	"ANOMALY data_line_too_long\n"
	"DATA [vwxyz0123456789\\r\\nshort\\r\\nABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\\r\\nok\\r\\nabcdefghijklmnopqrs\\r\\n]\n"
	"ANOMALY data_line_too_long\n"
	"DATA_END\n"
	"CMD@1 QUIT [QUIT]\n"
	"TX_END 0 INCOMPLETE from=[<a@x>]0 rcpt=[<b@y>]0 bytes=108 gap\n",
	0, 0, false, 0, 0, 20,
},
{
	"line limits: 0 turns a check off",
	{
		SRV("220 a-greeting-line-longer-than-thirty-octets\r\n"),
		CLI("EHLO a-command-line-longer-than-forty-octets.example\r\n"
		    "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"
		    "a text line longer than twenty octets\r\n.\r\n"),
	},
	"REPLY@0 220 NONE [220 a-greeting-line-longer-than-thirty-octets]\n"
	"CMD@0 EHLO [EHLO a-command-line-longer-than-forty-octets.example]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"DATA [a text line longer than twenty octets\\r\\n]\n"
	"DATA_END\n"
	"HELO [a-command-line-longer-than-forty-octets.example]\n"
	"TX_END 0 INCOMPLETE helo=[a-command-line-longer-than-forty-octets.example]"
	" from=[<a@x>]0 rcpt=[<b@y>]0 bytes=39\n",
	0, 0, false, NOLIM, NOLIM, NOLIM,
},
/* ---- bare LF ------------------------------------------------------------ */
{
	"bare LF: AUTH responses are judged; DATA content lines are not",
	{
		SRV(GREET),
		CLI("EHLO c\r\nAUTH LOGIN\r\n"),
		SRV("250 mx\r\n334 VXNlcm5hbWU6\r\n"),
		CLI("Ym9i\n"),
		SRV("334 UGFzc3dvcmQ6\r\n"),
		CLI("cHc=\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("235 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("line one\nline two\n\nend\r\n.\r\n"),
		SRV("250 queued\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 AUTH [AUTH LOGIN]\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 334 AUTH [334 VXNlcm5hbWU6]\n"
	"ANOMALY bare_lf\n"
	"REPLY@0 334 AUTH [334 UGFzc3dvcmQ6]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 235 AUTH [235 ok]\n"
	"AUTH SUCCESS 235 mech=[LOGIN] user=[bob]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [line one\\nline two\\n\\nend\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued]"
	" bytes=24\n",
	0, 0, false, 0, 0, 0,
},
/* ---- commands that are unknown or not commands -------------------------- */
{
	"unknown_command and invalid_command",
	{
		SRV(GREET),
		CLI("X-LINK2STATE CHUNK=A\r\nXEXCH50 2 2\r\nGET / HTTP/1.1\r\nHost: x\r\n"
		    "\x01\x02\x03\r\n1MAIL FROM:<a@x>\r\n \r\nmail\tfrom:<a@x>\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"ANOMALY unknown_command\n"
	"CMD@0 UNKNOWN [X-LINK2STATE CHUNK=A]\n"
	"ANOMALY unknown_command\n"
	"CMD@0 UNKNOWN [XEXCH50 2 2]\n"
	"ANOMALY unknown_command\n"
	"CMD@0 UNKNOWN [GET / HTTP/1.1]\n"
	"ANOMALY invalid_command\n"
	"CMD@0 UNKNOWN [Host: x]\n"
	"ANOMALY invalid_command\n"
	"CMD@0 UNKNOWN [\\x01\\x02\\x03]\n"
	"ANOMALY invalid_command\n"
	"CMD@0 UNKNOWN [1MAIL FROM:<a@x>]\n"
	"ANOMALY invalid_command\n"
	"CMD@0 UNKNOWN [ ]\n"
	"CMD@0 MAIL [mail\\x09from:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"TX_END 0 INCOMPLETE from=[<a@x>]0\n",
	0, 0, false, 0, 0, 0,
},
/* ---- mail_without_helo ------------------------------------------------- */
{
	"mail_without_helo: once per session, one-sided too",
	{
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRSET\r\nMAIL FROM:<c@x>\r\nHELO c\r\n"),
	},
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"ANOMALY mail_without_helo\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 RSET [RSET]\n"
	"TX_END 0 ABORTED from=[<a@x>]0 rcpt=[<b@y>]0\n"
	"CMD@1 MAIL [MAIL FROM:<c@x>]\n"
	"MAIL_FROM [<c@x>]\n"
	"CMD@1 HELO [HELO c]\n"
	"TX_END 1 ABORTED from=[<c@x>]0\n"
	"HELO [c]\n",
	0, 0, false, 0, 0, 0,
},
{
	"mail_without_helo: not raised when the session's start was not seen",
	{
		CLI("RCPT TO:<b@y>\r\n"),
		SRV("250 ok\r\n"),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("250 ok\r\n"),
	},
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"TX_END 0 ABORTED rcpt=[<b@y>]250\n"
	"CMD@1 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"TX_END 1 INCOMPLETE from=[<a@x>]250\n",
	0, 0, false, 0, 0, 0,
},
{
	"mail_without_helo: not raised after client bytes were lost",
	{
		SRV(GREET),
		GAP_C(8),
		CLI("MAIL FROM:<a@x>\r\n"),
		SRV("250 ok\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"TX_END 0 INCOMPLETE from=[<a@x>]250 gap\n",
	0, 0, false, 0, 0, 0,
},
/* ---- data_without_rcpt ------------------------------------------------- */
{
	"data_without_rcpt: one-sided, DATA or BDAT with no RCPT sent at all",
	{
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nDATA\r\nx\r\n.\r\n"
		    "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\ny\r\n.\r\n"
		    "MAIL FROM:<a@x>\r\nBDAT 1\r\nzBDAT 1 LAST\r\nz"),
	},
	"CMD@0 EHLO [EHLO c]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 DATA [DATA]\n"
	"ANOMALY data_without_rcpt\n"
	"DATA_BEGIN\n"
	"DATA [x\\r\\n]\n"
	"DATA_END\n"
	"CMD@1 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@1 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@1 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"DATA [y\\r\\n]\n"
	"DATA_END\n"
	"TX_END 0 INCOMPLETE helo=[c] from=[<a@x>]0 bytes=3\n"
	"CMD@2 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@2 BDAT [BDAT 1]\n"
	"ANOMALY data_without_rcpt\n"
	"DATA_BEGIN\n"
	"DATA [z]\n"
	"CMD@2 BDAT [BDAT 1 LAST]\n"
	"DATA [z]\n"
	"DATA_END\n"
	"TX_END 1 INCOMPLETE helo=[c] from=[<a@x>]0 rcpt=[<b@y>]0 bytes=3\n"
	"TX_END 2 INCOMPLETE helo=[c] from=[<a@x>]0 bytes=2 bdat=2\n",
	0, 0, false, 0, 0, 0,
},
{
	"data_without_rcpt: with replies, decided at the first BDAT's reply",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nBDAT 2\r\nabBDAT 1 LAST\r\nc"),
		SRV("250 mx\r\n250 ok\r\n550 no\r\n450 later\r\n554 no valid recipients\r\n554 no\r\n"),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 1 LAST\r\nd"),
		SRV("250 ok\r\n251 will forward\r\n250 queued\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 RCPT [RCPT TO:<c@y>]\n"
	"RCPT_TO [<c@y>]\n"
	"CMD@0 BDAT [BDAT 2]\n"
	"DATA_BEGIN\n"
	"DATA [ab]\n"
	"CMD@0 BDAT [BDAT 1 LAST]\n"
	"DATA [c]\n"
	"DATA_END\n"
	"REPLY@0 250 EHLO [250 mx]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 550 RCPT [550 no]\n"
	"REPLY@0 450 RCPT [450 later]\n"
	"REPLY@0 554 BDAT [554 no valid recipients]\n"
	"ANOMALY data_without_rcpt\n"
	"REPLY@0 554 BDAT_LAST [554 no]\n"
	"TX_END 0 REJECTED helo=[c] from=[<a@x>]250 rcpt=[<b@y>]550,[<c@y>]450 data=554"
	" end=554[no] bytes=3 bdat=2\n"
	"CMD@1 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@1 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@1 BDAT [BDAT 1 LAST]\n"
	"DATA_BEGIN\n"
	"DATA [d]\n"
	"DATA_END\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"REPLY@1 251 RCPT [251 will forward]\n"
	"REPLY@1 250 BDAT_LAST [250 queued]\n"
	"TX_END 1 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]251 end=250[queued] bytes=1"
	" bdat=1\n",
	0, 0, false, 0, 0, 0,
},
/* ---- message size (RFC 1870) ------------------------------------------- */
{
	"message_size_exceeded: past the EHLO SIZE, raised once, after the first octet past it;"
	" a MAIL SIZE= a little short is not (10% + 1 KiB slack)",
	{
		SRV(GREET),
		CLI("EHLO c\r\nMAIL FROM:<a@x> SIZE=10\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
		SRV("250-mx\r\n250 SIZE 16\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
		CLI("..12345\r\n6789\r\nmore\r\n.\r\n"),
		SRV("250 queued\r\n"),
		CLI("MAIL FROM:<a@x> SIZE=10\r\nRCPT TO:<b@y>\r\nDATA\r\n..12345\r\n6789\r\n.\r\n"),
		SRV("250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x> SIZE=10]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"REPLY@0 250 EHLO [250 SIZE 16]\n"
	"HELO [c]\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 354 DATA [354 go]\n"
	"DATA [.12345\\r\\n6789\\r\\nmor]\n"
	"ANOMALY message_size_exceeded\n"
	"DATA [e\\r\\n]\n"
	"DATA_END\n"
	"REPLY@0 250 DATA_END [250 queued]\n"
	"TX_END 0 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued] bytes=20 size=10\n"
	"CMD@1 MAIL [MAIL FROM:<a@x> SIZE=10]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@1 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@1 DATA [DATA]\n"
	"DATA_BEGIN\n"
	"DATA [.12345\\r\\n6789\\r\\n]\n"
	"DATA_END\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"REPLY@1 354 DATA [354 go]\n"
	"REPLY@1 250 DATA_END [250 queued]\n"
	"TX_END 1 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=354 end=250[queued] bytes=14 size=10\n",
	0, 0, false, 0, 0, 0,
},
{
	"message size: the EHLO SIZE when smaller; BDAT chunks past what is left",
	{
		SRV(GREET),
		CLI("EHLO c\r\n"),
		SRV("250-mx\r\n250-CHUNKING\r\n250 SIZE 8\r\n"),
		CLI("MAIL FROM:<a@x> SIZE=100\r\nRCPT TO:<b@y>\r\nBDAT 5\r\n12345BDAT 4\r\n6789BDAT 9 LAST\r\nabcdefghi"),
		SRV("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n552 too big\r\n"),
		CLI("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 8 LAST\r\n12345678"),
		SRV("250 ok\r\n250 ok\r\n250 queued\r\n"),
	},
	"REPLY@0 220 NONE [220 mx.example.org ESMTP]\n"
	"CMD@0 EHLO [EHLO c]\n"
	"REPLY@0 250 EHLO [250 SIZE 8]\n"
	"HELO [c]\n"
	"CMD@0 MAIL [MAIL FROM:<a@x> SIZE=100]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@0 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@0 BDAT [BDAT 5]\n"
	"DATA_BEGIN\n"
	"DATA [12345]\n"
	"CMD@0 BDAT [BDAT 4]\n"
	"ANOMALY bdat_size_exceeded\n"
	"DATA [6789]\n"
	"ANOMALY message_size_exceeded\n"
	"CMD@0 BDAT [BDAT 9 LAST]\n"
	"DATA [abcdefghi]\n"
	"DATA_END\n"
	"REPLY@0 250 MAIL [250 ok]\n"
	"REPLY@0 250 RCPT [250 ok]\n"
	"REPLY@0 250 BDAT [250 ok]\n"
	"REPLY@0 250 BDAT [250 ok]\n"
	"REPLY@0 552 BDAT_LAST [552 too big]\n"
	"TX_END 0 REJECTED helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 data=250 end=552[too big]"
	" bytes=18 bdat=3 size=100\n"
	"CMD@1 MAIL [MAIL FROM:<a@x>]\n"
	"MAIL_FROM [<a@x>]\n"
	"CMD@1 RCPT [RCPT TO:<b@y>]\n"
	"RCPT_TO [<b@y>]\n"
	"CMD@1 BDAT [BDAT 8 LAST]\n"
	"DATA_BEGIN\n"
	"DATA [12345678]\n"
	"DATA_END\n"
	"REPLY@1 250 MAIL [250 ok]\n"
	"REPLY@1 250 RCPT [250 ok]\n"
	"REPLY@1 250 BDAT_LAST [250 queued]\n"
	"TX_END 1 COMPLETE helo=[c] from=[<a@x>]250 rcpt=[<b@y>]250 end=250[queued] bytes=8"
	" bdat=1\n",
	0, 0, false, 0, 0, 0,
},
};
