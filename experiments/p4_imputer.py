"""Problem 4: does the assignment's "mean squared error", averaged over the patch, reproduce what it describes?

The assignment adds lambda times "a simple mean squared error" between the patch and the generated centre to G's
loss and shows lambda = 0.1 ("less conditioned") and lambda = 10, saying that G "is not too sensitive" to lambda. The
error can be averaged over the 100 patch pixels ("mean", the notebook's reading) or summed over them ("sum": lambda on
the sum = 100 lambda on the mean, so sum 0.1 is mean 10 and is not trained twice). The notebook's train_imputer (the
assignment's setup: D on the image alone, G 200-256-512-784, lr 2e-4) runs lambda = 0, mean 0.1, mean 10 (= sum 0.1)
and sum 10 (= mean 1000), 3 seeds each, all equally long. After every epoch: the label consistency of the completions
of 1,000 held-out validation digits (DigitNet labels a completion with its true digit), the centre MSE and the stray
specks. A reading reproduces the assignment when both of its lambdas keep more labels than lambda = 0, each gain's
interval above zero; and it shows a "less conditioned" lambda = 0.1 when 10 over 0.1 is above zero as well.

Usage:  python experiments/p4_imputer.py [--fast]
"""
import sys
import time
from pathlib import Path

import matplotlib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hw4lib  # noqa: E402  (first: it pins the CPU kernels before torch loads)
import hw4exp  # noqa: E402
from hw4exp import SEEDS, WORKER

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

NAME = "p4_imputer"
SETTINGS = [("mean", 0.0), ("mean", 0.1), ("mean", 10.0), ("sum", 10.0)]      # (reduction, lambda), each trained once
SAME_AS = {("sum", 0.0): ("mean", 0.0), ("sum", 0.1): ("mean", 10.0)}          # the same objective, the same runs
KEYS = ["label_consistency", "confident", "centre_mse", "outside_mse", "specks_per_image", "d_real_acc", "d_fake_acc"]


def label(reduction, lam):
    reduction, lam = SAME_AS.get((reduction, lam), (reduction, lam))
    same = " = 0.1 (sum)" if (reduction, lam) == ("mean", 10.0) else ""
    return "lambda = 0" if lam == 0 else f"lambda = {lam:g} ({reduction}){same}"


def train(job):
    """One run: job = dict(seed, epochs, reduction, lam) and any other keyword arguments of train_imputer."""
    nb, start = WORKER["nb"], time.time()
    X = nb["to_pm1"](WORKER["train_x"]).to(nb["DEVICE"])
    scorer = nb["imputer_scorer"](WORKER["judge"], WORKER["val_x"], WORKER["val_y"], job["seed"])
    kwargs = {k: v for k, v in job.items() if k not in ("name", "epochs")}
    run = nb["train_imputer"](X, epochs=job["epochs"], on_epoch=scorer, steps=nb["P4_STEPS"], **kwargs)
    return {**job, "history": nb["scalars"](run.history), "seconds": time.time() - start}


def last(runs, key):
    return [r["history"][-1][key] for r in runs]


def last_epochs(groups):
    """Per setting, each key's last-epoch value per seed (rounded), for the JSON."""
    return {name: {k: list(np.round(last(runs, k), 4)) for k in KEYS} for name, runs in groups.items()}


def table(groups):
    rows = ["| setting | " + " | ".join(KEYS) + " |", "|" + "---|" * (len(KEYS) + 1)]
    for name, runs in groups.items():
        rows.append(f"| {name} | " + " | ".join(hw4lib.ci_text(*hw4lib.t_interval(last(runs, k)), ".3f" if "mse" not in k
                                                                else ".4f") for k in KEYS) + " |")
    return "\n".join(rows)


def figure(groups, path, title):
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for (name, runs), colour in zip(groups.items(), plt.cm.tab10.colors):
        for k, r in enumerate(runs):
            ax.plot([h["epoch"] for h in r["history"]], [h["label_consistency"] for h in r["history"]], color=colour,
                    label=name if k == 0 else None)
    ax.axhline(0.1, color="gray", ls=":", label="chance")
    ax.set(xlabel="epoch", ylabel="label consistency (weight average)", ylim=(0, 1), title=title)
    ax.legend(fontsize=8)
    hw4exp.save_figure(fig, path)


def main():
    args = hw4exp.arguments(__doc__)
    start = time.time()
    epochs = 1 if args.fast else 8
    runner = hw4exp.Runner(args, ["p4"])
    with runner as run:
        results = run(train, [dict(reduction=r, lam=lam, seed=s, epochs=epochs) for r, lam in SETTINGS for s in SEEDS])
    groups = {label(r, lam): [x for x in results if (x["reduction"], x["lam"]) == (r, lam)] for r, lam in SETTINGS}
    gains, reproduces = {}, {}
    for reduction in ("mean", "sum"):
        lc = {lam: last(groups[label(reduction, lam)], "label_consistency") for lam in (0.0, 0.1, 10.0)}
        gains[reduction] = {"0.1 over 0": hw4exp.paired_gain(lc[0.0], lc[0.1]),
                            "10 over 0": hw4exp.paired_gain(lc[0.0], lc[10.0]),
                            "10 over 0.1": hw4exp.paired_gain(lc[0.1], lc[10.0])}
        reproduces[reduction] = all(gains[reduction][k]["verdict"] == "helps" for k in ("0.1 over 0", "10 over 0"))
    figure(groups, Path(args.out) / f"{NAME}.png", "the assignment's setup: label consistency per epoch, per seed")
    fmt = lambda g: f"{hw4lib.ci_text(g['gain'], g['ci95'], '+.3f')} ({g['verdict']})"
    body = f"""
The assignment's setup, {epochs} epochs, seeds {SEEDS}; last epoch, mean over the seeds with its 95 % Student-t
interval (per-seed values and curves in {NAME}.json). Label consistency: the share of the {runner.nb['P4_SCORED']:,}
held-out validation digits whose completion (G's weight average, one noise draw) DigitNet labels with the true digit;
confident: the share of completions to which DigitNet gives one class a probability of at least 0.9; centre and
outside MSE in [0, 1] pixels; specks: isolated bright pixels per image (real digits: about 0).

{table(groups)}

Gains in label consistency, paired by seed (95 % Student-t interval over the {len(SEEDS)} seeds):

| reduction | lambda 0.1 over 0 | lambda 10 over 0 | lambda 10 over 0.1 | both lambdas above 0 |
|---|---|---|---|---|
""" + "\n".join(f"| {r} | {fmt(g['0.1 over 0'])} | {fmt(g['10 over 0'])} | {fmt(g['10 over 0.1'])} | "
                f"{'yes' if reproduces[r] else 'no'} |" for r, g in gains.items()) + f"""

![label consistency per epoch]({NAME}.png)
"""
    data = {"epochs": epochs, "seeds": SEEDS, "gains": gains, "reproduces": reproduces,
            "last_epoch": last_epochs(groups), "runs": results}
    hw4exp.write_report(NAME, args, "Problem 4: the patch penalty as a mean or as a sum", body, data,
                        time.time() - start)


if __name__ == "__main__":
    main()
