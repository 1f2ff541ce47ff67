#!/usr/bin/env bash
# A second peer side by side: the JWT verification of aws-jwt-verify (AWS Labs, a pinned
# devDependency of authorizer-ts/) on Node 22, beside our decision per algorithm, in one run:
# criterion `decision/fresh/ALG` and `decision/bare_verify/ALG` (Rust), then
# authorizer-ts/build/bench/peer.js: TS `decide`, aws-jwt-verify's `JwtVerifier.verifySync`
# (JWKS preloaded with `cacheJwks`, no network) and `crypto.verify` alone, on the same token
# and key, after checking that both accept it and both refuse tampered ones. Prints the
# table, the ratios and the load (authorizer-ts/scripts/side-by-side.mjs `decisions`). Criterion
# and node take turns, PEER_ROUNDS rounds (default 3): the table gives the medians of the
# rounds and each ratio's spread across them.
#
#   bash scripts/bench/peer.sh      (env: PEER_ROUNDS=3)
# Needs no Lambda binaries; builds the criterion binary when it is missing (--no-default-features
# suffices for it: the decision benches do not touch the policy stream).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
stub_include
cd "$TG_ROOT"

bash scripts/tools-node.sh
export PATH="$CACHE_DIR/node-current/bin:$PATH"
# The binary itself (decision-<hash>, as side-by-side.mjs looks for it): clippy leaves a
# decision-<hash>.d there too.
if [ -z "$(find "$CARGO_TARGET_DIR/release/deps" -maxdepth 1 -type f -executable -regex '.*/decision-[0-9a-f]+' 2>/dev/null)" ]; then
  (cd authorizer && cargo bench --locked --no-default-features --bench decision --no-run)
fi
cd authorizer-ts
[ -d node_modules/aws-jwt-verify ] || npm ci --no-audit --no-fund --loglevel=error
npm run --silent compile-tests
node scripts/side-by-side.mjs decisions "${PEER_ROUNDS:-3}"
