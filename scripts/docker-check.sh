#!/usr/bin/env bash
# Fails at once, with a clear message, when no Docker engine answers (instead of hanging).
if ! command -v docker >/dev/null 2>&1; then
  echo "error: docker is not installed; the docker-* recipes need Docker with a running engine" >&2
  exit 1
fi
if ! timeout 5 docker info >/dev/null 2>&1; then
  echo "error: no Docker engine answers (docker info failed); start one, or use 'just ext test-server' instead" >&2
  exit 1
fi
