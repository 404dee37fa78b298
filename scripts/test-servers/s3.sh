#!/usr/bin/env bash
# S3 on two servers: moto_server 5.2.5 (PyPI, in memory, accepts any key, broad API) on
# 127.0.0.1:4566, and s3s-fs 0.14.1 (crates.io, files on disk, verifies SigV4 signatures) on
# 127.0.0.1:8014 with access key `ralph` / secret `secret-key-123`. Fresh data at each start.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
venv=$STATE/venv-moto
if [ ! -x "$venv/bin/moto_server" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'moto[server]==5.2.5'
fi
# Not moto's default port 5000: Keystone (Swift's auth) listens there.
if ! (exec 3<>/dev/tcp/127.0.0.1/4566) 2>/dev/null; then
  run_bg moto "$venv/bin/moto_server" -H 127.0.0.1 -p 4566
fi
s3s=$STATE/s3s-fs/bin/s3s-fs
if [ ! -x "$s3s" ]; then
  # ~2 min on 2 cores; installed once per state dir.
  cargo install -q --locked --root "$STATE/s3s-fs" s3s-fs --version 0.14.1 --features binary
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/8014) 2>/dev/null; then
  rm -rf "$STATE/s3s-data"
  mkdir -p "$STATE/s3s-data"
  run_bg s3s-fs "$s3s" --host 127.0.0.1 --port 8014 --access-key ralph --secret-key secret-key-123 \
    "$STATE/s3s-data"
fi
wait_port 127.0.0.1 4566 60
deadline=$((SECONDS + 60))
until curl -sf -o /dev/null http://127.0.0.1:4566/moto-api/; do
  if [ $SECONDS -ge $deadline ]; then echo "moto_server does not answer on 127.0.0.1:4566" >&2; exit 1; fi
  sleep 0.1
done
wait_port 127.0.0.1 8014 30
echo "export RALPH_TEST_S3_URL=http://127.0.0.1:4566"
echo "export RALPH_TEST_S3S_URL=http://127.0.0.1:8014"
echo "export RALPH_TEST_S3S_ACCESS_KEY_ID=ralph"
echo "export RALPH_TEST_S3S_SECRET_ACCESS_KEY=secret-key-123"
