#!/bin/sh
# Installs what casemix needs to build and test on Debian (12 or later).
# Idempotent: installs only missing packages. Needs root (or sudo).
set -eu

pkgs="gcc pkg-config meson ninja-build libglib2.0-dev libxml2-dev libcriterion-dev
      libjson-glib-dev libsoup-3.0-dev libsqlite3-dev libzip-dev"
# The integration tests render reports in headless Chromium and open the
# workbooks in LibreOffice; they skip (saying so) where these are absent.
# CASEMIX_MINIMAL_DEPS=1 installs only what the build needs.
[ "${CASEMIX_MINIMAL_DEPS:-0}" = 1 ] || pkgs="$pkgs chromium fonts-noto-cjk libreoffice-calc-nogui"
[ -n "${CASEMIX_EXTRA_PKGS:-}" ] && pkgs="$pkgs $CASEMIX_EXTRA_PKGS"

missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "casemix: installing:$missing" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
