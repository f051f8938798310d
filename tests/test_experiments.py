"""experiments/: each script's FAST run writes its report and JSON; the follow-up scripts refuse to run without the
JSON they build on."""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, SOURCES


def run(name, out, *extra):
    return subprocess.run([sys.executable, str(ROOT / "experiments" / f"{name}.py"), "--fast", "--out", str(out),
                           "--mnist", str(SOURCES / "mnist"), *extra], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "TMPDIR": str(out)})


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
