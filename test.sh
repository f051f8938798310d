#!/usr/bin/env bash
# The test suite: install, then pytest (builds the data into a temporary folder, runs the
# notebook in FAST mode on a fresh kernel, checks the report). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
bash setup_env.sh
.venv/bin/python -m pytest -q -W ignore::DeprecationWarning tests "$@"
