"""SimpleNatureCNN: the MPS-safe extractor must be a drop-in twin of SB3's NatureCNN."""

from __future__ import annotations

import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from stable_baselines3.common.torch_layers import NatureCNN

import simple_game.policies as policies
from simple_game.policies import SimpleNatureCNN

SPACE = spaces.Box(0, 255, shape=(4, 84, 84), dtype=np.uint8)


def test_exported_for_configs() -> None:
    """The dotted path saved configs and zips name resolves to the network class."""
    from hydra.utils import get_class

    from simple_game.model.networks import SimpleNatureCNN as Network

    assert "SimpleNatureCNN" in policies.__all__
    assert get_class("simple_game.policies.SimpleNatureCNN") is Network


def test_same_architecture_as_nature_cnn() -> None:
    ours, theirs = SimpleNatureCNN(SPACE), NatureCNN(SPACE)
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    shapes = {k: v.shape for k, v in ours.state_dict().items()}
    assert shapes == {k: v.shape for k, v in theirs.state_dict().items()}
    # Same parameter names: weights load into SB3's NatureCNN, and the outputs agree.
    theirs.load_state_dict(ours.state_dict())
    x = th.rand(2, 4, 84, 84)
    assert th.allclose(ours(x), theirs(x))


@pytest.mark.parametrize("algo", ["ppo", "a2c", "dqn", "qrdqn"])
@pytest.mark.parametrize("policy", ["simple_nature_cnn", "nature_cnn"])
def test_whole_network_is_sb3_cnn_policy(algo: str, policy: str) -> None:
    """No extra layers around the CNN: SB3 adds two 64-unit tanh layers before the heads
    for any extractor that is not its own NatureCNN, unless the config says ``net_arch: []``."""
    from simple_game.bench.setups import project_env, project_model, stock_model
    from simple_game.config.compose import compose

    cfg = compose([f"algo={algo}", f"policy={policy}", "env.n_envs=2"])
    env = project_env(cfg, seed=0)
    ours, stock = (make(cfg, env, th.device("cpu")).policy for make in (project_model, stock_model))
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: v.shape for k, v in stock.state_dict().items()
    }
    env.close()


def test_flatten_size_from_arithmetic_without_sample_forward(monkeypatch) -> None:
    def no_sampling(*_: object) -> None:
        raise AssertionError("SimpleNatureCNN must not sample the observation space")

    monkeypatch.setattr(spaces.Box, "sample", no_sampling)
    model = SimpleNatureCNN(SPACE)
    assert model.linear[0].in_features == 64 * 7 * 7


@pytest.mark.parametrize("features_dim", [256, 512])
def test_output_shape_and_dtype(features_dim: int) -> None:
    out = SimpleNatureCNN(SPACE, features_dim=features_dim)(th.rand(3, 4, 84, 84))
    assert out.shape == (3, features_dim)
    assert out.dtype == th.float32


def test_non_contiguous_input_gives_same_output() -> None:
    model = SimpleNatureCNN(SPACE)
    channels_last = th.rand(2, 84, 84, 4)
    view = channels_last.permute(0, 3, 1, 2)  # what VecTransposeImage hands over
    assert not view.is_contiguous()
    assert th.allclose(model(view), model(view.contiguous()))


def test_other_screen_sizes() -> None:
    space = spaces.Box(0, 255, shape=(4, 64, 64), dtype=np.uint8)
    assert SimpleNatureCNN(space)(th.rand(1, 4, 64, 64)).shape == (1, 512)
    with pytest.raises(ValueError, match="too small"):
        SimpleNatureCNN(spaces.Box(0, 255, shape=(4, 30, 30), dtype=np.uint8))
