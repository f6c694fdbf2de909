/*
 * mtpcap — turn a readable SMTP (or any TCP) transcript into a capture.
 *
 *   mtpcap [-o out.pcap] [transcript.txn | -]
 *
 * The transcript language, one statement per line (leading blanks ignored):
 *
 *   # comment                  blank lines are ignored too
 *   @link ethernet|sll|sll2|raw|null|ipv4|ipv6     (default ethernet)
 *   @vlan ID [ID]              Ethernet VLAN tags, outermost first; two tags
 *                              are written as 802.1ad outer + 802.1Q inner
 *   @format pcap|pcapng        (default pcap)
 *        -- the three above only before the first packet
 *   @client ADDR:PORT          IPv6 as [2001:db8::1]:PORT (default
 *   @server ADDR:PORT          10.0.0.1:40000 and 10.0.0.2:25)
 *   @segment N                 max payload bytes per segment (default 1460)
 *   @reorder N                 N% chance that two adjacent segments of one
 *                              write are swapped (out-of-order arrival)
 *   @retransmit N              N% of data segments are sent twice
 *   @lose N                    N% of data segments (never a write's last)
 *                              are missing from the capture: gaps
 *   @seed N                    seeds reordering, retransmission and ISNs
 *   @time SECONDS[.FRACTION]   clock (default 1700000000.000000); each
 *                              write advances it 1 ms, each packet 1 µs
 *   @handshake yes|no          no = midstream capture (applies to the next
 *                              session start)
 *   @tcp-options LIST|none     SYN options: comma list of mss, wscale,
 *                              sackok, ts (ts then goes on every segment)
 *   @bad-checksums yes|no|all  yes: TCP checksums as an offloading host
 *                              captures them; all: IPv4 header's too
 *   @close fin|fin-server|rst|rst-server|none      how a session ends
 *                              (default fin: the client closes first)
 *   @only client|server|both   write only the packets sent by that side
 *   @tunnel none|mpls|gre|gre-eth|erspan2|erspan3|vxlan|geneve|ipip|ip6ip6|ip4in6
 *                              wrap every later packet (both directions) in
 *                              that encapsulation; outer addresses are fixed
 *                              (192.0.2.1 <-> 192.0.2.2, 2001:db8:ffff::1 <->
 *                              ::2), see enum pcapw_tunnel for each layout.
 *                              mpls needs @link ethernet, sll or sll2; ip6ip6
 *                              an IPv6 session, ip4in6 an IPv4 one
 *   @fragment SIZE [reverse|shuffle] [overlap N] [tiny]  |  @fragment none
 *                              cut every later IP packet carrying data into
 *                              fragments of SIZE data bytes (a multiple of 8;
 *                              IPv4 MF/offset, IPv6 Fragment header). reverse:
 *                              last fragment first; shuffle: an order drawn
 *                              from @seed. overlap N (a multiple of 8): one
 *                              more fragment of up to N bytes, its bytes XOR
 *                              0x20, from the first middle fragment past the
 *                              TCP header on, sent right after the fragments
 *                              it covers (in order, first-wins/bsd keep the
 *                              original bytes, last-wins/linux the changed
 *                              ones; see struct pcapw_frag_opts). tiny: the
 *                              first fragment carries 8 bytes, the TCP header
 *                              split across two fragments. With @tunnel the
 *                              inner packet is cut, each fragment wrapped.
 *                              Handshake, pure ACKs, FIN and RST stay whole
 *   @session                   end this connection (per @close) and start
 *                              a new one on the next write, client port + 1
 *                              unless @client follows
 *   C: text / S: text          one write of text + CRLF
 *   C< text / S< text          one write of text, no CRLF appended
 *   C@ path / S@ path          one write of a file's bytes (path relative to
 *                              the transcript)
 *   C! OFF text / S! OFF text  one segment at stream offset OFF (0 = first
 *                              byte after the SYN); the send offset does not
 *                              move (retransmissions, overlaps, gaps)
 *   Text escapes: \r \n \t \\ \xHH. One blank after the marker is skipped.
 *
 * A connection starts (handshake unless "@handshake no") at its first write.
 * Each write is cut into @segment-sized segments carrying an ACK of all the
 * peer's data, PSH on the last; the peer then sends one pure ACK.
 *
 * The interpreter (pcapw_txn_run) is library code so unit tests can run
 * transcripts in memory; main() exists only when built with MTPCAP_MAIN.
 */
#include "pcapw.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define TXN_MAX_FILE    (1u << 30)   /* C@/S@ file size cap */
#define TXN_WRITE_GAP   1000u        /* µs between writes */

enum txn_close {
	TXN_CLOSE_FIN, TXN_CLOSE_FIN_SERVER, TXN_CLOSE_RST, TXN_CLOSE_RST_SERVER,
	TXN_CLOSE_NONE,
};

struct txn {
	/* File settings, fixed once the writer is open. */
	struct pcapw_opts wo;
	const char *out_path;
	struct pcapw *w;
	/* Session settings. */
	struct pcapw_endpoint client, server;
	uint32_t segmax;
	unsigned reorder, retrans, lose;
	uint64_t seed;
	struct pcapw_rng rng;
	bool handshake;
	uint8_t syn_options;
	uint8_t csum;
	uint8_t emit;
	enum txn_close close;
	enum pcapw_tunnel tunnel;
	struct pcapw_frag_opts frag;
	/* The current connection. */
	struct pcapw_conn conn;
	bool active;
	uint32_t sessions;
	/* Parsing. */
	const char *base_dir;
	unsigned line;
	uint8_t *data;              /* decoded text of the current line */
	size_t data_len, data_cap;
	char *err;
	size_t errlen;
};

/* Record an error; returns -EINVAL (transcript) unless rc says otherwise. */
static int txn_fail(struct txn *t, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int txn_fail(struct txn *t, int rc, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (t->errlen) {
		if (t->line)
			n = snprintf(t->err, t->errlen, "line %u: ", t->line);
		if (n < 0 || (size_t)n >= t->errlen)
			n = 0;
		va_start(ap, fmt);
		vsnprintf(t->err + n, t->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int data_reserve(struct txn *t, size_t need)
{
	if (need <= t->data_cap)
		return 0;
	size_t cap = t->data_cap ? t->data_cap : 256;
	while (cap < need)
		cap *= 2;
	uint8_t *p = realloc(t->data, cap);
	if (!p)
		return -ENOMEM;
	t->data = p;
	t->data_cap = cap;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the escapes of s[0..n) into t->data, optionally adding CRLF. */
static int txn_unescape(struct txn *t, const char *s, size_t n, bool crlf)
{
	size_t o = 0;

	if (data_reserve(t, n + 2))
		return txn_fail(t, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c != '\\') {
			t->data[o++] = (uint8_t)c;
			continue;
		}
		if (++i == n)
			return txn_fail(t, -EINVAL, "backslash at end of line");
		switch (s[i]) {
		case 'r': t->data[o++] = '\r'; break;
		case 'n': t->data[o++] = '\n'; break;
		case 't': t->data[o++] = '\t'; break;
		case '\\': t->data[o++] = '\\'; break;
		case 'x': {
			int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return txn_fail(t, -EINVAL, "\\x needs two hex digits");
			t->data[o++] = (uint8_t)(hi << 4 | lo);
			i += 2;
			break;
		}
		default:
			return txn_fail(t, -EINVAL, "unknown escape \\%c", s[i]);
		}
	}
	if (crlf) {
		t->data[o++] = '\r';
		t->data[o++] = '\n';
	}
	t->data_len = o;
	return 0;
}

/* Load a file named relative to the transcript into t->data. */
static int txn_load_file(struct txn *t, const char *name)
{
	char path[4096];
	FILE *f;
	long sz;
	int rc = 0, pl;

	if (name[0] == '/' || !t->base_dir || !t->base_dir[0])
		pl = snprintf(path, sizeof(path), "%s", name);
	else
		pl = snprintf(path, sizeof(path), "%s/%s", t->base_dir, name);
	if (pl < 0 || (size_t)pl >= sizeof(path))
		return txn_fail(t, -EINVAL, "file name too long");
	f = fopen(path, "rb");
	if (!f)
		return txn_fail(t, -EINVAL, "cannot open %s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		rc = txn_fail(t, -EINVAL, "cannot size %s", path);
		goto out;
	}
	if ((unsigned long)sz > TXN_MAX_FILE) {
		rc = txn_fail(t, -EINVAL, "%s is larger than %u bytes", path, TXN_MAX_FILE);
		goto out;
	}
	if (data_reserve(t, (size_t)sz + 1)) {
		rc = txn_fail(t, -ENOMEM, "out of memory");
		goto out;
	}
	if (fread(t->data, 1, (size_t)sz, f) != (size_t)sz) {
		rc = txn_fail(t, -EINVAL, "cannot read %s", path);
		goto out;
	}
	t->data_len = (size_t)sz;
out:
	fclose(f);
	return rc;
}

static int parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Give @tunnel, @fragment and @seed (the shuffle's) to the writer. */
static int txn_apply_wrap(struct txn *t)
{
	struct pcapw_frag_opts fo = t->frag;
	int rc;

	if (!t->w)
		return 0;
	fo.seed = t->seed;
	rc = pcapw_set_tunnel(t->w, t->tunnel);
	if (!rc)
		rc = pcapw_set_fragment(t->w, &fo);
	if (rc)
		return txn_fail(t, rc, "cannot set @tunnel/@fragment: %s", strerror(-rc));
	return 0;
}

static int txn_open_writer(struct txn *t)
{
	int rc;

	if (t->w)
		return 0;
	rc = pcapw_open(t->out_path, &t->wo, &t->w);
	if (rc) {
		t->line = 0;            /* not the transcript's fault */
		return txn_fail(t, rc, "cannot write %s: %s", t->out_path, strerror(-rc));
	}
	return txn_apply_wrap(t);
}

/* "@fragment SIZE [reverse|shuffle] [overlap N] [tiny]" or "none". */
static int parse_fragment(const char *arg, struct pcapw_frag_opts *fo)
{
	char buf[256];
	char *save = NULL, *tok;
	uint64_t v;

	memset(fo, 0, sizeof(*fo));
	if (strcmp(arg, "none") == 0)
		return 0;
	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	tok = strtok_r(buf, " \t", &save);
	if (!tok || parse_uint(tok, 65528, &v) || v == 0 || (v & 7))
		return -1;
	fo->size = (uint32_t)v;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		if (strcmp(tok, "reverse") == 0) {
			fo->order = PCAPW_FRAG_REVERSE;
		} else if (strcmp(tok, "shuffle") == 0) {
			fo->order = PCAPW_FRAG_SHUFFLE;
		} else if (strcmp(tok, "tiny") == 0) {
			fo->tiny = true;
		} else if (strcmp(tok, "overlap") == 0) {
			tok = strtok_r(NULL, " \t", &save);
			if (!tok || parse_uint(tok, 65528, &v) || v == 0 || (v & 7))
				return -1;
			fo->overlap = (uint32_t)v;
		} else {
			return -1;
		}
	}
	return 0;
}

static int txn_io(struct txn *t, int rc)
{
	if (rc == -EINVAL)
		return txn_fail(t, rc, "packet not allowed on this link type");
	if (rc) {
		t->line = 0;
		return txn_fail(t, rc, "writing %s: %s", t->out_path, strerror(-rc));
	}
	return 0;
}

/* ISNs are a function of the seed and the session number only, so that
 * changing @reorder does not change every sequence number. */
static uint32_t txn_isn(const struct txn *t, unsigned side)
{
	struct pcapw_rng r;

	pcapw_rng_seed(&r, t->seed * 0x100000001b3ull + t->sessions * 2u + side);
	return (uint32_t)pcapw_rng_next(&r);
}

static int txn_session_start(struct txn *t)
{
	struct pcapw_conn_opts co;
	int rc;

	if (t->active)
		return 0;
	if (t->client.family != t->server.family)
		return txn_fail(t, -EINVAL, "@client and @server are different IP versions");
	rc = txn_open_writer(t);
	if (rc)
		return rc;
	pcapw_conn_opts_default(&co);
	co.isn[PCAPW_CLIENT] = txn_isn(t, 0);
	co.isn[PCAPW_SERVER] = txn_isn(t, 1);
	co.syn_options = t->syn_options;
	co.csum = t->csum;
	co.emit = t->emit;
	if (t->client.family == 6)
		co.mss = 1440;
	rc = pcapw_conn_init(&t->conn, t->w, &t->client, &t->server, &co);
	if (rc)
		return txn_fail(t, rc, "bad endpoints");
	t->active = true;
	t->sessions++;
	if (t->handshake)
		return txn_io(t, pcapw_conn_handshake(&t->conn));
	return 0;
}

static int txn_session_end(struct txn *t)
{
	struct pcapw_conn *c = &t->conn;
	int rc = 0;

	if (!t->active)
		return 0;
	pcapw_clock_advance(t->w, TXN_WRITE_GAP);
	switch (t->close) {
	case TXN_CLOSE_FIN: rc = pcapw_conn_close(c, PCAPW_CLIENT); break;
	case TXN_CLOSE_FIN_SERVER: rc = pcapw_conn_close(c, PCAPW_SERVER); break;
	case TXN_CLOSE_RST: rc = pcapw_conn_rst(c, PCAPW_CLIENT); break;
	case TXN_CLOSE_RST_SERVER: rc = pcapw_conn_rst(c, PCAPW_SERVER); break;
	case TXN_CLOSE_NONE: break;
	}
	t->active = false;
	return txn_io(t, rc);
}

/* One write of t->data from dir, then the peer's ACK. */
static int txn_write(struct txn *t, enum pcapw_dir dir)
{
	struct pcapw_send_opts so = {
		.seg_max = t->segmax,
		.reorder_pct = t->reorder,
		.retransmit_pct = t->retrans,
		.lose_pct = t->lose,
		.rng = &t->rng,
	};
	int rc = txn_session_start(t);

	if (rc)
		return rc;
	pcapw_clock_advance(t->w, TXN_WRITE_GAP);
	if (t->data_len == 0)
		return 0;
	rc = pcapw_conn_send(&t->conn, dir, t->data, t->data_len, &so);
	if (!rc)
		rc = pcapw_conn_ack(&t->conn, (enum pcapw_dir)!dir);
	return txn_io(t, rc);
}

/* "C! OFF text": one segment at an explicit offset. */
static int txn_raw_segment(struct txn *t, enum pcapw_dir dir, const char *s, size_t n)
{
	uint64_t off = 0;
	size_t i = 0;
	int rc;

	if (i == n || s[i] < '0' || s[i] > '9')
		return txn_fail(t, -EINVAL, "expected a stream offset");
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		if (off > (UINT64_MAX - 9) / 10)
			return txn_fail(t, -EINVAL, "offset too large");
		off = off * 10 + (uint64_t)(s[i++] - '0');
	}
	if (i < n && s[i] != ' ')
		return txn_fail(t, -EINVAL, "expected a blank after the offset");
	if (i < n)
		i++;
	rc = txn_unescape(t, s + i, n - i, false);
	if (rc)
		return rc;
	if (t->data_len > PCAPW_MAX_PAYLOAD)
		return txn_fail(t, -EINVAL, "segment longer than %u bytes", PCAPW_MAX_PAYLOAD);
	rc = txn_session_start(t);
	if (rc)
		return rc;
	pcapw_clock_advance(t->w, TXN_WRITE_GAP);
	return txn_io(t, pcapw_conn_segment(&t->conn, dir, off, t->data,
					    (uint32_t)t->data_len, PCAPW_ACK | PCAPW_PSH));
}

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_yesno(const char *s, bool *out)
{
	if (strcmp(s, "yes") == 0)
		*out = true;
	else if (strcmp(s, "no") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

/* "1700000000.5" -> µs. */
static int parse_time(const char *s, uint64_t *us)
{
	uint64_t sec = 0, frac = 0;
	unsigned digits = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		sec = sec * 10 + (uint64_t)(*s++ - '0');
		if (sec > 4000000000ull)
			return -1;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			if (digits++ < 6)
				frac = frac * 10 + (uint64_t)(*s - '0');
			s++;
		}
		while (digits < 6) {
			frac *= 10;
			digits++;
		}
	}
	if (*s)
		return -1;
	*us = sec * 1000000u + frac;
	return 0;
}

static int parse_tcp_options(const char *s, uint8_t *out)
{
	char buf[128];
	uint8_t v = 0;

	if (strcmp(s, "none") == 0) {
		*out = 0;
		return 0;
	}
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "mss") == 0) v |= PCAPW_SYN_MSS;
		else if (strcmp(tok, "wscale") == 0) v |= PCAPW_SYN_WSCALE;
		else if (strcmp(tok, "sackok") == 0) v |= PCAPW_SYN_SACKOK;
		else if (strcmp(tok, "ts") == 0) v |= PCAPW_SYN_TS;
		else return -1;
	}
	*out = v;
	return 0;
}

/* Directives: `name` and `arg` are NUL-terminated copies; arg may be "". */
static int txn_directive(struct txn *t, const char *name, const char *arg)
{
	uint64_t v;
	bool b;

	if (strcmp(name, "link") == 0 || strcmp(name, "format") == 0 ||
	    strcmp(name, "vlan") == 0) {
		if (t->w)
			return txn_fail(t, -EINVAL, "@%s must come before the first packet", name);
	}
	if (strcmp(name, "link") == 0) {
		int l = pcapw_link_parse(arg);
		if (l < 0)
			return txn_fail(t, -EINVAL, "unknown link type '%s'", arg);
		t->wo.link = (enum pcapw_link)l;
		if (t->wo.link != PCAPW_LINK_ETHERNET && t->wo.vlan_count)
			return txn_fail(t, -EINVAL, "@vlan needs @link ethernet");
	} else if (strcmp(name, "format") == 0) {
		if (strcmp(arg, "pcap") == 0)
			t->wo.format = PCAPW_FORMAT_PCAP;
		else if (strcmp(arg, "pcapng") == 0)
			t->wo.format = PCAPW_FORMAT_PCAPNG;
		else
			return txn_fail(t, -EINVAL, "unknown format '%s'", arg);
	} else if (strcmp(name, "vlan") == 0) {
		char a[32], b2[32], extra[2];
		uint64_t id;
		int n = sscanf(arg, "%31s %31s %1s", a, b2, extra);
		if (n < 1 || n > 2)
			return txn_fail(t, -EINVAL, "@vlan takes one or two ids");
		if (t->wo.link != PCAPW_LINK_ETHERNET)
			return txn_fail(t, -EINVAL, "@vlan needs @link ethernet");
		for (int i = 0; i < n; i++) {
			if (parse_uint(i ? b2 : a, 4095, &id))
				return txn_fail(t, -EINVAL, "VLAN id must be 0..4095");
			t->wo.vlan[i] = (uint16_t)id;
		}
		t->wo.vlan_count = (uint8_t)n;
	} else if (strcmp(name, "client") == 0 || strcmp(name, "server") == 0) {
		struct pcapw_endpoint ep;
		if (t->active)
			return txn_fail(t, -EINVAL, "@%s inside a session: put @session first", name);
		if (pcapw_endpoint_parse(arg, &ep))
			return txn_fail(t, -EINVAL, "bad endpoint '%s' (ADDR:PORT or [ADDR6]:PORT)", arg);
		if (name[0] == 'c')
			t->client = ep;
		else
			t->server = ep;
	} else if (strcmp(name, "segment") == 0) {
		if (parse_uint(arg, PCAPW_MAX_PAYLOAD, &v) || v == 0)
			return txn_fail(t, -EINVAL, "@segment must be 1..%u", PCAPW_MAX_PAYLOAD);
		t->segmax = (uint32_t)v;
	} else if (strcmp(name, "lose") == 0) {
		if (parse_uint(arg, 100, &v))
			return txn_fail(t, -EINVAL, "@lose takes a percentage 0..100");
		t->lose = (unsigned)v;
	} else if (strcmp(name, "reorder") == 0 || strcmp(name, "retransmit") == 0) {
		if (parse_uint(arg, 100, &v))
			return txn_fail(t, -EINVAL, "@%s takes a percentage 0..100", name);
		if (name[1] == 'e' && name[2] == 'o')
			t->reorder = (unsigned)v;
		else
			t->retrans = (unsigned)v;
	} else if (strcmp(name, "seed") == 0) {
		if (parse_uint(arg, UINT64_MAX, &v))
			return txn_fail(t, -EINVAL, "@seed takes a number");
		t->seed = v;
		pcapw_rng_seed(&t->rng, v);
		return txn_apply_wrap(t);
	} else if (strcmp(name, "time") == 0) {
		if (parse_time(arg, &v))
			return txn_fail(t, -EINVAL, "@time takes SECONDS[.FRACTION]");
		if (t->w)
			pcapw_clock_set(t->w, v);
		else
			t->wo.start_us = v;
	} else if (strcmp(name, "handshake") == 0) {
		if (parse_yesno(arg, &b))
			return txn_fail(t, -EINVAL, "@handshake takes yes or no");
		t->handshake = b;
	} else if (strcmp(name, "tcp-options") == 0) {
		if (parse_tcp_options(arg, &t->syn_options))
			return txn_fail(t, -EINVAL, "@tcp-options takes none or mss,wscale,sackok,ts");
		if (t->active)
			return txn_fail(t, -EINVAL, "@tcp-options inside a session: put @session first");
	} else if (strcmp(name, "bad-checksums") == 0) {
		if (strcmp(arg, "all") == 0)
			t->csum = PCAPW_CSUM_BAD_TCP | PCAPW_CSUM_BAD_IP;
		else if (parse_yesno(arg, &b) == 0)
			t->csum = b ? PCAPW_CSUM_BAD_TCP : PCAPW_CSUM_GOOD;
		else
			return txn_fail(t, -EINVAL, "@bad-checksums takes yes, no or all");
		t->conn.o.csum = t->csum;
	} else if (strcmp(name, "close") == 0) {
		static const char *const modes[] = {
			[TXN_CLOSE_FIN] = "fin", [TXN_CLOSE_FIN_SERVER] = "fin-server",
			[TXN_CLOSE_RST] = "rst", [TXN_CLOSE_RST_SERVER] = "rst-server",
			[TXN_CLOSE_NONE] = "none",
		};
		unsigned i;
		for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (strcmp(arg, modes[i]) == 0)
				break;
		if (i == sizeof(modes) / sizeof(modes[0]))
			return txn_fail(t, -EINVAL, "@close takes fin, fin-server, rst, rst-server or none");
		t->close = (enum txn_close)i;
	} else if (strcmp(name, "only") == 0) {
		if (strcmp(arg, "client") == 0)
			t->emit = 1u << PCAPW_CLIENT;
		else if (strcmp(arg, "server") == 0)
			t->emit = 1u << PCAPW_SERVER;
		else if (strcmp(arg, "both") == 0)
			t->emit = 3;
		else
			return txn_fail(t, -EINVAL, "@only takes client, server or both");
		t->conn.o.emit = t->emit;
	} else if (strcmp(name, "tunnel") == 0) {
		int tu = pcapw_tunnel_parse(arg);
		if (tu < 0)
			return txn_fail(t, -EINVAL, "@tunnel takes none, mpls, gre, gre-eth, erspan2, "
					"erspan3, vxlan, geneve, ipip, ip6ip6 or ip4in6");
		t->tunnel = (enum pcapw_tunnel)tu;
		return txn_apply_wrap(t);
	} else if (strcmp(name, "fragment") == 0) {
		if (parse_fragment(arg, &t->frag))
			return txn_fail(t, -EINVAL, "@fragment takes none or SIZE (a multiple of 8) "
					"[reverse|shuffle] [overlap N] [tiny]");
		return txn_apply_wrap(t);
	} else if (strcmp(name, "session") == 0) {
		int rc;
		if (arg[0])
			return txn_fail(t, -EINVAL, "@session takes no argument");
		rc = txn_session_end(t);
		if (rc)
			return rc;
		if (t->client.port == 65535)
			return txn_fail(t, -EINVAL, "client port would pass 65535");
		t->client.port++;
	} else {
		return txn_fail(t, -EINVAL, "unknown directive @%s", name);
	}
	return 0;
}

/* One line without its terminator. */
static int txn_line(struct txn *t, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	if (n == 0 || *s == '#')
		return 0;
	if (*s == '@') {
		char name[32], arg[4096];
		size_t i = 1, nl, al;
		while (i < n && s[i] != ' ' && s[i] != '\t')
			i++;
		nl = i - 1;
		if (nl == 0 || nl >= sizeof(name))
			return txn_fail(t, -EINVAL, "bad directive");
		memcpy(name, s + 1, nl);
		name[nl] = 0;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		al = n - i;
		while (al && (s[i + al - 1] == ' ' || s[i + al - 1] == '\t'))
			al--;
		if (al >= sizeof(arg))
			return txn_fail(t, -EINVAL, "directive argument too long");
		memcpy(arg, s + i, al);
		arg[al] = 0;
		return txn_directive(t, name, arg);
	}
	if (n >= 2 && (s[0] == 'C' || s[0] == 'S') &&
	    (s[1] == ':' || s[1] == '<' || s[1] == '@' || s[1] == '!')) {
		enum pcapw_dir dir = s[0] == 'C' ? PCAPW_CLIENT : PCAPW_SERVER;
		char kind = s[1];
		const char *p = s + 2;
		size_t pn = n - 2;
		int rc;

		if (pn && *p == ' ') {
			p++;
			pn--;
		}
		switch (kind) {
		case ':':
		case '<':
			rc = txn_unescape(t, p, pn, kind == ':');
			break;
		case '@': {
			char name[4096];
			if (pn == 0 || pn >= sizeof(name))
				return txn_fail(t, -EINVAL, "%c@ needs a file name", s[0]);
			memcpy(name, p, pn);
			name[pn] = 0;
			rc = txn_load_file(t, name);
			break;
		}
		default:
			return txn_raw_segment(t, dir, p, pn);
		}
		if (rc)
			return rc;
		return txn_write(t, dir);
	}
	return txn_fail(t, -EINVAL, "unrecognised line (expected #, @, C:, S:, C<, S<, C@, S@, C!, S!)");
}

int pcapw_txn_run(const char *text, size_t len, const char *base_dir,
		  const char *out_path, char *err, size_t errlen,
		  struct pcapw_txn_stats *st)
{
	struct txn t;
	size_t pos = 0;
	int rc = 0, crc;

	memset(&t, 0, sizeof(t));
	pcapw_opts_default(&t.wo);
	t.out_path = out_path;
	t.base_dir = base_dir;
	t.err = err;
	t.errlen = errlen;
	if (errlen)
		err[0] = 0;
	pcapw_endpoint_parse("10.0.0.1:40000", &t.client);
	pcapw_endpoint_parse("10.0.0.2:25", &t.server);
	t.segmax = 1460;
	t.seed = 1;
	pcapw_rng_seed(&t.rng, 1);
	t.handshake = true;
	t.emit = 3;
	t.close = TXN_CLOSE_FIN;

	while (pos < len && !rc) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t n = end - pos;

		t.line++;
		if (n && text[pos + n - 1] == '\r')
			n--;
		rc = txn_line(&t, text + pos, n);
		pos = end + 1;
	}
	if (!rc) {
		t.line = 0;
		rc = txn_session_end(&t);
	}
	if (!rc)
		rc = txn_open_writer(&t);        /* an empty capture is still a file */
	if (st) {
		st->packets = t.w ? pcapw_packets(t.w) : 0;
		st->sessions = t.sessions;
	}
	crc = pcapw_close(t.w);
	if (!rc && crc)
		rc = txn_fail(&t, crc, "writing %s: %s", out_path, strerror(-crc));
	free(t.data);
	return rc;
}

#ifdef MTPCAP_MAIN
static void usage(void)
{
	fprintf(stderr, "usage: mtpcap [-o out.pcap] [transcript.txn | -]\n");
}

int main(int argc, char **argv)
{
	const char *out = "-", *in = "-";
	char *text = NULL, *base = NULL, err[512];
	size_t len = 0, cap = 0;
	FILE *f;
	int opt, rc;

	while ((opt = getopt(argc, argv, "o:h")) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (optind + 1 < argc) {
		usage();
		return 2;
	}
	if (optind < argc)
		in = argv[optind];
	if (strcmp(out, "-") == 0 && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "mtpcap: refusing to write a capture to a terminal (use -o)\n");
		return 2;
	}
	if (strcmp(in, "-") == 0) {
		f = stdin;
	} else {
		f = fopen(in, "rb");
		if (!f) {
			fprintf(stderr, "mtpcap: %s: %s\n", in, strerror(errno));
			return 2;
		}
		base = strdup(in);
		if (!base) {
			fprintf(stderr, "mtpcap: out of memory\n");
			return 1;
		}
		char *slash = strrchr(base, '/');
		if (slash)
			*slash = 0;
		else
			strcpy(base, ".");
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			char *p = realloc(text, cap);
			if (!p) {
				fprintf(stderr, "mtpcap: out of memory\n");
				return 1;
			}
			text = p;
		}
		size_t r = fread(text + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "mtpcap: reading %s failed\n", in);
		return 1;
	}
	if (f != stdin)
		fclose(f);

	rc = pcapw_txn_run(text, len, base, out, err, sizeof(err), NULL);
	free(text);
	free(base);
	if (rc) {
		fprintf(stderr, "mtpcap: %s%s%s\n", strcmp(in, "-") ? in : "<stdin>",
			strncmp(err, "line ", 5) == 0 ? ":" : ": ",
			strncmp(err, "line ", 5) == 0 ? err + 5 : err);
		return rc == -EINVAL ? 2 : 1;
	}
	return 0;
}
#endif
