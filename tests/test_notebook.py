"""The whole notebook in FAST mode on a fresh kernel, and its HTML export."""
import json
import re
import subprocess
import sys

import papermill as pm
import pytest

from conftest import NOTEBOOK, ROOT

PARTS = ("setup", "p1", "p2", "p3", "p4", "report")


def test_every_code_cell_is_tagged():
    nb = json.loads(NOTEBOOK.read_text())
    for cell in nb["cells"]:
        tags = set(cell["metadata"].get("tags", []))
        if cell["cell_type"] == "code" and "injected-parameters" not in tags:   # papermill's cell, from run.sh
            assert tags & set(PARTS), cell["source"][:80]
    params = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1
    for name in ("DATA_DIR", "RESULTS_DIR", "FAST", "SEED"):
        assert name in "".join(params[0]["source"])


@pytest.fixture(scope="module")
def fast_run(fast_params, tmp_path_factory):
    out = tmp_path_factory.mktemp("nb") / "homework4_fast.ipynb"
    pm.execute_notebook(str(NOTEBOOK), str(out), parameters=fast_params, cwd=str(ROOT),
                        kernel_name="python3", progress_bar=False)
    return out, fast_params


def test_fast_run_writes_metrics(fast_run):
    _, params = fast_run
    from pathlib import Path
    m = json.loads((Path(params["RESULTS_DIR"]) / "metrics.json").read_text())
    assert m["fast"] is True and m["device"] in ("cpu", "cuda")
    assert m["mnist_dir"] == params["MNIST_DIR"]
    present = [p for p in ("p1", "p2", "p3", "p4") if p in m]
    for part in present:
        assert m["seconds"][part] > 0
    assert m["seconds"]["total"] >= sum(m["seconds"][p] for p in present)
    assert not (ROOT / "results" / "metrics.json").exists() or \
        json.loads((ROOT / "results" / "metrics.json").read_text())["fast"] is False


def test_html_export_is_self_contained(fast_run, tmp_path):
    nb_path, _ = fast_run
    html = tmp_path / "report.html"
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "--embed-images",
                    str(nb_path), "--output", str(html)], check=True, capture_output=True)
    text = html.read_text()
    imgs = re.findall(r'<img[^>]*src="([^"]*)"', text)
    assert imgs and all(src.startswith("data:image/") for src in imgs)
    local = re.findall(r'(?:src|href)="(?!data:|https?:|#|mailto:)([^"]+)"', text)
    assert not local, local[:5]


def test_the_data_folders_reach_every_problem():
    """Problems 2-4 read MNIST, and 1-2 the pickles, only through the parameters that run.sh passes."""
    nb = json.loads(NOTEBOOK.read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"
            and not {"parameters", "injected-parameters"} & set(c["metadata"].get("tags", []))]
    joined = "\n".join(code)
    assert "shared/datasets" not in joined and "data/" not in joined and "results/" not in joined
    assert re.findall(r"load_mnist\(([^,]+),", joined) == ["MNIST_DIR"]
    assert "path = DATA_DIR / name" in joined
    run = (ROOT / "run.sh").read_text()
    papermill = run[run.index("papermill homework4.ipynb"):]
    for parameter in ('-p DATA_DIR data', '-p RESULTS_DIR results', '-p MNIST_DIR "$SOURCES/mnist"'):
        assert parameter in papermill.split("\n\n")[0], parameter
