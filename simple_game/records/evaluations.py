"""``evaluations.jsonl``: one line per evaluation during training, appended as it happens.

Each line is an :class:`Evaluation` (docs/run-directory.md lists its fields); every tool reads
them through :func:`read_evaluations`, which skips a torn last line and any line without a step
count and a finite score, and gives a field an older run did not write its default.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

from simple_game.records.paths import RunPaths
from simple_game.records.typed import tolerant


@dataclass(frozen=True)
class Evaluation:
    """One evaluation: full games of the model at ``timesteps``, real unclipped scores."""

    timesteps: int  # agent steps of training when it was played
    mean_reward: float
    std_reward: float | None = None
    episode_rewards: list[float] = field(default_factory=list)  # one score per game
    episode_lengths: list[int] = field(default_factory=list)  # emulator frames per game
    wall_time_s: float | None = None  # training seconds when it ended (its own time included)
    epsilon: float | None = None  # a Q-learner's fixed chance of a random action
    seed: int | None = None  # game i started from seed + i
    # what the games showed beyond the score (training/tally.py); absent in older runs
    action_names: list[str] = field(default_factory=list)
    action_counts: list[int] = field(default_factory=list)
    policy_entropy: float | None = None  # nats, averaged over the steps (PPO, A2C)
    predicted_value: float | None = None  # mean Q of the actions taken, or V(s)
    discounted_return: float | None = None  # what the games paid from those steps
    value_steps: int = 0

    @property
    def games(self) -> list[float]:
        """Every game's score (the mean alone, for a line that kept no game scores)."""
        return self.episode_rewards or [self.mean_reward]

    @property
    def minutes(self) -> float | None:
        return None if self.wall_time_s is None else self.wall_time_s / 60


def all_cut_at_cap(frames: Sequence[float], cap: int) -> bool:
    """Whether every game ran into the frame cap (within 1% of it): the emulator ended
    them, nobody won or lost them."""
    return bool(cap) and len(frames) > 0 and all(f >= 0.99 * cap for f in frames)


def cap_note(cap: int) -> str:
    """What a learner should know when every game of an evaluation was cut at the cap."""
    return (
        f"every game was cut at the {cap:,}-frame cap (env.max_frames_per_episode): the agent "
        "stopped ending games, so the score is of games nobody finished. A common cause in "
        "Breakout: a greedy agent (deterministic=true) that never presses FIRE after a lost "
        "life waits for the clock"
    )


def append_evaluation(run_dir: Path, evaluation: Evaluation) -> None:
    """Append one evaluation as a JSON line; a kill mid-write loses at most that line."""
    with open(RunPaths(run_dir).evaluations, "a") as f:
        f.write(json.dumps(asdict(evaluation), sort_keys=True) + "\n")


def read_evaluations(run_dir: Path) -> list[Evaluation]:
    """Every readable evaluation of a run, in file order (see the module docstring)."""
    path = RunPaths(run_dir).evaluations
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    try:  # fast path: one parse of the whole file (the report reads thousands of these)
        entries = json.loads("[" + ",".join(line for line in lines if line.strip()) + "]")
    except json.JSONDecodeError:
        entries = []
        for line in lines:
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    parsed = (tolerant(Evaluation, e) if isinstance(e, dict) else None for e in entries)
    return [e for e in parsed if e is not None]


class EvaluationPoint(NamedTuple):
    """One evaluated step count of a run: when it was first reached, and every game played there."""

    timesteps: int
    wall_time_s: float | None  # training seconds when first played (None: not in the file)
    games: list[float]


def pool_by_steps(evaluations: Iterable[Evaluation]) -> list[EvaluationPoint]:
    """Evaluations as one point per step count, in step order.

    The final evaluation may repeat the last periodic one's step count: the same weights played
    again (on other games). Its games are pooled into that point, so a curve does not draw it as
    a change.
    """
    points: dict[int, EvaluationPoint] = {}
    for e in evaluations:
        point = points.setdefault(e.timesteps, EvaluationPoint(e.timesteps, e.wall_time_s, []))
        point.games.extend(e.games)
    return [points[steps] for steps in sorted(points)]


def evaluation_points(run_dir: Path) -> list[EvaluationPoint]:
    """A run's evaluations, one point per step count, in step order (``pool_by_steps``)."""
    return pool_by_steps(read_evaluations(run_dir))
