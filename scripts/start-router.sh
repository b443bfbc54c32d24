#!/usr/bin/env bash
# Starts Lodestar in the foreground with the embedded defaults, building it first when the
# runnable JAR is missing or older than the sources. Ctrl-C or SIGTERM stops it cleanly.
#
#   scripts/start-router.sh [--rebuild]
#
# Environment (all optional):
#   LODESTAR_PORT        HTTP port                    (default 4000)
#   LODESTAR_BIND        HTTP bind address            (default 127.0.0.1)
#   LODESTAR_CONFIG_DIR  ConfigAdmin files, watched   (default <project>/config)
#   LODESTAR_DEPLOY_DIR  hot-deploy folder, watched   (default <project>/deploy)
#   LODESTAR_DATA_DIR    data folder (H2, shell token, framework cache) (default ~/.lodestar)
#   LODESTAR_JAR         run this JAR instead of runtime/target/lodestar.jar (no build)
#   JAVA_OPTS            JVM options; replaces the defaults (-Xms32m -Xmx512m -XX:+UseSerialGC -Xss512k)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jar=${LODESTAR_JAR:-$root/runtime/target/lodestar.jar}

needs_build() {
  [ -n "${LODESTAR_JAR:-}" ] && return 1
  [ "${1:-}" = "--rebuild" ] && return 0
  [ -f "$jar" ] || return 0
  # any source, pom or run descriptor newer than the JAR
  [ -n "$(find "$root/pom.xml" "$root/runtime/pom.xml" "$root/bundles" "$root/bndrun" \
      \( -path '*/target' -o -path '*/generated' -o -path '*/bin' \) -prune -o \
      -type f -newer "$jar" -print -quit)" ]
}

command -v java >/dev/null || { echo "start-router: java (JDK 17+) not found" >&2; exit 1; }
if needs_build "${1:-}"; then
  command -v mvn >/dev/null || { echo "start-router: mvn not found; cannot build" >&2; exit 1; }
  echo "start-router: building Lodestar (mvn package, tests skipped)..." >&2
  (cd "$root" && mvn -B -q -Dstyle.color=never -DskipTests package) >&2
  touch "$jar"
fi

port=${LODESTAR_PORT:-4000}
bind=${LODESTAR_BIND:-127.0.0.1}
config_dir=$(mkdir -p "${LODESTAR_CONFIG_DIR:-$root/config}" && cd "${LODESTAR_CONFIG_DIR:-$root/config}" && pwd)
deploy_dir=$(mkdir -p "${LODESTAR_DEPLOY_DIR:-$root/deploy}" && cd "${LODESTAR_DEPLOY_DIR:-$root/deploy}" && pwd)
data_dir=$(mkdir -p "${LODESTAR_DATA_DIR:-$HOME/.lodestar}" && cd "${LODESTAR_DATA_DIR:-$HOME/.lodestar}" && pwd)
chmod 700 "$data_dir" 2>/dev/null || true
mkdir -p "$data_dir/tmp"

case "$port" in ''|*[!0-9]*) echo "start-router: LODESTAR_PORT must be a number, not '$port'" >&2; exit 2;; esac
probe=$bind
case "$bind" in 0.0.0.0|::|'') probe=127.0.0.1 ;; esac
if (exec 3<>"/dev/tcp/$probe/$port") 2>/dev/null; then
  echo "start-router: $probe:$port is already in use (another Lodestar?); set LODESTAR_PORT" >&2
  exit 1
fi

# Interactive Gogo console only when attached to a terminal; otherwise a quiet non-interactive one
# that does not stop the framework at end of input (CI, nohup, systemd).
gogo=(-Dgosh.args=--noshutdown)
if [ ! -t 0 ]; then
  gogo+=(-Dorg.jline.terminal.dumb=true)
fi

# shellcheck disable=SC2086
exec java ${JAVA_OPTS:--Xms32m -Xmx512m -XX:+UseSerialGC -Xss512k} \
  -Dorg.osgi.service.http.port="$port" \
  -Dorg.apache.felix.http.host="$bind" \
  -Dfelix.fileinstall.dir="$config_dir,$deploy_dir" \
  -Dfelix.fileinstall.tmpdir="$data_dir/tmp" \
  -Dlodestar.config.dir="$config_dir" \
  -Dlodestar.deploy.dir="$deploy_dir" \
  -Dlodestar.data.dir="$data_dir" \
  -Dlaunch.storage.dir="$data_dir/felix-cache" \
  -Djava.io.tmpdir="$data_dir/tmp" \
  -Dorg.slf4j.simpleLogger.showDateTime=true \
  "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSXXX" \
  -Dorg.slf4j.simpleLogger.log.org.eclipse.jetty=warn \
  -Djava.util.logging.config.file="$root/scripts/build/logging.properties" \
  "${gogo[@]}" \
  -jar "$jar"
