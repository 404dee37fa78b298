#!/usr/bin/env bash
# Stops the test servers started by up.sh.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
for pidfile in "$STATE"/*.pid; do
  [ -f "$pidfile" ] || continue
  kill "$(cat "$pidfile")" 2>/dev/null
  rm -f "$pidfile"
done
