"""Problem 3, on the notebook's own functions (setup + p3 cells in FAST mode)."""
import numpy as np
import pytest
import torch

from conftest import run_part


@pytest.fixture(scope="module")
def p3(fast_params):
    return run_part("p3", fast_params)


def test_assignment_layer_sizes(p3):
    G, D = p3["Generator"](), p3["Discriminator"]()
    sizes = lambda m: [(l.in_features, l.out_features) for l in m.modules() if isinstance(l, torch.nn.Linear)]
    assert sizes(G) == [(110, 200), (200, 400), (400, 784)]
    assert sizes(D) == [(794, 400), (400, 200), (200, 100), (100, 1)]
    assert isinstance(list(G.net)[-1], torch.nn.Tanh)
    out = G(torch.randn(4, 100), p3["one_hot"](torch.tensor([0, 3, 7, 9])))
    assert out.shape == (4, 28, 28) and out.abs().max() <= 1


def test_one_hot_and_balanced_labels(p3):
    oh = p3["one_hot"](torch.tensor([7]))
    assert oh.shape == (1, 10) and oh[0].argmax().item() == 7 and (oh[0] > 0).sum() == 1
    labels = p3["balanced_labels"](100)
    assert torch.bincount(labels).tolist() == [10] * 10
    with pytest.raises(ValueError, match="105 is not a multiple of 10"):
        p3["balanced_labels"](105)


def test_bce_matches_hand_computation(p3):
    logits = torch.tensor([0.3, -2.0])
    hand = -np.mean(np.log(1 / (1 + np.exp(-np.array([0.3, -2.0])))))
    assert p3["bce"](logits, 1.0).item() == pytest.approx(hand, rel=1e-6)


def test_p3_outputs(p3, fast_params):
    m = p3["METRICS"]["p3"]
    assert len(m["per_class_accuracy"]) == 10 and 0 <= m["conditioning_accuracy"] <= 1
    assert m["frechet"] >= 0 and m["frechet_real_floor"] >= 0
    f = np.load(f"{fast_params['RESULTS_DIR']}/p3_samples.npz")
    assert f["images"].shape == (1000, 28, 28) and f["images"].dtype == np.uint8
    assert np.bincount(f["labels"]).tolist() == [100] * 10
    assert m["train_seconds"] > 0 and 0 <= m["final_d_real_acc"] <= 1 and 0 <= m["final_d_fake_acc"] <= 1


def test_digit_classifier_leaves_the_callers_random_state_alone(p3):
    """Training the judge on first use must not reseed the training loop that first asks for it."""
    p3["_CLASSIFIER"].clear()
    torch.manual_seed(123); np.random.seed(123)
    p3["digit_classifier"]()
    after = torch.rand(3), np.random.rand(3)
    torch.manual_seed(123); np.random.seed(123)
    expected = torch.rand(3), np.random.rand(3)
    assert torch.equal(after[0], expected[0]) and np.array_equal(after[1], expected[1])
    assert "net" in p3["_CLASSIFIER"]


def test_frechet_matches_the_direct_formula(p3):
    from scipy import linalg
    rng = np.random.default_rng(0)
    f1 = torch.from_numpy(rng.normal(size=(500, 6)))
    f2 = torch.from_numpy(rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6)) + 0.5)
    a, b = f1.numpy(), f2.numpy()
    c1, c2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    direct = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(c1 + c2 - 2 * linalg.sqrtm(c1 @ c2).real)
    assert p3["frechet"](f1, f2) == pytest.approx(direct, rel=1e-6)
    assert p3["frechet"](f1, f1) == pytest.approx(0, abs=1e-6)
    # rank-deficient covariances (fewer samples than features) still give a finite number, without warnings
    few = torch.from_numpy(rng.normal(size=(4, 6)))
    assert np.isfinite(p3["frechet"](few, few + 1))
