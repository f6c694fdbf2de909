#!/usr/bin/env python3
"""ET Open's SMTP rules load as the README says, and every skip is listed.

    check-et-rules.py MAILTAP README LOADED SKIPPED DIS_LOADED DIS_SKIPPED

Runs `mailtap --test-rules` on ../shared/rules/et-open-smtp.rules and on
et-open-smtp-disabled.rules with its rules uncommented (the issue asks for
both), checks the loaded/skipped counts, and checks that each skipped sid
appears in the README's ET Open table with the reason mailtap gives, quoted (a new
skip, or a skip whose reason changed, fails until the README says why).
Skips (exit 77) when ../shared/rules is absent.
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("MAILTAP_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
RULES = os.path.join(CORPUS, "..", "rules")


def run(mailtap, path):
    p = subprocess.run([mailtap, "--test-rules", "-S", path], capture_output=True,
                       text=True, check=False)
    m = re.search(r"^rules: loaded (\d+), skipped (\d+)$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        print(f"{path}: mailtap exited {p.returncode}: {p.stdout}{p.stderr}")
        sys.exit(1)
    skips = re.findall(r": sid (\d+): (.*)$", p.stderr, re.M)
    return int(m.group(1)), int(m.group(2)), skips


def main():
    mailtap, readme = sys.argv[1], sys.argv[2]
    want = [int(x) for x in sys.argv[3:7]]
    enabled = os.path.join(RULES, "et-open-smtp.rules")
    disabled = os.path.join(RULES, "et-open-smtp-disabled.rules")
    if not (os.path.exists(enabled) and os.path.exists(disabled)):
        print("skip: ../shared/rules not present")
        return 77
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    table = text[text.index("### ET Open"):]
    table = table[:table.index("\n## ")]
    bad = 0
    with tempfile.NamedTemporaryFile("w", suffix=".rules", delete=False) as tmp:
        with open(disabled, encoding="utf-8") as f:
            for line in f:
                tmp.write(re.sub(r"^#\s*(alert|drop|pass)\b", r"\1", line))
    try:
        got = []
        for path in (enabled, tmp.name):
            loaded, skipped, skips = run(mailtap, path)
            got += [loaded, skipped]
            for sid, reason in skips:
                row = next((r for r in table.splitlines() if sid in r), None)
                if row is None:
                    print(f"sid {sid} skipped ({reason}) but not in the README's ET table")
                    bad += 1
                    continue
                # the row quotes mailtap's reason as printed
                if reason not in row:
                    print(f"sid {sid}: reason '{reason}' not quoted in its README row")
                    bad += 1
        print(f"enabled: loaded {got[0]}, skipped {got[1]}; "
              f"disabled (uncommented): loaded {got[2]}, skipped {got[3]}")
        if got != want:
            print(f"expected {want}")
            bad += 1
    finally:
        os.unlink(tmp.name)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
