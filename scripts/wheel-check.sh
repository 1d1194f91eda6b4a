#!/usr/bin/env bash
# CI: build the wheel, install it into a fresh venv WITHOUT extras, and from a folder outside the repository,
# with no key, run wan_nb.generate, `wan-nb generate` and the panel: each must give a decodable H.264 MP4
# (scripts/fresh_install_check.py, checked with the PyAV of that venv). Prints the install time.
# Usage: scripts/wheel-check.sh [python]   (default: python3; WORK=<dir> keeps the venv for inspection)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${1:-python3}"
work="${WORK:-$(mktemp -d)}"
trap '[ -n "${WORK:-}" ] || rm -rf "$work"' EXIT

"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
"$work/venv/bin/python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$repo"
wheel="$(ls "$work"/dist/wan_nb-*.whl)"
echo "wheel: $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"

start=$(date +%s.%N)
"$work/venv/bin/python" -m pip install --quiet "$wheel"
end=$(date +%s.%N)
printf 'fresh-venv install of the wheel (no extras): %.1f s, venv %s\n' \
  "$(echo "$end - $start" | bc)" "$(du -sh "$work/venv" | cut -f1)"

mkdir -p "$work/outside"
cd "$work/outside"  # not the repository: nothing may come from its files
env -u DASHSCOPE_API_KEY -u WAN_API_KEY -u WAN_NB_PROVIDER -u PYTHONPATH \
  WAN_NB_HOME="$work/home" "$work/venv/bin/python" "$repo/scripts/fresh_install_check.py"
echo "wheel-check: ok"
