#!/usr/bin/env bash
# The test command (README, CI): installs apeach-ls with its test extras into .venv (only when
# the package's requirements changed), checks lint, format and types (ruff, ruff format, mypy
# strict on the pure core; configuration in pyproject.toml), stopping at the first that fails,
# then runs the whole suite (unit, integration against a real Label Studio, and one browser
# test). Needs Debian's chromium and fonts-noto-cjk for the browser test (.ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
ensure_venv 'test'
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
