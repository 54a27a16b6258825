"""The Atari pipeline: frame skip and sticky actions right for v4 and v5 ids, honest scores."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from omegaconf import DictConfig

from simple_game.envs.build import make_env
from simple_game.errors import UserError
from tests.conftest import env_config


def sb3_env_config(env: str, *overrides: str) -> DictConfig:
    """The env group of ``env`` on the SB3 pipeline, whose wrappers these tests look inside.

    The C++ backend's semantics are checked against this pipeline in envs/test_ale_vector.py.
    """
    return env_config(env, "env.backend=sb3", *overrides)


def ale_of(venv):
    return venv.get_attr("unwrapped")[0].ale


@pytest.mark.parametrize("env_id", ["BreakoutNoFrameskip-v4", "ALE/Breakout-v5"])
def test_one_agent_step_is_four_frames(env_id: str) -> None:
    venv = make_env(
        sb3_env_config("breakout", f"env.id={env_id}"), n_envs=1, seed=0, evaluation=True
    )
    venv.reset()
    ale = ale_of(venv)
    start = ale.getEpisodeFrameNumber()
    for _ in range(25):
        venv.step(np.array([venv.action_space.sample()]))
    assert ale.getEpisodeFrameNumber() - start == 25 * 4  # not 16: no doubled frame skip
    venv.close()


@pytest.mark.parametrize("sticky", [0.0, 0.1])  # neither is v5's own default, 0.25
def test_sticky_actions_set_once_for_v5(sticky: float) -> None:
    cfg = sb3_env_config("pong", "env.id=ALE/Pong-v5", f"env.sticky_actions={sticky}")
    venv = make_env(cfg, n_envs=1, seed=0)
    # v5 ids default to 0.25; the config value replaces it (never stacked with AtariWrapper's).
    assert ale_of(venv).getFloat("repeat_action_probability") == pytest.approx(sticky)
    assert venv.get_attr("unwrapped")[0]._frameskip == 1
    venv.close()


class RewardTally(gym.Wrapper):
    """Sums the emulator's raw rewards, below every wrapper of the pipeline."""

    total = 0.0

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        RewardTally.total += float(reward)
        return obs, reward, terminated, truncated, info


@pytest.fixture
def tallied(monkeypatch):
    make = gym.make
    monkeypatch.setattr(gym, "make", lambda *a, **k: RewardTally(make(*a, **k)))
    RewardTally.total = 0.0
    return RewardTally


def play_until_done(venv, seed: int = 0) -> tuple[list[float], dict]:
    """Random actions until the first episode end; returns the rewards seen and the last info."""
    rng = np.random.default_rng(seed)
    venv.reset()
    rewards = []
    while True:
        _, reward, done, infos = venv.step(rng.integers(venv.action_space.n, size=1))
        rewards.append(float(reward[0]))
        if done[0]:
            return rewards, infos[0]


def test_eval_env_reports_full_unclipped_game(tallied) -> None:
    venv = make_env(sb3_env_config("space_invaders"), n_envs=1, seed=3, evaluation=True)
    rewards, info = play_until_done(venv)
    assert info["lives"] == 0  # the episode was the whole game, not one life
    assert info["episode"]["r"] == pytest.approx(tallied.total)  # what evaluation reports
    assert sum(rewards) == pytest.approx(tallied.total)  # unclipped at every step
    assert max(rewards) > 1  # Space Invaders pays 5-30 points per alien
    venv.close()


def test_train_env_clips_and_ends_at_life_loss_but_monitor_sees_full_games(tallied) -> None:
    venv = make_env(sb3_env_config("space_invaders"), n_envs=1, seed=3, evaluation=False)
    rewards, info = play_until_done(venv)
    assert set(rewards) <= {-1.0, 0.0, 1.0}
    assert info["lives"] > 0  # a lost life ended the training episode...
    assert "episode" not in info  # ...but the game (and its score record) goes on
    venv.close()


def test_observations_are_contiguous_channel_first_uint8() -> None:
    venv = make_env(sb3_env_config("pong"), n_envs=2, seed=0)
    obs = venv.reset()
    assert obs.shape == (2, 4, 84, 84)
    assert obs.dtype == np.uint8
    assert obs.flags["C_CONTIGUOUS"]
    venv.close()


def test_unknown_game_is_a_one_line_error() -> None:
    with pytest.raises(UserError, match=r"env.id=NotAGame-v4: ale-py does not know"):
        make_env(sb3_env_config("pong", "env.id=NotAGame-v4"), n_envs=1, seed=0)
