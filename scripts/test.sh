#!/usr/bin/env bash
# Set everything up, then run the test suite (slow checks excluded; pass `-m slow` to run only those).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -m "not slow" "$@"
