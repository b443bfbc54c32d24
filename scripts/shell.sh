#!/usr/bin/env bash
# Runs one Gogo command in the running Lodestar instance and prints its output.
#
#   scripts/shell.sh lb
#   scripts/shell.sh lodestar:status
#
# It talks to the instance's loopback-only shell endpoint with the token the instance wrote to
# $LODESTAR_DATA_DIR/shell.token (readable by its owner only). Same environment as
# start-router.sh: LODESTAR_PORT (4000), LODESTAR_DATA_DIR (~/.lodestar).
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]   (e.g. $0 lb)" >&2
  exit 2
fi
port=${LODESTAR_PORT:-4000}
data_dir=${LODESTAR_DATA_DIR:-$HOME/.lodestar}
token_file="$data_dir/shell.token"
if [ ! -r "$token_file" ]; then
  echo "shell: no $token_file: is Lodestar running with LODESTAR_DATA_DIR=$data_dir?" >&2
  exit 1
fi
command -v curl >/dev/null || { echo "shell: curl not found" >&2; exit 1; }

out=$(mktemp); trap 'rm -f "$out"' EXIT
status=$(printf '%s' "$*" | curl -sS -o "$out" -w '%{http_code}' --max-time 90 \
  -H "X-Lodestar-Shell-Token: $(tr -d '[:space:]' < "$token_file")" \
  -H 'Content-Type: text/plain' --data-binary @- \
  "http://127.0.0.1:$port/lodestar/shell") || {
  echo "shell: cannot reach Lodestar on 127.0.0.1:$port" >&2; exit 1; }
cat "$out"
case "$status" in
  200) exit 0 ;;
  *) echo "shell: HTTP $status" >&2; exit 1 ;;
esac
