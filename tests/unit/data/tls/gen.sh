#!/bin/sh
# Regenerate the loopback handshake captures used by test_tls.c.
# Traffic stays on 127.0.0.1 (tcpdump -i lo). Needs openssl, python3,
# tcpdump and tshark; run as root. Writes <case>.pcap into this folder,
# then run ./extract.py to rebuild handshakes.h from them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" \
	-out "$tmp/cert.pem" -days 365 -subj /CN=mx.example.org 2>/dev/null
port=24650

run_case() { # name, server options, client command (uses $port)
	name=$1; sopts=$2; shift 2
	port=$((port + 1))
	tcpdump -i lo -U -s 0 -w "$here/$name.pcap" "tcp port $port" 2>/dev/null &
	tpid=$!
	sleep 0.5
	sleep 3 | openssl s_server -accept "127.0.0.1:$port" -cert "$tmp/cert.pem" \
		-key "$tmp/key.pem" -naccept 1 -quiet $sopts >/dev/null 2>&1 &
	spid=$!
	sleep 0.4
	PORT=$port sh -c "$*" >/dev/null 2>&1 </dev/null || true
	sleep 0.3
	kill "$spid" 2>/dev/null || true
	sleep 0.3
	kill "$tpid"
	wait "$tpid" 2>/dev/null || true
}

run_case tls13_sni_alpn "-alpn h2" \
	'openssl s_client -connect 127.0.0.1:$PORT -tls1_3 -servername mx.example.org -alpn h2,http/1.1'
run_case tls12_nosni "" \
	'openssl s_client -connect 127.0.0.1:$PORT -tls1_2 -noservername'
run_case tls12_ciphers "" \
	'openssl s_client -connect 127.0.0.1:$PORT -tls1_2 -servername smtp.example.net -cipher ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA -sigalgs RSA+SHA256:ECDSA+SHA256'
run_case tls13_hrr "-groups X25519" \
	'openssl s_client -connect 127.0.0.1:$PORT -tls1_3 -groups P-256:X25519 -servername mail.example.com -alpn smtp,x -ciphersuites TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256'
run_case tls11_legacy "-cipher DEFAULT@SECLEVEL=0" \
	'openssl s_client -connect 127.0.0.1:$PORT -tls1_1 -cipher DEFAULT@SECLEVEL=0 -servername old.example -no_ticket'
