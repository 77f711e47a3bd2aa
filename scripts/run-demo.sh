#!/bin/sh
# The main command of README.md: install dependencies, build a release
# casemix, and run the demo year on synthetic data (no real patients):
# for the demo regions zhuzhou (DRG) and yiyang (DIP), a base year and its
# catalogue, twelve monthly settlements, special-case reviews, the annual
# clearing, the county alliance budgets and the reports (casemix demo,
# docs/settlement.md). Output lands in demo-out/; extra arguments go to
# `casemix demo` (e.g. -n 1000 for a quicker run).
set -eu
cd "$(dirname "$0")/.."
CASEMIX_MINIMAL_DEPS=1 scripts/install-deps.sh
[ -d build-release ] || meson setup build-release --buildtype=release -Dtests=false
meson compile -C build-release >/dev/null
build-release/src/casemix demo -o demo-out "$@"
echo
echo "Reports: demo-out/<region>/clearing-<year>.html and .xlsx (annual clearing,"
echo "alliances, charts), demo-out/<region>/settle-<year>-<MM>.xlsx (monthly statements);"
echo "the ledger demo-out/ledger.sqlite (casemix settle verify | audit --ledger …)."
