#!/bin/bash
# record-real.sh -- re-record the real-software SMTP captures in tests/pcap/real/.
#
# Installs Postfix, Exim (exim4-daemon-light) and OpenSMTPD one after another
# (they conflict as Debian mail-transport-agents), configures each for
# loopback-only test delivery (test.example: bob, carol, dave -> /dev/null;
# anything else in that domain is rejected with 550; no relaying, no outside
# delivery), runs real clients against it (swaks, msmtp, mutt, Python smtplib,
# raw socket clients) while tcpdump records, then stops and purges the server.
# Exim also gets one SMTP AUTH test account (PLAIN and LOGIN, cleartext, port
# 587 only: see configure_exim). Cases are numbered 1-20 in the comments;
# tests/pcap/real/README.md lists them.
#
# Besides the captures the script writes expected-hashes.txt into the case
# folders whose checks compare file digests (cases 14 and 20), and prints on
# stderr one "smuggle-result" line per SMTP smuggling attempt: the captured
# one per server (cases 13, 16, 19) and an uncaptured probe of all six
# non-canonical end-of-data sequences against each server. Each line gives
# the server's replies after the content and how many messages it accepted
# (1 for a strict receiver; 2 when it ended the data at the sequence and ran
# the smuggled envelope as commands).
#
# Safety: every server, client and capture runs inside a private network
# namespace (unshare -n) that has only the loopback interface, so no packet
# (not even a stray DNS query) can leave the machine. Only apt-get runs in the
# normal namespace. A temporary policy-rc.d keeps the packages' maintainer
# scripts from starting the daemons in the normal namespace.
#
# Usage (Debian 12, as root):   tests/tools/record-real.sh [postfix|exim|opensmtpd ...]
#   With no argument all three servers are recorded. OUT=dir overrides the
#   output directory (default: tests/pcap/real next to this script).
#   KEEP_PACKAGES=1 skips the purge at the end (for debugging).
# The test.yaml expectations are NOT regenerated: they were derived from the
# committed captures with tshark (and, for 13-20, from the servers' replies
# and the files sent); after re-recording, diff the tshark listing
# (tshark -r f -d tcp.port==2525,smtp -Y smtp.req -T fields -e smtp.req.command
# -e smtp.req.parameter) against them.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
OUT=${OUT:-$(cd "$HERE/../pcap" && pwd)/real}
export DEBIAN_FRONTEND=noninteractive
# Debian's interpreter (python3 package), not whatever python3 is first on PATH.
PY=/usr/bin/python3
# The one SMTP AUTH account (Exim, cases 17 and 18). Test-only values: the
# captures carry them in base64; mailtap must log neither.
AUTH_USER=mtuser
AUTH_PASS=Tr0ub4dor-mailtap-9931
AUTH_BADPASS=wrong-horse-battery-77

log() { echo "record-real: $*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------
# Shared client material (created once in $WORK, deterministic content)
# ---------------------------------------------------------------------------
make_material() {
    mkdir -p "$WORK/home"
    # ~3 KB text attachment (sent as text/plain by mutt, so its words are on
    # the wire in clear).
    "$PY" - "$WORK/q3-notes.txt" <<'EOF'
import sys
rows = ["Quarterly notes -- warehouse inventory reconciliation",
        "=====================================================", ""]
for i in range(1, 61):
    rows.append("item %03d  shelf %s-%02d  counted %4d  expected %4d" %
                (i, "ABCDEFGH"[i % 8], i % 17, (i * 37) % 1000, (i * 41) % 1000))
rows.append("")
rows.append("end of reconciliation list")
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
EOF
    # ~4 KB binary attachment (base64 on the wire).
    "$PY" - "$WORK/invoice-2291.bin" <<'EOF'
import sys, random
r = random.Random(2291)
open(sys.argv[1], "wb").write(bytes(r.randrange(256) for _ in range(4096)))
EOF
    # Plain RFC 5322 messages for msmtp.
    cat > "$WORK/msg-msmtp-v6.txt" <<'EOF'
From: Alice Example <alice@example.org>
To: Bob <bob@test.example>, Carol <carol@test.example>
Subject: ipv6 loopback delivery check
Date: Mon, 01 Jan 2024 10:00:00 +0000
Message-ID: <msmtp-v6-0001@example.org>

Hello over IPv6 loopback.
This line mentions the codeword tangerine-v6.
EOF
    cat > "$WORK/msg-msmtp-sub.txt" <<'EOF'
From: Erin Example <erin@example.org>
To: Bob <bob@test.example>
Subject: submission port hello from msmtp
Date: Mon, 01 Jan 2024 11:00:00 +0000
Message-ID: <msmtp-sub-0001@example.org>

Sent through the submission port without authentication.
Codeword: periwinkle.
EOF
    printf 'Hi Bob,\n\nthe reconciliation notes are attached.\nCodeword: marmalade.\n\nAlice\n' \
        > "$WORK/mutt-body.txt"
    # 8-bit (UTF-8) body: makes mutt say EHLO and use BODY=8BITMIME.
    printf 'Hallo Bob,\n\nGr\xc3\xbc\xc3\x9fe aus dem Lager, die Inventurliste h\xc3\xa4ngt an.\nCodeword: stachelbeere.\n\nHeidi\n' \
        > "$WORK/mutt-body-8bit.txt"
    : > "$WORK/msmtprc"; chmod 600 "$WORK/msmtprc"

    # Python smtplib client: HELO (not EHLO), two messages on one
    # connection with an explicit RSET between them.
    cat > "$WORK/smtplib_helo_two.py" <<'EOF'
import smtplib, sys
host, port = sys.argv[1], int(sys.argv[2])
m1 = ("From: Alice <alice@example.org>\r\nTo: Bob <bob@test.example>\r\n"
      "Subject: first of two\r\nMessage-ID: <two-1@example.org>\r\n\r\n"
      "First message body. Codeword: aubergine.\r\n")
m2 = ("From: Frank <frank@example.net>\r\nTo: Carol <carol@test.example>, "
      "Dave <dave@test.example>\r\nSubject: second of two\r\n"
      "Message-ID: <two-2@example.net>\r\n\r\nSecond message body. Codeword: zucchini.\r\n")
s = smtplib.SMTP(host, port, local_hostname="pyclient.example.net", timeout=30)
s.helo("pyclient.example.net")
print(s.sendmail("alice@example.org", ["bob@test.example"], m1))
s.rset()
print(s.sendmail("frank@example.net", ["carol@test.example", "dave@test.example"], m2))
s.quit()
EOF
    # Python smtplib client: EHLO, three recipients, one of them unknown
    # (rejected with 550; smtplib still sends DATA for the other two).
    cat > "$WORK/smtplib_ehlo_multi.py" <<'EOF'
import smtplib, sys
host, port = sys.argv[1], int(sys.argv[2])
m = ("From: Grace <grace@example.com>\r\nTo: Bob <bob@test.example>, "
     "Carol <carol@test.example>, Nobody <nosuchuser@test.example>\r\n"
     "Subject: quarterly figures\r\nMessage-ID: <multi-1@example.com>\r\n\r\n"
     "Figures attached in the next mail. Codeword: pomegranate.\r\n")
s = smtplib.SMTP(host, port, local_hostname="pyclient.example.com", timeout=30)
s.ehlo("pyclient.example.com")
print(s.sendmail("grace@example.com",
                 ["bob@test.example", "carol@test.example", "nosuchuser@test.example"], m))
s.quit()
EOF
    # Raw socket client: lower-case verbs, HELO, null sender, RSET between
    # two complete transactions. Waits for each reply (no pipelining).
    cat > "$WORK/raw_lowercase.py" <<'EOF'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection((host, port), timeout=30)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("connection closed")
        sys.stdout.write("S: " + line.decode("ascii", "replace"))
        if line[3:4] != b"-":
            return int(line[:3])
def cmd(text):
    sys.stdout.write("C: " + text + "\n")
    s.sendall(text.encode("ascii") + b"\r\n")
    return reply()
reply()
cmd("helo raw.example.net")
cmd("mail from:<>")
cmd("rcpt to:<bob@test.example>")
if cmd("data") == 354:
    s.sendall(b"From: Mail Delivery System <mailer-daemon@example.net>\r\n"
              b"To: bob@test.example\r\nSubject: delivery status notification\r\n\r\n"
              b"This is a bounce-like message with a null sender.\r\n"
              b"Codeword: gooseberry.\r\n.\r\n")
    reply()
cmd("rset")
cmd("mail from:<carol@example.org>")
cmd("rcpt to:<bob@test.example>")
cmd("rcpt to:<dave@test.example>")
if cmd("data") == 354:
    s.sendall(b"From: carol@example.org\r\nTo: bob@test.example, dave@test.example\r\n"
              b"Subject: lower case commands\r\n\r\nSecond transaction. Codeword: quince.\r\n.\r\n")
    reply()
cmd("quit")
EOF

    # --- material for cases 13-20 -------------------------------------------
    # 2 MiB of pseudo-random bytes from a fixed seed (case 14): base64 on the
    # wire; its digests are known in advance and written to the case folder.
    "$PY" - "$WORK/backup-2mib.bin" <<'EOF'
import sys, random
open(sys.argv[1], "wb").write(random.Random(14).randbytes(2 * 1024 * 1024))
EOF
    # Text attachment and body full of lines that start with "." (case 20):
    # the client must dot-stuff them (RFC 5321 4.5.2), a sensor must
    # unstuff them, or the digests differ.
    "$PY" - "$WORK/dots-manifest.txt" <<'EOF'
import sys
rows = ["Dot-stuffing manifest (RFC 5321 section 4.5.2)", ".", "..", "...",
        ".hidden line starting with one dot", "..line starting with two dots",
        "...three dots", ". a dot and a space", " .a space, then a dot", ""]
for i in range(1, 121):
    rows.append([".", "..", ".%03d one dot" % i, "..%03d two dots" % i,
                 "line %03d without a dot" % i, "...%03d" % i][i % 6])
rows += ["..", "end of manifest"]
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
EOF
    printf 'Hi Carol,\n.\n..the manifest is attached\n.signature below\n...\n\nMallory\n' \
        > "$WORK/mutt-body-dots.txt"

    # Raw socket client for SMTP smuggling (cases 13, 16, 19): one message
    # whose content holds a non-canonical end-of-data sequence followed by a
    # second envelope. It prints every reply; a receiver that takes the
    # sequence for the end of the data answers 250 to the first message and
    # then 250, 250, 354, 250 to the smuggled envelope and message. The last
    # line says how many messages the server accepted.
    cat > "$WORK/raw_smuggle.py" <<'EOF'
import socket, sys
SEQS = {"lf_dot_lf": b"\n.\n", "lf_dot_crlf": b"\n.\r\n", "crlf_dot_lf": b"\r\n.\n",
        "cr_dot_cr": b"\r.\r", "crlf_dot_cr": b"\r\n.\r", "cr_dot_crlf": b"\r.\r\n"}
host, port, seq, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
quiet = len(sys.argv) > 5
out = sys.stderr if quiet else sys.stdout
s = socket.create_connection((host, port), timeout=30)
buf = b""
def readline():  # not makefile(): it is unusable after a timeout
    global buf
    while b"\n" not in buf:
        more = s.recv(4096)
        if not more:
            return b""
        buf += more
    line, buf = buf.split(b"\n", 1)
    return line + b"\n"
codes = []
def reply():
    while True:
        line = readline()
        if not line:
            return None
        if not quiet:
            out.write("S: " + line.decode("ascii", "replace"))
        if line[3:4] != b"-":
            codes.append(int(line[:3]))
            return codes[-1]
def cmd(text):
    if not quiet:
        out.write("C: " + text + "\n")
    s.sendall(text.encode("ascii") + b"\r\n")
    return reply()
reply()
cmd("EHLO smuggler.example.net")
cmd("MAIL FROM:<mallory@example.net>")
cmd("RCPT TO:<bob@test.example>")
if cmd("DATA") != 354:
    raise SystemExit("DATA refused")
start = len(codes)
body = (b"From: Mallory <mallory@example.net>\r\nTo: Bob <bob@test.example>\r\n"
        b"Subject: smuggling probe " + tag.encode() + b"\r\n"
        b"Message-ID: <smuggle-" + tag.encode() + b"@example.net>\r\n\r\n"
        b"Visible message. Codeword: " + tag.encode() + b"-visible." + SEQS[seq] +
        b"MAIL FROM:<admin@test.example>\r\nRCPT TO:<carol@test.example>\r\nDATA\r\n"
        b"From: Admin <admin@test.example>\r\nTo: Carol <carol@test.example>\r\n"
        b"Subject: smuggled message " + tag.encode() + b"\r\n\r\n"
        b"Smuggled body. Codeword: " + tag.encode() + b"-smuggled.\r\n.\r\n")
if not quiet:
    out.write("C: <message, %d octets, %s sequence inside>\n" % (len(body), seq))
s.sendall(body)
# Every reply the server sends to that (a receiver fooled by the sequence
# sends five); stop after 3 s of silence.
s.settimeout(3)
try:
    while reply() is not None:
        pass
except OSError:  # the timeout, or a server that reset the connection
    pass
s.settimeout(30)
after = codes[start:]
try:
    cmd("QUIT")
except OSError:  # a server that refused the session may have closed it
    pass
s.close()
# A message is accepted when a 250 follows a 354 (the 354 to our DATA first).
accepted, prev = 0, 354
for c in after:
    if prev == 354 and c == 250:
        accepted += 1
    prev = c
sys.stderr.write("smuggle-result %s port %d %-11s replies after content %s: %d message(s) accepted\n"
                 % (tag, port, seq, after, accepted))
EOF

    # Raw socket client pipelining (RFC 2920) several transactions on one
    # connection (case 15): each group is one write, the message end and the
    # next group share a write too. Transactions: 1 bob ok + nosuchuser 550;
    # 2 both recipients 550, DATA refused (554); 3 aborted by RSET after
    # its recipient; 4 two recipients, accepted.
    cat > "$WORK/raw_pipeline.py" <<'EOF'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection((host, port), timeout=30)
f = s.makefile("rb")
def reply():
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("connection closed")
        sys.stdout.write("S: " + line.decode("ascii", "replace"))
        if line[3:4] != b"-":
            return int(line[:3])
def group(pre, *cmds):
    """One write: pre (message content) and the commands; then read a reply
    for the end of the message (if any) and for each command."""
    data = pre + b"".join(c.encode("ascii") + b"\r\n" for c in cmds)
    sys.stdout.write("C: [%d octets] %s\n" % (len(data), " | ".join(cmds)))
    s.sendall(data)
    return [reply() for _ in range((1 if pre else 0) + len(cmds))]
def msg(n, frm, to, subj):
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <pipe-%d@example.org>\r\n\r\n"
            "Pipelined message %d. Codeword: pipeline-%d.\r\n.\r\n"
            % (frm, to, subj, n, n, n)).encode("ascii")
reply()
group(b"", "EHLO pipe-client.example.org")
r = group(b"", "MAIL FROM:<ann@example.org>", "RCPT TO:<bob@test.example>",
          "RCPT TO:<nosuchuser@test.example>", "DATA")
assert r[-1] == 354, r
r = group(msg(1, "ann@example.org", "bob@test.example", "pipelined one"),
          "RSET", "MAIL FROM:<ben@example.org>", "RCPT TO:<nobody1@test.example>",
          "RCPT TO:<nobody2@test.example>", "DATA")
assert r[-1] != 354, r
r = group(b"", "RSET", "MAIL FROM:<cat@example.org>", "RCPT TO:<carol@test.example>",
          "RSET", "MAIL FROM:<dan@example.org>", "RCPT TO:<dave@test.example>",
          "RCPT TO:<bob@test.example>", "DATA")
assert r[-1] == 354, r
group(msg(4, "dan@example.org", "dave@test.example, bob@test.example", "pipelined four"),
      "QUIT")
EOF
}

write_muttrc() {  # file url helo from
    cat > "$1" <<EOF
set smtp_url="$2"
set ssl_starttls=no
set ssl_force_tls=no
set hostname="$3"
set from="$4"
set use_from=yes
set use_envelope_from=yes
set record=""
set copy=no
set sendmail_wait=0
set charset="utf-8"
set send_charset="us-ascii:utf-8"
set folder="$WORK/home/Mail"
set spoolfile="$WORK/home/Mail/inbox"
set tmpdir="$WORK"
set mime_type_query_command=""
EOF
}

# ---------------------------------------------------------------------------
# Capture helpers (used inside the private namespace)
# ---------------------------------------------------------------------------
CAP_PID=
CAP_NAME=
cap_start() {  # case-name interface bpf-filter
    CAP_NAME=$1
    rm -f "$WORK/$1.pcap" "$WORK/$1.err"
    # -B: a 64 MiB kernel buffer, so a fast client on lo (case 14 sends
    # 2.8 MB in 64 KiB segments) does not outrun tcpdump's writes.
    tcpdump -Z root -i "$2" -s 0 -B 65536 -U -w "$WORK/$1.pcap" "$3" 2>"$WORK/$1.err" &
    CAP_PID=$!
    local i
    for i in $(seq 100); do
        grep -q 'listening on' "$WORK/$1.err" && break
        sleep 0.1
    done
    grep -q 'listening on' "$WORK/$1.err" || die "tcpdump did not start for $1"
    sleep 0.3
}
cap_stop() {  # [pcapng|gzip]
    sleep 1
    kill -INT "$CAP_PID"
    wait "$CAP_PID" || true
    cat "$WORK/$CAP_NAME.err" >&2
    # A capture with a hole would test the gap handling, not the case.
    if grep -Eq '^[1-9][0-9]* packets dropped' "$WORK/$CAP_NAME.err"; then
        die "tcpdump dropped packets for $CAP_NAME"
    fi
    mkdir -p "$OUT/$CAP_NAME"
    rm -f "$OUT/$CAP_NAME/input.pcap" "$OUT/$CAP_NAME/input.pcapng" "$OUT/$CAP_NAME/input.pcap.gz"
    if [ "${1:-}" = pcapng ]; then
        editcap -F pcapng "$WORK/$CAP_NAME.pcap" "$OUT/$CAP_NAME/input.pcapng"
    elif [ "${1:-}" = gzip ]; then
        # Captures over 1 MB are stored compressed (run_case.py reads .gz).
        gzip -9 -n -c "$WORK/$CAP_NAME.pcap" > "$OUT/$CAP_NAME/input.pcap.gz"
    else
        cp "$WORK/$CAP_NAME.pcap" "$OUT/$CAP_NAME/input.pcap"
    fi
    log "recorded $CAP_NAME"
}
write_hashes() {  # case label file [crlf] -- size and digests of what was sent
    # With "crlf" the digests are of the file with CRLF line ends: a text
    # part's canonical form (RFC 2046 4.1.1), which is what a sensor hashes.
    "$PY" - "$@" >> "$OUT/$1/expected-hashes.txt" <<'EOF'
import hashlib, os, sys
case, label, path = sys.argv[1:4]
data = open(path, "rb").read()
if len(sys.argv) > 4:
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
print("%s: %s%s size %d md5 %s sha1 %s sha256 %s" % (
    label, os.path.basename(path), " (CRLF line ends)" if len(sys.argv) > 4 else "",
    len(data), hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(),
    hashlib.sha256(data).hexdigest()))
EOF
}
smuggle_probe() {  # port tag -- not captured: every sequence, one connection each
    local q
    for q in lf_dot_lf lf_dot_crlf crlf_dot_lf cr_dot_cr crlf_dot_cr cr_dot_crlf; do
        "$PY" "$WORK/raw_smuggle.py" 127.0.0.1 "$1" "$q" "$2-probe-$q" quiet ||
            log "smuggling probe $q failed"
    done
}
wait_listen() {  # port...  (polls the socket table: sends no packet)
    local p i
    for p in "$@"; do
        for i in $(seq 100); do
            ss -Hltn "sport = :$p" | grep -q . && break
            sleep 0.1
        done
        ss -Hltn "sport = :$p" | grep -q . || die "nothing listens on port $p"
    done
}

# ---------------------------------------------------------------------------
# Postfix
# ---------------------------------------------------------------------------
install_postfix() {
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get install -y --no-install-recommends postfix
}
configure_postfix() {
    cat > /etc/postfix/main.cf <<'EOF'
# mailtap test recording: loopback only, local delivery only.
compatibility_level = 3.6
myhostname = mx.test.example
mydomain = test.example
myorigin = $mydomain
mydestination = test.example, localhost
inet_interfaces = loopback-only
inet_protocols = all
mynetworks = 127.0.0.0/8 [::1]/128
relayhost =
disable_dns_lookups = yes
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
default_transport = error:outside delivery disabled for test recording
relay_transport = error:outside delivery disabled for test recording
alias_maps = hash:/etc/postfix/mailtap-aliases
alias_database = hash:/etc/postfix/mailtap-aliases
smtpd_banner = $myhostname ESMTP
smtpd_discard_ehlo_keywords = chunking
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_tls_security_level = may
smtpd_tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
smtpd_tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
smtp_tls_security_level = none
biff = no
append_dot_mydomain = no
readme_directory = no
maillog_file = /var/log/mailtap-rec-postfix.log
EOF
    postconf -F '*/*/chroot = n'
    postconf -M submission/inet='submission inet n - n - - smtpd'
    postconf -P 'submission/inet/smtpd_tls_security_level=none'
    postconf -M 2525/inet='2525 inet n - n - - smtpd'
    postconf -P '2525/inet/smtpd_tls_security_level=none'
    printf 'postmaster: root\nroot: /dev/null\nbob: /dev/null\ncarol: /dev/null\ndave: /dev/null\n' \
        > /etc/postfix/mailtap-aliases
    postalias /etc/postfix/mailtap-aliases
    postfix check
}
record_postfix() {
    postfix start
    wait_listen 25 587 2525

    # 1. swaks, EHLO, three recipients (the third rejected with 550), port 25.
    cap_start postfix-swaks-ehlo-multircpt lo 'tcp port 25'
    swaks --server 127.0.0.1 --port 25 --ehlo client.example.org \
        --from alice@example.org \
        --to bob@test.example,carol@test.example,nosuchuser@test.example \
        --header 'Subject: weekly report' \
        --header 'Date: Mon, 01 Jan 2024 09:00:00 +0000' \
        --header 'Message-Id: <swaks-multi-0001@example.org>' \
        --body 'Weekly report body. Codeword: blueberry.' || true
    cap_stop

    # 2. Python smtplib: HELO, two messages on one connection, RSET, port 587.
    cap_start postfix-smtplib-helo-two-messages lo 'tcp port 587'
    "$PY" "$WORK/smtplib_helo_two.py" 127.0.0.1 587
    cap_stop

    # 3. msmtp over IPv6 loopback, port 2525, two recipients.
    cap_start postfix-msmtp-ipv6-2525 lo 'tcp port 2525'
    msmtp -C "$WORK/msmtprc" --host=::1 --port=2525 --tls=off --auth=off \
        --domain=v6client.example.org --from=alice@example.org \
        -- bob@test.example carol@test.example < "$WORK/msg-msmtp-v6.txt"
    cap_stop

    # 4. mutt batch mode with a ~3 KB text attachment, port 587.
    write_muttrc "$WORK/muttrc-postfix" "smtp://127.0.0.1:587/" mutt-client.example.org \
        "Alice Example <alice@example.org>"
    cap_start postfix-mutt-attachment-587 lo 'tcp port 587'
    HOME="$WORK/home" mutt -n -F "$WORK/muttrc-postfix" -s "reconciliation notes" \
        -a "$WORK/q3-notes.txt" -- bob@test.example < "$WORK/mutt-body.txt"
    cap_stop

    # 5. swaks with STARTTLS (snakeoil certificate), port 25: only the part
    # before the TLS handshake is cleartext.
    cap_start postfix-swaks-starttls lo 'tcp port 25'
    swaks --server 127.0.0.1 --port 25 --ehlo tls-client.example.org --tls \
        --from alice@example.org --to bob@test.example \
        --header 'Subject: encrypted hello' --body 'Secret body. Codeword: hidden-kiwi.'
    cap_stop

    # 13. SMTP smuggling attempt, raw socket client, port 2525: the content
    # holds <LF>.<CRLF> and a second envelope (MAIL, RCPT, DATA, message).
    # Postfix is left at its defaults (smtpd_forbid_bare_newline, logged
    # below): whether it took the sequence for the end of the data is in
    # its replies (the client's last line on stderr says how many messages
    # it accepted). Then the six sequences are tried uncaptured, for the
    # README.
    postconf smtpd_forbid_bare_newline smtpd_forbid_bare_newline_exclusions \
        smtpd_forbid_unauth_pipelining >&2 || true
    cap_start postfix-raw-smuggling-lf-dot-crlf lo 'tcp port 2525'
    "$PY" "$WORK/raw_smuggle.py" 127.0.0.1 2525 lf_dot_crlf postfix
    cap_stop
    smuggle_probe 2525 postfix

    # 14. swaks with a 2 MiB binary attachment (random bytes, fixed seed:
    # base64 on the wire), port 2525; the capture is stored gzipped.
    cap_start postfix-swaks-large-attachment lo 'tcp port 2525'
    swaks --server 127.0.0.1 --port 2525 --ehlo bulk-client.example.org \
        --from alice@example.org --to bob@test.example \
        --header 'Subject: nightly backup image' \
        --header 'Date: Mon, 01 Jan 2024 15:00:00 +0000' \
        --header 'Message-Id: <swaks-large-0001@example.org>' \
        --body 'The nightly backup image is attached. Codeword: persimmon.' \
        --suppress-data --attach-type application/octet-stream --attach @"$WORK/backup-2mib.bin"
    cap_stop gzip
    rm -f "$OUT/postfix-swaks-large-attachment/expected-hashes.txt"
    write_hashes postfix-swaks-large-attachment attachment "$WORK/backup-2mib.bin"

    # 15. raw socket client pipelining four transactions (RSET, rejected
    # recipients, DATA refused, a transaction aborted by RSET) on one
    # connection, port 2525.
    cap_start postfix-raw-pipelined-transactions lo 'tcp port 2525'
    "$PY" "$WORK/raw_pipeline.py" 127.0.0.1 2525
    cap_stop
}
stop_postfix() {
    postfix stop || true
    sleep 1
}
purge_postfix() {
    apt-get purge -y postfix
    rm -rf /etc/postfix /var/spool/postfix /var/lib/postfix /var/log/mailtap-rec-postfix.log
}

# ---------------------------------------------------------------------------
# Exim (Debian split configuration, "local delivery only" type)
# ---------------------------------------------------------------------------
install_exim() {
    apt-get install -y --no-install-recommends exim4-daemon-light
}
configure_exim() {
    cat > /etc/exim4/update-exim4.conf.conf <<'EOF'
# mailtap test recording: local delivery only, loopback only, no DNS.
dc_eximconfig_configtype='local'
dc_other_hostnames='test.example : chunk.test'
dc_local_interfaces='127.0.0.1 ; ::1'
dc_readhost=''
dc_relay_domains=''
dc_minimaldns='true'
dc_relay_nets=''
dc_smarthost=''
CFILEMODE='644'
dc_use_split_config='true'
dc_hide_mailname=''
dc_mailname_in_oh='true'
dc_localdelivery='mail_spool'
EOF
    cat > /etc/exim4/conf.d/main/00_mailtap_macros <<'EOF'
MAIN_HARDCODE_PRIMARY_HOSTNAME = mx.test.example
MAIN_HOST_LOOKUP =
# Do not treat loopback as a relay/submission client: RCPT verification
# then rejects unknown local users with 550 (the Debian default list
# is ": 127.0.0.1 : ::::1").
MAIN_RELAY_NETS = :
EOF
    # CHUNKING (BDAT) is advertised only on port 2525, where the exim->exim
    # BDAT capture happens; the client-facing captures on 25/587 see no BDAT.
    cat > /etc/exim4/conf.d/main/04_mailtap_options <<'EOF'
daemon_smtp_ports = 25 : 587 : 2525
chunking_advertise_hosts = ${if ={$received_port}{2525}{*}{}}
rfc1413_hosts =
dsn_advertise_hosts = *
EOF
    # bob, carol, dave @test.example (or @chunk.test) are accepted and
    # discarded; any other local part is unrouteable -> 550 at RCPT time.
    cat > /etc/exim4/conf.d/router/350_mailtap_blackhole <<'EOF'
mailtap_blackhole:
  driver = redirect
  domains = +local_domains
  local_parts = bob : carol : dave
  data = :blackhole:
EOF
    # Mail for chunk.test received on port 25 is passed on by Exim's own SMTP
    # client to 127.0.0.1:2525 (itself), where it is discarded: a natural
    # BDAT user.
    cat > /etc/exim4/conf.d/router/050_mailtap_chunk_relay <<'EOF'
mailtap_chunk_relay:
  driver = manualroute
  domains = chunk.test
  condition = ${if !={$received_port}{2525}}
  route_list = * 127.0.0.1
  self = send
  transport = mailtap_smtp_2525
  no_more
EOF
    cat > /etc/exim4/conf.d/transport/30_mailtap_smtp_2525 <<'EOF'
mailtap_smtp_2525:
  driver = smtp
  port = 2525
  hosts_avoid_tls = *
  helo_data = relay.test.example
EOF
    # SMTP AUTH PLAIN and LOGIN (RFC 4954) with one fixed test account,
    # checked by Exim's plaintext authenticator, advertised on port 587 only
    # and over cleartext on purpose (cases 17, 18; loopback only). Debian's
    # own examples (30_exim4-config_examples) stay commented out.
    cat > /etc/exim4/conf.d/auth/10_mailtap_plaintext <<EOF
mailtap_plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and {{eq{\$auth2}{$AUTH_USER}}{eq{\$auth3}{$AUTH_PASS}}}}
  server_set_id = \$auth2
  server_advertise_condition = \${if ={\$received_port}{587}}

mailtap_login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = \${if and {{eq{\$auth1}{$AUTH_USER}}{eq{\$auth2}{$AUTH_PASS}}}}
  server_set_id = \$auth1
  server_advertise_condition = \${if ={\$received_port}{587}}
EOF
    update-exim4.conf
    exim4 -bV >/dev/null
}
EXIM_PID=/run/exim4/mailtap-rec.pid
record_exim() {
    mkdir -p /run/exim4
    exim4 -bd -q30m -oP "$EXIM_PID"
    wait_listen 25 587 2525

    # 6. swaks with PIPELINING and a ~4 KB binary attachment, three
    # recipients (one rejected with 550), port 25.
    cap_start exim-swaks-pipelining-attachment lo 'tcp port 25'
    swaks --server 127.0.0.1 --port 25 --ehlo swaks-pipe.example.org --pipeline \
        --from alice@example.org \
        --to bob@test.example,nosuchuser@test.example,carol@test.example \
        --header 'Subject: invoice 2291 attached' \
        --header 'Date: Mon, 01 Jan 2024 12:00:00 +0000' \
        --header 'Message-Id: <swaks-pipe-0001@example.org>' \
        --body 'Please find the invoice attached. Codeword: cranberry.' \
        --attach @"$WORK/invoice-2291.bin" || true
    cap_stop

    # 7. mutt batch mode on the submission port with an 8-bit body (which
    # makes mutt say EHLO instead of HELO) and DSN options (mutt then puts
    # NOTIFY= on RCPT and RET= on MAIL, as Exim is told to advertise DSN).
    write_muttrc "$WORK/muttrc-exim" "smtp://127.0.0.1:587/" mutt-dsn.example.org \
        "Heidi Example <heidi@example.org>"
    printf 'set dsn_notify="failure,delay"\nset dsn_return="hdrs"\n' >> "$WORK/muttrc-exim"
    cap_start exim-mutt-8bit-dsn-587 lo 'tcp port 587'
    HOME="$WORK/home" mutt -n -F "$WORK/muttrc-exim" -s "inventory notes with dsn" \
        -a "$WORK/q3-notes.txt" -- bob@test.example dave@test.example < "$WORK/mutt-body-8bit.txt"
    cap_stop

    # 8. raw socket client: lower-case commands, HELO, null sender, RSET
    # between two transactions, port 2525.
    cap_start exim-raw-lowercase-nullsender-2525 lo 'tcp port 2525'
    "$PY" "$WORK/raw_lowercase.py" 127.0.0.1 2525
    cap_stop

    # 9. Exim's own SMTP client relaying to Exim on 127.0.0.1:2525, which
    # advertises CHUNKING there: the message goes as BDAT. Only the 2525 hop
    # is captured.
    cap_start exim-exim-bdat-2525 lo 'tcp port 2525'
    swaks --server 127.0.0.1 --port 25 --ehlo submit.example.org \
        --from alice@example.org --to bob@chunk.test,carol@chunk.test \
        --header 'Subject: relayed with bdat' \
        --header 'Date: Mon, 01 Jan 2024 13:00:00 +0000' \
        --header 'Message-Id: <swaks-bdat-0001@example.org>' \
        --body 'Relayed by exim to itself. Codeword: elderberry.'
    local i
    for i in $(seq 100); do
        grep -q 'swaks-bdat-0001' /var/log/exim4/mainlog 2>/dev/null &&
            [ "$(exim4 -bpc)" = 0 ] && break
        sleep 0.1
    done
    cap_stop

    # 16. SMTP smuggling attempt, raw socket client, port 25: <CR>.<CR>
    # and a second envelope inside the content (see case 13); then the six
    # sequences uncaptured.
    cap_start exim-raw-smuggling-cr-dot-cr lo 'tcp port 25'
    "$PY" "$WORK/raw_smuggle.py" 127.0.0.1 25 cr_dot_cr exim
    cap_stop
    smuggle_probe 25 exim

    # 17. swaks AUTH PLAIN with the right password on the submission port
    # (cleartext), then a message.
    cap_start exim-swaks-auth-plain-587 lo 'tcp port 587'
    swaks --server 127.0.0.1 --port 587 --ehlo auth-client.example.org \
        --auth PLAIN --auth-user "$AUTH_USER" --auth-password "$AUTH_PASS" \
        --from alice@example.org --to bob@test.example \
        --header 'Subject: authenticated hello' \
        --header 'Date: Mon, 01 Jan 2024 16:00:00 +0000' \
        --header 'Message-Id: <swaks-auth-0001@example.org>' \
        --body 'Sent after AUTH PLAIN. Codeword: tamarind.'
    cap_stop

    # 18. swaks AUTH LOGIN with a wrong password on the submission port:
    # 535, and swaks gives up (no MAIL).
    cap_start exim-swaks-auth-login-fail-587 lo 'tcp port 587'
    swaks --server 127.0.0.1 --port 587 --ehlo auth-client.example.org \
        --auth LOGIN --auth-user "$AUTH_USER" --auth-password "$AUTH_BADPASS" \
        --from alice@example.org --to bob@test.example \
        --body 'Never sent. Codeword: rambutan.' || true
    cap_stop
}
stop_exim() {
    [ -f "$EXIM_PID" ] && kill "$(cat "$EXIM_PID")" 2>/dev/null || true
    sleep 1
}
purge_exim() {
    apt-get purge -y exim4-daemon-light exim4-base exim4-config
    rm -rf /etc/exim4 /var/spool/exim4 /var/log/exim4 /var/lib/exim4
}

# ---------------------------------------------------------------------------
# OpenSMTPD
# ---------------------------------------------------------------------------
install_opensmtpd() {
    apt-get install -y --no-install-recommends opensmtpd
}
configure_opensmtpd() {
    # bob, carol, dave @test.example are delivered (as "nobody") to
    # /dev/null; any other recipient matches no rule -> 550 Invalid recipient.
    # No relay rule at all, no TLS (no pki), no CHUNKING in this version.
    printf 'bob@test.example nobody\ncarol@test.example nobody\ndave@test.example nobody\n' \
        > /etc/smtpd-mailtap-virtual
    cat > /etc/smtpd.conf <<'EOF'
# mailtap test recording: loopback only, local discard only.
table mtvirt file:/etc/smtpd-mailtap-virtual
table mtrcpts { "bob@test.example", "carol@test.example", "dave@test.example" }
listen on 127.0.0.1 port 25 hostname mx.test.example
listen on ::1 port 25 hostname mx.test.example
listen on 127.0.0.1 port 587 hostname mx.test.example
listen on 127.0.0.1 port 2525 hostname mx.test.example
action "devnull" mda "/bin/cat >/dev/null" virtual <mtvirt>
match from local for domain "test.example" rcpt-to <mtrcpts> action "devnull"
EOF
    smtpd -n -f /etc/smtpd.conf
}
SMTPD_PID=
record_opensmtpd() {
    smtpd -d -f /etc/smtpd.conf > "$WORK/smtpd.log" 2>&1 &
    SMTPD_PID=$!
    wait_listen 25 587 2525

    # 10. swaks, null sender MAIL FROM:<>, ~3 KB attachment, port 25,
    # captured on the "any" pseudo-interface (LINUX_SLL2 link type).
    cap_start opensmtpd-swaks-nullsender-any any 'tcp port 25'
    swaks --server 127.0.0.1 --port 25 --ehlo bounce.example.net -f '<>' \
        --to bob@test.example \
        --header 'Subject: Undelivered Mail Returned to Sender' \
        --header 'Date: Mon, 01 Jan 2024 14:00:00 +0000' \
        --header 'Message-Id: <swaks-null-0001@example.net>' \
        --body 'Your message could not be delivered. Codeword: mulberry.' \
        --attach-type text/plain --attach @"$WORK/q3-notes.txt"
    cap_stop

    # 11. Python smtplib: EHLO, three recipients (one rejected with 550),
    # port 2525; stored as pcapng.
    cap_start opensmtpd-smtplib-ehlo-multircpt-pcapng lo 'tcp port 2525'
    "$PY" "$WORK/smtplib_ehlo_multi.py" 127.0.0.1 2525
    cap_stop pcapng

    # 12. msmtp on the submission port (no auth, no TLS; OpenSMTPD does not
    # advertise PIPELINING, so msmtp waits for each reply).
    cap_start opensmtpd-msmtp-submission-587 lo 'tcp port 587'
    msmtp -C "$WORK/msmtprc" --host=127.0.0.1 --port=587 --tls=off --auth=off \
        --domain=msmtp-client.example.org --from=erin@example.org \
        -- bob@test.example < "$WORK/msg-msmtp-sub.txt"
    cap_stop

    # 19. SMTP smuggling attempt, raw socket client, port 2525: <LF>.<LF>
    # and a second envelope inside the content (see case 13); then the six
    # sequences uncaptured.
    cap_start opensmtpd-raw-smuggling-lf-dot-lf lo 'tcp port 2525'
    "$PY" "$WORK/raw_smuggle.py" 127.0.0.1 2525 lf_dot_lf opensmtpd
    cap_stop
    smuggle_probe 2525 opensmtpd

    # 20. mutt batch mode, port 25: a body and a text/plain attachment (sent
    # 7bit, in clear) full of lines starting with "." and "..", which mutt
    # dot-stuffs; their digests in canonical CRLF form go to the case folder.
    write_muttrc "$WORK/muttrc-opensmtpd" "smtp://127.0.0.1:25/" mutt-dots.example.org \
        "Mallory Example <mallory@example.org>"
    cap_start opensmtpd-mutt-dot-stuffing lo 'tcp port 25'
    HOME="$WORK/home" mutt -n -F "$WORK/muttrc-opensmtpd" -s "dot manifest" \
        -a "$WORK/dots-manifest.txt" -- carol@test.example < "$WORK/mutt-body-dots.txt"
    cap_stop
    rm -f "$OUT/opensmtpd-mutt-dot-stuffing/expected-hashes.txt"
    write_hashes opensmtpd-mutt-dot-stuffing attachment "$WORK/dots-manifest.txt" crlf
    write_hashes opensmtpd-mutt-dot-stuffing body "$WORK/mutt-body-dots.txt" crlf
}
stop_opensmtpd() {
    [ -z "$SMTPD_PID" ] || kill "$SMTPD_PID" 2>/dev/null || true
    sleep 1
    [ ! -f "$WORK/smtpd.log" ] || cat "$WORK/smtpd.log" >&2
}
purge_opensmtpd() {
    apt-get purge -y opensmtpd
    rm -f /etc/smtpd.conf /etc/smtpd-mailtap-virtual
    rm -rf /var/spool/smtpd
}

# ---------------------------------------------------------------------------
# main / inner
# ---------------------------------------------------------------------------
inner() {  # runs inside unshare -n
    ip link set lo up
    ip -br addr >&2
    trap "stop_$1" EXIT
    "record_$1"
}

if [ "${1:-}" = --inner ]; then
    [ -n "${WORK:-}" ] || die "--inner needs WORK"
    inner "$2"
    exit 0
fi

[ "$(id -u)" = 0 ] || die "run as root"
SERVERS=("$@")
[ ${#SERVERS[@]} -gt 0 ] || SERVERS=(postfix exim opensmtpd)

WORK=$(mktemp -d /tmp/mailtap-rec.XXXXXX)
export WORK OUT
POLICY_ADDED=
cleanup() {
    [ -z "$POLICY_ADDED" ] || rm -f /usr/sbin/policy-rc.d
    rm -rf "$WORK"
}
trap cleanup EXIT
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# temporary, from mailtap record-real.sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    POLICY_ADDED=1
fi

apt-get update
apt-get install -y --no-install-recommends tcpdump tshark wireshark-common python3 \
    swaks libnet-ssleay-perl msmtp mutt ssl-cert iproute2 util-linux
[ -e /etc/ssl/certs/ssl-cert-snakeoil.pem ] || make-ssl-cert generate-default-snakeoil
mkdir -p "$OUT"
make_material

for s in "${SERVERS[@]}"; do
    log "=== $s ==="
    "install_$s"
    "configure_$s"
    unshare -n -- "$SELF" --inner "$s"
    [ -n "${KEEP_PACKAGES:-}" ] || "purge_$s"
done

# What the clients sent, per capture: compare with each test.yaml.
for d in "$OUT"/*/; do
    f=$(ls "$d"input.pcap* 2>/dev/null | head -1)
    [ -n "$f" ] || continue
    echo "== $(basename "$d") ($(stat -c %s "$f") bytes)"
    tshark -r "$f" -d tcp.port==2525,smtp -Y smtp.req -T fields \
        -e smtp.req.command -e smtp.req.parameter 2>/dev/null || true
done
log "done; captures in $OUT"
