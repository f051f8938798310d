"""On a machine with CUDA: one short run of each training loop and each scorer of the notebook on the GPU, in
deterministic mode, so that the first GPU that runs ./test.sh says whether the notebook runs there. Skipped on a CPU.
"""
import numpy as np
import pytest
import torch

import hw4lib
from conftest import definitions

pytestmark = [pytest.mark.unit,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device: the GPU checks are skipped")]


@pytest.fixture(scope="module")
def nb():
    ns = definitions("p1", "p2", "p3", "p4")
    assert ns["DEVICE"].type == "cuda" and torch.are_deterministic_algorithms_enabled()
    return ns


def test_siamese_training_and_evaluation_on_cuda(nb):
    S = torch.rand(100, 513, 60, generator=torch.Generator().manual_seed(0)).to(nb["DEVICE"]) + 0.1
    model, history = nb["train_siamese"](S, seed=0, fold=0, epochs=1)
    assert next(model.parameters()).is_cuda and np.isfinite(history[0]["loss"])
    out = nb["evaluate"]([model], S, seed=0, repeats=1)
    assert 0 <= out["auc"] <= 1


def test_vae_training_on_cuda(nb):
    X = torch.rand(256, 28, 28, generator=torch.Generator().manual_seed(0)).round().to(nb["DEVICE"])
    vae, history = nb["train_vae"](X, seed=0, beta=4.0, epochs=1)
    assert np.isfinite(history[0]) and np.isfinite(nb["heldout_elbo"](vae, X, 0)[0])


@pytest.fixture(scope="module")
def digits(nb):
    x = torch.rand(400, 28, 28, generator=torch.Generator().manual_seed(0))
    y = torch.arange(400) % 10
    judge = hw4lib.train_judge(x, y, True, 0, nb["DEVICE"])
    return x, y, judge


def test_cgan_steps_and_scorer_on_cuda(nb, digits):
    x, y, judge = digits
    score = nb["cgan_scorer"](judge, x, y, 0, raw=True)
    run = nb["train_cgan"](nb["to_pm1"](x).to(nb["DEVICE"]), y.to(nb["DEVICE"]), 0, 1, score, steps=2)
    assert 0 <= run.history[0]["conditioning_ema"] <= 1 and np.isfinite(run.history[0]["frechet"])
    _, numbers = nb["score_generator"](run.G_ema, 1.0, judge, torch.randn(200, 128), 1, details=True)
    assert len(numbers["per_class_accuracy"]) == 10


def test_imputer_steps_and_scorer_on_cuda(nb, digits):
    x, y, judge = digits
    score = nb["imputer_scorer"](judge, x, y, 0)
    for kwargs in ({}, {"matching_aware": True, "recon_weight": 10.0}):
        run = nb["train_imputer"](nb["to_pm1"](x).to(nb["DEVICE"]), 10.0, 1, score, steps=2, **kwargs)
        assert 0 <= run.history[0]["label_consistency"] <= 1
