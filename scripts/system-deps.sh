#!/usr/bin/env bash
# Install the Debian packages the test suite drives for real, where missing:
#   biber     validates the biblatex we write (biber --tool --validate-datamodel)
#   chromium  renders notebooks, JupyterLab and index.html in the browser tests
#   pandoc    reads the CSL-JSON we write
# Needs root (CI and the dev machines run as root); otherwise says what to install and goes on,
# and the tests that need a missing program fail with a message naming it.
set -u
need=()
command -v biber >/dev/null 2>&1 || need+=(biber)
[ -x /usr/lib/chromium/chromium ] || need+=(chromium)
command -v pandoc >/dev/null 2>&1 || need+=(pandoc)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ]; then
  echo "system-deps: missing ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]} (Debian packages)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
