#!/usr/bin/env bash
# The browser test drives Debian's Chromium (Playwright cannot download its own browser here).
# Install it when missing; a no-op when it is there. Called by `make test`.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null && SUDO="sudo -n" || { echo "ensure-chromium: need root to apt-get install chromium" >&2; exit 1; }
fi
echo "ensure-chromium: installing Debian's chromium (browser tests)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version
