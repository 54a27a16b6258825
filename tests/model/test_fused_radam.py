"""PQN's RAdam on Adam's fused kernel takes RAdam's very steps, and saves as a plain RAdam."""

from __future__ import annotations

import copy
import logging

import pytest
import torch as th
from torch import nn
from torch.optim.adam import adam

import simple_game.model.fused_radam as fused_radam
from simple_game.model.fused_radam import fuse_radam_step, rho
from tests.conftest import tiny

STEPS = 30
WARM_UP = 5  # rho_t <= 5 for steps 1-5 with beta2 = 0.999


def small_network() -> nn.Module:
    """A conv, a LayerNorm and a linear layer: the kinds of weight PQN's network has."""
    th.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(4, 8, 3, stride=2), nn.Flatten(), nn.LayerNorm(8 * 9 * 9), nn.Linear(8 * 81, 6)
    )


def train(network: nn.Module, optimizer: th.optim.Optimizer, steps: int, start: int = 0) -> None:
    """``steps`` updates on fixed batches: the same gradients for the same weights."""
    for i in range(start, start + steps):
        generator = th.Generator().manual_seed(i)
        x = th.rand(16, 4, 20, 20, generator=generator)
        target = th.randn(16, 6, generator=generator)
        optimizer.zero_grad()
        nn.functional.mse_loss(network(x), target).backward()
        optimizer.step()


@pytest.fixture
def fused_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the steps that went through Adam's fused kernel (a spy around the real call)."""
    calls: list[int] = []

    def counted_adam(**arguments):
        calls.append(1)
        assert arguments["fused"] is True
        return adam(**arguments)

    monkeypatch.setattr(fused_radam, "adam", counted_adam)
    return calls


def close(x: th.Tensor, y: th.Tensor) -> bool:
    """Equal up to float32 rounding: within a millionth-order of the tensor's own scale."""
    return bool((x - y).abs().max() <= 1e-5 * x.abs().max())


def assert_same_training(a: th.optim.Optimizer, b: th.optim.Optimizer, net_a, net_b) -> None:
    for (name, p), q in zip(net_a.named_parameters(), net_b.parameters(), strict=True):
        assert close(p, q), name
        sa, sb = a.state[p], b.state[q]
        assert float(sa["step"]) == float(sb["step"])
        assert close(sa["exp_avg"], sb["exp_avg"]), name
        assert close(sa["exp_avg_sq"], sb["exp_avg_sq"]), name


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_fused_steps_are_radams_steps(fused_calls: list[int], weight_decay: float) -> None:
    plain_net = small_network()
    fused_net = copy.deepcopy(plain_net)
    # A learning rate large enough that every step moves the weights visibly.
    plain = th.optim.RAdam(plain_net.parameters(), lr=1e-2, weight_decay=weight_decay)
    fused = th.optim.RAdam(fused_net.parameters(), lr=1e-2, weight_decay=weight_decay)
    fuse_radam_step(fused)
    before = copy.deepcopy(fused_net.state_dict())

    train(plain_net, plain, STEPS)
    train(fused_net, fused, STEPS)

    assert rho(WARM_UP, 0.999) <= 5 < rho(WARM_UP + 1, 0.999)
    assert len(fused_calls) == STEPS - WARM_UP  # RAdam's own step for the warm-up only
    assert_same_training(plain, fused, plain_net, fused_net)
    moved = [not th.allclose(before[n], p) for n, p in fused_net.state_dict().items()]
    assert all(moved)


def test_the_state_is_radams_own(fused_calls: list[int]) -> None:
    """A fused optimizer's state dict continues in a plain RAdam, and the other way round."""
    net = small_network()
    fused = th.optim.RAdam(net.parameters(), lr=1e-2)
    fuse_radam_step(fused)
    train(net, fused, 10)

    plain_net = copy.deepcopy(net)
    plain = th.optim.RAdam(plain_net.parameters(), lr=1e-2)
    plain.load_state_dict(copy.deepcopy(fused.state_dict()))  # as a saved zip would
    train(net, fused, 10, start=10)
    train(plain_net, plain, 10, start=10)
    assert len(fused_calls) == 15
    assert_same_training(plain, fused, plain_net, net)


def test_what_the_kernel_cannot_express_takes_radams_own_step(fused_calls: list[int]) -> None:
    """Decoupled weight decay scales by the learning rate, not the rectified one: RAdam's step."""
    plain_net = small_network()
    fused_net = copy.deepcopy(plain_net)
    kwargs = {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}
    plain = th.optim.RAdam(plain_net.parameters(), **kwargs)
    fused = th.optim.RAdam(fused_net.parameters(), **kwargs)
    fuse_radam_step(fused)
    train(plain_net, plain, 10)
    train(fused_net, fused, 10)
    assert fused_calls == []
    for p, q in zip(plain_net.parameters(), fused_net.parameters(), strict=True):
        assert th.equal(p, q)


def test_pqn_trains_with_the_fused_step_and_says_so(
    caplog: pytest.LogCaptureFixture, fused_calls: list[int]
) -> None:
    """``hardware.fused_optimizer`` on: PQN's RAdam runs fused; off: PyTorch's own step."""
    from simple_game.config.preflight import check_overrides
    from simple_game.config.schema import to_run_conf
    from simple_game.envs.build import make_env
    from simple_game.model.build import build_model

    for fused in (True, False):
        cfg = check_overrides(
            [*tiny("pqn"), "algo.n_envs=2", "hardware=cpu", f"hardware.fused_optimizer={fused}"]
        )
        env = make_env(cfg.env, n_envs=2, seed=0)
        with caplog.at_level(logging.INFO, logger="simple_game.model.speed"):
            model = build_model(to_run_conf(cfg), env, th.device("cpu"))
        optimizer = model.policy.optimizer
        assert isinstance(optimizer, th.optim.RAdam)
        assert ("step" in vars(optimizer)) is fused
        assert ("fused RAdam step" in caplog.text) is fused
        caplog.clear()
        model.learn(model.n_steps * model.n_envs * 4)  # past the warm-up's 5 gradient steps
        steps = float(next(iter(optimizer.state.values()))["step"])
        assert steps > WARM_UP
        # every step after the warm-up went through Adam's fused kernel, and none without it
        assert len(fused_calls) == (steps - WARM_UP if fused else 0)
        fused_calls.clear()
        assert all(th.isfinite(p).all() for p in model.policy.parameters())
        env.close()
