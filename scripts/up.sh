#!/usr/bin/env bash
# The main job on the embedded default: installs apeach-ls with the Label Studio server and
# the release extras into .venv (only when the package's requirements changed), then runs
# `apeach-ls up`: a local Label Studio on SQLite + the ML backend + the generation project
# with the ten APEACH topics, serving the built-in pseudo-classifier (trained on BEEP!).
# APEACH_TRAIN_DATA=FILE trains the model from FILE on the first run instead.
# Extra arguments go to `apeach-ls up` (e.g. --port 8080 --ml-port 9090 --per-topic 20).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
ensure_venv 'server,release'
args=()
if [ -n "${APEACH_TRAIN_DATA:-}" ]; then args+=(--train-data "$APEACH_TRAIN_DATA"); fi
exec .venv/bin/apeach-ls up "${args[@]}" "$@"
