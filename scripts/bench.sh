#!/usr/bin/env bash
# Router overhead benchmark: the same load sent straight to a fast fake upstream and through
# Lodestar, in one run, on loopback.
#
#   scripts/bench.sh [DURATION_SECONDS]      (default 10)
#   BENCH_JAVA_OPTS="-Xmx512m ..." scripts/bench.sh   (JVM options instead of the shipped ones)
#   BENCH_OFF="usage health" scripts/bench.sh          (those modules switched off)
#
# Needs wrk (Debian: apt-get install wrk) and a built project (mvn -DskipTests package).
# Prints: latency p50/p99 at 1 connection, requests/s at 32 connections, errors, streaming time
# to first token (median of 200, direct vs through Lodestar), and Lodestar's RSS under load.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
duration=${1:-10}
command -v wrk >/dev/null || { echo "bench: wrk not found (apt-get install wrk)" >&2; exit 1; }
jar="$root/runtime/target/lodestar.jar"
fake_jar=$(ls "$root"/bundles/lodestar.test.upstream/target/lodestar.test.upstream-*.jar \
  2>/dev/null | grep -v tests | head -1)
[ -f "$jar" ] && [ -n "$fake_jar" ] || { echo "bench: build first: mvn -DskipTests package" >&2; exit 1; }

work=$(mktemp -d)
cleanup() { kill "${lodestar_pid:-}" "${fake_pid:-}" 2>/dev/null || true; wait 2>/dev/null || true
  rm -rf "$work"; }
trap cleanup EXIT

# the fake upstream, as a plain Java process
cp_file="$work/cp.txt"
(cd "$root/bundles/lodestar.test.upstream" && mvn -q dependency:build-classpath \
  -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime >/dev/null)
java -Xmx256m -Dsun.net.httpserver.nodelay=true -cp "$fake_jar:$(cat "$cp_file")" lodestar.test.upstream.FakeUpstreamMain 0 \
  > "$work/fake.url" &
fake_pid=$!
for _ in $(seq 100); do [ -s "$work/fake.url" ] && break; sleep 0.1; done
fake=$(head -1 "$work/fake.url")

# Lodestar with one provider pointing at the fake
mkdir -p "$work/config" "$work/deploy" "$work/data"
cp "$root/config/lodestar.runtime.cfg" "$root/config/lodestar.modules.cfg" "$work/config/"
# BENCH_OFF="usage health" switches modules off, to see what they cost
for module in ${BENCH_OFF:-}; do
  sed -i "s/^$module.enabled=true/$module.enabled=false/" "$work/config/lodestar.modules.cfg"
done
cat > "$work/config/lodestar.provider.openai-bench.cfg" <<CFG
id=bench
baseUrl=$fake/v1
.apiKey=sk-bench
models=fake-small
CFG
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# the shipped JVM defaults of scripts/start-router.sh, unless BENCH_JAVA_OPTS replaces them
if [ -n "${BENCH_JAVA_OPTS:-}" ]; then export JAVA_OPTS="$BENCH_JAVA_OPTS"; else unset JAVA_OPTS; fi
LODESTAR_PORT=$port LODESTAR_CONFIG_DIR="$work/config" LODESTAR_DEPLOY_DIR="$work/deploy" \
  LODESTAR_DATA_DIR="$work/data" LODESTAR_JAR="$jar" \
  "$root/scripts/start-router.sh" </dev/null > "$work/lodestar.log" 2>&1 &
lodestar_pid=$!
lodestar="http://127.0.0.1:$port"
for _ in $(seq 200); do
  curl -sf "$lodestar/v1/models" 2>/dev/null | grep -q fake-small && break; sleep 0.1
done

body='{"model":"fake-small","messages":[{"role":"user","content":"hello there"}]}'
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA

cat > "$work/stream.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"fake-small","stream":true,"messages":[{"role":"user","content":"hi"}]}'
wrk.headers["Content-Type"] = "application/json"
LUA

us() { # wrk latency (e.g. 68.00us, 1.25ms, 2.00s) in microseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000;
    else if (v ~ /s$/) print n * 1000000; else print n }'
}

run() { # name url connections threads script
  wrk -t"$4" -c"$3" -d"${duration}s" --latency -s "$work/${5:-post}.lua" \
    "$2/v1/chat/completions" > "$work/$1.txt"
  local p50 p99 rps errors
  p50=$(awk '/^ +50%/{print $2}' "$work/$1.txt"); p99=$(awk '/^ +99%/{print $2}' "$work/$1.txt")
  rps=$(awk '/Requests\/sec/{print $2}' "$work/$1.txt")
  errors=$(awk '/Non-2xx|Socket errors/{print}' "$work/$1.txt" | tr '\n' ' ')
  printf '%-22s p50 %-9s p99 %-9s req/s %-10s %s\n' "$1" "$p50" "$p99" "$rps" "${errors:-no errors}"
  eval "${1//-/_}_p50=$(us "$p50"); ${1//-/_}_p99=$(us "$p99"); ${1//-/_}_rps=$rps"
}

echo "warm-up..."; wrk -t2 -c16 -d5s -s "$work/post.lua" "$lodestar/v1/chat/completions" >/dev/null
wrk -t2 -c16 -d3s -s "$work/stream.lua" "$lodestar/v1/chat/completions" >/dev/null
wrk -t2 -c16 -d3s -s "$work/post.lua" "$fake/v1/chat/completions" >/dev/null
echo "== 1 connection"
run direct-1c "$fake" 1 1
run lodestar-1c "$lodestar" 1 1
echo "== 1 connection, streamed (whole stream; the fake sends it at once, so this is TTFT + a few chunks)"
run direct-stream-1c "$fake" 1 1 stream
run lodestar-stream-1c "$lodestar" 1 1 stream
echo "== 32 connections"
run direct-32c "$fake" 32 2
rss_before=$(ps -o rss= -p "$(pgrep -f "http.port=$port" | head -1)")
run lodestar-32c "$lodestar" 32 2 &
sleep $((duration / 2))
rss_load=$(ps -o rss= -p "$(pgrep -f "http.port=$port" | head -1)")
wait $!
eval "$(awk '/^ +50%/{print "lodestar_32c_p50_raw=" $2} /Requests\/sec/{print "lodestar_32c_rps=" $2}' \
  "$work/lodestar-32c.txt")"
echo "Lodestar RSS: idle-ish ${rss_before} KiB, under 32-connection load ${rss_load} KiB"
echo "== added by Lodestar (through minus direct, same run)"
awk -v a="$lodestar_1c_p50" -v b="$direct_1c_p50" -v c="$lodestar_1c_p99" -v d="$direct_1c_p99" \
  -v e="$lodestar_stream_1c_p50" -v f="$direct_stream_1c_p50" \
  -v g="$lodestar_stream_1c_p99" -v h="$direct_stream_1c_p99" 'BEGIN {
  printf "1 connection:  p50 +%.3f ms (target <= 0.3), p99 +%.3f ms (target <= 2)\n", (a-b)/1000, (c-d)/1000
  printf "streamed, keep-alive: p50 +%.3f ms, p99 +%.3f ms (target <= 1 ms to first token)\n", (e-f)/1000, (g-h)/1000 }'
echo "32 connections through Lodestar: ${lodestar_32c_rps} req/s (target >= 15000)"

echo "== streaming time to first token, a new connection per request (curl, 200 each, median)"
sbody='{"model":"fake-small","stream":true,"messages":[{"role":"user","content":"hi"}]}'
ttft() {
  for _ in $(seq 200); do
    curl -s -o /dev/null -w '%{time_starttransfer}\n' -H 'Content-Type: application/json' \
      -d "$sbody" "$1/v1/chat/completions"
  done | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int(NR/2)]*1000}'
}
d=$(ttft "$fake"); l=$(ttft "$lodestar")
echo "ttft direct ${d} ms, through Lodestar ${l} ms, added $(awk -v a="$l" -v b="$d" 'BEGIN{printf "%.3f", a-b}') ms"
echo "overhead header of one request: $(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
  -d "$body" "$lodestar/v1/chat/completions" | grep -i x-lodestar-overhead-ms | tr -d '\r')"
