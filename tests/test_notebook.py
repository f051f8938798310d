"""The whole notebook in FAST mode on a fresh kernel: its metrics, its parameters, determinism, the HTML export,
the notebook's shape (tags, cell and function sizes) and a wrong data folder."""
import ast
import json
import re
import subprocess
import sys

import pytest
import torch

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
    m = fast_run["metrics"]
    assert m["fast"] is True
    for part in ("p1", "p2", "p3", "p4"):
        assert m[f"seconds_{part}"] > 0
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
    assert all(re.fullmatch(r"results/experiments/\w+\.md", link) for link in local), local[:5]   # the reports, beside it
    assert not re.search(r'<script[^>]+src="https?://', text) and "MathJax 3.2.2" in text    # no script from a CDN


def _top_level_names(trees):
    """Names that code cells bind at top level, and which of them are functions, classes or modules."""
    bound, definitions = set(), set()
    for tree in trees:
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                definitions.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                definitions |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                  and getattr(node.value.func, "id", None) == "namedtuple"):     # a class, made by namedtuple
                definitions |= {t.id for t in node.targets}
            else:
                bound |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return bound, definitions


def test_functions_take_what_they_use():
    """No notebook function reads a top-level name other than modules, classes, functions and UPPER_CASE constants."""
    import builtins
    trees = [ast.parse("".join(c["source"])) for c in code_cells()]
    bound, definitions = _top_level_names(trees)
    offenders = []
    for tree in trees:
        for fn in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))]:
            local = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
            for n in ast.walk(fn):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    local.add(n.id)
                elif isinstance(n, (ast.Import, ast.ImportFrom)):
                    local |= {(a.asname or a.name).split(".")[0] for a in n.names}
                elif isinstance(n, ast.arg):
                    local.add(n.arg)
            reads = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            hidden = [r for r in reads - local - definitions
                      if not r.isupper() and not hasattr(builtins, r) and r in bound]
            if hidden and not isinstance(fn, ast.Lambda):
                offenders.append((fn.name, sorted(hidden)))
    assert not offenders, offenders


def test_figure_cells_only_read():
    cells = code_cells()
    trees = [ast.parse("".join(c["source"])) for c in cells]
    def free_reads(tree):            # names a cell reads but never binds itself
        names = [n for n in ast.walk(tree) if isinstance(n, ast.Name)]
        bound = {n.id for n in names if isinstance(n.ctx, ast.Store)} | {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
        return {n.id for n in names if isinstance(n.ctx, ast.Load)} - bound

    later_reads = [set() for _ in trees]
    for i in range(len(trees) - 2, -1, -1):
        later_reads[i] = later_reads[i + 1] | free_reads(trees[i + 1])
    for cell, tree, later in zip(cells, trees, later_reads):
        src = "".join(cell["source"])
        if "plt.show()" in src and "defs" not in cell["metadata"]["tags"]:
            binds = {n.id for node in tree.body if not isinstance(node, (ast.FunctionDef, ast.ClassDef))
                     for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            assert not binds & later, f"a figure cell binds {sorted(binds & later)}, read later: {src[:60]}"


def test_setup_is_short_and_the_gans_live_in_problem_3():
    cells = code_cells()
    setup = [c for c in cells if "setup" in c["metadata"]["tags"]]
    lines = sum(1 for c in setup for l in "".join(c["source"]).splitlines() if l.strip())
    assert lines <= 50, f"the setup has {lines} non-blank lines"
    first_p3 = next(i for i, c in enumerate(cells) if "p3" in c["metadata"]["tags"])
    for name in ("class Generator", "class Discriminator", "def discriminator_loss", "hw4lib.train_judge("):
        where = next(i for i, c in enumerate(cells) if name in "".join(c["source"]))
        assert where >= first_p3, f"{name} is defined before problem 3"


def test_each_function_is_bound_in_one_cell():
    """A function (def, class or a lambda bound to a name) is bound in one cell only, so a reader finds one meaning."""
    where = {}
    for i, cell in enumerate(code_cells()):
        for node in ast.parse("".join(cell["source"])).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                where.setdefault(node.name, set()).add(i)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        where.setdefault(target.id, set()).add(i)
    assert not {name: cells for name, cells in where.items() if len(cells) > 1}


def test_no_gan_curve_or_stopping_rule_reads_a_test_digit():
    """The scorers that train_cgan and train_imputer call after each epoch are built from the held-out validation
    digits, in the notebook and in every experiment; the test digits appear only after training."""
    sources = {"notebook": "\n".join("".join(c["source"]) for c in code_cells())}
    sources |= {p.name: p.read_text() for p in (ROOT / "experiments").glob("p[34]_*.py")}
    calls = 0
    for name, src in sources.items():
        for call in re.finditer(r"(cgan_scorer|imputer_scorer)\"?\]?\((?!judge, images)([^)]*)\)", src):
            calls += 1
            assert "val_x" in call.group(2) and "test" not in call.group(2), (name, call.group(0))
    assert calls >= 4
    nb = definitions("p3", "p4")
    x, y = torch.rand(60_000, 28, 28), torch.arange(60_000)
    (train_x, train_y), (val_x, val_y) = hw4lib.holdout(x, y, nb["GAN_VALIDATION"])
    assert len(val_x) == 10_000 and torch.equal(val_y, y[50_000:]) and torch.equal(train_y, y[:50_000])


def test_the_scorers_use_noise_that_no_other_stream_draws():
    nb = definitions("p3", "p4")
    offsets = list(nb["OFFSET"].values())
    assert len(set(offsets)) == len(offsets) and nb["OFFSET"]["gan validation"] != nb["OFFSET"]["gan test"]
