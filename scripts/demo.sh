#!/usr/bin/env bash
# The quick-start demo: a PostgreSQL with the ai extension, and `select ai...` working.
# It uses its own database, pgai_demo, rebuilt on every run (so running it twice works).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pg_config="${PG_CONFIG:-$root/.pg/pgserver/pginstall/bin/pg_config}"
port="${AI_TEST_SERVER_PORT:-5432}"
bash "$root/projects/extension/scripts/test-server.sh" start "$pg_config" "$root/target/test-server" "$port"
psql() { "$("$pg_config" --bindir)/psql" -X -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 "$@"; }
show() { echo; echo "pgai_demo=# $1"; psql -d pgai_demo -c "$1"; }

psql -d postgres -q -c "drop database if exists pgai_demo with (force)" -c "create database pgai_demo"
show "create extension ai cascade"
show "select extname, extversion from pg_extension where extname in ('ai', 'vector') order by 1"
show "select jsonb_pretty(ai.chunking_recursive_character_text_splitter('body', chunk_size => 500))"
show "select ai.embedding_openai('text-embedding-3-small', 1536)"
echo
echo "The server keeps running: 'just ext psql-shell' opens psql (database pgai_demo), 'just ext test-server-stop' stops it."
