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
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback, EventCallback
from stable_baselines3.common.evaluation import evaluate_policy

from simple_game.doctor.watch import HealthWatch
from simple_game.model.acting import evaluation_agent
from simple_game.records.evaluations import all_cut_at_cap, cap_note
from simple_game.records.paths import STEP_COLUMN, RunPaths
from simple_game.records.summary import RunRecord
from simple_game.records.video import TRAIN_CLIP_SECONDS, record_clip, video_fps
from simple_game.text import plural
from simple_game.training.progress import Stopwatch
from simple_game.training.tally import play_tally

if TYPE_CHECKING:
    from stable_baselines3.common.base_class import BaseAlgorithm
    from stable_baselines3.common.vec_env import VecEnv

    from simple_game.config.schema import EnvConf

log = logging.getLogger(__name__)


class Score(NamedTuple):
    """One evaluation: mean and spread of the full-game scores, mean game length in frames,
    and whether it was the run's best (the model was then saved as best_model.zip)."""

    mean: float
    std: float
    mean_length: float
    is_best: bool
    epsilon: float | None  # the Q-learner's fixed chance of a random action (None: actor-critic)


@dataclass(kw_only=True)  # nine settings: each is named where an Evaluator is built
class Evaluator:
    """Plays ``n_games`` full games with a model and stores the result in the run's record."""

    env: VecEnv  # full games, unclipped scores (make_env(..., evaluation=True))
    env_cfg: EnvConf  # the run's env group: game, frame cap, how training rewards are seen
    n_games: int
    deterministic: bool
    epsilon: float  # Q-learners' chance of a random action (model/acting.py)
    seed: int  # of the games and of the agent's random numbers: the same in every evaluation
    record: RunRecord
    paths: RunPaths
    stopwatch: Stopwatch

    @property
    def max_frames(self) -> int:
        """env.max_frames_per_episode: a game this long was cut, not finished."""
        return self.env_cfg.max_frames_per_episode

    def __call__(self, model: BaseAlgorithm, other_games: bool = False) -> Score:
        """Evaluate ``model`` at its current step count.

        Every periodic evaluation starts the same games (same seeds, so the same no-op starts):
        two of them then differ by the model and its own sampled actions, not by the games.
        ``other_games`` plays games none of them played, for the final evaluation: a run
        stopped at its target ends on the weights of its last periodic evaluation, and a
        Q-learner's epsilon-greedy play repeats with the seed, so the same seed would replay
        the very games that reached the target instead of checking the score on new ones.

        The model is saved as ``best_model.zip`` when the record says this is the run's best.
        """
        seed = self.seed + self.env.num_envs if other_games else self.seed  # no seed shared
        agent, epsilon = evaluation_agent(model, self.deterministic, self.epsilon, seed)
        tally = play_tally(agent, self.env_cfg, self.env.num_envs)
        self.env.seed(seed)
        rewards, lengths = evaluate_policy(
            agent,
            self.env,
            n_eval_episodes=self.n_games,
            deterministic=self.deterministic,
            return_episode_rewards=True,
            callback=tally,
        )
        steps = model.num_timesteps
        wall_time_s = self.stopwatch.total()
        is_best = self.record.add_evaluation(
            steps, rewards, lengths, wall_time_s, epsilon, seed, tally.summary()
        )
        if is_best:
            model.save(self.paths.best_model)
        if all_cut_at_cap(lengths, self.max_frames):  # Monitor counts raw frames
            log.warning("Evaluation at %s steps: %s.", f"{steps:,}", cap_note(self.max_frames))
        mean, std = float(np.mean(rewards)), float(np.std(rewards))
        return Score(mean, std, float(np.mean(lengths)), is_best, epsilon)


class PeriodicEvaluation(EventCallback):
    """Every ``eval_freq`` agent steps, counted from step 0 of the run: evaluate, then run the
    ``after_eval`` callbacks (a video clip, an Optuna report, a target score), which read this
    callback as their ``parent``: ``last_mean_reward``, ``best_mean_reward`` (the names SB3's
    ``EvalCallback`` gives them) and ``n_evaluations``.
    """

    def __init__(
        self, evaluator: Evaluator, eval_freq: int, after_eval: BaseCallback | None = None
    ) -> None:
        super().__init__(after_eval)
        self.evaluator = evaluator
        self.eval_freq = eval_freq
        self.next_eval = eval_freq
        self.health = HealthWatch(evaluator.paths.root)
        self.last_mean_reward = float("nan")
        self.n_evaluations = 0  # in this session of the run

    @property
    def best_mean_reward(self) -> float:
        """The run's best evaluation so far (the record's, so a resumed run keeps it)."""
        best = self.evaluator.record.best_eval
        return float("-inf") if best is None else best

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
            "eval at %s steps: score %.1f ± %.1f over %s%s (best so far %.1f)",
            f"{self.num_timesteps:,}",
            score.mean,
            score.std,
            plural(self.evaluator.n_games, "full game"),
            f" at epsilon {score.epsilon:g}" if score.epsilon is not None else "",
            self.evaluator.record.best_eval,
        )
        # As SB3's EvalCallback: the scores in TensorBoard and progress.csv at this step.
        self.logger.record("eval/mean_reward", score.mean)
        self.logger.record("eval/mean_ep_length", score.mean_length)
        self.logger.record(STEP_COLUMN, self.num_timesteps, exclude="tensorboard")
        self.logger.dump(self.num_timesteps)
        self.health.warn_new()
        return self._on_event()


def record_train_clip(model: BaseAlgorithm, evaluator: Evaluator) -> Path:
    """Record ``videos/train_<steps>_steps.mp4``: the model playing as it is evaluated.

    The clip is played in its own full-game env, so the evaluation games stay untouched.
    """
    from simple_game.envs.build import make_env

    fps = video_fps(evaluator.env_cfg.wrapper.frame_skip)
    venv = make_env(
        evaluator.env_cfg, n_envs=1, seed=evaluator.seed, evaluation=True, render_mode="rgb_array"
    )
    agent, _ = evaluation_agent(model, evaluator.deterministic, evaluator.epsilon, evaluator.seed)
    try:
        files = record_clip(
            agent,
            venv,
            evaluator.paths.train_video(model.num_timesteps),
            fps,
            evaluator.deterministic,
            max_steps=int(TRAIN_CLIP_SECONDS * fps),
        )
    finally:
        venv.close()
    log.info("video of the policy at %s steps: %s", f"{model.num_timesteps:,}", files[0])
    return files[0]


class TrainVideoCallback(BaseCallback):
    """After each periodic evaluation, record a clip (:func:`record_train_clip`).

    Watching these clips side by side is the quickest way to see a policy improve.
    """

    def __init__(self, evaluator: Evaluator) -> None:
        super().__init__()
        self.evaluator = evaluator

    def _on_step(self) -> bool:
        record_train_clip(self.model, self.evaluator)
        return True
