#!/usr/bin/env bash
# The cluster stage (issue #19): a real validator over JSON-RPC. Builds `options-amm-validator`
# (tests/cluster: Surfpool's core, the Agave 4.3 runtime of litesvm 0.18.1, from the registry),
# then runs tests/cluster's lifecycle test: the SBF build deployed at start, migrations/deploy.ts
# creating the config, a market and a board, and the Rust CLI over --url doing the rest.
# Needs the .so (built here if missing), npm, and the pinned nightly of .ci/sbf/build.sh.
# The validator's build is cached in tests/sbf/target (shared with the SBF tests): a second run
# only runs the test.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$SECONDS
if ! command -v npm >/dev/null 2>&1; then
  echo "CLUSTER SKIPPED: npm is not installed (migrations/deploy.ts needs it)."
  exit 0
fi
NIGHTLY=$(sed -n 's/^NIGHTLY=\([^ ]*\).*/\1/p' .ci/sbf/build.sh)
if ! rustup toolchain install "$NIGHTLY" --profile minimal \
  >/tmp/options-amm-cluster-toolchain.log 2>&1; then
  echo "CLUSTER SKIPPED: toolchain $NIGHTLY could not be installed (see /tmp/options-amm-cluster-toolchain.log)."
  exit 0
fi
[ -f target/deploy/options_amm.so ] || bash .ci/sbf/build.sh
cargo build --locked -q -p options-amm-app --bin options-amm
[ -d migrations/node_modules/@anchor-lang ] ||
  (cd migrations && npm ci --no-audit --no-fund --loglevel=error)
export CARGO_TARGET_DIR="$PWD/tests/sbf/target"
(cd tests/cluster && cargo build --locked --bin options-amm-validator)
echo "validator built or cached in $((SECONDS - start)) s"
(cd tests/cluster && cargo test --locked -- --nocapture)
echo "cluster stage: $((SECONDS - start)) s"
