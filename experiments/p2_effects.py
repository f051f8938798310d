"""Problem 2: does the notebook's recipe find effects it has never seen?

Each effect below is added to MNIST's sevens exactly as the stand-in's frame is (tr7 from the training sevens, te7 from
the test sevens, one strength a ~ U(0, 1) per image, uint8 files, the true strengths beside the hash of the file they
describe). For each effect the notebook's recipe (its VAE and train_vae at beta = 4, seeds 0, 1, 2) trains on tr7, its
rule (the largest Kolmogorov-Smirnov statistic between the posterior means of the poor training sevens and of MNIST's
clean test sevens) picks a dimension, and the truth scores it:

  effect | acts on | best |rho| | chosen |rho| | linear R^2 of a from all K means | chosen == best

(|rho|: Spearman correlation of a dimension's posterior mean on te7 with the true strength; means over the seeds, the
lowest seed in brackets.)

Usage:  python experiments/p2_effects.py [--fast] [--effects NAME,NAME]
"""
import sys
import tempfile
import time
from pathlib import Path

import matplotlib
import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hw4lib  # noqa: E402  (first: it pins the CPU kernels before torch loads)
import hw4exp  # noqa: E402
from hw4exp import WORKER  # noqa: E402
import hw4data  # noqa: E402
import hw4lib  # noqa: E402
from p2_beta import run_vae

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

NAME = "p2_effects"


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


def train(job):
    """job = dict(effect, seed, folder): the recipe on that effect's files -> run_vae's numbers."""
    start, folder = time.time(), Path(job["folder"])
    if WORKER.get("effect") != job["effect"]:
        clean = WORKER["test_x"][WORKER["test_y"] == 7]
        WORKER["effect"], WORKER["sevens"] = job["effect"], (
            hw4lib.sevens_file(folder / "tr7.pkl"), hw4lib.sevens_file(folder / "te7.pkl"), clean,
            np.load(folder / "poor_sevens_truth.npz")["te7_a"])
    numbers = run_vae(WORKER["nb"], *WORKER["sevens"], job["seed"], 4.0)
    return {"effect": job["effect"], "seed": job["seed"], **{k: v for k, v in numbers.items() if k != "history"},
            "seconds": time.time() - start}                 # no folder: a temporary path of this machine


def row(effect, runs):
    chosen, best, r2 = ([r[k] for r in runs] for k in ("rho_chosen", "rho_best", "r2_all"))
    hits = sum(r["chosen"] == int(np.argmax(r["rho"])) for r in runs)
    return (f"| {effect} | {EFFECTS[effect][1]} | {np.mean(best):.3f} ({min(best):.3f}) | "
            f"{np.mean(chosen):.3f} ({min(chosen):.3f}) | {np.mean(r2):.3f} | {hits} of {len(runs)} |")


def main():
    args = hw4exp.arguments(__doc__, lambda p: p.add_argument("--effects", default=",".join(EFFECTS),
                                                              help="comma-separated effect names (default: all)"))
    effects = [e.strip() for e in args.effects.split(",") if e.strip()]
    unknown = [e for e in effects if e not in EFFECTS]
    if unknown:
        raise SystemExit(f"unknown effect(s) {unknown}; choose from {list(EFFECTS)}")
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp, hw4exp.Runner(args, ["p2"], use_judge=False) as run:
        for i, effect in enumerate(effects):
            (Path(tmp) / str(i)).mkdir()
            make_data(effect, args.mnist, Path(tmp) / str(i))
        results = run(train, [dict(effect=e, seed=s, folder=str(Path(tmp) / str(i)))
                              for i, e in enumerate(effects) for s in hw4exp.SEEDS])
    per_effect = {e: [r for r in results if r["effect"] == e] for e in effects}
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for i, (e, runs) in enumerate(per_effect.items()):
        ax.plot([i] * len(runs), [r["rho_chosen"] for r in runs], "o", color="C0", label="chosen" if i == 0 else None)
        ax.plot([i] * len(runs), [r["rho_best"] for r in runs], "x", color="C3", label="best" if i == 0 else None)
    ax.set_xticks(range(len(per_effect)), list(per_effect), rotation=25, ha="right")
    ax.set(ylabel="|Spearman rho| with the strength", ylim=(0, 1), title="one mark per seed")
    ax.legend()
    hw4exp.save_figure(fig, Path(args.out) / f"{NAME}.png")
    nb = run.nb
    body = (f"The notebook's recipe (K = {nb['K']}, beta = {nb['P2_BETA']:g}, {nb['P2_EPOCHS']} epochs, seeds "
            f"{hw4exp.SEEDS}) on MNIST sevens with each effect, strength a ~ U(0, 1) per image. |rho|: Spearman "
            "correlation of a dimension's posterior mean on te7 with a, mean over the seeds (lowest seed in brackets); "
            "best: the dimension with the largest |rho|; chosen: the notebook's rule; R^2: linear regression of a on "
            "all K posterior means.\n\n"
            "| effect | acts on | best abs rho | chosen abs rho | R^2 from all K | chosen == best |\n"
            "|---|---|---|---|---|---|\n" + "\n".join(row(e, runs) for e, runs in per_effect.items())
            + f"\n\n![chosen and best |rho| per seed]({NAME}.png)\n")
    data = {"seeds": hw4exp.SEEDS, "effects": {e: {"acts_on": EFFECTS[e][1], "runs": runs} for e, runs in per_effect.items()}}
    hw4exp.write_report(NAME, args, "Problem 2: the recipe on effects it has never seen", body, data, time.time() - start)


if __name__ == "__main__":
    main()
