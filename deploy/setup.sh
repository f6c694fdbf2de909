#!/usr/bin/env bash
# deploy/setup.sh — install what mailtap needs, build it, and run it.
#
#   deploy/setup.sh demo   install packages, build (release), run mailtap on
#                          the bundled sample capture with the bundled rules
#   deploy/setup.sh test   install packages, build (debug-optimised, and again
#                          with ASan+UBSan), run the whole test suite in both
#   deploy/setup.sh deps   only install the packages
#   deploy/setup.sh build  only build (release) into build/
#
# Works as root on a fresh Debian 12 machine; assumes nothing is installed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

# Runtime and build packages. Test-only tools are added by `test`.
PKGS_BUILD=(build-essential meson ninja-build pkg-config python3
            libpcap-dev libhyperscan-dev libjansson-dev libssl-dev libmagic-dev libpcre2-dev
            libyaml-dev)
PKGS_TEST=(python3-yaml python3-jsonschema)

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup.sh: run as root (it installs packages with apt-get)" >&2
		exit 2
	fi
}

install_pkgs() {
	need_root
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "setup.sh: installing ${missing[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >/dev/null
	fi
}

build_dir() {  # build_dir DIR [meson options...]
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null
	else
		meson configure "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir" >/dev/null
}

demo() {
	install_pkgs "${PKGS_BUILD[@]}"
	build_dir build --buildtype=release
	local out=${MAILTAP_DEMO_DIR:-$here/demo-logs}
	mkdir -p "$out"
	: > "$out/eve.json"
	echo "== mailtap -r deploy/sample/sample.pcap -S deploy/sample/sample.rules -l $out"
	build/sensor/mailtap -r deploy/sample/sample.pcap -S deploy/sample/sample.rules \
		-l "$out" --summary
	echo
	echo "== alerts (from $out/eve.json)"
	python3 - "$out/eve.json" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev.get("event_type") != "alert":
        continue
    n += 1
    a, s = ev["alert"], ev.get("smtp", {})
    print(f'{ev["timestamp"]}  {ev["src_ip"]}:{ev["src_port"]} -> {ev["dest_ip"]}:{ev["dest_port"]}'
          f'  [{a["gid"]}:{a["signature_id"]}:{a["rev"]}] {a["signature"]}'
          f'  (helo {s.get("helo", "-")}, from {s.get("mail_from", "-")}, to {",".join(s.get("rcpt_to", [])) or "-"})')
print(f"{n} alerts; every event is in {sys.argv[1]}")
PY
}

# Sum meson's test logs into the closing "N passed, N failed" line.
summarise() {
	python3 - "$@" <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0, "EXPECTEDFAIL": 0, "UNEXPECTEDPASS": 0, "TIMEOUT": 0, "ERROR": 0}
for log in sys.argv[1:]:
    try:
        for line in open(log):
            r = json.loads(line).get("result", "ERROR")
            counts[r] = counts.get(r, 0) + 1
    except FileNotFoundError:
        counts["ERROR"] += 1
passed = counts["OK"] + counts["EXPECTEDFAIL"]
failed = counts["FAIL"] + counts["TIMEOUT"] + counts["ERROR"] + counts["UNEXPECTEDPASS"]
print(f"{passed} passed, {failed} failed, {counts['SKIP']} skipped")
sys.exit(1 if failed or passed == 0 else 0)
PY
}

run_tests() {
	install_pkgs "${PKGS_BUILD[@]}" "${PKGS_TEST[@]}"
	local rc=0
	echo "== build (debugoptimized) and test"
	build_dir build-test --buildtype=debugoptimized
	meson test -C build-test --print-errorlogs --num-processes 2 || rc=1
	echo "== build with ASan+UBSan (pools through malloc) and test"
	build_dir build-asan --buildtype=debug -Db_sanitize=address,undefined \
		-Db_lundef=false -Dpool_malloc=true
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		meson test -C build-asan --print-errorlogs --num-processes 2 || rc=1
	echo "== summary (both builds)"
	summarise build-test/meson-logs/testlog.json build-asan/meson-logs/testlog.json || rc=1
	return $rc
}

case "${1:-}" in
demo) demo ;;
test) run_tests ;;
deps) install_pkgs "${PKGS_BUILD[@]}" "${PKGS_TEST[@]}" ;;
build) install_pkgs "${PKGS_BUILD[@]}"; build_dir build --buildtype=release ;;
*) echo "usage: $0 demo|test|deps|build" >&2; exit 2 ;;
esac
