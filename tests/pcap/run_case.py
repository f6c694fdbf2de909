#!/usr/bin/env python3
"""Run one pcap integration case and check mailtap's events field by field.

A case is a folder with a test.yaml (the format mirrors suricata-verify's):

    pcap: input.pcap                # or ${CORPUS}/suricata-verify/x/input.pcap
    transcript: session.txn         # instead of pcap: written with mtpcap
    transcript-prepend: ["@segment 1"]  # options overriding the transcript's own
    rules: test.rules               # optional, passed with -S
    args: ["--smtp-ports", "25"]    # optional extra arguments (${CASE}: the case's
                                    # folder; ${CORPUS}: ../shared/corpus)
    checks-from: ../x/checks.yaml   # optional: shared checks (added to checks)
    skip: "reason"                  # optional: the case is skipped
    exit-code: 0                    # optional, default 0
    stderr: ["regex", ...]          # optional: each must match stderr
    stdout: ["regex", ...]          # optional: each must match stdout
    absent: ["string", ...]         # optional: none may occur in eve.json
    checks:
      - filter:
          count: 1                  # exact number of matching events
          match:
            event_type: smtp
            smtp.rcpt_to[0]: <b@example.org>
            mailtap.smtp.state: COMPLETE
      - stats:                      # the last stats event
          decoder.pkts: 60

`absent` lists strings (a password, its base64 forms) that must not occur
anywhere in the raw text of eve.json: each is searched for as written, in
every event, key and value, JSON escapes not decoded, so list strings made
of characters JSON writes as themselves (no quote, backslash, control
character or non-ASCII). A case whose only checks are `absent` strings is
refused like one with no checks: absence alone cannot show that the events
were written at all.

Every event is also validated against Suricata's EVE schema
(../shared/schemas) when it and python3-jsonschema are present; mailtap's
own top-level `mailtap` object is the one documented extension allowed.

Exit status: 0 pass, 1 fail, 77 skip (meson's convention).
With --regen, prints the events so expectations can be reviewed/written.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

SKIP = 77
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("MAILTAP_CORPUS", os.path.join(os.path.dirname(ROOT), "shared", "corpus"))
SCHEMA = os.environ.get("MAILTAP_SCHEMA", os.path.join(os.path.dirname(ROOT), "shared", "schemas",
                                                       "suricata-eve.schema.json"))

_validator = None


def validator():
    """Suricata's schema plus mailtap's documented extension object."""
    global _validator
    if _validator is None:
        _validator = False
        try:
            import jsonschema
        except ImportError:
            return None
        if os.path.exists(SCHEMA):
            with open(SCHEMA) as f:
                schema = json.load(f)
            schema["properties"]["mailtap"] = {"type": "object"}
            cls = jsonschema.validators.validator_for(schema)
            _validator = cls(schema)
    return _validator or None


def lookup(ev, path):
    """Resolve 'a.b[0].c' in an event; returns (found, value)."""
    cur = ev
    for part in path.split("."):
        m = re.fullmatch(r"([^\[\]]+)((?:\[\d+\])*)", part)
        if not m:
            return False, None
        key, idx = m.group(1), m.group(2)
        if not isinstance(cur, dict) or key not in cur:
            return False, None
        cur = cur[key]
        for i in re.findall(r"\[(\d+)\]", idx):
            i = int(i)
            if not isinstance(cur, list) or i >= len(cur):
                return False, None
            cur = cur[i]
    return True, cur


def equal(got, want):
    """want may be a value, or {min: a, max: b} for a numeric range."""
    if isinstance(want, dict) and set(want) <= {"min", "max"} and want:
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return False
        return want.get("min", got) <= got <= want.get("max", got)
    return got == want


def matches(ev, match):
    for path, want in match.items():
        if path.startswith("has-key"):
            found, _ = lookup(ev, want)
            if not found:
                return False
            continue
        found, got = lookup(ev, path)
        if not found or not equal(got, want):
            return False
    return True


def near_misses(events, match):
    """Events of the same type, with the fields that differ: the failure report."""
    out = []
    et = match.get("event_type")
    for ev in events:
        if et and ev.get("event_type") != et:
            continue
        diffs = []
        for path, want in match.items():
            found, got = lookup(ev, path)
            if not found:
                diffs.append(f"{path}: missing (want {want!r})")
            elif not equal(got, want):
                diffs.append(f"{path}: {got!r} (want {want!r})")
        out.append(diffs)
    return out


def expand(value, case_dir):
    if "${CORPUS}" in value:
        if not os.path.isdir(CORPUS):
            raise FileNotFoundError("corpus")
        return value.replace("${CORPUS}", CORPUS)
    return os.path.join(case_dir, value)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mailtap", required=True)
    ap.add_argument("--mtpcap", required=True)
    ap.add_argument("--regen", action="store_true")
    ap.add_argument("case")
    a = ap.parse_args()

    case = os.path.abspath(a.case)
    with open(os.path.join(case, "test.yaml")) as f:
        spec = yaml.safe_load(f)
    name = os.path.relpath(case, os.path.join(ROOT, "tests", "pcap"))
    if "checks-from" in spec:
        # Several cases share one conversation and so one set of checks.
        with open(os.path.join(case, spec["checks-from"])) as f:
            spec["checks"] = yaml.safe_load(f)["checks"] + spec.get("checks", [])
    if spec.get("skip"):
        print(f"{name}: skipped: {spec['skip']}")
        return SKIP

    with tempfile.TemporaryDirectory(prefix="mailtap-case-") as tmp:
        try:
            if "transcript" in spec:
                pcap = os.path.join(tmp, "input.pcap")
                txn = expand(spec["transcript"], case)
                if spec.get("transcript-prepend"):
                    # Same conversation, other capture conditions (segmentation,
                    # reordering, link type): options go before the transcript.
                    # They go after the transcript's own leading options so
                    # that they override them.
                    with open(txn) as f:
                        lines = f.read().split("\n")
                    n = 0
                    while n < len(lines) and (not lines[n].strip() or lines[n].lstrip()[0] in "#@"):
                        n += 1
                    lines[n:n] = spec["transcript-prepend"]
                    txn = os.path.join(tmp, "input.txn")
                    with open(txn, "w") as f:
                        f.write("\n".join(lines))
                r = subprocess.run([a.mtpcap, "-o", pcap, txn], capture_output=True, text=True)
                if r.returncode != 0:
                    print(f"{name}: mtpcap failed: {r.stderr}")
                    return 1
            else:
                pcap = expand(spec["pcap"], case)
                if pcap.endswith(".gz"):
                    # Some third-party captures are stored compressed (Zeek
                    # feeds them through zcat): decompress to the temp dir.
                    import gzip
                    with gzip.open(pcap, "rb") as src, open(os.path.join(tmp, "input.pcap"), "wb") as dst:
                        shutil.copyfileobj(src, dst)
                    pcap = os.path.join(tmp, "input.pcap")
            rules = [expand(x, case) for x in
                     ([spec["rules"]] if isinstance(spec.get("rules"), str) else spec.get("rules", []))]
        except FileNotFoundError:
            print(f"{name}: skipped: ../shared/corpus is not here")
            return SKIP

        cmd = [a.mailtap, "-r", pcap, "-l", tmp]
        for r_ in rules:
            cmd += ["-S", r_]
        for x in spec.get("args", []):
            x = str(x).replace("${CASE}", case)
            if "${CORPUS}" in x:
                if not os.path.isdir(CORPUS):
                    print(f"{name}: skipped: ../shared is not here")
                    return SKIP
                x = x.replace("${CORPUS}", CORPUS)
            cmd.append(x)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        failures = []
        want_rc = spec.get("exit-code", 0)
        if r.returncode != want_rc:
            failures.append(f"exit code {r.returncode}, want {want_rc}; stderr:\n{r.stderr}")
        for rx in spec.get("stderr", []):
            if not re.search(rx, r.stderr, re.M):
                failures.append(f"stderr does not match /{rx}/; stderr:\n{r.stderr}")
        for rx in spec.get("stdout", []):
            if not re.search(rx, r.stdout, re.M):
                failures.append(f"stdout does not match /{rx}/; stdout:\n{r.stdout}")

        events = []
        eve = os.path.join(tmp, "eve.json")
        eve_text = ""
        if os.path.exists(eve):
            with open(eve) as f:
                eve_text = f.read()
            # split on "\n" only: str.splitlines() would also split inside a
            # string holding U+2028 or U+0085, which JSON writes unescaped.
            lines_ = eve_text.split("\n")
            if lines_ and lines_[-1] == "":
                lines_.pop()  # after the last event's newline
            for n, line in enumerate(lines_, 1):
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError as e:
                    failures.append(f"eve.json line {n} is not JSON: {e}")
        if a.regen:
            for ev in events:
                print(json.dumps(ev, sort_keys=False))
            return 0

        v = validator()
        if v:
            for ev in events:
                errs = sorted(v.iter_errors(ev), key=str)
                for e in errs[:3]:
                    failures.append(f"schema: {ev.get('event_type')} event: {e.message} at "
                                    f"{'/'.join(map(str, e.absolute_path))}")

        if not spec.get("checks") and not spec.get("stderr") and not spec.get("stdout"):
            failures.append("the case has no checks: it could not fail")
        absent = spec.get("absent", [])
        if not isinstance(absent, list) or not all(isinstance(x, str) and x for x in absent):
            failures.append("absent: must be a list of non-empty strings")
            absent = []
        for s_ in absent:
            n = eve_text.count(s_)
            if n:
                lines = [i for i, line in enumerate(eve_text.split("\n"), 1) if s_ in line]
                failures.append(f"absent string {s_!r} occurs {n} time(s) in eve.json "
                                f"(lines {lines[:8]})")
        for chk in spec.get("checks", []):
            if "filter" in chk:
                flt = chk["filter"]
                match = flt.get("match", {})
                got = [ev for ev in events if matches(ev, match)]
                want = flt.get("count")
                if (want is None and not got) or (want is not None and len(got) != want):
                    msg = f"filter {match}: {len(got)} events, want {want if want is not None else '>=1'}"
                    for diffs in near_misses(events, match)[:4]:
                        msg += "\n    near miss: " + "; ".join(diffs)
                    failures.append(msg)
            elif "stats" in chk:
                st = [ev for ev in events if ev.get("event_type") == "stats"]
                if not st:
                    failures.append("no stats event")
                    continue
                for path, want in chk["stats"].items():
                    found, got = lookup(st[-1], path if path.startswith(("stats.", "mailtap."))
                                        else "stats." + path)
                    if not found or not equal(got, want):
                        failures.append(f"stats {path}: {got!r}, want {want!r}")

        if failures:
            print(f"{name}: FAIL")
            for x in failures:
                print("  - " + x)
            return 1
        print(f"{name}: ok ({len(events)} events, {len(spec.get('checks', []))} checks)")
        return 0


if __name__ == "__main__":
    sys.exit(main())
