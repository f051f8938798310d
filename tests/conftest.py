"""Shared fixtures: the data built once per session into a temporary folder, the notebook's definition cells
(no training) for the unit tests, and one FAST run of the whole notebook on a fresh kernel for every test that
needs trained outputs."""
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import hw4data  # noqa: E402
import hw4lib  # noqa: E402

SOURCES = Path(os.environ.get("HW4_SOURCES", ROOT.parent / "shared" / "datasets"))
NOTEBOOK = ROOT / "homework4.ipynb"


@pytest.fixture(scope="session")
def sources():
    if not SOURCES.is_dir():
        pytest.fail(f"{SOURCES}: the public corpora are needed (set HW4_SOURCES).")
    return SOURCES


@pytest.fixture(scope="session")
def built(sources, tmp_path_factory):
    out = tmp_path_factory.mktemp("data")
    hw4data.build(sources, out, log=lambda *a: None)
    return out


def definitions(part, **params):
    """A namespace with the notebook's parameters (`params` overriding them) and the cells tagged `defs` of the
    setup and of `part`: its functions, classes and settings, nothing trained and no data read."""
    return hw4lib.notebook_definitions(NOTEBOOK, part, **{"RESULTS_DIR": tempfile.mkdtemp(prefix="hw4-defs-"), **params})


@pytest.fixture(scope="session")
def fast_params(built, sources, tmp_path_factory):
    """FAST-mode parameters. MNIST comes from a copy in a temporary folder, so a cell that read MNIST from anywhere
    but the MNIST_DIR parameter would not see the same files."""
    mnist_copy = tmp_path_factory.mktemp("sources") / "mnist"
    shutil.copytree(sources / "mnist", mnist_copy)
    return {"DATA_DIR": str(built), "MNIST_DIR": str(mnist_copy),
            "RESULTS_DIR": str(tmp_path_factory.mktemp("results")), "FAST": True, "SEED": 0}


def execute_metrics(notebook, params, out):
    """Run `notebook` (papermill, fresh kernel) with `params`; returns the metrics.json it wrote."""
    import papermill as pm
    pm.execute_notebook(str(notebook), str(out), parameters=params, cwd=str(ROOT), kernel_name="python3",
                        progress_bar=False)
    return json.loads((Path(params["RESULTS_DIR"]) / "metrics.json").read_text())


@pytest.fixture(scope="session")
def fast_run(fast_params, tmp_path_factory):
    """One FAST run of the whole notebook: its executed cells, parameters, metrics and results folder."""
    out = tmp_path_factory.mktemp("nb") / "homework4_fast.ipynb"
    metrics = execute_metrics(NOTEBOOK, fast_params, out)
    return {"path": out, "nb": json.loads(out.read_text()), "params": fast_params,
            "results": Path(fast_params["RESULTS_DIR"]), "metrics": metrics}
