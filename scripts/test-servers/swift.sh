#!/usr/bin/env bash
# OpenStack Swift (Debian's, single node, one replica) with memcached, on 127.0.0.1:
#  - tempauth on 8080: http://127.0.0.1:8080/auth/v1.0, user test:tester, key testing;
#  - Keystone v3 (Debian's, sqlite in WAL mode, fernet tokens) on 5000, and a second proxy on 8081
#    that authenticates with it: user ralph / ralph-pass, project ralph, domain Default. The
#    catalog's `object-store` entry points at 8081.
# Adapted from ../shared/services/swift.sh. Skips what already runs (another script started it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_apt swift swift-proxy swift-account swift-container swift-object memcached curl \
  python3-keystone python3-keystonemiddleware python3-keystoneclient

up() { curl -sf -o /dev/null "$@"; }
wait_http() { # url timeout_s [curl args...]
  local url=$1 end=$((SECONDS + $2)); shift 2
  until up "$@" "$url"; do
    if [ $SECONDS -ge $end ]; then echo "timeout waiting for $url" >&2; return 1; fi
    sleep 0.2
  done
}

SW=$STATE/swift
# Swift authentication keeps its tokens in memcached (checked on its own: a proxy may have
# outlived it).
(exec 3<>/dev/tcp/127.0.0.1/11211) 2>/dev/null \
  || run_bg swift-memcached memcached -u memcache -l 127.0.0.1 -p 11211 -m 64
if ! up http://127.0.0.1:8080/healthcheck; then
  # Swift reads the hash path secret from /etc/swift/swift.conf only.
  mkdir -p /etc/swift
  [ -f /etc/swift/swift.conf ] || printf '[swift-hash]\nswift_hash_path_suffix = ralph-tests\nswift_hash_path_prefix = ralph\n' >/etc/swift/swift.conf
  rm -rf "$SW"; mkdir -p "$SW/etc" "$SW/srv/d1"
  ( cd "$SW/etc"
    for r in object:6200 container:6201 account:6202; do n=${r%%:*}; p=${r##*:}
      swift-ring-builder $n.builder create 8 1 1 >/dev/null
      swift-ring-builder $n.builder add r1z1-127.0.0.1:$p/d1 1 >/dev/null
      swift-ring-builder $n.builder rebalance >/dev/null
      printf '[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = %s\nworkers = 0\ndevices = %s\nmount_check = false\nswift_dir = %s\nlog_level = WARNING\n[pipeline:main]\npipeline = %s-server\n[app:%s-server]\nuse = egg:swift#%s\n' \
        $p "$SW/srv" "$SW/etc" $n $n $n >$n-server.conf
    done )
  cat >"$SW/etc/proxy-server.conf" <<EOC
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = 8080
workers = 0
swift_dir = $SW/etc
log_level = WARNING
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempauth copy slo dlo proxy-logging proxy-server
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:11211
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
EOC
  for s in object container account; do run_bg swift-$s swift-$s-server "$SW/etc/$s-server.conf"; done
  run_bg swift-proxy swift-proxy-server "$SW/etc/proxy-server.conf"
fi
wait_http http://127.0.0.1:8080/auth/v1.0 60 -H 'X-Auth-User: test:tester' -H 'X-Auth-Key: testing'
echo "export RALPH_TEST_SWIFT_URL=http://127.0.0.1:8080/auth/v1.0"
echo "export RALPH_TEST_SWIFT_USERNAME=test:tester RALPH_TEST_SWIFT_PASSWORD=testing"

KS=$STATE/keystone
if ! up http://127.0.0.1:5000/v3; then
  rm -rf "$KS"; mkdir -p "$KS/fernet" "$KS/credential" "$KS/receipts"
  cat >"$KS/keystone.conf" <<EOC
[DEFAULT]
log_file = $KS/keystone.log
[database]
connection = sqlite:///$KS/keystone.db
[token]
provider = fernet
[fernet_tokens]
key_repository = $KS/fernet
[fernet_receipts]
key_repository = $KS/receipts
[credential]
key_repository = $KS/credential
EOC
  C="--config-file $KS/keystone.conf"
  keystone-manage $C db_sync 2>/dev/null
  # WAL mode, or concurrent keystone sessions fail with "database is locked".
  /usr/bin/python3 -c "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA journal_mode=WAL')" "$KS/keystone.db"
  keystone-manage $C fernet_setup --keystone-user root --keystone-group root 2>/dev/null
  keystone-manage $C credential_setup --keystone-user root --keystone-group root 2>/dev/null
  keystone-manage $C bootstrap --bootstrap-password admin-pass --bootstrap-region-id RegionOne \
    --bootstrap-admin-url http://127.0.0.1:5000/v3/ --bootstrap-public-url http://127.0.0.1:5000/v3/ \
    --bootstrap-internal-url http://127.0.0.1:5000/v3/ 2>/dev/null
  OS_KEYSTONE_CONFIG_FILES="$KS/keystone.conf" run_bg keystone keystone-wsgi-public --host 127.0.0.1 --port 5000
  wait_http http://127.0.0.1:5000/v3 60
  /usr/bin/python3 - <<'PY'
from keystoneauth1.identity import v3
from keystoneauth1 import session
from keystoneclient.v3 import client
ks = client.Client(session=session.Session(auth=v3.Password(auth_url='http://127.0.0.1:5000/v3', username='admin',
     password='admin-pass', project_name='admin', user_domain_id='default', project_domain_id='default')))
svc = ks.services.create(name='swift', type='object-store')
for iface in ('public', 'internal', 'admin'):
    ks.endpoints.create(service=svc, url='http://127.0.0.1:8081/v1/AUTH_%(project_id)s', interface=iface, region='RegionOne')
roles = {r.name: r for r in ks.roles.list()}
member = roles.get('member') or ks.roles.create(name='member')
svc_p = ks.projects.create(name='service', domain='default'); ralph_p = ks.projects.create(name='ralph', domain='default')
ks.roles.grant(roles['admin'], user=ks.users.create(name='swift', domain='default', password='swift-pass'), project=svc_p)
ks.roles.grant(member, user=ks.users.create(name='ralph', domain='default', password='ralph-pass'), project=ralph_p)
PY
fi
if ! up http://127.0.0.1:8081/healthcheck; then
  sed -e 's/^bind_port = 8080/bind_port = 8081/' \
      -e 's/ tempauth / authtoken keystoneauth /' \
      -e '/^\[filter:tempauth\]/,/^user_test_tester/d' "$SW/etc/proxy-server.conf" >"$SW/etc/proxy-keystone.conf"
  cat >>"$SW/etc/proxy-keystone.conf" <<EOC
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = http://127.0.0.1:5000
auth_url = http://127.0.0.1:5000
auth_type = password
project_domain_id = default
user_domain_id = default
project_name = service
username = swift
password = swift-pass
delay_auth_decision = True
memcached_servers = 127.0.0.1:11211
[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin, member
EOC
  run_bg swift-proxy-keystone swift-proxy-server "$SW/etc/proxy-keystone.conf"
fi
wait_http http://127.0.0.1:8081/healthcheck 60
echo "export RALPH_TEST_SWIFT_KEYSTONE_URL=http://127.0.0.1:5000/v3"
echo "export RALPH_TEST_SWIFT_KEYSTONE_USERNAME=ralph RALPH_TEST_SWIFT_KEYSTONE_PASSWORD=ralph-pass RALPH_TEST_SWIFT_KEYSTONE_PROJECT=ralph"
