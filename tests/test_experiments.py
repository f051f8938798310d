"""experiments/: each script's FAST run writes its report and JSON; the follow-up scripts refuse to run without the
JSON they build on."""
import argparse
import json
import os
import subprocess
import sys

import pickle
import re

import numpy as np
import pytest

from conftest import ROOT, SOURCES

import hw4exp  # noqa: E402
import torch  # noqa: E402


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
    assert data["worker_cpu_kernels"] == torch.backends.cpu.get_cpu_capability()    # hw4lib's pin holds in the workers
    assert "/tmp" not in json.dumps(data) and str(ROOT) not in json.dumps(data)     # no path of this machine
    return data, text


def test_follow_ups_need_their_first_experiment(out):
    for name, first in (("p3_changes", "p3_recipe"), ("p4_changes", "p4_imputer")):
        result = run(name, out / "empty")
        assert result.returncode != 0 and f"{first}.json is missing" in result.stderr


def test_p3_experiments(out):
    assert run("p3_recipe", out).returncode == 0
    data, text = _report(out, "p3_recipe")
    assert len(data["runs"]) == 3 * len(data["rates"]) + 3
    assert all(len(r["history"]) == data["epochs"] for r in data["runs"])
    assert {"conditioning", "conditioning_ema"} <= set(data["runs"][0]["history"][-1]) and "Chosen: lr" in text
    assert run("p3_changes", out).returncode == 0
    data, text = _report(out, "p3_changes")
    assert set(data["gains"]) == {"one-hot times 5", "matching-aware D", "R1 penalty (gamma 10)"}


def test_p4_experiments(out):
    assert run("p4_imputer", out).returncode == 0
    data, _ = _report(out, "p4_imputer")
    assert set(data["gains"]) == {"mean", "sum"} and set(data["reproduces"]) == {"mean", "sum"}
    assert len(data["runs"]) == 4 * 3                  # sum 0.1 is mean 10: trained once
    runs = {(r["reduction"], r["lam"]) for r in data["runs"]}
    assert runs == {("mean", 0.0), ("mean", 0.1), ("mean", 10.0), ("sum", 10.0)}
    assert run("p4_changes", out).returncode == 0
    data, _ = _report(out, "p4_changes")
    assert len(data["gains"]) == 4 and len(data["runs"]) == 4 * 3
    l1 = [r for r in data["runs"] if r["name"] == "whole-image L1 (mu 10)"]
    assert len(l1) == 3 and all(r["recon_weight"] == 10.0 and r["reduction"] == "mean" and r["lam"] == 10 for r in l1)


def test_p1_ablation(out, built):
    result = run("p1_ablation", out, data=built)
    assert result.returncode == 0, result.stderr[-2000:]
    data, text = _report(out, "p1_ablation")
    assert len(data["runs"]) == 5 * len(data["seeds"]) * len(data["folds"])
    assert set(data["gains"]) == {"LibriSpeech", "Common Voice"}
    assert set(data["gains"]["LibriSpeech"]) == {"the frame layer", "the AM-softmax term", "crops and time masks",
                                                 "the noise at a random SNR", "calibration", "the five-model ensemble"}
    assert all(0.5 < v <= 1 for v in data["rows"]["LibriSpeech"]["the recipe"])


def test_p1_microphones_reads_no_test_set(out, built, tmp_path):
    """Given a data folder with only trs.pkl and dev_cv.pkl, the experiment runs: no choice it makes can have read
    tes.pkl or tes_cv.pkl. A candidate is kept exactly when its dev_cv interval lies above zero and LibriSpeech
    validation is not resolved lower."""
    for name in ("trs.pkl", "dev_cv.pkl"):
        (tmp_path / name).symlink_to(built / name)
    result = run("p1_microphones", out, data=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    data, text = _report(out, "p1_microphones")
    assert len(data["runs"]) == len(data["variants"]) * len(data["seeds"]) * len(data["folds"])
    assert set(data["gains"]) == set(data["variants"]) - {"the recipe"} and set(data["refit_gain"]) == set(data["variants"])
    for name, g in data["gains"].items():
        keep = g["dev_cv accuracy"]["ci95"][0] > 0 and g["LibriSpeech validation accuracy"]["verdict"] != "hurts"
        assert (name in data["kept"]) == keep, name
    assert all(0.5 < v <= 1 for v in data["rows"]["the recipe"]["ls_acc"] + data["rows"]["the recipe"]["dev_acc"])


def test_p1_microphones_merges_the_kept_changes():
    """The second round trains the kept candidates together: their channel_augment settings merge, not replace."""
    sys.path.insert(0, str(ROOT / "experiments"))
    import p1_microphones
    assert p1_microphones.together(["random equaliser", "noise at a random SNR", "AM-softmax margin 0.1"]) == {
        "channel": {"eq_db": 6.0, "snr_db": (10.0, 40.0)}, "margin": 0.1}


def test_p2_experiments(out, built):
    result = run("p2_beta", out, data=built)
    assert result.returncode == 0, result.stderr[-2000:]
    data, _ = _report(out, "p2_beta")
    assert len(data["runs"]) == 6 and set(data["gains"]) == {"ks_chosen", "rho_chosen", "rho_best", "r2_all", "test_elbo"}
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


def test_paired_gain_pairs_by_seed_and_words_the_interval():
    """paired_gain(): with minus without per seed, its Student-t interval (here by hand), and the verdict the interval
    allows for a score where higher is better, lower is better, or neither."""
    without, with_it = [0.80, 0.85, 0.90], [0.82, 0.871, 0.919]                # gains 0.020, 0.021, 0.019
    half = 4.302653 * 0.001 / 3 ** 0.5
    g = hw4exp.paired_gain(without, with_it)
    assert g["gain"] == pytest.approx(0.02) and g["ci95"] == pytest.approx([0.02 - half, 0.02 + half], rel=1e-5)
    assert g["verdict"] == "helps" and hw4exp.paired_gain(without, with_it, better="lower")["verdict"] == "hurts"
    assert hw4exp.paired_gain(without, with_it, better=None)["verdict"] == "higher"
    assert hw4exp.paired_gain(with_it, without, better="lower")["verdict"] == "helps"
    assert hw4exp.paired_gain([0.8, 0.9, 0.85], [0.9, 0.8, 0.86])["verdict"] == "not resolved"


def test_the_judge_is_cached_under_its_code_and_data(tmp_path, monkeypatch, sources):
    """The key changes with the mode and with the digits held out; the cache holds a state dict that loads with
    weights_only=True."""
    nb = hw4exp.definitions(True, sources / "mnist", "p3")
    key = hw4exp.judge_key(nb, sources / "mnist")
    assert key == hw4exp.judge_key(nb, sources / "mnist") != hw4exp.judge_key({**nb, "FAST": False}, sources / "mnist")
    assert hw4exp.judge_key({**nb, "GAN_VALIDATION": 5_000}, sources / "mnist") != key
    monkeypatch.setenv("HW4_CACHE", str(tmp_path))
    net = hw4exp.judge(nb, sources / "mnist")
    [saved] = (tmp_path / "judges").glob("digitnet-*.pt")
    state = torch.load(saved, weights_only=True)
    assert all(torch.equal(state[k], v) for k, v in net.state_dict().items())
    monkeypatch.setattr(hw4exp.hw4lib, "mnist", lambda *a: pytest.fail("the cached judge was trained again"))
    again = hw4exp.judge(nb, sources / "mnist")                         # from the cache, not retrained
    assert all(torch.equal(again.state_dict()[k], v) for k, v in state.items())


def test_a_worker_that_cannot_start_stops_the_run(tmp_path):
    """A worker whose set-up fails (here: no MNIST) raises that error in the main process instead of hanging."""
    args = argparse.Namespace(fast=True, mnist=str(tmp_path / "no-mnist"), workers=1)
    with pytest.raises(hw4exp.hw4lib.hw4data.DataError, match="no-mnist"):
        with hw4exp.Runner(args, ["p1"], use_judge=False):
            pass
