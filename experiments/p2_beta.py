"""Problem 2: does the beta-VAE (beta = 4) put the added effect on one dimension better than a plain VAE (beta = 1)?

The notebook's VAE, train_vae and rule (the largest Kolmogorov-Smirnov statistic D between the posterior means of the
poor training sevens and of MNIST's clean test sevens) at beta = 1 and beta = 4, seeds 0, 1, 2, on the data in --data.
Per run: the rule's D, the chosen dimension's |Spearman rho| with the true effect strength on te7 (the builder's
poor_sevens_truth.npz), the largest |rho| of any dimension, the linear R^2 of the strength from all K posterior means,
and the test ELBO (beta = 1, nats per image). Gains: beta 4 minus beta 1, paired by seed, 95 % Student-t interval.

Usage:  python experiments/p2_beta.py [--fast] [--data DIR]
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

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

NAME = "p2_beta"
BETAS = [1.0, 4.0]
MEASURES = {"ks_chosen": "the rule's D", "rho_chosen": "abs rho of the chosen dimension",
            "rho_best": "largest abs rho", "r2_all": "R^2 from all K", "test_elbo": "test ELBO (nats)"}


def sevens(data):
    """tr7, te7, MNIST's clean test sevens and the true strengths of te7, read once per worker."""
    if "sevens" not in WORKER:
        nb, data = WORKER["nb"], Path(data)
        truth = np.load(data / "poor_sevens_truth.npz")
        if str(truth["te7_sha256"]) != hw4lib.hw4data.sha256(data / "te7.pkl"):
            raise SystemExit(f"{data / 'poor_sevens_truth.npz'} was made for other files than {data / 'te7.pkl'}: "
                             "rebuild the data with `python hw4data.py`.")
        clean = WORKER["test_x"][WORKER["test_y"] == 7]
        WORKER["sevens"] = (hw4lib.sevens_file(data / "tr7.pkl"), hw4lib.sevens_file(data / "te7.pkl"), clean,
                                truth["te7_a"])
    return WORKER["sevens"]


def run_vae(nb, tr7, te7, clean_te7, a, seed, beta):
    """The notebook's recipe at `beta` and its numbers against the true strengths a of te7."""
    vae, history = nb["train_vae"](tr7, seed, beta, nb["P2_EPOCHS"])
    ks = nb["ks_per_dim"](vae, tr7, clean_te7)
    rho = nb["abs_spearman"](vae, te7, a)
    chosen = int(np.argmax(ks))
    return {"ks": ks, "rho": rho, "chosen": chosen, "ks_chosen": ks[chosen], "rho_chosen": rho[chosen],
            "rho_best": max(rho), "r2_all": hw4lib.linear_r2(nb["posterior_means"](vae, te7), a),
            "test_elbo": nb["heldout_elbo"](vae, te7, nb["SEED"])[0], "history": history}


def train(job):
    """job = dict(seed, beta, data) -> run_vae's numbers (without the data folder, a path of this machine)."""
    start, numbers = time.time(), run_vae(WORKER["nb"], *sevens(job["data"]), job["seed"], job["beta"])
    return {"seed": job["seed"], "beta": job["beta"], **numbers, "seconds": time.time() - start}


def main():
    args = hw4exp.arguments(__doc__)
    start = time.time()
    with hw4exp.Runner(args, ["p2"], use_judge=False) as run:
        results = run(train, [dict(seed=s, beta=b, data=args.data) for b in BETAS for s in hw4exp.SEEDS])
    per = {b: {k: [r[k] for r in results if r["beta"] == b] for k in MEASURES} for b in BETAS}
    gains = {k: hw4exp.paired_gain(per[1.0][k], per[4.0][k]) for k in MEASURES}
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for b in BETAS:
        for r in [r for r in results if r["beta"] == b]:
            ax.plot(range(1, len(r["history"]) + 1), [-v for v in r["history"]], color="C0" if b == 1 else "C1",
                    label=f"beta {b:g}" if r["seed"] == hw4exp.SEEDS[0] else None)
    ax.set(xlabel="epoch", ylabel="training ELBO per image (nats)", title="one line per seed")
    ax.legend()
    hw4exp.save_figure(fig, Path(args.out) / f"{NAME}.png")
    fmt = {k: ".1f" if k == "test_elbo" else ".3f" for k in MEASURES}
    table = "\n".join(["| measure | beta = 1 | beta = 4 | beta 4 minus beta 1 |", "|---|---|---|---|"] + [
        f"| {label} | {hw4exp.per_seed(per[1.0][k], fmt[k])} | {hw4exp.per_seed(per[4.0][k], fmt[k])} | "
        f"{hw4lib.ci_text(gains[k]['gain'], gains[k]['ci95'], '+' + fmt[k])} ({gains[k]['verdict']}) |"
        for k, label in MEASURES.items()])
    chosen = {b: [r["chosen"] for r in results if r["beta"] == b] for b in BETAS}
    body = f"""
The notebook's VAE (K = {run.nb['K']}, {run.nb['P2_EPOCHS']} epochs) at beta = 1 and beta = 4, seeds {hw4exp.SEEDS}
(one thread per run, so the beta = 4 numbers can differ in the last digits from the notebook's two-thread run).
abs rho: |Spearman rho| of a dimension's posterior mean on te7 with the true strength. Mean over the seeds [95 %
Student-t interval] (per seed in brackets); the last column pairs the seeds:

{table}

The rule chose, per seed: beta = 1 {', '.join(f'z{d}' for d in chosen[1.0])}; beta = 4 {', '.join(f'z{d}' for d in chosen[4.0])}.

![training ELBO]({NAME}.png)
"""
    data = {"seeds": hw4exp.SEEDS, "betas": BETAS, "gains": gains, "per_beta": per, "runs": results}
    hw4exp.write_report(NAME, args, "Problem 2: beta = 4 against beta = 1", body, data, time.time() - start)


if __name__ == "__main__":
    main()
