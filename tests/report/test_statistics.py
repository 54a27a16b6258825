"""IQM, median, bootstrap intervals and the probability of improvement, checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simple_game.report.statistics import (
    curve_band,
    improvement_interval,
    interval,
    iqm,
    median,
    probability_of_improvement,
)


def test_iqm_is_the_mean_of_the_middle_half_of_the_runs() -> None:
    # 8 runs: the middle half is 3, 4, 5, 6 whatever the outliers are.
    assert iqm([1, 2, 3, 4, 100, 7, 6, 5]) == pytest.approx(4.5)
    assert iqm([10, 1, 2, 3]) == pytest.approx(2.5)  # 4 runs: the middle two
    # 3 runs: the middle half is 1.5 runs, all of the middle one and a quarter of each other:
    # (0/4 + 3 + 12/4) / 1.5 = 4, where the plain mean would be 5.
    assert iqm([12, 0, 3]) == pytest.approx(4.0)
    assert iqm([7.0]) == pytest.approx(7.0)


def test_a_run_that_never_got_there_counts_as_infinity() -> None:
    assert iqm([1, 2, 3, math.inf]) == pytest.approx(2.5)  # in the top quarter: left out
    assert iqm([20, 30, math.inf]) == math.inf  # a third of the runs reach into the middle half
    assert median([20, 30, math.inf]) == 30


def test_interval_contains_the_estimate_and_narrows_with_more_runs() -> None:
    scores = np.random.default_rng(1).normal(15.0, 3.0, size=40)
    few, many = interval(scores[:5], iqm), interval(scores, iqm)
    for estimate in (few, many):
        assert estimate.low <= estimate.estimate <= estimate.high
    assert many.high - many.low < (few.high - few.low) / 2


def test_the_same_runs_give_the_same_interval_whatever_was_computed_before() -> None:
    runs = [19.0, 19.375, 20.375, 18.5, 21.0]
    first = interval(runs, iqm)
    interval([1.0, 2.0, 3.0], median)  # another interval in between
    assert interval(runs, iqm) == first


def test_with_three_runs_the_interval_is_their_range() -> None:
    # Re-drawing three runs gives "all the lowest" 1 time in 27, more than 2.5%: the interval
    # cannot reach past the runs we have (the page warns about it).
    result = interval([1.0, 2.0, 10.0], iqm)
    assert (result.low, result.high) == (1.0, 10.0)


def test_probability_of_improvement_counts_ties_as_half() -> None:
    # x=1 beats only the 0 (1); x=2 ties twice and beats the 0 (2); x=3 beats all (3): 6 of 9.
    assert probability_of_improvement([1, 2, 3], [2, 2, 0]) == pytest.approx(6 / 9)
    assert probability_of_improvement([5, 5], [5, 5]) == pytest.approx(0.5)
    assert probability_of_improvement([math.inf], [math.inf]) == pytest.approx(0.5)


def test_improvement_interval() -> None:
    same = improvement_interval([1, 2, 3, 4], [1, 2, 3, 4])
    assert same.estimate == pytest.approx(0.5) and same.low < 0.5 < same.high
    apart = improvement_interval([10, 11, 12], [1, 2, 3])
    assert apart == (1.0, 1.0, 1.0)  # every run beat every run, in every re-draw too


def test_curve_band_needs_three_runs_at_a_point() -> None:
    nan = math.nan
    scores = np.array(
        [
            [1.0, 2.0, 3.0, 4.0],
            [2.0, 3.0, 4.0, nan],  # stopped after the third point
            [nan, 4.0, 5.0, nan],  # started later
            [0.0, 1.0, 2.0, nan],
        ]
    )
    middle, low, high = curve_band(scores)
    assert not math.isnan(middle[0]) and math.isnan(middle[3])  # 3 runs, then 1
    assert middle[1] == pytest.approx(iqm([2.0, 3.0, 4.0, 1.0]))
    assert middle[0] == pytest.approx(iqm([1.0, 2.0, 0.0]))
    assert np.all(low[:3] <= middle[:3]) and np.all(middle[:3] <= high[:3])


def test_runs_of_equal_score_give_that_score_exactly() -> None:
    # 29.25 (a mean of 8 games) must not print as 29.3 as an interval's end and 29.2 elsewhere.
    assert iqm([29.25, 29.25, 29.25]) == 29.25
    assert interval([29.25, 30.0, 38.5], iqm).low == 29.25
