"""Statistics across runs that a learner can trust with a handful of seeds.

Deep RL results swing from seed to seed, and a learner rarely has more than 3 to 5 runs of a
set-up. Agarwal et al. 2021 ("Deep RL at the Edge of the Statistical Precipice", NeurIPS)
showed how papers misled themselves with point estimates from so few runs, and recommend
what this module computes:

- the **interquartile mean** (IQM, :func:`iqm`): the mean of the middle half of the runs.
  One lucky or broken seed moves a mean a lot and a median not at all, however far the
  others are; the IQM ignores the extreme quarters and still averages half the runs, so it
  is robust and less noisy than the median;
- a **95% bootstrap confidence interval** (:func:`interval`): how far the statistic could be
  from the one more seeds would give, estimated by re-drawing the runs we have, with
  replacement, thousands of times;
- the **probability of improvement** (:func:`probability_of_improvement`): the chance that a
  run of one set-up beats a run of another. "By how much" depends on the game's scale;
  "how often" does not.

Why written here rather than imported: ``rliable`` (the paper's library) requires ``arch``
(which brings pandas, statsmodels and scipy), seaborn and absl-py; ``scipy.stats.bootstrap``
interpolates its percentiles, which turns the +infinity of a run that never reached its
target into NaN. The percentile bootstrap is a dozen lines of numpy that handle +infinity by
sorting it last (docs/decisions.md).

Everything is deterministic: each interval draws its resamples from a fresh generator with a
fixed seed, so the same runs give the same numbers, byte for byte, whatever else is computed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

CONFIDENCE = 0.95
RESAMPLES = 10_000  # the Monte Carlo error of a 2.5% quantile is then far below what 3-5 runs allow
SEED = 0
MIN_RUNS = 3  # with fewer runs, a bootstrap interval has almost nothing to re-draw

Values = np.ndarray | Sequence[float]  # one value per run


class Interval(NamedTuple):
    """A statistic and its confidence interval (``low`` to ``high``)."""

    estimate: float
    low: float
    high: float


class OrderStatistic:
    """A weighted mean of the sorted runs, over the last axis: the IQM and the median are both.

    ``weights(n)`` gives the whole-number weight of the smallest to the largest of ``n`` runs;
    the statistic divides by their sum, so runs of equal score give that score exactly (the
    mean of 8 games is a multiple of 1/8, and 29.25 must not print as 29.3 in one column and
    29.2 in the next). Only the runs with a weight are summed, so a +infinity (a run that
    never reached its target) outside them does no harm, and one inside makes the statistic
    +infinity: the typical run did not get there. Knowing the weights lets :func:`bootstrap`
    skip sorting each re-draw.
    """

    def __init__(self, weights: Callable[[int], np.ndarray]) -> None:
        self.weights = weights

    def __call__(self, values: Values) -> np.ndarray:
        return self.of_sorted(np.sort(np.asarray(values, dtype=float), axis=-1))

    def of_sorted(self, ordered: np.ndarray) -> np.ndarray:
        """The statistic of runs already sorted along the last axis."""
        weights = self.weights(ordered.shape[-1])
        used = np.flatnonzero(weights)  # a 0 weight times an infinity would be NaN
        kept = weights[used[0] : used[-1] + 1]
        return (ordered[..., used[0] : used[-1] + 1] @ kept) / kept.sum()


def _middle_half(n: int) -> np.ndarray:
    """Weights of the interquartile mean: how much of each run lies inside the middle half.

    In quarters of a run: run i covers 4i to 4i + 4, the middle half n to 3n. When the count
    is not a multiple of 4, the runs at the edge of the middle half count in part (the
    textbook IQM): with 3 runs, the middle one counts fully and the outer two a quarter each,
    ``(x1/4 + x2 + x3/4) / 1.5``. ``scipy.stats.trim_mean(x, 0.25)``, which rliable uses,
    cuts whole runs only, so with 3 runs it cuts none and returns the plain mean; for 4, 8,
    12 ... runs the two agree.
    """
    start = 4 * np.arange(n)
    return np.clip(np.minimum(start + 4, 3 * n) - np.maximum(start, n), 0, None).astype(float)


def _middle(n: int) -> np.ndarray:
    """Weights of the median: the middle run, or the middle two alike."""
    weights = np.zeros(n)
    weights[(n - 1) // 2] += 1
    weights[n // 2] += 1
    return weights


iqm = OrderStatistic(_middle_half)  # the interquartile mean: the mean of the middle half
median = OrderStatistic(_middle)


def interval(values: Values, statistic: OrderStatistic, resamples: int = RESAMPLES) -> Interval:
    """``statistic`` of ``values`` (one value per run) with its 95% percentile-bootstrap interval.

    With one game, the paper's *stratified* bootstrap is simply re-drawing runs. The
    *percentile* method takes the 2.5% and 97.5% quantiles of the re-drawn statistics. BCa
    corrects their bias and skew with a jackknife, which with 3 runs rests on 3 numbers and
    breaks on a +infinity; rliable uses the percentile method too. Beware: re-drawing 3 runs
    can never give a value outside them, so with few runs the interval is too narrow.
    """
    estimate, low, high = bootstrap(np.asarray(values, dtype=float), statistic, resamples)
    return Interval(float(estimate), float(low), float(high))


def bootstrap(
    samples: np.ndarray, statistic: OrderStatistic, resamples: int = RESAMPLES
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, low, high) of ``statistic`` over the last axis of ``samples``, for every
    leading index at once (a learning curve: one row of runs per evaluated step count).

    Each re-draw picks as many runs as there are, with replacement. Picking from the sorted
    runs in ascending order of position gives each re-draw already sorted: the same re-draws,
    without sorting thousands of them.
    """
    ordered = np.sort(samples, axis=-1)
    n = ordered.shape[-1]
    picks = np.sort(np.random.default_rng(SEED).integers(0, n, size=(resamples, n)), axis=-1)
    low, high = _percentiles(statistic.of_sorted(ordered[..., picks]))
    return statistic.of_sorted(ordered), low, high


def probability_of_improvement(x: Values, y: Values) -> np.ndarray:
    """P(X > Y): the chance that a run of X beats a run of Y, over the last axis of each.

    Every run of X is compared with every run of Y, a tie counting one half: the
    Mann-Whitney U statistic divided by the number of pairs, as in rliable (there averaged
    over games; here one game at a time). 0.5 means neither is better; it says how often,
    not by how much, so it reads the same on every game's scale.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    greater = x[..., :, None] > y[..., None, :]
    ties = x[..., :, None] == y[..., None, :]
    return np.mean(greater + 0.5 * ties, axis=(-2, -1))


def improvement_interval(x: Values, y: Values, resamples: int = RESAMPLES) -> Interval:
    """P(X > Y) with its 95% percentile-bootstrap interval. The two set-ups' runs are
    re-drawn independently (they share nothing), each from its own runs."""
    x_runs, y_runs = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rng = np.random.default_rng(SEED)
    x_picks = rng.integers(0, len(x_runs), size=(resamples, len(x_runs)))
    y_picks = rng.integers(0, len(y_runs), size=(resamples, len(y_runs)))
    low, high = _percentiles(probability_of_improvement(x_runs[x_picks], y_runs[y_picks]))
    return Interval(float(probability_of_improvement(x_runs, y_runs)), float(low), float(high))


def curve_band(
    scores: np.ndarray, statistic: OrderStatistic = iqm, resamples: int = 1_000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, low, high) per column of ``scores`` (runs x points, NaN where a run has no
    data), NaN where fewer than :data:`MIN_RUNS` runs have data.

    Each point uses only the runs that have data there. Fewer resamples than for a table:
    a band edge that moves by less than a line's width is not worth the time.
    """
    estimate, low, high = (np.full(scores.shape[1], np.nan) for _ in range(3))
    present = ~np.isnan(scores)
    patterns = {tuple(column) for column in present.T if column.sum() >= MIN_RUNS}
    for pattern in sorted(patterns):  # the points that the same runs cover, at once
        mask = np.asarray(pattern)
        points = (present == mask[:, None]).all(axis=0)
        sample = scores[mask][:, points].T  # points x runs
        estimate[points], low[points], high[points] = bootstrap(sample, statistic, resamples)
    return estimate, low, high


def _percentiles(statistics: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 2.5% and 97.5% quantiles over the last axis, taken as actual resampled values
    (never interpolated, so a +infinity stays +infinity rather than becoming NaN)."""
    resamples = statistics.shape[-1]
    tail = (1 - CONFIDENCE) / 2
    low = int(np.floor(tail * resamples))
    high = int(np.ceil((1 - tail) * resamples)) - 1
    ordered = np.partition(statistics, (low, high), axis=-1)  # sorts just enough for these two
    return ordered[..., low], ordered[..., high]
