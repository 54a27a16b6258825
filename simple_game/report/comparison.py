"""The set-ups of one game compared across their seeds: IQM, median, intervals, who beats whom.

Three questions a learner asks of a set-up, each answered over its runs (one per seed):

- how well does it end? the **final score**, the run's last evaluation: once a run stops at
  its target, the final model plays fresh games that did not decide the stop, so the lucky
  evaluation that crossed the target does not inflate it (older runs, marked † in the page,
  replayed its games: their final score is that evaluation);
- how fast does it get there? **minutes** and **agent steps to the target**, from the first
  evaluation that averaged the run's ``train.target_score``;
- does it beat another set-up? the **probability of improvement** on both.

Only runs that finished training count (reached the target, the time limit or the budget):
a running, interrupted, failed, dead or pruned run says nothing final. A finished run that
never reached its target is *censored*: all we know is that it needed more than it had. It
counts as never (+infinity): it ranks behind every run that got there, and a statistic whose
middle runs include it is infinite, shown with the bound it is known to exceed (the statistic
with those runs counted at the point they stopped).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simple_game.report.runs import Run
from simple_game.report.setups import by_setup, setup_names
from simple_game.report.statistics import (
    MIN_RUNS,
    Interval,
    improvement_interval,
    interval,
    iqm,
    median,
)

FINISHED = frozenset({"target", "time_limit", "budget"})  # records.run_summary.ENDINGS keys
MAX_ALL_PAIRS = 6  # more set-ups than this: each is compared with the best one only


@dataclass(frozen=True)
class Measure:
    """One measure of a set-up over its runs: IQM and median, each with its 95% interval.

    ``iqm_over`` and ``median_over`` are the statistics with never-reached runs counted at
    the point they stopped: when ``iqm.estimate`` is +infinity, the IQM is more than that.
    """

    iqm: Interval
    median: Interval
    iqm_over: float
    median_over: float
    runs: int


@dataclass(frozen=True)
class SetUp:
    """A set-up of the game and what its finished runs say."""

    name: str
    runs: tuple[Run, ...]  # every run of the set-up on this game
    finished: tuple[Run, ...]  # those that finished training: the ones counted
    target: float | None  # the target its runs share (None: none, or they differ)
    final: Measure | None  # None: fewer than MIN_RUNS finished runs
    minutes: Measure | None  # to the target; None also without a target
    steps: Measure | None

    @property
    def reached(self) -> int:
        """How many finished runs reached the target."""
        return sum(r.reached is not None for r in self.finished)


@dataclass(frozen=True)
class Pair:
    """Two compared set-ups, the higher ranked first."""

    first: SetUp
    second: SetUp
    final: Interval  # P(a run of `first` ends with a higher final score)
    sooner: Interval | None  # P(it reaches their shared target in fewer minutes)


@dataclass(frozen=True)
class Comparison:
    compared: list[SetUp]  # set-ups with at least MIN_RUNS finished runs, best first
    too_few: list[SetUp]  # the others: too few seeds for an interval
    pairs: list[Pair]


def compare(runs: list[Run]) -> Comparison:
    """The set-ups of one game's ``runs``, ranked, with the pairs compared.

    Ranked by what a learner cares about: the IQM final score, then the IQM minutes to the
    target. Every pair is compared when there are at most :data:`MAX_ALL_PAIRS` set-ups;
    beyond that (a sweep of many settings) each set-up is compared with the best.
    """
    names = dict(zip((r.path for r in runs), setup_names(runs), strict=True))
    setups = [_setup(names[group[0].path], group) for group in by_setup(runs).values()]
    compared = sorted(
        (s for s in setups if s.final is not None),
        key=lambda s: (-s.final.iqm.estimate, _minutes_rank(s), s.name),  # type: ignore[union-attr]
    )
    too_few = sorted((s for s in setups if s.final is None), key=lambda s: s.name)
    if len(compared) <= MAX_ALL_PAIRS:
        pairs = [(a, b) for i, a in enumerate(compared) for b in compared[i + 1 :]]
    else:
        pairs = [(compared[0], b) for b in compared[1:]]
    return Comparison(compared, too_few, [_pair(a, b) for a, b in pairs])


def _setup(name: str, runs: list[Run]) -> SetUp:
    finished = [r for r in runs if r.ended_by in FINISHED and r.final is not None]
    targets = {r.target_score for r in runs}
    target = targets.pop() if len(targets) == 1 else None
    if len(finished) < MIN_RUNS:
        return SetUp(name, tuple(runs), tuple(finished), target, None, None, None)
    final = _measure([r.final.mean for r in finished])  # type: ignore[union-attr]
    minutes = steps = None
    if target is not None:
        minutes = _measure(*_to_target(finished, "minutes"))
        steps = _measure(*_to_target(finished, "steps"))
    return SetUp(name, tuple(runs), tuple(finished), target, final, minutes, steps)


def _to_target(runs: list[Run], unit: str) -> tuple[list[float], list[float]]:
    """Each run's minutes or steps to its target: (with never-reached runs at +infinity,
    with them at the point they stopped). A run whose file lacks the time is left out."""
    values, bounds = [], []
    for run in runs:
        if run.reached is None:
            values.append(math.inf)
            stopped = run.wall_time_s / 60 if unit == "minutes" and run.wall_time_s else 0.0
            bounds.append(stopped if unit == "minutes" else float(run.timesteps or 0))
            continue
        value = run.reached.minutes if unit == "minutes" else run.reached.steps
        if value is not None:
            values.append(float(value))
            bounds.append(float(value))
    return values, bounds


def _measure(values: list[float], at_stop: list[float] | None = None) -> Measure | None:
    if len(values) < MIN_RUNS:
        return None
    bounds = at_stop if at_stop is not None else values
    return Measure(
        iqm=interval(values, iqm),
        median=interval(values, median),
        iqm_over=float(iqm(bounds)),
        median_over=float(median(bounds)),
        runs=len(values),
    )


def _pair(first: SetUp, second: SetUp) -> Pair:
    final = improvement_interval(_finals(first), _finals(second))
    sooner = None
    if first.target is not None and first.target == second.target:
        a = np.asarray(_to_target(list(first.finished), "minutes")[0])
        b = np.asarray(_to_target(list(second.finished), "minutes")[0])
        if len(a) >= MIN_RUNS and len(b) >= MIN_RUNS:  # fewer minutes is better: compare -x
            sooner = improvement_interval(-a, -b)
    return Pair(first, second, final, sooner)


def _finals(setup: SetUp) -> list[float]:
    return [r.final.mean for r in setup.finished]  # type: ignore[union-attr]


def _minutes_rank(setup: SetUp) -> float:
    return setup.minutes.iqm.estimate if setup.minutes is not None else math.inf
