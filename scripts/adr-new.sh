#!/usr/bin/env bash
# Creates the next numbered ADR in docs/adr/ from docs/adr/template.md and prints its path.
#
#   scripts/adr-new.sh "Use the bnd launcher for the runtime"
set -euo pipefail
if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 \"Title of the decision\"" >&2
  exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir="$root/docs/adr"
title=$1
last=$(find "$dir" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.md' -printf '%f\n' 2>/dev/null \
  | sort | tail -n 1 | cut -c1-4)
next=$(printf '%04d' $((10#${last:-0} + 1)))
slug=$(printf '%s' "$title" | tr '[:upper:]' '[:lower:]' | sed -E 's/[^a-z0-9]+/-/g; s/^-+|-+$//g')
file="$dir/$next-$slug.md"
sed -e "s/{{NUMBER}}/$next/g" -e "s/{{TITLE}}/$(printf '%s' "$title" | sed 's/[&/\]/\\&/g')/g" \
    -e "s/{{DATE}}/$(date +%Y-%m-%d)/g" "$dir/template.md" > "$file"
echo "$file"
