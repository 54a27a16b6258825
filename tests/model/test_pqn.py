"""PQN: its Q(lambda) targets, its LayerNorm network, and that it is a full SB3 citizen."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch as th
from gymnasium import spaces
from omegaconf import OmegaConf
from torch import nn

from simple_game.config.groups import CONF_DIR
from simple_game.config.overrides import flatten
from simple_game.model.networks import LayerNormNatureCNN
from simple_game.model.pqn import PQN, q_lambda_returns
from tests.conftest import read_summary, run_cli, tensorboard_scalars, tiny

SPACE = spaces.Box(0, 255, (4, 84, 84), np.uint8)


def returns_of(rewards, dones, max_q, last_max_q, gamma, lam) -> list[list[float]]:
    as_tensor = lambda x: th.tensor(x, dtype=th.float32)  # noqa: E731
    out = q_lambda_returns(
        as_tensor(rewards), as_tensor(dones), as_tensor(max_q), as_tensor(last_max_q), gamma, lam
    )
    return out.tolist()


def test_q_lambda_targets_match_a_hand_computed_rollout() -> None:
    # Two games, three steps. Game 0 ends at step 1; game 1 runs on past the rollout.
    rewards = [[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]]
    dones = [[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]
    max_q = [[10.0, 1.0], [20.0, 2.0], [30.0, 3.0]]  # max_a Q(s_t, a) when acting in s_t
    last = [40.0, 4.0]  # max_a Q of the observation after the last step
    g = returns_of(rewards, dones, max_q, last, gamma=0.5, lam=0.5)
    # Game 0, backwards. t=2: the rollout's end bootstraps fully: 2 + 0.5 * 40 = 22.
    # t=1: the episode ended here, so nothing after it counts: 0.
    # t=0: 1 + 0.5 * (0.5 * max_q[1] + 0.5 * G_1) = 1 + 0.5 * (10 + 0) = 6.
    assert [row[0] for row in g] == pytest.approx([6.0, 0.0, 22.0])
    # Game 1. t=2: 0 + 0.5 * 4 = 2. t=1: 1 + 0.5 * (0.5 * 3 + 0.5 * 2) = 2.25.
    # t=0: 0 + 0.5 * (0.5 * 2 + 0.5 * 2.25) = 1.0625.
    assert [row[1] for row in g] == pytest.approx([1.0625, 2.25, 2.0])


def test_lambda_zero_is_the_one_step_q_learning_target() -> None:
    g = returns_of([[1.0], [0.0]], [[0.0], [0.0]], [[5.0], [7.0]], [9.0], gamma=0.9, lam=0.0)
    assert [row[0] for row in g] == pytest.approx([1 + 0.9 * 7.0, 0 + 0.9 * 9.0])


def test_lambda_one_sums_the_rewards_to_the_rollouts_end() -> None:
    g = returns_of([[1.0], [2.0]], [[0.0], [0.0]], [[5.0], [7.0]], [9.0], gamma=0.9, lam=1.0)
    assert g[0][0] == pytest.approx(1 + 0.9 * 2 + 0.9**2 * 9.0)


def test_layernorm_network_normalises_every_layer() -> None:
    net = LayerNormNatureCNN(SPACE)
    norms = [m for m in net.modules() if isinstance(m, nn.LayerNorm)]
    assert [tuple(n.normalized_shape) for n in norms] == [
        (32, 20, 20),
        (64, 9, 9),
        (64, 7, 7),
        (512,),
    ]
    assert net(th.rand(3, 4, 84, 84)).shape == (3, 512)
    # The same convolutions and dense layer as the Nature CNN: 3136 -> 512.
    assert net.linear[0].in_features == 64 * 7 * 7


def test_pqn_saves_and_loads_in_a_session_that_imports_only_its_module(tmp_path: Path) -> None:
    from simple_game.envs.build import make_env
    from tests.conftest import env_config

    env = make_env(env_config("pong"), n_envs=2, seed=0)
    model = PQN("CnnPolicy", env, n_steps=16, batch_size=16, seed=0, device="cpu")
    model.learn(64)
    obs = env.reset()
    expected, _ = model.predict(obs, deterministic=True)
    q_values = model.policy(th.as_tensor(obs)).detach().numpy()
    model.save(tmp_path / "pqn")
    np.save(tmp_path / "obs.npy", obs)
    env.close()
    probe = (
        "import numpy as np, sys\n"
        "from simple_game.model.pqn import PQN\n"
        f"m = PQN.load({str(tmp_path / 'pqn.zip')!r}, device='cpu')\n"
        f"obs = np.load({str(tmp_path / 'obs.npy')!r})\n"
        "action, _ = m.predict(obs, deterministic=True)\n"
        "import torch as th\n"
        "print('ACTIONS', list(action), 'STEPS', m.num_timesteps)\n"
        "print('Q', m.policy(th.as_tensor(obs)).detach().numpy().tolist())\n"
        "print('LOADED', sorted(k for k in sys.modules if k.startswith('simple_game')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert lines["ACTIONS"] == f"{list(expected)} STEPS 64"
    assert np.allclose(np.array(eval(lines["Q"])), q_values, atol=1e-5)
    assert "simple_game.training" not in lines["LOADED"]


def test_exploration_follows_its_schedule_and_predict_explores_game_by_game() -> None:
    from simple_game.envs.build import make_env
    from tests.conftest import env_config

    env = make_env(env_config("pong"), n_envs=2, seed=0)
    model = PQN("CnnPolicy", env, n_steps=16, batch_size=16, exploration_fraction=0.5, seed=0)
    model.learn(128)  # epsilon reaches its final value half-way through
    assert model.exploration_rate == pytest.approx(0.01)
    obs = np.repeat(env.reset()[:1], 400, axis=0)  # one observation, 400 games
    greedy, _ = model.predict(obs, deterministic=True)
    assert len(set(greedy.tolist())) == 1  # the same observation, the same greedy action
    model.exploration_rate = 0.5  # predict(deterministic=False) acts on the current epsilon
    explored, _ = model.predict(obs, deterministic=False)
    # Game by game: about half explore, and a random action differs from the greedy one 5
    # times in 6 (SB3's DQN.predict would explore all 400 or none).
    assert 0.3 < np.mean(explored != greedy) < 0.55
    env.close()


def test_a_game_cut_at_the_frame_cap_bootstraps_from_its_last_frame() -> None:
    from simple_game.envs.build import make_env
    from tests.conftest import env_config

    env = make_env(env_config("pong"), n_envs=3, seed=0)
    model = PQN("CnnPolicy", env, n_steps=16, batch_size=16, gamma=0.9, seed=0)
    last = env.reset()
    rewards = np.array([1.0, -1.0, 0.0], dtype=np.float32)
    dones = np.array([True, True, False])
    infos = [
        {"terminal_observation": last[0], "TimeLimit.truncated": True},  # cut by the clock
        {"terminal_observation": last[1], "TimeLimit.truncated": False},  # a real end
        {},
    ]
    bootstrapped = model._bootstrap_cut_games(rewards, dones, infos)
    with th.no_grad():
        q_last = model.policy(th.as_tensor(last[:1])).max().item()
    assert bootstrapped[0] == pytest.approx(1.0 + 0.9 * q_last, rel=1e-5)
    assert bootstrapped[1:].tolist() == [
        -1.0,
        0.0,
    ]  # a real end has no future; a live game none yet
    env.close()


@pytest.mark.slow
def test_pqn_run_logs_q_values_and_resumes(
    algo_run: Callable[[str, str], Path], workdir: Path
) -> None:
    trained = algo_run("pqn", "pong")  # 512 steps, shared (tests/conftest.py)
    scalars = tensorboard_scalars(trained)
    assert {"train/q_values", "train/loss", "rollout/exploration_rate"} <= scalars.keys()
    assert all(np.isfinite(v) for _, v in scalars["train/q_values"])
    assert read_summary(trained)["policy"] == "layernorm_nature_cnn"

    run_dir = workdir / "pqn"  # resuming writes into the run: a copy of the shared one
    shutil.copytree(trained, run_dir)
    resumed = run_cli([f"resume={run_dir}", "train.total_timesteps=768"], workdir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming from pqn_512_steps.zip" in resumed.stdout + resumed.stderr
    assert read_summary(run_dir)["timesteps"] >= 768

    evaluated = run_cli([f"run={run_dir}", "episodes=1"], workdir, module="simple_game.evaluate")
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert "pqn on pong" in evaluated.stdout


PQN_SPACE = flatten(OmegaConf.load(CONF_DIR / "search_space" / "pqn.yaml"))


@pytest.mark.slow
def test_two_trial_optuna_sweep_on_pqn(workdir: Path) -> None:
    args = [
        "-m",
        "hydra/sweeper=optuna",
        *tiny("pqn"),
        "env=pong",
        "hydra.sweeper.n_trials=2",
        f"hydra.sweeper.storage=sqlite:///{workdir / 'optuna.db'}",
        "hydra.sweep.dir=multirun/pqn",
        "hydra.sweeper.sampler.seed=0",
        "env.max_frames_per_episode=400",  # short evaluation games: the sweep is what is tested
    ]
    done = run_cli(args, workdir, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = OmegaConf.load(workdir / "multirun" / "pqn" / "optimization_results.yaml")
    assert "complete: 2" in OmegaConf.to_yaml(results)
    # PQN's own search space was sampled: its keys are the best trial's parameters
    assert results.best_value is not None and set(results.best_params) <= set(PQN_SPACE)
