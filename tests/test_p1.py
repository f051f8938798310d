"""Problem 1: the notebook's definitions (no training), and the FAST run's outputs."""
import numpy as np
import pytest
import torch

from conftest import definitions


@pytest.fixture(scope="module")
def nb():
    return definitions("p1")


@pytest.mark.parametrize("L", [5, 20, 45, 60])
def test_minibatch_rules(nb, L):
    speakers = list(range(30))
    rng = np.random.default_rng(1)
    for s in (0, 13, 29):
        pairs, y = nb["speaker_minibatch"](s, speakers, L, rng)
        assert pairs.shape == (2 * L, 2) and y.tolist() == [1] * L + [0] * L
        pos, neg = pairs[:L], pairs[L:]
        assert (pos // 10 == s).all() and (pos[:, 0] != pos[:, 1]).all()
        assert (neg[:, 0] // 10 == s).all() and (neg[:, 1] // 10 != s).all()
        assert set((neg[:, 1] // 10).tolist()) <= set(speakers)
        unordered = {tuple(sorted(p)) for p in pos.tolist()}
        if L <= 45:
            assert len(unordered) == L          # no positive pair repeats
        if L <= 10:
            assert len(set(neg[:, 0].tolist())) == L   # own utterances drawn without replacement


def test_epoch_has_one_minibatch_per_speaker(nb):
    speakers = [0, 2, 4, 7]
    batches = nb["epoch_minibatches"](speakers, 3, np.random.default_rng(0))
    assert sorted(int(p[0, 0]) // 10 for p, _ in batches) == speakers
    for pairs, _ in batches:
        assert set((pairs // 10).ravel().tolist()) <= set(speakers)


def test_evaluation_pairs_resample_only_the_negatives(nb):
    a, ya = nb["sample_pairs"]([0, 1, 2], np.random.default_rng(0))
    b, yb = nb["sample_pairs"]([0, 1, 2], np.random.default_rng(1))
    positives = lambda p, y: {tuple(sorted(r)) for r in p[y == 1].tolist()}
    assert positives(a, ya) == positives(b, yb) and len(positives(a, ya)) == 3 * 45
    assert not np.array_equal(a[ya == 0], b[yb == 0])


def test_encoder_any_length(nb):
    enc = nb["SpeakerEncoder"]().eval()
    a = enc(torch.rand(3, 513, 40))
    b = enc(torch.rand(3, 513, 97))
    assert a.shape == b.shape == (3, nb["EMB"])
    assert torch.allclose(a.norm(dim=1), torch.ones(3), atol=1e-5)


def test_pair_logit_and_probabilities_by_hand(nb):
    e1, e2 = torch.tensor([[0.6, 0.8], [1.0, 0.0]]), torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert nb["pair_logit"](e1, e2, 10.0, -5.0).tolist() == pytest.approx([1.0, -5.0])
    E = torch.cat([e1, e2])
    p = nb["pair_probs"](E, np.array([[0, 2], [1, 3]]), 10.0, -5.0)
    assert p == pytest.approx(1 / (1 + np.exp(-np.array([1.0, -5.0]))), rel=1e-6)


def test_calibration_moves_the_threshold_to_the_new_speakers(nb):
    """Positive pairs with inner product 0.3, negatives 0.1: the trained b = -5 calls every pair 'different';
    the refit w, b separate them at p = 0.5, and the encoder is untouched."""
    torch.manual_seed(0)
    model = nb["Siamese"](4)
    before = {k: v.clone() for k, v in model.encoder.state_dict().items()}
    u, v = torch.tensor([1.0, 0.0]), torch.tensor([0.3, np.sqrt(1 - 0.09)], dtype=torch.float32)
    w = torch.tensor([0.1, np.sqrt(1 - 0.01)], dtype=torch.float32)
    E = torch.stack([u, v, w])
    pairs, y = np.array([[0, 1]] * 10 + [[0, 2]] * 10), np.r_[np.ones(10), np.zeros(10)].astype(np.float32)
    assert nb["accuracy"](nb["pair_probs"](E, pairs, *model.w_and_b()), y) == 0.5
    nb["calibrate"](model, E, pairs, y)
    assert nb["accuracy"](nb["pair_probs"](E, pairs, *model.w_and_b()), y) == 1.0
    assert all(torch.equal(t, before[k]) for k, t in model.encoder.state_dict().items())


def test_equal_error_rate(nb):
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.2, 0.6, 0.3, 0.1, 0.05])
    assert nb["equal_error_rate"](y, p) == pytest.approx(0.25)


class _Normalise(torch.nn.Module):
    """A stand-in encoder: each row of x, scaled to unit length (no parameters)."""

    def forward(self, x):
        return torch.nn.functional.normalize(x, dim=1)


def test_one_siamese_step_against_a_hand_computation(nb):
    """Pair BCE plus the AM-softmax (margin 0.2, scale 30) computed with NumPy, and one SGD step of w and b: the
    AM-softmax does not depend on them, so b moves by -lr mean(sigmoid(l) - y) and w by -lr mean((sigmoid(l) - y) <e1, e2>)."""
    torch.manual_seed(0)
    model = nb["Siamese"](3)
    model.encoder = _Normalise()
    x = torch.randn(4, 128)
    pairs, labels, classes = torch.tensor([[0, 1], [2, 3], [0, 2]]), torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0, 0, 1, 2])
    E = x.numpy() / np.linalg.norm(x.numpy(), axis=1, keepdims=True)
    dirs = model.speaker_dirs.detach().numpy()
    w, b = model.w_and_b()
    inner = (E[pairs[:, 0]] * E[pairs[:, 1]]).sum(1)
    p = 1 / (1 + np.exp(-(w * inner + b)))
    y = labels.numpy()
    pair_loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    cos = E @ (dirs / np.linalg.norm(dirs, axis=1, keepdims=True)).T
    cos[np.arange(4), classes.numpy()] -= 0.2
    logits = 30 * cos
    am = np.mean(np.log(np.exp(logits).sum(1)) - logits[np.arange(4), classes.numpy()])
    lr = 0.1
    loss, acc = nb["siamese_step"](model, torch.optim.SGD(model.parameters(), lr=lr), x, pairs, labels, classes).tolist()
    assert loss == pytest.approx(pair_loss + am, rel=1e-4)
    assert acc == pytest.approx(np.mean((p > 0.5) == y))
    assert model.b.item() == pytest.approx(b - lr * np.mean(p - y), rel=1e-5)
    assert model.w.item() == pytest.approx(w - lr * np.mean((p - y) * inner), rel=1e-5)
    fresh = nb["Siamese"](3)
    fresh.encoder = _Normalise()
    with torch.no_grad():
        fresh.w.fill_(w), fresh.b.fill_(b)
    pair_only, _ = nb["siamese_step"](fresh, torch.optim.SGD(fresh.parameters(), lr=lr), x, pairs, labels, classes,
                                      am_softmax=False).tolist()
    assert pair_only == pytest.approx(pair_loss, rel=1e-5)


def test_crop_and_mask_by_hand(nb):
    S = torch.arange(2 * 3 * 10, dtype=torch.float32).reshape(2, 3, 10)       # 2 spectrograms, 3 bins, 10 frames
    keep = torch.tensor([[1.0, 0.0, 1.0, 1.0], [1.0, 1.0, 1.0, 0.0]])
    out = nb["crop_and_mask"](S, torch.tensor([2, 6]), keep)
    assert out.shape == (2, 3, 4)
    assert torch.equal(out[0], S[0, :, 2:6] * keep[0]) and torch.equal(out[1], S[1, :, 6:10] * keep[1])


def test_channel_augment_changes_what_it_is_asked_to(nb):
    """Off by default; the equaliser is one smooth gain curve per spectrogram, the same in every frame; the level one
    gain for all bins; the noise adds power at the drawn SNR and takes none away."""
    torch.manual_seed(0)
    S = torch.rand(64, 513, 48) + 0.1
    assert torch.equal(nb["channel_augment"](S), S)
    eq_db = 20 * torch.log10(nb["channel_augment"](S, eq_db=6.0) / S)             # B x 513 x T, in dB
    assert torch.allclose(eq_db, eq_db[:, :, :1].expand_as(eq_db), atol=1e-3)     # the same in every frame
    assert eq_db[:, :, 0].diff(dim=1).abs().max() < 0.5                           # smooth: under 0.5 dB per bin
    assert 3 < eq_db[:, :, 0].std() < 6                                          # about +-6 dB
    level_db = 20 * torch.log10(nb["channel_augment"](S, level_db=10.0) / S)
    assert torch.allclose(level_db, level_db[:, :1, :1].expand_as(level_db), atol=1e-3)
    assert level_db.abs().max() <= 10 and level_db.abs().max() > 8
    noisy = nb["channel_augment"](S, snr_db=(20.0, 20.0))
    assert (noisy >= S).all()
    added = (noisy.pow(2) - S.pow(2)).mean((1, 2)) / S.pow(2).mean((1, 2))
    assert torch.allclose(added, torch.full_like(added, 0.01), rtol=0.05)         # 20 dB: a hundredth of the power


def test_normalised_encoder_ignores_a_microphones_gain_curve(nb):
    """normalise=True removes each utterance's long-term log spectrum: a fixed gain per frequency bin (a microphone)
    leaves the embedding unchanged; the plain encoder's embedding moves."""
    torch.manual_seed(0)
    S = torch.rand(4, 513, 60) + 0.5
    gain = torch.linspace(0.5, 2.0, 513)[None, :, None]
    for normalise, same in ((True, True), (False, False)):
        encoder = nb["SpeakerEncoder"](frame_channels=0, normalise=normalise).eval()
        encoder.norm.running_var.fill_(1.0)
        with torch.no_grad():
            moved = (encoder(S) - encoder(S * gain)).abs().max()
        assert (moved < 1e-2) == same, (normalise, moved)


def test_fast_run_metrics(fast_run):
    m = fast_run["metrics"]
    assert m["p1_test_speakers"] == 10 and m["p1_commonvoice_speakers"] == 19 and m["p1_seeds"] == 2
    for test_set in ("librispeech", "commonvoice"):
        assert 0.55 < m[f"p1_{test_set}_ensemble"] <= 1 and 0.6 < m[f"p1_{test_set}_auc"] <= 1   # FAST: 1 epoch
        assert 0 <= m[f"p1_{test_set}_eer"] < 0.45
