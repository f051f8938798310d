"""Shared fixtures: the data built once per session into a temporary folder, and a way to
run the notebook's own cells (by part tag) in this process, like testbook does."""
import json
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import hw4data  # noqa: E402

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


def notebook_cells(*tags):
    """Source of the notebook's code cells carrying any of `tags`, in order."""
    nb = json.loads(NOTEBOOK.read_text())
    return ["".join(c["source"]) for c in nb["cells"]
            if c["cell_type"] == "code" and set(c["metadata"].get("tags", [])) & set(tags)]


def run_part(part, params):
    """Execute the setup cells and the cells of `part` with `params` overriding the parameters."""
    ns = {"__name__": "__notebook__"}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        cells = notebook_cells("setup", part)
        exec(cells[0], ns)              # the parameters cell
        ns.update(params)
        for src in cells[1:]:
            exec(compile(src, f"<{part} cell>", "exec"), ns)
    finally:
        os.chdir(cwd)
        matplotlib.pyplot.close("all")
    return ns


@pytest.fixture(scope="session")
def fast_params(built, sources, tmp_path_factory):
    """FAST-mode parameters. MNIST comes from a copy in a temporary folder, so a cell that read MNIST
    from anywhere but the MNIST_DIR parameter would not see the same files (see test_notebook.py)."""
    mnist_copy = tmp_path_factory.mktemp("sources") / "mnist"
    shutil.copytree(sources / "mnist", mnist_copy)
    return {"DATA_DIR": str(built), "MNIST_DIR": str(mnist_copy),
            "RESULTS_DIR": str(tmp_path_factory.mktemp("results")), "FAST": True, "SEED": 0}


@contextmanager
def float64():
    """Default dtype float64 inside the block: in the batched-vs-alone tests any mixing between models shows far
    above rounding."""
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(torch.float32)


def assert_same_weights(a, b, atol=1e-10):
    """Modules a and b hold the same parameters, to atol."""
    for name, w in a.state_dict().items():
        assert torch.allclose(w, b.state_dict()[name], rtol=0, atol=atol), name
