"""Problem 2, on the notebook's own functions (setup + p2 cells run in FAST mode)."""
import re

import numpy as np
import pytest
import torch

from conftest import assert_same_weights, float64, notebook_cells, run_part


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
    loss4, r4, k4 = nb["vae_loss"](logits, mu, logvar, x, beta=4.0)     # the beta-VAE weighs only the KL
    assert loss4.item() == pytest.approx(rec + 4 * kl, rel=1e-5) and r4.item() == pytest.approx(rec, rel=1e-5)


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


class _Brightness(torch.nn.Module):
    """A stand-in 'VAE' whose code is (mean brightness of the outer 2 pixels, mean brightness inside)."""
    k = 2

    def encode(self, x):
        rim = torch.ones(28, 28, dtype=torch.bool)
        rim[2:-2, 2:-2] = False
        mu = torch.stack([x[:, rim].mean(1), x[:, ~rim].mean(1)], 1)
        return mu, torch.zeros_like(mu)


def test_selection_rule_picks_the_dimension_that_separates_poor_from_clean(nb):
    rng = np.random.default_rng(0)
    clean = torch.from_numpy(rng.random((300, 28, 28)).astype(np.float32) * 0.5)
    poor = torch.from_numpy(rng.random((300, 28, 28)).astype(np.float32) * 0.5)
    poor[:, :2] += torch.from_numpy(rng.random((300, 1, 1)).astype(np.float32))   # brighter top rows
    ks = nb["ks_per_dim"](_Brightness(), poor, clean)
    assert ks[0] > 0.9 and ks[1] < 0.2 and int(np.argmax(ks)) == 0
    same = nb["ks_per_dim"](_Brightness(), clean[:150], clean[150:])
    assert max(same) < 0.2


def test_where_it_acts_by_hand(nb):
    clean_mean = np.zeros((28, 28))
    clean_mean[10:18, 10:18] = 0.8                                    # the ink of a 'digit'
    change = np.zeros((28, 28))
    change[0, :] = 0.5                                                # top row brighter: margin, background
    change[12, 12] = -0.5                                             # one ink pixel darker
    w = nb["where_it_acts"](change, clean_mean)
    assert w["ink"] == pytest.approx(0.5 / 14.5) and w["background"] == pytest.approx(14 / 14.5)
    assert w["margin"] == pytest.approx(14 / 14.5) and w["net"] == pytest.approx(13.5 / 14.5)


def test_fast_run_outputs(nb, fast_params):
    m = nb["METRICS"]["p2"]
    assert m["K"] == nb["K"] < 5 and 0 <= m["effect_dim"] < m["K"]
    assert m["validated"] and len(m["spearman_per_dim"]) == m["K"]
    assert len(m["spearman_chosen_per_seed"]) == len(m["seeds"]) >= 2
    assert m["test_elbo"] < 0 and m["train_seconds"] > 0
    mu = np.load(f"{fast_params['RESULTS_DIR']}/p2_te7_mu.npy")
    assert mu.shape == (1028, nb["K"]) and mu.dtype == np.float32
    assert np.allclose(mu, nb["posterior_means"](nb["vae"], nb["te7"]), atol=1e-5)


def test_p2_cells_do_not_peek():
    """Only the validation cell may read the truth file; no p2 cell may name the stand-in's effect."""
    cells = notebook_cells("p2")
    readers = [c for c in cells if "poor_sevens_truth" in c]
    assert len(readers) == 1 and "spearmanr" in readers[0]
    for c in cells:
        assert not re.search(r"frame|border", c, re.I), c[:80]


def plain_vae_training(nb, X, seed, beta, epochs, batch):
    """The single-model loop of pytorch/examples/vae: one VAE, the global random stream."""
    nb["seed_everything"](seed)
    vae = nb["VAE"]()
    opt = torch.optim.Adam(vae.parameters(), lr=1e-3)
    for _ in range(epochs):
        for idx in torch.randperm(len(X)).split(batch):
            x = X[idx]
            loss, _, _ = nb["vae_loss"](*vae(x), x, beta)
            opt.zero_grad(); loss.backward(); opt.step()
    return vae


def test_vaes_trained_as_one_equal_vaes_trained_alone(nb):
    """The batched trainer (one stacked model, vmap) gives each VAE the weights that the plain loop gives it alone."""
    seeds, betas = [0, 1, 1], [1.0, 1.0, 4.0]
    with float64():
        X = torch.rand(200, 28, 28, generator=torch.Generator().manual_seed(0))
        together, curves = nb["train_vaes"](X, seeds, betas, epochs=2, batch=64)
        assert len(together) == len(curves) == 3 and all(len(c) == 2 for c in curves)
        for m, (seed, beta) in enumerate(zip(seeds, betas)):
            assert_same_weights(plain_vae_training(nb, X, seed, beta, epochs=2, batch=64), together[m])
        (single,), _ = nb["train_vaes"](X, [seeds[-1]], [betas[-1]], epochs=2, batch=64)     # one model: no vmap
        assert_same_weights(single, together[-1])
    w = [v.dec[-1].weight for v in together]
    assert not torch.allclose(w[0], w[1]) and not torch.allclose(w[1], w[2])   # seeds and betas both matter
