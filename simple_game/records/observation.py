"""A picture of what the network sees: one observation beside the real screen.

The agent never sees the 210x160 colour screen. It gets ``frame_stack`` (4) grey 84x84
frames, the newest last, each the max of two emulator frames. Looking at them answers
"can it even see the ball?" and "is there motion between the frames?". Written by
``python -m simple_game.evaluate run=<run> observation=true``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def save_observation_picture(
    observation: np.ndarray, screen: np.ndarray, path: Path, title: str
) -> Path:
    """``observation``: one channel-first stack ``(frames, 84, 84)`` uint8; ``screen``: RGB."""
    from matplotlib.figure import Figure

    frames = observation.shape[0]
    fig = Figure(figsize=(3 + 2.2 * frames, 3.4), dpi=100)
    axes = fig.subplots(1, frames + 1, width_ratios=[1.4] + [1] * frames)
    axes[0].imshow(screen)
    axes[0].set_title(f"the screen\n{screen.shape[1]}x{screen.shape[0]} colour", fontsize=9)
    for i, ax in enumerate(axes[1:]):
        ax.imshow(observation[i], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        age = frames - 1 - i
        when = "newest" if age == 0 else f"{age} step{'s' if age > 1 else ''} earlier"
        height, width = observation[i].shape
        ax.set_title(f"input frame {i + 1}: {when}\n{width}x{height} grey", fontsize=9)
    return _save(fig, axes, title, path)


def save_saliency_picture(
    screen: np.ndarray, observation: np.ndarray, heat: np.ndarray, path: Path, title: str
) -> Path:
    """Where the agent looks at one step: the screen tinted by ``heat`` (a saliency map of the
    observation, in [0, 1]), the map alone, and the newest frame the network got."""
    from matplotlib.figure import Figure

    from simple_game.records.panel import tint

    fig = Figure(figsize=(10, 4.2), dpi=100)
    axes = fig.subplots(1, 3, width_ratios=[1.3, 1, 1])
    axes[0].imshow(tint(screen, heat))
    axes[0].set_title("the screen, red where the output changes most", fontsize=9)
    shown = axes[1].imshow(heat, cmap="inferno", vmin=0, vmax=1, interpolation="nearest")
    axes[1].set_title("saliency map (1 = the largest change)", fontsize=9)
    fig.colorbar(shown, ax=axes[1], fraction=0.046, pad=0.04)
    axes[2].imshow(observation[-1], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    axes[2].set_title("the newest input frame (84x84 grey)", fontsize=9)
    return _save(fig, axes, title, path)


def _save(fig: Figure, axes: Iterable[Axes], title: str, path: Path) -> Path:
    """Pictures, not charts: no ticks; the title above; written to ``path``."""
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path
