#!/usr/bin/env bash
# Starts (or stops) a private PostgreSQL cluster on 127.0.0.1 for tests.
# usage: scripts/pg-cluster.sh start|stop [dir] [port]
# Prints the connection URL on start. Works as root (runs the server as `postgres`) or as a normal user.
set -euo pipefail
cmd=${1:-start}
dir=${2:-/tmp/kiosk-pg}
port=${3:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL server binaries not found under /usr/lib/postgresql" >&2; exit 1; }
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
case "$cmd" in
  start)
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      mkdir -p "$dir/sock"
      printf 'kiosk\n' > "$dir/pwfile"
      [ "$(id -u)" = 0 ] && chown -R postgres "$dir"
      chmod 700 "$dir"
      run "$bin/initdb -D $dir/data -A scram-sha-256 --pwfile=$dir/pwfile -U kiosk >/dev/null"
    fi
    if ! run "$bin/pg_ctl -D $dir/data status" >/dev/null 2>&1; then
      run "$bin/pg_ctl -D $dir/data -l $dir/pg.log -o \"-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c max_connections=300 -c fsync=off\" -w start" >/dev/null
    fi
    echo "postgresql://kiosk:kiosk@127.0.0.1:$port/postgres"
    ;;
  stop)
    run "$bin/pg_ctl -D $dir/data -m fast stop" >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop [dir] [port]" >&2; exit 2 ;;
esac
