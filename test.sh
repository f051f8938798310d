#!/usr/bin/env bash
# The test suite: install (Python packages, and Debian's chromium for the report test), then
# pytest: builds the data into a temporary folder, runs the notebook's parts and the whole
# notebook in FAST mode on a fresh kernel, and checks the committed report. Extra arguments go to pytest:
# `./test.sh -m unit` (under a minute), `-m fast` or `-m committed` runs one tier (tests/conftest.py).
set -euo pipefail
cd "$(dirname "$0")"
bash setup_env.sh
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
      || echo "could not install chromium: the browser test will be skipped"
  else
    echo "chromium is not installed (apt-get install chromium): the browser test will be skipped"
  fi
fi
.venv/bin/python -m pytest -q -W ignore::DeprecationWarning tests "$@"
