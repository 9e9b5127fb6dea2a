#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the tests: `scripts/pg_cluster.sh start DIR PORT` makes a cluster in
# DIR (owned by the postgres user: the server refuses to run as root), starts it on 127.0.0.1:PORT with trust
# authentication for loopback only, and creates the database `akashi_test`; `scripts/pg_cluster.sh stop DIR` stops it.
# Nothing listens beyond 127.0.0.1, and the cluster lives only in DIR.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?cluster directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "pg_cluster: no PostgreSQL server installed (apt-get install -y postgresql)" >&2; exit 2; }
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
case "$cmd" in
start)
    port=${3:?port}
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/db/PG_VERSION" ]; then
        as_pg "'$bin/initdb' -D '$dir/db' -A trust -U postgres --no-sync >'$dir/initdb.log' 2>&1"
    fi
    # fsync stays on: the tests check that acknowledged appends survive a killed server process.
    as_pg "'$bin/pg_ctl' -D '$dir/db' -l '$dir/server.log' -w -t 60 \
        -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir' -c max_connections=200\" start" >/dev/null
    psql -h 127.0.0.1 -p "$port" -U postgres -qtAc "SELECT 1 FROM pg_database WHERE datname = 'akashi_test'" | grep -q 1 ||
        psql -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE akashi_test"
    echo "postgres://postgres@127.0.0.1:$port/akashi_test"
    ;;
stop)
    as_pg "'$bin/pg_ctl' -D '$dir/db' -m fast stop" >/dev/null 2>&1 || true
    ;;
*) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
