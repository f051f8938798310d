"""experiments/: each script's FAST run writes its report and JSON; the follow-up scripts refuse to run without the
JSON they build on."""
import json
import os
import subprocess
import sys

import pickle
import re

import numpy as np
import pytest

from conftest import ROOT, SOURCES

import hw4exp as common  # noqa: E402


def run(name, out, *extra, data=None):
    data = ["--data", str(data)] if data else []
    return subprocess.run([sys.executable, str(ROOT / "experiments" / f"{name}.py"), "--fast", "--out", str(out),
                           "--mnist", str(SOURCES / "mnist"), *data, *extra],
                          capture_output=True, text=True, timeout=900, env={**os.environ, "TMPDIR": str(out)})


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("experiments")


def _report(out, name):
    data = json.loads((out / f"{name}.json").read_text())
    text = (out / f"{name}.md").read_text()
    assert data["fast"] is True and "FAST mode" in text and (out / f"{name}.png").stat().st_size > 1000
    assert f"python experiments/{name}.py --fast" in text
    return data, text


def test_follow_ups_need_their_first_experiment(out):
    for name, first in (("p3_changes", "p3_recipe"), ("p4_changes", "p4_imputer")):
        result = run(name, out / "empty")
        assert result.returncode != 0 and f"{first}.json is missing" in result.stderr


def test_p3_experiments(out):
    assert run("p3_recipe", out).returncode == 0
    data, text = _report(out, "p3_recipe")
    assert data["chosen_rate"] in data["rates"] and len(data["runs"]) == 3 * len(data["rates"]) + 3
    assert all(len(r["history"]) == data["epochs"] for r in data["runs"])
    assert "conditioning_ema" in data["runs"][0]["history"][-1] and "Chosen: lr" in text
    assert run("p3_changes", out).returncode == 0
    data, text = _report(out, "p3_changes")
    assert set(data["gains"]) == {"label gain 5", "matching-aware D", "R1 penalty (gamma 10)"}
    for g in data["gains"].values():
        assert g["frechet_ema"]["reading"] in ("helps", "hurts", "not resolved")
        assert g["d_fake_acc"]["reading"] in ("higher", "lower", "not resolved")


def test_p4_experiments(out):
    assert run("p4_imputer", out).returncode == 0
    data, _ = _report(out, "p4_imputer")
    assert set(data["gains"]) == {"mean", "sum"} and set(data["reproduces"]) == {"mean", "sum"}
    assert len(data["runs"]) == 5 * 3
    assert run("p4_changes", out).returncode == 0
    data, _ = _report(out, "p4_changes")
    assert len(data["gains"]) == 5 and len(data["runs"]) == 5 * 3
    ms = [r for r in data["runs"] if r["name"] == "mode-seeking (w 0.02)"]
    assert len(ms) == 3 and all(r["ms_weight"] == 0.02 for r in ms)


def test_p1_ablation(out, built):
    result = run("p1_ablation", out, data=built)
    assert result.returncode == 0, result.stderr[-2000:]
    data, text = _report(out, "p1_ablation")
    assert len(data["runs"]) == 4 * len(data["seeds"]) * len(data["folds"])
    assert set(data["gains"]) == {"LibriSpeech", "Common Voice"}
    assert set(data["gains"]["LibriSpeech"]) == {"the frame layer", "the AM-softmax term", "crops and time masks",
                                                 "calibration", "the five-model ensemble"}
    assert all(0.5 < v <= 1 for v in data["rows"]["LibriSpeech"]["the recipe"])


def test_p2_experiments(out, built):
    result = run("p2_beta", out, data=built)
    assert result.returncode == 0, result.stderr[-2000:]
    data, _ = _report(out, "p2_beta")
    assert len(data["runs"]) == 6 and set(data["gains"]) == {"ks_chosen", "rho_chosen", "rho_best", "r2_all", "test_elbo"}
    assert all(r["rho_best"] >= r["rho_chosen"] for r in data["runs"])
    result = run("p2_effects", out, "--effects", "rotation,frame (the stand-in)")
    assert result.returncode == 0, result.stderr[-2000:]
    data, text = _report(out, "p2_effects")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[0].startswith("| effect | acts on |") and len(rows) == 3
    number = r"\d\.\d{3} \(\d\.\d{3}\)"
    for row, name in zip(rows[1:], ("rotation", r"frame \(the stand-in\)")):
        assert re.fullmatch(rf"\| {name} \| \w+ \| {number} \| {number} \| -?\d\.\d{{3}} \| \d of 3 \|", row), row


def test_p2_effects_keep_the_builders_format(sources, tmp_path):
    sys.path.insert(0, str(ROOT / "experiments"))
    import p2_effects
    p2_effects.make_data("corner spot", sources / "mnist", tmp_path)
    truth = np.load(tmp_path / "poor_sevens_truth.npz")
    for name, n in (("tr7", 6265), ("te7", 1028)):
        with open(tmp_path / f"{name}.pkl", "rb") as f:
            images = pickle.load(f)
        assert images.shape == (n, 28, 28) and images.dtype == np.uint8
        assert truth[f"{name}_a"].shape == (n,)
        assert str(truth[f"{name}_sha256"]) == p2_effects.hw4data.sha256(tmp_path / f"{name}.pkl")


def test_an_unknown_effect_is_refused(out):
    result = run("p2_effects", out / "refused", "--effects", "sparkle")
    assert result.returncode != 0 and "unknown effect" in result.stderr and "corner spot" in result.stderr


def test_gain_pairs_by_seed_and_words_the_interval():
    """gain(): with minus without per seed, its Student-t interval (here by hand), and the word the interval allows
    for a score where higher is better, lower is better, or neither."""
    without, with_it = [0.80, 0.85, 0.90], [0.82, 0.871, 0.919]                # gains 0.020, 0.021, 0.019
    half = 4.302653 * 0.001 / 3 ** 0.5
    g = common.gain(without, with_it)
    assert g["gain"] == pytest.approx(0.02) and g["ci95"] == pytest.approx([0.02 - half, 0.02 + half], rel=1e-5)
    assert g["reading"] == "helps" and common.gain(without, with_it, better="lower")["reading"] == "hurts"
    assert common.gain(without, with_it, better=None)["reading"] == "higher"
    assert common.gain(with_it, without, better="lower")["reading"] == "helps"
    assert common.gain([0.8, 0.9, 0.85], [0.9, 0.8, 0.86])["reading"] == "not resolved"
