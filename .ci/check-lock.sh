#!/usr/bin/env bash
# pyth-sdk-solana 0.10.6 only compiles against solana-program < 3, so Cargo.lock gives it its own
# solana-program 2.3.0 beside the 3.x the rest of the tree uses. A bare `cargo update` moves it
# to a newer major and the build breaks with confusing errors; fail here, clearly, instead.
set -euo pipefail
# usage: check-lock.sh [lock file, default Cargo.lock; tests/sbf/Cargo.lock is the SBF tests' own]
cd "$(dirname "$0")/.."
lock="${1:-Cargo.lock}"
deps=$(awk '/^name = "pyth-sdk-solana"$/{p=1} p&&/^dependencies/{d=1} p&&d{print} p&&d&&/^]/{exit}' "$lock")
if ! grep -q '"solana-program 2.3.0"' <<<"$deps"; then
  echo "$lock: pyth-sdk-solana no longer uses solana-program 2.3.0." >&2
  echo "Restore it: see README.md, 'Development notes' (cargo update -p solana-program@<ver> --precise 2.3.0)." >&2
  exit 1
fi
echo "$lock: pyth-sdk-solana uses its own solana-program 2.3.0 (ok)"
