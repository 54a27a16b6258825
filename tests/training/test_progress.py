"""The console line's time left: to the step budget or the time limit, whichever comes first;
and the progress bar, whose clock agrees with it."""

from __future__ import annotations

import time

import pytest

from simple_game.text import format_duration
from simple_game.training.progress import Stopwatch, TimeLimitProgressBar, time_left


def test_without_a_time_limit_the_steps_left_set_the_time_left() -> None:
    assert time_left(3_600_000, 1_000.0, 600.0, None) == (3_600.0, False)


def test_a_time_limit_that_comes_first_sets_the_time_left() -> None:
    # pong_pqn: 8M steps at 1,000 steps/s would take 2h13m, but the recipe stops at 60 minutes.
    left, by_clock = time_left(7_400_000, 1_000.0, 10 * 60.0, 60)
    assert (left, by_clock) == (50 * 60.0, True)
    assert format_duration(left) == "50m00s"


def test_a_step_budget_that_comes_first_sets_the_time_left() -> None:
    assert time_left(100_000, 1_000.0, 10 * 60.0, 60) == (100.0, False)


@pytest.mark.parametrize(("speed", "trained_s"), [(0.0, 0.0), (1_000.0, 4_000.0)])
def test_the_time_left_is_never_negative(speed: float, trained_s: float) -> None:
    left, _ = time_left(1_000_000, speed, trained_s, 60)
    assert left >= 0.0


def test_with_a_time_limit_the_bar_counts_training_seconds_to_it() -> None:
    # SB3's bar would count steps to train.total_timesteps (hours, for a recipe that stops
    # within the hour) beside a console line counting down the limit.
    stopwatch = Stopwatch(previous_s=30.0, started=time.monotonic())  # a resumed run
    bar = TimeLimitProgressBar(stopwatch, max_minutes=1.0)
    bar._on_training_start()
    try:
        assert (bar.pbar.total, bar.pbar.n) == (60, 30)
        stopwatch.previous_s = 45.0
        bar._on_step()
        assert bar.pbar.n == 45
        stopwatch.previous_s = 100.0  # past the limit: the bar stops at it
        bar._on_step()
        assert bar.pbar.n == 60
    finally:
        bar._on_training_end()
