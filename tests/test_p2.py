"""Problem 2: the notebook's definitions (no training), the no-peeking rule, and the FAST run's outputs."""
import re

import numpy as np
import pytest
import torch

from conftest import NOTEBOOK, definitions
import hw4lib


@pytest.fixture(scope="module")
def nb():
    return definitions("p2")


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
    loss4, r4, _ = nb["vae_loss"](logits, mu, logvar, x, beta=4.0)     # the beta-VAE weighs only the KL
    assert loss4.item() == pytest.approx(rec + 4 * kl, rel=1e-5) and r4.item() == pytest.approx(rec, rel=1e-5)


def test_vae_shapes_and_reparameterisation(nb):
    vae = nb["VAE"]()
    logits, mu, logvar = vae(torch.rand(5, 28, 28))
    assert logits.shape == (5, 28, 28) and mu.shape == logvar.shape == (5, nb["K"]) and nb["K"] < 5
    torch.manual_seed(0)
    a = vae(torch.rand(1, 28, 28).repeat(2, 1, 1))[0]
    assert not torch.allclose(a[0], a[1]), "z must be sampled: two passes of one image differ"


def test_training_lowers_the_loss_and_repeats_with_its_seed(nb):
    X = torch.rand(256, 28, 28, generator=torch.Generator().manual_seed(0)).round()
    vae_a, curve_a = nb["train_vae"](X, seed=1, beta=4.0, epochs=3, batch=64)
    vae_b, curve_b = nb["train_vae"](X, seed=1, beta=4.0, epochs=3, batch=64)
    assert curve_a[-1] < curve_a[0] and curve_a == curve_b
    assert not vae_a.training


def test_heldout_elbo_leaves_the_callers_random_state_alone(nb):
    vae, X = nb["VAE"](), torch.rand(8, 28, 28)
    torch.manual_seed(5)
    elbo, rec, kl = nb["heldout_elbo"](vae, X, seed=0)
    after = torch.rand(2)
    torch.manual_seed(5)
    assert torch.equal(after, torch.rand(2)) and elbo == pytest.approx(-(rec + kl))


def test_traversal_codes_follow_the_assignment(nb):
    K, steps = nb["K"], nb["STEPS"]
    assert steps[0] == -5 and steps[-1] == 5 and len(steps) == 21
    for k in range(K):
        Z = nb["traversal_codes"](k, 3, np.random.default_rng(0)).numpy().reshape(3, 21, K)
        assert np.allclose(Z[:, :, k], steps[None].repeat(3, 0))
        others = np.delete(Z, k, axis=2)
        assert np.allclose(others, others[:, :1])       # shared along each row
        assert not np.allclose(others[0, 0], others[1, 0])   # a new draw per row


def test_image_measures_by_hand(nb):
    x = torch.zeros(3, 28, 28)
    x[0, 8:20, 13:15] = 1.0                                   # an upright bar, 2 pixels wide
    x[1, 8:20, 10:18] = 1.0                                   # a wider block
    for r in range(8, 20):                                    # a bar leaning right: one column per row upwards
        x[2, r, 20 - (r - 8) // 2] = 1.0
    x[2, 0, :] = 1.0                                          # and a bright top row, in the margin
    m = nb["image_measures"](x)
    assert m["width"][1] > 2 * m["width"][0] and m["slant"][0] == pytest.approx(0, abs=1e-9)
    assert m["slant"][2] < -0.3                              # the column falls as the row rises
    assert m["margin brightness"][2] == pytest.approx(28 / (28 * 28 - 20 * 20)) and m["margin brightness"][0] == 0
    assert m["ink"][1] == pytest.approx(12 * 8 / 400)


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
    assert max(nb["ks_per_dim"](_Brightness(), clean[:150], clean[150:])) < 0.2


def test_where_it_acts_by_hand(nb):
    clean_mean = np.zeros((28, 28))
    clean_mean[10:18, 10:18] = 0.8                                    # the ink of a 'digit'
    change = np.zeros((28, 28))
    change[0, :] = 0.5                                                # top row brighter: margin, background
    change[12, 12] = -0.5                                             # one ink pixel darker
    w = nb["where_it_acts"](change, clean_mean)
    assert w["ink"] == pytest.approx(0.5 / 14.5) and w["background"] == pytest.approx(14 / 14.5)
    assert w["margin"] == pytest.approx(14 / 14.5) and w["net"] == pytest.approx(13.5 / 14.5)


def test_p2_cells_do_not_peek():
    """Only the validation cell may read the truth file; no p2 cell may name the stand-in's effect."""
    cells = hw4lib.notebook_cells(NOTEBOOK, "p2")
    readers = [c for c in cells if "poor_sevens_truth" in c]
    assert len(readers) == 1 and "spearmanr" in readers[0]
    for c in cells:
        assert not re.search(r"frame|border", c, re.I), c[:80]


def test_fast_run_outputs(fast_run):
    m = fast_run["metrics"]["p2"]
    assert m["K"] < 5 and 0 <= m["effect_dim"] < m["K"] and m["effect_dim_per_seed"][0] == m["effect_dim"]
    assert m["validated"] and len(m["spearman_per_dim"]) == m["K"]
    assert len(m["dimension_names"]) == len(m["control_dimension_names"]) == m["K"]
    assert len(m["spearman_chosen_per_seed"]) == len(m["seeds"]) == 2
    mu = np.load(fast_run["results"] / "p2_te7_mu.npy")
    assert mu.shape == (1028, m["K"]) and mu.dtype == np.float32
