#!/usr/bin/env bash
# Usage tracking benchmark: a plain Java main (bundles/lodestar.usage/src/test/java/.../
# UsageBench.java) against real H2 files in a temporary folder.
#
#   scripts/bench-usage.sh                 (needs: mvn -o install -pl bundles/lodestar.usage)
#   BENCH_JAVA_OPTS="-Xmx1g" scripts/bench-usage.sh
#
# Prints: 1. events/s recorded, paced at 5,000/s and saturated (target >= 5,000/s, no drops);
# 2. report times over 1,000,000 rows (target < 1 s) and a streamed export; 3. a kill -9
# during writes (every committed row kept, the database reopens and writes); 4. the database
# file's size under steady traffic with retention (must plateau).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
module="$root/bundles/lodestar.usage"
[ -d "$module/target/test-classes/lodestar/usage/internal" ] || {
  echo "bench-usage: build first: mvn -o install -pl bundles/lodestar.usage" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$module" && mvn -o -q dependency:build-classpath -Dmdep.outputFile="$work/cp.txt" \
  -Dmdep.includeScope=test >/dev/null)
cp="$module/target/classes:$module/target/test-classes:$(cat "$work/cp.txt")"
# shellcheck disable=SC2086
java ${BENCH_JAVA_OPTS:--Xmx1g} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" \
  lodestar.usage.internal.UsageBench "$work/data"
