"""``evaluations.jsonl``: one line per evaluation during training, appended as it happens."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from simple_game.records.paths import RunPaths


def all_cut_at_cap(frames: Sequence[float], cap: int) -> bool:
    """Whether every game ran into the frame cap (within a frame skip): the emulator ended
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


def append_evaluation(run_dir: Path, entry: dict[str, Any]) -> None:
    """Append one evaluation as a JSON line; a kill mid-write loses at most that line."""
    with open(RunPaths(run_dir).evaluations, "a") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")


def read_evaluations(run_dir: Path) -> list[dict[str, Any]]:
    """All complete evaluation lines of a run (a torn last line is skipped)."""
    path = RunPaths(run_dir).evaluations
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    try:  # fast path: one parse of the whole file (the report reads thousands of these)
        return json.loads("[" + ",".join(line for line in lines if line.strip()) + "]")
    except json.JSONDecodeError:
        pass
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries


class EvaluationPoint(NamedTuple):
    """One evaluated step count of a run: when it was first reached, and every game played there."""

    timesteps: int
    wall_time_s: float | None  # training seconds when first played (None: not in the file)
    games: list[float]


ScoredLine = tuple[int, float, dict[str, Any]]  # steps, mean score, the whole line


def scored_lines(entries: Iterable[dict[str, Any]]) -> Iterator[ScoredLine]:
    """(steps, mean score, line) of each evaluation line with a step count and a finite score,
    in file order; a line without them (a hand-edited file) is skipped."""
    for e in entries:
        try:
            steps, mean = int(e["timesteps"]), float(e["mean_reward"])
        except (KeyError, TypeError, ValueError):
            continue
        if math.isfinite(mean):
            yield steps, mean, e


def pool_by_steps(lines: Iterable[ScoredLine]) -> list[EvaluationPoint]:
    """Scored evaluation lines (``scored_lines``) as one point per step count, in step order.

    The final evaluation may repeat the last periodic one's step count: the same weights played
    again (on other games). Its games are pooled into that point, so a curve does not draw it as
    a change.
    """
    points: dict[int, EvaluationPoint] = {}
    for steps, mean, e in lines:
        point = points.setdefault(steps, EvaluationPoint(steps, _seconds(e), []))
        point.games.extend(e.get("episode_rewards") or [mean])
    return [points[steps] for steps in sorted(points)]


def evaluation_points(run_dir: Path) -> list[EvaluationPoint]:
    """A run's evaluations, one point per step count, in step order (``pool_by_steps``)."""
    return pool_by_steps(scored_lines(read_evaluations(run_dir)))


def _seconds(entry: dict[str, Any]) -> float | None:
    try:
        return float(entry["wall_time_s"])
    except (KeyError, TypeError, ValueError):
        return None
