#!/usr/bin/env python3
"""benchmarks/rulegen.py — realistic SMTP rule sets of any size, for benchmarks.

smtpgen --rules-out writes one shape of rule (a literal marker or a decoy
"xq..." literal, case-sensitive, in five buffers): fine to check recall,
but far easier for Hyperscan than a real rule set, whose patterns share
prefixes with the traffic, are mostly caseless, chain contents with
distance/within, anchor with depth/startswith/endswith and use pcre. This
writes N distinct rules in the mix of a sensor fed ET Open's SMTP rules
plus indicator feeds (domains, URLs, senders, attachment names):

  raw stream, ET style (contents chained with distance/within, some pcre)
  email.url / smtp.mail_from / email.from / smtp.rcpt_to / smtp.helo /
  email.received indicators (caseless, some startswith/endswith)
  email.subject / email.x_mailer phrases (caseless literals and pcre)
  smtp.data / email.body content chains, file.name and file.data (magic
  at depth, then a token)

Each rule carries a random token, so almost none fires; their first
contents are words that do occur in mail ("Subject: ", "Content-Type",
"invoice", "%PDF"), so partial matches happen all the time, as with real
rules. With --markers (smtpgen --markers-out) the first --marker-rules
rules target planted markers, spread over the capture, so a run shows
alerts and a recall check is possible; 1,000- and 10,000-rule sets made
with the same markers fire the same rules. Deterministic from --seed.

  benchmarks/rulegen.py --count N --out R.rules [--seed 1]
                        [--markers F.tsv --marker-rules 100] [--sid-base 4000001]
"""
import argparse
import random
import sys

WORDS = ["invoice", "payment", "urgent", "account", "password", "verify", "update",
         "security", "alert", "delivery", "shipment", "order", "receipt", "statement",
         "document", "scan", "fax", "voicemail", "refund", "tax", "salary", "bonus",
         "contract", "proposal", "quote", "purchase", "bank", "wire", "transfer",
         "suspended", "locked", "confirm", "login", "mailbox", "quota", "storage",
         "package", "tracking", "notice", "reminder", "overdue", "final", "request"]
TLDS = ["com", "net", "org", "info", "biz", "ru", "cn", "top", "xyz", "online", "site",
        "club", "icu", "io", "co", "de", "br", "in"]
MAILERS = ["Microsoft Outlook", "PHPMailer", "Thunderbird", "Apple Mail", "The Bat!",
           "Mozilla", "Foxmail", "Sendinblue", "Mailer", "Roundcube"]
EXTS = ["exe", "scr", "js", "vbs", "zip", "rar", "iso", "img", "docm", "xlsm", "lnk",
        "hta", "jar", "pdf", "html"]
MAGIC = ["|4D 5A|", "%PDF-", "|50 4B 03 04|", "|D0 CF 11 E0|", "|52 61 72 21|", "|7B 5C 72 74|"]
CLASSES = ["trojan-activity", "policy-violation", "bad-unknown", "social-engineering",
           "credential-theft", "malware-cnc", "suspicious-filename-detect", "misc-activity"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.seen = set()

    def token(self, lo=6, hi=10):
        """A random lower-case/digit run that does not occur in generated mail."""
        while True:
            t = "".join(self.r.choice("abcdefghijkmnpqrstuvwxyz23456789")
                        for _ in range(self.r.randint(lo, hi)))
            if t not in self.seen:
                self.seen.add(t)
                return t

    def domain(self):
        labels = [self.token(4, 9)]
        if self.r.random() < 0.3:
            labels.insert(0, self.r.choice(["mail", "secure", "login", "cdn", "update", "portal"]))
        return ".".join(labels) + "." + self.r.choice(TLDS)

    def word(self):
        return self.r.choice(WORDS)

    def rule(self, kind):
        r, tok = self.r, self.token
        if kind == "stream":
            # ET style: a common header, then the indicator, chained
            if r.random() < 0.25:
                name = r.choice(["Subject", "From", "X-Mailer", "Reply-To"])
                return (f"flow:established,to_server; content:\"{name}|3a| \"; nocase; "
                        f"pcre:\"/^{name}\\x3a[^\\r\\n]*{tok()}/mi\";")
            hdr = r.choice(["Subject|3a| ", "From|3a| ", "X-Mailer|3a| ", "Content-Type|3a| ",
                            "filename=|22|", "|0d 0a|MAIL FROM|3a|", "|0d 0a|RCPT TO|3a|"])
            return (f"flow:established,to_server; content:\"{hdr}\"; fast_pattern; "
                    f"content:\"{tok()}\"; distance:0; within:{r.randint(40, 200)}; nocase;")
        if kind == "stream_tc":
            return (f"flow:established,to_client; content:\"220 \"; depth:4; "
                    f"content:\"{tok()}\"; distance:0; within:64;")
        if kind == "url":
            return (f"email.url; content:\"{self.domain()}/{tok(3, 8)}\"; nocase;")
        if kind == "url_host":
            return (f"email.url; content:\"://{self.domain()}\"; nocase;")
        if kind == "mail_from":
            return (f"smtp.mail_from; content:\"@{self.domain()}\"; nocase; endswith;")
        if kind == "email_from":
            return (f"email.from; content:\"{self.word()}\"; nocase; content:\"@{self.domain()}\"; "
                    f"nocase; distance:0;")
        if kind == "rcpt_to":
            return (f"smtp.rcpt_to; content:\"{tok()}@\"; nocase;")
        if kind == "helo":
            return (f"smtp.helo; content:\"{self.domain()}\"; nocase; endswith;")
        if kind == "received":
            return (f"email.received; content:\"from \"; startswith; content:\"{self.domain()}\"; "
                    f"nocase; distance:0; within:80;")
        if kind == "subject":
            return (f"email.subject; content:\"{self.word()} {tok()}\"; nocase;")
        if kind == "subject_pcre":
            return (f"email.subject; pcre:\"/(?:re|fwd?)\\x3a\\s*{self.word()}\\s+"
                    f"{tok(4, 6)}[0-9]{{2,6}}/i\";")
        if kind == "x_mailer":
            return (f"email.x_mailer; content:\"{r.choice(MAILERS)} {tok(4, 6)}\"; nocase;")
        if kind == "data":
            return (f"smtp.data; content:\"Content-Type|3a|\"; nocase; content:\"name=\"; "
                    f"distance:0; within:200; content:\"{tok()}\"; distance:0; within:80; nocase;")
        if kind == "body":
            return (f"email.body; content:\"{self.word()}\"; nocase; content:\"{tok()}\"; "
                    f"distance:0; within:300; nocase;")
        if kind == "file_name":
            return (f"file.name; content:\"{self.word()}_{tok(4, 7)}\"; nocase; "
                    f"content:\".{r.choice(EXTS)}\"; nocase; endswith;")
        if kind == "file_data":
            return (f"file.data; content:\"{r.choice(MAGIC)}\"; depth:{r.choice([8, 16, 32])}; "
                    f"content:\"{tok()}\"; distance:0; within:{r.randint(16, 512)};")
        raise ValueError(kind)


# kind, weight: indicator feeds dominate a 10,000-rule set
MIX = [("url", 18), ("url_host", 10), ("mail_from", 10), ("email_from", 4), ("rcpt_to", 3),
       ("helo", 4), ("received", 3), ("subject", 8), ("subject_pcre", 3), ("x_mailer", 2),
       ("stream", 12), ("stream_tc", 1), ("data", 5), ("body", 7), ("file_name", 6),
       ("file_data", 4)]



def marker_rule(buf, m):
    """The options of a rule on marker m: its sticky buffer (the sidecar's
    first column is the rule keyword; "stream" is the raw stream, none)."""
    return f"content:\"{m}\";" if buf == "stream" else f"{buf}; content:\"{m}\";"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--markers", help="smtpgen --markers-out file")
    ap.add_argument("--marker-rules", type=int, default=100)
    ap.add_argument("--sid-base", type=int, default=4000001)
    a = ap.parse_args()

    markers = []
    if a.markers:
        with open(a.markers) as f:
            rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
        want = min(a.marker_rules, len(rows), a.count)
        # evenly spread over the file (kinds interleave by session)
        markers = [rows[i * len(rows) // want] for i in range(want)] if want else []

    g = Gen(a.seed)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    out = []
    sid = a.sid_base
    out.append(f"# benchmarks/rulegen.py --count {a.count} --seed {a.seed}"
               f"{' --markers ' + a.markers if a.markers else ''}: "
               f"{len(markers)} marker rules, {a.count - len(markers)} realistic decoys\n")
    for buf, m, sess, *_ in markers:
        proto = "tcp" if buf == "stream" else "smtp"
        out.append(f"alert {proto} any any -> any any (msg:\"rulegen marker {m}\"; "
                   f"{marker_rule(buf, m)} classtype:misc-activity; sid:{sid}; rev:1;)\n")
        sid += 1
    for i in range(a.count - len(markers)):
        kind = g.r.choices(kinds, weights)[0]
        body = g.rule(kind)
        out.append(f"alert smtp any any -> any any (msg:\"rulegen {kind} {i}\"; {body} "
                   f"classtype:{g.r.choice(CLASSES)}; sid:{sid}; rev:1;)\n")
        sid += 1
    with open(a.out, "w") as f:
        f.writelines(out)
    print(f"rulegen: {a.count} rules in {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
