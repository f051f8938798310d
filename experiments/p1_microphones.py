"""Problem 1: what makes the Siamese recipe hold up on voices from other microphones?

Each candidate is a setting of the notebook's train_siamese and trains whole ensembles exactly as the notebook does
(five models, one per held-out fold of trs.pkl, for the seeds 0, 1 and 2); the recipe itself trains the same way.
Scores, never on a test set (this script reads neither tes.pkl nor tes_cv.pkl):
* LibriSpeech validation: each model on its own held-out fold of trs.pkl (the speakers that chose its epoch and
  calibrated it), with a fresh draw of negative pairs: accuracy at p = 0.5 and AUC, mean over the five folds;
* Common Voice dev (dev_cv.pkl, 18 speakers that share nothing with tes_cv.pkl): the ensemble's accuracy at p = 0.5
  (mean over 5 draws of the pairs), AUC and EER, as the notebook's evaluate computes them.
A gain is candidate minus recipe, paired by seed, with a 95 % Student-t interval over the seeds. A change is kept only
where its interval on dev_cv lies above zero and LibriSpeech validation does not fall by a resolved amount.

Usage:  python experiments/p1_microphones.py [--fast] [--data DIR] [--seeds 0 1 2]
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

NAME = "p1_microphones"
EQ, LEVEL, NOISE = dict(eq_db=6.0), dict(level_db=10.0), dict(snr_db=(10.0, 40.0))   # channel_augment's settings
VARIANTS = {   # name -> train_siamese's settings
    "the recipe": {},
    "random equaliser": dict(channel=EQ),
    "random level": dict(channel=LEVEL),
    "noise at a random SNR": dict(channel=NOISE),
    "channel augmentation (all three)": dict(channel={**EQ, **LEVEL, **NOISE}),
    "normalised log spectra": dict(normalise=True),
    "AM-softmax margin 0.1": dict(margin=0.1),
    "AM-softmax scale 15": dict(scale=15.0),
    "no AM-softmax": dict(am_softmax=False),
}
MEASURES = {"LibriSpeech validation accuracy": "ls_acc", "LibriSpeech validation AUC": "ls_auc",
            "dev_cv accuracy": "dev_acc", "dev_cv AUC": "dev_auc",
            "dev_cv accuracy, half": "dev_halves", "dev_cv accuracy, half, w and b refit on the other half": "dev_refit"}
FAST_VARIANTS = ("random equaliser", "AM-softmax scale 15", "no AM-softmax")
SPEECH = {"trs": 10, "dev_cv": 2}   # the files the workers read (never a test set) -> the fewest speakers each holds
FRESH_PAIRS = 30_000    # + seed: the validation folds' scoring draw, not the draw that chose the epoch and calibrated


def more_arguments(p):
    p.add_argument("--seeds", type=int, nargs="+", help="training seeds (default: the notebook's P1_SEEDS)")


def validation_score(nb, model, S, seed, fold):
    """The model on its held-out fold of trs: accuracy at p = 0.5 (w, b as calibrated) and AUC on a fresh draw."""
    from sklearn.metrics import roc_auc_score
    speakers = [s for s in range(len(S) // nb["UTTS"]) if s % 5 == fold]
    pairs, y = nb["sample_pairs"](speakers, np.random.default_rng(FRESH_PAIRS + seed))
    prob = nb["pair_probs"](nb["embed"](model, S), pairs, *model.w_and_b())
    return float(nb["accuracy"](prob, y)), float(roc_auc_score(y, prob))


def train(job):
    """One model of one ensemble: job = dict(variant, settings, seed, fold, epochs, data) -> its validation scores,
    its dev_cv embeddings and w, b. The settings travel with the job: a worker's VARIANTS lacks those added later."""
    nb, S, start = WORKER["nb"], hw4exp.speech_spectrograms(job["data"], SPEECH), time.time()
    model, _ = nb["train_siamese"](S["trs"], job["seed"], job["fold"], job["epochs"], **job["settings"])
    ls_acc, ls_auc = validation_score(nb, model, S["trs"], job["seed"], job["fold"])
    kept = {k: v for k, v in job.items() if k not in ("data", "settings")}   # not the data folder: a path of this machine
    return {**kept, "w_and_b": model.w_and_b(), "best_epoch": model.best_epoch, "ls_acc": ls_acc, "ls_auc": ls_auc,
            "dev_embeddings": nb["embed"](model, S["dev_cv"]).numpy(), "seconds": time.time() - start}


def refit_on_dev(nb, runs, E, seed, refit):
    """The ensemble's dev_cv accuracy at p = 0.5 on one half of its speakers with w and b of each model refit (the
    notebook's calibrate) on the other half's pairs (refit=True), or as calibrated on LibriSpeech (False, the same
    scoring pairs); mean over the two halves."""
    n = len(E[0]) // nb["UTTS"]
    halves = [list(range(0, n, 2)), list(range(1, n, 2))]
    fit_rng, score_rng = np.random.default_rng(FRESH_PAIRS + seed), np.random.default_rng(FRESH_PAIRS + 1 + seed)
    accs = []
    for fit_half, score_half in (halves, halves[::-1]):
        members = [hw4exp.Member(r) for r in runs]
        fit_pairs, fit_y = nb["sample_pairs"](fit_half, fit_rng)
        if refit:
            for m, e in zip(members, E):
                nb["calibrate"](m, e, fit_pairs, fit_y)
        pairs, y = nb["sample_pairs"](score_half, score_rng)
        accs.append(nb["accuracy"](np.mean([nb["pair_probs"](e, pairs, *m.w_and_b()) for m, e in zip(members, E)], 0), y))
    return float(np.mean(accs))


def scores(nb, results, seeds, variants):
    """variant -> measure -> one value per seed."""
    out = {}
    for variant in variants:
        per = {key: [] for key in MEASURES.values()} | {"dev_eer": [], "dev_single": []}
        for seed in seeds:
            runs = [r for r in results if (r["variant"], r["seed"]) == (variant, seed)]
            E = [torch.from_numpy(r["dev_embeddings"]) for r in runs]
            dev = nb["evaluate"]([hw4exp.Member(r) for r in runs], np.empty(len(E[0])), seed, embeddings=E)
            per["ls_acc"].append(float(np.mean([r["ls_acc"] for r in runs])))
            per["ls_auc"].append(float(np.mean([r["ls_auc"] for r in runs])))
            per["dev_acc"].append(float(dev["accs"].mean()))
            per["dev_auc"].append(float(dev["auc"]))
            per["dev_eer"].append(float(dev["eer"]))
            per["dev_single"].append(dev["single"])
            per["dev_halves"].append(refit_on_dev(nb, runs, E, seed, refit=False))
            per["dev_refit"].append(refit_on_dev(nb, runs, E, seed, refit=True))
        out[variant] = per
    return out


def figure(rows, path):
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    for ax, (label, key) in zip(axes, (("LibriSpeech validation accuracy", "ls_acc"), ("dev_cv accuracy", "dev_acc"))):
        for i, (name, per) in enumerate(rows.items()):
            ax.plot([i] * len(per[key]), per[key], "o", color="C0")
            ax.plot([i - 0.25, i + 0.25], [np.mean(per[key])] * 2, color="k")
        ax.set_xticks(range(len(rows)), list(rows), rotation=30, ha="right", fontsize=8)
        ax.set(ylabel=f"{label} (one dot per seed)", title=label)
    hw4exp.save_figure(fig, path)


def together(names):
    """The settings of several candidates at once (their channel_augment settings merged)."""
    out = {}
    for name in names:
        settings = VARIANTS[name]
        out |= settings | ({"channel": {**out.get("channel", {}), **settings["channel"]}} if "channel" in settings else {})
    return out


def verdicts(rows):
    """candidate -> measure -> its gain over the recipe (paired by seed); and the kept candidates."""
    base = rows["the recipe"]
    gains = {v: {m: hw4exp.paired_gain(base[k], per[k]) for m, k in MEASURES.items()}
             for v, per in rows.items() if v != "the recipe"}
    kept = [v for v, g in gains.items() if g["dev_cv accuracy"]["ci95"][0] > 0
            and g["LibriSpeech validation accuracy"]["verdict"] != "hurts"]
    return gains, kept


def main():
    args = hw4exp.arguments(__doc__, more_arguments)
    start = time.time()
    with hw4exp.Runner(args, ["p1"], use_judge=False) as run:
        nb = run.nb
        seeds, folds, epochs = args.seeds or nb["P1_SEEDS"], nb["P1_FOLDS"], nb["P1_EPOCHS"]
        if args.fast:                            # FAST: the machinery only, on four of the candidates
            for name in list(VARIANTS)[1:]:
                if name not in FAST_VARIANTS:
                    del VARIANTS[name]
        jobs = lambda variants: [dict(variant=v, settings=VARIANTS[v], seed=s, fold=f, epochs=epochs, data=args.data)
                                 for v in variants for s in seeds for f in folds]
        results = run(train, jobs(VARIANTS))
        rows = scores(nb, results, seeds, VARIANTS)
        gains, kept = verdicts(rows)
        print("first round:", {v: hw4lib.ci_text(g["dev_cv accuracy"]["gain"], g["dev_cv accuracy"]["ci95"], "+.3f")
                               for v, g in gains.items()}, "kept:", kept, flush=True)
        if len(kept) > 1:                        # what the first round suggests next: the kept changes together
            VARIANTS["the kept changes together"] = together(kept)
            results += run(train, jobs(["the kept changes together"]))
            rows = scores(nb, results, seeds, VARIANTS)
            gains, kept = verdicts(rows)
    refit = {v: hw4exp.paired_gain(per["dev_halves"], per["dev_refit"]) for v, per in rows.items()}
    figure(rows, Path(args.out) / f"{NAME}.png")
    columns = list(MEASURES) + ["dev_cv EER"]
    table = "\n".join(["| candidate | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"] + [
        f"| {v} | " + " | ".join(hw4exp.per_seed(per[k]) for k in [*MEASURES.values(), "dev_eer"]) + " |"
        for v, per in rows.items()])
    refit_table = "\n".join(["| candidate | gain in dev_cv accuracy from refitting w and b on dev_cv |", "|---|---|"] + [
        f"| {v} | {hw4lib.ci_text(g['gain'], g['ci95'], '+.3f')} ({g['verdict']}) |" for v, g in refit.items()])
    body = f"""
{len(VARIANTS)} candidates x {len(seeds)} seeds x {len(folds)} folds = {len(results)} models, {epochs} epochs each (the
notebook's `train_siamese` with the settings below, its `evaluate` and `calibrate`; one thread per run). Channel
augmentation (`channel_augment`) acts on each training crop's magnitudes: a random equaliser ({EQ}: 4 cosines over
frequency), a random level ({LEVEL}), white noise at a random SNR ({NOISE}). "Normalised log spectra": each
utterance's log-mel and log-linear spectra minus their mean over time, before pooling. If more than one candidate is
kept after the first round, "the kept changes together" trains too, and the verdicts are read again.

Scores: mean over the seeds [95 % Student-t interval] (per seed in brackets). LibriSpeech validation is the mean over
the five models of each one's held-out fold; dev_cv is the ensemble's. "half": the ensemble on one half of the dev_cv
speakers (every other speaker), mean over both halves; "refit on the other half": each model's w and b refit by the
notebook's `calibrate` on the other half's pairs first (cross-fitted: no speaker both fits and scores).

{table}

Gain over the recipe, paired by seed (95 % Student-t interval over the {len(seeds)} seeds):

{hw4exp.gains_table(gains, list(MEASURES), lambda m: "+.3f")}

**Kept** (dev_cv accuracy's interval above zero, LibriSpeech validation accuracy not resolved lower):
{", ".join(kept) if kept else "none"}.

Refitting w and b on Common Voice speakers (the dev_cv half-and-half scores above, paired by seed):

{refit_table}

![scores per seed]({NAME}.png)
"""
    data = {"seeds": seeds, "folds": folds, "epochs": epochs, "variants": VARIANTS, "rows": rows, "gains": gains,
            "kept": kept, "refit_gain": refit,
            "runs": [{k: v for k, v in r.items() if k != "dev_embeddings"} for r in results]}
    hw4exp.write_report(NAME, args, "Problem 1: what holds up on other microphones?", body, data,
                        time.time() - start)


if __name__ == "__main__":
    main()
