#!/usr/bin/env bash
# Elasticsearch 8.15 REST API on 127.0.0.1:9200: noida-db 0.2.3 (PyPI wheel with a Rust binary),
# data in a fresh directory of the state dir.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
venv=$STATE/venv-es
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import noida_db' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'noida-db==0.2.3'
fi
bin=$("$venv/bin/python" -c 'import noida_db, os; print(os.path.join(os.path.dirname(noida_db.__file__), "noida-db"))')
chmod +x "$bin"
if ! (exec 3<>/dev/tcp/127.0.0.1/9200) 2>/dev/null; then
  rm -rf "$STATE/es-data"
  # The binary itself, not the `noida-db` console script: the script's child survives a kill.
  run_bg es "$bin" start --only elasticsearch --host 127.0.0.1 --elasticsearch-port 9200 \
    --data-dir "$STATE/es-data"
fi
wait_port 127.0.0.1 9200 60
deadline=$((SECONDS + 30))
until curl -sf -o /dev/null http://127.0.0.1:9200/; do
  if [ $SECONDS -ge $deadline ]; then echo "noida-db does not answer on 127.0.0.1:9200" >&2; exit 1; fi
  sleep 0.1
done
echo "export RALPH_TEST_ES_URL=http://127.0.0.1:9200"
# The server binary, for tests that start (and kill) their own instance.
echo "export RALPH_TEST_ES_BIN=$bin"
