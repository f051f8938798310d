"""The whole notebook in FAST mode on a fresh kernel: its metrics, its parameters, determinism, the HTML export,
the notebook's shape (tags, cell and function sizes) and a wrong data folder."""
import ast
import json
import re
import subprocess
import sys

import pytest

import hw4lib
from conftest import NOTEBOOK, ROOT, definitions

PARTS = ("setup", "p1", "p2", "p3", "p4", "report")


def code_cells():
    return [c for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]


def test_every_code_cell_is_tagged_and_short():
    cells = code_cells()
    for cell in cells:
        tags = set(cell["metadata"].get("tags", []))
        assert tags & set(PARTS), cell["source"][:2]
        assert "injected-parameters" not in tags, "papermill's injected cell is committed"
        lines = [l for l in "".join(cell["source"]).splitlines() if l.strip()]
        assert len(lines) <= 40, f"a cell of {len(lines)} lines: {lines[0]}"
        for node in ast.walk(ast.parse("".join(cell["source"]))):
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno - node.lineno + 1 <= 40, f"function {node.name} is over 40 lines"
    assert len([c for c in cells if "parameters" in c["metadata"]["tags"]]) == 1


def test_fast_run_writes_metrics(fast_run):
    m, params = fast_run["metrics"], fast_run["params"]
    assert m["fast"] is True and m["device"] in ("cpu", "cuda") and m["mnist_dir"] == params["MNIST_DIR"]
    for part in ("p1", "p2", "p3", "p4"):
        assert m["seconds"][part] > 0
    assert m["seconds"]["total"] >= sum(v for k, v in m["seconds"].items() if k != "total")
    assert not [o for c in fast_run["nb"]["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert json.loads((ROOT / "results" / "metrics.json").read_text())["fast"] is False   # committed: a full run


def test_a_wrong_mnist_folder_gets_the_builders_clear_error(tmp_path):
    ns = definitions("p3", MNIST_DIR=str(tmp_path / "no-mnist"))
    [reads_mnist] = [c for c in hw4lib.notebook_cells(NOTEBOOK, "setup") if "hw4lib.mnist(" in c]
    with pytest.raises(hw4lib.hw4data.DataError, match=r"no-mnist/train-images-idx3-ubyte.gz: MNIST file not found"):
        exec(reads_mnist, ns)


def test_html_export_is_self_contained(fast_run, tmp_path):
    html = tmp_path / "report.html"
    subprocess.run([sys.executable, str(ROOT / "export_html.py"), str(fast_run["path"]), str(html)], check=True,
                   capture_output=True)
    text = html.read_text()
    imgs = re.findall(r'<img[^>]*src="([^"]*)"', text)
    assert imgs and all(src.startswith("data:image/") for src in imgs)
    local = re.findall(r'(?:src|href)="(?!data:|https?:|#|mailto:)([^"]+)"', text)
    assert not local, local[:5]
    assert not re.search(r'<script[^>]+src="https?://', text) and "MathJax 3.2.2" in text    # no script from a CDN
