"""Rewrite the numbers in README.md from the committed results: the run's times (results/metrics.json), the
summary table the notebook writes (results/summary.md), the speed table (results/bench_batched.md) and the
effects table (results/p2_effects.md) with the ranges quoted under it. run.sh calls it after the notebook;
run it by hand after p2_effects.py or bench_batched.py. --check: exit 1 if README.md is not up to date.

Usage:  python update_readme.py [--check]
"""
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def table_of(path, header):
    text = (ROOT / path).read_text()
    return text[text.index(header):].strip()


def between(text, start, end, new):
    """text with the part from `start` up to (not including) `end` replaced by new."""
    a = text.index(start)
    b = text.index(end, a)
    return text[:a] + new + text[b:]


def readme():
    m = json.loads((ROOT / "results" / "metrics.json").read_text())
    s = m["seconds"]
    run = (f"Full run on this project's machine ({m['machine']}, {m['threads']} threads): {round(s['total']):,} s\n"
           f"({s['total'] / 60:.1f} min) for the whole notebook; per part: problem 1 {s['p1']:.0f} s, problem 2\n"
           f"{s['p2']:.0f} s, problem 3 {s['p3']:.0f} s, problem 4 {s['p4']:.0f} s. Problems 2 and 4 train their several\n"
           f"models (seeds, values of β, λ or w) as one batched model (`torch.func.vmap` over stacked weights; the\n"
           f"tests check that this gives every model the weights it gets alone). A run on a GPU has not been\n"
           f"verified yet (the notebook places everything on CUDA when it is present). Numbers from\n"
           f"`results/metrics.json` and `results/summary.md`, on the stand-in data:\n\n"
           + table_of("results/summary.md", "| problem |") + "\n\n")
    bench_text = (ROOT / "results" / "bench_batched.md").read_text()
    bench = table_of("results/bench_batched.md", "| models |")
    speed = [float(row.strip("|").split("|")[-1]) for row in bench.splitlines()[2:]]
    machine = bench_text.split("` on ", 1)[1].split("): ", 1)[0] + ")"
    speed_section = (
        "### Several models trained as one: speed\n\n"
        "`python bench_batched.py` times the notebook's batched trainers against the same models trained one\n"
        f"after another ({machine}; `results/bench_batched.md`):\n\n{bench}\n\n"
        f"On this CPU the speed-up is {min(speed):.2f}x to {max(speed):.2f}x: batching leaves the arithmetic as it "
        "is, and on a\nCPU the arithmetic, not the launching of kernels, sets the time. Batching pays where each "
        "small step costs mostly kernel launches\nand host round trips, as on a GPU; a GPU timing has not been "
        "recorded yet.\n\n")
    effects = table_of("results/p2_effects.md", "| effect |")
    rows = [[c.strip() for c in row.strip("|").split("|")] for row in effects.splitlines()[2:]]
    many = [r for r in rows if r[0].split(" (")[0] in ("frame", "background haze", "side gradient")]
    low = min(float(r[3].split("(")[1].rstrip(")")) for r in many)
    r2 = [float(r[4]) for r in rows if r not in many]

    text = (ROOT / "README.md").read_text()
    text = between(text, "Full run on this project's machine", "### Several models trained as one: speed", run)
    text = between(text, "### Several models trained as one: speed", "### Problem 2 on effects", speed_section)
    text = between(text, "| effect |", "\n\n", effects)
    text = between(text, "gradient: abs rho >= ", " on every seed", f"gradient: abs rho >= {math.floor(low * 100) / 100:.2f}")
    text = between(text, "all four means\n", ")", f"all four means\n{min(r2):.2f}-{max(r2):.2f}")
    return text


if __name__ == "__main__":
    new = readme()
    if "--check" in sys.argv:
        sys.exit(0 if new == (ROOT / "README.md").read_text() else 1)
    (ROOT / "README.md").write_text(new)
