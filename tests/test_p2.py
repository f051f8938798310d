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


class _Codes(torch.nn.Module):
    """A stand-in decoder whose image logits hold the code in the first row: traversal's output reveals its codes."""
    k = 4

    def decode(self, z):
        out = torch.zeros(len(z), 28, 28)
        out[:, 0, :self.k] = z
        return out


def test_traversal_follows_the_assignment(nb):
    K, steps = nb["K"], nb["STEPS"]
    assert steps[0] == -5 and steps[-1] == 5 and len(steps) == 21 and K == _Codes.k
    for k in range(K):
        Z = torch.logit(nb["traversal"](_Codes(), k, 3, seed=0)[:, 0, :K], eps=1e-7).numpy().reshape(3, 21, K)
        assert np.allclose(Z[:, :, k], steps[None].repeat(3, 0), atol=1e-3)
        others = np.delete(Z, k, axis=2)
        assert np.allclose(others, others[:, :1])       # shared along each row
        assert not np.allclose(others[0, 0], others[1, 0])   # a new draw per row


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


def test_abs_spearman_by_hand(nb):
    """_Brightness's first dimension ranks the images as a does, its second in reverse; |rho| is 1 for both."""
    x = torch.zeros(5, 28, 28)
    a = np.array([0.1, 0.5, 0.2, 0.9, 0.7])
    x[:, 0, :] = torch.from_numpy(a).float()[:, None]               # the margin as bright as a
    x[:, 10, 10] = -torch.from_numpy(a).float()                     # the inside darker as a grows
    assert nb["abs_spearman"](_Brightness(), x, a) == pytest.approx([1.0, 1.0])
    assert nb["abs_spearman"](_Brightness(), x, a[::-1].copy())[0] < 1


def test_p2_cells_do_not_peek():
    """One cell reads the truth file, after every cell that picks the dimension; no p2 cell names the stand-in's
    effect."""
    cells = hw4lib.notebook_cells(NOTEBOOK, "p2")
    readers = [i for i, c in enumerate(cells) if "poor_sevens_truth" in c]
    pickers = [i for i, c in enumerate(cells) if "ks_per_dim(" in c]
    assert len(readers) == 1 and max(pickers) < readers[0]
    for c in cells:
        assert not re.search(r"frame|border", c, re.I), c[:80]


def test_fast_run_outputs(fast_run):
    m = fast_run["metrics"]
    assert m["p2_K"] < 5
    assert m["p2_validated"] and len(m["p2_effect_dims"]) == m["p2_seeds"] == 2
    assert m["p2_ks_chosen"] > 0.5 > m["p2_control_ks_max"]     # FAST (2 epochs): the effect is plain, the control has none
    assert m["p2_rho_chosen_min"] > 0.5
    mu = np.load(fast_run["results"] / "p2_te7_mu.npy")
    assert mu.shape == (1028, m["p2_K"]) and mu.dtype == np.float32
