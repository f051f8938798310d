"""p2_effects.py: the notebook's p2 cells on other effects (FAST mode, two effects)."""
import pickle
import re
import subprocess
import sys

import numpy as np

import p2_effects
from conftest import ROOT


def test_effects_keep_the_builders_format(sources, tmp_path):
    p2_effects.make_data("corner spot", sources / "mnist", tmp_path)
    truth = np.load(tmp_path / "poor_sevens_truth.npz")
    for name, n in (("tr7", 6265), ("te7", 1028)):
        with open(tmp_path / f"{name}.pkl", "rb") as f:
            images = pickle.load(f)
        assert images.shape == (n, 28, 28) and images.dtype == np.uint8
        assert truth[f"{name}_a"].shape == (n,)
        assert str(truth[f"{name}_sha256"]) == p2_effects.hw4data.sha256(tmp_path / f"{name}.pkl")


def test_effects_table_in_fast_mode(sources, tmp_path):
    out = tmp_path / "effects.md"
    subprocess.run([sys.executable, str(ROOT / "p2_effects.py"), "--fast", "--effects", "rotation",
                    "--out", str(out), "--sources", str(sources)], check=True, cwd=tmp_path, timeout=600)
    rows = [line for line in out.read_text().splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[0].startswith("| effect | acts on |") and len(rows) == 2
    number = r"\d\.\d{3} \(\d\.\d{3}\)"
    for row, name in zip(rows[1:], ("rotation",)):
        assert re.fullmatch(rf"\| {name} \| \w+ \| {number} \| {number} \| -?\d\.\d{{3}} \| \d of 2 \|", row), row


def test_unknown_effect_is_refused(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "p2_effects.py"), "--effects", "sparkle"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2 and "unknown effect" in r.stderr and "corner spot" in r.stderr
