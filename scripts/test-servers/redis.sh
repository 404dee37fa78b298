#!/usr/bin/env bash
# Redis (Debian's redis-server) on 127.0.0.1:6379, nothing persisted.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_apt redis-server
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  run_bg redis redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
wait_port 127.0.0.1 6379 30
echo "export RALPH_TEST_REDIS_URL=redis://127.0.0.1:6379/0"
