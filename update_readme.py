"""Write README.md from README.template.md, filling its {{placeholders}} from the committed results: the run's
machine, times and headline numbers (results/metrics.json), the table of experiments (results/experiments/*.json)
and the effects table of experiments/p2_effects with the sentences under it. run.sh calls it after the notebook; run
it by hand after an experiment. --check: exit 1 if README.md is not what the template and results give.

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
    table = table_of("results/experiments/p2_effects.md", "| effect |").split("\n\n")[0]
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
    return f"{g['gain']:{fmt}} [{g['ci95'][0]:{fmt}}, {g['ci95'][1]:{fmt}}] ({g['verdict']})"


def experiments_table():
    a, m, b, e, r, c, i, k = (experiment(n) for n in ("p1_ablation", "p1_microphones", "p2_beta", "p2_effects",
                                                      "p3_recipe", "p3_changes", "p4_imputer", "p4_changes"))
    rows = [
        ("p1_ablation", "Does each addition to the Siamese recipe earn its place?", a, lambda: "; ".join(
            f"{t}: " + ", ".join(f"{name} {ci(g)}" for name, g in gains.items()) for t, gains in a["gains"].items())
            + " (gain in test accuracy)"),
        ("p1_microphones", "What makes the recipe hold up on other microphones (chosen on dev_cv)?", m, lambda: (
            "; ".join(f"{name}: {ci(g['dev_cv accuracy'])} on dev_cv, {ci(g['LibriSpeech validation accuracy'])} on "
                      "LibriSpeech validation" for name, g in m["gains"].items())
            + f" (gain in accuracy over the recipe); kept: {', '.join(m['kept']) or 'none'}")),
        ("p2_beta", "β = 4 against β = 1?", b, lambda: (
            f"absolute ρ of the chosen dimension {ci(b['gains']['rho_chosen'])}, test ELBO {ci(b['gains']['test_elbo'], '+.1f')}"
            " (β 4 minus β 1)")),
        ("p2_effects", "Does the recipe find effects it has never seen?", e, lambda: (
            f"{len(e['effects'])} effects x 3 seeds; table below")),
        ("p3_recipe", "Does the recipe as written train, at which learning rate and dropout?", r, lambda: (
            "; ".join(f"{name}: {last['conditioning_ema'].split(' (')[0]}" for name, last in r["last_epoch"].items())
            + f" (conditioning of G's weight average after {r['epochs']} epochs); chosen lr {r['chosen_rate']:g}; the "
            f"weight average against G {ci(r['ema_gain'])}")),
        ("p3_changes", "What does each change to the recipe add?", c, lambda: (
            "; ".join(f"{name}: {ci(g['conditioning_ema'])}" for name, g in c["gains"].items())
            + f" (gain in conditioning after {c['epochs']} epochs)")),
        ("p4_imputer", "The penalty as a mean (as written) or a sum over the patch?", i, lambda: (
            "; ".join(f"{reduction}: λ = 0.1 over λ = 0 {ci(g['0.1 over 0'])}, λ = 10 over λ = 0.1 {ci(g['10 over 0.1'])}"
                      for reduction, g in i["gains"].items()) + f" (gain in label consistency, {i['epochs']} epochs)")),
        ("p4_changes", "What does each change to the imputer add?", k, lambda: (
            "; ".join(f"{name}: {ci(g['label_consistency'])}" for name, g in k["gains"].items())
            + f" (gain in label consistency, {k['epochs']} epochs)"))]
    return "| experiment | question | minutes | headline (95 % intervals over 3 seeds) |\n|---|---|---|---|\n" + "\n".join(
        f"| [`experiments/{n}.py`](results/experiments/{n}.md) | {q} | {d['minutes']} | {h()} |" if d else
        f"| `experiments/{n}.py` | {q} | - | not run in full yet |" for n, q, d, h in rows)


def interval(m, key, fmt=".3f"):
    return f"{m[key]:{fmt}} [{m[key + '_ci95'][0]:{fmt}}, {m[key + '_ci95'][1]:{fmt}}]"


def summary_table(m):
    rows = [
        ("1 speaker verification", f"accuracy {interval(m, 'p1_librispeech_ensemble')} on {m['p1_test_speakers']} "
         f"LibriSpeech speakers (AUC {m['p1_librispeech_auc']:.3f}), {interval(m, 'p1_commonvoice_ensemble')} on "
         f"{m['p1_commonvoice_speakers']} Common Voice speakers (mean of {m['p1_seeds']} seeds)",
         "about 70 % test accuracy, on the course's own data (50 training / 20 test speakers)"),
        ("2 β-VAE", f"K = {m['p2_K']}; the rule picks " + ", ".join(f"z{d}" for d in m["p2_effect_dims"])
         + f" on {m['p2_seeds']} seeds; absolute Spearman ρ with the true strength {m['p2_rho_chosen_mean']:.3f} "
         f"[{m['p2_rho_chosen_ci95'][0]:.3f}, {m['p2_rho_chosen_ci95'][1]:.3f}] (lowest {m['p2_rho_chosen_min']:.3f})", "traversals of \"similar-looking\" sevens with a \"gradually changing effect\""),
        ("3 conditional GAN", f"conditioning {interval(m, 'p3_conditioning')} of 1,000 samples (worst digit "
         f"{m['p3_worst_digit_accuracy']:.2f}), Fréchet "
         f"{m['p3_frechet_ratio']:.1f} x the floor, D right on {m['p3_d_real_acc']:.2f} of real pairs and "
         f"{m['p3_d_fake_acc']:.2f} of fakes after {m['p3_epochs']} epochs",
         "\"ten examples per class in a row\" and D's accuracy on real and fake per epoch"),
        ("4 imputation GAN", "label consistency: " + ", ".join(f"λ = {lam} {interval(m, f'p4_lc_{lam}')}" for lam in ("0", "0.1", "10"))
         + f" ({m['p4_epochs']} epochs each, the error averaged over the patch); centre MSE at λ = 10 "
         f"{m['p4_centre_mse_10']:.4f}", "λ = 0.1 gives a \"less conditioned\" example, λ = 10 a conditioned one")]
    return "| problem | this notebook | the assignment |\n|---|---|---|\n" + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)


def values():
    m = json.loads((ROOT / "results" / "metrics.json").read_text())
    parts = {"mnist": "reading MNIST", "p1": "problem 1", "p2": "problem 2", "classifier": "the digit classifier",
             "p3": "problem 3", "p4": "problem 4"}
    return {"machine": m["machine"], "threads": m["threads"], "total_seconds": f"{round(m['seconds_total']):,}",
            "total_minutes": f"{m['seconds_total'] / 60:.1f}",
            "part_seconds": ", ".join(f"{name} {m['seconds_' + key]:.0f} s" for key, name in parts.items()),
            "summary_table": summary_table(m), **effects_values(), "experiments_table": experiments_table(),
            "mnist_specks": f"{m['mnist_specks']:.2f}", "p3_specks": f"{m['p3_specks']:.2f}",
            "p3_epochs": m["p3_epochs"], "p4_epochs": m["p4_epochs"]}


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
