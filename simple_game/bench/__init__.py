"""``python -m simple_game.bench``: measured speed and learning, next to stock SB3."""
