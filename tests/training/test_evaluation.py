"""Evaluations: Q-learners act with a fixed epsilon, one owner decides the best model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from stable_baselines3 import DQN

from simple_game.model.acting import EvaluationAgent, evaluation_agent
from simple_game.records.paths import RunPaths
from simple_game.records.summary import RunRecord
from tests.conftest import TINY, read_summary, run_cli, tiny


def test_a_q_learner_with_a_high_training_epsilon_acts_greedily_at_the_stated_epsilon() -> None:
    model = DQN("MlpPolicy", "CartPole-v1", learning_starts=10, device="cpu", seed=0)
    model.exploration_rate = 0.9  # what an early checkpoint carries
    obs = np.random.default_rng(0).normal(size=(400, 4)).astype(np.float32)
    greedy, _ = model.predict(obs, deterministic=True)
    # SB3's own sampled actions explore at the training epsilon: about 45% differ (2 actions).
    sb3_actions, _ = model.predict(obs, deterministic=False)
    assert np.mean(sb3_actions != greedy) > 0.3
    agent, epsilon = evaluation_agent(model, deterministic=False, epsilon=0.05, seed=0)
    assert isinstance(agent, EvaluationAgent) and epsilon == 0.05
    actions, _ = agent.predict(obs)
    assert np.mean(actions != greedy) < 0.1  # only the 5% random actions (half of them differ)
    greedy_agent, zero = evaluation_agent(model, deterministic=True, epsilon=0.05)
    assert zero == 0.0 and np.array_equal(greedy_agent.predict(obs)[0], greedy)


def test_an_actor_critic_is_evaluated_as_it_is(tmp_path: Path) -> None:
    from stable_baselines3 import PPO

    model = PPO("MlpPolicy", "CartPole-v1", n_steps=64, device="cpu")
    agent, epsilon = evaluation_agent(model, deterministic=False, epsilon=0.05)
    assert agent.model is model and agent.epsilon is None and epsilon is None  # no epsilon
    obs = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    greedy, _ = model.predict(obs, deterministic=True)
    assert np.array_equal(agent.predict(obs, deterministic=True)[0], greedy)


def test_after_a_resume_a_worse_evaluation_does_not_replace_the_best(tmp_path: Path) -> None:
    first = RunRecord(tmp_path)
    assert first.add_evaluation(1000, [5.0, 7.0], [100, 100], 10.0)  # best so far: 6
    assert not first.add_evaluation(2000, [1.0, 1.0], [100, 100], 20.0)
    resumed = RunRecord(tmp_path, resume=True)  # a new process reads the record back
    assert not resumed.add_evaluation(3000, [4.0, 4.0], [100, 100], 30.0)  # 4 < 6: not best
    assert resumed.add_evaluation(4000, [9.0, 9.0], [100, 100], 40.0)
    assert read_summary(tmp_path)["best_eval_mean_reward"] == 9.0


def test_the_best_model_step_is_recorded_and_speed_agrees_with_time(tmp_path: Path) -> None:
    record = RunRecord(tmp_path)
    record.add_evaluation(1000, [5.0], [100], 10.0)
    record.add_evaluation(2000, [1.0], [100], 20.0)
    # A resumed run: 1,000 steps over 10 s in all, though this session ran at 250 steps/s.
    record.progress(1000, 10.0, 250.0)
    summary = read_summary(tmp_path)
    assert summary["best_eval_timesteps"] == 1000  # best_model.zip holds the 1,000-step model
    assert summary["steps_per_s"] == summary["timesteps"] / summary["wall_time_s"] == 100
    assert summary["session_steps_per_s"] == 250


def test_a_resumed_run_evaluates_on_the_fresh_runs_step_grid(tmp_path: Path) -> None:
    from simple_game.training.checkpoints import AtomicCheckpointCallback
    from simple_game.training.evaluation import Evaluator, PeriodicEvaluation

    record = RunRecord(tmp_path)
    evaluator = Evaluator(
        env=None,  # type: ignore[arg-type]  # never played: only the step grid is tested
        env_cfg=None,  # type: ignore[arg-type]
        n_games=1,
        deterministic=False,
        epsilon=0.01,
        seed=0,
        record=record,
        paths=RunPaths(tmp_path),
        stopwatch=None,  # type: ignore[arg-type]
    )
    evaluation = PeriodicEvaluation(evaluator, eval_freq=100_000)
    checkpoints = AtomicCheckpointCallback(tmp_path, "ppo", 50_000, 3, with_replay_buffer=False)
    for callback in (evaluation, checkpoints):
        callback.num_timesteps = 169_992  # where the stopped run's checkpoint was
        callback._on_training_start()
    assert evaluation.next_eval == 200_000  # not 269,992
    assert checkpoints.next_save == 200_000


@pytest.mark.slow
def test_an_early_dqn_checkpoint_is_evaluated_at_the_stated_epsilon(workdir: Path) -> None:
    # Epsilon falls over the whole budget, so the 128-step checkpoint still explores at ~0.5.
    args = [*TINY, "algo=dqn", "algo.buffer_size=1000", "algo.learning_starts=64",
            "algo.exploration_fraction=1.0", "env.max_frames_per_episode=400",
            "hydra.run.dir=runs/dqn"]  # fmt: skip
    assert run_cli(args, workdir).returncode == 0
    run = workdir / "runs" / "dqn"
    assert DQN.load(run / "checkpoints" / "dqn_128_steps.zip").exploration_rate > 0.4
    evaluated = run_cli(
        [f"run={run}", "checkpoint=128", "episodes=1"], workdir, module="simple_game.evaluate"
    )
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    assert "epsilon-greedy actions with a fixed epsilon 0.01" in evaluated.stdout
    (result,) = (run / "evaluations").glob("*.json")
    assert json.loads(result.read_text())["epsilon"] == 0.01
    # Periodic evaluations during training record theirs too.
    periodic = [json.loads(line) for line in (run / "evaluations.jsonl").open()]
    assert periodic and all(e["epsilon"] == 0.01 for e in periodic)


def test_a_run_stopped_at_its_target_checks_the_score_on_other_games(workdir: Path) -> None:
    # The stop leaves the weights of the last periodic evaluation; PQN's epsilon-greedy play
    # repeats with the seed, so the final evaluation would replay the same games if it
    # reused the periodic evaluations' seed (seen in the pong_pqn reference runs).
    args = [*tiny("pqn"), "seed=3", "train.target_score=-100", "train.n_eval_episodes=2",
            "train.eval_envs=2", "hydra.run.dir=runs/pqn"]  # fmt: skip
    trained = run_cli(args, workdir)
    assert trained.returncode == 0, trained.stderr[-3000:]
    *periodic, final = [
        json.loads(line) for line in (workdir / "runs/pqn/evaluations.jsonl").open()
    ]
    assert final["timesteps"] == periodic[-1]["timesteps"]  # the same weights
    assert {e["seed"] for e in periodic} == {3 + 10_000}  # every periodic one: the same games
    assert final["seed"] == 3 + 10_000 + 2  # after the 2 periodic games' seeds: none shared
    assert final["episode_lengths"] != periodic[-1]["episode_lengths"]


@pytest.mark.slow
def test_a_short_run_leaves_checkpoints_for_latest_and_records_its_clip(workdir: Path) -> None:
    # No train.checkpoint_freq given: auto, a tenth of the budget. No evaluation falls
    # within the budget, so train.video=true records its clip after the final evaluation.
    args = ["algo=ppo", "algo.n_steps=32", "algo.batch_size=64", "train.total_timesteps=512",
            "train.eval_freq=100000", "train.n_eval_episodes=1", "train.progress_bar=false",
            "train.video=true", "env.max_frames_per_episode=400", "hydra.run.dir=runs/short"]  # fmt: skip
    trained = run_cli(args, workdir)
    assert trained.returncode == 0, trained.stderr[-3000:]
    console = trained.stdout + trained.stderr
    assert "no evaluation falls within the budget" in console
    run = workdir / "runs" / "short"
    assert list((run / "videos").glob("train_*_steps.mp4"))
    assert len(list((run / "checkpoints").glob("ppo_*_steps.zip"))) >= 2  # first + newest
    evaluated = run_cli(
        [f"run={run}", "checkpoint=latest", "episodes=1"], workdir, module="simple_game.evaluate"
    )
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    (played,) = [json.loads(p.read_text()) for p in (run / "evaluations").glob("*.json")]
    steps = max(int(p.stem.split("_")[1]) for p in (run / "checkpoints").glob("ppo_*_steps.zip"))
    assert (played["checkpoint"], played["model_timesteps"]) == (f"ppo_{steps}_steps", steps)
