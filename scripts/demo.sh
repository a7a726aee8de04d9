#!/usr/bin/env bash
# The offline demo: semantic search over Python's own documentation, embedded by a local model
# (all-MiniLM-L6-v2 through ONNX Runtime): no API key, no network, no process to run besides
# PostgreSQL. It starts a PostgreSQL with the ai extension preloaded, loads ~2,000 documents,
# creates a vectorizer that the in-database worker processes while a progress bar follows the
# queue, and prints the nearest chunks for a few questions. Rebuilds its database (pgai_demo) on
# every run, so running it twice works.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pg_config="${PG_CONFIG:-$root/.pg/pgserver/pginstall/bin/pg_config}"
port="${AI_TEST_SERVER_PORT:-5432}"
start=$(date +%s)

# (re)started: the preloaded library and the worker it runs are the ones just installed
bash "$root/projects/extension/scripts/test-server.sh" restart "$pg_config" "$root/target/test-server" "$port"
psql() { "$("$pg_config" --bindir)/psql" -X -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 "$@"; }
q() { psql -d pgai_demo -qAt -c "$1"; }
mkdir -p "$root/target/demo"
python3 "$root/scripts/demo/make_corpus.py" 3000 > "$root/target/demo/corpus.csv"

psql -d postgres -q -c "drop database if exists pgai_demo with (force)" -c "create database pgai_demo"
# new vectorizers of the demo's database default to the workers' schedule and an hnsw index
psql -d postgres -q -c "alter database pgai_demo set ai.scheduling_default = 'scheduling_worker'" \
  -c "alter database pgai_demo set ai.indexing_default = 'indexing_hnsw'"
# the in-database worker serves the demo's database, polling every second
psql -d postgres -q -c "alter system set ai.worker_databases = 'pgai_demo'" \
  -c "alter system set ai.worker_poll_interval = '1s'" -c "select pg_reload_conf()" >/dev/null
psql -d pgai_demo -q <<SQL
-- the extension's 0.7 layout (its catalog inside it), which the in-database worker indexes too
create extension ai version '0.7.2' cascade;
create table docs (id int generated always as identity primary key, title text not null, body text not null);
\copy docs (title, body) from '$root/target/demo/corpus.csv' with (format csv, header)
select ai.create_vectorizer('docs'::regclass,
    embedding  => ai_extra.embedding_sentence_transformers('all-MiniLM-L6-v2', 384),
    chunking   => ai.chunking_recursive_character_text_splitter('body', chunk_size => 800, chunk_overlap => 200),
    formatting => ai.formatting_python_template('\$title: \$chunk')) \gset
SQL
total=$(q "select count(*) from docs")
echo "loaded $total documents of Python's documentation into docs; vectorizer created:"
psql -d pgai_demo -c "select id, source_table, target_table, view, pending_items from ai.vectorizer_status"

# the in-database worker embeds; a progress bar from the queue and the target table
t0=$(date +%s.%N)
bar() {
  local pending chunks done_ elapsed rate eta filled
  pending=$(q "select ai.vectorizer_queue_pending(1, exact_count => true)")
  chunks=$(q "select count(*) from docs_embedding_store")
  done_=$((total - pending))
  elapsed=$(echo "$(date +%s.%N) - $t0" | bc)
  rate=$(echo "scale=1; $chunks / ($elapsed + 0.001)" | bc)
  eta=$(echo "scale=0; if ($done_ > 0) $pending * $elapsed / $done_ else 0" | bc)
  filled=$((done_ * 40 / (total > 0 ? total : 1)))
  printf '\r[%-40s] %d/%d documents, %d chunks, %s chunks/s, ETA %ss   ' \
    "$(printf '%*s' "$filled" '' | tr ' ' '#')" "$done_" "$total" "$chunks" "$rate" "$eta"
}
last=-1 still=0
while [ "$(q "select ai.vectorizer_queue_pending(1, exact_count => true)")" -gt 0 ]; do
  bar; sleep 1
  now=$(q "select count(*) from docs_embedding_store")
  if [ "$now" = "$last" ]; then still=$((still + 1)); else still=0; last=$now; fi
  if [ "$still" -ge 120 ]; then
    echo; echo "no progress for 2 minutes; the vectorizer's status and the server log's end:"
    psql -d pgai_demo -c "select worker, last_heartbeat, last_error from ai_extra.vectorizer_worker_status"
    tail -20 "$root/target/test-server/server.log"; exit 1
  fi
done
bar; echo
psql -d pgai_demo -c "select id, pending_items, worker, last_heartbeat from ai.vectorizer_status join ai_extra.vectorizer_worker_status using (id)"

for question in "how do I read a file line by line" "parse command line options" "sort a list of dictionaries by a key"; do
  echo
  echo "Nearest chunks to: \"$question\""
  psql -d pgai_demo -c "
    select round((embedding <=> ai_extra.sentence_transformers_embed('all-MiniLM-L6-v2', \$q\$$question\$q\$))::numeric, 3) as distance,
           title, replace(left(chunk, 70), E'\n', ' ') as chunk
    from docs_embedding
    order by distance
    limit 5"
done
echo "done in $(( $(date +%s) - start )) s. The server keeps running: 'just ext psql-shell' opens psql (database pgai_demo), 'just ext test-server-stop' stops it."
