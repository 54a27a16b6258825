"""simple-game: an Atari reinforcement-learning playground built on Stable-Baselines3 and Hydra.

Train with ``python -m simple_game``; see README.md and docs/ for the guided tour.
Heavy libraries (torch, gymnasium, ale-py) are imported lazily by the modules that need them,
so ``python -m simple_game --help`` stays fast.
"""

import os

__version__ = "0.1.0"

# After each parallel piece of work, torch's idle OpenMP threads spin for 300,000 rounds
# (libgomp's default) before they sleep. Right after each rollout inference the games' C++
# threads need those cores, and the spinning cost PPO about 15% here (docs/performance.md).
# libgomp reads this once, when torch loads it: hence here, before anything imports torch.
# A GOMP_SPINCOUNT or OMP_WAIT_POLICY of your own wins.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", "10000")
