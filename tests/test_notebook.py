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
        if cell["cell_type"] == "code":
            assert set(cell["metadata"].get("tags", [])) & set(PARTS), cell["source"][:80]
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
