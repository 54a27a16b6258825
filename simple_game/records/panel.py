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


@cache
def _glyph(char: str, size: int):  # noqa: ANN202 - a PIL Image ("L": the glyph's coverage)
    """One character of the monospaced font, rendered once on a cell of the font's line."""
    from PIL import Image, ImageDraw

    mono = font(size, mono=True)
    cell = Image.new("L", (round(mono.getlength("0")), size + size // 2), 0)
    ImageDraw.Draw(cell).text((0, 0), char, fill=255, font=mono)
    return cell


def number(draw, xy: tuple[float, float], text: str, fill: tuple[int, int, int], size: int) -> None:  # noqa: ANN001
    """``text`` in the monospaced font, stamped from cached glyphs: the numbers change at every
    step, and rendering each string with FreeType was most of a frame's cost (1.8 of 3 ms)."""
    x, y = xy
    for char in text:
        glyph = _glyph(char, size)
        draw.bitmap((x, y), glyph, fill=fill)
        x += glyph.width


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
    What stays the same from frame to frame (the title, headings, action names, the trace's box
    and legend) is drawn once (:func:`_still_panel`); each frame draws only its numbers: text
    rendering is most of a frame's cost.
    """
    from PIL import Image, ImageDraw

    layout = Layout(len(actions), step.kind)
    image = _still_panel(title, tuple(actions), step.kind).copy()
    shown = Image.fromarray(screen).resize(
        (screen.shape[1] * SCALE, screen.shape[0] * SCALE), Image.NEAREST
    )
    image.paste(shown if heat is None else Image.fromarray(tint(np.asarray(shown), heat)), (0, 0))
    draw = ImageDraw.Draw(image)
    x = layout.x
    draw.text((x, 22), f"game {step.game}   step {step.step:,}   score {step.score:g}",
              fill=INK, font=font(14))  # fmt: skip
    _draw_actions(draw, layout, step)
    _draw_trace(draw, layout, trace, step.kind)
    return np.asarray(image)


@dataclass(frozen=True)
class Layout:
    """Where each part of the panel goes, for ``n_actions`` actions of a ``kind`` of agent."""

    n_actions: int
    kind: str
    x: int = 320 + 10  # the panel's left margin, right of the screen at twice its size

    @property
    def rows(self) -> int:
        return 88  # the first action's row

    def row(self, action: int) -> int:
        return self.rows + 19 * action

    @property
    def gap_y(self) -> int:
        return self.row(self.n_actions) + 2

    @property
    def trace_y(self) -> int:
        return self.row(self.n_actions) + (18 if self.kind == "q" else 0) + 14

    @property
    def box(self) -> tuple[int, int, int, int]:
        """The value trace's box: left, top, width, height."""
        return self.x, self.trace_y + 18, PANEL_WIDTH - 24, 130


BAR_LEFT, BAR_WIDTH = 82, 120  # the bars start this far into the panel


@cache
def _still_panel(title: str, actions: tuple[str, ...], kind: str):  # noqa: ANN202 - a PIL Image
    """Everything of a frame that no step changes, drawn once per game set-up."""
    from PIL import Image, ImageDraw

    layout = Layout(len(actions), kind)
    image = Image.new("RGB", (320 + PANEL_WIDTH, 420), BACKGROUND)
    draw = ImageDraw.Draw(image)
    x = layout.x
    draw.text((x, 6), title, fill=FAINT, font=font(11))
    heading = "Q-value of each action" if kind == "q" else "chance of each action"
    draw.text((x, 70), heading, fill=FAINT, font=font(11))
    for a, name in enumerate(actions):
        draw.text((x + 10, layout.row(a)), name[:10], fill=INK, font=font(11))
    draw.text((x, layout.trace_y), trace_label(kind), fill=INK, font=font(11))
    left, top, w, h = layout.box
    draw.rectangle((left, top, left + w, top + h), outline=FAINT)
    draw.text((left, top + h + 16), f"last {TRACE_STEPS} steps; green: point won, red: lost",
              fill=FAINT, font=font(10))  # fmt: skip
    return image


def trace_label(kind: str) -> str:
    """The value trace's heading; the value now is written after it."""
    return f"{'max Q' if kind == 'q' else 'V(s)'}: expected discounted return, now"


def _draw_actions(draw, layout: Layout, step: PanelStep) -> None:  # noqa: ANN001
    """The action taken, and a bar and a number per action; the chosen one marked."""
    x = layout.x
    chose = f"chose {step.action_name}" + ("  (random: epsilon)" if step.explored else "")
    draw.text((x, 48), chose, fill=RANDOM if step.explored else CHOSEN, font=font(14))
    values = np.asarray(step.values, dtype=float)
    low, high = (values.min(), values.max()) if step.kind == "q" else (0.0, 1.0)
    span = max(high - low, 1e-9)
    bar_left = x + BAR_LEFT
    for a in range(layout.n_actions):
        row = layout.row(a)
        colour = CHOSEN if a == step.action else BAR
        if a == step.action:  # a mark before the chosen action's name
            draw.rectangle((x, row + 3, x + 6, row + 12), fill=CHOSEN)
        length = 2 + round((BAR_WIDTH - 2) * (values[a] - low) / span)
        draw.rectangle((bar_left, row + 2, bar_left + length, row + 13), fill=colour)
        text = f"{values[a]:+.3f}" if step.kind == "q" else f"{values[a]:.0%}"
        if step.spread is not None:
            text += f" ±{step.spread[a]:.2f}"
        number(draw, (bar_left + BAR_WIDTH + 6, row), text, INK, 11)
    if step.kind == "q" and len(values) > 1:
        best_two = np.sort(values)[-2:]
        gap = f"action gap (best - second best): {best_two[1] - best_two[0]:.3f}"
        draw.text((x, layout.gap_y), gap, fill=FAINT, font=font(11))


def _draw_trace(draw, layout: Layout, trace: GameTrace, kind: str) -> None:  # noqa: ANN001
    """The value estimate over the last :data:`TRACE_STEPS` steps, points won and lost below."""
    values = trace.values[-TRACE_STEPS:]
    rewards = trace.rewards[-TRACE_STEPS:]
    now = values[-1] if values else 0.0
    after = layout.x + round(font(11).getlength(trace_label(kind))) + 4
    number(draw, (after, layout.trace_y), f"{now:+.3f}", INK, 11)
    left, top, w, h = layout.box
    if len(values) > 1:
        low, high = min(values), max(values)
        pad = max(high - low, 1e-6) * 0.1
        low, high = low - pad, high + pad
        points = [
            (left + w * i / (TRACE_STEPS - 1), top + h - h * (v - low) / (high - low))
            for i, v in enumerate(values)
        ]
        draw.line(points, fill=TRACE, width=2)
        number(draw, (left + 3, top + 2), f"{high:+.2f}", FAINT, 10)
        number(draw, (left + 3, top + h - 13), f"{low:+.2f}", FAINT, 10)
    for i, r in enumerate(rewards):
        if r:
            px = left + w * i / (TRACE_STEPS - 1)
            draw.line((px, top + h + 3, px, top + h + 12), fill=WON if r > 0 else LOST, width=3)


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
