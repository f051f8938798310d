"""hw4lib: the input checks against a grader's wrong files, the conversions, the classifier's training and
scoring, the Frechet distance and the cell extraction, each against a hand computation."""
import pickle

import numpy as np
import pytest
import torch

import hw4lib
from conftest import NOTEBOOK


def write_pickle(path, obj):
    with open(path, "wb") as f:
        pickle.dump(obj, f)
    return path


def test_a_missing_or_truncated_pickle_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"trs.pkl not found: build the stand-ins"):
        hw4lib.load_pickle(tmp_path / "trs.pkl")
    whole = write_pickle(tmp_path / "whole.pkl", np.zeros((20, 1000), np.float32)).read_bytes()
    (tmp_path / "trs.pkl").write_bytes(whole[:len(whole) // 2])
    with pytest.raises(ValueError, match=r"trs.pkl: not a readable pickle .* damaged or truncated"):
        hw4lib.load_pickle(tmp_path / "trs.pkl")


def test_speech_checks_answer_each_wrong_file(tmp_path):
    good = np.full((100, 5000), 0.1, np.float32)
    assert hw4lib.speech_file(write_pickle(tmp_path / "ok.pkl", good), min_speakers=10).shape == (100, 5000)
    cases = [
        (good[:20], r"x.pkl: 2 speakers, at least 10 needed"),
        ((good * 32767).astype(np.int16), r"x.pkl: expected float samples .* got dtype int16; integer PCM is refused"),
        (good[:15], r"x.pkl: 15 rows is not a positive multiple of 10"),
        (np.zeros((10, 10, 10), np.float32), r"x.pkl: expected a 2-D array .* got shape \(10, 10, 10\)"),
    ]
    for X, message in cases:
        with pytest.raises(ValueError, match=message):
            hw4lib.speech_file(write_pickle(tmp_path / "x.pkl", X), min_speakers=10)
    speech = np.random.default_rng(0).uniform(-0.5, 0.5, (300, 16_180)).astype(np.float32)
    more = [
        (speech.T, r"x.pkl: rows of 300 samples, at least 4000 expected .* looks transposed .* X.T"),
        (speech * 40, r"x.pkl: samples up to 20 in absolute value .* expected floats in \[-1, 1\]"),
        (np.where(np.arange(300)[:, None] % 7 == 3, 0, speech), r"x.pkl: 43 silent rows \(every sample 0\), e.g. rows \[3, 10"),
        ([speech[0], speech[1, :-1]], r"x.pkl: holds a list that is not one array"),
    ]
    for X, message in more:
        with pytest.raises(ValueError, match=message):
            hw4lib.speech_file(write_pickle(tmp_path / "x.pkl", X), min_speakers=10)
    # decoded MP3 overshoots full scale a little (dev_cv.pkl peaks at 1.1): accepted as it is, not rescaled
    assert np.array_equal(hw4lib.speech_file(write_pickle(tmp_path / "x.pkl", speech * 2.2), min_speakers=10), speech * 2.2)
    # a plain list of equal-length rows is the same matrix (accepted, documented in load_pickle)
    as_list = hw4lib.speech_file(write_pickle(tmp_path / "x.pkl", list(speech)), min_speakers=10)
    assert np.array_equal(as_list, speech)
    bad = speech.copy()
    bad[3, 5] = np.nan
    with pytest.raises(ValueError, match=r"1 NaN/inf samples in rows \[3\]"):
        hw4lib.check_speech(bad, "x.pkl", min_speakers=2)


def test_sevens_checks(tmp_path):
    u8 = np.full((2, 28, 28), 255, np.uint8)
    assert hw4lib.check_sevens(u8, "x").max() == 1.0
    assert hw4lib.check_sevens(u8.astype(np.float64), "x").max() == 1.0
    assert hw4lib.check_sevens(u8.astype(np.float32) / 255, "x").max() == 1.0
    loaded = hw4lib.sevens_file(write_pickle(tmp_path / "te7.pkl", u8))
    assert torch.is_tensor(loaded) and loaded.dtype == torch.float32 and loaded.max() == 1.0
    with pytest.raises(ValueError, match="x.pkl: expected an N x 28 x 28"):
        hw4lib.check_sevens(np.zeros((2, 28, 27)), "x.pkl")
    with pytest.raises(ValueError, match=r"pixel values span \[-1.0, 1.0\]"):
        hw4lib.check_sevens(np.linspace(-1, 1, 2 * 784).reshape(2, 28, 28), "x.pkl")
    with pytest.raises(ValueError, match="dtype int64"):
        hw4lib.check_sevens(np.zeros((2, 28, 28), np.int64), "x.pkl")


def test_conversions_by_hand():
    assert hw4lib.accuracy([0.9, 0.2, 0.6, 0.4], [1, 0, 0, 0]) == 0.75
    assert hw4lib.to_uint8(torch.tensor([0.0, 0.5, 1.0, 0.2])).tolist() == [0, 128, 255, 51]
    assert hw4lib.from_pm1(torch.tensor([-1.0, 0.0, 1.0])).tolist() == [0.0, 0.5, 1.0]
    x = np.arange(6.0)
    assert hw4lib.linear_r2(x[:, None], 3 * x + 1) == pytest.approx(1.0)
    assert hw4lib.linear_r2(x[:, None], np.array([1.0, -1, 1, -1, 1, -1])) < 0.2


def test_frechet_matches_the_direct_formula():
    from scipy import linalg
    rng = np.random.default_rng(0)
    f1 = torch.from_numpy(rng.normal(size=(500, 6)))
    f2 = torch.from_numpy(rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6)) + 0.5)
    a, b = f1.numpy(), f2.numpy()
    c1, c2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    direct = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(c1 + c2 - 2 * linalg.sqrtm(c1 @ c2).real)
    assert hw4lib.frechet(f1, f2) == pytest.approx(direct, rel=1e-6)
    assert hw4lib.frechet(f1, f1) == pytest.approx(0, abs=1e-6)
    few = torch.from_numpy(rng.normal(size=(4, 6)))          # rank-deficient covariances: still finite
    assert np.isfinite(hw4lib.frechet(few, few + 1))


def test_specks_counted_by_hand():
    img = np.zeros((3, 28, 28), dtype=np.float32)
    img[0, 5:20, 10:13] = 1.0                     # a stroke: 45 pixels, not a speck
    img[0, 2, 2] = 0.9                            # a lone bright pixel: a speck
    img[0, 25, 25:27], img[0, 26, 26] = 0.6, 0.4  # 3 pixels touching diagonally, one above 0.5: a speck
    img[0, 2, 25] = 0.4                           # faint (no pixel above 0.5): not a speck
    img[1, 10:12, 10:12] = 0.8                    # 4 pixels: too big for a speck
    img[1, 0, 0], img[1, 1, 1] = 0.7, 0.7         # diagonal neighbours are one group (8-connectivity): one speck
    assert hw4lib.specks(img).tolist() == [2, 1, 0]
    assert hw4lib.specks(torch.from_numpy(img), max_size=4).tolist() == [2, 2, 0]
    with pytest.raises(ValueError, match=r"in \[0, 1\].*from_pm1"):
        hw4lib.specks(img * 2 - 1)


def tiny_digits(n=300):
    """Two separable 'classes': bright top half or bright bottom half."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 28, 28, generator=g) * 0.2
    y = torch.arange(n) % 2
    x[y == 0, :14] += 0.8
    x[y == 1, 14:] += 0.8
    return x.clamp(0, 1), y


def test_classifier_learns_repeats_and_leaves_the_callers_random_state_alone():
    x, y = tiny_digits()
    torch.manual_seed(123)
    net = hw4lib.train_digit_classifier(x, y, epochs=2, seed=0, device=torch.device("cpu"))
    after = torch.rand(3)
    torch.manual_seed(123)
    assert torch.equal(after, torch.rand(3)), "training the judge moved the caller's random stream"
    assert (hw4lib.classify(net, x) == y).float().mean() > 0.95
    assert hw4lib.classify(net, x[:7], features=True).shape == (7, 128)
    assert hw4lib.classified_as(net, x, y) == (hw4lib.classify(net, x) == y).float().mean().item()
    assert hw4lib.classified_as(net, x[:4], torch.tensor([1, 0, 1, 0])) == 0.0     # every label flipped
    labels, features = hw4lib.labels_and_features(net, x[:9])
    assert torch.equal(labels, hw4lib.classify(net, x[:9])) and torch.equal(features, hw4lib.classify(net, x[:9], features=True))
    again = hw4lib.train_digit_classifier(x, y, epochs=2, seed=0, device=torch.device("cpu"))
    for name, w in net.state_dict().items():
        assert torch.equal(w, again.state_dict()[name]), f"{name}: the same seed gave other weights"


def test_notebook_cells_by_tag():
    params = hw4lib.notebook_cells(NOTEBOOK, "parameters")
    assert len(params) == 1 and "FAST = False" in params[0]
    p1 = hw4lib.notebook_cells(NOTEBOOK, "p1")
    assert p1 and not set(p1) & set(hw4lib.notebook_cells(NOTEBOOK, "p2"))


def _notebook(tmp_path, cells):
    import json
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {"tags": tags}, "source": [src]}
                                          for tags, src in cells]}))
    return path


def test_notebook_definitions_find_the_parameters_by_tag_and_run_only_defs(tmp_path):
    path = _notebook(tmp_path, [(["setup", "defs"], "A = X * 2"), (["parameters"], "X = 1"), (["p1", "defs"], "B = A + 1"),
                                (["p1"], "raise SystemExit('a cell that is not a definition ran')"),
                                (["p2", "defs"], "C = 0")])
    ns = hw4lib.notebook_definitions(path, "p1", X=5)
    assert ns["X"] == 5 and ns["A"] == 10 and ns["B"] == 11 and "C" not in ns
    bad = _notebook(tmp_path, [(["parameters"], "X = 1"), (["parameters"], "Y = 2")])
    with pytest.raises(ValueError, match="2 cells tagged 'parameters'"):
        hw4lib.notebook_definitions(bad)


def test_the_notebooks_definitions_make_no_results_folder(tmp_path):
    hw4lib.notebook_definitions(NOTEBOOK, "p1", "p2", "p3", "p4", RESULTS_DIR=str(tmp_path / "results"))
    assert not (tmp_path / "results").exists()


def test_timed_adds_up(monkeypatch):
    clock = iter([10.0, 10.25, 20.0, 20.5])                 # two blocks of 0.25 s and 0.5 s on a fake clock
    monkeypatch.setattr(hw4lib.time, "time", lambda: next(clock))
    store = {}
    for _ in range(2):
        with hw4lib.timed(store, "work"):
            pass
    assert store["work"] == 0.75


def test_mnist_as_tensors(sources):
    x, y = hw4lib.mnist(sources / "mnist", "test")
    assert x.shape == (10000, 28, 28) and x.dtype == torch.float32 and 0 == x.min() and x.max() == 1
    xp = hw4lib.to_pm1(x)
    assert xp.min() == -1 and xp.max() == 1 and torch.allclose(hw4lib.from_pm1(xp), x, atol=1e-6) and y.dtype == torch.int64


def test_show_grid_lays_out_rows():
    import matplotlib.pyplot as plt
    images = np.zeros((6, 28, 28))
    images[4] = 1.0                                          # the second image of the second row
    ax = hw4lib.show_grid(images, 2, row_labels=["a", "b"], title="t")
    canvas = ax.images[0].get_array()
    assert canvas.shape == (2 * 29 - 1, 3 * 29 - 1) and canvas[29:, 29:57].min() == 1 and canvas[:28, :].max() == 0
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"] and ax.get_title() == "t"
    plt.close("all")


def test_intervals_against_scipy_and_by_hand():
    from scipy import stats
    x = np.array([0.90, 0.92, 0.91, 0.95])
    mean, (lo, hi) = hw4lib.t_interval(x)
    assert mean == pytest.approx(0.92)
    assert (lo, hi) == pytest.approx(stats.t.interval(0.95, 3, loc=x.mean(), scale=stats.sem(x)))
    gain, ci = hw4lib.paired_t_interval([0.80, 0.85, 0.90], [0.82, 0.88, 0.91])      # gains 0.02, 0.03, 0.01
    assert gain == pytest.approx(0.02) and ci == pytest.approx([0.02 - 4.302653 * 0.01 / 3 ** 0.5,
                                                                0.02 + 4.302653 * 0.01 / 3 ** 0.5], rel=1e-5)
    with pytest.raises(ValueError, match="needs 2 or more values"):
        hw4lib.t_interval([0.9])
    p, ci = hw4lib.wilson_interval(70, 100)                 # by hand: (p + z^2/2n -/+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)
    assert p == 0.7 and ci == pytest.approx([0.604151, 0.781051], abs=1e-5)
    assert hw4lib.wilson_interval(0, 50)[1][0] == 0.0
    assert hw4lib.excludes([0.01, 0.03]) and hw4lib.excludes([-0.3, -0.1]) and not hw4lib.excludes([-0.01, 0.02])
    assert hw4lib.excludes([0.2, 0.3], 0.1) and not hw4lib.excludes([0.05, 0.3], 0.1)


def test_ci_text_and_markdown_table_by_hand():
    assert hw4lib.ci_text(0.9, [0.85, 0.951]) == "0.900 [0.850, 0.951]"
    assert hw4lib.ci_text(0.02, [-0.01, 0.05], "+.2f") == "+0.02 [-0.01, +0.05]"
    assert hw4lib.markdown_table(["a", "b"], [[1, "x"], [2, "y"]]) == "| a | b |\n|---|---|\n| 1 | x |\n| 2 | y |"


def test_verdict_follows_the_interval():
    assert hw4lib.verdict([0.01, 0.02]) == "helps" and hw4lib.verdict([-0.2, -0.1]) == "hurts"
    assert hw4lib.verdict([-0.01, 0.02]) == "not resolved"
