"""Which actions the agent uses: a bar chart of one evaluation, and the mix over training.

Every evaluation counts how often each action was chosen (training/tally.py). Two pictures
read those counts: ``<run>/evaluations/<...>_actions.png`` beside evaluate's JSON file ("it
never presses FIRE" at a glance), and ``<run>/action_mix.png``, the share of each action at
each evaluation of the run, with (PPO, A2C) the policy's mean entropy, so a learner sees the
mix change as exploration ends and the agent settles on what wins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from simple_game.records.evaluations import read_evaluations
from simple_game.records.paths import RunPaths

NO_ACTION_COUNTS = (
    "no action mix: this run's evaluations counted no actions (runs from before they did)"
)


def plot_action_chart(
    names: list[str], counts: list[int], entropy: float | None, title: str, path: Path
) -> Path:
    """A bar per action: the share of the evaluation's steps it was chosen in."""
    from matplotlib.figure import Figure

    total = max(sum(counts), 1)
    shares = [c / total for c in counts]
    fig = Figure(figsize=(1.6 + 0.75 * len(names), 3.2), dpi=100)
    ax = fig.add_subplot()
    bars = ax.bar(names, shares, color="tab:blue")
    for bar, share in zip(bars, shares, strict=True):
        ax.annotate(f"{share:.0%}", (bar.get_x() + bar.get_width() / 2, share),
                    ha="center", va="bottom", fontsize=8)  # fmt: skip
    ax.set_ylim(0, max(1.0, max(shares) * 1.15) if shares else 1.0)
    ax.set_ylabel("share of steps")
    note = f"; policy entropy {entropy:.2f} of {np.log(len(names)):.2f} nats" if entropy else ""
    ax.set_title(f"{title}\nactions chosen over {total:,} steps{note}", fontsize=9)
    ax.tick_params(axis="x", labelsize=8, rotation=30)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def action_mix(run_dir: Path) -> tuple[list[str], list[int], np.ndarray, list[float | None]]:
    """(action names, step counts, shares per evaluation x action, mean entropies) from the
    run's evaluations that counted actions; a final evaluation at the last step is pooled."""
    by_steps: dict[int, dict[str, Any]] = {}
    names: list[str] = []
    for e in read_evaluations(run_dir):
        if not sum(e.action_counts) or len(e.action_names) != len(e.action_counts):
            continue
        names = e.action_names
        point = by_steps.setdefault(e.timesteps, {"counts": 0, "entropy": []})
        point["counts"] = np.asarray(e.action_counts) + point["counts"]
        if e.policy_entropy is not None:
            point["entropy"].append(e.policy_entropy)
    steps = sorted(by_steps)
    shares = np.array([by_steps[s]["counts"] / by_steps[s]["counts"].sum() for s in steps])
    entropy = [float(np.mean(by_steps[s]["entropy"])) if by_steps[s]["entropy"] else None
               for s in steps]  # fmt: skip
    return names, steps, shares, entropy


def plot_action_mix(run_dir: Path) -> Path | None:
    """Draw ``<run>/action_mix.png``; None when no evaluation counted actions (runs from
    before evaluations counted them)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import EngFormatter

    names, steps, shares, entropy = action_mix(run_dir)
    if not steps:
        return None
    fig = Figure(figsize=(11, 4.2), dpi=110)
    ax = fig.add_subplot()
    ax.stackplot(steps, shares.T, labels=names, alpha=0.85)
    ax.set_ylim(0, 1)
    ax.set_xlabel("training steps")
    ax.set_ylabel("share of the evaluation's steps")
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    ax.set_title(
        f"Which actions the agent chose at each evaluation\nrun {run_dir.name}", fontsize=11
    )
    handles, labels = ax.get_legend_handles_labels()
    if any(e is not None for e in entropy):
        twin = ax.twinx()
        line = twin.plot(steps, [np.nan if e is None else e for e in entropy], "k--", linewidth=1.5,
                         label="policy entropy (right axis, nats)")  # fmt: skip
        twin.set_ylim(0, np.log(len(names)) * 1.05)
        twin.set_ylabel("policy entropy (nats)")
        handles, labels = handles + line, labels + [line[0].get_label()]
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.08, 1), fontsize=9)
    fig.tight_layout()
    path = RunPaths(run_dir).action_mix
    fig.savefig(path)
    return path
