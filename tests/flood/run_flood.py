#!/usr/bin/env python3
"""Flood tests: a sensor under a SYN flood and an out-of-order storm.

Generates (tests/tools/gen_flood) a capture with a million half-open
connections and one with an out-of-order segment storm, each with real SMTP
sessions spread over the whole flood, runs mailtap on them with the default
caps and with small ones, and checks from mailtap's own stats that

  - the flow table never held more than --max-flows flows, and the bytes
    held out of order never more than stream.max-ooo-bytes (the peaks);
  - every flood flow was counted (created, evicted, refused or dropped),
    none lost silently;
  - every real session was reconstructed whole (COMPLETE, its sender).

The peak resident memory of each run (wait4: that mailtap process alone)
is printed, and bounded loosely (it includes the capture's mapped pages):
the figures for benchmarks/RESULTS.md come from here.

  run_flood.py --mailtap BUILD/sensor/mailtap --gen BUILD/tests/tools/gen_flood
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

SESSIONS = 20
CONCURRENT = 5000


def run(mailtap, pcap, logdir, extra):
    """Run mailtap on pcap; its events and the peak RSS (MiB) of that child
    alone (wait4 on its pid, as benchmarks/run_rules's run_measured())."""
    os.makedirs(logdir, exist_ok=True)
    # meson sets MALLOC_PERTURB_, which writes every allocated byte: the
    # pools reserved at start-up (touched only as used) would all count as
    # resident. Measured without it, as the sensor runs.
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_PERTURB_"}
    p = subprocess.Popen([mailtap, "-q", "-r", pcap, "-l", logdir] + extra,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    # read stderr before reaping, so a chatty child cannot block on the pipe
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"mailtap failed ({p.returncode}): {err}")
    events = [json.loads(l) for l in open(os.path.join(logdir, "eve.json"))]
    return events, ru.ru_maxrss // 1024


NO_RSS_BOUND = False


def check(name, events, rss_mb, max_flows, max_ooo, rss_bound, problems):
    stats = [e for e in events if e["event_type"] == "stats"][-1]
    r = stats["mailtap"]["reassembly"]
    lim = stats["mailtap"]["limits"]
    sessions = [e for e in events if e["event_type"] == "smtp"
                and e.get("smtp", {}).get("mail_from", "").startswith("<sender")]
    complete = [e for e in sessions if e["mailtap"]["smtp"]["state"] == "COMPLETE"]
    print(f"{name}: flows created {r['flows_created']}, evicted {r['flows_evicted']}, "
          f"no_memory {r['flows_no_memory']}, ooo peak {r['ooo_bytes_peak']} "
          f"(cap {lim['max_ooo_bytes']}), ooo dropped "
          f"{r['ooo_drop_flow_cap'] + r['ooo_drop_total_cap']}, sessions "
          f"{len(complete)}/{SESSIONS} complete, peak RSS {rss_mb} MiB")
    if lim["max_flows"] != max_flows or lim["max_ooo_bytes"] != max_ooo:
        problems.append(f"{name}: limits in force {lim} are not the ones set")
    if r["ooo_bytes_peak"] > max_ooo:
        problems.append(f"{name}: held {r['ooo_bytes_peak']} bytes out of order, cap {max_ooo}")
    if r["flows_created"] - r["flows_evicted"] - r["flows_closed"] - r["flows_timeout"] \
            - r["flows_shutdown"] != r["flows_active"]:
        problems.append(f"{name}: flow accounting does not add up: {r}")
    if len(complete) != SESSIONS:
        problems.append(f"{name}: {len(complete)} of {SESSIONS} sessions reconstructed")
    if rss_mb > rss_bound and not NO_RSS_BOUND:
        problems.append(f"{name}: peak RSS {rss_mb} MiB over {rss_bound} MiB")
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mailtap", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--syn", type=int, default=1000000)
    ap.add_argument("--ooo", type=int, default=100000)
    ap.add_argument("--big-syn", type=int, default=4000000,
                    help="SYNs in the capture larger than memory may hold")
    ap.add_argument("--no-rss-bound", action="store_true",
                    help="sanitizer builds: report RSS, do not bound it")
    a = ap.parse_args()
    global NO_RSS_BOUND
    NO_RSS_BOUND = a.no_rss_bound
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        syn = os.path.join(tmp, "syn.pcap")
        ooo = os.path.join(tmp, "ooo.pcap")
        subprocess.run([a.gen, "-o", syn, "--mode", "syn", "--count", str(a.syn),
                        "--sessions", str(SESSIONS)], check=True)
        subprocess.run([a.gen, "-o", ooo, "--mode", "ooo", "--count", str(a.ooo),
                        "--sessions", str(SESSIONS)], check=True)
        # N sessions open at once, each mid-message: each holds 5 parser
        # blocks (README, memory per session), so 5 N blocks hold them all
        # and 4 N do not (the shortfall counted, never silent)
        conc = os.path.join(tmp, "conc.pcap")
        n = CONCURRENT
        subprocess.run([a.gen, "-o", conc, "--mode", "sessions", "--count", str(n),
                        "--phase", "data"], check=True)
        for blocks, enough in ((5 * n + 64, True), (4 * n, False)):
            ev, _ = run(a.mailtap, conc, os.path.join(tmp, f"c{blocks}"),
                        ["--max-flows", str(2 * n), "--parser-blocks", str(blocks)])
            pools = [e for e in ev if e["event_type"] == "stats"][-1]["mailtap"]["pools"]
            logged = len([e for e in ev if e["event_type"] == "smtp"])
            print(f"{n} concurrent sessions mid-message, {blocks} parser blocks: app flows "
                  f"peak {pools['app_flows']['peak']}, blocks peak {pools['blocks']['peak']}, "
                  f"exhausted {pools['blocks']['exhausted']}, smtp events {logged}")
            if pools["app_flows"]["peak"] != n or logged != n:
                problems.append(f"concurrent sessions: {pools['app_flows']['peak']} tracked, "
                                f"{logged} logged, of {n}")
            if enough != (pools["blocks"]["exhausted"] == 0):
                problems.append(f"concurrent sessions, {blocks} blocks: exhausted "
                                f"{pools['blocks']['exhausted']}")
        # small caps first, then the defaults
        small = ["--max-flows", "4096", "--set", "stream.max-ooo-bytes=4194304"]
        ev, rss = run(a.mailtap, syn, os.path.join(tmp, "1"), small)
        r = check("syn flood, 4096 flows", ev, rss, 4096, 4194304, 256, problems)
        if r["flows_evicted"] + r["flows_no_memory"] < a.syn - 4096:
            problems.append("syn flood: the flood did not fill the flow table")
        ev, rss = run(a.mailtap, ooo, os.path.join(tmp, "2"), small)
        r = check("ooo storm, 4 MiB", ev, rss, 4096, 4194304, 256, problems)
        if r["ooo_drop_total_cap"] + r["ooo_drop_flow_cap"] == 0:
            problems.append("ooo storm: the storm did not reach the cap")
        ev, rss = run(a.mailtap, syn, os.path.join(tmp, "3"), [])
        check("syn flood, defaults", ev, rss, 65536, 64 << 20, 512, problems)
        ev, rss = run(a.mailtap, ooo, os.path.join(tmp, "4"), [])
        check("ooo storm, defaults", ev, rss, 65536, 64 << 20, 512, problems)
        # A capture much larger than what mailtap may keep of it: the pages
        # of the mapped file are given back behind the reader (by the pager
        # thread, for a file this size), so peak RSS stays far below the
        # file's size, and the sessions at its end are still whole.
        big = os.path.join(tmp, "big.pcap")
        subprocess.run([a.gen, "-o", big, "--mode", "syn", "--count", str(a.big_syn),
                        "--sessions", str(SESSIONS)], check=True)
        size_mb = os.path.getsize(big) >> 20
        ev, rss = run(a.mailtap, big, os.path.join(tmp, "5"), small)
        check(f"syn flood, {size_mb} MiB file", ev, rss, 4096, 4194304, 128, problems)
        os.unlink(big)
        if size_mb < 2 * 128:
            problems.append(f"big file: {size_mb} MiB is not large enough to show anything")
    for p in problems:
        print("FAIL " + p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
