#!/usr/bin/env bash
# PostgreSQL (Debian's) on 127.0.0.1:5432: user postgres, password postgres, database ralph.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_apt postgresql
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
[ -d "/etc/postgresql/$version/main" ] || pg_createcluster "$version" main >/dev/null
if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 \
    || pg_ctlcluster "$version" main start >/dev/null
fi
wait_port 127.0.0.1 5432 60
head -1 "/var/run/postgresql/$version-main.pid" >"$STATE/postgres.pid" 2>/dev/null || true
su postgres -c "psql -qAt -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
su postgres -c "psql -qAt -c \"SELECT 1 FROM pg_database WHERE datname = 'ralph'\"" | grep -q 1 \
  || su postgres -c "createdb ralph"
echo "export RALPH_TEST_POSTGRES_URL=postgres://postgres:postgres@127.0.0.1:5432/ralph"
echo "export RALPH_TEST_POSTGRES_PRIVATE=$(cd "$(dirname "$0")" && pwd)/postgres-private.sh"
