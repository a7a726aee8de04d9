#!/usr/bin/env bash
# The quick-start demo: a PostgreSQL with the ai extension, and `select ai...` working.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pg_config="${PG_CONFIG:-$root/.pg/pgserver/pginstall/bin/pg_config}"
port="${AI_TEST_SERVER_PORT:-5432}"
bash "$root/projects/extension/scripts/test-server.sh" start "$pg_config" "$root/target/test-server" "$port"
psql() { "$("$pg_config" --bindir)/psql" -X -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 "$@"; }
psql -q -c "create extension if not exists ai cascade" -c "alter extension ai update" 2>/dev/null || \
  psql -q -c "drop extension if exists ai cascade" -c "create extension ai cascade"
echo '$ select extname, extversion from pg_extension where extname in (''ai'', ''vector'');'
psql -c "select extname, extversion from pg_extension where extname in ('ai', 'vector') order by 1"
echo '$ select ai._library_version(), name, applied_at_version from ai.migration;'
psql -c "select ai._library_version(), name, applied_at_version from ai.migration order by name"
echo "The server keeps running: 'just ext psql-shell' opens psql, 'just ext test-server-stop' stops it."
