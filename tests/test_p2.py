"""Problem 2, on the notebook's own functions (setup + p2 cells run in FAST mode)."""
import numpy as np
import pytest
import torch

from conftest import run_part


@pytest.fixture(scope="module")
def nb(fast_params):
    return run_part("p2", fast_params)


def test_vae_loss_matches_hand_computation(nb):
    logits = torch.tensor([[[0.0, 2.0]]])            # 1 image of 1 x 2 pixels
    x = torch.tensor([[[1.0, 0.25]]])
    mu, logvar = torch.tensor([[0.5, -1.0]]), torch.tensor([[0.0, np.log(4.0)]])
    p = 1 / (1 + np.exp(-np.array([0.0, 2.0])))
    rec = -(np.log(p[0]) + 0.25 * np.log(p[1]) + 0.75 * np.log(1 - p[1]))
    kl = 0.5 * ((0.25 + 1 - 0 - 1) + (1 + 4 - np.log(4) - 1))
    loss, r, k = nb["vae_loss"](logits, mu, logvar, x)
    assert r.item() == pytest.approx(rec, rel=1e-5) and k.item() == pytest.approx(kl, rel=1e-5)
    assert loss.item() == pytest.approx(rec + kl, rel=1e-5)


def test_vae_shapes_and_reparameterisation(nb):
    vae = nb["VAE"]()
    logits, mu, logvar = vae(torch.rand(5, 28, 28))
    assert logits.shape == (5, 28, 28) and mu.shape == logvar.shape == (5, nb["K"])
    assert nb["K"] < 5
    torch.manual_seed(0)
    a = vae(torch.rand(1, 28, 28).repeat(2, 1, 1))[0]
    assert not torch.allclose(a[0], a[1]), "z must be sampled: two passes of one image differ"


def test_traversal_codes_follow_the_assignment(nb):
    K, steps = nb["K"], nb["STEPS"]
    assert steps[0] == -5 and steps[-1] == 5 and len(steps) == 21
    for k in range(K):
        Z = nb["traversal_codes"](k, 3, np.random.default_rng(0)).numpy().reshape(3, 21, K)
        assert np.allclose(Z[:, :, k], steps[None].repeat(3, 0))
        others = np.delete(Z, k, axis=2)
        assert np.allclose(others, others[:, :1])       # shared along each row
        assert not np.allclose(others[0, 0], others[1, 0])   # a new draw per row


def test_check_sevens(nb):
    check = nb["check_sevens"]
    u8 = np.full((2, 28, 28), 255, np.uint8)
    assert check(u8, "x").max() == 1.0
    assert check(u8.astype(np.float64), "x").max() == 1.0
    assert check(u8.astype(np.float32) / 255, "x").max() == 1.0
    with pytest.raises(ValueError, match="x.pkl: expected an N x 28 x 28"):
        check(np.zeros((2, 28, 27)), "x.pkl")
    with pytest.raises(ValueError, match=r"pixel values span \[-1.0, 1.0\]"):
        check(np.linspace(-1, 1, 2 * 784).reshape(2, 28, 28), "x.pkl")
    with pytest.raises(ValueError, match="dtype int64"):
        check(np.zeros((2, 28, 28), np.int64), "x.pkl")


def test_fast_run_outputs(nb, fast_params):
    m = nb["METRICS"]["p2"]
    assert m["K"] == nb["K"] and 0 <= m["effect_dim"] < m["K"]
    assert m["spearman_per_dim"] is not None and len(m["spearman_per_dim"]) == m["K"]
    mu = np.load(f"{fast_params['RESULTS_DIR']}/p2_te7_mu.npy")
    assert mu.shape == (1028, nb["K"]) and mu.dtype == np.float32
    assert nb["METRICS"]["seconds"]["p2"] < 60
