"""The run doctor: is this run healthy? Checks of a run's own files, each finding with its
evidence. The stage right after records/, whose files it reads; training imports its watch.

``python -m simple_game.doctor run=<dir>`` prints every finding; the end of every run prints
the ones that are not healthy, and each evaluation during training warns about new ones
(:mod:`.watch`). Each check reads only the run's small files (:mod:`.facts`) and says, in plain
words: what it saw (the metric, the step, the value), what that usually means, which key to
turn, and where the guide explains it (docs/troubleshooting.md). A check that does not apply to
the run (an actor-critic metric in a DQN run, a run too short to judge) says nothing.

The checks, by what they read: :mod:`.budget` (the settings), :mod:`.scores` (how the run
ended, and its evaluations against random play, the recipe's measured runs and its own best),
:mod:`.learning` (the training metrics) and :mod:`.speed`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from simple_game.doctor.budget import check_budget, check_rewards
from simple_game.doctor.facts import RunFacts, load_facts
from simple_game.doctor.findings import OK, PROBLEM, WARNING, Finding
from simple_game.doctor.learning import (
    check_divergence,
    check_entropy,
    check_ppo_updates,
    check_value_function,
)
from simple_game.doctor.scores import (
    check_collapse,
    check_ending,
    check_eval_vs_training,
    check_frame_cap,
    check_overestimation,
    check_reference,
    check_scores,
)
from simple_game.doctor.speed import check_speed

__all__ = ["OK", "PROBLEM", "WARNING", "Finding", "RunFacts", "examine", "load_facts"]

CHECKS: list[Callable[[RunFacts], Iterator[Finding]]] = [
    check_ending,
    check_budget,
    check_rewards,
    check_scores,
    check_reference,
    check_collapse,
    check_eval_vs_training,
    check_frame_cap,
    check_entropy,
    check_ppo_updates,
    check_value_function,
    check_divergence,
    check_overestimation,
    check_speed,
]


def examine(facts: RunFacts) -> list[Finding]:
    """Every finding of every check that applies to the run."""
    return [finding for check in CHECKS for finding in check(facts)]
