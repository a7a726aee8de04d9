# pgai in Rust. `just -l ext` and `just -l pgai` list each project's recipes.
set shell := ["bash", "-euo", "pipefail", "-c"]

mod ext 'projects/extension'
mod pgai 'projects/pgai'

# List recipes
default:
    @just --list --list-submodules

# Run every test: the extension's, the library's, the secrets scan over what they left, the commit hook's (what CI runs)
test:
    rm -rf target/test-evidence
    {{just_executable()}} ext test
    {{just_executable()}} pgai test
    cargo run -q -p testkit --bin scan-secrets
    {{just_executable()}} pgai format --check
    {{just_executable()}} test-commit-hook

# Set everything up and run the demo: Postgres, the extension and its worker (release builds), `select ai...`
demo:
    {{just_executable()}} ext install
    bash scripts/demo.sh

# Install the git commit-msg hook that enforces Conventional Commits
install-commit-hook:
    install -m 0755 scripts/commit-msg "$(git rev-parse --git-path hooks)/commit-msg"
    @echo "installed the commit-msg hook: messages must follow Conventional Commits (see .commitlintrc)"

# Check that the commit-msg hook accepts good messages and rejects bad ones
test-commit-hook:
    bash scripts/test-commit-msg.sh
