"""The ``ale_vector`` env backend behaves like the SB3 pipeline (simple_game.ale_vector_env).

Real games, seeded random actions, a few thousand frames per test.
"""

from __future__ import annotations

import numpy as np
import pytest
from omegaconf import DictConfig
from stable_baselines3.common.monitor import Monitor

from simple_game.envs.ale_vector import AleVectorVecEnv, make_ale_vector_env
from simple_game.envs.build import make_env
from simple_game.envs.settings import EnvSettings
from tests.conftest import env_config

BACKENDS = ("sb3", "ale_vector")


def env_cfg(game: str = "breakout", backend: str = "ale_vector") -> DictConfig:
    return env_config(game, f"env.backend={backend}")


def settings(game: str = "breakout", evaluation: bool = False) -> EnvSettings:
    return EnvSettings.from_config(env_cfg(game), evaluation)


def play(env, steps: int, seed: int = 0):
    """Seeded random actions; yields (previous obs, obs, rewards, dones, infos) per step."""
    rng = np.random.default_rng(seed)
    obs = env.reset()
    for _ in range(steps):
        previous = obs
        obs, rewards, dones, infos = env.step(rng.integers(0, env.action_space.n, env.num_envs))
        yield previous, obs, rewards, dones, infos


def episodes(env, steps: int) -> np.ndarray:
    """(score, raw frames) of every full game finished within ``steps`` vector steps."""
    found = [
        (info["episode"]["r"], info["episode"]["l"])
        for *_, infos in play(env, steps)
        for info in infos
        if "episode" in info
    ]
    env.close()
    return np.array(found, dtype=float)


def test_backends_agree_on_random_play_scores_and_lengths() -> None:
    """Same game, same random policy: full-game score and length statistics match."""
    stats = {
        backend: episodes(make_env(env_cfg(backend=backend), 8, seed=0, evaluation=True), 700)
        for backend in BACKENDS
    }
    sb3, ale = stats["sb3"], stats["ale_vector"]
    assert len(sb3) >= 20 and len(ale) >= 20
    for column, name in ((0, "score"), (1, "length")):
        a, b = sb3[:, column], ale[:, column]
        stderr = np.sqrt(a.var() / len(a) + b.var() / len(b))
        assert abs(a.mean() - b.mean()) < 4 * stderr + 0.05 * a.mean(), (name, a.mean(), b.mean())
    # Random Breakout scores about 1-2 points in about 700 raw frames (Monitor counts frames).
    assert 0.5 < ale[:, 0].mean() < 3 and 400 < ale[:, 1].mean() < 1200


def follow_the_ball(frames: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Breakout actions that keep the paddle under the ball, one in ten random.

    A random policy scores 1-2 points; this one about 25, so the games reach broken walls,
    faster balls and higher scores. The actions depend only on the frames: as long as both
    backends show the same frames they get the same actions.
    """
    actions = []
    for frame in frames[:, -1, :, 5:79]:  # newest frame, side walls cut off
        paddle = np.flatnonzero(frame[75:78].max(axis=0))
        ball = np.nonzero(frame[38:75])[1]
        if rng.random() < 0.1 or not len(paddle) or not len(ball):
            actions.append(rng.integers(0, 4))
        else:
            offset = ball.mean() - paddle.mean()
            actions.append(2 if offset > 2 else 3 if offset < -2 else 0)  # RIGHT, LEFT, NOOP
    return np.array(actions)


@pytest.mark.parametrize("evaluation", [False, True], ids=["training", "evaluation"])
def test_without_noops_both_backends_play_the_same_game_step_for_step(evaluation: bool) -> None:
    """With no random no-ops at reset, nothing random is left in either pipeline: the same
    actions must give the same frames, rewards, dones, time-limit flags and episode stats,
    step for step, through lost lives, game overs and restarts.

    One known difference (docs/performance.md): at game over, the newest frame of ale-py's
    terminal observation max-pools the game's next-to-last frame with one from the step before
    (about 0.4% of its pixels differ); SB3 pools the last two frames. It feeds no learning
    target: a finished game has no value to bootstrap (only a game cut at the frame cap is
    bootstrapped from its terminal observation).
    """
    cfg = {backend: env_cfg(backend=backend) for backend in BACKENDS}
    for c in cfg.values():
        c.wrapper.noop_max = 0
    sb3, ale = (make_env(cfg[b], 4, seed=5, evaluation=evaluation) for b in BACKENDS)
    obs = sb3.reset()
    np.testing.assert_array_equal(obs, ale.reset())
    rng = np.random.default_rng(0)
    scores: list[float] = []
    for step in range(1500):
        actions = follow_the_ball(obs, rng)
        obs, rewards, dones, infos = sb3.step(actions)
        ale_obs, ale_rewards, ale_dones, ale_infos = ale.step(actions)
        np.testing.assert_array_equal(obs, ale_obs, err_msg=f"step {step}")
        np.testing.assert_array_equal(rewards, ale_rewards, err_msg=f"step {step}")
        np.testing.assert_array_equal(dones, ale_dones, err_msg=f"step {step}")
        for info, ale_info in zip(infos, ale_infos, strict=True):
            episode = info.get("episode")
            assert (episode is None) == ("episode" not in ale_info), step
            if episode is not None:
                assert (episode["r"], episode["l"]) == (
                    ale_info["episode"]["r"],
                    ale_info["episode"]["l"],
                )
                scores.append(episode["r"])
            if "terminal_observation" not in info:
                continue
            assert info["TimeLimit.truncated"] == ale_info["TimeLimit.truncated"]
            terminal, ale_terminal = info["terminal_observation"], ale_info["terminal_observation"]
            if episode is None:  # a lost life: the game goes on, the frames are the same
                np.testing.assert_array_equal(terminal, ale_terminal)
            else:
                np.testing.assert_array_equal(terminal[:-1], ale_terminal[:-1])
                assert np.mean(terminal[-1] != ale_terminal[-1]) < 0.02
    sb3.close()
    ale.close()
    assert len(scores) >= 3 and max(scores) >= 20  # whole games, well past the first wall


def test_observations_are_stacked_channel_first_and_not_rewrapped_by_sb3() -> None:
    from stable_baselines3 import PPO

    env = make_ale_vector_env(settings(), n_envs=2, seed=0)
    obs = env.reset()
    assert obs.shape == (2, 4, 84, 84) and obs.dtype == np.uint8
    model = PPO("CnnPolicy", env, n_steps=8, batch_size=16, device="cpu")
    assert model.get_env() is env  # no VecTransposeImage added on top
    env.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_terminal_observation_continues_the_finished_episode(backend: str) -> None:
    """A done's terminal obs is the old episode's next frame stack; life loss and game over."""
    env = make_env(env_cfg(backend=backend), 4, seed=1, evaluation=False)
    seen = {"life": 0, "game": 0}
    for previous, obs, _, dones, infos in play(env, 400):
        for i in range(env.num_envs):
            if not dones[i]:
                np.testing.assert_array_equal(obs[i][:-1], previous[i][1:])
                continue
            terminal = infos[i]["terminal_observation"]
            assert terminal.shape == obs[i].shape
            np.testing.assert_array_equal(terminal[:-1], previous[i][1:])
            seen["game" if "episode" in infos[i] else "life"] += 1
    env.close()
    assert seen["life"] > 0 and seen["game"] > 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_lost_life_in_training_restarts_as_in_sb3(backend: str) -> None:
    """After a lost life the ball is served for the agent (SB3's FireResetEnv) and the frame
    stack starts afresh (VecFrameStack): an agent that only ever does NOOP still plays whole
    Breakout games, five served balls each."""
    env = make_env(env_cfg(backend=backend), 2, seed=0, evaluation=False)
    obs = env.reset()
    games, lives_lost = [], 0
    for _ in range(900):
        obs, _, dones, infos = env.step(np.zeros(env.num_envs, dtype=np.int64))
        for i in np.flatnonzero(dones):
            assert not obs[i][:-1].any() and obs[i][-1].any()  # only the newest frame
            if "episode" in infos[i]:
                games.append(infos[i]["episode"]["l"])
            else:
                lives_lost += 1
    env.close()
    # Unserved, a ball never falls: without the FIRE the first lost life would be the last.
    assert len(games) >= 4 and lives_lost >= 4 * len(games)
    # Five missed serves: about 530 raw frames, or 1,420 when a ball hits a brick first.
    assert all(400 < length < 1600 for length in games)


def test_rewards_are_clipped_for_training_only_and_scores_stay_real() -> None:
    """Training gets reward signs, evaluation real points; both report real game scores.

    Space Invaders pays 5-30 points per alien, so clipping is visible at once.
    """
    for evaluation in (False, True):
        env = make_ale_vector_env(settings("space_invaders", evaluation), 2, seed=3)
        rewards, scores, dones = [], [], 0
        since_game = np.zeros(env.num_envs)  # rewards since each game started
        for _, _, step_rewards, step_dones, infos in play(env, 1200):
            rewards.extend(step_rewards)
            since_game += step_rewards
            dones += int(step_dones.sum())
            for i, info in enumerate(infos):
                if "episode" in info:
                    scores.append((info["episode"]["r"], since_game[i]))
                    since_game[i] = 0.0
        env.close()
        assert scores  # whole games finished
        if evaluation:
            assert max(rewards) > 1 and dones == len(scores)  # real points, one done per game
            assert all(score == total for score, total in scores)
        else:
            assert set(rewards) <= {-1.0, 0.0, 1.0} and dones > len(scores)  # lives end too
            assert all(score > total > 0 for score, total in scores)  # the score stays real


def test_evaluate_policy_counts_full_games_on_a_training_env() -> None:
    """Even with life-loss dones, evaluate_policy sees whole games through info["episode"]."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.evaluation import evaluate_policy

    env = make_ale_vector_env(settings(), n_envs=1, seed=0)
    assert isinstance(env.unwrapped, AleVectorVecEnv) and env.env_is_wrapped(Monitor) == [True]
    model = PPO("CnnPolicy", env, n_steps=8, batch_size=8, device="cpu", seed=0)
    # Sampled actions press FIRE sooner or later; an untrained argmax may never serve the ball.
    scores, lengths = evaluate_policy(
        model, env, n_eval_episodes=2, deterministic=False, return_episode_rewards=True
    )
    env.close()
    assert len(scores) == 2
    # five lives of raw frames (five missed serves alone take about 530), not one life's ~140
    assert min(lengths) > 400
