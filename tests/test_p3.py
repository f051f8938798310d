"""Problem 3: the notebook's definitions (no training), and the FAST run's outputs."""
import numpy as np
import pytest
import torch

from conftest import definitions


@pytest.fixture(scope="module")
def nb():
    return definitions("p3")


def test_assignment_layer_sizes(nb):
    G, D = nb["Generator"](), nb["Discriminator"]()
    sizes = lambda m: [(l.in_features, l.out_features) for l in m.modules() if isinstance(l, torch.nn.Linear)]
    assert sizes(G) == [(110, 200), (200, 400), (400, 784)]
    assert sizes(D) == [(794, 400), (400, 200), (200, 100), (100, 1)]
    out = G(torch.randn(4, 100), nb["one_hot"](torch.tensor([0, 3, 7, 9]), 1.0))
    assert out.shape == (4, 28, 28) and out.abs().max() <= 1


def test_one_hot_and_balanced_labels(nb):
    oh = nb["one_hot"](torch.tensor([7]), 1.0)
    assert oh.shape == (1, 10) and oh[0].argmax().item() == 7 and oh.sum() == 1 and oh.max() == 1
    assert torch.equal(nb["one_hot"](torch.tensor([7]), 5.0), 5 * oh)
    assert torch.bincount(nb["balanced_labels"](100)).tolist() == [10] * 10
    with pytest.raises(ValueError, match="105 is not a multiple of 10"):
        nb["balanced_labels"](105)


class _Fixed(torch.nn.Module):
    """A 'discriminator' whose logit is the first pixel plus the first condition value."""

    def forward(self, x, c=None):
        return x.reshape(len(x), -1)[:, 0] + (0 if c is None else c[:, 0])


def test_discriminator_loss_by_hand(nb):
    softplus = lambda v: np.log1p(np.exp(v))             # -log sigmoid(-v): the BCE of logit v against 0
    x, fake = torch.full((1, 28, 28), 0.5), torch.full((1, 28, 28), -1.0)
    c, c_fake, c_wrong = torch.tensor([[1.0]]), torch.tensor([[0.5]]), torch.tensor([[2.0]])
    plain, d_real, d_fake = nb["discriminator_loss"](_Fixed(), x, c, fake, c_fake)
    assert d_real.item() == 1.5 and d_fake.item() == -0.5
    assert plain.item() == pytest.approx(softplus(-1.5) + softplus(-0.5), rel=1e-6)
    aware, _, _ = nb["discriminator_loss"](_Fixed(), x, c, fake, c_fake, c_wrong)
    assert aware.item() == pytest.approx(softplus(-1.5) + 0.5 * (softplus(-0.5) + softplus(2.5)), rel=1e-6)


def test_weight_average_by_hand(nb):
    G, G_ema = torch.nn.Linear(1, 1, bias=False), torch.nn.Linear(1, 1, bias=False)
    G.weight.data.fill_(1.0), G_ema.weight.data.fill_(0.0)
    nb["ema_update"](G_ema, G, step=0)                       # d = min(0.999, 1 / 10): the average moves 0.9 of the way
    assert G_ema.weight.item() == pytest.approx(0.9)
    nb["ema_update"](G_ema, G, step=10_000)                  # d = 0.999 once the ramp has passed it
    assert G_ema.weight.item() == pytest.approx(0.9 + 0.1 * 0.001)
    assert G.weight.item() == 1.0                             # G itself untouched


def test_fast_run_outputs(fast_run):
    metrics = fast_run["metrics"]
    m = metrics["p3"]
    assert len(m["per_class_accuracy"]) == 10 and len(m["history"]) == m["epochs"] == 1
    assert {"conditioning", "conditioning_ema", "frechet", "frechet_ema"} <= set(m["history"][0])
    assert m["frechet"] > m["frechet_real_floor"] > 0          # 40 steps of training: far from real digits
    assert metrics["mnist_specks_per_image"] < 0.01             # real digits have (almost) no stray specks
    a = m["assignment_recipe"]
    assert {"conditioning_accuracy", "frechet", "specks_per_image", "history"} <= set(a) and len(a["history"]) == 1
    assert set(m["ablation"]["verdicts"]) == {"label gain", "matching-aware D", "label gain, given the matching-aware D",
                                              "matching-aware D, given the label gain"}
    assert all(v["verdict"] in ("helps", "hurts", "neutral") for v in m["ablation"]["verdicts"].values())
    f = np.load(fast_run["results"] / "p3_samples.npz")
    assert f["images"].shape == (1000, 28, 28) and f["images"].dtype == np.uint8
    assert np.bincount(f["labels"]).tolist() == [100] * 10
