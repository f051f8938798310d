#!/usr/bin/env bash
# The main job: install, build the data, run homework4.ipynb top to bottom in place (full run),
# and export homework4.html with every image and sound embedded.
# Usage: ./run.sh [--sources DIR]   (DIR holds librispeech-test-clean/ and mnist/; default ../shared/datasets)
set -euo pipefail
cd "$(dirname "$0")"
bash setup_env.sh
.venv/bin/python hw4data.py "$@"
start=$(date +%s)
.venv/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=-1 \
  --ExecutePreprocessor.kernel_name=python3 homework4.ipynb
.venv/bin/jupyter nbconvert --to html --embed-images homework4.ipynb
echo "notebook executed and exported in $(( $(date +%s) - start )) s: homework4.ipynb, homework4.html, results/"
