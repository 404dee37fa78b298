#!/usr/bin/env bash
# PostgreSQL (Debian's) on 127.0.0.1:5432: user postgres, password postgres, database ralph.
# TLS is on (plain connections still work), with a certificate for IP 127.0.0.1 signed by a
# test CA made here: RALPH_TEST_POSTGRES_TLS_CA is that CA's PEM file; other-ca.pem beside it
# is a CA that signed nothing (the "wrong CA" of the tests).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_apt postgresql openssl
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
conf=/etc/postgresql/$version/main
[ -d "$conf" ] || pg_createcluster "$version" main >/dev/null
# The certificates live beside the cluster's configuration, which points at them.
tls=$conf/ralph-tls
if [ ! -f "$tls/server.key" ]; then
  new=$(mktemp -d "$conf/.ralph-tls.XXXXXX")
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  for ca in ca other-ca; do
    openssl req -x509 "${ec[@]}" -days 3650 -subj "/CN=ralph test $ca" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      -keyout "$new/$ca.key" -out "$new/$ca.pem" 2>/dev/null
  done
  openssl req "${ec[@]}" -subj "/CN=127.0.0.1" -keyout "$new/server.key" -out "$new/server.csr" 2>/dev/null
  printf '%s\n' subjectAltName=IP:127.0.0.1 basicConstraints=CA:FALSE \
    keyUsage=digitalSignature extendedKeyUsage=serverAuth >"$new/server.ext"
  openssl x509 -req -in "$new/server.csr" -CA "$new/ca.pem" -CAkey "$new/ca.key" -CAcreateserial \
    -days 3650 -extfile "$new/server.ext" -out "$new/server.pem" 2>/dev/null
  chown postgres "$new/server.key" && chmod 600 "$new/server.key" && chmod 755 "$new"
  mv -T "$new" "$tls" 2>/dev/null || rm -rf "$new"   # another run made them first
fi
printf "ssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\n" "$tls/server.pem" "$tls/server.key" \
  >"$conf/conf.d/ralph-tls.conf"
if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 \
    || pg_ctlcluster "$version" main start >/dev/null
else
  su postgres -c "psql -qAt -c 'SELECT pg_reload_conf()'" >/dev/null
fi
wait_port 127.0.0.1 5432 60
head -1 "/var/run/postgresql/$version-main.pid" >"$STATE/postgres.pid" 2>/dev/null || true
su postgres -c "psql -qAt -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
su postgres -c "psql -qAt -c \"SELECT 1 FROM pg_database WHERE datname = 'ralph'\"" | grep -q 1 \
  || su postgres -c "createdb ralph"
echo "export RALPH_TEST_POSTGRES_URL=postgres://postgres:postgres@127.0.0.1:5432/ralph"
echo "export RALPH_TEST_POSTGRES_TLS_CA=$tls/ca.pem"
echo "export RALPH_TEST_POSTGRES_PRIVATE=$(cd "$(dirname "$0")" && pwd)/postgres-private.sh"
