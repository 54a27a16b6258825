"""The learning curve of a run: ``<run>/learning_curve.png``, readable at a glance.

Two lines tell different stories, so both are drawn:

* **evaluation** (from evaluations.jsonl): the mean of a few full games at each evaluation
  point, with a bar from the lowest to the highest game; honest but sparse;
* **training games** (from progress.csv, SB3's ``rollout/ep_rew_mean``): the average full-game
  score of the last 100 training games (the Monitor sits inside the Atari wrappers, so these
  are real scores); dense but played with exploration, so usually a little lower.

Random and human play are drawn as horizontal lines when published scores are known
(:mod:`simple_game.records.scores`), so "is it learning?" and "how good is that?" are answered
without looking anything up. A run made with a recipe also gets the recipe's measured runs as
a band (:mod:`simple_game.records.reference`): "is my run on track?". Written at the end of
each training run, and on demand with ``python -m simple_game.evaluate run=<dir> plot_only=true``.

Uses matplotlib's object API with the Agg canvas (no pyplot, no display, no global state).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simple_game.records import scores
from simple_game.records.evaluations import evaluation_points
from simple_game.records.paths import TRAIN_SCORE_COLUMN, RunPaths
from simple_game.records.progress import read_progress
from simple_game.records.reference import STEPS, band, load_reference
from simple_game.records.run_summary import read_summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def training_scores(run_dir: Path) -> tuple[list[int], list[float]]:
    """(agent steps, average training-game score) of progress.csv's rows that have a score
    (rows before the first finished game have none)."""
    rows = read_progress(run_dir).get(TRAIN_SCORE_COLUMN, [])
    return [steps for steps, _ in rows], [value for _, value in rows]


def _run_facts(run_dir: Path) -> tuple[str, str | None, str | None]:
    """(title, env id, recipe) from summary.json or, without it, the saved config."""
    paths = RunPaths(run_dir)
    data = read_summary(run_dir)
    if data is not None:
        algo, env, env_id, recipe = data.algo, data.env, data.env_id, data.recipe
    else:
        from omegaconf import OmegaConf

        cfg = OmegaConf.load(paths.hydra_config)
        algo, env, env_id = cfg.algo.name, cfg.env.name, cfg.env.id
        recipe = cfg.get("recipe")
    return f"{str(algo).upper()} on {env} ({env_id})", env_id, recipe


def _far_above(human: float, random: float, data_top: float) -> bool:
    """True if drawing the human level would shrink the data to under a quarter of the plot."""
    span = max(data_top - random, 1e-9)
    return human - random > 4 * span


def plot_learning_curve(run_dir: Path) -> Path:
    """Draw ``<run_dir>/learning_curve.png`` from the run's logs and return its path."""
    path = RunPaths(run_dir).learning_curve
    learning_curve_figure(run_dir).savefig(path)
    return path


def learning_curve_figure(run_dir: Path) -> Figure:
    """The learning curve of a run as a matplotlib figure (Agg canvas, no display)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import EngFormatter

    title, env_id, recipe = _run_facts(run_dir)
    fig = Figure(figsize=(11, 5), dpi=110)
    ax = fig.add_subplot()
    reference = load_reference(recipe)
    if reference is not None:
        draw_reference(ax, reference)
    drew_training = _draw_training(ax, *training_scores(run_dir))
    drew_evals = _draw_evaluations(ax, run_dir)
    if env_id:
        _draw_baselines(ax, env_id)
    if not (drew_training or drew_evals or reference is not None):
        ax.text(
            0.5,
            0.5,
            "no evaluation and no finished training game yet",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="tab:gray",
        )
    ax.set_title(f"{title}\nrun {run_dir.name}", fontsize=12)
    ax.set_xlabel("training steps (agent decisions, all parallel games)")
    ax.set_ylabel("score per full game (points)")
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))  # 1M instead of 1e6 in a corner
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9)  # beside, never on, the data
    fig.tight_layout()
    return fig


def _draw_training(ax: Axes, steps: list[int], values: list[float]) -> bool:
    """The average score of the last 100 training games: dense, played while exploring."""
    if steps:
        ax.plot(
            steps,
            values,
            color="tab:blue",
            linewidth=1.5,
            label="training games (average of the last 100)",
        )
    return bool(steps)


def _draw_evaluations(ax: Axes, run_dir: Path) -> bool:
    """Each evaluation's mean score, with a bar from its lowest to its highest game.

    The bar shows the real spread of the games' scores, always inside the game's range
    (a mean ± std band would reach below Pong's -21), and a single evaluation shows it too.
    """
    points = evaluation_points(run_dir)
    if not points:
        return False
    x = [p.timesteps for p in points]
    mean = [float(np.mean(p.games)) for p in points]
    lowest = [min(p.games) for p in points]
    highest = [max(p.games) for p in points]
    n = len(points[0].games)  # a pooled last point has more
    games = f"{n} full game{'' if n == 1 else 's'}" if n else "full games"
    ax.errorbar(
        x,
        mean,
        yerr=[[m - lo for m, lo in zip(mean, lowest, strict=True)],
              [hi - m for m, hi in zip(mean, highest, strict=True)]],
        fmt="o-",
        color="tab:orange",
        linewidth=2,
        markersize=4,
        elinewidth=1,
        capsize=3,
        label=f"evaluation: mean of {games}; bar = lowest to highest game",
    )  # fmt: skip
    return True


def draw_reference(ax: Axes, reference: dict, column: int = STEPS, color: str = "0.5") -> None:
    """The recipe's measured runs: a band from their lowest to their highest score, or, with a
    single run, that run as a broad pale line (a band of one run has no width to see).

    The learning curve of one run draws it grey (green is the human line); experiments.md
    gives it the colour of the runs that follow the recipe. A change here must bump
    ``report.curves.PLOT_VERSION``, or experiments.md keeps its plots drawn the old way.
    """
    x, low, high = band(reference, column)
    seeds = len(reference["seeds"])
    name = f"recipe {reference['recipe']}"
    if seeds == 1:
        ax.plot(x, low, color=color, alpha=0.3, linewidth=6, label=f"{name}: 1 measured run")
    else:
        ax.fill_between(
            x, low, high, color=color, alpha=0.2, linewidth=0,
            label=f"{name}: {seeds} measured runs (min to max)",
        )  # fmt: skip


def _draw_baselines(ax: Axes, env_id: str) -> None:
    """Random and human play, when published scores are known; a human level far above the
    data is named in the legend rather than drawn, so it does not squash the curves."""
    ref = scores.baseline(env_id)
    if ref is None:
        return
    ax.axhline(
        ref.random,
        color="tab:gray",
        linestyle=":",
        linewidth=1.5,
        label=f"random play ({ref.random:g})",
    )
    if _far_above(ref.human, ref.random, ax.get_ylim()[1]):
        ax.plot([], [], " ", label=f"human tester: {ref.human:g} (far above, not drawn)")
    else:
        ax.axhline(
            ref.human,
            color="tab:green",
            linestyle="--",
            linewidth=1.2,
            label=f"human tester ({ref.human:g})",
        )
