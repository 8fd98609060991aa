#!/usr/bin/env bash
# Rewrites the compute-unit section of docs/BENCHMARKS.md from a fresh SBF build: per
# instruction (tests/sbf/tests/sbf.rs) and per pricing engine (tests/sbf/tests/engines.rs).
# usage: bash .ci/sbf/cu-report.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
bash .ci/sbf/build.sh >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
(cd tests/sbf && CU_REPORT="$tmp/ix.md" CU_REPORT_WORST="$tmp/worst.md" CU_REPORT_BOARDS="$tmp/boards.md" CU_REPORT_FLOOR="$tmp/floor.md" CU_REPORT_ENGINES="$tmp/engines.md" cargo test --locked -q >/dev/null)
python3 - "$tmp" <<'PY'
import pathlib, sys
tmp = pathlib.Path(sys.argv[1])
doc = pathlib.Path("docs/BENCHMARKS.md")
text = doc.read_text()
start, end = "<!-- cu-report:start -->", "<!-- cu-report:end -->"
if start not in text or end not in text:
    sys.exit("docs/BENCHMARKS.md has no cu-report markers")
body = (
    "\n_Written by `bash .ci/sbf/cu-report.sh`; upstream LLVM + sbpf-linker (SBPF v3), not the "
    "official platform-tools; overflow checks on._\n\n"
    "Per instruction (`tests/sbf/tests/sbf.rs`: 8-strike board, the full lifecycle):\n\n"
    + (tmp / "ix.md").read_text()
    + "\nWorst case (`a_full_margin_account_stays_liquidatable_within_budget`): a margin account "
    "with its maximum of 8 positions on 8 boards and 8 open series, all short call spreads; every margin "
    "check bounds each of them from its board's margin cache, and the rows marked `cache undecisive` "
    "(caches made unable to decide) bound and then price them all:\n\n"
    + (tmp / "worst.md").read_text()
    + "\nCost in the number of boards (`a_trade_costs_the_same_with_one_board_or_twelve`): a trade "
    "reads one board; LP flows and hedges read every active board (NAV), at most 12:\n\n"
    + (tmp / "boards.md").read_text()
    + "\nA buy while the realised-vol floor binds (`a_buy_with_the_realised_vol_floor_binding_is_measured`: "
    "the estimate matured near 130% over the 80% listing; an ATM put, the ATM call spread and the 180 "
    "call spread, each priced once more at the floor):\n\n"
    + (tmp / "floor.md").read_text()
    + "\nPricing engines on the same 200 inputs (`tests/sbf/tests/engines.rs`), CU net of the "
    "measuring program's parsing:\n\n"
    + (tmp / "engines.md").read_text()
)
head, rest = text.split(start, 1)
tail = rest.split(end, 1)[1]
doc.write_text(head + start + "\n" + body + end + tail)
print("docs/BENCHMARKS.md: compute-unit section rewritten")
PY
