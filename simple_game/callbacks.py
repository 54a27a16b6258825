"""Callbacks that make a training run observable: console lines, eval history, heartbeat.

SB3 already provides evaluation (``EvalCallback``), checkpoints (``CheckpointCallback``) and
the progress bar; what it lacks is a plain-language progress line for newcomers and a
machine-readable record of the run, which is what these add.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback, EvalCallback

from simple_game.rundir import RunRecord, append_evaluation

log = logging.getLogger(__name__)


@dataclass
class Stopwatch:
    """Training time of a run, across the sessions of a resumed run.

    ``session()`` times this process (for steps/s); ``total()`` adds the wall time of earlier
    sessions (for summary.json's ``wall_time_s``).
    """

    previous_s: float = 0.0
    start_steps: int = 0
    started: float = field(default_factory=time.monotonic)
    stopped: float | None = None

    def stop(self) -> None:
        """End of training: the final evaluation does not count as training time."""
        self.stopped = time.monotonic()

    def session(self) -> float:
        return (self.stopped or time.monotonic()) - self.started

    def total(self) -> float:
        return self.previous_s + self.session()

    def steps_per_s(self, timesteps: int) -> float:
        elapsed = self.session()
        return (timesteps - self.start_steps) / elapsed if elapsed > 0 else 0.0


def format_duration(seconds: float) -> str:
    """``3725`` -> ``"1h02m"``; ``95`` -> ``"1m35s"``."""
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class EvalHistoryCallback(BaseCallback):
    """Runs after each ``EvalCallback`` evaluation: one line in evaluations.jsonl, summary update.

    Pass it as ``EvalCallback(callback_after_eval=...)``; ``self.parent`` is then the
    EvalCallback, whose logs hold the episode scores just measured.
    """

    parent: EvalCallback

    def __init__(self, run_dir: Path, record: RunRecord, stopwatch: Stopwatch) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.record = record
        self.stopwatch = stopwatch

    def _on_step(self) -> bool:
        rewards = np.asarray(self.parent.evaluations_results[-1], dtype=float)
        lengths = self.parent.evaluations_length[-1]
        record_evaluation(
            self.run_dir, self.record, self.num_timesteps, rewards, lengths, self.stopwatch.total()
        )
        log.info(
            "eval at %s steps: score %.1f ± %.1f over %d full games (best so far %.1f)",
            f"{self.num_timesteps:,}",
            rewards.mean(),
            rewards.std(),
            len(rewards),
            self.record.data["best_eval_mean_reward"],
        )
        return True


def record_evaluation(
    run_dir: Path,
    record: RunRecord,
    timesteps: int,
    rewards: np.ndarray,
    lengths: list[int],
    wall_time_s: float,
) -> None:
    """Store one evaluation in evaluations.jsonl and fold it into summary.json."""
    mean, std = float(np.mean(rewards)), float(np.std(rewards))
    append_evaluation(
        run_dir,
        {
            "timesteps": int(timesteps),
            "mean_reward": mean,
            "std_reward": std,
            "episode_rewards": [float(r) for r in rewards],
            "episode_lengths": [int(n) for n in lengths],
            "wall_time_s": round(wall_time_s, 2),
        },
    )
    best = record.data["best_eval_mean_reward"]
    record.update(
        eval_mean_reward=mean,
        eval_std_reward=std,
        eval_episodes=len(rewards),
        best_eval_mean_reward=mean if best is None else max(best, mean),
    )


class ProgressReportCallback(BaseCallback):
    """Every ``interval_s`` seconds: a plain-language console line and a summary.json heartbeat.

    The line answers a newcomer's questions: how far along, how fast, how long to go, how
    well the agent plays in training games (full-game scores, last 100 games) and at the last
    evaluation.
    """

    def __init__(
        self,
        record: RunRecord,
        total_timesteps: int,
        interval_s: float,
        stopwatch: Stopwatch,
        label: str,
    ) -> None:
        super().__init__()
        self.record = record
        self.total_timesteps = total_timesteps
        self.interval_s = interval_s
        self.stopwatch = stopwatch
        self.label = label
        self.last_report = time.monotonic()

    def _on_step(self) -> bool:
        now = time.monotonic()
        if now - self.last_report >= self.interval_s:
            self.last_report = now
            self.report()
        return True

    def report(self) -> None:
        speed = self.stopwatch.steps_per_s(self.num_timesteps)
        self.record.update(
            timesteps=int(self.num_timesteps),
            wall_time_s=round(self.stopwatch.total(), 2),
            steps_per_s=round(speed, 1),
        )
        left = (self.total_timesteps - self.num_timesteps) / speed if speed > 0 else 0.0
        parts = [
            f"[{self.label}] {self.num_timesteps:,}/{self.total_timesteps:,} steps "
            f"({100 * self.num_timesteps / self.total_timesteps:.0f}%)",
            f"{speed:,.0f} steps/s",
            f"about {format_duration(left)} left",
        ]
        episodes = [info["r"] for info in self.model.ep_info_buffer or []]
        if episodes:
            parts.append(
                f"training games: avg score {np.mean(episodes):.1f} over the last {len(episodes)}"
            )
        else:
            parts.append("no training game finished yet")
        last_eval = self.record.data["eval_mean_reward"]
        if last_eval is not None:
            parts.append(f"last eval {last_eval:.1f} ± {self.record.data['eval_std_reward']:.1f}")
        log.info(" | ".join(parts))
