"""Problem 4, on the notebook's own functions (setup + p4 cells in FAST mode)."""
import numpy as np
import pytest
import torch

from conftest import assert_same_weights, float64, run_part


@pytest.fixture(scope="module")
def p4(fast_params):
    return run_part("p4", fast_params)


def test_centre_patch(p4):
    x = torch.arange(2 * 28 * 28, dtype=torch.float32).reshape(2, 28, 28)
    c = p4["centre"](x)
    assert c.shape == (2, 100) and torch.equal(c[1], x[1, 9:19, 9:19].reshape(100))
    G = p4["Generator"](cond=100, hidden=p4["P4_KEPT"]["hidden"])
    assert G.net[0].in_features == 200
    assert G(torch.randn(3, 100), c[:1].repeat(3, 1)).shape == (3, 28, 28)


def test_mode_seeking_loss_matches_hand_computation(p4):
    f1 = torch.tensor([[[0.0, 1.0]], [[0.5, -0.5]]])          # two 1 x 2 'images'
    f2 = torch.tensor([[[1.0, 1.0]], [[0.5, 0.5]]])
    z1, z2 = torch.tensor([[0.0, 0.0, 0.0]]), torch.tensor([[1.0, -2.0, 3.0]])
    image_gap = (1 + 0 + 0 + 1) / 4                            # mean |f1 - f2|
    noise_gap = (1 + 2 + 3) / 3                                # mean |z1 - z2|
    expected = 1 / (image_gap / noise_gap + 1e-5)
    assert p4["mode_seeking_loss"](f1, f2, z1, z2).item() == pytest.approx(expected, rel=1e-6)
    # identical images for different noise: the largest penalty, 1 / eps
    assert p4["mode_seeking_loss"](f1, f1, z1, z2).item() == pytest.approx(1e5, rel=1e-6)


def test_imputation_metrics_by_hand(p4):
    class Copy(torch.nn.Module):                              # 'draws' the true image whatever its noise
        def __init__(self, x):
            super().__init__()
            self.x = x

        def forward(self, z, patch):
            return self.x[:len(z)]
    x = p4["X_test4"][:50]
    _, draws, _, m = p4["imputation_metrics"](Copy(x), x, p4["y_test4"][:50], n_draws=3)
    assert m["center_mse"] == pytest.approx(0, abs=1e-10) and m["outside_mse"] == pytest.approx(0, abs=1e-10)
    assert m["diversity"] == pytest.approx(0, abs=1e-7) and draws.shape == (3, 50, 28, 28)
    assert m["label_consistency"] > 0.9                        # the judge on real test digits


def test_p4_outputs(p4, fast_params):
    m = p4["METRICS"]["p4"]
    keys = {"center_mse", "outside_mse", "label_consistency", "label_consistency_draws", "diversity"}
    for lam in m["lambdas"]:
        assert set(m[f"{lam:g}"]) == keys
    assert set(m["diverse"]) >= {"weight", "label_consistency_draws", "diversity"} and m["train_seconds"] > 0
    f = np.load(f"{fast_params['RESULTS_DIR']}/p4_completions.npz")
    assert f["gen_0"].shape == (1000, 28, 28) and f["gen_0"].dtype == np.uint8
    assert f["gen_10_draws"].shape == (10, 1000, 28, 28) and f["gen_10_draws"].dtype == np.uint8
    assert f["test_index"].tolist() == list(range(1000))


@pytest.mark.parametrize("kw", [{}, {"matching_aware": True, "hidden": (32, 64)},
                                {"matching_aware": True, "hidden": (32, 64), "ms_weights": [0.05, 0.5]}],
                         ids=["assignment D", "matching-aware D", "mode-seeking"])
def test_imputers_trained_as_one_equal_imputers_trained_alone(p4, kw):
    """The batched trainer (one stacked model, vmap, shared dropout masks) gives each imputer the weights and
    judge's curve it gets alone."""
    kw, lams = dict(kw), [0.0, 10.0]
    ms = kw.pop("ms_weights", None)
    with float64():
        X = torch.rand(64, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
        run = dict(epochs=2, steps=None, batch=16, seed=3, judge=lambda g: g.net[-2].weight.sum().item(), **kw)
        Gs, Ds, curves = p4["train_imputers"](X, lams, ms_weights=ms, **run)
        for m, lam in enumerate(lams):
            (G,), (D,), (curve,) = p4["train_imputers"](X, [lam], ms_weights=ms and [ms[m]], **run)
            assert len(curve) == 2 and curve == pytest.approx(curves[m], rel=1e-10)
            assert_same_weights(G, Gs[m])
            assert_same_weights(D, Ds[m])
    assert not torch.allclose(Gs[0].net[-2].weight, Gs[1].net[-2].weight)     # lambda matters
