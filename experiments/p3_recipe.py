"""Problem 3: does the assignment's cGAN recipe, as written, train, and at which of the choices it leaves open?

The recipe as written (the notebook's train_cgan with its defaults: G 110-200-400-784, D 794-400-200-100-1 with
dropout, unit one-hot, the plain D, B = 100, class-balanced fakes, non-saturating G loss, Adam with beta1 0.5) at
three Adam learning rates (1e-3, Adam's default; 5e-4; 2e-4), 3 seeds each, then D's dropout 0.5 against 0.3 at the
chosen rate. After every epoch: the conditioning accuracy of G and of its weight average (1,000 samples, DigitNet),
the Fréchet distance in DigitNet's features, D's accuracy on real and fake pairs, D's label use and the spread
across samples. The chosen rate is the lowest rate whose last-epoch conditioning (weight average) is not resolved
below the best rate's (the assignment asks for a "lower-than-usual" rate).

Usage:  python experiments/p3_recipe.py [--fast] [--rerender]
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

NAME = "p3_recipe"
RATES = [1e-3, 5e-4, 2e-4]
KEYS = ["conditioning", "conditioning_ema", "frechet_ema", "d_real_acc", "d_fake_acc", "label_use", "spread"]


def train(job):
    """One run of the recipe: job = dict(seed, lr, dropout, epochs) -> the history, scalars only."""
    nb, start = WORKER["nb"], time.time()
    X, Y = nb["to_pm1"](WORKER["train_x"]).to(nb["DEVICE"]), WORKER["train_y"].to(nb["DEVICE"])
    scorer = nb["cgan_scorer"](WORKER["judge"], WORKER["val_x"], WORKER["val_y"], job["seed"], raw=True)
    run = nb["train_cgan"](X, Y, job["seed"], job["epochs"], scorer, lr=job["lr"], dropout=job["dropout"],
                           steps=nb["P3_STEPS"])
    return {**job, "history": nb["scalars"](run.history), "seconds": time.time() - start}


def last(runs, key):
    """The last epoch's `key`, one value per seed (in SEEDS order)."""
    return [r["history"][-1][key] for r in runs]


def table(groups, floor):
    rows = ["| setting | " + " | ".join(KEYS) + " | Fréchet / floor |", "|" + "---|" * (len(KEYS) + 2)]
    for name, runs in groups.items():
        cells = [hw4lib.ci_text(*hw4lib.t_interval(last(runs, k)), ".1f" if k == "frechet_ema" else ".3f") for k in KEYS]
        rows.append(f"| {name} | " + " | ".join(cells) + f" | {np.mean(last(runs, 'frechet_ema')) / floor:.1f} |")
    return "\n".join(rows)


def figure(groups, path):
    fig, axes = plt.subplots(1, 3, figsize=(16, 4))
    for (name, runs), colour in zip(groups.items(), plt.cm.tab10.colors):
        for k, r in enumerate(runs):
            epochs = [h["epoch"] for h in r["history"]]
            label = name if k == 0 else None
            axes[0].plot(epochs, [h["conditioning_ema"] for h in r["history"]], color=colour, label=label)
            axes[1].plot(epochs, [h["d_real_acc"] for h in r["history"]], color=colour, ls="-", label=label)
            axes[1].plot(epochs, [h["d_fake_acc"] for h in r["history"]], color=colour, ls="--")
            axes[2].plot(epochs, [h["spread"] for h in r["history"]], color=colour, label=label)
    axes[0].set(xlabel="epoch", ylabel="conditioning accuracy (weight average)", ylim=(0, 1),
                title="conditioning, one line per seed")
    axes[1].set(xlabel="epoch", ylabel="D's accuracy", ylim=(0, 1.02), title="D on real (solid) and fake (dashed)")
    axes[2].set(xlabel="epoch", ylabel="pixel std across samples", title="spread of G's samples (real: about 0.19)")
    for ax in axes:
        ax.legend(fontsize=8)
    hw4exp.save_figure(fig, path)


def runs(args, nb):
    """Train every run (the recipe at each rate, then dropout 0.5 at the chosen rate) -> (runs, Fréchet floor, seconds);
    with --rerender, read them back from NAME.json instead (no training)."""
    if args.rerender:
        old = hw4exp.read_report(args, NAME, "--rerender writes its report again from its runs")
        return old["runs"], old["frechet_floor"], old["minutes"] * 60
    start, runner, n = time.time(), hw4exp.Runner(args, ["p3"]), nb["P3_SAMPLES"]
    (_, (val_x, _)) = hw4lib.holdout(*hw4lib.mnist(args.mnist, "train"), nb["GAN_VALIDATION"])
    floor = hw4lib.frechet(nb["classify"](runner.judge, val_x[n:2 * n], features=True),
                           nb["classify"](runner.judge, val_x[:n], features=True))
    with runner as run:
        results = run(train, [dict(lr=lr, dropout=0.3, seed=s, epochs=epochs(args)) for lr in RATES for s in SEEDS])
        chosen = choose(results)[0]
        results += run(train, [dict(lr=chosen, dropout=0.5, seed=s, epochs=epochs(args)) for s in SEEDS])
    return results, floor, time.time() - start


def epochs(args):
    return 1 if args.fast else 20


def choose(results):
    """The best rate by the weight average's last conditioning, each rate against it, and the chosen rate: the lowest
    rate not resolved below the best (the assignment asks for a "lower-than-usual" rate)."""
    by_rate = {lr: [r for r in results if r["lr"] == lr and r["dropout"] == 0.3] for lr in RATES}
    best = max(RATES, key=lambda lr: np.mean(last(by_rate[lr], "conditioning_ema")))
    versus_best = {lr: hw4exp.paired_gain(last(by_rate[best], "conditioning_ema"), last(by_rate[lr], "conditioning_ema"))
                   for lr in RATES if lr != best}
    return min(lr for lr in RATES if lr == best or versus_best[lr]["verdict"] != "hurts"), best, versus_best, by_rate


def main():
    args = hw4exp.arguments(__doc__, lambda p: p.add_argument(
        "--rerender", action="store_true", help=f"write {NAME}.md again from {NAME}.json, without training"))
    nb = hw4exp.definitions(args.fast, args.mnist, "p3")
    results, floor, seconds = runs(args, nb)
    n, epochs_run = nb["P3_SAMPLES"], len(results[0]["history"])
    chosen, best, versus_best, by_rate = choose(results)
    dropout_runs = [r for r in results if r["dropout"] == 0.5]
    groups = {f"lr {lr:g}, dropout 0.3": by_rate[lr] for lr in RATES}
    groups[f"lr {chosen:g}, dropout 0.5"] = dropout_runs
    dropout_gain = hw4exp.paired_gain(last(by_rate[chosen], "conditioning_ema"), last(dropout_runs, "conditioning_ema"))
    ema_gain = hw4exp.paired_gain(last(by_rate[chosen], "conditioning"), last(by_rate[chosen], "conditioning_ema"))
    ema_frechet = hw4exp.paired_gain(last(by_rate[chosen], "frechet"), last(by_rate[chosen], "frechet_ema"), "lower")
    figure(groups, Path(args.out) / f"{NAME}.png")
    fmt = lambda g, f="+.3f": f"{hw4lib.ci_text(g['gain'], g['ci95'], f)} ({g['verdict']})"
    body = f"""
The assignment's recipe as written, {epochs_run} epochs, seeds {SEEDS}. Every curve reads {n:,} held-out validation
digits (the last 10,000 MNIST training digits, on which no network trains); no test digit is read. Each cell: the mean over the 3 seeds of the last
epoch's value and its 95 % Student-t interval over the seeds (per-seed values in {NAME}.json). Conditioning: the share of
{n} samples ({n // 10} per class) that the notebook's DigitNet gives the intended class, for G and for its weight average (decay
0.999); Fréchet distance of the weight average's samples in DigitNet's features (the real-vs-real floor is
{floor:.1f}); D's accuracies on real pairs and on fakes (with dropout, as trained); label use: the share of {n} real
validation digits that D (dropout off) rates higher with their own label than with a wrong one; spread: the mean per-pixel
standard deviation across G's samples (real digits: about 0.19; 0 is one image for every input).

{table(groups, floor)}

**Learning rate.** The best rate by the weight average's last conditioning is {best:g}; against it (paired by seed):
{"; ".join(f"lr {lr:g} {fmt(g)}" for lr, g in versus_best.items())}. **Chosen: lr {chosen:g}** (the lowest rate not
resolved below the best).

**Dropout 0.5 instead of 0.3** at lr {chosen:g}: conditioning (weight average) {fmt(dropout_gain)}.

**The weight average of G** at lr {chosen:g}, against G itself: conditioning {fmt(ema_gain)}; Fréchet distance
{fmt(ema_frechet, "+.1f")}.

![conditioning, D's accuracies and spread per epoch]({NAME}.png)
""" + (f"\nThis report was written again from {NAME}.json (`--rerender`) after a change of its wording; the runs, the "
       "numbers and the minutes are those of the full run.\n" if args.rerender else "")
    data = {"epochs": epochs_run, "seeds": SEEDS, "rates": RATES, "best_rate": best, "chosen_rate": chosen,
            "frechet_floor": floor, "versus_best": {f"{lr:g}": g for lr, g in versus_best.items()},
            "dropout_0.5_gain": dropout_gain, "ema_gain": ema_gain, "ema_frechet_gain": ema_frechet,
            "last_epoch": {name: {k: hw4exp.per_seed(last(runs, k)) for k in KEYS} for name, runs in groups.items()},
            "runs": results}
    hw4exp.write_report(NAME, args, "Problem 3: the assignment's recipe, as written, over its open choices", body, data,
                        seconds)


if __name__ == "__main__":
    main()
