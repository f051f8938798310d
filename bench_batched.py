"""Time per training step of the models that homework4.ipynb trains together (problem 2's VAEs, problem 4's
lambda sweep and mode-seeking weights): all at once with the notebook's batched trainers (train_vaes,
train_imputers: torch.func.vmap over stacked weights) against the same models trained one after another
with the same trainers. The notebook's own cells define the trainers; the data are random tensors of
MNIST's shape, so only the speed is measured. Writes a markdown table (machine named) to stdout and --out.

Usage:  python bench_batched.py [--steps 40] [--out results/bench_batched.md]
"""
import argparse
import json
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent


def notebook_namespace(defines, constants=()):
    """Run the notebook's setup cells, the code cells that define each function in `defines` (no training),
    and the one-line assignment of each name in `constants`."""
    nb = json.loads((ROOT / "homework4.ipynb").read_text())
    code = [("".join(c["source"]), c["metadata"].get("tags", [])) for c in nb["cells"] if c["cell_type"] == "code"]
    ns = {"__name__": "__bench__"}
    setup = [src for src, tags in code if "setup" in tags]
    exec(setup[0], ns)                                   # the parameters cell
    ns.update(RESULTS_DIR=str(ROOT / "results"))
    for src in setup[1:]:
        exec(src, ns)
    for name in defines:
        exec(next(src for src, _ in code if f"def {name}(" in src), ns)
    for name in constants:
        exec(next(line for src, _ in code for line in src.splitlines() if line.startswith(f"{name} = ")), ns)
    return ns


def ms_per_step(run, steps):
    run(2)                                               # warm-up
    t0 = time.perf_counter()
    run(steps)
    return (time.perf_counter() - t0) / steps * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--out", default=str(ROOT / "results" / "bench_batched.md"))
    args = ap.parse_args()
    ns = notebook_namespace(["train_vaes", "train_imputers"], constants=["P4_KEPT"])
    dev, ns["display"] = ns["device"], lambda *a, **k: None      # no progress lines
    X = torch.rand(6000, 28, 28, generator=torch.Generator().manual_seed(0)).to(dev)
    Xpm = X * 2 - 1
    batch = ns["P2_BATCH"]

    def vaes(seeds, betas):
        return lambda s: ns["train_vaes"](X[:s * batch], seeds, betas, epochs=1, batch=batch)

    def imputers(lams, ws, **kw):
        return lambda s: ns["train_imputers"](Xpm, lams, 1, ms_weights=ws, steps=s, **kw)

    large = dict(hidden=ns["P4_KEPT"]["hidden"], matching_aware=True)
    cases = [
        ("problem 2: 6 VAEs (3 seeds x 2 betas)", 6,
         vaes([0, 1, 2] * 2, [1.0] * 3 + [4.0] * 3), [vaes([s], [b]) for s, b in zip([0, 1, 2] * 2, [1.0] * 3 + [4.0] * 3)]),
        ("problem 4: lambda sweep, 5 imputers (small G)", 5,
         imputers([0.0, 0.1, 1.0, 10.0, 100.0], None), [imputers([lam], None) for lam in [0.0, 0.1, 1.0, 10.0, 100.0]]),
        ("problem 4: mode-seeking, 3 imputers (large G, matching-aware D)", 3,
         imputers([10.0] * 3, [0.01, 0.02, 0.05], **large), [imputers([10.0], [w], **large) for w in [0.01, 0.02, 0.05]]),
    ]
    rows = []
    for name, n, together, alone in cases:
        t_alone = ms_per_step(lambda s: [run(s) for run in alone], args.steps)
        t_together = ms_per_step(together, args.steps)
        rows.append(f"| {name} | {t_alone:.1f} | {t_together:.1f} | {t_alone / t_together:.2f} |")
        print(rows[-1], flush=True)
    text = (f"# Several models trained as one: time per training step\n\nMade by `python bench_batched.py` on "
            f"{ns['machine']} ({torch.get_num_threads()} threads, torch {torch.__version__}): milliseconds per "
            f"minibatch step for all the models of a case (wall time of {args.steps} steps after 2 warm-up steps).\n\n| models | one after another (ms) | as one batched model (ms) | speed-up |\n"
            f"|---|---|---|---|\n" + "\n".join(rows) + "\n")
    Path(args.out).write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
