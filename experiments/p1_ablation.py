"""Problem 1: does each addition to the Siamese recipe earn its place, on either test set?

Four variants of the notebook's recipe (train_siamese with P1_RECIPE) each leave one addition out (the frame
layer, the AM-softmax term, crops with time masks, the training noise that experiments/p1_microphones chose on
dev_cv) and train whole ensembles exactly as the notebook does: five models, one per held-out fold, for the seeds 0,
1 and 2. The recipe itself is trained the same way. Two more additions need no retraining: calibration (the recipe's
ensemble with w and b as trained) and the ensemble (its models alone, mean of the five). Scores: test accuracy at
p = 0.5, mean over 5 draws of the test pairs, on LibriSpeech (tes.pkl) and Common Voice (tes_cv.pkl). A gain is with
minus without, paired by seed, with a 95 % Student-t interval over the 3 seeds. This report chooses nothing: it shows
on the test sets what the recipe, fixed beforehand, owes to each addition.

Usage:  python experiments/p1_ablation.py [--fast] [--data DIR]
"""
import sys
import time
from pathlib import Path

import matplotlib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hw4lib  # noqa: E402  (first: it pins the CPU kernels before torch loads)
import hw4exp  # noqa: E402
from hw4exp import WORKER  # noqa: E402
import torch  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

NAME = "p1_ablation"
VARIANTS = {"the recipe": {}, "without the frame layer": dict(frame_channels=0),   # changes to the notebook's P1_RECIPE
            "without the AM-softmax term": dict(am_softmax=False), "without crops and time masks": dict(crops=False),
            "without the noise": dict(channel=None)}
TEST_SETS = {"LibriSpeech": "tes", "Common Voice": "tes_cv"}
SPEECH = {"trs": 10, "tes": 2, "tes_cv": 2}      # the files the workers read -> the fewest speakers each must hold


def train(job):
    """One model of one ensemble: job = dict(variant, seed, fold, epochs, data) -> its test embeddings and w, b. The
    variant changes the notebook's recipe, P1_RECIPE."""
    nb, S, start = WORKER["nb"], hw4exp.speech_spectrograms(job["data"], SPEECH), time.time()
    model, _ = nb["train_siamese"](S["trs"], job["seed"], job["fold"], job["epochs"],
                                   **{**nb["P1_RECIPE"], **VARIANTS[job["variant"]]})
    kept = {k: v for k, v in job.items() if k != "data"}            # not the data folder: a path of this machine
    return {**kept, "w_and_b": model.w_and_b(), "uncalibrated": model.uncalibrated, "best_epoch": model.best_epoch,
            "embeddings": {name: nb["embed"](model, S[name]).numpy() for name in TEST_SETS.values()},
            "seconds": time.time() - start}


def scores(nb, results, seeds):
    """test set -> row -> accuracy per seed: each variant's ensemble, and for the recipe its models alone and its
    ensemble with w and b as trained."""
    out = {}
    for test_set, name in TEST_SETS.items():
        rows = {}
        for seed in seeds:
            for variant in VARIANTS:
                runs = [r for r in results if (r["variant"], r["seed"]) == (variant, seed)]
                members, E = [hw4exp.Member(r) for r in runs], [torch.from_numpy(r["embeddings"][name]) for r in runs]
                rows_of = np.empty(len(E[0]))                        # evaluate reads only how many rows S has
                run = nb["evaluate"](members, rows_of, seed, embeddings=E)
                rows.setdefault(variant, []).append(float(run["accs"].mean()))
                if variant == "the recipe":
                    rows.setdefault("the recipe, its models alone", []).append(run["single"])
                    raw = nb["evaluate"](members, rows_of, seed, embeddings=E, calibrated=False)
                    rows.setdefault("the recipe without calibration", []).append(float(raw["accs"].mean()))
        out[test_set] = rows
    return out


ADDITIONS = {   # addition -> (the row without it, the row with it)
    "the frame layer": ("without the frame layer", "the recipe"),
    "the AM-softmax term": ("without the AM-softmax term", "the recipe"),
    "crops and time masks": ("without crops and time masks", "the recipe"),
    "the noise at a random SNR": ("without the noise", "the recipe"),
    "calibration": ("the recipe without calibration", "the recipe"),
    "the five-model ensemble": ("the recipe, its models alone", "the recipe"),
}


def figure(rows, path):
    fig, axes = plt.subplots(1, len(rows), figsize=(14, 4), sharey=False)
    for ax, (test_set, per_row) in zip(axes, rows.items()):
        for i, (name, values) in enumerate(per_row.items()):
            ax.plot([i] * len(values), values, "o", color="C0")
            ax.plot([i - 0.25, i + 0.25], [np.mean(values)] * 2, color="k")
        ax.set_xticks(range(len(per_row)), list(per_row), rotation=25, ha="right", fontsize=8)
        ax.set(ylabel="test accuracy (one dot per seed)", title=test_set)
    hw4exp.save_figure(fig, path)


def main():
    args = hw4exp.arguments(__doc__)
    start = time.time()
    with hw4exp.Runner(args, ["p1"], use_judge=False) as run:
        nb = run.nb
        seeds, folds, epochs = nb["P1_SEEDS"], nb["P1_FOLDS"], nb["P1_EPOCHS"]
        results = run(train, [dict(variant=v, seed=s, fold=f, epochs=epochs, data=args.data)
                              for v in VARIANTS for s in seeds for f in folds])
    rows = scores(nb, results, seeds)
    gains = {t: {a: hw4exp.paired_gain(r[without], r[with_it]) for a, (without, with_it) in ADDITIONS.items()}
             for t, r in rows.items()}
    figure(rows, Path(args.out) / f"{NAME}.png")
    table = "\n".join(["| row | " + " | ".join(f"accuracy on {t}" for t in rows) + " |", "|---|---|---|"] + [
        f"| {name} | " + " | ".join(hw4exp.per_seed(rows[t][name]) for t in rows) + " |" for name in rows["LibriSpeech"]])
    gain_table = "\n".join(["| addition | " + " | ".join(f"gain on {t}" for t in rows) + " |", "|---|---|---|"] + [
        f"| {a} | " + " | ".join(f"{hw4lib.ci_text(gains[t][a]['gain'], gains[t][a]['ci95'], '+.3f')} ({gains[t][a]['verdict']})" for t in rows) + " |"
        for a in ADDITIONS])
    body = f"""
{len(VARIANTS)} recipes x {len(seeds)} seeds x {len(folds)} folds = {len(results)} models, {epochs} epochs each (the
notebook's `train_siamese`, `evaluate` and settings; one thread per run, so "the recipe" can differ in the last digits
from the notebook's two-thread run). Test accuracy at p = 0.5: mean over the seeds [95 % Student-t interval] (per
seed in brackets):

{table}

Each addition's gain, with minus without, paired by seed (95 % Student-t interval over the {len(seeds)} seeds):

{gain_table}

![test accuracy per seed]({NAME}.png)
"""
    data = {"seeds": seeds, "folds": folds, "epochs": epochs, "rows": rows, "gains": gains,
            "runs": [{k: v for k, v in r.items() if k != "embeddings"} for r in results]}
    hw4exp.write_report(NAME, args, "Problem 1: does each addition earn its place?", body, data, time.time() - start)


if __name__ == "__main__":
    main()
