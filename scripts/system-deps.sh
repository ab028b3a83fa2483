#!/usr/bin/env bash
# Install the Debian packages the project needs, only when missing:
#   chromium        browser tests (Playwright drives /usr/bin/chromium; nothing downloads a browser)
#   fonts-wqy-zenhei  CJK TrueType font embedded in PDFs (contracts, statements)
#   gettext         compilemessages / makemessages
#   poppler-utils   pdftotext, pdffonts, pdftoppm: the tests read the PDFs we generate
# With the argument "cluster" (deploy/cluster.sh, `make cluster`, tests/cluster/) also:
#   nginx-light     the proxy in front of the rehearsal's two web nodes
#   redis-server    its task broker and cache
set -euo pipefail
need=()
if [ "${1:-}" = cluster ]; then
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
fi
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need+=(fonts-wqy-zenhei)
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
[ -x /usr/bin/pdftotext ] && [ -x /usr/bin/pdffonts ] && [ -x /usr/bin/pdftoppm ] || need+=(poppler-utils)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
echo "Installing system packages: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "error: need root (or sudo) to install: ${need[*]}" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
