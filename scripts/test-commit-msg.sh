#!/usr/bin/env bash
# Checks the commit-msg hook against good and bad messages.
set -uo pipefail
hook="$(dirname "$0")/commit-msg"
pass=0 fail=0
expect() {  # expect accept|reject MESSAGE
  local want=$1 msg=$2 f
  f=$(mktemp); printf '%s\n' "$msg" >"$f"
  if python3 "$hook" "$f" 2>/dev/null; then got=accept; else got=reject; fi
  rm -f "$f"
  if [ "$got" = "$want" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: expected $want: $msg"; fi
}
expect accept "feat(ext): add ai.openai_embed"
expect accept "fix(pgai): retry on 429"
expect accept "test: cover the SQL build"
expect accept "feat(providers)!: change the error type"
expect accept $'docs: explain secrets\n\nWith an example.'
expect accept "Merge branch 'x'"
expect reject "added stuff"
expect reject "feature(ext): wrong type"
expect reject "feat(worker): unknown scope"
expect reject "feat(ext):"
expect reject "feat(ext): ends with a full stop."
expect reject "feat: $(printf 'x%.0s' {1..120})"
expect reject $'fix: header\nbody without a blank line'
expect reject ""
# the hook as installed by `just install-commit-hook` in a scratch repository
tmp=$(mktemp -d)
git -C "$tmp" init -q && install -m 0755 "$hook" "$tmp/.git/hooks/commit-msg" && cp "$(dirname "$0")/../.commitlintrc" "$tmp/"
if git -C "$tmp" -c user.name=t -c user.email=t@t commit -q --allow-empty -m "bad message" 2>/dev/null; then
  fail=$((fail + 1)); echo "FAILED: git accepted a bad message"; else pass=$((pass + 1)); fi
if git -C "$tmp" -c user.name=t -c user.email=t@t commit -q --allow-empty -m "chore: good message"; then
  pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: git refused a good message"; fi
rm -rf "$tmp"
echo "commit-msg: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
