"""Human-normalised Atari scores: how far an agent got from random play towards a human.

Raw scores cannot be compared across games (Pong runs from -21 to 21, Seaquest into the
tens of thousands), so papers report ``(score - random) / (human - random)``: 0 means
random play, 1 means the level of a professional human tester, above 1 is superhuman.
The reference numbers live in ``simple_game/records/data/atari_scores.json`` with their source.

Games are looked up by config name (``pong``), ALE name (``Pong``) or any gymnasium id
(``PongNoFrameskip-v4``, ``ALE/Pong-v5``), so callers can pass whatever they hold.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

SCORES_FILE = Path(__file__).resolve().parent / "data" / "atari_scores.json"


class Baseline(NamedTuple):
    """Published mean scores of a uniformly random agent and of a human tester."""

    random: float
    human: float


@cache
def _table() -> dict[str, Any]:
    return json.loads(SCORES_FILE.read_text())


def source() -> str:
    """Where the reference numbers come from (to print next to normalised scores)."""
    return str(_table()["source"])


def game_key(env: str) -> str | None:
    """``"ALE/MsPacman-v5"``, ``"MsPacmanNoFrameskip-v4"``, ``"ms_pacman"`` -> ``"ms_pacman"``.

    Returns None for a game the table does not list.
    """
    name = env.removeprefix("ALE/")
    name = re.sub(r"-v\d+$", "", name)
    name = re.sub(r"(NoFrameskip|Deterministic)$", "", name)
    for key, row in _table()["games"].items():
        if name.lower() in (key, row["ale_name"].lower()):
            return key
    return None


def baseline(env: str) -> Baseline | None:
    """Random and human scores of a game, or None when no published numbers are known."""
    key = game_key(env)
    if key is None:
        return None
    row = _table()["games"][key]
    return Baseline(random=float(row["random"]), human=float(row["human"]))


def human_normalized(env: str, score: float) -> float | None:
    """``(score - random) / (human - random)`` for ``env``; None if the game is not listed."""
    ref = baseline(env)
    if ref is None:
        return None
    return (float(score) - ref.random) / (ref.human - ref.random)
