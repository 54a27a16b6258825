"""Checks of the training speed: a machine shared with other trainings, or far slower than
the recipe's measured runs."""

from __future__ import annotations

import statistics
from collections.abc import Iterator

from simple_game.doctor.facts import RunFacts
from simple_game.doctor.findings import WARNING, Finding


def check_speed(facts: RunFacts) -> Iterator[Finding]:
    """Training speed: shared with other trainings, or far below the recipe's reference runs."""
    shared = facts.summary.max_concurrent_trainings or 1
    speed = facts.summary.steps_per_s
    if shared > 1:
        yield Finding(
            WARNING,
            "trained alongside other trainings",
            f"up to {shared} trainings shared this machine's cores; {speed:,.0f} steps/s",
            "its steps/s and minutes are not this machine's speed for one run alone",
            "time runs one at a time (docs/performance.md)",
            "slow-training",
        )
    reference = facts.reference
    if reference is None or speed <= 0:
        return
    ends = [s["curve"][-1] for s in reference["seeds"] if s["curve"]]
    speeds = [steps / (60 * minutes) for steps, minutes, _ in ends if minutes > 0]
    expected = statistics.median(speeds) if speeds else 0.0
    if speed < 0.5 * expected:
        yield Finding(
            WARNING,
            "much slower than the recipe's reference runs",
            f"{speed:,.0f} steps/s against {expected:,.0f} measured on {reference['machine']}",
            "another program using the CPU, a slower machine, or fewer cores",
            "close other work; compare with python -m simple_game.bench",
            "slow-training",
        )
