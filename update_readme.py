"""Write README.md from README.template.md, filling its {{placeholders}} from the committed results: the run's
machine and times (results/metrics.json), the summary table the notebook writes (results/summary.md) and the
effects table (results/p2_effects.md) with the sentences under it. run.sh calls it after the notebook; run it by
hand after p2_effects.py. --check: exit 1 if README.md is not what the template and results give.

Usage:  python update_readme.py [--check]
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def table_of(path, header):
    text = (ROOT / path).read_text()
    return text[text.index(header):].strip()


def effects_values():
    table = table_of("results/p2_effects.md", "| effect |")
    rows = [[c.strip() for c in row.strip("|").split("|")] for row in table.splitlines()[2:]]
    lowest = {r[0]: float(r[3].split("(")[1].rstrip(")")) for r in rows}      # chosen abs rho, lowest seed
    isolated = [r for r in rows if lowest[r[0]] >= 0.95]
    partial = [float(r[4]) for r in rows if r not in isolated]
    misses = [f"{r[0]} ({r[5]})" for r in rows if r[5].split(" of ")[0] != r[5].split(" of ")[1]]
    return {"effects_table": table, "effects_isolated": ", ".join(r[0] for r in isolated) or "none",
            "effects_r2_range": f"{min(partial):.2f}-{max(partial):.2f}" if partial else "none",
            "effects_rule_misses": ", ".join(misses) or "none"}


def experiment(name):
    """An experiment's JSON, or None if it has not been run in full."""
    path = ROOT / "results" / "experiments" / f"{name}.json"
    data = json.loads(path.read_text()) if path.exists() else None
    return data if data and not data["fast"] else None


def ci(g, fmt="+.3f"):
    return f"{g['gain']:{fmt}} [{g['ci95'][0]:{fmt}}, {g['ci95'][1]:{fmt}}] ({g['reading']})"


def experiments_table():
    r, c, i, k = (experiment(n) for n in ("p3_recipe", "p3_changes", "p4_imputer", "p4_changes"))
    rows = [
        ("p3_recipe", "Does the recipe as written train, at which learning rate and dropout?", r, lambda: (
            "; ".join(f"{name}: {last['conditioning_ema'].split(' (')[0]}" for name, last in r["last_epoch"].items())
            + f" (conditioning of G's weight average after {r['epochs']} epochs); chosen lr {r['chosen_rate']:g}; the "
            f"weight average against G {ci(r['ema_gain'])}")),
        ("p3_changes", "What does each change to the recipe add?", c, lambda: (
            "; ".join(f"{name}: {ci(g['conditioning_ema'])}" for name, g in c["gains"].items())
            + f" (gain in conditioning after {c['epochs']} epochs)")),
        ("p4_imputer", "Penalty as a sum or a mean over the patch?", i, lambda: (
            "; ".join(f"{reading}: λ = 0.1 over λ = 0 {ci(g['0.1 over 0'])}, λ = 10 over λ = 0 {ci(g['10 over 0'])}"
                      for reading, g in i["gains"].items()) + f" (labels kept, {i['epochs']} epochs)")),
        ("p4_changes", "What does each change of the kept imputer add?", k, lambda: (
            "; ".join(f"{name}: {ci(g['label_consistency'])}" for name, g in k["gains"].items())
            + f" (labels kept, {k['epochs']} epochs)"))]
    return "| experiment | question | minutes | headline (95 % intervals over 3 seeds) |\n|---|---|---|---|\n" + "\n".join(
        f"| [`experiments/{n}.py`](results/experiments/{n}.md) | {q} | {d['minutes']} | {h()} |" if d else
        f"| `experiments/{n}.py` | {q} | - | not run in full yet |" for n, q, d, h in rows)


def values():
    m = json.loads((ROOT / "results" / "metrics.json").read_text())
    s = m["seconds"]
    parts = {"mnist": "reading MNIST", "classifiers": "the two digit classifiers", "p1": "problem 1", "p2": "problem 2",
             "p3": "problem 3", "p4": "problem 4"}
    return {"machine": m["machine"], "threads": m["threads"], "total_seconds": f"{round(s['total']):,}",
            "total_minutes": f"{s['total'] / 60:.1f}",
            "part_seconds": ", ".join(f"{name} {s[key]:.0f} s" for key, name in parts.items() if key in s),
            "summary_table": table_of("results/summary.md", "| problem |"), **effects_values(),
            "mnist_specks": f"{m['mnist_specks_per_image']:.2f}", "p3_specks": f"{m['p3']['specks_per_image']:.2f}",
            "p3_raw_specks": f"{m['p3']['raw_g']['specks_per_image']:.2f}", "p3_epochs": m["p3"]["epochs"],
            "p3_lr": f"{m['p3']['lr']:g}", "p3_collapse_lr": f"{m['p3']['collapse']['lr']:g}",
            "p3_flat": "its curves flat" if m["p3"]["flat"] else "its curves not yet flat",
            "p4_lambda_epochs": m["p4"]["assignment_d"]["10"]["epochs"], "p4_epochs": m["p4"]["kept"]["epochs"],
            "p4_flat": "flat" if m["p4"]["kept"]["flat"] else "not yet flat",
            "experiments_table": experiments_table(),
            "p4_ceiling": f"{m['p4']['ceiling']['most_likely_digit']:.3f}",
            "p4_faithful": f"{m['p4']['ceiling']['faithful_sampler']:.3f}"}


def readme():
    template = (ROOT / "README.template.md").read_text()
    filled = values()
    missing = set(re.findall(r"\{\{(\w+)\}\}", template)) - set(filled)
    if missing:
        raise KeyError(f"README.template.md names {sorted(missing)}, which update_readme.py does not fill")
    return re.sub(r"\{\{(\w+)\}\}", lambda match: str(filled[match.group(1)]), template)


if __name__ == "__main__":
    new = readme()
    if "--check" in sys.argv:
        sys.exit(0 if new == (ROOT / "README.md").read_text() else 1)
    (ROOT / "README.md").write_text(new)
