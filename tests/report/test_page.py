"""The notebook's overview: at a glance, the run a learner would call the best."""

from __future__ import annotations

import dataclasses

from simple_game.report.page import _best_run
from simple_game.report.runs import Run, Score
from tests.report.factories import run


def finished(name: str, steps: int, minutes: float, final: float, ended_by: str) -> Run:
    return run(path=f"runs/reference/{name}", timesteps=steps, wall_time_s=minutes * 60,
               final=Score(final, 1.0), ended_by=ended_by)  # fmt: skip


def test_at_a_glance_does_not_rank_a_run_too_short_to_mean_anything() -> None:
    lucky = run(path="runs/short", timesteps=512, final=Score(4.0, 0.0), ended_by="budget")
    real = run(path="runs/long", timesteps=50_000, final=Score(-19.0, 1.0), ended_by="budget")
    assert _best_run([lucky, real]) == real


def test_a_run_that_stopped_at_its_target_counts_however_short() -> None:
    # The committed Pong runs: A2C trained longest (4.64M steps) and scored -10.6; PQN reached
    # the target in 1.2-1.7M steps, under half of that, and still is the best.
    a2c = finished("pong_a2c/seed0", 4_641_456, 60.0, -10.6, "time_limit")
    ppo = finished("pong_ppo/seed1", 2_800_000, 55.3, 19.1, "target")
    pqn = [
        finished("pong_pqn/seed0", 1_200_000, 19.3, 19.0, "target"),
        finished("pong_pqn/seed1", 1_700_096, 29.3, 19.4, "target"),
        finished("pong_pqn/seed2", 1_500_032, 24.2, 20.4, "target"),
    ]
    assert _best_run([a2c, ppo, *pqn]) == pqn[2]


def test_among_equal_scores_the_faster_run_is_the_best() -> None:
    slow = finished("slow", 2_000_000, 50.0, 19.0, "target")
    fast = finished("fast", 1_000_000, 20.0, 19.0, "target")
    assert _best_run([slow, fast]) == fast
    assert _best_run([fast, slow]) == fast


def test_a_fresh_final_outranks_a_replay_of_the_evaluation_that_crossed_the_target() -> None:
    # pong_pqn seed 2 (recorded before finals were played on other games) replayed its 20.4,
    # the evaluation that stopped it; pong_ppo_fast seed 2 played 8 new games for its 20.1.
    replayed = dataclasses.replace(
        finished("pong_pqn/seed2", 1_500_032, 24.2, 20.4, "target"), final_replayed=True
    )
    fresh = finished("pong_ppo_fast/seed2", 2_200_000, 38.9, 20.1, "target")
    assert _best_run([replayed, fresh]) == fresh
    assert _best_run([replayed]) == replayed  # no fresh final to show: the replay, marked †
