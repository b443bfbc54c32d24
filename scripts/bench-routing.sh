#!/usr/bin/env bash
# Decision latency of the 'auto' strategy (bundle lodestar.routing.auto), without JMH: the
# shipped model (or --model FILE) routes every prompt of the given files and 200 long coding
# turns (~19,000 characters) after three warm-up rounds; prints p50/p90/p99/max per set.
#
#   scripts/bench-routing.sh [FILE.jsonl ...] [--model MODEL.json] [--rounds N]
#
# Default file: data/routing-eval/dev.jsonl. Needs Java 17 and the built bundle:
# mvn -B install -pl bundles/lodestar.routing.auto -DskipTests
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
module="$root/bundles/lodestar.routing.auto"
jar=$(ls "$module"/target/lodestar.routing.auto-*.jar 2>/dev/null | grep -v -- -tests | head -1 || true)
[ -n "$jar" ] || { echo "bench-routing: build first: mvn -B install -pl bundles/lodestar.routing.auto -DskipTests" >&2; exit 1; }
cp_file="$module/target/runtime-classpath.txt"
if [ ! -s "$cp_file" ] || [ "$module/pom.xml" -nt "$cp_file" ]; then
  (cd "$module" && { mvn -q -o dependency:build-classpath -Dmdep.outputFile="$cp_file" \
    -Dmdep.includeScope=runtime >/dev/null 2>&1 || mvn -q dependency:build-classpath \
    -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime >/dev/null; })
fi
args=("$@")
has_file=false
for a in "$@"; do case "$a" in *.jsonl) has_file=true;; esac; done
$has_file || args=("$root/data/routing-eval/dev.jsonl" "${args[@]}")
exec java ${BENCH_JAVA_OPTS:--Xmx1g} -cp "$jar:$(cat "$cp_file")" \
  lodestar.routing.auto.internal.RoutingTool bench "${args[@]}"
