"""Problem 3: the notebook's definitions (no training), and the FAST run's outputs."""
import json

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
    assert out.shape == (4, 28, 28)


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


class _Brightness(torch.nn.Module):
    """A 'generator' that draws the first pixel as bright as its label is high."""

    def forward(self, z, c):
        x = -torch.ones(len(z), 28, 28)
        x[:, 0, 0] = c.argmax(1) / 4.5 - 1                  # label 0 -> -1 ... label 9 -> +1
        return x


class _Reader(torch.nn.Module):
    """A 'judge' that reads the label back from the first pixel, but reads every 3 as a 4."""

    def features(self, x):
        return torch.cat([x[:, :1, 0], x[:, 1:2, 1]], 1)

    def out(self, f):
        label = torch.round(f[:, 0] * 9).long()
        label[label == 3] = 4
        return torch.nn.functional.one_hot(label, 10).float()


def test_score_generator_by_hand(nb):
    """_Brightness's samples, read back by _Reader: every class right but 3."""
    real = torch.randn(1000, 2, dtype=torch.float64)
    samples, s = nb["score_generator"](_Brightness(), 1.0, _Reader(), real, seed=0, details=True)
    assert samples.shape == (1000, 28, 28) and samples.min() >= 0 and samples.max() <= 1
    assert s["conditioning_accuracy"] == pytest.approx(0.9)
    assert s["per_class_accuracy"] == [1.0] * 3 + [0.0] + [1.0] * 6
    assert s["correct"].shape == (1000,) and s["correct"].sum() == 900
    assert s["specks_per_image"] > 0 and s["pixel_std"] > 0          # the lone bright pixel, which varies with the label
    _, per_epoch = nb["score_generator"](_Brightness(), 1.0, _Reader(), real, seed=0)     # per epoch: no details
    assert set(per_epoch) == {"conditioning_accuracy", "correct", "frechet", "pixel_std"}
    assert per_epoch["frechet"] == s["frechet"] and per_epoch["conditioning_accuracy"] == s["conditioning_accuracy"]


class _LabelReader(torch.nn.Module):
    """A 'discriminator' whose logit is highest when the condition names the label written in the first pixel
    (label / 9); backwards=True prefers every label but the right one."""

    def __init__(self, backwards=False):
        super().__init__()
        self.p, self.sign = torch.nn.Parameter(torch.zeros(1)), 1 if backwards else -1

    def forward(self, x, c):
        written = x.reshape(len(x), -1)[:, 0] * 9
        return self.sign * (written - c.argmax(1)).abs() + self.p


def test_label_use_after_an_epoch(nb):
    """D's label use on real pairs: 1 for a D that reads the label, 0 for one that prefers every wrong label."""
    y = torch.arange(10).repeat(2)
    x = torch.zeros(20, 28, 28)
    x[:, 0, 0] = y / 9
    real = (x, y, (y + 1) % 10)
    for backwards, expected in ((False, 1.0), (True, 0.0)):
        D = _LabelReader(backwards)
        record = nb["cgan_on_epoch"](_Brightness(), _Brightness(), D, 1.0, _Reader(), torch.randn(50, 2), real, seed=0,
                                     raw=True)
        assert record["label_use"] == expected and D.training          # D back in training mode
        assert record["conditioning"] == record["conditioning_ema"] == pytest.approx(0.9)


class _LinearD(torch.nn.Module):
    """A dropout-free 'discriminator' whose logit is w . x + v . c: its gradient in x is w everywhere."""

    def __init__(self):
        super().__init__()
        self.w, self.v = torch.nn.Parameter(0.01 * torch.randn(784)), torch.nn.Parameter(0.1 * torch.randn(10))

    def forward(self, x, c=None):
        return x.reshape(len(x), -1) @ self.w + c @ self.v


def _cgan_setup(nb, seed=0):
    torch.manual_seed(seed)
    G, D = nb["Generator"](), _LinearD()
    x, y = torch.rand(20, 28, 28) * 2 - 1, torch.arange(20) % 10
    return G, D, x, y, nb["balanced_labels"](20)


@pytest.mark.parametrize("r1_weight", [0.0, 10.0])
def test_one_cgan_step_against_a_hand_computation(nb, r1_weight):
    """One step with SGD: D's loss (with the R1 term gamma / 2 |w|^2 of a linear D) and update, then G's update
    against the updated D, each computed by hand from the same random draws."""
    G, D, x, y, y_fake = _cgan_setup(nb)
    softplus = torch.nn.functional.softplus                            # BCE of logit l: against 1 softplus(-l), 0 softplus(l)
    torch.manual_seed(1)
    torch.randint(1, 10, y.shape)                                      # the step's draw of wrong labels
    fake = G(torch.randn(20, 100), nb["one_hot"](y_fake))              # its fakes
    d_real, d_fake = D(x, nb["one_hot"](y)), D(fake.detach(), nb["one_hot"](y_fake))
    loss_d = softplus(-d_real).mean() + softplus(d_fake).mean() + r1_weight / 2 * (D.w ** 2).sum()
    D1 = [p - 0.1 * g for p, g in zip(D.parameters(), torch.autograd.grad(loss_d, list(D.parameters())))]
    w1, v1 = D1
    loss_g = softplus(-(fake.reshape(20, -1) @ w1 + nb["one_hot"](y_fake) @ v1)).mean()
    G1 = [p - 0.1 * g for p, g in zip(G.parameters(), torch.autograd.grad(loss_g, list(G.parameters())))]
    opt_d, opt_g = torch.optim.SGD(D.parameters(), lr=0.1), torch.optim.SGD(G.parameters(), lr=0.1)
    torch.manual_seed(1)
    out = nb["cgan_step"](G, D, opt_g, opt_d, x, y, y_fake, r1_weight=r1_weight)
    assert out["loss_d"].item() == pytest.approx(loss_d.item(), rel=1e-5)
    assert out["loss_g"].item() == pytest.approx(loss_g.item(), rel=1e-5)
    assert all(torch.allclose(p, p1, atol=1e-6) for p, p1 in zip(D.parameters(), D1))
    assert all(torch.allclose(p, p1, atol=1e-6) for p, p1 in zip(G.parameters(), G1))
    assert out["d_real_acc"].item() == (d_real > 0).float().mean().item()


def test_fast_run_outputs(fast_run):
    m = fast_run["metrics"]
    assert m["p3_epochs"] == 2 and m["gan_validation_digits"] == 10_000
    assert m["p3_frechet"] > m["p3_frechet_floor"] > 0         # 2 x 20 steps of training: far from real digits
    assert m["mnist_specks"] < 0.01                             # real digits have (almost) no stray specks
    curves = json.loads((fast_run["results"] / "curves.json").read_text())
    assert len(curves["p3"]) == 2 and {"conditioning_ema", "frechet_ema", "label_use", "d_real_acc",
                                       "d_fake_acc"} <= set(curves["p3"][0])
    assert "conditioning" not in curves["p3"][0]              # the graded run scores the weight average only
    f = np.load(fast_run["results"] / "p3_samples.npz")
    n = len(f["labels"])
    assert n >= 100 and f["images"].shape == (n, 28, 28) and f["images"].dtype == np.uint8
    assert np.bincount(f["labels"]).tolist() == [n // 10] * 10
