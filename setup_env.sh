#!/usr/bin/env bash
# Create .venv (if needed) and install the pinned requirements into it. Run by run.sh and test.sh (bash setup_env.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
