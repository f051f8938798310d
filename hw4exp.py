"""What every script in experiments/ shares: the notebook's own definitions (its `defs` cells, through
hw4lib.notebook_definitions; never a second copy of a model, loss or loop), MNIST and the notebook's DigitNet
judge, runs spread over worker processes (one thread each: on 2 cores two one-thread runs finish sooner than one
two-thread run after the other, with the same numbers), seed-level 95 % intervals and the report files
results/experiments/NAME.md and NAME.json.
"""
import hw4lib  # first: it pins PyTorch's CPU kernels before torch loads (hw4lib.CPU_KERNELS)
import argparse
import json
import multiprocessing as mp
import os
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent

NOTEBOOK = ROOT / "homework4.ipynb"
OUT_DIR = ROOT / "results" / "experiments"
DEFAULT_MNIST = ROOT.parent / "shared" / "datasets" / "mnist"
DEFAULT_DATA = ROOT / "data"
SEEDS = [0, 1, 2]


def arguments(doc, more=None):
    """--fast, --mnist DIR, --data DIR, --out DIR (default results/experiments), --workers N, and what more(parser)
    adds."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    if more:
        more(p)
    p.add_argument("--fast", action="store_true", help="tiny epochs and subsets (the tests run this)")
    p.add_argument("--mnist", default=os.environ.get("HW4_MNIST", str(DEFAULT_MNIST)),
                   help="folder of the four MNIST IDX .gz files (default ../shared/datasets/mnist)")
    p.add_argument("--data", default=os.environ.get("HW4_DATA", str(DEFAULT_DATA)),
                   help="folder of the notebook's data files, as hw4data.py builds them (default data/)")
    p.add_argument("--out", default=str(OUT_DIR), help="folder for NAME.md, NAME.json and figures")
    p.add_argument("--workers", type=int, default=min(2, len(os.sched_getaffinity(0))),
                   help="worker processes, one thread each (default: the cores, at most 2)")
    return p.parse_args()


def definitions(fast, mnist, *parts):
    """The notebook's definitions of the setup and of `parts`, with FAST and MNIST_DIR set."""
    return hw4lib.notebook_definitions(NOTEBOOK, *parts, FAST=fast, MNIST_DIR=str(mnist))


# ----------------------------------------------------------------------------- the judge
def judge_key(nb, mnist):
    """What the judge depends on: the code of DigitNet, of its training and of the split it trains on, the number of
    held-out digits, the mode, torch's version and the MNIST training files' checksums. A change to any of them gives
    a new key."""
    import hashlib
    import inspect
    parts = [inspect.getsource(f) for f in (hw4lib.DigitNet, hw4lib.train_digit_classifier, hw4lib.train_judge,
                                            hw4lib.holdout)] + [str(nb["GAN_VALIDATION"]), str(nb["FAST"]),
             torch.__version__, *(hw4lib.hw4data.md5sum(Path(mnist) / name) for name in sorted(hw4lib.hw4data.MNIST_FILES))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def judge(nb, mnist):
    """The notebook's DigitNet (hw4lib.train_judge on the GANs' training digits), trained once per key (judge_key) and
    kept as a state dict in the cache folder (hw4data.cache_dir()); loaded with weights_only=True."""
    path = hw4lib.hw4data.cache_dir() / "judges" / f"digitnet-{judge_key(nb, mnist)}.pt"
    if path.exists():
        net = hw4lib.DigitNet().to(nb["DEVICE"])
        net.load_state_dict(torch.load(path, map_location=nb["DEVICE"], weights_only=True))
        return net.eval()
    (x, y), _ = hw4lib.holdout(*hw4lib.mnist(mnist, "train"), nb["GAN_VALIDATION"])
    net = hw4lib.train_judge(x, y, nb["FAST"], nb["SEED"], nb["DEVICE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), path.with_suffix(".part"))
    path.with_suffix(".part").replace(path)
    return net.eval()


# ----------------------------------------------------------------------------- workers
WORKER = {}      # in each worker process: the notebook's namespace "nb", the judge, and MNIST: "train_x", "train_y" (for
                 # problems 3 and 4 the GANs' training digits, then also "val_x", "val_y": the held-out ones), "test_x", "test_y"


def _init(fast, mnist, parts, use_judge):
    try:
        os.chdir(ROOT)
        nb = definitions(fast, mnist, *parts)
        torch.set_num_threads(1)
        WORKER.update(nb=nb, judge=judge(nb, mnist) if use_judge else None)
        WORKER["train_x"], WORKER["train_y"] = hw4lib.mnist(mnist, "train")
        if "GAN_VALIDATION" in nb:                # problems 3 and 4: the GANs' training digits and the held-out ones
            (WORKER["train_x"], WORKER["train_y"]), (WORKER["val_x"], WORKER["val_y"]) = hw4lib.holdout(
                WORKER["train_x"], WORKER["train_y"], nb["GAN_VALIDATION"])
        WORKER["test_x"], WORKER["test_y"] = hw4lib.mnist(mnist, "test")
    except Exception as error:                    # kept for _cpu_kernels to raise: a failed initializer would
        WORKER["init_error"] = error              # otherwise be restarted by the pool forever


def _cpu_kernels():
    """The instruction set of PyTorch's CPU kernels in this process (hw4lib pins "AVX2" on x86); raises the error
    that stopped the worker's set-up, if one did."""
    if "init_error" in WORKER:
        raise WORKER["init_error"]
    return torch.backends.cpu.get_cpu_capability()


RUN_FACTS = {}   # facts of this run for its report: the workers' CPU kernels


class Runner:
    """`with Runner(args, parts) as run: results = run(job_fn, jobs)`: job_fn(job) for every job (a dict), in
    `args.workers` one-thread worker processes whose WORKER holds the notebook's definitions of `parts`, MNIST split as
    the notebook splits it, and the judge (the notebook's DigitNet, from the cache; use_judge=False: none). Results
    come back in the order of `jobs`, with a line printed as each job ends."""

    def __init__(self, args, parts, use_judge=True):
        self.args, self.parts, self.use_judge, self.start = args, parts, use_judge, time.time()
        self.nb = definitions(args.fast, args.mnist, *parts)
        self.judge = judge(self.nb, args.mnist) if use_judge else None     # trained here once, before the workers

    def __enter__(self):
        self.pool = mp.get_context("spawn").Pool(self.args.workers, _init, (self.args.fast, self.args.mnist,
                                                                            self.parts, self.use_judge))
        try:
            RUN_FACTS["worker_cpu_kernels"] = self.pool.apply(_cpu_kernels)     # recorded in the report
        except Exception:
            self.pool.terminate()
            raise
        return self

    def __exit__(self, *exc):
        self.pool.terminate()

    def __call__(self, job_fn, jobs):
        pending = [self.pool.apply_async(job_fn, (job,)) for job in jobs]
        results = []
        for i, handle in enumerate(pending):
            results.append(handle.get())
            print(f"[{time.time() - self.start:7.0f} s] job {i + 1}/{len(jobs)} done: {jobs[i]}", flush=True)
        return results


# ----------------------------------------------------------------------------- statistics and reports
def per_seed(values, fmt=".3f"):
    """'mean [low, high]' over the seeds (Student t), with the per-seed values."""
    mean, ci = hw4lib.t_interval(values)
    return f"{hw4lib.ci_text(mean, ci, fmt)} ({', '.join(f'{v:{fmt}}' for v in values)})"


def paired_gain(without, with_it, better="higher"):
    """The change with_it - without paired by seed, its t-interval and the verdict it allows: for a score where
    `better` is "higher" (or "lower"), 'helps', 'hurts' or 'not resolved'; for better=None (a measure that is neither),
    'higher', 'lower' or 'not resolved'."""
    g, ci = hw4lib.paired_t_interval(without, with_it)
    word = hw4lib.verdict(ci)
    if word != "not resolved" and better != "higher":
        word = {"lower": {"helps": "hurts", "hurts": "helps"}, None: {"helps": "higher", "hurts": "lower"}}[better][word]
    return {"gain": g, "ci95": ci, "verdict": word}


def gains_table(gains, compared, fmt):
    """A Markdown table of change -> measure -> gain (from paired_gain()), one column per measure; fmt(measure) is the
    number format."""
    rows = ["| change | " + " | ".join(f"gain in {k}" for k in compared) + " |", "|" + "---|" * (len(compared) + 1)]
    for change, g in gains.items():
        rows.append(f"| {change} | " + " | ".join(
            f"{hw4lib.ci_text(g[k]['gain'], g[k]['ci95'], fmt(k))} ({g[k]['verdict']})" for k in compared) + " |")
    return "\n".join(rows)


def read_report(args, name, why):
    """The JSON of experiment `name` in args.out, run in the same mode; a clear stop if it is missing or not."""
    path = Path(args.out) / f"{name}.json"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run `python experiments/{name}.py{' --fast' if args.fast else ''} "
                         f"--out {args.out}` first ({why}).")
    data = json.loads(path.read_text())
    if data["fast"] != args.fast:
        raise SystemExit(f"{path} is from a {'FAST' if data['fast'] else 'full'} run; rerun it in this mode.")
    return data


# ----------------------------------------------------------------------------- problem 1
def speech_spectrograms(data, min_speakers):
    """The notebook's spectrograms of the speech files data/NAME.pkl for each NAME of min_speakers (NAME -> the
    fewest speakers it must hold), computed once per worker and kept in WORKER["S"]."""
    if "S" not in WORKER:
        nb = WORKER["nb"]
        WORKER["S"] = {name: nb["spectrograms"](hw4lib.speech_file(Path(data) / f"{name}.pkl", min_speakers=n),
                                                    nb["DEVICE"]) for name, n in min_speakers.items()}
    return WORKER["S"]


class Member:
    """What the notebook's evaluate and calibrate read and set of a trained Siamese model, from an experiment's result:
    w and b (as calibrated; tensors, so calibrate can refit them) and, where recorded, w and b as trained."""

    def __init__(self, result):
        self.w, self.b = (torch.tensor(v, dtype=torch.float64) for v in result["w_and_b"])
        self.uncalibrated = tuple(result["uncalibrated"]) if "uncalibrated" in result else None

    def w_and_b(self):
        return self.w.item(), self.b.item()


def save_figure(fig, path):
    """Lay out, write (80 dpi, making the folder) and close an experiment's figure."""
    import matplotlib.pyplot as plt
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def machine(args):
    return (f"{hw4lib.setup_torch()[2]}; {args.workers} worker process(es), one thread each")


def write_report(name, args, title, body, data, seconds):
    """results/experiments/NAME.md (the title, how it ran, then `body`) and NAME.json (`data`, with the run's
    facts)."""
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    facts = {"command": f"python experiments/{name}.py" + (" --fast" if args.fast else ""), "fast": args.fast,
             "machine": machine(args), "minutes": round(seconds / 60, 1), **RUN_FACTS}
    head = (f"# {title}\n\n`{facts['command']}`: {facts['minutes']} min on {facts['machine']}"
            + (" (**FAST mode: tiny runs, not evidence**)" if args.fast else "") + ".\n\n")
    (out / f"{name}.md").write_text(head + body.strip() + "\n")
    (out / f"{name}.json").write_text(json.dumps({**facts, **data}, indent=1, default=_plain) + "\n")
    print(f"wrote {out / name}.md and .json in {seconds / 60:.1f} min")


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON: {type(value)}")
