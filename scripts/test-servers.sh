#!/usr/bin/env bash
# Makes sure the database servers the test suite needs are installed (`npm run test:all` runs this,
# then `npm test`; so does .ci/run). The tests start their own throwaway Redis, MariaDB and
# PostgreSQL on loopback (spec/setup/servers.ts): only the programs must be here, no service runs.
#
# Installed already: says so and changes nothing (no apt-get). Missing, on Debian or Ubuntu: installs
# the packages with apt-get, as root or through sudo when sudo needs no password. Otherwise: says
# exactly what to install, and exits 1.
#
# Looks for the programs where spec/setup/servers.ts looks for them. SAFE_STATE_SERVERS_SEARCH (a
# colon-separated list of directories) and SAFE_STATE_SERVERS_UID replace that search path and the
# user id: the tests of this script use them.
set -euo pipefail

search="${SAFE_STATE_SERVERS_SEARCH:-${PATH}:/usr/sbin:/usr/bin:/usr/lib/postgresql/15/bin}"
uid="${SAFE_STATE_SERVERS_UID:-$(id -u)}"

has() {
  local dir IFS=:
  for dir in $search; do
    [ -n "$dir" ] && [ -x "$dir/$1" ] && return 0
  done
  return 1
}

# the Debian packages still missing, into the array `need`
missing() {
  need=()
  has redis-server || need+=(redis-server)
  { has mariadbd && has mariadb-install-db && has mariadb; } || need+=(mariadb-server)
  { has initdb && has pg_ctl && has psql; } || need+=(postgresql)
  # as root, PostgreSQL runs as the postgres user through runuser
  [ "$uid" != 0 ] || has runuser || need+=(util-linux)
}

missing
if [ ${#need[@]} -eq 0 ]; then
  echo "test servers: redis-server, mariadb-server and postgresql are installed"
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${need[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "test servers: missing ${need[*]}. This script installs them on Debian or Ubuntu (apt-get), which this is not:" >&2
  echo "install Redis (redis-server), MariaDB (mariadbd, mariadb-install-db, mariadb) and PostgreSQL 15 (initdb, pg_ctl, psql) with your package manager, then rerun." >&2
  exit 1
fi

as=()
if [ "$uid" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    as=(sudo -n)
  else
    echo "test servers: missing ${need[*]}, and installing them needs root. Run as root, or:" >&2
    echo "  sudo apt-get update && sudo $cmd" >&2
    echo "then rerun npm run test:all." >&2
    exit 1
  fi
fi

echo "== test servers: installing ${need[*]}${as[*]:+ (through sudo)}"
# the packages' own service scripts may fail to start a system-wide server (no init system in a
# container): that is expected, the tests start their own
"${as[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

missing
if [ ${#need[@]} -gt 0 ]; then
  echo "test servers: still missing after apt-get: ${need[*]} (spec/setup/servers.ts expects PostgreSQL 15 in /usr/lib/postgresql/15/bin)" >&2
  exit 1
fi
echo "test servers: installed"
