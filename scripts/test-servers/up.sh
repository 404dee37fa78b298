#!/usr/bin/env bash
# Starts every test server and prints the environment the tests read (eval it).
# Usage: eval "$(scripts/test-servers/up.sh)"
set -euo pipefail
here=$(dirname "$0")
for server in redis postgres clickhouse mongo es python-ralph websocketd swift s3; do
  echo "starting $server" >&2
  bash "$here/$server.sh"
done
