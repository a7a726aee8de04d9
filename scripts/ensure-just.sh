# Sourced: makes `just` available, installing it from PyPI (rust-just) when missing.
if ! command -v just >/dev/null 2>&1; then
  echo "installing just (PyPI rust-just)" >&2
  python3 -m pip install -q rust-just >&2 || cargo install just --locked >&2
  hash -r
  command -v just >/dev/null 2>&1 || export PATH="$(python3 -m site --user-base)/bin:$HOME/.cargo/bin:$PATH"
fi
