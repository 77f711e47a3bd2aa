#!/bin/sh
# The main command of README.md: install dependencies, build a release
# casemix, and run a demo month on synthetic data shipped as a generator
# (no real patients): generate → group → (price → settle → report when the
# policy packs are present). Output lands in demo-out/.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -d build-release ] || meson setup build-release --buildtype=release -Dtests=false
meson compile -C build-release >/dev/null
cm=build-release/src/casemix
out=demo-out
mkdir -p "$out"

echo "== 1. a demo month: 30,000 synthetic episodes discharged in 2025-03"
$cm sample --scheme changsha-2023 -n 30000 --seed 2025 --year 2025 --month 3 -o "$out/episodes-2025-03.csv"

echo "== 2. group with the Hunan (长株潭衡) DRG scheme and with CHS-DRG 3.0"
$cm group --scheme changsha-2023 --rejects "$out/rejects.csv" \
    -o "$out/grouped-changsha-2023.csv" "$out/episodes-2025-03.csv"
$cm group --scheme chs-drg-3.0 -o "$out/grouped-chs-drg-3.0.csv" "$out/episodes-2025-03.csv"
$cm group --scheme dip-cn-national-3.0 -o "$out/grouped-dip-3.0.csv" "$out/episodes-2025-03.csv"

if $cm --help | grep -q '^  price'; then
  echo "== 3. price with the Zhuzhou demo policy"
  $cm price --policy zhuzhou -o "$out/priced-zhuzhou.csv" "$out/episodes-2025-03.csv"
fi
echo "== done: results in $out/"
ls -l "$out"
