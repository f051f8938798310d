"""Does problem 2's recipe find effects it has never seen? Run the notebook's p2 cells on other effects.

Each effect below is added to MNIST's sevens exactly as the stand-in's is (tr7 from the training
sevens, te7 from the test sevens, one strength a ~ U(0, 1) per image, uint8 output, the true
strengths next to the hash of the file they describe). For each effect, the setup and p2 cells
of homework4.ipynb run unchanged through papermill with DATA_DIR pointing at a temporary folder
that holds the effect's files, and the table row is read from the metrics they write:

  effect | acts on | best |rho| | chosen |rho| | linear R^2 of a from all K means | chosen == best

(|rho|: Spearman correlation of a latent's posterior mean on te7 with the true strength; means
over the notebook's seeds, with the lowest seed in brackets.)

Usage:  python p2_effects.py [--fast] [--effects NAME,NAME] [--out results/p2_effects.md]
"""
import argparse
import json
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

import hw4data
import hw4lib

ROOT = Path(__file__).resolve().parent
NOTEBOOK = ROOT / "homework4.ipynb"


def background_haze(x, a):
    """The whole image lifted towards grey: every pixel + round(96 a)."""
    return x + np.rint(96 * a)[:, None, None]


def corner_spot(x, a):
    """A round Gaussian spot (sigma 3 px) in the top-right corner, peak 255 a."""
    r, c = np.mgrid[:28, :28]
    spot = np.exp(-((r - 4) ** 2 + (c - 23) ** 2) / (2 * 3.0 ** 2))
    return x + 255 * a[:, None, None] * spot[None]


def side_gradient(x, a):
    """A left-to-right brightness ramp on the whole image, from 0 to 160 a."""
    ramp = np.linspace(0, 1, 28)[None, None, :]
    return x + 160 * a[:, None, None] * ramp


def rotation(x, a):
    """Rotation about the centre by 60 (a - 0.5) degrees."""
    return np.stack([ndimage.rotate(im, 60 * (ai - 0.5), reshape=False, order=1) for im, ai in zip(x, a)])


def squeeze(x, a):
    """Horizontal squeeze about the centre column, to a width of (1 - 0.5 a)."""
    out = []
    for im, ai in zip(x, a):
        s = 1 - 0.5 * ai
        out.append(ndimage.affine_transform(im, [1.0, 1 / s], offset=[0.0, 13.5 - 13.5 / s], order=1))
    return np.stack(out)


def thicken(x, a):
    """Strokes thickened: a blend towards the 3 x 3 grey dilation, max(x, a * dilate(x))."""
    dil = np.stack([ndimage.grey_dilation(im, size=(3, 3)) for im in x])
    return np.maximum(x, a[:, None, None] * dil)


def blur(x, a):
    """Gaussian blur with sigma 1.5 a pixels."""
    return np.stack([ndimage.gaussian_filter(im, 1.5 * ai) for im, ai in zip(x, a)])


EFFECTS = {  # name: (function of float64 images 0..255 and strengths, what it acts on)
    "frame (the stand-in)": (hw4data.add_frame, "background"),
    "background haze": (background_haze, "background"),
    "corner spot": (corner_spot, "background"),
    "side gradient": (side_gradient, "background"),
    "rotation": (rotation, "geometry"),
    "squeeze": (squeeze, "geometry"),
    "thicken": (thicken, "strokes"),
    "blur": (blur, "strokes"),
}


def make_data(effect, mnist_dir, out, seed=0):
    """tr7.pkl, te7.pkl (uint8) and poor_sevens_truth.npz for one effect, in hw4data's format."""
    arrays = {}
    for name, poor, a in hw4data.poor_sevens(mnist_dir, seed, effect=EFFECTS[effect][0]):
        hw4data.dump_pickle(poor, out / name)
        arrays[f"{name[:-4]}_a"] = a
        arrays[f"{name[:-4]}_sha256"] = np.array(hw4data.sha256(out / name))
    np.savez(out / "poor_sevens_truth.npz", **arrays)


def run_effect(effect, mnist_dir, work, fast):
    import papermill
    data, results = work / "data", work / "results"
    data.mkdir(parents=True), results.mkdir()
    make_data(effect, mnist_dir, data)
    papermill.execute_notebook(str(work.parent / "p2.ipynb"), str(work / "p2_run.ipynb"), cwd=str(ROOT),
                               parameters={"DATA_DIR": str(data), "MNIST_DIR": str(mnist_dir),
                                           "RESULTS_DIR": str(results), "FAST": fast, "SEED": 0},
                               kernel_name="python3", progress_bar=False)
    return json.loads((results / "metrics.json").read_text())["p2"]


def row(effect, m):
    chosen, best = m["spearman_chosen_per_seed"], m["spearman_best_per_seed"]
    r2, hits = m["r2_all_dims_per_seed"], m["chosen_is_best_per_seed"]
    return (f"| {effect} | {EFFECTS[effect][1]} | {np.mean(best):.3f} ({min(best):.3f}) | "
            f"{np.mean(chosen):.3f} ({min(chosen):.3f}) | {np.mean(r2):.3f} | {sum(hits)} of {len(hits)} |")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fast", action="store_true", help="the notebook's FAST mode (for tests)")
    p.add_argument("--effects", default=",".join(EFFECTS), help="comma-separated names (default: all)")
    p.add_argument("--out", default=ROOT / "results" / "p2_effects.md", type=Path)
    p.add_argument("--sources", default=os.environ.get("HW4_SOURCES", hw4data.DEFAULT_SOURCES), type=Path,
                   help="folder holding mnist/ (default: ../shared/datasets)")
    args = p.parse_args(argv)
    effects = [e.strip() for e in args.effects.split(",") if e.strip()]
    unknown = [e for e in effects if e not in EFFECTS]
    if unknown:
        p.error(f"unknown effect(s) {unknown}; choose from {list(EFFECTS)}")
    mnist_dir = args.sources / "mnist"
    rows, t0 = [], time.time()
    with tempfile.TemporaryDirectory() as tmp:
        # the setup (without the digit classifier, which problem 2 does not use), the p2 cells, metrics.json
        hw4lib.part_notebook(NOTEBOOK, Path(tmp) / "p2.ipynb", ("setup", "p2", "metrics"), skip=("judge",))
        for i, effect in enumerate(effects):
            t = time.time()
            m = run_effect(effect, mnist_dir, Path(tmp) / f"effect{i}", args.fast)
            rows.append(row(effect, m))
            print(f"{rows[-1]}  ({time.time() - t:.0f} s)", flush=True)
    header = (f"# Problem 2's recipe on other effects\n\n"
              f"Made by `python p2_effects.py{' --fast' if args.fast else ''}` in {time.time() - t0:.0f} s: the "
              f"notebook's p2 cells (K = {m['K']}, beta = {m['beta']:g}, {m['epochs']} epochs, seeds {m['seeds']}) "
              f"on MNIST sevens with each effect, strength a ~ U(0, 1) per image. |rho|: Spearman correlation of a "
              f"latent's posterior mean on te7 with a, mean over seeds (lowest seed in brackets); best: the "
              f"dimension with the largest |rho|; chosen: the notebook's rule (largest Kolmogorov-Smirnov "
              f"statistic between poor and clean sevens); R^2: linear regression of a on all K posterior means.\n\n"
              "| effect | acts on | best abs rho | chosen abs rho | R^2 from all K | chosen == best |\n"
              "|---|---|---|---|---|---|\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(header + "\n".join(rows) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
