"""simple-game: an Atari reinforcement-learning playground built on Stable-Baselines3 and Hydra.

Train with ``python -m simple_game``; see README.md and docs/ for the guided tour.
Heavy libraries (torch, gymnasium, ale-py) are imported lazily by the modules that need them,
so ``python -m simple_game --help`` stays fast.
"""

__version__ = "0.1.0"
