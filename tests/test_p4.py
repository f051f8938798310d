"""Problem 4: the notebook's definitions (no training), and the FAST run's outputs."""
import numpy as np
import pytest
import torch

from conftest import definitions


@pytest.fixture(scope="module")
def nb():
    return definitions("p4")


def test_centre_patch(nb):
    x = torch.arange(2 * 28 * 28, dtype=torch.float32).reshape(2, 28, 28)
    c = nb["centre"](x)
    assert c.shape == (2, 100) and torch.equal(c[1], x[1, 9:19, 9:19].reshape(100))
    assert nb["CENTRE_MASK"].sum() == 100 and nb["CENTRE_MASK"][9:19, 9:19].all()
    G = nb["Generator"](cond=100, hidden=(32, 64))
    assert G.net[0].in_features == 200 and G(torch.randn(3, 100), c[:1].repeat(3, 1)).shape == (3, 28, 28)


class _Copy(torch.nn.Module):
    """A 'generator' that draws the true image whatever its noise, or that image plus noise."""

    def __init__(self, x, noisy=False):
        super().__init__()
        self.x, self.noisy = x, noisy

    def forward(self, z, patch):
        return (self.x[:len(z)] + (0.1 * z[:, :1, None] if self.noisy else 0)).clamp(-1, 1)   # tanh's range


class _Oracle(torch.nn.Module):
    """A 'classifier' that labels an image 1 when its top-left pixel is bright, with logits +-scale / 2."""

    def __init__(self, scale=1.0):
        super().__init__()
        self.scale = scale

    def features(self, x):
        return x[:, :1, 0]

    def out(self, f):
        return self.scale * torch.cat([0.5 - f, f - 0.5], 1)


def test_imputation_metrics_by_hand(nb):
    x = torch.full((6, 28, 28), -1.0)
    x[:3, 0, 0] = 1.0                                         # images 0-2 are class 1, 3-5 class 0; each a lone pixel
    y = torch.tensor([1, 1, 1, 0, 0, 0])
    truth = (x + 1) / 2
    gen, m = nb["imputation_metrics"](_Copy(x), x, truth, y, _Oracle(), seed=0)
    assert m["centre_mse"] == 0 and m["outside_mse"] == 0 and m["label_consistency"] == 1.0
    assert m["specks_per_image"] == 0.5 and torch.equal(gen, truth)     # the lone bright pixel of images 0-2
    assert m["confident"] == 0.0                     # logits +-0.5: top probability 0.73 < 0.9
    _, m = nb["imputation_metrics"](_Copy(x), x, truth, y, _Oracle(scale=5.0), seed=0)
    assert m["confident"] == 1.0 and m["label_consistency"] == 1.0     # logits +-2.5: 0.92
    _, m = nb["imputation_metrics"](_Copy(x, noisy=True), x, truth, 1 - y, _Oracle(), seed=0)
    assert m["centre_mse"] > 0 and m["label_consistency"] == 0.0 and m["correct"].tolist() == [False] * 6


def test_patch_penalty_readings(nb):
    fake, patch = torch.zeros(2, 28, 28), torch.full((2, 100), 0.5)
    assert nb["patch_penalty"](fake, patch, "sum").item() == pytest.approx(100 * 0.25)
    assert nb["patch_penalty"](fake, patch, "mean").item() == pytest.approx(0.25)


class _PatchPainter(torch.nn.Module):
    """A 'generator' that paints its patch into the centre of a black image (plus a trainable 0), ignoring z, and
    records the patches it was given."""

    def __init__(self, nb):
        super().__init__()
        self.nb, self.zero, self.seen = nb, torch.nn.Parameter(torch.zeros(1)), []

    def forward(self, z, patch):
        self.seen.append(patch.detach().clone())
        out = torch.full((len(z), 28, 28), -1.0) + self.zero
        out[:, 9:19, 9:19] = patch.reshape(-1, 10, 10)
        return out


class _Constant(torch.nn.Module):
    """A 'discriminator' with the logit 0 for everything."""

    def __init__(self):
        super().__init__()
        self.b = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x, c=None):
        return self.b.expand(len(x))


def test_the_l1_target_is_the_image_the_patch_came_from(nb):
    """G's loss by hand: log 2 (D's logit 0) + lambda x the patch penalty (0: G paints the patch) + mean |fake - x|."""
    torch.manual_seed(0)
    x = torch.rand(6, 28, 28) * 2 - 1
    G, D = _PatchPainter(nb), _Constant()
    opt = lambda net: torch.optim.SGD(net.parameters(), lr=0.0)
    out = nb["imputer_step"](G, D, opt(G), opt(D), x, None, lam=3.0, recon_weight=1.0)
    assert torch.equal(G.seen[0], nb["centre"](x))
    painted = torch.full((6, 28, 28), -1.0)
    painted[:, 9:19, 9:19] = x[:, 9:19, 9:19]
    expected = np.log(2) + (painted - x).abs().mean().item()
    assert out["loss_g"].item() == pytest.approx(expected, rel=1e-5)


def test_fast_run_outputs(fast_run):
    m = fast_run["metrics"]
    assert m["p4_reduction"] == "mean" and m["p4_epochs"] == 2
    f = np.load(fast_run["results"] / "p4_completions.npz")
    assert f["lambda_0.1"].shape == f["lambda_10"].shape == f["lambda_0"].shape == (200, 28, 28)
    assert f["lambda_0"].dtype == np.uint8
    assert np.abs(f["lambda_0"].astype(int) - f["lambda_10"]).mean() > 1     # different models, different images
