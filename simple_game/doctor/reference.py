"""A recipe's measured runs as a yardstick: where a healthy run of the recipe scores, and when.

A band from the lowest to the highest of a few measured runs is the wrong yardstick: a
healthy new seed falls below the lowest of 3 similar runs one time in 4 (and below a single
run one time in 2). So the doctor compares with a *prediction bound* computed from the spread
of the measured runs: the value a new run of the same recipe passes only one time in 20, were
the seeds' values normally distributed. With few seeds the bound is wide (Student's t with
k-1 degrees of freedom, widened by sqrt(1 + 1/k) for the new run's own spread), which is
honest: 3 seeds cannot say much. Fewer than 3 give no verdict: two runs that happen to agree
would make a bound far too tight.

Two values are bounded this way: the score at a step count (among the measured runs still
training there: a run that stopped at its target has no later score), and the steps it took
to reach the target.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import numpy as np

from simple_game.records.reference import MEAN, STEPS
from simple_game.records.scores import Baseline

FALSE_ALARM = 0.05  # the share of healthy runs a bound warns (one-sided)
MIN_RUNS = 3  # measured runs needed for a verdict
# A run has left random play once it is this far from random towards human (human-normalised).
LEFT_RANDOM = 0.1


def _curves(reference: dict[str, Any]) -> list[np.ndarray]:
    return [np.asarray(s["curve"], dtype=float) for s in reference["seeds"] if s["curve"]]


def seed_scores_at(reference: dict[str, Any], x: float, column: int = STEPS) -> list[float]:
    """The scores of the measured seeds still training at ``x`` agent steps (or training
    minutes, ``column``), each interpolated between its own evaluations."""
    return [
        float(np.interp(x, c[:, column], c[:, MEAN]))
        for c in _curves(reference)
        if c[0, column] <= x <= c[-1, column]
    ]


def reached_by(reference: dict[str, Any], x: float, target: float, column: int = STEPS) -> int:
    """How many measured seeds had an evaluation at ``target`` or above by ``x``."""
    return sum(
        bool(np.any((c[:, column] <= x) & (c[:, MEAN] >= target))) for c in _curves(reference)
    )


def steps_to_target(reference: dict[str, Any]) -> list[float] | None:
    """Each measured seed's steps to its first evaluation at the recipe's target; None unless
    every seed got there (a seed that never did has no number to average)."""
    steps = [seed.get("target_steps") for seed in reference["seeds"]]
    return None if None in steps else [float(s) for s in steps]


def _bound_width(values: list[float], resolution: float = 0.0) -> float | None:
    """How far the bound lies from the mean; ``resolution`` is the least spread the values can
    show (steps to a target are only known to the evaluation interval)."""
    from scipy.stats import t

    k = len(values)
    if k < MIN_RUNS:
        return None
    spread = max(statistics.stdev(values), resolution)
    return float(t.ppf(1 - FALSE_ALARM, k - 1)) * spread * math.sqrt(1 + 1 / k)


def lower_bound(values: list[float]) -> float | None:
    """The value a healthy new run falls below :data:`FALSE_ALARM` of the time; None with fewer
    than :data:`MIN_RUNS` values."""
    width = _bound_width(values)
    return None if width is None else statistics.fmean(values) - width


def upper_bound(values: list[float], resolution: float = 0.0) -> float | None:
    """The value a healthy new run exceeds :data:`FALSE_ALARM` of the time (None: too few)."""
    width = _bound_width(values, resolution)
    return None if width is None else statistics.fmean(values) + width


def eval_interval(reference: dict[str, Any]) -> float:
    """The step count between two evaluations of the measured runs (their shortest)."""
    gaps = [np.diff(c[:, STEPS]) for c in _curves(reference) if len(c) > 1]
    positive = [g for gap in gaps for g in gap if g > 0]
    return float(min(positive)) if positive else 0.0


def left_random_at(reference: dict[str, Any], ref: Baseline) -> int | None:
    """The first evaluated step count by which every measured seed had left random play
    (:data:`LEFT_RANDOM` of the way to human); None if they never all did."""
    floor = ref.random + LEFT_RANDOM * (ref.human - ref.random)
    curves = _curves(reference)
    firsts = []
    for curve in curves:
        above = curve[curve[:, MEAN] >= floor]
        if not len(above):
            return None
        firsts.append(int(above[0, STEPS]))
    return max(firsts) if firsts else None


def describe(scores: list[float], reached: int, target: float | None) -> str:
    """The measured runs at one point, e.g. ``"13.4 to 20.5 (3 runs still training)"``."""
    done = f", {reached} had reached {target:g}" if reached and target is not None else ""
    if not scores:
        return f"no run still training{done}"
    if len(scores) == 1:
        return f"{scores[0]:.1f} (1 run still training{done})"
    return f"{min(scores):.1f} to {max(scores):.1f} ({len(scores)} runs still training{done})"
