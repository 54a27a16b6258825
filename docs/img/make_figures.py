"""Draw the guide's pictures from a real run directory (its progress.csv and evaluations.jsonl).

    python docs/img/make_figures.py runs/ppo_breakout/<timestamp>

writes docs/img/ppo-breakout-scores.png and docs/img/ppo-breakout-train.png (small PNGs).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OUT = Path(__file__).resolve().parent


def read_progress(run: Path) -> dict[str, list[tuple[float, float]]]:
    series: dict[str, list[tuple[float, float]]] = {}
    with (run / "progress.csv").open() as f:
        for row in csv.DictReader(f):
            step = row.get("time/total_timesteps")
            if not step:
                continue
            for key, value in row.items():
                if value not in ("", None) and key != "time/total_timesteps":
                    series.setdefault(key, []).append((float(step), float(value)))
    return series


def plot_scores(run: Path, series: dict, name: str) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=90)
    if "rollout/ep_rew_mean" in series:
        x, y = zip(*series["rollout/ep_rew_mean"], strict=True)
        ax.plot(x, y, label="rollout/ep_rew_mean (training games)")
    evals = [json.loads(line) for line in (run / "evaluations.jsonl").read_text().splitlines()]
    if evals:
        x = [e["timesteps"] for e in evals]
        y = [e["mean_reward"] for e in evals]
        err = [e["std_reward"] for e in evals]
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


def main() -> None:
    run = Path(sys.argv[1])
    name = sys.argv[2] if len(sys.argv) > 2 else "ppo-breakout"
    series = read_progress(run)
    plot_scores(run, series, name)
    plot_train(series, name)


if __name__ == "__main__":
    main()
