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
    out = G(torch.randn(4, 100), nb["one_hot"](torch.tensor([0, 3, 7, 9])))
    assert out.shape == (4, 28, 28) and out.abs().max() <= 1


def test_one_hot_and_balanced_labels(nb):
    oh = nb["one_hot"](torch.tensor([7]))
    assert oh.shape == (1, 10) and oh[0].argmax().item() == 7 and (oh[0] > 0).sum() == 1
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


def test_fast_run_outputs(fast_run):
    m = fast_run["metrics"]["p3"]
    assert len(m["per_class_accuracy"]) == 10 and len(m["conditioning_per_epoch"]) == m["epochs"] == 1
    assert m["frechet"] > m["frechet_real_floor"] > 0          # 100 steps of training: far from real digits
    f = np.load(fast_run["results"] / "p3_samples.npz")
    assert f["images"].shape == (1000, 28, 28) and f["images"].dtype == np.uint8
    assert np.bincount(f["labels"]).tolist() == [100] * 10
