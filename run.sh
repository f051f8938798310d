#!/usr/bin/env bash
# The main job: install, build the data, run homework4.ipynb top to bottom in place (full run) with
# papermill, export homework4.html with every image, sound and formula embedded, and update README.md's numbers.
# Usage: ./run.sh [--sources DIR]
#   DIR holds librispeech-test-clean/ and mnist/ (default: $HW4_SOURCES, else ../shared/datasets).
#   The notebook gets DATA_DIR=data, RESULTS_DIR=results and MNIST_DIR=DIR/mnist as parameters.
set -euo pipefail
cd "$(dirname "$0")"
SOURCES="${HW4_SOURCES:-../shared/datasets}"
while [ $# -gt 0 ]; do
  case "$1" in
    --sources) [ $# -ge 2 ] || { echo "--sources needs a folder" >&2; exit 2; }; SOURCES="$2"; shift 2 ;;
    --sources=*) SOURCES="${1#*=}"; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (usage: ./run.sh [--sources DIR])" >&2; exit 2 ;;
  esac
done
bash setup_env.sh
.venv/bin/python hw4data.py --sources "$SOURCES"
start=$(date +%s)
.venv/bin/papermill homework4.ipynb homework4.ipynb --kernel python3 --log-output --no-progress-bar \
  -p DATA_DIR data -p RESULTS_DIR results -p MNIST_DIR "$SOURCES/mnist" -p FAST False
.venv/bin/python export_html.py homework4.ipynb homework4.html
.venv/bin/python update_readme.py
echo "notebook executed and exported in $(( $(date +%s) - start )) s: homework4.ipynb, homework4.html, results/"
