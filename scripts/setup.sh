#!/usr/bin/env bash
# Set up sttx on a fresh Debian/Ubuntu machine: system packages (when missing), a venv in .venv, sttx and its
# test dependencies, the example plugin, and KenLM's tools for `sttx lm build` (compiled once per user into
# ~/.cache/sttx/kenlm unless lmplz, build_binary and filter are on PATH). Safe to run again: it only does what is
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(sox libsox-fmt-all libopus0 espeak-ng libsndfile1
    # to compile KenLM's lmplz, build_binary and filter (`sttx lm build`)
    cmake g++ make libboost-program-options-dev libboost-system-dev libboost-thread-dev libboost-test-dev
    zlib1g-dev libbz2-dev liblzma-dev)
missing=()
for package in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "sttx setup: installing system packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "sttx setup: missing system packages; run: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

if [[ ! -x .venv/bin/python ]]; then
    PYTHON=${PYTHON:-}
    if [[ -z $PYTHON ]]; then
        for candidate in python3.13 python3.12 python3.11 python3; do
            # a version manager's shim may exist without a working interpreter behind it: probe quietly
            if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
                PYTHON=$candidate
                break
            fi
        done
    fi
    if [[ -z $PYTHON ]]; then
        echo "sttx setup: Python >= 3.11 is required (set PYTHON=/path/to/python3.11)" >&2
        exit 1
    fi
    echo "sttx setup: creating .venv with $PYTHON"
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
echo "sttx setup: installing sttx and its dependencies into .venv (the first time downloads TensorFlow)"
.venv/bin/python -m pip install -q -e ".[test]"
.venv/bin/python -m pip install -q --no-deps ./examples/sttx-locale-xx
echo "sttx setup: KenLM's tools (the first time compiles them: 1-2 minutes)"
.venv/bin/python -m sttx.core.inference.lm.tools
