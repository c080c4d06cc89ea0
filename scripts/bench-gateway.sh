#!/usr/bin/env bash
# Benchmark of `tessera-verify serve` behind nginx auth_request, against its physical reference.
#
# One nginx, two protected locations serving the same static file:
#   /t/  auth_request -> Tessera (/verify, bearer token)
#   /s/  auth_request -> nginx's own `return 200` on another port (the cheapest possible verifier)
# Both go through the same auth_request machinery and upstream keepalive, so the ratio
# t/s is what Tessera costs compared with doing nothing at all. Then a soak at a fixed
# rate, rotating through more tokens than the signature cache holds, with the gateway's
# resident memory before and after.
#
# Needs: swift, nginx, wrk (apt-get install -y nginx wrk). Loopback only.
# Knobs (environment): THREADS=2 CONNECTIONS=32 DURATION=10s ROUNDS=3 SOAK_SECONDS=60 SOAK_RATE=2000 SOAK_TOKENS=5000
# SCRATCH=DIR builds in DIR instead of .build (so a debug build can run beside it).
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-10s}
SOAK_SECONDS=${SOAK_SECONDS:-60}
SOAK_RATE=${SOAK_RATE:-2000}
SOAK_TOKENS=${SOAK_TOKENS:-5000}
SOAK_CONNECTIONS=${SOAK_CONNECTIONS:-16}
ROUNDS=${ROUNDS:-3}

for tool in nginx wrk; do
  command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin" command -v "$tool" >/dev/null 2>&1 || {
    echo "bench: $tool is not installed: apt-get install -y $tool" >&2; exit 2; }
done
NGINX=$(PATH="$PATH:/usr/sbin" command -v nginx)

echo "bench: building release binaries" >&2
SCRATCH_ARGS=()
if [ -n "${SCRATCH:-}" ]; then SCRATCH_ARGS=(--scratch-path "$SCRATCH"); fi
swift build -c release "${SCRATCH_ARGS[@]}" --product tessera-verify >&2
# serve runs in tessera-verify-full, which tessera-verify finds next to itself.
swift build -c release "${SCRATCH_ARGS[@]}" --product tessera-verify-full >&2
swift build -c release "${SCRATCH_ARGS[@]}" --product tessera >&2
BIN=$(swift build -c release "${SCRATCH_ARGS[@]}" --show-bin-path)

WORK=$(mktemp -d /tmp/tessera-bench.XXXXXX)
chmod 755 "$WORK"  # nginx workers run as nobody when started by root, and serve the static file from here
GATEWAY_PID=""
NGINX_PID=""
cleanup() {
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null || true
  [ -n "$GATEWAY_PID" ] && kill "$GATEWAY_PID" 2>/dev/null && wait "$GATEWAY_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# A loopback port nobody answers on (bounded number of tries).
free_port() {
  local port tries=0
  while [ $tries -lt 100 ]; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
    tries=$((tries + 1))
  done
  echo "bench: no free port found" >&2; exit 1
}

wait_for() {  # wait_for PORT: up to 10 s
  local i
  for i in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: nothing listens on port $1" >&2; exit 1
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$GATEWAY_PID/status"; }

SITE="$WORK/site"
mkdir -p "$SITE"
echo "bench: minting $((SOAK_TOKENS + 1)) invitations" >&2
TOKEN=$("$BIN/tessera" mint --site "$SITE" --project bench --role viewer --anonymous --json 2>/dev/null \
  | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
"$BIN/tessera" mint --site "$SITE" --project bench --role viewer --anonymous --json --count "$SOAK_TOKENS" 2>/dev/null \
  | sed -n 's/.*"token":"\([^"]*\)".*/\1/p' > "$WORK/tokens.txt"
[ -n "$TOKEN" ] && [ "$(wc -l < "$WORK/tokens.txt")" -eq "$SOAK_TOKENS" ] || { echo "bench: minting failed" >&2; exit 1; }

GW_PORT=$(free_port); PROXY_PORT=$(free_port); STATIC_PORT=$(free_port)
"$BIN/tessera-verify" serve --site "$SITE" --listen "127.0.0.1:$GW_PORT" --log-level warning 2>"$WORK/gateway.log" &
GATEWAY_PID=$!
wait_for "$GW_PORT"

mkdir -p "$WORK/nginx" "$WORK/www/t" "$WORK/www/s"
echo "ok" > "$WORK/www/t/index.txt"
echo "ok" > "$WORK/www/s/index.txt"
cat > "$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;

    upstream tessera     { server 127.0.0.1:$GW_PORT;     keepalive 64; }
    upstream static_auth { server 127.0.0.1:$STATIC_PORT; keepalive 64; }

    server {   # the reference verifier: nginx answering 200 itself
        listen 127.0.0.1:$STATIC_PORT;
        location / { return 200; }
    }

    server {
        listen 127.0.0.1:$PROXY_PORT;
        root $WORK/www;

        location = /_tessera {
            internal;
            proxy_pass              http://tessera/verify;
            proxy_http_version      1.1;
            proxy_set_header        Connection "";
            proxy_pass_request_body off;
            proxy_set_header        Content-Length "";
            proxy_set_header        X-Forwarded-Method \$request_method;
            proxy_set_header        X-Forwarded-Uri    \$request_uri;
        }
        location = /_static {
            internal;
            proxy_pass              http://static_auth/verify;
            proxy_http_version      1.1;
            proxy_set_header        Connection "";
            proxy_pass_request_body off;
            proxy_set_header        Content-Length "";
            proxy_set_header        X-Forwarded-Method \$request_method;
            proxy_set_header        X-Forwarded-Uri    \$request_uri;
        }
        location /t/ {
            auth_request     /_tessera;
            auth_request_set \$tessera_user \$upstream_http_x_auth_request_user;
            add_header       X-User \$tessera_user;
        }
        location /s/ {
            auth_request     /_static;
            auth_request_set \$tessera_user \$upstream_http_x_auth_request_user;
            add_header       X-User \$tessera_user;
        }
    }
}
EOF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" -g 'daemon off;' &
NGINX_PID=$!
wait_for "$PROXY_PORT"

check() {  # check PATH EXPECTED-STATUS [curl args]: a sanity request before measuring
  local status
  status=$(exec 3<>"/dev/tcp/127.0.0.1/$PROXY_PORT"; printf 'GET %s HTTP/1.0\r\nHost: bench\r\n%s\r\n' "$1" "$3" >&3; head -1 <&3 | awk '{print $2}')
  [ "$status" = "$2" ] || { echo "bench: GET $1 answered $status, expected $2" >&2; exit 1; }
}
check /t/index.txt 200 "Authorization: Bearer $TOKEN"$'\r\n'
check /t/index.txt 401 ""
check /s/index.txt 200 ""

# run_wrk NAME PATH: prints "rps p99 errors" and keeps wrk's output in $WORK/NAME.txt
run_wrk() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PROXY_PORT$2" >/dev/null  # warm-up
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PROXY_PORT$2" > "$WORK/$1.txt"
  local rps p99 non2xx socket
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/$1.txt")
  p99=$(awk '$1 == "99%" { print $2 }' "$WORK/$1.txt")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' "$WORK/$1.txt")
  socket=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$WORK/$1.txt")
  echo "$rps $p99 $(( ${non2xx:-0} + ${socket:-0} ))"
}

# Alternate the two, ROUNDS times, and keep the median round of each: a burst of unrelated work on a shared
# machine then spoils one round instead of the comparison.
median() { sort -g | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'; }
echo "bench: $ROUNDS rounds of wrk -t$THREADS -c$CONNECTIONS -d$DURATION through nginx auth_request" >&2
: > "$WORK/rounds.txt"
for round in $(seq 1 "$ROUNDS"); do
  echo "tessera $(run_wrk "tessera-$round" /t/index.txt)" >> "$WORK/rounds.txt"
  echo "static $(run_wrk "static-$round" /s/index.txt)" >> "$WORK/rounds.txt"
done
T_RPS=$(awk '$1 == "tessera" { print $2 }' "$WORK/rounds.txt" | median)
S_RPS=$(awk '$1 == "static" { print $2 }' "$WORK/rounds.txt" | median)
T_P99=$(awk '$1 == "tessera" { print $3 }' "$WORK/rounds.txt" | sed 's/ms$//; s/us$/e-3/; s/s$/e3/' | median | awk '{ printf "%.2f", $1 }')ms
S_P99=$(awk '$1 == "static" { print $3 }' "$WORK/rounds.txt" | sed 's/ms$//; s/us$/e-3/; s/s$/e3/' | median | awk '{ printf "%.2f", $1 }')ms
T_ERR=$(awk '$1 == "tessera" { n += $4 } END { print n + 0 }' "$WORK/rounds.txt")
S_ERR=$(awk '$1 == "static" { n += $4 } END { print n + 0 }' "$WORK/rounds.txt")
T_ALL=$(awk '$1 == "tessera" { printf "%s%s", sep, $2; sep = " " }' "$WORK/rounds.txt")
S_ALL=$(awk '$1 == "static" { printf "%s%s", sep, $2; sep = " " }' "$WORK/rounds.txt")
RSS_BEFORE=$(rss_kib)

# Soak: a fixed rate from SOAK_CONNECTIONS connections, each pausing between requests (wrk's delay()),
# rotating through SOAK_TOKENS tokens (more than the signature cache holds, so it keeps evicting).
cat > "$WORK/soak.lua" <<EOF
local tokens = {}
for line in io.lines("$WORK/tokens.txt") do tokens[#tokens + 1] = line end
local index = 0
function init(args) index = math.random(#tokens) end
function request()
  index = index % #tokens + 1
  return wrk.format("GET", "/t/index.txt", { ["Authorization"] = "Bearer " .. tokens[index] })
end
function delay() return $SOAK_CONNECTIONS * 1000 / $SOAK_RATE end
EOF
echo "bench: soak ${SOAK_SECONDS}s at about $SOAK_RATE req/s over $SOAK_TOKENS tokens" >&2
wrk -t"$THREADS" -c"$SOAK_CONNECTIONS" -d"${SOAK_SECONDS}s" --latency -s "$WORK/soak.lua" "http://127.0.0.1:$PROXY_PORT/" > "$WORK/soak.txt" &
WRK_PID=$!
# RSS every 10 s during the soak: a plateau once the signature cache is full means nothing leaks.
RSS_SERIES=""
for _ in $(seq 1 $((SOAK_SECONDS / 10))); do
  sleep 10
  kill -0 "$WRK_PID" 2>/dev/null || break
  RSS_SERIES="$RSS_SERIES $(( $(rss_kib) / 1024 ))"
done
wait "$WRK_PID"
RSS_AFTER=$(rss_kib)
SOAK_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/soak.txt")
SOAK_P99=$(awk '$1 == "99%" { print $2 }' "$WORK/soak.txt")
SOAK_REQUESTS=$(awk '/requests in/ { print $1 }' "$WORK/soak.txt")
SOAK_NON2XX=$(awk '/Non-2xx or 3xx responses:/ { print $5 }' "$WORK/soak.txt")
SOAK_SOCKET=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$WORK/soak.txt")
SOAK_ERR=$(( ${SOAK_NON2XX:-0} + ${SOAK_SOCKET:-0} ))

RATIO=$(awk -v t="$T_RPS" -v s="$S_RPS" 'BEGIN { printf "%.2f", t / s }')
echo
echo "machine: $(nproc) cores, $(awk '/model name/ { sub(/.*: /, ""); print; exit }' /proc/cpuinfo)"
echo "load:    wrk -t$THREADS -c$CONNECTIONS -d$DURATION x $ROUNDS rounds (median shown), one token (signature cache warm), nginx 1 worker, loopback"
printf '%-34s %10s req/s   p99 %-10s errors %s   (rounds: %s)\n' "nginx auth_request -> tessera" "$T_RPS" "$T_P99" "$T_ERR" "$T_ALL"
printf '%-34s %10s req/s   p99 %-10s errors %s   (rounds: %s)\n' "nginx auth_request -> nginx 200" "$S_RPS" "$S_P99" "$S_ERR" "$S_ALL"
echo "ratio:   $RATIO (target >= 0.70)"
echo "soak:    ${SOAK_SECONDS}s paced at $SOAK_RATE req/s (wrk delay()), $SOAK_REQUESTS requests, $SOAK_RPS req/s achieved, p99 $SOAK_P99, errors $SOAK_ERR"
echo "memory:  gateway RSS $((RSS_BEFORE / 1024)) MiB before the soak, $((RSS_AFTER / 1024)) MiB after (every 10 s, MiB:$RSS_SERIES)"
if [ "$T_ERR" != 0 ] || [ "$S_ERR" != 0 ] || [ "$SOAK_ERR" != 0 ]; then echo "bench: errors seen" >&2; exit 1; fi
