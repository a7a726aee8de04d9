#!/usr/bin/env bash
# Starts/stops a PostgreSQL for manual work, as the unprivileged `postgres` OS user when run as root.
# The ai library is preloaded, so the in-database worker can run (ai.worker_databases).
set -euo pipefail
action=$1 pg_config=$2 dir=$3 port=$4
bindir="$("$pg_config" --bindir)"
run() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$action" in
start)
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    mkdir -p "$dir/data"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
    run "$bindir/initdb" -D "$dir/data" --locale=C.UTF-8 -A trust -U postgres >/dev/null
  fi
  if run "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    echo "test server already running on port $port"
  else
    run "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c shared_preload_libraries=ai" start >/dev/null
    echo "test server started: postgres://postgres@127.0.0.1:$port/postgres (log: $dir/server.log)"
  fi
  ;;
stop)
  run "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop
  ;;
restart)
  "$0" stop "$pg_config" "$dir" "$port" >/dev/null 2>&1 || true
  "$0" start "$pg_config" "$dir" "$port"
  ;;
*) echo "usage: $0 start|stop|restart PG_CONFIG DIR PORT" >&2; exit 2 ;;
esac
