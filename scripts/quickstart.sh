#!/usr/bin/env bash
# The README's first command: installs what is missing, then runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/ensure-just.sh
just demo
