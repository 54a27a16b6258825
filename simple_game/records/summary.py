"""``summary.json``: what a run is, how far it got and how well it plays, kept current.

Other tools (the report, evaluation, sweeps) read this small file rather than the heavy ones
(checkpoints, TensorBoard events), so deleting heavy files never loses a run's record.
docs/run-directory.md lists every key.

:class:`RunRecord` is the only writer. Training code tells it what happened (progress, an
evaluation, the end) through its methods, and it decides what follows, such as whether an
evaluation is the run's best so far, for fresh and resumed runs alike.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from simple_game.records.evaluations import Evaluation, append_evaluation
from simple_game.records.files import write_json_atomic
from simple_game.records.machine import machine_name
from simple_game.records.paths import RunPaths
from simple_game.records.run_summary import RunSummary, read_summary

# Packages whose versions decide what a run does; recorded so results can be reproduced.
RECORDED_PACKAGES = (
    "torch",
    "stable-baselines3",
    "sb3-contrib",
    "gymnasium",
    "ale-py",
    "hydra-core",
    "numpy",
)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_commit() -> str | None:
    """The project's git commit, or None outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def read_overrides(run_dir: Path) -> list[str]:
    """The command-line overrides Hydra saved for a run (.hydra/overrides.yaml)."""
    path = RunPaths(run_dir).hydra_overrides
    try:
        return [str(o) for o in OmegaConf.load(path)] if path.exists() else []
    except Exception:  # noqa: BLE001 - a damaged file means "overrides unknown", not a crash
        return []


class RunRecord:
    """``summary.json`` of one run (a :class:`RunSummary`), rewritten atomically on every change.

    ``identity`` says what the run is (its algo, game, seed, ...), as :class:`RunSummary`'s
    fields. A resumed run continues the record it finds (start time, best score, wall time so
    far).
    """

    def __init__(self, run_dir: Path, resume: bool = False, **identity: Any) -> None:
        self.run_dir = run_dir
        self.path = RunPaths(run_dir).summary
        previous = read_summary(run_dir) if resume else None
        if previous is not None:
            self.summary = replace(
                previous, **identity, status="running", error=None, finished_at=None,
                resumes=previous.resumes + 1,
            )  # fmt: skip
        else:
            now = utc_now()
            self.summary = RunSummary(
                **identity, status="running", started_at=now, updated_at=now,
                versions=package_versions(),
                git_commit=git_commit(), machine=machine_name(),
            )  # fmt: skip
        self.write()

    @property
    def wall_time_s(self) -> float:
        """Training time recorded so far, over every session of a resumed run."""
        return self.summary.wall_time_s

    @property
    def last_eval(self) -> tuple[float, float] | None:
        """(mean, std) of the latest evaluation, or None before the first."""
        mean, std = self.summary.eval_mean_reward, self.summary.eval_std_reward
        return None if mean is None else (mean, std or 0.0)

    @property
    def best_eval(self) -> float | None:
        """The best evaluation mean of the run so far (resumes included)."""
        return self.summary.best_eval_mean_reward

    def progress(self, timesteps: int, wall_time_s: float, session_steps_per_s: float) -> None:
        """The heartbeat: how far training got, so a dead run can be told from a live one.

        ``wall_time_s`` is the training time of every session of the run, and ``steps_per_s``
        its average over them (``timesteps / wall_time_s``: the two always agree);
        ``session_steps_per_s`` is this session's own speed, the one a resumed run has now.
        """
        overall = timesteps / wall_time_s if wall_time_s > 0 else 0.0
        self._update(
            timesteps=int(timesteps),
            wall_time_s=round(wall_time_s, 2),
            steps_per_s=round(overall, 1),
            session_steps_per_s=round(session_steps_per_s, 1),
        )

    def add_evaluation(
        self,
        timesteps: int,
        rewards: Sequence[float],
        lengths: Sequence[int],
        wall_time_s: float,
        epsilon: float | None = None,
        seed: int | None = None,
        play: dict[str, Any] | None = None,
    ) -> bool:
        """Store one evaluation (evaluations.jsonl and summary.json); ``epsilon`` is the
        chance of a random action a Q-learner played with (None for an actor-critic), ``seed``
        the seed of its games (game i of the evaluation envs starts from ``seed + i``), ``play``
        what the games showed beyond the score (training/tally.py: action counts, the policy's
        entropy, predicted values against discounted returns).

        Returns True when it is the run's best so far: the caller then saves the model as
        ``best_model.zip``. A tie is not an improvement, so the earlier model stays the best.
        """
        mean, std = float(np.mean(rewards)), float(np.std(rewards))
        append_evaluation(
            self.run_dir,
            Evaluation(
                timesteps=int(timesteps),
                mean_reward=mean,
                std_reward=std,
                episode_rewards=[float(r) for r in rewards],
                episode_lengths=[int(n) for n in lengths],
                wall_time_s=round(wall_time_s, 2),
                epsilon=epsilon,
                seed=seed,
                **(play or {}),
            ),
        )
        best = self.best_eval
        is_best = best is None or mean > best
        self._update(
            eval_mean_reward=mean,
            eval_std_reward=std,
            eval_episodes=len(rewards),
            best_eval_mean_reward=mean if is_best else best,
            best_eval_timesteps=int(timesteps) if is_best else self.summary.best_eval_timesteps,
        )
        return is_best

    def trains_on(self, device: str) -> None:
        """The torch device the run trains on, known once it starts."""
        self._update(device=device)

    def shared_with(self, trainings: int) -> None:
        """The most trainings that shared the machine (this one included)."""
        self._update(max_concurrent_trainings=trainings)

    def stopped(self, ending: str, reason: str | None) -> None:
        """How training ended (a key of ``ENDINGS``: target, time_limit, budget), in a word
        and a sentence."""
        self._update(ended_by=ending, stop_reason=reason)

    def final_model_is_best(self, is_best: bool) -> None:
        """Whether ``best_model.zip`` holds the final model."""
        self._update(final_is_best=is_best)

    def finish(self, status: str, error: str | None = None) -> None:
        """The run ended (``completed``, ``interrupted``, ``failed``, ``pruned``)."""
        self._update(status=status, finished_at=utc_now(), error=error)

    def _update(self, **changes: Any) -> None:
        self.summary = replace(self.summary, **changes, updated_at=utc_now())
        self.write()

    def write(self) -> None:
        write_json_atomic(self.path, self.summary.to_json())
