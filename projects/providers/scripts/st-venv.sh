#!/usr/bin/env bash
# Creates a throwaway Python environment with sentence-transformers (it pulls PyTorch: several GB,
# a few minutes) outside the repository, for the embedding benchmark's comparison row and for
# remaking tests/local/reference.json. Prints the environment's python as its last line.
#   PGAI_BENCH_ST_PYTHON="$(bash projects/providers/scripts/st-venv.sh)" cargo bench -p providers --bench embed
set -euo pipefail
venv="${1:-${TMPDIR:-/tmp}/pgai-st-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sentence_transformers' 2>/dev/null; then
  echo "st-venv: installing sentence-transformers into $venv" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check sentence-transformers >&2
fi
echo "$venv/bin/python"
