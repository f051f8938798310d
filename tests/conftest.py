"""Shared fixtures: the data built once per session into a temporary folder, the notebook's definition cells
(no training) for the unit tests, and one FAST run of the whole notebook on a fresh kernel for every test that
needs trained outputs.

The tests come in three tiers, selected with `pytest -m TIER` (the README's test command runs all three):
- unit: functions and the notebook's definitions against hand computations; no notebook run, no data build,
  no experiment run, no committed result read (under a minute);
- fast: the data build, FAST runs of the notebook (papermill and a Jupyter server's kernel) and of every
  experiment, the download path;
- committed: the committed notebook, HTML, README and reports agree with each other and come from full runs.
A test's tier is its module's (TIERS below), or the `fast` tier for any unit-module test that uses the data build
or the FAST run."""
import json
import os
import shutil
import sys
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


def definitions(*parts, **params):
    """A namespace with the notebook's parameters (`params` overriding them) and the cells tagged `defs` of the
    setup and of `parts`: its functions, classes and settings; nothing trained, no data read, no file written."""
    return hw4lib.notebook_definitions(NOTEBOOK, *parts, **params)


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


TIERS = {"test_report": "committed", "test_data": "fast", "test_download": "fast", "test_experiments": "fast",
         "test_jupyter": "fast"}                  # every other module: unit
SLOW_FIXTURES = {"built", "fast_run", "fast_params"}


def pytest_configure(config):
    for tier, what in (("unit", "fast checks of functions and definitions (no notebook or experiment run)"),
                       ("fast", "the data build and FAST runs of the notebook and experiments"),
                       ("committed", "the committed notebook, HTML, README and reports")):
        config.addinivalue_line("markers", f"{tier}: {what}")


def pytest_collection_modifyitems(items):
    for item in items:
        if any(m.name in ("unit", "fast", "committed") for m in item.iter_markers()):
            continue                                 # marked by hand
        tier = TIERS.get(item.module.__name__.rsplit(".", 1)[-1], "unit")
        if tier == "unit" and SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            tier = "fast"
        item.add_marker(getattr(pytest.mark, tier))
