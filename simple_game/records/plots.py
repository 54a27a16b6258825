"""The learning curve of a run: ``<run>/learning_curve.png``, readable at a glance.

Two lines tell different stories, so both are drawn:

* **evaluation** (from evaluations.jsonl): mean ± std of a few full games at each
  evaluation point; honest but sparse;
* **training games** (from progress.csv, SB3's ``rollout/ep_rew_mean``): the average full-game
  score of the last 100 training games (the Monitor sits inside the Atari wrappers, so these
  are real scores); dense but played with exploration, so usually a little lower.

Random and human play are drawn as horizontal lines when published scores are known
(:mod:`simple_game.scores`), so "is it learning?" and "how good is that?" are answered
without looking anything up. Written at the end of each training run, and on demand with
``python -m simple_game.evaluate run=<dir> plot_only=true``.

Uses matplotlib's object API with the Agg canvas (no pyplot, no display, no global state).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from simple_game.records import scores
from simple_game.records.evaluations import read_evaluations
from simple_game.records.paths import STEP_COLUMN, TRAIN_SCORE_COLUMN, RunPaths


def training_scores(run_dir: Path) -> tuple[list[int], list[float]]:
    """(agent steps, average training-game score) rows of progress.csv that have a score."""
    path = RunPaths(run_dir).progress_csv
    if not path.exists():
        return [], []
    steps, values = [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            value, step = row.get(TRAIN_SCORE_COLUMN), row.get(STEP_COLUMN)
            if value and step:  # rows before the first finished game have no score
                steps.append(int(float(step)))
                values.append(float(value))
    return steps, values


def _run_title(run_dir: Path) -> tuple[str, str | None]:
    """("PPO on breakout (BreakoutNoFrameskip-v4)", env id) from summary.json or the config."""
    paths = RunPaths(run_dir)
    summary = paths.summary
    if summary.exists():
        data = json.loads(summary.read_text())
        algo, env, env_id = data.get("algo"), data.get("env"), data.get("env_id")
    else:
        from omegaconf import OmegaConf

        cfg = OmegaConf.load(paths.hydra_config)
        algo, env, env_id = cfg.algo.name, cfg.env.name, cfg.env.id
    return f"{str(algo).upper()} on {env} ({env_id})", env_id


def _far_above(human: float, random: float, data_top: float) -> bool:
    """True if drawing the human level would shrink the data to under a quarter of the plot."""
    span = max(data_top - random, 1e-9)
    return human - random > 4 * span


def plot_learning_curve(run_dir: Path) -> Path:
    """Draw ``<run_dir>/learning_curve.png`` from the run's logs and return its path."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import EngFormatter

    title, env_id = _run_title(run_dir)
    # The final evaluation repeats the last periodic one's step count: keep the latest.
    evals = sorted(
        {e["timesteps"]: e for e in read_evaluations(run_dir)}.values(),
        key=lambda e: e["timesteps"],
    )
    train_steps, train_values = training_scores(run_dir)

    fig = Figure(figsize=(11, 5), dpi=110)
    ax = fig.add_subplot()
    if train_steps:
        ax.plot(
            train_steps,
            train_values,
            color="tab:blue",
            linewidth=1.5,
            label="training games (average of the last 100)",
        )
    if evals:
        x = [e["timesteps"] for e in evals]
        mean = [e["mean_reward"] for e in evals]
        std = [e["std_reward"] for e in evals]
        n = len(evals[-1].get("episode_rewards") or [])
        games = f"{n} full game{'s' if n != 1 else ''}" if n else "full games"
        low = [m - s for m, s in zip(mean, std, strict=True)]
        high = [m + s for m, s in zip(mean, std, strict=True)]
        ax.fill_between(
            x, low, high, color="tab:orange", alpha=0.25, linewidth=0, label="evaluation ± std"
        )
        ax.plot(
            x,
            mean,
            "o-",
            color="tab:orange",
            linewidth=2,
            markersize=4,
            label=f"evaluation: mean of {games}",
        )
    ref = scores.baseline(env_id) if env_id else None
    if ref is not None:
        ax.axhline(
            ref.random,
            color="tab:gray",
            linestyle=":",
            linewidth=1.5,
            label=f"random play ({ref.random:g})",
        )
        if _far_above(ref.human, ref.random, ax.get_ylim()[1]):
            # Seaquest's human level (42k) would squash a 1k learning curve into a flat line.
            ax.plot([], [], " ", label=f"human tester: {ref.human:g} (far above, not drawn)")
        else:
            ax.axhline(
                ref.human,
                color="tab:green",
                linestyle="--",
                linewidth=1.2,
                label=f"human tester ({ref.human:g})",
            )
    if not (train_steps or evals):
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
    path = RunPaths(run_dir).learning_curve
    fig.savefig(path)
    return path
