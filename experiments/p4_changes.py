"""Problem 4: what does each of three changes to the imputer add to the assignment's setup, alone and together?

The baseline is the assignment's setup with the penalty averaged over the patch at lambda = 10 (the notebook's graded
lambda = 10; its 3 runs are read from experiments/p4_imputer.py's p4_imputer.json: the same code and seeds). Each
change is added alone, 3 seeds, as long: a matching-aware D (it judges (image, patch) pairs; a real image with another
image's patch is also fake), a wider G (200-512-1024-784), a whole-image L1 term (10 mean|G(z, p) - x|, where x is the
image the patch came from); then the three together. Gains are paired by seed, with a Student-t interval over the 3
seeds.

Usage:  python experiments/p4_changes.py [--fast]   (after experiments/p4_imputer.py with the same --fast and --out)
"""
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hw4lib  # noqa: E402  (first: it pins the CPU kernels before torch loads)
import hw4exp  # noqa: E402
from hw4exp import SEEDS
from p4_imputer import figure, last, last_epochs, table, train

NAME = "p4_changes"
BASE = dict(reduction="mean", lam=10.0)
CHANGES = {"matching-aware D": dict(matching_aware=True), "wider G": dict(hidden=(512, 1024)),
           "whole-image L1 (mu 10)": dict(recon_weight=10.0),
           "all three: matching-aware D + wider G + L1": dict(matching_aware=True, hidden=(512, 1024), recon_weight=10.0)}
COMPARED = ["label_consistency", "centre_mse", "specks_per_image"]


def main():
    args = hw4exp.arguments(__doc__)
    start = time.time()
    imputer = hw4exp.read_report(args, "p4_imputer", "its runs are the baseline")
    epochs = imputer["epochs"]
    baseline = sorted([r for r in imputer["runs"] if (r["reduction"], r["lam"]) == (BASE["reduction"], BASE["lam"])],
                      key=lambda r: r["seed"])
    with hw4exp.Runner(args, ["p4"]) as run:
        results = run(train, [dict(name=c, **BASE, **kw, seed=s, epochs=epochs) for c, kw in CHANGES.items()
                              for s in SEEDS])
    groups = {"the assignment's setup, lambda = 10 (mean)": baseline,
              **{f"+ {c}": [r for r in results if r["name"] == c] for c in CHANGES}}
    gains = {c: {k: hw4exp.paired_gain(last(baseline, k), last(groups[f"+ {c}"], k), "higher" if k == "label_consistency"
                                else "lower") for k in COMPARED} for c in CHANGES}
    figure(groups, Path(args.out) / f"{NAME}.png", "each change alone: label consistency per epoch, per seed")
    body = f"""
The assignment's setup (the penalty averaged over the patch, lambda = 10) and each change, {epochs} epochs, seeds
{SEEDS}; last epoch, mean over the seeds with its 95 % Student-t interval (columns as in [p4_imputer](p4_imputer.md)):

{table(groups)}

Each change's gain at the last epoch, paired by seed (95 % Student-t interval over the {len(SEEDS)} seeds; lower MSE
and fewer specks are better):

{hw4exp.gains_table(gains, COMPARED, lambda k: '+.4f' if 'mse' in k else '+.3f')}

![label consistency per epoch]({NAME}.png)
"""
    data = {"epochs": epochs, "seeds": SEEDS, "base": BASE, "changes": CHANGES, "gains": gains,
            "last_epoch": last_epochs(groups), "runs": results}
    hw4exp.write_report(NAME, args, "Problem 4: three changes to the imputer, alone and together", body, data,
                        time.time() - start)


if __name__ == "__main__":
    main()
