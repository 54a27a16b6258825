"""One comparison plot per game: every run's evaluation curve, coloured by algorithm.

"Does PPO beat DQN on Pong?" is a question about curves, not final numbers: one run can
end on a lucky evaluation, another can still be climbing. Random and human reference
scores are drawn as dashed lines, so a curve reads as "how far from random, how close to
a human".

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
from simple_game.records.scores import baseline
from simple_game.report.runs import Run

if TYPE_CHECKING:
    from matplotlib.axes import Axes

PLOT_VERSION = "1"  # bump when the drawing code changes, so existing PNGs are redrawn
SUFFIX = "-eval-curves.png"  # only files with this suffix are ever deleted by the report
ALGO_COLORS = {"ppo": "C0", "a2c": "C1", "dqn": "C2", "qrdqn": "C3"}
OTHER_COLORS = ("C4", "C5", "C6", "C8", "C9")
# Runs of one algo share its colour; with few runs, style and marker tell them apart.
LINE_STYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D")
MAX_LEGEND_RUNS = 8  # more runs than this: one legend entry per algorithm instead of per run


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

    data = repr((PLOT_VERSION, matplotlib.__version__, game, [(_label(r), r.curve) for r in runs]))
    return "data-sha256:" + hashlib.sha256(data.encode()).hexdigest()


def _label(run: Run) -> str:
    seed = f", seed {run.seed}" if run.seed is not None else ""
    job = f" #{run.path.rsplit('/', 1)[-1]}" if run.sweep else ""
    return f"{run.algo}{seed}, {run.started or run.path}{job}"


def _draw(game: str, runs: list[Run], digest: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")  # files only, no window: works on servers and inside training
    import matplotlib.pyplot as plt
    from matplotlib.ticker import EngFormatter

    algos = sorted({r.algo for r in runs})
    others = iter(OTHER_COLORS * len(algos))
    colors = {a: ALGO_COLORS.get(a) or next(others) for a in algos}

    # Fixed axes and legend positions: matplotlib's automatic ones (tight_layout,
    # loc="best") cost more than drawing hundreds of curves.
    fig = plt.figure(figsize=(10, 4.5))
    ax = fig.add_axes((0.07, 0.12, 0.63, 0.78))
    try:
        if len(runs) <= MAX_LEGEND_RUNS:
            _draw_each_run(ax, runs, colors)
        else:
            _draw_by_algo(ax, runs, colors)
        ref = baseline(runs[0].env_id or game)
        if ref is not None:
            ax.axhline(ref.human, color="0.3", linestyle="--", linewidth=1, label="human")
            ax.axhline(ref.random, color="0.6", linestyle=":", linewidth=1, label="random play")
        ax.set_title(f"{game}: evaluation score during training (mean of full games)")
        ax.set_xlabel("agent steps")
        ax.set_ylabel("score")
        ax.xaxis.set_major_formatter(EngFormatter())
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
        buffer = io.BytesIO()
        # No "Software" tag and no timestamp: the same data gives the same bytes.
        fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None, "Comment": digest})
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _draw_each_run(ax: Axes, runs: list[Run], colors: dict[str, str]) -> None:
    """Few runs: one line each, told apart by style and marker, each in the legend."""
    seen: dict[str, int] = {}  # runs drawn so far per algo
    for run in runs:
        nth = seen[run.algo] = seen.get(run.algo, -1) + 1
        steps, scores = zip(*run.curve, strict=True)
        ax.plot(
            steps,
            scores,
            color=colors[run.algo],
            linestyle=LINE_STYLES[nth % len(LINE_STYLES)],
            marker=MARKERS[nth % len(MARKERS)],
            markersize=3,
            label=_label(run),
        )


def _draw_by_algo(ax: Axes, runs: list[Run], colors: dict[str, str]) -> None:
    """Many runs: one translucent bundle per algo (a LineCollection draws fast), one legend
    entry per algo. Where bundles overlap, the algorithms are hard to tell apart anyway."""
    from matplotlib.collections import LineCollection

    for algo, color in colors.items():
        curves = [run.curve for run in runs if run.algo == algo]
        ax.add_collection(LineCollection(curves, colors=color, linewidths=1, alpha=0.5))
        ax.plot([], [], color=color, label=f"{algo} ({len(curves)} runs)")
    ax.autoscale_view()
