"""Human-normalised scores: the published table and the arithmetic other modules rely on."""

from __future__ import annotations

import json

import pytest

from simple_game.config.groups import group_options
from simple_game.records import scores
from tests.conftest import env_config


def test_two_hand_checked_values() -> None:
    # Breakout: (16.1 - 1.7) / (30.5 - 1.7) = 14.4 / 28.8 = 0.5
    assert scores.human_normalized("breakout", 16.1) == pytest.approx(0.5)
    # Pong, a perfect 21: (21 + 20.7) / (14.6 + 20.7) = 41.7 / 35.3 = 1.18130...
    assert scores.human_normalized("PongNoFrameskip-v4", 21) == pytest.approx(1.181303, abs=1e-6)


def test_random_is_zero_and_human_is_one() -> None:
    ref = scores.baseline("seaquest")
    assert ref is not None
    assert scores.human_normalized("seaquest", ref.random) == 0.0
    assert scores.human_normalized("seaquest", ref.human) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "name", ["ms_pacman", "MsPacman", "MsPacmanNoFrameskip-v4", "ALE/MsPacman-v5", "MsPacman-v4"]
)
def test_any_spelling_of_a_game_finds_it(name: str) -> None:
    assert scores.game_key(name) == "ms_pacman"


def test_unlisted_game_gives_none() -> None:
    assert scores.baseline("ALE/Tetris-v5") is None
    assert scores.human_normalized("ALE/Tetris-v5", 100.0) is None


def test_every_configured_game_has_published_scores() -> None:
    for game in group_options("env"):
        env = env_config(game)
        assert scores.game_key(env.id) == env.name, game
        ref = scores.baseline(env.id)
        assert ref is not None and ref.human > ref.random, game


def test_table_cites_its_source() -> None:
    table = json.loads(scores.SCORES_FILE.read_text())
    assert "Agent57" in table["source"] and "Badia" in scores.source()
