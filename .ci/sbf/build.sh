#!/usr/bin/env bash
# Builds programs/options-amm to target/deploy/options_amm.so (SBPF v3) with upstream Rust:
# the pinned nightly below, sbpf-linker, the target spec in this directory and a std patched
# for target_os = "solana" (patch-std.py). Installs what it needs (toolchain, rust-src,
# llvm-tools, sbpf-linker under target/sbf-tools). The official platform-tools are not used;
# CU figures from this build are labelled as such in docs/BENCHMARKS.md.
#
# usage: bash .ci/sbf/build.sh        (from anywhere; about 3 min cold, seconds warm)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

NIGHTLY=nightly-2026-10-29   # LLVM 23: sbpf-linker loads this toolchain's libLLVM
LINKER_VERSION=0.2.6
tools="$root/target/sbf-tools"
linker="$tools/bin/sbpf-linker"
stdsrc="$root/target/sbf-std"
spec="$root/.ci/sbf/sbpf-solana.json"
out="${SBF_TARGET_DIR:-$root/target/sbf}"   # another directory gives an independent clean build

rustup toolchain install "$NIGHTLY" --profile minimal --component rust-src,llvm-tools >&2

if ! "$linker" --version 2>/dev/null | grep -q "$LINKER_VERSION"; then
  cargo "+$NIGHTLY" install sbpf-linker --version "$LINKER_VERSION" --locked --root "$tools"
fi

sysroot="$(rustc "+$NIGHTLY" --print sysroot)"
stamp="$(cat .ci/sbf/patch-std.py "$sysroot/lib/rustlib/src/rust/library/std/build.rs" | sha256sum)"
if [ ! -f "$stdsrc/stamp" ] || [ "$(cat "$stdsrc/stamp")" != "$stamp" ]; then
  python3 .ci/sbf/patch-std.py "$sysroot/lib/rustlib/src/rust/library" "$stdsrc"
  echo "$stamp" >"$stdsrc/stamp"
  rm -rf "$out/sbpf-solana"   # std changed: rebuild everything for the target
fi

flags=(
  -C "linker=$linker"
  -Z unstable-options -C panic=immediate-abort
  -C relocation-model=static
  -C target-cpu=v4
  -C target-feature=+allows-misaligned-mem-access
  -C passes=lower-atomic
  -C link-arg=--arch=v3
  -C link-arg=--llvm-args=--bpf-stack-size=4096
  -C link-arg=--llvm-args=--disable-movsx
  -C link-arg=--llvm-args=--disable-ldsx
  -C link-arg=--llvm-args=--disable-bswap
  -C link-arg=--llvm-args=--disable-gotox
  -C link-arg=--llvm-args=--bpf-max-stores-per-memfunc=5
  # Paths in panic locations and debug info must not depend on where the checkout lives.
  --remap-path-prefix "$root=/options-amm"
  --remap-path-prefix "${CARGO_HOME:-$HOME/.cargo}=/cargo"
)

CARGO_ENCODED_RUSTFLAGS="$(IFS=$'\x1f'; echo "${flags[*]}")" \
__CARGO_TESTS_ONLY_SRC_ROOT="$stdsrc/library" \
CARGO_TARGET_DIR="$out" \
  cargo "+$NIGHTLY" build -p options-amm -p options-amm-cu-bench --locked --profile sbf \
    --target "$spec" -Zbuild-std=std,panic_abort -Zjson-target-spec

mkdir -p target/deploy
cp "$out/sbpf-solana/sbf/liboptions_amm.so" target/deploy/options_amm.so
# The measuring program of docs/BENCHMARKS.md (engine vs solmath); never deployed.
cp "$out/sbpf-solana/sbf/liboptions_amm_cu_bench.so" target/deploy/options_amm_cu_bench.so
sha256sum target/deploy/*.so
ls -l target/deploy/*.so
