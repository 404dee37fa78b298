#!/usr/bin/env bash
# ClickHouse's HTTP interface on 127.0.0.1:8123: chDB (the ClickHouse 26 engine as a Python
# library, PyPI `chdb-core-lite`) behind our small HTTP front end, chdb_http.py. Data is kept in
# the state dir and wiped at each start.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
venv=$STATE/venv-clickhouse
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import chdb, lz4, zstandard, clickhouse_cityhash' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'chdb-core-lite==26.5.0' lz4 zstandard clickhouse-cityhash
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/8123) 2>/dev/null; then
  rm -rf "$STATE/clickhouse-data"
  run_bg clickhouse "$venv/bin/python" "$here/chdb_http.py" --host 127.0.0.1 --port 8123 \
    --path "$STATE/clickhouse-data"
fi
wait_port 127.0.0.1 8123 120
deadline=$((SECONDS + 60))
until curl -sf -o /dev/null http://127.0.0.1:8123/ping; do
  if [ $SECONDS -ge $deadline ]; then echo "clickhouse: no answer on /ping" >&2; exit 1; fi
  sleep 0.2
done
echo "export RALPH_TEST_CLICKHOUSE_URL=http://127.0.0.1:8123"
