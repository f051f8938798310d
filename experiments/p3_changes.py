"""Problem 3: what does each change to the assignment's cGAN recipe add, on its own?

The working recipe is the assignment's, at the learning rate that experiments/p3_recipe.py chose (read from its
p3_recipe.json, whose 3 runs at that rate, dropout 0.3, are the baseline here: the same code and seeds). Each change
is added alone, 3 seeds, as long as the baseline: the one-hot times 5 (a larger label scale), a matching-aware D (a real
image with a wrong label is also fake), and the R1 penalty (gamma / 2 |grad_x D(x, y)|^2 on the real pairs, gamma 10).
The weight average of G is measured in p3_recipe itself (it is scored beside G in every run). Gains are paired by
seed, with a Student-t interval over the 3 seeds.

Usage:  python experiments/p3_changes.py [--fast]   (after experiments/p3_recipe.py with the same --fast and --out)
"""
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hw4lib  # noqa: E402  (first: it pins the CPU kernels before torch loads)
import hw4exp  # noqa: E402
from hw4exp import SEEDS, WORKER
from p3_recipe import figure, last, table

NAME = "p3_changes"
CHANGES = {"one-hot times 5": dict(label_scale=5.0), "matching-aware D": dict(matching_aware=True),
           "R1 penalty (gamma 10)": dict(r1_weight=10.0)}
COMPARED = ["conditioning_ema", "conditioning", "frechet_ema", "d_real_acc", "d_fake_acc"]


def train(job):
    """One run: job = dict(seed, lr, epochs, change) with the change's keyword arguments of train_cgan."""
    nb, start = WORKER["nb"], time.time()
    X, Y = nb["to_pm1"](WORKER["train_x"]).to(nb["DEVICE"]), WORKER["train_y"].to(nb["DEVICE"])
    scorer = nb["cgan_scorer"](WORKER["judge"], WORKER["val_x"], WORKER["val_y"], job["seed"], raw=True)
    run = nb["train_cgan"](X, Y, job["seed"], job["epochs"], scorer, lr=job["lr"], steps=nb["P3_STEPS"],
                           **CHANGES[job["change"]])
    return {**job, "history": nb["scalars"](run.history), "seconds": time.time() - start}


def main():
    args = hw4exp.arguments(__doc__)
    start = time.time()
    recipe = hw4exp.read_report(args, "p3_recipe", "it chooses the learning rate")
    lr, epochs = recipe["chosen_rate"], recipe["epochs"]
    baseline = sorted([r for r in recipe["runs"] if r["lr"] == lr and r["dropout"] == 0.3], key=lambda r: r["seed"])
    with hw4exp.Runner(args, ["p3"]) as run:
        results = run(train, [dict(change=c, lr=lr, epochs=epochs, seed=s) for c in CHANGES for s in SEEDS])
    groups = {f"the recipe (lr {lr:g})": baseline,
              **{f"+ {c}": [r for r in results if r["change"] == c] for c in CHANGES}}
    better = {"frechet_ema": "lower", "d_real_acc": None, "d_fake_acc": None}
    gains = {c: {k: hw4exp.paired_gain(last(baseline, k), last(groups[f"+ {c}"], k), better.get(k, "higher")) for k in COMPARED}
             for c in CHANGES}
    figure(groups, Path(args.out) / f"{NAME}.png")
    body = f"""
The assignment's recipe at lr {lr:g} (the baseline: p3_recipe's runs at that rate), and each change alone, {epochs}
epochs, seeds {SEEDS}. Last epoch, mean over the seeds with its 95 % Student-t interval (columns as in
[p3_recipe](p3_recipe.md); Fréchet floor {recipe['frechet_floor']:.1f}):

{table(groups, recipe['frechet_floor'])}

Each change's gain at the last epoch, paired by seed, 95 % Student-t interval over the {len(SEEDS)} seeds (a lower
Fréchet distance is better; D's accuracies near 0.5 mean a confused D):

{hw4exp.gains_table(gains, COMPARED, lambda k: '+.1f' if 'frechet' in k else '+.3f')}

![conditioning, D's accuracies and spread per epoch]({NAME}.png)
"""
    data = {"epochs": epochs, "seeds": SEEDS, "lr": lr, "changes": CHANGES, "gains": gains,
            "last_epoch": {name: {k: list(np.round(last(runs, k), 4)) for k in COMPARED} for name, runs in groups.items()},
            "runs": results}
    hw4exp.write_report(NAME, args, "Problem 3: each change to the recipe, alone", body, data, time.time() - start)


if __name__ == "__main__":
    main()
