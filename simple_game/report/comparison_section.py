"""The Markdown of a game's comparison of set-ups (:mod:`.comparison` computes it)."""

from __future__ import annotations

import math
from collections.abc import Callable

from simple_game.report.comparison import Comparison, Measure, SetUp
from simple_game.report.markdown import count, table
from simple_game.report.statistics import MIN_RUNS, Interval

INTRO = (
    f"Set-ups with {MIN_RUNS} or more finished runs: IQM and median over their runs, 95% "
    'bootstrap confidence interval in brackets; ∞: never reached the target, "> x": more '
    "than x (see *How to read this page*).\n"
)


def comparison_section(comparison: Comparison) -> str:
    """A game's comparison, or "" when none of its set-ups has a run that finished."""
    if not comparison.compared and not any(s.finished for s in comparison.too_few):
        return ""
    parts = ["\n### Set-ups compared across seeds\n\n", INTRO]
    if comparison.compared:
        parts.append("\n" + _setups_table(comparison.compared))
    if comparison.pairs:
        parts.append(
            "\nProbability of improvement: the chance that a run of A beats a run of B.\n\n"
            + _pairs_table(comparison)
        )
    if comparison.too_few:
        parts.append(f"\nToo few seeds for an interval ({MIN_RUNS} finished runs needed):\n\n")
        parts.extend(f"- {s.name}: {_runs(s)}\n" for s in comparison.too_few)
    return "".join(parts)


def _setups_table(setups: list[SetUp]) -> str:
    header = [
        "Set-up", "Runs", "Target", "Reached it", "Final: IQM [95% CI]", "Final: median",
        "Minutes to target: IQM", "Minutes: median", "Steps to target: IQM", "Steps: median",
    ]  # fmt: skip
    rows = []
    for s in setups:
        final, minutes, steps = s.final, s.minutes, s.steps
        assert final is not None  # compared set-ups have a final measure
        target = "" if s.target is None else f"{s.target:g}"
        rows.append(
            [
                s.name,
                _counted(s),
                target or "none",
                f"{s.reached} of {len(s.finished)}" if target else "",
                *_measure(final, _one_decimal),
                *(_measure(minutes, _one_decimal) if minutes else ["", ""]),
                *(_measure(steps, count) if steps else ["", ""]),
            ]
        )
    return table(header, rows)


def _pairs_table(comparison: Comparison) -> str:
    header = ["Set-up A", "Set-up B", "P(A's final > B's)", "P(A reaches the target sooner)"]
    rows = [
        [
            p.first.name,
            p.second.name,
            _probability(p.final),
            "" if p.sooner is None else _probability(p.sooner),
        ]
        for p in comparison.pairs
    ]
    return table(header, rows)


def _measure(measure: Measure, number: Callable[[float], str]) -> list[str]:
    """IQM and median cells: "24.3 [19.3, 29.3]", or "> 42.5 [30.1, ∞]" when censored."""
    return [
        _estimate(measure.iqm, measure.iqm_over, number),
        _estimate(measure.median, measure.median_over, number),
    ]


def _estimate(value: Interval, over: float, number: Callable[[float], str]) -> str:
    def bound(x: float) -> str:
        return "∞" if math.isinf(x) else number(x)

    estimate = f"> {number(over)}" if math.isinf(value.estimate) else number(value.estimate)
    return f"{estimate} [{bound(value.low)}, {bound(value.high)}]"


def _counted(setup: SetUp) -> str:
    left_out = len(setup.runs) - len(setup.finished)
    return str(len(setup.finished)) + (f" (+{left_out} unfinished)" if left_out else "")


def _runs(setup: SetUp) -> str:
    finished = len(setup.finished)
    text = f"{finished} finished run{'' if finished == 1 else 's'}"
    unfinished = len(setup.runs) - finished
    return text + (f", {unfinished} not finished" if unfinished else "")


def _one_decimal(x: float) -> str:
    return f"{x:.1f}"


def _probability(p: Interval) -> str:
    return f"{p.estimate:.0%} [{p.low:.0%}, {p.high:.0%}]"
