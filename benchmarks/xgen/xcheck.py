#!/usr/bin/python3
"""xcheck.py: run Suricata and mailtap on an xgen capture and compare recall.

  xcheck.py --pcap CAP --markers MARKERS.tsv --rules RULES [--decoys DECOYS.tsv]
            --workdir DIR [--mailtap PATH] [--runs 2] [--no-timing]

Engines: Suricata stock config, Suricata with stream.reassembly.depth=0,
mailtap (defaults), mailtap like-for-like (--file-hash none
--no-file-magic --email-md5 none) and the same on a first start
(--rules-cache none: the rules checked and compiled at start, as a new
user's first run; Suricata compiles its rules at every start). The timed
runs alternate: each of the --runs repetitions runs every engine once, in
that order, so load on the machine weighs on all alike. A marker counts as found by an engine
when an alert with its sid comes from its session (the client address and
port in src or dest).
"""
import argparse
import collections
import ipaddress
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

SURI = "/usr/bin/suricata"
SURI_CONF = "/etc/suricata/suricata.yaml"
MAILTAP_L4L = ["--file-hash", "none", "--no-file-magic", "--email-md5", "none"]


def norm(ip):
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return ip


def parse_client(s):
    if s.startswith("["):
        ip, port = s[1:].split("]:")
    else:
        ip, port = s.rsplit(":", 1)
    return norm(ip), int(port)


def run(cmd, outdir):
    if os.path.isdir(outdir):
        shutil.rmtree(outdir)
    os.makedirs(outdir)
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.monotonic() - t0
    with open(os.path.join(outdir, "cmd.txt"), "w") as f:
        f.write(" ".join(cmd) + "\n")
    with open(os.path.join(outdir, "stderr.txt"), "wb") as f:
        f.write(p.stderr)
    with open(os.path.join(outdir, "stdout.txt"), "wb") as f:
        f.write(p.stdout)
    if p.returncode != 0:
        print("!! exit %d: %s\n%s" % (p.returncode, " ".join(cmd), p.stderr.decode()[-2000:]))
    return dt


def alerts(eve):
    out = []
    if not os.path.exists(eve):
        return out
    with open(eve) as f:
        for line in f:
            if '"alert"' not in line:
                continue
            ev = json.loads(line)
            if ev.get("event_type") != "alert":
                continue
            out.append((ev["alert"]["signature_id"], norm(ev.get("src_ip", "")), ev.get("src_port"),
                        norm(ev.get("dest_ip", "")), ev.get("dest_port")))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--markers", required=True)
    ap.add_argument("--rules", required=True)
    ap.add_argument("--decoys")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--mailtap", default="build-bench/sensor/mailtap")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--no-l4l", action="store_true",
                    help="skip the like-for-like mailtap runs (warm and first start)")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    pcap, rules = os.path.abspath(a.pcap), os.path.abspath(a.rules)

    markers = {}
    with open(a.markers) as f:
        for line in f:
            if line.startswith("#"):
                continue
            c = line.rstrip("\n").split("\t")
            markers[int(c[3])] = dict(planted=c[0], kind=c[1], client=parse_client(c[2]),
                                      clienttxt=c[2], form=c[4], port=c[5], session=c[6], how=c[7])
    decoys = {}
    if a.decoys and os.path.exists(a.decoys):
        with open(a.decoys) as f:
            for line in f:
                s, d = line.rstrip("\n").split("\t")
                decoys[int(s)] = d

    # mailtap must load every rule
    tr = subprocess.run([a.mailtap, "--test-rules", "-S", rules], stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True)
    print("mailtap --test-rules: %s" % tr.stdout.strip())
    if tr.stderr.strip():
        print("  skipped:\n  " + tr.stderr.strip().replace("\n", "\n  "))

    engines = collections.OrderedDict()
    nruns = 1 if a.no_timing else a.runs
    times = collections.defaultdict(list)

    def suri(name, extra, runs):
        for i in range(runs):
            d = os.path.join(a.workdir, name)
            times[name].append(run([SURI, "-c", SURI_CONF, "--runmode", "single", "-k", "none",
                                    "-r", pcap, "-S", rules, "-l", d] + extra, d))
        engines[name] = os.path.join(a.workdir, name, "eve.json")

    def mtap(name, extra, runs):
        for i in range(runs):
            d = os.path.join(a.workdir, name)
            times[name].append(run([a.mailtap, "-q", "-r", pcap, "-S", rules, "-l", d] + extra, d))
        engines[name] = os.path.join(a.workdir, name, "eve.json")

    # One heavy job at a time, the engines alternating within each
    # repetition, so that a machine getting busier or quieter during the
    # check weighs on all of them alike (as benchmarks/run does).
    for i in range(nruns):
        suri("suricata", [], 1)
        mtap("mailtap", [], 1)
        if not a.no_l4l:
            mtap("mailtap_l4l", MAILTAP_L4L, 1)
            mtap("mailtap_l4l_cold", MAILTAP_L4L + ["--rules-cache", "none"], 1)
    suri("suricata_depth0", ["--set", "stream.reassembly.depth=0"], 1)
    order = ["suricata", "suricata_depth0", "mailtap", "mailtap_l4l", "mailtap_l4l_cold"]
    for n in sorted(engines, key=lambda n: order.index(n) if n in order else len(order)):
        engines.move_to_end(n)

    # suricata rule load check
    slog = os.path.join(a.workdir, "suricata", "suricata.log")
    if os.path.exists(slog):
        for line in open(slog):
            if "rules successfully loaded" in line or "failed" in line.lower() and "rule" in line.lower():
                print("suricata: " + line.strip())

    found = {}
    strays = {}
    decoy_hits = {}
    unknown = {}
    for name, eve in engines.items():
        hit = collections.defaultdict(int)
        st = collections.Counter()
        dh = collections.Counter()
        un = collections.Counter()
        for sid, sip, sp, dip, dp in alerts(eve):
            if sid in markers:
                cl = markers[sid]["client"]
                if (sip, sp) == cl or (dip, dp) == cl:
                    hit[sid] += 1
                else:
                    st[sid] += 1
            elif sid in decoys or sid >= 3200000:
                dh[sid] += 1
            else:
                un[sid] += 1
        found[name], strays[name], decoy_hits[name], unknown[name] = hit, st, dh, un

    names = list(engines)
    kinds = ["raw", "raw_starttls", "file.data", "file.name"]
    print()
    print("%-14s %8s " % ("buffer", "planted") + " ".join("%16s" % n for n in names))
    tot = collections.Counter()
    for k in kinds:
        sids = [s for s in markers if markers[s]["kind"] == k]
        row = "%-14s %8d " % (k, len(sids))
        for n in names:
            c = sum(1 for s in sids if s in found[n])
            tot[n] += c
            row += "%16d" % c + " "
        print(row)
    print("%-14s %8d " % ("total", len(markers)) + " ".join("%16d" % tot[n] for n in names))

    if not a.no_timing:
        print()
        med = {n: statistics.median(times[n]) for n in times}
        for n in times:
            print("time %-16s %s  median %.2fs" % (n, " ".join("%.2f" % t for t in times[n]), med[n]))
        print("ratio suricata(stock)/mailtap: %.2fx" % (med["suricata"] / med["mailtap"]))
        for n in ("mailtap_l4l", "mailtap_l4l_cold"):
            if n in med:
                print("ratio suricata(stock)/%s: %.2fx" % (n, med["suricata"] / med[n]))

    def desc(s):
        m = markers[s]
        return "sid %d %-10s %-12s %-24s session %-4s %-26s %s" % (
            s, m["kind"], m["form"], m["planted"], m["session"], m["clienttxt"], m["how"])

    suri_any = set(found["suricata"]) | set(found["suricata_depth0"])
    for mt in [n for n in names if n.startswith("mailtap")]:
        miss = sorted(s for s in suri_any if s not in found[mt])
        print("\n== Suricata found, %s missed: %d" % (mt, len(miss)))
        for s in miss:
            print("  " + desc(s))
    print("\n== mailtap found, Suricata (stock and depth0) missed: %d" %
          len([s for s in found["mailtap"] if s not in suri_any]))
    byplace = collections.Counter()
    for s in sorted(found["mailtap"]):
        if s not in suri_any:
            byplace[(markers[s]["kind"], markers[s]["how"].split(";")[0])] += 1
    for (k, p), c in sorted(byplace.items()):
        print("  %-10s %-24s %d" % (k, p, c))
    print("\n== stock Suricata missed, depth0 found: %d" %
          len(set(found["suricata_depth0"]) - set(found["suricata"])))
    print("== planted, found by no engine: %d" % len([s for s in markers if not any(s in found[n] for n in names)]))
    for s in sorted(markers):
        if not any(s in found[n] for n in names):
            print("  " + desc(s))
    for n in names:
        if strays[n]:
            print("\n== %s: marker alerts from another session: %s" % (n, dict(strays[n])))
        if decoy_hits[n]:
            print("\n== %s: DECOY alerts (false positives): %d rules" % (n, len(decoy_hits[n])))
            for s, c in sorted(decoy_hits[n].items()):
                print("  sid %d x%d %s" % (s, c, decoys.get(s, "?")))
        if unknown[n]:
            print("\n== %s: other alerts: %s" % (n, dict(unknown[n])))
    dup = {n: sum(1 for s, c in found[n].items() if c > 1) for n in names}
    print("\nmarkers alerted more than once: %s" % dup)
    with open(os.path.join(a.workdir, "found.json"), "w") as f:
        json.dump({n: sorted(found[n]) for n in names}, f)


if __name__ == "__main__":
    main()
