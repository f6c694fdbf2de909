#!/usr/bin/env python3
"""Rule reload while capturing: SIGHUP swaps the rules between packets.

mailtap reads a FIFO (-r FIFO) that this script writes a capture into in
parts; between parts it rewrites the rules file and sends SIGHUP, then waits
for mailtap's "rules reloaded" (or "rules reload failed") line on stderr.
The capture is made with mtpcap from transcripts written here: one SMTP
session per marker, and sessions cut in two at their DATA command so that
they span a reload. Record timestamps are rewritten to rise through the
parts in the order they are sent.

Each part is known to be processed before the next step: mailtap writes its
buffered events out when the FIFO has been quiet for a moment, after it has
processed everything sent, so the script waits for the smtp events of the
part's last complete session in eve.json.

Scenarios (each checks alerts per session from eve.json, and the stats):

  swap    part 1 (old rules: alpha, bravo r1, delta), reload (bravo r2,
          charlie), part 2. Part-1 sessions alert per the old rules, part-2
          sessions per the new; a session opened in part 1 and finished in
          part 2 alerts per the OLD rules, including a rule whose two
          conditions matched on either side of the reload (its partial
          match survived). Every packet is counted (none dropped).
  broken  a rules file with no loadable rule, a missing one and an empty
          one: three reloads refused with their reasons; the old rules
          still fire afterwards.
  twice   two reloads while a session is open on the first rules: the
          second closes its signature state (reload_flows_reset 1); the
          rest of that transaction is not inspected, its next transaction
          is, on the newest rules.

  run_reload.py --mailtap BUILD/sensor/mailtap --mtpcap BUILD/tests/tools/mtpcap
Exit status: 0 pass, 1 fail.
"""
import argparse
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

WAIT = float(os.environ.get("RELOAD_TEST_WAIT", "60"))  # seconds, per step

RULE = ('alert smtp any any -> any any (msg:"{msg}"; flow:established,to_server; '
        '{opts}; sid:{sid}; rev:{rev};)\n')
ALPHA = RULE.format(msg="alpha", opts='content:"marker-alpha"', sid=1001, rev=1)
BRAVO1 = RULE.format(msg="bravo", opts='content:"marker-bravo"', sid=1002, rev=1)
BRAVO2 = RULE.format(msg="bravo v2", opts='content:"marker-bravo"', sid=1002, rev=2)
CHARLIE = RULE.format(msg="charlie", opts='content:"marker-charlie"', sid=1003, rev=1)
# Two conditions in one transaction: the envelope and the message.
DELTA = RULE.format(msg="delta", opts='smtp.mail_from; content:"spanner@"; smtp.data; '
                    'content:"marker-delta"', sid=1004, rev=1)


def transaction(sender, body):
    return [f"C: MAIL FROM:<{sender}>", "S: 250 2.1.0 Ok",
            "C: RCPT TO:<rcpt@example.net>", "S: 250 2.1.5 Ok",
            "C: DATA", "S: 354 go ahead",
            "C: Subject: reload test", "C:"] + [f"C: {b}" for b in body] + \
           ["C: .", "S: 250 2.0.0 Ok: queued as Q1"]


def session(port, txs):
    """One SMTP session from 10.0.0.1:port; txs: [(sender, [body lines])]."""
    lines = ["@session", f"@client 10.0.0.1:{port}",
             "S: 220 mx.example ESMTP", "C: EHLO client.example", "S: 250 mx.example"]
    for sender, body in txs:
        lines += transaction(sender, body)
    return lines + ["C: QUIT", "S: 221 2.0.0 Bye"]


def make_pcap(mtpcap, tmp, name, sessions):
    txn = os.path.join(tmp, name + ".txn")
    pcap = os.path.join(tmp, name + ".pcap")
    lines = ["@server 10.0.0.2:25"]
    for s in sessions:
        lines += s
    lines[1:2] = []  # the first "@session": nothing to end yet
    with open(txn, "w") as f:
        f.write("\n".join(lines) + "\n")
    r = subprocess.run([mtpcap, "-o", pcap, txn], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"mtpcap failed: {r.stderr}")
    with open(pcap, "rb") as f:
        data = f.read()
    if struct.unpack("<I", data[:4])[0] != 0xa1b2c3d4:
        raise SystemExit("expected a little-endian microsecond pcap from mtpcap")
    header, recs, pos = data[:24], [], 24
    while pos < len(data):
        caplen = struct.unpack("<I", data[pos + 8:pos + 12])[0]
        recs.append(data[pos:pos + 16 + caplen])
        pos += 16 + caplen
    return header, recs


def tcp_of(rec):
    """(client port, payload) of an Ethernet/IPv4/TCP record."""
    frame = rec[16:]
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    tcp = ip[ihl:]
    sport, dport = struct.unpack("!HH", tcp[:4])
    off = (tcp[12] >> 4) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    return (sport if dport == 25 else dport), bytes(tcp[off:total - ihl])


def split(recs, port, at=b"DATA\r\n"):
    """The records of session `port` before and from its first client
    segment starting with `at`, and the other records."""
    mine = [r for r in recs if tcp_of(r)[0] == port]
    rest = [r for r in recs if tcp_of(r)[0] != port]
    for i, r in enumerate(mine):
        if tcp_of(r)[1].startswith(at):
            return mine[:i], mine[i:], rest
    raise SystemExit(f"session {port}: no segment starting with {at!r}")


def of_port(recs, *ports):
    return [r for r in recs if tcp_of(r)[0] in ports]


def retime(parts):
    """Rewrite timestamps: 1 ms apart, in the order the parts are sent, and
    each part 20 s after the one before: past the 10 s a closed flow is
    kept, so the sessions that ended in a part are gone in the next (only
    the open ones hold the rules they started on)."""
    t, out = 1700000000 * 1000000, []
    for part in parts:
        t += 20 * 1000000
        o = []
        for r in part:
            o.append(struct.pack("<II", t // 1000000, t % 1000000) + r[8:])
            t += 1000
        out.append(o)
    return out


class Sensor:
    """mailtap reading a FIFO, its stderr collected line by line."""

    def __init__(self, mailtap, tmp, rules, extra=()):
        self.fifo = os.path.join(tmp, "capture.fifo")
        self.logdir = os.path.join(tmp, "log")
        os.makedirs(self.logdir, exist_ok=True)
        os.mkfifo(self.fifo)
        self.proc = subprocess.Popen([mailtap, "-r", self.fifo, "-S", rules, "-l", self.logdir]
                                     + list(extra), stderr=subprocess.PIPE, text=True)
        self.lines, self.cv = [], threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.fd = None
        deadline = time.time() + WAIT
        while self.fd is None:
            # Non-blocking open: fails (ENXIO) until mailtap has opened
            # its end, i.e. once its rules are loaded; then blocking writes.
            try:
                self.fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise SystemExit(f"mailtap did not open the FIFO:\n{self.stderr()}")
                time.sleep(0.02)
        os.set_blocking(self.fd, True)

    def _read(self):
        for line in self.proc.stderr:
            with self.cv:
                self.lines.append(line.rstrip("\n"))
                self.cv.notify_all()

    def stderr(self):
        with self.cv:
            return "\n".join(self.lines)

    def send(self, recs):
        os.write(self.fd, b"".join(recs))

    def wait_line(self, prefix, after):
        """The first stderr line starting with prefix, past line `after`."""
        deadline = time.time() + WAIT
        with self.cv:
            while True:
                for line in self.lines[after:]:
                    if line.startswith(prefix):
                        return line
                left = deadline - time.time()
                if left <= 0 or self.proc.poll() is not None:
                    raise SystemExit(f"no stderr line '{prefix}...'; stderr:\n"
                                     + "\n".join(self.lines))
                self.cv.wait(min(left, 0.5))

    def mark(self):
        with self.cv:
            return len(self.lines)

    def reload(self, rules_path, text, expect):
        """Replace the rules (text None: remove the file), SIGHUP, and
        wait for the line saying how the reload went."""
        if text is None:
            os.unlink(rules_path)
        else:
            # As an operator would: a new file renamed over the old.
            with open(rules_path + ".new", "w") as f:
                f.write(text)
            os.rename(rules_path + ".new", rules_path)
        n = self.mark()
        self.proc.send_signal(signal.SIGHUP)
        return self.wait_line(expect, n)

    def events(self):
        path = os.path.join(self.logdir, "eve.json")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            text = f.read()
        # Only whole lines: the sensor may be writing.
        return [json.loads(l) for l in text.split("\n")[:-1] if l]

    def wait_smtp(self, ports):
        """Until eve.json holds an smtp event of each session in ports."""
        deadline = time.time() + WAIT
        while True:
            seen = {client_port(e) for e in self.events() if e.get("event_type") == "smtp"}
            if set(ports) <= seen:
                return
            if time.time() > deadline or self.proc.poll() is not None:
                raise SystemExit(f"no smtp events of sessions {sorted(set(ports) - seen)} "
                                 f"in eve.json; stderr:\n{self.stderr()}")
            time.sleep(0.05)

    def finish(self):
        os.close(self.fd)
        try:
            rc = self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise SystemExit("mailtap did not end after the FIFO was closed")
        time.sleep(0.05)  # the stderr reader's last lines
        return rc, self.events()


def client_port(ev):
    return ev["src_port"] if ev.get("dest_port") == 25 else ev.get("dest_port")


def alerts_by_session(events):
    out = {}
    for e in events:
        if e.get("event_type") == "alert":
            out.setdefault(client_port(e), set()).add(
                (e["alert"]["signature_id"], e["alert"]["rev"]))
    return out


def stats_of(events):
    st = [e for e in events if e.get("event_type") == "stats"]
    return st[-1] if st else None


def check(name, got, want, problems):
    if got != want:
        problems.append(f"{name}: got {got!r}, want {want!r}")


def check_sig_stats(scenario, events, want, problems):
    """The last stats event's mailtap.signatures counters against want
    (name -> value); that stats event, or None (a problem) when there is
    none."""
    st = stats_of(events)
    if not st:
        problems.append(f"{scenario}: no stats event")
        return None
    sig = st["mailtap"]["signatures"]
    for name, value in want.items():
        check(f"{scenario}: {name}", sig.get(name), value, problems)
    return st


def check_alerts(events, want, problems):
    got = alerts_by_session(events)
    for port, w in sorted(want.items()):
        check(f"alerts of session {port}", sorted(got.get(port, set())), sorted(w), problems)


def scenario_swap(a, tmp, problems):
    rules = os.path.join(tmp, "test.rules")
    with open(rules, "w") as f:
        f.write(ALPHA + BRAVO1 + DELTA)
    header, recs = make_pcap(a.mtpcap, tmp, "swap", [
        session(41001, [("a@example.org", ["alpha: marker-alpha"])]),
        session(41002, [("b@example.org", ["bravo: marker-bravo"])]),
        session(41003, [("c@example.org", ["charlie: marker-charlie"])]),
        # Opened under the old rules, its message sent under the new.
        session(41004, [("spanner@example.org",
                         ["marker-alpha marker-bravo marker-charlie marker-delta"])]),
        session(41005, [("a@example.org", ["alpha: marker-alpha"])]),
        session(41006, [("b@example.org", ["bravo: marker-bravo"])]),
        session(41007, [("c@example.org", ["charlie: marker-charlie"])]),
        session(41008, [("spanner@example.org", ["marker-delta"])]),
    ])
    span1, span2, others = split(recs, 41004)
    part1, part2 = retime([of_port(others, 41001, 41002, 41003) + span1,
                           span2 + of_port(others, 41005, 41006, 41007, 41008)])

    s = Sensor(a.mailtap, tmp, rules)
    s.send([header] + part1)
    s.wait_smtp([41001, 41002, 41003])
    line = s.reload(rules, BRAVO2 + CHARLIE, "mailtap: rules reload")
    if not line.startswith("mailtap: rules reloaded: loaded 2, skipped 0 (compiled in "):
        problems.append(f"swap: reload line: {line!r}")
    s.send(part2)
    rc, events = s.finish()
    check("swap: exit code", rc, 0, problems)

    check_alerts(events, {
        41001: {(1001, 1)}, 41002: {(1002, 1)}, 41003: set(),
        # Spans the reload: the old rules, delta's partial match kept.
        41004: {(1001, 1), (1002, 1), (1004, 1)},
        41005: set(), 41006: {(1002, 2)}, 41007: {(1003, 1)}, 41008: set(),
    }, problems)
    st = check_sig_stats("swap", events, {"reloads": 1, "reload_failures": 0,
                                          "reload_flows_reset": 0, "rules_generation": 2},
                         problems)
    if not st:
        return
    sig = st["mailtap"]["signatures"]
    # Summed over both generations' threads: every alert is there.
    check("swap: signatures.alerts", sig.get("alerts"), st["stats"]["detect"]["alert"], problems)
    check("swap: packets read", st["mailtap"]["capture"]["packets"], len(recs), problems)
    check("swap: packets decoded", st["stats"]["decoder"]["pkts"], len(recs), problems)
    done = [e for e in events if e.get("event_type") == "smtp"
            and e["mailtap"]["smtp"]["state"] == "COMPLETE"]
    check("swap: complete sessions", len(done), 8, problems)


def scenario_broken(a, tmp, problems):
    rules = os.path.join(tmp, "test.rules")
    with open(rules, "w") as f:
        f.write(ALPHA)
    header, recs = make_pcap(a.mtpcap, tmp, "broken", [
        session(42001, [("a@example.org", ["alpha: marker-alpha"])]),
        session(42002, [("a@example.org", ["alpha: marker-alpha marker-charlie"])]),
    ])
    part1, part2 = retime([of_port(recs, 42001), of_port(recs, 42002)])

    s = Sensor(a.mailtap, tmp, rules)
    s.send([header] + part1)
    s.wait_smtp([42001])
    fail = "mailtap: rules reload failed, keeping the old rules: "
    for text, why in [
            (ALPHA.replace("content:", "nosuchoption; content:") +
             CHARLIE.replace("content:", "nosuchoption2:1; content:"),
             "no rule could be loaded from " + rules + " (2 skipped, reasons above)"),
            (None, rules + ": cannot read rules: No such file or directory"),
            ("# every rule commented out\n# " + CHARLIE,
             "no rule could be loaded from " + rules + " (no rules in them)")]:
        line = s.reload(rules, text, "mailtap: rules reload")
        check("broken: reload line", line, fail + why, problems)
    s.send(part2)
    rc, events = s.finish()
    check("broken: exit code", rc, 0, problems)
    # The rules that were in force before the failed reloads still fire.
    check_alerts(events, {42001: {(1001, 1)}, 42002: {(1001, 1)}}, problems)
    check_sig_stats("broken", events, {"reloads": 0, "reload_failures": 3,
                                       "rules_generation": 1}, problems)
    if "unsupported option 'nosuchoption'" not in s.stderr():
        problems.append(f"broken: the skipped rule's reason is not on stderr:\n{s.stderr()}")


def scenario_twice(a, tmp, problems):
    rules = os.path.join(tmp, "test.rules")
    with open(rules, "w") as f:
        f.write(ALPHA + DELTA)
    header, recs = make_pcap(a.mtpcap, tmp, "twice", [
        session(43001, [("y@example.org", ["nothing to see"])]),
        # Transaction 1 spans both reloads; transaction 2 comes after.
        session(43002, [("spanner@example.org", ["marker-alpha marker-delta"]),
                        ("x@example.org", ["marker-alpha marker-charlie"])]),
        session(43003, [("b@example.org", ["marker-bravo"])]),
        session(43004, [("z@example.org", ["marker-alpha marker-bravo marker-charlie"])]),
    ])
    span1, span2, others = split(recs, 43002)
    part1, part2, part3 = retime([of_port(others, 43001) + span1, of_port(others, 43003),
                                  span2 + of_port(others, 43004)])

    s = Sensor(a.mailtap, tmp, rules)
    s.send([header] + part1)
    s.wait_smtp([43001])
    s.reload(rules, ALPHA + BRAVO1 + DELTA, "mailtap: rules reloaded")
    # A session on the second rules: the worker has moved to them.
    s.send(part2)
    s.wait_smtp([43003])
    s.reload(rules, ALPHA + BRAVO1 + CHARLIE, "mailtap: rules reloaded")
    s.send(part3)
    rc, events = s.finish()
    check("twice: exit code", rc, 0, problems)
    check_alerts(events, {
        43001: set(),
        # Transaction 1: state closed by the second reload, not inspected
        # further (no alpha, no delta); transaction 2: the newest rules.
        43002: {(1001, 1), (1003, 1)},
        43003: {(1002, 1)},
        43004: {(1001, 1), (1002, 1), (1003, 1)},
    }, problems)
    tx_alerts = sorted(e.get("tx_id", -1) for e in events
                       if e.get("event_type") == "alert" and client_port(e) == 43002)
    check("twice: tx_id of session 43002's alerts", tx_alerts, [1, 1], problems)
    st = check_sig_stats("twice", events, {"reloads": 2, "reload_flows_reset": 1,
                                           "rules_generation": 3}, problems)
    if not st:
        return
    sig = st["mailtap"]["signatures"]
    # Closing the state reports nothing: no alert was raised and dropped.
    check("twice: signatures.alerts", sig.get("alerts"), st["stats"]["detect"]["alert"], problems)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mailtap", required=True)
    ap.add_argument("--mtpcap", required=True)
    ap.add_argument("--only", help="run one scenario: swap, broken, twice")
    a = ap.parse_args()
    scenarios = {"swap": scenario_swap, "broken": scenario_broken, "twice": scenario_twice}
    failed = 0
    for name, fn in scenarios.items():
        if a.only and a.only != name:
            continue
        problems = []
        with tempfile.TemporaryDirectory(prefix=f"mailtap-reload-{name}-") as tmp:
            try:
                fn(a, tmp, problems)
            except SystemExit as e:
                problems.append(str(e))
        for p in problems:
            print(f"{name}: FAIL: {p}")
        print(f"{name}: {'FAIL' if problems else 'ok'}")
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
