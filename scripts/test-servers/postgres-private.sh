#!/usr/bin/env bash
# A private PostgreSQL cluster that a fault test may kill without disturbing the shared server.
#   postgres-private.sh start DIR PORT   initialises DIR if needed, starts on 127.0.0.1:PORT
#                                        (trust authentication, user postgres)
#   postgres-private.sh kill DIR         SIGKILLs the postmaster and every backend at once
#   postgres-private.sh stop DIR         stops it (fast shutdown)
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user.
set -euo pipefail
cmd=${1:?start|kill|stop} dir=${2:?data directory}
bin=/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -n | tail -1)/bin
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case $cmd in
  start)
    port=${3:?port}
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"
      if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
      as_pg "$bin/initdb" -D "$dir" -A trust -U postgres >/dev/null
    fi
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
    ;;
  kill)
    pid=$(head -1 "$dir/postmaster.pid")
    # Stopped first, the postmaster forks no new backend (an autovacuum worker, a new
    # connection) between the listing of its children and the kill: a child missed that way
    # would outlive the "crash", reparented, and keep writing.
    kill -STOP "$pid" 2>/dev/null || true
    kill -9 $(pgrep -P "$pid") "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
    ;;
  *)
    echo "usage: $0 start DIR PORT | kill DIR | stop DIR" >&2
    exit 2
    ;;
esac
