#!/usr/bin/env bash
# The test command (README, CI): installs apeach-ls with its test extras into .venv, then runs
# the whole suite (unit, integration against a real Label Studio, and one browser test).
# Needs Debian's chromium and fonts-noto-cjk for the browser test (.ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
exec .venv/bin/python -m pytest "$@"
