#!/usr/bin/env python3
"""check_recall.py: marker recall of a mailtap run over an smtpgen capture.

  check_recall.py MARKERS.tsv EVE.json [--quiet]
  check_recall.py --run MAILTAP SMTPGEN WORKDIR NRULES [smtpgen options...]

MARKERS.tsv is smtpgen's --markers-out sidecar (buffer, marker, session,
sid, client address); EVE.json is mailtap's log of a run with smtpgen's
--rules-out rules. Every marker that has a rule (sid != 0) must have fired
that rule, and every alert of a marker sid must come from the marker's
session (its client address): anything else is a miss or a stray. Prints
found/planted per buffer and exits 1 unless recall is 100% with no strays
and no decoy alerts.

--run generates the capture and the side files in WORKDIR with SMTPGEN
(NRULES rules, half of them at most on markers; the remaining
arguments are passed to it), runs MAILTAP on them and then
checks as above: the meson test uses this form.
"""
import collections
import ipaddress
import json
import os
import subprocess
import sys


def norm_ip(text):
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def check(markers_path, eve_path, quiet=False):
    planted = {}                      # sid -> (buffer, marker, client)
    with open(markers_path) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 5 or not cols[3].isdigit() or int(cols[3]) == 0:
                continue
            planted[int(cols[3])] = (cols[0], cols[1], norm_ip(cols[4]))
    fired = collections.defaultdict(set)   # sid -> client addresses
    count = collections.Counter()          # sid -> alerts
    other = collections.Counter()          # sids that are not markers
    with open(eve_path) as f:
        for line in f:
            if '"event_type":"alert"' not in line:
                continue
            ev = json.loads(line)
            sid = ev["alert"]["signature_id"]
            if sid not in planted:
                other[sid] += 1
                continue
            # The client is the source of to_server alerts.
            cli = ev["src_ip"] if ev.get("dest_port") == 25 else ev["dest_ip"]
            fired[sid].add(norm_ip(cli))
            count[sid] += 1

    per_buf = collections.OrderedDict()
    missed, stray = [], []
    for sid, (buf, marker, cli) in sorted(planted.items()):
        per_buf.setdefault(buf, [0, 0])
        per_buf[buf][1] += 1
        got = fired.get(sid, set())
        if cli in got:
            per_buf[buf][0] += 1
        else:
            missed.append((buf, marker, sid))
        if got - {cli}:
            stray.append((buf, marker, sid, sorted(got - {cli})))
    total_found = sum(v[0] for v in per_buf.values())
    print(f"marker recall: {total_found}/{len(planted)} marker rules fired in their session")
    for buf, (found, n) in per_buf.items():
        print(f"  {buf:16} {found}/{n}")
    for buf, marker, sid in missed[:50 if not quiet else 10]:
        print(f"MISSED {buf} {marker} sid {sid}")
    for buf, marker, sid, where in stray[:50]:
        print(f"STRAY {buf} {marker} sid {sid} also fired for {where}")
    dups = [(planted[s][0], planted[s][1], s, n) for s, n in sorted(count.items()) if n > 1]
    if dups:
        # Not a failure: a marker is in one buffer instance, so this is
        # worth a look, but recall is what is checked.
        print(f"note: {len(dups)} marker rules alerted more than once, e.g.:")
        for buf, marker, sid, n in dups[:5]:
            print(f"  {n}x {buf} {marker} sid {sid}")
    if other:
        print(f"ALERTS OF NON-MARKER RULES (decoys): {dict(other.most_common(10))}")
    return 0 if not missed and not stray and not other and planted else 1


def run(mailtap, smtpgen, work, nrules, gen_args):
    os.makedirs(work, exist_ok=True)
    pcap = os.path.join(work, "cap.pcap")
    rules = os.path.join(work, "cap.rules")
    markers = os.path.join(work, "cap.markers.tsv")
    logdir = os.path.join(work, "log")
    os.makedirs(logdir, exist_ok=True)
    eve = os.path.join(logdir, "eve.json")
    if os.path.exists(eve):
        os.unlink(eve)
    subprocess.run([smtpgen, "--out", pcap, "--rules-out", rules, nrules,
                    "--markers-out", markers] + gen_args, check=True)
    subprocess.run([mailtap, "-q", "-r", pcap, "-S", rules, "-l", logdir], check=True)
    return check(markers, eve)


def main(argv):
    if len(argv) >= 5 and argv[0] == "--run":
        return run(argv[1], argv[2], argv[3], argv[4], argv[5:])
    if len(argv) in (2, 3):
        return check(argv[0], argv[1], "--quiet" in argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
