#!/usr/bin/env bash
# The main job on the embedded default: installs apeach-ls with the Label Studio server into
# .venv, then runs `apeach-ls up` (local Label Studio on SQLite + the ML backend + the
# generation project with the ten APEACH topics). The first run trains the default
# pseudo-classifier from BEEP! (APEACH_TRAIN_DATA, default ../shared/data/beep/train.tsv).
# Extra arguments go to `apeach-ls up` (e.g. --port 8080 --ml-port 9090 --per-topic 20).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv; fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[server]'
train="${APEACH_TRAIN_DATA:-../shared/data/beep/train.tsv}"
args=()
[ -f "$train" ] && args+=(--train-data "$train")
exec .venv/bin/apeach-ls up "${args[@]}" "$@"
