#!/usr/bin/env bash
# Installs what `make test` needs, idempotently; on a machine that already has a tool it
# uses it, on a fresh one it installs from the package registries this project may use.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Rust components used by `make lint`.
if have rustup; then
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
fi

# The schema check (make schema) uses Python's jsonschema.
python3 -c 'import jsonschema' 2>/dev/null \
  || python3 -m pip install --quiet --disable-pip-version-check "jsonschema>=$JSONSCHEMA_MIN_VERSION"

# Each part of the repo installs its own tools; those scripts are idempotent too.
for part in "$TG_ROOT"/scripts/tools-*.sh; do
  [ -f "$part" ] && bash "$part"
done
echo "tools: done"
