"""Problem 1, on the notebook's own functions (setup + p1 cells run in FAST mode)."""
import numpy as np
import pytest
import torch


from conftest import run_part


@pytest.fixture(scope="module")
def nb(fast_params):
    return run_part("p1", fast_params)


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


def test_encoder_any_length(nb):
    enc = nb["SpeakerEncoder"]().eval()
    a = enc(torch.rand(3, 513, 40))
    b = enc(torch.rand(3, 513, 97))
    assert a.shape == b.shape == (3, nb["EMB"])
    assert torch.allclose(a.norm(dim=1), torch.ones(3), atol=1e-5)


def test_pair_loss_matches_hand_computation(nb):
    logits = torch.tensor([2.0, -1.0, 0.5])
    y = torch.tensor([1.0, 0.0, 0.0])
    p = 1 / (1 + np.exp(-np.array([2.0, -1.0, 0.5])))
    hand = -(np.log(p[0]) + np.log(1 - p[1]) + np.log(1 - p[2])) / 3
    assert abs(nb["bce"](logits, y).item() - hand) < 1e-6
    model = nb["Siamese"](4)
    e1, e2 = torch.tensor([[0.6, 0.8]]), torch.tensor([[1.0, 0.0]])
    assert abs(model.logit(e1, e2).item() - (10.0 * 0.6 - 5.0)) < 1e-6


def test_equal_error_rate(nb):
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.2, 0.6, 0.3, 0.1, 0.05])
    assert nb["equal_error_rate"](y, p) == pytest.approx(0.25)


def test_bad_speech_input(nb):
    check = nb["check_speech"]
    with pytest.raises(ValueError, match="x.pkl: 15 rows is not a positive multiple of 10"):
        check(np.zeros((15, 100), np.float32), "x.pkl")
    with pytest.raises(ValueError, match="expected a 2-D array"):
        check(np.zeros((10, 10, 10)), "x.pkl")
    bad = np.zeros((10, 100), np.float32)
    bad[3, 5] = np.nan
    with pytest.raises(ValueError, match=r"1 NaN/inf samples in rows \[3\]"):
        check(bad, "x.pkl")


def test_fast_run_metrics(nb):
    m = nb["METRICS"]["p1"]
    assert m["n_train_speakers"] == 30 and m["n_test_speakers"] == 10
    assert 0.0 <= m["test_accuracy_mean"] <= 1.0 and 0.0 <= m["eer"] <= 1.0
    assert m["train_seconds"] > 0 and m["ensemble_members"] == 1 and m["seeds"] == [0]   # FAST: one member, one seed
