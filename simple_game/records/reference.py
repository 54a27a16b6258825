"""Reference curves: how a recipe's measured runs scored, against steps and against minutes.

``python -m simple_game.bench --time-to-skill <recipe> --save-reference`` writes one small JSON
file per recipe into ``simple_game/records/data/reference/``: each seed's evaluation curve
(agent steps, training minutes, mean score). A run made with ``recipe=<name>`` draws them as a
band on its learning curve, and experiments.md on its game's plot, so a learner sees at a
glance whether a run is on track.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from simple_game.records.evaluations import evaluation_points, read_evaluations
from simple_game.records.paths import RunPaths
from simple_game.records.run_summary import RunSummary, read_summary
from simple_game.records.summary import git_commit, utc_now

REFERENCE_DIR = Path(__file__).resolve().parent / "data" / "reference"
STEPS, MINUTES, MEAN = 0, 1, 2  # the columns of a reference curve


def reference_from_runs(recipe: str, run_dirs: list[Path]) -> dict[str, Any]:
    """The reference file's content, from the run directories of a time-to-skill check."""
    seeds = []
    summaries = [read_summary(run_dir) or RunSummary() for run_dir in run_dirs]
    first = next((s for s in summaries if s.algo), RunSummary())
    for run_dir, summary in zip(run_dirs, summaries, strict=True):
        curve = [
            [p.timesteps, round((p.wall_time_s or 0.0) / 60, 2), round(float(np.mean(p.games)), 2)]
            for p in evaluation_points(run_dir)
        ]
        # Each seed's own machine: seeds are added one session at a time, maybe elsewhere.
        machine = summary.machine or "not recorded"
        seeds.append({"seed": summary.seed, "machine": machine, "curve": curve, **_hit(run_dir)})
    machines = sorted({s["machine"] for s in seeds})
    return {
        "recipe": recipe,
        "algo": first.algo,
        "env": first.env,
        "env_id": first.env_id,
        "columns": ["agent steps", "training minutes", "mean evaluation score"],
        "saved_at": utc_now(),
        "machine": "; ".join(machines),  # where the seeds trained (each seed names its own)
        "git_commit": git_commit(),
        "seeds": seeds,
    }


def _hit(run_dir: Path) -> dict[str, Any]:
    """The first evaluation at the run's ``train.target_score``: its step count and training
    minutes (None when it never got there). Read from the evaluations themselves, since the
    curve pools a final evaluation of the same weights into that point and may dip below."""
    from omegaconf import OmegaConf

    config = RunPaths(run_dir).hydra_config
    target = OmegaConf.load(config).train.get("target_score") if config.exists() else None
    hit = None
    if target is not None:
        hit = next((e for e in read_evaluations(run_dir) if e.mean_reward >= target), None)
    return {
        "target_steps": None if hit is None else hit.timesteps,
        "target_minutes": None if hit is None else round(hit.minutes or 0.0, 2),
    }


def load_reference(recipe: str | None) -> dict[str, Any] | None:
    """A recipe's reference curves, or None when the recipe has none (or there is no recipe)."""
    if not recipe:
        return None
    path = REFERENCE_DIR / f"{recipe}.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return data if data.get("seeds") else None


def band(reference: dict[str, Any], column: int = STEPS) -> tuple[np.ndarray, ...]:
    """(x, lowest, highest) of the seeds' scores at each x where any seed was evaluated.

    ``column`` is the x-axis: :data:`STEPS` or :data:`MINUTES`. Each seed's curve is linearly
    interpolated between its own evaluations and ends where it stopped (a run stops when it
    reaches its target), so past that point the band spans the seeds still training.
    """
    curves = [np.asarray(s["curve"], dtype=float) for s in reference["seeds"] if s["curve"]]
    x, scores = on_common_grid([(c[:, column], c[:, MEAN]) for c in curves])
    seen = ~np.all(np.isnan(scores), axis=0)
    return x[seen], np.nanmin(scores[:, seen], axis=0), np.nanmax(scores[:, seen], axis=0)


def on_common_grid(
    curves: list[tuple[Sequence[float], Sequence[float]]],
) -> tuple[np.ndarray, np.ndarray]:
    """Curves ((x, score) each) on one grid: every x any of them has, and a row per curve.

    A curve is linearly interpolated between its own points and is NaN outside its span:
    a run that stopped at its target says nothing about later x, nor does one that has not
    got there yet.
    """
    x = np.unique(np.concatenate([np.asarray(cx, dtype=float) for cx, _ in curves]))
    scores = np.full((len(curves), len(x)), np.nan)
    for row, (cx, cy) in zip(scores, curves, strict=True):
        if len(cx):
            inside = (x >= cx[0]) & (x <= cx[-1])
            row[inside] = np.interp(x[inside], cx, cy)
    return x, scores
