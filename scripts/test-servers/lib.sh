# Helpers of the test-server scripts. Source it: . "$(dirname "$0")/lib.sh"
# State (logs, pids, data) lives in $RALPH_TEST_SERVERS_DIR, default ${TMPDIR:-/tmp}/ralph-test-servers.
: "${RALPH_TEST_SERVERS_DIR:=${TMPDIR:-/tmp}/ralph-test-servers}"
mkdir -p "$RALPH_TEST_SERVERS_DIR"
STATE=$(cd "$RALPH_TEST_SERVERS_DIR" && pwd)

# wait_port HOST PORT [TIMEOUT_S]: wait until a TCP port accepts connections.
wait_port() {
  local deadline=$((SECONDS + ${3:-60}))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then echo "timeout waiting for $1:$2" >&2; return 1; fi
    sleep 0.1
  done
}

# run_bg NAME CMD...: start a server in the background, pid in $STATE/NAME.pid, log in $STATE/NAME.log.
# It runs in $STATE, not in the caller's directory: a server outlives the checkout that started
# it (a CI clone deleted afterwards), and some (chDB) fail once their working directory is gone.
run_bg() {
  local name=$1; shift
  (cd "$STATE" && exec nohup "$@" >"$STATE/$name.log" 2>&1) &
  echo $! >"$STATE/$name.pid"
}

# need_apt PKG...: install the Debian packages that are missing (apt-get update once per state dir).
need_apt() {
  dpkg -s "$@" >/dev/null 2>&1 && return 0
  if [ ! -f "$STATE/.apt-updated" ]; then apt-get update -qq && touch "$STATE/.apt-updated"; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
