#!/bin/sh
# The test command of README.md (and of .ci/run): install dependencies,
# build, run the whole suite, then the sanitizer build.
#   CASEMIX_SKIP_ASAN=1  skips the ASan/UBSan pass.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[ -d build ] || meson setup build
meson compile -C build
meson test -C build --print-errorlogs --num-processes 2
if [ "${CASEMIX_SKIP_ASAN:-0}" != 1 ]; then
  [ -d build-asan ] || meson setup build-asan -Dbuildtype=debug \
      -Db_sanitize=address,undefined -Db_lundef=false
  meson compile -C build-asan
  meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 4
fi
