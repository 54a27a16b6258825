"""Draw the guide's pictures from real run directories.

    python docs/img/make_figures.py runs/ppo_breakout/<timestamp>

writes docs/img/ppo-breakout-scores.png and docs/img/ppo-breakout-train.png (lesson 3) from the
run's progress.csv and evaluations.jsonl.

    python docs/img/make_figures.py --agent runs/pqn_pong/<timestamp>

draws lesson 5's pictures (docs/img/pqn-pong-*.png) from a run evaluated first with
``python -m simple_game.evaluate run=<run> explain=true saliency=true saliency_step=900
episodes=1``, and prints the numbers the lesson's exercises quote. All are small PNGs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import EngFormatter  # noqa: E402
from PIL import Image  # noqa: E402

from simple_game.records.evaluations import read_evaluations  # noqa: E402
from simple_game.records.progress import read_progress  # noqa: E402

OUT = Path(__file__).resolve().parent


def plot_scores(run: Path, series: dict, name: str) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=90)
    if "rollout/ep_rew_mean" in series:
        x, y = zip(*series["rollout/ep_rew_mean"], strict=True)
        ax.plot(x, y, label="rollout/ep_rew_mean (training games)")
    evals = read_evaluations(run)
    if evals:
        x = [e.timesteps for e in evals]
        y = [e.mean_reward for e in evals]
        err = [e.std_reward or 0.0 for e in evals]
        ax.errorbar(x, y, yerr=err, fmt="o-", capsize=3, label="eval/mean_reward ± std")
    ax.set_xlabel("agent steps (time/total_timesteps)")
    ax.set_ylabel("score (full game)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT / f"{name}-scores.png")


def plot_train(series: dict, name: str) -> None:
    keys = [
        "train/entropy_loss",
        "train/approx_kl",
        "train/clip_fraction",
        "train/explained_variance",
        "train/value_loss",
        "train/clip_range",
    ]
    keys = [k for k in keys if k in series]
    cols = 3
    rows = (len(keys) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(9, 2.4 * rows), dpi=80, squeeze=False)
    for ax, key in zip(axes.flat, keys, strict=False):
        x, y = zip(*series[key], strict=True)
        ax.plot(x, y, lw=1)
        ax.set_title(key, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.ticklabel_format(axis="x", style="sci", scilimits=(3, 3))
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(OUT / f"{name}-train.png")


def small_png(image: Image.Image, path: Path) -> None:
    """Save with a 256-colour palette: the docs keep PNGs under 100 KB."""
    image.convert("RGB").quantize(256).save(path, optimize=True)


def agent_figures(run: Path, name: str = "pqn-pong") -> None:
    """Lesson 5: the panel, the value trace, the saliency still and the action mix."""
    import numpy as np
    from moviepy import VideoFileClip

    rows = [json.loads(line) for line in (run / "videos" / "best_explained_ep01.jsonl").open()]
    with VideoFileClip(str(run / "videos" / "best_explained_ep01.mp4")) as clip:
        frame = clip.get_frame(900 / clip.fps)  # step 900 of the game
    small_png(Image.fromarray(frame), OUT / f"{name}-panel.png")
    (still,) = (run / "evaluations").glob("best_saliency_step*.png")
    with Image.open(still) as picture:
        small_png(picture.resize((picture.width * 3 // 4, picture.height * 3 // 4)),
                  OUT / f"{name}-saliency.png")  # fmt: skip

    value = np.array([r["value"] for r in rows])
    reward = np.array([r["reward"] for r in rows])
    points = np.flatnonzero(reward)
    every = float(np.mean(np.diff(points)))  # steps between points
    gamma = 0.99
    before, after = 1 / (1 - gamma**every), gamma**every / (1 - gamma**every)
    fig, ax = plt.subplots(figsize=(7, 2.8), dpi=80)
    shown = slice(100, 500)
    steps = np.arange(len(value))[shown]
    ax.plot(steps, value[shown], lw=1.2, label="max Q (the value it predicts)")
    for p in points[(points >= 100) & (points < 500)]:
        ax.axvline(p, color="tab:green" if reward[p] > 0 else "tab:red", lw=1, alpha=0.6)
    ax.axhline(before, ls="--", color="0.4", lw=1, label=f"1/(1-γ^{every:.0f}) = {before:.2f}")
    ax.axhline(
        after, ls=":", color="0.4", lw=1, label=f"γ^{every:.0f}/(1-γ^{every:.0f}) = {after:.2f}"
    )
    ax.set_xlabel("step of the game (green: a point won)")
    ax.set_ylabel("max Q")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT / f"{name}-value-trace.png")

    evaluations = [e for e in read_evaluations(run) if e.action_counts]
    counts = np.array([e.action_counts for e in evaluations], dtype=float)
    x = [e.timesteps for e in evaluations]
    fig, ax = plt.subplots(figsize=(7, 2.8), dpi=80)
    ax.stackplot(x, (counts / counts.sum(axis=1, keepdims=True)).T,
                 labels=evaluations[0].action_names, alpha=0.85)  # fmt: skip
    ax.set_xlabel("training steps")
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    ax.set_ylabel("share of steps")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    fig.savefig(OUT / f"{name}-action-mix.png")

    gaps = np.array([sorted(r["values"])[-1] - sorted(r["values"])[-2] for r in rows])
    print(
        f"{len(rows)} steps, {int((reward > 0).sum())} points won, {int((reward < 0).sum())} lost"
    )
    print(f"a point every {every:.1f} steps: value before {before:.2f}, after {after:.2f} "
          f"(gamma {gamma}); measured at the points {value[points].mean():.2f}, one step later "
          f"{value[np.minimum(points + 1, len(value) - 1)].mean():.2f}")  # fmt: skip
    print(f"action gap: median {np.median(gaps):.3f}, below 0.01 on {np.mean(gaps < 0.01):.0%} "
          f"of steps, above 0.1 on {np.mean(gaps > 0.1):.0%}")  # fmt: skip
    for e in (evaluations[0], evaluations[len(evaluations) // 2], evaluations[-1]):
        total = sum(e.action_counts)
        mix = ", ".join(
            f"{n} {c / total:.0%}" for n, c in zip(e.action_names, e.action_counts, strict=True)
        )
        print(f"actions at {e.timesteps:,} steps: {mix}")


def main() -> None:
    if sys.argv[1] == "--agent":
        agent_figures(Path(sys.argv[2]))
        return
    run = Path(sys.argv[1])
    name = sys.argv[2] if len(sys.argv) > 2 else "ppo-breakout"
    series = read_progress(run)
    plot_scores(run, series, name)
    plot_train(series, name)


if __name__ == "__main__":
    main()
