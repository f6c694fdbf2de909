#!/usr/bin/python3
"""xgen.py: an independent SMTP traffic generator for cross-checking mailtap
against Suricata (stdlib only).

  xgen.py --seed N --size-mb M -o CAP.pcap --markers-out MARKERS.tsv
          [--markers K] [--concurrency C] [--sessions-only IDS]

Messages are built with Python's email package (EmailMessage, add_attachment,
nested multipart/mixed + alternative, message/rfc822), with hand-written
header variants (RFC 2231, RFC 2047, odd case, folding) and hand-made
transfer encodings (base64 of several line lengths, QP with soft breaks
inside markers, 7bit, 8bit).  Sessions are interleaved (C at once) as
Ethernet/IPv4 or IPv6 TCP with handshake, FIN, random segment sizes,
markers cut across segments, out-of-order segments and retransmissions.

The sidecar TSV (one marker per line):
  marker  kind  client(ip:port)  sid  form  server_port  session  how
kind: raw | raw_starttls | file.data | file.name
form: content | nocase | pcre | content_pcre
"""
import argparse
import array
import base64
import email.policy
import random
import struct
import sys
from email.message import EmailMessage
from email.policy import EmailPolicy


# --------------------------------------------------------------------------
# email policy that keeps header values verbatim (our own folding/encoding)

class RawPolicy(EmailPolicy):
    def header_store_parse(self, name, value):
        return (name, value)


POL = RawPolicy(linesep="\r\n", refold_source="none", max_line_length=78,
                utf8=False, cte_type="8bit")

WORDS = ("the quarterly report invoice meeting schedule please find attached "
         "regards thanks project update delivery shipment account payment "
         "review draft contract budget summary notes agenda customer order "
         "status request approval team office monday friday weekly monthly "
         "data analysis revision final version confirm details below above "
         "information service support ticket reference number total amount").split()

SESSION_FLAGS_DOC = "ehlo pipe bdat bdatpipe auth starttls tls_refused rset seg ooo retx v6"


def rtext_line(rng, n=None):
    n = n or rng.randint(5, 12)
    return " ".join(rng.choice(WORDS) for _ in range(n))


def filler_text(rng, nbytes):
    out, size = [], 0
    while size < nbytes:
        line = rtext_line(rng)
        if rng.random() < 0.3:
            line = line.capitalize() + "."
        out.append(line)
        size += len(line) + 2
    return out


def randbytes(rng, n):
    return rng.getrandbits(8 * n).to_bytes(n, "little") if n > 0 else b""


def mixcase(rng, s):
    while True:
        t = "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in s)
        if t != t.lower() and t != t.upper():
            return t


# --------------------------------------------------------------------------
# markers

KIND_PLACES = {
    "raw": ["helo", "mail_from", "rcpt", "rset_mail", "subject", "xheader",
            "folded_header", "body_text", "body_html", "dot_line",
            "body_8bit", "bdat_body", "tls_refused_mail", "deep_body",
            "inner_subject", "after_auth_mail", "srv_greeting", "srv_ehlo",
            "srv_queued", "lf_body", "padded_boundary_body", "long_cmd", "long_subject",
            "rejected_msg_body"],
    "raw_starttls": ["garbage_after_starttls", "tlslike_after_starttls", "clienthello_sni"],
    "file.data": ["b64_76", "b64_pkg", "b64_len", "b64_odd", "b64_oneline",
                  "qp_soft", "qp_hex", "7bit", "8bit", "7bit_dotline",
                  "b64_file_start", "b64_file_end", "7bit_file_end",
                  "rfc822_inner", "bdat_b64", "deep_file", "ct_name_only_b64",
                  "nameless_b64", "b64_crlf_in_marker", "toplevel_b64",
                  "first_text_named", "b64_spaces", "b64_cte_case", "lf_b64", "lf_7bit",
                  "padded_boundary_b64", "toplevel_text_named_data", "nested_mixed_b64",
                  "many_parts_data", "deep_nest_data", "long_boundary_data", "many_headers_data"],
    "file.name": ["cd_quoted", "cd_unquoted", "ct_name_only", "rfc2231_pct",
                  "rfc2231_cont", "rfc2231_cont_enc", "rfc2047_b",
                  "rfc2047_q", "pkg_nonascii", "pkg_ascii", "odd_case",
                  "folded_param", "rfc822_inner_name", "bdat_name",
                  "both_name_and_filename", "semicolon_trailing", "toplevel_name",
                  "first_text_inline_name", "name_spaces", "ct_name_unquoted", "lf_name",
                  "toplevel_text_named_name", "long_filename", "nested_mixed_name",
                  "many_parts_name", "deep_nest_name", "long_cd_header", "many_headers_name",
                  "huge_filename"],
}
KIND_WEIGHT = {"raw": 38, "raw_starttls": 4, "file.data": 36, "file.name": 22}
FORMS = ["content", "nocase", "pcre", "content_pcre"]
# places that need a session property
NEEDS = {"bdat_body": "bdat", "bdat_b64": "bdat", "bdat_name": "bdat",
         "garbage_after_starttls": "starttls", "tlslike_after_starttls": "starttls",
         "clienthello_sni": "starttls",
         "tls_refused_mail": "tls_refused", "rset_mail": "rset",
         "deep_body": "big", "deep_file": "big", "after_auth_mail": "auth",
         "lf_body": "lf", "lf_b64": "lf", "lf_7bit": "lf", "lf_name": "lf"}


class Marker:
    def __init__(self, sid, kind, place, form, token, planted):
        self.sid, self.kind, self.place, self.form = sid, kind, place, form
        self.token, self.planted = token, planted
        self.session = None
        self.how = [place]


# --------------------------------------------------------------------------
# MIME building

def b64_lines(data, linelen):
    s = base64.b64encode(data).decode()
    if not linelen:
        return s + "\r\n"
    return "".join(s[i:i + linelen] + "\r\n" for i in range(0, len(s), linelen))


def qp_encode(data, markers=(), soft_in_marker=False, hex_in_marker=False, rng=None):
    """QP-encode bytes; soft line breaks inside marker occurrences."""
    text = data
    out_lines = []
    for raw_line in text.split(b"\r\n"):
        enc = []
        for b in raw_line:
            c = chr(b)
            if (33 <= b <= 126 and c != "=") or (b == 32):
                enc.append(c)
            else:
                enc.append("=%02X" % b)
        # map back to a string then mangle markers
        s = "".join(enc)
        for m in markers:
            i = s.find(m)
            while i >= 0:
                mm = m
                if hex_in_marker:
                    k = rng.randint(1, len(m) - 2)
                    mm = m[:k] + "".join("=%02X" % ord(c) for c in m[k:k + 3]) + m[k + 3:]
                if soft_in_marker:
                    k = rng.randint(1, len(mm) - 1)
                    while mm[k - 1] == "=" or (k >= 2 and mm[k - 2] == "="):
                        k = rng.randint(1, len(mm) - 1)
                    mm = mm[:k] + "=\r\n" + mm[k:]
                s = s[:i] + mm + s[i + len(m):]
                i = s.find(m, i + len(mm))
        # soft breaks every ~70 chars not inside an =XX escape or a marker break
        pieces, cur = [], ""
        j = 0
        while j < len(s):
            if s.startswith("=\r\n", j):
                pieces.append(cur + "=\r\n")
                cur = ""
                j += 3
                continue
            tok = s[j:j + 3] if s[j] == "=" else s[j]
            if len(cur) + len(tok) > 72:
                pieces.append(cur + "=\r\n")
                cur = ""
            cur += tok
            j += len(tok)
        if cur.endswith(" "):
            cur = cur[:-1] + "=20"
        pieces.append(cur + "\r\n")
        out_lines.append("".join(pieces))
    return "".join(out_lines)


def hdr_case(rng, name):
    r = rng.random()
    if r < 0.15:
        return name.upper()
    if r < 0.3:
        return name.lower()
    if r < 0.4:
        return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)
    return name


def make_file_part(rng, data, cte, ctype="application/octet-stream", name=None,
                   name_style="cd_quoted", b64len=76, qp_markers=(), qp_soft=False,
                   qp_hex=False, cte_case=False, b64_spaces=False):
    p = EmailMessage(policy=POL)
    ctv = ctype
    cdv = None
    if name is not None:
        if name_style == "cd_quoted":
            cdv = 'attachment; filename="%s"' % name
        elif name_style == "cd_unquoted":
            cdv = "attachment; filename=%s" % name
        elif name_style == "ct_name_only":
            ctv = '%s; name="%s"' % (ctype, name)
            cdv = "attachment" if rng.random() < 0.5 else None
        elif name_style == "both":
            ctv = '%s; name="other_%d.bin"' % (ctype, rng.randint(1, 999))
            cdv = 'attachment; filename="%s"' % name
        elif name_style == "odd_case":
            cdv = 'ATTACHMENT; FILENAME="%s"' % name
        elif name_style == "folded_param":
            cdv = 'attachment;\r\n\tfilename="%s";\r\n size=%d' % (name, len(data))
        elif name_style == "ct_name_unquoted":
            ctv = "%s; name=%s" % (ctype, name)
        elif name_style == "inline":
            cdv = 'inline; filename="%s"' % name
        elif name_style == "semicolon_trailing":
            cdv = 'attachment; filename="%s";' % name
        elif name_style == "rfc2231_pct":
            enc = "".join(c if (c.isalnum() and rng.random() < 0.6) else "%%%02X" % ord(c)
                          for c in name)
            cdv = "attachment; filename*=utf-8''%s" % enc
        elif name_style == "rfc2231_cont":
            k = rng.randint(3, len(name) - 3)
            cdv = 'attachment;\r\n filename*0="%s";\r\n filename*1="%s"' % (name[:k], name[k:])
        elif name_style == "rfc2231_cont_enc":
            k = rng.randint(3, len(name) - 3)
            a = "".join("%%%02X" % ord(c) if rng.random() < 0.3 else c for c in name[:k])
            b = "".join("%%%02X" % ord(c) if rng.random() < 0.3 else c for c in name[k:])
            cdv = "attachment;\r\n filename*0*=utf-8''%s;\r\n filename*1*=%s" % (a, b)
        elif name_style == "rfc2047_b":
            cdv = 'attachment; filename="=?utf-8?B?%s?="' % base64.b64encode(name.encode()).decode()
        elif name_style == "rfc2047_q":
            q = "".join("=%02X" % ord(c) if (not c.isalnum() or rng.random() < 0.3) else c
                        for c in name)
            cdv = 'attachment; filename="=?iso-8859-1?Q?%s?="' % q
        else:
            raise ValueError(name_style)
    p[hdr_case(rng, "Content-Type") if name_style != "odd_case" else "CONTENT-TYPE"] = ctv
    ctev = {"b64": "base64", "qp": "quoted-printable", "7bit": "7bit", "8bit": "8bit"}[cte]
    if cte_case:
        ctev = rng.choice(["BASE64", "Base64", " base64 ", "base64 (binary data)"])
    p[hdr_case(rng, "Content-Transfer-Encoding")] = ctev
    if cdv is not None:
        p["Content-Disposition" if name_style != "odd_case" else "content-DISPOSITION"] = cdv
    if cte == "b64":
        body = b64_lines(data, b64len)
        if b64_spaces:
            out = []
            for l in body.split("\r\n"):
                if l and rng.random() < 0.5:
                    k = rng.randint(0, len(l))
                    l = l[:k] + rng.choice([" ", "\t", "  "]) + l[k:]
                if l and rng.random() < 0.3:
                    l += " "
                out.append(l)
            body = "\r\n".join(out)
    elif cte == "qp":
        body = qp_encode(data, qp_markers, qp_soft, qp_hex, rng)
    else:
        body = data.decode("ascii", "surrogateescape")
        if not body.endswith("\r\n"):
            body += "\r\n"
    p.set_payload(body)
    return p


def text_with_marker(rng, nbytes, marker=None, pos=None, prefix=""):
    lines = filler_text(rng, nbytes)
    if marker is not None:
        i = rng.randrange(len(lines)) if pos is None else min(pos, len(lines) - 1)
        w = lines[i].split(" ")
        k = rng.randint(0, len(w))
        w.insert(k, marker)
        lines[i] = prefix + " ".join(w) if prefix else " ".join(w)
    return lines


def plain_part(rng, lines, subtype="plain", cte="7bit", charset="us-ascii"):
    p = EmailMessage(policy=POL)
    p[hdr_case(rng, "Content-Type")] = 'text/%s; charset="%s"' % (subtype, charset)
    p[hdr_case(rng, "Content-Transfer-Encoding")] = cte
    p.set_payload("\r\n".join(lines) + "\r\n")
    return p


def html_part(rng, nbytes, markers=()):
    lines = filler_text(rng, nbytes)
    body = ["<html><body>"] + ["<p>%s</p>" % l for l in lines] + ["</body></html>"]
    for marker in markers:
        i = rng.randrange(1, len(body) - 1)
        body[i] = "<p>%s <b>%s</b></p>" % (lines[i - 1], marker)
    return plain_part(rng, body, "html")


def binary_with(rng, n, marker_bytes=None, where="mid"):
    data = bytearray(randbytes(rng, n))
    if marker_bytes:
        if where == "start":
            data[0:0] = marker_bytes
        elif where == "end":
            data += marker_bytes
        else:
            k = rng.randint(0, len(data))
            data[k:k] = b" " + marker_bytes + b" "
    return bytes(data)


def text_bytes_with(rng, n, marker=None, where="mid", dotline=False, eightbit=False):
    lines = filler_text(rng, n)
    if eightbit:
        lines = [l + " \u00e9t\u00e9 \u00fcber" if rng.random() < 0.3 else l for l in lines]
    if marker:
        if where == "end":
            lines.append(marker)
        elif dotline:
            i = rng.randrange(len(lines))
            lines.insert(i, "." + marker + " " + rtext_line(rng, 3))
        else:
            i = rng.randrange(len(lines))
            lines[i] = lines[i] + " " + marker + " " + rtext_line(rng, 2)
    else:
        if dotline or rng.random() < 0.2:
            lines.insert(rng.randrange(len(lines)), ". leading dot line")
    s = "\r\n".join(lines)
    if where != "end":
        s += "\r\n"
    return s.encode("utf-8")


def rand_name(rng):
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9)))


def build_message(rng, sess, tx, size, mks):
    """Return (message bytes CRLF, how-notes). mks: markers planted in this message."""
    byplace = {}
    for m in mks:
        byplace.setdefault(m.place, []).append(m)

    def take_all(place):
        return byplace.pop(place, [])

    top = EmailMessage(policy=POL)
    frm = "%s@%s.example.org" % (rand_name(rng), rand_name(rng))
    top[hdr_case(rng, "From")] = '"%s" <%s>' % (rand_name(rng).capitalize(), frm)
    top[hdr_case(rng, "To")] = "%s@example.net" % rand_name(rng)
    subj = rtext_line(rng, 5)
    for m in take_all("subject"):
        subj += " " + m.planted
    for m in take_all("long_subject"):
        subj += " " + " ".join(rtext_line(rng, 12) for _ in range(rng.randint(20, 40))) + " " + m.planted
    top[hdr_case(rng, "Subject")] = subj
    top["Date"] = "Mon, 04 Mar 2024 10:%02d:%02d +0000" % (rng.randint(0, 59), rng.randint(0, 59))
    top["Message-ID"] = "<%d.%d@%s.example.org>" % (sess.sid, tx, rand_name(rng))
    top["MIME-Version"] = "1.0"
    for m in take_all("xheader"):
        top[rng.choice(["X-Campaign-Id", "x-TRACKING-code", "X-MAILER-REF"])] = "ref-" + m.planted
    for m in take_all("folded_header"):
        top["X-Folded-Note"] = rtext_line(rng, 6) + "\r\n\t" + rtext_line(rng, 3) + " " + m.planted
    for i in range(rng.randint(0, 3)):
        top["X-Extra-%d" % i] = rtext_line(rng, 4)

    files = []
    remaining = max(size - 2000, 500)

    tlines = filler_text(rng, rng.randint(200, 3000))
    for m in (take_all("body_text") + take_all("bdat_body") + take_all("lf_body") +
              take_all("padded_boundary_body") + take_all("rejected_msg_body")):
        i = rng.randrange(len(tlines))
        tlines[i] = tlines[i] + " " + m.planted + " " + rtext_line(rng, 2)
    for m in take_all("dot_line"):
        tlines.insert(rng.randrange(len(tlines)), "." + m.planted + " " + rtext_line(rng, 3))
    e8 = take_all("body_8bit")
    for m in e8:
        tlines.insert(rng.randrange(len(tlines)), "caf\u00e9 \u00fcbersicht " + m.planted + " na\u00efve")
    deep = take_all("deep_body")
    if deep:
        more = filler_text(rng, remaining)
        tlines += more + [rtext_line(rng, 3) + " " + m.planted for m in deep]
        remaining = 500
    if byplace.get("deep_file"):
        remaining = 500
    text = plain_part(rng, tlines, "plain", "8bit" if e8 else "7bit", "utf-8" if e8 else "us-ascii")
    if e8:
        text.set_payload(("\r\n".join(tlines) + "\r\n").encode().decode("ascii", "surrogateescape"))
    html_ms = take_all("body_html")
    want_alt = bool(html_ms) or rng.random() < 0.4
    if want_alt:
        alt = EmailMessage(policy=POL)
        alt[hdr_case(rng, "Content-Type")] = 'multipart/alternative; boundary="alt-%d-%d-%s"' % (
            sess.sid, tx, rand_name(rng))
        alt.attach(text)
        alt.attach(html_part(rng, rng.randint(200, 2000), [m.planted for m in html_ms]))
        body_part = alt
    else:
        body_part = text

    padded = sess.padded or any(p.startswith("padded_boundary") for p in
                                ("padded_boundary_body",) if mks and any(m.place == p for m in mks)) \
        or any(m.place.startswith("padded_boundary") for m in mks)
    # top-level single-part attachment
    tops = (take_all("toplevel_b64") + take_all("toplevel_name") + take_all("toplevel_text_named_data")
            + take_all("toplevel_text_named_name"))
    if tops:
        part = file_for_marker(rng, tops[0], sess)
        for k, v in part.items():
            top[k] = v
        top.set_payload(part.get_payload())
        data = top.as_bytes(policy=POL)
        return data if data.endswith(b"\r\n") else data + b"\r\n"
    firsts = take_all("first_text_named") + take_all("first_text_inline_name")
    first_parts = [file_for_marker(rng, mk, sess) for mk in firsts]
    # file markers
    for place in list(byplace):
        while byplace[place]:
            mk = byplace[place].pop()
            files.append(file_for_marker(rng, mk, sess))
    # filler attachments up to size
    while remaining > 0:
        n = min(remaining, rng.choice([2000, 8000, 30000, 120000, 400000]))
        kind = rng.random()
        nm = rand_name(rng) + rng.choice([".pdf", ".docx", ".zip", ".bin", ".xlsx"])
        if kind < 0.7:
            files.append(make_file_part(rng, randbytes(rng, n * 3 // 4), "b64",
                                        name=nm, b64len=rng.choice([76, 76, 64, 72])))
        else:
            files.append(make_file_part(rng, text_bytes_with(rng, n), "qp" if kind < 0.85 else "7bit",
                                        ctype="text/plain", name=nm.rsplit(".", 1)[0] + ".txt"))
        remaining -= n

    if not files and not first_parts and not padded and rng.random() < 0.5:
        msg = top
        for k, v in body_part.items():
            msg[k] = v
        msg.set_payload(body_part.get_payload())
    else:
        # use the package's own machinery for the mixed container sometimes
        if rng.random() < 0.5:
            top[hdr_case(rng, "Content-Type")] = 'multipart/mixed; boundary="mix_%s_%d"' % (
                rand_name(rng), tx)
            top.attach(body_part)
        else:
            top["Content-Type"] = "multipart/mixed"
            top.attach(body_part)   # boundary chosen by the email package
        if first_parts:
            top._payload = first_parts + top._payload
        if padded:
            top.preamble = "This is a multi-part message in MIME format."
            top.epilogue = ""
        for f in files:
            top.attach(f)
        msg = top

    data = msg.as_bytes(policy=POL)
    if padded:
        import re
        for b in set(re.findall(rb'boundary="?([^";\r\n]+)"?', data, re.I)):
            data = data.replace(b"\r\n--" + b + b"\r\n", b"\r\n--" + b + b" \t \r\n")
            data = data.replace(b"\r\n--" + b + b"--\r\n", b"\r\n--" + b + b"--  \r\n")
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


def file_for_marker(rng, mk, sess):
    """A MIME part (or message/rfc822 part) planting marker mk."""
    p = mk.place
    mb = mk.planted.encode()
    name = rand_name(rng) + rng.choice([".pdf", ".doc", ".exe", ".bin", ".txt", ".zip"])
    n = rng.choice([300, 2000, 9000, 40000])
    if mk.kind == "file.name":
        fname = rand_name(rng) + "_" + mk.planted + "_" + str(rng.randint(1, 99)) + rng.choice([".pdf", ".zip", ".exe"])
        if p == "name_spaces":
            fname = "Q3 %s report %s final.pdf" % (rand_name(rng), mk.planted)
            return make_file_part(rng, randbytes(rng, n), "b64", name=fname)
        if p == "toplevel_text_named_name":
            fname = "notes_" + mk.planted + ".txt"
            return make_file_part(rng, text_bytes_with(rng, n), "7bit", ctype="text/plain",
                                  name=fname, name_style=rng.choice(["inline", "cd_quoted"]))
        if p == "long_filename":
            fname = "_".join(rand_name(rng) for _ in range(rng.randint(25, 45))) + "_" + mk.planted + ".pdf"
            mk.how.append("namelen=%d" % len(fname))
            return make_file_part(rng, randbytes(rng, n), "b64", name=fname)
        if p == "nested_mixed_name":
            return nested_mixed(rng, make_file_part(rng, randbytes(rng, n), "b64",
                                                    name=rand_name(rng) + "_" + mk.planted + ".zip"))
        if p == "many_parts_name":
            k = rng.randint(100, 400)
            mk.how.append("parts=%d" % k)
            return many_parts(rng, make_file_part(rng, randbytes(rng, n), "b64", name=fname), k)
        if p == "deep_nest_name":
            k = rng.randint(15, 30)
            k = NEST_DEPTH.get(mk.sid, k)
            mk.how.append("depth=%d" % k)
            return deep_nest(rng, make_file_part(rng, randbytes(rng, n), "b64", name=fname), k)
        if p == "long_cd_header":
            k = rng.randint(1200, 4000)
            mk.how.append("hdrlen=%d" % k)
            part = make_file_part(rng, randbytes(rng, n), "b64", name=None)
            part["Content-Disposition"] = 'attachment; x-comment="%s"; filename="%s"' % (
                " ".join(rtext_line(rng, 10) for _ in range(k // 60)), fname)
            return part
        if p == "many_headers_name":
            k = rng.randint(100, 500)
            mk.how.append("headers=%d" % k)
            return add_many_headers(rng, make_file_part(rng, randbytes(rng, n), "b64", name=fname), k)
        if p == "huge_filename":
            fname = "_".join(rand_name(rng) for _ in range(rng.randint(80, 200))) + "_" + mk.planted + ".pdf"
            mk.how.append("namelen=%d" % len(fname))
            return make_file_part(rng, randbytes(rng, n), "b64", name=fname, name_style=rng.choice(["cd_quoted", "folded_param"]))
        if p == "first_text_inline_name":
            fname = "notes_" + mk.planted + ".txt"
            return make_file_part(rng, text_bytes_with(rng, n), "7bit", ctype="text/plain",
                                  name=fname, name_style="inline")
        fname = rand_name(rng) + "_" + mk.planted + "_" + str(rng.randint(1, 99)) + rng.choice([".pdf", ".zip", ".exe"])
        data = randbytes(rng, n)
        if p in ("cd_quoted", "cd_unquoted", "ct_name_only", "rfc2231_pct", "rfc2231_cont",
                 "rfc2231_cont_enc", "rfc2047_b", "rfc2047_q", "odd_case", "folded_param",
                 "semicolon_trailing", "bdat_name", "toplevel_name", "lf_name",
                 "ct_name_unquoted"):
            style = "cd_quoted" if p in ("bdat_name", "toplevel_name", "lf_name") else p
            return make_file_part(rng, data, "b64", name=fname, name_style=style)
        if p == "both_name_and_filename":
            return make_file_part(rng, data, "b64", name=fname, name_style="both")
        if p in ("pkg_nonascii", "pkg_ascii"):
            if p == "pkg_nonascii":
                fname = "r\u00e9sum\u00e9_" + fname
            host = EmailMessage(policy=email.policy.SMTP)
            host.add_attachment(data, maintype="application", subtype="octet-stream", filename=fname)
            part = host.get_payload()[0] if host.is_multipart() else host
            out = EmailMessage(policy=POL)
            for k, v in part.items():
                out[k] = str(v) if p == "pkg_ascii" else v.fold(policy=email.policy.SMTP).split(":", 1)[1].strip()
            out.set_payload(part.get_payload())
            mk.how.append("pkg-hdr:" + repr(out.get("Content-Disposition"))[:80])
            return out
        if p == "rfc822_inner_name":
            inner = inner_message(rng, sess, make_file_part(rng, data, "b64", name=fname))
            return rfc822_part(rng, inner)
        raise ValueError(p)
    # file.data
    if p == "b64_76":
        return make_file_part(rng, binary_with(rng, n, mb), "b64", name=name, b64len=76)
    if p == "b64_pkg":
        host = EmailMessage(policy=POL)
        host.add_attachment(binary_with(rng, n, mb), maintype="application",
                            subtype="octet-stream", filename=name)
        part = host.get_payload()[0]
        return part
    if p == "b64_len":
        L = rng.choice([4, 8, 40, 60, 64, 72, 100, 400, 996])
        mk.how.append("len=%d" % L)
        return make_file_part(rng, binary_with(rng, n, mb), "b64", name=name, b64len=L)
    if p == "b64_odd":
        L = rng.choice([1, 3, 17, 33, 57, 75, 77, 101])
        mk.how.append("len=%d" % L)
        return make_file_part(rng, binary_with(rng, n, mb), "b64", name=name, b64len=L)
    if p == "b64_oneline":
        return make_file_part(rng, binary_with(rng, n, mb), "b64", name=name, b64len=0)
    if p in ("toplevel_b64", "lf_b64", "padded_boundary_b64"):
        return make_file_part(rng, binary_with(rng, n, mb), "b64", name=name)
    if p == "toplevel_text_named_data":
        return make_file_part(rng, text_bytes_with(rng, n, mk.planted), "7bit", ctype="text/plain",
                              name="data_%s.txt" % rand_name(rng),
                              name_style=rng.choice(["inline", "cd_quoted"]))
    if p == "many_parts_data":
        k = rng.randint(100, 400)
        mk.how.append("parts=%d" % k)
        return many_parts(rng, make_file_part(rng, binary_with(rng, n, mb), "b64", name=name), k)
    if p == "deep_nest_data":
        k = rng.randint(15, 30)
        k = NEST_DEPTH.get(mk.sid, k)
        mk.how.append("depth=%d" % k)
        return deep_nest(rng, make_file_part(rng, binary_with(rng, n, mb), "b64", name=name), k)
    if p == "long_boundary_data":
        return long_boundary_wrap(rng, make_file_part(rng, binary_with(rng, n, mb), "b64", name=name))
    if p == "many_headers_data":
        k = rng.randint(100, 500)
        mk.how.append("headers=%d" % k)
        return add_many_headers(rng, make_file_part(rng, binary_with(rng, n, mb), "b64", name=name), k)
    if p == "nested_mixed_b64":
        return nested_mixed(rng, make_file_part(rng, binary_with(rng, n, mb), "b64", name=name))
    if p == "lf_7bit":
        return make_file_part(rng, text_bytes_with(rng, n, mk.planted), "7bit", ctype="text/plain", name=name)
    if p == "b64_spaces":
        return make_file_part(rng, binary_with(rng, n, mb), "b64", name=name, b64_spaces=True)
    if p == "b64_cte_case":
        return make_file_part(rng, binary_with(rng, n, mb), "b64", name=name, cte_case=True)
    if p == "first_text_named":
        return make_file_part(rng, text_bytes_with(rng, n, mk.planted), "7bit", ctype="text/plain",
                              name="readme_%s.txt" % rand_name(rng),
                              name_style=rng.choice(["inline", "cd_quoted"]))
    if p == "b64_crlf_in_marker":
        # break the base64 line in the middle of the marker's encoding
        data = binary_with(rng, n, None) + b" " + mb + b" " + randbytes(rng, 300)
        s = base64.b64encode(data).decode()
        off = (n + 1) * 4 // 3 + len(mb) * 2 // 3
        lines = [s[:off], s[off:]]
        out = []
        for l in lines:
            out += [l[i:i + 76] for i in range(0, len(l), 76)]
        part = make_file_part(rng, b"", "b64", name=name)
        part.set_payload("\r\n".join(out) + "\r\n")
        return part
    if p in ("b64_file_start", "b64_file_end"):
        return make_file_part(rng, binary_with(rng, n, mb, "start" if p.endswith("start") else "end"),
                              "b64", name=name, b64len=76)
    if p == "qp_soft":
        return make_file_part(rng, text_bytes_with(rng, n, mk.planted), "qp", ctype="text/plain",
                              name=name, qp_markers=[mk.planted], qp_soft=True)
    if p == "qp_hex":
        return make_file_part(rng, text_bytes_with(rng, n, mk.planted), "qp", ctype="text/plain",
                              name=name, qp_markers=[mk.planted], qp_hex=True, qp_soft=rng.random() < 0.5)
    if p in ("7bit", "7bit_dotline", "7bit_file_end"):
        return make_file_part(rng, text_bytes_with(rng, n, mk.planted,
                                                   "end" if p == "7bit_file_end" else "mid",
                                                   dotline=(p == "7bit_dotline")),
                              "7bit", ctype="text/plain", name=name)
    if p == "8bit":
        return make_file_part(rng, text_bytes_with(rng, n, mk.planted, eightbit=True),
                              "8bit", ctype="text/plain", name=name)
    if p == "rfc822_inner":
        inner = inner_message(rng, sess, make_file_part(rng, binary_with(rng, n, mb), "b64", name=name))
        return rfc822_part(rng, inner)
    if p == "bdat_b64":
        return make_file_part(rng, binary_with(rng, n, mb), "b64", name=name, b64len=76)
    if p == "deep_file":
        big = sess.big_bytes
        mk.how.append("filesize=%d" % big)
        return make_file_part(rng, binary_with(rng, big, mb, "end"), "b64", name=name, b64len=76)
    if p == "ct_name_only_b64":
        return make_file_part(rng, binary_with(rng, n, mb), "b64", name=name, name_style="ct_name_only")
    if p == "nameless_b64":
        return make_file_part(rng, binary_with(rng, n, mb), "b64", name=None)
    raise ValueError(p)


NEST_DEPTH = {}     # sid -> nesting depth (probes)


def deep_nest(rng, att, depth):
    part = att
    for d in range(depth):
        outer = EmailMessage(policy=POL)
        outer["Content-Type"] = 'multipart/mixed; boundary="lvl%d_%s"' % (d, rand_name(rng))
        if rng.random() < 0.3:
            outer.attach(plain_part(rng, filler_text(rng, 60)))
        outer.attach(part)
        part = outer
    return part


def many_parts(rng, att, n):
    outer = EmailMessage(policy=POL)
    outer["Content-Type"] = 'multipart/mixed; boundary="many_%s"' % rand_name(rng)
    for i in range(n):
        outer.attach(make_file_part(rng, randbytes(rng, rng.randint(10, 200)), "b64",
                                    name="part%03d_%s.bin" % (i, rand_name(rng))))
    outer.attach(att)
    return outer


def long_boundary_wrap(rng, att):
    outer = EmailMessage(policy=POL)
    b = "LB_" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789'()+_,-./:=?") for _ in range(rng.randint(80, 200)))
    outer["Content-Type"] = 'multipart/mixed; boundary="%s"' % b
    outer.attach(plain_part(rng, filler_text(rng, 100)))
    outer.attach(att)
    return outer


def add_many_headers(rng, part, n):
    items = list(part.items())
    for k in list(part.keys()):
        del part[k]
    for i in range(n):
        part["X-Filler-%d" % i] = rtext_line(rng, 6)
    for k, v in items:
        part[k] = v
    return part


def nested_mixed(rng, att):
    """multipart/mixed > multipart/mixed > multipart/alternative + the file."""
    inner = EmailMessage(policy=POL)
    inner["Content-Type"] = 'multipart/mixed;\r\n\tboundary="nest2_%s"' % rand_name(rng)
    alt = EmailMessage(policy=POL)
    alt["Content-Type"] = "multipart/alternative; boundary=nest3_%s" % rand_name(rng)
    alt.attach(plain_part(rng, filler_text(rng, 300)))
    alt.attach(html_part(rng, 300))
    inner.attach(alt)
    inner.attach(att)
    outer = EmailMessage(policy=POL)
    outer["Content-Type"] = 'multipart/mixed; boundary="nest1_%s"' % rand_name(rng)
    outer.attach(plain_part(rng, filler_text(rng, 200)))
    outer.attach(inner)
    return outer


def inner_message(rng, sess, att):
    inner = EmailMessage(policy=POL)
    inner["From"] = "%s@inner.example.com" % rand_name(rng)
    inner["To"] = "%s@example.net" % rand_name(rng)
    inner["Subject"] = "Fwd: " + rtext_line(rng, 4)
    inner["MIME-Version"] = "1.0"
    inner["Content-Type"] = 'multipart/mixed; boundary="inner-%s"' % rand_name(rng)
    inner.attach(plain_part(rng, filler_text(rng, 400)))
    inner.attach(att)
    return inner


def rfc822_part(rng, inner):
    r = rng.random()
    if r < 0.5:
        host = EmailMessage(policy=POL)
        host.add_attachment(inner)          # email package: message/rfc822
        part = host.get_payload()[0]
        return part
    p = EmailMessage(policy=POL)
    p["Content-Type"] = "message/rfc822" + ('; name="fwd.eml"' if r < 0.75 else "")
    p["Content-Disposition"] = "attachment" if r < 0.75 else 'attachment; filename="forwarded.eml"'
    p.set_payload([inner])
    return p


# --------------------------------------------------------------------------
# SMTP sessions

class Session:
    pass


def dot_stuff_lf(data):
    data = data.replace(b"\r\n", b"\n")
    out = data.replace(b"\n.", b"\n..")
    if out.startswith(b"."):
        out = b"." + out
    return out.rstrip(b"\n")


def dot_stuff(data):
    out = data.replace(b"\r\n.", b"\r\n..")
    if out.startswith(b"."):
        out = b"." + out
    return out


def client_hello(rng, sni):
    ext_sni = struct.pack(">HHHBH", 0, len(sni) + 5, len(sni) + 3, 0, len(sni)) + sni
    ext_sv = struct.pack(">HHB", 43, 5, 4) + b"\x03\x04\x03\x03"
    ext_groups = struct.pack(">HHH", 10, 4, 2) + b"\x00\x1d"
    exts = ext_sni + ext_sv + ext_groups
    ciphers = b"\x13\x01\x13\x02\xc0\x2f\xc0\x30"
    body = (b"\x03\x03" + randbytes(rng, 32) + b"\x20" + randbytes(rng, 32) +
            struct.pack(">H", len(ciphers)) + ciphers + b"\x01\x00" + struct.pack(">H", len(exts)) + exts)
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def dialogue(rng, s):
    """List of (from_client, bytes) steps."""
    st = []
    C = lambda b: st.append((True, b if isinstance(b, bytes) else b.encode()))
    S = lambda b: st.append((False, b if isinstance(b, bytes) else b.encode()))
    srv = "mx%d.example.net" % (s.sid % 50)
    g = s.take("srv_greeting")
    S("220 %s ESMTP ready%s\r\n" % (srv, (" " + g.planted) if g else ""))
    mk = s.take("helo")
    heloname = ("mk-" + mk.planted + ".example.com") if mk else rand_name(rng) + ".example.com"
    if s.ehlo:
        C("%s %s\r\n" % (rng.choice(["EHLO", "ehlo", "Ehlo"]), heloname))
        caps = ["PIPELINING", "SIZE 52428800", "8BITMIME", "ENHANCEDSTATUSCODES"]
        if s.bdat:
            caps.append("CHUNKING")
        if s.starttls or s.tls_refused:
            caps.append("STARTTLS")
        caps.append("AUTH PLAIN LOGIN")
        g = s.take("srv_ehlo")
        lines = [srv + ((" greets " + g.planted) if g else "")] + caps
        S("".join("250%s%s\r\n" % ("-" if i < len(lines) - 1 else " ", l) for i, l in enumerate(lines)))
    else:
        C("%s %s\r\n" % (rng.choice(["HELO", "helo"]), heloname))
        S("250 %s\r\n" % srv)
    if s.starttls:
        C("STARTTLS\r\n")
        S("220 2.0.0 Ready to start TLS\r\n")
        g = s.take("garbage_after_starttls") or s.take("tlslike_after_starttls")
        ch = s.take("clienthello_sni")
        if ch is not None:
            C(client_hello(rng, (ch.planted + ".example.com").encode()))
            S(randbytes(rng, rng.randint(100, 2000)))
            C(randbytes(rng, rng.randint(100, 2000)))
            return st
        blob = bytearray(randbytes(rng, rng.randint(200, 3000)))
        if g is not None and g.place == "tlslike_after_starttls":
            blob[0:0] = b"\x16\x03\x01" + struct.pack(">H", len(blob))
        elif rng.random() < 0.5:
            blob[0:0] = b"\x16\x03\x01" + struct.pack(">H", len(blob))
        if g is not None:
            k = rng.randint(10, len(blob))
            blob[k:k] = g.planted.encode()
        C(bytes(blob))
        S(randbytes(rng, rng.randint(100, 2000)))
        return st
    if s.tls_refused:
        C("STARTTLS\r\n")
        S("454 4.7.0 TLS not available due to local problem\r\n")
    if s.auth:
        if rng.random() < 0.5:
            C("AUTH PLAIN %s\r\n" % base64.b64encode(b"\0" + rand_name(rng).encode() + b"\0secret").decode())
            S("235 2.7.0 Authentication successful\r\n")
        else:
            C("AUTH LOGIN\r\n")
            S("334 VXNlcm5hbWU6\r\n")
            C(base64.b64encode(rand_name(rng).encode()).decode() + "\r\n")
            S("334 UGFzc3dvcmQ6\r\n")
            C(base64.b64encode(b"hunter2").decode() + "\r\n")
            S("235 2.7.0 Authentication successful\r\n")
    for tx, (size, mks) in enumerate(s.msgs):
        if s.rset and tx == 0:
            m = s.take("rset_mail")
            a = (m.planted if m else rand_name(rng)) + "@old.example.org"
            C("MAIL FROM:<%s>\r\n" % a)
            S("250 2.1.0 Ok\r\n")
            C("RCPT TO:<%s@example.net>\r\n" % rand_name(rng))
            S("250 2.1.5 Ok\r\n")
            C("RSET\r\n")
            S("250 2.0.0 Ok\r\n")
        m = None
        for pl in ("mail_from", "tls_refused_mail", "after_auth_mail"):
            m = m or s.take(pl)
        frm = (m.planted if m else rand_name(rng)) + "@" + rand_name(rng) + ".example.org"
        rc = s.take("rcpt")
        rcpts = [(rc.planted if rc else rand_name(rng)) + "@example.net"]
        rcpts += ["%s@example.net" % rand_name(rng) for _ in range(rng.randint(0, 2))]
        mailcmd = rng.choice(["MAIL FROM:<%s>", "MAIL FROM: <%s>", "mail from:<%s>"]) % frm
        if s.ehlo and rng.random() < 0.3:
            mailcmd += " SIZE=%d" % size
        lc = s.take("long_cmd")
        if lc:
            mailcmd += " ENVID=" + "x" * rng.randint(600, 1800) + lc.planted
        msg = build_message(rng, s, tx, size, mks)
        if s.lf and s.bdat:
            msg = msg.replace(b"\r\n", b"\n")
        use_bdat = s.bdat and (s.bdat_all or rng.random() < 0.6)
        if s.pipe:
            cmds = [mailcmd] + ["RCPT TO:<%s>" % r for r in rcpts]
            reps = ["250 2.1.0 Ok"] + ["250 2.1.5 Ok"] * len(rcpts)
            if not use_bdat:
                cmds.append("DATA")
                reps.append("354 End data with <CR><LF>.<CR><LF>")
            if s.eager and not use_bdat:
                body = (dot_stuff_lf(msg) + b"\r\n.\r\n") if s.lf else (dot_stuff(msg) + b".\r\n")
                C("".join(c + "\r\n" for c in cmds).encode() + body)
                g = s.take("srv_queued")
                S("".join(r + "\r\n" for r in reps) + "250 2.0.0 Ok: queued as %X%s\r\n" % (
                    rng.getrandbits(40), (" " + g.planted) if g else ""))
                s.how_session.add("eager_data")
                continue
            C("".join(c + "\r\n" for c in cmds))
            S("".join(r + "\r\n" for r in reps))
        else:
            C(mailcmd + "\r\n")
            S("250 2.1.0 Ok\r\n")
            for r in rcpts:
                C("RCPT TO:<%s>\r\n" % r)
                S("250 2.1.5 Ok\r\n")
            if not use_bdat:
                C("DATA\r\n")
                S("354 End data with <CR><LF>.<CR><LF>\r\n")
        if not use_bdat:
            if s.lf:
                C(dot_stuff_lf(msg) + b"\r\n.\r\n")
            else:
                C(dot_stuff(msg) + b".\r\n")
            g = s.take("srv_queued")
            if any(m.place == "rejected_msg_body" for m in mks) or rng.random() < 0.05:
                S("554 5.7.1 Message rejected: spam detected%s\r\n" % ((" " + g.planted) if g else ""))
                s.how_session.add("msg554")
            else:
                S("250 2.0.0 Ok: queued as %X%s\r\n" % (rng.getrandbits(40), (" " + g.planted) if g else ""))
        else:
            nch = rng.randint(1, 6)
            cuts = sorted(rng.sample(range(1, len(msg)), min(nch - 1, len(msg) - 1)))
            chunks = [msg[a:b] for a, b in zip([0] + cuts, cuts + [len(msg)])]
            zero_last = rng.random() < 0.15
            out_c, out_s = [], []
            for i, ch in enumerate(chunks):
                last = (i == len(chunks) - 1) and not zero_last
                out_c.append(("BDAT %d%s\r\n" % (len(ch), " LAST" if last else "")).encode() + ch)
                g = s.take("srv_queued") if last else None
                out_s.append(("250 2.0.0 %d octets received\r\n" % len(ch)) if not last
                             else "250 2.0.0 Ok: queued as %X%s\r\n" % (rng.getrandbits(40),
                                                                        (" " + g.planted) if g else ""))
            if zero_last:
                g = s.take("srv_queued")
                out_c.append(b"BDAT 0 LAST\r\n")
                out_s.append("250 2.0.0 Ok: queued as %X%s\r\n" % (rng.getrandbits(40),
                                                                    (" " + g.planted) if g else ""))
            s.how_session.add("bdat%d%s" % (len(chunks), "+0LAST" if zero_last else ""))
            if s.bdatpipe:
                C(b"".join(out_c))
                S("".join(out_s))
            else:
                for a, b in zip(out_c, out_s):
                    C(a)
                    S(b)
    C(rng.choice(["QUIT\r\n", "quit\r\n"]))
    S("221 2.0.0 Bye\r\n")
    return st


# --------------------------------------------------------------------------
# TCP / pcap

def csum_le(data):
    if len(data) & 1:
        data += b"\0"
    s = sum(array.array("H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Pcap:
    LINK = {"eth": 1, "vlan": 1, "raw": 101, "sll": 113}

    def __init__(self, path, link="eth", nsec=False):
        self.f = open(path, "wb", buffering=1 << 20)
        self.link, self.nsec = link, nsec
        self.f.write(struct.pack("<IHHiIII", 0xA1B23C4D if nsec else 0xA1B2C3D4, 2, 4, 0, 0,
                                 262144, self.LINK[link]))
        self.ipid = 1
        self.n = 0

    def frame(self, ts, s, from_client, seq, ack, flags, payload, opts=b""):
        if from_client:
            sip, dip, sp, dp = s.cip, s.sip, s.cport, s.sport
            smac, dmac = b"\x02\0\0\0\0\x01", b"\x02\0\0\0\0\x02"
        else:
            sip, dip, sp, dp = s.sip, s.cip, s.sport, s.cport
            smac, dmac = b"\x02\0\0\0\0\x02", b"\x02\0\0\0\0\x01"
        thl = 20 + len(opts)
        tcp = bytearray(struct.pack(">HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                                    (thl // 4) << 4, flags, 65535, 0, 0) + opts + payload)
        tl = len(tcp)
        if len(sip) == 4:
            pseudo = sip + dip + struct.pack(">BBH", 0, 6, tl)
            tcp[16:18] = struct.pack("<H", csum_le(pseudo + bytes(tcp)))
            ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + tl, self.ipid & 0xFFFF, 0x4000,
                                       64, 6, 0, sip, dip))
            ip[10:12] = struct.pack("<H", csum_le(bytes(ip)))
            eth = dmac + smac + b"\x08\x00"
            et = b"\x08\x00"
        else:
            pseudo = sip + dip + struct.pack(">IxxxB", tl, 6)
            tcp[16:18] = struct.pack("<H", csum_le(pseudo + bytes(tcp)))
            ip = struct.pack(">IHBB16s16s", 0x60000000, tl, 6, 64, sip, dip)
            eth = dmac + smac + b"\x86\xdd"
            et = b"\x86\xdd"
        self.ipid += 1
        if self.link == "raw":
            eth = b""
        elif self.link == "vlan":
            eth = dmac + smac + b"\x81\x00" + struct.pack(">H", 100 + (s.sid % 7)) + et
        elif self.link == "sll":
            eth = struct.pack(">HHH", 0 if not from_client else 4, 1, 6) + smac + b"\0\0" + et
        pkt = eth + bytes(ip) + bytes(tcp)
        sec = int(ts)
        frac = int((ts - sec) * (1e9 if self.nsec else 1e6))
        self.f.write(struct.pack("<IIII", sec, frac, len(pkt), len(pkt)))
        self.f.write(pkt)
        self.n += 1

    def close(self):
        self.f.close()


SYN, FIN, RST, PSH, ACK = 2, 1, 4, 8, 16


def session_packets(rng, s):
    """Yield (from_client, seq, ack, flags, payload, opts)."""
    cseq = rng.getrandbits(32)
    sseq = rng.getrandbits(32)
    if s.wrap:
        cseq = (1 << 32) - rng.randint(1, 20000)
        sseq = (1 << 32) - rng.randint(1, 3000)
        s.how_session.add("seqwrap")
    if s.noack:
        s.how_session.add("noack")
    mss = struct.pack(">BBH", 2, 4, 1460)
    M = 0xFFFFFFFF
    yield (True, cseq, 0, SYN, b"", mss)
    yield (False, sseq, (cseq + 1) & M, SYN | ACK, b"", mss)
    cseq = (cseq + 1) & M
    sseq = (sseq + 1) & M
    yield (True, cseq, sseq, ACK, b"", b"")
    nxt = {True: cseq, False: sseq}
    steps = dialogue(rng, s)
    markers_txt = [m.planted.encode() for m in s.markers]
    for fc, data in steps:
        # segment boundaries
        cuts = set()
        pos = 0
        while pos < len(data):
            if s.seg == "mss":
                n = 1460 if rng.random() < 0.85 else rng.randint(1, 1460)
            elif s.seg == "random":
                n = rng.randint(1, 1460)
            elif s.seg == "jumbo":
                n = rng.choice([rng.randint(1461, 9000), rng.randint(9000, 65000)])
            else:  # tiny
                n = rng.randint(1, 64)
            pos += n
            if pos < len(data):
                cuts.add(pos)
        if s.split_markers:
            for mt in markers_txt:
                i = data.find(mt)
                while i >= 0:
                    cuts.add(i + rng.randint(1, len(mt) - 1))
                    i = data.find(mt, i + 1)
        cl = sorted(cuts)
        segs = []
        for a, b in zip([0] + cl, cl + [len(data)]):
            lim = 65000 if s.seg == "jumbo" else 1460
            while b - a > lim:
                segs.append((a, a + lim))
                a += lim
            segs.append((a, b))
        # flights of <= 30000 bytes, then an ACK from the peer
        base = nxt[fc]
        i = 0
        while i < len(segs):
            j, tot = i, 0
            while j < len(segs) and tot + (segs[j][1] - segs[j][0]) <= (30000 if s.seg != "jumbo" else 65000):
                tot += segs[j][1] - segs[j][0]
                j += 1
            if j == i:
                j = i + 1
            flight = segs[i:j]
            order = list(range(len(flight)))
            if len(flight) >= 2 and rng.random() < s.ooo:
                k = rng.randrange(len(flight) - 1)
                order[k], order[k + 1] = order[k + 1], order[k]
                s.how_session.add("ooo")
            if s.reverse and len(flight) >= 2:
                order.reverse()
                s.how_session.add("reversed")
            out = []
            for k in order:
                a, b = flight[k]
                out.append((a, b))
            if rng.random() < s.retx:
                k = rng.randrange(len(out))
                pos_k = k + 1 + (1 if k + 1 < len(out) else 0)
                out.insert(min(pos_k, len(out)), out[k])
                s.how_session.add("retx")
            if rng.random() < s.retx and len(flight) >= 2:
                k = rng.randrange(len(flight) - 1)
                a0, b0 = flight[k]
                a1, b1 = flight[k + 1]
                na = a0 + (b0 - a0) // 2
                nb = min(a1 + max(1, (b1 - a1) // 2), na + 1460)
                if nb > na:
                    out.append((na, nb))
                    s.how_session.add("overlap")
            if len(out) >= 3 and rng.random() < s.loss:
                k = rng.randrange(len(out) - 1)
                lost = out.pop(k)
                out.append(lost)             # the retransmission after the rest
                s.how_session.add("loss")
            for a, b in out:
                fl = ACK | (PSH if b == len(data) else 0)
                yield (fc, base + a, nxt[not fc], fl, data[a:b], b"")
            end = flight[-1][1]
            if not s.noack:
                yield (not fc, nxt[not fc], base + end, ACK, b"", b"")
            i = j
        nxt[fc] = base + len(data)
    if s.close == "none":
        return
    if s.close == "rst":
        yield (True, nxt[True], nxt[False], RST | ACK, b"", b"")
        return
    # close: client FIN, server FIN-ACK, client ACK
    yield (True, nxt[True], nxt[False], FIN | ACK, b"", b"")
    yield (False, nxt[False], nxt[True] + 1, FIN | ACK, b"", b"")
    yield (True, nxt[True] + 1, nxt[False] + 1, ACK, b"", b"")


# --------------------------------------------------------------------------

def plan_sessions(rng, size_bytes):
    sessions = []
    total = 0
    sid = 0
    while total < size_bytes:
        s = Session()
        s.sid = sid
        sid += 1
        s.v6 = rng.random() < 0.2
        if s.v6:
            s.cip = bytes.fromhex("20010db8000000010000000000%06x" % rng.getrandbits(24))
            s.sip = bytes.fromhex("20010db800000002000000000000%04x" % rng.randint(1, 40))
        else:
            s.cip = bytes([10, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)])
            s.sip = bytes([192, 0, 2, rng.randint(1, 40)])
        s.cport = rng.randint(1025, 65000)
        s.sport = rng.choice([25, 25, 25, 587])
        s.reuse = None
        if sid > 700 and rng.random() < 0.03:
            old = sessions[rng.randrange(0, sid - 600)]
            if old.reuse is None and sum(m[0] for m in old.msgs) < 100000 and old.v6 == s.v6:
                s.cip, s.cport, s.sip, s.sport = old.cip, old.cport, old.sip, old.sport
                s.reuse = old.sid
        s.ehlo = rng.random() < 0.8
        s.pipe = s.ehlo and rng.random() < 0.5
        s.eager = s.pipe and rng.random() < 0.2   # message sent with DATA, before the 354
        s.bdat = s.ehlo and rng.random() < 0.15
        s.bdat_all = rng.random() < 0.5
        s.bdatpipe = s.bdat and rng.random() < 0.5
        s.starttls = s.ehlo and rng.random() < 0.04
        s.tls_refused = s.ehlo and not s.starttls and rng.random() < 0.04
        s.auth = s.ehlo and not s.starttls and rng.random() < 0.2
        s.rset = not s.starttls and rng.random() < 0.1
        s.seg = rng.choices(["mss", "random", "tiny", "jumbo"], [65, 22, 5, 8])[0]
        s.ooo = rng.choice([0, 0, 0.05, 0.2])
        s.retx = rng.choice([0, 0, 0.05, 0.2])
        s.split_markers = rng.random() < 0.5
        s.lf = rng.random() < 0.08
        s.noack = rng.random() < 0.05      # no pure ACKs: only replies acknowledge
        s.loss = rng.choice([0, 0, 0, 0.1, 0.3])   # a segment's first copy lost, resent at the flight's end
        s.reverse = rng.random() < 0.03    # whole flights in reverse order
        s.wrap = rng.random() < 0.04       # ISNs just below 2^32
        s.close = rng.choices(["fin", "rst", "none"], [90, 6, 4])[0]
        s.padded = rng.random() < 0.1
        s.big = rng.random() < 0.015
        s.big_bytes = rng.randint(1_100_000, 2_600_000) if s.big else 0
        ntx = 0 if s.starttls else rng.choices([1, 2, 3, 5], [60, 25, 10, 5])[0]
        s.msgs = []
        for _ in range(ntx):
            sz = int(rng.choice([rng.randint(1500, 20000), rng.randint(10000, 80000),
                                 rng.randint(50000, 300000)]))
            if s.seg == "tiny":
                sz = min(sz, 12000)
            s.msgs.append([sz, []])
        if s.big and s.msgs:
            s.msgs[-1][0] = s.big_bytes
        elif s.big:
            s.big = False
        s.markers = []
        s.pending = {}
        s.how_session = set()
        total += sum(m[0] for m in s.msgs) + 2000
        sessions.append(s)
    return sessions


def assign_markers(rng, sessions, nmark, first_sid):
    seen = set()
    markers = []
    pools = {"bdat": [s for s in sessions if s.bdat and s.msgs],
             "starttls": [s for s in sessions if s.starttls],
             "tls_refused": [s for s in sessions if s.tls_refused and s.msgs],
             "rset": [s for s in sessions if s.rset and s.msgs],
             "big": [s for s in sessions if s.big],
             "auth": [s for s in sessions if s.auth and s.msgs],
             "lf": [s for s in sessions if s.lf and s.msgs]}
    normal = [s for s in sessions if s.msgs]
    kinds = list(KIND_WEIGHT)
    for i in range(nmark):
        while True:
            tok = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(12, 20)))
            if tok not in seen:
                seen.add(tok)
                break
        kind = rng.choices(kinds, [KIND_WEIGHT[k] for k in kinds])[0]
        place = rng.choice(KIND_PLACES[kind])
        need = NEEDS.get(place)
        pool = pools[need] if need else normal
        if not pool:
            kind, place, pool = "raw", "subject", normal
        form = rng.choice(FORMS)
        planted = tok if form == "content" and rng.random() < 0.5 else mixcase(rng, tok)
        if kind == "file.name" and form == "content":
            planted = tok
        m = Marker(first_sid + i, kind, place, form, tok, planted)
        s = rng.choice(pool)
        for _ in range(100):
            if place in ("mail_from", "tls_refused_mail", "after_auth_mail"):
                used = sum(len(s.pending.get(p, [])) for p in ("mail_from", "tls_refused_mail", "after_auth_mail"))
                if used < len(s.msgs):
                    break
            elif place == "long_cmd":
                if len(s.pending.get("long_cmd", [])) < len(s.msgs):
                    break
            elif place == "rcpt":
                if len(s.pending.get("rcpt", [])) < len(s.msgs):
                    break
            elif place in ("srv_greeting", "srv_ehlo"):
                if not s.pending.get(place) and (s.ehlo or place == "srv_greeting"):
                    break
            elif place == "srv_queued":
                if len(s.pending.get(place, [])) < len(s.msgs):
                    break
            elif place in ("rset_mail", "garbage_after_starttls", "tlslike_after_starttls", "clienthello_sni"):
                if not (s.pending.get("rset_mail") or s.pending.get("garbage_after_starttls")
                        or s.pending.get("tlslike_after_starttls") or s.pending.get("clienthello_sni")):
                    break
            else:
                break
            s = rng.choice(pool)
        else:
            place = m.place = "subject"
            m.kind = kind = "raw"
            m.how = ["subject"]
            s = rng.choice(normal)
        if place in ("helo",):
            # one helo marker per session
            tries = 0
            while s.pending.get("helo") and tries < 50:
                s = rng.choice(pool)
                tries += 1
            if s.pending.get("helo"):
                place = m.place = "subject"
                m.how = ["subject"]
        if place == "inner_subject":
            place = m.place = "subject"
            m.how = ["subject"]
        m.session = s
        s.markers.append(m)
        s.pending.setdefault(m.place, []).append(m)
        markers.append(m)
    # distribute message-level markers over the session's messages
    session_level = {"helo", "clienthello_sni", "mail_from", "rcpt", "rset_mail", "garbage_after_starttls", "srv_greeting",
                     "long_cmd",
                     "srv_ehlo", "srv_queued",
                     "tlslike_after_starttls", "tls_refused_mail", "after_auth_mail"}
    for s in sessions:
        for place, ms in sorted(s.pending.items(), key=lambda kv: kv[0].startswith("toplevel")):
            if place in session_level:
                continue
            for m in ms:
                if place in ("deep_body", "deep_file"):
                    s.msgs[-1][1].append(m)
                elif place.startswith("toplevel"):
                    s.msgs.insert(rng.randrange(len(s.msgs) + 1), [rng.randint(2000, 30000), [m]])
                elif place in ("bdat_body", "bdat_b64", "bdat_name"):
                    s.msgs[rng.randrange(len(s.msgs))][1].append(m)
                    s.bdat_all = True
                else:
                    s.msgs[rng.randrange(len(s.msgs))][1].append(m)
            del s.pending[place]
    return markers


def session_take(s):
    def take(place):
        l = s.pending.get(place)
        return l.pop() if l else None
    return take


def fmt_addr(ip, port):
    if len(ip) == 4:
        return "%d.%d.%d.%d:%d" % (*ip, port)
    import ipaddress
    return "[%s]:%d" % (ipaddress.IPv6Address(ip), port)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size-mb", type=float, default=100)
    ap.add_argument("--markers", type=int, default=700)
    ap.add_argument("--first-sid", type=int, default=3100000)
    ap.add_argument("--concurrency", type=int, default=300)
    ap.add_argument("--sessions-only", default="",
                    help="comma list of session numbers to write (a reproducer)")
    ap.add_argument("--sid-only", default="",
                    help="comma list of marker sids: write only their sessions")
    ap.add_argument("--link", default="eth", choices=["eth", "vlan", "raw", "sll"])
    ap.add_argument("--nsec", action="store_true", help="nanosecond pcap")
    ap.add_argument("--ts-mode", default="inc", choices=["inc", "const", "jitter"],
                    help="timestamps increasing, all equal, or jittered (some going back)")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--markers-out", required=True)
    a = ap.parse_args()

    rng = random.Random(a.seed)
    random.seed(a.seed)           # the email package's boundaries
    sessions = plan_sessions(rng, int(a.size_mb * 1e6))
    markers = assign_markers(rng, sessions, a.markers, a.first_sid)
    for s in sessions:
        s.take = session_take(s)
        s.rng_seed = rng.getrandbits(64)

    keep = None
    if a.sessions_only:
        keep = set(int(x) for x in a.sessions_only.split(","))
    if a.sid_only:
        sids = set(int(x) for x in a.sid_only.split(","))
        keep = (keep or set()) | {m.session.sid for m in markers if m.sid in sids}
    if keep is not None:
        sessions = [s for s in sessions if s.sid in keep]
        markers = [m for m in markers if m.session.sid in keep]

    pc = Pcap(a.out, a.link, a.nsec)
    sched = random.Random(a.seed ^ 0x5eed)
    ts = 1709546400.0
    active = []
    queue = list(sessions)
    queue.reverse()
    conc = min(a.concurrency, len(sessions))
    maxactive = 0
    done = set()
    deferred = []
    live_ids = set(s.sid for s in sessions)
    while queue or active or deferred:
        if deferred and (not active or sched.random() < 0.01):
            queue.extend(reversed(deferred))
            deferred = []
        while queue and len(active) < conc:
            s = queue.pop()
            if s.reuse is not None and s.reuse in live_ids and s.reuse not in done:
                deferred.append(s)     # the same 4-tuple only once the old one ended
                continue
            srng = random.Random(s.rng_seed)
            active.append((s, session_packets(srng, s)))
        maxactive = max(maxactive, len(active))
        k = sched.randrange(len(active))
        s, gen = active[k]
        # emit a short burst from this session
        for _ in range(sched.randint(1, 4)):
            try:
                fc, seq, ack, fl, pl, opts = next(gen)
            except StopIteration:
                done.add(s.sid)
                active[k] = active[-1]
                active.pop()
                break
            ts += sched.random() * 0.0004
            t = ts
            if a.ts_mode == "const":
                t = 1709546400.0
            elif a.ts_mode == "jitter":
                t = ts - sched.random() * 0.05
            pc.frame(t, s, fc, seq, ack, fl, pl, opts)
    pc.close()

    with open(a.markers_out, "w") as f:
        f.write("#marker\tkind\tclient\tsid\tform\tserver_port\tsession\thow\n")
        for m in markers:
            s = m.session
            how = ";".join(m.how + sorted(s.how_session) +
                           ["v6" if s.v6 else "v4", "seg=" + s.seg,
                            "split" if s.split_markers else "nosplit",
                            "ehlo" if s.ehlo else "helo"] +
                           [fl for fl in ("pipe", "bdat", "bdatpipe", "auth", "starttls",
                                          "tls_refused", "rset", "big")
                            if getattr(s, fl) and (fl != "bdatpipe" or s.bdat)])
            f.write("\t".join([m.planted, m.kind, fmt_addr(s.cip, s.cport), str(m.sid), m.form,
                               str(s.sport), str(s.sid), how]) + "\n")
    left = sum(len(v) for s in sessions for v in s.pending.values())
    print("xgen: %d sessions, %d packets, %d markers (unplaced %d), max concurrent %d -> %s"
          % (len(sessions), pc.n, len(markers), left, maxactive, a.out), file=sys.stderr)


if __name__ == "__main__":
    main()
