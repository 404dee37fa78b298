#!/usr/bin/env bash
# MongoDB wire protocol on 127.0.0.1:27017: SecantusDB (PyPI, WiredTiger storage), a fresh data
# directory each start. Also installs the Python ralph with its mongo backend, the reference of
# the interop test and the benchmark.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
venv=$STATE/venv-mongo
if [ ! -x "$venv/bin/secantusd-py" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'secantusdb==0.7.0b3'
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/27017) 2>/dev/null; then
  rm -rf "$STATE/mongo-data"
  run_bg mongo "$venv/bin/secantusd-py" --host 127.0.0.1 --port 27017 \
    --storage-path "$STATE/mongo-data" --log-level WARNING
fi
wait_port 127.0.0.1 27017 60
ralph_venv=$STATE/venv-ralph-mongo
if [ ! -x "$ralph_venv/bin/ralph" ]; then
  python3 -m venv "$ralph_venv"
  "$ralph_venv/bin/pip" install -q 'ralph-malph[cli,backend-mongo]==5.1.0' >"$STATE/venv-ralph-mongo.log" 2>&1 \
    || { cat "$STATE/venv-ralph-mongo.log" >&2; exit 1; }
fi
"$ralph_venv/bin/ralph" --version >/dev/null
echo "export RALPH_TEST_MONGO_URL=mongodb://127.0.0.1:27017/"
echo "export RALPH_TEST_MONGO_SERVER=$venv/bin/secantusd-py"
echo "export RALPH_TEST_PYTHON_RALPH_MONGO=$ralph_venv/bin/ralph"
