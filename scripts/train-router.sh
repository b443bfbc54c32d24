#!/usr/bin/env bash
# Trains a router model for the 'auto' strategy (bundle lodestar.routing.auto).
#
#   scripts/train-router.sh FILE.jsonl OUT.json [options]
#
# Reads JSON Lines with prompt, weak_correct, strong_correct (and source), cross-validates
# (5 folds unless --folds) to record honest metrics and the recommended threshold, fits on all of
# FILE and writes the versioned model artifact to OUT. Load it live with
# modelFile=OUT in config/lodestar.routing.auto.cfg. To refresh the model shipped in the bundle:
#   scripts/train-router.sh data/routing-eval/dev.jsonl \
#     bundles/lodestar.routing.auto/src/main/resources/lodestar/routing/auto/internal/default-router-model.json
# Options: --label gain|need|weak  --l2 X[,Y,...]  --bigrams WEIGHT  --trigrams WEIGHT
#          --chars N[:WEIGHT]  --norm C  --no-shape  --bits B
#          --no-kind  --iterations N  --folds K  --seed S
# Needs Java 17 and the built bundle: mvn -B install -pl bundles/lodestar.routing.auto
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
module="$root/bundles/lodestar.routing.auto"
jar=$(ls "$module"/target/lodestar.routing.auto-*.jar 2>/dev/null | grep -v -- -tests | head -1 || true)
[ -n "$jar" ] || { echo "train-router: build first: mvn -B install -pl bundles/lodestar.routing.auto -DskipTests" >&2; exit 1; }
cp_file="$module/target/runtime-classpath.txt"
if [ ! -s "$cp_file" ] || [ "$module/pom.xml" -nt "$cp_file" ]; then
  (cd "$module" && { mvn -q -o dependency:build-classpath -Dmdep.outputFile="$cp_file" \
    -Dmdep.includeScope=runtime >/dev/null 2>&1 || mvn -q dependency:build-classpath \
    -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime >/dev/null; })
fi
exec java ${TRAIN_JAVA_OPTS:--Xmx2g} -cp "$jar:$(cat "$cp_file")" \
  lodestar.routing.auto.internal.RoutingTool train "$@"
