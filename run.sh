#!/usr/bin/env bash
# The main job: install, build the data, run homework4.ipynb top to bottom in place (full run) with
# papermill, export homework4.html with every image, sound and formula embedded, and update README.md's numbers.
# Usage: ./run.sh [--sources DIR]
#   DIR holds LibriSpeech/ (OpenSLR's test-clean, extracted) or librispeech-test-clean/, mnist/ and
#   commonvoice-sample/ and commonvoice-dev/ (default: $HW4_SOURCES, else ../shared/datasets). Without them, `hw4data.py --download`
#   fetches them into the cache folder ($HW4_CACHE, else ~/.cache/hw4) and the build reads them from there.
#   The notebook runs with its defaults (data/, results/, FAST = False) and MNIST_DIR=DIR/mnist.
set -euo pipefail
cd "$(dirname "$0")"
SOURCES="${HW4_SOURCES:-../shared/datasets}"
while [ $# -gt 0 ]; do
  case "$1" in
    --sources) [ $# -ge 2 ] || { echo "--sources needs a folder" >&2; exit 2; }; SOURCES="$2"; shift 2 ;;
    --sources=*) SOURCES="${1#*=}"; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (usage: ./run.sh [--sources DIR])" >&2; exit 2 ;;
  esac
done
bash setup_env.sh
if { [ -d "$SOURCES/LibriSpeech/test-clean" ] || [ -d "$SOURCES/librispeech-test-clean" ]; } \
    && [ -d "$SOURCES/commonvoice-sample" ] && [ -d "$SOURCES/commonvoice-dev" ]; then
  .venv/bin/python hw4data.py --sources "$SOURCES"
else
  echo "no LibriSpeech, commonvoice-sample or commonvoice-dev in $SOURCES: downloading the public sources (about 365 MB, once)"
  .venv/bin/python hw4data.py --download
  SOURCES="$(.venv/bin/python -c 'import hw4data; print(hw4data.cache_dir())')"
fi
start=$(date +%s)
# The parameters cell's defaults are the full run with data/, results/ and ../shared/datasets/mnist. Only a
# parameter that differs is passed: papermill then adds an "injected-parameters" cell that shows it.
PARAMS=()
if [ "$(realpath -m "$SOURCES/mnist")" != "$(realpath -m ../shared/datasets/mnist)" ]; then
  PARAMS=(-p MNIST_DIR "$SOURCES/mnist")
fi
.venv/bin/papermill homework4.ipynb homework4.ipynb --kernel python3 --log-output --no-progress-bar "${PARAMS[@]}"
.venv/bin/python export_html.py homework4.ipynb homework4.html
.venv/bin/python update_readme.py
echo "notebook executed and exported in $(( $(date +%s) - start )) s: homework4.ipynb, homework4.html, results/"
