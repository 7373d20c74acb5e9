#!/usr/bin/env bash
# Quick start: set everything up, then run the main job (training on the sample corpus shipped in the package).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/sttx train "$@"
