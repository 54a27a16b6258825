"""``summary.json``'s schema: :class:`RunSummary`, every field docs/run-directory.md documents.

One tolerant reader, :func:`read_summary`, turns a file into a typed record for every tool
that reads runs (the report, the doctor, evaluation, resume, the bench, sweeps): a field an
older run did not write gets its default, a field of the wrong type reads as unknown, a key
this version does not know is ignored, and a missing or damaged file is None. Nothing outside
``records/`` reads summary.json's keys as strings.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from simple_game.records.paths import RunPaths
from simple_game.records.typed import tolerant

# A running run rewrites summary.json's `updated_at` every train.log_interval_s (30 s) and
# after every evaluation; a long evaluation (5 full games that hit the 108k-frame cap) can
# take ~10 minutes on a CPU. 15 minutes of silence means the process most likely died
# without writing its final status (kill -9, power cut, out of memory).
STALE_AFTER = timedelta(minutes=15)

# How a run ended (``ended_by``, or what :meth:`RunSummary.ending` derives for an older file or
# a dead process), in the words the doctor and the notebook use.
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


@dataclass
class RunSummary:
    """What a run is, how far it got and how well it plays (docs/run-directory.md)."""

    status: str | None = None  # running, completed, interrupted, failed, pruned
    error: str | None = None  # the exception of a failed run (a pruned one: when and why)
    # what the run is
    experiment: str | None = None
    algo: str | None = None  # algo option: ppo, a2c, dqn, qrdqn, pqn
    env: str | None = None  # env option: pong, breakout, ...
    env_id: str | None = None  # ALE id, e.g. PongNoFrameskip-v4
    policy: str | None = None
    recipe: str | None = None
    seed: int | None = None
    note: str = ""
    overrides: list[str] = field(default_factory=list)  # the command line's key=value
    device: str | None = None  # the torch device it trained on
    machine: str | None = None  # CPU model and cores, e.g. "AMD EPYC, 2 cores"
    versions: dict[str, str] = field(default_factory=dict)  # package -> version
    git_commit: str | None = None
    # how far it got
    total_timesteps: int | None = None  # agent steps asked for
    timesteps: int = 0  # agent steps done, summed over the parallel games
    wall_time_s: float = 0.0  # seconds of training over every session (evaluations included)
    steps_per_s: float = 0.0  # timesteps / wall_time_s
    session_steps_per_s: float | None = None  # the last session's own speed
    resumes: int = 0
    max_concurrent_trainings: int | None = None  # most trainings sharing the machine (1: alone)
    ended_by: str | None = None  # target, time_limit or budget (see ENDINGS)
    stop_reason: str | None = None  # the same in a sentence, when it stopped early
    # how well it plays: full-game, unclipped scores
    eval_mean_reward: float | None = None  # the latest evaluation (the final model's, at the end)
    eval_std_reward: float | None = None
    eval_episodes: int = 0
    best_eval_mean_reward: float | None = None
    best_eval_timesteps: int | None = None  # the step count of the model best_model.zip holds
    final_is_best: bool | None = None
    # when (ISO-8601, UTC)
    started_at: str | None = None
    updated_at: str | None = None  # the heartbeat while running
    finished_at: str | None = None

    @property
    def minutes(self) -> float:
        return self.wall_time_s / 60

    def ending(self, now: datetime) -> str | None:
        """How the run ended, one key of :data:`ENDINGS` (None: no status to tell).

        Runs written before ``ended_by`` existed are read from their ``stop_reason`` text: a
        completed run without one trained its whole budget.
        """
        if self.status == "running":
            return "died" if is_stale(self.updated_at, now) else "running"
        if self.status != "completed":
            return self.status if self.status in ENDINGS else None  # None: no status
        if self.ended_by in ENDINGS:
            return self.ended_by
        reason = self.stop_reason or ""
        if reason.startswith("an evaluation reached"):
            return "target"
        return "time_limit" if reason.startswith("train.max_minutes") else "budget"

    def to_json(self) -> dict[str, Any]:
        """The file's content; fields learned later in a run are absent until known."""
        data = asdict(self)
        for key in WRITTEN_WHEN_KNOWN:
            if data[key] is None or (key == "resumes" and data[key] == 0):
                del data[key]
        return data


# Keys a run writes only once it knows them (a fresh run's file lacks them), as before this
# schema existed: older tools and the docs expect them absent rather than null.
WRITTEN_WHEN_KNOWN = (
    "device",
    "session_steps_per_s",
    "resumes",
    "max_concurrent_trainings",
    "ended_by",
    "best_eval_timesteps",
    "final_is_best",
)


def summary_from(data: dict[str, Any]) -> RunSummary:
    """A :class:`RunSummary` from a parsed summary.json (every field has a default)."""
    return tolerant(RunSummary, data) or RunSummary()


def read_summary(run_dir: Path) -> RunSummary | None:
    """A run's summary.json as a :class:`RunSummary`, or None if it is missing or unreadable."""
    try:
        data = json.loads(RunPaths(run_dir).summary.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return summary_from(data) if isinstance(data, dict) else None


def is_stale(updated_at: str | None, now: datetime) -> bool:
    """Whether a heartbeat time is older than :data:`STALE_AFTER` (or unreadable)."""
    try:
        return now - datetime.fromisoformat(str(updated_at)) > STALE_AFTER
    except (TypeError, ValueError):
        return True  # a running run without a readable heartbeat cannot be shown as alive
