#!/usr/bin/env bash
# Install the system programs minigrad's tests use: Graphviz's `dot` (rendering),
# Chromium (the flipbook's browser test) and rsvg-convert (SVG to PNG, to look
# at a figure at the size a learner sees it). As root on Debian/Ubuntu this
# installs them with apt-get; otherwise it says how.
set -euo pipefail

missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v rsvg-convert >/dev/null 2>&1 || missing+=(librsvg2-bin)

if [ ${#missing[@]} -eq 0 ]; then
  echo "system-deps: dot and chromium are present"
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  exit 0
fi

cat <<MSG
system-deps: missing ${missing[*]}. Install them with one of:
  Debian/Ubuntu:  sudo apt-get install graphviz chromium librsvg2-bin
  macOS:          brew install graphviz librsvg && brew install --cask chromium
  conda:          conda install -c conda-forge graphviz
Without dot, minigrad still builds DOT text (graph.source); only rendering to
SVG/PNG needs it. Without chromium, the flipbook's browser test is skipped locally.
MSG
