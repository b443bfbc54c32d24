#!/usr/bin/env bash
# Offline evaluation of the learned router of the 'auto' strategy (bundle lodestar.routing.auto).
#
#   scripts/eval-routing.sh --train A.jsonl --test B.jsonl [--json] [options]
#   scripts/eval-routing.sh --cv K FILE.jsonl [--json] [options]
#
# Trains on A and evaluates on B (or K-fold cross-validates FILE) and prints, per source and for
# all prompts, the learned router beside the random router, always-weak and always-strong:
# savings at 95% of the strong model's quality, APGR, CPT(50%), CPT(80%), and the strong-call
# share and quality at the recommended threshold. --json prints one JSON object keyed by source
# plus "all" (fractions in [0, 1]). Data: JSON Lines with prompt, weak_correct, strong_correct
# and source, e.g. data/routing-eval/dev.jsonl.
# Options: --label gain|need|weak  --l2 X[,Y,...]  --bigrams WEIGHT  --trigrams WEIGHT
#          --chars N[:WEIGHT]  --norm C  --no-shape  --bits B
#          --no-kind  --iterations N  --folds K  --seed S  --threshold T
# Needs Java 17 and the built bundle: mvn -B install -pl bundles/lodestar.routing.auto
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
module="$root/bundles/lodestar.routing.auto"
jar=$(ls "$module"/target/lodestar.routing.auto-*.jar 2>/dev/null | grep -v -- -tests | head -1 || true)
[ -n "$jar" ] || { echo "eval-routing: build first: mvn -B install -pl bundles/lodestar.routing.auto -DskipTests" >&2; exit 1; }
cp_file="$module/target/runtime-classpath.txt"
if [ ! -s "$cp_file" ] || [ "$module/pom.xml" -nt "$cp_file" ]; then
  (cd "$module" && { mvn -q -o dependency:build-classpath -Dmdep.outputFile="$cp_file" \
    -Dmdep.includeScope=runtime >/dev/null 2>&1 || mvn -q dependency:build-classpath \
    -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime >/dev/null; })
fi
exec java ${EVAL_JAVA_OPTS:--Xmx2g} -cp "$jar:$(cat "$cp_file")" \
  lodestar.routing.auto.internal.RoutingTool eval "$@"
