"""One comparison plot per game: every run's evaluation curve, against steps and against minutes.

"Does PPO beat DQN on Pong?" is a question about curves, not final numbers: one run can
end on a lucky evaluation, another can still be climbing. And "faster" has two meanings: per
agent step (sample efficiency, the left panel) and per minute of this machine (the right
panel, what a learner waits for). Each set-up (algorithm, recipe, hyperparameters) has its
own colour; its seeds share that colour and differ by line style, since seeds are repeats of
one experiment. Each legend entry says what sets the run apart from the others. A recipe's
measured reference runs are drawn as a band in the colour of the runs that follow it. The
axes fit the data; random and human play are drawn where they fall inside it and named in
the legend where they do not.

The PNG bytes depend only on the plotted data (no timestamp, no software tag), and an
unchanged plot is not redrawn at all: a digest of its data is stored in the PNG and
compared first. So regenerating the report neither churns git diffs nor costs matplotlib
time for games whose runs did not change.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import TYPE_CHECKING

from simple_game.records.files import write_bytes_atomic
from simple_game.records.plots import draw_reference
from simple_game.records.reference import MINUTES, STEPS, load_reference
from simple_game.records.scores import Baseline, baseline
from simple_game.report.runs import Run, override_key

if TYPE_CHECKING:
    from matplotlib.axes import Axes

PLOT_VERSION = "3"  # bump when the drawing code changes, so existing PNGs are redrawn
SUFFIX = "-eval-curves.png"  # only files with this suffix are ever deleted by the report
ALGO_COLORS = {"ppo": "C0", "a2c": "C1", "dqn": "C2", "qrdqn": "C3", "pqn": "C4"}
OTHER_COLORS = ("C5", "C6", "C8", "C9")
SETUP_COLORS = [f"C{i}" for i in range(10)] + [f"tab:{c}" for c in ("olive", "cyan")]
SEED_STYLES = [(line, marker) for marker in "os^Dv" for line in ("-", "--", ":", "-.")]
MAX_LEGEND_RUNS = 10  # more runs than this: one bundle and legend entry per algorithm
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
    data = repr(
        (PLOT_VERSION, matplotlib.__version__, game, labels(runs), [r.curve for r in runs],
         references)
    )  # fmt: skip
    return "data-sha256:" + hashlib.sha256(data.encode()).hexdigest()


def labels(runs: list[Run]) -> list[str]:
    """Legend text per run: what sets it apart from the other runs on the plot.

    The algorithm always; a recipe; the policy when runs of one algorithm differ in it; the
    hyperparameters it changed that not every run shares (``algo.`` dropped:
    ``ent_coef=0.02``); the budget and the seed when they differ; the start time or job number
    only where two runs would still read the same.
    """
    several_seeds = len({r.seed for r in runs}) > 1
    texts = []
    for run, setup in zip(runs, _setups(runs), strict=True):
        parts = [setup] + ([f"seed {run.seed}"] if several_seeds and run.seed is not None else [])
        texts.append(", ".join(parts))
    repeated = {text for text in texts if texts.count(text) > 1}
    for i, run in enumerate(runs):
        if texts[i] in repeated:
            job = f" #{run.path.rsplit('/', 1)[-1]}" if run.sweep else ""
            texts[i] += f" ({run.started or run.path}{job})"
    return texts


def _setups(runs: list[Run]) -> list[str]:
    """Per run, what it was set up with, seed left out: runs with the same text are repeats."""
    common = set.intersection(*(set(r.hyperparameters) for r in runs))
    several_budgets = len({r.total_timesteps for r in runs}) > 1
    policies: dict[str, set[str]] = {}
    for run in runs:
        policies.setdefault(run.algo, set()).add(run.policy)
    texts = []
    for run in runs:
        parts = [run.algo] + ([f"recipe {run.recipe}"] if run.recipe else [])
        if len(policies[run.algo]) > 1 and run.policy:
            parts.append(run.policy)
        parts += [  # the recipe is named above already
            o.removeprefix("algo.")
            for o in run.hyperparameters
            if o not in common and override_key(o) != "recipe"
        ]
        if several_budgets and run.total_timesteps:
            parts.append(f"{run.total_timesteps:,} steps")
        texts.append(", ".join(parts))
    return texts


def _styles(runs: list[Run]) -> list[tuple[str, str, str]]:
    """(colour, line style, marker) per run: one colour per set-up, one style per repeat."""
    setups = _setups(runs)
    order = list(dict.fromkeys(setups))
    seen: dict[str, int] = {}
    styles = []
    for setup in setups:
        repeat = seen.get(setup, 0)
        seen[setup] = repeat + 1
        line, marker = SEED_STYLES[repeat % len(SEED_STYLES)]
        styles.append((SETUP_COLORS[order.index(setup) % len(SETUP_COLORS)], line, marker))
    return styles


def _band_colors(runs: list[Run], recipes: list[str]) -> dict[str, str]:
    """A recipe's band takes the colour of the first run that follows it; one with no such
    run on the plot takes a colour no run uses."""
    run_colors = [color for color, _, _ in _styles(runs)]
    spare = iter([c for c in SETUP_COLORS if c not in run_colors] + ["0.5"] * len(recipes))
    colors = {}
    for recipe in recipes:
        following = [c for r, c in zip(runs, run_colors, strict=True) if r.recipe == recipe]
        colors[recipe] = following[0] if following else next(spare)
    return colors


def _draw(game: str, runs: list[Run], digest: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")  # files only, no window: works on servers and inside training
    import matplotlib.pyplot as plt
    from matplotlib.ticker import EngFormatter

    # Fixed axes and legend positions: matplotlib's automatic ones (tight_layout,
    # loc="best") cost more than drawing hundreds of curves.
    fig = plt.figure(figsize=(14, 4.8))
    panels = [fig.add_axes((0.05, 0.13, 0.31, 0.74)), fig.add_axes((0.40, 0.13, 0.31, 0.74))]
    try:
        recipes = sorted({r.recipe for r in runs if r.recipe})
        references = [load_reference(r) for r in recipes]
        band_colors = _band_colors(runs, recipes)
        for ax, (column, xlabel) in zip(panels, AXES, strict=True):
            for reference in filter(None, references):
                draw_reference(ax, reference, column, band_colors[reference["recipe"]])
            if len(runs) <= MAX_LEGEND_RUNS:
                _draw_each_run(ax, runs, column)
            else:
                _draw_by_algo(ax, runs, column)
            ax.set_xlabel(xlabel)
            ax.grid(alpha=0.3)
        panels[0].xaxis.set_major_formatter(EngFormatter())
        panels[0].set_ylabel("score (mean of full games)")
        panels[0].set_title("against agent steps", fontsize=10)
        panels[1].set_title("against minutes of training", fontsize=10)
        _fit_and_mark_baselines(panels, baseline(runs[0].env_id or game))
        fig.suptitle(f"{game}: evaluation score during training")
        handles, texts = panels[0].get_legend_handles_labels()
        fig.legend(handles, texts, fontsize="small", loc="upper left", bbox_to_anchor=(0.72, 0.87),
                   frameon=False)  # fmt: skip
        buffer = io.BytesIO()
        # No "Software" tag and no timestamp: the same data gives the same bytes.
        fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None, "Comment": digest})
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _points(run: Run, column: int) -> tuple[list[float], list[float]]:
    """x (steps or minutes) and mean score of a run's evaluations that have that x."""
    points = [
        (p.steps if column == STEPS else p.minutes, p.mean)
        for p in run.curve
        if (p.steps if column == STEPS else p.minutes) is not None
    ]
    return [float(x) for x, _ in points], [y for _, y in points]


def _draw_each_run(ax: Axes, runs: list[Run], column: int) -> None:
    """Few runs: one line each, in its set-up's colour and its own style, each in the legend."""
    for run, text, (color, line, marker) in zip(runs, labels(runs), _styles(runs), strict=True):
        x, y = _points(run, column)
        ax.plot(x, y, color=color, linestyle=line, marker=marker, markersize=3, linewidth=1.5,
                label=text)  # fmt: skip


def _draw_by_algo(ax: Axes, runs: list[Run], column: int) -> None:
    """Many runs: one translucent bundle per algo (a LineCollection draws fast), one legend
    entry per algo. Where bundles overlap, the algorithms are hard to tell apart anyway."""
    from matplotlib.collections import LineCollection

    algos = sorted({r.algo for r in runs})
    others = iter(OTHER_COLORS * len(algos))
    for algo in algos:
        color = ALGO_COLORS.get(algo) or next(others)
        curves = [list(zip(*_points(r, column), strict=True)) for r in runs if r.algo == algo]
        ax.add_collection(LineCollection(curves, colors=color, linewidths=1, alpha=0.5))
        n = len(curves)
        ax.plot([], [], color=color, label=f"{algo} ({n} run{'' if n == 1 else 's'})")
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
