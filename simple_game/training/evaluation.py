"""Evaluations during training: full games on the run's step grid, recorded, best model kept.

SB3's ``EvalCallback`` counts its interval from its own creation, so a resumed run would
evaluate at other step counts than a fresh one, and it keeps its own idea of the best score,
which restarts at minus infinity on a resume. Here evaluations fall on multiples of
``train.eval_freq`` agent steps for fresh and resumed runs alike, and the run's record
(:class:`~simple_game.records.summary.RunRecord`) decides which evaluation is the best, so
``best_model.zip`` is only ever replaced by a better model. The games are played by SB3's own
``evaluate_policy``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback, EventCallback
from stable_baselines3.common.evaluation import evaluate_policy

from simple_game.records.paths import RunPaths
from simple_game.records.summary import RunRecord
from simple_game.records.video import TRAIN_CLIP_SECONDS, record_clip, video_fps
from simple_game.training.progress import Stopwatch

if TYPE_CHECKING:
    from omegaconf import DictConfig
    from stable_baselines3.common.base_class import BaseAlgorithm
    from stable_baselines3.common.vec_env import VecEnv

log = logging.getLogger(__name__)


class Score(NamedTuple):
    """One evaluation: mean and spread of the full-game scores, mean game length in frames."""

    mean: float
    std: float
    mean_length: float


@dataclass
class Evaluator:
    """Plays ``n_games`` full games with a model and stores the result in the run's record."""

    env: VecEnv  # full games, unclipped scores (make_env(..., evaluation=True))
    n_games: int
    deterministic: bool
    record: RunRecord
    paths: RunPaths
    stopwatch: Stopwatch

    def __call__(self, model: BaseAlgorithm) -> Score:
        """Evaluate ``model`` at its current step count.

        The model is saved as ``best_model.zip`` when the record says this is the run's best.
        """
        rewards, lengths = evaluate_policy(
            model,
            self.env,
            n_eval_episodes=self.n_games,
            deterministic=self.deterministic,
            return_episode_rewards=True,
        )
        steps = model.num_timesteps
        if self.record.add_evaluation(steps, rewards, lengths, self.stopwatch.total()):
            model.save(self.paths.best_model)
        return Score(float(np.mean(rewards)), float(np.std(rewards)), float(np.mean(lengths)))


class PeriodicEvaluation(EventCallback):
    """Every ``eval_freq`` agent steps, counted from step 0 of the run: evaluate, then run the
    ``after_eval`` callbacks (a video clip, an Optuna report), which read this callback as their
    ``parent``: ``last_mean_reward`` and ``n_evaluations``.
    """

    def __init__(
        self, evaluator: Evaluator, eval_freq: int, after_eval: BaseCallback | None = None
    ) -> None:
        super().__init__(after_eval)
        self.evaluator = evaluator
        self.eval_freq = eval_freq
        self.next_eval = eval_freq
        self.last_mean_reward = float("nan")
        self.n_evaluations = 0  # in this session of the run

    def _on_training_start(self) -> None:
        self.next_eval = (self.num_timesteps // self.eval_freq + 1) * self.eval_freq

    def _on_step(self) -> bool:
        if self.num_timesteps < self.next_eval:
            return True
        while self.next_eval <= self.num_timesteps:
            self.next_eval += self.eval_freq
        score = self.evaluator(self.model)
        self.last_mean_reward = score.mean
        self.n_evaluations += 1
        log.info(
            "eval at %s steps: score %.1f ± %.1f over %d full games (best so far %.1f)",
            f"{self.num_timesteps:,}",
            score.mean,
            score.std,
            self.evaluator.n_games,
            self.evaluator.record.best_eval,
        )
        # As SB3's EvalCallback: the scores in TensorBoard and progress.csv at this step.
        self.logger.record("eval/mean_reward", score.mean)
        self.logger.record("eval/mean_ep_length", score.mean_length)
        self.logger.record("time/total_timesteps", self.num_timesteps, exclude="tensorboard")
        self.logger.dump(self.num_timesteps)
        return self._on_event()


class TrainVideoCallback(BaseCallback):
    """After each periodic evaluation, record ``videos/train_<steps>_steps.mp4``.

    Watching these clips side by side is the quickest way to see a policy improve. The clip
    is played in its own full-game env, so the evaluation games stay untouched.
    """

    def __init__(
        self, env_cfg: DictConfig, paths: RunPaths, seed: int, deterministic: bool
    ) -> None:
        super().__init__()
        self.env_cfg = env_cfg
        self.paths = paths
        self.seed = seed
        self.deterministic = deterministic

    def _on_step(self) -> bool:
        from simple_game.envs.build import make_env

        fps = video_fps(self.env_cfg)
        venv = make_env(
            self.env_cfg, n_envs=1, seed=self.seed, evaluation=True, render_mode="rgb_array"
        )
        try:
            files = record_clip(
                self.model,
                venv,
                self.paths.train_video(self.num_timesteps),
                fps,
                self.deterministic,
                max_steps=int(TRAIN_CLIP_SECONDS * fps),
            )
        finally:
            venv.close()
        log.info("video of the policy at %s steps: %s", f"{self.num_timesteps:,}", files[0])
        return True
