"""A game's set-ups compared across seeds: who counts, never-reached targets, who beats whom."""

from __future__ import annotations

from dataclasses import replace

import pytest

from simple_game.report.comparison import compare
from simple_game.report.comparison_section import comparison_section
from simple_game.report.runs import CurvePoint, Run, Score
from simple_game.report.statistics import iqm
from tests.report.factories import run


def recipe_run(
    recipe: str,
    seed: int,
    final: float,
    minutes: float | None,
    ended_by: str = "target",
    stopped_at: float = 60.0,
) -> Run:
    """A finished run of ``recipe`` (target +18) that reached it after ``minutes`` (None:
    never, stopped after ``stopped_at`` minutes); 100k steps a minute."""
    algo = recipe.split("_")[1]
    reached = None if minutes is None else CurvePoint(int(minutes * 100_000), minutes, 18.5)
    return run(
        path=f"runs/{recipe}/seed{seed}", algo=algo, recipe=recipe, seed=seed,
        overrides=(f"recipe={recipe}", f"seed={seed}"), final=Score(final, 1.0),
        ended_by=ended_by, target_score=18.0, reached=reached,
        wall_time_s=(minutes if minutes is not None else stopped_at) * 60,
        timesteps=int((minutes if minutes is not None else stopped_at) * 100_000),
    )  # fmt: skip


def test_set_ups_with_fewer_than_three_finished_runs_are_listed_as_too_few() -> None:
    runs = [recipe_run("pong_pqn", s, 19.0 + s, 20.0 + s) for s in range(3)]
    runs += [recipe_run("pong_ppo", s, 17.0, 50.0) for s in range(2)]
    runs.append(run(path="runs/pong_ppo/seed2", recipe="pong_ppo", seed=2, status="running",
                    overrides=("recipe=pong_ppo", "seed=2"), ended_by="running",
                    final=Score(-5.0), target_score=18.0))  # fmt: skip
    comparison = compare(runs)
    assert [s.name for s in comparison.compared] == ["pqn, recipe pong_pqn"]
    assert [s.name for s in comparison.too_few] == ["ppo, recipe pong_ppo"]
    assert comparison.pairs == []
    text = comparison_section(comparison)
    assert "Too few seeds for an interval" in text
    assert "- ppo, recipe pong_ppo: 2 finished runs, 1 not finished\n" in text
    assert "| pqn, recipe pong_pqn | 3 | 18 | 3 of 3 | 20.0 [19.0, 21.0] |" in text


def test_a_run_that_never_reached_its_target_counts_as_never() -> None:
    runs = [
        recipe_run("pong_pqn", 0, 18.5, 10.0),
        recipe_run("pong_pqn", 1, 19.0, 20.0),
        recipe_run("pong_pqn", 2, 12.0, None, ended_by="time_limit", stopped_at=60.0),
    ]
    (setup,) = compare(runs).compared
    assert setup.reached == 2
    assert setup.minutes is not None and setup.steps is not None
    assert setup.minutes.iqm.estimate == float(
        "inf"
    )  # with 3 runs the slowest is in the middle half
    assert setup.minutes.iqm_over == pytest.approx(
        iqm([10.0, 20.0, 60.0])
    )  # it needed more than 60
    assert setup.minutes.median.estimate == pytest.approx(20.0)
    assert setup.steps.median.estimate == pytest.approx(2_000_000)
    row = comparison_section(compare(runs)).split("| pqn, recipe pong_pqn |")[1]
    assert "| 2 of 3 |" in row
    assert f"> {iqm([10.0, 20.0, 60.0]):.1f} [10.0, ∞]" in row


def test_only_finished_runs_count() -> None:
    runs = [recipe_run("pong_pqn", s, 19.0 + s, 20.0) for s in range(3)]
    for ending in ("interrupted", "failed", "died", "running", "pruned"):
        runs.append(recipe_run("pong_pqn", len(runs), 50.0, 1.0, ended_by=ending))
    (setup,) = compare(runs).compared
    assert len(setup.finished) == 3 and len(setup.runs) == 8
    assert setup.final is not None and setup.final.iqm.estimate == pytest.approx(20.0)


def test_who_beats_whom() -> None:
    pqn = [
        recipe_run("pong_pqn", s, final, minutes)
        for s, (final, minutes) in enumerate([(19.0, 10.0), (19.5, 12.0), (20.0, 14.0)])
    ]
    ppo = [recipe_run("pong_ppo", s, final, minutes)
           for s, (final, minutes) in enumerate([(15.0, 40.0), (16.0, 50.0), (19.0, 60.0)])]  # fmt: skip
    comparison = compare(ppo + pqn)
    assert [s.name for s in comparison.compared] == ["pqn, recipe pong_pqn", "ppo, recipe pong_ppo"]
    (pair,) = comparison.pairs
    # 19 beats 15 and 16 and ties 19 (2.5); 19.5 and 20 beat all three (6): 8.5 of 9 pairs.
    assert pair.final.estimate == pytest.approx(8.5 / 9)
    assert pair.final.low <= pair.final.estimate <= pair.final.high
    assert pair.sooner is not None and pair.sooner.estimate == 1.0  # every pqn run was faster
    assert "| pqn, recipe pong_pqn | ppo, recipe pong_ppo | 94% [" in comparison_section(comparison)


def test_set_ups_with_different_targets_are_not_raced() -> None:
    pqn = [recipe_run("pong_pqn", s, 19.0, 10.0) for s in range(3)]
    ppo = [replace(recipe_run("pong_ppo", s, 16.0, 30.0), target_score=15.0) for s in range(3)]
    (pair,) = compare(pqn + ppo).pairs
    assert pair.sooner is None
