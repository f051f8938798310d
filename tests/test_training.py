"""The functions that decide how a model trains, each against a hand computation or a property that a plausible
mistake breaks: fit_gan's epoch means, weight average and early stop; the stopping rule; train_siamese's restore of
its best epoch; the VAE's reparameterisation; the D updates of both GANs; random crops."""
import numpy as np
import pytest
import torch

import hw4lib
from conftest import definitions


@pytest.fixture(scope="module")
def gan():
    return definitions("p3", "p4")


# ----------------------------------------------------------------------------- fit_gan
class _Counter(torch.nn.Module):
    """A 'generator' with one weight, which the step below sets to the number of steps taken so far."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))


def _counting_step(values):
    """A step that sets G's weight to 1, 2, 3, ... and returns the next of `values` as "v"."""
    calls = iter(values)

    def step(G, D, opt_g, opt_d, x, y):
        with torch.no_grad():
            G.w += 1
        return {"v": torch.tensor(next(calls))}
    return step


def test_fit_gan_records_the_mean_of_each_epochs_steps(gan):
    """5 minibatches per epoch (500 images, B = 100): the record is the mean of the epoch's 5 values, not their sum."""
    values = [1.0, 2.0, 3.0, 4.0, 10.0, 0.0, 0.0, 0.0, 0.0, 5.0]
    run = gan["fit_gan"](_Counter(), _Counter(), torch.zeros(500, 28, 28), None, _counting_step(values), 2,
                         lambda G, G_ema, D: {}, lr=0.0)
    assert [h["v"] for h in run.history] == pytest.approx([4.0, 1.0])
    assert [h["epoch"] for h in run.history] == [1, 2]


def test_fit_gan_moves_the_weight_average_towards_g_step_by_step(gan):
    """After each step t (0, 1, 2) the average moves (1 - d_t) of the way to G's weight (1, 2, 3), d_t = (1 + t) / (10 + t)."""
    run = gan["fit_gan"](_Counter(), _Counter(), torch.zeros(300, 28, 28), None, _counting_step([0.0] * 3), 1,
                         lambda G, G_ema, D: {}, lr=0.0)
    ema = 0.0
    for t, w in enumerate([1.0, 2.0, 3.0]):
        d = (1 + t) / (10 + t)
        ema = d * ema + (1 - d) * w
    assert run.G_ema.w.item() == pytest.approx(ema, rel=1e-6) and run.G.w.item() == 3.0


def test_fit_gan_stops_after_the_epoch_where_until_holds(gan):
    seen = []
    run = gan["fit_gan"](_Counter(), _Counter(), torch.zeros(100, 28, 28), None, _counting_step([0.0] * 10), 10,
                         lambda G, G_ema, D: seen.append(1) or {"scored": len(seen)}, lr=0.0,
                         until=lambda history: history[-1]["scored"] == 3)
    assert len(run.history) == 3 and run.G.w.item() == 3.0 and run.history[-1]["scored"] == 3


# ----------------------------------------------------------------------------- the stopping rule
def test_stopped_improving_reads_the_gain_of_5_epoch_means_over_10_epochs():
    rising = list(np.linspace(0.5, 0.9, 20))                         # +0.021 per epoch: still improving
    assert not hw4lib.stopped_improving(rising)
    assert hw4lib.stopped_improving([0.9] * 15)                      # flat
    assert not hw4lib.stopped_improving([0.9] * 14)                  # too short to tell
    assert hw4lib.stopped_improving([0.9] * 5 + list(np.linspace(0.9, 0.8, 10)))      # falling
    slow = [0.9 + 0.0006 * k for k in range(15)]                     # 5-epoch means 0.006 apart: improving
    assert not hw4lib.stopped_improving(slow)
    assert hw4lib.stopped_improving([0.9 + 0.0004 * k for k in range(15)])            # 0.004 apart: stopped
    noisy = [0.9, 0.95] * 10                                         # one high epoch is not a gain
    assert hw4lib.stopped_improving(noisy[:15]) and hw4lib.stopped_improving(noisy[1:16])


# ----------------------------------------------------------------------------- the two GANs' D updates
class _Linear(torch.nn.Module):
    """A 'discriminator' without dropout: logit = w . x (+ v . c)."""

    def __init__(self, cond):
        super().__init__()
        torch.manual_seed(3)
        self.w = torch.nn.Parameter(0.01 * torch.randn(784))
        self.v = torch.nn.Parameter(0.1 * torch.randn(cond)) if cond else None

    def forward(self, x, c=None):
        return x.reshape(len(x), -1) @ self.w + (0 if c is None else c @ self.v)


def _frozen(net):
    return torch.optim.SGD(net.parameters(), lr=0.0)


@pytest.mark.parametrize("matching_aware", [False, True])
def test_imputer_step_updates_d_towards_real_1_and_fake_0(gan, matching_aware):
    """D's loss by hand from the step's own fakes: real images -> 1, fakes -> 0 (matching-aware: real images with
    another image's patch -> 0 as well, the two fakes weighted 1/2), and one SGD step on it."""
    softplus = torch.nn.functional.softplus
    torch.manual_seed(0)
    x = torch.rand(6, 28, 28) * 2 - 1
    G, D = gan["Generator"](cond=100, hidden=(16, 16)), _Linear(100 if matching_aware else 0)
    torch.manual_seed(1)
    fake = G(torch.randn(6, 100), gan["centre"](x)).detach()
    patch = gan["centre"](x)
    if matching_aware:
        loss = (softplus(-D(x, patch)).mean()
                + 0.5 * (softplus(D(fake, patch)).mean() + softplus(D(x, patch.roll(1, 0))).mean()))
    else:
        loss = softplus(-D(x)).mean() + softplus(D(fake)).mean()
    expected = [p - 0.1 * g for p, g in zip(D.parameters(), torch.autograd.grad(loss, list(D.parameters())))]
    torch.manual_seed(1)
    out = gan["imputer_step"](G, D, _frozen(G), torch.optim.SGD(D.parameters(), lr=0.1), x, None, lam=1.0,
                              matching_aware=matching_aware)
    assert out["loss_d"].item() == pytest.approx(loss.item(), rel=1e-5)
    assert all(torch.allclose(p, e, atol=1e-7) for p, e in zip(D.parameters(), expected))


def test_cgan_step_scales_the_one_hot_and_rejects_wrong_labels(gan):
    """label_scale 5 and a matching-aware D: D's loss by hand with one-hots times 5 and the step's wrong labels."""
    softplus = torch.nn.functional.softplus
    torch.manual_seed(0)
    G, D = gan["Generator"](hidden=(16, 16)), _Linear(10)
    x, y, y_fake = torch.rand(10, 28, 28) * 2 - 1, torch.arange(10), gan["balanced_labels"](10)
    oh = lambda labels: gan["one_hot"](labels, 5.0)
    torch.manual_seed(1)
    wrong = (y + torch.randint(1, 10, y.shape)) % 10
    fake = G(torch.randn(10, 100), oh(y_fake)).detach()
    loss = softplus(-D(x, oh(y))).mean() + 0.5 * (softplus(D(fake, oh(y_fake))).mean() + softplus(D(x, oh(wrong))).mean())
    torch.manual_seed(1)
    out = gan["cgan_step"](G, D, _frozen(G), _frozen(D), x, y, y_fake, label_scale=5.0, matching_aware=True)
    assert (wrong != y).all() and out["loss_d"].item() == pytest.approx(loss.item(), rel=1e-5)


# ----------------------------------------------------------------------------- problem 1
def test_train_siamese_keeps_its_best_validation_epoch(monkeypatch):
    """With validation AUCs that fall after epoch 5, the model trained for 10 epochs is the one trained for 5: its
    weights restored from that epoch (and calibrated on the same embeddings)."""
    nb = definitions("p1")
    aucs = iter([0.9, 0.9, 0.6])                                      # epoch 5 of the first run; 5 and 10 of the second
    nb["roc_auc_score"] = lambda y, p: next(aucs)
    S = torch.rand(100, 513, 60, generator=torch.Generator().manual_seed(0)) + 0.1   # 10 speakers, 60 frames
    five, h5 = nb["train_siamese"](S, seed=0, fold=0, epochs=5)
    ten, h10 = nb["train_siamese"](S, seed=0, fold=0, epochs=10)
    assert [h.get("val_auc") for h in h10 if "val_auc" in h] == [0.9, 0.6]
    assert ten.best_epoch == 5 and len(h10) == 10
    for (name, a), b in zip(five.state_dict().items(), ten.state_dict().values()):
        assert torch.equal(a, b), name


def test_random_crops_stay_inside_and_mask_at_most_max_mask_frames():
    nb = definitions("p1")
    start, keep = nb["random_crops"](500, 100, np.random.default_rng(0), crop=48, max_mask=8)
    assert keep.shape == (500, 48) and start.min() >= 0 and start.max() <= 100 - 48
    masked = (keep == 0).sum(1)
    assert masked.min() == 0 and masked.max() == 8
    for row in keep:                                                   # one contiguous mask per crop
        gaps = np.flatnonzero(row == 0)
        assert len(gaps) == 0 or gaps[-1] - gaps[0] + 1 == len(gaps)
    start, keep = nb["random_crops"](3, 30, np.random.default_rng(0), crop=48)        # shorter than a crop
    assert (start == 0).all() and keep.shape == (3, 30)


# ----------------------------------------------------------------------------- problem 2
def test_the_vae_samples_z_with_the_standard_deviation():
    """z = mu + exp(logvar / 2) eps: with mu = 3 and logvar = log 4 the codes have mean 3 and standard deviation 2
    (not 4, the variance)."""
    nb = definitions("p2")
    vae = nb["VAE"]()
    seen = []
    vae.encode = lambda x: (torch.full((len(x), 4), 3.0), torch.full((len(x), 4), float(np.log(4.0))))
    vae.decode = lambda z: seen.append(z) or torch.zeros(len(z), 28, 28)
    torch.manual_seed(0)
    vae(torch.zeros(20_000, 28, 28))
    z = seen[0]
    assert z.mean().item() == pytest.approx(3.0, abs=0.02) and z.std().item() == pytest.approx(2.0, abs=0.02)
