#!/usr/bin/env python3
"""Compare mailtap's envelopes with Suricata's on the same captures.

A development oracle, not a test: Suricata is never a dependency. For each
capture it runs both tools and compares the transactions that carry a MAIL
FROM: (helo, mail_from, rcpt_to) in order. Suricata also logs empty
transactions (EHLO/QUIT only), which are not compared. Differences are
printed for a human to judge (../shared/docs/FEATURES.md lists Suricata's
known mistakes, e.g. BDAT and bare-LF end of data).

  tests/tools/compare-suricata.py --mailtap BUILD/sensor/mailtap [PCAP|DIR]...

Install Suricata 7 from bookworm-backports to use it. Exit status: 0 when
every capture agrees, 1 otherwise.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile


def envelopes(eve_path):
    out = []
    with open(eve_path) as f:
        for line in f:
            ev = json.loads(line)
            if ev.get("event_type") != "smtp":
                continue
            s = ev.get("smtp", {})
            if "mail_from" not in s:
                continue
            out.append((ev.get("src_ip"), ev.get("src_port"), s.get("helo"), s.get("mail_from"),
                        tuple(s.get("rcpt_to", []))))
    return sorted(out, key=lambda t: (str(t[0]), t[1] or 0))


def run(cmd, cwd):
    return subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, timeout=600)


def captures(paths):
    for p in paths:
        if os.path.isdir(p):
            for d, _, files in sorted(os.walk(p)):
                for f in sorted(files):
                    if f.endswith((".pcap", ".pcapng")):
                        yield os.path.join(d, f)
        else:
            yield p


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mailtap", required=True)
    ap.add_argument("--ports", default="25,587,2525")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    if not shutil.which("suricata"):
        sys.exit("suricata is not installed (apt-get install -t bookworm-backports suricata)")
    differ = 0
    total = 0
    compared = 0
    mailtap = os.path.abspath(a.mailtap)
    for pcap in captures(a.paths):
        pcap = os.path.abspath(pcap)
        total += 1
        with tempfile.TemporaryDirectory() as tmp:
            m, s = os.path.join(tmp, "m"), os.path.join(tmp, "s")
            os.mkdir(m)
            os.mkdir(s)
            run([mailtap, "-q", "-r", pcap, "-l", m, "--smtp-ports", a.ports], tmp)
            run(["suricata", "-r", pcap, "-l", s, "-k", "none", "--runmode", "single"], tmp)
            if not (os.path.exists(os.path.join(m, "eve.json")) and
                    os.path.exists(os.path.join(s, "eve.json"))):
                # A tool that wrote nothing cannot agree by accident.
                print(f"FAIL {pcap}: no eve.json from {'mailtap' if not os.path.exists(os.path.join(m, 'eve.json')) else 'suricata'}")
                differ += 1
                continue
            mt = envelopes(os.path.join(m, "eve.json"))
            su = envelopes(os.path.join(s, "eve.json"))
        compared += len(su)
        if mt != su:
            differ += 1
            print(f"DIFF {pcap}")
            for t in su:
                if t not in mt:
                    print(f"   suricata only: {t}")
            for t in mt:
                if t not in su:
                    print(f"   mailtap only:  {t}")
    print(f"{total - differ} captures agree, {differ} differ; {compared} Suricata transactions compared")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
