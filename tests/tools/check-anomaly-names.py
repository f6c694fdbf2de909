#!/usr/bin/env python3
"""Every anomaly name a parser can raise is registered and documented.

Reads the sources (not the binary): names passed as literals to
smtp_anomaly() / app_emit_anomaly(), the smuggling and MIME name tables;
checks each is in sensor/anomaly.c's registry (else it would be counted as
"other") and in the README's anomaly section, and that the registry holds
nothing the README does not document. Exit 0 ok, 1 with the differences.
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(p):
    with open(os.path.join(ROOT, p), encoding="utf-8") as f:
        return f.read()


raised = set()
for path in glob.glob(os.path.join(ROOT, "sensor", "**", "*.c"), recursive=True):
    src = open(path, encoding="utf-8").read()
    raised |= set(re.findall(r'anomaly\([^;"]*"([a-z0-9_]+)"', src))
    # name tables: literals of the families raised through a variable
    raised |= set(re.findall(r'"((?:smuggling|mime)_[a-z0-9_]+)"', src))
# the defragmenter's table (defrag_anomaly_name) and reassembly's names
src = read("reassembly/defrag.c")
raised |= set(re.findall(r'"(frag_[a-z0-9_]+)"', src))
src = read("reassembly/reasm.h")
raised |= set(re.findall(r'#define REASM_ANOMALY_[A-Z_]+ +"(tcp_[a-z0-9_]+)"', src))
raised.discard("mime_unknown")          # mime_anomaly_name()'s out-of-range value

reg_src = read("sensor/anomaly.c")
table = reg_src[reg_src.index("names[] = {"):reg_src.index("};", reg_src.index("names[] = {"))]
registry = set(re.findall(r'"([a-z0-9_]+)"', table)) - {"other"}

readme = read("README.md")
sec = readme[readme.index("**`anomaly`**"):]
sec = sec[:sec.index("\n#")] if "\n#" in sec else sec
documented = set(re.findall(r"`([a-z0-9_]+)`", sec))

bad = []
for n in sorted(raised - registry):
    bad.append(f"raised but not in sensor/anomaly.c: {n}")
for n in sorted(registry - documented):
    bad.append(f"registered but not documented in README's anomaly section: {n}")
for n in sorted(registry - raised):
    bad.append(f"registered but never raised: {n}")
if not raised:
    bad.append("no anomaly names found in the sources (the check itself is broken)")
print(f"anomaly names: {len(raised)} raised, {len(registry)} registered")
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
