#!/usr/bin/python3
"""xrules.py: Suricata-syntax rules for an xgen capture.

  xrules.py MARKERS.tsv -o RULES [--total 1000] [--seed N] [--decoys-out DECOYS.tsv]

One rule per marker (sid from the TSV), in the marker's buffer and form:
  raw          alert tcp ... -> any [25,587] (flow:established,to_server; content...)
               or alert smtp ... with no sticky buffer
  file.data    alert smtp ... (file.data; ...)
  file.name    alert smtp ... (file.name; ...)
form: content | content+nocase | pcre /../i | content+nocase + pcre.
The rest (up to --total) are decoys that must never match: random tokens,
exact-case rules for markers planted in another case, and rules that look
for a marker in a buffer it was not planted in.
"""
import argparse
import random

LETTERS = "abcdefghijklmnopqrstuvwxyz"
META = "metadata:affected_product Any, attack_target SMTP_Server, created_at 2024_03_04, deployment Perimeter, signature_severity Major, updated_at 2024_03_04"


def pcre_of(tok, rng):
    k = rng.randrange(1, len(tok) - 1)
    return "%s[%s]%s" % (tok[:k], tok[k], tok[k + 1:])


def hexmix(s, rng):
    k = rng.randrange(1, len(s) - 3)
    n = rng.randint(1, 3)
    return s[:k] + "|" + " ".join("%02x" % ord(c) for c in s[k:k + n]) + "|" + s[k + n:]


# anchored pcre variants for places whose surroundings are known
ANCHORED = {
    "subject": lambda p: r"/^Subject:[^\r\n]*%s/mi" % p,
    "xheader": lambda p: r"/^X-[A-Za-z-]+:\s*ref-%s/mi" % p,
    "helo": lambda p: r"/^(?:EHLO|HELO)\s+mk-%s\./mi" % p,
    "mail_from": lambda p: r"/^MAIL FROM:\s?<%s@/mi" % p,
    "tls_refused_mail": lambda p: r"/^MAIL FROM:\s?<%s@/mi" % p,
    "after_auth_mail": lambda p: r"/^MAIL FROM:\s?<%s@/mi" % p,
    "rcpt": lambda p: r"/^RCPT TO:<%s@example\.net>/mi" % p,
    "dot_line": lambda p: r"/^\.{1,2}%s /mi" % p,
    "srv_greeting": lambda p: r"/^220 [^\r\n]+ %s\r?$/mi" % p,
    "b64_file_start": lambda p: r"/^%s/i" % p,
    "b64_file_end": lambda p: r"/%s$/i" % p,
    "7bit_file_end": lambda p: r"/%s$/i" % p,
    "cd_quoted": lambda p: r"/_%s_\d+\.(?:pdf|zip|exe)$/i" % p,
    "cd_unquoted": lambda p: r"/^[a-z]+_%s_\d+\.(?:pdf|zip|exe)$/i" % p,
    "rfc2231_pct": lambda p: r"/^[a-z]+_%s_\d+\.(?:pdf|zip|exe)$/i" % p,
    "rfc2047_b": lambda p: r"/^[a-z]+_%s_\d+\.(?:pdf|zip|exe)$/i" % p,
    "ct_name_only": lambda p: r"/%s_\d+\.(?:pdf|zip|exe)$/i" % p,
    "first_text_inline_name": lambda p: r"/^notes_%s\.txt$/i" % p,
    "name_spaces": lambda p: r"/^Q3 [a-z]+ report %s final\.pdf$/i" % p,
}


def match_opts(form, tok, planted, rng, place=""):
    low = tok.lower()
    r = rng.random()
    if form == "content":
        if r < 0.2:
            return 'content:"%s";' % hexmix(planted, rng)
        if r < 0.3:
            return 'content:"%s"; fast_pattern;' % planted
        return 'content:"%s";' % planted
    if form == "nocase":
        c = low if rng.random() < 0.6 else low.upper()
        if r < 0.2:
            return 'content:"%s"; nocase; fast_pattern;' % hexmix(c, rng)
        return 'content:"%s"; nocase;' % c
    if form == "pcre":
        if place in ANCHORED and r < 0.5:
            return 'pcre:"%s";' % ANCHORED[place](pcre_of(low, rng))
        if r < 0.6:
            return 'pcre:"/%s/";' % planted            # case-sensitive, exact
        if r < 0.7:
            k = rng.randrange(1, len(low) - 1)
            return 'pcre:"/%s.%s/is";' % (low[:k], low[k + 1:])
        if r < 0.8:
            k = rng.randrange(1, len(low) - 1)
            return 'pcre:"/%s(?:%s)%s/i";' % (low[:k], low[k], low[k + 1:])
        return 'pcre:"/%s/i";' % pcre_of(low, rng)
    if form == "content_pcre":
        if r < 0.35:
            k = rng.randrange(4, len(low) - 4)
            return 'content:"%s"; nocase; content:"%s"; nocase; distance:0; within:%d;' % (
                low[:k], low[k:], len(low) - k)
        k = rng.randrange(0, len(low) - 6)
        return 'content:"%s"; nocase; pcre:"/%s/i";' % (low[k:k + 6], pcre_of(low, rng))
    raise ValueError(form)


def header(kind, rng):
    """(protocol/addresses part, flow option, sticky buffer)."""
    flow = "flow:established,to_server; " if rng.random() < 0.8 else ""
    if kind in ("raw", "raw_starttls"):
        r = rng.random()
        if r < 0.08:
            return ("alert tcp-stream any any -> any [25,587]", "flow:to_server,established; ", "")
        if r < 0.15:
            return ("alert tcp any any -> $EXTERNAL_NET [25,587]", "flow:to_server,established; ", "")
        if r < 0.5:
            return ("alert tcp any any -> any [25,587]", "flow:established,to_server; ", "")
        return ("alert smtp any any -> any any", flow, "")
    if kind == "file.data":
        return ("alert smtp any any -> any any", flow, "file_data; " if rng.random() < 0.15 else "file.data; ")
    if kind == "file.name":
        return ("alert smtp any any -> any any", flow, "file.name; ")
    raise ValueError(kind)


def rule(kind, form, tok, planted, sid, msg, rng, place=""):
    hdr, flow, buf = header(kind, rng)
    if place.startswith("srv_"):
        if rng.random() < 0.5:
            hdr, flow = "alert tcp any [25,587] -> any any", "flow:established,to_client; "
        else:
            hdr, flow = "alert smtp any any -> any any", ""
    mo = match_opts(form, tok, planted, rng, place)
    if kind == "file.name" and form == "nocase" and rng.random() < 0.3:
        buf, mo = "", 'filename:"%s";' % tok.lower()
    r = rng.random()
    if r < 0.1:
        msg = msg + ' (\\"quoted\\"\\; x:y)'
    if r < 0.2:
        return '%s (msg:"%s"; %s%s%s reference:url,example.com/xcheck; classtype:trojan-activity; sid:%d; rev:2; %s;)' % (
            hdr, msg, flow, buf, mo, sid, META)
    if r < 0.25:
        return '%s (msg:"%s"; \\\n    %s%s%s \\\n    classtype:trojan-activity; %s; \\\n    sid:%d; rev:1;)' % (
            hdr, msg, flow, buf, mo, META, sid)
    return '%s (msg:"%s"; %s%s%s classtype:trojan-activity; %s; sid:%d; rev:1;)' % (
        hdr, msg, flow, buf, mo, META, sid)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("markers")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--total", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--first-decoy-sid", type=int, default=3200000)
    ap.add_argument("--decoys-out")
    ap.add_argument("--only-sids", default="", help="marker rules for these sids only (repro)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    rows = []
    with open(a.markers) as f:
        for line in f:
            if line.startswith("#"):
                continue
            c = line.rstrip("\n").split("\t")
            rows.append(dict(planted=c[0], kind=c[1], client=c[2], sid=int(c[3]), form=c[4],
                             port=c[5], session=c[6], how=c[7]))
    only = set(int(x) for x in a.only_sids.split(",")) if a.only_sids else None
    rules = []
    for r in rows:
        if only is not None and r["sid"] not in only:
            continue
        tok = r["planted"].lower()
        rules.append(rule(r["kind"], r["form"], tok, r["planted"], r["sid"],
                          "XCHECK %s marker %s %s" % (r["kind"], r["form"], r["how"].split(";")[0]), rng,
                          r["how"].split(";")[0]))
    decoys = []
    sid = a.first_decoy_sid
    ndec = max(0, a.total - len(rules)) if only is None else 0
    header_places = ("helo", "mail_from", "rcpt", "subject", "xheader", "folded_header")
    lit_in_raw = ("7bit", "8bit", "7bit_dotline", "7bit_file_end", "lf_7bit", "first_text_named",
                  "toplevel_text_named_data")
    for i in range(ndec):
        t = rng.random()
        r = rng.choice(rows) if rows else None
        if t < 0.15 and r and r["planted"] != r["planted"].lower():
            # exact-case content of a marker planted in mixed case, same buffer
            kind = r["kind"]
            hdr, flow, buf = header(kind, rng)
            txt = '%s (msg:"XCHECK decoy case %d"; %s%scontent:"%s"; classtype:trojan-activity; %s; sid:%d; rev:1;)' % (
                hdr, r["sid"], flow, buf, r["planted"].lower(), META, sid)
            dtype = "case:%d" % r["sid"]
        elif t < 0.35 and r:
            place = r["how"].split(";")[0]
            if r["kind"] == "raw" and place in header_places:
                kind = rng.choice(["file.data", "file.name"])
            elif r["kind"] == "file.data" and place not in lit_in_raw:
                kind = rng.choice(["raw", "file.name"])
            elif r["kind"] == "file.name":
                kind = "file.data"
            else:
                kind = None
            if kind is None:
                txt = None
            else:
                txt = rule(kind, "nocase", r["planted"].lower(), r["planted"], sid,
                           "XCHECK decoy wrongbuf %d" % r["sid"], rng)
                dtype = "wrongbuf:%d:%s" % (r["sid"], kind)
        else:
            txt = None
        if txt is None:
            tok = "".join(rng.choice(LETTERS) for _ in range(rng.randint(10, 18)))
            kind = rng.choice(["raw", "file.data", "file.name"])
            form = rng.choice(["content", "nocase", "pcre", "content_pcre"])
            txt = rule(kind, form, tok, tok, sid, "XCHECK decoy random %s" % kind, rng)
            dtype = "random:" + kind
        rules.append(txt)
        decoys.append((sid, dtype))
        sid += 1
    with open(a.out, "w") as f:
        f.write("# xcheck rules: %d marker rules, %d decoys\n" % (len(rules) - len(decoys), len(decoys)))
        for i, x in enumerate(rules):
            if i % 97 == 5:
                f.write("\n# disabled: " + x.replace("\\\n", "").replace("sid:", "sid:9") + "\n")
            f.write(x + "\n")
    if a.decoys_out:
        with open(a.decoys_out, "w") as f:
            for s, d in decoys:
                f.write("%d\t%s\n" % (s, d))


if __name__ == "__main__":
    main()
