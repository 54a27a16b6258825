"""The agent's-eye frame: the game screen beside a panel of what the network said at that step.

Drawn with Pillow straight into pixels (a matplotlib figure per frame would cost ten times the
game itself): the screen at twice its size, optionally tinted where saliency says the agent
looks, and beside it

* the action taken, by its name in this game, and whether it was a random (epsilon) one;
* every action's Q-value (a bar per action, measured from the worst action, so the *action gap*
  between the best two shows; QR-DQN adds the spread of its quantiles) or probability;
* the value estimate of the game so far (max Q, or V) as a trace, with the points won (green)
  and lost (red) marked under it, and the score.

Every number drawn comes from one :class:`PanelStep`, which is also the row saved beside the
video, so the picture and the file always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np

SCALE = 2  # the 210x160 screen drawn at 420x320: a Pong ball is then 4x4 pixels, not 2x2
PANEL_WIDTH = 300
TRACE_STEPS = 300  # the value trace shows the last 300 steps (20 s of play)
BACKGROUND, INK, FAINT = (24, 24, 28), (235, 235, 235), (140, 140, 150)
CHOSEN, RANDOM, BAR = (255, 200, 60), (255, 120, 80), (90, 150, 230)
WON, LOST, TRACE = (90, 210, 110), (235, 80, 80), (235, 235, 235)


@dataclass
class PanelStep:
    """What the network said at one step, and what the game did (one row of the saved file)."""

    game: int
    step: int  # agent steps into this game
    action: int
    action_name: str
    explored: bool  # a random action (epsilon), not the network's choice
    values: list[float]  # Q(s, a) of each action, or pi(a | s)
    kind: str  # "q" (values are Q-values) or "policy" (values are probabilities)
    value: float  # max_a Q(s, a), or V(s)
    reward: float = 0.0  # the real reward the action earned
    score: float = 0.0  # the game's score after it
    spread: list[float] | None = None  # QR-DQN: the std of each action's quantiles

    def row(self) -> dict[str, object]:
        return {k: v for k, v in vars(self).items() if v is not None}


@dataclass
class GameTrace:
    """The steps of the game so far that the value trace draws."""

    values: list[float] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)

    def add(self, step: PanelStep) -> None:
        self.values.append(step.value)
        self.rewards.append(step.reward)


@cache
def font(size: int, mono: bool = False):  # noqa: ANN202 - a PIL ImageFont
    from matplotlib import font_manager
    from PIL import ImageFont

    path = font_manager.findfont("DejaVu Sans Mono" if mono else "DejaVu Sans")
    return ImageFont.truetype(path, size)


def draw_frame(
    screen: np.ndarray,
    step: PanelStep,
    trace: GameTrace,
    title: str,
    actions: list[str],
    heat: np.ndarray | None = None,
) -> np.ndarray:
    """One video frame (height 420, width 320 + :data:`PANEL_WIDTH`, RGB uint8).

    ``heat``: a saliency map in [0, 1] of the observation (84x84), tinted over the screen.
    """
    from PIL import Image, ImageDraw

    big = np.repeat(np.repeat(screen, SCALE, axis=0), SCALE, axis=1)
    if heat is not None:
        big = tint(big, heat)
    height, width = big.shape[:2]
    image = Image.new("RGB", (width + PANEL_WIDTH, height), BACKGROUND)
    image.paste(Image.fromarray(big), (0, 0))
    draw = ImageDraw.Draw(image)
    x = width + 10
    draw.text((x, 6), title, fill=FAINT, font=font(11))
    draw.text((x, 22), f"game {step.game}   step {step.step:,}   score {step.score:g}",
              fill=INK, font=font(14))  # fmt: skip
    y = _draw_actions(draw, x, 48, step, actions)
    _draw_trace(draw, x, y + 14, trace, step.kind)
    return np.asarray(image)


def _draw_actions(draw, x: int, y: int, step: PanelStep, actions: list[str]) -> int:  # noqa: ANN001
    """The action taken and a bar per action; returns the y below them."""
    chose = f"chose {step.action_name}" + ("  (random: epsilon)" if step.explored else "")
    draw.text((x, y), chose, fill=RANDOM if step.explored else CHOSEN, font=font(14))
    heading = "Q-value of each action" if step.kind == "q" else "chance of each action"
    draw.text((x, y + 22), heading, fill=FAINT, font=font(11))
    values = np.asarray(step.values, dtype=float)
    low, high = (values.min(), values.max()) if step.kind == "q" else (0.0, 1.0)
    span = max(high - low, 1e-9)
    top, bar_left, bar_width = y + 40, x + 82, 120
    for a, name in enumerate(actions):
        row = top + 19 * a
        colour = CHOSEN if a == step.action else BAR
        draw.text((x, row), name[:11], fill=colour if a == step.action else INK, font=font(11))
        length = 2 + round((bar_width - 2) * (values[a] - low) / span)
        draw.rectangle((bar_left, row + 2, bar_left + length, row + 13), fill=colour)
        text = f"{values[a]:+.3f}" if step.kind == "q" else f"{values[a]:.0%}"
        if step.spread is not None:
            text += f" ±{step.spread[a]:.2f}"
        draw.text((bar_left + bar_width + 6, row), text, fill=INK, font=font(11, mono=True))
    bottom = top + 19 * len(actions)
    if step.kind == "q" and len(values) > 1:
        best_two = np.sort(values)[-2:]
        gap = f"action gap (best - second best): {best_two[1] - best_two[0]:.3f}"
        draw.text((x, bottom + 2), gap, fill=FAINT, font=font(11))
        bottom += 18
    return bottom


def _draw_trace(draw, x: int, y: int, trace: GameTrace, kind: str) -> None:  # noqa: ANN001
    """The value estimate over the last :data:`TRACE_STEPS` steps, points won and lost below."""
    name = "max Q" if kind == "q" else "V(s)"
    values = trace.values[-TRACE_STEPS:]
    rewards = trace.rewards[-TRACE_STEPS:]
    now = values[-1] if values else 0.0
    draw.text((x, y), f"{name}: expected discounted return, now {now:+.3f}",
              fill=INK, font=font(11))  # fmt: skip
    left, top, w, h = x, y + 18, PANEL_WIDTH - 24, 150
    draw.rectangle((left, top, left + w, top + h), outline=FAINT)
    if len(values) > 1:
        low, high = min(values), max(values)
        pad = max(high - low, 1e-6) * 0.1
        low, high = low - pad, high + pad
        points = [
            (left + w * i / (TRACE_STEPS - 1), top + h - h * (v - low) / (high - low))
            for i, v in enumerate(values)
        ]
        draw.line(points, fill=TRACE, width=2)
        draw.text((left + 3, top + 2), f"{high:+.2f}", fill=FAINT, font=font(10, mono=True))
        draw.text((left + 3, top + h - 13), f"{low:+.2f}", fill=FAINT, font=font(10, mono=True))
    for i, r in enumerate(rewards):
        if r:
            px = left + w * i / (TRACE_STEPS - 1)
            draw.line((px, top + h + 3, px, top + h + 12), fill=WON if r > 0 else LOST, width=3)
    draw.text((left, top + h + 16), f"last {TRACE_STEPS} steps; green: point won, red: lost",
              fill=FAINT, font=font(10))  # fmt: skip


def tint(screen: np.ndarray, heat: np.ndarray, strength: float = 0.75) -> np.ndarray:
    """``screen`` tinted red where ``heat`` (any size, values in [0, 1]) is high."""
    from PIL import Image

    height, width = screen.shape[:2]
    resized = Image.fromarray((255 * np.clip(heat, 0, 1)).astype(np.uint8)).resize(
        (width, height), Image.BILINEAR
    )
    m = strength * np.asarray(resized, dtype=np.float32)[..., None] / 255
    red = np.array([255, 40, 40], dtype=np.float32)
    return (screen * (1 - m) + red * m).astype(np.uint8)
