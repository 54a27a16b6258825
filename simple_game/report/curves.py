"""One comparison plot per game: every run's evaluation curve, against steps and against minutes.

"Does PPO beat DQN on Pong?" is a question about curves, not final numbers: one run can
end on a lucky evaluation, another can still be climbing. And "faster" has two meanings: per
agent step (sample efficiency, the left panel) and per minute of this machine (the right
panel, what a learner waits for). Each set-up (algorithm, recipe, hyperparameters: see
:mod:`.setups`) has its own colour, kept as runs are added. A set-up with 3 or more runs is
drawn as the interquartile mean (IQM) of its runs with a shaded 95% bootstrap confidence
interval, its runs faint behind; a set-up with fewer runs as one line per run, seeds told
apart by line style. Each legend entry says what sets the set-up or run apart from the
others. A recipe's measured reference runs are drawn as a band in the colour of the runs that
follow it, unless the recipe itself already has its IQM band. The axes fit the data; random
and human play are drawn where they fall inside it and named in the legend where they do not.

The PNG bytes depend only on the plotted data (no timestamp, no software tag), and an
unchanged plot is not redrawn at all: a digest of its data is stored in the PNG and
compared first. So regenerating the report neither churns git diffs nor costs matplotlib
time for games whose runs did not change.
"""

from __future__ import annotations

import hashlib
import io
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simple_game.records.files import write_bytes_atomic
from simple_game.records.plots import draw_reference
from simple_game.records.reference import MINUTES, STEPS, load_reference, on_common_grid
from simple_game.records.scores import Baseline, baseline
from simple_game.report.runs import Run, override_key
from simple_game.report.setups import (
    SPARE_COLORS,
    SetupKey,
    by_setup,
    setup_colors,
    setup_key,
    setup_names,
)
from simple_game.report.statistics import MIN_RUNS, curve_band

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend

PLOT_VERSION = "4"  # bump when the drawing code changes, so existing PNGs are redrawn
SUFFIX = "-eval-curves.png"  # only files with this suffix are ever deleted by the report
SEED_STYLES = [(line, marker) for marker in "os^Dv" for line in ("-", "--", ":", "-.")]
MAX_LEGEND_ENTRIES = 10  # more than this: runs of set-ups with few seeds become bundles
LEGEND_WIDTH = 52  # characters: a longer legend entry wraps, as the legend has the right quarter
AXES = ((STEPS, "agent steps"), (MINUTES, "training minutes (on the machine that trained it)"))


def plot_name(game: str) -> str:
    return f"{game}{SUFFIX}"


def write_game_plot(game: str, runs: list[Run], path: Path) -> bool:
    """Draw ``runs``' evaluation curves into ``path``; False when no run has an evaluation."""
    runs = [r for r in runs if r.curve]
    if not runs:
        return False
    digest = _digest(game, runs)
    if _holds(path, digest):
        return True
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, _draw(game, runs, digest))
    return True


def _holds(path: Path, digest: str) -> bool:
    """Whether the PNG at ``path`` was drawn from the data with this digest."""
    try:
        return digest.encode() in path.read_bytes()
    except OSError:  # not drawn yet
        return False


def _digest(game: str, runs: list[Run]) -> str:
    import matplotlib

    references = [load_reference(r) for r in sorted({r.recipe for r in runs if r.recipe})]
    colors = sorted(setup_colors(runs).items(), key=repr)  # they follow the runs' start times
    data = repr(
        (PLOT_VERSION, matplotlib.__version__, game, labels(runs), [r.curve for r in runs],
         colors, references)
    )  # fmt: skip
    return "data-sha256:" + hashlib.sha256(data.encode()).hexdigest()


def labels(runs: list[Run]) -> list[str]:
    """Legend text per run: what sets it apart from the other runs on the plot.

    Its set-up (:func:`~.setups.setup_names`); the seed when seeds differ; the start time or
    job number only where two runs would still read the same.
    """
    several_seeds = len({r.seed for r in runs}) > 1
    texts = []
    for run, setup in zip(runs, setup_names(runs), strict=True):
        parts = [setup] + ([f"seed {run.seed}"] if several_seeds and run.seed is not None else [])
        texts.append(", ".join(parts))
    repeated = {text for text in texts if texts.count(text) > 1}
    for i, run in enumerate(runs):
        if texts[i] in repeated:
            job = f" #{run.path.rsplit('/', 1)[-1]}" if run.sweep else ""
            texts[i] += f" ({run.started or run.path}{job})"
    return texts


def _styles(runs: list[Run]) -> list[tuple[str, str, str]]:
    """(colour, line style, marker) per run: its set-up's colour, one style per repeat."""
    colors = setup_colors(runs)
    seen: dict[SetupKey, int] = {}
    styles = []
    for run in runs:
        key = setup_key(run)
        repeat = seen.get(key, 0)
        seen[key] = repeat + 1
        line, marker = SEED_STYLES[repeat % len(SEED_STYLES)]
        styles.append((colors[key], line, marker))
    return styles


def _band_colors(runs: list[Run], recipes: list[str]) -> dict[str, str]:
    """A recipe's band takes the colour of the oldest set-up that follows it, so the band and
    those runs' lines match; a recipe no run on the plot follows takes a colour no set-up uses."""
    colors = setup_colors(runs)  # oldest set-up first
    spare = iter([c for c in SPARE_COLORS if c not in colors.values()] + ["0.5"] * len(recipes))
    bands = {}
    for recipe in recipes:
        following = [c for key, c in colors.items() if key[1] == recipe]
        bands[recipe] = following[0] if following else next(spare)
    return bands


def _pooled(runs: list[Run]) -> dict[SetupKey, list[Run]]:
    """The set-ups with enough runs for an IQM and its confidence band."""
    return {key: group for key, group in by_setup(runs).items() if len(group) >= MIN_RUNS}


def _banded_recipes(pooled: dict[SetupKey, list[Run]]) -> set[str]:
    """Recipes whose plain set-up (only ``recipe=`` among its hyperparameters) has its own IQM
    band: the recipe's measured band would repeat it, in the same colour."""
    return {key[1] for key in pooled if key[1] and all(override_key(o) == "recipe" for o in key[3])}


def _draw(game: str, runs: list[Run], digest: str) -> bytes:
    buffer = io.BytesIO()
    # No "Software" tag and no timestamp: the same data gives the same bytes.
    figure(game, runs).savefig(
        buffer, format="png", dpi=100, metadata={"Software": None, "Comment": digest}
    )
    return buffer.getvalue()


def figure(game: str, runs: list[Run]) -> Figure:
    """The comparison plot of ``runs`` (each with a curve) as a figure on an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import EngFormatter

    # Files only, no window and no pyplot: works on servers and inside training. Fixed axes
    # and legend positions: matplotlib's automatic ones (tight_layout, loc="best") cost more
    # than drawing hundreds of curves.
    fig = Figure(figsize=(14, 4.8))
    FigureCanvasAgg(fig)
    panels = [fig.add_axes((0.05, 0.13, 0.31, 0.74)), fig.add_axes((0.40, 0.13, 0.31, 0.74))]
    pooled = _pooled(runs)
    recipes = sorted({r.recipe for r in runs if r.recipe} - _banded_recipes(pooled))
    references = [load_reference(r) for r in recipes]
    band_colors = _band_colors(runs, recipes)
    colors = setup_colors(runs)
    names = dict(zip((r.path for r in runs), setup_names(runs), strict=True))
    looks = _looks(runs)
    others = [r for r in runs if setup_key(r) not in pooled]
    legend_tuples: dict[Artist, tuple[Artist, Artist]] = {}
    for ax, (column, xlabel) in zip(panels, AXES, strict=True):
        for reference in filter(None, references):
            draw_reference(ax, reference, column, band_colors[reference["recipe"]])
        for key, group in pooled.items():
            label = f"{names[group[0].path]}: IQM of {len(group)} runs, 95% CI"
            line, shade = _draw_setup(ax, group, column, colors[key], label)
            legend_tuples[line] = (shade, line)
        if len(pooled) + len(others) <= MAX_LEGEND_ENTRIES:
            _draw_each_run(ax, others, column, looks)
        else:
            _draw_bundles(ax, others, column, names, colors)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    panels[0].xaxis.set_major_formatter(EngFormatter())
    panels[0].set_ylabel("score (mean of full games)")
    panels[0].set_title("against agent steps", fontsize=10)
    panels[1].set_title("against minutes of training", fontsize=10)
    _fit_and_mark_baselines(panels, baseline(runs[0].env_id or game))
    fig.suptitle(f"{game}: evaluation score during training")
    handles, entries = panels[0].get_legend_handles_labels()
    handles = [legend_tuples.get(h, h) for h in handles]  # an IQM line over its band
    entries = [textwrap.fill(e, LEGEND_WIDTH, subsequent_indent="  ") for e in entries]
    legend = fig.legend(handles, entries, fontsize="small", loc="upper left",
                        bbox_to_anchor=(0.72, 0.87), frameon=False)  # fmt: skip
    _fit_legend(fig, legend)
    return fig


def _fit_legend(fig: Figure, legend: Legend) -> None:
    """Make the figure taller when the legend would run off its bottom (many entries)."""
    height = legend.get_window_extent(fig.canvas.get_renderer()).height / fig.dpi
    top = 0.87  # the legend's top, as a fraction of the figure's height
    width, current = fig.get_size_inches()
    needed = (height + 0.1) / top
    if needed > current:
        fig.set_size_inches(width, needed)


def _points(run: Run, column: int) -> tuple[list[float], list[float]]:
    """x (steps or minutes) and mean score of a run's evaluations that have that x."""
    points = [
        (p.steps if column == STEPS else p.minutes, p.mean)
        for p in run.curve
        if (p.steps if column == STEPS else p.minutes) is not None
    ]
    return [float(x) for x, _ in points], [y for _, y in points]


def _draw_setup(
    ax: Axes, runs: list[Run], column: int, color: str, label: str
) -> tuple[Artist, Artist]:
    """A set-up with enough runs: each run faint, their IQM bold over its shaded 95% CI.

    Each run is interpolated between its own evaluations and ends where it stopped (at its
    target, say); the IQM and band are drawn only where at least :data:`MIN_RUNS` runs have
    data, so they end where the third-last run stopped. Returns the IQM line and the band.
    """
    curves = [_points(r, column) for r in runs]
    for x, y in curves:
        ax.plot(x, y, color=color, alpha=0.35, linewidth=0.8)
    grid, scores = on_common_grid([c for c in curves if c[0]] or [([], [])])
    if grid.size:
        middle, low, high = curve_band(scores)
    else:  # no run has this x (minutes missing from older files)
        middle = low = high = np.empty(0)
    shade = ax.fill_between(grid, low, high, where=~np.isnan(middle), color=color, alpha=0.25,
                            linewidth=0)  # fmt: skip
    (line,) = ax.plot(grid, middle, color=color, linewidth=2.2, label=label)
    return line, shade


def _looks(runs: list[Run]) -> dict[str, tuple[str, str, str, str]]:
    """(legend text, colour, line style, marker) of each run (by path), decided among all
    the runs of the plot."""
    return {
        run.path: (text, *style)
        for run, text, style in zip(runs, labels(runs), _styles(runs), strict=True)
    }


def _draw_each_run(
    ax: Axes, runs: list[Run], column: int, looks: dict[str, tuple[str, str, str, str]]
) -> None:
    """Few runs: one line each, in its set-up's colour and its own style, each in the legend."""
    for run in runs:
        text, color, line, marker = looks[run.path]
        x, y = _points(run, column)
        ax.plot(x, y, color=color, linestyle=line, marker=marker, markersize=3, linewidth=1.5,
                label=text)  # fmt: skip


def _draw_bundles(
    ax: Axes,
    runs: list[Run],
    column: int,
    names: dict[str, str],
    colors: dict[SetupKey, str],
) -> None:
    """Many runs: one translucent bundle (a LineCollection draws fast) and one legend entry
    per colour, each in its set-ups' colour; where colours repeat, a bundle holds several."""
    from matplotlib.collections import LineCollection

    bundles: dict[str, list[Run]] = {}
    for run in runs:
        bundles.setdefault(colors[setup_key(run)], []).append(run)
    for color, group in bundles.items():
        curves = [list(zip(*_points(r, column), strict=True)) for r in group]
        ax.add_collection(LineCollection(curves, colors=color, linewidths=1, alpha=0.5))
        setups = {names[r.path] for r in group}
        what = setups.pop() if len(setups) == 1 else f"{len(setups)} set-ups"
        n = len(group)
        ax.plot([], [], color=color, label=f"{what} ({n} run{'' if n == 1 else 's'})")
    ax.autoscale_view()


def _fit_and_mark_baselines(panels: list[Axes], ref: Baseline | None) -> None:
    """One y-range for both panels, fitted to the data; random and human play drawn where
    they fall inside it (plus a small margin) and named in the legend otherwise."""
    low = min(ax.get_ylim()[0] for ax in panels)
    high = max(ax.get_ylim()[1] for ax in panels)
    margin = 0.1 * max(high - low, 1.0)
    for ax in panels:
        ax.set_ylim(low, high)
    if ref is None:
        return
    for value, name, style in ((ref.random, "random play", ":"), (ref.human, "human", "--")):
        inside = low - margin <= value <= high + margin
        for ax in panels:
            if inside:
                text = f"{name} ({value:g})"
                ax.axhline(value, color="0.35", linestyle=style, linewidth=1, label=text)
            elif ax is panels[0]:
                where = "above" if value > high else "below"
                ax.plot([], [], " ", label=f"{name}: {value:g} ({where} the plotted range)")
        if inside:
            low, high = min(low, value), max(high, value)
    for ax in panels:
        ax.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low))
