"""``summary.json``: what a run is, how far it got and how well it plays, kept current.

Other tools (the report, evaluation, sweeps) read this small file rather than the heavy ones
(checkpoints, TensorBoard events), so deleting heavy files never loses a run's record.
docs/run-directory.md lists every key.

:class:`RunRecord` is the only writer. Training code tells it what happened (progress, an
evaluation, the end) through its methods, and it decides what follows, such as whether an
evaluation is the run's best so far, for fresh and resumed runs alike.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from simple_game.records.evaluations import append_evaluation
from simple_game.records.files import write_json_atomic
from simple_game.records.machine import machine_name
from simple_game.records.paths import RunPaths

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


# A running run rewrites summary.json's `updated_at` every train.log_interval_s (30 s) and
# after every evaluation; a long evaluation (5 full games that hit the 108k-frame cap) can
# take ~10 minutes on a CPU. 15 minutes of silence means the process most likely died
# without writing its final status (kill -9, power cut, out of memory).
STALE_AFTER = timedelta(minutes=15)

# How a run ended (summary.json's `ended_by`, or what :func:`ended_by` derives for an older
# file or a dead process), in the words the doctor and the notebook use.
ENDINGS = {
    "target": "reached its target score (train.target_score)",
    "time_limit": "stopped by its time limit (train.max_minutes)",
    "budget": "trained its whole step budget (train.total_timesteps)",
    "interrupted": "interrupted (Ctrl-C or SIGTERM): resume it",
    "failed": "failed with an error",
    "pruned": "pruned by an Optuna sweep",
    "died": "died: no heartbeat for 15 minutes (killed, out of memory or a power cut)",
    "running": "still training",
}


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def is_stale(updated_at: Any, now: datetime) -> bool:
    """Whether a heartbeat time is older than :data:`STALE_AFTER` (or unreadable)."""
    try:
        return now - datetime.fromisoformat(str(updated_at)) > STALE_AFTER
    except (TypeError, ValueError):
        return True  # a running run without a readable heartbeat cannot be shown as alive


def ended_by(summary: dict[str, Any], now: datetime) -> str | None:
    """How the run ended, one key of :data:`ENDINGS` (None: no status to tell).

    Runs written before summary.json had ``ended_by`` are read from their ``stop_reason``
    text: a completed run without one trained its whole budget.
    """
    status = summary.get("status")
    if status == "running":
        return "died" if is_stale(summary.get("updated_at"), now) else "running"
    if status != "completed":
        return str(status) if status in ENDINGS else None
    if summary.get("ended_by") in ENDINGS:
        return str(summary["ended_by"])
    reason = str(summary.get("stop_reason") or "")
    if reason.startswith("an evaluation reached"):
        return "target"
    return "time_limit" if reason.startswith("train.max_minutes") else "budget"


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


def read_summary(run_dir: Path) -> dict[str, Any] | None:
    """A run's summary.json, or None if it is missing or unreadable."""
    try:
        data = json.loads(RunPaths(run_dir).summary.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def read_overrides(run_dir: Path) -> list[str]:
    """The command-line overrides Hydra saved for a run (.hydra/overrides.yaml)."""
    path = RunPaths(run_dir).hydra_overrides
    try:
        return [str(o) for o in OmegaConf.load(path)] if path.exists() else []
    except Exception:  # noqa: BLE001 - a damaged file means "overrides unknown", not a crash
        return []


class RunRecord:
    """``summary.json`` of one run, rewritten atomically on every change.

    A resumed run continues the record it finds (start time, best score, wall time so far).
    """

    def __init__(self, run_dir: Path, resume: bool = False, **fields: Any) -> None:
        self.run_dir = run_dir
        self.path = RunPaths(run_dir).summary
        now = utc_now()
        previous = read_summary(run_dir) if resume else None
        if previous is not None:
            self.data = {
                **previous,
                **fields,
                "status": "running",
                "error": None,
                "finished_at": None,
            }
            self.data["resumes"] = int(previous.get("resumes", 0)) + 1
            self.write()
            return
        self.data: dict[str, Any] = {
            "status": "running",
            "error": None,
            "started_at": now,
            "updated_at": now,
            "finished_at": None,
            "timesteps": 0,
            "wall_time_s": 0.0,
            "steps_per_s": 0.0,
            "eval_mean_reward": None,
            "eval_std_reward": None,
            "eval_episodes": 0,
            "best_eval_mean_reward": None,
            "versions": package_versions(),
            "git_commit": git_commit(),
            "machine": machine_name(),
            **fields,
        }
        self.write()

    @property
    def wall_time_s(self) -> float:
        """Training time recorded so far, over every session of a resumed run."""
        return float(self.data["wall_time_s"])

    @property
    def last_eval(self) -> tuple[float, float] | None:
        """(mean, std) of the latest evaluation, or None before the first."""
        mean = self.data["eval_mean_reward"]
        return None if mean is None else (float(mean), float(self.data["eval_std_reward"]))

    @property
    def best_eval(self) -> float | None:
        """The best evaluation mean of the run so far (resumes included)."""
        best = self.data["best_eval_mean_reward"]
        return None if best is None else float(best)

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
            {
                "timesteps": int(timesteps),
                "mean_reward": mean,
                "std_reward": std,
                "episode_rewards": [float(r) for r in rewards],
                "episode_lengths": [int(n) for n in lengths],
                "wall_time_s": round(wall_time_s, 2),
                "epsilon": epsilon,
                "seed": seed,
                **(play or {}),
            },
        )
        best = self.best_eval
        is_best = best is None or mean > best
        self._update(
            eval_mean_reward=mean,
            eval_std_reward=std,
            eval_episodes=len(rewards),
            best_eval_mean_reward=mean if is_best else best,
            **({"best_eval_timesteps": int(timesteps)} if is_best else {}),
        )
        return is_best

    def describe(self, **fields: Any) -> None:
        """Facts about the run learned once it starts, e.g. the device it trains on."""
        self._update(**fields)

    def finish(self, status: str, **fields: Any) -> None:
        """The run ended (``completed``, ``interrupted``, ``failed``, ``pruned``)."""
        self._update(status=status, finished_at=utc_now(), **fields)

    def _update(self, **fields: Any) -> None:
        self.data.update(fields, updated_at=utc_now())
        self.write()

    def write(self) -> None:
        write_json_atomic(self.path, self.data)
