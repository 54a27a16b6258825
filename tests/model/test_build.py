"""The SB3 model a composed config describes."""

from __future__ import annotations

import pytest
import torch as th

from simple_game.config.preflight import check_overrides
from simple_game.config.schema import to_run_conf
from simple_game.envs.build import make_env
from simple_game.model.build import build_model
from tests.conftest import tiny


@pytest.mark.parametrize("algo", ["dqn", "qrdqn"])
def test_optimize_memory_usage_keeps_one_copy_of_each_observation_and_trains(algo: str) -> None:
    """SB3 refuses ``optimize_memory_usage`` beside its default timeout handling; the project
    switches that off with it, so the option a config offers builds and trains."""
    cfg = check_overrides([*tiny(algo), "hardware=cpu", "algo.optimize_memory_usage=true"])
    env = make_env(cfg.env, n_envs=int(cfg.env.n_envs), seed=0)
    try:
        model = build_model(to_run_conf(cfg), env, th.device("cpu"))
        model.learn(128)  # past learning_starts (64): gradient steps on the shared buffer
        buffer = model.replay_buffer
        assert buffer.optimize_memory_usage and not buffer.handle_timeout_termination
        assert not hasattr(buffer, "next_observations")  # read from the following slot instead
        assert model._n_updates > 0
    finally:
        env.close()
